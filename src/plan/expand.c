// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Streaming expansion of a parsed plan: a depth-first walk of the node
 * tree with an explicit stack, applying filters as avocado-vt's
 * get_dicts() does and building one parameter dict per leaf; joins walk
 * their terms in sub-walks and merge the results.
 *
 * A subtree is dropped as soon as a filter can no longer match in it
 * (label sets, labels.c). A leaf's content is a list of runs of
 * operations, first the leaf's own (the plan's first lines) and last the
 * outermost variant's; consecutive leaves share a prefix of that list, so
 * the dict is not built again from nothing: the changes since the end of
 * the shared prefix are undone and only the rest is applied.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"

/* A node on the walk's stack and the content it passes to its children. */
struct frame {
	ref_t ref;
	bool block;
	bool named;		/* reached as an entry of a block */
	ref_t child;		/* a NODE's child; 0: it is a leaf */
	uint32_t labels;	/* the label set of the names below */
	/* a block's entries and what they share */
	ref_t shared, shared_child;
	uint32_t lshared;
	const uint8_t *next;	/* the delta of the next entry in file order */
	uint32_t left;
	ref_t prev;
	ref_t first;		/* defaults mode: the default entry, visited first */
	ref_t skip;		/* ... and not again in file order */
	/* what the frame added to the walk's lists, and its results */
	size_t ctx_len, sn_len, dep_len, cs_start, cs_end;
	size_t count;
	bool is_default, last_default, done;
	struct join *join;
};

/* names already looked up in the string table, by where their text is */
#define NAME_CACHE 1024

/* A walk: of the plan, or of one term of a join below a node. */
struct exp {
	struct hvt_plan *p;
	struct exp *parent;	/* a join's walk: the walk it is in ... */
	size_t parent_sp;	/* ... and the frames above the join there */
	struct frame *f;
	size_t sp, af;
	struct clabel *ctx;
	size_t nctx, actx;
	struct clabel *sn;
	size_t nsn, asn;
	struct hvt_strv dep;
	const uint8_t **cs;	/* the frames' content: runs and pending filters */
	size_t ncs, acs;
	struct vdict d;		/* the variant being built */
	struct vdict *out;	/* the variant returned: d or a join's */
	/* the last leaf's runs, the dict's marks after each, and what reused */
	const uint8_t **prev;
	size_t nprev, aprev;
	struct vdict_mark *cp;
	size_t acp;
	size_t dep_from;	/* the first run that read name, shortname or dep */
	struct hvt_buf tmp;
	struct flat flat;
	struct {
		const char *s;
		int id;
	} names[NAME_CACHE];
	/* the root: a node, how it is reached, its inherited content, an extra 'only' */
	ref_t root, root_child;
	bool root_named;
	uint32_t root_labels;
	const uint8_t **inherit;
	size_t ninherit;
	const uint8_t *extra;
	bool started;
	struct hvt_err *err;
	int rc;
};

struct join {
	const uint8_t **only;	/* one ONLY item per word of the node's joins */
	size_t k;
	struct exp **sub;
	struct vdict **cur;	/* current dict of each term */
	struct vdict merged, acc;
	bool started;
};

static struct exp *exp_new(struct hvt_plan *p, struct exp *parent, ref_t root, bool named,
			   ref_t child, uint32_t labels, const uint8_t *const *inherit,
			   size_t ninherit, const uint8_t *extra);
static void exp_restart(struct exp *e);

/* ---- the walk's lists ---- */

static void cs_push(struct exp *e, const uint8_t *it)
{
	if (e->ncs == e->acs) {
		e->acs = e->acs ? e->acs * 2 : 256;
		e->cs = hvt_realloc(e->cs, e->acs * sizeof(*e->cs));
	}
	e->cs[e->ncs++] = it;
}

static void ctx_push(struct exp *e, const struct clabel *l)
{
	if (e->nctx == e->actx) {
		e->actx = e->actx ? e->actx * 2 : 32;
		e->ctx = hvt_realloc(e->ctx, e->actx * sizeof(*e->ctx));
	}
	e->ctx[e->nctx++] = *l;
}

static void sn_push(struct exp *e, const struct clabel *l)
{
	if (e->nsn == e->asn) {
		e->asn = e->asn ? e->asn * 2 : 32;
		e->sn = hvt_realloc(e->sn, e->asn * sizeof(*e->sn));
	}
	e->sn[e->nsn++] = *l;
}

static void dep_truncate(struct exp *e, size_t n)
{
	while (e->dep.n > n) {
		free(e->dep.v[--e->dep.n]);
		e->dep.v[e->dep.n] = NULL;
	}
}

/* A label as avocado-vt prints it: "name" or "(block=name)". */
static void label_text(struct hvt_buf *b, const struct hvt_plan *p, int var, const char *s,
		       size_t len)
{
	if (var < 0) {
		buf_put(b, s, len);
		return;
	}
	buf_put(b, "(", 1);
	buf_put(b, p->strs.str[var], p->strs.len[var]);
	buf_put(b, "=", 1);
	buf_put(b, s, len);
	buf_put(b, ")", 1);
}

/* ---- filters ---- */

static bool process_chain(struct exp *e, const uint8_t *p, const struct labelset *ls);

/* One item of content: kept for the children, acted on, or dropped. */
static bool process_item(struct exp *e, const uint8_t *it, const struct labelset *ls)
{
	const uint8_t *q = it + 1;
	const struct filter *f;
	bool onlyish, act, irrelevant;

	if (*it == R_RUN) {
		cs_push(e, it);
		return true;
	}
	if (*it == R_JOIN)
		return true;
	f = &e->p->filters[get_varint(&q)];
	onlyish = *it == R_ONLY || *it == R_NCOND;
	if (onlyish) {
		act = !filter_might_match(f, e->ctx, e->nctx, ls);
		irrelevant = !act && filter_match(f, e->ctx, e->nctx);
	} else {
		act = filter_match(f, e->ctx, e->nctx);
		irrelevant = !act && !filter_might_match(f, e->ctx, e->nctx, ls);
	}
	if (act) {
		if (*it == R_ONLY || *it == R_NO)
			return false;
		return process_chain(e, tree_at(&e->p->tree, get_u32(q)), ls);
	}
	if (!irrelevant)
		cs_push(e, it);
	return true;
}

static bool process_chain(struct exp *e, const uint8_t *p, const struct labelset *ls)
{
	const struct tree *t = &e->p->tree;

	for (p = chain_first(t, p); p; p = chain_first(t, item_skip(p)))
		if (!process_item(e, p, ls))
			return false;
	return true;
}

/* ---- frames ---- */

/*
 * The string id of a variant's name, -1 if it has none: then no filter
 * names it (filters intern their names before a walk starts).
 */
static int name_id(struct exp *e, const char *s, size_t len)
{
	size_t h = ((uintptr_t)s >> 1) & (NAME_CACHE - 1);

	if (e->names[h].s != s) {
		e->names[h].s = s;
		e->names[h].id = strtab_find(&e->p->strs, s, len);
	}
	return e->names[h].id;
}

static bool expanded(const struct hvt_plan *p, int var)
{
	for (size_t i = 0; i < p->nexpand; i++)
		if (p->expand[i] == var)
			return true;
	return false;
}

static void frame_pop(struct exp *e)
{
	struct frame *f = &e->f[--e->sp];

	if (f->join) {
		for (size_t i = 0; i < f->join->k; i++)
			exp_free(f->join->sub[i]);
		vdict_release(&f->join->merged);
		vdict_release(&f->join->acc);
		free(f->join->sub);
		free(f->join->cur);
		free(f->join->only);
		free(f->join);
		f->join = NULL;
	}
	if (e->sp) {
		struct frame *up = &e->f[e->sp - 1];

		up->count += f->count;
		up->last_default = f->is_default;
		e->nctx = up->ctx_len;
		e->nsn = up->sn_len;
		dep_truncate(e, up->dep_len);
		e->ncs = up->cs_end;
	} else {
		e->nctx = 0;
		e->nsn = 0;
		dep_truncate(e, 0);
		e->ncs = 0;
	}
}

/* The dependencies of a variant: its names in ctx followed by each block of dep. */
static void push_deps(struct exp *e, const struct filter *dep)
{
	struct hvt_plan *p = e->p;

	for (size_t w = 0; w < dep->n; w++) {
		for (size_t b = 0; b < dep->w[w].n; b++) {
			const struct fblock *bl = &dep->w[w].b[b];

			e->tmp.len = 0;
			hvt_buf_add(&e->tmp, "", 0);
			for (size_t i = 0; i < e->nctx; i++) {
				if (i)
					hvt_buf_add(&e->tmp, ".", 1);
				label_text(&e->tmp, p, e->ctx[i].var, e->ctx[i].s, e->ctx[i].len);
			}
			for (size_t i = 0; i < bl->n; i++) {
				const struct label *l = &bl->l[i];

				if (e->nctx + i)
					hvt_buf_add(&e->tmp, ".", 1);
				label_text(&e->tmp, p, l->var, p->strs.str[l->name], p->strs.len[l->name]);
			}
			hvt_strv_push(&e->dep, e->tmp.p);
		}
	}
}

/* A join at node r: its terms, walked later. */
static struct join *join_new(struct exp *e, const struct node_hdr *h)
{
	const struct tree *t = &e->p->tree;
	struct join *j = hvt_zalloc(sizeof(*j));

	for (const uint8_t *it = chain_first(t, h->chain); it; it = chain_first(t, item_skip(it))) {
		const uint8_t *q = it + 1;
		uint32_t n;

		if (*it != R_JOIN)
			continue;
		n = get_varint(&q);
		for (uint32_t w = 0; w < n; w++) {
			j->only = hvt_realloc(j->only, (j->k + 1) * sizeof(*j->only));
			j->only[j->k++] = q;
			q++;
			get_varint(&q);
		}
	}
	j->sub = hvt_zalloc((j->k + 1) * sizeof(*j->sub));
	j->cur = hvt_zalloc((j->k + 1) * sizeof(*j->cur));
	return j;
}

/*
 * Push node r below the top frame (or as the root): an entry of a block
 * if named, with child and labels when it is a NODE, and inheriting the
 * content in e->cs[from..to) or inherit[0..ninherit). Returns false when
 * a filter drops it; *is_default tells whether it was its block's default.
 */
static bool frame_push(struct exp *e, ref_t r, bool named, ref_t child, uint32_t labels,
		       size_t from, size_t to, const uint8_t *const *inherit, size_t ninherit,
		       const uint8_t *extra, bool *is_default)
{
	struct hvt_plan *p = e->p;
	size_t base_ctx = e->nctx, base_sn = e->nsn, base_dep = e->dep.n, base_cs = e->ncs;
	const struct labelset *ls;
	struct node_hdr h;
	struct frame *f;

	if (e->sp == e->af) {
		size_t na = e->af ? e->af * 2 : 16;

		e->f = hvt_realloc(e->f, na * sizeof(*e->f));
		memset(e->f + e->af, 0, (na - e->af) * sizeof(*e->f));
		e->af = na;
	}
	node_decode(&p->tree, r, named, &h);
	f = &e->f[e->sp];
	memset(f, 0, sizeof(*f));
	f->ref = r;
	f->block = h.block;
	f->named = named;
	f->is_default = (h.flags & N_DEFAULT) && !expanded(p, h.var);
	*is_default = f->is_default;
	if (h.block) {
		f->labels = h.labels;
		f->shared = h.shared;
		f->shared_child = h.shared_child;
		f->lshared = h.lshared;
		f->next = h.children;
		f->left = h.nchildren;
		if (p->defaults && h.dflt) {
			struct node_hdr dh;

			node_decode(&p->tree, h.dflt, true, &dh);
			if (!expanded(p, dh.var))
				f->first = f->skip = h.dflt;
		}
	} else {
		f->child = child;
		f->labels = labels;
	}
	if (h.dep >= 0)
		push_deps(e, &p->filters[h.dep]);
	for (const char *s = h.names, *end = s ? s + h.names_len : NULL; s && s < end;) {
		const char *dot = memchr(s, '.', (size_t)(end - s));
		struct clabel l;

		l.s = s;
		l.len = (uint32_t)(dot ? (size_t)(dot - s) : (size_t)(end - s));
		l.name = name_id(e, s, l.len);
		l.var = h.var;
		ctx_push(e, &l);
		s += l.len + 1;
	}
	f->cs_start = e->ncs;
	if ((h.flags & N_JOIN) && !extra) {
		/* the join frame keeps the parent's state for its sub-walks */
		f->join = join_new(e, &h);
		e->nctx = base_ctx;
		dep_truncate(e, base_dep);
		for (size_t i = from; i < to; i++)
			cs_push(e, e->cs[i]);
		for (size_t i = 0; i < ninherit; i++)
			cs_push(e, inherit[i]);
		f->cs_end = e->ncs;
		f->ctx_len = e->nctx;
		f->sn_len = e->nsn;
		f->dep_len = e->dep.n;
		e->sp++;
		if (!f->join->k) {
			frame_pop(e);
			return false;
		}
		return true;
	}
	ls = &p->lsets[f->labels];
	if (!process_chain(e, h.chain, ls))
		goto filtered;
	if (extra && !process_item(e, extra, ls))
		goto filtered;
	/* e->cs may move as it grows: index it */
	for (size_t i = from; i < to; i++)
		if (!process_item(e, e->cs[i], ls))
			goto filtered;
	for (size_t i = 0; i < ninherit; i++)
		if (!process_item(e, inherit[i], ls))
			goto filtered;
	if (named && (h.flags & N_SHORT))
		for (size_t i = base_ctx; i < e->nctx; i++)
			sn_push(e, &e->ctx[i]);
	f->cs_end = e->ncs;
	f->ctx_len = e->nctx;
	f->sn_len = e->nsn;
	f->dep_len = e->dep.n;
	e->sp++;
	return true;
filtered:
	e->nctx = base_ctx;
	e->nsn = base_sn;
	dep_truncate(e, base_dep);
	e->ncs = base_cs;
	return false;
}

/*
 * The child and labels of NODE r, the shared node of a block above the
 * top frame (in this walk or in the walks a join's walk is in).
 */
static void shared_node(const struct exp *e, ref_t r, ref_t *child, uint32_t *labels)
{
	size_t sp = e->sp;

	for (; e; sp = e->parent_sp, e = e->parent) {
		for (size_t i = sp; i-- > 0;) {
			if (e->f[i].block && e->f[i].shared == r) {
				*child = e->f[i].shared_child;
				*labels = e->f[i].lshared;
				return;
			}
		}
	}
	*child = 0;
	*labels = 0;
}

/* ---- leaves ---- */

static bool same_strings(char *const *a, char *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

/* A frame's conditions on the stack (none yet: no stack, and NULL + 0 is undefined). */
static const uint8_t **frame_cs(const struct exp *e, const struct frame *f)
{
	return e->cs ? e->cs + f->cs_start : NULL;
}

static int build_leaf(struct exp *e, const struct frame *f)
{
	struct hvt_plan *p = e->p;
	struct vdict *d = &e->d;
	const uint8_t **list = frame_cs(e, f);
	size_t n = f->cs_end - f->cs_start, k = 0;

	d->name.len = 0;
	d->shortname.len = 0;
	hvt_buf_add(&d->name, "", 0);
	hvt_buf_add(&d->shortname, "", 0);
	for (size_t i = 0; i < e->nctx; i++) {
		if (i)
			buf_put(&d->name, ".", 1);
		label_text(&d->name, p, e->ctx[i].var, e->ctx[i].s, e->ctx[i].len);
	}
	for (size_t i = 0; i < e->nsn; i++) {
		if (i)
			buf_put(&d->shortname, ".", 1);
		buf_put(&d->shortname, e->sn[i].s, e->sn[i].len);
	}
	if (d->dep.n != e->dep.n || !same_strings(d->dep.v, e->dep.v, e->dep.n)) {
		hvt_strv_release(&d->dep);
		for (size_t i = 0; i < e->dep.n; i++)
			hvt_strv_push(&d->dep, e->dep.v[i]);
	}
	/* keep what the last variant built from the same runs, unless it read the names */
	while (k < n && k < e->nprev && k < e->dep_from && list[k] == e->prev[k])
		k++;
	vdict_undo(d, p, &e->cp[k]);
	e->dep_from = SIZE_MAX;
	if (n + 1 > e->acp) {
		e->acp = (n + 1) * 2;
		e->cp = hvt_realloc(e->cp, e->acp * sizeof(*e->cp));
	}
	if (n > e->aprev) {
		e->aprev = n * 2;
		e->prev = hvt_realloc(e->prev, e->aprev * sizeof(*e->prev));
	}
	vdict_grow_slots(d, p->strs.n);
	for (size_t i = k; i < n; i++) {
		if (vdict_apply_run(d, p, list[i], &e->flat, &e->tmp) && e->dep_from == SIZE_MAX)
			e->dep_from = i;
		vdict_mark(d, &e->cp[i + 1]);
		e->prev[i] = list[i];
	}
	e->nprev = n;
	return vdict_minmax(d, p, e->err);
}

/* ---- joins ---- */

static struct exp *join_sub(struct exp *e, struct frame *f, size_t level)
{
	struct exp *s = exp_new(e->p, e, f->ref, f->named, f->child, f->labels,
				(const uint8_t *const *)frame_cs(e, f), f->cs_end - f->cs_start,
				f->join->only[level]);

	s->parent_sp = (size_t)(f - e->f);
	return s;
}

/* Advance level i of a join; 1 got one, 0 exhausted, <0 error. */
static int join_level(struct exp *e, struct frame *f, size_t i)
{
	struct join *j = f->join;
	int rc;

	if (!j->sub[i])
		j->sub[i] = join_sub(e, f, i);
	rc = exp_next(j->sub[i]);
	j->cur[i] = exp_dict(j->sub[i]);
	return rc;
}

static int join_next(struct exp *e, struct frame *f)
{
	struct join *j = f->join;
	size_t k = j->k, i;
	int rc;

	if (!j->started) {
		j->started = true;
		for (i = 0; i < k; i++) {
			rc = join_level(e, f, i);
			if (rc <= 0)
				return rc;
		}
	} else {
		/* odometer: advance the last level, restart the ones after it */
		for (i = k; i-- > 0;) {
			rc = join_level(e, f, i);
			if (rc < 0)
				return rc;
			if (rc == 1)
				break;
		}
		if (i == (size_t)-1)
			return 0;
		for (size_t l = i + 1; l < k; l++) {
			exp_restart(j->sub[l]);
			rc = join_level(e, f, l);
			if (rc <= 0)
				return rc;
		}
	}
	if (k == 1) {
		e->out = j->cur[0];
		return 1;
	}
	/* merged right to left: d0 + (d1 + (d2 + ...)) */
	rc = vdict_merge(&j->merged, j->cur[k - 2], j->cur[k - 1], e->p, e->err);
	for (i = k - 2; !rc && i-- > 0;) {
		struct vdict tmp;

		rc = vdict_merge(&j->acc, j->cur[i], &j->merged, e->p, e->err);
		tmp = j->merged;
		j->merged = j->acc;
		j->acc = tmp;
	}
	if (rc)
		return rc;
	e->out = &j->merged;
	return 1;
}

/* ---- the walk ---- */

int exp_next(struct exp *e)
{
	struct hvt_plan *p = e->p;
	bool dflt;

	if (e->rc)
		return e->rc;
	if (!e->started) {
		e->started = true;
		if (!frame_push(e, e->root, e->root_named, e->root_child, e->root_labels, 0, 0,
				(const uint8_t *const *)e->inherit, e->ninherit, e->extra, &dflt))
			return 0;
	}
	while (e->sp) {
		struct frame *f = &e->f[e->sp - 1];
		int rc;

		if (f->join) {
			rc = join_next(e, f);
			if (rc < 0)
				return e->rc = rc;
			if (rc == 1) {
				f->count++;
				return 1;
			}
			frame_pop(e);
			continue;
		}
		if (!f->block) {
			ref_t c = f->child, cc;
			uint32_t labels;

			if (f->done) {
				frame_pop(e);
				continue;
			}
			f->done = true;
			if (!c) {
				f->count = 1;
				rc = build_leaf(e, f);
				if (rc)
					return e->rc = rc;
				e->out = &e->d;
				return 1;
			}
			shared_node(e, c, &cc, &labels);
			frame_push(e, c, false, cc, labels, f->cs_start, f->cs_end, NULL, 0, NULL, &dflt);
			continue;
		}
		if (p->defaults && f->last_default && f->count) {
			frame_pop(e);
			continue;
		}
		{
			ref_t c = 0;

			if (f->first) {
				c = f->first;
				f->first = 0;
			}
			while (!c && f->left) {
				f->left--;
				f->prev += get_varint(&f->next);
				if (f->prev != f->skip)
					c = f->prev;
			}
			if (!c) {
				frame_pop(e);
				continue;
			}
			f->last_default = false;
			/* frame_push may move e->f: f is not used after it */
			if (!frame_push(e, c, true, f->shared, f->lshared, f->cs_start, f->cs_end, NULL,
					0, NULL, &dflt))
				e->f[e->sp - 1].last_default = dflt;
		}
	}
	return 0;
}

static struct exp *exp_new(struct hvt_plan *p, struct exp *parent, ref_t root, bool named,
			   ref_t child, uint32_t labels, const uint8_t *const *inherit,
			   size_t ninherit, const uint8_t *extra)
{
	struct exp *e = hvt_zalloc(sizeof(*e));

	e->p = p;
	e->parent = parent;
	e->root = root;
	e->root_named = named;
	e->root_child = child;
	e->root_labels = labels;
	e->extra = extra;
	e->d.undoable = true;
	e->out = &e->d;
	e->dep_from = SIZE_MAX;
	e->acp = 64;
	e->cp = hvt_zalloc(e->acp * sizeof(*e->cp));
	vdict_reset(&e->d);
	vdict_mark(&e->d, &e->cp[0]);
	if (ninherit) {
		e->inherit = hvt_malloc(ninherit * sizeof(*e->inherit));
		memcpy(e->inherit, inherit, ninherit * sizeof(*e->inherit));
		e->ninherit = ninherit;
	}
	if (parent) {
		for (size_t i = 0; i < parent->nctx; i++)
			ctx_push(e, &parent->ctx[i]);
		for (size_t i = 0; i < parent->nsn; i++)
			sn_push(e, &parent->sn[i]);
		for (size_t i = 0; i < parent->dep.n; i++)
			hvt_strv_push(&e->dep, parent->dep.v[i]);
		e->err = parent->err;
	}
	return e;
}

/* Start e's walk again, keeping its memory and what its dict can reuse. */
static void exp_restart(struct exp *e)
{
	while (e->sp)
		frame_pop(e);
	e->started = false;
	e->rc = 0;
	e->out = &e->d;
	e->nctx = e->nsn = 0;
	dep_truncate(e, 0);
	e->ncs = 0;
	for (size_t i = 0; i < e->parent->nctx; i++)
		ctx_push(e, &e->parent->ctx[i]);
	for (size_t i = 0; i < e->parent->nsn; i++)
		sn_push(e, &e->parent->sn[i]);
	for (size_t i = 0; i < e->parent->dep.n; i++)
		hvt_strv_push(&e->dep, e->parent->dep.v[i]);
}

void exp_free(struct exp *e)
{
	if (!e)
		return;
	while (e->sp)
		frame_pop(e);
	free(e->f);
	free(e->ctx);
	free(e->sn);
	free(e->cs);
	free(e->prev);
	free(e->cp);
	hvt_strv_release(&e->dep);
	vdict_release(&e->d);
	hvt_buf_release(&e->tmp);
	flat_release(&e->flat);
	free(e->inherit);
	free(e);
}

struct exp *exp_new_root(struct hvt_plan *p)
{
	plan_resolve(p);
	return exp_new(p, NULL, p->top.node, false, p->top.child, 0, NULL, 0, NULL);
}

void exp_set_err(struct exp *e, struct hvt_err *err)
{
	e->err = err;
}

struct vdict *exp_dict(struct exp *e)
{
	return e->out;
}

struct flat *exp_flat(struct exp *e)
{
	return &e->flat;
}
