/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a block trace does to a disk: the data each write carries (a pure
 * function of the request's number and the sector, so that a replay is
 * reproducible without storing data), which request each sector holds the
 * data of afterwards, and the trace applied to a raw image file with plain
 * file I/O.
 */
#ifndef HVT_BLKMODEL_H
#define HVT_BLKMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blktrace.h"
#include "util.h"

#define HVT_BLKMODEL_SECTOR 512u

/*
 * The data request number req (1 for a trace's first request) writes at
 * byte offset (a multiple of 512), len bytes (a multiple of 512), into
 * buf. Every sector starts with "HVTB", req (32 bits) and the sector's
 * number (64 bits), little-endian, followed by 496 bytes of a stream
 * seeded by both: no two sectors of a replay hold the same bytes.
 */
void hvt_blkmodel_fill(uint8_t *buf, uint64_t offset, uint64_t len, uint32_t req);

enum hvt_blkmodel_kind {
	HVT_BLKMODEL_ZEROS,	/* all zero */
	HVT_BLKMODEL_DATA,	/* what a request wrote there (which one: *req) */
	HVT_BLKMODEL_OTHER,	/* anything else, e.g. data meant for another sector */
};

/* What the 512 bytes of sector (read at byte offset) hold. */
enum hvt_blkmodel_kind hvt_blkmodel_decode(const uint8_t *sector, uint64_t offset, uint32_t *req);
/* "request 12", "zeros", "other data" into buf (>= 32 bytes). */
const char *hvt_blkmodel_describe(const uint8_t *sector, uint64_t offset, char *buf, size_t len);

/* Owners of a sector besides requests (numbered from 1). */
#define HVT_BLKMODEL_INITIAL 0u		  /* what the disk held before the trace */
#define HVT_BLKMODEL_ZEROED  0xfffffffeu  /* zeroed by a write-zeroes request */
#define HVT_BLKMODEL_UNSPEC  0xffffffffu  /* discarded: a device may return anything */

/* Disks up to this size are modelled (4 bytes of map per 512-byte sector). */
#define HVT_BLKMODEL_MAX_SIZE (16ull << 30)

/* Which request each sector of a disk holds the data of. */
struct hvt_blkmodel {
	uint64_t size;		/* bytes */
	uint32_t *owner;	/* per sector */
	bool initial_zero;	/* the disk held zeros before the trace */
};

/*
 * A model of a disk of size bytes (a multiple of 512) before any request.
 * -E2BIG above HVT_BLKMODEL_MAX_SIZE, -EINVAL for a size that is not a
 * multiple of 512. Release with hvt_blkmodel_release().
 */
int hvt_blkmodel_init(struct hvt_blkmodel *m, uint64_t size, bool initial_zero,
		      struct hvt_err *err);
void hvt_blkmodel_release(struct hvt_blkmodel *m);
/*
 * Whether q lies within the disk (offset + length at most its size); a
 * device refuses a request that does not, whole, with an I/O error.
 */
bool hvt_blkmodel_fits(const struct hvt_blkmodel *m, const struct hvt_blktrace_req *q);
/* Apply q, request number req; a request that does not fit changes nothing. */
void hvt_blkmodel_apply(struct hvt_blkmodel *m, const struct hvt_blktrace_req *q, uint32_t req);
uint32_t hvt_blkmodel_owner(const struct hvt_blkmodel *m, uint64_t sector);
/*
 * What sector must hold now, into buf (512 bytes): true when known, false
 * for a discarded sector or one never written on a disk whose initial
 * content is not known.
 */
bool hvt_blkmodel_expect(const struct hvt_blkmodel *m, uint64_t sector, uint8_t *buf);
/*
 * Check len bytes of data read at offset against the model. Returns the
 * number of sectors that differ (0: all that could be checked match);
 * *first (may be NULL) gets the first one's sector number; *unchecked (may
 * be NULL) is increased by the sectors whose content is not known.
 */
uint64_t hvt_blkmodel_check(const struct hvt_blkmodel *m, uint64_t offset, const uint8_t *data,
			    uint64_t len, uint64_t *first, uint64_t *unchecked);
/*
 * The ranges whose sectors are discarded and never written since, one
 * call of fn(opaque, offset, len) per run of sectors, in order. A replay
 * writes zeros there on both sides before comparing images (their content
 * is the device's choice).
 */
void hvt_blkmodel_unspecified(const struct hvt_blkmodel *m,
			      void (*fn)(void *opaque, uint64_t offset, uint64_t len),
			      void *opaque);

/*
 * Apply the trace to the raw image at path (which must be size bytes
 * already) with pwrite(): writes write hvt_blkmodel_fill()'s data,
 * write-zeroes and discards write zeros (a discarded range holds zeros on
 * both sides once the replay zeroed it), reads and flushes change
 * nothing, requests that do not fit are left out as the device refuses
 * them. -errno with err naming the file.
 */
int hvt_blkmodel_apply_file(const struct hvt_blktrace *t, const char *path, uint64_t size,
			    struct hvt_err *err);

#endif
