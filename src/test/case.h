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
};

/* "pass", "fail", "error", "skip", "timeout" */
const char *hvt_outcome_name(enum hvt_outcome o);
/* -EINVAL for an unknown name. */
int hvt_outcome_parse(const char *name, enum hvt_outcome *out);

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

	/* set by hvt_case_error/skip or by the runner (timeout, crash) */
	bool errored, skipped, timed_out, flaky;
	char *reason;

	double start;	 /* wall clock, seconds since the epoch */
	double duration; /* seconds */
	double t0;	 /* monotonic start, for check/metric times */
};

struct hvt_case *hvt_case_new(const char *name, const char *shortname, const char *type);
void hvt_case_free(struct hvt_case *c);

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

/* Record a check: passed when ok. Returns ok, so that callers can branch. */
bool hvt_case_check(struct hvt_case *c, const char *name, bool ok, const char *fmt, ...)
	HVT_PRINTF(4, 5);
void hvt_case_check_skip(struct hvt_case *c, const char *name, const char *fmt, ...)
	HVT_PRINTF(3, 4);
void hvt_case_metric(struct hvt_case *c, const char *name, double value, const char *unit);
void hvt_case_artifact(struct hvt_case *c, const char *name, const char *path);
/* The case cannot reach a verdict (harness or system failure): outcome error. */
void hvt_case_error(struct hvt_case *c, const char *fmt, ...) HVT_PRINTF(2, 3);
/* The case cannot run here: outcome skip, with the reason. */
void hvt_case_skip(struct hvt_case *c, const char *fmt, ...) HVT_PRINTF(2, 3);

/*
 * The outcome: timeout if timed out; error if errored or if nothing at all
 * was recorded (no check, no skip: no verdict); skip if skipped or every
 * check skipped; fail if any check failed; otherwise pass.
 */
enum hvt_outcome hvt_case_outcome(const struct hvt_case *c);

/* Serialise the whole record (for the runner's case processes and --json). */
struct json_object *hvt_case_to_json(const struct hvt_case *c);
/* Rebuild a record; NULL with err set when the JSON is not a case record. */
struct hvt_case *hvt_case_from_json(struct json_object *obj, struct hvt_err *err);

#endif
