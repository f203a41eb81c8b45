/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libhvtest: the one header a test module written against the library
 * includes (pkg-config --cflags --libs hvtest).
 */
#ifndef HVTEST_H
#define HVTEST_H

#include "util.h"
#include "env.h"
#include "json.h"
#include "jstream.h"
#include "proc.h"
#include "sock.h"
#include "qmp.h"
#include "qga.h"
#include "qtest.h"
#include "qpci.h"
#include "qmem.h"
#include "qvirtio.h"
#include "blktrace.h"
#include "blkmodel.h"
#include "blkcapture.h"
#include "firmware.h"
#include "accel.h"
#include "case.h"
#include "testtype.h"
#include "guest.h"
#include "launch.h"
#include "vm.h"
#include "migrate.h"
#include "guestos.h"
#include "qsd.h"

#endif
