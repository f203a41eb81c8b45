// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest qmp: one QMP command against a running QEMU's QMP socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char qmp_usage[] =
	"usage: hvtest qmp [--timeout S] [--events] SOCKET COMMAND [JSON-ARGS]\n\n"
	"Connect to the QMP unix socket SOCKET of a running QEMU, negotiate\n"
	"capabilities, execute COMMAND with the JSON object JSON-ARGS as its\n"
	"arguments and print the reply's return value as JSON. A QMP error is\n"
	"printed with its class and the exit status is 1. Options may come\n"
	"anywhere; '--' ends them.\n\n"
	"  --timeout S   seconds for all of it: connecting, the greeting, capabilities\n"
	"                negotiation and the reply (default: 30)\n"
	"  --events      also print the events that arrived, one JSON per line\n\n"
	"QEMU serves one client per QMP monitor at a time: while another client is\n"
	"connected, this one waits for the greeting until the timeout.\n\n"
	"Example: hvtest qmp /tmp/hvt-vm-x/qmp.sock balloon '{\"value\": 268435456}'\n";

/* The library's messages name the socket or the command already. */
static int fail(const struct hvt_err *err)
{
	if (err->cls[0])
		cli_error("%s (%s)", err->msg, err->cls);
	else
		cli_error("%s", err->msg[0] ? err->msg : strerror(-err->code));
	return CLI_EXIT_FAIL;
}

/* Pretty-printed as before, but an empty object or array on one line. */
static void print_result(struct json_object *ret)
{
	if (json_object_is_type(ret, json_type_object) && !json_object_object_length(ret))
		puts("{}");
	else if (json_object_is_type(ret, json_type_array) && !json_object_array_length(ret))
		puts("[]");
	else
		puts(json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
}

int cmd_qmp(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "events", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *args = NULL, *ret = NULL;
	const char *sock, *cmd;
	struct hvt_qmp_event *ev;
	struct hvt_qmp *qmp;
	double timeout = 30;
	bool events = false;
	int64_t deadline;
	int opt, rc;

	/* Options anywhere (GNU permutation: no '+'); JSON-ARGS starts with '{'. */
	while ((opt = getopt_long(argc, argv, "t:eh", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (cli_parse_seconds("--timeout", optarg, &timeout))
				return CLI_EXIT_USAGE;
			break;
		case 'e':
			events = true;
			break;
		case 'h':
			fputs(qmp_usage, stdout);
			return 0;
		default:
			return cli_usage_error("qmp", "bad option");
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		return cli_usage_error("qmp", "expected SOCKET COMMAND [JSON-ARGS]");
	sock = argv[optind];
	cmd = argv[optind + 1];
	if (argc - optind == 3) {
		args = hvt_json_parse(argv[optind + 2], &err);
		if (!args)
			return cli_usage_error("qmp", "JSON-ARGS: %s", err.msg);
		if (!json_object_is_type(args, json_type_object)) {
			json_object_put(args);
			return cli_usage_error("qmp", "JSON-ARGS must be a JSON object, not '%s'",
					       argv[optind + 2]);
		}
	}
	/* One deadline: connecting, greeting, capabilities and the command. */
	deadline = hvt_now_ms() + (int64_t)(timeout * 1000);
	qmp = hvt_qmp_attach(sock, hvt_ms_left(deadline), NULL, &err);
	if (!qmp) {
		json_object_put(args);
		return fail(&err);
	}
	rc = hvt_qmp_execute(qmp, cmd, args, &ret, hvt_ms_left(deadline), &err);
	if (rc == -ETIMEDOUT) {
		cli_error("QMP command '%s': no reply within --timeout %g s (which covers "
			  "connecting too)", cmd, timeout);
		rc = CLI_EXIT_FAIL;
	} else if (rc == -EREMOTEIO) {
		rc = fail(&err); /* "<cmd>: <desc>" */
	} else if (rc) {
		cli_error("QMP command '%s': %s", cmd, err.msg);
		rc = CLI_EXIT_FAIL;
	} else {
		print_result(ret);
		json_object_put(ret);
	}
	if (events) {
		while ((ev = hvt_qmp_event_pop(qmp))) {
			puts(hvt_json_str(ev->raw));
			hvt_qmp_event_free(ev);
		}
	}
	hvt_qmp_free(qmp);
	return rc;
}
