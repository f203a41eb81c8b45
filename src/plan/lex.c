// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan lexer: text -> lines -> tokens. Lines are split as Python
 * splits avocado-vt's decoded text (its line breaks and white space
 * include some beyond ASCII); the tokens follow avocado-vt's
 * cartesian_config Lexer step by step (its fast path for "key = value"
 * lines included), because its quirks decide what a plan means.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lex.h"

/* ---- characters ---- */

/* a byte in 8 of x is below 0x20 or above 0x7f (sometimes said of others too) */
static inline bool word_special(const unsigned char *s)
{
	uint64_t x;

	memcpy(&x, s, 8);
	return ((x - 0x2020202020202020ull) | x) & 0x8080808080808080ull;
}

static inline size_t space_at(const char *str, size_t n)
{
	unsigned char c = (unsigned char)str[0];

	if (c > ' ' && c < 0x80)
		return 0;
	return py_space(str, n);
}

size_t py_space(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r') || (s[0] >= 0x1c && s[0] <= 0x1f);
	if (s[0] == 0xc2 && n >= 2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/* The length of a white space character that ends s[0..n), or 0. */
static size_t py_space_before(const char *s, size_t n)
{
	if (n && py_space(s + n - 1, 1))
		return 1;
	if (n >= 2 && py_space(s + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && py_space(s + n - 3, 3) == 3)
		return 3;
	return 0;
}

/* The offset of the first byte of s[0..n) that is not valid UTF-8, or n. */
static size_t utf8_check(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			uint64_t x;

			i++;
			/* ASCII 8 bytes at a time */
			while (i + 8 <= n && (memcpy(&x, s + i, 8), !(x & 0x8080808080808080ull)))
				i += 8;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		else
			return i;
		/* no overlong forms, no surrogates, nothing past U+10FFFF */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (i + k >= n)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return i;
		i += k + 1;
	}
	return n;
}

/* Characters (code points) in s[0..n), which is valid UTF-8. */
static int utf8_chars(const char *s, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* ---- lines ---- */

void reader_init(struct reader *rd, const char *file, bool is_file, int fd,
		 const char *text, size_t len)
{
	memset(rd, 0, sizeof(*rd));
	rd->file = file;
	rd->is_file = is_file;
	rd->fd = fd;
	if (fd < 0) {
		rd->buf = (char *)text;
		rd->end = len;
		rd->eof = true;
	}
}

void reader_release(struct reader *rd)
{
	if (rd->fd >= 0) {
		free(rd->buf);
		close(rd->fd);
	}
	hvt_buf_release(&rd->text);
	hvt_buf_release(&rd->stored_text);
	memset(rd, 0, sizeof(*rd));
	rd->fd = -1;
}

/* Read more of the file; 0, or a negative errno. */
static int reader_fill(struct reader *rd)
{
	ssize_t n;

	if (rd->pos) {
		memmove(rd->buf, rd->buf + rd->pos, rd->end - rd->pos);
		rd->end -= rd->pos;
		rd->pos = 0;
	}
	if (rd->end == rd->cap) {
		rd->cap = rd->cap ? rd->cap * 2 : 65536;
		rd->buf = hvt_realloc(rd->buf, rd->cap);
	}
	do
		n = read(rd->fd, rd->buf + rd->end, rd->cap - rd->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		rd->eof = true;
	rd->end += (size_t)n;
	return 0;
}

/* 1: a line break of this many bytes at s (m bytes available), 0: none, -1: need more */
static int line_break(const unsigned char *s, size_t m, bool eof)
{
	switch (s[0]) {
	case '\n': case '\v': case '\f': case 0x1c: case 0x1d: case 0x1e:
		return 1;
	case '\r':
		if (m < 2)
			return eof ? 1 : -1;
		return s[1] == '\n' ? 2 : 1;
	case 0xc2:
		if (m < 2)
			return eof ? 0 : -1;
		return s[1] == 0x85 ? 2 : 0;
	case 0xe2:
		if (m < 3)
			return eof ? 0 : -1;
		return s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9) ? 3 : 0;
	default:
		return 0;
	}
}

/*
 * The next physical line into *s, *n: 1, 0 at the end of the text, or a
 * negative errno.
 */
static int next_raw_line(struct reader *rd, const char **s, size_t *n)
{
	size_t i = rd->pos;

	for (;;) {
		const unsigned char *b = (const unsigned char *)rd->buf;

		for (; i < rd->end; i++) {
			int k;

			while (i + 8 <= rd->end && !word_special(b + i))
				i += 8;
			if (i >= rd->end)
				break;
			if (b[i] > '\r' && b[i] < 0x1c)
				continue;
			if (b[i] >= ' ' && b[i] != 0xc2 && b[i] != 0xe2)
				continue;
			k = line_break(b + i, rd->end - i, rd->eof);
			if (k < 0)
				break;
			if (k > 0) {
				*s = rd->buf + rd->pos;
				*n = i - rd->pos;
				rd->pos = i + (size_t)k;
				rd->num++;
				return 1;
			}
		}
		if (rd->eof) {
			if (rd->pos >= rd->end)
				return 0;
			*s = rd->buf + rd->pos;
			*n = rd->end - rd->pos;
			rd->pos = rd->end;
			rd->num++;
			return 1;
		}
		i -= rd->pos;
		{
			int rc = reader_fill(rd);

			if (rc)
				return rc;
		}
	}
}

/*
 * The next line of the plan into rd->cur: 1, 0 at the end, or a negative
 * errno with lx's error set.
 */
static int read_line(struct lexer *lx)
{
	struct reader *rd = lx->rd;

	for (;;) {
		const char *s = NULL, *t;
		size_t n = 0, bad, ind = 0, len;
		int rc = next_raw_line(rd, &s, &n), chars = 0;

		if (rc <= 0) {
			if (rc < 0) {
				lx->linenum = rd->num + 1;
				return plan_err(lx->err, rc, "%s:%d: cannot read: %s", rd->file,
						lx->linenum, strerror(-rc));
			}
			return 0;
		}
		lx->linenum = rd->num;
		bad = utf8_check(s, n);
		if (bad < n)
			return lex_error(lx, utf8_chars(s, bad) + 1, "invalid UTF-8 (byte 0x%02x):"
					 " plans are UTF-8 text", (unsigned char)s[bad]);
		if (memchr(s, '\t', n)) {
			/* expandtabs(): columns count characters */
			int col = 0;

			rd->text.len = 0;
			for (size_t k = 0; k < n; k++) {
				if (s[k] == '\t') {
					do {
						hvt_buf_add(&rd->text, " ", 1);
						col++;
					} while (col % 8);
				} else {
					hvt_buf_add(&rd->text, &s[k], 1);
					col += ((unsigned char)s[k] & 0xc0) != 0x80;
				}
			}
			t = rd->text.p;
			len = rd->text.len;
		} else {
			t = s;
			len = n;
		}
		for (size_t w; len && (w = py_space_before(t, len));)
			len -= w;
		for (size_t w; ind < len && (w = space_at(t + ind, len - ind)); chars++)
			ind += w;
		if (ind == len || t[ind] == '#' || (t[ind] == '/' && ind + 1 < len && t[ind + 1] == '/'))
			continue;
		{
			const char *nul = memchr(t + ind, '\0', len - ind);

			if (nul)
				return lex_error(lx, chars + utf8_chars(t + ind, (size_t)(nul - t) - ind) + 1,
						 "NUL byte: plans are text");
		}
		rd->cur.text = t + ind;
		rd->cur.len = len - ind;
		rd->cur.indent = chars;
		rd->cur.num = rd->num;
		return 1;
	}
}

/* The next line indented deeper than prev_indent; NULL (and rc) otherwise. */
static const struct line *reader_next(struct lexer *lx, int prev_indent, int *indent, int *rc)
{
	struct reader *rd = lx->rd;

	*rc = 0;
	if (rd->has_stored) {
		rd->has_stored = false;
		*indent = rd->stored.indent;
		return &rd->stored;
	}
	if (!rd->have) {
		int r = read_line(lx);

		if (r <= 0) {
			*rc = r;
			*indent = -1;
			return NULL;
		}
		rd->have = true;
	}
	*indent = rd->cur.indent;
	if (rd->cur.indent <= prev_indent)
		return NULL;
	rd->have = false;
	return &rd->cur;
}

/* ---- tokens ---- */

static const char *const tok_names[] = {
	[T_INDENT] = "indentation", [T_ENDBLOCK] = "end of block",
	[T_ENDL] = "end of line", [T_IDENT] = "a name", [T_WHITE] = "white space",
	[T_STRING] = "a string", [T_COLON] = "':'", [T_VARIANTS] = "'variants'",
	[T_DOT] = "'.'", [T_DASH] = "'-'", [T_AT] = "'@'", [T_ONLY] = "'only'",
	[T_NO] = "'no'", [T_JOIN] = "'join'", [T_SUFFIX] = "'suffix'",
	[T_INCLUDE] = "'include'", [T_DEL] = "'del'", [T_NOT] = "'!'",
	[T_COMMA] = "','", [T_LBRACK] = "'['", [T_RBRACK] = "']'",
	[T_LPAREN] = "'('", [T_RPAREN] = "')'", [T_OP] = "an operator",
};

static const char *const op_text[] = {
	[OP_SET] = "=", [OP_APPEND] = "+=", [OP_PREPEND] = "<=", [OP_LAZY] = "~=",
	[OP_RSET] = "?=", [OP_RAPPEND] = "?+=", [OP_RPREPEND] = "?<=", [OP_DEL] = "del",
	[OP_SUFFIX] = "suffix",
};

void tokv_push(struct tokv *tv, const struct tok *t)
{
	if (tv->n == tv->alloc) {
		tv->alloc = tv->alloc ? tv->alloc * 2 : 16;
		tv->v = hvt_realloc(tv->v, tv->alloc * sizeof(*tv->v));
	}
	tv->v[tv->n++] = *t;
}

enum { PH_BODY, PH_CHARS, PH_END, PH_DONE };

int lex_error(struct lexer *lx, int col, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (col > 0)
		return plan_err(lx->err, -EINVAL, "%s:%d:%d: %s", lx->rd->file, lx->linenum, col,
				msg);
	return plan_err(lx->err, -EINVAL, "%s:%d: %s", lx->rd->file, lx->linenum, msg);
}

static void lex_push(struct lexer *lx, enum tok_type t, const char *s, size_t len, size_t pos)
{
	struct tok *k = &lx->q[(lx->qh + lx->qn++) % HVT_ARRAY_SIZE(lx->q)];

	memset(k, 0, sizeof(*k));
	k->t = t;
	k->s = s;
	k->len = len;
	k->col = lx->ln ? lx->ln->indent + (int)pos + 1 : 0;
}

/* Python's isalnum() or "_-"; other characters beyond ASCII count as letters */
static bool id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c >= 0x80;
}

static bool oper_char(char c)
{
	return c == '+' || c == '<' || c == '?' || c == '~';
}

static int oper_kind(const char *o, size_t n)
{
	static const struct { const char *s; enum op_kind k; } tab[] = {
		{ "", OP_SET }, { "~", OP_LAZY }, { "+", OP_APPEND }, { "<", OP_PREPEND },
		{ "?", OP_RSET }, { "?+", OP_RAPPEND }, { "?<", OP_RPREPEND },
	};

	for (size_t i = 0; i < HVT_ARRAY_SIZE(tab); i++)
		if (strlen(tab[i].s) == n && !memcmp(tab[i].s, o, n))
			return (int)tab[i].k;
	return -1;
}

/* The leftmost operator of a line, as avocado-vt's fast path finds it. */
static bool find_operator(const char *s, size_t len, size_t *start, size_t *end, enum op_kind *k)
{
	for (const char *q = s; (q = memchr(q, '=', len - (size_t)(q - s)));) {
		size_t i = (size_t)(q - s);

		/* the operator may start up to two characters before its '=' */
		for (size_t b = i >= 2 ? i - 2 : 0; b <= i; b++) {
			char c = s[b];

			if (b == i) {
				*k = OP_SET, *start = i, *end = i + 1;
				return true;
			}
			if (b + 1 == i && (c == '+' || c == '<' || c == '~' || c == '?')) {
				*k = c == '+' ? OP_APPEND : c == '<' ? OP_PREPEND : c == '~' ? OP_LAZY :
				     OP_RSET;
				*start = b, *end = i + 1;
				return true;
			}
			if (b + 2 == i && c == '?' && (s[b + 1] == '+' || s[b + 1] == '<')) {
				*k = s[b + 1] == '+' ? OP_RAPPEND : OP_RPREPEND;
				*start = b, *end = i + 1;
				return true;
			}
		}
	}
	return false;
}

static void skip_space(struct lexer *lx, const char *s, size_t n)
{
	for (size_t w; lx->pos < n && (w = space_at(s + lx->pos, n - lx->pos));)
		lx->pos += w;
}

static void line_start(struct lexer *lx, const struct line *l)
{
	const char *s = l->text;
	size_t n = l->len;

#define KW(str) (n >= sizeof(str) - 1 && !memcmp(s, str, sizeof(str) - 1))
	lx->ln = l;
	lx->linenum = l->num;
	lx->phase = PH_BODY;
	lx->pos = 0;
	lx->noper = 0;
	lx->clen = 0;
	if (KW("variants:")) {
		lex_push(lx, T_VARIANTS, s, 8, 0);
		lex_push(lx, T_COLON, s + 8, 1, 8);
		lx->pos = 9;
	} else if (KW("variants ")) {
		lex_push(lx, T_VARIANTS, s, 8, 0);
		lx->pos = 8;
	} else if (s[0] == '-') {
		lex_push(lx, T_DASH, s, 1, 0);
		lx->pos = 1;
	} else if (KW("only ")) {
		lex_push(lx, T_ONLY, s, 4, 0);
		lx->pos = 4;
	} else if (KW("no ")) {
		lex_push(lx, T_NO, s, 2, 0);
		lx->pos = 2;
	} else if (KW("include ")) {
		lex_push(lx, T_INCLUDE, s, 7, 0);
		lx->pos = 7;
		return;
	} else if (KW("del ")) {
		lex_push(lx, T_DEL, s, 3, 0);
		lx->pos = 3;
	} else if (KW("suffix ")) {
		lex_push(lx, T_SUFFIX, s, 6, 0);
		lx->pos = 6;
	} else if (KW("join ")) {
		lex_push(lx, T_JOIN, s, 4, 0);
		lx->pos = 4;
	} else {
		return;
	}
#undef KW
	if (lx->q[lx->qh].t != T_VARIANTS && lx->q[lx->qh].t != T_DASH)
		skip_space(lx, s, n);
}

static void flush_chars(struct lexer *lx)
{
	if (lx->clen) {
		lex_push(lx, T_IDENT, lx->ln->text + lx->cstart, lx->clen, lx->cstart);
		lx->clen = 0;
	}
}

/* One step of avocado-vt's character loop. */
static int lex_step(struct lexer *lx)
{
	const char *s = lx->ln->text;
	size_t n = lx->ln->len, pos = lx->pos;
	unsigned char c = (unsigned char)s[pos];
	size_t ws = space_at(s + pos, n - pos);
	int k;

	if (!ws && id_char(c)) {
		if (!lx->clen)
			lx->cstart = pos;
		lx->clen++;
		lx->pos = pos + 1;
		return 0;
	}
	if (oper_char((char)c)) {
		if (lx->clen) {
			flush_chars(lx);
			lx->noper = 0;
		}
		if (lx->noper < sizeof(lx->oper))
			lx->oper[lx->noper++] = (char)c;
		lx->pos = pos + 1;
		return 0;
	}
	flush_chars(lx);
	if (ws) {
		while (pos < n && (ws = space_at(s + pos, n - pos)))
			pos += ws;
		if (pos >= n) {
			lx->pos = pos;
			return 0;
		}
		lex_push(lx, T_WHITE, s + pos, 0, pos);
		c = (unsigned char)s[pos];
	}
	if (id_char(c)) {
		lx->cstart = pos;
		lx->clen = 1;
	} else if (c == '=') {
		k = oper_kind(lx->oper, lx->noper);
		if (k < 0)
			return lex_error(lx, lx->ln->indent + (int)pos + 1,
					 "unknown operator '%.*s='", (int)lx->noper, lx->oper);
		lex_push(lx, T_OP, s + pos - lx->noper, lx->noper + 1, pos - lx->noper);
		lx->q[(lx->qh + lx->qn - 1) % HVT_ARRAY_SIZE(lx->q)].op = (enum op_kind)k;
		lx->noper = 0;
	} else if (c && strchr("-.:@,[]()!", (int)c)) {
		static const enum tok_type map[] = {
			T_DASH, T_DOT, T_COLON, T_AT, T_COMMA, T_LBRACK, T_RBRACK,
			T_LPAREN, T_RPAREN, T_NOT,
		};

		lex_push(lx, map[strchr("-.:@,[]()!", (int)c) - "-.:@,[]()!"], s + pos, 1, pos);
	} else if (c == '"') {
		const char *q = memchr(s + pos + 1, '"', n - pos - 1);

		if (!q)
			return lex_error(lx, lx->ln->indent + (int)pos + 1, "unterminated string");
		lex_push(lx, T_STRING, s + pos + 1, (size_t)(q - s) - pos - 1, pos);
		pos = (size_t)(q - s);
	} else if (c == '#') {
		lx->phase = PH_END;
		lx->pos = pos;
		return 0;
	} else if (oper_char((char)c)) {
		if (lx->noper < sizeof(lx->oper))
			lx->oper[lx->noper++] = (char)c;
	} else {
		return lex_error(lx, lx->ln->indent + (int)pos + 1,
				 "unexpected character '%c' (special characters are allowed only in values)",
				 c);
	}
	lx->pos = pos + 1;
	return 0;
}

int lex_next(struct lexer *lx, struct tok *out)
{
	int rc, indent;

	for (;;) {
		if (lx->qn) {
			*out = lx->q[lx->qh];
			lx->qh = (lx->qh + 1) % HVT_ARRAY_SIZE(lx->q);
			lx->qn--;
			return 0;
		}
		if (!lx->ln) {
			const struct line *l = reader_next(lx, lx->prev_indent, &indent, &rc);

			if (rc < 0)
				return rc;
			memset(out, 0, sizeof(*out));
			out->indent = indent;
			if (!l) {
				out->t = T_ENDBLOCK;
				return 0;
			}
			if (lx->p->tree.full)
				return lex_error(lx, 0, "the plan is too large (over 4 GiB in memory)");
			out->t = T_INDENT;
			out->col = indent + 1;
			line_start(lx, l);
			return 0;
		}
		switch (lx->phase) {
		case PH_BODY: {
			size_t ms, me;
			enum op_kind k;
			const char *s = lx->ln->text;
			size_t n = lx->ln->len;
			const char *colon;

			if (lx->fast && lx->pos == 0 && find_operator(s, n, &ms, &me, &k)) {
				colon = memchr(s, ':', n);
				if (!colon || (size_t)(colon - s) > me) {
					size_t e = ms, vs = me;

					for (size_t w; e && (w = py_space_before(s, e));)
						e -= w;
					for (size_t w; vs < n && (w = space_at(s + vs, n - vs));)
						vs += w;
					lex_push(lx, T_IDENT, s, e, 0);
					lex_push(lx, T_OP, s + ms, me - ms, ms);
					lx->q[(lx->qh + lx->qn - 1) % HVT_ARRAY_SIZE(lx->q)].op = k;
					lex_push(lx, T_STRING, s + vs, n - vs, vs);
					lex_push(lx, T_ENDL, s + n, 0, n);
					lx->phase = PH_DONE;
					break;
				}
			}
			lx->phase = PH_CHARS;
			break;
		}
		case PH_CHARS:
			if (lx->pos >= lx->ln->len) {
				lx->phase = PH_END;
				break;
			}
			rc = lex_step(lx);
			if (rc)
				return rc;
			break;
		case PH_END:
			flush_chars(lx);
			lex_push(lx, T_ENDL, lx->ln->text + lx->ln->len, 0, lx->ln->len);
			lx->phase = PH_DONE;
			break;
		default:
			lx->ln = NULL;
			break;
		}
	}
}

void lex_rest_string(struct lexer *lx, struct tok *out)
{
	const char *s = lx->ln->text;
	size_t n = lx->ln->len;

	skip_space(lx, s, n);
	memset(out, 0, sizeof(*out));
	out->t = T_STRING;
	out->s = s + lx->pos;
	out->len = n - lx->pos;
	out->col = lx->ln->indent + (int)lx->pos + 1;
	lx->qn = 0;
	lx->phase = PH_DONE;
	lx->ln = NULL;
}

void tok_text(struct hvt_buf *b, const struct tok *t)
{
	static const char *const chars[] = {
		[T_COLON] = ":", [T_DOT] = ".", [T_DASH] = "-", [T_AT] = "@", [T_NOT] = "!",
		[T_COMMA] = ",", [T_LBRACK] = "[", [T_RBRACK] = "]", [T_LPAREN] = "(",
		[T_RPAREN] = ")", [T_VARIANTS] = "variants", [T_ONLY] = "only", [T_NO] = "no",
		[T_JOIN] = "join", [T_SUFFIX] = "suffix", [T_INCLUDE] = "include", [T_DEL] = "del",
	};

	if (t->t == T_IDENT || t->t == T_STRING)
		hvt_buf_add(b, t->s, t->len);
	else if (t->t == T_OP)
		hvt_buf_addf(b, "%s", op_text[t->op]);
	else if (t->t < HVT_ARRAY_SIZE(chars) && chars[t->t])
		hvt_buf_addf(b, "%s", chars[t->t]);
}

int lex_expect(struct lexer *lx, unsigned mask, bool skip_white, struct tok *t)
{
	int rc;

	do {
		rc = lex_next(lx, t);
		if (rc)
			return rc;
	} while (skip_white && t->t == T_WHITE);
	if (mask & M(t->t))
		return 0;
	{
		char want[256] = "";
		size_t len = 0;

		for (int i = 0; i <= T_OP; i++) {
			if (!(mask & M(i)))
				continue;
			len += (size_t)snprintf(want + len, sizeof(want) - len, "%s%s",
						len ? " or " : "", tok_names[i]);
			if (len >= sizeof(want))
				break;
		}
		if (t->t == T_ENDBLOCK)
			return lex_error(lx, 0, "expected %s, got the end of the block"
					 " (check the indentation)", want);
		if (t->t == T_INDENT)
			return lex_error(lx, 0, "expected %s, got a new line", want);
		if (t->t == T_IDENT || t->t == T_STRING)
			return lex_error(lx, t->col, "expected %s, got '%.*s'", want,
					 (int)t->len, t->s);
		return lex_error(lx, t->col, "expected %s, got %s", want, tok_names[t->t]);
	}
}

int lex_until(struct lexer *lx, unsigned end, bool nowhite, struct tokv *tv)
{
	struct tok t;
	int rc;

	tv->n = 0;
	for (;;) {
		rc = lex_next(lx, &t);
		if (rc)
			return rc;
		if (t.t == T_ENDBLOCK || t.t == T_INDENT)
			return lex_error(lx, 0, "unexpected end of line");
		if (!(nowhite && t.t == T_WHITE))
			tokv_push(tv, &t);
		if (end & M(t.t))
			return 0;
	}
}
