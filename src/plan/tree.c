// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compact tree's store: records written at its end, chains of items
 * that other records interrupt (CONT), runs of operations, and the
 * decoding of a node's header.
 */
#include <stdlib.h>
#include <string.h>

#include "plan-int.h"

/* operations of a run are written in pieces of at most this size */
#define RUN_MAX 65536
/* room kept at the end of an allocation for the CONT to the next one */
#define CONT_SIZE 5

void tree_init(struct tree *t)
{
	memset(t, 0, sizeof(*t));
	/* position 0 means none: the first byte is never used */
	tree_reserve(t, 1, NULL)[0] = R_END;
}

void tree_release(struct tree *t)
{
	for (size_t i = 0; i < t->nalloc; i++)
		free(t->alloc[i]);
	free(t->alloc);
	free(t->unit);
	free(t->scratch);
	hvt_buf_release(&t->run);
	hvt_buf_release(&t->item);
	memset(t, 0, sizeof(*t));
}

void put_varint(struct hvt_buf *b, uint32_t v)
{
	uint8_t tmp[5];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	hvt_buf_add(b, tmp, n);
}

void put_u32(struct hvt_buf *b, uint32_t v)
{
	hvt_buf_add(b, &v, 4);
}

uint8_t *tree_mut(struct tree *t, ref_t r)
{
	return t->unit[r >> TREE_UNIT_SHIFT] + (r & (TREE_UNIT - 1));
}

/* the first allocation, enough for most plans: a part of unit 0 */
#define FIRST_SIZE 65536

/* A new allocation of whole units, at the next unit boundary. */
static bool tree_grow(struct tree *t, size_t n)
{
	uint64_t start = ((uint64_t)t->len + TREE_UNIT - 1) & ~(uint64_t)(TREE_UNIT - 1);
	size_t units = (n + CONT_SIZE + TREE_UNIT - 1) / TREE_UNIT;
	uint8_t *mem;

	if (!t->nunit && n + CONT_SIZE <= FIRST_SIZE) {
		t->aunit = 16;
		t->unit = hvt_realloc(t->unit, t->aunit * sizeof(*t->unit));
		t->unit[t->nunit++] = hvt_malloc(FIRST_SIZE);
		t->alloc = hvt_malloc(sizeof(*t->alloc));
		t->alloc[t->nalloc++] = t->unit[0];
		t->len = 0;
		t->end = FIRST_SIZE - CONT_SIZE;
		return true;
	}
	if (start + (uint64_t)units * TREE_UNIT > UINT32_MAX)
		return false;
	mem = hvt_malloc((size_t)units * TREE_UNIT);
	t->alloc = hvt_realloc(t->alloc, (t->nalloc + 1) * sizeof(*t->alloc));
	t->alloc[t->nalloc++] = mem;
	if (t->nunit + units > t->aunit) {
		t->aunit = (t->nunit + units) * 2;
		t->unit = hvt_realloc(t->unit, t->aunit * sizeof(*t->unit));
	}
	while (t->nunit < start >> TREE_UNIT_SHIFT)
		t->unit[t->nunit++] = NULL;
	for (size_t i = 0; i < units; i++)
		t->unit[t->nunit++] = mem + (size_t)i * TREE_UNIT;
	/* a chain that goes on at the tail goes on in the new allocation */
	if (t->tail && t->len) {
		uint8_t *p = tree_mut(t, t->len);
		uint32_t to = (uint32_t)start;

		p[0] = R_CONT;
		memcpy(p + 1, &to, 4);
	}
	t->len = (uint32_t)start;
	t->end = (uint32_t)(start + (uint64_t)units * TREE_UNIT - CONT_SIZE);
	return true;
}

uint8_t *tree_reserve(struct tree *t, size_t n, ref_t *at)
{
	uint8_t *p;

	if (!t->full && ((uint64_t)t->len + n > t->end || !t->nunit) && !tree_grow(t, n))
		t->full = true;
	if (t->full) {
		/* the parse fails at its next line; until then writes go nowhere */
		if (n > t->nscratch) {
			t->nscratch = n;
			t->scratch = hvt_realloc(t->scratch, n);
		}
		if (at)
			*at = 0;
		return t->scratch;
	}
	p = tree_mut(t, t->len);
	if (at)
		*at = t->len;
	t->len += (uint32_t)n;
	t->bytes += n;
	return p;
}

static void put(struct tree *t, const void *data, size_t n)
{
	memcpy(tree_reserve(t, n, NULL), data, n);
}

static void flush_run(struct tree *t)
{
	struct hvt_buf h = HVT_BUF_INIT;
	uint8_t *p;

	if (!t->run.len)
		return;
	hvt_buf_add(&h, (uint8_t[]){ R_RUN }, 1);
	put_varint(&h, (uint32_t)t->run.len);
	p = tree_reserve(t, h.len + t->run.len, NULL);
	memcpy(p, h.p, h.len);
	memcpy(p + h.len, t->run.p, t->run.len);
	t->run.len = 0;
	hvt_buf_release(&h);
}

void chain_suspend(struct tree *t)
{
	ref_t at;
	uint8_t *p;

	flush_run(t);
	if (!t->tail)
		return;
	p = tree_reserve(t, CONT_SIZE, &at);
	memset(p, 0, CONT_SIZE);
	p[0] = R_CONT;
	t->tail->hole = at ? at + 1 : 0;
	t->tail = NULL;
}

static void switch_to(struct tree *t, struct chain *c)
{
	uint32_t here;

	if (t->tail == c)
		return;
	chain_suspend(t);
	here = t->full ? 0 : t->len;
	if (c->hole && !t->full)
		memcpy(tree_mut(t, c->hole), &here, 4);
	c->hole = 0;
	t->tail = c;
}

ref_t tree_record(struct tree *t, struct chain *c)
{
	ref_t at;

	chain_suspend(t);
	memcpy(tree_reserve(t, t->item.len, &at), t->item.p, t->item.len);
	c->hole = 0;
	t->tail = c;
	return at;
}

ref_t chain_start(struct tree *t, struct chain *c)
{
	ref_t at;

	chain_suspend(t);
	/* a position for the chain even if its first item moves on */
	tree_reserve(t, 0, &at);
	c->hole = 0;
	t->tail = c;
	return t->full ? 0 : at;
}

void chain_op(struct tree *t, struct chain *c)
{
	switch_to(t, c);
	if (t->run.len + t->item.len > RUN_MAX)
		flush_run(t);
	hvt_buf_add(&t->run, t->item.p, t->item.len);
}

void chain_item(struct tree *t, struct chain *c)
{
	switch_to(t, c);
	flush_run(t);
	put(t, t->item.p, t->item.len);
}

void chain_end(struct tree *t, struct chain *c)
{
	if (t->tail != c)
		return;
	flush_run(t);
	put(t, (uint8_t[]){ R_END }, 1);
	t->tail = NULL;
}

/* ---- reading ---- */

const uint8_t *item_skip(const uint8_t *p)
{
	uint32_t n;

	switch (*p++) {
	case R_RUN:
		n = get_varint(&p);
		return p + n;
	case R_ONLY:
	case R_NO:
		get_varint(&p);
		return p;
	case R_COND:
	case R_NCOND:
		get_varint(&p);
		return p + 4;
	case R_JOIN:
		n = get_varint(&p);
		while (n--) {
			p++;
			get_varint(&p);
		}
		return p;
	default:
		hvt_bug(__FILE__, __LINE__, "plan: item 0x%02x", p[-1]);
	}
}

/* The names part of a NODE header at p (after the tag). */
static const uint8_t *node_names(const uint8_t *p, uint8_t flags, struct node_hdr *h)
{
	h->flags = flags;
	h->var = -1;
	h->names = NULL;
	h->names_len = 0;
	h->dep = -1;
	if (flags & N_VAR)
		h->var = (int)get_varint(&p) - 1;
	if (flags & N_NAMES) {
		h->names_len = get_varint(&p);
		h->names = (const char *)p;
		p += h->names_len;
	}
	if (flags & N_DEP)
		h->dep = (int)get_varint(&p);
	return p;
}

void node_decode(const struct tree *t, ref_t r, bool names, struct node_hdr *h)
{
	const uint8_t *p = tree_at(t, r);
	uint8_t tag = *p++;

	if ((tag & R_KIND) == R_NODE) {
		h->block = false;
		p = node_names(p, tag & 0x3f, h);
		h->chain = p;
		if (!names) {
			h->flags &= N_JOIN;
			h->var = -1;
			h->names = NULL;
			h->names_len = 0;
			h->dep = -1;
		}
		return;
	}
	h->block = true;
	h->shared = get_u32(p + B_SHARED);
	h->shared_child = get_u32(p + B_SHARED_CHILD);
	h->labels = get_u32(p + B_LABELS);
	h->lshared = get_u32(p + B_LSHARED);
	h->dflt = get_u32(p + B_DEFAULT);
	{
		ref_t from = get_u32(p + B_NAMES_FROM);
		const uint8_t *q = p + B_COUNT;

		h->nchildren = get_varint(&q);
		h->children = q;
		for (uint32_t i = 0; i < h->nchildren; i++)
			get_varint(&q);
		h->chain = q;
		if (names && from) {
			const uint8_t *np = tree_at(t, from);

			node_names(np + 1, np[0] & 0x3f, h);
			h->flags = (uint8_t)((h->flags & ~N_JOIN) | (tag & N_JOIN));
		} else {
			h->flags = tag & N_JOIN;
			h->var = -1;
			h->names = NULL;
			h->names_len = 0;
			h->dep = -1;
		}
	}
}
