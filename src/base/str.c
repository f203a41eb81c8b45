// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Memory and strings (str.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void *oom(size_t n)
{
	fprintf(stderr, "hvtest: out of memory allocating %zu bytes\n", n);
	abort();
}

void *hvt_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	return p ? p : oom(n);
}

void *hvt_zalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	return p ? p : oom(n);
}

void *hvt_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	return q ? q : oom(n);
}

char *hvt_strdup(const char *s)
{
	return hvt_strndup(s, strlen(s));
}

char *hvt_strndup(const char *s, size_t n)
{
	char *p = hvt_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *hvt_vasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		return oom(0);
	return p;
}

char *hvt_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = hvt_vasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int hvt_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

void hvt_strv_push(struct hvt_strv *sv, const char *s)
{
	if (sv->n + 2 > sv->alloc) {
		sv->alloc = sv->alloc ? sv->alloc * 2 : 16;
		sv->v = hvt_realloc(sv->v, sv->alloc * sizeof(*sv->v));
	}
	sv->v[sv->n++] = hvt_strdup(s);
	sv->v[sv->n] = NULL;
}

void hvt_strv_pushf(struct hvt_strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_strv_push(sv, s);
	free(s);
}

void hvt_strv_pushv(struct hvt_strv *sv, const char *const *v)
{
	for (; v && *v; v++)
		hvt_strv_push(sv, *v);
}

void hvt_strv_release(struct hvt_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

static bool needs_quote(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_=/.,:@+%", *s))
			return true;
	return false;
}

char *hvt_strv_join_quoted(const struct hvt_strv *sv)
{
	struct hvt_buf b = HVT_BUF_INIT;

	for (size_t i = 0; i < sv->n; i++) {
		const char *s = sv->v[i];

		if (i)
			hvt_buf_add(&b, " ", 1);
		if (!needs_quote(s)) {
			hvt_buf_add(&b, s, strlen(s));
			continue;
		}
		hvt_buf_add(&b, "'", 1);
		for (; *s; s++) {
			if (*s == '\'')
				hvt_buf_add(&b, "'\\''", 4);
			else
				hvt_buf_add(&b, s, 1);
		}
		hvt_buf_add(&b, "'", 1);
	}
	if (!b.p)
		hvt_buf_add(&b, "", 0);
	return b.p;
}

void hvt_buf_add(struct hvt_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->alloc) {
		size_t want = b->alloc ? b->alloc : 256;

		while (want < b->len + len + 1)
			want *= 2;
		b->p = hvt_realloc(b->p, want);
		b->alloc = want;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void hvt_buf_addf(struct hvt_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_buf_add(b, s, strlen(s));
	free(s);
}

void hvt_buf_consume(struct hvt_buf *b, size_t len)
{
	if (len >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + len, b->len - len);
		b->len -= len;
	}
	if (b->p)
		b->p[b->len] = '\0';
}

void hvt_buf_release(struct hvt_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->alloc = 0;
}
