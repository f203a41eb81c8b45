// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Report writers: TAP line by line, JUnit XML counts and escaping (parsed
 * by python3's xml.etree when there is one), the JSON document, the HTML
 * page; expected failures and unexpected passes in each. Then the real
 * consumers on what the writers make of awkward records: prove and
 * Test::Harness's parser (TAP 13), node's tap-parser (TAP 14), xmllint
 * with tests/data/junit.xsd and junitparser (JUnit), python's json; and a
 * stored run written whole, as "hvtest results export" does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvt-config.h"
#include "proc.h"
#include "report.h"

/* Five cases, one per outcome, with awkward names. */
static struct hvt_case **make_cases(size_t *n)
{
	struct hvt_case **v = hvt_zalloc(5 * sizeof(*v));
	struct hvt_case *c;

	c = v[0] = hvt_case_new("a.pass", "pass", "exec");
	hvt_case_check(c, "boots", true, "agent after 800 ms");
	hvt_case_metric(c, "boot_ms", 800, "ms");
	c->duration = 2.5;
	c->workdir = hvt_strdup("/tmp/w/a");

	c = v[1] = hvt_case_new("b.fail#1 \\x", "fail", "exec");
	hvt_case_check(c, "boots", true, NULL);
	hvt_case_check(c, "echo", false, "got 'hellp'");
	hvt_case_check_skip(c, "hotplug", "no slot # none");
	c->duration = 1;

	c = v[2] = hvt_case_new("c.skip", "skip", "exec");
	hvt_case_skip(c, "no /dev/kvm");

	c = v[3] = hvt_case_new("d.timeout", "timeout", "balloon");
	hvt_case_check(c, "boots", true, NULL);
	c->timed_out = true;
	c->reason = hvt_strdup("no result after 30 s");
	c->duration = 30;

	c = v[4] = hvt_case_new("e.<&>\"'\x01\x1b[31m\xff-name", "error", "");
	hvt_case_error(c, "QEMU died: <signal 9> & \"gone\"\x02");
	*n = 5;
	return v;
}

/*
 * Cases with an xfail reason: one that fails as expected, one that passes
 * (the bug is gone) and one that errored (no verdict on the bug).
 */
static struct hvt_case **make_xcases(size_t *n)
{
	struct hvt_case **v = hvt_zalloc(3 * sizeof(*v));
	struct hvt_case *c;

	c = v[0] = hvt_case_new("f.known", "known", "qtest-rtc");
	hvt_case_set_xfail(c, "bug 42: <lost> irq");
	hvt_case_check(c, "irq", false, "0 of 1 interrupts");
	c->duration = 1;

	c = v[1] = hvt_case_new("f.fixed", "fixed", "qtest-rtc");
	hvt_case_set_xfail(c, "bug 7");
	hvt_case_check(c, "irq", true, "1 of 1 interrupts");
	c->duration = 1;

	c = v[2] = hvt_case_new("f.broken", "broken", "qtest-rtc");
	hvt_case_set_xfail(c, "bug 9");
	hvt_case_error(c, "QEMU missing");
	*n = 3;
	return v;
}

static void free_cases(struct hvt_case **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hvt_case_free(v[i]);
	free(v);
}

/* Write the cases make() makes with a writer of fmt; returns the output (free it). */
static char *render_of(enum hvt_report_format fmt, long ncases,
		       struct hvt_case **(*make)(size_t *n))
{
	struct hvt_run_info ri = { .id = 7, .started = 1790000000, .plan = "suites/smoke.cfg",
				   .filters = "type=exec", .total = 5, .exit_status = 1 };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_report *r;
	struct hvt_case **v;
	char *out = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	ri.host.hostname = "box<1>";
	ri.host.qemu_version = "7.2.0";
	v = make(&n);
	r = hvt_report_new(fmt, f, NULL);
	assert_int_equal(hvt_report_begin(r, &ri, ncases, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hvt_report_case(r, v[i], &err), 0);
	assert_int_equal(hvt_report_end(r, &err), 0);
	assert_int_equal(hvt_report_case(r, v[0], &err), -EINVAL);
	hvt_report_free(r);
	free_cases(v, n);
	fclose(f);
	return out;
}

static char *render(enum hvt_report_format fmt, long ncases)
{
	return render_of(fmt, ncases, make_cases);
}

/* Split into lines (the buffer is modified). */
static size_t split_lines(char *s, char **lines, size_t max)
{
	size_t n = 0;
	char *p = s, *nl;

	while (*p && n < max) {
		lines[n++] = p;
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
	return n;
}

static size_t find_line(char **lines, size_t n, size_t from, const char *want)
{
	for (size_t i = from; i < n; i++)
		if (!strcmp(lines[i], want))
			return i;
	fail_msg("no line '%s' after line %zu", want, from);
	return 0;
}

static void check_tap(char *out, bool plan_first)
{
	char *lines[256] = { NULL };
	size_t n = split_lines(out, lines, HVT_ARRAY_SIZE(lines)), i;
	long expect = 1;

	assert_string_equal(lines[0], "TAP version 13");
	if (plan_first)
		assert_string_equal(lines[1], "1..5");
	/* every top-level test point, numbered 1..N in order, each with a YAML block */
	for (i = 0; i < n; i++) {
		long num;
		char *p = lines[i];

		if (!strncmp(p, "ok ", 3))
			p += 3;
		else if (!strncmp(p, "not ok ", 7))
			p += 7;
		else
			continue;
		num = strtol(p, &p, 10);
		assert_int_equal(num, expect);
		assert_true(!strncmp(p, " - ", 3));
		assert_true(i + 1 < n);
		assert_string_equal(lines[i + 1], "  ---");
		expect++;
	}
	assert_int_equal(expect, 6);
	if (!plan_first)
		find_line(lines, n, 0, "1..5");

	i = find_line(lines, n, 0, "# Subtest: a.pass");
	assert_string_equal(lines[i + 1], "    1..1");
	assert_string_equal(lines[i + 2], "    ok 1 - boots");
	i = find_line(lines, n, i, "ok 1 - a.pass");
	assert_string_equal(lines[i + 2], "  outcome: pass");
	i = find_line(lines, n, i, "    - name: \"boot_ms\"");
	assert_string_equal(lines[i + 1], "      value: 800");
	assert_string_equal(lines[i + 2], "      unit: \"ms\"");
	find_line(lines, n, i, "  workdir: \"/tmp/w/a\"");

	i = find_line(lines, n, i, "    1..3");
	assert_string_equal(lines[i + 1], "    ok 1 - boots");
	assert_string_equal(lines[i + 2], "    not ok 2 - echo");
	assert_string_equal(lines[i + 3], "      ---");
	assert_string_equal(lines[i + 4], "      message: \"got 'hellp'\"");
	assert_string_equal(lines[i + 6], "      ...");
	assert_string_equal(lines[i + 7], "    ok 3 - hotplug # SKIP no slot # none");
	/* '#' and '\' in a description are escaped */
	i = find_line(lines, n, i, "not ok 2 - b.fail\\#1 \\\\x");
	/* the first failed check is the message; every failed one follows */
	assert_string_equal(lines[i + 2], "  message: \"echo: got 'hellp'\"");
	assert_string_equal(lines[i + 3], "  outcome: fail");
	i = find_line(lines, n, i, "    - name: \"echo\"");
	assert_string_equal(lines[i + 1], "      message: \"got 'hellp'\"");

	i = find_line(lines, n, i, "ok 3 - c.skip # SKIP no /dev/kvm");
	i = find_line(lines, n, i, "not ok 4 - d.timeout");
	assert_string_equal(lines[i + 2], "  message: \"no result after 30 s\"");
	assert_string_equal(lines[i + 3], "  outcome: timeout");
	assert_string_equal(lines[i + 4], "  reason: \"no result after 30 s\"");
	/* control characters never reach the stream raw, nor invalid UTF-8 */
	i = find_line(lines, n, i, "not ok 5 - e.<&>\"'  [31m\xef\xbf\xbd-name");
	assert_string_equal(lines[i + 2], "  message: \"QEMU died: <signal 9> & \\\"gone\\\"\\x02\"");
	assert_string_equal(lines[i + 3], "  outcome: error");
	find_line(lines, n, i, "# pass 1, fail 1, error 1, skip 1, timeout 1, xfail 0, xpass 0");
}

static void test_tap(void **state)
{
	char *out = render(HVT_REPORT_TAP, 5);

	check_tap(out, true);
	free(out);
	out = render(HVT_REPORT_TAP, -1);
	check_tap(out, false);
	free(out);
}

static void test_xml_escape(void **state)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_report_xml_escape(&b, "<&>\"'\t\n\r\x01\x7f|\xc3\xa9|\xe2\x82\xac|\xf0\x9f\x98\x80|"
				  "\xff|\xc3|\xed\xa0\x80|\xef\xbf\xbe|\xc0\xaf");
	assert_string_equal(b.p, "&lt;&amp;&gt;&quot;&apos;&#9;&#10;&#13;\xef\xbf\xbd\xef\xbf\xbd|"
				 "\xc3\xa9|\xe2\x82\xac|\xf0\x9f\x98\x80|\xef\xbf\xbd|\xef\xbf\xbd|"
				 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd"
				 "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd");
	hvt_buf_release(&b);
	hvt_report_xml_escape(&b, NULL);
	assert_int_equal(b.len, 0);
	hvt_buf_release(&b);
}

/* No raw control character other than newline anywhere. */
static void assert_no_controls(const char *out)
{
	for (const char *p = out; *p; p++)
		assert_true(*p == '\n' || (unsigned char)*p >= 0x20);
}

static void test_junit(void **state)
{
	char *out = render(HVT_REPORT_JUNIT, 5);

	assert_true(!strncmp(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 50));
	assert_non_null(strstr(out, "<testsuite name=\"suites/smoke.cfg\" tests=\"5\" "
				    "failures=\"1\" errors=\"2\" skipped=\"1\" time=\"33.500\""));
	assert_non_null(strstr(out, " hostname=\"box&lt;1&gt;\""));
	/* classname and name from the case's name, split at its last '.' */
	assert_non_null(strstr(out, "<testcase classname=\"a\" name=\"pass\" time=\"2.500\">"));
	assert_non_null(strstr(out, "<property name=\"case\" value=\"a.pass\"/>"));
	assert_non_null(strstr(out, "<property name=\"metric.boot_ms\" value=\"800 ms\"/>"));
	/* the first failed check is the message, every check is in the body */
	assert_non_null(strstr(out, "<failure type=\"fail\" message=\"echo: got &apos;hellp&apos;\">"
				    "[pass] boots\n[fail] echo: got &apos;hellp&apos;\n"
				    "[skip] hotplug: no slot # none\n</failure>"));
	assert_non_null(strstr(out, "<skipped message=\"no /dev/kvm\"/>"));
	assert_non_null(strstr(out, "<error type=\"timeout\" message=\"no result after 30 s\">"));
	assert_non_null(strstr(out, "classname=\"e\" name=\"&lt;&amp;&gt;&quot;&apos;"
				    "\xef\xbf\xbd\xef\xbf\xbd[31m\xef\xbf\xbd-name\""));
	assert_non_null(strstr(out, "<error type=\"error\" message=\"QEMU died: &lt;signal 9&gt; "
				    "&amp; &quot;gone&quot;\xef\xbf\xbd\">"));
	assert_non_null(strstr(out, "work directory: /tmp/w/a\n"));
	assert_non_null(strstr(out, "[fail] echo: got &apos;hellp&apos;\n"));
	assert_no_controls(out);
	free(out);
}

static const char junit_check_py[] =
	"import sys, xml.etree.ElementTree as ET\n"
	"root = ET.parse(sys.argv[1]).getroot()\n"
	"assert root.tag == 'testsuites', root.tag\n"
	"s = root.find('testsuite')\n"
	"a = s.attrib\n"
	"assert (a['tests'], a['failures'], a['errors'], a['skipped']) == ('5', '1', '2', '1'), a\n"
	"cases = s.findall('testcase')\n"
	"assert len(cases) == 5\n"
	"assert cases[1].attrib['classname'] == 'b', cases[1].attrib\n"
	"assert cases[1].attrib['name'] == 'fail#1 \\\\x', cases[1].attrib\n"
	"assert cases[4].attrib['name'] == '<&>\"\\'\\ufffd\\ufffd[31m\\ufffd-name', "
	"cases[4].attrib['name']\n"
	"assert cases[1].find('failure') is not None\n"
	"assert cases[2].find('skipped').attrib['message'] == 'no /dev/kvm'\n"
	"assert cases[3].find('error').attrib['type'] == 'timeout'\n"
	"assert 'work directory: /tmp/w/a' in cases[0].find('system-out').text\n";

/*
 * Parse the JUnit XML out with python3's xml.etree and run script's
 * asserts on it; out is freed. Skips the test when there is no python3.
 */
static void check_junit_python(char *out, const char *script)
{
	char *py = hvt_which("python3");
	char path[] = "/tmp/hvt-junit-XXXXXX";
	struct hvt_err err = HVT_ERR_INIT;
	int fd, status;
	pid_t pid;

	if (!py) {
		free(out);
		print_message("python3 not found: XML parse check skipped\n");
		skip();
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(hvt_file_write(path, out, strlen(out), &err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(py, "python3", "-c", script, path, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	free(out);
	free(py);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_junit_python(void **state)
{
	check_junit_python(render(HVT_REPORT_JUNIT, 5), junit_check_py);
}

static void test_json(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *out = render(HVT_REPORT_JSON, 5);
	struct json_object *doc = hvt_json_parse(out, &err), *cases;

	if (!doc)
		fail_msg("%s", err.msg);
	assert_string_equal(hvt_json_get_str(doc, "run.plan"), "suites/smoke.cfg");
	assert_int_equal(hvt_json_get_int(doc, "run.id", 0), 7);
	assert_string_equal(hvt_json_get_str(doc, "run.host.qemu_version"), "7.2.0");
	cases = hvt_json_get(doc, "cases");
	assert_non_null(cases);
	assert_int_equal(json_object_array_length(cases), 5);
	assert_string_equal(hvt_json_get_str(doc, "cases.1.outcome"), "fail");
	assert_string_equal(hvt_json_get_str(doc, "cases.3.outcome"), "timeout");
	assert_int_equal(hvt_json_get_int(doc, "counts.error", 0), 1);
	{
		struct hvt_case *c = hvt_case_from_json(json_object_array_get_idx(cases, 1), &err);

		assert_non_null(c);
		assert_int_equal(c->nchecks, 3);
		hvt_case_free(c);
	}
	json_object_put(doc);
	free(out);
}

/* How many times needle occurs in s. */
static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_html(void **state)
{
	char *out = render(HVT_REPORT_HTML, 5);

	assert_true(!strncmp(out, "<!DOCTYPE html>\n", 16));
	assert_non_null(strstr(out, "<title>hvtest run 7: suites/smoke.cfg</title>"));
	assert_non_null(strstr(out, "5 cases, <span class=\"o pass\">1 pass</span>, "
				    "<span class=\"o fail\">1 fail</span>, "
				    "<span class=\"o error\">1 error</span>, "
				    "<span class=\"o skip\">1 skip</span>, "
				    "<span class=\"o timeout\">1 timeout</span>; "
				    "33.5 s of case time"));
	/* the cases that did not pass are listed first, with why */
	assert_non_null(strstr(out, "<ul class=\"failed\">\n<li><span class=\"o fail\">fail</span> "
				    "<a href=\"#c2\">b.fail#1 \\x</a>: echo: got &apos;hellp&apos;"
				    "</li>\n<li><span class=\"o timeout\">timeout</span> "
				    "<a href=\"#c4\">d.timeout</a>: no result after 30 s</li>\n"));
	assert_null(strstr(out, "<a href=\"#c1\">"));
	assert_null(strstr(out, "<a href=\"#c3\">"));
	/* passing and skipped cases folded, the others open */
	assert_non_null(strstr(out, "<details id=\"c1\"><summary><span class=\"o pass\">pass"));
	assert_non_null(strstr(out, "<details id=\"c2\" open><summary><span class=\"o fail\">"));
	assert_non_null(strstr(out, "<details id=\"c3\"><summary><span class=\"o skip\">"));
	assert_non_null(strstr(out, "<details id=\"c4\" open>"));
	assert_non_null(strstr(out, "<td>echo</td><td class=\"o fail\">fail</td>"));
	assert_non_null(strstr(out, "got &apos;hellp&apos;"));
	assert_non_null(strstr(out, "QEMU died: &lt;signal 9&gt; &amp; &quot;gone&quot;"));
	assert_non_null(strstr(out, "<a href=\"file:///tmp/w/a\">"));
	/* one sample per metric: a table row, no chart */
	assert_non_null(strstr(out, "<tr><td>boot_ms</td><td class=\"num\">800</td><td>ms</td>"
				    "<td class=\"num\">1</td><td></td><td></td></tr>"));
	assert_null(strstr(out, "<svg"));
	assert_no_controls(out);
	free(out);
}

/* Cases named by variant dimensions: control x flags, and one that is not in the matrix. */
static struct hvt_case **make_matrix_cases(size_t *n)
{
	static const char *const names[] = {
		"m.(control=normal).(flags=none)", "m.(control=normal).(flags=persist)",
		"m.(control=p2p).(flags=none)", "m.(control=p2p).(flags=persist)", "plain",
	};
	struct hvt_case **v = hvt_zalloc(HVT_ARRAY_SIZE(names) * sizeof(*v));

	for (size_t i = 0; i < HVT_ARRAY_SIZE(names); i++) {
		v[i] = hvt_case_new(names[i], names[i], "exec");
		hvt_case_check(v[i], "ok", i != 2, "%s", i != 2 ? "" : "broken");
	}
	*n = HVT_ARRAY_SIZE(names);
	return v;
}

/* The page shows cases named by dimensions as a matrix: last dimension across. */
static void test_html_matrix(void **state)
{
	char *out = render_of(HVT_REPORT_HTML, 5, make_matrix_cases);

	assert_int_equal(count(out, "<table class=\"matrix\">"), 1);
	assert_non_null(strstr(out, "<caption>m.(control).(flags): 4 cases</caption>\n"
				    "<tr><th>control \\ flags</th><th>none</th><th>persist</th></tr>\n"
				    "<tr><td>normal</td><td><a class=\"o pass\" href=\"#c1\">pass</a></td>"
				    "<td><a class=\"o pass\" href=\"#c2\">pass</a></td></tr>\n"
				    "<tr><td>p2p</td><td><a class=\"o fail\" href=\"#c3\">fail</a></td>"
				    "<td><a class=\"o pass\" href=\"#c4\">pass</a></td></tr>\n</table>"));
	assert_null(strstr(out, "<caption>plain"));
	free(out);
}

/* Metrics sampled more than once become one chart per unit. */
static void test_html_series(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_case *c = hvt_case_new("balloon.evict", "evict", "balloon");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *p;

	assert_non_null(f);
	for (int i = 0; i < 3; i++) {
		hvt_case_metric(c, "target", 512 - 128 * i, "MiB");
		hvt_case_metric(c, "actual", 512 - 128 * i, "MiB");
		c->metrics[c->nmetrics - 2].t = c->metrics[c->nmetrics - 1].t = 10.0 * i;
	}
	hvt_case_metric(c, "settle", 900, "ms");
	hvt_case_metric(c, "settle", 1100, "ms");
	c->metrics[c->nmetrics - 2].t = 5;
	c->metrics[c->nmetrics - 1].t = 15;
	hvt_case_metric(c, "boot", 2300, "ms");
	hvt_case_metric(c, "odd", NAN, "");
	hvt_case_metric(c, "odd", NAN, "");
	hvt_case_check(c, "ok", true, NULL);
	assert_int_equal(hvt_report_write(HVT_REPORT_HTML, NULL, f, NULL, &c, 1, &err), 0);
	fclose(f);

	/* it passed: no list of failures */
	assert_null(strstr(out, "class=\"failed\""));
	/* MiB and ms charts; the all-NaN series has nothing to draw */
	assert_int_equal(count(out, "<svg"), 2);
	assert_int_equal(count(out, "<polyline"), 3);
	/* target: 512 at t=0 on top, 256 at t=20 at the right, half way down */
	p = strstr(out, "<title>target</title>");
	assert_non_null(p);
	assert_non_null(strstr(p, "points=\"64.0,12.0 344.0,55.5 624.0,99.0 \""));
	assert_non_null(strstr(out, "<title>target = 384 MiB at 10.00 s</title>"));
	assert_non_null(strstr(out, "<tr><td>target</td><td class=\"num\">256</td><td>MiB</td>"
				    "<td class=\"num\">3</td><td class=\"num\">256</td>"
				    "<td class=\"num\">512</td></tr>"));
	assert_non_null(strstr(out, "<tr><td>odd</td><td class=\"num\">nan</td><td></td>"
				    "<td class=\"num\">2</td><td></td><td></td></tr>"));
	/* the y axis starts at 0 */
	assert_non_null(strstr(out, "<text class=\"yl\" x=\"58\" y=\"190.0\">0</text>"));
	free(out);
	hvt_case_free(c);
}

/*
 * The dialect of pytest, which Jenkins and GitLab show: an expected
 * failure is skipped (type xfail, with why), an unexpected pass a
 * failure, an xfail case that errored still an error.
 */
static const char junit_xfail_py[] =
	"import sys, xml.etree.ElementTree as ET\n"
	"s = ET.parse(sys.argv[1]).getroot().find('testsuite')\n"
	"a = s.attrib\n"
	"assert (a['tests'], a['failures'], a['errors'], a['skipped']) == ('3', '1', '1', '1'), a\n"
	"c = s.findall('testcase')\n"
	"k = c[0].find('skipped')\n"
	"assert k.attrib == {'type': 'xfail', 'message': 'expected failure: bug 42: <lost> irq'}, "
	"k.attrib\n"
	"assert c[0].find('failure') is None and c[0].find('error') is None\n"
	"f = c[1].find('failure')\n"
	"assert f.attrib['type'] == 'xpass' and 'bug 7' in f.attrib['message'], f.attrib\n"
	"assert c[1].find('skipped') is None\n"
	"assert c[2].find('error').attrib['message'] == 'QEMU missing'\n"
	"p = {x.attrib['name']: x.attrib['value'] for x in c[0].iter('property')}\n"
	"assert p['xfail'] == 'bug 42: <lost> irq', p\n"
	"assert 'expected to fail: bug 42' in c[0].find('system-out').text\n";

static void test_expected_failures(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc;
	char *lines[128] = { NULL };
	char *out;
	size_t n, i;

	/* TAP: "# TODO why" keeps an expected failure from failing a harness; xpass fails it */
	out = render_of(HVT_REPORT_TAP, 3, make_xcases);
	n = split_lines(out, lines, HVT_ARRAY_SIZE(lines));
	i = find_line(lines, n, 0, "not ok 1 - f.known # TODO bug 42: <lost> irq");
	assert_string_equal(lines[i + 2], "  message: \"irq: 0 of 1 interrupts\"");
	assert_string_equal(lines[i + 3], "  outcome: xfail");
	assert_string_equal(lines[i + 4], "  xfail: \"bug 42: <lost> irq\"");
	find_line(lines, n, i, "    - name: \"irq\"");
	i = find_line(lines, n, i, "not ok 2 - f.fixed");
	assert_string_equal(lines[i + 2], "  message: \"passed, but expected to fail: bug 7\"");
	assert_string_equal(lines[i + 3], "  outcome: xpass");
	assert_string_equal(lines[i + 4], "  xfail: \"bug 7\"");
	i = find_line(lines, n, i, "not ok 3 - f.broken");
	assert_string_equal(lines[i + 3], "  outcome: error");
	find_line(lines, n, i, "# pass 0, fail 0, error 1, skip 0, timeout 0, xfail 1, xpass 1");
	free(out);

	out = render_of(HVT_REPORT_JUNIT, 3, make_xcases);
	assert_non_null(strstr(out, "tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"1\""));
	assert_non_null(strstr(out, "<skipped type=\"xfail\" message=\"expected failure: bug 42: "
				    "&lt;lost&gt; irq\"/>"));
	assert_non_null(strstr(out, "<failure type=\"xpass\" message=\"unexpected pass: bug 7\">"));
	free(out);

	out = render_of(HVT_REPORT_JSON, 3, make_xcases);
	doc = hvt_json_parse(out, &err);
	if (!doc)
		fail_msg("%s", err.msg);
	assert_string_equal(hvt_json_get_str(doc, "cases.0.outcome"), "xfail");
	assert_string_equal(hvt_json_get_str(doc, "cases.0.xfail"), "bug 42: <lost> irq");
	assert_string_equal(hvt_json_get_str(doc, "cases.1.outcome"), "xpass");
	assert_int_equal(hvt_json_get_int(doc, "counts.xfail", 0), 1);
	assert_int_equal(hvt_json_get_int(doc, "counts.xpass", 0), 1);
	assert_int_equal(hvt_json_get_int(doc, "counts.fail", -1), 0);
	json_object_put(doc);
	free(out);

	/* HTML: the expected failure folded, the unexpected pass open and listed */
	out = render_of(HVT_REPORT_HTML, 3, make_xcases);
	assert_non_null(strstr(out, "<span class=\"o timeout\">0 timeout</span>, "
				    "<span class=\"o xfail\">1 xfail</span>, "
				    "<span class=\"o xpass\">1 xpass</span>; "));
	assert_non_null(strstr(out, "<details id=\"c1\"><summary><span class=\"o xfail\">xfail"));
	assert_non_null(strstr(out, "<details id=\"c2\" open><summary><span class=\"o xpass\">"));
	assert_non_null(strstr(out, "<li><span class=\"o xpass\">xpass</span> <a href=\"#c2\">"
				    "f.fixed</a>: passed, but expected to fail: bug 7</li>"));
	assert_null(strstr(out, "<a href=\"#c1\">"));
	assert_non_null(strstr(out, "<p class=\"expect\">expected to fail: bug 42: &lt;lost&gt; irq"
				    "</p>"));
	free(out);
	/* last: it skips the test without python3 */
	check_junit_python(render_of(HVT_REPORT_JUNIT, 3, make_xcases), junit_xfail_py);
}

static void test_empty_reports(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	enum hvt_report_format fmt;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct hvt_report *r = hvt_report_new(HVT_REPORT_TAP, f, NULL);

	assert_int_equal(hvt_report_begin(r, NULL, -1, &err), 0);
	assert_int_equal(hvt_report_end(r, &err), 0);
	hvt_report_free(r);
	fclose(f);
	assert_string_equal(out, "TAP version 13\n1..0 # SKIP no cases selected\n"
				 "# pass 0, fail 0, error 0, skip 0, timeout 0, xfail 0, xpass 0\n");
	free(out);
	assert_int_equal(hvt_report_format_parse("junit", &fmt), 0);
	assert_int_equal(fmt, HVT_REPORT_JUNIT);
	assert_int_equal(hvt_report_format_parse("xml", &fmt), -EINVAL);
}

/* ---- the consumers ---- */

/*
 * Records with every awkward thing a name or a message can hold: XML and
 * TAP syntax, newlines that could forge a test line, tabs, invalid UTF-8
 * and other Unicode, parentheses with dots. The first *npass of them pass
 * a run (pass, skip, xfail, pass); the others fail it.
 */
static struct hvt_case **make_special(size_t *n, size_t *npass)
{
	struct hvt_case **v = hvt_zalloc(8 * sizeof(*v));
	struct hvt_case *c;

	c = v[0] = hvt_case_new("odd.<b>&amp;\"quoted\" 'single'", "a", "exec");
	hvt_case_check(c, "ok <1> & # not ok", true, "line 1\nnot ok 2 - forged\n<t> & \\ \"q\"");
	c->duration = 0.25;

	c = v[1] = hvt_case_new("odd.new\nline\nnot ok 99 - forged", "b", "exec");
	hvt_case_skip(c, "needs <kvm> & # SKIP\nnot ok");

	c = v[2] = hvt_case_new("odd.xfail", "c", "exec");
	hvt_case_set_xfail(c, "bug <42> & # not ok\nsecond line");
	hvt_case_check(c, "irq", false, "0 of 1 <irq>");

	c = v[3] = hvt_case_new("odd.unicode \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "d", "exec");
	hvt_case_check(c, "fine", true, "caf\xc3\xa9");
	hvt_case_metric(c, "nothing", NAN, "ms");

	c = v[4] = hvt_case_new("odd.hash # TODO not really", "e", "exec");
	hvt_case_check(c, "boots", true, NULL);
	hvt_case_check(c, "first # SKIP no", false, "expected <1> & got \"2\"\nnot ok 3 - x # TODO");
	hvt_case_check(c, "second", false, "also\tbad \\ ]]>");
	c->duration = 1.5;

	c = v[5] = hvt_case_new("odd.back\\slash", "f", "exec");
	hvt_case_error(c, "QEMU died: <signal 9> & \"gone\"\nnot ok 5");

	c = v[6] = hvt_case_new("odd.(block=x.y).z", "g", "exec");
	hvt_case_check(c, "boots", true, NULL);
	c->timed_out = true;
	c->reason = hvt_strdup("timed out after 2 s");
	c->duration = 2;

	c = v[7] = hvt_case_new("odd.fixed", "h", "exec");
	hvt_case_set_xfail(c, "bug 7");
	hvt_case_check(c, "irq", true, "1 of 1");
	for (size_t i = 0; i < 8; i++) {
		v[i]->index = (long)i;
		v[i]->workdir = hvt_asprintf("/tmp/w/%zu", i);
		hvt_case_artifact(v[i], "console.log", "console.log");
	}
	*n = 8;
	*npass = 4;
	return v;
}

static const struct hvt_run_info special_run = {
	.id = 3, .started = 1790000000, .plan = "suites/odd <&>.cfg", .total = 8, .exit_status = 1,
};

/* Write n records as fmt into a new temporary file; its path (free it, unlink it). */
static char *write_tmp(enum hvt_report_format fmt, int tap_version, struct hvt_case **v,
		       size_t n)
{
	struct hvt_report_opts o = { .tap_version = tap_version };
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_strdup("/tmp/hvt-report-XXXXXX");
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(hvt_report_write(fmt, &o, f, &special_run, v, n, &err), 0);
	assert_int_equal(fclose(f), 0);
	return path;
}

/*
 * The program that tests a format, found where scripts/deps installs it:
 * a missing one fails the test (a skip would pass a machine that checks
 * nothing). Caller frees.
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

/* Debian's python3, the one python3-junitparser is installed for. */
static char *debian_python(void)
{
	return need_tool(access("/usr/bin/python3", X_OK) ? "python3" : "/usr/bin/python3",
			 "python3");
}

/*
 * Run argv (extra "NAME=value" env entries; stdin from in_path or
 * /dev/null) within 60 s. *out gets its stdout, *errout (may be NULL)
 * its stderr. Returns the exit code, or 128 + the signal.
 */
static int run_tool(const char *const *argv, const char *const *env, const char *in_path,
		    char **out, char **errout)
{
	char opath[] = "/tmp/hvt-tool-out-XXXXXX", epath[] = "/tmp/hvt-tool-err-XXXXXX";
	struct hvt_proc_opts o = { .argv = argv, .env = env, .stdin_path = in_path,
				   .stdout_path = opath, .stderr_path = epath };
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
	if (hvt_proc_wait(p, 60000, &st))
		fail_msg("%s did not finish within 60 s", argv[0]);
	hvt_proc_free(p);
	assert_int_equal(hvt_file_read(opath, out, NULL, &err), 0);
	if (errout)
		assert_int_equal(hvt_file_read(epath, errout, NULL, &err), 0);
	unlink(opath);
	unlink(epath);
	return st.exited ? st.code : 128 + st.sig;
}

/* A text as a TAP line shows it: control characters as spaces. Caller frees. */
static char *one_line(const char *s)
{
	char *r = hvt_strdup(s);

	for (char *p = r; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return r;
}

/* The JSON a helper printed; fails the test when it is none. */
static struct json_object *parse_out(const char *what, const char *out)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc = hvt_json_parse(out, &err);

	if (!doc)
		fail_msg("%s printed no JSON (%s):\n%s", what, err.msg, out);
	return doc;
}

static void assert_str_at(struct json_object *doc, const char *path, const char *want)
{
	const char *got = hvt_json_get_str(doc, path);

	if (!got || strcmp(got, want))
		fail_msg("%s: got \"%s\", want \"%s\"", path, got ? got : "(none)", want);
}

/* Test::Harness's parser and prove on TAP 13: n cases, the first npass passing. */
static void check_tap13(struct hvt_case **v, size_t n, bool passing)
{
	char *path = write_tmp(HVT_REPORT_TAP, 0, v, n), *perl = need_tool("perl", "perl");
	char *prove = need_tool("prove", "perl"), *script = hvt_asprintf("%s/tests/data/tap-read.pl",
									HVT_SRCDIR);
	char *out = NULL, *want, key[64];
	struct json_object *doc;
	int rc;

	/* prove, as a user runs it on a saved stream */
	rc = run_tool((const char *const[]){ prove, "-v", "-e", "cat", path, NULL }, NULL, NULL,
		      &out, NULL);
	if (rc != (passing ? 0 : 1) || !strstr(out, passing ? "Result: PASS" : "Result: FAIL"))
		fail_msg("prove exited %d:\n%s", rc, out);
	want = hvt_asprintf("Tests=%zu,", n);
	assert_non_null(strstr(out, want));
	free(want);
	assert_null(strstr(out, "Parse errors"));
	free(out);

	/* its parser, test point by test point */
	rc = run_tool((const char *const[]){ perl, script, path, NULL }, NULL, NULL, &out, NULL);
	assert_int_equal(rc, 0);
	doc = parse_out("tap-read.pl", out);
	assert_int_equal(hvt_json_get_int(doc, "version", 0), 13);
	assert_int_equal(json_object_array_length(hvt_json_get(doc, "parse_errors")), 0);
	assert_int_equal(hvt_json_get_int(doc, "tests_planned", 0), (int64_t)n);
	assert_int_equal(hvt_json_get_int(doc, "tests_run", 0), (int64_t)n);
	assert_int_equal(hvt_json_get_bool(doc, "has_problems", false), !passing);
	for (size_t i = 0; i < n; i++) {
		enum hvt_outcome o = hvt_case_outcome(v[i]);
		char *name = one_line(v[i]->name);

		hvt_snprintf(key, sizeof(key), "tests.%zu.description", i);
		assert_str_at(doc, key, name);
		free(name);
		hvt_snprintf(key, sizeof(key), "tests.%zu.ok", i);
		assert_int_equal(hvt_json_get_bool(doc, key, false), !hvt_outcome_bad(o));
		hvt_snprintf(key, sizeof(key), "tests.%zu.directive", i);
		assert_str_at(doc, key, o == HVT_SKIP ? "SKIP" : o == HVT_XFAIL ? "TODO" : "");
		hvt_snprintf(key, sizeof(key), "tests.%zu.yaml.outcome", i);
		assert_str_at(doc, key, hvt_outcome_name(o));
		/* where the forensics are, and what went wrong, newlines and all */
		hvt_snprintf(key, sizeof(key), "tests.%zu.yaml.workdir", i);
		assert_str_at(doc, key, v[i]->workdir);
		hvt_snprintf(key, sizeof(key), "tests.%zu.yaml.artifacts.0.path", i);
		assert_str_at(doc, key, "console.log");
		if (o == HVT_SKIP || o == HVT_ERROR || o == HVT_TIMEOUT) {
			hvt_snprintf(key, sizeof(key), "tests.%zu.yaml.message", i);
			assert_str_at(doc, key, v[i]->reason);
		}
		if (o == HVT_SKIP) {
			char *why = one_line(v[i]->reason);

			hvt_snprintf(key, sizeof(key), "tests.%zu.explanation", i);
			assert_str_at(doc, key, why);
			free(why);
		}
		for (size_t k = 0, nf = 0; k < v[i]->nchecks; k++) {
			const struct hvt_check *ck = &v[i]->checks[k];

			if (ck->status != HVT_FAIL)
				continue;
			hvt_snprintf(key, sizeof(key), "tests.%zu.yaml.failed.%zu.name", i, nf);
			assert_str_at(doc, key, ck->name);
			hvt_snprintf(key, sizeof(key), "tests.%zu.yaml.failed.%zu.message", i, nf);
			assert_str_at(doc, key, ck->message);
			if (!nf++) {
				char *msg = hvt_asprintf("%s: %s", ck->name, ck->message);

				hvt_snprintf(key, sizeof(key), "tests.%zu.yaml.message", i);
				assert_str_at(doc, key, msg);
				free(msg);
			}
		}
	}
	json_object_put(doc);
	free(out);
	unlink(path);
	free(path);
	free(script);
	free(prove);
	free(perl);
}

/*
 * TAP 13 as Debian 12's prove reads it: a passing run passes (skip and
 * expected failure included), a failing one fails with the right test
 * points, and every name, reason and message arrives whole.
 */
static void test_tap13_prove(void **state)
{
	size_t n, npass;
	struct hvt_case **v = make_special(&n, &npass);

	check_tap13(v, npass, true);
	check_tap13(v, n, false);
	free_cases(v, n);
}

/* The subtest of the case at top-level test point i (0-based) in tap-parser's events. */
static struct json_object *child_before(struct json_object *events, size_t i)
{
	struct json_object *child = NULL;
	size_t asserts = 0;

	for (size_t k = 0; k < json_object_array_length(events); k++) {
		struct json_object *e = json_object_array_get_idx(events, k);
		const char *kind = json_object_get_string(json_object_array_get_idx(e, 0));

		if (!strcmp(kind, "child"))
			child = json_object_array_get_idx(e, 1);
		if (!strcmp(kind, "assert")) {
			if (asserts++ == i)
				return child;
			child = NULL;
		}
	}
	return NULL;
}

/* Node's tap-parser (TAP 14, subtests) on the records written as TAP 14. */
static void check_tap14(struct hvt_case **v, size_t n, bool passing)
{
	char *path = write_tmp(HVT_REPORT_TAP, 14, v, n);
	char *parser = need_tool("tap-parser", "node-tap-parser");
	char *out = NULL, key[64];
	struct json_object *doc, *top = NULL;
	size_t asserts = 0;
	int rc;

	rc = run_tool((const char *const[]){ parser, "-j", "0", NULL },
		      (const char *const[]){ "NODE_PATH=/usr/share/nodejs", NULL }, path, &out,
		      NULL);
	if (rc != (passing ? 0 : 1))
		fail_msg("tap-parser exited %d:\n%s", rc, out);
	doc = parse_out("tap-parser", out);
	assert_int_equal(hvt_json_get_int(doc, "0.1", 0), 14);
	for (size_t k = 0; k < json_object_array_length(doc); k++) {
		struct json_object *e = json_object_array_get_idx(doc, k);
		const char *kind = json_object_get_string(json_object_array_get_idx(e, 0));
		struct json_object *a = json_object_array_get_idx(e, 1);
		struct json_object *sub;
		enum hvt_outcome o;
		char *name;

		if (!strcmp(kind, "complete"))
			top = a;
		if (strcmp(kind, "assert"))
			continue;
		assert_true(asserts < n);
		o = hvt_case_outcome(v[asserts]);
		name = one_line(v[asserts]->name);
		assert_str_at(a, "name", name);
		free(name);
		assert_int_equal(hvt_json_get_bool(a, "ok", true), !hvt_outcome_bad(o) &&
								       o != HVT_XFAIL);
		if (o == HVT_SKIP)
			assert_non_null(hvt_json_get_str(a, "skip"));
		if (o == HVT_XFAIL)
			assert_non_null(hvt_json_get_str(a, "todo"));
		assert_str_at(a, "diag.outcome", hvt_outcome_name(o));
		assert_str_at(a, "diag.workdir", v[asserts]->workdir);
		/* the checks as its subtest, each failed one with its message */
		sub = child_before(doc, asserts);
		if (v[asserts]->nchecks) {
			size_t checks = 0;

			assert_non_null(sub);
			for (size_t j = 0; j < json_object_array_length(sub); j++) {
				struct json_object *se = json_object_array_get_idx(sub, j);
				struct json_object *sa = json_object_array_get_idx(se, 1);
				const struct hvt_check *ck;

				if (strcmp(json_object_get_string(json_object_array_get_idx(se, 0)),
					   "assert"))
					continue;
				ck = &v[asserts]->checks[checks++];
				name = one_line(ck->name);
				assert_str_at(sa, "name", name);
				free(name);
				assert_int_equal(hvt_json_get_bool(sa, "ok", false),
						 ck->status != HVT_FAIL);
				if (ck->status == HVT_FAIL)
					assert_str_at(sa, "diag.message", ck->message);
			}
			assert_int_equal(checks, v[asserts]->nchecks);
		}
		asserts++;
	}
	assert_int_equal(asserts, n);
	assert_non_null(top);
	hvt_snprintf(key, sizeof(key), "%zu", n);
	assert_int_equal(hvt_json_get_int(top, "count", 0), (int64_t)n);
	assert_int_equal(hvt_json_get_bool(top, "ok", !passing), passing);
	json_object_put(doc);
	free(out);
	unlink(path);
	free(path);
	free(parser);
}

static void test_tap14_tap_parser(void **state)
{
	size_t n, npass;
	struct hvt_case **v = make_special(&n, &npass);

	check_tap14(v, npass, true);
	check_tap14(v, n, false);
	free_cases(v, n);
}

/* xmllint against the schema in the tree: 0 when the file conforms. */
static int schema_check(const char *path, char **out)
{
	char *xmllint = need_tool("xmllint", "libxml2-utils");
	char *xsd = hvt_asprintf("%s/tests/data/junit.xsd", HVT_SRCDIR);
	int rc = run_tool((const char *const[]){ xmllint, "--noout", "--schema", xsd, path, NULL },
			  NULL, NULL, out, out ? NULL : NULL);

	free(xsd);
	free(xmllint);
	return rc;
}

/*
 * JUnit: valid against tests/data/junit.xsd (and a file that breaks its
 * conventions is not), read by junitparser with every name and message as
 * recorded, counts that add up, and the forensics in system-out.
 */
static void test_junit_consumers(void **state)
{
	size_t n, npass;
	struct hvt_case **v = make_special(&n, &npass);
	char *path = write_tmp(HVT_REPORT_JUNIT, 0, v, n), *py = debian_python();
	char *script = hvt_asprintf("%s/tests/data/junit-read.py", HVT_SRCDIR);
	char *out = NULL, *xml = NULL, *bad, key[96];
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc, *suite;
	int rc;

	rc = schema_check(path, &out);
	if (rc)
		fail_msg("xmllint: the JUnit file breaks tests/data/junit.xsd:\n%s", out);
	free(out);
	/* the check can fail: a test case without its classname */
	assert_int_equal(hvt_file_read(path, &xml, NULL, &err), 0);
	bad = strstr(xml, "<testcase classname=");
	assert_non_null(bad);
	memcpy(bad + 10, "     xname=", 11);
	assert_int_equal(hvt_file_write(path, xml, strlen(xml), &err), 0);
	assert_int_not_equal(schema_check(path, &out), 0);
	free(out);
	free(xml);
	unlink(path);
	free(path);

	path = write_tmp(HVT_REPORT_JUNIT, 0, v, n);
	rc = run_tool((const char *const[]){ py, script, path, NULL }, NULL, NULL, &out, NULL);
	if (rc)
		fail_msg("junitparser could not read it (exit %d):\n%s", rc, out);
	doc = parse_out("junit-read.py", out);
	suite = hvt_json_get(doc, "suites.0");
	assert_non_null(suite);
	assert_str_at(suite, "name", "suites/odd <&>.cfg");
	/* failures: fail + xpass; errors: error + timeout; skipped: skip + xfail */
	assert_int_equal(hvt_json_get_int(suite, "declared.tests", 0), 8);
	assert_int_equal(hvt_json_get_int(suite, "declared.failures", 0), 2);
	assert_int_equal(hvt_json_get_int(suite, "declared.errors", 0), 2);
	assert_int_equal(hvt_json_get_int(suite, "declared.skipped", 0), 2);
	assert_true(json_object_equal(hvt_json_get(suite, "declared"),
				      hvt_json_get(suite, "counted")));
	for (size_t i = 0; i < n; i++) {
		enum hvt_outcome o = hvt_case_outcome(v[i]);
		struct json_object *c;
		const char *cls, *nm, *sysout;
		char *full, *attach;

		hvt_snprintf(key, sizeof(key), "cases.%zu", i);
		c = hvt_json_get(suite, key);
		assert_non_null(c);
		cls = hvt_json_get_str(c, "classname");
		nm = hvt_json_get_str(c, "name");
		/* classname and name give the case's name back */
		full = hvt_asprintf("%s.%s", cls, nm);
		assert_string_equal(full, v[i]->name);
		free(full);
		assert_str_at(c, "properties.case", v[i]->name);
		assert_int_equal(hvt_json_get_bool(c, "passed", false), o == HVT_PASS);
		assert_int_equal(hvt_json_get_bool(c, "skipped", false),
				 o == HVT_SKIP || o == HVT_XFAIL);
		switch (o) {
		case HVT_FAIL:
			assert_str_at(c, "result.0.kind", "failure");
			assert_str_at(c, "result.0.message",
				      "first # SKIP no: expected <1> & got \"2\"\nnot ok 3 - x # TODO");
			assert_non_null(strstr(hvt_json_get_str(c, "result.0.text"),
					       "[fail] second: also\tbad \\ ]]>\n"));
			assert_non_null(strstr(hvt_json_get_str(c, "result.0.text"), "[pass] boots\n"));
			break;
		case HVT_ERROR:
		case HVT_TIMEOUT:
			assert_str_at(c, "result.0.kind", "error");
			assert_str_at(c, "result.0.type", hvt_outcome_name(o));
			assert_str_at(c, "result.0.message", v[i]->reason);
			break;
		case HVT_SKIP:
			assert_str_at(c, "result.0.kind", "skipped");
			assert_str_at(c, "result.0.message", v[i]->reason);
			break;
		case HVT_XFAIL:
			assert_str_at(c, "result.0.type", "xfail");
			assert_str_at(c, "result.0.message",
				      "expected failure: bug <42> & # not ok\nsecond line");
			break;
		case HVT_XPASS:
			assert_str_at(c, "result.0.kind", "failure");
			assert_str_at(c, "result.0.type", "xpass");
			break;
		case HVT_PASS:
			assert_int_equal(json_object_array_length(hvt_json_get(c, "result")), 0);
			break;
		}
		/* where the forensics are */
		sysout = hvt_json_get_str(c, "system_out");
		assert_non_null(sysout);
		attach = hvt_asprintf("work directory: %s\n[[ATTACHMENT|%s/console.log]]\n",
				      v[i]->workdir, v[i]->workdir);
		assert_non_null(strstr(sysout, attach));
		free(attach);
	}
	assert_str_at(suite, "cases.0.name", "<b>&amp;\"quoted\" 'single'");
	assert_str_at(suite, "cases.6.classname", "odd.(block=x.y)");
	assert_str_at(suite, "cases.6.name", "z");
	json_object_put(doc);
	free(out);
	unlink(path);
	free(path);
	free(script);
	free(py);
	free_cases(v, n);
}

/*
 * JSON: the versioned document, strict JSON (a NaN metric is null) that
 * python's json reads, and case records hvt_case_from_json() reads back.
 */
static void test_json_document(void **state)
{
	static const char strict_py[] =
		"import json, sys\n"
		"def refuse(c):\n"
		"    sys.exit('not JSON: ' + c)\n"
		"d = json.load(open(sys.argv[1], encoding='utf-8'), parse_constant=refuse)\n"
		"assert d['format'] == 'hvtest-run' and d['version'] == 1, d\n"
		"assert d['cases'][3]['metrics'][0]['value'] is None\n"
		"assert d['cases'][1]['name'] == 'odd.new\\nline\\nnot ok 99 - forged'\n"
		"assert d['counts']['cases'] == 8 and d['counts']['timeout'] == 1\n";
	size_t n, npass;
	struct hvt_case **v = make_special(&n, &npass);
	char *path = write_tmp(HVT_REPORT_JSON, 0, v, n), *py = debian_python(), *out = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc, *cases;
	int rc;

	rc = run_tool((const char *const[]){ py, "-c", strict_py, path, NULL }, NULL, NULL, &out,
		      NULL);
	if (rc)
		fail_msg("python's json: exit %d\n%s", rc, out);
	free(out);
	assert_int_equal(hvt_file_read(path, &out, NULL, &err), 0);
	doc = parse_out("the JSON writer", out);
	assert_str_at(doc, "format", "hvtest-run");
	assert_int_equal(hvt_json_get_int(doc, "version", 0), HVT_REPORT_JSON_VERSION);
	cases = hvt_json_get(doc, "cases");
	assert_int_equal(json_object_array_length(cases), n);
	for (size_t i = 0; i < n; i++) {
		struct hvt_case *c = hvt_case_from_json(json_object_array_get_idx(cases, i), &err);

		if (!c)
			fail_msg("%s", err.msg);
		assert_string_equal(c->name, v[i]->name);
		assert_int_equal(hvt_case_outcome(c), hvt_case_outcome(v[i]));
		assert_int_equal(c->nchecks, v[i]->nchecks);
		for (size_t k = 0; k < c->nchecks; k++)
			assert_string_equal(c->checks[k].message, v[i]->checks[k].message);
		hvt_case_free(c);
	}
	json_object_put(doc);
	free(out);
	unlink(path);
	free(path);
	free(py);
	free_cases(v, n);
}

static void test_tap_versions(void **state)
{
	struct hvt_report_opts o = { .tap_version = 14 };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_report *r;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int v = 0;

	r = hvt_report_new(HVT_REPORT_TAP, f, &o);
	assert_int_equal(hvt_report_begin(r, NULL, 0, &err), 0);
	assert_int_equal(hvt_report_end(r, &err), 0);
	hvt_report_free(r);
	fflush(f);
	assert_true(!strncmp(out, "TAP version 14\n1..0 # SKIP", 26));
	o.tap_version = 12;
	r = hvt_report_new(HVT_REPORT_TAP, f, &o);
	assert_int_equal(hvt_report_begin(r, NULL, 0, &err), -EINVAL);
	hvt_report_free(r);
	fclose(f);
	free(out);
	assert_int_equal(hvt_report_tap_version_parse("13", &v), 0);
	assert_int_equal(v, 13);
	assert_int_equal(hvt_report_tap_version_parse("14", &v), 0);
	assert_int_equal(v, 14);
	assert_int_equal(hvt_report_tap_version_parse("15", &v), -EINVAL);
	assert_int_equal(hvt_report_tap_version_parse("13 ", &v), -EINVAL);
}

/* A report of the records read back from a store, as hvt_report_run() must write it. */
static char *render_stored(struct hvt_store *s, int64_t id, enum hvt_report_format fmt)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info ri;
	struct hvt_case **cases;
	char *out = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&out, &len);

	assert_int_equal(hvt_store_run_get(s, id, &ri, &err), 0);
	assert_int_equal(hvt_store_run_cases(s, id, false, &cases, &n, &err), 0);
	assert_int_equal(hvt_report_write(fmt, NULL, f, &ri, cases, n, &err), 0);
	fclose(f);
	hvt_store_cases_free(cases, n);
	hvt_run_info_release(&ri);
	return out;
}

/*
 * A stored run written whole: the run's record and the last attempt of
 * each case in plan order, whichever order the cases were stored in; into
 * a file replaced whole (no temporary file left), or into a device.
 */
static void test_stored_run(void **state)
{
	char dir[] = "/tmp/hvt-report-store-XXXXXX";
	struct hvt_run_info ri = { .plan = "suites/odd.cfg", .total = 8 };
	struct hvt_err err = HVT_ERR_INIT;
	size_t n, npass;
	struct hvt_case **v = make_special(&n, &npass);
	struct hvt_store *s;
	char *path, *got, *want, *file = NULL;
	struct stat st;
	int64_t id;

	assert_non_null(mkdtemp(dir));
	s = hvt_store_open(dir, &err);
	assert_non_null(s);
	assert_int_equal(hvt_store_run_begin(s, &ri, &id, &err), 0);
	/* stored out of order, as parallel jobs finish; case 5 twice (a rerun) */
	for (size_t i = n; i-- > 0;)
		assert_int_equal(hvt_store_case_add(s, id, v[i], &err), 0);
	v[5]->attempt = 2;
	assert_int_equal(hvt_store_case_add(s, id, v[5], &err), 0);
	assert_int_equal(hvt_store_run_end(s, id, 1, &err), 0);

	for (int fmt = HVT_REPORT_TAP; fmt <= HVT_REPORT_JSON; fmt++) {
		size_t len = 0;
		FILE *f;

		got = NULL;
		f = open_memstream(&got, &len);
		assert_int_equal(hvt_report_run(s, id, (enum hvt_report_format)fmt, NULL, f, &err),
				 0);
		fclose(f);
		want = render_stored(s, id, (enum hvt_report_format)fmt);
		assert_string_equal(got, want);
		free(want);
		if (fmt == HVT_REPORT_TAP) {
			/* plan order, the last attempt */
			assert_non_null(strstr(got, "ok 1 - odd.<b>&amp;"));
			assert_non_null(strstr(got, "not ok 6 - odd.back\\\\slash\n"));
			assert_non_null(strstr(got, "  attempt: 2\n"));
			assert_null(strstr(got, "\nnot ok 9 "));
			assert_null(strstr(got, "\nok 9 "));
		}
		free(got);
	}

	path = hvt_asprintf("%s/junit.xml", dir);
	assert_int_equal(hvt_file_write(path, "old", 3, &err), 0);
	assert_int_equal(hvt_report_run_file(s, id, HVT_REPORT_JUNIT, NULL, path, &err), 0);
	assert_int_equal(hvt_file_read(path, &file, NULL, &err), 0);
	want = render_stored(s, id, HVT_REPORT_JUNIT);
	assert_string_equal(file, want);
	free(want);
	free(file);
	free(path);
	path = hvt_asprintf("%s/junit.xml.%d.tmp", dir, (int)getpid());
	assert_false(hvt_path_exists(path));
	free(path);
	/* a device is written, not replaced */
	assert_int_equal(hvt_report_run_file(s, id, HVT_REPORT_JSON, NULL, "/dev/null", &err), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	/* an unwritable place is an error, with the path */
	assert_int_not_equal(hvt_report_run_file(s, id, HVT_REPORT_TAP, NULL,
						 "/nonexistent/dir/x.tap", &err), 0);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/x.tap"));
	hvt_store_close(s);
	assert_int_equal(hvt_rm_rf(dir), 0);
	free_cases(v, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_junit_python),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_series),
		cmocka_unit_test(test_html_matrix),
		cmocka_unit_test(test_expected_failures),
		cmocka_unit_test(test_empty_reports),
		cmocka_unit_test(test_tap_versions),
		cmocka_unit_test(test_tap13_prove),
		cmocka_unit_test(test_tap14_tap_parser),
		cmocka_unit_test(test_junit_consumers),
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_stored_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
