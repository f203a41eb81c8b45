// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The public side of an expansion: the iterator over a plan's variants
 * and the variants it returns (names, dependencies, parameters).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"

struct hvt_variant {
	char *name, *shortname;
	struct hvt_strv dep;
	const char **keys;
	const char **values;
	size_t nkeys, akeys;
	bool owned;		/* keys/values are heap copies */
	struct vdict *direct;	/* look-ups through this dict (no suffixed keys) */
	struct hvt_plan *plan;
};

struct hvt_plan_iter {
	struct hvt_plan *p;
	struct exp *e;
	struct hvt_variant v;
	struct hvt_err err;
	size_t count;
};

struct hvt_plan_iter *hvt_plan_iter_new(struct hvt_plan *plan)
{
	struct hvt_plan_iter *it = hvt_zalloc(sizeof(*it));

	it->p = plan;
	it->e = exp_new_root(plan);
	return it;
}

static void variant_fill(struct hvt_plan_iter *it)
{
	struct hvt_variant *v = &it->v;
	struct vdict *d = exp_dict(it->e);
	struct flat *fl = exp_flat(it->e);

	free(v->name);
	free(v->shortname);
	v->name = hvt_strdup(d->name.p);
	v->shortname = hvt_strdup(d->shortname.p);
	hvt_strv_release(&v->dep);
	for (size_t i = 0; i < d->dep.n; i++)
		hvt_strv_push(&v->dep, d->dep.v[i]);
	vdict_flatten(d, it->p, fl);
	v->direct = d->nsuffixed ? NULL : d;
	v->plan = it->p;
	v->nkeys = 0;
	for (size_t i = 0; i < fl->n; i++) {
		if (!fl->live[i])
			continue;
		if (v->nkeys == v->akeys) {
			v->akeys = v->akeys ? v->akeys * 2 : 64;
			v->keys = hvt_realloc(v->keys, v->akeys * sizeof(*v->keys));
			v->values = hvt_realloc(v->values, v->akeys * sizeof(*v->values));
		}
		v->keys[v->nkeys] = fl->k[i];
		v->values[v->nkeys] = fl->v[i];
		v->nkeys++;
	}
}

int hvt_plan_iter_next(struct hvt_plan_iter *it, const struct hvt_variant **out,
		       struct hvt_err *err)
{
	int rc;

	*out = NULL;
	if (it->p->limit && it->count >= it->p->limit) {
		/* is there one more? */
		exp_set_err(it->e, &it->err);
		rc = exp_next(it->e);
		if (rc == 1)
			return hvt_err_set(err, -E2BIG, "%s: the plan expands to more than %zu"
					   " variants (the limit)", it->p->file, it->p->limit);
		if (rc < 0)
			return hvt_err_set(err, rc, "%s", it->err.msg);
		return 0;
	}
	exp_set_err(it->e, &it->err);
	hvt_err_clear(&it->err);
	rc = exp_next(it->e);
	if (rc < 0) {
		hvt_err_set(err, rc, "%s", it->err.msg);
		return rc;
	}
	if (rc == 0)
		return 0;
	variant_fill(it);
	it->count++;
	*out = &it->v;
	return 1;
}

size_t hvt_plan_iter_count(const struct hvt_plan_iter *it)
{
	return it->count;
}

static void variant_release(struct hvt_variant *v)
{
	free(v->name);
	free(v->shortname);
	hvt_strv_release(&v->dep);
	if (v->owned) {
		for (size_t i = 0; i < v->nkeys; i++) {
			free((char *)v->keys[i]);
			free((char *)v->values[i]);
		}
	}
	free(v->keys);
	free(v->values);
}

void hvt_plan_iter_free(struct hvt_plan_iter *it)
{
	if (!it)
		return;
	exp_free(it->e);
	variant_release(&it->v);
	free(it);
}

const char *hvt_variant_name(const struct hvt_variant *v)
{
	return v->name;
}

const char *hvt_variant_shortname(const struct hvt_variant *v)
{
	return v->shortname;
}

size_t hvt_variant_ndeps(const struct hvt_variant *v)
{
	return v->dep.n;
}

const char *hvt_variant_dep(const struct hvt_variant *v, size_t i)
{
	return i < v->dep.n ? v->dep.v[i] : NULL;
}

size_t hvt_variant_nkeys(const struct hvt_variant *v)
{
	return v->nkeys;
}

const char *hvt_variant_key(const struct hvt_variant *v, size_t i)
{
	return i < v->nkeys ? v->keys[i] : NULL;
}

const char *hvt_variant_value(const struct hvt_variant *v, size_t i)
{
	return i < v->nkeys ? v->values[i] : NULL;
}

const char *hvt_variant_get(const struct hvt_variant *v, const char *key)
{
	if (!strcmp(key, "name"))
		return v->name;
	if (!strcmp(key, "shortname"))
		return v->shortname;
	if (v->direct) {
		int id = strtab_find(&v->plan->strs, key, strlen(key));
		struct entry *e = id >= 0 ? vdict_get(v->direct, id) : NULL;

		return e && !plan_key_reserved(v->plan, id) ? e->v : NULL;
	}
	for (size_t i = 0; i < v->nkeys; i++)
		if (!strcmp(v->keys[i], key))
			return v->values[i];
	return NULL;
}

struct hvt_variant *hvt_variant_dup(const struct hvt_variant *v)
{
	struct hvt_variant *c = hvt_zalloc(sizeof(*c));

	c->name = hvt_strdup(v->name);
	c->shortname = hvt_strdup(v->shortname);
	for (size_t i = 0; i < v->dep.n; i++)
		hvt_strv_push(&c->dep, v->dep.v[i]);
	c->owned = true;
	c->nkeys = c->akeys = v->nkeys;
	c->keys = hvt_malloc((v->nkeys + 1) * sizeof(*c->keys));
	c->values = hvt_malloc((v->nkeys + 1) * sizeof(*c->values));
	for (size_t i = 0; i < v->nkeys; i++) {
		c->keys[i] = hvt_strdup(v->keys[i]);
		c->values[i] = hvt_strdup(v->values[i]);
	}
	return c;
}

void hvt_variant_free(struct hvt_variant *v)
{
	if (!v)
		return;
	variant_release(v);
	free(v);
}
