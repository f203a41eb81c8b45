// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The balloon suite's steps: its machines, balloon changes and how they
 * settle, hot-plug, reboot, shutdown and migration, each recording checks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balloon.h"

bool bt_check_rc(struct bt *b, const char *name, int rc, const struct hvt_err *err,
		 const char *okmsg)
{
	return hvt_case_check(b->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

void bt_require_rc(struct bt *b, const char *name, int rc, const struct hvt_err *err,
		   const char *okmsg)
{
	hvt_case_require(b->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

static void dev_props(struct bt *b, struct hvt_buf *spec)
{
	if (b->disable_legacy)
		hvt_buf_addf(spec, ",disable-legacy=on");
	if (b->deflate_on_oom)
		hvt_buf_addf(spec, ",deflate-on-oom=on");
	if (b->free_page_reporting)
		hvt_buf_addf(spec, ",free-page-reporting=on");
}

/*
 * A new machine (not started) named mN, its work dir inside the case's.
 * extra_dev: one more -device spec, or NULL.
 */
struct hvt_vm *bt_new_vm(struct bt *b, bool balloon, bool incoming, const char *extra_dev,
			 struct hvt_err *err)
{
	const char *devs[3] = { NULL, NULL, NULL };
	struct hvt_buf spec = HVT_BUF_INIT;
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;
	char name[16];
	int n = 0;

	snprintf(name, sizeof(name), "m%d", b->nvm++);
	hvt_vm_config_init(&cfg);
	cfg.name = name;
	cfg.mem_mib = (uint64_t)b->mem;
	cfg.cpu = b->cpu;
	if (balloon) {
		hvt_buf_addf(&spec, "virtio-balloon-pci,id=%s", b->dev_id);
		if (b->dev_addr)
			hvt_buf_addf(&spec, ",addr=%s", b->dev_addr);
		dev_props(b, &spec);
		devs[n++] = spec.p;
	}
	devs[n] = extra_dev;
	cfg.devices = devs;
	cfg.incoming = incoming ? "defer" : NULL;
	cfg.paused = incoming && b->compare_ram;
	vm = step_vm_new(b->c, &cfg, &b->consoles, err);
	hvt_buf_release(&spec);
	return vm;
}

int bt_set_polling(struct bt *b, long long interval, struct hvt_err *err)
{
	return hvt_vm_qmp(b->vm, NULL, err, "qom-set",
			  "{'path': %s, 'property': 'guest-stats-polling-interval', "
			  "'value': %lld}", b->dev_path, interval);
}

/* The balloon's size as QEMU sees it ("actual"), in bytes. */
int bt_query_actual(struct bt *b, long long *bytes, struct hvt_err *err)
{
	struct json_object *ret = NULL;
	int rc = hvt_vm_qmp(b->vm, &ret, err, "query-balloon", NULL);

	if (!rc)
		*bytes = hvt_json_get_int(ret, "actual", -1);
	json_object_put(ret);
	return rc;
}

/* One point of the memory time series: target, QMP actual, guest MemTotal and free. */
void bt_sample(struct bt *b)
{
	struct hvt_guestos_mem m;
	long long actual;

	hvt_case_metric(b->c, "target", (double)b->target, "MiB");
	if (b->has_balloon && !bt_query_actual(b, &actual, NULL))
		hvt_case_metric(b->c, "actual", (double)actual / MIB, "MiB");
	if (!b->os->meminfo(b->vm, b->cmd_ms, &m, NULL)) {
		hvt_case_metric(b->c, "guest_memtotal", (double)m.total / 1024, "MiB");
		hvt_case_metric(b->c, "guest_free", (double)m.free / 1024, "MiB");
	}
}

/* Boot a machine with or without the balloon and wait for its agent. */
int bt_boot(struct bt *b, bool balloon, struct hvt_err *err)
{
	struct hvt_guestos_mem m;
	int64_t t0 = hvt_now_ms();
	int rc;

	b->vm = bt_new_vm(b, balloon, false, NULL, err);
	if (!b->vm)
		return err->code;
	rc = hvt_vm_start(b->vm, err);
	if (!rc)
		rc = hvt_vm_wait_agent(b->vm, b->boot_ms, err);
	if (rc)
		return rc;
	hvt_case_metric(b->c, "boot", (double)(hvt_now_ms() - t0), "ms");
	b->has_balloon = balloon;
	b->target = b->mem;
	if (balloon && b->poll_interval > 0) {
		rc = bt_set_polling(b, b->poll_interval, err);
		if (rc)
			return rc;
	}
	rc = b->os->meminfo(b->vm, b->cmd_ms, &m, err);
	if (rc)
		return rc;
	b->base_total = m.total;
	bt_sample(b);
	return 0;
}

struct change_pred {
	double after;
	long long bytes;
};

static bool change_matches(const struct hvt_qmp_event *ev, void *opaque)
{
	const struct change_pred *p = opaque;

	return hvt_qmp_event_since(ev, (void *)&p->after) &&
	       hvt_json_get_int(ev->data, "actual", -1) == p->bytes;
}

/*
 * Wait until QEMU's actual is expect_mib: for the BALLOON_CHANGE event
 * stamped after `after` that says so, unless it is so already.
 */
int bt_wait_actual(struct bt *b, long long expect_mib, double after, int timeout_ms,
		       struct hvt_err *err)
{
	struct change_pred p = { after, expect_mib * MIB };
	struct hvt_qmp_event *ev = NULL;
	long long actual;
	int rc = bt_query_actual(b, &actual, err);

	if (rc || actual == p.bytes)
		return rc;
	rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "BALLOON_CHANGE", change_matches, &p,
				timeout_ms, &ev, err);
	hvt_qmp_event_free(ev);
	if (rc == -ETIMEDOUT && !bt_query_actual(b, &actual, NULL))
		hvt_err_set(err, -ETIMEDOUT, "actual is %lld MiB, not %lld MiB, after %d ms",
			    actual / MIB, expect_mib, timeout_ms);
	return rc;
}

/* Wait for BALLOON_CHANGE events to stop (none for quiet_ms); the final actual. */
int bt_wait_quiet(struct bt *b, int timeout_ms, long long *actual, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;

	for (;;) {
		struct hvt_qmp_event *ev = NULL;
		int rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "BALLOON_CHANGE", NULL,
					    NULL, b->quiet_ms, &ev, err);

		hvt_qmp_event_free(ev);
		if (rc == -ETIMEDOUT)
			break;
		if (rc)
			return rc;
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT, "the balloon kept moving for %d ms",
					   timeout_ms);
	}
	hvt_err_clear(err);
	return bt_query_actual(b, actual, err);
}

/* The guest's MemTotal (KiB) expected with the balloon at mib. */
static long long expected_total(struct bt *b, long long mib)
{
	if (!b->memtotal_follows)
		return b->base_total;
	return b->base_total - (b->mem - mib) * 1024;
}

/* Poll the guest until MemTotal is what a balloon at mib implies; check it. */
bool bt_check_memtotal(struct bt *b, const char *label, long long mib)
{
	long long want = expected_total(b, mib), tol = (long long)(b->mt_tol * 1024);
	int64_t deadline = hvt_now_ms() + b->bal_ms;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guestos_mem m = { -1, -1, -1, -1 };
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s: guest MemTotal", label);
	for (;;) {
		rc = b->os->meminfo(b->vm, b->cmd_ms, &m, &err);
		if (rc || llabs(m.total - want) <= tol || !hvt_ms_left(deadline))
			break;
		step_pause(b->vm, 100);
	}
	if (rc)
		bt_require_rc(b, name, rc, &err, "");
	return hvt_case_check(b->c, name, llabs(m.total - want) <= tol,
			      "%lld KiB, expected %lld KiB +- %lld (balloon at %lld of %lld MiB%s)",
			      m.total, want, tol, mib, b->mem,
			      b->memtotal_follows ? "" : ", MemTotal does not follow");
}

/* Send the balloon command; *after gets the wall-clock time before it. */
int bt_balloon_send(struct bt *b, long long target_mib, double *after, struct hvt_err *err)
{
	*after = hvt_wall_now();
	return hvt_vm_qmp(b->vm, NULL, err, "balloon", "{'value': %lld}", target_mib * MIB);
}

/*
 * The second half of a change: wait for actual == expect_mib, check it,
 * record the settle time, check MemTotal, record a sample.
 */
bool bt_balloon_finish(struct bt *b, const char *label, long long expect_mib, double after,
			   int64_t t0_ms)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s: actual %lld MiB", label, expect_mib);
	rc = bt_wait_actual(b, expect_mib, after, b->bal_ms, &err);
	if (!rc) {
		char msg[128];
		double ms = (double)(hvt_now_ms() - t0_ms);

		hvt_case_metric(b->c, "settle", ms, "ms");
		snprintf(msg, sizeof(msg), "BALLOON_CHANGE to %lld MiB after %.0f ms",
			 expect_mib, ms);
		bt_require_rc(b, name, 0, &err, msg);
	} else {
		bt_require_rc(b, name, rc, &err, "");
	}
	b->target = expect_mib;
	if (rc)
		return false;
	rc = bt_check_memtotal(b, label, expect_mib);
	bt_sample(b);
	return rc;
}

/* Change the balloon to target_mib and check it lands at expect_mib. */
bool bt_balloon_set(struct bt *b, const char *label, long long target_mib,
			long long expect_mib)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	double after;
	char name[128];
	int rc = bt_balloon_send(b, target_mib, &after, &err);

	if (rc) {
		snprintf(name, sizeof(name), "%s: balloon %lld MiB", label, target_mib);
		bt_require_rc(b, name, rc, &err, "");
	}
	return bt_balloon_finish(b, label, expect_mib, after, t0);
}

long long bt_evict_target(struct bt *b)
{
	return b->mem - b->evict;
}

/* Poll the guest until its balloon state is (present, bound); check it. */
bool bt_wait_guest_balloon(struct bt *b, const char *label, bool present, bool bound)
{
	int64_t deadline = hvt_now_ms() + b->bal_ms;
	struct hvt_err err = HVT_ERR_INIT;
	bool p = !present, d = !bound;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s: guest sees the balloon %s", label,
		 present ? (bound ? "with its driver" : "without driver") : "gone");
	for (;;) {
		rc = b->os->balloon_state(b->vm, b->cmd_ms, &p, &d, &err);
		if (rc || (p == present && d == bound) || !hvt_ms_left(deadline))
			break;
		step_pause(b->vm, 100);
	}
	if (rc)
		bt_require_rc(b, name, rc, &err, "");
	return hvt_case_check(b->c, name, p == present && d == bound,
			      "device %s, driver %s", p ? "present" : "absent",
			      d ? "bound" : "not bound");
}

/* Balloon commands must fail with DeviceNotActive: there is no balloon. */
void bt_check_no_balloon(struct bt *b, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	double after;
	char name[128];
	int rc = bt_balloon_send(b, bt_evict_target(b), &after, &err);

	snprintf(name, sizeof(name), "%s: balloon refused", label);
	hvt_case_check(b->c, name, rc == -EREMOTEIO && !strcmp(err.cls, "DeviceNotActive"),
		       "%s: %s", rc ? err.cls : "accepted", rc ? err.msg : "");
	hvt_err_clear(&err);
	rc = hvt_vm_qmp(b->vm, NULL, &err, "query-balloon", NULL);
	snprintf(name, sizeof(name), "%s: query-balloon refused", label);
	hvt_case_check(b->c, name, rc == -EREMOTEIO && !strcmp(err.cls, "DeviceNotActive"),
		       "%s: %s", rc ? err.cls : "accepted", rc ? err.msg : "");
}

bool bt_unplug(struct bt *b, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	char name[128];
	int rc;

	rc = step_device_del(b->vm, b->dev_id, b->bal_ms, &err);
	snprintf(name, sizeof(name), "%s: DEVICE_DELETED", label);
	bt_require_rc(b, name, rc, &err, "device_del, then DEVICE_DELETED");
	hvt_case_metric(b->c, "unplug", (double)(hvt_now_ms() - t0), "ms");
	b->has_balloon = false;
	b->target = b->mem;
	b->dev_addr = NULL;
	if (!bt_wait_guest_balloon(b, label, false, false))
		return false;
	bt_check_no_balloon(b, label);
	bt_sample(b);
	return true;
}

bool bt_plug(struct bt *b, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	char name[128];
	int rc;

	rc = hvt_vm_qmp(b->vm, NULL, &err, "device_add",
			"{'driver': 'virtio-balloon-pci', 'id': %s, 'addr': %s, "
			"'disable-legacy': %s, 'deflate-on-oom': %p, 'free-page-reporting': %p}",
			b->dev_id, b->hotplug_addr, b->disable_legacy ? "on" : "auto",
			(void *)json_object_new_boolean(b->deflate_on_oom),
			(void *)json_object_new_boolean(b->free_page_reporting));
	snprintf(name, sizeof(name), "%s: device_add", label);
	bt_require_rc(b, name, rc, &err, "accepted");
	b->dev_addr = b->hotplug_addr;
	b->has_balloon = true;
	b->target = b->mem;
	if (!bt_wait_guest_balloon(b, label, true, true))
		return false;
	hvt_case_metric(b->c, "plug", (double)(hvt_now_ms() - t0), "ms");
	if (b->poll_interval > 0) {
		rc = bt_set_polling(b, b->poll_interval, &err);
		snprintf(name, sizeof(name), "%s: stats polling on", label);
		bt_require_rc(b, name, rc, &err, "set");
	}
	return true;
}

/* Reboot the guest (agent guest-shutdown reboot, or system_reset) and wait for it. */
bool bt_reboot(struct bt *b, const char *label, bool hard)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	char name[128];
	int rc = step_reboot(b->vm, hard, b->boot_ms, &err);

	snprintf(name, sizeof(name), "%s: guest back after %s", label,
		 hard ? "system_reset" : "reboot");
	bt_require_rc(b, name, rc, &err, "RESET, then the agent answered");
	hvt_case_metric(b->c, "reboot", (double)(hvt_now_ms() - t0), "ms");
	return true;
}

/*
 * After a reboot: where the device's target went, and that the guest
 * follows it. A driver that starts with nothing to do (target = full
 * size) never writes "actual", so QEMU keeps reporting the size from
 * before the reset: recorded, and checked against the plan's
 * reboot_full_actual_stale.
 */
void bt_check_after_reboot(struct bt *b, const char *label, long long before)
{
	long long expect = b->reboot_keeps_target ? before : b->mem, actual = -1;
	struct hvt_err err = HVT_ERR_INIT;
	char l[128];
	bool stale_ok;

	if (!b->has_balloon) {
		bt_wait_guest_balloon(b, label, false, false);
		return;
	}
	bt_wait_guest_balloon(b, label, true, true);
	snprintf(l, sizeof(l), "%s: after reboot", label);
	hvt_case_metric(b->c, "target_after_reboot", (double)expect, "MiB");
	if (expect != b->mem) {
		bt_balloon_finish(b, l, expect, 0, hvt_now_ms());
		return;
	}
	b->target = b->mem;
	bt_check_memtotal(b, l, b->mem);
	if (hvt_case_param_bool(b->c, "reboot_full_actual_stale", true, &stale_ok, &err) ||
	    bt_query_actual(b, &actual, &err)) {
		bt_require_rc(b, l, err.code, &err, "");
		return;
	}
	hvt_case_metric(b->c, "actual_after_reboot", (double)actual / MIB, "MiB");
	snprintf(l, sizeof(l), "%s: QMP actual after reboot at full size", label);
	if (actual != b->mem * MIB && stale_ok) {
		b->actual_stale = true;
		hvt_case_check(b->c, l, actual >= bt_evict_target(b) * MIB && actual < b->mem * MIB,
			       "%lld MiB: stale, the size before the reset (documented)",
			       actual / MIB);
	} else {
		hvt_case_check(b->c, l, actual == b->mem * MIB, "%lld MiB, expected %lld MiB",
			       actual / MIB, b->mem);
	}
	bt_sample(b);
}

bool bt_shutdown(struct bt *b, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];
	int rc = hvt_vm_powerdown(b->vm, b->boot_ms, &err);

	snprintf(name, sizeof(name), "%s: SHUTDOWN and QEMU exits", label);
	b->ended = true;
	bt_require_rc(b, name, rc, &err, "system_powerdown: SHUTDOWN, QEMU exited");
	return true;
}

/*
 * The destination waits paused with the migrated state and the source is
 * stopped: their guest RAM must be the same page for page. Then the
 * destination runs.
 */
static int compare_ram(struct bt *b, const char *label, struct hvt_vm *dst,
		       struct hvt_err *err)
{
	const char *dir = b->c->workdir;
	struct hvt_ramcmp r;
	char name[128], *sum;
	int rc;

	hvt_ramcmp_init(&r, 8);
	rc = hvt_ramcmp_machines(&r, b->vm, dst, (uint64_t)b->mem << 20, dir ? dir : "/tmp", err);
	snprintf(name, sizeof(name), "%s: guest RAM identical on both sides", label);
	if (rc)
		hvt_ramcmp_release(&r);
	bt_require_rc(b, name, rc, err, "");
	sum = hvt_ramcmp_summary(&r, 8);
	hvt_case_metric(b->c, "ram_pages_differing", (double)r.ndiff, "");
	hvt_case_check(b->c, name, r.ndiff == 0, "%s", sum);
	free(sum);
	hvt_ramcmp_release(&r);
	return hvt_vm_cont(dst, err);
}

/*
 * Migrate the machine under test to a new QEMU process with the same
 * devices; the new one becomes the machine under test.
 */
bool bt_migrate(struct bt *b, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_stats st;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s: migration", label);
	/* in b until it takes over: a failed step leaves it to cleanup */
	b->dst = bt_new_vm(b, b->has_balloon, true, NULL, &err);
	if (!b->dst)
		bt_require_rc(b, name, err.code, &err, "");
	rc = hvt_vm_start(b->dst, &err);
	if (!rc) {
		struct hvt_migrate_opts o = {
			.transport = HVT_MIGRATE_UNIX,
			.dir = hvt_vm_workdir(b->dst),
			.caps = (const char *const[]){ "events", NULL },
			.dst_paused = b->compare_ram,
		};

		rc = hvt_migrate_run(b->vm, b->dst, &o, b->mig_ms, &st, &err);
	}
	if (!rc && b->compare_ram)
		rc = compare_ram(b, label, b->dst, &err);
	bt_require_rc(b, name, rc, &err, "completed, destination running");
	hvt_case_metric(b->c, "migration", st.wall_ms, "ms");
	if (st.downtime_ms >= 0)
		hvt_case_metric(b->c, "migration_downtime", (double)st.downtime_ms, "ms");
	hvt_vm_quit(b->vm, 10000, NULL);
	hvt_vm_free(b->vm);
	b->vm = b->dst;
	b->dst = NULL;
	rc = hvt_vm_wait_agent(b->vm, b->boot_ms, &err);
	snprintf(name, sizeof(name), "%s: agent answers on the destination", label);
	bt_require_rc(b, name, rc, &err, "guest-sync answered");
	if (b->has_balloon && b->poll_interval > 0) {
		rc = bt_set_polling(b, b->poll_interval, &err);
		snprintf(name, sizeof(name), "%s: stats polling on the destination", label);
		bt_require_rc(b, name, rc, &err, "set");
	}
	return true;
}

/* After a migration: the destination's actual and the guest's memory. */
bool bt_check_migrated(struct bt *b, const char *label)
{
	char l[128];

	snprintf(l, sizeof(l), "%s: destination", label);
	if (!b->has_balloon) {
		bt_check_no_balloon(b, l);
		return bt_check_memtotal(b, l, b->mem);
	}
	return bt_balloon_finish(b, l, b->target, 0, hvt_now_ms());
}

/* Poll the console of the machine under test for text, until the deadline. */
bool bt_console_shows(struct bt *b, const char *text, int timeout_ms)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	const char *path = b->consoles.v[b->consoles.n - 1];

	for (;;) {
		char *log = NULL;
		bool hit = !hvt_file_read(path, &log, NULL, NULL) && strstr(log, text);

		free(log);
		if (hit || !hvt_ms_left(deadline))
			return hit;
		step_pause(b->vm, 200);
	}
}

/*
 * Run step(b, 1..loop_iterations) while the churn workload writes memory
 * in the guest, then stop the workload. A step returns false to end the
 * loop; a step that fails a requirement ends the case, workload and all.
 */
void bt_with_churn(struct bt *b, bool (*step)(struct bt *b, long long n))
{
	struct hvt_err err = HVT_ERR_INIT;
	int rc = b->os->churn_start(b->vm, b->cmd_ms, b->churn_mib, &err);

	bt_require_rc(b, "workload started", rc, &err, "allocating in a loop");
	for (long long i = 0; i < b->loops; i++)
		if (!step(b, i + 1))
			break;
	rc = b->os->churn_stop(b->vm, b->cmd_ms, &err);
	bt_require_rc(b, "workload still running at the end", rc, &err, "stopped it");
}

int bt_get_stats(struct bt *b, struct json_object **st, struct hvt_err *err)
{
	return hvt_vm_qmp(b->vm, st, err, "qom-get",
			  "{'path': %s, 'property': 'guest-stats'}", b->dev_path);
}

/* Poll guest-stats until last-update passes `after` (epoch seconds). */
int bt_wait_stats_update(struct bt *b, long long after, int timeout_ms,
			     struct json_object **st, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;

	for (;;) {
		int rc = bt_get_stats(b, st, err);

		if (rc)
			return rc;
		if (hvt_json_get_int(*st, "last-update", 0) > after)
			return 0;
		json_object_put(*st);
		*st = NULL;
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT,
					   "guest-stats not updated within %d ms", timeout_ms);
		step_pause(b->vm, 200);
	}
}
