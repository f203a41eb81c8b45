/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client of QEMU's qtest protocol: drive a machine's devices directly
 * (port I/O, guest memory, interrupt lines, the virtual clock) with no
 * guest OS, one reply per call or many operations pipelined in one write.
 * The machine (hvt_qtest_start() to hvt_qtest_free(), attach) is
 * qtest-machine.c, on the launcher (launch.h); the client is qtest.c;
 * the protocol's text (parser, checker) is qtest-syntax.c.
 */
#ifndef HVT_QTEST_H
#define HVT_QTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "qmp.h"
#include "util.h"

struct hvt_qtest;

/* Interrupt lines tracked per connection (IRQ raise/lower N, N below this). */
#define HVT_QTEST_MAX_IRQ 256

struct hvt_qtest_opts {
	const char *qemu;	  /* NULL: hvt_qemu_binary() */
	const char *machine;	  /* -machine value; NULL: "pc" */
	const char *const *args;  /* more QEMU arguments (NULL-ended), or NULL */
	/*
	 * Where the sockets, the firmware and QEMU's stderr (qemu.stderr) go:
	 * created if missing, never removed (one machine per directory). NULL:
	 * a new hvt-qtest-XXXXXX under hvt_env_workdir(), removed when the
	 * machine is freed unless hvt_env_keep().
	 */
	const char *workdir;
	const char *record;	  /* write a trace of every command and reply here */
	const char *qtest_log;	  /* QEMU's own per-command log; NULL: none */
	int timeout_ms;		  /* per reply; 0: 10000 */
	bool no_qmp;		  /* no QMP socket at all */
	/* a QMP socket (hvt_qtest_qmp_path()) left for another client: not connected */
	bool qmp_socket_only;
};

/*
 * Start QEMU with a qtest socket (and a QMP one unless opts->no_qmp) and
 * connect. The machine runs a firmware that halts the CPU at once, or has
 * no CPU running at all under the qtest accelerator when this QEMU has one
 * (then the virtual clock belongs to the client: hvt_qtest_clock_step()).
 * QEMU is always started with -nodefaults -display none. Returns NULL with
 * err set when QEMU cannot start or does not connect (err then holds the
 * tail of its stderr, e.g. an unknown device).
 */
struct hvt_qtest *hvt_qtest_start(const struct hvt_qtest_opts *opts, struct hvt_err *err);
/*
 * A client over an already connected stream fd (taken over, closed by
 * hvt_qtest_free()), with no QEMU process of its own: for tests and for
 * talking to a QEMU started elsewhere.
 */
struct hvt_qtest *hvt_qtest_open_fd(int fd, int timeout_ms, struct hvt_err *err);
/*
 * A client of a QEMU started elsewhere with a qtest server socket
 * (-qtest unix:PATH,server=on,wait=off): connect to path, waiting up to
 * connect_ms for it to appear. Freeing the client leaves QEMU running.
 * NULL with err set (naming path) when nobody listens there.
 */
struct hvt_qtest *hvt_qtest_attach(const char *path, int connect_ms, int timeout_ms,
				   struct hvt_err *err);
/*
 * Shut QEMU down as libqtest does (SIGTERM, which QEMU takes as a request
 * to quit), wait up to timeout_ms (0: 5000) for it, then SIGKILL, and say
 * how it ended: 0 when QEMU exited with code 0, -ECHILD otherwise, with
 * err saying e.g. "QEMU (pid 1234) was killed by signal 6 (SIGABRT) (core
 * dumped):" and the last lines of its stderr (hvt_launch_stop()); also
 * when QEMU had already ended before (then it is how it ended then). A QEMU that crashes while its devices
 * are torn down is a failure. Closes the connections; further commands
 * fail, only hvt_qtest_free() is left to call. Calling it again returns
 * the first result; a client with no QEMU of its own (open_fd, attach)
 * just closes and returns 0.
 */
int hvt_qtest_quit(struct hvt_qtest *q, int timeout_ms, struct hvt_err *err);
/*
 * Have fn(opaque, rc, err) called once, with hvt_qtest_quit()'s result, when
 * QEMU is shut down: by hvt_qtest_quit() or by hvt_qtest_free(),
 * whichever comes first. For whoever starts machines on behalf of others
 * to record how each ended wherever it is freed. NULL fn: no hook.
 */
typedef void (*hvt_qtest_quit_fn)(void *opaque, int rc, const struct hvt_err *err);
void hvt_qtest_on_quit(struct hvt_qtest *q, hvt_qtest_quit_fn fn, void *opaque);
/*
 * hvt_qtest_quit() unless done, then close everything and remove the
 * work directory when hvt_qtest_start() created it (unless
 * hvt_env_keep()); in a given work directory only the sockets and the
 * firmware are removed.
 */
void hvt_qtest_free(struct hvt_qtest *q);

/* The QMP connection to the same QEMU, or NULL (no_qmp, qmp_socket_only, open_fd, attach). */
struct hvt_qmp *hvt_qtest_qmp(struct hvt_qtest *q);
/* The path of QEMU's QMP socket, or NULL (no_qmp, open_fd, attach). */
const char *hvt_qtest_qmp_path(const struct hvt_qtest *q);
/* The machine's work directory (see opts.workdir), or NULL (open_fd, attach). */
const char *hvt_qtest_workdir(const struct hvt_qtest *q);
/* QEMU's process id, or -1 when this client did not start it. */
pid_t hvt_qtest_pid(const struct hvt_qtest *q);
/* True when the qtest accelerator runs the machine (clock_step works). */
bool hvt_qtest_has_clock(const struct hvt_qtest *q);
/* The accelerator in use: "qtest" or "tcg" ("" for open_fd and attach: unknown). */
const char *hvt_qtest_accel(const struct hvt_qtest *q);
void hvt_qtest_set_timeout(struct hvt_qtest *q, int timeout_ms);
/* The qtest socket (to poll it alongside other fds, or to speak raw to it). */
int hvt_qtest_fd(const struct hvt_qtest *q);
/* Commands sent so far (the number of the next one minus one). */
unsigned long hvt_qtest_ncommands(const struct hvt_qtest *q);
/*
 * Start writing a trace to path (as opts->record does); the header names
 * machine and args so that "hvtest qtest replay" can start the same
 * machine. A trace is "> command" and "< reply" lines; asynchronous IRQ
 * lines are written as "! IRQ ..." and not compared on replay.
 */
int hvt_qtest_record(struct hvt_qtest *q, const char *path, const char *machine,
		     const char *const *args, struct hvt_err *err);

/*
 * Pipelining. Between batch_begin and batch_end every call below only
 * queues its command and returns 0 (arguments are still checked at once);
 * batch_end sends all queued commands together, reads every reply, and
 * fills the results of the reads (the out pointers must stay valid until
 * then). It returns 0 or the first failure (err names the command and
 * its number); all replies are consumed either way. Batches do not nest.
 */
void hvt_qtest_batch_begin(struct hvt_qtest *q);
int hvt_qtest_batch_end(struct hvt_qtest *q, struct hvt_err *err);

/*
 * One raw command line (no newline) and its whole reply line ("OK ...",
 * "FAIL ..."), which the caller frees. A FAIL reply is not an error here;
 * only a broken connection or a timeout is. The line must be one line of
 * printable text and is not checked further: a malformed number makes
 * QEMU abort, so check lines from people first
 * (hvt_qtest_check_command()) or prefer the typed calls below, which
 * check their arguments before sending. Not in a batch.
 */
int hvt_qtest_command(struct hvt_qtest *q, const char *line, char **reply, struct hvt_err *err);
/*
 * Would QEMU take line as it is? The checks the typed calls make, on a
 * raw line: a command QEMU knows, words separated by single blanks, the
 * right number of arguments, numbers QEMU parses (C syntax: decimal, 0x
 * hex, 0 octal) and within range (ports up to 0xffff, memory lengths
 * from 1 to 256 MiB, data matching its length), QOM paths and GPIO
 * names one printable word. clock_step/clock_set give -ENOTSUP under a
 * QEMU this client started without the qtest accelerator (q may be NULL:
 * not checked). Returns 0, or -EINVAL with err saying what is wrong.
 */
int hvt_qtest_check_command(const struct hvt_qtest *q, const char *line, struct hvt_err *err);

/*
 * Typed commands. Return 0, -EINVAL for a bad argument (nothing sent),
 * -EREMOTEIO when QEMU answers FAIL or ERR (err holds its words),
 * -EPROTO for a reply that makes no sense, -ETIMEDOUT, or -ECONNRESET
 * when QEMU went away (err says how it ended and what it printed).
 */
int hvt_qtest_outb(struct hvt_qtest *q, uint16_t port, uint8_t v, struct hvt_err *err);
int hvt_qtest_outw(struct hvt_qtest *q, uint16_t port, uint16_t v, struct hvt_err *err);
int hvt_qtest_outl(struct hvt_qtest *q, uint16_t port, uint32_t v, struct hvt_err *err);
int hvt_qtest_inb(struct hvt_qtest *q, uint16_t port, uint8_t *v, struct hvt_err *err);
int hvt_qtest_inw(struct hvt_qtest *q, uint16_t port, uint16_t *v, struct hvt_err *err);
int hvt_qtest_inl(struct hvt_qtest *q, uint16_t port, uint32_t *v, struct hvt_err *err);
int hvt_qtest_writeb(struct hvt_qtest *q, uint64_t addr, uint8_t v, struct hvt_err *err);
int hvt_qtest_writew(struct hvt_qtest *q, uint64_t addr, uint16_t v, struct hvt_err *err);
int hvt_qtest_writel(struct hvt_qtest *q, uint64_t addr, uint32_t v, struct hvt_err *err);
int hvt_qtest_writeq(struct hvt_qtest *q, uint64_t addr, uint64_t v, struct hvt_err *err);
int hvt_qtest_readb(struct hvt_qtest *q, uint64_t addr, uint8_t *v, struct hvt_err *err);
int hvt_qtest_readw(struct hvt_qtest *q, uint64_t addr, uint16_t *v, struct hvt_err *err);
int hvt_qtest_readl(struct hvt_qtest *q, uint64_t addr, uint32_t *v, struct hvt_err *err);
int hvt_qtest_readq(struct hvt_qtest *q, uint64_t addr, uint64_t *v, struct hvt_err *err);
/* Guest memory in bulk: base64 (b64read/b64write) or hex (read/write). len > 0. */
int hvt_qtest_memread(struct hvt_qtest *q, uint64_t addr, void *buf, size_t len,
		      struct hvt_err *err);
int hvt_qtest_memwrite(struct hvt_qtest *q, uint64_t addr, const void *buf, size_t len,
		       struct hvt_err *err);
int hvt_qtest_memread_hex(struct hvt_qtest *q, uint64_t addr, void *buf, size_t len,
			  struct hvt_err *err);
int hvt_qtest_memwrite_hex(struct hvt_qtest *q, uint64_t addr, const void *buf, size_t len,
			   struct hvt_err *err);
int hvt_qtest_memset(struct hvt_qtest *q, uint64_t addr, uint8_t v, size_t len,
		     struct hvt_err *err);
/* The target's endianness: *big set to true for big-endian. */
int hvt_qtest_endianness(struct hvt_qtest *q, bool *big, struct hvt_err *err);

/*
 * Interrupts. intercept_in/out redirect a device's GPIO inputs / outputs
 * (e.g. "ioapic" on x86) to this client: QEMU then sends "IRQ raise N" and
 * "IRQ lower N", at any time, also between a command and its reply. An
 * unknown device path gives -EREMOTEIO ("Unknown device").
 */
int hvt_qtest_irq_intercept_in(struct hvt_qtest *q, const char *qom_path, struct hvt_err *err);
int hvt_qtest_irq_intercept_out(struct hvt_qtest *q, const char *qom_path, struct hvt_err *err);
/* Set input line num of the GPIO list name (NULL: the unnamed list) of a device. */
int hvt_qtest_set_irq_in(struct hvt_qtest *q, const char *qom_path, const char *name,
			 int num, int level, struct hvt_err *err);
/* The level of intercepted line n as last reported (false when never). */
bool hvt_qtest_irq_level(const struct hvt_qtest *q, unsigned int n);
/*
 * Have fn(opaque, n, raise) called for every IRQ line QEMU sends, in the
 * order they come (also those with n >= HVT_QTEST_MAX_IRQ), as they are
 * read: during any call that reads from QEMU. NULL fn: no hook.
 */
typedef void (*hvt_qtest_irq_fn)(void *opaque, unsigned int n, bool raise);
void hvt_qtest_on_irq(struct hvt_qtest *q, hvt_qtest_irq_fn fn, void *opaque);
/* How many times line n was raised since the start or the last reset. */
uint64_t hvt_qtest_irq_raised(const struct hvt_qtest *q, unsigned int n);
void hvt_qtest_irq_reset_counts(struct hvt_qtest *q);
/*
 * Read what QEMU sent on its own (IRQ lines), waiting up to timeout_ms
 * for the first byte (0: just what is there). Not in a batch.
 */
int hvt_qtest_poll(struct hvt_qtest *q, int timeout_ms, struct hvt_err *err);
/* Wait up to timeout_ms until line n is at level; -ETIMEDOUT otherwise. */
int hvt_qtest_irq_wait(struct hvt_qtest *q, unsigned int n, bool level, int timeout_ms,
		       struct hvt_err *err);

/*
 * The virtual clock (qtest accelerator only; -ENOTSUP otherwise): advance
 * by ns (negative: to the next timer deadline) or set it to ns; *now (may
 * be NULL) receives the new clock value in ns.
 */
int hvt_qtest_clock_step(struct hvt_qtest *q, int64_t ns, int64_t *now, struct hvt_err *err);
int hvt_qtest_clock_set(struct hvt_qtest *q, int64_t ns, int64_t *now, struct hvt_err *err);

/*
 * The line parser, exposed for tests: what one line (without its newline)
 * from QEMU is. For HVT_QTEST_LINE_IRQ, irq and raise are set; for the
 * others, rest points after the first word and its blanks (inside line).
 */
enum hvt_qtest_line_kind {
	HVT_QTEST_LINE_OK,
	HVT_QTEST_LINE_FAIL,
	HVT_QTEST_LINE_ERR,
	HVT_QTEST_LINE_IRQ,
	HVT_QTEST_LINE_BAD,
};

struct hvt_qtest_line {
	enum hvt_qtest_line_kind kind;
	const char *rest;
	size_t rest_len;
	unsigned int irq;
	bool raise;
};

enum hvt_qtest_line_kind hvt_qtest_parse_line(const char *line, size_t len,
					      struct hvt_qtest_line *out);
/*
 * Hand bytes to the client as if QEMU had sent them (tests, fuzzing):
 * complete lines are processed (IRQ lines update the levels, replies
 * complete queued commands in order), a partial line is kept. Returns 0
 * or -EPROTO for a reply nobody waits for or a line that is not qtest's.
 */
int hvt_qtest_feed(struct hvt_qtest *q, const void *data, size_t len, struct hvt_err *err);

#endif
