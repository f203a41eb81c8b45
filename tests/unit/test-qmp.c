// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the QMP client, against a scripted fake QEMU on the
 * other end of a socket pair (or of a unix socket, for connecting).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fakepeer.h"
#include "qmp.h"
#include "sock.h"

#define T(path, fn) { path, fn, NULL, NULL, NULL }

#define GREETING                                                                   \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 1, \"minor\": 2, \"major\": 8}," \
	" \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define EV(name, n)                                                                   \
	"{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": " #n "}, \"event\": \"" \
	name "\", \"data\": {\"n\": " #n "}}\r\n"
#define OK_REPLY "{\"return\": {}, \"id\": %ID%}\r\n"

#define HANDSHAKE W(GREETING), X("qmp_capabilities"), W(OK_REPLY)

static struct hvt_qmp *open_client(struct fakepeer *s, const struct fakepeer_step *steps)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qmp *qmp = hvt_qmp_open_fd(fakepeer_start(s, steps), 2000, NULL, &err);

	if (!qmp)
		fail_msg("hvt_qmp_open_fd: %s", err.msg);
	return qmp;
}

static void expect_event(struct hvt_qmp *qmp, const char *name, int n)
{
	struct hvt_qmp_event *ev = hvt_qmp_event_pop(qmp);

	assert_non_null(ev);
	assert_string_equal(ev->name, name);
	assert_int_equal(hvt_json_get_int(ev->data, "n", -1), n);
	assert_true(ev->timestamp > 1700000000.0 && ev->timestamp < 1700000001.0);
	hvt_qmp_event_free(ev);
}

static void test_greeting(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		X("query-status"),
		W("{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": %ID%}\r\n"),
		XA("device_del", "{\"id\":\"net0\"}"),
		W(OK_REPLY),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);
	int major, minor, micro;

	hvt_qmp_version(qmp, &major, &minor, &micro);
	assert_int_equal(major, 8);
	assert_int_equal(minor, 2);
	assert_int_equal(micro, 1);
	assert_true(hvt_qmp_fd(qmp) >= 0);
	assert_int_equal(hvt_qmp_execute(qmp, "query-status", NULL, &ret, 2000, &err), 0);
	assert_string_equal(hvt_json_get_str(ret, "status"), "running");
	json_object_put(ret);
	assert_int_equal(hvt_qmp_executef(qmp, &ret, 2000, &err, "device_del", "{'id': %s}",
					  "net0"), 0);
	assert_non_null(ret);
	assert_int_equal(json_object_object_length(ret), 0);
	json_object_put(ret);
	assert_null(hvt_qmp_event_pop(qmp));
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
}

static void test_events_around_reply(void **state)
{
	static const struct fakepeer_step steps[] = {
		W(GREETING),
		W(EV("EARLY", 1)),
		X("qmp_capabilities"),
		W(OK_REPLY),
		X("stop"),
		W(EV("STOP", 2)),
		S(20),
		/* Event, reply and event in a single write. */
		W(EV("A", 3) OK_REPLY EV("B", 4)),
		S(20),
		W(EV("C", 5)),
		X("cont"),
		/* Reply split across writes, events in the same reads. */
		W(EV("D", 6) "{\"return\": {\"sta"),
		S(20),
		W("tus\": \"ok\"}, \"i"),
		S(20),
		W("d\": %ID%}" EV("E", 7)),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);

	assert_int_equal(hvt_qmp_execute(qmp, "stop", NULL, NULL, 2000, &err), 0);
	/* C arrives later; let it land before "cont". */
	assert_int_equal(hvt_qmp_poll(qmp, 2000, &err), 0);
	assert_int_equal(hvt_qmp_execute(qmp, "cont", NULL, &ret, 2000, &err), 0);
	assert_string_equal(hvt_json_get_str(ret, "status"), "ok");
	json_object_put(ret);
	/* E came in the same read as the reply's end. */
	expect_event(qmp, "EARLY", 1);
	expect_event(qmp, "STOP", 2);
	expect_event(qmp, "A", 3);
	expect_event(qmp, "B", 4);
	expect_event(qmp, "C", 5);
	expect_event(qmp, "D", 6);
	expect_event(qmp, "E", 7);
	assert_null(hvt_qmp_event_pop(qmp));
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
}

static void test_error_reply(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		X("device_del"),
		W("{\"id\": %ID%, \"error\": {\"class\": \"DeviceNotFound\","
		  " \"desc\": \"Device 'x' not found\"}}\r\n"),
		X("query-status"),
		W("{\"return\": {\"status\": \"paused\"}, \"id\": %ID%}\r\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret = (void *)1;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);

	assert_int_equal(hvt_qmp_executef(qmp, &ret, 2000, &err, "device_del", NULL),
			 -EREMOTEIO);
	assert_null(ret);
	assert_int_equal(err.code, -EREMOTEIO);
	assert_string_equal(err.cls, "DeviceNotFound");
	assert_string_equal(err.msg, "device_del: Device 'x' not found");
	/* The connection is still good. */
	assert_int_equal(hvt_qmp_execute(qmp, "query-status", NULL, &ret, 2000, &err), 0);
	assert_string_equal(hvt_json_get_str(ret, "status"), "paused");
	json_object_put(ret);
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
}

static void test_eof(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		X("quit"),
		W(EV("SHUTDOWN", 1)),
		CLOSE,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qmp_event *ev;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);

	assert_int_equal(hvt_qmp_execute(qmp, "quit", NULL, NULL, 2000, &err), -ECONNRESET);
	assert_int_equal(err.code, -ECONNRESET);
	assert_string_equal(err.msg, "QMP connection closed by QEMU");
	/* Events that came before the end are still there. */
	assert_int_equal(hvt_qmp_event_wait(qmp, "SHUTDOWN", NULL, NULL, 1000, &ev, &err), 0);
	hvt_qmp_event_free(ev);
	assert_int_equal(hvt_qmp_event_wait(qmp, "SHUTDOWN", NULL, NULL, 1000, &ev, &err),
			 -ECONNRESET);
	assert_null(ev);
	/* Writing to the closed socket fails, without SIGPIPE. */
	hvt_err_clear(&err);
	assert_int_equal(hvt_qmp_execute(qmp, "query-status", NULL, NULL, 1000, &err),
			 -ECONNRESET);
	assert_string_equal(err.msg, "QMP connection closed by QEMU");
	assert_int_equal(hvt_qmp_poll(qmp, 10, &err), -ECONNRESET);
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
}

static void test_sigpipe(void **state)
{
	static const struct fakepeer_step steps[] = { HANDSHAKE, CLOSE };
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);

	pthread_join(s.thread, NULL);
	/* The peer is gone; the write must fail with an error, not a signal. */
	assert_int_equal(hvt_qmp_send(qmp, "quit", NULL, &err), -ECONNRESET);
	assert_int_equal(hvt_qmp_execute(qmp, "quit", NULL, NULL, 100, &err), -ECONNRESET);
	hvt_qmp_free(qmp);
	assert_string_equal(s.failure, "");
}

static void test_timeout_and_stale_replies(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		X("slow"),
		S(600),
		W("{\"return\": {\"which\": \"slow\"}, \"id\": %ID%}\r\n"),
		X("quit"),
		X("fast"),
		/* The reply to "quit" (sent without waiting) comes first. */
		W("{\"return\": {\"which\": \"quit\"}, \"id\": 3}\r\n"),
		W("{\"return\": {\"which\": \"fast\"}, \"id\": %ID%}\r\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);
	int64_t t0 = hvt_now_ms(), dt;

	assert_int_equal(hvt_qmp_execute(qmp, "slow", NULL, &ret, 100, &err), -ETIMEDOUT);
	dt = hvt_now_ms() - t0;
	assert_true(dt >= 100 && dt < 550);
	assert_null(ret);
	assert_int_equal(err.code, -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "'slow'"));
	assert_non_null(strstr(err.msg, "100 ms"));
	assert_int_equal(hvt_qmp_send(qmp, "quit", NULL, &err), 0);
	/* The late reply to "slow" and the one to "quit" are dropped. */
	assert_int_equal(hvt_qmp_execute(qmp, "fast", NULL, &ret, 2000, &err), 0);
	assert_string_equal(hvt_json_get_str(ret, "which"), "fast");
	json_object_put(ret);
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
}

struct want_n {
	int n;
	int calls;
};

static bool has_n(const struct hvt_qmp_event *ev, void *opaque)
{
	struct want_n *w = opaque;

	w->calls++;
	return hvt_json_get_int(ev->data, "n", -1) == w->n;
}

static void test_event_wait(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		W(EV("A", 1) EV("B", 2) EV("A", 3) EV("C", 4)),
		X("cont"),
		W(OK_REPLY),
		S(100),
		W(EV("A", 5)),
		S(50),
		W(EV("D", 6)),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct want_n w = { 3, 0 };
	struct hvt_qmp_event *ev;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);

	assert_int_equal(hvt_qmp_execute(qmp, "cont", NULL, NULL, 2000, &err), 0);
	/* Queued already: the predicate sees each A once, B and C never. */
	assert_int_equal(hvt_qmp_event_wait(qmp, "A", has_n, &w, 1000, &ev, &err), 0);
	assert_int_equal(hvt_json_get_int(ev->data, "n", -1), 3);
	assert_int_equal(w.calls, 2);
	hvt_qmp_event_free(ev);
	/* Arrives later, after a non-matching one. */
	assert_int_equal(hvt_qmp_event_wait(qmp, "D", NULL, NULL, 2000, &ev, &err), 0);
	assert_string_equal(ev->name, "D");
	hvt_qmp_event_free(ev);
	/* Nothing else is coming. */
	w.n = 42;
	assert_int_equal(hvt_qmp_event_wait(qmp, "A", has_n, &w, 50, &ev, &err), -ETIMEDOUT);
	assert_null(ev);
	assert_non_null(strstr(err.msg, "A within 50 ms"));
	/* The others are queued in their order. */
	assert_int_equal(hvt_qmp_event_wait(qmp, NULL, NULL, NULL, 0, &ev, &err), 0);
	assert_string_equal(ev->name, "A");
	assert_int_equal(hvt_json_get_int(ev->data, "n", -1), 1);
	hvt_qmp_event_free(ev);
	expect_event(qmp, "B", 2);
	expect_event(qmp, "C", 4);
	expect_event(qmp, "A", 5);
	assert_null(hvt_qmp_event_pop(qmp));
	/* Clearing drops everything. */
	assert_int_equal(hvt_qmp_event_wait(qmp, "X", NULL, NULL, 0, &ev, &err), -ETIMEDOUT);
	hvt_qmp_event_clear(qmp);
	assert_null(hvt_qmp_event_pop(qmp));
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
}

static void test_bad_json(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		X("query-status"),
		W(EV("A", 1) "{\"return\": nope}\r\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);

	assert_int_equal(hvt_qmp_execute(qmp, "query-status", NULL, NULL, 2000, &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "QMP: malformed JSON"));
	/* The stream cannot be trusted any more. */
	assert_int_equal(hvt_qmp_execute(qmp, "query-status", NULL, NULL, 2000, &err),
			 -EBADMSG);
	expect_event(qmp, "A", 1);
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
}

static void test_max_msg(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		X("query-big"),
		W("{\"return\": \"0123456789012345678901234567890123456789\", \"id\": %ID%}\r\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qmp *qmp = open_client(&s, steps);

	hvt_qmp_set_max_msg(qmp, 32);
	assert_int_equal(hvt_qmp_execute(qmp, "query-big", NULL, NULL, 2000, &err),
			 -EMSGSIZE);
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
}

static void test_no_greeting(void **state)
{
	static const struct fakepeer_step steps[] = { W("{\"event\": \"X\"}"), END };
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qmp *qmp = hvt_qmp_open_fd(fakepeer_start(&s, steps), 100, NULL, &err);

	assert_null(qmp);
	assert_int_equal(err.code, -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "greeting"));
	fakepeer_finish(&s);
}

static void test_capabilities_error(void **state)
{
	static const struct fakepeer_step steps[] = {
		W(GREETING),
		X("qmp_capabilities"),
		W("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"},"
		  " \"id\": %ID%}"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qmp *qmp = hvt_qmp_open_fd(fakepeer_start(&s, steps), 2000, NULL, &err);

	assert_null(qmp);
	assert_int_equal(err.code, -EREMOTEIO);
	assert_string_equal(err.cls, "CommandNotFound");
	assert_string_equal(err.msg, "QMP capabilities negotiation: qmp_capabilities: nope");
	fakepeer_finish(&s);
}

/* "2026-11-22T03:10:00.123456Z" */
static bool is_timestamp(const char *s, size_t len)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	if (len != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	return true;
}

static void test_transcript(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		X("query-status"),
		W(EV("A", 1) "{\"return\": {\"status\": \"running\"}, \"id\": %ID%}\r\n"),
		END,
	};
	static const char *const want[][2] = {
		{ "<-", "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":1,\"minor\":2,\"major\":8},"
			"\"package\":\"\"},\"capabilities\":[\"oob\"]}}" },
		{ "->", "{\"execute\":\"qmp_capabilities\",\"id\":1}" },
		{ "<-", "{\"return\":{},\"id\":1}" },
		{ "->", "{\"execute\":\"query-status\",\"id\":2}" },
		{ "<-", "{\"timestamp\":{\"seconds\":1700000000,\"microseconds\":1},"
			"\"event\":\"A\",\"data\":{\"n\":1}}" },
		{ "<-", "{\"return\":{\"status\":\"running\"},\"id\":2}" },
	};
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path, *text, *line, *save = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qmp *qmp;
	size_t i = 0;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/qmp.log", dir);
	qmp = hvt_qmp_open_fd(fakepeer_start(&s, steps), 2000, path, &err);
	assert_non_null(qmp);
	assert_int_equal(hvt_qmp_execute(qmp, "query-status", NULL, NULL, 2000, &err), 0);
	/* Written as it happens, before the client goes away. */
	assert_int_equal(hvt_file_read(path, &text, NULL, &err), 0);
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		char *sp1 = strchr(line, ' '), *sp2;

		assert_true(i < HVT_ARRAY_SIZE(want));
		assert_non_null(sp1);
		assert_true(is_timestamp(line, (size_t)(sp1 - line)));
		sp2 = strchr(sp1 + 1, ' ');
		assert_non_null(sp2);
		*sp2 = '\0';
		assert_string_equal(sp1 + 1, want[i][0]);
		assert_string_equal(sp2 + 1, want[i][1]);
	}
	assert_int_equal(i, HVT_ARRAY_SIZE(want));
	free(text);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

static void test_connect(void **state)
{
	static const struct fakepeer_step steps[] = {
		HANDSHAKE,
		X("query-status"),
		W("{\"return\": {\"status\": \"running\"}, \"id\": %ID%}"),
		END,
	};
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qmp *qmp;
	int64_t t0;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/qmp.sock", dir);
	fakepeer_listen(&s, path, 150, steps);
	/* The socket appears only later: connect keeps trying. */
	t0 = hvt_now_ms();
	qmp = hvt_qmp_connect(path, 3000, NULL, &err);
	if (!qmp)
		fail_msg("%s", err.msg);
	assert_true(hvt_now_ms() - t0 >= 140);
	assert_int_equal(hvt_qmp_execute(qmp, "query-status", NULL, NULL, 2000, &err), 0);
	hvt_qmp_free(qmp);
	fakepeer_finish(&s);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

static void test_connect_errors(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char longpath[200];
	int64_t t0;

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(hvt_qmp_connect(longpath, 1000, NULL, &err));
	assert_int_equal(err.code, -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, longpath));

	t0 = hvt_now_ms();
	assert_null(hvt_qmp_connect("/nonexistent/hvt-qmp.sock", 100, NULL, &err));
	assert_int_equal(err.code, -ETIMEDOUT);
	assert_true(hvt_now_ms() - t0 >= 100);
	assert_non_null(strstr(err.msg, "/nonexistent/hvt-qmp.sock"));
}

/* A unix socket bound at path; listening with backlog unless backlog < 0. */
static int bound_at(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/* A plain connection to path (non-blocking); -errno when refused. */
static int plain_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static size_t count_str(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Whether the kernel answers hvt_sock_unix_state() (it needs unix_diag). */
static bool sock_diag_works(void)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_sock_unix_state st;
	int lfd, fd, r;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/probe.sock", dir);
	lfd = bound_at(path, 1);
	fd = plain_connect(path);
	assert_true(fd >= 0);
	r = hvt_sock_unix_state(fd, path, &st, NULL);
	close(fd);
	close(lfd);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
	return r == 0;
}

static void test_attach_missing(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/missing.sock", dir);
	t0 = hvt_now_ms();
	assert_null(hvt_qmp_attach(path, 5000, NULL, &err));
	/* At once, not after the timeout: nothing will create it. */
	assert_true(hvt_now_ms() - t0 < 1000);
	assert_int_equal(err.code, -ENOENT);
	assert_int_equal(count_str(err.msg, path), 1);
	assert_non_null(strstr(err.msg, "No such file"));
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

static void test_attach_not_a_socket(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/file", dir);
	assert_int_equal(hvt_file_write(path, "x", 1, NULL), 0);
	t0 = hvt_now_ms();
	assert_null(hvt_qmp_attach(path, 5000, NULL, &err));
	assert_int_equal(err.code, -ENOTSOCK);
	assert_non_null(strstr(err.msg, "a regular file, not a socket"));
	assert_int_equal(count_str(err.msg, path), 1);
	assert_null(hvt_qmp_attach(dir, 5000, NULL, &err));
	assert_int_equal(err.code, -ENOTSOCK);
	assert_non_null(strstr(err.msg, "a directory, not a socket"));
	assert_true(hvt_now_ms() - t0 < 1000);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

static void test_attach_refused(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/stale.sock", dir);
	/* What a QEMU that has exited leaves behind: a socket nobody listens on. */
	close(bound_at(path, -1));
	t0 = hvt_now_ms();
	assert_null(hvt_qmp_attach(path, 5000, NULL, &err));
	assert_true(hvt_now_ms() - t0 < 1500);
	assert_int_equal(err.code, -ECONNREFUSED);
	assert_non_null(strstr(err.msg, "nothing listens"));
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

struct late_listener {
	int fd;
	int delay_ms;
};

static void *listen_late(void *opaque)
{
	struct late_listener *l = opaque;

	(void)poll(NULL, 0, l->delay_ms);
	assert_int_equal(listen(l->fd, 1), 0);
	return NULL;
}

/* Bound but not listening yet, as a server between bind() and listen(). */
static void test_attach_listen_grace(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	struct late_listener l = { .delay_ms = 30 };
	pthread_t th;
	int fd;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/late.sock", dir);
	l.fd = bound_at(path, -1);
	assert_int_equal(pthread_create(&th, NULL, listen_late, &l), 0);
	fd = hvt_sock_connect(path, HVT_SOCK_LISTENING, 5000, &err);
	if (fd < 0)
		fail_msg("%s", err.msg);
	/* A blocking fd, as documented. */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	pthread_join(th, NULL);
	close(l.fd);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

/* A server that accepts nobody: connect must not block past the deadline. */
static void test_attach_queue_full(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	int lfd, queued[8], nq = 0, fd;
	int64_t t0, took;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/full.sock", dir);
	lfd = bound_at(path, 0);
	while (nq < (int)HVT_ARRAY_SIZE(queued) && (fd = plain_connect(path)) >= 0)
		queued[nq++] = fd;
	assert_int_equal(fd, -EAGAIN);
	t0 = hvt_now_ms();
	assert_null(hvt_qmp_attach(path, 300, NULL, &err));
	took = hvt_now_ms() - t0;
	assert_true(took >= 290 && took < 2000);
	assert_int_equal(err.code, -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "listen queue is full"));
	while (nq)
		close(queued[--nq]);
	close(lfd);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

/* QEMU's monitor serves one client: a second one connects but is not greeted. */
static void test_attach_monitor_busy(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	int lfd, first, served;
	int64_t t0, took;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/busy.sock", dir);
	lfd = bound_at(path, 1);
	first = plain_connect(path);
	assert_true(first >= 0);
	served = accept(lfd, NULL, NULL);
	assert_true(served >= 0);
	t0 = hvt_now_ms();
	assert_null(hvt_qmp_attach(path, 300, NULL, &err));
	took = hvt_now_ms() - t0;
	assert_true(took >= 290 && took < 2000);
	assert_int_equal(err.code, -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "no QMP greeting within 300 ms"));
	assert_non_null(strstr(err.msg, "another client"));
	assert_int_equal(count_str(err.msg, path), 1);
	if (sock_diag_works())
		assert_non_null(strstr(err.msg, "another client is connected to this monitor"));
	close(served);
	close(first);
	close(lfd);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

/* No other client, nobody accepts: a stopped or hung QEMU. */
static void test_attach_not_accepted(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	int lfd;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/stopped.sock", dir);
	if (!sock_diag_works()) {
		print_message("sock_diag for unix sockets is not available\n");
		skip();
	}
	lfd = bound_at(path, 4);
	assert_null(hvt_qmp_attach(path, 200, NULL, &err));
	assert_int_equal(err.code, -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "QEMU has not accepted the connection"));
	assert_null(strstr(err.msg, "another client is connected"));
	close(lfd);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

static void *accept_one(void *opaque)
{
	int *fd = opaque;

	*fd = accept(*fd, NULL, NULL);
	return NULL;
}

/* Accepted, but silent (a serial port, the agent): not a QMP monitor. */
static void test_attach_silent(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	pthread_t th;
	int lfd, fd;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/silent.sock", dir);
	lfd = bound_at(path, 1);
	fd = lfd;
	assert_int_equal(pthread_create(&th, NULL, accept_one, &fd), 0);
	assert_null(hvt_qmp_attach(path, 300, NULL, &err));
	pthread_join(th, NULL);
	assert_int_equal(err.code, -ETIMEDOUT);
	if (sock_diag_works())
		assert_non_null(strstr(err.msg, "although QEMU accepted the connection: is this "
						"a QMP monitor socket?"));
	close(fd);
	close(lfd);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

/* One deadline for connecting, the greeting and capabilities negotiation. */
static void test_connect_one_deadline(void **state)
{
	static const struct fakepeer_step steps[] = {
		S(100), W(GREETING), X("qmp_capabilities"), END, /* never answers */
	};
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	int64_t t0, took;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/slow.sock", dir);
	/* 100 ms to listen, 100 to greet, then no answer to qmp_capabilities. */
	fakepeer_listen(&s, path, 100, steps);
	t0 = hvt_now_ms();
	assert_null(hvt_qmp_connect(path, 400, NULL, &err));
	took = hvt_now_ms() - t0;
	assert_int_equal(err.code, -ETIMEDOUT);
	assert_true(took >= 390 && took < 550);
	assert_non_null(strstr(err.msg, "capabilities"));
	fakepeer_finish(&s);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

/* The kernel's view: accepted or queued, and who else the server holds. */
static void test_sock_unix_state(void **state)
{
	char dir[] = "/tmp/hvt-test-qmp-XXXXXX", *path;
	struct hvt_sock_unix_state st;
	struct hvt_err err = HVT_ERR_INIT;
	int lfd, a, a_srv, me, me_srv, b;

	assert_non_null(mkdtemp(dir));
	path = hvt_asprintf("%s/state.sock", dir);
	lfd = bound_at(path, 4);
	a = plain_connect(path);
	assert_true(a >= 0);
	a_srv = accept(lfd, NULL, NULL);
	assert_true(a_srv >= 0);
	me = plain_connect(path);
	b = plain_connect(path);
	assert_true(me >= 0 && b >= 0);
	if (hvt_sock_unix_state(me, path, &st, &err)) {
		print_message("sock_diag for unix sockets is not available: %s\n", err.msg);
		skip();
	}
	assert_false(st.accepted);
	assert_int_equal(st.served, 1);
	assert_int_equal(st.waiting, 1);
	me_srv = accept(lfd, NULL, NULL); /* the queue's first: me */
	assert_true(me_srv >= 0);
	assert_int_equal(hvt_sock_unix_state(me, path, &st, &err), 0);
	assert_true(st.accepted);
	assert_int_equal(st.served, 1);
	assert_int_equal(st.waiting, 1);
	assert_int_equal(hvt_sock_unix_state(me, dir, &st, &err), -ENOTSOCK);
	close(me_srv);
	close(b);
	close(me);
	close(a_srv);
	close(a);
	close(lfd);
	free(path);
	assert_int_equal(hvt_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T("/qmp/greeting", test_greeting),
		T("/qmp/events/around-reply", test_events_around_reply),
		T("/qmp/error-reply", test_error_reply),
		T("/qmp/eof", test_eof),
		T("/qmp/sigpipe", test_sigpipe),
		T("/qmp/timeout/stale-replies", test_timeout_and_stale_replies),
		T("/qmp/events/wait", test_event_wait),
		T("/qmp/bad-json", test_bad_json),
		T("/qmp/max-msg", test_max_msg),
		T("/qmp/no-greeting", test_no_greeting),
		T("/qmp/capabilities-error", test_capabilities_error),
		T("/qmp/transcript", test_transcript),
		T("/qmp/connect/retry", test_connect),
		T("/qmp/connect/errors", test_connect_errors),
		T("/qmp/connect/one-deadline", test_connect_one_deadline),
		T("/qmp/attach/missing", test_attach_missing),
		T("/qmp/attach/not-a-socket", test_attach_not_a_socket),
		T("/qmp/attach/refused", test_attach_refused),
		T("/qmp/attach/listen-grace", test_attach_listen_grace),
		T("/qmp/attach/queue-full", test_attach_queue_full),
		T("/qmp/attach/monitor-busy", test_attach_monitor_busy),
		T("/qmp/attach/not-accepted", test_attach_not_accepted),
		T("/qmp/attach/silent", test_attach_silent),
		T("/sock/unix-state", test_sock_unix_state),
	};

	return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
