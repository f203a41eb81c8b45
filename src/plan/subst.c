// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ${...} in values, as avocado-vt's _substitution() does it since 2021:
 * the text between "${" and the next "}" is a key, looked up as it is
 * (keys may hold '-' and '.'; no expression is evaluated). At the first
 * one that is not a key, substitution stops and the rest of the value
 * stays as written. The parser found the references (parse.c).
 */
#include <string.h>

#include "dict.h"

/* The value of key id (its text name, n bytes) in d as avocado-vt's str() shows it. */
static bool lookup(struct vdict *d, struct hvt_plan *p, struct flat *flat, int id,
		   const char *name, size_t n, struct hvt_buf *out)
{
	if (id == p->reserved[0]) {
		buf_put(out, d->name.p, d->name.len);
		return true;
	}
	if (id == p->reserved[2]) {
		buf_put(out, d->shortname.p, d->shortname.len);
		return true;
	}
	if (id == p->reserved[1]) {
		/* a list of strings */
		hvt_buf_add(out, "[", 1);
		for (size_t i = 0; i < d->dep.n; i++)
			hvt_buf_addf(out, "%s'%s'", i ? ", " : "", d->dep.v[i]);
		hvt_buf_add(out, "]", 1);
		return true;
	}
	if (!d->nsuffixed) {
		struct entry *e = vdict_get(d, id);

		if (!e)
			return false;
		buf_put(out, e->v, e->len);
		return true;
	}
	vdict_flatten(d, p, flat);
	for (size_t i = 0; i < flat->n; i++) {
		if (flat->live[i] && !strncmp(flat->k[i], name, n) && !flat->k[i][n]) {
			hvt_buf_add(out, flat->v[i], flat->vlen[i]);
			return true;
		}
	}
	return false;
}

void vdict_substitute(struct vdict *d, struct hvt_plan *p, struct flat *flat,
		      const char *v, size_t len, const uint8_t *refs, struct hvt_buf *out)
{
	uint32_t n = get_varint(&refs);
	size_t pos = 0;

	out->len = 0;
	hvt_buf_add(out, "", 0);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t start = get_varint(&refs), end = get_varint(&refs);
		int key = (int)get_varint(&refs);
		size_t at = out->len;

		buf_put(out, v + pos, start - pos);
		if (!lookup(d, p, flat, key, v + start + 2, end - start - 3, out)) {
			out->len = at;
			out->p[at] = '\0';
			break;
		}
		pos = end;
	}
	buf_put(out, v + pos, len - pos);
}
