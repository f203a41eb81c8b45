// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Needles: openQA's JSON + PNG pairs read, checked against their image,
 * written back, and collected by tag.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "needle.h"

static const char *const area_type_names[] = {
	[HVT_AREA_MATCH] = "match",
	[HVT_AREA_EXCLUDE] = "exclude",
	[HVT_AREA_OCR] = "ocr",
};

void hvt_needle_free(struct hvt_needle *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->ntags; i++)
		free(n->tags[i]);
	free(n->tags);
	free(n->areas);
	hvt_image_free(n->image);
	free(n->name);
	free(n->json_path);
	free(n);
}

/* A JSON number that is a whole number in [lo, hi]. */
static int get_int(struct json_object *o, const char *key, bool required, int dflt, int lo,
		   int hi, int *out)
{
	struct json_object *v;
	double d;

	if (!json_object_object_get_ex(o, key, &v)) {
		*out = dflt;
		return required ? -ENOENT : 0;
	}
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -EINVAL;
	d = json_object_get_double(v);
	/* range first: casting a double out of long long's range is undefined */
	if (!(d >= lo && d <= hi) || d != (double)(long long)d)
		return -ERANGE;
	*out = (int)d;
	return 0;
}

static int parse_area(struct json_object *a, size_t i, const char *name,
		      struct hvt_needle_area *area, struct hvt_err *err)
{
	static const char *const coord[] = { "xpos", "ypos", "width", "height" };
	int *dst[] = { &area->x, &area->y, &area->w, &area->h };
	struct json_object *v, *cp;
	const char *type;
	int ret;

	if (!json_object_is_type(a, json_type_object))
		return hvt_err_set(err, -EINVAL, "%s: area %zu is not an object", name, i);
	for (int k = 0; k < 4; k++) {
		ret = get_int(a, coord[k], true, 0, k < 2 ? 0 : 1, HVT_IMAGE_MAX_DIM, dst[k]);
		if (ret == -ENOENT)
			return hvt_err_set(err, -EINVAL, "%s: area %zu has no \"%s\"", name, i,
					   coord[k]);
		if (ret)
			return hvt_err_set(err, -EINVAL,
					   "%s: area %zu: \"%s\" is not a whole number in %d..%d",
					   name, i, coord[k], k < 2 ? 0 : 1, HVT_IMAGE_MAX_DIM);
	}
	area->type = HVT_AREA_MATCH;
	if (json_object_object_get_ex(a, "type", &v)) {
		type = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		for (area->type = 0; area->type <= HVT_AREA_OCR; area->type++)
			if (!strcmp(type, area_type_names[area->type]))
				break;
		if (area->type > HVT_AREA_OCR)
			return hvt_err_set(err, -EINVAL,
					   "%s: area %zu: type \"%s\" is not match, exclude or ocr",
					   name, i, type);
	}
	area->match = HVT_NEEDLE_MATCH_DEFAULT;
	if (json_object_object_get_ex(a, "match", &v)) {
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			return hvt_err_set(err, -EINVAL, "%s: area %zu: \"match\" is not a number",
					   name, i);
		area->match = json_object_get_double(v);
		if (!(area->match > 0 && area->match <= 100))
			return hvt_err_set(err, -EINVAL,
					   "%s: area %zu: match level %g is outside (0, 100]", name,
					   i, area->match);
	}
	if (get_int(a, "margin", false, HVT_NEEDLE_MARGIN_DEFAULT, 0, HVT_IMAGE_MAX_DIM,
		    &area->margin))
		return hvt_err_set(err, -EINVAL,
				   "%s: area %zu: \"margin\" is not a whole number in 0..%d", name,
				   i, HVT_IMAGE_MAX_DIM);
	if (json_object_object_get_ex(a, "click_point", &cp)) {
		area->click = true;
		if (json_object_is_type(cp, json_type_string) &&
		    !strcmp(json_object_get_string(cp), "center")) {
			area->click_x = area->w / 2;
			area->click_y = area->h / 2;
		} else if (!json_object_is_type(cp, json_type_object) ||
			   get_int(cp, "xpos", true, 0, 0, area->w - 1, &area->click_x) ||
			   get_int(cp, "ypos", true, 0, 0, area->h - 1, &area->click_y)) {
			return hvt_err_set(err, -EINVAL,
					   "%s: area %zu: click_point is not \"center\" nor "
					   "{xpos, ypos} inside the area",
					   name, i);
		}
	}
	return 0;
}

int hvt_needle_parse(const char *text, size_t len, const char *name, struct hvt_needle **out,
		     struct hvt_err *err)
{
	struct json_object *root, *tags, *areas;
	struct hvt_needle *n;
	size_t nmatch = 0;
	char *copy;
	int ret = -EINVAL;

	*out = NULL;
	copy = hvt_strndup(text, len);
	if (strlen(copy) != len) {
		free(copy);
		return hvt_err_set(err, -EINVAL, "%s: NUL byte in the JSON text", name);
	}
	root = hvt_json_parse(copy, err);
	free(copy);
	if (!root) {
		hvt_err_prefix(err, "%s", name);
		return -EINVAL;
	}
	n = hvt_zalloc(sizeof(*n));
	n->name = hvt_strdup(name);
	if (!json_object_is_type(root, json_type_object)) {
		hvt_err_set(err, ret, "%s: not a JSON object", name);
		goto err_free;
	}
	if (!json_object_object_get_ex(root, "tags", &tags) ||
	    !json_object_is_type(tags, json_type_array) || !json_object_array_length(tags)) {
		hvt_err_set(err, ret, "%s: \"tags\" is missing or not a non-empty array", name);
		goto err_free;
	}
	n->ntags = json_object_array_length(tags);
	n->tags = hvt_zalloc(n->ntags * sizeof(*n->tags));
	for (size_t i = 0; i < n->ntags; i++) {
		struct json_object *t = json_object_array_get_idx(tags, i);

		if (!json_object_is_type(t, json_type_string) || !*json_object_get_string(t)) {
			hvt_err_set(err, ret, "%s: tag %zu is not a non-empty string", name, i);
			goto err_free;
		}
		n->tags[i] = hvt_strdup(json_object_get_string(t));
	}
	if (!json_object_object_get_ex(root, "area", &areas) ||
	    !json_object_is_type(areas, json_type_array)) {
		hvt_err_set(err, ret, "%s: \"area\" is missing or not an array", name);
		goto err_free;
	}
	n->nareas = json_object_array_length(areas);
	n->areas = hvt_zalloc((n->nareas ? n->nareas : 1) * sizeof(*n->areas));
	for (size_t i = 0; i < n->nareas; i++) {
		if (parse_area(json_object_array_get_idx(areas, i), i, name, &n->areas[i], err))
			goto err_free;
		nmatch += n->areas[i].type == HVT_AREA_MATCH;
	}
	if (!nmatch) {
		hvt_err_set(err, ret, "%s: no area of type match", name);
		goto err_free;
	}
	json_object_put(root);
	*out = n;
	return 0;
err_free:
	json_object_put(root);
	hvt_needle_free(n);
	return ret;
}

int hvt_needle_set_image(struct hvt_needle *n, struct hvt_image *img, struct hvt_err *err)
{
	for (size_t i = 0; i < n->nareas; i++) {
		const struct hvt_needle_area *a = &n->areas[i];

		if (a->x > img->width - a->w || a->y > img->height - a->h) {
			hvt_err_set(err, -EINVAL,
				    "%s: area %zu (%d,%d %dx%d) is outside its %dx%d image", n->name,
				    i, a->x, a->y, a->w, a->h, img->width, img->height);
			hvt_image_free(img);
			return -EINVAL;
		}
	}
	hvt_image_free(n->image);
	n->image = img;
	return 0;
}

/* hvt_needle_load(), the image read for every needle (all) or those with tag */
static int needle_load(const char *json_path, bool all, const char *tag, struct hvt_needle **out,
		       struct hvt_err *err)
{
	size_t plen = strlen(json_path), len;
	struct hvt_image *img;
	struct hvt_needle *n;
	char *text, *png;
	int ret;

	*out = NULL;
	if (plen < 5 || strcmp(json_path + plen - 5, ".json"))
		return hvt_err_set(err, -EINVAL, "%s: a needle's file name ends in .json",
				   json_path);
	ret = hvt_file_read(json_path, &text, &len, err);
	if (ret)
		return ret;
	ret = hvt_needle_parse(text, len, json_path, &n, err);
	free(text);
	if (ret)
		return ret;
	if (all || (tag && hvt_needle_has_tag(n, tag))) {
		png = hvt_asprintf("%.*s.png", (int)(plen - 5), json_path);
		ret = hvt_image_read_png(png, &img, err);
		free(png);
		if (!ret)
			ret = hvt_needle_set_image(n, img, err);
	}
	if (ret) {
		hvt_needle_free(n);
		return ret;
	}
	/* the name is the file's base name without .json */
	free(n->name);
	{
		const char *base = strrchr(json_path, '/');

		base = base ? base + 1 : json_path;
		n->name = hvt_strndup(base, strlen(base) - 5);
	}
	n->json_path = hvt_strdup(json_path);
	*out = n;
	return 0;
}

int hvt_needle_load(const char *json_path, struct hvt_needle **out, struct hvt_err *err)
{
	return needle_load(json_path, true, NULL, out, err);
}

bool hvt_needle_has_tag(const struct hvt_needle *n, const char *tag)
{
	for (size_t i = 0; i < n->ntags; i++)
		if (!strcmp(n->tags[i], tag))
			return true;
	return false;
}

char *hvt_needle_to_json(const struct hvt_needle *n)
{
	struct json_object *root = json_object_new_object();
	struct json_object *tags = json_object_new_array();
	struct json_object *areas = json_object_new_array();
	char *s;

	for (size_t i = 0; i < n->nareas; i++) {
		const struct hvt_needle_area *a = &n->areas[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "xpos", json_object_new_int(a->x));
		json_object_object_add(o, "ypos", json_object_new_int(a->y));
		json_object_object_add(o, "width", json_object_new_int(a->w));
		json_object_object_add(o, "height", json_object_new_int(a->h));
		json_object_object_add(o, "type", json_object_new_string(area_type_names[a->type]));
		if (a->type == HVT_AREA_MATCH) {
			if (a->match != HVT_NEEDLE_MATCH_DEFAULT)
				json_object_object_add(o, "match",
						       json_object_new_double(a->match));
			if (a->margin != HVT_NEEDLE_MARGIN_DEFAULT)
				json_object_object_add(o, "margin",
						       json_object_new_int(a->margin));
		}
		if (a->click) {
			struct json_object *cp = json_object_new_object();

			json_object_object_add(cp, "xpos", json_object_new_int(a->click_x));
			json_object_object_add(cp, "ypos", json_object_new_int(a->click_y));
			json_object_object_add(o, "click_point", cp);
		}
		json_object_array_add(areas, o);
	}
	for (size_t i = 0; i < n->ntags; i++)
		json_object_array_add(tags, json_object_new_string(n->tags[i]));
	json_object_object_add(root, "area", areas);
	json_object_object_add(root, "properties", json_object_new_array());
	json_object_object_add(root, "tags", tags);
	s = hvt_asprintf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return s;
}

int hvt_needle_save(const struct hvt_needle *n, const char *dir, struct hvt_err *err)
{
	char *json = hvt_needle_to_json(n);
	char *jpath = hvt_asprintf("%s/%s.json", dir, n->name);
	char *ppath = hvt_asprintf("%s/%s.png", dir, n->name);
	int ret = -EINVAL;

	if (!n->image)
		hvt_err_set(err, ret, "needle %s has no image", n->name);
	else if (!(ret = hvt_image_write_png(n->image, ppath, err)))
		ret = hvt_file_write(jpath, json, strlen(json), err);
	free(json);
	free(jpath);
	free(ppath);
	return ret;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int needles_load_dir(struct hvt_needles *set, const char *dir, bool all, const char *tag,
			    struct hvt_err *err)
{
	struct hvt_strv names = { 0 };
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return hvt_err_set(err, -errno, "needle directory %s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 5 && !strcmp(de->d_name + l - 5, ".json"))
			hvt_strv_push(&names, de->d_name);
	}
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), by_name);
	for (size_t i = 0; i < names.n && !ret; i++) {
		char *path = hvt_asprintf("%s/%s", dir, names.v[i]);
		struct hvt_needle *n;

		ret = needle_load(path, all, tag, &n, err);
		free(path);
		if (ret)
			break;
		set->v = hvt_realloc(set->v, (set->n + 1) * sizeof(*set->v));
		set->v[set->n++] = n;
	}
	hvt_strv_release(&names);
	return ret;
}

int hvt_needles_load_dir(struct hvt_needles *set, const char *dir, struct hvt_err *err)
{
	return needles_load_dir(set, dir, true, NULL, err);
}

int hvt_needles_load_dir_tag(struct hvt_needles *set, const char *dir, const char *tag,
			     struct hvt_err *err)
{
	return needles_load_dir(set, dir, false, tag, err);
}

void hvt_needles_release(struct hvt_needles *set)
{
	for (size_t i = 0; i < set->n; i++)
		hvt_needle_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

int hvt_needles_with_tag(const struct hvt_needles *set, const char *tag,
			 const struct hvt_needle ***out, size_t *n, struct hvt_err *err)
{
	const struct hvt_needle **v = NULL;
	size_t k = 0;

	for (size_t i = 0; i < set->n; i++) {
		if (!hvt_needle_has_tag(set->v[i], tag))
			continue;
		v = hvt_realloc(v, (k + 1) * sizeof(*v));
		v[k++] = set->v[i];
	}
	*out = v;
	*n = k;
	if (!k)
		return hvt_err_set(err, -ENOENT, "no needle has the tag \"%s\" (%zu needles loaded)",
				   tag, set->n);
	return 0;
}
