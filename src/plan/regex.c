// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Regular expressions over keys (?=, ?+=, ?<=, del): avocado-vt's Python
 * expressions translated to POSIX, with a guard against those whose
 * compilation would blow up.
 */
#include <stdlib.h>
#include <string.h>

#include "lex.h"

/* Limits that keep regcomp() cheap: see plan_regex_too_costly(). */
#define REGEX_MAX_LEN 4096
#define REGEX_MAX_REPEAT 1024

/* Python regex "NAME$" used with re.match() -> POSIX "^(NAME$)". */
int key_regex_compile(struct lexer *lx, const char *name, int *out, int col)
{
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_plan *p = lx->p;
	regex_t *re;
	int rc;

	hvt_buf_add(&b, "^(", 2);
	for (const char *s = name; *s; s++) {
		if (s[0] == '\\' && s[1] == 'd') {
			hvt_buf_add(&b, "[0-9]", 5);
			s++;
		} else if (s[0] == '\\' && s[1] == 'w') {
			hvt_buf_add(&b, "[A-Za-z0-9_]", 12);
			s++;
		} else if (s[0] == '\\' && s[1] == 's') {
			hvt_buf_add(&b, "[[:space:]]", 11);
			s++;
		} else {
			hvt_buf_add(&b, s, 1);
		}
	}
	hvt_buf_add(&b, "$)", 2);
	if (plan_regex_too_costly(b.p)) {
		hvt_buf_release(&b);
		return lex_error(lx, col, "regular expression '%s' is too costly to compile "
					  "(stacked repetitions or bounds over %d in all)",
				 name, REGEX_MAX_REPEAT);
	}
	re = arena_alloc(&p->arena, sizeof(*re));
	rc = regcomp(re, b.p, REG_EXTENDED | REG_NOSUB);
	hvt_buf_release(&b);
	if (rc)
		return lex_error(lx, col, "bad regular expression '%s'", name);
	if (p->nregex == p->aregex) {
		p->aregex = p->aregex ? p->aregex * 2 : 16;
		p->regexes = hvt_realloc(p->regexes, p->aregex * sizeof(*p->regexes));
	}
	*out = (int)p->nregex;
	p->regexes[p->nregex++] = re;
	return 0;
}

bool plan_regex_too_costly(const char *re)
{
	unsigned long product = 1;
	bool after_repeat = false;

	if (strlen(re) > REGEX_MAX_LEN)
		return true;
	for (const char *s = re; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			after_repeat = false;
			continue;
		}
		if (*s == '*' || *s == '+' || *s == '?' || *s == '{') {
			unsigned long hi = 1;

			if (after_repeat)
				return true;
			if (*s == '{') {
				char *end;

				hi = strtoul(s + 1, &end, 10);
				if (*end == ',')
					hi = end[1] == '}' ? hi + 1 : strtoul(end + 1, &end, 10);
				s = strchr(s, '}');
				if (!s)
					return false; /* regcomp() refuses it */
				if (hi < 1)
					hi = 1;
			}
			product *= hi;
			if (product > REGEX_MAX_REPEAT)
				return true;
			after_repeat = true;
			continue;
		}
		after_repeat = false;
	}
	return false;
}
