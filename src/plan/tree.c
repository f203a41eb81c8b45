// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan's tree: nodes and their content, the label sets that tell the
 * expansion which names can still come below a node, and content compiled
 * into spans.
 */
#include <stdlib.h>
#include <string.h>

#include "plan-int.h"

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

void node_add(struct hvt_plan *p, struct node *n, struct item *it)
{
	itemv_push(p, &n->content, it);
	n->compiled = false;
}

void node_add_child(struct hvt_plan *p, struct node *n, struct node *c, bool front)
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
void node_block_labels(struct hvt_plan *p, struct node *n4)
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
