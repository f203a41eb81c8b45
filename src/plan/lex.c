// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan lexer: lines -> tokens. It follows avocado-vt's cartesian_config
 * Lexer step by step (its fast path for "key = value" lines included),
 * because its quirks decide what a plan means.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"

/* ---- lines ---- */

static bool py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool is_linebreak(unsigned char c)
{
	return c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e);
}

/* Python's splitlines(), rstrip(), expandtabs(), then drop comments. */
void reader_init(struct reader *rd, struct hvt_plan *p, const char *file,
		 bool is_file, const char *text, size_t len)
{
	size_t alloc = 0, i = 0;
	int num = 0;
	struct hvt_buf b = HVT_BUF_INIT;

	memset(rd, 0, sizeof(*rd));
	rd->file = file;
	rd->is_file = is_file;
	while (i < len) {
		size_t s = i, e, col = 0, ind;

		while (i < len && !is_linebreak((unsigned char)text[i]))
			i++;
		e = i;
		if (i < len) {
			if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
				i++;
			i++;
		}
		num++;
		b.len = 0;
		hvt_buf_add(&b, "", 0);
		for (size_t k = s; k < e; k++) {
			if (text[k] == '\t') {
				do {
					hvt_buf_add(&b, " ", 1);
					col++;
				} while (col % 8);
			} else {
				hvt_buf_add(&b, &text[k], 1);
				col = text[k] == '\n' || text[k] == '\r' ? 0 : col + 1;
			}
		}
		while (b.len && py_space((unsigned char)b.p[b.len - 1]))
			b.len--;
		for (ind = 0; ind < b.len && py_space((unsigned char)b.p[ind]); ind++)
			;
		if (ind == b.len || b.p[ind] == '#' ||
		    (b.p[ind] == '/' && ind + 1 < b.len && b.p[ind + 1] == '/'))
			continue;
		if (rd->n == alloc) {
			struct line *nl;

			alloc = alloc ? alloc * 2 : 64;
			nl = arena_alloc(&p->arena, alloc * sizeof(*nl));
			if (rd->n)
				memcpy(nl, rd->lines, rd->n * sizeof(*nl));
			rd->lines = nl;
		}
		rd->lines[rd->n].text = arena_strndup(&p->arena, b.p + ind, b.len - ind);
		rd->lines[rd->n].len = b.len - ind;
		rd->lines[rd->n].indent = (int)ind;
		rd->lines[rd->n].num = num;
		rd->n++;
	}
	hvt_buf_release(&b);
}

static const struct line *reader_next(struct reader *rd, int prev_indent, int *indent)
{
	const struct line *l;

	if (rd->has_stored) {
		rd->has_stored = false;
		*indent = rd->stored.indent;
		return &rd->stored;
	}
	if (rd->idx >= rd->n) {
		*indent = -1;
		return NULL;
	}
	l = &rd->lines[rd->idx];
	*indent = l->indent;
	if (l->indent <= prev_indent)
		return NULL;
	rd->idx++;
	return l;
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
		return hvt_err_set(lx->err, -EINVAL, "%s:%d:%d: %s", lx->rd->file,
				   lx->linenum, col, msg);
	return hvt_err_set(lx->err, -EINVAL, "%s:%d: %s", lx->rd->file, lx->linenum, msg);
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
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '=') {
			*k = OP_SET, *start = i, *end = i + 1;
			return true;
		}
		if (i + 1 < len && s[i + 1] == '=' && (c == '+' || c == '<' || c == '~' || c == '?')) {
			*k = c == '+' ? OP_APPEND : c == '<' ? OP_PREPEND : c == '~' ? OP_LAZY : OP_RSET;
			*start = i, *end = i + 2;
			return true;
		}
		if (c == '?' && i + 2 < len && s[i + 2] == '=' && (s[i + 1] == '+' || s[i + 1] == '<')) {
			*k = s[i + 1] == '+' ? OP_RAPPEND : OP_RPREPEND;
			*start = i, *end = i + 3;
			return true;
		}
	}
	return false;
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
		while (lx->pos < n && py_space((unsigned char)s[lx->pos]))
			lx->pos++;
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
	int k;

	if (id_char(c)) {
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
	if (py_space(c)) {
		while (pos < n && py_space((unsigned char)s[pos]))
			pos++;
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
	} else if (strchr("-.:@,[]()!", (int)c) && c) {
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
			const struct line *l = reader_next(lx->rd, lx->prev_indent, &indent);

			memset(out, 0, sizeof(*out));
			out->indent = indent;
			if (!l) {
				out->t = T_ENDBLOCK;
				return 0;
			}
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

					while (e && py_space((unsigned char)s[e - 1]))
						e--;
					while (vs < n && py_space((unsigned char)s[vs]))
						vs++;
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
	size_t n = lx->ln->len, pos = lx->pos;

	while (pos < n && py_space((unsigned char)s[pos]))
		pos++;
	memset(out, 0, sizeof(*out));
	out->t = T_STRING;
	out->s = s + pos;
	out->len = n - pos;
	out->col = lx->ln->indent + (int)pos + 1;
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
