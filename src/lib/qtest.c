// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qtest client: commands are queued with how to decode their replies; one
 * pump sends what is queued and reads replies in order, taking the
 * asynchronous IRQ lines out of the stream wherever they arrive.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
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
#include "firmware.h"
#include "proc.h"
#include "qtest.h"
#include "sock.h"

#define DEFAULT_TIMEOUT_MS 10000
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
	char *tmpdir;		/* removed by free */
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
		return hvt_err_set(err, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
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

struct hvt_qtest *hvt_qtest_start(const struct hvt_qtest_opts *opts, struct hvt_err *err)
{
	const char *qemu = opts->qemu ? opts->qemu : hvt_qemu_binary();
	const char *machine = opts->machine ? opts->machine : "pc";
	struct hvt_strv argv = HVT_STRV_INIT;
	struct hvt_proc_opts po = { 0 };
	char tmpl[] = "/tmp/hvt-qtest-XXXXXX";
	char *sock = NULL, *qmp_sock = NULL, *fw = NULL;
	struct hvt_qtest *q;
	int lfd = -1, fd;

	q = hvt_zalloc(sizeof(*q));
	q->fd = -1;
	q->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	if (!mkdtemp(tmpl)) {
		hvt_err_set(err, -errno, "mkdtemp: %s", strerror(errno));
		goto err_free;
	}
	q->tmpdir = hvt_strdup(tmpl);
	q->stderr_path = hvt_asprintf("%s/qemu.stderr", opts->workdir ? opts->workdir : tmpl);
	unlink(q->stderr_path);
	sock = hvt_asprintf("%s/qtest.sock", tmpl);
	qmp_sock = hvt_asprintf("%s/qmp.sock", tmpl);
	fw = hvt_asprintf("%s/halt.fw", tmpl);
	if (hvt_fw_write_halt(fw, err))
		goto err_free;
	lfd = listen_unix(sock, err);
	if (lfd < 0)
		goto err_free;

	snprintf(q->accel, sizeof(q->accel), "%s", qemu_has_qtest_accel(qemu) ? "qtest" : "tcg");
	hvt_strv_push(&argv, qemu);
	hvt_strv_pushf(&argv, "-machine");
	hvt_strv_push(&argv, machine);
	hvt_strv_pushf(&argv, "-accel");
	hvt_strv_push(&argv, q->accel);
	hvt_strv_pushf(&argv, "-bios");
	hvt_strv_push(&argv, fw);
	hvt_strv_pushf(&argv, "-nodefaults");
	hvt_strv_pushf(&argv, "-display");
	hvt_strv_pushf(&argv, "none");
	hvt_strv_pushf(&argv, "-qtest");
	hvt_strv_pushf(&argv, "unix:%s", sock);
	hvt_strv_pushf(&argv, "-qtest-log");
	hvt_strv_push(&argv, opts->qtest_log ? opts->qtest_log : "/dev/null");
	if (!opts->no_qmp) {
		hvt_strv_pushf(&argv, "-qmp");
		hvt_strv_pushf(&argv, "unix:%s,server=on,wait=off", qmp_sock);
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
	if (!opts->no_qmp) {
		q->qmp = hvt_qmp_connect(qmp_sock, 10000, NULL, err);
		if (!q->qmp) {
			struct hvt_proc_status st;
			char buf[128], *tail;

			hvt_err_prefix(err, "QMP");
			if (hvt_proc_wait(q->proc, 1000, &st) == 0)
				hvt_err_append(err, " (QEMU %s)",
					       hvt_proc_status_str(&st, buf, sizeof(buf)));
			tail = hvt_file_tail(q->stderr_path, 5);
			if (tail && *tail)
				hvt_err_append(err, ": %s", tail);
			free(tail);
			goto err_free;
		}
	}
	if (opts->record && hvt_qtest_record(q, opts->record, machine, opts->args, err))
		goto err_free;
	close(lfd);
	free(sock);
	free(qmp_sock);
	free(fw);
	hvt_strv_release(&argv);
	return q;

err_free:
	if (lfd >= 0)
		close(lfd);
	free(sock);
	free(qmp_sock);
	free(fw);
	hvt_strv_release(&argv);
	hvt_qtest_free(q);
	return NULL;
}

void hvt_qtest_free(struct hvt_qtest *q)
{
	struct hvt_proc_status st;

	if (!q)
		return;
	if (q->rec)
		fclose(q->rec);
	if (q->qmp)
		hvt_qmp_free(q->qmp);
	if (q->fd >= 0)
		close(q->fd);
	if (q->proc) {
		hvt_proc_stop(q->proc, 2000, &st);
		hvt_proc_free(q->proc);
	}
	if (q->tmpdir) {
		if (!getenv("HVT_KEEP"))
			hvt_rm_rf(q->tmpdir);
		free(q->tmpdir);
	}
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
	if (!len || len > (256u << 20))
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
