// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest run: expand a plan, run its cases (each in its own process),
 * store every result and report the run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "hvt-config.h"
#include "plan.h"
#include "report.h"
#include "runner.h"
#include "store.h"

static const char run_usage[] =
	"usage: hvtest run [OPTIONS] PLAN [FILTER...]\n\n"
	"Expand the plan (Cartesian config) with the filters (\"only x\", \"no y\",\n"
	"or a bare name), run every case in its own process with its own work\n"
	"directory, store the results in the results directory and print a\n"
	"summary. A variant's 'type' key names its test type; its keys are the\n"
	"case's parameters. Exits 0 only when no case failed, errored or timed out.\n\n"
	"  -j, --jobs N         cases at once (default: the number of CPUs)\n"
	"  --timeout S          seconds per case attempt (default: 600)\n"
	"  --repeat N           run each case N times; it fails if any run fails\n"
	"  --rerun-failed N     rerun a failing case up to N times; a pass on a\n"
	"                       rerun marks it flaky\n"
	"  --shard K/N          run only the K-th of N shares of the plan\n"
	"  --resume RUN         finish run RUN (id or latest): only cases it has not\n"
	"                       finished are run, into the same run\n"
	"  --results DIR        results directory (default: " HVT_RESULTS_DIR_DEFAULT ")\n"
	"  --module FILE.so     load test types from a module (repeatable)\n"
	"  --tap                print a TAP 14 stream on stdout (progress on stderr)\n"
	"  --json               print the run as JSON on stdout at the end\n"
	"  --junit FILE         write JUnit XML to FILE\n"
	"  --list               print the cases that would run and exit\n"
	"  --types              list the test types and exit\n"
	"  -h, --help           this text\n";

enum {
	OPT_TIMEOUT = 0x300, OPT_REPEAT, OPT_RERUN, OPT_SHARD, OPT_RESUME, OPT_RESULTS,
	OPT_MODULE, OPT_TAP, OPT_JSON, OPT_JUNIT, OPT_LIST, OPT_TYPES,
};

struct run_ctx {
	struct hvt_store *store;
	int64_t run_id;
	struct hvt_report *stream;	/* TAP, as cases finish */
	struct hvt_case **finals;	/* kept for JUnit / JSON */
	size_t nfinals;
	bool keep_finals;
	int store_errors;
};

static struct hvt_case *case_dup(const struct hvt_case *c)
{
	struct json_object *j = hvt_case_to_json(c);
	struct hvt_case *d = hvt_case_from_json(j, NULL);

	if (!d)
		HVT_BUG("case record of %s does not round-trip", c->name);
	d->timed_out = c->timed_out;
	json_object_put(j);
	return d;
}

static void on_done(struct hvt_case *c, bool final, void *opaque)
{
	struct run_ctx *x = opaque;
	struct hvt_err err = HVT_ERR_INIT;

	if (hvt_store_case_add(x->store, x->run_id, c, &err)) {
		cli_error("storing %s: %s", c->name, err.msg);
		x->store_errors++;
	}
	if (!final)
		return;
	if (x->stream && hvt_report_case(x->stream, c, &err))
		cli_error("report: %s", err.msg);
	if (x->keep_finals) {
		x->finals = hvt_realloc(x->finals, sizeof(*x->finals) * (x->nfinals + 1));
		x->finals[x->nfinals++] = case_dup(c);
	}
}

/* The plan's cases, in order, skipping other shards and finished ones. */
static int expand(const char *path, char **filters, int nfilters, int shard_k, int shard_n,
		  const struct hvt_store_done *done, struct hvt_case ***out, size_t *n,
		  long *total, struct hvt_err *err)
{
	struct hvt_plan *plan = hvt_plan_load(path, err);
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;
	int ret = 0;
	long pos = 0;

	*out = NULL;
	*n = 0;
	if (!plan)
		return err->code ? err->code : -EINVAL;
	for (int i = 0; i < nfilters; i++) {
		ret = hvt_plan_filter(plan, filters[i], err);
		if (ret)
			goto out;
	}
	it = hvt_plan_iter_new(plan);
	while ((ret = hvt_plan_iter_next(it, &v, err)) == 1) {
		struct hvt_case *c;

		if (shard_n && !hvt_runner_in_shard(pos, shard_k, shard_n)) {
			pos++;
			continue;
		}
		if (done && hvt_store_done_has(done, pos, hvt_variant_name(v))) {
			pos++;
			continue;
		}
		c = hvt_case_new(hvt_variant_name(v), hvt_variant_shortname(v),
				 hvt_variant_get(v, "type") ? hvt_variant_get(v, "type") : "");
		c->index = pos++;
		for (size_t k = 0; k < hvt_variant_nkeys(v); k++)
			hvt_case_set_param(c, hvt_variant_key(v, k), hvt_variant_value(v, k));
		*out = hvt_realloc(*out, sizeof(**out) * (*n + 1));
		(*out)[(*n)++] = c;
	}
	hvt_plan_iter_free(it);
	*total = pos;
out:
	hvt_plan_free(plan);
	return ret < 0 ? ret : 0;
}

/* Refuse a plan whose cases name test types nobody registered. */
static int check_types(struct hvt_case **cases, size_t n)
{
	struct hvt_strv unknown = HVT_STRV_INIT;
	size_t bad = 0;
	char *list;

	for (size_t i = 0; i < n; i++) {
		const char *t = cases[i]->type;
		bool seen = false;

		if (hvt_test_type_find(t))
			continue;
		bad++;
		for (size_t k = 0; k < unknown.n; k++)
			seen |= !strcmp(unknown.v[k], t[0] ? t : "(no type key)");
		if (!seen)
			hvt_strv_push(&unknown, t[0] ? t : "(no type key)");
	}
	if (!bad)
		return 0;
	list = hvt_strv_join_quoted(&unknown);
	cli_error("%zu of %zu cases name test types that are not registered: %s; load their "
		  "module with --module, or see 'hvtest run --types'",
		  bad, n, list);
	free(list);
	hvt_strv_release(&unknown);
	return -ENOENT;
}

static void host_info(struct hvt_host_info *h, char *buf, size_t len, struct utsname *u,
		      struct hvt_accel *accel)
{
	static char qver[64];
	struct hvt_err err = HVT_ERR_INIT;
	int maj, min, mic;

	memset(h, 0, sizeof(*h));
	if (gethostname(buf, len) == 0)
		h->hostname = buf;
	if (uname(u) == 0)
		h->kernel = u->release;
	h->qemu = hvt_qemu_binary();
	if (!hvt_qemu_version(h->qemu, &maj, &min, &mic, &err)) {
		snprintf(qver, sizeof(qver), "%d.%d.%d", maj, min, mic);
		h->qemu_version = qver;
	}
	if (accel->name[0]) {
		h->accel = accel->name;
		h->accel_reason = accel->reason;
	}
	h->hvtest_version = HVT_VERSION;
}

static int list_types(void)
{
	const struct hvt_test_type *t;

	for (size_t i = 0; (t = hvt_test_type_at(i)); i++)
		printf("%-16s %s\n", t->name, t->summary ? t->summary : "");
	return 0;
}

static char *join_args(int argc, char **argv)
{
	struct hvt_strv sv = HVT_STRV_INIT;
	char *s;

	for (int i = 0; i < argc; i++)
		hvt_strv_push(&sv, argv[i]);
	s = hvt_strv_join_quoted(&sv);
	hvt_strv_release(&sv);
	return s;
}

static int write_report_file(enum hvt_report_format fmt, const char *path, FILE *f,
			     const struct hvt_run_info *ri, struct run_ctx *x)
{
	struct hvt_err err = HVT_ERR_INIT;
	FILE *out = f ? f : fopen(path, "w");
	int ret;

	if (!out) {
		cli_error("cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	ret = hvt_report_write(fmt, out, ri, x->finals, x->nfinals, &err);
	if (ret)
		cli_error("%s: %s", path ? path : "report", err.msg);
	if (!f && fclose(out) && !ret) {
		cli_error("cannot write %s: %s", path, strerror(errno));
		ret = -EIO;
	}
	return ret;
}

/*
 * DIR/run-N/report.html, from the store rather than from this invocation's
 * cases, so the page of a resumed run shows all of them. Returns its path,
 * or NULL (said on stderr) when it could not be written.
 */
static char *write_run_page(struct hvt_store *s, int64_t run_id, const char *workroot)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info ri;
	struct hvt_case **cases = NULL;
	char *path = hvt_asprintf("%s/report.html", workroot);
	size_t n = 0;
	FILE *f = NULL;
	int ret;

	if (hvt_store_run_get(s, run_id, &ri, &err))
		goto fail;
	ret = hvt_store_run_cases(s, run_id, false, &cases, &n, &err);
	if (!ret)
		ret = hvt_mkdir_p(workroot, 0755, &err);
	if (!ret && !(f = fopen(path, "w")))
		ret = hvt_err_set(&err, -errno, "%s: %s", path, strerror(errno));
	if (!ret)
		ret = hvt_report_write(HVT_REPORT_HTML, f, &ri, cases, n, &err);
	if (f && fclose(f) && !ret)
		ret = hvt_err_set(&err, -EIO, "%s: %s", path, strerror(errno));
	hvt_store_cases_free(cases, n);
	hvt_run_info_release(&ri);
	if (!ret)
		return path;
fail:
	cli_error("report page: %s", err.msg);
	free(path);
	return NULL;
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "rerun-failed", required_argument, NULL, OPT_RERUN },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "resume", required_argument, NULL, OPT_RESUME },
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "module", required_argument, NULL, OPT_MODULE },
		{ "tap", no_argument, NULL, OPT_TAP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "types", no_argument, NULL, OPT_TYPES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_runner_opts ro = { 0 };
	struct hvt_runner_summary sum;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store_done done = { 0 };
	struct hvt_run_info ri = { 0 }, stored = { 0 };
	const struct hvt_run_info *rip = &ri;
	struct hvt_host_info *h = &ri.host;
	struct run_ctx x = { 0 };
	struct hvt_case **cases = NULL;
	struct hvt_accel accel;
	struct utsname uts;
	const char *results = HVT_RESULTS_DIR_DEFAULT, *resume = NULL, *junit = NULL;
	char hostname[256] = "", *workroot = NULL, *cmdline = NULL, *page;
	bool tap = false, json = false, list = false;
	int shard_k = 0, shard_n = 0, opt, rc = CLI_EXIT_FAIL;
	size_t ncases = 0;
	uint64_t v;
	long total = 0;
	FILE *prog;

	hvt_runner_register_builtin();
	while ((opt = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			if (cli_parse_u64("--jobs", optarg, &v) || v > 256)
				return cli_usage_error("run", "--jobs takes 1..256");
			ro.jobs = (int)v;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds("--timeout", optarg, &ro.timeout))
				return CLI_EXIT_USAGE;
			break;
		case OPT_REPEAT:
			if (cli_parse_u64("--repeat", optarg, &v) || v > 10000)
				return cli_usage_error("run", "--repeat takes 1..10000");
			ro.repeat = (int)v;
			break;
		case OPT_RERUN:
			if (!strcmp(optarg, "0")) {
				ro.rerun_failed = 0;
			} else if (cli_parse_u64("--rerun-failed", optarg, &v) || v > 100) {
				return cli_usage_error("run", "--rerun-failed takes 0..100");
			} else {
				ro.rerun_failed = (int)v;
			}
			break;
		case OPT_SHARD:
			if (hvt_runner_parse_shard(optarg, &shard_k, &shard_n, &err))
				return cli_usage_error("run", "--shard: %s", err.msg);
			break;
		case OPT_RESUME:
			resume = optarg;
			break;
		case OPT_RESULTS:
			results = optarg;
			break;
		case OPT_MODULE:
			if (hvt_test_type_load(optarg, &err))
				return cli_fail(&err, "--module");
			break;
		case OPT_TAP:
			tap = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_JUNIT:
			junit = optarg;
			break;
		case OPT_LIST:
			list = true;
			break;
		case OPT_TYPES:
			return list_types();
		case 'h':
			fputs(run_usage, stdout);
			return 0;
		default:
			return cli_usage_error("run", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("run", "which plan? (hvtest run PLAN [FILTER...])");
	if (tap && json)
		return cli_usage_error("run", "--tap and --json both want stdout: pick one");

	if (list) {
		if (expand(argv[optind], argv + optind + 1, argc - optind - 1, shard_k, shard_n,
			   NULL, &cases, &ncases, &total, &err))
			return cli_fail(&err, argv[optind]);
		for (size_t i = 0; i < ncases; i++) {
			printf("%s\n", cases[i]->name);
			hvt_case_free(cases[i]);
		}
		free(cases);
		return 0;
	}

	x.store = hvt_store_open(results, &err);
	if (!x.store)
		return cli_fail(&err, results);
	if (resume) {
		if (hvt_store_run_resolve(x.store, resume, &x.run_id, &err) ||
		    hvt_store_run_get(x.store, x.run_id, &stored, &err) ||
		    hvt_store_run_done(x.store, x.run_id, &done, &err)) {
			rc = cli_fail(&err, "--resume");
			goto out;
		}
		rip = &stored;
	}
	if (expand(argv[optind], argv + optind + 1, argc - optind - 1, shard_k, shard_n,
		   resume ? &done : NULL, &cases, &ncases, &total, &err)) {
		rc = cli_fail(&err, argv[optind]);
		goto out;
	}
	if (check_types(cases, ncases))
		goto out;
	cmdline = join_args(argc, argv);
	/*
	 * Probed once here: the case processes inherit the verdict. A QEMU
	 * that cannot run is each case's error to report, with its details.
	 */
	memset(&accel, 0, sizeof(accel));
	if (hvt_accel_probe(NULL, &accel, &err))
		memset(&accel, 0, sizeof(accel));
	hvt_err_clear(&err);
	if (!resume) {
		host_info(h, hostname, sizeof(hostname), &uts, &accel);
		ri.plan = argv[optind];
		ri.filters = argc - optind > 1 ? cmdline : "";
		ri.argv = cmdline;
		ri.total = (long)ncases;
		ri.pid = (int)getpid();
		if (hvt_store_run_begin(x.store, &ri, &x.run_id, &err)) {
			rc = cli_fail(&err, results);
			goto out;
		}
	}
	ri.id = x.run_id;
	if (resume && strcmp(stored.plan ? stored.plan : "", argv[optind]))
		cli_error("warning: run %lld was of plan %s, not %s", (long long)x.run_id,
			  stored.plan ? stored.plan : "?", argv[optind]);
	workroot = hvt_asprintf("%s/run-%lld", results, (long long)x.run_id);
	x.keep_finals = json || junit;
	if (tap) {
		x.stream = hvt_report_new(HVT_REPORT_TAP, stdout);
		if (hvt_report_begin(x.stream, rip, (long)ncases, &err)) {
			rc = cli_fail(&err, "--tap");
			goto out;
		}
	}
	prog = tap || json ? stderr : stdout;
	fprintf(prog, "hvtest: run %lld: %zu case%s from %s%s (results in %s)\n",
		(long long)x.run_id, ncases, ncases == 1 ? "" : "s", argv[optind],
		resume ? ", resumed" : "", results);
	if (accel.name[0])
		fprintf(prog, "hvtest: accelerator %s: %s\n", accel.name, accel.reason);
	ro.workroot = workroot;
	ro.on_done = on_done;
	ro.opaque = &x;
	ro.progress = prog;
	ro.tty = isatty(fileno(prog)) && !hvt_env_no_color();
	if (hvt_runner_run(cases, ncases, &ro, &sum, &err)) {
		rc = cli_fail(&err, "run");
		goto out;
	}
	if (x.stream && hvt_report_end(x.stream, &err))
		cli_error("--tap: %s", err.msg);
	rc = sum.outcome[HVT_FAIL] || sum.outcome[HVT_ERROR] || sum.outcome[HVT_TIMEOUT] ||
			     x.store_errors
		     ? CLI_EXIT_FAIL
		     : 0;
	if (junit && write_report_file(HVT_REPORT_JUNIT, junit, NULL, rip, &x))
		rc = CLI_EXIT_FAIL;
	if (json && write_report_file(HVT_REPORT_JSON, NULL, stdout, rip, &x))
		rc = CLI_EXIT_FAIL;
	if (hvt_store_run_end(x.store, x.run_id, rc, &err))
		cli_error("%s", err.msg);
	fprintf(prog, "hvtest: run %lld: %zu cases: %zu pass, %zu fail, %zu error, %zu skip, "
		      "%zu timeout, %zu flaky in %.1f s; 'hvtest results show %lld' for details\n",
		(long long)x.run_id, sum.cases, sum.outcome[HVT_PASS], sum.outcome[HVT_FAIL],
		sum.outcome[HVT_ERROR], sum.outcome[HVT_SKIP], sum.outcome[HVT_TIMEOUT], sum.flaky,
		sum.wall, (long long)x.run_id);
	page = write_run_page(x.store, x.run_id, workroot);
	if (page)
		fprintf(prog, "hvtest: run %lld: report %s\n", (long long)x.run_id, page);
	free(page);
out:
	for (size_t i = 0; i < ncases; i++)
		hvt_case_free(cases[i]);
	free(cases);
	for (size_t i = 0; i < x.nfinals; i++)
		hvt_case_free(x.finals[i]);
	free(x.finals);
	hvt_report_free(x.stream);
	hvt_store_done_release(&done);
	hvt_run_info_release(&stored);
	hvt_store_close(x.store);
	free(workroot);
	free(cmdline);
	return rc;
}
