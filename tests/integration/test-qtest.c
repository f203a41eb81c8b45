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
	assert_non_null(strstr(out, "18 pass"));
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
		cmocka_unit_test(test_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
