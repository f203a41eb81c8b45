// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The needle matcher. Pixels become grey (ITU-R BT.601 weights) and are
 * blurred with a 3x3 Gaussian so that a one-pixel shift of an edge costs
 * little; each match area is then placed at every position within its
 * margin and the sum of squared differences (SSD) picks the best place,
 * nearest the recorded one among near-ties. All candidates' SSDs come at
 * once from correlations by FFT (FFTW); those near the least are then
 * measured again exactly, so the place is that of an exhaustive integer
 * search, at a cost that does not depend on whether the needle is there.
 * The verdict is the similarity at
 * the best place, computed from an error that ignores grey differences
 * below 16 (colour noise, dithering); docs/SCREENS.md gives the formula.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "match.h"

struct hvt_match_screen {
	int w, h;
	uint8_t *grey;
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
	/* one grey row (columns x-1 .. x+w, mirrored at the edges), three horizontal sums */
	uint16_t *g = hvt_malloc((size_t)(w + 2) * sizeof(*g));
	uint16_t *hs = hvt_malloc((size_t)3 * w * sizeof(*hs));

	for (int r = -1; r <= h; r++) {
		int sy = reflect(y + r, H);
		uint16_t *o = hs + (size_t)((r + 3) % 3) * w;

		for (int c = 0; c < w + 2; c++)
			g[c] = (uint16_t)grey_at(img, reflect(x - 1 + c, W), sy);
		for (int c = 0; c < w; c++)
			o[c] = (uint16_t)(g[c] + 2 * g[c + 1] + g[c + 2]);
		if (r < 1)
			continue;
		/* rows r-2, r-1, r of the sums give output row r-1 */
		{
			const uint16_t *a = hs + (size_t)((r + 1) % 3) * w;
			const uint16_t *b2 = hs + (size_t)((r + 2) % 3) * w;
			uint8_t *d = out + (size_t)(r - 1) * w;

			for (int c = 0; c < w; c++)
				d[c] = (uint8_t)((a[c] + 2 * b2[c] + o[c] + 8) >> 4);
		}
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
	return s;
}

void hvt_match_screen_free(struct hvt_match_screen *s)
{
	if (!s)
		return;
	free(s->grey);
	free(s);
}

/* Near-ties within this SSD go to the candidate nearer the recorded place. */
#define SSD_TIE 10
/* Up to this many candidates are measured one by one; more, by FFT. */
#define DIRECT_MAX 64

/*
 * SSD of the w x h needle over the screen at p, exact. The loop of the
 * small searches and of the FFT search's last check: built for AVX2 too,
 * picked at load time where the CPU has it.
 */
__attribute__((target_clones("avx2", "default")))
static uint64_t ssd(const uint8_t *p, int stride, const uint8_t *nd, const uint8_t *mask,
		    int w, int h)
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


struct cand {
	int x, y;
};

/* One search: the needle's area, its blurred grey and mask, the candidates' box. */
struct search {
	const struct hvt_match_screen *s;
	const struct hvt_needle_area *a;
	const uint8_t *nd, *mask;
	int w, h;
	int x0, y0, x1, y1;
};

static inline uint64_t ssd_at(const struct search *q, int x, int y)
{
	return ssd(q->s->grey + (size_t)y * q->s->w + x, q->s->w, q->nd, q->mask, q->w, q->h);
}

/*
 * The answer among measured candidates: the least SSD, and among those
 * within SSD_TIE of it the nearest to the recorded place (the first in
 * the given order on equal distance).
 */
static void pick(const struct search *q, const struct cand *c, const uint64_t *v, size_t n,
		 int *bx, int *by)
{
	uint64_t best = UINT64_MAX;
	double best_d = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] < best)
			best = v[i];
	*bx = -1;
	for (size_t i = 0; i < n; i++) {
		double d = (double)(c[i].x - q->a->x) * (c[i].x - q->a->x) +
			   (double)(c[i].y - q->a->y) * (c[i].y - q->a->y);

		if (v[i] > best + SSD_TIE)
			continue;
		if (*bx < 0 || d < best_d) {
			*bx = c[i].x;
			*by = c[i].y;
			best_d = d;
		}
	}
}

/* A length >= n that FFTW transforms fast: 2^a 3^b 5^c 7^d. */
static int fft_size(int n)
{
	for (;; n++) {
		int m = n;

		for (int f = 2; f <= 7; f++)
			while (m % f == 0)
				m /= f;
		if (m == 1)
			return n;
	}
}

/* FFTW's planner is not thread-safe; its transforms are. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * A plane of fw x fh real values, its transform (fh x cw complex values,
 * cw = fw / 2 + 1), a kernel's transform, and the plans between them.
 * Kept per thread for the last few sizes: a fresh plane of a whole screen
 * is tens of MB of new pages, which cost more than the transforms.
 */
struct fft {
	int fw, fh, cw;
	double *real, *acc;	/* acc: the candidates' sums, fw x fh */
	fftw_complex *freq, *ker;
	fftw_plan fwd, inv;
	unsigned long used;	/* for the least recently used to go */
};

#define FFT_CACHED 3

struct fft_cache {
	struct fft f[FFT_CACHED];
	unsigned long clock;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void fft_release(struct fft *f)
{
	if (!f->real)
		return;
	pthread_mutex_lock(&planner_lock);
	fftw_destroy_plan(f->fwd);
	fftw_destroy_plan(f->inv);
	pthread_mutex_unlock(&planner_lock);
	fftw_free(f->ker);
	fftw_free(f->freq);
	fftw_free(f->acc);
	fftw_free(f->real);
	memset(f, 0, sizeof(*f));
}

static void cache_free(void *p)
{
	struct fft_cache *c = p;

	for (int i = 0; i < FFT_CACHED; i++)
		fft_release(&c->f[i]);
	free(c);
}

static void cache_key_init(void)
{
	pthread_key_create(&cache_key, cache_free);
}

/* This thread's plane of fw x fh, made on first use. */
static struct fft *fft_get(int fw, int fh)
{
	struct fft_cache *c;
	struct fft *f;

	pthread_once(&cache_once, cache_key_init);
	c = pthread_getspecific(cache_key);
	if (!c) {
		c = hvt_zalloc(sizeof(*c));
		pthread_setspecific(cache_key, c);
	}
	f = &c->f[0];
	for (int i = 0; i < FFT_CACHED; i++) {
		if (c->f[i].real && c->f[i].fw == fw && c->f[i].fh == fh) {
			f = &c->f[i];
			f->used = ++c->clock;
			return f;
		}
		if (c->f[i].used < f->used)
			f = &c->f[i];
	}
	fft_release(f);
	f->fw = fw;
	f->fh = fh;
	f->cw = fw / 2 + 1;
	f->real = fftw_alloc_real((size_t)fw * fh);
	f->acc = fftw_alloc_real((size_t)fw * fh);
	f->freq = fftw_alloc_complex((size_t)fh * f->cw);
	f->ker = fftw_alloc_complex((size_t)fh * f->cw);
	pthread_mutex_lock(&planner_lock);
	f->fwd = fftw_plan_dft_r2c_2d(fh, fw, f->real, f->freq, FFTW_ESTIMATE);
	f->inv = fftw_plan_dft_c2r_2d(fh, fw, f->freq, f->real, FFTW_ESTIMATE);
	pthread_mutex_unlock(&planner_lock);
	f->used = ++c->clock;
	return f;
}

/* Transform the kw x kh kernel k, placed at the origin of a zero plane, into f->ker. */
static void fft_kernel(struct fft *f, const double *k, int kw, int kh)
{
	memset(f->real, 0, (size_t)f->fw * f->fh * sizeof(double));
	for (int r = 0; r < kh; r++)
		memcpy(f->real + (size_t)r * f->fw, k + (size_t)r * kw, (size_t)kw * sizeof(double));
	fftw_execute(f->fwd);
	memcpy(f->ker, f->freq, (size_t)f->fh * f->cw * sizeof(fftw_complex));
}

/*
 * f->real = the correlation of the screen's rw x rh region at (x0, y0)
 * (squared if square) with the kernel in f->ker: at (x, y), the sum over
 * the kernel of region[y + r][x + c] * kernel[r][c], unnormalised (times
 * fw * fh). The plane needs no wrap-around: candidates and kernel fit in
 * the region, the region in the plane.
 */
static void fft_correlate(struct fft *f, const struct hvt_match_screen *s, int x0, int y0,
			  int rw, int rh, bool square)
{
	memset(f->real, 0, (size_t)f->fw * f->fh * sizeof(double));
	for (int r = 0; r < rh; r++) {
		const uint8_t *g = s->grey + (size_t)(y0 + r) * s->w + x0;
		double *o = f->real + (size_t)r * f->fw;

		for (int x = 0; x < rw; x++)
			o[x] = square ? (double)g[x] * g[x] : g[x];
	}
	fftw_execute(f->fwd);
	for (size_t i = 0; i < (size_t)f->fh * f->cw; i++) {
		/* freq * conj(ker) */
		double re = f->freq[i][0] * f->ker[i][0] + f->freq[i][1] * f->ker[i][1];
		double im = f->freq[i][1] * f->ker[i][0] - f->freq[i][0] * f->ker[i][1];

		f->freq[i][0] = re;
		f->freq[i][1] = im;
	}
	fftw_execute(f->inv);
}

/*
 * Every candidate's SSD at once, as OpenCV's matchTemplate does: with m
 * the mask, S the screen and N the needle, SSD = sum m S^2 - 2 sum S (m N)
 * + sum m N^2, the first two being correlations computed by FFT (the
 * first from an integral of squares when nothing is masked). Rounding
 * makes these sums inexact by far less than tol, so every candidate
 * within SSD_TIE + 2 tol of the least is measured again exactly, and
 * pick() decides among them: the same answer as search_bound().
 */
static void search_fft(const struct search *q, int *bx, int *by)
{
	const struct hvt_match_screen *s = q->s;
	int cw = q->x1 - q->x0 + 1, ch = q->y1 - q->y0 + 1;
	int rw = cw + q->w - 1, rh = ch + q->h - 1;
	size_t np = (size_t)q->w * q->h, nc = (size_t)cw * ch, n = 0;
	struct fft *f = fft_get(fft_size(rw), fft_size(rh));
	double *k = hvt_malloc(np * sizeof(*k)), *sum = f->acc;
	double n2 = 0, scale = 1.0 / ((double)f->fw * f->fh), least = INFINITY, tol, big = 0;
	bool masked = false;
	struct cand *c;
	uint64_t *v;

	for (size_t i = 0; i < np; i++) {
		k[i] = (double)q->nd[i] * q->mask[i];
		n2 += k[i] * k[i];
		masked |= !q->mask[i];
	}
	fft_kernel(f, k, q->w, q->h);
	fft_correlate(f, s, q->x0, q->y0, rw, rh, false);
	for (int y = 0; y < ch; y++)
		for (int x = 0; x < cw; x++)
			sum[(size_t)y * cw + x] = n2 - 2 * scale * f->real[(size_t)y * f->fw + x];
	if (masked) {
		/* sum m S^2: the squared screen correlated with the mask */
		for (size_t i = 0; i < np; i++)
			k[i] = q->mask[i];
		fft_kernel(f, k, q->w, q->h);
		fft_correlate(f, s, q->x0, q->y0, rw, rh, true);
		for (int y = 0; y < ch; y++)
			for (int x = 0; x < cw; x++) {
				double s2 = scale * f->real[(size_t)y * f->fw + x];

				sum[(size_t)y * cw + x] += s2;
				big = fmax(big, s2);
			}
	} else {
		/* sum S^2 over each window: column sums of h rows, slid along */
		uint32_t *col = hvt_zalloc((size_t)rw * sizeof(*col));

		for (int r = 0; r < q->h; r++)
			for (int x = 0; x < rw; x++) {
				uint32_t g = s->grey[(size_t)(q->y0 + r) * s->w + q->x0 + x];

				col[x] += g * g;
			}
		for (int y = 0; y < ch; y++) {
			int64_t win = 0;

			if (y) {
				const uint8_t *out = s->grey + (size_t)(q->y0 + y - 1) * s->w + q->x0;
				const uint8_t *in = out + (size_t)q->h * s->w;

				for (int x = 0; x < rw; x++)
					col[x] += (uint32_t)in[x] * in[x] - (uint32_t)out[x] * out[x];
			}
			for (int x = 0; x < q->w; x++)
				win += col[x];
			for (int x = 0; x < cw; x++) {
				if (x)
					win += (int64_t)col[x + q->w - 1] - col[x - 1];
				sum[(size_t)y * cw + x] += (double)win;
				big = fmax(big, (double)win);
			}
		}
		free(col);
	}
	for (size_t i = 0; i < nc; i++)
		least = fmin(least, sum[i]);
	/* double rounding through the transforms: ~1e-13 of the magnitudes; tol is far more */
	tol = 4 + 1e-9 * (big + n2) * log2((double)f->fw * f->fh);
	for (size_t i = 0; i < nc; i++)
		n += sum[i] <= least + SSD_TIE + 2 * tol;
	c = hvt_malloc(n * sizeof(*c));
	n = 0;
	for (int y = 0; y < ch; y++)
		for (int x = 0; x < cw; x++)
			if (sum[(size_t)y * cw + x] <= least + SSD_TIE + 2 * tol) {
				c[n].x = q->x0 + x;
				c[n].y = q->y0 + y;
				n++;
			}
	v = hvt_malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = ssd_at(q, c[i].x, c[i].y);
	pick(q, c, v, n, bx, by);
	free(v);
	free(c);
	free(k);
}

/*
 * The best place of the needle in [x0, x1] x [y0, y1]: the least SSD, and
 * among places within SSD_TIE of it the nearest to the recorded one. A
 * few candidates are measured one by one, more by FFT.
 */
static void search_candidates(const struct search *q, int *bx, int *by)
{
	size_t nc = (size_t)(q->x1 - q->x0 + 1) * (q->y1 - q->y0 + 1), n = 0;
	struct cand *c;
	uint64_t *v;

	if (nc > DIRECT_MAX) {
		search_fft(q, bx, by);
		return;
	}
	c = hvt_malloc(nc * sizeof(*c));
	v = hvt_malloc(nc * sizeof(*v));
	for (int y = q->y0; y <= q->y1; y++)
		for (int x = q->x0; x <= q->x1; x++) {
			c[n].x = x;
			c[n].y = y;
			v[n++] = ssd_at(q, x, y);
		}
	pick(q, c, v, n, bx, by);
	free(v);
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

	search_candidates(&(struct search){ .s = s, .a = a, .nd = nd, .mask = mask, .w = w,
					     .h = h, .x0 = x0, .y0 = y0, .x1 = x1, .y1 = y1 },
			  &bx, &by);
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
