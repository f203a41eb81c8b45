// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Faults beyond the vhost test plan: the storage target killed under
 * I/O, and restarted for the machines to reconnect; attach/detach in a
 * loop under I/O; a detach the guest does not acknowledge; an export
 * deleted while its disk is in use.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "storage.h"

/* fio's runtime in the loop: a day, it is stopped once the rounds are done */
#define LOOP_FIO_RUNTIME_S 86400

/* Both machines alive, answering QMP and their agents (the guests do not hang). */
static void machines_answer(struct st *s, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];

	for (int i = 0; i < ST_VMS; i++) {
		int rc = hvt_vm_check_alive(s->vm[i], &err);

		if (!rc)
			rc = hvt_vm_qmp(s->vm[i], NULL, &err, "query-status", NULL);
		if (!rc)
			rc = hvt_qga_ping(hvt_vm_qga(s->vm[i]), s->cmd_ms, &err);
		snprintf(name, sizeof(name), "%s: %s and its guest answer", label, st_vm_name(i));
		st_require_rc(s, name, rc, &err, "QMP and the agent answered");
	}
}

/* BLOCK_IO_ERROR events queued on a machine's QMP. */
static int io_error_events(struct st *s, int vm)
{
	struct hvt_qmp *q = hvt_vm_qmp_client(s->vm[vm]);
	struct hvt_qmp_event *ev;
	int n = 0;

	hvt_qmp_poll(q, 0, NULL);
	/* other events stay in the order they came */
	while ((ev = hvt_qmp_event_pop(q))) {
		n += !strcmp(ev->name, "BLOCK_IO_ERROR");
		hvt_qmp_event_free(ev);
	}
	return n;
}

/*
 * Kill the target under I/O. Over NBD without reconnect-delay the
 * machines turn the lost connection into I/O errors at once; a
 * vhost-user-blk device has no error path: its requests wait for a back
 * end. Either way QEMU and the guests must go on answering.
 */
void sc_target_killed(struct st *s)
{
	struct st_disk *v[ST_DISKS];
	struct hvt_err err = HVT_ERR_INIT;
	size_t n;
	int limit;

	st_detach_prereq(s);
	n = st_attached(s, v, NULL);
	st_fio_start(s, v, n, ST_EXPECT_ANY, s->fio_runtime_s, "fio");
	st_pause(s, s->op_delay_ms);
	s->target_down = true;
	hvt_case_require(s->c, "target killed", s->tgt->kill(s) == 0, "SIGKILL, %zu disks in use",
			 n);
	if (s->shape == ST_VIRTIO_SCSI) {
		for (size_t i = 0; i < s->njobs; i++) {
			s->jobs[i].expect = ST_EXPECT_FAIL;
			st_expect_errors(s, s->jobs[i].vm, s->jobs[i].dev);
		}
		limit = s->fio_runtime_s * 1000 + s->fio_slack_ms;
	} else {
		s->hang_expected = true;
		limit = s->fio_runtime_s * 1000 + 15000;
	}
	st_pause(s, 2000);
	machines_answer(s, "after the kill");
	st_fio_wait(s, "after the kill", limit);
	machines_answer(s, "after fio");
	if (s->shape == ST_VIRTIO_SCSI) {
		int ev = io_error_events(s, 0) + io_error_events(s, 1);

		hvt_case_check(s->c, "QEMU reported the I/O errors", ev > 0,
			       "%d BLOCK_IO_ERROR events", ev);
	} else {
		size_t stalled = 0;

		for (size_t i = 0; i < s->njobs; i++)
			stalled += !s->jobs[i].done;
		hvt_case_check(s->c, "I/O waits for the back end", stalled == s->njobs,
			       "%zu of %zu jobs still waiting (vhost-user-blk has no timeout: "
			       "requests wait for a back end)", stalled, s->njobs);
	}
	st_forensics(s, "forensics");
	hvt_err_clear(&err);
}

/* The first IOPS sample above 0 at or after t, per job; the latest of them (NAN: none). */
static double resumed_at(const struct st *s, double t, size_t *missing)
{
	double last = -INFINITY;

	*missing = 0;
	for (size_t i = 0; i < s->njobs; i++) {
		const struct st_job *j = &s->jobs[i];
		double first = NAN;

		for (size_t k = 0; k < j->nsamples && isnan(first); k++)
			if (j->samples[k].t >= t && j->samples[k].iops > 0)
				first = j->samples[k].t;
		if (isnan(first))
			(*missing)++;
		else if (first > last)
			last = first;
	}
	return isfinite(last) ? last : NAN;
}

/*
 * Kill the target under I/O and start it again with the same disks and
 * exports: the machines reconnect (the NBD client within its
 * reconnect-delay, vhost-user-blk by the chardev's reconnect) and every
 * job goes on to the end with its data verified.
 */
void sc_reconnect(struct st *s)
{
	struct st_disk *v[ST_DISKS];
	struct hvt_err err = HVT_ERR_INIT;
	int runtime = s->fio_runtime_s + 10;
	double t_restart, at;
	int64_t t0;
	size_t n, missing;
	int rc;

	st_detach_prereq(s);
	n = st_attached(s, v, NULL);
	st_fio_start(s, v, n, ST_EXPECT_CLEAN, runtime, "fio");
	st_pause(s, s->op_delay_ms);
	hvt_case_require(s->c, "target killed", s->tgt->kill(s) == 0, "SIGKILL, %zu disks in use",
			 n);
	st_pause(s, 2000);
	t0 = hvt_now_ms();
	t_restart = st_case_time(s);
	rc = s->tgt->restart(s, &err);
	st_require_rc(s, "target restarted", rc, &err, "the same disks and exports again");
	hvt_case_metric(s->c, "target_restart", (double)(hvt_now_ms() - t0), "ms");
	st_health(s, "after the restart");
	st_fio_wait(s, "after the restart", runtime * 1000 + s->fio_slack_ms);
	at = resumed_at(s, t_restart, &missing);
	hvt_case_check(s->c, "I/O resumed on every disk", missing == 0 && !isnan(at),
		       "%zu of %zu disks without I/O after the restart", missing, s->njobs);
	if (!isnan(at))
		hvt_case_metric(s->c, "io_resumed_after_restart", (at - t_restart) * 1000, "ms");
	st_check_disks(s, "after the restart", NULL, 0);
}

/*
 * Attach and detach one disk loop_rounds times while fio runs on the
 * others. fio has no end of its own here: after every round its jobs
 * must all still run (each round is under I/O), and after the last one
 * they are stopped and checked clean.
 */
void sc_loop(struct st *s)
{
	struct st_disk *v[ST_DISKS], *d = st_disk(s, 4);
	struct hvt_err err = HVT_ERR_INIT;
	long long done = 0;
	char label[32], name[64];
	size_t n;

	st_detach_prereq(s);
	n = st_attached(s, v, NULL);
	st_fio_start(s, v, n, ST_EXPECT_STOPPED, LOOP_FIO_RUNTIME_S, "fio");
	st_pause(s, s->op_delay_ms);
	for (long long r = 1; r <= s->loop_rounds; r++) {
		int ended;

		snprintf(label, sizeof(label), "round %lld", r);
		st_attach(s, d, 5, label);
		st_detach(s, d, false, label);
		ended = st_fio_ended(s, &err);
		snprintf(name, sizeof(name), "%s: under I/O throughout", label);
		if (ended < 0)
			st_require_rc(s, name, ended, &err, "");
		hvt_case_require(s->c, name, ended == 0, "%d of %zu fio jobs ended", ended, n);
		done = r;
	}
	st_fio_stop(s, "fio");
	st_fio_wait(s, "fio", s->fio_slack_ms);
	hvt_case_check(s->c, "every round done", done == s->loop_rounds, "%lld of %lld rounds",
		       done, s->loop_rounds);
	st_check_disks(s, "after the loop", &d, 1);
}

/*
 * device_del while the guest cannot answer (its vCPUs stopped). A PCI
 * device (vhost-user-blk-pci) goes only when the guest ejects it: the
 * detach times out, and nothing is torn down under the device; once the
 * guest runs again it completes. A scsi-hd goes from its virtio-scsi bus
 * without the guest: DEVICE_DELETED comes anyway.
 */
void sc_unacked_detach(struct st *s)
{
	struct st_disk *d = st_disk(s, 4);
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qmp_event *ev = NULL;
	double ev_ms = 0;
	char node[24];
	int rc;

	st_attach(s, d, 5, "attach");
	rc = hvt_vm_pause(s->vm[0], &err);
	st_require_rc(s, "m0 paused", rc, &err, "STOP");
	rc = st_device_del(s, d, s->unacked_ms, &ev_ms, &err);
	if (s->shape == ST_VIRTIO_SCSI) {
		const char *ok = "a scsi-hd leaves its bus without an acknowledgement";

		hvt_case_check(s->c, "DEVICE_DELETED without the guest", rc == 0, "%s",
			       rc ? err.msg : ok);
	} else {
		hvt_case_check(s->c, "unacknowledged detach times out", rc == -ETIMEDOUT, "%s",
			       rc ? err.msg : "DEVICE_DELETED came from a stopped guest");
		rc = hvt_vm_qmp(s->vm[0], NULL, &err, "qom-get",
				"{'path': '/machine/peripheral/d04', 'property': 'type'}");
		st_check_rc(s, "d04 still in QEMU while its detach is pending", rc, &err,
			    "qom-get answered");
		snprintf(node, sizeof(node), "vu-%s", d->id);
		rc = hvt_vm_qmp(s->vm[0], NULL, &err, "chardev-remove", "{'id': %s}", node);
		hvt_case_check(s->c, "its chardev stays while the device is there",
			       rc == -EREMOTEIO, "%s", rc ? err.msg : "chardev-remove accepted");
		hvt_err_clear(&err);
	}
	rc = hvt_vm_cont(s->vm[0], &err);
	st_require_rc(s, "m0 runs again", rc, &err, "RESUME");
	if (d->detach_pending) {
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(s->vm[0]), "DEVICE_DELETED", NULL, NULL,
					s->detach_ms, &ev, &err);
		hvt_qmp_event_free(ev);
		if (!rc) {
			d->detach_pending = false;
			d->attached = false;
		}
		st_check_rc(s, "DEVICE_DELETED once the guest runs", rc, &err,
			    "the guest ejected the device");
	}
	rc = st_guest_wait(s, 0, d, false, s->detach_ms, &err);
	st_check_rc(s, "d04 gone from m0", rc, &err, "not in the guest's sysfs");
	rc = d->attached ? -EBUSY : st_release_disk(s, d, &err);
	if (rc == -EBUSY)
		hvt_err_set(&err, rc, "the device is still there");
	st_check_rc(s, "d04 released", rc, &err, "node or chardev, and export, deleted");
	st_health(s, "end");
	st_check_disks(s, "end", &d, 1);
}

/*
 * block-export-del of a disk in use. In safe mode the target must refuse
 * while a client holds the export; hard mode drops the client, and the
 * guest gets I/O errors on that disk, not a hang. A control disk on the
 * same controller runs clean throughout.
 */
void sc_export_del_in_use(struct st *s)
{
	struct st_disk *d = st_disk(s, 4), *ctl = st_disk(s, 8), *v[2] = { d, ctl };
	struct hvt_err err = HVT_ERR_INIT;
	struct st_job *j;
	bool refused;
	int rc, listed;

	st_attach(s, d, 5, "setup");
	st_attach(s, ctl, 5, "setup");
	st_fio_start(s, v, 2, ST_EXPECT_CLEAN, s->fio_runtime_s, "fio");
	j = st_fio_job(s, d);
	st_pause(s, s->op_delay_ms);
	rc = s->tgt->unexport_disk(s, d, false, 3000, &err);
	listed = s->tgt->exported(s, d, NULL);
	refused = rc == -EBUSY && listed == 1;
	hvt_case_check(s->c, "safe block-export-del refused while d04 is in use", refused,
		       "%s; the export is %s", rc ? err.msg : "accepted",
		       listed == 1 ? "still listed" : listed == 0 ? "gone" : "unknown");
	if (!refused) {
		/* the disk lost its back end under the guest: record what that does */
		s->hang_expected = true;
		j->expect = ST_EXPECT_ANY;
		st_expect_errors(s, 0, d->dev);
		d->exported = false;
		st_fio_wait(s, "export gone", s->fio_runtime_s * 1000 + 15000);
		machines_answer(s, "export gone");
		st_forensics(s, "forensics");
		return;
	}
	rc = s->tgt->unexport_disk(s, d, true, s->detach_ms, &err);
	st_check_rc(s, "hard block-export-del drops the client", rc, &err,
		    "BLOCK_EXPORT_DELETED");
	j->expect = ST_EXPECT_FAIL;
	st_expect_errors(s, 0, d->dev);
	st_fio_wait(s, "after the hard delete", s->fio_runtime_s * 1000 + s->fio_slack_ms);
	machines_answer(s, "after the hard delete");
	st_detach(s, d, true, "detach");
	st_check_disks(s, "end", &d, 1);
}
