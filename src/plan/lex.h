/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan lexer: a plan's text as lines (comments dropped, tabs expanded)
 * and each line as tokens, the way avocado-vt's cartesian_config reads it.
 */
#ifndef HVT_PLAN_LEX_H
#define HVT_PLAN_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "plan-int.h"

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
	bool has_stored;	/* a line to read again (the rest of "cond: x = 1") */
	struct line stored;
};

enum tok_type {
	T_INDENT, T_ENDBLOCK, T_ENDL, T_IDENT, T_WHITE, T_STRING, T_COLON,
	T_VARIANTS, T_DOT, T_DASH, T_AT, T_ONLY, T_NO, T_JOIN, T_SUFFIX,
	T_INCLUDE, T_DEL, T_NOT, T_COMMA, T_LBRACK, T_RBRACK, T_LPAREN,
	T_RPAREN, T_OP,
};

/* A set of token types. */
#define M(t) (1u << (t))
#define M_OPS M(T_OP)

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

struct lexer {
	struct hvt_plan *p;
	struct hvt_err *err;
	struct reader *rd;
	int prev_indent;	/* lines indented no deeper end the block */
	bool fast;		/* avocado-vt's fast path for "key = value" lines */
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

/*
 * Split text into the lines of rd (kept in p's arena): Python's
 * splitlines(), rstrip() and expandtabs(), then comments and blank lines
 * dropped. file names the text in messages; relative includes in it are
 * resolved against its directory if is_file.
 */
void reader_init(struct reader *rd, struct hvt_plan *p, const char *file,
		 bool is_file, const char *text, size_t len);

void tokv_push(struct tokv *tv, const struct tok *t);

/* Set lx->err to "file:line[:col]: message" (col <= 0: none); returns -EINVAL. */
int lex_error(struct lexer *lx, int col, const char *fmt, ...) HVT_PRINTF(3, 4);
/*
 * The next token: T_INDENT starts a line indented deeper than
 * lx->prev_indent, T_ENDBLOCK comes instead of a line that is not.
 * Returns 0 or -EINVAL (an unknown operator, a stray character).
 */
int lex_next(struct lexer *lx, struct tok *out);
/* The rest of the current line as one string; also consumes the line end. */
void lex_rest_string(struct lexer *lx, struct tok *out);
/* The next token (white space skipped if asked), an error if not in mask. */
int lex_expect(struct lexer *lx, unsigned mask, bool skip_white, struct tok *t);
/* Tokens up to and including the first of end (white space dropped if asked). */
int lex_until(struct lexer *lx, unsigned end, bool nowhite, struct tokv *tv);
/* Append a token as Python's str() shows it, for keys written in strict mode. */
void tok_text(struct hvt_buf *b, const struct tok *t);

#endif
