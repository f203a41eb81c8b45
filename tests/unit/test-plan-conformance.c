// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conformance cases for the plan language: every tests/plan/cases/NAME.cfg
 * is expanded and compared with NAME.expected (or its error with NAME.error).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvt-config.h"
#include "plan.h"
#include "util.h"

#define CASES HVT_SRCDIR "/tests/plan/cases"

struct kv {
	const char *k, *v;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* The same text as 'hvtest plan show'. */
static void render(struct hvt_buf *b, const struct hvt_variant *v, size_t n)
{
	size_t nk = hvt_variant_nkeys(v), m = 0;
	struct kv *kv = malloc((nk + 3) * sizeof(*kv));
	struct hvt_buf dep = HVT_BUF_INIT;

	hvt_buf_add(&dep, "[", 1);
	for (size_t i = 0; i < hvt_variant_ndeps(v); i++)
		hvt_buf_addf(&dep, "%s'%s'", i ? ", " : "", hvt_variant_dep(v, i));
	hvt_buf_add(&dep, "]", 1);
	hvt_buf_addf(b, "dict %4zu:  %s\n", n, hvt_variant_name(v));
	kv[m].k = "name", kv[m++].v = hvt_variant_name(v);
	kv[m].k = "shortname", kv[m++].v = hvt_variant_shortname(v);
	kv[m].k = "dep", kv[m++].v = dep.p;
	for (size_t i = 0; i < nk; i++)
		kv[m].k = hvt_variant_key(v, i), kv[m++].v = hvt_variant_value(v, i);
	qsort(kv, m, sizeof(*kv), cmp_kv);
	for (size_t i = 0; i < m; i++)
		hvt_buf_addf(b, "    %s = %s\n", kv[i].k, kv[i].v);
	free(kv);
	hvt_buf_release(&dep);
}

static char *slurp(const char *dir, const char *base, const char *ext)
{
	char *path = hvt_asprintf("%s/%s%s", dir, base, ext);
	char *text[1] = { NULL };
	size_t len;
	int rc;

	rc = hvt_file_read(path, text, &len, NULL);
	free(path);
	return rc ? NULL : text[0];
}

/* 0 when the case passes; else prints why. */
static int run_case(const char *dir, const char *base)
{
	char *path = hvt_asprintf("%s/%s.cfg", dir, base);
	char *expected = slurp(dir, base, ".expected"), *error = slurp(dir, base, ".error");
	char *opts = slurp(dir, base, ".opts"), *filters = slurp(dir, base, ".filters");
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf out = HVT_BUF_INIT;
	const struct hvt_variant *v;
	struct hvt_plan_iter *it = NULL;
	struct hvt_plan *plan;
	int rc = 0, fail = 0;

	hvt_buf_add(&out, "", 0);
	plan = hvt_plan_load(path, &err);
	for (char *f = filters, *nl; plan && f && *f; f = nl + 1) {
		nl = strchr(f, '\n');
		if (!nl)
			break;
		*nl = '\0';
		rc = hvt_plan_filter(plan, f, &err);
		if (rc)
			break;
	}
	if (plan && !rc) {
		if (opts && strstr(opts, "defaults"))
			hvt_plan_set_defaults(plan, true, NULL);
		if (opts && strstr(opts, "limit"))
			hvt_plan_set_limit(plan, (size_t)atoi(strstr(opts, "limit") + 6));
		it = hvt_plan_iter_new(plan);
		while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1)
			render(&out, v, hvt_plan_iter_count(it));
	}
	if (error) {
		error[strcspn(error, "\n")] = '\0';
		if (!err.code || !strstr(err.msg, error)) {
			fprintf(stderr, "FAIL %s: expected an error with '%s', got '%s'\n", base,
				error, err.msg);
			fail = 1;
		}
		/* every error names file:line: */
		if (err.code && !strstr(err.msg, ":")) {
			fprintf(stderr, "FAIL %s: error without a location: %s\n", base, err.msg);
			fail = 1;
		}
	} else if (!plan || rc < 0) {
		fprintf(stderr, "FAIL %s: %s\n", base, err.msg);
		fail = 1;
	} else if (!expected || strcmp(expected, out.p)) {
		fprintf(stderr, "FAIL %s: output differs\n--- expected\n%s--- got\n%s", base,
			expected ? expected : "(no .expected file)\n", out.p);
		fail = 1;
	}
	hvt_plan_iter_free(it);
	hvt_plan_free(plan);
	hvt_buf_release(&out);
	free(path);
	free(expected);
	free(error);
	free(opts);
	free(filters);
	return fail;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_cases(void **state)
{
	struct hvt_strv names = HVT_STRV_INIT;
	DIR *d = opendir(CASES);
	struct dirent *de;
	int failed = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 4 && !strcmp(de->d_name + n - 4, ".cfg") && strncmp(de->d_name, "inc-", 4))
			hvt_strv_pushf(&names, "%.*s", (int)(n - 4), de->d_name);
	}
	closedir(d);
	qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.n; i++)
		failed += run_case(CASES, names.v[i]);
	print_message("%zu conformance cases, %d failed\n", names.n, failed);
	assert_true(names.n >= 30);
	hvt_strv_release(&names);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
