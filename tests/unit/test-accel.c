// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the accelerator probe: its decision over recorded boots
 * (progress, hang, an abort with an MSR error, a reset), and the probe
 * itself on hosts simulated by wrappers around the real QEMU (KVM aborts
 * with -cpu host and hangs otherwise; KVM works), with its cache.
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "accel.h"
#include "env.h"
#include "fakeqemu.h"
#include "proc.h"

static char tmpdir[] = "/tmp/hvt-test-accel-XXXXXX";

/* What the kernel prints last without a root file system (recorded). */
static const char console_progress[] =
	"[    1.654383] Kernel panic - not syncing: VFS: Unable to mount root fs on "
	"unknown-block(0,0)\r\n"
	"[    1.655277] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-57-amd64 #1\r\n"
	"[    1.659122] Kernel Offset: disabled\r\n";

/* QEMU 7.2 under KVM with -cpu host on a nested AMD EPYC host (recorded). */
static const char stderr_msr[] =
	"qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n"
	"qemu-system-x86_64: ../target/i386/kvm/kvm.c:2893: kvm_buf_set_msrs: Assertion "
	"`ret == cpu->kvm_msr_buf->nmsrs' failed.\n";

static void test_judge_progress(void **state)
{
	struct hvt_accel_trial t = {
		.st = { .exited = true, .code = 0 }, .console = console_progress,
		.timeout_ms = 8000,
	};
	char why[256] = "";

	assert_true(hvt_accel_judge(&t, why, sizeof(why)));
	/* the same words but QEMU still ran at the timeout: no verdict of progress */
	t.timed_out = true;
	assert_false(hvt_accel_judge(&t, why, sizeof(why)));
}

static void test_judge_hang(void **state)
{
	struct hvt_accel_trial t = { .timed_out = true, .console = "", .timeout_ms = 8000 };
	char why[256];

	assert_false(hvt_accel_judge(&t, why, sizeof(why)));
	assert_string_equal(why, "no progress within 8000 ms (not a line on the console)");
	t.console = "[    0.000000] Linux version 6.1.0-57-amd64\r\n"
		    "[    0.112000] smpboot: CPU0: AMD EPYC Processor\r\n";
	assert_false(hvt_accel_judge(&t, why, sizeof(why)));
	assert_string_equal(why, "no progress within 8000 ms; the kernel's last words: "
			    "smpboot: CPU0: AMD EPYC Processor");
}

static void test_judge_msr_abort(void **state)
{
	struct hvt_accel_trial t = {
		.st = { .exited = false, .sig = SIGABRT, .core = true },
		.stderr_text = stderr_msr, .console = "", .timeout_ms = 8000,
	};
	char why[256];

	assert_false(hvt_accel_judge(&t, why, sizeof(why)));
	assert_string_equal(why, "QEMU aborted: failed to set MSR 0x10a to 0x69");
	t.stderr_text = NULL;
	t.st.sig = SIGSEGV;
	assert_false(hvt_accel_judge(&t, why, sizeof(why)));
	assert_string_equal(why, "QEMU was killed by signal 11");
}

static void test_judge_exit_and_reset(void **state)
{
	struct hvt_accel_trial t = {
		.st = { .exited = true, .code = 1 }, .timeout_ms = 8000,
		.stderr_text = "qemu-system-x86_64: -accel kvm: Could not access KVM kernel "
			       "module: Permission denied\nqemu-system-x86_64: -accel kvm: failed "
			       "to initialize kvm: Permission denied\n",
	};
	char why[256], small[24];

	assert_false(hvt_accel_judge(&t, why, sizeof(why)));
	assert_string_equal(why, "QEMU exited with code 1: -accel kvm: failed to initialize "
			    "kvm: Permission denied");
	/* a triple fault resets the guest and -no-reboot ends QEMU with 0 */
	t.st.code = 0;
	t.stderr_text = "";
	t.console = "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n\r\nBooting from ROM..\r\n";
	assert_false(hvt_accel_judge(&t, why, sizeof(why)));
	assert_string_equal(why, "the guest reset before its kernel got to its root file "
			    "system; last words: Booting from ROM..");
	/* control characters never reach the message; it always fits */
	t.console = "\033[2J\033[1;1Hx\r\n";
	assert_false(hvt_accel_judge(&t, small, sizeof(small)));
	assert_null(strchr(small, '\033'));
	assert_true(strlen(small) < sizeof(small));
}

static char *write_script(const char *name, const char *body)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = fakeqemu_script(tmpdir, name, body, &err);

	if (!path)
		fail_msg("%s", err.msg);
	return path;
}

static char *amd_nested_qemu(const char *real)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = fakeqemu_kvm_aborts(tmpdir, real, "exec sleep 600", &err);

	if (!path)
		fail_msg("%s", err.msg);
	return path;
}

static char *kvm_ok_qemu(const char *real)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = fakeqemu_kvm_works(tmpdir, real, &err);

	if (!path)
		fail_msg("%s", err.msg);
	return path;
}

static const char *real_qemu_or_skip(void)
{
	static char *path;

	if (!path)
		path = hvt_which("qemu-system-x86_64");
	return path;
}

/* A fresh cache and a KVM device that opens, for one probe scenario. */
static void fresh_host(const char *name)
{
	char *cache = hvt_asprintf("%s/cache-%s", tmpdir, name);

	setenv("XDG_CACHE_HOME", cache, 1);
	setenv("HVT_KVM_DEVICE", "/dev/null", 1);
	unsetenv("HVT_ACCEL");
	free(cache);
}

static void test_probe_no_kvm_device(void **state)
{
	const char *qemu = real_qemu_or_skip();
	struct hvt_accel_opts o = { .qemu = qemu };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_accel acc;

	if (!qemu)
		skip();
	fresh_host("nodev");
	setenv("HVT_KVM_DEVICE", "/nonexistent/kvm", 1);
	if (hvt_accel_probe(&o, &acc, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(acc.name, "tcg");
	assert_string_equal(acc.cpu, "max");
	assert_string_equal(acc.reason,
			    "KVM unusable: /nonexistent/kvm: No such file or directory");
	assert_false(acc.cached);
}

static void test_probe_amd_nested(void **state)
{
	const char *real = real_qemu_or_skip();
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_accel acc, again;
	char *qemu;

	if (!real)
		skip();
	qemu = amd_nested_qemu(real);
	fresh_host("amd");
	struct hvt_accel_opts o = { .qemu = qemu, .timeout_ms = 1500 };

	if (hvt_accel_probe(&o, &acc, &err))
		fail_msg("%s", err.msg);
	print_message("reason: %s (%lld ms)\n", acc.reason, (long long)acc.probe_ms);
	assert_string_equal(acc.name, "tcg");
	assert_string_equal(acc.cpu, "max");
	assert_non_null(strstr(acc.reason, "KVM unusable: -cpu host: QEMU aborted: failed to "
					   "set MSR 0x10a to 0x69; -cpu qemu64: no progress "
					   "within 1500 ms"));
	assert_null(strchr(acc.reason, '\n'));
	assert_false(acc.cached);

	/* cached: nothing runs the second time, in this process or another */
	assert_int_equal(hvt_accel_probe(&o, &again, &err), 0);
	assert_true(again.cached);
	assert_string_equal(again.reason, acc.reason);

	/* a named model is probed for itself, and hangs here */
	o.cpu = "EPYC";
	assert_int_equal(hvt_accel_probe(&o, &again, &err), 0);
	assert_false(again.cached);
	assert_string_equal(again.name, "tcg");
	assert_string_equal(again.cpu, "EPYC");
	assert_non_null(strstr(again.reason, "-cpu EPYC: no progress within 1500 ms"));
	free(qemu);
}

static void test_probe_kvm_works(void **state)
{
	const char *real = real_qemu_or_skip();
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_accel acc, again;
	char *qemu, *dir, *file;
	glob_t gl;

	if (!real)
		skip();
	qemu = kvm_ok_qemu(real);
	fresh_host("kvm");
	struct hvt_accel_opts o = { .qemu = qemu, .timeout_ms = 30000 };

	if (hvt_accel_probe(&o, &acc, &err)) {
		if (err.code == -ENOENT)
			skip();
		fail_msg("%s", err.msg);
	}
	print_message("reason: %s\n", acc.reason);
	if (strstr(acc.reason, "no kernel to prove it with")) {
		free(qemu);
		skip();
	}
	assert_string_equal(acc.name, "kvm");
	assert_string_equal(acc.cpu, "host");
	assert_non_null(strstr(acc.reason, "KVM runs a guest kernel with -cpu host ("));
	assert_true(acc.probe_ms > 0);

	/* the verdict is a file keyed by this boot */
	dir = hvt_asprintf("%s/accel/*", hvt_env_cache_dir());
	assert_int_equal(glob(dir, 0, NULL, &gl), 0);
	assert_int_equal(gl.gl_pathc, 1);
	assert_int_equal(hvt_file_read(gl.gl_pathv[0], &file, NULL, &err), 0);
	globfree(&gl);
	assert_non_null(strstr(file, "\nname=kvm\ncpu=host\n"));
	assert_non_null(strstr(file, "boot="));
	/* refresh probes again */
	o.refresh = true;
	assert_int_equal(hvt_accel_probe(&o, &again, &err), 0);
	assert_false(again.cached);
	assert_string_equal(again.name, "kvm");
	free(file);
	free(dir);
	free(qemu);
}

static void test_forced_still_checks_version(void **state)
{
	char *old = write_script("old-qemu", "echo 'QEMU emulator version 5.2.0'");
	struct hvt_accel_opts o = { .qemu = old };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_accel acc;
	const char *real = real_qemu_or_skip();

	setenv("HVT_ACCEL", "tcg", 1);
	assert_int_equal(hvt_accel_probe(&o, &acc, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "is too old"));
	if (real) {
		o.qemu = real;
		assert_int_equal(hvt_accel_probe(&o, &acc, &err), 0);
		assert_string_equal(acc.name, "tcg");
		assert_string_equal(acc.cpu, "max");
		assert_string_equal(acc.reason, "forced by HVT_ACCEL=tcg");
		setenv("HVT_ACCEL", "kvm", 1);
		assert_int_equal(hvt_accel_probe(&o, &acc, &err), 0);
		assert_string_equal(acc.cpu, "host");
	}
	setenv("HVT_ACCEL", "xen", 1);
	assert_int_equal(hvt_accel_probe(&o, &acc, &err), -EINVAL);
	assert_string_equal(err.msg, "HVT_ACCEL=xen: expected kvm or tcg");
	unsetenv("HVT_ACCEL");
	assert_int_equal(hvt_accel_probe(&(struct hvt_accel_opts){ .qemu = "hvt-no-such-qemu" },
					 &acc, &err), -ENOENT);
	free(old);
}

static void test_tcg_unusable(void **state)
{
	char *qemu = write_script("broken-qemu",
				  "if [ \"$1\" = --version ]; then\n"
				  "  echo 'QEMU emulator version 7.2.0'; exit 0\n"
				  "fi\n"
				  "echo 'broken-qemu: no usable accelerator' >&2; exit 1");
	struct hvt_accel_opts o = { .qemu = qemu, .timeout_ms = 500 };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_accel acc;
	char *want;

	fresh_host("broken");
	assert_int_equal(hvt_accel_probe(&o, &acc, &err), -ECHILD);
	want = hvt_asprintf("%s cannot run a guest: no usable accelerator", qemu);
	assert_string_equal(err.msg, want);
	free(want);
	free(qemu);
}

static int setup(void **state)
{
	hvt_proc_install_reaper();
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_progress),
		cmocka_unit_test(test_judge_hang),
		cmocka_unit_test(test_judge_msr_abort),
		cmocka_unit_test(test_judge_exit_and_reset),
		cmocka_unit_test(test_probe_no_kvm_device),
		cmocka_unit_test(test_probe_amd_nested),
		cmocka_unit_test(test_probe_kvm_works),
		cmocka_unit_test(test_forced_still_checks_version),
		cmocka_unit_test(test_tcg_unusable),
	};

	return cmocka_run_group_tests_name("accel", tests, setup, teardown);
}
