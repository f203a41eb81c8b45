// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Relative pointer strategies on a simulated 1024x768 guest whose pointer
 * acceleration the strategies do not know: the halving walk (relmouse.c),
 * a one-count-per-move walk, and a single jump of the whole distance.
 * Moves from each corner to targets across the screen, per gain curve;
 * each move costs a frame on a real guest (5 to 15 a second over VNC), so
 * moves are the measure. On a real guest: suites/screen's installer case.
 *
 *   bench-relmouse
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hvtest.h"
#include "relmouse.h"
#include "stats.h"

struct sim {
	double x, y;
	double (*gain)(double d);
};

static double g1(double d) { return d; }
static double g2(double d) { return 2 * d; }
static double xaccel(double d) { return fabs(d) > 4 ? 2 * d : d; }
static double fast(double d) { return fabs(d) > 4 ? 3 * d : d; }

/*
 * The Debian installer's X server as measured (counts sent in one event ->
 * pixels moved): 5 -> 2, 10 -> 4, 20 -> 9, 50 -> 32, 100 -> 97, 200 -> 261:
 * slow motion is slowed down, fast motion sped up. Linear in between,
 * 0.4 px a count below 5, the last slope above 200.
 */
static double xmeasured(double d)
{
	static const double c[] = { 0, 5, 10, 20, 50, 100, 200 };
	static const double p[] = { 0, 2, 4, 9, 32, 97, 261 };
	double a = fabs(d), r;
	size_t i = 1;

	while (i < HVT_ARRAY_SIZE(c) - 1 && a > c[i])
		i++;
	r = p[i - 1] + (a - c[i - 1]) * (p[i] - p[i - 1]) / (c[i] - c[i - 1]);
	return d < 0 ? -r : r;
}

static int locate(void *ctx, int *x, int *y, struct hvt_err *err)
{
	struct sim *s = ctx;

	*x = (int)lround(s->x);
	*y = (int)lround(s->y);
	return 0;
}

static int move(void *ctx, int dx, int dy, struct hvt_err *err)
{
	struct sim *s = ctx;

	s->x = fmin(1023, fmax(0, s->x + s->gain(dx)));
	s->y = fmin(767, fmax(0, s->y + s->gain(dy)));
	return 0;
}

int main(void)
{
	static const struct { const char *name; double (*gain)(double); } gains[] = {
		{ "1x", g1 }, { "2x", g2 }, { "X 2x>4", xaccel }, { "3x>4", fast },
		{ "X measured", xmeasured },
	};
	static const int corners[4][2] = { { 0, 0 }, { 1023, 0 }, { 0, 767 }, { 1023, 767 } };
	static const int targets[4][2] = { { 512, 384 }, { 1000, 700 }, { 20, 740 }, { 700, 10 } };

	printf("%-10s %-22s %-24s %s\n", "gain", "halving: moves med/max", "one-count walk: moves",
	       "single jump: miss px med/max");
	for (size_t g = 0; g < HVT_ARRAY_SIZE(gains); g++) {
		double half[16], walk[16], miss[16];
		/* 2x moves by even pixels; the measured curve by fractions (the case's 2) */
		int n = 0, tol = gains[g].gain == g2 ? 1 : gains[g].gain == xmeasured ? 2 : 0;

		for (int c = 0; c < 4; c++)
			for (int t = 0; t < 4; t++, n++) {
				struct sim s = { corners[c][0], corners[c][1], gains[g].gain };
				struct hvt_relmouse_ops ops = { locate, move, &s };
				struct hvt_relmouse_result r;
				struct hvt_err err = HVT_ERR_INIT;
				int tx = targets[t][0], ty = targets[t][1];

				if (hvt_relmouse_goto(&ops, corners[c], tx, ty, tol, 100, &r, &err)) {
					fprintf(stderr, "bench-relmouse: %s\n", err.msg);
					return 1;
				}
				half[n] = r.moves;
				/* one count per axis per move: as many moves as the longer axis's counts */
				walk[n] = fmax(abs(tx - corners[c][0]), abs(ty - corners[c][1]));
				if (gains[g].gain(1) != 1)
					walk[n] = ceil(walk[n] / gains[g].gain(1));
				s.x = corners[c][0];
				s.y = corners[c][1];
				move(&s, tx - corners[c][0], ty - corners[c][1], &err);
				miss[n] = fmax(fabs(s.x - tx), fabs(s.y - ty));
			}
		{
			struct spread h = bench_spread(half, n), w = bench_spread(walk, n);
			struct spread m = bench_spread(miss, n);

			printf("%-10s %6.0f / %-13.0f %6.0f / %-15.0f %6.0f / %.0f\n", gains[g].name,
			       h.median, h.max, w.median, w.max, m.median, m.max);
		}
	}
	return 0;
}
