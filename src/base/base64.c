// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Base64 encoding and decoding (RFC 4648 section 4).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "base64.h"
#include "util.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *hvt_base64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out = hvt_malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int hvt_base64_decode(const char *text, size_t len, char **out, size_t *out_len)
{
	char *buf = hvt_malloc(len / 4 * 3 + 3), *o = buf;
	uint32_t acc = 0;
	size_t nacc = 0, npad = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			/* Padding only completes a group of two or three. */
			if (nacc + npad < 2 || nacc + npad >= 4)
				goto err_free;
			npad++;
			continue;
		}
		v = value_of(c);
		if (v < 0 || npad)
			goto err_free;
		acc = acc << 6 | (uint32_t)v;
		if (++nacc == 4) {
			*o++ = (char)(acc >> 16);
			*o++ = (char)(acc >> 8);
			*o++ = (char)acc;
			acc = 0;
			nacc = 0;
		}
	}
	if (npad && nacc + npad != 4)
		goto err_free;
	if (nacc == 1)
		goto err_free;
	if (nacc == 2) {
		*o++ = (char)(acc >> 4);
	} else if (nacc == 3) {
		*o++ = (char)(acc >> 10);
		*o++ = (char)(acc >> 2);
	}
	*o = '\0';
	*out = buf;
	*out_len = (size_t)(o - buf);
	return 0;

err_free:
	free(buf);
	return -EINVAL;
}
