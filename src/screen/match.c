// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The needle matcher. Pixels become grey (ITU-R BT.601 weights) and are
 * blurred with a 3x3 Gaussian so that a one-pixel shift of an edge costs
 * little; each match area is then placed at every position within its
 * margin and the sum of squared differences (SSD) picks the best place,
 * nearest the recorded one among near-ties. Candidates are visited in
 * rings around the recorded place and abandoned row by row as soon as
 * their partial SSD cannot beat the best so far, which ends most of them
 * after a row when the needle is there. The verdict is the similarity at
 * the best place, computed from an error that ignores grey differences
 * below 16 (colour noise, dithering); docs/SCREENS.md gives the formula.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

struct hvt_match_screen {
	int w, h;
	uint8_t *grey;
	uint32_t *sum;	/* integral image of grey: (w + 1) x (h + 1) */
	const struct hvt_image *img;
};

/* Index i mirrored into 0..n-1 without repeating the edge (OpenCV's REFLECT_101). */
static inline int reflect(int i, int n)
{
	if (n == 1)
		return 0;
	if (i < 0)
		return -i;
	if (i >= n)
		return 2 * n - 2 - i;
	return i;
}

static inline int grey_at(const struct hvt_image *img, int x, int y)
{
	const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;

	/* 0.299 R + 0.587 G + 0.114 B in 14-bit fixed point, rounded */
	return (p[0] * 4899 + p[1] * 9617 + p[2] * 1868 + 8192) >> 14;
}

/*
 * The blurred grey of img's rectangle (x, y, w, h) into out (w * h bytes),
 * taking the pixels around the rectangle from the whole image so that the
 * result equals that region of the whole image's blur.
 */
static void blur_region(const struct hvt_image *img, int x, int y, int w, int h, uint8_t *out)
{
	int W = img->width, H = img->height;
	/* grey rows y-1 .. y+h, columns x-1 .. x+w, mirrored at the image's edges */
	int gw = w + 2, gh = h + 2;
	uint16_t *g = hvt_malloc((size_t)gw * gh * sizeof(*g));
	uint16_t *hs = hvt_malloc((size_t)w * gh * sizeof(*hs));

	for (int r = 0; r < gh; r++) {
		int sy = reflect(y - 1 + r, H);

		for (int c = 0; c < gw; c++)
			g[(size_t)r * gw + c] = (uint16_t)grey_at(img, reflect(x - 1 + c, W), sy);
	}
	for (int r = 0; r < gh; r++) {
		const uint16_t *s = g + (size_t)r * gw;

		for (int c = 0; c < w; c++)
			hs[(size_t)r * w + c] = (uint16_t)(s[c] + 2 * s[c + 1] + s[c + 2]);
	}
	for (int r = 0; r < h; r++) {
		const uint16_t *a = hs + (size_t)r * w, *b = a + w, *d = b + w;

		for (int c = 0; c < w; c++)
			out[(size_t)r * w + c] = (uint8_t)((a[c] + 2 * b[c] + d[c] + 8) >> 4);
	}
	free(hs);
	free(g);
}

struct hvt_match_screen *hvt_match_screen_new(const struct hvt_image *screen)
{
	struct hvt_match_screen *s = hvt_zalloc(sizeof(*s));

	s->w = screen->width;
	s->h = screen->height;
	s->img = screen;
	s->grey = hvt_malloc((size_t)s->w * s->h);
	blur_region(screen, 0, 0, s->w, s->h, s->grey);
	s->sum = hvt_zalloc((size_t)(s->w + 1) * (s->h + 1) * sizeof(*s->sum));
	for (int y = 0; y < s->h; y++) {
		uint32_t row = 0;
		uint32_t *o = s->sum + (size_t)(y + 1) * (s->w + 1), *up = o - (s->w + 1);

		for (int x = 0; x < s->w; x++) {
			row += s->grey[(size_t)y * s->w + x];
			o[x + 1] = up[x + 1] + row;
		}
	}
	return s;
}

void hvt_match_screen_free(struct hvt_match_screen *s)
{
	if (!s)
		return;
	free(s->sum);
	free(s->grey);
	free(s);
}

/* Near-ties within this SSD go to the candidate nearer the recorded place. */
#define SSD_TIE 10

/*
 * SSD of the w x h needle over the screen at p, given up once it reaches
 * limit. The hot loop of the search: built for AVX2 too, picked at load
 * time where the CPU has it.
 */
__attribute__((target_clones("avx2", "default")))
static uint64_t ssd(const uint8_t *p, int stride, const uint8_t *nd, const uint8_t *mask,
		    int w, int h, uint64_t limit)
{
	uint64_t total = 0;

	for (int r = 0; r < h; r++) {
		const uint8_t *a = p + (size_t)r * stride, *b = nd + (size_t)r * w;
		const uint8_t *m = mask + (size_t)r * w;
		uint32_t row = 0;

		/* 16-bit products summed in pairs (pmaddwd): a fraction of the 32-bit cost */
		for (int c = 0; c < w; c++) {
			int16_t d = (int16_t)((int16_t)(a[c] - b[c]) * (int16_t)m[c]);

			row += (uint32_t)(int32_t)(d * d);
		}
		total += row;
		if (total >= limit)
			return total;
	}
	return total;
}

/* The mean of the squared, 16-level-quantised grey error; masked pixels count as equal. */
static double quantised_mse(const uint8_t *p, int stride, const uint8_t *nd, const uint8_t *mask,
			    int w, int h)
{
	uint64_t sse = 0;

	for (int r = 0; r < h; r++) {
		const uint8_t *a = p + (size_t)r * stride, *b = nd + (size_t)r * w;
		const uint8_t *m = mask + (size_t)r * w;

		for (int c = 0; c < w; c++) {
			int d;

			if (!m[c] || abs(a[c] - b[c]) < 16)
				continue;
			d = ((a[c] + 8) / 16 - (b[c] + 8) / 16) * 16;
			sse += (uint64_t)(d * d);
		}
	}
	return (double)sse / ((double)w * h);
}

/* openQA's mapping of the error to 0..1: MSE 2 -> 1.0, MSE 40 -> 0.9. */
static double similarity_of(double mse)
{
	double s = 0.9 + (40.0 - mse) / 380.0;

	return s < 0 ? 0 : s > 1 ? 1 : s;
}


/* The needle cut into blocks for a lower bound of the SSD from block sums. */
#define MAX_BLOCKS 8
#define BLOCK_PX 24

struct blocks {
	int n;
	int x[MAX_BLOCKS * MAX_BLOCKS], y[MAX_BLOCKS * MAX_BLOCKS];
	int w[MAX_BLOCKS * MAX_BLOCKS], h[MAX_BLOCKS * MAX_BLOCKS];
	int64_t sum[MAX_BLOCKS * MAX_BLOCKS];
};

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Blocks of the w x h needle without a masked pixel, with their grey sums. */
static void make_blocks(struct blocks *b, const uint8_t *nd, const uint8_t *mask, int w, int h)
{
	int nbx = clampi(w / BLOCK_PX, 1, MAX_BLOCKS), nby = clampi(h / BLOCK_PX, 1, MAX_BLOCKS);

	b->n = 0;
	for (int j = 0; j < nby; j++) {
		for (int i = 0; i < nbx; i++) {
			int x0 = i * w / nbx, x1 = (i + 1) * w / nbx;
			int y0 = j * h / nby, y1 = (j + 1) * h / nby;
			int64_t sum = 0;
			bool masked = false;

			for (int y = y0; y < y1 && !masked; y++)
				for (int x = x0; x < x1; x++) {
					masked |= !mask[(size_t)y * w + x];
					sum += nd[(size_t)y * w + x];
				}
			if (masked)
				continue;
			b->x[b->n] = x0;
			b->y[b->n] = y0;
			b->w[b->n] = x1 - x0;
			b->h[b->n] = y1 - y0;
			b->sum[b->n++] = sum;
		}
	}
}

/*
 * A lower bound of the SSD at (x, y): over each block, the squared
 * difference of the sums divided by the block's size (Cauchy-Schwarz).
 */
static uint64_t lower_bound(const struct hvt_match_screen *s, const struct blocks *b, int x,
			    int y)
{
	size_t stride = (size_t)s->w + 1;
	double lb = 0;

	for (int i = 0; i < b->n; i++) {
		const uint32_t *top = s->sum + (size_t)(y + b->y[i]) * stride + x + b->x[i];
		const uint32_t *bot = top + (size_t)b->h[i] * stride;
		int64_t sum = (int64_t)bot[b->w[i]] - bot[0] - top[b->w[i]] + top[0];
		double d = (double)(sum - b->sum[i]);

		lb += d * d / ((double)b->w[i] * b->h[i]);
	}
	return (uint64_t)lb;
}

struct cand {
	uint64_t lb;
	int x, y;
};

static int by_bound(const void *a, const void *b)
{
	const struct cand *p = a, *q = b;

	return p->lb < q->lb ? -1 : p->lb > q->lb;
}

/*
 * The best place of the needle in [x0, x1] x [y0, y1]: the least SSD, and
 * among places within SSD_TIE of it the nearest to the recorded one.
 * Exact, but fast (branch and bound): the candidate with the least lower
 * bound is measured first and sets a bar; only candidates whose bound is
 * under the bar are measured, least bound first (the bar drops fastest),
 * each given up row by row once above the bar.
 */
static void search_candidates(const struct hvt_match_screen *s, const struct hvt_needle_area *a,
			      const uint8_t *nd, const uint8_t *mask, int x0, int y0, int x1,
			      int y1, int *bx, int *by)
{
	int w = a->w, h = a->h;
	size_t total = (size_t)(x1 - x0 + 1) * (y1 - y0 + 1), n = 0, first = 0;
	struct cand *c = hvt_malloc(total * sizeof(*c));
	uint64_t *v, best, min_lb = UINT64_MAX;
	struct blocks *b = hvt_malloc(sizeof(*b));
	double best_d = 0;

	make_blocks(b, nd, mask, w, h);
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++) {
			c[n].lb = lower_bound(s, b, x, y);
			c[n].x = x;
			c[n].y = y;
			if (c[n].lb < min_lb) {
				min_lb = c[n].lb;
				first = n;
			}
			n++;
		}
	best = ssd(s->grey + (size_t)c[first].y * s->w + c[first].x, s->w, nd, mask, w, h,
		   UINT64_MAX);
	/* keep the candidates under the bar, then measure them least bound first */
	n = 0;
	for (size_t i = 0; i < total; i++)
		if (c[i].lb <= best + SSD_TIE)
			c[n++] = c[i];
	qsort(c, n, sizeof(*c), by_bound);
	v = hvt_malloc((n ? n : 1) * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i] = UINT64_MAX;
		if (c[i].lb > best + SSD_TIE) {
			n = i;
			break;
		}
		v[i] = ssd(s->grey + (size_t)c[i].y * s->w + c[i].x, s->w, nd, mask, w, h,
			   best + SSD_TIE + 1);
		if (v[i] < best)
			best = v[i];
	}
	*bx = -1;
	for (size_t i = 0; i < n; i++) {
		double d = (double)(c[i].x - a->x) * (c[i].x - a->x) +
			   (double)(c[i].y - a->y) * (c[i].y - a->y);

		if (v[i] > best + SSD_TIE)
			continue;
		if (*bx < 0 || d < best_d) {
			*bx = c[i].x;
			*by = c[i].y;
			best_d = d;
		}
	}
	free(v);
	free(b);
	free(c);
}

static void search_area(const struct hvt_match_screen *s, const struct hvt_needle *n,
			int ai, struct hvt_match_area *res)
{
	const struct hvt_needle_area *a = &n->areas[ai];
	int w = a->w, h = a->h;
	int x0 = a->x - a->margin, x1 = a->x + a->margin;
	int y0 = a->y - a->margin, y1 = a->y + a->margin;
	uint8_t *nd, *mask;
	int bx = -1, by = -1;

	res->area = ai;
	res->x = a->x;
	res->y = a->y;
	res->similarity = 0;
	res->ok = false;
	if (w > s->w || h > s->h)
		return;
	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > s->w - w)
		x1 = s->w - w;
	if (y1 > s->h - h)
		y1 = s->h - h;
	if (x0 > x1 || y0 > y1)
		return;

	nd = hvt_malloc((size_t)w * h);
	blur_region(n->image, a->x, a->y, w, h, nd);
	mask = hvt_malloc((size_t)w * h);
	memset(mask, 1, (size_t)w * h);
	for (size_t i = 0; i < n->nareas; i++) {
		const struct hvt_needle_area *e = &n->areas[i];

		if (e->type != HVT_AREA_EXCLUDE)
			continue;
		for (int r = e->y - a->y; r < e->y - a->y + e->h; r++)
			for (int c = e->x - a->x; c < e->x - a->x + e->w; c++)
				if (r >= 0 && r < h && c >= 0 && c < w)
					mask[(size_t)r * w + c] = 0;
	}

	search_candidates(s, a, nd, mask, x0, y0, x1, y1, &bx, &by);
	res->x = bx;
	res->y = by;
	res->similarity = similarity_of(
		quantised_mse(s->grey + (size_t)by * s->w + bx, s->w, nd, mask, w, h));
	res->ok = res->similarity * 100.0 >= a->match - 1e-9;
	free(mask);
	free(nd);
}

int hvt_match_needle(const struct hvt_match_screen *s, const struct hvt_needle *n,
		     struct hvt_match *m, struct hvt_err *err)
{
	memset(m, 0, sizeof(*m));
	m->needle = n;
	if (!n->image)
		return hvt_err_set(err, -EINVAL, "needle %s has no image", n->name);
	m->ok = true;
	m->similarity = 1;
	for (size_t i = 0; i < n->nareas; i++) {
		struct hvt_match_area *r;

		if (n->areas[i].type == HVT_AREA_OCR)
			m->skipped_ocr++;
		if (n->areas[i].type != HVT_AREA_MATCH)
			continue;
		if (m->nareas == HVT_MATCH_MAX_AREAS)
			return hvt_err_set(err, -EINVAL, "needle %s has more than %d match areas",
					   n->name, HVT_MATCH_MAX_AREAS);
		r = &m->areas[m->nareas++];
		search_area(s, n, (int)i, r);
		m->ok = m->ok && r->ok;
		if (r->similarity < m->similarity)
			m->similarity = r->similarity;
	}
	return 0;
}

int hvt_match_best(const struct hvt_match_screen *s, const struct hvt_needle *const *v,
		   size_t n, struct hvt_match *best, struct hvt_err *err)
{
	bool have = false;

	memset(best, 0, sizeof(*best));
	for (size_t i = 0; i < n; i++) {
		struct hvt_match m;
		int ret = hvt_match_needle(s, v[i], &m, err);

		if (ret)
			return ret;
		if (!have || (m.ok && !best->ok) ||
		    (m.ok == best->ok && m.similarity > best->similarity)) {
			*best = m;
			have = true;
		}
	}
	return have && best->ok ? 0 : -ENOENT;
}

struct hvt_image *hvt_match_diff_image(const struct hvt_image *screen,
				       const struct hvt_needle *n, const struct hvt_match_area *r)
{
	const struct hvt_needle_area *a = &n->areas[r->area];
	struct hvt_image *d = hvt_image_new(a->w, a->h, NULL);

	if (!d)
		return NULL;
	for (int y = 0; y < a->h; y++) {
		for (int x = 0; x < a->w; x++) {
			uint8_t *o = d->rgb + ((size_t)y * a->w + x) * 3;
			const uint8_t *p = n->image->rgb +
					   ((size_t)(a->y + y) * n->image->width + a->x + x) * 3;
			int sx = r->x + x, sy = r->y + y;
			bool masked = false;

			for (size_t i = 0; i < n->nareas; i++) {
				const struct hvt_needle_area *e = &n->areas[i];

				if (e->type == HVT_AREA_EXCLUDE && a->x + x >= e->x &&
				    a->x + x < e->x + e->w && a->y + y >= e->y &&
				    a->y + y < e->y + e->h)
					masked = true;
			}
			if (masked || r->x < 0 || sx >= screen->width || sy >= screen->height) {
				o[0] = o[1] = o[2] = 128;
				continue;
			}
			for (int ch = 0; ch < 3; ch++) {
				int v = abs(p[ch] - screen->rgb[((size_t)sy * screen->width + sx) * 3 +
								 ch]) * 4;

				o[ch] = (uint8_t)(v > 255 ? 255 : v);
			}
		}
	}
	return d;
}
