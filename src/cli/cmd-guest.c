// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest guest: build the default guest (cached) and show what was built.
 */
#include <string.h>

#include "cli.h"

static const char guest_usage[] =
	"usage: hvtest guest build [--force] [--log FILE]\n"
	"       hvtest guest info\n\n"
	"build   build the default guest (Debian kernel, busybox initramfs with\n"
	"        qemu-guest-agent, tools disk with fio) from the installed Debian\n"
	"        packages into the guest cache; does nothing when it is up to date\n"
	"        --force  rebuild even when the inputs did not change\n"
	"        --log F  write the build's output to F instead of the terminal\n"
	"info    print where the default guest is and what it holds\n\n"
	"The cache is $HVT_GUEST_DIR, else $XDG_CACHE_HOME/hvtest/guest, else\n"
	"~/.cache/hvtest/guest.\n";

static int guest_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_err err = HVT_ERR_INIT;
	const char *log = NULL;
	bool force = false;
	int64_t t0;
	int opt;

	while ((opt = getopt_long(argc, argv, "fl:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 'l':
			log = optarg;
			break;
		case 'h':
			fputs(guest_usage, stdout);
			return 0;
		default:
			return cli_usage_error("guest build", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("guest build", "unexpected argument '%s'", argv[optind]);
	t0 = hvt_now_ms();
	if (hvt_guest_build(force, log, &err))
		return cli_fail(&err, "guest build");
	printf("default guest ready in %s (%.1f s)\n", hvt_guest_dir(),
	       (double)(hvt_now_ms() - t0) / 1000);
	return 0;
}

static int guest_info(void)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guest g;

	if (hvt_guest_locate(&g, &err))
		return cli_fail(&err, "guest info");
	printf("directory  %s\nkernel     %s (%s)\ninitrd     %s\ntools      %s\n"
	       "cmdline    %s\n",
	       g.dir, g.kernel, g.kver, g.initrd, g.tools[0] ? g.tools : "(none)",
	       g.append);
	return 0;
}

int cmd_guest(int argc, char **argv)
{
	if (argc < 2) {
		fputs(guest_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(guest_usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "build"))
		return guest_build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "info")) {
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			fputs(guest_usage, stdout);
			return 0;
		}
		if (argc > 2)
			return cli_usage_error("guest info", "unexpected argument '%s'", argv[2]);
		return guest_info();
	}
	return cli_usage_error("guest", "unknown subcommand '%s'", argv[1]);
}
