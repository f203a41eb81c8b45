// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The built-in suites' test types register themselves as hvtest loads
 * (HVT_TEST_TYPE); this file only makes the suites library never empty.
 */
#include "hvtest.h"

const char *hvt_suites_version(void);

const char *hvt_suites_version(void)
{
	return "1";
}
