/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Installer walks written as programs (the Python scripts in suites/install): the case
 * boots the machine, the exec type runs the program against it.
 */
#ifndef HVT_SUITE_INSTALL_WALK_H
#define HVT_SUITE_INSTALL_WALK_H

struct hvt_case;
struct hvt_vm;

/* struct hvt_screen_opts.on_file: a saved screenshot (ctx: the case) becomes an artifact. */
void walk_on_file(void *ctx, const char *name, const char *path);

/*
 * Run script (relative to suites/install unless absolute) through the exec
 * type with the case's parameters (HVT_PARAM_*), to which vm's work
 * directory (vm_dir), the needle directory (needles) and this hvtest
 * (hvtest) are added; the screenshots it saves under the case's screens/
 * become artifacts. Its TAP is the case's checks and metrics.
 */
void walk_script_run(struct hvt_case *c, struct hvt_vm *vm, const char *script);

#endif
