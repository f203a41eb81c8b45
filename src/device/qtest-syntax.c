// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The qtest protocol's text, both ways: lines from QEMU parsed, the values
 * its replies carry decoded, command lines checked as QEMU's own parser
 * would take them. Pure functions of their input (fuzz-qtest,
 * fuzz-qtest-command); the connection is qtest.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "qtest-int.h"

/* ---- lines from QEMU ---- */

static bool word_is(const char *p, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len >= n && !memcmp(p, w, n) && (len == n || p[n] == ' ');
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

enum hvt_qtest_line_kind hvt_qtest_parse_line(const char *line, size_t len,
					      struct hvt_qtest_line *out)
{
	const char *end = line + len, *p;
	unsigned long n = 0;

	memset(out, 0, sizeof(*out));
	out->kind = HVT_QTEST_LINE_BAD;
	if (len && line[len - 1] == '\r')
		end--, len--;
	if (word_is(line, len, "OK"))
		out->kind = HVT_QTEST_LINE_OK;
	else if (word_is(line, len, "FAIL"))
		out->kind = HVT_QTEST_LINE_FAIL;
	else if (word_is(line, len, "ERR"))
		out->kind = HVT_QTEST_LINE_ERR;
	else if (word_is(line, len, "IRQ"))
		out->kind = HVT_QTEST_LINE_IRQ;
	else
		return out->kind;
	p = memchr(line, ' ', len);
	p = p ? skip_blanks(p, end) : end;
	out->rest = p;
	out->rest_len = (size_t)(end - p);
	if (out->kind != HVT_QTEST_LINE_IRQ)
		return out->kind;

	if (word_is(p, (size_t)(end - p), "raise"))
		out->raise = true;
	else if (!word_is(p, (size_t)(end - p), "lower"))
		goto bad;
	p = skip_blanks(p + 5, end);
	if (p == end)
		goto bad;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 0xffffffffUL)
			goto bad;
	}
	if (skip_blanks(p, end) != end)
		goto bad;
	out->irq = (unsigned int)n;
	return out->kind;
bad:
	out->kind = HVT_QTEST_LINE_BAD;
	return out->kind;
}

/* ---- values in replies ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool parse_hex_u64(const char *p, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t i;

	if (len < 3 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X') || len - 2 > 16)
		return false;
	for (i = 2; i < len; i++) {
		int d = hexval(p[i]);

		if (d < 0)
			return false;
		n = n << 4 | (uint64_t)d;
	}
	*v = n;
	return true;
}

static void store_uint(void *dst, unsigned int width, uint64_t v)
{
	switch (width) {
	case 1: *(uint8_t *)dst = (uint8_t)v; break;
	case 2: *(uint16_t *)dst = (uint16_t)v; break;
	case 4: *(uint32_t *)dst = (uint32_t)v; break;
	default: *(uint64_t *)dst = v; break;
	}
}

int hvt_qtest_decode(enum hvt_qtest_decode dec, unsigned int width, void *dst, size_t len,
		     const char *r, size_t rl)
{
	uint64_t v;

	switch (dec) {
	case HVT_QTEST_DEC_NONE:
		return 0;
	case HVT_QTEST_DEC_UINT:
		if (!parse_hex_u64(r, rl, &v))
			return -EPROTO;
		if (width < 8 && v >> (width * 8))
			return -EPROTO;
		store_uint(dst, width, v);
		return 0;
	case HVT_QTEST_DEC_B64: {
		char *data;
		size_t n;

		if (hvt_base64_decode(r, rl, &data, &n))
			return -EPROTO;
		if (n != len) {
			free(data);
			return -EPROTO;
		}
		memcpy(dst, data, n);
		free(data);
		return 0;
	}
	case HVT_QTEST_DEC_HEX: {
		uint8_t *d = dst;

		if (rl != 2 + 2 * len || r[0] != '0' || r[1] != 'x')
			return -EPROTO;
		for (size_t i = 0; i < len; i++) {
			int hi = hexval(r[2 + 2 * i]), lo = hexval(r[3 + 2 * i]);

			if (hi < 0 || lo < 0)
				return -EPROTO;
			d[i] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	}
	case HVT_QTEST_DEC_CLOCK: {
		int64_t n = 0;
		size_t i;

		if (!rl || rl > 19)
			return -EPROTO;
		for (i = 0; i < rl; i++) {
			if (!isdigit((unsigned char)r[i]) ||
			    n > (INT64_MAX - (r[i] - '0')) / 10)
				return -EPROTO;
			n = n * 10 + (r[i] - '0');
		}
		if (dst)
			*(int64_t *)dst = n;
		return 0;
	}
	case HVT_QTEST_DEC_ENDIAN:
		if (rl == 3 && !memcmp(r, "big", 3))
			*(bool *)dst = true;
		else if (rl == 6 && !memcmp(r, "little", 6))
			*(bool *)dst = false;
		else
			return -EPROTO;
		return 0;
	default:
		return -EPROTO;
	}
}

/* ---- command lines ---- */

bool hvt_qtest_printable_line(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int hvt_qtest_check_word(const char *what, const char *s, struct hvt_err *err)
{
	if (!s || !hvt_qtest_printable_line(s) || strchr(s, ' ') || strlen(s) > 1000)
		return hvt_err_set(err, -EINVAL, "qtest: bad %s '%s'", what, s ? s : "(null)");
	return 0;
}

/*
 * What QEMU's qtest server parses, argument by argument; it asserts on
 * what it cannot parse, which ends QEMU. One letter per argument:
 *   p  port (unsigned, up to 0xffff)     u  unsigned 64-bit number
 *   i  int                               I  int64_t
 *   n  memory length (1..256 MiB)        z  memset length (0..256 MiB)
 *   h  0x hex data for the length before b  base64 data for the length before
 *   w  a word (QOM path, GPIO name)      ?  the arguments after are optional
 */
static const struct cmd_syntax {
	const char *name, *args, *usage;
} cmd_syntax[] = {
	{ "outb", "pu", "PORT VALUE" }, { "outw", "pu", "PORT VALUE" },
	{ "outl", "pu", "PORT VALUE" }, { "inb", "p", "PORT" },
	{ "inw", "p", "PORT" }, { "inl", "p", "PORT" },
	{ "writeb", "uu", "ADDR VALUE" }, { "writew", "uu", "ADDR VALUE" },
	{ "writel", "uu", "ADDR VALUE" }, { "writeq", "uu", "ADDR VALUE" },
	{ "readb", "u", "ADDR" }, { "readw", "u", "ADDR" },
	{ "readl", "u", "ADDR" }, { "readq", "u", "ADDR" },
	{ "read", "un", "ADDR LEN" }, { "b64read", "un", "ADDR LEN" },
	{ "write", "unh", "ADDR LEN 0xHEX" }, { "b64write", "unb", "ADDR LEN BASE64" },
	{ "memset", "uzu", "ADDR LEN BYTE" }, { "endianness", "", "" },
	{ "irq_intercept_in", "w", "QOM-PATH" }, { "irq_intercept_out", "w", "QOM-PATH" },
	{ "set_irq_in", "wwii", "QOM-PATH NAME NUM LEVEL" },
	{ "clock_step", "?I", "[NS]" }, { "clock_set", "I", "NS" },
	{ "module_load", "ww", "PREFIX NAME" },
};

/* A number as QEMU's qemu_strto*() with base 0 and no end pointer takes it. */
static bool parse_number(const char *s, bool is_signed, int64_t min, uint64_t max,
			 uint64_t *out)
{
	bool neg = is_signed && *s == '-';
	unsigned long long v;
	char *end;

	if (neg)
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	if (neg ? v > (uint64_t)-(min + 1) + 1 : v > max)
		return false;
	*out = neg ? -(uint64_t)v : v;
	return true;
}

static int check_arg(char kind, const char *w, uint64_t prev, struct hvt_err *err)
{
	uint64_t v;
	size_t n;

	switch (kind) {
	case 'p':
		if (!parse_number(w, false, 0, 0xffff, &v))
			return hvt_err_set(err, -EINVAL, "'%s' is not a port (0 to 0xffff)", w);
		return 0;
	case 'u':
		if (!parse_number(w, false, 0, UINT64_MAX, &v))
			return hvt_err_set(err, -EINVAL, "'%s' is not an unsigned 64-bit number "
					   "(decimal, 0x hex or 0 octal)", w);
		return 0;
	case 'i':
		if (!parse_number(w, true, INT_MIN, INT_MAX, &v))
			return hvt_err_set(err, -EINVAL, "'%s' is not an int", w);
		return 0;
	case 'I':
		if (!parse_number(w, true, INT64_MIN, INT64_MAX, &v))
			return hvt_err_set(err, -EINVAL, "'%s' is not a 64-bit integer", w);
		return 0;
	case 'n':
	case 'z':
		if (!parse_number(w, false, 0, HVT_QTEST_MAX_MEM_LEN, &v) || (kind == 'n' && !v))
			return hvt_err_set(err, -EINVAL, "'%s' is not a length from %d to %u", w,
					   kind == 'n', HVT_QTEST_MAX_MEM_LEN);
		return 0;
	case 'h':
		n = strlen(w);
		if (n < 4 || w[0] != '0' || w[1] != 'x' || n % 2 ||
		    strspn(w + 2, "0123456789abcdefABCDEF") != n - 2)
			return hvt_err_set(err, -EINVAL, "the data is not 0x and pairs of hex digits");
		if ((n - 2) / 2 > prev)
			return hvt_err_set(err, -EINVAL, "%zu bytes of data for a length of %" PRIu64,
					   (n - 2) / 2, prev);
		return 0;
	case 'b': {
		char *data = NULL;

		if (hvt_base64_decode(w, strlen(w), &data, &n))
			return hvt_err_set(err, -EINVAL, "the data is not base64");
		free(data);
		if (n != prev)
			return hvt_err_set(err, -EINVAL, "%zu bytes of data for a length of %" PRIu64,
					   n, prev);
		return 0;
	}
	default:
		return hvt_qtest_check_word("word", w, err);
	}
}

int hvt_qtest_check_command(const struct hvt_qtest *q, const char *line, struct hvt_err *err)
{
	const struct cmd_syntax *cs = NULL;
	char *copy, *words[8], *p;
	size_t nw = 0, name_len;
	uint64_t prev = 0;
	const char *a;
	int r = 0;

	if (!hvt_qtest_printable_line(line))
		return hvt_err_set(err, -EINVAL, "qtest: a command is one line of printable text");
	name_len = strcspn(line, " ");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(cmd_syntax) && !cs; i++)
		if (strlen(cmd_syntax[i].name) == name_len &&
		    !memcmp(cmd_syntax[i].name, line, name_len))
			cs = &cmd_syntax[i];
	if (!cs)
		return hvt_err_set(err, -EINVAL, "qtest: unknown command '%.*s'", (int)name_len, line);
	if (q && hvt_qtest_no_clock(q) && !strncmp(cs->name, "clock_", 6))
		return hvt_err_set(err, -ENOTSUP, "qtest: no virtual clock under %s",
				   hvt_qtest_accel(q));

	/* QEMU splits at every blank: two in a row, or one at an end, make an empty word. */
	copy = hvt_strdup(line);
	for (p = copy; ; ) {
		char *sp = strchr(p, ' ');

		if (sp)
			*sp = '\0';
		if (!*p) {
			r = hvt_err_set(err, -EINVAL, "qtest: an empty word (blanks in a row, or "
					"at an end)");
			goto out;
		}
		if (nw < HVT_ARRAY_SIZE(words))
			words[nw] = p;
		nw++;
		if (!sp)
			break;
		p = sp + 1;
	}
	{
		size_t need = strcspn(cs->args, "?"), most = strlen(cs->args) - (need < strlen(cs->args));

		if (nw - 1 < need || nw - 1 > most) {
			r = hvt_err_set(err, -EINVAL, "qtest: usage: %s%s%s", cs->name,
					*cs->usage ? " " : "", cs->usage);
			goto out;
		}
	}
	a = cs->args;
	for (size_t i = 1; i < nw; i++, a++) {
		if (*a == '?')
			a++;
		r = check_arg(*a, words[i], prev, err);
		if (r) {
			hvt_err_prefix(err, "qtest: %s, argument %zu", cs->name, i);
			goto out;
		}
		if (*a == 'n' || *a == 'z')
			parse_number(words[i], false, 0, HVT_QTEST_MAX_MEM_LEN, &prev);
	}
out:
	free(copy);
	return r;
}

