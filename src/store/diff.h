/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Comparing two runs: which cases broke, which were fixed, which are
 * flaky, which ran in only one of them, and which metrics moved.
 */
#ifndef HVT_DIFF_H
#define HVT_DIFF_H

#include <stddef.h>

#include "case.h"
#include "store.h"

enum hvt_diff_kind {
	/* not bad in A (pass, skip, xfail), bad in B (fail, error, timeout, xpass) */
	HVT_DIFF_NEW_FAILURE,
	HVT_DIFF_FIX,		/* bad or xfail in A, pass in B */
	/* any other change of outcome (fail -> error, pass -> skip, fail -> xfail...) */
	HVT_DIFF_CHANGED,
	HVT_DIFF_FLAKY,		/* marked flaky in B (passed only on a rerun) */
	HVT_DIFF_ONLY_A,	/* ran in A, not in B */
	HVT_DIFF_ONLY_B,	/* ran in B, not in A */
	HVT_DIFF_METRIC,	/* a metric of a case in both runs moved more than the threshold */
};

/* "new failures", "fixes", ... (section titles) */
const char *hvt_diff_kind_name(enum hvt_diff_kind k);

/* One difference; strings are owned by the hvt_diff. */
struct hvt_diff_entry {
	enum hvt_diff_kind kind;
	char *name;			/* the case */
	enum hvt_outcome a, b;		/* outcomes (the one present, for ONLY_*) */
	char *reason;			/* B's reason or first failed check (A's for ONLY_A/FIX) */
	/* HVT_DIFF_METRIC */
	char *metric, *unit;
	double va, vb;
	double change;			/* (vb - va) / |va|; +-INFINITY when va is 0 */
};

struct hvt_diff {
	struct hvt_diff_entry *v;	/* sorted by kind, then case name, then metric */
	size_t n;
};

/*
 * Compare two sets of case records (the last attempt of each), matched by
 * case name. Metrics recorded more than once in a case are averaged; a
 * metric change is listed when |change| * 100 >= threshold_pct. Fills
 * *diff (release with hvt_diff_release()).
 */
void hvt_diff_cases(struct hvt_case *const *a, size_t na, struct hvt_case *const *b, size_t nb,
		    double threshold_pct, struct hvt_diff *diff);
/* Load two runs' cases from the store and compare them. */
int hvt_diff_runs(struct hvt_store *s, int64_t run_a, int64_t run_b, double threshold_pct,
		  struct hvt_diff *diff, struct hvt_err *err);
/* Number of entries of one kind. */
size_t hvt_diff_count(const struct hvt_diff *diff, enum hvt_diff_kind k);
void hvt_diff_release(struct hvt_diff *diff);

#endif
