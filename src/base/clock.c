// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Clocks (clock.h).
 */
#include <stdio.h>
#include <time.h>

#include "util.h"

int64_t hvt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double hvt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hvt_wallclock(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char tmp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", tmp, ts.tv_nsec / 1000);
}

int hvt_ms_left(int64_t deadline)
{
	int64_t left = deadline - hvt_now_ms();

	if (left < 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int64_t hvt_deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? INT64_MAX / 2 : hvt_now_ms() + timeout_ms;
}

int hvt_timeout_left(int64_t deadline, int timeout_ms)
{
	return timeout_ms < 0 ? -1 : hvt_ms_left(deadline);
}

double hvt_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
