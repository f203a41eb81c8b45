/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP client: greeting and capabilities, commands with timeouts, an event
 * queue that never drops an event, and a time-stamped transcript.
 */
#ifndef HVT_QMP_H
#define HVT_QMP_H

#include <stdbool.h>

#include "json.h"

struct hvt_qmp;

struct hvt_qmp_event {
	char *name;		  /* "STOP", "DEVICE_DELETED", ... */
	struct json_object *data; /* "data" member, or NULL (borrowed from raw) */
	struct json_object *raw;  /* the whole message (owned) */
	double timestamp;	  /* QEMU's timestamp, seconds since the epoch */
};

/*
 * Timeouts are in milliseconds; a negative timeout means no limit.
 * A client is not thread-safe: use it from one thread at a time.
 */

/*
 * Connect to the QMP unix socket at path of a QEMU that has just been
 * started, retrying until the socket exists and accepts or timeout_ms
 * passes, read the greeting and negotiate capabilities: one deadline for
 * all of it. -ENAMETOOLONG if path does not fit a unix socket address;
 * -ETIMEDOUT with the reason when no greeting comes (QEMU serves one
 * client per monitor at a time: err says whether another client holds it).
 * transcript: file to append every message to (NULL: none), one line per
 * message, "<UTC time> -> <JSON>" for sent and "<UTC time> <- <JSON>" for
 * received ones, each written at once (unbuffered), so that it survives
 * a crash. Returns NULL with err set on failure; err->msg names path.
 */
struct hvt_qmp *hvt_qmp_connect(const char *path, int timeout_ms,
				const char *transcript, struct hvt_err *err);
/*
 * The same for the monitor of a QEMU that is already running (a socket a
 * user named): a path that does not exist or is not a socket fails at
 * once (-ENOENT, -ENOTSOCK), and so does one nothing listens on
 * (-ECONNREFUSED, after a grace of a fraction of a second).
 */
struct hvt_qmp *hvt_qmp_attach(const char *path, int timeout_ms, const char *transcript,
			       struct hvt_err *err);
/* The same over an already connected fd, which the client then owns. */
struct hvt_qmp *hvt_qmp_open_fd(int fd, int timeout_ms, const char *transcript,
				struct hvt_err *err);
void hvt_qmp_free(struct hvt_qmp *qmp);

/* QEMU version from the greeting. */
void hvt_qmp_version(const struct hvt_qmp *qmp, int *major, int *minor, int *micro);
/* The connection's fd, for poll() by callers that multiplex. */
int hvt_qmp_fd(const struct hvt_qmp *qmp);
/* Largest message accepted (default HVT_JSTREAM_MAX_MSG_DEFAULT). */
void hvt_qmp_set_max_msg(struct hvt_qmp *qmp, size_t max);

/*
 * Execute cmd with args (a reference the call takes over; NULL for none)
 * and wait up to timeout_ms for its reply. On success *ret (if ret is not
 * NULL) gets a new reference to the "return" member. A QMP error returns
 * -EREMOTEIO with err->cls set to the error class and err->msg to
 * "<cmd>: <desc>"; -ETIMEDOUT on timeout (a late reply is dropped when it
 * arrives: each command has its own id); -ECONNRESET ("QMP connection
 * closed by QEMU") when QEMU closed the connection. Events that arrive
 * meanwhile are queued.
 * After end of file, an I/O error or a malformed (-EBADMSG) or oversized
 * (-EMSGSIZE) message, the connection is unusable: every later call that
 * needs it fails with the same error. Queued events stay available.
 */
int hvt_qmp_execute(struct hvt_qmp *qmp, const char *cmd, struct json_object *args,
		    struct json_object **ret, int timeout_ms, struct hvt_err *err);
/*
 * The same with args built by hvt_json_build() from args_fmt (NULL: none):
 * %s becomes a quoted JSON string. A format that does not build is -EINVAL.
 */
int hvt_qmp_executef(struct hvt_qmp *qmp, struct json_object **ret, int timeout_ms,
		     struct hvt_err *err, const char *cmd, const char *args_fmt, ...)
	HVT_PRINTF(6, 7);
/*
 * Send a command and do not wait for the reply (used for "quit", whose
 * reply may never come). The reply, if any, is discarded when it arrives.
 */
int hvt_qmp_send(struct hvt_qmp *qmp, const char *cmd, struct json_object *args,
		 struct hvt_err *err);

typedef bool (*hvt_qmp_event_pred)(const struct hvt_qmp_event *ev, void *opaque);
/*
 * A predicate for events that happened after something: opaque points to
 * a double, a wall-clock time (hvt_wall_now()) taken before the action
 * that causes the event; events QEMU stamped before it (left from
 * earlier) do not match and stay queued.
 */
bool hvt_qmp_event_since(const struct hvt_qmp_event *ev, void *opaque);

/*
 * Wait until an event named name (NULL: any) for which pred (NULL: always)
 * returns true is queued or arrives; remove it from the queue and hand it
 * to the caller in *out (free with hvt_qmp_event_free()). Other events stay
 * queued in order. -ETIMEDOUT after timeout_ms.
 */
int hvt_qmp_event_wait(struct hvt_qmp *qmp, const char *name, hvt_qmp_event_pred pred,
		       void *opaque, int timeout_ms, struct hvt_qmp_event **out,
		       struct hvt_err *err);
/* Remove and return the oldest queued event, or NULL (does not read). */
struct hvt_qmp_event *hvt_qmp_event_pop(struct hvt_qmp *qmp);
/* Read whatever is available within timeout_ms into the queue. */
int hvt_qmp_poll(struct hvt_qmp *qmp, int timeout_ms, struct hvt_err *err);
/* Drop every queued event. */
void hvt_qmp_event_clear(struct hvt_qmp *qmp);
void hvt_qmp_event_free(struct hvt_qmp_event *ev);

#endif
