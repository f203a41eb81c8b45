// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Balloon scenarios on the guest driver (reload, rebind, identity) and a
 * seeded random sequence of all operations.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balloon.h"

void sc_driver_reload(struct bt *b, bool rebind)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long target = bt_evict_target(b);
	int64_t t0;
	double after;
	int rc;

	if (!bt_balloon_set(b, "evict", target, target))
		return;
	after = hvt_wall_now();
	t0 = hvt_now_ms();
	rc = rebind ? b->os->driver_unbind(b->vm, b->cmd_ms, &err) :
		b->os->driver_unload(b->vm, b->cmd_ms, &err);
	bt_require_rc(b, rebind ? "unbind" : "unload", rc, &err, "done");
	if (!bt_wait_guest_balloon(b, rebind ? "unbound" : "unloaded", true, false))
		return;
	/* a departing driver returns every page: QEMU sees a full guest */
	bt_balloon_finish(b, "driver gone: balloon empty", b->mem, after, t0);
	b->target = target;
	after = hvt_wall_now();
	t0 = hvt_now_ms();
	rc = rebind ? b->os->driver_bind(b->vm, b->cmd_ms, &err) :
		b->os->driver_load(b->vm, b->cmd_ms, &err);
	bt_require_rc(b, rebind ? "bind" : "load", rc, &err, "done");
	if (!bt_wait_guest_balloon(b, rebind ? "bound" : "loaded", true, true))
		return;
	/* the new driver instance reads the target and inflates again */
	bt_balloon_finish(b, "driver back: balloon refilled", target, after, t0);
}

void sc_driver_unload(struct bt *b)
{
	sc_driver_reload(b, false);
}

void sc_driver_rebind(struct bt *b)
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

void sc_driver_info(struct bt *b)
{
	const char *want_license = hvt_case_param(b->c, "driver_license", "GPL");
	const char *want_signed = hvt_case_param(b->c, "driver_signed", "yes");
	char *info = NULL, ver[128], magic[256], lic[64], sig[16];
	struct hvt_err err = HVT_ERR_INIT;
	int rc = b->os->driver_info(b->vm, b->cmd_ms, &info, &err);

	bt_require_rc(b, "driver information", rc, &err, "read");
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
	bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b));
}

/* xorshift64*: the same seed gives the same sequence everywhere */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

void sc_chaos(struct bt *b)
{
	static const char *const ops[] = { "balloon", "balloon", "stop-cont", "hotplug",
					   "reset", "migrate" };
	long long seed, steps;
	struct hvt_err err = HVT_ERR_INIT;
	uint64_t s;

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
	for (long long i = 0; i < steps; i++) {
		const char *op = ops[next_rand(&s) % HVT_ARRAY_SIZE(ops)];
		char l[96];

		snprintf(l, sizeof(l), "seed %lld step %lld %s", seed, i + 1, op);
		hvt_buf_addf(&b->log, "%s\n", l);
		if (!strcmp(op, "balloon")) {
			long long span = (b->mem - b->min_target) / 16;
			long long to = b->min_target + (long long)(next_rand(&s) % (uint64_t)(span + 1)) * 16;

			if (!b->has_balloon) {
				bt_check_no_balloon(b, l);
				continue;
			}
			hvt_buf_addf(&b->log, "  target %lld MiB\n", to);
			bt_balloon_set(b, l, to, to);
		} else if (!strcmp(op, "stop-cont")) {
			int rc = hvt_vm_pause(b->vm, &err);

			if (!rc)
				rc = hvt_vm_cont(b->vm, &err);
			bt_require_rc(b, l, rc, &err, "STOP, RESUME");
		} else if (!strcmp(op, "hotplug")) {
			if (b->has_balloon)
				bt_unplug(b, l);
			else
				bt_plug(b, l);
		} else if (!strcmp(op, "reset")) {
			long long before = b->target;

			if (bt_reboot(b, l, true))
				bt_check_after_reboot(b, l, before);
		} else if (bt_migrate(b, l)) {
			bt_check_migrated(b, l);
		}
		/* invariants after every step */
		int rc = hvt_vm_check_alive(b->vm, &err);

		if (!rc)
			rc = hvt_qga_ping(hvt_vm_qga(b->vm), b->cmd_ms, &err);
		snprintf(l, sizeof(l), "seed %lld step %lld: QEMU and guest alive", seed, i + 1);
		bt_require_rc(b, l, rc, &err, "QEMU runs, the agent answers");
	}
}
