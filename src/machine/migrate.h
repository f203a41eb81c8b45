/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live migration between two QEMU processes on this host, over a unix
 * socket: the destination waits with "-incoming defer".
 */
#ifndef HVT_MIGRATE_H
#define HVT_MIGRATE_H

#include "vm.h"

struct hvt_migrate_stats {
	double total_ms;	/* migrate command to the destination running */
	long long downtime_ms;	/* as QEMU reports it, or -1 */
};

/*
 * Migrate the running src to dst (started with cfg.incoming = "defer"),
 * through the unix socket at sock_path. Waits for the source's MIGRATION
 * event "completed", then for the destination's RESUME or, when dst was
 * started paused (cfg.paused, and `paused` says so), for it to hold the
 * migrated state, within timeout_ms. The source is left stopped ("postmigrate"); the caller
 * quits it.
 */
int hvt_migrate_run(struct hvt_vm *src, struct hvt_vm *dst, bool paused, const char *sock_path,
		    int timeout_ms, struct hvt_migrate_stats *st, struct hvt_err *err);

/*
 * After hvt_migrate_run() into a paused destination: save the guest RAM
 * of both machines (the first `bytes` of guest-physical memory) into dir
 * with pmemsave and compare them page by page (4 KiB). *ndiff is the
 * number of pages that differ; the guest-physical addresses of the first
 * up to nfirst of them go to first[]. The saved images are removed.
 */
int hvt_migrate_compare_ram(struct hvt_vm *src, struct hvt_vm *dst, uint64_t bytes,
			    const char *dir, long *ndiff, uint64_t *first, int nfirst,
			    struct hvt_err *err);

#endif
