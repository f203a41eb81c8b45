// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the server shows: the summary over every user and machine (plans
 * x machines: latest outcome, trend, age), an index per user and per
 * machine, a page per run (the HTML report, its artifacts linked to the
 * server) and per case, the uploaded files, and the same as JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "serve-int.h"

/* Runs of a plan on a machine shown in the summary's trend. */
#define TREND_LEN 10

static void esc(struct hvt_buf *b, const char *s)
{
	hvt_report_xml_escape(b, s);
}

const char *pages_ctype(const char *name)
{
	static const struct {
		const char *suffix, *type;
	} types[] = {
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" },
		{ ".webp", "image/webp" },
		{ ".svg", "image/svg+xml" },
		{ ".ppm", "image/x-portable-pixmap" },
		{ ".webm", "video/webm" },
		{ ".mp4", "video/mp4" },
		{ ".ogv", "video/ogg" },
		{ ".html", "text/html; charset=utf-8" },
		{ ".htm", "text/html; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".xml", "application/xml" },
		{ ".gz", "application/gzip" },
		{ ".log", "text/plain; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".cfg", "text/plain; charset=utf-8" },
		{ ".tap", "text/plain; charset=utf-8" },
		{ ".stderr", "text/plain; charset=utf-8" },
		{ ".stdout", "text/plain; charset=utf-8" },
		{ ".trace", "text/plain; charset=utf-8" },
		{ ".csv", "text/csv; charset=utf-8" },
	};
	const char *base = strrchr(name, '/');
	size_t n = strlen(name);

	base = base ? base + 1 : name;
	for (size_t i = 0; i < HVT_ARRAY_SIZE(types); i++) {
		size_t k = strlen(types[i].suffix);

		if (n >= k && !strcasecmp(name + n - k, types[i].suffix))
			return types[i].type;
	}
	/* cpuinfo, dmesg and other names without a suffix are text files */
	if (!strchr(base, '.'))
		return "text/plain; charset=utf-8";
	return "application/octet-stream";
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.4em;margin:0 0 .3em}table{border-collapse:collapse;margin:.4em 0}"
	"td,th{padding:.2em .6em;text-align:left;vertical-align:top;border-bottom:1px solid #eee}"
	".num{text-align:right}.pass{color:#1a7f37}.fail{color:#cf222e}.empty{color:#8a6d00}"
	".o{font-weight:600}.age{color:#666}.trend a{text-decoration:none}"
	".nav{margin:0 0 1em}";

/* <a href="HREF">TEXT</a>, both escaped. */
static void html_link(struct hvt_buf *b, const char *href, const char *text)
{
	hvt_buf_addf(b, "<a href=\"");
	esc(b, href);
	hvt_buf_addf(b, "\">");
	esc(b, text);
	hvt_buf_addf(b, "</a>");
}

/* summary / USER / MACHINE: the way back up from a page. */
static void nav(struct hvt_buf *b, const char *user, const char *machine)
{
	char *href;

	hvt_buf_addf(b, "<p class=\"nav\"><a href=\"/\">summary</a>");
	if (user) {
		href = hvt_asprintf("/%s/", user);
		hvt_buf_addf(b, " / ");
		html_link(b, href, user);
		free(href);
	}
	if (user && machine) {
		href = hvt_asprintf("/%s/%s/", user, machine);
		hvt_buf_addf(b, " / ");
		html_link(b, href, machine);
		free(href);
	}
}

static void page_head(struct hvt_buf *b, const char *title)
{
	hvt_buf_addf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			"<title>");
	esc(b, title);
	hvt_buf_addf(b, "</title>\n<style>%s</style></head>\n<body>\n<h1>", style);
	esc(b, title);
	hvt_buf_addf(b, "</h1>\n");
}

static void html_reply(struct reply *rp, struct hvt_buf *b)
{
	rp->status = 200;
	rp->ctype = "text/html; charset=utf-8";
	rp->body = *b;
}

static void json_reply(struct reply *rp, struct json_object *o)
{
	rp->status = 200;
	rp->ctype = "application/json";
	hvt_buf_addf(&rp->body, "%s\n", hvt_json_str(o));
	json_object_put(o);
}

static const char *pub_outcome(const struct hvt_pub *p)
{
	const long *c = p->run.counts;

	if (c[HVT_FAIL] + c[HVT_ERROR] + c[HVT_TIMEOUT] + c[HVT_XPASS])
		return "fail";
	return p->run.ncases ? "pass" : "empty";
}

static const char *pub_plan(const struct hvt_pub *p)
{
	const char *slash;

	if (p->plan_name && *p->plan_name)
		return p->plan_name;
	if (!p->run.plan)
		return "(no plan)";
	slash = strrchr(p->run.plan, '/');
	return slash ? slash + 1 : p->run.plan;
}

static char *pub_url(const struct hvt_pub *p)
{
	return hvt_asprintf("/%s/%s/%s/%s/", p->user, p->machine, p->git, p->name);
}

static void fmt_age(char *buf, size_t len, double secs)
{
	if (!(secs > 0))
		secs = 0;
	if (secs < 120)
		hvt_snprintf(buf, len, "%.0f s ago", secs);
	else if (secs < 7200)
		hvt_snprintf(buf, len, "%.0f min ago", secs / 60);
	else if (secs < 172800)
		hvt_snprintf(buf, len, "%.0f h ago", secs / 3600);
	else
		hvt_snprintf(buf, len, "%.0f days ago", secs / 86400);
}

static void fmt_time(char *buf, size_t len, double t)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm))
		hvt_snprintf(buf, len, "?");
}

static struct json_object *pub_json(const struct hvt_pub *p)
{
	struct json_object *o = json_object_new_object(), *c = json_object_new_object();
	char *url = pub_url(p);

	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(o, "user", json_object_new_string(p->user));
	json_object_object_add(o, "machine", json_object_new_string(p->machine));
	json_object_object_add(o, "git", json_object_new_string(p->git));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "plan", json_object_new_string(pub_plan(p)));
	json_object_object_add(o, "published", json_object_new_double(p->published));
	json_object_object_add(o, "started", json_object_new_double(p->run.started));
	json_object_object_add(o, "outcome", json_object_new_string(pub_outcome(p)));
	if (p->cpu)
		json_object_object_add(o, "cpu", json_object_new_string(p->cpu));
	if (p->libvirt)
		json_object_object_add(o, "libvirt", json_object_new_string(p->libvirt));
	if (p->run.host.kernel)
		json_object_object_add(o, "kernel", json_object_new_string(p->run.host.kernel));
	if (p->run.host.qemu_version)
		json_object_object_add(o, "qemu_version",
				       json_object_new_string(p->run.host.qemu_version));
	json_object_object_add(o, "bytes", json_object_new_int64(p->bytes));
	json_object_object_add(c, "cases", json_object_new_int64(p->run.ncases));
	for (int k = 0; k < HVT_OUTCOME_COUNT; k++)
		json_object_object_add(c, hvt_outcome_name((enum hvt_outcome)k),
				       json_object_new_int64(p->run.counts[k]));
	json_object_object_add(o, "counts", c);
	free(url);
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Distinct strings of a vector, sorted. */
static void strv_add_unique(struct hvt_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return;
	hvt_strv_push(sv, s);
}

/* The newest runs (up to TREND_LEN) of a plan on a user's machine. */
static size_t cell_runs(const struct hvt_pub *v, size_t n, const char *plan, const char *col,
			const struct hvt_pub **out)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < TREND_LEN; i++) {
		char *c = hvt_asprintf("%s/%s", v[i].user, v[i].machine);

		if (!strcmp(pub_plan(&v[i]), plan) && !strcmp(c, col))
			out[k++] = &v[i];
		free(c);
	}
	return k;
}

static void summary(const struct hvt_pub *v, size_t n, bool json, struct reply *rp)
{
	struct hvt_strv plans = HVT_STRV_INIT, cols = HVT_STRV_INIT;
	const struct hvt_pub *cell[TREND_LEN];
	struct json_object *arr = json_object_new_array();
	struct hvt_buf b = HVT_BUF_INIT;
	double now = hvt_wall_now();
	char age[32];

	for (size_t i = 0; i < n; i++) {
		char *c = hvt_asprintf("%s/%s", v[i].user, v[i].machine);

		strv_add_unique(&plans, pub_plan(&v[i]));
		strv_add_unique(&cols, c);
		free(c);
	}
	if (plans.n)
		qsort(plans.v, plans.n, sizeof(char *), cmp_str);
	if (cols.n)
		qsort(cols.v, cols.n, sizeof(char *), cmp_str);
	page_head(&b, "hvtest results");
	hvt_buf_addf(&b, "<p>%zu published run%s from %zu machine%s. "
			 "<a href=\"/api/v1/summary\">JSON</a></p>\n",
		     n, n == 1 ? "" : "s", cols.n, cols.n == 1 ? "" : "s");
	hvt_buf_addf(&b, "<table class=\"summary\"><tr><th>plan</th>");
	for (size_t c = 0; c < cols.n; c++) {
		char *href = hvt_asprintf("/%s/", cols.v[c]);

		hvt_buf_addf(&b, "<th>");
		html_link(&b, href, cols.v[c]);
		hvt_buf_addf(&b, "</th>");
		free(href);
	}
	hvt_buf_addf(&b, "</tr>\n");
	for (size_t p = 0; p < plans.n; p++) {
		hvt_buf_addf(&b, "<tr><td>");
		esc(&b, plans.v[p]);
		hvt_buf_addf(&b, "</td>");
		for (size_t c = 0; c < cols.n; c++) {
			size_t k = cell_runs(v, n, plans.v[p], cols.v[c], cell);
			struct json_object *o, *trend;
			char *url;

			if (!k) {
				hvt_buf_addf(&b, "<td></td>");
				continue;
			}
			url = pub_url(cell[0]);
			fmt_age(age, sizeof(age), now - cell[0]->published);
			hvt_buf_addf(&b, "<td class=\"cell\"><a class=\"o %s\" href=\"",
				     pub_outcome(cell[0]));
			esc(&b, url);
			hvt_buf_addf(&b, "\">%s</a> %ld/%ld <span class=\"age\">%s</span>"
					 "<br><span class=\"trend\">", pub_outcome(cell[0]),
				     cell[0]->run.counts[HVT_PASS], cell[0]->run.ncases, age);
			o = json_object_new_object();
			trend = json_object_new_array();
			json_object_object_add(o, "plan", json_object_new_string(plans.v[p]));
			json_object_object_add(o, "machine", json_object_new_string(cols.v[c]));
			json_object_object_add(o, "latest", pub_json(cell[0]));
			/* oldest first, as a trend reads */
			for (size_t t = k; t-- > 0;) {
				char *tu = pub_url(cell[t]);

				hvt_buf_addf(&b, "<a class=\"%s\" title=\"", pub_outcome(cell[t]));
				esc(&b, cell[t]->name);
				hvt_buf_addf(&b, "\" href=\"");
				esc(&b, tu);
				hvt_buf_addf(&b, "\">&#9632;</a>");
				json_object_array_add(trend,
						      json_object_new_string(pub_outcome(cell[t])));
				free(tu);
			}
			json_object_object_add(o, "trend", trend);
			json_object_array_add(arr, o);
			hvt_buf_addf(&b, "</span></td>");
			free(url);
		}
		hvt_buf_addf(&b, "</tr>\n");
	}
	hvt_buf_addf(&b, "</table>\n</body></html>\n");
	if (json) {
		hvt_buf_release(&b);
		json_reply(rp, arr);
	} else {
		json_object_put(arr);
		html_reply(rp, &b);
	}
	hvt_strv_release(&plans);
	hvt_strv_release(&cols);
}

static void index_page(const char *user, const char *machine, const struct hvt_pub *v,
		       size_t n, struct reply *rp)
{
	struct hvt_buf b = HVT_BUF_INIT;
	double now = hvt_wall_now();
	char *title = machine ? hvt_asprintf("%s/%s", user, machine) : hvt_strdup(user);
	char age[32], when[40];

	page_head(&b, title);
	nav(&b, machine ? user : NULL, NULL);
	hvt_buf_addf(&b, "</p>\n<table class=\"runs\"><tr><th>run</th><th>plan</th>"
			 "<th>machine</th><th>git</th><th>outcome</th><th>cases</th>"
			 "<th>published</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		char *url = pub_url(&v[i]), *mpath;

		fmt_age(age, sizeof(age), now - v[i].published);
		fmt_time(when, sizeof(when), v[i].published);
		mpath = hvt_asprintf("/%s/%s/", v[i].user, v[i].machine);
		hvt_buf_addf(&b, "<tr><td>");
		html_link(&b, url, v[i].name);
		hvt_buf_addf(&b, "</td><td>");
		esc(&b, pub_plan(&v[i]));
		hvt_buf_addf(&b, "</td><td>");
		html_link(&b, mpath, v[i].machine);
		hvt_buf_addf(&b, "</td><td>");
		esc(&b, v[i].git);
		hvt_buf_addf(&b, "</td><td class=\"o %s\">%s</td><td class=\"num\">%ld/%ld</td>"
				 "<td>%s <span class=\"age\">%s</span></td></tr>\n",
			     pub_outcome(&v[i]), pub_outcome(&v[i]), v[i].run.counts[HVT_PASS],
			     v[i].run.ncases, when, age);
		free(mpath);
		free(url);
	}
	hvt_buf_addf(&b, "</table>\n</body></html>\n");
	html_reply(rp, &b);
	free(title);
}

/* Navigation and the publication's facts above a run's or a case's report. */
static char *run_preamble(const struct hvt_pub *p, const struct hvt_pub_file *f, size_t nf,
			  struct hvt_case *const *cases, size_t n)
{
	struct hvt_buf b = HVT_BUF_INIT;
	char *url = pub_url(p);
	char when[40];

	fmt_time(when, sizeof(when), p->published);
	nav(&b, p->user, p->machine);
	hvt_buf_addf(&b, " / <a href=\"");
	esc(&b, url);
	hvt_buf_addf(&b, "\">");
	esc(&b, p->git);
	hvt_buf_addf(&b, " ");
	esc(&b, p->name);
	hvt_buf_addf(&b, "</a> &#183; <a href=\"/api/v1/runs");
	esc(&b, url);
	hvt_buf_addf(&b, "\">JSON</a></p>\n<p class=\"host\">published %s by ", when);
	esc(&b, p->user);
	hvt_buf_addf(&b, "; git ");
	esc(&b, p->git);
	if (p->cpu) {
		hvt_buf_addf(&b, "; CPU ");
		esc(&b, p->cpu);
	}
	if (p->libvirt) {
		hvt_buf_addf(&b, "; libvirt ");
		esc(&b, p->libvirt);
	}
	hvt_buf_addf(&b, "</p>\n");
	if (nf && f[0].case_index < 0) {
		hvt_buf_addf(&b, "<p class=\"runfiles\">files of the run:");
		for (size_t i = 0; i < nf && f[i].case_index < 0; i++) {
			hvt_buf_addf(&b, " <a href=\"");
			esc(&b, url);
			hvt_buf_addf(&b, "f/");
			{
				struct hvt_buf u = HVT_BUF_INIT;

				hvt_report_url_path(&u, f[i].name);
				esc(&b, u.p);
				hvt_buf_release(&u);
			}
			hvt_buf_addf(&b, "\">");
			esc(&b, f[i].name);
			hvt_buf_addf(&b, "</a>");
		}
		hvt_buf_addf(&b, "</p>\n");
	}
	if (n) {
		hvt_buf_addf(&b, "<details class=\"cases\"><summary>a page per case</summary><p>");
		for (size_t i = 0; i < n; i++) {
			hvt_buf_addf(&b, "<a href=\"");
			esc(&b, url);
			hvt_buf_addf(&b, "case/%ld\">", cases[i]->index);
			esc(&b, cases[i]->name);
			hvt_buf_addf(&b, "</a> ");
		}
		hvt_buf_addf(&b, "</p></details>\n");
	}
	free(url);
	return b.p;
}

/* The report of a run (case < 0) or of one of its cases, as HTML. */
static void run_page(struct hvt_serve *s, const struct hvt_pub *p, long case_index,
		     struct reply *rp)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_pub_file *files = NULL;
	struct hvt_case **cases = NULL, **sel;
	size_t nf = 0, n = 0, nsel;
	char *url = pub_url(p), *base = hvt_asprintf("%sa/", url), *pre = NULL, *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	ret = hvt_registry_files(s->r, p->run.id, &files, &nf, &err);
	if (!ret)
		ret = hvt_store_run_cases(s->r, p->run.id, false, &cases, &n, &err);
	sel = cases;
	nsel = n;
	if (!ret && case_index >= 0) {
		nsel = 0;
		for (size_t i = 0; i < n && !nsel; i++) {
			if (cases[i]->index == case_index) {
				sel = &cases[i];
				nsel = 1;
			}
		}
		if (!nsel)
			ret = hvt_err_set(&err, -ENOENT, "no case %ld", case_index);
	}
	if (!ret) {
		struct hvt_report_opts o = { .artifact_base = base };

		pre = run_preamble(p, files, nf, cases, n);
		o.html_preamble = pre;
		f = open_memstream(&text, &len);
		ret = hvt_report_write(HVT_REPORT_HTML, &o, f, &p->run, sel, nsel, &err);
		fclose(f);
	}
	if (ret == -ENOENT) {
		reply_error(rp, 404, "%s", err.msg);
	} else if (ret) {
		reply_error(rp, 500, "%s", err.msg);
	} else {
		rp->status = 200;
		rp->ctype = "text/html; charset=utf-8";
		hvt_buf_add(&rp->body, text, len);
	}
	hvt_store_cases_free(cases, n);
	hvt_pub_files_free(files, nf);
	free(text);
	free(pre);
	free(base);
	free(url);
}

static void run_json(struct hvt_serve *s, const struct hvt_pub *p, struct reply *rp)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_pub_file *files = NULL;
	struct json_object *o, *arr, *doc = NULL;
	char *text = NULL;
	size_t nf = 0, len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	ret = hvt_report_run(s->r, p->run.id, HVT_REPORT_JSON, NULL, f, &err);
	fclose(f);
	if (!ret)
		doc = hvt_json_parse(text, &err);
	if (!doc || hvt_registry_files(s->r, p->run.id, &files, &nf, &err)) {
		reply_error(rp, 500, "%s", err.msg);
		goto out;
	}
	o = pub_json(p);
	arr = json_object_new_array();
	for (size_t i = 0; i < nf; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "case", json_object_new_int64(files[i].case_index));
		json_object_object_add(e, "name", json_object_new_string(files[i].name));
		json_object_object_add(e, "size", json_object_new_int64(files[i].size));
		json_object_object_add(e, "sha256", json_object_new_string(files[i].sha256));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "files", arr);
	json_object_object_add(o, "report", doc);
	json_reply(rp, o);
out:
	hvt_pub_files_free(files, nf);
	free(text);
}

/* Send an uploaded file: its own type, never script in the server's origin. */
static void file_reply(struct hvt_serve *s, int64_t run_id, long idx, const char *name,
		       struct reply *rp)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_pub_file f;
	char *path;
	int ret;

	ret = hvt_registry_file(s->r, run_id, idx, name, &f, &err);
	if (ret) {
		reply_error(rp, ret == -ENOENT ? 404 : 500, "%s", err.msg);
		return;
	}
	path = hvt_asprintf("%s/%s", s->blobs, f.sha256);
	rp->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (rp->fd < 0) {
		reply_error(rp, 500, "%s: %s", path, strerror(errno));
	} else {
		rp->status = 200;
		rp->size = f.size;
		rp->ctype = pages_ctype(name);
		/* an opaque origin, no script, no plug-ins: whatever was uploaded */
		rp->csp = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; "
			  "style-src 'unsafe-inline'";
	}
	free(path);
	free(f.name);
}

static char *join(char **seg, size_t from, size_t n)
{
	struct hvt_buf b = HVT_BUF_INIT;

	for (size_t i = from; i < n; i++)
		hvt_buf_addf(&b, "%s%s", i > from ? "/" : "", seg[i]);
	if (!b.p)
		return hvt_strdup("");
	return b.p;
}

static bool parse_index(const char *s, long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtol(s, &end, 10);
	return !errno && !*end;
}

/* /U/M/G/N/... : the run, a case, a file. */
static void run_get(struct hvt_serve *s, char **seg, size_t n, struct reply *rp)
{
	struct hvt_pub_key k = { seg[0], seg[1], seg[2], seg[3] };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_pub p;
	char *rest = NULL;
	long idx;
	int ret;

	ret = hvt_registry_find(s->r, &k, &p, &err);
	if (ret) {
		reply_error(rp, ret == -ENOENT ? 404 : 500, "%s", err.msg);
		return;
	}
	if (n == 4) {
		run_page(s, &p, -1, rp);
	} else if (n == 6 && !strcmp(seg[4], "case") && parse_index(seg[5], &idx)) {
		run_page(s, &p, idx, rp);
	} else if (n >= 7 && !strcmp(seg[4], "a") && parse_index(seg[5], &idx)) {
		rest = join(seg, 6, n);
		file_reply(s, p.run.id, idx, rest, rp);
	} else if (n >= 6 && !strcmp(seg[4], "f")) {
		rest = join(seg, 5, n);
		file_reply(s, p.run.id, -1, rest, rp);
	} else {
		reply_error(rp, 404, "no such page");
	}
	free(rest);
	hvt_pub_release(&p);
}

static void api_get(struct hvt_serve *s, char **seg, size_t n, const char *quser,
		    const char *qmachine, struct reply *rp)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_pub *v = NULL;
	size_t nv = 0;

	if (n < 3 || strcmp(seg[1], "v1")) {
		reply_error(rp, 404, "the API is under /api/v1/");
		return;
	}
	if (n == 3 && !strcmp(seg[2], "summary")) {
		if (hvt_registry_list(s->r, NULL, NULL, &v, &nv, &err))
			reply_error(rp, 500, "%s", err.msg);
		else
			summary(v, nv, true, rp);
	} else if (n == 3 && !strcmp(seg[2], "runs")) {
		if (hvt_registry_list(s->r, quser, qmachine, &v, &nv, &err)) {
			reply_error(rp, 500, "%s", err.msg);
		} else {
			struct json_object *arr = json_object_new_array();

			for (size_t i = 0; i < nv; i++)
				json_object_array_add(arr, pub_json(&v[i]));
			json_reply(rp, arr);
		}
	} else if (n == 7 && !strcmp(seg[2], "runs")) {
		struct hvt_pub_key k = { seg[3], seg[4], seg[5], seg[6] };
		struct hvt_pub p;
		int ret = hvt_registry_find(s->r, &k, &p, &err);

		if (ret) {
			reply_error(rp, ret == -ENOENT ? 404 : 500, "%s", err.msg);
			return;
		}
		run_json(s, &p, rp);
		hvt_pub_release(&p);
	} else {
		reply_error(rp, 404, "no such API path");
	}
	hvt_pubs_free(v, nv);
}

void pages_get(struct hvt_serve *s, char **seg, size_t n, const char *quser,
	       const char *qmachine, struct reply *rp)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_pub *v = NULL;
	size_t nv = 0;

	if (n && !strcmp(seg[0], "api")) {
		api_get(s, seg, n, quser, qmachine, rp);
		return;
	}
	for (size_t i = 0; i < n && i < 4; i++) {
		if (!hvt_serve_name_ok(seg[i])) {
			reply_error(rp, 404, "no such page");
			return;
		}
	}
	if (n >= 4) {
		run_get(s, seg, n, rp);
		return;
	}
	if (n == 3) {
		reply_error(rp, 404, "no such page");
		return;
	}
	if (hvt_registry_list(s->r, n ? seg[0] : NULL, n > 1 ? seg[1] : NULL, &v, &nv, &err)) {
		reply_error(rp, 500, "%s", err.msg);
		return;
	}
	if (!n)
		summary(v, nv, false, rp);
	else if (!nv)
		reply_error(rp, 404, "nothing published under /%s%s%s/", seg[0], n > 1 ? "/" : "",
			    n > 1 ? seg[1] : "");
	else
		index_page(seg[0], n > 1 ? seg[1] : NULL, v, nv, rp);
	hvt_pubs_free(v, nv);
}
