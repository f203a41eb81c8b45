// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A scripted fake QEMU or guest agent for the protocol client tests: a
 * thread that plays a list of steps on its end of a socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "fakepeer.h"
#include "jstream.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void peer_fail(struct fakepeer *fp, const char *fmt, ...) HVT_PRINTF(2, 3);

static void peer_fail(struct fakepeer *fp, const char *fmt, ...)
{
	va_list ap;

	if (fp->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(fp->failure, sizeof(fp->failure), fmt, ap);
	va_end(ap);
}

static void write_text(struct fakepeer *fp, const char *text)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_add(&b, "", 0);
	while (*text) {
		if (!strncmp(text, "%ID%", 4)) {
			hvt_buf_addf(&b, "%lld", (long long)fp->last_id);
			text += 4;
		} else if (!strncmp(text, "%LEN%", 5)) {
			hvt_buf_addf(&b, "%zu", fp->last_len);
			text += 5;
		} else {
			hvt_buf_add(&b, text++, 1);
		}
	}
	if (send(fp->fd, b.p, b.len, MSG_NOSIGNAL) != (ssize_t)b.len)
		peer_fail(fp, "server: short write");
	hvt_buf_release(&b);
}

static void expect(struct fakepeer *fp, struct hvt_jstream *js, const struct fakepeer_step *st)
{
	struct json_object *msg, *args;
	const char *cmd, *b64;

	while (!(msg = hvt_jstream_pop(js))) {
		struct pollfd pfd = { .fd = fp->fd, .events = POLLIN };
		char buf[65536];
		ssize_t n;

		if (poll(&pfd, 1, 5000) != 1) {
			peer_fail(fp, "server: no command '%s' within 5 s", st->text);
			return;
		}
		n = read(fp->fd, buf, sizeof(buf));
		if (n <= 0) {
			peer_fail(fp, "server: EOF while waiting for '%s'", st->text);
			return;
		}
		for (ssize_t i = 0; i < n; i++)
			fp->ff_seen += (unsigned char)buf[i] == 0xff;
		if (hvt_jstream_feed(js, buf, (size_t)n, NULL))
			peer_fail(fp, "server: bad JSON from client");
	}
	cmd = hvt_json_get_str(msg, "execute");
	args = hvt_json_get(msg, "arguments");
	if (!cmd || strcmp(cmd, st->text))
		peer_fail(fp, "server: expected '%s', got %s", st->text, hvt_json_str(msg));
	else if (!st->args && args)
		peer_fail(fp, "server: unexpected arguments in %s", hvt_json_str(msg));
	else if (st->args && strcmp(st->args, "*") && strcmp(hvt_json_str(args), st->args))
		peer_fail(fp, "server: expected arguments %s, got %s", st->args,
			  hvt_json_str(args));
	fp->last_id = hvt_json_get_int(msg, "id", -1);
	if (fp->last_id < 0)
		fp->last_id = hvt_json_get_int(args, "id", -1);
	b64 = hvt_json_get_str(args, "buf-b64");
	if (b64) {
		char *data;

		if (hvt_base64_decode(b64, strlen(b64), &data, &fp->last_len))
			peer_fail(fp, "server: bad base64");
		else
			hvt_buf_add(&fp->written, data, fp->last_len);
		free(data);
	}
	json_object_put(msg);
}

static void accept_first(struct fakepeer *fp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	sleep_ms(fp->listen_delay_ms);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fp->path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		peer_fail(fp, "server: cannot listen on %s", fp->path);
		close(lfd);
		return;
	}
	fp->fd = accept(lfd, NULL, NULL);
	close(lfd);
}

static void *peer_main(void *opaque)
{
	struct fakepeer *fp = opaque;
	struct hvt_jstream *js = hvt_jstream_new(0);

	if (fp->path) {
		accept_first(fp);
		if (fp->failure[0])
			goto out;
	}
	for (const struct fakepeer_step *st = fp->steps; ; st++) {
		switch (st->op) {
		case FP_WRITE:
			write_text(fp, st->text);
			continue;
		case FP_EXPECT:
			expect(fp, js, st);
			continue;
		case FP_SLEEP:
			sleep_ms(st->ms);
			continue;
		case FP_CLOSE:
			close(fp->fd);
			fp->fd = -1;
			goto out;
		case FP_END:
			break;
		}
		break;
	}
	/* Hold the connection open until the client hangs up. */
	for (;;) {
		struct pollfd pfd = { .fd = fp->fd, .events = POLLIN };
		char buf[4096];

		if (poll(&pfd, 1, 10000) != 1 || read(fp->fd, buf, sizeof(buf)) <= 0)
			break;
	}
	close(fp->fd);
	fp->fd = -1;
out:
	hvt_jstream_free(js);
	return NULL;
}

int fakepeer_start(struct fakepeer *fp, const struct fakepeer_step *steps)
{
	int sv[2];

	memset(fp, 0, sizeof(*fp));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fp->fd = sv[1];
	fp->steps = steps;
	assert_int_equal(pthread_create(&fp->thread, NULL, peer_main, fp), 0);
	return sv[0];
}

void fakepeer_listen(struct fakepeer *fp, const char *path, int delay_ms,
		     const struct fakepeer_step *steps)
{
	memset(fp, 0, sizeof(*fp));
	fp->fd = -1;
	fp->path = path;
	fp->listen_delay_ms = delay_ms;
	fp->steps = steps;
	assert_int_equal(pthread_create(&fp->thread, NULL, peer_main, fp), 0);
}

void fakepeer_finish(struct fakepeer *fp)
{
	pthread_join(fp->thread, NULL);
	hvt_buf_release(&fp->written);
	if (fp->failure[0])
		fail_msg("%s", fp->failure);
}
