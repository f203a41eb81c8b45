/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A plan run on a Slurm cluster: one job array, one shard of the plan per
 * task (hvtest run --shard K/N on the node, into its own results
 * directory), followed until every task has ended, each shard merged into
 * one run as its task ends. Slurm schedules; this drives its commands
 * (sbatch, scontrol, scancel) and reads the shards' stores.
 */
#ifndef HVT_SLURM_H
#define HVT_SLURM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "merge.h"
#include "session.h"

/*
 * Plan keys a case states its needs with; the job array asks Slurm for
 * the most any case of the plan needs.
 */
#define HVT_SLURM_KEY_CPUS "needs_cpus"	/* CPUs (--cpus-per-task) */
#define HVT_SLURM_KEY_MEM "needs_mem"	/* MiB of memory (--mem) */
#define HVT_SLURM_KEY_KVM "needs_kvm"	/* yes: a node with the feature "kvm" (--constraint) */

/* What the cases of a plan need of a node, at most. */
struct hvt_slurm_needs {
	long cpus;		/* 0: unsaid */
	long mem_mib;		/* 0: unsaid */
	bool kvm;
};

struct hvt_slurm_task {
	int shard;		/* K of K/N */
	char state[32];		/* Slurm's JobState: COMPLETED, TIMEOUT, NODE_FAIL... */
	char node[64];		/* where it ran, when Slurm said */
	char reason[128];	/* Slurm's Reason, when not None */
	char *log;		/* the task's output file */
	size_t cases;		/* cases of its shard now in the merged run */
	size_t missing;		/* cases of its shard still missing */
	bool merged;		/* its store was merged */
};

struct hvt_slurm_opts {
	const char *hvtest;		/* the hvtest binary the nodes run (shared filesystem) */
	const char *plan;
	const char *const *filters;
	size_t nfilters;
	int shards;			/* tasks; a resumed run keeps its own */
	const char *partition;		/* or NULL: the cluster's default */
	long time_limit_min;		/* per task, or 0: the partition's */
	const char *results;		/* results directory (on a filesystem the nodes share) */
	const char *resume;		/* finish this merged run ("latest", an id), or NULL */
	const char *const *run_args;	/* options every task's "hvtest run" gets */
	size_t nrun_args;
	const char *cmdline;		/* stored with the merged run */
	double poll_s;			/* seconds between looks at the job (0: 1) */
	/* set (from a signal handler) to cancel the job; may be NULL */
	volatile sig_atomic_t *cancel;
	/* callbacks, all optional */
	void (*on_submit)(const char *job_id, int64_t run_id, size_t ntasks, size_t ncases,
			  const struct hvt_slurm_needs *needs, void *opaque);
	void (*on_task)(const struct hvt_slurm_task *t, size_t done, size_t ntasks, void *opaque);
	void (*on_problem)(const char *msg, void *opaque);
	void *opaque;
};

struct hvt_slurm_result {
	int64_t run_id;			/* the merged run */
	char job_id[32];		/* "" when nothing was submitted */
	struct hvt_slurm_task *tasks;	/* those submitted */
	size_t ntasks;
	size_t ncases;			/* cases of the plan */
	size_t present;			/* of them, in the merged run at the end */
	struct hvt_merge_gap *missing;	/* the others, by index */
	size_t nmissing;
	size_t overlaps;		/* cases two pieces had (kept once) */
	bool cancelled;
	char *page;			/* the merged run's HTML page, or NULL */
	int exit_status;		/* 0: every case there and none bad; else 1 */
};

/*
 * The cases' needs: the most of each key over cases; -EINVAL with err
 * naming the case and key when a value does not parse.
 */
int hvt_slurm_needs(struct hvt_case *const *cases, size_t n, struct hvt_slurm_needs *needs,
		    struct hvt_err *err);

/*
 * Submit o->plan as a job array and follow it to its end. Shards go to
 * RESULTS/run-M/shards/K, run M is the merged run (created here, or
 * o->resume: then only the shards with cases M lacks are submitted, each
 * resuming its own store, so only missing cases run). Returns 0 when
 * the job ran, whatever its tasks did (r says), -errno with err set when
 * it could not be submitted (Slurm's answer, e.g. a partition that does
 * not exist) or followed.
 */
int hvt_slurm_run(const struct hvt_slurm_opts *o, struct hvt_slurm_result *r,
		  struct hvt_err *err);
void hvt_slurm_result_release(struct hvt_slurm_result *r);

#endif
