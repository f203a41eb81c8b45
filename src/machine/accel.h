/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Accelerator choice: KVM only when a real guest kernel runs under it with
 * the machine type and CPU model that machines get, TCG otherwise, with
 * the reason in one line. Verdicts are cached per host boot.
 */
#ifndef HVT_ACCEL_H
#define HVT_ACCEL_H

#include <stdbool.h>
#include <stdint.h>

#include "proc.h"
#include "util.h"

struct hvt_accel {
	char name[32];	   /* "kvm" or "tcg"; a caller's -accel may add options ("tcg,thread=single") */
	char cpu[64];	   /* the -cpu model machines get: proven under KVM, "max" under TCG */
	char reason[512];  /* one line: "KVM runs a guest kernel with -cpu host (412 ms)"... */
	bool cached;	   /* the verdict came from the cache: nothing was run */
	int64_t probe_ms;  /* time this call spent probing (0 when cached or forced) */
};

/* What to prove. Zero/NULL fields take the defaults noted. */
struct hvt_accel_opts {
	const char *qemu;	/* binary; hvt_qemu_binary() */
	const char *machine;	/* machine type the machines use; "pc" */
	const char *cpu;	/* CPU model they ask for; NULL: "host", and a named
				   model when QEMU rejects host */
	const char *kernel;	/* kernel to boot; the default guest's, else /boot/vmlinuz-* */
	int timeout_ms;		/* for one KVM boot; 8000 */
	bool refresh;		/* probe again even when a verdict is cached */
};

/*
 * Choose the accelerator for machines described by opts (NULL: all
 * defaults). The QEMU version is checked first, always. HVT_ACCEL=kvm|tcg
 * then forces a choice without running anything. Otherwise KVM is chosen
 * when hvt_env_kvm_device() opens and the kernel, booted under KVM with
 * the same machine type and CPU model and without a root file system,
 * reaches the point of mounting one within the timeout. Else TCG, once a
 * tiny firmware has run under it.
 *
 * Verdicts are kept in hvt_env_cache_dir()/accel, keyed by the host's
 * boot id, the QEMU binary (path, size, mtime, version), the KVM device,
 * the machine type and the CPU model, and in the process. Fails only when
 * QEMU is unusable (missing, older than 6.2, HVT_ACCEL invalid) or not
 * even TCG runs; err says why.
 */
int hvt_accel_probe(const struct hvt_accel_opts *opts, struct hvt_accel *out,
		    struct hvt_err *err);

/* What one boot of the probe kernel did. */
struct hvt_accel_trial {
	bool timed_out;			/* still running at the timeout, then killed */
	struct hvt_proc_status st;	/* how QEMU ended, unless timed_out */
	const char *console;		/* the serial console's text, or NULL */
	const char *stderr_text;	/* QEMU's stderr, or NULL */
	int timeout_ms;
};

/*
 * The probe's decision over one boot: true when the kernel reached the
 * mount of its root file system (it panics there, and -no-reboot makes
 * QEMU exit). Otherwise why gets one line: "QEMU aborted: failed to set
 * MSR 0x10a to 0x69", "no progress within 8000 ms"...
 */
bool hvt_accel_judge(const struct hvt_accel_trial *t, char *why, size_t len);

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
/* hvt_qemu_version() without the numbers, run once per binary and process. */
int hvt_qemu_check(const char *qemu, struct hvt_err *err);

#endif
