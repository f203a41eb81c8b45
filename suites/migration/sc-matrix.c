// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The matrix scenario: one migration as the plan's keys describe it, and
 * every check after it. A combination QEMU does not support (expect_error)
 * must be refused with that error, the source going on.
 */
#include <stdio.h>
#include <string.h>

#include "migration.h"

/* The migration must fail with expect_error in its message; the source goes on. */
static void refused(struct mt *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_opts o;
	int rc;

	mt_opts(t, &o);
	rc = mt_try_migrate(t, &o, true, &err);
	hvt_case_check(t->c, "migrate: refused", rc && strstr(err.msg, t->expect_error), "%s",
		       rc ? err.msg : "the migration completed");
	mt_check_source_survived(t, "migrate");
}

void mt_sc_migrate(struct mt *t)
{
	bool dst_paused = t->compare_ram && !t->src_paused;
	struct hvt_err err = HVT_ERR_INIT;
	char label[32], name[64];
	int rc;

	mt_boot_source(t);
	if (t->expect_error) {
		refused(t);
		return;
	}
	/*
	 * rounds: the destination of one migration is the source of the
	 * next, until one loses a page (a loss that is not certain shows in
	 * one of them)
	 */
	for (long long r = 1; r <= t->rounds; r++) {
		if (t->rounds > 1)
			snprintf(label, sizeof(label), "migrate %lld", r);
		else
			snprintf(label, sizeof(label), "migrate");
		mt_migrate_begin(t, label, NULL, dst_paused, NULL, NULL);
		rc = hvt_migrate_finish(t->mig, t->mig_ms, &err);
		mt_record_stats(t, label);
		snprintf(name, sizeof(name), "%s: completed", label);
		mt_require_rc(t, name, rc, &err, "completed, the destination has the state");
		if (mt_check_migrated(t, label, dst_paused) > 0)
			break;
	}
	mt_load_stop(t, t->src, "migrate: ");
}
