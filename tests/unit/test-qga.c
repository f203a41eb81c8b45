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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "fakepeer.h"
#include "qga.h"

#define T(path, fn) { path, fn, NULL, NULL, NULL }

#define SYNC XA("guest-sync-delimited", "*"), W("\xff{\"return\": %ID%}\n")
#define OK_REPLY "{\"return\": {}}\n"

static struct hvt_qga *open_client(struct fakepeer *s, const struct fakepeer_step *steps)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qga *qga = hvt_qga_open_fd(fakepeer_start(s, steps), &err);

	if (!qga)
		fail_msg("hvt_qga_open_fd: %s", err.msg);
	return qga;
}

/* Hang up, then fail if the agent's script went wrong. */
static void close_client(struct hvt_qga *qga, struct fakepeer *s)
{
	hvt_qga_free(qga);
	fakepeer_finish(s);
}

/* Run cmd (no arguments) and check that its return's member is want. */
static void expect_member(struct hvt_qga *qga, const char *cmd, const char *member,
			  const char *want)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret;

	if (hvt_qga_execute(qga, cmd, NULL, &ret, 2000, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(hvt_json_get_str(ret, member), want);
	json_object_put(ret);
}

static void test_sync_stale(void **state)
{
	static const struct fakepeer_step steps[] = {
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
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	expect_member(qga, "guest-info", "version", "9.0");
	close_client(qga, &s);
	assert_int_equal(s.ff_seen, 1);
}

static void test_first_command_syncs(void **state)
{
	static const struct fakepeer_step steps[] = {
		SYNC,
		XA("guest-get-osinfo", NULL),
		W("{\"return\": {\"id\": \"debian\"}}\n"),
		X("guest-get-time"),
		W("{\"return\": 1700000000000000000}\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret;
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);

	/* No explicit sync: the first command does one. */
	expect_member(qga, "guest-get-osinfo", "id", "debian");
	assert_int_equal(hvt_qga_execute(qga, "guest-get-time", NULL, &ret, 2000, &err), 0);
	assert_int_equal(json_object_get_int64(ret), 1700000000000000000);
	json_object_put(ret);
	close_client(qga, &s);
	assert_int_equal(s.ff_seen, 1);
}

static void test_error_reply(void **state)
{
	static const struct fakepeer_step steps[] = {
		SYNC,
		XA("guest-file-open", "{\"path\":\"/nope\",\"mode\":\"r\"}"),
		W("{\"error\": {\"class\": \"GenericError\","
		  " \"desc\": \"failed to open file '/nope' (mode: 'r')\"}}\n"),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);
	char *data = (char *)1;

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	assert_int_equal(hvt_qga_file_read(qga, "/nope", &data, NULL, 2000, &err), -EREMOTEIO);
	assert_null(data);
	assert_string_equal(err.cls, "GenericError");
	assert_string_equal(err.msg, "cannot read /nope in the guest: guest-file-open: "
				     "failed to open file '/nope' (mode: 'r')");
	close_client(qga, &s);
}

static void test_exec(void **state)
{
	static const struct fakepeer_step steps[] = {
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
	struct fakepeer s;
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
	close_client(qga, &s);
}

static void test_exec_timeout(void **state)
{
	static const struct fakepeer_step steps[] = {
		SYNC,
		XA("guest-exec", "*"),
		W("{\"return\": {\"pid\": 44}}\n"),
		END, /* "exited": false for ever: the client gives up */
	};
	const char *const argv[] = { "/bin/sleep", "1000", NULL };
	struct hvt_qga_exec_result res;
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_exec(qga, argv, NULL, 0, 200, &res, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "/bin/sleep"));
	assert_null(res.out);
	close_client(qga, &s);
}

static void test_file_read(void **state)
{
	static const struct fakepeer_step steps[] = {
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
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);
	size_t len;
	char *data;

	assert_int_equal(hvt_qga_file_read(qga, "/etc/hostname", &data, &len, 2000, &err), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "abc\0def", 8);
	free(data);
	close_client(qga, &s);
}

static void test_file_write(void **state)
{
	static const struct fakepeer_step steps[] = {
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
	struct fakepeer s;
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
	static const struct fakepeer_step steps[] = {
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
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);
	int64_t t0;

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	t0 = hvt_now_ms();
	assert_int_equal(hvt_qga_execute(qga, "guest-info", NULL, &ret, 100, &err), -ETIMEDOUT);
	assert_true(hvt_now_ms() - t0 >= 100);
	assert_null(ret);
	assert_string_equal(err.msg, "guest agent command 'guest-info' timed out after 100 ms");
	/* The late reply must not be taken for this one's. */
	expect_member(qga, "guest-info", "version", "9.0");
	close_client(qga, &s);
	assert_int_equal(s.ff_seen, 2);
}

static void test_shutdown(void **state)
{
	static const struct fakepeer_step steps[] = {
		SYNC,
		XA("guest-shutdown", "{\"mode\":\"reboot\"}"),
		/* The agent restarts; the next command syncs first. */
		SYNC,
		X("guest-ping"),
		W(OK_REPLY),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	assert_int_equal(hvt_qga_shutdown(qga, "sideways", &err), -EINVAL);
	assert_int_equal(hvt_qga_shutdown(qga, "reboot", &err), 0);
	assert_int_equal(hvt_qga_ping(qga, 2000, &err), 0);
	close_client(qga, &s);
	assert_int_equal(s.ff_seen, 3);
}

static void test_send_unanswered(void **state)
{
	static const struct fakepeer_step steps[] = {
		SYNC,
		X("guest-suspend-ram"),
		/* No answer on success; the next command syncs first. */
		SYNC,
		X("guest-ping"),
		W(OK_REPLY),
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_sync(qga, 2000, &err), 0);
	assert_int_equal(hvt_qga_send(qga, "guest-suspend-ram", NULL, &err), 0);
	assert_int_equal(hvt_qga_ping(qga, 2000, &err), 0);
	close_client(qga, &s);
	assert_int_equal(s.ff_seen, 3);
}

static void test_wait_ready(void **state)
{
	static const struct fakepeer_step steps[] = {
		/* The first attempt goes unanswered, as if the agent were still
		 * starting; the second attempt (after 500 ms) succeeds. */
		XA("guest-sync-delimited", "*"),
		SYNC,
		END,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);
	int64_t t0 = hvt_now_ms();

	assert_int_equal(hvt_qga_wait_ready(qga, 5000, &err), 0);
	assert_true(hvt_now_ms() - t0 >= 500);
	close_client(qga, &s);
	assert_int_equal(s.ff_seen, 2);
}

static void test_wait_ready_timeout(void **state)
{
	static const struct fakepeer_step steps[] = { END };
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);
	int64_t t0 = hvt_now_ms(), dt;

	assert_int_equal(hvt_qga_wait_ready(qga, 1200, &err), -ETIMEDOUT);
	dt = hvt_now_ms() - t0;
	assert_true(dt >= 1200 && dt < 2000);
	assert_string_equal(err.msg, "guest agent did not answer within 1.2 s");
	close_client(qga, &s);
}

static void test_eof(void **state)
{
	static const struct fakepeer_step steps[] = { SYNC, X("guest-ping"), CLOSE };
	struct hvt_err err = HVT_ERR_INIT;
	struct fakepeer s;
	struct hvt_qga *qga = open_client(&s, steps);

	assert_int_equal(hvt_qga_ping(qga, 2000, &err), -ECONNRESET);
	assert_non_null(strstr(err.msg, "closed"));
	/* No SIGPIPE on the next write either. */
	assert_int_equal(hvt_qga_sync(qga, 100, &err), -ECONNRESET);
	assert_int_equal(hvt_qga_shutdown(qga, "halt", &err), -ECONNRESET);
	close_client(qga, &s);
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
		T("/qga/send-unanswered", test_send_unanswered),
		T("/qga/wait-ready", test_wait_ready),
		T("/qga/wait-ready/timeout", test_wait_ready_timeout),
		T("/qga/eof", test_eof),
		T("/qga/connect/errors", test_connect_errors),
		T("/base64", test_base64),
	};

	return cmocka_run_group_tests_name("qga", tests, NULL, NULL);
}
