// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cartesian config parser: lines -> tokens -> avocado-vt's node tree. The
 * lexer and the block parser follow avocado-vt's cartesian_config step by
 * step, because its quirks decide what a plan means.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "env.h"
#include "plan-int.h"

/* Limits that keep regcomp() cheap: see plan_regex_too_costly(). */
#define REGEX_MAX_LEN 4096
#define REGEX_MAX_REPEAT 1024

#define MAX_NESTING 256
#define MAX_INCLUDES 64

/* ---- arena and string table ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t align = sizeof(max_align_t);
	void *p;

	n = (n + align - 1) / align * align;
	if (!c || c->size - c->used < n) {
		size_t size = n > 65536 ? n : 65536;

		c = hvt_malloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

static uint32_t str_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int strtab_lookup(const struct strtab *t, const char *s, size_t len, size_t *slot)
{
	size_t i;

	if (!t->hsize) {
		*slot = 0;
		return -1;
	}
	i = str_hash(s, len) & (t->hsize - 1);
	for (;; i = (i + 1) & (t->hsize - 1)) {
		int id = t->hash[i];

		if (id < 0) {
			*slot = i;
			return -1;
		}
		if (t->len[id] == len && !memcmp(t->str[id], s, len)) {
			*slot = i;
			return id;
		}
	}
}

int strtab_find(const struct strtab *t, const char *s, size_t len)
{
	size_t slot;

	return strtab_lookup(t, s, len, &slot);
}

int strtab_intern(struct strtab *t, const char *s, size_t len)
{
	size_t slot;
	int id = strtab_lookup(t, s, len, &slot);

	if (id >= 0)
		return id;
	if ((t->n + 1) * 2 > t->hsize) {
		size_t nsize = t->hsize ? t->hsize * 2 : 256;

		free(t->hash);
		t->hash = hvt_malloc(nsize * sizeof(int));
		for (size_t i = 0; i < nsize; i++)
			t->hash[i] = -1;
		t->hsize = nsize;
		for (size_t k = 0; k < t->n; k++) {
			size_t i = str_hash(t->str[k], t->len[k]) & (nsize - 1);

			while (t->hash[i] >= 0)
				i = (i + 1) & (nsize - 1);
			t->hash[i] = (int)k;
		}
		strtab_lookup(t, s, len, &slot);
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 256;
		t->str = hvt_realloc(t->str, t->alloc * sizeof(char *));
		t->len = hvt_realloc(t->len, t->alloc * sizeof(size_t));
	}
	t->str[t->n] = hvt_strndup(s, len);
	t->len[t->n] = len;
	t->hash[slot] = (int)t->n;
	return (int)t->n++;
}

void strtab_release(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->len);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}

/* ---- lines ---- */

struct line {
	const char *text;	/* stripped, tabs expanded */
	size_t len;
	int indent;
	int num;
};

struct reader {
	const char *file;
	bool is_file;
	struct line *lines;
	size_t n, idx;
	bool has_stored;
	struct line stored;
};

static bool py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool is_linebreak(unsigned char c)
{
	return c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e);
}

/* Python's splitlines(), rstrip(), expandtabs(), then drop comments. */
static void reader_init(struct reader *rd, struct hvt_plan *p, const char *file,
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

enum tok_type {
	T_INDENT, T_ENDBLOCK, T_ENDL, T_IDENT, T_WHITE, T_STRING, T_COLON,
	T_VARIANTS, T_DOT, T_DASH, T_AT, T_ONLY, T_NO, T_JOIN, T_SUFFIX,
	T_INCLUDE, T_DEL, T_NOT, T_COMMA, T_LBRACK, T_RBRACK, T_LPAREN,
	T_RPAREN, T_OP,
};

#define M(t) (1u << (t))
#define M_OPS M(T_OP)

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

struct tok {
	enum tok_type t;
	const char *s;		/* text (not NUL-terminated) */
	size_t len;
	enum op_kind op;
	int col;		/* 1-based */
	int indent;		/* T_INDENT / T_ENDBLOCK */
};

struct tokv {
	struct tok *v;
	size_t n, alloc;
};

static void tokv_push(struct tokv *tv, const struct tok *t)
{
	if (tv->n == tv->alloc) {
		tv->alloc = tv->alloc ? tv->alloc * 2 : 16;
		tv->v = hvt_realloc(tv->v, tv->alloc * sizeof(*tv->v));
	}
	tv->v[tv->n++] = *t;
}

enum { PH_BODY, PH_CHARS, PH_END, PH_DONE };

struct parser;

struct lexer {
	struct parser *ps;
	struct reader *rd;
	int prev_indent;
	bool fast;
	const struct line *ln;
	int phase;
	size_t pos;
	char oper[4];
	size_t noper;
	size_t cstart, clen;	/* pending identifier characters */
	struct tok q[8];
	size_t qh, qn;
	int linenum;		/* of the current or last line */
};

struct include_frame {
	char *real;
};

struct parser {
	struct hvt_plan *p;
	struct hvt_err *err;
	int depth;
	struct include_frame inc[MAX_INCLUDES];
	size_t ninc;
};

static int lex_error(struct lexer *lx, int col, const char *fmt, ...) HVT_PRINTF(3, 4);

static int lex_error(struct lexer *lx, int col, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (col > 0)
		return hvt_err_set(lx->ps->err, -EINVAL, "%s:%d:%d: %s", lx->rd->file,
				   lx->linenum, col, msg);
	return hvt_err_set(lx->ps->err, -EINVAL, "%s:%d: %s", lx->rd->file, lx->linenum, msg);
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

static int lex_next(struct lexer *lx, struct tok *out)
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
			size_t ms, me, col;
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
			(void)col;
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

/* The rest of the current line as one string; also consumes the line end. */
static void lex_rest_string(struct lexer *lx, struct tok *out)
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

/* A token as Python's str() shows it, for keys written in strict mode. */
static void tok_text(struct hvt_buf *b, const struct tok *t)
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

static int tok_col(const struct lexer *lx, const struct tok *t)
{
	return t->col;
}

static int expect(struct lexer *lx, unsigned mask, bool skip_white, struct tok *t)
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
			return lex_error(lx, tok_col(lx, t), "expected %s, got '%.*s'", want,
					 (int)t->len, t->s);
		return lex_error(lx, tok_col(lx, t), "expected %s, got %s", want, tok_names[t->t]);
	}
}

/* Tokens up to and including the first of end (white space dropped if asked). */
static int get_until(struct lexer *lx, unsigned end, bool nowhite, struct tokv *tv)
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

/* ---- filters ---- */

static struct label make_label(struct hvt_plan *p, const char *var, size_t vlen,
			       const char *name, size_t nlen)
{
	struct label l = { 0, 0, false };

	l.name = strtab_intern(&p->strs, name, nlen);
	if (!var) {
		l.lng = l.name;
	} else {
		char *s = hvt_asprintf("(%.*s=%.*s)", (int)vlen, var, (int)nlen, name);

		l.lng = strtab_intern(&p->strs, s, strlen(s));
		l.var = true;
		free(s);
	}
	return l;
}

struct lvec {
	struct label *v;
	size_t n, alloc;
};

static void lvec_push(struct lvec *lv, struct label l)
{
	if (lv->n == lv->alloc) {
		lv->alloc = lv->alloc ? lv->alloc * 2 : 4;
		lv->v = hvt_realloc(lv->v, lv->alloc * sizeof(*lv->v));
	}
	lv->v[lv->n++] = l;
}

struct fbuild {
	struct fword *words;
	size_t nwords, awords;
	struct fblock *blocks;	/* current and_filter */
	size_t nblocks, ablocks;
	struct lvec con;	/* current con_filter */
};

static void fb_end_block(struct fbuild *fb, struct hvt_plan *p)
{
	struct fblock b;

	b.n = fb->con.n;
	b.l = arena_alloc(&p->arena, b.n * sizeof(struct label) + 1);
	memcpy(b.l, fb->con.v, b.n * sizeof(struct label));
	fb->con.n = 0;
	if (fb->nblocks == fb->ablocks) {
		fb->ablocks = fb->ablocks ? fb->ablocks * 2 : 4;
		fb->blocks = hvt_realloc(fb->blocks, fb->ablocks * sizeof(*fb->blocks));
	}
	fb->blocks[fb->nblocks++] = b;
}

static void fb_end_word(struct fbuild *fb, struct hvt_plan *p)
{
	struct fword w;

	w.n = fb->nblocks;
	w.b = arena_alloc(&p->arena, w.n * sizeof(struct fblock) + 1);
	memcpy(w.b, fb->blocks, w.n * sizeof(struct fblock));
	fb->nblocks = 0;
	if (fb->nwords == fb->awords) {
		fb->awords = fb->awords ? fb->awords * 2 : 4;
		fb->words = hvt_realloc(fb->words, fb->awords * sizeof(*fb->words));
	}
	fb->words[fb->nwords++] = w;
}

static const struct tok *next_nw(const struct tok *toks, size_t n, size_t *i,
				 const struct tok *endl)
{
	while (*i < n && toks[*i].t == T_WHITE)
		(*i)++;
	return *i < n ? &toks[(*i)++] : endl;
}

/* avocado-vt's parse_filter() over toks (an end of line is implied). */
static int parse_filter(struct lexer *lx, const struct tok *toks, size_t n, struct filter *out)
{
	struct hvt_plan *p = lx->ps->p;
	struct fbuild fb;
	struct tok endl;
	size_t i = 0;
	int dots = 1, rc = 0;
	const struct tok *t;

	memset(&fb, 0, sizeof(fb));
	memset(&endl, 0, sizeof(endl));
	endl.t = T_ENDL;
#define NEXT() (i < n ? &toks[i++] : &endl)
#define NEXT_NW() next_nw(toks, n, &i, &endl)
#define CHECK(tk, mask, what) do { if (!((mask) & M((tk)->t))) { \
		rc = lex_error(lx, (tk)->col, "bad filter: expected %s", what); goto out; } } while (0)
	t = NEXT();
	CHECK(t, M(T_IDENT) | M(T_LPAREN) | M(T_ENDL) | M(T_WHITE), "a variant name or '('");
	while (t->t != T_ENDL) {
		if (t->t == T_IDENT || t->t == T_LPAREN) {
			struct label l;

			if (t->t == T_LPAREN) {
				const struct tok *id = NEXT_NW(), *op, *val;

				CHECK(id, M(T_IDENT), "a name after '('");
				op = NEXT_NW();
				CHECK(op, M(T_OP) | M(T_RPAREN), "'=' or ')'");
				if (op->t == T_OP && op->op != OP_SET)
					CHECK(op, 0, "'=' or ')'");
				if (op->t == T_RPAREN) {
					l = make_label(p, NULL, 0, id->s, id->len);
				} else {
					val = NEXT_NW();
					CHECK(val, M(T_IDENT) | M(T_STRING), "a variant name after '='");
					op = NEXT_NW();
					CHECK(op, M(T_RPAREN), "')'");
					l = make_label(p, id->s, id->len, val->s, val->len);
				}
			} else {
				l = make_label(p, NULL, 0, t->s, t->len);
			}
			if (dots == 1) {
				lvec_push(&fb.con, l);
			} else if (dots == 2) {
				fb_end_block(&fb, p);
				lvec_push(&fb.con, l);
			} else {
				rc = lex_error(lx, t->col, "bad filter: expected '.' or '..' between names");
				goto out;
			}
			dots = 0;
		} else if (t->t == T_DOT) {
			dots++;
		} else if (t->t == T_COMMA || t->t == T_WHITE) {
			if (dots > 0) {
				rc = lex_error(lx, t->col, "bad filter: expected a name between '.' and ','");
				goto out;
			}
			if (fb.nblocks) {
				if (fb.con.n)
					fb_end_block(&fb, p);
				fb_end_word(&fb, p);
			} else if (fb.con.n) {
				fb_end_block(&fb, p);
				fb_end_word(&fb, p);
			} else {
				rc = lex_error(lx, t->col, "bad filter: expected a name before ','");
				goto out;
			}
			dots = 1;
			t = NEXT_NW();
			CHECK(t, M(T_IDENT) | M(T_COMMA) | M(T_DOT) | M(T_LPAREN) | M(T_ENDL),
			      "a variant name");
			continue;
		} else {
			CHECK(t, 0, "a variant name, '.', ',' or '('");
		}
		t = NEXT();
		CHECK(t, M(T_IDENT) | M(T_COMMA) | M(T_DOT) | M(T_LPAREN) | M(T_ENDL) | M(T_WHITE),
		      "a variant name, '.', ',' or '('");
	}
	if (fb.nblocks) {
		if (fb.con.n)
			fb_end_block(&fb, p);
		fb_end_word(&fb, p);
	}
	if (fb.con.n) {
		fb_end_block(&fb, p);
		fb_end_word(&fb, p);
	}
	out->n = fb.nwords;
	out->w = arena_alloc(&p->arena, fb.nwords * sizeof(struct fword) + 1);
	if (fb.nwords)
		memcpy(out->w, fb.words, fb.nwords * sizeof(struct fword));
#undef NEXT
#undef NEXT_NW
#undef CHECK
out:
	free(fb.words);
	free(fb.blocks);
	free(fb.con.v);
	return rc;
}

/* ---- tree ---- */

struct node *plan_node_new(struct hvt_plan *p)
{
	struct node *n = arena_alloc(&p->arena, sizeof(*n));

	n->var_name = -1;
	return n;
}

static void itemv_push(struct hvt_plan *p, struct itemv *iv, struct item *it)
{
	if (iv->n == iv->alloc) {
		struct item **nv;

		iv->alloc = iv->alloc ? iv->alloc * 2 : 8;
		nv = arena_alloc(&p->arena, iv->alloc * sizeof(*nv));
		if (iv->n)
			memcpy(nv, iv->v, iv->n * sizeof(*nv));
		iv->v = nv;
	}
	iv->v[iv->n++] = it;
}

static void node_add(struct hvt_plan *p, struct node *n, struct item *it)
{
	itemv_push(p, &n->content, it);
	n->compiled = false;
}

static void node_add_child(struct hvt_plan *p, struct node *n, struct node *c, bool front)
{
	if (n->nchildren == n->achildren) {
		struct node **nv;

		n->achildren = n->achildren ? n->achildren * 2 : 4;
		nv = arena_alloc(&p->arena, n->achildren * sizeof(*nv));
		if (n->nchildren)
			memcpy(nv, n->children, n->nchildren * sizeof(*nv));
		n->children = nv;
	}
	if (front) {
		memmove(n->children + 1, n->children, n->nchildren * sizeof(*n->children));
		n->children[0] = c;
	} else {
		n->children[n->nchildren] = c;
	}
	n->nchildren++;
}

struct labelset *labelset_new(struct hvt_plan *p)
{
	return arena_alloc(&p->arena, sizeof(struct labelset));
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int *sort_unique(struct hvt_plan *p, int *v, size_t n, size_t *outn)
{
	size_t k = 0;
	int *r;

	qsort(v, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	r = arena_alloc(&p->arena, k * sizeof(int) + 1);
	memcpy(r, v, k * sizeof(int));
	*outn = k;
	return r;
}

/* node4.labels = union of (child.labels + child.name) over its children. */
static void block_labels(struct hvt_plan *p, struct node *n4)
{
	size_t nn = 0, nl = 0, an = 0;
	int *names = NULL, *longs = NULL;
	struct labelset *ls = labelset_new(p);
	struct labelset **seen = NULL;
	size_t nseen = 0;

	for (size_t i = 0; i < n4->nchildren; i++) {
		struct node *c = n4->children[i];
		bool dup = false;

		for (size_t k = 0; k < nseen; k++)
			dup |= seen[k] == c->labels;
		if (!dup) {
			seen = hvt_realloc(seen, (nseen + 1) * sizeof(*seen));
			seen[nseen++] = c->labels;
		}
		an += c->nname + (dup ? 0 : c->labels->nnames + c->labels->nlongs);
	}
	names = hvt_malloc((an + 1) * sizeof(int));
	longs = hvt_malloc((an + 1) * sizeof(int));
	for (size_t k = 0; k < nseen; k++) {
		for (size_t i = 0; i < seen[k]->nnames; i++)
			names[nn++] = seen[k]->names[i];
		for (size_t i = 0; i < seen[k]->nlongs; i++)
			longs[nl++] = seen[k]->longs[i];
	}
	for (size_t i = 0; i < n4->nchildren; i++) {
		struct node *c = n4->children[i];

		for (size_t j = 0; j < c->nname; j++) {
			names[nn++] = c->name[j].name;
			longs[nl++] = c->name[j].lng;
		}
	}
	ls->names = sort_unique(p, names, nn, &ls->nnames);
	ls->longs = sort_unique(p, longs, nl, &ls->nlongs);
	n4->labels = ls;
	free(names);
	free(longs);
	free(seen);
}

bool plan_key_reserved(const struct hvt_plan *p, int key)
{
	return key == p->reserved[0] || key == p->reserved[1] || key == p->reserved[2] ||
	       key == p->reserved_extra[0] || key == p->reserved_extra[1];
}

/* Python regex "NAME$" used with re.match() -> POSIX "^(NAME$)". */
static int compile_key_regex(struct lexer *lx, const char *name, regex_t **out, int col)
{
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_plan *p = lx->ps->p;
	regex_t *re;
	int rc;

	hvt_buf_add(&b, "^(", 2);
	for (const char *s = name; *s; s++) {
		if (s[0] == '\\' && s[1] == 'd') {
			hvt_buf_add(&b, "[0-9]", 5);
			s++;
		} else if (s[0] == '\\' && s[1] == 'w') {
			hvt_buf_add(&b, "[A-Za-z0-9_]", 12);
			s++;
		} else if (s[0] == '\\' && s[1] == 's') {
			hvt_buf_add(&b, "[[:space:]]", 11);
			s++;
		} else {
			hvt_buf_add(&b, s, 1);
		}
	}
	hvt_buf_add(&b, "$)", 2);
	if (plan_regex_too_costly(b.p)) {
		hvt_buf_release(&b);
		return lex_error(lx, col, "regular expression '%s' is too costly to compile "
					  "(stacked repetitions or bounds over %d in all)",
				 name, REGEX_MAX_REPEAT);
	}
	re = arena_alloc(&p->arena, sizeof(*re));
	rc = regcomp(re, b.p, REG_EXTENDED | REG_NOSUB);
	hvt_buf_release(&b);
	if (rc)
		return lex_error(lx, col, "bad regular expression '%s'", name);
	if (p->nregex == p->aregex) {
		p->aregex = p->aregex ? p->aregex * 2 : 16;
		p->regexes = hvt_realloc(p->regexes, p->aregex * sizeof(*p->regexes));
	}
	p->regexes[p->nregex++] = re;
	*out = re;
	return 0;
}

bool plan_regex_too_costly(const char *re)
{
	unsigned long product = 1;
	bool after_repeat = false;

	if (strlen(re) > REGEX_MAX_LEN)
		return true;
	for (const char *s = re; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			after_repeat = false;
			continue;
		}
		if (*s == '*' || *s == '+' || *s == '?' || *s == '{') {
			unsigned long hi = 1;

			if (after_repeat)
				return true;
			if (*s == '{') {
				char *end;

				hi = strtoul(s + 1, &end, 10);
				if (*end == ',')
					hi = end[1] == '}' ? hi + 1 : strtoul(end + 1, &end, 10);
				s = strchr(s, '}');
				if (!s)
					return false; /* regcomp() refuses it */
				if (hi < 1)
					hi = 1;
			}
			product *= hi;
			if (product > REGEX_MAX_REPEAT)
				return true;
			after_repeat = true;
			continue;
		}
		after_repeat = false;
	}
	return false;
}

static struct item *new_item(struct lexer *lx, enum item_kind kind)
{
	struct item *it = arena_alloc(&lx->ps->p->arena, sizeof(*it));

	it->kind = kind;
	it->file = lx->rd->file;
	it->line = lx->linenum;
	return it;
}

static int add_op(struct lexer *lx, struct node *node, enum op_kind op, const char *key,
		  size_t klen, const char *val, size_t vlen, int col)
{
	struct hvt_plan *p = lx->ps->p;
	struct item *it = new_item(lx, IT_OP);
	int rc;

	it->op = op;
	it->keytext = arena_strndup(&p->arena, key, klen);
	it->key = strtab_intern(&p->strs, key, klen);
	it->value = arena_strndup(&p->arena, val, vlen);
	it->vlen = vlen;
	it->dollar = memchr(val, '$', vlen) != NULL;
	if (op == OP_RSET || op == OP_RAPPEND || op == OP_RPREPEND || op == OP_DEL) {
		rc = compile_key_regex(lx, it->keytext, &it->re, col);
		if (rc)
			return rc;
	}
	node_add(p, node, it);
	return 0;
}

static struct node *parse_block(struct parser *ps, struct lexer *lx, struct node *node,
				int prev_indent);

static char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return hvt_strdup("");
	return hvt_strndup(path, (size_t)(slash - path) + 1);
}

static struct node *parse_include(struct parser *ps, struct lexer *lx, struct node *node,
				  const struct tok *pathtok)
{
	char *path = hvt_strndup(pathtok->s, pathtok->len), *full = NULL, *real = NULL;
	char *text = NULL, *fname;
	struct node *ret = NULL;
	struct stat st;
	struct lexer sub;
	struct reader rd;
	size_t len;
	int line = lx->linenum;

	if (path[0] == '~' && (path[1] == '/' || !path[1]) && hvt_env_home()) {
		full = hvt_asprintf("%s%s", hvt_env_home(), path + 1);
	} else if (path[0] != '/' && lx->rd->is_file) {
		char *dir = path_dirname(lx->rd->file);

		full = hvt_asprintf("%s%s", dir, path);
		free(dir);
	} else {
		full = hvt_strdup(path);
	}
	if (stat(full, &st) || !S_ISREG(st.st_mode)) {
		hvt_err_set(ps->err, -ENOENT, "%s:%d:%d: include '%s': file does not exist or is"
			    " not a regular file", lx->rd->file, line, pathtok->col, full);
		goto out;
	}
	real = realpath(full, NULL);
	for (size_t i = 0; real && i < ps->ninc; i++) {
		if (!strcmp(ps->inc[i].real, real)) {
			hvt_err_set(ps->err, -ELOOP, "%s:%d:%d: include cycle: '%s' includes itself",
				    lx->rd->file, line, pathtok->col, full);
			goto out;
		}
	}
	if (ps->ninc >= MAX_INCLUDES) {
		hvt_err_set(ps->err, -ELOOP, "%s:%d:%d: includes nested more than %d deep",
			    lx->rd->file, line, pathtok->col, MAX_INCLUDES);
		goto out;
	}
	if (hvt_file_read(full, &text, &len, ps->err)) {
		hvt_err_prefix(ps->err, "%s:%d:%d: include", lx->rd->file, line, pathtok->col);
		goto out;
	}
	fname = arena_strndup(&ps->p->arena, full, strlen(full));
	reader_init(&rd, ps->p, fname, true, text, len);
	memset(&sub, 0, sizeof(sub));
	sub.ps = ps;
	sub.rd = &rd;
	sub.prev_indent = -1;
	ps->inc[ps->ninc++].real = real;
	real = NULL;
	ret = parse_block(ps, &sub, node, -1);
	free(ps->inc[--ps->ninc].real);
out:
	free(text);
	free(real);
	free(full);
	free(path);
	return ret;
}

/* Compare two token lists up to the shorter one, as avocado-vt does. */
static bool cmd_tokens(const struct tokv *a, const struct tok *b, size_t nb)
{
	for (size_t i = 0; i < a->n && i < nb; i++) {
		if (a->v[i].t != b[i].t)
			return false;
		if ((a->v[i].t == T_IDENT || a->v[i].t == T_STRING) &&
		    (a->v[i].len != b[i].len || memcmp(a->v[i].s, b[i].s, b[i].len)))
			return false;
	}
	return true;
}

struct meta_default {
	struct tokv *v;
	size_t n;
	bool any;		/* a [default] without value was seen */
};

static void meta_clear(struct meta_default *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].v);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static struct node *parse_variants(struct parser *ps, struct lexer *lx, struct node *node,
				   int indent, int var_indent, int var_name,
				   struct meta_default *meta)
{
	struct hvt_plan *p = ps->p;
	struct node *node4 = plan_node_new(p);
	bool already_default = false, meta_with_default = meta->n > 0;
	struct tokv name = { NULL, 0, 0 }, deps = { NULL, 0, 0 };
	struct tok t;
	int rc;

	for (;;) {
		struct node *node2, *node3;
		const struct tok *nm;
		size_t nnm, nraw;
		bool is_default;
		struct filter dep = { NULL, 0 };
		struct label *labels;
		size_t nlabels = 0;

		lx->prev_indent = var_indent;
		if (expect(lx, M(T_IDENT) | M(T_AT) | M(T_INDENT) | M(T_ENDBLOCK), true, &t))
			goto fail;
		if (t.t == T_ENDBLOCK)
			break;
		if (t.t == T_INDENT) {
			if (expect(lx, M(T_DASH), true, &t))
				goto fail;
			if (expect(lx, M(T_IDENT) | M(T_AT), true, &t))
				goto fail;
		}
		is_default = t.t == T_AT;
		name.n = 0;
		if (!is_default)
			tokv_push(&name, &t);
		for (;;) {
			struct tok k;

			if (lex_next(lx, &k))
				goto fail;
			if (k.t == T_COLON)
				break;
			if (k.t != T_IDENT && k.t != T_DOT) {
				lex_error(lx, k.col, "bad variant name: expected a name, '.' or ':'%s",
					  k.t == T_WHITE ? " (no space before ':')" : "");
				goto fail;
			}
			tokv_push(&name, &k);
		}
		nm = name.v;
		nnm = name.n;
		nraw = name.n;
		/* a following white space and the dependencies */
		do {
			if (lex_next(lx, &t))
				goto fail;
		} while (t.t == T_WHITE);
		if (t.t != T_ENDL) {
			deps.n = 0;
			tokv_push(&deps, &t);
			{
				struct tokv rest = { NULL, 0, 0 };

				rc = get_until(lx, M(T_ENDL), false, &rest);
				for (size_t i = 0; !rc && i + 1 < rest.n; i++)
					tokv_push(&deps, &rest.v[i]);
				free(rest.v);
				if (rc)
					goto fail;
			}
			if (parse_filter(lx, deps.v, deps.n, &dep))
				goto fail;
		}
		labels = arena_alloc(&p->arena, (nnm + 1) * sizeof(*labels));
		{
			struct hvt_buf joined = HVT_BUF_INIT;
			const char *vn = var_name >= 0 ? p->strs.str[var_name] : NULL;

			hvt_buf_add(&joined, "", 0);
			for (size_t i = 0; i < nnm; i++) {
				if (nm[i].t != T_IDENT)
					continue;
				labels[nlabels++] = make_label(p, vn, vn ? strlen(vn) : 0, nm[i].s,
							       nm[i].len);
				if (joined.len)
					hvt_buf_add(&joined, ".", 1);
				hvt_buf_add(&joined, nm[i].s, nm[i].len);
			}
			node2 = plan_node_new(p);
			node_add_child(p, node2, node, false);
			node2->labels = node->labels;
			if (vn)
				rc = add_op(lx, node2, OP_SET, vn, strlen(vn), joined.p, joined.len, 0);
			else
				rc = 0;
			hvt_buf_release(&joined);
			if (rc)
				goto fail;
		}
		node3 = parse_block(ps, lx, node2, indent);
		if (!node3)
			goto fail;
		node3->var_name = var_name;
		node3->name = labels;
		node3->nname = nlabels;
		node3->dep = dep;
		if (meta_with_default) {
			for (size_t i = 0; i < meta->n; i++) {
				if (cmd_tokens(&meta->v[i], nm, nraw)) {
					is_default = true;
					free(meta->v[i].v);
					memmove(&meta->v[i], &meta->v[i + 1],
						(meta->n - i - 1) * sizeof(*meta->v));
					meta->n--;
					/* Python's remove() while iterating skips one */
				}
			}
		}
		if (is_default && !already_default) {
			node3->is_default = true;
			already_default = true;
		}
		node3->append_to_shortname = !is_default;
		node_add_child(p, node4, node3, false);
	}
	if (meta->n) {
		struct hvt_buf b = HVT_BUF_INIT;

		hvt_buf_add(&b, "", 0);
		for (size_t i = 0; i < meta->v[0].n; i++)
			tok_text(&b, &meta->v[0].v[i]);
		lex_error(lx, 0, "missing default variant '%s'", b.p);
		hvt_buf_release(&b);
		goto fail;
	}
	free(name.v);
	free(deps.v);
	block_labels(p, node4);
	return node4;
fail:
	free(name.v);
	free(deps.v);
	return NULL;
}

static int parse_variants_line(struct lexer *lx, int *var_name, struct meta_default *meta)
{
	struct hvt_plan *p = lx->ps->p;
	struct tokv tv = { NULL, 0, 0 };
	struct tok t;
	enum tok_type vt;
	int rc;

	*var_name = -1;
	meta_clear(meta);
	lx->fast = false;
	rc = get_until(lx, M(T_LBRACK) | M(T_COLON) | M(T_IDENT) | M(T_ENDL), true, &tv);
	if (rc)
		goto out;
	t = tv.v[tv.n - 1];
	vt = t.t;
	while (vt != T_COLON && vt != T_ENDL) {
		if (vt == T_IDENT) {
			if (*var_name >= 0) {
				rc = lex_error(lx, t.col, "expected '[' or ':' after the block name");
				goto out;
			}
			*var_name = strtab_intern(&p->strs, t.s, t.len);
		} else if (vt == T_LBRACK) {
			struct tok id, k;

			rc = expect(lx, M(T_IDENT), true, &id);
			if (rc)
				goto out;
			rc = expect(lx, M(T_OP) | M(T_RBRACK), true, &k);
			if (rc)
				goto out;
			if (k.t == T_OP && k.op != OP_SET) {
				rc = lex_error(lx, k.col, "expected '=' or ']'");
				goto out;
			}
			if (k.t == T_RBRACK) {
				if (id.len == 7 && !memcmp(id.s, "default", 7))
					meta->any = true;
			} else {
				rc = get_until(lx, M(T_RBRACK) | M(T_ENDL), true, &tv);
				if (rc)
					goto out;
				if (tv.v[tv.n - 1].t != T_RBRACK) {
					rc = lex_error(lx, 0, "expected ']'");
					goto out;
				}
				if (id.len == 7 && !memcmp(id.s, "default", 7)) {
					meta->v = hvt_realloc(meta->v, (meta->n + 1) * sizeof(*meta->v));
					meta->v[meta->n].v = hvt_malloc(tv.n * sizeof(struct tok));
					memcpy(meta->v[meta->n].v, tv.v, (tv.n - 1) * sizeof(struct tok));
					meta->v[meta->n].n = tv.n - 1;
					meta->v[meta->n].alloc = tv.n;
					meta->n++;
				}
			}
		}
		rc = expect(lx, M(T_LBRACK) | M(T_COLON) | M(T_IDENT) | M(T_ENDL), true, &t);
		if (rc)
			goto out;
		vt = t.t;
	}
	if (meta->any) {
		rc = lex_error(lx, 0, "expected [default=NAME]");
		goto out;
	}
	if (vt == T_ENDL) {
		rc = lex_error(lx, 0, "expected ':' at the end of the variants line");
		goto out;
	}
	rc = expect(lx, M(T_ENDL), true, &t);
out:
	free(tv.v);
	return rc;
}

static struct node *parse_block(struct parser *ps, struct lexer *lx, struct node *node,
				int prev_indent)
{
	struct hvt_plan *p = ps->p;
	unsigned block_allowed = M(T_VARIANTS) | M(T_IDENT) | M(T_ONLY) | M(T_NO) |
				 M(T_INCLUDE) | M(T_DEL) | M(T_NOT) | M(T_SUFFIX) | M(T_JOIN);
	unsigned allowed = block_allowed;
	struct meta_default meta = { NULL, 0, false };
	struct tokv tv = { NULL, 0, 0 };
	struct item *suffix = NULL;
	int var_indent = 0, var_name = -1;
	struct tok t;

	if (++ps->depth > MAX_NESTING) {
		lex_error(lx, 0, "blocks nested more than %d deep", MAX_NESTING);
		goto fail;
	}
	lx->fast = true;
	for (;;) {
		int indent;

		lx->prev_indent = prev_indent;
		if (expect(lx, M(T_INDENT) | M(T_ENDBLOCK), false, &t))
			goto fail;
		if (t.t == T_ENDBLOCK) {
			if (suffix)
				node_add(p, node, suffix);
			break;
		}
		indent = t.indent;
		if (expect(lx, allowed, false, &t)) {
			if (allowed != block_allowed)
				hvt_err_append(ps->err, " (a variants block holds '- name:' entries,"
					       " indented deeper than 'variants')");
			goto fail;
		}
		switch (t.t) {
		case T_IDENT: {
			struct tok first = t, *last;

			if (get_until(lx, M_OPS | M(T_COLON) | M(T_ENDL), true, &tv))
				goto fail;
			last = &tv.v[tv.n - 1];
			if (last->t == T_OP) {
				struct hvt_buf key = HVT_BUF_INIT;
				enum op_kind op = last->op;
				struct tok val;
				const char *v;
				size_t vl;
				int rc;

				hvt_buf_add(&key, first.s, first.len);
				for (size_t i = 0; i + 1 < tv.n; i++)
					tok_text(&key, &tv.v[i]);
				if (expect(lx, M(T_STRING), false, &val)) {
					hvt_buf_release(&key);
					goto fail;
				}
				v = val.s;
				vl = val.len;
				if (vl && ((v[0] == '"' && v[vl - 1] == '"') ||
					   (v[0] == '\'' && v[vl - 1] == '\''))) {
					v++;
					vl = vl >= 2 ? vl - 2 : 0;
				}
				rc = add_op(lx, node, op, key.p, key.len, v, vl, first.col);
				hvt_buf_release(&key);
				if (rc || expect(lx, M(T_ENDL), false, &t))
					goto fail;
			} else if (last->t == T_COLON) {
				struct tok *ftoks = hvt_malloc((tv.n + 1) * sizeof(*ftoks));
				struct item *cond;
				struct tok rest;
				int rc;

				ftoks[0] = first;
				memcpy(ftoks + 1, tv.v, (tv.n - 1) * sizeof(*ftoks));
				cond = new_item(lx, IT_COND);
				rc = parse_filter(lx, ftoks, tv.n, &cond->f);
				free(ftoks);
				if (rc)
					goto fail;
				lex_rest_string(lx, &rest);
				if (rest.len) {
					lx->rd->has_stored = true;
					lx->rd->stored.text = rest.s;
					lx->rd->stored.len = rest.len;
					lx->rd->stored.indent = indent + 1;
					lx->rd->stored.num = lx->linenum;
				}
				cond->body = plan_node_new(p);
				cond->body->is_cond = true;
				if (!parse_block(ps, lx, cond->body, indent))
					goto fail;
				node_add(p, node, cond);
			} else {
				lex_error(lx, last->col, "expected ':' or an operator (=, +=, <=, ~=,"
					  " ?=, ?+=, ?<=) after '%.*s'", (int)first.len, first.s);
				goto fail;
			}
			break;
		}
		case T_DASH: {
			struct node *n4;

			n4 = parse_variants(ps, lx, node, indent, var_indent, var_name, &meta);
			if (!n4)
				goto fail;
			allowed = block_allowed;
			node = n4;
			break;
		}
		case T_VARIANTS:
			if (node->is_cond) {
				lex_error(lx, t.col, "'variants' is not allowed inside a conditional block");
				goto fail;
			}
			if (parse_variants_line(lx, &var_name, &meta))
				goto fail;
			allowed = M(T_DASH);
			var_indent = indent;
			break;
		case T_ONLY:
		case T_NO:
		case T_JOIN: {
			struct item *it;
			enum tok_type kw = t.t;

			if (kw == T_JOIN && node->is_cond) {
				lex_error(lx, t.col, "'join' is not allowed inside a conditional block");
				goto fail;
			}
			if (get_until(lx, M(T_ENDL), false, &tv))
				goto fail;
			it = new_item(lx, kw == T_ONLY ? IT_ONLY : kw == T_NO ? IT_NO : IT_JOIN);
			if (parse_filter(lx, tv.v, tv.n - 1, &it->f))
				goto fail;
			node_add(p, node, it);
			break;
		}
		case T_SUFFIX: {
			struct tok id;

			if (expect(lx, M(T_IDENT), false, &id) || expect(lx, M(T_ENDL), false, &t))
				goto fail;
			suffix = new_item(lx, IT_SUFFIX);
			suffix->suffix = arena_strndup(&p->arena, id.s, id.len);
			break;
		}
		case T_INCLUDE: {
			struct tok path;

			lex_rest_string(lx, &path);
			if (!path.len) {
				lex_error(lx, path.col, "include needs a file name");
				goto fail;
			}
			node = parse_include(ps, lx, node, &path);
			if (!node)
				goto fail;
			break;
		}
		case T_DEL: {
			struct tok id;

			if (expect(lx, M(T_IDENT), true, &id) || expect(lx, M(T_ENDL), true, &t))
				goto fail;
			if (add_op(lx, node, OP_DEL, id.s, id.len, "", 0, id.col))
				goto fail;
			break;
		}
		case T_NOT: {
			struct item *cond;
			struct tok rest;

			if (get_until(lx, M(T_COLON) | M(T_ENDL), true, &tv))
				goto fail;
			if (tv.v[tv.n - 1].t != T_COLON) {
				lex_error(lx, 0, "expected ':' after the filter of '!'");
				goto fail;
			}
			cond = new_item(lx, IT_NCOND);
			if (parse_filter(lx, tv.v, tv.n - 1, &cond->f))
				goto fail;
			lex_rest_string(lx, &rest);
			if (rest.len) {
				lx->rd->has_stored = true;
				lx->rd->stored.text = rest.s;
				lx->rd->stored.len = rest.len;
				lx->rd->stored.indent = indent + 1;
				lx->rd->stored.num = lx->linenum;
			}
			cond->body = plan_node_new(p);
			cond->body->is_cond = true;
			if (!parse_block(ps, lx, cond->body, indent))
				goto fail;
			node_add(p, node, cond);
			break;
		}
		default:
			lex_error(lx, t.col, "syntax error");
			goto fail;
		}
	}
	ps->depth--;
	meta_clear(&meta);
	free(tv.v);
	return node;
fail:
	ps->depth--;
	meta_clear(&meta);
	free(tv.v);
	return NULL;
}

int plan_parse_text(struct hvt_plan *p, const char *text, size_t len, const char *name,
		    bool is_file, struct hvt_err *err)
{
	struct parser ps;
	struct lexer lx;
	struct reader rd;
	struct node *root;

	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.err = err;
	if (is_file) {
		char *real = realpath(name, NULL);

		if (real)
			ps.inc[ps.ninc++].real = real;
	}
	reader_init(&rd, p, arena_strndup(&p->arena, name, strlen(name)), is_file, text, len);
	memset(&lx, 0, sizeof(lx));
	lx.ps = &ps;
	lx.rd = &rd;
	lx.prev_indent = -1;
	root = parse_block(&ps, &lx, p->root, -1);
	while (ps.ninc)
		free(ps.inc[--ps.ninc].real);
	if (!root)
		return err && err->code ? err->code : -EINVAL;
	p->root = root;
	return 0;
}

int plan_parse_file(struct hvt_plan *p, const char *path, struct hvt_err *err)
{
	char *text;
	size_t len;
	int rc;

	rc = hvt_file_read(path, &text, &len, err);
	if (rc)
		return rc;
	rc = plan_parse_text(p, text, len, path, true, err);
	free(text);
	return rc;
}

void plan_compile(struct hvt_plan *p, struct node *n)
{
	struct spanv *sv = &n->spans;

	if (n->compiled)
		return;
	sv->n = 0;
	n->has_join = false;
	for (size_t i = 0; i < n->content.n; i++) {
		struct item *it = n->content.v[i];
		bool op = it->kind == IT_OP || it->kind == IT_SUFFIX;

		if (it->kind == IT_JOIN)
			n->has_join = true;
		if (it->kind == IT_COND || it->kind == IT_NCOND)
			plan_compile(p, it->body);
		if (op && sv->n && sv->v[sv->n - 1].ops &&
		    sv->v[sv->n - 1].items + sv->v[sv->n - 1].n == &n->content.v[i]) {
			sv->v[sv->n - 1].n++;
			continue;
		}
		if (!sv->alloc || sv->alloc < n->content.n) {
			struct span *nv = arena_alloc(&p->arena, n->content.n * sizeof(*nv));

			if (sv->n)
				memcpy(nv, sv->v, sv->n * sizeof(*nv));
			sv->v = nv;
			sv->alloc = n->content.n;
		}
		sv->v[sv->n].items = &n->content.v[i];
		sv->v[sv->n].n = 1;
		sv->v[sv->n].ops = op;
		sv->n++;
	}
	n->compiled = true;
}
