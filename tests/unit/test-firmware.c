// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the firmware images (layout, bytes at the reset vector,
 * what they do under TCG) and the QEMU version check. Tests that need
 * QEMU are skipped when it is not installed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "accel.h"
#include "fakeqemu.h"
#include "firmware.h"
#include "proc.h"

static char tmpdir[] = "/tmp/hvt-test-fw-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	return 0;
}

static char *read_image(const char *name, size_t *len)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/%s", tmpdir, name), *data;

	if (hvt_file_read(path, &data, len, &err))
		fail_msg("%s", err.msg);
	free(path);
	return data;
}

static void test_halt_layout(void **state)
{
	static const unsigned char vector[] = { 0xFA, 0xF4, 0xEB, 0xFD };
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/halt.bin", tmpdir);
	unsigned char *img;
	size_t len;

	assert_int_equal(hvt_fw_write_halt(path, &err), 0);
	img = (unsigned char *)read_image("halt.bin", &len);
	assert_int_equal(len, HVT_FW_SIZE);
	assert_int_equal(len % 65536, 0);
	assert_memory_equal(img + 0xFFF0, vector, sizeof(vector));
	free(img);
	free(path);
}

static void test_exit_layout(void **state)
{
	static const unsigned char vec_f4[] = {
		0xB0, 0x42, 0xBA, 0xF4, 0x00, 0xEE, 0xFA, 0xF4, 0xEB, 0xFD,
	};
	static const unsigned char vec_port[] = { 0xB0, 0x07, 0xBA, 0x34, 0x12, 0xEE };
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/exit.bin", tmpdir);
	unsigned char *img;
	size_t len;

	assert_int_equal(hvt_fw_write_exit(path, 0xf4, 0x42, &err), 0);
	img = (unsigned char *)read_image("exit.bin", &len);
	assert_int_equal(len, HVT_FW_SIZE);
	assert_memory_equal(img + 0xFFF0, vec_f4, sizeof(vec_f4));
	free(img);

	assert_int_equal(hvt_fw_write_exit(path, 0x1234, 7, &err), 0);
	img = (unsigned char *)read_image("exit.bin", &len);
	assert_int_equal(len, HVT_FW_SIZE);
	assert_memory_equal(img + 0xFFF0, vec_port, sizeof(vec_port));
	free(img);
	free(path);
}

static void test_write_error(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(hvt_fw_write_halt("/hvt-no-such-dir/fw.bin", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/hvt-no-such-dir/fw.bin"));
}

/* The QEMU to run, or NULL after telling cmocka why the test is skipped. */
static const char *qemu_or_skip(void)
{
	const char *qemu = hvt_qemu_binary();
	char *found = hvt_which(qemu);

	if (!found) {
		print_message("SKIP: %s not found (install qemu-system-x86 or set HVT_QEMU)\n",
			      qemu);
		return NULL;
	}
	free(found);
	return qemu;
}

/* Boot fw under TCG with isa-debug-exit at port; wait up to timeout_ms. */
static int run_fw(const char *qemu, const char *fw, const char *port, int timeout_ms,
		  struct hvt_proc_status *st)
{
	char *dev = hvt_asprintf("isa-debug-exit,iobase=%s,iosize=1", port);
	char *log = hvt_asprintf("%s/qemu.log", tmpdir);
	const char *argv[] = {
		qemu, "-accel", "tcg", "-machine", "pc", "-nodefaults", "-no-user-config",
		"-display", "none", "-bios", fw, "-device", dev, NULL,
	};
	struct hvt_proc_opts opts = { .argv = argv, .stdout_path = log, .stderr_path = log };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc *p = hvt_proc_spawn(&opts, &err);
	int ret;

	if (!p)
		fail_msg("%s", err.msg);
	ret = hvt_proc_wait(p, timeout_ms, st);
	hvt_proc_free(p);
	free(log);
	free(dev);
	return ret;
}

static void test_exit_under_tcg(void **state)
{
	const char *qemu = qemu_or_skip();
	char *fw = hvt_asprintf("%s/exit-run.bin", tmpdir);
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;

	if (!qemu) {
		free(fw);
		skip();
	}
	assert_int_equal(hvt_fw_write_exit(fw, 0xf4, 0x42, &err), 0);
	assert_int_equal(run_fw(qemu, fw, "0xf4", 20000, &st), 0);
	assert_true(st.exited);
	assert_int_equal(st.code, (0x42 << 1) | 1);

	/* Any port works, not just the usual 0xf4. */
	assert_int_equal(hvt_fw_write_exit(fw, 0x501, 0x07, &err), 0);
	assert_int_equal(run_fw(qemu, fw, "0x501", 20000, &st), 0);
	assert_true(st.exited);
	assert_int_equal(st.code, (0x07 << 1) | 1);
	free(fw);
}

static void test_halt_under_tcg(void **state)
{
	const char *qemu = qemu_or_skip();
	char *fw = hvt_asprintf("%s/halt-run.bin", tmpdir);
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;

	if (!qemu) {
		free(fw);
		skip();
	}
	assert_int_equal(hvt_fw_write_halt(fw, &err), 0);
	/* Halted, QEMU keeps running until it is killed. */
	assert_int_equal(run_fw(qemu, fw, "0xf4", 1000, &st), -ETIMEDOUT);
	free(fw);
}

/* A shell script standing in for QEMU. */
static char *fake_qemu(const char *name, const char *body)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = fakeqemu_script(tmpdir, name, body, &err);

	if (!path)
		fail_msg("%s", err.msg);
	return path;
}

static void test_qemu_version(void **state)
{
	const char *qemu = qemu_or_skip();
	struct hvt_err err = HVT_ERR_INIT;
	int maj = -1, min = -1, mic = -1;

	if (!qemu)
		skip();
	assert_int_equal(hvt_qemu_version(qemu, &maj, &min, &mic, &err), 0);
	assert_true(maj > 6 || (maj == 6 && min >= 2));
	assert_true(mic >= 0);
}

static void test_qemu_version_too_old(void **state)
{
	char *qemu = fake_qemu("old-qemu", "echo 'QEMU emulator version 5.2.0 (Debian)'");
	struct hvt_err err = HVT_ERR_INIT;
	int maj = -1, min = -1, mic = -1;
	char *want;

	assert_int_equal(hvt_qemu_version(qemu, &maj, &min, &mic, &err), -ENOTSUP);
	assert_int_equal(maj, 5);
	assert_int_equal(min, 2);
	assert_int_equal(mic, 0);
	want = hvt_asprintf("QEMU 5.2.0 at %s is too old: hvtest needs 6.2 or later", qemu);
	assert_string_equal(err.msg, want);
	free(want);
	free(qemu);
}

static void test_qemu_version_garbage(void **state)
{
	char *qemu = fake_qemu("odd-qemu", "echo 'not a qemu'");
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(hvt_qemu_version(qemu, NULL, NULL, NULL, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "'not a qemu'"));
	free(qemu);
}

static void test_qemu_missing(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(hvt_qemu_version("hvt-no-such-qemu", NULL, NULL, NULL, &err),
			 -ENOENT);
	assert_string_equal(err.msg, "QEMU binary hvt-no-such-qemu not found in PATH: "
			    "install the qemu-system-x86 package or set HVT_QEMU");
	assert_int_equal(hvt_qemu_version("/hvt-no-such-dir/qemu", NULL, NULL, NULL, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "/hvt-no-such-dir/qemu"));
}

static void test_qemu_binary(void **state)
{
	const char *qemu;

	setenv("HVT_QEMU", "/opt/qemu/bin/qemu-system-x86_64", 1);
	assert_string_equal(hvt_qemu_binary(), "/opt/qemu/bin/qemu-system-x86_64");
	unsetenv("HVT_QEMU");
	qemu = hvt_qemu_binary();
	assert_non_null(strstr(qemu, "qemu-system-x86_64"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_halt_layout),
		cmocka_unit_test(test_exit_layout),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_exit_under_tcg),
		cmocka_unit_test(test_halt_under_tcg),
		cmocka_unit_test(test_qemu_version),
		cmocka_unit_test(test_qemu_version_too_old),
		cmocka_unit_test(test_qemu_version_garbage),
		cmocka_unit_test(test_qemu_missing),
		cmocka_unit_test(test_qemu_binary),
	};

	return cmocka_run_group_tests_name("firmware", tests, setup, teardown);
}
