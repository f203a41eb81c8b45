/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test case's record: its parameters (a plan variant's keys), named
 * checks, metrics and artifacts, and the outcome derived from them. Test
 * modules fill it; the runner stores and reports it.
 */
#ifndef HVT_CASE_H
#define HVT_CASE_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "util.h"

enum hvt_outcome {
	HVT_PASS,
	HVT_FAIL,	/* a check failed */
	HVT_ERROR,	/* the harness or the system failed before a verdict */
	HVT_SKIP,
	HVT_TIMEOUT,
	HVT_XFAIL,	/* failed, as its xfail reason says it does (a known bug) */
	HVT_XPASS,	/* passed, though it was expected to fail */
};
/* Number of outcomes, for arrays indexed by enum hvt_outcome. */
#define HVT_OUTCOME_COUNT (HVT_XPASS + 1)

/* "pass", "fail", "error", "skip", "timeout", "xfail", "xpass" */
const char *hvt_outcome_name(enum hvt_outcome o);
/* -EINVAL for an unknown name. */
int hvt_outcome_parse(const char *name, enum hvt_outcome *out);
/*
 * Whether an outcome fails a run: fail, error, timeout and xpass (an
 * expected failure that did not fail: the bug may be fixed, and its
 * xfail mark is now wrong). pass, skip and xfail do not.
 */
bool hvt_outcome_bad(enum hvt_outcome o);

struct hvt_check {
	char *name;
	enum hvt_outcome status; /* HVT_PASS, HVT_FAIL or HVT_SKIP */
	char *message;		 /* why, or what was seen; may be "" */
	double t;		 /* seconds since the case started */
};

struct hvt_metric {
	char *name;
	double value;
	char *unit; /* "ms", "MiB", "" ... */
	double t;
};

struct hvt_artifact {
	char *name;
	char *path; /* relative to the case's work directory, or absolute */
};

struct hvt_param {
	char *key, *value;
};

/*
 * A case this one depends on (the plan's dep key): it runs first, and
 * this one runs only when it passed. The runner fills in the rest.
 */
struct hvt_case_dep {
	char *name;		  /* the dependency's full name */
	char *dir;		  /* its case directory (absolute), once it passed */
	bool settled;		  /* it ended before this run (--resume): outcome holds */
	enum hvt_outcome outcome; /* ... how it ended */
};

/* Where hvt_case_end() returns to; private to hvt_test_type_run_case(). */
struct hvt_case_frame;

struct hvt_case {
	char *name;	 /* the variant's full name */
	char *shortname; /* the variant's short name */
	char *type;	 /* test type ("exec", "balloon"...) */
	long index;	 /* position in the expanded plan */
	int attempt;	 /* 1 for the first run, 2.. for reruns */
	char *workdir;

	struct hvt_param *params;
	size_t nparams;
	struct hvt_check *checks;
	size_t nchecks;
	struct hvt_metric *metrics;
	size_t nmetrics;
	struct hvt_artifact *artifacts;
	size_t nartifacts;
	struct hvt_case_dep *deps; /* hvt_case_add_dep(), in plan order */
	size_t ndeps;

	/* set by hvt_case_error/skip or by the runner (timeout, crash) */
	bool errored, skipped, timed_out, flaky;
	char *reason;
	/*
	 * Why the case is expected to fail (the plan key xfail), or NULL:
	 * then a failing case is an expected failure (HVT_XFAIL) and a
	 * passing one an unexpected pass (HVT_XPASS). hvt_case_set_xfail().
	 */
	char *xfail;
	/*
	 * The host the case ran on when it is not the run's (a run merged
	 * from shards that ran on several hosts), or NULL.
	 */
	char *host;

	double start;	 /* wall clock, seconds since the epoch */
	double duration; /* seconds */
	double t0;	 /* monotonic start, for check/metric times */

	/* the running step's hvt_case_end() target (hvt_test_type_run_case()) */
	struct hvt_case_frame *frame;
};

struct hvt_case *hvt_case_new(const char *name, const char *shortname, const char *type);
void hvt_case_free(struct hvt_case *c);
/*
 * A deep copy of the whole record (parameters, checks, metrics,
 * artifacts, flags, reasons, times); the copy is not running (no frame).
 * Free it with hvt_case_free().
 */
struct hvt_case *hvt_case_copy(const struct hvt_case *c);
/* Expect the case to fail, for reason; NULL or "" takes the expectation back. */
void hvt_case_set_xfail(struct hvt_case *c, const char *reason);

/* Parameters: the case's keys, in plan order. Setting a key again replaces it. */
void hvt_case_set_param(struct hvt_case *c, const char *key, const char *value);
/* The value of key, or dflt when absent. */
const char *hvt_case_param(const struct hvt_case *c, const char *key, const char *dflt);
/*
 * Numeric and boolean parameters. A present value that does not parse is an
 * error (-EINVAL, err names the key and the value); absent gives dflt.
 * Booleans: yes/no, true/false, on/off, 1/0.
 */
int hvt_case_param_int(const struct hvt_case *c, const char *key, long long dflt,
		       long long *out, struct hvt_err *err);
int hvt_case_param_double(const struct hvt_case *c, const char *key, double dflt,
			  double *out, struct hvt_err *err);
int hvt_case_param_bool(const struct hvt_case *c, const char *key, bool dflt, bool *out,
			struct hvt_err *err);

/*
 * Checks, as kselftest has them: EXPECT records and goes on, ASSERT
 * records and, when the check failed, ends the case.
 *
 * hvt_case_check() (EXPECT): record a check, passed when ok. Returns ok,
 * so that callers can branch.
 */
bool hvt_case_check(struct hvt_case *c, const char *name, bool ok, const char *fmt, ...)
	HVT_PRINTF(4, 5);
void hvt_case_check_skip(struct hvt_case *c, const char *name, const char *fmt, ...)
	HVT_PRINTF(3, 4);
/*
 * hvt_case_require() (ASSERT): record a check as hvt_case_check() does;
 * when it failed, end the case there (hvt_case_end()). Returns only when
 * ok. For a step that later steps cannot go without.
 */
void hvt_case_require(struct hvt_case *c, const char *name, bool ok, const char *fmt, ...)
	HVT_PRINTF(4, 5);
/* hvt_case_error() and hvt_case_end(): the case ends with outcome error. */
_Noreturn void hvt_case_fatal(struct hvt_case *c, const char *fmt, ...) HVT_PRINTF(2, 3);
/*
 * End the case now, with what it has recorded as its verdict (after
 * hvt_case_skip(): a skip). Only from the thread that runs the case,
 * inside a test type's init, run or cleanup called by
 * hvt_test_type_run_case() -- directly or through any depth of the
 * module's own functions, but not from a signal handler nor from a
 * callback of a library that must return (json-c, sqlite, qsort). Used
 * elsewhere it is a bug (abort).
 *
 * It jumps back into hvt_test_type_run_case() (longjmp), which goes on
 * as after a return from the step:
 *  - from run: cleanup(state) runs, once, as after a normal run;
 *  - from init: init counts as failed, so cleanup is not called (as when
 *    init returns an error): init must not end the case while it holds
 *    what only cleanup would release;
 *  - from cleanup: the rest of cleanup is skipped; it is not called again.
 * What is released: everything reachable from the state, by cleanup, and
 * the record itself. What is not: what the ended step held only in its
 * own variables -- heap memory, descriptors, JSON objects, locks -- and
 * __attribute__((cleanup)) handlers do not run. In a case process of the
 * runner that costs nothing lasting (the process ends after the case;
 * machines it started die with it: reaper and PR_SET_PDEATHSIG), but a
 * long-lived program that runs cases in-process leaks it: keep what
 * must be released in the state.
 */
_Noreturn void hvt_case_end(struct hvt_case *c);
/*
 * The same with the condition's text (and where it is) as the message:
 * HVT_EXPECT(c, "booted", rc == 0) records "rc == 0 (file.c:12)".
 */
#define HVT_EXPECT(c, name, cond)                                                     \
	hvt_case_check((c), (name), (cond), "%s (%s:%d)", #cond, __FILE__, __LINE__)
#define HVT_ASSERT(c, name, cond)                                                     \
	hvt_case_require((c), (name), (cond), "%s (%s:%d)", #cond, __FILE__, __LINE__)

void hvt_case_metric(struct hvt_case *c, const char *name, double value, const char *unit);
void hvt_case_artifact(struct hvt_case *c, const char *name, const char *path);
/* The case cannot reach a verdict (harness or system failure): outcome error. */
void hvt_case_error(struct hvt_case *c, const char *fmt, ...) HVT_PRINTF(2, 3);
/* The case cannot run here: outcome skip, with the reason. */
void hvt_case_skip(struct hvt_case *c, const char *fmt, ...) HVT_PRINTF(2, 3);

/*
 * The outcome: timeout if timed out; error if errored or if nothing at all
 * was recorded (no check, no skip: no verdict); skip if skipped or every
 * check skipped; fail if any check failed; otherwise pass. A case with an
 * xfail reason that fails is xfail, one that passes is xpass; error,
 * timeout and skip stay what they are (no verdict on the known bug).
 */
enum hvt_outcome hvt_case_outcome(const struct hvt_case *c);

/*
 * Dependencies. hvt_case_add_dep() records that c needs the case of full
 * name dep (a name already there is not added again) and returns its
 * entry. hvt_case_dep_dir() gives the case directory of a dependency
 * that passed -- where its artifacts are -- while c runs under the
 * runner: dep is the full name, or its end after a '.' ("install" for
 * "(os=linux).install") when no full name matches; NULL for a name c
 * does not depend on, or a dependency without a directory.
 */
struct hvt_case_dep *hvt_case_add_dep(struct hvt_case *c, const char *dep);
const char *hvt_case_dep_dir(const struct hvt_case *c, const char *dep);

/* Serialise the whole record (for the runner's case processes and --json). */
struct json_object *hvt_case_to_json(const struct hvt_case *c);
/* Rebuild a record; NULL with err set when the JSON is not a case record. */
struct hvt_case *hvt_case_from_json(struct json_object *obj, struct hvt_err *err);

#endif
