// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the guest-memory allocator: alignment, gaps reused after
 * a free, exhaustion, bad arguments, and a random workload checked against
 * a shadow map of the range.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qmem.h"

static void test_basic(void **state)
{
	struct hvt_qmem *m = hvt_qmem_new(0x1000, 0x1000);
	uint64_t a, b, c;

	(void)state;
	assert_non_null(m);
	assert_int_equal(hvt_qmem_alloc(m, 16, 0, &a), 0);
	assert_int_equal(a, 0x1000);
	assert_int_equal(hvt_qmem_alloc(m, 1, 0, &b), 0);
	assert_int_equal(b, 0x1010);
	assert_int_equal(hvt_qmem_alloc(m, 100, 256, &c), 0);
	assert_int_equal(c, 0x1100);
	assert_int_equal(hvt_qmem_used(m), 117);
	assert_int_equal(hvt_qmem_blocks(m), 3);
	/* The gap left by a freed block is used again. */
	assert_int_equal(hvt_qmem_dealloc(m, b), 0);
	assert_int_equal(hvt_qmem_dealloc(m, b), -ENOENT);
	assert_int_equal(hvt_qmem_alloc(m, 0xF0, 0x10, &b), 0);
	assert_int_equal(b, 0x1010);
	assert_int_equal(hvt_qmem_dealloc(m, 0x1011), -ENOENT);
	hvt_qmem_free(m);
}

static void test_limits(void **state)
{
	struct hvt_qmem *m = hvt_qmem_new(0x2000, 0x1000);
	uint64_t a = 0;

	(void)state;
	assert_null(hvt_qmem_new(0, 0));
	assert_null(hvt_qmem_new(UINT64_MAX - 10, 100));
	assert_int_equal(hvt_qmem_alloc(m, 0, 0, &a), -EINVAL);
	assert_int_equal(hvt_qmem_alloc(m, 8, 3, &a), -EINVAL);
	assert_int_equal(hvt_qmem_alloc(m, 0x1001, 0, &a), -ENOMEM);
	assert_int_equal(hvt_qmem_alloc(m, 0x1000, 0x1000, &a), 0);
	assert_int_equal(a, 0x2000);
	assert_int_equal(hvt_qmem_alloc(m, 1, 1, &a), -ENOMEM);
	assert_int_equal(hvt_qmem_dealloc(m, 0x2000), 0);
	/* An alignment larger than the range: nothing fits unless start is aligned. */
	assert_int_equal(hvt_qmem_alloc(m, 1, 0x4000, &a), -ENOMEM);
	assert_int_equal(hvt_qmem_alloc(m, 1, 1ull << 63, &a), -ENOMEM);
	assert_int_equal(hvt_qmem_used(m), 0);
	hvt_qmem_free(m);
	/* The top of the address space (end is exclusive), where rounding up would wrap. */
	assert_null(hvt_qmem_new(UINT64_MAX - 0xFFF, 0x1000));
	m = hvt_qmem_new(UINT64_MAX - 0x1FFF, 0x1000);
	assert_non_null(m);
	assert_int_equal(hvt_qmem_alloc(m, 0x10, 0x10, &a), 0);
	assert_int_equal(a, UINT64_MAX - 0x1FFF);
	assert_int_equal(hvt_qmem_alloc(m, 1, 1ull << 63, &a), -ENOMEM);
	assert_int_equal(hvt_qmem_alloc(m, 0xFF0, 0, &a), 0);
	assert_int_equal(hvt_qmem_alloc(m, 1, 0, &a), -ENOMEM);
	hvt_qmem_free(m);
	hvt_qmem_free(NULL);
}

#define SPAN 4096

static void test_random(void **state)
{
	struct hvt_qmem *m = hvt_qmem_new(SPAN, SPAN);
	static unsigned char owner[SPAN];
	uint64_t addr[64] = { 0 }, size[64] = { 0 };

	(void)state;
	memset(owner, 0, sizeof(owner));
	srand(7);
	for (int step = 0; step < 20000; step++) {
		int k = rand() % 64;

		if (size[k]) {
			assert_int_equal(hvt_qmem_dealloc(m, addr[k]), 0);
			for (uint64_t i = 0; i < size[k]; i++)
				owner[addr[k] - SPAN + i] = 0;
			size[k] = 0;
		} else {
			uint64_t s = 1 + (uint64_t)(rand() % 200), al = 1ull << (rand() % 8);

			if (hvt_qmem_alloc(m, s, al, &addr[k]))
				continue;
			assert_int_equal(addr[k] % al, 0);
			assert_true(addr[k] >= SPAN && addr[k] + s <= 2 * SPAN);
			for (uint64_t i = 0; i < s; i++) {
				assert_int_equal(owner[addr[k] - SPAN + i], 0);
				owner[addr[k] - SPAN + i] = (unsigned char)(k + 1);
			}
			size[k] = s;
		}
	}
	hvt_qmem_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
