/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The screen suite: a machine with a display, its screen opened for the
 * case (screenshots and video in the case's directory), and scenarios
 * that assert needles, type and move pointers.
 */
#ifndef HVT_SCREENTEST_H
#define HVT_SCREENTEST_H

#include "hvtest.h"
#include "screen.h"
#include "video.h"

struct st {
	struct hvt_case *c;
	struct hvt_vm *vm;
	struct hvt_screen *screen;
	struct hvt_needles needles;
	struct hvt_strv consoles;
	struct hvt_video *video;	/* the case's video (plan key video), */
	struct hvt_video_rec *rec;	/* recorded from the machine's start */
	const char *scenario;
	long long timeout_ms;	/* plan key screen_timeout (s) */
	struct hvt_guest guest;	/* the default guest, when a scenario boots it itself */
	char *append;		/* its kernel command line then */
	char *kernel;		/* and its kernel */
};

/*
 * Assert a needle (as hvt_screen_assert()) and record the check
 * "screen TAG" with the needle and score; require: a miss ends the case.
 */
void st_assert(struct st *t, const char *tag);
/* Record "not TAG": the needle must not match now (a check that can fail). */
void st_refute(struct st *t, const char *tag);
/* End the case with err as a failed check named what, unless ret is 0. */
void st_require(struct st *t, const char *what, int ret, const struct hvt_err *err);

/* scenarios (sc-*.c) */
void sc_text_console(struct st *t);
void sc_text_screendump(struct st *t);
void sc_text_typed(struct st *t);
void sc_installer_mouse(struct st *t);
/* the machine each scenario needs */
int sc_text_typed_config(struct st *t, struct hvt_vm_config *cfg, struct hvt_err *err);
int sc_installer_config(struct st *t, struct hvt_vm_config *cfg, struct hvt_err *err);

#endif
