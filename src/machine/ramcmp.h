/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest RAM of two machines compared page by page: each saved with
 * pmemsave while it is stopped, the differing pages listed with their
 * contents on both sides. Proves a migration moved every page.
 */
#ifndef HVT_RAMCMP_H
#define HVT_RAMCMP_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

#define HVT_RAMCMP_PAGE 4096

/* One page that differs. */
struct hvt_ramcmp_page {
	uint64_t addr;		/* guest-physical address */
	int first;		/* offset of the first differing byte */
	int ndiff;		/* how many of its bytes differ */
	bool src_zero, dst_zero; /* the page is all zero on that side */
	unsigned char *src, *dst; /* its contents (HVT_RAMCMP_PAGE bytes each) */
};

struct hvt_ramcmp {
	uint64_t bytes;		/* compared, from guest-physical address 0 */
	long pages;		/* pages compared */
	long ndiff;		/* pages that differ */
	long src_zero, dst_zero; /* of those, all zero on the source / on the destination */
	/* The first up to max_list differing pages, in address order. */
	struct hvt_ramcmp_page *list;
	long nlist, max_list;
};

/* An empty result that will list up to max_list differing pages (0: none). */
void hvt_ramcmp_init(struct hvt_ramcmp *r, long max_list);
void hvt_ramcmp_release(struct hvt_ramcmp *r);

/*
 * Compare two images of guest RAM that start at guest-physical address 0,
 * bytes long (rounded down to whole pages), adding to r (which holds the
 * result of one comparison: init or release it first). Pure.
 */
void hvt_ramcmp_buffers(struct hvt_ramcmp *r, const unsigned char *src,
			const unsigned char *dst, uint64_t bytes);
/* The same for two files of at least bytes each (mapped, not read). */
int hvt_ramcmp_files(struct hvt_ramcmp *r, const char *src, const char *dst, uint64_t bytes,
		     struct hvt_err *err);
/*
 * Save the first bytes of guest-physical memory of both machines with
 * pmemsave into dir (ram-src.bin, ram-dst.bin) and compare them. Both
 * must be stopped (a source after its migration, a destination started
 * with -S or holding a paused guest): a running guest changes its RAM
 * while it is saved. On pc and q35 guest RAM below 2 GiB is one block
 * from address 0. The images are removed afterwards.
 */
int hvt_ramcmp_machines(struct hvt_ramcmp *r, struct hvt_vm *src, struct hvt_vm *dst,
			uint64_t bytes, const char *dir, struct hvt_err *err);

/*
 * "0 of 131072 pages differ" or "12 of 131072 pages differ (2 zero on the
 * destination), at 0x1a2b000 0x...": up to nshow addresses (caller frees).
 */
char *hvt_ramcmp_summary(const struct hvt_ramcmp *r, int nshow);
/*
 * Write the listed pages to path as text: per page its address, the
 * differing byte ranges, and the first differing 64 bytes of both sides
 * in hex.
 */
int hvt_ramcmp_write_report(const struct hvt_ramcmp *r, const char *path, struct hvt_err *err);

#endif
