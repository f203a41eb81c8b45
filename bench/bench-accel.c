// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The accelerator probe's cost: cold (nothing cached: the probe runs), cached
 * in a file (a new process in the same boot) and cached in the process,
 * interleaved over repetitions, on this host and on hosts simulated by
 * wrappers around the real QEMU. With --run PLAN, also the wall time of
 * "hvtest run PLAN" with a cold cache, for the probe's share of a run.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvt-config.h"
#include "fakeqemu.h"
#include "hvtest.h"
#include "stats.h"

#define MAX_REPS 100

struct sample {
	double ms;
	char name[16];
	char reason[512];
};

/* The child side: probe once, write the sample to stdout. */
static int child_probe(const char *qemu, bool refresh)
{
	struct hvt_accel_opts o = { .qemu = qemu, .refresh = refresh };
	struct hvt_err err = HVT_ERR_INIT;
	struct sample out = { 0 };
	struct hvt_accel acc;
	double t0 = hvt_now();


	if (hvt_accel_probe(&o, &acc, &err)) {
		fprintf(stderr, "bench-accel: %s\n", err.msg);
		return 1;
	}
	out.ms = (hvt_now() - t0) * 1000.0;
	printf("%.3f %s %s\n", out.ms, acc.name, acc.reason);
	return 0;
}

/*
 * Probe in a new process (this program again): nothing of this process's
 * caches, as in a new hvtest command. The time is the probe call's own.
 */
static int probe_in_child(const char *qemu, bool refresh, struct sample *s)
{
	const char *argv[] = { "/proc/self/exe", refresh ? "--child-cold" : "--child-cached",
			       qemu, NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *out = NULL;
	int ret;

	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int used = 0;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	argv[0] = self;
	ret = hvt_proc_run(argv, 60000, &out, &err);
	if (!ret && sscanf(out, "%lf %15s %n", &s->ms, s->name, &used) == 2 && used) {
		snprintf(s->reason, sizeof(s->reason), "%.*s", (int)strcspn(out + used, "\n"),
			 out + used);
	} else {
		fprintf(stderr, "bench-accel: child probe: %s%s\n", ret ? err.msg : "",
			out ? out : "");
		ret = ret ? ret : -EPROTO;
	}
	free(out);
	return ret;
}

static void report(const char *host, const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	printf("| %s | %s | %.3f | %.3f | %.3f |\n", host, what, v[n / 2], v[0], v[n - 1]);
}

struct host {
	const char *label;
	char *qemu;
	const char *kvm_dev;
};

static int bench_host(const struct host *h, const char *cache, int reps)
{
	double cold[MAX_REPS], file[MAX_REPS], mem[MAX_REPS];
	struct hvt_accel_opts o = { .qemu = h->qemu };
	struct hvt_err err = HVT_ERR_INIT;
	struct sample s;
	struct hvt_accel acc;

	setenv("XDG_CACHE_HOME", cache, 1);
	setenv("HVT_KVM_DEVICE", h->kvm_dev, 1);
	for (int i = 0; i < reps; i++) {
		if (probe_in_child(h->qemu, true, &s))
			return -1;
		cold[i] = s.ms;
		if (i == 0)
			printf("<!-- %s: %s: %s -->\n", h->label, s.name, s.reason);
		if (probe_in_child(h->qemu, false, &s))
			return -1;
		file[i] = s.ms;
		/* in this process: the first call reads the file, the second the memory */
		if (hvt_accel_probe(&o, &acc, &err)) {
			fprintf(stderr, "bench-accel: %s\n", err.msg);
			return -1;
		}
		double t0 = hvt_now();

		hvt_accel_probe(&o, &acc, &err);
		mem[i] = (hvt_now() - t0) * 1000.0;
	}
	report(h->label, "cold (probe runs)", cold, reps);
	report(h->label, "cached in a file (new process)", file, reps);
	report(h->label, "cached in the process", mem, reps);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reps", required_argument, NULL, 'n' },
		{ "simulate", no_argument, NULL, 's' },
		{ "run", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	char dir[] = "/tmp/hvt-bench-accel-XXXXXX";
	const char *plan = NULL, *real = hvt_qemu_binary();
	bool simulate = false;
	int reps = 7, opt, rc = 1;
	char *cache;

	if (argc == 3 && (!strcmp(argv[1], "--child-cold") || !strcmp(argv[1], "--child-cached")))
		return child_probe(argv[2], !strcmp(argv[1], "--child-cold"));
	while ((opt = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		if (opt == 'n')
			reps = atoi(optarg);
		else if (opt == 's')
			simulate = true;
		else if (opt == 'r')
			plan = optarg;
		else
			goto usage;
	}
	if (reps < 1 || reps > MAX_REPS || optind != argc)
		goto usage;
	if (!mkdtemp(dir))
		return 1;
	hvt_proc_install_reaper();
	unsetenv("HVT_ACCEL");
	/* the guest stays where it is while the cache moves */
	setenv("HVT_GUEST_DIR", hvt_guest_dir(), 1);
	printf("| host | verdict | median ms | min ms | max ms |\n|---|---|---|---|---|\n");

	struct host here = { "this host", (char *)real, "/dev/kvm" };

	cache = hvt_asprintf("%s/cache-here", dir);
	if (bench_host(&here, cache, reps))
		goto out;
	free(cache);
	if (simulate) {
		/* KVM opens; -cpu host aborts on an MSR, qemu64 hangs (8 s timeout) */
		struct hvt_err err = HVT_ERR_INIT;
		struct host amd = { "nested AMD (simulated)",
				    fakeqemu_kvm_aborts(dir, real, "exec sleep 600", &err),
				    "/dev/null" };

		if (!amd.qemu) {
			fprintf(stderr, "bench-accel: %s\n", err.msg);
			goto out;
		}
		cache = hvt_asprintf("%s/cache-amd", dir);
		if (bench_host(&amd, cache, reps < 3 ? reps : 3))
			goto out;
		free(cache);
		free(amd.qemu);
	}
	if (plan) {
		const char *hv = HVT_BUILD_ROOT "/src/cli/hvtest";
		char *results = hvt_asprintf("%s/results", dir);
		const char *cmd[] = { hv, "run", "-j", "2",
				      "--results", results, plan, NULL };
		struct hvt_err err = HVT_ERR_INIT;
		char *out = NULL;
		double t0;

		cache = hvt_asprintf("%s/cache-run", dir);
		setenv("XDG_CACHE_HOME", cache, 1);
		setenv("HVT_KVM_DEVICE", "/dev/kvm", 1);
		t0 = hvt_now();
		if (hvt_proc_run(cmd, 3600 * 1000, &out, &err)) {
			fprintf(stderr, "bench-accel: %s\n%s", err.msg, out ? out : "");
			goto out;
		}
		printf("\nhvtest run -j 2 %s with a cold cache: %.1f s\n", plan, hvt_now() - t0);
		free(out);
		free(cache);
		free(results);
	}
	rc = 0;
out:
	hvt_rm_rf(dir);
	return rc;
usage:
	fprintf(stderr, "usage: bench-accel [--reps N (1..%d)] [--simulate] [--run PLAN]\n",
		MAX_REPS);
	return 2;
}
