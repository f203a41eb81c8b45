// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Comparing two runs case by case (matched by name): outcome changes,
 * flaky cases, cases present in one run only, and metric changes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

static const char *const kind_names[] = {
	[HVT_DIFF_NEW_FAILURE] = "new failures",
	[HVT_DIFF_FIX] = "fixes",
	[HVT_DIFF_CHANGED] = "other changes",
	[HVT_DIFF_FLAKY] = "flaky",
	[HVT_DIFF_ONLY_A] = "only in A",
	[HVT_DIFF_ONLY_B] = "only in B",
	[HVT_DIFF_METRIC] = "metric changes",
};

const char *hvt_diff_kind_name(enum hvt_diff_kind k)
{
	if ((size_t)k >= HVT_ARRAY_SIZE(kind_names))
		HVT_BUG("diff kind %d", (int)k);
	return kind_names[k];
}

/*
 * Why a case did not pass: its reason, else what was expected of an
 * unexpected pass, else its first failed check.
 */
static char *why(const struct hvt_case *c)
{
	if (c->reason)
		return hvt_strdup(c->reason);
	if (c->xfail && hvt_case_outcome(c) == HVT_XPASS)
		return hvt_asprintf("passed, but expected to fail: %s", c->xfail);
	for (size_t i = 0; i < c->nchecks; i++)
		if (c->checks[i].status == HVT_FAIL)
			return hvt_asprintf("%s: %s", c->checks[i].name, c->checks[i].message);
	return NULL;
}

static struct hvt_diff_entry *add(struct hvt_diff *d, size_t *alloc, enum hvt_diff_kind kind,
				  const char *name)
{
	struct hvt_diff_entry *e;

	if (d->n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 16;
		d->v = hvt_realloc(d->v, *alloc * sizeof(*d->v));
	}
	e = &d->v[d->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->name = hvt_strdup(name);
	return e;
}

static const struct hvt_case *find(struct hvt_case *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i]->name, name))
			return v[i];
	return NULL;
}

/* Mean of a metric in a case; false if the case did not record it. */
static bool metric_mean(const struct hvt_case *c, const char *name, double *mean)
{
	double sum = 0;
	size_t k = 0;

	for (size_t i = 0; i < c->nmetrics; i++) {
		if (!strcmp(c->metrics[i].name, name) && !isnan(c->metrics[i].value)) {
			sum += c->metrics[i].value;
			k++;
		}
	}
	if (k)
		*mean = sum / (double)k;
	return k > 0;
}

static void diff_metrics(struct hvt_diff *d, size_t *alloc, const struct hvt_case *a,
			 const struct hvt_case *b, double threshold_pct)
{
	for (size_t i = 0; i < b->nmetrics; i++) {
		const struct hvt_metric *m = &b->metrics[i];
		struct hvt_diff_entry *e;
		double va, vb, change;
		bool seen = false;

		/* each name once: at its first occurrence in b */
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(b->metrics[j].name, m->name);
		if (seen || !metric_mean(a, m->name, &va) || !metric_mean(b, m->name, &vb))
			continue;
		if (va == vb)
			continue;
		change = va != 0 ? (vb - va) / fabs(va) : (vb > 0 ? INFINITY : -INFINITY);
		if (fabs(change) * 100 < threshold_pct)
			continue;
		e = add(d, alloc, HVT_DIFF_METRIC, b->name);
		e->a = hvt_case_outcome(a);
		e->b = hvt_case_outcome(b);
		e->metric = hvt_strdup(m->name);
		e->unit = hvt_strdup(m->unit ? m->unit : "");
		e->va = va;
		e->vb = vb;
		e->change = change;
	}
}

static int cmp_entry(const void *x, const void *y)
{
	const struct hvt_diff_entry *a = x, *b = y;
	int r;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	r = strcmp(a->name, b->name);
	if (r || !a->metric || !b->metric)
		return r;
	return strcmp(a->metric, b->metric);
}

void hvt_diff_cases(struct hvt_case *const *a, size_t na, struct hvt_case *const *b, size_t nb,
		    double threshold_pct, struct hvt_diff *diff)
{
	size_t alloc = 0;

	memset(diff, 0, sizeof(*diff));
	for (size_t i = 0; i < nb; i++) {
		const struct hvt_case *cb = b[i], *ca = find(a, na, cb->name);
		enum hvt_outcome ob = hvt_case_outcome(cb), oa;
		struct hvt_diff_entry *e;

		if (cb->flaky) {
			e = add(diff, &alloc, HVT_DIFF_FLAKY, cb->name);
			e->a = ca ? hvt_case_outcome(ca) : ob;
			e->b = ob;
			e->reason = cb->reason ? hvt_strdup(cb->reason) : NULL;
		}
		if (!ca) {
			e = add(diff, &alloc, HVT_DIFF_ONLY_B, cb->name);
			e->a = e->b = ob;
			e->reason = why(cb);
			continue;
		}
		oa = hvt_case_outcome(ca);
		if (oa != ob) {
			enum hvt_diff_kind k = HVT_DIFF_CHANGED;

			if (!hvt_outcome_bad(oa) && hvt_outcome_bad(ob))
				k = HVT_DIFF_NEW_FAILURE;
			else if ((hvt_outcome_bad(oa) || oa == HVT_XFAIL) && ob == HVT_PASS)
				k = HVT_DIFF_FIX;
			e = add(diff, &alloc, k, cb->name);
			e->a = oa;
			e->b = ob;
			e->reason = why(k == HVT_DIFF_FIX ? ca : cb);
		}
		diff_metrics(diff, &alloc, ca, cb, threshold_pct);
	}
	for (size_t i = 0; i < na; i++) {
		struct hvt_diff_entry *e;

		if (find(b, nb, a[i]->name))
			continue;
		e = add(diff, &alloc, HVT_DIFF_ONLY_A, a[i]->name);
		e->a = e->b = hvt_case_outcome(a[i]);
		e->reason = why(a[i]);
	}
	if (diff->n)
		qsort(diff->v, diff->n, sizeof(*diff->v), cmp_entry);
}

int hvt_diff_runs(struct hvt_store *s, int64_t run_a, int64_t run_b, double threshold_pct,
		  struct hvt_diff *diff, struct hvt_err *err)
{
	struct hvt_case **a = NULL, **b = NULL;
	size_t na = 0, nb = 0;
	int ret;

	memset(diff, 0, sizeof(*diff));
	ret = hvt_store_run_cases(s, run_a, false, &a, &na, err);
	if (ret)
		return ret;
	ret = hvt_store_run_cases(s, run_b, false, &b, &nb, err);
	if (ret)
		goto out;
	hvt_diff_cases(a, na, b, nb, threshold_pct, diff);
	hvt_store_cases_free(b, nb);
out:
	hvt_store_cases_free(a, na);
	return ret;
}

size_t hvt_diff_count(const struct hvt_diff *diff, enum hvt_diff_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < diff->n; i++)
		n += diff->v[i].kind == k;
	return n;
}

void hvt_diff_release(struct hvt_diff *diff)
{
	for (size_t i = 0; i < diff->n; i++) {
		free(diff->v[i].name);
		free(diff->v[i].reason);
		free(diff->v[i].metric);
		free(diff->v[i].unit);
	}
	free(diff->v);
	memset(diff, 0, sizeof(*diff));
}
