/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the qtest suite's test types share: a machine started from a
 * case's parameters, its trace recorded when asked, its end checked.
 */
#ifndef HVT_SUITE_QTEST_COMMON_H
#define HVT_SUITE_QTEST_COMMON_H

#include "hvtest.h"

/*
 * Start QEMU for case c: "machine" (default pc), "qtest_devices" (-device
 * specs separated by blanks), "qtest_args" (more QEMU words), extra (NULL-
 * ended, may be NULL), and with "qtest_record = yes" a trace written to
 * qtest.trace in the work directory (an artifact). Its files (sockets,
 * firmware, qemu.stderr) go to c->workdir. When the machine is shut down
 * (hvt_qtest_quit() or hvt_qtest_free(), which must come before c is
 * freed), how QEMU ended is recorded as check "qemu-exit": failed when
 * QEMU did not exit with code 0 (a crash or a hang while its devices
 * went away), passed when it did and the case has other verdicts.
 */
struct hvt_qtest *qt_start(struct hvt_case *c, const char *const *extra, struct hvt_err *err);
/*
 * qt_start() with another QEMU binary (qemu; NULL: hvt_qemu_binary()) and
 * another work directory (workdir, e.g. under c->workdir for a case's
 * second machine; NULL: c->workdir).
 */
struct hvt_qtest *qt_start_in(struct hvt_case *c, const char *qemu, const char *workdir,
			      const char *const *extra, struct hvt_err *err);

/* A parameter holding a number in any C base; -EINVAL with err naming it. */
int qt_param_u64(struct hvt_case *c, const char *key, uint64_t dflt, uint64_t *out,
		 struct hvt_err *err);

/*
 * The first virtio device of type on bus 0, opened (capabilities found,
 * BARs mapped, reset) into d. Its BARs come from a fresh qpci allocator:
 * one device per machine this way.
 */
int qt_virtio_open(struct hvt_qtest *q, unsigned int type, struct hvt_qvirtio_dev *d,
		   struct hvt_err *err);
/*
 * Add a chain to vq, notify, and wait up to timeout_ms for the device to
 * return it, by polling the used ring (irq < 0) or by the intercepted
 * interrupt line irq (hvt_qvirtq_wait_irq()); *len (may be NULL) gets the
 * bytes it wrote. -EPROTO when another chain comes back first.
 */
int qt_virtq_run(struct hvt_qvirtq *vq, const struct hvt_qvirtq_buf *bufs, unsigned int n,
		 int irq, int timeout_ms, uint32_t *len, struct hvt_err *err);

/*
 * Route PCI INTx to the IOAPIC the way firmware would: on pc, PIIX3's PIRQ
 * A-D to ISA IRQs 10, 10, 11, 11; q35's ICH9 sends them to inputs 16-23
 * already. Nothing to do (0) on other machines.
 */
int qt_route_intx(struct hvt_qtest *q, struct hvt_err *err);

#endif
