// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for proc: spawning, status strings, stopping, process groups,
 * death of the parent, output capture.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"

static char tmpdir[] = "/tmp/hvt-test-proc-XXXXXX";

static int setup(void **state)
{
	struct rlimit rl = { 0, 0 };

	/* Deterministic "(core dumped)" or not: no cores from these tests. */
	setrlimit(RLIMIT_CORE, &rl);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	return 0;
}

static char *tmp_path(const char *name)
{
	return hvt_asprintf("%s/%s", tmpdir, name);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* True once pid no longer runs (gone, or a zombie nobody reaped yet). */
static bool pid_gone(pid_t pid, int timeout_ms)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;

	do {
		char path[64], *stat = NULL, *p;
		bool zombie = false;

		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (hvt_file_read(path, &stat, NULL, NULL) == 0) {
			p = strrchr(stat, ')');
			zombie = p && p[1] == ' ' && p[2] == 'Z';
			free(stat);
		}
		if (zombie)
			return true;
		sleep_ms(10);
	} while (hvt_ms_left(deadline) > 0);
	return false;
}

/* Wait until path holds a line (a script announcing it is ready). */
static char *wait_file(const char *path, int timeout_ms)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;

	do {
		char *data;

		if (hvt_file_read(path, &data, NULL, NULL) == 0) {
			if (strchr(data, '\n'))
				return data;
			free(data);
		}
		sleep_ms(10);
	} while (hvt_ms_left(deadline) > 0);
	return NULL;
}

static struct hvt_proc *spawn_argv(const char *const *argv)
{
	struct hvt_proc_opts opts = { .argv = argv };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc *p = hvt_proc_spawn(&opts, &err);

	if (!p)
		fail_msg("spawn %s: %s", argv[0], err.msg);
	return p;
}

static void test_true_false(void **state)
{
	const char *t[] = { "true", NULL }, *f[] = { "false", NULL };
	struct hvt_proc_status st;
	struct hvt_proc *p;
	char buf[64];

	p = spawn_argv(t);
	assert_string_equal(hvt_proc_name(p), "true");
	assert_true(hvt_proc_pid(p) > 0);
	assert_int_equal(hvt_proc_wait(p, 5000, &st), 0);
	assert_true(st.exited);
	assert_int_equal(st.code, 0);
	assert_string_equal(hvt_proc_status_str(&st, buf, sizeof(buf)), "exited with code 0");
	/* Once reaped, polling keeps answering with the same status. */
	assert_int_equal(hvt_proc_poll(p, &st), 1);
	assert_int_equal(st.code, 0);
	assert_int_equal(hvt_proc_signal(p, SIGTERM), -ESRCH);
	hvt_proc_free(p);

	p = spawn_argv(f);
	assert_int_equal(hvt_proc_wait(p, 5000, &st), 0);
	assert_true(st.exited);
	assert_int_equal(st.code, 1);
	assert_string_equal(hvt_proc_status_str(&st, buf, sizeof(buf)), "exited with code 1");
	hvt_proc_free(p);
}

static void test_killed_by_signal(void **state)
{
	const char *argv[] = { "sh", "-c", "kill -SEGV $$", NULL };
	struct hvt_proc_status st;
	struct hvt_proc *p = spawn_argv(argv);
	char buf[64];

	assert_int_equal(hvt_proc_wait(p, 5000, &st), 0);
	assert_false(st.exited);
	assert_int_equal(st.sig, SIGSEGV);
	assert_false(st.core);
	assert_string_equal(hvt_proc_status_str(&st, buf, sizeof(buf)),
			    "killed by signal 11 (SIGSEGV)");
	hvt_proc_free(p);
}

static void test_status_strings(void **state)
{
	struct hvt_proc_status st = { .sig = SIGKILL };
	char buf[64];

	assert_string_equal(hvt_proc_status_str(&st, buf, sizeof(buf)),
			    "killed by signal 9 (SIGKILL)");
	st.sig = SIGABRT;
	st.core = true;
	assert_string_equal(hvt_proc_status_str(&st, buf, sizeof(buf)),
			    "killed by signal 6 (SIGABRT) (core dumped)");
	st = (struct hvt_proc_status){ .exited = true, .code = 133 };
	assert_string_equal(hvt_proc_status_str(&st, buf, sizeof(buf)),
			    "exited with code 133");
}

static void test_exec_missing(void **state)
{
	const char *argv[] = { "hvt-no-such-program", "x", NULL };
	struct hvt_proc_opts opts = { .argv = argv };
	struct hvt_err err = HVT_ERR_INIT;

	assert_null(hvt_proc_spawn(&opts, &err));
	assert_int_equal(err.code, -ENOENT);
	assert_string_equal(err.msg,
			    "cannot run hvt-no-such-program: No such file or directory");
}

static void test_exec_not_executable(void **state)
{
	char *path = tmp_path("not-executable");
	const char *argv[] = { path, NULL };
	struct hvt_proc_opts opts = { .argv = argv };
	struct hvt_err err = HVT_ERR_INIT;
	char *want;

	assert_int_equal(hvt_file_write(path, "#!/bin/sh\n", 10, &err), 0);
	chmod(path, 0644);
	assert_null(hvt_proc_spawn(&opts, &err));
	assert_int_equal(err.code, -EACCES);
	want = hvt_asprintf("cannot run %s: Permission denied", path);
	assert_string_equal(err.msg, want);
	free(want);
	free(path);
}

static void test_bad_cwd(void **state)
{
	const char *argv[] = { "true", NULL };
	struct hvt_proc_opts opts = { .argv = argv, .cwd = "/hvt-no-such-dir" };
	struct hvt_err err = HVT_ERR_INIT;

	assert_null(hvt_proc_spawn(&opts, &err));
	assert_int_equal(err.code, -ENOENT);
	assert_non_null(strstr(err.msg, "/hvt-no-such-dir"));
}

static void test_stop_needs_sigkill(void **state)
{
	char *ready = tmp_path("stubborn.ready");
	const char *argv[] = {
		"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done", NULL,
	};
	struct hvt_proc_opts opts = { .argv = argv, .stdout_path = ready };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;
	struct hvt_proc *p;
	char *data;
	int64_t t0;

	p = hvt_proc_spawn(&opts, &err);
	assert_non_null(p);
	data = wait_file(ready, 5000);
	assert_non_null(data);
	free(data);
	t0 = hvt_now_ms();
	assert_int_equal(hvt_proc_stop(p, 300, &st), 1);
	assert_true(hvt_now_ms() - t0 >= 300);
	assert_false(st.exited);
	assert_int_equal(st.sig, SIGKILL);
	hvt_proc_free(p);
	free(ready);
}

static void test_stop_sigterm(void **state)
{
	const char *argv[] = { "sleep", "100", NULL };
	struct hvt_proc_status st;
	struct hvt_proc *p = spawn_argv(argv);

	assert_int_equal(hvt_proc_stop(p, 5000, &st), 0);
	assert_false(st.exited);
	assert_int_equal(st.sig, SIGTERM);
	/* Stopping an ended child is a no-op that reports the same status. */
	assert_int_equal(hvt_proc_stop(p, 5000, &st), 0);
	assert_int_equal(st.sig, SIGTERM);
	hvt_proc_free(p);
}

static void test_wait_timeout(void **state)
{
	const char *argv[] = { "sleep", "100", NULL };
	struct hvt_proc_status st;
	struct hvt_proc *p = spawn_argv(argv);
	int64_t t0 = hvt_now_ms(), dt;

	assert_int_equal(hvt_proc_wait(p, 200, &st), -ETIMEDOUT);
	dt = hvt_now_ms() - t0;
	assert_true(dt >= 200);
	assert_true(dt < 2000);
	assert_int_equal(hvt_proc_poll(p, &st), 0);
	assert_int_equal(hvt_proc_signal(p, SIGKILL), 0);
	assert_int_equal(hvt_proc_wait(p, 5000, &st), 0);
	assert_int_equal(st.sig, SIGKILL);
	hvt_proc_free(p);
}

static void test_free_kills(void **state)
{
	const char *argv[] = { "sleep", "100", NULL };
	struct hvt_proc *p = spawn_argv(argv);
	pid_t pid = hvt_proc_pid(p);

	hvt_proc_free(p);
	/* free reaped it: the pid is gone, not a zombie. */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_stdio_files(void **state)
{
	char *out = tmp_path("out.log"), *errf = tmp_path("err.log"), *data;
	const char *argv[] = {
		"sh", "-c", "echo out; echo err >&2; echo \"$HVT_X $PWD\"; cat", NULL,
	};
	const char *env[] = { "HVT_X=forty-two", NULL };
	struct hvt_proc_opts opts = {
		.argv = argv, .env = env, .cwd = "/", .stdout_path = out,
		.stderr_path = errf, .stdin_path = "/etc/hostname",
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;
	char *host, *want;

	for (int round = 0; round < 2; round++) {
		struct hvt_proc *p = hvt_proc_spawn(&opts, &err);

		assert_non_null(p);
		assert_int_equal(hvt_proc_wait(p, 5000, &st), 0);
		assert_true(st.exited);
		assert_int_equal(st.code, 0);
		hvt_proc_free(p);
	}
	assert_int_equal(hvt_file_read("/etc/hostname", &host, NULL, &err), 0);
	want = hvt_asprintf("out\nforty-two /\n%sout\nforty-two /\n%s", host, host);
	/* Appended, not truncated: both rounds are there. */
	assert_int_equal(hvt_file_read(out, &data, NULL, &err), 0);
	assert_string_equal(data, want);
	free(data);
	assert_int_equal(hvt_file_read(errf, &data, NULL, &err), 0);
	assert_string_equal(data, "err\nerr\n");
	free(data);
	free(want);
	free(host);
	free(out);
	free(errf);
}

static void test_env_overrides(void **state)
{
	char *out = tmp_path("env.log"), *data;
	const char *argv[] = { "sh", "-c", "echo \"$HVT_Y\"; env | grep -c '^HVT_Y='", NULL };
	const char *env[] = { "HVT_Y=new", NULL };
	struct hvt_proc_opts opts = { .argv = argv, .env = env, .stdout_path = out };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc *p;

	setenv("HVT_Y", "old", 1);
	p = hvt_proc_spawn(&opts, &err);
	assert_non_null(p);
	assert_int_equal(hvt_proc_wait(p, 5000, NULL), 0);
	hvt_proc_free(p);
	unsetenv("HVT_Y");
	assert_int_equal(hvt_file_read(out, &data, NULL, &err), 0);
	assert_string_equal(data, "new\n1\n");
	free(data);
	free(out);
}

static void test_fds_closed(void **state)
{
	char *out = tmp_path("fds.log"), *data;
	const char *argv[] = { "sh", "-c", "ls /proc/self/fd | wc -l", NULL };
	struct hvt_proc_opts opts = { .argv = argv, .stdout_path = out };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc *p;
	int leak = open("/dev/null", O_RDONLY);	/* not close-on-exec */

	assert_true(leak > 2);
	p = hvt_proc_spawn(&opts, &err);
	assert_non_null(p);
	assert_int_equal(hvt_proc_wait(p, 5000, NULL), 0);
	hvt_proc_free(p);
	close(leak);
	assert_int_equal(hvt_file_read(out, &data, NULL, &err), 0);
	/* stdin, stdout, stderr and the fd ls opened for /proc/self/fd */
	assert_string_equal(data, "4\n");
	free(data);
	free(out);
}

static void test_process_group(void **state)
{
	char *pidfile = tmp_path("grandchild.pid"), *data;
	const char *argv[] = { "sh", "-c", "sleep 100 & echo $!; wait", NULL };
	struct hvt_proc_opts opts = { .argv = argv, .stdout_path = pidfile };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;
	struct hvt_proc *p;
	pid_t grandchild;

	p = hvt_proc_spawn(&opts, &err);
	assert_non_null(p);
	assert_int_equal(getpgid(hvt_proc_pid(p)), hvt_proc_pid(p));
	data = wait_file(pidfile, 5000);
	assert_non_null(data);
	grandchild = atoi(data);
	free(data);
	assert_true(grandchild > 0);
	assert_int_equal(getpgid(grandchild), hvt_proc_pid(p));
	assert_int_equal(hvt_proc_stop(p, 5000, &st), 0);
	assert_true(pid_gone(grandchild, 2000));
	hvt_proc_free(p);
	free(pidfile);
}

/* Fork a helper that spawns "sleep 100" and reports its pid on a pipe. */
static pid_t fork_spawner(bool reaper, pid_t *sleeper)
{
	int fds[2];
	pid_t helper;

	assert_int_equal(pipe(fds), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		const char *argv[] = { "sleep", "100", NULL };
		struct hvt_proc_opts opts = { .argv = argv };
		struct hvt_proc *p;
		pid_t pid;

		close(fds[0]);
		if (reaper)
			hvt_proc_install_reaper();
		p = hvt_proc_spawn(&opts, NULL);
		pid = p ? hvt_proc_pid(p) : -1;
		if (write(fds[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(2);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], sleeper, sizeof(*sleeper)), sizeof(*sleeper));
	close(fds[0]);
	assert_true(*sleeper > 0);
	return helper;
}

static void test_pdeathsig(void **state)
{
	pid_t sleeper, helper = fork_spawner(false, &sleeper);
	int ws;

	assert_false(pid_gone(sleeper, 0));
	kill(helper, SIGKILL);
	assert_int_equal(waitpid(helper, &ws, 0), helper);
	assert_true(pid_gone(sleeper, 2000));
}

static void test_reaper_on_sigterm(void **state)
{
	pid_t sleeper, helper = fork_spawner(true, &sleeper);
	int ws;

	kill(helper, SIGTERM);
	assert_int_equal(waitpid(helper, &ws, 0), helper);
	/* The handler killed the children, then died of the signal itself. */
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(WTERMSIG(ws), SIGTERM);
	assert_true(pid_gone(sleeper, 2000));
}

static void test_kill_all(void **state)
{
	const char *argv[] = { "sleep", "100", NULL };
	struct hvt_proc_status st;
	struct hvt_proc *p = spawn_argv(argv);

	hvt_proc_kill_all();
	assert_int_equal(hvt_proc_wait(p, 5000, &st), 0);
	assert_int_equal(st.sig, SIGKILL);
	hvt_proc_free(p);
}

static void test_run_capture(void **state)
{
	const char *argv[] = { "sh", "-c", "echo hello; echo world >&2", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *out;

	assert_int_equal(hvt_proc_run(argv, 5000, &out, &err), 0);
	assert_string_equal(out, "hello\nworld\n");
	free(out);
	assert_int_equal(hvt_proc_run(argv, 5000, NULL, &err), 0);
}

static void test_run_large_output(void **state)
{
	const char *argv[] = { "sh", "-c", "seq 1 100000", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *out;

	assert_int_equal(hvt_proc_run(argv, 10000, &out, &err), 0);
	assert_int_equal(strlen(out), 588895);
	assert_non_null(strstr(out, "\n99999\n100000\n"));
	free(out);
}

static void test_run_failure(void **state)
{
	const char *argv[] = { "sh", "-c", "echo oops; exit 3", NULL };
	const char *missing[] = { "hvt-no-such-program", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *out;

	assert_int_equal(hvt_proc_run(argv, 5000, &out, &err), -ECHILD);
	assert_string_equal(err.msg, "sh exited with code 3:\noops\n");
	assert_string_equal(out, "oops\n");
	free(out);
	assert_int_equal(hvt_proc_run(missing, 5000, &out, &err), -ENOENT);
	assert_null(out);
	assert_string_equal(err.msg,
			    "cannot run hvt-no-such-program: No such file or directory");
}

static void test_run_timeout(void **state)
{
	const char *argv[] = { "sh", "-c", "echo started; sleep 100", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	char *out;

	assert_int_equal(hvt_proc_run(argv, 300, &out, &err), -ETIMEDOUT);
	assert_true(hvt_now_ms() - t0 < 3000);
	assert_string_equal(err.msg, "sh did not finish within 300 ms (killed)");
}

static void test_run_grandchild_keeps_pipe(void **state)
{
	const char *argv[] = { "sh", "-c", "sleep 3 & echo done", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	char *out;

	assert_int_equal(hvt_proc_run(argv, 10000, &out, &err), 0);
	assert_true(hvt_now_ms() - t0 < 2500);
	assert_string_equal(out, "done\n");
	free(out);
}

static void fork_writer(void *arg)
{
	printf("fn says %s and HVT_X=%s\n", (const char *)arg, getenv("HVT_X"));
}

/* A write to a pipe nobody reads: EPIPE in a fork-mode child, not death. */
static void fork_pipe_writer(void *arg)
{
	int fd[2];

	if (pipe(fd))
		_exit(2);
	close(fd[0]);
	_exit(write(fd[1], "x", 1) < 0 && errno == EPIPE ? 0 : 3);
}

static void fork_crasher(void *arg)
{
	raise(SIGSEGV);
}

static void test_fork_fn(void **state)
{
	static const char *const env[] = { "HVT_X=42", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *out_path = hvt_asprintf("%s/fork.out", tmpdir), *out = NULL;
	const char *argv[] = { "case-child", NULL };
	struct hvt_proc_opts o = { .argv = argv, .env = env, .stdout_path = out_path,
				   .fn = fork_writer, .fn_arg = (void *)"hello" };
	struct hvt_proc_status st;
	struct hvt_proc *p = hvt_proc_spawn(&o, &err);

	assert_non_null(p);
	assert_string_equal(hvt_proc_name(p), "case-child");
	assert_int_equal(hvt_proc_wait(p, 10000, &st), 0);
	assert_true(st.exited);
	assert_int_equal(st.code, 0);
	hvt_proc_free(p);
	assert_int_equal(hvt_file_read(out_path, &out, NULL, &err), 0);
	assert_string_equal(out, "fn says hello and HVT_X=42\n");
	/* the parent's environment is untouched */
	assert_null(getenv("HVT_X"));
	free(out);

	o.fn = fork_pipe_writer;
	p = hvt_proc_spawn(&o, &err);
	assert_non_null(p);
	assert_int_equal(hvt_proc_wait(p, 10000, &st), 0);
	assert_true(st.exited);
	assert_int_equal(st.code, 0);
	hvt_proc_free(p);

	o.fn = fork_crasher;
	p = hvt_proc_spawn(&o, &err);
	assert_non_null(p);
	assert_int_equal(hvt_proc_wait(p, 10000, &st), 0);
	assert_false(st.exited);
	assert_int_equal(st.sig, SIGSEGV);
	hvt_proc_free(p);
	free(out_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_true_false),
		cmocka_unit_test(test_fork_fn),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_status_strings),
		cmocka_unit_test(test_exec_missing),
		cmocka_unit_test(test_exec_not_executable),
		cmocka_unit_test(test_bad_cwd),
		cmocka_unit_test(test_stop_needs_sigkill),
		cmocka_unit_test(test_stop_sigterm),
		cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_free_kills),
		cmocka_unit_test(test_stdio_files),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_fds_closed),
		cmocka_unit_test(test_process_group),
		cmocka_unit_test(test_pdeathsig),
		cmocka_unit_test(test_reaper_on_sigterm),
		cmocka_unit_test(test_kill_all),
		cmocka_unit_test(test_run_capture),
		cmocka_unit_test(test_run_large_output),
		cmocka_unit_test(test_run_failure),
		cmocka_unit_test(test_run_timeout),
		cmocka_unit_test(test_run_grandchild_keeps_pipe),
	};

	return cmocka_run_group_tests_name("proc", tests, setup, teardown);
}
