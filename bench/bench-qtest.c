// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest throughput: writel+readl pairs through the client, synchronous and
 * pipelined, against a plain socket loop on the same QEMU, interleaved.
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qtest.h"

#define ADDR 0x100000u
#define ROUNDS 3

static uint32_t *vals;

static void die(const struct hvt_err *err, const char *what)
{
	fprintf(stderr, "bench-qtest: %s: %s\n", what, err ? err->msg : strerror(errno));
	exit(1);
}

/*
 * The plain loop: format, send, read until the expected number of
 * newlines. pairs_per_write 0: synchronous, one command per write and read.
 */
static void raw_round(int fd, long pairs, long pairs_per_write)
{
	static char out[1 << 22], in[1 << 16];
	bool sync = !pairs_per_write;
	long p = 0;

	if (sync)
		pairs_per_write = 1;
	while (p < pairs) {
		long n = pairs - p < pairs_per_write ? pairs - p : pairs_per_write;
		long want = sync ? 1 : 2 * n, got = 0;
		size_t len = 0;

		for (long i = 0; i < n; i++) {
			unsigned long long a = ADDR + 4 * (unsigned long long)((p + i) % 4096);

			len += (size_t)snprintf(out + len, sizeof(out) - len, "writel 0x%llx 0x%lx\n",
						a, 2 * (p + i));
			if (sync) {
				if (hvt_write_all(fd, out, len))
					die(NULL, "raw write");
				for (got = 0; got < want;) {
					ssize_t r = read(fd, in, sizeof(in));

					if (r <= 0)
						die(NULL, "raw read");
					for (ssize_t j = 0; j < r; j++)
						got += in[j] == '\n';
				}
				len = 0;
			}
			len += (size_t)snprintf(out + len, sizeof(out) - len, "readl 0x%llx\n", a);
		}
		if (hvt_write_all(fd, out, len))
			die(NULL, "raw write");
		for (got = 0; got < want;) {
			ssize_t r = read(fd, in, sizeof(in));

			if (r <= 0)
				die(NULL, "raw read");
			for (ssize_t j = 0; j < r; j++)
				got += in[j] == '\n';
		}
		p += n;
	}
}

/* pairs_per_batch 0: synchronous calls. */
static void client_round(struct hvt_qtest *q, long pairs, long pairs_per_batch)
{
	struct hvt_err err = HVT_ERR_INIT;
	long p = 0;

	while (p < pairs) {
		long n = pairs_per_batch && pairs - p > pairs_per_batch ? pairs_per_batch : pairs - p;

		if (pairs_per_batch)
			hvt_qtest_batch_begin(q);
		for (long i = p; i < p + n; i++) {
			uint64_t a = ADDR + 4 * (uint64_t)(i % 4096);

			if (hvt_qtest_writel(q, a, (uint32_t)(2 * i), &err) ||
			    hvt_qtest_readl(q, a, &vals[i], &err))
				die(&err, "client");
		}
		if (pairs_per_batch && hvt_qtest_batch_end(q, &err))
			die(&err, "batch");
		p += n;
	}
	if (vals[pairs - 1] != (uint32_t)(2 * (pairs - 1)))
		die(NULL, "read back a wrong value");
}

static double rate(long ops, double t)
{
	return ops / t;
}

int main(int argc, char **argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .no_qmp = true, .timeout_ms = 60000 };
	double best[4] = { 0 };
	static const char *const names[4] = {
		"client sync", "raw sync", "client pipelined", "raw batched",
	};
	long ops = 100000, batch = 10000;
	struct hvt_qtest *q;
	int opt;

	while ((opt = getopt(argc, argv, "n:b:")) != -1) {
		if (opt == 'n')
			ops = strtol(optarg, NULL, 0);
		else if (opt == 'b')
			batch = strtol(optarg, NULL, 0);
		else {
			fprintf(stderr, "usage: bench-qtest [-n OPS] [-b BATCH]\n");
			return 2;
		}
	}
	if (ops < 2 || batch < 2 || ops % 2 || batch % 2) {
		fprintf(stderr, "bench-qtest: OPS and BATCH must be even and >= 2\n");
		return 2;
	}
	vals = calloc((size_t)ops / 2 + 1, sizeof(*vals));
	q = hvt_qtest_start(&opts, &err);
	if (!q)
		die(&err, "start");
	printf("QEMU accel %s, %ld ops (writel+readl pairs), pipelined batches of %ld, best of %d\n",
	       hvt_qtest_accel(q), ops, batch, ROUNDS);
	client_round(q, 1000, 0);
	raw_round(hvt_qtest_fd(q), 1000, 0);
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < 4; k++) {
			double t0 = hvt_now(), t;

			if (k == 0)
				client_round(q, ops / 2, 0);
			else if (k == 1)
				raw_round(hvt_qtest_fd(q), ops / 2, 0);
			else if (k == 2)
				client_round(q, ops / 2, batch / 2);
			else
				raw_round(hvt_qtest_fd(q), ops / 2, batch / 2);
			t = hvt_now() - t0;
			if (rate(ops, t) > best[k])
				best[k] = rate(ops, t);
		}
	}
	for (int k = 0; k < 4; k++)
		printf("%-17s %9.0f ops/s\n", names[k], best[k]);
	printf("sync: client/raw %.2f   pipelined: client/raw %.2f   pipelined/sync %.1fx\n",
	       best[0] / best[1], best[2] / best[3], best[2] / best[0]);
	hvt_qtest_free(q);
	free(vals);
	return 0;
}
