// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key names and characters to X keysyms (rfb/keysym.h), for VNC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rfb/keysym.h>

#include "keys.h"

static const struct {
	const char *name;
	uint32_t sym;
} names[] = {
	{ "ret", XK_Return }, { "enter", XK_Return }, { "kp_enter", XK_KP_Enter },
	{ "esc", XK_Escape }, { "tab", XK_Tab }, { "spc", XK_space }, { "space", XK_space },
	{ "backspace", XK_BackSpace }, { "delete", XK_Delete }, { "insert", XK_Insert },
	{ "home", XK_Home }, { "end", XK_End }, { "pgup", XK_Page_Up }, { "pgdn", XK_Page_Down },
	{ "up", XK_Up }, { "down", XK_Down }, { "left", XK_Left }, { "right", XK_Right },
	{ "ctrl", XK_Control_L }, { "alt", XK_Alt_L }, { "shift", XK_Shift_L },
	{ "super", XK_Super_L }, { "altgr", XK_ISO_Level3_Shift }, { "caps", XK_Caps_Lock },
	{ "minus", XK_minus }, { "plus", XK_plus }, { "sysrq", XK_Sys_Req },
	{ "f1", XK_F1 }, { "f2", XK_F2 }, { "f3", XK_F3 }, { "f4", XK_F4 }, { "f5", XK_F5 },
	{ "f6", XK_F6 }, { "f7", XK_F7 }, { "f8", XK_F8 }, { "f9", XK_F9 }, { "f10", XK_F10 },
	{ "f11", XK_F11 }, { "f12", XK_F12 },
};

/* US layout: the characters typed with shift held */
static const char shifted_chars[] = "~!@#$%^&*()_+{}|:\"<>?";

int hvt_keys_char(char c, uint32_t *keysym, bool *shift)
{
	unsigned char u = (unsigned char)c;

	*shift = false;
	if (c == '\n') {
		*keysym = XK_Return;
		return 0;
	}
	if (c == '\t') {
		*keysym = XK_Tab;
		return 0;
	}
	if (u < 0x20 || u > 0x7e)
		return -EINVAL;
	/* printable ASCII keysyms are the characters' codes */
	*keysym = u;
	*shift = (c >= 'A' && c <= 'Z') || strchr(shifted_chars, c);
	return 0;
}

/* US layout: a key's character without and with shift, in pairs */
static const char shift_pairs[] = "1!2@3#4$5%6^7&8*9(0)-_=+[{]}\\|;:'\",<.>/?`~";

/*
 * With shift held, a VNC client sends the shifted keysym ('X', '!'): QEMU
 * releases shift for a keysym its keymap types without it.
 */
static uint32_t shifted_sym(uint32_t sym)
{
	const char *p;

	if (sym >= 'a' && sym <= 'z')
		return sym - 'a' + 'A';
	if (sym < 0x80 && sym && (p = strchr(shift_pairs, (int)sym)) && (p - shift_pairs) % 2 == 0)
		return (uint32_t)(unsigned char)p[1];
	return sym;
}

int hvt_keys_parse(const char *combo, uint32_t *keysyms, size_t *n, struct hvt_err *err)
{
	const char *p = combo;
	bool shifted = false;

	*n = 0;
	if (!*combo)
		return hvt_err_set(err, -EINVAL, "empty key name");
	while (*p) {
		const char *dash = strchr(p + 1, '-');
		size_t len = dash ? (size_t)(dash - p) : strlen(p);
		uint32_t sym = 0;
		bool shift;

		if (*n == HVT_KEYS_MAX)
			return hvt_err_set(err, -EINVAL, "key combination '%s' has over %d keys",
					   combo, HVT_KEYS_MAX);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !sym; i++)
			if (strlen(names[i].name) == len && !strncasecmp(p, names[i].name, len))
				sym = names[i].sym;
		if (!sym && len == 1 && !hvt_keys_char(*p, &sym, &shift) && *p != '\n' &&
		    *p != '\t') {
			/* a letter is its lower-case key; shift is a separate name */
			if (*p >= 'A' && *p <= 'Z')
				sym = (uint32_t)(*p - 'A' + 'a');
		}
		if (!sym)
			return hvt_err_set(err, -EINVAL, "unknown key '%.*s' in '%s'", (int)len, p,
					   combo);
		if (sym == XK_Shift_L)
			shifted = true;
		keysyms[(*n)++] = shifted ? shifted_sym(sym) : sym;
		p += len;
		if (*p == '-') {
			p++;
			if (!*p)
				return hvt_err_set(err, -EINVAL, "key combination '%s' ends in '-'",
						   combo);
		}
	}
	return 0;
}
