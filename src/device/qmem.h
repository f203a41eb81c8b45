/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test buffers in guest RAM: a first-fit allocator over a range of guest
 * physical addresses, for descriptor rings and data a device reads by DMA.
 * It only hands out addresses; the memory is written through qtest.
 */
#ifndef HVT_QMEM_H
#define HVT_QMEM_H

#include <stddef.h>
#include <stdint.h>

struct hvt_qmem;

/*
 * Where a machine's guest RAM is safe to use on x86 pc and q35 with the
 * halting firmware: from 1 MiB, below the default 128 MiB of RAM.
 */
#define HVT_QMEM_X86_START 0x100000ull
#define HVT_QMEM_X86_SIZE  (64ull << 20)

/*
 * An allocator for [start, start + size). Returns NULL when the range is
 * empty or wraps around. Freed with hvt_qmem_free().
 */
struct hvt_qmem *hvt_qmem_new(uint64_t start, uint64_t size);
/* Forget every block and the allocator itself (the guest RAM is untouched). */
void hvt_qmem_free(struct hvt_qmem *m);

/*
 * A block of size bytes (> 0) at an address that is a multiple of align
 * (a power of two; 0 means 8) into *addr. Returns 0, -EINVAL for a bad
 * size or alignment, or -ENOMEM when no gap fits.
 */
int hvt_qmem_alloc(struct hvt_qmem *m, uint64_t size, uint64_t align, uint64_t *addr);
/* Give back the block that starts at addr; -ENOENT if there is none. */
int hvt_qmem_dealloc(struct hvt_qmem *m, uint64_t addr);
/* Bytes in blocks, and the number of blocks, now. */
uint64_t hvt_qmem_used(const struct hvt_qmem *m);
size_t hvt_qmem_blocks(const struct hvt_qmem *m);

#endif
