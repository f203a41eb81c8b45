// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest qtest: talk to a machine's devices with no guest (shell), and
 * replay a recorded qtest trace against the same or another QEMU.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char qtest_usage[] =
	"usage: hvtest qtest shell [--qemu BIN] [--machine TYPE] [--device SPEC]...\n"
	"                          [--qemu-arg ARG]... [--record FILE]\n"
	"       hvtest qtest shell --attach SOCKET [--record FILE]\n"
	"       hvtest qtest replay [--qemu BIN] FILE\n\n"
	"shell starts QEMU with a qtest socket (CPU halted, no guest), reads qtest\n"
	"commands from stdin one per line and prints each reply; IRQ lines\n"
	"('IRQ raise N', 'IRQ lower N', after irq_intercept_in/out) are printed as\n"
	"they come. Each line is checked before it is sent (a malformed command\n"
	"would make QEMU abort): a bad one is reported and not sent, the session\n"
	"goes on, and the exit status is 1 at the end. Empty lines and lines\n"
	"starting with '#' are skipped. QEMU's QMP socket is printed at the start\n"
	"(on stderr) and left free: 'hvtest qmp SOCKET COMMAND' works beside the\n"
	"shell. --record writes the trace of the session.\n\n"
	"  --attach SOCKET  talk to a QEMU already running, started with\n"
	"                   -qtest unix:SOCKET,server=on,wait=off (or server=on,\n"
	"                   which waits for the shell before the machine starts);\n"
	"                   QEMU keeps running when the shell ends. --machine,\n"
	"                   --device and --qemu-arg then only describe the machine\n"
	"                   in the --record trace's header, for replay.\n\n"
	"replay starts the machine a trace names (its @machine and @arg lines; --qemu\n"
	"picks another QEMU build), sends the trace's commands in order and reports\n"
	"the first reply that differs from the recorded one, or that all matched.\n"
	"IRQ lines are not compared. Exit status 0 when all matched and QEMU exited\n"
	"cleanly, 1 otherwise.\n\n"
	"Options may come anywhere on the command line; '--' ends them.\n";

/* Shut QEMU down; a QEMU that did not end cleanly fails the command. */
static int quit(struct hvt_qtest *q, int rc)
{
	struct hvt_err err = HVT_ERR_INIT;

	if (q && hvt_qtest_quit(q, 0, &err))
		rc = cli_fail(&err, "at shutdown");
	hvt_qtest_free(q);
	return rc;
}

static int replay(const char *qemu, const char *path)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_strv args = HVT_STRV_INIT;
	struct hvt_qtest_opts opts = { .qemu = qemu, .no_qmp = true };
	char *text = NULL, *machine = NULL, *save = NULL, *expect_cmd = NULL;
	struct hvt_qtest *q = NULL;
	unsigned long n = 0, lineno = 0;
	char *got = NULL;
	int rc = CLI_EXIT_FAIL;
	size_t len;

	if (hvt_file_read(path, &text, &len, &err))
		return cli_fail(&err, path);
	/* Header first: the machine to start. */
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t ll = strcspn(l, "\n");

		if (!strncmp(l, "@machine ", 9)) {
			free(machine);
			machine = hvt_strndup(l + 9, ll - 9);
		} else if (!strncmp(l, "@arg ", 5)) {
			char *a = hvt_strndup(l + 5, ll - 5);

			hvt_strv_push(&args, a);
			free(a);
		}
	}
	opts.machine = machine;
	opts.args = (const char *const *)args.v;
	q = hvt_qtest_start(&opts, &err);
	if (!q) {
		rc = cli_fail(&err, "starting QEMU");
		goto out;
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (!strncmp(l, "> ", 2)) {
			if (expect_cmd) {
				cli_error("%s:%lu: command without a recorded reply", path, lineno);
				goto out;
			}
			n++;
			free(got);
			got = NULL;
			if (hvt_qtest_command(q, l + 2, &got, &err)) {
				printf("command %lu '%s': %s\n", n, l + 2, err.msg);
				goto out;
			}
			expect_cmd = l + 2;
		} else if (!strncmp(l, "< ", 2)) {
			if (!expect_cmd) {
				cli_error("%s:%lu: reply without a command", path, lineno);
				goto out;
			}
			if (strcmp(got, l + 2)) {
				printf("command %lu '%s': expected '%s', got '%s'\n", n, expect_cmd,
				       l + 2, got);
				goto out;
			}
			expect_cmd = NULL;
		}
	}
	printf("all %lu replies matched\n", n);
	fflush(stdout);
	rc = 0;
out:
	free(got);
	rc = quit(q, rc);
	hvt_strv_release(&args);
	free(machine);
	free(text);
	return rc;
}

struct shell_opts {
	const char *qemu, *machine, *record, *attach;
	struct hvt_strv args;
};

/* IRQ lines as they are read, in the order QEMU sent them. */
static void print_irq(void *opaque, unsigned int n, bool raise)
{
	printf("IRQ %s %u\n", raise ? "raise" : "lower", n);
}

/*
 * One line from stdin: checked, then sent and its reply printed. Returns
 * 0, 1 for a line refused (the session goes on), -1 when the connection
 * is gone.
 */
static int shell_line(struct hvt_qtest *q, char *line)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *reply = NULL;

	line[strcspn(line, "\r")] = '\0';
	if (!*line || *line == '#')
		return 0;
	if (hvt_qtest_check_command(q, line, &err)) {
		fflush(stdout);
		cli_fail(&err, line);
		return 1;
	}
	if (hvt_qtest_command(q, line, &reply, &err)) {
		fflush(stdout);
		cli_fail(&err, line);
		return -1;
	}
	puts(reply);
	fflush(stdout);
	free(reply);
	return 0;
}

/*
 * Read stdin and the qtest socket together, so that IRQ lines are shown
 * when they come, also while nobody types. Returns the exit status.
 */
static int shell_loop(struct hvt_qtest *q)
{
	struct hvt_buf in = HVT_BUF_INIT;
	bool refused = false, eof = false;
	char chunk[4096];
	int r = 0;

	while (!eof && r >= 0) {
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = hvt_qtest_fd(q), .events = POLLIN },
		};
		struct hvt_err err = HVT_ERR_INIT;
		size_t start = 0;
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			cli_error("poll: %s", strerror(errno));
			r = -1;
			break;
		}
		if (pfd[1].revents) {
			if (hvt_qtest_poll(q, 0, &err)) {
				fflush(stdout);
				cli_fail(&err, "qtest");
				r = -1;
				break;
			}
			fflush(stdout);
		}
		if (!pfd[0].revents)
			continue;
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("stdin: %s", strerror(errno));
			r = -1;
			break;
		}
		if (n == 0) {
			eof = true;
			if (in.len && in.p[in.len - 1] != '\n')
				hvt_buf_add(&in, "\n", 1);	/* a last line without newline */
		}
		hvt_buf_add(&in, chunk, (size_t)n);
		for (char *nl; r >= 0 && (nl = memchr(in.p + start, '\n', in.len - start)); ) {
			*nl = '\0';
			r = shell_line(q, in.p + start);
			refused |= r > 0;
			start = (size_t)(nl - in.p) + 1;
		}
		hvt_buf_consume(&in, start);
	}
	hvt_buf_release(&in);
	return r < 0 || refused ? CLI_EXIT_FAIL : 0;
}

static int shell(struct shell_opts *o)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .qemu = o->qemu, .machine = o->machine,
				       .record = o->record, .qmp_socket_only = true };
	struct hvt_qtest *q;

	opts.args = (const char *const *)o->args.v;
	if (o->attach) {
		q = hvt_qtest_attach(o->attach, 2000, 0, &err);
		if (!q)
			return cli_fail(&err, "--attach");
		if (o->record && hvt_qtest_record(q, o->record, o->machine, opts.args, &err)) {
			hvt_qtest_free(q);
			return cli_fail(&err, "--record");
		}
	} else {
		q = hvt_qtest_start(&opts, &err);
		if (!q)
			return cli_fail(&err, "starting QEMU");
		fprintf(stderr, "hvtest qtest shell: QEMU pid %d, accelerator %s, work directory %s\n"
			"hvtest qtest shell: QMP socket %s (hvtest qmp %s COMMAND)\n",
			(int)hvt_qtest_pid(q), hvt_qtest_accel(q), hvt_qtest_workdir(q),
			hvt_qtest_qmp_path(q), hvt_qtest_qmp_path(q));
	}
	hvt_qtest_on_irq(q, print_irq, NULL);
	return quit(q, shell_loop(q));
}

int cmd_qtest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "qemu", required_argument, NULL, 'q' },
		{ "machine", required_argument, NULL, 'M' },
		{ "device", required_argument, NULL, 'd' },
		{ "qemu-arg", required_argument, NULL, 'a' },
		{ "record", required_argument, NULL, 'r' },
		{ "attach", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct shell_opts o = { .args = HVT_STRV_INIT };
	bool machine_opts = false;
	const char *verb;
	int opt, rc;

	/* GNU getopt_long permutes: options anywhere, "--" ends them. */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			o.qemu = optarg;
			break;
		case 'M':
			o.machine = optarg;
			machine_opts = true;
			break;
		case 'd':
			hvt_strv_push(&o.args, "-device");
			hvt_strv_push(&o.args, optarg);
			machine_opts = true;
			break;
		case 'a':
			hvt_strv_push(&o.args, optarg);
			machine_opts = true;
			break;
		case 'r':
			o.record = optarg;
			break;
		case 'A':
			o.attach = optarg;
			break;
		case 'h':
			fputs(qtest_usage, stdout);
			hvt_strv_release(&o.args);
			return 0;
		default:
			hvt_strv_release(&o.args);
			return cli_usage_error("qtest", "bad option");
		}
	}
	if (optind >= argc) {
		fputs(qtest_usage, stderr);
		hvt_strv_release(&o.args);
		return CLI_EXIT_USAGE;
	}
	verb = argv[optind++];
	if (!strcmp(verb, "replay")) {
		if (argc - optind != 1 || machine_opts || o.record || o.attach)
			rc = cli_usage_error("qtest", "replay takes [--qemu BIN] FILE");
		else
			rc = replay(o.qemu, argv[optind]);
	} else if (!strcmp(verb, "shell")) {
		if (argc != optind)
			rc = cli_usage_error("qtest", "shell takes no arguments");
		else if (o.attach && o.qemu)
			rc = cli_usage_error("qtest", "--attach talks to a running QEMU: no --qemu");
		else
			rc = shell(&o);
	} else {
		rc = cli_usage_error("qtest", "unknown subcommand '%s' (shell, replay)", verb);
	}
	hvt_strv_release(&o.args);
	return rc;
}
