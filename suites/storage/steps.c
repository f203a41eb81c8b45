// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The storage suite's steps: two machines with their controllers, disks
 * hot-attached and hot-detached (QEMU, the target, the guest's view by
 * serial number or PCI slot), health at every step, reboot, and the
 * checks every case ends with.
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage.h"

#define POLL_MS 50
#define QUIT_MS 30000

bool st_check_rc(struct st *s, const char *name, int rc, const struct hvt_err *err,
		 const char *okmsg)
{
	return hvt_case_check(s->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

void st_require_rc(struct st *s, const char *name, int rc, const struct hvt_err *err,
		   const char *okmsg)
{
	hvt_case_require(s->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

double st_case_time(const struct st *s)
{
	return hvt_now() - s->c->t0;
}

double st_wall_to_case(const struct st *s, double wall)
{
	return wall - s->wall_anchor + s->case_anchor;
}

void st_metric_at(struct st *s, const char *name, double value, const char *unit, double t)
{
	hvt_case_metric(s->c, name, value, unit);
	s->c->metrics[s->c->nmetrics - 1].t = t;
}

struct st_disk *st_disk(struct st *s, int idx)
{
	return &s->disks[idx];
}

struct st_ctrl *st_ctrl(struct st *s, int num)
{
	for (int i = 0; i < ST_CTRLS; i++)
		if (s->ctrls[i].num == num && s->ctrls[i].vm >= 0)
			return &s->ctrls[i];
	return NULL;
}

const char *st_vm_name(int vm)
{
	return vm ? "m1" : "m0";
}

size_t st_attached(struct st *s, struct st_disk **out, const struct st_disk *except)
{
	size_t n = 0;

	for (int i = 0; i < ST_DISKS; i++)
		if (s->disks[i].attached && &s->disks[i] != except)
			out[n++] = &s->disks[i];
	return n;
}

int st_clock_read(struct st *s, int vm, struct st_clock *out, struct hvt_err *err)
{
	struct json_object *ret = NULL;
	double h0 = hvt_wall_now(), h1;
	int rc = hvt_qga_execute(hvt_vm_qga(s->vm[vm]), "guest-get-time", NULL, &ret, s->cmd_ms,
				 err);

	h1 = hvt_wall_now();
	if (!rc) {
		out->guest = (double)json_object_get_int64(ret) / 1e9;
		out->host = (h0 + h1) / 2;
	}
	json_object_put(ret);
	return rc;
}

/*
 * The machine's controllers: virtio-scsi-pci (its own iothread when
 * iothreads are on), or for vhost-user-blk a pci-bridge whose slots take
 * the disks; guest RAM shared (memfd) so that a vhost-user back end can
 * map it.
 */
static struct hvt_vm *new_vm(struct st *s, int vm, struct hvt_err *err)
{
	struct hvt_strv devs = HVT_STRV_INIT, extra = HVT_STRV_INIT;
	struct hvt_vm_config cfg;
	struct hvt_vm *m;

	hvt_vm_config_init(&cfg);
	cfg.name = st_vm_name(vm);
	cfg.mem_mib = (uint64_t)s->mem_mib;
	for (int i = 0; i < ST_CTRLS; i++) {
		struct st_ctrl *k = &s->ctrls[i];

		if (k->vm != vm)
			continue;
		if (s->shape == ST_VHOST_USER_BLK) {
			hvt_strv_pushf(&devs, "pci-bridge,id=%s,chassis_nr=%d,addr=0x%x", k->id,
				       k->num, k->addr);
			continue;
		}
		if (s->iothread) {
			hvt_strv_push(&extra, "-object");
			hvt_strv_pushf(&extra, "iothread,id=io%d", k->num);
		}
		hvt_strv_pushf(&devs, "virtio-scsi-pci,id=%s,addr=0x%x", k->id, k->addr);
		if (s->iothread) {
			char *d = hvt_asprintf("%s,iothread=io%d", devs.v[devs.n - 1], k->num);

			free(devs.v[devs.n - 1]);
			devs.v[devs.n - 1] = d;
		}
	}
	if (s->shape == ST_VHOST_USER_BLK) {
		hvt_strv_push(&extra, "-object");
		hvt_strv_pushf(&extra, "memory-backend-memfd,id=mem0,size=%lldM,share=on",
			       s->mem_mib);
		hvt_strv_push(&extra, "-machine");
		hvt_strv_push(&extra, "memory-backend=mem0");
	}
	cfg.devices = (const char *const *)devs.v;
	cfg.extra = (const char *const *)extra.v;
	m = step_vm_new(s->c, &cfg, &s->consoles, err);
	if (m && s->c->workdir) {
		char *a = hvt_asprintf("%s/qmp.log", cfg.name), *b = hvt_asprintf("%s/qemu.stderr",
										   cfg.name);

		hvt_case_artifact(s->c, a, a);
		hvt_case_artifact(s->c, b, b);
		free(a);
		free(b);
	}
	hvt_strv_release(&devs);
	hvt_strv_release(&extra);
	return m;
}

int st_boot(struct st *s, struct hvt_err *err)
{
	int64_t t0 = hvt_now_ms();
	int rc = 0;

	for (int i = 0; i < ST_VMS && !rc; i++) {
		s->vm[i] = new_vm(s, i, err);
		if (!s->vm[i])
			return err->code;
		rc = hvt_vm_start(s->vm[i], err);
		if (hvt_vm_proc(s->vm[i]))
			s->pids[i] = hvt_proc_pid(hvt_vm_proc(s->vm[i]));
	}
	for (int i = 0; i < ST_VMS && !rc; i++) {
		rc = hvt_vm_wait_agent(s->vm[i], s->boot_ms, err);
		if (rc)
			hvt_err_prefix(err, "machine %s", st_vm_name(i));
	}
	if (!rc)
		hvt_case_metric(s->c, "boot", (double)(hvt_now_ms() - t0), "ms");
	return rc;
}

void st_health(struct st *s, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[128];
	/* a target the scenario killed is not asked */
	int rc = s->target_down ? 0 : s->tgt->check(s, &err);

	snprintf(name, sizeof(name), "%s: target and machines answer", label);
	if (rc) {
		hvt_err_prefix(&err, "storage target");
		st_require_rc(s, name, rc, &err, "");
	}
	for (int i = 0; i < ST_VMS; i++) {
		rc = hvt_vm_check_alive(s->vm[i], &err);
		if (!rc)
			rc = hvt_vm_qmp(s->vm[i], NULL, &err, "query-status", NULL);
		if (rc) {
			hvt_err_prefix(&err, "machine %s", st_vm_name(i));
			st_require_rc(s, name, rc, &err, "");
		}
	}
	if (s->target_down)
		hvt_case_check(s->c, name, true, "QEMU m0, m1 answer QMP (the target was killed)");
	else
		hvt_case_check(s->c, name, true, "%s (pid %d) and QEMU m0, m1 answer QMP",
			       s->tgt->name, (int)s->tgt->pid(s));
}

/* Lowest free slot (1..31) behind a controller's bridge. */
static int free_slot(const struct st_ctrl *k)
{
	for (int n = 1; n < 32; n++)
		if (!(k->slots & (1u << n)))
			return n;
	return -1;
}

int st_attach_device(struct st *s, struct st_disk *d, int ctrl, struct hvt_err *err)
{
	struct st_ctrl *k = st_ctrl(s, ctrl);
	struct hvt_vm *vm = s->vm[k ? k->vm : 0];
	char node[24], bus[24], addr[8];
	int rc, slot = k ? free_slot(k) : 1;

	snprintf(node, sizeof(node), "%s-%s", s->shape == ST_VIRTIO_SCSI ? "nbd" : "vu", d->id);
	if (s->shape == ST_VIRTIO_SCSI) {
		snprintf(bus, sizeof(bus), "ctrl%d.0", ctrl);
		rc = hvt_vm_qmp(vm, NULL, err, "blockdev-add",
				"{'driver': 'nbd', 'node-name': %s, 'server': {'type': 'unix', "
				"'path': %s}, 'export': %s, 'reconnect-delay': %d}", node, d->sock,
				d->export_name, s->reconnect_delay_s);
		if (rc)
			return rc;
		rc = hvt_vm_qmp(vm, NULL, err, "device_add",
				"{'driver': 'scsi-hd', 'id': %s, 'bus': %s, 'drive': %s, "
				"'serial': %s}", d->id, bus, node, d->serial);
		if (rc) {
			hvt_vm_qmp(vm, NULL, NULL, "blockdev-del", "{'node-name': %s}", node);
			return rc;
		}
	} else {
		if (slot < 0)
			return hvt_err_set(err, -ENOSPC, "controller %d has no free slot", ctrl);
		snprintf(bus, sizeof(bus), "ctrl%d", ctrl);
		snprintf(addr, sizeof(addr), "0x%x", slot);
		rc = hvt_vm_qmp(vm, NULL, err, "chardev-add",
				"{'id': %s, 'backend': {'type': 'socket', 'data': {'addr': "
				"{'type': 'unix', 'data': {'path': %s}}, 'server': false, "
				"'reconnect': 1}}}", node, d->sock);
		if (rc)
			return rc;
		rc = hvt_vm_qmp(vm, NULL, err, "device_add",
				"{'driver': 'vhost-user-blk-pci', 'id': %s, 'chardev': %s, "
				"'bus': %s, 'addr': %s}", d->id, node, bus, addr);
		if (rc) {
			hvt_vm_qmp(vm, NULL, NULL, "chardev-remove", "{'id': %s}", node);
			return rc;
		}
		d->slot = slot;
		k->slots |= 1u << slot;
	}
	d->ctrl = ctrl;
	d->attached = true;
	return 0;
}

/* The output of the guest's disk listing: "s SERIAL DEV" and "p BRIDGE SLOT DEV" lines. */
static const char list_script[] =
	"for d in /sys/block/sd*; do [ -r \"$d/device/vpd_pg80\" ] || continue; "
	"echo s $(tail -c +5 \"$d/device/vpd_pg80\") \"${d##*/}\"; done; "
	"for d in /sys/bus/pci/devices/0000:00:*/0000:*/virtio*/block/*; do "
	"[ -e \"$d\" ] || continue; p=${d%/virtio*}; b=${p%/*}; "
	"echo \"p ${b##*/} ${p##*/} ${d##*/}\"; done; true";

static int guest_list(struct st *s, int vm, char **out, struct hvt_err *err)
{
	struct hvt_qga_exec_result res = { 0 };
	int rc = hvt_vm_sh(s->vm[vm], list_script, s->cmd_ms, &res, err);

	if (!rc && res.exit_code != 0)
		rc = hvt_err_set(err, -EIO, "listing the disks of %s: exit %d: %s", st_vm_name(vm),
				 res.exit_code, res.err);
	if (!rc) {
		*out = res.out;
		res.out = NULL;
	}
	hvt_qga_exec_result_release(&res);
	return rc;
}

/*
 * Whether the listing shows a disk: by serial (scsi-hd), or behind the
 * bridge of controller ctrl at slot (vhost-user-blk, whose serial says
 * nothing). Its device name goes into dev.
 */
static bool listing_find(struct st *s, const char *text, const char *serial, int ctrl, int slot,
			 char *dev, size_t devlen)
{
	const struct st_ctrl *k = ctrl ? st_ctrl(s, ctrl) : NULL;
	char want[64];

	if (s->shape == ST_VIRTIO_SCSI)
		snprintf(want, sizeof(want), "s %s ", serial);
	else if (k && slot > 0)
		snprintf(want, sizeof(want), "p 0000:00:%02x.0 0000:", k->addr);
	else
		return false;
	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t n = eol ? (size_t)(eol - l) : strlen(l);
		char line[128], *last;
		unsigned v;

		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		l = eol ? eol + 1 : NULL;
		if (strncmp(line, want, strlen(want)))
			continue;
		/* "p 0000:00:AA.0 0000:BB:SS.0 vdX": BB, then the slot */
		if (s->shape == ST_VHOST_USER_BLK &&
		    (sscanf(line + strlen(want) + 3, "%x.0", &v) != 1 || (int)v != slot))
			continue;
		last = strrchr(line, ' ');
		snprintf(dev, devlen, "%s", last ? last + 1 : "?");
		return true;
	}
	return false;
}

static bool listing_has(struct st *s, const char *text, const struct st_disk *d, char *dev,
			size_t devlen)
{
	return listing_find(s, text, d->serial, d->ctrl, d->slot, dev, devlen);
}

int st_guest_find(struct st *s, int vm, const struct st_disk *d, bool *present, char *dev,
		  size_t devlen, struct hvt_err *err)
{
	char *text = NULL;
	int rc = guest_list(s, vm, &text, err);

	if (!rc)
		*present = listing_has(s, text, d, dev, devlen);
	free(text);
	return rc;
}

int st_guest_wait(struct st *s, int vm, struct st_disk *d, bool present, int timeout_ms,
		  struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	char dev[16] = "";

	for (;;) {
		int64_t t0 = hvt_now_ms();
		char *text = NULL;
		bool p;
		int rc = guest_list(s, vm, &text, err);

		if (rc)
			return rc;
		p = listing_has(s, text, d, dev, sizeof(dev));
		if (p == present) {
			if (p)
				snprintf(d->dev, sizeof(d->dev), "%s", dev);
			/* the resolution of the latency just measured */
			hvt_case_metric(s->c, "guest_poll", (double)(hvt_now_ms() - t0), "ms");
			free(text);
			return 0;
		}
		if (!hvt_ms_left(deadline)) {
			if (present)
				hvt_err_set(err, -ETIMEDOUT, "%s not visible in %s within %d ms",
					    d->id, st_vm_name(vm), timeout_ms);
			else
				hvt_err_set(err, -ETIMEDOUT, "%s still in %s (as /dev/%s) after "
					    "%d ms", d->id, st_vm_name(vm), dev, timeout_ms);
			hvt_err_append(err, "; the guest's disks: %s", *text ? text : "none");
			free(text);
			return -ETIMEDOUT;
		}
		free(text);
		st_pause(s, POLL_MS);
	}
}

void st_attach(struct st *s, struct st_disk *d, int ctrl, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct st_ctrl *k = st_ctrl(s, ctrl);
	char name[128], op[32];
	int64_t t0 = 0;
	double t_case = 0;
	int rc;

	snprintf(name, sizeof(name), "%s: attach %s to ctrl%d", label, d->id, ctrl);
	if (!k)
		hvt_case_require(s->c, name, false, "the case's machines have no controller %d",
				 ctrl);
	rc = s->tgt->export_disk(s, d, &err);
	if (rc)
		hvt_err_prefix(&err, "export %s", d->id);
	if (!rc) {
		t0 = hvt_now_ms();
		t_case = st_case_time(s);
		rc = st_attach_device(s, d, ctrl, &err);
		/* nothing half-made stays behind */
		if (rc)
			s->tgt->unexport_disk(s, d, false, s->detach_ms, NULL);
	}
	st_require_rc(s, name, rc, &err, "device_add accepted");
	snprintf(name, sizeof(name), "%s: %s visible in %s", label, d->id, st_vm_name(k->vm));
	rc = st_guest_wait(s, k->vm, d, true, s->attach_ms, &err);
	if (!rc) {
		double ms = (double)(hvt_now_ms() - t0);

		snprintf(op, sizeof(op), "attach %s", d->id);
		st_fio_op(s, op, d, t_case, st_case_time(s));
		hvt_case_metric(s->c, "attach_latency", ms, "ms");
		hvt_case_check(s->c, name, true, "/dev/%s %.0f ms after device_add", d->dev, ms);
	} else {
		snprintf(op, sizeof(op), "attach-%s", d->id);
		st_forensics(s, op);
		st_require_rc(s, name, rc, &err, "");
	}
	st_health(s, label);
}

int st_device_del(struct st *s, struct st_disk *d, int timeout_ms, double *event_ms,
		  struct hvt_err *err)
{
	const struct st_ctrl *k = st_ctrl(s, d->ctrl);
	struct hvt_vm *vm = s->vm[k ? k->vm : 0];
	int64_t t0 = hvt_now_ms();
	int rc = step_device_del(vm, d->id, timeout_ms, err);

	if (rc == -ETIMEDOUT) {
		/* device_del was accepted; the guest has not let the device go */
		d->detach_pending = true;
		return hvt_err_set(err, rc, "no DEVICE_DELETED for %s within %d ms of device_del",
				   d->id, timeout_ms);
	}
	if (rc)
		return hvt_vm_check_alive(vm, err) ? -ECHILD : rc;
	d->attached = false;
	if (event_ms)
		*event_ms = (double)(hvt_now_ms() - t0);
	return 0;
}

int st_release_disk(struct st *s, struct st_disk *d, struct hvt_err *err)
{
	struct st_ctrl *k = st_ctrl(s, d->ctrl);
	struct hvt_vm *vm = s->vm[k ? k->vm : 0];
	char node[24];
	int rc;

	snprintf(node, sizeof(node), "%s-%s", s->shape == ST_VIRTIO_SCSI ? "nbd" : "vu", d->id);
	if (s->shape == ST_VIRTIO_SCSI)
		rc = hvt_vm_qmp(vm, NULL, err, "blockdev-del", "{'node-name': %s}", node);
	else
		rc = hvt_vm_qmp(vm, NULL, err, "chardev-remove", "{'id': %s}", node);
	if (rc)
		return rc;
	if (k && d->slot > 0)
		k->slots &= ~(1u << d->slot);
	d->last_ctrl = d->ctrl;
	d->last_slot = d->slot;
	d->slot = 0;
	d->ctrl = 0;
	if (d->exported)
		rc = s->tgt->unexport_disk(s, d, false, s->detach_ms, err);
	return rc;
}

void st_expect_errors(struct st *s, int vm, const char *dev)
{
	hvt_strv_push(&s->expected_errors[vm], dev);
}

void st_detach(struct st *s, struct st_disk *d, bool io, const char *label)
{
	const struct st_ctrl *k = st_ctrl(s, d->ctrl);
	struct hvt_err err = HVT_ERR_INIT;
	int vm = k ? k->vm : 0, ctrl = d->ctrl;
	int64_t t0 = hvt_now_ms();
	double ev_ms = 0, t_case = st_case_time(s);
	char name[128], op[32];
	int rc;

	if (io && d->dev[0])
		st_expect_errors(s, vm, d->dev);
	snprintf(name, sizeof(name), "%s: detach %s from ctrl%d", label, d->id, ctrl);
	rc = st_device_del(s, d, s->detach_ms, &ev_ms, &err);
	if (rc)
		st_require_rc(s, name, rc, &err, "");
	hvt_case_metric(s->c, "detach_event_latency", ev_ms, "ms");
	hvt_case_check(s->c, name, true, "DEVICE_DELETED %.0f ms after device_del", ev_ms);
	snprintf(name, sizeof(name), "%s: %s gone from %s", label, d->id, st_vm_name(vm));
	rc = st_guest_wait(s, vm, d, false, s->detach_ms, &err);
	if (!rc) {
		double ms = (double)(hvt_now_ms() - t0);

		hvt_case_metric(s->c, "detach_latency", ms, "ms");
		hvt_case_check(s->c, name, true, "/dev/%s gone %.0f ms after device_del", d->dev,
			       ms);
	} else {
		snprintf(op, sizeof(op), "detach-%s", d->id);
		st_forensics(s, op);
		st_require_rc(s, name, rc, &err, "");
	}
	snprintf(op, sizeof(op), "detach %s", d->id);
	st_fio_op(s, op, d, t_case, st_case_time(s));
	snprintf(name, sizeof(name), "%s: %s released", label, d->id);
	rc = st_release_disk(s, d, &err);
	st_require_rc(s, name, rc, &err, s->shape == ST_VIRTIO_SCSI ?
		      "NBD node deleted in QEMU, export deleted in the target" :
		      "chardev removed in QEMU, export deleted in the target");
	st_health(s, label);
}

void st_pause(struct st *s, int ms)
{
	int64_t deadline = hvt_now_ms() + ms;

	for (int i = 0; i < ST_VMS && s->vm[i]; i++) {
		int left = hvt_ms_left(deadline);

		if (left <= 0)
			break;
		step_pause(s->vm[i], i == ST_VMS - 1 ? left : left / 2);
	}
	while (hvt_ms_left(deadline) > 0)
		step_pause(s->vm[0], hvt_ms_left(deadline));
}

/* Whether an attached disk sits at ctrl's slot now. */
static bool slot_taken(const struct st *s, int ctrl, int slot)
{
	for (int i = 0; i < ST_DISKS; i++)
		if (s->disks[i].attached && s->disks[i].ctrl == ctrl && s->disks[i].slot == slot)
			return true;
	return false;
}

void st_check_disks(struct st *s, const char *label, struct st_disk *const *gone, size_t ngone)
{
	char *text[ST_VMS] = { NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char name[128], dev[16];

	for (int i = 0; i < ST_VMS; i++) {
		int rc = guest_list(s, i, &text[i], &err);

		snprintf(name, sizeof(name), "%s: disks of %s listed", label, st_vm_name(i));
		if (rc)
			st_require_rc(s, name, rc, &err, "");
	}
	for (int i = 0; i < ST_DISKS; i++) {
		struct st_disk *d = &s->disks[i];
		const struct st_ctrl *k = st_ctrl(s, d->ctrl);
		bool p;

		if (!d->attached || !k)
			continue;
		p = listing_has(s, text[k->vm], d, dev, sizeof(dev));
		if (p)
			snprintf(d->dev, sizeof(d->dev), "%s", dev);
		snprintf(name, sizeof(name), "%s: %s present in %s", label, d->id, st_vm_name(k->vm));
		hvt_case_check(s->c, name, p, p ? "/dev/%s" : "%s", p ? dev : "not found by its "
			       "serial or slot");
	}
	for (size_t g = 0; g < ngone; g++) {
		/* a detached disk: nothing answers to its serial, or at its old slot */
		const struct st_disk *d = gone[g];
		const struct st_ctrl *k = st_ctrl(s, d->last_ctrl);
		bool p = false;

		for (int i = 0; i < ST_VMS && !p; i++) {
			if (s->shape == ST_VIRTIO_SCSI)
				p = listing_find(s, text[i], d->serial, 0, 0, dev, sizeof(dev));
			else if (k && k->vm == i && !slot_taken(s, d->last_ctrl, d->last_slot))
				p = listing_find(s, text[i], NULL, d->last_ctrl, d->last_slot, dev,
						 sizeof(dev));
		}
		snprintf(name, sizeof(name), "%s: %s absent", label, d->id);
		hvt_case_check(s->c, name, !p, p ? "still there as /dev/%s" : "%s", p ? dev :
			       "in neither machine");
	}
	for (int i = 0; i < ST_VMS; i++)
		free(text[i]);
}

void st_reboot(struct st *s, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	double after = hvt_wall_now();
	int64_t t0 = hvt_now_ms();
	char name[128];
	int rc;

	for (int i = 0; i < ST_VMS; i++) {
		snprintf(name, sizeof(name), "%s: reboot %s", label, st_vm_name(i));
		rc = hvt_qga_shutdown(hvt_vm_qga(s->vm[i]), "reboot", &err);
		if (rc)
			st_require_rc(s, name, rc, &err, "");
	}
	for (int i = 0; i < ST_VMS; i++) {
		struct hvt_qmp_event *ev = NULL;

		snprintf(name, sizeof(name), "%s: reboot %s", label, st_vm_name(i));
		rc = hvt_qmp_event_wait(hvt_vm_qmp_client(s->vm[i]), "RESET", hvt_qmp_event_since,
					&after, s->boot_ms, &ev, &err);
		hvt_qmp_event_free(ev);
		if (!rc)
			rc = hvt_vm_wait_agent(s->vm[i], s->boot_ms, &err);
		if (!rc) {
			/* a new boot: the names of its disks are new too */
			hvt_strv_push(&s->expected_errors[i], "--boot--");
		}
		st_require_rc(s, name, rc, &err, "RESET, then the agent answered");
	}
	hvt_case_metric(s->c, "reboot", (double)(hvt_now_ms() - t0), "ms");
	st_health(s, label);
}

/* --- the checks every case ends with --- */

static const char *const bad_patterns[] = {
	"Oops", "BUG:", "Call Trace", "Kernel panic", "blocked for more than",
};

/* Whether dev's I/O errors are expected in boot number boot of machine vm. */
static bool error_expected(const struct st *s, int vm, int boot, const char *dev)
{
	int b = 0;

	for (size_t i = 0; i < s->expected_errors[vm].n; i++) {
		const char *e = s->expected_errors[vm].v[i];

		if (!strcmp(e, "--boot--"))
			b++;
		else if (b == boot && !strcmp(e, dev))
			return true;
	}
	return false;
}

/* The device an I/O error line names ("... dev sdb, sector ..." or "on dev sdb,"), or "". */
static void error_dev(const char *line, char *dev, size_t len)
{
	const char *p = strstr(line, "dev ");
	size_t n;

	dev[0] = '\0';
	if (!p)
		return;
	p += 4;
	n = strcspn(p, ", :");
	snprintf(dev, len, "%.*s", (int)n, p);
}

/* A console line fit for a message: terminal escapes and other controls as '?'. */
static void keep_line(char *dst, size_t len, const char *line)
{
	snprintf(dst, len, "%s", line);
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void check_console(struct st *s, int vm)
{
	char name[64], *text = NULL, dev[32], first_bad[200] = "", first_io[200] = "";
	int boot = -1, expected = 0, unexpected = 0;
	const char *path = s->consoles.n > (size_t)vm ? s->consoles.v[vm] : NULL;

	snprintf(name, sizeof(name), "console %s clean", st_vm_name(vm));
	if (s->console_skip) {
		hvt_case_check_skip(s->c, name, "%s", s->console_skip);
		return;
	}
	if (!path || hvt_file_read(path, &text, NULL, NULL)) {
		hvt_case_check_skip(s->c, name, "no console log");
		return;
	}
	for (char *l = text; l && *l;) {
		char *eol = strchr(l, '\n');

		if (eol)
			*eol = '\0';
		if (strstr(l, "Linux version "))
			boot++;
		for (size_t k = 0; k < HVT_ARRAY_SIZE(bad_patterns) && !first_bad[0]; k++)
			if (strstr(l, bad_patterns[k]))
				keep_line(first_bad, sizeof(first_bad), l);
		if (strstr(l, "I/O error")) {
			error_dev(l, dev, sizeof(dev));
			if (dev[0] && error_expected(s, vm, boot < 0 ? 0 : boot, dev)) {
				expected++;
			} else {
				if (!unexpected)
					keep_line(first_io, sizeof(first_io), l);
				unexpected++;
			}
		}
		l = eol ? eol + 1 : NULL;
	}
	hvt_case_check(s->c, name, !first_bad[0], "%s%.150s", first_bad[0] ? "" :
		       "no Oops, BUG, Call Trace, panic or hung task", first_bad);
	snprintf(name, sizeof(name), "console %s: no unexpected I/O errors", st_vm_name(vm));
	hvt_case_check(s->c, name, unexpected == 0, "%d expected (detached disks), %d unexpected%s"
		       "%.150s", expected, unexpected, unexpected ? ", first: " : "", first_io);
	hvt_case_metric(s->c, "console_io_errors_expected", expected, "");
	free(text);
}

void st_final_checks(struct st *s)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[96];
	int rc;

	if (!s->target_down && s->tgt && s->tgt->pid(s) > 0) {
		rc = s->tgt->check(s, &err);
		st_check_rc(s, "storage target alive and answering", rc, &err, "query-version "
			    "answered");
	}
	for (int i = 0; i < ST_VMS && !s->vms_down; i++) {
		if (!s->vm[i])
			continue;
		snprintf(name, sizeof(name), "QEMU %s alive and answering", st_vm_name(i));
		rc = hvt_vm_check_alive(s->vm[i], &err);
		if (!rc)
			rc = hvt_vm_qmp(s->vm[i], NULL, &err, "query-status", NULL);
		st_check_rc(s, name, rc, &err, "query-status answered");
		if (rc)
			continue;
		snprintf(name, sizeof(name), "agent of %s answers", st_vm_name(i));
		rc = hvt_qga_ping(hvt_vm_qga(s->vm[i]), s->cmd_ms, &err);
		st_check_rc(s, name, rc, &err, "guest-ping answered");
	}
	for (int i = 0; i < ST_VMS; i++)
		if (s->vm[i])
			check_console(s, i);
}

/* Stop the machines, then the target, each checked for a clean end. */
void st_teardown(struct st *s)
{
	struct hvt_err err = HVT_ERR_INIT;
	char name[96];
	int rc;

	for (int i = 0; i < ST_VMS; i++) {
		if (!s->vm[i] || !hvt_vm_proc(s->vm[i]))
			continue;
		snprintf(name, sizeof(name), "QEMU %s exited cleanly", st_vm_name(i));
		rc = hvt_vm_quit(s->vm[i], QUIT_MS, &err);
		if (s->vms_down)
			hvt_case_check_skip(s->c, name, "the scenario ended the machine");
		else
			st_check_rc(s, name, rc, &err, "quit: exit code 0");
	}
	if (s->tgt && s->tgt->pid(s) > 0) {
		rc = s->tgt->stop(s, &err);
		if (s->target_down)
			hvt_case_check_skip(s->c, "storage target exited cleanly",
					    "the scenario killed the target");
		else
			st_check_rc(s, "storage target exited cleanly", rc, &err,
				    "quit: exit code 0");
	}
}

static struct hvt_strv *found_sockets;

static int note_socket(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F && S_ISSOCK(st->st_mode))
		hvt_strv_push(found_sockets, path);
	return 0;
}

/* After everything is freed: no process of the case runs, no socket is left. */
void st_check_nothing_left(struct st *s)
{
	struct hvt_strv socks = HVT_STRV_INIT, alive = HVT_STRV_INIT;
	char *list;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(s->pids); i++) {
		if (s->pids[i] > 0 && kill(s->pids[i], 0) == 0)
			hvt_strv_pushf(&alive, "%d", (int)s->pids[i]);
	}
	list = hvt_strv_join_quoted(&alive);
	hvt_case_check(s->c, "nothing left running", alive.n == 0, "%s%s", alive.n ?
		       "still running: " : "QEMU and the target are gone", alive.n ? list : "");
	free(list);
	if (s->c->workdir) {
		found_sockets = &socks;
		nftw(s->c->workdir, note_socket, 16, FTW_PHYS);
		found_sockets = NULL;
		list = hvt_strv_join_quoted(&socks);
		hvt_case_check(s->c, "no stale sockets", socks.n == 0, "%s", socks.n ? list :
			       "no socket left in the case's directory");
		free(list);
	}
	hvt_strv_release(&socks);
	hvt_strv_release(&alive);
}

void st_save(struct st *s, const char *rel, const char *data, size_t len)
{
	char *path, *slash;

	if (!s->c->workdir || !data)
		return;
	path = hvt_asprintf("%s/%s", s->c->workdir, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (!hvt_mkdir_p(path, 0755, NULL)) {
		*slash = '/';
		if (!hvt_file_write(path, data, len, NULL))
			hvt_case_artifact(s->c, rel, rel);
	}
	free(path);
}

/* Text as st_save() keeps it. */
static void save(struct st *s, const char *rel, const char *text)
{
	if (text)
		st_save(s, rel, text, strlen(text));
}

void st_forensics(struct st *s, const char *prefix)
{
	char rel[96];

	for (int i = 0; i < ST_VMS; i++) {
		struct hvt_qga_exec_result res = { 0 };
		struct json_object *ret = NULL;

		if (!s->vm[i] || hvt_vm_check_alive(s->vm[i], NULL))
			continue;
		if (!hvt_vm_qmp(s->vm[i], &ret, NULL, "query-block", NULL)) {
			snprintf(rel, sizeof(rel), "%s-%s-query-block.json", prefix, st_vm_name(i));
			save(s, rel, json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PRETTY));
		}
		json_object_put(ret);
		if (!hvt_vm_sh(s->vm[i], "dmesg | tail -n 300; echo; ps; echo; "
			       "for p in /proc/[0-9]*; do [ -r $p/stack ] && grep -q fio $p/comm "
			       "2>/dev/null && { echo \"== $p $(cat $p/wchan)\"; cat $p/stack; }; "
			       "done; cat /proc/diskstats; ls -l /sys/bus/scsi/devices/ /sys/block/",
			       s->cmd_ms, &res, NULL)) {
			snprintf(rel, sizeof(rel), "%s-%s-dmesg.txt", prefix, st_vm_name(i));
			save(s, rel, res.out);
		}
		hvt_qga_exec_result_release(&res);
	}
	if (s->qsd && hvt_qsd_running(s->qsd)) {
		struct json_object *ret = NULL;

		if (!hvt_qsd_qmp(s->qsd, &ret, NULL, "query-block-exports", NULL)) {
			snprintf(rel, sizeof(rel), "%s-qsd-exports.json", prefix);
			save(s, rel, json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PRETTY));
		}
		json_object_put(ret);
	}
}
