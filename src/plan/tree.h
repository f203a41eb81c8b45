/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A parsed plan in compact form: avocado-vt's node tree written as byte
 * records into one store, so that memory follows the plan's statements
 * and not its text, and a walk reads it front to back. tree.c writes it;
 * the decoders here read it.
 */
#ifndef HVT_PLAN_TREE_H
#define HVT_PLAN_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

/*
 * A position in the store; 0 is none. The store grows in allocations of
 * whole units, so a position maps to memory through the unit table and
 * pointers into the store stay valid.
 */
typedef uint32_t ref_t;

#define TREE_UNIT_SHIFT 20
#define TREE_UNIT ((uint32_t)1 << TREE_UNIT_SHIFT)

/*
 * The records. A node's content is a chain of items ending in END, or
 * CONT with where it goes on (CONT 0 also ends it: a chain that may still
 * resume, as the top node's does for command-line filters).
 *
 * NODE   tag 0x80|flags, [var+1 varint][names: varint len, "a.b"][dep: varint
 *        filter], then its chain. A node with one child (or none: the leaf),
 *        the content of a variant or of the plan's first lines. Its child is
 *        not written: it is the shared node of the block the node is an entry
 *        of, or, for a block's shared node, that block's shared_child.
 * BLOCK  tag 0xc0|flags, u32 names_from, shared, shared_child, labels,
 *        lshared, dflt, varint n, n varint deltas between the children's
 *        positions, then its chain. A variants block:
 *        its entries all have the block's shared node as their only child.
 *        names_from is the NODE whose names, dependencies and flags the
 *        block has when it is an entry of an outer block (a variant whose
 *        body holds variants blocks); labels and lshared are the label sets
 *        (see labels.c) of the names below it and below its shared node.
 *
 * Items of a chain:
 * RUN    varint len, then len bytes of operations (below)
 * ONLY, NO             varint filter
 * COND, NCOND          varint filter, u32 body (a chain)
 * JOIN   varint n, then n ONLY items, one per word of the join
 * An operation: u8 kind|flags, then for a key operation varint key,
 * [varint regex], varint len, the value and a NUL, and if the value has
 * "${": varint n and n references (varint start, varint end, varint key),
 * where value[start..end) is "${key}"; for a suffix varint len, the suffix
 * and a NUL.
 */
enum {
	R_END = 0x00,
	R_CONT = 0x01,
	R_RUN = 0x02,
	R_ONLY = 0x03,
	R_NO = 0x04,
	R_COND = 0x05,
	R_NCOND = 0x06,
	R_JOIN = 0x07,
	R_NODE = 0x80,
	R_BLOCK = 0xc0,
	R_KIND = 0xc0,
};

/* flags of a NODE (and of the names a BLOCK borrows) */
enum {
	N_VAR = 0x01,		/* a variant of a named block */
	N_NAMES = 0x02,
	N_DEP = 0x04,
	N_DEFAULT = 0x08,
	N_SHORT = 0x10,		/* its names go into the short name */
	N_JOIN = 0x20,		/* its chain holds a join */
};

enum op_kind {
	OP_SET,			/* = */
	OP_APPEND,		/* += */
	OP_PREPEND,		/* <= */
	OP_LAZY,		/* ~= : set unless already set */
	OP_RSET,		/* ?= */
	OP_RAPPEND,		/* ?+= */
	OP_RPREPEND,		/* ?<= */
	OP_DEL,			/* del */
	OP_SUFFIX,		/* suffix _x, applied at the end of its block */
};

/* flags of an operation */
enum {
	OPF_KIND = 0x0f,
	OPF_DOLLAR = 0x10,	/* the value has "${" */
	OPF_RESERVED = 0x20,	/* ... naming name, shortname or dep */
	OPF_KEY_RESERVED = 0x40, /* the key is reserved: a plain operation does nothing */
};

/* the block header's fixed fields, from the byte after the tag */
enum {
	B_NAMES_FROM = 0,
	B_SHARED = 4,
	B_SHARED_CHILD = 8,
	B_LABELS = 12,
	B_LSHARED = 16,
	B_DEFAULT = 20,
	B_COUNT = 24,
};

/* A chain being written: where its CONT waits for the next item. */
struct chain {
	ref_t hole;
};

struct tree {
	uint8_t **unit;
	size_t nunit, aunit;
	uint8_t **alloc;	/* what to free */
	size_t nalloc;
	uint32_t len;		/* the next position written */
	size_t bytes;		/* bytes written */
	uint32_t end;		/* the end of the current allocation */
	bool full;		/* past 4 GiB: the parse fails */
	uint8_t *scratch;	/* where writes go once full */
	size_t nscratch;
	struct chain *tail;	/* the chain whose items end at len */
	struct hvt_buf run;	/* operations of the tail chain, not written yet */
	struct hvt_buf item;	/* an item or header being built */
};

void tree_init(struct tree *t);
void tree_release(struct tree *t);

static inline const uint8_t *tree_at(const struct tree *t, ref_t r)
{
	return t->unit[r >> TREE_UNIT_SHIFT] + (r & (TREE_UNIT - 1));
}

static inline uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint32_t get_varint(const uint8_t **pp)
{
	const uint8_t *p = *pp;
	uint32_t v = 0;
	unsigned shift = 0;

	while (*p & 0x80) {
		v |= (uint32_t)(*p++ & 0x7f) << shift;
		shift += 7;
	}
	v |= (uint32_t)*p++ << shift;
	*pp = p;
	return v;
}

/* Append v as a varint to b. */
void put_varint(struct hvt_buf *b, uint32_t v);
void put_u32(struct hvt_buf *b, uint32_t v);

/* The first item of a chain at p (CONT followed), or NULL at its end. */
static inline const uint8_t *chain_first(const struct tree *t, const uint8_t *p)
{
	for (;;) {
		ref_t r;

		if (*p == R_END)
			return NULL;
		if (*p != R_CONT)
			return p;
		r = get_u32(p + 1);
		if (!r)
			return NULL;
		p = tree_at(t, r);
	}
}

/* Past the item at p (not followed by CONT: use chain_first()). */
const uint8_t *item_skip(const uint8_t *p);

/* The end of the operations of the RUN at p; *ops gets the first. */
static inline const uint8_t *run_ops(const uint8_t *p, const uint8_t **ops)
{
	uint32_t len;

	p++;
	len = get_varint(&p);
	*ops = p;
	return p + len;
}

/* A node's header, decoded. */
struct node_hdr {
	bool block;
	uint8_t flags;		/* N_* of the node or of its names_from */
	int var;		/* -1: not of a named block */
	const char *names;	/* "a.b", names_len bytes */
	uint32_t names_len;
	int dep;		/* filter, -1 none */
	const uint8_t *chain;	/* its content */
	/* blocks */
	ref_t shared, shared_child, dflt;
	uint32_t labels, lshared;
	uint32_t nchildren;
	const uint8_t *children;	/* the deltas */
};

/*
 * Decode the node at r; with names, also the names and flags it has as an
 * entry of a block (from names_from for a block).
 */
void node_decode(const struct tree *t, ref_t r, bool names, struct node_hdr *h);

/* ---- writing (tree.c) ---- */

/* Room for n bytes at the end of the store; *at gets their position. */
uint8_t *tree_reserve(struct tree *t, size_t n, ref_t *at);
/* A writable pointer to position r, for patching what was written. */
uint8_t *tree_mut(struct tree *t, ref_t r);

/* Write a record header (t->item) and start chain c right after it. */
ref_t tree_record(struct tree *t, struct chain *c);
/* Start chain c at the end of the store; returns its position. */
ref_t chain_start(struct tree *t, struct chain *c);
/* Append an operation (t->item) to c; consecutive ones share a RUN. */
void chain_op(struct tree *t, struct chain *c);
/* Append another item (t->item) to c. */
void chain_item(struct tree *t, struct chain *c);
/* Nothing more goes into c. */
void chain_end(struct tree *t, struct chain *c);
/* Leave the tail chain so that it can resume later (with CONT). */
void chain_suspend(struct tree *t);

#endif
