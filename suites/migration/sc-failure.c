// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Migrations that fail on purpose, each followed by the checks on the
 * side that must survive it: cancel, either QEMU killed, the connection
 * cut, an incompatible destination, no convergence under a bandwidth
 * limit, postcopy interrupted and recovered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration.h"

/* What is mid-transfer: this much sent (and the migration still going). */
#define MID_TRANSFER (4 * MIB)

/* The migration that must succeed after a failed one: RAM compared. */
static void second_migration(struct mt *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	bool dst_paused = t->compare_ram && !t->src_paused;
	bool postcopy = t->postcopy;
	int rc;

	t->postcopy = false;
	mt_migrate_begin(t, "second migration", NULL, dst_paused, NULL, NULL);
	rc = hvt_migrate_finish(t->mig, t->mig_ms, &err);
	mt_record_stats(t, "second migration");
	mt_require_rc(t, "second migration: completed", rc, &err, "completed");
	mt_check_migrated(t, "second migration", dst_paused);
	t->postcopy = postcopy;
}

/* Wait for the end of the migration and check it is status; QEMU's error in the message. */
static void expect_end(struct mt *t, const char *label, const char *status)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_stats st = { .status = "" };
	char name[128];
	int rc = hvt_migrate_wait(t->mig, NULL, t->mig_ms, &err);

	if (!rc)
		rc = hvt_migrate_query(t->mig, &st, &err);
	snprintf(name, sizeof(name), "%s: migration %s", label, status);
	if (rc)
		mt_require_rc(t, name, rc, &err, "");
	hvt_case_check(t->c, name, !strcmp(st.status, status), "%s%s%s", st.status,
		       st.error[0] ? ": " : "", st.error);
}

void mt_sc_cancel(struct mt *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	int rc;

	mt_boot_source(t);
	mt_migrate_begin(t, "cancel", NULL, false, NULL, NULL);
	mt_wait_transferred(t, "cancel", MID_TRANSFER);
	rc = hvt_migrate_cancel(t->mig, 30000, &err);
	mt_record_stats(t, "cancel");
	mt_require_rc(t, "cancel: migration cancelled", rc, &err, "migrate_cancel: cancelled");
	mt_check_source_survived(t, "cancel");
	mt_check_dst_failed(t, "cancel", 30000);
	mt_drop_dst(t);
	second_migration(t);
}

void mt_sc_kill_dst(struct mt *t)
{
	mt_boot_source(t);
	mt_migrate_begin(t, "kill destination", NULL, false, NULL, NULL);
	mt_wait_transferred(t, "kill destination", MID_TRANSFER);
	hvt_vm_kill(t->dst);
	expect_end(t, "kill destination", "failed");
	mt_record_stats(t, "kill destination");
	mt_check_source_survived(t, "kill destination");
	mt_drop_dst(t);
	second_migration(t);
}

void mt_sc_kill_src(struct mt *t)
{
	mt_boot_source(t);
	mt_migrate_begin(t, "kill source", NULL, false, NULL, NULL);
	mt_wait_transferred(t, "kill source", MID_TRANSFER);
	hvt_vm_kill(t->src);
	mt_check_dst_failed(t, "kill source", 30000);
	/* nothing survives: no machine for the final checks */
	t->load_running = false;
	hvt_migrate_free(t->mig);
	t->mig = NULL;
	hvt_vm_free(t->src);
	t->src = NULL;
}

void mt_sc_cut(struct mt *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	int n = 0, rc;

	mt_boot_source(t);
	mt_migrate_begin(t, "cut", NULL, false, NULL, NULL);
	mt_wait_transferred(t, "cut", MID_TRANSFER);
	rc = hvt_migrate_cut(t->mig, &n, &err);
	hvt_case_require(t->c, "cut: connection cut", rc == 0, "%s",
			 rc ? err.msg : t->transport == HVT_MIGRATE_EXEC ?
			 "the source's transport command killed" : "its socket shut down");
	expect_end(t, "cut", "failed");
	mt_record_stats(t, "cut");
	mt_check_source_survived(t, "cut");
	mt_check_dst_failed(t, "cut", 30000);
	mt_drop_dst(t);
	second_migration(t);
}

/*
 * The destination lacks the source's device (source_device) or has
 * another RAM size (incompatible_mem): the destination refuses the state
 * and the source, told so over the return path, resumes.
 */
void mt_sc_incompatible(struct mt *t)
{
	const char *mem = hvt_case_param(t->c, "incompatible_mem", NULL);

	mt_boot_source(t);
	mt_migrate_begin(t, "incompatible", NULL, false, mem ? NULL : "", mem);
	expect_end(t, "incompatible", hvt_case_param(t->c, "incompatible_status", "failed"));
	mt_record_stats(t, "incompatible");
	mt_check_dst_failed(t, "incompatible", 30000);
	mt_check_source_survived(t, "incompatible");
	mt_drop_dst(t);
	second_migration(t);
}

/*
 * A guest that writes faster than the bandwidth limit lets its pages go.
 * Without auto-converge the migration must stay active, dirty-syncing,
 * until the harness gives up (converge_window) and cancels it: the source
 * goes on. With it, QEMU throttles the guest until it converges.
 */
void mt_sc_no_converge(struct mt *t)
{
	bool auto_converge = false, dst_paused = t->compare_ram && !t->src_paused;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_stats a, b;
	long long throttle = 0;
	int64_t deadline;
	int rc;

	for (size_t i = 0; i < t->caps.n; i++)
		auto_converge |= !strcmp(t->caps.v[i], "auto-converge");
	mt_boot_source(t);
	mt_migrate_begin(t, "no convergence", NULL, auto_converge && dst_paused, NULL, NULL);
	mt_wait_transferred(t, "no convergence", MID_TRANSFER);
	rc = hvt_migrate_query(t->mig, &a, &err);
	if (rc)
		mt_require_rc(t, "no convergence: statistics", rc, &err, "");
	deadline = hvt_now_ms() + (auto_converge ? t->mig_ms : t->converge_s * 1000);
	do {
		step_pause(t->src, 500);
		rc = hvt_migrate_query(t->mig, &b, &err);
		if (rc)
			mt_require_rc(t, "no convergence: statistics", rc, &err, "");
		if (b.cpu_throttle > throttle)
			throttle = b.cpu_throttle;
	} while (!hvt_migrate_status_final(b.status) && hvt_ms_left(deadline));
	hvt_case_metric(t->c, "cpu_throttle_max", (double)throttle, "%");
	if (auto_converge) {
		rc = hvt_migrate_finish(t->mig, t->mig_ms, &err);
		mt_record_stats(t, "auto-converge");
		mt_require_rc(t, "auto-converge: completed", rc, &err, "completed");
		hvt_case_check(t->c, "auto-converge: guest throttled", throttle > 0,
			       "cpu-throttle-percentage up to %lld%%", throttle);
		mt_check_migrated(t, "auto-converge", dst_paused);
		return;
	}
	hvt_case_check(t->c, "no convergence: still active", !strcmp(b.status, "active") &&
		       b.dirty_sync_count >= a.dirty_sync_count + 2,
		       "%s after %lld s; dirty syncs %lld -> %lld, %lld MiB remaining", b.status,
		       t->converge_s, a.dirty_sync_count, b.dirty_sync_count, b.remaining >> 20);
	rc = hvt_migrate_cancel(t->mig, 30000, &err);
	mt_record_stats(t, "no convergence");
	mt_require_rc(t, "no convergence: cancelled at the time limit", rc, &err, "cancelled");
	mt_check_source_survived(t, "no convergence");
	mt_check_dst_failed(t, "no convergence", 30000);
	mt_drop_dst(t);
}

/*
 * Postcopy interrupted (interrupt = pause: migrate-pause; cut: the
 * connection cut from outside), then resumed on a new channel with
 * migrate-recover: it must complete with every page.
 */
void mt_sc_postcopy_recover(struct mt *t)
{
	const char *how = hvt_case_param(t->c, "interrupt", "pause");
	bool dst_paused = t->compare_ram && !t->src_paused;
	struct hvt_err err = HVT_ERR_INIT;
	char msg[64];
	int rc, n = 0;

	t->postcopy = true;
	mt_boot_source(t);
	mt_migrate_begin(t, "postcopy", NULL, dst_paused, NULL, NULL);
	rc = hvt_migrate_wait(t->mig, "postcopy-active", t->mig_ms, &err);
	mt_require_rc(t, "postcopy: active", rc, &err, "postcopy-active");
	mt_wait_transferred(t, "postcopy", 2 * MID_TRANSFER);
	if (!strcmp(how, "cut")) {
		rc = hvt_migrate_cut(t->mig, &n, &err);
		snprintf(msg, sizeof(msg), "%d channel(s) cut", n);
	} else {
		rc = hvt_migrate_pause(t->mig, &err);
		snprintf(msg, sizeof(msg), "migrate-pause");
	}
	mt_require_rc(t, "postcopy: interrupted", rc, &err, msg);
	rc = hvt_migrate_recover(t->mig, 60000, &err);
	mt_require_rc(t, "postcopy: recovered", rc, &err,
		      "both paused; migrate-recover, then migrate with resume");
	rc = hvt_migrate_finish(t->mig, t->mig_ms, &err);
	mt_record_stats(t, "postcopy");
	mt_require_rc(t, "postcopy: completed after the recovery", rc, &err, "completed");
	mt_check_migrated(t, "postcopy", dst_paused);
}
