// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A block trace's effect on a disk: a flat map from sector to the request
 * whose data it holds, the data itself generated on demand, and the trace
 * applied to a raw file for the comparison image.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkmodel.h"

#define SECTOR HVT_BLKMODEL_SECTOR
#define MAGIC "HVTB"
#define ZERO_CHUNK (1u << 20)

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* splitmix64: a fast generator whose every state gives a new word. */
static uint64_t next_word(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_sector(uint8_t *p, uint64_t sector, uint32_t req)
{
	uint64_t s = ((uint64_t)req << 32) ^ (sector * 0xd1b54a32d192ed03ull) ^ 0x6876746573742d31ull;

	memcpy(p, MAGIC, 4);
	put_le32(p + 4, req);
	put_le64(p + 8, sector);
	for (unsigned int i = 16; i < SECTOR; i += 8)
		put_le64(p + i, next_word(&s));
}

void hvt_blkmodel_fill(uint8_t *buf, uint64_t offset, uint64_t len, uint32_t req)
{
	for (uint64_t i = 0; i < len / SECTOR; i++)
		fill_sector(buf + i * SECTOR, offset / SECTOR + i, req);
}

enum hvt_blkmodel_kind hvt_blkmodel_decode(const uint8_t *sector, uint64_t offset, uint32_t *req)
{
	uint8_t want[SECTOR];
	unsigned int i = 0;

	while (i < SECTOR && !sector[i])
		i++;
	if (i == SECTOR)
		return HVT_BLKMODEL_ZEROS;
	if (memcmp(sector, MAGIC, 4) || get_le64(sector + 8) != offset / SECTOR)
		return HVT_BLKMODEL_OTHER;
	fill_sector(want, offset / SECTOR, get_le32(sector + 4));
	if (memcmp(want, sector, SECTOR))
		return HVT_BLKMODEL_OTHER;
	if (req)
		*req = get_le32(sector + 4);
	return HVT_BLKMODEL_DATA;
}

const char *hvt_blkmodel_describe(const uint8_t *sector, uint64_t offset, char *buf, size_t len)
{
	uint32_t req = 0;

	switch (hvt_blkmodel_decode(sector, offset, &req)) {
	case HVT_BLKMODEL_ZEROS:
		snprintf(buf, len, "zeros");
		break;
	case HVT_BLKMODEL_DATA:
		snprintf(buf, len, "the data of request %" PRIu32, req);
		break;
	default:
		snprintf(buf, len, "data no request of the trace wrote there");
		break;
	}
	return buf;
}

int hvt_blkmodel_init(struct hvt_blkmodel *m, uint64_t size, bool initial_zero,
		      struct hvt_err *err)
{
	*m = (struct hvt_blkmodel){ 0 };
	if (!size || size % SECTOR)
		return hvt_err_set(err, -EINVAL, "a disk of %" PRIu64 " bytes: expected a "
				   "multiple of 512 above 0", size);
	if (size > HVT_BLKMODEL_MAX_SIZE)
		return hvt_err_set(err, -E2BIG, "a disk of %" PRIu64 " bytes: at most %llu "
				   "can be modelled", size, HVT_BLKMODEL_MAX_SIZE);
	m->size = size;
	m->initial_zero = initial_zero;
	m->owner = calloc(size / SECTOR, sizeof(*m->owner));
	if (!m->owner)
		return hvt_err_set(err, -ENOMEM, "no memory for the map of %" PRIu64
				   " sectors", size / SECTOR);
	return 0;
}

void hvt_blkmodel_release(struct hvt_blkmodel *m)
{
	free(m->owner);
	*m = (struct hvt_blkmodel){ 0 };
}

bool hvt_blkmodel_fits(const struct hvt_blkmodel *m, const struct hvt_blktrace_req *q)
{
	return q->op == HVT_BLKTRACE_FLUSH || (q->offset <= m->size && q->len <= m->size - q->offset);
}

void hvt_blkmodel_apply(struct hvt_blkmodel *m, const struct hvt_blktrace_req *q, uint32_t req)
{
	uint32_t owner;

	if (!hvt_blktrace_op_modifies(q->op) || !hvt_blkmodel_fits(m, q))
		return;
	owner = q->op == HVT_BLKTRACE_WRITE ? req :
		q->op == HVT_BLKTRACE_WRITE_ZEROES ? HVT_BLKMODEL_ZEROED : HVT_BLKMODEL_UNSPEC;
	for (uint64_t s = q->offset / SECTOR; s < (q->offset + q->len) / SECTOR; s++)
		m->owner[s] = owner;
}

uint32_t hvt_blkmodel_owner(const struct hvt_blkmodel *m, uint64_t sector)
{
	return sector < m->size / SECTOR ? m->owner[sector] : HVT_BLKMODEL_UNSPEC;
}

bool hvt_blkmodel_expect(const struct hvt_blkmodel *m, uint64_t sector, uint8_t *buf)
{
	uint32_t o = hvt_blkmodel_owner(m, sector);

	if (o == HVT_BLKMODEL_UNSPEC || (o == HVT_BLKMODEL_INITIAL && !m->initial_zero))
		return false;
	if (o == HVT_BLKMODEL_INITIAL || o == HVT_BLKMODEL_ZEROED)
		memset(buf, 0, SECTOR);
	else
		fill_sector(buf, sector, o);
	return true;
}

uint64_t hvt_blkmodel_check(const struct hvt_blkmodel *m, uint64_t offset, const uint8_t *data,
			    uint64_t len, uint64_t *first, uint64_t *unchecked)
{
	uint8_t want[SECTOR];
	uint64_t bad = 0;

	for (uint64_t i = 0; i < len / SECTOR; i++) {
		uint64_t s = offset / SECTOR + i;

		if (!hvt_blkmodel_expect(m, s, want)) {
			if (unchecked)
				(*unchecked)++;
			continue;
		}
		if (memcmp(want, data + i * SECTOR, SECTOR)) {
			if (!bad && first)
				*first = s;
			bad++;
		}
	}
	return bad;
}

void hvt_blkmodel_unspecified(const struct hvt_blkmodel *m,
			      void (*fn)(void *opaque, uint64_t offset, uint64_t len),
			      void *opaque)
{
	uint64_t n = m->size / SECTOR;

	for (uint64_t s = 0; s < n;) {
		uint64_t e = s;

		if (m->owner[s] != HVT_BLKMODEL_UNSPEC) {
			s++;
			continue;
		}
		while (e < n && m->owner[e] == HVT_BLKMODEL_UNSPEC)
			e++;
		fn(opaque, s * SECTOR, (e - s) * SECTOR);
		s = e;
	}
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t w = pwrite(fd, buf, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		buf += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int hvt_blkmodel_apply_file(const struct hvt_blktrace *t, const char *path, uint64_t size,
			    struct hvt_err *err)
{
	struct hvt_blkmodel fit = { .size = size };
	uint8_t *buf = NULL, *zero = hvt_zalloc(ZERO_CHUNK);
	size_t buf_len = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		rc = -errno;
		hvt_err_set(err, rc, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < t->n && !rc; i++) {
		const struct hvt_blktrace_req *q = &t->reqs[i];

		if (!hvt_blktrace_op_modifies(q->op) || !hvt_blkmodel_fits(&fit, q))
			continue;
		if (q->op == HVT_BLKTRACE_WRITE) {
			if (q->len > buf_len) {
				buf_len = (size_t)q->len;
				buf = hvt_realloc(buf, buf_len);
			}
			hvt_blkmodel_fill(buf, q->offset, q->len, (uint32_t)(i + 1));
			rc = pwrite_all(fd, buf, (size_t)q->len, q->offset);
		} else {
			for (uint64_t done = 0; done < q->len && !rc; done += ZERO_CHUNK) {
				uint64_t n = q->len - done < ZERO_CHUNK ? q->len - done : ZERO_CHUNK;

				rc = pwrite_all(fd, zero, (size_t)n, q->offset + done);
			}
		}
		if (rc)
			hvt_err_set(err, rc, "%s: writing request %zu (%s at %" PRIu64 "): %s",
				    path, i + 1, hvt_blktrace_op_name(q->op), q->offset,
				    strerror(-rc));
	}
	if (close(fd) && !rc) {
		rc = -errno;
		hvt_err_set(err, rc, "%s: %s", path, strerror(errno));
	}
out:
	free(buf);
	free(zero);
	return rc;
}
