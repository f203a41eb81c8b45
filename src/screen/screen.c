// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Screen operations over a picture source (VNC, or screendump polling as
 * the fallback) and the VNC client's input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "keys.h"
#include "screen.h"
#include "video.h"
#include "vnc.h"

#define CONNECT_TIMEOUT_MS 30000
/* screendump has no change notification: it is taken this often */
#define SCREENDUMP_INTERVAL_MS 200
#define KEY_HOLD_MS 20
/* new VNC connections after broken ones, in a screen's life */
#define MAX_RECONNECTS 20
#define RECONNECT_PAUSE_MS 200
#define COLOR_OK 0x00c000
#define COLOR_FAIL 0xe00000

struct hvt_screen {
	struct hvt_vnc *vnc;
	char *vnc_path;
	int connect_timeout_ms;
	int reconnects;
	struct hvt_vm *vm;
	const struct hvt_needles *needles;
	char *shots;
	int nshots;
	void (*on_file)(void *ctx, const char *name, const char *path);
	void *ctx;
	struct hvt_image *cur;	/* the latest picture */
	uint64_t serial;	/* its number */
	double cur_at;		/* when it arrived */
	struct hvt_video *video;
	int buttons;
	double button_at;	/* when the buttons last changed */
	double latency;	/* of the last check */
	double match_s;	/* spent matching, all checks */
	uint64_t matches;	/* pictures matched against needles */
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int screendump(struct hvt_screen *s, struct hvt_image **out, struct hvt_err *err)
{
	char *path = hvt_vm_path(s->vm, "screendump.ppm");
	int ret = hvt_vm_qmp(s->vm, NULL, err, "screendump", "{'filename': %s}", path);

	if (!ret)
		ret = hvt_image_read_ppm(path, out, err);
	remove(path);
	free(path);
	return ret;
}

/* Take a new picture as current; 1 if it differs from the previous one. */
static int set_current(struct hvt_screen *s, struct hvt_image *img, struct hvt_err *err)
{
	bool changed = !s->cur || !hvt_image_equal(s->cur, img);

	if (!changed) {
		hvt_image_free(img);
		return 0;
	}
	hvt_image_free(s->cur);
	s->cur = img;
	s->serial++;
	s->cur_at = s->vnc ? hvt_vnc_changed_at(s->vnc) : hvt_now();
	if (s->video && hvt_video_frame(s->video, img, s->cur_at, err))
		return -EIO;
	return 1;
}

/*
 * Bring the current picture up to date, waiting up to timeout_ms for a
 * change. 1 changed, 0 not, negative on error.
 */
/*
 * After the VNC connection broke (ret): libvncclient drops it on some mode
 * switches (an update of the new size before the resize), and a new
 * connection starts at the new size; a switch through several modes may
 * break the new one too, so a few tries, a moment apart. A machine that
 * has ended is said so at once.
 */
static int reconnect(struct hvt_screen *s, int ret, struct hvt_err *err)
{
	struct hvt_err gone = HVT_ERR_INIT;

	while (s->reconnects < MAX_RECONNECTS) {
		if (s->vm && hvt_vm_check_alive(s->vm, &gone))
			return hvt_err_set(err, -ECHILD, "the display is gone: %s", gone.msg);
		s->reconnects++;
		hvt_vnc_free(s->vnc);
		s->vnc = NULL;
		ret = hvt_vnc_connect(s->vnc_path, s->connect_timeout_ms, &s->vnc, err);
		if (!ret)
			return set_current(s, hvt_vnc_snapshot(s->vnc), err);
		sleep_ms(RECONNECT_PAUSE_MS);
	}
	return ret;
}

static int refresh(struct hvt_screen *s, int timeout_ms, struct hvt_err *err)
{
	struct hvt_image *img;
	int ret;

	if (s->vnc) {
		ret = hvt_vnc_wait_update(s->vnc, timeout_ms, err);
		if (ret < 0)
			return reconnect(s, ret, err);
		if (!ret && s->cur)
			return 0;
		return set_current(s, hvt_vnc_snapshot(s->vnc), err);
	}
	for (int64_t deadline = hvt_deadline_after(timeout_ms);;) {
		ret = screendump(s, &img, err);
		if (ret)
			return ret;
		ret = set_current(s, img, err);
		if (ret || hvt_ms_left(deadline) <= 0)
			return ret;
		sleep_ms(hvt_ms_left(deadline) < SCREENDUMP_INTERVAL_MS ? hvt_ms_left(deadline)
									: SCREENDUMP_INTERVAL_MS);
	}
}

/*
 * The highest NNN of the shots/NNN-*.png already there: a screen opened
 * again on the same directory (one `hvtest screen` per step of a script)
 * numbers on from it.
 */
static int last_shot(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int last = 0;

	while (d && (e = readdir(d))) {
		int n, len = 0;

		if (sscanf(e->d_name, "%d-%n", &n, &len) == 1 && len == 4 && n > last)
			last = n;
	}
	if (d)
		closedir(d);
	return last;
}

int hvt_screen_open(const struct hvt_screen_opts *opts, struct hvt_screen **out,
		    struct hvt_err *err)
{
	struct hvt_screen *s;
	int ret;

	*out = NULL;
	if (!opts->vnc && !opts->vm)
		return hvt_err_set(err, -EINVAL, "no display: neither a VNC socket nor a machine");
	s = hvt_zalloc(sizeof(*s));
	s->vm = opts->vm;
	s->needles = opts->needles;
	s->on_file = opts->on_file;
	s->ctx = opts->ctx;
	if (opts->shots) {
		ret = hvt_mkdir_p(opts->shots, 0755, err);
		if (ret)
			goto err_free;
		s->shots = hvt_strdup(opts->shots);
		s->nshots = last_shot(s->shots);
	}
	if (opts->video_frames) {
		s->video = hvt_video_new(opts->video_frames, err);
		if (!s->video) {
			ret = err ? err->code : -EIO;
			goto err_free;
		}
	}
	if (opts->vnc) {
		s->vnc_path = hvt_strdup(opts->vnc);
		s->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms
								 : CONNECT_TIMEOUT_MS;
		ret = hvt_vnc_connect(opts->vnc, s->connect_timeout_ms, &s->vnc, err);
		/* a server that is there but in a mode switch: the same tries as later */
		if (ret && ret != -ENOENT && (ret = reconnect(s, ret, err)) > 0)
			ret = 0;
		if (ret)
			goto err_free;
	}
	ret = refresh(s, 0, err);
	if (ret < 0)
		goto err_free;
	*out = s;
	return 0;
err_free:
	hvt_screen_free(s);
	return ret;
}

void hvt_screen_free(struct hvt_screen *s)
{
	if (!s)
		return;
	hvt_vnc_free(s->vnc);
	hvt_video_free(s->video);
	hvt_image_free(s->cur);
	free(s->vnc_path);
	free(s->shots);
	free(s);
}

const char *hvt_screen_source(const struct hvt_screen *s)
{
	return s->vnc ? "vnc" : "screendump";
}

int hvt_screen_grab(struct hvt_screen *s, struct hvt_image **out, struct hvt_err *err)
{
	int ret = refresh(s, 0, err);

	*out = ret < 0 ? NULL : hvt_image_copy(s->cur);
	return ret < 0 ? ret : 0;
}

/* shots/NNN-name.png, a name made safe for a file name */
static int write_shot(struct hvt_screen *s, const struct hvt_image *img, const char *name,
		      struct hvt_err *err)
{
	char *safe = hvt_strdup(name), *file, *path;
	int ret;

	if (!s->shots)
		return 0;
	for (char *p = safe; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '_';
	file = hvt_asprintf("%03d-%s.png", ++s->nshots, safe);
	path = hvt_asprintf("%s/%s", s->shots, file);
	ret = hvt_image_write_png(img, path, err);
	if (!ret && s->on_file)
		s->on_file(s->ctx, file, path);
	free(path);
	free(file);
	free(safe);
	return ret;
}

int hvt_screen_save(struct hvt_screen *s, const char *name, struct hvt_err *err)
{
	int ret = refresh(s, 0, err);

	/* a display that is gone (the machine ended): the last picture it showed */
	if (ret < 0 && !s->cur)
		return ret;
	return write_shot(s, s->cur, name, err);
}

int hvt_screen_check(struct hvt_screen *s, const char *tag, int timeout_ms, struct hvt_match *m,
		     struct hvt_err *err)
{
	const struct hvt_needle **v = NULL;
	int64_t deadline = hvt_deadline_after(timeout_ms);
	double t0 = hvt_now();
	struct hvt_match local;
	size_t n;
	int ret;

	if (!m)
		m = &local;
	memset(m, 0, sizeof(*m));
	if (!s->needles)
		return hvt_err_set(err, -ENOENT, "no needles loaded: cannot look for \"%s\"", tag);
	ret = hvt_needles_with_tag(s->needles, tag, &v, &n, err);
	if (ret)
		goto out;
	ret = refresh(s, 0, err);
	while (ret >= 0) {
		double m0 = hvt_now();
		struct hvt_match_screen *ms = hvt_match_screen_new(s->cur);

		ret = hvt_match_best(ms, v, n, m, err);
		hvt_match_screen_free(ms);
		s->match_s += hvt_now() - m0;
		s->matches++;
		if (ret != -ENOENT)
			break;
		if (hvt_ms_left(deadline) <= 0) {
			ret = hvt_err_set(err, -ETIMEDOUT,
					  "no needle with tag \"%s\" matched within %d ms; closest: "
					  "%s at %.3f",
					  tag, timeout_ms, m->needle->name, m->similarity);
			break;
		}
		/* the next frame that differs */
		while ((ret = refresh(s, hvt_ms_left(deadline), err)) == 0 &&
		       hvt_ms_left(deadline) > 0)
			;
	}
out:
	/* from the frame's arrival, or from the call for a frame that was there */
	if (s->cur)
		s->latency = hvt_now() - (s->cur_at > t0 ? s->cur_at : t0);
	free(v);
	return ret;
}

double hvt_screen_latency(const struct hvt_screen *s)
{
	return s->latency;
}

double hvt_screen_match_seconds(const struct hvt_screen *s, uint64_t *pictures)
{
	if (pictures)
		*pictures = s->matches;
	return s->match_s;
}

int hvt_screen_assert(struct hvt_screen *s, const char *tag, int timeout_ms, struct hvt_match *m,
		      struct hvt_err *err)
{
	struct hvt_match local;
	struct hvt_err werr = HVT_ERR_INIT;
	struct hvt_image *shot;
	char *name;
	int ret;

	if (!m)
		m = &local;
	ret = hvt_screen_check(s, tag, timeout_ms, m, err);
	if ((ret && ret != -ETIMEDOUT) || !s->shots || !s->cur)
		return ret;
	shot = hvt_image_copy(s->cur);
	for (int i = 0; i < m->nareas; i++) {
		const struct hvt_needle_area *a = &m->needle->areas[m->areas[i].area];

		hvt_image_frame(shot, m->areas[i].x, m->areas[i].y, a->w, a->h, 2,
				m->areas[i].ok ? COLOR_OK : COLOR_FAIL);
	}
	name = hvt_asprintf("assert-%s-%s", tag, ret ? "fail" : "ok");
	if (write_shot(s, shot, name, &werr) && !ret)
		hvt_err_set(err, ret = werr.code, "%s", werr.msg);
	free(name);
	hvt_image_free(shot);
	for (int i = 0; ret == -ETIMEDOUT && i < m->nareas; i++) {
		struct hvt_image *d;

		if (m->areas[i].ok)
			continue;
		d = hvt_match_diff_image(s->cur, m->needle, &m->areas[i]);
		name = hvt_asprintf("assert-%s-diff-%s-area%d", tag, m->needle->name,
				    m->areas[i].area);
		if (d)
			write_shot(s, d, name, &werr);
		free(name);
		hvt_image_free(d);
	}
	return ret;
}

int hvt_screen_wait_change(struct hvt_screen *s, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	int ret;

	do
		ret = refresh(s, hvt_ms_left(deadline), err);
	while (ret == 0 && hvt_ms_left(deadline) > 0);
	return ret;
}

/*
 * Pixels that may change while the screen counts as still: a blinking
 * text cursor (9x2 in VGA text mode) or caret, not a redrawn window.
 */
static size_t still_slack(const struct hvt_image *img)
{
	size_t n = (size_t)img->width * img->height / 2000;

	return n < 32 ? 32 : n;
}

static size_t pixels_changed(const struct hvt_image *a, const struct hvt_image *b)
{
	size_t n = 0;

	if (a->width != b->width || a->height != b->height)
		return SIZE_MAX;
	for (size_t i = 0; i < (size_t)a->width * a->height; i++)
		n += memcmp(a->rgb + i * 3, b->rgb + i * 3, 3) != 0;
	return n;
}

int hvt_screen_wait_still(struct hvt_screen *s, int still_ms, int timeout_ms,
			  struct hvt_err *err)
{
	int64_t deadline = hvt_deadline_after(timeout_ms);
	int ret = refresh(s, 0, err);

	while (ret >= 0) {
		int64_t quiet_until = hvt_now_ms() + still_ms;
		struct hvt_image *ref = hvt_image_copy(s->cur);
		bool moved = false;

		/* a change beyond the slack restarts the quiet period */
		while (!moved && hvt_now_ms() < quiet_until) {
			int left = (int)(quiet_until - hvt_now_ms());

			if (hvt_ms_left(deadline) < left) {
				ret = hvt_err_set(err, -ETIMEDOUT,
						  "the screen did not stay still for %d ms within "
						  "%d ms",
						  still_ms, timeout_ms);
				break;
			}
			ret = refresh(s, left, err);
			if (ret < 0)
				break;
			moved = ret && pixels_changed(ref, s->cur) > still_slack(ref);
		}
		hvt_image_free(ref);
		if (ret < 0)
			return ret;
		if (!moved)
			return 0;
	}
	return ret;
}

static int need_vnc(struct hvt_screen *s, const char *what, struct hvt_err *err)
{
	if (s->vnc)
		return 0;
	return hvt_err_set(err, -ENOTSUP, "%s needs the VNC display (the source is screendump)",
			   what);
}

int hvt_screen_send_key(struct hvt_screen *s, const char *combo, struct hvt_err *err)
{
	uint32_t keys[HVT_KEYS_MAX];
	size_t n;
	int ret = need_vnc(s, "send_key", err);

	if (!ret)
		ret = hvt_keys_parse(combo, keys, &n, err);
	for (size_t i = 0; !ret && i < n; i++)
		ret = hvt_vnc_key(s->vnc, keys[i], true, err);
	if (!ret)
		sleep_ms(KEY_HOLD_MS);
	for (size_t i = n; !ret && i > 0; i--)
		ret = hvt_vnc_key(s->vnc, keys[i - 1], false, err);
	return ret;
}

int hvt_screen_type(struct hvt_screen *s, const char *text, int interval_ms,
		    struct hvt_err *err)
{
	int ret = need_vnc(s, "type_string", err);

	for (const char *p = text; !ret && *p; p++) {
		uint32_t sym;
		bool shift;

		if (hvt_keys_char(*p, &sym, &shift))
			return hvt_err_set(err, -EINVAL,
					   "character 0x%02x at offset %td cannot be typed",
					   (unsigned char)*p, p - text);
		if (shift)
			ret = hvt_vnc_key(s->vnc, 0xffe1 /* Shift_L */, true, err);
		if (!ret)
			ret = hvt_vnc_key(s->vnc, sym, true, err);
		if (!ret)
			ret = hvt_vnc_key(s->vnc, sym, false, err);
		if (shift && !ret)
			ret = hvt_vnc_key(s->vnc, 0xffe1, false, err);
		/* keep the picture (and the video) current while typing */
		if (!ret)
			ret = refresh(s, interval_ms, err) < 0 ? -EIO : 0;
	}
	return ret;
}

/*
 * QEMU's USB tablet queues pointer reports and folds a motion into the
 * report before it when the buttons are the same and the guest has not
 * read that one yet. A move right after a click's release thus moves the
 * release: Calamares' buttons (Qt) saw the press on them and the release
 * at the parking place, and did nothing. A motion waits until the release
 * is RELEASE_READ_MS old, time for the guest to read it (it polls every
 * few ms; under TCG a busy guest takes longer).
 */
#define RELEASE_READ_MS 250

int hvt_screen_mouse_set(struct hvt_screen *s, int x, int y, int buttons, struct hvt_err *err)
{
	int ret = need_vnc(s, "mouse_set", err);
	double since = hvt_now() - s->button_at;

	if (ret)
		return ret;
	if (buttons == s->buttons && since < RELEASE_READ_MS / 1000.0)
		sleep_ms(RELEASE_READ_MS - (int)(since * 1000));
	ret = hvt_vnc_pointer(s->vnc, x, y, buttons, err);
	if (!ret && buttons != s->buttons) {
		s->buttons = buttons;
		s->button_at = hvt_now();
	}
	return ret;
}

int hvt_screen_click(struct hvt_screen *s, int button, struct hvt_err *err)
{
	int ret = need_vnc(s, "click", err), bit;

	if (ret)
		return ret;
	if (button < 1 || button > 3)
		return hvt_err_set(err, -EINVAL, "button %d is not 1 (left), 2 or 3", button);
	bit = 1 << (button - 1);
	ret = hvt_vnc_buttons(s->vnc, s->buttons | bit, err);
	if (ret)
		return ret;
	sleep_ms(KEY_HOLD_MS);
	ret = hvt_vnc_buttons(s->vnc, s->buttons, err);
	if (!ret)
		s->button_at = hvt_now();
	return ret;
}

int hvt_screen_click_at(struct hvt_screen *s, int x, int y, int button, struct hvt_err *err)
{
	int ret = hvt_screen_mouse_set(s, x, y, s->buttons, err);

	return ret ? ret : hvt_screen_click(s, button, err);
}

/*
 * A PS/2 mouse packet carries at most 255 counts an axis and QEMU's queue
 * holds five packets; what does not fit waits in QEMU until the next
 * pointer event. So motion goes in steps of one packet, each sent once
 * the picture shows the previous one (or shows nothing new: an edge).
 */
#define MOTION_STEP 120
#define STEP_SHOW_MS 2000

int hvt_screen_mouse_move(struct hvt_screen *s, int dx, int dy, struct hvt_err *err)
{
	int ret = need_vnc(s, "mouse_move", err);

	while (!ret && (dx || dy)) {
		int sx = dx > MOTION_STEP ? MOTION_STEP : dx < -MOTION_STEP ? -MOTION_STEP : dx;
		int sy = dy > MOTION_STEP ? MOTION_STEP : dy < -MOTION_STEP ? -MOTION_STEP : dy;

		ret = hvt_vnc_motion(s->vnc, sx, sy, s->buttons, err);
		dx -= sx;
		dy -= sy;
		if (!ret && (dx || dy))
			ret = hvt_screen_wait_change(s, STEP_SHOW_MS, err) < 0 ? -EIO : 0;
	}
	return ret;
}

/* Match n anywhere on the screen: its areas' margins widened to the screen. */
static int match_anywhere(struct hvt_screen *s, const struct hvt_needle *n, struct hvt_match *m,
			  struct hvt_err *err)
{
	struct hvt_needle wide = *n;
	struct hvt_match_screen *ms;
	int ret;

	wide.areas = hvt_malloc(n->nareas * sizeof(*n->areas));
	for (size_t i = 0; i < n->nareas; i++) {
		wide.areas[i] = n->areas[i];
		wide.areas[i].margin = HVT_IMAGE_MAX_DIM;
	}
	ms = hvt_match_screen_new(s->cur);
	ret = hvt_match_needle(ms, &wide, m, err);
	hvt_match_screen_free(ms);
	m->needle = n;
	free(wide.areas);
	return ret;
}

int hvt_screen_locate(struct hvt_screen *s, const char *tag, bool whole_screen, int *x, int *y,
		      struct hvt_err *err)
{
	const struct hvt_needle **v = NULL;
	struct hvt_match m, best = { 0 };
	size_t n;
	int ret;

	if (!s->needles)
		return hvt_err_set(err, -ENOENT, "no needles loaded: cannot look for \"%s\"", tag);
	ret = hvt_needles_with_tag(s->needles, tag, &v, &n, err);
	if (!ret)
		ret = refresh(s, 0, err) < 0 ? -EIO : 0;
	for (size_t i = 0; !ret && i < n; i++) {
		if (whole_screen) {
			ret = match_anywhere(s, v[i], &m, err);
		} else {
			struct hvt_match_screen *ms = hvt_match_screen_new(s->cur);

			ret = hvt_match_needle(ms, v[i], &m, err);
			hvt_match_screen_free(ms);
		}
		if (!ret && (!best.needle || m.similarity > best.similarity))
			best = m;
	}
	free(v);
	if (ret)
		return ret;
	if (!best.ok)
		return hvt_err_set(err, -ENOENT, "\"%s\" is not on the screen (best %s at %.3f)",
				   tag, best.needle->name, best.similarity);
	{
		const struct hvt_needle_area *a = &best.needle->areas[best.areas[0].area];

		*x = best.areas[0].x + (a->click ? a->click_x : a->w / 2);
		*y = best.areas[0].y + (a->click ? a->click_y : a->h / 2);
	}
	return 0;
}

struct goto_ctx {
	struct hvt_screen *s;
	const char *tag;
	bool moved;
};

/* How long a moved pointer may take to show, and to come to rest. */
#define POINTER_SHOW_MS 3000
#define POINTER_REST_MS 300

static int goto_locate(void *ctx, int *x, int *y, struct hvt_err *err)
{
	struct goto_ctx *g = ctx;
	int ret;

	/*
	 * A slow guest applies motion late: looking too early sees the pointer
	 * short of where it goes, and the next move overshoots. So: the
	 * change the move makes (none when it is stopped at an edge), then a
	 * quiet moment; a screen that never rests (a blinking caret) is looked
	 * at after the deadline anyway.
	 */
	if (g->moved) {
		ret = hvt_screen_wait_change(g->s, POINTER_SHOW_MS, err);
		if (ret < 0)
			return ret;
		g->moved = false;
	}
	ret = hvt_screen_wait_still(g->s, POINTER_REST_MS, 5 * POINTER_SHOW_MS, err);
	if (ret && ret != -ETIMEDOUT)
		return ret;
	return hvt_screen_locate(g->s, g->tag, true, x, y, err);
}

static int goto_move(void *ctx, int dx, int dy, struct hvt_err *err)
{
	struct goto_ctx *g = ctx;

	g->moved = true;
	return hvt_screen_mouse_move(g->s, dx, dy, err);
}

/* Motions a walk may send: far more than log2 of any screen's size. */
#define GOTO_MAX_MOVES 40
/* A motion beyond any screen, for pushing the pointer into a corner. */
#define CORNER_PUSH 4000

static int mouse_goto(struct hvt_screen *s, const char *cursor_tag, const int *start, int x,
		      int y, int tolerance, struct hvt_relmouse_result *res, struct hvt_err *err)
{
	struct goto_ctx g = { s, cursor_tag, start != NULL };
	struct hvt_relmouse_ops ops = { goto_locate, goto_move, &g };
	int ret = need_vnc(s, "mouse_goto", err);

	return ret ? ret
		   : hvt_relmouse_goto(&ops, start, x, y, tolerance, GOTO_MAX_MOVES, res, err);
}

int hvt_screen_mouse_goto(struct hvt_screen *s, const char *cursor_tag, int x, int y,
			  int tolerance, struct hvt_relmouse_result *res, struct hvt_err *err)
{
	return mouse_goto(s, cursor_tag, NULL, x, y, tolerance, res, err);
}

int hvt_screen_mouse_goto_from(struct hvt_screen *s, const char *cursor_tag, int sx, int sy,
			       int x, int y, int tolerance, struct hvt_relmouse_result *res,
			       struct hvt_err *err)
{
	int start[2] = { sx, sy };

	return mouse_goto(s, cursor_tag, start, x, y, tolerance, res, err);
}

int hvt_screen_mouse_corner(struct hvt_screen *s, int corner, int *x, int *y,
			    struct hvt_err *err)
{
	int right = corner & 1, bottom = (corner >> 1) & 1, ret = 0;

	if (corner < 0 || corner > 3)
		return hvt_err_set(err, -EINVAL, "corner %d is not 0..3", corner);
	/* steps towards the corner until one changes nothing: the pointer is there */
	for (int i = 0; i < CORNER_PUSH / MOTION_STEP; i++) {
		ret = need_vnc(s, "mouse_corner", err);
		if (!ret)
			ret = hvt_vnc_motion(s->vnc, right ? MOTION_STEP : -MOTION_STEP,
					     bottom ? MOTION_STEP : -MOTION_STEP, s->buttons, err);
		if (!ret)
			ret = hvt_screen_wait_change(s, POINTER_SHOW_MS, err);
		if (ret < 0)
			return ret;
		if (ret == 0)
			break;
	}
	*x = right ? s->cur->width - 1 : 0;
	*y = bottom ? s->cur->height - 1 : 0;
	return 0;
}

int hvt_screen_video_frames(const struct hvt_screen *s)
{
	return s->video ? hvt_video_frames(s->video) : 0;
}

int hvt_screen_video_encode(struct hvt_screen *s, const char *path, struct hvt_err *err)
{
	if (!s->video)
		return hvt_err_set(err, -ENOENT, "no video was recorded");
	refresh(s, 0, NULL);
	return hvt_video_encode(s->video, path, hvt_now(), err);
}
