// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Needle search speed: a 200x100 match area searched within a margin of
 * 50 pixels and over a whole 1024x768 screen, on a screen that holds the
 * area (moved) and on one that does not. The images and needles are
 * written to DIR so that another matcher (os-autoinst's, through
 * bench/bench-needle-osautoinst.pl) searches the very same files.
 *
 *   bench-needle [-n REPS] DIR
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

#define W 1024
#define H 768

static uint32_t rng;

static uint32_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* A desktop-like screen: a background, windows, buttons and rows of glyphs. */
static struct hvt_image *make_screen(uint32_t seed, int dx, int dy)
{
	struct hvt_image *img = hvt_image_new(W, H, NULL);

	rng = seed;
	hvt_image_fill(img, 0, 0, W, H, 0x30507a);
	for (int i = 0; i < 40; i++) {
		int x = (int)(rnd() % (W - 100)) + dx, y = (int)(rnd() % (H - 80)) + dy;
		int w = 60 + (int)(rnd() % 240), h = 40 + (int)(rnd() % 160);

		hvt_image_fill(img, x, y, w, h, 0xd0d0d0 + (rnd() & 0x2f2f2f));
		hvt_image_fill(img, x, y, w, 14, 0x2040a0);
		for (int r = y + 20; r < y + h - 10; r += 14)
			for (int c = x + 6; c < x + w - 8; c += 8)
				if (rnd() % 4)
					hvt_image_fill(img, c, r, 6, 9, 0x101010);
	}
	return img;
}

struct bench_case {
	const char *name;
	uint32_t screen_seed;
	int dx, dy, margin;
	bool expect;
};

static const struct bench_case cases[] = {
	{ "margin50-moved", 7, 17, -9, 50, true },
	{ "margin50-wrong", 8, 0, 0, 50, false },
	{ "whole-moved", 7, -300, 200, 1024, true },
	{ "whole-wrong", 8, 0, 0, 1024, false },
};

static void die(const struct hvt_err *err)
{
	fprintf(stderr, "bench-needle: %s\n", err->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	int reps = 15, opt;
	const char *dir;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			return 2;
		reps = atoi(optarg);
	}
	if (optind != argc - 1 || reps < 3) {
		fprintf(stderr, "usage: bench-needle [-n REPS>=3] DIR\n");
		return 2;
	}
	dir = argv[optind];
	if (hvt_mkdir_p(dir, 0755, &err))
		die(&err);
	printf("%-16s %-7s %-9s %-10s %-12s %s\n", "case", "verdict", "score", "at",
	       "median ms", "q1-q3 (min-max) ms");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(cases); i++) {
		const struct bench_case *bc = &cases[i];
		struct hvt_image *ref = make_screen(7, 0, 0);
		struct hvt_image *scr = make_screen(bc->screen_seed, bc->dx, bc->dy);
		char *json = hvt_asprintf("{'tags': ['bench'], 'area': [{'xpos': 400, 'ypos': 300, "
					  "'width': 200, 'height': 100, 'margin': %d}]}",
					  bc->margin);
		char *spath = hvt_asprintf("%s/%s-screen.png", dir, bc->name);
		struct hvt_needle *n;
		struct hvt_match m;
		double *t = calloc((size_t)reps, sizeof(*t));
		struct spread sp;
		char r1[32], r2[32];

		if (hvt_needle_parse(json, strlen(json), bc->name, &n, &err) ||
		    hvt_needle_set_image(n, ref, &err))
			die(&err);
		free(n->name);
		n->name = hvt_asprintf("%s-needle", bc->name);
		if (hvt_needle_save(n, dir, &err) || hvt_image_write_png(scr, spath, &err))
			die(&err);
		/* one search before the timed ones (first-use page faults, plans) */
		for (int r = -1; r < reps; r++) {
			double t0 = hvt_now();
			/* the screen's preparation is part of every search, as for a new frame */
			struct hvt_match_screen *ms = hvt_match_screen_new(scr);

			if (hvt_match_needle(ms, n, &m, &err))
				die(&err);
			hvt_match_screen_free(ms);
			if (r >= 0)
				t[r] = (hvt_now() - t0) * 1000;
		}
		if (m.ok != bc->expect) {
			fprintf(stderr, "bench-needle: %s: verdict %s, expected %s\n", bc->name,
				m.ok ? "match" : "miss", bc->expect ? "match" : "miss");
			return 1;
		}
		sp = bench_spread(t, reps);
		printf("%-16s %-7s %-9.4f %4d,%-5d %-12.2f %s (%s)\n", bc->name,
		       m.ok ? "match" : "miss", m.similarity, m.areas[0].x, m.areas[0].y, sp.median,
		       bench_range(r1, sizeof(r1), 2, sp.q1, sp.q3),
		       bench_range(r2, sizeof(r2), 2, sp.min, sp.max));
		free(t);
		free(spath);
		free(json);
		hvt_needle_free(n);
		hvt_image_free(scr);
	}
	return 0;
}
