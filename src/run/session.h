/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A run of a plan from start to end: expand it (filters, shard, what a
 * resumed run has finished), record the run in the results store, run its
 * cases, store each as it finishes, write the reports and the run's page.
 * A front end (hvtest run, a server) parses its options and shows what the
 * callbacks tell it; everything else is here.
 */
#ifndef HVT_SESSION_H
#define HVT_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "case.h"
#include "report.h"
#include "runner.h"
#include "store.h"

struct hvt_session_result;

struct hvt_session_opts {
	/* what to run */
	const char *plan;		/* plan file */
	const char *const *filters;	/* "only x", "no y", bare names; may be NULL */
	size_t nfilters;
	int shard_k, shard_n;		/* shard K of N (hvt_runner_parse_shard()); 0, 0: all */
	/* where to */
	const char *results;		/* results directory; NULL: HVT_RESULTS_DIR_DEFAULT */
	const char *resume;		/* finish this run ("12", "latest", "latest~N"), or NULL */
	const char *cmdline;		/* the command line, stored with the run; may be NULL */
	/*
	 * How: jobs, timeout, repeat, rerun_failed, progress and tty. The
	 * session sets workroot (RESULTS/run-N), on_done and opaque itself.
	 */
	struct hvt_runner_opts runner;
	/*
	 * Reports (all optional). TAP is streamed as cases finish (those of
	 * this session); JUnit, JSON and the page are written at the end from
	 * the store, with every case of the run (a resumed run's too), as
	 * hvt_report_run() writes them later.
	 */
	FILE *tap;			/* TAP, streamed */
	FILE *json;			/* the JSON document */
	const char *junit;		/* JUnit XML into this file (replaced whole) */
	bool no_page;			/* no RESULTS/run-N/report.html */
	struct hvt_report_opts report;	/* the TAP version */
	/*
	 * Callbacks, all optional, all called in the calling thread.
	 *
	 * host: the plan is expanded and its cases are sound; the run is
	 * about to be recorded (or resumed). Fill in what the front end
	 * knows of the host -- QEMU binary and version, accelerator --
	 * beside the hostname, kernel and hvtest version already there; its
	 * strings must live until hvt_session_run() returns. The place for
	 * work the case processes should inherit (the accelerator probe).
	 * A resumed run keeps the host it was recorded with.
	 */
	void (*host)(struct hvt_host_info *h, void *opaque);
	/* The run is recorded (r: run_id, resumed, ncases, total, workroot); cases start. */
	void (*on_begin)(const struct hvt_session_result *r, void *opaque);
	/* Every finished attempt, once stored; final: no other attempt of it follows. */
	void (*on_case)(const struct hvt_case *c, bool final, void *opaque);
	/*
	 * Something went wrong without stopping the run: a case that could
	 * not be stored, a report or the page that could not be written, the
	 * end of the run not recorded, a resumed run of another plan. One
	 * line, without a prefix.
	 */
	void (*on_problem)(const char *msg, void *opaque);
	void *opaque;
};

struct hvt_session_result {
	int64_t run_id;
	bool resumed;
	size_t ncases;			/* cases this session runs */
	long total;			/* variants of the plan after the filters (all shards) */
	char *workroot;			/* RESULTS/run-N: the cases' work directories */
	struct hvt_runner_summary sum;
	size_t problems;		/* how many on_problem() calls */
	char *page;			/* the run's HTML page, or NULL when not written */
	/*
	 * 0 when no case ended bad (hvt_outcome_bad()) and every case and
	 * the JUnit and JSON reports were written, else 1. It is stored as
	 * the run's exit status.
	 */
	int exit_status;
};

/*
 * Run o->plan. Returns 0 when the run took place, whatever its outcomes
 * (r->exit_status says how it went); -errno with err set when it could
 * not: the plan does not load or filter, its cases name unregistered
 * types or bad keys (nothing recorded then), the store cannot be opened,
 * the run to resume does not exist, the TAP stream cannot start, or the
 * runner could not go on (the run stays recorded without an end, as a
 * killed one). Release r with hvt_session_result_release() either way.
 */
int hvt_session_run(const struct hvt_session_opts *o, struct hvt_session_result *r,
		    struct hvt_err *err);
void hvt_session_result_release(struct hvt_session_result *r);

/*
 * The cases o selects (plan, filters, shard), in plan order, as the run
 * would start them: parameters from the variant's keys, type and xfail
 * from its "type" and "xfail" keys, index its position in the expanded
 * plan. *cases is an array of *n records: free it with
 * hvt_store_cases_free(). *total (may be NULL) gets the number of variants.
 */
int hvt_session_cases(const struct hvt_session_opts *o, struct hvt_case ***cases, size_t *n,
		      long *total, struct hvt_err *err);

#endif
