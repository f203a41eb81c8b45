// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of virtio feature negotiation and split virtqueues against a
 * fake device: a child process that speaks qtest on a socketpair, keeps
 * 1 MiB of guest memory, models the common configuration registers, and on
 * a notification completes every available chain in reverse order (so that
 * chains come back out of order), filling its writable buffers.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base64.h"
#include "qvirtio.h"

#define MEM_SIZE	(1u << 20)
#define COMMON		0xF0000u
#define NOTIFY		0xF1000u
#define NOTIFY_MULT	4
/* Fake controls: writel at +0/+4 sets the features offered (low, high), at +8 queue 0's maximum size. */
#define CONTROL		0xF2000u
#define QMAX		256
#define NQ		2

static uint8_t mem[MEM_SIZE];

static struct {
	uint32_t dfsel, gfsel, gf[2];
	uint64_t offer;
	uint8_t status;
	uint16_t qsel;
	uint16_t qmax[NQ];
	struct {
		uint16_t size, enable;
		uint64_t desc, avail, used;
	} q[NQ];
} dev = { .offer = HVT_VIRTIO_F_VERSION_1 | 1u << 1 | 1u << 3, .qmax = { QMAX, 0 } };

static uint64_t load(uint32_t a, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)mem[(a + i) % MEM_SIZE] << (8 * i);
	return v;
}

static void store(uint32_t a, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++)
		mem[(a + i) % MEM_SIZE] = (uint8_t)(v >> (8 * i));
}

static uint64_t *qreg64(uint32_t off, int *hi)
{
	uint16_t s = dev.qsel < NQ ? dev.qsel : 0;

	*hi = off & 4;
	switch (off & ~7u) {
	case 0x20:
		return &dev.q[s].desc;
	case 0x28:
		return &dev.q[s].avail;
	case 0x30:
		return &dev.q[s].used;
	}
	return NULL;
}

static uint64_t common_read(uint32_t off)
{
	uint16_t s = dev.qsel;
	uint64_t *p;
	int hi;

	switch (off) {
	case 0x04:
		return dev.dfsel < 2 ? (uint32_t)(dev.offer >> (32 * dev.dfsel)) : 0;
	case 0x0C:
		return dev.gfsel < 2 ? dev.gf[dev.gfsel] : 0;
	case 0x12:
		return NQ;
	case 0x14:
		return dev.status;
	case 0x16:
		return dev.qsel;
	case 0x18:
		return s < NQ ? dev.q[s].size : 0;
	case 0x1C:
		return s < NQ ? dev.q[s].enable : 0;
	case 0x1E:
		return s;	/* notify offset: the queue's index */
	}
	if ((p = qreg64(off, &hi)))
		return hi ? *p >> 32 : (uint32_t)*p;
	return 0;
}

static void common_write(uint32_t off, uint64_t v)
{
	uint16_t s = dev.qsel;
	uint64_t *p;
	int hi;

	switch (off) {
	case 0x00:
		dev.dfsel = (uint32_t)v;
		return;
	case 0x08:
		dev.gfsel = (uint32_t)v;
		return;
	case 0x0C:
		if (dev.gfsel < 2)
			dev.gf[dev.gfsel] = (uint32_t)v;
		return;
	case 0x14:
		/* Features the device did not offer make it refuse FEATURES_OK. */
		if ((v & HVT_VIRTIO_S_FEATURES_OK) &&
		    (((uint64_t)dev.gf[1] << 32 | dev.gf[0]) & ~dev.offer))
			v &= ~(uint64_t)HVT_VIRTIO_S_FEATURES_OK;
		dev.status = (uint8_t)v;
		if (!v) {
			memset(dev.q, 0, sizeof(dev.q));
			for (int i = 0; i < NQ; i++)
				dev.q[i].size = dev.qmax[i];
		}
		return;
	case 0x16:
		dev.qsel = (uint16_t)v;
		return;
	case 0x18:
		if (s < NQ)
			dev.q[s].size = (uint16_t)v;
		return;
	case 0x1C:
		if (s < NQ)
			dev.q[s].enable = (uint16_t)v;
		return;
	}
	if (s < NQ && (p = qreg64(off, &hi)))
		*p = hi ? (*p & 0xFFFFFFFFu) | v << 32 : (*p & ~0xFFFFFFFFull) | (uint32_t)v;
}

/* Complete every available chain of queue n, the last one first. */
static void process(uint16_t n)
{
	uint16_t heads[QMAX], count = 0;
	uint16_t size = dev.q[n].size;
	uint32_t avail = (uint32_t)dev.q[n].avail, used = (uint32_t)dev.q[n].used;
	uint16_t ai = (uint16_t)load(avail + 2, 2), ui = (uint16_t)load(used + 2, 2);

	if (!dev.q[n].enable || !size)
		return;
	for (uint16_t i = ui; i != ai && count < QMAX; i++)
		heads[count++] = (uint16_t)load(avail + 4 + 2u * (i % size), 2);
	while (count--) {
		uint16_t d = heads[count];
		uint32_t written = 0, sum = 0;

		for (int steps = 0; steps < size; steps++) {
			uint32_t at = (uint32_t)dev.q[n].desc + 16u * d;
			uint32_t addr = (uint32_t)load(at, 8), len = (uint32_t)load(at + 8, 4);
			uint16_t flags = (uint16_t)load(at + 12, 2);

			if (flags & 2) {
				for (uint32_t k = 0; k < len; k++)
					store(addr + k, 1, sum);
				written += len;
			} else {
				for (uint32_t k = 0; k < len; k++)
					sum += (uint32_t)load(addr + k, 1);
			}
			if (!(flags & 1))
				break;
			d = (uint16_t)load(at + 14, 2);
		}
		store(used + 4 + 8u * (ui % size), 4, heads[count]);
		store(used + 8 + 8u * (ui % size), 4, written);
		ui++;
		store(used + 2, 2, ui);
	}
}

static void reply(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fflush(f);
}

static void serve(int fd)
{
	FILE *in = fdopen(fd, "r"), *out = fdopen(dup(fd), "w");
	char *line = NULL, cmd[32], data[8192];
	size_t cap = 0;

	while (getline(&line, &cap, in) > 0) {
		uint64_t a = 0, v = 0, n = 0;
		unsigned int width = 0;

		data[0] = '\0';
		if (sscanf(line, "%31s %" SCNx64 " %" SCNx64 " %8191s", cmd, &a, &v, data) < 2) {
			reply(out, "FAIL bad line\n");
			continue;
		}
		if (!strncmp(cmd, "write", 5) && strlen(cmd) == 6) {
			width = cmd[5] == 'b' ? 1 : cmd[5] == 'w' ? 2 : cmd[5] == 'l' ? 4 : 8;
			if (a >= COMMON && a < COMMON + 0x40)
				common_write((uint32_t)(a - COMMON), v);
			else if (a >= NOTIFY && a < NOTIFY + NQ * NOTIFY_MULT)
				process((uint16_t)v);
			else if (a == CONTROL)
				dev.offer = (dev.offer & ~0xFFFFFFFFull) | (uint32_t)v;
			else if (a == CONTROL + 4)
				dev.offer = (dev.offer & 0xFFFFFFFFull) | v << 32;
			else if (a == CONTROL + 8)
				dev.qmax[0] = (uint16_t)v;
			else
				store((uint32_t)a, width, v);
			reply(out, "OK\n");
		} else if (!strncmp(cmd, "read", 4) && strlen(cmd) == 5) {
			width = cmd[4] == 'b' ? 1 : cmd[4] == 'w' ? 2 : cmd[4] == 'l' ? 4 : 8;
			if (a >= COMMON && a < COMMON + 0x40)
				n = common_read((uint32_t)(a - COMMON));
			else
				n = load((uint32_t)a, width);
			reply(out, "OK 0x%0*" PRIx64 "\n", (int)(2 * width), n);
		} else if (!strcmp(cmd, "memset")) {
			unsigned int byte = 0;

			sscanf(data, "%x", &byte);
			for (uint64_t k = 0; k < v; k++)
				store((uint32_t)(a + k), 1, byte);
			reply(out, "OK\n");
		} else if (!strcmp(cmd, "b64write")) {
			char *bytes;
			size_t len;

			if (hvt_base64_decode(data, strlen(data), &bytes, &len) || len != v) {
				reply(out, "FAIL bad base64\n");
				continue;
			}
			for (size_t k = 0; k < len; k++)
				store((uint32_t)(a + k), 1, (uint8_t)bytes[k]);
			free(bytes);
			reply(out, "OK\n");
		} else if (!strcmp(cmd, "b64read")) {
			uint8_t buf[4096];
			char *b64;

			for (uint64_t k = 0; k < v && k < sizeof(buf); k++)
				buf[k] = (uint8_t)load((uint32_t)(a + k), 1);
			b64 = hvt_base64_encode(buf, v < sizeof(buf) ? v : sizeof(buf));
			reply(out, "OK %s\n", b64);
			free(b64);
		} else {
			reply(out, "FAIL unknown command\n");
		}
	}
	_exit(0);
}

struct fixture {
	pid_t pid;
	struct hvt_qtest *q;
	struct hvt_qmem *mem;
	struct hvt_qvirtio_dev d;
};

static int setup(void **state)
{
	struct fixture *f = hvt_zalloc(sizeof(*f));
	struct hvt_err err = HVT_ERR_INIT;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->pid = fork();
	if (!f->pid) {
		close(sv[0]);
		serve(sv[1]);
	}
	close(sv[1]);
	f->q = hvt_qtest_open_fd(sv[0], 5000, &err);
	assert_non_null(f->q);
	f->mem = hvt_qmem_new(0x10000, 0x80000);
	f->d.pci.q = f->q;
	f->d.common = COMMON;
	f->d.notify = NOTIFY;
	f->d.notify_mult = NOTIFY_MULT;
	f->d.num_queues = NQ;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int st;

	hvt_qtest_free(f->q);
	waitpid(f->pid, &st, 0);
	hvt_qmem_free(f->mem);
	free(f);
	return 0;
}

static void test_negotiate(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	uint64_t offered = 0;
	uint32_t lo = 0, hi = 0;
	uint8_t s = 0;

	assert_int_equal(hvt_qvirtio_reset(&f->d, &err), 0);
	assert_int_equal(hvt_qvirtio_device_features(&f->d, &offered, &err), 0);
	assert_int_equal(offered, HVT_VIRTIO_F_VERSION_1 | 0xA);
	assert_int_equal(hvt_qvirtio_negotiate(&f->d, 1u << 1 | 1u << 5, &err), 0);
	assert_int_equal(f->d.features, HVT_VIRTIO_F_VERSION_1 | 1u << 1);
	assert_int_equal(hvt_qtest_writel(f->q, COMMON + 0x08, 0, &err), 0);
	assert_int_equal(hvt_qtest_readl(f->q, COMMON + 0x0C, &lo, &err), 0);
	assert_int_equal(hvt_qtest_writel(f->q, COMMON + 0x08, 1, &err), 0);
	assert_int_equal(hvt_qtest_readl(f->q, COMMON + 0x0C, &hi, &err), 0);
	assert_int_equal(lo, 2);
	assert_int_equal(hi, 1);
	assert_int_equal(hvt_qvirtio_driver_ok(&f->d, &err), 0);
	assert_int_equal(hvt_qvirtio_get_status(&f->d, &s, &err), 0);
	assert_int_equal(s, 0x0F);
	/* A device without VERSION_1 is refused before any feature is written. */
	assert_int_equal(hvt_qvirtio_reset(&f->d, &err), 0);
	assert_int_equal(hvt_qtest_writel(f->q, CONTROL + 4, 0, &err), 0);
	assert_int_equal(hvt_qvirtio_negotiate(&f->d, 0, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "VERSION_1"));
	assert_int_equal(hvt_qtest_writel(f->q, CONTROL + 4, 1, &err), 0);
	/* No device-specific configuration here. */
	assert_int_equal(hvt_qvirtio_config_readl(&f->d, 0, &lo, &err), -ENOTSUP);
}

static void test_queue(void **state)
{
	struct fixture *f = *state;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qvirtq vq, none;
	uint64_t in, out;
	uint16_t head[4], id;
	uint32_t len;
	uint8_t got[8];
	const uint8_t data[4] = { 1, 2, 3, 4 };

	assert_int_equal(hvt_qtest_writel(f->q, CONTROL + 8, 4, &err), 0);
	assert_int_equal(hvt_qvirtio_reset(&f->d, &err), 0);
	assert_int_equal(hvt_qvirtio_negotiate(&f->d, 0, &err), 0);
	assert_int_equal(hvt_qvirtq_setup(&f->d, &none, 1, 0, f->mem, &err), -ENOENT);
	assert_int_equal(hvt_qvirtq_setup(&f->d, &none, 2, 0, f->mem, &err), -ENOENT);
	assert_int_equal(hvt_qvirtq_setup(&f->d, &none, 0, 3, f->mem, &err), -EINVAL);
	assert_int_equal(hvt_qvirtq_setup(&f->d, &vq, 0, 64, f->mem, &err), 0);
	assert_int_equal(vq.size, 4);
	assert_int_equal(vq.notify_addr, NOTIFY);
	assert_int_equal(hvt_qmem_alloc(f->mem, 4, 4, &out), 0);
	assert_int_equal(hvt_qmem_alloc(f->mem, 8, 8, &in), 0);
	assert_int_equal(hvt_qtest_memwrite(f->q, out, data, sizeof(data), &err), 0);
	{
		/* A readable and a writable buffer: the device writes the sum, 10. */
		struct hvt_qvirtq_buf b[2] = { { out, 4, false }, { in, 8, true } };

		assert_int_equal(hvt_qvirtq_add(&vq, b, 2, &head[0], &err), 0);
		assert_int_equal(vq.nfree, 2);
		assert_int_equal(hvt_qvirtq_wait(&vq, 50, &id, &len, &err), -ETIMEDOUT);
		assert_int_equal(hvt_qvirtq_kick(&vq, &err), 0);
		assert_int_equal(hvt_qvirtq_wait(&vq, 1000, &id, &len, &err), 0);
		assert_int_equal(id, head[0]);
		assert_int_equal(len, 8);
		assert_int_equal(vq.nfree, 4);
		assert_int_equal(hvt_qtest_memread(f->q, in, got, sizeof(got), &err), 0);
		for (size_t i = 0; i < sizeof(got); i++)
			assert_int_equal(got[i], 10);
		/* Four one-buffer chains fill the queue; a fifth does not fit. */
		for (int i = 0; i < 4; i++)
			assert_int_equal(hvt_qvirtq_add(&vq, b, 1, &head[i], &err), 0);
		assert_int_equal(hvt_qvirtq_add(&vq, b, 1, &id, &err), -ENOSPC);
		assert_int_equal(hvt_qvirtq_add(&vq, b, 0, &id, &err), -EINVAL);
		/* They come back last first. */
		assert_int_equal(hvt_qvirtq_kick(&vq, &err), 0);
		for (int i = 3; i >= 0; i--) {
			assert_int_equal(hvt_qvirtq_wait(&vq, 1000, &id, &len, &err), 0);
			assert_int_equal(id, head[i]);
			assert_int_equal(len, 0);
		}
		assert_int_equal(vq.nfree, 4);
		/* A chain of the whole queue, after the free list was reordered. */
		{
			struct hvt_qvirtq_buf four[4] = { b[0], b[0], b[0], b[1] };

			assert_int_equal(hvt_qvirtq_add(&vq, four, 4, &head[0], &err), 0);
			assert_int_equal(hvt_qvirtq_kick(&vq, &err), 0);
			assert_int_equal(hvt_qvirtq_wait(&vq, 1000, &id, &len, &err), 0);
			assert_int_equal(id, head[0]);
			assert_int_equal(len, 8);
			assert_int_equal(hvt_qtest_memread(f->q, in, got, sizeof(got), &err), 0);
			assert_int_equal(got[0], 30);
		}
		/* Ring indices wrap at 65536. */
		assert_int_equal(hvt_qtest_writew(f->q, vq.avail + 2, 65533, &err), 0);
		assert_int_equal(hvt_qtest_writew(f->q, vq.used + 2, 65533, &err), 0);
		vq.avail_idx = vq.last_used = 65533;
		for (int i = 0; i < 10; i++) {
			assert_int_equal(hvt_qvirtq_add(&vq, b, 2, &head[0], &err), 0);
			assert_int_equal(hvt_qvirtq_kick(&vq, &err), 0);
			assert_int_equal(hvt_qvirtq_wait(&vq, 1000, &id, &len, &err), 0);
			assert_int_equal(id, head[0]);
			assert_int_equal(len, 8);
		}
		assert_int_equal(vq.last_used, 7);
	}
	/* A used entry naming no chain the driver has out. */
	assert_int_equal(hvt_qtest_writel(f->q, vq.used + 4 + 8 * (vq.last_used % 4), 3, &err), 0);
	assert_int_equal(hvt_qtest_writew(f->q, vq.used + 2, (uint16_t)(vq.last_used + 1), &err), 0);
	assert_int_equal(hvt_qvirtq_wait(&vq, 1000, &id, &len, &err), -EPROTO);
	hvt_qvirtq_release(&vq);
	hvt_qvirtq_release(&vq);
	hvt_qmem_dealloc(f->mem, in);
	hvt_qmem_dealloc(f->mem, out);
	assert_int_equal(hvt_qmem_used(f->mem), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_negotiate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
