/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A machine's display, watched and driven as a person would: the picture
 * from VNC (or QMP screendump when there is no VNC client), needles
 * asserted on it, keys, typing and the pointer, and the forensics of it
 * all (a screenshot at every assert with the area drawn, the difference
 * image of a failed match, the frames of a video).
 */
#ifndef HVT_SCREEN_H
#define HVT_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "match.h"
#include "needle.h"
#include "relmouse.h"
#include "util.h"
#include "vm.h"

struct hvt_screen;

struct hvt_screen_opts {
	/* the VNC server's unix socket; NULL: QMP screendump on vm */
	const char *vnc;
	struct hvt_vm *vm;		/* for screendump (and nothing else); may be NULL */
	const struct hvt_needles *needles; /* borrowed */
	const char *shots;		/* directory for screenshots; NULL: none */
	const char *video_frames;	/* directory for video frames; NULL: no video */
	/* called for each file written into shots (name, path), e.g. to record an artifact */
	void (*on_file)(void *ctx, const char *name, const char *path);
	void *ctx;
	int connect_timeout_ms;		/* 0: 30 s */
};

/*
 * Open the display. Without opts->vnc a vm is needed (screendump); with
 * neither, -EINVAL "no display". A VNC socket that does not exist is
 * -ENOENT naming it (the machine has no display).
 */
int hvt_screen_open(const struct hvt_screen_opts *opts, struct hvt_screen **out,
		    struct hvt_err *err);
void hvt_screen_free(struct hvt_screen *s);
/* "vnc" or "screendump" */
const char *hvt_screen_source(const struct hvt_screen *s);

/* The current picture (caller frees). */
int hvt_screen_grab(struct hvt_screen *s, struct hvt_image **out, struct hvt_err *err);
/*
 * Save the current picture as shots/NNN-name.png (reported through
 * on_file); when the display is gone, the last picture it showed.
 */
int hvt_screen_save(struct hvt_screen *s, const char *name, struct hvt_err *err);

/*
 * Wait up to timeout_ms for a needle with tag to match, looking at every
 * new frame (timeout 0: the current picture only: check_screen). 0 when
 * one matched; -ETIMEDOUT when none did (m holds the closest miss);
 * -ENOENT for a tag no needle has. m may be NULL.
 */
int hvt_screen_check(struct hvt_screen *s, const char *tag, int timeout_ms, struct hvt_match *m,
		     struct hvt_err *err);
/*
 * Seconds from the arrival of the frame the last hvt_screen_check() or
 * hvt_screen_assert() judged to its return: the frame-to-verdict latency.
 */
double hvt_screen_latency(const struct hvt_screen *s);
/* Seconds spent matching pictures against needles so far, and how many pictures. */
double hvt_screen_match_seconds(const struct hvt_screen *s, uint64_t *pictures);
/*
 * hvt_screen_check() that also saves a screenshot with the areas drawn
 * (green matched, red not) and, on failure, each failed area's
 * difference image; err names the tag, the best needle and its score.
 */
int hvt_screen_assert(struct hvt_screen *s, const char *tag, int timeout_ms, struct hvt_match *m,
		      struct hvt_err *err);
/*
 * Wait until the picture changes (1) or timeout_ms passes (0); *latency
 * (may be NULL) is the seconds from the change's arrival to the return.
 */
int hvt_screen_wait_change(struct hvt_screen *s, int timeout_ms, struct hvt_err *err);
/* Wait until the picture has not changed for still_ms: 0, or -ETIMEDOUT. */
int hvt_screen_wait_still(struct hvt_screen *s, int still_ms, int timeout_ms,
			  struct hvt_err *err);

/* Press a key combination ("ctrl-alt-f2"): down in order, up in reverse. */
int hvt_screen_send_key(struct hvt_screen *s, const char *combo, struct hvt_err *err);
/* Type text, interval_ms between keys (the guest's keyboard buffer is small). */
int hvt_screen_type(struct hvt_screen *s, const char *text, int interval_ms,
		    struct hvt_err *err);
/* Absolute pointer (USB tablet) to (x, y); buttons as in hvt_vnc_pointer(). */
int hvt_screen_mouse_set(struct hvt_screen *s, int x, int y, int buttons, struct hvt_err *err);
/* Press and release button (1 left, 2 middle, 3 right) where the pointer is. */
int hvt_screen_click(struct hvt_screen *s, int button, struct hvt_err *err);
/* Move the absolute pointer to (x, y) and click there. */
int hvt_screen_click_at(struct hvt_screen *s, int x, int y, int button, struct hvt_err *err);
/* Relative motion for a PS/2 mouse. */
int hvt_screen_mouse_move(struct hvt_screen *s, int dx, int dy, struct hvt_err *err);
/*
 * Bring a relative pointer to (x, y): the pointer is found by the needle
 * with cursor_tag (searched over the whole screen; its click_point is the
 * hot spot), then hvt_relmouse_goto() halves the way.
 */
int hvt_screen_mouse_goto(struct hvt_screen *s, const char *cursor_tag, int x, int y,
			  int tolerance, struct hvt_relmouse_result *res, struct hvt_err *err);
/*
 * Push a relative pointer into a corner (0 top left, 1 top right, 2
 * bottom left, 3 bottom right) with one motion larger than any screen,
 * which the guest stops at the edge; *x, *y: that corner of the picture.
 */
int hvt_screen_mouse_corner(struct hvt_screen *s, int corner, int *x, int *y,
			    struct hvt_err *err);
/* hvt_screen_mouse_goto() from a corner the pointer was pushed into. */
int hvt_screen_mouse_goto_from(struct hvt_screen *s, const char *cursor_tag, int sx, int sy,
			       int x, int y, int tolerance, struct hvt_relmouse_result *res,
			       struct hvt_err *err);
/* Where the needle with tag is now (its first match area's click point), for clicks. */
int hvt_screen_locate(struct hvt_screen *s, const char *tag, bool whole_screen, int *x, int *y,
		      struct hvt_err *err);

/* Frames of the video kept so far (0 without a video). */
int hvt_screen_video_frames(const struct hvt_screen *s);
/* Encode the video to path (see hvt_video_encode()). */
int hvt_screen_video_encode(struct hvt_screen *s, const char *path, struct hvt_err *err);

#endif
