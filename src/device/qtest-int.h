/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seam between the qtest protocol client (qtest.c) and what owns the
 * QEMU at the other end of its socket (qtest-machine.c). The client knows
 * the owner only through these functions, so that the protocol stands,
 * and can be fuzzed, without processes. Not installed.
 */
#ifndef HVT_QTEST_INT_H
#define HVT_QTEST_INT_H

#include "qtest.h"

/* ---- the protocol's text (qtest-syntax.c) ---- */

/* The longest memory access QEMU is asked for (a check of ours, not QEMU's limit). */
#define HVT_QTEST_MAX_MEM_LEN (256u << 20)

/* The value an "OK" reply carries, and where it goes. */
enum hvt_qtest_decode {
	HVT_QTEST_DEC_NONE,	/* "OK" */
	HVT_QTEST_DEC_UINT,	/* "OK 0x..." into a 1/2/4/8-byte integer */
	HVT_QTEST_DEC_B64,	/* "OK <base64>" into len bytes */
	HVT_QTEST_DEC_HEX,	/* "OK 0x<hex>" into len bytes */
	HVT_QTEST_DEC_CLOCK,	/* "OK <decimal ns>" into an int64_t (dst may be NULL) */
	HVT_QTEST_DEC_ENDIAN,	/* "OK little|big" into a bool (true: big) */
	HVT_QTEST_DEC_RAW,	/* the whole line, strdup'ed into a char ** (the client's) */
};

/*
 * Decode what follows "OK" (rest, rest_len) as dec says into dst (width:
 * the integer's bytes; len: the buffer's). 0, or -EPROTO for a value
 * that does not fit (dst is then unchanged, but for partial hex).
 */
int hvt_qtest_decode(enum hvt_qtest_decode dec, unsigned int width, void *dst, size_t len,
		     const char *rest, size_t rest_len);
/* One non-empty line of printable text. */
bool hvt_qtest_printable_line(const char *s);
/* A QOM path or a GPIO name: one printable word; -EINVAL naming what otherwise. */
int hvt_qtest_check_word(const char *what, const char *s, struct hvt_err *err);

/* ---- the client and its owner (qtest.c, qtest-machine.c) ---- */

struct hvt_qtest_owner_ops {
	/* The connection broke (err says how): add how the process ended. */
	void (*lost)(void *owner, struct hvt_err *err);
	/*
	 * hvt_qtest_quit(): end the process within timeout_ms (0: a default)
	 * and say how it ended, as hvt_qtest_quit() returns it.
	 */
	int (*stop)(void *owner, int timeout_ms, struct hvt_err *err);
	/* hvt_qtest_free(), after stop: free the owner. */
	void (*release)(void *owner);
};

/*
 * Give q an owner (called once, right after hvt_qtest_open_fd()); accel
 * is the accelerator the machine runs ("qtest" has the virtual clock).
 */
void hvt_qtest_set_owner(struct hvt_qtest *q, const struct hvt_qtest_owner_ops *ops,
			 void *owner, const char *accel);
/* q's owner if ops are its operations, else NULL. */
void *hvt_qtest_owner(const struct hvt_qtest *q, const struct hvt_qtest_owner_ops *ops);
/* True when q's owner runs the machine without the virtual clock (under TCG). */
bool hvt_qtest_no_clock(const struct hvt_qtest *q);

#endif
