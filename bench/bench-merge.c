// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Merging shard stores: generate S results directories holding N cases
 * between them (each case with parameters, checks, a metric, an artifact
 * and a work directory, as a real shard has), then time
 * hvt_store_merge() of all of them into a new store, several times.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "merge.h"
#include "stats.h"

static const char usage[] =
	"usage: bench-merge [--cases N] [--shards S] [--reps R] [--dir DIR]\n\n"
	"Write S shard stores of N cases in all (default 10000 in 50) under DIR\n"
	"(default: a new directory in /tmp, removed at the end) and time their merge\n"
	"into a new store R times (default 5): median, quartiles, range.\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_shard(const char *dir, int k, int nshards, long ncases)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_run_info ri = { .plan = "bench.cfg" };
	char host[32];
	struct hvt_store *s;
	int64_t id;

	snprintf(host, sizeof(host), "node%02d", k);
	ri.host.hostname = host;
	s = hvt_store_open(dir, &err);
	if (!s || hvt_store_run_begin(s, &ri, &id, &err))
		goto fail;
	/* one transaction for the whole shard: the bench times the merge, not this */
	for (long i = k - 1; i < ncases; i += nshards) {
		char name[64], *wd;
		struct hvt_case *c;

		snprintf(name, sizeof(name), "v%ld.case.x86_64", i);
		c = hvt_case_new(name, name, "noop");
		c->index = i;
		c->attempt = 1;
		wd = hvt_asprintf("%s/run-%lld/%ld.1", dir, (long long)id, i);
		if (hvt_mkdir_p(wd, 0755, &err))
			goto fail;
		c->workdir = wd;
		hvt_case_set_param(c, "type", "noop");
		hvt_case_set_param(c, "machine", "q35");
		hvt_case_set_param(c, "mem", "1024");
		hvt_case_set_param(c, "smp", "2");
		hvt_case_set_param(c, "guest", "default");
		hvt_case_check(c, "boot", true, "booted in %ld ms", 100 + i % 50);
		hvt_case_check(c, "result", i % 17 != 0, "the check");
		hvt_case_metric(c, "boot_ms", (double)(100 + i % 50), "ms");
		hvt_case_artifact(c, "console", "console.log");
		c->start = 1.7e9 + (double)i;
		c->duration = 1.0;
		if (hvt_store_case_add(s, id, c, &err)) {
			hvt_case_free(c);
			goto fail;
		}
		hvt_case_free(c);
	}
	hvt_store_run_end(s, id, 0, &err);
	hvt_store_close(s);
	return 0;
fail:
	fprintf(stderr, "bench-merge: %s: %s\n", dir, err.msg);
	hvt_store_close(s);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cases", required_argument, NULL, 'n' },
		{ "shards", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long ncases = 10000;
	int nshards = 50, reps = 5, opt;
	char tmpl[] = "/tmp/hvt-bench-merge-XXXXXX", *dir = NULL;
	bool own = false;
	char **dirs;
	double *t, t0;
	struct spread sp;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			ncases = atol(optarg);
			break;
		case 's':
			nshards = atoi(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fputs(usage, opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (ncases < 1 || nshards < 1 || reps < 1) {
		fputs(usage, stderr);
		return 2;
	}
	if (!dir) {
		dir = mkdtemp(tmpl);
		own = true;
		if (!dir) {
			perror("mkdtemp");
			return 1;
		}
	}
	dirs = calloc((size_t)nshards, sizeof(*dirs));
	t = calloc((size_t)reps, sizeof(*t));
	t0 = now_s();
	for (int k = 1; k <= nshards; k++) {
		dirs[k - 1] = hvt_asprintf("%s/shard-%d", dir, k);
		if (write_shard(dirs[k - 1], k, nshards, ncases))
			return 1;
	}
	printf("wrote %ld cases in %d shard stores in %.1f s\n", ncases, nshards, now_s() - t0);
	for (int r = 0; r < reps; r++) {
		char *dst = hvt_asprintf("%s/merged-%d", dir, r);
		struct hvt_merge_opts o = { .dirs = (const char *const *)dirs,
					    .ndirs = (size_t)nshards };
		struct hvt_merge_result res;
		struct hvt_err err = HVT_ERR_INIT;
		struct hvt_store *s = hvt_store_open(dst, &err);

		if (!s) {
			fprintf(stderr, "bench-merge: %s\n", err.msg);
			return 1;
		}
		t0 = now_s();
		if (hvt_store_merge(s, dst, &o, &res, &err)) {
			fprintf(stderr, "bench-merge: %s\n", err.msg);
			return 1;
		}
		t[r] = now_s() - t0;
		if (res.added != (size_t)ncases || res.ngaps || res.noverlaps) {
			fprintf(stderr, "bench-merge: merged %zu cases, %zu gaps, %zu overlaps\n",
				res.added, res.ngaps, res.noverlaps);
			return 1;
		}
		printf("rep %d: %.3f s\n", r + 1, t[r]);
		hvt_merge_result_release(&res);
		hvt_store_close(s);
		free(dst);
	}
	sp = bench_spread(t, reps);
	printf("merge of %ld cases from %d stores: median %.3f s (%.1f us/case), "
	       "quartiles %.3f-%.3f s, range %.3f-%.3f s over %d reps\n", ncases, nshards,
	       sp.median, sp.median / (double)ncases * 1e6, sp.q1, sp.q3, sp.min, sp.max, reps);
	for (int k = 0; k < nshards; k++)
		free(dirs[k]);
	free(dirs);
	free(t);
	if (own)
		hvt_rm_rf(dir);
	return 0;
}
