// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Plan expansion speed: a synthetic 100 000-variant matrix and a generated
 * plan shaped like tp-qemu's (includes, nested variants, many filters).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "plan.h"
#include "util.h"

static long max_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Expand every variant, reading two keys of each as a runner would. */
static int expand(const char *what, struct hvt_plan *p, long rss_before)
{
	struct hvt_err err = HVT_ERR_INIT;
	const struct hvt_variant *v;
	struct hvt_plan_iter *it = hvt_plan_iter_new(p);
	size_t keys = 0, sum = 0;
	double t0 = hvt_now(), dt;
	int rc;

	while ((rc = hvt_plan_iter_next(it, &v, &err)) == 1) {
		const char *t = hvt_variant_get(v, "type");

		keys += hvt_variant_nkeys(v);
		sum += t ? strlen(t) : 0;
	}
	dt = hvt_now() - t0;
	if (rc < 0) {
		fprintf(stderr, "bench-plan: %s\n", err.msg);
		hvt_plan_iter_free(it);
		return 1;
	}
	printf("%-12s %8zu variants %6.3f s %10.0f variants/s  %5.1f keys/variant"
	       "  max RSS %ld KiB (%+ld KiB while expanding)\n",
	       what, hvt_plan_iter_count(it), dt, (double)hvt_plan_iter_count(it) / dt,
	       (double)keys / (double)hvt_plan_iter_count(it), max_rss_kib(),
	       max_rss_kib() - rss_before);
	(void)sum;
	hvt_plan_iter_free(it);
	return 0;
}

static void synthetic(struct hvt_buf *b)
{
	hvt_buf_addf(b, "type = synthetic\nmem = 1024\nimage_name = img\n");
	for (int blk = 0; blk < 5; blk++) {
		hvt_buf_addf(b, "variants b%d:\n", blk);
		for (int i = 0; i < 10; i++) {
			hvt_buf_addf(b, "    - v%d_%d:\n        k%d = %d\n        common += .%d\n",
				     blk, i, blk, i, i);
			if (i == 3)
				hvt_buf_addf(b, "        v0_3: special = yes\n");
		}
	}
	/* filters that are evaluated but keep every variant */
	hvt_buf_addf(b, "no v0_0..v1_0..v2_0..v3_0..v4_0..nonexistent\n"
			"v4_9.v3_9: corner = yes\nimage_name += _${k0}\n");
}

static int write_file(const char *dir, const char *name, const struct hvt_buf *b)
{
	char *path = hvt_asprintf("%s/%s", dir, name);
	int rc = hvt_file_write(path, b->p, b->len, NULL);

	free(path);
	return rc;
}

/* base + guests + machines + 300 tests, with includes and filters. */
static int realistic(const char *dir)
{
	struct hvt_buf b = HVT_BUF_INIT;
	int rc = 0;

	hvt_buf_add(&b, "", 0);
	for (int i = 0; i < 300; i++)
		hvt_buf_addf(&b, "base_param_%d = value_%d\n", i, i);
	hvt_buf_addf(&b, "mem = 2048\nsmp = 2\nimage_size = 20G\nimage_format = qcow2\n"
			 "nic_model = virtio\ndrive_format = virtio\ntype = none\n");
	rc |= write_file(dir, "base.cfg", &b);

	b.len = 0;
	hvt_buf_addf(&b, "variants guest_os:\n");
	for (int os = 0; os < 4; os++) {
		hvt_buf_addf(&b, "    - os%d:\n        os_type = %s\n        variants:\n", os,
			     os == 3 ? "windows" : "linux");
		for (int ver = 0; ver < 5; ver++)
			hvt_buf_addf(&b, "            - v%d:\n                image_name = os%d-%d\n"
					 "                cdrom_cd1 = isos/os%d-%d.iso\n",
				     ver, os, ver, os, ver);
	}
	rc |= write_file(dir, "guest-os.cfg", &b);

	b.len = 0;
	hvt_buf_addf(&b, "variants:\n");
	for (int t = 0; t < 300; t++) {
		hvt_buf_addf(&b, "    - test%d:\n        type = test%d\n", t, t % 40);
		for (int k = 0; k < 8; k++)
			hvt_buf_addf(&b, "        test%d_param%d = %d\n", t, k, k);
		if (t % 7 == 0)
			hvt_buf_addf(&b, "        only os0, os1\n");
		if (t % 11 == 0)
			hvt_buf_addf(&b, "        no os3\n");
		if (t % 5 == 0)
			hvt_buf_addf(&b, "        os2:\n            extra_params += \" -device x\"\n");
		if (t % 13 == 0)
			hvt_buf_addf(&b, "        variants:\n            - a:\n            - b:\n"
					 "                mem = 4096\n");
	}
	rc |= write_file(dir, "subtests.cfg", &b);

	b.len = 0;
	hvt_buf_addf(&b,
		     "include base.cfg\ninclude subtests.cfg\n"
		     "variants:\n    - q35:\n        machine_type = q35\n"
		     "    - i440fx:\n        machine_type = pc\n        no test1, test2\n"
		     "variants:\n    - virtio_blk:\n        drive_format = virtio\n"
		     "    - virtio_scsi:\n        drive_format = scsi-hd\n"
		     "    - ide:\n        drive_format = ide\n        only i440fx\n"
		     "variants:\n    - qcow2:\n    - raw:\n        image_format = raw\n"
		     "include guest-os.cfg\n"
		     "os3:\n    no ide\n    mem_min = 4096\n"
		     "windows..virtio_scsi: cd_format = ide\n"
		     "!q35: smp_max = 1\n"
		     "image_name_fixed = ${image_name}.${image_format}\n");
	rc |= write_file(dir, "tests.cfg", &b);
	hvt_buf_release(&b);
	return rc;
}

int main(int argc, char **argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_buf b = HVT_BUF_INIT;
	char dir[] = "/tmp/hvt-bench-plan-XXXXXX";
	struct hvt_plan *p;
	double t0;
	long rss;
	int rc = 0;

	hvt_buf_add(&b, "", 0);
	synthetic(&b);
	t0 = hvt_now();
	p = hvt_plan_load_string(b.p, "synthetic.cfg", &err);
	if (!p) {
		fprintf(stderr, "bench-plan: %s\n", err.msg);
		return 1;
	}
	printf("synthetic    parsed %zu bytes in %.4f s\n", b.len, hvt_now() - t0);
	rss = max_rss_kib();
	rc |= expand("synthetic", p, rss);
	hvt_plan_free(p);
	hvt_buf_release(&b);

	if (!mkdtemp(dir) || realistic(dir)) {
		fprintf(stderr, "bench-plan: cannot write the plan in %s\n", dir);
		return 1;
	}
	{
		char *path = hvt_asprintf("%s/tests.cfg", dir);

		t0 = hvt_now();
		p = hvt_plan_load(path, &err);
		free(path);
	}
	if (!p) {
		fprintf(stderr, "bench-plan: %s\n", err.msg);
		hvt_rm_rf(dir);
		return 1;
	}
	printf("tp-qemu-like parsed in %.4f s\n", hvt_now() - t0);
	rss = max_rss_kib();
	rc |= expand("tp-qemu-like", p, rss);
	hvt_plan_free(p);
	hvt_rm_rf(dir);
	(void)argc;
	(void)argv;
	return rc;
}
