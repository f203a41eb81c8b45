// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest protocol client: commands are queued with how to decode their
 * replies; one pump sends what is queued and reads replies in order,
 * taking the asynchronous IRQ lines out of the stream wherever they
 * arrive. Starting QEMU is qtest-machine.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base64.h"
#include "qtest-int.h"

#define DEFAULT_TIMEOUT_MS 10000
#define MAX_LINE (64u << 20)
#define SNIPPET 60
#define SMALL_BATCH 32768

struct pending {
	enum hvt_qtest_decode dec;
	unsigned int width;
	void *dst;
	size_t len;
	unsigned long seq;
	char cmd[SNIPPET];
};

struct hvt_qtest {
	int fd;
	/* the QEMU's owner (qtest-int.h), or NULL: open_fd, attach */
	const struct hvt_qtest_owner_ops *ops;
	void *owner;
	char accel[16];		/* the owner's accelerator; "": unknown */
	int timeout_ms;

	struct hvt_buf out;
	size_t out_off;
	char *in;
	size_t in_len, in_alloc;

	struct pending *pend;
	size_t pend_head, pend_n, pend_alloc;
	unsigned long seq;
	bool batch;
	struct hvt_err batch_err;

	FILE *rec;
	bool broken;
	struct hvt_err broken_err;

	bool level[HVT_QTEST_MAX_IRQ];
	uint64_t raised[HVT_QTEST_MAX_IRQ];
	hvt_qtest_irq_fn irq_fn;
	void *irq_opaque;

	bool quit_done;
	int quit_rc;
	struct hvt_err quit_err;
	hvt_qtest_quit_fn quit_fn;
	void *quit_opaque;
};

/* ---- state, errors, recording ---- */

static int set_broken(struct hvt_qtest *q, int code, const char *fmt, ...) HVT_PRINTF(3, 4);

static int set_broken(struct hvt_qtest *q, int code, const char *fmt, ...)
{
	va_list ap;

	if (q->broken)
		return q->broken_err.code;
	q->broken = true;
	va_start(ap, fmt);
	hvt_err_vset(&q->broken_err, code, fmt, ap);
	va_end(ap);
	return code;
}

static int broken(struct hvt_qtest *q, struct hvt_err *err)
{
	if (err)
		*err = q->broken_err;
	return q->broken_err.code;
}

static void record_line(struct hvt_qtest *q, char tag, const char *line, size_t len)
{
	if (!q->rec)
		return;
	fputc(tag, q->rec);
	fputc(' ', q->rec);
	fwrite(line, 1, len, q->rec);
	fputc('\n', q->rec);
}

/* ---- replies ---- */

static int reply_error(struct hvt_qtest *q, const struct pending *pd, int code,
		       const char *what, const char *line, size_t len)
{
	struct hvt_err *e = &q->batch_err;

	if (e->code)
		return 0;	/* keep the first */
	hvt_err_set(e, code, "qtest command %lu '%s': %s: %.*s", pd->seq, pd->cmd, what,
		    (int)(len > 512 ? 512 : len), line);
	return 0;
}

static void complete(struct hvt_qtest *q, struct pending *pd, const char *line, size_t len,
		     const struct hvt_qtest_line *pl)
{
	if (pd->dec == HVT_QTEST_DEC_RAW) {
		*(char **)pd->dst = hvt_strndup(line, len);
		return;
	}
	if (pl->kind == HVT_QTEST_LINE_FAIL || pl->kind == HVT_QTEST_LINE_ERR)
		reply_error(q, pd, -EREMOTEIO, "QEMU refused it", line, len);
	else if (hvt_qtest_decode(pd->dec, pd->width, pd->dst, pd->len, pl->rest, pl->rest_len))
		reply_error(q, pd, -EPROTO, "unexpected reply", line, len);
}

static int process_line(struct hvt_qtest *q, const char *line, size_t len)
{
	struct hvt_qtest_line pl;
	struct pending *pd;

	hvt_qtest_parse_line(line, len, &pl);
	if (pl.kind == HVT_QTEST_LINE_IRQ) {
		record_line(q, '!', line, len);
		if (pl.irq < HVT_QTEST_MAX_IRQ) {
			if (pl.raise && !q->level[pl.irq])
				q->raised[pl.irq]++;
			q->level[pl.irq] = pl.raise;
		}
		if (q->irq_fn)
			q->irq_fn(q->irq_opaque, pl.irq, pl.raise);
		return 0;
	}
	record_line(q, '<', line, len);
	if (!q->pend_n)
		return set_broken(q, -EPROTO, "qtest: a reply nobody waits for: %.*s",
				  (int)(len > 200 ? 200 : len), line);
	pd = &q->pend[q->pend_head];
	q->pend_head++;
	q->pend_n--;
	if (!q->pend_n)
		q->pend_head = 0;
	if (pl.kind == HVT_QTEST_LINE_BAD && pd->dec != HVT_QTEST_DEC_RAW)
		return set_broken(q, -EPROTO, "qtest command %lu '%s': not a qtest reply: %.*s",
				  pd->seq, pd->cmd, (int)(len > 200 ? 200 : len), line);
	complete(q, pd, line, len, &pl);
	return 0;
}

/* Process the complete lines in q->in; keep a partial one. */
static int process_input(struct hvt_qtest *q)
{
	char *p = q->in, *end = q->in + q->in_len, *nl;
	int r = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		r = process_line(q, p, (size_t)(nl - p));
		p = nl + 1;
		if (r)
			break;
	}
	if (p != q->in) {
		q->in_len = (size_t)(end - p);
		memmove(q->in, p, q->in_len);
	}
	if (!r && q->in_len > MAX_LINE)
		r = set_broken(q, -EPROTO, "qtest: a line longer than %u bytes", MAX_LINE);
	return r;
}

static void in_reserve(struct hvt_qtest *q, size_t n)
{
	if (q->in_alloc - q->in_len >= n)
		return;
	while (q->in_alloc - q->in_len < n)
		q->in_alloc = q->in_alloc ? q->in_alloc * 2 : 65536;
	q->in = hvt_realloc(q->in, q->in_alloc);
}

int hvt_qtest_feed(struct hvt_qtest *q, const void *data, size_t len, struct hvt_err *err)
{
	if (q->broken)
		return broken(q, err);
	in_reserve(q, len);
	memcpy(q->in + q->in_len, data, len);
	q->in_len += len;
	if (process_input(q))
		return broken(q, err);
	return 0;
}

/* ---- the pump ---- */

static int conn_lost(struct hvt_qtest *q, int code, const char *what)
{
	const struct pending *pd = q->pend_n ? &q->pend[q->pend_head] : NULL;

	if (code == -ECONNRESET || code == -EPIPE)
		set_broken(q, -ECONNRESET, "qtest: QEMU closed the connection%s%s%s",
			   pd ? " waiting for '" : "", pd ? pd->cmd : "", pd ? "'" : "");
	else
		set_broken(q, code, "qtest: %s: %s", what, strerror(-code));
	/* When QEMU went away, the owner says how it ended and what it printed. */
	if (q->ops)
		q->ops->lost(q->owner, &q->broken_err);
	return q->broken_err.code;
}

/* Read once into q->in; flags MSG_DONTWAIT or 0 (blocking with SO_RCVTIMEO). */
static int read_some(struct hvt_qtest *q, int flags)
{
	ssize_t n;

	in_reserve(q, 65536);
	do
		n = recv(q->fd, q->in + q->in_len, q->in_alloc - q->in_len, flags);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return conn_lost(q, -ECONNRESET, "read");
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		return conn_lost(q, -errno, "read");
	}
	q->in_len += (size_t)n;
	return process_input(q);
}

static int timed_out(struct hvt_qtest *q)
{
	const struct pending *pd = q->pend_n ? &q->pend[q->pend_head] : NULL;

	/* A late reply would be taken for the next command's: the connection is done. */
	return set_broken(q, -ETIMEDOUT, "qtest: no reply to command %lu '%s' within %d ms",
			  pd ? pd->seq : 0, pd ? pd->cmd : "", q->timeout_ms);
}

static int send_some(struct hvt_qtest *q, int flags)
{
	ssize_t n;

	do
		n = send(q->fd, q->out.p + q->out_off, q->out.len - q->out_off,
			 MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return flags ? -EAGAIN : timed_out(q);
		return conn_lost(q, -errno, "write");
	}
	q->out_off += (size_t)n;
	if (q->out_off == q->out.len) {
		q->out.len = 0;
		q->out_off = 0;
	}
	return 0;
}

/* Sync: blocking send, blocking reads (the socket's timeouts bound them). */
static int pump_sync(struct hvt_qtest *q)
{
	int r;

	while (q->out.len) {
		r = send_some(q, 0);
		if (r)
			return r;
	}
	while (q->pend_n) {
		r = read_some(q, 0);
		if (r == -EAGAIN)
			return timed_out(q);
		if (r)
			return r;
	}
	return 0;
}

/* Batch: write and read at once so that neither side blocks the other. */
static int pump_batch(struct hvt_qtest *q)
{
	int64_t deadline = hvt_now_ms() + q->timeout_ms;
	struct pollfd pfd;
	int r;

	while (q->out.len || q->pend_n) {
		bool progress = false;

		if (q->out.len) {
			r = send_some(q, MSG_DONTWAIT);
			if (r && r != -EAGAIN)
				return r;
			progress = !r;
		}
		r = read_some(q, MSG_DONTWAIT);
		if (r && r != -EAGAIN)
			return r;
		if (!r)
			progress = true;
		if (progress) {
			deadline = hvt_now_ms() + q->timeout_ms;
			continue;
		}
		pfd.fd = q->fd;
		pfd.events = POLLIN | (q->out.len ? POLLOUT : 0);
		r = poll(&pfd, 1, hvt_ms_left(deadline));
		if (r < 0 && errno != EINTR)
			return conn_lost(q, -errno, "poll");
		if (r == 0)
			return timed_out(q);
	}
	return 0;
}

static int finish(struct hvt_qtest *q, struct hvt_err *err)
{
	int r;

	r = pump_sync(q);
	if (r)
		return broken(q, err);
	if (q->batch_err.code) {
		r = q->batch_err.code;
		if (err)
			*err = q->batch_err;
		hvt_err_clear(&q->batch_err);
		q->batch_err.code = 0;
		return r;
	}
	return 0;
}

/* Queue one command (text without newline) with how to decode its reply. */
static int queue(struct hvt_qtest *q, enum hvt_qtest_decode dec, unsigned int width, void *dst,
		 size_t len, const char *text, size_t tlen, struct hvt_err *err)
{
	struct pending *pd;
	size_t n;

	if (q->broken)
		return broken(q, err);
	if (q->pend_head + q->pend_n == q->pend_alloc) {
		if (q->pend_head) {
			memmove(q->pend, q->pend + q->pend_head, q->pend_n * sizeof(*pd));
			q->pend_head = 0;
		} else {
			q->pend_alloc = q->pend_alloc ? q->pend_alloc * 2 : 64;
			q->pend = hvt_realloc(q->pend, q->pend_alloc * sizeof(*pd));
		}
	}
	pd = &q->pend[q->pend_head + q->pend_n++];
	pd->dec = dec;
	pd->width = width;
	pd->dst = dst;
	pd->len = len;
	pd->seq = ++q->seq;
	n = tlen < SNIPPET - 4 ? tlen : SNIPPET - 4;
	memcpy(pd->cmd, text, n);
	if (n < tlen)
		memcpy(pd->cmd + n, "...", 4);
	else
		pd->cmd[n] = '\0';
	record_line(q, '>', text, tlen);
	hvt_buf_add(&q->out, text, tlen);
	hvt_buf_add(&q->out, "\n", 1);
	if (q->batch)
		return 0;
	return finish(q, err);
}

static int queuef(struct hvt_qtest *q, enum hvt_qtest_decode dec, unsigned int width, void *dst,
		  size_t len, struct hvt_err *err, const char *fmt, ...) HVT_PRINTF(7, 8);

static int queuef(struct hvt_qtest *q, enum hvt_qtest_decode dec, unsigned int width, void *dst,
		  size_t len, struct hvt_err *err, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return hvt_err_set(err, -EINVAL, "qtest: command too long");
	return queue(q, dec, width, dst, len, buf, (size_t)n, err);
}

void hvt_qtest_batch_begin(struct hvt_qtest *q)
{
	if (q->batch)
		HVT_BUG("qtest batches do not nest");
	q->batch = true;
}

int hvt_qtest_batch_end(struct hvt_qtest *q, struct hvt_err *err)
{
	int r;

	if (!q->batch)
		HVT_BUG("qtest batch_end without batch_begin");
	/*
	 * A small batch cannot fill the socket while QEMU waits for us to read,
	 * so it goes the cheap way: one blocking send, blocking reads.
	 */
	if (q->broken)
		r = q->broken_err.code;
	else if (q->out.len <= SMALL_BATCH)
		r = pump_sync(q);
	else
		r = pump_batch(q);
	q->batch = false;
	if (r)
		return broken(q, err);
	return finish(q, err);
}

/* ---- set-up ---- */

static void set_sock_timeouts(struct hvt_qtest *q)
{
	struct timeval tv = { q->timeout_ms / 1000, (q->timeout_ms % 1000) * 1000 };

	setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(q->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void hvt_qtest_set_timeout(struct hvt_qtest *q, int timeout_ms)
{
	q->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	set_sock_timeouts(q);
}

struct hvt_qtest *hvt_qtest_open_fd(int fd, int timeout_ms, struct hvt_err *err)
{
	struct hvt_qtest *q;

	if (fd < 0) {
		hvt_err_set(err, -EBADF, "qtest: bad file descriptor %d", fd);
		return NULL;
	}
	q = hvt_zalloc(sizeof(*q));
	q->fd = fd;
	hvt_qtest_set_timeout(q, timeout_ms);
	return q;
}

int hvt_qtest_record(struct hvt_qtest *q, const char *path, const char *machine,
		     const char *const *args, struct hvt_err *err)
{
	if (q->rec)
		fclose(q->rec);
	q->rec = fopen(path, "we");
	if (!q->rec)
		return hvt_err_set(err, -errno, "cannot write qtest trace %s: %s", path,
				   strerror(errno));
	fprintf(q->rec, "# hvtest qtest trace 1\n@machine %s\n", machine ? machine : "pc");
	for (size_t i = 0; args && args[i]; i++)
		fprintf(q->rec, "@arg %s\n", args[i]);
	return 0;
}

void hvt_qtest_set_owner(struct hvt_qtest *q, const struct hvt_qtest_owner_ops *ops,
			 void *owner, const char *accel)
{
	q->ops = ops;
	q->owner = owner;
	snprintf(q->accel, sizeof(q->accel), "%s", accel);
}

void *hvt_qtest_owner(const struct hvt_qtest *q, const struct hvt_qtest_owner_ops *ops)
{
	return q->ops == ops ? q->owner : NULL;
}

void hvt_qtest_on_quit(struct hvt_qtest *q, hvt_qtest_quit_fn fn, void *opaque)
{
	q->quit_fn = fn;
	q->quit_opaque = opaque;
}

int hvt_qtest_quit(struct hvt_qtest *q, int timeout_ms, struct hvt_err *err)
{
	if (!q->quit_done) {
		q->quit_done = true;
		if (q->ops)
			q->quit_rc = q->ops->stop(q->owner, timeout_ms, &q->quit_err);
		if (q->fd >= 0) {
			close(q->fd);
			q->fd = -1;
		}
		set_broken(q, -ESHUTDOWN, "qtest: the connection was closed (hvt_qtest_quit)");
		if (q->quit_fn)
			q->quit_fn(q->quit_opaque, q->quit_rc, &q->quit_err);
	}
	if (q->quit_rc && err)
		*err = q->quit_err;
	return q->quit_rc;
}

void hvt_qtest_free(struct hvt_qtest *q)
{
	if (!q)
		return;
	hvt_qtest_quit(q, 0, NULL);
	if (q->ops)
		q->ops->release(q->owner);
	if (q->rec)
		fclose(q->rec);
	hvt_buf_release(&q->out);
	free(q->in);
	free(q->pend);
	free(q);
}

bool hvt_qtest_has_clock(const struct hvt_qtest *q)
{
	return !strcmp(q->accel, "qtest");
}

bool hvt_qtest_no_clock(const struct hvt_qtest *q)
{
	return q->accel[0] && strcmp(q->accel, "qtest");
}

const char *hvt_qtest_accel(const struct hvt_qtest *q)
{
	return q->accel;
}

int hvt_qtest_fd(const struct hvt_qtest *q)
{
	return q->fd;
}

unsigned long hvt_qtest_ncommands(const struct hvt_qtest *q)
{
	return q->seq;
}

/* ---- commands ---- */

int hvt_qtest_command(struct hvt_qtest *q, const char *line, char **reply, struct hvt_err *err)
{
	*reply = NULL;
	if (q->batch)
		HVT_BUG("hvt_qtest_command in a batch");
	if (!hvt_qtest_printable_line(line))
		return hvt_err_set(err, -EINVAL, "qtest: a command is one line of text");
	return queue(q, HVT_QTEST_DEC_RAW, 0, reply, 0, line, strlen(line), err);
}

int hvt_qtest_outb(struct hvt_qtest *q, uint16_t port, uint8_t v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, err, "outb 0x%x 0x%x", port, v);
}

int hvt_qtest_outw(struct hvt_qtest *q, uint16_t port, uint16_t v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, err, "outw 0x%x 0x%x", port, v);
}

int hvt_qtest_outl(struct hvt_qtest *q, uint16_t port, uint32_t v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, err, "outl 0x%x 0x%" PRIx32, port, v);
}

int hvt_qtest_inb(struct hvt_qtest *q, uint16_t port, uint8_t *v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_UINT, 1, v, 0, err, "inb 0x%x", port);
}

int hvt_qtest_inw(struct hvt_qtest *q, uint16_t port, uint16_t *v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_UINT, 2, v, 0, err, "inw 0x%x", port);
}

int hvt_qtest_inl(struct hvt_qtest *q, uint16_t port, uint32_t *v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_UINT, 4, v, 0, err, "inl 0x%x", port);
}

int hvt_qtest_writeb(struct hvt_qtest *q, uint64_t addr, uint8_t v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, err, "writeb 0x%" PRIx64 " 0x%x", addr, v);
}

int hvt_qtest_writew(struct hvt_qtest *q, uint64_t addr, uint16_t v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, err, "writew 0x%" PRIx64 " 0x%x", addr, v);
}

int hvt_qtest_writel(struct hvt_qtest *q, uint64_t addr, uint32_t v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, err,
		      "writel 0x%" PRIx64 " 0x%" PRIx32, addr, v);
}

int hvt_qtest_writeq(struct hvt_qtest *q, uint64_t addr, uint64_t v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, err,
		      "writeq 0x%" PRIx64 " 0x%" PRIx64, addr, v);
}

int hvt_qtest_readb(struct hvt_qtest *q, uint64_t addr, uint8_t *v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_UINT, 1, v, 0, err, "readb 0x%" PRIx64, addr);
}

int hvt_qtest_readw(struct hvt_qtest *q, uint64_t addr, uint16_t *v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_UINT, 2, v, 0, err, "readw 0x%" PRIx64, addr);
}

int hvt_qtest_readl(struct hvt_qtest *q, uint64_t addr, uint32_t *v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_UINT, 4, v, 0, err, "readl 0x%" PRIx64, addr);
}

int hvt_qtest_readq(struct hvt_qtest *q, uint64_t addr, uint64_t *v, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_UINT, 8, v, 0, err, "readq 0x%" PRIx64, addr);
}

static int check_len(size_t len, struct hvt_err *err)
{
	if (!len || len > HVT_QTEST_MAX_MEM_LEN)
		return hvt_err_set(err, -EINVAL, "qtest: bad memory access length %zu", len);
	return 0;
}

int hvt_qtest_memread(struct hvt_qtest *q, uint64_t addr, void *buf, size_t len,
		      struct hvt_err *err)
{
	if (check_len(len, err))
		return -EINVAL;
	return queuef(q, HVT_QTEST_DEC_B64, 0, buf, len, err,
		      "b64read 0x%" PRIx64 " 0x%zx", addr, len);
}

int hvt_qtest_memread_hex(struct hvt_qtest *q, uint64_t addr, void *buf, size_t len,
			  struct hvt_err *err)
{
	if (check_len(len, err))
		return -EINVAL;
	return queuef(q, HVT_QTEST_DEC_HEX, 0, buf, len, err,
		      "read 0x%" PRIx64 " 0x%zx", addr, len);
}

int hvt_qtest_memwrite(struct hvt_qtest *q, uint64_t addr, const void *buf, size_t len,
		       struct hvt_err *err)
{
	char *b64, *line;
	int r;

	if (check_len(len, err))
		return -EINVAL;
	b64 = hvt_base64_encode(buf, len);
	line = hvt_asprintf("b64write 0x%" PRIx64 " 0x%zx %s", addr, len, b64);
	r = queue(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, line, strlen(line), err);
	free(line);
	free(b64);
	return r;
}

int hvt_qtest_memwrite_hex(struct hvt_qtest *q, uint64_t addr, const void *buf, size_t len,
			   struct hvt_err *err)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = buf;
	struct hvt_buf line = HVT_BUF_INIT;
	int r;

	if (check_len(len, err))
		return -EINVAL;
	hvt_buf_addf(&line, "write 0x%" PRIx64 " 0x%zx 0x", addr, len);
	for (size_t i = 0; i < len; i++) {
		char h[2] = { digits[b[i] >> 4], digits[b[i] & 15] };

		hvt_buf_add(&line, h, 2);
	}
	r = queue(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, line.p, line.len, err);
	hvt_buf_release(&line);
	return r;
}

int hvt_qtest_memset(struct hvt_qtest *q, uint64_t addr, uint8_t v, size_t len,
		     struct hvt_err *err)
{
	if (check_len(len, err))
		return -EINVAL;
	return queuef(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, err,
		      "memset 0x%" PRIx64 " 0x%zx 0x%x", addr, len, v);
}

int hvt_qtest_endianness(struct hvt_qtest *q, bool *big, struct hvt_err *err)
{
	return queuef(q, HVT_QTEST_DEC_ENDIAN, 0, big, 0, err, "endianness");
}

static int intercept(struct hvt_qtest *q, const char *dir, const char *path,
		     struct hvt_err *err)
{
	char *line;
	int r;

	if (hvt_qtest_check_word("QOM path", path, err))
		return -EINVAL;
	line = hvt_asprintf("irq_intercept_%s %s", dir, path);
	r = queue(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, line, strlen(line), err);
	free(line);
	return r;
}

int hvt_qtest_irq_intercept_in(struct hvt_qtest *q, const char *qom_path, struct hvt_err *err)
{
	return intercept(q, "in", qom_path, err);
}

int hvt_qtest_irq_intercept_out(struct hvt_qtest *q, const char *qom_path, struct hvt_err *err)
{
	return intercept(q, "out", qom_path, err);
}

int hvt_qtest_set_irq_in(struct hvt_qtest *q, const char *qom_path, const char *name,
			 int num, int level, struct hvt_err *err)
{
	char *line;
	int r;

	if (!name)
		name = "unnamed-gpio-in";
	if (hvt_qtest_check_word("QOM path", qom_path, err) ||
	    hvt_qtest_check_word("GPIO name", name, err))
		return -EINVAL;
	if (num < 0)
		return hvt_err_set(err, -EINVAL, "qtest: bad IRQ number %d", num);
	line = hvt_asprintf("set_irq_in %s %s %d %d", qom_path, name, num, level);
	r = queue(q, HVT_QTEST_DEC_NONE, 0, NULL, 0, line, strlen(line), err);
	free(line);
	return r;
}

bool hvt_qtest_irq_level(const struct hvt_qtest *q, unsigned int n)
{
	return n < HVT_QTEST_MAX_IRQ && q->level[n];
}

uint64_t hvt_qtest_irq_raised(const struct hvt_qtest *q, unsigned int n)
{
	return n < HVT_QTEST_MAX_IRQ ? q->raised[n] : 0;
}

void hvt_qtest_on_irq(struct hvt_qtest *q, hvt_qtest_irq_fn fn, void *opaque)
{
	q->irq_fn = fn;
	q->irq_opaque = opaque;
}

void hvt_qtest_irq_reset_counts(struct hvt_qtest *q)
{
	memset(q->raised, 0, sizeof(q->raised));
}

int hvt_qtest_poll(struct hvt_qtest *q, int timeout_ms, struct hvt_err *err)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	int r;

	if (q->batch)
		HVT_BUG("hvt_qtest_poll in a batch");
	if (q->broken)
		return broken(q, err);
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0 && errno != EINTR)
		return hvt_err_set(err, -errno, "poll: %s", strerror(errno));
	if (r <= 0)
		return 0;
	r = read_some(q, MSG_DONTWAIT);
	if (r && r != -EAGAIN)
		return broken(q, err);
	return 0;
}

int hvt_qtest_irq_wait(struct hvt_qtest *q, unsigned int n, bool level, int timeout_ms,
		       struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	int r;

	if (n >= HVT_QTEST_MAX_IRQ)
		return hvt_err_set(err, -EINVAL, "qtest: IRQ %u out of range", n);
	while (q->level[n] != level) {
		if (hvt_now_ms() >= deadline)
			return hvt_err_set(err, -ETIMEDOUT, "IRQ %u not %s within %d ms", n,
					   level ? "raised" : "lowered", timeout_ms);
		r = hvt_qtest_poll(q, hvt_ms_left(deadline), err);
		if (r)
			return r;
	}
	return 0;
}

int hvt_qtest_clock_step(struct hvt_qtest *q, int64_t ns, int64_t *now, struct hvt_err *err)
{
	if (hvt_qtest_no_clock(q))
		return hvt_err_set(err, -ENOTSUP, "qtest: no virtual clock under %s", q->accel);
	if (ns < 0)
		return queuef(q, HVT_QTEST_DEC_CLOCK, 0, now, 0, err, "clock_step");
	return queuef(q, HVT_QTEST_DEC_CLOCK, 0, now, 0, err, "clock_step %" PRIi64, ns);
}

int hvt_qtest_clock_set(struct hvt_qtest *q, int64_t ns, int64_t *now, struct hvt_err *err)
{
	if (hvt_qtest_no_clock(q))
		return hvt_err_set(err, -ENOTSUP, "qtest: no virtual clock under %s", q->accel);
	if (ns < 0)
		return hvt_err_set(err, -EINVAL, "qtest: bad clock value %" PRIi64, ns);
	return queuef(q, HVT_QTEST_DEC_CLOCK, 0, now, 0, err, "clock_set %" PRIi64, ns);
}
