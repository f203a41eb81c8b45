// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest-block-trace: a block trace replayed through virtio-blk at device
 * level, no guest OS, with written data that is a function of each request
 * (blkmodel.h); the image must end up as the same trace applied to a raw
 * file with plain file I/O leaves it, every request must end with the
 * status its range calls for, and reads must return what the trace wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define F_FLUSH	       (1ull << 9)
#define F_DISCARD      (1ull << 13)
#define F_WRITE_ZEROES (1ull << 14)
#define T_IN	       0
#define T_OUT	       1
#define T_FLUSH	       4
#define T_DISCARD      11
#define T_WRITE_ZEROES 13
#define S_OK	       0
#define S_IOERR	       1
#define S_UNSUPP       2
#define SECTOR	       ((uint64_t)512)
#define QUEUE_SIZE     256
#define MAX_DEPTH      64
#define MAX_REQ_LEN    (32ull << 20)	/* a read or write */
#define ZERO_LEN       (256u << 10)	/* the zero buffer for the unspecified ranges */
#define CHUNK	       (1u << 20)	/* for comparing images */

/* One request as the device gets it: discards and write-zeroes longer than
 * the device takes are split, as a driver splits them. */
struct dreq {
	size_t req;		/* index in the trace */
	enum hvt_blktrace_op op;
	bool unmap, fits;
	uint64_t offset, len, t_us;
};

struct slot {
	uint64_t hdr, seg, data, status;	/* guest addresses */
	bool busy;
	size_t d;				/* the dreq it carries */
	double t_issue;
};

/* An image the trace is replayed on, and how QEMU opens it. */
struct target {
	const char *tag;	/* "" or "second-": prefixes its checks and metrics */
	char *image, *fmt, *cache, *discard, *drive_opts, *qemu, *workdir;
	bool made;		/* created by the case */
	bool zero;		/* it held zeros before the trace (else: the given image's data) */
};

struct bt {
	struct hvt_blktrace trace;
	char *tracefile;
	uint64_t size;		/* bytes of every image */
	uint64_t max_len;	/* the longest read or write */
	unsigned int depth;
	bool recorded;		/* timing: as recorded */
	uint64_t drop;		/* test-only: this request is never sent (0: none) */
	const char *qemu_img;
	int timeout_ms;
	char *comparison, *comparison_fmt;
	bool comparison_built;
	struct target tgt[2];
	int ntargets;
	/* the running replay */
	struct hvt_qtest *q;
	struct hvt_qmem *mem;
	struct hvt_qvirtio_dev dev;
	struct hvt_qvirtq vq;
	bool vq_set;
	struct hvt_blkmodel model;
	struct dreq *d;
	size_t nd;
	struct slot slots[MAX_DEPTH];
	int16_t head_slot[QUEUE_SIZE];
	double *lat;
	size_t nlat;
	uint64_t zero_buf;
	uint8_t *host;		/* host copy of one request's data */
};

/* "request 57 (line 60: write 1048576 4096)" into buf. */
static const char *req_name(const struct bt *b, size_t i, char *buf, size_t len)
{
	const struct hvt_blktrace_req *q = &b->trace.reqs[i];

	if (q->op == HVT_BLKTRACE_FLUSH)
		snprintf(buf, len, "request %zu (line %u: flush)", i + 1, q->line);
	else
		snprintf(buf, len, "request %zu (line %u: %s %" PRIu64 " %" PRIu64 ")", i + 1,
			 q->line, hvt_blktrace_op_name(q->op), q->offset, q->len);
	return buf;
}

static int run_tool(const char *const *argv, char **out, struct hvt_err *err)
{
	int rc = hvt_proc_run(argv, 300000, out, err);

	if (rc && out && *out && **out)
		hvt_err_append(err, ": %.600s", *out);
	return rc;
}

/* The virtual size of an image, from qemu-img info. */
static int image_size(const char *qemu_img, const char *image, const char *fmt, uint64_t *size,
		      struct hvt_err *err)
{
	const char *argv[] = { qemu_img, "info", "-U", "--output=json", "-f", fmt, image, NULL };
	struct json_object *info;
	char *out = NULL;
	int64_t v;
	int rc = run_tool(argv, &out, err);

	if (rc) {
		free(out);
		return hvt_err_prefix(err, "%s info %s", qemu_img, image);
	}
	info = hvt_json_parse(out, err);
	v = info ? hvt_json_get_int(info, "virtual-size", -1) : -1;
	json_object_put(info);
	free(out);
	if (v <= 0 || v % (int64_t)SECTOR)
		return hvt_err_set(err, -EINVAL, "%s: no virtual size in whole 512-byte sectors "
				   "from qemu-img info", image);
	*size = (uint64_t)v;
	return 0;
}

static const char *param_choice(struct hvt_case *c, const char *key, const char *dflt,
				const char *const *allowed, struct hvt_err *err)
{
	const char *v = hvt_case_param(c, key, dflt);

	for (int i = 0; allowed[i]; i++)
		if (!strcmp(v, allowed[i]))
			return v;
	hvt_err_set(err, -EINVAL, "parameter %s: '%s' is not one of", key, v);
	for (int i = 0; allowed[i]; i++)
		hvt_err_append(err, " %s", allowed[i]);
	return NULL;
}

static const char *const fmts[] = { "qcow2", "raw", NULL };
static const char *const caches[] = { "writeback", "writethrough", "none", "directsync",
				      "unsafe", NULL };
static const char *const discards[] = { "unmap", "ignore", NULL };

/* A relative path names a file in the case's directory. */
static char *case_path(struct hvt_case *c, const char *p)
{
	return p[0] == '/' ? hvt_strdup(p) : hvt_asprintf("%s/%s", c->workdir, p);
}

/* A target from parameters prefix_fmt, _cache... (dflt: the first target's). */
static int target_params(struct hvt_case *c, struct target *t, const char *prefix,
			 const struct target *dflt, struct hvt_err *err)
{
	char key[64];
	const char *v;

#define KEY(name) (snprintf(key, sizeof(key), "%s_%s", prefix, name), key)
	if (!(v = param_choice(c, KEY("fmt"), dflt ? dflt->fmt : "qcow2", fmts, err)))
		return -EINVAL;
	t->fmt = hvt_strdup(v);
	if (!(v = param_choice(c, KEY("cache"), dflt ? dflt->cache : "writeback", caches, err)))
		return -EINVAL;
	t->cache = hvt_strdup(v);
	if (!(v = param_choice(c, KEY("discard"), dflt ? dflt->discard : "unmap", discards, err)))
		return -EINVAL;
	t->discard = hvt_strdup(v);
	t->drive_opts = hvt_strdup(hvt_case_param(c, KEY("drive_opts"), dflt ? dflt->drive_opts :
						  ""));
	v = hvt_case_param(c, KEY("qemu"), dflt ? dflt->qemu : NULL);
	t->qemu = v && *v ? hvt_strdup(v) : NULL;
#undef KEY
	return 0;
}

static void target_release(struct target *t)
{
	free(t->image);
	free(t->fmt);
	free(t->cache);
	free(t->discard);
	free(t->drive_opts);
	free(t->qemu);
	free(t->workdir);
}

static void bt_free(struct bt *b)
{
	hvt_blktrace_release(&b->trace);
	free(b->tracefile);
	free(b->comparison);
	free(b->comparison_fmt);
	for (int i = 0; i < 2; i++)
		target_release(&b->tgt[i]);
	free(b->d);
	free(b->lat);
	free(b->host);
	hvt_blkmodel_release(&b->model);
	free(b);
}

/* Every request addresses whole sectors, and reads and writes fit guest memory. */
static int check_trace(struct bt *b, struct hvt_err *err)
{
	struct hvt_blktrace_stats s;

	for (size_t i = 0; i < b->trace.n; i++) {
		const struct hvt_blktrace_req *q = &b->trace.reqs[i];

		if (q->op == HVT_BLKTRACE_FLUSH)
			continue;
		if (q->offset % SECTOR || q->len % SECTOR)
			return hvt_err_set(err, -EINVAL, "%s:%u: %s at %" PRIu64 " of %" PRIu64
					   " bytes: virtio-blk addresses whole 512-byte sectors",
					   b->tracefile, q->line, hvt_blktrace_op_name(q->op),
					   q->offset, q->len);
		if ((q->op == HVT_BLKTRACE_READ || q->op == HVT_BLKTRACE_WRITE) &&
		    q->len > MAX_REQ_LEN)
			return hvt_err_set(err, -EINVAL, "%s:%u: a %s of %" PRIu64 " bytes: at most "
					   "%llu bytes per read or write", b->tracefile, q->line,
					   hvt_blktrace_op_name(q->op), q->len, MAX_REQ_LEN);
		if (q->offset / SECTOR + q->len / SECTOR > (1ull << 55) ||
		    ((q->op == HVT_BLKTRACE_DISCARD || q->op == HVT_BLKTRACE_WRITE_ZEROES) &&
		     q->len / SECTOR > (1ull << 40)))
			return hvt_err_set(err, -EINVAL, "%s:%u: a %s of %" PRIu64 " bytes at %"
					   PRIu64 ": too large for a device request",
					   b->tracefile, q->line, hvt_blktrace_op_name(q->op), q->len,
					   q->offset);
	}
	hvt_blktrace_stats(&b->trace, &s);
	b->max_len = s.max_len ? s.max_len : SECTOR;
	if ((uint64_t)b->depth * (b->max_len + 8192) > (1536ull << 20))
		return hvt_err_set(err, -EINVAL, "queue_depth %u x the longest request (%" PRIu64
				   " bytes) needs more than 1.5 GiB of guest memory", b->depth,
				   b->max_len);
	return 0;
}

static int bt_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	static const char *const timings[] = { "fast", "recorded", NULL };
	struct hvt_blktrace_opts ro = { HVT_BLKTRACE_AUTO, NULL, NULL };
	const char *v, *size_s;
	struct bt *b;
	uint64_t depth = 1, timeout_s = 30;
	struct stat st;
	int rc = -EINVAL;

	if (!c->workdir)
		return hvt_err_set(err, -EINVAL, "qtest-block-trace needs a work directory");
	b = hvt_zalloc(sizeof(*b));
	b->tgt[0].tag = "";
	b->tgt[1].tag = "second-";
	b->qemu_img = hvt_case_param(c, "blk_qemu_img", "qemu-img");
	v = hvt_case_param(c, "tracefile", NULL);
	if (!v || !*v) {
		hvt_err_set(err, -EINVAL, "parameter tracefile: missing (the block trace to "
			    "replay)");
		goto fail;
	}
	b->tracefile = hvt_strdup(v);
	if (hvt_blktrace_format_parse(hvt_case_param(c, "trace_format", "auto"), &ro.format)) {
		hvt_err_set(err, -EINVAL, "parameter trace_format: '%s' is none of auto, hvtest, "
			    "fio, blkparse", hvt_case_param(c, "trace_format", ""));
		goto fail;
	}
	ro.select = hvt_case_param(c, "trace_select", NULL);
	ro.action = hvt_case_param(c, "trace_action", NULL);
	if ((rc = hvt_blktrace_load(&b->trace, b->tracefile, &ro, err)))
		goto fail;
	rc = -EINVAL;
	if ((v = param_choice(c, "timing", "fast", timings, err)) == NULL)
		goto fail;
	b->recorded = !strcmp(v, "recorded");
	if (b->recorded && !b->trace.timed) {
		hvt_err_set(err, -EINVAL, "timing = recorded, but %s has no times", b->tracefile);
		goto fail;
	}
	if (qt_param_u64(c, "queue_depth", 1, &depth, err) ||
	    qt_param_u64(c, "replay_timeout", 30, &timeout_s, err))
		goto fail;
	if (!depth || depth > MAX_DEPTH || !timeout_s || timeout_s > 3600) {
		hvt_err_set(err, -EINVAL, "queue_depth %" PRIu64 ": between 1 and %d; "
			    "replay_timeout %" PRIu64 ": between 1 and 3600 s", depth, MAX_DEPTH,
			    timeout_s);
		goto fail;
	}
	/* a control for the checks: the device misses one request */
	if (qt_param_u64(c, "replay_drop", 0, &b->drop, err))
		goto fail;
	b->depth = (unsigned int)depth;
	b->timeout_ms = (int)timeout_s * 1000;
	if ((rc = check_trace(b, err)))
		goto fail;
	rc = -EINVAL;
	if (target_params(c, &b->tgt[0], "target", NULL, err))
		goto fail;
	b->ntargets = 1;
	if (hvt_case_param(c, "second_fmt", NULL) || hvt_case_param(c, "second_cache", NULL) ||
	    hvt_case_param(c, "second_discard", NULL) || hvt_case_param(c, "second_qemu", NULL) ||
	    hvt_case_param(c, "second_drive_opts", NULL)) {
		if (target_params(c, &b->tgt[1], "second", &b->tgt[0], err))
			goto fail;
		b->ntargets = 2;
	}
	/* The first target: the image given, which must be there, or one made here. */
	v = hvt_case_param(c, "target_img", NULL);
	if (v && *v) {
		b->tgt[0].image = case_path(c, v);
		if (stat(b->tgt[0].image, &st)) {
			rc = hvt_err_set(err, -errno, "target_img %s: %s", b->tgt[0].image,
					 strerror(errno));
			goto fail;
		}
		if ((rc = image_size(b->qemu_img, b->tgt[0].image, b->tgt[0].fmt, &b->size, err)))
			goto fail;
		rc = -EINVAL;
	} else {
		struct hvt_blktrace_stats s;

		hvt_blktrace_stats(&b->trace, &s);
		size_s = hvt_case_param(c, "target_size", NULL);
		if (size_s && hvt_blktrace_size_parse(size_s, &b->size)) {
			hvt_err_set(err, -EINVAL, "parameter target_size: '%s' is not a size in "
				    "whole 512-byte sectors (e.g. 64M)", size_s);
			goto fail;
		}
		if (!size_s)
			b->size = b->trace.size ? b->trace.size :
				  ((s.end + (1ull << 20) - 1) >> 20 << 20);
		if (!b->size)
			b->size = 1ull << 20;
		b->tgt[0].image = hvt_asprintf("%s/target.%s", c->workdir, b->tgt[0].fmt);
		b->tgt[0].made = b->tgt[0].zero = true;
	}
	if (b->ntargets == 2) {
		b->tgt[1].image = hvt_asprintf("%s/second.%s", c->workdir, b->tgt[1].fmt);
		b->tgt[1].made = true;
		b->tgt[1].zero = b->tgt[0].zero;
		b->tgt[1].workdir = hvt_asprintf("%s/second", c->workdir);
	}
	if (b->size > HVT_BLKMODEL_MAX_SIZE) {
		hvt_err_set(err, -E2BIG, "an image of %" PRIu64 " bytes: at most %llu are "
			    "modelled", b->size, HVT_BLKMODEL_MAX_SIZE);
		goto fail;
	}
	/* The comparison image: given, and then it must be there, or built. */
	v = hvt_case_param(c, "comparison_img", NULL);
	if (v && *v) {
		b->comparison = case_path(c, v);
		if (stat(b->comparison, &st)) {
			rc = hvt_err_set(err, -errno, "comparison_img %s: %s", b->comparison,
					 strerror(errno));
			goto fail;
		}
		v = hvt_case_param(c, "comparison_fmt", NULL);
		b->comparison_fmt = v && *v ? hvt_strdup(v) : NULL;
	} else {
		b->comparison = hvt_asprintf("%s/comparison.raw", c->workdir);
		b->comparison_fmt = hvt_strdup("raw");
		b->comparison_built = true;
	}
	*state = b;
	return 0;
fail:
	bt_free(b);
	return rc ? rc : -EINVAL;
}

/* ---- the comparison image ---- */

static void build_comparison(struct hvt_case *c, struct bt *b)
{
	struct hvt_err err = HVT_ERR_INIT;
	double t0 = hvt_now();
	int rc = 0;

	if (b->tgt[0].zero) {
		int fd = open(b->comparison, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || ftruncate(fd, (off_t)b->size))
			rc = hvt_err_set(&err, -errno, "%s: %s", b->comparison, strerror(errno));
		if (fd >= 0)
			close(fd);
	} else {
		/* what the given image holds before the trace */
		const char *argv[] = { b->qemu_img, "convert", "-U", "-f", b->tgt[0].fmt, "-O", "raw",
				       b->tgt[0].image, b->comparison, NULL };

		rc = run_tool(argv, NULL, &err);
	}
	if (!rc)
		rc = hvt_blkmodel_apply_file(&b->trace, b->comparison, b->size, &err);
	hvt_case_require(c, "comparison-image", !rc, "%s: %s", b->comparison,
			 rc ? err.msg : "the trace applied with pwrite()");
	hvt_case_metric(c, "comparison_build_ms", (hvt_now() - t0) * 1000, "ms");
}

/* ---- the replay ---- */

/* Device requests: discards and write-zeroes cut to the device's maxima. */
static void split(struct bt *b, uint32_t max_discard, uint32_t max_zeroes)
{
	struct hvt_blkmodel fit = { .size = b->size };
	size_t alloc = b->trace.n + 16;

	free(b->d);
	b->d = hvt_malloc(alloc * sizeof(*b->d));
	b->nd = 0;
	for (size_t i = 0; i < b->trace.n; i++) {
		const struct hvt_blktrace_req *q = &b->trace.reqs[i];
		uint64_t max = q->op == HVT_BLKTRACE_DISCARD ? max_discard :
			       q->op == HVT_BLKTRACE_WRITE_ZEROES ? max_zeroes : 0;
		bool fits = hvt_blkmodel_fits(&fit, q);
		uint64_t off = q->offset, left = q->len;

		max *= SECTOR;
		do {
			/* one past the end is refused whole, not cut */
			uint64_t n = (max && fits && left > max) ? max : left;

			if (b->nd == alloc) {
				alloc *= 2;
				b->d = hvt_realloc(b->d, alloc * sizeof(*b->d));
			}
			b->d[b->nd++] = (struct dreq){ i, q->op, q->unmap, fits, off, n, q->t_us };
			off += n;
			left -= n;
		} while (left);
	}
}

static bool overlaps(const struct dreq *a, const struct dreq *x)
{
	return a->offset < x->offset + x->len && x->offset < a->offset + a->len;
}

/*
 * Whether d must wait for the requests in flight: a flush waits for all
 * of them and everything waits for a flush; a request that changes data
 * waits for any in flight on the same sectors, a read for those that
 * change them. Two overlapping requests in flight at once could end in
 * either order, and the image would not be a function of the trace.
 */
static bool must_wait(const struct bt *b, const struct dreq *d)
{
	for (unsigned int i = 0; i < b->depth; i++) {
		const struct dreq *x;

		if (!b->slots[i].busy)
			continue;
		x = &b->d[b->slots[i].d];
		if (d->op == HVT_BLKTRACE_FLUSH || x->op == HVT_BLKTRACE_FLUSH)
			return true;
		if ((hvt_blktrace_op_modifies(d->op) || hvt_blktrace_op_modifies(x->op)) &&
		    overlaps(d, x))
			return true;
	}
	return false;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int issue(struct bt *b, unsigned int si, size_t di, struct hvt_err *err)
{
	struct slot *s = &b->slots[si];
	const struct dreq *d = &b->d[di];
	struct hvt_qvirtq_buf bufs[4];
	uint8_t hdr[16] = { 0 }, seg[16] = { 0 };
	uint32_t type = d->op == HVT_BLKTRACE_READ ? T_IN : d->op == HVT_BLKTRACE_WRITE ? T_OUT :
			d->op == HVT_BLKTRACE_FLUSH ? T_FLUSH :
			d->op == HVT_BLKTRACE_DISCARD ? T_DISCARD : T_WRITE_ZEROES;
	unsigned int n = 0;
	uint16_t head;
	int rc;

	put_le(hdr, type, 4);
	if (d->op == HVT_BLKTRACE_READ || d->op == HVT_BLKTRACE_WRITE)
		put_le(hdr + 8, d->offset / SECTOR, 8);
	bufs[n++] = (struct hvt_qvirtq_buf){ s->hdr, sizeof(hdr), false };
	hvt_qtest_batch_begin(b->q);
	hvt_qtest_memwrite(b->q, s->hdr, hdr, sizeof(hdr), err);
	if (d->op == HVT_BLKTRACE_DISCARD || d->op == HVT_BLKTRACE_WRITE_ZEROES) {
		put_le(seg, d->offset / SECTOR, 8);
		put_le(seg + 8, d->len / SECTOR, 4);
		put_le(seg + 12, d->unmap ? 1 : 0, 4);
		hvt_qtest_memwrite(b->q, s->seg, seg, sizeof(seg), err);
		bufs[n++] = (struct hvt_qvirtq_buf){ s->seg, sizeof(seg), false };
	} else if (d->op == HVT_BLKTRACE_WRITE) {
		hvt_blkmodel_fill(b->host, d->offset, d->len, (uint32_t)(d->req + 1));
		hvt_qtest_memwrite(b->q, s->data, b->host, d->len, err);
		bufs[n++] = (struct hvt_qvirtq_buf){ s->data, (uint32_t)d->len, false };
	} else if (d->op == HVT_BLKTRACE_READ) {
		bufs[n++] = (struct hvt_qvirtq_buf){ s->data, (uint32_t)d->len, true };
	}
	hvt_qtest_writeb(b->q, s->status, 0xEE, err);
	bufs[n++] = (struct hvt_qvirtq_buf){ s->status, 1, true };
	if ((rc = hvt_qtest_batch_end(b->q, err)) ||
	    (rc = hvt_qvirtq_add(&b->vq, bufs, n, &head, err)))
		return rc;
	s->busy = true;
	s->d = di;
	s->t_issue = hvt_now();
	b->head_slot[head] = (int16_t)si;
	/* the model moves on at issue: nothing that overlaps d is in flight */
	hvt_blkmodel_apply(&b->model, &b->trace.reqs[d->req], (uint32_t)(d->req + 1));
	return hvt_qvirtq_kick(&b->vq, err);
}

/* What a replay found; one per target. */
struct tally {
	size_t done, bad_status, beyond, beyond_ok, reads, read_bad, ndreq, dropped;
	uint64_t checked, unchecked, bytes[HVT_BLKTRACE_WRITE_ZEROES + 1];
	char first_bad[600], first_read_bad[600];
	double max_lag;
};

static const char *status_name(uint8_t s)
{
	return s == S_OK ? "OK" : s == S_IOERR ? "IOERR" : s == S_UNSUPP ? "UNSUPP" :
	       "not a status";
}

/* Take the next completion, check its status (and a read's data). */
static int complete(struct bt *b, struct tally *t, struct hvt_err *err)
{
	uint16_t id = 0;
	uint32_t used = 0;
	uint8_t status = 0xEE;
	struct slot *s;
	const struct dreq *d;
	char name[200];
	int rc = hvt_qvirtq_wait(&b->vq, b->timeout_ms, &id, &used, err);

	if (rc) {
		/* name the oldest request in flight */
		size_t oldest = SIZE_MAX;

		for (unsigned int i = 0; i < b->depth; i++)
			if (b->slots[i].busy && b->slots[i].d < oldest)
				oldest = b->slots[i].d;
		if (oldest == SIZE_MAX)
			return rc;
		req_name(b, b->d[oldest].req, name, sizeof(name));
		if (rc == -ETIMEDOUT)
			return hvt_err_set(err, rc, "%s: no completion within %d ms", name,
					   b->timeout_ms);
		return hvt_err_prefix(err, "waiting for %s", name);
	}
	if (id >= QUEUE_SIZE || b->head_slot[id] < 0)
		return hvt_err_set(err, -EPROTO, "the device returned chain %u, not in flight", id);
	s = &b->slots[b->head_slot[id]];
	b->head_slot[id] = -1;
	d = &b->d[s->d];
	b->lat[b->nlat++] = hvt_now() - s->t_issue;
	s->busy = false;
	hvt_qtest_batch_begin(b->q);
	hvt_qtest_readb(b->q, s->status, &status, err);
	if (d->op == HVT_BLKTRACE_READ && d->fits)
		hvt_qtest_memread(b->q, s->data, b->host, d->len, err);
	if ((rc = hvt_qtest_batch_end(b->q, err)))
		return rc;
	t->done++;
	if (!d->fits) {
		t->beyond++;
		if (status == S_IOERR)
			t->beyond_ok++;
	}
	if (status != (d->fits ? S_OK : S_IOERR)) {
		if (!t->bad_status++)
			snprintf(t->first_bad, sizeof(t->first_bad), "%s: status %u (%s), expected "
				 "%s", req_name(b, d->req, name, sizeof(name)), status,
				 status_name(status), d->fits ? "OK" : "IOERR (past the end)");
		return 0;
	}
	if (d->fits)
		t->bytes[d->op] += d->len;
	if (d->op == HVT_BLKTRACE_READ && d->fits) {
		uint64_t first = 0, bad;
		uint32_t want_len = (uint32_t)d->len + 1;

		t->reads++;
		bad = hvt_blkmodel_check(&b->model, d->offset, b->host, d->len, &first,
					 &t->unchecked);
		t->checked += d->len / SECTOR;
		if ((bad || used != want_len) && !t->read_bad++) {
			char got[64], want[64];
			uint8_t w[SECTOR];
			uint64_t at = (first - d->offset / SECTOR) * SECTOR;

			if (!bad) {
				snprintf(t->first_read_bad, sizeof(t->first_read_bad), "%s: the "
					 "device used %u bytes, expected %u", req_name(b, d->req, name,
					 sizeof(name)), used, want_len);
			} else {
				hvt_blkmodel_expect(&b->model, first, w);
				snprintf(t->first_read_bad, sizeof(t->first_read_bad), "%s: sector %"
					 PRIu64 " holds %s, expected %s (%" PRIu64 " sectors differ)",
					 req_name(b, d->req, name, sizeof(name)), first,
					 hvt_blkmodel_describe(b->host + at, first * SECTOR, got,
							       sizeof(got)),
					 hvt_blkmodel_describe(w, first * SECTOR, want, sizeof(want)),
					 bad);
			}
		}
	}
	return 0;
}

static int inflight(const struct bt *b)
{
	int n = 0;

	for (unsigned int i = 0; i < b->depth; i++)
		n += b->slots[i].busy;
	return n;
}

static void sleep_until(double when)
{
	double left = when - hvt_now();

	if (left > 0) {
		struct timespec ts = { (time_t)left, (long)((left - floor(left)) * 1e9) };

		nanosleep(&ts, NULL);
	}
}

/* The whole trace, in order, up to depth requests in flight. */
static int replay(struct bt *b, struct tally *t, double *seconds, struct hvt_err *err)
{
	double t0 = hvt_now();
	size_t next = 0;
	int rc;

	while (next < b->nd || inflight(b)) {
		unsigned int si = 0;

		while (next < b->nd) {
			const struct dreq *d = &b->d[next];
			double due = t0 + (double)d->t_us / 1e6;

			while (si < b->depth && b->slots[si].busy)
				si++;
			if (si == b->depth || must_wait(b, d))
				break;
			if (b->recorded && hvt_now() < due) {
				if (inflight(b))
					break;
				sleep_until(due);
			}
			if (b->recorded && hvt_now() - due > t->max_lag)
				t->max_lag = hvt_now() - due;
			if (d->req + 1 == b->drop) {
				/* the trace says it happened: the model follows the trace */
				hvt_blkmodel_apply(&b->model, &b->trace.reqs[d->req],
						   (uint32_t)(d->req + 1));
				t->dropped++;
				next++;
				continue;
			}
			if ((rc = issue(b, si, next, err))) {
				char name[200];

				return hvt_err_prefix(err, "%s", req_name(b, d->req, name,
									  sizeof(name)));
			}
			next++;
		}
		if (inflight(b) && (rc = complete(b, t, err)))
			return rc;
	}
	*seconds = hvt_now() - t0;
	t->ndreq = b->nd;
	return 0;
}

/* Zero what the trace left unspecified (discarded), through the device. */
struct zeroing {
	struct bt *b;
	size_t ranges;
	uint64_t bytes;
	int rc;
	struct hvt_err *err;
};

static void zero_range(void *opaque, uint64_t offset, uint64_t len)
{
	struct zeroing *z = opaque;
	struct bt *b = z->b;
	struct slot *s = &b->slots[0];

	z->ranges++;
	z->bytes += len;
	for (uint64_t done = 0; done < len && !z->rc; done += ZERO_LEN) {
		uint64_t n = len - done < ZERO_LEN ? len - done : ZERO_LEN;
		uint8_t hdr[16] = { 0 }, status = 0xEE;
		struct hvt_qvirtq_buf bufs[3] = {
			{ s->hdr, sizeof(hdr), false }, { b->zero_buf, (uint32_t)n, false },
			{ s->status, 1, true } };

		put_le(hdr, T_OUT, 4);
		put_le(hdr + 8, (offset + done) / SECTOR, 8);
		if ((z->rc = hvt_qtest_memwrite(b->q, s->hdr, hdr, sizeof(hdr), z->err)) ||
		    (z->rc = hvt_qtest_writeb(b->q, s->status, 0xEE, z->err)) ||
		    (z->rc = qt_virtq_run(&b->vq, bufs, 3, -1, b->timeout_ms, NULL, z->err)) ||
		    (z->rc = hvt_qtest_readb(b->q, s->status, &status, z->err)))
			return;
		if (status != S_OK)
			z->rc = hvt_err_set(z->err, -EIO, "a write of zeros at %" PRIu64
					    ": status %u", offset + done, status);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(const double *v, size_t n, double p)
{
	size_t i = (size_t)ceil(p * (double)n);

	return n ? v[i ? i - 1 : 0] : 0;
}

static void metric(struct hvt_case *c, const struct target *tg, const char *name, double v,
		   const char *unit)
{
	char key[96];

	snprintf(key, sizeof(key), "%s%s", *tg->tag ? "second_" : "", name);
	hvt_case_metric(c, key, v, unit);
}

static bool check(struct hvt_case *c, const struct target *tg, const char *name, bool ok,
		  const char *fmt, ...) HVT_PRINTF(5, 6);

static bool check(struct hvt_case *c, const struct target *tg, const char *name, bool ok,
		  const char *fmt, ...)
{
	char key[96], *msg;
	va_list ap;

	va_start(ap, fmt);
	msg = hvt_vasprintf(fmt, ap);
	va_end(ap);
	snprintf(key, sizeof(key), "%s%s", tg->tag, name);
	ok = hvt_case_check(c, key, ok, "%s", msg);
	free(msg);
	return ok;
}

/* ---- comparing images ---- */

static int read_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t r = pread(fd, buf, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		buf += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A raw view of image: itself when raw, else a conversion into the case directory. */
static char *raw_view(struct hvt_case *c, struct bt *b, const char *image, const char *fmt,
		      const char *name, bool *tmp, struct hvt_err *err)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	char *out;
	int rc;

	*tmp = false;
	if (fmt && !strcmp(fmt, "raw"))
		return hvt_strdup(image);
	out = hvt_asprintf("%s/%s", c->workdir, name);
	hvt_strv_push(&argv, b->qemu_img);
	hvt_strv_push(&argv, "convert");
	hvt_strv_push(&argv, "-U");
	if (fmt) {
		hvt_strv_push(&argv, "-f");
		hvt_strv_push(&argv, fmt);
	}
	hvt_strv_push(&argv, "-O");
	hvt_strv_push(&argv, "raw");
	hvt_strv_push(&argv, image);
	hvt_strv_push(&argv, out);
	rc = run_tool((const char *const *)argv.v, NULL, err);
	hvt_strv_release(&argv);
	if (rc) {
		unlink(out);
		free(out);
		return NULL;
	}
	*tmp = true;
	return out;
}

/*
 * Which request the difference between two images goes back to: the
 * differing sectors, the first of them, and among them the one that the
 * earliest request of the trace should have written (by the model) or
 * did write (by the data either side holds).
 */
static void explain(struct hvt_case *c, struct bt *b, const char *a, const char *afmt,
		    const char *bn, const char *bfmt, char *msg, size_t len)
{
	struct hvt_err err = HVT_ERR_INIT;
	bool ta = false, tb = false;
	char *ra = raw_view(c, b, a, afmt, "diff-a.raw", &ta, &err), *rb = NULL;
	uint8_t *x = NULL, *y = NULL;
	uint64_t ndiff = 0, first = UINT64_MAX, culprit_sector = 0;
	size_t culprit = SIZE_MAX;
	int fa = -1, fb = -1;

	if (ra)
		rb = raw_view(c, b, bn, bfmt, "diff-b.raw", &tb, &err);
	if (!ra || !rb) {
		snprintf(msg, len, "(the difference could not be located: %.600s)", err.msg);
		goto out;
	}
	fa = open(ra, O_RDONLY | O_CLOEXEC);
	fb = open(rb, O_RDONLY | O_CLOEXEC);
	if (fa < 0 || fb < 0) {
		snprintf(msg, len, "(the difference could not be located: %s)", strerror(errno));
		goto out;
	}
	x = hvt_malloc(CHUNK);
	y = hvt_malloc(CHUNK);
	for (uint64_t off = 0; off < b->size; off += CHUNK) {
		size_t n = b->size - off < CHUNK ? (size_t)(b->size - off) : CHUNK;

		if (read_full(fa, x, n, off) || read_full(fb, y, n, off)) {
			snprintf(msg, len, "(the difference could not be located: a short read "
				 "at %" PRIu64 ")", off);
			goto out;
		}
		if (!memcmp(x, y, n))
			continue;
		for (size_t i = 0; i < n; i += SECTOR) {
			uint64_t s = (off + i) / SECTOR;
			uint32_t o = hvt_blkmodel_owner(&b->model, s), ra_req = 0, rb_req = 0;
			size_t who = SIZE_MAX;

			if (!memcmp(x + i, y + i, SECTOR))
				continue;
			ndiff++;
			if (first == UINT64_MAX)
				first = s;
			/*
			 * The newer data of the two sides is the write the other
			 * side lacks (or got in another order); when neither side
			 * holds a request's data, the one the model says wrote it.
			 */
			if (hvt_blkmodel_decode(x + i, s * SECTOR, &ra_req) != HVT_BLKMODEL_DATA)
				ra_req = 0;
			if (hvt_blkmodel_decode(y + i, s * SECTOR, &rb_req) != HVT_BLKMODEL_DATA)
				rb_req = 0;
			if (ra_req > rb_req)
				rb_req = ra_req;
			if (rb_req && rb_req <= b->trace.n)
				who = rb_req - 1;
			else if (o != HVT_BLKMODEL_INITIAL && o < HVT_BLKMODEL_ZEROED)
				who = o - 1;
			if (who < b->trace.n && (culprit == SIZE_MAX || who < culprit)) {
				culprit = who;
				culprit_sector = s;
			}
		}
	}
	if (!ndiff) {
		snprintf(msg, len, "(no sector differs in the raw views)");
	} else if (culprit == SIZE_MAX) {
		snprintf(msg, len, "%" PRIu64 " sectors differ, the first at byte %" PRIu64
			 "; no request of the trace wrote any of them", ndiff, first * SECTOR);
	} else {
		char name[200], da[64], db[64];
		uint64_t off = culprit_sector * SECTOR;

		if (!read_full(fa, x, SECTOR, off) && !read_full(fb, y, SECTOR, off))
			snprintf(msg, len, "%" PRIu64 " sectors differ, the first at byte %" PRIu64
				 "; the first differing request is %s: at byte %" PRIu64 " %s "
				 "holds %s, %s %s", ndiff, first * SECTOR,
				 req_name(b, culprit, name, sizeof(name)), off, base(a),
				 hvt_blkmodel_describe(x, off, da, sizeof(da)),
				 base(bn), hvt_blkmodel_describe(y, off, db, sizeof(db)));
	}
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	if (ta)
		unlink(ra);
	if (tb)
		unlink(rb);
	free(ra);
	free(rb);
	free(x);
	free(y);
}

/* qemu-img compare a b: check name; a mismatch names the first differing request. */
static void compare(struct hvt_case *c, struct bt *b, const struct target *tg, const char *name,
		    const char *a, const char *afmt, const char *bn, const char *bfmt)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_strv argv = HVT_STRV_INIT;
	char *out = NULL, why[900];
	int rc;

	hvt_strv_push(&argv, b->qemu_img);
	hvt_strv_push(&argv, "compare");
	hvt_strv_push(&argv, "-U");
	if (afmt) {
		hvt_strv_push(&argv, "-f");
		hvt_strv_push(&argv, afmt);
	}
	if (bfmt) {
		hvt_strv_push(&argv, "-F");
		hvt_strv_push(&argv, bfmt);
	}
	hvt_strv_push(&argv, a);
	hvt_strv_push(&argv, bn);
	rc = hvt_proc_run((const char *const *)argv.v, 300000, &out, &err);
	hvt_strv_release(&argv);
	if (!rc) {
		check(c, tg, name, true, "qemu-img compare: %s and %s are identical", a, bn);
	} else if (out && (strstr(out, "mismatch") || strstr(out, "differ"))) {
		explain(c, b, a, afmt, bn, bfmt, why, sizeof(why));
		check(c, tg, name, false, "%s and %s differ (%.*s): %s", a, bn,
		      (int)strcspn(out, "\n"), out, why);
	} else {
		check(c, tg, name, false, "qemu-img compare %s %s: %s %.400s", a, bn, err.msg,
		      out ? out : "");
	}
	free(out);
}

/* ---- one target ---- */

static void machine_down(struct bt *b)
{
	if (b->vq_set)
		hvt_qvirtq_release(&b->vq);
	b->vq_set = false;
	hvt_qmem_free(b->mem);
	b->mem = NULL;
	hvt_qtest_free(b->q);
	b->q = NULL;
}

/*
 * An empty image, or (zero false: a second target beside a given image)
 * a copy of what the given image holds before the trace.
 */
static void make_image(struct hvt_case *c, struct bt *b, const struct target *tg)
{
	struct hvt_err err = HVT_ERR_INIT;
	char bytes[32];
	const char *create[] = { b->qemu_img, "create", "-q", "-f", tg->fmt, tg->image, bytes,
				 NULL };
	const char *copy[] = { b->qemu_img, "convert", "-U", "-f", b->tgt[0].fmt, "-O", tg->fmt,
			       b->tgt[0].image, tg->image, NULL };

	snprintf(bytes, sizeof(bytes), "%" PRIu64, b->size);
	if (run_tool(tg->zero ? create : copy, NULL, &err))
		hvt_case_fatal(c, "%s %s %s: %s", b->qemu_img, tg->zero ? "create" : "convert",
			       tg->image, err.msg);
}

/* Start QEMU with tg's image behind virtio-blk, negotiate, set up the slots. */
static void machine_up(struct hvt_case *c, struct bt *b, const struct target *tg,
		       uint32_t *max_discard, uint32_t *max_zeroes)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_blktrace_stats s;
	uint64_t want = F_FLUSH | F_DISCARD | F_WRITE_ZEROES, offered = 0, capacity = 0;
	uint64_t mem_mib = 128, need = (uint64_t)b->depth * (b->max_len + 8192) + ZERO_LEN +
				      (4ull << 20);
	char *drive, *device, mem[24];
	const char *blk_opts = hvt_case_param(c, "blk_device_opts", "");
	int rc;

	if ((need >> 20) + 8 > mem_mib)
		mem_mib = (need >> 20) + 8;
	snprintf(mem, sizeof(mem), "%" PRIu64 "M", mem_mib);
	drive = hvt_asprintf("if=none,id=hvtdisk,format=%s,file=%s,cache=%s,discard=%s%s%s",
			     tg->fmt, tg->image, tg->cache, tg->discard, *tg->drive_opts ? "," : "",
			     tg->drive_opts);
	device = hvt_asprintf("virtio-blk-pci,drive=hvtdisk,id=hvtblk%s%s", *blk_opts ? "," : "",
			      blk_opts);
	if (tg->workdir)
		hvt_mkdir_p(tg->workdir, 0755, NULL);
	{
		const char *const extra[] = { "-m", mem, "-drive", drive, "-device", device, NULL };

		b->q = qt_start_in(c, tg->qemu, tg->workdir, extra, &err);
	}
	free(drive);
	free(device);
	if (!b->q)
		hvt_case_fatal(c, "%sstarting QEMU: %s", tg->tag, err.msg);
	b->mem = hvt_qmem_new(HVT_QMEM_X86_START, (mem_mib << 20) - HVT_QMEM_X86_START -
			      (1ull << 20));
	hvt_qtest_set_timeout(b->q, 60000);
	if ((rc = qt_virtio_open(b->q, HVT_VIRTIO_ID_BLOCK, &b->dev, &err)) ||
	    (rc = hvt_qvirtio_device_features(&b->dev, &offered, &err)) ||
	    (rc = hvt_qvirtio_negotiate(&b->dev, want, &err)))
		hvt_case_fatal(c, "%svirtio-blk: %s", tg->tag, err.msg);
	/* an operation of the trace the device does not offer: the trace cannot be replayed */
	hvt_blktrace_stats(&b->trace, &s);
	{
		static const struct { enum hvt_blktrace_op op; uint64_t bit; const char *f; } need_f[] = {
			{ HVT_BLKTRACE_FLUSH, F_FLUSH, "VIRTIO_BLK_F_FLUSH" },
			{ HVT_BLKTRACE_DISCARD, F_DISCARD, "VIRTIO_BLK_F_DISCARD" },
			{ HVT_BLKTRACE_WRITE_ZEROES, F_WRITE_ZEROES, "VIRTIO_BLK_F_WRITE_ZEROES" },
		};

		for (size_t i = 0; i < HVT_ARRAY_SIZE(need_f); i++) {
			size_t first = 0;

			if (!s.count[need_f[i].op] || (b->dev.features & need_f[i].bit))
				continue;
			while (b->trace.reqs[first].op != need_f[i].op)
				first++;
			hvt_case_fatal(c, "%s:%u: %s, which this device does not offer (%s not in "
				       "its features 0x%" PRIx64 "): the trace cannot be replayed "
				       "on it", b->tracefile, b->trace.reqs[first].line,
				       hvt_blktrace_op_name(need_f[i].op), need_f[i].f, offered);
		}
	}
	rc = hvt_qvirtq_setup(&b->dev, &b->vq, 0, QUEUE_SIZE, b->mem, &err);
	if (!rc) {
		b->vq_set = true;
		rc = hvt_qvirtio_driver_ok(&b->dev, &err);
	}
	if (!rc)
		rc = hvt_qvirtio_config_readq(&b->dev, 0, &capacity, &err);
	if (!rc && (b->dev.features & F_DISCARD))
		rc = hvt_qvirtio_config_readl(&b->dev, 36, max_discard, &err);
	if (!rc && (b->dev.features & F_WRITE_ZEROES))
		rc = hvt_qvirtio_config_readl(&b->dev, 48, max_zeroes, &err);
	if (rc)
		hvt_case_fatal(c, "%svirtio-blk set-up: %s", tg->tag, err.msg);
	if ((s.count[HVT_BLKTRACE_DISCARD] && !*max_discard) ||
	    (s.count[HVT_BLKTRACE_WRITE_ZEROES] && !*max_zeroes))
		hvt_case_fatal(c, "%svirtio-blk: max_discard_sectors %u, max_write_zeroes_sectors "
			       "%u: the device takes none", tg->tag, *max_discard, *max_zeroes);
	check(c, tg, "capacity", capacity == b->size / SECTOR, "%" PRIu64 " sectors, image of %"
	      PRIu64 " bytes", capacity, b->size);
	for (unsigned int i = 0; i < b->depth; i++) {
		struct slot *sl = &b->slots[i];

		if (hvt_qmem_alloc(b->mem, 16, 16, &sl->hdr) ||
		    hvt_qmem_alloc(b->mem, 16, 16, &sl->seg) ||
		    hvt_qmem_alloc(b->mem, b->max_len, 4096, &sl->data) ||
		    hvt_qmem_alloc(b->mem, 1, 1, &sl->status))
			hvt_case_fatal(c, "no guest memory for %u slots of %" PRIu64 " bytes",
				       b->depth, b->max_len);
		sl->busy = false;
	}
	if (hvt_qmem_alloc(b->mem, ZERO_LEN, 4096, &b->zero_buf) ||
	    hvt_qtest_memset(b->q, b->zero_buf, 0, ZERO_LEN, &err))
		hvt_case_fatal(c, "the zero buffer: %s", err.msg[0] ? err.msg : "no guest memory");
	for (int i = 0; i < QUEUE_SIZE; i++)
		b->head_slot[i] = -1;
}

static void report(struct hvt_case *c, struct bt *b, const struct target *tg,
		   const struct tally *t, double seconds)
{
	size_t n = b->nlat;

	if (t->dropped)
		hvt_case_check_skip(c, "replay-drop", "test-only: request %" PRIu64 " was not "
				    "sent to the device", b->drop);
	if (t->bad_status)
		check(c, tg, "request-status", false, "%s; %zu of %zu device requests ended with "
		      "another status than expected", t->first_bad, t->bad_status, t->done);
	else
		check(c, tg, "request-status", true, "%zu requests (%zu to the device), every "
		      "status as expected", b->trace.n, t->ndreq);
	if (t->beyond)
		check(c, tg, "past-end-ioerr", t->beyond_ok == t->beyond, "%zu of %zu requests "
		      "past the disk's end (%" PRIu64 " bytes) answered IOERR, as they must",
		      t->beyond_ok, t->beyond, b->size);
	if (t->read_bad)
		check(c, tg, "read-data", false, "%s; %zu of %zu reads differ", t->first_read_bad,
		      t->read_bad, t->reads);
	else if (t->reads)
		check(c, tg, "read-data", true, "%zu reads: %" PRIu64 " sectors match what the "
		      "trace wrote, %" PRIu64 " of unspecified content (discarded, or never "
		      "written on a given image) not checked", t->reads, t->checked - t->unchecked,
		      t->unchecked);
	qsort(b->lat, n, sizeof(*b->lat), cmp_double);
	metric(c, tg, "requests", (double)b->trace.n, "");
	metric(c, tg, "requests_per_s", seconds > 0 ? (double)t->ndreq / seconds : 0, "1/s");
	metric(c, tg, "replay_s", seconds, "s");
	metric(c, tg, "bytes_read", (double)t->bytes[HVT_BLKTRACE_READ], "B");
	metric(c, tg, "bytes_written", (double)t->bytes[HVT_BLKTRACE_WRITE], "B");
	if (t->bytes[HVT_BLKTRACE_DISCARD])
		metric(c, tg, "bytes_discarded", (double)t->bytes[HVT_BLKTRACE_DISCARD], "B");
	if (t->bytes[HVT_BLKTRACE_WRITE_ZEROES])
		metric(c, tg, "bytes_zeroed", (double)t->bytes[HVT_BLKTRACE_WRITE_ZEROES], "B");
	metric(c, tg, "MiB_per_s", seconds > 0 ? (double)(t->bytes[HVT_BLKTRACE_READ] +
		t->bytes[HVT_BLKTRACE_WRITE]) / seconds / (1 << 20) : 0, "MiB/s");
	metric(c, tg, "latency_p50_ms", percentile(b->lat, n, 0.50) * 1000, "ms");
	metric(c, tg, "latency_p90_ms", percentile(b->lat, n, 0.90) * 1000, "ms");
	metric(c, tg, "latency_p99_ms", percentile(b->lat, n, 0.99) * 1000, "ms");
	metric(c, tg, "latency_max_ms", n ? b->lat[n - 1] * 1000 : 0, "ms");
	if (b->recorded)
		metric(c, tg, "issue_lag_max_ms", t->max_lag * 1000, "ms");
}

static void run_target(struct hvt_case *c, struct bt *b, const struct target *tg)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct tally t = { 0 };
	struct zeroing z = { b, 0, 0, 0, &err };
	uint32_t max_discard = 0, max_zeroes = 0;
	double seconds = 0;
	char *out = NULL;
	int rc;

	hvt_blkmodel_release(&b->model);
	if (hvt_blkmodel_init(&b->model, b->size, tg->zero, &err))
		hvt_case_fatal(c, "%s", err.msg);
	machine_up(c, b, tg, &max_discard, &max_zeroes);
	split(b, max_discard, max_zeroes);
	free(b->lat);
	b->lat = hvt_zalloc((b->nd + 1) * sizeof(*b->lat));
	b->nlat = 0;
	if ((rc = replay(b, &t, &seconds, &err))) {
		check(c, tg, "request-status", false, "the replay stopped after %zu of %zu device "
		      "requests: %s", t.done, b->nd, err.msg);
		hvt_case_fatal(c, "%sreplay: %s", tg->tag, err.msg);
	}
	report(c, b, tg, &t, seconds);
	hvt_blkmodel_unspecified(&b->model, zero_range, &z);
	if (z.ranges)
		check(c, tg, "unspecified-zeroed", !z.rc, "%zu ranges (%" PRIu64 " bytes) the trace "
		      "discarded last written with zeros before comparing%s%s", z.ranges, z.bytes,
		      z.rc ? ": " : "", z.rc ? err.msg : "");
	/* how QEMU ends is the check qemu-exit; the image is whole only after */
	hvt_qtest_quit(b->q, 0, NULL);
	machine_down(b);
	if (!strcmp(tg->fmt, "qcow2")) {
		const char *argv[] = { b->qemu_img, "check", "-f", "qcow2", tg->image, NULL };

		rc = hvt_proc_run(argv, 300000, &out, &err);
		check(c, tg, "image-check", !rc, "qemu-img check %s: %.*s%s%s", tg->image,
		      out ? (int)strcspn(out, "\n") : 0, out ? out : "", rc ? " " : "",
		      rc ? err.msg : "");
		free(out);
	}
	compare(c, b, tg, "image-identical", tg->image, tg->fmt, b->comparison, b->comparison_fmt);
}

static void bt_run(struct hvt_case *c, void *state)
{
	struct bt *b = state;

	b->host = hvt_malloc(b->max_len);
	hvt_case_metric(c, "trace_requests", (double)b->trace.n, "");
	/* images first: a second target copies the given one before the trace changes it */
	for (int i = 0; i < b->ntargets; i++)
		if (b->tgt[i].made)
			make_image(c, b, &b->tgt[i]);
	if (b->comparison_built)
		build_comparison(c, b);
	for (int i = 0; i < b->ntargets; i++)
		run_target(c, b, &b->tgt[i]);
	if (b->ntargets == 2)
		compare(c, b, &b->tgt[0], "targets-identical", b->tgt[0].image, b->tgt[0].fmt,
			b->tgt[1].image, b->tgt[1].fmt);
}

static void bt_cleanup(struct hvt_case *c, void *state)
{
	struct bt *b = state;

	(void)c;
	if (!b)
		return;
	machine_down(b);
	bt_free(b);
}

static const struct hvt_test_type qtest_block_trace = {
	.name = "qtest-block-trace",
	.summary = "a block trace replayed through virtio-blk; the image compared with the "
		   "trace applied to a file",
	.init = bt_init,
	.run = bt_run,
	.cleanup = bt_cleanup,
};
HVT_TEST_TYPE(qtest_block_trace)
