// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hvtest command as users run it: help texts, usage errors, vm run with
 * a guest command, qmp against a live QEMU, doctor.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvt-config.h"
#include "itest.h"

static bool have_guest;

static int group_setup(void **state)
{
	have_guest = itest_require_guest() == 0;
	return have_guest ? 0 : itest_missing_is_failure();
}

static void test_help_texts(void **state)
{
	static const char *const cmds[][3] = {
		{ "--help" }, { "smoke", "--help" }, { "vm", "--help" }, { "vm", "run", "--help" },
		{ "guest", "--help" }, { "guest", "build", "--help" }, { "qmp", "--help" },
		{ "doctor", "--help" },
	};

	for (size_t i = 0; i < HVT_ARRAY_SIZE(cmds); i++) {
		const char *argv[] = { itest_hvtest(), cmds[i][0], cmds[i][1], cmds[i][2], NULL };
		char *out = NULL;
		int rc = itest_run(argv, NULL, 10000, &out);

		if (rc != 0 || !strstr(out, "usage: hvtest"))
			fail_msg("%s %s: exit %d:\n%s", cmds[i][0], cmds[i][1] ? cmds[i][1] : "",
				 rc, out);
		free(out);
	}
}

static void test_usage_errors(void **state)
{
	static const char *const cmds[][3] = {
		{ "no-such-command" }, { "vm", "fly" }, { "guest", "paint" },
		{ "qmp", "/tmp/x.sock" }, { "doctor", "extra" }, { "smoke", "--bogus" },
	};

	for (size_t i = 0; i < HVT_ARRAY_SIZE(cmds); i++) {
		const char *argv[] = { itest_hvtest(), cmds[i][0], cmds[i][1], cmds[i][2], NULL };
		char *out = NULL;
		int rc = itest_run(argv, NULL, 10000, &out);

		if (rc != 2 || !strstr(out, "hvtest"))
			fail_msg("%s %s: expected exit 2, got %d:\n%s", cmds[i][0],
				 cmds[i][1] ? cmds[i][1] : "", rc, out);
		free(out);
	}
}

static void test_vm_run_command(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guest g;
	const char *argv[] = { itest_hvtest(), "vm", "run", "--sh", "uname -r; exit 7", NULL };
	char *out = NULL;
	int rc;

	ITEST_NEED(have_guest);
	itest_ok(hvt_guest_locate(&g, &err), &err);
	rc = itest_run(argv, NULL, 300000, &out);
	if (rc != 7 || !strstr(out, g.kver) || !strstr(out, "agent ready after"))
		fail_msg("expected exit 7, the kernel version and the agent time; got %d:\n%s", rc,
			 out);
	free(out);
}

static void test_qmp_command(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char dir[] = "/tmp/hvt-cliqmp-XXXXXX";
	struct hvt_proc *qemu;
	char *sock, *qmparg, *out = NULL;
	int rc;

	assert_non_null(mkdtemp(dir));
	sock = hvt_asprintf("%s/qmp.sock", dir);
	qmparg = hvt_asprintf("unix:%s,server=on,wait=off", sock);
	{
		const char *argv[] = { hvt_qemu_binary(), "-machine", "none", "-nodefaults",
				       "-display", "none", "-qmp", qmparg, NULL };
		struct hvt_proc_opts o = { .argv = argv };

		qemu = hvt_proc_spawn(&o, &err);
		assert_non_null(qemu);
	}
	{
		/* hvtest qmp fails at once on a missing socket: wait until QEMU made it. */
		struct hvt_qmp *qmp = hvt_qmp_connect(sock, 30000, NULL, &err);

		itest_ok(qmp ? 0 : err.code, &err);
		hvt_qmp_free(qmp);
	}
	{
		const char *argv[] = { itest_hvtest(), "qmp", sock, "query-status", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 0 || !strstr(out, "\"status\""))
			fail_msg("query-status: exit %d:\n%s", rc, out);
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "qmp", sock, "hvt-nope", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 1 || !strstr(out, "CommandNotFound"))
			fail_msg("unknown command: exit %d:\n%s", rc, out);
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "qmp", sock, "qom-list", "{path: ", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 2 || !strstr(out, "JSON-ARGS"))
			fail_msg("bad JSON: exit %d:\n%s", rc, out);
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "qmp", "/tmp/hvt-no-such.sock",
				       "query-status", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 1 || !strstr(out, "/tmp/hvt-no-such.sock"))
			fail_msg("missing socket: exit %d:\n%s", rc, out);
		free(out);
	}
	hvt_proc_free(qemu);
	hvt_rm_rf(dir);
	free(qmparg);
	free(sock);
}

static void test_doctor(void **state)
{
	const char *argv[] = { itest_hvtest(), "doctor", NULL };
	char *out = NULL;
	int rc;

	ITEST_NEED(have_guest);
	rc = itest_run(argv, NULL, 60000, &out);
	/* everything is installed and built here: no problem may be reported */
	if (rc != 0 || !strstr(out, "0 problems") || !strstr(out, "accel"))
		fail_msg("doctor: exit %d:\n%s", rc, out);
	free(out);
}

static void test_doctor_reports_missing_guest(void **state)
{
	static const char *const env[] = { "HVT_GUEST_DIR=/tmp/hvt-no-guest-here", NULL };
	const char *argv[] = { itest_hvtest(), "doctor", NULL };
	char *out = NULL;
	int rc = itest_run(argv, env, 60000, &out);

	if (rc != 1 || !strstr(out, "hvtest guest build"))
		fail_msg("doctor without a guest: exit %d:\n%s", rc, out);
	free(out);
}

/*
 * The live installer image is built on demand only (it downloads and
 * installs a Debian system: docs/INSTALL-LIVE.md); without it, info names
 * the command that builds it.
 */
static void test_live_image_missing(void **state)
{
	static const char *const env[] = { "HVT_LIVE_DIR=/tmp/hvt-no-live-here", NULL };
	const char *argv[] = { itest_hvtest(), "guest", "info", "--live", NULL };
	const char *bad[] = { itest_hvtest(), "guest", "info", "--lve", NULL };
	char *out = NULL;
	int rc = itest_run(argv, env, 60000, &out);

	if (rc != 1 || !strstr(out, "/tmp/hvt-no-live-here") ||
	    !strstr(out, "hvtest guest build --live"))
		fail_msg("guest info --live without an image: exit %d:\n%s", rc, out);
	free(out);
	out = NULL;
	rc = itest_run(bad, env, 60000, &out);
	if (rc != 2 || !strstr(out, "--lve"))
		fail_msg("guest info --lve: exit %d:\n%s", rc, out);
	free(out);
}

/* A QEMU with only a QMP monitor at <dir>/qmp.sock, ready for clients. */
static struct hvt_proc *qmp_qemu_start(const char *dir, char **sock)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *qmparg;
	struct hvt_proc *qemu;
	struct hvt_qmp *qmp;

	*sock = hvt_asprintf("%s/qmp.sock", dir);
	qmparg = hvt_asprintf("unix:%s,server=on,wait=off", *sock);
	{
		const char *argv[] = { hvt_qemu_binary(), "-machine", "none", "-nodefaults",
				       "-display", "none", "-qmp", qmparg, NULL };
		struct hvt_proc_opts o = { .argv = argv };

		qemu = hvt_proc_spawn(&o, &err);
	}
	free(qmparg);
	if (!qemu)
		fail_msg("%s", err.msg);
	/* Just started: this connect waits for the socket, hvtest qmp does not. */
	qmp = hvt_qmp_connect(*sock, 30000, NULL, &err);
	if (!qmp)
		fail_msg("%s", err.msg);
	hvt_qmp_free(qmp);
	return qemu;
}

/* A socket that is not there fails at once, and says so once. */
static void test_qmp_missing_socket(void **state)
{
	char dir[] = "/tmp/hvt-cliqmp-XXXXXX", *sock, *out = NULL;
	int64_t t0, took;
	int rc;

	assert_non_null(mkdtemp(dir));
	sock = hvt_asprintf("%s/no-such.sock", dir);
	{
		const char *argv[] = { itest_hvtest(), "qmp", sock, "query-status", NULL };

		t0 = hvt_now_ms();
		rc = itest_run(argv, NULL, 30000, &out);
		took = hvt_now_ms() - t0;
	}
	if (rc != 1 || took > 1000 || !strstr(out, "No such file") || itest_count_str(out, sock) != 1)
		fail_msg("missing socket: exit %d after %lld ms (want 1, at once, path once):\n%s",
			 rc, (long long)took, out);
	free(out);
	/* Not a socket at all: as fast, and named. */
	{
		const char *argv[] = { itest_hvtest(), "qmp", dir, "query-status", NULL };

		t0 = hvt_now_ms();
		rc = itest_run(argv, NULL, 30000, &out);
		took = hvt_now_ms() - t0;
	}
	if (rc != 1 || took > 1000 || !strstr(out, "not a socket") || itest_count_str(out, dir) != 1)
		fail_msg("directory as socket: exit %d after %lld ms:\n%s", rc, (long long)took,
			 out);
	free(out);
	free(sock);
	hvt_rm_rf(dir);
}

/* --timeout bounds connecting and the greeting; a held monitor is named as the cause. */
static void test_qmp_busy_monitor(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char dir[] = "/tmp/hvt-cliqmp-XXXXXX", *sock, *out = NULL;
	struct hvt_proc *qemu;
	struct hvt_qmp *holder;
	int64_t t0, took;
	int rc;

	assert_non_null(mkdtemp(dir));
	qemu = qmp_qemu_start(dir, &sock);
	/* Another client holds the monitor: QEMU serves one at a time. */
	holder = hvt_qmp_connect(sock, 10000, NULL, &err);
	itest_ok(holder ? 0 : err.code, &err);
	{
		const char *argv[] = { itest_hvtest(), "qmp", "--timeout", "1", sock,
				       "query-status", NULL };

		t0 = hvt_now_ms();
		rc = itest_run(argv, NULL, 30000, &out);
		took = hvt_now_ms() - t0;
	}
	if (rc != 1 || took < 900 || took > 3000 || !strstr(out, "no QMP greeting within 1 s") ||
	    !strstr(out, "another client") || itest_count_str(out, sock) != 1)
		fail_msg("held monitor, --timeout 1: exit %d after %lld ms:\n%s", rc,
			 (long long)took, out);
	free(out);
	/* Once the other client has gone, the same command works. */
	hvt_qmp_free(holder);
	{
		const char *argv[] = { itest_hvtest(), "qmp", "--timeout", "10", sock,
				       "query-status", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
	}
	if (rc != 0 || !strstr(out, "\"status\""))
		fail_msg("after the other client left: exit %d:\n%s", rc, out);
	free(out);
	hvt_proc_free(qemu);
	hvt_rm_rf(dir);
	free(sock);
}

/* Empty results on one line, others pretty-printed; errors name things once. */
static void test_qmp_output(void **state)
{
	char dir[] = "/tmp/hvt-cliqmp-XXXXXX", *sock, *out = NULL;
	struct hvt_proc *qemu;
	int rc;

	assert_non_null(mkdtemp(dir));
	qemu = qmp_qemu_start(dir, &sock);
	{
		const char *argv[] = { itest_hvtest(), "qmp", sock, "query-name", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 0 || strcmp(out, "{}\n"))
			fail_msg("query-name: exit %d, want \"{}\\n\":\n%s", rc, out);
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "qmp", sock, "query-status", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 0 || strncmp(out, "{\n  \"status\": ", 14))
			fail_msg("query-status: exit %d, want it pretty-printed:\n%s", rc, out);
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "qmp", sock, "hvt-nope", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		/* QEMU's own text names it once more: "The command hvt-nope has not..." */
		if (rc != 1 || itest_count_str(out, "hvt-nope") != 2 || !strstr(out, "CommandNotFound"))
			fail_msg("unknown command: exit %d:\n%s", rc, out);
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "qmp", sock, "qom-get",
				       "{\"path\": \"/hvt-nope\", \"property\": \"x\"}", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 1 || itest_count_str(out, "qom-get") != 1 || itest_count_str(out, sock) != 0)
			fail_msg("QMP error: exit %d:\n%s", rc, out);
		free(out);
	}
	hvt_proc_free(qemu);
	hvt_rm_rf(dir);
	free(sock);
}

/* GNU option permutation: options after the operands; "--" ends options. */
static void test_qmp_options_anywhere(void **state)
{
	static const char *const ok[][6] = {
		{ "qmp", "SOCK", "query-status", "--timeout", "5" },
		{ "qmp", "SOCK", "qom-list", "{\"path\": \"/machine\"}", "--events" },
		{ "qmp", "--timeout", "5", "--", "SOCK", "query-status" },
		{ "qmp", "SOCK", "--timeout=5", "qom-list", "--", "{\"path\": \"/\"}" },
	};
	char dir[] = "/tmp/hvt-cliqmp-XXXXXX", *sock, *out = NULL;
	struct hvt_proc *qemu;
	int rc;

	assert_non_null(mkdtemp(dir));
	qemu = qmp_qemu_start(dir, &sock);
	for (size_t i = 0; i < HVT_ARRAY_SIZE(ok); i++) {
		const char *argv[8] = { itest_hvtest() };

		for (size_t j = 0; j < HVT_ARRAY_SIZE(ok[i]) && ok[i][j]; j++)
			argv[j + 1] = strcmp(ok[i][j], "SOCK") ? ok[i][j] : sock;
		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 0)
			fail_msg("%s %s %s %s %s: exit %d:\n%s", ok[i][0], ok[i][1], ok[i][2],
				 ok[i][3], ok[i][4] ? ok[i][4] : "", rc, out);
		free(out);
	}
	{
		/* After "--" an option is an operand: here a JSON-ARGS that does not parse. */
		const char *argv[] = { itest_hvtest(), "qmp", sock, "query-status", "--",
				       "--timeout", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 2 || !strstr(out, "JSON-ARGS"))
			fail_msg("'--' then '--timeout': exit %d, want a usage error:\n%s", rc,
				 out);
		free(out);
	}
	hvt_proc_free(qemu);
	hvt_rm_rf(dir);
	free(sock);
}

/* GNU style: options after positional arguments, and "--" ends them. */
static void test_options_anywhere(void **state)
{
	const char *plan_argv[] = { itest_hvtest(), "plan", "list", HVT_SRCDIR
				    "/suites/examples/migration.cfg", "--short", NULL };
	const char *vm_argv[] = { itest_hvtest(), "vm", "run", "--", "echo", "--smp", NULL };
	char *out = NULL;
	int rc;

	rc = itest_run(plan_argv, NULL, 30000, &out);
	if (rc != 0 || strncmp(out, "normal.transient_running.no_domain\n", 35))
		fail_msg("plan list PLAN --short: exit %d:\n%s", rc, out);
	free(out);
	if (!have_guest)
		return;
	rc = itest_run(vm_argv, NULL, 300000, &out);
	if (rc != 0 || !strstr(out, "\n--smp\n"))
		fail_msg("vm run -- echo --smp: exit %d:\n%s", rc, out);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_texts),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_vm_run_command),
		cmocka_unit_test(test_qmp_command),
		cmocka_unit_test(test_doctor),
		cmocka_unit_test(test_doctor_reports_missing_guest),
		cmocka_unit_test(test_live_image_missing),
		cmocka_unit_test(test_qmp_missing_socket),
		cmocka_unit_test(test_qmp_busy_monitor),
		cmocka_unit_test(test_qmp_output),
		cmocka_unit_test(test_qmp_options_anywhere),
		cmocka_unit_test(test_options_anywhere),
	};

	return cmocka_run_group_tests_name("cli", tests, group_setup, NULL);
}
