// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The qtest suite's machine set-up from case parameters, and how each
 * machine ended recorded on its case.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void push_words(struct hvt_strv *sv, const char *prefix, const char *words)
{
	char *copy = hvt_strdup(words), *save = NULL;

	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (prefix)
			hvt_strv_push(sv, prefix);
		hvt_strv_push(sv, w);
	}
	free(copy);
}

/* True when a check of c has passed or failed (a verdict beside skips). */
static bool has_verdict(const struct hvt_case *c)
{
	for (size_t i = 0; i < c->nchecks; i++)
		if (c->checks[i].status != HVT_SKIP)
			return true;
	return false;
}

/*
 * How QEMU ended, as a check: a QEMU that crashes or hangs while its
 * devices are torn down fails the case. A clean end is recorded only
 * beside other verdicts, so that it never turns a case that checked
 * nothing (an error) or only skipped into a pass.
 */
static void record_exit(void *opaque, int rc, const struct hvt_err *err)
{
	struct hvt_case *c = opaque;

	if (rc)
		hvt_case_check(c, "qemu-exit", false, "%s", err->msg);
	else if (has_verdict(c))
		hvt_case_check(c, "qemu-exit", true, "QEMU exited with code 0");
}

struct hvt_qtest *qt_start(struct hvt_case *c, const char *const *extra, struct hvt_err *err)
{
	return qt_start_in(c, NULL, NULL, extra, err);
}

struct hvt_qtest *qt_start_in(struct hvt_case *c, const char *qemu, const char *workdir,
			      const char *const *extra, struct hvt_err *err)
{
	struct hvt_qtest_opts opts = { 0 };
	struct hvt_strv args = HVT_STRV_INIT;
	struct hvt_qtest *q;
	char *trace = NULL;
	bool record = false;

	if (hvt_case_param_bool(c, "qtest_record", false, &record, err))
		return NULL;
	push_words(&args, "-device", hvt_case_param(c, "qtest_devices", ""));
	push_words(&args, NULL, hvt_case_param(c, "qtest_args", ""));
	if (extra)
		hvt_strv_pushv(&args, extra);
	opts.machine = hvt_case_param(c, "machine", "pc");
	opts.args = (const char *const *)args.v;
	opts.qemu = qemu;
	opts.workdir = workdir ? workdir : c->workdir;
	if (record && opts.workdir) {
		trace = hvt_asprintf("%s/qtest.trace", opts.workdir);
		opts.record = trace;
	}
	q = hvt_qtest_start(&opts, err);
	if (q)
		hvt_qtest_on_quit(q, record_exit, c);
	if (q && trace)
		hvt_case_artifact(c, "qtest.trace", trace);
	free(trace);
	hvt_strv_release(&args);
	return q;
}

int qt_param_u64(struct hvt_case *c, const char *key, uint64_t dflt, uint64_t *out,
		 struct hvt_err *err)
{
	const char *v = hvt_case_param(c, key, NULL);
	char *end;

	*out = dflt;
	if (!v)
		return 0;
	errno = 0;
	*out = strtoull(v, &end, 0);
	if (errno || end == v || *end)
		return hvt_err_set(err, -EINVAL, "parameter %s: not a number: '%s'", key, v);
	return 0;
}

int qt_virtio_open(struct hvt_qtest *q, unsigned int type, struct hvt_qvirtio_dev *d,
		   struct hvt_err *err)
{
	struct hvt_qpci_alloc alloc = HVT_QPCI_ALLOC_INIT;
	struct hvt_qpci_dev pci;
	int r = hvt_qvirtio_find(q, type, 0, &pci, err);

	return r ? r : hvt_qvirtio_open(d, &pci, &alloc, err);
}

int qt_virtq_run(struct hvt_qvirtq *vq, const struct hvt_qvirtq_buf *bufs, unsigned int n,
		 int irq, int timeout_ms, uint32_t *len, struct hvt_err *err)
{
	uint16_t head, id;
	int r;

	if ((r = hvt_qvirtq_add(vq, bufs, n, &head, err)) || (r = hvt_qvirtq_kick(vq, err)))
		return r;
	r = irq < 0 ? hvt_qvirtq_wait(vq, timeout_ms, &id, len, err) :
		hvt_qvirtq_wait_irq(vq, (unsigned int)irq, timeout_ms, &id, len, err);
	if (r)
		return r;
	if (id != head)
		return hvt_err_set(err, -EPROTO, "queue %u: chain %u came back, %u expected",
				   vq->index, id, head);
	return 0;
}

int qt_route_intx(struct hvt_qtest *q, struct hvt_err *err)
{
	static const uint8_t irq[4] = { 10, 10, 11, 11 };
	struct hvt_qpci_dev isa;
	int r = hvt_qpci_find(q, 0x8086, 0x7000, 0, &isa, err);

	if (r == -ENODEV) {
		hvt_err_clear(err);
		return 0;
	}
	for (int i = 0; !r && i < 4; i++)
		r = hvt_qpci_config_writeb(&isa, (uint8_t)(0x60 + i), irq[i], err);
	return r;
}
