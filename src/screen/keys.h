/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Key names as openQA's send_key writes them ("ret", "esc", "ctrl-alt-f2",
 * "shift-tab") and typed characters, turned into X keysyms, which VNC
 * sends and QEMU maps to scancodes for a US keyboard.
 */
#ifndef HVT_KEYS_H
#define HVT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define HVT_KEYS_MAX 8

/*
 * Parse a combination of '-'-separated key names (a single character
 * stands for itself; "minus" for '-') into keysyms in press order. An
 * unknown name is -EINVAL with err naming it.
 */
int hvt_keys_parse(const char *combo, uint32_t *keysyms, size_t *n, struct hvt_err *err);
/*
 * The keysym that types c on a US keyboard, and whether shift is held for
 * it. -EINVAL for a character no key types (non-ASCII, control codes
 * other than tab and newline).
 */
int hvt_keys_char(char c, uint32_t *keysym, bool *shift);

#endif
