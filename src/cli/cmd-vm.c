// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest vm run: boot a machine (the default guest or the user's), report
 * when its agent answers, optionally run a command in it, power it off.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char vm_usage[] =
	"usage: hvtest vm run [OPTIONS] [--] [COMMAND [ARGS...]]\n\n"
	"Boot a machine, wait for its guest agent and print how long that took.\n"
	"With COMMAND, run it in the guest through the agent, print its output and\n"
	"exit with its exit status. Then power the machine off (ACPI), or kill it\n"
	"if it does not go within 30 s. Without --kernel or --disk the default\n"
	"guest is used ('hvtest guest build' makes it).\n\n"
	"  --sh            run COMMAND as one shell command line (/bin/sh -c)\n"
	"  --timeout S     seconds COMMAND may run (default: 600)\n"
	"  --stay          keep the machine running until interrupted (Ctrl-C)\n"
	"  --print-cmdline print the QEMU command line and exit\n"
	"  -h, --help      this text\n\n" CLI_VM_OPTS_HELP;

enum { OPT_SH = 0x200, OPT_TIMEOUT, OPT_STAY, OPT_PRINT_CMDLINE, OPT_HELP };

static int run_command(struct hvt_vm *vm, char **argv, bool sh, double timeout)
{
	struct hvt_qga_exec_result res = { 0 };
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	int rc;

	if (sh)
		rc = hvt_vm_sh(vm, argv[0], (int)(timeout * 1000), &res, &err);
	else
		rc = hvt_vm_exec(vm, (const char *const *)argv, (int)(timeout * 1000), &res,
				 &err);
	if (rc)
		return cli_fail(&err, "guest command");
	fwrite(res.out, 1, res.out_len, stdout);
	fflush(stdout);
	fwrite(res.err, 1, res.err_len, stderr);
	if (res.signal) {
		fprintf(stderr, "hvtest: guest command killed by signal %d after %.2f s\n",
			res.signal, (double)(hvt_now_ms() - t0) / 1000);
		rc = 128 + res.signal;
	} else {
		fprintf(stderr, "hvtest: guest command exited with code %d after %.2f s\n",
			res.exit_code, (double)(hvt_now_ms() - t0) / 1000);
		rc = res.exit_code;
	}
	if (res.truncated)
		fprintf(stderr, "hvtest: the agent truncated the command's output\n");
	hvt_qga_exec_result_release(&res);
	return rc;
}

static int vm_run(int argc, char **argv)
{
	static const struct option own[] = {
		{ "sh", no_argument, NULL, OPT_SH },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "stay", no_argument, NULL, OPT_STAY },
		{ "print-cmdline", no_argument, NULL, OPT_PRINT_CMDLINE },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option longopts[64];
	struct hvt_err err = HVT_ERR_INIT;
	struct cli_vm_opts o;
	struct hvt_vm *vm = NULL;
	bool sh = false, stay = false, print_cmdline = false;
	double timeout = 600;
	int64_t t0;
	int opt, rc = CLI_EXIT_FAIL;

	cli_vm_longopts_merge(longopts, HVT_ARRAY_SIZE(longopts), own, HVT_ARRAY_SIZE(own));
	cli_vm_opts_init(&o);
	while ((opt = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		int h = cli_vm_opts_parse(&o, opt, optarg);

		if (h < 0) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (h)
			continue;
		switch (opt) {
		case OPT_SH:
			sh = true;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_seconds("--timeout", optarg, &timeout)) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_STAY:
			stay = true;
			o.cfg.keep_workdir = true;
			break;
		case OPT_PRINT_CMDLINE:
			print_cmdline = true;
			break;
		case 'h':
			fputs(vm_usage, stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_usage_error("vm run", "bad option");
			goto out;
		}
	}
	if (sh && argc - optind != 1) {
		rc = cli_usage_error("vm run", "--sh takes exactly one COMMAND string");
		goto out;
	}

	t0 = hvt_now_ms();
	vm = hvt_vm_new(&o.cfg, &err);
	if (!vm) {
		rc = cli_fail(&err, "vm run");
		goto out;
	}
	if (print_cmdline) {
		char *line = hvt_strv_join_quoted(hvt_vm_argv(vm));

		puts(line);
		free(line);
		rc = 0;
		goto out;
	}
	if (!o.cfg.accel)
		fprintf(stderr, "hvtest: accelerator %s: %s\n", hvt_vm_accel(vm),
			hvt_vm_accel_info(vm)->reason);
	fprintf(stderr, "hvtest: work directory %s\n", hvt_vm_workdir(vm));
	if (hvt_vm_start(vm, &err)) {
		rc = cli_fail(&err, "vm run");
		goto out;
	}
	if (hvt_vm_wait_agent(vm, (int)(o.boot_timeout * 1000), &err)) {
		rc = cli_fail(&err, "vm run");
		goto out;
	}
	fprintf(stderr, "hvtest: agent ready after %.2f s\n", (double)(hvt_now_ms() - t0) / 1000);
	rc = 0;
	if (optind < argc)
		rc = run_command(vm, argv + optind, sh, timeout);
	if (stay) {
		fprintf(stderr, "hvtest: machine running; QMP: %s/qmp.sock, agent: %s/qga.sock; "
				"Ctrl-C stops it\n",
			hvt_vm_workdir(vm), hvt_vm_workdir(vm));
		struct hvt_proc_status st;

		hvt_proc_wait(hvt_vm_proc(vm), -1, &st);
		goto out;
	}
	if (hvt_vm_powerdown(vm, 30000, &err)) {
		fprintf(stderr, "hvtest: power-down: %s; killing QEMU\n", err.msg);
		hvt_vm_kill(vm);
	}
out:
	hvt_vm_free(vm);
	cli_vm_opts_release(&o);
	return rc;
}

int cmd_vm(int argc, char **argv)
{
	if (argc < 2) {
		fputs(vm_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(vm_usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return vm_run(argc - 1, argv + 1);
	return cli_usage_error("vm", "unknown subcommand '%s'", argv[1]);
}
