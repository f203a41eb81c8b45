// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Matching cost of a real walk's pictures: every FRAME (a PNG a case
 * recorded, e.g. an install's video frames) is searched for the needles of
 * each TAG, the way a screen check searches a picture it waits on: prepare
 * the screen, best needle of the tag. Decoding is not timed. Prints the
 * time per picture (all tags), median and quartiles over REPS passes.
 *
 *   bench-match-frames [-n REPS] NEEDLE_DIR TAG[,TAG...] FRAME.png...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvtest.h"
#include "match.h"
#include "needle.h"
#include "stats.h"

static void die(const struct hvt_err *err)
{
	fprintf(stderr, "bench-match-frames: %s\n", err->msg);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-match-frames [-n REPS] NEEDLE_DIR TAG[,TAG...] FRAME.png...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_needles set[8] = { 0 };
	struct hvt_image **frames;
	const struct hvt_needle **tag_v[HVT_ARRAY_SIZE(set)];
	size_t tag_n[HVT_ARRAY_SIZE(set)], ntags = 0;
	char *tags, *tag, *save = NULL;
	double *per_picture;
	long matched = 0;
	int reps = 5, opt, nframes;
	struct spread sp;
	char range[64];

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			usage();
		reps = atoi(optarg);
		if (reps < 1) {
			fprintf(stderr, "bench-match-frames: -n '%s': a count of 1 or more\n", optarg);
			return 2;
		}
	}
	if (argc - optind < 3)
		usage();
	/* Each tag's set decodes that tag's needle images only. */
	tags = hvt_strdup(argv[optind + 1]);
	for (tag = strtok_r(tags, ",", &save); tag; tag = strtok_r(NULL, ",", &save)) {
		if (ntags == HVT_ARRAY_SIZE(tag_v)) {
			fprintf(stderr, "bench-match-frames: at most %zu tags\n", HVT_ARRAY_SIZE(tag_v));
			return 2;
		}
		if (hvt_needles_load_dir_tag(&set[ntags], argv[optind], tag, &err) ||
		    hvt_needles_with_tag(&set[ntags], tag, &tag_v[ntags], &tag_n[ntags], &err))
			die(&err);
		ntags++;
	}
	nframes = argc - optind - 2;
	frames = hvt_zalloc(sizeof(*frames) * (size_t)nframes);
	for (int i = 0; i < nframes; i++)
		if (hvt_image_read_png(argv[optind + 2 + i], &frames[i], &err))
			die(&err);
	per_picture = hvt_zalloc(sizeof(*per_picture) * (size_t)reps);
	for (int r = 0; r < reps; r++) {
		double t0 = hvt_now();

		for (int i = 0; i < nframes; i++) {
			struct hvt_match_screen *ms = hvt_match_screen_new(frames[i]);

			for (size_t k = 0; k < ntags; k++) {
				struct hvt_match m;
				int ret = hvt_match_best(ms, tag_v[k], tag_n[k], &m, &err);

				if (ret && ret != -ENOENT)
					die(&err);
				if (!r && !ret)
					matched++;
			}
			hvt_match_screen_free(ms);
		}
		per_picture[r] = (hvt_now() - t0) * 1000 / nframes;
	}
	sp = bench_spread(per_picture, reps);
	printf("%d pictures, %zu tags, %ld matches; ms per picture: median %.2f (q1-q3 %s)\n",
	       nframes, ntags, matched, sp.median,
	       bench_range(range, sizeof(range), 2, sp.q1, sp.q3));
	for (size_t k = 0; k < ntags; k++) {
		free(tag_v[k]);
		hvt_needles_release(&set[k]);
	}
	for (int i = 0; i < nframes; i++)
		hvt_image_free(frames[i]);
	free(frames);
	free(per_picture);
	free(tags);
	return 0;
}
