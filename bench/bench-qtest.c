// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest throughput: writel+readl pairs through the client (one call at a
 * time and pipelined) and through plain socket loops on the same QEMU, every
 * reply checked, in interleaved repetitions; medians and spread of the rates
 * and of the per-repetition ratios.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accel.h"
#include "proc.h"
#include "qtest.h"
#include "stats.h"

#define ADDR 0x100000u
#define SLOTS 4096		/* pairs cycle over this many 32-bit words */
#define CMD_MAX 48		/* longest command line we format, with newline */
#define CONTROL_OPS 2000

enum variant { CLIENT_SYNC, RAW_SYNC, CLIENT_PIPE, RAW_BATCH, RAW_OVERLAP, NVARIANTS };

static const char *const names[NVARIANTS] = {
	"client sync", "raw sync", "client pipelined", "raw batched", "raw overlapped",
};

/*
 * One timed run of a variant: pairs [first, first + pairs); pair i writes
 * value(i) to slot i and reads the slot back. salt changes every run, so
 * that a read answered from an earlier run's memory cannot pass. The two
 * bad_* fields break the run on purpose (control mode): bad_read reads the
 * next slot instead, bad_cmd sends an unknown command in place of a writel
 * (raw loops only).
 */
struct job {
	long first, pairs;
	long batch_pairs;
	uint32_t salt;
	long bad_read, bad_cmd;
};

/* A plain connection: the client's socket, read through our own buffer. */
struct raw {
	int fd;
	char *out;
	size_t out_size;
	char in[1 << 16];
	size_t in_len, in_off;
};

static uint64_t slot_addr(long i)
{
	return ADDR + 4 * (uint64_t)(i % SLOTS);
}

static uint32_t value(const struct job *j, long i)
{
	return j->salt + (uint32_t)i * 2654435761u;
}

static uint64_t read_addr(const struct job *j, long i)
{
	return slot_addr(i == j->bad_read ? i + 1 : i);
}

/*
 * Pair i's writel / readl command line, byte for byte what the client sends,
 * into buf (CMD_MAX bytes); returns its length.
 */
static size_t fmt_write(char *buf, const struct job *j, long i)
{
	return (size_t)snprintf(buf, CMD_MAX, "%s 0x%" PRIx64 " 0x%" PRIx32 "\n",
				i == j->bad_cmd ? "writel_x" : "writel", slot_addr(i), value(j, i));
}

static size_t fmt_read(char *buf, const struct job *j, long i)
{
	return (size_t)snprintf(buf, CMD_MAX, "readl 0x%" PRIx64 "\n", read_addr(j, i));
}

static bool parse_hex(const char *p, size_t len, uint64_t *v)
{
	uint64_t n = 0;

	if (len < 3 || len > 18 || p[0] != '0' || p[1] != 'x')
		return false;
	for (size_t k = 2; k < len; k++) {
		char c = p[k];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return false;
		n = n << 4 | (uint64_t)d;
	}
	*v = n;
	return true;
}

/*
 * Check one reply line (no newline) of a raw loop: reply k of the run is to
 * pair k / 2, its writel (k even: "OK") or its readl (k odd: "OK 0x<value>").
 */
static int check_reply(const char *line, size_t len, const struct job *j, long k,
		       struct hvt_err *err)
{
	long i = k / 2;
	uint64_t v;

	if (len && line[len - 1] == '\r')
		len--;
	if (!(k & 1)) {
		if (len == 2 && !memcmp(line, "OK", 2))
			return 0;
		return hvt_err_set(err, -EPROTO, "pair %ld: writel: reply '%.*s', not 'OK'", i,
				   (int)(len > 100 ? 100 : len), line);
	}
	if (len > 3 && !memcmp(line, "OK ", 3) && parse_hex(line + 3, len - 3, &v) &&
	    v == value(j, i))
		return 0;
	return hvt_err_set(err, -EPROTO, "pair %ld: readl 0x%" PRIx64 ": reply '%.*s', not 'OK 0x%"
			   PRIx32 "'", i, read_addr(j, i), (int)(len > 100 ? 100 : len), line,
			   value(j, i));
}

/* A complete line from the buffer, or NULL when there is none yet. */
static const char *take_line(struct raw *r, size_t *len)
{
	char *p = r->in + r->in_off, *nl = memchr(p, '\n', r->in_len - r->in_off);

	if (!nl)
		return NULL;
	*len = (size_t)(nl - p);
	r->in_off += *len + 1;
	return p;
}

/* Read once (flags: 0 blocks up to the socket's SO_RCVTIMEO, or MSG_DONTWAIT). */
static int fill(struct raw *r, int flags, struct hvt_err *err)
{
	ssize_t n;

	if (r->in_off) {
		r->in_len -= r->in_off;
		memmove(r->in, r->in + r->in_off, r->in_len);
		r->in_off = 0;
	}
	if (r->in_len == sizeof(r->in))
		return hvt_err_set(err, -EPROTO, "raw: a reply line longer than %zu bytes",
				   sizeof(r->in));
	do
		n = recv(r->fd, r->in + r->in_len, sizeof(r->in) - r->in_len, flags);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return hvt_err_set(err, -ECONNRESET, "raw: QEMU closed the connection");
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (flags)
				return -EAGAIN;
			return hvt_err_set(err, -ETIMEDOUT, "raw: no reply within the socket's timeout");
		}
		return hvt_err_set(err, -errno, "raw: read: %s", strerror(errno));
	}
	r->in_len += (size_t)n;
	return 0;
}

/* Block until a whole line is there. */
static const char *next_line(struct raw *r, size_t *len, struct hvt_err *err)
{
	const char *line;

	while (!(line = take_line(r, len)))
		if (fill(r, 0, err))
			return NULL;
	return line;
}

static int send_all(struct raw *r, const char *buf, size_t len, struct hvt_err *err)
{
	int e = hvt_write_all(r->fd, buf, len);

	return e ? hvt_err_set(err, e, "raw: write: %s", strerror(-e)) : 0;
}

/* One command, one blocking read of its reply, checked. */
static int raw_sync(struct raw *r, const struct job *j, struct hvt_err *err)
{
	char cmd[CMD_MAX];
	const char *line;
	size_t len;

	for (long i = j->first; i < j->first + j->pairs; i++) {
		for (long k = 2 * i; k < 2 * i + 2; k++) {
			size_t n = k & 1 ? fmt_read(cmd, j, i) : fmt_write(cmd, j, i);

			if (send_all(r, cmd, n, err))
				return err->code;
			line = next_line(r, &len, err);
			if (!line || check_reply(line, len, j, k, err))
				return err->code;
		}
	}
	return 0;
}

/* Format the commands of pairs [p, p + n) into r->out; returns the length. */
static size_t fmt_batch(struct raw *r, const struct job *j, long p, long n)
{
	size_t len = 0;

	for (long i = p; i < p + n; i++) {
		len += fmt_write(r->out + len, j, i);
		len += fmt_read(r->out + len, j, i);
	}
	return len;
}

/*
 * Every reply of a batch is read and checked even after a bad one, so that
 * the stream stays in step; the first failure is kept.
 */
static void check_kept(const char *line, size_t len, const struct job *j, long k,
		       struct hvt_err *first)
{
	if (first->code)
		check_reply(line, len, j, k, NULL);
	else
		check_reply(line, len, j, k, first);
}

static int first_failure(const struct hvt_err *first, struct hvt_err *err)
{
	if (err)
		*err = *first;
	return first->code;
}

/* Write a whole batch (blocking), then read and check all its replies. */
static int raw_batch(struct raw *r, const struct job *j, struct hvt_err *err)
{
	for (long p = j->first, end = j->first + j->pairs; p < end; p += j->batch_pairs) {
		long n = end - p < j->batch_pairs ? end - p : j->batch_pairs;
		struct hvt_err first = HVT_ERR_INIT;
		const char *line;
		size_t len;

		if (send_all(r, r->out, fmt_batch(r, j, p, n), err))
			return err->code;
		for (long k = 2 * p; k < 2 * (p + n); k++) {
			line = next_line(r, &len, err);
			if (!line)
				return err->code;
			check_kept(line, len, j, k, &first);
		}
		if (first.code)
			return first_failure(&first, err);
	}
	return 0;
}

/*
 * Write a batch and read its replies at the same time: non-blocking sends
 * and reads, poll() only when neither can move.
 */
static int raw_overlap(struct raw *r, const struct job *j, int timeout_ms, struct hvt_err *err)
{
	for (long p = j->first, end = j->first + j->pairs; p < end; p += j->batch_pairs) {
		long n = end - p < j->batch_pairs ? end - p : j->batch_pairs;
		size_t out_len = fmt_batch(r, j, p, n), sent = 0;
		long k = 2 * p, k_end = 2 * (p + n);
		struct hvt_err first = HVT_ERR_INIT;

		while (k < k_end) {
			bool progress = false;
			const char *line;
			size_t len;
			int e;

			if (sent < out_len) {
				ssize_t w = send(r->fd, r->out + sent, out_len - sent,
						 MSG_DONTWAIT | MSG_NOSIGNAL);

				if (w > 0) {
					sent += (size_t)w;
					progress = true;
				} else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
					   errno != EINTR) {
					return hvt_err_set(err, -errno, "raw: write: %s",
							   strerror(errno));
				}
			}
			e = fill(r, MSG_DONTWAIT, err);
			if (e && e != -EAGAIN)
				return e;
			progress |= !e;
			while (k < k_end && (line = take_line(r, &len)))
				check_kept(line, len, j, k++, &first);
			if (!progress && k < k_end) {
				struct pollfd pfd = {
					.fd = r->fd, .events = POLLIN | (sent < out_len ? POLLOUT : 0),
				};

				if (poll(&pfd, 1, timeout_ms) == 0)
					return hvt_err_set(err, -ETIMEDOUT,
							   "raw: no progress within %d ms", timeout_ms);
			}
		}
		if (first.code)
			return first_failure(&first, err);
	}
	return 0;
}

static int check_value(const struct job *j, long i, uint32_t got, struct hvt_err *err)
{
	if (got == value(j, i))
		return 0;
	return hvt_err_set(err, -EPROTO, "pair %ld: readl 0x%" PRIx64 " gave 0x%" PRIx32
			   ", not 0x%" PRIx32, i, read_addr(j, i), got, value(j, i));
}

/* One writel and one readl call per pair, each value checked. */
static int client_sync(struct hvt_qtest *q, const struct job *j, struct hvt_err *err)
{
	uint32_t got;

	for (long i = j->first; i < j->first + j->pairs; i++) {
		if (hvt_qtest_writel(q, slot_addr(i), value(j, i), err) ||
		    hvt_qtest_readl(q, read_addr(j, i), &got, err) || check_value(j, i, got, err))
			return err->code;
	}
	return 0;
}

/* Batches of pairs between batch_begin and batch_end; every value checked. */
static int client_pipe(struct hvt_qtest *q, const struct job *j, uint32_t *vals,
		       struct hvt_err *err)
{
	for (long p = j->first, end = j->first + j->pairs; p < end; p += j->batch_pairs) {
		long n = end - p < j->batch_pairs ? end - p : j->batch_pairs;

		hvt_qtest_batch_begin(q);
		for (long i = p; i < p + n; i++) {
			if (hvt_qtest_writel(q, slot_addr(i), value(j, i), err) ||
			    hvt_qtest_readl(q, read_addr(j, i), &vals[i - p], err)) {
				hvt_qtest_batch_end(q, NULL);
				return err->code;
			}
		}
		if (hvt_qtest_batch_end(q, err))
			return err->code;
		for (long i = p; i < p + n; i++)
			if (check_value(j, i, vals[i - p], err))
				return err->code;
	}
	return 0;
}

struct bench {
	struct hvt_qtest *q;
	struct raw raw;
	uint32_t *vals;
	int timeout_ms;
	uint32_t runs;
};

static int run(struct bench *b, enum variant v, struct job *j, struct hvt_err *err)
{
	j->salt = ++b->runs * 0x01000193u;
	switch (v) {
	case CLIENT_SYNC:
		return client_sync(b->q, j, err);
	case RAW_SYNC:
		return raw_sync(&b->raw, j, err);
	case CLIENT_PIPE:
		return client_pipe(b->q, j, b->vals, err);
	case RAW_BATCH:
		return raw_batch(&b->raw, j, err);
	default:
		return raw_overlap(&b->raw, j, b->timeout_ms, err);
	}
}

/*
 * Control: each check must be able to fail. Every variant reads a wrong
 * slot once, and the raw loops also get an unknown command (FAIL reply);
 * each must report it, and a clean run afterwards must pass (the stream
 * stayed in step). Returns the number of checks that did not fire.
 */
static int control(struct bench *b, long batch_pairs)
{
	int missed = 0;

	for (int v = 0; v < NVARIANTS; v++) {
		for (int kind = 0; kind < 2; kind++) {
			struct job j = { 0, CONTROL_OPS / 2, batch_pairs, 0, -1, -1 };
			struct hvt_err err = HVT_ERR_INIT;
			bool raw = v == RAW_SYNC || v == RAW_BATCH || v == RAW_OVERLAP;

			if (kind == 1 && !raw)
				continue;
			if (kind == 0)
				j.bad_read = 777;
			else
				j.bad_cmd = 555;
			if (run(b, (enum variant)v, &j, &err)) {
				printf("control %-17s %-12s caught: %s\n", names[v],
				       kind ? "FAIL reply" : "wrong value", err.msg);
			} else {
				printf("control %-17s %-12s NOT caught\n", names[v],
				       kind ? "FAIL reply" : "wrong value");
				missed++;
			}
			j.bad_read = j.bad_cmd = -1;
			hvt_err_clear(&err);
			if (run(b, (enum variant)v, &j, &err)) {
				printf("control %-17s clean run after it failed: %s\n", names[v],
				       err.msg);
				missed++;
			}
		}
	}
	return missed;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-qtest [-n OPS] [-p OPS] [-b BATCH] [-r REPS] [-c]\n"
		"  -n: commands per synchronous variant and repetition (default 20000)\n"
		"  -p: commands per pipelined variant and repetition (default 100000)\n"
		"  -b: commands per pipelined batch (default 10000); all counts even\n"
		"  -r: repetitions (default 15)\n"
		"  -c: break one reply per variant on purpose and check that every\n"
		"      check fires\n"
		"  QEMU: $HVT_QEMU or qemu-system-x86_64.\n");
}

/* Ratios computed per repetition: numerator and denominator variants. */
static const struct {
	const char *name;
	enum variant num, den;
} ratios[] = {
	{ "client sync / raw sync", CLIENT_SYNC, RAW_SYNC },
	{ "client pipelined / raw batched", CLIENT_PIPE, RAW_BATCH },
	{ "client pipelined / raw overlapped", CLIENT_PIPE, RAW_OVERLAP },
	{ "raw overlapped / raw batched", RAW_OVERLAP, RAW_BATCH },
	{ "client pipelined / client sync", CLIENT_PIPE, CLIENT_SYNC },
};

/*
 * Variants compared with each other take turns of turn_pairs pairs (the
 * first of them rotating), so that load from elsewhere falls on all of
 * them alike; t[v] accumulates each one's time.
 */
static int run_group(struct bench *b, const enum variant *g, int ng, long pairs,
		     long turn_pairs, long batch_pairs, int rep, double *t, struct hvt_err *err)
{
	long turn = 0;

	for (long p = 0; p < pairs; p += turn_pairs, turn++) {
		long n = pairs - p < turn_pairs ? pairs - p : turn_pairs;

		for (int s = 0; s < ng; s++) {
			enum variant v = g[(turn + rep + s) % ng];
			struct job j = { p, n, batch_pairs, 0, -1, -1 };
			double t0 = hvt_now();

			if (run(b, v, &j, err))
				return hvt_err_prefix(err, "%s", names[v]);
			t[v] += hvt_now() - t0;
		}
	}
	return 0;
}

#define SYNC_TURN_PAIRS 250

static const enum variant sync_group[] = { CLIENT_SYNC, RAW_SYNC };
static const enum variant pipe_group[] = { CLIENT_PIPE, RAW_BATCH, RAW_OVERLAP };

int main(int argc, char **argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .no_qmp = true, .timeout_ms = 60000 };
	struct bench b = { .timeout_ms = 60000 };
	long ops = 20000, pipe_ops = 100000, batch = 10000;
	int reps = 15, opt, ret = 1, maj = 0, min = 0, mic = 0;
	bool ctl = false;
	double (*rate)[NVARIANTS], *col;
	char ra[48], rb[48];

	while ((opt = getopt(argc, argv, "n:p:b:r:ch")) != -1) {
		switch (opt) {
		case 'n':
			ops = strtol(optarg, NULL, 0);
			break;
		case 'p':
			pipe_ops = strtol(optarg, NULL, 0);
			break;
		case 'b':
			batch = strtol(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'c':
			ctl = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (ops < 2 || pipe_ops < 2 || batch < 2 || ops % 2 || pipe_ops % 2 || batch % 2 ||
	    reps < 1 || reps > 1000) {
		usage();
		return 2;
	}
	hvt_proc_install_reaper();
	if (hvt_qemu_version(hvt_qemu_binary(), &maj, &min, &mic, &err) && err.code != -ENOTSUP) {
		fprintf(stderr, "bench-qtest: %s\n", err.msg);
		return 1;
	}
	b.q = hvt_qtest_start(&opts, &err);
	if (!b.q) {
		fprintf(stderr, "bench-qtest: start: %s\n", err.msg);
		return 1;
	}
	b.raw.fd = hvt_qtest_fd(b.q);
	b.raw.out_size = (size_t)batch / 2 * 2 * CMD_MAX;
	b.raw.out = hvt_malloc(b.raw.out_size);
	b.vals = hvt_malloc(sizeof(*b.vals) * (size_t)(batch / 2));
	rate = hvt_zalloc(sizeof(*rate) * (size_t)reps);
	col = hvt_malloc(sizeof(*col) * (size_t)reps);

	if (ctl) {
		int missed = control(&b, batch / 2);

		printf("control: %s\n", missed ? "some checks did not fire" : "every check fired");
		ret = missed ? 1 : 0;
		goto out;
	}

	printf("QEMU %d.%d.%d, machine pc, accel %s; writel+readl pairs, every reply checked;\n"
	       "per repetition %ld ops per sync variant (turns of %d ops), %ld per pipelined one\n"
	       "(turns of one batch of %ld ops); %d repetitions\n\n",
	       maj, min, mic, hvt_qtest_accel(b.q), ops, 2 * SYNC_TURN_PAIRS, pipe_ops, batch,
	       reps);
	/* Warm-up: a short run of each variant. */
	for (int v = 0; v < NVARIANTS; v++) {
		struct job j = { 0, 1000, batch / 2 < 1000 ? batch / 2 : 1000, 0, -1, -1 };

		if (run(&b, (enum variant)v, &j, &err)) {
			fprintf(stderr, "bench-qtest: warm-up %s: %s\n", names[v], err.msg);
			goto out;
		}
	}
	printf("%-4s", "rep");
	for (int v = 0; v < NVARIANTS; v++)
		printf(" %17s", names[v]);
	printf("   (ops/s)\n");
	for (int r = 0; r < reps; r++) {
		double t[NVARIANTS] = { 0 };
		bool sync_first = !(r % 2);

		for (int g = 0; g < 2; g++) {
			bool sync = (g == 0) == sync_first;

			if (sync ? run_group(&b, sync_group, 2, ops / 2, SYNC_TURN_PAIRS, batch / 2, r,
					     t, &err)
				 : run_group(&b, pipe_group, 3, pipe_ops / 2, batch / 2, batch / 2, r, t,
					     &err)) {
				fprintf(stderr, "bench-qtest: repetition %d: %s\n", r + 1, err.msg);
				goto out;
			}
		}
		printf("%-4d", r + 1);
		for (int v = 0; v < NVARIANTS; v++) {
			bool sync = v == CLIENT_SYNC || v == RAW_SYNC;

			rate[r][v] = (double)(sync ? ops : pipe_ops) / t[v];
			printf(" %17.0f", rate[r][v]);
		}
		printf("\n");
		fflush(stdout);
	}

	printf("\n%-34s %8s %17s %17s\n", "ops/s", "median", "IQR", "min-max");
	for (int v = 0; v < NVARIANTS; v++) {
		struct spread sp;

		for (int r = 0; r < reps; r++)
			col[r] = rate[r][v];
		sp = bench_spread(col, reps);
		printf("%-34s %8.0f %17s %17s\n", names[v], sp.median,
		       bench_range(ra, sizeof(ra), 0, sp.q1, sp.q3), bench_range(rb, sizeof(rb), 0, sp.min, sp.max));
	}
	printf("\n%-34s %8s %17s %17s\n", "ratio per repetition", "median", "IQR", "min-max");
	for (size_t k = 0; k < HVT_ARRAY_SIZE(ratios); k++) {
		struct spread sp;

		for (int r = 0; r < reps; r++)
			col[r] = rate[r][ratios[k].num] / rate[r][ratios[k].den];
		sp = bench_spread(col, reps);
		printf("%-34s %8.2f %17s %17s\n", ratios[k].name, sp.median,
		       bench_range(ra, sizeof(ra), 2, sp.q1, sp.q3), bench_range(rb, sizeof(rb), 2, sp.min, sp.max));
	}
	ret = 0;
out:
	hvt_qtest_free(b.q);
	free(b.raw.out);
	free(b.vals);
	free(rate);
	free(col);
	return ret;
}
