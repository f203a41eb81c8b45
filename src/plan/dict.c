// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The parameter dict of one variant: entries in Python dict order, the
 * plan's operators applied to them (logged, so that a walk can undo them
 * back to what the next variant shares), suffixed keys flattened as
 * avocado-vt does, and the copies and merges that joins make.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"

/* ---- values ---- */

struct vchunk {
	struct vchunk *prev;
	size_t size, used;
	char data[];
};

static char *vstack_alloc(struct vstack *s, size_t n)
{
	struct vchunk *c = s->top;

	if (!c || c->size - c->used < n) {
		if (s->spare && s->spare->size >= n) {
			c = s->spare;
			s->spare = c->prev;
		} else {
			size_t size = n > 65536 ? n : 65536;

			c = hvt_malloc(sizeof(*c) + size);
			c->size = size;
		}
		c->used = 0;
		c->prev = s->top;
		s->top = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

static void vstack_reset(struct vstack *s, const struct vmark *m)
{
	while (s->top && s->top != m->c) {
		struct vchunk *c = s->top;

		s->top = c->prev;
		c->prev = s->spare;
		s->spare = c;
	}
	if (s->top)
		s->top->used = m->used;
}

static void vstack_release(struct vstack *s)
{
	struct vmark none = { NULL, 0 };

	vstack_reset(s, &none);
	while (s->spare) {
		struct vchunk *c = s->spare;

		s->spare = c->prev;
		free(c);
	}
}

const char *vdict_keep(struct vdict *d, const char *s, size_t len)
{
	char *v = vstack_alloc(&d->vals, len + 1);

	memcpy(v, s, len);
	v[len] = '\0';
	return v;
}

/* a + b, with d's values */
static const char *concat(struct vdict *d, const char *a, size_t alen, const char *b,
			  size_t blen)
{
	char *v = vstack_alloc(&d->vals, alen + blen + 1);

	memcpy(v, a, alen);
	memcpy(v + alen, b, blen);
	v[alen + blen] = '\0';
	return v;
}

/* ---- entries and their log ---- */

enum { U_CREATE, U_VALUE, U_KILL, U_REKEY };

struct undo {
	const char *v;
	uint32_t len;
	uint32_t idx;
	int key;
	uint8_t what;
};

void vdict_release(struct vdict *d)
{
	free(d->e);
	free(d->slot);
	free(d->post);
	free(d->log);
	vstack_release(&d->vals);
	hvt_buf_release(&d->name);
	hvt_buf_release(&d->shortname);
	hvt_strv_release(&d->dep);
	memset(d, 0, sizeof(*d));
}

void vdict_reset(struct vdict *d)
{
	struct vmark none = { NULL, 0 };

	for (size_t i = 0; i < d->n; i++)
		if ((size_t)d->e[i].key < d->nslot)
			d->slot[d->e[i].key] = -1;
	d->n = 0;
	d->nlive = 0;
	d->nsuffixed = 0;
	d->npost = 0;
	d->nlog = 0;
	vstack_reset(&d->vals, &none);
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

unsigned key_facts(const struct hvt_plan *cp, int key)
{
	static const char *const post[] = { "_max", "_min", "_fixed" };
	struct hvt_plan *p = (struct hvt_plan *)cp;	/* a cache, not a change */
	const char *k;
	unsigned f = 1;
	size_t kl;

	if ((size_t)key >= p->nsfx) {
		size_t n = p->strs.n > (size_t)key ? p->strs.n * 2 : (size_t)key * 2 + 1;

		p->sfx = hvt_realloc(p->sfx, n);
		memset(p->sfx + p->nsfx, 0, n - p->nsfx);
		p->nsfx = n;
	}
	if (p->sfx[key])
		return p->sfx[key];
	k = p->strs.str[key];
	kl = p->strs.len[key];
	if (memchr(k, SUFFIX_SEP, kl)) {
		f |= 2;
	} else {
		for (unsigned i = 0; i < 3; i++) {
			size_t sl = strlen(post[i]);

			if (kl >= sl && !memcmp(k + kl - sl, post[i], sl)) {
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

static void log_push(struct vdict *d, uint8_t what, uint32_t idx, int key, const char *v,
		     uint32_t len)
{
	struct undo *u;

	if (!d->undoable)
		return;
	if (d->nlog == d->alog) {
		d->alog = d->alog ? d->alog * 2 : 256;
		d->log = hvt_realloc(d->log, d->alog * sizeof(*d->log));
	}
	u = &d->log[d->nlog++];
	u->what = what;
	u->idx = idx;
	u->key = key;
	u->v = v;
	u->len = len;
}

static void d_create(struct vdict *d, const struct hvt_plan *p, int key, const char *v,
		     size_t len)
{
	unsigned facts = key_facts(p, key);
	struct entry *e;

	vdict_grow_slots(d, (size_t)key + 1);
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? d->alloc * 2 : 256;
		d->e = hvt_realloc(d->e, d->alloc * sizeof(*d->e));
	}
	e = &d->e[d->n];
	e->v = v;
	e->len = (uint32_t)len;
	e->key = key;
	e->live = true;
	d->slot[key] = (int)d->n;
	d->nlive++;
	if (facts & 2)
		d->nsuffixed++;
	if (facts >> 2) {
		if (d->npost == d->apost) {
			d->apost = d->apost ? d->apost * 2 : 16;
			d->post = hvt_realloc(d->post, d->apost * sizeof(*d->post));
		}
		d->post[d->npost++] = (uint32_t)d->n;
	}
	log_push(d, U_CREATE, (uint32_t)d->n, key, NULL, 0);
	d->n++;
}

static void d_value(struct vdict *d, struct entry *e, const char *v, size_t len)
{
	log_push(d, U_VALUE, (uint32_t)(e - d->e), e->key, e->v, e->len);
	e->v = v;
	e->len = (uint32_t)len;
}

static void d_kill(struct vdict *d, const struct hvt_plan *p, struct entry *e)
{
	log_push(d, U_KILL, (uint32_t)(e - d->e), e->key, NULL, 0);
	d->slot[e->key] = -1;
	e->live = false;
	d->nlive--;
	if (key_is_suffixed(p, e->key))
		d->nsuffixed--;
}

static void d_rekey(struct vdict *d, const struct hvt_plan *p, struct entry *e, int key)
{
	log_push(d, U_REKEY, (uint32_t)(e - d->e), e->key, NULL, 0);
	vdict_grow_slots(d, (size_t)key + 1);
	if (key_is_suffixed(p, e->key))
		d->nsuffixed--;
	d->slot[e->key] = -1;
	e->key = key;
	d->slot[key] = (int)(e - d->e);
	if (key_is_suffixed(p, key))
		d->nsuffixed++;
}

void vdict_mark(const struct vdict *d, struct vdict_mark *m)
{
	m->nlog = d->nlog;
	m->vals.c = d->vals.top;
	m->vals.used = d->vals.top ? d->vals.top->used : 0;
}

void vdict_undo(struct vdict *d, const struct hvt_plan *p, const struct vdict_mark *m)
{
	while (d->nlog > m->nlog) {
		const struct undo *u = &d->log[--d->nlog];
		struct entry *e = &d->e[u->idx];

		switch (u->what) {
		case U_CREATE:
			d->slot[e->key] = -1;
			d->nlive--;
			if (key_is_suffixed(p, e->key))
				d->nsuffixed--;
			if (d->npost && d->post[d->npost - 1] == u->idx)
				d->npost--;
			d->n--;
			break;
		case U_VALUE:
			e->v = u->v;
			e->len = u->len;
			break;
		case U_KILL:
			e->live = true;
			d->slot[e->key] = (int)u->idx;
			d->nlive++;
			if (key_is_suffixed(p, e->key))
				d->nsuffixed++;
			break;
		case U_REKEY:
			if (key_is_suffixed(p, e->key))
				d->nsuffixed--;
			d->slot[e->key] = -1;
			e->key = u->key;
			d->slot[e->key] = (int)u->idx;
			if (key_is_suffixed(p, e->key))
				d->nsuffixed++;
			break;
		}
	}
	vstack_reset(&d->vals, &m->vals);
}

void vdict_set(struct vdict *d, const struct hvt_plan *p, int key, const char *v, size_t len)
{
	struct entry *e = vdict_get(d, key);

	if (e)
		d_value(d, e, v, len);
	else
		d_create(d, p, key, v, len);
}

/* The key as avocado-vt's regex operators see it: suffixes joined. */
static const char *key_string(const struct hvt_plan *p, int key, struct hvt_buf *tmp)
{
	const char *s = p->strs.str[key];

	if (!memchr(s, SUFFIX_SEP, p->strs.len[key]))
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

static void apply_suffix(struct vdict *d, struct hvt_plan *p, const char *sfx, size_t slen,
			 struct hvt_buf *tmp)
{
	size_t n = d->n;

	for (size_t i = 0; i < n; i++) {
		struct entry *x = &d->e[i], *to;
		int id;

		if (!x->live)
			continue;
		tmp->len = 0;
		hvt_buf_add(tmp, p->strs.str[x->key], p->strs.len[x->key]);
		hvt_buf_add(tmp, (char[]){ SUFFIX_SEP }, 1);
		hvt_buf_add(tmp, sfx, slen);
		id = strtab_intern(&p->strs, tmp->p, tmp->len);
		to = vdict_get(d, id);
		if (to) {
			d_value(d, to, x->v, x->len);
			d_kill(d, p, x);
		} else {
			d_rekey(d, p, x, id);
		}
	}
}

static const uint8_t *skip_refs(const uint8_t *q)
{
	uint32_t n = get_varint(&q);

	for (uint32_t i = 0; i < 3 * n; i++)
		get_varint(&q);
	return q;
}

static bool apply_op(struct vdict *d, struct hvt_plan *p, const uint8_t **pp,
		     struct flat *flat, struct hvt_buf *tmp)
{
	const uint8_t *q = *pp;
	uint8_t f = *q++;
	unsigned kind = f & OPF_KIND;
	int key, rx = -1;
	const char *v;
	const uint8_t *refs;
	size_t vl;
	struct entry *en;

	if (kind == OP_SUFFIX) {
		vl = get_varint(&q);
		*pp = q + vl + 1;
		apply_suffix(d, p, (const char *)q, vl, tmp);
		return false;
	}
	key = (int)get_varint(&q);
	if (kind >= OP_RSET && kind <= OP_DEL)
		rx = (int)get_varint(&q);
	vl = get_varint(&q);
	v = (const char *)q;
	refs = q + vl + 1;
	*pp = f & OPF_DOLLAR ? skip_refs(refs) : refs;
	if (f & OPF_KEY_RESERVED)
		return false;
	if (f & OPF_DOLLAR) {
		vdict_substitute(d, p, flat, v, vl, refs, tmp);
		if (tmp->len != vl || memcmp(tmp->p, v, vl))
			v = vdict_keep(d, tmp->p, tmp->len);
		vl = tmp->len;
	}
	switch (kind) {
	case OP_SET:
		vdict_set(d, p, key, v, vl);
		break;
	case OP_LAZY:
		if (!vdict_get(d, key))
			d_create(d, p, key, v, vl);
		break;
	case OP_APPEND:
	case OP_PREPEND:
		en = vdict_get(d, key);
		if (!en)
			d_create(d, p, key, v, vl);
		else if (kind == OP_APPEND)
			d_value(d, en, concat(d, en->v, en->len, v, vl), en->len + vl);
		else
			d_value(d, en, concat(d, v, vl, en->v, en->len), en->len + vl);
		break;
	default: {
		regex_t *re = p->regexes[rx];

		for (size_t i = 0; i < d->n; i++) {
			struct entry *x = &d->e[i];
			const char *ks;

			if (!x->live || plan_key_reserved(p, x->key))
				continue;
			if (kind == OP_DEL && key_is_suffixed(p, x->key))
				continue;
			ks = key_string(p, x->key, tmp);
			if (regexec(re, ks, 0, NULL, 0))
				continue;
			if (kind == OP_DEL)
				d_kill(d, p, x);
			else if (kind == OP_RSET)
				d_value(d, x, v, vl);
			else if (kind == OP_RAPPEND)
				d_value(d, x, concat(d, x->v, x->len, v, vl), x->len + vl);
			else
				d_value(d, x, concat(d, v, vl, x->v, x->len), x->len + vl);
		}
		break;
	}
	}
	return (f & OPF_RESERVED) != 0;
}

bool vdict_apply_run(struct vdict *d, struct hvt_plan *p, const uint8_t *run,
		     struct flat *flat, struct hvt_buf *tmp)
{
	const uint8_t *q, *end = run_ops(run, &q);
	bool reserved = false;

	while (q < end)
		reserved |= apply_op(d, p, &q, flat, tmp);
	return reserved;
}

/* ---- merges, for joins ---- */

/*
 * dst = src, its values not copied: dst is valid as long as src's values
 * are (not undoable).
 */
static void vdict_copy_ref(struct vdict *dst, const struct vdict *src, const struct hvt_plan *p)
{
	dst->undoable = false;
	vdict_reset(dst);
	hvt_buf_add(&dst->name, src->name.p, src->name.len);
	hvt_buf_add(&dst->shortname, src->shortname.p, src->shortname.len);
	for (size_t i = 0; i < src->dep.n; i++)
		hvt_strv_push(&dst->dep, src->dep.v[i]);
	vdict_grow_slots(dst, src->nslot);
	for (size_t i = 0; i < src->n; i++)
		if (src->e[i].live)
			d_create(dst, p, src->e[i].key, src->e[i].v, src->e[i].len);
}

/*
 * Match the regular expression re (n bytes) at the start of text, for the
 * expressions names make: characters, '.' and balanced groups. 1: it
 * matches *len bytes, 0: it does not, -1: re needs regcomp().
 */
static int prefix_match(const char *re, size_t n, const char *text, size_t *len)
{
	size_t t = 0;
	int depth = 0;

	for (size_t i = 0; i < n; i++) {
		char c = re[i];

		if (strchr("\\^$*+?{}[]|", c))
			return -1;
		if (c == '(') {
			depth++;
			continue;
		}
		if (c == ')') {
			if (!depth--)
				return -1;
			continue;
		}
		if (!text[t] || (c != '.' && c != text[t]))
			return 0;
		t++;
	}
	if (depth)
		return -1;
	*len = t;
	return 1;
}

/* re.sub(r"^" + cp, "", name); NULL if cp is not a regular expression */
static const char *strip_prefix(const char *cp, size_t n, const char *name)
{
	size_t len;
	int m = prefix_match(cp, n, name, &len);
	char *re;
	regex_t rx;
	regmatch_t rm;

	if (m >= 0)
		return m ? name + len : name;
	re = hvt_asprintf("^%.*s", (int)n, cp);
	if (plan_regex_too_costly(re) || regcomp(&rx, re, REG_EXTENDED)) {
		free(re);
		return NULL;
	}
	if (!regexec(&rx, name, 1, &rm, 0))
		name += rm.rm_eo;
	regfree(&rx);
	free(re);
	return name;
}

/*
 * avocado-vt's join_names() for two merged variants: their common prefix up
 * to its last '.', then what follows it in each. Where avocado-vt fails (one
 * name is a prefix of the other, so they have no first difference; a prefix
 * that is not a regular expression), 1 and 2.
 */
static int mk_name(const char *n1, const char *n2, struct hvt_buf *out)
{
	size_t common = 0, cp = 0;
	const char *p1, *p2;

	while (n1[common] && n2[common] && n1[common] == n2[common])
		common++;
	if (!n1[common] || !n2[common])
		return 1;
	for (size_t i = 0; i < common; i++)
		if (n1[i] == '.')
			cp = i;
	out->len = 0;
	if (!cp) {
		hvt_buf_addf(out, "%s.%s", n1, n2);
		return 0;
	}
	p1 = strip_prefix(n1, cp, n1);
	p2 = strip_prefix(n1, cp, n2);
	if (!p1 || !p2)
		return 2;
	hvt_buf_add(out, n1, cp);
	hvt_buf_addf(out, "%s%s", p1, p2);
	return 0;
}

int vdict_merge(struct vdict *dst, const struct vdict *a, const struct vdict *b,
		const struct hvt_plan *p, struct hvt_err *err)
{
	const struct hvt_buf *x = &a->name, *y = &b->name;
	struct hvt_buf n = HVT_BUF_INIT;
	int rc;

	vdict_copy_ref(dst, a, p);
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].live)
			vdict_set(dst, p, b->e[i].key, b->e[i].v, b->e[i].len);
	hvt_strv_release(&dst->dep);
	for (size_t i = 0; i < b->dep.n; i++)
		hvt_strv_push(&dst->dep, b->dep.v[i]);
	rc = mk_name(a->name.p, b->name.p, &n);
	if (!rc) {
		dst->name.len = 0;
		hvt_buf_add(&dst->name, n.p, n.len);
		x = &a->shortname;
		y = &b->shortname;
		rc = mk_name(x->p, y->p, &n);
	}
	if (!rc) {
		dst->shortname.len = 0;
		hvt_buf_add(&dst->shortname, n.p, n.len);
	} else {
		rc = plan_err(err, -EINVAL, "%s: join: cannot name the join of '%s' and '%s': %s"
			      " (avocado-vt fails here too)", p->file, x->p, y->p,
			      rc == 1 ? "one is a prefix of the other"
				      : "their common part is not a regular expression");
	}
	hvt_buf_release(&n);
	return rc;
}
