/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filters of the plan language ("only a..b, c.d", conditions, joins,
 * dependencies): their parsed form, their parsing and their matching.
 */
#ifndef HVT_PLAN_FILTER_H
#define HVT_PLAN_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvt_plan;
struct labelset;
struct lexer;
struct tok;

/* A variant name in a filter: plain ("linux") or of a named block ("(host_os=linux)"). */
struct label {
	int name;		/* id of "linux" */
	int var;		/* id of "host_os", -1 when plain */
};

/* A name of the variant a walk builds: its text and, if a filter names it, its id. */
struct clabel {
	int name;		/* -1: no filter names it, it matches nothing */
	int var;
	const char *s;
	uint32_t len;
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

/* How filters use a string id (struct hvt_plan's fuse). */
enum { USE_PLAIN = 1, USE_VAR = 2 };

/* The key of a label in a struct labelset. */
static inline uint64_t label_key(int name, int var)
{
	return var < 0 ? (uint64_t)(uint32_t)name : ((uint64_t)(uint32_t)(var + 1) << 32) | (uint32_t)name;
}

/*
 * avocado-vt's parse_filter() over toks[0..n) (an end of line is implied).
 * The filter lives in the lexer's plan; its names are interned and marked
 * as used by filters. Returns 0, or -EINVAL with the lexer's error set.
 */
int filter_parse(struct lexer *lx, const struct tok *toks, size_t n, struct filter *out);

/* Whether f matches a variant whose names so far are ctx[0..n), outermost first. */
bool filter_match(const struct filter *f, const struct clabel *ctx, size_t n);
/*
 * Whether f can still match once names from ls (the names below the
 * current node) are added to ctx[0..n).
 */
bool filter_might_match(const struct filter *f, const struct clabel *ctx, size_t n,
			const struct labelset *ls);

#endif
