/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs of one plan made in pieces (the shards of a cluster job, each with
 * its own results directory) merged into one run: every case once, the
 * host each case ran on, its work directory reachable from the merged
 * run's, and what overlapped or is missing said exactly.
 */
#ifndef HVT_MERGE_H
#define HVT_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* A case the plan has (index in the expanded plan, full name). */
struct hvt_merge_want {
	long index;
	const char *name;
};

struct hvt_merge_opts {
	/* results directories of the pieces; each one's run is "latest" unless run_refs says */
	const char *const *dirs;
	size_t ndirs;
	const char *const *run_refs;	/* per dir: a run reference, or NULL for all latest */
	/*
	 * The cases the merged run should have (the plan after its filters),
	 * ordered by index; NULL: unknown, then the gaps reported are the
	 * indices missing below the highest one seen.
	 */
	const struct hvt_merge_want *want;
	size_t nwant;
	/* into this run of the destination store (a resumed merge), or 0: a new run */
	int64_t into;
	/* the new run's record: plan, filters, argv (may be NULL) */
	const char *plan, *filters, *argv;
};

/* A case more than one piece has: the first piece given wins. */
struct hvt_merge_overlap {
	long index;
	char *name;
	char *kept;		/* "DIR run N" the case was taken from */
	char *dropped;		/* "DIR run N" whose copy was left out */
	enum hvt_outcome kept_outcome, dropped_outcome;
};

struct hvt_merge_gap {
	long index;
	char *name;		/* NULL when the plan was not given */
};

struct hvt_merge_result {
	int64_t run_id;		/* the merged run in the destination store */
	size_t added;		/* cases (all attempts counted once) added now */
	size_t present;		/* cases the run had already (an earlier merge) */
	struct hvt_merge_overlap *overlaps;
	size_t noverlaps;
	struct hvt_merge_gap *gaps;
	size_t ngaps;
	char **hosts;		/* distinct hosts the pieces ran on, in the order seen */
	size_t nhosts;
	/* cases whose work directory could not be linked into the run's (kept as it was) */
	size_t unlinked;
};

/*
 * Merge o's pieces into dst (the results directory of dst_dir: the merged
 * run's work directories, DIR/run-N/INDEX.ATTEMPT, are symbolic links to
 * the pieces'). The merged run is written in one transaction and ended
 * with exit status 1 when a case ended bad or a case is missing, else 0.
 *
 * Errors (-errno, err set, nothing written): a piece that cannot be
 * opened or has no such run, two pieces that give one index different
 * names (runs of different plans), a piece's case that is not in want
 * (another plan or other filters). Overlaps and gaps are not errors:
 * they are in r. Release r with hvt_merge_result_release().
 */
int hvt_store_merge(struct hvt_store *dst, const char *dst_dir, const struct hvt_merge_opts *o,
		    struct hvt_merge_result *r, struct hvt_err *err);
void hvt_merge_result_release(struct hvt_merge_result *r);

#endif
