// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TAP writer (version 13 or 14): one test point per case, written as the
 * case is reported; its checks as an indented subtest before it, what a
 * harness should show about it in a YAML block after it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

/*
 * Text on a TAP line: control characters (a newline would end the line and
 * could start a forged "not ok") become spaces, invalid UTF-8 U+FFFD. With
 * escape, '\' and '#' are escaped as TAP 14 says and Test::Harness reads
 * them, so that a name can never start a directive.
 */
static void put_text(FILE *f, const char *s, bool escape)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		size_t n = report_utf8_len(p);

		if (!n) {
			fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		if (escape && (*p == '\\' || *p == '#'))
			fputc('\\', f);
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
		p++;
	}
}

/*
 * A YAML double-quoted scalar that YAML 1.1 and 1.2 parsers and the
 * YAMLish reader of Test::Harness read back alike: only the escapes all of
 * them know (\\ \" \n \t \r \xHH); other control characters and C1 codes
 * (not printable in YAML) as \xHH or U+FFFD, invalid UTF-8 as U+FFFD.
 */
static void put_yaml_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', f);
	while (*p) {
		size_t n = report_utf8_len(p);

		if (!n || (p[0] == 0xc2 && p[1] < 0xa0)) {
			/* invalid, or a C1 control character (U+0080..U+009F) */
			fputs("\xef\xbf\xbd", f);
			p += n ? n : 1;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
		p++;
	}
	fputc('"', f);
}

static void put_yaml_num(FILE *f, double v)
{
	if (isnan(v))
		fputs(".nan", f);
	else if (isinf(v))
		fputs(v > 0 ? ".inf" : "-.inf", f);
	else
		fprintf(f, "%.15g", v);
}

/* "key: "value"" on its own line at indent, when value is not NULL. */
static void put_yaml_kv(FILE *f, const char *indent, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, "%s%s: ", indent, key);
	put_yaml_str(f, value);
	fputc('\n', f);
}

static void tap_begin(struct hvt_report *r)
{
	fprintf(r->out, "TAP version %d\n", r->opts.tap_version);
	if (r->ncases == 0)
		fputs("1..0 # SKIP no cases selected\n", r->out);
	else if (r->ncases > 0)
		fprintf(r->out, "1..%ld\n", r->ncases);
	if (r->run.id)
		fprintf(r->out, "# run %lld\n", (long long)r->run.id);
	if (r->run.plan) {
		fputs("# plan ", r->out);
		put_text(r->out, r->run.plan, false);
		fputc('\n', r->out);
	}
}

/*
 * The case's checks as a subtest: "# Subtest: NAME", then a TAP stream
 * indented by four spaces (each check a test point, its message in a YAML
 * block indented by six). TAP 14 harnesses read it as the subtest of the
 * test point that follows; TAP 13 harnesses ignore the indented lines.
 * A failed check of a case that does not fail the run (an expected
 * failure, a skip) carries the case's directive, since a TAP 14 harness
 * fails a run on a failed subtest whatever its parent says.
 */
static void put_checks(FILE *f, const struct hvt_case *c, enum hvt_outcome o)
{
	fputs("# Subtest: ", f);
	put_text(f, c->name, false);
	fprintf(f, "\n    1..%zu\n", c->nchecks);
	for (size_t i = 0; i < c->nchecks; i++) {
		const struct hvt_check *k = &c->checks[i];

		fprintf(f, "    %s %zu - ", k->status == HVT_FAIL ? "not ok" : "ok", i + 1);
		put_text(f, k->name, true);
		if (k->status == HVT_SKIP) {
			fputs(" # SKIP ", f);
			put_text(f, k->message, false);
		} else if (k->status == HVT_FAIL && o == HVT_XFAIL) {
			fputs(" # TODO ", f);
			put_text(f, c->xfail, false);
		} else if (k->status == HVT_FAIL && o == HVT_SKIP) {
			fputs(" # SKIP ", f);
			put_text(f, c->reason ? c->reason : "every check skipped", false);
		}
		fputc('\n', f);
		if (k->status == HVT_FAIL || (k->message && *k->message)) {
			fputs("      ---\n", f);
			put_yaml_kv(f, "      ", "message", k->message ? k->message : "");
			fputs("      t: ", f);
			put_yaml_num(f, k->t);
			fputs("\n      ...\n", f);
		}
	}
}

static const struct hvt_check *first_failed(const struct hvt_case *c)
{
	for (size_t i = 0; i < c->nchecks; i++)
		if (c->checks[i].status == HVT_FAIL)
			return &c->checks[i];
	return NULL;
}

/* Why a case did not simply pass, in one string (caller frees), or NULL. */
static char *case_message(const struct hvt_case *c, enum hvt_outcome o)
{
	const struct hvt_check *k = first_failed(c);

	switch (o) {
	case HVT_FAIL:
	case HVT_XFAIL:
		if (k)
			return hvt_asprintf("%s: %s", k->name, k->message ? k->message : "");
		return c->reason ? hvt_strdup(c->reason) : NULL;
	case HVT_ERROR:
		return hvt_strdup(c->reason ? c->reason : "no verdict: the case recorded no check");
	case HVT_TIMEOUT:
		return hvt_strdup(c->reason ? c->reason : "timed out");
	case HVT_SKIP:
		return hvt_strdup(c->reason ? c->reason : "every check skipped");
	case HVT_XPASS:
		return hvt_asprintf("passed, but expected to fail: %s", c->xfail ? c->xfail : "");
	case HVT_PASS:
		break;
	}
	return NULL;
}

/*
 * The test point's YAML block, two spaces in, which harnesses of both
 * versions attach to the test point: what went wrong (message, the failed
 * checks with their messages) and where the forensics are (the work
 * directory and the files collected from it).
 */
static void put_diagnostics(FILE *f, const struct hvt_case *c, enum hvt_outcome o)
{
	char *msg = case_message(c, o);

	fputs("  ---\n", f);
	put_yaml_kv(f, "  ", "message", msg);
	free(msg);
	fprintf(f, "  outcome: %s\n", hvt_outcome_name(o));
	put_yaml_kv(f, "  ", "reason", c->reason);
	put_yaml_kv(f, "  ", "xfail", c->xfail);
	put_yaml_kv(f, "  ", "type", c->type);
	fprintf(f, "  index: %ld\n  attempt: %d\n", c->index, c->attempt);
	if (c->flaky)
		fputs("  flaky: true\n", f);
	fputs("  duration: ", f);
	put_yaml_num(f, c->duration);
	fputc('\n', f);
	if (first_failed(c)) {
		fputs("  failed:\n", f);
		for (size_t i = 0; i < c->nchecks; i++) {
			const struct hvt_check *k = &c->checks[i];

			if (k->status != HVT_FAIL)
				continue;
			fputs("    - name: ", f);
			put_yaml_str(f, k->name);
			fputs("\n      message: ", f);
			put_yaml_str(f, k->message);
			fputs("\n      t: ", f);
			put_yaml_num(f, k->t);
			fputc('\n', f);
		}
	}
	if (c->nmetrics) {
		fputs("  metrics:\n", f);
		for (size_t i = 0; i < c->nmetrics; i++) {
			fputs("    - name: ", f);
			put_yaml_str(f, c->metrics[i].name);
			fputs("\n      value: ", f);
			put_yaml_num(f, c->metrics[i].value);
			fputs("\n      unit: ", f);
			put_yaml_str(f, c->metrics[i].unit);
			fputc('\n', f);
		}
	}
	put_yaml_kv(f, "  ", "workdir", c->workdir);
	if (c->nartifacts) {
		fputs("  artifacts:\n", f);
		for (size_t i = 0; i < c->nartifacts; i++) {
			fputs("    - name: ", f);
			put_yaml_str(f, c->artifacts[i].name);
			fputs("\n      path: ", f);
			put_yaml_str(f, c->artifacts[i].path);
			fputc('\n', f);
		}
	}
	fputs("  ...\n", f);
}

/*
 * One test point per case: "ok" for pass and skip (# SKIP reason), "not
 * ok # TODO reason" for an expected failure (a TAP harness does not count
 * it as failed), "not ok" for fail, error, timeout and an unexpected pass
 * -- no TODO there, so that a harness fails on it as hvtest does.
 */
static void tap_add(struct hvt_report *r, const struct hvt_case *c)
{
	enum hvt_outcome o = hvt_case_outcome(c);
	FILE *f = r->out;

	if (c->nchecks)
		put_checks(f, c, o);
	fprintf(f, "%s %ld - ", o == HVT_PASS || o == HVT_SKIP ? "ok" : "not ok", r->n);
	put_text(f, c->name, true);
	if (o == HVT_SKIP) {
		fputs(" # SKIP ", f);
		put_text(f, c->reason ? c->reason : "every check skipped", false);
	} else if (o == HVT_XFAIL) {
		fputs(" # TODO ", f);
		put_text(f, c->xfail, false);
	}
	fputc('\n', f);
	put_diagnostics(f, c, o);
	/* a harness reading a pipe sees each case as it finishes */
	fflush(f);
}

static void tap_end(struct hvt_report *r)
{
	if (r->ncases < 0)
		fprintf(r->out, r->n ? "1..%ld\n" : "1..%ld # SKIP no cases selected\n", r->n);
	fputs("#", r->out);
	for (int o = 0; o < HVT_OUTCOME_COUNT; o++)
		fprintf(r->out, "%s %s %ld", o ? "," : "", hvt_outcome_name((enum hvt_outcome)o),
			r->counts[o]);
	fputc('\n', r->out);
}

const struct report_ops report_tap_ops = {
	.begin = tap_begin,
	.add = tap_add,
	.end = tap_end,
};
