// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The migration suite's steps: its machines, the guest's workloads, a
 * migration set up from the plan's keys, and the checks after it (RAM,
 * devices, run states, the side that must survive a failure).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migration.h"

bool mt_check_rc(struct mt *t, const char *name, int rc, const struct hvt_err *err,
		 const char *okmsg)
{
	return hvt_case_check(t->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

void mt_require_rc(struct mt *t, const char *name, int rc, const struct hvt_err *err,
		   const char *okmsg)
{
	hvt_case_require(t->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

/* A shell command in the guest that must exit 0; its stdout in *out (may be NULL). */
static int gsh(struct mt *t, struct hvt_vm *vm, const char *cmd, char **out, struct hvt_err *err)
{
	struct hvt_qga_exec_result res = { 0 };
	int rc = hvt_vm_sh(vm, cmd, t->cmd_ms, &res, err);

	if (out)
		*out = NULL;
	if (!rc && res.exit_code != 0)
		rc = hvt_err_set(err, -EIO, "'%.200s' exited with %d: %.300s", cmd, res.exit_code,
				 res.err && *res.err ? res.err : res.out ? res.out : "");
	if (!rc && out) {
		*out = res.out;
		res.out = NULL;
	}
	hvt_qga_exec_result_release(&res);
	return rc;
}

struct hvt_vm *mt_new_vm(struct mt *t, const char *incoming, bool paused, const char *dev,
			 const char *mem_opt, struct hvt_err *err)
{
	const char *devs[3] = { NULL, NULL, NULL }, *drives[2] = { NULL, NULL };
	const char *extra[3] = { NULL, NULL, NULL };
	struct hvt_vm_config cfg;
	char name[16], *drive = NULL;
	struct hvt_vm *vm;
	int nd = 0;

	snprintf(name, sizeof(name), "m%d", t->nvm++);
	hvt_vm_config_init(&cfg);
	cfg.name = name;
	cfg.machine = t->machine;
	cfg.cpu = t->cpu;
	cfg.accel = t->accel;
	cfg.cpus = (int)t->cpus;
	cfg.mem_mib = (uint64_t)t->mem;
	if (mem_opt || t->mem_opt) {
		/* a size in KiB: QEMU takes the last -m */
		extra[0] = "-m";
		extra[1] = mem_opt ? mem_opt : t->mem_opt;
		cfg.extra = extra;
	}
	if (t->disk) {
		drive = hvt_asprintf("file=%s,if=none,id=scratch,format=raw", t->disk);
		drives[0] = drive;
		devs[nd++] = "virtio-blk-pci,drive=scratch,serial=hvt-scratch";
		cfg.drives = drives;
	}
	devs[nd] = dev;
	cfg.devices = devs;
	cfg.incoming = incoming;
	cfg.paused = paused;
	vm = step_vm_new(t->c, &cfg, &t->consoles, err);
	free(drive);
	return vm;
}

void mt_boot_source(struct mt *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	int rc;

	t->src = mt_new_vm(t, NULL, false, t->src_dev, NULL, &err);
	if (!t->src)
		mt_require_rc(t, "boot", err.code, &err, "");
	rc = hvt_vm_start(t->src, &err);
	if (!rc)
		rc = hvt_vm_wait_agent(t->src, t->boot_ms, &err);
	mt_require_rc(t, "boot", rc, &err, "the agent answers");
	hvt_case_metric(t->c, "boot", (double)(hvt_now_ms() - t0), "ms");
	mt_load_start(t, t->src);
	if (t->src_paused) {
		rc = hvt_vm_pause(t->src, &err);
		mt_require_rc(t, "source paused", rc, &err, "stop: STOP");
	}
}

static const char *const load_names[] = {
	[MT_IDLE] = "idle", [MT_MEMORY] = "memory writer", [MT_DISK] = "disk writer",
	[MT_SPIN] = "shell loop",
};

void mt_load_start(struct mt *t, struct hvt_vm *vm)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *cmd = NULL, *dev = NULL, name[64];
	int rc = 0;

	switch (t->load) {
	case MT_IDLE:
		return;
	case MT_MEMORY:
		/* the same tmpfs pages rewritten with new data, again and again */
		cmd = hvt_asprintf("(while :; do dd if=/dev/urandom of=/dev/shm/hvt-mem bs=1M "
				   "count=%lld conv=notrunc 2>/dev/null; done) </dev/null >/dev/null "
				   "2>&1 & echo $! > /run/hvt-load.pid", t->load_mib);
		break;
	case MT_SPIN:
		cmd = hvt_strdup("(while :; do :; done) </dev/null >/dev/null 2>&1 & "
				 "echo $! > /run/hvt-load.pid");
		break;
	case MT_DISK:
		rc = gsh(t, vm, "for d in /sys/block/vd*; do [ \"$(cat $d/serial 2>/dev/null)\" = "
			 "hvt-scratch ] && echo ${d##*/}; done", &dev, &err);
		if (!rc && (!dev || !*dev))
			rc = hvt_err_set(&err, -ENODEV, "no disk with serial hvt-scratch in the guest");
		if (rc)
			break;
		dev[strcspn(dev, "\n")] = '\0';
		/*
		 * Write and verify in a loop, each run with new data
		 * (randrepeat=0), until asked to stop; every run's exit status
		 * goes to a file: a run in flight during the migration writes
		 * on one machine and verifies on the other.
		 */
		cmd = hvt_asprintf("rm -f /run/hvt-fio.*; (i=0; while [ ! -e /run/hvt-fio.stop ]; do "
				   "i=$((i+1)); fio --name=mig --filename=/dev/%s --rw=write --bs=4k "
				   "--size=%lldM --direct=1 --ioengine=psync --verify=crc32c "
				   "--verify_fatal=1 --do_verify=1 --randrepeat=0 "
				   "--output=/run/hvt-fio.$i.log >/dev/null 2>&1; echo \"$i $?\" >> "
				   "/run/hvt-fio.status; done) </dev/null >/dev/null 2>&1 & "
				   "echo $! > /run/hvt-load.pid", dev, t->load_mib);
		break;
	}
	if (!rc)
		rc = gsh(t, vm, cmd, NULL, &err);
	snprintf(name, sizeof(name), "workload started (%s)", load_names[t->load]);
	free(cmd);
	free(dev);
	mt_require_rc(t, name, rc, &err, "running in the background");
	t->load_running = true;
}

/* The fio runs' exit statuses: all 0, at least one. */
static void check_fio(struct mt *t, struct hvt_vm *vm, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *out = NULL, *log = NULL, name[128];
	int runs = 0, bad = 0, first_bad = 0;
	int rc = gsh(t, vm, "cat /run/hvt-fio.status", &out, &err);

	snprintf(name, sizeof(name), "%sfio verify clean", label);
	if (rc) {
		mt_check_rc(t, name, rc, &err, "");
		return;
	}
	for (char *p = out, *end; *p; p = end) {
		int i = 0, st = 0;

		end = p + strcspn(p, "\n");
		if (sscanf(p, "%d %d", &i, &st) == 2) {
			runs++;
			if (st && !bad++)
				first_bad = i;
		}
		if (*end)
			end++;
	}
	if (bad) {
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "grep -E 'verify|error|err=' /run/hvt-fio.%d.log | head -5",
			 first_bad);
		gsh(t, vm, cmd, &log, NULL);
	}
	hvt_case_metric(t->c, "fio_runs", runs, "");
	hvt_case_check(t->c, name, runs > 0 && !bad, "%d runs of write + verify, %d failed%s%s", runs,
		       bad, bad ? "; the first: " : "", log ? log : "");
	free(out);
	free(log);
}

void mt_load_stop(struct mt *t, struct hvt_vm *vm, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];
	int rc;

	if (!t->load_running)
		return;
	t->load_running = false;
	snprintf(name, sizeof(name), "%sworkload still running", label);
	rc = gsh(t, vm, "kill -0 $(cat /run/hvt-load.pid)", NULL, &err);
	mt_check_rc(t, name, rc, &err, "its process is alive");
	if (t->load != MT_DISK) {
		gsh(t, vm, "kill $(cat /run/hvt-load.pid); killall dd 2>/dev/null; rm -f /dev/shm/hvt-mem",
		    NULL, NULL);
		return;
	}
	/* let the run in flight finish and verify */
	rc = gsh(t, vm, "touch /run/hvt-fio.stop; p=$(cat /run/hvt-load.pid); i=0; "
		 "while kill -0 $p 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; "
		 "! kill -0 $p 2>/dev/null", NULL, &err);
	snprintf(name, sizeof(name), "%sfio loop stops", label);
	mt_check_rc(t, name, rc, &err, "the last run finished");
	check_fio(t, vm, label);
}

void mt_opts(struct mt *t, struct hvt_migrate_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->transport = t->transport;
	o->on_cmdline = t->cmdline;
	o->caps = (const char *const *)t->caps.v;
	o->params = t->params;
	o->dir = t->c->workdir;
}

int mt_try_migrate(struct mt *t, const struct hvt_migrate_opts *o, bool listens,
		   struct hvt_err *err)
{
	int rc;

	t->mig = hvt_migrate_new(t->src, o, err);
	rc = t->mig ? 0 : err->code;
	if (!rc) {
		t->dst = mt_new_vm(t, hvt_migrate_incoming(t->mig), false, NULL, NULL, err);
		rc = t->dst ? hvt_vm_start(t->dst, err) : err->code;
	}
	if (!rc)
		rc = hvt_migrate_start(t->mig, listens ? t->dst : NULL, err);
	if (!rc)
		rc = hvt_migrate_finish(t->mig, t->mig_ms, err);
	return rc;
}

void mt_migrate_begin(struct mt *t, const char *label, const struct hvt_migrate_opts *o,
		      bool dst_paused, const char *dst_dev, const char *dst_mem)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_opts opts;
	char name[128];
	int rc;

	if (o)
		opts = *o;
	else
		mt_opts(t, &opts);
	opts.dst_paused = dst_paused;
	t->nmig++;
	json_object_put(t->devices);
	t->devices = NULL;
	rc = hvt_migrate_devices(t->src, &t->devices, &err);
	snprintf(name, sizeof(name), "%s: source devices", label);
	mt_require_rc(t, name, rc, &err, "listed");
	snprintf(name, sizeof(name), "%s: migration set up", label);
	t->mig = hvt_migrate_new(t->src, &opts, &err);
	if (!t->mig)
		mt_require_rc(t, name, err.code, &err, "");
	if (!dst_dev)
		dst_dev = t->src_dev;
	t->dst = mt_new_vm(t, hvt_migrate_incoming(t->mig), dst_paused, dst_dev && *dst_dev ? dst_dev : NULL,
			   dst_mem, &err);
	rc = t->dst ? hvt_vm_start(t->dst, &err) : err.code;
	snprintf(name, sizeof(name), "%s: destination started", label);
	mt_require_rc(t, name, rc, &err, hvt_migrate_incoming(t->mig));
	rc = hvt_migrate_start(t->mig, t->dst, &err);
	snprintf(name, sizeof(name), "%s: migration started", label);
	mt_require_rc(t, name, rc, &err, hvt_migrate_uri(t->mig));
	if (!t->postcopy)
		return;
	rc = hvt_migrate_wait(t->mig, "active", t->mig_ms, &err);
	if (!rc)
		rc = hvt_migrate_postcopy(t->mig, &err);
	snprintf(name, sizeof(name), "%s: switch to postcopy", label);
	mt_require_rc(t, name, rc, &err, "migrate-start-postcopy accepted");
}

static void metric_if(struct mt *t, const char *name, double v, const char *unit)
{
	if (v >= 0)
		hvt_case_metric(t->c, name, v, unit);
}

void mt_record_stats(struct mt *t, const char *label)
{
	const struct hvt_strv *seq = hvt_migrate_statuses(t->mig);
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_stats st;
	struct hvt_buf b = HVT_BUF_INIT;
	const char *prev = NULL;
	bool ordered = true, events = false;
	char name[128];

	if (hvt_migrate_query(t->mig, &st, &err))
		return;
	metric_if(t, "total_time", st.total_ms, "ms");
	metric_if(t, "downtime", st.downtime_ms, "ms");
	metric_if(t, "setup_time", st.setup_ms, "ms");
	metric_if(t, "wall_time", st.wall_ms, "ms");
	metric_if(t, "transferred", st.transferred >= 0 ? (double)st.transferred / MIB : -1, "MiB");
	metric_if(t, "dirty_sync_count", (double)st.dirty_sync_count, "");
	metric_if(t, "pages_per_second", (double)st.pages_per_second, "pages/s");
	metric_if(t, "mbps", st.mbps, "Mbit/s");
	if (st.postcopy_requests > 0)
		hvt_case_metric(t->c, "postcopy_requests", (double)st.postcopy_requests, "");
	if (st.xbzrle_pages >= 0)
		hvt_case_metric(t->c, "xbzrle_pages", (double)st.xbzrle_pages, "");
	if (st.multifd_bytes > 0)
		hvt_case_metric(t->c, "multifd_bytes", (double)st.multifd_bytes / MIB, "MiB");
	if (st.cpu_throttle >= 0)
		hvt_case_metric(t->c, "cpu_throttle", (double)st.cpu_throttle, "%");
	for (size_t i = 0; i < t->caps.n; i++)
		events |= !strcmp(t->caps.v[i], "events");
	for (size_t i = 0; i < seq->n; i++) {
		hvt_buf_addf(&b, "%s%s", i ? " " : "", seq->v[i]);
		if (!hvt_migrate_status_follows(prev, seq->v[i]))
			ordered = false;
		prev = seq->v[i];
	}
	snprintf(name, sizeof(name), "%s: MIGRATION events in order", label);
	if (events)
		hvt_case_check(t->c, name, ordered && prev, "%s", b.p ? b.p : "no events");
	if (t->postcopy && !strcmp(st.status, "completed")) {
		bool seen = b.p && strstr(b.p, "postcopy-active");

		snprintf(name, sizeof(name), "%s: switched to postcopy", label);
		hvt_case_check(t->c, name, seen || st.postcopy_bytes > 0,
			       "%lld MiB sent in postcopy%s", st.postcopy_bytes >> 20,
			       seen ? ", status postcopy-active seen" : "");
	}
	hvt_buf_release(&b);
}

/* Bytes of guest RAM: -m as the plan gives it. */
static uint64_t ram_bytes(const struct mt *t)
{
	char *end;
	unsigned long long n;

	if (!t->mem_opt)
		return (uint64_t)t->mem * MIB;
	n = strtoull(t->mem_opt, &end, 10);
	if (*end == 'k' || *end == 'K')
		return n << 10;
	if (*end == 'G' || *end == 'g')
		return n << 30;
	return n << 20;
}

long mt_compare_ram(struct mt *t, const char *label, uint64_t **pages)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_ramcmp r;
	char name[128], *sum;
	long n;
	int rc;

	if (pages)
		*pages = NULL;
	hvt_ramcmp_init(&r, 256);
	rc = hvt_ramcmp_machines(&r, t->src, t->dst, ram_bytes(t), t->c->workdir, &err);
	snprintf(name, sizeof(name), "%s: guest RAM identical", label);
	if (rc) {
		mt_check_rc(t, name, rc, &err, "");
		hvt_ramcmp_release(&r);
		return -1;
	}
	sum = hvt_ramcmp_summary(&r, 8);
	hvt_case_metric(t->c, "ram_pages_differing", (double)r.ndiff, "");
	if (t->verdict)
		hvt_case_check(t->c, name, r.ndiff == 0, "%s", sum);
	else
		hvt_case_check(t->c, "RAM compared", true, "a measurement: %s", sum);
	if (r.ndiff) {
		char *file = hvt_asprintf("ram-diff-%d.txt", t->nmig);
		char *path = hvt_asprintf("%s/%s", t->c->workdir, file);

		if (!hvt_ramcmp_write_report(&r, path, NULL))
			hvt_case_artifact(t->c, file, file);
		free(path);
		free(file);
	}
	if (pages && r.nlist) {
		*pages = hvt_malloc((size_t)r.nlist * sizeof(**pages));
		for (long i = 0; i < r.nlist; i++)
			(*pages)[i] = r.list[i].addr;
	}
	n = pages ? r.nlist : r.ndiff;
	free(sum);
	hvt_ramcmp_release(&r);
	return n;
}

/* Poll vm's run state until it is want (or timeout_ms passed); the last one seen in buf. */
static int wait_runstate(struct hvt_vm *vm, const char *want, int timeout_ms, char *buf,
			 size_t len, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;

	for (;;) {
		int rc = hvt_migrate_runstate(vm, buf, len, err);

		if (rc || !strcmp(buf, want) || !hvt_ms_left(deadline))
			return rc;
		step_pause(vm, 100);
	}
}

long mt_check_migrated(struct mt *t, const char *label, bool dst_paused)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *devs = NULL;
	const char *want = t->src_paused || dst_paused ? "paused" : "running";
	char name[128], state[32], l[96];
	long lost = 0;
	int rc;

	rc = hvt_migrate_runstate(t->src, state, sizeof(state), &err);
	snprintf(name, sizeof(name), "%s: source in postmigrate", label);
	hvt_case_check(t->c, name, !rc && !strcmp(state, "postmigrate"), "%s",
		       rc ? err.msg : state);
	rc = wait_runstate(t->dst, want, 2000, state, sizeof(state), &err);
	snprintf(name, sizeof(name), "%s: destination %s", label, want);
	hvt_case_check(t->c, name, !rc && !strcmp(state, want), "%s%s", rc ? err.msg : state,
		       t->src_paused ? " (the source was paused)" :
		       dst_paused ? " (started with -S for the RAM comparison)" : "");
	if (t->compare_ram && !strcmp(state, "paused"))
		lost = mt_compare_ram(t, label, NULL);
	rc = hvt_migrate_devices(t->dst, &devs, &err);
	if (!rc)
		rc = hvt_migrate_devices_compare(t->devices, devs, &err);
	snprintf(name, sizeof(name), "%s: devices the same on the destination", label);
	mt_check_rc(t, name, rc, &err, "PCI, block and balloon as on the source");
	json_object_put(devs);

	/* the destination takes over */
	rc = hvt_vm_cont(t->dst, &err);
	snprintf(name, sizeof(name), "%s: destination runs", label);
	mt_require_rc(t, name, rc, &err, "cont: RESUME");
	snprintf(name, sizeof(name), "%s: source QEMU", label);
	mt_quit(t, t->src, name);
	hvt_vm_free(t->src);
	hvt_migrate_free(t->mig);
	t->mig = NULL;
	t->src = t->dst;
	t->dst = NULL;
	/* a guest that lost pages may be dead: no need to wait a boot's time */
	rc = hvt_vm_wait_agent(t->src, lost ? 30000 : t->boot_ms, &err);
	snprintf(name, sizeof(name), "%s: agent answers on the destination", label);
	mt_require_rc(t, name, rc, &err, "guest-sync answered");
	snprintf(l, sizeof(l), "%s: destination", label);
	mt_check_alive(t, t->src, l);
	return lost;
}

/* The guest's uptime in seconds, from /proc/uptime. */
static int uptime(struct mt *t, struct hvt_vm *vm, double *s, struct hvt_err *err)
{
	char *out = NULL;
	int rc = gsh(t, vm, "cat /proc/uptime", &out, err);

	if (!rc && sscanf(out, "%lf", s) != 1)
		rc = hvt_err_set(err, -EPROTO, "/proc/uptime: '%s'", out);
	free(out);
	return rc;
}

void mt_check_alive(struct mt *t, struct hvt_vm *vm, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	double a = 0, b = 0;
	char name[128];
	int rc = uptime(t, vm, &a, &err);

	if (!rc) {
		step_pause(vm, 500);
		rc = uptime(t, vm, &b, &err);
	}
	snprintf(name, sizeof(name), "%s: guest runs", label);
	if (rc)
		mt_check_rc(t, name, rc, &err, "");
	else
		hvt_case_check(t->c, name, b > a, "uptime %.2f s, then %.2f s", a, b);
}

void mt_check_source_survived(struct mt *t, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *want = t->src_paused ? "paused" : "running";
	char name[128], state[32];
	int rc = hvt_vm_check_alive(t->src, &err);

	snprintf(name, sizeof(name), "%s: source QEMU alive", label);
	mt_require_rc(t, name, rc, &err, "still runs");
	rc = wait_runstate(t->src, want, 10000, state, sizeof(state), &err);
	snprintf(name, sizeof(name), "%s: source %s", label, want);
	hvt_case_check(t->c, name, !rc && !strcmp(state, want), "%s", rc ? err.msg : state);
	if (t->src_paused) {
		rc = hvt_vm_cont(t->src, &err);
		mt_require_rc(t, name, rc, &err, "paused, then cont: RESUME");
	}
	rc = hvt_qga_ping(hvt_vm_qga(t->src), t->cmd_ms, &err);
	snprintf(name, sizeof(name), "%s: agent answers on the source", label);
	mt_check_rc(t, name, rc, &err, "guest-ping answered");
	mt_check_alive(t, t->src, label);
}

void mt_check_dst_failed(struct mt *t, const char *label, int timeout_ms)
{
	struct hvt_proc_status st = { 0 };
	struct hvt_proc *p = hvt_vm_proc(t->dst);
	char name[128], how[96], *path, *tail;
	int rc = hvt_proc_wait(p, timeout_ms, &st);

	snprintf(name, sizeof(name), "%s: destination QEMU ends cleanly", label);
	path = hvt_vm_path(t->dst, "qemu.stderr");
	tail = hvt_file_tail(path, 3);
	if (rc) {
		hvt_case_check(t->c, name, false, "still running %d ms later", timeout_ms);
	} else {
		hvt_proc_status_str(&st, how, sizeof(how));
		hvt_case_check(t->c, name, st.exited && st.code != 0 && !st.core,
			       "%s; stderr: %s", how, tail && *tail ? tail : "(empty)");
	}
	free(tail);
	free(path);
}

void mt_wait_transferred(struct mt *t, const char *label, long long bytes)
{
	int64_t deadline = hvt_now_ms() + t->mig_ms;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_stats st;
	char name[128];

	snprintf(name, sizeof(name), "%s: mid-transfer", label);
	for (;;) {
		int rc = hvt_migrate_query(t->mig, &st, &err);

		if (rc)
			mt_require_rc(t, name, rc, &err, "");
		if (st.transferred >= bytes && !hvt_migrate_status_final(st.status))
			break;
		if (hvt_migrate_status_final(st.status) || !hvt_ms_left(deadline))
			hvt_case_require(t->c, name, false, "migration %s after %lld MiB", st.status,
					 st.transferred >> 20);
		step_pause(t->src, 100);
	}
	hvt_case_check(t->c, name, true, "%s, %lld of %lld MiB sent, %lld remaining", st.status,
		       st.transferred >> 20, st.ram_total >> 20, st.remaining >> 20);
}

void mt_quit(struct mt *t, struct hvt_vm *vm, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];
	int rc = hvt_vm_quit(vm, 10000, &err);

	snprintf(name, sizeof(name), "%s exits cleanly", label);
	mt_check_rc(t, name, rc, &err, "quit: exit code 0");
}

void mt_drop_dst(struct mt *t)
{
	hvt_migrate_free(t->mig);
	t->mig = NULL;
	hvt_vm_free(t->dst);
	t->dst = NULL;
}
