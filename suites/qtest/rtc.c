// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest-rtc: the MC146818 RTC of pc and q35 through ports 0x70/0x71 and
 * its interrupt line: periodic rates against host time, time of day in
 * BCD and binary against the host clock, alarm, update cycle, 12/24 h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define RTC_IRQ 8
#define REG_A 0x0A
#define REG_B 0x0B
#define REG_C 0x0C
#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM 0x04	/* binary, not BCD */
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

struct rtc {
	struct hvt_qtest *q;
	struct hvt_err err;
};

/* Select and read in one round trip. */
static int cmos_read(struct rtc *r, uint8_t reg, uint8_t *v)
{
	hvt_qtest_batch_begin(r->q);
	hvt_qtest_outb(r->q, 0x70, reg, &r->err);
	hvt_qtest_inb(r->q, 0x71, v, &r->err);
	return hvt_qtest_batch_end(r->q, &r->err);
}

static int cmos_write(struct rtc *r, uint8_t reg, uint8_t v)
{
	hvt_qtest_batch_begin(r->q);
	hvt_qtest_outb(r->q, 0x70, reg, &r->err);
	hvt_qtest_outb(r->q, 0x71, v, &r->err);
	return hvt_qtest_batch_end(r->q, &r->err);
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 15);
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* Wait until the RTC line has been raised more than *seen times. */
static int wait_raise(struct rtc *r, uint64_t *seen, int timeout_ms)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	int ret;

	while (hvt_qtest_irq_raised(r->q, RTC_IRQ) <= *seen) {
		if (hvt_now_ms() >= deadline)
			return hvt_err_set(&r->err, -ETIMEDOUT, "no RTC interrupt within %d ms",
					   timeout_ms);
		ret = hvt_qtest_poll(r->q, hvt_ms_left(deadline), &r->err);
		if (ret)
			return ret;
	}
	*seen = hvt_qtest_irq_raised(r->q, RTC_IRQ);
	return 0;
}

static int rtc_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	struct rtc *r = hvt_zalloc(sizeof(*r));
	uint8_t v;

	r->q = qt_start(c, NULL, err);
	if (!r->q)
		goto err_free;
	if (hvt_qtest_irq_intercept_in(r->q, hvt_case_param(c, "rtc_irq_path", "ioapic"), err))
		goto err_free;
	/* Normal divider, no periodic rate, no interrupts, 24 h; clear pending flags. */
	if (cmos_write(r, REG_A, 0x20) || cmos_write(r, REG_B, B_24H) || cmos_read(r, REG_C, &v)) {
		*err = r->err;
		goto err_free;
	}
	*state = r;
	return 0;

err_free:
	hvt_qtest_free(r->q);
	free(r);
	return err->code;
}

static void periodic(struct hvt_case *c, struct rtc *r)
{
	long long rate;
	double duration, tol, max_loss, t_first = 0, t_last = 0, measured, ratio, delivered = 1;
	uint64_t seen = 0, count = 0;
	long long ticks = 0;
	int sel = 0;
	uint8_t v;

	if (hvt_case_param_int(c, "rtc_rate", 1024, &rate, &r->err) ||
	    hvt_case_param_double(c, "rtc_duration", 3, &duration, &r->err) ||
	    hvt_case_param_double(c, "rtc_tolerance", 0.02, &tol, &r->err) ||
	    hvt_case_param_double(c, "rtc_max_loss", 0.1, &max_loss, &r->err)) {
		hvt_case_error(c, "%s", r->err.msg);
		return;
	}
	/* Rate select n gives 32768 >> (n - 1) Hz, n = 3..15. */
	for (int n = 3; n <= 15; n++)
		if (32768 >> (n - 1) == rate)
			sel = n;
	if (!sel) {
		hvt_case_error(c, "rtc_rate %lld is not one the RTC has (2 Hz..8192 Hz, powers of 2)",
			       rate);
		return;
	}
	seen = hvt_qtest_irq_raised(r->q, RTC_IRQ);
	if (cmos_write(r, REG_A, (uint8_t)(0x20 | sel)) || cmos_write(r, REG_B, B_24H | B_PIE))
		goto err;
	if (hvt_qtest_has_clock(r->q)) {
		/* Virtual time: step one period at a time and count. */
		long long steps = (long long)(rate * duration);

		for (long long i = 0; i < steps; i++) {
			if (hvt_qtest_clock_step(r->q, 1000000000LL / rate, NULL, &r->err))
				goto err;
			if (hvt_qtest_irq_raised(r->q, RTC_IRQ) > seen) {
				seen = hvt_qtest_irq_raised(r->q, RTC_IRQ);
				count++;
				if (cmos_read(r, REG_C, &v))
					goto err;
			}
		}
		measured = (double)count / duration;
	} else {
		double end = hvt_now() + duration, t_prev = 0;

		while (hvt_now() < end) {
			if (wait_raise(r, &seen, (int)(2000 + 2000 / rate)))
				goto err;
			t_last = hvt_now();
			if (!count++)
				t_first = t_last;
			else
				/* A tick acknowledged late is lost; count the periods that passed. */
				ticks += (long long)((t_last - t_prev) * (double)rate + 0.5);
			t_prev = t_last;
			/* Reading C acknowledges the interrupt and lowers the line. */
			if (cmos_read(r, REG_C, &v))
				goto err;
		}
		measured = ticks ? (double)ticks / (t_last - t_first) : 0;
		delivered = ticks ? (double)(count - 1) / (double)ticks : 0;
	}
	ratio = measured / (double)rate;
	hvt_case_metric(c, "interrupts", (double)count, "");
	hvt_case_metric(c, "rate", measured, "Hz");
	hvt_case_metric(c, "drift_ratio", ratio, "");
	hvt_case_metric(c, "delivered_ratio", delivered, "");
	hvt_case_check(c, "periodic-rate", fabs(ratio - 1) <= tol,
		       "%.3f Hz for %lld Hz: drift ratio %.4f (tolerance %.3f, %s time)",
		       measured, rate, ratio, tol, hvt_qtest_has_clock(r->q) ? "virtual" : "host");
	hvt_case_check(c, "interrupts-delivered", delivered >= 1 - max_loss,
		       "%llu interrupts acknowledged in time, %.1f%% of the periods (at least "
		       "%.0f%% expected)", (unsigned long long)count, delivered * 100,
		       (1 - max_loss) * 100);
	hvt_case_check(c, "pf-flag", (v & (C_PF | C_IRQF)) == (C_PF | C_IRQF),
		       "register C 0x%02x on the last interrupt", v);
	return;
err:
	hvt_case_error(c, "%s", r->err.msg);
}

/* Wait for the update cycle to be out of the way, then read the time. */
static int read_time(struct rtc *r, bool bcd, struct tm *tm)
{
	uint8_t a, s, m, h, d, mo, y, cent;
	int64_t deadline = hvt_now_ms() + 2000;

	do {
		if (cmos_read(r, REG_A, &a))
			return r->err.code;
		if (hvt_now_ms() > deadline)
			return hvt_err_set(&r->err, -ETIMEDOUT, "UIP stays set");
	} while (a & A_UIP);
	hvt_qtest_batch_begin(r->q);
	hvt_qtest_outb(r->q, 0x70, 0, &r->err);
	hvt_qtest_inb(r->q, 0x71, &s, &r->err);
	hvt_qtest_outb(r->q, 0x70, 2, &r->err);
	hvt_qtest_inb(r->q, 0x71, &m, &r->err);
	hvt_qtest_outb(r->q, 0x70, 4, &r->err);
	hvt_qtest_inb(r->q, 0x71, &h, &r->err);
	hvt_qtest_outb(r->q, 0x70, 7, &r->err);
	hvt_qtest_inb(r->q, 0x71, &d, &r->err);
	hvt_qtest_outb(r->q, 0x70, 8, &r->err);
	hvt_qtest_inb(r->q, 0x71, &mo, &r->err);
	hvt_qtest_outb(r->q, 0x70, 9, &r->err);
	hvt_qtest_inb(r->q, 0x71, &y, &r->err);
	hvt_qtest_outb(r->q, 0x70, 0x32, &r->err);
	hvt_qtest_inb(r->q, 0x71, &cent, &r->err);
	if (hvt_qtest_batch_end(r->q, &r->err))
		return r->err.code;
	memset(tm, 0, sizeof(*tm));
	tm->tm_sec = (int)(bcd ? from_bcd(s) : s);
	tm->tm_min = (int)(bcd ? from_bcd(m) : m);
	tm->tm_hour = (int)(bcd ? from_bcd(h) : h);
	tm->tm_mday = (int)(bcd ? from_bcd(d) : d);
	tm->tm_mon = (int)(bcd ? from_bcd(mo) : mo) - 1;
	tm->tm_year = (int)((bcd ? from_bcd(cent) : cent) * 100 + (bcd ? from_bcd(y) : y)) - 1900;
	return 0;
}

static void time_of_day(struct hvt_case *c, struct rtc *r)
{
	const char *mode = hvt_case_param(c, "rtc_mode", "bcd");
	bool bcd = strcmp(mode, "binary") != 0;
	struct tm tm;
	time_t rtc, host;
	double diff;

	if (cmos_write(r, REG_B, (uint8_t)(B_24H | (bcd ? 0 : B_DM))) || read_time(r, bcd, &tm)) {
		hvt_case_error(c, "%s", r->err.msg);
		return;
	}
	host = time(NULL);
	rtc = timegm(&tm);
	diff = difftime(rtc, host);
	hvt_case_metric(c, "rtc_minus_host", diff, "s");
	hvt_case_check(c, "time-vs-host", fabs(diff) <= 2,
		       "RTC %04d-%02d-%02d %02d:%02d:%02d (%s), %+.0f s from the host's UTC",
		       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		       tm.tm_sec, mode, diff);
}

static void alarm_case(struct hvt_case *c, struct rtc *r)
{
	struct tm tm;
	uint64_t seen;
	double t0;
	uint8_t v = 0;
	int s, m, h;

	if (cmos_write(r, REG_B, B_24H | B_DM) || read_time(r, false, &tm))
		goto err;
	s = tm.tm_sec + 2;
	m = tm.tm_min + s / 60;
	h = (tm.tm_hour + m / 60) % 24;
	s %= 60;
	m %= 60;
	if (cmos_write(r, 1, (uint8_t)s) || cmos_write(r, 3, (uint8_t)m) ||
	    cmos_write(r, 5, (uint8_t)h) || cmos_read(r, REG_C, &v))
		goto err;
	seen = hvt_qtest_irq_raised(r->q, RTC_IRQ);
	t0 = hvt_now();
	if (cmos_write(r, REG_B, B_24H | B_DM | B_AIE))
		goto err;
	if (wait_raise(r, &seen, 4000)) {
		hvt_case_check(c, "alarm-fires", false, "%s", r->err.msg);
		return;
	}
	hvt_case_metric(c, "alarm_after", hvt_now() - t0, "s");
	if (cmos_read(r, REG_C, &v))
		goto err;
	hvt_case_check(c, "alarm-fires", (v & (C_AF | C_IRQF)) == (C_AF | C_IRQF),
		       "after %.2f s (set 1-2 s ahead), register C 0x%02x", hvt_now() - t0, v);
	return;
err:
	hvt_case_error(c, "%s", r->err.msg);
}

static void update_cycle(struct hvt_case *c, struct rtc *r)
{
	double end = hvt_now() + 3.5, t0;
	uint64_t seen, reads = 0;
	bool uip = false;
	uint8_t a, v;

	while (!uip && hvt_now() < end) {
		if (cmos_read(r, REG_A, &a))
			goto err;
		reads++;
		uip = a & A_UIP;
	}
	hvt_case_check(c, "uip-seen", uip, "UIP %sseen in %llu reads of register A",
		       uip ? "" : "not ", (unsigned long long)reads);
	seen = hvt_qtest_irq_raised(r->q, RTC_IRQ);
	t0 = hvt_now();
	if (cmos_read(r, REG_C, &v) || cmos_write(r, REG_B, B_24H | B_UIE))
		goto err;
	if (wait_raise(r, &seen, 2500)) {
		hvt_case_check(c, "update-interrupt", false, "%s", r->err.msg);
		return;
	}
	if (cmos_read(r, REG_C, &v))
		goto err;
	hvt_case_check(c, "update-interrupt", (v & (C_UF | C_IRQF)) == (C_UF | C_IRQF),
		       "after %.2f s, register C 0x%02x", hvt_now() - t0, v);
	return;
err:
	hvt_case_error(c, "%s", r->err.msg);
}

static void hour12(struct hvt_case *c, struct rtc *r)
{
	uint8_t h;

	/* Set 15:30:00 in 24 h BCD with SET held, then look at it in 12 h. */
	if (cmos_write(r, REG_B, B_SET | B_24H) || cmos_write(r, 4, to_bcd(15)) ||
	    cmos_write(r, 2, to_bcd(30)) || cmos_write(r, 0, 0) || cmos_write(r, REG_B, B_24H) ||
	    cmos_read(r, 4, &h))
		goto err;
	hvt_case_check(c, "24h-hour", h == 0x15, "hour register 0x%02x, expected 0x15", h);
	if (cmos_write(r, REG_B, 0) || cmos_read(r, 4, &h))
		goto err;
	hvt_case_check(c, "12h-pm", h == 0x83, "hour register 0x%02x in 12 h mode, expected 0x83 "
		       "(PM bit + 3)", h);
	/* Write 1 AM in 12 h mode; 24 h mode shows 01. Then 12 AM (midnight) is 00. */
	if (cmos_write(r, REG_B, B_SET) || cmos_write(r, 4, 0x01) || cmos_write(r, REG_B, B_24H) ||
	    cmos_read(r, 4, &h))
		goto err;
	hvt_case_check(c, "12h-am-write", h == 0x01, "hour 0x%02x, expected 0x01", h);
	if (cmos_write(r, REG_B, B_SET) || cmos_write(r, 4, 0x12) || cmos_write(r, REG_B, B_24H) ||
	    cmos_read(r, 4, &h))
		goto err;
	hvt_case_check(c, "12h-midnight", h == 0x00, "12 AM reads 0x%02x in 24 h mode, expected 0x00",
		       h);
	return;
err:
	hvt_case_error(c, "%s", r->err.msg);
}

static void rtc_run(struct hvt_case *c, void *state)
{
	const char *what = hvt_case_param(c, "rtc_check", "periodic");

	if (!strcmp(what, "periodic"))
		periodic(c, state);
	else if (!strcmp(what, "time"))
		time_of_day(c, state);
	else if (!strcmp(what, "alarm"))
		alarm_case(c, state);
	else if (!strcmp(what, "update"))
		update_cycle(c, state);
	else if (!strcmp(what, "hour12"))
		hour12(c, state);
	else
		hvt_case_error(c, "unknown rtc_check '%s' (periodic, time, alarm, update, hour12)",
			       what);
}

static void rtc_cleanup(struct hvt_case *c, void *state)
{
	struct rtc *r = state;

	hvt_qtest_free(r->q);
	free(r);
}

static const struct hvt_test_type qtest_rtc = {
	.name = "qtest-rtc",
	.summary = "MC146818 RTC through qtest: periodic rates, time, alarm, UIP, 12/24 h",
	.init = rtc_init,
	.run = rtc_run,
	.cleanup = rtc_cleanup,
};
HVT_TEST_TYPE(qtest_rtc)
