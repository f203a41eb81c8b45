// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Socket plumbing the protocol clients share: connect to a unix socket
 * that appears late, send and receive on a non-blocking fd with deadlines.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock.h"

/* Retry backoff while the socket does not exist or listen yet. */
#define CONNECT_FIRST_MS 1
#define CONNECT_MAX_MS 50

int hvt_sock_connect_unix(const char *path, int timeout_ms, struct hvt_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = timeout_ms < 0 ? INT64_MAX / 2 : hvt_now_ms() + timeout_ms;
	size_t len = strlen(path);
	int delay = CONNECT_FIRST_MS;

	if (len >= sizeof(sa.sun_path))
		return hvt_err_set(err, -ENAMETOOLONG,
				   "socket path is too long for a unix socket (%zu bytes, at most %zu): %s",
				   len, sizeof(sa.sun_path) - 1, path);
	memcpy(sa.sun_path, path, len + 1);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int e;

		if (fd < 0)
			return hvt_err_set(err, -errno, "cannot create a unix socket: %s",
					   strerror(errno));
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		e = errno;
		close(fd);
		if (e == EINTR)
			continue;
		if (e != ENOENT && e != ECONNREFUSED && e != EAGAIN)
			return hvt_err_set(err, -e, "cannot connect to %s: %s", path, strerror(e));
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT, "cannot connect to %s within %d ms: %s",
					   path, timeout_ms, strerror(e));
		/* A sleep; a signal only makes the next try come sooner. */
		(void)poll(NULL, 0, delay < hvt_ms_left(deadline) ? delay : hvt_ms_left(deadline));
		delay = delay * 2 < CONNECT_MAX_MS ? delay * 2 : CONNECT_MAX_MS;
	}
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
