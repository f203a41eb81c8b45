// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest run --slurm on a real one-host Slurm cluster (munged, slurmctld,
 * slurmd) started here from a temporary directory, in a PID namespace tied
 * to this test's life: the merged run of 40 cases in 4 shards is the local
 * run's; slurmd killed mid-run and started again loses no case; a lost
 * node's shard is reported and --resume runs only its missing cases; a
 * partition that does not exist is a clear error; Ctrl-C cancels the job.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

static char dir[] = "/tmp/hvt-slurm-XXXXXX";
static struct hvt_proc *cluster;
static char *conf_env;
static int runs;		/* results directories used so far */

static char *path(const char *name)
{
	return hvt_asprintf("%s/%s", dir, name);
}

static char *cluster_sh(void)
{
	const char *src = getenv("HVT_SRCDIR");

	return hvt_asprintf("%s/tests/integration/slurm-cluster.sh", src ? src : ".");
}

static const char *const needed[] = { "munged", "slurmctld", "slurmd", "sbatch", "scontrol",
				      "scancel", "unshare", "tini" };

static int group_setup(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *sh = cluster_sh(), *log, *ready, ports[2][16];
	int64_t deadline;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(needed); i++) {
		char *p = hvt_which(needed[i]);

		if (!p) {
			fprintf(stderr, "skip: %s is not installed (sh scripts/deps)\n", needed[i]);
			free(sh);
			return 0;
		}
		free(p);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "skip: slurmd and munged need root here\n");
		free(sh);
		return 0;
	}
	if (!mkdtemp(dir) || chmod(dir, 0755))
		return -1;
	/* ports of our own, away from a cluster this host may run */
	snprintf(ports[0], sizeof(ports[0]), "%d", 20000 + (getpid() % 10000) * 2);
	snprintf(ports[1], sizeof(ports[1]), "%d", 20001 + (getpid() % 10000) * 2);
	log = path("cluster.log");
	ready = path("cluster/ready");
	{
		const char *argv[] = { "unshare", "--pid", "--fork", "--kill-child=SIGKILL",
				       "--mount-proc", "--", "tini", "-s", "--", "sh", sh,
				       NULL, ports[0], ports[1], NULL };
		char *cdir = path("cluster");
		struct hvt_proc_opts o = { .argv = argv, .stdout_path = log, .stderr_path = log };

		argv[11] = cdir;
		cluster = hvt_proc_spawn(&o, &err);
		conf_env = hvt_asprintf("SLURM_CONF=%s/slurm.conf", cdir);
		free(cdir);
	}
	if (!cluster) {
		fprintf(stderr, "skip: cannot start the cluster: %s\n", err.msg);
		goto out;
	}
	deadline = hvt_now_ms() + 60000;
	while (!hvt_path_exists(ready) && hvt_now_ms() < deadline) {
		struct hvt_proc_status st;

		if (hvt_proc_poll(cluster, &st) == 1)
			break;
		usleep(100000);
	}
	if (!hvt_path_exists(ready)) {
		char *tail = hvt_file_tail(log, 20);

		fprintf(stderr, "skip: the Slurm cluster did not start here:\n%s\n",
			tail ? tail : "");
		free(tail);
		hvt_proc_free(cluster);
		cluster = NULL;
	} else {
		putenv(conf_env);	/* stays ours until the end */
	}
out:
	free(log);
	free(ready);
	free(sh);
	return 0;
}

static int group_teardown(void **state)
{
	if (cluster) {
		hvt_proc_stop(cluster, 3000, NULL);
		hvt_proc_free(cluster);
	}
	if (strcmp(dir + strlen(dir) - 6, "XXXXXX"))
		hvt_rm_rf(dir);
	free(conf_env);
	return 0;
}

/* A new results directory for this test. */
static char *results_dir(void)
{
	return hvt_asprintf("%s/results-%d", dir, ++runs);
}

static const char *plan40(void)
{
	static char p[4096];
	const char *src = getenv("HVT_SRCDIR");

	snprintf(p, sizeof(p), "%s/tests/integration/plans/cluster.cfg", src ? src : ".");
	return p;
}

/*
 * A plan of n x 4 cases that each take about a second (time for slurmd
 * to be killed, a node to go down, a job to be cancelled while it runs).
 */
static char *slow_plan(int n)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf b = HVT_BUF_INIT;
	char *script = path("slow-ok.sh"), *plan = path("slow.cfg");
	const char *body = "#!/bin/sh\nsleep 1\necho ok 1\n";

	assert_int_equal(hvt_file_write(script, body, strlen(body), &err), 0);
	assert_int_equal(chmod(script, 0755), 0);
	hvt_buf_addf(&b, "type = exec\nexec = %s\nvariants:\n", script);
	for (int i = 0; i < n; i++)
		hvt_buf_addf(&b, "    - s%d:\n", i);
	hvt_buf_addf(&b, "variants:\n    - a:\n    - b:\n    - c:\n    - d:\n");
	assert_int_equal(hvt_file_write(plan, b.p, b.len, &err), 0);
	hvt_buf_release(&b);
	free(script);
	return plan;
}

/* name -> outcome of every case of the latest run of results, as "name=outcome\n" sorted. */
static char *outcomes(const char *results, bool want_host)
{
	struct json_object *doc = itest_results_latest(results), *cases;
	struct hvt_buf b = HVT_BUF_INIT;

	assert_true(json_object_object_get_ex(doc, "cases", &cases));
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);
		const char *wd = hvt_json_get_str(c, "workdir");

		hvt_buf_addf(&b, "%s=%s\n", hvt_json_get_str(c, "name"),
			     hvt_json_get_str(c, "outcome"));
		if (want_host)
			assert_non_null(hvt_json_get_str(c, "host"));
		/* the work directory is reachable, with what the case left in it */
		assert_non_null(wd);
		if (!strcmp(hvt_json_get_str(c, "type"), "exec")) {
			char *out = hvt_asprintf("%s/exec.stdout", wd);

			if (!hvt_path_exists(out))
				fail_msg("%s: %s is not there", hvt_json_get_str(c, "name"), out);
			free(out);
		}
	}
	json_object_put(doc);
	return b.p ? b.p : hvt_strdup("");
}

/* argv[0] then args (NULL-ended, at most 30) into argv. */
static void with_args(const char **argv, const char *argv0, const char *const *args)
{
	size_t n = 1;

	argv[0] = argv0;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
}

static int hvtest(const char *const *args, char **out, int timeout_ms)
{
	const char *argv[32];

	with_args(argv, itest_hvtest(), args);
	return itest_run(argv, NULL, timeout_ms, out);
}

/* 40 cases in 4 shards: the merged run has the local run's cases and outcomes. */
static void test_merged_is_local(void **state)
{
	char *local = results_dir(), *cl = results_dir(), *out = NULL, *a, *b, *page;
	const char *run_local[] = { "run", "-j", "2", "--results", local, plan40(), NULL };
	const char *run_cl[] = { "run", "--slurm", "--shards", "4", "-j", "1", "--results", cl,
				 plan40(), NULL };
	const char *diff[] = { "results", "--results", cl, "diff", "1", "latest", NULL };
	int rc;

	ITEST_NEED(cluster);
	/* the plan has failures: both runs exit 1 */
	rc = hvtest(run_local, &out, 300000);
	assert_int_equal(rc, 1);
	free(out);
	rc = hvtest(run_cl, &out, 300000);
	if (rc != 1 || !strstr(out, "40 of 40 cases stored"))
		fail_msg("run --slurm: exit %d:\n%s", rc, out);
	for (int k = 1; k <= 4; k++) {
		char want[64];

		snprintf(want, sizeof(want), "hvtest: shard %d: COMPLETED", k);
		if (!strstr(out, want))
			fail_msg("no '%s' in:\n%s", want, out);
	}
	free(out);
	a = outcomes(local, false);
	b = outcomes(cl, true);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a) > 0, 1);
	{
		size_t lines = 0;

		for (const char *p = a; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 40);
	}
	/* the page and diff work on the merged run */
	page = hvt_asprintf("%s/run-1/report.html", cl);
	assert_true(hvt_path_exists(page));
	rc = hvtest(diff, &out, 60000);
	if (rc != 0 || !strstr(out, "no differences"))
		fail_msg("results diff: exit %d:\n%s", rc, out);
	free(out);
	free(page);
	free(a);
	free(b);
	free(local);
	free(cl);
}

/* The host pid of the cluster's slurmd, or 0. */
static pid_t slurmd_pid(void)
{
	pid_t pid = 0;

	return itest_find_procs("slurmd -D -N ", dir, &pid) > 0 ? pid : 0;
}

/* hvtest run --slurm in the background, its output into a file. */
static struct hvt_proc *start_run(const char *const *args, const char *log)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *argv[32];
	struct hvt_proc_opts o = { .argv = argv, .stdout_path = log, .stderr_path = log };
	struct hvt_proc *p;

	with_args(argv, itest_hvtest(), args);
	p = hvt_proc_spawn(&o, &err);
	if (!p)
		fail_msg("%s", err.msg);
	return p;
}

/* Wait up to ms for a file to appear. */
static bool wait_path(const char *p, int ms)
{
	int64_t deadline = hvt_now_ms() + ms;

	while (!hvt_path_exists(p)) {
		if (hvt_now_ms() > deadline)
			return false;
		usleep(50000);
	}
	return true;
}

static int finish(struct hvt_proc *p, const char *log, char **out)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;

	if (hvt_proc_wait(p, 300000, &st)) {
		hvt_proc_free(p);
		fail_msg("hvtest run --slurm did not end");
	}
	hvt_proc_free(p);
	if (hvt_file_read(log, out, NULL, &err))
		fail_msg("%s", err.msg);
	if (strstr(*out, "Sanitizer") || strstr(*out, "runtime error: ")) {
		char *msg = *out;

		*out = NULL;
		fail_msg("the sanitizers found a defect:\n%s", msg);
	}
	return st.exited ? st.code : 128 + st.sig;
}

/* slurmd killed while tasks run (and others wait), started again: no case lost. */
static void test_slurmd_killed(void **state)
{
	char *plan = slow_plan(3), *res = results_dir(), *log = path("killed.log"), *out = NULL;
	char *db = hvt_asprintf("%s/run-1/shards/1/results.db", res);
	char *restart = path("cluster/restart-slurmd");
	const char *args[] = { "run", "--slurm", "--shards", "4", "-j", "1", "--results", res,
			       plan, NULL };
	struct hvt_proc *p;
	pid_t pid;
	int rc;

	ITEST_NEED(cluster);
	p = start_run(args, log);
	assert_true(wait_path(db, 60000));
	pid = slurmd_pid();
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 100 && slurmd_pid(); i++)
		usleep(50000);
	assert_int_equal(slurmd_pid(), 0);
	sleep(2);
	assert_int_equal(hvt_file_write(restart, "", 0, NULL), 0);
	rc = finish(p, log, &out);
	if (rc != 0 || !strstr(out, "12 of 12 cases stored"))
		fail_msg("exit %d:\n%s", rc, out);
	free(out);
	out = outcomes(res, true);
	for (const char *q = out; *q; q = strchr(q, '\n') + 1)
		if (strncmp(strchr(q, '=') + 1, "pass\n", 5))
			fail_msg("not all pass:\n%s", out);
	free(out);
	free(plan);
	free(res);
	free(log);
	free(db);
	free(restart);
}

static int scontrol(const char *const *args)
{
	const char *argv[32];
	char *out = NULL;
	int rc;

	with_args(argv, "scontrol", args);
	rc = itest_run(argv, NULL, 60000, &out);
	if (rc)
		fprintf(stderr, "scontrol: %s", out);
	free(out);
	return rc;
}

/* Wait until node1 is idle again. */
static void wait_idle(void)
{
	for (int i = 0; i < 600; i++) {
		const char *argv[] = { "sinfo", "-h", "-o", "%t", NULL };
		char *out = NULL;
		bool idle = !itest_run(argv, NULL, 60000, &out) && strstr(out, "idle");

		free(out);
		if (idle)
			return;
		usleep(100000);
	}
	fail_msg("node1 did not become idle");
}

/* A node lost mid-task: its shard's missing cases said, then --resume runs only them. */
static void test_node_lost_resume(void **state)
{
	char *plan = slow_plan(4), *res = results_dir(), *log = path("lost.log"), *out = NULL;
	char *db = hvt_asprintf("%s/run-1/shards/1/results.db", res);
	const char *args[] = { "run", "--slurm", "--shards", "2", "-j", "1", "--results", res,
			       plan, NULL };
	const char *resume[] = { "run", "--slurm", "--resume", "1", "-j", "1", "--results", res,
				 plan, NULL };
	const char *down[] = { "update", "nodename=node1", "state=down", "reason=lost", NULL };
	struct hvt_proc *p;
	char *tlog = NULL;
	int rc;

	ITEST_NEED(cluster);
	p = start_run(args, log);
	assert_true(wait_path(db, 60000));
	sleep(3);	/* a case or two stored */
	assert_int_equal(scontrol(down), 0);
	rc = finish(p, log, &out);
	if (rc != 1 || !strstr(out, "NODE_FAIL") || !strstr(out, "lost while the task ran") ||
	    !strstr(out, "hvtest: missing") || !strstr(out, "--slurm --resume 1"))
		fail_msg("exit %d:\n%s", rc, out);
	free(out);
	wait_idle();
	rc = hvtest(resume, &out, 300000);
	if (rc != 0 || !strstr(out, "16 of 16 cases stored"))
		fail_msg("resume: exit %d:\n%s", rc, out);
	free(out);
	/*
	 * Shard 1 had stored cases: it was resumed. Over both jobs every
	 * case ran to its end exactly once (a line per stored case in the
	 * tasks' logs, which both jobs append to).
	 */
	{
		int passes = 0;

		for (int k = 0; k < 2; k++) {
			char *tl = hvt_asprintf("%s/run-1/shards/task-%d.log", res, k);

			tlog = NULL;
			assert_int_equal(hvt_file_read(tl, &tlog, NULL, NULL), 0);
			if (k == 0 && !strstr(tlog, ", resumed"))
				fail_msg("shard 1 was not resumed:\n%s", tlog);
			for (const char *q = tlog; (q = strstr(q, "\npass    ")); q++)
				passes++;
			free(tlog);
			free(tl);
		}
		assert_int_equal(passes, 16);
	}
	{
		const char *show[] = { "results", "--results", res, "show", "1", "--all-attempts",
				       NULL };
		char *o2 = NULL;

		assert_int_equal(hvtest(show, &o2, 60000), 0);
		if (!strstr(o2, "16 cases: 16 pass"))
			fail_msg("%s", o2);
		free(o2);
	}
	free(plan);
	free(res);
	free(log);
	free(db);
}

/* A partition that does not exist: a clear error, no run left behind. */
static void test_bad_partition(void **state)
{
	char *res = results_dir(), *out = NULL;
	const char *args[] = { "run", "--slurm", "--partition", "no-such-part", "--results", res,
			       plan40(), NULL };
	const char *list[] = { "results", "--results", res, "list", NULL };
	int rc;

	ITEST_NEED(cluster);
	rc = hvtest(args, &out, 60000);
	if (rc != 1 || !strstr(out, "partition 'no-such-part' does not exist"))
		fail_msg("exit %d:\n%s", rc, out);
	free(out);
	rc = hvtest(list, &out, 60000);
	if (rc != 0 || strstr(out, "cluster.cfg"))
		fail_msg("a run was left behind:\n%s", out);
	free(out);
	free(res);
}

/* SIGINT (Ctrl-C) cancels the job: its tasks end, what finished is kept. */
static void test_cancel(void **state)
{
	char *plan = slow_plan(5), *res = results_dir(), *log = path("cancel.log"), *out = NULL;
	char *db = hvt_asprintf("%s/run-1/shards/1/results.db", res);
	const char *args[] = { "run", "--slurm", "--shards", "2", "-j", "1", "--results", res,
			       plan, NULL };
	const char *squeue[] = { "squeue", "-h", "-n", "hvtest-run-1", NULL };
	struct hvt_proc *p;
	int rc;

	ITEST_NEED(cluster);
	p = start_run(args, log);
	assert_true(wait_path(db, 60000));
	assert_int_equal(hvt_proc_signal(p, SIGINT), 0);
	rc = finish(p, log, &out);
	if (rc != 1 || !strstr(out, "cancelled") || !strstr(out, "CANCELLED"))
		fail_msg("exit %d:\n%s", rc, out);
	free(out);
	assert_int_equal(itest_run(squeue, NULL, 60000, &out), 0);
	if (*out)
		fail_msg("the job is still queued:\n%s", out);
	free(out);
	free(plan);
	free(res);
	free(log);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merged_is_local),
		cmocka_unit_test(test_slurmd_killed),
		cmocka_unit_test(test_node_lost_resume),
		cmocka_unit_test(test_bad_partition),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
