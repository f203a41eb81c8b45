// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the guest agent client (against a scripted fake agent on
 * a socket pair) and for the base64 codec it uses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "jstream.h"
#include "qga.h"

#define T(path, fn) { path, fn, NULL, NULL, NULL }

enum op {
	OP_END,	   /* read and ignore until the client hangs up */
	OP_WRITE,  /* write text; "%ID%": the last id, "%LEN%": bytes received */
	OP_EXPECT, /* read command text, with arguments args ("*": any) */
	OP_SLEEP,  /* ms */
	OP_CLOSE,  /* hang up */
};

struct step {
	enum op op;
	const char *text;
	const char *args;
	int ms;
};

#define W(t) { OP_WRITE, t, NULL, 0 }
#define X(cmd) { OP_EXPECT, cmd, NULL, 0 }
#define XA(cmd, a) { OP_EXPECT, cmd, a, 0 }
#define S(ms) { OP_SLEEP, NULL, NULL, ms }
#define CLOSE { OP_CLOSE, NULL, NULL, 0 }
#define END { OP_END, NULL, NULL, 0 }
#define SYNC XA("guest-sync-delimited", "*"), W("\xff{\"return\": %ID%}\n")
#define OK_REPLY "{\"return\": {}}\n"

struct server {
	int fd;
	const struct step *steps;
	pthread_t thread;
	int64_t last_id;	/* arguments.id of the last command */
	size_t last_len;	/* bytes in its arguments.buf-b64 */
	int ff_seen;		/* 0xFF bytes received */
	struct hvt_buf written; /* what guest-file-write sent */
	char failure[512];
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void server_fail(struct server *s, const char *fmt, ...) HVT_PRINTF(2, 3);

static void server_fail(struct server *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
	va_end(ap);
}

static void write_text(struct server *s, const char *text)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_add(&b, "", 0);
	while (*text) {
		if (!strncmp(text, "%ID%", 4)) {
			hvt_buf_addf(&b, "%lld", (long long)s->last_id);
			text += 4;
		} else if (!strncmp(text, "%LEN%", 5)) {
			hvt_buf_addf(&b, "%zu", s->last_len);
			text += 5;
		} else {
			hvt_buf_add(&b, text++, 1);
		}
	}
	if (send(s->fd, b.p, b.len, MSG_NOSIGNAL) != (ssize_t)b.len)
		server_fail(s, "server: short write");
	hvt_buf_release(&b);
}

static void expect(struct server *s, struct hvt_jstream *js, const struct step *st)
{
	struct json_object *msg, *args;
	const char *cmd, *b64;

	while (!(msg = hvt_jstream_pop(js))) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		char buf[65536];
		ssize_t n;

		if (poll(&pfd, 1, 5000) != 1) {
			server_fail(s, "server: no command '%s' within 5 s", st->text);
			return;
		}
		n = read(s->fd, buf, sizeof(buf));
		if (n <= 0) {
			server_fail(s, "server: EOF while waiting for '%s'", st->text);
			return;
		}
		for (ssize_t i = 0; i < n; i++)
			s->ff_seen += (unsigned char)buf[i] == 0xff;
		if (hvt_jstream_feed(js, buf, (size_t)n, NULL))
			server_fail(s, "server: bad JSON from client");
	}
	cmd = hvt_json_get_str(msg, "execute");
	args = hvt_json_get(msg, "arguments");
	if (!cmd || strcmp(cmd, st->text))
		server_fail(s, "server: expected '%s', got %s", st->text, hvt_json_str(msg));
	else if (!st->args && args)
		server_fail(s, "server: unexpected arguments in %s", hvt_json_str(msg));
	else if (st->args && strcmp(st->args, "*") && strcmp(hvt_json_str(args), st->args))
		server_fail(s, "server: expected arguments %s, got %s", st->args,
			    hvt_json_str(args));
	s->last_id = hvt_json_get_int(args, "id", -1);
	b64 = hvt_json_get_str(args, "buf-b64");
	if (b64) {
		char *data;

		if (hvt_base64_decode(b64, strlen(b64), &data, &s->last_len))
			server_fail(s, "server: bad base64");
		else
			hvt_buf_add(&s->written, data, s->last_len);
		free(data);
	}
	json_object_put(msg);
}

static void *server_main(void *opaque)
{
	struct server *s = opaque;
	struct hvt_jstream *js = hvt_jstream_new(0);

	for (const struct step *st = s->steps; ; st++) {
		switch (st->op) {
		case OP_WRITE:
			write_text(s, st->text);
			continue;
		case OP_EXPECT:
			expect(s, js, st);
			continue;
		case OP_SLEEP:
			sleep_ms(st->ms);
			continue;
		case OP_CLOSE:
			close(s->fd);
			s->fd = -1;
			goto out;
		case OP_END:
			break;
		}
		break;
	}
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		char buf[4096];

		if (poll(&pfd, 1, 10000) != 1 || read(s->fd, buf, sizeof(buf)) <= 0)
			break;
	}
	close(s->fd);
	s->fd = -1;
out:
	hvt_jstream_free(js);
	return NULL;
}

static struct hvt_qga *open_client(struct server *s, const struct step *steps)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qga *qga;
	int sv[2];

	memset(s, 0, sizeof(*s));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	s->fd = sv[1];
	s->steps = steps;
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
	qga = hvt_qga_open_fd(sv[0], &err);
	if (!qga)
		fail_msg("hvt_qga_open_fd: %s", err.msg);
	return qga;
}

static void server_finish(struct server *s)
{
	pthread_join(s->thread, NULL);
	hvt_buf_release(&s->written);
	if (s->failure[0])
		fail_msg("%s", s->failure);
}

static void test_sync_stale(void **state)
{
	static const struct step steps[] = {
		/* Left over from an earlier client. */
		W("{\"return\": {\"pid\": 7}}\n{\"ret"),
		XA("guest-sync-delimited", "*"),
		/* The right id, but before the agent's 0xFF: not to be trusted. */
		W("urn\": 12}\n{\"return\": %ID%}\n garbage ]] {\"return\": 13}\n{\"retu"),
		S(20),
		W("rn\": 1}\xff{\"return\": 999}\n\xff{\"return\": 1"),
		S(20),
		W("4\xff{\"return\": %ID%}\n"),
		X("guest-info"),
		W("{\"return\": {\"version\": \"9.0\"}}\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	assert_int_equal(hvt_qga_execute(qga, "guest-info", NULL, &ret, 2000, &err), 0);
	assert_string_equal(hvt_json_get_str(ret, "version"), "9.0");
	json_object_put(ret);
	hvt_qga_free(qga);
	server_finish(&s);
	assert_int_equal(s.ff_seen, 1);
}

static void test_first_command_syncs(void **state)
{
	static const struct step steps[] = {
		SYNC,
		XA("guest-get-osinfo", NULL),
		W("{\"return\": {\"id\": \"debian\"}}\n"),
		X("guest-get-time"),
		W("{\"return\": 1700000000000000000}\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);

	/* No explicit sync: the first command does one. */
	assert_int_equal(hvt_qga_execute(qga, "guest-get-osinfo", NULL, &ret, 2000, &err), 0);
	assert_string_equal(hvt_json_get_str(ret, "id"), "debian");
	json_object_put(ret);
	assert_int_equal(hvt_qga_execute(qga, "guest-get-time", NULL, &ret, 2000, &err), 0);
	assert_int_equal(json_object_get_int64(ret), 1700000000000000000);
	json_object_put(ret);
	hvt_qga_free(qga);
	server_finish(&s);
	assert_int_equal(s.ff_seen, 1);
}

static void test_error_reply(void **state)
{
	static const struct step steps[] = {
		SYNC,
		XA("guest-file-open", "{\"path\":\"/nope\",\"mode\":\"r\"}"),
		W("{\"error\": {\"class\": \"GenericError\","
		  " \"desc\": \"failed to open file '/nope' (mode: 'r')\"}}\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);
	char *data = (char *)1;

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	assert_int_equal(hvt_qga_file_read(qga, "/nope", &data, NULL, 2000, &err), -EREMOTEIO);
	assert_null(data);
	assert_string_equal(err.cls, "GenericError");
	assert_string_equal(err.msg, "cannot read /nope in the guest: guest-file-open: "
				     "failed to open file '/nope' (mode: 'r')");
	hvt_qga_free(qga);
	server_finish(&s);
}

static void test_exec(void **state)
{
	static const struct step steps[] = {
		SYNC,
		XA("guest-exec", "{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"cat; echo oops >&2\"],"
				 "\"capture-output\":true,\"input-data\":\"aGVsbG8KAHg=\"}"),
		W("{\"return\": {\"pid\": 42}}\n"),
		XA("guest-exec-status", "{\"pid\":42}"),
		W("{\"return\": {\"exited\": false}}\n"),
		XA("guest-exec-status", "{\"pid\":42}"),
		W("{\"return\": {\"exited\": false}}\n"),
		XA("guest-exec-status", "{\"pid\":42}"),
		W("{\"return\": {\"exitcode\": 3, \"out-data\": \"aGVsbG8KAHg=\","
		  " \"err-data\": \"b29wcwo=\", \"exited\": true}}\n"),
		XA("guest-exec", "{\"path\":\"/bin/sleep\",\"arg\":[],\"capture-output\":true}"),
		W("{\"return\": {\"pid\": 43}}\n"),
		XA("guest-exec-status", "{\"pid\":43}"),
		W("{\"return\": {\"exited\": true, \"signal\": 9, \"out-truncated\": true}}\n"),
		END,
	};
	const char *const argv[] = { "/bin/sh", "-c", "cat; echo oops >&2", NULL };
	const char *const argv2[] = { "/bin/sleep", NULL };
	struct hvt_qga_exec_result res;
	struct hvt_err err = HVT_ERR_INIT;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_exec(qga, argv, "hello\n\0x", 8, 5000, &res, &err), 0);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.signal, 0);
	assert_int_equal(res.out_len, 8);
	assert_memory_equal(res.out, "hello\n\0x", 9);
	assert_int_equal(res.err_len, 5);
	assert_string_equal(res.err, "oops\n");
	assert_false(res.truncated);
	hvt_qga_exec_result_release(&res);
	assert_null(res.out);

	assert_int_equal(hvt_qga_exec(qga, argv2, NULL, 0, 5000, &res, &err), 0);
	assert_int_equal(res.signal, 9);
	assert_true(res.truncated);
	assert_int_equal(res.out_len, 0);
	assert_string_equal(res.out, "");
	hvt_qga_exec_result_release(&res);
	hvt_qga_free(qga);
	server_finish(&s);
}

static void test_exec_timeout(void **state)
{
	static const struct step steps[] = {
		SYNC,
		XA("guest-exec", "*"),
		W("{\"return\": {\"pid\": 44}}\n"),
		END, /* "exited": false for ever: the client gives up */
	};
	const char *const argv[] = { "/bin/sleep", "1000", NULL };
	struct hvt_qga_exec_result res;
	struct hvt_err err = HVT_ERR_INIT;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_exec(qga, argv, NULL, 0, 200, &res, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "/bin/sleep"));
	assert_null(res.out);
	hvt_qga_free(qga);
	server_finish(&s);
}

static void test_file_read(void **state)
{
	static const struct step steps[] = {
		SYNC,
		XA("guest-file-open", "{\"path\":\"/etc/hostname\",\"mode\":\"r\"}"),
		W("{\"return\": 1000}\n"),
		XA("guest-file-read", "{\"handle\":1000,\"count\":49152}"),
		W("{\"return\": {\"count\": 3, \"buf-b64\": \"YWJj\", \"eof\": false}}\n"),
		XA("guest-file-read", "{\"handle\":1000,\"count\":49152}"),
		W("{\"return\": {\"count\": 4, \"buf-b64\": \"AGRlZg==\", \"eof\": false}}\n"),
		XA("guest-file-read", "{\"handle\":1000,\"count\":49152}"),
		W("{\"return\": {\"count\": 0, \"buf-b64\": \"\", \"eof\": true}}\n"),
		XA("guest-file-close", "{\"handle\":1000}"),
		W(OK_REPLY),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);
	size_t len;
	char *data;

	assert_int_equal(hvt_qga_file_read(qga, "/etc/hostname", &data, &len, 2000, &err), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "abc\0def", 8);
	free(data);
	hvt_qga_free(qga);
	server_finish(&s);
}

static void test_file_write(void **state)
{
	static const struct step steps[] = {
		SYNC,
		XA("guest-file-open", "{\"path\":\"/tmp/x\",\"mode\":\"w\"}"),
		W("{\"return\": 5}\n"),
		XA("guest-file-write", "*"),
		W("{\"return\": {\"count\": %LEN%, \"eof\": false}}\n"),
		XA("guest-file-write", "*"),
		W("{\"return\": {\"count\": %LEN%, \"eof\": false}}\n"),
		XA("guest-file-write", "*"),
		W("{\"return\": {\"count\": %LEN%, \"eof\": false}}\n"),
		XA("guest-file-close", "{\"handle\":5}"),
		W(OK_REPLY),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	size_t len = 100000;
	char *data = hvt_malloc(len);
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);

	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i * 7 + i / 251);
	assert_int_equal(hvt_qga_file_write(qga, "/tmp/x", data, len, 2000, &err), 0);
	hvt_qga_free(qga);
	pthread_join(s.thread, NULL);
	assert_string_equal(s.failure, "");
	/* Three chunks: 48 KiB, 48 KiB and the rest. */
	assert_int_equal(s.written.len, len);
	assert_memory_equal(s.written.p, data, len);
	hvt_buf_release(&s.written);
	free(data);
}

static void test_timeout_resync(void **state)
{
	static const struct step steps[] = {
		SYNC,
		X("guest-info"),
		S(300),
		W("{\"return\": {\"version\": \"late\"}}\n{\"return\": {\"version\": \"late"),
		SYNC,
		X("guest-info"),
		W("{\"return\": {\"version\": \"9.0\"}}\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);
	int64_t t0;

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	t0 = hvt_now_ms();
	assert_int_equal(hvt_qga_execute(qga, "guest-info", NULL, &ret, 100, &err), -ETIMEDOUT);
	assert_true(hvt_now_ms() - t0 >= 100);
	assert_null(ret);
	assert_string_equal(err.msg, "guest agent command 'guest-info' timed out after 100 ms");
	/* The late reply must not be taken for this one's. */
	assert_int_equal(hvt_qga_execute(qga, "guest-info", NULL, &ret, 2000, &err), 0);
	assert_string_equal(hvt_json_get_str(ret, "version"), "9.0");
	json_object_put(ret);
	hvt_qga_free(qga);
	server_finish(&s);
	assert_int_equal(s.ff_seen, 2);
}

static void test_shutdown(void **state)
{
	static const struct step steps[] = {
		SYNC,
		XA("guest-shutdown", "{\"mode\":\"reboot\"}"),
		/* The agent restarts; the next command syncs first. */
		SYNC,
		X("guest-ping"),
		W(OK_REPLY),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	assert_int_equal(hvt_qga_shutdown(qga, "sideways", &err), -EINVAL);
	assert_int_equal(hvt_qga_shutdown(qga, "reboot", &err), 0);
	assert_int_equal(hvt_qga_ping(qga, 2000, &err), 0);
	hvt_qga_free(qga);
	server_finish(&s);
	assert_int_equal(s.ff_seen, 3);
}

static void test_wait_ready(void **state)
{
	static const struct step steps[] = {
		/* The first attempt goes unanswered, as if the agent were still
		 * starting; the second attempt (after 500 ms) succeeds. */
		XA("guest-sync-delimited", "*"),
		SYNC,
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);
	int64_t t0 = hvt_now_ms();

	assert_int_equal(hvt_qga_wait_ready(qga, 5000, &err), 0);
	assert_true(hvt_now_ms() - t0 >= 500);
	hvt_qga_free(qga);
	server_finish(&s);
	assert_int_equal(s.ff_seen, 2);
}

static void test_wait_ready_timeout(void **state)
{
	static const struct step steps[] = { END };
	struct hvt_err err = HVT_ERR_INIT;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);
	int64_t t0 = hvt_now_ms(), dt;

	assert_int_equal(hvt_qga_wait_ready(qga, 1200, &err), -ETIMEDOUT);
	dt = hvt_now_ms() - t0;
	assert_true(dt >= 1200 && dt < 2000);
	assert_string_equal(err.msg, "guest agent did not answer within 1.2 s");
	hvt_qga_free(qga);
	server_finish(&s);
}

static void test_eof(void **state)
{
	static const struct step steps[] = { SYNC, X("guest-ping"), CLOSE };
	struct hvt_err err = HVT_ERR_INIT;
	struct server s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_ping(qga, 2000, &err), -ECONNRESET);
	assert_non_null(strstr(err.msg, "closed"));
	/* No SIGPIPE on the next write either. */
	assert_int_equal(hvt_qga_sync(qga, 100, &err), -ECONNRESET);
	assert_int_equal(hvt_qga_shutdown(qga, "halt", &err), -ECONNRESET);
	hvt_qga_free(qga);
	server_finish(&s);
}

static void test_connect_errors(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char longpath[120];

	memset(longpath, 'q', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(hvt_qga_connect(longpath, 1000, &err));
	assert_int_equal(err.code, -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, longpath));
	assert_null(hvt_qga_connect("/nonexistent/qga.sock", 50, &err));
	assert_int_equal(err.code, -ETIMEDOUT);
}

static void test_base64(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = {
		"Z", "Zg=", "Zg=a", "Zm9v!", "Zm9vY===", "=Zg=", "Zg==Zg==", "Zm9\x80",
	};
	unsigned char bytes[256];
	size_t len;
	char *s, *d;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(vec); i++) {
		s = hvt_base64_encode(vec[i][0], strlen(vec[i][0]));
		assert_string_equal(s, vec[i][1]);
		free(s);
		assert_int_equal(hvt_base64_decode(vec[i][1], strlen(vec[i][1]), &d, &len), 0);
		assert_int_equal(len, strlen(vec[i][0]));
		assert_string_equal(d, vec[i][0]);
		free(d);
	}
	for (size_t i = 0; i < HVT_ARRAY_SIZE(bad); i++)
		assert_int_equal(hvt_base64_decode(bad[i], strlen(bad[i]), &d, &len), -EINVAL);
	/* Missing padding and whitespace are tolerated. */
	assert_int_equal(hvt_base64_decode("Zm9vYg", 6, &d, &len), 0);
	assert_string_equal(d, "foob");
	free(d);
	assert_int_equal(hvt_base64_decode("Zm9v\r\nYmFy\n", 11, &d, &len), 0);
	assert_string_equal(d, "foobar");
	free(d);
	/* Every byte value, every length. */
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(255 - i);
	for (size_t n = 0; n <= sizeof(bytes); n++) {
		s = hvt_base64_encode(bytes, n);
		assert_int_equal(strlen(s), (n + 2) / 3 * 4);
		assert_int_equal(hvt_base64_decode(s, strlen(s), &d, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(d, bytes, n);
		free(d);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T("/qga/sync/stale", test_sync_stale),
		T("/qga/sync/first-command", test_first_command_syncs),
		T("/qga/error-reply", test_error_reply),
		T("/qga/exec", test_exec),
		T("/qga/exec/timeout", test_exec_timeout),
		T("/qga/file/read", test_file_read),
		T("/qga/file/write", test_file_write),
		T("/qga/timeout-resync", test_timeout_resync),
		T("/qga/shutdown", test_shutdown),
		T("/qga/wait-ready", test_wait_ready),
		T("/qga/wait-ready/timeout", test_wait_ready_timeout),
		T("/qga/eof", test_eof),
		T("/qga/connect/errors", test_connect_errors),
		T("/base64", test_base64),
	};

	return cmocka_run_group_tests_name("qga", tests, NULL, NULL);
}
