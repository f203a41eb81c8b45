// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Errors (err.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int hvt_err_vset(struct hvt_err *err, int code, const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		err->cls[0] = '\0';
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return code;
}

int hvt_err_set(struct hvt_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hvt_err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int hvt_err_prefix(struct hvt_err *err, const char *fmt, ...)
{
	char *prefix, *joined;
	va_list ap;

	if (!err)
		return 0;
	va_start(ap, fmt);
	prefix = hvt_vasprintf(fmt, ap);
	va_end(ap);
	joined = hvt_asprintf("%s: %s", prefix, err->msg);
	memcpy(err->msg, joined, strnlen(joined, sizeof(err->msg) - 1));
	err->msg[strnlen(joined, sizeof(err->msg) - 1)] = '\0';
	free(joined);
	free(prefix);
	return err->code;
}

void hvt_err_append(struct hvt_err *err, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!err)
		return;
	len = strlen(err->msg);
	if (len + 1 >= sizeof(err->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg + len, sizeof(err->msg) - len, fmt, ap);
	va_end(ap);
}

void hvt_err_clear(struct hvt_err *err)
{
	if (err) {
		err->code = 0;
		err->cls[0] = '\0';
		err->msg[0] = '\0';
	}
}

void hvt_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hvtest: BUG at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
