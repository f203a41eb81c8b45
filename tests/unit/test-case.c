// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The case record: parameters, checks, derived outcome, JSON round trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"

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

	for (int i = HVT_PASS; i <= HVT_TIMEOUT; i++) {
		assert_int_equal(hvt_outcome_parse(hvt_outcome_name((enum hvt_outcome)i), &o), 0);
		assert_int_equal(o, i);
	}
	assert_int_equal(hvt_outcome_parse("passed", &o), -EINVAL);
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
	hvt_case_set_param(c, "flags", "PERSIST");
	hvt_case_check(c, "dest-persistent", true, "yes");
	hvt_case_check(c, "source-undefined", false, "still defined");
	hvt_case_check_skip(c, "tunnel", "no libvirt");
	hvt_case_metric(c, "downtime", 12.5, "ms");
	hvt_case_artifact(c, "console", "console.log");
	j = hvt_case_to_json(c);
	d = hvt_case_from_json(j, &err);
	assert_non_null(d);
	j2 = hvt_case_to_json(d);
	/* everything but the times survives exactly */
	assert_string_equal(hvt_json_str(j), hvt_json_str(j2));
	assert_int_equal(hvt_case_outcome(d), HVT_FAIL);
	assert_int_equal(d->nchecks, 3);
	assert_string_equal(d->metrics[0].unit, "ms");
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
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_malformed),
	};

	return cmocka_run_group_tests_name("case", tests, NULL, NULL);
}
