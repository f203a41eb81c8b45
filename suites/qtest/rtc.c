// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest-rtc: the MC146818 RTC of pc and q35 through ports 0x70/0x71 and
 * its interrupt line: periodic interrupts counted in RTC seconds, RTC
 * seconds against the host's clock, time of day in BCD and binary, alarm,
 * update cycle, 12/24 h.
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
/*
 * Up to this rate a period (15.6 ms) is far longer than acknowledging an
 * interrupt takes, so the client sees every one unless the host stalls.
 */
#define SEES_EVERY_HZ 64
/*
 * How long to wait for an interrupt due within an RTC second: long enough
 * that an RTC at a third of the speed is still timed, and fails on its
 * ratio to the host's clock rather than on a timeout.
 */
#define EVENT_WAIT_MS 3000
/*
 * Above SEES_EVERY_HZ the divider is judged over stretches where the client
 * kept up: at least STRETCH_MIN intervals in a row between PF reads, each
 * shorter than STRETCH_GAP periods (a longer one may hold a period seen
 * late or not at all). Their rate must be within RATE_TOLERANCE of the
 * expected one over KEPT_UP_MIN intervals at least; a wrong divider is off
 * by a factor of 2.
 */
#define STRETCH_MIN 4
#define STRETCH_GAP 1.25
#define KEPT_UP_MIN 16
#define RATE_TOLERANCE 0.25

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

/*
 * Steps of a check that later steps cannot go without (register access,
 * parameters): when failed is true the case ends as an error, with the
 * machine's last error as its reason.
 */
static void need(struct hvt_case *c, struct rtc *r, bool failed)
{
	if (failed)
		hvt_case_fatal(c, "%s", r->err.msg);
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 15);
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/*
 * Wait for the RTC line to be high, note when (*t, in seconds of the
 * clock the machine runs on: host CLOCK_MONOTONIC, or the virtual clock
 * stepped to its next deadlines), then read register C, which says why
 * and lowers the line. Waiting for the level, not for a new raise line,
 * cannot miss a flag set between the last read and this wait.
 */
static int next_interrupt(struct rtc *r, int timeout_ms, double *t, uint8_t *flags)
{
	if (hvt_qtest_has_clock(r->q)) {
		int64_t now = 0;
		int steps = 0;

		if (hvt_qtest_clock_step(r->q, 0, &now, &r->err))
			return r->err.code;
		while (!hvt_qtest_irq_level(r->q, RTC_IRQ)) {
			if (++steps > 100000)
				return hvt_err_set(&r->err, -ETIMEDOUT,
						   "no RTC interrupt in %d steps of the virtual clock "
						   "(the RTC follows it with -rtc clock=vm)", steps);
			if (hvt_qtest_clock_step(r->q, -1, &now, &r->err))
				return r->err.code;
		}
		*t = (double)now / 1e9;
	} else {
		if (hvt_qtest_irq_wait(r->q, RTC_IRQ, true, timeout_ms, &r->err))
			return r->err.code;
		*t = hvt_now();
	}
	return cmos_read(r, REG_C, flags);
}

/*
 * A span of the RTC's own time against the machine's clock: `seconds` RTC
 * seconds took `span` seconds. Passes when the ratio is within tol of 1;
 * an RTC at half speed gives 0.5.
 */
static void check_seconds(struct hvt_case *c, struct rtc *r, const char *name, double seconds,
			  double span, double tol, const char *what)
{
	double ratio = span > 0 ? seconds / span : 0;

	hvt_case_metric(c, "rtc_second_ratio", ratio, "");
	hvt_case_check(c, name, fabs(ratio - 1) <= tol,
		       "%s: %.0f RTC s in %.4f s of %s time, ratio %.4f (tolerance %.3f)", what,
		       seconds, span, hvt_qtest_has_clock(r->q) ? "virtual" : "host monotonic",
		       ratio, tol);
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

/* Intervals between PF reads, summed over the stretches where the client kept up. */
struct kept_up {
	double period;		/* expected, in seconds */
	double first, last;	/* the current stretch's first and last PF read */
	long n;			/* its intervals; -1 before the first PF read */
	double span;		/* totals of the stretches of STRETCH_MIN intervals or more */
	long intervals;
};

static void kept_up_end(struct kept_up *k)
{
	if (k->n >= STRETCH_MIN) {
		k->span += k->last - k->first;
		k->intervals += k->n;
	}
	k->n = 0;
}

static void kept_up_add(struct kept_up *k, double t)
{
	if (k->n >= 0 && t - k->last < STRETCH_GAP * k->period) {
		k->n++;
	} else {
		kept_up_end(k);
		k->first = t;
	}
	k->last = t;
}

/* Rate select n of register A gives 32768 >> (n - 1) Hz, n = 3..15; 0 for other rates. */
static int rate_select(long long rate)
{
	for (int n = 3; n <= 15; n++)
		if (32768 >> (n - 1) == rate)
			return n;
	return 0;
}

/*
 * Periodic interrupts counted against the RTC's own seconds. PIE and UIE
 * share the line; each interrupt is acknowledged by reading register C,
 * whose PF and UF flags say which came. The PF flags read after the first
 * update-ended interrupt, up to and including the read that shows the
 * (seconds + 1)-th, are the periods of `seconds` RTC seconds: rate *
 * seconds, give or take the one period that can share a read with the
 * first or the last UF. A flag set twice before it is read is seen once,
 * so at rates the client cannot follow, periods go missing (rtc_max_loss);
 * a wrong divider changes the count by the ratio of the rates. Above
 * SEES_EVERY_HZ, where a loaded host loses many periods, the rate over the
 * stretches where the client kept up tells the divider (struct kept_up).
 */
static void periodic(struct hvt_case *c, struct rtc *r)
{
	long long rate, prog, secs, expected, lo, hi, uf = 0;
	double tol, max_loss, t = 0, t0 = 0, t1 = 0, t_prev = 0, gap = 0;
	unsigned long long pf = 0, reads = 0, bad = 0;
	struct kept_up k = { .n = -1 };
	const char *wrong;
	uint8_t v;
	int ret;

	need(c, r, hvt_case_param_int(c, "rtc_rate", 64, &rate, &r->err) ||
		   hvt_case_param_int(c, "rtc_program_rate", rate, &prog, &r->err) ||
		   hvt_case_param_int(c, "rtc_seconds", 2, &secs, &r->err) ||
		   hvt_case_param_double(c, "rtc_tolerance", 0.02, &tol, &r->err) ||
		   hvt_case_param_double(c, "rtc_max_loss", 0, &max_loss, &r->err));
	if (!rate_select(rate) || !rate_select(prog))
		hvt_case_fatal(c, "rtc_rate %lld, rtc_program_rate %lld: the RTC has the powers of 2 "
			       "from 2 Hz to 8192 Hz", rate, prog);
	if (secs < 1 || secs > 60 || !(max_loss >= 0 && max_loss <= 1) || !(tol > 0))
		hvt_case_fatal(c, "rtc_seconds %lld (1..60), rtc_max_loss %g (0..1), "
			       "rtc_tolerance %g (> 0)", secs, max_loss, tol);
	k.period = 1.0 / (double)rate;
	wrong = prog != rate ? "; register A set for another rate" : "";
	/* Both interrupts on, then drop whatever was pending before. */
	need(c, r, cmos_write(r, REG_A, (uint8_t)(0x20 | rate_select(prog))) ||
		   cmos_write(r, REG_B, B_24H | B_PIE | B_UIE) || cmos_read(r, REG_C, &v));
	while (uf <= secs) {
		ret = next_interrupt(r, EVENT_WAIT_MS, &t, &v);
		if (ret == -ETIMEDOUT)
			hvt_case_require(c, "periodic-count", false, "after %lld RTC s and %llu "
					 "periodic interrupts: %s", uf ? uf - 1 : 0, pf, r->err.msg);
		need(c, r, ret);
		reads++;
		if (!(v & C_IRQF) || !(v & (C_PF | C_UF)))
			bad++;
		if (uf && t - t_prev > gap)
			gap = t - t_prev;
		t_prev = t;
		if ((v & C_PF) && uf) {
			pf++;
			kept_up_add(&k, t);
		}
		if (v & C_UF) {
			if (!uf)
				t0 = t;
			if (uf == secs)
				t1 = t;
			uf++;
		}
	}
	kept_up_end(&k);
	expected = rate * secs;
	lo = (long long)floor((double)expected * (1 - max_loss)) - 1;
	if (lo < 0)
		lo = 0;
	hi = expected + 1;
	hvt_case_metric(c, "interrupts", (double)pf, "");
	hvt_case_metric(c, "delivered_ratio", (double)pf / (double)expected, "");
	hvt_case_metric(c, "longest_gap", gap * 1000, "ms");
	if (rate <= SEES_EVERY_HZ) {
		/* The count is the RTC's here: its periodic rate against the machine's clock. */
		hvt_case_metric(c, "rate", (double)pf / (t1 - t0), "Hz");
		hvt_case_metric(c, "drift_ratio", (double)pf / (t1 - t0) / (double)rate, "");
	}
	hvt_case_check(c, "periodic-count", pf >= (unsigned long long)lo &&
		       pf <= (unsigned long long)hi,
		       "%llu periodic interrupts in %lld RTC s, %lld expected at %lld Hz, %lld..%lld "
		       "accepted (rtc_max_loss %.2f)%s", pf, secs, expected, rate, lo, hi, max_loss,
		       wrong);
	if (rate > SEES_EVERY_HZ) {
		double kept_rate = k.span > 0 ? (double)k.intervals / k.span : 0;

		hvt_case_metric(c, "kept_up_intervals", (double)k.intervals, "");
		hvt_case_metric(c, "kept_up_rate", kept_rate, "Hz");
		if (k.intervals < KEPT_UP_MIN)
			hvt_case_check(c, "periodic-rate", false,
				       "the client kept up for %ld intervals between periodic "
				       "interrupts (%d needed: each under %.2f periods, %d in a row "
				       "at least); %llu came in %.3f s, %.0f Hz, %lld Hz expected%s",
				       k.intervals, KEPT_UP_MIN, STRETCH_GAP, STRETCH_MIN, pf,
				       t1 - t0, (double)pf / (t1 - t0), rate, wrong);
		else
			hvt_case_check(c, "periodic-rate",
				       fabs(kept_rate / (double)rate - 1) <= RATE_TOLERANCE,
				       "%.0f Hz over %ld intervals between periodic interrupts where "
				       "the client kept up, %lld Hz expected within %.0f%%%s",
				       kept_rate, k.intervals, rate, RATE_TOLERANCE * 100, wrong);
	}
	check_seconds(c, r, "rtc-seconds", (double)secs, t1 - t0, tol, "update-ended interrupts");
	hvt_case_check(c, "interrupt-flags", bad == 0,
		       "%llu of %llu reads of register C after an interrupt lacked IRQF or had "
		       "neither PF nor UF", bad, reads);
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

	need(c, r, cmos_write(r, REG_B, (uint8_t)(B_24H | (bcd ? 0 : B_DM))) ||
		   read_time(r, bcd, &tm));
	host = time(NULL);
	rtc = timegm(&tm);
	diff = difftime(rtc, host);
	hvt_case_metric(c, "rtc_minus_host", diff, "s");
	hvt_case_check(c, "time-vs-host", fabs(diff) <= 2,
		       "RTC %04d-%02d-%02d %02d:%02d:%02d (%s), %+.0f s from the host's UTC",
		       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		       tm.tm_sec, mode, diff);
}

/*
 * The alarm, set 2 s after an update-ended interrupt (the start of an RTC
 * second), must fire 2 s later by the machine's clock, with AF.
 */
static void alarm_case(struct hvt_case *c, struct rtc *r)
{
	double tol, t0, t1;
	struct tm tm;
	uint8_t v = 0;
	int s, m, h, ret;

	need(c, r, hvt_case_param_double(c, "rtc_tolerance", 0.02, &tol, &r->err));
	need(c, r, cmos_write(r, REG_B, B_24H | B_DM | B_UIE) || cmos_read(r, REG_C, &v) ||
		   next_interrupt(r, EVENT_WAIT_MS, &t0, &v) || read_time(r, false, &tm));
	s = tm.tm_sec + 2;
	m = tm.tm_min + s / 60;
	h = (tm.tm_hour + m / 60) % 24;
	s %= 60;
	m %= 60;
	need(c, r, cmos_write(r, 1, (uint8_t)s) || cmos_write(r, 3, (uint8_t)m) ||
		   cmos_write(r, 5, (uint8_t)h) || cmos_write(r, REG_B, B_24H | B_DM | B_AIE) ||
		   cmos_read(r, REG_C, &v));
	ret = next_interrupt(r, 2 * EVENT_WAIT_MS, &t1, &v);
	if (ret == -ETIMEDOUT)
		hvt_case_require(c, "alarm-fires", false, "%s", r->err.msg);
	need(c, r, ret);
	hvt_case_metric(c, "alarm_after", t1 - t0, "s");
	hvt_case_check(c, "alarm-fires", (v & (C_AF | C_IRQF)) == (C_AF | C_IRQF),
		       "register C 0x%02x", v);
	check_seconds(c, r, "alarm-time", 2, t1 - t0, tol, "alarm 2 s after an update");
}

/*
 * UIP seen by polling register A, then two update-ended interrupts with UF,
 * one RTC second apart by the machine's clock.
 */
static void update_cycle(struct hvt_case *c, struct rtc *r)
{
	double end = hvt_now() + 3.5, tol, t0, t1, t2;
	uint64_t reads = 0;
	bool uip = false;
	uint8_t a, v;
	int ret;

	need(c, r, hvt_case_param_double(c, "rtc_tolerance", 0.02, &tol, &r->err));
	while (!uip && hvt_now() < end) {
		need(c, r, cmos_read(r, REG_A, &a));
		reads++;
		uip = a & A_UIP;
	}
	hvt_case_check(c, "uip-seen", uip, "UIP %sseen in %llu reads of register A",
		       uip ? "" : "not ", (unsigned long long)reads);
	t0 = hvt_now();
	need(c, r, cmos_write(r, REG_B, B_24H | B_UIE) || cmos_read(r, REG_C, &v));
	ret = next_interrupt(r, EVENT_WAIT_MS, &t1, &v);
	if (ret == -ETIMEDOUT)
		hvt_case_require(c, "update-interrupt", false, "%s", r->err.msg);
	need(c, r, ret);
	hvt_case_check(c, "update-interrupt", (v & (C_UF | C_IRQF)) == (C_UF | C_IRQF),
		       "after %.2f s, register C 0x%02x", hvt_now() - t0, v);
	ret = next_interrupt(r, EVENT_WAIT_MS, &t2, &v);
	if (ret == -ETIMEDOUT)
		hvt_case_require(c, "update-interval", false, "no second update: %s", r->err.msg);
	need(c, r, ret);
	check_seconds(c, r, "update-interval", 1, t2 - t1, tol, "two update-ended interrupts");
}

static void hour12(struct hvt_case *c, struct rtc *r)
{
	uint8_t h;

	/* Set 15:30:00 in 24 h BCD with SET held, then look at it in 12 h. */
	need(c, r, cmos_write(r, REG_B, B_SET | B_24H) || cmos_write(r, 4, to_bcd(15)) ||
		   cmos_write(r, 2, to_bcd(30)) || cmos_write(r, 0, 0) ||
		   cmos_write(r, REG_B, B_24H) || cmos_read(r, 4, &h));
	hvt_case_check(c, "24h-hour", h == 0x15, "hour register 0x%02x, expected 0x15", h);
	need(c, r, cmos_write(r, REG_B, 0) || cmos_read(r, 4, &h));
	hvt_case_check(c, "12h-pm", h == 0x83, "hour register 0x%02x in 12 h mode, expected 0x83 "
		       "(PM bit + 3)", h);
	/* Write 1 AM in 12 h mode; 24 h mode shows 01. Then 12 AM (midnight) is 00. */
	need(c, r, cmos_write(r, REG_B, B_SET) || cmos_write(r, 4, 0x01) ||
		   cmos_write(r, REG_B, B_24H) || cmos_read(r, 4, &h));
	hvt_case_check(c, "12h-am-write", h == 0x01, "hour 0x%02x, expected 0x01", h);
	need(c, r, cmos_write(r, REG_B, B_SET) || cmos_write(r, 4, 0x12) ||
		   cmos_write(r, REG_B, B_24H) || cmos_read(r, 4, &h));
	hvt_case_check(c, "12h-midnight", h == 0x00, "12 AM reads 0x%02x in 24 h mode, expected 0x00",
		       h);
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
