/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The default guest: a Debian kernel, a busybox initramfs with
 * qemu-guest-agent, and a tools disk with fio, built locally by
 * guest/build.sh and cached.
 */
#ifndef HVT_GUEST_H
#define HVT_GUEST_H

#include <limits.h>
#include <stdbool.h>

#include "util.h"

struct hvt_guest {
	char dir[PATH_MAX];	/* the cache directory */
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];
	char tools[PATH_MAX];	/* tools disk image (fio...), "" if none */
	char append[1024];	/* kernel command line */
	char kver[128];		/* kernel version, from the manifest */
};

/* $HVT_GUEST_DIR, else $XDG_CACHE_HOME/hvtest/guest, else ~/.cache/hvtest/guest */
const char *hvt_guest_dir(void);
/* Where build.sh lives: $HVT_GUEST_SRC, else the installed/source location. */
const char *hvt_guest_src(void);

/* Fill g from the built guest in hvt_guest_dir(); -ENOENT if not built. */
int hvt_guest_locate(struct hvt_guest *g, struct hvt_err *err);
/*
 * Build (or confirm up to date) the default guest by running build.sh.
 * force: rebuild even if the inputs did not change. log: file for the
 * script's output (NULL: inherit stdio).
 */
int hvt_guest_build(bool force, const char *log, struct hvt_err *err);

/*
 * The live installer image: a Debian live system whose Calamares starts
 * full-screen at boot, built by guest/live/build.sh (docs/INSTALL-LIVE.md).
 */
struct hvt_guest_live {
	char dir[PATH_MAX];	/* the cache directory */
	char kernel[PATH_MAX];	/* vmlinuz */
	char initrd[PATH_MAX];	/* initrd.img (live-boot) */
	char iso[PATH_MAX];	/* live.iso: live/filesystem.squashfs, for a CD drive */
	char append[1024];	/* kernel command line (boot=live ...) */
};

/* $HVT_LIVE_DIR, else $XDG_CACHE_HOME/hvtest/live, else ~/.cache/hvtest/live */
const char *hvt_guest_live_dir(void);
/* Fill l from the built image in hvt_guest_live_dir(); -ENOENT if not built. */
int hvt_guest_live_locate(struct hvt_guest_live *l, struct hvt_err *err);
/*
 * Build (or confirm up to date) the live image by running live/build.sh
 * (as root: debootstrap; downloads a few hundred MB the first time), as
 * hvt_guest_build() does.
 */
int hvt_guest_live_build(bool force, const char *log, struct hvt_err *err);

#endif
