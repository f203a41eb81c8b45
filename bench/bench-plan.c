// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Plan expansion speed and memory, on a generated plan of the real shape
 * (a tp-qemu-like tree: base keys, hundreds of subtests with nested
 * variants, filters and conditions, guests, machines) and on a large flat
 * plan; in process, or comparing hvtest binaries side by side.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "stats.h"
#include "util.h"

static const char usage[] =
	"usage: bench-plan [--reps N] [--scale S] [--cli HVTEST]... [--big MB]\n"
	"       bench-plan --write DIR [--scale S] [--big MB]\n\n"
	"Generate a plan of the real shape (DIR/tests.cfg) and time its expansion:\n"
	"every variant, with six filters, and with --defaults, by wall and CPU time.\n"
	"Without --cli the plan library is timed in this process; each --cli HVTEST\n"
	"runs 'HVTEST plan list' instead, the binaries taking turns, and reports\n"
	"their ratios. --big also writes a flat plan of MB megabytes (DIR/flat.cfg,\n"
	"about 30 000 variants a megabyte) and reports peak RSS while expanding it.\n";

/* ---- the generated plan ---- */

/* xorshift64*: the same plan for the same scale, everywhere */
static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 33) % n;
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd((uint32_t)n)];
}

#define PICK(v) pick(v, HVT_ARRAY_SIZE(v))

static const char *const guests[] = {
	"RHEL.8.10", "RHEL.9.4", "RHEL.9.5", "RHEL.10.0", "Fedora.40", "Fedora.41",
	"Ubuntu.22.04", "Ubuntu.24.04", "SLES.15.6", "Win2019", "Win2022", "Win2025",
	"Win10", "Win11",
};

/* names a filter or a condition can use, and how often they match */
static const char *const cond_names[] = {
	"Windows", "Linux", "RHEL", "Fedora", "Win2019", "Win11", "q35", "i440fx",
	"virtio_blk", "virtio_scsi", "ide", "qcow2", "raw", "e1000", "virtio_net", "smp2",
	"RHEL.9", "Windows..ide", "Linux..virtio_scsi", "q35..qcow2", "(image_backend=ceph)",
};

static const char *const words[] = {
	"boot", "reboot", "shutdown", "migrate", "hotplug", "unplug", "balloon", "stress",
	"block", "nic", "cpu", "mem", "timedrift", "snapshot", "backup", "mirror", "commit",
	"stream", "resize", "trim", "discard", "vhost", "multiqueue", "numa", "hugepage",
	"watchdog", "serial", "console", "usb", "audio", "vnc", "spice", "qmp", "qga", "kdump",
};

/* a value: short, a path, or a long shell command with ${} */
static void value(struct hvt_buf *b, int i)
{
	switch (rnd(6)) {
	case 0:
		hvt_buf_addf(b, "%u", rnd(100000));
		break;
	case 1:
		hvt_buf_addf(b, "%s", rnd(2) ? "yes" : "no");
		break;
	case 2:
		hvt_buf_addf(b, "/var/lib/avocado/data/%s/%s_%d.img", PICK(words), PICK(words), i);
		break;
	case 3:
		hvt_buf_addf(b, "\"-device virtio-%s-pci,id=%s%d,bus=pcie.0,addr=0x%x\"",
			     PICK(words), PICK(words), i, rnd(32));
		break;
	default:
		hvt_buf_addf(b, "cd ${tmp_dir} && tar -xzf ${%s_pkg} && cd %s-%u.%u && "
			     "./configure --prefix=${install_prefix} && make -j ${smp} && "
			     "%s --cpu ${smp} --vm-bytes ${mem}M --timeout ${stress_timeout} "
			     "--hugepages ${mem-path_plug1} --march ${x86-64-march} "
			     "--queues ${netdev.queues} > ${tmp_dir}/%s_%d.log 2>&1",
			     PICK(words), PICK(words), rnd(5), rnd(10), PICK(words), PICK(words), i);
		break;
	}
}

static int write_file(const char *dir, const char *name, const struct hvt_buf *b)
{
	char *path = hvt_asprintf("%s/%s", dir, name);
	int rc = hvt_file_write(path, b->p, b->len, NULL);

	free(path);
	return rc;
}

static void base_cfg(struct hvt_buf *b)
{
	hvt_buf_addf(b,
		     "# parameters every test starts from\n"
		     "vms = vm1\nmain_vm = vm1\nstart_vm = yes\nkill_vm = no\nmem = 2048\nsmp = 2\n"
		     "qemu_binary = /usr/libexec/qemu-kvm\nqemu_img_binary = qemu-img\n"
		     "image_name = images/guest\nimage_format = qcow2\nimage_size = 20G\n"
		     "drive_format = virtio\nnic_model = virtio\nnics = nic1\ndisplay = vnc\n"
		     "shell_client = ssh\nshell_port = 22\nusername = root\npassword = 123456\n"
		     "login_timeout = 360\ntmp_dir = /var/tmp\ninstall_prefix = /usr/local\n"
		     "stress_timeout = 600\nmem-path_plug1 = /dev/hugepages\n"
		     "x86-64-march = x86-64-v2\nnetdev.queues = 4\n");
	for (int i = 0; i < 270; i++) {
		hvt_buf_addf(b, "%s_%s_%d %s ", PICK(words), PICK(words), i,
			     i % 17 == 16 ? "+=" : "=");
		value(b, i);
		hvt_buf_add(b, "\n", 1);
		if (i % 40 == 39)
			hvt_buf_addf(b, "\n# group %d\n", i / 40);
	}
	for (size_t i = 0; i < HVT_ARRAY_SIZE(words); i++)
		hvt_buf_addf(b, "%s_pkg = %s-1.0.tar.gz\n", words[i], words[i]);
}

/* nested variants of a subtest, depth levels deep */
static void sub_variants(struct hvt_buf *b, int indent, int depth, int t)
{
	int n = 2 + (int)rnd(3);

	hvt_buf_addf(b, "%*svariants:\n", indent, "");
	for (int i = 0; i < n; i++) {
		hvt_buf_addf(b, "%*s- %s%s_%d:\n", indent + 4, "", i == 0 && rnd(3) == 0 ? "@" : "",
			     PICK(words), i);
		for (int k = (int)rnd(4); k >= 0; k--) {
			hvt_buf_addf(b, "%*s%s_%s = ", indent + 8, "", PICK(words), PICK(words));
			value(b, t);
			hvt_buf_add(b, "\n", 1);
		}
		if (rnd(5) == 0)
			hvt_buf_addf(b, "%*s%s %s\n", indent + 8, "", rnd(2) ? "only" : "no",
				     PICK(cond_names));
		if (depth > 1 && rnd(3) == 0)
			sub_variants(b, indent + 8, depth - 1, t);
	}
}

static void subtests_cfg(struct hvt_buf *b, int ntests)
{
	char first[64] = "";

	hvt_buf_addf(b, "variants:\n");
	for (int t = 0; t < ntests; t++) {
		const char *w = PICK(words), *w2 = PICK(words);

		hvt_buf_addf(b, "    - %s_%s_%d:", w, w2, t);
		if (!t)
			snprintf(first, sizeof(first), "%s_%s_%d", w, w2, t);
		else if (rnd(10) == 0)
			hvt_buf_addf(b, " %s", first);
		hvt_buf_addf(b, "\n        type = %s\n", w);
		for (int k = 4 + (int)rnd(14); k > 0; k--) {
			hvt_buf_addf(b, "        %s_%s%s %s ", w, PICK(words),
				     rnd(4) ? "" : "_extra", rnd(8) ? "=" : "+=");
			value(b, t);
			hvt_buf_add(b, "\n", 1);
		}
		for (int k = (int)rnd(3); k > 0; k--)
			hvt_buf_addf(b, "        %s %s\n", rnd(3) ? "no" : "only", PICK(cond_names));
		for (int k = (int)rnd(4); k > 0; k--) {
			const char *c = PICK(cond_names);

			if (rnd(4) == 0) {
				hvt_buf_addf(b, "        !%s: %s_cond = ", c, w);
				value(b, t);
				hvt_buf_add(b, "\n", 1);
				continue;
			}
			hvt_buf_addf(b, "        %s:\n", c);
			for (int j = 1 + (int)rnd(3); j > 0; j--) {
				hvt_buf_addf(b, "            %s_%s = ", PICK(words), PICK(words));
				value(b, t);
				hvt_buf_add(b, "\n", 1);
			}
			if (rnd(4) == 0)
				hvt_buf_addf(b, "            no %s\n", PICK(cond_names));
		}
		if (rnd(10) < 3)
			sub_variants(b, 8, 3, t);
		if (rnd(60) == 0) {
			hvt_buf_addf(b, "        variants:\n"
					"            - src:\n                role = src\n"
					"                host_addr = ${tmp_dir}/src\n"
					"            - dst:\n                role = dst\n"
					"        join src dst\n");
		}
	}
}

static void guest_cfg(struct hvt_buf *b)
{
	hvt_buf_addf(b, "variants:\n");
	hvt_buf_addf(b, "    - Linux:\n        os_type = linux\n        shell_prompt = ^\\[.*\\][\\#\\$]\\s*$\n"
			"        variants:\n");
	for (size_t g = 0; g < HVT_ARRAY_SIZE(guests); g++) {
		const char *s = guests[g];
		const char *dot = strchr(s, '.');

		if (!strncmp(s, "Win", 3))
			continue;
		hvt_buf_addf(b, "            - %s:\n", s);
		hvt_buf_addf(b, "                image_name = images/%.*s\n"
				"                cdrom_cd1 = isos/linux/%s-x86_64-dvd.iso\n"
				"                kernel_params = console=ttyS0 ip=dhcp inst.ks=${tmp_dir}/%.*s.ks\n",
			     (int)(dot - s), s, s, (int)(dot - s), s);
		for (int k = 0; k < 8; k++) {
			hvt_buf_addf(b, "                %s_%s = ", PICK(words), PICK(words));
			value(b, (int)g);
			hvt_buf_add(b, "\n", 1);
		}
		hvt_buf_addf(b, "                %s: %s_quirk = yes\n", PICK(cond_names), PICK(words));
	}
	hvt_buf_addf(b, "    - Windows:\n        os_type = windows\n        shell_prompt = ^\\w:\\\\.*>\\s*$\n"
			"        shell_client = nc\n        cdrom_virtio = isos/windows/virtio-win.iso\n"
			"        variants:\n");
	for (size_t g = 0; g < HVT_ARRAY_SIZE(guests); g++) {
		if (strncmp(guests[g], "Win", 3))
			continue;
		hvt_buf_addf(b, "            - %s:\n                image_name = images/%s\n"
				"                cdrom_cd1 = isos/windows/%s.iso\n",
			     guests[g], guests[g], guests[g]);
		for (int k = 0; k < 8; k++) {
			hvt_buf_addf(b, "                %s_%s = ", PICK(words), PICK(words));
			value(b, (int)g);
			hvt_buf_add(b, "\n", 1);
		}
		hvt_buf_addf(b, "                variants:\n                    - i386:\n"
				"                        vm_arch_name = i686\n"
				"                        no q35\n"
				"                    - x86_64:\n"
				"                        vm_arch_name = x86_64\n");
	}
}

static void machines_cfg(struct hvt_buf *b)
{
	hvt_buf_addf(b,
		     "variants:\n    - @up:\n        smp = 1\n    - smp2:\n        smp = 2\n"
		     "        vcpu_sockets = 2\n"
		     "variants:\n    - @virtio_net:\n        nic_model = virtio\n"
		     "    - e1000:\n        nic_model = e1000\n        Windows: nic_model = e1000e\n"
		     "    - rtl8139:\n        nic_model = rtl8139\n        no q35\n"
		     "variants:\n    - @virtio_blk:\n        drive_format = virtio\n"
		     "    - virtio_scsi:\n        drive_format = scsi-hd\n        cd_format = scsi-cd\n"
		     "    - ide:\n        drive_format = ide\n        only i440fx\n"
		     "variants image_backend [default=filesystem]:\n    - filesystem:\n"
		     "    - ceph:\n        image_name = rbd:pool/${image_name}\n        no raw\n"
		     "variants:\n    - @qcow2:\n        image_format = qcow2\n"
		     "    - raw:\n        image_format = raw\n"
		     "variants:\n    - i440fx:\n        machine_type = pc\n"
		     "    - @q35:\n        machine_type = q35\n        pcie_extra_root_port = 8\n");
}

static int realistic(const char *dir, int scale)
{
	struct hvt_buf b = HVT_BUF_INIT;
	int rc = 0;

	rng_state = 0x9e3779b97f4a7c15ull;
	hvt_buf_add(&b, "", 0);
	base_cfg(&b);
	rc |= write_file(dir, "base.cfg", &b);
	b.len = 0;
	subtests_cfg(&b, 500 * scale);
	rc |= write_file(dir, "subtests.cfg", &b);
	b.len = 0;
	guest_cfg(&b);
	rc |= write_file(dir, "guest-os.cfg", &b);
	b.len = 0;
	machines_cfg(&b);
	rc |= write_file(dir, "machines.cfg", &b);
	b.len = 0;
	hvt_buf_addf(&b, "include base.cfg\ninclude subtests.cfg\ninclude guest-os.cfg\n"
			 "include machines.cfg\n"
			 "Windows..ide:\n    drive_cache = writethrough\n"
			 "RHEL.9..virtio_scsi: scsi_hba = virtio-scsi-pci\n"
			 "ceph:\n    no Win2019, Win10\n"
			 "!q35: pcie_extra_root_port = 0\n"
			 "mem_min = 1024\nsmp_max = 16\n"
			 "image_name_full = ${image_name}.${image_format}\n");
	rc |= write_file(dir, "tests.cfg", &b);
	hvt_buf_release(&b);
	return rc;
}

/* six command-line filters, as a user narrows a run */
static const char *const six_filters[] = {
	"only qcow2", "only virtio_blk, virtio_scsi", "only virtio_net", "only smp2",
	"only RHEL.9, Win2022", "only q35",
};

/* One block of entries of about 33 bytes each: mostly structure. */
static int flat(const char *path, size_t mb, size_t *entries)
{
	FILE *f = fopen(path, "w");
	size_t n = 0;

	if (!f)
		return -errno;
	fputs("variants:\n", f);
	while ((size_t)ftell(f) < mb * 1000000) {
		fprintf(f, "    - v%zu:\n        k = %zu\n", n, n);
		n++;
	}
	*entries = n;
	return fclose(f) ? -errno : 0;
}

/* ---- in-process timing ---- */

/*
 * CPU seconds this process has used: on a shared machine, where other jobs
 * take turns on the cores, wall time measures the load as much as the walk.
 */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct scenario {
	const char *name;
	bool defaults;
	const char *const *filters;
	size_t nfilters;
};

static const struct scenario scenarios[] = {
	{ "all variants", false, NULL, 0 },
	{ "6 filters", false, six_filters, HVT_ARRAY_SIZE(six_filters) },
	{ "--defaults", true, NULL, 0 },
};

/*
 * Expand every variant, reading all keys as a runner would; wall and CPU
 * seconds of the walk. -1 on error.
 */
static long expand(struct hvt_plan *p, double *seconds, double *cpu, uint64_t *sum)
{
	struct hvt_err err = HVT_ERR_INIT;
	const struct hvt_variant *v;
	struct hvt_plan_iter *it = hvt_plan_iter_new(p);
	double t0 = hvt_now(), c0 = cpu_now();
	long n;
	int rc;

	while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1) {
		const char *t = hvt_variant_get(v, "type");

		*sum += hvt_variant_nkeys(v) + (t ? strlen(t) : 0) + strlen(hvt_variant_name(v));
	}
	*seconds = hvt_now() - t0;
	*cpu = cpu_now() - c0;
	n = (long)hvt_plan_iter_count(it);
	hvt_plan_iter_free(it);
	if (rc < 0) {
		fprintf(stderr, "bench-plan: %s\n", err.msg);
		return -1;
	}
	return n;
}

static struct hvt_plan *load(const char *path, const struct scenario *s, double *seconds)
{
	struct hvt_err err = HVT_ERR_INIT;
	double t0 = hvt_now();
	struct hvt_plan *p = hvt_plan_load(path, &err);

	for (size_t i = 0; p && i < s->nfilters; i++) {
		if (hvt_plan_filter(p, s->filters[i], &err)) {
			hvt_plan_free(p);
			p = NULL;
		}
	}
	if (!p) {
		fprintf(stderr, "bench-plan: %s\n", err.msg);
		return NULL;
	}
	hvt_plan_set_defaults(p, s->defaults, NULL);
	hvt_plan_set_limit(p, 0);
	*seconds = hvt_now() - t0;
	return p;
}

static int in_process(const char *path, int reps)
{
	printf("dicts/s of the walk (after parsing), median (IQR; min-max) over %d repetitions;\n"
	       "by wall time, and by the CPU time of this process\n", reps);
	printf("%-13s %8s %9s  %-36s %s\n", "plan", "dicts", "parse ms", "dicts/s (wall)",
	       "dicts/s (CPU)");
	for (size_t s = 0; s < HVT_ARRAY_SIZE(scenarios); s++) {
		double *rate = hvt_malloc(sizeof(*rate) * (size_t)reps);
		double *crate = hvt_malloc(sizeof(*crate) * (size_t)reps);
		double *parse = hvt_malloc(sizeof(*parse) * (size_t)reps);
		long n = 0;
		uint64_t sum = 0;
		struct spread r, c, ps;
		char w[64];

		for (int i = 0; i < reps; i++) {
			struct hvt_plan *p = load(path, &scenarios[s], &parse[i]);
			double dt, ct;

			if (!p)
				return 1;
			n = expand(p, &dt, &ct, &sum);
			hvt_plan_free(p);
			if (n < 0)
				return 1;
			rate[i] = (double)n / dt;
			crate[i] = (double)n / ct;
		}
		r = bench_spread(rate, reps);
		c = bench_spread(crate, reps);
		ps = bench_spread(parse, reps);
		snprintf(w, sizeof(w), "%.0f (%.0f-%.0f; %.0f-%.0f)", r.median, r.q1, r.q3, r.min,
			 r.max);
		printf("%-13s %8ld %9.1f  %-36s %.0f (%.0f-%.0f; %.0f-%.0f)\n", scenarios[s].name, n,
		       ps.median * 1e3, w, c.median, c.q1, c.q3, c.min, c.max);
		free(rate);
		free(crate);
		free(parse);
	}
	return 0;
}

/* ---- hvtest binaries side by side ---- */

struct run {
	double seconds;
	double cpu;		/* user + system seconds of the child */
	long rss_kib;
	long lines;
	uint64_t hash;		/* FNV-1a of the output */
	int status;
};

/* Run argv with its output in a pipe, read and hashed. */
static int run_cmd(const char *const *argv, struct run *r)
{
	struct rusage ru;
	uint64_t h = 1469598103934665603ull;
	char buf[65536];
	int fds[2], st;
	double t0;
	pid_t pid;
	ssize_t n;

	if (pipe(fds))
		return -errno;
	t0 = hvt_now();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	r->lines = 0;
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
			r->lines += buf[i] == '\n';
		}
	}
	close(fds[0]);
	if (wait4(pid, &st, 0, &ru) < 0)
		return -errno;
	r->seconds = hvt_now() - t0;
	r->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	r->rss_kib = ru.ru_maxrss;
	r->hash = h;
	r->status = st;
	return 0;
}

/* argv for 'hvtest plan list' of scenario s on path */
static const char **scenario_argv(const char *bin, const struct scenario *s, const char *path)
{
	const char **argv = hvt_zalloc((s->nfilters + 8) * sizeof(*argv));
	size_t n = 0;

	argv[n++] = bin;
	argv[n++] = "plan";
	argv[n++] = "list";
	if (s->defaults)
		argv[n++] = "--defaults";
	argv[n++] = path;
	for (size_t i = 0; i < s->nfilters; i++)
		argv[n++] = s->filters[i];
	return argv;
}

static void print_spread(const char *what, const double *v, int n, int prec)
{
	struct spread sp = bench_spread(v, n);

	printf("  %-26s %12.*f  (%.*f-%.*f; %.*f-%.*f)\n", what, prec, sp.median, prec, sp.q1,
	       prec, sp.q3, prec, sp.min, prec, sp.max);
}

static int side_by_side(char **bins, int nbins, const char *path, int reps)
{
	int rc = 0;

	for (size_t s = 0; s < HVT_ARRAY_SIZE(scenarios); s++) {
		double *rate = hvt_malloc(sizeof(*rate) * (size_t)(reps * nbins));
		double *crate = hvt_malloc(sizeof(*crate) * (size_t)(reps * nbins));
		double *ratio = hvt_malloc(sizeof(*ratio) * (size_t)(reps * nbins));
		long *rss = hvt_zalloc(sizeof(*rss) * (size_t)nbins);
		struct run first = { 0 };

		printf("%s: %s\n", scenarios[s].name, path);
		for (int r = 0; r < reps; r++) {
			for (int k = 0; k < nbins; k++) {
				/* the binaries take turns, each starting a repetition in turn */
				int b = (k + r) % nbins;
				const char **argv = scenario_argv(bins[b], &scenarios[s], path);
				struct run one;

				if (run_cmd(argv, &one) || !WIFEXITED(one.status) ||
				    WEXITSTATUS(one.status)) {
					fprintf(stderr, "bench-plan: %s failed\n", bins[b]);
					free(argv);
					return 1;
				}
				free(argv);
				if (!first.lines) {
					first = one;
				} else if (one.lines != first.lines || one.hash != first.hash) {
					fprintf(stderr, "bench-plan: %s lists other variants (%ld)\n",
						bins[b], one.lines);
					rc = 1;
				}
				rate[b * reps + r] = (double)one.lines / one.seconds;
				crate[b * reps + r] = (double)one.lines / one.cpu;
				if (one.rss_kib > rss[b])
					rss[b] = one.rss_kib;
			}
			for (int b = 1; b < nbins; b++)
				ratio[b * reps + r] = rate[b * reps + r] / rate[r];
		}
		printf("  %ld variants, each listed alike; variants/s median (IQR; min-max),\n"
		       "  of the whole command (start, parse, walk, output):\n", first.lines);
		for (int b = 0; b < nbins; b++) {
			char what[64];

			snprintf(what, sizeof(what), "[%d] wall, max RSS %ld KiB", b, rss[b]);
			print_spread(what, rate + b * reps, reps, 0);
			snprintf(what, sizeof(what), "[%d] CPU (user + system)", b);
			print_spread(what, crate + b * reps, reps, 0);
		}
		for (int b = 1; b < nbins; b++) {
			char what[64];

			snprintf(what, sizeof(what), "ratio [%d]/[0]", b);
			print_spread(what, ratio + b * reps, reps, 2);
		}
		free(rate);
		free(crate);
		free(ratio);
		free(rss);
	}
	return rc;
}

/* Peak RSS of the library expanding path, in a child of its own. */
static int library_rss(const char *path, long *rss_kib, long *variants, double *seconds)
{
	struct rusage ru;
	int fds[2], st;
	pid_t pid;
	double t0 = hvt_now();

	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct hvt_err err = HVT_ERR_INIT;
		const struct hvt_variant *v;
		struct hvt_plan *p = hvt_plan_load(path, &err);
		struct hvt_plan_iter *it;
		long n;

		if (!p)
			_exit(1);
		hvt_plan_set_limit(p, 0);
		it = hvt_plan_iter_new(p);
		while (hvt_plan_iter_next(it, &v, &err) == 1)
			;
		n = (long)hvt_plan_iter_count(it);
		if (write(fds[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], variants, sizeof(*variants)) != sizeof(*variants))
		*variants = -1;
	close(fds[0]);
	if (wait4(pid, &st, 0, &ru) < 0)
		return -errno;
	*seconds = hvt_now() - t0;
	*rss_kib = ru.ru_maxrss;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EINVAL;
}

static int big_plan(char **bins, int nbins, const char *path, size_t entries)
{
	struct scenario all = { "flat", false, NULL, 0 };
	struct stat st;
	long rss = 0, n = 0;
	double dt = 0;
	int rc = 0;

	if (stat(path, &st))
		return 1;
	printf("flat plan: %s, %.1f MB, %zu variants; peak RSS while expanding all:\n", path,
	       (double)st.st_size / 1e6, entries);
	if (library_rss(path, &rss, &n, &dt) || n != (long)entries) {
		fprintf(stderr, "bench-plan: the library expanded %ld variants\n", n);
		rc = 1;
	}
	printf("  %-26s %8.1f MiB  %6.2f s\n", "plan library", (double)rss / 1024, dt);
	for (int b = 0; b < nbins; b++) {
		const char **argv = scenario_argv(bins[b], &all, path);
		struct run one;
		char what[64];

		if (run_cmd(argv, &one) || !WIFEXITED(one.status) || WEXITSTATUS(one.status) ||
		    one.lines != (long)entries) {
			fprintf(stderr, "bench-plan: %s listed %ld variants\n", bins[b], one.lines);
			rc = 1;
		}
		free(argv);
		snprintf(what, sizeof(what), "[%d] plan list", b);
		printf("  %-26s %8.1f MiB  %6.2f s\n", what, (double)one.rss_kib / 1024, one.seconds);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "scale", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },
		{ "big", required_argument, NULL, 'b' },
		{ "cli", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char tmp[] = "/tmp/hvt-bench-plan-XXXXXX";
	const char *dir = NULL;
	char *bins[8];
	int reps = 5, scale = 1, big = 0, nbins = 0, opt, rc = 0;
	size_t entries = 0;
	char *path;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 's':
			scale = atoi(optarg);
			break;
		case 'w':
			dir = optarg;
			break;
		case 'b':
			big = atoi(optarg);
			break;
		case 'c':
			if (nbins == (int)HVT_ARRAY_SIZE(bins)) {
				fputs(usage, stderr);
				return 2;
			}
			bins[nbins++] = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (reps < 1 || scale < 1 || big < 0 || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (dir) {
		mkdir(dir, 0755);
	} else {
		dir = mkdtemp(tmp);
		if (!dir) {
			perror("bench-plan: mkdtemp");
			return 1;
		}
	}
	if (realistic(dir, scale)) {
		fprintf(stderr, "bench-plan: cannot write the plan in %s\n", dir);
		return 1;
	}
	if (big) {
		path = hvt_asprintf("%s/flat.cfg", dir);
		rc = flat(path, (size_t)big, &entries);
		free(path);
		if (rc) {
			fprintf(stderr, "bench-plan: cannot write the flat plan: %s\n", strerror(-rc));
			return 1;
		}
	}
	if (dir != tmp) {
		printf("wrote %s/tests.cfg%s\n", dir, big ? " and flat.cfg" : "");
		return 0;
	}
	path = hvt_asprintf("%s/tests.cfg", dir);
	if (nbins) {
		for (int b = 0; b < nbins; b++)
			printf("[%d] %s\n", b, bins[b]);
		rc = side_by_side(bins, nbins, path, reps);
	} else {
		rc = in_process(path, reps);
	}
	free(path);
	if (big) {
		path = hvt_asprintf("%s/flat.cfg", dir);
		rc |= big_plan(bins, nbins, path, entries);
		free(path);
	}
	hvt_rm_rf(dir);
	return rc;
}
