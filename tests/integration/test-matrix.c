// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest support matrix end to end: a small real plan whose exec cases
 * carry the matrix keys (a script gives each the outcome its plan asks
 * for, with a console, a failing screen and a video) runs twice per case
 * (--repeat); then "hvtest results matrix" as text and JSON must agree
 * with the store, and the run's page and the matrix page, rendered by
 * headless Chromium, must hold a mark per case whose outcome is the
 * store's and whose links resolve: case anchors in the page, artifact
 * files on disk. Bad input: a run that is not there, a run without
 * matrix cases. The run published to a results server (hvtest serve) has
 * the matrix on its page there too, its links answered by the server.
 * The example plan expands.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvt-config.h"
#include "itest.h"

static char tmpdir[] = "/tmp/hvt-mx-XXXXXX";
static char results[4096];

static const char script[] =
	"#!/bin/sh\n"
	"# a case of the matrix test: its outcome is the plan's mx_outcome\n"
	"d=$HVT_CASE_DIR\n"
	"echo \"console of $HVT_CASE_NAME\" >\"$d/console.log\"\n"
	"case ${HVT_PARAM_MX_OUTCOME:-pass} in\n"
	"pass) echo 1..1; echo 'ok 1 - works' ;;\n"
	"fail) mkdir -p \"$d/screens\"\n"
	"      cp \"$HVT_PARAM_MX_PNG\" \"$d/screens/001-assert-login-ok.png\"\n"
	"      cp \"$HVT_PARAM_MX_PNG\" \"$d/screens/002-assert-login-fail.png\"\n"
	"      printf 'not a real video: its link is what is checked' >\"$d/video.mp4\"\n"
	"      echo 1..1; echo 'not ok 1 - login prompt' ;;\n"
	"skip) echo '1..0 # SKIP no installed disk' ;;\n"
	"error) mkdir -p \"$d/screens\"\n"
	"      cp \"$HVT_PARAM_MX_PNG\" \"$d/screens/003-last-screen.png\"\n"
	"      echo 'the guest hung' >&2; exit 3 ;;\n"
	"esac\n";

/*
 * 12 cases: good-os passes everywhere; broken-os fails its installs, its
 * boot on pc skips and its boot on q35 is left out (not run); crashy-os
 * errors booting on q35; plain has no matrix keys.
 */
static const char plan_fmt[] =
	"type = exec\n"
	"exec = %s/mark.sh\n"
	"exec_artifacts = screens/*.png video.mp4\n"
	"mx_png = %s/suites/screen/needles/seabios-boot.png\n"
	"variants:\n"
	"    - pc:\n"
	"        matrix_config = pc-virtio-blk-1cpu\n"
	"    - q35:\n"
	"        matrix_config = q35-ide-2cpu\n"
	"variants:\n"
	"    - install:\n"
	"        matrix_phase = install\n"
	"    - boot:\n"
	"        matrix_phase = boot\n"
	"variants:\n"
	"    - good:\n"
	"        matrix_guest = good-os\n"
	"    - broken:\n"
	"        matrix_guest = broken-os\n"
	"    - crashy:\n"
	"        matrix_guest = crashy-os\n"
	"    - plain:\n"
	"        only install..pc\n"
	"broken..install:\n"
	"    mx_outcome = fail\n"
	"broken..boot:\n"
	"    mx_outcome = skip\n"
	"no broken..boot..q35\n"
	"crashy..boot..q35:\n"
	"    mx_outcome = error\n"
	"plain:\n"
	"    del matrix_guest\n"
	"    del matrix_config\n"
	"    del matrix_phase\n";

static char *tpath(const char *name)
{
	return hvt_asprintf("%s/%s", tmpdir, name);
}

static const char *srcdir(void)
{
	const char *s = getenv("HVT_SRCDIR");

	return s ? s : HVT_SRCDIR;
}

static int group_setup(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *p, *plan;

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(results, sizeof(results), "%s/results", tmpdir);
	p = tpath("mark.sh");
	if (hvt_file_write(p, script, sizeof(script) - 1, &err) || chmod(p, 0755))
		return -1;
	free(p);
	plan = hvt_asprintf(plan_fmt, tmpdir, srcdir());
	p = tpath("matrix.cfg");
	if (hvt_file_write(p, plan, strlen(plan), &err))
		return -1;
	free(p);
	free(plan);
	p = tpath("plain.cfg");
	if (hvt_file_write(p, "type = noop\nvariants:\n    - a:\n    - b:\n", 40, &err))
		return -1;
	free(p);
	return 0;
}

static int group_teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	return 0;
}

/* hvtest ARGS (NULL-ended); its exit code, output in *out. */
static int hv_argv(char **out, const char *const *args)
{
	const char *argv[16] = { itest_hvtest() };

	for (size_t i = 0; args[i] && i + 2 < HVT_ARRAY_SIZE(argv); i++)
		argv[i + 1] = args[i];
	return itest_run(argv, NULL, 120000, out);
}
#define hv(out, ...) hv_argv(out, (const char *const[]){ __VA_ARGS__, NULL })

/* The store's record of the case with that index (in a results document). */
static struct json_object *truth(struct json_object *doc, int64_t index)
{
	struct json_object *cases = hvt_json_get(doc, "cases");

	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);

		if (hvt_json_get_int(c, "index", -1) == index)
			return c;
	}
	fail_msg("no case %lld in the store", (long long)index);
	return NULL;
}

static const char *param(struct json_object *c, const char *key)
{
	struct json_object *ps = hvt_json_get(c, "params");

	for (size_t i = 0; ps && i < json_object_array_length(ps); i++) {
		struct json_object *kv = json_object_array_get_idx(ps, i);

		if (!strcmp(json_object_get_string(json_object_array_get_idx(kv, 0)), key))
			return json_object_get_string(json_object_array_get_idx(kv, 1));
	}
	return NULL;
}

/* The value of attribute name in the tag starting at tag (caller frees), or NULL. */
static char *attr(const char *tag, const char *name)
{
	const char *end = strchr(tag, '>');
	char *pat = hvt_asprintf(" %s=\"", name);
	const char *p = strstr(tag, pat);
	char *v = NULL;

	if (p && end && p < end) {
		p += strlen(pat);
		v = hvt_strndup(p, strcspn(p, "\""));
	}
	free(pat);
	return v;
}

/* A file:// URL's path, percent-decoded (caller frees). */
static char *file_of(const char *url)
{
	struct hvt_buf b = HVT_BUF_INIT;
	const char *p = url + strlen("file://");

	for (; *p && *p != '#'; p++) {
		if (*p == '%' && p[1] && p[2]) {
			char hex[3] = { p[1], p[2], 0 };
			char ch = (char)strtol(hex, NULL, 16);

			hvt_buf_add(&b, &ch, 1);
			p += 2;
		} else {
			hvt_buf_add(&b, p, 1);
		}
	}
	return b.p ? b.p : hvt_strdup("");
}

/* The part of a DOM from the guest matrix table to its end (caller frees). */
static char *matrix_table(const char *dom)
{
	const char *t = strstr(dom, "<table class=\"guest-matrix\"");
	const char *e = t ? strstr(t, "</table>") : NULL;

	if (!t || !e)
		fail_msg("no guest matrix in the rendered page:\n%s", dom);
	return hvt_strndup(t, (size_t)(e - t));
}

/* What check_marks() found wrong. */
static char wrong[1024];

/*
 * Every mark of the matrix in table is of a stored case with that outcome,
 * in the cell of its guest and configuration, and its link leads to the
 * section of that case in case_dom (href="#cN" when page is NULL, else
 * page#cN). Returns the number of marks, or -1 with wrong saying why.
 */
static long check_marks(const char *table, struct json_object *doc, const char *case_dom,
			const char *page)
{
	long n = 0;

	for (const char *p = strstr(table, "<a class=\"mk "); p;
	     p = strstr(p + 1, "<a class=\"mk ")) {
		char *oc = attr(p, "data-outcome"), *idx = attr(p, "data-case");
		char *href = attr(p, "href"), *id, *want;
		const char *cell = p, *sec, *anchor;
		struct json_object *c;
		char *g, *k;

		assert_non_null(oc);
		assert_non_null(idx);
		assert_non_null(href);
		c = truth(doc, strtol(idx, NULL, 10));
		if (strcmp(oc, hvt_json_get_str(c, "outcome"))) {
			snprintf(wrong, sizeof(wrong), "case %s: the page says %s, the store %s",
				 idx, oc, hvt_json_get_str(c, "outcome"));
			n = -1;
		}
		/* the cell the mark is in */
		while (cell > table && strncmp(cell, "<td class=\"cell\"", 16))
			cell--;
		g = attr(cell, "data-guest");
		k = attr(cell, "data-config");
		assert_non_null(g);
		assert_string_equal(g, param(c, "matrix_guest"));
		assert_string_equal(k, param(c, "matrix_config"));
		/* its link: a case section that is this case */
		anchor = strchr(href, '#');
		assert_non_null(anchor);
		if (page)
			assert_true(!strncmp(href, page, strlen(page)) &&
				    anchor == href + strlen(page));
		else
			assert_true(anchor == href);
		id = hvt_asprintf("<details id=\"%s\"", anchor + 1);
		want = hvt_asprintf("</span> %s <span", hvt_json_get_str(c, "name"));
		sec = strstr(case_dom, id);
		if (!sec || !strstr(sec, want) || strstr(sec, want) > strstr(sec, "</summary>")) {
			snprintf(wrong, sizeof(wrong), "mark of case %s links to %s: not that "
				 "case's section", idx, href);
			n = -1;
		}
		free(want);
		free(id);
		free(g);
		free(k);
		free(href);
		free(idx);
		free(oc);
		if (n < 0)
			return -1;
		n++;
	}
	return n;
}

static void assert_marks(const char *table, struct json_object *doc, const char *case_dom,
			 const char *page, long want)
{
	long n = check_marks(table, doc, case_dom, page);

	if (n != want)
		fail_msg("%ld marks, want %ld: %s", n, want, n < 0 ? wrong : "");
}

/* The line of out that starts with word, its runs of blanks made one (caller frees). */
static char *line_of(const char *out, const char *word)
{
	struct hvt_buf b = HVT_BUF_INIT;
	const char *p = out;

	while (p && strncmp(p, word, strlen(word)))
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (!p)
		fail_msg("no line %s in:\n%s", word, out);
	for (; *p && *p != '\n'; p++)
		if (*p != ' ' || (p[1] != ' ' && p[1] != '\n' && p[1]))
			hvt_buf_add(&b, p, 1);
	return b.p;
}

static void assert_line(const char *out, const char *word, const char *want)
{
	char *l = line_of(out, word);

	if (strcmp(l, want))
		fail_msg("line '%s', want '%s'", l, want);
	free(l);
}

/* Every file:// link of the table names a file that exists; returns how many. */
static size_t check_files(const char *table)
{
	size_t n = 0;

	for (const char *p = strstr(table, "href=\"file://"); p;
	     p = strstr(p + 1, "href=\"file://")) {
		char *url = hvt_strndup(p + 6, strcspn(p + 6, "\"")), *path = file_of(url);

		if (!hvt_path_exists(path))
			fail_msg("link %s: no file %s", url, path);
		free(path);
		free(url);
		n++;
	}
	return n;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_matrix_run(void **state)
{
	char *out = NULL, *plan = tpath("matrix.cfg"), *profile = tpath("chromium");
	char *page, *url, *dom, *mdom, *table, *mfile;
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc, *m, *cells;
	size_t nmatrix = 0, marks;
	int rc;

	/* failures in the run: exit 1 */
	rc = hv(&out, "run", "--results", results, "--repeat", "2", plan);
	if (rc != 1)
		fail_msg("hvtest run: exit %d, want 1:\n%s", rc, out);
	free(out);
	doc = itest_results_latest(results);
	assert_int_equal(json_object_array_length(hvt_json_get(doc, "cases")), 12);
	for (size_t i = 0; i < 12; i++)
		nmatrix += param(json_object_array_get_idx(hvt_json_get(doc, "cases"), i),
				 "matrix_guest") != NULL;
	assert_int_equal(nmatrix, 11);

	/* the table */
	rc = hv(&out, "results", "--results", results, "matrix", "latest");
	if (rc != 0)
		fail_msg("results matrix: exit %d:\n%s", rc, out);
	assert_line(out, "GUEST", "GUEST pc-virtio-blk-1cpu q35-ide-2cpu");
	assert_line(out, "good-os", "good-os pass/pass pass/pass");
	assert_line(out, "broken-os ", "broken-os fail/skip fail/not-run");
	assert_line(out, "crashy-os ", "crashy-os pass/pass pass/error");
	assert_non_null(strstr(out, "not run: the install of broken-os failed"));
	free(out);

	/* JSON: every cell's outcome is the store's */
	rc = hv(&out, "results", "--results", results, "matrix", "latest", "--json");
	assert_int_equal(rc, 0);
	m = hvt_json_parse(out, &err);
	itest_ok(m ? 0 : -1, &err);
	cells = hvt_json_get(m, "cells");
	assert_int_equal(json_object_array_length(cells), 6);
	marks = 0;
	for (size_t i = 0; i < 6; i++) {
		struct json_object *cell = json_object_array_get_idx(cells, i);

		for (int ph = 0; ph < 2; ph++) {
			struct json_object *x = hvt_json_get(cell, ph ? "boot" : "install"), *c;
			const char *st = hvt_json_get_str(x, "state");

			if (strcmp(st, "ran")) {
				assert_string_equal(st, "not-run");
				assert_string_equal(hvt_json_get_str(cell, "guest"), "broken-os");
				assert_string_equal(hvt_json_get_str(cell, "config"), "q35-ide-2cpu");
				continue;
			}
			c = truth(doc, hvt_json_get_int(x, "case", -1));
			assert_string_equal(hvt_json_get_str(x, "outcome"),
					    hvt_json_get_str(c, "outcome"));
			assert_string_equal(hvt_json_get_str(cell, "guest"),
					    param(c, "matrix_guest"));
			assert_string_equal(param(c, "matrix_phase"), ph ? "boot" : "install");
			/* --repeat 2: two attempts each */
			assert_int_equal(hvt_json_get_int(x, "attempts", 0), 2);
			assert_string_equal(hvt_json_get_str(x, "console"), "console.log");
			marks++;
		}
	}
	assert_int_equal(marks, 11);
	json_object_put(m);
	free(out);

	if (!itest_have_chromium()) {
		json_object_put(doc);
		free(plan);
		free(profile);
		skip();
	}
	/* the run's page, rendered: a mark per case, links that resolve */
	page = hvt_asprintf("%s/run-1/report.html", results);
	url = hvt_asprintf("file://%s", page);
	dom = itest_browser_dom(profile, url);
	table = matrix_table(dom);
	assert_marks(table, doc, dom, NULL, 11);
	assert_int_equal(count(table, "data-outcome=\"not-run\""), 1);
	/* a console per case; a screen and a video per failed install; the error's screen */
	assert_int_equal(check_files(table), 11 + 2 * 2 + 1);
	assert_int_equal(count(table, "002-assert-login-fail.png"), 2);
	assert_int_equal(count(table, "001-assert-login-ok.png"), 0);
	free(table);

	/* the matrix page of its own links into the run's page */
	mfile = tpath("matrix.html");
	rc = hv(&out, "results", "--results", results, "matrix", "1", "--html", mfile);
	if (rc != 0)
		fail_msg("results matrix --html: exit %d:\n%s", rc, out);
	free(out);
	free(url);
	url = hvt_asprintf("file://%s", mfile);
	mdom = itest_browser_dom(profile, url);
	table = matrix_table(mdom);
	free(url);
	url = hvt_asprintf("file://%s", page);
	assert_marks(table, doc, dom, url, 11);
	/* the same files, and the run's page once per mark */
	assert_int_equal(check_files(table), 11 + 2 * 2 + 1 + 11);
	free(table);
	free(mdom);
	free(mfile);
	free(url);
	free(dom);
	free(page);
	json_object_put(doc);
	free(plan);
	free(profile);
}

static size_t discard(char *p, size_t size, size_t n, void *opaque)
{
	return size * n;
}

/* The HTTP status of a GET of url. */
static long http_status(const char *url)
{
	CURL *h = curl_easy_init();
	long status = 0;
	CURLcode rc;

	assert_non_null(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		fail_msg("GET %s: %s", url, curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

/* The run on a results server: its page has the matrix, every link of it answers. */
static void test_server_page(void **state)
{
	struct itest_server srv = { 0 };
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc;
	char *out = NULL, *tok, *tokfile = tpath("alice.token"), *profile = tpath("chromium");
	char *dom, *table, *url;
	size_t links = 0;
	int rc;

	if (!itest_have_chromium())
		skip();
	itest_server_start(&srv, tmpdir, "server", NULL);
	rc = hv(&out, "serve", "--store", srv.dir, "token", "add", "alice");
	assert_int_equal(rc, 0);
	tok = hvt_strndup(out, strcspn(out, "\n"));
	itest_ok(hvt_file_write(tokfile, tok, strlen(tok), &err), &err);
	free(out);
	rc = hv(&out, "publish", "--results", results, "--server", srv.url, "--token-file",
		tokfile, "--git", "0123abcd", "1");
	if (rc)
		fail_msg("publish: exit %d:\n%s", rc, out);
	url = strstr(out, srv.url);
	assert_non_null(url);
	url = hvt_strndup(url, strcspn(url, "\n"));
	free(out);
	doc = itest_results_latest(results);
	dom = itest_browser_dom(profile, url);
	table = matrix_table(dom);
	assert_marks(table, doc, dom, NULL, 11);
	/* screens, videos and consoles: on the server, under the run */
	assert_null(strstr(table, "file://"));
	for (const char *p = strstr(table, "href=\"/"); p; p = strstr(p + 1, "href=\"/")) {
		char *path = hvt_strndup(p + 6, strcspn(p + 6, "\"")), *full;

		full = hvt_asprintf("%s%s", srv.url, path);
		if (http_status(full) != 200)
			fail_msg("link %s: not 200", full);
		free(full);
		free(path);
		links++;
	}
	assert_int_equal(links, 11 + 2 * 2 + 1);
	itest_server_stop(&srv);
	json_object_put(doc);
	free(table);
	free(dom);
	free(url);
	free(tok);
	free(profile);
	free(tokfile);
}

/* The check of the page fails on a page whose marks lie. */
static void test_check_can_fail(void **state)
{
	struct json_object *doc = json_tokener_parse(
		"{\"cases\": [{\"index\": 0, \"name\": \"x\", \"outcome\": \"fail\", "
		"\"params\": [[\"matrix_guest\", \"g\"], [\"matrix_config\", \"k\"]]}]}");
	static const char lying[] =
		"<table class=\"guest-matrix\"><tr><td class=\"cell\" data-guest=\"g\" "
		"data-config=\"k\"><a class=\"mk pass\" data-outcome=\"pass\" data-case=\"0\" "
		"href=\"#c1\">";
	static const char good[] =
		"<table class=\"guest-matrix\"><tr><td class=\"cell\" data-guest=\"g\" "
		"data-config=\"k\"><a class=\"mk fail\" data-outcome=\"fail\" data-case=\"0\" "
		"href=\"#c1\">";
	static const char sections[] = "<details id=\"c1\"><summary><span>fail</span> x "
				       "<span>1 s</span></summary>";
	static const char elsewhere[] = "<details id=\"c1\"><summary><span>fail</span> y "
					"<span>1 s</span></summary>";

	assert_int_equal(check_marks(good, doc, sections, NULL), 1);
	assert_int_equal(check_marks(lying, doc, sections, NULL), -1);
	assert_non_null(strstr(wrong, "the page says pass, the store fail"));
	assert_int_equal(check_marks(good, doc, elsewhere, NULL), -1);
	assert_non_null(strstr(wrong, "not that case's section"));
	json_object_put(doc);
}

static void test_bad_input(void **state)
{
	char *out = NULL, *plain = tpath("plain.cfg"), *r2 = tpath("results-plain");
	char *nowhere = tpath("nowhere");
	int rc;

	rc = hv(&out, "results", "--results", results, "matrix", "999");
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "no run 999"));
	free(out);
	rc = hv(&out, "results", "--results", results, "matrix", "latest", "--tap");
	assert_int_equal(rc, 2);
	free(out);
	rc = hv(&out, "results", "--results", nowhere, "matrix", "1");
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "no results directory"));
	free(out);
	rc = hv(&out, "run", "--results", r2, plain);
	assert_int_equal(rc, 0);
	free(out);
	rc = hv(&out, "results", "--results", r2, "matrix", "latest");
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "run 1 has no case with the plan keys matrix_guest"));
	free(out);
	free(nowhere);
	free(r2);
	free(plain);
}

/*
 * The example plan of docs/MATRIX.md expands, and runs (its stand-in
 * script named by its absolute path) into the matrix the document shows.
 */
static void test_example_plan(void **state)
{
	char *plan = hvt_asprintf("%s/suites/examples/matrix.cfg", srcdir()), *out = NULL;
	char *exec = hvt_asprintf("exec = %s/suites/examples/matrix-case.sh", srcdir());
	char *r3 = tpath("results-example"), *page;
	struct hvt_err err = HVT_ERR_INIT;
	int rc;

	rc = hv(&out, "plan", "lint", plan);
	if (rc)
		fail_msg("plan lint %s: exit %d:\n%s", plan, rc, out);
	free(out);
	rc = hv(&out, "plan", "list", plan);
	assert_int_equal(rc, 0);
	assert_int_equal(count(out, "\n"), 5);
	assert_int_equal(count(out, "(phase=install).(config=pc-virtio-blk-1cpu)"), 2);
	assert_int_equal(count(out, "(phase=boot)"), 3);
	free(out);
	rc = hv(&out, "run", "--results", r3, plan, exec);
	if (rc != 1) /* my-distro's install fails */
		fail_msg("run %s: exit %d:\n%s", plan, rc, out);
	free(out);
	rc = hv(&out, "results", "--results", r3, "matrix", "latest");
	assert_int_equal(rc, 0);
	assert_line(out, "debian12-netboot-text", "debian12-netboot-text pass/pass -/pass");
	assert_line(out, "my-distro ", "my-distro fail/skip -/not-run");
	assert_non_null(strstr(out, "the installer did not reach 'Partition disks'"));
	free(out);
	/* its page: the guest matrix, not also a matrix of the names' dimensions */
	page = hvt_asprintf("%s/run-1/report.html", r3);
	itest_ok(hvt_file_read(page, &out, NULL, &err), &err);
	assert_int_equal(count(out, "<table class=\"guest-matrix\""), 1);
	assert_int_equal(count(out, "<table class=\"matrix\""), 0);
	free(out);
	free(page);
	free(r3);
	free(exec);
	free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_can_fail),
		cmocka_unit_test(test_matrix_run),
		cmocka_unit_test(test_server_page),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_example_plan),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
