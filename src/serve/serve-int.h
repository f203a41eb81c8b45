/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the server's files share: the server's state, token hashing and
 * rate limits (auth.c), uploads (upload.c) and pages (pages.c). Internal
 * to src/serve/.
 */
#ifndef HVT_SERVE_INT_H
#define HVT_SERVE_INT_H

#include <pthread.h>

#include "registry.h"
#include "serve.h"
#include "store.h"

struct rate_entry {
	char *user;
	double tokens, last;
};

struct hvt_serve {
	struct hvt_serve_opts o;
	char *dir, *blobs, *tmp;
	struct MHD_Daemon *daemon;
	/*
	 * One connection for writes (publishing, tokens) and one for reads:
	 * WAL lets pages be read while a publish commits. Each connection is
	 * used by one thread at a time.
	 */
	pthread_mutex_t wlock, rlock, loglock, ratelock;
	struct hvt_store *w, *r;
	int logfd;
	char *cert, *key;	/* PEM contents for TLS */
	char url[128];
	unsigned long seq;	/* staging directory names */
	struct rate_entry *rates;
	size_t nrates;
};

/* An HTTP answer: status, body, content type and extra headers. */
struct reply {
	unsigned status;
	struct hvt_buf body;
	const char *ctype;
	const char *csp;	/* Content-Security-Policy; NULL: the pages' */
	int fd;			/* >= 0: send this file's size bytes instead of body */
	int64_t size;
	char *location;		/* a redirect's target */
};

/* Fill a JSON error reply {"error": msg}. */
void reply_error(struct reply *rp, unsigned status, const char *fmt, ...) HVT_PRINTF(3, 4);

/* Token "USER:HEX" -> hex SHA-256 into hash (65 bytes). */
void auth_token_hash(const char *token, char hash[65]);
/* A new random token for user (caller frees). -EIO when no randomness. */
int auth_token_new(const char *user, char **token, struct hvt_err *err);
/* Whether user may publish now (one of o.rate per minute); takes one. */
bool auth_rate_take(struct hvt_serve *s, const char *user);

/* An upload in progress: the body goes into an unlinked temporary file. */
struct upload {
	struct hvt_pub_key key;
	char *parts;		/* the key's strings */
	int fd;
	uint64_t got;
	bool too_big;
	int err;		/* errno of a failed write */
};

/* Start receiving a publish for key (already authorised). */
int upload_begin(struct hvt_serve *s, struct upload *u, const struct hvt_pub_key *key,
		 struct hvt_err *err);
/* Add a chunk of the body. */
void upload_data(struct hvt_serve *s, struct upload *u, const char *data, size_t len);
/* The body is complete: check it, store it whole or not at all, reply. */
void upload_finish(struct hvt_serve *s, struct upload *u, struct reply *rp);
void upload_release(struct upload *u);
/* Remove staging directories and blobs no run refers to (at start). */
int upload_sweep(struct hvt_serve *s, struct hvt_err *err);

/*
 * GET a path (split into segments, already unescaped) with its query
 * parameters user and machine for the API: fill rp.
 */
void pages_get(struct hvt_serve *s, char **seg, size_t nseg, const char *quser,
	       const char *qmachine, struct reply *rp);
/* The content type served for a file name. */
const char *pages_ctype(const char *name);

#endif
