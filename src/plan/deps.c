// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which case a dependency stands for. A variant's dep key holds the names
 * of its context (the blocks outside the one that declared it) and the
 * sibling it depends on: "(guest=x).install" from "- boot: install" in a
 * named block "phase". A case's full name also holds the blocks inside:
 * "(guest=x).(phase=install).(config=pc)". The dependency is the case
 * that has the same context, the sibling in the declaring block, and
 * the dependent's own inner names; or, when the sibling was filtered on
 * those inner names (an install on one configuration only), the one case
 * that fits without them.
 */
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* Past the end of the component at s (a '.' outside parentheses, or the end). */
static const char *comp_end(const char *s)
{
	int depth = 0;

	for (; *s; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth)
			depth--;
		else if (*s == '.' && !depth)
			break;
	}
	return s;
}

/* After k components of s (past their dot), or NULL when s has fewer. */
static const char *comp_skip(const char *s, size_t k)
{
	while (k--) {
		s = comp_end(s);
		if (!*s)
			return NULL;
		s++;
	}
	return s;
}

static size_t comp_count(const char *s)
{
	size_t n = 1;

	for (s = comp_end(s); *s; s = comp_end(s + 1))
		n++;
	return n;
}

/* Component c (len bytes) names variant v: "v" or "(block=v)". */
static bool comp_names(const char *c, size_t len, const char *v, size_t vlen)
{
	const char *eq;

	if (len == vlen && !memcmp(c, v, vlen))
		return true;
	if (len < vlen + 3 || c[0] != '(' || c[len - 1] != ')')
		return false;
	eq = memchr(c, '=', len);
	return eq && (size_t)(c + len - 1 - eq - 1) == vlen && !memcmp(eq + 1, v, vlen);
}

/* The first of the sorted names[0..n) not below key (its first len bytes when len). */
static size_t lower_bound(const char *const *names, size_t n, const char *key, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = len ? strncmp(names[mid], key, len) : strcmp(names[mid], key);

		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long hvt_plan_dep_find(const char *const *names, size_t n, const char *dependent,
		       const char *dep, size_t *nfit)
{
	size_t k = comp_count(dep) - 1, fits = 0, first, plen;
	const char *v = comp_skip(dep, k), *own_tail;
	size_t vlen = strlen(v);
	long exact = -1, one = -1;

	*nfit = 0;
	first = lower_bound(names, n, dep, 0);
	if (first < n && !strcmp(names[first], dep)) {
		*nfit = 1;
		return (long)first;
	}
	/* the cases with dep's context ("ctx.") are one run of the sorted names */
	plen = (size_t)(v - dep);
	first = plen ? lower_bound(names, n, dep, plen) : 0;
	/* the dependent's names inside the declaring block */
	own_tail = comp_skip(dependent, k + 1);
	for (size_t i = first; i < n && !strncmp(names[i], dep, plen); i++) {
		const char *c = names[i] + plen, *ce = comp_end(c), *tail;

		if (!comp_names(c, (size_t)(ce - c), v, vlen))
			continue;
		tail = *ce ? ce + 1 : ce;
		if (own_tail && !strcmp(tail, own_tail) && exact < 0)
			exact = (long)i;
		if (!fits++)
			one = (long)i;
	}
	*nfit = fits;
	if (exact >= 0) {
		*nfit = 1;
		return exact;
	}
	return fits == 1 ? one : -1;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void hvt_plan_names_sort(const char **names, size_t n)
{
	qsort(names, n, sizeof(*names), name_cmp);
}
