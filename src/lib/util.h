/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small things every module needs: the error struct, string vectors,
 * clocks, and file helpers.
 */
#ifndef HVT_UTIL_H
#define HVT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HVT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define HVT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Caller-owned error details. Functions return 0 or a negative errno and,
 * when given a non-NULL err, describe the failure here. They never print.
 * For errors reported by QMP or the guest agent, code is -EREMOTEIO and
 * cls holds the error class ("GenericError", "DeviceNotActive", ...).
 */
struct hvt_err {
	int code;
	char cls[64];
	char msg[2048];
};

#define HVT_ERR_INIT { 0, "", "" }

/* Fill err (if not NULL) and return code, which should be negative. */
int hvt_err_set(struct hvt_err *err, int code, const char *fmt, ...)
	HVT_PRINTF(3, 4);
int hvt_err_vset(struct hvt_err *err, int code, const char *fmt, va_list ap)
	HVT_PRINTF(3, 0);
/* Prepend "<prefix>: " to err->msg; returns err->code (0 if err is NULL). */
int hvt_err_prefix(struct hvt_err *err, const char *fmt, ...) HVT_PRINTF(2, 3);
/* Append text to err->msg (used to attach console tails and hints). */
void hvt_err_append(struct hvt_err *err, const char *fmt, ...) HVT_PRINTF(2, 3);
void hvt_err_clear(struct hvt_err *err);

/* Die with "hvtest: BUG: ..." on a broken invariant. */
_Noreturn void hvt_bug(const char *file, int line, const char *fmt, ...)
	HVT_PRINTF(3, 4);
#define HVT_BUG(...) hvt_bug(__FILE__, __LINE__, __VA_ARGS__)

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

/* Monotonic clock, milliseconds / seconds as double. */
int64_t hvt_now_ms(void);
double hvt_now(void);
/* Wall clock as "2026-11-22T03:10:00.123456Z" into buf (>= 32 bytes). */
void hvt_wallclock(char *buf, size_t len);
/* Milliseconds left until deadline (a hvt_now_ms() value), never negative. */
int hvt_ms_left(int64_t deadline);

/* Read a whole file (NUL-terminated). Returns 0 or -errno. */
int hvt_file_read(const char *path, char **out, size_t *len, struct hvt_err *err);
int hvt_file_write(const char *path, const void *data, size_t len, struct hvt_err *err);
/* The last nlines lines of a file, or NULL if it cannot be read. */
char *hvt_file_tail(const char *path, int nlines);
/* mkdir -p */
int hvt_mkdir_p(const char *path, int mode, struct hvt_err *err);
/* rm -rf (no symlink following). */
int hvt_rm_rf(const char *path);
bool hvt_path_exists(const char *path);
/* Find an executable in $PATH (or take path as is if it has a '/'). */
char *hvt_which(const char *name);

/* Write all / retrying on EINTR; -errno on failure. */
int hvt_write_all(int fd, const void *buf, size_t len);

#ifdef HVT_BUILDING
#include "banned.h"
#endif

#endif
