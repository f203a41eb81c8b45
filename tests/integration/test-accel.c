// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The accelerator probe as users meet it, on a host where KVM opens but
 * is unusable (a wrapper around the real QEMU that fails under KVM as the
 * nested AMD host does): doctor, vm run and run say why in one line, the
 * guest runs under TCG, and the verdict is cached for the next command.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakeqemu.h"
#include "itest.h"

static char tmpdir[] = "/tmp/hvt-itest-accel-XXXXXX";
static char *wrapper, *env_qemu, *env_cache, *env_guest;
static bool have_guest;

/* The reason the wrapper's host gives, as the probe words it. */
#define WHY "KVM unusable: -cpu host: QEMU aborted: failed to set MSR 0x10a to 0x69; " \
	    "-cpu qemu64: the guest reset before its kernel printed a line"

static int group_setup(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *real = hvt_which("qemu-system-x86_64");

	have_guest = itest_require_guest() == 0;
	if (!have_guest || !real)
		return itest_missing_is_failure();
	if (!mkdtemp(tmpdir))
		return -1;
	/* -cpu host aborts on an MSR; other models reset at once (-no-reboot exits) */
	wrapper = fakeqemu_kvm_aborts(tmpdir, real, "exit 0", &err);
	free(real);
	if (!wrapper)
		return -1;
	env_qemu = hvt_asprintf("HVT_QEMU=%s", wrapper);
	env_cache = hvt_asprintf("XDG_CACHE_HOME=%s/cache", tmpdir);
	env_guest = hvt_asprintf("HVT_GUEST_DIR=%s", hvt_guest_dir());
	return 0;
}

static int group_teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	free(wrapper);
	free(env_qemu);
	free(env_cache);
	free(env_guest);
	return 0;
}

static int run_with_wrapper(const char *const *argv, int timeout_ms, char **out)
{
	const char *env[] = { env_qemu, env_cache, env_guest, "HVT_KVM_DEVICE=/dev/null",
			      "HVT_ACCEL=", "NO_COLOR=1", NULL };

	return itest_run(argv, env, timeout_ms, out);
}

static void test_doctor_says_why(void **state)
{
	const char *argv[] = { itest_hvtest(), "doctor", NULL };
	const char *reprobe[] = { itest_hvtest(), "doctor", "--reprobe", NULL };
	char *out = NULL, *line;

	if (!have_guest)
		skip();
	run_with_wrapper(argv, 120000, &out);
	line = strstr(out, "\nok    accel ");
	if (!line || strncmp(line, "\nok    accel      tcg: " WHY " (probed in ",
			     strlen("\nok    accel      tcg: " WHY " (probed in ")))
		fail_msg("doctor did not say why KVM is unusable:\n%s", out);
	free(out);
	/* the next command reads the verdict */
	run_with_wrapper(argv, 120000, &out);
	if (!strstr(out, "tcg: " WHY " (verdict cached in this boot)"))
		fail_msg("the second doctor did not use the cached verdict:\n%s", out);
	free(out);
	run_with_wrapper(reprobe, 120000, &out);
	if (!strstr(out, "tcg: " WHY " (probed in "))
		fail_msg("doctor --reprobe did not probe:\n%s", out);
	free(out);
}

static void test_vm_run_falls_back(void **state)
{
	const char *argv[] = { itest_hvtest(), "vm", "run", "--", "cat", "/proc/cmdline", NULL };
	char *out = NULL;
	int rc;

	if (!have_guest)
		skip();
	rc = run_with_wrapper(argv, 300000, &out);
	if (rc != 0 || !strstr(out, "hvtest: accelerator tcg: " WHY "\n") ||
	    !strstr(out, "console=ttyS0"))
		fail_msg("vm run under the wrapper: exit %d:\n%s", rc, out);
	free(out);
}

static void test_run_says_why(void **state)
{
	const char *plan_text = "variants:\n    - one:\n        type = noop\n";
	struct hvt_err err = HVT_ERR_INIT;
	char *plan = hvt_asprintf("%s/one.cfg", tmpdir);
	char *results = hvt_asprintf("%s/results", tmpdir);
	/* options after the plan: GNU style, anywhere */
	const char *argv[] = { itest_hvtest(), "run", plan, "--results", results, NULL };
	char *out = NULL;
	int rc;

	if (!have_guest)
		skip();
	assert_int_equal(hvt_file_write(plan, plan_text, strlen(plan_text), &err), 0);
	rc = run_with_wrapper(argv, 120000, &out);
	if (rc != 0 || !strstr(out, "hvtest: accelerator tcg: " WHY) ||
	    !strstr(out, "1 cases: 1 pass,"))
		fail_msg("run under the wrapper: exit %d:\n%s", rc, out);
	free(out);
	free(results);
	free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doctor_says_why),
		cmocka_unit_test(test_vm_run_falls_back),
		cmocka_unit_test(test_run_says_why),
	};

	return cmocka_run_group_tests_name("accel", tests, group_setup, group_teardown);
}
