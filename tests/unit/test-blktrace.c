// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of block traces: the readers of hvtest's form, fio's iolog
 * (v2, v3) and blkparse text (blkparse's own columns and the kernel
 * tracer's classic ones, as the guest capture reads them), their errors
 * with file and line, the writer read back, and the model of what a trace
 * does to a disk checked against the same trace applied to a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "blkmodel.h"
#include "blktrace.h"

static int parse(struct hvt_blktrace *t, const char *text, const struct hvt_blktrace_opts *o,
		 struct hvt_err *err)
{
	*t = (struct hvt_blktrace)HVT_BLKTRACE_INIT;
	return hvt_blktrace_parse(t, "t.trace", text, strlen(text), o, err);
}

/* The text must be refused with exactly this message. */
static void refused(const char *text, const struct hvt_blktrace_opts *o, const char *msg)
{
	struct hvt_blktrace t;
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(parse(&t, text, o, &err), -EINVAL);
	if (strcmp(err.msg, msg))
		fail_msg("for\n%s\nexpected: %s\n     got: %s", text, msg, err.msg);
	assert_int_equal(t.n, 0);
	assert_null(t.reqs);
}

static void assert_req(const struct hvt_blktrace_req *q, enum hvt_blktrace_op op,
		       uint64_t offset, uint64_t len, uint64_t t_us, unsigned int line)
{
	if (q->op != op || q->offset != offset || q->len != len || q->t_us != t_us ||
	    q->line != line)
		fail_msg("got %s %llu %llu at %llu us, line %u; expected %s %llu %llu at %llu us, "
			 "line %u", hvt_blktrace_op_name(q->op), (unsigned long long)q->offset,
			 (unsigned long long)q->len, (unsigned long long)q->t_us, q->line,
			 hvt_blktrace_op_name(op), (unsigned long long)offset,
			 (unsigned long long)len, (unsigned long long)t_us, line);
}

/* ---- hvtest's form ---- */

static const char own[] =
	"# a comment before the header\n"
	"\n"
	"hvtest blktrace 1\n"
	"size 8388608\n"
	"source hand made, with words\n"
	"# times in microseconds\n"
	"100 write 0 4096\n"
	"150 read 0x1000 512\n"
	"150 flush\n"
	"  200\tdiscard 1048576 65536\r\n"
	"300 write-zeroes 2097152 8192 unmap\n"
	"310 write-zeroes 2097152 512\n";

static void test_own(void **state)
{
	struct hvt_blktrace t;
	struct hvt_err err = HVT_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&t, own, NULL, &err), 0);
	assert_int_equal(t.format, HVT_BLKTRACE_HVTEST);
	assert_int_equal(t.n, 6);
	assert_true(t.timed);
	assert_int_equal(t.size, 8388608);
	assert_string_equal(t.source, "hand made, with words");
	/* times count from the first request */
	assert_req(&t.reqs[0], HVT_BLKTRACE_WRITE, 0, 4096, 0, 7);
	assert_req(&t.reqs[1], HVT_BLKTRACE_READ, 4096, 512, 50, 8);
	assert_req(&t.reqs[2], HVT_BLKTRACE_FLUSH, 0, 0, 50, 9);
	assert_req(&t.reqs[3], HVT_BLKTRACE_DISCARD, 1048576, 65536, 100, 10);
	assert_req(&t.reqs[4], HVT_BLKTRACE_WRITE_ZEROES, 2097152, 8192, 200, 11);
	assert_true(t.reqs[4].unmap);
	assert_false(t.reqs[5].unmap);
	hvt_blktrace_release(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.reqs);
}

static void test_own_untimed_and_roundtrip(void **state)
{
	struct hvt_blktrace t, u;
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	char path[] = "/tmp/hvt-test-blktrace-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(parse(&t, "hvtest blktrace 1\n- write 0 512\n- flush\n- read 0 512\n",
			       NULL, &err), 0);
	assert_false(t.timed);
	assert_null(t.source);
	hvt_blktrace_format(&t, &b);
	assert_string_equal(b.p, "hvtest blktrace 1\n- write 0 512\n- flush\n- read 0 512\n");
	hvt_buf_release(&b);
	hvt_blktrace_release(&t);
	/* every request and header field comes back from the file written */
	assert_int_equal(parse(&t, own, NULL, &err), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(hvt_blktrace_write(&t, path, &err), 0);
	u = (struct hvt_blktrace)HVT_BLKTRACE_INIT;
	assert_int_equal(hvt_blktrace_load(&u, path, NULL, &err), 0);
	unlink(path);
	assert_int_equal(u.n, t.n);
	assert_int_equal(u.size, t.size);
	assert_true(u.timed);
	assert_string_equal(u.source, t.source);
	for (size_t i = 0; i < t.n; i++) {
		assert_int_equal(u.reqs[i].op, t.reqs[i].op);
		assert_int_equal(u.reqs[i].offset, t.reqs[i].offset);
		assert_int_equal(u.reqs[i].len, t.reqs[i].len);
		assert_int_equal(u.reqs[i].t_us, t.reqs[i].t_us);
		assert_int_equal(u.reqs[i].unmap, t.reqs[i].unmap);
	}
	hvt_blktrace_release(&t);
	hvt_blktrace_release(&u);
	/* a source with a newline stays one line */
	t = (struct hvt_blktrace)HVT_BLKTRACE_INIT;
	t.source = hvt_strdup("two\nlines");
	hvt_blktrace_add(&t, &(struct hvt_blktrace_req){ .op = HVT_BLKTRACE_FLUSH });
	hvt_blktrace_format(&t, &b);
	assert_string_equal(b.p, "hvtest blktrace 1\nsource two lines\n- flush\n");
	hvt_buf_release(&b);
	hvt_blktrace_release(&t);
	assert_int_equal(hvt_blktrace_load(&u, "/nonexistent/t.trace", NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "trace /nonexistent/t.trace"));
}

static void test_own_errors(void **state)
{
	(void)state;
	refused("hvtest blktrace 2\n", NULL, "t.trace:1: expected version 1, got '2'");
	refused("hvtest blktrace 1\n0 wrte 0 512\n", NULL, "t.trace:2: expected an operation "
		"(read, write, flush, discard, write-zeroes), got 'wrte'");
	refused("hvtest blktrace 1\n0 write 0\n", NULL,
		"t.trace:2: expected a length in bytes, got the end of the line");
	refused("hvtest blktrace 1\n0 write x 512\n", NULL,
		"t.trace:2: expected an offset in bytes, got 'x'");
	refused("hvtest blktrace 1\n0 write -1 512\n", NULL,
		"t.trace:2: expected an offset in bytes, got '-1'");
	refused("hvtest blktrace 1\n0 read 0 0\n", NULL,
		"t.trace:2: a read of 0 bytes: expected a length above 0");
	refused("hvtest blktrace 1\n0 read 9223372036854775296 1024\n", NULL,
		"t.trace:2: offset 9223372036854775296 + length 1024 goes past 2^63 bytes");
	refused("hvtest blktrace 1\n0 read 0 8589934592\n", NULL,
		"t.trace:2: a read of 8589934592 bytes: at most 4294967296 bytes per request");
	refused("hvtest blktrace 1\n5 read 0 512\n4 read 0 512\n", NULL,
		"t.trace:3: time 4 us goes back before the request before (5 us): expected "
		"times in issue order");
	refused("hvtest blktrace 1\n5 read 0 512\n- read 0 512\n", NULL,
		"t.trace:3: no time, but the requests before have one");
	refused("hvtest blktrace 1\n- read 0 512\n5 read 0 512\n", NULL,
		"t.trace:3: a time, but the requests before have none");
	refused("hvtest blktrace 1\n0 read 0 512 unmap\n", NULL,
		"t.trace:2: expected the end of the line, got 'unmap'");
	refused("hvtest blktrace 1\n0 write-zeroes 0 512 map\n", NULL,
		"t.trace:2: expected 'unmap' or the end of the line, got 'map'");
	refused("hvtest blktrace 1\n0 flush 0 512\n", NULL,
		"t.trace:2: expected the end of the line, got '0'");
	refused("hvtest blktrace 1\n0 read 0 512\nsize 1024\n", NULL,
		"t.trace:3: a second size, or one after a request: expected one size line "
		"before the first request");
	refused("hvtest blktrace 1\nsize 1000\n", NULL,
		"t.trace:2: size 1000: expected a multiple of 512 above 0");
	refused("hvtest blktrace 1\nwhen read 0 512\n", NULL, "t.trace:2: expected a time in "
		"microseconds, '-', 'size' or 'source', got 'when'");
	refused("hvtest blktrace 1\n# nothing\n", NULL, "t.trace: no request in the trace");
	refused("", &(struct hvt_blktrace_opts){ HVT_BLKTRACE_HVTEST, NULL, NULL },
		"t.trace:0: expected 'hvtest blktrace 1', got the end of the file");
	{
		static const char nul[] = "hvtest blktrace 1\n0 read 0 512\0\n";
		struct hvt_blktrace t = HVT_BLKTRACE_INIT;
		struct hvt_err err = HVT_ERR_INIT;

		assert_int_equal(hvt_blktrace_parse(&t, "t.trace", nul, sizeof(nul) - 1, NULL, &err),
				 -EINVAL);
		assert_string_equal(err.msg, "t.trace: a NUL byte: expected a text file");
	}
	/* a long word is cut in the message */
	refused("hvtest blktrace 1\n0 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0 1\n",
		NULL, "t.trace:2: expected an operation (read, write, flush, discard, "
		"write-zeroes), got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}

/* ---- fio iolog ---- */

static void test_fio_v2(void **state)
{
	struct hvt_blktrace t;
	struct hvt_err err = HVT_ERR_INIT;

	(void)state;
	/* waits make it timed: each request at the sum of the waits before */
	assert_int_equal(parse(&t, "fio version 2 iolog\n"
				   "/dev/vdb add\n/dev/vdb open\n"
				   "/dev/vdb write 0 4096\n"
				   "/dev/vdb wait 2000 0\n"
				   "/dev/vdb read 4096 8192\n"
				   "/dev/vdb sync 4096 0\n"
				   "/dev/vdb wait 500\n"
				   "/dev/vdb trim 1048576 65536\n"
				   "/dev/vdb datasync\n"
				   "/dev/vdb close\n", NULL, &err), 0);
	assert_int_equal(t.format, HVT_BLKTRACE_FIO);
	assert_true(t.timed);
	assert_int_equal(t.n, 5);
	assert_req(&t.reqs[0], HVT_BLKTRACE_WRITE, 0, 4096, 0, 4);
	assert_req(&t.reqs[1], HVT_BLKTRACE_READ, 4096, 8192, 2000, 6);
	assert_req(&t.reqs[2], HVT_BLKTRACE_FLUSH, 0, 0, 2000, 7);
	assert_req(&t.reqs[3], HVT_BLKTRACE_DISCARD, 1048576, 65536, 2500, 9);
	assert_req(&t.reqs[4], HVT_BLKTRACE_FLUSH, 0, 0, 2500, 10);
	hvt_blktrace_release(&t);
	/* without waits, no times */
	assert_int_equal(parse(&t, "fio version 2 iolog\nf add\nf write 0 512\nf read 0 512\n",
			       NULL, &err), 0);
	assert_false(t.timed);
	assert_int_equal(t.reqs[1].t_us, 0);
	hvt_blktrace_release(&t);
}

static void test_fio_v3(void **state)
{
	struct hvt_blktrace t;
	struct hvt_err err = HVT_ERR_INIT;

	(void)state;
	/* as Debian's fio 3.33 writes it (write_iolog): microseconds since the job began */
	assert_int_equal(parse(&t, "fio version 3 iolog\n"
				   "249 /tmp/f.dat add\n"
				   "839 /tmp/f.dat open\n"
				   "848 /tmp/f.dat read 61440 4096\n"
				   "2113 /tmp/f.dat write 491520 4096\n"
				   "2684 /tmp/f.dat sync 954368 0\n"
				   "131551 /tmp/f.dat close\n", NULL, &err), 0);
	assert_true(t.timed);
	assert_int_equal(t.n, 3);
	assert_req(&t.reqs[0], HVT_BLKTRACE_READ, 61440, 4096, 0, 4);
	assert_req(&t.reqs[1], HVT_BLKTRACE_WRITE, 491520, 4096, 1265, 5);
	assert_req(&t.reqs[2], HVT_BLKTRACE_FLUSH, 0, 0, 1836, 6);
	hvt_blktrace_release(&t);
}

static void test_fio_files(void **state)
{
	static const char two[] = "fio version 2 iolog\na add\nb add\na write 0 512\n"
				  "b write 512 512\na read 0 512\n";
	struct hvt_blktrace t;
	struct hvt_err err = HVT_ERR_INIT;

	(void)state;
	refused(two, NULL, "t.trace:5: requests for a second file 'b' after 'a': choose one "
		"(select)");
	assert_int_equal(parse(&t, two, &(struct hvt_blktrace_opts){ HVT_BLKTRACE_AUTO, "b",
								   NULL }, &err), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.skipped, 2);
	assert_req(&t.reqs[0], HVT_BLKTRACE_WRITE, 512, 512, 0, 5);
	hvt_blktrace_release(&t);
	refused(two, &(struct hvt_blktrace_opts){ HVT_BLKTRACE_AUTO, "c", NULL },
		"t.trace:6: no request for 'c' in the trace");
	refused("fio version 2 iolog\na write 0 512\n", NULL,
		"t.trace:2: 'write' on a file never added: expected 'FILE add' first");
	refused("fio version 2 iolog\na open\n", NULL,
		"t.trace:2: 'open' of a file never added: expected 'FILE add' first");
	refused("fio version 3 iolog\n1 a add\n2 a wait 100 0\n", NULL,
		"t.trace:3: expected an action (add, open, close, read, write, sync, datasync, "
		"trim), got 'wait'");
	refused("fio version 3 iolog\n5 a add\n4 a write 0 512\n", NULL,
		"t.trace:3: time 4 goes back before the line before (5): expected times in "
		"issue order");
	refused("fio version 3 iolog\na add\n", NULL,
		"t.trace:2: expected a time in microseconds, got 'a'");
	refused("fio version 2 iolog\na add\na write 0\n", NULL,
		"t.trace:3: expected a length in bytes, got the end of the line");
	refused("fio version 2 iolog\na add\na sync 0\n", NULL,
		"t.trace:3: expected 'OFFSET LENGTH' or the end of the line, got '0'");
	refused("fio version 4 iolog\n", NULL,
		"t.trace:1: expected 'fio version 2 iolog' or 'fio version 3 iolog', got "
		"'fio version 4 iolog'");
	refused("fio version 2 iolog\na add\n", NULL, "t.trace: no request in the trace");
}

/* ---- blkparse text ---- */

/* What the guest capture reads: the kernel's blk tracer with blk_classic (no sequence). */
static const char classic[] =
	"# tracer: blk\n"
	"#\n"
	"# DEV   CPU TIMESTAMP     PID ACT FLG\n"
	"#  |     |     |           |   |   |\n"
	"254,16   0    15.435794712   111  D  WS 3952 + 8 [ld-linux-x86-64]\n"
	"254,16   0    15.446332759   111  C  WS 3952 + 8 [0]\n"
	"254,16   0    15.496993777    37  D  FN [kworker/0:1H]\n"
	"254,16   0    15.845384537     0  C  FN 0 [0]\n"
	"254,16   0    16.000000000   111  D  DS 2048 + 2048 [fio]\n"
	"254,16   0    16.100000000   111  D   R 16376 + 8 [kworker/0:1H]\n"
	"254,16   0    16.200000000   111  P   N [dd]\n"
	"254,16   0    16.300000000   111 UT   N [dd] 1\n";

/* blkparse's default output: a sequence number, then its summary at the end. */
static const char blkparse[] =
	"  8,0    3        1     0.000000000   697  Q  WS 223490 + 8 [kjournald]\n"
	"  8,0    3        2     0.000001829   697  G  WS 223490 + 8 [kjournald]\n"
	"  8,0    3        3     0.000004093   697  D FWS 223498 + 8 [kjournald]\n"
	"  8,0    3        4     0.000005000   697  D WFS 223506 + 16 [kjournald]\n"
	"  8,0    3        5     0.000006000   697  D FWFS 0 + 0 [kjournald]\n"
	"  8,0    3        6     0.000007000   697  D   R 0 + 0 [kjournald]\n"
	"  8,0    3        7     0.000008000   697  D   R 20 (12 34 56) [scsi_id]\n"
	"  8,0    3        8     0.000009000   697  D   N 10 + 8 [drv]\n"
	"  8,0    3        9     0.000010000   697  D  RA 100 + 8 (     123) [cat]\n"
	"  8,0    3       10     0.000011000   697  D  WSM 200 + 8 [jbd2]\n"
	"  8,0    3       11     0.000012000   697  m   N cfq697 slice expired\n"
	"CPU3 (sda):\n"
	" Reads Queued:           0,        0KiB\t Writes Queued:           1,        4KiB\n"
	"Total (sda):\n"
	"Throughput (R/W): 0KiB/s / 0KiB/s\n"
	"Events (sda): 10 entries\n";

static void test_blkparse_classic(void **state)
{
	struct hvt_blktrace t;
	struct hvt_err err = HVT_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&t, classic, NULL, &err), 0);
	assert_int_equal(t.format, HVT_BLKTRACE_BLKPARSE);
	assert_true(t.timed);
	assert_int_equal(t.n, 4);
	assert_req(&t.reqs[0], HVT_BLKTRACE_WRITE, 3952 * 512, 8 * 512, 0, 5);
	assert_req(&t.reqs[1], HVT_BLKTRACE_FLUSH, 0, 0, 61199, 7);
	assert_req(&t.reqs[2], HVT_BLKTRACE_DISCARD, 2048 * 512, 2048 * 512, 564206, 9);
	assert_req(&t.reqs[3], HVT_BLKTRACE_READ, 16376 * 512, 8 * 512, 664206, 10);
	assert_int_equal(t.skipped, 4);
	hvt_blktrace_release(&t);
	/* completions instead */
	assert_int_equal(parse(&t, classic, &(struct hvt_blktrace_opts){ HVT_BLKTRACE_AUTO, NULL,
									"C" }, &err), 0);
	assert_int_equal(t.n, 2);
	assert_req(&t.reqs[1], HVT_BLKTRACE_FLUSH, 0, 0, 399052, 8);
	hvt_blktrace_release(&t);
}

static void test_blkparse(void **state)
{
	struct hvt_blktrace t;
	struct hvt_err err = HVT_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&t, blkparse, NULL, &err), 0);
	/* FWS: a flush, then the write; WFS (FUA): the write, then a flush; FWFS with no
	 * data: one flush; no data and no flush, passthrough and driver-private: nothing */
	assert_int_equal(t.n, 7);
	assert_req(&t.reqs[0], HVT_BLKTRACE_FLUSH, 0, 0, 0, 3);
	assert_req(&t.reqs[1], HVT_BLKTRACE_WRITE, 223498ull * 512, 4096, 0, 3);
	assert_req(&t.reqs[2], HVT_BLKTRACE_WRITE, 223506ull * 512, 8192, 1, 4);
	assert_req(&t.reqs[3], HVT_BLKTRACE_FLUSH, 0, 0, 1, 4);
	assert_req(&t.reqs[4], HVT_BLKTRACE_FLUSH, 0, 0, 2, 5);
	assert_req(&t.reqs[5], HVT_BLKTRACE_READ, 100 * 512, 4096, 6, 9);
	assert_req(&t.reqs[6], HVT_BLKTRACE_WRITE, 200 * 512, 4096, 7, 10);
	/* Q, G, m; R 0 + 0, the passthrough one, N with data */
	assert_int_equal(t.skipped, 6);
	hvt_blktrace_release(&t);
	/* queued requests, as fio replays blktraces */
	assert_int_equal(parse(&t, blkparse, &(struct hvt_blktrace_opts){ HVT_BLKTRACE_BLKPARSE,
									 NULL, "Q" }, &err), 0);
	assert_int_equal(t.n, 1);
	assert_req(&t.reqs[0], HVT_BLKTRACE_WRITE, 223490ull * 512, 4096, 0, 1);
	hvt_blktrace_release(&t);
}

static void test_blkparse_errors(void **state)
{
	static const char two[] = "8,0 0 1 0.1 1 D W 0 + 8 [a]\n8,16 0 2 0.2 1 D W 8 + 8 [a]\n";
	struct hvt_blktrace t;
	struct hvt_err err = HVT_ERR_INIT;

	(void)state;
	refused(two, NULL, "t.trace:2: a request for device 8,16 after requests for 8,0: choose "
		"one (select)");
	assert_int_equal(parse(&t, two, &(struct hvt_blktrace_opts){ HVT_BLKTRACE_AUTO, "8,16",
								   NULL }, &err), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.reqs[0].offset, 8 * 512);
	hvt_blktrace_release(&t);
	refused(two, &(struct hvt_blktrace_opts){ HVT_BLKTRACE_AUTO, "sda", NULL },
		"t.trace: device 'sda': expected MAJOR,MINOR (e.g. 8,16)");
	refused("garbage\n", NULL, "t.trace:1: expected a block trace: 'hvtest blktrace 1', "
		"'fio version 2|3 iolog' or blkparse's 'MAJOR,MINOR CPU SEQ SECONDS PID ACTION "
		"RWBS ...', got 'garbage'");
	refused("8,0 0 1 0.1 1 D W 0 + 8 [a]\nnot a line\n", NULL, "t.trace:2: expected "
		"'MAJOR,MINOR CPU SEQ SECONDS PID ACTION RWBS ...', got 'not a line'");
	refused("8,0 0 1 x 1 D W 0 + 8 [a]\n", NULL,
		"t.trace:1: expected a time in seconds (SECONDS.NANOSECONDS), got 'x'");
	refused("8,0 0 1 0.1 1 Z W 0 + 8 [a]\n", NULL,
		"t.trace:1: expected an action (Q M F G S R D C P U UT I X B A T m), got 'Z'");
	refused("8,0 0 1 0.1 1 D WQ 0 + 8 [a]\n", NULL,
		"t.trace:1: expected RWBS flags (R W D N, then F A S M), got 'WQ'");
	refused("8,0 0 1 0.1 1 D X 0 + 8 [a]\n", NULL,
		"t.trace:1: expected RWBS flags (R, W, D or N, after an optional F), got 'X'");
	refused("8,0 0 1 0.1 1 D DE 0 + 8 [a]\n", NULL,
		"t.trace:1: a secure erase (DE): no replayable operation: expected R, W, D or a "
		"flush");
	refused("8,0 0 1 0.1 1 D W 0 + x [a]\n", NULL,
		"t.trace:1: expected a count of sectors, got 'x'");
	refused("8,0 0 1 0.1 1 D W 0 - 8 [a]\n", NULL, "t.trace:1: expected '+ COUNT' or "
		"'[...]', got '-'");
	refused("8,0 0 1 0.2 1 D W 0 + 8 [a]\n8,0 0 2 0.1 1 D W 0 + 8 [a]\n", NULL,
		"t.trace:2: time 100000 us goes back before the request before (200000 us): "
		"expected times in issue order");
	refused("8,0 0 1 0.1 1 D W 0 + 8 [a]\nCPU:0 [LOST 12 EVENTS]\n", NULL,
		"t.trace:2: the tracer lost events: the trace is not whole");
	refused("8,0 0 1 0.1 1 Q W 0 + 8 [a]\n", NULL,
		"t.trace: no request in the trace (only lines of other actions, devices or "
		"files)");
	refused("# tracer: blk\n", &(struct hvt_blktrace_opts){ HVT_BLKTRACE_BLKPARSE, NULL, NULL },
		"t.trace:1: expected blkparse lines ('MAJOR,MINOR CPU SEQ SECONDS PID ACTION "
		"RWBS ...'), got none");
}

static void test_names_and_stats(void **state)
{
	struct hvt_blktrace t;
	struct hvt_blktrace_stats s;
	struct hvt_err err = HVT_ERR_INIT;
	enum hvt_blktrace_op op;
	enum hvt_blktrace_format f;

	(void)state;
	for (int i = HVT_BLKTRACE_READ; i <= HVT_BLKTRACE_WRITE_ZEROES; i++) {
		assert_int_equal(hvt_blktrace_op_parse(hvt_blktrace_op_name(i), &op), 0);
		assert_int_equal(op, i);
	}
	assert_int_equal(hvt_blktrace_op_parse("trim", &op), -EINVAL);
	assert_int_equal(hvt_blktrace_format_parse("fio", &f), 0);
	assert_int_equal(f, HVT_BLKTRACE_FIO);
	assert_int_equal(hvt_blktrace_format_parse("iolog", &f), -EINVAL);
	assert_true(hvt_blktrace_op_modifies(HVT_BLKTRACE_DISCARD));
	assert_false(hvt_blktrace_op_modifies(HVT_BLKTRACE_FLUSH));
	assert_int_equal(parse(&t, own, NULL, &err), 0);
	hvt_blktrace_stats(&t, &s);
	assert_int_equal(s.count[HVT_BLKTRACE_WRITE_ZEROES], 2);
	assert_int_equal(s.bytes[HVT_BLKTRACE_DISCARD], 65536);
	assert_int_equal(s.end, 2097152 + 8192);
	assert_int_equal(s.max_len, 4096);
	assert_int_equal(s.span_us, 210);
	hvt_blktrace_release(&t);
}

static void test_size_parse(void **state)
{
	static const char *const bad[] = { "", "M", "-512", "100", "0", "0M", "16MB", "16 M",
					   "16X", "18446744073709551616", "17179869184T", NULL };
	uint64_t v = 7;

	(void)state;
	assert_int_equal(hvt_blktrace_size_parse("65536", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(hvt_blktrace_size_parse("64M", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(hvt_blktrace_size_parse("1k", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(hvt_blktrace_size_parse("2T", &v), 0);
	assert_int_equal(v, 2ull << 40);
	for (int i = 0; bad[i]; i++) {
		v = 7;
		if (hvt_blktrace_size_parse(bad[i], &v) != -EINVAL || v != 7)
			fail_msg("'%s' taken as %llu", bad[i], (unsigned long long)v);
	}
}

/* ---- the model ---- */

static void test_pattern(void **state)
{
	uint8_t buf[4096], zero[512] = { 0 };
	uint32_t req = 0;
	char d[64];

	(void)state;
	hvt_blkmodel_fill(buf, 8192, sizeof(buf), 7);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(hvt_blkmodel_decode(buf + i * 512, 8192 + i * 512, &req),
				 HVT_BLKMODEL_DATA);
		assert_int_equal(req, 7);
	}
	assert_memory_equal(buf, "HVTB\x07\0\0\0\x10\0\0\0\0\0\0\0", 16);
	/* the same request at another sector, or another request, differs */
	assert_int_equal(hvt_blkmodel_decode(buf, 8192 + 512, &req), HVT_BLKMODEL_OTHER);
	assert_memory_not_equal(buf, buf + 512, 512);
	{
		uint8_t other[512];

		hvt_blkmodel_fill(other, 8192, 512, 8);
		assert_memory_not_equal(buf + 16, other + 16, 496);
	}
	buf[300] ^= 1;
	assert_int_equal(hvt_blkmodel_decode(buf, 8192, &req), HVT_BLKMODEL_OTHER);
	assert_int_equal(hvt_blkmodel_decode(zero, 0, &req), HVT_BLKMODEL_ZEROS);
	assert_string_equal(hvt_blkmodel_describe(zero, 0, d, sizeof(d)), "zeros");
	assert_string_equal(hvt_blkmodel_describe(buf + 512, 8704, d, sizeof(d)),
			    "the data of request 7");
}

static void test_model(void **state)
{
	struct hvt_blkmodel m;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_blktrace_req w = { .op = HVT_BLKTRACE_WRITE, .offset = 0, .len = 4096 };
	struct hvt_blktrace_req z = { .op = HVT_BLKTRACE_WRITE_ZEROES, .offset = 1024, .len = 1024 };
	struct hvt_blktrace_req d = { .op = HVT_BLKTRACE_DISCARD, .offset = 2048, .len = 8192 };
	struct hvt_blktrace_req past = { .op = HVT_BLKTRACE_WRITE, .offset = 16384, .len = 512 };
	uint8_t data[4096], want[512];
	uint64_t first = 0, unchecked = 0;

	(void)state;
	assert_int_equal(hvt_blkmodel_init(&m, 1000, true, &err), -EINVAL);
	assert_int_equal(hvt_blkmodel_init(&m, HVT_BLKMODEL_MAX_SIZE + 512, true, &err), -E2BIG);
	assert_int_equal(hvt_blkmodel_init(&m, 16384, true, &err), 0);
	assert_false(hvt_blkmodel_fits(&m, &past));
	assert_true(hvt_blkmodel_fits(&m, &(struct hvt_blktrace_req){ .op = HVT_BLKTRACE_READ,
								       .offset = 15872, .len = 512 }));
	assert_false(hvt_blkmodel_fits(&m, &(struct hvt_blktrace_req){ .op = HVT_BLKTRACE_READ,
									.offset = 15872, .len = 1024 }));
	hvt_blkmodel_apply(&m, &w, 1);
	hvt_blkmodel_apply(&m, &z, 2);
	hvt_blkmodel_apply(&m, &d, 3);
	hvt_blkmodel_apply(&m, &past, 4);
	assert_int_equal(hvt_blkmodel_owner(&m, 0), 1);
	assert_int_equal(hvt_blkmodel_owner(&m, 2), HVT_BLKMODEL_ZEROED);
	assert_int_equal(hvt_blkmodel_owner(&m, 4), HVT_BLKMODEL_UNSPEC);
	assert_int_equal(hvt_blkmodel_owner(&m, 19), HVT_BLKMODEL_UNSPEC);
	assert_int_equal(hvt_blkmodel_owner(&m, 20), HVT_BLKMODEL_INITIAL);
	assert_int_equal(hvt_blkmodel_owner(&m, 99), HVT_BLKMODEL_UNSPEC);
	assert_int_equal(hvt_blkmodel_owner(&m, 30), HVT_BLKMODEL_INITIAL);
	assert_true(hvt_blkmodel_expect(&m, 30, want));
	assert_false(hvt_blkmodel_expect(&m, 4, want));
	/* a read of the first 4 KiB as the device should return it */
	hvt_blkmodel_fill(data, 0, 4096, 1);
	memset(data + 1024, 0, 1024);
	memset(data + 2048, 0xAB, 2048);	/* discarded: anything goes */
	assert_int_equal(hvt_blkmodel_check(&m, 0, data, 4096, &first, &unchecked), 0);
	assert_int_equal(unchecked, 4);
	data[600] ^= 0xff;
	assert_int_equal(hvt_blkmodel_check(&m, 0, data, 4096, &first, NULL), 1);
	assert_int_equal(first, 1);
	hvt_blkmodel_release(&m);
	/* an image whose content is not known: unwritten sectors are not checked */
	assert_int_equal(hvt_blkmodel_init(&m, 4096, false, &err), 0);
	assert_false(hvt_blkmodel_expect(&m, 0, want));
	hvt_blkmodel_release(&m);
}

struct ranges {
	uint64_t off[8], len[8];
	int n;
};

static void collect(void *opaque, uint64_t off, uint64_t len)
{
	struct ranges *r = opaque;

	assert_true(r->n < 8);
	r->off[r->n] = off;
	r->len[r->n++] = len;
}

/* The file the trace is applied to holds what the model expects, everywhere. */
static void test_apply_file(void **state)
{
	static const char text[] =
		"hvtest blktrace 1\n"
		"- write 0 8192\n"
		"- write 4096 8192\n"
		"- discard 16384 8192\n"
		"- write 20480 512\n"
		"- write-zeroes 2048 1024\n"
		"- discard 28672 4096\n"
		"- write 32256 1024\n"	/* across the end: refused, changes nothing */
		"- read 0 512\n- flush\n";
	struct hvt_blktrace t;
	struct hvt_blkmodel m;
	struct hvt_err err = HVT_ERR_INIT;
	struct ranges r = { 0 };
	char path[] = "/tmp/hvt-test-blkmodel-XXXXXX";
	uint8_t got[32768], want[512];
	int fd;

	(void)state;
	assert_int_equal(parse(&t, text, NULL, &err), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 32768), 0);
	assert_int_equal(hvt_blkmodel_apply_file(&t, path, 32768, &err), 0);
	assert_int_equal(pread(fd, got, sizeof(got), 0), (ssize_t)sizeof(got));
	close(fd);
	unlink(path);
	assert_int_equal(hvt_blkmodel_init(&m, 32768, true, &err), 0);
	for (size_t i = 0; i < t.n; i++)
		hvt_blkmodel_apply(&m, &t.reqs[i], (uint32_t)(i + 1));
	for (uint64_t s = 0; s < 64; s++) {
		if (hvt_blkmodel_expect(&m, s, want))
			assert_memory_equal(got + s * 512, want, 512);
		else	/* discarded last: zeros in the file, as the replay leaves them */
			assert_memory_equal(got + s * 512, (uint8_t[512]){ 0 }, 512);
	}
	assert_int_equal(hvt_blkmodel_owner(&m, 10), 2);	/* the later write wins */
	assert_int_equal(hvt_blkmodel_owner(&m, 4), HVT_BLKMODEL_ZEROED);
	hvt_blkmodel_unspecified(&m, collect, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.off[0], 16384);
	assert_int_equal(r.len[0], 4096);
	assert_int_equal(r.off[1], 20992);
	assert_int_equal(r.len[1], 3584);
	assert_int_equal(r.off[2], 28672);
	assert_int_equal(r.len[2], 4096);
	hvt_blkmodel_release(&m);
	assert_int_equal(hvt_blkmodel_apply_file(&t, "/nonexistent/x", 32768, &err), -ENOENT);
	hvt_blktrace_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own),
		cmocka_unit_test(test_own_untimed_and_roundtrip),
		cmocka_unit_test(test_own_errors),
		cmocka_unit_test(test_fio_v2),
		cmocka_unit_test(test_fio_v3),
		cmocka_unit_test(test_fio_files),
		cmocka_unit_test(test_blkparse_classic),
		cmocka_unit_test(test_blkparse),
		cmocka_unit_test(test_blkparse_errors),
		cmocka_unit_test(test_names_and_stats),
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_apply_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
