// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the machine module without QEMU: command lines built for
 * various configurations, work directories, configuration errors, and how
 * a QEMU that fails at start is reported (a shell script stands in for it);
 * and the launcher under it, with shell scripts for helper processes.
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

#include "guest.h"
#include "launch.h"
#include "vm.h"

static char tmpdir[] = "/tmp/hvt-test-vm-XXXXXX";
static char *guestdir, *workbase, *other_qemu;

static void put_file(const char *dir, const char *name, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/%s", dir, name);

	if (hvt_file_write(path, text, strlen(text), &err))
		fail_msg("%s", err.msg);
	free(path);
}

static int setup(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *bindir, *qemu;

	if (!mkdtemp(tmpdir))
		return -1;
	guestdir = hvt_asprintf("%s/guest", tmpdir);
	workbase = hvt_asprintf("%s/work", tmpdir);
	if (hvt_mkdir_p(guestdir, 0755, &err))
		return -1;
	put_file(guestdir, "vmlinuz", "kernel");
	put_file(guestdir, "initrd.img", "initrd");
	put_file(guestdir, "tools.img", "tools");
	put_file(guestdir, "manifest", "busybox=1:1.35.0-4\nkver=6.1.0-test-amd64\nfio=3.33-3\n");
	put_file(guestdir, "cmdline", "console=ttyS0 quiet panic=-1\n");
	setenv("HVT_GUEST_DIR", guestdir, 1);
	setenv("HVT_ACCEL", "tcg", 1);
	/* a stand-in that passes the version check; these machines never start */
	bindir = hvt_asprintf("%s/bin", tmpdir);
	qemu = hvt_asprintf("%s/qemu-system-x86_64", bindir);
	if (hvt_mkdir_p(bindir, 0755, &err))
		return -1;
	put_file(bindir, "qemu-system-x86_64", "#!/bin/sh\necho 'QEMU emulator version 7.2.0'\n");
	chmod(qemu, 0755);
	setenv("HVT_QEMU", qemu, 1);
	free(qemu);
	other_qemu = hvt_asprintf("%s/qemu-other", bindir);
	put_file(bindir, "qemu-other", "#!/bin/sh\necho 'QEMU emulator version 9.1.0'\n");
	chmod(other_qemu, 0755);
	free(bindir);
	setenv("HVT_WORKDIR", workbase, 1);
	unsetenv("HVT_KEEP");
	return 0;
}

static int teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	free(guestdir);
	free(workbase);
	free(other_qemu);
	return 0;
}

/* s with "@W" replaced by the work dir, "@G" by the guest dir, "@T" by tmpdir. */
static char *expand(const char *s, const char *wd)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_add(&b, "", 0);
	for (; *s; s++) {
		if (s[0] == '@' && s[1] == 'W') {
			hvt_buf_add(&b, wd, strlen(wd));
			s++;
		} else if (s[0] == '@' && s[1] == 'G') {
			hvt_buf_add(&b, guestdir, strlen(guestdir));
			s++;
		} else if (s[0] == '@' && s[1] == 'T') {
			hvt_buf_add(&b, tmpdir, strlen(tmpdir));
			s++;
		} else {
			hvt_buf_add(&b, s, 1);
		}
	}
	return b.p;
}

static void expect_argv(const struct hvt_vm *vm, const char *const *want)
{
	const struct hvt_strv *got = hvt_vm_argv(vm);
	size_t n = 0;

	for (; want[n]; n++) {
		char *w = expand(want[n], hvt_vm_workdir(vm));

		if (n >= got->n)
			fail_msg("argv has %zu items, expected '%s' at %zu", got->n, w, n);
		if (strcmp(got->v[n], w))
			fail_msg("argv[%zu] is '%s', expected '%s'", n, got->v[n], w);
		free(w);
	}
	if (got->n != n)
		fail_msg("argv has %zu items, expected %zu; the first extra is '%s'", got->n, n,
			 got->v[n]);
	assert_null(got->v[got->n]);
}

/* Index of item in the command line, or -1. */
static int argv_find(const struct hvt_vm *vm, const char *item)
{
	const struct hvt_strv *sv = hvt_vm_argv(vm);

	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], item))
			return (int)i;
	return -1;
}

static struct hvt_vm *new_vm(const struct hvt_vm_config *cfg)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm *vm = hvt_vm_new(cfg, &err);

	if (!vm)
		fail_msg("hvt_vm_new: %s", err.msg);
	return vm;
}

static void test_default_guest(void **state)
{
	static const char *const want[] = {
		"@T/bin/qemu-system-x86_64", "-name", "argv1", "-accel", "tcg",
		"-machine", "pc", "-cpu", "max", "-smp", "1", "-m", "512",
		"-nodefaults", "-no-user-config", "-display", "none",
		"-kernel", "@G/vmlinuz", "-initrd", "@G/initrd.img",
		"-append", "console=ttyS0 quiet panic=-1",
		"-chardev", "file,id=con,path=@W/console.log", "-serial", "chardev:con",
		"-chardev", "socket,id=qmp,path=@W/qmp.sock,server=on,wait=off",
		"-mon", "chardev=qmp,mode=control",
		"-device", "virtio-serial-pci,id=vser0",
		"-chardev", "socket,id=qga,path=@W/qga.sock,server=on,wait=off",
		"-device", "virtserialport,chardev=qga,name=org.qemu.guest_agent.0",
		"-drive", "file=@G/tools.img,if=none,id=tools,format=raw,readonly=on",
		"-device", "virtio-blk-pci,drive=tools,serial=hvt-tools",
		"-pidfile", "@W/qemu.pid", NULL,
	};
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;
	char *wd, *prefix, *p;

	hvt_vm_config_init(&cfg);
	cfg.name = "argv1";
	vm = new_vm(&cfg);
	expect_argv(vm, want);
	assert_string_equal(hvt_vm_name(vm), "argv1");
	assert_string_equal(hvt_vm_accel(vm), "tcg");
	assert_null(hvt_vm_qmp_client(vm));
	assert_null(hvt_vm_qga(vm));
	assert_null(hvt_vm_proc(vm));

	/* A fresh directory named after the machine under $HVT_WORKDIR. */
	wd = hvt_strdup(hvt_vm_workdir(vm));
	prefix = hvt_asprintf("%s/hvt-argv1-", workbase);
	assert_int_equal(strncmp(wd, prefix, strlen(prefix)), 0);
	assert_int_equal(strlen(wd), strlen(prefix) + 6);
	assert_true(hvt_path_exists(wd));
	p = hvt_vm_path(vm, "console.log");
	assert_string_equal(p + strlen(wd), "/console.log");
	free(p);
	hvt_vm_free(vm);
	assert_false(hvt_path_exists(wd));
	free(prefix);
	free(wd);
}

static void test_zero_config_defaults(void **state)
{
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;

	/* All zero: the same defaults as hvt_vm_config_init(). */
	memset(&cfg, 0, sizeof(cfg));
	vm = new_vm(&cfg);
	assert_string_equal(hvt_vm_name(vm), "vm");
	assert_int_equal(argv_find(vm, "-smp") + 1, argv_find(vm, "1"));
	assert_string_equal(hvt_vm_argv(vm)->v[argv_find(vm, "-m") + 1], "512");
	assert_string_equal(hvt_vm_argv(vm)->v[argv_find(vm, "-machine") + 1], "pc");
	hvt_vm_free(vm);
}

static void test_kvm_and_cpu(void **state)
{
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;

	hvt_vm_config_init(&cfg);
	cfg.accel = "kvm";
	vm = new_vm(&cfg);
	assert_string_equal(hvt_vm_argv(vm)->v[argv_find(vm, "-accel") + 1], "kvm");
	assert_string_equal(hvt_vm_argv(vm)->v[argv_find(vm, "-cpu") + 1], "host");
	hvt_vm_free(vm);

	cfg.cpu = "Skylake-Server";
	cfg.machine = "q35";
	cfg.cpus = 4;
	cfg.mem_mib = 1024;
	cfg.maxmem_mib = 4096;
	cfg.qemu = other_qemu;
	vm = new_vm(&cfg);
	assert_string_equal(hvt_vm_argv(vm)->v[0], other_qemu);
	assert_string_equal(hvt_vm_argv(vm)->v[argv_find(vm, "-cpu") + 1], "Skylake-Server");
	assert_string_equal(hvt_vm_argv(vm)->v[argv_find(vm, "-machine") + 1], "q35");
	assert_string_equal(hvt_vm_argv(vm)->v[argv_find(vm, "-smp") + 1], "4");
	assert_string_equal(hvt_vm_argv(vm)->v[argv_find(vm, "-m") + 1],
			    "1024,slots=8,maxmem=4096M");
	hvt_vm_free(vm);
}

static void test_user_disk(void **state)
{
	static const char *const want[] = {
		"@T/bin/qemu-system-x86_64", "-name", "disk", "-accel", "tcg",
		"-machine", "pc", "-cpu", "max", "-smp", "1", "-m", "512",
		"-nodefaults", "-no-user-config", "-display", "none",
		"-drive", "file=@T/my,,disk.img,if=virtio,format=raw",
		"-chardev", "file,id=con,path=@W/console.log", "-serial", "chardev:con",
		"-chardev", "socket,id=qmp,path=@W/qmp.sock,server=on,wait=off",
		"-mon", "chardev=qmp,mode=control",
		"-device", "virtio-serial-pci,id=vser0",
		"-chardev", "socket,id=qga,path=@W/qga.sock,server=on,wait=off",
		"-device", "virtserialport,chardev=qga,name=org.qemu.guest_agent.0",
		"-pidfile", "@W/qemu.pid", NULL,
	};
	char *raw = hvt_asprintf("%s/my,disk.img", tmpdir);
	char *qcow = hvt_asprintf("%s/disk.qcow2", tmpdir);
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;
	char *drive;

	put_file(tmpdir, "my,disk.img", "raw bytes");
	put_file(tmpdir, "disk.qcow2", "QFI\xfb and more");
	/* No default guest is needed for a user's disk. */
	setenv("HVT_GUEST_DIR", "/hvt-no-such-guest", 1);
	hvt_vm_config_init(&cfg);
	cfg.name = "disk";
	cfg.disk = raw;
	vm = new_vm(&cfg);
	/* Commas in paths are doubled inside option values. */
	expect_argv(vm, want);
	hvt_vm_free(vm);

	cfg.disk = qcow;
	vm = new_vm(&cfg);
	drive = hvt_asprintf("file=%s,if=virtio,format=qcow2", qcow);
	assert_true(argv_find(vm, drive) > 0);
	free(drive);
	hvt_vm_free(vm);
	setenv("HVT_GUEST_DIR", guestdir, 1);
	free(qcow);
	free(raw);
}

static void test_user_kernel(void **state)
{
	char *k = hvt_asprintf("%s/bzImage", tmpdir), *i = hvt_asprintf("%s/ramfs", tmpdir);
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;
	int at;

	put_file(tmpdir, "bzImage", "k");
	put_file(tmpdir, "ramfs", "i");
	setenv("HVT_GUEST_DIR", "/hvt-no-such-guest", 1);
	hvt_vm_config_init(&cfg);
	cfg.kernel = k;
	cfg.initrd = i;
	cfg.append = "console=ttyS0 rdinit=/bin/sh";
	vm = new_vm(&cfg);
	at = argv_find(vm, "-kernel");
	assert_true(at > 0);
	assert_string_equal(hvt_vm_argv(vm)->v[at + 1], k);
	assert_string_equal(hvt_vm_argv(vm)->v[at + 2], "-initrd");
	assert_string_equal(hvt_vm_argv(vm)->v[at + 3], i);
	assert_string_equal(hvt_vm_argv(vm)->v[at + 4], "-append");
	assert_string_equal(hvt_vm_argv(vm)->v[at + 5], "console=ttyS0 rdinit=/bin/sh");
	/* The tools disk belongs to the default guest. */
	assert_int_equal(argv_find(vm, "virtio-blk-pci,drive=tools,serial=hvt-tools"), -1);
	hvt_vm_free(vm);

	/* A kernel alone: no -initrd, no -append. */
	cfg.initrd = NULL;
	cfg.append = NULL;
	vm = new_vm(&cfg);
	assert_int_equal(argv_find(vm, "-initrd"), -1);
	assert_int_equal(argv_find(vm, "-append"), -1);
	hvt_vm_free(vm);
	setenv("HVT_GUEST_DIR", guestdir, 1);
	free(k);
	free(i);
}

/* Neither kernel nor disk, the firmware boots (from the network): no default guest. */
static void test_no_guest(void **state)
{
	static const char *const extra[] = { "-boot", "order=n", NULL };
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;

	setenv("HVT_GUEST_DIR", "/hvt-no-such-guest", 1);
	hvt_vm_config_init(&cfg);
	cfg.no_guest = true;
	cfg.no_agent = true;
	cfg.extra = extra;
	vm = new_vm(&cfg);
	assert_int_equal(argv_find(vm, "-kernel"), -1);
	assert_int_equal(argv_find(vm, "-initrd"), -1);
	assert_int_equal(argv_find(vm, "-drive"), -1);
	assert_true(argv_find(vm, "order=n") > 0);
	hvt_vm_free(vm);
	setenv("HVT_GUEST_DIR", guestdir, 1);
}

static void test_paused_incoming_appended(void **state)
{
	static const char *const devices[] = { "virtio-rng-pci,id=rng0", "virtio-balloon-pci", NULL };
	static const char *const drives[] = { "file=/tmp/x.img,if=none,id=d0", NULL };
	static const char *const extra[] = { "-global", "kvm-pit.lost_tick_policy=discard", NULL };
	struct hvt_vm_config cfg;
	const struct hvt_strv *sv;
	struct hvt_vm *vm;
	int at;

	hvt_vm_config_init(&cfg);
	cfg.paused = true;
	cfg.incoming = "defer";
	cfg.devices = devices;
	cfg.drives = drives;
	cfg.extra = extra;
	cfg.vnc = "unix:/tmp/vnc.sock";
	vm = new_vm(&cfg);
	sv = hvt_vm_argv(vm);
	at = argv_find(vm, "-pidfile");
	assert_true(at > 0);
	/* After -pidfile: -S, -incoming, drives, devices, extra, in that order. */
	assert_int_equal(sv->n, (size_t)at + 2 + 1 + 2 + 2 + 4 + 2);
	assert_string_equal(sv->v[at + 2], "-S");
	assert_string_equal(sv->v[at + 3], "-incoming");
	assert_string_equal(sv->v[at + 4], "defer");
	assert_string_equal(sv->v[at + 5], "-drive");
	assert_string_equal(sv->v[at + 6], "file=/tmp/x.img,if=none,id=d0");
	assert_string_equal(sv->v[at + 7], "-device");
	assert_string_equal(sv->v[at + 8], "virtio-rng-pci,id=rng0");
	assert_string_equal(sv->v[at + 9], "-device");
	assert_string_equal(sv->v[at + 10], "virtio-balloon-pci");
	assert_string_equal(sv->v[at + 11], "-global");
	assert_string_equal(sv->v[at + 12], "kvm-pit.lost_tick_policy=discard");
	at = argv_find(vm, "-vnc");
	assert_true(at > 0);
	assert_string_equal(sv->v[at - 1], "none");
	assert_string_equal(sv->v[at + 1], "unix:/tmp/vnc.sock");
	hvt_vm_free(vm);
}

/* A display's preferred mode: the VGA's EDID (xres, yres). */
static void test_display_mode(void **state)
{
	struct hvt_vm_config cfg;
	const struct hvt_strv *sv;
	struct hvt_vm *vm;
	bool found = false;

	hvt_vm_config_init(&cfg);
	cfg.vga = "std";
	cfg.xres = 1024;
	cfg.yres = 768;
	vm = new_vm(&cfg);
	sv = hvt_vm_argv(vm);
	for (size_t i = 1; i < sv->n; i++)
		found |= !strcmp(sv->v[i - 1], "-device") &&
			 !strcmp(sv->v[i], "VGA,xres=1024,yres=768");
	assert_true(found);
	hvt_vm_free(vm);
}

static void test_no_agent_no_tools(void **state)
{
	struct hvt_vm_config cfg;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm *vm;
	char *tools = hvt_asprintf("%s/tools.img", guestdir);

	hvt_vm_config_init(&cfg);
	cfg.no_agent = true;
	cfg.no_tools = true;
	vm = new_vm(&cfg);
	assert_int_equal(argv_find(vm, "virtio-serial-pci,id=vser0"), -1);
	assert_int_equal(argv_find(vm, "virtserialport,chardev=qga,name=org.qemu.guest_agent.0"),
			 -1);
	assert_int_equal(argv_find(vm, "virtio-blk-pci,drive=tools,serial=hvt-tools"), -1);
	assert_int_equal(hvt_vm_wait_agent(vm, 100, &err), -ENOTSUP);
	assert_int_equal(hvt_vm_sh(vm, "true", 100, NULL, &err), -ENOTSUP);
	hvt_vm_free(vm);

	/* A guest built without a tools disk: none attached. */
	rename(tools, "/tmp/hvt-test-vm-tools.img");
	cfg.no_agent = false;
	cfg.no_tools = false;
	vm = new_vm(&cfg);
	assert_int_equal(argv_find(vm, "virtio-blk-pci,drive=tools,serial=hvt-tools"), -1);
	assert_true(argv_find(vm, "virtio-serial-pci,id=vser0") > 0);
	hvt_vm_free(vm);
	rename("/tmp/hvt-test-vm-tools.img", tools);
	free(tools);
}

static void test_given_workdir(void **state)
{
	char *wd = hvt_asprintf("%s/given/deeper", tmpdir);
	char *sock = hvt_asprintf("%s/qmp.sock", wd);
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;

	hvt_vm_config_init(&cfg);
	cfg.workdir = wd;
	vm = new_vm(&cfg);
	assert_string_equal(hvt_vm_workdir(vm), wd);
	assert_true(hvt_path_exists(wd));
	put_file(wd, "qmp.sock", "stale");
	hvt_vm_free(vm);
	/* The caller's directory stays; the sockets in it go. */
	assert_true(hvt_path_exists(wd));
	assert_false(hvt_path_exists(sock));
	free(sock);
	free(wd);
}

static void test_keep_workdir(void **state)
{
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;
	char *wd;

	hvt_vm_config_init(&cfg);
	cfg.keep_workdir = true;
	vm = new_vm(&cfg);
	wd = hvt_strdup(hvt_vm_workdir(vm));
	hvt_vm_free(vm);
	assert_true(hvt_path_exists(wd));
	hvt_rm_rf(wd);
	free(wd);

	cfg.keep_workdir = false;
	setenv("HVT_KEEP", "1", 1);
	vm = new_vm(&cfg);
	wd = hvt_strdup(hvt_vm_workdir(vm));
	hvt_vm_free(vm);
	unsetenv("HVT_KEEP");
	assert_true(hvt_path_exists(wd));
	hvt_rm_rf(wd);
	free(wd);
}

static void test_sun_path_too_long(void **state)
{
	/* 80 + "/hvt-vm-XXXXXX" (14) + "/qmp.sock" (9) = 103 + tmpdir */
	char *base = hvt_asprintf("%s/%080d", tmpdir, 0);
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm_config cfg;
	char *want, *wd;
	size_t n;

	hvt_vm_config_init(&cfg);
	setenv("HVT_WORKDIR", base, 1);
	assert_null(hvt_vm_new(&cfg, &err));
	setenv("HVT_WORKDIR", workbase, 1);
	assert_int_equal(err.code, -ENAMETOOLONG);
	n = strlen(base) + strlen("/hvt-vm-XXXXXX/qmp.sock");
	want = hvt_asprintf("socket path %s/hvt-vm-XXXXXX/qmp.sock is %zu bytes, over the 107 "
			    "that sun_path allows: use a shorter work directory (HVT_WORKDIR)",
			    base, n);
	assert_string_equal(err.msg, want);
	/* Nothing was created. */
	assert_false(hvt_path_exists(base));
	free(want);

	/* The same for a given work directory; exactly 107 bytes is fine. */
	wd = hvt_asprintf("%s/%0*d", tmpdir, (int)(107 - strlen(tmpdir) - 1 - 9), 0);
	cfg.workdir = wd;
	{
		struct hvt_vm *vm = hvt_vm_new(&cfg, &err);

		if (!vm)
			fail_msg("%zu-byte socket path refused: %s", strlen(wd) + 9, err.msg);
		hvt_vm_free(vm);
	}
	assert_int_equal(strlen(wd) + strlen("/qmp.sock"), 107);
	free(wd);
	wd = hvt_asprintf("%s/%0*d", tmpdir, (int)(108 - strlen(tmpdir) - 1 - 9), 0);
	cfg.workdir = wd;
	assert_null(hvt_vm_new(&cfg, &err));
	assert_int_equal(err.code, -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "is 108 bytes, over the 107"));
	assert_false(hvt_path_exists(wd));
	free(wd);
	free(base);
}

static void expect_invalid(const struct hvt_vm_config *cfg, int code, const char *msg)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm *vm = hvt_vm_new(cfg, &err);

	if (vm) {
		hvt_vm_free(vm);
		fail_msg("accepted; expected '%s'", msg);
	}
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, msg))
		fail_msg("error '%s' does not say '%s'", err.msg, msg);
}

static void test_invalid_configs(void **state)
{
	struct hvt_vm_config cfg;
	struct hvt_err err = HVT_ERR_INIT;

	assert_null(hvt_vm_new(NULL, &err));
	assert_int_equal(err.code, -EINVAL);

	hvt_vm_config_init(&cfg);
	cfg.maxmem_mib = 256;
	expect_invalid(&cfg, -EINVAL, "maxmem_mib (256) is below mem_mib (512)");

	hvt_vm_config_init(&cfg);
	cfg.cpus = -1;
	expect_invalid(&cfg, -EINVAL, "cpus is -1");

	hvt_vm_config_init(&cfg);
	cfg.initrd = "/boot/initrd.img";
	expect_invalid(&cfg, -EINVAL, "initrd given without a kernel");

	hvt_vm_config_init(&cfg);
	cfg.xres = 1024;
	cfg.yres = 768;
	expect_invalid(&cfg, -EINVAL, "display mode 1024x768: needs a display");
	cfg.vga = "std";
	cfg.yres = 0;
	expect_invalid(&cfg, -EINVAL, "display mode 1024x0: needs a display and both sizes");

	hvt_vm_config_init(&cfg);
	cfg.append = "quiet";
	expect_invalid(&cfg, -EINVAL, "append given without a kernel");

	hvt_vm_config_init(&cfg);
	cfg.name = "../escape";
	expect_invalid(&cfg, -EINVAL, "machine name '../escape' is not valid");
	cfg.name = "a,b";
	expect_invalid(&cfg, -EINVAL, "not valid");
	cfg.name = "";
	expect_invalid(&cfg, -EINVAL, "not valid");

	hvt_vm_config_init(&cfg);
	cfg.disk = "/hvt-no-such-disk.qcow2";
	expect_invalid(&cfg, -ENOENT, "disk image /hvt-no-such-disk.qcow2: No such file");

	hvt_vm_config_init(&cfg);
	cfg.kernel = "/hvt-no-such-kernel";
	expect_invalid(&cfg, -ENOENT, "kernel /hvt-no-such-kernel: No such file");

	/* No default guest and nothing else to boot. */
	setenv("HVT_GUEST_DIR", "/hvt-no-such-guest", 1);
	hvt_vm_config_init(&cfg);
	expect_invalid(&cfg, -ENOENT, "run 'hvtest guest build'");
	setenv("HVT_GUEST_DIR", guestdir, 1);

	/* The accelerator probe's failure is the machine's. */
	unsetenv("HVT_ACCEL");
	hvt_vm_config_init(&cfg);
	cfg.qemu = "/hvt-no-such-dir/qemu-system-x86_64";
	expect_invalid(&cfg, -ENOENT, "/hvt-no-such-dir/qemu-system-x86_64");
	setenv("HVT_ACCEL", "tcg", 1);
}

static void test_guest_locate(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path, *want;
	struct hvt_guest g;

	assert_string_equal(hvt_guest_dir(), guestdir);
	assert_int_equal(hvt_guest_locate(&g, &err), 0);
	assert_string_equal(g.dir, guestdir);
	assert_string_equal(g.kver, "6.1.0-test-amd64");
	assert_string_equal(g.append, "console=ttyS0 quiet panic=-1");
	path = hvt_asprintf("%s/vmlinuz", guestdir);
	assert_string_equal(g.kernel, path);
	free(path);
	path = hvt_asprintf("%s/tools.img", guestdir);
	assert_string_equal(g.tools, path);
	free(path);

	path = hvt_asprintf("%s/empty", tmpdir);
	setenv("HVT_GUEST_DIR", path, 1);
	assert_int_equal(hvt_guest_locate(&g, &err), -ENOENT);
	want = hvt_asprintf("default guest not built in %s (no manifest): "
			    "run 'hvtest guest build'", path);
	assert_string_equal(err.msg, want);
	free(want);
	free(path);
	setenv("HVT_GUEST_DIR", guestdir, 1);
}

static void test_guest_dirs(void **state)
{
	const char *home = getenv("HOME");
	char *saved_home = home ? hvt_strdup(home) : NULL;

	unsetenv("HVT_GUEST_DIR");
	setenv("XDG_CACHE_HOME", "/xdg/cache", 1);
	assert_string_equal(hvt_guest_dir(), "/xdg/cache/hvtest/guest");
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/tester", 1);
	assert_string_equal(hvt_guest_dir(), "/home/tester/.cache/hvtest/guest");
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_home);
	setenv("HVT_GUEST_DIR", guestdir, 1);

	setenv("HVT_GUEST_SRC", "/src/guest", 1);
	assert_string_equal(hvt_guest_src(), "/src/guest");
	unsetenv("HVT_GUEST_SRC");
	assert_non_null(strstr(hvt_guest_src(), "/guest"));
}

static void test_guest_build_failure(void **state)
{
	char *src = hvt_asprintf("%s/guest-src", tmpdir);
	char *log = hvt_asprintf("%s/build.log", tmpdir);
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(hvt_mkdir_p(src, 0755, &err), 0);
	setenv("HVT_GUEST_SRC", src, 1);
	assert_int_equal(hvt_guest_build(false, log, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "build.sh not found"));

	put_file(src, "build.sh", "echo \"building $1 $2\"\necho 'no kernel found' >&2\nexit 3\n");
	assert_int_equal(hvt_guest_build(true, log, &err), -ECHILD);
	assert_non_null(strstr(err.msg, "exited with code 3"));
	assert_non_null(strstr(err.msg, "no kernel found"));
	{
		char *line = hvt_asprintf("building %s --force", guestdir);

		assert_non_null(strstr(err.msg, line));
		free(line);
	}
	put_file(src, "build.sh", "exit 0\n");
	assert_int_equal(hvt_guest_build(false, log, &err), 0);
	unsetenv("HVT_GUEST_SRC");
	free(log);
	free(src);
}

/* A "QEMU" that is a shell script, to see how start failures are told. */
static struct hvt_vm *fake_qemu_vm(const char *script)
{
	char *path = hvt_asprintf("%s/fake-qemu", tmpdir);
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;

	/* it passes the version check, then runs script (after its "#!/bin/sh") */
	char *text = hvt_asprintf("#!/bin/sh\n[ \"$1\" = --version ] && "
				  "echo 'QEMU emulator version 7.2.0' && exit 0\n%s",
				  strchr(script, '\n') + 1);

	put_file(tmpdir, "fake-qemu", text);
	free(text);
	chmod(path, 0755);
	hvt_vm_config_init(&cfg);
	cfg.name = "fake";
	cfg.qemu = path;
	vm = new_vm(&cfg);
	free(path);
	return vm;
}

static void test_start_rejected(void **state)
{
	struct hvt_vm *vm = fake_qemu_vm(
		"#!/bin/sh\n"
		"echo 'qemu-system-x86_64: -device foo: no such device' >&2\n"
		"exit 1\n");
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qga_exec_result res = { 0 };
	char *want;

	assert_int_equal(hvt_vm_check_alive(vm, &err), -ECHILD);
	assert_non_null(strstr(err.msg, "not started"));
	assert_int_not_equal(hvt_vm_qmp(vm, NULL, &err, "query-status", NULL), 0);
	assert_int_equal(hvt_vm_start(vm, &err), -ECHILD);
	want = hvt_asprintf("QEMU (pid %d) exited with code 1:\n"
			    "qemu-system-x86_64: -device foo: no such device\n",
			    (int)hvt_proc_pid(hvt_vm_proc(vm)));
	assert_string_equal(err.msg, want);
	free(want);
	/* Later operations say the same. */
	assert_int_equal(hvt_vm_check_alive(vm, &err), -ECHILD);
	assert_non_null(strstr(err.msg, "exited with code 1"));
	assert_int_equal(hvt_vm_qmp(vm, NULL, &err, "query-status", NULL), -ECHILD);
	assert_non_null(strstr(err.msg, "no such device"));
	assert_int_equal(hvt_vm_sh(vm, "true", 1000, &res, &err), -ECHILD);
	assert_int_equal(hvt_vm_quit(vm, 1000, &err), 0);
	hvt_vm_free(vm);
}

static void test_start_killed(void **state)
{
	/* Dies after writing to the console, like a crash during boot. */
	struct hvt_vm *vm = fake_qemu_vm(
		"#!/bin/sh\n"
		"for a; do case $prev in -chardev) case $a in file,*)"
		" con=${a#*path=} ;; esac ;; esac; prev=$a; done\n"
		"printf 'booting\\r\\n\\033[6nKernel panic - not syncing\\n' > \"$con\"\n"
		"kill -9 $$\n");
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(hvt_vm_start(vm, &err), -ECHILD);
	assert_non_null(strstr(err.msg, ") was killed by signal 9 (SIGKILL)"));
	/* Terminal escapes from the guest are defused, CRs dropped. */
	assert_non_null(strstr(err.msg, "\nlast console lines:\nbooting\n"
			       "?[6nKernel panic - not syncing\n"));
	hvt_vm_free(vm);
}

/* ---- the launcher ---- */

/*
 * A helper process: sh -c script, with the path of the socket hvtest
 * listens on ("c.sock" in its work directory) as $1.
 */
static struct hvt_launch *helper(const char *script)
{
	const char *const connects[] = { "c.sock", NULL };
	const struct hvt_launch_opts lo = {
		.name = "helper", .prefix = "launch", .connects = connects, .log = "helper.log",
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_launch *l = hvt_launch_new(&lo, &err);
	char *sock;

	if (!l)
		fail_msg("%s", err.msg);
	sock = hvt_launch_path(l, "c.sock");
	hvt_strv_pushv(hvt_launch_argv(l), (const char *const[]){ "/bin/sh", "-c", script,
								   "helper", sock, NULL });
	free(sock);
	return l;
}

/* Wait until the helper's log says what (it has set its traps up). */
static void wait_log(struct hvt_launch *l, const char *what)
{
	char *log = hvt_launch_path(l, "helper.log"), *tail = NULL;

	for (int i = 0; i < 500 && !(tail && strstr(tail, what)); i++) {
		free(tail);
		usleep(10000);
		tail = hvt_file_tail(log, 5);
	}
	if (!tail || !strstr(tail, what))
		fail_msg("the helper did not say '%s'", what);
	free(tail);
	free(log);
}

/* A helper that connects, says hi and quits on SIGTERM: accepted, stopped cleanly. */
static void test_launch_accept_stop(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_launch *l;
	char *python = hvt_which("python3"), buf[3] = "";
	int fd;

	if (!python)
		skip();
	free(python);
	l = helper("trap 'exit 0' TERM\n"
		   "python3 -c 'import socket, sys\n"
		   "s = socket.socket(socket.AF_UNIX)\n"
		   "s.connect(sys.argv[1])\n"
		   "s.sendall(b\"hi\")' \"$1\" || exit 9\n"
		   "while :; do sleep 0.05; done\n");
	assert_int_equal(hvt_launch_stop(l, 1000, &err), 0);	/* never started */
	assert_int_equal(hvt_launch_pid(l), -1);
	if (hvt_launch_start(l, 5000, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(hvt_launch_start(l, 5000, &err), -EALREADY);
	fd = hvt_launch_accept(l, "c.sock", 5000, &err);
	if (fd < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(read(fd, buf, 2), 2);
	assert_string_equal(buf, "hi");
	close(fd);
	assert_true(hvt_launch_running(l));
	assert_int_equal(hvt_launch_ended(l, 0, -ECHILD, NULL, &err), 0);
	assert_int_equal(hvt_launch_stop(l, 5000, &err), 0);
	assert_false(hvt_launch_running(l));
	hvt_launch_free(l);
}

/* How a helper ended, as each report tells it; each must fire. */
static void test_launch_reports(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_launch *l;
	char *want, *sock;

	/* Ends before it connects. */
	l = helper("echo 'helper: no socket today' >&2; exit 3\n");
	assert_int_equal(hvt_launch_start(l, 5000, &err), 0);
	assert_int_equal(hvt_launch_accept(l, "c.sock", 5000, &err), -ECHILD);
	want = hvt_asprintf("helper (pid %d) exited with code 3:\nhelper: no socket today\n",
			    (int)hvt_launch_pid(l));
	assert_string_equal(err.msg, want);
	free(want);
	assert_int_equal(hvt_launch_ended(l, 0, -EPIPE, "later", &err), -EPIPE);
	assert_int_equal(strncmp(err.msg, "later: helper (pid ", 19), 0);
	/* Teardown tells how it ended before, too. */
	assert_int_equal(hvt_launch_stop(l, 1000, &err), -ECHILD);
	assert_non_null(strstr(err.msg, ") exited with code 3:\nhelper: no socket today"));
	hvt_launch_free(l);

	/* Never connects, ignores SIGTERM: a timeout, then killed at teardown. */
	l = helper("trap '' TERM; echo 'helper: waiting' >&2\n"
		   "while :; do sleep 0.05; done\n");
	sock = hvt_launch_path(l, "c.sock");
	assert_int_equal(hvt_launch_start(l, 5000, &err), 0);
	wait_log(l, "waiting");
	assert_int_equal(hvt_launch_accept(l, "c.sock", 200, &err), -ETIMEDOUT);
	want = hvt_asprintf("did not connect to %s within 200 ms:\nhelper: waiting\n", sock);
	assert_non_null(strstr(err.msg, want));
	free(want);
	free(sock);
	assert_int_equal(hvt_launch_ended(l, 0, -ECHILD, NULL, &err), 0);
	assert_int_equal(hvt_launch_stop(l, 300, &err), -ECHILD);
	assert_non_null(strstr(err.msg, ") did not exit within 300 ms of SIGTERM and was killed"));
	hvt_launch_free(l);

	/* Crashes on the way out: not noise. */
	l = helper("trap 'echo \"helper: crash on the way out\" >&2; kill -ABRT $$' TERM\n"
		   "echo 'helper: up' >&2; while :; do sleep 0.05; done\n");
	assert_int_equal(hvt_launch_start(l, 5000, &err), 0);
	wait_log(l, "up");
	assert_int_equal(hvt_launch_stop(l, 5000, &err), -ECHILD);
	assert_non_null(strstr(err.msg, ") was killed by signal 6 (SIGABRT)"));
	assert_non_null(strstr(err.msg, "\nhelper: crash on the way out\n"));
	hvt_launch_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_guest),
		cmocka_unit_test(test_zero_config_defaults),
		cmocka_unit_test(test_kvm_and_cpu),
		cmocka_unit_test(test_user_disk),
		cmocka_unit_test(test_user_kernel),
		cmocka_unit_test(test_paused_incoming_appended),
		cmocka_unit_test(test_no_agent_no_tools),
		cmocka_unit_test(test_no_guest),
		cmocka_unit_test(test_given_workdir),
		cmocka_unit_test(test_keep_workdir),
		cmocka_unit_test(test_sun_path_too_long),
		cmocka_unit_test(test_display_mode),
		cmocka_unit_test(test_invalid_configs),
		cmocka_unit_test(test_guest_locate),
		cmocka_unit_test(test_guest_dirs),
		cmocka_unit_test(test_guest_build_failure),
		cmocka_unit_test(test_start_rejected),
		cmocka_unit_test(test_start_killed),
		cmocka_unit_test(test_launch_accept_stop),
		cmocka_unit_test(test_launch_reports),
	};

	return cmocka_run_group_tests_name("vm-argv", tests, setup, teardown);
}
