/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A case's video: each frame that differs from the previous one is kept
 * as a PNG with the time it appeared, and the ffmpeg program (Debian's)
 * turns them into an MP4 (H.264, which browsers play) with each frame
 * shown as long as it was on the screen.
 */
#ifndef HVT_VIDEO_H
#define HVT_VIDEO_H

#include "image.h"
#include "util.h"

struct hvt_video;

/* Frames go to dir (created); the video will be dir/../NAME.mp4 given at the end. */
struct hvt_video *hvt_video_new(const char *dir, struct hvt_err *err);
/* Add a frame seen at time t (hvt_now()); a frame equal to the last one is not kept. */
int hvt_video_frame(struct hvt_video *v, const struct hvt_image *img, double t,
		    struct hvt_err *err);
int hvt_video_frames(const struct hvt_video *v);
/*
 * Encode the frames kept so far into path (-ENOENT when there are none;
 * -ENOEXEC when ffmpeg is not installed), the last frame shown until
 * end_t. The frames stay until hvt_video_free().
 */
int hvt_video_encode(struct hvt_video *v, const char *path, double end_t, struct hvt_err *err);
/* Remove the frames and their directory, free v. */
void hvt_video_free(struct hvt_video *v);

/*
 * A recorder: every change of the display on the VNC socket vnc_path
 * goes into v, from its own VNC connection and thread, whether or not
 * anyone looks at the screen meanwhile, from now until
 * hvt_video_rec_stop(). The socket may appear later (a machine still
 * starting) and the connection may break (mode switches): it connects
 * again. v belongs to the recorder until it stops.
 */
struct hvt_video_rec;

struct hvt_video_rec *hvt_video_rec_start(struct hvt_video *v, const char *vnc_path,
					  struct hvt_err *err);
/* Stop recording (a last look at the display first) and free r; NULL is fine. */
void hvt_video_rec_stop(struct hvt_video_rec *r);

#endif
