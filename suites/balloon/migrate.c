// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration between two local QEMU processes: migrate-incoming on the
 * destination, migrate on the source, events to know when it is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

static bool migration_done(const struct hvt_qmp_event *ev, void *opaque)
{
	const char *status = hvt_json_get_str(ev->data, "status");

	(void)opaque;
	return status && (!strcmp(status, "completed") || !strcmp(status, "failed") ||
			  !strcmp(status, "cancelled"));
}

int hvt_migrate_run(struct hvt_vm *src, struct hvt_vm *dst, const char *sock_path,
		    int timeout_ms, struct hvt_migrate_stats *st, struct hvt_err *err)
{
	int64_t t0 = hvt_now_ms(), deadline = t0 + timeout_ms;
	struct hvt_qmp_event *ev = NULL;
	struct json_object *info = NULL;
	const char *status;
	char *uri = hvt_asprintf("unix:%s", sock_path);
	int ret;

	st->total_ms = 0;
	st->downtime_ms = -1;
	ret = hvt_vm_qmp(src, NULL, err, "migrate-set-capabilities",
			 "{'capabilities': [{'capability': 'events', 'state': true}]}");
	if (ret)
		goto out;
	ret = hvt_vm_qmp(dst, NULL, err, "migrate-incoming", "{'uri': '%s'}", uri);
	if (ret)
		goto out;
	ret = hvt_vm_qmp(src, NULL, err, "migrate", "{'uri': '%s'}", uri);
	if (ret)
		goto out;
	ret = hvt_qmp_event_wait(hvt_vm_qmp_client(src), "MIGRATION", migration_done, NULL,
				 hvt_ms_left(deadline), &ev, err);
	if (ret) {
		hvt_err_prefix(err, "waiting for the migration to end");
		goto out;
	}
	status = hvt_json_get_str(ev->data, "status");
	if (strcmp(status, "completed")) {
		ret = hvt_vm_qmp(src, &info, err, "query-migrate", NULL);
		if (!ret)
			ret = hvt_err_set(err, -EIO, "migration %s: %s", status,
					  hvt_json_get_str(info, "error-desc") ?
					  hvt_json_get_str(info, "error-desc") : "no reason given");
		goto out;
	}
	hvt_qmp_event_free(ev);
	ev = NULL;
	ret = hvt_qmp_event_wait(hvt_vm_qmp_client(dst), "RESUME", NULL, NULL,
				 hvt_ms_left(deadline), &ev, err);
	if (ret) {
		hvt_err_prefix(err, "waiting for the destination to run");
		goto out;
	}
	st->total_ms = (double)(hvt_now_ms() - t0);
	if (!hvt_vm_qmp(src, &info, NULL, "query-migrate", NULL))
		st->downtime_ms = hvt_json_get_int(info, "downtime", -1);
out:
	json_object_put(info);
	hvt_qmp_event_free(ev);
	free(uri);
	return ret;
}
