// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON values: parsing with readable errors, compact output and dotted
 * member look-ups on top of json-c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Deep enough for any QMP schema value, shallow enough to bound the stack. */
#define PARSE_DEPTH 64

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct json_object *hvt_json_parse(const char *text, struct hvt_err *err)
{
	struct json_tokener *tok;
	struct json_object *obj = NULL;
	enum json_tokener_error jerr;
	size_t len = strlen(text), end;

	if (len >= INT_MAX) {
		hvt_err_set(err, -EINVAL, "JSON text too long (%zu bytes)", len);
		return NULL;
	}
	tok = json_tokener_new_ex(PARSE_DEPTH);
	if (!tok)
		HVT_BUG("json_tokener_new_ex failed");
	/* Pass the NUL too, so that a trailing number is known to be complete. */
	obj = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr != json_tokener_success) {
		if (end > len)
			end = len;
		hvt_err_set(err, -EINVAL, "cannot parse JSON at offset %zu: %s: \"%.40s\"",
			    end, json_tokener_error_desc(jerr), text + end);
		goto err_free;
	}
	while (end < len && is_json_space(text[end]))
		end++;
	if (end < len) {
		hvt_err_set(err, -EINVAL,
			    "cannot parse JSON at offset %zu: trailing characters: \"%.40s\"",
			    end, text + end);
		goto err_put;
	}
	json_tokener_free(tok);
	return obj;

err_put:
	json_object_put(obj);
	obj = NULL;
err_free:
	json_tokener_free(tok);
	return obj;
}

/* Append one conversion's value; 0, or -EINVAL with err set. */
static int build_one(struct hvt_buf *b, const char *conv, size_t convlen, va_list *ap,
		     struct hvt_err *err)
{
	char spec[8];
	char c = conv[convlen - 1];

	if (c == 's') {
		const char *s = va_arg(*ap, const char *);
		char *q;

		if (convlen != 2)
			goto bad;
		if (!s) {
			hvt_buf_add(b, "null", 4);
			return 0;
		}
		q = hvt_json_quote(s);
		hvt_buf_add(b, q, strlen(q));
		free(q);
		return 0;
	}
	if (c == 'p') {
		struct json_object *obj = va_arg(*ap, struct json_object *);
		const char *text = hvt_json_str(obj);

		if (convlen != 2)
			goto bad;
		hvt_buf_add(b, text, strlen(text));
		json_object_put(obj);
		return 0;
	}
	if (c == 'f' || c == 'g' || c == 'e') {
		double v = va_arg(*ap, double);

		if (convlen != 2)
			goto bad;
		if (v != v || v - v != 0)
			return hvt_err_set(err, -EINVAL, "%%%c: %g is not a JSON number", c, v);
		hvt_buf_addf(b, "%.17g", v);
		return 0;
	}
	memcpy(spec, conv, convlen);
	spec[convlen] = '\0';
	if (!strcmp(spec, "%d") || !strcmp(spec, "%i"))
		hvt_buf_addf(b, "%d", va_arg(*ap, int));
	else if (!strcmp(spec, "%u"))
		hvt_buf_addf(b, "%u", va_arg(*ap, unsigned int));
	else if (!strcmp(spec, "%ld") || !strcmp(spec, "%li"))
		hvt_buf_addf(b, "%ld", va_arg(*ap, long));
	else if (!strcmp(spec, "%lu"))
		hvt_buf_addf(b, "%lu", va_arg(*ap, unsigned long));
	else if (!strcmp(spec, "%lld") || !strcmp(spec, "%lli"))
		hvt_buf_addf(b, "%lld", va_arg(*ap, long long));
	else if (!strcmp(spec, "%llu"))
		hvt_buf_addf(b, "%llu", va_arg(*ap, unsigned long long));
	else if (!strcmp(spec, "%zu"))
		hvt_buf_addf(b, "%zu", va_arg(*ap, size_t));
	else if (!strcmp(spec, "%zd"))
		hvt_buf_addf(b, "%zd", va_arg(*ap, ssize_t));
	else
		goto bad;
	return 0;
bad:
	return hvt_err_set(err, -EINVAL, "conversion '%.*s' is not one a JSON format takes",
			   (int)convlen, conv);
}

struct json_object *hvt_json_vbuild(struct hvt_err *err, const char *fmt, va_list ap)
{
	struct hvt_buf b = HVT_BUF_INIT;
	struct json_object *obj = NULL;
	const char *p = fmt;
	va_list aq;

	va_copy(aq, ap);
	while (*p) {
		const char *start = p;
		size_t n;

		if (*p != '%') {
			n = strcspn(p, "%");
			hvt_buf_add(&b, p, n);
			p += n;
			continue;
		}
		if (p[1] == '%') {
			hvt_buf_add(&b, "%", 1);
			p += 2;
			continue;
		}
		p++;
		p += strspn(p, "hlzjt");
		if (!*p) {
			hvt_err_set(err, -EINVAL, "format '%s' ends inside a conversion", fmt);
			goto out;
		}
		p++;
		/* '%s' in quotes would become a string inside a string */
		if (start > fmt && (start[-1] == '\'' || start[-1] == '"') &&
		    (*p == '\'' || *p == '"')) {
			hvt_err_set(err, -EINVAL, "format '%s' quotes a conversion: %%s "
				    "becomes a quoted string by itself", fmt);
			goto out;
		}
		if (build_one(&b, start, (size_t)(p - start), &aq, err))
			goto out;
	}
	hvt_buf_add(&b, "", 1);
	obj = hvt_json_parse(b.p, err);
out:
	va_end(aq);
	hvt_buf_release(&b);
	return obj;
}

struct json_object *hvt_json_build(struct hvt_err *err, const char *fmt, ...)
{
	struct json_object *obj;
	va_list ap;

	va_start(ap, fmt);
	obj = hvt_json_vbuild(err, fmt, ap);
	va_end(ap);
	return obj;
}

const char *hvt_json_str(struct json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* A path segment that is a decimal index, for stepping into arrays. */
static bool parse_index(const char *s, size_t n, size_t *idx)
{
	size_t v = 0;

	if (!n || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*idx = v;
	return true;
}

struct json_object *hvt_json_get(struct json_object *obj, const char *path)
{
	const char *p = path;

	if (!path)
		return obj;
	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		size_t idx;

		if (json_object_is_type(obj, json_type_object)) {
			char *key = hvt_strndup(p, n);
			struct json_object *next = NULL;

			if (!json_object_object_get_ex(obj, key, &next))
				next = NULL;
			free(key);
			obj = next;
		} else if (json_object_is_type(obj, json_type_array) &&
			   parse_index(p, n, &idx)) {
			obj = idx < json_object_array_length(obj) ?
				      json_object_array_get_idx(obj, idx) : NULL;
		} else {
			obj = NULL;
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	return obj;
}

const char *hvt_json_get_str(struct json_object *obj, const char *path)
{
	struct json_object *v = hvt_json_get(obj, path);

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t hvt_json_get_int(struct json_object *obj, const char *path, int64_t dflt)
{
	struct json_object *v = hvt_json_get(obj, path);

	if (!json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

bool hvt_json_get_bool(struct json_object *obj, const char *path, bool dflt)
{
	struct json_object *v = hvt_json_get(obj, path);

	if (!json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

char *hvt_json_quote(const char *s)
{
	struct json_object *str = json_object_new_string(s);
	char *quoted;

	if (!str)
		HVT_BUG("json_object_new_string failed");
	quoted = hvt_strdup(hvt_json_str(str));
	json_object_put(str);
	return quoted;
}

int hvt_json_reply(struct json_object *reply, const char *cmd, struct json_object **ret,
		   struct hvt_err *err)
{
	struct json_object *error;
	int r = 0;

	if (json_object_object_get_ex(reply, "error", &error)) {
		const char *cls = hvt_json_get_str(error, "class");
		const char *desc = hvt_json_get_str(error, "desc");

		r = hvt_err_set(err, -EREMOTEIO, "%s: %s", cmd,
				desc ? desc : hvt_json_str(error));
		if (err)
			snprintf(err->cls, sizeof(err->cls), "%s", cls ? cls : "");
	} else if (ret) {
		*ret = json_object_get(hvt_json_get(reply, "return"));
	}
	json_object_put(reply);
	return r;
}
