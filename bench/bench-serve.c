// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The results server under load: a real run (hvtest run of fixture cases
 * with artifacts) packed once as hvtest publish packs it, then P
 * publisher threads posting it under new names while R reader threads
 * fetch pages; the same readers alone are the floor. Every publish must
 * be acknowledged (201) and land exactly once; every page must answer
 * 200. Reports publishes/s, page latency (p50, p99) idle and under load,
 * and the store's size per run.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hvt-config.h"
#include "json.h"
#include "proc.h"
#include "publish.h"
#include "serve.h"
#include "stats.h"

static const char plan[] =
	"variants:\n"
	"    - a:\n        type = fx-pass\n"
	"    - b:\n        type = fx-files\n"
	"    - c:\n        type = fx-fail\n"
	"    - d:\n        type = fx-files\n"
	"    - e:\n        type = fx-pass\n";

struct shared {
	const char *url, *token;
	const char *body;
	size_t len;
	int rep;
	volatile int stop;
};

struct publisher {
	struct shared *sh;
	int id, count, ok, bad;
};

struct reader {
	struct shared *sh;
	int max;		/* requests to make; 0: until stop */
	double *lat;		/* seconds */
	int n, alloc, bad;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t size, size_t n, void *opaque)
{
	return size * n;
}

static long request(CURL *c, const char *url, const char *token, const char *body, size_t len)
{
	struct curl_slist *h = NULL;
	char *auth = token ? hvt_asprintf("Authorization: Bearer %s", token) : NULL;
	long status = 0;

	if (auth)
		h = curl_slist_append(h, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	free(auth);
	return status;
}

static void *publisher_main(void *arg)
{
	struct publisher *p = arg;
	CURL *c = curl_easy_init();

	for (int i = 0; i < p->count; i++) {
		char *url = hvt_asprintf("%s/api/v1/publish/bench/m/g/r%d-%d-%d", p->sh->url,
					 p->sh->rep, p->id, i);

		if (request(c, url, p->sh->token, p->sh->body, p->sh->len) == 201)
			p->ok++;
		else
			p->bad++;
		free(url);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static void *reader_main(void *arg)
{
	static const char *const pages[] = { "/", "/bench/", "/bench/m/g/r0-0-0/",
					     "/api/v1/summary" };
	struct reader *r = arg;
	CURL *c = curl_easy_init();

	for (int i = 0; r->max ? i < r->max : !__atomic_load_n(&r->sh->stop, __ATOMIC_SEQ_CST);
	     i++) {
		char *url = hvt_asprintf("%s%s", r->sh->url, pages[i % 4]);
		double t0 = now_s();
		long st = request(c, url, NULL, NULL, 0);

		if (r->n == r->alloc) {
			r->alloc = r->alloc ? 2 * r->alloc : 1024;
			r->lat = hvt_realloc(r->lat, (size_t)r->alloc * sizeof(double));
		}
		r->lat[r->n++] = now_s() - t0;
		r->bad += st != 200;
		free(url);
	}
	curl_easy_cleanup(c);
	return NULL;
}

/* Run nr readers (max requests each, or until stop); latencies sorted into *all. */
static int readers_join(pthread_t *t, struct reader *r, int nr, double **all, int *n)
{
	int bad = 0;

	*n = 0;
	for (int i = 0; i < nr; i++) {
		pthread_join(t[i], NULL);
		*all = hvt_realloc(*all, (size_t)(*n + r[i].n + 1) * sizeof(double));
		memcpy(*all + *n, r[i].lat, (size_t)r[i].n * sizeof(double));
		*n += r[i].n;
		bad += r[i].bad;
		free(r[i].lat);
	}
	qsort(*all, (size_t)*n, sizeof(double), bench_cmp_double);
	return bad;
}

static long count_runs(struct shared *sh)
{
	char *url = hvt_asprintf("%s/api/v1/runs?user=bench", sh->url);
	struct hvt_err err = HVT_ERR_INIT;
	char *path = NULL;
	long n = -1;
	FILE *f = tmpfile();
	CURL *c = curl_easy_init();
	struct json_object *o;
	size_t len;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	if (curl_easy_perform(c) == CURLE_OK) {
		len = (size_t)ftell(f);
		rewind(f);
		path = hvt_zalloc(len + 1);
		if (fread(path, 1, len, f) == len && (o = hvt_json_parse(path, &err))) {
			n = (long)json_object_array_length(o);
			json_object_put(o);
		}
	}
	curl_easy_cleanup(c);
	fclose(f);
	free(path);
	free(url);
	return n;
}

static int64_t dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int64_t n = 0;

	while (d && (e = readdir(d))) {
		char *p = hvt_asprintf("%s/%s", dir, e->d_name);
		struct stat st;

		if (e->d_name[0] != '.' && !stat(p, &st) && S_ISREG(st.st_mode))
			n += st.st_size;
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-serve [-p PUBLISHERS] [-k EACH] [-r READERS] "
			"[-n REPS] [-i IDLE_REQUESTS]\n");
}

int main(int argc, char **argv)
{
	int np = 4, each = 25, nr = 2, reps = 5, idle = 200, opt;
	char tmpl[] = "/tmp/hvt-bench-serve-XXXXXX";
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_publish_result pr;
	struct hvt_serve_opts so = { .listen = "127.0.0.1:0", .rate = 1000000 };
	struct shared sh = { 0 };
	struct hvt_serve *srv;
	double *pubs, *p50i, *p99i, *p50l, *p99l;
	char *results, *store, *planfile, *module, *token, *body = NULL, buf[64];
	size_t blen = 0;
	FILE *f;

	while ((opt = getopt(argc, argv, "p:k:r:n:i:h")) != -1) {
		int v = atoi(optarg ? optarg : "0");

		if (opt == 'h' || v <= 0 || v > 100000) {
			usage();
			return 2;
		}
		if (opt == 'p')
			np = v;
		else if (opt == 'k')
			each = v;
		else if (opt == 'r')
			nr = v;
		else if (opt == 'n')
			reps = v;
		else
			idle = v;
	}
	if (!mkdtemp(tmpl))
		return 1;
	results = hvt_asprintf("%s/results", tmpl);
	store = hvt_asprintf("%s/store", tmpl);
	planfile = hvt_asprintf("%s/bench.cfg", tmpl);
	module = hvt_asprintf("%s/tests/fixtures/hvt-fixtures.so", HVT_BUILD_ROOT);
	if (hvt_file_write(planfile, plan, strlen(plan), &err))
		goto fail;
	{
		char *hvtest = hvt_asprintf("%s/src/cli/hvtest", HVT_BUILD_ROOT);
		const char *run[] = { hvtest, "run", "--module", module, "--results", results,
				      planfile, NULL };
		char *out = NULL;

		/* one case fails on purpose: exit 1 is the run's verdict */
		if (hvt_proc_run(run, 300000, &out, &err) && !strstr(err.msg, "code 1")) {
			fprintf(stderr, "bench-serve: hvtest run: %s\n%s\n", err.msg, out);
			return 1;
		}
		free(out);
		free(hvtest);
	}
	{
		struct hvt_publish_opts po = { .results = results, .run = "latest" };

		f = open_memstream(&body, &blen);
		if (hvt_publish_pack(&po, f, &pr, &err))
			goto fail;
		fclose(f);
		hvt_publish_result_release(&pr);
	}
	if (hvt_serve_token_add(store, "bench", &token, &err))
		goto fail;
	so.dir = store;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	srv = hvt_serve_start(&so, &err);
	if (!srv)
		goto fail;
	sh.url = hvt_serve_url(srv);
	sh.token = token;
	sh.body = body;
	sh.len = blen;
	pubs = hvt_zalloc(sizeof(double) * (size_t)reps);
	p50i = hvt_zalloc(sizeof(double) * (size_t)reps);
	p99i = hvt_zalloc(sizeof(double) * (size_t)reps);
	p50l = hvt_zalloc(sizeof(double) * (size_t)reps);
	p99l = hvt_zalloc(sizeof(double) * (size_t)reps);
	printf("upload %zu bytes; %d publishers x %d, %d readers, %d repetitions\n", blen, np,
	       each, nr, reps);
	printf("rep  runs-before  publishes/s  idle p50 ms  idle p99 ms  load p50 ms  load p99 ms\n");
	for (int rep = 0; rep < reps; rep++) {
		pthread_t *pt = hvt_zalloc(sizeof(pthread_t) * (size_t)np);
		pthread_t *rt = hvt_zalloc(sizeof(pthread_t) * (size_t)nr);
		struct publisher *p = hvt_zalloc(sizeof(*p) * (size_t)np);
		struct reader *r = hvt_zalloc(sizeof(*r) * (size_t)nr);
		long before = count_runs(&sh), after;
		double *lat = NULL, t0, wall;
		int n, bad = 0;

		sh.rep = rep;
		sh.stop = 0;
		if (rep == 0) {
			/* r0-0-0: the run page the readers fetch, there before they start */
			struct publisher first = { .sh = &sh, .id = 0, .count = 1 };

			publisher_main(&first);
			if (first.ok != 1)
				goto fail_load;
			before++;
		}
		/* the floor: readers alone */
		for (int i = 0; i < nr; i++) {
			r[i] = (struct reader){ .sh = &sh, .max = idle };
			pthread_create(&rt[i], NULL, reader_main, &r[i]);
		}
		bad += readers_join(rt, r, nr, &lat, &n);
		p50i[rep] = bench_quantile(lat, n, 0.5) * 1e3;
		p99i[rep] = bench_quantile(lat, n, 0.99) * 1e3;
		/* under load */
		memset(r, 0, sizeof(*r) * (size_t)nr);
		for (int i = 0; i < nr; i++) {
			r[i] = (struct reader){ .sh = &sh };
			pthread_create(&rt[i], NULL, reader_main, &r[i]);
		}
		t0 = now_s();
		for (int i = 0; i < np; i++) {
			p[i] = (struct publisher){ .sh = &sh, .id = i + 1, .count = each };
			pthread_create(&pt[i], NULL, publisher_main, &p[i]);
		}
		for (int i = 0; i < np; i++) {
			pthread_join(pt[i], NULL);
			bad += p[i].bad;
		}
		wall = now_s() - t0;
		__atomic_store_n(&sh.stop, 1, __ATOMIC_SEQ_CST);
		free(lat);
		lat = NULL;
		bad += readers_join(rt, r, nr, &lat, &n);
		p50l[rep] = bench_quantile(lat, n, 0.5) * 1e3;
		p99l[rep] = bench_quantile(lat, n, 0.99) * 1e3;
		pubs[rep] = np * each / wall;
		after = count_runs(&sh);
		if (bad || after != before + np * each) {
			fprintf(stderr, "bench-serve: %d failed requests; runs %ld -> %ld, not +%d\n",
				bad, before, after, np * each);
			goto fail_load;
		}
		printf("%3d  %11ld  %11.1f  %11.2f  %11.2f  %11.2f  %11.2f\n", rep, before,
		       pubs[rep], p50i[rep], p99i[rep], p50l[rep], p99l[rep]);
		free(lat);
		free(pt);
		free(rt);
		free(p);
		free(r);
		continue;
fail_load:
		hvt_serve_stop(srv);
		return 1;
	}
	{
		struct spread a = bench_spread(pubs, reps), b = bench_spread(p99i, reps);
		struct spread c = bench_spread(p99l, reps), d = bench_spread(p50l, reps);
		char *db = hvt_asprintf("%s", store), *blobs = hvt_asprintf("%s/blobs", store);
		long runs = count_runs(&sh);
		int64_t dbb = dir_bytes(db), bb = dir_bytes(blobs);

		hvt_serve_stop(srv);
		dbb = dir_bytes(db); /* the WAL is checkpointed at close */
		printf("publishes/s: median %.1f (%s)\n", a.median,
		       bench_range(buf, sizeof(buf), 1, a.min, a.max));
		printf("page p99 idle: median %.2f ms (%s)\n", b.median,
		       bench_range(buf, sizeof(buf), 2, b.min, b.max));
		printf("page p50 under load: median %.2f ms (%s)\n", d.median,
		       bench_range(buf, sizeof(buf), 2, d.min, d.max));
		printf("page p99 under load: median %.2f ms (%s); ratio to idle %.1f\n", c.median,
		       bench_range(buf, sizeof(buf), 2, c.min, c.max), c.median / b.median);
		printf("store: %ld runs, database %.1f KiB/run, blobs %.1f KiB in all "
		       "(one upload's files, deduplicated)\n", runs, dbb / 1024.0 / (double)runs,
		       bb / 1024.0);
		free(db);
		free(blobs);
	}
	curl_global_cleanup();
	hvt_rm_rf(tmpl);
	return 0;
fail:
	fprintf(stderr, "bench-serve: %s\n", err.msg);
	return 1;
}
