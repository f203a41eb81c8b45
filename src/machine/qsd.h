/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu-storage-daemon as an external storage target: started through the
 * launcher, driven over its own QMP socket; its disks (block nodes over
 * files), its NBD server and its exports (NBD, vhost-user-blk).
 */
#ifndef HVT_QSD_H
#define HVT_QSD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "launch.h"
#include "qmp.h"
#include "util.h"

/* The oldest daemon hvtest drives: 6.0 brought vhost-user-blk exports. */
#define HVT_QSD_MIN_MAJOR 6
#define HVT_QSD_MIN_MINOR 0

/*
 * The binary to run: path when not NULL (a name without '/' is looked up
 * in $PATH), else qemu-storage-daemon from $PATH. Returns its full path
 * (caller frees), or NULL with err set: -ENOENT naming the Debian package
 * (qemu-system-common) when it is missing.
 */
char *hvt_qsd_binary(const char *path, struct hvt_err *err);
/*
 * Run "BINARY --version" and parse "qemu-storage-daemon version X.Y.Z"
 * into the non-NULL pointers. -ENOENT when the binary is missing,
 * -EPROTO when the output is not understood, -ENOTSUP (numbers filled
 * in) when it is older than HVT_QSD_MIN_MAJOR.HVT_QSD_MIN_MINOR.
 */
int hvt_qsd_version(const char *binary, int *maj, int *min, int *mic, struct hvt_err *err);

/* What to run. Strings are borrowed for hvt_qsd_new() only. */
struct hvt_qsd_opts {
	const char *binary;	/* as hvt_qsd_binary() takes it; NULL: from $PATH */
	/* The work directory (made when missing), or NULL: a new one (launch.h). */
	const char *workdir;
	bool keep_workdir;
	/*
	 * File names of the unix sockets the daemon's servers will listen
	 * on in the work directory (the NBD server, vhost-user-blk exports),
	 * NULL-ended. Each is checked against sun_path before anything is
	 * created, removed before every start and on free; a server or an
	 * export can only use a socket named here.
	 */
	const char *const *sockets;
	/* Ids of iothread objects the daemon creates at every start; NULL-ended. */
	const char *const *iothreads;
};

struct hvt_qsd;

/*
 * Find the binary, check its version (hvt_qsd_version()), check the
 * socket paths and make the work directory. Nothing runs yet. NULL with
 * err set on failure; nothing is left behind then.
 */
struct hvt_qsd *hvt_qsd_new(const struct hvt_qsd_opts *opts, struct hvt_err *err);
/* Kill the daemon if it runs, remove its sockets (and a generated work dir). */
void hvt_qsd_free(struct hvt_qsd *q);

/*
 * Start the daemon (its QMP monitor on qmp.sock, its output in qsd.log,
 * the QMP transcript in qmp.log) within timeout_ms. A restart, after the
 * daemon ended or was killed, then re-creates what the last run had, in
 * the order it was made: iothreads, disks, the NBD server, exports. When
 * the daemon exits meanwhile, -ECHILD with its last output in err.
 */
int hvt_qsd_start(struct hvt_qsd *q, int timeout_ms, struct hvt_err *err);
/*
 * The health check: the daemon runs and answers query-version within
 * timeout_ms. -ECHILD (how it ended, its last output) or -ETIMEDOUT.
 */
int hvt_qsd_check(struct hvt_qsd *q, int timeout_ms, struct hvt_err *err);
/*
 * "quit" over QMP, SIGKILL after timeout_ms: 0 when it exited with code
 * 0, -ECHILD otherwise (err says how it ended). 0 when it was not running.
 */
int hvt_qsd_stop(struct hvt_qsd *q, int timeout_ms, struct hvt_err *err);
/* SIGKILL the daemon now (a fault to inject); 0 or -ETIMEDOUT. */
int hvt_qsd_kill(struct hvt_qsd *q);
/* True while the daemon runs. */
bool hvt_qsd_running(struct hvt_qsd *q);

/*
 * A QMP command to the daemon, its arguments built by hvt_json_build()
 * (%s is a quoted JSON string). When the connection fails because the
 * daemon died, err says how it died.
 */
int hvt_qsd_qmp(struct hvt_qsd *q, struct json_object **ret, struct hvt_err *err,
		const char *cmd, const char *args_fmt, ...) HVT_PRINTF(5, 6);
/* The QMP client (events: hvt_qmp_event_wait()); NULL while not running. Owned by q. */
struct hvt_qmp *hvt_qsd_qmp_client(struct hvt_qsd *q);
/* The launcher under the daemon (process, logs), owned by q. */
struct hvt_launch *hvt_qsd_launch(struct hvt_qsd *q);
const char *hvt_qsd_workdir(const struct hvt_qsd *q);
/* A file in the work directory (caller frees). */
char *hvt_qsd_path(const struct hvt_qsd *q, const char *file);
/* The daemon's pid, or -1 before the first start. */
pid_t hvt_qsd_pid(const struct hvt_qsd *q);

/*
 * Make an image file with qemu-img (from $PATH): format "raw" or
 * "qcow2", size in bytes; an existing file is replaced. -ENOENT naming
 * the Debian package (qemu-utils) when qemu-img is missing.
 */
int hvt_qsd_image_create(const char *path, const char *format, uint64_t size,
			 struct hvt_err *err);

/* A disk: a block node over a file (a format node over a file node). */
struct hvt_qsd_disk {
	const char *node;	/* node name, unique in the daemon */
	const char *file;	/* the backing file; it must exist */
	const char *format;	/* "raw" or "qcow2" */
	/* raw only: the slice of the file the disk is (size 0: the whole file) */
	uint64_t offset, size;
	bool direct;		/* cache.direct: O_DIRECT, bypassing the host page cache */
	bool no_flush;		/* cache.no-flush: flushes are not passed down */
	bool read_only;
};

/*
 * blockdev-add the disk. A backing file that does not exist is -ENOENT
 * naming it, a node name already taken -EEXIST naming its file, before
 * anything is sent; what the daemon refuses is -EREMOTEIO.
 */
int hvt_qsd_disk_add(struct hvt_qsd *q, const struct hvt_qsd_disk *d, struct hvt_err *err);
/* blockdev-del of the disk's node (its exports must be gone). */
int hvt_qsd_disk_del(struct hvt_qsd *q, const char *node, struct hvt_err *err);

/* Start the NBD server on sock (one of opts.sockets), for NBD exports. */
int hvt_qsd_nbd_start(struct hvt_qsd *q, const char *sock, struct hvt_err *err);

enum hvt_qsd_export_type {
	HVT_QSD_EXPORT_NBD,
	HVT_QSD_EXPORT_VHOST_USER_BLK,
};

struct hvt_qsd_export {
	enum hvt_qsd_export_type type;
	const char *id;		/* export id, unique in the daemon */
	const char *node;	/* the disk exported */
	const char *name;	/* NBD: the export's name (NULL: the node name) */
	const char *sock;	/* vhost-user-blk: its socket (one of opts.sockets) */
	const char *iothread;	/* an iothread of opts.iothreads, or NULL: the main loop */
	bool writable;
	int num_queues;		/* vhost-user-blk: 0 for the daemon's default */
};

/*
 * block-export-add. An id, an NBD name or a socket already taken by
 * another export is -EEXIST naming that export, before anything is sent;
 * a socket not in opts.sockets or an unknown iothread -EINVAL; an NBD
 * export without the server -ENOTCONN.
 */
int hvt_qsd_export_add(struct hvt_qsd *q, const struct hvt_qsd_export *e,
		       struct hvt_err *err);
/*
 * block-export-del, then wait up to timeout_ms for BLOCK_EXPORT_DELETED
 * (an export goes once its clients have gone). hard: drop the clients
 * (mode "hard"). In safe mode a daemon that refuses because a client is
 * still connected ("still in use") is asked again until timeout_ms; then
 * -EBUSY. The export is forgotten (no longer re-created by a restart)
 * once the daemon accepted the command.
 */
int hvt_qsd_export_del(struct hvt_qsd *q, const char *id, bool hard, int timeout_ms,
		       struct hvt_err *err);
/* Whether the daemon lists the export (query-block-exports): 1, 0 or -errno. */
int hvt_qsd_export_listed(struct hvt_qsd *q, const char *id, struct hvt_err *err);

#endif
