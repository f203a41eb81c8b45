// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Streaming expansion of a parsed plan: a depth-first walk of the node
 * tree with an explicit stack, applying filters as avocado-vt's
 * get_dicts() does and building one parameter dict per leaf; joins walk
 * their terms in sub-walks and merge the results.
 */
#include <stdlib.h>
#include <string.h>

#include "expand.h"

/* A node on the walk's stack and the content it passes to its children. */
struct frame {
	struct node *node;
	size_t ctx_len, sn_len, dep_len;
	struct span *content;
	size_t ncontent, acontent;
	size_t child;
	size_t count;
	bool last_default;
	bool leaf_done;
	struct join *join;
};

/* A walk: of the plan, or of one term of a join below a node. */
struct exp {
	struct hvt_plan *p;
	struct frame *f;
	size_t sp, af;
	struct label *ctx;
	size_t nctx, actx;
	struct label *sn;
	size_t nsn, asn;
	struct hvt_strv dep;
	struct vdict d;		/* the variant being built */
	struct hvt_buf tmp, tmp2;
	struct flat flat;
	/* the root: a node, its inherited state, an extra 'only' */
	struct node *root;
	struct span *inherit;
	size_t ninherit;
	struct item *extra;
	bool started;
	struct hvt_err *err;
	int rc;
};

struct join {
	struct item *only;	/* one per word of the joins */
	size_t k;
	struct exp **sub;
	struct vdict *cur;	/* current dict of each level */
	bool started;
};

static void content_push(struct frame *f, const struct span *s)
{
	if (f->ncontent && s->ops && f->content[f->ncontent - 1].ops &&
	    f->content[f->ncontent - 1].items + f->content[f->ncontent - 1].n == s->items) {
		f->content[f->ncontent - 1].n += s->n;
		return;
	}
	if (f->ncontent == f->acontent) {
		f->acontent = f->acontent ? f->acontent * 2 : 32;
		f->content = hvt_realloc(f->content, f->acontent * sizeof(*f->content));
	}
	f->content[f->ncontent++] = *s;
}

static bool process(struct exp *e, struct frame *f, const struct span *v, size_t n,
		    const struct labelset *ls)
{
	for (size_t i = 0; i < n; i++) {
		const struct span *s = &v[i];
		struct item *it;
		bool onlyish, act, irrelevant;

		if (s->ops) {
			content_push(f, s);
			continue;
		}
		it = s->items[0];
		if (it->kind == IT_JOIN)
			continue;
		onlyish = it->kind == IT_ONLY || it->kind == IT_NCOND;
		if (onlyish) {
			act = !filter_might_match(&it->f, e->ctx, e->nctx, ls);
			irrelevant = !act && filter_match(&it->f, e->ctx, e->nctx);
		} else {
			act = filter_match(&it->f, e->ctx, e->nctx);
			irrelevant = !act && !filter_might_match(&it->f, e->ctx, e->nctx, ls);
		}
		if (act) {
			if (it->kind == IT_ONLY || it->kind == IT_NO)
				return false;
			plan_compile(e->p, it->body);
			if (!process(e, f, it->body->spans.v, it->body->spans.n, ls))
				return false;
			continue;
		}
		if (!irrelevant)
			content_push(f, s);
	}
	return true;
}

static void ctx_push(struct exp *e, const struct label *l)
{
	if (e->nctx == e->actx) {
		e->actx = e->actx ? e->actx * 2 : 32;
		e->ctx = hvt_realloc(e->ctx, e->actx * sizeof(*e->ctx));
	}
	e->ctx[e->nctx++] = *l;
}

static void sn_push(struct exp *e, const struct label *l)
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

static struct exp *exp_new(struct hvt_plan *p, struct exp *parent, struct node *root,
			   const struct span *inherit, size_t ninherit, struct item *extra);

static bool node_default(const struct hvt_plan *p, const struct node *n);

static void frame_pop(struct exp *e)
{
	struct frame *f = &e->f[--e->sp];

	if (f->join) {
		for (size_t i = 0; i < f->join->k; i++) {
			if (f->join->sub[i])
				exp_free(f->join->sub[i]);
			vdict_release(&f->join->cur[i]);
		}
		free(f->join->sub);
		free(f->join->cur);
		free(f->join->only);
		free(f->join);
		f->join = NULL;
	}
	if (e->sp) {
		e->f[e->sp - 1].count += f->count;
		e->f[e->sp - 1].last_default = node_default(e->p, f->node);
	}
	e->nctx = e->sp ? e->f[e->sp - 1].ctx_len : 0;
	e->nsn = e->sp ? e->f[e->sp - 1].sn_len : 0;
	dep_truncate(e, e->sp ? e->f[e->sp - 1].dep_len : 0);
}

static bool node_default(const struct hvt_plan *p, const struct node *n)
{
	if (!n->is_default)
		return false;
	for (size_t i = 0; i < p->nexpand; i++)
		if (p->expand[i] == n->var_name)
			return false;
	return true;
}

/* Push node c below the top frame (or as the root); false if filtered out. */
static bool frame_push(struct exp *e, struct node *c, const struct span *inherit,
		       size_t ninherit, struct item *extra, bool strip_join)
{
	struct hvt_plan *p = e->p;
	size_t base_ctx = e->nctx, base_sn = e->nsn, base_dep = e->dep.n;
	struct frame *f;

	plan_compile(p, c);
	if (e->sp == e->af) {
		size_t na = e->af ? e->af * 2 : 16;

		e->f = hvt_realloc(e->f, na * sizeof(*e->f));
		memset(e->f + e->af, 0, (na - e->af) * sizeof(*e->f));
		e->af = na;
	}
	f = &e->f[e->sp];
	f->node = c;
	f->ncontent = 0;
	f->child = 0;
	f->count = 0;
	f->last_default = false;
	f->leaf_done = false;
	f->join = NULL;
	for (size_t w = 0; w < c->dep.n; w++) {
		for (size_t b = 0; b < c->dep.w[w].n; b++) {
			const struct fblock *bl = &c->dep.w[w].b[b];

			e->tmp.len = 0;
			hvt_buf_add(&e->tmp, "", 0);
			for (size_t i = 0; i < e->nctx + bl->n; i++) {
				const struct label *l = i < e->nctx ? &e->ctx[i] : &bl->l[i - e->nctx];

				hvt_buf_addf(&e->tmp, "%s%s", i ? "." : "", p->strs.str[l->lng]);
			}
			hvt_strv_push(&e->dep, e->tmp.p);
		}
	}
	for (size_t i = 0; i < c->nname; i++)
		ctx_push(e, &c->name[i]);
	if (c->has_join && !strip_join) {
		struct join *j = hvt_zalloc(sizeof(*j));

		for (size_t i = 0; i < c->content.n; i++) {
			struct item *it = c->content.v[i];

			if (it->kind != IT_JOIN)
				continue;
			for (size_t w = 0; w < it->f.n; w++) {
				j->only = hvt_realloc(j->only, (j->k + 1) * sizeof(*j->only));
				memset(&j->only[j->k], 0, sizeof(*j->only));
				j->only[j->k].kind = IT_ONLY;
				j->only[j->k].file = it->file;
				j->only[j->k].line = it->line;
				j->only[j->k].f.w = &it->f.w[w];
				j->only[j->k].f.n = 1;
				j->k++;
			}
		}
		/* the join frame keeps the parent's state for its sub-walks */
		e->nctx = base_ctx;
		dep_truncate(e, base_dep);
		j->sub = hvt_zalloc((j->k + 1) * sizeof(*j->sub));
		j->cur = hvt_zalloc((j->k + 1) * sizeof(*j->cur));
		f->join = j;
		/* keep inherited content for the sub-walks */
		for (size_t i = 0; i < ninherit; i++)
			content_push(f, &inherit[i]);
		f->ctx_len = e->nctx;
		f->sn_len = e->nsn;
		f->dep_len = e->dep.n;
		e->sp++;
		if (!j->k) {
			frame_pop(e);
			return false;
		}
		return true;
	}
	if (!process(e, f, c->spans.v, c->spans.n, c->labels))
		goto filtered;
	if (extra) {
		struct item *const *ip = (struct item *const *)&e->extra;
		struct span s = { ip, 1, false };

		if (!process(e, f, &s, 1, c->labels))
			goto filtered;
	}
	if (!process(e, f, inherit, ninherit, c->labels))
		goto filtered;
	if (c->append_to_shortname)
		for (size_t i = 0; i < c->nname; i++)
			sn_push(e, &c->name[i]);
	f->ctx_len = e->nctx;
	f->sn_len = e->nsn;
	f->dep_len = e->dep.n;
	e->sp++;
	return true;
filtered:
	e->nctx = base_ctx;
	e->nsn = base_sn;
	dep_truncate(e, base_dep);
	return false;
}

static int build_leaf(struct exp *e, struct frame *f)
{
	struct hvt_plan *p = e->p;
	struct vdict *d = &e->d;

	vdict_reset(d);
	for (size_t i = 0; i < e->nctx; i++) {
		if (i)
			hvt_buf_add(&d->name, ".", 1);
		hvt_buf_addf(&d->name, "%s", p->strs.str[e->ctx[i].lng]);
	}
	for (size_t i = 0; i < e->nsn; i++) {
		if (i)
			hvt_buf_add(&d->shortname, ".", 1);
		hvt_buf_addf(&d->shortname, "%s", p->strs.str[e->sn[i].name]);
	}
	for (size_t i = 0; i < e->dep.n; i++)
		hvt_strv_push(&d->dep, e->dep.v[i]);
	vdict_grow_slots(d, p->strs.n);
	vdict_apply(d, p, f->content, f->ncontent, &e->flat, &e->tmp, &e->tmp2);
	return vdict_minmax(d, p, e->err);
}

static struct exp *join_sub(struct exp *e, struct frame *f, size_t level)
{
	struct exp *s = exp_new(e->p, e, f->node, f->content, f->ncontent, &f->join->only[level]);

	return s;
}

/* Advance level i of a join; 1 got one, 0 exhausted, <0 error. */
static int join_level(struct exp *e, struct frame *f, size_t i)
{
	struct join *j = f->join;
	int rc = exp_next(j->sub[i]);

	if (rc == 1)
		vdict_copy(&j->cur[i], &j->sub[i]->d, e->p);
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
			j->sub[i] = join_sub(e, f, i);
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
			exp_free(j->sub[l]);
			j->sub[l] = join_sub(e, f, l);
			rc = join_level(e, f, l);
			if (rc <= 0)
				return rc;
		}
	}
	/* merged right to left: d0 + (d1 + (d2 + ...)) */
	if (k == 1) {
		vdict_copy(&e->d, &j->cur[0], e->p);
	} else {
		struct vdict acc, tmp;

		memset(&acc, 0, sizeof(acc));
		memset(&tmp, 0, sizeof(tmp));
		vdict_copy(&acc, &j->cur[k - 1], e->p);
		for (i = k - 1; i-- > 0;) {
			vdict_merge(&tmp, &j->cur[i], &acc, e->p);
			vdict_copy(&acc, &tmp, e->p);
		}
		vdict_copy(&e->d, &acc, e->p);
		vdict_release(&acc);
		vdict_release(&tmp);
	}
	return 1;
}

static struct node *child_at(const struct hvt_plan *p, const struct node *n, size_t i)
{
	size_t d = n->nchildren;

	if (p->defaults)
		for (size_t k = 0; k < n->nchildren; k++)
			if (node_default(p, n->children[k])) {
				d = k;
				break;
			}
	if (d == n->nchildren)
		return n->children[i];
	if (i == 0)
		return n->children[d];
	return i <= d ? n->children[i - 1] : n->children[i];
}

int exp_next(struct exp *e)
{
	struct hvt_plan *p = e->p;

	if (e->rc)
		return e->rc;
	if (!e->started) {
		e->started = true;
		if (!frame_push(e, e->root, e->inherit, e->ninherit, e->extra, e->extra != NULL))
			return 0;
	}
	while (e->sp) {
		struct frame *f = &e->f[e->sp - 1];
		struct node *n = f->node;
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
		if (!n->nchildren) {
			if (f->leaf_done) {
				frame_pop(e);
				continue;
			}
			f->leaf_done = true;
			f->count = 1;
			rc = build_leaf(e, f);
			if (rc)
				return e->rc = rc;
			return 1;
		}
		if (p->defaults && f->child && f->last_default && f->count) {
			frame_pop(e);
			continue;
		}
		if (f->child >= n->nchildren) {
			frame_pop(e);
			continue;
		}
		{
			struct node *c = child_at(p, n, f->child++);

			f->last_default = false;
			/* frame_push may move e->f: f is not used after it */
			if (!frame_push(e, c, f->content, f->ncontent, NULL, false))
				e->f[e->sp - 1].last_default = node_default(p, c);
		}
	}
	return 0;
}

static struct exp *exp_new(struct hvt_plan *p, struct exp *parent, struct node *root,
			   const struct span *inherit, size_t ninherit, struct item *extra)
{
	struct exp *e = hvt_zalloc(sizeof(*e));

	e->p = p;
	e->root = root;
	e->extra = extra;
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

void exp_free(struct exp *e)
{
	if (!e)
		return;
	while (e->sp)
		frame_pop(e);
	for (size_t i = 0; i < e->af; i++)
		free(e->f[i].content);
	free(e->f);
	free(e->ctx);
	free(e->sn);
	hvt_strv_release(&e->dep);
	vdict_release(&e->d);
	hvt_buf_release(&e->tmp);
	hvt_buf_release(&e->tmp2);
	flat_release(&e->flat);
	free(e->inherit);
	free(e);
}

struct exp *exp_new_root(struct hvt_plan *p)
{
	return exp_new(p, NULL, p->root, NULL, 0, NULL);
}

void exp_set_err(struct exp *e, struct hvt_err *err)
{
	e->err = err;
}

struct vdict *exp_dict(struct exp *e)
{
	return &e->d;
}

struct flat *exp_flat(struct exp *e)
{
	return &e->flat;
}
