// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Video from changed frames: PNG files and an ffconcat list with each
 * frame's duration, encoded by ffmpeg in one run at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "proc.h"
#include "video.h"
#include "vnc.h"

#define ENCODE_TIMEOUT_MS (10 * 60 * 1000)
/* how often the recorder checks whether to stop, and retries a connection */
#define REC_TICK_MS 200
#define REC_CONNECT_TIMEOUT_MS 5000

struct hvt_video {
	char *dir;
	struct hvt_image *last;
	double *times;
	int n;
};

struct hvt_video *hvt_video_new(const char *dir, struct hvt_err *err)
{
	struct hvt_video *v;

	if (hvt_mkdir_p(dir, 0755, err))
		return NULL;
	v = hvt_zalloc(sizeof(*v));
	v->dir = hvt_strdup(dir);
	return v;
}

int hvt_video_frames(const struct hvt_video *v)
{
	return v->n;
}

int hvt_video_frame(struct hvt_video *v, const struct hvt_image *img, double t,
		    struct hvt_err *err)
{
	char *path;
	int ret;

	if (v->last && hvt_image_equal(v->last, img))
		return 0;
	path = hvt_asprintf("%s/%06d.png", v->dir, v->n);
	ret = hvt_image_write_png(img, path, err);
	free(path);
	if (ret)
		return ret;
	hvt_image_free(v->last);
	v->last = hvt_image_copy(img);
	v->times = hvt_realloc(v->times, (v->n + 1) * sizeof(*v->times));
	v->times[v->n++] = t;
	return 0;
}

int hvt_video_encode(struct hvt_video *v, const char *path, double end_t, struct hvt_err *err)
{
	struct hvt_buf list = { 0 };
	char *list_path, *ffmpeg, *out = NULL;
	int ret;

	if (!v->n)
		return hvt_err_set(err, -ENOENT, "no frames for %s", path);
	ffmpeg = hvt_which("ffmpeg");
	if (!ffmpeg)
		return hvt_err_set(err, -ENOEXEC, "ffmpeg is not installed: no video %s", path);
	hvt_buf_addf(&list, "ffconcat version 1.0\n");
	for (int i = 0; i < v->n; i++) {
		double next = i + 1 < v->n ? v->times[i + 1] : end_t;
		double d = next - v->times[i];

		hvt_buf_addf(&list, "file '%06d.png'\nduration %.3f\n", i, d > 0.04 ? d : 0.04);
	}
	/* the concat demuxer reads the last frame's duration only when it is listed twice */
	hvt_buf_addf(&list, "file '%06d.png'\n", v->n - 1);
	list_path = hvt_asprintf("%s/frames.txt", v->dir);
	ret = hvt_file_write(list_path, list.p, list.len, err);
	if (!ret) {
		const char *argv[] = {
			ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
			"-f", "concat", "-safe", "0", "-i", list_path,
			/* one size for all frames (text mode 720x400, graphics 1024x768...) */
			"-vf", "scale=1024:768:force_original_aspect_ratio=decrease,"
			       "pad=1024:768:(ow-iw)/2:(oh-ih)/2,format=yuv420p",
			"-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast",
			"-movflags", "+faststart", path, NULL,
		};

		ret = hvt_proc_run(argv, ENCODE_TIMEOUT_MS, &out, err);
		if (ret)
			hvt_err_prefix(err, "ffmpeg making %s%s%s", path, out && *out ? ": " : "",
				       out && *out ? out : "");
	}
	free(out);
	free(list_path);
	free(ffmpeg);
	hvt_buf_release(&list);
	return ret;
}

void hvt_video_free(struct hvt_video *v)
{
	if (!v)
		return;
	hvt_rm_rf(v->dir);
	hvt_image_free(v->last);
	free(v->times);
	free(v->dir);
	free(v);
}

struct hvt_video_rec {
	struct hvt_video *v;
	char *path;
	pthread_t thread;
	atomic_bool stop;
};

static void rec_sleep(void)
{
	struct timespec ts = { 0, REC_TICK_MS * 1000000L };

	nanosleep(&ts, NULL);
}

static void rec_frame(struct hvt_video_rec *r, struct hvt_vnc *vnc)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_image *img = hvt_vnc_snapshot(vnc);

	/* a frame that cannot be written (disk full) is a gap in the video, no more */
	hvt_video_frame(r->v, img, hvt_vnc_changed_at(vnc), &err);
	hvt_image_free(img);
}

static void *rec_main(void *p)
{
	struct hvt_video_rec *r = p;
	struct hvt_vnc *vnc = NULL;

	while (!atomic_load(&r->stop)) {
		struct hvt_err err = HVT_ERR_INIT;
		int ret;

		if (!vnc) {
			if (hvt_vnc_connect(r->path, REC_CONNECT_TIMEOUT_MS, &vnc, &err)) {
				vnc = NULL;
				rec_sleep();
			} else {
				rec_frame(r, vnc);
			}
			continue;
		}
		ret = hvt_vnc_wait_update(vnc, REC_TICK_MS, &err);
		if (ret > 0)
			rec_frame(r, vnc);
		if (ret < 0) {
			hvt_vnc_free(vnc);
			vnc = NULL;
		}
	}
	if (vnc && hvt_vnc_wait_update(vnc, 0, NULL) > 0)
		rec_frame(r, vnc);
	hvt_vnc_free(vnc);
	return NULL;
}

struct hvt_video_rec *hvt_video_rec_start(struct hvt_video *v, const char *vnc_path,
					  struct hvt_err *err)
{
	struct hvt_video_rec *r = hvt_zalloc(sizeof(*r));
	int ret;

	r->v = v;
	r->path = hvt_strdup(vnc_path);
	atomic_init(&r->stop, false);
	ret = pthread_create(&r->thread, NULL, rec_main, r);
	if (ret) {
		hvt_err_set(err, -ret, "video recorder for %s: %s", vnc_path, strerror(ret));
		free(r->path);
		free(r);
		return NULL;
	}
	return r;
}

void hvt_video_rec_stop(struct hvt_video_rec *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	free(r->path);
	free(r);
}
