// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The results server on libmicrohttpd: a thread per connection, the
 * routes (pages, the JSON API, publish), who may do what, the response
 * headers that keep uploaded files from running script in the server's
 * pages, the request log, and token administration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "serve-int.h"

/* Path segments a URL may have (artifact paths are nested). */
#define MAX_SEGMENTS 40

/* The pages': no script at all, pictures and videos from the server only. */
static const char page_csp[] =
	"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; media-src 'self'; "
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

bool hvt_serve_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void reply_error(struct reply *rp, unsigned status, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = hvt_vasprintf(fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	rp->status = status;
	rp->ctype = "application/json";
	rp->body.len = 0;
	hvt_buf_addf(&rp->body, "%s\n", hvt_json_str(o));
	json_object_put(o);
	free(msg);
}

/* One request, from its first call to its completion. */
struct req {
	double t0;
	char *method, *url, *user;
	unsigned status;
	bool queued;		/* a response is on its way */
	bool uploading;
	struct upload up;
};

static enum MHD_Result send_reply(struct MHD_Connection *c, struct req *q, struct reply *rp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (rp->fd >= 0) {
		r = MHD_create_response_from_fd64((uint64_t)rp->size, rp->fd);
		rp->fd = -1;
	} else {
		r = MHD_create_response_from_buffer(rp->body.len, rp->body.p ? rp->body.p : (char *)"",
						    rp->body.p ? MHD_RESPMEM_MUST_FREE
							       : MHD_RESPMEM_PERSISTENT);
		rp->body.p = NULL;
	}
	hvt_buf_release(&rp->body);
	if (!r) {
		free(rp->location);
		return MHD_NO;
	}
	if (rp->ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rp->ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", rp->csp ? rp->csp : page_csp);
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	if (!rp->csp)
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
	if (rp->status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"hvtest\"");
	if (rp->status == 429)
		MHD_add_response_header(r, "Retry-After", "60");
	if (rp->location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rp->location);
	free(rp->location);
	rp->location = NULL;
	q->status = rp->status;
	q->queued = true;
	ret = MHD_queue_response(c, rp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The user of the request's bearer token, or NULL (caller frees). */
static char *token_user(struct hvt_serve *s, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	char hash[65], *user = NULL;

	if (!h || strncmp(h, "Bearer ", 7) || !h[7])
		return NULL;
	auth_token_hash(h + 7, hash);
	pthread_mutex_lock(&s->rlock);
	hvt_registry_token_user(s->r, hash, &user, NULL);
	pthread_mutex_unlock(&s->rlock);
	return user;
}

/* Split an (unescaped) path into segments, empty ones dropped; -1 if too many. */
static int split(char *path, char **seg)
{
	int n = 0;

	for (char *p = strtok_r(path, "/", &path); p; p = strtok_r(NULL, "/", &path)) {
		if (n == MAX_SEGMENTS)
			return -1;
		seg[n++] = p;
	}
	return n;
}

/* The first call of a publish: everything that can be refused before the body. */
static void publish_begin(struct hvt_serve *s, struct MHD_Connection *c, struct req *q,
			  char **seg, int n, struct reply *rp)
{
	struct hvt_pub_key k;
	struct hvt_err err = HVT_ERR_INIT;
	const char *len;

	if (n != 7) {
		reply_error(rp, 404, "publish to /api/v1/publish/USER/MACHINE/GIT/NAME");
		return;
	}
	k = (struct hvt_pub_key){ seg[3], seg[4], seg[5], seg[6] };
	for (int i = 3; i < 7; i++) {
		if (!hvt_serve_name_ok(seg[i])) {
			reply_error(rp, 400, "'%s': a name is 1 to 64 of A-Z a-z 0-9 . _ -, "
					     "not starting with . or -", seg[i]);
			return;
		}
	}
	q->user = token_user(s, c);
	if (!q->user) {
		reply_error(rp, 401, "a valid publish token is needed "
				     "(Authorization: Bearer TOKEN)");
		return;
	}
	if (strcmp(q->user, k.user)) {
		reply_error(rp, 403, "user %s may publish only under /%s/", q->user, q->user);
		return;
	}
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len && strtoull(len, NULL, 10) > s->o.max_upload) {
		reply_error(rp, 413, "the upload is larger than %llu bytes",
			    (unsigned long long)s->o.max_upload);
		return;
	}
	if (!auth_rate_take(s, q->user)) {
		reply_error(rp, 429, "%s publishes more than %u runs a minute", q->user,
			    s->o.rate);
		return;
	}
	if (upload_begin(s, &q->up, &k, &err)) {
		reply_error(rp, 500, "%s", err.msg);
		return;
	}
	q->uploading = true;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **con_cls)
{
	struct hvt_serve *s = cls;
	struct req *q = *con_cls;
	struct reply rp = { .fd = -1 };
	char *path, *seg[MAX_SEGMENTS];
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	int n;

	if (q) {
		/* a later call of a request with a body */
		if (q->queued || !q->uploading) {
			*data_size = 0;
			return MHD_YES;
		}
		if (*data_size) {
			upload_data(s, &q->up, data, *data_size);
			*data_size = 0;
			return MHD_YES;
		}
		upload_finish(s, &q->up, &rp);
		return send_reply(c, q, &rp);
	}
	q = hvt_zalloc(sizeof(*q));
	q->t0 = hvt_now();
	q->method = hvt_strdup(method);
	q->url = hvt_strdup(url);
	q->up.fd = -1;
	*con_cls = q;

	path = hvt_strdup(url);
	n = split(path, seg);
	if (n < 0) {
		reply_error(&rp, 404, "no such page");
	} else if (!strcmp(method, "POST") && n >= 3 && !strcmp(seg[0], "api") &&
		   !strcmp(seg[1], "v1") && !strcmp(seg[2], "publish")) {
		publish_begin(s, c, q, seg, n, &rp);
	} else if (!get) {
		reply_error(&rp, 405, "%s: not a method here", method);
	} else if (s->o.private_read && !(q->user = token_user(s, c))) {
		reply_error(&rp, 401, "reading this server needs a token");
	} else {
		pthread_mutex_lock(&s->rlock);
		pages_get(s, seg, (size_t)n,
			  MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "user"),
			  MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "machine"), &rp);
		pthread_mutex_unlock(&s->rlock);
	}
	free(path);
	if (q->uploading)
		return MHD_YES;
	return send_reply(c, q, &rp);
}

/* One line per request into DIR/requests.log. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct hvt_serve *s = cls;
	struct req *q = *con_cls;
	const union MHD_ConnectionInfo *ci;
	char when[32], addr[INET6_ADDRSTRLEN] = "-", *line;
	time_t now = time(NULL);
	struct tm tm;

	if (!q)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
			  sizeof(addr));
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	line = hvt_asprintf("%s %s %s %s %s %u %llu %.1fms%s\n", when, addr,
			    q->user ? q->user : "-", q->method, q->url, q->status,
			    (unsigned long long)q->up.got, (hvt_now() - q->t0) * 1000,
			    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	pthread_mutex_lock(&s->loglock);
	if (s->logfd >= 0)
		hvt_write_all(s->logfd, line, strlen(line));
	pthread_mutex_unlock(&s->loglock);
	free(line);
	if (q->uploading)
		upload_release(&q->up);
	free(q->method);
	free(q->url);
	free(q->user);
	free(q);
	*con_cls = NULL;
}

static int parse_listen(const char *spec, struct sockaddr_in *sin, struct hvt_err *err)
{
	const char *colon = strrchr(spec, ':');
	char host[64];
	char *end;
	long port;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		goto bad;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		goto bad;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		goto bad;
	sin->sin_port = htons((uint16_t)port);
	return 0;
bad:
	return hvt_err_set(err, -EINVAL, "listen address '%s': give IPv4ADDR:PORT "
					 "(127.0.0.1:8080; port 0 picks a free one)", spec);
}

static int write_url_file(const char *path, const char *url, struct hvt_err *err)
{
	char *tmp = hvt_asprintf("%s.tmp", path), *text = hvt_asprintf("%s\n", url);
	int ret = hvt_file_write(tmp, text, strlen(text), err);

	if (!ret && rename(tmp, path))
		ret = hvt_err_set(err, -errno, "%s: %s", path, strerror(errno));
	free(tmp);
	free(text);
	return ret;
}

static void serve_free(struct hvt_serve *s)
{
	hvt_store_close(s->w);
	hvt_store_close(s->r);
	if (s->logfd >= 0)
		close(s->logfd);
	for (size_t i = 0; i < s->nrates; i++)
		free(s->rates[i].user);
	free(s->rates);
	free(s->cert);
	free(s->key);
	free(s->dir);
	free(s->blobs);
	free(s->tmp);
	pthread_mutex_destroy(&s->wlock);
	pthread_mutex_destroy(&s->rlock);
	pthread_mutex_destroy(&s->loglock);
	pthread_mutex_destroy(&s->ratelock);
	free(s);
}

/* Open the store of dir with its registry. */
static struct hvt_store *open_store(const char *dir, struct hvt_err *err)
{
	struct hvt_store *st = hvt_store_open(dir, err);

	if (st && hvt_registry_init(st, err)) {
		hvt_store_close(st);
		return NULL;
	}
	return st;
}

struct hvt_serve *hvt_serve_start(const struct hvt_serve_opts *o, struct hvt_err *err)
{
	struct hvt_serve *s = hvt_zalloc(sizeof(*s));
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sin;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	char *log;

	s->o = *o;
	s->logfd = -1;
	pthread_mutex_init(&s->wlock, NULL);
	pthread_mutex_init(&s->rlock, NULL);
	pthread_mutex_init(&s->loglock, NULL);
	pthread_mutex_init(&s->ratelock, NULL);
	if (!s->o.max_upload)
		s->o.max_upload = HVT_SERVE_MAX_UPLOAD_DEFAULT;
	if (!s->o.rate)
		s->o.rate = HVT_SERVE_RATE_DEFAULT;
	if (parse_listen(o->listen ? o->listen : HVT_SERVE_LISTEN_DEFAULT, &sin, err))
		goto err_free;
	s->dir = hvt_strdup(o->dir ? o->dir : HVT_SERVE_DIR_DEFAULT);
	s->blobs = hvt_asprintf("%s/blobs", s->dir);
	s->tmp = hvt_asprintf("%s/tmp", s->dir);
	if (hvt_mkdir_p(s->blobs, 0755, err) || hvt_mkdir_p(s->tmp, 0700, err))
		goto err_free;
	s->w = open_store(s->dir, err);
	if (!s->w)
		goto err_free;
	s->r = open_store(s->dir, err);
	if (!s->r || upload_sweep(s, err))
		goto err_free;
	log = hvt_asprintf("%s/requests.log", s->dir);
	s->logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (s->logfd < 0)
		hvt_err_set(err, -errno, "%s: %s", log, strerror(errno));
	free(log);
	if (s->logfd < 0)
		goto err_free;
	if (o->tls_cert || o->tls_key) {
		size_t len;

		if (!o->tls_cert || !o->tls_key) {
			hvt_err_set(err, -EINVAL, "TLS needs both a certificate and its key");
			goto err_free;
		}
		if (hvt_file_read(o->tls_cert, &s->cert, &len, err) ||
		    hvt_file_read(o->tls_key, &s->key, &len, err))
			goto err_free;
		flags |= MHD_USE_TLS;
	}
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				     MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
				     s->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert,
				     MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
	if (!s->daemon) {
		hvt_err_set(err, -EADDRINUSE, "cannot listen on %s (address in use or not "
			    "local%s)", o->listen ? o->listen : HVT_SERVE_LISTEN_DEFAULT,
			    s->cert ? ", or the TLS certificate and key do not load" : "");
		goto err_free;
	}
	di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	{
		char host[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sin.sin_addr, host, sizeof(host));
		hvt_snprintf(s->url, sizeof(s->url), "%s://%s:%u", s->cert ? "https" : "http",
			     host, di ? di->port : ntohs(sin.sin_port));
	}
	if (o->url_file && write_url_file(o->url_file, s->url, err)) {
		MHD_stop_daemon(s->daemon);
		goto err_free;
	}
	return s;

err_free:
	serve_free(s);
	return NULL;
}

const char *hvt_serve_url(const struct hvt_serve *s)
{
	return s->url;
}

void hvt_serve_stop(struct hvt_serve *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	serve_free(s);
}

int hvt_serve_token_add(const char *dir, const char *user, char **token, struct hvt_err *err)
{
	struct hvt_store *st;
	char hash[65];
	int ret;

	*token = NULL;
	if (!hvt_serve_name_ok(user))
		return hvt_err_set(err, -EINVAL, "'%s': a user name is 1 to 64 of A-Z a-z 0-9 . _ -,"
				   " not starting with . or -", user);
	st = open_store(dir, err);
	if (!st)
		return err->code ? err->code : -EIO;
	ret = auth_token_new(user, token, err);
	if (!ret) {
		auth_token_hash(*token, hash);
		ret = hvt_registry_token_add(st, user, hash, err);
	}
	if (ret) {
		free(*token);
		*token = NULL;
	}
	hvt_store_close(st);
	return ret;
}

int hvt_serve_token_revoke(const char *dir, const char *user, int *n, struct hvt_err *err)
{
	struct hvt_store *st = open_store(dir, err);
	int ret;

	if (!st)
		return err->code ? err->code : -EIO;
	ret = hvt_registry_token_revoke(st, user, n, err);
	hvt_store_close(st);
	return ret;
}

int hvt_serve_token_list(const char *dir, char **text, struct hvt_err *err)
{
	struct hvt_store *st = open_store(dir, err);
	int ret;

	if (!st)
		return err->code ? err->code : -EIO;
	ret = hvt_registry_token_list(st, text, err);
	hvt_store_close(st);
	return ret;
}
