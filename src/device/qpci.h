/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI through qtest: configuration space over ports 0xCF8/0xCFC, bus 0
 * enumeration, BAR sizing and mapping, bus mastering, capabilities, MSI-X.
 */
#ifndef HVT_QPCI_H
#define HVT_QPCI_H

#include <stdbool.h>
#include <stdint.h>

#include "qtest.h"
#include "util.h"

#define HVT_QPCI_MAX_FUNCS 256

struct hvt_qpci_dev {
	struct hvt_qtest *q;
	uint8_t bus, slot, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t header_type;	/* without the multi-function bit */
};

/*
 * Where hvt_qpci_bar_map() puts BARs: MMIO from 0xE0000000 and I/O from
 * 0xC000 upwards, inside the PCI windows of both pc and q35.
 */
struct hvt_qpci_alloc {
	uint64_t mmio_next, mmio_end;
	uint32_t io_next, io_end;
};

#define HVT_QPCI_ALLOC_INIT { 0xE0000000ull, 0xFEB00000ull, 0xC000, 0x10000 }

/* Configuration space of d; off must be aligned to the access size. */
int hvt_qpci_config_readb(struct hvt_qpci_dev *d, uint8_t off, uint8_t *v, struct hvt_err *err);
int hvt_qpci_config_readw(struct hvt_qpci_dev *d, uint8_t off, uint16_t *v, struct hvt_err *err);
int hvt_qpci_config_readl(struct hvt_qpci_dev *d, uint8_t off, uint32_t *v, struct hvt_err *err);
int hvt_qpci_config_writeb(struct hvt_qpci_dev *d, uint8_t off, uint8_t v, struct hvt_err *err);
int hvt_qpci_config_writew(struct hvt_qpci_dev *d, uint8_t off, uint16_t v, struct hvt_err *err);
int hvt_qpci_config_writel(struct hvt_qpci_dev *d, uint8_t off, uint32_t v, struct hvt_err *err);

/*
 * Every function on bus 0 (in one pipelined batch per pass), in slot and
 * function order, into out (room for max). Returns how many, or -errno.
 */
int hvt_qpci_enumerate(struct hvt_qtest *q, struct hvt_qpci_dev *out, int max,
		       struct hvt_err *err);
/* The first function with vendor:device (skip earlier matches); -ENODEV if none. */
int hvt_qpci_find(struct hvt_qtest *q, uint16_t vendor, uint16_t device, int skip,
		  struct hvt_qpci_dev *out, struct hvt_err *err);

struct hvt_qpci_bar {
	uint64_t size;	/* 0: not implemented */
	uint64_t addr;	/* where it is mapped (after hvt_qpci_bar_map) */
	bool io, is64, prefetch;
};

/*
 * Size BAR n (0-5) by writing all ones and reading back, restoring the old
 * value. A 64-bit BAR uses n and n + 1.
 */
int hvt_qpci_bar_probe(struct hvt_qpci_dev *d, int n, struct hvt_qpci_bar *bar,
		       struct hvt_err *err);
/* Probe BAR n, give it an address from a, and fill bar. */
int hvt_qpci_bar_map(struct hvt_qpci_dev *d, int n, struct hvt_qpci_alloc *a,
		     struct hvt_qpci_bar *bar, struct hvt_err *err);
/* Set I/O and memory decoding and bus mastering in the command register. */
int hvt_qpci_enable(struct hvt_qpci_dev *d, struct hvt_err *err);
/* Offset of the first capability with id after offset start (0: from the list head); 0 if none. */
int hvt_qpci_find_cap(struct hvt_qpci_dev *d, uint8_t id, uint8_t start, uint8_t *off,
		      struct hvt_err *err);

/* MSI-X: the table in a mapped BAR, enabled with every vector masked. */
struct hvt_qpci_msix {
	uint8_t cap;
	uint16_t nvec;
	uint64_t table, pba;	/* guest-physical addresses */
};

/*
 * Find the MSI-X capability, map the BARs holding the table and the PBA
 * (from a), mask every vector and enable MSI-X. -ENOTSUP without MSI-X.
 */
int hvt_qpci_msix_enable(struct hvt_qpci_dev *d, struct hvt_qpci_alloc *a,
			 struct hvt_qpci_msix *m, struct hvt_err *err);
/* Program vector v with address/data and mask or unmask it. */
int hvt_qpci_msix_set(struct hvt_qpci_dev *d, const struct hvt_qpci_msix *m, uint16_t v,
		      uint64_t addr, uint32_t data, bool masked, struct hvt_err *err);
/* Whether vector v's pending bit is set (a masked vector that fired). */
int hvt_qpci_msix_pending(struct hvt_qpci_dev *d, const struct hvt_qpci_msix *m, uint16_t v,
			  bool *pending, struct hvt_err *err);
/* INTx: enable (clear the disable bit) and read the interrupt pin (1 = INTA, 0 = none). */
int hvt_qpci_intx_enable(struct hvt_qpci_dev *d, uint8_t *pin, struct hvt_err *err);

#endif
