// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The storage suite on the default guest: "hvtest run -j 2" on its CI
 * share of suites/storage/storage.cfg (a hot-detach case with a reboot on
 * virtio-scsi, a hot-attach and a hot-detach on vhost-user-blk, bad input,
 * the SPDK skip), then the checks, metrics and chart each must leave; and
 * a plan whose qemu-storage-daemon is missing: one clear error, nothing
 * left running. With HVT_STORAGE_SEED=1 also the test plan's eight cases
 * on both controller shapes, every one with its steps' checks (about 15
 * minutes at -j 2 under TCG: run it with a longer meson timeout).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "itest.h"

static const char *const storage_progs[] = { "qemu-storage-daemon", NULL };
static struct itest_group g = {
	.name = "hvt-storage", .plan = "suites/storage/storage.cfg", .guest = true,
	.progs = storage_progs, .hint = "Debian: qemu-system-common",
};

static int group_setup(void **state)
{
	return itest_group_setup(&g, state);
}

#define DEF "qsd.virtio_scsi.raw.writeback.iothread_off."
#define VU "qsd.vhost_user_blk.raw.writeback.iothread_off."

/* The checks each case of the test plan must have passed (besides the common ones). */
static const struct {
	const char *name;
	const char *checks[6];
} seed[] = {
	{ "hotattach.tc1", { "step 1: d00 visible in m0", "step 2: fio d00 clean" } },
	{ "hotattach.tc2", { "step 2: d01 visible in m0", "step 1: fio d00 clean",
			     "step 3: fio d01 clean" } },
	{ "hotattach.tc3", { "step 2: d02 visible in m0", "step 1: fio d01 clean",
			     "step 3: fio d02 clean" } },
	{ "hotattach.tc4", { "step 3: d03 visible in m1", "step 5: reboot m1",
			     "step 5: d03 present in m1", "step 6: fio d03 clean",
			     "step 6: fio d00 clean" } },
	{ "hotdetach.tc1", { "step 2: d08 gone from m0", "step 4: d08 absent",
			     "step 5: fio d08 stopped and failed", "step 5: fio d09 clean",
			     "step 5: fio d15 clean" } },
	{ "hotdetach.tc2", { "step 1: d04 visible in m0", "step 3: d04 gone from m0",
			     "step 5: fio d04 stopped and failed", "step 6: d04 absent" } },
	{ "hotdetach.tc3", { "step 3: d04 gone from m0", "step 5: fio d08 clean",
			     "step 5: fio d15 clean", "step 6: d04 absent" } },
	{ "hotdetach.tc4", { "step 4: d04 gone from m0", "steps 6-7: fio d04 stopped and failed",
			     "steps 6-7: fio d08 clean", "steps 10-11: d04 absent",
			     "steps 10-11: d12 present in m1", "step 12: fio d15 clean" } },
};

/* What every case of the test plan ends with. */
static const char *const common_checks[] = {
	"console m0 clean", "console m1 clean", "console m0: no unexpected I/O errors",
	"console m1: no unexpected I/O errors", "QEMU m0 exited cleanly",
	"storage target exited cleanly", "nothing left running", "no stale sockets", NULL,
};

/* The CI share: the seed's steps on both controller shapes, bad input, a skip. */
static const char ci_filter[] =
	"only " DEF "hotdetach.tc4, " VU "hotattach.tc2, " VU "hotdetach.tc2, "
	DEF "bad_input.export_name_clash, " DEF "bad_input.qsd_too_old, "
	"spdk.virtio_scsi.raw.writeback.iothread_off.hotattach.tc1";

/* Fails the test unless the case has the check, with that status. */
static void need_check(struct json_object *c, const char *name, const char *status)
{
	struct json_object *checks = hvt_json_get(c, "checks");

	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		struct json_object *k = json_object_array_get_idx(checks, i);

		if (!strcmp(hvt_json_get_str(k, "name"), name)) {
			if (strcmp(hvt_json_get_str(k, "status"), status))
				fail_msg("%s: check '%s' is %s (%s), expected %s",
					 hvt_json_get_str(c, "name"), name,
					 hvt_json_get_str(k, "status"),
					 hvt_json_get_str(k, "message"), status);
			return;
		}
	}
	fail_msg("%s: no check '%s'", hvt_json_get_str(c, "name"), name);
}

/* A case of the test plan (name: its shape's prefix + "hotattach.tcN"): its checks. */
static void need_seed_checks(struct json_object *cases, const char *prefix, const char *tc)
{
	char *name = hvt_asprintf("%s%s", prefix, tc);
	struct json_object *c = itest_case_named(cases, name);
	size_t i;

	for (i = 0; i < HVT_ARRAY_SIZE(seed) && strcmp(seed[i].name, tc); i++)
		;
	assert_true(i < HVT_ARRAY_SIZE(seed));
	for (size_t k = 0; k < HVT_ARRAY_SIZE(seed[i].checks) && seed[i].checks[k]; k++)
		need_check(c, seed[i].checks[k], "pass");
	for (size_t k = 0; common_checks[k]; k++)
		need_check(c, common_checks[k], "pass");
	free(name);
}

/* Run "hvtest run" with extra arguments; the run's cases as JSON (*doc to free). */
static struct json_object *run(const char *results, const char *plan_path, const char *filter,
			       int *rc, char **out, struct json_object **doc)
{
	const char *argv[] = { itest_hvtest(), "run", "-j", "2", "--results", results, plan_path,
			       filter, NULL };

	*rc = itest_run(argv, NULL, 1800000, out);
	*doc = itest_results_latest(results);
	return hvt_json_get(*doc, "cases");
}

/* Fails the test unless there are n cases, each passed (an SPDK case: skipped). */
static void need_outcomes(struct json_object *cases, size_t n, const char *out)
{
	if (json_object_array_length(cases) != n)
		fail_msg("%zu cases, expected %zu:\n%s", json_object_array_length(cases), n, out);
	for (size_t i = 0; i < n; i++) {
		struct json_object *k = json_object_array_get_idx(cases, i);
		const char *want = strstr(hvt_json_get_str(k, "name"), "spdk") ? "skip" : "pass";

		if (strcmp(hvt_json_get_str(k, "outcome"), want))
			fail_msg("%s: %s, expected %s:\n%s", hvt_json_get_str(k, "name"),
				 hvt_json_get_str(k, "outcome"), want, out);
	}
}

/* After a run: no QEMU and no daemon of this test runs any more. */
static void need_nothing_running(void)
{
	assert_int_equal(itest_wait_no_qemu(g.tmpdir, 10000), 0);
	assert_int_equal(itest_count_procs("qemu-storage-daemon", g.tmpdir), 0);
}

static void test_ci_share(void **state)
{
	char *results = hvt_asprintf("%s/results", g.tmpdir), *out = NULL, *page, *html = NULL;
	struct json_object *doc, *cases, *c;
	int rc;

	(void)state;
	ITEST_NEED(g.have_guest);
	cases = run(results, g.plan_path, ci_filter, &rc, &out, &doc);
	if (rc != 0)
		fail_msg("hvtest run: exit %d:\n%s", rc, out);
	need_outcomes(cases, 6, out);

	/* virtio-scsi, the seed's hot-detach case 4: every step's checks */
	need_seed_checks(cases, DEF, "hotdetach.tc4");
	c = itest_case_named(cases, DEF "hotdetach.tc4");
	need_check(c, "step 4: detach d04 from ctrl5", "pass");
	need_check(c, "step 5: target and machines answer", "pass");
	need_check(c, "step 8: d04 absent", "pass");
	need_check(c, "step 9: reboot m0", "pass");
	assert_int_equal(itest_count_metric(c, "attach_latency"), 9);
	assert_int_equal(itest_count_metric(c, "detach_latency"), 1);
	assert_true(itest_count_metric(c, "iops d08") >= 2);
	assert_int_equal(itest_count_metric(c, "iops before detach d04"), 1);
	assert_int_equal(itest_count_metric(c, "iops after detach d04"), 1);

	/* vhost-user-blk: attach and detach during fio */
	need_seed_checks(cases, VU, "hotattach.tc2");
	assert_true(itest_count_metric(itest_case_named(cases, VU "hotattach.tc2"), "iops d00") >= 2);
	need_seed_checks(cases, VU, "hotdetach.tc2");

	/* bad input: one clear error each */
	c = itest_case_named(cases, DEF "bad_input.export_name_clash");
	need_check(c, "NBD export name clash refused", "pass");
	need_check(c, "the daemon refuses it too", "pass");
	c = itest_case_named(cases, DEF "bad_input.qsd_too_old");
	need_check(c, "a daemon older than 6.0 refused", "pass");

	/* the run's page charts the IOPS time series */
	page = hvt_asprintf("%s/run-1/report.html", results);
	assert_int_equal(hvt_file_read(page, &html, NULL, NULL), 0);
	assert_non_null(strstr(html, "<svg class=\"chart\""));
	assert_non_null(strstr(html, "iops d08"));
	free(html);
	free(page);
	json_object_put(doc);
	free(out);
	free(results);
	need_nothing_running();
}

/* On demand (HVT_STORAGE_SEED=1): the test plan's eight cases on both shapes. */
static void test_whole_seed(void **state)
{
	static const char filter[] = "only " DEF "hotattach, " DEF "hotdetach, " VU "hotattach, "
				     VU "hotdetach";
	const char *want = getenv("HVT_STORAGE_SEED");
	char *results = hvt_asprintf("%s/seed-results", g.tmpdir), *out = NULL;
	struct json_object *doc, *cases;
	int rc;

	(void)state;
	ITEST_NEED(g.have_guest);
	if (!want || strcmp(want, "1")) {
		fprintf(stderr, "SKIP: the whole test plan on both shapes (16 cases, about 15 "
			"minutes) runs with HVT_STORAGE_SEED=1\n");
		free(results);
		skip();
	}
	cases = run(results, g.plan_path, filter, &rc, &out, &doc);
	if (rc != 0)
		fail_msg("hvtest run: exit %d:\n%s", rc, out);
	need_outcomes(cases, 2 * HVT_ARRAY_SIZE(seed), out);
	for (size_t i = 0; i < HVT_ARRAY_SIZE(seed); i++) {
		need_seed_checks(cases, DEF, seed[i].name);
		need_seed_checks(cases, VU, seed[i].name);
	}
	json_object_put(doc);
	free(out);
	free(results);
	need_nothing_running();
}

static int sockets_under(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *p;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = hvt_asprintf("%s/%s", dir, de->d_name);
		if (!lstat(p, &st)) {
			if (S_ISSOCK(st.st_mode))
				n++;
			else if (S_ISDIR(st.st_mode))
				n += sockets_under(p);
		}
		free(p);
	}
	closedir(d);
	return n;
}

/* qemu-storage-daemon missing: the case errs, naming the cause; nothing left behind. */
static void test_missing_daemon(void **state)
{
	char *cfg = hvt_asprintf("%s/missing.cfg", g.tmpdir);
	char *results = hvt_asprintf("%s/missing-results", g.tmpdir), *out = NULL;
	char *text = hvt_asprintf("include %s\nqsd_binary = /nonexistent/qemu-storage-daemon\n",
				  g.plan_path);
	struct json_object *doc, *cases, *c;
	const char *reason;
	int rc;

	(void)state;
	ITEST_NEED(g.have_guest);
	assert_int_equal(hvt_file_write(cfg, text, strlen(text), NULL), 0);
	cases = run(results, cfg, "only " DEF "hotattach.tc1", &rc, &out, &doc);
	assert_int_equal(rc, 1);
	assert_int_equal(json_object_array_length(cases), 1);
	c = json_object_array_get_idx(cases, 0);
	assert_string_equal(hvt_json_get_str(c, "outcome"), "error");
	reason = hvt_json_get_str(c, "reason");
	if (!reason || !strstr(reason, "/nonexistent/qemu-storage-daemon") ||
	    !strstr(reason, "qemu-system-common"))
		fail_msg("reason: %s\n%s", reason ? reason : "(none)", out);
	assert_int_equal(itest_count_qemu(g.tmpdir), 0);
	assert_int_equal(itest_count_procs("qemu-storage-daemon", g.tmpdir), 0);
	assert_int_equal(sockets_under(results), 0);
	json_object_put(doc);
	free(out);
	free(text);
	free(results);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_daemon),
		cmocka_unit_test(test_ci_share),
		cmocka_unit_test(test_whole_seed),
	};

	return cmocka_run_group_tests_name("storage", tests, group_setup, itest_group_teardown);
}
