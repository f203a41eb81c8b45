// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Framing of JSON message streams (QMP, guest agent): json-c's incremental
 * tokener splits bytes into top-level objects; 0xFF resets the framer.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jstream.h"

#define JSTREAM_DEPTH 64
#define DELIM 0xFF

struct hvt_jstream {
	struct json_tokener *tok;
	size_t max_msg;
	size_t msg_len;	/* bytes of the message being parsed so far */
	bool in_msg;	/* between the opening '{' and the end of a message */
	bool discard;	/* drop input up to the next 0xFF */
	/* FIFO of complete messages: q[head .. head + n) */
	struct json_object **q;
	size_t head, n, alloc;
};

struct hvt_jstream *hvt_jstream_new(size_t max_msg)
{
	struct hvt_jstream *js = hvt_zalloc(sizeof(*js));

	js->tok = json_tokener_new_ex(JSTREAM_DEPTH);
	if (!js->tok)
		HVT_BUG("json_tokener_new_ex failed");
	/*
	 * QEMU writes strict JSON. Strict mode also keeps the tokener from
	 * reading a '/' after a message as the start of a comment, which
	 * would swallow the message; trailing characters are the next one.
	 */
	json_tokener_set_flags(js->tok, JSON_TOKENER_STRICT |
					JSON_TOKENER_ALLOW_TRAILING_CHARS);
	hvt_jstream_set_max_msg(js, max_msg);
	return js;
}

void hvt_jstream_set_max_msg(struct hvt_jstream *js, size_t max_msg)
{
	js->max_msg = max_msg ? max_msg : HVT_JSTREAM_MAX_MSG_DEFAULT;
}

static void queue_clear(struct hvt_jstream *js)
{
	for (size_t i = 0; i < js->n; i++)
		json_object_put(js->q[js->head + i]);
	js->head = js->n = 0;
}

void hvt_jstream_free(struct hvt_jstream *js)
{
	if (!js)
		return;
	queue_clear(js);
	free(js->q);
	json_tokener_free(js->tok);
	free(js);
}

static void queue_push(struct hvt_jstream *js, struct json_object *obj)
{
	if (js->head && js->head + js->n == js->alloc) {
		memmove(js->q, js->q + js->head, js->n * sizeof(*js->q));
		js->head = 0;
	}
	if (js->n == js->alloc) {
		js->alloc = js->alloc ? js->alloc * 2 : 16;
		js->q = hvt_realloc(js->q, js->alloc * sizeof(*js->q));
	}
	js->q[js->head + js->n++] = obj;
}

/* Forget the message in progress. */
static void reset_msg(struct hvt_jstream *js)
{
	json_tokener_reset(js->tok);
	js->in_msg = false;
	js->msg_len = 0;
}

static int fail(struct hvt_jstream *js, struct hvt_err *err, int code,
		const char *fmt, ...) HVT_PRINTF(4, 5);

static int fail(struct hvt_jstream *js, struct hvt_err *err, int code,
		const char *fmt, ...)
{
	va_list ap;

	reset_msg(js);
	js->discard = true;
	va_start(ap, fmt);
	hvt_err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse bytes that hold no 0xFF. */
static int feed_segment(struct hvt_jstream *js, const unsigned char *p, size_t len,
			struct hvt_err *err)
{
	const unsigned char *end = p + len;

	while (p < end) {
		enum json_tokener_error jerr;
		struct json_object *obj;
		size_t n, used;

		if (!js->in_msg) {
			while (p < end && is_ws(*p))
				p++;
			if (p == end)
				break;
			/* QMP and the agent only send objects; this also keeps
			 * bare numbers, which never end by themselves, out. */
			if (*p != '{')
				return fail(js, err, -EBADMSG,
					    "malformed JSON message: starts with byte 0x%02x, not '{'",
					    *p);
			js->in_msg = true;
		}
		n = (size_t)(end - p);
		if (n > js->max_msg - js->msg_len)
			n = js->max_msg - js->msg_len;
		if (!n)
			return fail(js, err, -EMSGSIZE,
				    "JSON message longer than the limit of %zu bytes",
				    js->max_msg);
		if (n > INT_MAX / 2)
			n = INT_MAX / 2;

		obj = json_tokener_parse_ex(js->tok, (const char *)p, (int)n);
		jerr = json_tokener_get_error(js->tok);
		if (jerr == json_tokener_continue) {
			js->msg_len += n;
			p += n;
			continue;
		}
		used = json_tokener_get_parse_end(js->tok);
		if (jerr != json_tokener_success)
			return fail(js, err, -EBADMSG,
				    "malformed JSON message at byte %zu: %s",
				    js->msg_len + used, json_tokener_error_desc(jerr));
		if (!json_object_is_type(obj, json_type_object) || !used || used > n) {
			json_object_put(obj);
			return fail(js, err, -EBADMSG,
				    "malformed JSON message: not an object");
		}
		queue_push(js, obj);
		reset_msg(js);
		p += used;
	}
	return 0;
}

int hvt_jstream_feed(struct hvt_jstream *js, const void *buf, size_t len,
		     struct hvt_err *err)
{
	const unsigned char *p = buf, *end = p + len;
	int ret = 0;

	while (p < end) {
		const unsigned char *ff = memchr(p, DELIM, (size_t)(end - p));
		const unsigned char *seg_end = ff ? ff : end;

		if (!js->discard && seg_end > p) {
			int r = feed_segment(js, p, (size_t)(seg_end - p),
					     ret ? NULL : err);

			if (r && !ret)
				ret = r;
		}
		if (!ff)
			break;
		reset_msg(js);
		js->discard = false;
		p = ff + 1;
	}
	return ret;
}

void hvt_jstream_expect_delimiter(struct hvt_jstream *js)
{
	queue_clear(js);
	reset_msg(js);
	js->discard = true;
}

struct json_object *hvt_jstream_pop(struct hvt_jstream *js)
{
	struct json_object *obj;

	if (!js->n)
		return NULL;
	obj = js->q[js->head++];
	if (!--js->n)
		js->head = 0;
	return obj;
}

size_t hvt_jstream_pending(const struct hvt_jstream *js)
{
	return js->n;
}
