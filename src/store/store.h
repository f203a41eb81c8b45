/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The results store: one SQLite database per results directory
 * (DIR/results.db) holding runs, their host and every finished case.
 */
#ifndef HVT_STORE_H
#define HVT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "case.h"
#include "util.h"

/* Where results go unless --results says otherwise (relative to the cwd). */
#define HVT_RESULTS_DIR_DEFAULT "hvtest-results"
/* The database file inside a results directory. */
#define HVT_STORE_FILE "results.db"
/*
 * PRAGMA user_version of the schema this code writes (2: cases.xfail and
 * the xfail/xpass counts; 3: cases.host, for runs merged from shards that
 * ran on several hosts); hvt_store_open() upgrades older ones.
 */
#define HVT_STORE_SCHEMA_VERSION 3
/* PRAGMA application_id marking a database as ours ("HVT1"). */
#define HVT_STORE_APP_ID 0x48565431

struct hvt_store;

/* The machine a run ran on. All strings may be NULL (unknown). */
struct hvt_host_info {
	const char *hostname;
	const char *kernel;	    /* uname -r */
	const char *qemu;	    /* QEMU binary path */
	const char *qemu_version;
	const char *accel;	    /* "kvm" or "tcg" */
	const char *accel_reason;   /* why that accelerator */
	const char *hvtest_version;
};

/*
 * A run. For hvt_store_run_begin() the caller fills it (id, finished,
 * exit_status and counts are ignored; started 0 means now); records read
 * back from the store own their strings: release them with
 * hvt_run_info_release().
 */
struct hvt_run_info {
	int64_t id;
	double started;		/* wall clock, seconds since the epoch */
	double finished;	/* 0 while running, or when the run was killed */
	const char *plan;	/* plan file */
	const char *filters;	/* the selection, as given on the command line */
	const char *argv;	/* the whole command line, for display */
	long total;		/* cases selected from the plan; -1 unknown */
	int pid;		/* the runner's process id (to tell running from killed) */
	int exit_status;	/* hvtest's exit status; -1 until the run ended */
	struct hvt_host_info host;
	/* read back: final outcomes of the run's cases, by enum hvt_outcome */
	long counts[HVT_OUTCOME_COUNT];
	long ncases;		/* cases stored (final attempts) */
};

void hvt_run_info_release(struct hvt_run_info *ri);

/*
 * Open (creating DIR and the schema if needed) DIR/results.db; a database
 * of an older schema version is upgraded in place, in one transaction. A
 * file that is not an SQLite database, a database of another application,
 * one with a newer schema, or a corrupt one gives an error naming the file.
 * Returns a handle, or NULL with err set.
 */
struct hvt_store *hvt_store_open(const char *dir, struct hvt_err *err);
void hvt_store_close(struct hvt_store *s);
/* The database's path (owned by the store). */
const char *hvt_store_path(const struct hvt_store *s);

/* Record a new run (and its host); its id goes to *run_id. */
int hvt_store_run_begin(struct hvt_store *s, const struct hvt_run_info *info,
			int64_t *run_id, struct hvt_err *err);
/*
 * Add one finished case to a run, in its own transaction: when this returns
 * 0 the case survives a SIGKILL of the process (and a crash of the host: see
 * store.c). The outcome stored is hvt_case_outcome(c). A second record with
 * the same index and attempt in a run is -EEXIST.
 */
int hvt_store_case_add(struct hvt_store *s, int64_t run_id, const struct hvt_case *c,
		       struct hvt_err *err);
/* Mark a run finished with hvtest's exit status (may be called again after a resume). */
int hvt_store_run_end(struct hvt_store *s, int64_t run_id, int exit_status,
		      struct hvt_err *err);

/* A case already finished in a run (its last attempt). */
struct hvt_done_case {
	long index;
	char *name;
	enum hvt_outcome outcome;
	char *workdir;	/* its last attempt's directory, or NULL */
};

struct hvt_store_done {
	struct hvt_done_case *v;
	size_t n;
};

/*
 * The cases of a run that finished (for --resume: the runner skips them),
 * ordered by index. Release with hvt_store_done_release().
 */
int hvt_store_run_done(struct hvt_store *s, int64_t run_id, struct hvt_store_done *done,
		       struct hvt_err *err);
/* True if a case of that index and name is in done. */
bool hvt_store_done_has(const struct hvt_store_done *done, long index, const char *name);
void hvt_store_done_release(struct hvt_store_done *done);

/*
 * Resolve a run reference: a decimal id, "latest" (the newest run) or
 * "latest~N" (the Nth before it). -ENOENT with err set when there is no
 * such run, -EINVAL when ref is none of these.
 */
int hvt_store_run_resolve(struct hvt_store *s, const char *ref, int64_t *run_id,
			  struct hvt_err *err);

/*
 * All runs, newest first, with host and counts. *runs is an array of *n
 * records: free it with hvt_store_runs_free().
 */
int hvt_store_runs_list(struct hvt_store *s, struct hvt_run_info **runs, size_t *n,
			struct hvt_err *err);
void hvt_store_runs_free(struct hvt_run_info *runs, size_t n);
/* One run's record (release with hvt_run_info_release()); -ENOENT if absent. */
int hvt_store_run_get(struct hvt_store *s, int64_t run_id, struct hvt_run_info *ri,
		      struct hvt_err *err);

/*
 * Delete a run and everything recorded for it, in one transaction (its
 * files under DIR/run-N are the caller's). -ENOENT if there is no such run.
 */
int hvt_store_run_delete(struct hvt_store *s, int64_t run_id, struct hvt_err *err);

/*
 * Load a run's cases back as records ordered by index (then attempt):
 * only the last attempt of each case unless all_attempts. *cases is an
 * array of *n records: free it with hvt_store_cases_free().
 */
int hvt_store_run_cases(struct hvt_store *s, int64_t run_id, bool all_attempts,
			struct hvt_case ***cases, size_t *n, struct hvt_err *err);
void hvt_store_cases_free(struct hvt_case **cases, size_t n);

#endif
