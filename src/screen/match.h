/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fuzzy matcher: is a needle on the screen? Each match area is
 * searched within its margin on grey, lightly blurred pixels, with the
 * needle's exclude areas masked; the best place's similarity (the formula
 * is in docs/SCREENS.md) must reach the area's match level.
 */
#ifndef HVT_MATCH_H
#define HVT_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "needle.h"

/* A screen prepared once (grey + blur) for any number of needle searches. */
struct hvt_match_screen;

struct hvt_match_screen *hvt_match_screen_new(const struct hvt_image *screen);
void hvt_match_screen_free(struct hvt_match_screen *s);

#define HVT_MATCH_MAX_AREAS 32

struct hvt_match_area {
	int area;		/* index in the needle's areas */
	int x, y;		/* where the best candidate lies on the screen */
	double similarity;	/* 0..1 */
	bool ok;		/* similarity >= match level / 100 */
};

struct hvt_match {
	const struct hvt_needle *needle;
	bool ok;		/* every match area matched */
	double similarity;	/* the lowest of the match areas' */
	int nareas;
	struct hvt_match_area areas[HVT_MATCH_MAX_AREAS];
	int skipped_ocr;	/* ocr areas, not read (no OCR engine) */
};

/*
 * Search needle n (with its image) on the prepared screen. Fills m, also
 * when the needle does not match (the best candidates and their scores).
 * A needle with more than HVT_MATCH_MAX_AREAS match areas, or whose image
 * is missing, is -EINVAL. An area that does not fit on the screen gives
 * similarity 0.
 */
int hvt_match_needle(const struct hvt_match_screen *s, const struct hvt_needle *n,
		     struct hvt_match *m, struct hvt_err *err);
/*
 * Search several needles (those of one tag) and keep in *best the one that
 * matched with the highest similarity, or, if none matched, the closest
 * miss. Returns 0 when one matched, -ENOENT when none did (best filled),
 * other negative values on error.
 */
int hvt_match_best(const struct hvt_match_screen *s, const struct hvt_needle *const *v,
		   size_t n, struct hvt_match *best, struct hvt_err *err);

/*
 * The difference image of an area: the needle's pixels against the
 * screen's at the best candidate, per channel |a - b| amplified, masked
 * pixels grey. For the report when a match fails.
 */
struct hvt_image *hvt_match_diff_image(const struct hvt_image *screen,
				       const struct hvt_needle *n, const struct hvt_match_area *a);

#endif
