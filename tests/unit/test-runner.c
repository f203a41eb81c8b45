// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runner with real processes: crashing, hanging (with a QEMU), failing,
 * flaky and silent cases; repeats, reruns, shards; TAP from exec cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvtest.h"
#include "runner.h"

static char tmpdir[] = "/tmp/hvt-test-runner-XXXXXX";

/* The fixture types (fx-pass, fx-fail, fx-crash, fx-hang...) are a loaded module. */

/* ---- helpers ---- */

struct collected {
	struct hvt_case *c[64];
	bool final[64];
	size_t n;
};

static void on_done(struct hvt_case *c, bool final, void *opaque)
{
	struct collected *col = opaque;
	struct json_object *j = hvt_case_to_json(c);

	assert_true(col->n < 64);
	/* the runner frees its record: keep a copy */
	col->c[col->n] = hvt_case_from_json(j, NULL);
	col->c[col->n]->timed_out = c->timed_out;
	col->final[col->n++] = final;
	json_object_put(j);
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

static void run(struct hvt_case **cases, size_t n, struct hvt_runner_opts *o,
		struct collected *col, struct hvt_runner_summary *sum)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *root = hvt_asprintf("%s/run%d", tmpdir, rand());

	o->workroot = root;
	o->on_done = on_done;
	o->opaque = col;
	if (hvt_runner_run(cases, n, o, sum, &err))
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
	struct hvt_runner_summary sum;
	struct hvt_case *c;

	hvt_case_set_param(cases[0], "x", "17");
	run(cases, HVT_ARRAY_SIZE(cases), &o, &col, &sum);
	assert_int_equal(col.n, 7);
	assert_int_equal(sum.cases, 7);
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
	assert_int_equal(sum.outcome[HVT_PASS], 2);
	assert_int_equal(sum.outcome[HVT_FAIL], 1);
	assert_int_equal(sum.outcome[HVT_ERROR], 4);
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
	struct hvt_runner_summary sum;
	struct hvt_case *c;

	hvt_proc_install_reaper();
	assert_true(hvt_proc_reaper_installed());
	run(cases, 1, &o, &col, &sum);
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
	struct hvt_runner_summary sum;
	struct hvt_case *c;

	if (!qemu)
		skip();
	free(qemu);
	snprintf(marker, sizeof(marker), "hvt-hang-%d-%d", (int)getpid(), rand());
	cases[0] = mk("h", "fx-hang", 0);
	hvt_case_set_param(cases[0], "marker", marker);
	run(cases, 1, &o, &col, &sum);
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
	struct hvt_runner_summary sum;
	struct hvt_case *c;

	run(cases, HVT_ARRAY_SIZE(cases), &o, &col, &sum);
	/* p: 2 repeats; fl: fails, rerun passes (flaky), 1 repeat; f: fail, rerun, repeat... */
	assert_int_equal(find(&col, "p", 1)->attempt, 1);
	assert_int_equal(hvt_case_outcome(find(&col, "p", 2)), HVT_PASS);
	assert_int_equal(hvt_case_outcome(find(&col, "fl", 1)), HVT_FAIL);
	c = find(&col, "fl", 2);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_true(c->flaky);
	assert_int_equal(hvt_case_outcome(find(&col, "f", 2)), HVT_FAIL);
	assert_int_equal(sum.cases, 3);
	assert_int_equal(sum.flaky, 1);
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
	struct hvt_runner_summary sum;
	struct hvt_case *c;

	hvt_case_set_param(cases[0], "mark_dir", tmpdir);
	run(cases, HVT_ARRAY_SIZE(cases), &o, &col, &sum);
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
	assert_int_equal(sum.outcome[HVT_FAIL], 1);
	assert_int_equal(sum.outcome[HVT_PASS], 1);
	assert_int_equal(sum.flaky, 1);
	collected_free(&col);
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
	struct hvt_runner_summary sum;
	struct hvt_case *c;

	assert_int_equal(hvt_file_write(path, script, strlen(script), &err), 0);
	assert_int_equal(chmod(path, 0755), 0);
	cases[0] = mk("x1", "exec", 0);
	hvt_case_set_param(cases[0], "exec", path);
	hvt_case_set_param(cases[0], "exec_args", "A B");
	hvt_case_set_param(cases[0], "mem-size", "512");
	cases[1] = mk("x2", "exec", 1);
	hvt_case_set_param(cases[1], "exec", "/nonexistent/prog");
	run(cases, 2, &o, &col, &sum);
	c = find(&col, "x1", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_int_equal(c->nchecks, 2);
	c = find(&col, "x2", 1);
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_non_null(strstr(c->reason, "/nonexistent/prog"));
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
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_tap_parsing),
		cmocka_unit_test(test_exec_type),
		cmocka_unit_test(test_module_loading_errors),
	};

	return cmocka_run_group_tests_name("runner", tests, setup, teardown);
}
