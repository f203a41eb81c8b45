// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A run of a plan: plan -> cases (shard, resume), the store's run record,
 * the runner, each case stored and streamed, the reports and the page.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hvt-config.h"
#include "plan.h"
#include "report.h"
#include "session.h"

/* What a session keeps while its cases run. */
struct session {
	const struct hvt_session_opts *o;
	struct hvt_session_result *r;
	struct hvt_store *store;
	struct hvt_report *tap;		/* streamed as cases finish */
	size_t store_errors;
};

static void problem(struct session *s, const char *fmt, ...) HVT_PRINTF(2, 3);

static void problem(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = hvt_vasprintf(fmt, ap);
	va_end(ap);
	s->r->problems++;
	if (s->o->on_problem)
		s->o->on_problem(msg, s->o->opaque);
	free(msg);
}

static int done_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct hvt_done_case *const *)a)->name,
		      (*(const struct hvt_done_case *const *)b)->name);
}

/* Settle c's dependencies on cases that ended in the resumed run (byname: sorted). */
static void settle(struct hvt_case *c, const struct hvt_done_case **byname, size_t n)
{
	for (size_t k = 0; k < c->ndeps; k++) {
		struct hvt_done_case key = { .name = c->deps[k].name };
		const struct hvt_done_case *kp = &key, *const *found;
		const struct hvt_done_case *d;

		found = bsearch(&kp, byname, n, sizeof(*byname), done_cmp);
		if (!found)
			continue;
		d = *found;
		c->deps[k].settled = true;
		c->deps[k].outcome = d->outcome;
		free(c->deps[k].dir);
		c->deps[k].dir = d->workdir ? realpath(d->workdir, NULL) : NULL;
		if (!c->deps[k].dir && d->workdir)
			c->deps[k].dir = hvt_strdup(d->workdir);
	}
}

/*
 * Keep of all (n of them) the cases of this shard that are not finished
 * in the resumed run (done); the others are freed. A dependency on a
 * finished case is settled: its outcome and directory from the store
 * (the runner still waits for it when it is a case of this run).
 */
static size_t pick(const struct hvt_session_opts *o, const struct hvt_store_done *done,
		   struct hvt_case **all, size_t n)
{
	long *pos = hvt_malloc(sizeof(*pos) * (n ? n : 1));
	const struct hvt_done_case **byname = NULL;
	size_t kept = 0, ndone = done ? done->n : 0;

	if (ndone) {
		byname = hvt_malloc(sizeof(*byname) * ndone);
		for (size_t i = 0; i < ndone; i++)
			byname[i] = &done->v[i];
		qsort(byname, ndone, sizeof(*byname), done_cmp);
	}
	hvt_runner_shard_positions(all, n, pos);
	for (size_t i = 0; i < n; i++) {
		struct hvt_case *c = all[i];

		if ((o->shard_n && !hvt_runner_in_shard(pos[i], o->shard_k, o->shard_n)) ||
		    (done && hvt_store_done_has(done, c->index, c->name))) {
			hvt_case_free(c);
			continue;
		}
		if (ndone)
			settle(c, byname, ndone);
		all[kept++] = c;
	}
	free(byname);
	free(pos);
	return kept;
}

/*
 * Each dependency of the cases as the full name of the case it stands for
 * (hvt_plan_dep_find()); a dependency that fits several cases is refused,
 * one that fits none is left as the plan wrote it (settled by an earlier
 * run's record, or refused by the runner).
 */
static int resolve_deps(struct hvt_case **cases, size_t n, struct hvt_err *err)
{
	const char **names = hvt_malloc(sizeof(*names) * (n ? n : 1));
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		names[i] = cases[i]->name;
	hvt_plan_names_sort(names, n);
	for (size_t i = 0; i < n && !ret; i++) {
		struct hvt_case *c = cases[i];

		for (size_t k = 0; k < c->ndeps && !ret; k++) {
			size_t nfit;
			long j = hvt_plan_dep_find(names, n, c->name, c->deps[k].name, &nfit);

			if (j >= 0 && strcmp(names[j], c->deps[k].name)) {
				free(c->deps[k].name);
				c->deps[k].name = hvt_strdup(names[j]);
			} else if (j < 0 && nfit > 1) {
				ret = hvt_err_set(err, -EINVAL, "case %s depends on %s, which "
						  "fits %zu cases: say which in the plan",
						  c->name, c->deps[k].name, nfit);
			}
		}
	}
	free(names);
	return ret;
}

/* The plan's cases, in order, skipping other shards and finished ones. */
static int expand(const struct hvt_session_opts *o, const struct hvt_store_done *done,
		  struct hvt_case ***out, size_t *n, long *total, struct hvt_err *err)
{
	struct hvt_plan *plan = hvt_plan_load(o->plan, err);
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;
	size_t alloc = 0;
	long pos = 0;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!plan)
		return err->code ? err->code : -EINVAL;
	for (size_t i = 0; i < o->nfilters; i++) {
		ret = hvt_plan_filter(plan, o->filters[i], err);
		if (ret)
			goto out;
	}
	it = hvt_plan_iter_new(plan);
	while ((ret = hvt_plan_iter_next(it, &v, err)) == 1) {
		const char *type = hvt_variant_get(v, "type");
		struct hvt_case *c;

		c = hvt_case_new(hvt_variant_name(v), hvt_variant_shortname(v), type ? type : "");
		c->index = pos++;
		for (size_t k = 0; k < hvt_variant_nkeys(v); k++)
			hvt_case_set_param(c, hvt_variant_key(v, k), hvt_variant_value(v, k));
		for (size_t k = 0; k < hvt_variant_ndeps(v); k++)
			hvt_case_add_dep(c, hvt_variant_dep(v, k));
		hvt_case_set_xfail(c, hvt_variant_get(v, "xfail"));
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			*out = hvt_realloc(*out, alloc * sizeof(**out));
		}
		(*out)[(*n)++] = c;
	}
	hvt_plan_iter_free(it);
	if (ret >= 0)
		ret = resolve_deps(*out, *n, err);
	if (ret >= 0)
		*n = pick(o, done, *out, *n);
	if (total)
		*total = pos;
out:
	hvt_plan_free(plan);
	if (ret < 0) {
		hvt_store_cases_free(*out, *n);
		*out = NULL;
		*n = 0;
		return ret;
	}
	return 0;
}

int hvt_session_cases(const struct hvt_session_opts *o, struct hvt_case ***cases, size_t *n,
		      long *total, struct hvt_err *err)
{
	return expand(o, NULL, cases, n, total, err);
}

/* Called by the runner for every finished attempt. */
static void on_done(struct hvt_case *c, bool final, void *opaque)
{
	struct session *s = opaque;
	struct hvt_err err = HVT_ERR_INIT;

	if (hvt_store_case_add(s->store, s->r->run_id, c, &err)) {
		problem(s, "storing %s: %s", c->name, err.msg);
		s->store_errors++;
	}
	if (s->o->on_case)
		s->o->on_case(c, final, s->o->opaque);
	if (!final)
		return;
	if (s->tap && hvt_report_case(s->tap, c, &err))
		problem(s, "TAP: %s", err.msg);
}

/*
 * A report of the whole run from the store, as "hvtest results export"
 * writes it later: the file path, or f when it is given.
 */
static int write_report(struct session *s, enum hvt_report_format fmt, const char *what,
			const char *path, FILE *f)
{
	struct hvt_err err = HVT_ERR_INIT;
	int ret;

	if (f)
		ret = hvt_report_run(s->store, s->r->run_id, fmt, &s->o->report, f, &err);
	else
		ret = hvt_report_run_file(s->store, s->r->run_id, fmt, &s->o->report, path, &err);
	if (ret)
		problem(s, "%s: %s", what, err.msg);
	return ret;
}

/*
 * RESULTS/run-N/report.html, from the store, so that the page of a resumed
 * run shows all of its cases. Its path, or NULL (and a problem) when it
 * could not be written.
 */
static char *write_page(struct session *s)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/report.html", s->r->workroot);

	if (hvt_mkdir_p(s->r->workroot, 0755, &err) ||
	    hvt_report_run_file(s->store, s->r->run_id, HVT_REPORT_HTML, NULL, path, &err)) {
		problem(s, "report page: %s", err.msg);
		free(path);
		return NULL;
	}
	return path;
}

/* What a new run's record says of this machine; buffers are the caller's. */
struct host {
	struct hvt_host_info info;
	char hostname[256];
	struct utsname uts;
};

static void host_init(struct host *h)
{
	memset(h, 0, sizeof(*h));
	if (gethostname(h->hostname, sizeof(h->hostname) - 1) == 0)
		h->info.hostname = h->hostname;
	if (uname(&h->uts) == 0)
		h->info.kernel = h->uts.release;
	h->info.hvtest_version = HVT_VERSION;
}

int hvt_session_run(const struct hvt_session_opts *o, struct hvt_session_result *r,
		    struct hvt_err *err)
{
	const char *results = o->results ? o->results : HVT_RESULTS_DIR_DEFAULT;
	struct session s = { .o = o, .r = r };
	struct hvt_store_done done = { 0 };
	struct hvt_run_info ri = { 0 }, stored = { 0 };
	const struct hvt_run_info *rip = &ri;
	struct hvt_runner_opts ro = o->runner;
	struct hvt_case **cases = NULL;
	struct host host;
	size_t ncases = 0;
	const struct hvt_runner_summary *sum = &r->sum;
	bool reports_failed = false;
	int ret;

	memset(r, 0, sizeof(*r));
	r->resumed = o->resume != NULL;
	s.store = hvt_store_open(results, err);
	if (!s.store)
		return err->code ? err->code : -EIO;
	if (o->resume) {
		ret = hvt_store_run_resolve(s.store, o->resume, &r->run_id, err);
		if (!ret)
			ret = hvt_store_run_get(s.store, r->run_id, &stored, err);
		if (!ret)
			ret = hvt_store_run_done(s.store, r->run_id, &done, err);
		if (ret) {
			hvt_err_prefix(err, "resuming run %s", o->resume);
			goto out;
		}
		rip = &stored;
	}
	ret = expand(o, o->resume ? &done : NULL, &cases, &ncases, &r->total, err);
	if (!ret)
		ret = hvt_runner_check(cases, ncases, err);
	if (ret)
		goto out;
	r->ncases = ncases;
	host_init(&host);
	if (o->host)
		o->host(&host.info, o->opaque);
	if (!o->resume) {
		ri.plan = o->plan;
		ri.filters = o->nfilters ? o->cmdline : "";
		ri.argv = o->cmdline;
		ri.total = (long)ncases;
		ri.pid = (int)getpid();
		ri.host = host.info;
		ret = hvt_store_run_begin(s.store, &ri, &r->run_id, err);
		if (ret)
			goto out;
		ri.id = r->run_id;
	}
	if (o->resume && strcmp(stored.plan ? stored.plan : "", o->plan))
		problem(&s, "warning: run %lld was of plan %s, not %s", (long long)r->run_id,
			stored.plan ? stored.plan : "?", o->plan);
	r->workroot = hvt_asprintf("%s/run-%lld", results, (long long)r->run_id);
	if (o->tap) {
		s.tap = hvt_report_new(HVT_REPORT_TAP, o->tap, &o->report);
		ret = hvt_report_begin(s.tap, rip, (long)ncases, err);
		if (ret) {
			hvt_err_prefix(err, "TAP");
			goto out;
		}
	}
	if (o->on_begin)
		o->on_begin(r, o->opaque);
	ro.workroot = r->workroot;
	ro.on_done = on_done;
	ro.opaque = &s;
	ret = hvt_runner_run(cases, ncases, &ro, &r->sum, err);
	if (ret)
		goto out;
	if (s.tap && hvt_report_end(s.tap, err))
		problem(&s, "TAP: %s", err->msg);
	hvt_err_clear(err);
	r->exit_status = s.store_errors ? 1 : 0;
	for (int oc = 0; oc < HVT_OUTCOME_COUNT; oc++)
		if (hvt_outcome_bad((enum hvt_outcome)oc) && sum->outcome[oc])
			r->exit_status = 1;
	/*
	 * The end is recorded first, so that the JUnit and JSON reports are
	 * those of the finished run (with all the cases of a resumed one), as
	 * "hvtest results export" writes them; a report that cannot be
	 * written makes the run fail, and that is recorded again.
	 */
	if (hvt_store_run_end(s.store, r->run_id, r->exit_status, err))
		problem(&s, "%s", err->msg);
	hvt_err_clear(err);
	if (o->junit && write_report(&s, HVT_REPORT_JUNIT, o->junit, o->junit, NULL))
		reports_failed = true;
	if (o->json && write_report(&s, HVT_REPORT_JSON, "JSON", NULL, o->json))
		reports_failed = true;
	if (reports_failed) {
		if (!r->exit_status && hvt_store_run_end(s.store, r->run_id, 1, err))
			problem(&s, "%s", err->msg);
		hvt_err_clear(err);
		r->exit_status = 1;
	}
	if (!o->no_page)
		r->page = write_page(&s);
out:
	hvt_store_cases_free(cases, ncases);
	hvt_report_free(s.tap);
	hvt_store_done_release(&done);
	hvt_run_info_release(&stored);
	hvt_store_close(s.store);
	return ret;
}

void hvt_session_result_release(struct hvt_session_result *r)
{
	free(r->workroot);
	free(r->page);
	memset(r, 0, sizeof(*r));
}
