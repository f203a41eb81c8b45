// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ${...} in values: the small subset of Python expressions that plans use
 * (names, string and integer literals, +, str(), int()), evaluated
 * against the variant's dict as avocado-vt's _substitution() does.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"

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
 * Replace each ${expr} in order; the first expression that cannot be
 * evaluated leaves the rest of the value as it is.
 */
void vdict_substitute(struct vdict *d, struct hvt_plan *p, struct flat *flat,
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
