// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest qtest: talk to a machine's devices with no guest (shell), and
 * replay a recorded qtest trace against the same or another QEMU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char qtest_usage[] =
	"usage: hvtest qtest shell [--qemu BIN] [--machine TYPE] [--device SPEC]...\n"
	"                          [--qemu-arg ARG]... [--record FILE]\n"
	"       hvtest qtest replay [--qemu BIN] FILE\n\n"
	"shell starts QEMU with a qtest socket (CPU halted, no guest), reads qtest\n"
	"commands from stdin one per line and prints each reply; asynchronous IRQ\n"
	"lines are printed as they come. --record writes the trace of the session.\n\n"
	"replay starts the machine a trace names (its @machine and @arg lines; --qemu\n"
	"picks another QEMU build), sends the trace's commands in order and reports\n"
	"the first reply that differs from the recorded one, or that all matched.\n"
	"IRQ lines are not compared. Exit status 0 when all matched, 1 otherwise.\n";

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
	rc = 0;
out:
	free(got);
	hvt_qtest_free(q);
	hvt_strv_release(&args);
	free(machine);
	free(text);
	return rc;
}

static int shell(const char *qemu, const char *machine, struct hvt_strv *args,
		 const char *record)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .qemu = qemu, .machine = machine, .record = record };
	struct hvt_qtest *q;
	char *line = NULL, *reply = NULL;
	size_t cap = 0;
	uint64_t last[HVT_QTEST_MAX_IRQ] = { 0 };
	ssize_t n;
	int rc = 0;

	opts.args = (const char *const *)args->v;
	q = hvt_qtest_start(&opts, &err);
	if (!q)
		return cli_fail(&err, "starting QEMU");
	while ((n = getline(&line, &cap, stdin)) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		if (hvt_qtest_command(q, line, &reply, &err)) {
			rc = cli_fail(&err, line);
			if (err.code != -EINVAL)
				break;
			rc = 0;
			continue;
		}
		for (unsigned int i = 0; i < HVT_QTEST_MAX_IRQ; i++) {
			if (hvt_qtest_irq_raised(q, i) != last[i]) {
				printf("IRQ %u raised %llu times\n", i,
				       (unsigned long long)(hvt_qtest_irq_raised(q, i) - last[i]));
				last[i] = hvt_qtest_irq_raised(q, i);
			}
		}
		puts(reply);
		fflush(stdout);
		free(reply);
		reply = NULL;
	}
	free(line);
	hvt_qtest_free(q);
	return rc;
}

int cmd_qtest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "qemu", required_argument, NULL, 'q' },
		{ "machine", required_argument, NULL, 'M' },
		{ "device", required_argument, NULL, 'd' },
		{ "qemu-arg", required_argument, NULL, 'a' },
		{ "record", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_strv args = HVT_STRV_INIT;
	const char *qemu = NULL, *machine = NULL, *record = NULL, *verb;
	int opt, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(qtest_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	verb = argv[1];
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			qemu = optarg;
			break;
		case 'M':
			machine = optarg;
			break;
		case 'd':
			hvt_strv_push(&args, "-device");
			hvt_strv_push(&args, optarg);
			break;
		case 'a':
			hvt_strv_push(&args, optarg);
			break;
		case 'r':
			record = optarg;
			break;
		case 'h':
			fputs(qtest_usage, stdout);
			hvt_strv_release(&args);
			return 0;
		default:
			hvt_strv_release(&args);
			return cli_usage_error("qtest", "bad option");
		}
	}
	if (!strcmp(verb, "replay")) {
		if (argc - optind != 1 || args.n || machine || record)
			rc = cli_usage_error("qtest", "replay takes [--qemu BIN] FILE");
		else
			rc = replay(qemu, argv[optind]);
	} else if (!strcmp(verb, "shell")) {
		if (argc != optind)
			rc = cli_usage_error("qtest", "shell takes no arguments");
		else
			rc = shell(qemu, machine, &args, record);
	} else {
		rc = cli_usage_error("qtest", "unknown subcommand '%s' (shell, replay)", verb);
	}
	hvt_strv_release(&args);
	return rc;
}
