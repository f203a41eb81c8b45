// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest RAM compared page by page between two machines (ramcmp.h):
 * pmemsave on both, the images mapped and compared, differing pages kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ramcmp.h"

void hvt_ramcmp_init(struct hvt_ramcmp *r, long max_list)
{
	memset(r, 0, sizeof(*r));
	r->max_list = max_list > 0 ? max_list : 0;
}

void hvt_ramcmp_release(struct hvt_ramcmp *r)
{
	for (long i = 0; i < r->nlist; i++) {
		free(r->list[i].src);
		free(r->list[i].dst);
	}
	free(r->list);
	hvt_ramcmp_init(r, r->max_list);
}

static bool all_zero(const unsigned char *p)
{
	static const unsigned char zero[HVT_RAMCMP_PAGE];

	return !memcmp(p, zero, HVT_RAMCMP_PAGE);
}

static void keep_page(struct hvt_ramcmp *r, uint64_t addr, const unsigned char *a,
		      const unsigned char *b, bool az, bool bz)
{
	struct hvt_ramcmp_page *pg;
	int n = 0, first = -1;

	for (int i = 0; i < HVT_RAMCMP_PAGE; i++) {
		if (a[i] == b[i])
			continue;
		if (first < 0)
			first = i;
		n++;
	}
	if (!r->list)
		r->list = hvt_zalloc((size_t)r->max_list * sizeof(*r->list));
	pg = &r->list[r->nlist++];
	pg->addr = addr;
	pg->first = first;
	pg->ndiff = n;
	pg->src_zero = az;
	pg->dst_zero = bz;
	pg->src = hvt_malloc(HVT_RAMCMP_PAGE);
	pg->dst = hvt_malloc(HVT_RAMCMP_PAGE);
	memcpy(pg->src, a, HVT_RAMCMP_PAGE);
	memcpy(pg->dst, b, HVT_RAMCMP_PAGE);
}

void hvt_ramcmp_buffers(struct hvt_ramcmp *r, const unsigned char *src,
			const unsigned char *dst, uint64_t bytes)
{
	bytes &= ~(uint64_t)(HVT_RAMCMP_PAGE - 1);
	r->bytes = bytes;
	r->pages = (long)(bytes / HVT_RAMCMP_PAGE);
	for (uint64_t off = 0; off < bytes; off += HVT_RAMCMP_PAGE) {
		const unsigned char *a = src + off, *b = dst + off;
		bool az, bz;

		if (!memcmp(a, b, HVT_RAMCMP_PAGE))
			continue;
		az = all_zero(a);
		bz = all_zero(b);
		r->ndiff++;
		r->src_zero += az;
		r->dst_zero += bz;
		if (r->nlist < r->max_list)
			keep_page(r, off, a, b, az, bz);
	}
}

static void *map_file(const char *path, uint64_t bytes, struct hvt_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb = { 0 };
	void *p;

	if (fd < 0) {
		hvt_err_set(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* a short file would fault past its end */
	if (fstat(fd, &sb) || (uint64_t)sb.st_size < bytes) {
		hvt_err_set(err, -EIO, "%s: %lld bytes, expected %llu", path,
			    (long long)sb.st_size, (unsigned long long)bytes);
		close(fd);
		return NULL;
	}
	p = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		hvt_err_set(err, -errno, "mmap %s: %s", path, strerror(errno));
		return NULL;
	}
	return p;
}

int hvt_ramcmp_files(struct hvt_ramcmp *r, const char *src, const char *dst, uint64_t bytes,
		     struct hvt_err *err)
{
	unsigned char *a, *b;

	bytes &= ~(uint64_t)(HVT_RAMCMP_PAGE - 1);
	if (!bytes)
		return hvt_err_set(err, -EINVAL, "nothing to compare: less than a page");
	a = map_file(src, bytes, err);
	if (!a)
		return err ? err->code : -EIO;
	b = map_file(dst, bytes, err);
	if (!b) {
		munmap(a, bytes);
		return err ? err->code : -EIO;
	}
	hvt_ramcmp_buffers(r, a, b, bytes);
	munmap(a, bytes);
	munmap(b, bytes);
	return 0;
}

static int save_ram(struct hvt_vm *vm, uint64_t bytes, const char *path, struct hvt_err *err)
{
	int ret = hvt_vm_qmp(vm, NULL, err, "pmemsave", "{'val': 0, 'size': %llu, 'filename': %s}",
			     (unsigned long long)bytes, path);

	return ret ? hvt_err_prefix(err, "%s: pmemsave %s", hvt_vm_name(vm), path) : 0;
}

int hvt_ramcmp_machines(struct hvt_ramcmp *r, struct hvt_vm *src, struct hvt_vm *dst,
			uint64_t bytes, const char *dir, struct hvt_err *err)
{
	char *pa = hvt_asprintf("%s/ram-src.bin", dir), *pb = hvt_asprintf("%s/ram-dst.bin", dir);
	int ret;

	bytes &= ~(uint64_t)(HVT_RAMCMP_PAGE - 1);
	ret = save_ram(src, bytes, pa, err);
	if (!ret)
		ret = save_ram(dst, bytes, pb, err);
	if (!ret)
		ret = hvt_ramcmp_files(r, pa, pb, bytes, err);
	unlink(pa);
	unlink(pb);
	free(pa);
	free(pb);
	return ret;
}

char *hvt_ramcmp_summary(const struct hvt_ramcmp *r, int nshow)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_addf(&b, "%ld of %ld pages differ", r->ndiff, r->pages);
	if (r->ndiff && (r->src_zero || r->dst_zero))
		hvt_buf_addf(&b, " (%ld zero on the source, %ld on the destination)", r->src_zero,
			     r->dst_zero);
	for (long i = 0; i < r->nlist && i < nshow; i++)
		hvt_buf_addf(&b, "%s%#llx", i ? " " : ", at ", (unsigned long long)r->list[i].addr);
	if (r->ndiff > nshow && nshow > 0)
		hvt_buf_addf(&b, " ...");
	return b.p;
}

static void hex_row(struct hvt_buf *b, const char *side, const unsigned char *p, int from)
{
	hvt_buf_addf(b, "  %s +%04x:", side, from);
	for (int i = from; i < from + 32 && i < HVT_RAMCMP_PAGE; i++)
		hvt_buf_addf(b, " %02x", p[i]);
	hvt_buf_addf(b, "\n");
}

int hvt_ramcmp_write_report(const struct hvt_ramcmp *r, const char *path, struct hvt_err *err)
{
	struct hvt_buf b = HVT_BUF_INIT;
	char *sum = hvt_ramcmp_summary(r, 0);
	int ret;

	hvt_buf_addf(&b, "%s\n", sum);
	free(sum);
	for (long i = 0; i < r->nlist; i++) {
		const struct hvt_ramcmp_page *pg = &r->list[i];
		int from = pg->first & ~31, runs = 0;

		/* the differing byte ranges: where a guest wrote */
		hvt_buf_addf(&b, "\npage %#llx (pfn %#llx): %d bytes differ%s%s, in",
			     (unsigned long long)pg->addr,
			     (unsigned long long)pg->addr / HVT_RAMCMP_PAGE, pg->ndiff,
			     pg->src_zero ? ", zero on the source" : "",
			     pg->dst_zero ? ", zero on the destination" : "");
		for (int k = 0; k < HVT_RAMCMP_PAGE; k++) {
			int e = k;

			if (pg->src[k] == pg->dst[k])
				continue;
			while (e + 1 < HVT_RAMCMP_PAGE && pg->src[e + 1] != pg->dst[e + 1])
				e++;
			if (runs++ < 8)
				hvt_buf_addf(&b, " %#x-%#x", k, e);
			k = e;
		}
		if (runs > 8)
			hvt_buf_addf(&b, " and %d more ranges", runs - 8);
		hvt_buf_addf(&b, "\n");
		for (int row = from; row < from + 64 && row < HVT_RAMCMP_PAGE; row += 32) {
			hex_row(&b, "src", pg->src, row);
			hex_row(&b, "dst", pg->dst, row);
		}
	}
	ret = hvt_file_write(path, b.p, b.len, err);
	hvt_buf_release(&b);
	return ret;
}
