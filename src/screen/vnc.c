// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VNC client: libvncclient connected to QEMU's VNC server on a unix
 * socket, framebuffer in 32-bit true colour, raw encoding (a local socket
 * needs no compression), updates counted as frames.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "clock.h"
#include "vnc.h"

/* VNC positions are 16-bit: relative motion starts from the middle. */
#define MOTION_ORIGIN 32768
#define MOTION_RANGE 30000

struct hvt_vnc {
	rfbClient *cl;
	bool damaged;		/* a rectangle came in the update being read */
	uint64_t covered;	/* pixels updated since the connection or a resize */
	MallocFrameBufferProc malloc_fb; /* libvncclient's own */
	uint64_t serial;
	double changed_at;
	int vx, vy;		/* the last pointer position sent */
	bool primed;		/* a first pointer event told QEMU where we are */
};

static int client_tag;

/* libvncclient logs through globals; keep its last message for errors. */
static __thread char last_log[256];

static void quiet_log(const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	n = strlen(last_log);
	while (n && last_log[n - 1] == '\n')
		last_log[--n] = '\0';
}

static void got_update(rfbClient *cl, int x, int y, int w, int h)
{
	struct hvt_vnc *v = rfbClientGetClientData(cl, &client_tag);

	v->damaged = true;
	v->covered += (uint64_t)w * h;
}

/* A resize (also right after connecting) starts from an empty framebuffer. */
static rfbBool resize(rfbClient *cl)
{
	struct hvt_vnc *v = rfbClientGetClientData(cl, &client_tag);

	v->covered = 0;
	return v->malloc_fb(cl);
}

static void finished_update(rfbClient *cl)
{
	struct hvt_vnc *v = rfbClientGetClientData(cl, &client_tag);

	if (v->damaged) {
		v->serial++;
		v->changed_at = hvt_now();
		v->damaged = false;
	}
}

static int broken(struct hvt_vnc *v, struct hvt_err *err)
{
	return hvt_err_set(err, -ECONNRESET, "VNC connection to %s broke%s%s",
			   v->cl->serverHost, *last_log ? ": " : "", last_log);
}

int hvt_vnc_wait_update(struct hvt_vnc *v, int timeout_ms, struct hvt_err *err)
{
	uint64_t before = v->serial;
	int64_t deadline = hvt_deadline_after(timeout_ms);

	for (;;) {
		int left = hvt_ms_left(deadline), n;

		if (v->cl->buffered) {
			n = 1;
		} else {
			struct pollfd p = { .fd = v->cl->sock, .events = POLLIN };

			n = poll(&p, 1, v->serial != before ? 0 : left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || (n > 0 && !(p.revents & POLLIN)))
				return broken(v, err);
		}
		if (n == 0)
			return v->serial != before;
		if (!HandleRFBServerMessage(v->cl))
			return broken(v, err);
	}
}

int hvt_vnc_connect(const char *path, int timeout_ms, struct hvt_vnc **out,
		    struct hvt_err *err)
{
	struct hvt_vnc *v;
	rfbClient *cl;
	int ret;

	*out = NULL;
	if (!hvt_path_exists(path))
		return hvt_err_set(err, -ENOENT,
				   "%s: no VNC socket (was the machine started with a display?)",
				   path);
	/* libvncclient's log hooks are globals: the same value from every thread */
	rfbClientLog = quiet_log;
	rfbClientErr = quiet_log;
	cl = rfbGetClient(8, 3, 4);
	if (!cl)
		return hvt_err_set(err, -ENOMEM, "VNC client for %s", path);
	v = hvt_zalloc(sizeof(*v));
	v->cl = cl;
	v->vx = v->vy = MOTION_ORIGIN;
	rfbClientSetClientData(cl, &client_tag, v);
	cl->GotFrameBufferUpdate = got_update;
	cl->FinishedFrameBufferUpdate = finished_update;
	v->malloc_fb = cl->MallocFrameBuffer;
	cl->MallocFrameBuffer = resize;
	cl->appData.shareDesktop = TRUE;
	cl->appData.encodingsString = "raw";
	cl->appData.useRemoteCursor = FALSE;
	cl->canHandleNewFBSize = TRUE;
	/* rfbGetClient() gave it an empty string of its own */
	free(cl->serverHost);
	cl->serverHost = strdup(path);
	cl->serverPort = 0;
	last_log[0] = '\0';
	if (!rfbInitClient(cl, NULL, NULL)) {
		/* rfbInitClient() has freed the client */
		ret = hvt_err_set(err, -ECONNREFUSED, "VNC server on %s: %s", path,
				  *last_log ? last_log : "connection failed");
		free(v);
		return ret;
	}
	/*
	 * The first updates may be a resize and parts; QEMU's first whole
	 * picture for a new client is its blank surface, before the display's
	 * next refresh repaints it for the client's pixel format. So: a whole
	 * picture, then the answer to a full request sent after it.
	 */
	{
		int64_t deadline = hvt_deadline_after(timeout_ms);
		bool asked = false;

		ret = 0;
		while (ret >= 0 && (!asked || v->covered < (uint64_t)cl->width * cl->height)) {
			if (!asked && v->covered >= (uint64_t)cl->width * cl->height) {
				asked = true;
				v->covered = 0;
				if (!SendFramebufferUpdateRequest(cl, 0, 0, cl->width, cl->height,
								  FALSE)) {
					ret = broken(v, err);
					break;
				}
				continue;
			}
			if (hvt_ms_left(deadline) <= 0) {
				ret = hvt_err_set(err, -ETIMEDOUT,
						  "VNC server on %s sent no whole picture in %d ms",
						  path, timeout_ms);
				break;
			}
			ret = hvt_vnc_wait_update(v, hvt_ms_left(deadline), err);
		}
		if (ret < 0) {
			hvt_vnc_free(v);
			return ret;
		}
	}
	*out = v;
	return 0;
}

/*
 * QEMU stops reading a client the moment a write to it fails, so closing
 * with picture updates unread can lose the last input sent (a button
 * release: the button then stays down in the guest). Half-close instead:
 * QEMU reads everything up to the end of the stream, then closes its side;
 * what it still sends is read and dropped until then.
 */
#define CLOSE_DRAIN_MS 2000

static void drain_close(rfbClient *cl)
{
	int64_t deadline = hvt_deadline_after(CLOSE_DRAIN_MS);
	char buf[65536];

	if (cl->sock == RFB_INVALID_SOCKET || shutdown(cl->sock, SHUT_WR))
		return;
	for (;;) {
		struct pollfd pfd = { .fd = cl->sock, .events = POLLIN };
		int left = hvt_ms_left(deadline);

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return;
		if (read(cl->sock, buf, sizeof(buf)) <= 0)
			return;
	}
}

void hvt_vnc_free(struct hvt_vnc *v)
{
	if (!v)
		return;
	if (v->cl) {
		drain_close(v->cl);
		/* the picture is the application's to free (rfbClientCleanup() leaves it) */
		free(v->cl->frameBuffer);
		v->cl->frameBuffer = NULL;
		rfbClientCleanup(v->cl);
	}
	free(v);
}

uint64_t hvt_vnc_serial(const struct hvt_vnc *v)
{
	return v->serial;
}

double hvt_vnc_changed_at(const struct hvt_vnc *v)
{
	return v->changed_at;
}

void hvt_vnc_size(const struct hvt_vnc *v, int *w, int *h)
{
	*w = v->cl->width;
	*h = v->cl->height;
}

struct hvt_image *hvt_vnc_snapshot(struct hvt_vnc *v)
{
	struct hvt_image *img = hvt_image_new(v->cl->width, v->cl->height, NULL);
	const rfbPixelFormat *f = &v->cl->format;
	const uint32_t *px = (const uint32_t *)v->cl->frameBuffer;
	size_t n;

	if (!img)
		return NULL;
	n = (size_t)img->width * img->height;
	for (size_t i = 0; i < n; i++) {
		uint32_t p = px[i];

		img->rgb[i * 3] = (uint8_t)((p >> f->redShift) & f->redMax);
		img->rgb[i * 3 + 1] = (uint8_t)((p >> f->greenShift) & f->greenMax);
		img->rgb[i * 3 + 2] = (uint8_t)((p >> f->blueShift) & f->blueMax);
	}
	return img;
}

int hvt_vnc_key(struct hvt_vnc *v, uint32_t keysym, bool down, struct hvt_err *err)
{
	if (!SendKeyEvent(v->cl, keysym, down ? TRUE : FALSE))
		return broken(v, err);
	return 0;
}

int hvt_vnc_pointer(struct hvt_vnc *v, int x, int y, int buttons, struct hvt_err *err)
{
	if (x < 0 || y < 0 || x > 65535 || y > 65535)
		return hvt_err_set(err, -EINVAL, "pointer position %d,%d out of range", x, y);
	if (!SendPointerEvent(v->cl, x, y, buttons))
		return broken(v, err);
	v->vx = x;
	v->vy = y;
	v->primed = true;
	return 0;
}

int hvt_vnc_buttons(struct hvt_vnc *v, int buttons, struct hvt_err *err)
{
	/*
	 * Not hvt_vnc_motion(0, 0) once placed: away from its origin it first
	 * re-places the pointer there, which an absolute device takes as a jump
	 * to the screen's corner.
	 */
	if (v->primed)
		return hvt_vnc_pointer(v, v->vx, v->vy, buttons, err);
	return hvt_vnc_motion(v, 0, 0, buttons, err);
}

int hvt_vnc_motion(struct hvt_vnc *v, int dx, int dy, int buttons, struct hvt_err *err)
{
	int ret;

	if (!v->primed || abs(v->vx - MOTION_ORIGIN) > MOTION_RANGE ||
	    abs(v->vy - MOTION_ORIGIN) > MOTION_RANGE) {
		/* QEMU counts motion from the previous event: the first one only places */
		ret = hvt_vnc_pointer(v, MOTION_ORIGIN, MOTION_ORIGIN, buttons, err);
		if (ret)
			return ret;
	}
	if (dx < -MOTION_RANGE || dx > MOTION_RANGE || dy < -MOTION_RANGE || dy > MOTION_RANGE)
		return hvt_err_set(err, -EINVAL, "relative motion %d,%d too large", dx, dy);
	if (abs(v->vx + dx - MOTION_ORIGIN) > MOTION_RANGE ||
	    abs(v->vy + dy - MOTION_ORIGIN) > MOTION_RANGE)
		return hvt_err_set(err, -ERANGE,
				   "relative motion has drifted out of VNC's 16-bit range");
	return hvt_vnc_pointer(v, v->vx + dx, v->vy + dy, buttons, err);
}
