// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest-pci: the functions of a configured machine are found on bus 0 with
 * the expected IDs and classes, and their BARs size and map correctly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct pci {
	struct hvt_qtest *q;
	struct hvt_qpci_dev devs[HVT_QPCI_MAX_FUNCS];
};

static int pci_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	struct pci *p = hvt_zalloc(sizeof(*p));

	p->q = qt_start(c, NULL, err);
	if (!p->q) {
		free(p);
		return err->code;
	}
	*state = p;
	return 0;
}

static const struct hvt_qpci_dev *find(const struct hvt_qpci_dev *devs, int n, unsigned int ven,
				       unsigned int dev)
{
	for (int i = 0; i < n; i++)
		if (devs[i].vendor == ven && devs[i].device == dev)
			return &devs[i];
	return NULL;
}

/* pci_expect = "VVVV:DDDD:CCSS ..." (vendor, device, class and subclass) */
static void check_ids(struct hvt_case *c, const struct hvt_qpci_dev *devs, int n)
{
	char *list = hvt_strdup(hvt_case_param(c, "pci_expect", "")), *save = NULL;

	for (char *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		unsigned int ven, dev, cls;
		const struct hvt_qpci_dev *d;
		char name[64];

		snprintf(name, sizeof(name), "found-%.20s", w);
		if (sscanf(w, "%x:%x:%x", &ven, &dev, &cls) != 3) {
			hvt_case_check(c, name, false, "bad pci_expect entry '%s'", w);
			continue;
		}
		d = find(devs, n, ven, dev);
		if (!hvt_case_check(c, name, d != NULL, d ? "at 00:%02x.%x" : "not on bus 0",
				    d ? d->slot : 0, d ? d->fn : 0))
			continue;
		hvt_case_check(c, name + 6, (unsigned int)(d->class_code << 8 | d->subclass) == cls,
			       "class %02x%02x, expected %04x", d->class_code, d->subclass, cls);
	}
	free(list);
}

/* pci_bars = "VVVV:DDDD:BAR:SIZE ..." (size in any C base) */
static void check_bars(struct hvt_case *c, struct hvt_qtest *q, const struct hvt_qpci_dev *devs,
		       int n)
{
	char *list = hvt_strdup(hvt_case_param(c, "pci_bars", "")), *save = NULL;
	struct hvt_qpci_alloc alloc = HVT_QPCI_ALLOC_INIT;

	for (char *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		struct hvt_err err = HVT_ERR_INIT;
		unsigned int ven, dev, bar;
		long long size;
		struct hvt_qpci_dev d;
		struct hvt_qpci_bar b;
		const struct hvt_qpci_dev *found;
		uint32_t back = 0;
		char name[64];

		snprintf(name, sizeof(name), "bar-%.24s", w);
		if (sscanf(w, "%x:%x:%u:%lli", &ven, &dev, &bar, &size) != 4 || bar > 5) {
			hvt_case_check(c, name, false, "bad pci_bars entry '%s'", w);
			continue;
		}
		found = find(devs, n, ven, dev);
		if (!found) {
			hvt_case_check(c, name, false, "no device %04x:%04x", ven, dev);
			continue;
		}
		d = *found;
		d.q = q;
		if (hvt_qpci_bar_map(&d, (int)bar, &alloc, &b, &err) ||
		    hvt_qpci_config_readl(&d, (uint8_t)(0x10 + 4 * bar), &back, &err)) {
			hvt_case_check(c, name, false, "%s", err.msg);
			continue;
		}
		if (!hvt_case_check(c, name, b.size == (uint64_t)size, "%s BAR %u: size 0x%" PRIx64
				    ", expected 0x%llx", b.io ? "I/O" : "memory", bar, b.size, size))
			continue;
		snprintf(name, sizeof(name), "mapped-%.24s", w);
		hvt_case_check(c, name, (back & ~0xFu) == (uint32_t)(b.addr & ~0xFull),
			       "BAR %u at 0x%" PRIx64 ", register reads 0x%08x", bar, b.addr, back);
	}
	free(list);
}

static void pci_run(struct hvt_case *c, void *state)
{
	struct pci *p = state;
	struct hvt_qpci_dev *devs = p->devs;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest *q = p->q;
	long long min = 1;
	double t0 = hvt_now();
	char *reply = NULL;
	int n;

	if (hvt_case_param_int(c, "pci_min_functions", 1, &min, &err))
		hvt_case_fatal(c, "%s", err.msg);
	n = hvt_qpci_enumerate(q, devs, HVT_QPCI_MAX_FUNCS, &err);
	if (n < 0)
		hvt_case_fatal(c, "enumeration: %s", err.msg);
	hvt_case_metric(c, "enumerate_ms", (hvt_now() - t0) * 1000, "ms");
	hvt_case_metric(c, "functions", n, "");
	hvt_case_check(c, "functions", n >= min, "%d functions on bus 0 (at least %lld expected)",
		       n, min);
	check_ids(c, devs, n);
	check_bars(c, q, devs, n);
	/* Errors QEMU reports must come back as such, and the link must survive them. */
	hvt_case_check(c, "unknown-qom-path",
		       hvt_qtest_irq_intercept_in(q, "/machine/no-such-device", &err) == -EREMOTEIO &&
		       strstr(err.msg, "Unknown device"), "%s", err.msg);
	if (hvt_qtest_command(q, "no_such_command", &reply, &err) == 0)
		hvt_case_check(c, "unknown-command-fails", !strncmp(reply, "FAIL", 4), "%s", reply);
	else
		hvt_case_check(c, "unknown-command-fails", false, "%s", err.msg);
	free(reply);
}

static void pci_cleanup(struct hvt_case *c, void *state)
{
	struct pci *p = state;

	hvt_qtest_free(p->q);
	free(p);
}

static const struct hvt_test_type qtest_pci = {
	.name = "qtest-pci",
	.summary = "PCI enumeration through qtest: IDs, classes, BAR sizes",
	.init = pci_init,
	.run = pci_run,
	.cleanup = pci_cleanup,
};
HVT_TEST_TYPE(qtest_pci)
