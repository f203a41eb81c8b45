// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest run: the options of a run (src/run/session.h does the run) and
 * what it prints: progress, the summary, problems.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "publish.h"
#include "runner.h"
#include "session.h"
#include "slurm.h"

static const char run_usage[] =
	"usage: hvtest run [OPTIONS] PLAN [FILTER...]\n\n"
	"Expand the plan (Cartesian config) with the filters (\"only x\", \"no y\",\n"
	"or a bare name), run every case in its own process with its own work\n"
	"directory, store the results in the results directory and print a\n"
	"summary. A variant's 'type' key names its test type; its keys are the\n"
	"case's parameters ('timeout' in seconds overrides --timeout for it; with\n"
	"'xfail = REASON' the case is expected to fail). A case runs after the\n"
	"cases it depends on ('- boot: install'), and is skipped when one of them\n"
	"did not pass. Exits 0 only when no case failed, errored, timed out or\n"
	"passed unexpectedly (xpass).\n\n"
	"  -j, --jobs N         cases at once (default: the number of CPUs)\n"
	"  --timeout S          seconds per case attempt (default: 600)\n"
	"  --repeat N           run each case N times; it fails if any run fails\n"
	"  --rerun-failed N     rerun a failing case up to N times; a pass on a\n"
	"                       rerun marks it flaky\n"
	"  --shard K/N          run only the K-th of N shares of the plan (a case\n"
	"                       and its dependencies share one)\n"
	"  --resume RUN         finish run RUN (id or latest): only cases it has not\n"
	"                       finished are run, into the same run\n"
	"  --results DIR        results directory (default: " HVT_RESULTS_DIR_DEFAULT ")\n"
	"  --module FILE.so     load test types from a module (repeatable)\n"
	"  --tap                print a TAP stream on stdout (progress on stderr)\n"
	"  --tap-version V      13 (the default, which every TAP harness reads) or 14\n"
	"  --json               print the run as JSON on stdout at the end\n"
	"  --junit FILE         write JUnit XML to FILE at the end\n"
	"                       (JSON and JUnit hold every case of a resumed run)\n"
	"  --publish URL        at the end, publish the run to the results server at\n"
	"                       URL with the token of " CLI_TOKEN_FILE_HELP "\n"
	"                       ('hvtest publish --help'); a failed publish fails\n"
	"                       the command, the run stays stored\n"
	"  --slurm              run on a Slurm cluster: a job array of --shards\n"
	"                       tasks, each 'hvtest run --shard K/N' into its own\n"
	"                       store under RESULTS/run-M/shards/K (RESULTS, the\n"
	"                       plan and hvtest on a filesystem the nodes share),\n"
	"                       merged into run M as tasks end; Ctrl-C cancels the\n"
	"                       job; with --resume M only missing cases run again.\n"
	"                       Plan keys needs_cpus, needs_mem (MiB), needs_kvm\n"
	"                       ask Slurm for nodes (docs/SCALE.md)\n"
	"  --shards N           --slurm: tasks (shards) in the job array (default 4)\n"
	"  --partition P        --slurm: the partition (default: the cluster's)\n"
	"  --time-limit MIN     --slurm: minutes per task (default: the partition's)\n"
	"  --list               print the cases that would run and exit\n"
	"  --types              list the test types and exit\n"
	"  -h, --help           this text\n";

enum {
	OPT_TIMEOUT = 0x300, OPT_REPEAT, OPT_RERUN, OPT_SHARD, OPT_RESUME, OPT_RESULTS,
	OPT_MODULE, OPT_TAP, OPT_TAP_VERSION, OPT_JSON, OPT_JUNIT, OPT_LIST, OPT_TYPES,
	OPT_PUBLISH, OPT_SLURM, OPT_SHARDS, OPT_PARTITION, OPT_TIME_LIMIT,
};

/* What the session's callbacks need: where to print, the accelerator probed. */
struct run_ctx {
	const char *plan, *results;
	FILE *prog;
	struct hvt_accel accel;
	char qemu_version[64];
};

/*
 * Probed once here, before the run is recorded: the case processes
 * inherit the verdict. A QEMU that cannot run is each case's error to
 * report, with its details.
 */
static void probe_host(struct hvt_host_info *h, void *opaque)
{
	struct run_ctx *x = opaque;
	struct hvt_err err = HVT_ERR_INIT;
	int maj, min, mic;

	memset(&x->accel, 0, sizeof(x->accel));
	if (hvt_accel_probe(NULL, &x->accel, &err))
		memset(&x->accel, 0, sizeof(x->accel));
	h->qemu = hvt_qemu_binary();
	if (!hvt_qemu_version(h->qemu, &maj, &min, &mic, &err)) {
		snprintf(x->qemu_version, sizeof(x->qemu_version), "%d.%d.%d", maj, min, mic);
		h->qemu_version = x->qemu_version;
	}
	if (x->accel.name[0]) {
		h->accel = x->accel.name;
		h->accel_reason = x->accel.reason;
	}
}

static void on_begin(const struct hvt_session_result *r, void *opaque)
{
	struct run_ctx *x = opaque;

	fprintf(x->prog, "hvtest: run %lld: %zu case%s from %s%s (results in %s)\n",
		(long long)r->run_id, r->ncases, r->ncases == 1 ? "" : "s", x->plan,
		r->resumed ? ", resumed" : "", x->results);
	if (x->accel.name[0])
		fprintf(x->prog, "hvtest: accelerator %s: %s\n", x->accel.name, x->accel.reason);
	fflush(x->prog);
}

static void on_problem(const char *msg, void *opaque)
{
	cli_error("%s", msg);
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

static int list_cases(const struct hvt_session_opts *so)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_case **cases;
	size_t n;

	if (hvt_session_cases(so, &cases, &n, NULL, &err))
		return cli_fail(&err, so->plan);
	for (size_t i = 0; i < n; i++)
		printf("%s\n", cases[i]->name);
	hvt_store_cases_free(cases, n);
	return 0;
}

static void print_summary(FILE *f, const struct hvt_session_result *r)
{
	const struct hvt_runner_summary *sum = &r->sum;

	fprintf(f, "hvtest: run %lld: %zu cases: %zu pass, %zu fail, %zu error, %zu skip, "
		   "%zu timeout, %zu xfail, %zu xpass, %zu flaky in %.1f s; "
		   "'hvtest results show %lld' for details\n",
		(long long)r->run_id, sum->cases, sum->outcome[HVT_PASS], sum->outcome[HVT_FAIL],
		sum->outcome[HVT_ERROR], sum->outcome[HVT_SKIP], sum->outcome[HVT_TIMEOUT],
		sum->outcome[HVT_XFAIL], sum->outcome[HVT_XPASS], sum->flaky, sum->wall,
		(long long)r->run_id);
	if (r->page)
		fprintf(f, "hvtest: run %lld: report %s\n", (long long)r->run_id, r->page);
}

/* hvtest run --slurm: the options, what the tasks are told, the cancel flag. */
struct slurm_cli {
	bool on, shards_given;
	struct hvt_slurm_opts so;
	/* options every task's hvtest run gets (pointers into argv) */
	const char *fwd[64];
	size_t nfwd;
	bool too_many;
};

static volatile sig_atomic_t slurm_cancel;

static void slurm_on_signal(int sig)
{
	slurm_cancel = 1;
}

static void slurm_forward(struct slurm_cli *sl, const char *opt, const char *val)
{
	if (sl->nfwd + 2 > HVT_ARRAY_SIZE(sl->fwd)) {
		sl->too_many = true;
		return;
	}
	sl->fwd[sl->nfwd++] = opt;
	sl->fwd[sl->nfwd++] = val;
}

/* The forwarded options; a module's path made absolute, for the nodes. */
static void slurm_args(const struct slurm_cli *sl, struct hvt_strv *sv)
{
	for (size_t i = 0; i < sl->nfwd; i += 2) {
		char *abs = strcmp(sl->fwd[i], "--module") ? NULL : realpath(sl->fwd[i + 1], NULL);

		hvt_strv_push(sv, sl->fwd[i]);
		hvt_strv_push(sv, abs ? abs : sl->fwd[i + 1]);
		free(abs);
	}
}

static void slurm_on_submit(const char *job, int64_t run_id, size_t ntasks, size_t ncases,
			    const struct hvt_slurm_needs *n, void *opaque)
{
	char mem[48] = "the partition's memory";

	if (n->mem_mib)
		snprintf(mem, sizeof(mem), "%ld MiB", n->mem_mib);
	printf("hvtest: run %lld: %zu cases in job %s, %zu task%s (each: %ld CPU%s, %s%s)\n",
	       (long long)run_id, ncases, job, ntasks, ntasks == 1 ? "" : "s",
	       n->cpus ? n->cpus : 1, n->cpus > 1 ? "s" : "", mem, n->kvm ? ", KVM" : "");
	fflush(stdout);
}

static void slurm_on_task(const struct hvt_slurm_task *t, size_t done, size_t ntasks,
			  void *opaque)
{
	const struct hvt_slurm_opts *o = opaque;

	printf("hvtest: shard %d: %s%s%s: %zu case%s stored", t->shard, t->state,
	       t->node[0] ? " on " : "", t->node, t->cases, t->cases == 1 ? "" : "s");
	if (t->missing)
		printf(", %zu missing", t->missing);
	printf(" [%zu/%zu tasks ended]\n", done, ntasks);
	if (!strcmp(t->state, "TIMEOUT") && o->time_limit_min)
		printf("hvtest: shard %d: killed by its time limit (--time-limit %ld min); its "
		       "missing cases run again with --resume\n", t->shard, o->time_limit_min);
	else if (!strcmp(t->state, "TIMEOUT"))
		printf("hvtest: shard %d: killed by the partition's time limit; its missing "
		       "cases run again with --resume\n", t->shard);
	else if (!strcmp(t->state, "NODE_FAIL"))
		printf("hvtest: shard %d: node %s lost while the task ran; its missing cases "
		       "run again with --resume\n", t->shard, t->node[0] ? t->node : "?");
	else if (strcmp(t->state, "COMPLETED") && t->missing)
		printf("hvtest: shard %d: the task ended %s%s%s; its log: %s\n", t->shard,
		       t->state, t->reason[0] && strcmp(t->state, "CANCELLED") ? ": " : "",
		       strcmp(t->state, "CANCELLED") ? t->reason : "", t->log);
	else if (!strcmp(t->state, "COMPLETED") && t->missing)
		printf("hvtest: shard %d: Slurm says COMPLETED but the shard's store lacks "
		       "cases; its log: %s\n", t->shard, t->log);
	fflush(stdout);
}

static int run_slurm(struct slurm_cli *sl, struct hvt_session_opts *so, int argc, char **argv,
		     const char *publish)
{
	struct hvt_slurm_opts *o = &sl->so;
	struct hvt_slurm_result r;
	struct hvt_strv args = HVT_STRV_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	struct sigaction sa = { .sa_handler = slurm_on_signal }, old_int, old_term;
	char *cmdline = join_args(argc, argv);
	char *self = realpath("/proc/self/exe", NULL);
	int rc;

	o->hvtest = self;
	o->plan = so->plan;
	o->filters = so->filters;
	o->nfilters = so->nfilters;
	o->results = so->results;
	o->resume = so->resume;
	slurm_args(sl, &args);
	o->run_args = (const char *const *)args.v;
	o->nrun_args = args.n;
	o->cmdline = cmdline;
	o->cancel = &slurm_cancel;
	o->on_submit = slurm_on_submit;
	o->on_task = slurm_on_task;
	o->on_problem = on_problem;
	o->opaque = o;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (hvt_slurm_run(o, &r, &err)) {
		rc = cli_fail(&err, "run --slurm");
		goto out;
	}
	if (r.cancelled)
		printf("hvtest: run %lld: job %s cancelled\n", (long long)r.run_id, r.job_id);
	if (!r.ntasks)
		printf("hvtest: run %lld: no case missing: nothing submitted\n",
		       (long long)r.run_id);
	for (size_t i = 0; i < r.nmissing; i++)
		printf("hvtest: missing %5ld  %s\n", r.missing[i].index, r.missing[i].name);
	printf("hvtest: run %lld: %zu of %zu cases stored", (long long)r.run_id, r.present,
	       r.ncases);
	if (r.nmissing)
		printf("; run the %zu missing with --slurm --resume %lld", r.nmissing,
		       (long long)r.run_id);
	printf("; 'hvtest results show %lld' for details\n", (long long)r.run_id);
	if (r.page)
		printf("hvtest: run %lld: report %s\n", (long long)r.run_id, r.page);
	rc = r.exit_status || r.cancelled ? CLI_EXIT_FAIL : 0;
	if (publish) {
		char ref[32];
		struct hvt_publish_opts po = { .results = so->results, .run = ref,
					       .server = publish };

		snprintf(ref, sizeof(ref), "%lld", (long long)r.run_id);
		fflush(stdout);
		if (cli_publish(&po, NULL, stdout))
			rc = CLI_EXIT_FAIL;
	}
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	hvt_slurm_result_release(&r);
	hvt_strv_release(&args);
	free(self);
	free(cmdline);
	return rc;
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
		{ "tap-version", required_argument, NULL, OPT_TAP_VERSION },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "publish", required_argument, NULL, OPT_PUBLISH },
		{ "types", no_argument, NULL, OPT_TYPES },
		{ "slurm", no_argument, NULL, OPT_SLURM },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		{ "partition", required_argument, NULL, OPT_PARTITION },
		{ "time-limit", required_argument, NULL, OPT_TIME_LIMIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_ctx x = { .results = HVT_RESULTS_DIR_DEFAULT };
	struct hvt_session_opts so = { .host = probe_host, .on_begin = on_begin,
				       .on_problem = on_problem, .opaque = &x };
	struct hvt_runner_opts *ro = &so.runner;
	struct hvt_session_result r;
	struct hvt_err err = HVT_ERR_INIT;
	struct slurm_cli sl = { .so.shards = 4 };
	bool tap = false, tap_version = false, json = false, list = false;
	const char *publish = NULL;
	char *cmdline;
	int opt, rc;
	uint64_t v;

	hvt_runner_register_builtin();
	while ((opt = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			if (cli_parse_u64("--jobs", optarg, &v) || v > 256)
				return cli_usage_error("run", "--jobs takes 1..256");
			ro->jobs = (int)v;
			slurm_forward(&sl, "--jobs", optarg);
			break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds("--timeout", optarg, &ro->timeout))
				return CLI_EXIT_USAGE;
			slurm_forward(&sl, "--timeout", optarg);
			break;
		case OPT_REPEAT:
			if (cli_parse_u64("--repeat", optarg, &v) || v > 10000)
				return cli_usage_error("run", "--repeat takes 1..10000");
			ro->repeat = (int)v;
			slurm_forward(&sl, "--repeat", optarg);
			break;
		case OPT_RERUN:
			if (!strcmp(optarg, "0")) {
				ro->rerun_failed = 0;
			} else if (cli_parse_u64("--rerun-failed", optarg, &v) || v > 100) {
				return cli_usage_error("run", "--rerun-failed takes 0..100");
			} else {
				ro->rerun_failed = (int)v;
			}
			slurm_forward(&sl, "--rerun-failed", optarg);
			break;
		case OPT_SHARD:
			if (hvt_runner_parse_shard(optarg, &so.shard_k, &so.shard_n, &err))
				return cli_usage_error("run", "--shard: %s", err.msg);
			break;
		case OPT_RESUME:
			so.resume = optarg;
			break;
		case OPT_RESULTS:
			x.results = optarg;
			break;
		case OPT_MODULE:
			if (hvt_test_type_load(optarg, &err))
				return cli_fail(&err, "--module");
			slurm_forward(&sl, "--module", optarg);
			break;
		case OPT_TAP:
			tap = true;
			break;
		case OPT_TAP_VERSION:
			if (hvt_report_tap_version_parse(optarg, &so.report.tap_version))
				return cli_usage_error("run", "--tap-version takes 13 or 14");
			tap_version = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_JUNIT:
			so.junit = optarg;
			break;
		case OPT_LIST:
			list = true;
			break;
		case OPT_PUBLISH:
			publish = optarg;
			break;
		case OPT_TYPES:
			return list_types();
		case OPT_SLURM:
			sl.on = true;
			break;
		case OPT_SHARDS:
			if (cli_parse_u64("--shards", optarg, &v) || v < 1 || v > 100000)
				return cli_usage_error("run", "--shards takes 1..100000");
			sl.so.shards = (int)v;
			sl.shards_given = true;
			break;
		case OPT_PARTITION:
			sl.so.partition = optarg;
			break;
		case OPT_TIME_LIMIT:
			if (cli_parse_u64("--time-limit", optarg, &v) || v < 1 || v > 525600)
				return cli_usage_error("run", "--time-limit takes 1..525600 minutes");
			sl.so.time_limit_min = (long)v;
			break;
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
	if (tap_version && !tap)
		return cli_usage_error("run", "--tap-version chooses the version of --tap: "
				       "give --tap too");
	so.plan = x.plan = argv[optind];
	so.filters = (const char *const *)argv + optind + 1;
	so.nfilters = (size_t)(argc - optind - 1);
	so.results = x.results;
	if (list)
		return list_cases(&so);
	if (sl.on || sl.so.partition || sl.so.time_limit_min || sl.shards_given) {
		if (!sl.on)
			return cli_usage_error("run", "--shards, --partition and --time-limit go "
					       "with --slurm");
		if (so.shard_n || tap || json || so.junit)
			return cli_usage_error("run", "--slurm runs the shards itself and stores "
					       "the merged run: no --shard, --tap, --json or "
					       "--junit ('hvtest results export' writes them)");
		if (sl.too_many)
			return cli_usage_error("run", "--slurm: too many options for the tasks");
		return run_slurm(&sl, &so, argc, argv, publish);
	}

	cmdline = join_args(argc, argv);
	so.cmdline = cmdline;
	so.tap = tap ? stdout : NULL;
	so.json = json ? stdout : NULL;
	x.prog = tap || json ? stderr : stdout;
	ro->progress = x.prog;
	ro->tty = isatty(fileno(x.prog)) && !hvt_env_no_color();
	if (hvt_session_run(&so, &r, &err)) {
		rc = cli_fail(&err, "run");
	} else {
		print_summary(x.prog, &r);
		rc = r.exit_status ? CLI_EXIT_FAIL : 0;
		if (publish) {
			char ref[32];
			struct hvt_publish_opts po = { .results = x.results, .run = ref,
						       .server = publish };

			snprintf(ref, sizeof(ref), "%lld", (long long)r.run_id);
			fflush(x.prog);
			if (cli_publish(&po, NULL, x.prog))
				rc = CLI_EXIT_FAIL;
		}
	}
	hvt_session_result_release(&r);
	free(cmdline);
	return rc;
}
