// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The qtest-rtc checks against broken controls, on the real QEMU through
 * "hvtest run": the plan's RTC cases pass as they are, fail on the periodic
 * count when register A is set for another rate than the one they expect,
 * and fail on the RTC-seconds-against-host checks when the RTC runs on a
 * clock that is not the host's (-icount sleep=off skips idle time).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

static struct itest_group g = {
	.name = "hvt-itest-rtc", .plan = "suites/qtest/qtest.cfg", .qemu = true,
};

static int group_setup(void **state)
{
	return itest_group_setup(&g, state);
}

/*
 * Write a plan named name that includes the suite's plan, keeps the pc
 * RTC cases matching filter, and ends with body (the control); run it and
 * return the cases of the run as JSON (*doc to be freed). *rc gets the
 * exit status of "hvtest run".
 */
static struct json_object *run_plan(const char *name, const char *filter, const char *body,
				    struct json_object **doc, int *rc)
{
	char *plan = hvt_asprintf("%s/%s.cfg", g.tmpdir, name);
	char *results = hvt_asprintf("%s/%s-results", g.tmpdir, name);
	char *text = hvt_asprintf("include %s\nonly pc\nonly rtc\nonly %s\n%s", g.plan_path, filter,
				  body);
	const char *run[] = { itest_hvtest(), "run", "-j", "2", "--results", results, plan, NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *out = NULL;

	itest_ok(hvt_file_write(plan, text, strlen(text), &err), &err);
	*rc = itest_run(run, NULL, 300000, &out);
	fprintf(stderr, "%s", out);
	*doc = itest_results_latest(results);
	free(out);
	free(text);
	free(results);
	free(plan);
	return hvt_json_get(*doc, "cases");
}

/* The status of check name in case c ("pass", "fail"...); fails the test when absent. */
static const char *check_status(struct json_object *c, const char *name)
{
	struct json_object *checks = hvt_json_get(c, "checks");

	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		struct json_object *k = json_object_array_get_idx(checks, i);

		if (!strcmp(hvt_json_get_str(k, "name"), name))
			return hvt_json_get_str(k, "status");
	}
	fail_msg("%s: no check %s", hvt_json_get_str(c, "name"), name);
	return NULL;
}

/* The case pc.rtc.TEST must have ended with outcome, and check name with status. */
static void expect(struct json_object *cases, const char *test, const char *outcome,
		   const char *name, const char *status)
{
	char *shortname = hvt_asprintf("pc.rtc.%s", test);
	struct json_object *c = itest_find_case(cases, shortname);
	const char *got = hvt_json_get_str(c, "outcome");

	free(shortname);
	if (strcmp(got, outcome))
		fail_msg("%s: outcome %s, expected %s", test, got, outcome);
	got = check_status(c, name);
	if (strcmp(got, status))
		fail_msg("%s: check %s %s, expected %s", test, name, got, status);
}

static const char periodic_cases[] = "periodic_2hz, periodic_64hz, periodic_1024hz";

/* The cases as the suite runs them: every count and clock check passes. */
static void test_as_planned(void **state)
{
	struct json_object *doc, *cases;
	int rc;

	(void)state;
	ITEST_NEED(g.have_progs);
	cases = run_plan("planned", "periodic_2hz, periodic_64hz, periodic_1024hz, alarm, update",
			 "", &doc, &rc);
	assert_int_equal(json_object_array_length(cases), 5);
	assert_int_equal(rc, 0);
	expect(cases, "periodic_2hz", "pass", "periodic-count", "pass");
	expect(cases, "periodic_64hz", "pass", "periodic-count", "pass");
	expect(cases, "periodic_1024hz", "pass", "periodic-count", "pass");
	expect(cases, "periodic_1024hz", "pass", "periodic-rate", "pass");
	expect(cases, "periodic_64hz", "pass", "rtc-seconds", "pass");
	expect(cases, "alarm", "pass", "alarm-time", "pass");
	expect(cases, "update", "pass", "update-interval", "pass");
	json_object_put(doc);
}

/*
 * Register A set for another rate than the case expects, the broken
 * divider: twice the rate at 2 Hz (the slowest there is), half at 64 Hz
 * and 1024 Hz. The count must fail up to 64 Hz, the rate where the client
 * kept up at 1024 Hz; the RTC's seconds are still right.
 */
static void test_wrong_rate(void **state)
{
	static const char control[] = "periodic_2hz:\n    rtc_program_rate = 4\n"
				      "periodic_64hz:\n    rtc_program_rate = 32\n"
				      "periodic_1024hz:\n    rtc_program_rate = 512\n";
	struct json_object *doc, *cases;
	int rc;

	(void)state;
	ITEST_NEED(g.have_progs);
	cases = run_plan("wrong-rate", periodic_cases, control, &doc, &rc);
	assert_int_equal(json_object_array_length(cases), 3);
	assert_int_not_equal(rc, 0);
	expect(cases, "periodic_2hz", "fail", "periodic-count", "fail");
	expect(cases, "periodic_64hz", "fail", "periodic-count", "fail");
	expect(cases, "periodic_1024hz", "fail", "periodic-rate", "fail");
	expect(cases, "periodic_2hz", "fail", "rtc-seconds", "pass");
	expect(cases, "periodic_64hz", "fail", "rtc-seconds", "pass");
	expect(cases, "periodic_1024hz", "fail", "rtc-seconds", "pass");
	json_object_put(doc);
}

/*
 * Twice the rate at 1024 Hz: a client that cannot follow 2048 Hz may see
 * no more than 2048 periods in 2 s, so the count can pass; the rate where
 * it kept up must not.
 */
static void test_twice_rate(void **state)
{
	struct json_object *doc, *cases;
	int rc;

	(void)state;
	ITEST_NEED(g.have_progs);
	cases = run_plan("twice-rate", "periodic_1024hz", "rtc_program_rate = 2048\n", &doc, &rc);
	assert_int_equal(json_object_array_length(cases), 1);
	assert_int_not_equal(rc, 0);
	expect(cases, "periodic_1024hz", "fail", "periodic-rate", "fail");
	expect(cases, "periodic_1024hz", "fail", "rtc-seconds", "pass");
	json_object_put(doc);
}

/*
 * The RTC on QEMU's virtual clock with -icount sleep=off, which jumps over
 * idle time: its seconds pass far faster than the host's. Every check that
 * times RTC seconds with the host's clock must fail.
 */
static void test_wrong_clock(void **state)
{
	static const char control[] = "qtest_args = -rtc clock=vm -icount shift=0,sleep=off\n";
	struct json_object *doc, *cases;
	int rc;

	(void)state;
	ITEST_NEED(g.have_progs);
	cases = run_plan("wrong-clock", "periodic_64hz, alarm, update", control, &doc, &rc);
	assert_int_equal(json_object_array_length(cases), 3);
	assert_int_not_equal(rc, 0);
	expect(cases, "periodic_64hz", "fail", "rtc-seconds", "fail");
	expect(cases, "alarm", "fail", "alarm-time", "fail");
	expect(cases, "update", "fail", "update-interval", "fail");
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_as_planned),
		cmocka_unit_test(test_wrong_rate),
		cmocka_unit_test(test_twice_rate),
		cmocka_unit_test(test_wrong_clock),
	};

	return cmocka_run_group_tests(tests, group_setup, itest_group_teardown);
}
