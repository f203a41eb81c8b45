// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runner with real processes: crashing, hanging (with a QEMU), failing,
 * flaky and silent cases; repeats, reruns, shards; TAP from exec cases;
 * per-case timeouts, expected failures, ASSERT in a case process,
 * forensic files, the refusal to fork from a threaded process; and a
 * whole session (plan -> store -> reports) driven as a front end would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvt-config.h"
#include "hvtest.h"
#include "runner.h"
#include "session.h"

static char tmpdir[] = "/tmp/hvt-test-runner-XXXXXX";

/* The fixture types (fx-pass, fx-fail, fx-crash, fx-hang...) are a loaded module. */

/* ---- helpers ---- */

struct collected {
	struct hvt_case *c[64];
	bool final[64];
	size_t n;
	struct hvt_runner_summary sum;
};

static void on_done(struct hvt_case *c, bool final, void *opaque)
{
	struct collected *col = opaque;

	assert_true(col->n < 64);
	/* the runner frees its record: keep a copy */
	col->c[col->n] = hvt_case_copy(c);
	col->final[col->n++] = final;
}

static void collected_free(struct collected *col)
{
	for (size_t i = 0; i < col->n; i++)
		hvt_case_free(col->c[i]);
}

static struct hvt_case *mk(const char *name, const char *type, long index)
{
	struct hvt_case *c = hvt_case_new(name, name, type);

	c->index = index;
	return c;
}

static struct hvt_case *find(struct collected *col, const char *name, int attempt)
{
	for (size_t i = 0; i < col->n; i++)
		if (!strcmp(col->c[i]->name, name) && col->c[i]->attempt == attempt)
			return col->c[i];
	fail_msg("no record of %s attempt %d", name, attempt);
	return NULL;
}

/* Run the cases (freed afterwards); col gets their records and the summary. */
static void run(struct hvt_case **cases, size_t n, struct hvt_runner_opts *o,
		struct collected *col)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *root = hvt_asprintf("%s/run%d", tmpdir, rand());

	o->workroot = root;
	o->on_done = on_done;
	o->opaque = col;
	if (hvt_runner_run(cases, n, o, &col->sum, &err))
		fail_msg("runner: %s", err.msg);
	for (size_t i = 0; i < n; i++)
		hvt_case_free(cases[i]);
	free(root);
}

/* ---- tests ---- */

static void test_outcomes_and_crash(void **state)
{
	struct hvt_case *cases[] = {
		mk("a", "fx-pass", 0), mk("b", "fx-crash", 1), mk("c", "fx-fail", 2),
		mk("d", "fx-silent", 3), mk("e", "fx-nosuchtype", 4), mk("f", "fx-initfail", 5),
		mk("g", "fx-pass", 6),
	};
	struct hvt_runner_opts o = { .jobs = 2, .timeout = 60 };
	struct collected col = { 0 };
	struct hvt_case *c;

	hvt_case_set_param(cases[0], "x", "17");
	run(cases, HVT_ARRAY_SIZE(cases), &o, &col);
	assert_int_equal(col.n, 7);
	assert_int_equal(col.sum.cases, 7);
	c = find(&col, "a", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_string_equal(c->checks[0].message, "17");
	assert_int_equal(c->nmetrics, 1);
	/* a crash is an error saying how it died; the runner went on (g ran) */
	c = find(&col, "b", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "SIGSEGV"));
	assert_int_equal(hvt_case_outcome(find(&col, "c", 1)), HVT_FAIL);
	assert_int_equal(hvt_case_outcome(find(&col, "d", 1)), HVT_ERROR);
	c = find(&col, "e", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "unknown test type 'fx-nosuchtype'"));
	c = find(&col, "f", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "no such device"));
	assert_int_equal(hvt_case_outcome(find(&col, "g", 1)), HVT_PASS);
	assert_int_equal(col.sum.outcome[HVT_PASS], 2);
	assert_int_equal(col.sum.outcome[HVT_FAIL], 1);
	assert_int_equal(col.sum.outcome[HVT_ERROR], 4);
	collected_free(&col);
}

/*
 * A case process installs the reaper itself: the parent's "installed" flag
 * must not come along through fork() while the handlers do not.
 */
static void test_case_has_reaper(void **state)
{
	struct hvt_case *cases[] = { mk("r", "fx-reaper", 0) };
	struct hvt_runner_opts o = { .jobs = 1, .timeout = 60 };
	struct collected col = { 0 };
	struct hvt_case *c;

	hvt_proc_install_reaper();
	assert_true(hvt_proc_reaper_installed());
	run(cases, 1, &o, &col);
	c = find(&col, "r", 1);
	assert_int_equal(c->nchecks, 1);
	assert_string_equal(c->checks[0].name, "reaper-installed");
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	collected_free(&col);
}

static void test_timeout_kills_qemu(void **state)
{
	char *qemu = hvt_which(hvt_qemu_binary());
	char marker[64];
	struct hvt_case *cases[1];
	struct hvt_runner_opts o = { .jobs = 1, .timeout = 3 };
	struct collected col = { 0 };
	struct hvt_case *c;

	if (!qemu)
		skip();
	free(qemu);
	snprintf(marker, sizeof(marker), "hvt-hang-%d-%d", (int)getpid(), rand());
	cases[0] = mk("h", "fx-hang", 0);
	hvt_case_set_param(cases[0], "marker", marker);
	run(cases, 1, &o, &col);
	c = find(&col, "h", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_TIMEOUT);
	assert_non_null(strstr(c->reason, "timed out after 3 s"));
	/* its forensics are recorded */
	assert_true(c->nartifacts >= 1);
	assert_string_equal(c->artifacts[0].name, "output.log");
	/* the QEMU the case started is gone */
	{
		int64_t deadline = hvt_now_ms() + 5000;
		bool alive;

		do {
			char *out = NULL;
			const char *argv[] = { "pgrep", "-f", marker, NULL };

			alive = hvt_proc_run(argv, 5000, &out, NULL) == 0;
			free(out);
		} while (alive && hvt_ms_left(deadline) && !usleep(50000));
		assert_false(alive);
	}
	collected_free(&col);
}

static void test_repeat_and_rerun(void **state)
{
	struct hvt_case *cases[] = { mk("p", "fx-pass", 0), mk("fl", "fx-flaky", 1),
				     mk("f", "fx-fail", 2) };

	hvt_case_set_param(cases[1], "mark_dir", tmpdir);
	struct hvt_runner_opts o = { .jobs = 2, .repeat = 2, .rerun_failed = 1 };
	struct collected col = { 0 };
	struct hvt_case *c;

	run(cases, HVT_ARRAY_SIZE(cases), &o, &col);
	/* p: 2 repeats; fl: fails, rerun passes (flaky), 1 repeat; f: fail, rerun, repeat... */
	assert_int_equal(find(&col, "p", 1)->attempt, 1);
	assert_int_equal(hvt_case_outcome(find(&col, "p", 2)), HVT_PASS);
	assert_int_equal(hvt_case_outcome(find(&col, "fl", 1)), HVT_FAIL);
	c = find(&col, "fl", 2);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_true(c->flaky);
	assert_int_equal(hvt_case_outcome(find(&col, "f", 2)), HVT_FAIL);
	assert_int_equal(col.sum.cases, 3);
	assert_int_equal(col.sum.flaky, 1);
	/* exactly one final record per case */
	{
		size_t finals = 0;

		for (size_t i = 0; i < col.n; i++)
			finals += col.final[i];
		assert_int_equal(finals, 3);
	}
	collected_free(&col);
}

/* Without reruns every repetition counts: one failed repetition fails the case. */
static void test_repeat_counts_every_run(void **state)
{
	struct hvt_case *cases[] = { mk("fr", "fx-flaky", 0), mk("pr", "fx-pass", 1) };
	struct hvt_runner_opts o = { .jobs = 1, .repeat = 3 };
	struct collected col = { 0 };
	struct hvt_case *c;

	hvt_case_set_param(cases[0], "mark_dir", tmpdir);
	run(cases, HVT_ARRAY_SIZE(cases), &o, &col);
	/* fr: fails, passes, passes; its last record says so */
	assert_int_equal(hvt_case_outcome(find(&col, "fr", 1)), HVT_FAIL);
	assert_int_equal(hvt_case_outcome(find(&col, "fr", 2)), HVT_PASS);
	c = find(&col, "fr", 3);
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	assert_true(c->flaky);
	assert_string_equal(c->checks[c->nchecks - 1].name, "repetitions");
	assert_string_equal(c->checks[c->nchecks - 1].message, "1 of 3 repetitions failed");
	/* pr passed every time: no extra check */
	c = find(&col, "pr", 3);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_false(c->flaky);
	assert_int_equal(c->nchecks, 1);
	assert_int_equal(col.sum.outcome[HVT_FAIL], 1);
	assert_int_equal(col.sum.outcome[HVT_PASS], 1);
	assert_int_equal(col.sum.flaky, 1);
	collected_free(&col);
}

/* A case's "timeout" key overrides the runner's timeout for that case only. */
static void test_case_timeout(void **state)
{
	struct hvt_case *cases[] = { mk("slow", "fx-pass", 0), mk("fast", "fx-pass", 1) };
	struct hvt_runner_opts o = { .jobs = 2, .timeout = 60 };
	struct collected col = { 0 };
	struct hvt_case *c;
	double t0 = hvt_now();

	hvt_case_set_param(cases[0], "sleep_ms", "30000");
	hvt_case_set_param(cases[0], "timeout", "1");
	hvt_case_set_param(cases[1], "timeout", "0.5e2");
	run(cases, HVT_ARRAY_SIZE(cases), &o, &col);
	c = find(&col, "slow", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_TIMEOUT);
	assert_non_null(strstr(c->reason, "timed out after 1 s"));
	/* the record of a killed attempt starts when the attempt did */
	assert_true(c->start > hvt_wall_now() - (hvt_now() - t0) - 1);
	assert_int_equal(hvt_case_outcome(find(&col, "fast", 1)), HVT_PASS);
	assert_true(hvt_now() - t0 < 20);
	collected_free(&col);
}

/* A bad "timeout" key is refused before any case starts. */
static void test_case_timeout_refused(void **state)
{
	static const char *const bad[] = { "soon", "0", "-3", "nan", "1e300" };

	for (size_t i = 0; i < HVT_ARRAY_SIZE(bad); i++) {
		struct hvt_case *cases[] = { mk("ok", "fx-pass", 0), mk("late", "fx-pass", 1) };
		struct hvt_runner_opts o = { .jobs = 1, .workroot = tmpdir };
		struct hvt_err err = HVT_ERR_INIT;
		struct collected col = { 0 };
		struct hvt_runner_summary sum;

		hvt_case_set_param(cases[1], "timeout", bad[i]);
		o.on_done = on_done;
		o.opaque = &col;
		assert_int_equal(hvt_runner_run(cases, 2, &o, &sum, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "case late: timeout = '"));
		assert_int_equal(col.n, 0);
		assert_int_equal(hvt_runner_check(cases, 2, &err), -EINVAL);
		hvt_case_free(cases[0]);
		hvt_case_free(cases[1]);
	}
}

static void test_xfail_repeat(void);

/* Expected failures and unexpected passes, with reruns and repeats. */
static void test_xfail(void **state)
{
	struct hvt_case *cases[] = { mk("known", "fx-fail", 0), mk("fixed", "fx-pass", 1),
				     mk("plain", "fx-pass", 2), mk("crash", "fx-crash", 3) };
	struct hvt_runner_opts o = { .jobs = 2, .rerun_failed = 1 };
	struct collected col = { 0 };
	struct hvt_case *c;

	hvt_case_set_xfail(cases[0], "bug 1");
	hvt_case_set_xfail(cases[1], "bug 2");
	hvt_case_set_xfail(cases[3], "bug 3");
	run(cases, HVT_ARRAY_SIZE(cases), &o, &col);
	/* an expected failure is not rerun */
	c = find(&col, "known", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_XFAIL);
	assert_string_equal(c->xfail, "bug 1");
	for (size_t i = 0; i < col.n; i++)
		assert_false(!strcmp(col.c[i]->name, "known") && col.c[i]->attempt > 1);
	/* an unexpected pass is bad: rerun, and bad again */
	assert_int_equal(hvt_case_outcome(find(&col, "fixed", 1)), HVT_XPASS);
	assert_int_equal(hvt_case_outcome(find(&col, "fixed", 2)), HVT_XPASS);
	/* a crash is no verdict on the bug */
	assert_int_equal(hvt_case_outcome(find(&col, "crash", 2)), HVT_ERROR);
	assert_int_equal(col.sum.outcome[HVT_XFAIL], 1);
	assert_int_equal(col.sum.outcome[HVT_XPASS], 1);
	assert_int_equal(col.sum.outcome[HVT_PASS], 1);
	assert_int_equal(col.sum.outcome[HVT_ERROR], 1);
	collected_free(&col);
	test_xfail_repeat();
}

/* With --repeat, an xfail case is an expected failure only if every repetition was. */
static void test_xfail_repeat(void)
{
	struct hvt_case *cases[] = { mk("gone-bad", "fx-flaky", 0), mk("went-good", "fx-flaky", 1),
				     mk("steady", "fx-fail", 2), mk("fixed", "fx-pass", 3) };
	struct hvt_runner_opts o = { .jobs = 2, .repeat = 2 };
	struct collected col = { 0 };
	struct hvt_case *c;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(cases); i++) {
		hvt_case_set_xfail(cases[i], "bug 5");
		hvt_case_set_param(cases[i], "mark_dir", tmpdir);
	}
	/* gone-bad: passes (xpass), then fails (xfail); went-good the other way round */
	hvt_case_set_param(cases[0], "invert", "yes");
	run(cases, HVT_ARRAY_SIZE(cases), &o, &col);
	/* the last repetition failed as expected, an earlier one did not: an error */
	assert_int_equal(hvt_case_outcome(find(&col, "gone-bad", 1)), HVT_XPASS);
	c = find(&col, "gone-bad", 2);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_string_equal(c->reason, "1 of 2 repetitions did not fail as expected");
	assert_true(c->flaky);
	/* the last one passed: it stays the unexpected pass it is */
	c = find(&col, "went-good", 2);
	assert_int_equal(hvt_case_outcome(c), HVT_XPASS);
	assert_null(c->reason);
	assert_true(c->flaky);
	/* every repetition as expected: nothing added */
	c = find(&col, "steady", 2);
	assert_int_equal(hvt_case_outcome(c), HVT_XFAIL);
	assert_int_equal(c->nchecks, 1);
	c = find(&col, "fixed", 2);
	assert_int_equal(hvt_case_outcome(c), HVT_XPASS);
	assert_int_equal(c->nchecks, 1);
	assert_false(c->flaky);
	assert_int_equal(col.sum.outcome[HVT_XFAIL], 1);
	assert_int_equal(col.sum.outcome[HVT_XPASS], 2);
	assert_int_equal(col.sum.outcome[HVT_ERROR], 1);
	collected_free(&col);
}

/*
 * In a case process: EXPECT goes on, ASSERT ends run, cleanup runs once.
 * Forensic files at any depth are artifacts; other files and links are not.
 */
static void test_assert_and_forensics(void **state)
{
	struct hvt_case *cases[] = { mk("as", "fx-assert", 0), mk("fi", "fx-files", 1) };
	struct hvt_runner_opts o = { .jobs = 2 };
	struct collected col = { 0 };
	struct hvt_case *c;
	char names[256] = "";
	bool seen[4] = { false };

	run(cases, 2, &o, &col);
	c = find(&col, "as", 1);
	for (size_t i = 0; i < c->nchecks; i++)
		hvt_snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s:%s",
			     i ? " " : "", c->checks[i].name, hvt_outcome_name(c->checks[i].status));
	assert_string_equal(names, "expect:fail went-on:pass assert:fail cleanup:pass");
	assert_non_null(strstr(c->checks[2].message, "2 + 2 == 5"));
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);

	c = find(&col, "fi", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	for (size_t i = 0; i < c->nartifacts; i++) {
		const char *p = c->artifacts[i].path;

		assert_string_equal(c->artifacts[i].name, p);
		seen[0] |= !strcmp(p, "qmp.log");
		seen[1] |= !strcmp(p, "a/b/console.log");
		seen[2] |= !strcmp(p, "real/qemu.stderr");
		seen[3] |= !strcmp(p, "output.log");
		assert_null(strstr(p, "notes.txt"));
		assert_null(strstr(p, "link/"));
	}
	assert_true(seen[0] && seen[1] && seen[2] && seen[3]);
	assert_int_equal(c->nartifacts, 4);
	collected_free(&col);
}

static void *blocked_thread(void *arg)
{
	char ch;

	return (void *)(intptr_t)read(*(int *)arg, &ch, 1);
}

/* With another thread in the process the runner forks nothing, and says why. */
static void test_refuses_threads(void **state)
{
	struct hvt_case *cases[] = { mk("t", "fx-pass", 0) };
	struct hvt_runner_opts o = { .jobs = 1, .workroot = tmpdir };
	struct hvt_err err = HVT_ERR_INIT;
	struct collected col = { 0 };
	struct hvt_runner_summary sum;
	pthread_t th;
	int fds[2];

	assert_int_equal(hvt_runner_threads(), 1);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pthread_create(&th, NULL, blocked_thread, &fds[0]), 0);
	assert_int_equal(hvt_runner_threads(), 2);
	o.on_done = on_done;
	o.opaque = &col;
	assert_int_equal(hvt_runner_run(cases, 1, &o, &sum, &err), -EDEADLK);
	assert_non_null(strstr(err.msg, "this process has 2 threads"));
	assert_non_null(strstr(err.msg, "fork() copies only the calling thread"));
	assert_int_equal(col.n, 0);
	assert_int_equal(sum.cases, 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(fds[0]);
	close(fds[1]);
	/* alone again: it runs */
	run(cases, 1, &o, &col);
	assert_int_equal(hvt_case_outcome(find(&col, "t", 1)), HVT_PASS);
	collected_free(&col);
}

/* ---- a session, as a front end other than hvtest run would drive it ---- */

struct seen {
	int begins, finals, attempts;
	int64_t run_id;
	size_t ncases;
	struct hvt_strv problems;
	bool host_asked;
};

static void se_host(struct hvt_host_info *h, void *opaque)
{
	struct seen *s = opaque;

	s->host_asked = true;
	h->qemu_version = "9.9.9";
	h->accel = "tcg";
}

static void se_begin(const struct hvt_session_result *r, void *opaque)
{
	struct seen *s = opaque;

	s->begins++;
	s->run_id = r->run_id;
	s->ncases = r->ncases;
}

static void se_case(const struct hvt_case *c, bool final, void *opaque)
{
	struct seen *s = opaque;

	s->attempts++;
	s->finals += final;
}

static void se_problem(const char *msg, void *opaque)
{
	hvt_strv_push(&((struct seen *)opaque)->problems, msg);
}

static const char session_plan[] =
	"variants:\n"
	"    - good:\n"
	"        type = fx-pass\n"
	"    - known:\n"
	"        type = fx-fail\n"
	"        xfail = bug 11\n"
	"    - skipped:\n"
	"        type = fx-pass\n"
	"        x = other\n";

static void test_session(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *plan = hvt_asprintf("%s/session.cfg", tmpdir);
	char *results = hvt_asprintf("%s/session-results", tmpdir);
	char *junit = hvt_asprintf("%s/session.xml", tmpdir);
	const char *filters[] = { "no skipped" };
	struct seen seen = { .problems = HVT_STRV_INIT };
	struct hvt_session_opts o = { .filters = filters, .nfilters = 1, .junit = junit,
				      .host = se_host, .on_begin = se_begin, .on_case = se_case,
				      .on_problem = se_problem, .opaque = &seen,
				      .runner = { .jobs = 2 } };
	struct hvt_session_result r;
	struct hvt_store *s;
	struct hvt_run_info ri;
	struct hvt_case **cases;
	char *xml = NULL;
	size_t n;

	assert_int_equal(hvt_file_write(plan, session_plan, strlen(session_plan), &err), 0);
	o.plan = plan;
	o.results = results;
	/* the cases it would run: the filter applies, xfail comes from the key */
	assert_int_equal(hvt_session_cases(&o, &cases, &n, NULL, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(cases[1]->xfail, "bug 11");
	assert_string_equal(cases[1]->type, "fx-fail");
	hvt_store_cases_free(cases, n);

	assert_int_equal(hvt_session_run(&o, &r, &err), 0);
	assert_true(seen.host_asked);
	assert_int_equal(seen.begins, 1);
	assert_int_equal(seen.run_id, r.run_id);
	assert_int_equal(seen.ncases, 2);
	assert_int_equal(seen.finals, 2);
	assert_int_equal(seen.problems.n, 0);
	/* an expected failure does not fail the run */
	assert_int_equal(r.exit_status, 0);
	assert_int_equal(r.sum.outcome[HVT_XFAIL], 1);
	assert_non_null(r.page);
	assert_true(hvt_path_exists(r.page));
	assert_int_equal(hvt_file_read(junit, &xml, NULL, &err), 0);
	assert_non_null(strstr(xml, "<skipped type=\"xfail\" message=\"expected failure: bug 11\"/>"));
	free(xml);
	hvt_session_result_release(&r);

	/* the store has the run, its host from the callback, its end */
	s = hvt_store_open(results, &err);
	assert_non_null(s);
	assert_int_equal(hvt_store_run_get(s, seen.run_id, &ri, &err), 0);
	assert_string_equal(ri.host.qemu_version, "9.9.9");
	assert_string_equal(ri.host.hvtest_version, HVT_VERSION);
	assert_int_equal(ri.exit_status, 0);
	assert_int_equal(ri.counts[HVT_XFAIL], 1);
	assert_int_equal(ri.ncases, 2);
	hvt_run_info_release(&ri);
	hvt_store_close(s);

	/* resumed, nothing is left to run; the whole plan now has one more case */
	o.resume = "latest";
	o.filters = NULL;
	o.nfilters = 0;
	o.junit = NULL;
	assert_int_equal(hvt_session_run(&o, &r, &err), 0);
	assert_true(r.resumed);
	assert_int_equal(r.ncases, 1);
	assert_int_equal(r.run_id, seen.run_id);
	assert_int_equal(r.exit_status, 0);
	hvt_session_result_release(&r);

	/* what cannot run is refused before a run is recorded */
	o.resume = NULL;
	o.plan = "/nonexistent/plan.cfg";
	assert_true(hvt_session_run(&o, &r, &err) < 0);
	assert_int_equal(r.run_id, 0);
	hvt_session_result_release(&r);
	o.resume = "latest~5";
	o.plan = plan;
	assert_int_equal(hvt_session_run(&o, &r, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "resuming run latest~5"));
	hvt_session_result_release(&r);
	hvt_strv_release(&seen.problems);
	free(plan);
	free(results);
	free(junit);
}

static void test_shards(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	int k, n, seen[100] = { 0 };

	for (int shard = 1; shard <= 3; shard++)
		for (long pos = 0; pos < 100; pos++)
			seen[pos] += hvt_runner_in_shard(pos, shard, 3);
	for (int i = 0; i < 100; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(hvt_runner_parse_shard("2/3", &k, &n, &err), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 3);
	assert_int_equal(hvt_runner_parse_shard("4/3", &k, &n, &err), -EINVAL);
	assert_int_equal(hvt_runner_parse_shard("0/3", &k, &n, &err), -EINVAL);
	assert_int_equal(hvt_runner_parse_shard("1/", &k, &n, &err), -EINVAL);
	assert_int_equal(hvt_runner_parse_shard("x", &k, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'x'"));
}

/* An exec case running script (written to tmpdir/file). */
static struct hvt_case *mk_exec(const char *name, long index, const char *file,
				const char *script)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/%s", tmpdir, file);
	struct hvt_case *c = mk(name, "exec", index);

	assert_int_equal(hvt_file_write(path, script, strlen(script), &err), 0);
	assert_int_equal(chmod(path, 0755), 0);
	hvt_case_set_param(c, "exec", path);
	free(path);
	return c;
}

/*
 * The dependent starts after its dependency ended and finds its files:
 * "install" writes its disk in two steps with a pause between, and each
 * "boot" reads it through HVT_DEP_DIR_0; had one started early, it would
 * see no disk or half of it. An independent case runs meanwhile.
 */
static void test_deps_order_and_handover(void **state)
{
	static const char install[] =
		"#!/bin/sh\n"
		"echo begin > \"$HVT_CASE_DIR/disk\"\n"
		"sleep 0.5\n"
		"echo end >> \"$HVT_CASE_DIR/disk\"\n"
		"echo 'ok 1 - installed'\n";
	static const char boot[] =
		"#!/bin/sh\n"
		"echo 1..3\n"
		"[ \"$HVT_DEP_COUNT\" = 1 ] && echo 'ok 1 - one dep' || echo 'not ok 1 - one dep'\n"
		"[ \"$HVT_DEP_NAME_0\" = install ] && echo 'ok 2 - name' || echo 'not ok 2 - name'\n"
		"grep -q end \"$HVT_DEP_DIR_0/disk\" && echo 'ok 3 - disk' || "
		"echo 'not ok 3 - disk'\n";
	struct hvt_case *cases[4];
	struct hvt_runner_opts o = { .jobs = 2, .timeout = 60 };
	struct collected col = { 0 };
	struct hvt_case *c;

	/* the dependents come first in the plan: order alone would start them early */
	cases[0] = mk_exec("boot1", 0, "boot.sh", boot);
	hvt_case_add_dep(cases[0], "install");
	cases[1] = mk_exec("boot2", 1, "boot.sh", boot);
	hvt_case_add_dep(cases[1], "install");
	cases[2] = mk_exec("install", 2, "install.sh", install);
	cases[3] = mk("other", "fx-pass", 3);
	run(cases, 4, &o, &col);
	assert_int_equal(col.n, 4);
	assert_int_equal(hvt_case_outcome(find(&col, "install", 1)), HVT_PASS);
	for (int i = 1; i <= 2; i++) {
		char name[8];

		snprintf(name, sizeof(name), "boot%d", i);
		c = find(&col, name, 1);
		if (hvt_case_outcome(c) != HVT_PASS)
			fail_msg("%s: %s", name, c->nchecks ? c->checks[c->nchecks - 1].name :
							      c->reason);
	}
	/* the independent case did not wait for the chain: it ended first */
	assert_string_equal(col.c[0]->name, "other");
	collected_free(&col);
}

/* name's first record is a skip, for reason. */
static void assert_skipped(struct collected *col, const char *name, const char *reason)
{
	struct hvt_case *c = find(col, name, 1);

	assert_int_equal(hvt_case_outcome(c), HVT_SKIP);
	assert_string_equal(c->reason, reason);
}

/* A failed dependency skips its dependents, transitively; a good one does not. */
static void test_deps_skip(void **state)
{
	struct hvt_case *cases[] = {
		mk("a", "fx-fail", 0), mk("b", "fx-pass", 1), mk("c", "fx-pass", 2),
		mk("d", "fx-pass", 3), mk("e", "fx-pass", 4),
	};
	struct hvt_runner_opts o = { .jobs = 2, .timeout = 60, .rerun_failed = 1 };
	struct collected col = { 0 };

	hvt_case_add_dep(cases[1], "a");
	hvt_case_add_dep(cases[2], "b");
	hvt_case_add_dep(cases[3], "e");
	run(cases, 5, &o, &col);
	/* a twice (rerun), b and c recorded once, never run; d after e */
	assert_int_equal(col.n, 6);
	assert_int_equal(col.sum.cases, 5);
	assert_skipped(&col, "b", "dependency a failed (outcome: fail)");
	assert_int_equal(find(&col, "b", 1)->nchecks, 0);
	assert_skipped(&col, "c", "dependency b failed (outcome: skip)");
	assert_int_equal(hvt_case_outcome(find(&col, "d", 1)), HVT_PASS);
	assert_int_equal(col.sum.outcome[HVT_SKIP], 2);
	assert_int_equal(col.sum.outcome[HVT_FAIL], 1);
	assert_int_equal(col.sum.outcome[HVT_PASS], 2);
	collected_free(&col);
}

/* Dependencies that ended before the run (--resume) count with their outcome. */
static void test_deps_settled(void **state)
{
	struct hvt_case *cases[] = { mk("good", "fx-pass", 0), mk("bad", "fx-pass", 1),
				     mk("after", "fx-pass", 2) };
	struct hvt_runner_opts o = { .jobs = 2, .timeout = 60 };
	struct collected col = { 0 };
	struct hvt_case_dep *d;

	d = hvt_case_add_dep(cases[0], "earlier.pass");
	d->settled = true;
	d->outcome = HVT_PASS;
	d->dir = hvt_strdup("/some/dir");
	assert_string_equal(hvt_case_dep_dir(cases[0], "earlier.pass"), "/some/dir");
	assert_string_equal(hvt_case_dep_dir(cases[0], "pass"), "/some/dir");
	assert_null(hvt_case_dep_dir(cases[0], "ss"));
	assert_null(hvt_case_dep_dir(cases[0], "other"));
	d = hvt_case_add_dep(cases[1], "earlier.error");
	d->settled = true;
	d->outcome = HVT_ERROR;
	/* settled, but a case of this run: waited for */
	d = hvt_case_add_dep(cases[2], "bad");
	d->settled = true;
	d->outcome = HVT_PASS;
	run(cases, 3, &o, &col);
	assert_int_equal(hvt_case_outcome(find(&col, "good", 1)), HVT_PASS);
	assert_skipped(&col, "bad", "dependency earlier.error failed (outcome: error)");
	assert_skipped(&col, "after", "dependency bad failed (outcome: skip)");
	collected_free(&col);
}

/* A cycle or a dependency on no case is refused before anything runs. */
static void test_deps_refused(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_case *cases[] = { mk("a", "fx-pass", 0), mk("b", "fx-pass", 1),
				     mk("c", "fx-pass", 2) };
	struct hvt_runner_opts o = { .jobs = 1, .workroot = tmpdir, .on_done = on_done };
	struct collected col = { 0 };

	o.opaque = &col;
	hvt_case_add_dep(cases[0], "nosuch.case");
	assert_int_equal(hvt_runner_check(cases, 3, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "case a depends on nosuch.case"));
	assert_int_equal(hvt_runner_run(cases, 3, &o, &col.sum, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nosuch.case"));

	free(cases[0]->deps[0].name);
	cases[0]->deps[0].name = hvt_strdup("b");
	hvt_case_add_dep(cases[1], "c");
	hvt_case_add_dep(cases[2], "b");
	assert_int_equal(hvt_runner_check(cases, 3, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "dependency cycle: "));
	assert_true(strstr(err.msg, "b -> c -> b") || strstr(err.msg, "c -> b -> c"));
	assert_int_equal(hvt_runner_run(cases, 3, &o, &col.sum, &err), -EINVAL);
	assert_int_equal(col.n, 0);

	/* a case on itself */
	hvt_err_clear(&err);
	for (int i = 0; i < 3; i++)
		hvt_case_free(cases[i]);
	cases[0] = mk("self", "fx-pass", 0);
	hvt_case_add_dep(cases[0], "self");
	assert_int_equal(hvt_runner_check(cases, 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "self -> self"));
	hvt_case_free(cases[0]);
}

/* Two cases that each wait for the other's file: they pass only side by side. */
static void test_deps_parallel(void **state)
{
	static const char meet[] =
		"#!/bin/sh\n"
		"touch \"$HVT_PARAM_ROOT/$HVT_PARAM_ME\"\n"
		"i=0; while [ ! -e \"$HVT_PARAM_ROOT/$HVT_PARAM_PEER\" ] && [ $i -lt 200 ]; do "
		"sleep 0.05; i=$((i+1)); done\n"
		"[ -e \"$HVT_PARAM_ROOT/$HVT_PARAM_PEER\" ] && echo 'ok 1 - met' || "
		"echo 'not ok 1 - met'\n";
	struct hvt_case *cases[3];
	struct hvt_runner_opts o = { .jobs = 2, .timeout = 60 };
	struct collected col = { 0 };
	char *root = hvt_asprintf("%s/meet", tmpdir);
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(hvt_mkdir_p(root, 0755, &err), 0);
	cases[0] = mk("first", "fx-pass", 0);
	cases[1] = mk_exec("x", 1, "meet.sh", meet);
	cases[2] = mk_exec("y", 2, "meet.sh", meet);
	hvt_case_add_dep(cases[1], "first");
	hvt_case_add_dep(cases[2], "first");
	for (int i = 1; i <= 2; i++) {
		hvt_case_set_param(cases[i], "root", root);
		hvt_case_set_param(cases[i], "me", i == 1 ? "x" : "y");
		hvt_case_set_param(cases[i], "peer", i == 1 ? "y" : "x");
	}
	run(cases, 3, &o, &col);
	assert_int_equal(hvt_case_outcome(find(&col, "x", 1)), HVT_PASS);
	assert_int_equal(hvt_case_outcome(find(&col, "y", 1)), HVT_PASS);
	collected_free(&col);
	free(root);
}

/* A dependency component lands in one shard; components are numbered in plan order. */
static void test_deps_shards(void **state)
{
	struct hvt_case *cases[] = { mk("a", "noop", 0), mk("b", "noop", 1), mk("c", "noop", 2),
				     mk("d", "noop", 3), mk("e", "noop", 4), mk("f", "noop", 5) };
	long pos[6];

	hvt_case_add_dep(cases[1], "c");
	hvt_case_add_dep(cases[4], "a");
	hvt_case_add_dep(cases[5], "e");
	hvt_runner_shard_positions(cases, 6, pos);
	assert_int_equal(pos[0], 0);
	assert_int_equal(pos[1], 1);
	assert_int_equal(pos[2], 1);
	assert_int_equal(pos[3], 2);
	assert_int_equal(pos[4], 0);
	assert_int_equal(pos[5], 0);
	for (int n = 2; n <= 4; n++) {
		for (int k = 1; k <= n; k++) {
			bool a = hvt_runner_in_shard(pos[0], k, n);

			assert_int_equal(hvt_runner_in_shard(pos[4], k, n), a);
			assert_int_equal(hvt_runner_in_shard(pos[5], k, n), a);
			assert_int_equal(hvt_runner_in_shard(pos[1], k, n),
					 hvt_runner_in_shard(pos[2], k, n));
		}
	}
	for (int i = 0; i < 6; i++)
		hvt_case_free(cases[i]);
}

static const char deps_plan[] =
	"variants:\n"
	"    - install:\n"
	"        type = exec\n"
	"    - boot: install\n"
	"        type = exec\n"
	"variants:\n"
	"    - m1:\n"
	"    - m2:\n";

static void test_deps_session(void **state)
{
	static const char script[] =
		"#!/bin/sh\n"
		"case \"$HVT_CASE_NAME\" in\n"
		"*install) echo disk > \"$HVT_CASE_DIR/disk\"; echo 'ok 1 - installed';;\n"
		"*) grep -q disk \"$HVT_DEP_DIR_0/disk\" && echo 'ok 1 - booted' || "
		"echo 'not ok 1 - booted';;\n"
		"esac\n";
	struct hvt_err err = HVT_ERR_INIT;
	char *plan = hvt_asprintf("%s/deps.cfg", tmpdir);
	char *results = hvt_asprintf("%s/deps-results", tmpdir);
	char *sh = hvt_asprintf("%s/deps.sh", tmpdir);
	char *text = hvt_asprintf("%sexec = %s\n", deps_plan, sh);
	const char *filters[] = { "only install" };
	struct seen seen = { .problems = HVT_STRV_INIT };
	struct hvt_session_opts o = { .on_problem = se_problem, .opaque = &seen,
				      .no_page = true, .runner = { .jobs = 2 } };
	struct hvt_session_result r;
	struct hvt_case **cases;
	size_t n;

	assert_int_equal(hvt_file_write(plan, text, strlen(text), &err), 0);
	assert_int_equal(hvt_file_write(sh, script, strlen(script), &err), 0);
	assert_int_equal(chmod(sh, 0755), 0);
	o.plan = plan;
	o.results = results;

	/* the plan's dep key arrives in the cases; shards keep m1 and m2 whole */
	o.shard_k = 2;
	o.shard_n = 2;
	assert_int_equal(hvt_session_cases(&o, &cases, &n, NULL, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(cases[0]->name, "m2.install");
	assert_string_equal(cases[1]->name, "m2.boot");
	assert_int_equal(cases[1]->ndeps, 1);
	assert_string_equal(cases[1]->deps[0].name, "m2.install");
	hvt_store_cases_free(cases, n);
	o.shard_k = o.shard_n = 0;

	/* a dependent whose dependency is filtered out is refused */
	filters[0] = "only boot";
	o.filters = filters;
	o.nfilters = 1;
	assert_int_equal(hvt_session_run(&o, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "case m1.boot depends on m1.install"));
	assert_int_equal(r.run_id, 0);
	hvt_session_result_release(&r);

	/* a run stopped after install, resumed: boot finds the disk it left */
	free(text);
	text = hvt_asprintf("%.*sexec = %s\n", (int)(strstr(deps_plan, "variants:\n    - m1") -
						  deps_plan), deps_plan, sh);
	assert_int_equal(hvt_file_write(plan, text, strlen(text), &err), 0);
	filters[0] = "only install";
	assert_int_equal(hvt_session_run(&o, &r, &err), 0);
	assert_int_equal(r.ncases, 1);
	assert_int_equal(r.sum.outcome[HVT_PASS], 1);
	hvt_session_result_release(&r);
	o.nfilters = 0;
	o.resume = "latest";
	assert_int_equal(hvt_session_run(&o, &r, &err), 0);
	assert_int_equal(r.ncases, 1);
	assert_int_equal(r.sum.outcome[HVT_PASS], 1);
	assert_int_equal(r.exit_status, 0);
	hvt_session_result_release(&r);
	assert_int_equal(seen.problems.n, 0);
	hvt_strv_release(&seen.problems);
	free(plan);
	free(results);
	free(sh);
	free(text);
}

static struct hvt_case *tap(const char *text, int code)
{
	struct hvt_case *c = hvt_case_new("t", NULL, "exec");

	hvt_runner_apply_tap(c, text, code);
	return c;
}

static void test_tap_parsing(void **state)
{
	struct hvt_case *c;

	c = tap("TAP version 14\n1..3\nok 1 - boots\nnot ok 2 - balloon # got 3\n"
		"ok 3 # SKIP no KVM\n", 1);
	assert_int_equal(c->nchecks, 3);
	assert_string_equal(c->checks[0].name, "boots");
	assert_int_equal(c->checks[1].status, HVT_FAIL);
	assert_string_equal(c->checks[1].name, "balloon");
	assert_int_equal(c->checks[2].status, HVT_SKIP);
	assert_string_equal(c->checks[2].message, "no KVM");
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	hvt_case_free(c);

	c = tap("ok 1 - a\n    ok 1 - sub\nnot ok 2 - todo # TODO later\n1..2\n", 0);
	assert_int_equal(c->nchecks, 2);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	hvt_case_free(c);

	c = tap("1..3\nok 1\nok 2\n", 0);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "planned 3 tests but ran 2"));
	hvt_case_free(c);

	c = tap("ok 1 - x\nBail out! disk full\n", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "disk full"));
	hvt_case_free(c);

	c = tap("1..0 # SKIP needs libvirt\n", 0);
	assert_int_equal(hvt_case_outcome(c), HVT_SKIP);
	assert_string_equal(c->reason, "needs libvirt");
	hvt_case_free(c);

	c = tap("ok 1 - fine\n", 3);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "exited with code 3"));
	hvt_case_free(c);

	c = tap("hello\n", 0);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "no TAP"));
	hvt_case_free(c);

	/* metrics from comments: the last " = " splits the name from the value */
	c = tap("1..1\n# metric: walk: a = b = 12.5 s\n#metric: screens = 9\n"
		"# plain comment = 3\nok 1 - x\n", 0);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_int_equal(c->nmetrics, 2);
	assert_string_equal(c->metrics[0].name, "walk: a = b");
	assert_true(c->metrics[0].value == 12.5);
	assert_string_equal(c->metrics[0].unit, "s");
	assert_string_equal(c->metrics[1].name, "screens");
	assert_string_equal(c->metrics[1].unit, "");
	hvt_case_free(c);

	/* a metric line that does not parse fails the case, naming the line */
	c = tap("1..1\n# metric: walk = fast s\nok 1 - x\n", 0);
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	assert_int_equal(c->nmetrics, 0);
	assert_non_null(strstr(c->checks[0].message, "walk = fast s"));
	hvt_case_free(c);
	c = tap("1..1\n# metric: no value\nok 1 - x\n", 0);
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	hvt_case_free(c);
}

static void test_exec_type(void **state)
{
	static const char script[] =
		"#!/bin/sh\n"
		"echo 1..2\n"
		"if [ \"$HVT_PARAM_MEM_SIZE\" = 512 ]; then echo 'ok 1 - param'; "
		"else echo 'not ok 1 - param'; fi\n"
		"if [ -d \"$HVT_CASE_DIR\" ] && [ \"$1\" = A ]; then echo 'ok 2 - dir and args'; "
		"else echo 'not ok 2 - dir and args'; fi\n"
		"echo noise >&2\n";
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/t.sh", tmpdir);
	struct hvt_case *cases[2];
	struct hvt_runner_opts o = { .jobs = 2 };
	struct collected col = { 0 };
	struct hvt_case *c;

	assert_int_equal(hvt_file_write(path, script, strlen(script), &err), 0);
	assert_int_equal(chmod(path, 0755), 0);
	cases[0] = mk("x1", "exec", 0);
	hvt_case_set_param(cases[0], "exec", path);
	hvt_case_set_param(cases[0], "exec_args", "A B");
	hvt_case_set_param(cases[0], "mem-size", "512");
	cases[1] = mk("x2", "exec", 1);
	hvt_case_set_param(cases[1], "exec", "/nonexistent/prog");
	run(cases, 2, &o, &col);
	c = find(&col, "x1", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_int_equal(c->nchecks, 2);
	c = find(&col, "x2", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "/nonexistent/prog"));
	collected_free(&col);
	free(path);
}

static bool has_artifact(const struct hvt_case *c, const char *path)
{
	for (size_t i = 0; i < c->nartifacts; i++)
		if (!strcmp(c->artifacts[i].path, path))
			return true;
	return false;
}

/* Files named by exec_artifacts become artifacts; patterns outside the case's directory fail. */
static void test_exec_artifacts(void **state)
{
	static const char script[] =
		"#!/bin/sh\n"
		"cd \"$HVT_CASE_DIR\" && mkdir -p screens && : >screens/a.png && : >screens/b.txt\n"
		"mkdir screens/d.png && : >video.mp4 && : >other.bin\n"
		"echo 1..1; echo 'ok 1 - files'\n";
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/arts.sh", tmpdir);
	struct hvt_case *cases[2];
	struct hvt_runner_opts o = { .jobs = 1 };
	struct collected col = { 0 };
	struct hvt_case *c;

	assert_int_equal(hvt_file_write(path, script, strlen(script), &err), 0);
	assert_int_equal(chmod(path, 0755), 0);
	cases[0] = mk("a1", "exec", 0);
	hvt_case_set_param(cases[0], "exec", path);
	hvt_case_set_param(cases[0], "exec_artifacts", "screens/*.png  video.mp4 none-*.x");
	cases[1] = mk("a2", "exec", 1);
	hvt_case_set_param(cases[1], "exec", path);
	hvt_case_set_param(cases[1], "exec_artifacts", "video.mp4 ../up/* /etc/passwd");
	run(cases, 2, &o, &col);
	c = find(&col, "a1", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_true(has_artifact(c, "screens/a.png"));
	assert_true(has_artifact(c, "video.mp4"));
	assert_false(has_artifact(c, "screens/b.txt"));
	assert_false(has_artifact(c, "screens/d.png")); /* a directory */
	assert_false(has_artifact(c, "other.bin"));
	c = find(&col, "a2", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	assert_true(has_artifact(c, "video.mp4"));
	assert_false(has_artifact(c, "/etc/passwd"));
	assert_non_null(strstr(c->checks[c->nchecks - 1].message, "/etc/passwd"));
	assert_non_null(strstr(c->checks[c->nchecks - 2].message, "../up/*"));
	collected_free(&col);
	free(path);
}

static void test_module_loading_errors(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *b = getenv("HVT_BUILDDIR");
	char *lib = hvt_asprintf("%s/src/libhvtest.so", b ? b : ".");

	assert_int_equal(hvt_test_type_load("/nonexistent/mod.so", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/mod.so"));
	/* a library that registers nothing is not a test module */
	assert_int_equal(hvt_test_type_load(lib, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "registers no test type"));
	assert_non_null(hvt_test_type_find("fx-pass"));
	assert_null(hvt_test_type_find("fx-nosuchtype"));
	free(lib);
}

static int setup(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *b = getenv("HVT_BUILDDIR");
	char *module;
	int ret;

	if (!mkdtemp(tmpdir))
		return -1;
	hvt_runner_register_builtin();
	module = hvt_asprintf("%s/tests/fixtures/hvt-fixtures.so", b ? b : ".");
	ret = hvt_test_type_load(module, &err);
	if (ret)
		fprintf(stderr, "%s\n", err.msg);
	free(module);
	return ret;
}

static int teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes_and_crash),
		cmocka_unit_test(test_case_has_reaper),
		cmocka_unit_test(test_timeout_kills_qemu),
		cmocka_unit_test(test_repeat_and_rerun),
		cmocka_unit_test(test_repeat_counts_every_run),
		cmocka_unit_test(test_case_timeout),
		cmocka_unit_test(test_case_timeout_refused),
		cmocka_unit_test(test_xfail),
		cmocka_unit_test(test_assert_and_forensics),
		cmocka_unit_test(test_refuses_threads),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_deps_order_and_handover),
		cmocka_unit_test(test_deps_skip),
		cmocka_unit_test(test_deps_settled),
		cmocka_unit_test(test_deps_refused),
		cmocka_unit_test(test_deps_parallel),
		cmocka_unit_test(test_deps_shards),
		cmocka_unit_test(test_deps_session),
		cmocka_unit_test(test_tap_parsing),
		cmocka_unit_test(test_exec_type),
		cmocka_unit_test(test_exec_artifacts),
		cmocka_unit_test(test_module_loading_errors),
	};

	return cmocka_run_group_tests_name("runner", tests, setup, teardown);
}
