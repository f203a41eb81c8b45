// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan object: loading, command-line filters, expansion settings and
 * its messages. Text becomes a tree in lex.c, parse.c, filter.c and
 * tree.c; the tree becomes variants in labels.c, expand.c, dict.c,
 * subst.c, minmax.c and variant.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan-int.h"

static struct hvt_plan *plan_new(const char *file)
{
	struct hvt_plan *p = hvt_zalloc(sizeof(*p));
	static const char *const reserved[] = { "name", "dep", "shortname" };

	p->file = hvt_strdup(file);
	p->limit = HVT_PLAN_DEFAULT_LIMIT;
	tree_init(&p->tree);
	/* the plan's first node: its first lines, the leaf of every variant */
	p->tree.item.len = 0;
	hvt_buf_add(&p->tree.item, (uint8_t[]){ R_NODE }, 1);
	p->top.node = tree_record(&p->tree, &p->first_chain);
	p->top.chain = &p->first_chain;
	chain_suspend(&p->tree);
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

/* The length of the UTF-8 character at s (n bytes left), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (!k || s[0] > 0xf4 || k > n)
		return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

int plan_verr(struct hvt_err *err, int code, const char *fmt, va_list ap)
{
	char raw[2048];
	struct hvt_buf out = HVT_BUF_INIT;
	size_t n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	n = strlen(raw);
	hvt_buf_add(&out, "", 0);
	/* what a plan wrote reaches a terminal: no control characters, only UTF-8 */
	for (size_t i = 0; i < n;) {
		const unsigned char *c = (const unsigned char *)raw + i;
		size_t k = c[0] < 0x80 ? 1 : utf8_len(c, n - i);

		if (c[0] < 0x20 || c[0] == 0x7f || !k) {
			hvt_buf_addf(&out, "\\x%02x", c[0]);
			i++;
			continue;
		}
		hvt_buf_add(&out, c, k);
		i += k;
	}
	hvt_err_set(err, code, "%s", out.p);
	hvt_buf_release(&out);
	return code;
}

int plan_err(struct hvt_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plan_verr(err, code, fmt, ap);
	va_end(ap);
	return code;
}

struct hvt_plan *hvt_plan_load(const char *path, struct hvt_err *err)
{
	struct hvt_plan *p = plan_new(path);

	if (plan_parse_file(p, path, err)) {
		hvt_plan_free(p);
		return NULL;
	}
	return p;
}

struct hvt_plan *hvt_plan_load_mem(const char *text, size_t len, const char *name,
				   struct hvt_err *err)
{
	struct hvt_plan *p = plan_new(name ? name : "<string>");

	if (plan_parse_text(p, text, len, p->file, false, err)) {
		hvt_plan_free(p);
		return NULL;
	}
	return p;
}

struct hvt_plan *hvt_plan_load_string(const char *text, const char *name, struct hvt_err *err)
{
	return hvt_plan_load_mem(text, strlen(text), name, err);
}

void hvt_plan_free(struct hvt_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->nregex; i++)
		regfree(plan->regexes[i]);
	free(plan->regexes);
	for (size_t i = 1; i < plan->nlsets; i++)
		free(plan->lsets[i].v);
	free(plan->lsets);
	free(plan->filters);
	free(plan->fuse);
	free(plan->blocks);
	free(plan->shared);
	free(plan->expand);
	free(plan->file);
	free(plan->sfx);
	free(plan->pbase);
	tree_release(&plan->tree);
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
	plan->limit_set = true;
}
