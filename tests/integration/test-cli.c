// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hvtest command as users run it: help texts, usage errors, vm run with
 * a guest command, qmp against a live QEMU, doctor.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_texts),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_vm_run_command),
		cmocka_unit_test(test_qmp_command),
		cmocka_unit_test(test_doctor),
		cmocka_unit_test(test_doctor_reports_missing_guest),
	};

	return cmocka_run_group_tests_name("cli", tests, group_setup, NULL);
}
