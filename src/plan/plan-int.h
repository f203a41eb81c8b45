/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the plan module: the plan object, its memory (an arena, a string
 * table, the compact tree of tree.h) and the label sets that let a walk
 * prune. The lexer is in lex.h, filters in filter.h, a variant's dict in
 * dict.h.
 */
#ifndef HVT_PLAN_INT_H
#define HVT_PLAN_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "plan.h"
#include "tree.h"

/* arena.c: memory that lives as long as the plan and is released in one go. */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};

/* n bytes, zeroed and aligned for any type */
void *arena_alloc(struct arena *a, size_t n);
/* n bytes, not aligned (strings) */
void *arena_bytes(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_release(struct arena *a);

/* strtab.c: interned strings, id <-> text. Ids are dense, from 0. */
struct strtab {
	const char **str;
	uint32_t *len;
	size_t n, alloc;
	int *hash;		/* open addressing, -1 empty */
	size_t hsize;
	struct arena text;
};

int strtab_intern(struct strtab *t, const char *s, size_t len);
/* -1 if s was never interned. */
int strtab_find(const struct strtab *t, const char *s, size_t len);
void strtab_release(struct strtab *t);

/* A sorted set of labels (see label_key()): what can come below a node. */
struct labelset {
	uint64_t *v;
	uint32_t n;
};

/* Where the parser goes on writing: a node and its content. */
struct cursor {
	ref_t node;
	ref_t child;		/* a NODE's child, 0 for a block or the first node */
	struct chain *chain;
	bool cond;		/* the body of a condition: no node of its own */
};

struct hvt_plan {
	struct arena arena;
	struct strtab strs;
	struct tree tree;
	struct cursor top;	/* the outermost node: a walk starts there */
	struct chain first_chain;	/* the chain of the plan's first node */
	bool broken;		/* a parse failed: the plan can only be freed */
	char *file;		/* the plan's main file, for messages */
	bool defaults;
	int *expand;		/* block names expanded in defaults mode */
	size_t nexpand;
	size_t limit;
	bool limit_set;		/* by hvt_plan_set_limit(), not the default */
	int reserved[3];	/* ids of name, dep, shortname */
	int reserved_extra[2];	/* _name_map_file, _short_name_map_file */
	uint8_t *sfx;		/* per string id: key_facts(), 0 not known yet */
	size_t nsfx;
	int *pbase;		/* per string id of KEY_max...: KEY's id, -1 not known yet */
	size_t npbase;
	regex_t **regexes;	/* the regular expressions of ?=, ?+=, ?<= and del */
	size_t nregex, aregex;
	struct filter *filters;	/* the filters the tree names by index */
	size_t nfilters, afilters;
	uint8_t *fuse;		/* per string id: how filters use it (label_key()) */
	size_t nfuse;
	ref_t *blocks;		/* every BLOCK, in the order written */
	size_t nblocks, ablocks;
	ref_t (*shared)[2];	/* NODEs that are a block's shared node, with their child */
	size_t nshared, ashared;
	/* label sets, computed for a walk when the plan changed (labels.c) */
	struct labelset *lsets;	/* [0] is the empty set */
	size_t nlsets, alsets;
	unsigned gen, resolved_gen;
};

/* plan.c: whether key is name, shortname, dep or avocado-vt's name map keys */
bool plan_key_reserved(const struct hvt_plan *p, int key);
/*
 * Set err to the message, with control characters and bytes that are not
 * UTF-8 shown as \xNN; returns code.
 */
int plan_err(struct hvt_err *err, int code, const char *fmt, ...) HVT_PRINTF(3, 4);
int plan_verr(struct hvt_err *err, int code, const char *fmt, va_list ap) HVT_PRINTF(3, 0);

/* parse.c: text -> the tree, below p->top (includes resolved) */
int plan_parse_text(struct hvt_plan *p, const char *text, size_t len,
		    const char *name, bool is_file, struct hvt_err *err);
int plan_parse_file(struct hvt_plan *p, const char *path, struct hvt_err *err);

/* filter.c: add f to the plan's filters, returns its index */
int plan_add_filter(struct hvt_plan *p, const struct filter *f);

/* labels.c: the label sets of every block, if the plan changed since. */
void plan_resolve(struct hvt_plan *p);
/* Record a new block (parse.c); node is its shared node, child that node's child. */
void plan_add_block(struct hvt_plan *p, ref_t block, ref_t node, ref_t child);
/* Record that filters use label l (filter.c). */
void plan_use_label(struct hvt_plan *p, const struct label *l);

/* regex.c: the keys of ?=, ?+=, ?<= and del */
struct lexer;
/*
 * Compile name, a Python regular expression matched against whole keys;
 * *out gets its index in p->regexes. Returns 0, or -EINVAL with the
 * lexer's error set at column col.
 */
int key_regex_compile(struct lexer *lx, const char *name, int *out, int col);
/*
 * Whether compiling the extended regular expression re could take
 * unbounded time or memory: glibc's regcomp() copies a repeated
 * subexpression once per repetition, so stacked repetitions ("a+++*")
 * and large or nested bounds ("(a{200}){200}") grow exponentially.
 */
bool plan_regex_too_costly(const char *re);

#endif
