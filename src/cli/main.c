// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest: the command-line front end. Dispatches to one cmd-<verb>.c per
 * subcommand; this file also holds what the subcommands share.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hvt-config.h"

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cli_command commands[] = {
	{ "smoke", cmd_smoke, "boot the default guest and exercise QMP and the agent" },
	{ "vm", cmd_vm, "run a machine: 'vm run' boots it, optionally runs a command" },
	{ "guest", cmd_guest, "build or inspect the default guest" },
	{ "qmp", cmd_qmp, "send one QMP command to a QMP socket" },
	{ "doctor", cmd_doctor, "check QEMU, accelerator, guest and dependencies" },
	{ "run", cmd_run, "run a plan: every case in its own process, results stored" },
	{ "plan", cmd_plan, "expand and check test plans (Cartesian config)" },
	{ "results", cmd_results, "list, show, compare and export stored results" },
	{ "qtest", cmd_qtest, "drive devices with no guest; replay a recorded qtest trace" },
	{ "trace", cmd_trace, "block traces: capture a guest workload's, convert, show" },
	{ "screen", cmd_screen, "watch and drive a running machine's display (VNC)" },
	{ "needle", cmd_needle, "cut a needle out of a screenshot; match one against a screenshot" },
	{ "serve", cmd_serve, "serve published results; manage publish tokens" },
	{ "publish", cmd_publish, "upload a stored run to a results server" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvtest [--version] [--help] COMMAND [ARGS...]\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'hvtest COMMAND --help' describes a command; 'man hvtest' has it all.\n"
		   "Environment: HVT_QEMU (QEMU binary), HVT_ACCEL (kvm|tcg), HVT_KVM_DEVICE,\n"
		   "HVT_WORKDIR (where work directories go), HVT_GUEST_DIR (default guest\n"
		   "cache), HVT_KEEP (keep work directories unless empty or 0).\n");
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("hvtest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_fail(const struct hvt_err *err, const char *what)
{
	if (err->cls[0])
		cli_error("%s: %s (%s)", what, err->msg, err->cls);
	else
		cli_error("%s: %s", what, err->msg[0] ? err->msg : strerror(-err->code));
	return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hvtest %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'hvtest %s --help'.\n", cmd);
	return CLI_EXIT_USAGE;
}

bool cli_color(void)
{
	return isatty(STDOUT_FILENO) && !hvt_env_no_color();
}

int cli_parse_u64(const char *what, const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		goto bad;
	*out = v;
	return 0;
bad:
	cli_error("%s: '%s' is not a positive whole number", what, s);
	return -EINVAL;
}

int cli_parse_seconds(const char *what, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || !isfinite(v) || v > 86400 * 7) {
		cli_error("%s: '%s' is not a number of seconds (0 < S <= 604800)", what, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

enum {
	OPT_QEMU = 0x100, OPT_ACCEL, OPT_MACHINE, OPT_MAXMEM, OPT_SMP, OPT_KERNEL,
	OPT_INITRD, OPT_APPEND, OPT_DISK, OPT_DEVICE, OPT_DRIVE, OPT_QEMU_ARG,
	OPT_VNC, OPT_WORKDIR, OPT_KEEP, OPT_BOOT_TIMEOUT,
	OPT_DISPLAY, OPT_TABLET,
};

const struct option cli_vm_longopts[] = {
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "machine", required_argument, NULL, OPT_MACHINE },
	{ "memory", required_argument, NULL, 'm' },
	{ "maxmem", required_argument, NULL, OPT_MAXMEM },
	{ "smp", required_argument, NULL, OPT_SMP },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "drive", required_argument, NULL, OPT_DRIVE },
	{ "qemu-arg", required_argument, NULL, OPT_QEMU_ARG },
	{ "vnc", required_argument, NULL, OPT_VNC },
	{ "display", required_argument, NULL, OPT_DISPLAY },
	{ "tablet", no_argument, NULL, OPT_TABLET },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

void cli_vm_longopts_merge(struct option *out, size_t cap, const struct option *own, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		out[k++] = own[i];
	for (size_t i = 0; cli_vm_longopts[i].name; i++)
		out[k++] = cli_vm_longopts[i];
	if (k >= cap)
		HVT_BUG("option table of %zu entries overflows %zu", k + 1, cap);
	memset(&out[k], 0, sizeof(out[k]));
}

void cli_vm_opts_init(struct cli_vm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->boot_timeout = 120;
}

void cli_vm_opts_release(struct cli_vm_opts *o)
{
	hvt_strv_release(&o->devices);
	hvt_strv_release(&o->drives);
	hvt_strv_release(&o->extra);
}

static int check_file(const char *what, const char *path)
{
	if (access(path, R_OK) == 0)
		return 0;
	cli_error("%s: cannot read %s: %s", what, path, strerror(errno));
	return -1;
}

int cli_vm_opts_parse(struct cli_vm_opts *o, int opt, const char *arg)
{
	struct hvt_vm_config *c = &o->cfg;
	uint64_t v;

	switch (opt) {
	case OPT_QEMU:
		c->qemu = arg;
		return 1;
	case OPT_ACCEL:
		if (strcmp(arg, "kvm") && strcmp(arg, "tcg")) {
			cli_error("--accel: '%s' is neither kvm nor tcg", arg);
			return -1;
		}
		c->accel = arg;
		return 1;
	case OPT_MACHINE:
		c->machine = arg;
		return 1;
	case 'm':
		if (cli_parse_u64("--memory", arg, &v))
			return -1;
		c->mem_mib = v;
		return 1;
	case OPT_MAXMEM:
		if (cli_parse_u64("--maxmem", arg, &v))
			return -1;
		c->maxmem_mib = v;
		return 1;
	case OPT_SMP:
		if (cli_parse_u64("--smp", arg, &v))
			return -1;
		if (v > 1024) {
			cli_error("--smp: %s CPUs is more than hvtest allows (1024)", arg);
			return -1;
		}
		c->cpus = (int)v;
		return 1;
	case OPT_KERNEL:
		c->kernel = arg;
		return check_file("--kernel", arg) ? -1 : 1;
	case OPT_INITRD:
		c->initrd = arg;
		return check_file("--initrd", arg) ? -1 : 1;
	case OPT_APPEND:
		c->append = arg;
		return 1;
	case OPT_DISK:
		c->disk = arg;
		return check_file("--disk", arg) ? -1 : 1;
	case OPT_DEVICE:
		hvt_strv_push(&o->devices, arg);
		c->devices = (const char *const *)o->devices.v;
		return 1;
	case OPT_DRIVE:
		hvt_strv_push(&o->drives, arg);
		c->drives = (const char *const *)o->drives.v;
		return 1;
	case OPT_QEMU_ARG:
		hvt_strv_push(&o->extra, arg);
		c->extra = (const char *const *)o->extra.v;
		return 1;
	case OPT_VNC:
		c->vnc = arg;
		return 1;
	case OPT_DISPLAY:
		c->vga = arg;
		return 1;
	case OPT_TABLET:
		c->tablet = true;
		return 1;
	case OPT_WORKDIR:
		c->workdir = arg;
		c->keep_workdir = true;
		return 1;
	case OPT_KEEP:
		c->keep_workdir = true;
		return 1;
	case OPT_BOOT_TIMEOUT:
		return cli_parse_seconds("--boot-timeout", arg, &o->boot_timeout) ? -1 : 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("hvtest %s\n", HVT_VERSION);
		return 0;
	}
	hvt_proc_install_reaper();
	/*
	 * A peer that goes away while we write (QEMU's VNC socket: libvncclient
	 * writes with write()) is an error the command reports, not its death;
	 * children get the default back (proc.c).
	 */
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < HVT_ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return commands[i].fn(argc - 1, argv + 1);
	cli_error("'%s' is not an hvtest command; see 'hvtest --help'", name);
	return CLI_EXIT_USAGE;
}
