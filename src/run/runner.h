/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runner: every case in its own process and work directory, N at a
 * time, with per-case timeouts that kill the case's processes, repeats,
 * reruns of failures (flaky detection), shards and terminal progress.
 */
#ifndef HVT_RUNNER_H
#define HVT_RUNNER_H

#include <stdbool.h>
#include <stdio.h>

#include "case.h"

struct hvt_runner_opts {
	int jobs;	  /* cases at once; 0: the number of online CPUs */
	/*
	 * Seconds per case attempt; 0: 600. A case's own key "timeout"
	 * (seconds) overrides it for that case.
	 */
	double timeout;
	int repeat;	  /* runs of each case; 0: 1 */
	int rerun_failed; /* extra attempts for a failing case; a later pass is flaky */
	const char *workroot; /* case work dirs: WORKROOT/<index>.<attempt> */
	/*
	 * Called in the runner for every finished attempt, in completion
	 * order. final: no further attempt of this case follows. The record
	 * belongs to the runner and is freed after the call.
	 */
	void (*on_done)(struct hvt_case *c, bool final, void *opaque);
	void *opaque;
	FILE *progress;	  /* where progress goes (NULL: none) */
	bool tty;	  /* progress rewrites one status line, with colour */
};

struct hvt_runner_summary {
	size_t cases;			   /* distinct cases run */
	size_t outcome[HVT_OUTCOME_COUNT]; /* final outcomes, by enum hvt_outcome */
	size_t flaky;
	double wall;			   /* seconds */
};

/*
 * Run every case in cases (templates: name, type, index, params, xfail),
 * each attempt in a forked process of its own. Returns 0 when the run
 * completed (whatever the outcomes), -errno when the runner itself
 * could not go on: -EINVAL for a case whose "timeout" key is not a number
 * of seconds > 0 (before any case runs), -EDEADLK when the process has
 * more than one thread. A case of an unregistered type runs, and is an
 * error saying so (hvt_runner_check() refuses such cases beforehand).
 *
 * Why one thread only: a case process is forked and runs hvtest code
 * without exec. fork() copies just the calling thread; a lock another
 * thread held at that moment (malloc's arenas, stdio, a library's
 * mutex) stays locked in the child with no thread left to release it,
 * and the case hangs or corrupts state at its first use of it. The
 * runner therefore counts the threads (/proc/self/task) before every
 * fork and refuses to go on when there is more than one; start it from
 * a process that has no other thread (a server runs it in a child
 * process of its own).
 *
 * Dependencies (c->deps, the plan's dep key): a case starts only after
 * every case it depends on has ended (its final attempt, after repeats
 * and reruns); other cases run meanwhile. It runs only when each of them
 * passed (outcome pass); otherwise it is recorded as skipped, never run,
 * with the reason "dependency NAME failed (outcome: OC)", and so are its
 * own dependents in turn. Before it starts, deps[k].dir is the absolute
 * path of that dependency's final case directory (the runner never
 * removes one). A dependency that is no case of cases but is marked
 * settled (it ended before the run, as --resume finds it) counts with
 * the outcome and dir given; a case of cases is waited for, settled or
 * not (the mark is cleared). -EINVAL
 * (before any case runs) when a dependency is neither a case of cases
 * nor settled, or when dependencies form a cycle; err names them.
 *
 * A repeated xfail case is an expected failure only when every
 * repetition failed: its last record becomes an error ("K of N
 * repetitions did not fail as expected") when an earlier one passed,
 * errored or timed out and its own did not. A failing rerun of an
 * unexpected pass is flaky and counts as the expected failure.
 */
int hvt_runner_run(struct hvt_case *const *cases, size_t n, const struct hvt_runner_opts *o,
		   struct hvt_runner_summary *sum, struct hvt_err *err);

/*
 * Whether cases can all run: -EINVAL when a "timeout" key is not a number
 * of seconds > 0 (err names the case), when a dependency is missing or
 * part of a cycle (err names the case and the dependency) or when test
 * types are not
 * registered (err lists them), else 0. For a front end, before it
 * records a run.
 */
int hvt_runner_check(struct hvt_case *const *cases, size_t n, struct hvt_err *err);

/*
 * The number of threads of this process (/proc/self/task), or -errno
 * when it cannot be counted.
 */
int hvt_runner_threads(void);

/* "K/N" with 1 <= K <= N: the shard of a plan a host runs. */
int hvt_runner_parse_shard(const char *s, int *k, int *n, struct hvt_err *err);
/* Whether the case at position pos of the expanded plan is in shard k of n. */
bool hvt_runner_in_shard(long pos, int k, int n);
/*
 * The position that decides the shard of each case (into pos[i] for
 * cases[i], all the cases of the expanded plan in order): the number of
 * its dependency component (the cases linked to it by dependencies
 * either way), components numbered in the order of their first cases,
 * so that a case and everything it depends on land in one shard and
 * components spread over the shards as cases do. In a plan without
 * dependencies, pos[i] is i.
 */
void hvt_runner_shard_positions(struct hvt_case *const *cases, size_t n, long *pos);

/* Register the built-in test types ("exec", "noop", "crash", "hang"). */
void hvt_runner_register_builtin(void);

/*
 * Record a TAP stream's results as c's checks: "ok"/"not ok" lines,
 * "# SKIP" and "# TODO" directives, "1..N" plans (a mismatch is an
 * error), "1..0 # SKIP why", "Bail out!". exit_code is the producer's:
 * non-zero without a failed check is an error.
 */
void hvt_runner_apply_tap(struct hvt_case *c, const char *tap, int exit_code);

#endif
