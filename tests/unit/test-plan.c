// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the plan API: loading, filters, the iterator, variant
 * accessors, error locations, limits and the example plans' sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvt-config.h"
#include "plan-int.h"
#include "plan.h"
#include "util.h"

static size_t count_variants(struct hvt_plan *p)
{
	struct hvt_err err = HVT_ERR_INIT;
	const struct hvt_variant *v;
	struct hvt_plan_iter *it = hvt_plan_iter_new(p);
	size_t n;
	int rc;

	while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1)
		;
	assert_int_equal(rc, 0);
	n = hvt_plan_iter_count(it);
	hvt_plan_iter_free(it);
	return n;
}

static size_t count_file(const char *rel, const char *filter)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/%s", HVT_SRCDIR, rel);
	struct hvt_plan *p = hvt_plan_load(path, &err);
	size_t n;

	if (!p)
		fail_msg("%s", err.msg);
	if (filter)
		assert_int_equal(hvt_plan_filter(p, filter, &err), 0);
	n = count_variants(p);
	hvt_plan_free(p);
	free(path);
	return n;
}

static void test_examples(void **state)
{
	assert_int_equal(count_file("suites/examples/migration.cfg", NULL), 96);
	assert_int_equal(count_file("suites/examples/migration.cfg", "p2p_tunnelled"), 32);
	assert_int_equal(count_file("suites/examples/migration.cfg", "no p2p"), 64);
	assert_int_equal(count_file("suites/examples/balloon.cfg", NULL), 10);
	assert_int_equal(count_file("suites/examples/balloon.cfg", "(virtio=modern)..stats"), 1);
}

static const char matrix[] =
	"type = boot\n"
	"variants disk:\n"
	"    - virtio_blk:\n"
	"        drive_format = virtio\n"
	"    - ide:\n"
	"        drive_format = ide\n"
	"variants:\n"
	"    - @smp1:\n"
	"        smp = 1\n"
	"    - smp2: smp1\n"
	"        smp = 2\n";

static void test_iterate(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_plan *p = hvt_plan_load_string(matrix, "m.cfg", &err);
	const struct hvt_variant *v;
	struct hvt_variant *keep;
	struct hvt_plan_iter *it;

	assert_non_null(p);
	it = hvt_plan_iter_new(p);
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), 1);
	assert_string_equal(hvt_variant_name(v), "smp1.(disk=virtio_blk)");
	assert_string_equal(hvt_variant_shortname(v), "virtio_blk");
	assert_string_equal(hvt_variant_get(v, "type"), "boot");
	assert_string_equal(hvt_variant_get(v, "smp"), "1");
	assert_string_equal(hvt_variant_get(v, "disk"), "virtio_blk");
	assert_string_equal(hvt_variant_get(v, "name"), "smp1.(disk=virtio_blk)");
	assert_null(hvt_variant_get(v, "nope"));
	assert_int_equal(hvt_variant_ndeps(v), 0);
	/* keys in plan order */
	assert_string_equal(hvt_variant_key(v, 0), "type");
	assert_string_equal(hvt_variant_key(v, 1), "disk");
	keep = hvt_variant_dup(v);
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), 1);
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), 1);
	assert_string_equal(hvt_variant_name(v), "smp2.(disk=virtio_blk)");
	assert_int_equal(hvt_variant_ndeps(v), 1);
	assert_string_equal(hvt_variant_dep(v, 0), "smp1");
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), 1);
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), 0);
	assert_int_equal(hvt_plan_iter_count(it), 4);
	/* the copy outlives the iterator */
	hvt_plan_iter_free(it);
	assert_string_equal(hvt_variant_get(keep, "drive_format"), "virtio");
	hvt_variant_free(keep);
	hvt_plan_free(p);
}

static void test_filters(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_plan *p = hvt_plan_load_string(matrix, NULL, &err);

	assert_int_equal(hvt_plan_filter(p, "ide", &err), 0);
	assert_int_equal(count_variants(p), 2);
	assert_int_equal(hvt_plan_filter(p, "no smp2", &err), 0);
	assert_int_equal(count_variants(p), 1);
	assert_int_equal(hvt_plan_filter(p, "extra = 1", &err), 0);
	assert_int_equal(count_variants(p), 1);
	assert_int_equal(hvt_plan_filter(p, "only a..,b", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "<command line>:1:"));
	hvt_plan_free(p);

	p = hvt_plan_load_string(matrix, NULL, &err);
	hvt_plan_set_defaults(p, true, NULL);
	assert_int_equal(count_variants(p), 2);
	hvt_plan_set_defaults(p, true, "disk");
	assert_int_equal(count_variants(p), 2);
	hvt_plan_set_defaults(p, false, NULL);
	assert_int_equal(count_variants(p), 4);
	hvt_plan_free(p);
}

static void test_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "a = 1\nvariants:\n  - x:\n  y = 2\n", "t.cfg:4:" },
		{ "a = 1\nb\n", "t.cfg:2:" },
		{ "variants x [default=z]:\n  - y:\n", "missing default variant 'z'" },
		{ "only x.(a=b\n", "t.cfg:1:" },
		{ "include /nonexistent/plan.cfg\n", "t.cfg:1:9: include" },
		{ "x[ ?= 1\n", "t.cfg:1:1: bad regular expression" },
		{ "only \"x\n", "t.cfg:1:6: unterminated string" },
		/* regcomp() would take gigabytes on these */
		{ "variant+++++++++++* ?<= d\n", "t.cfg:1:1: regular expression" },
		{ "(ab{100}){100}x ?= 1\n", "too costly" },
	};

	for (size_t i = 0; i < HVT_ARRAY_SIZE(cases); i++) {
		struct hvt_err err = HVT_ERR_INIT;
		struct hvt_plan *p = hvt_plan_load_string(cases[i].text, "t.cfg", &err);

		assert_null(p);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg);
	}
}

static void test_regex_cost(void **state)
{
	/* what plans really use stays allowed */
	assert_false(plan_regex_too_costly("^(image_.*|mem)$"));
	assert_false(plan_regex_too_costly("^(a+b*c?[0-9]{1,3})$"));
	assert_false(plan_regex_too_costly("^(x\\+\\+)$"));
	assert_true(plan_regex_too_costly("^(a++)$"));
	assert_true(plan_regex_too_costly("^(a*?)$"));
	assert_true(plan_regex_too_costly("^((a{40}){40})$"));
	assert_true(plan_regex_too_costly("^(a{2000})$"));
	assert_false(plan_regex_too_costly("^(a{3,})$"));
	assert_true(plan_regex_too_costly("^(a{3000,})$"));
}

static void test_limit(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_plan *p = hvt_plan_load_string(matrix, "m.cfg", &err);
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;
	int rc;

	hvt_plan_set_limit(p, 3);
	it = hvt_plan_iter_new(p);
	while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1)
		;
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err.msg, "m.cfg: "));
	assert_int_equal(hvt_plan_iter_count(it), 3);
	hvt_plan_iter_free(it);
	hvt_plan_set_limit(p, 4);
	assert_int_equal(count_variants(p), 4);
	hvt_plan_free(p);
}

static void test_deep_nesting(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_plan *p;

	/* conditions nested deeper than the parser allows: an error, no crash */
	for (int i = 0; i < 400; i++)
		hvt_buf_addf(&b, "%*sa%d:\n", i, "", i);
	p = hvt_plan_load_string(b.p, "deep.cfg", &err);
	assert_null(p);
	assert_non_null(strstr(err.msg, "nested"));
	hvt_buf_release(&b);
}

/* Load len bytes of text; NULL with the message in msg. */
static struct hvt_plan *load_mem(const char *text, size_t len, char *msg, size_t size)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_plan *p = hvt_plan_load_mem(text, len, "t.cfg", &err);

	snprintf(msg, size, "%s", err.msg);
	return p;
}

#define LOAD(lit, msg) load_mem(lit, sizeof(lit) - 1, msg, sizeof(msg))

static void test_bad_text(void **state)
{
	static const char nul[] = "a = 1\nb = x\0y\n", nul_comment[] = "# x\0y\na = 1\n";
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_plan *p;
	char msg[2048];

	/* a NUL byte in a plan line: refused where it is */
	assert_null(LOAD(nul, msg));
	assert_non_null(strstr(msg, "t.cfg:2:6: NUL byte"));
	/* ... not in a comment, which nothing reads */
	p = LOAD(nul_comment, msg);
	assert_non_null(p);
	assert_int_equal(count_variants(p), 1);
	hvt_plan_free(p);
	/* text that is not UTF-8: refused (overlong, surrogate, truncated, latin-1) */
	assert_null(LOAD("a = \xc0\xaf\n", msg));
	assert_non_null(strstr(msg, "t.cfg:1:5: invalid UTF-8 (byte 0xc0)"));
	assert_null(LOAD("a = \xed\xa0\x80\n", msg));
	assert_null(LOAD("# ok\na = \xe2\x82", msg));
	assert_non_null(strstr(msg, "t.cfg:2:5:"));
	assert_null(LOAD("a = caf\xe9\n", msg));
	p = LOAD("a = caf\xc3\xa9 \xf0\x9f\x98\x80\n", msg);
	assert_non_null(p);
	hvt_plan_free(p);
	/* control characters and bytes that are not UTF-8 never reach a message raw */
	assert_null(LOAD("only a\x1b[31mb\n", msg));
	assert_non_null(strstr(msg, "'\\x1b'"));
	for (const char *c = msg; *c; c++)
		assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
	p = hvt_plan_load_string("a = 1\n", "t.cfg", &err);
	assert_int_equal(hvt_plan_filter(p, "only \xff", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid UTF-8"));
	assert_null(strchr(err.msg, '\xff'));
	hvt_plan_free(p);
}

static void test_default_limit(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf b = HVT_BUF_INIT;
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;
	struct hvt_plan *p;
	int rc;

	/* 2^40 variants */
	for (int i = 0; i < 40; i++)
		hvt_buf_addf(&b, "variants:\n    - a%d:\n    - b%d:\n", i, i);
	p = hvt_plan_load_string(b.p, "big.cfg", &err);
	assert_non_null(p);
	assert_int_equal(p->limit, HVT_PLAN_DEFAULT_LIMIT);
	/* the default, made small: the same message as at 10^7 */
	p->limit = 1000;
	it = hvt_plan_iter_new(p);
	while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1)
		;
	assert_int_equal(rc, -E2BIG);
	assert_int_equal(hvt_plan_iter_count(it), 1000);
	assert_non_null(strstr(err.msg, "big.cfg: the plan expands to more than 1000 variants"
				       " (the default limit)"));
	hvt_plan_iter_free(it);
	hvt_plan_set_limit(p, 10);
	it = hvt_plan_iter_new(p);
	while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1)
		;
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err.msg, "(the limit)"));
	hvt_plan_iter_free(it);
	hvt_plan_free(p);
	hvt_buf_release(&b);
}

static void test_memory(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_plan *p;
	size_t sets = 0;

	/* a flat plan of 100 000 variants: memory follows the statements, not the text */
	hvt_buf_add(&b, "variants:\n", 10);
	for (int i = 0; i < 100000; i++)
		hvt_buf_addf(&b, "    - v%d:\n        k = %d\n", i, i);
	hvt_buf_add(&b, "only v7, v99999\n", 16);
	p = hvt_plan_load_string(b.p, "flat.cfg", &err);
	assert_non_null(p);
	assert_true(p->tree.bytes < 100000 * 28);
	assert_true(p->tree.bytes < b.len);
	assert_int_equal(count_variants(p), 2);
	/* the names below a block that filters use, not all of them */
	for (size_t i = 0; i < p->nlsets; i++)
		sets += p->lsets[i].n;
	assert_true(sets <= 4);
	hvt_plan_free(p);
	hvt_buf_release(&b);
}

static void test_long_lines(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_asprintf("%s/plan-long-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	struct hvt_buf b = HVT_BUF_INIT;
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;
	struct hvt_plan *p;
	int fd = mkstemp(path);

	/* lines across the reader's buffer, line ends of every kind */
	assert_true(fd >= 0);
	close(fd);
	hvt_buf_add(&b, "a = ", 4);
	for (int i = 0; i < 200000; i++)
		hvt_buf_add(&b, "x", 1);
	hvt_buf_addf(&b, "\r\nb = 1\rc = 2\r\n\f");
	for (int i = 0; i < 70000; i++)
		hvt_buf_addf(&b, "k%d = %d\n", i % 7, i);
	assert_int_equal(hvt_file_write(path, b.p, b.len, NULL), 0);
	p = hvt_plan_load(path, &err);
	assert_non_null(p);
	it = hvt_plan_iter_new(p);
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), 1);
	assert_int_equal(strlen(hvt_variant_get(v, "a")), 200000);
	assert_string_equal(hvt_variant_get(v, "b"), "1");
	assert_string_equal(hvt_variant_get(v, "c"), "2");
	assert_string_equal(hvt_variant_get(v, "k6"), "69999");
	hvt_plan_iter_free(it);
	hvt_plan_free(p);
	unlink(path);
	free(path);
	hvt_buf_release(&b);
}

static void test_broken(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_plan *p = hvt_plan_load_string(matrix, "m.cfg", &err);
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;

	/* after a failed filter the plan is refused, not half used */
	assert_int_equal(hvt_plan_filter(p, "variants:\n  - x:\n y", &err), -EINVAL);
	it = hvt_plan_iter_new(p);
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "m.cfg: the plan had an error"));
	hvt_plan_iter_free(it);
	assert_int_equal(hvt_plan_filter(p, "only smp1", &err), -EINVAL);
	hvt_plan_free(p);
}

static void test_join_names(void **state)
{
	static const char plan[] =
		"variants:\n"
		"    - a:\n        x = 1\n"
		"    - b:\n        x = 2\n"
		"variants:\n"
		"    - ok:\n        join a b\n"
		"    - same:\n        join a a\n";
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_plan *p = hvt_plan_load_string(plan, "j.cfg", &err);
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;

	assert_non_null(p);
	it = hvt_plan_iter_new(p);
	/* names that differ: the common part once, then the rest of each */
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), 1);
	assert_string_equal(hvt_variant_name(v), "ok.a.b");
	assert_string_equal(hvt_variant_get(v, "x"), "2");
	/* equal names have no first difference: an error, and it stays one */
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "j.cfg: join: cannot name the join of 'same.a' and "
				       "'same.a': one is a prefix of the other"));
	assert_int_equal(hvt_plan_iter_next(it, &v, &err), -EINVAL);
	assert_int_equal(hvt_plan_iter_count(it), 1);
	hvt_plan_iter_free(it);
	/* filtered out, the join is never named */
	assert_int_equal(hvt_plan_filter(p, "no same", &err), 0);
	assert_int_equal(count_variants(p), 1);
	hvt_plan_free(p);
}

/*
 * Dependencies declared in a block with blocks inside it: each boot
 * finds the install of its own configuration, or the guest's only
 * install; an install on two configurations for a boot on a third is
 * ambiguous; a sibling that no case has fits none.
 */
static void test_dep_find(void **state)
{
	static const char plan[] =
		"variants config:\n"
		"    - pc:\n    - q35:\n    - isapc:\n"
		"variants phase:\n"
		"    - install:\n        only pc q35\n"
		"    - boot: install\n"
		"    - other: missing\n        only pc\n"
		"variants guest:\n"
		"    - g1:\n    - g2:\n        install:\n            only pc\n";
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_plan *p = hvt_plan_load_string(plan, "d.cfg", &err);
	const char *names[32], *deps[32], *who[32];
	const struct hvt_variant *v;
	struct hvt_plan_iter *it;
	size_t n = 0, nfit, checked = 0;
	char *own[32];

	(void)state;
	assert_non_null(p);
	it = hvt_plan_iter_new(p);
	while (hvt_plan_iter_next(it, &v, &err) == 1) {
		own[n] = hvt_strdup(hvt_variant_name(v));
		names[n] = own[n];
		deps[n] = hvt_variant_ndeps(v) ? hvt_strdup(hvt_variant_dep(v, 0)) : NULL;
		n++;
	}
	hvt_plan_iter_free(it);
	memcpy(who, names, sizeof(names));
	hvt_plan_names_sort(names, n);
	for (size_t i = 0; i < n; i++) {
		const char *want = NULL;
		size_t want_fit = 1;
		long j;

		if (!deps[i])
			continue;
		if (!strcmp(who[i], "(guest=g1).(phase=boot).(config=pc)"))
			want = "(guest=g1).(phase=install).(config=pc)";
		else if (!strcmp(who[i], "(guest=g1).(phase=boot).(config=q35)"))
			want = "(guest=g1).(phase=install).(config=q35)";
		else if (!strcmp(who[i], "(guest=g1).(phase=boot).(config=isapc)"))
			want_fit = 2;
		else if (!strncmp(who[i], "(guest=g2).(phase=boot).", 24))
			want = "(guest=g2).(phase=install).(config=pc)";
		else if (strstr(who[i], "(phase=other)"))
			want_fit = 0;
		else
			fail_msg("unexpected dependent %s", who[i]);
		checked++;
		j = hvt_plan_dep_find(names, n, who[i], deps[i], &nfit);
		if (want) {
			assert_true(j >= 0);
			assert_string_equal(names[j], want);
		} else {
			assert_int_equal(j, -1);
		}
		assert_int_equal(nfit, want_fit);
		/* a full name is found as it is */
		if (want) {
			assert_int_equal(hvt_plan_dep_find(names, n, who[i], want, &nfit), j);
			assert_int_equal(nfit, 1);
		}
	}
	/* three boots and one other for each of the two guests */
	assert_int_equal(checked, 8);
	for (size_t i = 0; i < n; i++) {
		free(own[i]);
		free((char *)deps[i]);
	}
	hvt_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_default_limit),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_join_names),
		cmocka_unit_test(test_dep_find),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_iterate),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_regex_cost),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
