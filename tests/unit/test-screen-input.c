// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for key names and typed characters, and for the relative
 * pointer's halving walk against simulated guests whose pointer
 * acceleration the walk does not know.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "relmouse.h"

#define T(path, fn) { path, fn, NULL, NULL, NULL }

static void test_keys(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	uint32_t k[HVT_KEYS_MAX];
	size_t n;
	bool shift;

	assert_int_equal(hvt_keys_parse("ctrl-alt-f2", k, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(k[0], 0xffe3);
	assert_int_equal(k[1], 0xffe9);
	assert_int_equal(k[2], 0xffbf);
	assert_int_equal(hvt_keys_parse("ret", k, &n, &err), 0);
	assert_int_equal(k[0], 0xff0d);
	/* with shift, the shifted keysym */
	assert_int_equal(hvt_keys_parse("shift-x", k, &n, &err), 0);
	assert_int_equal(k[1], 'X');
	assert_int_equal(hvt_keys_parse("shift-1", k, &n, &err), 0);
	assert_int_equal(k[1], '!');
	assert_int_equal(hvt_keys_parse("ctrl-minus", k, &n, &err), 0);
	assert_int_equal(k[1], '-');
	assert_int_equal(hvt_keys_parse("alt-frob", k, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'frob'"));
	assert_int_equal(hvt_keys_parse("ctrl-", k, &n, &err), -EINVAL);
	assert_int_equal(hvt_keys_parse("", k, &n, &err), -EINVAL);

	assert_int_equal(hvt_keys_char('a', k, &shift), 0);
	assert_false(shift);
	assert_int_equal(hvt_keys_char('$', k, &shift), 0);
	assert_true(shift);
	assert_int_equal(k[0], '$');
	assert_int_equal(hvt_keys_char('\n', k, &shift), 0);
	assert_int_equal(k[0], 0xff0d);
	assert_int_equal(hvt_keys_char('\x01', k, &shift), -EINVAL);
	assert_int_equal(hvt_keys_char((char)0xe9, k, &shift), -EINVAL);
}

/*
 * A guest pointer on a 1024x768 screen: motion d moves it by gain(d)
 * (rounded, clamped to the screen), as X's or a console's acceleration.
 */
struct sim {
	double x, y;
	double (*gain)(double d);
	int moves;
};

static double linear1(double d) { return d; }
static double linear2(double d) { return 2 * d; }
/* X's classic acceleration: 2x beyond a threshold of 4 */
static double threshold(double d) { return fabs(d) > 4 ? 2 * d : d; }
static double slow(double d) { return 0.5 * d; }

/*
 * The Debian installer's X server as measured: slow motion slowed down,
 * fast motion sped up (counts -> pixels 5 -> 2, 20 -> 9, 50 -> 32,
 * 100 -> 97, 200 -> 261), linear in between and beyond.
 */
static double decelerating(double d)
{
	static const double c[] = { 0, 5, 20, 50, 100, 200 }, p[] = { 0, 2, 9, 32, 97, 261 };
	double a = fabs(d), r;
	size_t i = 1;

	while (i < 5 && a > c[i])
		i++;
	r = p[i - 1] + (a - c[i - 1]) * (p[i] - p[i - 1]) / (c[i] - c[i - 1]);
	return d < 0 ? -r : r;
}

static int sim_locate(void *ctx, int *x, int *y, struct hvt_err *err)
{
	struct sim *s = ctx;

	*x = (int)lround(s->x);
	*y = (int)lround(s->y);
	return 0;
}

static int sim_move(void *ctx, int dx, int dy, struct hvt_err *err)
{
	struct sim *s = ctx;

	s->x = fmin(1023, fmax(0, s->x + s->gain(dx)));
	s->y = fmin(767, fmax(0, s->y + s->gain(dy)));
	s->moves++;
	return 0;
}

static void walk(double (*gain)(double), int tolerance, int max_moves)
{
	static const int corners[][2] = { { 0, 0 }, { 1023, 0 }, { 0, 767 }, { 1023, 767 } };
	static const int targets[][2] = { { 512, 384 }, { 1000, 700 }, { 20, 740 }, { 700, 10 } };

	for (size_t c = 0; c < 4; c++) {
		for (size_t t = 0; t < 4; t++) {
			struct sim s = { corners[c][0], corners[c][1], gain, 0 };
			struct hvt_relmouse_ops ops = { sim_locate, sim_move, &s };
			struct hvt_relmouse_result r;
			struct hvt_err err = HVT_ERR_INIT;
			int ret = hvt_relmouse_goto(&ops, c % 2 ? corners[c] : NULL, targets[t][0], targets[t][1], tolerance, 40, &r,
						    &err);

			if (ret || r.moves > max_moves)
				fail_msg("from %d,%d to %d,%d: ret %d, %d moves (limit %d): %s",
					 corners[c][0], corners[c][1], targets[t][0],
					 targets[t][1], ret, r.moves, max_moves, err.msg);
			assert_true(abs(r.x - targets[t][0]) <= tolerance);
			assert_true(abs(r.y - targets[t][1]) <= tolerance);
			assert_int_equal(r.moves, s.moves);
		}
	}
}

/* log2(1024) + 3 moves at most, for gains between 1 and 2 */
static void test_relmouse(void **state)
{
	walk(linear1, 0, 13);
	walk(threshold, 0, 13);
	/* one count moves two pixels: a pixel off is as close as it gets */
	walk(linear2, 1, 13);
	/* fractions of a pixel per count near the target: within 2, as the installer case */
	walk(decelerating, 2, 13);
}

/* a gain below 1 still gets there, only in more moves; too few moves is an error */
static void test_relmouse_slow(void **state)
{
	struct sim s = { 0, 0, slow, 0 };
	struct hvt_relmouse_ops ops = { sim_locate, sim_move, &s };
	struct hvt_relmouse_result r;
	struct hvt_err err = HVT_ERR_INIT;

	walk(slow, 0, 40);
	assert_int_equal(hvt_relmouse_goto(&ops, NULL, 1000, 700, 0, 3, &r, &err), -ETIMEDOUT);
	assert_int_equal(r.moves, 3);
	assert_non_null(strstr(err.msg, "after 3 moves"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T("/screen/keys", test_keys),
		T("/screen/relmouse/gains", test_relmouse),
		T("/screen/relmouse/slow", test_relmouse_slow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
