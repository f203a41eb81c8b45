// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Socket plumbing the protocol clients share: connect to a unix socket
 * that appears late, send and receive on a non-blocking fd with deadlines,
 * and ask the kernel why a server does not answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock.h"

/* Retry backoff while the socket does not exist or listen yet. */
#define CONNECT_FIRST_MS 1
#define CONNECT_MAX_MS 50
/*
 * How long HVT_SOCK_LISTENING retries a refused connection: a server
 * listens right after it binds (microseconds later), while a socket left
 * behind by a server that has exited refuses for good.
 */
#define REFUSED_GRACE_MS 200
/* Room for one read of the kernel's socket list (it sends many). */
#define DIAG_BUF_SIZE (32 * 1024)

/* What path is when it exists but is no socket ("a directory"), else NULL. */
static const char *non_socket_kind(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || S_ISSOCK(st.st_mode))
		return NULL;
	if (S_ISDIR(st.st_mode))
		return "a directory";
	if (S_ISREG(st.st_mode))
		return "a regular file";
	if (S_ISFIFO(st.st_mode))
		return "a FIFO";
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return "a device";
	return "something else";
}

static bool worth_retrying(enum hvt_sock_wait wait, int e, int64_t waited_ms)
{
	if (e == EAGAIN) /* listen queue full: the server is there, but busy */
		return true;
	if (wait == HVT_SOCK_STARTING)
		return e == ENOENT || e == ECONNREFUSED;
	return e == ECONNREFUSED && waited_ms < REFUSED_GRACE_MS;
}

/* Why the last attempt failed, for a message. */
static const char *reason(int e, const char *kind)
{
	if (kind)
		return "it is not a socket";
	if (e == EAGAIN)
		return "its listen queue is full: the server accepts no connections (busy, "
		       "stopped, or serving other clients one at a time)";
	return strerror(e);
}

/* sa for path, or -ENAMETOOLONG if path does not fit in sun_path. */
static int unix_addr(struct sockaddr_un *sa, const char *path, struct hvt_err *err)
{
	size_t len = strlen(path);

	if (len >= sizeof(sa->sun_path))
		return hvt_err_set(err, -ENAMETOOLONG,
				   "socket path is too long for a unix socket (%zu bytes, at most %zu): %s",
				   len, sizeof(sa->sun_path) - 1, path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

/* The error of a connect that is not worth retrying. */
static int connect_error(const char *path, int e, struct hvt_err *err)
{
	if (e == ECONNREFUSED)
		return hvt_err_set(err, -e, "cannot connect to %s: nothing listens on it (%s): "
				   "left behind by a process that has exited?", path, strerror(e));
	return hvt_err_set(err, -e, "cannot connect to %s: %s", path, strerror(e));
}

int hvt_sock_connect(const char *path, enum hvt_sock_wait wait, int timeout_ms,
		     struct hvt_err *err)
{
	struct sockaddr_un sa;
	int64_t start = hvt_now_ms();
	int64_t deadline = hvt_deadline_after(timeout_ms);
	int delay = CONNECT_FIRST_MS;

	if (unix_addr(&sa, path, err))
		return -ENAMETOOLONG;
	for (;;) {
		/* Non-blocking, or a full listen queue would hold connect() forever. */
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		const char *kind = NULL;
		int e, flags;

		if (fd < 0)
			return hvt_err_set(err, -errno, "cannot create a unix socket: %s",
					   strerror(errno));
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			flags = fcntl(fd, F_GETFL);
			if (flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) >= 0)
				return fd;
			e = errno;
			close(fd);
			return hvt_err_set(err, -e, "cannot connect to %s: fcntl: %s", path,
					   strerror(e));
		}
		e = errno;
		close(fd);
		if (e == EINTR)
			continue;
		/* connect() says "refused" for a file that is no socket at all. */
		if (e == ECONNREFUSED)
			kind = non_socket_kind(path);
		if (kind && wait == HVT_SOCK_LISTENING)
			return hvt_err_set(err, -ENOTSOCK, "cannot connect to %s: it is %s, "
					   "not a socket", path, kind);
		if (!worth_retrying(wait, e, hvt_now_ms() - start))
			return connect_error(path, e, err);
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT, "cannot connect to %s within %d ms: %s",
					   path, timeout_ms, reason(e, kind));
		/* A sleep; a signal only makes the next try come sooner. */
		(void)poll(NULL, 0, delay < hvt_ms_left(deadline) ? delay : hvt_ms_left(deadline));
		delay = delay * 2 < CONNECT_MAX_MS ? delay * 2 : CONNECT_MAX_MS;
	}
}

int hvt_sock_connect_unix(const char *path, int timeout_ms, struct hvt_err *err)
{
	return hvt_sock_connect(path, HVT_SOCK_STARTING, timeout_ms, err);
}

int hvt_sock_listen_unix(const char *path, struct hvt_err *err)
{
	struct sockaddr_un sa;
	int fd, e;

	if (unix_addr(&sa, path, err))
		return -ENAMETOOLONG;
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hvt_err_set(err, -errno, "cannot create a unix socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		e = errno;
		close(fd);
		return hvt_err_set(err, -e, "cannot listen on %s: %s", path, strerror(e));
	}
	return fd;
}

/* What hvt_sock_unix_state() looks for in the kernel's list of unix sockets. */
struct diag_match {
	uint32_t own_ino;	   /* the connection's socket inode */
	uint32_t file_ino;	   /* the socket file's inode ... */
	unsigned int file_major;   /* ... and device */
	unsigned int file_minor;
	bool found_own, found_listener;
};

/* Account for one socket of the dump: attrs are its netlink attributes. */
static void diag_one(const struct unix_diag_msg *m, const unsigned char *attrs, size_t len,
		     struct diag_match *dm, struct hvt_sock_unix_state *st)
{
	const unsigned char *icons = NULL;
	bool has_peer = false, same_file = false;
	size_t n_icons = 0;
	uint32_t peer = 0;

	while (len >= sizeof(struct rtattr)) {
		const struct rtattr *a = (const void *)attrs;
		size_t alen = a->rta_len, step = RTA_ALIGN(alen);
		const unsigned char *data = attrs + RTA_LENGTH(0);

		if (alen < sizeof(*a) || alen > len)
			break;
		if (a->rta_type == UNIX_DIAG_PEER && alen >= RTA_LENGTH(sizeof(peer))) {
			memcpy(&peer, data, sizeof(peer));
			has_peer = true;
		} else if (a->rta_type == UNIX_DIAG_VFS &&
			   alen >= RTA_LENGTH(sizeof(struct unix_diag_vfs))) {
			struct unix_diag_vfs vfs;

			memcpy(&vfs, data, sizeof(vfs));
			/* The kernel's own dev_t encoding: major << 20 | minor. */
			same_file = vfs.udiag_vfs_ino == dm->file_ino &&
				    vfs.udiag_vfs_dev >> 20 == dm->file_major &&
				    (vfs.udiag_vfs_dev & 0xfffff) == dm->file_minor;
		} else if (a->rta_type == UNIX_DIAG_ICONS) {
			icons = data;
			n_icons = (alen - RTA_LENGTH(0)) / sizeof(uint32_t);
		}
		if (step >= len)
			break;
		attrs += step;
		len -= step;
	}
	if (m->udiag_ino == dm->own_ino) {
		/* Until accept(), the server's end has no inode. */
		dm->found_own = true;
		st->accepted = has_peer && peer;
		return;
	}
	if (!same_file)
		return;
	if (m->udiag_state == TCP_LISTEN) {
		/* Its queue: the inodes of the clients it has not accepted yet. */
		dm->found_listener = true;
		for (size_t i = 0; i < n_icons; i++) {
			uint32_t ino;

			memcpy(&ino, icons + i * sizeof(ino), sizeof(ino));
			if (ino != dm->own_ino)
				st->waiting++;
		}
	} else if (m->udiag_state == TCP_ESTABLISHED && peer != dm->own_ino) {
		/* The server's end of a connection it has accepted. */
		st->served++;
	}
}

/*
 * Account for the messages of one read of the dump. Returns 1 at its end,
 * 0 when more is to come, or -errno (from the kernel, or -EPROTO).
 */
static int diag_batch(const unsigned char *p, size_t left, struct diag_match *dm,
		      struct hvt_sock_unix_state *st)
{
	const size_t head = NLMSG_SPACE(sizeof(struct unix_diag_msg));

	while (left >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nh = (const void *)p;
		size_t mlen = nh->nlmsg_len, step = NLMSG_ALIGN(mlen);

		if (mlen < sizeof(*nh) || mlen > left)
			return -EPROTO;
		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			if (mlen < NLMSG_LENGTH(sizeof(*e)) || e->error >= 0)
				return -EPROTO;
			return e->error;
		}
		if (nh->nlmsg_type == SOCK_DIAG_BY_FAMILY && mlen >= head)
			diag_one(NLMSG_DATA(nh), p + head, mlen - head, dm, st);
		if (step >= left)
			break;
		p += step;
		left -= step;
	}
	return 0;
}

int hvt_sock_unix_state(int fd, const char *path, struct hvt_sock_unix_state *st,
			struct hvt_err *err)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req req;
	} msg = {
		.nh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.req = {
			.sdiag_family = AF_UNIX,
			.udiag_states = ~0u,
			.udiag_show = UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS,
		},
	};
	struct timeval rcv_timeout = { .tv_sec = 1 };
	struct diag_match dm = { 0 };
	struct stat own, file;
	uint32_t *buf = NULL; /* aligned for nlmsghdr */
	int nl, r = 0;

	memset(st, 0, sizeof(*st));
	if (fstat(fd, &own) < 0 || !S_ISSOCK(own.st_mode))
		return hvt_err_set(err, -ENOTSOCK, "fd %d is not a socket", fd);
	if (stat(path, &file) < 0)
		return hvt_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(file.st_mode))
		return hvt_err_set(err, -ENOTSOCK, "%s is not a socket", path);
	dm.own_ino = (uint32_t)own.st_ino;
	dm.file_ino = (uint32_t)file.st_ino;
	dm.file_major = major(file.st_dev);
	dm.file_minor = minor(file.st_dev);

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return hvt_err_set(err, -errno, "sock_diag: %s", strerror(errno));
	/* A diagnosis must not hang what it explains. */
	(void)setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &rcv_timeout, sizeof(rcv_timeout));
	if (send(nl, &msg, sizeof(msg), 0) < 0) {
		r = hvt_err_set(err, -errno, "sock_diag: %s", strerror(errno));
		goto out;
	}
	buf = hvt_malloc(DIAG_BUF_SIZE);
	while (!r) {
		ssize_t n = recv(nl, buf, DIAG_BUF_SIZE, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n ? -errno : -EPROTO;
		else
			r = diag_batch((const void *)buf, (size_t)n, &dm, st);
	}
	if (r < 0) {
		hvt_err_set(err, r, "sock_diag: %s", strerror(-r));
		goto out;
	}
	r = 0;
	if (!dm.found_own)
		r = hvt_err_set(err, -ENOENT, "sock_diag: fd %d is not among the unix sockets", fd);
	else if (!dm.found_listener)
		r = hvt_err_set(err, -ENOENT,
				"sock_diag: nothing listens on %s in this network namespace", path);
out:
	free(buf);
	close(nl);
	return r;
}

int hvt_sock_send_all(int fd, const void *buf, size_t len, int64_t deadline,
		      struct hvt_err *err)
{
	const char *p = buf;
	bool is_sock = true;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n;
		int r;

		n = is_sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == ENOTSOCK && is_sock) {
			is_sock = false;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return hvt_err_set(err, -ECONNRESET, "fd %d: connection closed by the peer",
					   fd);
		if (errno != EAGAIN)
			return hvt_err_set(err, -errno, "cannot write to fd %d: %s", fd,
					   strerror(errno));
		r = poll(&pfd, 1, deadline < 0 ? -1 : hvt_ms_left(deadline));
		if (!r)
			return hvt_err_set(err, -ETIMEDOUT, "fd %d: the peer does not read", fd);
		if (r < 0 && errno != EINTR)
			return hvt_err_set(err, -errno, "poll on fd %d: %s", fd, strerror(errno));
	}
	return 0;
}

ssize_t hvt_sock_recv(int fd, void *buf, size_t len, int64_t deadline, struct hvt_err *err)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, deadline < 0 ? -1 : hvt_ms_left(deadline));
		ssize_t n;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return hvt_err_set(err, -errno, "poll on fd %d: %s", fd, strerror(errno));
		}
		if (!r)
			return hvt_err_set(err, -ETIMEDOUT, "fd %d: nothing to read", fd);
		n = read(fd, buf, len);
		if (n > 0)
			return n;
		if (!n || errno == ECONNRESET)
			return hvt_err_set(err, -ECONNRESET, "fd %d: connection closed by the peer",
					   fd);
		if (errno != EINTR && errno != EAGAIN)
			return hvt_err_set(err, -errno, "cannot read from fd %d: %s", fd,
					   strerror(errno));
	}
}
