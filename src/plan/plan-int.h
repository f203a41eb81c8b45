/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the plan module: the parsed tree that parse.c builds and
 * expand.c walks, an arena for its memory and a string table. The lexer
 * is in lex.h, filters in filter.h, a variant's dict in dict.h.
 */
#ifndef HVT_PLAN_INT_H
#define HVT_PLAN_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "plan.h"

/* arena.c: everything a plan parses lives in its arena and goes with the plan. */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};

void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_release(struct arena *a);

/* strtab.c: interned strings, id <-> text. Ids are dense, from 0. */
struct strtab {
	char **str;
	size_t *len;
	size_t n, alloc;
	int *hash;		/* open addressing, -1 empty */
	size_t hsize;
};

int strtab_intern(struct strtab *t, const char *s, size_t len);
/* -1 if s was never interned. */
int strtab_find(const struct strtab *t, const char *s, size_t len);
void strtab_release(struct strtab *t);

enum item_kind {
	IT_OP,
	IT_ONLY,
	IT_NO,
	IT_COND,	/* FILTER: block, acts when the filter matches */
	IT_NCOND,	/* !FILTER: block, acts when it cannot match */
	IT_JOIN,
	IT_SUFFIX,
};

enum op_kind {
	OP_SET,		/* = */
	OP_APPEND,	/* += */
	OP_PREPEND,	/* <= */
	OP_LAZY,	/* ~= : set unless already set */
	OP_RSET,	/* ?= */
	OP_RAPPEND,	/* ?+= */
	OP_RPREPEND,	/* ?<= */
	OP_DEL,		/* del */
};

struct node;

/* One statement of a block, in file order. */
struct item {
	enum item_kind kind;
	const char *file;
	int line;
	/* IT_OP */
	enum op_kind op;
	int key;		/* key id (plain ops) */
	const char *keytext;	/* the key as written (regex for ?= and del) */
	regex_t *re;		/* compiled for ?=, ?+=, ?<=, del */
	const char *value;
	size_t vlen;
	bool dollar;		/* value has a '$' */
	/* filters, conditions, joins */
	struct filter f;
	struct node *body;	/* IT_COND / IT_NCOND */
	/* IT_SUFFIX */
	const char *suffix;
};

/*
 * A run of content: either n consecutive operations or one filter-like
 * item (n == 1, ops == false). Expansion passes spans around instead of
 * single operations, so that inherited content costs O(filters).
 */
struct span {
	struct item *const *items;
	uint32_t n;
	bool ops;
};

struct spanv {
	struct span *v;
	size_t n, alloc;
};

struct itemv {
	struct item **v;
	size_t n, alloc;
};

/*
 * A node of avocado-vt's tree. Each "variants:" block wraps everything
 * parsed before it: its entries have the previous top node as their only
 * child, so the tree is a DAG with shared children and names read from the
 * last block to the first.
 */
struct node {
	struct label *name;
	size_t nname;
	struct filter dep;
	int var_name;		/* -1 when the block has no name */
	struct itemv content;
	struct spanv spans;	/* content compiled into spans */
	bool compiled;
	bool has_join;
	struct node **children;
	size_t nchildren, achildren;
	struct labelset *labels;	/* names of all descendants (shared) */
	bool append_to_shortname;
	bool is_default;
	bool is_cond;		/* the body of a condition, not a tree node */
};

struct hvt_plan {
	struct arena arena;
	struct strtab strs;
	struct node *root;
	char *file;		/* the plan's main file, for messages */
	bool defaults;
	int *expand;		/* block names expanded in defaults mode */
	size_t nexpand;
	size_t limit;
	size_t nparse;		/* filters added, for their names */
	int reserved[3];	/* ids of name, dep, shortname */
	int reserved_extra[2];	/* _name_map_file, _short_name_map_file */
	uint8_t *sfx;		/* per string id: key_facts(), 0 not known yet */
	size_t nsfx;
	regex_t **regexes;	/* to regfree() */
	size_t nregex, aregex;
};

/* plan.c: whether key is name, shortname, dep or avocado-vt's name map keys */
bool plan_key_reserved(const struct hvt_plan *p, int key);

/* parse.c: text -> the tree, below p->root (includes resolved) */
int plan_parse_text(struct hvt_plan *p, const char *text, size_t len,
		    const char *name, bool is_file, struct hvt_err *err);
int plan_parse_file(struct hvt_plan *p, const char *path, struct hvt_err *err);

/* tree.c: nodes, their content and label sets */
struct node *plan_node_new(struct hvt_plan *p);
struct labelset *labelset_new(struct hvt_plan *p);
/* Append an item to n's content. */
void node_add(struct hvt_plan *p, struct node *n, struct item *it);
/* Add child c to n, first or last. */
void node_add_child(struct hvt_plan *p, struct node *n, struct node *c, bool front);
/* The labels of a variants block n4: its children's names and labels. */
void node_block_labels(struct hvt_plan *p, struct node *n4);
/* Compile node content into spans (idempotent). */
void plan_compile(struct hvt_plan *p, struct node *n);

/* regex.c: the keys of ?=, ?+=, ?<= and del */
struct lexer;
/*
 * Compile name, a Python regular expression matched against whole keys,
 * into *out (owned by the lexer's plan). Returns 0, or -EINVAL with the
 * lexer's error set at column col.
 */
int key_regex_compile(struct lexer *lx, const char *name, regex_t **out, int col);
/*
 * Whether compiling the extended regular expression re could take
 * unbounded time or memory: glibc's regcomp() copies a repeated
 * subexpression once per repetition, so stacked repetitions ("a+++*")
 * and large or nested bounds ("(a{200}){200}") grow exponentially.
 */
bool plan_regex_too_costly(const char *re);

#endif
