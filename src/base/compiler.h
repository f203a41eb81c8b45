/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compiler attributes and array helpers every module uses.
 */
#ifndef HVT_COMPILER_H
#define HVT_COMPILER_H

#define HVT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define HVT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
