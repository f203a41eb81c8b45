// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PCI configuration mechanism #1 over qtest port I/O, and what is built on
 * it: enumeration, BARs, capabilities and MSI-X tables in MMIO.
 */
#include <errno.h>
#include <string.h>

#include "qpci.h"

#define CONFIG_ADDR 0xCF8
#define CONFIG_DATA 0xCFC

static uint32_t cfg_addr(const struct hvt_qpci_dev *d, uint8_t off)
{
	return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->slot << 11 |
	       (uint32_t)d->fn << 8 | (off & 0xFCu);
}

static int check_align(uint8_t off, unsigned int size, struct hvt_err *err)
{
	if (off % size)
		return hvt_err_set(err, -EINVAL, "PCI config offset 0x%x not aligned to %u", off,
				   size);
	return 0;
}

int hvt_qpci_config_readb(struct hvt_qpci_dev *d, uint8_t off, uint8_t *v, struct hvt_err *err)
{
	int r = hvt_qtest_outl(d->q, CONFIG_ADDR, cfg_addr(d, off), err);

	return r ? r : hvt_qtest_inb(d->q, (uint16_t)(CONFIG_DATA + (off & 3)), v, err);
}

int hvt_qpci_config_readw(struct hvt_qpci_dev *d, uint8_t off, uint16_t *v, struct hvt_err *err)
{
	int r = check_align(off, 2, err);

	if (!r)
		r = hvt_qtest_outl(d->q, CONFIG_ADDR, cfg_addr(d, off), err);
	return r ? r : hvt_qtest_inw(d->q, (uint16_t)(CONFIG_DATA + (off & 2)), v, err);
}

int hvt_qpci_config_readl(struct hvt_qpci_dev *d, uint8_t off, uint32_t *v, struct hvt_err *err)
{
	int r = check_align(off, 4, err);

	if (!r)
		r = hvt_qtest_outl(d->q, CONFIG_ADDR, cfg_addr(d, off), err);
	return r ? r : hvt_qtest_inl(d->q, CONFIG_DATA, v, err);
}

int hvt_qpci_config_writeb(struct hvt_qpci_dev *d, uint8_t off, uint8_t v, struct hvt_err *err)
{
	int r = hvt_qtest_outl(d->q, CONFIG_ADDR, cfg_addr(d, off), err);

	return r ? r : hvt_qtest_outb(d->q, (uint16_t)(CONFIG_DATA + (off & 3)), v, err);
}

int hvt_qpci_config_writew(struct hvt_qpci_dev *d, uint8_t off, uint16_t v, struct hvt_err *err)
{
	int r = check_align(off, 2, err);

	if (!r)
		r = hvt_qtest_outl(d->q, CONFIG_ADDR, cfg_addr(d, off), err);
	return r ? r : hvt_qtest_outw(d->q, (uint16_t)(CONFIG_DATA + (off & 2)), v, err);
}

int hvt_qpci_config_writel(struct hvt_qpci_dev *d, uint8_t off, uint32_t v, struct hvt_err *err)
{
	int r = check_align(off, 4, err);

	if (!r)
		r = hvt_qtest_outl(d->q, CONFIG_ADDR, cfg_addr(d, off), err);
	return r ? r : hvt_qtest_outl(d->q, CONFIG_DATA, v, err);
}

int hvt_qpci_enumerate(struct hvt_qtest *q, struct hvt_qpci_dev *out, int max,
		       struct hvt_err *err)
{
	static uint32_t id[256], cls[256], hdr[256];
	struct hvt_qpci_dev d = { .q = q };
	int n = 0, r;

	/* One batch reads ID, class and header of all 256 functions. */
	hvt_qtest_batch_begin(q);
	for (int i = 0; i < 256; i++) {
		d.slot = (uint8_t)(i >> 3);
		d.fn = (uint8_t)(i & 7);
		hvt_qpci_config_readl(&d, 0x00, &id[i], err);
		hvt_qpci_config_readl(&d, 0x08, &cls[i], err);
		hvt_qpci_config_readl(&d, 0x0C, &hdr[i], err);
	}
	r = hvt_qtest_batch_end(q, err);
	if (r)
		return r;
	for (int i = 0; i < 256; i++) {
		bool multi = (hdr[i & ~7] >> 16) & 0x80;

		if ((id[i] & 0xFFFF) == 0xFFFF || (id[i] & 0xFFFF) == 0)
			continue;
		/* Functions 1-7 only exist behind a multi-function function 0. */
		if ((i & 7) && !multi)
			continue;
		if (n == max)
			return hvt_err_set(err, -ENOSPC, "more than %d PCI functions", max);
		out[n] = (struct hvt_qpci_dev){
			.q = q, .bus = 0, .slot = (uint8_t)(i >> 3), .fn = (uint8_t)(i & 7),
			.vendor = (uint16_t)id[i], .device = (uint16_t)(id[i] >> 16),
			.class_code = (uint8_t)(cls[i] >> 24), .subclass = (uint8_t)(cls[i] >> 16),
			.prog_if = (uint8_t)(cls[i] >> 8), .revision = (uint8_t)cls[i],
			.header_type = (uint8_t)((hdr[i] >> 16) & 0x7F),
		};
		n++;
	}
	return n;
}

int hvt_qpci_find(struct hvt_qtest *q, uint16_t vendor, uint16_t device, int skip,
		  struct hvt_qpci_dev *out, struct hvt_err *err)
{
	static struct hvt_qpci_dev devs[HVT_QPCI_MAX_FUNCS];
	int n = hvt_qpci_enumerate(q, devs, HVT_QPCI_MAX_FUNCS, err);

	for (int i = 0; i < n; i++) {
		if (devs[i].vendor == vendor && devs[i].device == device && skip-- == 0) {
			*out = devs[i];
			return 0;
		}
	}
	if (n < 0)
		return n;
	return hvt_err_set(err, -ENODEV, "no PCI device %04x:%04x", vendor, device);
}

int hvt_qpci_bar_probe(struct hvt_qpci_dev *d, int n, struct hvt_qpci_bar *bar,
		       struct hvt_err *err)
{
	uint8_t off = (uint8_t)(0x10 + 4 * n);
	uint32_t old, lo, old_hi = 0, hi = 0xFFFFFFFF;
	uint64_t mask;
	int r;

	memset(bar, 0, sizeof(*bar));
	if (n < 0 || n > 5 || d->header_type != 0)
		return hvt_err_set(err, -EINVAL, "no BAR %d on a header type %u function", n,
				   d->header_type);
	if ((r = hvt_qpci_config_readl(d, off, &old, err)) ||
	    (r = hvt_qpci_config_writel(d, off, 0xFFFFFFFF, err)) ||
	    (r = hvt_qpci_config_readl(d, off, &lo, err)) ||
	    (r = hvt_qpci_config_writel(d, off, old, err)))
		return r;
	if (!lo)
		return 0;
	bar->io = old & 1;
	if (bar->io) {
		bar->size = (uint32_t)(~(lo & ~3u) + 1) & 0xFFFF;
		bar->addr = old & ~3u;
		return 0;
	}
	bar->is64 = ((old >> 1) & 3) == 2;
	bar->prefetch = old & 8;
	if (bar->is64) {
		if (n == 5)
			return hvt_err_set(err, -EPROTO, "64-bit BAR 5");
		if ((r = hvt_qpci_config_readl(d, (uint8_t)(off + 4), &old_hi, err)) ||
		    (r = hvt_qpci_config_writel(d, (uint8_t)(off + 4), 0xFFFFFFFF, err)) ||
		    (r = hvt_qpci_config_readl(d, (uint8_t)(off + 4), &hi, err)) ||
		    (r = hvt_qpci_config_writel(d, (uint8_t)(off + 4), old_hi, err)))
			return r;
	}
	mask = (uint64_t)hi << 32 | (lo & ~0xFu);
	if (!bar->is64)
		mask |= 0xFFFFFFFF00000000ull;
	bar->size = ~mask + 1;
	bar->addr = (uint64_t)old_hi << 32 | (old & ~0xFu);
	return 0;
}

int hvt_qpci_bar_map(struct hvt_qpci_dev *d, int n, struct hvt_qpci_alloc *a,
		     struct hvt_qpci_bar *bar, struct hvt_err *err)
{
	uint8_t off = (uint8_t)(0x10 + 4 * n);
	uint64_t addr;
	int r = hvt_qpci_bar_probe(d, n, bar, err);

	if (r)
		return r;
	if (!bar->size)
		return hvt_err_set(err, -ENODEV, "%02x:%02x.%x has no BAR %d", d->bus, d->slot,
				   d->fn, n);
	if (bar->io) {
		addr = (a->io_next + bar->size - 1) & ~(bar->size - 1);
		if (addr + bar->size > a->io_end)
			return hvt_err_set(err, -ENOSPC, "no I/O space left for BAR %d", n);
		a->io_next = (uint32_t)(addr + bar->size);
		r = hvt_qpci_config_writel(d, off, (uint32_t)addr, err);
	} else {
		addr = (a->mmio_next + bar->size - 1) & ~(bar->size - 1);
		if (addr + bar->size > a->mmio_end)
			return hvt_err_set(err, -ENOSPC, "no MMIO space left for BAR %d", n);
		a->mmio_next = addr + bar->size;
		r = hvt_qpci_config_writel(d, off, (uint32_t)addr, err);
		if (!r && bar->is64)
			r = hvt_qpci_config_writel(d, (uint8_t)(off + 4), (uint32_t)(addr >> 32), err);
	}
	bar->addr = addr;
	return r;
}

int hvt_qpci_enable(struct hvt_qpci_dev *d, struct hvt_err *err)
{
	uint16_t cmd;
	int r = hvt_qpci_config_readw(d, 0x04, &cmd, err);

	return r ? r : hvt_qpci_config_writew(d, 0x04, cmd | 0x7, err);
}

int hvt_qpci_find_cap(struct hvt_qpci_dev *d, uint8_t id, uint8_t start, uint8_t *off,
		      struct hvt_err *err)
{
	uint16_t status;
	uint8_t p, cid;
	int r, guard = 64;

	*off = 0;
	if ((r = hvt_qpci_config_readw(d, 0x06, &status, err)))
		return r;
	if (!(status & 0x10))
		return 0;
	if (start)
		r = hvt_qpci_config_readb(d, (uint8_t)(start + 1), &p, err);
	else
		r = hvt_qpci_config_readb(d, 0x34, &p, err);
	while (!r && p && guard--) {
		if ((r = hvt_qpci_config_readb(d, p, &cid, err)))
			break;
		if (cid == id) {
			*off = p;
			return 0;
		}
		r = hvt_qpci_config_readb(d, (uint8_t)(p + 1), &p, err);
	}
	return r;
}

static int map_bar_once(struct hvt_qpci_dev *d, int n, struct hvt_qpci_alloc *a,
			uint64_t *addr, struct hvt_err *err)
{
	struct hvt_qpci_bar bar;
	int r = hvt_qpci_bar_probe(d, n, &bar, err);

	if (r)
		return r;
	if (bar.addr) {
		*addr = bar.addr;
		return 0;
	}
	r = hvt_qpci_bar_map(d, n, a, &bar, err);
	*addr = bar.addr;
	return r;
}

int hvt_qpci_msix_enable(struct hvt_qpci_dev *d, struct hvt_qpci_alloc *a,
			 struct hvt_qpci_msix *m, struct hvt_err *err)
{
	uint32_t table, pba;
	uint64_t tbar, pbar;
	uint16_t ctrl;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = hvt_qpci_find_cap(d, 0x11, 0, &m->cap, err)))
		return r;
	if (!m->cap)
		return hvt_err_set(err, -ENOTSUP, "%02x:%02x.%x has no MSI-X", d->bus, d->slot,
				   d->fn);
	if ((r = hvt_qpci_config_readw(d, (uint8_t)(m->cap + 2), &ctrl, err)) ||
	    (r = hvt_qpci_config_readl(d, (uint8_t)(m->cap + 4), &table, err)) ||
	    (r = hvt_qpci_config_readl(d, (uint8_t)(m->cap + 8), &pba, err)) ||
	    (r = map_bar_once(d, (int)(table & 7), a, &tbar, err)) ||
	    (r = map_bar_once(d, (int)(pba & 7), a, &pbar, err)) ||
	    (r = hvt_qpci_enable(d, err)))
		return r;
	m->nvec = (uint16_t)((ctrl & 0x7FF) + 1);
	m->table = tbar + (table & ~7u);
	m->pba = pbar + (pba & ~7u);
	/* Enable with the function masked while vectors are masked one by one. */
	if ((r = hvt_qpci_config_writew(d, (uint8_t)(m->cap + 2), ctrl | 0xC000, err)))
		return r;
	for (uint16_t v = 0; v < m->nvec && !r; v++)
		r = hvt_qtest_writel(d->q, m->table + 16u * v + 12, 1, err);
	if (!r)
		r = hvt_qpci_config_writew(d, (uint8_t)(m->cap + 2), (ctrl | 0x8000) & ~0x4000,
					   err);
	return r;
}

int hvt_qpci_msix_set(struct hvt_qpci_dev *d, const struct hvt_qpci_msix *m, uint16_t v,
		      uint64_t addr, uint32_t data, bool masked, struct hvt_err *err)
{
	uint64_t e = m->table + 16u * v;
	int r;

	if (v >= m->nvec)
		return hvt_err_set(err, -EINVAL, "MSI-X vector %u of %u", v, m->nvec);
	if ((r = hvt_qtest_writel(d->q, e, (uint32_t)addr, err)) ||
	    (r = hvt_qtest_writel(d->q, e + 4, (uint32_t)(addr >> 32), err)) ||
	    (r = hvt_qtest_writel(d->q, e + 8, data, err)))
		return r;
	return hvt_qtest_writel(d->q, e + 12, masked ? 1 : 0, err);
}

int hvt_qpci_msix_pending(struct hvt_qpci_dev *d, const struct hvt_qpci_msix *m, uint16_t v,
			  bool *pending, struct hvt_err *err)
{
	uint64_t word = 0;
	int r;

	if (v >= m->nvec)
		return hvt_err_set(err, -EINVAL, "MSI-X vector %u of %u", v, m->nvec);
	r = hvt_qtest_readq(d->q, m->pba + 8u * (v / 64), &word, err);
	*pending = (word >> (v % 64)) & 1;
	return r;
}

int hvt_qpci_intx_enable(struct hvt_qpci_dev *d, uint8_t *pin, struct hvt_err *err)
{
	uint16_t cmd;
	int r;

	if ((r = hvt_qpci_config_readw(d, 0x04, &cmd, err)) ||
	    (r = hvt_qpci_config_writew(d, 0x04, cmd & ~0x400, err)))
		return r;
	return hvt_qpci_config_readb(d, 0x3D, pin, err);
}
