// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Balloon scenarios with live migration between two local QEMUs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balloon.h"

void sc_migrate(struct bt *b)
{
	if (bt_migrate(b, "migrate"))
		bt_check_migrated(b, "migrate");
}

void sc_migrate_evict(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)) && bt_migrate(b, "migrate"))
		bt_check_migrated(b, "migrate");
}

void sc_migrate_enlarge(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)) &&
	    bt_balloon_set(b, "enlarge", b->mem, b->mem) && bt_migrate(b, "migrate"))
		bt_check_migrated(b, "migrate");
}

void sc_migrate_plug(struct bt *b)
{
	if (bt_plug(b, "plug") && bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)) &&
	    bt_migrate(b, "migrate"))
		bt_check_migrated(b, "migrate");
}

void sc_migrate_unplug(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)) && bt_unplug(b, "unplug") &&
	    bt_migrate(b, "migrate"))
		bt_check_migrated(b, "migrate");
}

/* Migration n of a loop, and the checks after it. */
static bool migrate_step(struct bt *b, long long n)
{
	char l[64];

	snprintf(l, sizeof(l), "loop %lld migrate", n);
	if (!bt_migrate(b, l))
		return false;
	bt_check_migrated(b, l);
	return true;
}

/*
 * Evict, migrate, enlarge, migrate...: with `settled` each change has
 * finished before the migration starts (the control for the same loop
 * with the balloon moving while the guest's RAM is copied).
 */
static void migrate_loop(struct bt *b, bool settled)
{
	for (long long i = 0; i < b->loops; i++) {
		struct hvt_err err = HVT_ERR_INIT;
		long long to = i % 2 ? b->mem : bt_evict_target(b);
		double after;
		char l[64];
		int rc;

		snprintf(l, sizeof(l), "loop %lld balloon %lld MiB", i + 1, to);
		if (settled) {
			if (!bt_balloon_set(b, l, to, to))
				break;
		} else {
			rc = bt_balloon_send(b, to, &after, &err);
			bt_require_rc(b, l, rc, &err, "accepted");
		}
		b->target = to;
		if (!migrate_step(b, i + 1))
			break;
	}
}

void sc_migrate_loop(struct bt *b)
{
	migrate_loop(b, false);
}

void sc_migrate_loop_settled(struct bt *b)
{
	migrate_loop(b, true);
}

/*
 * The second control: migrations of a guest kept busy by the churn
 * workload (memory written all the time), with the balloon left alone.
 */
void sc_migrate_churn(struct bt *b)
{
	bt_with_churn(b, migrate_step);
}
