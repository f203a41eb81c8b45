// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest guest: build the default guest (cached) and show what was built.
 */
#include <string.h>

#include "cli.h"

static const char guest_usage[] =
	"usage: hvtest guest build [--live] [--force] [--log FILE]\n"
	"       hvtest guest info [--live]\n\n"
	"build   build the default guest (Debian kernel, busybox initramfs with\n"
	"        qemu-guest-agent, tools disk with fio) from the installed Debian\n"
	"        packages into the guest cache; does nothing when it is up to date\n"
	"        --force  rebuild even when the inputs did not change\n"
	"        --log F  write the build's output to F instead of the terminal\n"
	"        --live   build the live installer image instead (Debian 12 live\n"
	"                 system with Calamares; as root; downloads ~170 MB of\n"
	"                 packages the first time; docs/INSTALL-LIVE.md)\n"
	"info    print where the default guest (--live: the live image) is and\n"
	"        what it holds\n\n"
	"The cache is $HVT_GUEST_DIR, else $XDG_CACHE_HOME/hvtest/guest, else\n"
	"~/.cache/hvtest/guest; the live image's $HVT_LIVE_DIR, else .../hvtest/live.\n";

static int guest_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "live", no_argument, NULL, 'L' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_err err = HVT_ERR_INIT;
	const char *log = NULL;
	bool force = false, live = false;
	int64_t t0;
	int opt;

	while ((opt = getopt_long(argc, argv, "fl:Lh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 'l':
			log = optarg;
			break;
		case 'L':
			live = true;
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
	if (live) {
		if (hvt_guest_live_build(force, log, &err))
			return cli_fail(&err, "guest build --live");
		printf("live image ready in %s (%.1f s)\n", hvt_guest_live_dir(),
		       (double)(hvt_now_ms() - t0) / 1000);
		return 0;
	}
	if (hvt_guest_build(force, log, &err))
		return cli_fail(&err, "guest build");
	printf("default guest ready in %s (%.1f s)\n", hvt_guest_dir(),
	       (double)(hvt_now_ms() - t0) / 1000);
	return 0;
}

static int guest_live_info(void)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guest_live l;

	if (hvt_guest_live_locate(&l, &err))
		return cli_fail(&err, "guest info --live");
	printf("directory  %s\nkernel     %s\ninitrd     %s\nmedium     %s\ncmdline    %s\n",
	       l.dir, l.kernel, l.initrd, l.iso, l.append);
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
		if (argc == 3 && !strcmp(argv[2], "--live"))
			return guest_live_info();
		if (argc > 2)
			return cli_usage_error("guest info", "unexpected argument '%s'", argv[2]);
		return guest_info();
	}
	return cli_usage_error("guest", "unknown subcommand '%s'", argv[1]);
}
