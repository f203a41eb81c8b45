// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest publish: upload a stored run to a results server (hvtest serve).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "publish.h"
#include "store.h"

static const char publish_usage[] =
	"usage: hvtest publish [OPTIONS] RUN --server URL\n\n"
	"Upload run RUN (an id, latest or latest~N) of the results directory to a\n"
	"results server: its cases, their artifacts, the plan, the host's facts\n"
	"(CPU, /proc/cpuinfo, dmesg, kernel, QEMU and libvirt versions) and the git\n"
	"id of the tree it was run from. The server stores all of it or nothing;\n"
	"it shows the run at /USER/MACHINE/GIT/NAME/, and this prints that URL.\n\n"
	"  --server URL         the server (http://HOST:PORT or https://...)\n"
	"  --token-file FILE    the publish token ('hvtest serve token add USER');\n"
	"                       default: " CLI_TOKEN_FILE_HELP "\n"
	"  --user USER          default: the token's user\n"
	"  --machine NAME       default: the run's hostname\n"
	"  --git ID             default: git rev-parse --short=12 HEAD here\n"
	"  --name NAME          default: the run's start (UTC) and id, 20261201-083000-7\n"
	"  --cacert FILE        PEM certificates to check an https server by\n"
	"  --results DIR        results directory (default: " HVT_RESULTS_DIR_DEFAULT ")\n"
	"  -h, --help           this text\n\n"
	"Exit status: 0 published; 1 refused or failed (the server's reason is\n"
	"printed); 2 bad usage.\n";

enum { OPT_SERVER = 0x700, OPT_TOKEN_FILE, OPT_USER, OPT_MACHINE, OPT_GIT, OPT_NAME,
       OPT_CACERT, OPT_RESULTS };

int cli_publish(const struct hvt_publish_opts *o, const char *token_file, FILE *out)
{
	struct hvt_publish_opts po = *o;
	struct hvt_publish_result r;
	struct hvt_err err = HVT_ERR_INIT;
	char *path = NULL, *token = NULL;
	size_t len;
	int rc = 0;

	if (!token_file) {
		const char *home = hvt_env_home();

		path = hvt_asprintf("%s/%s", home ? home : ".", CLI_TOKEN_FILE);
		token_file = path;
	}
	if (hvt_file_read(token_file, &token, &len, &err)) {
		cli_error("publish: the token: %s ('hvtest serve token add USER' on the server "
			  "makes one)", err.msg);
		free(path);
		return CLI_EXIT_FAIL;
	}
	while (len && (token[len - 1] == '\n' || token[len - 1] == ' ' || token[len - 1] == '\r'))
		token[--len] = '\0';
	if (!*token) {
		cli_error("publish: %s: the token file is empty", token_file);
		free(token);
		free(path);
		return CLI_EXIT_FAIL;
	}
	po.token = token;
	if (hvt_publish(&po, &r, &err)) {
		rc = cli_fail(&err, "publish");
	} else {
		fprintf(out, "%s\n", r.url);
	}
	for (size_t i = 0; i < r.warnings.n; i++)
		cli_error("publish: %s", r.warnings.v[i]);
	hvt_publish_result_release(&r);
	free(token);
	free(path);
	return rc;
}

int cmd_publish(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ "user", required_argument, NULL, OPT_USER },
		{ "machine", required_argument, NULL, OPT_MACHINE },
		{ "git", required_argument, NULL, OPT_GIT },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_publish_opts o = { 0 };
	const char *token_file = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER:
			o.server = optarg;
			break;
		case OPT_TOKEN_FILE:
			token_file = optarg;
			break;
		case OPT_USER:
			o.user = optarg;
			break;
		case OPT_MACHINE:
			o.machine = optarg;
			break;
		case OPT_GIT:
			o.git = optarg;
			break;
		case OPT_NAME:
			o.name = optarg;
			break;
		case OPT_CACERT:
			o.cafile = optarg;
			break;
		case OPT_RESULTS:
			o.results = optarg;
			break;
		case 'h':
			fputs(publish_usage, stdout);
			return 0;
		default:
			return cli_usage_error("publish", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("publish", "which run? (hvtest publish RUN --server URL)");
	if (!o.server)
		return cli_usage_error("publish", "--server URL is needed");
	o.run = argv[optind];
	return cli_publish(&o, token_file, stdout);
}
