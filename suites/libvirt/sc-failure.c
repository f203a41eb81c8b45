// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recovery from failed migrations, through libvirt: the destination
 * daemon or its QEMU killed mid-transfer, the job aborted, a destination
 * that lacks the disk, an incompatible destination definition. After
 * each, the source keeps its state, the destination has nothing left,
 * both daemons answer, and a second migration succeeds.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "lvsuite.h"

/* Bytes the source must have sent before a fault: mid-transfer. */
#define MID_BYTES (2ULL << 20)
#define POLL_US 50000
#define GONE_MS 30000

struct bg {
	struct lt *t;
	struct hvt_domain_migrate_opts o;
	struct hvt_err err;
	int rc;
};

static void *bg_migrate(void *arg)
{
	struct bg *b = arg;

	b->rc = lt_migrate(b->t, &b->o, &b->err);
	return NULL;
}

/* Wait until the source's migration job has sent MID_BYTES. */
static int wait_mid(struct lt *t, struct bg *b, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + t->mig_ms;

	for (;;) {
		virDomainJobInfo ji;

		if (virDomainGetJobInfo(t->sdom, &ji) == 0 && ji.type == VIR_DOMAIN_JOB_UNBOUNDED &&
		    ji.dataProcessed >= MID_BYTES)
			return 0;
		if (b->rc || t->ddom)
			return hvt_err_set(err, -EALREADY, "the migration ended before it was "
					   "mid-transfer: %s", b->rc ? b->err.msg : "it completed");
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT, "the migration did not send %llu bytes "
					   "within %d ms", MID_BYTES, t->mig_ms);
		/* libvirt reports job progress only when asked */
		usleep(POLL_US);
	}
}

/* The destination's definition with the disk's path or the memory changed. */
static char *bad_dxml(struct lt *t, const char *fault)
{
	const char *from = !strcmp(fault, "missing_disk") ? "/disk.raw'" : "<memory unit='MiB'>";
	const char *p = strstr(t->xml, from);
	char *out;

	if (!p)
		return NULL;
	if (!strcmp(fault, "missing_disk"))
		out = hvt_asprintf("%.*s/no-such-disk.raw'%s", (int)(p - t->xml), t->xml,
				   p + strlen(from));
	else if (strstr(p, "</memory>"))
		out = hvt_asprintf("%.*s<memory unit='MiB'>%d%s", (int)(p - t->xml), t->xml,
				   t->mem_mib + 64, strstr(p, "</memory>"));
	else
		out = NULL;
	return out;
}

/* Inject the plan's fault into a migration; returns the failed migration's error code. */
static int inject(struct lt *t, const char *fault, struct hvt_err *err)
{
	struct bg b = { .t = t, .err = HVT_ERR_INIT };
	pthread_t th;
	int rc;

	lt_opts(t, &b.o);
	if (!strcmp(fault, "missing_disk") || !strcmp(fault, "incompatible")) {
		char *dxml = bad_dxml(t, fault);

		if (!dxml)
			return hvt_err_set(err, -EINVAL, "cannot make the destination's XML");
		b.o.dxml = dxml;
		rc = lt_migrate(t, &b.o, err);
		free(dxml);
		return rc ? rc : hvt_err_set(err, 0, "the migration succeeded");
	}
	if (!b.o.bandwidth_mib)
		return hvt_err_set(err, -EINVAL, "fault %s needs migrate_bandwidth (MiB/s) to be "
				   "caught mid-transfer", fault);
	if (pthread_create(&th, NULL, bg_migrate, &b))
		return hvt_err_set(err, -EAGAIN, "cannot start a thread");
	rc = wait_mid(t, &b, err);
	if (!rc) {
		if (!strcmp(fault, "abort")) {
			if (virDomainAbortJob(t->sdom) < 0)
				rc = hvt_virt_err(err, -EIO, "virDomainAbortJob");
		} else if (!strcmp(fault, "kill_dst_qemu")) {
			pid_t pid = hvt_libvirtd_qemu_pid(t->dst, t->name);

			if (pid < 0 || kill(pid, SIGKILL))
				rc = hvt_err_set(err, -ESRCH, "no destination QEMU to kill");
		} else if (!strcmp(fault, "kill_dst_daemon")) {
			rc = hvt_libvirtd_kill(t->dst);
			if (rc)
				hvt_err_set(err, rc, "the destination daemon did not die");
		}
	}
	pthread_join(th, NULL);
	if (rc)
		return rc;
	*err = b.err;
	return b.rc ? b.rc : hvt_err_set(err, 0, "the migration succeeded");
}

/* No domain and no QEMU on the destination (its QEMU may take a moment to go). */
static void check_dst_empty(struct lt *t)
{
	int64_t deadline = hvt_now_ms() + GONE_MS;
	virDomainPtr d = lt_lookup(t->dst, t->name);
	int q;

	hvt_case_check(t->c, "no leftover domain on the destination", !d,
		       d ? "the destination still lists %s (%s)" : "no %s on the destination%s",
		       t->name, d ? hvt_domain_state_name(hvt_domain_state(d, NULL)) : "");
	if (d)
		virDomainFree(d);
	while ((q = hvt_libvirtd_count_qemu(t->dst)) > 0 && hvt_ms_left(deadline))
		usleep(POLL_US);
	hvt_case_check(t->c, "no QEMU left on the destination", q == 0,
		       "%d QEMU process(es) in the destination daemon's namespace", q);
}

void lt_sc_failure(struct lt *t)
{
	const char *fault = hvt_case_param(t->c, "fault", "");
	struct hvt_err err = HVT_ERR_INIT;
	int rc, st_before, st;
	bool pers_before;

	if (strcmp(fault, "abort") && strcmp(fault, "kill_dst_qemu") &&
	    strcmp(fault, "kill_dst_daemon") && strcmp(fault, "missing_disk") &&
	    strcmp(fault, "incompatible"))
		hvt_case_fatal(t->c, "fault '%s': abort, kill_dst_qemu, kill_dst_daemon, "
			       "missing_disk or incompatible", fault);
	t->expect_src_defined = t->src_persistent && !(t->flags & VIR_MIGRATE_UNDEFINE_SOURCE);
	t->expect_dest_persistent = t->dest_defined || (t->flags & VIR_MIGRATE_PERSIST_DEST);
	t->expect_dest_paused = t->src_paused || (t->flags & VIR_MIGRATE_PAUSED);
	lt_prepare(t);
	st_before = hvt_domain_state(t->sdom, NULL);
	pers_before = virDomainIsPersistent(t->sdom) == 1;

	rc = inject(t, fault, &err);
	hvt_case_require(t->c, "migration failed", rc != 0, "%s", err.msg);
	if (!strcmp(fault, "kill_dst_daemon")) {
		rc = hvt_libvirtd_start(t->dst, 120000, &err);
		lt_require_rc(t, "destination daemon restarted", rc, &err, "answers again");
	}

	/* the source keeps its state: active, running or paused, persistent or not */
	st = hvt_domain_state(t->sdom, &err);
	hvt_case_check(t->c, "source keeps its state", st == st_before &&
		       virDomainIsActive(t->sdom) == 1 &&
		       (virDomainIsPersistent(t->sdom) == 1) == pers_before,
		       "%s, %s (before: %s, %s)", st < 0 ? err.msg : hvt_domain_state_name(st),
		       virDomainIsPersistent(t->sdom) == 1 ? "persistent" : "transient",
		       hvt_domain_state_name(st_before), pers_before ? "persistent" : "transient");
	check_dst_empty(t);
	lt_check_daemons(t, "after the failure");
	if (st_before == VIR_DOMAIN_RUNNING) {
		rc = hvt_domain_wait_agent(t->src, t->sdom, t->boot_ms, &err);
		lt_check_rc(t, "agent answers on the source", rc, &err, "guest-ping answered");
	}

	/* a retry, without the fault, succeeds */
	t->bandwidth = 0;
	rc = lt_migrate(t, NULL, &err);
	lt_require_rc(t, "retry: migration succeeded", rc, &err, hvt_domain_control_name(t->control));
	lt_check_migrated(t, "retry");
}
