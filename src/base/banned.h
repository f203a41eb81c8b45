/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Functions that are too easy to misuse: using one is a compile error.
 * Included last by every hvtest source file (through util.h).
 */
#ifndef HVT_BANNED_H
#define HVT_BANNED_H

#define HVT_BANNED(func) sorry_##func##_is_banned_in_hvtest

#undef strcpy
#define strcpy(x, y) HVT_BANNED(strcpy)
#undef strcat
#define strcat(x, y) HVT_BANNED(strcat)
#undef sprintf
#define sprintf(...) HVT_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) HVT_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) HVT_BANNED(strtok)
#undef gets
#define gets(x) HVT_BANNED(gets)

#endif
