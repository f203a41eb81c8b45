/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest agent client: qemu-guest-agent behind a virtio-serial port, with
 * guest-sync-delimited resynchronisation, exec, files and power.
 */
#ifndef HVT_QGA_H
#define HVT_QGA_H

#include <stddef.h>

#include "json.h"

struct hvt_qga;

/*
 * Timeouts are in milliseconds; a negative timeout means no limit.
 *
 * Connect to the host end of the agent's channel (a unix socket served
 * by QEMU's chardev), retrying until it exists or timeout_ms passes.
 * Does not talk to the agent yet: see hvt_qga_sync(). A client starts
 * out of step, so the first command syncs first if nobody did.
 */
struct hvt_qga *hvt_qga_connect(const char *path, int timeout_ms, struct hvt_err *err);
/* The same over a connected fd, which the client then owns. */
struct hvt_qga *hvt_qga_open_fd(int fd, struct hvt_err *err);
void hvt_qga_free(struct hvt_qga *qga);

/*
 * Resynchronise: reset the agent's parser (0xFF), send guest-sync-delimited
 * with a fresh id, discard everything up to the agent's 0xFF and every
 * reply that is not for this id. Needed after connecting and after the
 * guest reboots (the agent restarts and stale bytes may be in flight).
 */
int hvt_qga_sync(struct hvt_qga *qga, int timeout_ms, struct hvt_err *err);
/*
 * Sync repeatedly (short attempts) until the agent answers or timeout_ms
 * passes: waits for an agent that is still starting.
 */
int hvt_qga_wait_ready(struct hvt_qga *qga, int timeout_ms, struct hvt_err *err);

/*
 * Execute an agent command; semantics as hvt_qmp_execute(), timeout_ms
 * including a resynchronisation if one is due. If a reply does not come
 * (-ETIMEDOUT) or the stream breaks (-EBADMSG, -EMSGSIZE), the next call
 * resynchronises first. End of file (-ECONNRESET) is final.
 */
int hvt_qga_execute(struct hvt_qga *qga, const char *cmd, struct json_object *args,
		    struct json_object **ret, int timeout_ms, struct hvt_err *err);
int hvt_qga_ping(struct hvt_qga *qga, int timeout_ms, struct hvt_err *err);

struct hvt_qga_exec_result {
	int exit_code;	/* valid when !signal (-1 otherwise) */
	int signal;	/* signal that ended the process, or 0 */
	char *out;	/* stdout (NUL-terminated, may hold NULs) */
	size_t out_len;
	char *err;	/* stderr */
	size_t err_len;
	bool truncated; /* the agent truncated out or err */
};

/*
 * Run argv[0] with argv in the guest (guest-exec with capture-output),
 * feeding input_len bytes of input on stdin (input NULL: none), and poll
 * guest-exec-status (every 5 ms at first, backing off to 100 ms) until it
 * exits or timeout_ms passes (-ETIMEDOUT; the process is left running).
 * On success res holds allocated output: release it with
 * hvt_qga_exec_result_release(). On failure res holds nothing.
 */
int hvt_qga_exec(struct hvt_qga *qga, const char *const argv[], const void *input,
		 size_t input_len, int timeout_ms, struct hvt_qga_exec_result *res,
		 struct hvt_err *err);
void hvt_qga_exec_result_release(struct hvt_qga_exec_result *res);

/*
 * Whole-file read and write through guest-file-open/read/write/close, in
 * 48 KiB chunks. *data is allocated (NUL-terminated, *len bytes before the
 * NUL; len may be NULL) and freed by the caller. The write creates or
 * truncates the file.
 */
int hvt_qga_file_read(struct hvt_qga *qga, const char *path, char **data, size_t *len,
		      int timeout_ms, struct hvt_err *err);
int hvt_qga_file_write(struct hvt_qga *qga, const char *path, const void *data,
		       size_t len, int timeout_ms, struct hvt_err *err);

/*
 * guest-shutdown with mode "powerdown", "reboot" or "halt". The agent does
 * not answer on success; a later call resynchronises.
 */
int hvt_qga_shutdown(struct hvt_qga *qga, const char *mode, struct hvt_err *err);
/*
 * Send a command that does not answer on success (guest-suspend-ram,
 * guest-suspend-disk...). args is consumed. A later call resynchronises.
 */
int hvt_qga_send(struct hvt_qga *qga, const char *cmd, struct json_object *args,
		 struct hvt_err *err);

#endif
