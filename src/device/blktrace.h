/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block traces: the requests a workload made of a disk (offset, length,
 * operation, order, optionally when), read from fio's iolog (versions 2
 * and 3), from blkparse's text output (or the kernel's block tracer in its
 * classic form) and from hvtest's own form, which is also written here.
 * The formats are described in docs/BLKTRACE.md.
 */
#ifndef HVT_BLKTRACE_H
#define HVT_BLKTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum hvt_blktrace_op {
	HVT_BLKTRACE_READ,
	HVT_BLKTRACE_WRITE,
	HVT_BLKTRACE_FLUSH,
	HVT_BLKTRACE_DISCARD,
	HVT_BLKTRACE_WRITE_ZEROES,
};

/* "read", "write", "flush", "discard", "write-zeroes" */
const char *hvt_blktrace_op_name(enum hvt_blktrace_op op);
/* The op named name; -EINVAL for another word. */
int hvt_blktrace_op_parse(const char *name, enum hvt_blktrace_op *op);
/* Whether op changes what the disk holds (write, discard, write-zeroes). */
bool hvt_blktrace_op_modifies(enum hvt_blktrace_op op);

struct hvt_blktrace_req {
	enum hvt_blktrace_op op;
	bool unmap;		/* write-zeroes: the device may deallocate the range */
	uint64_t offset, len;	/* bytes; both 0 for a flush */
	uint64_t t_us;		/* microseconds since the trace's start (when timed) */
	unsigned int line;	/* line of the trace file it came from */
};

enum hvt_blktrace_format {
	HVT_BLKTRACE_AUTO,	/* told apart by the first line that is not blank */
	HVT_BLKTRACE_HVTEST,
	HVT_BLKTRACE_FIO,	/* fio iolog, version 2 or 3 */
	HVT_BLKTRACE_BLKPARSE,	/* blkparse text, or the kernel's blk tracer (blk_classic) */
};

/* "auto", "hvtest", "fio", "blkparse" */
const char *hvt_blktrace_format_name(enum hvt_blktrace_format f);
int hvt_blktrace_format_parse(const char *name, enum hvt_blktrace_format *f);

/*
 * A trace: its requests in the order they were issued, which is the order
 * they are replayed in. A request's number is its index + 1; what a replay
 * writes depends on it (blkmodel.h).
 */
struct hvt_blktrace {
	struct hvt_blktrace_req *reqs;
	size_t n, alloc;
	bool timed;		/* every request has a time (t_us) */
	uint64_t size;		/* bytes of the disk it was recorded on; 0: not known */
	char *source;		/* where it came from (free text, one line), or NULL */
	enum hvt_blktrace_format format;	/* what it was read from */
	/* lines of the trace that are no request of the replayed kind (see opts) */
	size_t skipped;
};

#define HVT_BLKTRACE_INIT { NULL, 0, 0, false, 0, NULL, HVT_BLKTRACE_AUTO, 0 }

/* Free what t holds and make it empty again (HVT_BLKTRACE_INIT). */
void hvt_blktrace_release(struct hvt_blktrace *t);
/* Append a copy of r. */
void hvt_blktrace_add(struct hvt_blktrace *t, const struct hvt_blktrace_req *r);

struct hvt_blktrace_opts {
	enum hvt_blktrace_format format;
	/*
	 * Which disk's requests, when a trace holds several: fio's file name
	 * or blkparse's device ("8,16"). NULL: the trace must name one only.
	 */
	const char *select;
	/*
	 * blkparse: the action whose lines are the requests ("D", issued to
	 * the driver, when NULL or ""; "Q" or "C" are the others that make
	 * sense). Other actions' lines are counted in skipped.
	 */
	const char *action;
};

/*
 * Read a trace from text (len bytes, need not end in a newline or a NUL)
 * into t, which must be empty; name is the file name errors start with.
 * Returns 0, or -EINVAL with err saying "NAME:LINE: " and what was
 * expected there; t is then empty again. Requests are checked as far as
 * the format allows: lengths above 0 (a flush has none), offset + length
 * within 2^63, times that never go back. Limits: HVT_BLKTRACE_MAX_REQS
 * requests, HVT_BLKTRACE_MAX_LEN bytes per request.
 */
int hvt_blktrace_parse(struct hvt_blktrace *t, const char *name, const char *text, size_t len,
		       const struct hvt_blktrace_opts *opts, struct hvt_err *err);
/* hvt_blktrace_parse() on the file at path (opts may be NULL: auto). */
int hvt_blktrace_load(struct hvt_blktrace *t, const char *path,
		      const struct hvt_blktrace_opts *opts, struct hvt_err *err);

#define HVT_BLKTRACE_MAX_REQS 4000000
#define HVT_BLKTRACE_MAX_LEN  (1ull << 32)

/*
 * t in hvtest's form, appended to out: "hvtest blktrace 1", the size and
 * source lines when known, then one line per request. Reading it back
 * gives the same requests (their line numbers aside).
 */
void hvt_blktrace_format(const struct hvt_blktrace *t, struct hvt_buf *out);
/* The same written to path (replaced whole). */
int hvt_blktrace_write(const struct hvt_blktrace *t, const char *path, struct hvt_err *err);

/*
 * A disk's size as options give it: "65536", "64M" (K, M, G, T: powers of
 * 1024) into bytes. -EINVAL unless it is a size above 0 in whole 512-byte
 * sectors.
 */
int hvt_blktrace_size_parse(const char *s, uint64_t *bytes);

/* Sums over a trace, for summaries and metrics. */
struct hvt_blktrace_stats {
	size_t count[HVT_BLKTRACE_WRITE_ZEROES + 1];	/* requests per op */
	uint64_t bytes[HVT_BLKTRACE_WRITE_ZEROES + 1];	/* bytes per op */
	uint64_t end;		/* the highest offset + length */
	uint64_t max_len;	/* the longest read or write */
	uint64_t span_us;	/* the last request's time (timed traces) */
};

void hvt_blktrace_stats(const struct hvt_blktrace *t, struct hvt_blktrace_stats *s);

#endif
