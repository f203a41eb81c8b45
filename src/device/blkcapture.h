/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block traces of a real guest's workload: the default guest boots with a
 * scratch virtio disk, the guest kernel's own block tracer records the
 * requests issued to that disk while a shell command runs, and they come
 * back as a trace (blktrace.h). Nothing is installed in the guest: the
 * tracer is switched on through tracefs with the guest's busybox.
 */
#ifndef HVT_BLKCAPTURE_H
#define HVT_BLKCAPTURE_H

#include <stdint.h>

#include "blktrace.h"
#include "util.h"

struct hvt_blkcapture_opts {
	/* a shell command line run in the guest; $DEV is the scratch disk (/dev/vdX) */
	const char *workload;
	uint64_t size;		/* the scratch disk's bytes; 0: 64 MiB */
	/*
	 * Where the machine's files and the scratch disk (disk.raw) go, made
	 * when missing and left in place. NULL: a new hvt-capture-XXXXXX under
	 * hvt_env_workdir(), removed at the end unless hvt_env_keep().
	 */
	const char *workdir;
	const char *qemu;	/* NULL: hvt_qemu_binary() */
	int boot_timeout_ms;	/* until the agent answers; 0: 180000 */
	int timeout_ms;		/* for the workload; 0: 600000 */
	unsigned int buffer_kb;	/* the tracer's buffer per guest CPU; 0: 65536 */
};

/*
 * The workloads hvtest knows by name, NULL-ended: "mkfs-copy" (busybox
 * mke2fs of 32 MiB, a 4.7 MB file copied onto the disk behind it with
 * fsync, a discard, the start read back) and "fio-mixed" (fio: random writes of 4-64 KiB four
 * at a time with an fsync every 8, random discards, random reads).
 */
extern const char *const hvt_blkcapture_workloads[];
/* The command line of the workload called name, or NULL. */
const char *hvt_blkcapture_workload(const char *name);

/*
 * Boot the guest, run opts->workload with the tracer on for the scratch
 * disk, then sync (what the workload left in the guest's page cache
 * reaches the disk inside the trace), and read the requests issued to the
 * disk's driver (the tracer's "D" events) into t (empty). t->size is the
 * disk's size, t->source names the workload. The machine is shut down
 * whatever happens. Returns 0; -ECHILD when the workload failed (err has
 * its exit status and the last lines of its output); -EOVERFLOW when the
 * tracer lost events (a larger buffer_kb, or a shorter workload); other
 * -errno when the machine could not run, with err saying why.
 */
int hvt_blkcapture_run(const struct hvt_blkcapture_opts *opts, struct hvt_blktrace *t,
		       struct hvt_err *err);

#endif
