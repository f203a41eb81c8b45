// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Boot-to-agent-ready time of the default guest: N boots (default 5),
 * each from QEMU's start to the agent's first answer; median, min, max.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvtest.h"
#include "stats.h"

int main(int argc, char **argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_accel accel;
	int n = argc > 1 ? atoi(argv[1]) : 5;
	double *t;

	if (n < 1 || n > 1000) {
		fprintf(stderr, "usage: bench-boot [N (1..1000)]\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof(*t));
	hvt_proc_install_reaper();
	if (hvt_accel_probe(NULL, &accel, &err)) {
		fprintf(stderr, "bench-boot: %s\n", err.msg);
		return 1;
	}
	printf("accelerator: %s (%s)\n", accel.name, accel.reason);
	for (int i = 0; i < n; i++) {
		struct hvt_vm_config cfg = { .name = "bench-boot" };
		struct hvt_vm *vm = hvt_vm_new(&cfg, &err);
		int64_t t0 = hvt_now_ms();

		if (!vm || hvt_vm_start(vm, &err) || hvt_vm_wait_agent(vm, 300000, &err)) {
			fprintf(stderr, "bench-boot: boot %d: %s\n", i + 1, err.msg);
			hvt_vm_free(vm);
			return 1;
		}
		t[i] = (double)(hvt_now_ms() - t0) / 1000;
		printf("boot %d: %.2f s\n", i + 1, t[i]);
		fflush(stdout);
		hvt_vm_kill(vm);
		hvt_vm_free(vm);
	}
	qsort(t, (size_t)n, sizeof(*t), bench_cmp_double);
	printf("boot-to-agent over %d boots: median %.2f s, min %.2f s, max %.2f s\n", n,
	       n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2, t[0], t[n - 1]);
	free(t);
	return 0;
}
