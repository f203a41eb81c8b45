/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live migration between two QEMU processes on this host, over a unix
 * socket: the destination waits with "-incoming defer".
 */
#ifndef HVT_MIGRATE_H
#define HVT_MIGRATE_H

#include "hvtest.h"

struct hvt_migrate_stats {
	double total_ms;	/* migrate command to the destination running */
	long long downtime_ms;	/* as QEMU reports it, or -1 */
};

/*
 * Migrate the running src to dst (started with cfg.incoming = "defer"),
 * through the unix socket at sock_path. Waits for the source's MIGRATION
 * event "completed" and the destination's RESUME, within timeout_ms.
 * The source is left stopped ("postmigrate"); the caller quits it.
 */
int hvt_migrate_run(struct hvt_vm *src, struct hvt_vm *dst, const char *sock_path,
		    int timeout_ms, struct hvt_migrate_stats *st, struct hvt_err *err);

#endif
