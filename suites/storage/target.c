// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Storage targets behind one interface (struct st_target_ops): the
 * qemu-storage-daemon, and SPDK's vhost target, which is detected and
 * otherwise skipped (docs/STORAGE.md says how it plugs in).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"

#define QSD_STOP_MS 10000

/* --- qemu-storage-daemon --- */

static const char *image_ext(const struct st *s)
{
	return !strcmp(s->format, "qcow2") ? "qcow2" : "raw";
}

/* The backing files: one per disk, or for "split" one file cut in 16 slices. */
static int make_images(struct st *s, struct hvt_err *err)
{
	uint64_t size = (uint64_t)s->disk_mib * ST_MIB;
	int ret = hvt_mkdir_p(s->img_dir, 0755, err);

	if (ret)
		return ret;
	if (!strcmp(s->format, "split")) {
		char *path = hvt_asprintf("%s/disks.raw", s->img_dir);

		ret = hvt_qsd_image_create(path, "raw", size * ST_DISKS, err);
		free(path);
		return ret;
	}
	for (int i = 0; i < ST_DISKS && !ret; i++) {
		char *path = hvt_asprintf("%s/%s.%s", s->img_dir, s->disks[i].id, image_ext(s));

		ret = hvt_qsd_image_create(path, image_ext(s), size, err);
		free(path);
	}
	return ret;
}

static int qsd_add_disks(struct st *s, struct hvt_err *err)
{
	bool split = !strcmp(s->format, "split");
	uint64_t size = (uint64_t)s->disk_mib * ST_MIB;
	int ret = 0;

	for (int i = 0; i < ST_DISKS && !ret; i++) {
		char *path = split ? hvt_asprintf("%s/disks.raw", s->img_dir) :
			hvt_asprintf("%s/%s.%s", s->img_dir, s->disks[i].id, image_ext(s));
		struct hvt_qsd_disk d = {
			.node = s->disks[i].id,
			.file = path,
			.format = split ? "raw" : image_ext(s),
			.offset = split ? size * (uint64_t)i : 0,
			.size = split ? size : 0,
			.direct = !strcmp(s->cache, "none"),
			.no_flush = !strcmp(s->cache, "unsafe"),
		};

		ret = hvt_qsd_disk_add(s->qsd, &d, err);
		free(path);
	}
	return ret;
}

static int qsd_start(struct st *s, struct hvt_err *err)
{
	struct hvt_strv socks = HVT_STRV_INIT;
	const char *iothreads[] = { "io0", NULL };
	struct hvt_qsd_opts o = {
		.binary = s->qsd_binary,
		.workdir = s->tgt_dir,
		.iothreads = s->iothread ? iothreads : NULL,
	};
	int ret;

	hvt_strv_push(&socks, "nbd.sock");
	for (int i = 0; i < ST_DISKS; i++)
		hvt_strv_pushf(&socks, "vu-%s.sock", s->disks[i].id);
	o.sockets = (const char *const *)socks.v;
	s->qsd = hvt_qsd_new(&o, err);
	hvt_strv_release(&socks);
	if (!s->qsd)
		return err->code;
	if (s->c->workdir) {
		hvt_case_artifact(s->c, "qsd/qsd.log", "qsd/qsd.log");
		hvt_case_artifact(s->c, "qsd/qmp.log", "qsd/qmp.log");
	}
	ret = make_images(s, err);
	if (!ret)
		ret = hvt_qsd_start(s->qsd, s->qsd_ms, err);
	if (!ret)
		s->pids[ST_VMS] = hvt_qsd_pid(s->qsd);
	if (!ret)
		ret = qsd_add_disks(s, err);
	if (!ret && s->shape == ST_VIRTIO_SCSI)
		ret = hvt_qsd_nbd_start(s->qsd, "nbd.sock", err);
	return ret;
}

static int qsd_check(struct st *s, struct hvt_err *err)
{
	if (!s->qsd)
		return hvt_err_set(err, -ENOTCONN, "the storage daemon was not created");
	return hvt_qsd_check(s->qsd, s->cmd_ms, err);
}

static int qsd_export(struct st *s, struct st_disk *d, struct hvt_err *err)
{
	char sock[32];
	struct hvt_qsd_export e = {
		.id = d->id,
		.node = d->id,
		.writable = true,
		.iothread = s->iothread ? "io0" : NULL,
	};
	int ret;

	if (s->shape == ST_VHOST_USER_BLK) {
		snprintf(sock, sizeof(sock), "vu-%s.sock", d->id);
		e.type = HVT_QSD_EXPORT_VHOST_USER_BLK;
		e.sock = sock;
		e.num_queues = (int)s->num_queues;
	} else {
		snprintf(sock, sizeof(sock), "nbd.sock");
		e.type = HVT_QSD_EXPORT_NBD;
		e.name = d->id;
	}
	ret = hvt_qsd_export_add(s->qsd, &e, err);
	if (ret)
		return ret;
	free(d->sock);
	free(d->export_name);
	d->sock = hvt_qsd_path(s->qsd, sock);
	d->export_name = s->shape == ST_VIRTIO_SCSI ? hvt_strdup(d->id) : NULL;
	d->exported = true;
	return 0;
}

static int qsd_unexport(struct st *s, struct st_disk *d, bool hard, int timeout_ms,
			struct hvt_err *err)
{
	int ret = hvt_qsd_export_del(s->qsd, d->id, hard, timeout_ms, err);

	if (!ret)
		d->exported = false;
	return ret;
}

static int qsd_exported(struct st *s, const struct st_disk *d, struct hvt_err *err)
{
	return hvt_qsd_export_listed(s->qsd, d->id, err);
}

static int qsd_kill(struct st *s)
{
	return hvt_qsd_kill(s->qsd);
}

static int qsd_restart(struct st *s, struct hvt_err *err)
{
	int ret = hvt_qsd_start(s->qsd, s->qsd_ms, err);

	s->pids[ST_VMS] = hvt_qsd_pid(s->qsd);
	return ret;
}

static int qsd_stop(struct st *s, struct hvt_err *err)
{
	return s->qsd ? hvt_qsd_stop(s->qsd, QSD_STOP_MS, err) : 0;
}

static void qsd_release(struct st *s)
{
	hvt_qsd_free(s->qsd);
	s->qsd = NULL;
}

static pid_t qsd_pid(struct st *s)
{
	return s->qsd ? hvt_qsd_pid(s->qsd) : -1;
}

static bool qsd_available(struct st *s, char *why, size_t len)
{
	return true;
}

static const struct st_target_ops target_qsd = {
	.name = "qsd",
	.available = qsd_available,
	.start = qsd_start,
	.check = qsd_check,
	.export_disk = qsd_export,
	.unexport_disk = qsd_unexport,
	.exported = qsd_exported,
	.kill = qsd_kill,
	.restart = qsd_restart,
	.stop = qsd_stop,
	.release = qsd_release,
	.pid = qsd_pid,
};

/* --- SPDK's vhost target --- */

static bool spdk_available(struct st *s, char *why, size_t len)
{
	const char *bin = hvt_case_param(s->c, "spdk_target", "spdk_tgt");
	char *full = hvt_which(bin);

	if (!full)
		snprintf(why, len, "SPDK backend: no SPDK target (%s) found; SPDK is not packaged "
			 "in Debian: build it and name its spdk_tgt in the plan key spdk_target "
			 "(docs/STORAGE.md)", bin);
	else
		snprintf(why, len, "SPDK backend: %s is there, but driving it over its JSON-RPC "
			 "socket is not written yet (docs/STORAGE.md, \"SPDK\")", full);
	free(full);
	return false;
}

static int spdk_unsupported(struct hvt_err *err)
{
	return hvt_err_set(err, -ENOTSUP, "the SPDK backend is not available");
}

static int spdk_start(struct st *s, struct hvt_err *err)
{
	return spdk_unsupported(err);
}

static int spdk_export(struct st *s, struct st_disk *d, struct hvt_err *err)
{
	return spdk_unsupported(err);
}

static int spdk_unexport(struct st *s, struct st_disk *d, bool hard, int timeout_ms,
			 struct hvt_err *err)
{
	return spdk_unsupported(err);
}

static int spdk_exported(struct st *s, const struct st_disk *d, struct hvt_err *err)
{
	return spdk_unsupported(err);
}

static int spdk_kill(struct st *s)
{
	return 0;
}

static int spdk_stop(struct st *s, struct hvt_err *err)
{
	return 0;
}

static void spdk_release(struct st *s)
{
}

static pid_t spdk_pid(struct st *s)
{
	return -1;
}

static const struct st_target_ops target_spdk = {
	.name = "spdk",
	.available = spdk_available,
	.start = spdk_start,
	.check = spdk_start,
	.export_disk = spdk_export,
	.unexport_disk = spdk_unexport,
	.exported = spdk_exported,
	.kill = spdk_kill,
	.restart = spdk_start,
	.stop = spdk_stop,
	.release = spdk_release,
	.pid = spdk_pid,
};

const struct st_target_ops *st_target_find(const char *name)
{
	static const struct st_target_ops *const all[] = { &target_qsd, &target_spdk };

	for (size_t i = 0; i < HVT_ARRAY_SIZE(all); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
