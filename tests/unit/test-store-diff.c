// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Comparing runs: every diff category from case records, and the same
 * comparison through the store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* A case whose outcome is o, with one metric when metric is not NAN. */
static struct hvt_case *mk(const char *name, enum hvt_outcome o, double metric)
{
	struct hvt_case *c = hvt_case_new(name, NULL, "exec");

	switch (o) {
	case HVT_PASS:
		hvt_case_check(c, "ok", true, NULL);
		break;
	case HVT_FAIL:
		hvt_case_check(c, "echo", false, "got %s", name);
		break;
	case HVT_ERROR:
		hvt_case_error(c, "QEMU died");
		break;
	case HVT_SKIP:
		hvt_case_skip(c, "no kvm");
		break;
	case HVT_TIMEOUT:
		c->timed_out = true;
		c->reason = hvt_strdup("timed out");
		break;
	case HVT_XFAIL:
		hvt_case_set_xfail(c, "bug 123");
		hvt_case_check(c, "echo", false, "got %s", name);
		break;
	case HVT_XPASS:
		hvt_case_set_xfail(c, "bug 123");
		hvt_case_check(c, "ok", true, NULL);
		break;
	}
	if (!isnan(metric))
		hvt_case_metric(c, "boot_ms", metric, "ms");
	return c;
}

struct runs {
	struct hvt_case *a[8], *b[8];
	size_t na, nb;
};

static void make_runs(struct runs *r)
{
	size_t i = 0, j = 0;

	r->a[i++] = mk("same", HVT_PASS, 100);
	r->b[j++] = mk("same", HVT_PASS, 105);	/* +5%: below 10% */
	r->a[i++] = mk("breaks", HVT_PASS, 100);
	r->b[j++] = mk("breaks", HVT_FAIL, 150);	/* +50% */
	r->a[i++] = mk("times-out", HVT_SKIP, NAN);
	r->b[j++] = mk("times-out", HVT_TIMEOUT, NAN);
	r->a[i++] = mk("fixed", HVT_ERROR, NAN);
	r->b[j++] = mk("fixed", HVT_PASS, NAN);
	r->a[i++] = mk("worse", HVT_FAIL, NAN);
	r->b[j++] = mk("worse", HVT_ERROR, NAN);	/* other change */
	r->a[i++] = mk("gone", HVT_PASS, NAN);
	r->b[j] = mk("new", HVT_PASS, NAN);
	r->b[j++]->flaky = true;
	r->a[i++] = mk("zero", HVT_PASS, 0);
	r->b[j++] = mk("zero", HVT_PASS, 3);		/* from 0: infinite */
	r->na = i;
	r->nb = j;
}

static void free_runs(struct runs *r)
{
	for (size_t i = 0; i < r->na; i++)
		hvt_case_free(r->a[i]);
	for (size_t i = 0; i < r->nb; i++)
		hvt_case_free(r->b[i]);
}

static const struct hvt_diff_entry *entry(const struct hvt_diff *d, enum hvt_diff_kind k,
					  const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].kind == k && !strcmp(d->v[i].name, name))
			return &d->v[i];
	return NULL;
}

static void check_diff(const struct hvt_diff *d)
{
	const struct hvt_diff_entry *e;

	assert_int_equal(hvt_diff_count(d, HVT_DIFF_NEW_FAILURE), 2);
	e = entry(d, HVT_DIFF_NEW_FAILURE, "breaks");
	assert_non_null(e);
	assert_int_equal(e->a, HVT_PASS);
	assert_int_equal(e->b, HVT_FAIL);
	assert_string_equal(e->reason, "echo: got breaks");
	e = entry(d, HVT_DIFF_NEW_FAILURE, "times-out");
	assert_non_null(e);
	assert_int_equal(e->b, HVT_TIMEOUT);

	assert_int_equal(hvt_diff_count(d, HVT_DIFF_FIX), 1);
	e = entry(d, HVT_DIFF_FIX, "fixed");
	assert_non_null(e);
	assert_string_equal(e->reason, "QEMU died"); /* why it used to fail */

	assert_int_equal(hvt_diff_count(d, HVT_DIFF_CHANGED), 1);
	assert_non_null(entry(d, HVT_DIFF_CHANGED, "worse"));
	assert_int_equal(hvt_diff_count(d, HVT_DIFF_FLAKY), 1);
	assert_non_null(entry(d, HVT_DIFF_FLAKY, "new"));
	assert_int_equal(hvt_diff_count(d, HVT_DIFF_ONLY_A), 1);
	assert_non_null(entry(d, HVT_DIFF_ONLY_A, "gone"));
	assert_int_equal(hvt_diff_count(d, HVT_DIFF_ONLY_B), 1);
	assert_non_null(entry(d, HVT_DIFF_ONLY_B, "new"));

	assert_int_equal(hvt_diff_count(d, HVT_DIFF_METRIC), 2);
	assert_null(entry(d, HVT_DIFF_METRIC, "same"));
	e = entry(d, HVT_DIFF_METRIC, "breaks");
	assert_non_null(e);
	assert_string_equal(e->metric, "boot_ms");
	assert_string_equal(e->unit, "ms");
	assert_true(e->va == 100 && e->vb == 150);
	assert_true(fabs(e->change - 0.5) < 1e-12);
	e = entry(d, HVT_DIFF_METRIC, "zero");
	assert_non_null(e);
	assert_true(isinf(e->change) && e->change > 0);

	/* sorted by kind, then name */
	for (size_t i = 1; i < d->n; i++)
		assert_true(d->v[i - 1].kind < d->v[i].kind ||
			    (d->v[i - 1].kind == d->v[i].kind &&
			     strcmp(d->v[i - 1].name, d->v[i].name) <= 0));
	assert_int_equal(d->n, 9);
}

static void test_diff_cases(void **state)
{
	struct runs r;
	struct hvt_diff d;

	make_runs(&r);
	hvt_diff_cases(r.a, r.na, r.b, r.nb, 10, &d);
	check_diff(&d);
	hvt_diff_release(&d);

	/* threshold 0: every moved metric, here also "same" (+5%) */
	hvt_diff_cases(r.a, r.na, r.b, r.nb, 0, &d);
	assert_int_equal(hvt_diff_count(&d, HVT_DIFF_METRIC), 3);
	hvt_diff_release(&d);

	/* a run against itself: nothing but its flaky case */
	hvt_diff_cases(r.b, r.nb, r.b, r.nb, 10, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].kind, HVT_DIFF_FLAKY);
	hvt_diff_release(&d);

	hvt_diff_cases(NULL, 0, NULL, 0, 10, &d);
	assert_int_equal(d.n, 0);
	hvt_diff_release(&d);
	free_runs(&r);
}

/*
 * Expected failures: a case whose bug got fixed (xfail -> xpass) breaks
 * the run, as a new failure; marking a failing case xfail is no fix.
 */
static void test_diff_expected_failures(void **state)
{
	static const struct {
		const char *name;
		enum hvt_outcome a, b;
		enum hvt_diff_kind kind;
	} t[] = {
		{ "bug-fixed", HVT_XFAIL, HVT_XPASS, HVT_DIFF_NEW_FAILURE },
		{ "marked-too-soon", HVT_PASS, HVT_XPASS, HVT_DIFF_NEW_FAILURE },
		{ "mark-removed", HVT_XPASS, HVT_PASS, HVT_DIFF_FIX },
		{ "fixed-and-unmarked", HVT_XFAIL, HVT_PASS, HVT_DIFF_FIX },
		{ "now-known", HVT_FAIL, HVT_XFAIL, HVT_DIFF_CHANGED },
		{ "known-now-errors", HVT_XFAIL, HVT_ERROR, HVT_DIFF_NEW_FAILURE },
		{ "starts-failing", HVT_PASS, HVT_XFAIL, HVT_DIFF_CHANGED },
	};
	struct hvt_case *a[HVT_ARRAY_SIZE(t)], *b[HVT_ARRAY_SIZE(t)];
	const struct hvt_diff_entry *e;
	struct hvt_diff d;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(t); i++) {
		a[i] = mk(t[i].name, t[i].a, NAN);
		b[i] = mk(t[i].name, t[i].b, NAN);
	}
	hvt_diff_cases(a, HVT_ARRAY_SIZE(t), b, HVT_ARRAY_SIZE(t), 10, &d);
	assert_int_equal(d.n, HVT_ARRAY_SIZE(t));
	for (size_t i = 0; i < HVT_ARRAY_SIZE(t); i++) {
		e = entry(&d, t[i].kind, t[i].name);
		if (!e)
			fail_msg("%s: %s -> %s is not among the %s", t[i].name,
				 hvt_outcome_name(t[i].a), hvt_outcome_name(t[i].b),
				 hvt_diff_kind_name(t[i].kind));
		assert_int_equal(e->a, t[i].a);
		assert_int_equal(e->b, t[i].b);
	}
	assert_string_equal(entry(&d, HVT_DIFF_NEW_FAILURE, "bug-fixed")->reason,
			    "passed, but expected to fail: bug 123");
	hvt_diff_release(&d);
	for (size_t i = 0; i < HVT_ARRAY_SIZE(t); i++) {
		hvt_case_free(a[i]);
		hvt_case_free(b[i]);
	}
}

static void test_metric_mean(void **state)
{
	struct hvt_case *a = mk("m", HVT_PASS, 10), *b = mk("m", HVT_PASS, 10);
	struct hvt_case *va[] = { a }, *vb[] = { b };
	struct hvt_diff d;

	/* samples 10, 20, 30 average to 20: +100% */
	hvt_case_metric(b, "boot_ms", 20, "ms");
	hvt_case_metric(b, "boot_ms", 30, "ms");
	hvt_diff_cases(va, 1, vb, 1, 10, &d);
	assert_int_equal(d.n, 1);
	assert_true(d.v[0].vb == 20);
	assert_true(fabs(d.v[0].change - 1.0) < 1e-12);
	hvt_diff_release(&d);
	hvt_case_free(a);
	hvt_case_free(b);
}

static void test_diff_runs(void **state)
{
	char dir[] = "/tmp/hvt-diff-XXXXXX";
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info ri = { .plan = "p", .total = -1 };
	struct hvt_store *s;
	struct hvt_diff d;
	int64_t ra, rb;
	struct runs r;

	assert_non_null(mkdtemp(dir));
	s = hvt_store_open(dir, &err);
	if (!s)
		fail_msg("%s", err.msg);
	make_runs(&r);
	assert_int_equal(hvt_store_run_begin(s, &ri, &ra, &err), 0);
	for (size_t i = 0; i < r.na; i++) {
		r.a[i]->index = (long)i;
		assert_int_equal(hvt_store_case_add(s, ra, r.a[i], &err), 0);
	}
	assert_int_equal(hvt_store_run_begin(s, &ri, &rb, &err), 0);
	for (size_t i = 0; i < r.nb; i++) {
		r.b[i]->index = (long)i;
		assert_int_equal(hvt_store_case_add(s, rb, r.b[i], &err), 0);
	}
	assert_int_equal(hvt_diff_runs(s, ra, rb, 10, &d, &err), 0);
	check_diff(&d);
	hvt_diff_release(&d);
	assert_int_equal(hvt_diff_runs(s, ra, rb + 1, 10, &d, &err), -ENOENT);
	free_runs(&r);
	hvt_store_close(s);
	hvt_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_cases),
		cmocka_unit_test(test_diff_expected_failures),
		cmocka_unit_test(test_metric_mean),
		cmocka_unit_test(test_diff_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
