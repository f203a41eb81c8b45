/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filters of the plan language ("only a..b, c.d", conditions, joins,
 * dependencies): their parsed form, their parsing and their matching.
 */
#ifndef HVT_PLAN_FILTER_H
#define HVT_PLAN_FILTER_H

#include <stdbool.h>
#include <stddef.h>

struct hvt_plan;
struct lexer;
struct tok;

/* A variant name: plain ("linux") or of a named block ("(host_os=linux)"). */
struct label {
	int name;		/* id of "linux" */
	int lng;		/* id of "(host_os=linux)", == name when plain */
	bool var;
};

/* A filter: OR of words, a word an AND of blocks, a block a chain a.b.c */
struct fblock {
	struct label *l;
	size_t n;
};

struct fword {
	struct fblock *b;
	size_t n;
};

struct filter {
	struct fword *w;
	size_t n;
};

/* Sorted sets of label ids (names and long names) below a node. */
struct labelset {
	int *names, *longs;
	size_t nnames, nlongs;
};

/*
 * The label of the variant name (nlen bytes) of the block named var (vlen
 * bytes; NULL for an unnamed block). Both names are interned in p.
 */
struct label label_make(struct hvt_plan *p, const char *var, size_t vlen,
			const char *name, size_t nlen);

/*
 * avocado-vt's parse_filter() over toks[0..n) (an end of line is implied).
 * The filter lives in the lexer's plan. Returns 0, or -EINVAL with the
 * lexer's error set.
 */
int filter_parse(struct lexer *lx, const struct tok *toks, size_t n, struct filter *out);

/* Whether f matches a variant whose names so far are ctx[0..n), outermost first. */
bool filter_match(const struct filter *f, const struct label *ctx, size_t n);
/*
 * Whether f can still match once names from ls (the names below the
 * current node, NULL for none) are added to ctx[0..n).
 */
bool filter_might_match(const struct filter *f, const struct label *ctx, size_t n,
			const struct labelset *ls);

#endif
