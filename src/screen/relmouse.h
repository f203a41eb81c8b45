/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Moving a relative pointer (a PS/2 mouse whose acceleration the guest
 * decides) to a target seen on the screen: find the pointer, move by
 * half the remaining distance, look again; near the target, single
 * steps. The remaining distance shrinks by about half a move, so the
 * moves grow with the logarithm of the distance.
 */
#ifndef HVT_RELMOUSE_H
#define HVT_RELMOUSE_H

#include "util.h"

struct hvt_relmouse_ops {
	/* Where the pointer's hot spot is now (after the last move shows). */
	int (*locate)(void *ctx, int *x, int *y, struct hvt_err *err);
	/* Send relative motion. */
	int (*move)(void *ctx, int dx, int dy, struct hvt_err *err);
	void *ctx;
};

struct hvt_relmouse_result {
	int moves;	/* motion events sent */
	int looks;	/* times the pointer was located */
	int x, y;	/* where it ended */
};

/*
 * Bring the pointer within tolerance pixels (on each axis) of (tx, ty),
 * sending at most max_moves motions; -ETIMEDOUT (err with the last
 * position) when it does not get there, -ENOENT when locate loses it.
 * start, when not NULL, is where the pointer is known to be (a corner it
 * was pushed into), so the first look is skipped.
 */
int hvt_relmouse_goto(const struct hvt_relmouse_ops *ops, const int *start, int tx, int ty,
		      int tolerance, int max_moves, struct hvt_relmouse_result *res,
		      struct hvt_err *err);

#endif
