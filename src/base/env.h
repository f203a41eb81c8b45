/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvtest's environment variables, read in this one place: what each one
 * means, and the default when it is unset or empty.
 */
#ifndef HVT_ENV_H
#define HVT_ENV_H

#include <stdbool.h>

/* HVT_QEMU: the QEMU binary to run, or NULL. */
const char *hvt_env_qemu(void);
/* HVT_ACCEL: "kvm" or "tcg" to skip the accelerator probe, or NULL. */
const char *hvt_env_accel(void);
/* HVT_KVM_DEVICE: the KVM device the probe opens, else "/dev/kvm". */
const char *hvt_env_kvm_device(void);
/*
 * HVT_WORKDIR: where machines and helpers make their work directories;
 * else $TMPDIR, else "/tmp". Inside a case the runner points it at the
 * case's own directory.
 */
const char *hvt_env_workdir(void);
/*
 * HVT_KEEP: keep generated work directories (and their logs) when set to
 * anything but "" or "0". The runner sets it inside a case, whose
 * directory it collects and removes itself.
 */
bool hvt_env_keep(void);
/*
 * hvtest's cache: $XDG_CACHE_HOME/hvtest, else $HOME/.cache/hvtest, else
 * /tmp/hvtest-cache. The string lives until the next call in the thread.
 */
const char *hvt_env_cache_dir(void);
/* HVT_GUEST_DIR: the default guest's cache, else hvt_env_cache_dir()/guest. */
const char *hvt_env_guest_dir(void);
/* HVT_LIVE_DIR: the live installer image's cache, else hvt_env_cache_dir()/live. */
const char *hvt_env_live_dir(void);
/* HVT_GUEST_SRC: the directory holding guest/build.sh, or NULL. */
const char *hvt_env_guest_src(void);
/* HOME, or NULL. */
const char *hvt_env_home(void);
/* NO_COLOR (https://no-color.org): true when set and not empty. */
bool hvt_env_no_color(void);

#endif
