/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the balloon suite's files share: the case's state (plan keys and
 * what the scenario has done so far), its steps and its scenarios.
 */
#ifndef HVT_SUITE_BALLOON_H
#define HVT_SUITE_BALLOON_H

#include <stdbool.h>

#include "hvtest.h"
#include "steps.h"

#define MIB (1024LL * 1024LL)

struct bt {
	struct hvt_case *c;
	const struct hvt_guestos *os;
	struct hvt_vm *vm;        /* the machine under test */
	struct hvt_strv consoles; /* console logs of every machine started */
	int nvm;

	/* plan keys */
	const char *scenario, *dev_id;
	long long mem, evict, min_target, loops, hp_loops, churn_mib, poll_interval;
	double mt_tol, stats_tol;
	int bal_ms, quiet_ms, boot_ms, cmd_ms, mig_ms, stats_window_ms;
	bool boot_balloon, memtotal_follows, reboot_keeps_target, below_min_survives;
	bool disable_legacy, deflate_on_oom, free_page_reporting;
	bool compare_ram; /* compare guest RAM after each migration */
	const char *hotplug_addr;
	const char *cpu;    /* -cpu model, NULL: vm's default */
	char dev_path[160]; /* QOM path of the balloon device */

	/* state */
	bool has_balloon;
	const char *dev_addr; /* addr= of the device, NULL for the default */
	long long target;     /* MiB the balloon should be at */
	long long base_total; /* guest MemTotal (KiB) with the balloon empty */
	bool ended;           /* the scenario ended QEMU or the guest on purpose */
	bool actual_stale;    /* QEMU's actual is known not to follow (see docs) */
	bool oom_expected;    /* the scenario starves the guest: OOM on the console */
	bool ran;             /* the scenario started: the final checks are due */
	struct hvt_vm *dst;   /* a migration's destination until it takes over */
	struct hvt_buf log;   /* sc_chaos's steps so far (chaos.log) */
};

/* steps.c */
/* Record a check that fails with err's message when rc is not 0; true when it passed. */
bool bt_check_rc(struct bt *b, const char *name, int rc, const struct hvt_err *err,
                 const char *okmsg);
/*
 * The same as a requirement: when rc is not 0 the case ends there
 * (hvt_case_require()); cleanup still makes the final checks.
 */
void bt_require_rc(struct bt *b, const char *name, int rc, const struct hvt_err *err,
                   const char *okmsg);
struct hvt_vm *bt_new_vm(struct bt *b, bool balloon, bool incoming, const char *extra_dev,
                         struct hvt_err *err);
int bt_set_polling(struct bt *b, long long interval, struct hvt_err *err);
int bt_query_actual(struct bt *b, long long *bytes, struct hvt_err *err);
void bt_sample(struct bt *b);
int bt_boot(struct bt *b, bool balloon, struct hvt_err *err);
int bt_wait_actual(struct bt *b, long long expect_mib, double after, int timeout_ms,
                   struct hvt_err *err);
int bt_wait_quiet(struct bt *b, int timeout_ms, long long *actual, struct hvt_err *err);
bool bt_check_memtotal(struct bt *b, const char *label, long long mib);
int bt_balloon_send(struct bt *b, long long target_mib, double *after, struct hvt_err *err);
bool bt_balloon_finish(struct bt *b, const char *label, long long expect_mib, double after,
                       int64_t t0_ms);
bool bt_balloon_set(struct bt *b, const char *label, long long target_mib, long long expect_mib);
long long bt_evict_target(struct bt *b);
bool bt_wait_guest_balloon(struct bt *b, const char *label, bool present, bool bound);
void bt_check_no_balloon(struct bt *b, const char *label);
bool bt_unplug(struct bt *b, const char *label);
bool bt_plug(struct bt *b, const char *label);
bool bt_reboot(struct bt *b, const char *label, bool hard);
void bt_check_after_reboot(struct bt *b, const char *label, long long before);
bool bt_shutdown(struct bt *b, const char *label);
bool bt_migrate(struct bt *b, const char *label);
bool bt_check_migrated(struct bt *b, const char *label);
bool bt_console_shows(struct bt *b, const char *text, int timeout_ms);
void bt_with_churn(struct bt *b, bool (*step)(struct bt *b, long long n));
int bt_get_stats(struct bt *b, struct json_object **st, struct hvt_err *err);
int bt_wait_stats_update(struct bt *b, long long after, int timeout_ms, struct json_object **st,
                         struct hvt_err *err);

/* sc-basic.c */
void sc_evict(struct bt *b);
void sc_enlarge(struct bt *b);
void sc_stats(struct bt *b);
void sc_stats_polling(struct bt *b);
void sc_no_device(struct bt *b);
void sc_below_min(struct bt *b);
void sc_illegal(struct bt *b);
void sc_above_max(struct bt *b);
void sc_stop_cont_evict(struct bt *b);
void sc_stop_cont_enlarge(struct bt *b);
void sc_churn_loop(struct bt *b);
void sc_irq(struct bt *b);
void sc_two_devices_boot(struct bt *b);
void sc_two_devices_hotplug(struct bt *b);

/* sc-hotplug.c */
void sc_unplug(struct bt *b);
void sc_plug(struct bt *b);
void sc_unplug_reboot(struct bt *b);
void sc_unplug_shutdown(struct bt *b);
void sc_plug_reboot(struct bt *b);
void sc_plug_shutdown(struct bt *b);
void sc_plug_unplug_loop(struct bt *b);
void sc_unplug_polling(struct bt *b);

/* sc-power.c */
void sc_reboot_inflated(struct bt *b);
void sc_shutdown_inflated(struct bt *b);
void sc_reboot_during_evict(struct bt *b);
void sc_reboot_during_enlarge(struct bt *b);
void sc_shutdown_during_evict(struct bt *b);
void sc_shutdown_during_enlarge(struct bt *b);
void sc_s3(struct bt *b);

/* sc-migrate.c */
void sc_migrate(struct bt *b);
void sc_migrate_evict(struct bt *b);
void sc_migrate_enlarge(struct bt *b);
void sc_migrate_plug(struct bt *b);
void sc_migrate_unplug(struct bt *b);
void sc_migrate_loop(struct bt *b);
void sc_migrate_loop_settled(struct bt *b);
void sc_migrate_churn(struct bt *b);

/* sc-driver.c */
void sc_driver_reload(struct bt *b, bool rebind);
void sc_driver_unload(struct bt *b);
void sc_driver_rebind(struct bt *b);
void sc_driver_info(struct bt *b);
void sc_chaos(struct bt *b);

#endif
