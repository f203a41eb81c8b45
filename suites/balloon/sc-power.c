// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Balloon scenarios around power events: reboot and shutdown, inflated
 * or during a change, suspend to RAM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balloon.h"

static void power_during(struct bt *b, bool shutdown, bool enlarge)
{
	struct hvt_err err = HVT_ERR_INIT;
	long long to = enlarge ? b->mem : bt_evict_target(b);
	double after;
	int rc;

	if (enlarge && !bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		return;
	rc = bt_balloon_send(b, to, &after, &err);
	bt_require_rc(b, enlarge ? "enlarge started" : "evict started", rc, &err, "accepted");
	b->target = to;
	if (shutdown) {
		bt_shutdown(b, "shutdown");
	} else if (bt_reboot(b, "reboot", false)) {
		bt_check_after_reboot(b, "reboot", to);
	}
}

void sc_reboot_inflated(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)) && bt_reboot(b, "reboot", false))
		bt_check_after_reboot(b, "reboot", b->target);
}

void sc_shutdown_inflated(struct bt *b)
{
	if (bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		bt_shutdown(b, "shutdown");
}

void sc_reboot_during_evict(struct bt *b)
{
	power_during(b, false, false);
}

void sc_reboot_during_enlarge(struct bt *b)
{
	power_during(b, false, true);
}

void sc_shutdown_during_evict(struct bt *b)
{
	power_during(b, true, false);
}

void sc_shutdown_during_enlarge(struct bt *b)
{
	power_during(b, true, true);
}

void sc_s3(struct bt *b)
{
	struct hvt_qmp_event *ev = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	const char *why = NULL;
	bool can = false;
	double after;
	int rc = b->os->can_suspend(b->vm, b->cmd_ms, &can, &why, &err);

	bt_require_rc(b, "suspend support", rc, &err, "queried");
	if (!can) {
		hvt_case_skip(b->c, "S3 not possible: %s", why);
		return;
	}
	if (!bt_balloon_set(b, "evict", bt_evict_target(b), bt_evict_target(b)))
		return;
	after = hvt_wall_now();
	rc = hvt_qga_send(hvt_vm_qga(b->vm), "guest-suspend-ram", NULL, &err);
	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "SUSPEND", hvt_qmp_event_since, &after,
					b->bal_ms, &ev, &err);
	hvt_qmp_event_free(ev);
	ev = NULL;
	bt_require_rc(b, "suspend: SUSPEND event", rc, &err, "guest suspended to RAM");
	after = hvt_wall_now();
	rc = hvt_vm_qmp(b->vm, NULL, &err, "system_wakeup", NULL);
	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(b->vm), "WAKEUP", hvt_qmp_event_since, &after,
					b->bal_ms, &ev, &err);
	hvt_qmp_event_free(ev);
	if (!rc)
		rc = hvt_vm_wait_agent(b->vm, b->boot_ms, &err);
	bt_require_rc(b, "resume: WAKEUP, agent answers", rc, &err, "guest resumed");
	bt_balloon_finish(b, "after resume", b->target, 0, hvt_now_ms());
}
