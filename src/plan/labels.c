// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Label sets: for each variants block, the names that can come below it,
 * so that a walk drops a subtree as soon as a filter can no longer match
 * in it. Only names that some filter uses are kept, so the sets stay
 * small however many variants a plan has; they are computed again before
 * a walk when the plan changed (a command-line filter adds names).
 */
#include <stdlib.h>
#include <string.h>

#include "plan-int.h"

struct keys {
	uint64_t *v;
	size_t n, alloc;
};

static void keys_push(struct keys *k, uint64_t x)
{
	if (k->n == k->alloc) {
		k->alloc = k->alloc ? k->alloc * 2 : 64;
		k->v = hvt_realloc(k->v, k->alloc * sizeof(*k->v));
	}
	k->v[k->n++] = x;
}

static void keys_add_set(struct keys *k, const struct labelset *ls)
{
	for (uint32_t i = 0; i < ls->n; i++)
		keys_push(k, ls->v[i]);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* A new label set from k (sorted, duplicates dropped); returns its index. */
static uint32_t lset_add(struct hvt_plan *p, struct keys *k)
{
	struct labelset *ls;
	size_t m = 0;

	if (!k->n)
		return 0;
	qsort(k->v, k->n, sizeof(*k->v), cmp_u64);
	for (size_t i = 0; i < k->n; i++)
		if (!m || k->v[m - 1] != k->v[i])
			k->v[m++] = k->v[i];
	if (p->nlsets == p->alsets) {
		p->alsets = p->alsets * 2;
		p->lsets = hvt_realloc(p->lsets, p->alsets * sizeof(*p->lsets));
	}
	ls = &p->lsets[p->nlsets];
	ls->v = hvt_malloc(m * sizeof(*ls->v));
	memcpy(ls->v, k->v, m * sizeof(*ls->v));
	ls->n = (uint32_t)m;
	return (uint32_t)p->nlsets++;
}

static void lsets_clear(struct hvt_plan *p)
{
	for (size_t i = 1; i < p->nlsets; i++)
		free(p->lsets[i].v);
	if (!p->alsets) {
		p->alsets = 16;
		p->lsets = hvt_zalloc(p->alsets * sizeof(*p->lsets));
	}
	p->nlsets = 1;
}

/* The names of an entry that filters use, as label keys. */
static void add_names(struct hvt_plan *p, const struct node_hdr *h, struct keys *k)
{
	const char *s = h->names, *end = h->names + h->names_len;

	while (s && s < end) {
		const char *dot = memchr(s, '.', (size_t)(end - s));
		size_t len = dot ? (size_t)(dot - s) : (size_t)(end - s);
		int id = strtab_find(&p->strs, s, len);

		if (id >= 0 && (size_t)id < p->nfuse) {
			if (p->fuse[id] & USE_PLAIN)
				keys_push(k, label_key(id, -1));
			if ((p->fuse[id] & USE_VAR) && h->var >= 0)
				keys_push(k, label_key(id, h->var));
		}
		s += len + 1;
	}
}

void plan_add_block(struct hvt_plan *p, ref_t block, ref_t node, ref_t child)
{
	struct node_hdr h;

	if (p->nblocks == p->ablocks) {
		p->ablocks = p->ablocks ? p->ablocks * 2 : 16;
		p->blocks = hvt_realloc(p->blocks, p->ablocks * sizeof(*p->blocks));
	}
	p->blocks[p->nblocks++] = block;
	if (!node)
		return;
	node_decode(&p->tree, node, false, &h);
	if (h.block)
		return;
	if (p->nshared == p->ashared) {
		p->ashared = p->ashared ? p->ashared * 2 : 16;
		p->shared = hvt_realloc(p->shared, p->ashared * sizeof(*p->shared));
	}
	p->shared[p->nshared][0] = node;
	p->shared[p->nshared++][1] = child;
}

/* The label set of the names below node r (a block done already, or a NODE). */
static uint32_t below_of(const struct hvt_plan *p, ref_t r)
{
	while (r) {
		struct node_hdr h;
		size_t i;

		node_decode(&p->tree, r, false, &h);
		if (h.block)
			return h.labels;
		/* a NODE has one child: what is below it is below that child */
		for (i = p->nshared; i-- > 0;)
			if (p->shared[i][0] == r)
				break;
		r = i == (size_t)-1 ? 0 : p->shared[i][1];
	}
	return 0;
}

void plan_resolve(struct hvt_plan *p)
{
	struct keys k = { NULL, 0, 0 };

	if (p->resolved_gen == p->gen && p->nlsets)
		return;
	lsets_clear(p);
	/* a block's children and shared node were written before it */
	for (size_t bi = 0; bi < p->nblocks; bi++) {
		ref_t r = p->blocks[bi];
		struct node_hdr h;
		const uint8_t *d;
		ref_t child = 0;
		uint32_t lshared, labels;
		bool simple = false;

		node_decode(&p->tree, r, false, &h);
		lshared = below_of(p, h.shared);
		k.n = 0;
		d = h.children;
		for (uint32_t i = 0; i < h.nchildren; i++) {
			struct node_hdr c;

			child += get_varint(&d);
			node_decode(&p->tree, child, true, &c);
			add_names(p, &c, &k);
			if (c.block)
				keys_add_set(&k, &p->lsets[c.labels]);
			else
				simple = true;
		}
		if (simple)
			keys_add_set(&k, &p->lsets[lshared]);
		labels = lset_add(p, &k);
		{
			uint8_t *w = tree_mut(&p->tree, r) + 1;

			memcpy(w + B_LABELS, &labels, 4);
			memcpy(w + B_LSHARED, &lshared, 4);
		}
	}
	free(k.v);
	p->resolved_gen = p->gen;
}
