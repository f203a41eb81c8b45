/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the storage suite's files share: the case's state (plan keys, the
 * storage target, two machines, their controllers, sixteen disks, the fio
 * jobs of the current round), its steps and its scenarios.
 */
#ifndef HVT_SUITE_STORAGE_H
#define HVT_SUITE_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hvtest.h"
#include "steps.h"

#define ST_DISKS 16
#define ST_CTRLS 8
#define ST_VMS 2
#define ST_MIB (1024LL * 1024LL)

/* The shape of a "controller" the disks are hot-plugged into. */
enum st_shape {
	ST_VIRTIO_SCSI,		/* virtio-scsi-pci; scsi-hd over an NBD export */
	ST_VHOST_USER_BLK,	/* a pci-bridge; vhost-user-blk-pci over the target's socket */
};

struct st_disk {
	int idx;		/* 0..15 */
	char id[8];		/* "d00": node, export, QEMU device and disk name */
	char serial[16];	/* "hvt-d00" (scsi-hd); vhost-user-blk disks are found by slot */
	int ctrl;		/* controller (1..8) it is attached to, 0 when detached */
	int slot;		/* vhost-user-blk: its slot behind the controller's bridge */
	int last_ctrl, last_slot;	/* where it was before its last detach */
	bool exported;		/* the target serves it */
	bool attached;		/* QEMU has the device */
	bool detach_pending;	/* device_del sent, DEVICE_DELETED never came */
	char dev[16];		/* the guest's name for it when last seen ("sdb", "vdc") */
	char *sock;		/* the target's socket for it (NBD server or vhost-user) */
	char *export_name;	/* NBD: the export's name */
};

struct st_ctrl {
	int num;		/* 1..8, as the plan's cases name them */
	int vm;			/* the machine it is in */
	char id[8];		/* "ctrl1": its QEMU id (and bus) */
	int addr;		/* its PCI slot on bus 0 */
	uint32_t slots;		/* vhost-user-blk: bridge slots in use (bit n: slot n) */
};

/* What a fio job must end with. */
enum st_expect {
	ST_EXPECT_CLEAN,	/* exit 0, no error, no verify failure, I/O done */
	ST_EXPECT_FAIL,		/* its disk went away: exit != 0 and an error */
	ST_EXPECT_ANY,		/* only recorded (fault cases decide themselves) */
	/*
	 * As clean, but ended by st_fio_stop() before its runtime: fio then
	 * exits 128 (terminated by a signal), 0 if it had just finished.
	 */
	ST_EXPECT_STOPPED,
};

struct st_sample {
	double t;		/* case time, seconds */
	double iops;
};

/* One fio process in a guest: one job on one disk. */
struct st_job {
	struct st_disk *disk;
	int vm;
	int64_t pid;		/* guest-exec pid */
	char dev[16];
	char base[64];		/* guest path prefix of its output and IOPS log */
	enum st_expect expect;
	double t_start;		/* case time it was started */
	bool done, lost;	/* ended; or its result can no longer be had */
	int exit_code, signal;
	char *stderr_text;
	/* from its JSON */
	bool have_json;
	long long error;
	double write_iops, write_mib, read_mib;
	int verify_errors;	/* verify failure lines on its stderr */
	struct st_sample *samples;
	size_t nsamples;
};

/* An attach or detach made while fio ran: its IOPS before, during, after. */
struct st_op {
	char label[96];
	const struct st_disk *disk;
	double t0, t1;		/* case time of the command and of its end */
};

struct st_target_ops;

struct st {
	struct hvt_case *c;
	const struct st_target_ops *tgt;
	struct hvt_qsd *qsd;	/* the qemu-storage-daemon target */
	char *tgt_dir;		/* the target's work directory */
	char *img_dir;		/* the backing files */
	struct hvt_vm *vm[ST_VMS];
	/*
	 * The guests' wall clocks against the host's at the start and the end
	 * of the fio round: a guest's clock under TCG may run at its own rate.
	 */
	struct st_clock {
		double guest, host;
	} clock0[ST_VMS], clock1[ST_VMS];
	double wall_anchor;	/* a host wall-clock time and the case time then */
	double case_anchor;
	struct hvt_strv consoles;
	struct st_disk disks[ST_DISKS];
	struct st_ctrl ctrls[ST_CTRLS];
	int ctrl_first;		/* the group's first controller: 1 (attach) or 5 (detach) */
	struct st_job *jobs;	/* the current fio round */
	size_t njobs;
	struct st_op ops[64];
	size_t nops;
	int round;
	/* guest device names whose I/O errors on the console are expected, per machine */
	struct hvt_strv expected_errors[ST_VMS];
	pid_t pids[ST_VMS + 1];	/* every process started: nothing may outlive the case */

	/* plan keys */
	const char *scenario, *backend, *format, *cache;
	enum st_shape shape;
	bool iothread, keep_images;
	long long disk_mib, mem_mib, loop_rounds, num_queues;
	const char *qsd_binary;
	char *own_dir;		/* a directory made for a case run without one, or NULL */
	int fio_runtime_s, fio_iodepth, fio_verify_backlog, iops_log_ms;
	const char *fio_bs, *fio_verify;
	int op_delay_ms, boot_ms, cmd_ms, fio_start_ms, attach_ms, detach_ms, fio_slack_ms, qsd_ms;
	int reconnect_delay_s, unacked_ms;

	/* state */
	bool ran;		/* the scenario started: the final checks are due */
	bool target_down;	/* the scenario killed the target on purpose */
	bool vms_down;		/* the scenario ended the machines on purpose */
	const char *console_skip;	/* a reason to skip the console checks, or NULL */
	bool hang_expected;	/* fio jobs running at the limit are recorded, not failed */
};

/* The storage target: a backend behind one interface (target.c). */
struct st_target_ops {
	const char *name;
	/* Whether it can run here; when not, why (a skip reason). */
	bool (*available)(struct st *s, char *why, size_t len);
	/* Start it and make the 16 disks (and the NBD server). */
	int (*start)(struct st *s, struct hvt_err *err);
	/* Alive and answering. */
	int (*check)(struct st *s, struct hvt_err *err);
	/* Serve a disk for the case's controller shape: sets d->sock (and d->export_name). */
	int (*export_disk)(struct st *s, struct st_disk *d, struct hvt_err *err);
	/*
	 * Stop serving it (hard: drop its clients); a safe request the target
	 * refuses while the disk is in use is -EBUSY after timeout_ms.
	 */
	int (*unexport_disk)(struct st *s, struct st_disk *d, bool hard, int timeout_ms,
			     struct hvt_err *err);
	/* Whether the target still lists the disk's export: 1, 0 or -errno. */
	int (*exported)(struct st *s, const struct st_disk *d, struct hvt_err *err);
	/* SIGKILL it (a fault), and start it again with the same disks and exports. */
	int (*kill)(struct st *s);
	int (*restart)(struct st *s, struct hvt_err *err);
	/* Stop it: 0 when it ended cleanly, else how it ended. */
	int (*stop)(struct st *s, struct hvt_err *err);
	void (*release)(struct st *s);
	pid_t (*pid)(struct st *s);
};

/* target.c */
const struct st_target_ops *st_target_find(const char *name);

/* steps.c */
/* "m0" or "m1". */
const char *st_vm_name(int vm);
/* The disks attached now, in order, but except (may be NULL), into out; how many. */
size_t st_attached(struct st *s, struct st_disk **out, const struct st_disk *except);
bool st_check_rc(struct st *s, const char *name, int rc, const struct hvt_err *err,
		 const char *okmsg);
void st_require_rc(struct st *s, const char *name, int rc, const struct hvt_err *err,
		   const char *okmsg);
double st_case_time(const struct st *s);
/* The case time of a host wall-clock time (seconds since the epoch). */
double st_wall_to_case(const struct st *s, double wall);
/* A guest's wall clock and the host's at the same moment (guest-get-time). */
int st_clock_read(struct st *s, int vm, struct st_clock *out, struct hvt_err *err);
/* A metric at a given case time (hvt_case_metric() stamps "now"). */
void st_metric_at(struct st *s, const char *name, double value, const char *unit, double t);
struct st_disk *st_disk(struct st *s, int idx);
struct st_ctrl *st_ctrl(struct st *s, int num);
int st_boot(struct st *s, struct hvt_err *err);
/*
 * Health at every step: the target and both machines alive and answering
 * (a check; the case ends when they are not).
 */
void st_health(struct st *s, const char *label);
/*
 * Attach d to controller num (hot-plug): export, device_add, visible in
 * the guest; checks and metrics. A failed step ends the case.
 */
void st_attach(struct st *s, struct st_disk *d, int ctrl, const char *label);
/* The QEMU half of an attach, for scenarios that expect it to fail: 0 or -errno. */
int st_attach_device(struct st *s, struct st_disk *d, int ctrl, struct hvt_err *err);
/*
 * Detach d: device_del, DEVICE_DELETED, the disk gone in the guest, the
 * backend node or chardev removed, the export removed; checks and
 * metrics; a failed step ends the case. io: fio runs on it (its I/O
 * errors on the console are expected).
 */
void st_detach(struct st *s, struct st_disk *d, bool io, const char *label);
/* device_del and the wait for DEVICE_DELETED only: 0, -ETIMEDOUT or -errno. */
int st_device_del(struct st *s, struct st_disk *d, int timeout_ms, double *event_ms,
		  struct hvt_err *err);
/* Release what QEMU and the target still hold for a disk whose device is gone. */
int st_release_disk(struct st *s, struct st_disk *d, struct hvt_err *err);
/* The guest's view: is d present in its machine, and as which device. */
int st_guest_find(struct st *s, int vm, const struct st_disk *d, bool *present, char *dev,
		  size_t devlen, struct hvt_err *err);
/* Poll the guest until d is present (or gone) within timeout_ms; -ETIMEDOUT. */
int st_guest_wait(struct st *s, int vm, struct st_disk *d, bool present, int timeout_ms,
		  struct hvt_err *err);
/* Note that I/O errors of the guest's device dev are expected on vm's console (this boot). */
void st_expect_errors(struct st *s, int vm, const char *dev);
/* Write data into the case's directory (parent directories made) as the artifact rel. */
void st_save(struct st *s, const char *rel, const char *data, size_t len);
/* Keep what the guests and the target say now, as artifacts (PREFIX-...). */
void st_forensics(struct st *s, const char *prefix);
/* Check that every attached disk is present and every listed one absent. */
void st_check_disks(struct st *s, const char *label, struct st_disk *const *gone, size_t ngone);
void st_reboot(struct st *s, const char *label);
/* Wait up to ms while watching QMP events. */
void st_pause(struct st *s, int ms);
/* The checks every case ends with: target and machines answer, consoles clean. */
void st_final_checks(struct st *s);
/* Stop the machines, then the target, each checked for a clean end. */
void st_teardown(struct st *s);
/* After everything is freed: no process of the case runs, no socket is left. */
void st_check_nothing_left(struct st *s);

/* fio.c */
/* Start one fio job per disk (the guest's device found by serial); false on failure. */
void st_fio_start(struct st *s, struct st_disk *const *disks, size_t n, enum st_expect expect,
		  int runtime_s, const char *label);
/* Wait for every job of the round, read its results, check them as expected. */
void st_fio_wait(struct st *s, const char *label, int timeout_ms);
/*
 * Ask every job of the round still running whether it still runs; the
 * number that ended (their results kept for st_fio_wait()), or -errno.
 */
int st_fio_ended(struct st *s, struct hvt_err *err);
/* End the round's running jobs early (SIGINT: fio stops, reports, exits 128). */
void st_fio_stop(struct st *s, const char *label);
/* The round's jobs that ran on d, or NULL. */
struct st_job *st_fio_job(struct st *s, const struct st_disk *d);
/* Note an operation made during the round, for the IOPS around it. */
void st_fio_op(struct st *s, const char *label, const struct st_disk *d, double t0, double t1);
void st_fio_release(struct st *s);

/* sc-seed.c: the seed's cases */
/* The hot-detach cases' prerequisites: d08-d15, two on each of ctrl5-ctrl8. */
void st_detach_prereq(struct st *s);
void sc_attach_tc1(struct st *s);
void sc_attach_tc2(struct st *s);
void sc_attach_tc3(struct st *s);
void sc_attach_tc4(struct st *s);
void sc_detach_tc1(struct st *s);
void sc_detach_tc2(struct st *s);
void sc_detach_tc3(struct st *s);
void sc_detach_tc4(struct st *s);

/* sc-fault.c */
void sc_target_killed(struct st *s);
void sc_reconnect(struct st *s);
void sc_loop(struct st *s);
void sc_unacked_detach(struct st *s);
void sc_export_del_in_use(struct st *s);

/* sc-bad.c: bad input, run before anything starts (see storage.c) */
void sc_bad_missing_file(struct st *s);
void sc_bad_export_clash(struct st *s);
void sc_bad_long_socket(struct st *s);
void sc_bad_no_controller(struct st *s);
void sc_bad_qsd_missing(struct st *s);
void sc_bad_qsd_old(struct st *s);

#endif
