// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runner: schedules case attempts into forked processes, enforces
 * timeouts, collects each attempt's record and shows progress.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "runner.h"
#include "testtype.h"

#define DEFAULT_TIMEOUT 600.0
/* How long a timed-out case gets after SIGTERM to kill its machines itself. */
#define TERM_GRACE_MS 2000
/* How deep the search for forensic files goes below an attempt's directory. */
#define FORENSICS_DEPTH 16

struct job {
	struct hvt_case *tmpl;	/* the case as the plan gives it */
	double timeout;		/* seconds per attempt: its "timeout" key, or the runner's */
	int attempt;
	int runs_left;		/* repeats still to start after this one */
	int reruns_left;
	int reps_done;		/* repetitions settled (after their reruns) */
	int reps_failed;	/* ... of which ended failed, errored or timed out */
	bool failed_before;	/* an earlier attempt of this run failed */
	bool flaky;		/* ... and a later one passed */
	/* dependencies: dep[k] for tmpl->deps[k], the job, or -1 when settled before */
	const long *dep;
	size_t pending;		/* dependencies in this run not ended yet */
	bool released;		/* its dependencies ended: queued or skipped */
	enum hvt_outcome oc;	/* once its final record is out: its outcome */
	char *dir;		/* ... and its directory, made absolute */
};

struct slot {
	struct job *job;
	struct hvt_proc *proc;
	char *dir;
	int64_t deadline;
	int64_t started;
	double wall_started;	/* wall clock, for the record of a killed attempt */
};

/*
 * The dependency graph of the cases of a run: case i depends on the cases
 * dep[off[i]] .. dep[off[i + 1] - 1] (positions in the array of cases,
 * -1 for a dependency settled before the run), one per cases[i]->deps[k];
 * its dependents are rdep[roff[i]] .. rdep[roff[i + 1] - 1].
 */
struct dep_graph {
	size_t *off, *roff;
	long *dep;
	size_t *rdep;
};

struct runner {
	const struct hvt_runner_opts *o;
	struct job *jobs;
	size_t njobs;
	struct job **retry;	/* jobs waiting for another attempt */
	size_t nretry;
	struct job **ready;	/* jobs whose dependencies passed, in plan order */
	size_t ready_head, ready_tail;
	struct dep_graph g;
	struct slot *slots;
	int nslots, running;
	size_t done_cases, failed_cases, attempts_done;
	double attempt_secs;	/* total time of finished attempts, for the ETA */
	struct hvt_runner_summary *sum;
	int64_t t0;
};

int hvt_runner_parse_shard(const char *s, int *k, int *n, struct hvt_err *err)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || *end != '/')
		goto bad;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (errno || end == s || *end || a < 1 || b < 1 || a > b || b > INT_MAX)
		goto bad;
	*k = (int)a;
	*n = (int)b;
	return 0;
bad:
	return hvt_err_set(err, -EINVAL, "shard '%s' is not K/N with 1 <= K <= N", s);
}

bool hvt_runner_in_shard(long pos, int k, int n)
{
	return pos % n == k - 1;
}

static void case_main(void *arg)
{
	struct slot *s = arg;
	struct hvt_case *c = s->job->tmpl;
	struct json_object *j;
	char *tmp, *final;
	struct hvt_err err = HVT_ERR_INIT;

	/* machines this case starts keep their files in its directory */
	setenv("HVT_WORKDIR", s->dir, 1);
	setenv("HVT_KEEP", "1", 1);
	hvt_proc_install_reaper();
	free(c->workdir);
	c->workdir = hvt_strdup(s->dir);
	c->attempt = s->job->attempt;
	c->t0 = hvt_now();
	hvt_test_type_run_case(hvt_test_type_find(c->type), c);
	j = hvt_case_to_json(c);
	tmp = hvt_asprintf("%s/case.json.tmp", s->dir);
	final = hvt_asprintf("%s/case.json", s->dir);
	if (!hvt_file_write(tmp, hvt_json_str(j), strlen(hvt_json_str(j)), &err))
		rename(tmp, final);
	else
		fprintf(stderr, "hvtest: %s\n", err.msg);
	hvt_proc_kill_all();
}

static const char *const forensic_files[] = {
	"console.log", "qmp.log", "qemu.stderr", "output.log", "exec.stdout", "exec.stderr",
};

static bool is_forensic(const char *name)
{
	for (size_t i = 0; i < HVT_ARRAY_SIZE(forensic_files); i++)
		if (!strcmp(name, forensic_files[i]))
			return true;
	return false;
}

/*
 * Record the forensic files below root/rel (rel "" for root itself) as
 * artifacts named by their path relative to root; symbolic links are
 * not followed. Everything it uses is on the stack or in c: no walker
 * with global state (nftw() has no argument for its callback).
 */
static void collect_forensics(struct hvt_case *c, const char *root, const char *rel, int depth)
{
	char *dir = rel[0] ? hvt_asprintf("%s/%s", root, rel) : hvt_strdup(root);
	DIR *d = opendir(dir);
	struct dirent *e;

	free(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		unsigned char type = e->d_type;
		struct stat st;
		char *path;
		bool known = false;

		/* file systems that do not say: ask, without following links */
		if (type == DT_UNKNOWN && !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		if (type != DT_REG && type != DT_DIR)
			continue;
		if (type == DT_DIR && (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")))
			continue;
		if (type == DT_REG && !is_forensic(e->d_name))
			continue;
		path = rel[0] ? hvt_asprintf("%s/%s", rel, e->d_name) : hvt_strdup(e->d_name);
		if (type == DT_DIR) {
			if (depth < FORENSICS_DEPTH)
				collect_forensics(c, root, path, depth + 1);
			free(path);
			continue;
		}
		for (size_t k = 0; k < c->nartifacts && !known; k++)
			known = !strcmp(c->artifacts[k].path, path);
		if (!known)
			hvt_case_artifact(c, path, path);
		free(path);
	}
	closedir(d);
}

/* The record of an ended attempt: its own, or one saying how it ended. */
static struct hvt_case *collect(struct slot *s, const struct hvt_proc_status *st,
				bool timed_out, double secs)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_case *c = NULL;
	char *path = hvt_asprintf("%s/case.json", s->dir);
	char *text = NULL, how[128];

	if (!timed_out && !hvt_file_read(path, &text, NULL, NULL)) {
		struct json_object *j = hvt_json_parse(text, &err);

		if (j)
			c = hvt_case_from_json(j, &err);
		json_object_put(j);
	}
	if (!c) {
		c = hvt_case_copy(s->job->tmpl);
		c->attempt = s->job->attempt;
		c->start = s->wall_started;
		free(c->workdir);
		c->workdir = hvt_strdup(s->dir);
		if (timed_out) {
			c->timed_out = true;
			c->reason = hvt_asprintf("timed out after %.0f s; its processes were killed",
						 secs);
		} else if (!st->exited || st->code) {
			hvt_case_error(c, "case process %s",
				       hvt_proc_status_str(st, how, sizeof(how)));
		} else {
			hvt_case_error(c, "case process left no record: %s",
				       text ? err.msg : "case.json missing");
		}
	}
	c->duration = secs;
	collect_forensics(c, s->dir, "", 0);
	free(text);
	free(path);
	return c;
}

int hvt_runner_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* -EDEADLK when forking a case process now could copy another thread's locks. */
static int check_one_thread(struct hvt_err *err)
{
	int n = hvt_runner_threads();

	if (n <= 1)
		return 0; /* one, or no /proc to count with: nothing to go by */
	return hvt_err_set(err, -EDEADLK,
			   "this process has %d threads: the runner forks case processes that "
			   "go on running hvtest code without exec, and fork() copies only the "
			   "calling thread, so a lock another thread holds (malloc, stdio, a "
			   "library's) would stay locked in the case process for good; run "
			   "cases from a process without other threads", n);
}

static int start(struct runner *r, struct slot *s, struct job *job, struct hvt_err *err)
{
	/* the process's name; a plan without variants has one case named "" */
	const char *name = job->tmpl->shortname && *job->tmpl->shortname ?
				   job->tmpl->shortname : "case";
	const char *argv[] = { name, NULL };
	struct hvt_proc_opts po = { .argv = argv, .fn = case_main, .fn_arg = s };
	char *out;
	int ret;

	ret = check_one_thread(err);
	if (ret)
		return ret;
	/* where the dependencies left their files, for the case process */
	for (size_t k = 0; k < job->tmpl->ndeps; k++) {
		if (job->dep[k] < 0)
			continue;
		free(job->tmpl->deps[k].dir);
		job->tmpl->deps[k].dir = hvt_strdup(r->jobs[job->dep[k]].dir);
	}
	s->job = job;
	s->dir = hvt_asprintf("%s/%ld.%d", r->o->workroot, job->tmpl->index, job->attempt);
	hvt_rm_rf(s->dir);
	ret = hvt_mkdir_p(s->dir, 0755, err);
	if (ret)
		return ret;
	out = hvt_asprintf("%s/output.log", s->dir);
	po.stdout_path = po.stderr_path = out;
	s->proc = hvt_proc_spawn(&po, err);
	free(out);
	if (!s->proc)
		return err ? err->code : -EIO;
	s->started = hvt_now_ms();
	s->wall_started = hvt_wall_now();
	s->deadline = s->started + (int64_t)(job->timeout * 1000);
	r->running++;
	return 0;
}

static struct job *next_job(struct runner *r)
{
	if (r->nretry)
		return r->retry[--r->nretry];
	if (r->ready_head < r->ready_tail)
		return r->ready[r->ready_head++];
	return NULL;
}

/* The first dependency of job that did not pass, or NULL; its outcome into *oc. */
static const char *failed_dep(struct runner *r, struct job *job, enum hvt_outcome *oc)
{
	const struct hvt_case *c = job->tmpl;

	for (size_t k = 0; k < c->ndeps; k++) {
		*oc = job->dep[k] < 0 ? c->deps[k].outcome : r->jobs[job->dep[k]].oc;
		if (*oc != HVT_PASS)
			return c->deps[k].name;
	}
	return NULL;
}

/*
 * Why a finished case did not pass, for its progress line, into buf: its
 * reason, else "check NAME: message" of its first failed check, and for
 * an expected failure or an unexpected pass what was expected.
 */
static const char *why_not_passed(const struct hvt_case *c, enum hvt_outcome oc, char *buf,
				  size_t len)
{
	const struct hvt_check *k = NULL;

	for (size_t i = 0; i < c->nchecks && !k; i++)
		if (c->checks[i].status == HVT_FAIL)
			k = &c->checks[i];
	if (oc == HVT_XPASS)
		snprintf(buf, len, "expected to fail: %s", c->xfail);
	else if (c->reason)
		snprintf(buf, len, "%s", c->reason);
	else if (k && oc == HVT_XFAIL)
		snprintf(buf, len, "%s (check %s: %s)", c->xfail, k->name, k->message);
	else if (k)
		snprintf(buf, len, "check %s: %s", k->name, k->message);
	else
		buf[0] = '\0';
	return buf;
}

static void progress(struct runner *r, const struct hvt_case *c)
{
	FILE *f = r->o->progress;
	double elapsed = (double)(hvt_now_ms() - r->t0) / 1000;
	enum hvt_outcome oc;
	char eta[32] = "";

	if (!f)
		return;
	if (r->attempts_done && r->done_cases < r->njobs) {
		/* remaining cases at the mean attempt time, spread over the slots */
		double left = r->attempt_secs / (double)r->attempts_done *
			      (double)(r->njobs - r->done_cases) / r->nslots;

		if (left >= 90)
			snprintf(eta, sizeof(eta), ", ETA %.0fm", left / 60);
		else
			snprintf(eta, sizeof(eta), ", ETA %.0fs", left);
	}
	if (c) {
		char why[512];

		oc = hvt_case_outcome(c);
		why_not_passed(c, oc, why, sizeof(why));
		if (r->o->tty)
			fputs("\r\033[K", f);
		if (!r->o->tty || oc != HVT_PASS) {
			const char *col = oc == HVT_PASS		      ? "\033[32m" :
					  oc == HVT_SKIP || oc == HVT_XFAIL ? "\033[33m" :
									      "\033[31m";

			fprintf(f, "%s%-7s%s %s (%.1f s)%s%s\n", r->o->tty ? col : "",
				hvt_outcome_name(oc), r->o->tty ? "\033[0m" : "", c->name,
				c->duration, why[0] ? ": " : "", why);
		}
	}
	if (r->o->tty) {
		fprintf(f, "\r\033[K[%zu/%zu] %d running, %zu failed%s, %.0fs", r->done_cases,
			r->njobs, r->running, r->failed_cases, eta, elapsed);
	}
	fflush(f);
}

static void ended(struct runner *r, struct job *job);

/* Record a job as skipped, never run, because its dependency name ended oc. */
static void skip_job(struct runner *r, struct job *job, const char *name, enum hvt_outcome oc)
{
	struct hvt_case *c = hvt_case_copy(job->tmpl);

	c->attempt = 1;
	c->start = hvt_wall_now();
	hvt_case_skip(c, "dependency %s failed (outcome: %s)", name, hvt_outcome_name(oc));
	job->oc = HVT_SKIP;
	r->done_cases++;
	r->sum->outcome[HVT_SKIP]++;
	if (r->o->on_done)
		r->o->on_done(c, true, r->o->opaque);
	progress(r, c);
	hvt_case_free(c);
}

/*
 * A job whose dependencies have all ended: ready to start when they
 * passed, else skipped -- and a skipped job has ended in turn.
 */
static void release(struct runner *r, struct job *job)
{
	enum hvt_outcome oc;
	const char *name = failed_dep(r, job, &oc);

	job->released = true;
	if (!name) {
		r->ready[r->ready_tail++] = job;
		return;
	}
	skip_job(r, job, name, oc);
	ended(r, job);
}

/* job's final record is out: its dependents may go on. */
static void ended(struct runner *r, struct job *job)
{
	size_t i = (size_t)(job - r->jobs);

	for (size_t k = r->g.roff[i]; k < r->g.roff[i + 1]; k++) {
		struct job *d = &r->jobs[r->g.rdep[k]];

		if (--d->pending == 0)
			release(r, d);
	}
}

static void finish(struct runner *r, struct slot *s, bool timed_out)
{
	struct hvt_proc_status st = { 0 };
	struct job *job = s->job;
	struct hvt_case *c;
	enum hvt_outcome oc;
	double secs = (double)(hvt_now_ms() - s->started) / 1000;
	bool bad, final;

	if (timed_out) {
		/* SIGTERM first: the case's reaper kills its machines */
		hvt_proc_stop(s->proc, TERM_GRACE_MS, &st);
	} else {
		hvt_proc_wait(s->proc, -1, &st);
	}
	hvt_proc_free(s->proc);
	s->proc = NULL;
	r->running--;
	c = collect(s, &st, timed_out, secs);
	oc = hvt_case_outcome(c);
	bad = hvt_outcome_bad(oc);
	r->attempts_done++;
	r->attempt_secs += secs;

	final = true;
	if (bad && job->reruns_left > 0) {
		job->reruns_left--;
		job->failed_before = true;
		final = false;
	} else {
		/* this attempt settles a repetition */
		job->reps_done++;
		job->reps_failed += bad;
		if (job->runs_left > 0) {
			job->runs_left--;
			final = false;
		}
	}
	if (final && job->reps_failed && job->reps_done > 1) {
		/*
		 * With --repeat every repetition counts: the case fails when
		 * any of them did, even if the last one passed, and it is
		 * flaky when they disagree. A failed check is what an xfail
		 * case expects, so it would turn that case's verdict good:
		 * there the disagreement is an error, unless the last
		 * repetition is bad itself.
		 */
		if (!c->xfail) {
			hvt_case_check(c, "repetitions", false, "%d of %d repetitions failed",
				       job->reps_failed, job->reps_done);
			c->checks[c->nchecks - 1].t = secs;
		} else if (!bad) {
			hvt_case_error(c, "%d of %d repetitions did not fail as expected",
				       job->reps_failed, job->reps_done);
		}
		if (job->reps_failed < job->reps_done)
			job->failed_before = true;
		oc = hvt_case_outcome(c);
		bad = true;
	}
	if (job->failed_before && !job->flaky &&
	    (!bad || (final && job->reps_failed < job->reps_done))) {
		job->flaky = c->flaky = true;
		r->sum->flaky++;
	}
	if (!final) {
		job->attempt++;
		r->retry[r->nretry++] = job;
	} else {
		r->done_cases++;
		r->sum->outcome[oc]++;
		if (bad)
			r->failed_cases++;
		job->oc = oc;
		job->dir = realpath(s->dir, NULL);
		if (!job->dir)
			job->dir = hvt_strdup(s->dir);
	}
	if (r->o->on_done)
		r->o->on_done(c, final, r->o->opaque);
	progress(r, c);
	hvt_case_free(c);
	free(s->dir);
	s->dir = NULL;
	s->job = NULL;
	if (final)
		ended(r, job);
}

/* Wait for a child to end or a deadline to pass; finish what ended. */
static void wait_some(struct runner *r)
{
	struct pollfd pfd[r->nslots];
	int n = 0, timeout = 1000;
	int64_t now = hvt_now_ms();
	bool polled_all = true;

	for (int i = 0; i < r->nslots; i++) {
		struct slot *s = &r->slots[i];

		if (!s->proc)
			continue;
		if (s->deadline - now < timeout)
			timeout = (int)(s->deadline - now > 0 ? s->deadline - now : 0);
		if (hvt_proc_fd(s->proc) < 0) {
			polled_all = false;
			continue;
		}
		pfd[n].fd = hvt_proc_fd(s->proc);
		pfd[n++].events = POLLIN;
	}
	if (!polled_all && timeout > 20)
		timeout = 20;
	if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
		HVT_BUG("poll: %s", strerror(errno));
	now = hvt_now_ms();
	for (int i = 0; i < r->nslots; i++) {
		struct slot *s = &r->slots[i];
		struct hvt_proc_status st;

		if (!s->proc)
			continue;
		if (hvt_proc_poll(s->proc, &st) == 1)
			finish(r, s, false);
		else if (now >= s->deadline)
			finish(r, s, true);
	}
	if (r->o->tty)
		progress(r, NULL);
}

/*
 * A case's own "timeout" key into *secs (left alone when absent):
 * -EINVAL with err naming the case unless it is seconds > 0.
 */
static int case_timeout(const struct hvt_case *c, double *secs, struct hvt_err *err)
{
	double v;

	if (!hvt_case_param(c, "timeout", NULL))
		return 0;
	if (hvt_case_param_double(c, "timeout", 0, &v, err) || !(v > 0) || v > INT_MAX / 1000)
		return hvt_err_set(err, -EINVAL, "case %s: timeout = '%s' is not a number of "
				   "seconds > 0", c->name, hvt_case_param(c, "timeout", ""));
	*secs = v;
	return 0;
}

/* Every case's own timeout, before any case starts. */
static int check_timeouts(struct hvt_case *const *cases, size_t n, struct hvt_err *err)
{
	double secs;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++)
		ret = case_timeout(cases[i], &secs, err);
	return ret;
}

/* A case's full name and its position, sorted by name then position. */
struct named {
	const char *name;
	size_t i;
};

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	return d ? d : (x->i > y->i) - (x->i < y->i);
}

static struct named *names_sorted(struct hvt_case *const *cases, size_t n)
{
	struct named *v = hvt_malloc(sizeof(*v) * (n ? n : 1));

	for (size_t i = 0; i < n; i++)
		v[i] = (struct named){ cases[i]->name, i };
	qsort(v, n, sizeof(*v), named_cmp);
	return v;
}

/* The position of the first case named name, or -1. */
static long lookup(const struct named *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && !strcmp(v[lo].name, name) ? (long)v[lo].i : -1;
}

static void deps_release(struct dep_graph *g)
{
	free(g->off);
	free(g->roff);
	free(g->dep);
	free(g->rdep);
	memset(g, 0, sizeof(*g));
}

/* "a -> b -> a": a cycle through the cases that Kahn's walk left (left[i]). */
static char *cycle_str(struct hvt_case *const *cases, const struct dep_graph *g,
		       const bool *left, size_t n)
{
	size_t *step = hvt_zalloc(sizeof(*step) * n), i = 0, s = 1;
	struct hvt_buf b = HVT_BUF_INIT;

	while (!left[i])
		i++;
	/* every case left has a dependency left: walk until one comes again */
	while (!step[i]) {
		step[i] = s++;
		for (size_t k = g->off[i]; k < g->off[i + 1]; k++) {
			if (g->dep[k] >= 0 && left[g->dep[k]]) {
				i = (size_t)g->dep[k];
				break;
			}
		}
	}
	for (size_t start = i, first = 1; first || i != start; first = 0) {
		hvt_buf_addf(&b, "%s -> ", cases[i]->name);
		for (size_t k = g->off[i]; k < g->off[i + 1]; k++) {
			if (g->dep[k] >= 0 && left[g->dep[k]] && step[g->dep[k]]) {
				i = (size_t)g->dep[k];
				break;
			}
		}
	}
	hvt_buf_addf(&b, "%s", cases[i]->name);
	free(step);
	return b.p;
}

/*
 * The dependency graph of cases into *g: -EINVAL (err names the case and
 * the dependency) when a dependency is no case of the run and was not
 * settled before it, or when dependencies form a cycle.
 */
static int deps_build(struct hvt_case *const *cases, size_t n, struct dep_graph *g,
		      struct hvt_err *err)
{
	struct named *names = names_sorted(cases, n);
	size_t total = 0, *indeg, *queue, head = 0, tail = 0;
	bool *left;
	int ret = 0;

	memset(g, 0, sizeof(*g));
	g->off = hvt_zalloc(sizeof(*g->off) * (n + 1));
	g->roff = hvt_zalloc(sizeof(*g->roff) * (n + 2));
	for (size_t i = 0; i < n; i++) {
		g->off[i] = total;
		total += cases[i]->ndeps;
	}
	g->off[n] = total;
	g->dep = hvt_malloc(sizeof(*g->dep) * (total ? total : 1));
	g->rdep = hvt_malloc(sizeof(*g->rdep) * (total ? total : 1));
	for (size_t i = 0; i < n && !ret; i++) {
		for (size_t k = 0; k < cases[i]->ndeps && !ret; k++) {
			struct hvt_case_dep *d = &cases[i]->deps[k];
			long j = lookup(names, n, d->name);

			/* a case of the run is waited for, even if one ended before */
			if (j >= 0)
				d->settled = false;
			g->dep[g->off[i] + k] = j;
			if (j < 0 && !d->settled)
				ret = hvt_err_set(err, -EINVAL, "case %s depends on %s, which is "
						  "no case of this run (not in the plan, or "
						  "filtered out)", cases[i]->name, d->name);
			else if (j >= 0)
				g->roff[j + 2]++;
		}
	}
	free(names);
	if (ret) {
		deps_release(g);
		return ret;
	}
	/* dependents: counts, then offsets, then filled in place */
	for (size_t i = 2; i < n + 2; i++)
		g->roff[i] += g->roff[i - 1];
	for (size_t i = 0; i < n; i++)
		for (size_t k = g->off[i]; k < g->off[i + 1]; k++)
			if (g->dep[k] >= 0)
				g->rdep[g->roff[g->dep[k] + 1]++] = i;

	/* Kahn's walk: what it cannot reach lies on or behind a cycle */
	indeg = hvt_zalloc(sizeof(*indeg) * (n ? n : 1));
	queue = hvt_malloc(sizeof(*queue) * (n ? n : 1));
	left = hvt_zalloc(sizeof(*left) * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		for (size_t k = g->off[i]; k < g->off[i + 1]; k++)
			indeg[i] += g->dep[k] >= 0;
		if (!indeg[i])
			queue[tail++] = i;
	}
	while (head < tail) {
		size_t i = queue[head++];

		for (size_t k = g->roff[i]; k < g->roff[i + 1]; k++)
			if (--indeg[g->rdep[k]] == 0)
				queue[tail++] = g->rdep[k];
	}
	if (tail < n) {
		char *cycle;

		for (size_t i = 0; i < n; i++)
			left[i] = indeg[i] > 0;
		cycle = cycle_str(cases, g, left, n);
		ret = hvt_err_set(err, -EINVAL, "dependency cycle: %s", cycle);
		free(cycle);
		deps_release(g);
	}
	free(indeg);
	free(queue);
	free(left);
	return ret;
}

void hvt_runner_shard_positions(struct hvt_case *const *cases, size_t n, long *pos)
{
	struct named *names = names_sorted(cases, n);
	size_t *up = hvt_malloc(sizeof(*up) * (n ? n : 1));
	long next = 0;

	/* union-find; the root of a component is its first case */
	for (size_t i = 0; i < n; i++)
		up[i] = i;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < cases[i]->ndeps; k++) {
			long j = lookup(names, n, cases[i]->deps[k].name);
			size_t a = i, b;

			if (j < 0)
				continue;
			b = (size_t)j;
			while (up[a] != a)
				a = up[a] = up[up[a]];
			while (up[b] != b)
				b = up[b] = up[up[b]];
			if (a < b)
				up[b] = a;
			else
				up[a] = b;
		}
	}
	/* components numbered in the order of their first cases */
	for (size_t i = 0; i < n; i++) {
		size_t a = i;

		while (up[a] != a)
			a = up[a];
		pos[i] = a == i ? next++ : pos[a];
	}
	free(up);
	free(names);
}

int hvt_runner_check(struct hvt_case *const *cases, size_t n, struct hvt_err *err)
{
	struct hvt_strv unknown = HVT_STRV_INIT;
	size_t bad = 0;
	struct dep_graph g;
	char *list;
	int ret = check_timeouts(cases, n, err);

	if (!ret)
		ret = deps_build(cases, n, &g, err);
	if (ret)
		return ret;
	deps_release(&g);
	for (size_t i = 0; i < n; i++) {
		const char *t = cases[i]->type[0] ? cases[i]->type : "(no type key)";
		bool seen = false;

		if (hvt_test_type_find(cases[i]->type))
			continue;
		bad++;
		for (size_t k = 0; k < unknown.n && !seen; k++)
			seen = !strcmp(unknown.v[k], t);
		if (!seen)
			hvt_strv_push(&unknown, t);
	}
	if (bad) {
		list = hvt_strv_join_quoted(&unknown);
		ret = hvt_err_set(err, -EINVAL, "%zu of %zu cases name test types that are not "
				  "registered: %s; load their module with --module, or see "
				  "'hvtest run --types'", bad, n, list);
		free(list);
	}
	hvt_strv_release(&unknown);
	return ret;
}

int hvt_runner_run(struct hvt_case *const *cases, size_t n, const struct hvt_runner_opts *o,
		   struct hvt_runner_summary *sum, struct hvt_err *err)
{
	struct runner r = { .o = o, .sum = sum, .njobs = n, .t0 = hvt_now_ms() };
	int ret = 0;

	memset(sum, 0, sizeof(*sum));
	if (!o->workroot)
		return hvt_err_set(err, -EINVAL, "the runner needs a work directory");
	ret = check_timeouts(cases, n, err);
	if (!ret)
		ret = deps_build(cases, n, &r.g, err);
	if (ret)
		return ret;
	ret = hvt_mkdir_p(o->workroot, 0755, err);
	if (ret) {
		deps_release(&r.g);
		return ret;
	}
	r.nslots = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (r.nslots < 1)
		r.nslots = 1;
	r.slots = hvt_zalloc(sizeof(*r.slots) * (size_t)r.nslots);
	r.jobs = hvt_zalloc(sizeof(*r.jobs) * (n ? n : 1));
	r.retry = hvt_zalloc(sizeof(*r.retry) * (n ? n : 1));
	r.ready = hvt_zalloc(sizeof(*r.ready) * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		r.jobs[i].tmpl = cases[i];
		r.jobs[i].timeout = o->timeout > 0 ? o->timeout : DEFAULT_TIMEOUT;
		/* check_timeouts() has seen that it parses */
		case_timeout(cases[i], &r.jobs[i].timeout, NULL);
		r.jobs[i].attempt = 1;
		r.jobs[i].runs_left = (o->repeat > 1 ? o->repeat : 1) - 1;
		r.jobs[i].reruns_left = o->rerun_failed;
		r.jobs[i].dep = &r.g.dep[r.g.off[i]];
		for (size_t k = r.g.off[i]; k < r.g.off[i + 1]; k++)
			r.jobs[i].pending += r.g.dep[k] >= 0;
	}
	hvt_proc_install_reaper();
	/* cases free to go; those behind a dependency settled bad are skipped now */
	for (size_t i = 0; i < n; i++)
		if (!r.jobs[i].pending && !r.jobs[i].released)
			release(&r, &r.jobs[i]);
	while (!ret && (r.running || r.nretry || r.ready_head < r.ready_tail)) {
		for (int i = 0; i < r.nslots && !ret; i++) {
			struct job *job;

			if (r.slots[i].proc)
				continue;
			job = next_job(&r);
			if (!job)
				break;
			ret = start(&r, &r.slots[i], job, err);
		}
		if (r.running)
			wait_some(&r);
	}
	/* on a runner error, the attempts in flight still end properly */
	while (r.running)
		wait_some(&r);
	if (o->progress && o->tty) {
		fputs("\r\033[K", o->progress);
		fflush(o->progress);
	}
	sum->cases = r.done_cases;
	sum->wall = (double)(hvt_now_ms() - r.t0) / 1000;
	for (size_t i = 0; i < n; i++)
		free(r.jobs[i].dir);
	free(r.slots);
	free(r.jobs);
	free(r.retry);
	free(r.ready);
	deps_release(&r.g);
	return ret;
}
