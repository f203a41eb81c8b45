/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The base layer's small things every module needs, in one include:
 * errors, memory and strings, clocks, files.
 */
#ifndef HVT_UTIL_H
#define HVT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "err.h"
#include "str.h"
#include "clock.h"
#include "file.h"

#ifdef HVT_BUILDING
#include "banned.h"
#endif

#endif
