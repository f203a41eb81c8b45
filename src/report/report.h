/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Report writers: a run's cases as TAP (13 or 14), JUnit XML, JSON or an
 * HTML page, fed one case at a time (TAP is written as cases finish), or a
 * stored run written whole.
 */
#ifndef HVT_REPORT_H
#define HVT_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "case.h"
#include "store.h"

enum hvt_report_format {
	HVT_REPORT_TAP,
	HVT_REPORT_JUNIT,
	HVT_REPORT_JSON,
	HVT_REPORT_HTML,
};

/* "tap", "junit", "json", "html"; -EINVAL for another name. */
int hvt_report_format_parse(const char *name, enum hvt_report_format *out);

/*
 * The TAP version written unless another is asked for: 13, the latest that
 * Debian 12's prove (Test::Harness 3.44) reads. The stream is the same in
 * both versions but for its version line.
 */
#define HVT_TAP_VERSION_DEFAULT 13
/* The version of the JSON document's layout ("version" in it; docs/RESULTS.md). */
#define HVT_REPORT_JSON_VERSION 1

/* How to write; all zero is the default of every format. */
struct hvt_report_opts {
	int tap_version;	/* TAP: 13 or 14; 0 is HVT_TAP_VERSION_DEFAULT */
	/*
	 * HTML: artifacts link to ARTIFACT_BASE<case index>/<path> (path
	 * URL-escaped; images and videos shown in the page) instead of
	 * file:// links into the work directory, which is then not shown
	 * (a results server's pages). Borrowed: must outlive the writer.
	 */
	const char *artifact_base;
	/* HTML: trusted markup put as is under the heading (navigation); borrowed. */
	const char *html_preamble;
};

/* "13" or "14" -> *version; -EINVAL for anything else. */
int hvt_report_tap_version_parse(const char *s, int *version);

struct hvt_report;

/*
 * A writer to out (not closed by the writer; the caller owns it). o may be
 * NULL (defaults); it is copied. Output errors are reported by
 * hvt_report_end().
 */
struct hvt_report *hvt_report_new(enum hvt_report_format fmt, FILE *out,
				  const struct hvt_report_opts *o);
/*
 * Start the report of a run (run may be NULL; it is copied as needed).
 * ncases is the number of cases to come, or -1 when unknown (TAP then
 * puts its plan line at the end). -EINVAL when the options are not valid
 * (a TAP version other than 13 or 14).
 */
int hvt_report_begin(struct hvt_report *r, const struct hvt_run_info *run, long ncases,
		     struct hvt_err *err);
/* Report one finished case (its last attempt). */
int hvt_report_case(struct hvt_report *r, const struct hvt_case *c, struct hvt_err *err);
/*
 * Finish the report (JUnit, JSON and HTML are written here) and flush out.
 * -EIO with err set when writing failed at any point.
 */
int hvt_report_end(struct hvt_report *r, struct hvt_err *err);
void hvt_report_free(struct hvt_report *r);

/* A whole report of n cases in one call: new, begin, every case, end, free. */
int hvt_report_write(enum hvt_report_format fmt, const struct hvt_report_opts *o, FILE *out,
		     const struct hvt_run_info *run, struct hvt_case *const *cases, size_t n,
		     struct hvt_err *err);

/*
 * The report of a stored run: its record and the last attempt of each of
 * its cases in plan order, whatever wrote them (one run, a resumed one).
 * Written the same way at the end of a run and by "hvtest results export"
 * later, so both give the same file.
 */
int hvt_report_run(struct hvt_store *s, int64_t run_id, enum hvt_report_format fmt,
		   const struct hvt_report_opts *o, FILE *out, struct hvt_err *err);
/*
 * The same into the file path, replaced whole: written to a temporary file
 * beside it and renamed over it, so that a reader never sees half a report
 * and a failed write leaves an older file as it was.
 */
int hvt_report_run_file(struct hvt_store *s, int64_t run_id, enum hvt_report_format fmt,
			const struct hvt_report_opts *o, const char *path, struct hvt_err *err);

/*
 * Read a JSON report (the document the JSON writer writes) back: the run's
 * record (release with hvt_run_info_release(); its id is 0) and its cases
 * (free with hvt_store_cases_free()). -EBADMSG with err saying what is
 * wrong when doc is not such a document.
 */
int hvt_report_json_read(struct json_object *doc, struct hvt_run_info *run,
			 struct hvt_case ***cases, size_t *n, struct hvt_err *err);

/*
 * Escape text for XML character data and attribute values: & < > " ' as
 * entities, tab/newline/CR as character references (kept in attributes),
 * other control characters and invalid UTF-8 as U+FFFD (XML 1.0 cannot
 * carry them at all). Appends to b.
 */
void hvt_report_xml_escape(struct hvt_buf *b, const char *s);
/* Percent-encode a relative path for a URL (its '/' kept); appends to b. */
void hvt_report_url_path(struct hvt_buf *b, const char *path);

#endif
