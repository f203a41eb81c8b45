// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the qtest client's reply parser: the input is what
 * QEMU sends, fed in pieces to a client waiting for one reply of each kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qtest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvt_err err = HVT_ERR_INIT;
	uint8_t b, mem[16], hex[8];
	struct hvt_qtest *q;
	uint16_t w;
	uint32_t l;
	uint64_t v;
	int64_t now;
	bool big;
	size_t piece, off = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	q = hvt_qtest_open_fd(sv[0], 10, &err);
	if (!q) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	hvt_qtest_batch_begin(q);
	for (int i = 0; i < 4; i++) {
		hvt_qtest_inb(q, 0x71, &b, &err);
		hvt_qtest_inw(q, 0x71, &w, &err);
		hvt_qtest_readl(q, 0x1000, &l, &err);
		hvt_qtest_readq(q, 0x1000, &v, &err);
		hvt_qtest_memread(q, 0, mem, sizeof(mem), &err);
		hvt_qtest_memread_hex(q, 0, hex, sizeof(hex), &err);
		hvt_qtest_endianness(q, &big, &err);
		hvt_qtest_clock_step(q, 100, &now, &err);
		hvt_qtest_outb(q, 0x70, 0, &err);
	}
	/* The first byte chooses how the rest is cut into reads. */
	piece = size ? (size_t)data[0] % 17 + 1 : 1;
	for (off = size ? 1 : 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;

		if (hvt_qtest_feed(q, data + off, n, &err))
			break;
	}
	for (unsigned int i = 0; i < HVT_QTEST_MAX_IRQ; i++)
		(void)hvt_qtest_irq_level(q, i);
	/* Nothing more comes: the batch ends with the peer gone. */
	close(sv[1]);
	hvt_qtest_batch_end(q, &err);
	hvt_qtest_free(q);
	return 0;
}
