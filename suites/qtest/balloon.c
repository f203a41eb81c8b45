// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest-virtio-balloon: virtio-balloon driven at device level, as a guest
 * driver would: inflate and deflate through the page queues with QMP
 * reporting the change, the statistics queue answering a request, and the
 * device (and QEMU) surviving malformed requests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define BALLOON_ID "hvtballoon"
#define BALLOON_PATH "/machine/peripheral/" BALLOON_ID
#define F_STATS_VQ (1ull << 1)
#define CFG_NUM_PAGES 0
#define CFG_ACTUAL 4
#define PFN_SHIFT 12
#define Q_INFLATE 0
#define Q_DEFLATE 1
#define Q_STATS 2
#define S_MEMFREE 4
#define S_MEMTOT 5
#define TIMEOUT_MS 5000

struct balloon {
	struct hvt_qtest *q;
	struct hvt_qmp *qmp;
	struct hvt_qmem *mem;
	struct hvt_qvirtio_dev d;
	struct hvt_qvirtq vq[3];
	uint64_t ram;		/* bytes, as QEMU reports them */
	uint64_t pages;		/* guest-physical address of the pages given away */
	uint64_t pfns;		/* the buffer holding their frame numbers */
	uint64_t stats;		/* the statistics buffer */
	uint32_t npages;
	uint32_t *pfn;		/* the frame numbers of the pages given away */
};

static int balloon_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	const char *const extra[] = { "-m", "128M", "-device", "virtio-balloon-pci,id=" BALLOON_ID,
				      NULL };
	struct balloon *b = hvt_zalloc(sizeof(*b));

	b->q = qt_start(c, extra, err);
	if (!b->q) {
		free(b);
		return err->code;
	}
	b->qmp = hvt_qtest_qmp(b->q);
	b->mem = hvt_qmem_new(HVT_QMEM_X86_START, HVT_QMEM_X86_SIZE);
	*state = b;
	return 0;
}

static int64_t query_actual(struct balloon *b, struct hvt_err *err)
{
	struct json_object *ret = NULL;
	int64_t v;

	if (hvt_qmp_execute(b->qmp, "query-balloon", NULL, &ret, 5000, err))
		return -1;
	v = hvt_json_get_int(ret, "actual", -1);
	json_object_put(ret);
	return v;
}

static bool change_is(const struct hvt_qmp_event *ev, void *opaque)
{
	return hvt_json_get_int(ev->data, "actual", -1) == *(int64_t *)opaque;
}

/* The device's num_pages once QEMU has applied a "balloon" target. */
static int wait_target(struct balloon *b, uint32_t want, uint32_t *got, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + 2000;
	int r;

	for (;;) {
		if ((r = hvt_qvirtio_config_readl(&b->d, CFG_NUM_PAGES, got, err)))
			return r;
		if (*got == want || hvt_now_ms() >= deadline)
			return 0;
		hvt_qtest_poll(b->q, 10, NULL); /* a pause between reads */
	}
}

/*
 * One direction of the balloon: QMP asks for a size, the device asks the
 * driver for that many pages, the driver hands them over on queue and
 * reports its new size, and QMP sees it (event and query).
 */
static void move(struct hvt_case *c, struct balloon *b, const char *what, uint32_t target)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qmp_event *ev = NULL;
	struct hvt_qvirtq_buf buf = { b->pfns, 4 * b->npages, false };
	int64_t want = (int64_t)(b->ram - ((uint64_t)target << PFN_SHIFT)), actual;
	uint32_t got = 0;
	char name[64];

	hvt_qmp_event_clear(b->qmp);
	snprintf(name, sizeof(name), "%s-target", what);
	if (hvt_qmp_executef(b->qmp, NULL, 5000, &err, "balloon", "{\"value\": %" PRId64 "}",
			     want) ||
	    wait_target(b, target, &got, &err)) {
		hvt_case_check(c, name, false, "%s", err.msg);
		return;
	}
	hvt_case_check(c, name, got == target, "num_pages %u after balloon to %" PRId64
		       " bytes, expected %u", got, want, target);
	snprintf(name, sizeof(name), "%s-queue", what);
	if (!hvt_case_check(c, name, !qt_virtq_run(&b->vq[target ? Q_INFLATE : Q_DEFLATE], &buf, 1,
						 -1, TIMEOUT_MS, NULL, &err),
			    "%u pages: %s", b->npages, err.msg[0] ? err.msg : "returned"))
		return;
	snprintf(name, sizeof(name), "%s-event", what);
	if (hvt_qvirtio_config_writel(&b->d, CFG_ACTUAL, target, &err) ||
	    hvt_qmp_event_wait(b->qmp, "BALLOON_CHANGE", change_is, &want, 3000, &ev, &err))
		hvt_case_check(c, name, false, "BALLOON_CHANGE with actual %" PRId64 ": %s", want,
			       err.msg);
	else
		hvt_case_check(c, name, true, "BALLOON_CHANGE actual %" PRId64, want);
	hvt_qmp_event_free(ev);
	snprintf(name, sizeof(name), "%s-query", what);
	actual = query_actual(b, &err);
	hvt_case_check(c, name, actual == want, "query-balloon actual %" PRId64 ", expected %"
		       PRId64 "%s%s", actual, want, actual < 0 ? ": " : "", actual < 0 ? err.msg : "");
}

/* Fill the statistics buffer: free and total memory, 10-byte packed entries. */
static int put_stats(struct balloon *b, uint64_t free_bytes, struct hvt_err *err)
{
	uint8_t s[20];
	uint64_t vals[2] = { free_bytes, b->ram };
	uint16_t tags[2] = { S_MEMFREE, S_MEMTOT };

	for (int i = 0; i < 2; i++) {
		s[10 * i] = (uint8_t)tags[i];
		s[10 * i + 1] = (uint8_t)(tags[i] >> 8);
		for (int k = 0; k < 8; k++)
			s[10 * i + 2 + k] = (uint8_t)(vals[i] >> (8 * k));
	}
	return hvt_qtest_memwrite(b->q, b->stats, s, sizeof(s), err);
}

/* The free memory QEMU has from the driver's last statistics, or -1. */
static int64_t guest_free(struct balloon *b, struct hvt_err *err)
{
	struct json_object *ret = NULL;
	int64_t v;

	if (hvt_qmp_executef(b->qmp, &ret, 5000, err, "qom-get",
			     "{'path': %s, 'property': 'guest-stats'}", BALLOON_PATH))
		return -1;
	v = hvt_json_get_int(ret, "stats.stat-free-memory", -1);
	json_object_put(ret);
	return v;
}

static int64_t wait_guest_free(struct balloon *b, int64_t want, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + 3000, v;

	for (;;) {
		v = guest_free(b, err);
		if (v == want || err->code || hvt_now_ms() >= deadline)
			return v;
		hvt_qmp_poll(b->qmp, 10, NULL); /* a pause; events stay queued */
	}
}

/*
 * Hand the device a statistics buffer saying free_bytes are free and see
 * QEMU take the value; the check is named name. False when the buffer
 * could not even be queued.
 */
static bool send_stats(struct hvt_case *c, struct balloon *b, const char *name,
		       uint64_t free_bytes, uint16_t *head)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qvirtq_buf buf = { b->stats, 20, false };
	int64_t v;

	if (put_stats(b, free_bytes, &err) || hvt_qvirtq_add(&b->vq[Q_STATS], &buf, 1, head, &err) ||
	    hvt_qvirtq_kick(&b->vq[Q_STATS], &err))
		return hvt_case_check(c, name, false, "%s", err.msg);
	v = wait_guest_free(b, (int64_t)free_bytes, &err);
	hvt_case_check(c, name, v == (int64_t)free_bytes, "stat-free-memory %" PRId64 ", sent %"
		       PRIu64 "%s%s", v, free_bytes, err.msg[0] ? ": " : "", err.msg);
	return true;
}

/*
 * The statistics protocol: the driver's first buffer carries statistics
 * at once; the device keeps it and returns it (empty) when it wants new
 * ones, which a polling interval makes it do; the next buffer updates them.
 */
static void check_stats(struct hvt_case *c, struct balloon *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	uint16_t head = 0, id = 0;

	if (!(b->d.features & F_STATS_VQ)) {
		hvt_case_check(c, "stats-feature", false, "VIRTIO_BALLOON_F_STATS_VQ not offered");
		return;
	}
	if (!send_stats(c, b, "stats-first", 77ull << 20, &head))
		return;
	if (hvt_qmp_executef(b->qmp, NULL, 5000, &err, "qom-set",
			     "{'path': %s, 'property': 'guest-stats-polling-interval', "
			     "'value': 1}", BALLOON_PATH)) {
		hvt_case_check(c, "stats-request", false, "%s", err.msg);
		return;
	}
	if (hvt_qtest_has_clock(b->q))
		hvt_qtest_clock_step(b->q, 1500000000ll, NULL, &err);
	if (!hvt_case_check(c, "stats-request",
			    !hvt_qvirtq_wait(&b->vq[Q_STATS], 4000, &id, NULL, &err) && id == head,
			    "the device returned the statistics buffer%s%s", err.msg[0] ? ": " : "",
			    err.msg))
		return;
	send_stats(c, b, "stats-update", 55ull << 20, &head);
}

/* QEMU still answers on both connections. */
static bool alive(struct balloon *b, struct hvt_err *err)
{
	uint8_t v;

	return query_actual(b, err) > 0 && !hvt_qtest_readb(b->q, HVT_QMEM_X86_START, &v, err);
}

static void check_malformed(struct hvt_case *c, struct balloon *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	const uint32_t bad[4] = { 0xFFFFFFFFu, 0x7FFFFFFFu, (uint32_t)(b->ram >> PFN_SHIFT) + 16,
				  0 };
	struct hvt_qvirtq_buf buf = { b->pfns, sizeof(bad), false };
	struct hvt_qvirtq *inflate = &b->vq[Q_INFLATE];
	uint8_t status = 0;

	/* Frame numbers outside RAM (and page 0, firmware's) are ignored, not fatal. */
	if (hvt_qtest_memwrite(b->q, b->pfns, bad, sizeof(bad), &err) ||
	    qt_virtq_run(inflate, &buf, 1, -1, TIMEOUT_MS, NULL, &err))
		hvt_case_check(c, "bad-pfn", false, "%s", err.msg);
	else
		hvt_case_check(c, "bad-pfn", alive(b, &err), "out-of-range PFNs returned%s%s",
			       err.msg[0] ? ", then: " : "", err.msg);
	/* Not a whole frame number; a buffer the device may only write. */
	buf.len = 3;
	hvt_case_check(c, "short-buffer",
		       !qt_virtq_run(inflate, &buf, 1, -1, TIMEOUT_MS, NULL, &err),
		       "3-byte request: %s", err.msg[0] ? err.msg : "returned");
	buf.len = 8;
	buf.write = true;
	hvt_case_check(c, "writable-buffer",
		       !qt_virtq_run(inflate, &buf, 1, -1, TIMEOUT_MS, NULL, &err),
		       "device-writable request: %s", err.msg[0] ? err.msg : "returned");
	/* A buffer outside RAM: QEMU reads it through a bounce buffer, as ones. */
	buf = (struct hvt_qvirtq_buf){ 0xFFFFFFF000ull, 4096, false };
	if (qt_virtq_run(inflate, &buf, 1, -1, TIMEOUT_MS, NULL, &err))
		hvt_case_check(c, "outside-ram", false, "%s", err.msg);
	else
		hvt_case_check(c, "outside-ram", alive(b, &err), "request outside RAM returned%s%s",
			       err.msg[0] ? ", then: " : "", err.msg);
	/*
	 * A chain whose descriptor points to itself: the device must give up
	 * on itself (NEEDS_RESET) rather than loop, and QEMU must go on.
	 */
	buf = (struct hvt_qvirtq_buf){ b->pfns, 4, false };
	{
		struct hvt_qvirtq_buf two[2] = { buf, buf };
		uint16_t head;
		bool ok;

		if (hvt_qvirtq_add(inflate, two, 2, &head, &err) ||
		    hvt_qtest_writew(b->q, inflate->desc + 16ull * head + 14, head, &err) ||
		    hvt_qvirtq_kick(inflate, &err)) {
			hvt_case_check(c, "looped-chain", false, "%s", err.msg);
			return;
		}
		hvt_qvirtq_wait(inflate, 200, NULL, NULL, &err);
		hvt_err_clear(&err);
		ok = alive(b, &err) && !hvt_qvirtio_get_status(&b->d, &status, &err);
		hvt_case_check(c, "looped-chain", ok && (status & HVT_VIRTIO_S_NEEDS_RESET),
			       "device status 0x%02x after a looped chain%s%s", status,
			       err.msg[0] ? ": " : "", err.msg);
	}
}

static int setup_device(struct balloon *b, struct hvt_err *err)
{
	int nq = 2, r;

	for (int i = 0; i < 3; i++)
		hvt_qvirtq_release(&b->vq[i]);
	if ((r = hvt_qvirtio_reset(&b->d, err)) ||
	    (r = hvt_qvirtio_negotiate(&b->d, F_STATS_VQ, err)))
		return r;
	if (b->d.features & F_STATS_VQ)
		nq = 3;
	for (int i = 0; i < nq; i++)
		if ((r = hvt_qvirtq_setup(&b->d, &b->vq[i], (uint16_t)i, 64, b->mem, err)))
			return r;
	return hvt_qvirtio_driver_ok(&b->d, err);
}

static void balloon_run(struct hvt_case *c, void *state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct balloon *b = state;
	struct json_object *ret = NULL;
	uint64_t npages = 0;
	double t0 = hvt_now();
	int64_t actual;
	int r;

	/* the steps everything after needs end the case when they fail */
	if (qt_param_u64(c, "balloon_pages", 256, &npages, &err) ||
	    qt_virtio_open(b->q, HVT_VIRTIO_ID_BALLOON, &b->d, &err))
		hvt_case_fatal(c, "%s", err.msg);
	if (npages < 4 || npages > 4096)
		hvt_case_fatal(c, "balloon_pages %" PRIu64 ": between 4 and 4096", npages);
	b->npages = (uint32_t)npages;
	if (hvt_qmp_execute(b->qmp, "query-memory-size-summary", NULL, &ret, 5000, &err))
		hvt_case_fatal(c, "%s", err.msg);
	b->ram = (uint64_t)hvt_json_get_int(ret, "base-memory", 0);
	json_object_put(ret);
	r = setup_device(b, &err);
	hvt_case_require(c, "negotiate", !r, "features 0x%016" PRIx64 "%s%s", b->d.features,
			 err.msg[0] ? ": " : "", err.msg);
	if (hvt_qmem_alloc(b->mem, (uint64_t)b->npages << PFN_SHIFT, 1 << PFN_SHIFT, &b->pages) ||
	    hvt_qmem_alloc(b->mem, 4ull * b->npages, 4, &b->pfns) ||
	    hvt_qmem_alloc(b->mem, 64, 8, &b->stats))
		hvt_case_fatal(c, "balloon_pages %u: not enough guest memory", b->npages);
	/* in the state: cleanup frees it however the case ends */
	b->pfn = hvt_malloc(4ull * b->npages);
	for (uint32_t i = 0; i < b->npages; i++)
		b->pfn[i] = (uint32_t)((b->pages >> PFN_SHIFT) + i);
	if (hvt_qtest_memwrite(b->q, b->pfns, b->pfn, 4ull * b->npages, &err))
		hvt_case_fatal(c, "%s", err.msg);
	actual = query_actual(b, &err);
	hvt_case_check(c, "initial", actual > 0 && (uint64_t)actual == b->ram,
		       "query-balloon actual %" PRId64 ", RAM %" PRIu64, actual, b->ram);
	move(c, b, "inflate", b->npages);
	move(c, b, "deflate", 0);
	check_stats(c, b);
	/* The page list is the same both ways; it is overwritten below. */
	check_malformed(c, b);
	if (hvt_case_check(c, "reset", !setup_device(b, &err), "after malformed requests%s%s",
			   err.msg[0] ? ": " : "", err.msg) &&
	    !hvt_qtest_memwrite(b->q, b->pfns, b->pfn, 4ull * b->npages, &err))
		move(c, b, "reinflate", b->npages);
	hvt_case_metric(c, "run_ms", (hvt_now() - t0) * 1000, "ms");
}

static void balloon_cleanup(struct hvt_case *c, void *state)
{
	struct balloon *b = state;

	if (!b)
		return;
	for (int i = 0; i < 3; i++)
		hvt_qvirtq_release(&b->vq[i]);
	hvt_qmem_free(b->mem);
	hvt_qtest_free(b->q);
	free(b->pfn);
	free(b);
}

static const struct hvt_test_type qtest_virtio_balloon = {
	.name = "qtest-virtio-balloon",
	.summary = "virtio-balloon at device level: inflate, deflate, statistics, bad requests",
	.init = balloon_init,
	.run = balloon_run,
	.cleanup = balloon_cleanup,
};
HVT_TEST_TYPE(qtest_virtio_balloon)
