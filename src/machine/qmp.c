// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP client over a unix socket: commands matched to replies by id, an
 * ordered event queue, and a transcript of every message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "qmp.h"
#include "sock.h"

/* How long hvt_qmp_send() may wait for room in the socket buffer. */
#define SEND_TIMEOUT_MS 5000

struct hvt_qmp {
	/* Broken for good after EOF, an I/O or a framing error. */
	struct hvt_chan ch;
	int tfd;		/* transcript, or -1 */
	int64_t next_id;
	bool have_greeting;
	int version[3];
	/* FIFO of events: ev[ev_head .. ev_head + ev_n) */
	struct hvt_qmp_event **ev;
	size_t ev_head, ev_n, ev_alloc;
};

/* Append one line to the transcript; it is written at once, unbuffered. */
static void transcript(struct hvt_qmp *qmp, const char *dir, const char *text)
{
	struct hvt_buf line = HVT_BUF_INIT;
	char now[40];

	if (qmp->tfd < 0)
		return;
	hvt_wallclock(now, sizeof(now));
	hvt_buf_addf(&line, "%s %s %s\n", now, dir, text);
	/* Best effort: a full disk must not fail the command. */
	(void)hvt_write_all(qmp->tfd, line.p, line.len);
	hvt_buf_release(&line);
}

static void event_push(struct hvt_qmp *qmp, struct hvt_qmp_event *ev)
{
	if (qmp->ev_head && qmp->ev_head + qmp->ev_n == qmp->ev_alloc) {
		memmove(qmp->ev, qmp->ev + qmp->ev_head, qmp->ev_n * sizeof(*qmp->ev));
		qmp->ev_head = 0;
	}
	if (qmp->ev_n == qmp->ev_alloc) {
		qmp->ev_alloc = qmp->ev_alloc ? qmp->ev_alloc * 2 : 16;
		qmp->ev = hvt_realloc(qmp->ev, qmp->ev_alloc * sizeof(*qmp->ev));
	}
	qmp->ev[qmp->ev_head + qmp->ev_n++] = ev;
}

/* Remove the i-th queued event, keeping the others in order. */
static struct hvt_qmp_event *event_take(struct hvt_qmp *qmp, size_t i)
{
	struct hvt_qmp_event **base = qmp->ev + qmp->ev_head;
	struct hvt_qmp_event *ev = base[i];

	if (i == 0) {
		qmp->ev_head++;
	} else {
		memmove(base + i, base + i + 1, (qmp->ev_n - i - 1) * sizeof(*base));
	}
	if (!--qmp->ev_n)
		qmp->ev_head = 0;
	return ev;
}

static void queue_event(struct hvt_qmp *qmp, struct json_object *msg)
{
	struct hvt_qmp_event *ev = hvt_zalloc(sizeof(*ev));

	ev->raw = msg;
	ev->name = hvt_strdup(hvt_json_get_str(msg, "event"));
	ev->data = hvt_json_get(msg, "data");
	ev->timestamp = (double)hvt_json_get_int(msg, "timestamp.seconds", 0) +
			(double)hvt_json_get_int(msg, "timestamp.microseconds", 0) / 1e6;
	event_push(qmp, ev);
}

static bool is_reply_for(struct json_object *msg, int64_t id)
{
	struct json_object *v;
	bool is_error = json_object_object_get_ex(msg, "error", NULL);

	if (!is_error && !json_object_object_get_ex(msg, "return", NULL))
		return false;
	if (!json_object_object_get_ex(msg, "id", &v))
		/* QEMU could not parse the command, so it could not echo the id. */
		return is_error;
	return json_object_is_type(v, json_type_int) && json_object_get_int64(v) == id;
}

/*
 * Sort the framed messages: events to the queue, the greeting and the
 * reply to command want_id (if reply is not NULL) aside, the rest away.
 */
static void dispatch(struct hvt_qmp *qmp, int64_t want_id, struct json_object **reply)
{
	struct json_object *msg, *greeting;

	while ((msg = hvt_jstream_pop(qmp->ch.js))) {
		if (qmp->tfd >= 0)
			transcript(qmp, "<-", hvt_json_str(msg));
		if (hvt_json_get_str(msg, "event")) {
			queue_event(qmp, msg);
		} else if (!qmp->have_greeting &&
			   json_object_object_get_ex(msg, "QMP", &greeting)) {
			qmp->have_greeting = true;
			qmp->version[0] = (int)hvt_json_get_int(greeting, "version.qemu.major", 0);
			qmp->version[1] = (int)hvt_json_get_int(greeting, "version.qemu.minor", 0);
			qmp->version[2] = (int)hvt_json_get_int(greeting, "version.qemu.micro", 0);
			json_object_put(msg);
		} else if (reply && !*reply && is_reply_for(msg, want_id)) {
			*reply = msg;
		} else {
			/* A reply nobody waits for any more, or noise. */
			json_object_put(msg);
		}
	}
}

/*
 * Wait until data arrives or the deadline passes, read it and dispatch
 * it. Returns 0, -ETIMEDOUT (err not set), or another error (err set;
 * messages framed before it are dispatched all the same).
 */
static int fill(struct hvt_qmp *qmp, int64_t want_id, struct json_object **reply,
		int64_t deadline, struct hvt_err *err)
{
	int r = hvt_chan_fill(&qmp->ch, deadline, err);

	/* Also after a framing error: what was framed before it counts. */
	dispatch(qmp, want_id, reply);
	return r;
}

/* Send {"execute": cmd, "arguments": args, "id": N}; takes args over. */
static int send_command(struct hvt_qmp *qmp, const char *cmd, struct json_object *args,
			int64_t *id, int64_t deadline, struct hvt_err *err)
{
	struct json_object *msg;
	const char *text;
	int r;

	if (qmp->ch.broken) {
		json_object_put(args);
		return hvt_chan_check(&qmp->ch, err);
	}
	*id = qmp->next_id++;
	msg = json_object_new_object();
	json_object_object_add(msg, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(msg, "arguments", args);
	json_object_object_add(msg, "id", json_object_new_int64(*id));

	text = hvt_json_str(msg);
	transcript(qmp, "->", text);
	r = hvt_chan_send(&qmp->ch, text, false, deadline, err);
	if (r == -ETIMEDOUT)
		hvt_err_set(err, r, "QMP command '%s': QEMU does not read its socket", cmd);
	json_object_put(msg);
	return r;
}

int hvt_qmp_execute(struct hvt_qmp *qmp, const char *cmd, struct json_object *args,
		    struct json_object **ret, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms), id;
	struct json_object *reply = NULL;
	int r;

	if (ret)
		*ret = NULL;
	r = send_command(qmp, cmd, args, &id, deadline, err);
	if (r)
		return r;
	do {
		r = fill(qmp, id, &reply, deadline, err);
	} while (!r && !reply);
	if (!reply) {
		if (r == -ETIMEDOUT)
			hvt_err_set(err, r, "QMP command '%s' timed out after %d ms", cmd,
				    timeout_ms);
		return r;
	}

	return hvt_json_reply(reply, cmd, ret, err);
}

int hvt_qmp_executef(struct hvt_qmp *qmp, struct json_object **ret, int timeout_ms,
		     struct hvt_err *err, const char *cmd, const char *args_fmt, ...)
{
	struct json_object *args = NULL;

	if (args_fmt) {
		va_list ap;

		va_start(ap, args_fmt);
		args = hvt_json_vbuild(err, args_fmt, ap);
		va_end(ap);
		if (!args) {
			if (ret)
				*ret = NULL;
			hvt_err_prefix(err, "%s: bad arguments", cmd);
			return -EINVAL;
		}
	}
	return hvt_qmp_execute(qmp, cmd, args, ret, timeout_ms, err);
}

int hvt_qmp_send(struct hvt_qmp *qmp, const char *cmd, struct json_object *args,
		 struct hvt_err *err)
{
	int64_t id;

	return send_command(qmp, cmd, args, &id, hvt_deadline_after(SEND_TIMEOUT_MS), err);
}

int hvt_qmp_poll(struct hvt_qmp *qmp, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	int r;

	/* Wait once, then take whatever else is already there. */
	r = fill(qmp, 0, NULL, deadline, err);
	while (!r)
		r = fill(qmp, 0, NULL, 0, err);
	return r == -ETIMEDOUT ? 0 : r;
}

int hvt_qmp_event_wait(struct hvt_qmp *qmp, const char *name, hvt_qmp_event_pred pred,
		       void *opaque, int timeout_ms, struct hvt_qmp_event **out,
		       struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	size_t checked = 0;
	int r = 0;

	*out = NULL;
	for (;;) {
		/* Each event is offered to pred once. */
		for (; checked < qmp->ev_n; checked++) {
			struct hvt_qmp_event *ev = qmp->ev[qmp->ev_head + checked];

			if ((!name || !strcmp(ev->name, name)) && (!pred || pred(ev, opaque))) {
				*out = event_take(qmp, checked);
				return 0;
			}
		}
		if (r == -ETIMEDOUT)
			return hvt_err_set(err, r, "no QMP event %s within %d ms",
					   name ? name : "at all", timeout_ms);
		if (r) {
			hvt_err_prefix(err, "waiting for QMP event %s", name ? name : "(any)");
			return r;
		}
		r = fill(qmp, 0, NULL, deadline, err);
	}
}

bool hvt_qmp_event_since(const struct hvt_qmp_event *ev, void *opaque)
{
	/* QEMU stamps in microseconds; allow for the rounding. */
	return ev->timestamp >= *(const double *)opaque - 0.001;
}

struct hvt_qmp_event *hvt_qmp_event_pop(struct hvt_qmp *qmp)
{
	return qmp->ev_n ? event_take(qmp, 0) : NULL;
}

void hvt_qmp_event_free(struct hvt_qmp_event *ev)
{
	if (!ev)
		return;
	free(ev->name);
	json_object_put(ev->raw);
	free(ev);
}

void hvt_qmp_event_clear(struct hvt_qmp *qmp)
{
	struct hvt_qmp_event *ev;

	while ((ev = hvt_qmp_event_pop(qmp)))
		hvt_qmp_event_free(ev);
}

/* A client on fd (which it owns from now on) that has not read the greeting yet. */
static struct hvt_qmp *client_new(int fd, const char *transcript_path, struct hvt_err *err)
{
	struct hvt_qmp *qmp = hvt_zalloc(sizeof(*qmp));

	qmp->tfd = -1;
	qmp->next_id = 1;
	if (hvt_chan_init(&qmp->ch, fd, "QMP", false, err))
		goto err_free;
	if (transcript_path) {
		qmp->tfd = open(transcript_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				0644);
		if (qmp->tfd < 0) {
			hvt_err_set(err, -errno, "cannot open QMP transcript %s: %s",
				    transcript_path, strerror(errno));
			goto err_free;
		}
	}
	return qmp;

err_free:
	hvt_qmp_free(qmp);
	return NULL;
}

/* "250 ms", "2 s", "1.5 s" */
static const char *duration(char *buf, size_t len, int ms)
{
	if (ms < 1000)
		snprintf(buf, len, "%d ms", ms);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%d s", ms / 1000);
	else
		snprintf(buf, len, "%.1f s", ms / 1000.0);
	return buf;
}

/*
 * Say why no greeting came within timeout_ms. QEMU serves one client per
 * QMP monitor at a time: a second client connects (the kernel queues it)
 * but is accepted, and greeted, only once the first has gone. With the
 * socket's path the kernel can tell which case this is.
 */
static int no_greeting(struct hvt_qmp *qmp, const char *path, int timeout_ms,
		       struct hvt_err *err)
{
	struct hvt_sock_unix_state st;
	char t[32];

	duration(t, sizeof(t), timeout_ms);
	if (!path || hvt_sock_unix_state(qmp->ch.fd, path, &st, NULL))
		return hvt_err_set(err, -ETIMEDOUT,
				   "no QMP greeting within %s: is another client connected to "
				   "this monitor? QEMU serves one client at a time", t);
	if (st.accepted)
		return hvt_err_set(err, -ETIMEDOUT,
				   "no QMP greeting within %s, although QEMU accepted the "
				   "connection: is this a QMP monitor socket?", t);
	if (st.served) {
		hvt_err_set(err, -ETIMEDOUT,
			    "no QMP greeting within %s: another client is connected to this "
			    "monitor, and QEMU serves one client at a time", t);
		if (st.waiting)
			hvt_err_append(err, " (%d more waiting besides this one)", st.waiting);
		return -ETIMEDOUT;
	}
	return hvt_err_set(err, -ETIMEDOUT,
			   "no QMP greeting within %s: QEMU has not accepted the connection, and "
			   "no other client is connected to this monitor: is QEMU stopped or hung?",
			   t);
}

/*
 * Read the greeting and negotiate capabilities, all by deadline. path
 * (NULL: unknown) helps to explain a missing greeting. Frees qmp on error.
 */
static struct hvt_qmp *handshake(struct hvt_qmp *qmp, const char *path, int64_t deadline,
				 int timeout_ms, struct hvt_err *err)
{
	int r = 0;

	while (!qmp->have_greeting) {
		r = fill(qmp, 0, NULL, deadline, err);
		if (r == -ETIMEDOUT && !qmp->have_greeting) {
			no_greeting(qmp, path, timeout_ms, err);
			goto err_free;
		}
		if (r && !qmp->have_greeting)
			goto err_free;
	}
	r = hvt_qmp_execute(qmp, "qmp_capabilities", NULL, NULL,
			    hvt_timeout_left(deadline, timeout_ms), err);
	if (r) {
		hvt_err_prefix(err, "QMP capabilities negotiation");
		goto err_free;
	}
	return qmp;

err_free:
	hvt_qmp_free(qmp);
	return NULL;
}

struct hvt_qmp *hvt_qmp_open_fd(int fd, int timeout_ms, const char *transcript_path,
				struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	struct hvt_qmp *qmp = client_new(fd, transcript_path, err);

	return qmp ? handshake(qmp, NULL, deadline, timeout_ms, err) : NULL;
}

/* One deadline for connecting, the greeting and capabilities negotiation. */
static struct hvt_qmp *connect_path(const char *path, enum hvt_sock_wait wait, int timeout_ms,
				    const char *transcript_path, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	struct hvt_qmp *qmp;
	int fd = hvt_sock_connect(path, wait, timeout_ms, err);

	if (fd < 0) {
		hvt_err_prefix(err, "QMP");
		return NULL;
	}
	qmp = client_new(fd, transcript_path, err);
	if (qmp)
		qmp = handshake(qmp, path, deadline, timeout_ms, err);
	if (!qmp)
		hvt_err_prefix(err, "%s", path);
	return qmp;
}

struct hvt_qmp *hvt_qmp_connect(const char *path, int timeout_ms, const char *transcript_path,
				struct hvt_err *err)
{
	return connect_path(path, HVT_SOCK_STARTING, timeout_ms, transcript_path, err);
}

struct hvt_qmp *hvt_qmp_attach(const char *path, int timeout_ms, const char *transcript_path,
			       struct hvt_err *err)
{
	return connect_path(path, HVT_SOCK_LISTENING, timeout_ms, transcript_path, err);
}

void hvt_qmp_free(struct hvt_qmp *qmp)
{
	if (!qmp)
		return;
	hvt_qmp_event_clear(qmp);
	free(qmp->ev);
	hvt_chan_release(&qmp->ch);
	if (qmp->tfd >= 0)
		close(qmp->tfd);
	free(qmp);
}

void hvt_qmp_version(const struct hvt_qmp *qmp, int *major, int *minor, int *micro)
{
	if (major)
		*major = qmp->version[0];
	if (minor)
		*minor = qmp->version[1];
	if (micro)
		*micro = qmp->version[2];
}

int hvt_qmp_fd(const struct hvt_qmp *qmp)
{
	return qmp->ch.fd;
}

void hvt_qmp_set_max_msg(struct hvt_qmp *qmp, size_t max)
{
	hvt_jstream_set_max_msg(qmp->ch.js, max);
}
