// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The halving walk of a relative pointer. Sending the whole distance
 * would overshoot by the guest's acceleration; sending half of it moves
 * the pointer between half and all of the way for any acceleration up to
 * 2x, and still converges (overshooting less each time) up to 4x. The
 * gain each move showed scales the next one, so that a guest that
 * accelerates by 3x (or slows down) still halves the distance each move,
 * also near the target, where X slows motion down.
 */
#include <errno.h>
#include <stdlib.h>

#include "relmouse.h"

/* The gain the walk assumes stays within these (a lost or jumpy look). */
#define GAIN_MIN 0.25
#define GAIN_MAX 8.0
/*
 * Moves of at least this many counts measure the gain. Small ones too: a
 * guest that slows slow motion down (X does: 5 counts move 2 pixels)
 * would otherwise be walked with the gain of the long moves, in crumbs.
 */
#define MEASURE_MIN 2

/*
 * Counts that move the pointer half the remaining distance d under the
 * gain seen so far; near the target, single counts.
 */
static int half_step(int d, double gain)
{
	int step;

	if (d == 0)
		return 0;
	if (abs(d) <= 2)
		return d > 0 ? 1 : -1;
	step = (int)(d / (2 * gain));
	return step ? step : d > 0 ? 1 : -1;
}

int hvt_relmouse_goto(const struct hvt_relmouse_ops *ops, const int *start, int tx, int ty,
		      int tolerance, int max_moves, struct hvt_relmouse_result *res,
		      struct hvt_err *err)
{
	int x, y, px = 0, py = 0, sx = 0, sy = 0, ret;
	double gain = 1;

	res->moves = res->looks = 0;
	for (;;) {
		if (start && !res->moves) {
			x = start[0];
			y = start[1];
		} else {
			ret = ops->locate(ops->ctx, &x, &y, err);
			if (ret)
				return ret;
			res->looks++;
		}
		res->x = x;
		res->y = y;
		/* the gain the last move showed, on its longer axis, if long enough to tell */
		if (res->moves && (abs(sx) >= MEASURE_MIN || abs(sy) >= MEASURE_MIN)) {
			double g = abs(sx) >= abs(sy) ? (double)(x - px) / sx : (double)(y - py) / sy;

			gain = g < GAIN_MIN ? GAIN_MIN : g > GAIN_MAX ? GAIN_MAX : g;
		}
		if (abs(tx - x) <= tolerance && abs(ty - y) <= tolerance)
			return 0;
		if (res->moves >= max_moves)
			return hvt_err_set(err, -ETIMEDOUT,
					   "pointer at %d,%d after %d moves, target %d,%d", x, y,
					   res->moves, tx, ty);
		sx = half_step(tx - x, gain);
		sy = half_step(ty - y, gain);
		px = x;
		py = y;
		ret = ops->move(ops->ctx, sx, sy, err);
		if (ret)
			return ret;
		res->moves++;
	}
}
