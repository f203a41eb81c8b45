// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TAP 14 writer: one test point per case, written as the case is
 * reported; its checks as an indented subtest, details as YAML.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

/*
 * A test point description: one line, with '\' and '#' escaped (TAP 14),
 * so that a name can never start a directive or break the stream.
 */
static void put_desc(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\' || *p == '#')
			fputc('\\', f);
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
	}
}

/* A directive's reason: one line; '#' is allowed there. */
static void put_line(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
}

/* A YAML scalar: a JSON string is a YAML double-quoted scalar. */
static void put_yaml_str(FILE *f, const char *s)
{
	char *q = hvt_json_quote(s ? s : "");

	fputs(q, f);
	free(q);
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

static void tap_begin(struct hvt_report *r)
{
	fputs("TAP version 14\n", r->out);
	if (r->ncases >= 0)
		fprintf(r->out, "1..%ld\n", r->ncases);
	if (r->run.id)
		fprintf(r->out, "# run %lld\n", (long long)r->run.id);
	if (r->run.plan) {
		fputs("# plan ", r->out);
		put_line(r->out, r->run.plan);
		fputc('\n', r->out);
	}
}

static void put_checks(FILE *f, const struct hvt_case *c)
{
	fputs("# Subtest: ", f);
	put_line(f, c->name);
	fprintf(f, "\n    1..%zu\n", c->nchecks);
	for (size_t i = 0; i < c->nchecks; i++) {
		const struct hvt_check *k = &c->checks[i];

		fprintf(f, "    %s %zu - ", k->status == HVT_FAIL ? "not ok" : "ok", i + 1);
		put_desc(f, k->name);
		if (k->status == HVT_SKIP) {
			fputs(" # SKIP ", f);
			put_line(f, k->message);
			fputc('\n', f);
			continue;
		}
		fputc('\n', f);
		if (k->status == HVT_FAIL || (k->message && *k->message)) {
			fputs("      ---\n      message: ", f);
			put_yaml_str(f, k->message);
			fputs("\n      at: ", f);
			put_yaml_num(f, k->t);
			fputs("\n      ...\n", f);
		}
	}
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
		put_checks(f, c);
	fprintf(f, "%s %ld - ", o == HVT_PASS || o == HVT_SKIP ? "ok" : "not ok", r->n);
	put_desc(f, c->name);
	if (o == HVT_SKIP) {
		fputs(" # SKIP ", f);
		put_line(f, c->reason ? c->reason : "every check skipped");
	} else if (o == HVT_XFAIL) {
		fputs(" # TODO ", f);
		put_line(f, c->xfail);
	}
	fputs("\n  ---\n  outcome: ", f);
	fputs(hvt_outcome_name(o), f);
	if (c->reason) {
		fputs("\n  reason: ", f);
		put_yaml_str(f, c->reason);
	}
	if (c->xfail) {
		fputs("\n  xfail: ", f);
		put_yaml_str(f, c->xfail);
	}
	fputs("\n  type: ", f);
	put_yaml_str(f, c->type);
	fprintf(f, "\n  index: %ld\n  attempt: %d\n", c->index, c->attempt);
	if (c->flaky)
		fputs("  flaky: true\n", f);
	fputs("  duration: ", f);
	put_yaml_num(f, c->duration);
	fputc('\n', f);
	if (o == HVT_FAIL || o == HVT_XFAIL) {
		fputs("  failed:\n", f);
		for (size_t i = 0; i < c->nchecks; i++) {
			if (c->checks[i].status != HVT_FAIL)
				continue;
			fputs("    - ", f);
			put_yaml_str(f, c->checks[i].name);
			fputc('\n', f);
		}
	}
	if (c->nmetrics) {
		fputs("  metrics:\n", f);
		for (size_t i = 0; i < c->nmetrics; i++) {
			fputs("    - { name: ", f);
			put_yaml_str(f, c->metrics[i].name);
			fputs(", value: ", f);
			put_yaml_num(f, c->metrics[i].value);
			fputs(", unit: ", f);
			put_yaml_str(f, c->metrics[i].unit);
			fputs(" }\n", f);
		}
	}
	if (c->workdir) {
		fputs("  workdir: ", f);
		put_yaml_str(f, c->workdir);
		fputc('\n', f);
	}
	fputs("  ...\n", f);
	/* a harness reading a pipe sees each case as it finishes */
	fflush(f);
}

static void tap_end(struct hvt_report *r)
{
	if (r->ncases < 0)
		fprintf(r->out, "1..%ld\n", r->n);
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
