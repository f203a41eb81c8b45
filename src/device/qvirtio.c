// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-pci modern transport and split virtqueues over qtest, written from
 * the virtio 1.x specification (4.1 PCI transport, 2.7 split virtqueues).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qvirtio.h"

/* Vendor capability (4.1.4): type byte at 3, BAR at 4, offset 8, length 12. */
#define CAP_VENDOR	0x09
#define CFG_COMMON	1
#define CFG_NOTIFY	2
#define CFG_ISR		3
#define CFG_DEVICE	4

/* Common configuration layout (4.1.4.3). */
#define C_DFSELECT	0x00
#define C_DF		0x04
#define C_GFSELECT	0x08
#define C_GF		0x0C
#define C_MSIX		0x10
#define C_NUMQ		0x12
#define C_STATUS	0x14
#define C_CFGGEN	0x15
#define C_Q_SELECT	0x16
#define C_Q_SIZE	0x18
#define C_Q_MSIX	0x1A
#define C_Q_ENABLE	0x1C
#define C_Q_NOFF	0x1E
#define C_Q_DESCLO	0x20
#define C_Q_DESCHI	0x24
#define C_Q_AVAILLO	0x28
#define C_Q_AVAILHI	0x2C
#define C_Q_USEDLO	0x30
#define C_Q_USEDHI	0x34

#define DESC_F_NEXT	1
#define DESC_F_WRITE	2
#define NO_VECTOR	0xFFFF

int hvt_qvirtio_find(struct hvt_qtest *q, unsigned int type, int skip, struct hvt_qpci_dev *out,
		     struct hvt_err *err)
{
	struct hvt_qpci_dev devs[HVT_QPCI_MAX_FUNCS];
	int n = hvt_qpci_enumerate(q, devs, HVT_QPCI_MAX_FUNCS, err);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct hvt_qpci_dev *d = &devs[i];
		uint16_t subsys = 0;
		int r;

		if (d->vendor != HVT_VIRTIO_PCI_VENDOR || d->device < 0x1000 || d->device > 0x107F)
			continue;
		if (d->device >= 0x1040) {
			if (d->device - 0x1040u != type)
				continue;
		} else {
			if ((r = hvt_qpci_config_readw(d, 0x2E, &subsys, err)))
				return r;
			if (subsys != type)
				continue;
		}
		if (skip-- > 0)
			continue;
		*out = *d;
		return 0;
	}
	return hvt_err_set(err, -ENODEV, "no virtio device of type %u on bus 0", type);
}

static int map_bar(struct hvt_qvirtio_dev *d, uint64_t bars[6], uint8_t bar,
		   struct hvt_qpci_alloc *a, struct hvt_err *err)
{
	struct hvt_qpci_bar b;
	int r;

	if (bar > 5)
		return hvt_err_set(err, -EPROTO, "virtio capability names BAR %u", bar);
	if (bars[bar])
		return 0;
	if ((r = hvt_qpci_bar_map(&d->pci, bar, a, &b, err)))
		return r;
	if (b.io)
		return hvt_err_set(err, -ENOTSUP, "virtio structures in I/O BAR %u", bar);
	bars[bar] = b.addr;
	return 0;
}

int hvt_qvirtio_open(struct hvt_qvirtio_dev *d, const struct hvt_qpci_dev *pci,
		     struct hvt_qpci_alloc *a, struct hvt_err *err)
{
	uint64_t bars[6] = { 0 };
	bool seen[CFG_DEVICE + 1] = { false };
	uint8_t cap = 0;
	int r;

	memset(d, 0, sizeof(*d));
	d->pci = *pci;
	for (;;) {
		uint8_t type, bar;
		uint32_t off, len;
		uint64_t at;

		if ((r = hvt_qpci_find_cap(&d->pci, CAP_VENDOR, cap, &cap, err)))
			return r;
		if (!cap)
			break;
		if ((r = hvt_qpci_config_readb(&d->pci, (uint8_t)(cap + 3), &type, err)) ||
		    (r = hvt_qpci_config_readb(&d->pci, (uint8_t)(cap + 4), &bar, err)) ||
		    (r = hvt_qpci_config_readl(&d->pci, (uint8_t)(cap + 8), &off, err)) ||
		    (r = hvt_qpci_config_readl(&d->pci, (uint8_t)(cap + 12), &len, err)))
			return r;
		/* The first structure of each type is the one to use (4.1.4.1). */
		if (type < CFG_COMMON || type > CFG_DEVICE || seen[type])
			continue;
		if ((r = map_bar(d, bars, bar, a, err)))
			return r;
		seen[type] = true;
		at = bars[bar] + off;
		switch (type) {
		case CFG_COMMON:
			d->common = at;
			break;
		case CFG_NOTIFY:
			d->notify = at;
			r = hvt_qpci_config_readl(&d->pci, (uint8_t)(cap + 16), &d->notify_mult, err);
			break;
		case CFG_ISR:
			d->isr = at;
			break;
		case CFG_DEVICE:
			d->device = at;
			d->device_len = len;
			break;
		}
		if (r)
			return r;
	}
	if (!seen[CFG_COMMON] || !seen[CFG_NOTIFY] || !seen[CFG_ISR])
		return hvt_err_set(err, -ENOTSUP,
				   "%02x:%02x.%x has no virtio 1.x common/notify/ISR structures",
				   pci->bus, pci->slot, pci->fn);
	if ((r = hvt_qpci_enable(&d->pci, err)))
		return r;
	if ((r = hvt_qvirtio_reset(d, err)))
		return r;
	return hvt_qtest_readw(d->pci.q, d->common + C_NUMQ, &d->num_queues, err);
}

int hvt_qvirtio_get_status(struct hvt_qvirtio_dev *d, uint8_t *status, struct hvt_err *err)
{
	return hvt_qtest_readb(d->pci.q, d->common + C_STATUS, status, err);
}

int hvt_qvirtio_set_status(struct hvt_qvirtio_dev *d, uint8_t status, struct hvt_err *err)
{
	return hvt_qtest_writeb(d->pci.q, d->common + C_STATUS, status, err);
}

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

int hvt_qvirtio_reset(struct hvt_qvirtio_dev *d, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + 2000;
	uint8_t s = 0xFF;
	int r;

	if ((r = hvt_qvirtio_set_status(d, 0, err)))
		return r;
	for (;;) {
		if ((r = hvt_qvirtio_get_status(d, &s, err)))
			return r;
		if (!s)
			break;
		if (hvt_now_ms() > deadline)
			return hvt_err_set(err, -ETIMEDOUT, "virtio reset: status stays 0x%02x", s);
		nap_us(1000);
	}
	d->features = 0;
	return 0;
}

int hvt_qvirtio_device_features(struct hvt_qvirtio_dev *d, uint64_t *features,
				struct hvt_err *err)
{
	struct hvt_qtest *q = d->pci.q;
	uint32_t lo = 0, hi = 0;

	hvt_qtest_batch_begin(q);
	hvt_qtest_writel(q, d->common + C_DFSELECT, 0, NULL);
	hvt_qtest_readl(q, d->common + C_DF, &lo, NULL);
	hvt_qtest_writel(q, d->common + C_DFSELECT, 1, NULL);
	hvt_qtest_readl(q, d->common + C_DF, &hi, NULL);
	if (hvt_qtest_batch_end(q, err))
		return err->code;
	*features = (uint64_t)hi << 32 | lo;
	return 0;
}

int hvt_qvirtio_negotiate(struct hvt_qvirtio_dev *d, uint64_t wanted, struct hvt_err *err)
{
	struct hvt_qtest *q = d->pci.q;
	uint64_t offered, accept;
	uint8_t s = 0;
	int r;

	if ((r = hvt_qvirtio_set_status(d, HVT_VIRTIO_S_ACKNOWLEDGE, err)) ||
	    (r = hvt_qvirtio_set_status(d, HVT_VIRTIO_S_ACKNOWLEDGE | HVT_VIRTIO_S_DRIVER, err)) ||
	    (r = hvt_qvirtio_device_features(d, &offered, err)))
		return r;
	if (!(offered & HVT_VIRTIO_F_VERSION_1))
		return hvt_err_set(err, -ENOTSUP, "device does not offer VIRTIO_F_VERSION_1");
	accept = offered & (wanted | HVT_VIRTIO_F_VERSION_1);
	hvt_qtest_batch_begin(q);
	hvt_qtest_writel(q, d->common + C_GFSELECT, 0, NULL);
	hvt_qtest_writel(q, d->common + C_GF, (uint32_t)accept, NULL);
	hvt_qtest_writel(q, d->common + C_GFSELECT, 1, NULL);
	hvt_qtest_writel(q, d->common + C_GF, (uint32_t)(accept >> 32), NULL);
	hvt_qtest_writeb(q, d->common + C_STATUS,
			 HVT_VIRTIO_S_ACKNOWLEDGE | HVT_VIRTIO_S_DRIVER | HVT_VIRTIO_S_FEATURES_OK,
			 NULL);
	hvt_qtest_readb(q, d->common + C_STATUS, &s, NULL);
	if ((r = hvt_qtest_batch_end(q, err)))
		return r;
	if (!(s & HVT_VIRTIO_S_FEATURES_OK))
		return hvt_err_set(err, -ENOTSUP, "device refused features 0x%016llx (status 0x%02x)",
				   (unsigned long long)accept, s);
	d->features = accept;
	return 0;
}

int hvt_qvirtio_driver_ok(struct hvt_qvirtio_dev *d, struct hvt_err *err)
{
	return hvt_qvirtio_set_status(d, HVT_VIRTIO_S_ACKNOWLEDGE | HVT_VIRTIO_S_DRIVER |
					 HVT_VIRTIO_S_FEATURES_OK | HVT_VIRTIO_S_DRIVER_OK, err);
}

int hvt_qvirtio_isr(struct hvt_qvirtio_dev *d, uint8_t *isr, struct hvt_err *err)
{
	return hvt_qtest_readb(d->pci.q, d->isr, isr, err);
}

static int check_config(struct hvt_qvirtio_dev *d, uint32_t off, uint32_t size,
			struct hvt_err *err)
{
	if (!d->device)
		return hvt_err_set(err, -ENOTSUP, "device has no device-specific configuration");
	if (off % size || off + size > d->device_len)
		return hvt_err_set(err, -EINVAL, "device config offset 0x%x size %u outside 0x%x bytes",
				   off, size, d->device_len);
	return 0;
}

int hvt_qvirtio_config_readb(struct hvt_qvirtio_dev *d, uint32_t off, uint8_t *v,
			     struct hvt_err *err)
{
	int r = check_config(d, off, 1, err);

	return r ? r : hvt_qtest_readb(d->pci.q, d->device + off, v, err);
}

int hvt_qvirtio_config_readw(struct hvt_qvirtio_dev *d, uint32_t off, uint16_t *v,
			     struct hvt_err *err)
{
	int r = check_config(d, off, 2, err);

	return r ? r : hvt_qtest_readw(d->pci.q, d->device + off, v, err);
}

int hvt_qvirtio_config_readl(struct hvt_qvirtio_dev *d, uint32_t off, uint32_t *v,
			     struct hvt_err *err)
{
	int r = check_config(d, off, 4, err);

	return r ? r : hvt_qtest_readl(d->pci.q, d->device + off, v, err);
}

int hvt_qvirtio_config_readq(struct hvt_qvirtio_dev *d, uint32_t off, uint64_t *v,
			     struct hvt_err *err)
{
	struct hvt_qtest *q = d->pci.q;
	int r = check_config(d, off, 8, err);

	for (int tries = 0; !r && tries < 100; tries++) {
		uint8_t g0 = 0, g1 = 0;
		uint32_t lo = 0, hi = 0;

		hvt_qtest_batch_begin(q);
		hvt_qtest_readb(q, d->common + C_CFGGEN, &g0, NULL);
		hvt_qtest_readl(q, d->device + off, &lo, NULL);
		hvt_qtest_readl(q, d->device + off + 4, &hi, NULL);
		hvt_qtest_readb(q, d->common + C_CFGGEN, &g1, NULL);
		if ((r = hvt_qtest_batch_end(q, err)))
			break;
		if (g0 == g1) {
			*v = (uint64_t)hi << 32 | lo;
			return 0;
		}
	}
	return r ? r : hvt_err_set(err, -EAGAIN, "device config keeps changing");
}

int hvt_qvirtio_config_writel(struct hvt_qvirtio_dev *d, uint32_t off, uint32_t v,
			      struct hvt_err *err)
{
	int r = check_config(d, off, 4, err);

	return r ? r : hvt_qtest_writel(d->pci.q, d->device + off, v, err);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

void hvt_qvirtq_release(struct hvt_qvirtq *vq)
{
	if (!vq->mem)
		return;
	hvt_qmem_dealloc(vq->mem, vq->desc);
	hvt_qmem_dealloc(vq->mem, vq->avail);
	hvt_qmem_dealloc(vq->mem, vq->used);
	free(vq->next_free);
	free(vq->chain_len);
	memset(vq, 0, sizeof(*vq));
}

int hvt_qvirtq_setup(struct hvt_qvirtio_dev *d, struct hvt_qvirtq *vq, uint16_t index,
		     uint16_t max_size, struct hvt_qmem *mem, struct hvt_err *err)
{
	struct hvt_qtest *q = d->pci.q;
	uint16_t size = 0, noff = 0;
	uint64_t dsz, asz, usz;
	int r;

	memset(vq, 0, sizeof(*vq));
	if (max_size & (max_size - 1))
		return hvt_err_set(err, -EINVAL, "queue size %u is not a power of two", max_size);
	if (index >= d->num_queues)
		return hvt_err_set(err, -ENOENT, "no queue %u (the device has %u)", index,
				   d->num_queues);
	hvt_qtest_batch_begin(q);
	hvt_qtest_writew(q, d->common + C_Q_SELECT, index, NULL);
	hvt_qtest_readw(q, d->common + C_Q_SIZE, &size, NULL);
	hvt_qtest_readw(q, d->common + C_Q_NOFF, &noff, NULL);
	if ((r = hvt_qtest_batch_end(q, err)))
		return r;
	if (!size)
		return hvt_err_set(err, -ENOENT, "queue %u is not available", index);
	if (max_size && size > max_size)
		size = max_size;
	dsz = 16ull * size;
	asz = 6 + 2ull * size;
	usz = 6 + 8ull * size;
	vq->dev = d;
	vq->index = index;
	vq->size = size;
	vq->notify_addr = d->notify + (uint64_t)noff * d->notify_mult;
	if ((r = hvt_qmem_alloc(mem, dsz, 16, &vq->desc)))
		return hvt_err_set(err, r, "no guest memory for queue %u", index);
	if ((r = hvt_qmem_alloc(mem, asz, 2, &vq->avail))) {
		hvt_qmem_dealloc(mem, vq->desc);
		return hvt_err_set(err, r, "no guest memory for queue %u", index);
	}
	if ((r = hvt_qmem_alloc(mem, usz, 4, &vq->used))) {
		hvt_qmem_dealloc(mem, vq->desc);
		hvt_qmem_dealloc(mem, vq->avail);
		return hvt_err_set(err, r, "no guest memory for queue %u", index);
	}
	vq->mem = mem;
	vq->next_free = hvt_malloc(size * sizeof(*vq->next_free));
	vq->chain_len = hvt_zalloc(size * sizeof(*vq->chain_len));
	for (uint16_t i = 0; i < size; i++)
		vq->next_free[i] = (uint16_t)(i + 1);
	vq->nfree = size;
	hvt_qtest_batch_begin(q);
	hvt_qtest_memset(q, vq->desc, 0, dsz, NULL);
	hvt_qtest_memset(q, vq->avail, 0, asz, NULL);
	hvt_qtest_memset(q, vq->used, 0, usz, NULL);
	hvt_qtest_writew(q, d->common + C_Q_SELECT, index, NULL);
	hvt_qtest_writew(q, d->common + C_Q_SIZE, size, NULL);
	hvt_qtest_writew(q, d->common + C_Q_MSIX, NO_VECTOR, NULL);
	hvt_qtest_writel(q, d->common + C_Q_DESCLO, (uint32_t)vq->desc, NULL);
	hvt_qtest_writel(q, d->common + C_Q_DESCHI, (uint32_t)(vq->desc >> 32), NULL);
	hvt_qtest_writel(q, d->common + C_Q_AVAILLO, (uint32_t)vq->avail, NULL);
	hvt_qtest_writel(q, d->common + C_Q_AVAILHI, (uint32_t)(vq->avail >> 32), NULL);
	hvt_qtest_writel(q, d->common + C_Q_USEDLO, (uint32_t)vq->used, NULL);
	hvt_qtest_writel(q, d->common + C_Q_USEDHI, (uint32_t)(vq->used >> 32), NULL);
	hvt_qtest_writew(q, d->common + C_Q_ENABLE, 1, NULL);
	if ((r = hvt_qtest_batch_end(q, err)))
		hvt_qvirtq_release(vq);
	return r;
}

int hvt_qvirtq_add(struct hvt_qvirtq *vq, const struct hvt_qvirtq_buf *bufs, unsigned int n,
		   uint16_t *head, struct hvt_err *err)
{
	struct hvt_qtest *q = vq->dev->pci.q;
	uint16_t d;

	if (!n || n > vq->nfree)
		return hvt_err_set(err, n ? -ENOSPC : -EINVAL,
				   "queue %u: %u descriptors wanted, %u free", vq->index, n,
				   vq->nfree);
	*head = d = vq->free_head;
	hvt_qtest_batch_begin(q);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t desc[16];
		uint16_t flags = (uint16_t)((bufs[i].write ? DESC_F_WRITE : 0) |
					    (i + 1 < n ? DESC_F_NEXT : 0));

		put_le64(desc, bufs[i].addr);
		put_le32(desc + 8, bufs[i].len);
		put_le16(desc + 12, flags);
		put_le16(desc + 14, i + 1 < n ? vq->next_free[d] : 0);
		hvt_qtest_memwrite(q, vq->desc + 16ull * d, desc, sizeof(desc), NULL);
		if (i + 1 < n)
			d = vq->next_free[d];
	}
	vq->free_head = vq->next_free[d];
	vq->nfree = (uint16_t)(vq->nfree - n);
	vq->chain_len[*head] = (uint16_t)n;
	/* The ring entry first, then the index that publishes it. */
	hvt_qtest_writew(q, vq->avail + 4 + 2ull * (vq->avail_idx % vq->size), *head, NULL);
	vq->avail_idx++;
	hvt_qtest_writew(q, vq->avail + 2, vq->avail_idx, NULL);
	return hvt_qtest_batch_end(q, err);
}

int hvt_qvirtq_kick(struct hvt_qvirtq *vq, struct hvt_err *err)
{
	return hvt_qtest_writew(vq->dev->pci.q, vq->notify_addr, vq->index, err);
}

int hvt_qvirtq_wait(struct hvt_qvirtq *vq, int timeout_ms, uint16_t *id, uint32_t *len,
		    struct hvt_err *err)
{
	struct hvt_qtest *q = vq->dev->pci.q;
	int64_t deadline = hvt_now_ms() + timeout_ms;
	uint64_t elem = vq->used + 4 + 8ull * (vq->last_used % vq->size);
	long nap = 50;

	for (;;) {
		uint16_t idx = 0, head;
		uint32_t eid = 0, elen = 0;
		int r;

		/*
		 * The index first: the device writes the element before the
		 * index, so an element read after a new index is complete.
		 */
		hvt_qtest_batch_begin(q);
		hvt_qtest_readw(q, vq->used + 2, &idx, NULL);
		hvt_qtest_readl(q, elem, &eid, NULL);
		hvt_qtest_readl(q, elem + 4, &elen, NULL);
		if ((r = hvt_qtest_batch_end(q, err)))
			return r;
		if (idx != vq->last_used) {
			uint16_t last;

			if (eid >= vq->size || !vq->chain_len[eid])
				return hvt_err_set(err, -EPROTO,
						   "queue %u: used entry names descriptor %u, not a chain head",
						   vq->index, eid);
			head = (uint16_t)eid;
			last = head;
			for (uint16_t i = 1; i < vq->chain_len[head]; i++)
				last = vq->next_free[last];
			vq->next_free[last] = vq->free_head;
			vq->free_head = head;
			vq->nfree = (uint16_t)(vq->nfree + vq->chain_len[head]);
			vq->chain_len[head] = 0;
			vq->last_used++;
			if (id)
				*id = head;
			if (len)
				*len = elen;
			return 0;
		}
		if (hvt_now_ms() >= deadline)
			return hvt_err_set(err, -ETIMEDOUT,
					   "queue %u: nothing used within %d ms (used idx %u)",
					   vq->index, timeout_ms, idx);
		nap_us(nap);
		if (nap < 2000)
			nap *= 2;
	}
}

int hvt_qvirtq_wait_irq(struct hvt_qvirtq *vq, unsigned int line, int timeout_ms, uint16_t *id,
			uint32_t *len, struct hvt_err *err)
{
	uint8_t isr = 0;
	int r;

	if ((r = hvt_qtest_irq_wait(vq->dev->pci.q, line, true, timeout_ms, err)) ||
	    (r = hvt_qvirtio_isr(vq->dev, &isr, err)))
		return r;
	/* The device writes the used ring before it interrupts: it is there now. */
	r = hvt_qvirtq_wait(vq, 0, id, len, err);
	if (r == -ETIMEDOUT)
		return hvt_err_set(err, -EPROTO, "queue %u: line %u raised (ISR 0x%02x), nothing used",
				   vq->index, line, isr);
	return r;
}
