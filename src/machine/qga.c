// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest agent client: replies matched by order, resynchronised with
 * guest-sync-delimited and 0xFF; exec, file transfer and shutdown on top.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "chan.h"
#include "qga.h"
#include "sock.h"

/* guest-file-read/write chunk: 64 KiB of base64 per message. */
#define FILE_CHUNK (48 * 1024)
#define SEND_TIMEOUT_MS 5000
/* hvt_qga_wait_ready(): the first sync attempt, and the longest. */
#define READY_FIRST_MS 500
#define READY_MAX_MS 2000
/* guest-exec-status polling backoff. */
#define EXEC_POLL_FIRST_MS 5
#define EXEC_POLL_MAX_MS 100

struct hvt_qga {
	/* Broken for good once closed or failed; framing errors only resync. */
	struct hvt_chan ch;
	/* Replies may be out of step: sync before the next command. */
	bool need_sync;
	int64_t last_sync_id;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Wait for data until the deadline and feed it to the framer. Returns 0,
 * -ETIMEDOUT (err not set), a framing error (the framer then waits for a
 * 0xFF), or a fatal error. Messages framed before an error stay queued.
 */
static int fill(struct hvt_qga *qga, int64_t deadline, struct hvt_err *err)
{
	int r = hvt_chan_fill(&qga->ch, deadline, err);

	if (r == -EBADMSG || r == -EMSGSIZE)
		qga->need_sync = true;
	return r;
}

/* Send {"execute": cmd, "arguments": args}, after a 0xFF if reset is set. */
static int send_command(struct hvt_qga *qga, const char *cmd, struct json_object *args,
			bool reset, int64_t deadline, struct hvt_err *err)
{
	struct json_object *msg = json_object_new_object();
	int r;

	json_object_object_add(msg, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(msg, "arguments", args);
	r = hvt_chan_send(&qga->ch, hvt_json_str(msg), reset, deadline, err);
	if (r == -ETIMEDOUT) {
		/* Part of a command may be out: the agent must be reset. */
		qga->need_sync = true;
		hvt_err_set(err, r, "the guest agent channel does not take more data");
	}
	json_object_put(msg);
	return r;
}

static int64_t fresh_sync_id(struct hvt_qga *qga)
{
	uint32_t v;
	int64_t id;

	do {
		if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
			v = (uint32_t)hvt_now_ms() * 2654435761u ^ (uint32_t)getpid();
		id = v & 0x7fffffff;
	} while (id == qga->last_sync_id);
	qga->last_sync_id = id;
	return id;
}

int hvt_qga_sync(struct hvt_qga *qga, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	int64_t id = fresh_sync_id(qga);
	struct json_object *args = json_object_new_object();
	int r;

	/* Whatever is queued or half-read is stale: skip to the agent's 0xFF. */
	hvt_jstream_expect_delimiter(qga->ch.js);
	qga->need_sync = true;
	json_object_object_add(args, "id", json_object_new_int64(id));
	r = send_command(qga, "guest-sync-delimited", args, true, deadline, err);
	if (r)
		return r;
	for (;;) {
		struct json_object *msg, *ret;

		while ((msg = hvt_jstream_pop(qga->ch.js))) {
			bool ours = json_object_object_get_ex(msg, "return", &ret) &&
				    json_object_is_type(ret, json_type_int) &&
				    json_object_get_int64(ret) == id;

			/* Other replies answer earlier commands or syncs. */
			json_object_put(msg);
			if (ours) {
				qga->need_sync = false;
				return 0;
			}
		}
		r = fill(qga, deadline, err);
		if (r == -ETIMEDOUT)
			return hvt_err_set(err, r,
					   "guest agent did not answer guest-sync-delimited within %d ms",
					   timeout_ms);
		/* Framing errors in stale data: the framer waits for the next 0xFF. */
		if (r && r != -EBADMSG && r != -EMSGSIZE)
			return r;
	}
}

int hvt_qga_wait_ready(struct hvt_qga *qga, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	int attempt = READY_FIRST_MS;

	for (;;) {
		int left = hvt_timeout_left(deadline, timeout_ms);
		int r = hvt_qga_sync(qga, left >= 0 && left < attempt ? left : attempt, err);

		if (r != -ETIMEDOUT)
			return r;
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT,
					   "guest agent did not answer within %g s",
					   timeout_ms / 1000.0);
		attempt = attempt * 2 < READY_MAX_MS ? attempt * 2 : READY_MAX_MS;
	}
}

int hvt_qga_execute(struct hvt_qga *qga, const char *cmd, struct json_object *args,
		    struct json_object **ret, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	struct json_object *reply = NULL;
	int r = 0;

	if (ret)
		*ret = NULL;
	if (qga->need_sync) {
		r = hvt_qga_sync(qga, hvt_timeout_left(deadline, timeout_ms), err);
		if (r) {
			json_object_put(args);
			hvt_err_prefix(err, "%s", cmd);
			return r;
		}
	}
	r = send_command(qga, cmd, args, false, deadline, err);
	if (r)
		return r;
	/* No ids: the next reply is ours, since the stream is in step. */
	while (!reply) {
		struct json_object *msg = hvt_jstream_pop(qga->ch.js);

		if (msg) {
			if (json_object_object_get_ex(msg, "return", NULL) ||
			    json_object_object_get_ex(msg, "error", NULL))
				reply = msg;
			else
				json_object_put(msg);
			continue;
		}
		if (r == -ETIMEDOUT) {
			qga->need_sync = true;
			return hvt_err_set(err, r, "guest agent command '%s' timed out after %d ms",
					   cmd, timeout_ms);
		}
		if (r) {
			qga->need_sync = true;
			return r;
		}
		r = fill(qga, deadline, err);
	}

	return hvt_json_reply(reply, cmd, ret, err);
}

int hvt_qga_ping(struct hvt_qga *qga, int timeout_ms, struct hvt_err *err)
{
	return hvt_qga_execute(qga, "guest-ping", NULL, NULL, timeout_ms, err);
}

/* Decode the base64 member name of obj (missing: empty) into *out. */
static int decode_member(struct json_object *obj, const char *name, char **out,
			 size_t *len, struct hvt_err *err)
{
	const char *b64 = hvt_json_get_str(obj, name);

	if (!b64)
		b64 = "";
	if (hvt_base64_decode(b64, strlen(b64), out, len))
		return hvt_err_set(err, -EBADMSG, "guest agent sent invalid base64 in %s",
				   name);
	return 0;
}

int hvt_qga_exec(struct hvt_qga *qga, const char *const argv[], const void *input,
		 size_t input_len, int timeout_ms, struct hvt_qga_exec_result *res,
		 struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	struct json_object *args, *arr, *ret = NULL;
	int delay = EXEC_POLL_FIRST_MS;
	int64_t pid;
	int r;

	memset(res, 0, sizeof(*res));
	if (!argv || !argv[0])
		return hvt_err_set(err, -EINVAL, "guest-exec: empty argv");
	args = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(args, "path", json_object_new_string(argv[0]));
	for (size_t i = 1; argv[i]; i++)
		json_object_array_add(arr, json_object_new_string(argv[i]));
	json_object_object_add(args, "arg", arr);
	json_object_object_add(args, "capture-output", json_object_new_boolean(1));
	if (input) {
		char *b64 = hvt_base64_encode(input, input_len);

		json_object_object_add(args, "input-data", json_object_new_string(b64));
		free(b64);
	}
	r = hvt_qga_execute(qga, "guest-exec", args, &ret, hvt_timeout_left(deadline, timeout_ms),
			    err);
	if (r)
		goto err_prefix;
	pid = hvt_json_get_int(ret, "pid", -1);
	json_object_put(ret);
	ret = NULL;
	if (pid < 0) {
		r = hvt_err_set(err, -EBADMSG, "guest-exec did not return a pid");
		goto err_prefix;
	}

	for (;;) {
		args = json_object_new_object();
		json_object_object_add(args, "pid", json_object_new_int64(pid));
		r = hvt_qga_execute(qga, "guest-exec-status", args, &ret,
				    hvt_timeout_left(deadline, timeout_ms), err);
		if (r)
			goto err_prefix;
		if (hvt_json_get_bool(ret, "exited", false))
			break;
		json_object_put(ret);
		ret = NULL;
		if (!hvt_ms_left(deadline)) {
			r = hvt_err_set(err, -ETIMEDOUT,
					"did not exit within %d ms (guest pid %lld left running)",
					timeout_ms, (long long)pid);
			goto err_prefix;
		}
		sleep_ms(delay < hvt_ms_left(deadline) ? delay : hvt_ms_left(deadline));
		delay = delay * 2 < EXEC_POLL_MAX_MS ? delay * 2 : EXEC_POLL_MAX_MS;
	}

	res->signal = (int)hvt_json_get_int(ret, "signal", 0);
	res->exit_code = (int)hvt_json_get_int(ret, "exitcode", res->signal ? -1 : 0);
	res->truncated = hvt_json_get_bool(ret, "out-truncated", false) ||
			 hvt_json_get_bool(ret, "err-truncated", false);
	r = decode_member(ret, "out-data", &res->out, &res->out_len, err);
	if (!r)
		r = decode_member(ret, "err-data", &res->err, &res->err_len, err);
	json_object_put(ret);
	if (r) {
		hvt_qga_exec_result_release(res);
		goto err_prefix;
	}
	return 0;

err_prefix:
	hvt_err_prefix(err, "%s in the guest", argv[0]);
	return r;
}

void hvt_qga_exec_result_release(struct hvt_qga_exec_result *res)
{
	free(res->out);
	free(res->err);
	memset(res, 0, sizeof(*res));
}

static int file_open(struct hvt_qga *qga, const char *path, const char *mode,
		     int64_t *handle, int64_t deadline, int timeout_ms, struct hvt_err *err)
{
	struct json_object *args = json_object_new_object(), *ret;
	int r;

	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "mode", json_object_new_string(mode));
	r = hvt_qga_execute(qga, "guest-file-open", args, &ret,
			    hvt_timeout_left(deadline, timeout_ms), err);
	if (r)
		return r;
	if (!json_object_is_type(ret, json_type_int)) {
		json_object_put(ret);
		return hvt_err_set(err, -EBADMSG, "guest-file-open did not return a handle");
	}
	*handle = json_object_get_int64(ret);
	json_object_put(ret);
	return 0;
}

/*
 * Close a handle. After a timeout or a lost connection the agent is out
 * of step, so do not try (the handle is lost with the agent's state).
 */
static int file_close(struct hvt_qga *qga, int64_t handle, int prev, int64_t deadline,
		      struct hvt_err *err)
{
	struct json_object *args;
	int left = hvt_ms_left(deadline);

	if (prev == -ETIMEDOUT || qga->ch.broken)
		return 0;
	args = json_object_new_object();
	json_object_object_add(args, "handle", json_object_new_int64(handle));
	/* Give a close after a failed read or write a moment, even if late. */
	return hvt_qga_execute(qga, "guest-file-close", args, NULL,
			       left > 1000 ? left : 1000, err);
}

int hvt_qga_file_read(struct hvt_qga *qga, const char *path, char **data, size_t *len,
		      int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms), handle;
	struct hvt_buf b = HVT_BUF_INIT;
	bool eof = false;
	int r;

	*data = NULL;
	if (len)
		*len = 0;
	r = file_open(qga, path, "r", &handle, deadline, timeout_ms, err);
	if (r)
		goto err_prefix;
	hvt_buf_add(&b, "", 0);
	while (!eof) {
		struct json_object *args = json_object_new_object(), *ret;
		char *chunk;
		size_t n;

		json_object_object_add(args, "handle", json_object_new_int64(handle));
		json_object_object_add(args, "count", json_object_new_int(FILE_CHUNK));
		r = hvt_qga_execute(qga, "guest-file-read", args, &ret,
				    hvt_timeout_left(deadline, timeout_ms), err);
		if (r)
			goto err_close;
		eof = hvt_json_get_bool(ret, "eof", false);
		r = decode_member(ret, "buf-b64", &chunk, &n, err);
		json_object_put(ret);
		if (r)
			goto err_close;
		hvt_buf_add(&b, chunk, n);
		free(chunk);
		if (!n && !eof && !hvt_ms_left(deadline)) {
			r = hvt_err_set(err, -ETIMEDOUT, "no end of file within %d ms",
					timeout_ms);
			goto err_close;
		}
	}
	r = file_close(qga, handle, 0, deadline, err);
	if (r)
		goto err_free;
	*data = b.p;
	if (len)
		*len = b.len;
	return 0;

err_close:
	file_close(qga, handle, r, deadline, NULL);
err_free:
	hvt_buf_release(&b);
err_prefix:
	hvt_err_prefix(err, "cannot read %s in the guest", path);
	return r;
}

int hvt_qga_file_write(struct hvt_qga *qga, const char *path, const void *data,
		       size_t len, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms), handle;
	const char *p = data;
	int r;

	r = file_open(qga, path, "w", &handle, deadline, timeout_ms, err);
	if (r)
		goto err_prefix;
	while (len) {
		struct json_object *args = json_object_new_object(), *ret;
		size_t n = len < FILE_CHUNK ? len : FILE_CHUNK;
		char *b64 = hvt_base64_encode(p, n);
		int64_t done;

		json_object_object_add(args, "handle", json_object_new_int64(handle));
		json_object_object_add(args, "buf-b64", json_object_new_string(b64));
		free(b64);
		r = hvt_qga_execute(qga, "guest-file-write", args, &ret,
				    hvt_timeout_left(deadline, timeout_ms), err);
		if (r)
			goto err_close;
		done = hvt_json_get_int(ret, "count", -1);
		json_object_put(ret);
		if (done <= 0 || (size_t)done > n) {
			r = hvt_err_set(err, -EIO, "guest-file-write wrote %lld of %zu bytes",
					(long long)done, n);
			goto err_close;
		}
		p += done;
		len -= (size_t)done;
	}
	r = file_close(qga, handle, 0, deadline, err);
	if (r)
		goto err_prefix;
	return 0;

err_close:
	file_close(qga, handle, r, deadline, NULL);
err_prefix:
	hvt_err_prefix(err, "cannot write %s in the guest", path);
	return r;
}

int hvt_qga_shutdown(struct hvt_qga *qga, const char *mode, struct hvt_err *err)
{
	struct json_object *args;
	int r;

	if (strcmp(mode, "powerdown") && strcmp(mode, "reboot") && strcmp(mode, "halt"))
		return hvt_err_set(err, -EINVAL, "guest-shutdown: unknown mode '%s'", mode);
	args = json_object_new_object();
	json_object_object_add(args, "mode", json_object_new_string(mode));
	/*
	 * No sync: this may run when the agent is out of step. The 0xFF
	 * resets its parser; what it answers (to that, or an error to the
	 * command) is skipped by the sync before the next command.
	 */
	r = send_command(qga, "guest-shutdown", args, true,
			 hvt_deadline_after(SEND_TIMEOUT_MS), err);
	qga->need_sync = true;
	return r;
}

int hvt_qga_send(struct hvt_qga *qga, const char *cmd, struct json_object *args,
		 struct hvt_err *err)
{
	int r;

	/* As for guest-shutdown: the next command resynchronises. */
	r = send_command(qga, cmd, args, true, hvt_deadline_after(SEND_TIMEOUT_MS), err);
	qga->need_sync = true;
	return r;
}

struct hvt_qga *hvt_qga_open_fd(int fd, struct hvt_err *err)
{
	struct hvt_qga *qga = hvt_zalloc(sizeof(*qga));

	qga->need_sync = true;
	qga->last_sync_id = -1;
	if (hvt_chan_init(&qga->ch, fd, "guest agent", true, err)) {
		hvt_qga_free(qga);
		return NULL;
	}
	return qga;
}

struct hvt_qga *hvt_qga_connect(const char *path, int timeout_ms, struct hvt_err *err)
{
	int fd = hvt_sock_connect_unix(path, timeout_ms, err);

	if (fd < 0) {
		hvt_err_prefix(err, "guest agent");
		return NULL;
	}
	return hvt_qga_open_fd(fd, err);
}

void hvt_qga_free(struct hvt_qga *qga)
{
	if (!qga)
		return;
	hvt_chan_release(&qga->ch);
	free(qga);
}
