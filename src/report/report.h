/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Report writers: a run's cases as TAP 14, JUnit XML, JSON or an HTML page,
 * fed one case at a time (TAP is written as cases finish).
 */
#ifndef HVT_REPORT_H
#define HVT_REPORT_H

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

struct hvt_report;

/*
 * A writer to out (not closed by the writer; the caller owns it). Output
 * errors are reported by hvt_report_end().
 */
struct hvt_report *hvt_report_new(enum hvt_report_format fmt, FILE *out);
/*
 * Start the report of a run (run may be NULL; it is copied as needed).
 * ncases is the number of cases to come, or -1 when unknown (TAP then
 * puts its plan line at the end).
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
int hvt_report_write(enum hvt_report_format fmt, FILE *out, const struct hvt_run_info *run,
		     struct hvt_case *const *cases, size_t n, struct hvt_err *err);

/*
 * Escape text for XML character data and attribute values: & < > " ' as
 * entities, tab/newline/CR as character references (kept in attributes),
 * other control characters and invalid UTF-8 as U+FFFD (XML 1.0 cannot
 * carry them at all). Appends to b.
 */
void hvt_report_xml_escape(struct hvt_buf *b, const char *s);

#endif
