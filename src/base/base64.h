/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Base64 (RFC 4648, standard alphabet, padded), as the guest agent uses
 * it for command output and file contents.
 */
#ifndef HVT_BASE64_H
#define HVT_BASE64_H

#include <stddef.h>

/* Encode len bytes into a new NUL-terminated string the caller frees. */
char *hvt_base64_encode(const void *data, size_t len);

/*
 * Decode len characters of text (whitespace is skipped, padding may be
 * missing). On success *out is a new buffer the caller frees, holding
 * *out_len bytes followed by a NUL that is not counted. Returns 0, or
 * -EINVAL on a character outside the alphabet or misplaced padding.
 */
int hvt_base64_decode(const char *text, size_t len, char **out, size_t *out_len);

#endif
