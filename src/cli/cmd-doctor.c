// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest doctor: check everything hvtest needs on this host and say how to
 * fix what is missing.
 */
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

static const char doctor_usage[] =
	"usage: hvtest doctor [--reprobe]\n\n"
	"Check the QEMU binary and its version, the accelerator (KVM is used only\n"
	"when a real guest kernel runs under it with the CPU model machines get),\n"
	"the default guest and what it is built from, and the work directory. Each\n"
	"problem comes with its fix. Exits 1 if anything required is missing.\n\n"
	"  --reprobe   probe the accelerator again instead of using the verdict\n"
	"              cached for this boot (in ~/.cache/hvtest/accel)\n";

struct doctor {
	int failed, warned;
	bool color;
};

static void report(struct doctor *d, int level, const char *what, const char *fix,
		   const char *fmt, ...) HVT_PRINTF(5, 6);

/* level: 0 ok, 1 warning, 2 failure */
static void report(struct doctor *d, int level, const char *what, const char *fix,
		   const char *fmt, ...)
{
	static const char *const tag[] = { "ok", "warn", "FAIL" };
	static const char *const col[] = { "\033[32m", "\033[33m", "\033[31m" };
	va_list ap;

	if (d->color)
		printf("%s%-5s\033[0m %-10s ", col[level], tag[level], what);
	else
		printf("%-5s %-10s ", tag[level], what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (level && fix)
		printf("      %-10s fix: %s\n", "", fix);
	if (level == 1)
		d->warned++;
	else if (level == 2)
		d->failed++;
}

/* What the default guest is built from, and the package that provides it. */
static const struct {
	const char *what, *path, *package;
} guest_inputs[] = {
	{ "busybox", "/bin/busybox", "busybox-static" },
	{ "qemu-ga", "/usr/sbin/qemu-ga", "qemu-guest-agent" },
	{ "fio", "/usr/bin/fio", "fio" },
	{ "cpio", "/usr/bin/cpio", "cpio" },
	{ "mksquashfs", "/usr/bin/mksquashfs", "squashfs-tools" },
	{ "xz", "/usr/bin/xz", "xz-utils" },
};

static void check_qemu(struct doctor *d, const char *qemu, bool reprobe)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_accel accel;
	char *path = hvt_which(qemu);
	int maj, min, mic;

	if (!path) {
		report(d, 2, "qemu", "apt-get install qemu-system-x86 (or set HVT_QEMU)",
		       "%s not found", qemu);
		return;
	}
	if (hvt_qemu_version(path, &maj, &min, &mic, &err))
		report(d, 2, "qemu", "install a QEMU of version 6.2 or later", "%s", err.msg);
	else
		report(d, 0, "qemu", NULL, "QEMU %d.%d.%d at %s", maj, min, mic, path);
	if (hvt_accel_probe(&(struct hvt_accel_opts){ .qemu = path, .refresh = reprobe },
			    &accel, &err))
		report(d, 2, "accel", "check that QEMU can run a machine under TCG", "%s",
		       err.msg);
	else if (accel.cached)
		report(d, 0, "accel", NULL, "%s: %s (verdict cached in this boot)", accel.name,
		       accel.reason);
	else
		report(d, 0, "accel", NULL, "%s: %s (probed in %lld ms)", accel.name,
		       accel.reason, (long long)accel.probe_ms);
	free(path);
	path = hvt_which("qemu-img");
	if (path)
		report(d, 0, "qemu-img", NULL, "%s", path);
	else
		report(d, 1, "qemu-img", "apt-get install qemu-utils",
		       "not found (needed to make disk images for storage tests)");
	free(path);
}

static void check_guest(struct doctor *d)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guest g;
	glob_t gl;

	if (glob("/boot/vmlinuz-*", 0, NULL, &gl) == 0) {
		report(d, 0, "kernel", NULL, "%s%s", gl.gl_pathv[0],
		       gl.gl_pathc > 1 ? " (and others)" : "");
		globfree(&gl);
	} else {
		report(d, 2, "kernel", "apt-get install linux-image-amd64",
		       "no Debian kernel in /boot to build the default guest from");
	}
	for (size_t i = 0; i < HVT_ARRAY_SIZE(guest_inputs); i++) {
		char fix[128];

		snprintf(fix, sizeof(fix), "apt-get install %s", guest_inputs[i].package);
		if (access(guest_inputs[i].path, X_OK) == 0)
			report(d, 0, guest_inputs[i].what, NULL, "%s", guest_inputs[i].path);
		else
			report(d, 2, guest_inputs[i].what, fix, "%s missing (package %s)",
			       guest_inputs[i].path, guest_inputs[i].package);
	}
	if (hvt_guest_locate(&g, &err)) {
		report(d, 2, "guest", "hvtest guest build", "%s", err.msg);
		return;
	}
	report(d, 0, "guest", NULL, "%s (kernel %s%s)", g.dir, g.kver,
	       g.tools[0] ? ", tools disk" : ", no tools disk");
}

static void check_workdir(struct doctor *d)
{
	const char *base = hvt_env_workdir();
	struct sockaddr_un sun;
	size_t need;

	if (access(base, W_OK) != 0) {
		report(d, 2, "workdir", "set HVT_WORKDIR to a writable directory",
		       "%s is not writable", base);
		return;
	}
	/* base + "/hvt-NAME-XXXXXX/qmp.sock" with a 16-character name */
	need = strlen(base) + strlen("/hvt--XXXXXX/qmp.sock") + 16;
	if (need >= sizeof(sun.sun_path))
		report(d, 2, "workdir", "use a shorter HVT_WORKDIR",
		       "%s is too long for unix socket paths (%zu of %zu bytes)", base, need,
		       sizeof(sun.sun_path));
	else
		report(d, 0, "workdir", NULL, "%s", base);
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reprobe", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor d = { 0, 0, cli_color() };
	bool reprobe = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			reprobe = true;
			break;
		case 'h':
			fputs(doctor_usage, stdout);
			return 0;
		default:
			return cli_usage_error("doctor", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("doctor", "unexpected argument '%s'", argv[optind]);
	check_qemu(&d, hvt_qemu_binary(), reprobe);
	check_guest(&d);
	check_workdir(&d);
	report(&d, 0, "json-c", NULL, "%s", json_c_version());
	printf("\n%d problem%s, %d warning%s\n", d.failed, d.failed == 1 ? "" : "s", d.warned,
	       d.warned == 1 ? "" : "s");
	return d.failed ? CLI_EXIT_FAIL : 0;
}
