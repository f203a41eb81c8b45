// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The screen test type: plan keys, the machine with a display, the
 * screen opened on it, and the forensics every case leaves (a screenshot
 * at every assert, the last screen and a register dump on failure, the
 * video kept by the plan key video).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvt-config.h"
#include "screentest.h"
#include "steps.h"

#define BOOT_TIMEOUT_S 300

struct scenario {
	const char *name;
	void (*fn)(struct st *t);
	/* the machine, when not the default guest as it is */
	int (*config)(struct st *t, struct hvt_vm_config *cfg, struct hvt_err *err);
};

static const struct scenario scenarios[] = {
	{ "text_console", sc_text_console, NULL },
	{ "text_screendump", sc_text_screendump, NULL },
	{ "text_typed", sc_text_typed, sc_text_typed_config },
	{ "installer_mouse", sc_installer_mouse, sc_installer_config },
};

void st_require(struct st *t, const char *what, int ret, const struct hvt_err *err)
{
	hvt_case_require(t->c, what, ret == 0, "%s", ret ? err->msg : "");
}

void st_assert(struct st *t, const char *tag)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_match m;
	double t0 = hvt_now();
	int ret = hvt_screen_assert(t->screen, tag, (int)t->timeout_ms, &m, &err);
	char *name = hvt_asprintf("screen %s", tag);

	if (ret == 0) {
		char *lat = hvt_asprintf("frame to verdict %s", tag);

		hvt_case_metric(t->c, name, hvt_now() - t0, "s");
		hvt_case_metric(t->c, lat, hvt_screen_latency(t->screen), "s");
		free(lat);
	}
	hvt_case_require(t->c, name, ret == 0, "%s %.4f%s%s",
			 m.needle ? m.needle->name : "-", m.similarity, ret ? ": " : "",
			 ret ? err.msg : "");
	free(name);
}

void st_refute(struct st *t, const char *tag)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_match m;
	int ret = hvt_screen_check(t->screen, tag, 0, &m, &err);
	char *name = hvt_asprintf("not %s", tag);

	hvt_case_check(t->c, name, ret == -ETIMEDOUT, "%s %.4f%s", m.needle ? m.needle->name : "-",
		       m.similarity, ret && ret != -ETIMEDOUT ? err.msg : "");
	free(name);
}

static void on_file(void *ctx, const char *name, const char *path)
{
	struct st *t = ctx;
	char *rel = hvt_asprintf("screens/%s", name);

	hvt_case_artifact(t->c, rel, rel);
	free(rel);
}

/* Stop the recorder, kill the machine, free t: what remains once a case ended. */
static void release(struct st *t)
{
	hvt_video_rec_stop(t->rec);
	hvt_video_free(t->video);
	hvt_screen_free(t->screen);
	hvt_vm_free(t->vm);
	hvt_strv_release(&t->consoles);
	hvt_needles_release(&t->needles);
	free(t->append);
	free(t->kernel);
	free(t);
}

static int init_case(struct hvt_case *c, struct st *t, struct hvt_err *err)
{
	struct hvt_vm_config cfg;
	struct hvt_screen_opts so = { 0 };
	const struct scenario *sc = NULL;
	const char *needles, *video;
	char *shots = NULL, *vnc = NULL;
	long long boot_s;
	int ret;

	t->c = c;
	t->scenario = hvt_case_param(c, "scenario", "");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(scenarios); i++)
		if (!strcmp(scenarios[i].name, t->scenario))
			sc = &scenarios[i];
	if (!sc)
		return hvt_err_set(err, -EINVAL, "unknown scenario '%s'", t->scenario);
	ret = hvt_case_param_int(c, "screen_timeout", 120, &t->timeout_ms, err);
	if (!ret)
		ret = hvt_case_param_int(c, "boot_timeout", BOOT_TIMEOUT_S, &boot_s, err);
	if (ret)
		return ret;
	t->timeout_ms *= 1000;
	video = hvt_case_param(c, "video", "fail");
	if (strcmp(video, "keep") && strcmp(video, "fail") && strcmp(video, "no"))
		return hvt_err_set(err, -EINVAL, "video = %s: keep, fail or no", video);
	needles = hvt_case_param(c, "needles", HVT_SRCDIR "/suites/screen/needles");
	ret = hvt_needles_load_dir(&t->needles, needles, err);
	if (ret)
		return ret;

	hvt_vm_config_init(&cfg);
	cfg.name = "vm";
	cfg.vga = hvt_case_param(c, "display", "std");
	if (sc->config)
		ret = sc->config(t, &cfg, err);
	if (ret)
		return ret;
	t->vm = step_vm_new(c, &cfg, &t->consoles, err);
	if (!t->vm)
		return err->code ? err->code : -EIO;
	ret = hvt_vm_start(t->vm, err);
	vnc = hvt_vm_path(t->vm, "vnc.sock");
	/* the video covers the whole case: from QEMU's start, the boot included */
	if (!ret && strcmp(video, "no")) {
		char *frames = hvt_asprintf("%s/video-frames", c->workdir);

		t->video = hvt_video_new(frames, err);
		free(frames);
		if (!t->video)
			ret = err->code ? err->code : -EIO;
		else if (!(t->rec = hvt_video_rec_start(t->video, vnc, err)))
			ret = err->code ? err->code : -EIO;
	}
	if (!ret && !cfg.no_agent)
		ret = hvt_vm_wait_agent(t->vm, (int)boot_s * 1000, err);
	if (ret) {
		free(vnc);
		return ret;
	}

	shots = hvt_asprintf("%s/screens", c->workdir);
	so.vnc = strcmp(hvt_case_param(c, "source", "vnc"), "screendump") ? vnc : NULL;
	so.vm = t->vm;
	so.needles = &t->needles;
	so.shots = shots;
	so.on_file = on_file;
	so.ctx = t;
	ret = hvt_screen_open(&so, &t->screen, err);
	free(vnc);
	free(shots);
	return ret;
}

static int screen_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	struct st *t = hvt_zalloc(sizeof(*t));
	int ret = init_case(c, t, err);

	/* the type gets no cleanup call after a failed init: nothing may outlive it */
	if (ret) {
		release(t);
		return ret;
	}
	*state = t;
	return 0;
}

static void screen_run(struct hvt_case *c, void *state)
{
	struct st *t = state;

	hvt_case_check(c, "display source", true, "%s", hvt_screen_source(t->screen));
	for (size_t i = 0; i < HVT_ARRAY_SIZE(scenarios); i++)
		if (!strcmp(scenarios[i].name, t->scenario))
			scenarios[i].fn(t);
}

/* "info registers" through QMP's human monitor, into the case's directory */
static void register_dump(struct st *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *ret = NULL;
	char *path;

	if (hvt_vm_qmp(t->vm, &ret, &err, "human-monitor-command",
		       "{'command-line': 'info registers'}"))
		return;
	path = hvt_asprintf("%s/registers.txt", t->c->workdir);
	if (json_object_is_type(ret, json_type_string) &&
	    !hvt_file_write(path, json_object_get_string(ret), json_object_get_string_len(ret),
			    &err))
		hvt_case_artifact(t->c, "registers.txt", "registers.txt");
	free(path);
	json_object_put(ret);
}

static void screen_cleanup(struct hvt_case *c, void *state)
{
	struct st *t = state;
	struct hvt_err err = HVT_ERR_INIT;
	bool bad = hvt_outcome_bad(hvt_case_outcome(c));
	const char *video = hvt_case_param(c, "video", "fail");

	if (t->screen && bad)
		hvt_screen_save(t->screen, "last-screen", &err);
	hvt_video_rec_stop(t->rec);
	t->rec = NULL;
	if (t->video) {
		if (hvt_video_frames(t->video) > 1 &&
		    (!strcmp(video, "keep") || (bad && !strcmp(video, "fail")))) {
			char *path = hvt_asprintf("%s/video.mp4", c->workdir);

			if (!hvt_video_encode(t->video, path, hvt_now(), &err))
				hvt_case_artifact(c, "video.mp4", "video.mp4");
			else
				hvt_case_check_skip(c, "video", "%s", err.msg);
			free(path);
		}
		hvt_case_metric(c, "video frames", hvt_video_frames(t->video), "");
	}
	if (t->vm && bad && !hvt_vm_check_alive(t->vm, NULL))
		register_dump(t);
	hvt_screen_free(t->screen);
	t->screen = NULL;
	if (t->vm) {
		int ret = hvt_vm_quit(t->vm, 30000, &err);

		hvt_case_check(c, "qemu-exit", ret == 0, "%s", ret ? err.msg : "exit code 0");
	}
	step_check_consoles(c, &t->consoles, NULL);
	release(t);
}

static const struct hvt_test_type screen_type = {
	.name = "screen",
	.summary = "watch and drive a machine's display: needles, keys, pointers, video",
	.init = screen_init,
	.run = screen_run,
	.cleanup = screen_cleanup,
};
HVT_TEST_TYPE(screen_type)
