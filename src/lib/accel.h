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
 * Probe with qemu (a binary path): HVT_ACCEL=kvm|tcg in the environment
 * forces a choice. The result is cached per process and binary. Fails only
 * when not even TCG runs (err says why).
 */
int hvt_accel_probe(const char *qemu, int timeout_ms, struct hvt_accel *out,
		    struct hvt_err *err);

/* The QEMU binary to use: $HVT_QEMU, else qemu-system-x86_64 from $PATH. */
const char *hvt_qemu_binary(void);

#endif
