// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fio in the guests: one verifying random-write job per disk, each its
 * own process started through the agent without waiting; results read
 * back as fio's JSON and IOPS log, checked as the case expects, the IOPS
 * recorded as a time series and around each operation made meanwhile.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "storage.h"

#define FIO "/opt/tools/bin/fio"
#define FIO_DIR "/tmp/hvt-fio"
#define SWEEP_MS 250
/* Seconds of IOPS samples before and after an operation. */
#define WINDOW_S 2.0

void st_fio_release(struct st *s)
{
	for (size_t i = 0; i < s->njobs; i++) {
		free(s->jobs[i].stderr_text);
		free(s->jobs[i].samples);
	}
	free(s->jobs);
	s->jobs = NULL;
	s->njobs = 0;
	s->nops = 0;
}

struct st_job *st_fio_job(struct st *s, const struct st_disk *d)
{
	for (size_t i = 0; i < s->njobs; i++)
		if (s->jobs[i].disk == d)
			return &s->jobs[i];
	return NULL;
}

void st_fio_op(struct st *s, const char *label, const struct st_disk *d, double t0, double t1)
{
	struct st_op *op;

	if (!s->njobs || s->nops == HVT_ARRAY_SIZE(s->ops))
		return;
	op = &s->ops[s->nops++];
	snprintf(op->label, sizeof(op->label), "%s", label);
	op->disk = d;
	op->t0 = t0;
	op->t1 = t1;
}

/* Append one shell word, single-quoted. */
static void push_arg(struct hvt_buf *cmd, const char *fmt, ...) HVT_PRINTF(2, 3);

static void push_arg(struct hvt_buf *cmd, const char *fmt, ...)
{
	va_list ap;
	char *a;

	va_start(ap, fmt);
	a = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_buf_addf(cmd, " '");
	for (const char *p = a; *p; p++) {
		if (*p == '\'')
			hvt_buf_addf(cmd, "'\\''");
		else
			hvt_buf_add(cmd, p, 1);
	}
	hvt_buf_addf(cmd, "'");
	free(a);
}

/*
 * guest-exec fio for one job; its pid into j->pid. The job waits at its
 * start (exec_prerun) until the round's "go" file exists: fio takes
 * seconds to start under TCG, and the jobs of a round must run together.
 */
static int start_job(struct st *s, struct st_job *j, int runtime_s, struct hvt_err *err)
{
	struct hvt_buf cmd = HVT_BUF_INIT;
	struct json_object *ret = NULL;
	int rc;

	hvt_buf_addf(&cmd, "cd " FIO_DIR " && exec " FIO);
	push_arg(&cmd, "--name=%s", j->disk->id);
	push_arg(&cmd, "--filename=/dev/%s", j->dev);
	push_arg(&cmd, "--ioengine=libaio");
	push_arg(&cmd, "--direct=1");
	push_arg(&cmd, "--rw=randwrite");
	push_arg(&cmd, "--bs=%s", s->fio_bs);
	push_arg(&cmd, "--iodepth=%d", s->fio_iodepth);
	push_arg(&cmd, "--do_verify=1");
	push_arg(&cmd, "--verify=%s", s->fio_verify);
	push_arg(&cmd, "--verify_backlog=%d", s->fio_verify_backlog);
	push_arg(&cmd, "--verify_state_save=0");
	push_arg(&cmd, "--time_based=1");
	push_arg(&cmd, "--runtime=%d", runtime_s);
	push_arg(&cmd, "--exec_prerun=touch %s.ready; while [ ! -e " FIO_DIR "/go-%d ]; do "
		 "sleep 0.1; done", j->base, s->round);
	push_arg(&cmd, "--output-format=json");
	push_arg(&cmd, "--output=%s.json", j->base);
	push_arg(&cmd, "--write_iops_log=%s", j->base);
	push_arg(&cmd, "--log_avg_msec=%d", s->iops_log_ms);
	push_arg(&cmd, "--log_unix_epoch=1");
	rc = hvt_qga_execute(hvt_vm_qga(s->vm[j->vm]), "guest-exec",
			     hvt_json_build(NULL, "{'path': '/bin/sh', 'arg': ['-c', %s], "
					    "'capture-output': true}", cmd.p),
			     &ret, s->cmd_ms, err);
	if (!rc) {
		j->pid = hvt_json_get_int(ret, "pid", -1);
		if (j->pid < 0)
			rc = hvt_err_set(err, -EBADMSG, "guest-exec returned no pid");
	}
	json_object_put(ret);
	hvt_buf_release(&cmd);
	return rc;
}

static int poll_job(struct st *s, struct st_job *j, struct hvt_err *err);

/*
 * Wait until every job waits at the round's start (its ".ready" file), or
 * has ended already (it could not open its disk: its result says so).
 */
static int wait_ready(struct st *s, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + s->fio_start_ms;

	for (;;) {
		size_t waiting = 0;
		int rc = 0;

		for (int vm = 0; vm < ST_VMS && !rc; vm++) {
			struct hvt_qga_exec_result res = { 0 };
			struct hvt_buf cmd = HVT_BUF_INIT;
			const char *p;

			hvt_buf_addf(&cmd, "for f in");
			for (size_t i = 0; i < s->njobs; i++)
				if (s->jobs[i].vm == vm)
					hvt_buf_addf(&cmd, " %s.ready", s->jobs[i].base);
			hvt_buf_addf(&cmd, "; do [ -e $f ] && echo 1 || echo 0; done");
			rc = hvt_vm_sh(s->vm[vm], cmd.p, s->cmd_ms, &res, err);
			p = res.out;
			for (size_t i = 0; !rc && i < s->njobs; i++) {
				struct st_job *j = &s->jobs[i];
				bool ready;

				if (j->vm != vm)
					continue;
				ready = p && *p == '1';
				p = p ? strchr(p, '\n') : NULL;
				p = p ? p + 1 : NULL;
				if (!ready && !j->done) {
					rc = poll_job(s, j, err);
					waiting += !rc && !j->done;
				}
			}
			hvt_qga_exec_result_release(&res);
			hvt_buf_release(&cmd);
		}
		if (rc || !waiting)
			return rc;
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT, "%zu of %zu fio jobs not started "
					   "within %d ms", waiting, s->njobs, s->fio_start_ms);
		st_pause(s, 100);
	}
}

void st_fio_start(struct st *s, struct st_disk *const *disks, size_t n, enum st_expect expect,
		  int runtime_s, const char *label)
{
	struct hvt_qga_exec_result res = { 0 };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf started = HVT_BUF_INIT;
	int64_t t0;
	char name[128];
	int rc = 0;

	st_fio_release(s);
	s->round++;
	snprintf(name, sizeof(name), "%s: fio started", label);
	for (int i = 0; i < ST_VMS && !rc; i++) {
		rc = hvt_vm_sh(s->vm[i], "mkdir -p " FIO_DIR, s->cmd_ms, &res, &err);
		hvt_qga_exec_result_release(&res);
		if (!rc)
			rc = st_clock_read(s, i, &s->clock0[i], &err);
	}
	if (rc)
		st_require_rc(s, name, rc, &err, "");
	s->jobs = hvt_zalloc((n ? n : 1) * sizeof(*s->jobs));
	for (size_t i = 0; i < n; i++) {
		struct st_job *j = &s->jobs[s->njobs];
		const struct st_ctrl *k = st_ctrl(s, disks[i]->ctrl);
		bool present = false;

		j->disk = disks[i];
		j->vm = k ? k->vm : 0;
		j->expect = expect;
		snprintf(j->base, sizeof(j->base), FIO_DIR "/%s-%d", j->disk->id, s->round);
		rc = st_guest_find(s, j->vm, j->disk, &present, j->dev, sizeof(j->dev), &err);
		if (!rc && !present)
			rc = hvt_err_set(&err, -ENODEV, "%s is not in %s", j->disk->id,
					 st_vm_name(j->vm));
		if (rc) {
			hvt_err_prefix(&err, "fio on %s", j->disk->id);
			st_require_rc(s, name, rc, &err, "");
		}
		snprintf(j->disk->dev, sizeof(j->disk->dev), "%s", j->dev);
		s->njobs++;
	}
	t0 = hvt_now_ms();
	for (size_t i = 0; i < s->njobs && !rc; i++) {
		struct st_job *j = &s->jobs[i];

		rc = start_job(s, j, runtime_s, &err);
		if (rc)
			hvt_err_prefix(&err, "fio on %s", j->disk->id);
		j->t_start = st_case_time(s);
		hvt_buf_addf(&started, "%s%s (/dev/%s in %s)", i ? ", " : "", j->disk->id, j->dev,
			     st_vm_name(j->vm));
	}
	if (!rc)
		rc = wait_ready(s, &err);
	if (!rc)
		hvt_case_metric(s->c, "fio_startup", (double)(hvt_now_ms() - t0), "ms");
	/* go: every job of the round starts its I/O now */
	for (int vm = 0; vm < ST_VMS && !rc; vm++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "touch " FIO_DIR "/go-%d", s->round);
		rc = hvt_vm_sh(s->vm[vm], cmd, s->cmd_ms, &res, &err);
		hvt_qga_exec_result_release(&res);
	}
	if (rc) {
		char prefix[64];

		/* what the guests say while their jobs do not start */
		snprintf(prefix, sizeof(prefix), "fio/r%d-start", s->round);
		st_forensics(s, prefix);
		hvt_buf_release(&started);
		st_require_rc(s, name, rc, &err, "");
	}
	hvt_case_check(s->c, name, true, "%s for %d s, together %.1f s after the first start",
		       started.p ? started.p : "no job", runtime_s,
		       (double)(hvt_now_ms() - t0) / 1000);
	hvt_buf_release(&started);
}

/* One guest-exec-status; the first "exited" is kept (the agent forgets the pid then). */
static int poll_job(struct st *s, struct st_job *j, struct hvt_err *err)
{
	struct json_object *ret = NULL;
	const char *b64;
	int rc;

	rc = hvt_qga_execute(hvt_vm_qga(s->vm[j->vm]), "guest-exec-status",
			     hvt_json_build(NULL, "{'pid': %lld}", (long long)j->pid), &ret,
			     s->cmd_ms, err);
	if (rc)
		return rc;
	if (hvt_json_get_bool(ret, "exited", false)) {
		size_t len = 0;

		j->done = true;
		j->signal = (int)hvt_json_get_int(ret, "signal", 0);
		j->exit_code = (int)hvt_json_get_int(ret, "exitcode", j->signal ? -1 : 0);
		b64 = hvt_json_get_str(ret, "err-data");
		if (!b64 || hvt_base64_decode(b64, strlen(b64), &j->stderr_text, &len))
			j->stderr_text = hvt_strdup("");
	}
	json_object_put(ret);
	return 0;
}

int st_fio_ended(struct st *s, struct hvt_err *err)
{
	int ended = 0;

	for (size_t i = 0; i < s->njobs; i++) {
		struct st_job *j = &s->jobs[i];
		int rc = j->done || j->lost ? 0 : poll_job(s, j, err);

		if (rc)
			return rc;
		ended += j->done;
	}
	return ended;
}

void st_fio_stop(struct st *s, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];

	snprintf(name, sizeof(name), "%s: fio stopped", label);
	for (int vm = 0; vm < ST_VMS; vm++) {
		struct hvt_qga_exec_result res = { 0 };
		struct hvt_buf cmd = HVT_BUF_INIT;
		int rc;

		/* a job that ended meanwhile is gone: kill's complaint is no error */
		hvt_buf_addf(&cmd, "kill -INT");
		for (size_t i = 0; i < s->njobs; i++)
			if (s->jobs[i].vm == vm && !s->jobs[i].done && !s->jobs[i].lost)
				hvt_buf_addf(&cmd, " %lld", (long long)s->jobs[i].pid);
		hvt_buf_addf(&cmd, " 2>/dev/null; true");
		rc = hvt_vm_sh(s->vm[vm], cmd.p, s->cmd_ms, &res, &err);
		hvt_qga_exec_result_release(&res);
		hvt_buf_release(&cmd);
		if (rc)
			st_require_rc(s, name, rc, &err, "");
	}
	hvt_case_check(s->c, name, true, "SIGINT to every job still running");
}

static int count_verify_errors(const char *text)
{
	static const char *const marks[] = { "verify: bad", "verify failed", "bad magic header",
					     "bad header" };
	int n = 0;

	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		char *line = hvt_strndup(l, len);

		for (size_t k = 0; k < HVT_ARRAY_SIZE(marks); k++) {
			if (strstr(line, marks[k])) {
				n++;
				break;
			}
		}
		free(line);
		l = eol ? eol + 1 : NULL;
	}
	return n;
}

/* fio's JSON (after whatever fio printed before it), and the job's numbers. */
static void read_json(struct st *s, struct st_job *j)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc, *job;
	char *path = hvt_asprintf("%s.json", j->base), *text = NULL, *start, rel[96];
	size_t len = 0;

	if (hvt_qga_file_read(hvt_vm_qga(s->vm[j->vm]), path, &text, &len, s->cmd_ms, &err))
		goto out;
	snprintf(rel, sizeof(rel), "fio/r%d-%s.json", s->round, j->disk->id);
	st_save(s, rel, text, len);
	start = strstr(text, "\n{");
	start = text[0] == '{' ? text : start ? start + 1 : NULL;
	doc = start ? hvt_json_parse(start, NULL) : NULL;
	job = hvt_json_get(doc, "jobs.0");
	if (job) {
		struct json_object *v;

		j->have_json = true;
		j->error = hvt_json_get_int(job, "error", 0);
		v = hvt_json_get(job, "write.iops");
		j->write_iops = v ? json_object_get_double(v) : 0;
		j->write_mib = (double)hvt_json_get_int(job, "write.io_kbytes", 0) / 1024;
		j->read_mib = (double)hvt_json_get_int(job, "read.io_kbytes", 0) / 1024;
	}
	json_object_put(doc);
out:
	free(text);
	free(path);
}

/*
 * A guest wall-clock time as case time: through the two readings of the
 * round, which give the guest clock's rate as well as its offset.
 */
static double guest_to_case(const struct st *s, int vm, double g)
{
	const struct st_clock *a = &s->clock0[vm], *b = &s->clock1[vm];
	double rate = 1;

	if (b->guest - a->guest > 1 && b->host > a->host)
		rate = (b->host - a->host) / (b->guest - a->guest);
	return st_wall_to_case(s, a->host + (g - a->guest) * rate);
}

/* The IOPS log ("msec, value, direction, ..."; msec on the guest's wall clock). */
static void read_iops_log(struct st *s, struct st_job *j)
{
	char *path = hvt_asprintf("%s_iops.1.log", j->base), *text = NULL, name[32];
	size_t len = 0, cap = 0;

	if (hvt_qga_file_read(hvt_vm_qga(s->vm[j->vm]), path, &text, &len, s->cmd_ms, NULL))
		goto out;
	snprintf(name, sizeof(name), "iops %s", j->disk->id);
	for (const char *l = text; l && *l;) {
		long long ms, val;
		int dir;

		if (sscanf(l, "%lld, %lld, %d", &ms, &val, &dir) == 3 && dir == 1) {
			double t = guest_to_case(s, j->vm, (double)ms / 1000.0);

			if (j->nsamples == cap) {
				cap = cap ? cap * 2 : 32;
				j->samples = hvt_realloc(j->samples, cap * sizeof(*j->samples));
			}
			j->samples[j->nsamples].t = t;
			j->samples[j->nsamples++].iops = (double)val;
			st_metric_at(s, name, (double)val, "IOPS", t);
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
out:
	free(text);
	free(path);
}

/* Sum over the jobs not on the op's disk of their mean IOPS in [a, b); NAN when none. */
static double iops_in(const struct st *s, const struct st_op *op, double a, double b)
{
	double sum = 0;
	bool any = false;

	for (size_t i = 0; i < s->njobs; i++) {
		const struct st_job *j = &s->jobs[i];
		double acc = 0;
		int n = 0;

		if (j->disk == op->disk)
			continue;
		for (size_t k = 0; k < j->nsamples; k++) {
			if (j->samples[k].t >= a && j->samples[k].t < b) {
				acc += j->samples[k].iops;
				n++;
			}
		}
		if (n) {
			sum += acc / n;
			any = true;
		}
	}
	return any ? sum : NAN;
}

static void op_metrics(struct st *s)
{
	double step = s->iops_log_ms / 1000.0;

	for (size_t i = 0; i < s->nops; i++) {
		const struct st_op *op = &s->ops[i];
		double end = op->t1 + step;
		const struct {
			const char *when;
			double a, b;
		} w[] = {
			{ "before", op->t0 - WINDOW_S, op->t0 },
			{ "during", op->t0, end },
			{ "after", end, end + WINDOW_S },
		};

		for (size_t k = 0; k < HVT_ARRAY_SIZE(w); k++) {
			double v = iops_in(s, op, w[k].a, w[k].b);
			char name[128];

			if (isnan(v))
				continue;
			snprintf(name, sizeof(name), "iops %s %s", w[k].when, op->label);
			st_metric_at(s, name, v, "IOPS", w[k].b);
		}
	}
}

static void check_job(struct st *s, const char *label, struct st_job *j)
{
	bool stopped, exit_ok;
	char name[128];

	if (j->lost)
		return;
	if (j->expect == ST_EXPECT_FAIL) {
		snprintf(name, sizeof(name), "%s: fio %s stopped and failed", label, j->disk->id);
		hvt_case_check(s->c, name, j->exit_code != 0 && j->error != 0,
			       "exit %d, error %lld (%s)%s", j->exit_code, j->error,
			       j->error == EILSEQ ? "verify failed: the data read back was not "
			       "what was written" : j->error ? strerror((int)j->error) : "none",
			       j->have_json ? "" : ", no JSON");
		return;
	}
	snprintf(name, sizeof(name), "%s: fio %s clean", label, j->disk->id);
	if (j->expect == ST_EXPECT_ANY) {
		hvt_case_check_skip(s->c, name, "exit %d, error %lld, %d verify errors, %.1f MiB "
				    "written", j->exit_code, j->error, j->verify_errors,
				    j->write_mib);
		return;
	}
	/* fio ends with 128 when a signal (st_fio_stop()'s) ended its run */
	stopped = j->expect == ST_EXPECT_STOPPED;
	exit_ok = j->exit_code == 0 || (stopped && j->exit_code == 128);
	hvt_case_check(s->c, name, exit_ok && j->have_json && j->error == 0 &&
		       j->verify_errors == 0 && j->write_mib > 0,
		       "%sexit %d, error %lld, %d verify errors, %.0f write IOPS, %.1f MiB "
		       "written, %.1f MiB verified%s", stopped ? "stopped: " : "", j->exit_code,
		       j->error, j->verify_errors, j->write_iops, j->write_mib, j->read_mib,
		       j->have_json ? "" : ", no JSON");
}

void st_fio_wait(struct st *s, const char *label, int timeout_ms)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	struct hvt_err err = HVT_ERR_INIT;
	double total = 0;
	char name[128];

	for (;;) {
		size_t left = 0;

		for (size_t i = 0; i < s->njobs; i++) {
			struct st_job *j = &s->jobs[i];

			if (j->done || j->lost)
				continue;
			if (poll_job(s, j, &err)) {
				j->lost = true;
				snprintf(name, sizeof(name), "%s: fio %s result", label,
					 j->disk->id);
				hvt_case_check(s->c, name, false, "%s", err.msg);
				continue;
			}
			left += !j->done;
		}
		if (!left || !hvt_ms_left(deadline))
			break;
		st_pause(s, SWEEP_MS);
	}
	for (size_t i = 0; i < s->njobs; i++) {
		if (!s->jobs[i].done && !s->jobs[i].lost) {
			/* what the guests and the target say while a job hangs */
			char prefix[64];

			snprintf(prefix, sizeof(prefix), "fio/r%d-hang", s->round);
			st_forensics(s, prefix);
			break;
		}
	}
	for (int i = 0; i < ST_VMS; i++) {
		s->clock1[i] = s->clock0[i];
		st_clock_read(s, i, &s->clock1[i], NULL);
	}
	for (size_t i = 0; i < s->njobs; i++) {
		struct st_job *j = &s->jobs[i];

		if (!j->done && !j->lost) {
			char cmd[64];
			struct hvt_qga_exec_result res = { 0 };

			j->lost = true;
			snprintf(name, sizeof(name), "%s: fio %s ended", label, j->disk->id);
			if (s->hang_expected)
				hvt_case_check_skip(s->c, name, "still running %d ms after its "
						    "start: its I/O waits, as expected here",
						    timeout_ms);
			else
				hvt_case_check(s->c, name, false, "still running %d ms after its "
					       "start (its I/O hangs)", timeout_ms);
			snprintf(cmd, sizeof(cmd), "kill -9 %lld", (long long)j->pid);
			hvt_vm_sh(s->vm[j->vm], cmd, s->cmd_ms, &res, NULL);
			hvt_qga_exec_result_release(&res);
			continue;
		}
		if (j->lost)
			continue;
		j->verify_errors = count_verify_errors(j->stderr_text);
		if (j->stderr_text && *j->stderr_text) {
			char rel[96];

			snprintf(rel, sizeof(rel), "fio/r%d-%s.stderr", s->round, j->disk->id);
			st_save(s, rel, j->stderr_text, strlen(j->stderr_text));
		}
		read_json(s, j);
		read_iops_log(s, j);
		check_job(s, label, j);
		if (j->expect == ST_EXPECT_CLEAN || j->expect == ST_EXPECT_STOPPED)
			total += j->write_iops;
	}
	if (total > 0)
		hvt_case_metric(s->c, "fio_round_iops", total, "IOPS");
	op_metrics(s);
	s->nops = 0;
	st_health(s, label);
}
