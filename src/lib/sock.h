/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket plumbing the protocol clients share: connecting to a unix socket
 * that may not exist yet, sending a whole message and waiting for input
 * on a non-blocking fd, with deadlines.
 */
#ifndef HVT_SOCK_H
#define HVT_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/*
 * Connect to the unix stream socket at path, retrying while it does not
 * exist or nobody listens on it yet, for up to timeout_ms (negative: no
 * limit). Returns a connected, blocking, close-on-exec fd the caller owns,
 * or -errno: -ENAMETOOLONG if path does not fit in sun_path, -ETIMEDOUT
 * if the socket did not take the connection in time (err names the last
 * reason), or the error connect() failed with otherwise. err names path.
 */
int hvt_sock_connect_unix(const char *path, int timeout_ms, struct hvt_err *err);

/*
 * Write len bytes of buf to fd, which may be non-blocking: while the
 * buffer is full, wait for room until deadline (a hvt_now_ms() value;
 * negative: no limit). On a socket this uses MSG_NOSIGNAL, so a peer that
 * has gone away is an error and not SIGPIPE; any other fd gets write().
 * Returns 0, -ECONNRESET when the peer closed the connection, -ETIMEDOUT
 * when it did not read in time (part of buf may be sent), or another
 * -errno from the write.
 */
int hvt_sock_send_all(int fd, const void *buf, size_t len, int64_t deadline,
		      struct hvt_err *err);

/*
 * Wait until fd (which may be non-blocking) has data or deadline passes
 * (a hvt_now_ms() value; negative: no limit), then read up to len bytes
 * into buf. Returns how many (at least 1), -ECONNRESET when the peer
 * closed the connection, -ETIMEDOUT, or another -errno from poll or read.
 */
ssize_t hvt_sock_recv(int fd, void *buf, size_t len, int64_t deadline, struct hvt_err *err);

#endif
