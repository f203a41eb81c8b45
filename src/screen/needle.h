/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Needles in openQA's format: NAME.json (tags, areas of type match,
 * exclude or ocr with xpos/ypos/width/height, a match level in percent,
 * a search margin in pixels, an optional click_point) next to NAME.png,
 * the screen the areas were cut from. A needle directory holds many.
 */
#ifndef HVT_NEEDLE_H
#define HVT_NEEDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "util.h"

/* openQA's defaults for an area without "match" or "margin". */
#define HVT_NEEDLE_MATCH_DEFAULT 96.0
#define HVT_NEEDLE_MARGIN_DEFAULT 50

enum hvt_needle_area_type {
	HVT_AREA_MATCH,
	HVT_AREA_EXCLUDE,
	HVT_AREA_OCR,
};

struct hvt_needle_area {
	enum hvt_needle_area_type type;
	int x, y, w, h;
	double match;	/* required similarity, percent (0..100] */
	int margin;	/* pixels around the area the search may move */
	bool click;	/* click_point given: (click_x, click_y) relative to the area */
	int click_x, click_y;
};

struct hvt_needle {
	char *name;	/* the file name without ".json" */
	char *json_path;
	char **tags;
	size_t ntags;
	struct hvt_needle_area *areas;
	size_t nareas;
	struct hvt_image *image; /* NULL until loaded (hvt_needle_load()) */
};

/*
 * Parse a needle's JSON text. Missing or mistyped fields (tags, area, an
 * area's xpos/ypos/width/height), an unknown type, a match level outside
 * (0, 100], a negative margin, and a needle without a match area are
 * -EINVAL with err naming `name` and the field. The image stays NULL.
 */
int hvt_needle_parse(const char *text, size_t len, const char *name, struct hvt_needle **out,
		     struct hvt_err *err);
/*
 * Attach img (ownership passes to the needle, also on error) after
 * checking that every area lies inside it; an area outside is -EINVAL
 * naming the needle, the area and the image's size.
 */
int hvt_needle_set_image(struct hvt_needle *n, struct hvt_image *img, struct hvt_err *err);
/* Load DIR/NAME.json and DIR/NAME.png (json_path ends in ".json"). */
int hvt_needle_load(const char *json_path, struct hvt_needle **out, struct hvt_err *err);
void hvt_needle_free(struct hvt_needle *n);
bool hvt_needle_has_tag(const struct hvt_needle *n, const char *tag);
/*
 * Write n as DIR/NAME.json and its image as DIR/NAME.png (n->name is the
 * NAME), in the layout openQA's needle editor writes.
 */
int hvt_needle_save(const struct hvt_needle *n, const char *dir, struct hvt_err *err);
/* The needle's JSON text (caller frees). */
char *hvt_needle_to_json(const struct hvt_needle *n);

/* The needles of one or more directories. */
struct hvt_needles {
	struct hvt_needle **v;
	size_t n;
};

/*
 * Load every *.json of dir (not recursive), sorted by name, adding to
 * set. The first bad needle fails the whole load, naming its file.
 */
int hvt_needles_load_dir(struct hvt_needles *set, const char *dir, struct hvt_err *err);
/*
 * hvt_needles_load_dir() that reads the images of the needles with tag
 * only, none when tag is NULL (decoding PNGs is most of a load): the
 * others keep a NULL image and must not be matched. For a process that
 * looks for one tag.
 */
int hvt_needles_load_dir_tag(struct hvt_needles *set, const char *dir, const char *tag,
			     struct hvt_err *err);
void hvt_needles_release(struct hvt_needles *set);
/*
 * The needles with tag, in load order, into *out (caller frees the array,
 * not the needles). A tag no needle has is -ENOENT with err naming the
 * tag and the directories' needle count.
 */
int hvt_needles_with_tag(const struct hvt_needles *set, const char *tag,
			 const struct hvt_needle ***out, size_t *n, struct hvt_err *err);

#endif
