// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JUnit XML writer in the dialect Jenkins' JUnit plugin and GitLab read
 * (tests/data/junit.xsd is its schema). The counts go into the
 * <testsuite> attributes, so cases are collected and the whole document is
 * written at the end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

static void esc(struct hvt_buf *b, const char *s)
{
	hvt_report_xml_escape(b, s);
}

/* Seconds as JUnit wants them: plain decimal, never nan/inf. */
static void put_time(struct hvt_buf *b, double t)
{
	hvt_buf_addf(b, "%.3f", isfinite(t) && t > 0 ? t : 0.0);
}

static void junit_begin(struct hvt_report *r)
{
}

static void prop(struct hvt_buf *b, const char *indent, const char *name, const char *value)
{
	if (!value)
		return;
	hvt_buf_addf(b, "%s<property name=\"", indent);
	esc(b, name);
	hvt_buf_addf(b, "\" value=\"");
	esc(b, value);
	hvt_buf_addf(b, "\"/>\n");
}

/*
 * Where the case's name splits into classname and name: its last '.'
 * outside parentheses, so that "(machine=pc).(test=rtc).alarm" is class
 * "(machine=pc).(test=rtc)", test "alarm" -- Jenkins shows the part
 * before the class's own last '.' as its package. NULL when there is none.
 */
static const char *name_split(const char *name)
{
	const char *dot = NULL;
	int depth = 0;

	for (const char *p = name; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '.' && !depth && p != name && p[1])
			dot = p;
	}
	return dot;
}

/* A case name of one part is in the class of the plan: its file name without .cfg. */
static void put_plan_class(struct hvt_buf *b, const char *plan)
{
	const char *base, *ext;

	if (!plan || !*plan) {
		hvt_buf_addf(b, "hvtest");
		return;
	}
	base = strrchr(plan, '/');
	base = base && base[1] ? base + 1 : plan;
	ext = strrchr(base, '.');
	if (!ext || ext == base)
		ext = base + strlen(base);
	{
		char *stem = hvt_strndup(base, (size_t)(ext - base));

		esc(b, stem);
		free(stem);
	}
}

/* Every check, one a line: "[fail] name: message". */
static void put_checks(struct hvt_buf *b, const struct hvt_case *c)
{
	for (size_t i = 0; i < c->nchecks; i++) {
		hvt_buf_addf(b, "[%s] ", hvt_outcome_name(c->checks[i].status));
		esc(b, c->checks[i].name);
		if (c->checks[i].message && *c->checks[i].message) {
			hvt_buf_addf(b, ": ");
			esc(b, c->checks[i].message);
		}
		hvt_buf_addf(b, "\n");
	}
}

static const struct hvt_check *first_failed(const struct hvt_case *c)
{
	for (size_t i = 0; i < c->nchecks; i++)
		if (c->checks[i].status == HVT_FAIL)
			return &c->checks[i];
	return NULL;
}

/*
 * An artifact's path as a reader finds it from where hvtest ran: relative
 * paths are relative to the case's work directory. Caller frees.
 */
static char *artifact_path(const struct hvt_case *c, const struct hvt_artifact *a)
{
	if (a->path[0] == '/' || !c->workdir)
		return hvt_strdup(a->path);
	return hvt_asprintf("%s/%s", c->workdir, a->path);
}

static void junit_add(struct hvt_report *r, const struct hvt_case *c)
{
	enum hvt_outcome o = hvt_case_outcome(c);
	const struct hvt_check *k = first_failed(c);
	struct hvt_buf *b = &r->buf;
	const char *dot = name_split(c->name);

	hvt_buf_addf(b, "    <testcase classname=\"");
	if (dot) {
		char *cls = hvt_strndup(c->name, (size_t)(dot - c->name));

		esc(b, cls);
		free(cls);
	} else {
		put_plan_class(b, r->run.plan);
	}
	hvt_buf_addf(b, "\" name=\"");
	esc(b, dot ? dot + 1 : c->name);
	hvt_buf_addf(b, "\" time=\"");
	put_time(b, c->duration);
	hvt_buf_addf(b, "\">\n");

	hvt_buf_addf(b, "      <properties>\n");
	prop(b, "        ", "case", c->name);
	{
		char idx[32];

		hvt_snprintf(idx, sizeof(idx), "%ld", c->index);
		prop(b, "        ", "index", idx);
		hvt_snprintf(idx, sizeof(idx), "%d", c->attempt);
		prop(b, "        ", "attempt", idx);
	}
	prop(b, "        ", "type", c->type);
	prop(b, "        ", "outcome", hvt_outcome_name(o));
	for (size_t i = 0; i < c->nparams; i++) {
		char *n = hvt_asprintf("param.%s", c->params[i].key);

		prop(b, "        ", n, c->params[i].value);
		free(n);
	}
	for (size_t i = 0; i < c->nmetrics; i++) {
		char *n = hvt_asprintf("metric.%s", c->metrics[i].name);
		char *v = hvt_asprintf("%.17g%s%s", c->metrics[i].value,
				       *c->metrics[i].unit ? " " : "", c->metrics[i].unit);

		prop(b, "        ", n, v);
		free(n);
		free(v);
	}
	if (c->flaky)
		prop(b, "        ", "flaky", "true");
	prop(b, "        ", "xfail", c->xfail);
	hvt_buf_addf(b, "      </properties>\n");

	switch (o) {
	case HVT_FAIL:
		/* the first failed check is the message; the body has all of them */
		hvt_buf_addf(b, "      <failure type=\"fail\" message=\"");
		if (k) {
			esc(b, k->name);
			hvt_buf_addf(b, ": ");
			esc(b, k->message);
		} else {
			esc(b, c->reason ? c->reason : "failed");
		}
		hvt_buf_addf(b, "\">");
		put_checks(b, c);
		hvt_buf_addf(b, "</failure>\n");
		break;
	case HVT_ERROR:
	case HVT_TIMEOUT:
		hvt_buf_addf(b, "      <error type=\"%s\" message=\"", hvt_outcome_name(o));
		esc(b, c->reason ? c->reason : "no verdict: the case recorded no check");
		hvt_buf_addf(b, "\">");
		if (c->reason) {
			esc(b, c->reason);
			hvt_buf_addf(b, "\n");
		}
		put_checks(b, c);
		hvt_buf_addf(b, "</error>\n");
		break;
	case HVT_SKIP:
		hvt_buf_addf(b, "      <skipped message=\"");
		esc(b, c->reason ? c->reason : "every check skipped");
		hvt_buf_addf(b, "\"/>\n");
		break;
	case HVT_XFAIL:
		/* as pytest writes it: Jenkins and GitLab list it as skipped, with why */
		hvt_buf_addf(b, "      <skipped type=\"xfail\" message=\"expected failure: ");
		esc(b, c->xfail);
		hvt_buf_addf(b, "\"/>\n");
		break;
	case HVT_XPASS:
		hvt_buf_addf(b, "      <failure type=\"xpass\" message=\"unexpected pass: ");
		esc(b, c->xfail);
		hvt_buf_addf(b, "\">passed, but expected to fail: ");
		esc(b, c->xfail);
		hvt_buf_addf(b, "\nremove its xfail key if the bug is fixed\n");
		put_checks(b, c);
		hvt_buf_addf(b, "</failure>\n");
		break;
	case HVT_PASS:
		break;
	}

	/*
	 * Where the forensics are: the work directory, and each file collected
	 * from it as [[ATTACHMENT|path]], the line Jenkins' attachments plugin
	 * and GitLab turn into a link.
	 */
	hvt_buf_addf(b, "      <system-out>");
	hvt_buf_addf(b, "outcome: %s, attempt %d\n", hvt_outcome_name(o), c->attempt);
	if (c->xfail) {
		hvt_buf_addf(b, "expected to fail: ");
		esc(b, c->xfail);
		hvt_buf_addf(b, "\n");
	}
	put_checks(b, c);
	if (c->workdir) {
		hvt_buf_addf(b, "work directory: ");
		esc(b, c->workdir);
		hvt_buf_addf(b, "\n");
	}
	for (size_t i = 0; i < c->nartifacts; i++) {
		char *path = artifact_path(c, &c->artifacts[i]);

		hvt_buf_addf(b, "[[ATTACHMENT|");
		esc(b, path);
		hvt_buf_addf(b, "]]\n");
		free(path);
	}
	hvt_buf_addf(b, "</system-out>\n    </testcase>\n");
}

static void junit_end(struct hvt_report *r)
{
	struct hvt_buf h = HVT_BUF_INIT;
	long failures = r->counts[HVT_FAIL] + r->counts[HVT_XPASS];
	long errors = r->counts[HVT_ERROR] + r->counts[HVT_TIMEOUT];
	long skipped = r->counts[HVT_SKIP] + r->counts[HVT_XFAIL];
	char ts[32];

	hvt_buf_addf(&h, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	hvt_buf_addf(&h, "<testsuites name=\"hvtest\" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\""
			 " skipped=\"%ld\" time=\"", r->n, failures, errors, skipped);
	put_time(&h, r->time);
	hvt_buf_addf(&h, "\">\n  <testsuite name=\"");
	esc(&h, r->run.plan ? r->run.plan : "hvtest");
	hvt_buf_addf(&h, "\" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" skipped=\"%ld\" time=\"",
		     r->n, failures, errors, skipped);
	put_time(&h, r->time);
	hvt_buf_addf(&h, "\"");
	if (r->run.started > 0) {
		report_iso_time(ts, sizeof(ts), r->run.started);
		hvt_buf_addf(&h, " timestamp=\"%s\"", ts);
	}
	if (r->run.host.hostname) {
		hvt_buf_addf(&h, " hostname=\"");
		esc(&h, r->run.host.hostname);
		hvt_buf_addf(&h, "\"");
	}
	hvt_buf_addf(&h, ">\n    <properties>\n");
	if (r->run.id) {
		char id[32];

		hvt_snprintf(id, sizeof(id), "%lld", (long long)r->run.id);
		prop(&h, "      ", "run", id);
	}
	prop(&h, "      ", "filters", r->run.filters);
	prop(&h, "      ", "kernel", r->run.host.kernel);
	prop(&h, "      ", "qemu", r->run.host.qemu);
	prop(&h, "      ", "qemu_version", r->run.host.qemu_version);
	prop(&h, "      ", "accel", r->run.host.accel);
	prop(&h, "      ", "accel_reason", r->run.host.accel_reason);
	prop(&h, "      ", "hvtest_version", r->run.host.hvtest_version);
	hvt_buf_addf(&h, "    </properties>\n");
	fwrite(h.p, 1, h.len, r->out);
	if (r->buf.len)
		fwrite(r->buf.p, 1, r->buf.len, r->out);
	fputs("  </testsuite>\n</testsuites>\n", r->out);
	hvt_buf_release(&h);
}

const struct report_ops report_junit_ops = {
	.begin = junit_begin,
	.add = junit_add,
	.end = junit_end,
};
