// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The install suite on the real QEMU through "hvtest run": its CI set
 * walks the Debian installer from the boot to the mirror selection, once
 * in C (kernel + initrd) and once by the Python script through the exec
 * type (PXE, so the boot menu is a screen too); every screen is a passed
 * check with its screenshot. A broken control: a needle set whose
 * keyboard screen shows another screen fails the C walk there, naming the
 * tag it expected and the closest needle. The plan's bad values are
 * refused by name.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

#define DI_TEXT "/usr/lib/debian-installer/images/12/amd64/text"

static char tmpdir[] = "/tmp/hvt-itest-install-XXXXXX";
static char src[2048];
static bool have_di;

static int group_setup(void **state)
{
	const char *s = getenv("HVT_SRCDIR");

	(void)state;
	snprintf(src, sizeof(src), "%s", s ? s : ".");
	if (!mkdtemp(tmpdir))
		return -1;
	have_di = !access(DI_TEXT "/pxelinux.0", R_OK) && !access("/usr/bin/python3", X_OK);
	if (!have_di)
		fprintf(stderr, "debian-installer-12-netboot-amd64 or python3 is not installed: "
			"skipping the install suite\n");
	return 0;
}

/* The case has an artifact named name; else the test fails listing those it has. */
static void need_artifact(struct json_object *c, const char *name)
{
	struct json_object *arts = hvt_json_get(c, "artifacts");
	struct hvt_buf b = HVT_BUF_INIT;

	for (size_t i = 0; arts && i < json_object_array_length(arts); i++) {
		const char *n = hvt_json_get_str(json_object_array_get_idx(arts, i), "name");

		if (n && !strcmp(n, name)) {
			free(b.p);
			return;
		}
		hvt_buf_addf(&b, " %s", n ? n : "?");
	}
	fail_msg("no artifact %s; the case has:%s", name, b.p ? b.p : " none");
}

static int group_teardown(void **state)
{
	(void)state;
	hvt_rm_rf(tmpdir);
	return 0;
}

static const char *const ci_screens[] = {
	"di-language", "di-location", "di-keymap", "di-hostname", "di-domain",
	"di-mirror-country",
};

/* Both CI cases pass, each screen a passed check. */
static void test_ci(void **state)
{
	char *cfg = hvt_asprintf("%s/suites/install/install.cfg", src);
	char *res = hvt_asprintf("%s/res-ci", tmpdir);
	const char *argv[] = { itest_hvtest(), "run", "-j", "2", "--results", res, cfg, "ci",
			       NULL };
	struct json_object *doc, *cases, *c;
	char *out = NULL, name[64];
	int rc;

	(void)state;
	ITEST_NEED(have_di);
	rc = itest_run(argv, NULL, 1800000, &out);
	if (rc)
		fail_msg("hvtest run: %d\n%s", rc, out);
	doc = itest_results_latest(res);
	assert_true(json_object_object_get_ex(doc, "cases", &cases));
	c = itest_find_case(cases, "ci.c");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(ci_screens); i++) {
		snprintf(name, sizeof(name), "screen %s", ci_screens[i]);
		assert_true(itest_has_check(c, name, "pass"));
	}
	/* the script's TAP: the boot menu first, the same screens after */
	c = itest_find_case(cases, "ci.python");
	assert_true(itest_has_check(c, "screen di-boot-menu", "pass"));
	/* one `hvtest screen` per step: the shots number on, none overwritten */
	need_artifact(c, "screens/001-assert-di-boot-menu-ok.png");
	need_artifact(c, "screens/002-assert-di-language-ok.png");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(ci_screens); i++) {
		snprintf(name, sizeof(name), "screen %s", ci_screens[i]);
		assert_true(itest_has_check(c, name, "pass"));
	}
	json_object_put(doc);
	free(out);
	free(res);
	free(cfg);
}

static void copy_file(const char *from, const char *to)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *data = NULL;
	size_t len;

	itest_ok(hvt_file_read(from, &data, &len, &err), &err);
	itest_ok(hvt_file_write(to, data, len, &err), &err);
	free(data);
}

/*
 * The keyboard screen's needle replaced by the language screen's: the
 * walk stops at di-keymap, and the failed check names the tag and the
 * closest needle.
 */
static void test_wrong_needle(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *needles = hvt_asprintf("%s/needles", tmpdir);
	char *plan = hvt_asprintf("%s/wrong.cfg", tmpdir);
	char *res = hvt_asprintf("%s/res-wrong", tmpdir);
	char *text, *from, *to, *json = NULL, *tag, *fixed;
	const char *argv[] = { itest_hvtest(), "run", "--results", res, plan, NULL };
	struct json_object *doc, *cases, *c;
	char *out = NULL;
	size_t len;
	int rc;

	(void)state;
	ITEST_NEED(have_di);
	itest_ok(hvt_mkdir_p(needles, 0755, &err), &err);
	for (const char *const *n = (const char *const[]){ "text-language", "text-location",
							    NULL }; *n; n++) {
		for (const char *const *ext = (const char *const[]){ "json", "png", NULL }; *ext;
		     ext++) {
			from = hvt_asprintf("%s/suites/install/needles/%s.%s", src, *n, *ext);
			to = hvt_asprintf("%s/%s.%s", needles, *n, *ext);
			copy_file(from, to);
			free(from);
			free(to);
		}
	}
	/* a copy of the language needle tagged as the keyboard screen */
	from = hvt_asprintf("%s/suites/install/needles/text-language.json", src);
	itest_ok(hvt_file_read(from, &json, &len, &err), &err);
	tag = strstr(json, "\"di-language\"");
	assert_non_null(tag);
	fixed = hvt_asprintf("%.*s\"di-keymap\"%s", (int)(tag - json), json, tag + 13);
	to = hvt_asprintf("%s/wrong-keymap.json", needles);
	itest_ok(hvt_file_write(to, fixed, strlen(fixed), &err), &err);
	free(to);
	free(from);
	from = hvt_asprintf("%s/suites/install/needles/text-language.png", src);
	to = hvt_asprintf("%s/wrong-keymap.png", needles);
	copy_file(from, to);
	free(from);
	free(to);
	text = hvt_asprintf("type = install\nneedles = %s\nscreen_timeout = 60\nuntil = mirror\n"
			    "variants:\n    - wrong:\n", needles);
	itest_ok(hvt_file_write(plan, text, strlen(text), &err), &err);
	rc = itest_run(argv, NULL, 1200000, &out);
	assert_int_not_equal(rc, 0);
	doc = itest_results_latest(res);
	assert_true(json_object_object_get_ex(doc, "cases", &cases));
	c = itest_find_case(cases, "wrong");
	assert_true(itest_has_check(c, "screen di-language", "pass"));
	assert_true(itest_has_check(c, "screen di-keymap", "fail"));
	assert_non_null(strstr(json_object_to_json_string(c), "wrong-keymap"));
	json_object_put(doc);
	free(text);
	free(fixed);
	free(json);
	free(out);
	free(res);
	free(plan);
	free(needles);
}

/* Bad plan values: refused by name before any machine starts. */
static void test_bad_values(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *plan = hvt_asprintf("%s/bad.cfg", tmpdir);
	char *res = hvt_asprintf("%s/res-bad", tmpdir);
	const char *text = "type = install\nvariants:\n    - ui:\n        ui = curses\n"
			   "    - until:\n        until = forever\n";
	const char *argv[] = { itest_hvtest(), "run", "--results", res, plan, NULL };
	char *out = NULL;
	int rc;

	(void)state;
	itest_ok(hvt_file_write(plan, text, strlen(text), &err), &err);
	rc = itest_run(argv, NULL, 120000, &out);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(out, "ui = curses"));
	assert_non_null(strstr(out, "until = forever"));
	free(out);
	free(res);
	free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_ci),
		cmocka_unit_test(test_wrong_needle),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
