// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bad input: a missing backing file, an export name clash, a socket path
 * too long for sun_path, device_add to a controller that does not exist,
 * qemu-storage-daemon missing or too old. Each must be one clear error
 * naming its cause, with nothing left running and no stale socket (the
 * teardown checks the last two for every case).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage.h"

/* A check that rc is want and err's message names every one of the words. */
static bool check_error(struct st *s, const char *name, int rc, int want,
			const struct hvt_err *err, const char *const *words)
{
	bool ok = rc == want;

	for (size_t i = 0; ok && words[i]; i++)
		ok = strstr(err->msg, words[i]) != NULL;
	return hvt_case_check(s->c, name, ok, "%s", rc ? err->msg : "accepted: no error");
}

static void need_qsd(struct st *s)
{
	if (!s->qsd)
		hvt_case_fatal(s->c, "this scenario needs the qemu-storage-daemon backend");
}

/* Whether the daemon has a block node of that name. */
static int has_node(struct st *s, const char *node, struct hvt_err *err)
{
	struct json_object *list = NULL;
	int rc = hvt_qsd_qmp(s->qsd, &list, err, "query-named-block-nodes", "{'flat': true}");

	if (rc)
		return rc;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *n = hvt_json_get_str(json_object_array_get_idx(list, i), "node-name");

		if (n && !strcmp(n, node)) {
			rc = 1;
			break;
		}
	}
	json_object_put(list);
	return rc;
}

static void target_still_answers(struct st *s)
{
	struct hvt_err err = HVT_ERR_INIT;
	int rc = hvt_qsd_check(s->qsd, s->cmd_ms, &err);

	st_check_rc(s, "the target still answers", rc, &err, "query-version answered");
}

void sc_bad_missing_file(struct st *s)
{
	char *path = hvt_asprintf("%s/no-such-disk.qcow2", s->img_dir);
	struct hvt_qsd_disk d = { .node = "missing", .file = path, .format = "qcow2" };
	struct hvt_err err = HVT_ERR_INIT;
	const char *words[] = { path, NULL };
	int rc;

	need_qsd(s);
	rc = hvt_qsd_disk_add(s->qsd, &d, &err);
	check_error(s, "missing backing file refused", rc, -ENOENT, &err, words);
	/* the daemon's own answer, past the library's check */
	hvt_err_clear(&err);
	rc = hvt_qsd_qmp(s->qsd, NULL, &err, "blockdev-add",
			 "{'driver': 'qcow2', 'node-name': 'missing', 'file': "
			 "{'driver': 'file', 'filename': %s}}", path);
	check_error(s, "the daemon refuses it too", rc, -EREMOTEIO, &err, words);
	rc = has_node(s, "missing", &err);
	hvt_case_check(s->c, "no node left behind", rc == 0, "%s", rc < 0 ? err.msg :
		       rc ? "node 'missing' exists" : "no node 'missing'");
	target_still_answers(s);
	free(path);
}

void sc_bad_export_clash(struct st *s)
{
	struct hvt_qsd_export first = {
		.type = HVT_QSD_EXPORT_NBD, .id = "e-d00", .node = "d00", .name = "disk0",
		.writable = true,
	}, same_name = first, same_id = first, vu = {
		.type = HVT_QSD_EXPORT_VHOST_USER_BLK, .id = "v-d03", .node = "d03",
		.sock = "vu-d03.sock", .writable = true,
	}, same_sock = vu;
	struct hvt_err err = HVT_ERR_INIT;
	const char *name_words[] = { "disk0", "e-d00", NULL };
	const char *id_words[] = { "e-d00", NULL };
	const char *sock_words[] = { "vu-d03.sock", "v-d03", NULL };
	const char *daemon_words[] = { "disk0", NULL };
	int rc;

	need_qsd(s);
	if (s->shape != ST_VIRTIO_SCSI) {
		rc = hvt_qsd_nbd_start(s->qsd, "nbd.sock", &err);
		st_require_rc(s, "NBD server started", rc, &err, "");
	}
	rc = hvt_qsd_export_add(s->qsd, &first, &err);
	st_require_rc(s, "first export", rc, &err, "d00 exported as disk0");
	same_name.id = "e-d01";
	same_name.node = "d01";
	rc = hvt_qsd_export_add(s->qsd, &same_name, &err);
	check_error(s, "NBD export name clash refused", rc, -EEXIST, &err, name_words);
	hvt_err_clear(&err);
	rc = hvt_qsd_qmp(s->qsd, NULL, &err, "block-export-add",
			 "{'type': 'nbd', 'id': 'e-d01', 'node-name': 'd01', 'name': 'disk0', "
			 "'writable': true}");
	check_error(s, "the daemon refuses it too", rc, -EREMOTEIO, &err, daemon_words);
	same_id.node = "d02";
	same_id.name = "disk2";
	rc = hvt_qsd_export_add(s->qsd, &same_id, &err);
	check_error(s, "export id clash refused", rc, -EEXIST, &err, id_words);
	rc = hvt_qsd_export_add(s->qsd, &vu, &err);
	st_require_rc(s, "vhost-user-blk export", rc, &err, "d03 on vu-d03.sock");
	same_sock.id = "v-d05";
	same_sock.node = "d05";
	rc = hvt_qsd_export_add(s->qsd, &same_sock, &err);
	check_error(s, "socket clash refused", rc, -EEXIST, &err, sock_words);
	rc = hvt_qsd_export_listed(s->qsd, "e-d00", &err);
	hvt_case_check(s->c, "the first export still serves", rc == 1, "%s", rc < 0 ? err.msg :
		       rc ? "e-d00 listed" : "e-d00 gone");
	target_still_answers(s);
	rc = hvt_qsd_export_del(s->qsd, "e-d00", false, s->detach_ms, &err);
	if (!rc)
		rc = hvt_qsd_export_del(s->qsd, "v-d03", false, s->detach_ms, &err);
	st_check_rc(s, "exports removed", rc, &err, "BLOCK_EXPORT_DELETED for both");
}

void sc_bad_long_socket(struct st *s)
{
	struct hvt_buf dir = HVT_BUF_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	const char *socks[] = { "nbd.sock", NULL };
	struct hvt_qsd_opts o = { .binary = s->qsd_binary, .sockets = socks };
	struct hvt_vm_config cfg;
	const char *words[2] = { NULL, NULL };
	struct hvt_qsd *q;
	struct hvt_vm *vm;

	hvt_buf_addf(&dir, "%s/", s->c->workdir ? s->c->workdir : s->own_dir);
	while (dir.len < 120)
		hvt_buf_addf(&dir, "a-directory-name-that-goes-on-");
	hvt_buf_addf(&dir, "qsd");
	words[0] = dir.p;
	o.workdir = dir.p;
	q = hvt_qsd_new(&o, &err);
	check_error(s, "target: socket path too long refused", q ? 0 : err.code, -ENAMETOOLONG,
		    &err, words);
	hvt_qsd_free(q);
	hvt_case_check(s->c, "target: nothing made", !hvt_path_exists(dir.p), "%s",
		       hvt_path_exists(dir.p) ? "the work directory was created" :
		       "no work directory");
	hvt_vm_config_init(&cfg);
	cfg.name = "m0";
	cfg.workdir = dir.p;
	hvt_err_clear(&err);
	vm = hvt_vm_new(&cfg, &err);
	check_error(s, "machine: socket path too long refused", vm ? 0 : err.code,
		    -ENAMETOOLONG, &err, words);
	hvt_vm_free(vm);
	hvt_case_check(s->c, "machine: nothing made", !hvt_path_exists(dir.p), "%s",
		       hvt_path_exists(dir.p) ? "the work directory was created" :
		       "no work directory");
	hvt_buf_release(&dir);
}

/* Whether machine m0 still has a block node or chardev named id. */
static int qemu_has(struct st *s, const char *id, struct hvt_err *err)
{
	bool nodes = s->shape == ST_VIRTIO_SCSI;
	struct json_object *list = NULL;
	int rc = nodes ? hvt_vm_qmp(s->vm[0], &list, err, "query-named-block-nodes", NULL) :
		hvt_vm_qmp(s->vm[0], &list, err, "query-chardev", NULL);

	if (rc)
		return rc;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *n = hvt_json_get_str(json_object_array_get_idx(list, i),
						 nodes ? "node-name" : "label");

		if (n && !strcmp(n, id)) {
			rc = 1;
			break;
		}
	}
	json_object_put(list);
	return rc;
}

void sc_bad_no_controller(struct st *s)
{
	struct st_disk *d = st_disk(s, 0);
	struct hvt_err err = HVT_ERR_INIT;
	const char *words[] = { "ctrl9", NULL };
	char node[24];
	int rc;

	rc = s->tgt->export_disk(s, d, &err);
	st_require_rc(s, "d00 exported", rc, &err, "the target serves d00");
	rc = st_attach_device(s, d, 9, &err);
	check_error(s, "device_add to ctrl9 refused", rc, -EREMOTEIO, &err, words);
	snprintf(node, sizeof(node), "%s-%s", s->shape == ST_VIRTIO_SCSI ? "nbd" : "vu", d->id);
	rc = qemu_has(s, node, &err);
	hvt_case_check(s->c, "nothing left in QEMU", rc == 0, "%s %s", node, rc < 0 ? err.msg :
		       rc ? "is still there" : "was removed");
	rc = s->tgt->unexport_disk(s, d, false, s->detach_ms, &err);
	st_check_rc(s, "export removed", rc, &err, "BLOCK_EXPORT_DELETED");
	/* and the disk attaches where there is a controller */
	st_attach(s, d, 5, "then");
	st_detach(s, d, false, "then");
}

static void check_nothing_made(struct st *s, const char *name)
{
	hvt_case_check(s->c, name, !hvt_path_exists(s->tgt_dir), "%s",
		       hvt_path_exists(s->tgt_dir) ? "the target's work directory was created" :
		       "no work directory, no process");
}

void sc_bad_qsd_missing(struct st *s)
{
	static const char *const binaries[] = { "/nonexistent/qemu-storage-daemon",
						"hvt-no-such-qemu-storage-daemon" };
	struct hvt_err err = HVT_ERR_INIT;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(binaries); i++) {
		const char *words[] = { binaries[i], "qemu-system-common", NULL };
		struct hvt_qsd_opts o = { .binary = binaries[i], .workdir = s->tgt_dir };
		struct hvt_qsd *q = hvt_qsd_new(&o, &err);
		char name[96];

		snprintf(name, sizeof(name), "%s refused", i ? "a name not in $PATH" :
			 "a path that does not exist");
		check_error(s, name, q ? 0 : err.code, -ENOENT, &err, words);
		hvt_qsd_free(q);
		hvt_err_clear(&err);
	}
	check_nothing_made(s, "nothing made");
}

/* An executable script in the case's image directory that prints text. */
static char *fake_daemon(struct st *s, const char *name, const char *text)
{
	char *path = hvt_asprintf("%s/%s", s->img_dir, name);
	char *script = hvt_asprintf("#!/bin/sh\necho '%s'\n", text);

	if (hvt_file_write(path, script, strlen(script), NULL) || chmod(path, 0755))
		hvt_case_fatal(s->c, "cannot write %s", path);
	free(script);
	return path;
}

void sc_bad_qsd_old(struct st *s)
{
	char *old = fake_daemon(s, "old-qsd", "qemu-storage-daemon version 5.1.0 (a fake)");
	char *odd = fake_daemon(s, "odd-qsd", "hello");
	const char *old_words[] = { "5.1.0", "6.0", NULL };
	const char *odd_words[] = { "hello", "version", NULL };
	struct hvt_qsd_opts o = { .binary = old, .workdir = s->tgt_dir };
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qsd *q = hvt_qsd_new(&o, &err);

	check_error(s, "a daemon older than 6.0 refused", q ? 0 : err.code, -ENOTSUP, &err,
		    old_words);
	hvt_qsd_free(q);
	hvt_err_clear(&err);
	o.binary = odd;
	q = hvt_qsd_new(&o, &err);
	check_error(s, "an unreadable version refused", q ? 0 : err.code, -EPROTO, &err,
		    odd_words);
	hvt_qsd_free(q);
	check_nothing_made(s, "nothing made");
	free(old);
	free(odd);
}
