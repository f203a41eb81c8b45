/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-pci (modern, virtio 1.x) and split virtqueues through qtest: find
 * the device's configuration structures by their PCI capabilities, negotiate
 * features, set up queues in guest memory from a qmem allocator, add buffer
 * chains, notify, and wait for the device to return them by polling the
 * used ring.
 */
#ifndef HVT_QVIRTIO_H
#define HVT_QVIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "qmem.h"
#include "qpci.h"
#include "qtest.h"
#include "util.h"

/* Device status bits. */
#define HVT_VIRTIO_S_ACKNOWLEDGE 0x01
#define HVT_VIRTIO_S_DRIVER	 0x02
#define HVT_VIRTIO_S_DRIVER_OK	 0x04
#define HVT_VIRTIO_S_FEATURES_OK 0x08
#define HVT_VIRTIO_S_NEEDS_RESET 0x40
#define HVT_VIRTIO_S_FAILED	 0x80

#define HVT_VIRTIO_F_VERSION_1 (1ull << 32)

/* Device types (virtio 1.x section 5). */
#define HVT_VIRTIO_ID_NET     1
#define HVT_VIRTIO_ID_BLOCK   2
#define HVT_VIRTIO_ID_BALLOON 5

#define HVT_VIRTIO_PCI_VENDOR 0x1af4

struct hvt_qvirtio_dev {
	struct hvt_qpci_dev pci;
	uint64_t common, isr, device;	/* guest-physical addresses of the structures */
	uint64_t notify;		/* base of the notification area */
	uint32_t notify_mult;
	uint32_t device_len;		/* size of the device-specific configuration */
	uint64_t features;		/* negotiated (after hvt_qvirtio_negotiate) */
	uint16_t num_queues;
};

/*
 * Find the virtio device of type on bus 0 (modern ID 0x1040 + type, or a
 * transitional ID whose subsystem ID is the type), skipping skip earlier
 * matches. -ENODEV if there is none.
 */
int hvt_qvirtio_find(struct hvt_qtest *q, unsigned int type, int skip, struct hvt_qpci_dev *out,
		     struct hvt_err *err);
/*
 * Set up d for the PCI function pci: enable it, walk its vendor capabilities
 * for the common, notify, ISR and device configurations, map the BARs they
 * are in (from a) and reset the device. -ENOTSUP when a structure is missing
 * (a legacy-only device).
 */
int hvt_qvirtio_open(struct hvt_qvirtio_dev *d, const struct hvt_qpci_dev *pci,
		     struct hvt_qpci_alloc *a, struct hvt_err *err);
/* Write 0 to the device status and wait until it reads back 0. */
int hvt_qvirtio_reset(struct hvt_qvirtio_dev *d, struct hvt_err *err);
int hvt_qvirtio_get_status(struct hvt_qvirtio_dev *d, uint8_t *status, struct hvt_err *err);
int hvt_qvirtio_set_status(struct hvt_qvirtio_dev *d, uint8_t status, struct hvt_err *err);
/* The 64 feature bits the device offers. */
int hvt_qvirtio_device_features(struct hvt_qvirtio_dev *d, uint64_t *features,
				struct hvt_err *err);
/*
 * ACKNOWLEDGE, DRIVER, then accept the offered features that are in wanted
 * (VERSION_1 always), set FEATURES_OK and check the device kept it. On
 * success d->features holds what was accepted. -ENOTSUP when the device
 * does not offer VERSION_1 or refuses FEATURES_OK. Queues are set up after
 * this and before hvt_qvirtio_driver_ok().
 */
int hvt_qvirtio_negotiate(struct hvt_qvirtio_dev *d, uint64_t wanted, struct hvt_err *err);
int hvt_qvirtio_driver_ok(struct hvt_qvirtio_dev *d, struct hvt_err *err);
/* Read (and so clear) the ISR status byte. */
int hvt_qvirtio_isr(struct hvt_qvirtio_dev *d, uint8_t *isr, struct hvt_err *err);

/* The device-specific configuration at offset off (checked against its size). */
int hvt_qvirtio_config_readb(struct hvt_qvirtio_dev *d, uint32_t off, uint8_t *v,
			     struct hvt_err *err);
int hvt_qvirtio_config_readw(struct hvt_qvirtio_dev *d, uint32_t off, uint16_t *v,
			     struct hvt_err *err);
int hvt_qvirtio_config_readl(struct hvt_qvirtio_dev *d, uint32_t off, uint32_t *v,
			     struct hvt_err *err);
/* 64-bit fields read as two halves, retried until config_generation holds still. */
int hvt_qvirtio_config_readq(struct hvt_qvirtio_dev *d, uint32_t off, uint64_t *v,
			     struct hvt_err *err);
int hvt_qvirtio_config_writel(struct hvt_qvirtio_dev *d, uint32_t off, uint32_t v,
			      struct hvt_err *err);

/* A split virtqueue: its rings in guest memory, the driver's view of them. */
struct hvt_qvirtq {
	struct hvt_qvirtio_dev *dev;
	struct hvt_qmem *mem;
	uint16_t index, size;
	uint64_t desc, avail, used;	/* guest-physical addresses of the three parts */
	uint64_t notify_addr;
	uint16_t avail_idx;		/* next avail ring index the driver writes */
	uint16_t last_used;		/* used ring entries consumed so far */
	uint16_t nfree;
	uint16_t *next_free;		/* host-side free list of descriptors */
	uint16_t free_head;
	uint16_t *chain_len;		/* per head: descriptors in its chain */
};

/*
 * Set up queue index with at most max_size entries (0: the device's size;
 * a power of two): allocate and zero its rings in mem, program and enable
 * it. -ENOENT when the device has no such queue. Free with
 * hvt_qvirtq_release() (gives the rings back to mem).
 */
int hvt_qvirtq_setup(struct hvt_qvirtio_dev *d, struct hvt_qvirtq *vq, uint16_t index,
		     uint16_t max_size, struct hvt_qmem *mem, struct hvt_err *err);
void hvt_qvirtq_release(struct hvt_qvirtq *vq);

/* One buffer of a chain: guest address, length, and whether the device writes it. */
struct hvt_qvirtq_buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/*
 * Put a chain of n buffers (readable ones first, as the specification asks,
 * though that is not enforced so that tests can break the rule) on the
 * available ring in one pipelined batch; *head receives its first
 * descriptor. -ENOSPC when fewer than n descriptors are free. When the
 * batch itself fails the ring may be half written: reset the device.
 */
int hvt_qvirtq_add(struct hvt_qvirtq *vq, const struct hvt_qvirtq_buf *bufs, unsigned int n,
		   uint16_t *head, struct hvt_err *err);
/* Notify the device that queue vq has new buffers. */
int hvt_qvirtq_kick(struct hvt_qvirtq *vq, struct hvt_err *err);
/*
 * Wait up to timeout_ms for the next used ring entry, polling the used
 * index; *id and *len (either may be NULL) receive the chain's head and the
 * bytes the device wrote; the chain's descriptors are free again.
 * -ETIMEDOUT when the device returned nothing.
 */
int hvt_qvirtq_wait(struct hvt_qvirtq *vq, int timeout_ms, uint16_t *id, uint32_t *len,
		    struct hvt_err *err);

/*
 * Wait as a driver using INTx does: up to timeout_ms for the intercepted
 * interrupt line (see hvt_qtest_irq_intercept_in(); which line depends on
 * the machine's routing) to be high, read the ISR, which lowers it, then
 * take the next used entry as hvt_qvirtq_wait() does. -ETIMEDOUT when the
 * line stays low; -EPROTO when it rose with nothing used.
 */
int hvt_qvirtq_wait_irq(struct hvt_qvirtq *vq, unsigned int line, int timeout_ms, uint16_t *id,
			uint32_t *len, struct hvt_err *err);

#endif
