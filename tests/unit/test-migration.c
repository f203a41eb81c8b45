// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the pure parts of migration: query-migrate statistics,
 * the state machine of MIGRATION statuses, transport names, and the RAM
 * comparison (buffers and files, the summary and the report).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "migrate.h"
#include "ramcmp.h"

static char tmpdir[] = "/tmp/hvt-test-mig-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	hvt_rm_rf(tmpdir);
	return 0;
}

static struct json_object *parse(const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *o = hvt_json_parse(text, &err);

	if (!o)
		fail_msg("%s", err.msg);
	return o;
}

/* A reply of QEMU 7.2 after a completed migration (trimmed of nothing). */
static void test_stats_completed(void **state)
{
	struct json_object *o = parse(
		"{'status': 'completed', 'setup-time': 1, 'downtime': 7, 'total-time': 207, "
		"'ram': {'total': 67641344, 'postcopy-requests': 0, 'dirty-sync-count': 3, "
		"'multifd-bytes': 0, 'pages-per-second': 82303, 'downtime-bytes': 16423, "
		"'page-size': 4096, 'remaining': 0, 'postcopy-bytes': 0, "
		"'mbps': 28.412776699029127, 'transferred': 619710, "
		"'dirty-sync-missed-zero-copy': 0, 'precopy-bytes': 603287, 'duplicate': 16403, "
		"'dirty-pages-rate': 0, 'skipped': 0, 'normal-bytes': 471040, 'normal': 115}}");
	struct hvt_migrate_stats st;

	hvt_migrate_stats_parse(o, &st);
	assert_string_equal(st.status, "completed");
	assert_string_equal(st.error, "");
	assert_true(st.total_ms == 207);
	assert_true(st.downtime_ms == 7);
	assert_true(st.setup_ms == 1);
	assert_true(st.expected_downtime_ms == -1);
	assert_int_equal(st.transferred, 619710);
	assert_int_equal(st.remaining, 0);
	assert_int_equal(st.ram_total, 67641344);
	assert_int_equal(st.duplicate, 16403);
	assert_int_equal(st.normal, 115);
	assert_int_equal(st.dirty_sync_count, 3);
	assert_int_equal(st.pages_per_second, 82303);
	assert_int_equal(st.postcopy_requests, 0);
	assert_int_equal(st.postcopy_bytes, 0);
	assert_true(st.mbps > 28.41 && st.mbps < 28.42);
	/* absent members: -1, not 0 */
	assert_int_equal(st.xbzrle_pages, -1);
	assert_int_equal(st.cpu_throttle, -1);
	assert_true(st.wall_ms == -1);
	json_object_put(o);
}

static void test_stats_active_and_failed(void **state)
{
	struct json_object *a = parse(
		"{'status': 'active', 'expected-downtime': 300, 'total-time': 1500, "
		"'cpu-throttle-percentage': 30, 'xbzrle-cache': {'pages': 12, 'cache-miss': 4}, "
		"'ram': {'transferred': 1048576, 'remaining': 2097152, 'dirty-sync-count': 5}}");
	struct json_object *f = parse(
		"{'status': 'failed', 'error-desc': 'Unable to write to socket: Broken pipe'}");
	struct json_object *none = parse("{}");
	struct hvt_migrate_stats st;

	hvt_migrate_stats_parse(a, &st);
	assert_string_equal(st.status, "active");
	assert_true(st.downtime_ms == -1);
	assert_true(st.expected_downtime_ms == 300);
	assert_int_equal(st.cpu_throttle, 30);
	assert_int_equal(st.xbzrle_pages, 12);
	assert_int_equal(st.xbzrle_cache_miss, 4);
	assert_int_equal(st.remaining, 2097152);
	hvt_migrate_stats_parse(f, &st);
	assert_string_equal(st.status, "failed");
	assert_string_equal(st.error, "Unable to write to socket: Broken pipe");
	assert_int_equal(st.transferred, -1);
	hvt_migrate_stats_parse(none, &st);
	assert_string_equal(st.status, "");
	assert_true(st.total_ms == -1);
	json_object_put(a);
	json_object_put(f);
	json_object_put(none);
}

/* Sequences QEMU sends, and ones it never does. */
static void test_status_machine(void **state)
{
	static const char *const precopy[] = { "setup", "active", "completed" };
	static const char *const recover[] = { "setup", "active", "postcopy-active",
					       "postcopy-paused", "postcopy-recover",
					       "postcopy-active", "completed" };
	const char *prev = NULL;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(precopy); i++, prev = precopy[i - 1])
		assert_true(hvt_migrate_status_follows(prev, precopy[i]));
	prev = NULL;
	for (size_t i = 0; i < HVT_ARRAY_SIZE(recover); i++, prev = recover[i - 1])
		assert_true(hvt_migrate_status_follows(prev, recover[i]));
	assert_true(hvt_migrate_status_follows("active", "cancelling"));
	assert_true(hvt_migrate_status_follows("cancelling", "cancelled"));
	assert_true(hvt_migrate_status_follows("setup", "failed"));
	assert_true(hvt_migrate_status_follows("completed", "setup"));
	/* never */
	assert_false(hvt_migrate_status_follows(NULL, "completed"));
	assert_false(hvt_migrate_status_follows("setup", "completed"));
	assert_false(hvt_migrate_status_follows("completed", "active"));
	assert_false(hvt_migrate_status_follows("postcopy-active", "active"));
	assert_false(hvt_migrate_status_follows("cancelled", "completed"));
	assert_false(hvt_migrate_status_follows("active", NULL));
	assert_false(hvt_migrate_status_follows("no-such-status", "active"));
	assert_true(hvt_migrate_status_final("completed"));
	assert_true(hvt_migrate_status_final("failed"));
	assert_true(hvt_migrate_status_final("cancelled"));
	assert_false(hvt_migrate_status_final("postcopy-paused"));
	assert_false(hvt_migrate_status_final(NULL));
}

static void test_transport_names(void **state)
{
	static const char *const names[] = { "unix", "tcp", "exec", "fd" };
	struct hvt_err err = HVT_ERR_INIT;
	enum hvt_migrate_transport t;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(names); i++) {
		assert_int_equal(hvt_migrate_transport_parse(names[i], &t, &err), 0);
		assert_string_equal(hvt_migrate_transport_name(t), names[i]);
	}
	assert_int_equal(hvt_migrate_transport_parse("rdma", &t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'rdma'"));
	assert_non_null(strstr(err.msg, "unix, tcp, exec, fd"));
	assert_int_equal(hvt_migrate_transport_parse(NULL, &t, &err), -EINVAL);
}

#define PAGES 64

static void test_ramcmp_buffers(void **state)
{
	unsigned char *a = calloc(PAGES, HVT_RAMCMP_PAGE), *b = calloc(PAGES, HVT_RAMCMP_PAGE);
	struct hvt_ramcmp r;
	char *sum;

	for (int i = 0; i < PAGES * HVT_RAMCMP_PAGE; i++)
		a[i] = b[i] = (unsigned char)(i * 7 + 3);
	/* identical */
	hvt_ramcmp_init(&r, 2);
	hvt_ramcmp_buffers(&r, a, b, PAGES * HVT_RAMCMP_PAGE);
	assert_int_equal(r.pages, PAGES);
	assert_int_equal(r.ndiff, 0);
	sum = hvt_ramcmp_summary(&r, 8);
	assert_string_equal(sum, "0 of 64 pages differ");
	free(sum);
	hvt_ramcmp_release(&r);

	/* a lost write (two bytes of page 3), a zeroed page 10, a page 40 zero on the source */
	b[3 * HVT_RAMCMP_PAGE + 100] ^= 0xff;
	b[3 * HVT_RAMCMP_PAGE + 101] ^= 0x01;
	memset(b + 10 * HVT_RAMCMP_PAGE, 0, HVT_RAMCMP_PAGE);
	memset(a + 40 * HVT_RAMCMP_PAGE, 0, HVT_RAMCMP_PAGE);
	hvt_ramcmp_init(&r, 2);
	hvt_ramcmp_buffers(&r, a, b, PAGES * HVT_RAMCMP_PAGE + 123); /* a partial page is left out */
	assert_int_equal(r.bytes, PAGES * HVT_RAMCMP_PAGE);
	assert_int_equal(r.ndiff, 3);
	assert_int_equal(r.dst_zero, 1);
	assert_int_equal(r.src_zero, 1);
	assert_int_equal(r.nlist, 2);
	assert_int_equal(r.list[0].addr, 3 * HVT_RAMCMP_PAGE);
	assert_int_equal(r.list[0].first, 100);
	assert_int_equal(r.list[0].ndiff, 2);
	assert_false(r.list[0].dst_zero);
	assert_int_equal(r.list[1].addr, 10 * HVT_RAMCMP_PAGE);
	assert_true(r.list[1].dst_zero);
	assert_memory_equal(r.list[0].src, a + 3 * HVT_RAMCMP_PAGE, HVT_RAMCMP_PAGE);
	assert_memory_equal(r.list[0].dst, b + 3 * HVT_RAMCMP_PAGE, HVT_RAMCMP_PAGE);
	sum = hvt_ramcmp_summary(&r, 1);
	assert_string_equal(sum, "3 of 64 pages differ (1 zero on the source, 1 on the destination), "
			    "at 0x3000 ...");
	free(sum);
	hvt_ramcmp_release(&r);
	free(a);
	free(b);
}

/* Through files, and the report a person reads. */
static void test_ramcmp_files_and_report(void **state)
{
	unsigned char *a = calloc(PAGES, HVT_RAMCMP_PAGE), *b = calloc(PAGES, HVT_RAMCMP_PAGE);
	char *pa = hvt_asprintf("%s/a.bin", tmpdir), *pb = hvt_asprintf("%s/b.bin", tmpdir);
	char *rep = hvt_asprintf("%s/report.txt", tmpdir), *text = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_ramcmp r;

	b[5 * HVT_RAMCMP_PAGE + 0x40] = 0xab;
	assert_int_equal(hvt_file_write(pa, a, PAGES * HVT_RAMCMP_PAGE, &err), 0);
	assert_int_equal(hvt_file_write(pb, b, PAGES * HVT_RAMCMP_PAGE, &err), 0);
	hvt_ramcmp_init(&r, 8);
	assert_int_equal(hvt_ramcmp_files(&r, pa, pb, PAGES * HVT_RAMCMP_PAGE, &err), 0);
	assert_int_equal(r.ndiff, 1);
	assert_int_equal(hvt_ramcmp_write_report(&r, rep, &err), 0);
	assert_int_equal(hvt_file_read(rep, &text, NULL, &err), 0);
	assert_non_null(strstr(text, "1 of 64 pages differ"));
	assert_non_null(strstr(text, "page 0x5000 (pfn 0x5): 1 bytes differ, zero on the source, "
				     "in 0x40-0x40"));
	assert_non_null(strstr(text, "dst +0040: ab 00"));
	free(text);
	hvt_ramcmp_release(&r);

	/* a short image is an error, not a fault */
	hvt_ramcmp_init(&r, 8);
	assert_int_equal(hvt_ramcmp_files(&r, pa, pb, 2 * PAGES * HVT_RAMCMP_PAGE, &err), -EIO);
	assert_non_null(strstr(err.msg, "expected"));
	assert_int_equal(hvt_ramcmp_files(&r, "/nonexistent/x", pb, HVT_RAMCMP_PAGE, &err), -ENOENT);
	assert_int_equal(hvt_ramcmp_files(&r, pa, pb, 100, &err), -EINVAL);
	hvt_ramcmp_release(&r);
	free(a);
	free(b);
	free(pa);
	free(pb);
	free(rep);
}

static struct json_object *devices(const char *pci, const char *blk, const char *balloon)
{
	char *text = hvt_asprintf("{'pci': %s, 'block': %s, 'balloon': %s}", pci, blk, balloon);
	struct json_object *o = parse(text);

	free(text);
	return o;
}

static void test_devices_compare(void **state)
{
	struct json_object *a = devices("['00:00.0 8086:1237', '00:03.0 1af4:1003 (vser0)']",
					"['tools: /g/tools.img (read-only)']", "536870912");
	struct json_object *same = devices("['00:00.0 8086:1237', '00:03.0 1af4:1003 (vser0)']",
					   "['tools: /g/tools.img (read-only)']", "536870912");
	struct json_object *less = devices("['00:00.0 8086:1237']",
					   "['tools: /g/tools.img (read-only)']", "536870912");
	struct json_object *bal = devices("['00:00.0 8086:1237', '00:03.0 1af4:1003 (vser0)']",
					  "['tools: /g/tools.img (read-only)']", "268435456");
	struct json_object *nobal = devices("['00:00.0 8086:1237', '00:03.0 1af4:1003 (vser0)']",
					    "['tools: /g/tools.img (read-only)']", "null");
	struct hvt_err err = HVT_ERR_INIT;

	assert_int_equal(hvt_migrate_devices_compare(a, same, &err), 0);
	assert_int_equal(hvt_migrate_devices_compare(a, less, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "PCI device 2: '00:03.0 1af4:1003 (vser0)' on the source, "
				       "'none' on the destination"));
	assert_int_equal(hvt_migrate_devices_compare(a, bal, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "balloon: 536870912 on the source, 268435456"));
	assert_int_equal(hvt_migrate_devices_compare(a, nobal, &err), -EINVAL);
	assert_int_equal(hvt_migrate_devices_compare(nobal, nobal, &err), 0);
	json_object_put(a);
	json_object_put(same);
	json_object_put(less);
	json_object_put(bal);
	json_object_put(nobal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_completed),
		cmocka_unit_test(test_stats_active_and_failed),
		cmocka_unit_test(test_status_machine),
		cmocka_unit_test(test_transport_names),
		cmocka_unit_test(test_ramcmp_buffers),
		cmocka_unit_test(test_ramcmp_files_and_report),
		cmocka_unit_test(test_devices_compare),
	};

	return cmocka_run_group_tests_name("migration", tests, setup, teardown);
}
