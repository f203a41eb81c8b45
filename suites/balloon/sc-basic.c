// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Balloon scenarios on one running guest: evict and enlarge, statistics,
 * illegal targets, stop/cont, a workload, interrupts, a second device.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balloon.h"

void sc_evict(struct bt *b)
{
	bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b));
}

void sc_enlarge(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		bt_balloon_set(b, "enlarge", b->mem, b->mem);
}

static const char *const stat_keys[] = {
	"stat-swap-in", "stat-swap-out", "stat-major-faults", "stat-minor-faults",
	"stat-free-memory", "stat-total-memory", "stat-available-memory",
	"stat-disk-caches", "stat-htlb-pgalloc", "stat-htlb-pgfail",
};

static void compare_stat(struct bt *b, struct json_object *stats, const char *key,
			 long long kib, const char *what)
{
	long long v = hvt_json_get_int(stats, key, -2), tol = (long long)(b->stats_tol * MIB);
	char name[96];

	snprintf(name, sizeof(name), "%s matches %s", key, what);
	if (kib < 0) {
		hvt_case_check_skip(b->c, name, "the guest reports no %s", what);
		return;
	}
	hvt_case_check(b->c, name, v >= 0 && llabs(v - kib * 1024) <= tol,
		       "%lld bytes, guest %s %lld KiB, tolerance %.0f MiB", v, what, kib,
		       b->stats_tol);
}

/* Every statistic is there as a number: a value, or -1 for one the guest does not report. */
static void check_stats_present(struct bt *b, struct json_object *stats)
{
	char name[96];

	for (size_t i = 0; i < HVT_ARRAY_SIZE(stat_keys); i++) {
		struct json_object *v = hvt_json_get(stats, stat_keys[i]);

		snprintf(name, sizeof(name), "%s present", stat_keys[i]);
		hvt_case_check(b->c, name, v && json_object_is_type(v, json_type_int) &&
			       json_object_get_int64(v) >= -1, "%s",
			       v ? json_object_to_json_string(v) : "missing");
	}
}

/*
 * Watch guest-stats over the quiet window: the last-update it moved to
 * from `last` (more than a second on, so a request in flight at the start
 * does not count), or 0 when it stood still.
 */
static long long stats_moved(struct bt *b, long long last)
{
	int64_t end = hvt_now_ms() + b->stats_window_ms;
	struct json_object *st = NULL;
	long long moved = 0;

	while (!moved && hvt_ms_left(end)) {
		step_pause(b->vm, 250);
		if (bt_get_stats(b, &st, NULL))
			break;
		if (hvt_json_get_int(st, "last-update", 0) > last + 1)
			moved = hvt_json_get_int(st, "last-update", 0);
		json_object_put(st);
		st = NULL;
	}
	return moved;
}

static void check_stats(struct bt *b, const char *label)
{
	struct json_object *st = NULL, *stats;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guestos_mem m;
	long long now = (long long)hvt_wall_now() - 1;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s: guest-stats updated", label);
	rc = bt_wait_stats_update(b, now, (int)(b->poll_interval * 1000) * 3 + b->bal_ms, &st, &err);
	bt_require_rc(b, name, rc, &err, "last-update advanced");
	rc = b->os->meminfo(b->vm, b->cmd_ms, &m, &err);
	if (!bt_check_rc(b, "guest meminfo", rc, &err, "read"))
		goto out;
	stats = hvt_json_get(st, "stats");
	check_stats_present(b, stats);
	compare_stat(b, stats, "stat-total-memory", m.total, "MemTotal");
	compare_stat(b, stats, "stat-free-memory", m.free, "MemFree");
	compare_stat(b, stats, "stat-available-memory", m.avail, "MemAvailable");
	compare_stat(b, stats, "stat-disk-caches", m.caches, "Buffers+Cached");
	hvt_case_metric(b->c, "stat_total", (double)hvt_json_get_int(stats, "stat-total-memory",
								 -1) / MIB, "MiB");
out:
	json_object_put(st);
}

void sc_stats(struct bt *b)
{
	struct json_object *st = NULL, *stats;
	struct hvt_err err = HVT_ERR_INIT;
	int rc;

	if (b->poll_interval <= 0) {
		/*
		 * Polling off: the driver primes the statistics queue with one
		 * report when it probes; QEMU keeps that report and, with no
		 * interval, never asks for another.
		 */
		struct hvt_guestos_mem m;
		long long last, moved;

		rc = bt_get_stats(b, &st, &err);
		bt_require_rc(b, "guest-stats readable", rc, &err, "read");
		stats = hvt_json_get(st, "stats");
		last = hvt_json_get_int(st, "last-update", -1);
		hvt_case_check(b->c, "driver's first report kept", last > 0, "%s",
			       json_object_to_json_string(st));
		check_stats_present(b, stats);
		/* nothing changed the guest's RAM since the report */
		rc = b->os->meminfo(b->vm, b->cmd_ms, &m, &err);
		if (bt_check_rc(b, "guest meminfo", rc, &err, "read"))
			compare_stat(b, stats, "stat-total-memory", m.total, "MemTotal");
		json_object_put(st);
		moved = stats_moved(b, last);
		hvt_case_check(b->c, "no update without polling", !moved,
			       "last-update %lld then %lld over %d ms", last, moved ? moved : last,
			       b->stats_window_ms);
		return;
	}
	check_stats(b, "full");
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		check_stats(b, "evicted");
}

static int get_interval(struct bt *b, long long *v, struct hvt_err *err)
{
	struct json_object *ret = NULL;
	int rc = hvt_vm_qmp(b->vm, &ret, err, "qom-get",
			    "{'path': %s, 'property': 'guest-stats-polling-interval'}",
			    b->dev_path);

	if (!rc)
		*v = json_object_get_int64(ret);
	json_object_put(ret);
	return rc;
}

void sc_stats_polling(struct bt *b)
{
	struct json_object *st = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	long long v = -1, last, changed = 0;
	int rc;

	/* query */
	rc = get_interval(b, &v, &err);
	bt_require_rc(b, "query interval", rc, &err, "read");
	hvt_case_check(b->c, "interval as configured", v == b->poll_interval,
		       "%lld s, configured %lld s", v, b->poll_interval);
	/* enable */
	rc = bt_set_polling(b, 1, &err);
	if (!rc)
		rc = bt_wait_stats_update(b, (long long)hvt_wall_now() - 1, b->bal_ms, &st, &err);
	bt_require_rc(b, "enable: statistics arrive", rc, &err, "last-update advanced");
	json_object_put(st);
	st = NULL;
	/* disable: last-update must stand still over the observation window */
	rc = bt_set_polling(b, 0, &err);
	if (!rc)
		rc = get_interval(b, &v, &err);
	bt_require_rc(b, "disable", rc, &err, "interval set to 0");
	hvt_case_check(b->c, "interval reads 0", v == 0, "%lld", v);
	/* a request may have been in flight: take the value after one */
	rc = bt_get_stats(b, &st, &err);
	bt_require_rc(b, "guest-stats readable", rc, &err, "read");
	last = hvt_json_get_int(st, "last-update", 0);
	json_object_put(st);
	st = NULL;
	changed = stats_moved(b, last);
	hvt_case_check(b->c, "disable: statistics stop", !changed,
		       "last-update %lld then %lld over %d ms", last, changed ? changed : last,
		       b->stats_window_ms);
	/* enable again */
	rc = bt_set_polling(b, b->poll_interval > 0 ? b->poll_interval : 1, &err);
	if (!rc)
		rc = bt_wait_stats_update(b, last + 1, b->bal_ms, &st, &err);
	bt_require_rc(b, "re-enable: statistics arrive", rc, &err, "last-update advanced");
	json_object_put(st);
	bt_set_polling(b, b->poll_interval, NULL);
}

void sc_no_device(struct bt *b)
{
	bt_check_no_balloon(b, "no device");
	bt_check_memtotal(b, "no device", b->mem);
}

void sc_below_min(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long actual = 0;
	double after;
	int rc = bt_balloon_send(b, b->min_target, &after, &err);

	bt_require_rc(b, "below minimum: balloon accepted", rc, &err, "accepted");
	b->target = b->min_target;
	rc = bt_wait_quiet(b, b->bal_ms * 4, &actual, &err);
	bt_require_rc(b, "below minimum: balloon settles", rc, &err, "no more BALLOON_CHANGE");
	hvt_case_metric(b->c, "below_min_reached", (double)actual / MIB, "MiB");
	hvt_case_metric(b->c, "target", (double)b->target, "MiB");
	hvt_case_metric(b->c, "actual", (double)actual / MIB, "MiB");
	hvt_case_check(b->c, "below minimum: outcome", actual >= b->min_target * MIB &&
		       actual <= b->mem * MIB, "asked %lld MiB, the guest gave up to %lld MiB",
		       b->min_target, actual / MIB);
	rc = hvt_qga_ping(hvt_vm_qga(b->vm), b->cmd_ms, &err);
	if (rc && !b->below_min_survives) {
		/* without deflate-on-oom nothing gives pages back: the guest may starve */
		b->ended = b->oom_expected = true;
		hvt_case_metric(b->c, "below_min_survived", 0, "");
		hvt_case_check(b->c, "below minimum: guest out of memory",
			       bt_console_shows(b, "Out of memory", b->cmd_ms),
			       "the agent stopped answering; the console must show the OOM killer");
		rc = hvt_vm_check_alive(b->vm, &err);
		bt_require_rc(b, "below minimum: QEMU running", rc, &err, "QEMU still runs");
		return;
	}
	hvt_case_metric(b->c, "below_min_survived", rc ? 0 : 1, "");
	bt_require_rc(b, "below minimum: agent answers", rc, &err, "guest-ping answered");
	rc = hvt_vm_check_alive(b->vm, &err);
	bt_require_rc(b, "below minimum: QEMU running", rc, &err, "QEMU still runs");
	bt_balloon_set(b, "recover", b->mem, b->mem);
}

/* A balloon command that must be refused, leaving the balloon where it is. */
static void expect_refused(struct bt *b, const char *label, struct json_object *value)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long actual = -1;
	char name[128];
	int rc = hvt_vm_qmp(b->vm, NULL, &err, "balloon", "{'value': %p}", (void *)value);

	snprintf(name, sizeof(name), "%s: refused", label);
	hvt_case_check(b->c, name, rc == -EREMOTEIO, "%s%s%s", rc ? err.cls : "accepted",
		       rc ? ": " : "", rc ? err.msg : "");
	bt_query_actual(b, &actual, NULL);
	snprintf(name, sizeof(name), "%s: balloon unchanged", label);
	hvt_case_check(b->c, name, actual == b->target * MIB, "actual %lld MiB, target %lld MiB",
		       actual / MIB, b->target);
}

void sc_illegal(struct bt *b)
{
	if (!bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		return;
	expect_refused(b, "zero", json_object_new_int(0));
	expect_refused(b, "negative", json_object_new_int(-1048576));
	expect_refused(b, "non-numeric", json_object_new_string("lots"));
	expect_refused(b, "fraction", json_object_new_double(0.5));
	/* QEMU clamps a target above the machine's RAM to the RAM size */
	bt_balloon_set(b, "absurdly large (clamped)", 1LL << 42, b->mem);
}

void sc_above_max(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		bt_balloon_set(b, "above maximum (clamped)", b->mem + 1024, b->mem);
}

static void stop_cont(struct bt *b, const char *label, long long from, long long to)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	long long a1 = -1, a2 = -2, lo = from < to ? from : to, hi = from < to ? to : from;
	double after;
	char name[128];
	int rc = bt_balloon_send(b, to, &after, &err);

	if (!rc)
		rc = hvt_vm_pause(b->vm, &err);
	if (!rc)
		rc = bt_query_actual(b, &a1, &err);
	if (!rc)
		rc = bt_query_actual(b, &a2, &err);
	snprintf(name, sizeof(name), "%s: stopped mid-change", label);
	bt_require_rc(b, name, rc, &err, "balloon, stop");
	hvt_case_metric(b->c, "actual_at_stop", (double)a1 / MIB, "MiB");
	snprintf(name, sizeof(name), "%s: actual within the change while stopped", label);
	hvt_case_check(b->c, name, a1 == a2 && a1 >= lo * MIB && a1 <= hi * MIB,
		       "%lld MiB at stop, %lld MiB later; change %lld -> %lld MiB", a1 / MIB,
		       a2 / MIB, from, to);
	rc = hvt_vm_cont(b->vm, &err);
	snprintf(name, sizeof(name), "%s: cont", label);
	bt_require_rc(b, name, rc, &err, "RESUME");
	bt_balloon_finish(b, label, to, after, t0);
}

void sc_stop_cont_evict(struct bt *b)
{
	stop_cont(b, "evict", b->mem, bt_evict_target(b));
}

void sc_stop_cont_enlarge(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		stop_cont(b, "enlarge", bt_evict_target(b), b->mem);
}

static bool churn_step(struct bt *b, long long n)
{
	char l[64];

	snprintf(l, sizeof(l), "loop %lld evict", n);
	if (!bt_balloon_set(b, l, bt_evict_target(b), bt_evict_target(b)))
		return false;
	snprintf(l, sizeof(l), "loop %lld enlarge", n);
	bt_balloon_set(b, l, b->mem, b->mem);
	return true;
}

void sc_churn_loop(struct bt *b)
{
	bt_with_churn(b, churn_step);
}

void sc_irq(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	unsigned long long n0 = 0, n1 = 0;
	int rc = b->os->balloon_irqs(b->vm, b->cmd_ms, &n0, &err);

	bt_require_rc(b, "balloon interrupts listed", rc, &err, "found in /proc/interrupts");
	if (!bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		return;
	rc = b->os->balloon_irqs(b->vm, b->cmd_ms, &n1, &err);
	bt_require_rc(b, "balloon interrupts read again", rc, &err, "read");
	hvt_case_metric(b->c, "balloon_irqs", (double)(n1 - n0), "");
	hvt_case_check(b->c, "balloon interrupts increase", n1 > n0, "%llu before, %llu after",
		       n0, n1);
}

void sc_two_devices_boot(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm *vm = bt_new_vm(b, true, false, "virtio-balloon-pci,id=balloon-second", &err);
	int rc = vm ? hvt_vm_start(vm, &err) : err.code;

	hvt_case_check(b->c, "second balloon at boot refused",
		       rc && strstr(err.msg, "Only one balloon device is supported"),
		       "%s", rc ? err.msg : "QEMU started with two balloons");
	hvt_vm_free(vm);
	/* the machine under test, with one balloon, is fine */
	bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b));
}

void sc_two_devices_hotplug(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	int rc = hvt_vm_qmp(b->vm, NULL, &err, "device_add",
			    "{'driver': 'virtio-balloon-pci', 'id': 'balloon-second'}");

	hvt_case_check(b->c, "second balloon hot-plug refused",
		       rc == -EREMOTEIO && strstr(err.msg, "Only one balloon device is supported"),
		       "%s", rc ? err.msg : "accepted");
	bt_wait_guest_balloon(b, "first device", true, true);
	bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b));
}
