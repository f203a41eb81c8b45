// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Debian installer's graphical mode (debian-installer-12-netboot-amd64,
 * kernel and initrd booted directly): a real screen with a pointer the
 * guest's X server draws and accelerates. The relative PS/2 pointer is
 * pushed into each corner and brought to a target across the screen.
 *
 * The screen is 1024x768: the VGA's EDID prefers that mode, which the
 * kernel's bochs driver takes when it replaces the early VESA frame
 * buffer (vga=788, which the graphical installer needs at its start).
 * A kernel that panics reboots at once (panic=1) and QEMU then exits
 * (-no-reboot): the assert fails on the closed display, not at its timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "screentest.h"

#define DI_DIR "/usr/lib/debian-installer/images/12/amd64/gtk/debian-installer/amd64"
/* log2(1024) + 3: the halving walk's budget across a 1024-pixel screen */
#define MOVES_BUDGET 13
#define SCREEN_W 1024
#define SCREEN_H 768

static const char *const no_reboot[] = { "-no-reboot", NULL };

int sc_installer_config(struct st *t, struct hvt_vm_config *cfg, struct hvt_err *err)
{
	const char *kernel = hvt_case_param(t->c, "di_kernel", DI_DIR "/linux");
	const char *initrd = hvt_case_param(t->c, "di_initrd", DI_DIR "/initrd.gz");

	if (access(kernel, R_OK) || access(initrd, R_OK)) {
		hvt_case_skip(t->c, "the Debian installer (%s, %s) is not installed: apt-get install "
			      "debian-installer-12-netboot-amd64", kernel, initrd);
		hvt_case_end(t->c);
	}
	cfg->kernel = kernel;
	cfg->initrd = initrd;
	cfg->append = hvt_case_param(t->c, "di_append", "vga=788 no_timer_check panic=1");
	cfg->xres = SCREEN_W;
	cfg->yres = SCREEN_H;
	cfg->extra = no_reboot;
	cfg->mem_mib = 1024;
	cfg->no_agent = true;
	return 0;
}

/*
 * A target across the screen from each corner (top left, top right,
 * bottom left, bottom right), on the language list's empty right part.
 * The pointer's needle masks all but the arrow's solid inside, so it is
 * found on any background the walk crosses.
 */
static const int targets[4][2] = {
	{ 900, 660 }, { 120, 660 }, { 900, 200 }, { 420, 200 },
};

void sc_installer_mouse(struct st *t)
{
	struct hvt_image *img = NULL;
	struct hvt_err gerr = HVT_ERR_INIT;
	int gret;

	st_assert(t, "di-language");
	gret = hvt_screen_grab(t->screen, &img, &gerr);
	st_require(t, "grab", gret, &gerr);
	hvt_case_check(t->c, "screen size", img->width == SCREEN_W && img->height == SCREEN_H,
		       "%dx%d", img->width, img->height);
	hvt_image_free(img);
	for (int c = 0; c < 4; c++) {
		struct hvt_err err = HVT_ERR_INIT;
		struct hvt_relmouse_result r = { 0 };
		char name[64];
		double t0;
		int sx, sy, ret;

		ret = hvt_screen_mouse_corner(t->screen, c, &sx, &sy, &err);
		st_require(t, "pointer into a corner", ret, &err);
		t0 = hvt_now();
		ret = hvt_screen_mouse_goto_from(t->screen, "di-pointer", sx, sy, targets[c][0],
						 targets[c][1], 2, &r, &err);
		snprintf(name, sizeof(name), "corner %d,%d to %d,%d", sx, sy, targets[c][0],
			 targets[c][1]);
		hvt_case_check(t->c, name, ret == 0, "at %d,%d after %d moves%s%s", r.x, r.y,
			       r.moves, ret ? ": " : "", ret ? err.msg : "");
		if (ret)
			continue;
		snprintf(name, sizeof(name), "moves from corner %d", c);
		hvt_case_metric(t->c, name, r.moves, "");
		hvt_case_check(t->c, name, r.moves <= MOVES_BUDGET, "%d moves (budget %d)", r.moves,
			       MOVES_BUDGET);
		snprintf(name, sizeof(name), "time from corner %d", c);
		hvt_case_metric(t->c, name, hvt_now() - t0, "s");
	}
	hvt_screen_save(t->screen, "pointer-at-last-target", NULL);
}
