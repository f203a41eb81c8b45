// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Screen images in memory and PNG / PPM files. libpng's simplified API
 * converts every PNG flavour to 8-bit RGB and reports damage as an error
 * string instead of a longjmp.
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

struct hvt_image *hvt_image_new(int width, int height, struct hvt_err *err)
{
	struct hvt_image *img;

	if (width <= 0 || height <= 0 || width > HVT_IMAGE_MAX_DIM ||
	    height > HVT_IMAGE_MAX_DIM) {
		hvt_err_set(err, -EINVAL, "image size %dx%d out of range (1..%d)", width, height,
			    HVT_IMAGE_MAX_DIM);
		return NULL;
	}
	img = hvt_zalloc(sizeof(*img));
	img->width = width;
	img->height = height;
	img->rgb = hvt_zalloc((size_t)width * height * 3);
	return img;
}

void hvt_image_free(struct hvt_image *img)
{
	if (!img)
		return;
	free(img->rgb);
	free(img);
}

struct hvt_image *hvt_image_copy(const struct hvt_image *img)
{
	struct hvt_image *c = hvt_image_new(img->width, img->height, NULL);

	memcpy(c->rgb, img->rgb, (size_t)img->width * img->height * 3);
	return c;
}

struct hvt_image *hvt_image_crop(const struct hvt_image *img, int x, int y, int w, int h,
				 struct hvt_err *err)
{
	struct hvt_image *c;

	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x > img->width - w || y > img->height - h) {
		hvt_err_set(err, -EINVAL, "area %d,%d %dx%d is not inside the %dx%d image", x, y,
			    w, h, img->width, img->height);
		return NULL;
	}
	c = hvt_image_new(w, h, err);
	for (int r = 0; r < h; r++)
		memcpy(c->rgb + (size_t)r * w * 3,
		       img->rgb + ((size_t)(y + r) * img->width + x) * 3, (size_t)w * 3);
	return c;
}

int hvt_image_decode_png(const void *data, size_t len, const char *name,
			 struct hvt_image **out, struct hvt_err *err)
{
	png_image pi;
	struct hvt_image *img;

	*out = NULL;
	memset(&pi, 0, sizeof(pi));
	pi.version = PNG_IMAGE_VERSION;
	if (len < 8 || png_sig_cmp(data, 0, 8))
		return hvt_err_set(err, -EINVAL, "%s: not a PNG file", name);
	if (!png_image_begin_read_from_memory(&pi, data, len))
		return hvt_err_set(err, -EINVAL, "%s: bad PNG: %s", name, pi.message);
	pi.format = PNG_FORMAT_RGB;
	if (pi.width > HVT_IMAGE_MAX_DIM || pi.height > HVT_IMAGE_MAX_DIM) {
		png_image_free(&pi);
		return hvt_err_set(err, -EINVAL, "%s: PNG of %ux%u is larger than %d pixels a side",
				   name, pi.width, pi.height, HVT_IMAGE_MAX_DIM);
	}
	img = hvt_image_new((int)pi.width, (int)pi.height, err);
	if (!img) {
		png_image_free(&pi);
		hvt_err_prefix(err, "%s", name);
		return -EINVAL;
	}
	if (!png_image_finish_read(&pi, NULL, img->rgb, (png_int_32)(pi.width * 3), NULL)) {
		hvt_err_set(err, -EINVAL, "%s: bad PNG: %s", name, pi.message);
		png_image_free(&pi);
		hvt_image_free(img);
		return -EINVAL;
	}
	*out = img;
	return 0;
}

int hvt_image_read_png(const char *path, struct hvt_image **out, struct hvt_err *err)
{
	char *data;
	size_t len;
	int ret;

	*out = NULL;
	ret = hvt_file_read(path, &data, &len, err);
	if (ret)
		return ret;
	ret = hvt_image_decode_png(data, len, path, out, err);
	free(data);
	return ret;
}

int hvt_image_write_png(const struct hvt_image *img, const char *path, struct hvt_err *err)
{
	png_image pi;

	memset(&pi, 0, sizeof(pi));
	pi.version = PNG_IMAGE_VERSION;
	pi.width = (png_uint_32)img->width;
	pi.height = (png_uint_32)img->height;
	pi.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_file(&pi, path, 0, img->rgb, img->width * 3, NULL)) {
		hvt_err_set(err, -EIO, "%s: cannot write PNG: %s", path, pi.message);
		png_image_free(&pi);
		return -EIO;
	}
	return 0;
}

/* One PPM header number after optional whitespace and comments. */
static int ppm_number(const char *d, size_t len, size_t *pos, int *out)
{
	long v = 0;
	size_t p = *pos;

	for (;;) {
		while (p < len && (d[p] == ' ' || d[p] == '\t' || d[p] == '\n' || d[p] == '\r'))
			p++;
		if (p < len && d[p] == '#') {
			while (p < len && d[p] != '\n')
				p++;
			continue;
		}
		break;
	}
	if (p >= len || d[p] < '0' || d[p] > '9')
		return -EINVAL;
	while (p < len && d[p] >= '0' && d[p] <= '9' && v <= 1000000)
		v = v * 10 + (d[p++] - '0');
	if (v > 1000000)
		return -EINVAL;
	*out = (int)v;
	*pos = p;
	return 0;
}

int hvt_image_read_ppm(const char *path, struct hvt_image **out, struct hvt_err *err)
{
	char *data;
	size_t len, pos = 2, need;
	int w, h, maxval, ret;
	struct hvt_image *img;

	*out = NULL;
	ret = hvt_file_read(path, &data, &len, err);
	if (ret)
		return ret;
	ret = -EINVAL;
	if (len < 2 || data[0] != 'P' || data[1] != '6' || ppm_number(data, len, &pos, &w) ||
	    ppm_number(data, len, &pos, &h) || ppm_number(data, len, &pos, &maxval) ||
	    maxval != 255 || pos >= len) {
		hvt_err_set(err, ret, "%s: not a binary 8-bit PPM (P6) image", path);
		goto out;
	}
	pos++; /* the one whitespace byte after maxval */
	img = hvt_image_new(w, h, err);
	if (!img) {
		hvt_err_prefix(err, "%s", path);
		goto out;
	}
	need = (size_t)w * h * 3;
	if (len - pos < need) {
		hvt_err_set(err, ret, "%s: PPM data is %zu bytes short", path, need - (len - pos));
		hvt_image_free(img);
		goto out;
	}
	memcpy(img->rgb, data + pos, need);
	*out = img;
	ret = 0;
out:
	free(data);
	return ret;
}

int hvt_image_equal(const struct hvt_image *a, const struct hvt_image *b)
{
	return a->width == b->width && a->height == b->height &&
	       !memcmp(a->rgb, b->rgb, (size_t)a->width * a->height * 3);
}

void hvt_image_fill(struct hvt_image *img, int x, int y, int w, int h, uint32_t rgb)
{
	int x1 = x + w, y1 = y + h;

	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x1 > img->width)
		x1 = img->width;
	if (y1 > img->height)
		y1 = img->height;
	for (int r = y; r < y1; r++) {
		uint8_t *p = img->rgb + ((size_t)r * img->width + x) * 3;

		for (int col = x; col < x1; col++, p += 3) {
			p[0] = (uint8_t)(rgb >> 16);
			p[1] = (uint8_t)(rgb >> 8);
			p[2] = (uint8_t)rgb;
		}
	}
}

void hvt_image_frame(struct hvt_image *img, int x, int y, int w, int h, int t, uint32_t rgb)
{
	hvt_image_fill(img, x - t, y - t, w + 2 * t, t, rgb);
	hvt_image_fill(img, x - t, y + h, w + 2 * t, t, rgb);
	hvt_image_fill(img, x - t, y, t, h, rgb);
	hvt_image_fill(img, x + w, y, t, h, rgb);
}
