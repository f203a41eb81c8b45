/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Accelerator choice: KVM only when a guest actually runs under it within
 * a short timeout, TCG otherwise, with the reason.
 */
#ifndef HVT_ACCEL_H
#define HVT_ACCEL_H

#include "util.h"

struct hvt_accel {
	char name[16];	   /* "kvm" or "tcg" */
	char reason[512];  /* why: "KVM guest made progress in 40 ms", "..." */
};

/*
 * Probe with qemu (a binary path; NULL: hvt_qemu_binary()): HVT_ACCEL=kvm|tcg
 * in the environment forces a choice without running anything. Otherwise
 * KVM is chosen when /dev/kvm opens and a firmware that pokes isa-debug-exit
 * makes QEMU exit within timeout_ms (0: 3000), else TCG. The result is
 * cached per process and binary. Fails only when the QEMU is unusable (not
 * found, older than 6.2) or not even TCG runs (err says why).
 */
int hvt_accel_probe(const char *qemu, int timeout_ms, struct hvt_accel *out,
		    struct hvt_err *err);

/*
 * The QEMU binary to use: $HVT_QEMU, else qemu-system-x86_64 from $PATH
 * (its full path), else the bare name "qemu-system-x86_64" so that running
 * it fails with a clear message. The string lives until the next call in
 * the same thread.
 */
const char *hvt_qemu_binary(void);

/*
 * Run "qemu --version" and parse "QEMU emulator version X.Y.Z" into the
 * non-NULL pointers. -ENOENT when the binary is missing (err says how to
 * get it), -EPROTO when the output is not understood, -ENOTSUP (with the
 * numbers filled in) when it is older than 6.2, which hvtest needs.
 */
int hvt_qemu_version(const char *qemu, int *maj, int *min, int *mic, struct hvt_err *err);

#endif
