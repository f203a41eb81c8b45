// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The storage suite: disks hot-attached to and hot-detached from
 * controllers in use, under verifying fio, served by an external storage
 * target (qemu-storage-daemon) to two machines. This file is the test
 * type: plan keys, the scenario table, set-up and the teardown every
 * scenario ends with; steps live in steps.c and fio.c, scenarios in sc-*.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "storage.h"

/* What a scenario needs made before it runs. */
enum needs {
	NEEDS_ALL,	/* the target with its disks, and both machines */
	NEEDS_TARGET,	/* the target only */
	NEEDS_NOTHING,	/* the scenario makes (or fails to make) everything itself */
};

struct scenario {
	const char *name;
	void (*fn)(struct st *s);
	enum needs needs;
	int ctrl_first;	/* the group's controllers: ctrl1-4 or ctrl5-8 */
};

static const struct scenario scenarios[] = {
	{ "attach_tc1", sc_attach_tc1, NEEDS_ALL, 1 },
	{ "attach_tc2", sc_attach_tc2, NEEDS_ALL, 1 },
	{ "attach_tc3", sc_attach_tc3, NEEDS_ALL, 1 },
	{ "attach_tc4", sc_attach_tc4, NEEDS_ALL, 1 },
	{ "detach_tc1", sc_detach_tc1, NEEDS_ALL, 5 },
	{ "detach_tc2", sc_detach_tc2, NEEDS_ALL, 5 },
	{ "detach_tc3", sc_detach_tc3, NEEDS_ALL, 5 },
	{ "detach_tc4", sc_detach_tc4, NEEDS_ALL, 5 },
	{ "target_killed", sc_target_killed, NEEDS_ALL, 5 },
	{ "reconnect", sc_reconnect, NEEDS_ALL, 5 },
	{ "loop", sc_loop, NEEDS_ALL, 5 },
	{ "unacked_detach", sc_unacked_detach, NEEDS_ALL, 5 },
	{ "export_del_in_use", sc_export_del_in_use, NEEDS_ALL, 5 },
	{ "bad_missing_file", sc_bad_missing_file, NEEDS_TARGET, 5 },
	{ "bad_export_clash", sc_bad_export_clash, NEEDS_TARGET, 5 },
	{ "bad_long_socket", sc_bad_long_socket, NEEDS_NOTHING, 5 },
	{ "bad_no_controller", sc_bad_no_controller, NEEDS_ALL, 5 },
	{ "bad_qsd_missing", sc_bad_qsd_missing, NEEDS_NOTHING, 5 },
	{ "bad_qsd_old", sc_bad_qsd_old, NEEDS_NOTHING, 5 },
};

static int param_ms(struct hvt_case *c, const char *key, double dflt_s, int *out,
		    struct hvt_err *err)
{
	double v;
	int rc = hvt_case_param_double(c, key, dflt_s, &v, err);

	if (!rc && (v <= 0 || v > 86400))
		rc = hvt_err_set(err, -EINVAL, "%s = %g: seconds, more than 0", key, v);
	*out = (int)(v * 1000);
	return rc;
}

static int param_int(struct hvt_case *c, const char *key, long long dflt, long long lo,
		     long long hi, long long *out, struct hvt_err *err)
{
	int rc = hvt_case_param_int(c, key, dflt, out, err);

	if (!rc && (*out < lo || *out > hi))
		rc = hvt_err_set(err, -EINVAL, "%s = %lld: between %lld and %lld", key, *out, lo,
				 hi);
	return rc;
}

static int one_of(const char *key, const char *v, const char *const *ok, struct hvt_err *err)
{
	for (size_t i = 0; ok[i]; i++)
		if (!strcmp(v, ok[i]))
			return 0;
	return hvt_err_set(err, -EINVAL, "%s = %s: unknown", key, v);
}

static int read_params(struct st *s, struct hvt_err *err)
{
	static const char *const shapes[] = { "virtio-scsi", "vhost-user-blk", NULL };
	static const char *const formats[] = { "qcow2", "raw", "split", NULL };
	static const char *const caches[] = { "none", "writeback", "unsafe", NULL };
	static const char *const verifies[] = { "crc32c", "md5", "sha256", "xxhash", NULL };
	struct hvt_case *c = s->c;
	const char *shape = hvt_case_param(c, "controller", "virtio-scsi");
	long long v[8];
	int rc;

	s->format = hvt_case_param(c, "disk_format", "raw");
	s->cache = hvt_case_param(c, "cache", "writeback");
	s->fio_bs = hvt_case_param(c, "fio_bs", "4k");
	s->fio_verify = hvt_case_param(c, "fio_verify", "crc32c");
	s->qsd_binary = hvt_case_param(c, "qsd_binary", NULL);
	rc = one_of("controller", shape, shapes, err);
	if (!rc)
		rc = one_of("disk_format", s->format, formats, err);
	if (!rc)
		rc = one_of("cache", s->cache, caches, err);
	if (!rc)
		rc = one_of("fio_verify", s->fio_verify, verifies, err);
	if (rc)
		return rc;
	s->shape = !strcmp(shape, "vhost-user-blk") ? ST_VHOST_USER_BLK : ST_VIRTIO_SCSI;
	if (hvt_case_param_bool(c, "iothread", false, &s->iothread, err) ||
	    hvt_case_param_bool(c, "keep_images", false, &s->keep_images, err) ||
	    param_int(c, "disk_size", 64, 8, 65536, &s->disk_mib, err) ||
	    param_int(c, "mem", 384, 128, 65536, &s->mem_mib, err) ||
	    param_int(c, "num_queues", 1, 1, 16, &s->num_queues, err) ||
	    param_int(c, "loop_rounds", 10, 1, 10000, &s->loop_rounds, err) ||
	    param_int(c, "fio_runtime", 10, 1, 86400, &v[0], err) ||
	    param_int(c, "fio_iodepth", 8, 1, 1024, &v[1], err) ||
	    param_int(c, "fio_verify_backlog", 64, 1, 1 << 20, &v[2], err) ||
	    param_int(c, "fio_log_ms", 500, 50, 60000, &v[3], err) ||
	    param_int(c, "nbd_reconnect_delay", 0, 0, 3600, &v[4], err) ||
	    param_ms(c, "op_delay", 3, &s->op_delay_ms, err) ||
	    param_ms(c, "boot_timeout", 180, &s->boot_ms, err) ||
	    param_ms(c, "guest_cmd_timeout", 60, &s->cmd_ms, err) ||
	    param_ms(c, "fio_start_timeout", 180, &s->fio_start_ms, err) ||
	    param_ms(c, "attach_timeout", 120, &s->attach_ms, err) ||
	    param_ms(c, "detach_timeout", 120, &s->detach_ms, err) ||
	    param_ms(c, "fio_slack", 60, &s->fio_slack_ms, err) ||
	    param_ms(c, "target_timeout", 30, &s->qsd_ms, err) ||
	    param_ms(c, "unacked_timeout", 5, &s->unacked_ms, err))
		return err->code;
	s->fio_runtime_s = (int)v[0];
	s->fio_iodepth = (int)v[1];
	s->fio_verify_backlog = (int)v[2];
	s->iops_log_ms = (int)v[3];
	s->reconnect_delay_s = (int)v[4];
	return 0;
}

static void init_layout(struct st *s, int ctrl_first)
{
	s->ctrl_first = ctrl_first;
	for (int i = 0; i < ST_DISKS; i++) {
		struct st_disk *d = &s->disks[i];

		d->idx = i;
		snprintf(d->id, sizeof(d->id), "d%02d", i);
		snprintf(d->serial, sizeof(d->serial), "hvt-d%02d", i);
	}
	for (int i = 0; i < ST_CTRLS; i++) {
		struct st_ctrl *k = &s->ctrls[i];

		k->num = i + 1;
		snprintf(k->id, sizeof(k->id), "ctrl%d", k->num);
		k->addr = 0x10 + i;
		/* two controllers per machine, the group's four */
		k->vm = k->num >= ctrl_first && k->num < ctrl_first + 4 ?
			(k->num - ctrl_first) / 2 : -1;
	}
	for (size_t i = 0; i < HVT_ARRAY_SIZE(s->pids); i++)
		s->pids[i] = -1;
}

/* cache = none opens the backing files with O_DIRECT: the file system must allow it. */
static bool direct_io_works(const char *dir)
{
	char *path = hvt_asprintf("%s/.direct-probe", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
	unlink(path);
	free(path);
	return fd >= 0;
}

/* The case's directories: the target's and the backing files'. */
static int make_dirs(struct st *s, struct hvt_err *err)
{
	if (s->c->workdir) {
		s->tgt_dir = hvt_asprintf("%s/qsd", s->c->workdir);
		s->img_dir = hvt_asprintf("%s/images", s->c->workdir);
	} else {
		char tmpl[] = "/tmp/hvt-storage-XXXXXX";

		if (!mkdtemp(tmpl))
			return hvt_err_set(err, -errno, "mkdtemp: %s", strerror(errno));
		s->own_dir = hvt_strdup(tmpl);
		s->tgt_dir = hvt_asprintf("%s/qsd", tmpl);
		s->img_dir = hvt_asprintf("%s/images", tmpl);
	}
	return hvt_mkdir_p(s->img_dir, 0755, err);
}

static void release(struct st *s)
{
	for (int i = 0; i < ST_VMS; i++) {
		hvt_vm_free(s->vm[i]);
		s->vm[i] = NULL;
		hvt_strv_release(&s->expected_errors[i]);
	}
	if (s->tgt)
		s->tgt->release(s);
	for (int i = 0; i < ST_DISKS; i++) {
		free(s->disks[i].sock);
		free(s->disks[i].export_name);
		s->disks[i].sock = s->disks[i].export_name = NULL;
	}
	if (s->img_dir && !s->keep_images)
		hvt_rm_rf(s->img_dir);
	hvt_strv_release(&s->consoles);
}

static void free_dirs(struct st *s)
{
	if (s->own_dir && !s->keep_images && !hvt_env_keep())
		hvt_rm_rf(s->own_dir);
	free(s->own_dir);
	free(s->tgt_dir);
	free(s->img_dir);
}

static int storage_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	struct st *s = hvt_zalloc(sizeof(*s));
	const char *skip = hvt_case_param(c, "skip_reason", NULL);
	const char *name = hvt_case_param(c, "scenario", NULL);
	const struct scenario *sc;
	char why[512];
	int rc;

	s->c = c;
	*state = s;
	s->wall_anchor = hvt_wall_now();
	s->case_anchor = st_case_time(s);
	if (skip) {
		hvt_case_skip(c, "%s", skip);
		return 0;
	}
	sc = SCENARIO_FIND(scenarios, name, err);
	if (!sc) {
		rc = err->code;
		goto err_free;
	}
	s->scenario = sc->name;
	s->backend = hvt_case_param(c, "backend", "qsd");
	s->tgt = st_target_find(s->backend);
	if (!s->tgt) {
		rc = hvt_err_set(err, -EINVAL, "backend = %s: qsd or spdk", s->backend);
		goto err_free;
	}
	if (!s->tgt->available(s, why, sizeof(why))) {
		hvt_case_skip(c, "%s", why);
		return 0;
	}
	init_layout(s, sc->ctrl_first);
	rc = read_params(s, err);
	if (!rc)
		rc = make_dirs(s, err);
	if (rc)
		goto err_free;
	if (!strcmp(s->cache, "none") && !direct_io_works(s->img_dir)) {
		hvt_case_skip(c, "cache = none needs O_DIRECT, which the file system of %s "
			      "refuses", s->img_dir);
		return 0;
	}
	if (sc->needs != NEEDS_NOTHING) {
		rc = s->tgt->start(s, err);
		if (rc)
			hvt_err_prefix(err, "storage target %s", s->tgt->name);
	}
	if (!rc && sc->needs == NEEDS_ALL)
		rc = st_boot(s, err);
	if (rc)
		goto err_free;
	return 0;

err_free:
	/* cleanup is not called after a failed init */
	release(s);
	free_dirs(s);
	free(s);
	*state = NULL;
	return rc;
}

static void storage_run(struct hvt_case *c, void *state)
{
	struct st *s = state;

	if (!s || c->skipped)
		return;
	/* a step that fails a requirement ends the case: cleanup checks */
	s->ran = true;
	/* found by init */
	SCENARIO_FIND(scenarios, s->scenario, NULL)->fn(s);
}

static void storage_cleanup(struct hvt_case *c, void *state)
{
	struct st *s = state;

	if (!s)
		return;
	if (s->ran && !c->skipped) {
		st_final_checks(s);
		st_teardown(s);
	}
	st_fio_release(s);
	release(s);
	if (s->ran && !c->skipped)
		st_check_nothing_left(s);
	free_dirs(s);
	free(s);
}

static const struct hvt_test_type storage_type = {
	.name = "storage",
	.summary = "disks hot-attached/detached under verifying fio, served by "
		   "qemu-storage-daemon (virtio-scsi + NBD, vhost-user-blk)",
	.init = storage_init,
	.run = storage_run,
	.cleanup = storage_cleanup,
};
HVT_TEST_TYPE(storage_type)
