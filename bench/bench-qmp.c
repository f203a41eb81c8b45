// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP round-trip benchmark: hvt_qmp_execute("query-status") against a
 * plain blocking-socket loop (the floor), both on one QEMU, interleaved.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

#define WARMUP 500

static const char floor_cmd[] = "{\"execute\":\"query-status\",\"id\":1}\n";

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static pid_t start_qemu(const char *qemu, const char *sock_a, const char *sock_b,
			const char *log)
{
	char *qmp_a = hvt_asprintf("unix:%s,server=on,wait=off", sock_a);
	char *qmp_b = hvt_asprintf("unix:%s,server=on,wait=off", sock_b);
	char *const argv[] = {
		(char *)qemu, (char *)"-accel", (char *)"tcg", (char *)"-machine",
		(char *)"none", (char *)"-nodefaults", (char *)"-display", (char *)"none",
		(char *)"-qmp", qmp_a, (char *)"-qmp", qmp_b, NULL,
	};
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(qemu, argv);
		_exit(127);
	}
	free(qmp_a);
	free(qmp_b);
	return pid;
}

/* The floor: a blocking socket, one write, reads until the end of line. */
static int floor_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = hvt_now_ms() + timeout_ms;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	while (hvt_ms_left(deadline)) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	return -1;
}

static int floor_read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, size - len - 1);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		if (buf[len - 1] == '\n')
			return 0;
		if (len + 1 >= size)
			return -1;
	}
}

static int floor_call(int fd, const char *cmd)
{
	char buf[4096];

	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -1;
	return floor_read_line(fd, buf, sizeof(buf));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double median, p99, mean;
};

static struct stats summarise(int64_t *ns, int n)
{
	struct stats st;
	double sum = 0;
	int k = (int)((double)n * 0.99);

	qsort(ns, (size_t)n, sizeof(*ns), cmp_i64);
	for (int i = 0; i < n; i++)
		sum += (double)ns[i];
	st.median = (double)ns[n / 2] / 1000.0;
	st.p99 = (double)ns[k < n ? k : n - 1] / 1000.0;
	st.mean = sum / n / 1000.0;
	return st;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n CALLS] [-q QEMU]\n"
			"  QEMU defaults to $HVT_QEMU or qemu-system-x86_64\n", prog);
}

int main(int argc, char **argv)
{
	const char *qemu = getenv("HVT_QEMU") ? getenv("HVT_QEMU") : "qemu-system-x86_64";
	char dir[] = "/tmp/hvt-bench-qmp-XXXXXX", *sock_a, *sock_b, *log;
	struct hvt_err err = HVT_ERR_INIT;
	int64_t *t_hvt = NULL, *t_floor = NULL;
	struct stats s_hvt, s_floor;
	struct hvt_qmp *qmp = NULL;
	int n = 10000, opt, fd = -1, ret = 1, major, minor, micro;
	pid_t pid;
	char buf[4096];

	while ((opt = getopt(argc, argv, "n:q:h")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'q':
			qemu = optarg;
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n < 1) {
		usage(argv[0]);
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	sock_a = hvt_asprintf("%s/a.sock", dir);
	sock_b = hvt_asprintf("%s/b.sock", dir);
	log = hvt_asprintf("%s/qemu.log", dir);
	pid = start_qemu(qemu, sock_a, sock_b, log);
	if (pid < 0) {
		perror("fork");
		goto out_rm;
	}

	qmp = hvt_qmp_connect(sock_a, 10000, NULL, &err);
	if (!qmp) {
		char *tail = hvt_file_tail(log, 5);

		fprintf(stderr, "bench-qmp: %s\n%s", err.msg, tail ? tail : "");
		free(tail);
		goto out_kill;
	}
	fd = floor_connect(sock_b, 10000);
	if (fd < 0 || floor_read_line(fd, buf, sizeof(buf)) ||
	    floor_call(fd, "{\"execute\":\"qmp_capabilities\"}\n")) {
		fprintf(stderr, "bench-qmp: cannot set up the plain QMP connection\n");
		goto out_kill;
	}

	t_hvt = hvt_malloc(sizeof(*t_hvt) * (size_t)n);
	t_floor = hvt_malloc(sizeof(*t_floor) * (size_t)n);
	for (int i = -WARMUP; i < n; i++) {
		int64_t t0, t1, t2;
		struct json_object *r;

		/* Alternate which goes first, so that neither always follows the other. */
		t0 = now_ns();
		if (i & 1) {
			if (floor_call(fd, floor_cmd))
				goto err_floor;
			t1 = now_ns();
			if (hvt_qmp_execute(qmp, "query-status", NULL, &r, 5000, &err))
				goto err_hvt;
			t2 = now_ns();
			json_object_put(r);
			if (i >= 0) {
				t_floor[i] = t1 - t0;
				t_hvt[i] = t2 - t1;
			}
		} else {
			if (hvt_qmp_execute(qmp, "query-status", NULL, &r, 5000, &err))
				goto err_hvt;
			t1 = now_ns();
			json_object_put(r);
			if (floor_call(fd, floor_cmd))
				goto err_floor;
			t2 = now_ns();
			if (i >= 0) {
				t_hvt[i] = t1 - t0;
				t_floor[i] = t2 - t1;
			}
		}
	}

	s_hvt = summarise(t_hvt, n);
	s_floor = summarise(t_floor, n);
	hvt_qmp_version(qmp, &major, &minor, &micro);
	printf("QMP round trip of query-status: %d calls each, interleaved, after %d warm-up\n"
	       "QEMU %d.%d.%d, -accel tcg -machine none\n\n", n, WARMUP, major, minor, micro);
	printf("%-26s %10s %10s %10s\n", "", "median", "p99", "mean");
	printf("%-26s %8.1f us %7.1f us %7.1f us\n", "hvt_qmp_execute", s_hvt.median,
	       s_hvt.p99, s_hvt.mean);
	printf("%-26s %8.1f us %7.1f us %7.1f us\n", "floor (blocking socket)",
	       s_floor.median, s_floor.p99, s_floor.mean);
	printf("%-26s %10.2f %10.2f %10.2f\n", "ratio hvtest/floor",
	       s_hvt.median / s_floor.median, s_hvt.p99 / s_floor.p99,
	       s_hvt.mean / s_floor.mean);
	ret = 0;
	goto out_kill;

err_hvt:
	fprintf(stderr, "bench-qmp: hvt_qmp_execute: %s\n", err.msg);
	goto out_kill;
err_floor:
	fprintf(stderr, "bench-qmp: plain QMP call failed\n");
out_kill:
	hvt_qmp_free(qmp);
	if (fd >= 0)
		close(fd);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
out_rm:
	free(t_hvt);
	free(t_floor);
	free(sock_a);
	free(sock_b);
	free(log);
	hvt_rm_rf(dir);
	return ret;
}
