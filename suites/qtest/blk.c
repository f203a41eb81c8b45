// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest-virtio-blk: virtio-blk driven at device level against a qcow2 image
 * made with qemu-img: a pattern written and read back, a flush that puts it
 * in the image, and requests out of range or of an unknown type answered
 * with an error status instead of a crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define F_FLUSH (1ull << 9)
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define SECTOR 512
#define TIMEOUT_MS 5000

struct blk {
	struct hvt_qtest *q;
	struct hvt_qmem *mem;
	struct hvt_qvirtio_dev d;
	struct hvt_qvirtq vq;
	char *image;
	uint64_t size;			/* bytes, as qemu-img created it */
	uint64_t hdr, data, status;	/* guest addresses of the request's parts */
	uint32_t len;			/* bytes of data per request */
	int irq;			/* IOAPIC input to wait on, or -1: poll the used ring */
};

/* "16M", "1g", "65536": bytes with an optional K/M/G/T suffix; -EINVAL otherwise. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	if (*end) {
		const char *sfx = strchr("KMGT", end[0] & ~0x20);

		if (!sfx || end[1])
			return -EINVAL;
		shift = 10 * (unsigned int)(sfx - "KMGT" + 1);
	}
	if (*out > (UINT64_MAX >> shift))
		return -EINVAL;
	*out <<= shift;
	return 0;
}

static int blk_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	const char *size = hvt_case_param(c, "blk_image_size", "16M");
	const char *img = hvt_case_param(c, "blk_qemu_img", "qemu-img");
	struct blk *b;
	char *drive, bytes[32];
	int r;

	if (!c->workdir)
		return hvt_err_set(err, -EINVAL, "qtest-virtio-blk needs a work directory");
	b = hvt_zalloc(sizeof(*b));
	if (parse_size(size, &b->size) || !b->size || b->size % SECTOR) {
		free(b);
		return hvt_err_set(err, -EINVAL, "parameter blk_image_size: '%s' is not a size "
				   "in whole sectors (e.g. 16M)", size);
	}
	snprintf(bytes, sizeof(bytes), "%" PRIu64, b->size);
	b->image = hvt_asprintf("%s/blk.qcow2", c->workdir);
	{
		const char *argv[] = { img, "create", "-q", "-f", "qcow2", b->image, bytes, NULL };

		r = hvt_proc_run(argv, 30000, NULL, err);
	}
	if (r) {
		hvt_err_prefix(err, "%s create", img);
		free(b->image);
		free(b);
		return r;
	}
	drive = hvt_asprintf("if=none,id=hvtdisk,format=qcow2,file=%s", b->image);
	{
		const char *const extra[] = { "-m", "128M", "-drive", drive, "-device",
					      "virtio-blk-pci,drive=hvtdisk,id=hvtblk", NULL };

		b->q = qt_start(c, extra, err);
	}
	free(drive);
	if (!b->q) {
		free(b->image);
		free(b);
		return err->code;
	}
	b->mem = hvt_qmem_new(HVT_QMEM_X86_START, HVT_QMEM_X86_SIZE);
	b->irq = -1;
	*state = b;
	return 0;
}

/*
 * One request: header (type, reserved, sector), the data buffer (read by
 * the device for a write, written for a read; none for a flush) and the
 * status byte. *status gets the status, *used (may be NULL) the bytes the
 * device reports having written.
 */
static int request(struct blk *b, uint32_t type, uint64_t sector, uint32_t len, uint8_t *status,
		   uint32_t *used, struct hvt_err *err)
{
	uint8_t hdr[16] = { 0 };
	struct hvt_qvirtq_buf bufs[3];
	unsigned int n = 0;
	int r;

	for (int i = 0; i < 4; i++)
		hdr[i] = (uint8_t)(type >> (8 * i));
	for (int i = 0; i < 8; i++)
		hdr[8 + i] = (uint8_t)(sector >> (8 * i));
	bufs[n++] = (struct hvt_qvirtq_buf){ b->hdr, sizeof(hdr), false };
	if (len)
		bufs[n++] = (struct hvt_qvirtq_buf){ b->data, len, type != T_OUT };
	bufs[n++] = (struct hvt_qvirtq_buf){ b->status, 1, true };
	if ((r = hvt_qtest_memwrite(b->q, b->hdr, hdr, sizeof(hdr), err)) ||
	    (r = hvt_qtest_writeb(b->q, b->status, 0xEE, err)) ||
	    (r = qt_virtq_run(&b->vq, bufs, n, b->irq, TIMEOUT_MS, used, err)))
		return r;
	return hvt_qtest_readb(b->q, b->status, status, err);
}

static const char *status_name(uint8_t s)
{
	switch (s) {
	case S_OK:
		return "OK";
	case S_IOERR:
		return "IOERR";
	case S_UNSUPP:
		return "UNSUPP";
	default:
		return "not a status";
	}
}

/* A request whose status must be want; the check is named name. */
static bool expect(struct hvt_case *c, struct blk *b, const char *name, uint32_t type,
		   uint64_t sector, uint32_t len, uint8_t want)
{
	struct hvt_err err = HVT_ERR_INIT;
	uint8_t s = 0xEE;

	if (request(b, type, sector, len, &s, NULL, &err))
		return hvt_case_check(c, name, false, "type %u sector %" PRIu64 ": %s", type,
				      sector, err.msg);
	return hvt_case_check(c, name, s == want, "type %u sector %" PRIu64 " (%u bytes): "
			      "status %u (%s), expected %s", type, sector, len, s, status_name(s),
			      status_name(want));
}

/* Write data (b->len bytes) at sector: the check name says whether it was done. */
static bool write_data(struct hvt_case *c, struct blk *b, const char *name, uint64_t sector,
		       const uint8_t *data)
{
	struct hvt_err err = HVT_ERR_INIT;

	if (hvt_qtest_memwrite(b->q, b->data, data, b->len, &err))
		return hvt_case_check(c, name, false, "request data: %s", err.msg);
	return expect(c, b, name, T_OUT, sector, b->len, S_OK);
}

/* Read len bytes at sector and compare them with want. */
static void read_back(struct hvt_case *c, struct blk *b, const char *name, uint64_t sector,
		      const uint8_t *want)
{
	struct hvt_err err = HVT_ERR_INIT;
	uint8_t *got = hvt_malloc(b->len), s = 0xEE;
	uint32_t used = 0;
	size_t i = 0;

	if (hvt_qtest_memset(b->q, b->data, 0xA5, b->len, &err) ||
	    request(b, T_IN, sector, b->len, &s, &used, &err) ||
	    hvt_qtest_memread(b->q, b->data, got, b->len, &err)) {
		hvt_case_check(c, name, false, "%s", err.msg);
		free(got);
		return;
	}
	while (i < b->len && got[i] == want[i])
		i++;
	hvt_case_check(c, name, s == S_OK && i == b->len && used == b->len + 1,
		       "status %s, %u bytes used, %s at sector %" PRIu64, status_name(s), used,
		       i == b->len ? "data matches" : "data differs", sector);
	if (i < b->len)
		hvt_case_check(c, name, false, "byte %zu: 0x%02x, expected 0x%02x", i, got[i],
			       want[i]);
	free(got);
}

/* What the image holds after a flush, seen by qemu-io beside the running QEMU. */
static void check_image(struct hvt_case *c, struct blk *b, uint64_t sector, uint8_t byte)
{
	struct hvt_err err = HVT_ERR_INIT;
	char cmd[96], *out = NULL;
	int r;

	snprintf(cmd, sizeof(cmd), "read -P 0x%02x %" PRIu64 " %u", byte, sector * SECTOR, b->len);
	{
		const char *argv[] = { hvt_case_param(c, "blk_qemu_io", "qemu-io"), "-U", "-r",
				       "-f", "qcow2", "-c", cmd, b->image, NULL };

		r = hvt_proc_run(argv, 30000, &out, &err);
	}
	if (r && (!out || !*out)) {
		hvt_case_check_skip(c, "flushed-to-image", "qemu-io: %s", err.msg);
	} else {
		bool ok = !r && strstr(out, "read ") && !strstr(out, "verification failed");

		hvt_case_check(c, "flushed-to-image", ok, "qemu-io '%s': %.200s", cmd, out);
	}
	free(out);
}

/*
 * The device signals used buffers (no MSI-X vector is set, so through the
 * ISR): bit 0 is set after a request, and reading the ISR clears it.
 */
static void check_isr(struct hvt_case *c, struct blk *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	uint8_t before = 0xFF, after = 0xFF, again = 0xFF, s = 0xEE;

	/* Earlier requests left it set: the first read clears it. */
	if (hvt_qvirtio_isr(&b->d, &before, &err) || hvt_qvirtio_isr(&b->d, &before, &err) ||
	    request(b, T_IN, 0, b->len, &s, NULL, &err) ||
	    hvt_qvirtio_isr(&b->d, &after, &err) || hvt_qvirtio_isr(&b->d, &again, &err)) {
		hvt_case_check(c, "isr", false, "%s", err.msg);
		return;
	}
	hvt_case_check(c, "isr", !(before & 1) && (after & 1) && !(again & 1),
		       "ISR 0x%02x before a request, 0x%02x after it, 0x%02x read again", before,
		       after, again);
}

/*
 * INTx as a driver without MSI-X sees it: with the IOAPIC's inputs
 * intercepted, one line rises when a request completes and falls when the
 * ISR is read; then requests are completed by waiting for that line.
 */
static void check_intx(struct hvt_case *c, struct blk *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	uint8_t isr, s = 0xEE;
	int line = -1, n = 0;
	double t0;

	if (qt_route_intx(b->q, &err) || hvt_qtest_irq_intercept_in(b->q, "ioapic", &err) ||
	    hvt_qvirtio_isr(&b->d, &isr, &err)) {
		hvt_case_check(c, "intx-raised", false, "%s", err.msg);
		return;
	}
	hvt_qtest_irq_reset_counts(b->q);
	if (request(b, T_IN, 0, SECTOR, &s, NULL, &err) || hvt_qtest_poll(b->q, 50, &err)) {
		hvt_case_check(c, "intx-raised", false, "%s", err.msg);
		return;
	}
	/* Input 0 is the legacy PIC's output, busy on its own: not ours. */
	for (unsigned int i = 1; i < 24 && line < 0; i++)
		if (hvt_qtest_irq_raised(b->q, i) && hvt_qtest_irq_level(b->q, i))
			line = (int)i;
	if (!hvt_case_check(c, "intx-raised", line > 0, "IOAPIC input %d high after a request",
			    line))
		return;
	hvt_case_metric(c, "intx_ioapic_input", line, "");
	if (hvt_qvirtio_isr(&b->d, &isr, &err)) {
		hvt_case_check(c, "intx-lowered", false, "%s", err.msg);
		return;
	}
	hvt_case_check(c, "intx-lowered", (isr & 1) && !hvt_qtest_irq_level(b->q, (unsigned int)line),
		       "ISR 0x%02x, input %d %s after reading it", isr, line,
		       hvt_qtest_irq_level(b->q, (unsigned int)line) ? "still high" : "low");
	b->irq = line;
	t0 = hvt_now();
	for (; n < 50; n++)
		if (request(b, T_IN, (uint64_t)n, SECTOR, &s, NULL, &err) || s != S_OK)
			break;
	b->irq = -1;
	hvt_case_check(c, "intx-wait", n == 50, "%d of 50 reads completed by interrupt%s%s", n,
		       err.msg[0] ? ": " : "", err.msg);
	if (n == 50)
		hvt_case_metric(c, "intx_requests_per_s", n / (hvt_now() - t0), "1/s");
}

/* Requests per second, one at a time (a round trip through QEMU's main loop each). */
static void measure(struct hvt_case *c, struct blk *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	double t0 = hvt_now();
	int n = 0;

	for (; n < 200; n++) {
		uint8_t s = 0xEE;

		if (request(b, T_IN, (uint64_t)n * 8, SECTOR, &s, NULL, &err) || s != S_OK) {
			hvt_case_check(c, "read-loop", false, "request %d: status %u %s", n, s,
				       err.msg);
			return;
		}
	}
	hvt_case_check(c, "read-loop", true, "%d one-sector reads", n);
	hvt_case_metric(c, "read_requests_per_s", n / (hvt_now() - t0), "1/s");
}

static void blk_run(struct hvt_case *c, void *state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct blk *b = state;
	uint64_t capacity = 0, sectors = 8, sector;
	uint8_t *pattern = NULL, *zero = NULL, *fill = NULL;
	double t0 = hvt_now();
	int r;

	/* the steps everything after needs end the case when they fail */
	if (qt_param_u64(c, "blk_sectors", 8, &sectors, &err) ||
	    qt_virtio_open(b->q, HVT_VIRTIO_ID_BLOCK, &b->d, &err))
		hvt_case_fatal(c, "%s", err.msg);
	if (!sectors || sectors > 256)
		hvt_case_fatal(c, "blk_sectors %" PRIu64 ": between 1 and 256", sectors);
	b->len = (uint32_t)sectors * SECTOR;
	r = hvt_qvirtio_negotiate(&b->d, F_FLUSH, &err);
	if (!r)
		r = hvt_qvirtq_setup(&b->d, &b->vq, 0, 64, b->mem, &err);
	if (!r)
		r = hvt_qvirtio_driver_ok(&b->d, &err);
	hvt_case_require(c, "negotiate", !r && (b->d.features & F_FLUSH),
			 "features 0x%016" PRIx64 "%s%s", b->d.features, r ? ": " : "",
			 r ? err.msg : "");
	if (hvt_qmem_alloc(b->mem, 16, 16, &b->hdr) || hvt_qmem_alloc(b->mem, b->len, 4096, &b->data) ||
	    hvt_qmem_alloc(b->mem, 1, 1, &b->status))
		hvt_case_fatal(c, "no guest memory for %u-byte requests", b->len);
	if (hvt_qvirtio_config_readq(&b->d, 0, &capacity, &err))
		hvt_case_fatal(c, "capacity: %s", err.msg);
	hvt_case_check(c, "capacity", capacity == b->size / SECTOR,
		       "%" PRIu64 " sectors, image of %" PRIu64 " bytes", capacity, b->size);
	if (capacity < 2 * sectors + 2)
		hvt_case_fatal(c, "image too small for %" PRIu64 "-sector requests", sectors);
	pattern = hvt_malloc(b->len);
	zero = hvt_zalloc(b->len);
	fill = hvt_malloc(b->len);
	memset(fill, 0x5A, b->len);
	for (uint32_t i = 0; i < b->len; i++)
		pattern[i] = (uint8_t)(i * 31 + i / SECTOR + 1);
	/* A pattern in the middle and at the very end of the disk. */
	sector = capacity / 2;
	read_back(c, b, "unwritten-reads-zero", sector, zero);
	if (write_data(c, b, "write", sector, pattern))
		read_back(c, b, "read-back", sector, pattern);
	if (write_data(c, b, "write-last", capacity - sectors, pattern))
		read_back(c, b, "read-back-last", capacity - sectors, pattern);
	/* One byte everywhere, flushed, then seen in the image file itself. */
	if (write_data(c, b, "write-fill", 8, fill) &&
	    expect(c, b, "flush", T_FLUSH, 0, 0, S_OK))
		check_image(c, b, 8, 0x5A);
	/* Out of range: wholly past the end, across the end, far out. */
	expect(c, b, "read-past-end", T_IN, capacity, b->len, S_IOERR);
	expect(c, b, "write-across-end", T_OUT, capacity - 1, b->len, S_IOERR);
	expect(c, b, "read-far-out", T_IN, UINT64_MAX / SECTOR, b->len, S_IOERR);
	expect(c, b, "unknown-type", 0x7F, 0, b->len, S_UNSUPP);
	/* The data near the end is untouched by the refused write, and the device still works. */
	read_back(c, b, "after-errors", capacity - sectors, pattern);
	check_isr(c, b);
	measure(c, b);
	check_intx(c, b);
	hvt_case_metric(c, "run_ms", (hvt_now() - t0) * 1000, "ms");
	free(pattern);
	free(zero);
	free(fill);
}

static void blk_cleanup(struct hvt_case *c, void *state)
{
	struct blk *b = state;

	if (!b)
		return;
	hvt_qvirtq_release(&b->vq);
	hvt_qmem_free(b->mem);
	hvt_qtest_free(b->q);
	free(b->image);
	free(b);
}

static const struct hvt_test_type qtest_virtio_blk = {
	.name = "qtest-virtio-blk",
	.summary = "virtio-blk at device level on qcow2: write, read back, flush, I/O errors",
	.init = blk_init,
	.run = blk_run,
	.cleanup = blk_cleanup,
};
HVT_TEST_TYPE(qtest_virtio_blk)
