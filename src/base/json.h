/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON values: json-c behind a few helpers. The only header that includes
 * json-c; other modules include this one.
 */
#ifndef HVT_JSON_H
#define HVT_JSON_H

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/*
 * Parse a complete JSON text. Single-quoted strings are accepted so that
 * C callers can write "{'driver': 'virtio-balloon-pci'}". Returns a new
 * reference, or NULL with err set (code -EINVAL, message naming the
 * offset, json-c's description and the text there). Trailing characters
 * other than whitespace are an error. Nesting is limited to 64 levels.
 */
struct json_object *hvt_json_parse(const char *text, struct hvt_err *err);
/*
 * Build a JSON value from a JSON text with printf-style conversions, as
 * libqtest's qtest_qmp() does: %s becomes a JSON string, quoted and
 * escaped (NULL: null), so that a path or an id cannot break the text;
 * %d %i %u %ld %lu %lld %llu %zu %zd an integer; %f %g %e a finite number;
 * %p a struct json_object *, whose reference the call takes over; %% a
 * '%'. Any other conversion, or a conversion written inside quotes
 * ('%s'), is an error. Returns a new reference, or NULL with err set
 * (-EINVAL).
 *   hvt_json_build(err, "{'id': %s, 'size': %llu}", id, size)
 */
struct json_object *hvt_json_build(struct hvt_err *err, const char *fmt, ...)
	HVT_PRINTF(2, 3);
struct json_object *hvt_json_vbuild(struct hvt_err *err, const char *fmt, va_list ap)
	HVT_PRINTF(2, 0);

/*
 * Compact serialisation ('/' is not escaped); the string lives as long as
 * obj, or until the next serialisation of obj. NULL gives "null".
 */
const char *hvt_json_str(struct json_object *obj);

/*
 * Member look-ups by a dotted path ("return.actual", "data.device"); a
 * decimal segment indexes an array ("return.0.name"). An empty or NULL
 * path is obj itself. hvt_json_get() returns a borrowed reference. They
 * return NULL / the default when a member is missing or of another type
 * (hvt_json_get_int() wants a JSON integer, not a double).
 */
struct json_object *hvt_json_get(struct json_object *obj, const char *path);
const char *hvt_json_get_str(struct json_object *obj, const char *path);
int64_t hvt_json_get_int(struct json_object *obj, const char *path, int64_t dflt);
bool hvt_json_get_bool(struct json_object *obj, const char *path, bool dflt);

/*
 * Unwrap a reply of QMP or the guest agent, taking over the reference to
 * reply: {"return": R} gives 0 and *ret (if ret is not NULL) a new
 * reference to R; {"error": {"class": C, "desc": D}} gives -EREMOTEIO with
 * err->cls = C and err->msg "CMD: D".
 */
int hvt_json_reply(struct json_object *reply, const char *cmd, struct json_object **ret,
		   struct hvt_err *err);

/* JSON-escape s into a newly allocated quoted string ("\"a\\\"b\""). */
char *hvt_json_quote(const char *s);

#endif
