// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The public side of an expansion: the iterator over a plan's variants
 * and the variants it returns (names, dependencies, parameters). The
 * parameter list of a variant is made when it is first asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"

struct hvt_variant {
	const char *name, *shortname;
	char *const *dep;
	size_t ndep;
	const char **keys;
	const char **values;
	size_t nkeys, akeys;
	bool keys_ready;
	bool owned;		/* a copy: every string is the variant's own */
	struct vdict *dict;	/* where the iterator's variant lives */
	struct hvt_plan *plan;
	struct flat *flat;
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
	if (!plan->broken)
		it->e = exp_new_root(plan);
	return it;
}

/* The parameters of an iterator's variant, as asked for. */
static void fill_keys(struct hvt_variant *v)
{
	struct flat *fl = v->flat;

	if (v->keys_ready)
		return;
	v->nkeys = 0;
	if (!v->dict->nsuffixed) {
		struct vdict *d = v->dict;

		if (d->nlive > v->akeys) {
			v->akeys = d->nlive * 2;
			v->keys = hvt_realloc(v->keys, v->akeys * sizeof(*v->keys));
			v->values = hvt_realloc(v->values, v->akeys * sizeof(*v->values));
		}
		for (size_t i = 0; i < d->n; i++) {
			if (!d->e[i].live)
				continue;
			v->keys[v->nkeys] = v->plan->strs.str[d->e[i].key];
			v->values[v->nkeys++] = d->e[i].v;
		}
		v->keys_ready = true;
		return;
	}
	vdict_flatten(v->dict, v->plan, fl);
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
	v->keys_ready = true;
}

static struct hvt_variant *ready(const struct hvt_variant *v)
{
	/* the key list is a cache: filling it does not change the variant */
	struct hvt_variant *m = (struct hvt_variant *)v;

	if (!m->keys_ready)
		fill_keys(m);
	return m;
}

int hvt_plan_iter_next(struct hvt_plan_iter *it, const struct hvt_variant **out,
		       struct hvt_err *err)
{
	struct hvt_variant *v = &it->v;
	struct vdict *d;
	int rc;

	*out = NULL;
	if (!it->e)
		return plan_err(err, -EINVAL, "%s: the plan had an error", it->p->file);
	exp_set_err(it->e, &it->err);
	hvt_err_clear(&it->err);
	rc = exp_next(it->e);
	if (rc < 0)
		return hvt_err_set(err, rc, "%s", it->err.msg);
	if (rc == 0)
		return 0;
	if (it->p->limit && it->count >= it->p->limit)
		return plan_err(err, -E2BIG, "%s: the plan expands to more than %zu variants (%s)",
				it->p->file, it->p->limit,
				it->p->limit_set ? "the limit" : "the default limit");
	d = exp_dict(it->e);
	v->name = d->name.p;
	v->shortname = d->shortname.p;
	v->dep = d->dep.v;
	v->ndep = d->dep.n;
	v->dict = d;
	v->plan = it->p;
	v->flat = exp_flat(it->e);
	v->keys_ready = false;
	it->count++;
	*out = v;
	return 1;
}

size_t hvt_plan_iter_count(const struct hvt_plan_iter *it)
{
	return it->count;
}

static void variant_release(struct hvt_variant *v)
{
	if (v->owned) {
		free((char *)v->name);
		free((char *)v->shortname);
		for (size_t i = 0; i < v->ndep; i++)
			free(v->dep[i]);
		free((void *)v->dep);
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
	return v->ndep;
}

const char *hvt_variant_dep(const struct hvt_variant *v, size_t i)
{
	return i < v->ndep ? v->dep[i] : NULL;
}

size_t hvt_variant_nkeys(const struct hvt_variant *v)
{
	return ready(v)->nkeys;
}

const char *hvt_variant_key(const struct hvt_variant *v, size_t i)
{
	v = ready(v);
	return i < v->nkeys ? v->keys[i] : NULL;
}

const char *hvt_variant_value(const struct hvt_variant *v, size_t i)
{
	v = ready(v);
	return i < v->nkeys ? v->values[i] : NULL;
}

const char *hvt_variant_get(const struct hvt_variant *v, const char *key)
{
	if (!strcmp(key, "name"))
		return v->name;
	if (!strcmp(key, "shortname"))
		return v->shortname;
	if (!v->keys_ready && !v->dict->nsuffixed) {
		int id = strtab_find(&v->plan->strs, key, strlen(key));
		struct entry *e = id >= 0 ? vdict_get(v->dict, id) : NULL;

		return e && !plan_key_reserved(v->plan, id) ? e->v : NULL;
	}
	v = ready(v);
	for (size_t i = 0; i < v->nkeys; i++)
		if (!strcmp(v->keys[i], key))
			return v->values[i];
	return NULL;
}

struct hvt_variant *hvt_variant_dup(const struct hvt_variant *v)
{
	struct hvt_variant *c = hvt_zalloc(sizeof(*c));
	char **dep = hvt_malloc((v->ndep + 1) * sizeof(*dep));

	v = ready(v);
	c->name = hvt_strdup(v->name);
	c->shortname = hvt_strdup(v->shortname);
	for (size_t i = 0; i < v->ndep; i++)
		dep[i] = hvt_strdup(v->dep[i]);
	c->dep = dep;
	c->ndep = v->ndep;
	c->owned = true;
	c->keys_ready = true;
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
