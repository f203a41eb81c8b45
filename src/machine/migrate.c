// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration between two local QEMU processes (migrate.h): the
 * channel for each transport, capabilities and parameters on both sides,
 * the source's status followed by events or polling, and the operations
 * that interrupt a migration (cancel, cut, postcopy pause and recovery).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "migrate.h"

#define DEFAULT_POLL_MS 100
/* How long one wait for an event may block before the loop looks again. */
#define EVENT_SLICE_MS 1000

static const char *const transport_names[] = {
	[HVT_MIGRATE_UNIX] = "unix",
	[HVT_MIGRATE_TCP] = "tcp",
	[HVT_MIGRATE_EXEC] = "exec",
	[HVT_MIGRATE_FD] = "fd",
};

const char *hvt_migrate_transport_name(enum hvt_migrate_transport t)
{
	return (unsigned)t < HVT_ARRAY_SIZE(transport_names) ? transport_names[t] : "?";
}

int hvt_migrate_transport_parse(const char *name, enum hvt_migrate_transport *out,
				struct hvt_err *err)
{
	for (size_t i = 0; i < HVT_ARRAY_SIZE(transport_names); i++) {
		if (name && !strcmp(name, transport_names[i])) {
			*out = (enum hvt_migrate_transport)i;
			return 0;
		}
	}
	return hvt_err_set(err, -EINVAL, "migration transport '%s' is not one of unix, tcp, "
			   "exec, fd", name ? name : "(none)");
}

/* Statistics: pure. */

static double get_ms(struct json_object *info, const char *path)
{
	struct json_object *v = hvt_json_get(info, path);

	return v ? json_object_get_double(v) : -1;
}

static long long get_ll(struct json_object *info, const char *path)
{
	struct json_object *v = hvt_json_get(info, path);

	return v ? (long long)json_object_get_int64(v) : -1;
}

void hvt_migrate_stats_parse(struct json_object *info, struct hvt_migrate_stats *st)
{
	const char *s = hvt_json_get_str(info, "status");
	const char *e = hvt_json_get_str(info, "error-desc");

	memset(st, 0, sizeof(*st));
	snprintf(st->status, sizeof(st->status), "%s", s ? s : "");
	snprintf(st->error, sizeof(st->error), "%s", e ? e : "");
	st->total_ms = get_ms(info, "total-time");
	st->downtime_ms = get_ms(info, "downtime");
	st->expected_downtime_ms = get_ms(info, "expected-downtime");
	st->setup_ms = get_ms(info, "setup-time");
	st->transferred = get_ll(info, "ram.transferred");
	st->remaining = get_ll(info, "ram.remaining");
	st->ram_total = get_ll(info, "ram.total");
	st->duplicate = get_ll(info, "ram.duplicate");
	st->normal = get_ll(info, "ram.normal");
	st->dirty_sync_count = get_ll(info, "ram.dirty-sync-count");
	st->pages_per_second = get_ll(info, "ram.pages-per-second");
	st->postcopy_requests = get_ll(info, "ram.postcopy-requests");
	st->postcopy_bytes = get_ll(info, "ram.postcopy-bytes");
	st->multifd_bytes = get_ll(info, "ram.multifd-bytes");
	st->mbps = get_ms(info, "ram.mbps");
	st->xbzrle_pages = get_ll(info, "xbzrle-cache.pages");
	st->xbzrle_cache_miss = get_ll(info, "xbzrle-cache.cache-miss");
	st->cpu_throttle = get_ll(info, "cpu-throttle-percentage");
	st->wall_ms = -1;
}

bool hvt_migrate_status_final(const char *status)
{
	return status && (!strcmp(status, "completed") || !strcmp(status, "failed") ||
			  !strcmp(status, "cancelled"));
}

/*
 * QEMU's migration state machine as its MIGRATION events show it (the
 * source side; migration.json MigrationStatus). Each row: a status and
 * those that may come next.
 */
static const struct {
	const char *from;
	const char *to[8];
} transitions[] = {
	{ "none", { "setup", "failed", NULL } },
	{ "setup", { "active", "cancelling", "failed", NULL } },
	{ "active", { "postcopy-active", "pre-switchover", "device", "completed", "cancelling",
		      "failed", NULL } },
	{ "pre-switchover", { "device", "cancelling", "failed", NULL } },
	{ "device", { "completed", "postcopy-active", "cancelling", "failed", NULL } },
	{ "postcopy-active", { "postcopy-paused", "completed", "failed", NULL } },
	{ "postcopy-paused", { "postcopy-recover", "failed", NULL } },
	{ "postcopy-recover", { "postcopy-active", "postcopy-paused", "failed", NULL } },
	{ "cancelling", { "cancelled", "failed", NULL } },
	/* a new migration starts over */
	{ "completed", { "setup", NULL } },
	{ "failed", { "setup", NULL } },
	{ "cancelled", { "setup", NULL } },
};

bool hvt_migrate_status_follows(const char *from, const char *to)
{
	if (!to)
		return false;
	if (!from)
		from = "none";
	for (size_t i = 0; i < HVT_ARRAY_SIZE(transitions); i++) {
		if (strcmp(transitions[i].from, from))
			continue;
		for (size_t k = 0; transitions[i].to[k]; k++)
			if (!strcmp(transitions[i].to[k], to))
				return true;
		return false;
	}
	return false;
}

/* The migration object. */

struct hvt_migration {
	struct hvt_vm *src, *dst;
	enum hvt_migrate_transport transport;
	bool on_cmdline, dst_paused, events;
	int poll_ms;
	char *dir;
	struct hvt_strv caps;
	struct json_object *params;

	/* The channel, generation gen (0 the first, 1.. after each recovery). */
	int gen;
	int port;		/* tcp: where the destination listens */
	char *path;		/* unix: the socket; exec: the FIFO */
	char fdname[16];	/* fd: the name both QEMUs know the descriptor by */
	ino_t fd_ino;		/* fd: the inode of the destination's end */
	char *custom_uri;	/* opts.uri, or NULL */
	char *incoming;		/* the destination's -incoming */
	char *listen_uri;	/* what the destination listens on */
	char *uri;		/* what the source migrates to */
	struct hvt_strv made;	/* files to remove at the end */

	/* The source's statuses, each once, in order; waits look from mark on. */
	struct hvt_strv statuses;
	size_t mark;
	int64_t t0;
	double wall_ms;
};

static const char *cur_status(const struct hvt_migration *m)
{
	return m->statuses.n ? m->statuses.v[m->statuses.n - 1] : "none";
}

static void record(struct hvt_migration *m, const char *status)
{
	if (status && *status && strcmp(status, cur_status(m)))
		hvt_strv_push(&m->statuses, status);
}

/* A path as one word for /bin/sh: single-quoted, quotes escaped. */
static char *sh_quote(const char *s)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_add(&b, "'", 1);
	for (; *s; s++) {
		if (*s == '\'')
			hvt_buf_add(&b, "'\\''", 4);
		else
			hvt_buf_add(&b, s, 1);
	}
	hvt_buf_add(&b, "'", 1);
	return b.p;
}

/* A port nothing listens on now (bound, read back, closed). */
static int free_port(struct hvt_err *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	if (fd < 0)
		return hvt_err_set(err, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)&a, &len)) {
		port = hvt_err_set(err, -errno, "no free tcp port on 127.0.0.1: %s", strerror(errno));
	} else {
		port = ntohs(a.sin_port);
	}
	close(fd);
	return port;
}

/*
 * The channel of generation m->gen: names, and the URIs of both sides.
 * tcp with port 0 gets its port from the destination later.
 */
static int make_channel(struct hvt_migration *m, struct hvt_err *err)
{
	char suffix[16] = "";
	char *q;

	if (m->gen)
		snprintf(suffix, sizeof(suffix), "-r%d", m->gen);
	free(m->path);
	free(m->listen_uri);
	free(m->uri);
	m->path = m->listen_uri = m->uri = NULL;
	if (m->custom_uri) {
		m->listen_uri = hvt_strdup(m->custom_uri);
		m->uri = hvt_strdup(m->custom_uri);
		return 0;
	}
	switch (m->transport) {
	case HVT_MIGRATE_UNIX:
		m->path = hvt_asprintf("%s/mig%s.sock", m->dir, suffix);
		if (strlen(m->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return hvt_err_set(err, -ENAMETOOLONG, "migration socket %s is longer than "
					   "a unix socket address allows: use a shorter directory",
					   m->path);
		hvt_strv_push(&m->made, m->path);
		m->listen_uri = hvt_asprintf("unix:%s", m->path);
		m->uri = hvt_strdup(m->listen_uri);
		break;
	case HVT_MIGRATE_TCP:
		m->listen_uri = hvt_asprintf("tcp:127.0.0.1:%d", m->port);
		m->uri = hvt_strdup(m->listen_uri);
		break;
	case HVT_MIGRATE_EXEC:
		m->path = hvt_asprintf("%s/mig%s.fifo", m->dir, suffix);
		unlink(m->path);
		if (mkfifo(m->path, 0600))
			return hvt_err_set(err, -errno, "mkfifo %s: %s", m->path, strerror(errno));
		hvt_strv_push(&m->made, m->path);
		q = sh_quote(m->path);
		m->listen_uri = hvt_asprintf("exec:cat %s", q);
		m->uri = hvt_asprintf("exec:cat > %s", q);
		free(q);
		break;
	case HVT_MIGRATE_FD:
		snprintf(m->fdname, sizeof(m->fdname), "mig%s", suffix);
		m->listen_uri = hvt_asprintf("fd:%s", m->fdname);
		m->uri = hvt_strdup(m->listen_uri);
		break;
	}
	return 0;
}

static int check_caps(struct hvt_migration *m, struct hvt_err *err)
{
	struct json_object *known = NULL;
	struct hvt_buf names = HVT_BUF_INIT;
	int ret = hvt_vm_qmp(m->src, &known, err, "query-migrate-capabilities", NULL);
	size_t n = ret ? 0 : json_object_array_length(known);

	for (size_t c = 0; !ret && c < m->caps.n; c++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++) {
			const char *name = hvt_json_get_str(json_object_array_get_idx(known, i),
							    "capability");

			found = name && !strcmp(m->caps.v[c], name);
		}
		if (found)
			continue;
		for (size_t i = 0; i < n; i++)
			hvt_buf_addf(&names, "%s%s", i ? ", " : "",
				     hvt_json_get_str(json_object_array_get_idx(known, i), "capability"));
		{
			int maj, min, mic;

			hvt_qmp_version(hvt_vm_qmp_client(m->src), &maj, &min, &mic);
			ret = hvt_err_set(err, -EINVAL, "migration capability '%s' is not known to this "
					  "QEMU (%d.%d.%d), which has: %s", m->caps.v[c], maj, min, mic,
					  names.p ? names.p : "none");
		}
	}
	hvt_buf_release(&names);
	json_object_put(known);
	return ret;
}

static bool has_cap(const struct hvt_migration *m, const char *cap)
{
	for (size_t i = 0; i < m->caps.n; i++)
		if (!strcmp(m->caps.v[i], cap))
			return true;
	return false;
}

struct hvt_migration *hvt_migrate_new(struct hvt_vm *src, const struct hvt_migrate_opts *opts,
				      struct hvt_err *err)
{
	struct hvt_migration *m = hvt_zalloc(sizeof(*m));
	int ret;

	m->src = src;
	m->transport = opts->transport;
	m->on_cmdline = opts->on_cmdline;
	m->dst_paused = opts->dst_paused;
	m->poll_ms = opts->poll_ms > 0 ? opts->poll_ms : DEFAULT_POLL_MS;
	m->dir = hvt_strdup(opts->dir ? opts->dir : hvt_vm_workdir(src));
	m->port = opts->port;
	m->custom_uri = opts->uri ? hvt_strdup(opts->uri) : NULL;
	m->wall_ms = -1;
	hvt_strv_pushv(&m->caps, opts->caps);
	m->events = has_cap(m, "events");
	if (opts->params)
		json_object_deep_copy(opts->params, &m->params, NULL);

	if ((unsigned)m->transport >= HVT_ARRAY_SIZE(transport_names)) {
		ret = hvt_err_set(err, -EINVAL, "unknown migration transport %d", (int)m->transport);
		goto err_free;
	}
	if (m->on_cmdline && m->transport == HVT_MIGRATE_FD) {
		ret = hvt_err_set(err, -EINVAL, "the fd transport needs a destination started with "
				  "-incoming defer: its descriptor is passed over QMP");
		goto err_free;
	}
	if (m->on_cmdline && has_cap(m, "multifd")) {
		ret = hvt_err_set(err, -EINVAL, "multifd needs a destination started with -incoming "
				  "defer: the capability must be set before it listens");
		goto err_free;
	}
	if (m->port < 0 || m->port > 65535) {
		ret = hvt_err_set(err, -EINVAL, "tcp port %d is not a port", m->port);
		goto err_free;
	}
	if (m->transport == HVT_MIGRATE_TCP && !m->port && m->on_cmdline) {
		m->port = free_port(err);
		if (m->port < 0) {
			ret = m->port;
			goto err_free;
		}
	}
	ret = check_caps(m, err);
	if (!ret)
		ret = make_channel(m, err);
	if (ret)
		goto err_free;
	m->incoming = hvt_strdup(m->on_cmdline ? m->listen_uri : "defer");
	return m;

err_free:
	hvt_migrate_free(m);
	return NULL;
}

void hvt_migrate_free(struct hvt_migration *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->made.n; i++)
		unlink(m->made.v[i]);
	hvt_strv_release(&m->made);
	hvt_strv_release(&m->caps);
	hvt_strv_release(&m->statuses);
	json_object_put(m->params);
	free(m->dir);
	free(m->path);
	free(m->incoming);
	free(m->custom_uri);
	free(m->listen_uri);
	free(m->uri);
	free(m);
}

const char *hvt_migrate_incoming(const struct hvt_migration *m)
{
	return m->incoming;
}

const char *hvt_migrate_uri(const struct hvt_migration *m)
{
	return m->uri;
}

const struct hvt_strv *hvt_migrate_statuses(const struct hvt_migration *m)
{
	return &m->statuses;
}

double hvt_migrate_wall_ms(const struct hvt_migration *m)
{
	return m->wall_ms;
}

/* Capabilities and parameters on one machine. */
static int configure(struct hvt_migration *m, struct hvt_vm *vm, struct hvt_err *err)
{
	struct json_object *caps = json_object_new_array();
	struct json_object *params = NULL;
	int ret = 0;

	for (size_t i = 0; i < m->caps.n; i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "capability", json_object_new_string(m->caps.v[i]));
		json_object_object_add(c, "state", json_object_new_boolean(1));
		json_object_array_add(caps, c);
	}
	if (m->caps.n)
		ret = hvt_vm_qmp(vm, NULL, err, "migrate-set-capabilities", "{'capabilities': %p}",
				 (void *)caps);
	else
		json_object_put(caps);
	if (!ret && m->params) {
		json_object_deep_copy(m->params, &params, NULL);
		ret = hvt_vm_qmp(vm, NULL, err, "migrate-set-parameters", "%p", (void *)params);
	}
	return ret ? hvt_err_prefix(err, "%s", hvt_vm_name(vm)) : 0;
}

/*
 * Hand fd to vm's QEMU under name: QEMU keeps the descriptors that come
 * with any byte on its monitor socket until a command takes them, so
 * one blank (which QMP ignores) carries it, then getfd names it.
 */
static int pass_fd(struct hvt_vm *vm, int fd, const char *name, struct hvt_err *err)
{
	struct hvt_qmp *q = hvt_vm_qmp_client(vm);
	char byte = ' ';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;

	if (!q)
		return hvt_err_set(err, -ENOTCONN, "%s: not running", hvt_vm_name(vm));
	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(hvt_qmp_fd(q), &msg, MSG_NOSIGNAL) != 1)
		return hvt_err_set(err, -errno, "%s: passing the migration socket: %s",
				   hvt_vm_name(vm), strerror(errno));
	return hvt_vm_qmp(vm, NULL, err, "getfd", "{'fdname': %s}", name);
}

/* fd: a socket pair, one end to each QEMU; hvtest keeps neither. */
static int pass_fds(struct hvt_migration *m, struct hvt_err *err)
{
	struct stat sb;
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return hvt_err_set(err, -errno, "socketpair: %s", strerror(errno));
	m->fd_ino = fstat(sv[1], &sb) ? 0 : sb.st_ino;
	ret = pass_fd(m->src, sv[0], m->fdname, err);
	if (!ret && m->dst)
		ret = pass_fd(m->dst, sv[1], m->fdname, err);
	close(sv[0]);
	close(sv[1]);
	return ret;
}

/* tcp with port 0: the port the destination's QEMU bound. */
static int read_port(struct hvt_migration *m, struct hvt_err *err)
{
	struct json_object *info = NULL;
	const char *p;
	int ret = hvt_vm_qmp(m->dst, &info, err, "query-migrate", NULL);

	if (ret)
		return ret;
	p = hvt_json_get_str(info, "socket-address.0.port");
	m->port = p ? atoi(p) : 0;
	json_object_put(info);
	if (m->port <= 0)
		return hvt_err_set(err, -EPROTO, "%s: query-migrate names no port it listens on",
				   hvt_vm_name(m->dst));
	free(m->uri);
	m->uri = hvt_asprintf("tcp:127.0.0.1:%d", m->port);
	return 0;
}

/* The destination listens: migrate-incoming (or, after a failure, migrate-recover). */
static int listen_dst(struct hvt_migration *m, const char *cmd, struct hvt_err *err)
{
	int ret = 0;

	if (m->transport == HVT_MIGRATE_FD)
		ret = pass_fds(m, err);
	else if (!m->dst)
		return 0;
	if (!ret && m->dst)
		ret = hvt_vm_qmp(m->dst, NULL, err, cmd, "{'uri': %s}", m->listen_uri);
	if (!ret && m->dst && m->transport == HVT_MIGRATE_TCP && !m->port && !m->custom_uri)
		ret = read_port(m, err);
	return ret;
}

int hvt_migrate_start(struct hvt_migration *m, struct hvt_vm *dst, struct hvt_err *err)
{
	int ret;

	m->dst = dst;
	m->mark = m->statuses.n;
	ret = configure(m, m->src, err);
	if (!ret && dst)
		ret = configure(m, dst, err);
	if (!ret && !dst && m->transport == HVT_MIGRATE_TCP && !m->port && !m->custom_uri) {
		/* nobody will listen: a port that is free now */
		m->port = free_port(err);
		ret = m->port < 0 ? m->port : make_channel(m, err);
	}
	if (!ret && (!m->on_cmdline || m->transport == HVT_MIGRATE_FD))
		ret = listen_dst(m, "migrate-incoming", err);
	if (ret)
		return ret;
	m->t0 = hvt_now_ms();
	m->wall_ms = -1;
	ret = hvt_vm_qmp(m->src, NULL, err, "migrate", "{'uri': %s}", m->uri);
	return ret ? hvt_err_prefix(err, "%s", hvt_vm_name(m->src)) : 0;
}

int hvt_migrate_query_vm(struct hvt_vm *vm, struct hvt_migrate_stats *st, struct hvt_err *err)
{
	struct json_object *info = NULL;
	int ret = hvt_vm_qmp(vm, &info, err, "query-migrate", NULL);

	if (!ret)
		hvt_migrate_stats_parse(info, st);
	json_object_put(info);
	return ret;
}

int hvt_migrate_query(struct hvt_migration *m, struct hvt_migrate_stats *st, struct hvt_err *err)
{
	int ret = hvt_migrate_query_vm(m->src, st, err);

	if (!ret) {
		/* with events, statuses come from them alone, in order */
		if (!m->events)
			record(m, st->status);
		st->wall_ms = m->wall_ms;
	}
	return ret;
}

int hvt_migrate_runstate(struct hvt_vm *vm, char *buf, size_t len, struct hvt_err *err)
{
	struct json_object *st = NULL;
	int ret = hvt_vm_qmp(vm, &st, err, "query-status", NULL);

	if (!ret)
		snprintf(buf, len, "%s", hvt_json_get_str(st, "status") ? hvt_json_get_str(st, "status") : "?");
	json_object_put(st);
	return ret;
}

static bool seen_since_mark(const struct hvt_migration *m, const char *status)
{
	for (size_t i = m->mark; i < m->statuses.n; i++)
		if (!strcmp(m->statuses.v[i], status))
			return true;
	return false;
}

/* What a migration that ended otherwise than hoped says about itself. */
static int ended_badly(struct hvt_migration *m, const char *want, struct hvt_err *err)
{
	struct hvt_migrate_stats st;
	const char *cur = cur_status(m);

	char *path, *tail;

	if (!hvt_migrate_query_vm(m->src, &st, NULL) && st.error[0])
		return hvt_err_set(err, -EIO, "migration %s%s%s: %s", cur, want ? ", not " : "",
				   want ? want : "", st.error);
	/* some reasons (multifd on a transport without it) go to stderr only */
	path = hvt_vm_path(m->src, "qemu.stderr");
	tail = hvt_file_tail(path, 2);
	free(path);
	for (char *p = tail; p && *p; p++)
		if (*p == '\n')
			*p = p[1] ? ' ' : '\0';
	hvt_err_set(err, -EIO, "migration %s%s%s (no error-desc in query-migrate%s%s)", cur,
		    want ? ", not " : "", want ? want : "", tail && *tail ? "; QEMU's stderr: " : "",
		    tail && *tail ? tail : "");
	free(tail);
	return -EIO;
}

static int timed_out(struct hvt_migration *m, const char *want, int timeout_ms,
		     struct hvt_err *err)
{
	struct hvt_migrate_stats st;

	if (hvt_migrate_query_vm(m->src, &st, NULL))
		return hvt_err_set(err, -ETIMEDOUT, "migration not %s within %d ms",
				   want ? want : "over", timeout_ms);
	return hvt_err_set(err, -ETIMEDOUT, "migration not %s within %d ms: still %s, %lld MiB "
			   "sent, %lld MiB remaining, %lld dirty syncs", want ? want : "over",
			   timeout_ms, st.status, st.transferred >> 20, st.remaining >> 20,
			   st.dirty_sync_count);
}

/* The source's QMP failed: if QEMU died, say how. */
static int src_failed(struct hvt_migration *m, int ret, struct hvt_err *err)
{
	if (ret != -EREMOTEIO && hvt_vm_check_alive(m->src, err))
		return -ECHILD;
	return ret;
}

/* Take the next news of the source's status: an event, or a poll. */
static int next_status(struct hvt_migration *m, int64_t deadline, struct hvt_err *err)
{
	int slice = hvt_ms_left(deadline);
	int ret;

	if (m->events) {
		struct hvt_qmp_event *ev = NULL;

		if (slice > EVENT_SLICE_MS)
			slice = EVENT_SLICE_MS;
		ret = hvt_qmp_event_wait(hvt_vm_qmp_client(m->src), "MIGRATION", NULL, NULL, slice,
					 &ev, err);
		if (!ret)
			record(m, hvt_json_get_str(ev->data, "status"));
		hvt_qmp_event_free(ev);
		if (ret == -ETIMEDOUT)
			return 0;
		return ret ? src_failed(m, ret, err) : 0;
	} else {
		struct hvt_migrate_stats st;

		ret = hvt_migrate_query_vm(m->src, &st, err);
		if (ret)
			return src_failed(m, ret, err);
		record(m, st.status);
		if (hvt_migrate_status_final(st.status))
			return 0;
		hvt_qmp_poll(hvt_vm_qmp_client(m->src), slice < m->poll_ms ? slice : m->poll_ms,
			     NULL);
		return 0;
	}
}

int hvt_migrate_wait(struct hvt_migration *m, const char *status, int timeout_ms,
		     struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;

	for (;;) {
		const char *cur = cur_status(m);
		int ret;

		if (status && seen_since_mark(m, status))
			return 0;
		if (hvt_migrate_status_final(cur) && seen_since_mark(m, cur))
			return status ? ended_badly(m, status, err) : 0;
		if (!hvt_ms_left(deadline))
			return timed_out(m, status, timeout_ms, err);
		ret = next_status(m, deadline, err);
		if (ret)
			return ret;
	}
}

/* The destination has the state: its incoming side completed. */
static int wait_dst_loaded(struct hvt_migration *m, int64_t deadline, struct hvt_err *err)
{
	for (;;) {
		struct hvt_migrate_stats st;
		int ret = hvt_migrate_query_vm(m->dst, &st, err);

		if (ret)
			return hvt_err_prefix(err, "destination");
		if (!strcmp(st.status, "completed"))
			return 0;
		if (hvt_migrate_status_final(st.status))
			return hvt_err_set(err, -EIO, "destination: incoming migration %s%s%s",
					   st.status, st.error[0] ? ": " : "", st.error);
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT, "destination still loading (%s)",
					   st.status[0] ? st.status : "no status");
		hvt_qmp_poll(hvt_vm_qmp_client(m->dst), 50, NULL);
	}
}

int hvt_migrate_finish(struct hvt_migration *m, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	int ret = hvt_migrate_wait(m, "completed", timeout_ms, err);

	if (!ret && m->dst)
		ret = wait_dst_loaded(m, deadline, err);
	if (!ret)
		m->wall_ms = (double)(hvt_now_ms() - m->t0);
	return ret;
}

int hvt_migrate_cancel(struct hvt_migration *m, int timeout_ms, struct hvt_err *err)
{
	int ret = hvt_vm_qmp(m->src, NULL, err, "migrate_cancel", NULL);

	return ret ? ret : hvt_migrate_wait(m, "cancelled", timeout_ms, err);
}

int hvt_migrate_postcopy(struct hvt_migration *m, struct hvt_err *err)
{
	return hvt_vm_qmp(m->src, NULL, err, "migrate-start-postcopy", NULL);
}

int hvt_migrate_pause(struct hvt_migration *m, struct hvt_err *err)
{
	return hvt_vm_qmp(m->src, NULL, err, "migrate-pause", NULL);
}

/* Wait until vm's own query-migrate says status. */
static int wait_vm_status(struct hvt_vm *vm, const char *status, int64_t deadline,
			  struct hvt_err *err)
{
	for (;;) {
		struct hvt_migrate_stats st;
		int ret = hvt_migrate_query_vm(vm, &st, err);

		if (ret)
			return ret;
		if (!strcmp(st.status, status))
			return 0;
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT, "%s: migration %s, not %s", hvt_vm_name(vm),
					   st.status[0] ? st.status : "with no status", status);
		hvt_qmp_poll(hvt_vm_qmp_client(vm), 50, NULL);
	}
}

int hvt_migrate_recover(struct hvt_migration *m, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	int ret;

	if (!m->dst)
		return hvt_err_set(err, -EINVAL, "no destination to recover to");
	ret = hvt_migrate_wait(m, "postcopy-paused", timeout_ms, err);
	if (!ret)
		ret = wait_vm_status(m->dst, "postcopy-paused", deadline, err);
	if (ret)
		return ret;
	m->gen++;
	if (m->transport == HVT_MIGRATE_TCP)
		m->port = 0;
	ret = make_channel(m, err);
	if (!ret)
		ret = listen_dst(m, "migrate-recover", err);
	if (ret)
		return ret;
	m->mark = m->statuses.n;
	ret = hvt_vm_qmp(m->src, NULL, err, "migrate", "{'uri': %s, 'resume': true}", m->uri);
	return ret ? hvt_err_prefix(err, "%s: resuming", hvt_vm_name(m->src)) : 0;
}

/* Cutting the connection from outside. */

/* Socket inodes of /proc/net/unix lines whose path is path and that are connected. */
static void unix_inodes(const char *path, unsigned long *ino, int max, int *n)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[4096];

	if (!f)
		return;
	while (*n < max && fgets(line, sizeof(line), f)) {
		unsigned long inode;
		unsigned st;
		int off = 0;
		char *p;

		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %*s %*s %x %lu %n", &st, &inode, &off) < 2 || !off)
			continue;
		p = line + off;
		p[strcspn(p, "\n")] = '\0';
		if (st == 3 && !strcmp(p, path))
			ino[(*n)++] = inode;
	}
	fclose(f);
}

/* Socket inodes of established connections to 127.0.0.1:port (/proc/net/tcp). */
static void tcp_inodes(int port, unsigned long *ino, int max, int *n)
{
	FILE *f = fopen("/proc/net/tcp", "re");
	char line[512];

	if (!f)
		return;
	while (*n < max && fgets(line, sizeof(line), f)) {
		unsigned laddr, lport, st;
		unsigned long inode;

		/* sl local rem st tx:rx tr:tm retrnsmt uid timeout inode */
		if (sscanf(line, " %*d: %x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu", &laddr,
			   &lport, &st, &inode) == 4 && (int)lport == port && st == 1)
			ino[(*n)++] = inode;
	}
	fclose(f);
}

/* Shut down the sockets of pid whose inodes are ino[]: returns how many. */
static int shut_sockets(pid_t pid, const unsigned long *ino, int nino, struct hvt_err *err)
{
	char dir[64], link[96], target[64];
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), done = 0;
	struct dirent *de;
	DIR *d;

	if (pidfd < 0)
		return hvt_err_set(err, -errno, "pidfd_open %d: %s", (int)pid, strerror(errno));
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d) {
		close(pidfd);
		return hvt_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		unsigned long inode;
		ssize_t len;
		int fd;

		snprintf(link, sizeof(link), "%s/%.16s", dir, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (sscanf(target, "socket:[%lu]", &inode) != 1)
			continue;
		for (int i = 0; i < nino; i++) {
			if (ino[i] != inode)
				continue;
			fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
			if (fd < 0)
				continue;
			done += !shutdown(fd, SHUT_RDWR);
			close(fd);
			break;
		}
	}
	closedir(d);
	close(pidfd);
	return done;
}

/* Add the children of pid (of all its threads) to kids, then theirs. */
static void descendants(pid_t pid, pid_t *kids, int max, int *n)
{
	char path[64];
	struct dirent *de;
	int first = *n;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && *n < max) {
		char file[128], *text = NULL, *p, *end;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%.16s/children", path, de->d_name);
		if (hvt_file_read(file, &text, NULL, NULL))
			continue;
		for (p = text; *p && *n < max; p = end) {
			long child = strtol(p, &end, 10);

			if (end == p)
				break;
			if (child > 0)
				kids[(*n)++] = (pid_t)child;
		}
		free(text);
	}
	closedir(d);
	for (int i = first, last = *n; i < last; i++)
		descendants(kids[i], kids, max, n);
}

/*
 * exec: kill the source's transport command: QEMU's child (/bin/sh) and
 * whatever that runs (cat), which would otherwise keep the pipe open.
 */
static int kill_exec(struct hvt_migration *m, struct hvt_err *err)
{
	pid_t kids[32];
	int n = 0, done = 0;

	descendants(hvt_proc_pid(hvt_vm_proc(m->src)), kids, (int)HVT_ARRAY_SIZE(kids), &n);
	for (int i = n - 1; i >= 0; i--)
		done += !kill(kids[i], SIGKILL);
	(void)err;
	return done;
}

int hvt_migrate_cut(struct hvt_migration *m, int *n, struct hvt_err *err)
{
	unsigned long ino[16];
	int nino = 0, done;

	if (n)
		*n = 0;
	if (m->transport == HVT_MIGRATE_EXEC) {
		done = kill_exec(m, err);
	} else {
		if (!m->dst)
			return hvt_err_set(err, -EINVAL, "no destination: no connection to cut");
		if (m->transport == HVT_MIGRATE_UNIX)
			unix_inodes(m->path, ino, (int)HVT_ARRAY_SIZE(ino), &nino);
		else if (m->transport == HVT_MIGRATE_TCP)
			tcp_inodes(m->port, ino, (int)HVT_ARRAY_SIZE(ino), &nino);
		else if (m->fd_ino)
			ino[nino++] = m->fd_ino;
		done = shut_sockets(hvt_proc_pid(hvt_vm_proc(m->dst)), ino, nino, err);
	}
	if (done < 0)
		return done;
	if (!done)
		return hvt_err_set(err, -ENOENT, "no %s migration connection to cut",
				   hvt_migrate_transport_name(m->transport));
	if (n)
		*n = done;
	return 0;
}

/* What the guest sees. */

static void add_pci_bus(struct json_object *out, struct json_object *devices)
{
	for (size_t i = 0; devices && i < json_object_array_length(devices); i++) {
		struct json_object *d = json_object_array_get_idx(devices, i);
		const char *id = hvt_json_get_str(d, "qdev_id");
		char *s = hvt_asprintf("%02llx:%02llx.%llx %04llx:%04llx%s%s%s",
				       (long long)hvt_json_get_int(d, "bus", 0),
				       (long long)hvt_json_get_int(d, "slot", 0),
				       (long long)hvt_json_get_int(d, "function", 0),
				       (long long)hvt_json_get_int(d, "id.vendor", 0),
				       (long long)hvt_json_get_int(d, "id.device", 0),
				       id && *id ? " (" : "", id && *id ? id : "", id && *id ? ")" : "");

		json_object_array_add(out, json_object_new_string(s));
		free(s);
		add_pci_bus(out, hvt_json_get(d, "pci_bridge.devices"));
	}
}

int hvt_migrate_devices(struct hvt_vm *vm, struct json_object **out, struct hvt_err *err)
{
	struct json_object *pci = NULL, *blk = NULL, *bal = NULL, *o, *list;
	struct hvt_err ignored = HVT_ERR_INIT;
	int ret;

	*out = NULL;
	ret = hvt_vm_qmp(vm, &pci, err, "query-pci", NULL);
	if (!ret)
		ret = hvt_vm_qmp(vm, &blk, err, "query-block", NULL);
	if (ret)
		goto out;
	o = json_object_new_object();
	list = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(pci); i++)
		add_pci_bus(list, hvt_json_get(json_object_array_get_idx(pci, i), "devices"));
	json_object_object_add(o, "pci", list);
	list = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(blk); i++) {
		struct json_object *b = json_object_array_get_idx(blk, i);
		const char *file = hvt_json_get_str(b, "inserted.file");
		const char *dev = hvt_json_get_str(b, "device");
		char *s = hvt_asprintf("%s: %s%s", dev ? dev : "?",
				       file ? file : "(empty)",
				       hvt_json_get_bool(b, "inserted.ro", false) ? " (read-only)" : "");

		json_object_array_add(list, json_object_new_string(s));
		free(s);
	}
	json_object_object_add(o, "block", list);
	/* no balloon is not an error: the member is then null */
	if (!hvt_vm_qmp(vm, &bal, &ignored, "query-balloon", NULL))
		json_object_object_add(o, "balloon",
				       json_object_new_int64(hvt_json_get_int(bal, "actual", -1)));
	else
		json_object_object_add(o, "balloon", NULL);
	*out = o;
out:
	json_object_put(pci);
	json_object_put(blk);
	json_object_put(bal);
	return ret;
}

static int compare_list(const char *what, struct json_object *a, struct json_object *b,
			struct hvt_err *err)
{
	size_t na = a ? json_object_array_length(a) : 0, nb = b ? json_object_array_length(b) : 0;

	for (size_t i = 0; i < na || i < nb; i++) {
		const char *x = i < na ? json_object_get_string(json_object_array_get_idx(a, i)) : NULL;
		const char *y = i < nb ? json_object_get_string(json_object_array_get_idx(b, i)) : NULL;

		if (x && y && !strcmp(x, y))
			continue;
		return hvt_err_set(err, -EINVAL, "%s device %zu: '%s' on the source, '%s' on the "
				   "destination", what, i + 1, x ? x : "none", y ? y : "none");
	}
	return 0;
}

int hvt_migrate_devices_compare(struct json_object *src, struct json_object *dst,
				struct hvt_err *err)
{
	int ret = compare_list("PCI", hvt_json_get(src, "pci"), hvt_json_get(dst, "pci"), err);
	struct json_object *a, *b;

	if (!ret)
		ret = compare_list("block", hvt_json_get(src, "block"), hvt_json_get(dst, "block"),
				   err);
	if (ret)
		return ret;
	a = hvt_json_get(src, "balloon");
	b = hvt_json_get(dst, "balloon");
	if (!a != !b || (a && json_object_get_int64(a) != json_object_get_int64(b)))
		return hvt_err_set(err, -EINVAL, "balloon: %s on the source, %s on the destination",
				   a ? json_object_get_string(a) : "none",
				   b ? json_object_get_string(b) : "none");
	return 0;
}

int hvt_migrate_run(struct hvt_vm *src, struct hvt_vm *dst, const struct hvt_migrate_opts *opts,
		    int timeout_ms, struct hvt_migrate_stats *st, struct hvt_err *err)
{
	struct hvt_migration *m;
	int ret;

	if (st) {
		memset(st, 0, sizeof(*st));
		st->total_ms = st->downtime_ms = st->wall_ms = -1;
	}
	if (opts->on_cmdline)
		return hvt_err_set(err, -EINVAL, "hvt_migrate_run() wants a destination started "
				   "with -incoming defer");
	m = hvt_migrate_new(src, opts, err);
	if (!m)
		return err ? err->code : -EINVAL;
	ret = hvt_migrate_start(m, dst, err);
	if (!ret)
		ret = hvt_migrate_finish(m, timeout_ms, err);
	if (st)
		hvt_migrate_query(m, st, NULL);
	hvt_migrate_free(m);
	return ret;
}
