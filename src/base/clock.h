/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clocks: monotonic time for deadlines, wall-clock time for records.
 */
#ifndef HVT_CLOCK_H
#define HVT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock, milliseconds / seconds as double. */
int64_t hvt_now_ms(void);
double hvt_now(void);
/* Wall clock as "2026-11-22T03:10:00.123456Z" into buf (>= 32 bytes). */
void hvt_wallclock(char *buf, size_t len);
/* Milliseconds left until deadline (a hvt_now_ms() value), never negative. */
int hvt_ms_left(int64_t deadline);
/*
 * For APIs where a negative timeout means no limit: the deadline
 * timeout_ms from now (none: far in the future), and what is left of it
 * for a sub-step (-1 again when there is no limit).
 */
int64_t hvt_deadline_after(int timeout_ms);
int hvt_timeout_left(int64_t deadline, int timeout_ms);

/* Wall clock in seconds since the epoch, as a double (for event times). */
double hvt_wall_now(void);

#endif
