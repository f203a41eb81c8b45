// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration between two local QEMU processes: migrate-incoming on the
 * destination, migrate on the source, events to know when it is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate.h"

static bool migration_done(const struct hvt_qmp_event *ev, void *opaque)
{
	const char *status = hvt_json_get_str(ev->data, "status");

	(void)opaque;
	return status && (!strcmp(status, "completed") || !strcmp(status, "failed") ||
			  !strcmp(status, "cancelled"));
}

/* A destination started paused has the state once it leaves "inmigrate". */
static int wait_loaded(struct hvt_vm *dst, int64_t deadline, struct hvt_err *err)
{
	for (;;) {
		struct json_object *st = NULL;
		int ret = hvt_vm_qmp(dst, &st, err, "query-status", NULL);
		const char *status = ret ? NULL : hvt_json_get_str(st, "status");
		bool loaded = status && strcmp(status, "inmigrate");

		json_object_put(st);
		if (ret || loaded)
			return ret;
		if (!hvt_ms_left(deadline))
			return hvt_err_set(err, -ETIMEDOUT, "destination still in migration");
		hvt_qmp_poll(hvt_vm_qmp_client(dst), 50, NULL); /* events queue meanwhile */
	}
}

int hvt_migrate_run(struct hvt_vm *src, struct hvt_vm *dst, bool paused, const char *sock_path,
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
	ret = hvt_vm_qmp(dst, NULL, err, "migrate-incoming", "{'uri': %s}", uri);
	if (ret)
		goto out;
	ret = hvt_vm_qmp(src, NULL, err, "migrate", "{'uri': %s}", uri);
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
	ret = paused ? wait_loaded(dst, deadline, err) :
		hvt_qmp_event_wait(hvt_vm_qmp_client(dst), "RESUME", NULL, NULL,
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

static int save_ram(struct hvt_vm *vm, uint64_t bytes, const char *path, struct hvt_err *err)
{
	int ret = hvt_vm_qmp(vm, NULL, err, "pmemsave",
			     "{'val': 0, 'size': %llu, 'filename': %s}",
			     (unsigned long long)bytes, path);

	return ret ? hvt_err_prefix(err, "pmemsave %s", path) : 0;
}

static void *map_file(const char *path, uint64_t bytes, struct hvt_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb = { 0 };
	void *p;

	if (fd < 0) {
		hvt_err_set(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* a short file would fault past its end */
	if (fstat(fd, &sb) || (uint64_t)sb.st_size < bytes) {
		hvt_err_set(err, -EIO, "%s: %lld bytes, expected %llu", path,
			    (long long)sb.st_size, (unsigned long long)bytes);
		close(fd);
		return NULL;
	}
	p = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		hvt_err_set(err, -errno, "mmap %s: %s", path, strerror(errno));
		return NULL;
	}
	return p;
}

int hvt_migrate_compare_ram(struct hvt_vm *src, struct hvt_vm *dst, uint64_t bytes,
			    const char *dir, long *ndiff, uint64_t *first, int nfirst,
			    struct hvt_err *err)
{
	char *pa = hvt_asprintf("%s/ram-src.bin", dir), *pb = hvt_asprintf("%s/ram-dst.bin", dir);
	const unsigned char *a = NULL, *b = NULL;
	int ret;

	*ndiff = 0;
	bytes &= ~(uint64_t)4095;
	ret = save_ram(src, bytes, pa, err);
	if (!ret)
		ret = save_ram(dst, bytes, pb, err);
	if (!ret && !(a = map_file(pa, bytes, err)))
		ret = err->code;
	if (!ret && !(b = map_file(pb, bytes, err)))
		ret = err->code;
	for (uint64_t off = 0; !ret && off < bytes; off += 4096) {
		if (!memcmp(a + off, b + off, 4096))
			continue;
		if (*ndiff < nfirst)
			first[*ndiff] = off;
		(*ndiff)++;
	}
	if (a)
		munmap((void *)a, bytes);
	if (b)
		munmap((void *)b, bytes);
	unlink(pa);
	unlink(pb);
	free(pa);
	free(pb);
	return ret;
}
