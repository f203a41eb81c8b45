// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP round trip: hvt_qmp_execute("query-status") against a plain
 * blocking-socket loop (the floor) on one QEMU, calls alternating, every
 * reply checked, in repetitions; medians and spread of latencies and ratios.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "proc.h"
#include "qmp.h"
#include "stats.h"

#define WARMUP 500
#define TIMEOUT_MS 5000

/*
 * Commands of the floor, up to their id (fixed texts: nothing is spliced
 * in). Compact, byte for byte what hvt_qmp_execute() sends: QEMU takes
 * measurably longer (about 5 % of a round trip here) over the same command
 * with blanks after ':' and ','.
 */
static const char cmd_status[] = "{\"execute\":\"query-status\",\"id\":";
static const char cmd_unknown[] = "{\"execute\":\"query-statuz\",\"id\":";
static const char cmd_caps[] = "{\"execute\":\"qmp_capabilities\",\"id\":";

/* The floor's connection: a blocking socket read through its own buffer. */
struct plain {
	int fd;
	char in[8192];
	size_t in_len, in_off;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int plain_connect(struct plain *pl, const char *path, int timeout_ms,
			 struct hvt_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int64_t deadline = hvt_now_ms() + timeout_ms;

	if (hvt_snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) < 0)
		return hvt_err_set(err, -ENAMETOOLONG, "socket path too long: %s", path);
	while (hvt_ms_left(deadline)) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return hvt_err_set(err, -errno, "socket: %s", strerror(errno));
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			/* Bound every read, so that a missing reply cannot hang the benchmark. */
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			pl->fd = fd;
			return 0;
		}
		close(fd);
		usleep(10000);
	}
	return hvt_err_set(err, -ETIMEDOUT, "cannot connect to %s within %d ms", path,
			   timeout_ms);
}

/* One line (without "\r\n"), NUL-terminated inside pl->in. */
static char *plain_line(struct plain *pl, struct hvt_err *err)
{
	for (;;) {
		char *p = pl->in + pl->in_off, *nl = memchr(p, '\n', pl->in_len - pl->in_off);
		ssize_t n;

		if (nl) {
			pl->in_off = (size_t)(nl + 1 - pl->in);
			if (nl > p && nl[-1] == '\r')
				nl--;
			*nl = '\0';
			return p;
		}
		if (pl->in_off) {
			pl->in_len -= pl->in_off;
			memmove(pl->in, pl->in + pl->in_off, pl->in_len);
			pl->in_off = 0;
		}
		if (pl->in_len + 1 >= sizeof(pl->in)) {
			hvt_err_set(err, -EMSGSIZE, "plain: a message longer than %zu bytes",
				    sizeof(pl->in));
			return NULL;
		}
		do
			n = read(pl->fd, pl->in + pl->in_len, sizeof(pl->in) - 1 - pl->in_len);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			hvt_err_set(err, n ? -errno : -ECONNRESET, "plain: %s",
				    n ? strerror(errno) : "QEMU closed the connection");
			return NULL;
		}
		pl->in_len += (size_t)n;
	}
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/*
 * The floor's call: cmd (one of the cmd_* above) completed with its id, one
 * write, read one line, and check it is a success reply to this id. QEMU writes a reply as
 * {"return": R, "id": N} with "return" first, so a reply is right when the
 * line starts with {"return": and ends with , "id": N}. expect_id differs
 * from id only for the control run.
 */
static int plain_call(struct plain *pl, const char *cmd, long id, long expect_id,
		      struct hvt_err *err)
{
	char out[128], suffix[48];
	const char *line;
	int n = snprintf(out, sizeof(out), "%s%ld}\n", cmd, id);
	size_t len;

	if (n < 0 || (size_t)n >= sizeof(out))
		return hvt_err_set(err, -EINVAL, "plain: command too long");
	if (write(pl->fd, out, (size_t)n) != n)
		return hvt_err_set(err, -EIO, "plain: write: %s", strerror(errno));
	line = plain_line(pl, err);
	if (!line)
		return err->code;
	len = strlen(line);
	snprintf(suffix, sizeof(suffix), ", \"id\": %ld}", expect_id);
	if (strncmp(line, "{\"return\": ", 11) || !ends_with(line, len, suffix))
		return hvt_err_set(err, -EPROTO, "plain: reply to id %ld is not a return "
				   "with that id: %.300s", expect_id, line);
	return 0;
}

/* hvtest's call: the client matches the id and turns an error into -EREMOTEIO. */
static int hvt_call(struct hvt_qmp *qmp, const char *cmd, struct hvt_err *err)
{
	struct json_object *r = NULL;
	int e = hvt_qmp_execute(qmp, cmd, NULL, &r, TIMEOUT_MS, err);

	if (!e && !hvt_json_get_str(r, "status"))
		e = hvt_err_set(err, -EPROTO, "%s returned no status: %s", cmd, hvt_json_str(r));
	json_object_put(r);
	return e;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Median and 99th percentile of n latencies (sorted in place), in µs. */
static void latency(int64_t *ns, int n, double *median, double *p99)
{
	int k = (int)((double)n * 0.99);

	qsort(ns, (size_t)n, sizeof(*ns), cmp_i64);
	*median = (n % 2 ? (double)ns[n / 2] : ((double)ns[n / 2 - 1] + (double)ns[n / 2]) / 2) /
		  1000.0;
	*p99 = (double)ns[k < n ? k : n - 1] / 1000.0;
}

/*
 * Control: each check must be able to fail. The floor gets a reply with
 * another id and an error reply; hvtest's call gets an error reply. Then a
 * clean call of each must pass. Returns the number of checks that did not fire.
 */
static int control(struct hvt_qmp *qmp, struct plain *pl, long *id)
{
	struct hvt_err err = HVT_ERR_INIT;
	int missed = 0;

	++*id;
	if (plain_call(pl, cmd_status, *id, *id + 1, &err))
		printf("control floor  wrong id     caught: %s\n", err.msg);
	else
		printf("control floor  wrong id     NOT caught\n"), missed++;
	++*id;
	if (plain_call(pl, cmd_unknown, *id, *id, &err))
		printf("control floor  error reply  caught: %s\n", err.msg);
	else
		printf("control floor  error reply  NOT caught\n"), missed++;
	if (hvt_call(qmp, "query-statuz", &err))
		printf("control hvtest error reply  caught: %s\n", err.msg);
	else
		printf("control hvtest error reply  NOT caught\n"), missed++;
	++*id;
	if (plain_call(pl, cmd_status, *id, *id, &err))
		printf("control floor  clean call failed: %s\n", err.msg), missed++;
	if (hvt_call(qmp, "query-status", &err))
		printf("control hvtest clean call failed: %s\n", err.msg), missed++;
	return missed;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-qmp [-n CALLS] [-r REPS] [-q QEMU] [-c]\n"
		"  CALLS of each kind per repetition (default 2000), REPS repetitions\n"
		"  (default 11), QEMU defaults to $HVT_QEMU or qemu-system-x86_64;\n"
		"  -c: break one reply of each kind on purpose and check that every\n"
		"  check fires.\n");
}

int main(int argc, char **argv)
{
	const char *qemu = hvt_qemu_binary();
	char dir[] = "/tmp/hvt-bench-qmp-XXXXXX";
	char *sock_a = NULL, *sock_b = NULL, *qmp_a = NULL, *qmp_b = NULL, *errlog = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_opts po = { 0 };
	struct hvt_proc_status st;
	struct hvt_proc *proc = NULL;
	struct hvt_qmp *qmp = NULL;
	struct plain pl = { .fd = -1 };
	int64_t *t_hvt = NULL, *t_floor = NULL;
	double (*res)[6] = NULL, *col = NULL;
	int n = 2000, reps = 11, opt, ret = 1, major, minor, micro;
	bool ctl = false;
	long id = 0;
	char buf[128], ra[48], rb[48];

	while ((opt = getopt(argc, argv, "n:r:q:ch")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'q':
			qemu = optarg;
			break;
		case 'c':
			ctl = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n < 1 || reps < 1 || reps > 1000) {
		usage();
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("bench-qmp: mkdtemp");
		return 1;
	}
	hvt_proc_install_reaper();
	sock_a = hvt_asprintf("%s/a.sock", dir);
	sock_b = hvt_asprintf("%s/b.sock", dir);
	qmp_a = hvt_asprintf("unix:%s,server=on,wait=off", sock_a);
	qmp_b = hvt_asprintf("unix:%s,server=on,wait=off", sock_b);
	errlog = hvt_asprintf("%s/qemu.stderr", dir);
	{
		const char *const args[] = {
			qemu, "-accel", "tcg", "-machine", "none", "-nodefaults", "-display", "none",
			"-qmp", qmp_a, "-qmp", qmp_b, NULL,
		};

		po.argv = args;
		po.stderr_path = errlog;
		proc = hvt_proc_spawn(&po, &err);
	}
	if (!proc) {
		fprintf(stderr, "bench-qmp: %s\n", err.msg);
		goto out;
	}
	qmp = hvt_qmp_connect(sock_a, 10000, NULL, &err);
	if (!qmp) {
		char *tail = hvt_file_tail(errlog, 5);

		fprintf(stderr, "bench-qmp: %s\n%s", err.msg, tail ? tail : "");
		free(tail);
		goto out;
	}
	if (plain_connect(&pl, sock_b, 10000, &err) || !plain_line(&pl, &err) ||
	    plain_call(&pl, cmd_caps, 0, 0, &err)) {
		fprintf(stderr, "bench-qmp: the plain connection: %s\n", err.msg);
		goto out;
	}
	hvt_qmp_version(qmp, &major, &minor, &micro);

	if (ctl) {
		int missed = control(qmp, &pl, &id);

		printf("control: %s\n", missed ? "some checks did not fire" : "every check fired");
		ret = missed ? 1 : 0;
		goto out_stop;
	}

	t_hvt = hvt_malloc(sizeof(*t_hvt) * (size_t)n);
	t_floor = hvt_malloc(sizeof(*t_floor) * (size_t)n);
	res = hvt_zalloc(sizeof(*res) * (size_t)reps);
	col = hvt_malloc(sizeof(*col) * (size_t)reps);
	printf("QMP round trip of query-status, QEMU %d.%d.%d, -accel tcg -machine none: %d calls "
	       "of each kind per repetition, alternating (which goes first alternates too), "
	       "%d repetitions after %d warm-up calls; every reply checked\n\n",
	       major, minor, micro, n, reps, WARMUP);
	printf("%-4s %21s %21s %21s   (median / p99)\n", "rep", "hvt_qmp_execute us",
	       "floor us", "ratio");
	for (int r = -1; r < reps; r++) {
		int calls = r < 0 ? WARMUP : n;

		for (int i = 0; i < calls; i++) {
			int64_t t0, t1, t2;
			bool floor_first = i & 1;

			id++;
			t0 = now_ns();
			if (floor_first ? plain_call(&pl, cmd_status, id, id, &err)
					: hvt_call(qmp, "query-status", &err))
				goto err_call;
			t1 = now_ns();
			if (floor_first ? hvt_call(qmp, "query-status", &err)
					: plain_call(&pl, cmd_status, id, id, &err))
				goto err_call;
			t2 = now_ns();
			t_floor[i % n] = floor_first ? t1 - t0 : t2 - t1;
			t_hvt[i % n] = floor_first ? t2 - t1 : t1 - t0;
		}
		if (r < 0)
			continue;
		latency(t_hvt, n, &res[r][0], &res[r][1]);
		latency(t_floor, n, &res[r][2], &res[r][3]);
		res[r][4] = res[r][0] / res[r][2];
		res[r][5] = res[r][1] / res[r][3];
		printf("%-4d %9.1f / %9.1f %9.1f / %9.1f %9.2f / %9.2f\n", r + 1, res[r][0],
		       res[r][1], res[r][2], res[r][3], res[r][4], res[r][5]);
		fflush(stdout);
	}

	printf("\n%-28s %8s %17s %17s\n", "over the repetitions", "median", "IQR", "min-max");
	{
		static const char *const names[6] = {
			"hvt_qmp_execute median (us)", "hvt_qmp_execute p99 (us)",
			"floor median (us)", "floor p99 (us)",
			"ratio of medians", "ratio of p99s",
		};

		for (int k = 0; k < 6; k++) {
			struct spread sp;

			for (int r = 0; r < reps; r++)
				col[r] = res[r][k];
			sp = bench_spread(col, reps);
			printf("%-28s %8.2f %17s %17s\n", names[k], sp.median,
			       bench_range(ra, sizeof(ra), 2, sp.q1, sp.q3),
			       bench_range(rb, sizeof(rb), 2, sp.min, sp.max));
		}
	}
	ret = 0;
	goto out_stop;

err_call:
	fprintf(stderr, "bench-qmp: %s\n", err.msg);
out_stop:
	/* QEMU must end on our SIGTERM, not have crashed on the way. */
	hvt_qmp_free(qmp);
	qmp = NULL;
	if (pl.fd >= 0)
		close(pl.fd);
	pl.fd = -1;
	if (hvt_proc_stop(proc, 5000, &st)) {
		fprintf(stderr, "bench-qmp: QEMU did not end on SIGTERM within 5 s\n");
		ret = 1;
	} else if (st.core || (st.exited ? st.code != 0 : st.sig != SIGTERM)) {
		fprintf(stderr, "bench-qmp: QEMU %s at the end\n",
			hvt_proc_status_str(&st, buf, sizeof(buf)));
		ret = 1;
	}
out:
	hvt_qmp_free(qmp);
	if (pl.fd >= 0)
		close(pl.fd);
	hvt_proc_free(proc);
	free(t_hvt);
	free(t_floor);
	free(res);
	free(col);
	free(sock_a);
	free(sock_b);
	free(qmp_a);
	free(qmp_b);
	free(errlog);
	hvt_rm_rf(dir);
	return ret;
}
