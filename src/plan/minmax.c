// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KEY_max, KEY_min and KEY_fixed (avocado-vt's postfix_parse()): applied
 * to a finished variant, comparing values as numbers or sizes with units.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"

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

/* The key KEY_max (_min, _fixed) bounds, as Python's key.split("_max")[0]. */
static int base_key(struct hvt_plan *p, int key, const char *sfx)
{
	const char *k = p->strs.str[key];

	if ((size_t)key >= p->npbase) {
		size_t n = (size_t)key * 2 + 16;

		p->pbase = hvt_realloc(p->pbase, n * sizeof(*p->pbase));
		for (size_t i = p->npbase; i < n; i++)
			p->pbase[i] = -1;
		p->npbase = n;
	}
	if (p->pbase[key] < 0)
		p->pbase[key] = strtab_intern(&p->strs, k, (size_t)(strstr(k, sfx) - k));
	return p->pbase[key];
}

int vdict_minmax(struct vdict *d, struct hvt_plan *p, struct hvt_err *err)
{
	static const char *const sfx[] = { "_max", "_min", "_fixed" };
	struct { int key; size_t from; } *tmp = NULL;
	size_t ntmp = 0, atmp = 0;
	int rc = 0;

	/* the entries whose keys end in _max, _min or _fixed, in dict order */
	for (size_t pi = 0; pi < d->npost; pi++) {
		size_t i = d->post[pi];
		struct entry *e = &d->e[i];
		const char *k;
		int which, tk;
		struct entry *base;

		if (!e->live)
			continue;
		which = (int)(key_facts(p, e->key) >> 2) - 1;
		if (which < 0)
			continue;
		k = p->strs.str[e->key];
		tk = base_key(p, e->key, sfx[which]);
		if (plan_key_reserved(p, tk))
			continue;
		base = vdict_get(d, tk);
		if (which < 2 && base) {
			int cmp;

			if (compare_string(base->v, e->v, &cmp)) {
				rc = plan_err(err, -EINVAL, "%s: variant '%s': cannot compare '%s = %s'"
					      " with '%s = %s' as numbers", p->file, d->name.p,
					      p->strs.str[tk], base->v, k, e->v);
				goto out;
			}
			if (which == 0 ? cmp <= 0 : cmp >= 0)
				continue;
		}
		for (size_t j = 0; j < ntmp; j++) {
			if (tmp[j].key == tk) {
				tmp[j].from = i;
				goto next;
			}
		}
		if (ntmp == atmp) {
			atmp = atmp ? atmp * 2 : 8;
			tmp = hvt_realloc(tmp, atmp * sizeof(*tmp));
		}
		tmp[ntmp].key = tk;
		tmp[ntmp].from = i;
		ntmp++;
next:;
	}
	for (size_t j = 0; j < ntmp; j++)
		vdict_set(d, p, tmp[j].key, d->e[tmp[j].from].v, d->e[tmp[j].from].len);
out:
	free(tmp);
	return rc;
}
