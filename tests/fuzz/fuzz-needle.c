// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the needle readers: the first byte chooses the
 * JSON reader (then the needle gets an image of a size the next bytes
 * give, so that the area checks run) or the PNG decoder (then a decoded
 * image is matched against a fixed needle, which must not crash however
 * small or large it is).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "needle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_needle *n;
	struct hvt_image *img;

	if (size < 3)
		return 0;
	if (data[0] & 1) {
		int w = 1 + data[1] % 64, h = 1 + data[2] % 64;

		if (hvt_needle_parse((const char *)data + 3, size - 3, "fuzz.json", &n, &err))
			return 0;
		img = hvt_image_new(w, h, NULL);
		if (!hvt_needle_set_image(n, img, &err)) {
			struct hvt_match_screen *s = hvt_match_screen_new(n->image);
			struct hvt_match m;
			char *json = hvt_needle_to_json(n);

			(void)hvt_match_needle(s, n, &m, &err);
			hvt_match_screen_free(s);
			free(json);
		}
		hvt_needle_free(n);
		return 0;
	}
	if (!hvt_image_decode_png(data + 1, size - 1, "fuzz.png", &img, &err)) {
		static const char json[] = "{'tags': ['t'], 'area': [{'xpos': 0, 'ypos': 0, "
					   "'width': 4, 'height': 3, 'margin': 8}]}";
		struct hvt_image *needle_img = hvt_image_new(8, 8, NULL);
		struct hvt_match_screen *s = hvt_match_screen_new(img);
		struct hvt_match m;

		if (!hvt_needle_parse(json, sizeof(json) - 1, "fixed", &n, &err) &&
		    !hvt_needle_set_image(n, needle_img, &err)) {
			(void)hvt_match_needle(s, n, &m, &err);
			hvt_needle_free(n);
		}
		hvt_match_screen_free(s);
		hvt_image_free(img);
	}
	return 0;
}
