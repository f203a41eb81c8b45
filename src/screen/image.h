/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Screen images: 8-bit RGB pixels in memory, PNG files through libpng
 * (the only libpng user), and the few drawing operations forensics need.
 */
#ifndef HVT_IMAGE_H
#define HVT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Width x height pixels, 3 bytes each (R, G, B), rows without padding. */
struct hvt_image {
	int width, height;
	uint8_t *rgb;
};

/* Larger images are refused (a corrupt or hostile header). */
#define HVT_IMAGE_MAX_DIM 16384

/* A new black image; NULL (and err) when a dimension is out of range. */
struct hvt_image *hvt_image_new(int width, int height, struct hvt_err *err);
void hvt_image_free(struct hvt_image *img);
struct hvt_image *hvt_image_copy(const struct hvt_image *img);
/* The rectangle (x, y, w, h), which must lie inside img; NULL (and err) if not. */
struct hvt_image *hvt_image_crop(const struct hvt_image *img, int x, int y, int w, int h,
				 struct hvt_err *err);

/*
 * Read a PNG file (any bit depth, palette, grey or alpha: converted to
 * 8-bit RGB, alpha dropped). A file that is not a PNG, or a damaged one,
 * is -EINVAL with err naming the file.
 */
int hvt_image_read_png(const char *path, struct hvt_image **out, struct hvt_err *err);
/* The same from memory; name is used in messages. */
int hvt_image_decode_png(const void *data, size_t len, const char *name,
			 struct hvt_image **out, struct hvt_err *err);
/* Write img as an 8-bit RGB PNG. */
int hvt_image_write_png(const struct hvt_image *img, const char *path, struct hvt_err *err);
/* Read a binary PPM (P6, maxval 255), as QEMU's screendump writes it. */
int hvt_image_read_ppm(const char *path, struct hvt_image **out, struct hvt_err *err);

/* Whether two images have the same size and pixels. */
int hvt_image_equal(const struct hvt_image *a, const struct hvt_image *b);
/* Fill a rectangle (clipped to the image) with a colour (0xRRGGBB). */
void hvt_image_fill(struct hvt_image *img, int x, int y, int w, int h, uint32_t rgb);
/* Draw a rectangle's outline, thickness t, clipped to the image. */
void hvt_image_frame(struct hvt_image *img, int x, int y, int w, int h, int t, uint32_t rgb);

#endif
