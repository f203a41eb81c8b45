// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvtest needle: the needle editor's two halves on the command line: cut
 * a needle out of a screenshot, and match a needle against a screenshot
 * (score, candidate place, difference image).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "screen.h"

static const char needle_usage[] =
	"usage: hvtest needle new SCREENSHOT.png --tag TAG --area X,Y,W,H [OPTIONS]\n"
	"       hvtest needle match NEEDLE.json SCREENSHOT.png [--diff DIR]\n\n"
	"new: write NAME.json and NAME.png (a copy of the screenshot) in openQA's\n"
	"needle format into --dir. Options:\n"
	"  --tag TAG          a tag (repeatable, at least one)\n"
	"  --area X,Y,W,H     a match area (repeatable, at least one)\n"
	"  --exclude X,Y,W,H  an area to ignore (repeatable)\n"
	"  --match PERCENT    match level of the areas (default: 96)\n"
	"  --margin PX        how far the areas may move (default: 50)\n"
	"  --click X,Y        click point of the first area, relative to it\n"
	"  --name NAME        file name without extension (default: the first tag)\n"
	"  --dir DIR          where to write (default: .)\n\n"
	"match: search NEEDLE on SCREENSHOT and print, per match area, where the\n"
	"best candidate lies and its similarity; exit 1 when the needle does not\n"
	"match. --diff DIR writes each area's candidate and difference images.\n";

static int parse_rect(const char *s, int *v, int n)
{
	char *end;

	for (int i = 0; i < n; i++) {
		long x = strtol(s, &end, 10);

		if (end == s || x < 0 || x > HVT_IMAGE_MAX_DIM || (i < n - 1 && *end != ',') ||
		    (i == n - 1 && *end))
			return -EINVAL;
		v[i] = (int)x;
		s = end + 1;
	}
	return 0;
}

static void add_area(struct hvt_needle *n, enum hvt_needle_area_type t, const int *r)
{
	struct hvt_needle_area *a;

	n->areas = hvt_realloc(n->areas, (n->nareas + 1) * sizeof(*n->areas));
	a = &n->areas[n->nareas++];
	memset(a, 0, sizeof(*a));
	a->type = t;
	a->x = r[0];
	a->y = r[1];
	a->w = r[2];
	a->h = r[3];
	a->match = HVT_NEEDLE_MATCH_DEFAULT;
	a->margin = HVT_NEEDLE_MARGIN_DEFAULT;
}

static int needle_new(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "area", required_argument, NULL, 'a' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "match", required_argument, NULL, 'm' },
		{ "margin", required_argument, NULL, 'M' },
		{ "click", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_needle *n = hvt_zalloc(sizeof(*n));
	struct hvt_err err = HVT_ERR_INIT;
	const char *dir = ".", *name = NULL;
	double match = HVT_NEEDLE_MATCH_DEFAULT;
	int margin = HVT_NEEDLE_MARGIN_DEFAULT, click[2] = { -1, -1 }, r[4], opt, rc = 0;
	struct hvt_image *img = NULL;
	char *end, *json;

	optind = 1;
	while (!rc && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			n->tags = hvt_realloc(n->tags, (n->ntags + 1) * sizeof(*n->tags));
			n->tags[n->ntags++] = hvt_strdup(optarg);
			break;
		case 'a':
		case 'x':
			if (parse_rect(optarg, r, 4) || !r[2] || !r[3])
				rc = cli_usage_error("needle", "%s '%s' is not X,Y,W,H",
						     opt == 'a' ? "--area" : "--exclude", optarg);
			else
				add_area(n, opt == 'a' ? HVT_AREA_MATCH : HVT_AREA_EXCLUDE, r);
			break;
		case 'm':
			match = strtod(optarg, &end);
			if (*end || !(match > 0 && match <= 100))
				rc = cli_usage_error("needle", "--match '%s' is not in (0, 100]", optarg);
			break;
		case 'M':
			if (parse_rect(optarg, &margin, 1))
				rc = cli_usage_error("needle", "--margin '%s' is not a number", optarg);
			break;
		case 'c':
			if (parse_rect(optarg, click, 2))
				rc = cli_usage_error("needle", "--click '%s' is not X,Y", optarg);
			break;
		case 'n': name = optarg; break;
		case 'd': dir = optarg; break;
		default:
			rc = cli_usage_error("needle", "bad option");
		}
	}
	if (!rc && (argc - optind != 1 || !n->ntags))
		rc = cli_usage_error("needle", "expected SCREENSHOT.png and at least one --tag");
	for (size_t i = 0; !rc && i < n->nareas; i++) {
		if (n->areas[i].type != HVT_AREA_MATCH)
			continue;
		n->areas[i].match = match;
		n->areas[i].margin = margin;
		if (click[0] >= 0 && !n->areas[i].click) {
			if (click[0] >= n->areas[i].w || click[1] >= n->areas[i].h) {
				rc = cli_usage_error("needle", "--click is outside the first area");
				break;
			}
			n->areas[i].click = true;
			n->areas[i].click_x = click[0];
			n->areas[i].click_y = click[1];
			click[0] = -1;
		}
	}
	if (!rc) {
		/* the same checks as reading it back: one match area at least, in the image */
		n->name = hvt_strdup(name ? name : n->tags[0]);
		json = hvt_needle_to_json(n);
		hvt_needle_free(n);
		rc = hvt_needle_parse(json, strlen(json), name ? name : "needle", &n, &err);
		free(json);
		if (!rc) {
			n->name = (free(n->name), hvt_strdup(name ? name : n->tags[0]));
			rc = hvt_image_read_png(argv[optind], &img, &err);
		}
		if (!rc)
			rc = hvt_needle_set_image(n, img, &err);
		if (!rc)
			rc = hvt_needle_save(n, dir, &err);
		if (rc)
			rc = cli_fail(&err, "needle new");
		else
			printf("%s/%s.json\n", dir, n->name);
	}
	hvt_needle_free(n);
	return rc;
}

static int needle_match(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "diff", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_needle *n = NULL;
	struct hvt_image *scr = NULL;
	struct hvt_match_screen *ms;
	const char *diff = NULL;
	struct hvt_match m;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt != 'd')
			return cli_usage_error("needle", "bad option");
		diff = optarg;
	}
	if (argc - optind != 2)
		return cli_usage_error("needle", "expected NEEDLE.json SCREENSHOT.png");
	if (hvt_needle_load(argv[optind], &n, &err) ||
	    hvt_image_read_png(argv[optind + 1], &scr, &err)) {
		hvt_needle_free(n);
		return cli_fail(&err, "needle match");
	}
	ms = hvt_match_screen_new(scr);
	rc = hvt_match_needle(ms, n, &m, &err);
	hvt_match_screen_free(ms);
	if (rc) {
		rc = cli_fail(&err, "needle match");
		goto out;
	}
	printf("%s %s similarity %.4f\n", m.ok ? "match" : "miss", n->name, m.similarity);
	for (int i = 0; i < m.nareas; i++) {
		const struct hvt_needle_area *a = &n->areas[m.areas[i].area];

		printf("  area %d: %s at %d,%d (recorded %d,%d) similarity %.4f, level %g\n",
		       m.areas[i].area, m.areas[i].ok ? "ok" : "FAIL", m.areas[i].x, m.areas[i].y,
		       a->x, a->y, m.areas[i].similarity, a->match);
		if (diff && !hvt_mkdir_p(diff, 0755, &err)) {
			struct hvt_image *d = hvt_match_diff_image(scr, n, &m.areas[i]);
			struct hvt_image *c = hvt_image_crop(scr, m.areas[i].x, m.areas[i].y, a->w,
							     a->h, NULL);
			char *p = hvt_asprintf("%s/area%d-diff.png", diff, m.areas[i].area);

			if (d && hvt_image_write_png(d, p, &err))
				rc = cli_fail(&err, "needle match");
			free(p);
			p = hvt_asprintf("%s/area%d-candidate.png", diff, m.areas[i].area);
			if (c && hvt_image_write_png(c, p, &err))
				rc = cli_fail(&err, "needle match");
			free(p);
			hvt_image_free(c);
			hvt_image_free(d);
		}
	}
	if (m.skipped_ocr)
		printf("  %d ocr area(s) not read: hvtest has no OCR engine\n", m.skipped_ocr);
	if (!rc && !m.ok)
		rc = CLI_EXIT_FAIL;
out:
	hvt_image_free(scr);
	hvt_needle_free(n);
	return rc;
}

int cmd_needle(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(needle_usage, stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "new"))
		return needle_new(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "match"))
		return needle_match(argc - 1, argv + 1);
	return cli_usage_error("needle", "expected 'new' or 'match'");
}
