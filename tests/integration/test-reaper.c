// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * No QEMU outlives hvtest: run "hvtest vm run --stay", kill hvtest (SIGKILL,
 * which no handler sees, and SIGTERM), count the QEMU processes left.
 */
#include <signal.h>
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

static void kill_hvtest_with(int sig)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;
	struct hvt_proc *p;
	char tmpl[] = "/tmp/hvt-reaper-XXXXXX";
	char *wd, *pidfile;
	int64_t deadline;

	assert_non_null(mkdtemp(tmpl));
	wd = hvt_asprintf("%s/w", tmpl);
	pidfile = hvt_asprintf("%s/qemu.pid", wd);
	{
		const char *argv[] = { itest_hvtest(), "vm", "run", "--stay", "--workdir", wd,
				       NULL };
		struct hvt_proc_opts o = { .argv = argv };

		p = hvt_proc_spawn(&o, &err);
		assert_non_null(p);
	}
	/* QEMU is up once its pid file exists */
	deadline = hvt_now_ms() + 60000;
	while (!hvt_path_exists(pidfile) && hvt_ms_left(deadline))
		usleep(20000);
	assert_true(hvt_path_exists(pidfile));
	assert_int_equal(itest_count_qemu(wd), 1);
	/* only hvtest itself, not its process group */
	assert_int_equal(kill(hvt_proc_pid(p), sig), 0);
	assert_int_equal(hvt_proc_wait(p, 10000, &st), 0);
	assert_false(st.exited);
	assert_int_equal(st.sig, sig);
	assert_int_equal(itest_wait_no_qemu(wd, 5000), 0);
	hvt_proc_free(p);
	hvt_rm_rf(tmpl);
	free(pidfile);
	free(wd);
}

static void test_sigkill_leaves_no_qemu(void **state)
{
	ITEST_NEED(have_guest);
	kill_hvtest_with(SIGKILL);
}

static void test_sigterm_leaves_no_qemu(void **state)
{
	ITEST_NEED(have_guest);
	kill_hvtest_with(SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_leaves_no_qemu),
		cmocka_unit_test(test_sigterm_leaves_no_qemu),
	};

	return cmocka_run_group_tests_name("reaper", tests, group_setup, NULL);
}
