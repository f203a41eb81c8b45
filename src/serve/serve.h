/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The results server: published runs from many machines and users in one
 * store (the results store with its registry), served as pages and JSON
 * over HTTP (libmicrohttpd), with per-user publish tokens.
 */
#ifndef HVT_SERVE_H
#define HVT_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* The store directory unless --store says otherwise (relative to the cwd). */
#define HVT_SERVE_DIR_DEFAULT "hvtest-server"
/* Where the server listens unless told otherwise. */
#define HVT_SERVE_LISTEN_DEFAULT "127.0.0.1:8080"
/* The largest request body accepted (413 above it); extracted files may be 4 times that. */
#define HVT_SERVE_MAX_UPLOAD_DEFAULT (256ull << 20)
/* Publishes per user per minute (429 above it). */
#define HVT_SERVE_RATE_DEFAULT 60

struct hvt_serve_opts {
	const char *dir;	/* store directory (created); NULL: HVT_SERVE_DIR_DEFAULT */
	const char *listen;	/* "ADDR:PORT", IPv4; port 0 picks one; NULL: default */
	const char *url_file;	/* write the server's URL here once it listens; may be NULL */
	uint64_t max_upload;	/* bytes; 0: HVT_SERVE_MAX_UPLOAD_DEFAULT */
	unsigned rate;		/* publishes per user per minute; 0: HVT_SERVE_RATE_DEFAULT */
	bool private_read;	/* reading needs a valid token too */
	const char *tls_cert;	/* PEM certificate and key: serve HTTPS */
	const char *tls_key;
	unsigned threads;	/* worker threads; 0: 4 */
};

struct hvt_serve;

/*
 * Open (or create) the store in o->dir, clear what an interrupted upload
 * left there, and listen. Requests are served by the server's own
 * threads until hvt_serve_stop(). NULL with err set when the store cannot
 * be opened, the address is bad or taken, or the TLS files do not load.
 */
struct hvt_serve *hvt_serve_start(const struct hvt_serve_opts *o, struct hvt_err *err);
/* "http://127.0.0.1:PORT" (https with TLS): where it listens. */
const char *hvt_serve_url(const struct hvt_serve *s);
/* Stop listening, finish the requests in progress, close the store. */
void hvt_serve_stop(struct hvt_serve *s);

/*
 * Publish tokens, kept in the store of dir. token_add makes a new token
 * for user ("USER:64 hex digits", *token: caller frees; only its SHA-256
 * is stored); token_revoke revokes all of user's tokens (*n: how many).
 */
int hvt_serve_token_add(const char *dir, const char *user, char **token, struct hvt_err *err);
int hvt_serve_token_revoke(const char *dir, const char *user, int *n, struct hvt_err *err);
/* "USER N" lines: users with live tokens (caller frees). */
int hvt_serve_token_list(const char *dir, char **text, struct hvt_err *err);

/*
 * Whether s may name a user, machine, git id or run in a URL: 1 to 64 of
 * A-Z a-z 0-9 . _ - , not starting with '.' or '-'.
 */
bool hvt_serve_name_ok(const char *s);
/*
 * Whether p may name a file of an upload: a relative path of at most 16
 * parts and 512 bytes, no part empty, "." or "..", no control character
 * or backslash.
 */
bool hvt_serve_path_ok(const char *p);

#endif
