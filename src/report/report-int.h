/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the report writers share: the writer state and one set of
 * callbacks per format. Internal to src/report/.
 */
#ifndef HVT_REPORT_INT_H
#define HVT_REPORT_INT_H

#include "matrix.h"
#include "report.h"

struct report_ops {
	void (*begin)(struct hvt_report *r);
	void (*add)(struct hvt_report *r, const struct hvt_case *c);
	void (*end)(struct hvt_report *r);
};

struct hvt_report {
	const struct report_ops *ops;
	struct hvt_report_opts opts;
	FILE *out;
	bool begun, ended;
	long ncases;		/* announced, -1 unknown */
	long n;			/* cases reported */
	long counts[HVT_OUTCOME_COUNT];
	double time;		/* sum of case durations */
	/* a copy of the run's record; run.id is 0 without a run */
	struct hvt_run_info run;
	struct hvt_buf buf;	/* formats that write at the end collect here */
	struct hvt_buf aux;	/* ... and a second part here (HTML: the failures) */
	struct hvt_strv cells;	/* HTML: each case as "INDEX OUTCOME NAME", for its matrices */
	struct hvt_matrix *guests; /* HTML: the guest support matrix, NULL until a case */
};

extern const struct report_ops report_tap_ops;
extern const struct report_ops report_junit_ops;
extern const struct report_ops report_json_ops;
extern const struct report_ops report_html_ops;

/*
 * Length of the valid UTF-8 sequence at s (1 for ASCII, including control
 * characters), or 0 when it is not one XML may carry: malformed, overlong,
 * beyond Unicode, a surrogate, U+FFFE or U+FFFF.
 */
size_t report_utf8_len(const unsigned char *s);

/*
 * A stored run's record and the last attempt of each of its cases, in
 * plan order: what every report of a run is written from. On error
 * nothing is left to release.
 */
int report_load_run(struct hvt_store *s, int64_t run_id, struct hvt_run_info *ri,
		    struct hvt_case ***cases, size_t *n, struct hvt_err *err);
/* Index of s in sv, pushed at the end when it is not there. */
size_t report_strv_index(struct hvt_strv *sv, const char *s);
/*
 * Whether an artifact's path names a picture (.png .jpg .jpeg .gif .webp)
 * or a video (.webm .mp4 .ogv), in any case.
 */
bool report_is_image(const char *path);
bool report_is_video(const char *path);

/* Wall clock seconds -> "2026-11-22T03:10:00Z" (UTC) into buf (>= 32 bytes). */
void report_iso_time(char *buf, size_t len, double t);

#endif
