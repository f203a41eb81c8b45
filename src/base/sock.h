/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket plumbing the protocol clients share: connecting to a unix socket
 * that may not exist yet, sending a whole message and waiting for input
 * on a non-blocking fd, with deadlines; asking the kernel why a server
 * does not answer.
 */
#ifndef HVT_SOCK_H
#define HVT_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* What a connect waits for depends on whether the server has just been started. */
enum hvt_sock_wait {
	/*
	 * The server should be listening already (a user named the socket):
	 * a path that does not exist or is not a socket fails at once, a
	 * refused connection (nothing listens) after a short grace that
	 * covers a server between bind() and listen(). Only a full listen
	 * queue is waited for.
	 */
	HVT_SOCK_LISTENING,
	/*
	 * The server has just been started: wait for its socket to appear
	 * and to take connections.
	 */
	HVT_SOCK_STARTING,
};

/*
 * Connect to the unix stream socket at path within timeout_ms (negative:
 * no limit; 0: one attempt), retrying as wait says. The connect never
 * blocks past the deadline, not even on a server whose listen queue is
 * full. Returns a connected, blocking, close-on-exec fd the caller owns,
 * or -errno: -ENAMETOOLONG if path does not fit in sun_path; with
 * HVT_SOCK_LISTENING -ENOENT or -ENOTSOCK (path is not a socket) at once
 * and -ECONNREFUSED (nothing listens) after the grace; -ETIMEDOUT if the
 * socket did not take the connection in time (err names the last
 * reason); or the error connect() failed with. err names path.
 */
int hvt_sock_connect(const char *path, enum hvt_sock_wait wait, int timeout_ms,
		     struct hvt_err *err);
/* hvt_sock_connect() with HVT_SOCK_STARTING. */
int hvt_sock_connect_unix(const char *path, int timeout_ms, struct hvt_err *err);
/*
 * Listen on the unix stream socket at path (a stale socket file there is
 * removed first) for one peer at a time. Returns a close-on-exec fd the
 * caller owns, or -errno: -ENAMETOOLONG if path does not fit in sun_path.
 */
int hvt_sock_listen_unix(const char *path, struct hvt_err *err);

/* A connection to a listening unix socket, as the kernel sees it. */
struct hvt_sock_unix_state {
	bool accepted; /* the server has accepted this connection */
	int served;    /* other connections it has accepted and still holds */
	int waiting;   /* other connections waiting to be accepted */
};

/*
 * Ask the kernel (Linux sock_diag) about fd, a connection to the unix
 * socket listening at path: has the server accepted it, and how many
 * other connections does it hold? Used to explain a server that does not
 * answer. Returns 0, or -errno when the kernel cannot tell (no sock_diag,
 * a listener in another network namespace, path replaced meanwhile).
 */
int hvt_sock_unix_state(int fd, const char *path, struct hvt_sock_unix_state *st,
			struct hvt_err *err);

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
