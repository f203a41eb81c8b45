// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The virtio balloon suite: give RAM to a running guest or take it away
 * (QMP "balloon"), across hot-plug, power events, migration and driver
 * reloads, checking QEMU's view, the guest's view and the guest's health.
 * This file is the test type: plan keys, the scenario table, the checks
 * every scenario ends with; scenarios live in sc-*.c, steps in steps.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balloon.h"
#include "scenario.h"

struct scenario {
	const char *name;
	void (*fn)(struct bt *b);
};

static const struct scenario scenarios[] = {
	{ "evict", sc_evict },
	{ "enlarge", sc_enlarge },
	{ "stats", sc_stats },
	{ "stats_polling", sc_stats_polling },
	{ "no_device", sc_no_device },
	{ "below_min", sc_below_min },
	{ "illegal", sc_illegal },
	{ "above_max", sc_above_max },
	{ "stop_cont_evict", sc_stop_cont_evict },
	{ "stop_cont_enlarge", sc_stop_cont_enlarge },
	{ "churn_loop", sc_churn_loop },
	{ "irq", sc_irq },
	{ "two_devices_boot", sc_two_devices_boot },
	{ "two_devices_hotplug", sc_two_devices_hotplug },
	{ "unplug", sc_unplug },
	{ "plug", sc_plug },
	{ "unplug_reboot", sc_unplug_reboot },
	{ "unplug_shutdown", sc_unplug_shutdown },
	{ "plug_reboot", sc_plug_reboot },
	{ "plug_shutdown", sc_plug_shutdown },
	{ "plug_unplug_loop", sc_plug_unplug_loop },
	{ "unplug_polling", sc_unplug_polling },
	{ "reboot_inflated", sc_reboot_inflated },
	{ "shutdown_inflated", sc_shutdown_inflated },
	{ "reboot_during_evict", sc_reboot_during_evict },
	{ "reboot_during_enlarge", sc_reboot_during_enlarge },
	{ "shutdown_during_evict", sc_shutdown_during_evict },
	{ "shutdown_during_enlarge", sc_shutdown_during_enlarge },
	{ "migrate", sc_migrate },
	{ "migrate_evict", sc_migrate_evict },
	{ "migrate_enlarge", sc_migrate_enlarge },
	{ "migrate_plug", sc_migrate_plug },
	{ "migrate_unplug", sc_migrate_unplug },
	{ "migrate_loop", sc_migrate_loop },
	{ "migrate_loop_settled", sc_migrate_loop_settled },
	{ "migrate_churn", sc_migrate_churn },
	{ "driver_unload", sc_driver_unload },
	{ "driver_rebind", sc_driver_rebind },
	{ "driver_info", sc_driver_info },
	{ "s3", sc_s3 },
	{ "chaos", sc_chaos },
};

/*
 * QEMU and the agent still answer, QEMU's actual is the target, the
 * consoles are clean: checks only (this runs in cleanup), never an end.
 */
static void final_checks(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long actual;
	int rc;

	if (b->vm && !b->ended) {
		rc = hvt_vm_check_alive(b->vm, &err);
		bt_check_rc(b, "QEMU running", rc, &err, "QEMU still runs");
		if (!rc) {
			rc = hvt_qga_ping(hvt_vm_qga(b->vm), b->cmd_ms, &err);
			bt_check_rc(b, "agent answers", rc, &err, "guest-ping answered");
		}
		if (!rc && b->has_balloon && b->actual_stale) {
			hvt_case_check_skip(b->c, "final actual equals target",
					    "after a reboot at full size QEMU's actual is stale");
		} else if (!rc && b->has_balloon) {
			rc = bt_wait_actual(b, b->target, 0, b->bal_ms, &err);
			if (!rc)
				rc = bt_query_actual(b, &actual, &err);
			if (rc)
				bt_check_rc(b, "final actual equals target", rc, &err, "");
			else
				hvt_case_check(b->c, "final actual equals target",
					       actual == b->target * MIB, "%lld MiB, target %lld MiB",
					       actual / MIB, b->target);
		}
		if (!rc)
			bt_sample(b);
	}
	step_check_consoles(b->c, &b->consoles, b->oom_expected ?
			    "the scenario runs the guest out of memory" : NULL);
}

static int param_ms(struct hvt_case *c, const char *key, double dflt_s, int *out,
		    struct hvt_err *err)
{
	double s;
	int rc = hvt_case_param_double(c, key, dflt_s, &s, err);

	if (!rc && (s <= 0 || s > 86400))
		rc = hvt_err_set(err, -EINVAL, "%s = %g: seconds, more than 0", key, s);
	*out = (int)(s * 1000);
	return rc;
}

static int read_params(struct bt *b, struct hvt_err *err)
{
	struct hvt_case *c = b->c;

	b->scenario = hvt_case_param(c, "scenario", "evict");
	b->dev_id = hvt_case_param(c, "balloon_id", "balloon0");
	snprintf(b->dev_path, sizeof(b->dev_path), "/machine/peripheral/%s", b->dev_id);
	b->hotplug_addr = hvt_case_param(c, "hotplug_addr", "0x6");
	b->cpu = hvt_case_param(c, "cpu", NULL);
	if (hvt_case_param_int(c, "mem", 512, &b->mem, err) ||
	    hvt_case_param_int(c, "evict", 256, &b->evict, err) ||
	    hvt_case_param_int(c, "min_target", 32, &b->min_target, err) ||
	    hvt_case_param_int(c, "loop_iterations", 3, &b->loops, err) ||
	    hvt_case_param_int(c, "hotplug_iterations", 3, &b->hp_loops, err) ||
	    hvt_case_param_int(c, "churn_mib", 64, &b->churn_mib, err) ||
	    hvt_case_param_int(c, "stats_polling_interval", 0, &b->poll_interval, err) ||
	    hvt_case_param_double(c, "memtotal_tolerance", 4, &b->mt_tol, err) ||
	    hvt_case_param_double(c, "stats_tolerance", 16, &b->stats_tol, err) ||
	    param_ms(c, "balloon_timeout", 60, &b->bal_ms, err) ||
	    param_ms(c, "balloon_quiet", 3, &b->quiet_ms, err) ||
	    param_ms(c, "boot_timeout", 120, &b->boot_ms, err) ||
	    param_ms(c, "guest_cmd_timeout", 30, &b->cmd_ms, err) ||
	    param_ms(c, "migration_timeout", 120, &b->mig_ms, err) ||
	    param_ms(c, "stats_quiet_window", 3, &b->stats_window_ms, err) ||
	    hvt_case_param_bool(c, "balloon", true, &b->boot_balloon, err) ||
	    hvt_case_param_bool(c, "memtotal_follows", true, &b->memtotal_follows, err) ||
	    hvt_case_param_bool(c, "reboot_keeps_target", true, &b->reboot_keeps_target, err) ||
	    hvt_case_param_bool(c, "below_min_survives", true, &b->below_min_survives, err) ||
	    hvt_case_param_bool(c, "disable_legacy", false, &b->disable_legacy, err) ||
	    hvt_case_param_bool(c, "deflate_on_oom", false, &b->deflate_on_oom, err) ||
	    hvt_case_param_bool(c, "free_page_reporting", false, &b->free_page_reporting, err) ||
	    hvt_case_param_bool(c, "migrate_compare_ram", false, &b->compare_ram, err))
		return err->code;
	if (b->evict <= 0 || b->evict >= b->mem || b->min_target <= 0 || b->min_target > b->mem)
		return hvt_err_set(err, -EINVAL,
				   "need 0 < evict < mem and 0 < min_target <= mem (MiB)");
	return 0;
}

static int balloon_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	struct bt *b = hvt_zalloc(sizeof(*b));
	const char *os = hvt_case_param(c, "guest_os", "linux");
	const char *skip = hvt_case_param(c, "skip_reason", NULL);
	int rc;

	b->c = c;
	*state = b;
	if (skip) {
		hvt_case_skip(c, "%s", skip);
		return 0;
	}
	b->os = hvt_guestos_find(os);
	if (!b->os) {
		hvt_case_skip(c, "no guest-OS layer for guest_os = %s", os);
		return 0;
	}
	rc = read_params(b, err);
	if (!rc)
		rc = bt_boot(b, b->boot_balloon, err);
	if (rc) {
		/* cleanup is not called after a failed init */
		hvt_vm_free(b->vm);
		hvt_strv_release(&b->consoles);
		free(b);
		*state = NULL;
	}
	return rc;
}

static void balloon_run(struct hvt_case *c, void *state)
{
	struct bt *b = state;
	const struct scenario *sc;

	if (!b->os || c->skipped)
		return;
	sc = SCENARIO_CASE_FIND(c, scenarios, b->scenario);
	if (!sc)
		return;
	/* a step that fails a requirement ends the case: cleanup checks */
	b->ran = true;
	sc->fn(b);
}

static void balloon_cleanup(struct hvt_case *c, void *state)
{
	struct bt *b = state;

	/* the checks every scenario ends with, also after a failed step */
	if (b->ran && !c->skipped)
		final_checks(b);
	if (b->log.len && c->workdir) {
		char *path = hvt_asprintf("%s/chaos.log", c->workdir);

		if (!hvt_file_write(path, b->log.p, b->log.len, NULL))
			hvt_case_artifact(c, "chaos.log", "chaos.log");
		free(path);
	}
	hvt_buf_release(&b->log);
	hvt_vm_free(b->dst);
	hvt_vm_free(b->vm);
	hvt_strv_release(&b->consoles);
	free(b);
}

static const struct hvt_test_type balloon_type = {
	.name = "balloon",
	.summary = "virtio balloon: evict/enlarge, stats, hot-plug, power, migration, chaos",
	.init = balloon_init,
	.run = balloon_run,
	.cleanup = balloon_cleanup,
};
HVT_TEST_TYPE(balloon_type)
