// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The parameter dict of one variant: entries in Python dict order, the
 * plan's operators applied to them, suffixed keys flattened as avocado-vt
 * does, and the copies and merges that joins make.
 */
#include <stdlib.h>
#include <string.h>

#include "dict.h"

void vdict_release(struct vdict *d)
{
	for (size_t i = 0; i < d->alloc; i++)
		free(d->e[i].v);
	free(d->e);
	free(d->slot);
	hvt_buf_release(&d->name);
	hvt_buf_release(&d->shortname);
	hvt_strv_release(&d->dep);
	memset(d, 0, sizeof(*d));
}

void vdict_reset(struct vdict *d)
{
	for (size_t i = 0; i < d->n; i++)
		if ((size_t)d->e[i].key < d->nslot)
			d->slot[d->e[i].key] = -1;
	d->n = 0;
	d->nlive = 0;
	d->nsuffixed = 0;
	d->name.len = 0;
	d->shortname.len = 0;
	hvt_buf_add(&d->name, "", 0);
	hvt_buf_add(&d->shortname, "", 0);
	hvt_strv_release(&d->dep);
}

void vdict_grow_slots(struct vdict *d, size_t n)
{
	if (n <= d->nslot)
		return;
	n = n < 64 ? 64 : n * 2;
	d->slot = hvt_realloc(d->slot, n * sizeof(int));
	for (size_t i = d->nslot; i < n; i++)
		d->slot[i] = -1;
	d->nslot = n;
}

static void entry_set(struct entry *e, const char *v, size_t len)
{
	if (len + 1 > e->cap) {
		e->cap = len + 1 < 32 ? 32 : (len + 1) * 2;
		free(e->v);
		e->v = hvt_malloc(e->cap);
	}
	memcpy(e->v, v, len);
	e->v[len] = '\0';
	e->len = len;
}

static void entry_insert(struct entry *e, bool front, const char *v, size_t len)
{
	if (e->len + len + 1 > e->cap) {
		e->cap = (e->len + len + 1) * 2;
		e->v = hvt_realloc(e->v, e->cap);
	}
	if (front) {
		memmove(e->v + len, e->v, e->len);
		memcpy(e->v, v, len);
	} else {
		memcpy(e->v + e->len, v, len);
	}
	e->len += len;
	e->v[e->len] = '\0';
}

unsigned key_facts(const struct hvt_plan *cp, int key)
{
	static const char *const post[] = { "_max", "_min", "_fixed" };
	struct hvt_plan *p = (struct hvt_plan *)cp;	/* a cache, not a change */
	const char *k;
	unsigned f = 1;

	if ((size_t)key >= p->nsfx) {
		size_t n = p->strs.n > (size_t)key ? p->strs.n * 2 : (size_t)key * 2 + 1;

		p->sfx = hvt_realloc(p->sfx, n);
		memset(p->sfx + p->nsfx, 0, n - p->nsfx);
		p->nsfx = n;
	}
	if (p->sfx[key])
		return p->sfx[key];
	k = p->strs.str[key];
	if (strchr(k, SUFFIX_SEP)) {
		f |= 2;
	} else {
		size_t kl = strlen(k);

		for (unsigned i = 0; i < 3; i++) {
			size_t sl = strlen(post[i]);

			if (kl >= sl && !strcmp(k + kl - sl, post[i])) {
				f |= (i + 1) << 2;
				break;
			}
		}
	}
	p->sfx[key] = (uint8_t)f;
	return f;
}

static bool key_is_suffixed(const struct hvt_plan *p, int key)
{
	return key_facts(p, key) & 2;
}

struct entry *vdict_set(struct vdict *d, const struct hvt_plan *p, int key,
			const char *v, size_t len)
{
	struct entry *e = vdict_get(d, key);

	if (!e) {
		vdict_grow_slots(d, (size_t)key + 1);
		if (d->n == d->alloc) {
			size_t na = d->alloc ? d->alloc * 2 : 64;

			d->e = hvt_realloc(d->e, na * sizeof(*d->e));
			memset(d->e + d->alloc, 0, (na - d->alloc) * sizeof(*d->e));
			d->alloc = na;
		}
		e = &d->e[d->n];
		d->slot[key] = (int)d->n++;
		e->key = key;
		e->live = true;
		d->nlive++;
		if (key_is_suffixed(p, key))
			d->nsuffixed++;
	}
	entry_set(e, v, len);
	return e;
}

static void vdict_del(struct vdict *d, const struct hvt_plan *p, struct entry *e)
{
	d->slot[e->key] = -1;
	e->live = false;
	d->nlive--;
	if (key_is_suffixed(p, e->key))
		d->nsuffixed--;
}

/* The key as avocado-vt's regex operators see it: suffixes joined. */
static const char *key_string(const struct hvt_plan *p, int key, struct hvt_buf *tmp)
{
	const char *s = p->strs.str[key];

	if (!strchr(s, SUFFIX_SEP))
		return s;
	tmp->len = 0;
	for (; *s; s++)
		if (*s != SUFFIX_SEP)
			hvt_buf_add(tmp, s, 1);
	hvt_buf_add(tmp, "", 0);
	return tmp->p;
}

/* ---- flattening suffixed keys (avocado-vt's _drop_suffixes) ---- */

void flat_release(struct flat *f)
{
	free(f->k);
	free(f->v);
	free(f->vlen);
	free(f->live);
	memset(f, 0, sizeof(*f));
}

static void flat_push(struct flat *f, const char *k, const char *v, size_t vlen)
{
	if (f->n == f->alloc) {
		f->alloc = f->alloc ? f->alloc * 2 : 64;
		f->k = hvt_realloc(f->k, f->alloc * sizeof(*f->k));
		f->v = hvt_realloc(f->v, f->alloc * sizeof(*f->v));
		f->vlen = hvt_realloc(f->vlen, f->alloc * sizeof(*f->vlen));
		f->live = hvt_realloc(f->live, f->alloc * sizeof(*f->live));
	}
	f->k[f->n] = k;
	f->v[f->n] = v;
	f->vlen[f->n] = vlen;
	f->live[f->n] = true;
	f->n++;
}

static ssize_t flat_find(const struct flat *f, const char *k)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->live[i] && !strcmp(f->k[i], k))
			return (ssize_t)i;
	return -1;
}

static size_t base_len(const char *k)
{
	const char *sep = strchr(k, SUFFIX_SEP);

	return sep ? (size_t)(sep - k) : strlen(k);
}

void vdict_flatten(struct vdict *d, struct hvt_plan *p, struct flat *out)
{
	out->n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->e[i].live)
			flat_push(out, p->strs.str[d->e[i].key], d->e[i].v, d->e[i].len);
	if (!d->nsuffixed)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct entry *e = &d->e[i];
		const char *k = p->strs.str[e->key];
		size_t bl = base_len(k);
		bool drop_all = true;
		struct entry *gen;
		ssize_t at;
		int gid, nk;

		if (!e->live || !k[bl])
			continue;
		gid = strtab_find(&p->strs, k, bl);
		gen = gid >= 0 ? vdict_get(d, gid) : NULL;
		at = flat_find(out, k);
		if (gen && gen->len == e->len && !memcmp(gen->v, e->v, e->len)) {
			if (at >= 0)
				out->live[at] = false;
			continue;
		}
		for (size_t j = 0; j < d->n && drop_all; j++) {
			const char *kj;

			if (!d->e[j].live)
				continue;
			kj = p->strs.str[d->e[j].key];
			if (base_len(kj) == bl && !memcmp(kj, k, bl) &&
			    (d->e[j].len != e->len || memcmp(d->e[j].v, e->v, e->len)))
				drop_all = false;
		}
		if (drop_all) {
			nk = strtab_intern(&p->strs, k, bl);
		} else {
			/* key + suffixes in reverse order */
			struct hvt_buf b = HVT_BUF_INIT;
			const char *end = k + strlen(k);

			hvt_buf_add(&b, k, bl);
			while (end > k + bl) {
				const char *s = end - 1;

				while (*s != SUFFIX_SEP)
					s--;
				hvt_buf_add(&b, s + 1, (size_t)(end - s - 1));
				end = s;
			}
			nk = strtab_intern(&p->strs, b.p, b.len);
			hvt_buf_release(&b);
		}
		if (at < 0)
			continue;
		{
			const char *v = out->v[at];
			size_t vl = out->vlen[at];
			ssize_t to;

			out->live[at] = false;
			to = flat_find(out, p->strs.str[nk]);
			if (to >= 0) {
				out->v[to] = v;
				out->vlen[to] = vl;
			} else {
				flat_push(out, p->strs.str[nk], v, vl);
			}
		}
	}
}

/* ---- operators ---- */

static void apply_op(struct vdict *d, struct hvt_plan *p, const struct item *it,
		     struct flat *flat, struct hvt_buf *tmp, struct hvt_buf *tmp2)
{
	const char *v = it->value;
	size_t vl = it->vlen;
	struct entry *en;

	if (it->kind == IT_SUFFIX) {
		size_t n = d->n;

		for (size_t i = 0; i < n; i++) {
			struct entry *x = &d->e[i];
			char *nk;
			int id;
			struct entry *to;

			if (!x->live)
				continue;
			nk = hvt_asprintf("%s%c%s", p->strs.str[x->key], SUFFIX_SEP, it->suffix);
			id = strtab_intern(&p->strs, nk, strlen(nk));
			free(nk);
			to = vdict_get(d, id);
			if (to) {
				entry_set(to, d->e[i].v, d->e[i].len);
				vdict_del(d, p, &d->e[i]);
				continue;
			}
			vdict_grow_slots(d, (size_t)id + 1);
			x = &d->e[i];
			if (key_is_suffixed(p, x->key))
				d->nsuffixed--;
			d->slot[x->key] = -1;
			x->key = id;
			d->slot[id] = (int)i;
			d->nsuffixed++;
		}
		return;
	}
	if (it->op != OP_DEL && it->dollar) {
		vdict_substitute(d, p, flat, it->value, it->vlen, tmp2);
		v = tmp2->p;
		vl = tmp2->len;
	}
	switch (it->op) {
	case OP_SET:
		if (!plan_key_reserved(p, it->key))
			vdict_set(d, p, it->key, v, vl);
		break;
	case OP_LAZY:
		if (!plan_key_reserved(p, it->key) && !vdict_get(d, it->key))
			vdict_set(d, p, it->key, v, vl);
		break;
	case OP_APPEND:
	case OP_PREPEND:
		if (plan_key_reserved(p, it->key))
			break;
		en = vdict_get(d, it->key);
		if (!en)
			vdict_set(d, p, it->key, v, vl);
		else
			entry_insert(en, it->op == OP_PREPEND, v, vl);
		break;
	case OP_RSET:
	case OP_RAPPEND:
	case OP_RPREPEND:
	case OP_DEL:
		for (size_t i = 0; i < d->n; i++) {
			struct entry *x = &d->e[i];
			const char *ks;

			if (!x->live || plan_key_reserved(p, x->key))
				continue;
			if (it->op == OP_DEL && key_is_suffixed(p, x->key))
				continue;
			ks = key_string(p, x->key, tmp);
			if (regexec(it->re, ks, 0, NULL, 0))
				continue;
			if (it->op == OP_DEL)
				vdict_del(d, p, x);
			else if (it->op == OP_RSET)
				entry_set(x, v, vl);
			else
				entry_insert(x, it->op == OP_RPREPEND, v, vl);
		}
		break;
	}
}

void vdict_apply(struct vdict *d, struct hvt_plan *p, const struct span *v, size_t n,
		 struct flat *flat, struct hvt_buf *tmp, struct hvt_buf *tmp2)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < v[i].n; k++)
			apply_op(d, p, v[i].items[k], flat, tmp, tmp2);
}

/* ---- copies and merges, for joins ---- */

void vdict_copy(struct vdict *dst, const struct vdict *src, const struct hvt_plan *p)
{
	vdict_reset(dst);
	hvt_buf_add(&dst->name, src->name.p, src->name.len);
	hvt_buf_add(&dst->shortname, src->shortname.p, src->shortname.len);
	for (size_t i = 0; i < src->dep.n; i++)
		hvt_strv_push(&dst->dep, src->dep.v[i]);
	vdict_grow_slots(dst, src->nslot);
	for (size_t i = 0; i < src->n; i++)
		if (src->e[i].live)
			vdict_set(dst, p, src->e[i].key, src->e[i].v, src->e[i].len);
}

/* avocado-vt's mk_name() for two merged variants. */
static void mk_name(const char *n1, const char *n2, struct hvt_buf *out)
{
	size_t common = 0, cp = 0;
	const char *p1 = n1, *p2 = n2;
	char *cps, *re;
	regex_t rx;

	while (n1[common] && n2[common] && n1[common] == n2[common])
		common++;
	for (size_t i = 0; i < common; i++)
		if (n1[i] == '.')
			cp = i;
	cps = hvt_strndup(n1, cp);
	re = hvt_asprintf("^%s", cps);
	if (cp && !plan_regex_too_costly(re) && !regcomp(&rx, re, REG_EXTENDED)) {
		regmatch_t m;

		if (!regexec(&rx, n1, 1, &m, 0))
			p1 = n1 + m.rm_eo;
		if (!regexec(&rx, n2, 1, &m, 0))
			p2 = n2 + m.rm_eo;
		regfree(&rx);
	}
	out->len = 0;
	if (cp)
		hvt_buf_addf(out, "%s%s%s", cps, p1, p2);
	else
		hvt_buf_addf(out, "%s.%s", p1, p2);
	free(re);
	free(cps);
}

void vdict_merge(struct vdict *dst, const struct vdict *a, const struct vdict *b,
		 const struct hvt_plan *p)
{
	struct hvt_buf n = HVT_BUF_INIT;

	vdict_copy(dst, a, p);
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].live)
			vdict_set(dst, p, b->e[i].key, b->e[i].v, b->e[i].len);
	hvt_strv_release(&dst->dep);
	for (size_t i = 0; i < b->dep.n; i++)
		hvt_strv_push(&dst->dep, b->dep.v[i]);
	mk_name(a->name.p, b->name.p, &n);
	dst->name.len = 0;
	hvt_buf_add(&dst->name, n.p, n.len);
	mk_name(a->shortname.p, b->shortname.p, &n);
	dst->shortname.len = 0;
	hvt_buf_add(&dst->shortname, n.p, n.len);
	hvt_buf_release(&n);
}
