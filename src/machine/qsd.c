// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qemu-storage-daemon (qsd.h): a launcher, a QMP monitor, and the record
 * of what was made (disks, NBD server, exports) so that a restarted
 * daemon serves the same disks again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qsd.h"

#define VERSION_TIMEOUT_MS 10000
#define QMP_TIMEOUT_MS 30000
#define IMG_TIMEOUT_MS 60000
/* After a broken connection, how long the daemon gets to finish dying. */
#define DYING_MS 2000
/* Between two block-export-del attempts while a client goes away. */
#define RETRY_MS 50

#define QSD_NAME "qemu-storage-daemon"

enum rec_kind { REC_DISK, REC_NBD, REC_EXPORT };

/* One thing made over QMP: the command that made it, replayed at a restart. */
struct rec {
	enum rec_kind kind;
	char *key;	/* node name, export id; "" for the NBD server */
	char *node;	/* an export's disk, or NULL */
	char *name;	/* an NBD export's name, or NULL */
	char *sock;	/* socket file name, or NULL */
	char *file;	/* a disk's backing file, or NULL */
	char *cmd;
	struct json_object *args;
};

/* What a record is about, its strings borrowed. */
struct rec_desc {
	enum rec_kind kind;
	const char *key, *node, *name, *sock, *file;
};

struct hvt_qsd {
	char *binary;
	struct hvt_launch *launch;
	struct hvt_strv sockets, iothreads;
	struct rec *recs;
	size_t nrecs;
};

static const char *const qmp_socket = "qmp.sock";

char *hvt_qsd_binary(const char *path, struct hvt_err *err)
{
	const char *name = path && *path ? path : QSD_NAME;
	char *full = hvt_which(name);

	if (full)
		return full;
	if (strchr(name, '/'))
		hvt_err_set(err, -ENOENT, "%s: no such executable (%s comes with the Debian "
			    "package qemu-system-common)", name, QSD_NAME);
	else
		hvt_err_set(err, -ENOENT, "%s not found in $PATH: install the Debian package "
			    "qemu-system-common (apt-get install qemu-system-common)", name);
	return NULL;
}

int hvt_qsd_version(const char *binary, int *maj, int *min, int *mic, struct hvt_err *err)
{
	static const char marker[] = QSD_NAME " version ";
	const char *argv[] = { binary, "--version", NULL };
	int v[3] = { 0, 0, 0 };
	char *out = NULL, *p, *nl;
	int ret;

	p = hvt_qsd_binary(binary, err);
	if (!p)
		return -ENOENT;
	free(p);
	ret = hvt_proc_run(argv, VERSION_TIMEOUT_MS, &out, err);
	if (ret) {
		hvt_err_prefix(err, "'%s --version'", binary);
		goto out;
	}
	p = strstr(out, marker);
	if (!p || sscanf(p + strlen(marker), "%d.%d.%d", &v[0], &v[1], &v[2]) < 2) {
		nl = strchr(out, '\n');
		if (nl)
			*nl = '\0';
		ret = hvt_err_set(err, -EPROTO, "cannot tell the version of %s: '%s --version' "
				  "printed '%.200s'", binary, binary, out);
		goto out;
	}
	if (maj)
		*maj = v[0];
	if (min)
		*min = v[1];
	if (mic)
		*mic = v[2];
	if (v[0] < HVT_QSD_MIN_MAJOR || (v[0] == HVT_QSD_MIN_MAJOR && v[1] < HVT_QSD_MIN_MINOR))
		ret = hvt_err_set(err, -ENOTSUP, "%s %d.%d.%d at %s is too old: hvtest needs "
				  "%d.%d or later (vhost-user-blk exports)", QSD_NAME, v[0], v[1],
				  v[2], binary, HVT_QSD_MIN_MAJOR, HVT_QSD_MIN_MINOR);
out:
	free(out);
	return ret;
}

static void build_argv(struct hvt_qsd *q)
{
	struct hvt_strv *sv = hvt_launch_argv(q->launch);
	char *qmp = hvt_launch_path(q->launch, qmp_socket);
	char *esc = hvt_launch_opt_escape(qmp);

	hvt_strv_push(sv, q->binary);
	hvt_strv_push(sv, "--chardev");
	hvt_strv_pushf(sv, "socket,id=qmp,path=%s,server=on,wait=off", esc);
	hvt_strv_push(sv, "--monitor");
	hvt_strv_push(sv, "chardev=qmp");
	for (size_t i = 0; i < q->iothreads.n; i++) {
		char *id = hvt_launch_opt_escape(q->iothreads.v[i]);

		hvt_strv_push(sv, "--object");
		hvt_strv_pushf(sv, "iothread,id=%s", id);
		free(id);
	}
	free(esc);
	free(qmp);
}

struct hvt_qsd *hvt_qsd_new(const struct hvt_qsd_opts *opts, struct hvt_err *err)
{
	struct hvt_strv serves = HVT_STRV_INIT;
	struct hvt_qsd *q = hvt_zalloc(sizeof(*q));
	struct hvt_launch_opts lo = {
		.name = QSD_NAME,
		.workdir = opts->workdir,
		.prefix = "qsd",
		.keep_workdir = opts->keep_workdir,
		.log = "qsd.log",
		.qmp = qmp_socket,
		.qmp_log = "qmp.log",
	};

	q->binary = hvt_qsd_binary(opts->binary, err);
	if (!q->binary)
		goto err_free;
	if (hvt_qsd_version(q->binary, NULL, NULL, NULL, err))
		goto err_free;
	hvt_strv_push(&serves, qmp_socket);
	hvt_strv_pushv(&serves, opts->sockets);
	hvt_strv_pushv(&q->sockets, opts->sockets);
	hvt_strv_pushv(&q->iothreads, opts->iothreads);
	lo.serves = (const char *const *)serves.v;
	q->launch = hvt_launch_new(&lo, err);
	hvt_strv_release(&serves);
	if (!q->launch)
		goto err_free;
	build_argv(q);
	return q;

err_free:
	hvt_strv_release(&q->sockets);
	hvt_strv_release(&q->iothreads);
	free(q->binary);
	free(q);
	return NULL;
}

static void rec_release(struct rec *r)
{
	free(r->key);
	free(r->node);
	free(r->name);
	free(r->sock);
	free(r->file);
	free(r->cmd);
	json_object_put(r->args);
}

void hvt_qsd_free(struct hvt_qsd *q)
{
	if (!q)
		return;
	hvt_launch_free(q->launch);
	for (size_t i = 0; i < q->nrecs; i++)
		rec_release(&q->recs[i]);
	free(q->recs);
	hvt_strv_release(&q->sockets);
	hvt_strv_release(&q->iothreads);
	free(q->binary);
	free(q);
}

struct hvt_qmp *hvt_qsd_qmp_client(struct hvt_qsd *q)
{
	return hvt_launch_qmp(q->launch);
}

struct hvt_launch *hvt_qsd_launch(struct hvt_qsd *q)
{
	return q->launch;
}

const char *hvt_qsd_workdir(const struct hvt_qsd *q)
{
	return hvt_launch_workdir(q->launch);
}

char *hvt_qsd_path(const struct hvt_qsd *q, const char *file)
{
	return hvt_launch_path(q->launch, file);
}

pid_t hvt_qsd_pid(const struct hvt_qsd *q)
{
	return hvt_launch_pid(q->launch);
}

bool hvt_qsd_running(struct hvt_qsd *q)
{
	return hvt_launch_running(q->launch);
}

/* A failed QMP operation: when the daemon died, say how instead. */
static int op_failed(struct hvt_qsd *q, int ret, const char *what, struct hvt_err *err)
{
	int grace = ret == -ETIMEDOUT ? 0 : DYING_MS;

	if (ret == -EREMOTEIO || !hvt_launch_ended(q->launch, grace, -ECHILD, what, err))
		return ret;
	return -ECHILD;
}

/* Run cmd with args (a reference taken over). */
static int execute(struct hvt_qsd *q, const char *cmd, struct json_object *args,
		   struct json_object **ret, struct hvt_err *err)
{
	struct hvt_qmp *qmp = hvt_launch_qmp(q->launch);
	int r;

	if (ret)
		*ret = NULL;
	if (!qmp || !hvt_launch_running(q->launch)) {
		json_object_put(args);
		if (hvt_launch_ended(q->launch, 0, -ECHILD, cmd, err))
			return -ECHILD;
		return hvt_err_set(err, -ENOTCONN, "%s: %s is not running", cmd, QSD_NAME);
	}
	r = hvt_qmp_execute(qmp, cmd, args, ret, QMP_TIMEOUT_MS, err);
	if (r)
		r = op_failed(q, r, cmd, err);
	return r;
}

int hvt_qsd_qmp(struct hvt_qsd *q, struct json_object **ret, struct hvt_err *err,
		const char *cmd, const char *args_fmt, ...)
{
	struct json_object *args = NULL;
	va_list ap;

	if (args_fmt) {
		va_start(ap, args_fmt);
		args = hvt_json_vbuild(err, args_fmt, ap);
		va_end(ap);
		if (!args) {
			hvt_err_prefix(err, "arguments of %s", cmd);
			return -EINVAL;
		}
	}
	return execute(q, cmd, args, ret, err);
}

/* Re-create what the last run had, in order. */
static int replay(struct hvt_qsd *q, struct hvt_err *err)
{
	for (size_t i = 0; i < q->nrecs; i++) {
		struct rec *r = &q->recs[i];
		int ret = execute(q, r->cmd, json_object_get(r->args), NULL, err);

		if (ret)
			return hvt_err_prefix(err, "re-creating %s %s after a restart",
					      r->kind == REC_DISK ? "disk" : "export",
					      *r->key ? r->key : "NBD server");
	}
	return 0;
}

int hvt_qsd_start(struct hvt_qsd *q, int timeout_ms, struct hvt_err *err)
{
	int ret = hvt_launch_start(q->launch, timeout_ms, err);

	if (!ret)
		ret = replay(q, err);
	return ret;
}

int hvt_qsd_check(struct hvt_qsd *q, int timeout_ms, struct hvt_err *err)
{
	struct hvt_qmp *qmp = hvt_launch_qmp(q->launch);
	int ret;

	if (!hvt_launch_proc(q->launch))
		return hvt_err_set(err, -ECHILD, "%s was not started", QSD_NAME);
	if (hvt_launch_ended(q->launch, 0, -ECHILD, NULL, err))
		return -ECHILD;
	if (!qmp)
		return hvt_err_set(err, -ENOTCONN, "%s (pid %d): no QMP connection", QSD_NAME,
				   (int)hvt_qsd_pid(q));
	ret = hvt_qmp_execute(qmp, "query-version", NULL, NULL, timeout_ms, err);
	if (ret == -ETIMEDOUT)
		return hvt_err_set(err, ret, "%s (pid %d) runs but did not answer query-version "
				   "within %d ms", QSD_NAME, (int)hvt_qsd_pid(q), timeout_ms);
	if (ret)
		ret = op_failed(q, ret, "query-version", err);
	return ret;
}

int hvt_qsd_stop(struct hvt_qsd *q, int timeout_ms, struct hvt_err *err)
{
	if (!hvt_launch_running(q->launch))
		return 0;
	return hvt_launch_stop(q->launch, timeout_ms, err);
}

int hvt_qsd_kill(struct hvt_qsd *q)
{
	return hvt_launch_kill(q->launch);
}

int hvt_qsd_image_create(const char *path, const char *format, uint64_t size,
			 struct hvt_err *err)
{
	char *img = hvt_which("qemu-img"), sz[32];
	int ret;

	if (!img)
		return hvt_err_set(err, -ENOENT, "qemu-img not found in $PATH: install the "
				   "Debian package qemu-utils (apt-get install qemu-utils)");
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	unlink(path);
	{
		const char *argv[] = { img, "create", "-q", "-f", format, path, sz, NULL };

		ret = hvt_proc_run(argv, IMG_TIMEOUT_MS, NULL, err);
	}
	if (ret)
		hvt_err_prefix(err, "qemu-img create -f %s %s %s", format, path, sz);
	free(img);
	return ret;
}

static struct rec *find_rec(struct hvt_qsd *q, enum rec_kind kind, const char *key)
{
	for (size_t i = 0; i < q->nrecs; i++)
		if (q->recs[i].kind == kind && !strcmp(q->recs[i].key, key))
			return &q->recs[i];
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? hvt_strdup(s) : NULL;
}

/* Remember what t describes and the command that made it. */
static void add_rec(struct hvt_qsd *q, const struct rec_desc *t, const char *cmd,
		    struct json_object *args)
{
	struct rec *r;

	q->recs = hvt_realloc(q->recs, (q->nrecs + 1) * sizeof(*q->recs));
	r = &q->recs[q->nrecs++];
	r->kind = t->kind;
	r->key = hvt_strdup(t->key);
	r->node = dup_or_null(t->node);
	r->name = dup_or_null(t->name);
	r->sock = dup_or_null(t->sock);
	r->file = dup_or_null(t->file);
	r->cmd = hvt_strdup(cmd);
	r->args = json_object_get(args);
}

static void drop_rec(struct hvt_qsd *q, struct rec *r)
{
	size_t i = (size_t)(r - q->recs);

	rec_release(r);
	memmove(&q->recs[i], &q->recs[i + 1], (q->nrecs - i - 1) * sizeof(*q->recs));
	q->nrecs--;
}

/* Run a command that makes what t describes; on success remember it. */
static int make(struct hvt_qsd *q, const struct rec_desc *t, const char *cmd,
		struct json_object *args, struct hvt_err *err)
{
	int ret = execute(q, cmd, json_object_get(args), NULL, err);

	if (!ret)
		add_rec(q, t, cmd, args);
	json_object_put(args);
	return ret;
}

/* A JSON boolean for hvt_json_build()'s %p, which takes the reference over. */
static void *jbool(bool b)
{
	return json_object_new_boolean(b);
}

static void *cache_opts(const struct hvt_qsd_disk *d)
{
	return hvt_json_build(NULL, "{'direct': %p, 'no-flush': %p}", jbool(d->direct),
			      jbool(d->no_flush));
}

int hvt_qsd_disk_add(struct hvt_qsd *q, const struct hvt_qsd_disk *d, struct hvt_err *err)
{
	struct json_object *args;
	struct rec *other;
	bool raw;

	if (!d->node || !*d->node || !d->file || !d->format)
		return hvt_err_set(err, -EINVAL, "a disk needs a node name, a file and a format");
	raw = !strcmp(d->format, "raw");
	if (!raw && strcmp(d->format, "qcow2"))
		return hvt_err_set(err, -EINVAL, "disk %s: format %s: raw or qcow2", d->node,
				   d->format);
	if (!raw && (d->offset || d->size))
		return hvt_err_set(err, -EINVAL, "disk %s: only a raw disk can be a slice of "
				   "its file", d->node);
	if (access(d->file, F_OK))
		return hvt_err_set(err, -ENOENT, "disk %s: backing file %s: %s", d->node,
				   d->file, strerror(errno));
	other = find_rec(q, REC_DISK, d->node);
	if (other)
		return hvt_err_set(err, -EEXIST, "disk %s: the node name is taken (by the disk "
				   "over %s)", d->node, other->file);
	args = hvt_json_build(err, "{'driver': %s, 'node-name': %s, 'read-only': %p, "
			      "'cache': %p, 'file': {'driver': 'file', 'filename': %s, "
			      "'cache': %p}}", d->format, d->node,
			      jbool(d->read_only), cache_opts(d), d->file,
			      cache_opts(d));
	if (!args)
		return -EINVAL;
	if (raw && d->size) {
		json_object_object_add(args, "offset", json_object_new_int64((int64_t)d->offset));
		json_object_object_add(args, "size", json_object_new_int64((int64_t)d->size));
	}
	return make(q, &(struct rec_desc){ .kind = REC_DISK, .key = d->node,
					   .file = d->file }, "blockdev-add", args, err);
}

int hvt_qsd_disk_del(struct hvt_qsd *q, const char *node, struct hvt_err *err)
{
	struct rec *r = find_rec(q, REC_DISK, node);
	int ret = hvt_qsd_qmp(q, NULL, err, "blockdev-del", "{'node-name': %s}", node);

	if (!ret && r)
		drop_rec(q, r);
	return ret;
}

static bool known_socket(const struct hvt_qsd *q, const char *sock)
{
	for (size_t i = 0; i < q->sockets.n; i++)
		if (!strcmp(q->sockets.v[i], sock))
			return true;
	return false;
}

/* The record (NBD server or export) that listens on sock, or NULL. */
static struct rec *socket_user(struct hvt_qsd *q, const char *sock)
{
	for (size_t i = 0; i < q->nrecs; i++)
		if (q->recs[i].sock && !strcmp(q->recs[i].sock, sock))
			return &q->recs[i];
	return NULL;
}

static int check_socket(struct hvt_qsd *q, const char *what, const char *sock,
			struct hvt_err *err)
{
	struct rec *user;

	if (!sock || !known_socket(q, sock))
		return hvt_err_set(err, -EINVAL, "%s: socket %s is not one the daemon was "
				   "created with", what, sock ? sock : "(none)");
	user = socket_user(q, sock);
	if (user)
		return hvt_err_set(err, -EEXIST, "%s: socket %s is taken by %s%s", what, sock,
				   user->kind == REC_NBD ? "the NBD server" : "export ",
				   user->key);
	return 0;
}

int hvt_qsd_nbd_start(struct hvt_qsd *q, const char *sock, struct hvt_err *err)
{
	struct json_object *args;
	char *path;
	int ret;

	if (find_rec(q, REC_NBD, ""))
		return hvt_err_set(err, -EEXIST, "the NBD server runs already");
	ret = check_socket(q, "NBD server", sock, err);
	if (ret)
		return ret;
	path = hvt_qsd_path(q, sock);
	args = hvt_json_build(err, "{'addr': {'type': 'unix', 'data': {'path': %s}}}", path);
	free(path);
	if (!args)
		return -EINVAL;
	return make(q, &(struct rec_desc){ .kind = REC_NBD, .key = "", .sock = sock },
		    "nbd-server-start", args, err);
}

static bool known_iothread(const struct hvt_qsd *q, const char *id)
{
	for (size_t i = 0; i < q->iothreads.n; i++)
		if (!strcmp(q->iothreads.v[i], id))
			return true;
	return false;
}

static int check_export(struct hvt_qsd *q, const struct hvt_qsd_export *e, const char *name,
			struct hvt_err *err)
{
	struct rec *other;
	char what[128];

	if (!e->id || !*e->id || !e->node)
		return hvt_err_set(err, -EINVAL, "an export needs an id and a node");
	snprintf(what, sizeof(what), "export %s (disk %s)", e->id, e->node);
	other = find_rec(q, REC_EXPORT, e->id);
	if (other)
		return hvt_err_set(err, -EEXIST, "%s: the id is taken by the export of disk %s",
				   what, other->node);
	if (e->iothread && !known_iothread(q, e->iothread))
		return hvt_err_set(err, -EINVAL, "%s: no iothread %s in the daemon", what,
				   e->iothread);
	if (e->type == HVT_QSD_EXPORT_VHOST_USER_BLK)
		return check_socket(q, what, e->sock, err);
	if (!find_rec(q, REC_NBD, ""))
		return hvt_err_set(err, -ENOTCONN, "%s: the NBD server is not started", what);
	for (size_t i = 0; i < q->nrecs; i++) {
		other = &q->recs[i];
		if (other->kind == REC_EXPORT && other->name && !strcmp(other->name, name))
			return hvt_err_set(err, -EEXIST, "%s: the NBD export name %s is taken "
					   "by export %s", what, name, other->key);
	}
	return 0;
}

int hvt_qsd_export_add(struct hvt_qsd *q, const struct hvt_qsd_export *e,
		       struct hvt_err *err)
{
	const char *name = e->name ? e->name : e->node;
	bool vu = e->type == HVT_QSD_EXPORT_VHOST_USER_BLK;
	struct json_object *args;
	int ret = check_export(q, e, name, err);

	if (ret)
		return ret;
	if (vu) {
		char *path = hvt_qsd_path(q, e->sock);

		args = hvt_json_build(err, "{'type': 'vhost-user-blk', 'id': %s, 'node-name': %s, "
				      "'writable': %p, 'addr': {'type': 'unix', 'path': %s}}",
				      e->id, e->node, jbool(e->writable), path);
		free(path);
		if (args && e->num_queues > 0)
			json_object_object_add(args, "num-queues",
					       json_object_new_int(e->num_queues));
	} else {
		args = hvt_json_build(err, "{'type': 'nbd', 'id': %s, 'node-name': %s, "
				      "'name': %s, 'writable': %p}", e->id, e->node, name,
				      jbool(e->writable));
	}
	if (!args)
		return -EINVAL;
	if (e->iothread)
		json_object_object_add(args, "iothread", json_object_new_string(e->iothread));
	return make(q, &(struct rec_desc){ .kind = REC_EXPORT, .key = e->id,
					   .node = e->node, .name = vu ? NULL : name,
					   .sock = vu ? e->sock : NULL },
		    "block-export-add", args, err);
}

static bool export_deleted(const struct hvt_qmp_event *ev, void *opaque)
{
	const char *id = hvt_json_get_str(ev->data, "id");

	return id && !strcmp(id, opaque);
}

int hvt_qsd_export_del(struct hvt_qsd *q, const char *id, bool hard, int timeout_ms,
		       struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	struct hvt_err local = HVT_ERR_INIT;
	struct hvt_qmp_event *ev = NULL;
	struct rec *r;
	int ret;

	/* the daemon's words decide whether to ask again */
	if (!err)
		err = &local;
	for (;;) {
		ret = hvt_qsd_qmp(q, NULL, err, "block-export-del", "{'id': %s, 'mode': %s}", id,
				  hard ? "hard" : "safe");
		if (ret != -EREMOTEIO || hard || !strstr(err->msg, "still in use"))
			break;
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -EBUSY, "export %s is still in use after %d ms",
					   id, timeout_ms);
		hvt_qmp_poll(hvt_launch_qmp(q->launch), RETRY_MS, NULL);
	}
	if (ret)
		return ret;
	r = find_rec(q, REC_EXPORT, id);
	if (r)
		drop_rec(q, r);
	ret = hvt_qmp_event_wait(hvt_launch_qmp(q->launch), "BLOCK_EXPORT_DELETED",
				 export_deleted, (void *)id, hvt_ms_left(deadline), &ev, err);
	hvt_qmp_event_free(ev);
	if (ret == -ETIMEDOUT)
		return hvt_err_set(err, ret, "export %s: no BLOCK_EXPORT_DELETED within %d ms "
				   "(a client still holds it)", id, timeout_ms);
	if (ret)
		ret = op_failed(q, ret, "block-export-del", err);
	return ret;
}

int hvt_qsd_export_listed(struct hvt_qsd *q, const char *id, struct hvt_err *err)
{
	struct json_object *list = NULL;
	int ret = hvt_qsd_qmp(q, &list, err, "query-block-exports", NULL);

	if (ret)
		return ret;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *x = hvt_json_get_str(json_object_array_get_idx(list, i), "id");

		if (x && !strcmp(x, id)) {
			ret = 1;
			break;
		}
	}
	json_object_put(list);
	return ret;
}
