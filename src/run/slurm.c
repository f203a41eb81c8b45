// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A plan on a Slurm cluster: write the task script, sbatch --array, follow
 * the tasks with scontrol, merge each shard's store as its task ends,
 * scancel on request. Slurm's commands rather than libslurm: Debian's
 * libslurm-dev tracks the daemons' version (its API changes with every
 * Slurm release, and a cluster's nodes run the site's Slurm, not ours),
 * while sbatch/scontrol/scancel are the interface sites keep stable and
 * that a lab's wrappers (sbatch plugins, job_submit filters) expect.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "report.h"
#include "runner.h"
#include "slurm.h"

/* Seconds an sbatch/scontrol/scancel may take before it counts as hung. */
#define SLURM_CMD_MS 60000
/* After scancel: how long the tasks get to end before the run is merged anyway. */
#define SLURM_CANCEL_WAIT_S 60

struct follow {
	const struct hvt_slurm_opts *o;
	struct hvt_slurm_result *r;
	struct hvt_store *store;
	const char *results;		/* absolute */
	char *root;			/* RESULTS/run-M/shards */
	struct hvt_merge_want *want;
	size_t nwant;
	int nshards;
	bool *ended;			/* per task of r->tasks */
	char *reasons;			/* pending reasons said already, "|a|b|" */
	const struct hvt_slurm_needs *needs;
	char fatal[128];		/* a pending reason that never clears */
};

static void problem(const struct hvt_slurm_opts *o, const char *fmt, ...) HVT_PRINTF(2, 3);

static void problem(const struct hvt_slurm_opts *o, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = hvt_vasprintf(fmt, ap);
	va_end(ap);
	if (o->on_problem)
		o->on_problem(msg, o->opaque);
	free(msg);
}

int hvt_slurm_needs(struct hvt_case *const *cases, size_t n, struct hvt_slurm_needs *needs,
		    struct hvt_err *err)
{
	memset(needs, 0, sizeof(*needs));
	for (size_t i = 0; i < n; i++) {
		long long cpus, mem;
		bool kvm;

		if (hvt_case_param_int(cases[i], HVT_SLURM_KEY_CPUS, 0, &cpus, err) ||
		    hvt_case_param_int(cases[i], HVT_SLURM_KEY_MEM, 0, &mem, err) ||
		    hvt_case_param_bool(cases[i], HVT_SLURM_KEY_KVM, false, &kvm, err))
			return hvt_err_prefix(err, "case %s", cases[i]->name);
		if (cpus < 0 || cpus > INT_MAX || mem < 0 || mem > LONG_MAX / 2)
			return hvt_err_set(err, -EINVAL, "case %s: %s = %lld, %s = %lld: not a "
					   "number of CPUs and MiB >= 0", cases[i]->name,
					   HVT_SLURM_KEY_CPUS, cpus, HVT_SLURM_KEY_MEM, mem);
		if (cpus > needs->cpus)
			needs->cpus = (long)cpus;
		if (mem > needs->mem_mib)
			needs->mem_mib = (long)mem;
		needs->kvm = needs->kvm || kvm;
	}
	return 0;
}

/* The value of KEY= in one line of "scontrol -o show job" into buf ("" if absent). */
static void field(const char *line, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key), n = 0;
	const char *p = line;

	buf[0] = '\0';
	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=')
			break;
		p += kl;
	}
	if (!p)
		return;
	p += kl + 1;
	while (p[n] && p[n] != ' ' && p[n] != '\n')
		n++;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/*
 * Whether task id is in an ArrayTaskId: "3", or for tasks that share a
 * record (pending, or cancelled before they started) "0-3", "0,2-5",
 * "1-7%2" (at most 2 at once).
 */
static bool in_task_list(const char *list, long id)
{
	const char *p = list;

	while (*p && *p != '%') {
		char *end;
		long a, b;

		errno = 0;
		a = b = strtol(p, &end, 10);
		if (errno || end == p)
			return false;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (errno || end == p)
				return false;
		}
		if (id >= a && id <= b)
			return true;
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '%')
			return false;
	}
	return false;
}

static bool state_final(const char *s)
{
	static const char *const final[] = { "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT",
					     "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
					     "BOOT_FAIL", "DEADLINE" };

	for (size_t i = 0; i < HVT_ARRAY_SIZE(final); i++)
		if (!strcmp(s, final[i]))
			return true;
	return false;
}

/* Which cases of the plan the merged run has, by position in want. */
static int present_map(struct follow *f, bool *have, struct hvt_err *err)
{
	struct hvt_store_done done;
	size_t k = 0;
	int ret;

	ret = hvt_store_run_done(f->store, f->r->run_id, &done, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < f->nwant; i++) {
		while (k < done.n && done.v[k].index < f->want[i].index)
			k++;
		have[i] = k < done.n && done.v[k].index == f->want[i].index &&
			  !strcmp(done.v[k].name, f->want[i].name);
	}
	hvt_store_done_release(&done);
	return 0;
}

/* Merge a task's shard into the run and count its cases. */
static void task_merge(struct follow *f, struct hvt_slurm_task *t)
{
	char *dir = hvt_asprintf("%s/%d", f->root, t->shard);
	char *db = hvt_asprintf("%s/%s", dir, HVT_STORE_FILE);
	const char *dirs[] = { dir };
	struct hvt_merge_opts mo = { .dirs = dirs, .ndirs = 1, .want = f->want,
				     .nwant = f->nwant, .into = f->r->run_id };
	struct hvt_merge_result mr;
	struct hvt_err err = HVT_ERR_INIT;
	bool *have = hvt_zalloc((f->nwant ? f->nwant : 1) * sizeof(*have));

	if (hvt_path_exists(db)) {
		if (hvt_store_merge(f->store, f->results, &mo, &mr, &err)) {
			problem(f->o, "shard %d: cannot merge %s: %s", t->shard, dir, err.msg);
		} else {
			t->merged = true;
			f->r->overlaps += mr.noverlaps;
			hvt_merge_result_release(&mr);
		}
	}
	t->cases = t->missing = 0;
	hvt_err_clear(&err);
	if (present_map(f, have, &err)) {
		problem(f->o, "run %lld: %s", (long long)f->r->run_id, err.msg);
	} else {
		for (size_t i = 0; i < f->nwant; i++) {
			if (!hvt_runner_in_shard(f->want[i].index, t->shard, f->nshards))
				continue;
			if (have[i])
				t->cases++;
			else
				t->missing++;
		}
	}
	free(have);
	free(db);
	free(dir);
}

/*
 * The job's tasks as scontrol sees them now. A line may stand for several
 * pending tasks ("ArrayTaskId=1-3"): they are not ended, so only lines of
 * one task matter, plus the pending reasons. Returns 1 when the job is
 * gone from the controller (long ended), 0, or -errno.
 */
static int poll_job(struct follow *f, struct hvt_err *err)
{
	const char *argv[] = { "scontrol", "-o", "show", "job", f->r->job_id, NULL };
	char *out = NULL, *line, *save = NULL;
	int ret;

	ret = hvt_proc_run(argv, SLURM_CMD_MS, &out, err);
	if (ret) {
		if (out && strstr(out, "Invalid job id")) {
			free(out);
			hvt_err_clear(err);
			return 1;
		}
		hvt_err_prefix(err, "scontrol show job %s%s%s", f->r->job_id, out ? ": " : "",
			       out ? out : "");
		free(out);
		return ret;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char task[256], state[32], reason[128], node[64];

		field(line, "ArrayTaskId", task, sizeof(task));
		field(line, "JobState", state, sizeof(state));
		field(line, "Reason", reason, sizeof(reason));
		field(line, "BatchHost", node, sizeof(node));
		if (!node[0])
			field(line, "NodeList", node, sizeof(node));
		/* the tasks ask for more than the partition has: they would wait forever */
		if (!strcmp(state, "PENDING") &&
		    (!strcmp(reason, "PartitionConfig") || !strcmp(reason, "BadConstraints") ||
		     !strcmp(reason, "PartitionNodeLimit") || !strcmp(reason, "PartitionTimeLimit")))
			hvt_snprintf(f->fatal, sizeof(f->fatal), "%s", reason);
		if (!strcmp(state, "PENDING") && reason[0] && strcmp(reason, "None") &&
		    strcmp(reason, "Priority") && strcmp(reason, "Resources") &&
		    strcmp(reason, "BeginTime") && strcmp(reason, "JobArrayTaskLimit")) {
			char *mark = hvt_asprintf("|%s|", reason);

			if (!f->reasons || !strstr(f->reasons, mark)) {
				char *r = hvt_asprintf("%s%s", f->reasons ? f->reasons : "|", reason);

				free(f->reasons);
				f->reasons = hvt_asprintf("%s|", r);
				free(r);
				for (char *u = reason; *u; u++)
					if (*u == '_')
						*u = ' ';
				problem(f->o, "job %s: tasks pending: %s", f->r->job_id, reason);
			}
			free(mark);
		}
		if (!state_final(state))
			continue;
		for (size_t i = 0; i < f->r->ntasks; i++) {
			struct hvt_slurm_task *t = &f->r->tasks[i];

			if (!in_task_list(task, t->shard - 1) || f->ended[i])
				continue;
			hvt_snprintf(t->state, sizeof(t->state), "%s", state);
			hvt_snprintf(t->node, sizeof(t->node), "%s", node);
			if (strcmp(reason, "None"))
				hvt_snprintf(t->reason, sizeof(t->reason), "%s", reason);
			f->ended[i] = true;
		}
	}
	free(out);
	return 0;
}

static size_t count_ended(const struct follow *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->r->ntasks; i++)
		n += f->ended[i];
	return n;
}

/* Merge and report the tasks that ended since the last look. */
static void settle(struct follow *f, bool *merged)
{
	for (size_t i = 0; i < f->r->ntasks; i++) {
		if (!f->ended[i] || merged[i])
			continue;
		merged[i] = true;
		task_merge(f, &f->r->tasks[i]);
		if (f->o->on_task)
			f->o->on_task(&f->r->tasks[i], count_ended(f), f->r->ntasks, f->o->opaque);
	}
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int follow_job(struct follow *f, struct hvt_err *err)
{
	bool *merged = hvt_zalloc(f->r->ntasks * sizeof(*merged));
	double poll = f->o->poll_s > 0 ? f->o->poll_s : 1;
	time_t cancel_at = 0;
	int ret = 0;

	while (count_ended(f) < f->r->ntasks) {
		if (((f->o->cancel && *f->o->cancel) || f->fatal[0]) && !f->r->cancelled) {
			const char *argv[] = { "scancel", f->r->job_id, NULL };
			char *out = NULL;

			f->r->cancelled = true;
			cancel_at = time(NULL);
			if (hvt_proc_run(argv, SLURM_CMD_MS, &out, err))
				problem(f->o, "scancel %s: %s%s%s", f->r->job_id, err->msg,
					out && *out ? ": " : "", out ? out : "");
			hvt_err_clear(err);
			free(out);
		}
		ret = poll_job(f, err);
		if (ret < 0)
			break;
		if (ret == 1 || (cancel_at && time(NULL) - cancel_at > SLURM_CANCEL_WAIT_S)) {
			/* the controller forgot the job, or it does not end: take what is there */
			for (size_t i = 0; i < f->r->ntasks; i++) {
				if (f->ended[i])
					continue;
				hvt_snprintf(f->r->tasks[i].state, sizeof(f->r->tasks[i].state), "%s",
					     ret == 1 ? "UNKNOWN" : "CANCELLED");
				f->ended[i] = true;
			}
			ret = 0;
		}
		settle(f, merged);
		if (count_ended(f) < f->r->ntasks)
			sleep_s(f->r->cancelled ? 0.2 : poll);
	}
	if (!ret)
		settle(f, merged);
	free(merged);
	if (!ret && f->fatal[0])
		ret = hvt_err_set(err, -ENOSPC, "job %s cannot start (Slurm: %s): no node of %s "
				  "has what each task asks (%ld CPU(s), %s%s%s), or a time limit "
				  "above the partition's; the job was cancelled", f->r->job_id,
				  f->fatal, f->o->partition ? f->o->partition : "the partition",
				  f->needs->cpus ? f->needs->cpus : 1,
				  f->needs->mem_mib ? "memory as said by needs_mem" : "default memory",
				  f->needs->kvm ? ", feature kvm" : "",
				  f->o->time_limit_min ? ", --time-limit" : "");
	return ret;
}

/* The script every task runs: its shard of the plan, resumed if it has begun. */
static int write_script(struct follow *f, const char *path, const char *plan,
			struct hvt_err *err)
{
	const struct hvt_slurm_opts *o = f->o;
	struct hvt_strv cmd = HVT_STRV_INIT;
	char *line, *text, *root;
	int ret;

	hvt_strv_push(&cmd, o->hvtest);
	hvt_strv_push(&cmd, "run");
	for (size_t i = 0; i < o->nrun_args; i++)
		hvt_strv_push(&cmd, o->run_args[i]);
	hvt_strv_push(&cmd, plan);
	for (size_t i = 0; i < o->nfilters; i++)
		hvt_strv_push(&cmd, o->filters[i]);
	line = hvt_strv_join_quoted(&cmd);
	hvt_strv_release(&cmd);
	hvt_strv_push(&cmd, f->root);
	root = hvt_strv_join_quoted(&cmd);
	hvt_strv_release(&cmd);
	text = hvt_asprintf(
		"#!/bin/sh\n"
		"# One shard of hvtest run %lld per task of a Slurm job array (written by\n"
		"# hvtest run --slurm). A shard that has begun is resumed: only its\n"
		"# missing cases run. Exit 0 when hvtest ran (the cases' outcomes are in\n"
		"# the shard's store), its status otherwise.\n"
		"k=$((SLURM_ARRAY_TASK_ID + 1))\n"
		"d=%s/$k\n"
		"mkdir -p \"$d\" || exit 1\n"
		"echo \"hvtest: shard $k/%d on $(hostname) (job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID})\"\n"
		"resume=\n"
		"if [ -s \"$d/%s\" ]; then resume='--resume latest'; fi\n"
		"%s --shard \"$k/%d\" --results \"$d\" $resume\n"
		"rc=$?\n"
		"echo \"$rc\" > \"$d/exit-status\"\n"
		"[ \"$rc\" -le 1 ] && exit 0\n"
		"exit \"$rc\"\n",
		(long long)f->r->run_id, root, f->nshards, HVT_STORE_FILE, line, f->nshards);
	ret = hvt_file_write(path, text, strlen(text), err);
	if (!ret && chmod(path, 0755))
		ret = hvt_err_set(err, -errno, "%s: chmod: %s", path, strerror(errno));
	free(text);
	free(line);
	free(root);
	return ret;
}

static int submit(struct follow *f, const struct hvt_slurm_needs *needs, const char *script,
		  struct hvt_err *err)
{
	const struct hvt_slurm_opts *o = f->o;
	struct hvt_strv sv = HVT_STRV_INIT;
	struct hvt_buf spec = HVT_BUF_INIT;
	char *out = NULL, *p;
	int ret;

	for (size_t i = 0; i < f->r->ntasks; i++)
		hvt_buf_addf(&spec, "%s%d", i ? "," : "", f->r->tasks[i].shard - 1);
	hvt_strv_pushv(&sv, (const char *const[]){ "sbatch", "--parsable", "--no-requeue",
						   "--open-mode=append", NULL });
	hvt_strv_pushf(&sv, "--job-name=hvtest-run-%lld", (long long)f->r->run_id);
	hvt_strv_pushf(&sv, "--array=%s", spec.p);
	hvt_strv_pushf(&sv, "--output=%s/task-%%a.log", f->root);
	hvt_strv_pushf(&sv, "--chdir=%s", f->root);
	if (o->partition)
		hvt_strv_pushf(&sv, "--partition=%s", o->partition);
	if (o->time_limit_min)
		hvt_strv_pushf(&sv, "--time=%ld", o->time_limit_min);
	if (needs->cpus)
		hvt_strv_pushf(&sv, "--cpus-per-task=%ld", needs->cpus);
	if (needs->mem_mib)
		hvt_strv_pushf(&sv, "--mem=%ldM", needs->mem_mib);
	if (needs->kvm)
		hvt_strv_push(&sv, "--constraint=kvm");
	hvt_strv_push(&sv, script);
	ret = hvt_proc_run((const char *const *)sv.v, SLURM_CMD_MS, &out, err);
	if (ret) {
		char *why = out ? hvt_strdup(out) : hvt_strdup("");
		size_t n = strlen(why);

		while (n && why[n - 1] == '\n')
			why[--n] = '\0';
		if (strstr(why, "nvalid partition"))
			ret = hvt_err_set(err, -ENOENT, "partition '%s' does not exist on this "
					  "cluster ('sinfo -s' lists them): %s",
					  o->partition ? o->partition : "(default)", why);
		else if (strstr(why, "configuration is not available") ||
			 strstr(why, "nvalid feature"))
			ret = hvt_err_set(err, -ENOSPC, "no node of %s can run these cases "
					  "(%ld CPU(s), %ld MiB%s): %s",
					  o->partition ? o->partition : "the default partition",
					  needs->cpus ? needs->cpus : 1, needs->mem_mib,
					  needs->kvm ? ", feature kvm" : "", why);
		else
			hvt_err_prefix(err, "sbatch%s%s", *why ? ": " : "", why);
		free(why);
		goto out;
	}
	/* "JOBID" or "JOBID;CLUSTER" on the last line */
	p = out + strlen(out);
	while (p > out && (p[-1] == '\n' || p[-1] == ' '))
		*--p = '\0';
	while (p > out && p[-1] != '\n')
		p--;
	p[strcspn(p, ";")] = '\0';
	if (!*p || strspn(p, "0123456789") != strlen(p)) {
		ret = hvt_err_set(err, -EPROTO, "sbatch: no job id in its answer: %s", out);
		goto out;
	}
	hvt_snprintf(f->r->job_id, sizeof(f->r->job_id), "%s", p);
out:
	free(out);
	hvt_buf_release(&spec);
	hvt_strv_release(&sv);
	return ret;
}

/* The number of shards a run was submitted with (RESULTS/run-M/shards/count). */
static int read_count(const char *root, int *n, struct hvt_err *err)
{
	char *path = hvt_asprintf("%s/count", root);
	char *text = NULL, *end;
	long v;
	int ret;

	ret = hvt_file_read(path, &text, NULL, err);
	if (!ret) {
		errno = 0;
		v = strtol(text, &end, 10);
		if (errno || end == text || v < 1 || v > INT_MAX)
			ret = hvt_err_set(err, -EBADMSG, "%s: not a number of shards", path);
		else
			*n = (int)v;
	}
	if (ret)
		hvt_err_prefix(err, "not a run submitted to Slurm");
	free(text);
	free(path);
	return ret;
}

static int begin_run(struct follow *f, size_t ncases, struct hvt_err *err)
{
	const struct hvt_slurm_opts *o = f->o;
	struct hvt_run_info ri = { 0 };
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	ri.plan = o->plan;
	ri.filters = o->nfilters ? o->cmdline : "";
	ri.argv = o->cmdline;
	ri.total = (long)ncases;
	ri.pid = (int)getpid();
	ri.host.hostname = host[0] ? host : NULL;
	return hvt_store_run_begin(f->store, &ri, &f->r->run_id, err);
}

/* A new run whose job could not be submitted: no trace of it. */
static void forget_run(struct follow *f)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *dir = hvt_asprintf("%s/run-%lld", f->results, (long long)f->r->run_id);

	if (hvt_store_run_delete(f->store, f->r->run_id, &err))
		problem(f->o, "run %lld: %s", (long long)f->r->run_id, err.msg);
	hvt_rm_rf(dir);
	free(dir);
}

/* RESULTS/run-M/report.html, as a local run writes it; NULL (and a problem) if not. */
static char *write_page(struct follow *f)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/run-%lld/report.html", f->results, (long long)f->r->run_id);

	if (hvt_report_run_file(f->store, f->r->run_id, HVT_REPORT_HTML, NULL, path, &err)) {
		problem(f->o, "report page: %s", err.msg);
		free(path);
		return NULL;
	}
	return path;
}

int hvt_slurm_run(const struct hvt_slurm_opts *o, struct hvt_slurm_result *r,
		  struct hvt_err *err)
{
	struct hvt_session_opts so = { .plan = o->plan, .filters = o->filters,
				       .nfilters = o->nfilters };
	struct follow f = { .o = o, .r = r };
	struct hvt_slurm_needs needs;
	struct hvt_case **cases = NULL;
	char *results = NULL, *plan = NULL, *script = NULL;
	bool *have = NULL;
	size_t ncases = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = hvt_session_cases(&so, &cases, &ncases, NULL, err);
	if (ret)
		return ret;
	ret = hvt_runner_check(cases, ncases, err);
	if (!ret)
		ret = hvt_slurm_needs(cases, ncases, &needs, err);
	if (ret)
		goto out;
	r->ncases = ncases;
	f.nwant = ncases;
	f.want = hvt_zalloc((ncases ? ncases : 1) * sizeof(*f.want));
	for (size_t i = 0; i < ncases; i++)
		f.want[i] = (struct hvt_merge_want){ cases[i]->index, cases[i]->name };
	plan = realpath(o->plan, NULL);
	if (!plan) {
		ret = hvt_err_set(err, -errno, "%s: %s", o->plan, strerror(errno));
		goto out;
	}
	f.store = hvt_store_open(o->results, err);
	if (!f.store) {
		ret = err->code ? err->code : -EIO;
		goto out;
	}
	results = realpath(o->results, NULL);
	f.results = results;
	if (o->resume) {
		ret = hvt_store_run_resolve(f.store, o->resume, &r->run_id, err);
		if (ret)
			goto out;
		f.root = hvt_asprintf("%s/run-%lld/shards", results, (long long)r->run_id);
		ret = read_count(f.root, &f.nshards, err);
	} else {
		if (o->shards < 1) {
			ret = hvt_err_set(err, -EINVAL, "%d shards: give 1 or more", o->shards);
			goto out;
		}
		f.nshards = o->shards;
		ret = begin_run(&f, ncases, err);
		if (ret)
			goto out;
		f.root = hvt_asprintf("%s/run-%lld/shards", results, (long long)r->run_id);
		ret = hvt_mkdir_p(f.root, 0755, err);
		if (!ret) {
			char *count = hvt_asprintf("%s/count", f.root);
			char *text = hvt_asprintf("%d\n", f.nshards);

			ret = hvt_file_write(count, text, strlen(text), err);
			free(count);
			free(text);
		}
	}
	if (ret)
		goto out;
	/* the shards that have cases the run lacks */
	have = hvt_zalloc((ncases ? ncases : 1) * sizeof(*have));
	ret = present_map(&f, have, err);
	if (ret)
		goto out;
	r->tasks = hvt_zalloc((size_t)f.nshards * sizeof(*r->tasks));
	for (int k = 1; k <= f.nshards; k++) {
		bool needed = false;

		for (size_t i = 0; i < ncases && !needed; i++)
			needed = !have[i] && hvt_runner_in_shard(f.want[i].index, k, f.nshards);
		if (needed) {
			r->tasks[r->ntasks].log = hvt_asprintf("%s/task-%d.log", f.root, k - 1);
			r->tasks[r->ntasks++].shard = k;
		}
	}
	f.ended = hvt_zalloc((r->ntasks ? r->ntasks : 1) * sizeof(*f.ended));
	if (r->ntasks) {
		script = hvt_asprintf("%s/task.sh", f.root);
		ret = write_script(&f, script, plan, err);
		if (!ret)
			ret = submit(&f, &needs, script, err);
		if (ret && !o->resume)
			forget_run(&f);
		if (ret)
			goto out;
		if (o->on_submit)
			o->on_submit(r->job_id, r->run_id, r->ntasks, ncases, &needs, o->opaque);
		f.needs = &needs;
		ret = follow_job(&f, err);
		if (ret && f.fatal[0] && !o->resume)
			forget_run(&f);
		if (ret)
			goto out;
	}
	ret = present_map(&f, have, err);
	if (ret)
		goto out;
	for (size_t i = 0; i < ncases; i++) {
		if (have[i]) {
			r->present++;
			continue;
		}
		r->missing = hvt_realloc(r->missing, (r->nmissing + 1) * sizeof(*r->missing));
		r->missing[r->nmissing].index = f.want[i].index;
		r->missing[r->nmissing++].name = hvt_strdup(f.want[i].name);
	}
	{
		struct hvt_run_info ri;

		ret = hvt_store_run_get(f.store, r->run_id, &ri, err);
		if (ret)
			goto out;
		r->exit_status = r->nmissing ? 1 : 0;
		for (int oc = 0; oc < HVT_OUTCOME_COUNT; oc++)
			if (hvt_outcome_bad((enum hvt_outcome)oc) && ri.counts[oc])
				r->exit_status = 1;
		hvt_run_info_release(&ri);
		ret = hvt_store_run_end(f.store, r->run_id, r->exit_status, err);
	}
	if (!ret)
		r->page = write_page(&f);
out:
	hvt_store_cases_free(cases, ncases);
	hvt_store_close(f.store);
	free(f.want);
	free(f.root);
	free(f.ended);
	free(f.reasons);
	free(have);
	free(results);
	free(plan);
	free(script);
	return ret;
}

void hvt_slurm_result_release(struct hvt_slurm_result *r)
{
	for (size_t i = 0; i < r->nmissing; i++)
		free(r->missing[i].name);
	free(r->missing);
	for (size_t i = 0; i < r->ntasks; i++)
		free(r->tasks[i].log);
	free(r->tasks);
	free(r->page);
	memset(r, 0, sizeof(*r));
}
