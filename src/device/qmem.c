// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest-memory allocator: blocks kept sorted by address in an array,
 * the first gap that fits wins. Test programs hold tens of blocks, so a
 * linear search is the simple and fast enough choice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qmem.h"
#include "util.h"

struct block {
	uint64_t addr, size;
};

struct hvt_qmem {
	uint64_t start, end;	/* end is exclusive */
	struct block *b;
	size_t n, cap;
	uint64_t used;
};

struct hvt_qmem *hvt_qmem_new(uint64_t start, uint64_t size)
{
	struct hvt_qmem *m;

	if (!size || start + size < start)
		return NULL;
	m = hvt_zalloc(sizeof(*m));
	m->start = start;
	m->end = start + size;
	return m;
}

void hvt_qmem_free(struct hvt_qmem *m)
{
	if (!m)
		return;
	free(m->b);
	free(m);
}

/* The first multiple of align at or above a, or 0 when that overflows. */
static uint64_t align_up(uint64_t a, uint64_t align, int *overflow)
{
	uint64_t r = (a + align - 1) & ~(align - 1);

	*overflow = r < a;
	return r;
}

int hvt_qmem_alloc(struct hvt_qmem *m, uint64_t size, uint64_t align, uint64_t *addr)
{
	uint64_t lo = m->start;

	if (!align)
		align = 8;
	if (!size || (align & (align - 1)))
		return -EINVAL;
	for (size_t i = 0; i <= m->n; i++) {
		uint64_t hi = i < m->n ? m->b[i].addr : m->end;
		int ovf;
		uint64_t a = align_up(lo, align, &ovf);

		if (!ovf && a >= lo && a <= hi && hi - a >= size) {
			if (m->n == m->cap) {
				m->cap = m->cap ? 2 * m->cap : 16;
				m->b = hvt_realloc(m->b, m->cap * sizeof(*m->b));
			}
			memmove(&m->b[i + 1], &m->b[i], (m->n - i) * sizeof(*m->b));
			m->b[i] = (struct block){ a, size };
			m->n++;
			m->used += size;
			*addr = a;
			return 0;
		}
		if (i < m->n)
			lo = m->b[i].addr + m->b[i].size;
	}
	return -ENOMEM;
}

int hvt_qmem_dealloc(struct hvt_qmem *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->b[mid].addr < addr) {
			lo = mid + 1;
		} else if (m->b[mid].addr > addr) {
			hi = mid;
		} else {
			m->used -= m->b[mid].size;
			memmove(&m->b[mid], &m->b[mid + 1], (m->n - mid - 1) * sizeof(*m->b));
			m->n--;
			return 0;
		}
	}
	return -ENOENT;
}

uint64_t hvt_qmem_used(const struct hvt_qmem *m)
{
	return m->used;
}

size_t hvt_qmem_blocks(const struct hvt_qmem *m)
{
	return m->n;
}
