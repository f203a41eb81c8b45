// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest screen: watch and drive a running machine's display from any
 * language, one action per call, over the machine's VNC socket (which
 * several viewers may share, the test case's own included).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "screen.h"

static const char screen_usage[] =
	"usage: hvtest screen [OPTIONS] ACTION [ARGS]\n\n"
	"Act on the display of a running machine. The display is the VNC socket\n"
	"given by --vnc, or vnc.sock in the machine's work directory (--workdir;\n"
	"a case's machine has it under the case's directory).\n\n"
	"Actions:\n"
	"  grab FILE.png              save the current picture\n"
	"  assert TAG                 wait (--timeout) until a needle with TAG matches;\n"
	"                             exit 1 when none did, naming the closest\n"
	"  check TAG                  look once; exit 1 when no needle matches\n"
	"  locate TAG                 print X Y of TAG's click point (where its needle\n"
	"                             has it, else anywhere on screen)\n"
	"  wait-change                wait (--timeout) for the picture to change\n"
	"  wait-still MS              wait (--timeout) until it stays still for MS ms\n"
	"  key COMBO...               press keys: ret, esc, ctrl-alt-f2, shift-tab, a...\n"
	"  type TEXT                  type TEXT (--interval ms between keys)\n"
	"  mouse-set X Y              absolute pointer (needs a USB tablet)\n"
	"  mouse-move DX DY           relative motion (PS/2 mouse)\n"
	"  mouse-goto X Y             relative pointer to X,Y, found by --cursor TAG\n"
	"  click [1|2|3 [X Y]]        press and release a button at X,Y (absolute\n"
	"                             pointer), else where this connection left it\n\n"
	"Options:\n"
	"  --vnc SOCKET      the VNC server's unix socket\n"
	"  --workdir DIR     a machine work directory holding vnc.sock\n"
	"  --needles DIR     needle directory (repeatable)\n"
	"  --shots DIR       save a screenshot for each assert/check there\n"
	"  --timeout S       seconds for assert, wait-change, wait-still (default: 30)\n"
	"  --interval MS     between typed keys (default: 50)\n"
	"  --cursor TAG      the pointer's needle tag for mouse-goto\n"
	"  --tolerance PX    how close mouse-goto must get (default: 2)\n";

struct screen_opts {
	const char *vnc, *workdir, *shots, *cursor;
	struct hvt_strv needles;
	double timeout;
	int interval, tolerance;
};

static int parse_int(const char *what, const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < -100000 || v > 100000) {
		cli_error("%s: '%s' is not a number", what, s);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* parse_int() of a value that cannot be negative (an interval, a tolerance) */
static int parse_nonneg(const char *what, const char *s, int *out)
{
	if (parse_int(what, s, out))
		return -EINVAL;
	if (*out < 0) {
		cli_error("%s: %d is negative", what, *out);
		return -EINVAL;
	}
	return 0;
}

/*
 * The needle tag an action looks for (NULL: none), so that a tag no
 * needle has is an error before the display is opened.
 */
static const char *action_tag(const struct screen_opts *o, int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[0], "assert") || !strcmp(argv[0], "check") ||
			  !strcmp(argv[0], "locate")))
		return argv[1];
	if (argc >= 1 && !strcmp(argv[0], "mouse-goto"))
		return o->cursor;
	return NULL;
}

static int do_action(struct hvt_screen *s, const struct screen_opts *o, int argc, char **argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *a = argv[0];
	int timeout_ms = (int)(o->timeout * 1000), ret, x, y;
	struct hvt_match m;

	if (!strcmp(a, "grab") && argc == 2) {
		struct hvt_image *img;

		ret = hvt_screen_grab(s, &img, &err);
		if (!ret) {
			ret = hvt_image_write_png(img, argv[1], &err);
			hvt_image_free(img);
		}
	} else if ((!strcmp(a, "assert") || !strcmp(a, "check")) && argc == 2) {
		bool is_assert = !strcmp(a, "assert");

		ret = is_assert ? hvt_screen_assert(s, argv[1], timeout_ms, &m, &err)
				: hvt_screen_check(s, argv[1], 0, &m, &err);
		if (!ret || ret == -ETIMEDOUT) {
			uint64_t pictures;
			double match_s = hvt_screen_match_seconds(s, &pictures);

			printf("%s %s %.4f", ret ? "miss" : "match", m.needle->name, m.similarity);
			for (int i = 0; i < m.nareas; i++)
				printf(" %d,%d:%.4f", m.areas[i].x, m.areas[i].y, m.areas[i].similarity);
			/* the share of the wait spent matching, for scripts that measure */
			printf(" (matching %.3f s, %llu pictures)\n", match_s,
			       (unsigned long long)pictures);
		}
		if (ret == -ETIMEDOUT && !is_assert)
			return CLI_EXIT_FAIL;
	} else if (!strcmp(a, "locate") && argc == 2) {
		/* where the needle says first: look-alikes elsewhere cannot win there */
		ret = hvt_screen_locate(s, argv[1], false, &x, &y, &err);
		if (ret == -ENOENT) {
			hvt_err_clear(&err);
			ret = hvt_screen_locate(s, argv[1], true, &x, &y, &err);
		}
		if (!ret)
			printf("%d %d\n", x, y);
	} else if (!strcmp(a, "wait-change") && argc == 1) {
		ret = hvt_screen_wait_change(s, timeout_ms, &err);
		if (ret == 0) {
			cli_error("the screen did not change within %g s", o->timeout);
			return CLI_EXIT_FAIL;
		}
		ret = ret < 0 ? ret : 0;
	} else if (!strcmp(a, "wait-still") && argc == 2) {
		if (parse_int("wait-still", argv[1], &x))
			return CLI_EXIT_USAGE;
		ret = hvt_screen_wait_still(s, x, timeout_ms, &err);
	} else if (!strcmp(a, "key") && argc >= 2) {
		ret = 0;
		for (int i = 1; i < argc && !ret; i++)
			ret = hvt_screen_send_key(s, argv[i], &err);
	} else if (!strcmp(a, "type") && argc == 2) {
		ret = hvt_screen_type(s, argv[1], o->interval, &err);
	} else if ((!strcmp(a, "mouse-set") || !strcmp(a, "mouse-move") ||
		    !strcmp(a, "mouse-goto")) && argc == 3) {
		struct hvt_relmouse_result res;

		if (parse_int(a, argv[1], &x) || parse_int(a, argv[2], &y))
			return CLI_EXIT_USAGE;
		if (!strcmp(a, "mouse-set")) {
			ret = hvt_screen_mouse_set(s, x, y, 0, &err);
		} else if (!strcmp(a, "mouse-move")) {
			ret = hvt_screen_mouse_move(s, x, y, &err);
		} else {
			if (!o->cursor)
				return cli_usage_error("screen", "mouse-goto needs --cursor TAG");
			ret = hvt_screen_mouse_goto(s, o->cursor, x, y, o->tolerance, &res, &err);
			if (!ret)
				printf("at %d %d after %d moves\n", res.x, res.y, res.moves);
		}
	} else if (!strcmp(a, "click") && (argc <= 2 || argc == 4)) {
		int button = 1;

		if (argc >= 2 && parse_int("click", argv[1], &button))
			return CLI_EXIT_USAGE;
		/*
		 * Each call is a new VNC connection, which does not know where
		 * the pointer is: with X Y the absolute pointer goes there first.
		 */
		if (argc == 4 && (parse_int("click", argv[2], &x) || parse_int("click", argv[3], &y)))
			return CLI_EXIT_USAGE;
		if (argc == 4)
			ret = hvt_screen_click_at(s, x, y, button, &err);
		else
			ret = hvt_screen_click(s, button, &err);
	} else {
		return cli_usage_error("screen", "unknown action or wrong arguments: '%s'", a);
	}
	return ret ? cli_fail(&err, a) : 0;
}

int cmd_screen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vnc", required_argument, NULL, 'v' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "needles", required_argument, NULL, 'n' },
		{ "shots", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "cursor", required_argument, NULL, 'c' },
		{ "tolerance", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct screen_opts o = { .timeout = 30, .interval = 50, .tolerance = 2 };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_needles set = { 0 };
	struct hvt_screen_opts so = { 0 };
	struct hvt_screen *s = NULL;
	const char *tag;
	char *sock = NULL;
	int opt, rc;

	/* '+': options before the action, whose arguments may start with '-' */
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v': o.vnc = optarg; break;
		case 'w': o.workdir = optarg; break;
		case 'n': hvt_strv_push(&o.needles, optarg); break;
		case 's': o.shots = optarg; break;
		case 'c': o.cursor = optarg; break;
		case 't':
			if (cli_parse_seconds("--timeout", optarg, &o.timeout))
				goto usage;
			break;
		case 'i':
			if (parse_nonneg("--interval", optarg, &o.interval))
				goto usage;
			break;
		case 'T':
			if (parse_nonneg("--tolerance", optarg, &o.tolerance))
				goto usage;
			break;
		case 'h':
			fputs(screen_usage, stdout);
			hvt_strv_release(&o.needles);
			return 0;
		default:
			hvt_strv_release(&o.needles);
			return cli_usage_error("screen", "bad option");
		}
	}
	if (optind >= argc || (!o.vnc == !o.workdir)) {
		hvt_strv_release(&o.needles);
		return cli_usage_error("screen", "expected one of --vnc or --workdir, and an ACTION");
	}
	rc = 0;
	tag = action_tag(&o, argc - optind, argv + optind);
	/* one call looks for one tag: only its needles' pictures are read */
	for (size_t i = 0; i < o.needles.n && !rc; i++)
		if (hvt_needles_load_dir_tag(&set, o.needles.v[i], tag, &err))
			rc = cli_fail(&err, "needles");
	if (!rc && tag) {
		const struct hvt_needle **v = NULL;
		size_t n;

		if (hvt_needles_with_tag(&set, tag, &v, &n, &err))
			rc = cli_fail(&err, "needles");
		free(v);
	}
	if (!rc) {
		sock = o.vnc ? hvt_strdup(o.vnc) : hvt_asprintf("%s/vnc.sock", o.workdir);
		so.vnc = sock;
		so.needles = &set;
		so.shots = o.shots;
		if (hvt_screen_open(&so, &s, &err))
			rc = cli_fail(&err, "display");
	}
	if (!rc)
		rc = do_action(s, &o, argc - optind, argv + optind);
	hvt_screen_free(s);
	free(sock);
	hvt_needles_release(&set);
	hvt_strv_release(&o.needles);
	return rc;
usage:
	hvt_strv_release(&o.needles);
	return CLI_EXIT_USAGE;
}
