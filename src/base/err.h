/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Errors: a caller-owned struct hvt_err that library functions fill
 * instead of printing, and HVT_BUG() for broken invariants.
 */
#ifndef HVT_ERR_H
#define HVT_ERR_H

#include <stdarg.h>

#include "compiler.h"

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

#endif
