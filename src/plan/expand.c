// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Streaming expansion of a parsed plan: a depth-first walk of the node
 * tree with an explicit stack, applying filters as avocado-vt's
 * get_dicts() does and building one parameter dict per leaf.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan-int.h"

/* ---- the parameter dict of one variant ---- */

struct entry {
	int key;		/* string id; suffixed keys are "key\x1fsuffix..." */
	bool live;
	char *v;
	size_t len, cap;
};

struct vdict {
	int *slot;		/* key id -> entry index, -1 */
	size_t nslot;
	struct entry *e;
	size_t n, alloc;
	size_t nlive;
	size_t nsuffixed;	/* live entries with a suffixed key */
	struct hvt_buf name, shortname;
	struct hvt_strv dep;
};

#define SUFFIX_SEP '\x1f'

static void vdict_release(struct vdict *d)
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

static void vdict_reset(struct vdict *d)
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

static void vdict_grow_slots(struct vdict *d, size_t n)
{
	if (n <= d->nslot)
		return;
	n = n < 64 ? 64 : n * 2;
	d->slot = hvt_realloc(d->slot, n * sizeof(int));
	for (size_t i = d->nslot; i < n; i++)
		d->slot[i] = -1;
	d->nslot = n;
}

static struct entry *vdict_get(struct vdict *d, int key)
{
	if (key < 0 || (size_t)key >= d->nslot || d->slot[key] < 0)
		return NULL;
	return &d->e[d->slot[key]];
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

/*
 * Facts about a key id, cached per plan: bit 0 known, bit 1 a suffixed
 * key, bits 2-3 a _max (1), _min (2) or _fixed (3) key.
 */
static unsigned key_facts(const struct hvt_plan *cp, int key)
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

/* Set key to v, keeping its place if it exists; returns the entry. */
static struct entry *vdict_set(struct vdict *d, const struct hvt_plan *p, int key,
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

struct flat {
	const char **k;		/* key texts */
	const char **v;
	size_t *vlen;
	bool *live;
	size_t n, alloc;
};

static void flat_release(struct flat *f)
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

/*
 * The live entries of d with suffixed keys merged or dropped. Key texts
 * of renamed keys are interned in the plan's string table.
 */
static void vdict_flatten(struct vdict *d, struct hvt_plan *p, struct flat *out)
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

/* ---- ${...} substitution: a small subset of Python expressions ---- */

struct pyval {
	bool is_int;
	long long i;
	struct hvt_buf s;
};

struct evalctx {
	const char *s;
	size_t pos, len;
	struct vdict *d;
	struct hvt_plan *p;
	struct flat *flat;
};

static void ev_ws(struct evalctx *c)
{
	while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
		c->pos++;
}

static int ev_expr(struct evalctx *c, struct pyval *out);

static void pyval_str(struct pyval *v, const char *s, size_t n)
{
	v->is_int = false;
	v->s.len = 0;
	hvt_buf_add(&v->s, s, n);
}

static int ev_lookup(struct evalctx *c, const char *name, size_t n, struct pyval *out)
{
	struct hvt_plan *p = c->p;
	struct vdict *d = c->d;

	if (n == 4 && !memcmp(name, "name", 4)) {
		pyval_str(out, d->name.p, d->name.len);
		return 0;
	}
	if (n == 9 && !memcmp(name, "shortname", 9)) {
		pyval_str(out, d->shortname.p, d->shortname.len);
		return 0;
	}
	if (n == 3 && !memcmp(name, "dep", 3)) {
		pyval_str(out, "[", 1);
		for (size_t i = 0; i < d->dep.n; i++)
			hvt_buf_addf(&out->s, "%s'%s'", i ? ", " : "", d->dep.v[i]);
		hvt_buf_add(&out->s, "]", 1);
		return 0;
	}
	if (!d->nsuffixed) {
		int id = strtab_find(&p->strs, name, n);
		struct entry *e = id >= 0 ? vdict_get(d, id) : NULL;

		if (!e)
			return -1;
		pyval_str(out, e->v, e->len);
		return 0;
	}
	vdict_flatten(d, p, c->flat);
	for (size_t i = 0; i < c->flat->n; i++) {
		if (c->flat->live[i] && strlen(c->flat->k[i]) == n &&
		    !memcmp(c->flat->k[i], name, n)) {
			pyval_str(out, c->flat->v[i], c->flat->vlen[i]);
			return 0;
		}
	}
	return -1;
}

static int ev_atom(struct evalctx *c, struct pyval *out)
{
	const char *s = c->s;
	size_t start;

	ev_ws(c);
	if (c->pos >= c->len)
		return -1;
	start = c->pos;
	if (s[c->pos] == '"' || s[c->pos] == '\'') {
		char q = s[c->pos++];

		while (c->pos < c->len && s[c->pos] != q && s[c->pos] != '\\')
			c->pos++;
		if (c->pos >= c->len || s[c->pos] != q)
			return -1;
		pyval_str(out, s + start + 1, c->pos - start - 1);
		c->pos++;
		return 0;
	}
	if (s[c->pos] == '(') {
		c->pos++;
		if (ev_expr(c, out))
			return -1;
		ev_ws(c);
		if (c->pos >= c->len || s[c->pos] != ')')
			return -1;
		c->pos++;
		return 0;
	}
	if (isdigit((unsigned char)s[c->pos])) {
		while (c->pos < c->len && isdigit((unsigned char)s[c->pos]))
			c->pos++;
		if (c->pos < c->len && (isalpha((unsigned char)s[c->pos]) || s[c->pos] == '.'))
			return -1;
		out->is_int = true;
		out->i = strtoll(s + start, NULL, 10);
		return 0;
	}
	if (isalpha((unsigned char)s[c->pos]) || s[c->pos] == '_') {
		size_t n;

		while (c->pos < c->len && (isalnum((unsigned char)s[c->pos]) || s[c->pos] == '_'))
			c->pos++;
		n = c->pos - start;
		ev_ws(c);
		if (c->pos < c->len && s[c->pos] == '(' &&
		    ((n == 3 && !memcmp(s + start, "str", 3)) ||
		     (n == 3 && !memcmp(s + start, "int", 3)))) {
			bool to_int = s[start] == 'i';

			c->pos++;
			if (ev_expr(c, out))
				return -1;
			ev_ws(c);
			if (c->pos >= c->len || s[c->pos] != ')')
				return -1;
			c->pos++;
			if (to_int && !out->is_int) {
				char *end;
				long long v;

				hvt_buf_add(&out->s, "", 0);
				errno = 0;
				v = strtoll(out->s.p, &end, 10);
				while (*end == ' ' || *end == '\t' || *end == '\n')
					end++;
				if (errno || end == out->s.p || *end)
					return -1;
				out->is_int = true;
				out->i = v;
			} else if (!to_int && out->is_int) {
				out->is_int = false;
				out->s.len = 0;
				hvt_buf_addf(&out->s, "%lld", out->i);
			}
			return 0;
		}
		return ev_lookup(c, s + start, n, out);
	}
	return -1;
}

static int ev_expr(struct evalctx *c, struct pyval *out)
{
	struct pyval rhs;
	int rc = 0;

	memset(&rhs, 0, sizeof(rhs));
	if (ev_atom(c, out))
		return -1;
	for (;;) {
		ev_ws(c);
		if (c->pos >= c->len || c->s[c->pos] != '+')
			break;
		c->pos++;
		if (ev_atom(c, &rhs)) {
			rc = -1;
			break;
		}
		if (out->is_int != rhs.is_int) {
			rc = -1;	/* TypeError */
			break;
		}
		if (out->is_int)
			out->i += rhs.i;
		else
			hvt_buf_add(&out->s, rhs.s.p ? rhs.s.p : "", rhs.s.len);
	}
	hvt_buf_release(&rhs.s);
	return rc;
}

/*
 * avocado-vt's _substitution(): replace each ${expr} in order; the first
 * expression that cannot be evaluated leaves the rest of the value as it
 * is.
 */
static void substitute(struct vdict *d, struct hvt_plan *p, struct flat *flat,
		       const char *v, size_t len, struct hvt_buf *out)
{
	size_t start = 0;
	struct pyval val;

	out->len = 0;
	hvt_buf_add(out, "", 0);
	memset(&val, 0, sizeof(val));
	for (;;) {
		const char *m = NULL, *close;
		struct evalctx c;

		for (size_t i = start; i + 2 < len; i++) {
			if (v[i] == '$' && v[i + 1] == '{') {
				m = v + i;
				break;
			}
		}
		if (!m)
			break;
		close = memchr(m + 3, '}', len - (size_t)(m + 3 - v));
		if (!close)
			break;
		memset(&c, 0, sizeof(c));
		c.s = m + 2;
		c.len = (size_t)(close - m - 2);
		c.d = d;
		c.p = p;
		c.flat = flat;
		if (ev_expr(&c, &val))
			break;
		ev_ws(&c);
		if (c.pos != c.len)
			break;
		hvt_buf_add(out, v + start, (size_t)(m - v) - start);
		if (val.is_int)
			hvt_buf_addf(out, "%lld", val.i);
		else
			hvt_buf_add(out, val.s.p ? val.s.p : "", val.s.len);
		start = (size_t)(close + 1 - v);
	}
	hvt_buf_add(out, v + start, len - start);
	hvt_buf_release(&val.s);
}

/* ---- _min / _max / _fixed ---- */

static int to_number(const char *s, bool units, double *out)
{
	static const char units_s[] = "BbKkMmGgTt";
	size_t n = strlen(s);
	char *copy, *end;
	double mult = 1;
	int rc = 0;

	if (!units) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		while (*end && isspace((unsigned char)*end))
			end++;
		if (end == s || *end)
			return -1;
		if (errno == ERANGE) {
			/* beyond 64 bits: avocado-vt's integers still compare */
			*out = strtod(s, NULL);
			return 0;
		}
		if (errno)
			return -1;
		*out = (double)v;
		return 0;
	}
	if (!n)
		return -1;
	copy = hvt_strdup(s);
	if (!strchr(units_s, copy[n - 1])) {
		mult = 1024.0 * 1024;	/* default suffix M */
	} else {
		switch (copy[n - 1] | 0x20) {
		case 'b': mult = 1; break;
		case 'k': mult = 1024; break;
		case 'm': mult = 1024.0 * 1024; break;
		case 'g': mult = 1024.0 * 1024 * 1024; break;
		case 't': mult = 1024.0 * 1024 * 1024 * 1024; break;
		}
		copy[n - 1] = '\0';
	}
	*out = strtod(copy, &end);
	while (*end && isspace((unsigned char)*end))
		end++;
	if (end == copy || *end) {
		rc = -1;
	} else {
		/*
		 * Whole units, as an integer conversion truncates them; past
		 * 2^63 a double holds no fraction and no long long the value.
		 */
		double v = *out * mult;

		if (!isfinite(v))
			rc = -1; /* "inf", "nan" or an overflow: not a number to compare */
		else if (v > -9e18 && v < 9e18)
			v = (double)(long long)v;
		*out = v;
	}
	free(copy);
	return rc;
}

static int compare_string(const char *a, const char *b, int *cmp)
{
	static const char units[] = "BbKkMmGgTt";
	bool u = strpbrk(a, units) || strpbrk(b, units);
	double x, y;

	if (to_number(a, u, &x) || to_number(b, u, &y))
		return -1;
	*cmp = (x > y) - (x < y);
	return 0;
}

static int postfix_parse(struct vdict *d, struct hvt_plan *p, struct hvt_err *err)
{
	static const char *const sfx[] = { "_max", "_min", "_fixed" };
	struct { int key; size_t from; } *tmp = NULL;
	size_t ntmp = 0, n = d->n;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct entry *e = &d->e[i];
		const char *k;
		int which = -1, tk;
		struct entry *base;

		if (!e->live)
			continue;
		which = (int)(key_facts(p, e->key) >> 2) - 1;
		if (which < 0)
			continue;
		k = p->strs.str[e->key];
		tk = strtab_intern(&p->strs, k, (size_t)(strstr(k, sfx[which]) - k));
		if (plan_key_reserved(p, tk))
			continue;
		base = vdict_get(d, tk);
		if (which < 2 && base) {
			int cmp;

			if (compare_string(base->v, e->v, &cmp)) {
				rc = hvt_err_set(err, -EINVAL, "%s: variant '%s': cannot compare '%s = %s'"
						 " with '%s = %s' as numbers", p->file, d->name.p,
						 p->strs.str[tk], base->v, k, e->v);
				goto out;
			}
			if (which == 0 ? cmp <= 0 : cmp >= 0)
				continue;
		}
		tmp = hvt_realloc(tmp, (ntmp + 1) * sizeof(*tmp));
		for (size_t j = 0; j < ntmp; j++) {
			if (tmp[j].key == tk) {
				tmp[j].from = i;
				goto next;
			}
		}
		tmp[ntmp].key = tk;
		tmp[ntmp].from = i;
		ntmp++;
next:;
	}
	for (size_t j = 0; j < ntmp; j++) {
		char *v = hvt_strndup(d->e[tmp[j].from].v, d->e[tmp[j].from].len);

		vdict_set(d, p, tmp[j].key, v, strlen(v));
		free(v);
	}
out:
	free(tmp);
	return rc;
}

/* ---- filters ---- */

static inline bool label_eq(const struct label *ctx, const struct label *f)
{
	return f->var ? ctx->lng == f->lng : ctx->name == f->name;
}

static bool in_ctx(const struct label *ctx, size_t n, const struct label *f)
{
	for (size_t i = 0; i < n; i++)
		if (label_eq(&ctx[i], f))
			return true;
	return false;
}

static bool bsearch_int(const int *v, size_t n, int x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool in_labels(const struct labelset *ls, const struct label *f)
{
	if (!ls)
		return false;
	return f->var ? bsearch_int(ls->longs, ls->nlongs, f->lng) :
			bsearch_int(ls->names, ls->nnames, f->name);
}

static size_t match_adjacent(const struct fblock *b, const struct label *ctx, size_t n)
{
	size_t k = 0, i;

	if (!b->n || !in_ctx(ctx, n, &b->l[0]))
		return 0;
	if (b->n == 1)
		return 1;
	if (!in_ctx(ctx, n, &b->l[1]))
		return label_eq(&ctx[n - 1], &b->l[0]);
	for (i = 0; i < n; i++)
		if (label_eq(&ctx[i], &b->l[0]))
			break;
	while (i < n) {
		if (k > 0 && !label_eq(&ctx[i], &b->l[k])) {
			i -= k - 1;
			k = 0;
		}
		if (label_eq(&ctx[i], &b->l[k])) {
			k++;
			if (k >= b->n)
				break;
			if (!in_ctx(ctx, n, &b->l[k]))
				break;
		}
		i++;
	}
	return k;
}

static bool filter_match(const struct filter *f, const struct label *ctx, size_t n)
{
	for (size_t w = 0; w < f->n; w++) {
		size_t b;

		for (b = 0; b < f->w[w].n; b++)
			if (match_adjacent(&f->w[w].b[b], ctx, n) != f->w[w].b[b].n)
				break;
		if (b == f->w[w].n)
			return true;
	}
	return false;
}

static bool filter_might_match(const struct filter *f, const struct label *ctx, size_t n,
			       const struct labelset *ls)
{
	for (size_t w = 0; w < f->n; w++) {
		size_t b;

		for (b = 0; b < f->w[w].n; b++) {
			const struct fblock *bl = &f->w[w].b[b];
			size_t m = match_adjacent(bl, ctx, n);
			bool ok = true;

			for (size_t k = m; k < bl->n && ok; k++)
				ok = in_labels(ls, &bl->l[k]);
			if (!ok)
				break;
		}
		if (b == f->w[w].n)
			return true;
	}
	return false;
}

/* ---- the walk ---- */

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

static void exp_free(struct exp *e);

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

static void apply_op(struct exp *e, const struct item *it)
{
	struct hvt_plan *p = e->p;
	struct vdict *d = &e->d;
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
		substitute(d, p, &e->flat, it->value, it->vlen, &e->tmp2);
		v = e->tmp2.p;
		vl = e->tmp2.len;
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
			ks = key_string(p, x->key, &e->tmp);
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
	for (size_t i = 0; i < f->ncontent; i++)
		for (size_t k = 0; k < f->content[i].n; k++)
			apply_op(e, f->content[i].items[k]);
	return postfix_parse(d, p, e->err);
}

static void vdict_copy(struct vdict *dst, const struct vdict *src, const struct hvt_plan *p)
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

/* dst = a updated with b */
static void vdict_merge(struct vdict *dst, const struct vdict *a, const struct vdict *b,
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

static int exp_next(struct exp *e);

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

/* 1: a dict in e->d, 0: done, <0: error in e->err */
static int exp_next(struct exp *e)
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

static void exp_free(struct exp *e)
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

/* ---- public iterator and variants ---- */

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
	it->e = exp_new(plan, NULL, plan->root, NULL, 0, NULL);
	return it;
}

static void variant_fill(struct hvt_plan_iter *it)
{
	struct hvt_variant *v = &it->v;
	struct exp *e = it->e;
	struct flat *fl = &e->flat;

	free(v->name);
	free(v->shortname);
	v->name = hvt_strdup(e->d.name.p);
	v->shortname = hvt_strdup(e->d.shortname.p);
	hvt_strv_release(&v->dep);
	for (size_t i = 0; i < e->d.dep.n; i++)
		hvt_strv_push(&v->dep, e->d.dep.v[i]);
	vdict_flatten(&e->d, it->p, fl);
	v->direct = e->d.nsuffixed ? NULL : &e->d;
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
		it->e->err = &it->err;
		rc = exp_next(it->e);
		if (rc == 1)
			return hvt_err_set(err, -E2BIG, "%s: the plan expands to more than %zu"
					   " variants (the limit)", it->p->file, it->p->limit);
		if (rc < 0)
			return hvt_err_set(err, rc, "%s", it->err.msg);
		return 0;
	}
	it->e->err = &it->err;
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
