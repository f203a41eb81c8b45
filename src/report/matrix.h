/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest support matrix: the cases of a run that carry the plan keys
 * matrix_guest, matrix_config and matrix_phase (install or boot) laid out
 * as guests x configurations x {install, boot}, as a text table, JSON or
 * HTML (docs/MATRIX.md).
 */
#ifndef HVT_MATRIX_H
#define HVT_MATRIX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "case.h"
#include "store.h"

/* The plan keys that place a case in the matrix. */
#define HVT_MATRIX_KEY_GUEST "matrix_guest"
#define HVT_MATRIX_KEY_CONFIG "matrix_config"
#define HVT_MATRIX_KEY_PHASE "matrix_phase"
/* The version of the JSON document's layout ("version" in it). */
#define HVT_MATRIX_JSON_VERSION 1

enum hvt_matrix_phase {
	HVT_MATRIX_INSTALL,
	HVT_MATRIX_BOOT,
};
#define HVT_MATRIX_PHASES 2

/* "install", "boot" */
const char *hvt_matrix_phase_name(enum hvt_matrix_phase p);

/*
 * One mark of a cell: the case recorded for a guest, a configuration and
 * a phase. When several cases fall on one cell (a plan that names a cell
 * twice), the mark is the worst of them and ncases says how many there
 * were. Strings are owned by the matrix.
 */
struct hvt_matrix_mark {
	enum hvt_outcome outcome;
	long pos;		/* the case's place in the report, from 1 (anchor #c<pos>) */
	long index;		/* the case's index in the plan */
	int attempts;		/* attempts of that case (reruns, --repeat) */
	bool flaky;
	size_t ncases;		/* cases on this cell */
	char *name;		/* the case's name */
	char *reason;		/* why it did not pass: its reason or first failed check */
	char *workdir;		/* the case's work directory, or NULL */
	/* artifacts (paths as recorded: relative to workdir or absolute), or NULL */
	char *screen;		/* the failing screen (else the last screen, else a picture) */
	char *video;
	char *console;		/* console.log */
};

/* What a cell's phase shows. */
enum hvt_matrix_state {
	HVT_MATRIX_NONE,	/* no case, and nothing that explains why */
	HVT_MATRIX_RAN,		/* a case: see its mark */
	HVT_MATRIX_NOT_RUN,	/* a boot with no case because the guest's install failed */
};

struct hvt_matrix;

struct hvt_matrix *hvt_matrix_new(void);
void hvt_matrix_free(struct hvt_matrix *m);

/*
 * Add the case at position pos of its report (1 for the first, as the
 * HTML writer numbers its case sections #c1...); a case without the matrix
 * keys is not in the matrix and is ignored. One with some of them, or a
 * phase other than install or boot, is listed as a problem (see
 * hvt_matrix_problem()) and not placed. c is copied from as needed.
 */
void hvt_matrix_add(struct hvt_matrix *m, long pos, const struct hvt_case *c);

/*
 * The matrix of a stored run: the last attempt of each of its cases, in
 * the order hvt_report_run() writes them (so positions match the run's
 * page). -ENOENT when there is no such run. *out is NULL on error.
 */
int hvt_matrix_from_store(struct hvt_store *s, int64_t run_id, struct hvt_matrix **out,
			  struct hvt_err *err);

/* Cases placed in the matrix. */
size_t hvt_matrix_ncases(const struct hvt_matrix *m);
/* Guests (rows) and configurations (columns), in order of first appearance. */
size_t hvt_matrix_nguests(const struct hvt_matrix *m);
size_t hvt_matrix_nconfigs(const struct hvt_matrix *m);
const char *hvt_matrix_guest(const struct hvt_matrix *m, size_t g);
const char *hvt_matrix_config(const struct hvt_matrix *m, size_t k);
/* Cases with incomplete or wrong matrix keys: how many, and the text of each. */
size_t hvt_matrix_nproblems(const struct hvt_matrix *m);
const char *hvt_matrix_problem(const struct hvt_matrix *m, size_t i);

/*
 * What guest g, configuration k, phase p shows; *mark gets the case's mark
 * (RAN), or the failed install that explains a NOT_RUN boot (the worst
 * install of the guest, on that configuration if there is one), or NULL.
 */
enum hvt_matrix_state hvt_matrix_cell(const struct hvt_matrix *m, size_t g, size_t k,
				      enum hvt_matrix_phase p,
				      const struct hvt_matrix_mark **mark);

/*
 * Plain text: a table (a row per guest, a column per configuration,
 * "install/boot" outcomes in each cell; "-" no case, "not-run" a boot
 * left out by a failed install), then every mark that did not pass with
 * its case and reason, then the problems.
 */
void hvt_matrix_text(const struct hvt_matrix *m, FILE *out);

/*
 * A JSON document {"format": "hvtest-matrix", "version": 1, "run": ID,
 * "guests": [...], "configs": [...], "cells": [...], "problems": [...]}
 * (docs/MATRIX.md); run_id 0 leaves "run" out. A new reference.
 */
struct json_object *hvt_matrix_json(const struct hvt_matrix *m, int64_t run_id);

/* How HTML links are made. All borrowed; NULL means the default. */
struct hvt_matrix_links {
	/* the page that has the cases' sections: "" (default) for this page */
	const char *page;
	/*
	 * artifacts link to ARTIFACT_BASE<case index>/<path> (a results
	 * server's); without it, to file:// paths in the work directory
	 */
	const char *artifact_base;
};

/*
 * The matrix as an HTML section (a <table class="guest-matrix">), to put
 * into a page: every mark links to its case's section and to its failing
 * screen, video and console. Nothing when the matrix is empty.
 */
void hvt_matrix_html(struct hvt_buf *b, const struct hvt_matrix *m,
		     const struct hvt_matrix_links *links);
/* A whole page of its own with the section; title is escaped. */
void hvt_matrix_html_page(struct hvt_buf *b, const struct hvt_matrix *m, const char *title,
			  const struct hvt_matrix_links *links);

/* The CSS the section needs (in the page's <style>). */
extern const char hvt_matrix_style[];

#endif
