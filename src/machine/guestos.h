/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the balloon suite asks of a guest operating system, behind one
 * table of operations: a Linux implementation, room for a Windows one.
 */
#ifndef HVT_GUESTOS_H
#define HVT_GUESTOS_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

/* The guest's view of its memory, in KiB (-1: not reported). */
struct hvt_guestos_mem {
	long long total;	/* usable RAM (Linux: MemTotal) */
	long long free;		/* unused RAM (MemFree) */
	long long avail;	/* available without swapping (MemAvailable) */
	long long caches;	/* page cache (Buffers + Cached) */
};

/*
 * Guest operations. Every one runs through the guest agent of vm, takes
 * timeout_ms for the guest command, returns 0 or -errno with err set.
 */
struct hvt_guestos {
	const char *name;
	int (*meminfo)(struct hvt_vm *vm, int timeout_ms, struct hvt_guestos_mem *m,
		       struct hvt_err *err);
	/* Interrupts the balloon device has raised so far (all its vectors). */
	int (*balloon_irqs)(struct hvt_vm *vm, int timeout_ms, unsigned long long *n,
			    struct hvt_err *err);
	/* *present: a balloon device on the guest's bus; *bound: its driver runs. */
	int (*balloon_state)(struct hvt_vm *vm, int timeout_ms, bool *present, bool *bound,
			     struct hvt_err *err);
	/* Unload / load the balloon driver. */
	int (*driver_unload)(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err);
	int (*driver_load)(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err);
	/* Detach the driver from the device and attach it again. */
	int (*driver_unbind)(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err);
	int (*driver_bind)(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err);
	/*
	 * The driver's identity as "key=value" lines (caller frees): at least
	 * version (the kernel's for in-tree drivers), license and signed
	 * (yes/no).
	 */
	int (*driver_info)(struct hvt_vm *vm, int timeout_ms, char **info,
			   struct hvt_err *err);
	/* Start / stop a background job that allocates, touches and frees mib MiB in a loop. */
	int (*churn_start)(struct hvt_vm *vm, int timeout_ms, long long mib,
			   struct hvt_err *err);
	int (*churn_stop)(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err);
	/* Whether the guest can suspend to RAM (S3); *why says why not (static). */
	int (*can_suspend)(struct hvt_vm *vm, int timeout_ms, bool *can, const char **why,
			   struct hvt_err *err);
};

/* The implementation for os ("linux"), or NULL when there is none. */
const struct hvt_guestos *hvt_guestos_find(const char *os);

#endif
