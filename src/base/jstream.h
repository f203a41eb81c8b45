/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Framing of a byte stream of JSON messages, as QMP and the guest agent
 * send them: bytes in, whole messages out, however the bytes were split
 * into reads. Also handles the agent's 0xFF resynchronisation marker.
 */
#ifndef HVT_JSTREAM_H
#define HVT_JSTREAM_H

#include <stddef.h>

#include "json.h"

struct hvt_jstream;

#define HVT_JSTREAM_MAX_MSG_DEFAULT (16u << 20)

/*
 * A new framer; messages larger than max_msg bytes are an error (0: use
 * HVT_JSTREAM_MAX_MSG_DEFAULT). Only bytes of the message being parsed
 * count; whitespace between messages does not.
 */
struct hvt_jstream *hvt_jstream_new(size_t max_msg);
void hvt_jstream_free(struct hvt_jstream *js);
/* Change the limit; it applies to the message in progress too. */
void hvt_jstream_set_max_msg(struct hvt_jstream *js, size_t max_msg);

/*
 * Feed len bytes. Every complete top-level JSON object is queued for
 * hvt_jstream_pop(); an incomplete tail is kept (as parser state, not as
 * a copy of the bytes) for the next call. Whitespace between messages is
 * skipped. Parsing uses json-c's strict mode, as QEMU writes strict JSON:
 * no comments, trailing commas, leading zeros or single-quoted values
 * (json-c still lets a few things pass, such as single-quoted keys).
 * Nesting is limited to 64 levels.
 * Returns 0, or -EBADMSG (malformed JSON, or a top-level value that is
 * not an object) / -EMSGSIZE (message over the limit) with err set
 * (for the first error if there are several). After an error the framer
 * discards input up to the next 0xFF byte; messages queued before the
 * error stay queued, and so do messages after a 0xFF in the same call.
 * A 0xFF byte always resets the parser: a partial message before it is
 * dropped (this is how the guest agent marks the start of a fresh stream).
 */
int hvt_jstream_feed(struct hvt_jstream *js, const void *buf, size_t len,
		     struct hvt_err *err);

/*
 * Make the framer discard everything until the next 0xFF byte (after a
 * guest-sync-delimited was sent). Drops queued messages and partial input.
 */
void hvt_jstream_expect_delimiter(struct hvt_jstream *js);

/* The next complete message (a new reference the caller owns), or NULL. */
struct json_object *hvt_jstream_pop(struct hvt_jstream *js);
/* Number of queued complete messages. */
size_t hvt_jstream_pending(const struct hvt_jstream *js);

#endif
