// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest serve: run the results server until SIGINT or SIGTERM; "serve
 * token" adds, revokes and lists the users' publish tokens.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

static const char serve_usage[] =
	"usage: hvtest serve [OPTIONS]\n"
	"       hvtest serve [--store DIR] token add USER | revoke USER | list\n\n"
	"Serve published runs: a summary over every user and machine, an index per\n"
	"user and per machine, a page per run and per case, the uploaded files and a\n"
	"JSON API (/api/v1/...). 'hvtest publish' uploads runs with a user's token.\n"
	"Runs until SIGINT or SIGTERM; every request is logged in DIR/requests.log.\n\n"
	"  --store DIR          the server's store (default: ./" HVT_SERVE_DIR_DEFAULT ")\n"
	"  --listen ADDR:PORT   IPv4 address and port (default: " HVT_SERVE_LISTEN_DEFAULT ";\n"
	"                       port 0 picks a free one)\n"
	"  --url-file FILE      write the server's URL into FILE once it listens\n"
	"  --max-upload BYTES   largest upload (default: 256 MiB); larger ones get 413\n"
	"  --rate N             publishes per user per minute (default: 60); then 429\n"
	"  --private            reading needs a token too (default: open)\n"
	"  --tls-cert FILE      serve HTTPS with this PEM certificate ...\n"
	"  --tls-key FILE       ... and its PEM key\n"
	"  -h, --help           this text\n\n"
	"token add USER prints a new token for USER once (only its hash is kept);\n"
	"token revoke USER revokes all of USER's tokens; token list lists users.\n";

enum { OPT_STORE = 0x600, OPT_LISTEN, OPT_URL_FILE, OPT_MAX_UPLOAD, OPT_RATE, OPT_PRIVATE,
       OPT_TLS_CERT, OPT_TLS_KEY };

static int token_cmd(const char *dir, int argc, char **argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *text = NULL;
	int n;

	if (argc == 1 && !strcmp(argv[0], "list")) {
		if (hvt_serve_token_list(dir, &text, &err))
			return cli_fail(&err, "token list");
		fputs(text, stdout);
		free(text);
		return 0;
	}
	if (argc != 2 || (strcmp(argv[0], "add") && strcmp(argv[0], "revoke")))
		return cli_usage_error("serve", "token add USER | token revoke USER | token list");
	if (!strcmp(argv[0], "add")) {
		if (hvt_serve_token_add(dir, argv[1], &text, &err))
			return cli_fail(&err, "token add");
		printf("%s\n", text);
		free(text);
		return 0;
	}
	if (hvt_serve_token_revoke(dir, argv[1], &n, &err))
		return cli_fail(&err, "token revoke");
	if (!n) {
		cli_error("token revoke: %s has no live token", argv[1]);
		return CLI_EXIT_FAIL;
	}
	printf("revoked %d token%s of %s\n", n, n == 1 ? "" : "s", argv[1]);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "url-file", required_argument, NULL, OPT_URL_FILE },
		{ "max-upload", required_argument, NULL, OPT_MAX_UPLOAD },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "private", no_argument, NULL, OPT_PRIVATE },
		{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_serve_opts o = { .dir = HVT_SERVE_DIR_DEFAULT };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_serve *s;
	sigset_t set;
	uint64_t v;
	int opt, sig;

	/* "+": stop at the first word, so that "token add USER" is not options */
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_STORE:
			o.dir = optarg;
			break;
		case OPT_LISTEN:
			o.listen = optarg;
			break;
		case OPT_URL_FILE:
			o.url_file = optarg;
			break;
		case OPT_MAX_UPLOAD:
			if (cli_parse_u64("--max-upload", optarg, &v))
				return CLI_EXIT_USAGE;
			o.max_upload = v;
			break;
		case OPT_RATE:
			if (cli_parse_u64("--rate", optarg, &v) || v > 1000000)
				return cli_usage_error("serve", "--rate takes 1..1000000");
			o.rate = (unsigned)v;
			break;
		case OPT_PRIVATE:
			o.private_read = true;
			break;
		case OPT_TLS_CERT:
			o.tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			o.tls_key = optarg;
			break;
		case 'h':
			fputs(serve_usage, stdout);
			return 0;
		default:
			return cli_usage_error("serve", "bad option");
		}
	}
	if (optind < argc && !strcmp(argv[optind], "token"))
		return token_cmd(o.dir, argc - optind - 1, argv + optind + 1);
	if (optind < argc)
		return cli_usage_error("serve", "'%s': not a serve command", argv[optind]);

	/* the server's threads inherit the mask: only this thread takes the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	s = hvt_serve_start(&o, &err);
	if (!s)
		return cli_fail(&err, "serve");
	printf("hvtest serve: %s (store %s)\n", hvt_serve_url(s), o.dir);
	fflush(stdout);
	sigwait(&set, &sig);
	hvt_serve_stop(s);
	return 0;
}
