/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The channel QMP and the guest agent share: JSON messages over a stream
 * socket, read with deadlines into a framer and written whole, and a
 * broken state after which every call fails with the same error.
 */
#ifndef HVT_CHAN_H
#define HVT_CHAN_H

#include <stdbool.h>
#include <stdint.h>

#include "jstream.h"
#include "util.h"

/* Embedded in its client (struct hvt_qmp, struct hvt_qga); fields read-only. */
struct hvt_chan {
	int fd;			/* non-blocking; -1 before init */
	const char *peer;	/* "QMP", "guest agent": starts messages */
	bool resync;		/* framing errors are not final (the agent's 0xFF) */
	struct hvt_jstream *js;	/* what was read: whole messages, hvt_jstream_pop() */
	int broken;		/* 0, or the error that ended the channel */
	char broken_msg[512];
	char *rbuf;
	struct hvt_buf wbuf;
};

/*
 * Take fd over (made non-blocking) for a peer named peer (a string that
 * outlives ch). With resync, a framing error only makes the framer wait
 * for a 0xFF; without, it breaks the channel. Returns 0 or -errno with
 * err set ("<peer>: bad file descriptor"); release ch in either case.
 */
int hvt_chan_init(struct hvt_chan *ch, int fd, const char *peer, bool resync,
		  struct hvt_err *err);
/* Close the fd and free the buffers (also after a failed init). */
void hvt_chan_release(struct hvt_chan *ch);

/* Break the channel for good with a message; err gets it; returns code. */
int hvt_chan_set_broken(struct hvt_chan *ch, struct hvt_err *err, int code, const char *fmt,
			...) HVT_PRINTF(4, 5);
/* 0 while the channel works; once broken, its error (into err). */
int hvt_chan_check(const struct hvt_chan *ch, struct hvt_err *err);

/*
 * Wait for data until deadline (a hvt_now_ms() value) and feed it to
 * ch->js. Returns 0; -ETIMEDOUT with err untouched; -EBADMSG or -EMSGSIZE
 * for a framing error ("<peer>: ...", final unless resync; messages
 * framed before it stay queued); or another error, final: end of file
 * (-ECONNRESET, "<peer> connection closed by QEMU") or a failed read.
 */
int hvt_chan_fill(struct hvt_chan *ch, int64_t deadline, struct hvt_err *err);
/*
 * Send text (one JSON message, no newline) and a newline, after a 0xFF
 * byte when reset. Returns 0; -ETIMEDOUT with err untouched when the
 * peer does not read by deadline (part may be out); or a final error.
 */
int hvt_chan_send(struct hvt_chan *ch, const char *text, bool reset, int64_t deadline,
		  struct hvt_err *err);

#endif
