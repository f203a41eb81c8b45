// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the JSON stream framer and the JSON helpers it sits on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jstream.h"

#define T(path, fn) { path, fn, NULL, NULL, NULL }

static const char msg1[] =
	"{\"return\": {\"status\": \"running\", \"list\": [1, -2.5e3, \"x\\\"y\", true, null],"
	" \"nested\": {\"a\": {\"b\": []}}}, \"id\": 1234}";

static int feed(struct hvt_jstream *js, const char *s, struct hvt_err *err)
{
	return hvt_jstream_feed(js, s, strlen(s), err);
}

/* Pop one message and check it has member key with integer value val. */
static void expect_int_msg(struct hvt_jstream *js, const char *key, int64_t val)
{
	struct json_object *obj = hvt_jstream_pop(js);

	assert_non_null(obj);
	assert_int_equal(hvt_json_get_int(obj, key, -999), val);
	json_object_put(obj);
}

static void check_msg1(struct json_object *obj)
{
	assert_non_null(obj);
	assert_string_equal(hvt_json_get_str(obj, "return.status"), "running");
	assert_int_equal(hvt_json_get_int(obj, "id", 0), 1234);
	assert_string_equal(hvt_json_get_str(obj, "return.list.2"), "x\"y");
	assert_true(hvt_json_get_bool(obj, "return.list.3", false));
	assert_non_null(hvt_json_get(obj, "return.nested.a.b"));
}

static void test_split_every_point(void **state)
{
	size_t len = strlen(msg1);

	for (size_t i = 0; i <= len; i++) {
		struct hvt_jstream *js = hvt_jstream_new(0);
		struct hvt_err err = HVT_ERR_INIT;
		struct json_object *obj;

		assert_int_equal(hvt_jstream_feed(js, msg1, i, &err), 0);
		assert_int_equal(hvt_jstream_pending(js), i == len ? 1 : 0);
		assert_int_equal(hvt_jstream_feed(js, msg1 + i, len - i, &err), 0);
		assert_int_equal(hvt_jstream_pending(js), 1);
		obj = hvt_jstream_pop(js);
		check_msg1(obj);
		json_object_put(obj);
		assert_null(hvt_jstream_pop(js));
		hvt_jstream_free(js);
	}
}

static void test_byte_by_byte(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(0);
	size_t len = strlen(msg1);
	struct json_object *obj;

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < len; i++) {
			assert_int_equal(hvt_jstream_pending(js), 0);
			assert_int_equal(hvt_jstream_feed(js, msg1 + i, 1, NULL), 0);
		}
		assert_int_equal(hvt_jstream_pending(js), 1);
		obj = hvt_jstream_pop(js);
		check_msg1(obj);
		json_object_put(obj);
		/* A newline between messages, as QEMU sends. */
		assert_int_equal(feed(js, "\r\n", NULL), 0);
	}
	hvt_jstream_free(js);
}

static void test_many_in_one_read(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(0);
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(feed(js, "{\"n\": 1}{\"n\": 2}\n{\"n\":3}\r\n \t {\"n\": 4}\n{\"n\"",
			      &err), 0);
	assert_int_equal(hvt_jstream_pending(js), 4);
	for (int i = 1; i <= 4; i++)
		expect_int_msg(js, "n", i);
	assert_null(hvt_jstream_pop(js));
	assert_int_equal(feed(js, ": 5}", &err), 0);
	expect_int_msg(js, "n", 5);
	hvt_jstream_free(js);
}

static void test_whitespace_only(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(16);

	/* Whitespace between messages does not count towards the limit. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(feed(js, " \n\r\t  \n", NULL), 0);
	assert_int_equal(hvt_jstream_pending(js), 0);
	assert_int_equal(feed(js, "  {\"n\": 7}  ", NULL), 0);
	expect_int_msg(js, "n", 7);
	hvt_jstream_free(js);
}

static void test_queue_order(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(0);
	int next_in = 0, next_out = 0;

	/* Interleave pushes and pops so that the queue wraps and grows. */
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 37; i++) {
			char buf[64];

			snprintf(buf, sizeof(buf), "{\"n\": %d}", next_in++);
			assert_int_equal(feed(js, buf, NULL), 0);
		}
		for (int i = 0; i < 23; i++)
			expect_int_msg(js, "n", next_out++);
	}
	assert_int_equal(hvt_jstream_pending(js), (size_t)(next_in - next_out));
	while (next_out < next_in)
		expect_int_msg(js, "n", next_out++);
	assert_null(hvt_jstream_pop(js));
	hvt_jstream_free(js);
}

static void test_ff_resets(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(0);
	struct hvt_err err = HVT_ERR_INIT;

	/* A partial message before 0xFF is dropped without an error. */
	assert_int_equal(feed(js, "{\"a\": 1, \"b\": [1, 2", &err), 0);
	assert_int_equal(feed(js, "\xff{\"n\": 1}", &err), 0);
	expect_int_msg(js, "n", 1);
	/* Inside a string too. */
	assert_int_equal(feed(js, "{\"a\": \"abc\xff{\"n\": 2}\xff\xff{\"n\": 3}", &err), 0);
	expect_int_msg(js, "n", 2);
	expect_int_msg(js, "n", 3);
	/* Complete messages before a 0xFF stay queued. */
	assert_int_equal(feed(js, "{\"n\": 4}\xff", &err), 0);
	expect_int_msg(js, "n", 4);
	assert_null(hvt_jstream_pop(js));
	hvt_jstream_free(js);
}

static void test_expect_delimiter(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(0);
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(feed(js, "{\"n\": 1}{\"n\": 2}{\"partial", &err), 0);
	assert_int_equal(hvt_jstream_pending(js), 2);
	hvt_jstream_expect_delimiter(js);
	assert_int_equal(hvt_jstream_pending(js), 0);
	/* Stale replies and garbage, all dropped silently until 0xFF. */
	assert_int_equal(feed(js, "\": 3}{\"n\": 4}garbage]]]", &err), 0);
	assert_int_equal(feed(js, "{\"n\": 5}", &err), 0);
	assert_int_equal(hvt_jstream_pending(js), 0);
	assert_int_equal(feed(js, "more garbage\xff{\"n\":", &err), 0);
	assert_int_equal(hvt_jstream_pending(js), 0);
	assert_int_equal(feed(js, " 6}{\"n\": 7}", &err), 0);
	expect_int_msg(js, "n", 6);
	expect_int_msg(js, "n", 7);
	hvt_jstream_free(js);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"{\"a\": }", "{\"a\" 1}", "{a: 1}", "{\"a\": 1,, }", "{\"a\": [1 2]}",
		"{\"a\": tru }", "{\"a\": \"\\q\"}", "{\"a\": 'x'}", "{\"a\": 1 /* c */}",
		"{\"a\": \"x\0y\"}", "{\"a\": 01}", "{\"a\": 1,}", "}",
	};

	for (size_t i = 0; i < HVT_ARRAY_SIZE(bad); i++) {
		struct hvt_jstream *js = hvt_jstream_new(0);
		struct hvt_err err = HVT_ERR_INIT;
		size_t len = strlen(bad[i]);

		if (!strcmp(bad[i], "{\"a\": \"x"))
			len += 4; /* the one with a NUL: "x\0y\"}" */
		assert_int_equal(hvt_jstream_feed(js, bad[i], len, &err), -EBADMSG);
		assert_int_equal(err.code, -EBADMSG);
		assert_non_null(strstr(err.msg, "malformed JSON"));
		assert_int_equal(hvt_jstream_pending(js), 0);
		/* Discarded until 0xFF, then back to normal. */
		assert_int_equal(feed(js, "{\"n\": 1}", &err), 0);
		assert_int_equal(hvt_jstream_pending(js), 0);
		assert_int_equal(feed(js, "\xff{\"n\": 2}", &err), 0);
		expect_int_msg(js, "n", 2);
		hvt_jstream_free(js);
	}
}

static void test_malformed_keeps_earlier(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(0);
	struct hvt_err err = HVT_ERR_INIT;

	/* Two errors in one call: the first is reported, later messages kept. */
	assert_int_equal(feed(js, "{\"n\": 1}\n{\"n\": x}{\"n\": 2}\xff]\xff{\"n\": 3}", &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "byte 6"));
	expect_int_msg(js, "n", 1);
	expect_int_msg(js, "n", 3);
	assert_null(hvt_jstream_pop(js));
	hvt_jstream_free(js);
}

static void test_not_an_object(void **state)
{
	static const char *const bad[] = { "[1, 2]", "42", "\"str\"", "true", "null", "-" };

	for (size_t i = 0; i < HVT_ARRAY_SIZE(bad); i++) {
		struct hvt_jstream *js = hvt_jstream_new(0);
		struct hvt_err err = HVT_ERR_INIT;

		/* Reported at once, without waiting for the value to end. */
		assert_int_equal(feed(js, bad[i], &err), -EBADMSG);
		assert_non_null(strstr(err.msg, "not '{'"));
		assert_int_equal(feed(js, "\xff\n{\"n\": 1}", &err), 0);
		expect_int_msg(js, "n", 1);
		hvt_jstream_free(js);
	}
}

static void test_oversized(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(64);
	struct hvt_err err = HVT_ERR_INIT;
	char big[200], exact[65];
	int r = 0;
	size_t i;

	/* Exactly 64 bytes is fine; whitespace around does not count. */
	memset(exact, ' ', 64);
	exact[0] = '{';
	memcpy(exact + 1, "\"n\": 1", 6);
	exact[63] = '}';
	exact[64] = '\0';
	assert_int_equal(feed(js, "\n\n  ", &err), 0);
	assert_int_equal(feed(js, exact, &err), 0);
	assert_int_equal(feed(js, "\n\n  ", &err), 0);
	expect_int_msg(js, "n", 1);

	/* One more byte is too much, fed at once... */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"n\": 2", 7);
	big[64] = '}';
	assert_int_equal(hvt_jstream_feed(js, big, 65, &err), -EMSGSIZE);
	assert_int_equal(err.code, -EMSGSIZE);
	assert_non_null(strstr(err.msg, "64 bytes"));
	assert_int_equal(hvt_jstream_pending(js), 0);
	assert_int_equal(feed(js, "\xff", &err), 0);

	/* ... or byte by byte: the error comes with byte 65. */
	for (i = 0; i < 65 && !r; i++)
		r = hvt_jstream_feed(js, big + i, 1, &err);
	assert_int_equal(r, -EMSGSIZE);
	assert_int_equal(i, 65);

	/* The rest of the message is skipped, up to 0xFF. */
	for (int k = 0; k < 10000; k++)
		assert_int_equal(hvt_jstream_feed(js, big, sizeof(big), &err), 0);
	assert_int_equal(feed(js, "}\xff{\"n\": 3}", &err), 0);
	expect_int_msg(js, "n", 3);
	hvt_jstream_free(js);
}

static void test_oversized_string(void **state)
{
	/* A long string inside a message must not be buffered beyond the limit. */
	struct hvt_jstream *js = hvt_jstream_new(4096);
	struct hvt_err err = HVT_ERR_INIT;
	char chunk[1000];
	int r = 0, calls = 0;

	memset(chunk, 'a', sizeof(chunk));
	assert_int_equal(feed(js, "{\"s\": \"", &err), 0);
	while (!r && calls < 100000) {
		r = hvt_jstream_feed(js, chunk, sizeof(chunk), &err);
		calls++;
	}
	assert_int_equal(r, -EMSGSIZE);
	assert_int_equal(calls, 5);
	hvt_jstream_set_max_msg(js, 1 << 20);
	assert_int_equal(feed(js, "\xff{\"n\": 1}", &err), 0);
	expect_int_msg(js, "n", 1);
	hvt_jstream_free(js);
}

static char *nested(int depth)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_add(&b, "{\"n\": 1, \"a\": ", 14);
	for (int i = 0; i < depth - 2; i++)
		hvt_buf_add(&b, "[", 1);
	hvt_buf_add(&b, "{}", 2);
	for (int i = 0; i < depth - 2; i++)
		hvt_buf_add(&b, "]", 1);
	hvt_buf_add(&b, "}", 1);
	return b.p;
}

static void test_depth(void **state)
{
	struct hvt_jstream *js = hvt_jstream_new(0);
	struct hvt_err err = HVT_ERR_INIT;
	char *ok = nested(60), *deep = nested(200);

	/* Deeper than json-c's default of 32 is accepted... */
	assert_int_equal(feed(js, ok, &err), 0);
	expect_int_msg(js, "n", 1);
	/* ... but not without bound. */
	assert_int_equal(feed(js, deep, &err), -EBADMSG);
	assert_int_equal(feed(js, "\xff", &err), 0);
	assert_int_equal(feed(js, ok, &err), 0);
	expect_int_msg(js, "n", 1);
	free(ok);
	free(deep);
	hvt_jstream_free(js);
}

static void test_json_parse(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *obj;
	char *q;

	obj = hvt_json_parse("{'driver': 'virtio-balloon-pci', \"id\": 'b0', 'n': [1, {'x': -3}]}",
			     &err);
	assert_non_null(obj);
	assert_string_equal(hvt_json_get_str(obj, "driver"), "virtio-balloon-pci");
	assert_int_equal(hvt_json_get_int(obj, "n.1.x", 0), -3);
	assert_int_equal(hvt_json_get_int(obj, "n.2.x", 5), 5);
	assert_int_equal(hvt_json_get_int(obj, "driver", 5), 5);
	assert_null(hvt_json_get_str(obj, "n"));
	assert_null(hvt_json_get(obj, "driver.x"));
	assert_ptr_equal(hvt_json_get(obj, ""), obj);
	assert_false(hvt_json_get_bool(obj, "missing", false));
	assert_string_equal(hvt_json_str(obj),
			    "{\"driver\":\"virtio-balloon-pci\",\"id\":\"b0\",\"n\":[1,{\"x\":-3}]}");
	json_object_put(obj);

	obj = hvt_json_parse("  42  ", &err);
	assert_non_null(obj);
	assert_int_equal(json_object_get_int(obj), 42);
	json_object_put(obj);

	assert_null(hvt_json_parse("{\"a\": 1,, }", &err));
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "offset 8"));
	assert_null(hvt_json_parse("{\"a\": 1} x", &err));
	assert_non_null(strstr(err.msg, "trailing"));
	assert_null(hvt_json_parse("", &err));
	assert_null(hvt_json_parse("{\"a\": ", &err));
	assert_non_null(strstr(err.msg, "offset"));


	q = hvt_json_quote("a\"b\\c/d\n");
	assert_string_equal(q, "\"a\\\"b\\\\c/d\\n\"");
	free(q);
	assert_string_equal(hvt_json_str(NULL), "null");
}

/* %s is a quoted string whatever it holds: quotes, backslashes, newlines. */
static void test_json_build(void **state)
{
	static const char *const nasty[] = {
		"/tmp/it's here", "say \"hi\"", "back\\slash", "new\nline", "'}, 'x': {'",
		"", "\x01\x1f", "caf\xc3\xa9",
	};
	const char *volatile none = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *obj;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(nasty); i++) {
		obj = hvt_json_build(&err, "{'path': %s, 'n': %d}", nasty[i], 3);
		if (!obj)
			fail_msg("%s: %s", nasty[i], err.msg);
		assert_string_equal(hvt_json_get_str(obj, "path"), nasty[i]);
		assert_int_equal(hvt_json_get_int(obj, "n", -1), 3);
		assert_int_equal(json_object_object_length(obj), 2);
		json_object_put(obj);
	}
	obj = hvt_json_build(&err, "{'a': %s, 'u': %llu, 'z': %zu, 'l': %ld, 'd': %g, 'p': %p, "
			     "'pct': '100%%'}", none, 18446744073709551615ULL, (size_t)7, -5L,
			     0.25, (void *)json_object_new_boolean(1));
	assert_non_null(obj);
	assert_string_equal(hvt_json_str(obj), "{\"a\":null,\"u\":18446744073709551615,"
			    "\"z\":7,\"l\":-5,\"d\":0.25,\"p\":true,\"pct\":\"100%\"}");
	json_object_put(obj);

	/* mistakes are errors, never a silently different value */
	assert_null(hvt_json_build(&err, "{'id': '%s'}", "x"));
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "quotes a conversion"));
	assert_null(hvt_json_build(&err, "{'id': %x}", 10u));
	assert_non_null(strstr(err.msg, "'%x'"));
	assert_null(hvt_json_build(&err, "{'v': %f}", 1.0 / 0.0));
	assert_null(hvt_json_build(&err, "{'v': %d", 1));
	assert_int_equal(err.code, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T("/jstream/split/every-point", test_split_every_point),
		T("/jstream/split/byte-by-byte", test_byte_by_byte),
		T("/jstream/many-in-one-read", test_many_in_one_read),
		T("/jstream/whitespace", test_whitespace_only),
		T("/jstream/queue-order", test_queue_order),
		T("/jstream/delimiter/reset", test_ff_resets),
		T("/jstream/delimiter/expect", test_expect_delimiter),
		T("/jstream/error/malformed", test_malformed),
		T("/jstream/error/keeps-earlier", test_malformed_keeps_earlier),
		T("/jstream/error/not-an-object", test_not_an_object),
		T("/jstream/error/oversized", test_oversized),
		T("/jstream/error/oversized-string", test_oversized_string),
		T("/jstream/error/depth", test_depth),
		T("/json/parse", test_json_parse),
		T("/json/build", test_json_build),
	};

	return cmocka_run_group_tests_name("jstream", tests, NULL, NULL);
}
