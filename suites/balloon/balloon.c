// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The virtio balloon suite: give RAM to a running guest or take it away
 * (QMP "balloon"), across hot-plug, power events, migration and driver
 * reloads, checking QEMU's view, the guest's view and the guest's health.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvtest.h"

#define MIB (1024LL * 1024LL)

struct bt {
	struct hvt_case *c;
	const struct hvt_guestos *os;
	struct hvt_vm *vm;		/* the machine under test */
	struct hvt_strv consoles;	/* console logs of every machine started */
	int nvm;

	/* plan keys */
	const char *scenario, *dev_id;
	long long mem, evict, min_target, loops, hp_loops, churn_mib, poll_interval;
	double mt_tol, stats_tol;
	int bal_ms, quiet_ms, boot_ms, cmd_ms, mig_ms, stats_window_ms;
	bool boot_balloon, memtotal_follows, reboot_keeps_target, below_min_survives;
	bool disable_legacy, deflate_on_oom, free_page_reporting;
	bool compare_ram;	/* compare guest RAM after each migration */
	const char *hotplug_addr;
	const char *cpu;	/* -cpu model, NULL: vm's default */
	char dev_path[160];	/* QOM path of the balloon device */

	/* state */
	bool has_balloon;
	const char *dev_addr;	/* addr= of the device, NULL for the default */
	long long target;	/* MiB the balloon should be at */
	long long base_total;	/* guest MemTotal (KiB) with the balloon empty */
	bool ended;		/* the scenario ended QEMU or the guest on purpose */
	bool actual_stale;	/* QEMU's actual is known not to follow (see docs) */
	bool oom_expected;	/* the scenario starves the guest: OOM on the console */
	bool aborted;		/* a step failed: later steps are pointless */
};

/* Record a check that fails with err's message when rc is not 0. */
static bool check_rc(struct bt *b, const char *name, int rc, const struct hvt_err *err,
		     const char *okmsg)
{
	if (rc)
		b->aborted = true;
	return hvt_case_check(b->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

/* Wait up to ms for QMP events (queued for later waits): a bounded pause between polls. */
static void poll_pause(struct bt *b, int ms)
{
	struct hvt_qmp *q = hvt_vm_qmp_client(b->vm);

	if (q)
		hvt_qmp_poll(q, ms, NULL);
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- machines ---- */

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
static struct hvt_vm *new_vm(struct bt *b, bool balloon, bool incoming, const char *extra_dev,
			     struct hvt_err *err)
{
	const char *devs[3] = { NULL, NULL, NULL };
	const char *base = b->c->workdir;
	struct hvt_buf spec = HVT_BUF_INIT;
	struct hvt_vm_config cfg;
	char name[16], *wd = NULL;
	struct hvt_vm *vm;
	int n = 0;

	snprintf(name, sizeof(name), "m%d", b->nvm++);
	hvt_vm_config_init(&cfg);
	cfg.name = name;
	cfg.mem_mib = (uint64_t)b->mem;
	cfg.cpu = b->cpu;
	if (base) {
		wd = hvt_asprintf("%s/%s", base, name);
		cfg.workdir = wd;
	}
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
	vm = hvt_vm_new(&cfg, err);
	if (vm) {
		char *con = hvt_vm_path(vm, "console.log");
		char *rel = hvt_asprintf("%s/console.log", name);

		hvt_strv_push(&b->consoles, con);
		if (base)
			hvt_case_artifact(b->c, rel, rel);
		free(rel);
		free(con);
	}
	hvt_buf_release(&spec);
	free(wd);
	return vm;
}

static int set_polling(struct bt *b, long long interval, struct hvt_err *err)
{
	return hvt_vm_qmp(b->vm, NULL, err, "qom-set",
			  "{'path': %s, 'property': 'guest-stats-polling-interval', "
			  "'value': %lld}", b->dev_path, interval);
}

/* The balloon's size as QEMU sees it ("actual"), in bytes. */
static int query_actual(struct bt *b, long long *bytes, struct hvt_err *err)
{
	struct json_object *ret = NULL;
	int rc = hvt_vm_qmp(b->vm, &ret, err, "query-balloon", NULL);

	if (!rc)
		*bytes = hvt_json_get_int(ret, "actual", -1);
	json_object_put(ret);
	return rc;
}

/* One point of the memory time series: target, QMP actual, guest MemTotal and free. */
static void sample(struct bt *b)
{
	struct hvt_guestos_mem m;
	long long actual;

	hvt_case_metric(b->c, "target", (double)b->target, "MiB");
	if (b->has_balloon && !query_actual(b, &actual, NULL))
		hvt_case_metric(b->c, "actual", (double)actual / MIB, "MiB");
	if (!b->os->meminfo(b->vm, b->cmd_ms, &m, NULL)) {
		hvt_case_metric(b->c, "guest_memtotal", (double)m.total / 1024, "MiB");
		hvt_case_metric(b->c, "guest_free", (double)m.free / 1024, "MiB");
	}
}

/* Boot a machine with or without the balloon and wait for its agent. */
static int boot(struct bt *b, bool balloon, struct hvt_err *err)
{
	struct hvt_guestos_mem m;
	int64_t t0 = hvt_now_ms();
	int rc;

	b->vm = new_vm(b, balloon, false, NULL, err);
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
		rc = set_polling(b, b->poll_interval, err);
		if (rc)
			return rc;
	}
	rc = b->os->meminfo(b->vm, b->cmd_ms, &m, err);
	if (rc)
		return rc;
	b->base_total = m.total;
	sample(b);
	return 0;
}

/* ---- balloon changes ---- */

struct change_pred {
	double after;
	long long bytes;
};

static bool change_matches(const struct hvt_qmp_event *ev, void *opaque)
{
	const struct change_pred *p = opaque;

	return ev->timestamp >= p->after - 0.001 &&
	       hvt_json_get_int(ev->data, "actual", -1) == p->bytes;
}

/*
 * Wait until QEMU's actual is expect_mib: for the BALLOON_CHANGE event
 * stamped after `after` that says so, unless it is so already.
 */
static int wait_actual(struct bt *b, long long expect_mib, double after, int timeout_ms,
		       struct hvt_err *err)
{
	struct change_pred p = { after, expect_mib * MIB };
	struct hvt_qmp_event *ev = NULL;
	long long actual;
	int rc = query_actual(b, &actual, err);

	if (rc || actual == p.bytes)
		return rc;
	rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "BALLOON_CHANGE", change_matches, &p,
				timeout_ms, &ev, err);
	hvt_qmp_event_free(ev);
	if (rc == -ETIMEDOUT && !query_actual(b, &actual, NULL))
		hvt_err_set(err, -ETIMEDOUT, "actual is %lld MiB, not %lld MiB, after %d ms",
			    actual / MIB, expect_mib, timeout_ms);
	return rc;
}

/* Wait for BALLOON_CHANGE events to stop (none for quiet_ms); the final actual. */
static int wait_quiet(struct bt *b, int timeout_ms, long long *actual, struct hvt_err *err)
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
	return query_actual(b, actual, err);
}

/* The guest's MemTotal (KiB) expected with the balloon at mib. */
static long long expected_total(struct bt *b, long long mib)
{
	if (!b->memtotal_follows)
		return b->base_total;
	return b->base_total - (b->mem - mib) * 1024;
}

/* Poll the guest until MemTotal is what a balloon at mib implies; check it. */
static bool check_memtotal(struct bt *b, const char *label, long long mib)
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
		poll_pause(b, 100);
	}
	if (rc)
		return check_rc(b, name, rc, &err, "");
	return hvt_case_check(b->c, name, llabs(m.total - want) <= tol,
			      "%lld KiB, expected %lld KiB +- %lld (balloon at %lld of %lld MiB%s)",
			      m.total, want, tol, mib, b->mem,
			      b->memtotal_follows ? "" : ", MemTotal does not follow");
}

/* Send the balloon command; *after gets the wall-clock time before it. */
static int balloon_send(struct bt *b, long long target_mib, double *after, struct hvt_err *err)
{
	*after = wall_now();
	return hvt_vm_qmp(b->vm, NULL, err, "balloon", "{'value': %lld}", target_mib * MIB);
}

/*
 * The second half of a change: wait for actual == expect_mib, check it,
 * record the settle time, check MemTotal, record a sample.
 */
static bool balloon_finish(struct bt *b, const char *label, long long expect_mib, double after,
			   int64_t t0_ms)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s: actual %lld MiB", label, expect_mib);
	rc = wait_actual(b, expect_mib, after, b->bal_ms, &err);
	if (!rc) {
		char msg[128];
		double ms = (double)(hvt_now_ms() - t0_ms);

		hvt_case_metric(b->c, "settle", ms, "ms");
		snprintf(msg, sizeof(msg), "BALLOON_CHANGE to %lld MiB after %.0f ms",
			 expect_mib, ms);
		check_rc(b, name, 0, &err, msg);
	} else {
		check_rc(b, name, rc, &err, "");
	}
	b->target = expect_mib;
	if (rc)
		return false;
	rc = check_memtotal(b, label, expect_mib);
	sample(b);
	return rc;
}

/* Change the balloon to target_mib and check it lands at expect_mib. */
static bool balloon_set(struct bt *b, const char *label, long long target_mib,
			long long expect_mib)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	double after;
	char name[128];
	int rc = balloon_send(b, target_mib, &after, &err);

	if (rc) {
		snprintf(name, sizeof(name), "%s: balloon %lld MiB", label, target_mib);
		return check_rc(b, name, rc, &err, "");
	}
	return balloon_finish(b, label, expect_mib, after, t0);
}

static long long evict_target(struct bt *b)
{
	return b->mem - b->evict;
}

/* ---- the checks every scenario makes ---- */

static void check_console(struct bt *b)
{
	static const char *const bad[] = { "Call Trace", "BUG:", "Kernel panic" };

	for (size_t i = 0; i < b->consoles.n; i++) {
		char *text = NULL, *hit = NULL, name[64];
		const char *what = NULL;

		snprintf(name, sizeof(name), "console m%zu clean", i);
		if (b->oom_expected) {
			hvt_case_check_skip(b->c, name, "the scenario runs the guest out of memory");
			continue;
		}
		if (hvt_file_read(b->consoles.v[i], &text, NULL, NULL)) {
			hvt_case_check_skip(b->c, name, "no console log %s", b->consoles.v[i]);
			continue;
		}
		for (size_t k = 0; k < HVT_ARRAY_SIZE(bad) && !hit; k++) {
			hit = strstr(text, bad[k]);
			what = bad[k];
		}
		if (hit) {
			char *eol = strchr(hit, '\n');

			if (eol)
				*eol = '\0';
		}
		hvt_case_check(b->c, name, !hit, "%s%s%.200s", hit ? what : "no Call Trace or BUG",
			       hit ? " on the console: " : "", hit ? hit : "");
		free(text);
	}
}

static void final_checks(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long actual;
	int rc;

	if (b->vm && !b->ended) {
		rc = hvt_vm_check_alive(b->vm, &err);
		check_rc(b, "QEMU running", rc, &err, "QEMU still runs");
		if (!rc) {
			rc = hvt_qga_ping(hvt_vm_qga(b->vm), b->cmd_ms, &err);
			check_rc(b, "agent answers", rc, &err, "guest-ping answered");
		}
		if (!rc && b->has_balloon && b->actual_stale) {
			hvt_case_check_skip(b->c, "final actual equals target",
					    "after a reboot at full size QEMU's actual is stale");
		} else if (!rc && b->has_balloon) {
			rc = wait_actual(b, b->target, 0, b->bal_ms, &err);
			if (!rc)
				rc = query_actual(b, &actual, &err);
			if (rc)
				check_rc(b, "final actual equals target", rc, &err, "");
			else
				hvt_case_check(b->c, "final actual equals target",
					       actual == b->target * MIB, "%lld MiB, target %lld MiB",
					       actual / MIB, b->target);
		}
		if (!rc)
			sample(b);
	}
	check_console(b);
}

/* ---- hot-plug, power, migration steps ---- */

static bool deleted_is(const struct hvt_qmp_event *ev, void *opaque)
{
	const char *dev = hvt_json_get_str(ev->data, "device");

	return dev && !strcmp(dev, opaque);
}

/* Poll the guest until its balloon state is (present, bound); check it. */
static bool wait_guest_balloon(struct bt *b, const char *label, bool present, bool bound)
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
		poll_pause(b, 100);
	}
	if (rc)
		return check_rc(b, name, rc, &err, "");
	return hvt_case_check(b->c, name, p == present && d == bound,
			      "device %s, driver %s", p ? "present" : "absent",
			      d ? "bound" : "not bound");
}

/* Balloon commands must fail with DeviceNotActive: there is no balloon. */
static void check_no_balloon(struct bt *b, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	double after;
	char name[128];
	int rc = balloon_send(b, evict_target(b), &after, &err);

	snprintf(name, sizeof(name), "%s: balloon refused", label);
	hvt_case_check(b->c, name, rc == -EREMOTEIO && !strcmp(err.cls, "DeviceNotActive"),
		       "%s: %s", rc ? err.cls : "accepted", rc ? err.msg : "");
	hvt_err_clear(&err);
	rc = hvt_vm_qmp(b->vm, NULL, &err, "query-balloon", NULL);
	snprintf(name, sizeof(name), "%s: query-balloon refused", label);
	hvt_case_check(b->c, name, rc == -EREMOTEIO && !strcmp(err.cls, "DeviceNotActive"),
		       "%s: %s", rc ? err.cls : "accepted", rc ? err.msg : "");
}

static bool unplug(struct bt *b, const char *label)
{
	struct hvt_qmp_event *ev = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	char name[128];
	int rc;

	rc = hvt_vm_qmp(b->vm, NULL, &err, "device_del", "{'id': %s}", b->dev_id);
	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "DEVICE_DELETED", deleted_is,
					(void *)b->dev_id, b->bal_ms, &ev, &err);
	hvt_qmp_event_free(ev);
	snprintf(name, sizeof(name), "%s: DEVICE_DELETED", label);
	if (!check_rc(b, name, rc, &err, "device_del, then DEVICE_DELETED"))
		return false;
	hvt_case_metric(b->c, "unplug", (double)(hvt_now_ms() - t0), "ms");
	b->has_balloon = false;
	b->target = b->mem;
	b->dev_addr = NULL;
	if (!wait_guest_balloon(b, label, false, false))
		return false;
	check_no_balloon(b, label);
	sample(b);
	return true;
}

static bool plug(struct bt *b, const char *label)
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
	if (!check_rc(b, name, rc, &err, "accepted"))
		return false;
	b->dev_addr = b->hotplug_addr;
	b->has_balloon = true;
	b->target = b->mem;
	if (!wait_guest_balloon(b, label, true, true))
		return false;
	hvt_case_metric(b->c, "plug", (double)(hvt_now_ms() - t0), "ms");
	if (b->poll_interval > 0) {
		rc = set_polling(b, b->poll_interval, &err);
		snprintf(name, sizeof(name), "%s: stats polling on", label);
		if (!check_rc(b, name, rc, &err, "set"))
			return false;
	}
	return true;
}

static bool reset_is_after(const struct hvt_qmp_event *ev, void *opaque)
{
	return ev->timestamp >= *(const double *)opaque - 0.001;
}

/* Reboot the guest (agent guest-shutdown reboot, or system_reset) and wait for it. */
static bool reboot(struct bt *b, const char *label, bool hard)
{
	struct hvt_qmp_event *ev = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	double after = wall_now();
	char name[128];
	int rc;

	if (hard)
		rc = hvt_vm_qmp(b->vm, NULL, &err, "system_reset", NULL);
	else
		rc = hvt_qga_shutdown(hvt_vm_qga(b->vm), "reboot", &err);
	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "RESET", reset_is_after, &after,
					b->boot_ms, &ev, &err);
	hvt_qmp_event_free(ev);
	if (!rc)
		rc = hvt_vm_wait_agent(b->vm, b->boot_ms, &err);
	snprintf(name, sizeof(name), "%s: guest back after %s", label,
		 hard ? "system_reset" : "reboot");
	if (!check_rc(b, name, rc, &err, "RESET, then the agent answered"))
		return false;
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
static void check_after_reboot(struct bt *b, const char *label, long long before)
{
	long long expect = b->reboot_keeps_target ? before : b->mem, actual = -1;
	struct hvt_err err = HVT_ERR_INIT;
	char l[128];
	bool stale_ok;

	if (!b->has_balloon) {
		wait_guest_balloon(b, label, false, false);
		return;
	}
	wait_guest_balloon(b, label, true, true);
	snprintf(l, sizeof(l), "%s: after reboot", label);
	hvt_case_metric(b->c, "target_after_reboot", (double)expect, "MiB");
	if (expect != b->mem) {
		balloon_finish(b, l, expect, 0, hvt_now_ms());
		return;
	}
	b->target = b->mem;
	check_memtotal(b, l, b->mem);
	if (hvt_case_param_bool(b->c, "reboot_full_actual_stale", true, &stale_ok, &err) ||
	    query_actual(b, &actual, &err)) {
		check_rc(b, l, err.code, &err, "");
		return;
	}
	hvt_case_metric(b->c, "actual_after_reboot", (double)actual / MIB, "MiB");
	snprintf(l, sizeof(l), "%s: QMP actual after reboot at full size", label);
	if (actual != b->mem * MIB && stale_ok) {
		b->actual_stale = true;
		hvt_case_check(b->c, l, actual >= evict_target(b) * MIB && actual < b->mem * MIB,
			       "%lld MiB: stale, the size before the reset (documented)",
			       actual / MIB);
	} else {
		hvt_case_check(b->c, l, actual == b->mem * MIB, "%lld MiB, expected %lld MiB",
			       actual / MIB, b->mem);
	}
	sample(b);
}

static bool shutdown_guest(struct bt *b, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];
	int rc = hvt_vm_powerdown(b->vm, b->boot_ms, &err);

	snprintf(name, sizeof(name), "%s: SHUTDOWN and QEMU exits", label);
	b->ended = true;
	return check_rc(b, name, rc, &err, "system_powerdown: SHUTDOWN, QEMU exited");
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
	uint64_t first[8];
	long n = 0;
	char name[128], at[8 * 20 + 1] = "";
	int rc = hvt_migrate_compare_ram(b->vm, dst, (uint64_t)b->mem << 20, dir ? dir : "/tmp",
					 &n, first, 8, err);

	snprintf(name, sizeof(name), "%s: guest RAM identical on both sides", label);
	if (rc)
		return check_rc(b, name, rc, err, "") ? 0 : rc;
	for (long i = 0; i < n && i < 8; i++)
		snprintf(at + strlen(at), sizeof(at) - strlen(at), " %#llx",
			 (unsigned long long)first[i]);
	hvt_case_metric(b->c, "ram_pages_differing", (double)n, "");
	hvt_case_check(b->c, name, n == 0, "%ld of %lld pages differ%s%s", n, b->mem << 8,
		       n ? ", at" : "", at);
	return hvt_vm_cont(dst, err);
}

/*
 * Migrate the machine under test to a new QEMU process with the same
 * devices; the new one becomes the machine under test.
 */
static bool migrate(struct bt *b, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_stats st;
	struct hvt_vm *dst;
	char name[128], *sock = NULL;
	int rc;

	snprintf(name, sizeof(name), "%s: migration", label);
	dst = new_vm(b, b->has_balloon, true, NULL, &err);
	if (!dst)
		return check_rc(b, name, err.code, &err, "");
	rc = hvt_vm_start(dst, &err);
	if (!rc) {
		sock = hvt_vm_path(dst, "mig.sock");
		rc = hvt_migrate_run(b->vm, dst, b->compare_ram, sock, b->mig_ms, &st, &err);
	}
	if (!rc && b->compare_ram)
		rc = compare_ram(b, label, dst, &err);
	if (rc) {
		hvt_vm_free(dst);
		free(sock);
		return check_rc(b, name, rc, &err, "");
	}
	hvt_case_metric(b->c, "migration", st.total_ms, "ms");
	if (st.downtime_ms >= 0)
		hvt_case_metric(b->c, "migration_downtime", (double)st.downtime_ms, "ms");
	check_rc(b, name, 0, &err, "completed, destination running");
	hvt_vm_quit(b->vm, 10000, NULL);
	hvt_vm_free(b->vm);
	b->vm = dst;
	free(sock);
	rc = hvt_vm_wait_agent(b->vm, b->boot_ms, &err);
	snprintf(name, sizeof(name), "%s: agent answers on the destination", label);
	if (!check_rc(b, name, rc, &err, "guest-sync answered"))
		return false;
	if (b->has_balloon && b->poll_interval > 0) {
		rc = set_polling(b, b->poll_interval, &err);
		snprintf(name, sizeof(name), "%s: stats polling on the destination", label);
		if (!check_rc(b, name, rc, &err, "set"))
			return false;
	}
	return true;
}

/* After a migration: the destination's actual and the guest's memory. */
static bool check_migrated(struct bt *b, const char *label)
{
	char l[128];

	snprintf(l, sizeof(l), "%s: destination", label);
	if (!b->has_balloon) {
		check_no_balloon(b, l);
		return check_memtotal(b, l, b->mem);
	}
	return balloon_finish(b, l, b->target, 0, hvt_now_ms());
}

/* ---- scenarios ---- */

static void sc_evict(struct bt *b)
{
	balloon_set(b, "evict", evict_target(b), evict_target(b));
}

static void sc_enlarge(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)))
		balloon_set(b, "enlarge", b->mem, b->mem);
}

static const char *const stat_keys[] = {
	"stat-swap-in", "stat-swap-out", "stat-major-faults", "stat-minor-faults",
	"stat-free-memory", "stat-total-memory", "stat-available-memory",
	"stat-disk-caches", "stat-htlb-pgalloc", "stat-htlb-pgfail",
};

static int get_stats(struct bt *b, struct json_object **st, struct hvt_err *err)
{
	return hvt_vm_qmp(b->vm, st, err, "qom-get",
			  "{'path': %s, 'property': 'guest-stats'}", b->dev_path);
}

/* Poll guest-stats until last-update passes `after` (epoch seconds). */
static int wait_stats_update(struct bt *b, long long after, int timeout_ms,
			     struct json_object **st, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;

	for (;;) {
		int rc = get_stats(b, st, err);

		if (rc)
			return rc;
		if (hvt_json_get_int(*st, "last-update", 0) > after)
			return 0;
		json_object_put(*st);
		*st = NULL;
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT,
					   "guest-stats not updated within %d ms", timeout_ms);
		poll_pause(b, 200);
	}
}

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
		poll_pause(b, 250);
		if (get_stats(b, &st, NULL))
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
	long long now = (long long)wall_now() - 1;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s: guest-stats updated", label);
	rc = wait_stats_update(b, now, (int)(b->poll_interval * 1000) * 3 + b->bal_ms, &st, &err);
	if (!check_rc(b, name, rc, &err, "last-update advanced"))
		return;
	rc = b->os->meminfo(b->vm, b->cmd_ms, &m, &err);
	if (!check_rc(b, "guest meminfo", rc, &err, "read"))
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

static void sc_stats(struct bt *b)
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

		rc = get_stats(b, &st, &err);
		if (!check_rc(b, "guest-stats readable", rc, &err, "read"))
			return;
		stats = hvt_json_get(st, "stats");
		last = hvt_json_get_int(st, "last-update", -1);
		hvt_case_check(b->c, "driver's first report kept", last > 0, "%s",
			       json_object_to_json_string(st));
		check_stats_present(b, stats);
		/* nothing changed the guest's RAM since the report */
		rc = b->os->meminfo(b->vm, b->cmd_ms, &m, &err);
		if (check_rc(b, "guest meminfo", rc, &err, "read"))
			compare_stat(b, stats, "stat-total-memory", m.total, "MemTotal");
		json_object_put(st);
		moved = stats_moved(b, last);
		hvt_case_check(b->c, "no update without polling", !moved,
			       "last-update %lld then %lld over %d ms", last, moved ? moved : last,
			       b->stats_window_ms);
		return;
	}
	check_stats(b, "full");
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)))
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

static void sc_stats_polling(struct bt *b)
{
	struct json_object *st = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	long long v = -1, last, changed = 0;
	int rc;

	/* query */
	rc = get_interval(b, &v, &err);
	if (!check_rc(b, "query interval", rc, &err, "read"))
		return;
	hvt_case_check(b->c, "interval as configured", v == b->poll_interval,
		       "%lld s, configured %lld s", v, b->poll_interval);
	/* enable */
	rc = set_polling(b, 1, &err);
	if (!rc)
		rc = wait_stats_update(b, (long long)wall_now() - 1, b->bal_ms, &st, &err);
	if (!check_rc(b, "enable: statistics arrive", rc, &err, "last-update advanced"))
		return;
	json_object_put(st);
	st = NULL;
	/* disable: last-update must stand still over the observation window */
	rc = set_polling(b, 0, &err);
	if (!rc)
		rc = get_interval(b, &v, &err);
	if (!check_rc(b, "disable", rc, &err, "interval set to 0"))
		return;
	hvt_case_check(b->c, "interval reads 0", v == 0, "%lld", v);
	/* a request may have been in flight: take the value after one */
	rc = get_stats(b, &st, &err);
	if (!check_rc(b, "guest-stats readable", rc, &err, "read"))
		return;
	last = hvt_json_get_int(st, "last-update", 0);
	json_object_put(st);
	st = NULL;
	changed = stats_moved(b, last);
	hvt_case_check(b->c, "disable: statistics stop", !changed,
		       "last-update %lld then %lld over %d ms", last, changed ? changed : last,
		       b->stats_window_ms);
	/* enable again */
	rc = set_polling(b, b->poll_interval > 0 ? b->poll_interval : 1, &err);
	if (!rc)
		rc = wait_stats_update(b, last + 1, b->bal_ms, &st, &err);
	check_rc(b, "re-enable: statistics arrive", rc, &err, "last-update advanced");
	json_object_put(st);
	set_polling(b, b->poll_interval, NULL);
}

static void sc_no_device(struct bt *b)
{
	check_no_balloon(b, "no device");
	check_memtotal(b, "no device", b->mem);
}

/* Poll the console of the machine under test for text, until the deadline. */
static bool console_shows(struct bt *b, const char *text, int timeout_ms)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	const char *path = b->consoles.v[b->consoles.n - 1];

	for (;;) {
		char *log = NULL;
		bool hit = !hvt_file_read(path, &log, NULL, NULL) && strstr(log, text);

		free(log);
		if (hit || !hvt_ms_left(deadline))
			return hit;
		poll_pause(b, 200);
	}
}

static void sc_below_min(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long actual = 0;
	double after;
	int rc = balloon_send(b, b->min_target, &after, &err);

	if (!check_rc(b, "below minimum: balloon accepted", rc, &err, "accepted"))
		return;
	b->target = b->min_target;
	rc = wait_quiet(b, b->bal_ms * 4, &actual, &err);
	if (!check_rc(b, "below minimum: balloon settles", rc, &err, "no more BALLOON_CHANGE"))
		return;
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
			       console_shows(b, "Out of memory", b->cmd_ms),
			       "the agent stopped answering; the console must show the OOM killer");
		rc = hvt_vm_check_alive(b->vm, &err);
		check_rc(b, "below minimum: QEMU running", rc, &err, "QEMU still runs");
		return;
	}
	hvt_case_metric(b->c, "below_min_survived", rc ? 0 : 1, "");
	check_rc(b, "below minimum: agent answers", rc, &err, "guest-ping answered");
	rc = hvt_vm_check_alive(b->vm, &err);
	check_rc(b, "below minimum: QEMU running", rc, &err, "QEMU still runs");
	if (!b->aborted)
		balloon_set(b, "recover", b->mem, b->mem);
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
	query_actual(b, &actual, NULL);
	snprintf(name, sizeof(name), "%s: balloon unchanged", label);
	hvt_case_check(b->c, name, actual == b->target * MIB, "actual %lld MiB, target %lld MiB",
		       actual / MIB, b->target);
}

static void sc_illegal(struct bt *b)
{
	if (!balloon_set(b, "evict", evict_target(b), evict_target(b)))
		return;
	expect_refused(b, "zero", json_object_new_int(0));
	expect_refused(b, "negative", json_object_new_int(-1048576));
	expect_refused(b, "non-numeric", json_object_new_string("lots"));
	expect_refused(b, "fraction", json_object_new_double(0.5));
	/* QEMU clamps a target above the machine's RAM to the RAM size */
	balloon_set(b, "absurdly large (clamped)", 1LL << 42, b->mem);
}

static void sc_above_max(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)))
		balloon_set(b, "above maximum (clamped)", b->mem + 1024, b->mem);
}

static void stop_cont(struct bt *b, const char *label, long long from, long long to)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	long long a1 = -1, a2 = -2, lo = from < to ? from : to, hi = from < to ? to : from;
	double after;
	char name[128];
	int rc = balloon_send(b, to, &after, &err);

	if (!rc)
		rc = hvt_vm_pause(b->vm, &err);
	if (!rc)
		rc = query_actual(b, &a1, &err);
	if (!rc)
		rc = query_actual(b, &a2, &err);
	snprintf(name, sizeof(name), "%s: stopped mid-change", label);
	if (!check_rc(b, name, rc, &err, "balloon, stop"))
		return;
	hvt_case_metric(b->c, "actual_at_stop", (double)a1 / MIB, "MiB");
	snprintf(name, sizeof(name), "%s: actual within the change while stopped", label);
	hvt_case_check(b->c, name, a1 == a2 && a1 >= lo * MIB && a1 <= hi * MIB,
		       "%lld MiB at stop, %lld MiB later; change %lld -> %lld MiB", a1 / MIB,
		       a2 / MIB, from, to);
	rc = hvt_vm_cont(b->vm, &err);
	snprintf(name, sizeof(name), "%s: cont", label);
	if (!check_rc(b, name, rc, &err, "RESUME"))
		return;
	balloon_finish(b, label, to, after, t0);
}

static void sc_stop_cont_evict(struct bt *b)
{
	stop_cont(b, "evict", b->mem, evict_target(b));
}

static void sc_stop_cont_enlarge(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)))
		stop_cont(b, "enlarge", evict_target(b), b->mem);
}

/*
 * Run step(b, 1..loop_iterations) while the churn workload writes memory
 * in the guest, then stop the workload, unless a step aborted the case
 * (the guest is then not worth waiting for). A step returns false to end
 * the loop.
 */
static void with_churn(struct bt *b, bool (*step)(struct bt *b, long long n))
{
	struct hvt_err err = HVT_ERR_INIT;
	int rc = b->os->churn_start(b->vm, b->cmd_ms, b->churn_mib, &err);

	if (!check_rc(b, "workload started", rc, &err, "allocating in a loop"))
		return;
	for (long long i = 0; i < b->loops && !b->aborted; i++)
		if (!step(b, i + 1))
			break;
	if (b->aborted)
		return;
	rc = b->os->churn_stop(b->vm, b->cmd_ms, &err);
	check_rc(b, "workload still running at the end", rc, &err, "stopped it");
}

static bool churn_step(struct bt *b, long long n)
{
	char l[64];

	snprintf(l, sizeof(l), "loop %lld evict", n);
	if (!balloon_set(b, l, evict_target(b), evict_target(b)))
		return false;
	snprintf(l, sizeof(l), "loop %lld enlarge", n);
	balloon_set(b, l, b->mem, b->mem);
	return true;
}

static void sc_churn_loop(struct bt *b)
{
	with_churn(b, churn_step);
}

static void sc_irq(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	unsigned long long n0 = 0, n1 = 0;
	int rc = b->os->balloon_irqs(b->vm, b->cmd_ms, &n0, &err);

	if (!check_rc(b, "balloon interrupts listed", rc, &err, "found in /proc/interrupts"))
		return;
	if (!balloon_set(b, "evict", evict_target(b), evict_target(b)))
		return;
	rc = b->os->balloon_irqs(b->vm, b->cmd_ms, &n1, &err);
	if (!check_rc(b, "balloon interrupts read again", rc, &err, "read"))
		return;
	hvt_case_metric(b->c, "balloon_irqs", (double)(n1 - n0), "");
	hvt_case_check(b->c, "balloon interrupts increase", n1 > n0, "%llu before, %llu after",
		       n0, n1);
}

static void sc_two_devices_boot(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm *vm = new_vm(b, true, false, "virtio-balloon-pci,id=balloon-second", &err);
	int rc = vm ? hvt_vm_start(vm, &err) : err.code;

	hvt_case_check(b->c, "second balloon at boot refused",
		       rc && strstr(err.msg, "Only one balloon device is supported"),
		       "%s", rc ? err.msg : "QEMU started with two balloons");
	hvt_vm_free(vm);
	/* the machine under test, with one balloon, is fine */
	balloon_set(b, "evict", evict_target(b), evict_target(b));
}

static void sc_two_devices_hotplug(struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	int rc = hvt_vm_qmp(b->vm, NULL, &err, "device_add",
			    "{'driver': 'virtio-balloon-pci', 'id': 'balloon-second'}");

	hvt_case_check(b->c, "second balloon hot-plug refused",
		       rc == -EREMOTEIO && strstr(err.msg, "Only one balloon device is supported"),
		       "%s", rc ? err.msg : "accepted");
	wait_guest_balloon(b, "first device", true, true);
	balloon_set(b, "evict", evict_target(b), evict_target(b));
}

static void sc_unplug(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)))
		unplug(b, "unplug");
}

static void sc_plug(struct bt *b)
{
	check_no_balloon(b, "before plug");
	if (plug(b, "plug"))
		balloon_set(b, "evict", evict_target(b), evict_target(b));
}

static void sc_unplug_reboot(struct bt *b)
{
	if (unplug(b, "unplug") && reboot(b, "reboot", false)) {
		check_after_reboot(b, "reboot", b->mem);
		check_no_balloon(b, "after reboot");
	}
}

static void sc_unplug_shutdown(struct bt *b)
{
	if (unplug(b, "unplug"))
		shutdown_guest(b, "shutdown");
}

static void sc_plug_reboot(struct bt *b)
{
	if (plug(b, "plug") && balloon_set(b, "evict", evict_target(b), evict_target(b)) &&
	    reboot(b, "reboot", false))
		check_after_reboot(b, "reboot", b->target);
}

static void sc_plug_shutdown(struct bt *b)
{
	if (plug(b, "plug") && balloon_set(b, "evict", evict_target(b), evict_target(b)))
		shutdown_guest(b, "shutdown");
}

static void sc_plug_unplug_loop(struct bt *b)
{
	for (long long i = 0; i < b->hp_loops && !b->aborted; i++) {
		char l[64];

		snprintf(l, sizeof(l), "loop %lld unplug", i + 1);
		if (!unplug(b, l))
			break;
		snprintf(l, sizeof(l), "loop %lld plug", i + 1);
		if (!plug(b, l))
			break;
		snprintf(l, sizeof(l), "loop %lld evict", i + 1);
		balloon_set(b, l, evict_target(b), evict_target(b));
	}
}

static void sc_unplug_polling(struct bt *b)
{
	struct json_object *st = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	int rc = set_polling(b, b->poll_interval > 0 ? b->poll_interval : 1, &err);

	if (!rc)
		rc = wait_stats_update(b, (long long)wall_now() - 1, b->bal_ms, &st, &err);
	json_object_put(st);
	if (check_rc(b, "stats polling active", rc, &err, "last-update advancing"))
		unplug(b, "unplug");
}

static void power_during(struct bt *b, bool shutdown, bool enlarge)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long to = enlarge ? b->mem : evict_target(b);
	double after;
	int rc;

	if (enlarge && !balloon_set(b, "evict", evict_target(b), evict_target(b)))
		return;
	rc = balloon_send(b, to, &after, &err);
	if (!check_rc(b, enlarge ? "enlarge started" : "evict started", rc, &err, "accepted"))
		return;
	b->target = to;
	if (shutdown) {
		shutdown_guest(b, "shutdown");
	} else if (reboot(b, "reboot", false)) {
		check_after_reboot(b, "reboot", to);
	}
}

static void sc_reboot_inflated(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)) && reboot(b, "reboot", false))
		check_after_reboot(b, "reboot", b->target);
}

static void sc_shutdown_inflated(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)))
		shutdown_guest(b, "shutdown");
}

static void sc_reboot_during_evict(struct bt *b)
{
	power_during(b, false, false);
}

static void sc_reboot_during_enlarge(struct bt *b)
{
	power_during(b, false, true);
}

static void sc_shutdown_during_evict(struct bt *b)
{
	power_during(b, true, false);
}

static void sc_shutdown_during_enlarge(struct bt *b)
{
	power_during(b, true, true);
}

static void sc_migrate(struct bt *b)
{
	if (migrate(b, "migrate"))
		check_migrated(b, "migrate");
}

static void sc_migrate_evict(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)) && migrate(b, "migrate"))
		check_migrated(b, "migrate");
}

static void sc_migrate_enlarge(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)) &&
	    balloon_set(b, "enlarge", b->mem, b->mem) && migrate(b, "migrate"))
		check_migrated(b, "migrate");
}

static void sc_migrate_plug(struct bt *b)
{
	if (plug(b, "plug") && balloon_set(b, "evict", evict_target(b), evict_target(b)) &&
	    migrate(b, "migrate"))
		check_migrated(b, "migrate");
}

static void sc_migrate_unplug(struct bt *b)
{
	if (balloon_set(b, "evict", evict_target(b), evict_target(b)) && unplug(b, "unplug") &&
	    migrate(b, "migrate"))
		check_migrated(b, "migrate");
}

/* Migration n of a loop, and the checks after it. */
static bool migrate_step(struct bt *b, long long n)
{
	char l[64];

	snprintf(l, sizeof(l), "loop %lld migrate", n);
	if (!migrate(b, l))
		return false;
	check_migrated(b, l);
	return true;
}

/*
 * Evict, migrate, enlarge, migrate...: with `settled` each change has
 * finished before the migration starts (the control for the same loop
 * with the balloon moving while the guest's RAM is copied).
 */
static void migrate_loop(struct bt *b, bool settled)
{
	for (long long i = 0; i < b->loops && !b->aborted; i++) {
		struct hvt_err err = HVT_ERR_INIT;
		long long to = i % 2 ? b->mem : evict_target(b);
		double after;
		char l[64];
		int rc;

		snprintf(l, sizeof(l), "loop %lld balloon %lld MiB", i + 1, to);
		if (settled) {
			if (!balloon_set(b, l, to, to))
				break;
		} else {
			rc = balloon_send(b, to, &after, &err);
			if (!check_rc(b, l, rc, &err, "accepted"))
				break;
		}
		b->target = to;
		if (!migrate_step(b, i + 1))
			break;
	}
}

static void sc_migrate_loop(struct bt *b)
{
	migrate_loop(b, false);
}

static void sc_migrate_loop_settled(struct bt *b)
{
	migrate_loop(b, true);
}

/*
 * The second control: migrations of a guest kept busy by the churn
 * workload (memory written all the time), with the balloon left alone.
 */
static void sc_migrate_churn(struct bt *b)
{
	with_churn(b, migrate_step);
}

static void sc_driver_reload(struct bt *b, bool rebind)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long target = evict_target(b);
	int64_t t0;
	double after;
	int rc;

	if (!balloon_set(b, "evict", target, target))
		return;
	after = wall_now();
	t0 = hvt_now_ms();
	rc = rebind ? b->os->driver_unbind(b->vm, b->cmd_ms, &err) :
		b->os->driver_unload(b->vm, b->cmd_ms, &err);
	if (!check_rc(b, rebind ? "unbind" : "unload", rc, &err, "done"))
		return;
	if (!wait_guest_balloon(b, rebind ? "unbound" : "unloaded", true, false))
		return;
	/* a departing driver returns every page: QEMU sees a full guest */
	balloon_finish(b, "driver gone: balloon empty", b->mem, after, t0);
	b->target = target;
	after = wall_now();
	t0 = hvt_now_ms();
	rc = rebind ? b->os->driver_bind(b->vm, b->cmd_ms, &err) :
		b->os->driver_load(b->vm, b->cmd_ms, &err);
	if (!check_rc(b, rebind ? "bind" : "load", rc, &err, "done"))
		return;
	if (!wait_guest_balloon(b, rebind ? "bound" : "loaded", true, true))
		return;
	/* the new driver instance reads the target and inflates again */
	balloon_finish(b, "driver back: balloon refilled", target, after, t0);
}

static void sc_driver_unload(struct bt *b)
{
	sc_driver_reload(b, false);
}

static void sc_driver_rebind(struct bt *b)
{
	sc_driver_reload(b, true);
}

/* The value of "key=" in key=value lines, or "" (points into text). */
static const char *info_value(char *text, const char *key, char *buf, size_t len)
{
	size_t n = strlen(key);

	buf[0] = '\0';
	for (char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, n) && p[n] == '=') {
			const char *v = p + n + 1;
			size_t k = strcspn(v, "\n");

			snprintf(buf, len, "%.*s", (int)k, v);
			break;
		}
	}
	return buf;
}

static void sc_driver_info(struct bt *b)
{
	const char *want_license = hvt_case_param(b->c, "driver_license", "GPL");
	const char *want_signed = hvt_case_param(b->c, "driver_signed", "yes");
	char *info = NULL, ver[128], magic[256], lic[64], sig[16];
	struct hvt_err err = HVT_ERR_INIT;
	int rc = b->os->driver_info(b->vm, b->cmd_ms, &info, &err);

	if (!check_rc(b, "driver information", rc, &err, "read"))
		return;
	hvt_case_check(b->c, "driver information recorded", 1, "%s", info);
	info_value(info, "version", ver, sizeof(ver));
	info_value(info, "vermagic", magic, sizeof(magic));
	info_value(info, "license", lic, sizeof(lic));
	info_value(info, "signed", sig, sizeof(sig));
	hvt_case_check(b->c, "driver built for the running kernel",
		       *ver && !strncmp(magic, ver, strlen(ver)), "vermagic '%s', kernel '%s'",
		       magic, ver);
	hvt_case_check(b->c, "driver license", !strcmp(lic, want_license), "'%s', expected '%s'",
		       lic, want_license);
	hvt_case_check(b->c, "driver signature", !strcmp(sig, want_signed),
		       "signed=%s, expected %s", sig, want_signed);
	free(info);
	/* and the driver does its job */
	balloon_set(b, "evict", evict_target(b), evict_target(b));
}

static bool event_after(const struct hvt_qmp_event *ev, void *opaque)
{
	return ev->timestamp >= *(const double *)opaque - 0.001;
}

static void sc_s3(struct bt *b)
{
	struct hvt_qmp_event *ev = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	const char *why = NULL;
	bool can = false;
	double after;
	int rc = b->os->can_suspend(b->vm, b->cmd_ms, &can, &why, &err);

	if (!check_rc(b, "suspend support", rc, &err, "queried"))
		return;
	if (!can) {
		hvt_case_skip(b->c, "S3 not possible: %s", why);
		return;
	}
	if (!balloon_set(b, "evict", evict_target(b), evict_target(b)))
		return;
	after = wall_now();
	rc = hvt_qga_send(hvt_vm_qga(b->vm), "guest-suspend-ram", NULL, &err);
	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "SUSPEND", event_after, &after,
					b->bal_ms, &ev, &err);
	hvt_qmp_event_free(ev);
	ev = NULL;
	if (!check_rc(b, "suspend: SUSPEND event", rc, &err, "guest suspended to RAM"))
		return;
	after = wall_now();
	rc = hvt_vm_qmp(b->vm, NULL, &err, "system_wakeup", NULL);
	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "WAKEUP", event_after, &after,
					b->bal_ms, &ev, &err);
	hvt_qmp_event_free(ev);
	if (!rc)
		rc = hvt_vm_wait_agent(b->vm, b->boot_ms, &err);
	if (!check_rc(b, "resume: WAKEUP, agent answers", rc, &err, "guest resumed"))
		return;
	balloon_finish(b, "after resume", b->target, 0, hvt_now_ms());
}

/* xorshift64*: the same seed gives the same sequence everywhere */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void sc_chaos(struct bt *b)
{
	static const char *const ops[] = { "balloon", "balloon", "stop-cont", "hotplug",
					   "reset", "migrate" };
	long long seed, steps;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf log = HVT_BUF_INIT;
	uint64_t s;
	const char *base = b->c->workdir;

	if (hvt_case_param_int(b->c, "chaos_seed", 0, &seed, &err) ||
	    hvt_case_param_int(b->c, "chaos_steps", 10, &steps, &err)) {
		hvt_case_error(b->c, "%s", err.msg);
		return;
	}
	if (!seed)
		seed = (long long)(time(NULL) ^ getpid());
	s = (uint64_t)seed ? (uint64_t)seed : 1;
	hvt_case_metric(b->c, "chaos_seed", (double)seed, "");
	hvt_case_check(b->c, "chaos seed", 1, "seed %lld (replay with chaos_seed = %lld)", seed,
		       seed);
	for (long long i = 0; i < steps && !b->aborted; i++) {
		const char *op = ops[next_rand(&s) % HVT_ARRAY_SIZE(ops)];
		char l[96];

		snprintf(l, sizeof(l), "seed %lld step %lld %s", seed, i + 1, op);
		hvt_buf_addf(&log, "%s\n", l);
		if (!strcmp(op, "balloon")) {
			long long span = (b->mem - b->min_target) / 16;
			long long to = b->min_target + (long long)(next_rand(&s) % (uint64_t)(span + 1)) * 16;

			if (!b->has_balloon) {
				check_no_balloon(b, l);
				continue;
			}
			hvt_buf_addf(&log, "  target %lld MiB\n", to);
			balloon_set(b, l, to, to);
		} else if (!strcmp(op, "stop-cont")) {
			int rc = hvt_vm_pause(b->vm, &err);

			if (!rc)
				rc = hvt_vm_cont(b->vm, &err);
			check_rc(b, l, rc, &err, "STOP, RESUME");
		} else if (!strcmp(op, "hotplug")) {
			if (b->has_balloon)
				unplug(b, l);
			else
				plug(b, l);
		} else if (!strcmp(op, "reset")) {
			long long before = b->target;

			if (reboot(b, l, true))
				check_after_reboot(b, l, before);
		} else if (migrate(b, l)) {
			check_migrated(b, l);
		}
		/* invariants after every step */
		if (!b->aborted) {
			int rc = hvt_vm_check_alive(b->vm, &err);

			if (!rc)
				rc = hvt_qga_ping(hvt_vm_qga(b->vm), b->cmd_ms, &err);
			snprintf(l, sizeof(l), "seed %lld step %lld: QEMU and guest alive", seed,
				 i + 1);
			check_rc(b, l, rc, &err, "QEMU runs, the agent answers");
		}
	}
	if (base) {
		char *path = hvt_asprintf("%s/chaos.log", base);

		if (!hvt_file_write(path, log.p ? log.p : "", log.len, NULL))
			hvt_case_artifact(b->c, "chaos.log", "chaos.log");
		free(path);
	}
	hvt_buf_release(&log);
}

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

/* ---- the test type ---- */

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
		rc = boot(b, b->boot_balloon, err);
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

	if (!b->os || c->skipped)
		return;
	for (size_t i = 0; i < HVT_ARRAY_SIZE(scenarios); i++) {
		if (!strcmp(scenarios[i].name, b->scenario)) {
			scenarios[i].fn(b);
			if (!c->skipped)
				final_checks(b);
			return;
		}
	}
	hvt_case_error(c, "unknown scenario '%s'", b->scenario);
}

static void balloon_cleanup(struct hvt_case *c, void *state)
{
	struct bt *b = state;

	(void)c;
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
