// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The screen suite on the real QEMU through "hvtest run": the text cases
 * pass and put their screenshots on the run's page; with a needle that
 * shows another screen (a broken control) the assert fails, naming the
 * needle and its score, and the failure's forensics (last screen, the
 * difference image, registers) are there. The needle and screen verbs'
 * bad input: one clear error naming the file, the tag or the socket.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

static char tmpdir[] = "/tmp/hvt-itest-screen-XXXXXX";
static char src[2048];
static bool have_guest;

static int group_setup(void **state)
{
	const char *s = getenv("HVT_SRCDIR");

	(void)state;
	snprintf(src, sizeof(src), "%s", s ? s : ".");
	if (!mkdtemp(tmpdir))
		return -1;
	if (itest_require_guest())
		return itest_missing_is_failure();
	have_guest = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	hvt_rm_rf(tmpdir);
	return 0;
}

static char *slurp(const char *path)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *data = NULL;
	size_t len;

	if (hvt_file_read(path, &data, &len, &err))
		return NULL;
	return data;
}

static void write_file(const char *path, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;

	itest_ok(hvt_file_write(path, text, strlen(text), &err), &err);
}

/* The text cases pass; the page shows the assert screenshots. */
static void test_text_cases(void **state)
{
	char *cfg = hvt_asprintf("%s/suites/screen/screen.cfg", src);
	char *res = hvt_asprintf("%s/res-ok", tmpdir);
	const char *argv[] = { itest_hvtest(), "run", "-j", "2", "--results", res, cfg, "text",
			       NULL };
	char *out = NULL, *page, *path;
	int rc;

	ITEST_NEED(have_guest);
	rc = itest_run(argv, NULL, 600000, &out);
	if (rc)
		fail_msg("hvtest run: %d\n%s", rc, out);
	path = hvt_asprintf("%s/run-1/report.html", res);
	page = slurp(path);
	assert_non_null(page);
	assert_non_null(strstr(page, "assert-seabios-boot-ok.png\" alt=\"screenshot\""));
	free(page);
	free(path);
	free(out);
	free(res);
	free(cfg);
}

/*
 * The installer's language screen under the tag "seabios-boot" (needle
 * file wrong-screen): the assert fails, naming the needle, with the
 * failure's forensics on the page.
 */
static void test_wrong_needle(void **state)
{
	char *needles = hvt_asprintf("%s/needles", tmpdir);
	char *res = hvt_asprintf("%s/res-bad", tmpdir);
	char *plan = hvt_asprintf("%s/bad.cfg", tmpdir);
	char *from = hvt_asprintf("%s/suites/screen/needles/di-language", src);
	char *to = hvt_asprintf("%s/wrong-screen", needles);
	const char *argv[] = { itest_hvtest(), "run", "--results", res, plan, NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *json, *tag, *fixed, *body, *out = NULL, *page, *p;
	int rc;

	ITEST_NEED(have_guest);
	itest_ok(hvt_mkdir_p(needles, 0755, &err), &err);
	p = hvt_asprintf("%s.json", from);
	json = slurp(p);
	free(p);
	assert_non_null(json);
	tag = strstr(json, "\"di-language\"");
	assert_non_null(tag);
	fixed = hvt_asprintf("%.*s\"seabios-boot\"%s", (int)(tag - json), json, tag + 13);
	p = hvt_asprintf("%s.json", to);
	write_file(p, fixed);
	free(p);
	{
		char *pf = hvt_asprintf("%s.png", from), *pt = hvt_asprintf("%s.png", to);
		const char *cp[] = { "cp", pf, pt, NULL };

		assert_int_equal(itest_run(cp, NULL, 10000, &out), 0);
		free(out);
		free(pt);
		free(pf);
	}
	body = hvt_asprintf("include %s/suites/screen/screen.cfg\nonly text.console\n"
			    "needles = %s\nscreen_timeout = 5\n", src, needles);
	write_file(plan, body);
	rc = itest_run(argv, NULL, 600000, &out);
	assert_int_not_equal(rc, 0);
	if (!strstr(out, "screen seabios-boot") || !strstr(out, "wrong-screen"))
		fail_msg("the failure does not name the check and the needle:\n%s", out);
	free(out);
	p = hvt_asprintf("%s/run-1/report.html", res);
	page = slurp(p);
	assert_non_null(page);
	assert_non_null(strstr(page, "last-screen.png"));
	assert_non_null(strstr(page, "assert-seabios-boot-diff-wrong-screen-area0.png"));
	assert_non_null(strstr(page, "registers.txt"));
	free(page);
	free(p);
	free(body);
	free(fixed);
	free(json);
	free(to);
	free(from);
	free(plan);
	free(res);
	free(needles);
}

/* Bad input: each a clear error naming what was wrong. */
static void test_bad_input(void **state)
{
	char *json = hvt_asprintf("%s/broken.json", tmpdir);
	char *png = hvt_asprintf("%s/broken.png", tmpdir);
	char *shot = hvt_asprintf("%s/suites/screen/needles/seabios-boot.png", src);
	char *out = NULL;
	int rc;

	(void)state;
	write_file(json, "{\"tags\": [\"x\"], \"area\": [{\"xpos\": 1, \"ypos\": 1}]}");
	write_file(png, "this is not a picture");
	{
		const char *argv[] = { itest_hvtest(), "needle", "match", json, shot, NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "broken.json"));
		assert_non_null(strstr(out, "width"));
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "needle", "new", png, "--tag", "t", "--area",
				       "0,0,10,10", "--dir", tmpdir, NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "broken.png: not a PNG"));
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "needle", "new", shot, "--tag", "t", "--area",
				       "700,390,100,100", "--dir", tmpdir, NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "outside its 720x400 image"));
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "screen", "--workdir", tmpdir, "grab", png,
				       NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "vnc.sock: no VNC socket"));
		free(out);
	}
	free(shot);
	free(png);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_text_cases),
		cmocka_unit_test(test_wrong_needle),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
