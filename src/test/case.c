// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A test case's record: parameters, checks, metrics, artifacts, outcome,
 * and its JSON form (how a case process hands its record to the runner).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"

static const char *const outcome_names[] = {
	[HVT_PASS] = "pass", [HVT_FAIL] = "fail", [HVT_ERROR] = "error",
	[HVT_SKIP] = "skip", [HVT_TIMEOUT] = "timeout", [HVT_XFAIL] = "xfail",
	[HVT_XPASS] = "xpass",
};

const char *hvt_outcome_name(enum hvt_outcome o)
{
	if ((size_t)o >= HVT_ARRAY_SIZE(outcome_names))
		HVT_BUG("outcome %d", (int)o);
	return outcome_names[o];
}

int hvt_outcome_parse(const char *name, enum hvt_outcome *out)
{
	for (size_t i = 0; i < HVT_ARRAY_SIZE(outcome_names); i++) {
		if (!strcmp(name, outcome_names[i])) {
			*out = (enum hvt_outcome)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool hvt_outcome_bad(enum hvt_outcome o)
{
	return o == HVT_FAIL || o == HVT_ERROR || o == HVT_TIMEOUT || o == HVT_XPASS;
}

struct hvt_case *hvt_case_new(const char *name, const char *shortname, const char *type)
{
	struct hvt_case *c = hvt_zalloc(sizeof(*c));

	c->name = hvt_strdup(name);
	c->shortname = hvt_strdup(shortname ? shortname : name);
	c->type = hvt_strdup(type ? type : "");
	c->attempt = 1;
	c->start = hvt_wall_now();
	c->t0 = hvt_now();
	return c;
}

void hvt_case_free(struct hvt_case *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nparams; i++) {
		free(c->params[i].key);
		free(c->params[i].value);
	}
	for (size_t i = 0; i < c->nchecks; i++) {
		free(c->checks[i].name);
		free(c->checks[i].message);
	}
	for (size_t i = 0; i < c->nmetrics; i++) {
		free(c->metrics[i].name);
		free(c->metrics[i].unit);
	}
	for (size_t i = 0; i < c->nartifacts; i++) {
		free(c->artifacts[i].name);
		free(c->artifacts[i].path);
	}
	for (size_t i = 0; i < c->ndeps; i++) {
		free(c->deps[i].name);
		free(c->deps[i].dir);
	}
	free(c->deps);
	free(c->params);
	free(c->checks);
	free(c->metrics);
	free(c->artifacts);
	free(c->name);
	free(c->shortname);
	free(c->type);
	free(c->workdir);
	free(c->reason);
	free(c->xfail);
	free(c->host);
	free(c);
}

/* Grow an array of n elements of size sz by one (amortised: powers of two). */
static void *grow(void *arr, size_t n, size_t sz)
{
	if (n && (n & (n - 1)))
		return arr;
	return hvt_realloc(arr, (n ? n * 2 : 1) * sz);
}

void hvt_case_set_param(struct hvt_case *c, const char *key, const char *value)
{
	for (size_t i = 0; i < c->nparams; i++) {
		if (!strcmp(c->params[i].key, key)) {
			/* value may be the old one (a parameter set to itself) */
			char *old = c->params[i].value;

			c->params[i].value = hvt_strdup(value);
			free(old);
			return;
		}
	}
	c->params = grow(c->params, c->nparams, sizeof(*c->params));
	c->params[c->nparams].key = hvt_strdup(key);
	c->params[c->nparams].value = hvt_strdup(value);
	c->nparams++;
}

const char *hvt_case_param(const struct hvt_case *c, const char *key, const char *dflt)
{
	for (size_t i = 0; i < c->nparams; i++)
		if (!strcmp(c->params[i].key, key))
			return c->params[i].value;
	return dflt;
}

int hvt_case_param_int(const struct hvt_case *c, const char *key, long long dflt,
		       long long *out, struct hvt_err *err)
{
	const char *v = hvt_case_param(c, key, NULL);
	char *end;
	long long n;

	if (!v) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 0);
	if (errno || end == v || *end)
		return hvt_err_set(err, -EINVAL, "parameter %s = '%s' is not a whole number", key,
				   v);
	*out = n;
	return 0;
}

int hvt_case_param_double(const struct hvt_case *c, const char *key, double dflt,
			  double *out, struct hvt_err *err)
{
	const char *v = hvt_case_param(c, key, NULL);
	char *end;
	double d;

	if (!v) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d))
		return hvt_err_set(err, -EINVAL, "parameter %s = '%s' is not a number", key, v);
	*out = d;
	return 0;
}

int hvt_case_param_bool(const struct hvt_case *c, const char *key, bool dflt, bool *out,
			struct hvt_err *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	const char *v = hvt_case_param(c, key, NULL);

	if (!v) {
		*out = dflt;
		return 0;
	}
	for (size_t i = 0; i < HVT_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return hvt_err_set(err, -EINVAL, "parameter %s = '%s' is not yes/no", key, v);
}

void hvt_case_set_xfail(struct hvt_case *c, const char *reason)
{
	free(c->xfail);
	c->xfail = reason && *reason ? hvt_strdup(reason) : NULL;
}

/* Append a check with its message already made; returns it for its time. */
static struct hvt_check *push_check(struct hvt_case *c, const char *name, enum hvt_outcome st,
				    char *message)
{
	struct hvt_check *k;

	c->checks = grow(c->checks, c->nchecks, sizeof(*c->checks));
	k = &c->checks[c->nchecks++];
	k->name = hvt_strdup(name);
	k->status = st;
	k->message = message;
	k->t = hvt_now() - c->t0;
	return k;
}

static void add_check(struct hvt_case *c, const char *name, enum hvt_outcome st,
		      const char *fmt, va_list ap)
{
	push_check(c, name, st, fmt ? hvt_vasprintf(fmt, ap) : hvt_strdup(""));
}

static char *dup_or_null(const char *s)
{
	return s ? hvt_strdup(s) : NULL;
}

struct hvt_case_dep *hvt_case_add_dep(struct hvt_case *c, const char *dep)
{
	struct hvt_case_dep *d;

	for (size_t i = 0; i < c->ndeps; i++)
		if (!strcmp(c->deps[i].name, dep))
			return &c->deps[i];
	c->deps = grow(c->deps, c->ndeps, sizeof(*c->deps));
	d = &c->deps[c->ndeps++];
	memset(d, 0, sizeof(*d));
	d->name = hvt_strdup(dep);
	return d;
}

const char *hvt_case_dep_dir(const struct hvt_case *c, const char *dep)
{
	size_t len = strlen(dep);

	for (size_t i = 0; i < c->ndeps; i++)
		if (!strcmp(c->deps[i].name, dep))
			return c->deps[i].dir;
	for (size_t i = 0; i < c->ndeps; i++) {
		const char *n = c->deps[i].name;
		size_t nlen = strlen(n);

		if (nlen > len && n[nlen - len - 1] == '.' && !strcmp(n + nlen - len, dep))
			return c->deps[i].dir;
	}
	return NULL;
}

static void copy_deps(struct hvt_case *c, const struct hvt_case *t)
{
	for (size_t i = 0; i < t->ndeps; i++) {
		struct hvt_case_dep *d = hvt_case_add_dep(c, t->deps[i].name);

		d->dir = dup_or_null(t->deps[i].dir);
		d->settled = t->deps[i].settled;
		d->outcome = t->deps[i].outcome;
	}
}

struct hvt_case *hvt_case_copy(const struct hvt_case *t)
{
	struct hvt_case *c = hvt_case_new(t->name, t->shortname, t->type);

	c->index = t->index;
	c->attempt = t->attempt;
	c->workdir = dup_or_null(t->workdir);
	for (size_t i = 0; i < t->nparams; i++)
		hvt_case_set_param(c, t->params[i].key, t->params[i].value);
	for (size_t i = 0; i < t->nchecks; i++)
		push_check(c, t->checks[i].name, t->checks[i].status,
			   hvt_strdup(t->checks[i].message))->t = t->checks[i].t;
	for (size_t i = 0; i < t->nmetrics; i++) {
		hvt_case_metric(c, t->metrics[i].name, t->metrics[i].value, t->metrics[i].unit);
		c->metrics[i].t = t->metrics[i].t;
	}
	for (size_t i = 0; i < t->nartifacts; i++)
		hvt_case_artifact(c, t->artifacts[i].name, t->artifacts[i].path);
	copy_deps(c, t);
	c->errored = t->errored;
	c->skipped = t->skipped;
	c->timed_out = t->timed_out;
	c->flaky = t->flaky;
	c->reason = dup_or_null(t->reason);
	c->xfail = dup_or_null(t->xfail);
	c->host = dup_or_null(t->host);
	c->start = t->start;
	c->duration = t->duration;
	c->t0 = t->t0;
	return c;
}

bool hvt_case_check(struct hvt_case *c, const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_check(c, name, ok ? HVT_PASS : HVT_FAIL, fmt, ap);
	va_end(ap);
	return ok;
}

void hvt_case_check_skip(struct hvt_case *c, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_check(c, name, HVT_SKIP, fmt, ap);
	va_end(ap);
}

void hvt_case_require(struct hvt_case *c, const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_check(c, name, ok ? HVT_PASS : HVT_FAIL, fmt, ap);
	va_end(ap);
	if (!ok)
		hvt_case_end(c);
}

void hvt_case_metric(struct hvt_case *c, const char *name, double value, const char *unit)
{
	struct hvt_metric *m;

	c->metrics = grow(c->metrics, c->nmetrics, sizeof(*c->metrics));
	m = &c->metrics[c->nmetrics++];
	m->name = hvt_strdup(name);
	m->value = value;
	m->unit = hvt_strdup(unit ? unit : "");
	m->t = hvt_now() - c->t0;
}

void hvt_case_artifact(struct hvt_case *c, const char *name, const char *path)
{
	c->artifacts = grow(c->artifacts, c->nartifacts, sizeof(*c->artifacts));
	c->artifacts[c->nartifacts].name = hvt_strdup(name);
	c->artifacts[c->nartifacts].path = hvt_strdup(path);
	c->nartifacts++;
}

static void set_reason(struct hvt_case *c, const char *fmt, va_list ap)
{
	/* the first reason is the cause; later ones are consequences */
	if (!c->reason)
		c->reason = hvt_vasprintf(fmt, ap);
}

static void set_error(struct hvt_case *c, const char *fmt, va_list ap)
{
	c->errored = true;
	set_reason(c, fmt, ap);
}

void hvt_case_error(struct hvt_case *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(c, fmt, ap);
	va_end(ap);
}

void hvt_case_fatal(struct hvt_case *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(c, fmt, ap);
	va_end(ap);
	hvt_case_end(c);
}

void hvt_case_skip(struct hvt_case *c, const char *fmt, ...)
{
	va_list ap;

	c->skipped = true;
	va_start(ap, fmt);
	set_reason(c, fmt, ap);
	va_end(ap);
}

/* The outcome as if no failure were expected. */
static enum hvt_outcome verdict(const struct hvt_case *c)
{
	size_t fails = 0, skips = 0;

	if (c->timed_out)
		return HVT_TIMEOUT;
	if (c->errored)
		return HVT_ERROR;
	for (size_t i = 0; i < c->nchecks; i++) {
		fails += c->checks[i].status == HVT_FAIL;
		skips += c->checks[i].status == HVT_SKIP;
	}
	if (fails)
		return HVT_FAIL;
	if (c->skipped)
		return HVT_SKIP;
	if (!c->nchecks)
		return HVT_ERROR; /* no verdict */
	return skips == c->nchecks ? HVT_SKIP : HVT_PASS;
}

enum hvt_outcome hvt_case_outcome(const struct hvt_case *c)
{
	enum hvt_outcome o = verdict(c);

	if (c->xfail && o == HVT_FAIL)
		return HVT_XFAIL;
	if (c->xfail && o == HVT_PASS)
		return HVT_XPASS;
	return o;
}

/* "deps": [{"name": N, "dir": D}...], for a case that has dependencies. */
static void deps_to_json(const struct hvt_case *c, struct json_object *o)
{
	struct json_object *arr;

	if (!c->ndeps)
		return;
	arr = json_object_new_array();
	for (size_t i = 0; i < c->ndeps; i++) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "name", json_object_new_string(c->deps[i].name));
		if (c->deps[i].dir)
			json_object_object_add(d, "dir", json_object_new_string(c->deps[i].dir));
		json_object_array_add(arr, d);
	}
	json_object_object_add(o, "deps", arr);
}

/* The "deps" of a record into c: -EBADMSG when an entry has no name. */
static int deps_from_json(struct hvt_case *c, struct json_object *arr)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *d = json_object_array_get_idx(arr, i);
		const char *n = hvt_json_get_str(d, "name"), *dir = hvt_json_get_str(d, "dir");
		struct hvt_case_dep *dep;

		if (!n)
			return -EBADMSG;
		dep = hvt_case_add_dep(c, n);
		free(dep->dir);
		dep->dir = dir ? hvt_strdup(dir) : NULL;
	}
	return 0;
}

struct json_object *hvt_case_to_json(const struct hvt_case *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *params = json_object_new_array();
	struct json_object *checks = json_object_new_array();
	struct json_object *metrics = json_object_new_array();
	struct json_object *arts = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "shortname", json_object_new_string(c->shortname));
	json_object_object_add(o, "type", json_object_new_string(c->type));
	json_object_object_add(o, "index", json_object_new_int64(c->index));
	json_object_object_add(o, "attempt", json_object_new_int(c->attempt));
	json_object_object_add(o, "outcome",
			       json_object_new_string(hvt_outcome_name(hvt_case_outcome(c))));
	json_object_object_add(o, "errored", json_object_new_boolean(c->errored));
	json_object_object_add(o, "skipped", json_object_new_boolean(c->skipped));
	json_object_object_add(o, "timed_out", json_object_new_boolean(c->timed_out));
	json_object_object_add(o, "flaky", json_object_new_boolean(c->flaky));
	if (c->reason)
		json_object_object_add(o, "reason", json_object_new_string(c->reason));
	if (c->xfail)
		json_object_object_add(o, "xfail", json_object_new_string(c->xfail));
	if (c->workdir)
		json_object_object_add(o, "workdir", json_object_new_string(c->workdir));
	if (c->host)
		json_object_object_add(o, "host", json_object_new_string(c->host));
	json_object_object_add(o, "start", json_object_new_double(c->start));
	json_object_object_add(o, "duration", json_object_new_double(c->duration));
	for (size_t i = 0; i < c->nparams; i++) {
		struct json_object *p = json_object_new_array();

		json_object_array_add(p, json_object_new_string(c->params[i].key));
		json_object_array_add(p, json_object_new_string(c->params[i].value));
		json_object_array_add(params, p);
	}
	json_object_object_add(o, "params", params);
	for (size_t i = 0; i < c->nchecks; i++) {
		struct json_object *k = json_object_new_object();

		json_object_object_add(k, "name", json_object_new_string(c->checks[i].name));
		json_object_object_add(k, "status",
				       json_object_new_string(hvt_outcome_name(c->checks[i].status)));
		json_object_object_add(k, "message", json_object_new_string(c->checks[i].message));
		json_object_object_add(k, "t", json_object_new_double(c->checks[i].t));
		json_object_array_add(checks, k);
	}
	json_object_object_add(o, "checks", checks);
	for (size_t i = 0; i < c->nmetrics; i++) {
		struct json_object *m = json_object_new_object();

		json_object_object_add(m, "name", json_object_new_string(c->metrics[i].name));
		json_object_object_add(m, "value", json_object_new_double(c->metrics[i].value));
		json_object_object_add(m, "unit", json_object_new_string(c->metrics[i].unit));
		json_object_object_add(m, "t", json_object_new_double(c->metrics[i].t));
		json_object_array_add(metrics, m);
	}
	json_object_object_add(o, "metrics", metrics);
	for (size_t i = 0; i < c->nartifacts; i++) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(a, "name", json_object_new_string(c->artifacts[i].name));
		json_object_object_add(a, "path", json_object_new_string(c->artifacts[i].path));
		json_object_array_add(arts, a);
	}
	json_object_object_add(o, "artifacts", arts);
	deps_to_json(c, o);
	return o;
}

static const char *need_str(struct json_object *o, const char *key, struct hvt_err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
		hvt_err_set(err, -EBADMSG, "case record: '%s' missing or not a string", key);
		return NULL;
	}
	return json_object_get_string(v);
}

static double get_num(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_double(v);
}

static struct json_object *get_array(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array))
		return v;
	return NULL;
}

struct hvt_case *hvt_case_from_json(struct json_object *obj, struct hvt_err *err)
{
	const char *name, *shortname, *type, *s;
	struct json_object *arr;
	struct hvt_case *c;

	if (!obj || !json_object_is_type(obj, json_type_object)) {
		hvt_err_set(err, -EBADMSG, "case record is not a JSON object");
		return NULL;
	}
	name = need_str(obj, "name", err);
	shortname = name ? need_str(obj, "shortname", err) : NULL;
	type = shortname ? need_str(obj, "type", err) : NULL;
	if (!type)
		return NULL;
	c = hvt_case_new(name, shortname, type);
	c->index = (long)hvt_json_get_int(obj, "index", 0);
	c->attempt = (int)hvt_json_get_int(obj, "attempt", 1);
	c->errored = hvt_json_get_bool(obj, "errored", false);
	c->skipped = hvt_json_get_bool(obj, "skipped", false);
	c->timed_out = hvt_json_get_bool(obj, "timed_out", false);
	c->flaky = hvt_json_get_bool(obj, "flaky", false);
	if ((s = hvt_json_get_str(obj, "reason")))
		c->reason = hvt_strdup(s);
	hvt_case_set_xfail(c, hvt_json_get_str(obj, "xfail"));
	if ((s = hvt_json_get_str(obj, "workdir")))
		c->workdir = hvt_strdup(s);
	if ((s = hvt_json_get_str(obj, "host")))
		c->host = hvt_strdup(s);
	c->start = get_num(obj, "start");
	c->duration = get_num(obj, "duration");
	if ((arr = get_array(obj, "params"))) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *p = json_object_array_get_idx(arr, i);

			if (!json_object_is_type(p, json_type_array) ||
			    json_object_array_length(p) != 2)
				goto bad;
			hvt_case_set_param(c, json_object_get_string(json_object_array_get_idx(p, 0)),
					   json_object_get_string(json_object_array_get_idx(p, 1)));
		}
	}
	if ((arr = get_array(obj, "checks"))) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *k = json_object_array_get_idx(arr, i);
			const char *kn = hvt_json_get_str(k, "name");
			const char *ks = hvt_json_get_str(k, "status");
			const char *km = hvt_json_get_str(k, "message");
			enum hvt_outcome st;

			if (!kn || !ks || hvt_outcome_parse(ks, &st) ||
			    (st != HVT_PASS && st != HVT_FAIL && st != HVT_SKIP))
				goto bad;
			push_check(c, kn, st, hvt_strdup(km ? km : ""))->t = get_num(k, "t");
		}
	}
	if ((arr = get_array(obj, "metrics"))) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *m = json_object_array_get_idx(arr, i);
			const char *mn = hvt_json_get_str(m, "name");

			if (!mn)
				goto bad;
			hvt_case_metric(c, mn, get_num(m, "value"), hvt_json_get_str(m, "unit"));
			c->metrics[c->nmetrics - 1].t = get_num(m, "t");
		}
	}
	if ((arr = get_array(obj, "artifacts"))) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *a = json_object_array_get_idx(arr, i);
			const char *an = hvt_json_get_str(a, "name"), *ap = hvt_json_get_str(a, "path");

			if (!an || !ap)
				goto bad;
			hvt_case_artifact(c, an, ap);
		}
	}
	if (deps_from_json(c, get_array(obj, "deps")))
		goto bad;
	return c;
bad:
	hvt_err_set(err, -EBADMSG, "case record of %s: malformed params, checks, metrics, "
				   "artifacts or deps",
		    name);
	hvt_case_free(c);
	return NULL;
}
