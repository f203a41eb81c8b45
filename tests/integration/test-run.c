// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "hvtest run" with real processes: a crashing and a hanging case among
 * good ones, SIGKILL of the runner then --resume, shards that cover a plan
 * exactly once, TAP, JUnit and HTML output, deleting runs; the per-case
 * keys timeout and xfail, through the store, the reports and diff; plan
 * dependencies (skips, shards, refusals).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

static char tmpdir[] = "/tmp/hvt-run-XXXXXX";
static char module[4096], plans[4096];

static int group_setup(void **state)
{
	const char *b = getenv("HVT_BUILDDIR"), *s = getenv("HVT_SRCDIR");

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(module, sizeof(module), "%s/tests/fixtures/hvt-fixtures.so", b ? b : ".");
	snprintf(plans, sizeof(plans), "%s/tests/integration/plans", s ? s : ".");
	return 0;
}

static int group_teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	return 0;
}

/* hvtest run --module M --results R ARGS... */
static int run_hvtest(const char *results, const char *const *args, char **out)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	int rc;

	hvt_strv_push(&argv, itest_hvtest());
	hvt_strv_pushv(&argv, (const char *const[]){ "run", "--module", module, "--results",
						       results, NULL });
	hvt_strv_pushv(&argv, args);
	rc = itest_run((const char *const *)argv.v, NULL, 300000, out);
	hvt_strv_release(&argv);
	return rc;
}

/* hvtest run --module M --results R -j 1 PLAN, started in the background. */
static struct hvt_proc *spawn_hvtest(const char *results, const char *plan)
{
	const char *argv[] = { itest_hvtest(), "run", "--module", module, "--results", results,
			       "-j", "1", plan, NULL };
	struct hvt_proc_opts o = { .argv = argv };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc *p = hvt_proc_spawn(&o, &err);

	if (!p)
		fail_msg("hvtest run %s: %s", plan, err.msg);
	return p;
}

/* The cases of a stored run, as JSON (caller puts the reference). */
static struct json_object *stored_cases(const char *results, const char *ref, bool all)
{
	const char *argv[] = { itest_hvtest(), "results", "--results", results, "show", ref,
			       "--json", all ? "--all-attempts" : NULL, NULL };
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc, *cases;
	char *out = NULL;
	int rc = itest_run(argv, NULL, 60000, &out);

	if (rc != 0 && rc != 1)
		fail_msg("results show %s: exit %d:\n%s", ref, rc, out);
	doc = hvt_json_parse(out, &err);
	if (!doc)
		fail_msg("results show %s: %s:\n%s", ref, err.msg, out);
	cases = json_object_get(hvt_json_get(doc, "cases"));
	json_object_put(doc);
	free(out);
	assert_non_null(cases);
	return cases;
}

static void test_crash_and_hang_among_good_cases(void **state)
{
	char *results = hvt_asprintf("%s/mixed", tmpdir);
	char *plan = hvt_asprintf("%s/mixed.cfg", plans);
	struct json_object *cases, *c;
	char *out = NULL;
	int rc;

	rc = run_hvtest(results, (const char *const[]){ "-j", "2", "--timeout", "4", plan, NULL },
			&out);
	if (rc != 1)
		fail_msg("expected exit 1, got %d:\n%s", rc, out);
	free(out);
	cases = stored_cases(results, "latest", false);
	assert_int_equal(json_object_array_length(cases), 5);
	assert_string_equal(hvt_json_get_str(itest_case_named(cases, "ok"), "outcome"), "pass");
	assert_string_equal(hvt_json_get_str(itest_case_named(cases, "ok2"), "outcome"), "pass");
	assert_string_equal(hvt_json_get_str(itest_case_named(cases, "wrong"), "outcome"), "fail");
	c = itest_case_named(cases, "crash");
	assert_string_equal(hvt_json_get_str(c, "outcome"), "error");
	assert_non_null(strstr(hvt_json_get_str(c, "reason"), "SIGSEGV"));
	c = itest_case_named(cases, "hang");
	assert_string_equal(hvt_json_get_str(c, "outcome"), "timeout");
	/* the hanging case's QEMU went with it */
	assert_int_equal(itest_wait_no_qemu("hvt-fx-hang", 5000), 0);
	json_object_put(cases);
	free(plan);
	free(results);
}

/* Cases stored so far in the latest run; 0 while there is no run yet. */
static size_t count_stored(const char *results)
{
	const char *argv[] = { itest_hvtest(), "results", "--results", results, "show", "latest",
			       "--json", "--all-attempts", NULL };
	struct json_object *doc;
	char *out = NULL;
	size_t n = 0;

	itest_run(argv, NULL, 60000, &out);
	doc = hvt_json_parse(out, NULL);
	if (doc)
		n = json_object_array_length(hvt_json_get(doc, "cases"));
	json_object_put(doc);
	free(out);
	return n;
}

/* How many cases the run's HTML page shows (each is a <details id="cN">). */
static size_t page_cases(const char *path)
{
	static const char needle[] = "<details id=\"c";
	struct hvt_err err = HVT_ERR_INIT;
	char *html = NULL;
	size_t n = 0;

	itest_ok(hvt_file_read(path, &html, NULL, &err), &err);
	assert_true(!strncmp(html, "<!DOCTYPE html>", 15));
	assert_non_null(strstr(html, "</body></html>\n"));
	for (const char *p = strstr(html, needle); p; p = strstr(p + 1, needle))
		n++;
	free(html);
	return n;
}

static void test_sigkill_then_resume(void **state)
{
	char *results = hvt_asprintf("%s/resume", tmpdir);
	char *plan = hvt_asprintf("%s/slow.cfg", plans);
	struct json_object *before, *after, *all;
	struct hvt_proc_status st;
	struct hvt_proc *p;
	char *out = NULL, want[64];
	int64_t deadline;
	size_t k;
	int rc;

	p = spawn_hvtest(results, plan);
	/* wait until some cases are stored, then kill the runner outright */
	deadline = hvt_now_ms() + 60000;
	while (hvt_ms_left(deadline) && count_stored(results) < 3)
		usleep(100000);
	assert_int_equal(kill(hvt_proc_pid(p), SIGKILL), 0);
	assert_int_equal(hvt_proc_wait(p, 10000, &st), 0);
	hvt_proc_free(p);
	before = stored_cases(results, "latest", true);
	k = json_object_array_length(before);
	assert_in_range(k, 3, 11);

	rc = run_hvtest(results, (const char *const[]){ "--resume", "latest", plan, NULL }, &out);
	if (rc != 0)
		fail_msg("resume: exit %d:\n%s", rc, out);
	/* only what was left ran */
	snprintf(want, sizeof(want), "%zu case%s from", 12 - k, 12 - k == 1 ? "" : "s");
	if (!strstr(out, want))
		fail_msg("resume should run %zu cases:\n%s", 12 - k, out);
	free(out);
	after = stored_cases(results, "latest", false);
	all = stored_cases(results, "latest", true);
	/* all 12, each stored once: nothing lost, nothing run twice */
	assert_int_equal(json_object_array_length(after), 12);
	assert_int_equal(json_object_array_length(all), 12);
	for (size_t i = 0; i < k; i++) {
		struct json_object *c = json_object_array_get_idx(before, i);
		struct json_object *again = itest_case_named(all, hvt_json_get_str(c, "name"));

		assert_true(hvt_json_get_int(again, "start", 0) == hvt_json_get_int(c, "start", 0));
	}
	json_object_put(before);
	json_object_put(after);
	json_object_put(all);
	/* the run's page, written after the resume, has every case */
	free(plan);
	plan = hvt_asprintf("%s/run-1/report.html", results);
	assert_int_equal(page_cases(plan), 12);
	free(plan);
	free(results);
}

static void test_shards_cover_plan_once(void **state)
{
	char *plan = hvt_asprintf("%s/slow.cfg", plans);
	const char *list_argv[] = { itest_hvtest(), "run", "--list", plan, NULL };
	char *listed = NULL, *results, *line;
	int seen[12] = { 0 }, rc;
	size_t total = 0;

	rc = itest_run(list_argv, NULL, 30000, &listed);
	assert_int_equal(rc, 0);
	for (int k = 1; k <= 3; k++) {
		char shard[8];
		struct json_object *cases;
		char *out = NULL;

		snprintf(shard, sizeof(shard), "%d/3", k);
		results = hvt_asprintf("%s/shard%d", tmpdir, k);
		rc = run_hvtest(results, (const char *const[]){ "--shard", shard, "-j", "2",
								"--repeat", "1", plan, NULL },
				&out);
		if (rc != 0)
			fail_msg("shard %s: exit %d:\n%s", shard, rc, out);
		free(out);
		cases = stored_cases(results, "latest", false);
		for (size_t i = 0; i < json_object_array_length(cases); i++) {
			struct json_object *c = json_object_array_get_idx(cases, i);
			long idx = (long)hvt_json_get_int(c, "index", -1);

			assert_in_range(idx, 0, 11);
			seen[idx]++;
			/* the index is the variant's position in the listing */
			line = listed;
			for (long l = 0; l < idx; l++)
				line = strchr(line, '\n') + 1;
			assert_memory_equal(line, hvt_json_get_str(c, "name"),
					    strlen(hvt_json_get_str(c, "name")));
			total++;
		}
		json_object_put(cases);
		free(results);
	}
	assert_int_equal(total, 12);
	for (int i = 0; i < 12; i++)
		assert_int_equal(seen[i], 1);
	free(listed);
	free(plan);
}

static void test_tap_and_junit(void **state)
{
	char *results = hvt_asprintf("%s/tap", tmpdir);
	char *plan = hvt_asprintf("%s/slow.cfg", plans);
	char *junit = hvt_asprintf("%s/junit.xml", tmpdir);
	char *out = NULL, *xml = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	int rc;

	rc = run_hvtest(results, (const char *const[]){ "--tap", "--junit", junit, plan, "only a",
							NULL },
			&out);
	if (rc != 0 || !strstr(out, "TAP version 13") || !strstr(out, "1..3") ||
	    !strstr(out, "ok 3 - "))
		fail_msg("TAP: exit %d:\n%s", rc, out);
	itest_ok(hvt_file_read(junit, &xml, NULL, &err), &err);
	assert_non_null(strstr(xml, "tests=\"3\""));
	assert_non_null(strstr(xml, "failures=\"0\""));
	free(xml);
	free(out);
	free(junit);
	free(plan);
	free(results);
}

static int results_cmd(const char *results, const char *const *args, char **out)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	int rc;

	hvt_strv_push(&argv, itest_hvtest());
	hvt_strv_pushv(&argv, (const char *const[]){ "results", "--results", results, NULL });
	hvt_strv_pushv(&argv, args);
	rc = itest_run((const char *const *)argv.v, NULL, 60000, out);
	hvt_strv_release(&argv);
	return rc;
}

static void test_results_list_show_diff(void **state)
{
	char *results = hvt_asprintf("%s/flip", tmpdir);
	char *plan_a = hvt_asprintf("%s/flip-a.cfg", plans);
	char *plan_b = hvt_asprintf("%s/flip-b.cfg", plans);
	struct hvt_err err = HVT_ERR_INIT;
	char *out = NULL, *p, *html;
	int rc;

	assert_int_equal(run_hvtest(results, (const char *const[]){ plan_a, NULL }, &out), 0);
	free(out);
	assert_int_equal(run_hvtest(results, (const char *const[]){ plan_b, NULL }, &out), 1);
	free(out);

	rc = results_cmd(results, (const char *const[]){ "list", NULL }, &out);
	if (rc != 0 || !strstr(out, "flip-a.cfg") || !strstr(out, "flip-b.cfg"))
		fail_msg("results list: exit %d:\n%s", rc, out);
	/* newest first */
	assert_true(strstr(out, "flip-b.cfg") < strstr(out, "flip-a.cfg"));
	free(out);

	rc = results_cmd(results, (const char *const[]){ "show", "latest", NULL }, &out);
	/* the failed case with its failed check */
	p = strstr(out, "fail ");
	if (rc != 0 || !p || !strstr(p, "check fine: b") || !strstr(out, "1 fail"))
		fail_msg("results show: exit %d:\n%s", rc, out);
	free(out);

	/* the same as a page: the failed case open, with its check */
	html = hvt_asprintf("%s/page.html", tmpdir);
	rc = results_cmd(results, (const char *const[]){ "show", "latest", "--html", html, NULL },
			 &out);
	if (rc != 0)
		fail_msg("results show --html: exit %d:\n%s", rc, out);
	free(out);
	assert_int_equal(page_cases(html), 3);
	itest_ok(hvt_file_read(html, &out, NULL, &err), &err);
	p = strstr(out, " open><summary><span class=\"o fail\">fail</span> b ");
	if (!p || !strstr(p, "<td>fine</td><td class=\"o fail\">fail</td>"))
		fail_msg("the page does not show b's failed check:\n%s", out);
	free(out);
	free(html);

	/* b passed in run 1 and fails in run 2: a new failure, and diff says so */
	rc = results_cmd(results, (const char *const[]){ "diff", "latest~1", "latest", NULL },
			 &out);
	p = strstr(out, "new failures (1)");
	if (rc != 1 || !p || !strstr(p, "pass -> fail  b"))
		fail_msg("results diff: exit %d:\n%s", rc, out);
	/* c slept 10 ms, then 200 ms: a metric change */
	if (!strstr(out, "slept: 10 -> 200 ms"))
		fail_msg("results diff lists no metric change:\n%s", out);
	free(out);

	/* the other way round it is a fix, and no new failure */
	rc = results_cmd(results, (const char *const[]){ "diff", "latest", "latest~1", NULL },
			 &out);
	if (rc != 0 || !strstr(out, "fixes (1)") || strstr(out, "new failures"))
		fail_msg("reverse diff: exit %d:\n%s", rc, out);
	free(out);
	free(plan_a);
	free(plan_b);
	free(results);
}

/* rm and prune: records and run directories go; a running run stays. */
static void test_results_rm_prune(void **state)
{
	char *results = hvt_asprintf("%s/rm", tmpdir);
	char *plan = hvt_asprintf("%s/flip-a.cfg", plans);
	char *slow = hvt_asprintf("%s/slow.cfg", plans);
	struct hvt_proc_status st;
	struct hvt_proc *p;
	char *out = NULL, dir[4096];
	int64_t deadline;
	int rc;

	for (int i = 0; i < 4; i++) {
		assert_int_equal(run_hvtest(results, (const char *const[]){ plan, NULL }, &out), 0);
		free(out);
	}
	/* a bad reference deletes nothing */
	rc = results_cmd(results, (const char *const[]){ "rm", "2", "9", NULL }, &out);
	if (rc != 1 || !strstr(out, "no run 9"))
		fail_msg("rm 2 9: exit %d:\n%s", rc, out);
	free(out);
	snprintf(dir, sizeof(dir), "%s/run-2", results);
	assert_true(hvt_path_exists(dir));

	rc = results_cmd(results, (const char *const[]){ "prune", "--keep", "2", NULL }, &out);
	if (rc != 0 || !strstr(out, "removed run 1 ") || !strstr(out, "removed run 2 ") ||
	    !strstr(out, "kept 2 runs, removed 2"))
		fail_msg("prune --keep 2: exit %d:\n%s", rc, out);
	free(out);
	assert_false(hvt_path_exists(dir));
	snprintf(dir, sizeof(dir), "%s/run-3", results);
	assert_true(hvt_path_exists(dir));

	rc = results_cmd(results, (const char *const[]){ "rm", "latest~1", NULL }, &out);
	if (rc != 0 || !strstr(out, "removed run 3 (") || !strstr(out, "3 cases)"))
		fail_msg("rm latest~1: exit %d:\n%s", rc, out);
	free(out);
	assert_false(hvt_path_exists(dir));
	rc = results_cmd(results, (const char *const[]){ "list", NULL }, &out);
	if (rc != 0 || !strstr(out, "\n    4  ") || strstr(out, "\n    3  "))
		fail_msg("list after rm: exit %d:\n%s", rc, out);
	free(out);

	/* a run that is still going is not removed */
	p = spawn_hvtest(results, slow);
	deadline = hvt_now_ms() + 60000;
	for (bool running = false; !running && hvt_ms_left(deadline);) {
		results_cmd(results, (const char *const[]){ "list", NULL }, &out);
		running = strstr(out, "slow.cfg") && strstr(out, "running");
		free(out);
		if (!running)
			usleep(100000);
	}
	rc = results_cmd(results, (const char *const[]){ "rm", "latest", NULL }, &out);
	if (rc != 1 || !strstr(out, "still running"))
		fail_msg("rm of a running run: exit %d:\n%s", rc, out);
	free(out);
	assert_int_equal(hvt_proc_wait(p, 60000, &st), 0);
	hvt_proc_free(p);
	rc = results_cmd(results, (const char *const[]){ "rm", "latest", NULL }, &out);
	if (rc != 0 || !strstr(out, "12 cases)"))
		fail_msg("rm after the run ended: exit %d:\n%s", rc, out);
	free(out);
	/* bad usage */
	assert_int_equal(results_cmd(results, (const char *const[]){ "prune", NULL }, &out), 2);
	free(out);
	assert_int_equal(results_cmd(results, (const char *const[]){ "prune", "--keep", "x", NULL },
				     &out), 2);
	free(out);
	free(slow);
	free(plan);
	free(results);
}

/* A plan in tmpdir; its path (free it). */
static char *write_plan(const char *name, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *plan = hvt_asprintf("%s/%s", tmpdir, name);

	itest_ok(hvt_file_write(plan, text, strlen(text), &err), &err);
	return plan;
}

static const char xfail_plan[] =
	"variants:\n"
	"    - known:\n"
	"        type = fx-fail\n"
	"        xfail = bug 1: the device drops it\n"
	"    - fixed:\n"
	"        type = fx-pass\n"
	"        xfail = bug 2\n"
	"    - slow:\n"
	"        type = fx-pass\n"
	"        sleep_ms = 30000\n"
	"        timeout = 1\n"
	"    - fine:\n"
	"        type = fx-pass\n";

/*
 * xfail: a failing case is an expected failure (the run may still pass),
 * a passing one an unexpected pass (the run fails); timeout: that case's
 * own limit, whatever --timeout says.
 */
static void test_xfail_and_case_timeout(void **state)
{
	char *results = hvt_asprintf("%s/xfail", tmpdir);
	char *plan = write_plan("xfail.cfg", xfail_plan);
	char *junit = hvt_asprintf("%s/xfail.xml", tmpdir);
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *cases, *c;
	char *out = NULL, *xml = NULL;
	int64_t t0 = hvt_now_ms();
	int rc;

	/* only the expected failure and a pass: the run passes */
	rc = run_hvtest(results, (const char *const[]){ plan, "only known, fine", NULL }, &out);
	if (rc != 0 || !strstr(out, "2 cases: 1 pass, 0 fail, 0 error, 0 skip, 0 timeout, 1 xfail, "
				    "0 xpass") ||
	    !strstr(out, "xfail   known ") || !strstr(out, "bug 1: the device drops it"))
		fail_msg("an expected failure failed the run: exit %d:\n%s", rc, out);
	free(out);

	/* all of it: the unexpected pass fails the run, the slow case times out at 1 s */
	rc = run_hvtest(results, (const char *const[]){ "--timeout", "120", "--tap", "--junit",
							junit, plan, NULL },
			&out);
	if (rc != 1 || !strstr(out, "not ok 1 - known # TODO bug 1: the device drops it\n") ||
	    !strstr(out, "not ok 2 - fixed\n") || !strstr(out, "  outcome: xpass\n") ||
	    !strstr(out, "4 cases: 1 pass, 0 fail, 0 error, 0 skip, 1 timeout, 1 xfail, 1 xpass"))
		fail_msg("expected exit 1 with an xpass:\n%s", out);
	free(out);
	assert_true(hvt_now_ms() - t0 < 60000);
	itest_ok(hvt_file_read(junit, &xml, NULL, &err), &err);
	assert_non_null(strstr(xml, "tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""));
	assert_non_null(strstr(xml, "<skipped type=\"xfail\" message=\"expected failure: bug 1: "
				    "the device drops it\"/>"));
	assert_non_null(strstr(xml, "<failure type=\"xpass\""));
	free(xml);

	cases = stored_cases(results, "latest", false);
	c = itest_case_named(cases, "known");
	assert_string_equal(hvt_json_get_str(c, "outcome"), "xfail");
	assert_string_equal(hvt_json_get_str(c, "xfail"), "bug 1: the device drops it");
	assert_string_equal(hvt_json_get_str(itest_case_named(cases, "fixed"), "outcome"), "xpass");
	c = itest_case_named(cases, "slow");
	assert_string_equal(hvt_json_get_str(c, "outcome"), "timeout");
	assert_non_null(strstr(hvt_json_get_str(c, "reason"), "timed out after 1 s"));
	json_object_put(cases);

	/* results show names the outcomes; the page lists the unexpected pass */
	rc = results_cmd(results, (const char *const[]){ "show", "latest", NULL }, &out);
	if (rc != 0 || !strstr(out, "xfail       0  known") || !strstr(out, "xpass       1  fixed"))
		fail_msg("results show: exit %d:\n%s", rc, out);
	free(out);
	free(plan);
	plan = hvt_asprintf("%s/run-2/report.html", results);
	itest_ok(hvt_file_read(plan, &out, NULL, &err), &err);
	assert_non_null(strstr(out, "<span class=\"o xpass\">xpass</span> <a href=\"#c2\">fixed</a>: "
				    "passed, but expected to fail: bug 2</li>"));
	free(out);

	free(plan);

	/* QEMU fixed bug 1: the known failure passes, a new failure for diff */
	plan = write_plan("xfail-fixed.cfg", "variants:\n    - known:\n        type = fx-pass\n"
					     "        xfail = bug 1: the device drops it\n");
	rc = run_hvtest(results, (const char *const[]){ plan, NULL }, &out);
	if (rc != 1 || !strstr(out, "xpass   known ") ||
	    !strstr(out, "expected to fail: bug 1: the device drops it"))
		fail_msg("a fixed bug is not an unexpected pass: exit %d:\n%s", rc, out);
	free(out);
	rc = results_cmd(results, (const char *const[]){ "diff", "1", "3", NULL }, &out);
	if (rc != 1 || !strstr(out, "new failures (1)") || !strstr(out, "xfail -> xpass  known"))
		fail_msg("results diff: exit %d:\n%s", rc, out);
	free(out);
	free(plan);
	free(junit);
	free(results);
}

static void test_bad_plan(void **state)
{
	static const char untyped[] = "variants:\n    - a:\n        type = fx-pass\n"
				      "    - b:\n        type = fx-nope\n    - c:\n";
	static const char untimed[] = "variants:\n    - a:\n        type = fx-pass\n"
				      "        timeout = soon\n";
	char *results = hvt_asprintf("%s/bad", tmpdir);
	char *out = NULL, *plan;
	int rc;

	rc = run_hvtest(results, (const char *const[]){ "/nonexistent/plan.cfg", NULL }, &out);
	if (rc != 1 || !strstr(out, "/nonexistent/plan.cfg"))
		fail_msg("missing plan: exit %d:\n%s", rc, out);
	free(out);
	/* test types nobody registered: refused before anything runs */
	plan = write_plan("untyped.cfg", untyped);
	rc = run_hvtest(results, (const char *const[]){ plan, NULL }, &out);
	if (rc != 1 || !strstr(out, "2 of 3 cases name test types that are not registered") ||
	    !strstr(out, "fx-nope") || !strstr(out, "(no type key)") || strstr(out, "run 1"))
		fail_msg("unknown types: exit %d:\n%s", rc, out);
	free(out);
	free(plan);
	/* a timeout key that is no number of seconds: the same */
	plan = write_plan("untimed.cfg", untimed);
	rc = run_hvtest(results, (const char *const[]){ plan, NULL }, &out);
	if (rc != 1 || !strstr(out, "case a: timeout = 'soon' is not a number of seconds") ||
	    strstr(out, "run 1"))
		fail_msg("bad timeout: exit %d:\n%s", rc, out);
	free(out);
	free(plan);
	free(results);
}

/* A plan of plain keys, no variants: one case, run like any other. */
static void test_plan_without_variants(void **state)
{
	char *results = hvt_asprintf("%s/flat", tmpdir);
	char *plan = write_plan("flat.cfg", "type = fx-pass\n");
	struct json_object *cases;
	char *out = NULL;
	int rc;

	(void)state;
	rc = run_hvtest(results, (const char *const[]){ plan, NULL }, &out);
	if (rc != 0)
		fail_msg("a plan without variants: exit %d:\n%s", rc, out);
	free(out);
	cases = stored_cases(results, "latest", false);
	assert_int_equal(json_object_array_length(cases), 1);
	assert_string_equal(hvt_json_get_str(json_object_array_get_idx(cases, 0), "outcome"),
			    "pass");
	json_object_put(cases);
	free(plan);
	free(results);
}

/*
 * Plan dependencies through "hvtest run": a failed install skips the
 * boots behind it, and only them; shards keep an install with its boots;
 * a cycle and a filtered-out dependency are refused before a run exists.
 */
static void test_dependencies(void **state)
{
	static const char deps[] =
		"variants:\n"
		"    - install:\n"
		"        type = fx-fail\n"
		"    - boot: install\n"
		"        type = fx-pass\n"
		"    - other:\n"
		"        type = fx-pass\n"
		"variants:\n"
		"    - m1:\n"
		"    - m2:\n";
	static const char cycle[] = "type = fx-pass\nvariants:\n    - a: b\n    - b: a\n";
	char *results = hvt_asprintf("%s/deps", tmpdir);
	char *plan = write_plan("deps.cfg", deps), *cplan = write_plan("cycle.cfg", cycle);
	const char *list_argv[] = { itest_hvtest(), "run", "--module", module, "--list",
				    "--shard", "2/3", plan, NULL };
	char *out = NULL;
	int rc;

	rc = run_hvtest(results, (const char *const[]){ "-j", "2", plan, NULL }, &out);
	if (rc != 1 || !strstr(out, "skip    m1.boot (0.0 s): dependency m1.install failed "
				   "(outcome: fail)") ||
	    !strstr(out, "dependency m2.install failed") || !strstr(out, "2 pass, 2 fail") ||
	    !strstr(out, "2 skip"))
		fail_msg("deps: exit %d:\n%s", rc, out);
	free(out);
	/* components in plan order: m1.install+boot, m1.other, m2.install+boot, m2.other */
	rc = itest_run(list_argv, NULL, 30000, &out);
	if (rc != 0 || strcmp(out, "m1.other\n"))
		fail_msg("shard 2/3: exit %d:\n%s", rc, out);
	free(out);
	list_argv[6] = "1/3";
	rc = itest_run(list_argv, NULL, 30000, &out);
	if (rc != 0 || strcmp(out, "m1.install\nm1.boot\nm2.other\n"))
		fail_msg("shard 1/3: exit %d:\n%s", rc, out);
	free(out);
	rc = run_hvtest(results, (const char *const[]){ cplan, NULL }, &out);
	if (rc != 1 || !strstr(out, "dependency cycle: a -> b -> a") || strstr(out, "run 2"))
		fail_msg("cycle: exit %d:\n%s", rc, out);
	free(out);
	rc = run_hvtest(results, (const char *const[]){ plan, "boot", NULL }, &out);
	if (rc != 1 || !strstr(out, "case m1.boot depends on m1.install, which is no case") ||
	    strstr(out, "run 2"))
		fail_msg("filtered dependency: exit %d:\n%s", rc, out);
	free(out);
	free(plan);
	free(cplan);
	free(results);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_and_hang_among_good_cases),
		cmocka_unit_test(test_sigkill_then_resume),
		cmocka_unit_test(test_shards_cover_plan_once),
		cmocka_unit_test(test_tap_and_junit),
		cmocka_unit_test(test_results_rm_prune),
		cmocka_unit_test(test_results_list_show_diff),
		cmocka_unit_test(test_bad_plan),
		cmocka_unit_test(test_xfail_and_case_timeout),
		cmocka_unit_test(test_dependencies),
		cmocka_unit_test(test_plan_without_variants),
	};

	return cmocka_run_group_tests_name("run", tests, group_setup, group_teardown);
}
