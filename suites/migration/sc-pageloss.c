// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The page-loss reproducer: a guest that writes memory, migrated once into
 * a paused destination, its RAM compared page by page with the stopped
 * source, and every differing page described by what the (correct) source
 * guest says it is: kernel image, page table, slab, free, process memory,
 * page cache. Then the destination runs, to see what the loss does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration.h"

/* How many differing pages are described (each costs a dd in the guest). */
#define MAX_DESCRIBED 64

/* /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst) */
enum {
	KPF_SLAB = 7, KPF_BUDDY = 10, KPF_ANON = 12, KPF_SWAPBACKED = 14, KPF_LRU = 5,
	KPF_COMPOUND_HEAD = 15, KPF_COMPOUND_TAIL = 16, KPF_ZERO_PAGE = 24, KPF_PGTABLE = 26,
};

struct range {
	uint64_t start, end;
	char what[32];
};

static const struct {
	const char *name, *metric;
} kinds[] = {
	{ "kernel code", "pages_kernel_code" },
	{ "kernel rodata", "pages_kernel_rodata" },
	{ "kernel data", "pages_kernel_data" },
	{ "kernel bss", "pages_kernel_bss" },
	{ "page table", "pages_page_table" },
	{ "slab", "pages_slab" },
	{ "free", "pages_free" },
	{ "process memory", "pages_anon" },
	{ "tmpfs or shared memory", "pages_shmem" },
	{ "file cache", "pages_file" },
	{ "zero page", "pages_zero" },
	{ "below 1 MiB", "pages_low" },
	{ "kernel (no flags: stacks, vmalloc, per-cpu, reserved)", "pages_kernel_other" },
};
enum { K_CODE, K_RODATA, K_DATA, K_BSS, K_PGTABLE, K_SLAB, K_FREE, K_ANON, K_SHMEM, K_FILE,
       K_ZERO, K_LOW, K_OTHER, K_COUNT };

/* "  01000000-01e03a7f : Kernel code" lines of the guest's /proc/iomem. */
static int kernel_ranges(const char *iomem, struct range *r, int max)
{
	int n = 0;

	for (const char *p = iomem; p && *p && n < max; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		unsigned long long a, b;
		char what[16];

		if (sscanf(p, " %llx-%llx : Kernel %15[a-z]", &a, &b, what) != 3)
			continue;
		r[n].start = a;
		r[n].end = b;
		snprintf(r[n].what, sizeof(r[n].what), "kernel %s", what);
		n++;
	}
	return n;
}

static int kind_of(uint64_t addr, uint64_t flags, const struct range *r, int nr)
{
	for (int i = 0; i < nr; i++) {
		if (addr < r[i].start || addr > r[i].end)
			continue;
		for (int k = K_CODE; k <= K_BSS; k++)
			if (!strcmp(kinds[k].name, r[i].what))
				return k;
	}
	if (addr < 0x100000)
		return K_LOW;
	if (flags & (1ULL << KPF_PGTABLE))
		return K_PGTABLE;
	if (flags & (1ULL << KPF_SLAB))
		return K_SLAB;
	if (flags & (1ULL << KPF_BUDDY))
		return K_FREE;
	if (flags & (1ULL << KPF_ZERO_PAGE))
		return K_ZERO;
	if (flags & (1ULL << KPF_ANON))
		return K_ANON;
	if (flags & (1ULL << KPF_SWAPBACKED))
		return K_SHMEM;
	if (flags & (1ULL << KPF_LRU))
		return K_FILE;
	return K_OTHER;
}

/* The guest's page flags of the pages at addrs[] (the source, running again). */
static int page_flags(struct mt *t, const uint64_t *addrs, long n, uint64_t *flags,
		      struct hvt_err *err)
{
	struct hvt_qga_exec_result res = { 0 };
	struct hvt_buf cmd = HVT_BUF_INIT;
	char *p, *end;
	long i = 0;
	int rc;

	hvt_buf_addf(&cmd, "for p in");
	for (long k = 0; k < n; k++)
		hvt_buf_addf(&cmd, " %" PRIu64, addrs[k] / HVT_RAMCMP_PAGE);
	hvt_buf_addf(&cmd, "; do dd if=/proc/kpageflags bs=8 skip=$p count=1 2>/dev/null; done | "
		     "od -An -v -tu8");
	rc = hvt_vm_sh(t->src, cmd.p, t->cmd_ms, &res, err);
	hvt_buf_release(&cmd);
	if (rc)
		return rc;
	for (p = res.out; p && i < n; p = end) {
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p)
			break;
		flags[i++] = v;
	}
	if (i != n)
		rc = hvt_err_set(err, -EPROTO, "/proc/kpageflags: %ld of %ld pages read (exit %d: %s)",
				 i, n, res.exit_code, res.err ? res.err : "");
	hvt_qga_exec_result_release(&res);
	return rc;
}

/* Which kinds of memory the differing pages are: a check message, metrics, a file. */
static void describe(struct mt *t, const uint64_t *addrs, long n, const char *iomem)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct range r[8];
	int nr = kernel_ranges(iomem, r, (int)HVT_ARRAY_SIZE(r)), count[K_COUNT] = { 0 };
	uint64_t flags[MAX_DESCRIBED];
	struct hvt_buf msg = HVT_BUF_INIT, file = HVT_BUF_INIT;
	char *path;
	int rc;

	if (n > MAX_DESCRIBED)
		n = MAX_DESCRIBED;
	rc = hvt_vm_cont(t->src, &err);
	if (!rc)
		rc = page_flags(t, addrs, n, flags, &err);
	if (rc) {
		mt_check_rc(t, "differing pages described", rc, &err, "");
		return;
	}
	hvt_buf_addf(&file, "# address pfn kpageflags kind\n");
	for (long i = 0; i < n; i++) {
		int k = kind_of(addrs[i], flags[i], r, nr);

		count[k]++;
		hvt_buf_addf(&file, "%#" PRIx64 " %" PRIu64 " %#" PRIx64 " %s\n", addrs[i],
			     addrs[i] / HVT_RAMCMP_PAGE, flags[i], kinds[k].name);
	}
	for (int k = 0; k < K_COUNT; k++) {
		if (!count[k])
			continue;
		hvt_buf_addf(&msg, "%s%d %s", msg.len ? ", " : "", count[k], kinds[k].name);
		hvt_case_metric(t->c, kinds[k].metric, count[k], "");
	}
	path = hvt_asprintf("%s/page-kinds.txt", t->c->workdir);
	if (!hvt_file_write(path, file.p, file.len, NULL))
		hvt_case_artifact(t->c, "page-kinds.txt", "page-kinds.txt");
	free(path);
	hvt_case_check(t->c, "differing pages described", true, "as the source guest sees them: %s",
		       msg.p);
	hvt_buf_release(&msg);
	hvt_buf_release(&file);
}

void mt_sc_page_loss(struct mt *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qga_exec_result res = { 0 };
	double settle_s = 2;
	uint64_t *pages = NULL;
	char *iomem = NULL;
	long n;
	int rc;

	t->hurt = true;
	mt_boot_source(t);
	rc = hvt_vm_sh(t->src, "grep -i kernel /proc/iomem", t->cmd_ms, &res, &err);
	if (!rc) {
		iomem = res.out;
		res.out = NULL;
	}
	hvt_qga_exec_result_release(&res);
	hvt_case_param_double(t->c, "load_settle", 2, &settle_s, NULL);
	step_pause(t->src, (int)(settle_s * 1000));
	mt_migrate_begin(t, "migrate", NULL, true, NULL, NULL);
	rc = hvt_migrate_finish(t->mig, t->mig_ms, &err);
	mt_record_stats(t, "migrate");
	if (rc)
		free(iomem);
	mt_require_rc(t, "migrate: completed", rc, &err, "completed, the destination paused");
	n = mt_compare_ram(t, "migrate", &pages);
	if (n > 0)
		describe(t, pages, n, iomem ? iomem : "");
	free(pages);
	free(iomem);

	/* what the lost pages do to the guest */
	t->load_running = false;
	mt_quit(t, t->src, "source QEMU");
	rc = hvt_vm_cont(t->dst, &err);
	if (!rc)
		rc = hvt_vm_wait_agent(t->dst, 30000, &err);
	hvt_case_metric(t->c, "destination_alive", rc == 0, "");
	if (t->verdict)
		mt_check_rc(t, "destination guest answers", rc, &err, "the agent answers");
	else
		hvt_case_check_skip(t->c, "destination guest answers", "a measurement: %s",
				    rc ? err.msg : "the agent answers");
	/* both machines end here: the final checks have none to look at */
	hvt_migrate_free(t->mig);
	t->mig = NULL;
	hvt_vm_free(t->src);
	t->src = NULL;
	hvt_vm_free(t->dst);
	t->dst = NULL;
}
