// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for needles and the matcher on constructed screens: exact,
 * shifted within and beyond the margin, noisy, masked, wrong, several
 * areas; the needle reader's errors; PNG round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "match.h"
#include "needle.h"

#define T(path, fn) { path, fn, NULL, NULL, NULL }

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/*
 * A 640x480 "screen": a dark background with many light boxes of random
 * size and shade, and a grid of small glyph-like blocks (text), seeded so
 * that two seeds give different screens.
 */
static struct hvt_image *make_screen(uint32_t seed)
{
	struct hvt_image *img = hvt_image_new(640, 480, NULL);

	rng = seed;
	hvt_image_fill(img, 0, 0, 640, 480, 0x202830);
	for (int i = 0; i < 60; i++)
		hvt_image_fill(img, (int)(rnd() % 600), (int)(rnd() % 440), 8 + (int)(rnd() % 80),
			       8 + (int)(rnd() % 60), rnd() & 0xffffff);
	for (int y = 300; y < 460; y += 16)
		for (int x = 20; x < 620; x += 9)
			if (rnd() % 3)
				hvt_image_fill(img, x, y, 6, 10, 0xe0e0e0);
	return img;
}

/* img moved by (dx, dy), the uncovered edge filled with the background */
static struct hvt_image *shifted(const struct hvt_image *img, int dx, int dy)
{
	struct hvt_image *o = hvt_image_new(img->width, img->height, NULL);

	hvt_image_fill(o, 0, 0, o->width, o->height, 0x202830);
	for (int y = 0; y < img->height; y++)
		for (int x = 0; x < img->width; x++) {
			int sx = x - dx, sy = y - dy;

			if (sx < 0 || sy < 0 || sx >= img->width || sy >= img->height)
				continue;
			memcpy(o->rgb + ((size_t)y * o->width + x) * 3,
			       img->rgb + ((size_t)sy * img->width + sx) * 3, 3);
		}
	return o;
}

static void add_noise(struct hvt_image *img, int amp, uint32_t seed)
{
	rng = seed;
	for (size_t i = 0; i < (size_t)img->width * img->height * 3; i++) {
		int v = img->rgb[i] + (int)(rnd() % (2 * amp + 1)) - amp;

		img->rgb[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

static struct hvt_needle *needle_from(const char *json, const struct hvt_image *img)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_needle *n;

	if (hvt_needle_parse(json, strlen(json), "test.json", &n, &err))
		fail_msg("parse: %s", err.msg);
	if (hvt_needle_set_image(n, hvt_image_copy(img), &err))
		fail_msg("image: %s", err.msg);
	return n;
}

static void run_match(const struct hvt_image *screen, const struct hvt_needle *n,
		      struct hvt_match *m)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_match_screen *s = hvt_match_screen_new(screen);

	assert_int_equal(hvt_match_needle(s, n, m, &err), 0);
	hvt_match_screen_free(s);
}

static const char *one_area =
	"{'tags': ['box'], 'area': [{'xpos': 200, 'ypos': 150, 'width': 200, 'height': 100,"
	" 'type': 'match', 'match': 95}]}";

static void test_exact(void **state)
{
	struct hvt_image *scr = make_screen(1);
	struct hvt_needle *n = needle_from(one_area, scr);
	struct hvt_match m;

	run_match(scr, n, &m);
	assert_true(m.ok);
	assert_int_equal(m.nareas, 1);
	assert_int_equal(m.areas[0].x, 200);
	assert_int_equal(m.areas[0].y, 150);
	assert_true(m.similarity == 1.0);
	hvt_needle_free(n);
	hvt_image_free(scr);
}

static void test_shifted(void **state)
{
	struct hvt_image *scr = make_screen(1);
	struct hvt_image *moved = shifted(scr, 13, -7);
	struct hvt_image *far = shifted(scr, 70, 0);
	struct hvt_needle *n = needle_from(one_area, scr);
	struct hvt_match m;

	run_match(moved, n, &m);
	assert_true(m.ok);
	assert_int_equal(m.areas[0].x, 213);
	assert_int_equal(m.areas[0].y, 143);
	assert_true(m.similarity > 0.99);
	/* beyond the margin of 50: not found, and its best score is reported */
	run_match(far, n, &m);
	assert_false(m.ok);
	assert_true(m.similarity < 0.95);
	assert_true(m.similarity >= 0.0);
	hvt_needle_free(n);
	hvt_image_free(far);
	hvt_image_free(moved);
	hvt_image_free(scr);
}

static void test_noisy(void **state)
{
	struct hvt_image *scr = make_screen(1);
	struct hvt_image *light = hvt_image_copy(scr), *heavy = hvt_image_copy(scr);
	struct hvt_needle *n = needle_from(one_area, scr);
	struct hvt_match m;

	add_noise(light, 6, 99);
	add_noise(heavy, 90, 99);
	run_match(light, n, &m);
	assert_true(m.ok);
	assert_int_equal(m.areas[0].x, 200);
	run_match(heavy, n, &m);
	assert_false(m.ok);
	hvt_needle_free(n);
	hvt_image_free(heavy);
	hvt_image_free(light);
	hvt_image_free(scr);
}

static void test_masked(void **state)
{
	struct hvt_image *scr = make_screen(1);
	struct hvt_image *changed = hvt_image_copy(scr);
	/* a clock or a progress bar: changes inside the exclude area only */
	struct hvt_needle *masked = needle_from(
		"{'tags': ['box'], 'area': [{'xpos': 200, 'ypos': 150, 'width': 200, 'height': 100},"
		" {'xpos': 250, 'ypos': 170, 'width': 80, 'height': 40, 'type': 'exclude'}]}",
		scr);
	struct hvt_needle *plain = needle_from(one_area, scr);
	struct hvt_match m;

	hvt_image_fill(changed, 255, 175, 70, 30, 0xff00ff);
	run_match(changed, masked, &m);
	assert_true(m.ok);
	assert_true(m.similarity == 1.0);
	run_match(changed, plain, &m);
	assert_false(m.ok);
	hvt_needle_free(plain);
	hvt_needle_free(masked);
	hvt_image_free(changed);
	hvt_image_free(scr);
}

static void test_wrong(void **state)
{
	struct hvt_image *scr = make_screen(1), *other = make_screen(2);
	struct hvt_needle *n = needle_from(one_area, scr);
	struct hvt_match m;

	run_match(other, n, &m);
	assert_false(m.ok);
	assert_true(m.similarity < 0.9);
	hvt_needle_free(n);
	hvt_image_free(other);
	hvt_image_free(scr);
}

static void test_all_areas(void **state)
{
	struct hvt_image *scr = make_screen(1);
	struct hvt_image *broken = hvt_image_copy(scr);
	struct hvt_needle *n = needle_from(
		"{'tags': ['two'], 'area': [{'xpos': 10, 'ypos': 10, 'width': 100, 'height': 60},"
		" {'xpos': 400, 'ypos': 300, 'width': 120, 'height': 80, 'margin': 10}]}",
		scr);
	struct hvt_match m;

	run_match(scr, n, &m);
	assert_true(m.ok);
	assert_int_equal(m.nareas, 2);
	hvt_image_fill(broken, 400, 300, 120, 80, 0x000000);
	run_match(broken, n, &m);
	assert_false(m.ok);
	assert_true(m.areas[0].ok);
	assert_false(m.areas[1].ok);
	hvt_needle_free(n);
	hvt_image_free(broken);
	hvt_image_free(scr);
}

static void test_best(void **state)
{
	struct hvt_image *a = make_screen(1), *b = make_screen(2);
	struct hvt_needle *na = needle_from(one_area, a), *nb = needle_from(one_area, b);
	const struct hvt_needle *v[] = { na, nb };
	struct hvt_match_screen *s = hvt_match_screen_new(b);
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_match m;

	assert_int_equal(hvt_match_best(s, v, 2, &m, &err), 0);
	assert_ptr_equal(m.needle, nb);
	assert_int_equal(hvt_match_best(s, v, 1, &m, &err), -ENOENT);
	assert_ptr_equal(m.needle, na);
	hvt_match_screen_free(s);
	hvt_needle_free(nb);
	hvt_needle_free(na);
	hvt_image_free(b);
	hvt_image_free(a);
}

/* copy src's rectangle (x, y, w, h) into dst at (dx, dy) */
static void blit(struct hvt_image *dst, const struct hvt_image *src, int x, int y, int w, int h,
		 int dx, int dy)
{
	for (int r = 0; r < h; r++)
		memcpy(dst->rgb + ((size_t)(dy + r) * dst->width + dx) * 3,
		       src->rgb + ((size_t)(y + r) * src->width + x) * 3, (size_t)w * 3);
}

/* Two exact copies within the margin: the one nearer the recorded place wins. */
static void test_two_copies(void **state)
{
	struct hvt_image *scr = make_screen(1), *two = make_screen(3);
	struct hvt_needle *n = needle_from(one_area, scr);
	struct hvt_match m;

	blit(two, scr, 200, 150, 200, 100, 230, 150);
	blit(two, scr, 200, 150, 200, 100, 195, 153);
	run_match(two, n, &m);
	assert_true(m.ok);
	assert_int_equal(m.areas[0].x, 195);
	assert_int_equal(m.areas[0].y, 153);
	hvt_needle_free(n);
	hvt_image_free(two);
	hvt_image_free(scr);
}

/*
 * A small margin (few candidates, each measured directly): a shift within
 * it is found, one beyond it is not.
 */
static void test_small_margin(void **state)
{
	struct hvt_image *scr = make_screen(1);
	struct hvt_image *near = shifted(scr, 2, -1), *far = shifted(scr, 5, 0);
	struct hvt_needle *n = needle_from(
		"{'tags': ['box'], 'area': [{'xpos': 200, 'ypos': 150, 'width': 200, 'height': 100,"
		" 'margin': 3}]}",
		scr);
	struct hvt_match m;

	run_match(near, n, &m);
	assert_true(m.ok);
	assert_int_equal(m.areas[0].x, 202);
	assert_int_equal(m.areas[0].y, 149);
	run_match(far, n, &m);
	assert_false(m.ok);
	hvt_needle_free(n);
	hvt_image_free(far);
	hvt_image_free(near);
	hvt_image_free(scr);
}

/* A black wedge with a tail, like a mouse pointer, at (x, y): rows 0..9 r + 1 wide, then 2. */
static void draw_wedge(struct hvt_image *img, int x, int y)
{
	for (int r = 0; r < 13; r++)
		hvt_image_fill(img, x, y + r, r < 10 ? r + 1 : 2, 1, 0x000000);
}

/*
 * A shape's needle with everything around it excluded (a pointer over any
 * background), searched over the whole screen: found on a light box and
 * on the dark background; not found where there is no shape.
 */
static void test_masked_shape(void **state)
{
	struct hvt_image *rec = hvt_image_new(640, 480, NULL);
	struct hvt_image *scr = make_screen(1), *other = make_screen(1);
	char *json;
	struct hvt_needle *n;
	struct hvt_match m;

	/*
	 * recorded on white; the mask keeps the wedge's inside, the pixels the
	 * blur does not mix with the background: columns 1..r-2 of rows 3..8
	 */
	hvt_image_fill(rec, 0, 0, 640, 480, 0xffffff);
	draw_wedge(rec, 100, 100);
	json = hvt_strdup("{'tags': ['ptr'], 'area': [{'xpos': 100, 'ypos': 100, 'width': 13,"
			  " 'height': 13, 'margin': 640, 'click_point': {'xpos': 0, 'ypos': 0}},"
			  " {'xpos': 100, 'ypos': 100, 'width': 13, 'height': 3, 'type': 'exclude'},"
			  " {'xpos': 100, 'ypos': 109, 'width': 13, 'height': 4, 'type': 'exclude'}");
	for (int r = 3; r <= 8; r++) {
		char *more = hvt_asprintf("%s, {'xpos': 100, 'ypos': %d, 'width': 1, 'height': 1,"
					  " 'type': 'exclude'}, {'xpos': %d, 'ypos': %d, 'width': %d,"
					  " 'height': 1, 'type': 'exclude'}",
					  json, 100 + r, 100 + r - 1, 100 + r, 13 - (r - 1));

		free(json);
		json = more;
	}
	{
		char *done = hvt_asprintf("%s]}", json);

		free(json);
		json = done;
	}
	n = needle_from(json, rec);
	/* on the dark background (no box there in seed 1's upper left) */
	draw_wedge(scr, 30, 12);
	run_match(scr, n, &m);
	assert_true(m.ok);
	assert_int_equal(m.areas[0].x, 30);
	assert_int_equal(m.areas[0].y, 12);
	/* on a light box */
	hvt_image_fill(other, 400, 60, 60, 40, 0xe0e0e0);
	draw_wedge(other, 420, 70);
	run_match(other, n, &m);
	assert_true(m.ok);
	assert_int_equal(m.areas[0].x, 420);
	assert_int_equal(m.areas[0].y, 70);
	/* no wedge: the best place is no match */
	hvt_image_free(other);
	other = make_screen(1);
	run_match(other, n, &m);
	assert_false(m.ok);
	hvt_needle_free(n);
	free(json);
	hvt_image_free(other);
	hvt_image_free(scr);
	hvt_image_free(rec);
}

static void expect_parse_error(const char *json, const char *part)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_needle *n = NULL;

	assert_int_equal(hvt_needle_parse(json, strlen(json), "bad.json", &n, &err), -EINVAL);
	assert_null(n);
	if (!strstr(err.msg, "bad.json") || !strstr(err.msg, part))
		fail_msg("error \"%s\" does not name bad.json and \"%s\"", err.msg, part);
}

static void test_parse_errors(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_needle *n;
	struct hvt_image *img = hvt_image_new(100, 100, NULL);

	expect_parse_error("{'area': [{'xpos': 1, 'ypos': 1, 'width': 2, 'height': 2}]}", "tags");
	expect_parse_error("{'tags': ['t']}", "area");
	expect_parse_error("{'tags': ['t'], 'area': [{'xpos': 1, 'ypos': 1, 'width': 2}]}",
			   "height");
	expect_parse_error("{'tags': ['t'], 'area': [{'xpos': -1, 'ypos': 1, 'width': 2, "
			   "'height': 2}]}", "xpos");
	expect_parse_error("{'tags': ['t'], 'area': [{'xpos': 1, 'ypos': 1, 'width': 2, "
			   "'height': 2, 'type': 'blur'}]}", "blur");
	expect_parse_error("{'tags': ['t'], 'area': [{'xpos': 1, 'ypos': 1, 'width': 2, "
			   "'height': 2, 'match': 120}]}", "match");
	expect_parse_error("{'tags': ['t'], 'area': [{'xpos': 1, 'ypos': 1, 'width': 2, "
			   "'height': 2, 'type': 'exclude'}]}", "no area of type match");
	expect_parse_error("[1, 2]", "object");
	expect_parse_error("{'tags': [", "bad.json");

	/* an area outside its image */
	const char *out = "{'tags': ['t'], 'area': [{'xpos': 90, 'ypos': 1, 'width': 20, "
			  "'height': 2}]}";

	assert_int_equal(hvt_needle_parse(out, strlen(out), "out.json", &n, &err), 0);
	assert_int_equal(hvt_needle_set_image(n, img, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "out.json"));
	assert_non_null(strstr(err.msg, "outside"));
	hvt_needle_free(n);
}

static void test_files(void **state)
{
	char dir[] = "/tmp/hvt-needles-XXXXXX";
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_image *scr = make_screen(3), *back;
	struct hvt_needle *n = needle_from(
		"{'tags': ['login', 'prompt'], 'area': [{'xpos': 5, 'ypos': 6, 'width': 70, "
		"'height': 30, 'match': 90, 'margin': 20, 'click_point': {'xpos': 3, 'ypos': 4}}]}",
		scr);
	struct hvt_needles set = { 0 };
	const struct hvt_needle **v;
	size_t k;
	char *path;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	free(n->name);
	n->name = strdup("login-20260101");
	assert_int_equal(hvt_needle_save(n, dir, &err), 0);
	assert_int_equal(hvt_needles_load_dir(&set, dir, &err), 0);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0]->name, "login-20260101");
	assert_int_equal(set.v[0]->areas[0].margin, 20);
	assert_true(set.v[0]->areas[0].match == 90);
	assert_true(set.v[0]->areas[0].click);
	assert_int_equal(set.v[0]->areas[0].click_y, 4);
	assert_true(hvt_image_equal(set.v[0]->image, scr));
	assert_int_equal(hvt_needles_with_tag(&set, "prompt", &v, &k, &err), 0);
	assert_int_equal(k, 1);
	free(v);
	assert_int_equal(hvt_needles_with_tag(&set, "desktop", &v, &k, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "\"desktop\""));
	free(v);
	hvt_needles_release(&set);

	/* a PNG that is not one */
	path = hvt_asprintf("%s/login-20260101.png", dir);
	f = fopen(path, "w");
	fputs("GIF89a not a png", f);
	fclose(f);
	assert_int_equal(hvt_needles_load_dir(&set, dir, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "login-20260101.png"));
	assert_non_null(strstr(err.msg, "not a PNG"));
	hvt_needles_release(&set);
	/* by tag: only the tag's needles' pictures are read */
	hvt_err_clear(&err);
	assert_int_equal(hvt_needles_load_dir_tag(&set, dir, "desktop", &err), 0);
	assert_int_equal(set.n, 1);
	assert_null(set.v[0]->image);
	hvt_needles_release(&set);
	assert_int_equal(hvt_needles_load_dir_tag(&set, dir, NULL, &err), 0);
	assert_null(set.v[0]->image);
	hvt_needles_release(&set);
	assert_int_equal(hvt_needles_load_dir_tag(&set, dir, "prompt", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a PNG"));
	hvt_needles_release(&set);
	assert_int_equal(hvt_image_read_png(path, &back, &err), -EINVAL);
	assert_null(back);
	unlink(path);
	free(path);
	path = hvt_asprintf("%s/login-20260101.json", dir);
	unlink(path);
	rmdir(dir);
	free(path);
	hvt_needle_free(n);
	hvt_image_free(scr);
}

static void test_diff_image(void **state)
{
	struct hvt_image *scr = make_screen(1), *other = hvt_image_copy(scr), *d;
	struct hvt_needle *n = needle_from(one_area, scr);
	struct hvt_match m;

	hvt_image_fill(other, 200, 150, 10, 10, 0xffffff);
	run_match(other, n, &m);
	d = hvt_match_diff_image(other, n, &m.areas[0]);
	assert_non_null(d);
	assert_int_equal(d->width, 200);
	/* no difference at the far corner, some at the changed one */
	assert_int_equal(d->rgb[((size_t)99 * 200 + 199) * 3], 0);
	hvt_image_free(d);
	hvt_needle_free(n);
	hvt_image_free(other);
	hvt_image_free(scr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T("/screen/match/exact", test_exact),
		T("/screen/match/shifted", test_shifted),
		T("/screen/match/noisy", test_noisy),
		T("/screen/match/masked", test_masked),
		T("/screen/match/wrong", test_wrong),
		T("/screen/match/all-areas", test_all_areas),
		T("/screen/match/best", test_best),
		T("/screen/match/two-copies", test_two_copies),
		T("/screen/match/small-margin", test_small_margin),
		T("/screen/match/masked-shape", test_masked_shape),
		T("/screen/needle/parse-errors", test_parse_errors),
		T("/screen/needle/files", test_files),
		T("/screen/match/diff-image", test_diff_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
