// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON message channel (chan.h): the socket half of the QMP and guest
 * agent clients; what the messages mean is theirs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "sock.h"

#define RBUF_SIZE (64 * 1024)

int hvt_chan_init(struct hvt_chan *ch, int fd, const char *peer, bool resync,
		  struct hvt_err *err)
{
	int flags;

	memset(ch, 0, sizeof(*ch));
	ch->fd = fd;
	ch->peer = peer;
	ch->resync = resync;
	ch->js = hvt_jstream_new(HVT_JSTREAM_MAX_MSG_DEFAULT);
	ch->rbuf = hvt_malloc(RBUF_SIZE);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return hvt_err_set(err, -errno, "%s: bad file descriptor %d: %s", peer, fd,
				   strerror(errno));
	return 0;
}

void hvt_chan_release(struct hvt_chan *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	hvt_jstream_free(ch->js);
	ch->js = NULL;
	hvt_buf_release(&ch->wbuf);
	free(ch->rbuf);
	ch->rbuf = NULL;
}

int hvt_chan_set_broken(struct hvt_chan *ch, struct hvt_err *err, int code, const char *fmt,
			...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ch->broken_msg, sizeof(ch->broken_msg), fmt, ap);
	va_end(ap);
	ch->broken = code;
	return hvt_err_set(err, code, "%s", ch->broken_msg);
}

int hvt_chan_check(const struct hvt_chan *ch, struct hvt_err *err)
{
	if (!ch->broken)
		return 0;
	return hvt_err_set(err, ch->broken, "%s", ch->broken_msg);
}

int hvt_chan_fill(struct hvt_chan *ch, int64_t deadline, struct hvt_err *err)
{
	struct hvt_err ferr; /* only read when set */
	ssize_t n;
	int r;

	if (ch->broken)
		return hvt_chan_check(ch, err);
	n = hvt_sock_recv(ch->fd, ch->rbuf, RBUF_SIZE, deadline, NULL);
	if (n == -ETIMEDOUT)
		return -ETIMEDOUT;
	if (n == -ECONNRESET)
		return hvt_chan_set_broken(ch, err, -ECONNRESET, "%s connection closed by QEMU",
					   ch->peer);
	if (n < 0)
		return hvt_chan_set_broken(ch, err, (int)n, "cannot read from the %s socket: %s",
					   ch->peer, strerror((int)-n));
	r = hvt_jstream_feed(ch->js, ch->rbuf, (size_t)n, &ferr);
	if (!r)
		return 0;
	/* Without 0xFF resynchronisation (QMP) the stream is lost. */
	if (!ch->resync)
		return hvt_chan_set_broken(ch, err, r, "%s: %s", ch->peer, ferr.msg);
	return hvt_err_set(err, r, "%s: %s", ch->peer, ferr.msg);
}

int hvt_chan_send(struct hvt_chan *ch, const char *text, bool reset, int64_t deadline,
		  struct hvt_err *err)
{
	int r;

	if (ch->broken)
		return hvt_chan_check(ch, err);
	ch->wbuf.len = 0;
	if (reset)
		hvt_buf_add(&ch->wbuf, "\xff", 1);
	hvt_buf_add(&ch->wbuf, text, strlen(text));
	hvt_buf_add(&ch->wbuf, "\n", 1);
	r = hvt_sock_send_all(ch->fd, ch->wbuf.p, ch->wbuf.len, deadline, NULL);
	if (r == -ECONNRESET)
		return hvt_chan_set_broken(ch, err, r, "%s connection closed by QEMU", ch->peer);
	if (r && r != -ETIMEDOUT)
		return hvt_chan_set_broken(ch, err, r, "cannot write to the %s socket: %s",
					   ch->peer, strerror(-r));
	return r;
}
