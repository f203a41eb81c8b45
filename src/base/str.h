/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory and strings: allocation that aborts on exhaustion, formatted
 * strings, string vectors (argv) and growable byte buffers.
 */
#ifndef HVT_STR_H
#define HVT_STR_H

#include <stdarg.h>
#include <stddef.h>

#include "compiler.h"

/* malloc family that abort on OOM (memory exhaustion is not recoverable). */
void *hvt_malloc(size_t n);
void *hvt_zalloc(size_t n);
void *hvt_realloc(void *p, size_t n);
char *hvt_strdup(const char *s);
char *hvt_strndup(const char *s, size_t n);
char *hvt_asprintf(const char *fmt, ...) HVT_PRINTF(1, 2);
char *hvt_vasprintf(const char *fmt, va_list ap) HVT_PRINTF(1, 0);
/* snprintf that returns -ENAMETOOLONG instead of truncating silently. */
int hvt_snprintf(char *buf, size_t len, const char *fmt, ...) HVT_PRINTF(3, 4);

/* A growable NULL-terminated vector of owned strings (argv, lists). */
struct hvt_strv {
	char **v;
	size_t n, alloc;
};

#define HVT_STRV_INIT { NULL, 0, 0 }

void hvt_strv_push(struct hvt_strv *sv, const char *s);
void hvt_strv_pushf(struct hvt_strv *sv, const char *fmt, ...) HVT_PRINTF(2, 3);
/* Append a NULL-terminated array of strings. */
void hvt_strv_pushv(struct hvt_strv *sv, const char *const *v);
void hvt_strv_release(struct hvt_strv *sv);
/* Join with sep, shell-quoting items that need it (for display only). */
char *hvt_strv_join_quoted(const struct hvt_strv *sv);

/* A growable byte buffer, always NUL-terminated. */
struct hvt_buf {
	char *p;
	size_t len, alloc;
};

#define HVT_BUF_INIT { NULL, 0, 0 }

void hvt_buf_add(struct hvt_buf *b, const void *data, size_t len);
void hvt_buf_addf(struct hvt_buf *b, const char *fmt, ...) HVT_PRINTF(2, 3);
void hvt_buf_consume(struct hvt_buf *b, size_t len);
void hvt_buf_release(struct hvt_buf *b);

#endif
