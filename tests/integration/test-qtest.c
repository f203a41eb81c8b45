// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Integration tests of the qtest client and suite against the real QEMU:
 * memory and port I/O, pipelining, a QEMU that dies mid-test, an unknown
 * device, record and replay, and the whole qtest plan through hvtest run.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

static void test_client(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .machine = "pc" };
	struct hvt_qtest *q = hvt_qtest_start(&opts, &err);
	uint8_t buf[64], back[64];
	uint32_t v[100];
	bool big = true;

	itest_ok(q ? 0 : err.code, &err);
	itest_ok(hvt_qtest_endianness(q, &big, &err), &err);
	assert_false(big);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	itest_ok(hvt_qtest_memwrite(q, 0x10000, buf, sizeof(buf), &err), &err);
	itest_ok(hvt_qtest_memread_hex(q, 0x10000, back, sizeof(back), &err), &err);
	assert_memory_equal(buf, back, sizeof(buf));
	hvt_qtest_batch_begin(q);
	for (uint32_t i = 0; i < 100; i++) {
		hvt_qtest_writel(q, 0x20000 + 4 * i, i * 3, &err);
		hvt_qtest_readl(q, 0x20000 + 4 * i, &v[i], &err);
	}
	itest_ok(hvt_qtest_batch_end(q, &err), &err);
	assert_int_equal(v[99], 297);
	assert_int_equal(hvt_qtest_irq_intercept_in(q, "/machine/nope", &err), -EREMOTEIO);
	assert_non_null(strstr(err.msg, "Unknown device"));
	/* QEMU gone mid-test: a clear error saying how it ended. */
	hvt_qmp_send(hvt_qtest_qmp(q), "quit", NULL, &err);
	usleep(300000);
	assert_true(hvt_qtest_outb(q, 0x80, 0, &err) < 0);
	assert_non_null(strstr(err.msg, "QEMU"));
	hvt_qtest_free(q);
}

static void test_bad_device(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *const args[] = { "-device", "no-such-device", NULL };
	struct hvt_qtest_opts opts = { .args = args };
	struct hvt_qtest *q = hvt_qtest_start(&opts, &err);

	assert_null(q);
	assert_non_null(strstr(err.msg, "no-such-device"));
}

static void test_record_replay(void **state)
{
	char dir[] = "/tmp/hvt-itest-qtest-XXXXXX";
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .machine = "q35", .no_qmp = true };
	struct hvt_qtest *q;
	char *trace, *out = NULL;
	uint32_t v;

	assert_non_null(mkdtemp(dir));
	trace = hvt_asprintf("%s/t.trace", dir);
	opts.record = trace;
	q = hvt_qtest_start(&opts, &err);
	itest_ok(q ? 0 : err.code, &err);
	itest_ok(hvt_qtest_writel(q, 0x3000, 0xabcdef, &err), &err);
	itest_ok(hvt_qtest_readl(q, 0x3000, &v, &err), &err);
	/* PCI host bridge ID: the same on every run. */
	itest_ok(hvt_qtest_outl(q, 0xcf8, 0x80000000, &err), &err);
	itest_ok(hvt_qtest_inl(q, 0xcfc, &v, &err), &err);
	assert_int_equal(v, 0x29c08086);
	hvt_qtest_free(q);
	{
		const char *argv[] = { itest_hvtest(), "qtest", "replay", trace, NULL };

		assert_int_equal(itest_run(argv, NULL, 60000, &out), 0);
		assert_non_null(strstr(out, "all 4 replies matched"));
		free(out);
	}
	free(trace);
	hvt_rm_rf(dir);
}

/* virtio-pci modern and a split queue against a real device: the balloon's inflate queue. */
static void test_virtio(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *const args[] = { "-device", "virtio-balloon-pci", NULL };
	struct hvt_qtest_opts opts = { .machine = "q35", .args = args };
	struct hvt_qtest *q = hvt_qtest_start(&opts, &err);
	struct hvt_qpci_alloc alloc = HVT_QPCI_ALLOC_INIT;
	struct hvt_qmem *mem = hvt_qmem_new(HVT_QMEM_X86_START, HVT_QMEM_X86_SIZE);
	struct hvt_qpci_dev pci;
	struct hvt_qvirtio_dev d;
	struct hvt_qvirtq vq, bad;
	struct hvt_qvirtq_buf buf = { 0 };
	uint64_t page;
	uint32_t pages = 1, len = 1;
	uint16_t head, id = 0xFFFF;
	uint8_t status = 0;

	itest_ok(q ? 0 : err.code, &err);
	itest_ok(hvt_qvirtio_find(q, HVT_VIRTIO_ID_BALLOON, 0, &pci, &err), &err);
	assert_int_equal(hvt_qvirtio_find(q, HVT_VIRTIO_ID_BLOCK, 0, &pci, &err), -ENODEV);
	itest_ok(hvt_qvirtio_find(q, HVT_VIRTIO_ID_BALLOON, 0, &pci, &err), &err);
	itest_ok(hvt_qvirtio_open(&d, &pci, &alloc, &err), &err);
	assert_true(d.num_queues >= 2);
	itest_ok(hvt_qvirtio_negotiate(&d, 0, &err), &err);
	assert_int_equal(d.features, HVT_VIRTIO_F_VERSION_1);
	itest_ok(hvt_qvirtq_setup(&d, &vq, 0, 16, mem, &err), &err);
	assert_int_equal(vq.size, 16);
	assert_int_equal(hvt_qvirtq_setup(&d, &bad, 99, 0, mem, &err), -ENOENT);
	itest_ok(hvt_qvirtio_driver_ok(&d, &err), &err);
	itest_ok(hvt_qvirtio_get_status(&d, &status, &err), &err);
	assert_int_equal(status & 0x0F, 0x0F);
	itest_ok(hvt_qvirtio_config_readl(&d, 0, &pages, &err), &err);
	assert_int_equal(pages, 0);
	assert_int_equal(hvt_qvirtio_config_readl(&d, 0x1000, &pages, &err), -EINVAL);
	/* Nothing added: nothing comes back. */
	itest_ok(hvt_qvirtq_kick(&vq, &err), &err);
	assert_int_equal(hvt_qvirtq_wait(&vq, 100, &id, &len, &err), -ETIMEDOUT);
	/* One page frame number, as the inflate queue takes them. */
	assert_int_equal(hvt_qmem_alloc(mem, 4096, 4096, &page), 0);
	itest_ok(hvt_qtest_writel(q, page, (uint32_t)(page >> 12), &err), &err);
	buf.addr = page;
	buf.len = 4;
	for (int i = 0; i < 40; i++) {	/* more than the queue size: descriptors are reused */
		itest_ok(hvt_qvirtq_add(&vq, &buf, 1, &head, &err), &err);
		itest_ok(hvt_qvirtq_kick(&vq, &err), &err);
		itest_ok(hvt_qvirtq_wait(&vq, 5000, &id, &len, &err), &err);
		assert_int_equal(id, head);
		assert_int_equal(len, 0);
		assert_int_equal(vq.nfree, 16);
	}
	hvt_qvirtq_release(&vq);
	hvt_qmem_dealloc(mem, page);
	assert_int_equal(hvt_qmem_used(mem), 0);
	itest_ok(hvt_qvirtio_reset(&d, &err), &err);
	hvt_qmem_free(mem);
	hvt_qtest_free(q);
}

static void test_plan(void **state)
{
	char dir[] = "/tmp/hvt-itest-qtest-res-XXXXXX";
	const char *src = getenv("HVT_SRCDIR");
	char *plan, *results, *out = NULL;
	int rc;

	assert_non_null(mkdtemp(dir));
	plan = hvt_asprintf("%s/suites/qtest/qtest.cfg", src ? src : ".");
	results = hvt_asprintf("--results=%s", dir);
	{
		const char *argv[] = { itest_hvtest(), "run", "-j2", results, plan, NULL };

		rc = itest_run(argv, NULL, 300000, &out);
	}
	if (rc)
		fail_msg("hvtest run %s: %d\n%s", plan, rc, out);
	assert_non_null(strstr(out, "22 pass"));
	free(out);
	free(plan);
	free(results);
	hvt_rm_rf(dir);
	assert_int_equal(itest_wait_no_qemu("hvt-qtest-", 5000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_bad_device),
		cmocka_unit_test(test_record_replay),
		cmocka_unit_test(test_virtio),
		cmocka_unit_test(test_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
