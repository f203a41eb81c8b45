// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Report writers: TAP 14 line by line, JUnit XML counts and escaping
 * (parsed by python3's xml.etree when there is one), the JSON document,
 * the HTML page; expected failures and unexpected passes in each.
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
#include <sys/wait.h>
#include <unistd.h>

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
	r = hvt_report_new(fmt, f);
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

	assert_string_equal(lines[0], "TAP version 14");
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
	find_line(lines, n, i, "    - { name: \"boot_ms\", value: 800, unit: \"ms\" }");
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
	assert_string_equal(lines[i + 2], "  outcome: fail");
	find_line(lines, n, i, "    - \"echo\"");

	i = find_line(lines, n, i, "ok 3 - c.skip # SKIP no /dev/kvm");
	i = find_line(lines, n, i, "not ok 4 - d.timeout");
	assert_string_equal(lines[i + 2], "  outcome: timeout");
	assert_string_equal(lines[i + 3], "  reason: \"no result after 30 s\"");
	/* control characters never reach the stream raw */
	i = find_line(lines, n, i, "not ok 5 - e.<&>\"'  [31m\xff-name");
	assert_string_equal(lines[i + 2], "  outcome: error");
	assert_non_null(strstr(lines[i + 3], "\\u0002"));
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
	assert_non_null(strstr(out, "<testcase classname=\"exec\" name=\"a.pass\" time=\"2.500\">"));
	assert_non_null(strstr(out, "<property name=\"metric.boot_ms\" value=\"800 ms\"/>"));
	assert_non_null(strstr(out, "<failure type=\"fail\" message=\"1 of 3 checks failed\">"
				    "echo: got &apos;hellp&apos;\n</failure>"));
	assert_non_null(strstr(out, "<skipped message=\"no /dev/kvm\"/>"));
	assert_non_null(strstr(out, "<error type=\"timeout\" message=\"no result after 30 s\">"));
	assert_non_null(strstr(out, "name=\"e.&lt;&amp;&gt;&quot;&apos;\xef\xbf\xbd\xef\xbf\xbd"
				    "[31m\xef\xbf\xbd-name\""));
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
	"assert cases[1].attrib['name'] == 'b.fail#1 \\\\x', cases[1].attrib\n"
	"assert cases[4].attrib['name'] == 'e.<&>\"\\'\\ufffd\\ufffd[31m\\ufffd-name', "
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
	assert_int_equal(hvt_report_write(HVT_REPORT_HTML, f, NULL, &c, 1, &err), 0);
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
	assert_string_equal(lines[i + 2], "  outcome: xfail");
	assert_string_equal(lines[i + 3], "  xfail: \"bug 42: <lost> irq\"");
	find_line(lines, n, i, "    - \"irq\"");
	i = find_line(lines, n, i, "not ok 2 - f.fixed");
	assert_string_equal(lines[i + 2], "  outcome: xpass");
	assert_string_equal(lines[i + 3], "  xfail: \"bug 7\"");
	i = find_line(lines, n, i, "not ok 3 - f.broken");
	assert_string_equal(lines[i + 2], "  outcome: error");
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
	struct hvt_report *r = hvt_report_new(HVT_REPORT_TAP, f);

	assert_int_equal(hvt_report_begin(r, NULL, -1, &err), 0);
	assert_int_equal(hvt_report_end(r, &err), 0);
	hvt_report_free(r);
	fclose(f);
	assert_string_equal(out, "TAP version 14\n1..0\n"
				 "# pass 0, fail 0, error 0, skip 0, timeout 0, xfail 0, xpass 0\n");
	free(out);
	assert_int_equal(hvt_report_format_parse("junit", &fmt), 0);
	assert_int_equal(fmt, HVT_REPORT_JUNIT);
	assert_int_equal(hvt_report_format_parse("xml", &fmt), -EINVAL);
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
		cmocka_unit_test(test_expected_failures),
		cmocka_unit_test(test_empty_reports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
