// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the JSON stream framer and hvt_json_parse(): the
 * input's first bytes choose the size limit and how the rest is split.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jstream.h"

#define HEADER 9

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct hvt_jstream *js)
{
	struct json_object *obj;

	while ((obj = hvt_jstream_pop(js))) {
		/* Use what came out, as the QMP and agent clients would. */
		if (!json_object_is_type(obj, json_type_object))
			abort();
		(void)hvt_json_str(obj);
		(void)hvt_json_get_str(obj, "event");
		(void)hvt_json_get_int(obj, "return.0.id", 0);
		json_object_put(obj);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_jstream *js;
	const uint8_t *p, *end = data + size;
	size_t max_msg, piece = 0;
	struct json_object *obj;
	char *text;

	if (size < HEADER)
		return 0;
	/* A small limit, so that oversized messages are common. */
	max_msg = 8 + (size_t)data[0] * 4;
	js = hvt_jstream_new(max_msg);
	for (p = data + HEADER; p < end; piece++) {
		uint8_t ctl = data[1 + piece % (HEADER - 1)];
		size_t n = (size_t)(ctl & 0x3f) + 1;
		int r;

		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		r = hvt_jstream_feed(js, p, n, (ctl & 0x40) ? NULL : &err);
		if (r && r != -EBADMSG && r != -EMSGSIZE)
			abort();
		if (r && !(ctl & 0x40) && err.code != r)
			abort();
		p += n;
		if (ctl & 0x80)
			hvt_jstream_expect_delimiter(js);
		/* Sometimes let messages pile up before popping. */
		if (!(piece & 3))
			drain(js);
	}
	drain(js);
	hvt_jstream_free(js);

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	obj = hvt_json_parse(text, &err);
	if (obj)
		(void)hvt_json_str(obj);
	json_object_put(obj);
	free(text);
	return 0;
}
