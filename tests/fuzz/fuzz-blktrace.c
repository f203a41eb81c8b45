// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the block trace readers: the input is a trace file
 * from anywhere (fio iolog, blkparse text, hvtest's form), read as its
 * first line says and as each format in turn. Whatever it holds, a reader
 * answers without crashing; a trace it accepts holds requests within 2^63
 * bytes with times that start at 0 and never go back, and written in
 * hvtest's form it reads back the same. The model of what it does to a
 * small disk takes every request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blkmodel.h"
#include "blktrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct hvt_blktrace *t)
{
	struct hvt_blktrace u = HVT_BLKTRACE_INIT;
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_blkmodel m;

	if (!t->n)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		const struct hvt_blktrace_req *q = &t->reqs[i];

		if (q->op == HVT_BLKTRACE_FLUSH ? (q->offset || q->len) :
		    (!q->len || q->len > HVT_BLKTRACE_MAX_LEN || q->offset + q->len < q->offset ||
		     q->offset + q->len > (1ull << 63)))
			abort();
		if (t->timed ? (i ? q->t_us < t->reqs[i - 1].t_us : q->t_us != 0) : q->t_us != 0)
			abort();
	}
	hvt_blktrace_format(t, &b);
	if (hvt_blktrace_parse(&u, "again", b.p, b.len, NULL, &err) || u.n != t->n ||
	    u.timed != t->timed || u.size != t->size)
		abort();
	for (size_t i = 0; i < t->n; i++)
		if (u.reqs[i].op != t->reqs[i].op || u.reqs[i].offset != t->reqs[i].offset ||
		    u.reqs[i].len != t->reqs[i].len || u.reqs[i].t_us != t->reqs[i].t_us ||
		    u.reqs[i].unmap != t->reqs[i].unmap)
			abort();
	hvt_buf_release(&b);
	hvt_blktrace_release(&u);
	if (hvt_blkmodel_init(&m, 1 << 20, true, &err))
		abort();
	for (size_t i = 0; i < t->n; i++)
		hvt_blkmodel_apply(&m, &t->reqs[i], (uint32_t)(i + 1));
	hvt_blkmodel_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const selects[] = { NULL, "8,0", "254,16", "/dev/vdb", "a" };
	static const char *const actions[] = { NULL, "Q", "C", "D" };
	const char *text = (const char *)data;

	for (int f = HVT_BLKTRACE_AUTO; f <= HVT_BLKTRACE_BLKPARSE; f++) {
		struct hvt_blktrace t = HVT_BLKTRACE_INIT;
		struct hvt_err err = HVT_ERR_INIT;
		struct hvt_blktrace_opts o = { (enum hvt_blktrace_format)f,
					       selects[size ? data[0] % 5 : 0],
					       actions[size > 1 ? data[1] % 4 : 0] };

		if (hvt_blktrace_parse(&t, "fuzz", text, size, &o, &err) == 0)
			check(&t);
		else if (t.n || t.reqs || t.source || !err.msg[0])
			abort();
		hvt_blktrace_release(&t);
	}
	return 0;
}
