// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The balloon suite on the default guest: "hvtest run -j 2" on a CI-sized
 * filter of suites/balloon/balloon.cfg, then the outcomes and the checks,
 * metrics and artifacts every scenario must record.
 */
#include <stdlib.h>
#include <string.h>

#include "itest.h"

static struct itest_group g = {
	.name = "hvt-balloon", .plan = "suites/balloon/balloon.cfg", .guest = true,
};

static int group_setup(void **state)
{
	return itest_group_setup(&g, state);
}

/* The CI share: one scenario of each kind, a modern device, a skip. */
static const char ci_filter[] =
	"only polling_on.transitional.basic.evict, polling_on.transitional.basic.stats, "
	"polling_off.modern.basic.evict, polling_on.transitional.basic.no_device, "
	"polling_on.transitional.basic.illegal_target, "
	"polling_on.transitional.basic.two_devices_hotplug, "
	"polling_on.transitional.hotplug.unplug, polling_on.transitional.hotplug.plug, "
	"polling_on.transitional.power.reboot_inflated, "
	"polling_on.transitional.migration.migrate_evict, "
	"polling_on.transitional.migration.migrate_loop_settled, "
	"polling_on.transitional.windows.whql";

static struct json_object *find_case(struct json_object *cases, const char *shortname,
				     const char *name_part)
{
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);

		if (!strcmp(hvt_json_get_str(c, "shortname"), shortname) &&
		    strstr(hvt_json_get_str(c, "name"), name_part))
			return c;
	}
	fail_msg("no case %s (%s)", shortname, name_part);
	return NULL;
}

static bool has_check(struct json_object *c, const char *prefix, const char *status)
{
	struct json_object *checks = hvt_json_get(c, "checks");

	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		struct json_object *k = json_object_array_get_idx(checks, i);

		if (!strncmp(hvt_json_get_str(k, "name"), prefix, strlen(prefix)) &&
		    !strcmp(hvt_json_get_str(k, "status"), status))
			return true;
	}
	return false;
}

static void test_ci_share(void **state)
{
	char *results = hvt_asprintf("%s/results", g.tmpdir), *out = NULL;
	const char *argv[] = { itest_hvtest(), "run", "-j", "2", "--timeout", "300",
			       "--results", results, g.plan_path, ci_filter, NULL };
	struct json_object *doc, *cases, *c;

	(void)state;
	ITEST_NEED(g.have_guest);
	doc = itest_run_results(argv, NULL, 900000, results, &out);
	cases = hvt_json_get(doc, "cases");
	assert_int_equal(json_object_array_length(cases), 12);
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *k = json_object_array_get_idx(cases, i);
		const char *want = strstr(hvt_json_get_str(k, "name"), "windows") ? "skip" : "pass";

		if (strcmp(hvt_json_get_str(k, "outcome"), want))
			fail_msg("%s: %s, expected %s:\n%s", hvt_json_get_str(k, "name"),
				 hvt_json_get_str(k, "outcome"), want, out);
	}
	/* the checks and metrics every scenario makes */
	c = find_case(cases, "basic.evict", "transitional");
	assert_true(has_check(c, "evict: actual 256 MiB", "pass"));
	assert_true(has_check(c, "evict: guest MemTotal", "pass"));
	assert_true(has_check(c, "agent answers", "pass"));
	assert_true(has_check(c, "QEMU running", "pass"));
	assert_true(has_check(c, "console m0 clean", "pass"));
	assert_true(has_check(c, "final actual equals target", "pass"));
	assert_true(itest_count_metric(c, "settle") >= 1);
	assert_true(itest_count_metric(c, "target") >= 2);
	assert_true(itest_count_metric(c, "actual") >= 2);
	assert_true(itest_count_metric(c, "guest_memtotal") >= 2);
	assert_true(itest_count_metric(c, "guest_free") >= 2);
	c = find_case(cases, "basic.stats", "transitional");
	assert_true(has_check(c, "stat-total-memory matches MemTotal", "pass"));
	c = find_case(cases, "basic.no_device", "transitional");
	assert_true(has_check(c, "no device: balloon refused", "pass"));
	c = find_case(cases, "basic.illegal_target", "transitional");
	assert_true(has_check(c, "non-numeric: refused", "pass"));
	assert_true(has_check(c, "absurdly large (clamped): actual 512 MiB", "pass"));
	c = find_case(cases, "hotplug.unplug", "transitional");
	assert_true(has_check(c, "unplug: DEVICE_DELETED", "pass"));
	c = find_case(cases, "migration.migrate_evict", "transitional");
	assert_true(has_check(c, "migrate: destination: actual 256 MiB", "pass"));
	assert_true(has_check(c, "console m1 clean", "pass"));
	/* RAM compared after each of the three migrations of a guest left idle */
	c = find_case(cases, "migration.migrate_loop_settled", "transitional");
	assert_int_equal(itest_count_metric(c, "ram_pages_differing"), 3);
	assert_true(has_check(c, "loop 3 migrate: guest RAM identical on both sides", "pass"));
	json_object_put(doc);
	free(out);
	free(results);
	assert_int_equal(itest_wait_no_qemu(g.tmpdir, 10000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ci_share),
	};

	return cmocka_run_group_tests_name("balloon", tests, group_setup, itest_group_teardown);
}
