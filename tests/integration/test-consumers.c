// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest's outputs as their consumers take them. libhvtest installed (into
 * a temporary root) and used the README's way: a program and a test type
 * module built with "cc ... $(pkg-config --cflags --libs hvtest)". Runs of
 * that module -- one that passes, one resumed that fails, with names and
 * messages full of XML and TAP syntax -- read by prove (TAP 13), node's
 * tap-parser (TAP 14), xmllint against tests/data/junit.xsd and
 * junitparser (JUnit), python's json (JSON); what they read agrees with
 * "hvtest results show", and "hvtest results export" gives the same files.
 */
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvt-config.h"
#include "itest.h"

static char *tmpdir;	/* everything this test makes */
static char *root;	/* the install's DESTDIR */
static char *pcdir;	/* the installed hvtest.pc's directory */
static char *libdir;	/* the installed libhvtest.so's directory */
static char *module;	/* the test types, built against the installed library */
static char *plan;
static char *results;

/* A program that uses the library, as a user writes one. */
static const char program_c[] =
	"#include <stdio.h>\n"
	"#include <hvtest/hvtest.h>\n"
	"\n"
	"int main(void)\n"
	"{\n"
	"\tstruct hvt_case *c = hvt_case_new(\"demo.sum\", \"sum\", \"demo\");\n"
	"\tstruct json_object *o;\n"
	"\n"
	"\thvt_case_check(c, \"adds\", 1 + 1 == 2, \"1 + 1 = %d\", 1 + 1);\n"
	"\thvt_case_metric(c, \"answer\", 42, \"\");\n"
	"\to = hvt_case_to_json(c);\n"
	"\tprintf(\"%s %s\\n\", hvt_outcome_name(hvt_case_outcome(c)), hvt_json_str(o));\n"
	"\tjson_object_put(o);\n"
	"\thvt_case_free(c);\n"
	"\treturn 0;\n"
	"}\n";

/* Test types whose names and messages hold what could break a report. */
static const char types_c[] =
	"#include <unistd.h>\n"
	"#include <hvtest/hvtest.h>\n"
	"\n"
	"static void check_run(struct hvt_case *c, void *state)\n"
	"{\n"
	"\tbool ok = false;\n"
	"\n"
	"\thvt_case_param_bool(c, \"ok\", false, &ok, NULL);\n"
	"\thvt_case_check(c, \"boots <&>\", true, \"line 1\\nnot ok 2 - forged\\n<t> & \\\\ \\\"q\\\"\");\n"
	"\thvt_case_check(c, \"answer # TODO no\", ok,\n"
	"\t\t       \"expected <1> & got \\\"%d\\\"\\nnot ok 3 - forged # TODO no\", ok ? 1 : 2);\n"
	"\thvt_case_metric(c, \"tries\", 1, \"\");\n"
	"}\n"
	"\n"
	"static void skip_run(struct hvt_case *c, void *state)\n"
	"{\n"
	"\thvt_case_skip(c, \"needs <kvm> & # SKIP\\nnot ok 4 - forged\");\n"
	"}\n"
	"\n"
	"static void error_run(struct hvt_case *c, void *state)\n"
	"{\n"
	"\thvt_case_error(c, \"QEMU died: <signal 9> & \\\"gone\\\"\\nnot ok 5\");\n"
	"}\n"
	"\n"
	"static void hang_run(struct hvt_case *c, void *state)\n"
	"{\n"
	"\thvt_case_check(c, \"started\", true, \"then hangs\");\n"
	"\tfor (;;)\n"
	"\t\tpause();\n"
	"}\n"
	"\n"
	"static const struct hvt_test_type check_type = { .name = \"cn-check\", .run = check_run };\n"
	"static const struct hvt_test_type skip_type = { .name = \"cn-skip\", .run = skip_run };\n"
	"static const struct hvt_test_type error_type = { .name = \"cn-error\", .run = error_run };\n"
	"static const struct hvt_test_type hang_type = { .name = \"cn-hang\", .run = hang_run };\n"
	"HVT_TEST_TYPE(check_type)\n"
	"HVT_TEST_TYPE(skip_type)\n"
	"HVT_TEST_TYPE(error_type)\n"
	"HVT_TEST_TYPE(hang_type)\n";

static const char plan_cfg[] =
	"variants:\n"
	"    - consumers:\n"
	"        variants kind:\n"
	"            - pass:\n"
	"                type = cn-check\n"
	"                ok = yes\n"
	"            - fail:\n"
	"                type = cn-check\n"
	"                ok = no\n"
	"            - skip:\n"
	"                type = cn-skip\n"
	"            - xfail:\n"
	"                type = cn-check\n"
	"                ok = no\n"
	"                xfail = bug <42> & # not ok\n"
	"            - error:\n"
	"                type = cn-error\n"
	"            - timeout:\n"
	"                type = cn-hang\n"
	"                timeout = 2\n";

/* The outcomes of the plan's cases, in plan order. */
static const char *const plan_outcomes[] = { "pass", "fail", "skip", "xfail", "error", "timeout" };

/*
 * A tool of the test, where scripts/deps installs it: a missing one fails
 * the test, as a check that cannot run proves nothing. Caller frees.
 */
static char *need_tool(const char *name, const char *package)
{
	char *path = name[0] == '/' ? (access(name, X_OK) ? NULL : hvt_strdup(name))
				    : hvt_which(name);

	if (!path)
		fail_msg("%s not found: the Debian package %s is missing (sh scripts/deps "
			 "installs it)", name, package);
	return path;
}

/*
 * Run argv (extra env entries, in cwd when not NULL) within 120 s; *out
 * gets its stdout, *err_out its stderr (both freed by the caller). A
 * sanitizer's report in either fails the test. Returns the exit code, or
 * 128 + the signal.
 */
static int run_split(const char *const *argv, const char *const *env, const char *cwd,
		     char **out, char **err_out)
{
	char opath[] = "/tmp/hvt-cn-out-XXXXXX", epath[] = "/tmp/hvt-cn-err-XXXXXX";
	struct hvt_proc_opts o = { .argv = argv, .env = env, .cwd = cwd, .stdout_path = opath,
				   .stderr_path = epath };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;
	struct hvt_proc *p;
	int fd;

	fd = mkstemp(opath);
	assert_true(fd >= 0);
	close(fd);
	fd = mkstemp(epath);
	assert_true(fd >= 0);
	close(fd);
	p = hvt_proc_spawn(&o, &err);
	if (!p)
		fail_msg("%s: %s", argv[0], err.msg);
	if (hvt_proc_wait(p, 120000, &st))
		fail_msg("%s did not finish within 120 s", argv[0]);
	hvt_proc_free(p);
	itest_ok(hvt_file_read(opath, out, NULL, &err), &err);
	itest_ok(hvt_file_read(epath, err_out, NULL, &err), &err);
	unlink(opath);
	unlink(epath);
	if (strstr(*err_out, "LeakSanitizer") || strstr(*err_out, "AddressSanitizer") ||
	    strstr(*err_out, "runtime error: "))
		fail_msg("%s: the sanitizers found a defect:\n%s", argv[0], *err_out);
	return st.exited ? st.code : 128 + st.sig;
}

/* What the README's "$(pkg-config --cflags --libs hvtest)" needs: the installed .pc. */
static char *pkg_env(void)
{
	return hvt_asprintf("PKG_CONFIG_PATH=%s", pcdir);
}

/*
 * "cc ARGS $(pkg-config --cflags --libs hvtest)" in tmpdir, word for word
 * as the README and docs/RUNNER.md give it; so through the shell, which is
 * what expands it for a user.
 */
static void cc_readme(const char *args)
{
	char *cmd = hvt_asprintf("cc %s $(pkg-config --cflags --libs hvtest)", args);
	char *env = pkg_env(), *out = NULL, *errout = NULL;
	int rc;

	rc = run_split((const char *const[]){ "sh", "-c", cmd, NULL },
		       (const char *const[]){ env, NULL }, tmpdir, &out, &errout);
	if (rc)
		fail_msg("%s: exit %d\n%s%s", cmd, rc, out, errout);
	free(out);
	free(errout);
	free(env);
	free(cmd);
}

/* The directory of the first file called name under dir, or NULL. */
static const char *find_name;
static char *found_dir;

static int find_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;

	if ((type == FTW_F || type == FTW_SL) && !strcmp(base, find_name)) {
		found_dir = hvt_strndup(path, (size_t)ftw->base - 1);
		return 1;
	}
	return 0;
}

static char *find_dir_of(const char *dir, const char *name)
{
	find_name = name;
	found_dir = NULL;
	nftw(dir, find_cb, 16, FTW_PHYS);
	return found_dir;
}

/*
 * Install the build into tmpdir/root (meson install --destdir) and move
 * hvtest.pc's prefix there, as a package unpacked elsewhere is relocated:
 * pkg-config then gives that root's include and library directories.
 */
static void install_library(void)
{
	char *meson = need_tool("meson", "meson"), *out = NULL, *errout = NULL, *pc, *text = NULL;
	const char *builddir = getenv("HVT_BUILDDIR");
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf b = HVT_BUF_INIT;
	int rc;

	assert_non_null(builddir);
	root = hvt_asprintf("%s/root", tmpdir);
	rc = run_split((const char *const[]){ meson, "install", "-C", builddir, "--no-rebuild",
					      "--destdir", root, "--quiet", NULL },
		       NULL, NULL, &out, &errout);
	if (rc)
		fail_msg("meson install: exit %d\n%s%s", rc, out, errout);
	free(out);
	free(errout);
	pcdir = find_dir_of(root, "hvtest.pc");
	libdir = find_dir_of(root, "libhvtest.so");
	if (!pcdir || !libdir)
		fail_msg("no hvtest.pc or libhvtest.so installed under %s", root);
	pc = hvt_asprintf("%s/hvtest.pc", pcdir);
	itest_ok(hvt_file_read(pc, &text, NULL, &err), &err);
	assert_true(!strncmp(text, "prefix=", 7));
	hvt_buf_addf(&b, "prefix=%s%s", root, text + 7);
	itest_ok(hvt_file_write(pc, b.p, b.len, &err), &err);
	hvt_buf_release(&b);
	free(text);
	free(pc);
	free(meson);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/hvt-consumers-XXXXXX";
	struct hvt_err err = HVT_ERR_INIT;

	if (!mkdtemp(tmpl))
		return -1;
	tmpdir = hvt_strdup(tmpl);
	results = hvt_asprintf("%s/results", tmpdir);
	plan = hvt_asprintf("%s/consumers.cfg", tmpdir);
	module = hvt_asprintf("%s/types.so", tmpdir);
	if (hvt_file_write(plan, plan_cfg, strlen(plan_cfg), &err))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	free(tmpdir);
	free(root);
	free(pcdir);
	free(libdir);
	free(module);
	free(plan);
	free(results);
	return 0;
}

/*
 * The README's way: after an install, a program that includes
 * <hvtest/hvtest.h> builds with "cc my-test.c $(pkg-config --cflags --libs
 * hvtest)" and runs; and a test type module builds as docs/RUNNER.md says.
 */
static void test_c_api(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *src = hvt_asprintf("%s/my-test.c", tmpdir), *exe = hvt_asprintf("%s/a.out", tmpdir);
	char *ldpath = NULL, *asan, *out = NULL, *errout = NULL, *types;
	const char *asan_now = getenv("ASAN_OPTIONS");
	int rc;

	install_library();
	itest_ok(hvt_file_write(src, program_c, strlen(program_c), &err), &err);
	cc_readme("my-test.c");
	ldpath = hvt_asprintf("LD_LIBRARY_PATH=%s", libdir);
	/*
	 * In a sanitized build the library carries the sanitizer runtimes,
	 * which then come after the program's libc: allowed here.
	 */
	asan = hvt_asprintf("ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan_now ? asan_now : "",
			    asan_now && *asan_now ? ":" : "");
	rc = run_split((const char *const[]){ exe, NULL }, (const char *const[]){ ldpath, asan, NULL },
		       tmpdir, &out, &errout);
	if (rc || strncmp(out, "pass {\"name\":\"demo.sum\"", 23) || !strstr(out, "\"answer\""))
		fail_msg("the program built against the installed library: exit %d\n%s%s", rc,
			 out, errout);
	free(out);
	free(errout);

	types = hvt_asprintf("%s/types.c", tmpdir);
	itest_ok(hvt_file_write(types, types_c, strlen(types_c), &err), &err);
	cc_readme("-shared -fPIC -o types.so types.c");
	assert_true(hvt_path_exists(module));
	free(types);
	free(asan);
	free(ldpath);
	free(exe);
	free(src);
}

/* hvtest run ARGS... with the module and the results directory; stdout apart. */
static int run_plan(const char *const *args, char **out)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	char *errout = NULL;
	int rc;

	if (!hvt_path_exists(module))
		fail_msg("no test type module (the C API test failed)");
	hvt_strv_push(&argv, itest_hvtest());
	hvt_strv_pushv(&argv, (const char *const[]){ "run", "--results", results, "--module",
						     module, "-j", "1", NULL });
	hvt_strv_pushv(&argv, args);
	rc = run_split((const char *const *)argv.v, NULL, NULL, out, &errout);
	free(errout);
	hvt_strv_release(&argv);
	return rc;
}

/* hvtest results ARGS...: stdout. */
static int results_cmd(const char *const *args, char **out)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	char *errout = NULL;
	int rc;

	hvt_strv_push(&argv, itest_hvtest());
	hvt_strv_pushv(&argv, (const char *const[]){ "results", "--results", results, NULL });
	hvt_strv_pushv(&argv, args);
	rc = run_split((const char *const *)argv.v, NULL, NULL, out, &errout);
	if (rc)
		fail_msg("hvtest results: exit %d\n%s", rc, errout);
	free(errout);
	hvt_strv_release(&argv);
	return rc;
}

static char *read_file(const char *path)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *text = NULL;

	itest_ok(hvt_file_read(path, &text, NULL, &err), &err);
	return text;
}

/* The same bytes, or the test fails naming both. */
static void assert_same(const char *what, const char *a, const char *b)
{
	if (strcmp(a, b))
		fail_msg("%s differ:\n--- written by the run\n%s\n--- exported\n%s", what, a, b);
}

/* prove on a saved TAP file: its exit status, its summary in *out. */
static int prove(const char *tap, char **out)
{
	char *prove_bin = need_tool("prove", "perl"), *errout = NULL;
	int rc = run_split((const char *const[]){ prove_bin, "-v", "-e", "cat", tap, NULL }, NULL,
			   NULL, out, &errout);

	free(errout);
	free(prove_bin);
	return rc;
}

static void write_text(const char *path, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;

	itest_ok(hvt_file_write(path, text, strlen(text), &err), &err);
}

/* xmllint against tests/data/junit.xsd. */
static void schema_ok(const char *xml)
{
	char *xmllint = need_tool("xmllint", "libxml2-utils"), *out = NULL, *errout = NULL;
	char *xsd = hvt_asprintf("%s/tests/data/junit.xsd", HVT_SRCDIR);
	int rc = run_split((const char *const[]){ xmllint, "--noout", "--schema", xsd, xml, NULL },
			   NULL, NULL, &out, &errout);

	if (rc)
		fail_msg("%s breaks tests/data/junit.xsd:\n%s", xml, errout);
	free(out);
	free(errout);
	free(xsd);
	free(xmllint);
}

/* junitparser's reading of a JUnit file (tests/data/junit-read.py). */
static struct json_object *junitparser(const char *xml)
{
	char *py = need_tool(access("/usr/bin/python3", X_OK) ? "python3" : "/usr/bin/python3",
			     "python3");
	char *script = hvt_asprintf("%s/tests/data/junit-read.py", HVT_SRCDIR);
	char *out = NULL, *errout = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc;
	int rc = run_split((const char *const[]){ py, script, xml, NULL }, NULL, NULL, &out,
			   &errout);

	if (rc)
		fail_msg("junitparser cannot read %s (exit %d):\n%s", xml, rc, errout);
	doc = hvt_json_parse(out, &err);
	if (!doc)
		fail_msg("junit-read.py: %s\n%s", err.msg, out);
	free(out);
	free(errout);
	free(script);
	free(py);
	return doc;
}

/* A JUnit test case's outcome, as hvtest's outcomes map onto JUnit's. */
static const char *junit_outcome(struct json_object *c)
{
	const char *kind = hvt_json_get_str(c, "result.0.kind");
	const char *type = hvt_json_get_str(c, "result.0.type");

	if (!kind)
		return "pass";
	if (!strcmp(kind, "skipped"))
		return type && !strcmp(type, "xfail") ? "xfail" : "skip";
	if (!strcmp(kind, "failure"))
		return type && !strcmp(type, "xpass") ? "xpass" : "fail";
	return type && !strcmp(type, "timeout") ? "timeout" : "error";
}

static void assert_split(struct json_object *c, const char *name)
{
	char *full = hvt_asprintf("%s.%s", hvt_json_get_str(c, "classname"),
				  hvt_json_get_str(c, "name"));

	assert_string_equal(full, name);
	free(full);
}

/*
 * junitparser's reading agrees with "hvtest results show RUN": the same
 * cases in the same order with the same outcomes, counts that add up, and
 * each case's work directory where show says it is.
 */
static void junit_agrees(const char *xml, const char *run, size_t ncases)
{
	struct json_object *doc = junitparser(xml), *suite = hvt_json_get(doc, "suites.0");
	char *show = NULL, *line, *save = NULL, key[64];
	size_t i = 0;

	assert_non_null(suite);
	assert_true(json_object_equal(hvt_json_get(suite, "declared"),
				      hvt_json_get(suite, "counted")));
	results_cmd((const char *const[]){ "show", run, NULL }, &show);
	for (line = strtok_r(show, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char outcome[16], name[256];
		long idx;
		struct json_object *c;
		const char *sysout;

		if (sscanf(line, "%15s %ld %255s", outcome, &idx, name) != 3 ||
		    hvt_outcome_parse(outcome, &(enum hvt_outcome){ 0 }))
			continue;
		hvt_snprintf(key, sizeof(key), "cases.%zu", i++);
		c = hvt_json_get(suite, key);
		if (!c)
			fail_msg("results show has %s, the JUnit file has no case %zu", name, i);
		if (strcmp(hvt_json_get_str(c, "properties.case"), name) ||
		    strcmp(junit_outcome(c), outcome))
			fail_msg("results show: %s %s; junitparser: %s %s", outcome, name,
				 junit_outcome(c), hvt_json_get_str(c, "properties.case"));
		/* classname and name are the case's name, split at its last '.' */
		assert_split(c, name);
		sysout = hvt_json_get_str(c, "system_out");
		assert_non_null(sysout);
		assert_non_null(strstr(sysout, "work directory: "));
		assert_non_null(strstr(sysout, "[[ATTACHMENT|"));
	}
	assert_int_equal(i, ncases);
	assert_int_equal(hvt_json_get_int(suite, "declared.tests", 0), (int64_t)ncases);
	free(show);
	json_object_put(doc);
}

/*
 * A run that passes (a pass, a skip, an expected failure): prove passes
 * it; the streamed TAP and the JUnit file are what "results export" gives
 * later; the JUnit file meets the schema and junitparser agrees with
 * "results show".
 */
static void test_passing_run(void **state)
{
	char *junit = hvt_asprintf("%s/pass.xml", tmpdir), *tap = hvt_asprintf("%s/pass.tap", tmpdir);
	char *out = NULL, *exported = NULL, *xml, *xml2;
	int rc;

	rc = run_plan((const char *const[]){ "--tap", "--junit", junit, plan,
					     "only pass, skip, xfail", NULL },
		      &out);
	if (rc)
		fail_msg("a run of a pass, a skip and an expected failure failed: exit %d\n%s", rc,
			 out);
	write_text(tap, out);
	assert_true(!strncmp(out, "TAP version 13\n1..3\n", 20));
	results_cmd((const char *const[]){ "export", "latest", "--tap", NULL }, &exported);
	assert_same("TAP streamed and exported", out, exported);
	free(exported);
	free(out);

	/* prove, as a user runs it */
	rc = prove(tap, &out);
	if (rc || !strstr(out, "Result: PASS") || !strstr(out, "Tests=3,") ||
	    strstr(out, "Parse errors"))
		fail_msg("prove exited %d on a passing run:\n%s", rc, out);
	free(out);

	schema_ok(junit);
	xml = read_file(junit);
	xml2 = hvt_asprintf("%s/pass-exported.xml", tmpdir);
	results_cmd((const char *const[]){ "export", "latest", "--junit", xml2, NULL }, &out);
	free(out);
	out = read_file(xml2);
	assert_same("JUnit written and exported", xml, out);
	free(out);
	junit_agrees(junit, "latest", 3);
	free(xml2);
	free(xml);
	free(tap);
	free(junit);
}

/* tap-parser (TAP 14) on an exported stream: exit status, counts, subtests. */
static void tap14_reads(const char *tap, size_t ncases, bool passing)
{
	char *parser = need_tool("tap-parser", "node-tap-parser"), *out = NULL, *errout = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc, *complete = NULL;
	size_t asserts = 0, children = 0;
	struct hvt_strv argv = HVT_STRV_INIT;
	int rc;

	/* it reads stdin: through the shell's redirection, the file named as an argument */
	hvt_strv_pushv(&argv, (const char *const[]){ "sh", "-c", "exec \"$0\" -j 0 < \"$1\"",
						     parser, tap, NULL });
	rc = run_split((const char *const *)argv.v,
		       (const char *const[]){ "NODE_PATH=/usr/share/nodejs", NULL }, NULL, &out,
		       &errout);
	hvt_strv_release(&argv);
	if (rc != (passing ? 0 : 1))
		fail_msg("tap-parser exited %d:\n%s%s", rc, out, errout);
	doc = hvt_json_parse(out, &err);
	if (!doc)
		fail_msg("tap-parser: %s\n%s", err.msg, out);
	for (size_t k = 0; k < json_object_array_length(doc); k++) {
		struct json_object *e = json_object_array_get_idx(doc, k);
		const char *kind = json_object_get_string(json_object_array_get_idx(e, 0));
		struct json_object *a = json_object_array_get_idx(e, 1);

		if (!strcmp(kind, "child"))
			children++;
		if (!strcmp(kind, "complete"))
			complete = a;
		if (strcmp(kind, "assert"))
			continue;
		/* every test point with its diagnostics: outcome and work directory */
		assert_non_null(hvt_json_get_str(a, "diag.outcome"));
		assert_non_null(hvt_json_get_str(a, "diag.workdir"));
		if (!strcmp(hvt_json_get_str(a, "diag.outcome"), "fail")) {
			assert_string_equal(hvt_json_get_str(a, "diag.failed.0.message"),
					    "expected <1> & got \"2\"\nnot ok 3 - forged # TODO no");
			assert_string_equal(hvt_json_get_str(a, "name"), "consumers.(kind=fail)");
		}
		if (!strcmp(hvt_json_get_str(a, "diag.outcome"), "xfail"))
			assert_string_equal(hvt_json_get_str(a, "todo"), "bug <42> & # not ok");
		asserts++;
	}
	assert_int_equal(asserts, ncases);
	assert_true(children > 0);
	assert_non_null(complete);
	assert_int_equal(hvt_json_get_int(complete, "count", 0), (int64_t)ncases);
	assert_int_equal(hvt_json_get_bool(complete, "ok", !passing), passing);
	json_object_put(doc);
	free(out);
	free(errout);
	free(parser);
}

/*
 * A run that fails, finished by --resume: its JUnit and JSON hold all six
 * cases and are what "results export" gives; prove fails the exported TAP
 * 13 on the right test points, tap-parser the exported TAP 14; junitparser
 * agrees with "results show"; python's json reads the JSON.
 */
static void test_resumed_failing_run(void **state)
{
	char *junit = hvt_asprintf("%s/fail.xml", tmpdir), *tap = hvt_asprintf("%s/fail.tap", tmpdir);
	char *tap14 = hvt_asprintf("%s/fail14.tap", tmpdir);
	char *json = NULL, *out = NULL, *exported = NULL, *xml2, *py;
	int rc;

	/* the first two cases, then the rest into the same run */
	rc = run_plan((const char *const[]){ plan, "only pass, fail", NULL }, &out);
	assert_int_equal(rc, 1);
	free(out);
	rc = run_plan((const char *const[]){ "--resume", "latest", "--json", "--junit", junit, plan,
					     NULL },
		      &json);
	if (rc != 1)
		fail_msg("the resumed run with a failure, an error and a timeout: exit %d\n%s", rc,
			 json);

	/* JSON: all six cases, the same document later */
	results_cmd((const char *const[]){ "export", "latest", "--json", NULL }, &exported);
	assert_same("JSON written and exported", json, exported);
	free(exported);
	{
		struct hvt_err err = HVT_ERR_INIT;
		struct json_object *doc = hvt_json_parse(json, &err);
		char key[32];

		if (!doc)
			fail_msg("%s", err.msg);
		assert_string_equal(hvt_json_get_str(doc, "format"), "hvtest-run");
		assert_int_equal(hvt_json_get_int(doc, "version", 0), 1);
		assert_int_equal(json_object_array_length(hvt_json_get(doc, "cases")), 6);
		for (size_t i = 0; i < 6; i++) {
			hvt_snprintf(key, sizeof(key), "cases.%zu.outcome", i);
			assert_string_equal(hvt_json_get_str(doc, key), plan_outcomes[i]);
		}
		json_object_put(doc);
	}
	py = need_tool(access("/usr/bin/python3", X_OK) ? "python3" : "/usr/bin/python3", "python3");
	{
		char *path = hvt_asprintf("%s/fail.json", tmpdir), *errout = NULL;

		write_text(path, json);
		rc = run_split((const char *const[]){ py, "-c",
						      "import json, sys\n"
						      "def refuse(c):\n"
						      "    sys.exit('not JSON: ' + c)\n"
						      "d = json.load(open(sys.argv[1]), "
						      "parse_constant=refuse)\n"
						      "print(d['counts']['cases'], d['cases'][1]"
						      "['checks'][1]['message'].count('\\n'))\n",
						      path, NULL },
			       NULL, NULL, &out, &errout);
		if (rc || strcmp(out, "6 1\n"))
			fail_msg("python's json: exit %d\n%s%s", rc, out, errout);
		free(out);
		free(errout);
		free(path);
	}
	free(py);
	free(json);

	/* JUnit: the schema, the same file later, junitparser agrees with show */
	schema_ok(junit);
	xml2 = hvt_asprintf("%s/fail-exported.xml", tmpdir);
	results_cmd((const char *const[]){ "export", "latest", "--junit", xml2, NULL }, &out);
	free(out);
	out = read_file(junit);
	exported = read_file(xml2);
	assert_same("JUnit written and exported", out, exported);
	free(exported);
	free(out);
	junit_agrees(junit, "latest", 6);
	{
		struct json_object *doc = junitparser(junit);
		struct json_object *fail = hvt_json_get(doc, "suites.0.cases.1");

		/* the first failed check is the message, every check in the body */
		assert_string_equal(hvt_json_get_str(fail, "classname"), "consumers");
		assert_string_equal(hvt_json_get_str(fail, "name"), "(kind=fail)");
		assert_string_equal(hvt_json_get_str(fail, "result.0.message"),
				    "answer # TODO no: expected <1> & got \"2\"\n"
				    "not ok 3 - forged # TODO no");
		assert_non_null(strstr(hvt_json_get_str(fail, "result.0.text"),
				       "[pass] boots <&>: line 1\nnot ok 2 - forged\n<t> & \\ \"q\"\n"));
		assert_string_equal(hvt_json_get_str(doc, "suites.0.cases.2.result.0.message"),
				    "needs <kvm> & # SKIP\nnot ok 4 - forged");
		assert_string_equal(hvt_json_get_str(doc, "suites.0.cases.3.result.0.message"),
				    "expected failure: bug <42> & # not ok");
		assert_string_equal(hvt_json_get_str(doc, "suites.0.cases.4.result.0.message"),
				    "QEMU died: <signal 9> & \"gone\"\nnot ok 5");
		assert_string_equal(hvt_json_get_str(doc, "suites.0.cases.5.result.0.type"),
				    "timeout");
		json_object_put(doc);
	}
	free(xml2);

	/* TAP 13 exported: prove fails the fail, the error and the timeout, no more */
	results_cmd((const char *const[]){ "export", "latest", "--tap", tap, NULL }, &out);
	free(out);
	rc = prove(tap, &out);
	if (rc != 1 || !strstr(out, "Failed tests:  2, 5-6\n") || !strstr(out, "Tests=6,") ||
	    !strstr(out, "Result: FAIL") || strstr(out, "Parse errors"))
		fail_msg("prove exited %d on the failing run:\n%s", rc, out);
	free(out);

	/* TAP 14 exported: tap-parser reads the subtests and fails it too */
	results_cmd((const char *const[]){ "export", "latest", "--tap", "--tap-version", "14",
					   tap14, NULL },
		    &out);
	free(out);
	out = read_file(tap14);
	assert_true(!strncmp(out, "TAP version 14\n1..6\n", 20));
	free(out);
	tap14_reads(tap14, 6, false);
	free(tap14);
	free(tap);
	free(junit);
}

/* The passing run's TAP 14 export: tap-parser passes it. */
static void test_tap14_passing(void **state)
{
	char *tap14 = hvt_asprintf("%s/pass14.tap", tmpdir), *out = NULL;

	results_cmd((const char *const[]){ "export", "1", "--tap", "--tap-version=14", tap14,
					   NULL },
		    &out);
	free(out);
	tap14_reads(tap14, 3, true);
	free(tap14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_api),
		cmocka_unit_test(test_passing_run),
		cmocka_unit_test(test_resumed_failing_run),
		cmocka_unit_test(test_tap14_passing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
