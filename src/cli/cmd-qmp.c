// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest qmp: one QMP command against a running QEMU's QMP socket.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char qmp_usage[] =
	"usage: hvtest qmp [--timeout S] [--events] SOCKET COMMAND [JSON-ARGS]\n\n"
	"Connect to the QMP unix socket SOCKET, negotiate capabilities, execute\n"
	"COMMAND with the JSON object JSON-ARGS as its arguments and print the\n"
	"reply's return value as JSON. A QMP error is printed with its class and\n"
	"the exit status is 1.\n\n"
	"  --timeout S   seconds to wait for the reply (default: 30)\n"
	"  --events      also print the events that arrived, one JSON per line\n\n"
	"Example: hvtest qmp /tmp/hvt-vm-x/qmp.sock balloon '{\"value\": 268435456}'\n";

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
	struct hvt_qmp_event *ev;
	struct hvt_qmp *qmp;
	double timeout = 30;
	bool events = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+t:eh", longopts, NULL)) != -1) {
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
	qmp = hvt_qmp_connect(argv[optind], 5000, NULL, &err);
	if (!qmp) {
		json_object_put(args);
		return cli_fail(&err, argv[optind]);
	}
	rc = hvt_qmp_execute(qmp, argv[optind + 1], args, &ret, (int)(timeout * 1000), &err);
	if (rc) {
		rc = cli_fail(&err, argv[optind + 1]);
	} else {
		puts(json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
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
