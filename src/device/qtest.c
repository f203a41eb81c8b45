// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest client: commands are queued with how to decode their replies; one
 * pump sends what is queued and reads replies in order, taking the
 * asynchronous IRQ lines out of the stream wherever they arrive.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "accel.h"
#include "base64.h"
#include "env.h"
#include "firmware.h"
#include "proc.h"
#include "qtest.h"
#include "sock.h"

#define DEFAULT_TIMEOUT_MS 10000
#define QUIT_TIMEOUT_MS 5000
#define MAX_MEM_LEN (256u << 20)
#define MAX_LINE (64u << 20)
#define SNIPPET 60
#define SMALL_BATCH 32768

enum decode {
	DEC_NONE,	/* "OK" */
	DEC_UINT,	/* "OK 0x..." into a 1/2/4/8-byte integer */
	DEC_B64,	/* "OK <base64>" into len bytes */
	DEC_HEX,	/* "OK 0x<hex>" into len bytes */
	DEC_CLOCK,	/* "OK <decimal ns>" */
	DEC_ENDIAN,	/* "OK little|big" */
	DEC_RAW,	/* the whole line, strdup'ed into a char ** */
};

struct pending {
	enum decode dec;
	unsigned int width;
	void *dst;
	size_t len;
	unsigned long seq;
	char cmd[SNIPPET];
};

struct hvt_qtest {
	int fd;
	struct hvt_proc *proc;
	struct hvt_qmp *qmp;
	char *workdir;
	bool own_workdir;	/* made by start: removed by free unless hvt_env_keep() */
	char *sock_path, *qmp_path, *fw_path;	/* removed by free */
	char *stderr_path;
	char accel[16];
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

/* ---- the line parser ---- */

static bool word_is(const char *p, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len >= n && !memcmp(p, w, n) && (len == n || p[n] == ' ');
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

enum hvt_qtest_line_kind hvt_qtest_parse_line(const char *line, size_t len,
					      struct hvt_qtest_line *out)
{
	const char *end = line + len, *p;
	unsigned long n = 0;

	memset(out, 0, sizeof(*out));
	out->kind = HVT_QTEST_LINE_BAD;
	if (len && line[len - 1] == '\r')
		end--, len--;
	if (word_is(line, len, "OK"))
		out->kind = HVT_QTEST_LINE_OK;
	else if (word_is(line, len, "FAIL"))
		out->kind = HVT_QTEST_LINE_FAIL;
	else if (word_is(line, len, "ERR"))
		out->kind = HVT_QTEST_LINE_ERR;
	else if (word_is(line, len, "IRQ"))
		out->kind = HVT_QTEST_LINE_IRQ;
	else
		return out->kind;
	p = memchr(line, ' ', len);
	p = p ? skip_blanks(p, end) : end;
	out->rest = p;
	out->rest_len = (size_t)(end - p);
	if (out->kind != HVT_QTEST_LINE_IRQ)
		return out->kind;

	if (word_is(p, (size_t)(end - p), "raise"))
		out->raise = true;
	else if (!word_is(p, (size_t)(end - p), "lower"))
		goto bad;
	p = skip_blanks(p + 5, end);
	if (p == end)
		goto bad;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 0xffffffffUL)
			goto bad;
	}
	if (skip_blanks(p, end) != end)
		goto bad;
	out->irq = (unsigned int)n;
	return out->kind;
bad:
	out->kind = HVT_QTEST_LINE_BAD;
	return out->kind;
}

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

/* When QEMU went away, say how it ended and what it printed. */
static void describe_exit(struct hvt_qtest *q)
{
	struct hvt_proc_status st;
	char buf[128], *tail;

	if (!q->proc)
		return;
	if (hvt_proc_wait(q->proc, 2000, &st) == 0)
		hvt_err_append(&q->broken_err, " (QEMU %s)", hvt_proc_status_str(&st, buf, sizeof(buf)));
	tail = q->stderr_path ? hvt_file_tail(q->stderr_path, 5) : NULL;
	if (tail && *tail)
		hvt_err_append(&q->broken_err, "; QEMU's stderr: %s", tail);
	free(tail);
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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool parse_hex_u64(const char *p, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t i;

	if (len < 3 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X') || len - 2 > 16)
		return false;
	for (i = 2; i < len; i++) {
		int d = hexval(p[i]);

		if (d < 0)
			return false;
		n = n << 4 | (uint64_t)d;
	}
	*v = n;
	return true;
}

static void store_uint(void *dst, unsigned int width, uint64_t v)
{
	switch (width) {
	case 1: *(uint8_t *)dst = (uint8_t)v; break;
	case 2: *(uint16_t *)dst = (uint16_t)v; break;
	case 4: *(uint32_t *)dst = (uint32_t)v; break;
	default: *(uint64_t *)dst = v; break;
	}
}

static void complete(struct hvt_qtest *q, struct pending *pd, const char *line, size_t len,
		     const struct hvt_qtest_line *pl)
{
	const char *r = pl->rest;
	size_t rl = pl->rest_len;
	uint64_t v;

	if (pd->dec == DEC_RAW) {
		*(char **)pd->dst = hvt_strndup(line, len);
		return;
	}
	if (pl->kind == HVT_QTEST_LINE_FAIL || pl->kind == HVT_QTEST_LINE_ERR) {
		reply_error(q, pd, -EREMOTEIO, "QEMU refused it", line, len);
		return;
	}
	switch (pd->dec) {
	case DEC_NONE:
		return;
	case DEC_UINT:
		if (!parse_hex_u64(r, rl, &v))
			goto bad;
		if (pd->width < 8 && v >> (pd->width * 8))
			goto bad;
		store_uint(pd->dst, pd->width, v);
		return;
	case DEC_B64: {
		char *data;
		size_t n;

		if (hvt_base64_decode(r, rl, &data, &n))
			goto bad;
		if (n != pd->len) {
			free(data);
			goto bad;
		}
		memcpy(pd->dst, data, n);
		free(data);
		return;
	}
	case DEC_HEX: {
		uint8_t *d = pd->dst;

		if (rl != 2 + 2 * pd->len || r[0] != '0' || r[1] != 'x')
			goto bad;
		for (size_t i = 0; i < pd->len; i++) {
			int hi = hexval(r[2 + 2 * i]), lo = hexval(r[3 + 2 * i]);

			if (hi < 0 || lo < 0)
				goto bad;
			d[i] = (uint8_t)(hi << 4 | lo);
		}
		return;
	}
	case DEC_CLOCK: {
		int64_t n = 0;
		size_t i;

		if (!rl || rl > 19)
			goto bad;
		for (i = 0; i < rl; i++) {
			if (!isdigit((unsigned char)r[i]))
				goto bad;
			n = n * 10 + (r[i] - '0');
		}
		if (pd->dst)
			*(int64_t *)pd->dst = n;
		return;
	}
	case DEC_ENDIAN:
		if (rl == 3 && !memcmp(r, "big", 3))
			*(bool *)pd->dst = true;
		else if (rl == 6 && !memcmp(r, "little", 6))
			*(bool *)pd->dst = false;
		else
			goto bad;
		return;
	default:
		break;
	}
bad:
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
	if (pl.kind == HVT_QTEST_LINE_BAD && pd->dec != DEC_RAW)
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
	describe_exit(q);
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
static int queue(struct hvt_qtest *q, enum decode dec, unsigned int width, void *dst,
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

static int queuef(struct hvt_qtest *q, enum decode dec, unsigned int width, void *dst,
		  size_t len, struct hvt_err *err, const char *fmt, ...) HVT_PRINTF(7, 8);

static int queuef(struct hvt_qtest *q, enum decode dec, unsigned int width, void *dst,
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

static bool qemu_has_qtest_accel(const char *qemu)
{
	static char cached_for[4096];
	static bool cached;
	const char *argv[] = { qemu, "-accel", "help", NULL };
	char *out = NULL;
	bool has = false;

	if (!strcmp(cached_for, qemu))
		return cached;
	if (hvt_proc_run(argv, 10000, &out, NULL) == 0 && out) {
		for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (!strncmp(l, "qtest", 5) && (l[5] == '\n' || l[5] == '\0'))
				has = true;
	}
	free(out);
	snprintf(cached_for, sizeof(cached_for), "%s", qemu);
	cached = has;
	return has;
}

static int listen_unix(const char *path, struct hvt_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return hvt_err_set(err, -ENAMETOOLONG, "socket path too long: %s (use a shorter "
				   "work directory, HVT_WORKDIR)", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);	/* a stale socket of an earlier machine in the same directory */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hvt_err_set(err, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		int e = errno;

		close(fd);
		return hvt_err_set(err, -e, "cannot listen on %s: %s", path, strerror(e));
	}
	return fd;
}

/* Accept QEMU's connection unless it dies first. */
static int accept_qemu(struct hvt_qtest *q, int lfd, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	struct hvt_proc_status st;
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	char buf[128], *tail;
	int fd, r;

	for (;;) {
		r = poll(&pfd, 1, 100);
		if (r > 0) {
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				return fd;
		}
		if (hvt_proc_poll(q->proc, &st) == 1) {
			hvt_err_set(err, -ECHILD, "QEMU %s before connecting its qtest socket",
				    hvt_proc_status_str(&st, buf, sizeof(buf)));
			goto tail;
		}
		if (hvt_now_ms() >= deadline) {
			hvt_err_set(err, -ETIMEDOUT, "QEMU did not connect its qtest socket within %d ms",
				    timeout_ms);
			goto tail;
		}
	}
tail:
	tail = hvt_file_tail(q->stderr_path, 5);
	if (tail && *tail)
		hvt_err_append(err, ": %s", tail);
	free(tail);
	return err ? err->code : -ECHILD;
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

/* The machine's directory: the one given (made if missing), or a new one under hvt_env_workdir(). */
static int make_workdir(struct hvt_qtest *q, const char *given, struct hvt_err *err)
{
	const char *base = given ? given : hvt_env_workdir();
	int r = hvt_mkdir_p(base, 0755, err);

	if (r)
		return r;
	if (given) {
		q->workdir = hvt_strdup(given);
		return 0;
	}
	q->workdir = hvt_asprintf("%s/hvt-qtest-XXXXXX", base);
	if (!mkdtemp(q->workdir))
		return hvt_err_set(err, -errno, "cannot create a work directory in %s: %s", base,
				   strerror(errno));
	q->own_workdir = true;
	return 0;
}

/* QEMU's error, when it ended or hung instead of connecting: its status and stderr. */
static void qemu_failed_to_connect(struct hvt_qtest *q, struct hvt_err *err)
{
	struct hvt_proc_status st;
	char buf[128], *tail;

	if (hvt_proc_wait(q->proc, 1000, &st) == 0)
		hvt_err_append(err, " (QEMU %s)", hvt_proc_status_str(&st, buf, sizeof(buf)));
	tail = hvt_file_tail(q->stderr_path, 5);
	if (tail && *tail)
		hvt_err_append(err, ": %s", tail);
	free(tail);
}

struct hvt_qtest *hvt_qtest_start(const struct hvt_qtest_opts *opts, struct hvt_err *err)
{
	const char *qemu = opts->qemu ? opts->qemu : hvt_qemu_binary();
	const char *machine = opts->machine ? opts->machine : "pc";
	struct hvt_strv argv = HVT_STRV_INIT;
	struct hvt_proc_opts po = { 0 };
	struct hvt_qtest *q;
	int lfd = -1, fd;

	q = hvt_zalloc(sizeof(*q));
	q->fd = -1;
	q->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	if (make_workdir(q, opts->workdir, err))
		goto err_free;
	q->stderr_path = hvt_asprintf("%s/qemu.stderr", q->workdir);
	unlink(q->stderr_path);
	q->fw_path = hvt_asprintf("%s/halt.fw", q->workdir);
	if (hvt_fw_write_halt(q->fw_path, err))
		goto err_free;
	q->sock_path = hvt_asprintf("%s/qtest.sock", q->workdir);
	if (!opts->no_qmp)
		q->qmp_path = hvt_asprintf("%s/qmp.sock", q->workdir);
	/* Checks the length of the longest socket path, QMP's included. */
	lfd = listen_unix(q->sock_path, err);
	if (lfd < 0)
		goto err_free;

	snprintf(q->accel, sizeof(q->accel), "%s", qemu_has_qtest_accel(qemu) ? "qtest" : "tcg");
	hvt_strv_push(&argv, qemu);
	hvt_strv_pushf(&argv, "-machine");
	hvt_strv_push(&argv, machine);
	hvt_strv_pushf(&argv, "-accel");
	hvt_strv_push(&argv, q->accel);
	hvt_strv_pushf(&argv, "-bios");
	hvt_strv_push(&argv, q->fw_path);
	hvt_strv_pushf(&argv, "-nodefaults");
	hvt_strv_pushf(&argv, "-display");
	hvt_strv_pushf(&argv, "none");
	hvt_strv_pushf(&argv, "-qtest");
	hvt_strv_pushf(&argv, "unix:%s", q->sock_path);
	hvt_strv_pushf(&argv, "-qtest-log");
	hvt_strv_push(&argv, opts->qtest_log ? opts->qtest_log : "/dev/null");
	if (q->qmp_path) {
		hvt_strv_pushf(&argv, "-qmp");
		hvt_strv_pushf(&argv, "unix:%s,server=on,wait=off", q->qmp_path);
	}
	for (size_t i = 0; opts->args && opts->args[i]; i++)
		hvt_strv_push(&argv, opts->args[i]);

	po.argv = (const char *const *)argv.v;
	po.stderr_path = q->stderr_path;
	q->proc = hvt_proc_spawn(&po, err);
	if (!q->proc)
		goto err_free;
	fd = accept_qemu(q, lfd, 15000, err);
	if (fd < 0)
		goto err_free;
	q->fd = fd;
	set_sock_timeouts(q);
	close(lfd);
	lfd = -1;
	/* QEMU is connected: its QMP socket is listening already. */
	if (q->qmp_path && !opts->qmp_socket_only) {
		q->qmp = hvt_qmp_connect(q->qmp_path, 10000, NULL, err);
		if (!q->qmp) {
			hvt_err_prefix(err, "QMP");
			qemu_failed_to_connect(q, err);
			goto err_free;
		}
	}
	if (opts->record && hvt_qtest_record(q, opts->record, machine, opts->args, err))
		goto err_free;
	hvt_strv_release(&argv);
	return q;

err_free:
	if (lfd >= 0)
		close(lfd);
	hvt_strv_release(&argv);
	hvt_qtest_free(q);
	return NULL;
}

struct hvt_qtest *hvt_qtest_attach(const char *path, int connect_ms, int timeout_ms,
				   struct hvt_err *err)
{
	int fd = hvt_sock_connect_unix(path, connect_ms, err);

	if (fd < 0)
		return NULL;
	return hvt_qtest_open_fd(fd, timeout_ms, err);
}

void hvt_qtest_on_quit(struct hvt_qtest *q, hvt_qtest_quit_fn fn, void *opaque)
{
	q->quit_fn = fn;
	q->quit_opaque = opaque;
}

/* How QEMU ended, into q->quit_err; 0 only for exit code 0. */
static int stop_qemu(struct hvt_qtest *q, int timeout_ms)
{
	struct hvt_err *e = &q->quit_err;
	struct hvt_proc_status st;
	char how[128], *tail;
	int killed;

	killed = hvt_proc_stop(q->proc, timeout_ms, &st);
	if (killed < 0)
		return hvt_err_set(e, -ECHILD, "QEMU did not end, even on SIGKILL");
	hvt_proc_status_str(&st, how, sizeof(how));
	if (killed)
		hvt_err_set(e, -ECHILD, "QEMU did not exit within %d ms of SIGTERM and was "
			    "killed", timeout_ms);
	else if (!st.exited)
		hvt_err_set(e, -ECHILD, "QEMU was %s", how);
	else if (st.code)
		hvt_err_set(e, -ECHILD, "QEMU %s", how);
	else
		return 0;
	tail = q->stderr_path ? hvt_file_tail(q->stderr_path, 5) : NULL;
	if (tail && *tail)
		hvt_err_append(e, "; QEMU's stderr: %s", tail);
	free(tail);
	return e->code;
}

int hvt_qtest_quit(struct hvt_qtest *q, int timeout_ms, struct hvt_err *err)
{
	if (!q->quit_done) {
		q->quit_done = true;
		if (q->qmp) {
			hvt_qmp_free(q->qmp);
			q->qmp = NULL;
		}
		if (q->proc)
			q->quit_rc = stop_qemu(q, timeout_ms > 0 ? timeout_ms : QUIT_TIMEOUT_MS);
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

static void unlink_path(const char *path)
{
	if (path)
		unlink(path);
}

void hvt_qtest_free(struct hvt_qtest *q)
{
	if (!q)
		return;
	hvt_qtest_quit(q, 0, NULL);
	if (q->rec)
		fclose(q->rec);
	hvt_proc_free(q->proc);
	unlink_path(q->sock_path);
	unlink_path(q->qmp_path);
	unlink_path(q->fw_path);
	if (q->own_workdir && !hvt_env_keep())
		hvt_rm_rf(q->workdir);
	free(q->workdir);
	free(q->sock_path);
	free(q->qmp_path);
	free(q->fw_path);
	free(q->stderr_path);
	hvt_buf_release(&q->out);
	free(q->in);
	free(q->pend);
	free(q);
}

struct hvt_qmp *hvt_qtest_qmp(struct hvt_qtest *q)
{
	return q->qmp;
}

const char *hvt_qtest_qmp_path(const struct hvt_qtest *q)
{
	return q->qmp_path;
}

const char *hvt_qtest_workdir(const struct hvt_qtest *q)
{
	return q->workdir;
}

pid_t hvt_qtest_pid(const struct hvt_qtest *q)
{
	return q->proc ? hvt_proc_pid(q->proc) : -1;
}

bool hvt_qtest_has_clock(const struct hvt_qtest *q)
{
	return !strcmp(q->accel, "qtest");
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

static bool printable_line(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A QOM path or a GPIO name: one word, no control characters. */
static int check_word(const char *what, const char *s, struct hvt_err *err)
{
	if (!s || !printable_line(s) || strchr(s, ' ') || strlen(s) > 1000)
		return hvt_err_set(err, -EINVAL, "qtest: bad %s '%s'", what, s ? s : "(null)");
	return 0;
}

/*
 * What QEMU's qtest server parses, argument by argument; it asserts on
 * what it cannot parse, which ends QEMU. One letter per argument:
 *   p  port (unsigned, up to 0xffff)     u  unsigned 64-bit number
 *   i  int                               I  int64_t
 *   n  memory length (1..MAX_MEM_LEN)    z  memset length (0..MAX_MEM_LEN)
 *   h  0x hex data for the length before b  base64 data for the length before
 *   w  a word (QOM path, GPIO name)      ?  the arguments after are optional
 */
static const struct cmd_syntax {
	const char *name, *args, *usage;
} cmd_syntax[] = {
	{ "outb", "pu", "PORT VALUE" }, { "outw", "pu", "PORT VALUE" },
	{ "outl", "pu", "PORT VALUE" }, { "inb", "p", "PORT" },
	{ "inw", "p", "PORT" }, { "inl", "p", "PORT" },
	{ "writeb", "uu", "ADDR VALUE" }, { "writew", "uu", "ADDR VALUE" },
	{ "writel", "uu", "ADDR VALUE" }, { "writeq", "uu", "ADDR VALUE" },
	{ "readb", "u", "ADDR" }, { "readw", "u", "ADDR" },
	{ "readl", "u", "ADDR" }, { "readq", "u", "ADDR" },
	{ "read", "un", "ADDR LEN" }, { "b64read", "un", "ADDR LEN" },
	{ "write", "unh", "ADDR LEN 0xHEX" }, { "b64write", "unb", "ADDR LEN BASE64" },
	{ "memset", "uzu", "ADDR LEN BYTE" }, { "endianness", "", "" },
	{ "irq_intercept_in", "w", "QOM-PATH" }, { "irq_intercept_out", "w", "QOM-PATH" },
	{ "set_irq_in", "wwii", "QOM-PATH NAME NUM LEVEL" },
	{ "clock_step", "?I", "[NS]" }, { "clock_set", "I", "NS" },
	{ "module_load", "ww", "PREFIX NAME" },
};

/* A number as QEMU's qemu_strto*() with base 0 and no end pointer takes it. */
static bool parse_number(const char *s, bool is_signed, int64_t min, uint64_t max,
			 uint64_t *out)
{
	bool neg = is_signed && *s == '-';
	unsigned long long v;
	char *end;

	if (neg)
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	if (neg ? v > (uint64_t)-(min + 1) + 1 : v > max)
		return false;
	*out = neg ? -(uint64_t)v : v;
	return true;
}

static int check_arg(char kind, const char *w, uint64_t prev, struct hvt_err *err)
{
	uint64_t v;
	size_t n;

	switch (kind) {
	case 'p':
		if (!parse_number(w, false, 0, 0xffff, &v))
			return hvt_err_set(err, -EINVAL, "'%s' is not a port (0 to 0xffff)", w);
		return 0;
	case 'u':
		if (!parse_number(w, false, 0, UINT64_MAX, &v))
			return hvt_err_set(err, -EINVAL, "'%s' is not an unsigned 64-bit number "
					   "(decimal, 0x hex or 0 octal)", w);
		return 0;
	case 'i':
		if (!parse_number(w, true, INT_MIN, INT_MAX, &v))
			return hvt_err_set(err, -EINVAL, "'%s' is not an int", w);
		return 0;
	case 'I':
		if (!parse_number(w, true, INT64_MIN, INT64_MAX, &v))
			return hvt_err_set(err, -EINVAL, "'%s' is not a 64-bit integer", w);
		return 0;
	case 'n':
	case 'z':
		if (!parse_number(w, false, 0, MAX_MEM_LEN, &v) || (kind == 'n' && !v))
			return hvt_err_set(err, -EINVAL, "'%s' is not a length from %d to %u", w,
					   kind == 'n', MAX_MEM_LEN);
		return 0;
	case 'h':
		n = strlen(w);
		if (n < 4 || w[0] != '0' || w[1] != 'x' || n % 2 ||
		    strspn(w + 2, "0123456789abcdefABCDEF") != n - 2)
			return hvt_err_set(err, -EINVAL, "the data is not 0x and pairs of hex digits");
		if ((n - 2) / 2 > prev)
			return hvt_err_set(err, -EINVAL, "%zu bytes of data for a length of %" PRIu64,
					   (n - 2) / 2, prev);
		return 0;
	case 'b': {
		char *data = NULL;

		if (hvt_base64_decode(w, strlen(w), &data, &n))
			return hvt_err_set(err, -EINVAL, "the data is not base64");
		free(data);
		if (n != prev)
			return hvt_err_set(err, -EINVAL, "%zu bytes of data for a length of %" PRIu64,
					   n, prev);
		return 0;
	}
	default:
		return check_word("word", w, err);
	}
}

int hvt_qtest_check_command(const struct hvt_qtest *q, const char *line, struct hvt_err *err)
{
	const struct cmd_syntax *cs = NULL;
	char *copy, *words[8], *p;
	size_t nw = 0, name_len;
	uint64_t prev = 0;
	const char *a;
	int r = 0;

	if (!printable_line(line))
		return hvt_err_set(err, -EINVAL, "qtest: a command is one line of printable text");
	name_len = strcspn(line, " ");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(cmd_syntax) && !cs; i++)
		if (strlen(cmd_syntax[i].name) == name_len &&
		    !memcmp(cmd_syntax[i].name, line, name_len))
			cs = &cmd_syntax[i];
	if (!cs)
		return hvt_err_set(err, -EINVAL, "qtest: unknown command '%.*s'", (int)name_len, line);
	if (q && q->proc && !hvt_qtest_has_clock(q) && !strncmp(cs->name, "clock_", 6))
		return hvt_err_set(err, -ENOTSUP, "qtest: no virtual clock under %s", q->accel);

	/* QEMU splits at every blank: two in a row, or one at an end, make an empty word. */
	copy = hvt_strdup(line);
	for (p = copy; ; ) {
		char *sp = strchr(p, ' ');

		if (sp)
			*sp = '\0';
		if (!*p) {
			r = hvt_err_set(err, -EINVAL, "qtest: an empty word (blanks in a row, or "
					"at an end)");
			goto out;
		}
		if (nw < HVT_ARRAY_SIZE(words))
			words[nw] = p;
		nw++;
		if (!sp)
			break;
		p = sp + 1;
	}
	{
		size_t need = strcspn(cs->args, "?"), most = strlen(cs->args) - (need < strlen(cs->args));

		if (nw - 1 < need || nw - 1 > most) {
			r = hvt_err_set(err, -EINVAL, "qtest: usage: %s%s%s", cs->name,
					*cs->usage ? " " : "", cs->usage);
			goto out;
		}
	}
	a = cs->args;
	for (size_t i = 1; i < nw; i++, a++) {
		if (*a == '?')
			a++;
		r = check_arg(*a, words[i], prev, err);
		if (r) {
			hvt_err_prefix(err, "qtest: %s, argument %zu", cs->name, i);
			goto out;
		}
		if (*a == 'n' || *a == 'z')
			parse_number(words[i], false, 0, MAX_MEM_LEN, &prev);
	}
out:
	free(copy);
	return r;
}

int hvt_qtest_command(struct hvt_qtest *q, const char *line, char **reply, struct hvt_err *err)
{
	*reply = NULL;
	if (q->batch)
		HVT_BUG("hvt_qtest_command in a batch");
	if (!printable_line(line))
		return hvt_err_set(err, -EINVAL, "qtest: a command is one line of text");
	return queue(q, DEC_RAW, 0, reply, 0, line, strlen(line), err);
}

int hvt_qtest_outb(struct hvt_qtest *q, uint16_t port, uint8_t v, struct hvt_err *err)
{
	return queuef(q, DEC_NONE, 0, NULL, 0, err, "outb 0x%x 0x%x", port, v);
}

int hvt_qtest_outw(struct hvt_qtest *q, uint16_t port, uint16_t v, struct hvt_err *err)
{
	return queuef(q, DEC_NONE, 0, NULL, 0, err, "outw 0x%x 0x%x", port, v);
}

int hvt_qtest_outl(struct hvt_qtest *q, uint16_t port, uint32_t v, struct hvt_err *err)
{
	return queuef(q, DEC_NONE, 0, NULL, 0, err, "outl 0x%x 0x%" PRIx32, port, v);
}

int hvt_qtest_inb(struct hvt_qtest *q, uint16_t port, uint8_t *v, struct hvt_err *err)
{
	return queuef(q, DEC_UINT, 1, v, 0, err, "inb 0x%x", port);
}

int hvt_qtest_inw(struct hvt_qtest *q, uint16_t port, uint16_t *v, struct hvt_err *err)
{
	return queuef(q, DEC_UINT, 2, v, 0, err, "inw 0x%x", port);
}

int hvt_qtest_inl(struct hvt_qtest *q, uint16_t port, uint32_t *v, struct hvt_err *err)
{
	return queuef(q, DEC_UINT, 4, v, 0, err, "inl 0x%x", port);
}

int hvt_qtest_writeb(struct hvt_qtest *q, uint64_t addr, uint8_t v, struct hvt_err *err)
{
	return queuef(q, DEC_NONE, 0, NULL, 0, err, "writeb 0x%" PRIx64 " 0x%x", addr, v);
}

int hvt_qtest_writew(struct hvt_qtest *q, uint64_t addr, uint16_t v, struct hvt_err *err)
{
	return queuef(q, DEC_NONE, 0, NULL, 0, err, "writew 0x%" PRIx64 " 0x%x", addr, v);
}

int hvt_qtest_writel(struct hvt_qtest *q, uint64_t addr, uint32_t v, struct hvt_err *err)
{
	return queuef(q, DEC_NONE, 0, NULL, 0, err, "writel 0x%" PRIx64 " 0x%" PRIx32, addr, v);
}

int hvt_qtest_writeq(struct hvt_qtest *q, uint64_t addr, uint64_t v, struct hvt_err *err)
{
	return queuef(q, DEC_NONE, 0, NULL, 0, err, "writeq 0x%" PRIx64 " 0x%" PRIx64, addr, v);
}

int hvt_qtest_readb(struct hvt_qtest *q, uint64_t addr, uint8_t *v, struct hvt_err *err)
{
	return queuef(q, DEC_UINT, 1, v, 0, err, "readb 0x%" PRIx64, addr);
}

int hvt_qtest_readw(struct hvt_qtest *q, uint64_t addr, uint16_t *v, struct hvt_err *err)
{
	return queuef(q, DEC_UINT, 2, v, 0, err, "readw 0x%" PRIx64, addr);
}

int hvt_qtest_readl(struct hvt_qtest *q, uint64_t addr, uint32_t *v, struct hvt_err *err)
{
	return queuef(q, DEC_UINT, 4, v, 0, err, "readl 0x%" PRIx64, addr);
}

int hvt_qtest_readq(struct hvt_qtest *q, uint64_t addr, uint64_t *v, struct hvt_err *err)
{
	return queuef(q, DEC_UINT, 8, v, 0, err, "readq 0x%" PRIx64, addr);
}

static int check_len(size_t len, struct hvt_err *err)
{
	if (!len || len > MAX_MEM_LEN)
		return hvt_err_set(err, -EINVAL, "qtest: bad memory access length %zu", len);
	return 0;
}

int hvt_qtest_memread(struct hvt_qtest *q, uint64_t addr, void *buf, size_t len,
		      struct hvt_err *err)
{
	if (check_len(len, err))
		return -EINVAL;
	return queuef(q, DEC_B64, 0, buf, len, err, "b64read 0x%" PRIx64 " 0x%zx", addr, len);
}

int hvt_qtest_memread_hex(struct hvt_qtest *q, uint64_t addr, void *buf, size_t len,
			  struct hvt_err *err)
{
	if (check_len(len, err))
		return -EINVAL;
	return queuef(q, DEC_HEX, 0, buf, len, err, "read 0x%" PRIx64 " 0x%zx", addr, len);
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
	r = queue(q, DEC_NONE, 0, NULL, 0, line, strlen(line), err);
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
	r = queue(q, DEC_NONE, 0, NULL, 0, line.p, line.len, err);
	hvt_buf_release(&line);
	return r;
}

int hvt_qtest_memset(struct hvt_qtest *q, uint64_t addr, uint8_t v, size_t len,
		     struct hvt_err *err)
{
	if (check_len(len, err))
		return -EINVAL;
	return queuef(q, DEC_NONE, 0, NULL, 0, err, "memset 0x%" PRIx64 " 0x%zx 0x%x", addr,
		      len, v);
}

int hvt_qtest_endianness(struct hvt_qtest *q, bool *big, struct hvt_err *err)
{
	return queuef(q, DEC_ENDIAN, 0, big, 0, err, "endianness");
}

static int intercept(struct hvt_qtest *q, const char *dir, const char *path,
		     struct hvt_err *err)
{
	char *line;
	int r;

	if (check_word("QOM path", path, err))
		return -EINVAL;
	line = hvt_asprintf("irq_intercept_%s %s", dir, path);
	r = queue(q, DEC_NONE, 0, NULL, 0, line, strlen(line), err);
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
	if (check_word("QOM path", qom_path, err) || check_word("GPIO name", name, err))
		return -EINVAL;
	if (num < 0)
		return hvt_err_set(err, -EINVAL, "qtest: bad IRQ number %d", num);
	line = hvt_asprintf("set_irq_in %s %s %d %d", qom_path, name, num, level);
	r = queue(q, DEC_NONE, 0, NULL, 0, line, strlen(line), err);
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
	if (q->proc && !hvt_qtest_has_clock(q))
		return hvt_err_set(err, -ENOTSUP, "qtest: no virtual clock under %s", q->accel);
	if (ns < 0)
		return queuef(q, DEC_CLOCK, 0, now, 0, err, "clock_step");
	return queuef(q, DEC_CLOCK, 0, now, 0, err, "clock_step %" PRIi64, ns);
}

int hvt_qtest_clock_set(struct hvt_qtest *q, int64_t ns, int64_t *now, struct hvt_err *err)
{
	if (q->proc && !hvt_qtest_has_clock(q))
		return hvt_err_set(err, -ENOTSUP, "qtest: no virtual clock under %s", q->accel);
	if (ns < 0)
		return hvt_err_set(err, -EINVAL, "qtest: bad clock value %" PRIi64, ns);
	return queuef(q, DEC_CLOCK, 0, now, 0, err, "clock_set %" PRIi64, ns);
}
