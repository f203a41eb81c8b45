/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private libvirt QEMU daemon: libvirtd in session mode as an
 * unprivileged user, with its own configuration, run, cache and log
 * directories, socket and host UUID, in its own PID and mount namespace
 * so that it and every QEMU it starts die with hvtest; and the client
 * connection to it.
 */
#ifndef HVT_LIBVIRTD_H
#define HVT_LIBVIRTD_H

#include <stdbool.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>

#include "util.h"

/* What to start. Strings are borrowed for hvt_libvirtd_new() only. */
struct hvt_libvirtd_opts {
	const char *name;	/* "source", "destination": in messages */
	/*
	 * The daemon's directory, made when missing (its parent must exist)
	 * and removed on free unless HVT_KEEP is set. Unix socket paths
	 * under it must fit sun_path: keep it short ("/tmp/hvt-lv-XXXXXX/src").
	 */
	const char *dir;
	/*
	 * Where the daemon's binaries come from: PREFIX/sbin/libvirtd with
	 * PREFIX/lib* in its library path; NULL or "": the libvirtd in $PATH
	 * (Debian's).
	 */
	const char *prefix;
	const char *user;	/* the daemon's user; NULL: "libvirt-qemu" */
	const char *group;	/* its group; NULL: "kvm" */
	/* Migration ports this daemon's QEMUs listen on; 0: 49152..49215. */
	int port_min, port_max;
};

struct hvt_libvirtd;
struct hvt_libvirtd_root;

/*
 * Make the daemon's directory tree (owned by the daemon's user) and its
 * configuration: a fresh random host_uuid, QEMU logs to files, the
 * migration ports, migrations over 127.0.0.2. Nothing runs yet. NULL with
 * err set on failure (an unknown user, a directory that cannot be made).
 */
struct hvt_libvirtd *hvt_libvirtd_new(const struct hvt_libvirtd_opts *opts,
				      struct hvt_err *err);
/*
 * Destroy every domain through the connection (when there is one), stop
 * the daemon (SIGTERM, SIGKILL after a grace time: its namespace takes
 * whatever it started), close the connection, remove the directory.
 */
void hvt_libvirtd_free(struct hvt_libvirtd *d);

/*
 * Start the daemon through the launcher and connect to it within
 * timeout_ms (the first start probes QEMU's capabilities: seconds).
 * -ECHILD with how the daemon ended and its log's tail when it ends
 * first; -ETIMEDOUT when its socket does not answer in time.
 */
int hvt_libvirtd_start(struct hvt_libvirtd *d, int timeout_ms, struct hvt_err *err);
/*
 * Close the connection and stop the daemon: SIGTERM, SIGKILL after
 * timeout_ms. 0 when it exited with code 0, -ECHILD otherwise (err says
 * how it ended). Domains still running die with its namespace.
 */
int hvt_libvirtd_stop(struct hvt_libvirtd *d, int timeout_ms, struct hvt_err *err);
/* SIGKILL the daemon (and with its namespace every QEMU it started); reap it. */
int hvt_libvirtd_kill(struct hvt_libvirtd *d);

/* The connection (NULL when not started), owned by d. */
virConnectPtr hvt_libvirtd_conn(struct hvt_libvirtd *d);
/* "qemu+unix:///session?socket=DIR/run/libvirt/libvirt-sock" */
const char *hvt_libvirtd_uri(const struct hvt_libvirtd *d);
const char *hvt_libvirtd_name(const struct hvt_libvirtd *d);
const char *hvt_libvirtd_dir(const struct hvt_libvirtd *d);
/* Its host UUID, as written in its libvirtd.conf. */
const char *hvt_libvirtd_host_uuid(const struct hvt_libvirtd *d);
/* The libvirtd process's pid as this host sees it; -1 when it does not run. */
pid_t hvt_libvirtd_pid(struct hvt_libvirtd *d);

/*
 * Domain events (life cycle, agent connected or gone) seen on the
 * connection: a counter that only grows. Wait until it passes seen, or
 * timeout_ms (-ETIMEDOUT): read it, try, and wait only when the try
 * failed, and no event is lost in between.
 */
unsigned long hvt_libvirtd_events(struct hvt_libvirtd *d);
int hvt_libvirtd_wait_events(struct hvt_libvirtd *d, unsigned long seen, int timeout_ms);

/*
 * Healthy: the daemon process runs, the connection is alive and answers
 * a call (its library version, the domain list). 0 or -EIO with why.
 */
int hvt_libvirtd_check(struct hvt_libvirtd *d, struct hvt_err *err);
/*
 * Bring the daemon back to empty between cases: destroy every running
 * domain, undefine every persistent one (with its managed save and
 * NVRAM), then check that none is left and that no QEMU runs in its
 * namespace. -EBUSY with what was left.
 */
int hvt_libvirtd_clean(struct hvt_libvirtd *d, int timeout_ms, struct hvt_err *err);

/*
 * The pid, as this host sees it, of the QEMU that runs domain name (its
 * pid file under the daemon's run directory holds the namespace's pid).
 * -ENOENT when it does not run.
 */
pid_t hvt_libvirtd_qemu_pid(struct hvt_libvirtd *d, const char *name);
/* Number of QEMU processes in the daemon's namespace (0 when it does not run). */
int hvt_libvirtd_count_qemu(struct hvt_libvirtd *d);

/*
 * The migration protocol the daemon was driven with as a migration
 * destination since start (read from its log of libvirt's API entry
 * points): "v3-params", "v3", "v2", or NULL when it saw no migration.
 * The last one seen counts.
 */
const char *hvt_libvirtd_dest_protocol(struct hvt_libvirtd *d);

/*
 * Copy the daemon's logs (its stderr, libvirtd.log, each domain's QEMU
 * log) into dir as PREFIX-<file>; the names copied are pushed to files
 * when it is not NULL.
 */
void hvt_libvirtd_collect(struct hvt_libvirtd *d, const char *dir, const char *prefix,
			  struct hvt_strv *files);

/*
 * A short directory for the daemons of one case (their socket paths must
 * fit sun_path): PARENT/hvt-lv-XXXXXX, mode 0755, held by the calling
 * process (a lock on it) until hvt_libvirtd_root_free() or the process's
 * death. The directories of this kind under parent whose holder died (a
 * SIGKILLed case) are removed first. NULL with err set when the directory
 * cannot be made.
 */
struct hvt_libvirtd_root *hvt_libvirtd_root_new(const char *parent, struct hvt_err *err);
/* Its path (lives as long as r). */
const char *hvt_libvirtd_root_path(const struct hvt_libvirtd_root *r);
/* Remove the directory with all in it, then let it go. NULL is fine. */
void hvt_libvirtd_root_free(struct hvt_libvirtd_root *r);
/* Remove the directories under parent whose holder died; returns how many. */
int hvt_libvirtd_root_sweep(const char *parent);

/*
 * The last libvirt error of this thread as "message (code N)", saved
 * before anything else calls libvirt. Fills err, returns code.
 */
int hvt_virt_err(struct hvt_err *err, int code, const char *what);
/* A random (version 4) UUID, as libvirt writes them. */
int hvt_virt_uuid(char out[37], struct hvt_err *err);
/* libvirt's error code of this thread's last error (VIR_ERR_*), 0 when none. */
int hvt_virt_last_code(void);

/*
 * libvirt's default event loop in a thread of this process, started
 * once before the first connection (keepalives and domain events need
 * it). Idempotent; -errno on failure.
 */
int hvt_virt_events_start(struct hvt_err *err);

#endif
