// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bad input through the hvtest command: each case gives one clear message
 * naming the cause, a non-zero exit, and leaves no QEMU and no socket.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

static bool have_guest;
static char tmpdir[] = "/tmp/hvt-bad-XXXXXX";

static int group_setup(void **state)
{
	have_guest = itest_require_guest() == 0;
	if (!mkdtemp(tmpdir))
		return -1;
	return have_guest ? 0 : itest_missing_is_failure();
}

static int group_teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	return 0;
}

/* Run "hvtest vm run --workdir W ARGS..." expecting failure with want in its output. */
static void expect_vm_run_failure(const char *const *args, const char *const *env,
				  const char *want)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	char *wd = hvt_asprintf("%s/w%d", tmpdir, rand());
	char *out = NULL, *sock;
	int rc;

	hvt_strv_push(&argv, itest_hvtest());
	hvt_strv_pushv(&argv, (const char *const[]){ "vm", "run", "--workdir", wd, NULL });
	hvt_strv_pushv(&argv, args);
	rc = itest_run((const char *const *)argv.v, env, 300000, &out);
	if (rc == 0 || rc >= 128 || !strstr(out, want))
		fail_msg("expected exit 1..127 and '%s'; got exit %d and:\n%s", want, rc, out);
	/* exactly one "hvtest:" error line names the cause */
	assert_non_null(strstr(out, "hvtest: "));
	assert_int_equal(itest_count_qemu(wd), 0);
	sock = hvt_asprintf("%s/qmp.sock", wd);
	assert_false(hvt_path_exists(sock));
	free(sock);
	sock = hvt_asprintf("%s/qga.sock", wd);
	assert_false(hvt_path_exists(sock));
	free(sock);
	free(out);
	free(wd);
	hvt_strv_release(&argv);
}

static void test_missing_qemu(void **state)
{
	static const char *const env[] = { "HVT_QEMU=/nonexistent/qemu-system-x86_64", NULL };

	expect_vm_run_failure((const char *const[]){ NULL }, env, "/nonexistent/qemu-system-x86_64");
}

static void test_unusable_qemu_version(void **state)
{
	static const char script[] = "#!/bin/sh\necho 'QEMU emulator version 2.5.0'\n";
	struct hvt_err err = HVT_ERR_INIT;
	char *fake = hvt_asprintf("%s/old-qemu", tmpdir);
	char *envq = hvt_asprintf("HVT_QEMU=%s", fake);
	const char *env[] = { envq, NULL };

	itest_ok(hvt_file_write(fake, script, strlen(script), &err), &err);
	assert_int_equal(chmod(fake, 0755), 0);
	expect_vm_run_failure((const char *const[]){ NULL }, env, "too old");
	free(envq);
	free(fake);
}

static void test_socket_path_too_long(void **state)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	char *wd, *out = NULL;
	int rc;

	wd = hvt_asprintf("%s/%0120d", tmpdir, 7);
	hvt_strv_push(&argv, itest_hvtest());
	hvt_strv_pushv(&argv, (const char *const[]){ "vm", "run", "--workdir", wd, NULL });
	rc = itest_run((const char *const *)argv.v, NULL, 60000, &out);
	if (rc != 1 || !strstr(out, "sun_path"))
		fail_msg("expected exit 1 and a sun_path message; got %d:\n%s", rc, out);
	assert_int_equal(itest_count_qemu(wd), 0);
	free(out);
	free(wd);
	hvt_strv_release(&argv);
}

static void test_rejected_device(void **state)
{
	ITEST_NEED(have_guest);
	/* QEMU's own words about the option are quoted */
	expect_vm_run_failure((const char *const[]){ "--device", "hvt-no-such-device", NULL }, NULL,
			      "hvt-no-such-device");
}

static void test_guest_never_boots(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guest g;

	ITEST_NEED(have_guest);
	itest_ok(hvt_guest_locate(&g, &err), &err);
	/* the kernel finds no init: it panics, the agent never comes */
	expect_vm_run_failure((const char *const[]){ "--kernel", g.kernel, "--initrd", g.initrd,
						     "--append",
						     "console=ttyS0 rdinit=/hvt-no-init panic=0",
						     "--boot-timeout", "30", NULL },
			      NULL, "Kernel panic");
}

static void test_agent_never_answers(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *disk = hvt_asprintf("%s/blank.img", tmpdir);
	char *zero = hvt_zalloc(1 << 20);

	/* a disk with nothing to boot: firmware runs, no agent ever answers */
	itest_ok(hvt_file_write(disk, zero, 1 << 20, &err), &err);
	expect_vm_run_failure((const char *const[]){ "--disk", disk, "--boot-timeout", "5", NULL },
			      NULL, "agent");
	free(zero);
	free(disk);
}

static void test_bad_cli_values(void **state)
{
	/* each a usage error naming the option (exit 2; a leak would change it) */
	static const char *const bad[][7] = {
		{ "vm", "run", "-m", "lots" },
		{ "vm", "run", "--smp", "-1" },
		{ "vm", "run", "--boot-timeout", "x" },
		{ "vm", "run", "--accel", "hax" },
		{ "screen", "--needles", "d", "--timeout", "0", "check", "t" },
		{ "screen", "--needles", "d", "--interval", "-5", "type", "t" },
		{ "screen", "--needles", "d", "--tolerance", "x", "check", "t" },
	};
	static const char *const names[] = { "--memory", "--smp", "--boot-timeout", "--accel",
					      "--timeout", "--interval", "--tolerance" };

	for (size_t i = 0; i < HVT_ARRAY_SIZE(bad); i++) {
		const char *argv[9] = { itest_hvtest() };
		char *out = NULL;
		int rc;

		for (size_t k = 0; k < 7 && bad[i][k]; k++)
			argv[k + 1] = bad[i][k];
		rc = itest_run(argv, NULL, 30000, &out);
		if (rc != 2 || !strstr(out, names[i]))
			fail_msg("%s %s: expected exit 2 naming %s, got %d:\n%s", bad[i][0],
				 names[i], names[i], rc, out);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_qemu),
		cmocka_unit_test(test_unusable_qemu_version),
		cmocka_unit_test(test_socket_path_too_long),
		cmocka_unit_test(test_rejected_device),
		cmocka_unit_test(test_guest_never_boots),
		cmocka_unit_test(test_agent_never_answers),
		cmocka_unit_test(test_bad_cli_values),
	};

	return cmocka_run_group_tests_name("bad-input", tests, group_setup, group_teardown);
}
