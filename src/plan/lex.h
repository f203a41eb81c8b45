/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan lexer: a plan's text as lines (comments dropped, tabs expanded)
 * and each line as tokens, the way avocado-vt's cartesian_config reads it.
 * Lines are read one at a time, from a file or from memory, so a plan is
 * never held in memory as a whole.
 */
#ifndef HVT_PLAN_LEX_H
#define HVT_PLAN_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "plan-int.h"

struct line {
	const char *text;	/* stripped, tabs expanded; valid until the next line */
	size_t len;
	int indent;		/* in characters, as Python counts them */
	int num;
};

struct reader {
	const char *file;	/* for messages; lives in the plan's arena */
	bool is_file;
	int fd;			/* -1: the text is in memory */
	const char *mem;
	size_t mlen;
	char *buf;		/* bytes of the file not split into lines yet */
	size_t pos, end, cap;
	bool eof;
	int num;		/* number of the last line split */
	struct hvt_buf text;	/* the current line */
	struct line cur;	/* the next plan line, read ahead */
	bool have;
	bool has_stored;	/* a line to read again (the rest of "cond: x = 1") */
	struct line stored;
	struct hvt_buf stored_text;
	int rc;			/* a line could not be read: see the lexer's error */
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
	const char *s;		/* text (not NUL-terminated), valid until the next line */
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
 * Read plan lines from fd (-1: from the len bytes at text, which must stay
 * valid) as Python's splitlines(), rstrip() and expandtabs() would split
 * the decoded text, then drop comments and blank lines. file names the
 * text in messages; relative includes in it are resolved against its
 * directory if is_file.
 */
void reader_init(struct reader *rd, const char *file, bool is_file, int fd,
		 const char *text, size_t len);
void reader_release(struct reader *rd);

void tokv_push(struct tokv *tv, const struct tok *t);

/* Set lx->err to "file:line[:col]: message" (col <= 0: none); returns -EINVAL. */
int lex_error(struct lexer *lx, int col, const char *fmt, ...) HVT_PRINTF(3, 4);
/*
 * The next token: T_INDENT starts a line indented deeper than
 * lx->prev_indent, T_ENDBLOCK comes instead of a line that is not.
 * Returns 0 or a negative errno: an unknown operator, a stray character,
 * a line that is not UTF-8 or has a NUL byte, a read error.
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
/*
 * The length of the white space character (Python's str.isspace()) at s,
 * n bytes long, or 0.
 */
size_t py_space(const char *s, size_t n);

#endif
