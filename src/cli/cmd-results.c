// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest results: list the runs of a results directory, show one run's
 * cases, export a run as TAP, JUnit XML, JSON or HTML, compare two runs,
 * draw a run's guest support matrix.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "diff.h"
#include "matrix.h"
#include "merge.h"
#include "report.h"
#include "session.h"
#include "store.h"

static const char results_help[] =
	"usage: hvtest results [--results DIR] list\n"
	"       hvtest results [--results DIR] show RUN [--json | --tap | --junit FILE |\n"
	"                                              --html FILE] [--checks]\n"
	"       hvtest results [--results DIR] export RUN --tap | --junit | --json | --html\n"
	"                                              [--tap-version V] [FILE]\n"
	"       hvtest results [--results DIR] diff [--metric-threshold PCT] RUN_A RUN_B\n"
	"       hvtest results [--results DIR] matrix RUN [--json | --html FILE [--page URL]]\n"
	"       hvtest results [--results DIR] rm RUN...\n"
	"       hvtest results [--results DIR] prune --keep N\n"
	"       hvtest results [--results DIR] merge [--plan PLAN] SHARD_DIR...\n"
	"\n"
	"List, show, compare and delete the runs stored in DIR/" HVT_STORE_FILE ".\n"
	"A RUN is a run id, 'latest' or 'latest~N' (the Nth run before the latest).\n"
	"\n"
	"  list                 runs, newest first: id, start, plan, counts, status\n"
	"  show RUN             the run's cases with their outcome and failed checks\n"
	"  export RUN [FILE]    the run as a report into FILE (default or '-':\n"
	"                       stdout): the same file 'hvtest run' writes, with\n"
	"                       every case the run has stored\n"
	"  diff RUN_A RUN_B     new failures, fixes, other changes, flaky cases, cases\n"
	"                       in only one run, metric changes (B compared with A)\n"
	"  matrix RUN           the guest support matrix: cases with the plan keys\n"
	"                       matrix_guest, matrix_config, matrix_phase as guests x\n"
	"                       configurations x install/boot (docs/MATRIX.md)\n"
	"  rm RUN...            delete runs: their records and their directories\n"
	"                       DIR/run-N (work directories, report page)\n"
	"  prune --keep N       delete all but the newest N runs\n"
	"  merge SHARD_DIR...   merge the latest run of each results directory (the\n"
	"                       shards of a plan run on several hosts) into a new\n"
	"                       run of DIR: every case once (the first directory\n"
	"                       given wins an overlap), its host recorded, its work\n"
	"                       directory linked; overlaps and missing cases listed\n"
	"                       (with --plan PLAN, missing from the whole plan);\n"
	"                       exits 1 when a case is missing or ended bad\n"
	"\n"
	"Options:\n"
	"  --results DIR        results directory (default: ./" HVT_RESULTS_DIR_DEFAULT ")\n"
	"  --json               export: the run as one JSON document\n"
	"  --tap                export: the run as TAP\n"
	"  --tap-version V      export: TAP version 13 (the default) or 14\n"
	"  --junit              export: the run as JUnit XML\n"
	"  --html               export: the run as an HTML page, with charts of\n"
	"                       metrics sampled more than once\n"
	"  --json, --tap        show: as export, on stdout\n"
	"  --junit FILE, --html FILE\n"
	"                       show: as export, into FILE ('-': stdout)\n"
	"  --all-attempts       show: every attempt of rerun cases, not only the last\n"
	"  --checks             show: every check of each case, not only failed ones\n"
	"  --metric-threshold PCT\n"
	"                       diff: list metric changes of at least PCT percent\n"
	"                       (default: 10)\n"
	"  --json               matrix: as a JSON document on stdout\n"
	"  --html FILE          matrix: as an HTML page into FILE ('-': stdout), its\n"
	"                       marks linking to the run's page\n"
	"  --page URL           matrix --html: the run's page the marks link to\n"
	"                       (default: file://DIR/run-N/report.html)\n"
	"  --keep N             prune: how many of the newest runs to keep\n"
	"  --plan PLAN          merge: the plan the shards ran (its cases are the\n"
	"                       ones the merged run should have)\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0; 1 on an error, and for 'diff' when there are new failures;\n"
	"2 on bad usage.\n";

enum {
	OPT_RESULTS = 0x100, OPT_JSON, OPT_TAP, OPT_TAP_VERSION, OPT_JUNIT, OPT_HTML,
	OPT_THRESHOLD, OPT_ALL_ATTEMPTS, OPT_KEEP, OPT_CHECKS, OPT_PAGE,
};

struct results_opts {
	const char *dir;
	enum hvt_report_format fmt;
	bool report;
	struct hvt_report_opts ropts;
	const char *file; /* show --junit/--html FILE */
	bool all_attempts;
	bool all_checks; /* show --checks */
	double threshold;
	long keep; /* prune: runs to keep, -1 unset */
	const char *page; /* matrix --html: the run page's URL */
};

static void fmt_time(char *buf, size_t len, double t)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (!(t > 0) || !localtime_r(&secs, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		hvt_snprintf(buf, len, "-");
}

/* What became of a run: exit status when it ended, else running or killed. */
static void run_status(const struct hvt_run_info *ri, char *buf, size_t len)
{
	if (ri->exit_status >= 0)
		hvt_snprintf(buf, len, ri->exit_status ? "exit %d" : "ok", ri->exit_status);
	else if (ri->pid > 0 && (kill(ri->pid, 0) == 0 || errno == EPERM))
		hvt_snprintf(buf, len, "running");
	else
		hvt_snprintf(buf, len, "aborted");
}

static int do_list(struct hvt_store *s)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info *runs;
	size_t n;

	if (hvt_store_runs_list(s, &runs, &n, &err))
		return cli_fail(&err, "results list");
	if (!n) {
		printf("no runs in %s\n", hvt_store_path(s));
		hvt_store_runs_free(runs, n);
		return 0;
	}
	printf("%5s  %-19s  %-28s %5s %5s %5s %5s %5s %5s %5s %7s  %s\n", "RUN", "STARTED",
	       "PLAN", "PASS", "FAIL", "ERROR", "SKIP", "TMOUT", "XFAIL", "XPASS", "CASES",
	       "STATUS");
	for (size_t i = 0; i < n; i++) {
		const struct hvt_run_info *ri = &runs[i];
		char started[32], status[32], cases[32];

		fmt_time(started, sizeof(started), ri->started);
		run_status(ri, status, sizeof(status));
		if (ri->total >= 0)
			hvt_snprintf(cases, sizeof(cases), "%ld/%ld", ri->ncases, ri->total);
		else
			hvt_snprintf(cases, sizeof(cases), "%ld", ri->ncases);
		printf("%5lld  %-19s  %-28s %5ld %5ld %5ld %5ld %5ld %5ld %5ld %7s  %s\n",
		       (long long)ri->id, started, ri->plan ? ri->plan : "-",
		       ri->counts[HVT_PASS], ri->counts[HVT_FAIL], ri->counts[HVT_ERROR],
		       ri->counts[HVT_SKIP], ri->counts[HVT_TIMEOUT], ri->counts[HVT_XFAIL],
		       ri->counts[HVT_XPASS], cases, status);
	}
	hvt_store_runs_free(runs, n);
	return 0;
}

static int write_report(const struct results_opts *o, const struct hvt_run_info *ri,
			struct hvt_case **cases, size_t n)
{
	struct hvt_err err = HVT_ERR_INIT;
	FILE *f = stdout;
	int ret;

	if (o->file && strcmp(o->file, "-")) {
		f = fopen(o->file, "w");
		if (!f) {
			cli_error("cannot write %s: %s", o->file, strerror(errno));
			return CLI_EXIT_FAIL;
		}
	}
	ret = hvt_report_write(o->fmt, &o->ropts, f, ri, cases, n, &err);
	if (f != stdout && fclose(f) && !ret)
		ret = hvt_err_set(&err, -errno, "closing %s: %s", o->file, strerror(errno));
	return ret ? cli_fail(&err, "results show") : 0;
}

static int do_show(struct hvt_store *s, const struct results_opts *o, const char *ref)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info ri;
	struct hvt_case **cases = NULL;
	char started[32], status[32];
	size_t n = 0;
	int64_t id;
	int ret = CLI_EXIT_FAIL;

	if (hvt_store_run_resolve(s, ref, &id, &err))
		return cli_fail(&err, "results show");
	if (hvt_store_run_get(s, id, &ri, &err))
		return cli_fail(&err, "results show");
	if (hvt_store_run_cases(s, id, o->all_attempts, &cases, &n, &err)) {
		ret = cli_fail(&err, "results show");
		goto out;
	}
	if (o->report) {
		ret = write_report(o, &ri, cases, n);
		goto out;
	}
	fmt_time(started, sizeof(started), ri.started);
	run_status(&ri, status, sizeof(status));
	printf("run %lld  %s  %s  (%s)\n", (long long)ri.id, started, ri.plan ? ri.plan : "-",
	       status);
	if (ri.host.hostname || ri.host.qemu_version)
		printf("host %s, kernel %s, QEMU %s, %s%s%s%s\n",
		       ri.host.hostname ? ri.host.hostname : "?", ri.host.kernel ? ri.host.kernel : "?",
		       ri.host.qemu_version ? ri.host.qemu_version : "?",
		       ri.host.accel ? ri.host.accel : "?", ri.host.accel_reason ? " (" : "",
		       ri.host.accel_reason ? ri.host.accel_reason : "",
		       ri.host.accel_reason ? ")" : "");
	if (ri.filters && *ri.filters)
		printf("filters: %s\n", ri.filters);
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		const struct hvt_case *c = cases[i];
		enum hvt_outcome oc = hvt_case_outcome(c);

		printf("%-7s %5ld  %s", hvt_outcome_name(oc), c->index, c->name);
		if (c->attempt > 1)
			printf("  (attempt %d%s)", c->attempt, c->flaky ? ", flaky" : "");
		printf("  %.1fs", isfinite(c->duration) ? c->duration : 0.0);
		if (c->host)
			printf("  on %s", c->host);
		putchar('\n');
		if (c->reason && oc != HVT_PASS)
			printf("          %s\n", c->reason);
		if (oc == HVT_XFAIL || oc == HVT_XPASS)
			printf("          %s: %s\n", oc == HVT_XFAIL ? "expected failure"
							   : "passed, but expected to fail",
			       c->xfail);
		for (size_t k = 0; k < c->nchecks; k++)
			if (c->checks[k].status == HVT_FAIL)
				printf("          check %s: %s\n", c->checks[k].name,
				       c->checks[k].message);
			else if (o->all_checks)
				printf("          %s %s: %s\n", hvt_outcome_name(c->checks[k].status),
				       c->checks[k].name, c->checks[k].message);
		if (oc != HVT_PASS && oc != HVT_SKIP && c->workdir)
			printf("          work directory: %s\n", c->workdir);
	}
	printf("\n%zu cases: %ld pass, %ld fail, %ld error, %ld skip, %ld timeout, %ld xfail, "
	       "%ld xpass\n", n, ri.counts[HVT_PASS], ri.counts[HVT_FAIL], ri.counts[HVT_ERROR],
	       ri.counts[HVT_SKIP], ri.counts[HVT_TIMEOUT], ri.counts[HVT_XFAIL],
	       ri.counts[HVT_XPASS]);
	ret = 0;
out:
	hvt_store_cases_free(cases, n);
	hvt_run_info_release(&ri);
	return ret;
}

/* The run as a report, the way "hvtest run" writes it at its end. */
static int do_export(struct hvt_store *s, const struct results_opts *o, const char *ref,
		     const char *file)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t id;
	int ret;

	if (hvt_store_run_resolve(s, ref, &id, &err))
		return cli_fail(&err, "results export");
	if (!file || !strcmp(file, "-")) {
		ret = hvt_report_run(s, id, o->fmt, &o->ropts, stdout, &err);
		if (!ret && (fflush(stdout) || ferror(stdout)))
			ret = hvt_err_set(&err, -EIO, "writing to stdout failed");
	} else {
		ret = hvt_report_run_file(s, id, o->fmt, &o->ropts, file, &err);
	}
	return ret ? cli_fail(&err, "results export") : 0;
}

/* The run page's URL the marks of a matrix page link to (caller frees). */
static char *run_page_url(const struct results_opts *o, int64_t id)
{
	char *abs = realpath(o->dir, NULL), *path, *url;
	struct hvt_buf b = HVT_BUF_INIT;

	if (o->page)
		return hvt_strdup(o->page);
	path = hvt_asprintf("%s/run-%lld/report.html", abs ? abs : o->dir, (long long)id);
	if (!hvt_path_exists(path))
		cli_error("warning: %s does not exist (write it with 'hvtest results export "
			  "%lld --html %s'): the matrix links to it", path, (long long)id, path);
	hvt_buf_addf(&b, "file://");
	hvt_report_url_path(&b, path);
	url = hvt_strdup(b.p);
	hvt_buf_release(&b);
	free(path);
	free(abs);
	return url;
}

/* The guest support matrix of a run: a table, JSON, or an HTML page. */
static int do_matrix(struct hvt_store *s, const struct results_opts *o, const char *ref)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_matrix *m;
	int64_t id;
	int ret = 0;

	if (hvt_store_run_resolve(s, ref, &id, &err) || hvt_matrix_from_store(s, id, &m, &err))
		return cli_fail(&err, "results matrix");
	if (!hvt_matrix_ncases(m)) {
		for (size_t i = 0; i < hvt_matrix_nproblems(m); i++)
			cli_error("%s", hvt_matrix_problem(m, i));
		cli_error("run %lld has no case with the plan keys %s, %s and %s: no matrix "
			  "(docs/MATRIX.md)", (long long)id, HVT_MATRIX_KEY_GUEST,
			  HVT_MATRIX_KEY_CONFIG, HVT_MATRIX_KEY_PHASE);
		hvt_matrix_free(m);
		return CLI_EXIT_FAIL;
	}
	if (o->report && o->fmt == HVT_REPORT_JSON) {
		struct json_object *doc = hvt_matrix_json(m, id);

		puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
	} else if (o->report) {
		struct hvt_buf b = HVT_BUF_INIT;
		char *url = run_page_url(o, id), *title;
		struct hvt_matrix_links l = { .page = url };
		FILE *f = stdout;

		title = hvt_asprintf("hvtest run %lld: guest support matrix", (long long)id);
		hvt_matrix_html_page(&b, m, title, &l);
		if (o->file && strcmp(o->file, "-"))
			ret = hvt_file_write(o->file, b.p, b.len, &err);
		else if (fwrite(b.p, 1, b.len, f) != b.len)
			ret = hvt_err_set(&err, -EIO, "writing to stdout failed");
		if (ret)
			ret = cli_fail(&err, "results matrix");
		hvt_buf_release(&b);
		free(title);
		free(url);
	} else {
		hvt_matrix_text(m, stdout);
	}
	if (!ret && (fflush(stdout) || ferror(stdout))) {
		cli_error("results matrix: writing to stdout failed");
		ret = CLI_EXIT_FAIL;
	}
	hvt_matrix_free(m);
	return ret;
}

static void print_change(double change)
{
	if (isinf(change))
		printf("%s", change > 0 ? "+inf" : "-inf");
	else
		printf("%+.1f%%", change * 100);
}

/*
 * Delete a run from the store, then its directory; a running run is left
 * alone. Returns -1 when the run stays, 1 when it left the store but its
 * directory could not be removed, 0 when it is gone.
 */
static int remove_run(struct hvt_store *s, const struct results_opts *o,
		      const struct hvt_run_info *ri)
{
	struct hvt_err err = HVT_ERR_INIT;
	char status[32], *dir;
	int ret = 0, rc;

	run_status(ri, status, sizeof(status));
	if (!strcmp(status, "running")) {
		cli_error("run %lld is still running (pid %d): not removed", (long long)ri->id,
			  ri->pid);
		return -1;
	}
	if (hvt_store_run_delete(s, ri->id, &err)) {
		cli_fail(&err, "results");
		return -1;
	}
	dir = hvt_asprintf("%s/run-%lld", o->dir, (long long)ri->id);
	if (hvt_path_exists(dir) && (rc = hvt_rm_rf(dir))) {
		cli_error("run %lld left the store, but %s could not be removed: %s",
			  (long long)ri->id, dir, strerror(-rc));
		ret = 1;
	}
	printf("removed run %lld (%s, %ld case%s)\n", (long long)ri->id, ri->plan ? ri->plan : "-",
	       ri->ncases, ri->ncases == 1 ? "" : "s");
	free(dir);
	return ret;
}

/* Every reference is resolved before anything is deleted. */
static int do_rm(struct hvt_store *s, const struct results_opts *o, char **refs, int n)
{
	struct hvt_err err = HVT_ERR_INIT;
	int64_t *ids = hvt_zalloc((size_t)n * sizeof(*ids));
	int ret = 0;

	for (int i = 0; i < n; i++) {
		if (hvt_store_run_resolve(s, refs[i], &ids[i], &err)) {
			free(ids);
			return cli_fail(&err, "results rm");
		}
		for (int k = 0; k < i; k++)
			if (ids[k] == ids[i])
				ids[i] = -1; /* named twice */
	}
	/* a run that cannot go (still running) does not keep the others */
	for (int i = 0; i < n; i++) {
		struct hvt_run_info ri;

		if (ids[i] < 0)
			continue;
		if (hvt_store_run_get(s, ids[i], &ri, &err)) {
			ret = cli_fail(&err, "results rm");
			continue;
		}
		if (remove_run(s, o, &ri))
			ret = CLI_EXIT_FAIL;
		hvt_run_info_release(&ri);
	}
	free(ids);
	return ret;
}

static int do_prune(struct hvt_store *s, const struct results_opts *o)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info *runs;
	size_t n, removed = 0;
	int ret = 0;

	if (hvt_store_runs_list(s, &runs, &n, &err))
		return cli_fail(&err, "results prune");
	for (size_t i = (size_t)o->keep; i < n; i++) {
		int rc = remove_run(s, o, &runs[i]);

		if (rc)
			ret = CLI_EXIT_FAIL;
		if (rc >= 0)
			removed++;
	}
	printf("kept %zu run%s, removed %zu\n", n - removed, n - removed == 1 ? "" : "s",
	       removed);
	hvt_store_runs_free(runs, n);
	return ret;
}

static int do_diff(struct hvt_store *s, const struct results_opts *o, const char *ref_a,
		   const char *ref_b)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_diff d;
	int64_t a, b;
	int kind = -1;

	if (hvt_store_run_resolve(s, ref_a, &a, &err) || hvt_store_run_resolve(s, ref_b, &b, &err))
		return cli_fail(&err, "results diff");
	if (hvt_diff_runs(s, a, b, o->threshold, &d, &err))
		return cli_fail(&err, "results diff");
	printf("A = run %lld, B = run %lld\n", (long long)a, (long long)b);
	if (!d.n)
		printf("\nno differences (metric threshold %g%%)\n", o->threshold);
	for (size_t i = 0; i < d.n; i++) {
		const struct hvt_diff_entry *e = &d.v[i];

		if ((int)e->kind != kind) {
			kind = (int)e->kind;
			printf("\n%s (%zu):\n", hvt_diff_kind_name(e->kind),
			       hvt_diff_count(&d, e->kind));
		}
		switch (e->kind) {
		case HVT_DIFF_METRIC:
			printf("  %s  %s: %g -> %g%s%s (", e->name, e->metric, e->va, e->vb,
			       *e->unit ? " " : "", e->unit);
			print_change(e->change);
			printf(")\n");
			continue;
		case HVT_DIFF_ONLY_A:
		case HVT_DIFF_ONLY_B:
			printf("  %-7s %s\n", hvt_outcome_name(e->a), e->name);
			break;
		default:
			printf("  %s -> %s  %s\n", hvt_outcome_name(e->a), hvt_outcome_name(e->b),
			       e->name);
		}
		if (e->reason)
			printf("      %s\n", e->reason);
	}
	kind = hvt_diff_count(&d, HVT_DIFF_NEW_FAILURE) ? CLI_EXIT_FAIL : 0;
	hvt_diff_release(&d);
	return kind;
}

static int set_format(struct results_opts *o, enum hvt_report_format fmt)
{
	if (o->report)
		return cli_usage_error("results",
				       "--json, --tap, --junit and --html exclude each other");
	o->report = true;
	o->fmt = fmt;
	return 0;
}

/*
 * The verb, found before the options are parsed: export's --junit and
 * --html take no FILE (it comes after RUN), show's do. Options that take
 * a value are stepped over with it; the verb comes before export's.
 */
static const char *find_verb(int argc, char **argv)
{
	static const char *const with_value[] = { "--results", "--junit", "--html", "--keep",
						  "--metric-threshold", "--tap-version",
						  "--page", "--plan" };

	for (int i = 1; i < argc; i++) {
		bool skip = false;

		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][0] != '-' || !argv[i][1])
			return argv[i];
		for (size_t k = 0; k < HVT_ARRAY_SIZE(with_value); k++)
			skip = skip || !strcmp(argv[i], with_value[k]);
		if (skip)
			i++;
	}
	return NULL;
}

static int results_verbs(int argc, char **argv, const char *pre, bool exporting);

/* What a merge did: overlaps, gaps, hosts, the run. */
static void print_merge(const struct hvt_merge_result *r, const char *dir)
{
	for (size_t i = 0; i < r->noverlaps; i++) {
		const struct hvt_merge_overlap *ov = &r->overlaps[i];

		printf("overlap %5ld  %s: kept %s (%s), dropped %s (%s)\n", ov->index, ov->name,
		       ov->kept, hvt_outcome_name(ov->kept_outcome), ov->dropped,
		       hvt_outcome_name(ov->dropped_outcome));
	}
	for (size_t i = 0; i < r->ngaps; i++)
		printf("missing %5ld  %s\n", r->gaps[i].index,
		       r->gaps[i].name ? r->gaps[i].name : "(not in any shard)");
	printf("run %lld: %zu cases merged, %zu overlap%s, %zu missing, from %zu host%s",
	       (long long)r->run_id, r->added, r->noverlaps, r->noverlaps == 1 ? "" : "s",
	       r->ngaps, r->nhosts, r->nhosts == 1 ? "" : "s");
	for (size_t i = 0; i < r->nhosts; i++)
		printf("%s%s", i ? ", " : ": ", r->hosts[i]);
	printf("\n");
	if (r->unlinked)
		printf("run %lld: %zu case%s whose work directory was not found (kept as "
		       "recorded)\n", (long long)r->run_id, r->unlinked,
		       r->unlinked == 1 ? "" : "s");
	printf("'hvtest results --results %s show %lld' for details\n", dir,
	       (long long)r->run_id);
}

/* hvtest results merge: its own options (DIR is where the merged run goes). */
static int cmd_results_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "plan", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = HVT_RESULTS_DIR_DEFAULT, *plan = NULL;
	struct hvt_merge_opts mo = { 0 };
	struct hvt_merge_result mr = { 0 };
	struct hvt_merge_want *want = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_case **cases = NULL;
	struct hvt_run_info ri = { 0 };
	struct hvt_store *s;
	size_t ncases = 0;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_RESULTS:
			dir = optarg;
			break;
		case 'p':
			plan = optarg;
			break;
		case 'h':
			fputs(results_help, stdout);
			return 0;
		default:
			return cli_usage_error("results", "merge: unknown option");
		}
	}
	optind++;	/* the verb */
	if (optind >= argc)
		return cli_usage_error("results", "merge takes one results directory or more");
	if (plan) {
		struct hvt_session_opts so = { .plan = plan };

		if (hvt_session_cases(&so, &cases, &ncases, NULL, &err))
			return cli_fail(&err, plan);
		want = hvt_zalloc((ncases ? ncases : 1) * sizeof(*want));
		for (size_t i = 0; i < ncases; i++)
			want[i] = (struct hvt_merge_want){ cases[i]->index, cases[i]->name };
		mo.want = want;
		mo.nwant = ncases;
		mo.plan = plan;
	}
	mo.dirs = (const char *const *)argv + optind;
	mo.ndirs = (size_t)(argc - optind);
	s = hvt_store_open(dir, &err);
	if (!s) {
		rc = cli_fail(&err, "results merge");
		goto out;
	}
	if (hvt_store_merge(s, dir, &mo, &mr, &err)) {
		rc = cli_fail(&err, "results merge");
	} else {
		print_merge(&mr, dir);
		rc = hvt_store_run_get(s, mr.run_id, &ri, &err) ? cli_fail(&err, "results merge")
			: ri.exit_status ? CLI_EXIT_FAIL : 0;
	}
	hvt_run_info_release(&ri);
	hvt_merge_result_release(&mr);
	hvt_store_close(s);
out:
	hvt_store_cases_free(cases, ncases);
	free(want);
	return rc;
}

int cmd_results(int argc, char **argv)
{
	const char *pre = find_verb(argc, argv);
	bool exporting = pre && !strcmp(pre, "export");

	if (pre && !strcmp(pre, "merge"))
		return cmd_results_merge(argc, argv);
	return results_verbs(argc, argv, pre, exporting);
}

static int results_verbs(int argc, char **argv, const char *pre, bool exporting)
{
	const struct option longopts[] = {
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "tap", no_argument, NULL, OPT_TAP },
		{ "tap-version", required_argument, NULL, OPT_TAP_VERSION },
		{ "junit", exporting ? no_argument : required_argument, NULL, OPT_JUNIT },
		{ "html", exporting ? no_argument : required_argument, NULL, OPT_HTML },
		{ "all-attempts", no_argument, NULL, OPT_ALL_ATTEMPTS },
		{ "checks", no_argument, NULL, OPT_CHECKS },
		{ "metric-threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "page", required_argument, NULL, OPT_PAGE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct results_opts o = { .dir = HVT_RESULTS_DIR_DEFAULT, .threshold = 10, .keep = -1 };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s;
	const char *verb;
	char *end;
	int opt, ret, nargs;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_RESULTS:
			o.dir = optarg;
			break;
		case OPT_JSON:
			if ((ret = set_format(&o, HVT_REPORT_JSON)))
				return ret;
			break;
		case OPT_TAP:
			if ((ret = set_format(&o, HVT_REPORT_TAP)))
				return ret;
			break;
		case OPT_TAP_VERSION:
			if (hvt_report_tap_version_parse(optarg, &o.ropts.tap_version))
				return cli_usage_error("results", "--tap-version takes 13 or 14");
			break;
		case OPT_JUNIT:
			if ((ret = set_format(&o, HVT_REPORT_JUNIT)))
				return ret;
			o.file = optarg;
			break;
		case OPT_HTML:
			if ((ret = set_format(&o, HVT_REPORT_HTML)))
				return ret;
			o.file = optarg;
			break;
		case OPT_ALL_ATTEMPTS:
			o.all_attempts = true;
			break;
		case OPT_CHECKS:
			o.all_checks = true;
			break;
		case OPT_KEEP:
			errno = 0;
			o.keep = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o.keep < 0)
				return cli_usage_error("results", "--keep: '%s' is not a number of "
						       "runs >= 0", optarg);
			break;
		case OPT_THRESHOLD:
			errno = 0;
			o.threshold = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o.threshold >= 0) ||
			    !isfinite(o.threshold))
				return cli_usage_error("results", "--metric-threshold: '%s' is not a "
						       "percentage >= 0", optarg);
			break;
		case OPT_PAGE:
			o.page = optarg;
			break;
		case 'h':
			fputs(results_help, stdout);
			return 0;
		default:
			return cli_usage_error("results", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("results", "say list, show RUN, export RUN, diff RUN_A RUN_B "
				       "or matrix RUN");
	verb = argv[optind++];
	nargs = argc - optind;
	if (!strcmp(verb, "list")) {
		if (nargs)
			return cli_usage_error("results", "list takes no arguments");
	} else if (!strcmp(verb, "show")) {
		if (nargs != 1)
			return cli_usage_error("results", "show takes one RUN");
	} else if (!strcmp(verb, "export")) {
		if (nargs < 1 || nargs > 2)
			return cli_usage_error("results", "export takes one RUN and an optional FILE");
		if (!o.report)
			return cli_usage_error("results", "export needs --tap, --junit, --json or --html");
	} else if (!strcmp(verb, "diff")) {
		if (nargs != 2)
			return cli_usage_error("results", "diff takes two runs: RUN_A RUN_B");
	} else if (!strcmp(verb, "matrix")) {
		if (nargs != 1)
			return cli_usage_error("results", "matrix takes one RUN");
		if (o.report && o.fmt != HVT_REPORT_JSON && o.fmt != HVT_REPORT_HTML)
			return cli_usage_error("results", "matrix is a table, --json or --html FILE");
	} else if (!strcmp(verb, "rm")) {
		if (nargs < 1)
			return cli_usage_error("results", "rm takes one RUN or more");
	} else if (!strcmp(verb, "prune")) {
		if (nargs)
			return cli_usage_error("results", "prune takes no arguments");
		if (o.keep < 0)
			return cli_usage_error("results", "prune needs --keep N");
	} else {
		return cli_usage_error("results", "'%s' is not list, show, export, diff, matrix, rm "
				       "or prune", verb);
	}
	if (o.keep >= 0 && strcmp(verb, "prune"))
		return cli_usage_error("results", "--keep goes with prune");
	if (o.report && strcmp(verb, "show") && strcmp(verb, "export") && strcmp(verb, "matrix"))
		return cli_usage_error("results", "--json, --tap, --junit and --html go with show, "
				       "export or matrix");
	if (o.page && (strcmp(verb, "matrix") || !o.report || o.fmt != HVT_REPORT_HTML))
		return cli_usage_error("results", "--page goes with matrix --html");
	if (o.ropts.tap_version && (!o.report || o.fmt != HVT_REPORT_TAP))
		return cli_usage_error("results", "--tap-version goes with --tap");
	if (!hvt_path_exists(o.dir)) {
		cli_error("no results directory %s (see --results)", o.dir);
		return CLI_EXIT_FAIL;
	}
	s = hvt_store_open(o.dir, &err);
	if (!s)
		return cli_fail(&err, "results");
	if (!strcmp(verb, "list"))
		ret = do_list(s);
	else if (!strcmp(verb, "show"))
		ret = do_show(s, &o, argv[optind]);
	else if (!strcmp(verb, "export"))
		ret = do_export(s, &o, argv[optind], nargs > 1 ? argv[optind + 1] : NULL);
	else if (!strcmp(verb, "matrix"))
		ret = do_matrix(s, &o, argv[optind]);
	else if (!strcmp(verb, "rm"))
		ret = do_rm(s, &o, argv + optind, nargs);
	else if (!strcmp(verb, "prune"))
		ret = do_prune(s, &o);
	else
		ret = do_diff(s, &o, argv[optind], argv[optind + 1]);
	hvt_store_close(s);
	return ret;
}
