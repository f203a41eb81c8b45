// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The results store: round trip of case records (expected failures
 * included), durability across a SIGKILL, the resume set, run references,
 * refusing foreign files, upgrading a database of schema version 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvt-config.h"
#include "store.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = hvt_zalloc(sizeof(*f));

	memcpy(f->dir, "/tmp/hvt-store-XXXXXX", 22);
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hvt_rm_rf(f->dir);
	free(f);
	return 0;
}

static struct hvt_store *open_ok(const char *dir)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s = hvt_store_open(dir, &err);

	if (!s)
		fail_msg("open %s: %s", dir, err.msg);
	return s;
}

static int64_t begin_ok(struct hvt_store *s, const char *plan)
{
	struct hvt_run_info ri = { .plan = plan, .filters = "type=exec", .argv = "hvtest run x",
				   .total = 3, .pid = (int)getpid() };
	struct hvt_err err = HVT_ERR_INIT;
	int64_t id = 0;

	ri.host.hostname = "box";
	ri.host.kernel = "6.1.0";
	ri.host.qemu = "/usr/bin/qemu-system-x86_64";
	ri.host.qemu_version = "7.2.0";
	ri.host.accel = "kvm";
	ri.host.accel_reason = "/dev/kvm ran the probe";
	ri.host.hvtest_version = "0.1.0";
	if (hvt_store_run_begin(s, &ri, &id, &err))
		fail_msg("run_begin: %s", err.msg);
	return id;
}

/* A case with every part filled in. */
static struct hvt_case *full_case(long index, const char *name)
{
	struct hvt_case *c = hvt_case_new(name, "short", "exec");

	c->index = index;
	c->attempt = 1;
	c->workdir = hvt_strdup("/tmp/w/1");
	c->duration = 1.25;
	c->start = 1790000000.5;
	hvt_case_set_param(c, "mem", "512");
	hvt_case_set_param(c, "quote'key", "v\"al\nue");
	hvt_case_check(c, "boots", true, "agent after %d ms", 812);
	hvt_case_check(c, "echo", false, "got '%s'", "hellp");
	hvt_case_check_skip(c, "hotplug", "no slot");
	hvt_case_metric(c, "boot_ms", 812.5, "ms");
	hvt_case_metric(c, "mem_free", 301, "MiB");
	hvt_case_artifact(c, "console", "console.log");
	/* fixed times, so that records made apart compare equal */
	for (size_t i = 0; i < c->nchecks; i++)
		c->checks[i].t = 0.5 * (double)i;
	for (size_t i = 0; i < c->nmetrics; i++)
		c->metrics[i].t = 0.25 * (double)i;
	return c;
}

static void assert_same(const struct hvt_case *a, const struct hvt_case *b)
{
	struct json_object *ja = hvt_case_to_json(a), *jb = hvt_case_to_json(b);

	assert_string_equal(hvt_json_str(ja), hvt_json_str(jb));
	json_object_put(ja);
	json_object_put(jb);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s = open_ok(f->dir);
	struct hvt_case *c1 = full_case(0, "exec.mem512.echo");
	struct hvt_case *c2 = hvt_case_new("exec.mem1024.echo", NULL, "exec");
	struct hvt_case **got;
	struct hvt_run_info ri;
	size_t n;
	double before = hvt_wall_now();
	int64_t id = begin_ok(s, "suites/smoke.cfg");

	c2->index = 1;
	c2->timed_out = true;
	c2->reason = hvt_strdup("no answer after 30 s");
	c2->flaky = true;
	assert_int_equal(hvt_store_case_add(s, id, c1, &err), 0);
	assert_int_equal(hvt_store_case_add(s, id, c2, &err), 0);
	/* same index and attempt again */
	assert_int_equal(hvt_store_case_add(s, id, c2, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "exec.mem1024.echo"));
	assert_int_equal(hvt_store_case_add(s, id + 100, c2, &err), -ENOENT);
	assert_int_equal(hvt_store_run_end(s, id, 1, &err), 0);
	hvt_store_close(s);

	s = open_ok(f->dir);
	assert_int_equal(hvt_store_run_cases(s, id, false, &got, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_same(c1, got[0]);
	assert_same(c2, got[1]);
	assert_int_equal(hvt_case_outcome(got[0]), HVT_FAIL);
	assert_int_equal(hvt_case_outcome(got[1]), HVT_TIMEOUT);
	assert_string_equal(got[0]->checks[1].message, "got 'hellp'");
	assert_string_equal(hvt_case_param(got[0], "quote'key", ""), "v\"al\nue");
	hvt_store_cases_free(got, n);

	assert_int_equal(hvt_store_run_get(s, id, &ri, &err), 0);
	assert_string_equal(ri.plan, "suites/smoke.cfg");
	assert_string_equal(ri.host.qemu_version, "7.2.0");
	assert_string_equal(ri.host.accel_reason, "/dev/kvm ran the probe");
	assert_int_equal(ri.exit_status, 1);
	/* started (not given) and finished: the wall clock when they happened */
	assert_true(ri.started >= before && ri.finished >= ri.started &&
		    ri.finished <= hvt_wall_now());
	assert_int_equal(ri.ncases, 2);
	assert_int_equal(ri.counts[HVT_FAIL], 1);
	assert_int_equal(ri.counts[HVT_TIMEOUT], 1);
	assert_int_equal(ri.counts[HVT_PASS], 0);
	hvt_run_info_release(&ri);
	assert_int_equal(hvt_store_run_get(s, id + 5, &ri, &err), -ENOENT);
	hvt_store_close(s);
	hvt_case_free(c1);
	hvt_case_free(c2);
}

/* xfail reasons and the xfail/xpass outcomes survive the store; counts include them. */
static void test_expected_failures(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s = open_ok(f->dir);
	struct hvt_case *known = full_case(0, "known"), *fixed = hvt_case_new("fixed", NULL, "exec");
	struct hvt_store_done done;
	struct hvt_run_info *runs;
	struct hvt_case **got;
	size_t n;
	int64_t id = begin_ok(s, "x.cfg");

	hvt_case_set_xfail(known, "bug 1: 'quoted'");
	hvt_case_set_xfail(fixed, "bug 2");
	fixed->index = 1;
	hvt_case_check(fixed, "ok", true, NULL);
	assert_int_equal(hvt_store_case_add(s, id, known, &err), 0);
	assert_int_equal(hvt_store_case_add(s, id, fixed, &err), 0);
	hvt_store_close(s);

	s = open_ok(f->dir);
	assert_int_equal(hvt_store_run_cases(s, id, false, &got, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_same(known, got[0]);
	assert_string_equal(got[0]->xfail, "bug 1: 'quoted'");
	assert_int_equal(hvt_case_outcome(got[0]), HVT_XFAIL);
	assert_int_equal(hvt_case_outcome(got[1]), HVT_XPASS);
	hvt_store_cases_free(got, n);
	/* the stored outcome column says so too */
	assert_int_equal(hvt_store_run_done(s, id, &done, &err), 0);
	assert_int_equal(done.n, 2);
	assert_int_equal(done.v[0].outcome, HVT_XFAIL);
	assert_int_equal(done.v[1].outcome, HVT_XPASS);
	hvt_store_done_release(&done);
	assert_int_equal(hvt_store_runs_list(s, &runs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].counts[HVT_XFAIL], 1);
	assert_int_equal(runs[0].counts[HVT_XPASS], 1);
	assert_int_equal(runs[0].counts[HVT_FAIL] + runs[0].counts[HVT_PASS], 0);
	hvt_store_runs_free(runs, n);
	hvt_store_close(s);
	hvt_case_free(known);
	hvt_case_free(fixed);
}

/* Run argv with stdin from the file in; its exit code, or -1. */
static int run_with_stdin(const char *const *argv, const char *in)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(in, O_RDONLY);

		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int user_version(const char *path)
{
	unsigned char v[4];
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, v, 4, 60), 4);
	close(fd);
	return v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
}

/* A database hvtest 0.1.0 wrote (schema 1) is upgraded and keeps its runs. */
static void test_upgrade_v1(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	char *sqlite = hvt_which("sqlite3");
	char *db = hvt_asprintf("%s/" HVT_STORE_FILE, f->dir);
	const char *argv[] = { "sqlite3", db, NULL };
	struct hvt_case *c = hvt_case_new("new", NULL, "exec");
	struct hvt_run_info ri;
	struct hvt_case **got;
	struct hvt_store *s;
	size_t n;

	if (!sqlite) {
		print_message("no sqlite3 shell: the version 1 database cannot be made\n");
		free(db);
		hvt_case_free(c);
		skip();
	}
	free(sqlite);
	assert_int_equal(run_with_stdin(argv, HVT_SRCDIR "/tests/fixtures/results-v1.sql"), 0);
	assert_int_equal(user_version(db), 1);
	s = open_ok(f->dir);
	/* the last connection's close checkpoints the WAL into the file */
	hvt_store_close(s);
	assert_int_equal(user_version(db), HVT_STORE_SCHEMA_VERSION);
	s = open_ok(f->dir);
	/* the old run, as it was */
	assert_int_equal(hvt_store_run_get(s, 1, &ri, &err), 0);
	assert_string_equal(ri.host.hostname, "box");
	assert_int_equal(ri.ncases, 2);
	assert_int_equal(ri.counts[HVT_PASS], 1);
	assert_int_equal(ri.counts[HVT_ERROR], 1);
	assert_int_equal(ri.counts[HVT_XFAIL], 0);
	hvt_run_info_release(&ri);
	assert_int_equal(hvt_store_run_cases(s, 1, false, &got, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_null(got[0]->xfail);
	assert_int_equal(hvt_case_outcome(got[0]), HVT_PASS);
	assert_string_equal(got[1]->reason, "exited with code 1 without a failed test");
	hvt_store_cases_free(got, n);
	/* and new records beside them */
	c->index = 2;
	hvt_case_set_xfail(c, "bug 3");
	hvt_case_check(c, "x", false, NULL);
	assert_int_equal(hvt_store_case_add(s, 1, c, &err), 0);
	hvt_store_close(s);
	s = open_ok(f->dir);
	assert_int_equal(hvt_store_run_get(s, 1, &ri, &err), 0);
	assert_int_equal(ri.counts[HVT_XFAIL], 1);
	assert_int_equal(ri.ncases, 3);
	hvt_run_info_release(&ri);
	hvt_store_close(s);
	hvt_case_free(c);
	free(db);
}

/* Deleting a run takes all it recorded and nothing of the other runs. */
static void test_delete(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s = open_ok(f->dir);
	struct hvt_case *c = full_case(0, "exec.mem512.echo");
	struct hvt_run_info ri;
	struct hvt_case **got;
	int64_t a = begin_ok(s, "a.cfg"), b = begin_ok(s, "b.cfg");
	size_t n;

	assert_int_equal(hvt_store_case_add(s, a, c, &err), 0);
	assert_int_equal(hvt_store_case_add(s, b, c, &err), 0);
	assert_int_equal(hvt_store_run_delete(s, a, &err), 0);
	assert_int_equal(hvt_store_run_get(s, a, &ri, &err), -ENOENT);
	assert_int_equal(hvt_store_run_cases(s, a, true, &got, &n, &err), -ENOENT);
	assert_int_equal(hvt_store_run_delete(s, a, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no run"));
	hvt_store_close(s);

	s = open_ok(f->dir);
	assert_int_equal(hvt_store_run_cases(s, b, true, &got, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_same(c, got[0]);
	hvt_store_cases_free(got, n);
	assert_int_equal(hvt_store_run_get(s, b, &ri, &err), 0);
	assert_string_equal(ri.plan, "b.cfg");
	assert_int_equal(ri.ncases, 1);
	hvt_run_info_release(&ri);
	hvt_store_close(s);
	hvt_case_free(c);
}

static void test_nan_metric(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s = open_ok(f->dir);
	struct hvt_case *c = hvt_case_new("n", NULL, NULL);
	struct hvt_case **got;
	size_t n;
	int64_t id = begin_ok(s, "p");

	hvt_case_check(c, "ok", true, NULL);
	hvt_case_metric(c, "nan", NAN, NULL);
	assert_int_equal(hvt_store_case_add(s, id, c, &err), 0);
	assert_int_equal(hvt_store_run_cases(s, id, false, &got, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(isnan(got[0]->metrics[0].value));
	assert_string_equal(got[0]->metrics[0].unit, "");
	hvt_store_cases_free(got, n);
	hvt_case_free(c);
	hvt_store_close(s);
}

#define KILL_AFTER 7

static void test_sigkill_durability(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s = open_ok(f->dir);
	struct hvt_case **got;
	int64_t id = begin_ok(s, "p");
	size_t n;
	pid_t pid;
	int status;

	hvt_store_close(s);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct hvt_store *cs = hvt_store_open(f->dir, NULL);

		if (!cs)
			_exit(3);
		for (long i = 0;; i++) {
			char name[32];
			struct hvt_case *c;

			snprintf(name, sizeof(name), "case.%ld", i);
			c = full_case(i, name);
			if (hvt_store_case_add(cs, id, c, NULL))
				_exit(4);
			hvt_case_free(c);
			if (i + 1 == KILL_AFTER)
				raise(SIGKILL);
		}
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	s = open_ok(f->dir);
	assert_int_equal(hvt_store_run_cases(s, id, false, &got, &n, &err), 0);
	assert_int_equal(n, KILL_AFTER);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		struct hvt_case *want;

		snprintf(name, sizeof(name), "case.%zu", i);
		want = full_case((long)i, name);
		assert_same(want, got[i]);
		hvt_case_free(want);
	}
	hvt_store_cases_free(got, n);
	/* the killed run is still open and takes more cases */
	got = NULL;
	{
		struct hvt_case *c = full_case(KILL_AFTER, "after");

		assert_int_equal(hvt_store_case_add(s, id, c, &err), 0);
		hvt_case_free(c);
	}
	hvt_store_close(s);
}

static void test_resume_set(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s = open_ok(f->dir);
	struct hvt_store_done done;
	struct hvt_case **got;
	size_t n;
	int64_t id = begin_ok(s, "p");
	struct hvt_case *c;

	c = hvt_case_new("a", NULL, NULL);
	c->index = 0;
	hvt_case_check(c, "x", true, NULL);
	assert_int_equal(hvt_store_case_add(s, id, c, &err), 0);
	hvt_case_free(c);
	c = hvt_case_new("c", NULL, NULL);
	c->index = 2;
	hvt_case_check(c, "x", false, NULL);
	assert_int_equal(hvt_store_case_add(s, id, c, &err), 0);
	c->attempt = 2;
	c->checks[0].status = HVT_PASS;
	c->flaky = true;
	assert_int_equal(hvt_store_case_add(s, id, c, &err), 0);
	hvt_case_free(c);

	assert_int_equal(hvt_store_run_done(s, id, &done, &err), 0);
	assert_int_equal(done.n, 2);
	assert_true(hvt_store_done_has(&done, 0, "a"));
	assert_true(hvt_store_done_has(&done, 2, "c"));
	assert_false(hvt_store_done_has(&done, 1, "b"));
	assert_false(hvt_store_done_has(&done, 2, "a"));
	assert_int_equal(done.v[1].outcome, HVT_PASS); /* the last attempt */
	hvt_store_done_release(&done);

	assert_int_equal(hvt_store_run_cases(s, id, true, &got, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(got[1]->attempt, 1);
	assert_int_equal(got[2]->attempt, 2);
	hvt_store_cases_free(got, n);
	assert_int_equal(hvt_store_run_done(s, id + 1, &done, &err), -ENOENT);
	hvt_store_close(s);
}

static void test_resolve_and_list(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_store *s = open_ok(f->dir);
	struct hvt_run_info *runs;
	int64_t id, r1, r2, r3;
	size_t n;

	assert_int_equal(hvt_store_run_resolve(s, "latest", &id, &err), -ENOENT);
	assert_int_equal(hvt_store_runs_list(s, &runs, &n, &err), 0);
	assert_int_equal(n, 0);
	hvt_store_runs_free(runs, n);
	r1 = begin_ok(s, "one");
	r2 = begin_ok(s, "two");
	r3 = begin_ok(s, "three");
	assert_int_equal(hvt_store_run_resolve(s, "latest", &id, &err), 0);
	assert_int_equal(id, r3);
	assert_int_equal(hvt_store_run_resolve(s, "latest~1", &id, &err), 0);
	assert_int_equal(id, r2);
	assert_int_equal(hvt_store_run_resolve(s, "latest~2", &id, &err), 0);
	assert_int_equal(id, r1);
	assert_int_equal(hvt_store_run_resolve(s, "latest~3", &id, &err), -ENOENT);
	assert_int_equal(hvt_store_run_resolve(s, "2", &id, &err), 0);
	assert_int_equal(id, 2);
	assert_int_equal(hvt_store_run_resolve(s, "99", &id, &err), -ENOENT);
	assert_int_equal(hvt_store_run_resolve(s, "latest~x", &id, &err), -EINVAL);
	assert_int_equal(hvt_store_run_resolve(s, "newest", &id, &err), -EINVAL);
	assert_int_equal(hvt_store_run_resolve(s, "-1", &id, &err), -EINVAL);

	assert_int_equal(hvt_store_runs_list(s, &runs, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].id, r3);
	assert_string_equal(runs[0].plan, "three");
	assert_int_equal(runs[2].id, r1);
	assert_int_equal(runs[2].exit_status, -1);
	assert_true(runs[2].finished == 0);
	assert_int_equal(runs[2].total, 3);
	hvt_store_runs_free(runs, n);
	hvt_store_close(s);
}

static void write_file(const char *path, const void *data, size_t len)
{
	struct hvt_err err = HVT_ERR_INIT;

	if (hvt_file_write(path, data, len, &err))
		fail_msg("%s", err.msg);
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* A valid, empty one-page SQLite database with the given application_id. */
static void write_empty_sqlite(const char *path, uint32_t app_id)
{
	static unsigned char page[4096];

	memset(page, 0, sizeof(page));
	memcpy(page, "SQLite format 3", 16);
	page[16] = 0x10;	/* page size 4096 */
	page[18] = page[19] = 1; /* legacy journal */
	page[21] = 64;
	page[22] = 32;
	page[23] = 32;
	put_be32(page + 24, 1); /* change counter */
	put_be32(page + 28, 1); /* pages */
	put_be32(page + 44, 4); /* schema format */
	put_be32(page + 56, 1); /* UTF-8 */
	put_be32(page + 68, app_id);
	put_be32(page + 92, 1); /* version-valid-for = change counter */
	put_be32(page + 96, 3040001);
	page[100] = 0x0d;	/* leaf table b-tree, no cells */
	page[105] = 0x10;	/* cell content at 4096 */
	write_file(path, page, sizeof(page));
}

static void test_refuse_foreign(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/" HVT_STORE_FILE, f->dir);
	static const char junk[] = "this is a text file, not a database, not at all....."
				   "................................................";
	struct hvt_store *s;

	write_file(path, junk, sizeof(junk));
	assert_null(hvt_store_open(f->dir, &err));
	assert_int_equal(err.code, -EBADMSG);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "not an SQLite database"));
	/* untouched */
	{
		char *data;
		size_t len;

		assert_int_equal(hvt_file_read(path, &data, &len, &err), 0);
		assert_int_equal(len, sizeof(junk));
		free(data);
	}

	unlink(path);
	write_empty_sqlite(path, 0x12345678);
	hvt_err_clear(&err);
	assert_null(hvt_store_open(f->dir, &err));
	assert_int_equal(err.code, -EBADMSG);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "not an hvtest results database"));

	/* the same empty database without an application_id becomes ours */
	unlink(path);
	write_empty_sqlite(path, 0);
	s = open_ok(f->dir);
	hvt_store_close(s);

	/* a newer schema (user_version lives at offset 60 of the header) */
	{
		unsigned char v[4];
		int fd = open(path, O_WRONLY);

		assert_true(fd >= 0);
		put_be32(v, HVT_STORE_SCHEMA_VERSION + 1);
		assert_int_equal(pwrite(fd, v, 4, 60), 4);
		close(fd);
	}
	hvt_err_clear(&err);
	assert_null(hvt_store_open(f->dir, &err));
	assert_int_equal(err.code, -EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, path));
	free(path);
}

static void test_unwritable_dir(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;

	assert_null(hvt_store_open("/proc/self/hvt-no-such/x", &err));
	assert_true(err.code < 0);
	assert_true(err.msg[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expected_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nan_metric, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_durability, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_foreign, setup, teardown),
		cmocka_unit_test(test_unwritable_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
