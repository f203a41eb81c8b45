/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Publishing a stored run to a results server: the run's record, its
 * artifacts and the host's facts as one tar stream (libarchive), sent in
 * one request (libcurl). The server stores all of it or nothing.
 */
#ifndef HVT_PUBLISH_H
#define HVT_PUBLISH_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct hvt_publish_opts {
	const char *results;	/* results directory; NULL: HVT_RESULTS_DIR_DEFAULT */
	const char *run;	/* run reference (id, latest, latest~N) */
	const char *server;	/* the server's URL (http:// or https://) */
	const char *token;	/* "USER:HEX" (hvtest serve token add) */
	const char *user;	/* NULL: the token's user */
	const char *machine;	/* NULL: the run's hostname */
	const char *git;	/* NULL: git rev-parse --short=12 HEAD in the cwd */
	const char *name;	/* NULL: the run's start time (UTC) and local id */
	const char *cafile;	/* PEM CA bundle to check an https server by; may be NULL */
	int timeout_s;		/* for the whole request; 0: 600 */
};

struct hvt_publish_result {
	long status;		/* the server's HTTP status, 0 when none came */
	char *url;		/* the run's page, on success */
	struct hvt_strv warnings; /* artifacts that could not be read, facts missing */
};

/*
 * Publish o->run. 0 with r->url set when the server stored it; -errno
 * with err saying why otherwise (the server's own message for a refusal:
 * -EACCES for 401/403, -EEXIST for 409, -E2BIG for 413, -EBUSY for 429,
 * -EBADMSG for 400). Release r with hvt_publish_result_release().
 */
int hvt_publish(const struct hvt_publish_opts *o, struct hvt_publish_result *r,
		struct hvt_err *err);
void hvt_publish_result_release(struct hvt_publish_result *r);

/*
 * Only the upload of o->run, into f (a gzip-compressed tar stream; the
 * key is not in it, so it may be posted under any name): what
 * hvt_publish() sends. o->server and o->token are not used. Warnings go
 * to r (release it).
 */
int hvt_publish_pack(const struct hvt_publish_opts *o, FILE *f, struct hvt_publish_result *r,
		     struct hvt_err *err);

#endif
