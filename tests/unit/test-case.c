// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The case record: parameters, checks, derived outcome (expected failures
 * included), copies, JSON round trip; how a step ends its case (ASSERT)
 * and what runs after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "case.h"
#include "testtype.h"

static void test_params(void **state)
{
	struct hvt_case *c = hvt_case_new("a.b.c", "c", "exec");
	struct hvt_err err = HVT_ERR_INIT;
	long long n;
	double d;
	bool b;

	hvt_case_set_param(c, "mem", "512");
	hvt_case_set_param(c, "ratio", "0.25");
	hvt_case_set_param(c, "polling", "off");
	hvt_case_set_param(c, "bad", "12x");
	hvt_case_set_param(c, "mem", "1024");
	assert_int_equal(c->nparams, 4);
	assert_string_equal(hvt_case_param(c, "mem", NULL), "1024");
	assert_string_equal(hvt_case_param(c, "nope", "dflt"), "dflt");
	assert_int_equal(hvt_case_param_int(c, "mem", 0, &n, &err), 0);
	assert_int_equal(n, 1024);
	assert_int_equal(hvt_case_param_int(c, "absent", 7, &n, &err), 0);
	assert_int_equal(n, 7);
	assert_int_equal(hvt_case_param_int(c, "bad", 0, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bad = '12x'"));
	assert_int_equal(hvt_case_param_double(c, "ratio", 0, &d, &err), 0);
	assert_true(d == 0.25);
	assert_int_equal(hvt_case_param_bool(c, "polling", true, &b, &err), 0);
	assert_false(b);
	assert_int_equal(hvt_case_param_bool(c, "mem", true, &b, &err), -EINVAL);
	/* a parameter set to its own value (the same pointer) keeps it */
	hvt_case_set_param(c, "polling", hvt_case_param(c, "polling", NULL));
	assert_string_equal(hvt_case_param(c, "polling", NULL), "off");
	hvt_case_free(c);
}

static void test_outcomes(void **state)
{
	struct hvt_case *c = hvt_case_new("x", NULL, NULL);

	/* nothing recorded: no verdict */
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	hvt_case_check_skip(c, "s", "not here");
	assert_int_equal(hvt_case_outcome(c), HVT_SKIP);
	assert_true(hvt_case_check(c, "p", true, "fine"));
	assert_int_equal(hvt_case_outcome(c), HVT_PASS);
	assert_false(hvt_case_check(c, "f", false, "got %d", 3));
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	assert_string_equal(c->checks[2].message, "got 3");
	hvt_case_error(c, "QEMU died: %s", "SIGKILL");
	hvt_case_error(c, "and then this");
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_string_equal(c->reason, "QEMU died: SIGKILL");
	c->timed_out = true;
	assert_int_equal(hvt_case_outcome(c), HVT_TIMEOUT);
	hvt_case_free(c);

	c = hvt_case_new("y", NULL, NULL);
	hvt_case_skip(c, "needs KVM");
	assert_int_equal(hvt_case_outcome(c), HVT_SKIP);
	/* a failed check outweighs a skip */
	hvt_case_check(c, "f", false, NULL);
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	hvt_case_free(c);
}

static void test_outcome_names(void **state)
{
	enum hvt_outcome o;

	for (int i = 0; i < HVT_OUTCOME_COUNT; i++) {
		assert_int_equal(hvt_outcome_parse(hvt_outcome_name((enum hvt_outcome)i), &o), 0);
		assert_int_equal(o, i);
	}
	assert_int_equal(hvt_outcome_parse("passed", &o), -EINVAL);
}

static void test_expected_failure(void **state)
{
	static const bool bad[HVT_OUTCOME_COUNT] = {
		[HVT_FAIL] = true, [HVT_ERROR] = true, [HVT_TIMEOUT] = true, [HVT_XPASS] = true,
	};
	struct hvt_case *c = hvt_case_new("x", NULL, NULL);

	for (int i = 0; i < HVT_OUTCOME_COUNT; i++)
		assert_int_equal(hvt_outcome_bad((enum hvt_outcome)i), bad[i]);
	assert_string_equal(hvt_outcome_name(HVT_XFAIL), "xfail");
	assert_string_equal(hvt_outcome_name(HVT_XPASS), "xpass");

	hvt_case_set_xfail(c, "bug 1");
	assert_string_equal(c->xfail, "bug 1");
	/* no verdict is no verdict, expected failure or not */
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	hvt_case_check(c, "p", true, NULL);
	assert_int_equal(hvt_case_outcome(c), HVT_XPASS);
	hvt_case_check(c, "f", false, NULL);
	assert_int_equal(hvt_case_outcome(c), HVT_XFAIL);
	/* "" takes the expectation back */
	hvt_case_set_xfail(c, "");
	assert_null(c->xfail);
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	hvt_case_set_xfail(c, "bug 2");
	c->timed_out = true;
	assert_int_equal(hvt_case_outcome(c), HVT_TIMEOUT);
	c->timed_out = false;
	hvt_case_error(c, "no QEMU");
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	hvt_case_free(c);

	c = hvt_case_new("y", NULL, NULL);
	hvt_case_set_xfail(c, "bug 3");
	hvt_case_skip(c, "no KVM");
	assert_int_equal(hvt_case_outcome(c), HVT_SKIP);
	hvt_case_free(c);
}

/* hvt_case_copy(): all of the record, and nothing shared with it. */
static void test_copy(void **state)
{
	struct hvt_case *c = hvt_case_new("m.p2p", "p2p", "migration"), *d;
	struct json_object *j, *k;

	c->index = 3;
	c->attempt = 2;
	c->flaky = true;
	c->timed_out = true;
	c->workdir = hvt_strdup("/tmp/w");
	c->reason = hvt_strdup("timed out");
	c->start = 1790000000.5;
	c->duration = 4.25;
	c->t0 = 77;
	hvt_case_set_xfail(c, "bug 4");
	hvt_case_set_param(c, "mem", "512");
	hvt_case_check(c, "a", true, "yes");
	hvt_case_check_skip(c, "b", "later");
	c->checks[1].t = 1.5;
	hvt_case_metric(c, "downtime", 12.5, "ms");
	c->metrics[0].t = 2.5;
	hvt_case_artifact(c, "console", "console.log");
	hvt_case_add_dep(c, "m.setup")->dir = hvt_strdup("/w/0.1");
	hvt_case_add_dep(c, "m.done")->settled = true;
	c->deps[1].outcome = HVT_FAIL;
	d = hvt_case_copy(c);
	j = hvt_case_to_json(c);
	k = hvt_case_to_json(d);
	assert_string_equal(hvt_json_str(j), hvt_json_str(k));
	assert_true(d->t0 == 77);
	assert_true(d->checks[1].t == 1.5 && d->metrics[0].t == 2.5);
	assert_null(d->frame);
	/* deep: the copy outlives the original */
	hvt_case_free(c);
	assert_string_equal(d->params[0].value, "512");
	assert_string_equal(d->checks[0].message, "yes");
	assert_string_equal(d->xfail, "bug 4");
	assert_string_equal(d->artifacts[0].path, "console.log");
	assert_string_equal(d->workdir, "/tmp/w");
	assert_string_equal(hvt_case_dep_dir(d, "m.setup"), "/w/0.1");
	assert_true(d->deps[1].settled && d->deps[1].outcome == HVT_FAIL);
	json_object_put(j);
	json_object_put(k);
	hvt_case_free(d);
}

/* ---- a test type whose steps end the case in all the ways there are ---- */

/* What the steps did: where they got to, how often cleanup ran. */
struct steps {
	const char *end_in;	/* "init", "run", "cleanup", "fatal", "skip" or "none" */
	int inits, runs_done, cleanups, cleanups_done;
	bool got_state;
};

static struct steps steps;

static int st_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	steps.inits++;
	*state = &steps;
	if (!strcmp(steps.end_in, "init"))
		hvt_case_require(c, "init-ready", false, "no device");
	if (!strcmp(steps.end_in, "skip")) {
		hvt_case_skip(c, "needs KVM");
		hvt_case_end(c);
	}
	return 0;
}

static void st_run(struct hvt_case *c, void *state)
{
	HVT_EXPECT(c, "expect", 1 + 1 == 3);
	hvt_case_check(c, "went-on", true, NULL);
	HVT_ASSERT(c, "holds", 1 + 1 == 2);
	if (!strcmp(steps.end_in, "fatal"))
		hvt_case_fatal(c, "lost QEMU: %s", "SIGKILL");
	if (!strcmp(steps.end_in, "run"))
		HVT_ASSERT(c, "assert", 2 + 2 == 5);
	steps.runs_done++;
}

static void st_cleanup(struct hvt_case *c, void *state)
{
	steps.cleanups++;
	steps.got_state = state == &steps;
	if (!strcmp(steps.end_in, "cleanup"))
		hvt_case_require(c, "qemu-exit", false, "QEMU crashed at exit");
	steps.cleanups_done++;
}

static const struct hvt_test_type steps_type = {
	.name = "steps", .init = st_init, .run = st_run, .cleanup = st_cleanup,
};

static struct hvt_case *run_steps(const char *end_in)
{
	struct hvt_case *c = hvt_case_new("s", NULL, "steps");

	memset(&steps, 0, sizeof(steps));
	steps.end_in = end_in;
	hvt_test_type_run_case(&steps_type, c);
	/* no jump target is left behind */
	assert_null(c->frame);
	return c;
}

static const char *check_names(const struct hvt_case *c, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < c->nchecks; i++)
		hvt_snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "",
			     c->checks[i].name);
	return buf;
}

/* EXPECT goes on; a failed ASSERT ends run, records its check, cleanup runs once. */
static void test_assert_ends_run(void **state)
{
	struct hvt_case *c;
	char names[256];

	c = run_steps("none");
	assert_string_equal(check_names(c, names, sizeof(names)), "expect went-on holds");
	assert_int_equal(steps.runs_done, 1);
	assert_int_equal(steps.cleanups, 1);
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	/* the condition and where it is are the message */
	assert_non_null(strstr(c->checks[0].message, "1 + 1 == 3 (") &&
			strstr(c->checks[0].message, "test-case.c:"));
	assert_int_equal(c->checks[0].status, HVT_FAIL);
	assert_int_equal(c->checks[2].status, HVT_PASS);
	hvt_case_free(c);

	c = run_steps("run");
	assert_string_equal(check_names(c, names, sizeof(names)), "expect went-on holds assert");
	assert_int_equal(c->checks[3].status, HVT_FAIL);
	assert_non_null(strstr(c->checks[3].message, "2 + 2 == 5"));
	assert_int_equal(steps.runs_done, 0);
	assert_int_equal(steps.cleanups, 1);
	assert_int_equal(steps.cleanups_done, 1);
	assert_true(steps.got_state);
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	assert_true(c->duration >= 0);
	hvt_case_free(c);

	c = run_steps("fatal");
	assert_int_equal(hvt_case_outcome(c), HVT_ERROR);
	assert_string_equal(c->reason, "lost QEMU: SIGKILL");
	assert_int_equal(steps.runs_done, 0);
	assert_int_equal(steps.cleanups, 1);
	hvt_case_free(c);
}

/* Ending the case in init is a failed init (no cleanup); in cleanup it ends cleanup. */
static void test_end_in_init_and_cleanup(void **state)
{
	struct hvt_case *c;
	char names[256];

	c = run_steps("init");
	assert_string_equal(check_names(c, names, sizeof(names)), "init-ready");
	assert_int_equal(hvt_case_outcome(c), HVT_FAIL);
	assert_int_equal(steps.runs_done + steps.cleanups, 0);
	hvt_case_free(c);

	c = run_steps("skip");
	assert_int_equal(hvt_case_outcome(c), HVT_SKIP);
	assert_string_equal(c->reason, "needs KVM");
	assert_int_equal(steps.runs_done + steps.cleanups, 0);
	hvt_case_free(c);

	c = run_steps("cleanup");
	assert_int_equal(steps.runs_done, 1);
	assert_int_equal(steps.cleanups, 1);
	assert_int_equal(steps.cleanups_done, 0);
	assert_string_equal(check_names(c, names, sizeof(names)), "expect went-on holds qemu-exit");
	hvt_case_free(c);
}

/* hvt_case_end() with no step to end is a bug: it aborts, not returns. */
static void test_end_outside_a_case(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct hvt_case *c = hvt_case_new("loose", NULL, NULL);

		close(2); /* the BUG message is expected */
		hvt_case_require(c, "x", false, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_json_roundtrip(void **state)
{
	struct hvt_case *c = hvt_case_new("m.normal.p2p", "p2p", "migration"), *d;
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *j, *j2;

	c->index = 41;
	c->attempt = 2;
	c->flaky = true;
	c->workdir = hvt_strdup("/tmp/w");
	hvt_case_set_xfail(c, "libvirt bug 9");
	hvt_case_set_param(c, "flags", "PERSIST");
	hvt_case_check(c, "dest-persistent", true, "yes");
	hvt_case_check(c, "source-undefined", false, "still defined");
	hvt_case_check_skip(c, "tunnel", "no libvirt");
	hvt_case_metric(c, "downtime", 12.5, "ms");
	hvt_case_artifact(c, "console", "console.log");
	hvt_case_add_dep(c, "m.normal.setup")->dir = hvt_strdup("/tmp/setup");
	hvt_case_add_dep(c, "m.prepare");
	j = hvt_case_to_json(c);
	d = hvt_case_from_json(j, &err);
	assert_non_null(d);
	j2 = hvt_case_to_json(d);
	/* everything but the times survives exactly */
	assert_string_equal(hvt_json_str(j), hvt_json_str(j2));
	assert_int_equal(hvt_case_outcome(d), HVT_XFAIL);
	assert_string_equal(d->xfail, "libvirt bug 9");
	assert_int_equal(d->nchecks, 3);
	assert_string_equal(d->metrics[0].unit, "ms");
	assert_int_equal(d->ndeps, 2);
	assert_string_equal(hvt_case_dep_dir(d, "setup"), "/tmp/setup");
	assert_null(hvt_case_dep_dir(d, "m.prepare"));
	json_object_put(j);
	json_object_put(j2);
	hvt_case_free(c);
	hvt_case_free(d);
}

static void test_json_malformed(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{'name': 'x', 'shortname': 'x'}",
		"{'name': 'x', 'shortname': 'x', 'type': 't', 'checks': [{'name': 'c', "
		"'status': 'timeout'}]}",
		"{'name': 'x', 'shortname': 'x', 'type': 't', 'params': [['only-key']]}",
		"{'name': 'x', 'shortname': 'x', 'type': 't', 'metrics': [{'value': 1}]}",
		"{'name': 'x', 'shortname': 'x', 'type': 't', 'deps': [{'dir': '/d'}]}",
		"{'name': 'x', 'shortname': 'x', 'type': 't', 'deps': ['x']}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hvt_err err = HVT_ERR_INIT;
		struct json_object *j = hvt_json_parse(bad[i], &err);

		assert_non_null(j);
		assert_null(hvt_case_from_json(j, &err));
		assert_int_equal(err.code, -EBADMSG);
		json_object_put(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_expected_failure),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_assert_ends_run),
		cmocka_unit_test(test_end_in_init_and_cleanup),
		cmocka_unit_test(test_end_outside_a_case),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_malformed),
	};

	return cmocka_run_group_tests_name("case", tests, NULL, NULL);
}
