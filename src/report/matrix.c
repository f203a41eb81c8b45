// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest support matrix: cases placed by their matrix_guest,
 * matrix_config and matrix_phase keys, drawn as text, JSON or HTML with
 * links to each case and to its failing screen, video and console.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

/* One placed cell phase. */
struct entry {
	size_t g, k;
	enum hvt_matrix_phase p;
	struct hvt_matrix_mark mark;
};

struct hvt_matrix {
	struct hvt_strv guests, configs, problems;
	struct entry *v;
	size_t n, alloc;
	size_t ncases;
};

static const char *const phase_names[HVT_MATRIX_PHASES] = { "install", "boot" };

const char *hvt_matrix_phase_name(enum hvt_matrix_phase p)
{
	return (unsigned)p < HVT_MATRIX_PHASES ? phase_names[p] : "?";
}

/* How bad an outcome is, for the worst of several cases on one cell. */
static int badness(enum hvt_outcome o)
{
	static const int rank[HVT_OUTCOME_COUNT] = {
		[HVT_PASS] = 0, [HVT_XFAIL] = 1, [HVT_SKIP] = 2, [HVT_XPASS] = 3,
		[HVT_FAIL] = 4, [HVT_TIMEOUT] = 5, [HVT_ERROR] = 6,
	};

	return (unsigned)o < HVT_OUTCOME_COUNT ? rank[o] : 7;
}

/* Whether an install leaves a disk a boot can use. */
static bool install_usable(enum hvt_outcome o)
{
	return o == HVT_PASS || o == HVT_XPASS;
}

struct hvt_matrix *hvt_matrix_new(void)
{
	return hvt_zalloc(sizeof(struct hvt_matrix));
}

static void mark_release(struct hvt_matrix_mark *k)
{
	free(k->name);
	free(k->reason);
	free(k->workdir);
	free(k->screen);
	free(k->video);
	free(k->console);
	memset(k, 0, sizeof(*k));
}

void hvt_matrix_free(struct hvt_matrix *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		mark_release(&m->v[i].mark);
	free(m->v);
	hvt_strv_release(&m->guests);
	hvt_strv_release(&m->configs);
	hvt_strv_release(&m->problems);
	free(m);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/*
 * The failing screen is the last picture of a failed assert (the screen
 * type names them ...-fail.png), else the last screen saved when the case
 * failed, else the last picture of any kind.
 */
static void pick_artifacts(struct hvt_matrix_mark *k, const struct hvt_case *c)
{
	const char *fail = NULL, *last = NULL, *any = NULL, *video = NULL, *console = NULL;

	for (size_t i = 0; i < c->nartifacts; i++) {
		const char *p = c->artifacts[i].path;

		if (!p || !*p)
			continue;
		if (report_is_image(p)) {
			any = p;
			if (strstr(base_name(p), "-fail."))
				fail = p;
			else if (strstr(base_name(p), "last-screen"))
				last = p;
		} else if (report_is_video(p) && !video) {
			video = p;
		} else if (!strcmp(base_name(p), "console.log") && !console) {
			console = p;
		}
	}
	if (fail || last || any)
		k->screen = hvt_strdup(fail ? fail : last ? last : any);
	if (video)
		k->video = hvt_strdup(video);
	if (console)
		k->console = hvt_strdup(console);
}

static char *why(const struct hvt_case *c, enum hvt_outcome o)
{
	if (o == HVT_PASS)
		return NULL;
	if (o == HVT_XPASS)
		return hvt_asprintf("passed, but expected to fail: %s", c->xfail ? c->xfail : "");
	if (c->reason && *c->reason)
		return hvt_strdup(c->reason);
	for (size_t i = 0; i < c->nchecks; i++)
		if (c->checks[i].status == HVT_FAIL)
			return hvt_asprintf("%s: %s", c->checks[i].name,
					    c->checks[i].message ? c->checks[i].message : "");
	if (o == HVT_XFAIL && c->xfail)
		return hvt_asprintf("expected failure: %s", c->xfail);
	return NULL;
}

static void mark_set(struct hvt_matrix_mark *k, long pos, const struct hvt_case *c,
		     enum hvt_outcome o)
{
	size_t ncases = k->ncases;

	mark_release(k);
	k->outcome = o;
	k->pos = pos;
	k->index = c->index;
	k->attempts = c->attempt > 0 ? c->attempt : 1;
	k->flaky = c->flaky;
	k->ncases = ncases;
	k->name = hvt_strdup(c->name ? c->name : "");
	k->reason = why(c, o);
	k->workdir = c->workdir ? hvt_strdup(c->workdir) : NULL;
	pick_artifacts(k, c);
}

static struct entry *find(const struct hvt_matrix *m, size_t g, size_t k,
			  enum hvt_matrix_phase p)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].g == g && m->v[i].k == k && m->v[i].p == p)
			return &m->v[i];
	return NULL;
}

void hvt_matrix_add(struct hvt_matrix *m, long pos, const struct hvt_case *c)
{
	const char *guest = hvt_case_param(c, HVT_MATRIX_KEY_GUEST, NULL);
	const char *config = hvt_case_param(c, HVT_MATRIX_KEY_CONFIG, NULL);
	const char *phase = hvt_case_param(c, HVT_MATRIX_KEY_PHASE, NULL);
	enum hvt_outcome o = hvt_case_outcome(c);
	enum hvt_matrix_phase p;
	struct entry *e;
	size_t g, k;

	if (!guest && !config && !phase)
		return;
	if (!guest || !*guest || !config || !*config || !phase || !*phase) {
		hvt_strv_pushf(&m->problems, "case %ld %s: %s, %s and %s are needed together "
			       "(it has %s%s%s)", c->index, c->name, HVT_MATRIX_KEY_GUEST,
			       HVT_MATRIX_KEY_CONFIG, HVT_MATRIX_KEY_PHASE,
			       guest && *guest ? HVT_MATRIX_KEY_GUEST " " : "",
			       config && *config ? HVT_MATRIX_KEY_CONFIG " " : "",
			       phase && *phase ? HVT_MATRIX_KEY_PHASE : "");
		return;
	}
	if (!strcmp(phase, "install")) {
		p = HVT_MATRIX_INSTALL;
	} else if (!strcmp(phase, "boot")) {
		p = HVT_MATRIX_BOOT;
	} else {
		hvt_strv_pushf(&m->problems, "case %ld %s: %s '%s' is not install or boot",
			       c->index, c->name, HVT_MATRIX_KEY_PHASE, phase);
		return;
	}
	g = report_strv_index(&m->guests, guest);
	k = report_strv_index(&m->configs, config);
	m->ncases++;
	e = find(m, g, k, p);
	if (e) {
		/* a second case on one cell: the worst shows, both count */
		e->mark.ncases++;
		if (badness(o) > badness(e->mark.outcome))
			mark_set(&e->mark, pos, c, o);
		return;
	}
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 16;
		m->v = hvt_realloc(m->v, m->alloc * sizeof(*m->v));
	}
	e = &m->v[m->n++];
	memset(e, 0, sizeof(*e));
	e->g = g;
	e->k = k;
	e->p = p;
	e->mark.ncases = 1;
	mark_set(&e->mark, pos, c, o);
}

int hvt_matrix_from_store(struct hvt_store *s, int64_t run_id, struct hvt_matrix **out,
			  struct hvt_err *err)
{
	struct hvt_run_info ri;
	struct hvt_case **cases;
	size_t n;
	int ret;

	*out = NULL;
	ret = report_load_run(s, run_id, &ri, &cases, &n, err);
	if (ret)
		return ret;
	hvt_run_info_release(&ri);
	*out = hvt_matrix_new();
	for (size_t i = 0; i < n; i++)
		hvt_matrix_add(*out, (long)i + 1, cases[i]);
	hvt_store_cases_free(cases, n);
	return 0;
}

size_t hvt_matrix_ncases(const struct hvt_matrix *m)
{
	return m->ncases;
}

size_t hvt_matrix_nguests(const struct hvt_matrix *m)
{
	return m->guests.n;
}

size_t hvt_matrix_nconfigs(const struct hvt_matrix *m)
{
	return m->configs.n;
}

const char *hvt_matrix_guest(const struct hvt_matrix *m, size_t g)
{
	return g < m->guests.n ? m->guests.v[g] : NULL;
}

const char *hvt_matrix_config(const struct hvt_matrix *m, size_t k)
{
	return k < m->configs.n ? m->configs.v[k] : NULL;
}

size_t hvt_matrix_nproblems(const struct hvt_matrix *m)
{
	return m->problems.n;
}

const char *hvt_matrix_problem(const struct hvt_matrix *m, size_t i)
{
	return i < m->problems.n ? m->problems.v[i] : NULL;
}

/* The install that keeps guest g from booting on configuration k, or NULL. */
static const struct hvt_matrix_mark *failed_install(const struct hvt_matrix *m, size_t g,
						    size_t k)
{
	const struct entry *same = find(m, g, k, HVT_MATRIX_INSTALL);
	const struct hvt_matrix_mark *worst = NULL;

	if (same)
		return install_usable(same->mark.outcome) ? NULL : &same->mark;
	/* installed on another configuration: it fails when every install did */
	for (size_t i = 0; i < m->n; i++) {
		const struct entry *e = &m->v[i];

		if (e->g != g || e->p != HVT_MATRIX_INSTALL)
			continue;
		if (install_usable(e->mark.outcome))
			return NULL;
		if (!worst || badness(e->mark.outcome) > badness(worst->outcome))
			worst = &e->mark;
	}
	return worst;
}

enum hvt_matrix_state hvt_matrix_cell(const struct hvt_matrix *m, size_t g, size_t k,
				      enum hvt_matrix_phase p,
				      const struct hvt_matrix_mark **mark)
{
	const struct entry *e = find(m, g, k, p);

	*mark = NULL;
	if (e) {
		*mark = &e->mark;
		return HVT_MATRIX_RAN;
	}
	if (p == HVT_MATRIX_BOOT && (*mark = failed_install(m, g, k)))
		return HVT_MATRIX_NOT_RUN;
	return HVT_MATRIX_NONE;
}

/* "pass", "not-run" or "-" for a cell's phase. */
static const char *state_word(enum hvt_matrix_state st, const struct hvt_matrix_mark *k)
{
	if (st == HVT_MATRIX_RAN)
		return hvt_outcome_name(k->outcome);
	return st == HVT_MATRIX_NOT_RUN ? "not-run" : "-";
}

/* Why a boot did not run, from the install that failed (caller frees). */
static char *not_run_reason(const struct hvt_matrix *m, size_t g,
			    const struct hvt_matrix_mark *inst)
{
	return hvt_asprintf("not run: the install of %s %s (case %ld%s%s)", m->guests.v[g],
			    inst->outcome == HVT_SKIP ? "was skipped" : "failed", inst->index,
			    inst->reason ? ": " : "", inst->reason ? inst->reason : "");
}

void hvt_matrix_text(const struct hvt_matrix *m, FILE *out)
{
	size_t gw = strlen("GUEST"), *cw = hvt_zalloc((m->configs.n + 1) * sizeof(*cw));

	for (size_t g = 0; g < m->guests.n; g++)
		if (strlen(m->guests.v[g]) > gw)
			gw = strlen(m->guests.v[g]);
	for (size_t k = 0; k < m->configs.n; k++) {
		cw[k] = strlen(m->configs.v[k]);
		for (size_t g = 0; g < m->guests.n; g++) {
			const struct hvt_matrix_mark *a, *b;
			enum hvt_matrix_state sa = hvt_matrix_cell(m, g, k, HVT_MATRIX_INSTALL, &a);
			enum hvt_matrix_state sb = hvt_matrix_cell(m, g, k, HVT_MATRIX_BOOT, &b);
			size_t w = strlen(state_word(sa, a)) + 1 + strlen(state_word(sb, b));

			if (w > cw[k])
				cw[k] = w;
		}
	}
	fprintf(out, "%-*s", (int)gw, "GUEST");
	for (size_t k = 0; k < m->configs.n; k++)
		fprintf(out, "  %-*s", k + 1 < m->configs.n ? (int)cw[k] : 0, m->configs.v[k]);
	fprintf(out, "\n");
	for (size_t g = 0; g < m->guests.n; g++) {
		fprintf(out, "%-*s", (int)gw, m->guests.v[g]);
		for (size_t k = 0; k < m->configs.n; k++) {
			const struct hvt_matrix_mark *a, *b;
			enum hvt_matrix_state sa = hvt_matrix_cell(m, g, k, HVT_MATRIX_INSTALL, &a);
			enum hvt_matrix_state sb = hvt_matrix_cell(m, g, k, HVT_MATRIX_BOOT, &b);
			char *cell = hvt_asprintf("%s/%s", state_word(sa, a), state_word(sb, b));

			fprintf(out, "  %-*s", k + 1 < m->configs.n ? (int)cw[k] : 0, cell);
			free(cell);
		}
		fprintf(out, "\n");
	}
	fprintf(out, "\n(each cell: install/boot; %zu case%s)\n", m->ncases,
		m->ncases == 1 ? "" : "s");
	for (size_t g = 0; g < m->guests.n; g++) {
		for (size_t k = 0; k < m->configs.n; k++) {
			for (int p = 0; p < HVT_MATRIX_PHASES; p++) {
				const struct hvt_matrix_mark *x;
				enum hvt_matrix_state st = hvt_matrix_cell(m, g, k, p, &x);
				char *r;

				if (st == HVT_MATRIX_NONE || (st == HVT_MATRIX_RAN &&
							      x->outcome == HVT_PASS))
					continue;
				fprintf(out, "%s %s %s: ", m->guests.v[g], m->configs.v[k],
					phase_names[p]);
				if (st == HVT_MATRIX_NOT_RUN) {
					r = not_run_reason(m, g, x);
					fprintf(out, "%s\n", r);
					free(r);
					continue;
				}
				fprintf(out, "%s, case %ld %s", hvt_outcome_name(x->outcome),
					x->index, x->name);
				if (x->ncases > 1)
					fprintf(out, " (worst of %zu cases)", x->ncases);
				fprintf(out, "%s%s\n", x->reason ? ": " : "",
					x->reason ? x->reason : "");
			}
		}
	}
	for (size_t i = 0; i < m->problems.n; i++)
		fprintf(out, "problem: %s\n", m->problems.v[i]);
	free(cw);
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static struct json_object *mark_json(const struct hvt_matrix *m, size_t g,
				     enum hvt_matrix_state st, const struct hvt_matrix_mark *k)
{
	struct json_object *o = json_object_new_object();
	char anchor[32];

	if (st == HVT_MATRIX_NONE) {
		add_str(o, "state", "none");
		return o;
	}
	if (st == HVT_MATRIX_NOT_RUN) {
		char *r = not_run_reason(m, g, k);

		add_str(o, "state", "not-run");
		add_str(o, "reason", r);
		json_object_object_add(o, "install_case", json_object_new_int64(k->index));
		free(r);
		return o;
	}
	hvt_snprintf(anchor, sizeof(anchor), "c%ld", k->pos);
	add_str(o, "state", "ran");
	add_str(o, "outcome", hvt_outcome_name(k->outcome));
	json_object_object_add(o, "case", json_object_new_int64(k->index));
	add_str(o, "name", k->name);
	add_str(o, "anchor", anchor);
	json_object_object_add(o, "attempts", json_object_new_int(k->attempts));
	json_object_object_add(o, "flaky", json_object_new_boolean(k->flaky));
	json_object_object_add(o, "cases", json_object_new_int64((int64_t)k->ncases));
	add_str(o, "reason", k->reason);
	add_str(o, "workdir", k->workdir);
	add_str(o, "screen", k->screen);
	add_str(o, "video", k->video);
	add_str(o, "console", k->console);
	return o;
}

struct json_object *hvt_matrix_json(const struct hvt_matrix *m, int64_t run_id)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *guests = json_object_new_array(), *configs = json_object_new_array();
	struct json_object *cells = json_object_new_array(), *problems = json_object_new_array();

	add_str(doc, "format", "hvtest-matrix");
	json_object_object_add(doc, "version", json_object_new_int(HVT_MATRIX_JSON_VERSION));
	if (run_id)
		json_object_object_add(doc, "run", json_object_new_int64(run_id));
	for (size_t g = 0; g < m->guests.n; g++)
		json_object_array_add(guests, json_object_new_string(m->guests.v[g]));
	for (size_t k = 0; k < m->configs.n; k++)
		json_object_array_add(configs, json_object_new_string(m->configs.v[k]));
	for (size_t g = 0; g < m->guests.n; g++) {
		for (size_t k = 0; k < m->configs.n; k++) {
			struct json_object *cell = json_object_new_object();

			add_str(cell, "guest", m->guests.v[g]);
			add_str(cell, "config", m->configs.v[k]);
			for (int p = 0; p < HVT_MATRIX_PHASES; p++) {
				const struct hvt_matrix_mark *x;
				enum hvt_matrix_state st = hvt_matrix_cell(m, g, k, p, &x);

				json_object_object_add(cell, phase_names[p], mark_json(m, g, st, x));
			}
			json_object_array_add(cells, cell);
		}
	}
	for (size_t i = 0; i < m->problems.n; i++)
		json_object_array_add(problems, json_object_new_string(m->problems.v[i]));
	json_object_object_add(doc, "guests", guests);
	json_object_object_add(doc, "configs", configs);
	json_object_object_add(doc, "cells", cells);
	json_object_object_add(doc, "problems", problems);
	return doc;
}

const char hvt_matrix_style[] =
	".guest-matrix{border-collapse:collapse;margin:.4em 0 1em}"
	".guest-matrix td,.guest-matrix th{border:1px solid #ccc;padding:.25em .5em}"
	".guest-matrix caption{text-align:left;font-weight:600}"
	".mk{display:inline-block;min-width:4.5em;margin:.1em 0;padding:0 .3em;"
	"border-radius:3px;color:#fff;text-decoration:none}"
	".mk.pass{background:#1a7f37}.mk.fail,.mk.error,.mk.timeout,.mk.xpass{background:#cf222e}"
	".mk.skip{background:#8a6d00}.mk.xfail{background:#6e40c9}"
	".mk.not-run{background:#888}.mk.none{background:none;color:#999}"
	".mk-files a{font-size:.85em;margin-right:.4em}"
	".mk-why{font-size:.85em;color:#555;max-width:28em}";

static void esc(struct hvt_buf *b, const char *s)
{
	hvt_report_xml_escape(b, s);
}

/* The URL of one of a mark's artifacts (escaped into b). */
static void artifact_url(struct hvt_buf *b, const struct hvt_matrix_mark *k, const char *path,
			 const struct hvt_matrix_links *l)
{
	struct hvt_buf u = HVT_BUF_INIT;

	if (l->artifact_base) {
		hvt_buf_addf(&u, "%s%ld/", l->artifact_base, k->index);
		hvt_report_url_path(&u, path);
	} else {
		hvt_buf_addf(&u, "file://");
		if (*path != '/' && k->workdir) {
			hvt_report_url_path(&u, k->workdir);
			hvt_buf_addf(&u, "/");
		}
		hvt_report_url_path(&u, path);
	}
	esc(b, u.p);
	hvt_buf_release(&u);
}

static void html_mark(struct hvt_buf *b, const struct hvt_matrix *m, size_t g, size_t k,
		      enum hvt_matrix_phase p, const struct hvt_matrix_links *l)
{
	const struct hvt_matrix_mark *x;
	enum hvt_matrix_state st = hvt_matrix_cell(m, g, k, p, &x);
	const char *files[3][2];
	size_t nf = 0;
	char *r;

	hvt_buf_addf(b, "<div class=\"ph %s\">", phase_names[p]);
	if (st == HVT_MATRIX_NONE) {
		hvt_buf_addf(b, "<span class=\"mk none\" title=\"no %s case\">%s: &#8212;</span>"
				"</div>", phase_names[p], phase_names[p]);
		return;
	}
	if (st == HVT_MATRIX_NOT_RUN) {
		r = not_run_reason(m, g, x);
		hvt_buf_addf(b, "<span class=\"mk not-run\" data-outcome=\"not-run\" title=\"");
		esc(b, r);
		hvt_buf_addf(b, "\">%s: not run</span><div class=\"mk-why\">", phase_names[p]);
		esc(b, r);
		hvt_buf_addf(b, "</div></div>");
		free(r);
		return;
	}
	hvt_buf_addf(b, "<a class=\"mk %s\" data-outcome=\"%s\" data-case=\"%ld\" href=\"",
		     hvt_outcome_name(x->outcome), hvt_outcome_name(x->outcome), x->index);
	esc(b, l->page ? l->page : "");
	hvt_buf_addf(b, "#c%ld\" title=\"", x->pos);
	esc(b, x->name);
	hvt_buf_addf(b, "\">%s: %s", phase_names[p], hvt_outcome_name(x->outcome));
	if (x->attempts > 1)
		hvt_buf_addf(b, " (%d attempts%s)", x->attempts, x->flaky ? ", flaky" : "");
	if (x->ncases > 1)
		hvt_buf_addf(b, " (worst of %zu)", x->ncases);
	hvt_buf_addf(b, "</a>");
	if (x->screen) {
		files[nf][0] = "screen";
		files[nf++][1] = x->screen;
	}
	if (x->video) {
		files[nf][0] = "video";
		files[nf++][1] = x->video;
	}
	if (x->console) {
		files[nf][0] = "console";
		files[nf++][1] = x->console;
	}
	if (nf) {
		hvt_buf_addf(b, "<div class=\"mk-files\">");
		for (size_t i = 0; i < nf; i++) {
			hvt_buf_addf(b, "<a class=\"%s\" href=\"", files[i][0]);
			artifact_url(b, x, files[i][1], l);
			hvt_buf_addf(b, "\">%s</a>", files[i][0]);
		}
		hvt_buf_addf(b, "</div>");
	}
	if (x->reason) {
		hvt_buf_addf(b, "<div class=\"mk-why\">");
		esc(b, x->reason);
		hvt_buf_addf(b, "</div>");
	}
	hvt_buf_addf(b, "</div>");
}

void hvt_matrix_html(struct hvt_buf *b, const struct hvt_matrix *m,
		     const struct hvt_matrix_links *links)
{
	static const struct hvt_matrix_links none;
	const struct hvt_matrix_links *l = links ? links : &none;

	if (!m->ncases && !m->problems.n)
		return;
	hvt_buf_addf(b, "<table class=\"guest-matrix\" id=\"guest-matrix\"><caption>Guest support "
			"matrix: %zu case%s (install and boot per guest and configuration)"
			"</caption>\n<tr><th>guest \\ configuration</th>",
		     m->ncases, m->ncases == 1 ? "" : "s");
	for (size_t k = 0; k < m->configs.n; k++) {
		hvt_buf_addf(b, "<th>");
		esc(b, m->configs.v[k]);
		hvt_buf_addf(b, "</th>");
	}
	hvt_buf_addf(b, "</tr>\n");
	for (size_t g = 0; g < m->guests.n; g++) {
		hvt_buf_addf(b, "<tr><th>");
		esc(b, m->guests.v[g]);
		hvt_buf_addf(b, "</th>");
		for (size_t k = 0; k < m->configs.n; k++) {
			hvt_buf_addf(b, "<td class=\"cell\" data-guest=\"");
			esc(b, m->guests.v[g]);
			hvt_buf_addf(b, "\" data-config=\"");
			esc(b, m->configs.v[k]);
			hvt_buf_addf(b, "\">");
			html_mark(b, m, g, k, HVT_MATRIX_INSTALL, l);
			html_mark(b, m, g, k, HVT_MATRIX_BOOT, l);
			hvt_buf_addf(b, "</td>");
		}
		hvt_buf_addf(b, "</tr>\n");
	}
	hvt_buf_addf(b, "</table>\n");
	if (m->problems.n) {
		hvt_buf_addf(b, "<ul class=\"matrix-problems\">\n");
		for (size_t i = 0; i < m->problems.n; i++) {
			hvt_buf_addf(b, "<li>");
			esc(b, m->problems.v[i]);
			hvt_buf_addf(b, "</li>\n");
		}
		hvt_buf_addf(b, "</ul>\n");
	}
}

void hvt_matrix_html_page(struct hvt_buf *b, const struct hvt_matrix *m, const char *title,
			  const struct hvt_matrix_links *links)
{
	hvt_buf_addf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			"<title>");
	esc(b, title);
	hvt_buf_addf(b, "</title>\n<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;"
			"color:#222}h1{font-size:1.4em}%s</style></head>\n<body>\n<h1>",
		     hvt_matrix_style);
	esc(b, title);
	hvt_buf_addf(b, "</h1>\n");
	hvt_matrix_html(b, m, links);
	hvt_buf_addf(b, "</body></html>\n");
}
