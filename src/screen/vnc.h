/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VNC client on a machine's VNC server (libvncclient; the only user):
 * the framebuffer kept current by the server's updates, and the input a
 * person gives through a VNC viewer (keys, an absolute pointer, and
 * relative motion for a PS/2 mouse). Nothing polls: the client asks for
 * an incremental update and sleeps in poll() until the server sends one.
 */
#ifndef HVT_VNC_H
#define HVT_VNC_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "util.h"

struct hvt_vnc;

/*
 * Connect to the server on the unix socket path and read the first full
 * frame (up to timeout_ms). The client shares the display with other
 * viewers (the shared flag), so several programs may watch one machine.
 */
int hvt_vnc_connect(const char *path, int timeout_ms, struct hvt_vnc **out,
		    struct hvt_err *err);
void hvt_vnc_free(struct hvt_vnc *v);

/*
 * Handle what the server sent, waiting up to timeout_ms for a complete
 * update (0: only what is already there). Returns 1 when the picture
 * changed since the call, 0 when not, negative when the connection broke.
 */
int hvt_vnc_wait_update(struct hvt_vnc *v, int timeout_ms, struct hvt_err *err);
/* How many updates changed the picture since the connection: a frame counter. */
uint64_t hvt_vnc_serial(const struct hvt_vnc *v);
/* When the last update that changed the picture was complete (hvt_now()). */
double hvt_vnc_changed_at(const struct hvt_vnc *v);
/* The current picture as RGB (caller frees). */
struct hvt_image *hvt_vnc_snapshot(struct hvt_vnc *v);
void hvt_vnc_size(const struct hvt_vnc *v, int *w, int *h);

/* A key (X keysym) down or up. */
int hvt_vnc_key(struct hvt_vnc *v, uint32_t keysym, bool down, struct hvt_err *err);
/*
 * The pointer at (x, y) with buttons (bit 0 left, 1 middle, 2 right).
 * QEMU forwards it as an absolute position to an absolute device (the
 * USB tablet) and as the motion since the last event to a relative one.
 */
int hvt_vnc_pointer(struct hvt_vnc *v, int x, int y, int buttons, struct hvt_err *err);
/*
 * Relative motion (dx, dy) for a relative mouse: QEMU turns the step
 * between two pointer events into PS/2 motion, so the client moves a
 * virtual position kept far from the edges of VNC's 16-bit range.
 */
int hvt_vnc_motion(struct hvt_vnc *v, int dx, int dy, int buttons, struct hvt_err *err);
/*
 * Buttons pressed or released where this connection last put the pointer
 * (no motion: the same position again), or, before it put it anywhere,
 * as a relative motion of zero.
 */
int hvt_vnc_buttons(struct hvt_vnc *v, int buttons, struct hvt_err *err);

#endif
