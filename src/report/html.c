// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HTML writer: one self-contained page per run (no script, no external
 * file) with the run's host, a table of cases, and each case's checks,
 * metrics, parameters and artifacts. A metric recorded more than once in a
 * case is a time series: its samples are drawn as an inline SVG chart
 * against the case's clock, one chart per unit. Cases whose names carry
 * variant dimensions ("matrix.(control=p2p).(flags=none)") are also shown
 * as matrices: the last dimension across, the others down. Cases with
 * the matrix_* keys make the guest support matrix at the top (matrix.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

/* Chart geometry, in SVG user units. */
#define CHART_W 640
#define CHART_H 220
#define CHART_L 64 /* room for the y labels */
#define CHART_R 16
#define CHART_T 12
#define CHART_B 34 /* room for the x labels */

static const char *const series_colours[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
};

static void esc(struct hvt_buf *b, const char *s)
{
	hvt_report_xml_escape(b, s);
}

static const char *outcome_class(enum hvt_outcome o)
{
	return hvt_outcome_name(o);
}

static void html_begin(struct hvt_report *r)
{
}

/* One metric name of a case: where its samples are and how many. */
struct series {
	const char *name, *unit;
	size_t first, n;
	double min, max, last;
};

/* Whether a sample belongs to a series (same name, same unit). */
static bool in_series(const struct hvt_metric *m, const struct series *s)
{
	return !strcmp(m->name, s->name) && !strcmp(m->unit ? m->unit : "", s->unit);
}

/* Distinct metric names in order of first appearance (caller frees). */
static struct series *collect_series(const struct hvt_case *c, size_t *nseries)
{
	struct series *v = hvt_zalloc((c->nmetrics ? c->nmetrics : 1) * sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < c->nmetrics; i++) {
		const struct hvt_metric *m = &c->metrics[i];
		const char *unit = m->unit ? m->unit : "";
		struct series *s = NULL;

		for (size_t k = 0; k < n && !s; k++)
			if (in_series(m, &v[k]))
				s = &v[k];
		if (!s) {
			s = &v[n++];
			s->name = m->name;
			s->unit = unit;
			s->first = i;
			s->min = INFINITY;
			s->max = -INFINITY;
		}
		s->n++;
		s->last = m->value;
		if (isfinite(m->value)) {
			s->min = fmin(s->min, m->value);
			s->max = fmax(s->max, m->value);
		}
	}
	*nseries = n;
	return v;
}

static void put_num(struct hvt_buf *b, double v)
{
	if (isfinite(v))
		hvt_buf_addf(b, "%.6g", v);
	else
		hvt_buf_addf(b, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

/* y of a value in a chart spanning [lo, hi]. */
static double chart_y(double v, double lo, double hi)
{
	return CHART_T + (CHART_H - CHART_T - CHART_B) * (1.0 - (v - lo) / (hi - lo));
}

static double chart_x(double t, double t0, double t1)
{
	return CHART_L + (CHART_W - CHART_L - CHART_R) * ((t - t0) / (t1 - t0));
}

/*
 * One SVG chart of every series (two samples or more) with this unit.
 * The y range includes 0 when all values are of one sign, so a change
 * reads as the share of the whole it is.
 */
static void chart(struct hvt_buf *b, const struct hvt_case *c, const struct series *v, size_t n,
		  const char *unit)
{
	double lo = INFINITY, hi = -INFINITY, t0 = INFINITY, t1 = -INFINITY;
	size_t colour = 0;

	for (size_t k = 0; k < n; k++) {
		if (v[k].n < 2 || strcmp(v[k].unit, unit))
			continue;
		lo = fmin(lo, v[k].min);
		hi = fmax(hi, v[k].max);
		for (size_t i = v[k].first; i < c->nmetrics; i++) {
			const struct hvt_metric *m = &c->metrics[i];

			if (!in_series(m, &v[k]) || !isfinite(m->t))
				continue;
			t0 = fmin(t0, m->t);
			t1 = fmax(t1, m->t);
		}
	}
	if (!isfinite(lo) || !isfinite(t0))
		return; /* no finite sample to draw */
	if (lo > 0)
		lo = 0;
	if (hi < 0)
		hi = 0;
	if (hi == lo)
		hi = lo + 1;
	if (t1 == t0)
		t1 = t0 + 1;

	hvt_buf_addf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
			"role=\"img\">\n", CHART_W, CHART_H, CHART_W, CHART_H);
	/* grid and y labels: five steps */
	for (int g = 0; g <= 4; g++) {
		double val = lo + (hi - lo) * g / 4.0;
		double y = chart_y(val, lo, hi);

		hvt_buf_addf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
				"<text class=\"yl\" x=\"%d\" y=\"%.1f\">",
			     CHART_L, CHART_W - CHART_R, y, y, CHART_L - 6, y + 4);
		put_num(b, val);
		hvt_buf_addf(b, "</text>\n");
	}
	/* x labels: start, middle, end of the case's clock */
	for (int g = 0; g <= 2; g++) {
		double t = t0 + (t1 - t0) * g / 2.0;

		hvt_buf_addf(b, "<text class=\"xl\" x=\"%.1f\" y=\"%d\">%.1f s</text>\n",
			     chart_x(t, t0, t1), CHART_H - CHART_B + 16, t);
	}
	hvt_buf_addf(b, "<text class=\"unit\" x=\"4\" y=\"%d\">", CHART_T + 4);
	esc(b, *unit ? unit : "(no unit)");
	hvt_buf_addf(b, "</text>\n");

	for (size_t k = 0; k < n; k++) {
		const char *col;

		if (v[k].n < 2 || strcmp(v[k].unit, unit))
			continue;
		col = series_colours[colour++ % HVT_ARRAY_SIZE(series_colours)];
		hvt_buf_addf(b, "<g class=\"series\" stroke=\"%s\" fill=\"%s\"><title>", col, col);
		esc(b, v[k].name);
		hvt_buf_addf(b, "</title>\n<polyline fill=\"none\" points=\"");
		for (size_t i = v[k].first; i < c->nmetrics; i++) {
			const struct hvt_metric *m = &c->metrics[i];

			if (!in_series(m, &v[k]) || !isfinite(m->value) || !isfinite(m->t))
				continue;
			hvt_buf_addf(b, "%.1f,%.1f ", chart_x(m->t, t0, t1),
				     chart_y(m->value, lo, hi));
		}
		hvt_buf_addf(b, "\"/>\n");
		for (size_t i = v[k].first; i < c->nmetrics; i++) {
			const struct hvt_metric *m = &c->metrics[i];

			if (!in_series(m, &v[k]) || !isfinite(m->value) || !isfinite(m->t))
				continue;
			hvt_buf_addf(b, "<circle r=\"2.5\" cx=\"%.1f\" cy=\"%.1f\"><title>",
				     chart_x(m->t, t0, t1), chart_y(m->value, lo, hi));
			esc(b, v[k].name);
			hvt_buf_addf(b, " = ");
			put_num(b, m->value);
			if (*unit) {
				hvt_buf_addf(b, " ");
				esc(b, unit);
			}
			hvt_buf_addf(b, " at %.2f s</title></circle>\n", m->t);
		}
		hvt_buf_addf(b, "</g>\n");
	}
	hvt_buf_addf(b, "</svg>\n<p class=\"legend\">");
	colour = 0;
	for (size_t k = 0; k < n; k++) {
		if (v[k].n < 2 || strcmp(v[k].unit, unit))
			continue;
		hvt_buf_addf(b, "<span style=\"color:%s\">&#9632;</span> ",
			     series_colours[colour++ % HVT_ARRAY_SIZE(series_colours)]);
		esc(b, v[k].name);
		hvt_buf_addf(b, " &#160; ");
	}
	hvt_buf_addf(b, "</p>\n");
}

static void metrics(struct hvt_buf *b, const struct hvt_case *c)
{
	size_t n;
	struct series *v = collect_series(c, &n);
	bool any_series = false;

	if (!n)
		goto out;
	hvt_buf_addf(b, "<table class=\"metrics\"><tr><th>metric</th><th>value</th>"
			"<th>unit</th><th>samples</th><th>min</th><th>max</th></tr>\n");
	for (size_t k = 0; k < n; k++) {
		hvt_buf_addf(b, "<tr><td>");
		esc(b, v[k].name);
		hvt_buf_addf(b, "</td><td class=\"num\">");
		put_num(b, v[k].last);
		hvt_buf_addf(b, "</td><td>");
		esc(b, v[k].unit);
		hvt_buf_addf(b, "</td><td class=\"num\">%zu</td>", v[k].n);
		if (v[k].n > 1 && isfinite(v[k].min)) {
			hvt_buf_addf(b, "<td class=\"num\">");
			put_num(b, v[k].min);
			hvt_buf_addf(b, "</td><td class=\"num\">");
			put_num(b, v[k].max);
			hvt_buf_addf(b, "</td>");
			any_series = true;
		} else {
			hvt_buf_addf(b, "<td></td><td></td>");
		}
		hvt_buf_addf(b, "</tr>\n");
	}
	hvt_buf_addf(b, "</table>\n");
	if (!any_series)
		goto out;
	/* one chart per unit, in order of the unit's first series */
	for (size_t k = 0; k < n; k++) {
		bool seen = false;

		if (v[k].n < 2)
			continue;
		for (size_t j = 0; j < k && !seen; j++)
			seen = v[j].n > 1 && !strcmp(v[j].unit, v[k].unit);
		if (!seen)
			chart(b, c, v, n, v[k].unit);
	}
out:
	free(v);
}

/* A line of the list of cases that did not pass: a link to the case and why. */
static void failure_line(struct hvt_buf *b, long n, const struct hvt_case *c,
			 enum hvt_outcome o)
{
	const struct hvt_check *k = NULL;

	for (size_t i = 0; i < c->nchecks && !k; i++)
		if (c->checks[i].status == HVT_FAIL)
			k = &c->checks[i];
	hvt_buf_addf(b, "<li><span class=\"o %s\">%s</span> <a href=\"#c%ld\">",
		     outcome_class(o), hvt_outcome_name(o), n);
	esc(b, c->name);
	hvt_buf_addf(b, "</a>: ");
	if (o == HVT_XPASS) {
		hvt_buf_addf(b, "passed, but expected to fail: ");
		esc(b, c->xfail);
	} else if (k) {
		esc(b, k->name);
		hvt_buf_addf(b, ": ");
		esc(b, k->message);
	} else {
		esc(b, c->reason ? c->reason : "");
	}
	hvt_buf_addf(b, "</li>\n");
}


/*
 * Screenshots (.png) and videos (.mp4) among a case's artifacts, shown
 * inline: the screen at each assert, the difference image of a failed
 * match, the last screen, the case's video.
 */
static void media(struct hvt_buf *b, const struct hvt_case *c)
{
	bool any = false;

	for (size_t i = 0; i < c->nartifacts; i++) {
		const char *p = c->artifacts[i].path;
		bool png, mp4;

		if (!p)
			continue;
		png = report_is_image(p);
		mp4 = report_is_video(p);
		if (!png && !mp4)
			continue;
		if (!any)
			hvt_buf_addf(b, "<div class=\"media\">\n");
		any = true;
		hvt_buf_addf(b, "<figure>%s", png ? "<img loading=\"lazy\" src=\"file://"
						  : "<video controls preload=\"none\" src=\"file://");
		if (*p != '/' && c->workdir) {
			esc(b, c->workdir);
			hvt_buf_addf(b, "/");
		}
		esc(b, p);
		hvt_buf_addf(b, "\"%s><figcaption>", png ? " alt=\"screenshot\"" : "");
		esc(b, c->artifacts[i].name);
		hvt_buf_addf(b, "</figcaption></figure>\n");
	}
	if (any)
		hvt_buf_addf(b, "</div>\n");
}

/* Links to a case's artifacts on a server; pictures and videos in the page. */
static void artifact_links(struct hvt_buf *b, const char *base, const struct hvt_case *c)
{
	if (!c->nartifacts)
		return;
	hvt_buf_addf(b, "<ul class=\"files\">\n");
	for (size_t i = 0; i < c->nartifacts; i++) {
		struct hvt_buf url = HVT_BUF_INIT;
		const char *p = c->artifacts[i].path;

		hvt_buf_addf(&url, "%s%ld/", base, c->index);
		hvt_report_url_path(&url, p);
		hvt_buf_addf(b, "<li>");
		esc(b, c->artifacts[i].name);
		hvt_buf_addf(b, ": <a href=\"");
		esc(b, url.p);
		hvt_buf_addf(b, "\">");
		esc(b, p);
		hvt_buf_addf(b, "</a>");
		if (report_is_image(p)) {
			hvt_buf_addf(b, "<br><img class=\"shot\" alt=\"\" src=\"");
			esc(b, url.p);
			hvt_buf_addf(b, "\">");
		} else if (report_is_video(p)) {
			hvt_buf_addf(b, "<br><video class=\"shot\" controls preload=\"none\" src=\"");
			esc(b, url.p);
			hvt_buf_addf(b, "\"></video>");
		}
		hvt_buf_addf(b, "</li>\n");
		hvt_buf_release(&url);
	}
	hvt_buf_addf(b, "</ul>\n");
}

static void html_add(struct hvt_report *r, const struct hvt_case *c)
{
	enum hvt_outcome o = hvt_case_outcome(c);
	struct hvt_buf *b = &r->buf;

	/* a case of the guest matrix is not drawn a second time by its name's dimensions */
	if (!hvt_case_param(c, HVT_MATRIX_KEY_GUEST, NULL))
		hvt_strv_pushf(&r->cells, "%ld %d %s", r->n, (int)o, c->name);
	if (!r->guests)
		r->guests = hvt_matrix_new();
	hvt_matrix_add(r->guests, r->n, c);
	hvt_buf_addf(b, "<details id=\"c%ld\"%s><summary><span class=\"o %s\">%s</span> ", r->n,
		     hvt_outcome_bad(o) ? " open" : "", outcome_class(o), hvt_outcome_name(o));
	esc(b, c->name);
	hvt_buf_addf(b, " <span class=\"dur\">%.1f s", isfinite(c->duration) ? c->duration : 0.0);
	if (c->attempt > 1)
		hvt_buf_addf(b, ", attempt %d%s", c->attempt, c->flaky ? ", flaky" : "");
	hvt_buf_addf(b, "</span></summary>\n<div class=\"case\">\n");
	if (hvt_outcome_bad(o))
		failure_line(&r->aux, r->n, c, o);
	if (c->reason) {
		hvt_buf_addf(b, "<p class=\"reason\">");
		esc(b, c->reason);
		hvt_buf_addf(b, "</p>\n");
	}
	if (c->xfail) {
		hvt_buf_addf(b, "<p class=\"expect\">expected to fail: ");
		esc(b, c->xfail);
		hvt_buf_addf(b, "%s</p>\n", o == HVT_XPASS ? " &#8212; but it passed" : "");
	}
	if (c->nchecks) {
		hvt_buf_addf(b, "<table class=\"checks\"><tr><th>check</th><th></th><th>at</th>"
				"<th>message</th></tr>\n");
		for (size_t i = 0; i < c->nchecks; i++) {
			const struct hvt_check *k = &c->checks[i];

			hvt_buf_addf(b, "<tr><td>");
			esc(b, k->name);
			hvt_buf_addf(b, "</td><td class=\"o %s\">%s</td>",
				     outcome_class(k->status), hvt_outcome_name(k->status));
			hvt_buf_addf(b, "<td class=\"num\">%.2f s</td><td>",
				     isfinite(k->t) ? k->t : 0.0);
			esc(b, k->message);
			hvt_buf_addf(b, "</td></tr>\n");
		}
		hvt_buf_addf(b, "</table>\n");
	}
	metrics(b, c);
	if (c->nparams) {
		hvt_buf_addf(b, "<details class=\"params\"><summary>%zu parameters</summary>"
				"<table>\n", c->nparams);
		for (size_t i = 0; i < c->nparams; i++) {
			hvt_buf_addf(b, "<tr><td>");
			esc(b, c->params[i].key);
			hvt_buf_addf(b, "</td><td>");
			esc(b, c->params[i].value);
			hvt_buf_addf(b, "</td></tr>\n");
		}
		hvt_buf_addf(b, "</table></details>\n");
	}
	if (r->opts.artifact_base) {
		artifact_links(b, r->opts.artifact_base, c);
	} else if (c->workdir || c->nartifacts) {
		hvt_buf_addf(b, "<ul class=\"files\">\n");
		if (c->workdir) {
			hvt_buf_addf(b, "<li>work directory <a href=\"file://");
			esc(b, c->workdir);
			hvt_buf_addf(b, "\">");
			esc(b, c->workdir);
			hvt_buf_addf(b, "</a></li>\n");
		}
		for (size_t i = 0; i < c->nartifacts; i++) {
			const char *p = c->artifacts[i].path;
			bool rel = p && *p != '/' && c->workdir;

			hvt_buf_addf(b, "<li>");
			esc(b, c->artifacts[i].name);
			hvt_buf_addf(b, ": <a href=\"file://");
			if (rel) {
				esc(b, c->workdir);
				hvt_buf_addf(b, "/");
			}
			esc(b, p);
			hvt_buf_addf(b, "\">");
			esc(b, p);
			hvt_buf_addf(b, "</a></li>\n");
		}
		hvt_buf_addf(b, "</ul>\n");
		media(b, c);
	}
	hvt_buf_addf(b, "</div></details>\n");
}

/* Matrices bigger than this are left to the list of cases. */
#define MATRIX_MAX 2000

/* One case of a matrix: its place, parsed from its name. */
struct mcell {
	long n;
	int o;
	char *group;	/* the name without its dimensions' values: "matrix.(control).(flags)" */
	char *row;	/* the values of all dimensions but the last: "p2p / paused" */
	char *col;	/* the last dimension's value */
	char *dims;	/* the dimensions but the last: "control / source" */
	char *last;	/* the last dimension's name */
};

/* "IDX O matrix.(a=x).(b=y)" -> a cell; false when the name has under two dimensions. */
static bool parse_cell(const char *text, struct mcell *m)
{
	struct hvt_buf group = HVT_BUF_INIT, row = HVT_BUF_INIT, dims = HVT_BUF_INIT;
	char *copy, *p, *save = NULL, *name = NULL, *val = NULL;
	int ndim = 0, used = 0;

	memset(m, 0, sizeof(*m));
	if (sscanf(text, "%ld %d %n", &m->n, &m->o, &used) < 2 || !used)
		return false;
	copy = hvt_strdup(text + used);
	for (p = strtok_r(copy, ".", &save); p; p = strtok_r(NULL, ".", &save)) {
		char *eq = strchr(p, '=');
		size_t len = strlen(p);

		hvt_buf_addf(&group, "%s", group.len ? "." : "");
		if (p[0] != '(' || p[len - 1] != ')' || !eq) {
			hvt_buf_addf(&group, "%s", p);
			continue;
		}
		p[len - 1] = '\0';
		*eq = '\0';
		hvt_buf_addf(&group, "(%s)", p + 1);
		if (name) {
			hvt_buf_addf(&row, "%s%s", row.len ? " / " : "", val);
			hvt_buf_addf(&dims, "%s%s", dims.len ? " / " : "", name);
		}
		name = p + 1;
		val = eq + 1;
		ndim++;
	}
	if (ndim >= 2) {
		m->group = hvt_strdup(group.p);
		m->row = hvt_strdup(row.p);
		m->dims = hvt_strdup(dims.p);
		m->col = hvt_strdup(val);
		m->last = hvt_strdup(name);
	}
	free(copy);
	hvt_buf_release(&group);
	hvt_buf_release(&row);
	hvt_buf_release(&dims);
	return ndim >= 2;
}

static void release_cell(struct mcell *m)
{
	free(m->group);
	free(m->row);
	free(m->col);
	free(m->dims);
	free(m->last);
}

/* One table for the cells of group g (from index first on). */
static void matrix(struct hvt_buf *b, struct mcell *cells, size_t n, size_t first)
{
	const char *g = cells[first].group;
	struct hvt_strv rows = HVT_STRV_INIT, cols = HVT_STRV_INIT;
	long *at;
	size_t count = 0;

	for (size_t i = first; i < n; i++)
		if (cells[i].group && !strcmp(cells[i].group, g)) {
			report_strv_index(&rows, cells[i].row);
			report_strv_index(&cols, cells[i].col);
			count++;
		}
	if (rows.n < 2 || cols.n < 2 || count > MATRIX_MAX)
		goto out;
	at = hvt_zalloc(rows.n * cols.n * sizeof(*at));
	for (size_t i = first; i < n; i++)
		if (cells[i].group && !strcmp(cells[i].group, g))
			at[report_strv_index(&rows, cells[i].row) * cols.n + report_strv_index(&cols, cells[i].col)] =
				(long)i + 1;
	hvt_buf_addf(b, "<table class=\"matrix\"><caption>");
	esc(b, g);
	hvt_buf_addf(b, ": %zu cases</caption>\n<tr><th>", count);
	esc(b, cells[first].dims);
	hvt_buf_addf(b, " \\ ");
	esc(b, cells[first].last);
	hvt_buf_addf(b, "</th>");
	for (size_t c = 0; c < cols.n; c++) {
		hvt_buf_addf(b, "<th>");
		esc(b, cols.v[c]);
		hvt_buf_addf(b, "</th>");
	}
	hvt_buf_addf(b, "</tr>\n");
	for (size_t r = 0; r < rows.n; r++) {
		hvt_buf_addf(b, "<tr><td>");
		esc(b, rows.v[r]);
		hvt_buf_addf(b, "</td>");
		for (size_t c = 0; c < cols.n; c++) {
			long k = at[r * cols.n + c];
			const char *o = k ? hvt_outcome_name((enum hvt_outcome)cells[k - 1].o) : NULL;

			if (o)
				hvt_buf_addf(b, "<td><a class=\"o %s\" href=\"#c%ld\">%s</a></td>", o,
					     cells[k - 1].n, o);
			else
				hvt_buf_addf(b, "<td></td>");
		}
		hvt_buf_addf(b, "</tr>\n");
	}
	hvt_buf_addf(b, "</table>\n");
	free(at);
out:
	hvt_strv_release(&rows);
	hvt_strv_release(&cols);
}

/* A matrix per group of cases named by variant dimensions. */
static void matrices(struct hvt_buf *b, const struct hvt_strv *texts)
{
	struct mcell *cells = hvt_zalloc((texts->n + 1) * sizeof(*cells));
	struct hvt_strv done = HVT_STRV_INIT;

	for (size_t i = 0; i < texts->n; i++)
		parse_cell(texts->v[i], &cells[i]);
	for (size_t i = 0; i < texts->n; i++) {
		size_t before = done.n;

		if (!cells[i].group || (report_strv_index(&done, cells[i].group), done.n == before))
			continue;
		matrix(b, cells, texts->n, i);
	}
	for (size_t i = 0; i < texts->n; i++)
		release_cell(&cells[i]);
	free(cells);
	hvt_strv_release(&done);
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.4em;margin:0 0 .3em}"
	"table{border-collapse:collapse;margin:.4em 0}"
	"td,th{padding:.15em .6em;text-align:left;vertical-align:top}"
	"tr:nth-child(even){background:#f4f4f4}"
	".num{text-align:right;font-variant-numeric:tabular-nums}"
	".media{display:flex;flex-wrap:wrap;gap:.6em}.media figure{margin:0}"
	".media img,.media video{max-width:360px;border:1px solid #ccc}"
	".media figcaption{font-size:.85em;color:#555}"
	".o{font-weight:600}.pass{color:#1a7f37}.fail,.error,.timeout,.xpass{color:#cf222e}"
	".skip{color:#8a6d00}.xfail{color:#6e40c9}.expect{color:#6e40c9}"
	"details{margin:.2em 0}summary{cursor:pointer}"
	".case{margin:.3em 0 1em 1.5em}.dur{color:#666}"
	".reason{color:#cf222e;white-space:pre-wrap}"
	".grid{stroke:#ddd}.yl{text-anchor:end;font-size:11px}"
	".xl{text-anchor:middle;font-size:11px}.unit{font-size:11px;fill:#666}"
	".series polyline{stroke-width:1.5}"
	".legend{margin:0 0 .8em}.host{color:#444}.failed{margin:.4em 0 1em}"
	".matrix caption{text-align:left;font-weight:600}.matrix a{text-decoration:none}"
	".shot{max-width:100%;border:1px solid #ccc;margin:.3em 0}";

static void html_end(struct hvt_report *r)
{
	struct hvt_buf h = HVT_BUF_INIT;
	const struct hvt_run_info *ri = &r->run;
	char ts[32];

	hvt_buf_addf(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			 "<title>hvtest");
	if (ri->id)
		hvt_buf_addf(&h, " run %lld", (long long)ri->id);
	if (ri->plan) {
		hvt_buf_addf(&h, ": ");
		esc(&h, ri->plan);
	}
	hvt_buf_addf(&h, "</title>\n<style>%s%s</style></head>\n<body>\n<h1>hvtest", style,
		     hvt_matrix_style);
	if (ri->id)
		hvt_buf_addf(&h, " run %lld", (long long)ri->id);
	if (ri->plan) {
		hvt_buf_addf(&h, ": ");
		esc(&h, ri->plan);
	}
	hvt_buf_addf(&h, "</h1>\n");
	if (r->opts.html_preamble)
		hvt_buf_addf(&h, "%s\n", r->opts.html_preamble);
	hvt_buf_addf(&h, "<p class=\"host\">");
	if (ri->started > 0) {
		report_iso_time(ts, sizeof(ts), ri->started);
		hvt_buf_addf(&h, "started %s", ts);
	}
	if (ri->filters && *ri->filters) {
		hvt_buf_addf(&h, "; filters ");
		esc(&h, ri->filters);
	}
	if (ri->host.hostname) {
		hvt_buf_addf(&h, "<br>host ");
		esc(&h, ri->host.hostname);
		hvt_buf_addf(&h, ", kernel ");
		esc(&h, ri->host.kernel ? ri->host.kernel : "?");
		hvt_buf_addf(&h, ", QEMU ");
		esc(&h, ri->host.qemu_version ? ri->host.qemu_version : "?");
		hvt_buf_addf(&h, ", ");
		esc(&h, ri->host.accel ? ri->host.accel : "?");
		if (ri->host.accel_reason) {
			hvt_buf_addf(&h, " (");
			esc(&h, ri->host.accel_reason);
			hvt_buf_addf(&h, ")");
		}
		if (ri->host.hvtest_version) {
			hvt_buf_addf(&h, ", hvtest ");
			esc(&h, ri->host.hvtest_version);
		}
	}
	hvt_buf_addf(&h, "</p>\n<p class=\"summary\">%ld case%s", r->n, r->n == 1 ? "" : "s");
	/* expected failures and unexpected passes only in runs that have them */
	for (int o = 0; o < HVT_OUTCOME_COUNT; o++)
		if (o <= HVT_TIMEOUT || r->counts[o])
			hvt_buf_addf(&h, ", <span class=\"o %s\">%ld %s</span>",
				     outcome_class((enum hvt_outcome)o), r->counts[o],
				     hvt_outcome_name((enum hvt_outcome)o));
	hvt_buf_addf(&h, "; %.1f s of case time</p>\n", r->time);
	if (r->aux.len)
		hvt_buf_addf(&h, "<ul class=\"failed\">\n%s</ul>\n", r->aux.p);
	if (r->guests) {
		struct hvt_matrix_links l = { .artifact_base = r->opts.artifact_base };

		hvt_matrix_html(&h, r->guests, &l);
	}
	matrices(&h, &r->cells);
	fwrite(h.p, 1, h.len, r->out);
	if (r->buf.len)
		fwrite(r->buf.p, 1, r->buf.len, r->out);
	fputs("</body></html>\n", r->out);
	hvt_buf_release(&h);
}

const struct report_ops report_html_ops = {
	.begin = html_begin,
	.add = html_add,
	.end = html_end,
};
