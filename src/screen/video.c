// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Video from changed frames: PNG files and an ffconcat list with each
 * frame's duration, encoded by ffmpeg in one run at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "proc.h"
#include "video.h"

#define ENCODE_TIMEOUT_MS (10 * 60 * 1000)

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
