/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted fake QEMU or guest agent for the protocol client tests: a
 * thread that plays a list of steps on its end of a socket.
 */
#ifndef FAKEPEER_H
#define FAKEPEER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum fakepeer_op {
	FP_END,	   /* read and ignore until the client hangs up */
	FP_WRITE,  /* write text; "%ID%": the last command's id, "%LEN%": bytes it carried */
	FP_EXPECT, /* read a command named text, with arguments args (NULL: none, "*": any) */
	FP_SLEEP,  /* ms */
	FP_CLOSE,  /* hang up */
};

struct fakepeer_step {
	enum fakepeer_op op;
	const char *text;
	const char *args;
	int ms;
};

#define W(t) { FP_WRITE, t, NULL, 0 }
#define X(cmd) { FP_EXPECT, cmd, NULL, 0 }
#define XA(cmd, a) { FP_EXPECT, cmd, a, 0 }
#define S(ms) { FP_SLEEP, NULL, NULL, ms }
#define CLOSE { FP_CLOSE, NULL, NULL, 0 }
#define END { FP_END, NULL, NULL, 0 }

struct fakepeer {
	int fd;
	const char *path;	/* listen here and accept first, if not NULL */
	int listen_delay_ms;	/* before binding the listening socket */
	const struct fakepeer_step *steps;
	pthread_t thread;
	/* The last command's "id" (QMP), or else its arguments.id (agent). */
	int64_t last_id;
	size_t last_len;	/* bytes in its arguments.buf-b64 */
	int ff_seen;		/* 0xFF bytes received */
	struct hvt_buf written; /* what every arguments.buf-b64 carried */
	char failure[512];	/* the first thing that went wrong, or "" */
};

/*
 * Start playing steps on one end of a new socket pair; returns the other
 * end for the client, which owns it. Fails the test if it cannot.
 */
int fakepeer_start(struct fakepeer *fp, const struct fakepeer_step *steps);
/*
 * Start playing steps on the first connection to a unix socket at path
 * (not copied), bound only after delay_ms.
 */
void fakepeer_listen(struct fakepeer *fp, const char *path, int delay_ms,
		     const struct fakepeer_step *steps);
/*
 * Wait for the peer to finish (after the client has hung up, unless the
 * script closes first), release what it recorded, and fail the test if
 * anything in the script went wrong. fp->ff_seen stays valid.
 */
void fakepeer_finish(struct fakepeer *fp);

#endif
