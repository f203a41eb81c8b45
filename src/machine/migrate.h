/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live migration between two QEMU processes on this host: the destination
 * (-incoming URI, or "defer" and migrate-incoming), four transports,
 * capabilities and parameters, the MIGRATION events (or query-migrate
 * polling), cancel, a cut connection, postcopy pause and recovery, and
 * QEMU's statistics. Comparing the guest RAM afterwards is ramcmp.h.
 */
#ifndef HVT_MIGRATE_H
#define HVT_MIGRATE_H

#include <stdbool.h>

#include "ramcmp.h"
#include "vm.h"

enum hvt_migrate_transport {
	HVT_MIGRATE_UNIX, /* unix:PATH, a socket in the migration's directory */
	HVT_MIGRATE_TCP,  /* tcp:127.0.0.1:PORT */
	HVT_MIGRATE_EXEC, /* exec: "cat > FIFO" on the source, "cat FIFO" on the destination */
	HVT_MIGRATE_FD,	  /* fd:NAME, the two ends of a socket pair passed with getfd */
};

/* "unix", "tcp", "exec", "fd" */
const char *hvt_migrate_transport_name(enum hvt_migrate_transport t);
/* -EINVAL, err naming the transports there are, for anything else. */
int hvt_migrate_transport_parse(const char *name, enum hvt_migrate_transport *out,
				struct hvt_err *err);

/* How to migrate. Strings and JSON are borrowed for hvt_migrate_new() only. */
struct hvt_migrate_opts {
	enum hvt_migrate_transport transport;
	/* Where sockets and FIFOs go; NULL: the source's work directory. */
	const char *dir;
	/*
	 * tcp: the port the destination listens on (on 127.0.0.1). 0: QEMU
	 * picks a free one (only with a deferred destination; on the command
	 * line a free port is looked for when the migration is made).
	 */
	int port;
	/*
	 * The destination is started with -incoming URI (the URI that
	 * hvt_migrate_incoming() gives) instead of -incoming defer and
	 * migrate-incoming. Not with the fd transport (its descriptor is
	 * passed over QMP) nor with capabilities QEMU needs before the
	 * destination listens (multifd).
	 */
	bool on_cmdline;
	/*
	 * Capabilities to switch on, on both sides (NULL-ended list of QMP
	 * names: "xbzrle", "multifd", "postcopy-ram"...). One this QEMU does
	 * not know is refused before anything is sent (-EINVAL). With
	 * "events" the migration is followed by its MIGRATION events,
	 * otherwise by polling query-migrate.
	 */
	const char *const *caps;
	/*
	 * Arguments of migrate-set-parameters, set on both sides before the
	 * migration (e.g. {"max-bandwidth": 33554432}); NULL: QEMU's defaults.
	 */
	struct json_object *params;
	/* The destination was started with -S: it stays paused whatever the source was. */
	bool dst_paused;
	/* Interval of query-migrate polls (without "events"); 0: 100 ms. */
	int poll_ms;
	/*
	 * A URI of the caller's for both sides instead of the transport's
	 * (to see QEMU refuse one); NULL for the transport's.
	 */
	const char *uri;
};

/* QEMU's statistics of a migration (query-migrate), -1 where it gave none. */
struct hvt_migrate_stats {
	char status[32];	/* "active", "completed", "failed"..., "" for none */
	char error[512];	/* error-desc of a failed migration, or "" */
	double total_ms;	/* total-time (so far, while it runs) */
	double downtime_ms;	/* downtime (once completed) */
	double expected_downtime_ms;
	double setup_ms;	/* setup-time */
	long long transferred;	/* ram.transferred: bytes */
	long long remaining;	/* ram.remaining: bytes */
	long long ram_total;	/* ram.total: bytes */
	long long duplicate;	/* ram.duplicate: zero pages (sent as a flag) */
	long long normal;	/* ram.normal: pages sent whole */
	long long dirty_sync_count; /* ram.dirty-sync-count: dirty bitmap syncs */
	long long pages_per_second; /* ram.pages-per-second */
	long long postcopy_requests; /* ram.postcopy-requests: pages the destination faulted on */
	long long postcopy_bytes; /* ram.postcopy-bytes: sent after the switch to postcopy */
	long long multifd_bytes; /* ram.multifd-bytes */
	double mbps;		/* ram.mbps */
	long long xbzrle_pages;	/* xbzrle-cache.pages: pages sent as deltas */
	long long xbzrle_cache_miss; /* xbzrle-cache.cache-miss */
	long long cpu_throttle;	/* cpu-throttle-percentage (auto-converge) */
	/*
	 * Not QEMU's: hvtest's time from the migrate command to the
	 * destination holding the state (hvt_migrate_finish()), or -1.
	 */
	double wall_ms;
};

/*
 * Fill st from a query-migrate reply (its "return" member). Pure: no
 * QEMU. Members QEMU leaves out (they depend on the state and the
 * capabilities) are -1; st->status is "" when there is none.
 */
void hvt_migrate_stats_parse(struct json_object *info, struct hvt_migrate_stats *st);

/*
 * Whether a status may follow another in QEMU's migration state machine
 * (as the MIGRATION events report it: setup, active, postcopy-active,
 * postcopy-paused, postcopy-recover, pre-switchover, device, cancelling,
 * cancelled, completed, failed...). from NULL is the start ("none").
 * Pure. Used to check the sequence of events a migration sent.
 */
bool hvt_migrate_status_follows(const char *from, const char *to);
/* Whether QEMU leaves this status only for a new migration: completed, failed, cancelled. */
bool hvt_migrate_status_final(const char *status);

struct hvt_migration;

/*
 * A migration of src, to be started by hvt_migrate_start(): checks opts
 * and the capabilities against what src's QEMU knows (-EINVAL naming the
 * unknown one and the known ones), picks the URI (and for tcp on the
 * command line a free port; for exec makes the FIFO). NULL with err set
 * on failure. src must be running (its guest may be paused).
 */
struct hvt_migration *hvt_migrate_new(struct hvt_vm *src, const struct hvt_migrate_opts *opts,
				      struct hvt_err *err);
/* Free m: its descriptors are closed, its sockets and FIFOs removed. The machines stay. */
void hvt_migrate_free(struct hvt_migration *m);

/*
 * What the destination's -incoming option must say (hvt_vm_config
 * .incoming): "defer", or the URI with opts.on_cmdline. Owned by m.
 */
const char *hvt_migrate_incoming(const struct hvt_migration *m);
/* The URI the source migrates to ("unix:/.../mig.sock", "fd:mig"...), owned by m. */
const char *hvt_migrate_uri(const struct hvt_migration *m);

/*
 * Start the migration to dst, a machine started (hvt_vm_start()) with
 * -incoming hvt_migrate_incoming(): capabilities and parameters on both
 * sides, migrate-incoming on a deferred destination (for tcp port 0 then
 * the port QEMU bound), for fd the socket pair, then migrate on the
 * source. Returns once the source has accepted the command; the
 * migration goes on in QEMU. Errors QEMU answers are -EREMOTEIO with its
 * message ("migrate-incoming: Failed to bind socket: Address already in
 * use"); a machine that died says how.
 */
int hvt_migrate_start(struct hvt_migration *m, struct hvt_vm *dst, struct hvt_err *err);

/*
 * Wait until the source's migration reaches status (or, with status
 * NULL, any final one), following the events or polling. 0 when it did;
 * -EIO when it ended otherwise (err: the status and QEMU's error-desc);
 * -ETIMEDOUT after timeout_ms, err saying where it stood.
 */
int hvt_migrate_wait(struct hvt_migration *m, const char *status, int timeout_ms,
		     struct hvt_err *err);
/*
 * Wait for the end: the source completed, then the destination has loaded
 * the state (its own query-migrate says completed; it runs, or stays
 * paused when the source was paused or it was started with -S). 0, or
 * as hvt_migrate_wait(); a destination that died meanwhile is -ECHILD
 * with how it ended.
 */
int hvt_migrate_finish(struct hvt_migration *m, int timeout_ms, struct hvt_err *err);

/* migrate_cancel on the source, then wait up to timeout_ms for "cancelled". */
int hvt_migrate_cancel(struct hvt_migration *m, int timeout_ms, struct hvt_err *err);
/*
 * Cut the connection from outside QEMU, as a network failure would: the
 * destination's end of every migration socket (found by its inode in
 * the destination's descriptors and taken with pidfd_getfd()) is shut
 * down; for exec the source's transport command is killed. Returns how
 * many channels were cut in *n (may be NULL); -ENOENT when there was no
 * connection to cut.
 */
int hvt_migrate_cut(struct hvt_migration *m, int *n, struct hvt_err *err);
/* migrate-start-postcopy on the source (postcopy-ram among the capabilities). */
int hvt_migrate_postcopy(struct hvt_migration *m, struct hvt_err *err);
/* migrate-pause on the source: postcopy stops, both sides wait in postcopy-paused. */
int hvt_migrate_pause(struct hvt_migration *m, struct hvt_err *err);
/*
 * Resume an interrupted postcopy migration on a new channel of the same
 * transport: wait until both sides are postcopy-paused, migrate-recover
 * on the destination, migrate with resume on the source. Returns once
 * the source has accepted it (wait for "completed" afterwards).
 */
int hvt_migrate_recover(struct hvt_migration *m, int timeout_ms, struct hvt_err *err);

/* query-migrate on the source, now. */
int hvt_migrate_query(struct hvt_migration *m, struct hvt_migrate_stats *st, struct hvt_err *err);
/* The same on any machine (a destination reports its incoming side). */
int hvt_migrate_query_vm(struct hvt_vm *vm, struct hvt_migrate_stats *st, struct hvt_err *err);
/*
 * The statuses the source went through so far, in order, each once
 * (from its MIGRATION events, or as polling saw them: polling can miss
 * short ones). Owned by m.
 */
const struct hvt_strv *hvt_migrate_statuses(const struct hvt_migration *m);
/* Milliseconds from the migrate command to the end hvt_migrate_finish() saw; -1 before. */
double hvt_migrate_wall_ms(const struct hvt_migration *m);

/*
 * A machine's run state (query-status "status": "running", "paused",
 * "postmigrate", "inmigrate"...) into buf.
 */
int hvt_migrate_runstate(struct hvt_vm *vm, char *buf, size_t len, struct hvt_err *err);

/*
 * What a guest sees of its machine, for comparing source and destination:
 * the PCI devices (bus, slot, function, vendor, device, qdev id), the
 * block devices (qdev, image, read-only), the balloon's size. Caller
 * frees (json_object_put()).
 */
int hvt_migrate_devices(struct hvt_vm *vm, struct json_object **out, struct hvt_err *err);
/*
 * Compare two such descriptions: 0 when equal, else -EINVAL with err
 * naming the first difference.
 */
int hvt_migrate_devices_compare(struct json_object *src, struct json_object *dst,
				struct hvt_err *err);

/*
 * The whole migration in one call, for a destination started with
 * -incoming defer: new, start, finish within timeout_ms, statistics
 * into st (may be NULL), free.
 */
int hvt_migrate_run(struct hvt_vm *src, struct hvt_vm *dst, const struct hvt_migrate_opts *opts,
		    int timeout_ms, struct hvt_migrate_stats *st, struct hvt_err *err);

#endif
