// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Merging shard stores made by hand: every case once, the first store
 * given winning an overlap, gaps with and without the plan's cases, the
 * hosts, work directories and artifacts reachable from the merged run,
 * merging into a run piece by piece, and the refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"

struct spec {
	long index;
	const char *name;
	enum hvt_outcome outcome;
	int attempts;		/* 0: 1 */
};

static char tmp[] = "/tmp/hvt-merge-XXXXXX";

/* DIR/NAME: a results directory with one run on host of the cases in specs. */
static char *mkshard(const char *name, const char *host, const struct spec *specs, size_t n)
{
	char *dir = hvt_asprintf("%s/%s", tmp, name);
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info ri = { .plan = "p.cfg", .total = (long)n };
	struct hvt_store *s;
	int64_t id;

	ri.host.hostname = host;
	ri.host.qemu_version = "7.2.0";
	s = hvt_store_open(dir, &err);
	assert_non_null(s);
	assert_int_equal(hvt_store_run_begin(s, &ri, &id, &err), 0);
	for (size_t i = 0; i < n; i++) {
		int attempts = specs[i].attempts ? specs[i].attempts : 1;

		for (int a = 1; a <= attempts; a++) {
			struct hvt_case *c = hvt_case_new(specs[i].name, NULL, "exec");
			char *wd = hvt_asprintf("%s/run-%lld/%ld.%d", dir, (long long)id,
						specs[i].index, a);
			char *file = hvt_asprintf("%s/out.txt", wd);
			char *abs = hvt_asprintf("%s/abs.txt", wd);

			c->index = specs[i].index;
			c->attempt = a;
			c->workdir = hvt_strdup(wd);
			/* earlier attempts fail: the last has the outcome */
			if (a < attempts || specs[i].outcome == HVT_FAIL)
				hvt_case_check(c, "x", false, "attempt %d", a);
			else
				hvt_case_check(c, "x", true, "attempt %d", a);
			hvt_case_artifact(c, "out", "out.txt");
			hvt_case_artifact(c, "abs", abs);
			assert_int_equal(hvt_mkdir_p(wd, 0755, &err), 0);
			assert_int_equal(hvt_file_write(file, specs[i].name, strlen(specs[i].name),
							&err), 0);
			assert_int_equal(hvt_file_write(abs, "abs", 3, &err), 0);
			assert_int_equal(hvt_store_case_add(s, id, c, &err), 0);
			hvt_case_free(c);
			free(wd);
			free(file);
			free(abs);
		}
	}
	assert_int_equal(hvt_store_run_end(s, id, 0, &err), 0);
	hvt_store_close(s);
	return dir;
}

static int setup(void **state)
{
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	hvt_rm_rf(tmp);
	memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
	return 0;
}

static struct hvt_store *dest(const char *name, char **dir)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s;

	*dir = hvt_asprintf("%s/%s", tmp, name);
	s = hvt_store_open(*dir, &err);
	assert_non_null(s);
	return s;
}

static const struct spec shard_a[] = {
	{ 0, "c0", HVT_PASS, 0 }, { 2, "c2", HVT_PASS, 0 }, { 4, "c4", HVT_FAIL, 0 },
};
static const struct spec shard_b[] = {
	{ 1, "c1", HVT_PASS, 0 }, { 2, "c2", HVT_FAIL, 0 }, { 5, "c5", HVT_PASS, 2 },
};

/* Overlap (index 2 in both: A's kept) and gap (3) without the plan. */
static void test_overlap_gap(void **state)
{
	char *a = mkshard("a", "host-a", shard_a, 3), *b = mkshard("b", "host-b", shard_b, 3);
	const char *dirs[] = { a, b };
	struct hvt_merge_opts o = { .dirs = dirs, .ndirs = 2 };
	struct hvt_merge_result r;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info ri;
	struct hvt_case **cases;
	size_t n;
	char *ddir, *text = NULL;
	struct hvt_store *d = dest("m", &ddir);
	static const long want_idx[] = { 0, 1, 2, 4, 5, 5 };
	static const char *const want_host[] = { "host-a", "host-b", "host-a", "host-a",
						 "host-b", "host-b" };

	assert_int_equal(hvt_store_merge(d, ddir, &o, &r, &err), 0);
	assert_int_equal(r.added, 5);
	assert_int_equal(r.present, 0);
	assert_int_equal(r.noverlaps, 1);
	assert_int_equal(r.overlaps[0].index, 2);
	assert_string_equal(r.overlaps[0].name, "c2");
	assert_non_null(strstr(r.overlaps[0].kept, "/a run 1"));
	assert_non_null(strstr(r.overlaps[0].dropped, "/b run 1"));
	assert_int_equal(r.overlaps[0].kept_outcome, HVT_PASS);
	assert_int_equal(r.overlaps[0].dropped_outcome, HVT_FAIL);
	assert_int_equal(r.ngaps, 1);
	assert_int_equal(r.gaps[0].index, 3);
	assert_null(r.gaps[0].name);
	assert_int_equal(r.nhosts, 2);
	assert_string_equal(r.hosts[0], "host-a");
	assert_string_equal(r.hosts[1], "host-b");
	assert_int_equal(r.unlinked, 0);

	assert_int_equal(hvt_store_run_get(d, r.run_id, &ri, &err), 0);
	assert_string_equal(ri.host.hostname, "host-a, host-b");
	assert_string_equal(ri.host.qemu_version, "7.2.0");
	assert_int_equal(ri.exit_status, 1);	/* a failure, and a gap */
	assert_int_equal(ri.ncases, 5);
	assert_int_equal(ri.total, 6);
	assert_int_equal(ri.counts[HVT_PASS], 4);
	assert_int_equal(ri.counts[HVT_FAIL], 1);
	hvt_run_info_release(&ri);

	/* every attempt, with its host, its directory a link to the shard's */
	assert_int_equal(hvt_store_run_cases(d, r.run_id, true, &cases, &n, &err), 0);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		char *f, *want_wd;

		assert_int_equal(cases[i]->index, want_idx[i]);
		assert_string_equal(cases[i]->host, want_host[i]);
		want_wd = hvt_asprintf("%s/run-%lld/%ld.%d", ddir, (long long)r.run_id,
				       cases[i]->index, cases[i]->attempt);
		assert_string_equal(cases[i]->workdir, want_wd);
		f = hvt_asprintf("%s/%s", cases[i]->workdir, cases[i]->artifacts[0].path);
		assert_int_equal(hvt_file_read(f, &text, NULL, &err), 0);
		assert_string_equal(text, cases[i]->name);
		free(text);
		free(f);
		/* an absolute artifact path follows the directory */
		assert_true(!strncmp(cases[i]->artifacts[1].path, want_wd, strlen(want_wd)));
		assert_int_equal(hvt_file_read(cases[i]->artifacts[1].path, &text, NULL, &err), 0);
		assert_string_equal(text, "abs");
		free(text);
		free(want_wd);
	}
	assert_int_equal(cases[4]->attempt, 1);
	assert_int_equal(cases[5]->attempt, 2);
	hvt_store_cases_free(cases, n);
	hvt_merge_result_release(&r);
	hvt_store_close(d);
	free(ddir);
	free(a);
	free(b);
}

/* With the plan's cases: the trailing gaps too, with names; B first wins now. */
static void test_want(void **state)
{
	char *a = mkshard("a", "host-a", shard_a, 3), *b = mkshard("b", "host-b", shard_b, 3);
	const char *dirs[] = { b, a };
	const struct hvt_merge_want want[] = {
		{ 0, "c0" }, { 1, "c1" }, { 2, "c2" }, { 3, "c3" }, { 4, "c4" }, { 5, "c5" },
		{ 6, "c6" }, { 7, "c7" },
	};
	struct hvt_merge_opts o = { .dirs = dirs, .ndirs = 2, .want = want, .nwant = 8 };
	struct hvt_merge_result r;
	struct hvt_err err = HVT_ERR_INIT;
	char *ddir;
	struct hvt_store *d = dest("m", &ddir);
	struct hvt_run_info ri;

	assert_int_equal(hvt_store_merge(d, ddir, &o, &r, &err), 0);
	assert_int_equal(r.added, 5);
	assert_int_equal(r.noverlaps, 1);
	assert_non_null(strstr(r.overlaps[0].kept, "/b run 1"));
	assert_int_equal(r.overlaps[0].kept_outcome, HVT_FAIL);
	assert_int_equal(r.ngaps, 3);
	assert_int_equal(r.gaps[0].index, 3);
	assert_string_equal(r.gaps[0].name, "c3");
	assert_int_equal(r.gaps[1].index, 6);
	assert_int_equal(r.gaps[2].index, 7);
	assert_string_equal(r.gaps[2].name, "c7");
	assert_int_equal(hvt_store_run_get(d, r.run_id, &ri, &err), 0);
	assert_int_equal(ri.total, 8);
	assert_int_equal(ri.counts[HVT_FAIL], 2);
	hvt_run_info_release(&ri);
	hvt_merge_result_release(&r);
	hvt_store_close(d);
	free(ddir);
	free(a);
	free(b);
}

/* Merged piece by piece into one run: what it has is neither added nor an overlap. */
static void test_into(void **state)
{
	char *a = mkshard("a", "host-a", shard_a, 3), *b = mkshard("b", "host-b", shard_b, 3);
	const char *da[] = { a }, *db[] = { b };
	struct hvt_merge_opts o = { .dirs = da, .ndirs = 1 };
	struct hvt_merge_result r;
	struct hvt_err err = HVT_ERR_INIT;
	char *ddir;
	struct hvt_store *d = dest("m", &ddir);
	struct hvt_run_info ri;
	int64_t id;

	assert_int_equal(hvt_store_merge(d, ddir, &o, &r, &err), 0);
	id = r.run_id;
	hvt_merge_result_release(&r);
	o.dirs = db;
	o.into = id;
	assert_int_equal(hvt_store_merge(d, ddir, &o, &r, &err), 0);
	assert_int_equal(r.run_id, id);
	assert_int_equal(r.added, 2);
	assert_int_equal(r.present, 1);
	assert_int_equal(r.noverlaps, 0);
	assert_int_equal(r.ngaps, 1);
	assert_int_equal(r.gaps[0].index, 3);
	hvt_merge_result_release(&r);
	/* again: nothing new */
	assert_int_equal(hvt_store_merge(d, ddir, &o, &r, &err), 0);
	assert_int_equal(r.added, 0);
	assert_int_equal(r.present, 3);
	hvt_merge_result_release(&r);
	assert_int_equal(hvt_store_run_get(d, id, &ri, &err), 0);
	assert_int_equal(ri.ncases, 5);
	assert_string_equal(ri.host.hostname, "host-a, host-b");
	hvt_run_info_release(&ri);
	hvt_store_close(d);
	free(ddir);
	free(a);
	free(b);
}

static int nruns(struct hvt_store *d)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info *runs;
	size_t n;

	assert_int_equal(hvt_store_runs_list(d, &runs, &n, &err), 0);
	hvt_store_runs_free(runs, n);
	return (int)n;
}

/* Pieces of different plans, a case not in the plan, a missing store: nothing written. */
static void test_refusals(void **state)
{
	static const struct spec other[] = { { 2, "other", HVT_PASS, 0 } };
	char *a = mkshard("a", "host-a", shard_a, 3), *x = mkshard("x", "host-x", other, 1);
	char *none = hvt_asprintf("%s/none", tmp);
	const char *dirs[] = { a, x }, *missing[] = { a, none };
	const struct hvt_merge_want want[] = { { 0, "c0" }, { 2, "c2" } };
	struct hvt_merge_opts o = { .dirs = dirs, .ndirs = 2 };
	struct hvt_merge_result r;
	struct hvt_err err = HVT_ERR_INIT;
	char *ddir;
	struct hvt_store *d = dest("m", &ddir);

	assert_int_equal(hvt_store_merge(d, ddir, &o, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "runs of different plans"));
	hvt_merge_result_release(&r);
	hvt_err_clear(&err);
	o.ndirs = 1;
	o.want = want;
	o.nwant = 2;
	assert_int_equal(hvt_store_merge(d, ddir, &o, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "case 4 (c4) is not in the plan"));
	hvt_merge_result_release(&r);
	hvt_err_clear(&err);
	o.want = NULL;
	o.dirs = missing;
	o.ndirs = 2;
	assert_int_equal(hvt_store_merge(d, ddir, &o, &r, &err), -ENOENT);
	assert_non_null(strstr(err.msg, none));
	hvt_merge_result_release(&r);
	assert_int_equal(nruns(d), 0);
	hvt_store_close(d);
	free(ddir);
	free(none);
	free(a);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overlap_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_want, setup, teardown),
		cmocka_unit_test_setup_teardown(test_into, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
