// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest-level steps the suites share (steps.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steps.h"

struct hvt_vm *step_vm_new(struct hvt_case *c, struct hvt_vm_config *cfg, struct hvt_strv *consoles,
                           struct hvt_err *err)
{
	char *wd = c->workdir ? hvt_asprintf("%s/%s", c->workdir, cfg->name) : NULL;
	struct hvt_vm *vm;

	if (wd)
		cfg->workdir = wd;
	vm = hvt_vm_new(cfg, err);
	if (vm) {
		char *con = hvt_vm_path(vm, "console.log");
		char *rel = hvt_asprintf("%s/console.log", cfg->name);

		hvt_strv_push(consoles, con);
		if (wd)
			hvt_case_artifact(c, rel, rel);
		free(rel);
		free(con);
	}
	if (wd)
		cfg->workdir = NULL;
	free(wd);
	return vm;
}

int step_reboot(struct hvt_vm *vm, bool hard, int timeout_ms, struct hvt_err *err)
{
	struct hvt_qmp_event *ev = NULL;
	double after = hvt_wall_now();
	int rc;

	if (hard)
		rc = hvt_vm_qmp(vm, NULL, err, "system_reset", NULL);
	else
		rc = hvt_qga_shutdown(hvt_vm_qga(vm), "reboot", err);
	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(vm), "RESET", hvt_qmp_event_since, &after,
		                        timeout_ms, &ev, err);
	hvt_qmp_event_free(ev);
	if (!rc)
		rc = hvt_vm_wait_agent(vm, timeout_ms, err);
	return rc;
}

static bool deleted_is(const struct hvt_qmp_event *ev, void *id)
{
	const char *dev = hvt_json_get_str(ev->data, "device");

	return dev && !strcmp(dev, id);
}

int step_device_del(struct hvt_vm *vm, const char *id, int timeout_ms, struct hvt_err *err)
{
	struct hvt_qmp_event *ev = NULL;
	int rc = hvt_vm_qmp(vm, NULL, err, "device_del", "{'id': %s}", id);

	if (!rc)
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(vm), "DEVICE_DELETED", deleted_is,
		                        (void *)id, timeout_ms, &ev, err);
	hvt_qmp_event_free(ev);
	return rc;
}

void step_pause(struct hvt_vm *vm, int ms)
{
	struct hvt_qmp *q = hvt_vm_qmp_client(vm);

	if (q)
		hvt_qmp_poll(q, ms, NULL);
}

/* "console NAME clean" for .../NAME/console.log, else by its index. */
static void console_name(const char *path, size_t i, char *buf, size_t len)
{
	const char *end = strrchr(path, '/'), *start = end;

	while (start && start > path && start[-1] != '/')
		start--;
	if (end && start && end > start)
		snprintf(buf, len, "console %.*s clean", (int)(end - start), start);
	else
		snprintf(buf, len, "console %zu clean", i);
}

void step_check_consoles(struct hvt_case *c, const struct hvt_strv *consoles,
                         const char *skip_reason)
{
	static const char *const bad[] = {"Call Trace", "BUG:", "Kernel panic"};

	for (size_t i = 0; i < consoles->n; i++) {
		char *text = NULL, *hit = NULL, name[64];
		const char *what = NULL;

		console_name(consoles->v[i], i, name, sizeof(name));
		if (skip_reason) {
			hvt_case_check_skip(c, name, "%s", skip_reason);
			continue;
		}
		if (hvt_file_read(consoles->v[i], &text, NULL, NULL)) {
			hvt_case_check_skip(c, name, "no console log %s", consoles->v[i]);
			continue;
		}
		for (size_t k = 0; k < HVT_ARRAY_SIZE(bad) && !hit; k++) {
			hit = strstr(text, bad[k]);
			what = bad[k];
		}
		if (hit) {
			char *eol = strchr(hit, '\n');

			if (eol)
				*eol = '\0';
		}
		hvt_case_check(c, name, !hit, "%s%s%.200s", hit ? what : "no Call Trace or BUG",
		               hit ? " on the console: " : "", hit ? hit : "");
		free(text);
	}
}
