// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest support matrix from a store filled here: several guests,
 * configurations, phases and outcomes, missing cells, a boot left out by
 * a failed install, two cases on one cell, reruns; the text table, the
 * JSON document and the HTML section, whose every case link names an
 * anchor of the run's page.
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

#include "matrix.h"
#include "report.h"

#define LIVE "debian12-live"
#define NET "debian12-netboot-text"
#define WIN "winxp-iso"
#define PC "pc-virtio-blk-1cpu"
#define Q35 "q35-ide-2cpu"

struct fixture {
	char dir[64];
	struct hvt_store *s;
	int64_t run;
};

static struct hvt_case *mcase(long index, const char *guest, const char *config,
			      const char *phase)
{
	char *name = hvt_asprintf("install.%s.%s.%s", guest ? guest : "-",
				  config ? config : "-", phase ? phase : "-");
	struct hvt_case *c = hvt_case_new(name, name, "exec");

	c->index = index;
	c->attempt = 1;
	c->workdir = hvt_asprintf("/results/run-1/%ld.1", index);
	if (guest)
		hvt_case_set_param(c, HVT_MATRIX_KEY_GUEST, guest);
	if (config)
		hvt_case_set_param(c, HVT_MATRIX_KEY_CONFIG, config);
	if (phase)
		hvt_case_set_param(c, HVT_MATRIX_KEY_PHASE, phase);
	free(name);
	return c;
}

static void add(struct fixture *f, struct hvt_case *c)
{
	struct hvt_err err = HVT_ERR_INIT;

	if (hvt_store_case_add(f->s, f->run, c, &err))
		fail_msg("storing %s: %s", c->name, err.msg);
	hvt_case_free(c);
}

/*
 * The run, by plan index (4 is not stored: its boot never ran):
 *  0 live install pc   pass      5 net boot q35     skip (its own reason)
 *  1 live boot pc      fail      6 win install q35  pass   } one cell,
 *  2 live boot q35     pass on   7 win install q35  fail   } two cases
 *                      attempt 2 8 no matrix keys   pass
 *  3 net install pc    error     9 a guest only     (problem)
 *                               10 phase "reboot"   (problem)
 */
static int setup(void **state)
{
	struct fixture *f = hvt_zalloc(sizeof(*f));
	struct hvt_run_info ri = { .plan = "suites/examples/matrix.cfg", .total = 11,
				   .pid = (int)getpid() };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_case *c;

	memcpy(f->dir, "/tmp/hvt-matrix-XXXXXX", 23);
	if (!mkdtemp(f->dir))
		return -1;
	f->s = hvt_store_open(f->dir, &err);
	if (!f->s || hvt_store_run_begin(f->s, &ri, &f->run, &err))
		return -1;

	c = mcase(0, LIVE, PC, "install");
	hvt_case_check(c, "summary screen", true, "matched");
	hvt_case_artifact(c, "screens/001-assert-summary-ok.png", "screens/001-assert-summary-ok.png");
	hvt_case_artifact(c, "console.log", "console.log");
	add(f, c);

	c = mcase(1, LIVE, PC, "boot");
	hvt_case_check(c, "login", false, "no login prompt after 300 s");
	hvt_case_artifact(c, "screens/001-assert-grub-ok.png", "screens/001-assert-grub-ok.png");
	hvt_case_artifact(c, "screens/002-assert-login-fail.png",
			  "screens/002-assert-login-fail.png");
	hvt_case_artifact(c, "screens/003-last-screen.png", "screens/003-last-screen.png");
	hvt_case_artifact(c, "video.mp4", "video.mp4");
	hvt_case_artifact(c, "vm/console.log", "vm/console.log");
	add(f, c);

	/* a rerun: the first attempt failed, the second passed */
	c = mcase(2, LIVE, Q35, "boot");
	hvt_case_check(c, "login", false, "timeout");
	add(f, c);
	c = mcase(2, LIVE, Q35, "boot");
	c->attempt = 2;
	c->flaky = true;
	hvt_case_check(c, "login", true, "ok");
	add(f, c);

	c = mcase(3, NET, PC, "install");
	hvt_case_error(c, "Download installer components: no .udeb in the archive");
	add(f, c);

	c = mcase(5, NET, Q35, "boot");
	hvt_case_skip(c, "no installed disk");
	add(f, c);

	c = mcase(6, WIN, Q35, "install");
	hvt_case_check(c, "setup", true, "ok");
	add(f, c);
	c = mcase(7, WIN, Q35, "install");
	hvt_case_check(c, "setup", false, "blue screen");
	hvt_case_artifact(c, "screens/004-last-screen.png", "/abs/004-last-screen.png");
	add(f, c);

	c = hvt_case_new("noop.plain", "plain", "noop");
	c->index = 8;
	c->attempt = 1;
	hvt_case_check(c, "noop", true, "ok");
	add(f, c);

	c = mcase(9, LIVE, NULL, NULL);
	hvt_case_check(c, "noop", true, "ok");
	add(f, c);
	c = mcase(10, LIVE, PC, "reboot");
	hvt_case_check(c, "noop", true, "ok");
	add(f, c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hvt_store_close(f->s);
	hvt_rm_rf(f->dir);
	free(f);
	return 0;
}

static struct hvt_matrix *load(struct fixture *f)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_matrix *m = NULL;

	if (hvt_matrix_from_store(f->s, f->run, &m, &err))
		fail_msg("matrix: %s", err.msg);
	return m;
}

static size_t guest_of(const struct hvt_matrix *m, const char *name)
{
	for (size_t g = 0; g < hvt_matrix_nguests(m); g++)
		if (!strcmp(hvt_matrix_guest(m, g), name))
			return g;
	fail_msg("no guest %s", name);
	return 0;
}

static size_t config_of(const struct hvt_matrix *m, const char *name)
{
	for (size_t k = 0; k < hvt_matrix_nconfigs(m); k++)
		if (!strcmp(hvt_matrix_config(m, k), name))
			return k;
	fail_msg("no configuration %s", name);
	return 0;
}

static const struct hvt_matrix_mark *cell(const struct hvt_matrix *m, const char *guest,
					  const char *config, enum hvt_matrix_phase p,
					  enum hvt_matrix_state want)
{
	const struct hvt_matrix_mark *k;
	enum hvt_matrix_state st = hvt_matrix_cell(m, guest_of(m, guest), config_of(m, config),
						   p, &k);

	if (st != want)
		fail_msg("%s %s %s: state %d, want %d", guest, config, hvt_matrix_phase_name(p),
			 (int)st, (int)want);
	return k;
}

static void test_build(void **state)
{
	struct hvt_matrix *m = load(*state);
	const struct hvt_matrix_mark *k;

	assert_int_equal(hvt_matrix_nguests(m), 3);
	assert_int_equal(hvt_matrix_nconfigs(m), 2);
	/* 0, 1, 2, 3, 5, 6, 7: not the plain case, not the two with wrong keys */
	assert_int_equal(hvt_matrix_ncases(m), 7);
	assert_string_equal(hvt_matrix_guest(m, 0), LIVE);
	assert_string_equal(hvt_matrix_config(m, 1), Q35);

	k = cell(m, LIVE, PC, HVT_MATRIX_INSTALL, HVT_MATRIX_RAN);
	assert_int_equal(k->outcome, HVT_PASS);
	assert_int_equal(k->pos, 1);
	assert_null(k->reason);
	assert_string_equal(k->screen, "screens/001-assert-summary-ok.png");
	assert_string_equal(k->console, "console.log");
	assert_null(k->video);

	/* the failing screen, not the first or the last one */
	k = cell(m, LIVE, PC, HVT_MATRIX_BOOT, HVT_MATRIX_RAN);
	assert_int_equal(k->outcome, HVT_FAIL);
	assert_int_equal(k->index, 1);
	assert_int_equal(k->pos, 2);
	assert_string_equal(k->reason, "login: no login prompt after 300 s");
	assert_string_equal(k->screen, "screens/002-assert-login-fail.png");
	assert_string_equal(k->video, "video.mp4");
	assert_string_equal(k->console, "vm/console.log");
	assert_string_equal(k->workdir, "/results/run-1/1.1");

	/* the last attempt counts */
	k = cell(m, LIVE, Q35, HVT_MATRIX_BOOT, HVT_MATRIX_RAN);
	assert_int_equal(k->outcome, HVT_PASS);
	assert_int_equal(k->attempts, 2);
	assert_true(k->flaky);
	assert_int_equal(k->ncases, 1);
	/* no install on q35, and the guest's install passed elsewhere */
	cell(m, LIVE, Q35, HVT_MATRIX_INSTALL, HVT_MATRIX_NONE);

	k = cell(m, NET, PC, HVT_MATRIX_INSTALL, HVT_MATRIX_RAN);
	assert_int_equal(k->outcome, HVT_ERROR);
	assert_int_equal(k->pos, 4);
	/* no boot case: not run, because of that install */
	k = cell(m, NET, PC, HVT_MATRIX_BOOT, HVT_MATRIX_NOT_RUN);
	assert_int_equal(k->index, 3);
	/* a boot case that skipped says so itself */
	k = cell(m, NET, Q35, HVT_MATRIX_BOOT, HVT_MATRIX_RAN);
	assert_int_equal(k->outcome, HVT_SKIP);
	assert_string_equal(k->reason, "no installed disk");
	cell(m, NET, Q35, HVT_MATRIX_INSTALL, HVT_MATRIX_NONE);

	/* two cases on one cell: the worst shows, with its own artifacts */
	k = cell(m, WIN, Q35, HVT_MATRIX_INSTALL, HVT_MATRIX_RAN);
	assert_int_equal(k->outcome, HVT_FAIL);
	assert_int_equal(k->index, 7);
	assert_int_equal(k->ncases, 2);
	assert_string_equal(k->screen, "/abs/004-last-screen.png");
	cell(m, WIN, Q35, HVT_MATRIX_BOOT, HVT_MATRIX_NOT_RUN);
	/* installed only on q35, failed there: no boot anywhere */
	k = cell(m, WIN, PC, HVT_MATRIX_BOOT, HVT_MATRIX_NOT_RUN);
	assert_int_equal(k->index, 7);
	cell(m, WIN, PC, HVT_MATRIX_INSTALL, HVT_MATRIX_NONE);

	assert_int_equal(hvt_matrix_nproblems(m), 2);
	assert_non_null(strstr(hvt_matrix_problem(m, 0), "case 9"));
	assert_non_null(strstr(hvt_matrix_problem(m, 0), "needed together"));
	assert_non_null(strstr(hvt_matrix_problem(m, 1), "'reboot' is not install or boot"));
	hvt_matrix_free(m);
}

/* The same pass and fail twice the other way round: the order does not matter. */
static void test_worst_any_order(void **state)
{
	struct hvt_matrix *m = hvt_matrix_new();
	struct hvt_case *a = mcase(0, WIN, PC, "install"), *b = mcase(1, WIN, PC, "install");
	const struct hvt_matrix_mark *k;

	hvt_case_check(a, "setup", false, "no disk");
	hvt_case_check(b, "setup", true, "ok");
	hvt_matrix_add(m, 1, a);
	hvt_matrix_add(m, 2, b);
	k = cell(m, WIN, PC, HVT_MATRIX_INSTALL, HVT_MATRIX_RAN);
	assert_int_equal(k->outcome, HVT_FAIL);
	assert_int_equal(k->pos, 1);
	assert_int_equal(k->ncases, 2);
	hvt_case_free(a);
	hvt_case_free(b);
	hvt_matrix_free(m);
}

static char *text_of(const struct hvt_matrix *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	hvt_matrix_text(m, f);
	fclose(f);
	return text;
}

static void test_text(void **state)
{
	struct hvt_matrix *m = load(*state);
	char *t = text_of(m);

	assert_non_null(strstr(t, "GUEST"));
	assert_non_null(strstr(t, PC));
	assert_non_null(strstr(t, "pass/fail"));		/* live on pc */
	assert_non_null(strstr(t, "error/not-run"));	/* netboot on pc */
	assert_non_null(strstr(t, "-/skip"));		/* netboot on q35 */
	assert_non_null(strstr(t, "fail/not-run"));	/* winxp on q35 */
	assert_non_null(strstr(t, "-/pass"));		/* live on q35 */
	assert_non_null(strstr(t, "not run: the install of " NET " failed (case 3: "
				  "Download installer components"));
	assert_non_null(strstr(t, "worst of 2 cases"));
	assert_non_null(strstr(t, "problem: case 10"));
	free(t);
	hvt_matrix_free(m);
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static struct json_object *jcell(struct json_object *doc, const char *guest, const char *config)
{
	struct json_object *cells = jget(doc, "cells");

	for (size_t i = 0; i < json_object_array_length(cells); i++) {
		struct json_object *c = json_object_array_get_idx(cells, i);

		if (!strcmp(json_object_get_string(jget(c, "guest")), guest) &&
		    !strcmp(json_object_get_string(jget(c, "config")), config))
			return c;
	}
	fail_msg("no cell %s %s", guest, config);
	return NULL;
}

static const char *jstr(struct json_object *o, const char *a, const char *b)
{
	return json_object_get_string(jget(jget(o, a), b));
}

static void test_json(void **state)
{
	struct fixture *f = *state;
	struct hvt_matrix *m = load(f);
	struct json_object *doc = hvt_matrix_json(m, f->run);
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *back, *c;

	/* it survives a round trip through text */
	back = hvt_json_parse(json_object_to_json_string(doc), &err);
	assert_non_null(back);
	assert_string_equal(json_object_get_string(jget(back, "format")), "hvtest-matrix");
	assert_int_equal(json_object_get_int(jget(back, "version")), HVT_MATRIX_JSON_VERSION);
	assert_int_equal(json_object_get_int64(jget(back, "run")), f->run);
	assert_int_equal(json_object_array_length(jget(back, "cells")), 6);
	assert_int_equal(json_object_array_length(jget(back, "problems")), 2);
	c = jcell(back, LIVE, PC);
	assert_string_equal(jstr(c, "install", "outcome"), "pass");
	assert_string_equal(jstr(c, "boot", "outcome"), "fail");
	assert_string_equal(jstr(c, "boot", "anchor"), "c2");
	assert_string_equal(jstr(c, "boot", "screen"), "screens/002-assert-login-fail.png");
	assert_string_equal(jstr(c, "boot", "video"), "video.mp4");
	assert_string_equal(jstr(c, "boot", "console"), "vm/console.log");
	c = jcell(back, NET, PC);
	assert_string_equal(jstr(c, "boot", "state"), "not-run");
	assert_int_equal(json_object_get_int(jget(jget(c, "boot"), "install_case")), 3);
	c = jcell(back, WIN, PC);
	assert_string_equal(jstr(c, "install", "state"), "none");
	c = jcell(back, LIVE, Q35);
	assert_int_equal(json_object_get_int(jget(jget(c, "boot"), "attempts")), 2);
	c = jcell(back, WIN, Q35);
	assert_int_equal(json_object_get_int(jget(jget(c, "install"), "cases")), 2);
	json_object_put(back);
	json_object_put(doc);
	hvt_matrix_free(m);
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * The run's page has the matrix, and every mark's link names a case
 * section of that page whose title is the case the mark is of.
 */
static void test_html_page(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	char *page = NULL;
	size_t len = 0, links = 0;
	FILE *out = open_memstream(&page, &len);
	const char *p;

	assert_int_equal(hvt_report_run(f->s, f->run, HVT_REPORT_HTML, NULL, out, &err), 0);
	fclose(out);
	assert_int_equal(count(page, "<table class=\"guest-matrix\""), 1);
	/* 7 cases ran on 6 marks, 3 boots not run, 2 cells empty */
	assert_int_equal(count(page, "<a class=\"mk "), 6);
	assert_int_equal(count(page, "data-outcome=\"not-run\""), 3);
	assert_int_equal(count(page, "class=\"mk none\""), 3);
	assert_non_null(strstr(page, "data-outcome=\"fail\" data-case=\"1\" href=\"#c2\""));
	assert_non_null(strstr(page, "href=\"file:///results/run-1/1.1/screens/"
				     "002-assert-login-fail.png\""));
	assert_non_null(strstr(page, "href=\"file:///results/run-1/1.1/video.mp4\""));
	assert_non_null(strstr(page, "href=\"file:///results/run-1/1.1/vm/console.log\""));
	assert_non_null(strstr(page, "href=\"file:///abs/004-last-screen.png\""));
	assert_non_null(strstr(page, "case 10"));
	for (p = strstr(page, "<a class=\"mk "); p; p = strstr(p + 1, "<a class=\"mk ")) {
		const char *h = strstr(p, "href=\"#c"), *t = strstr(p, "title=\"");
		char id[48], *name, *want;
		long pos;

		assert_non_null(h);
		pos = strtol(h + 8, NULL, 10);
		hvt_snprintf(id, sizeof(id), "<details id=\"c%ld\"", pos);
		name = hvt_strndup(t + 7, strcspn(t + 7, "\""));
		want = hvt_asprintf("</span> %s <span", name);
		h = strstr(page, id);
		if (!h || !strstr(h, want) || strstr(h, want) > strstr(h, "</summary>"))
			fail_msg("mark of %s: no section %s for it", name, id);
		free(want);
		free(name);
		links++;
	}
	assert_int_equal(links, 6);
	free(page);
}

/* On a server, artifacts link under its base; a page of its own links to the run page. */
static void test_html_links(void **state)
{
	struct hvt_matrix *m = load(*state);
	struct hvt_matrix_links server = { .artifact_base = "/u/m/r/a/" };
	struct hvt_matrix_links own = { .page = "file:///res/run-1/report.html" };
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_matrix_html(&b, m, &server);
	assert_non_null(strstr(b.p, "href=\"/u/m/r/a/1/screens/002-assert-login-fail.png\""));
	assert_non_null(strstr(b.p, "href=\"/u/m/r/a/1/vm/console.log\""));
	assert_null(strstr(b.p, "file://"));
	hvt_buf_release(&b);
	hvt_matrix_html_page(&b, m, "run 1 <matrix>", &own);
	assert_non_null(strstr(b.p, "<title>run 1 &lt;matrix&gt;</title>"));
	assert_non_null(strstr(b.p, "href=\"file:///res/run-1/report.html#c2\""));
	assert_int_equal(count(b.p, "href=\"file:///res/run-1/report.html#c"), 6);
	hvt_buf_release(&b);
	hvt_matrix_free(m);
}

/* No case with the keys: nothing drawn; a run that is not there: -ENOENT. */
static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct hvt_matrix *m = hvt_matrix_new();
	struct hvt_case *c = hvt_case_new("plain", "plain", "noop");
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_matrix *none = (struct hvt_matrix *)1;

	hvt_case_check(c, "noop", true, "ok");
	hvt_matrix_add(m, 1, c);
	assert_int_equal(hvt_matrix_ncases(m), 0);
	assert_int_equal(hvt_matrix_nproblems(m), 0);
	hvt_matrix_html(&b, m, NULL);
	assert_int_equal(b.len, 0);
	hvt_buf_release(&b);
	hvt_matrix_free(m);
	hvt_case_free(c);
	assert_int_equal(hvt_matrix_from_store(f->s, f->run + 100, &none, &err), -ENOENT);
	assert_null(none);
	assert_non_null(strstr(err.msg, "run"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build, setup, teardown),
		cmocka_unit_test(test_worst_any_order),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
