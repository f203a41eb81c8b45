// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Machine life cycles, each on a fresh QEMU: ACPI power-down, QEMU killed
 * under a test, paused and incoming starts, quit.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

static bool have_guest;

static int group_setup(void **state)
{
	have_guest = itest_require_guest() == 0;
	return have_guest ? 0 : itest_missing_is_failure();
}

static const char *qmp_status(struct hvt_vm *vm, char *buf, size_t len)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret = NULL;

	itest_ok(hvt_vm_qmp(vm, &ret, &err, "query-status", NULL), &err);
	snprintf(buf, len, "%s", hvt_json_get_str(ret, "status"));
	json_object_put(ret);
	return buf;
}

static void test_acpi_powerdown(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm_config cfg;
	struct hvt_proc_status st;
	struct hvt_vm *vm;

	ITEST_NEED(have_guest);
	itest_config(&cfg, "itest-pwr", NULL);
	vm = itest_boot(&cfg);
	/* hvt_vm_powerdown waits for the SHUTDOWN event and QEMU's exit */
	itest_ok(hvt_vm_powerdown(vm, 60000, &err), &err);
	assert_int_equal(hvt_proc_poll(hvt_vm_proc(vm), &st), 1);
	assert_true(st.exited);
	assert_int_equal(st.code, 0);
	hvt_vm_free(vm);
}

static void test_qemu_killed(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm_config cfg;
	struct hvt_qga_exec_result res = { 0 };
	struct hvt_vm *vm;

	ITEST_NEED(have_guest);
	itest_config(&cfg, "itest-kill", NULL);
	vm = itest_boot(&cfg);
	assert_int_equal(kill(hvt_proc_pid(hvt_vm_proc(vm)), SIGKILL), 0);
	/* the next QMP operation reports how QEMU died */
	assert_int_not_equal(hvt_vm_qmp(vm, NULL, &err, "query-status", NULL), 0);
	assert_non_null(strstr(err.msg, "killed by signal 9"));
	/* and so does the next agent operation */
	hvt_err_clear(&err);
	assert_int_not_equal(hvt_vm_sh(vm, "true", 5000, &res, &err), 0);
	assert_non_null(strstr(err.msg, "killed by signal 9"));
	/* the error carries the console's last lines */
	assert_non_null(strstr(err.msg, "console"));
	assert_int_equal(hvt_vm_check_alive(vm, &err), -ECHILD);
	hvt_vm_free(vm);
}

static void test_paused_start(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;
	char status[64];

	ITEST_NEED(have_guest);
	itest_config(&cfg, "itest-paused", NULL);
	cfg.paused = true;
	vm = hvt_vm_new(&cfg, &err);
	assert_non_null(vm);
	itest_ok(hvt_vm_start(vm, &err), &err);
	assert_string_equal(qmp_status(vm, status, sizeof(status)), "prelaunch");
	/* nothing runs while paused: the agent cannot answer */
	assert_int_equal(hvt_vm_wait_agent(vm, 2000, &err), -ETIMEDOUT);
	itest_ok(hvt_vm_cont(vm, &err), &err);
	itest_ok(hvt_vm_wait_agent(vm, ITEST_BOOT_MS, &err), &err);
	assert_string_equal(qmp_status(vm, status, sizeof(status)), "running");
	itest_ok(hvt_vm_quit(vm, 10000, &err), &err);
	hvt_vm_free(vm);
}

static void test_incoming_and_quit(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm_config cfg;
	struct hvt_proc_status st;
	struct hvt_vm *vm;
	char status[64], *wd;

	ITEST_NEED(have_guest);
	itest_config(&cfg, "itest-inc", NULL);
	cfg.incoming = "defer";
	vm = hvt_vm_new(&cfg, &err);
	assert_non_null(vm);
	itest_ok(hvt_vm_start(vm, &err), &err);
	assert_string_equal(qmp_status(vm, status, sizeof(status)), "inmigrate");
	wd = hvt_strdup(hvt_vm_workdir(vm));
	assert_int_equal(itest_count_qemu(wd), 1);
	itest_ok(hvt_vm_quit(vm, 10000, &err), &err);
	assert_int_equal(hvt_proc_poll(hvt_vm_proc(vm), &st), 1);
	assert_true(st.exited);
	assert_int_equal(itest_count_qemu(wd), 0);
	hvt_vm_free(vm);
	/* a generated work directory goes with the machine */
	assert_false(hvt_path_exists(wd));
	free(wd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acpi_powerdown),
		cmocka_unit_test(test_qemu_killed),
		cmocka_unit_test(test_paused_start),
		cmocka_unit_test(test_incoming_and_quit),
	};

	return cmocka_run_group_tests_name("lifecycle", tests, group_setup, NULL);
}
