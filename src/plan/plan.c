// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan object: loading, command-line filters and expansion settings.
 * Text becomes a tree in lex.c, parse.c, filter.c and tree.c; the tree
 * becomes variants in expand.c, dict.c, subst.c, minmax.c and variant.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan-int.h"

static struct hvt_plan *plan_new(void)
{
	struct hvt_plan *p = hvt_zalloc(sizeof(*p));
	static const char *const reserved[] = { "name", "dep", "shortname" };

	p->root = plan_node_new(p);
	p->root->labels = labelset_new(p);
	for (size_t i = 0; i < 3; i++)
		p->reserved[i] = strtab_intern(&p->strs, reserved[i], strlen(reserved[i]));
	p->reserved_extra[0] = strtab_intern(&p->strs, "_name_map_file", 14);
	p->reserved_extra[1] = strtab_intern(&p->strs, "_short_name_map_file", 20);
	return p;
}

bool plan_key_reserved(const struct hvt_plan *p, int key)
{
	return key == p->reserved[0] || key == p->reserved[1] || key == p->reserved[2] ||
	       key == p->reserved_extra[0] || key == p->reserved_extra[1];
}

struct hvt_plan *hvt_plan_load(const char *path, struct hvt_err *err)
{
	struct hvt_plan *p = plan_new();

	p->file = hvt_strdup(path);
	if (plan_parse_file(p, path, err)) {
		hvt_plan_free(p);
		return NULL;
	}
	return p;
}

struct hvt_plan *hvt_plan_load_string(const char *text, const char *name, struct hvt_err *err)
{
	struct hvt_plan *p = plan_new();

	p->file = hvt_strdup(name ? name : "<string>");
	if (plan_parse_text(p, text, strlen(text), p->file, false, err)) {
		hvt_plan_free(p);
		return NULL;
	}
	return p;
}

void hvt_plan_free(struct hvt_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->nregex; i++)
		regfree(plan->regexes[i]);
	free(plan->regexes);
	free(plan->expand);
	free(plan->file);
	free(plan->sfx);
	strtab_release(&plan->strs);
	arena_release(&plan->arena);
	free(plan);
}

static bool starts_with_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return !strncmp(s, w, n) && (s[n] == ' ' || s[n] == '\t' || s[n] == ':' || !s[n]);
}

/* A bare filter: no statement keyword, no ':' and no operator outside (). */
static bool is_bare_filter(const char *s)
{
	static const char *const kw[] = { "only", "no", "join", "del", "include",
					  "variants", "suffix" };
	int depth = 0;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(kw); i++)
		if (starts_with_word(s, kw[i]))
			return false;
	for (; *s; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		else if (*s == '\n' || *s == ':' || *s == '!' || (*s == '=' && depth <= 0))
			return false;
	}
	return true;
}

int hvt_plan_filter(struct hvt_plan *plan, const char *filter, struct hvt_err *err)
{
	char *text;
	int rc;

	while (*filter == ' ' || *filter == '\t')
		filter++;
	if (is_bare_filter(filter))
		text = hvt_asprintf("only %s", filter);
	else
		text = hvt_strdup(filter);
	rc = plan_parse_text(plan, text, strlen(text), "<command line>", false, err);
	free(text);
	return rc;
}

void hvt_plan_set_defaults(struct hvt_plan *plan, bool on, const char *expand)
{
	plan->defaults = on;
	free(plan->expand);
	plan->expand = NULL;
	plan->nexpand = 0;
	while (expand && *expand) {
		size_t n = strcspn(expand, ",");
		const char *s = expand, *e = expand + n;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			plan->expand = hvt_realloc(plan->expand, (plan->nexpand + 1) * sizeof(int));
			plan->expand[plan->nexpand++] = strtab_intern(&plan->strs, s, (size_t)(e - s));
		}
		expand += n + (expand[n] == ',');
	}
}

void hvt_plan_set_limit(struct hvt_plan *plan, size_t max)
{
	plan->limit = max;
}
