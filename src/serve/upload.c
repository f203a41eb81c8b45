// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Receiving a published run: the request body (a tar stream, optionally
 * gzip-compressed) goes into an unlinked temporary file; once complete it
 * is read with libarchive, every file is hashed into a staging directory,
 * and only when all of it is sound are the blobs moved into the store and
 * the run recorded, in one transaction. A refused or interrupted upload
 * leaves nothing behind but what the next start sweeps.
 *
 * The archive holds hvtest-run.json (the run as the JSON report writes
 * it), hvtest-publish.json (the publisher's facts), run/PATH (files of
 * the run) and case/INDEX/PATH (the artifacts of case INDEX).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "report.h"
#include "serve-int.h"

/* The JSON members are small; a bigger one is not ours. */
#define JSON_MEMBER_MAX (64u << 20)
#define PATH_MAX_LEN 512
#define PATH_MAX_DEPTH 16

bool hvt_serve_path_ok(const char *p)
{
	size_t depth = 0, len = strlen(p);
	const char *c = p;

	if (!len || len > PATH_MAX_LEN)
		return false;
	while (*c) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f || c[i] == '\\')
				return false;
		if (++depth > PATH_MAX_DEPTH)
			return false;
		if (!e)
			break;
		c = e + 1;
		if (!*c)
			return false; /* a trailing '/' */
	}
	return true;
}

int upload_begin(struct hvt_serve *s, struct upload *u, const struct hvt_pub_key *key,
		 struct hvt_err *err)
{
	memset(u, 0, sizeof(*u));
	/* O_TMPFILE: the body never has a name, so a SIGKILL leaves nothing */
	u->fd = open(s->tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (u->fd < 0 && errno == EOPNOTSUPP) {
		/* a file system without O_TMPFILE: a name for an instant */
		char *path = hvt_asprintf("%s/body-XXXXXX", s->tmp);

		u->fd = mkostemp(path, O_CLOEXEC);
		if (u->fd >= 0)
			unlink(path);
		free(path);
	}
	if (u->fd < 0)
		return hvt_err_set(err, -errno, "%s: temporary file: %s", s->tmp, strerror(errno));
	u->key.user = hvt_strdup(key->user);
	u->key.machine = hvt_strdup(key->machine);
	u->key.git = hvt_strdup(key->git);
	u->key.name = hvt_strdup(key->name);
	return 0;
}

void upload_data(struct hvt_serve *s, struct upload *u, const char *data, size_t len)
{
	int ret;

	if (u->too_big || u->err)
		return;
	if (u->got + len > s->o.max_upload) {
		u->too_big = true;
		return;
	}
	u->got += len;
	ret = hvt_write_all(u->fd, data, len);
	if (ret)
		u->err = -ret;
}

void upload_release(struct upload *u)
{
	if (u->fd >= 0)
		close(u->fd);
	free((char *)u->key.user);
	free((char *)u->key.machine);
	free((char *)u->key.git);
	free((char *)u->key.name);
	memset(u, 0, sizeof(*u));
	u->fd = -1;
}

/* What an upload carries, read and checked before anything is stored. */
struct parsed {
	char *stage;			/* staging directory */
	struct hvt_pub_file *files;
	char **staged;			/* the staged copy of each file */
	size_t nfiles;
	struct json_object *run_doc, *meta;
	uint64_t extracted;
};

static void parsed_release(struct parsed *p)
{
	for (size_t i = 0; i < p->nfiles; i++) {
		free(p->files[i].name);
		free(p->staged[i]);
	}
	free(p->files);
	free(p->staged);
	if (p->stage) {
		hvt_rm_rf(p->stage);
		free(p->stage);
	}
	if (p->run_doc)
		json_object_put(p->run_doc);
	if (p->meta)
		json_object_put(p->meta);
}

/* Read a JSON member whole and parse it. */
static int read_json(struct archive *a, const char *name, int64_t size,
		     struct json_object **out, struct hvt_err *err)
{
	struct hvt_buf b = HVT_BUF_INIT;
	char buf[65536];
	la_ssize_t n;
	int ret = 0;

	if (*out)
		return hvt_err_set(err, -EBADMSG, "%s: twice in the archive", name);
	if (size > (int64_t)JSON_MEMBER_MAX)
		return hvt_err_set(err, -EBADMSG, "%s: %lld bytes is too big", name,
				   (long long)size);
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if (b.len + (size_t)n > JSON_MEMBER_MAX) {
			hvt_buf_release(&b);
			return hvt_err_set(err, -EBADMSG, "%s: too big", name);
		}
		hvt_buf_add(&b, buf, (size_t)n);
	}
	if (n < 0) {
		ret = hvt_err_set(err, -EBADMSG, "%s: truncated or damaged archive: %s", name,
				  archive_error_string(a));
	} else {
		*out = hvt_json_parse(b.p ? b.p : "", err);
		if (!*out) {
			hvt_err_prefix(err, "%s: not JSON", name);
			ret = err->code = -EBADMSG;
		}
		else if (!json_object_is_type(*out, json_type_object))
			ret = hvt_err_set(err, -EBADMSG, "%s: not a JSON object", name);
	}
	hvt_buf_release(&b);
	return ret;
}

/* Copy a member into the staging directory, hashing it. */
static int stage_file(struct hvt_serve *s, struct archive *a, struct parsed *p, long idx,
		      const char *name, struct hvt_err *err)
{
	gnutls_hash_hd_t h;
	unsigned char d[32];
	char buf[65536], *path;
	la_ssize_t n;
	int fd, ret = 0;
	int64_t size = 0;

	for (size_t i = 0; i < p->nfiles; i++)
		if (p->files[i].case_index == idx && !strcmp(p->files[i].name, name))
			return hvt_err_set(err, -EBADMSG, "%s: twice in the archive", name);
	path = hvt_asprintf("%s/%zu", p->stage, p->nfiles);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = hvt_err_set(err, -errno, "%s: %s", path, strerror(errno));
		free(path);
		return ret;
	}
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256))
		HVT_BUG("SHA-256 not available");
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		p->extracted += (uint64_t)n;
		if (p->extracted > 4 * s->o.max_upload) {
			ret = hvt_err_set(err, -E2BIG, "the archive's files exceed %llu bytes",
					  (unsigned long long)(4 * s->o.max_upload));
			break;
		}
		gnutls_hash(h, buf, (size_t)n);
		ret = hvt_write_all(fd, buf, (size_t)n);
		if (ret) {
			hvt_err_set(err, ret, "%s: %s", path, strerror(-ret));
			break;
		}
		size += n;
	}
	if (!ret && n < 0)
		ret = hvt_err_set(err, -EBADMSG, "%s: truncated or damaged archive: %s", name,
				  archive_error_string(a));
	/* the blob must be on disk before a committed run refers to it */
	if (!ret && fsync(fd))
		ret = hvt_err_set(err, -errno, "%s: fsync: %s", path, strerror(errno));
	gnutls_hash_deinit(h, d);
	close(fd);
	if (ret) {
		free(path);
		return ret;
	}
	p->files = hvt_realloc(p->files, (p->nfiles + 1) * sizeof(*p->files));
	p->staged = hvt_realloc(p->staged, (p->nfiles + 1) * sizeof(*p->staged));
	memset(&p->files[p->nfiles], 0, sizeof(p->files[0]));
	p->files[p->nfiles].case_index = idx;
	p->files[p->nfiles].name = hvt_strdup(name);
	p->files[p->nfiles].size = size;
	for (size_t i = 0; i < sizeof(d); i++)
		hvt_snprintf(p->files[p->nfiles].sha256 + 2 * i, 3, "%02x", d[i]);
	p->staged[p->nfiles++] = path;
	return 0;
}

/* "case/12/rest" -> 12 and rest; -1 when the name is not of that form. */
static long case_member(const char *name, const char **rest)
{
	const char *p = name + 5;
	long v = 0;

	if (strncmp(name, "case/", 5) || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > 100000000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p != '/')
		return -1;
	*rest = p + 1;
	return v;
}

static int read_archive(struct hvt_serve *s, struct upload *u, struct parsed *p,
			struct hvt_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = 0, rc;

	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_fd(a, u->fd, 65536) != ARCHIVE_OK) {
		ret = hvt_err_set(err, -EBADMSG, "not a tar archive: %s", archive_error_string(a));
		goto out;
	}
	while (!ret && (rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *rest;
		long idx;

		if (!name || !hvt_serve_path_ok(name)) {
			ret = hvt_err_set(err, -EBADMSG, "'%s': not a safe relative path",
					  name ? name : "(unreadable name)");
		} else if (archive_entry_filetype(e) != AE_IFREG) {
			ret = hvt_err_set(err, -EBADMSG, "%s: not a regular file", name);
		} else if (!strcmp(name, "hvtest-run.json")) {
			ret = read_json(a, name, archive_entry_size(e), &p->run_doc, err);
		} else if (!strcmp(name, "hvtest-publish.json")) {
			ret = read_json(a, name, archive_entry_size(e), &p->meta, err);
		} else if (!strncmp(name, "run/", 4)) {
			ret = stage_file(s, a, p, -1, name + 4, err);
		} else if ((idx = case_member(name, &rest)) >= 0) {
			ret = stage_file(s, a, p, idx, rest, err);
		} else {
			ret = hvt_err_set(err, -EBADMSG, "%s: not a member a publish has", name);
		}
	}
	if (!ret && rc != ARCHIVE_EOF)
		ret = hvt_err_set(err, -EBADMSG, "truncated or damaged archive: %s",
				  archive_error_string(a));
	if (!ret && !p->run_doc)
		ret = hvt_err_set(err, -EBADMSG, "hvtest-run.json missing from the archive");
out:
	archive_read_free(a);
	return ret;
}

static bool is_artifact(struct hvt_case *const *cases, size_t n, long idx, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		if (cases[i]->index != idx)
			continue;
		for (size_t k = 0; k < cases[i]->nartifacts; k++)
			if (!strcmp(cases[i]->artifacts[k].path, path))
				return true;
	}
	return false;
}

static int read_meta(struct json_object *m, struct hvt_pub_meta *pm, struct hvt_err *err)
{
	static const char *const keys[] = { "plan_name", "cpu", "libvirt" };
	const char **dst[] = { &pm->plan_name, &pm->cpu, &pm->libvirt };
	const char *f;

	if (!m)
		return 0;
	f = hvt_json_get_str(m, "format");
	if (!f || strcmp(f, "hvtest-publish") || hvt_json_get_int(m, "version", 0) != 1)
		return hvt_err_set(err, -EBADMSG, "hvtest-publish.json: not format "
						  "hvtest-publish version 1");
	for (size_t i = 0; i < HVT_ARRAY_SIZE(keys); i++) {
		const char *v = hvt_json_get_str(m, keys[i]);

		if (v && strlen(v) > 256)
			return hvt_err_set(err, -EBADMSG, "hvtest-publish.json: %s is too long",
					   keys[i]);
		*dst[i] = v;
	}
	return 0;
}

/* Move the staged files into the blob store and record the run (under wlock). */
static int commit(struct hvt_serve *s, struct parsed *p, const struct hvt_pub_meta *pm,
		  const struct hvt_run_info *run, struct hvt_case *const *cases, size_t n,
		  int64_t *run_id, struct hvt_err *err)
{
	bool *created = hvt_zalloc((p->nfiles + 1) * sizeof(*created));
	int ret = 0, dfd;

	for (size_t i = 0; !ret && i < p->nfiles; i++) {
		char *dst = hvt_asprintf("%s/%s", s->blobs, p->files[i].sha256);

		if (access(dst, F_OK) == 0) {
			unlink(p->staged[i]);
		} else if (rename(p->staged[i], dst)) {
			ret = hvt_err_set(err, -errno, "%s: %s", dst, strerror(errno));
		} else {
			created[i] = true;
		}
		free(dst);
	}
	dfd = open(s->blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!ret && (dfd < 0 || fsync(dfd)))
		ret = hvt_err_set(err, -errno, "%s: fsync: %s", s->blobs, strerror(errno));
	if (dfd >= 0)
		close(dfd);
	if (!ret)
		ret = hvt_registry_publish(s->w, pm, run, cases, n, p->files, p->nfiles, run_id,
					   err);
	for (size_t i = 0; ret && i < p->nfiles; i++) {
		bool used = true;

		if (!created[i])
			continue;
		if (!hvt_registry_blob_used(s->w, p->files[i].sha256, &used, NULL) && !used) {
			char *dst = hvt_asprintf("%s/%s", s->blobs, p->files[i].sha256);

			unlink(dst);
			free(dst);
		}
	}
	free(created);
	return ret;
}

void upload_finish(struct hvt_serve *s, struct upload *u, struct reply *rp)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct parsed p = { 0 };
	struct hvt_pub_meta pm = { .key = u->key, .bytes = (int64_t)u->got };
	struct hvt_run_info run = { 0 };
	struct hvt_case **cases = NULL;
	size_t n = 0;
	int64_t run_id = 0;
	int ret;

	if (u->too_big) {
		reply_error(rp, 413, "the upload is larger than %llu bytes",
			    (unsigned long long)s->o.max_upload);
		return;
	}
	if (u->err) {
		reply_error(rp, 500, "storing the upload: %s", strerror(u->err));
		return;
	}
	if (lseek(u->fd, 0, SEEK_SET) < 0) {
		reply_error(rp, 500, "rewinding the upload: %s", strerror(errno));
		return;
	}
	p.stage = hvt_asprintf("%s/stage-XXXXXX", s->tmp);
	if (!mkdtemp(p.stage)) {
		reply_error(rp, 500, "%s: %s", p.stage, strerror(errno));
		free(p.stage);
		p.stage = NULL;
		return;
	}
	ret = read_archive(s, u, &p, &err);
	if (!ret)
		ret = hvt_report_json_read(p.run_doc, &run, &cases, &n, &err);
	if (!ret)
		ret = read_meta(p.meta, &pm, &err);
	for (size_t i = 0; !ret && i < n; i++)
		for (size_t k = 0; !ret && k < i; k++)
			if (cases[i]->index == cases[k]->index)
				ret = hvt_err_set(&err, -EBADMSG, "hvtest-run.json: case index %ld "
						  "twice", cases[i]->index);
	for (size_t i = 0; !ret && i < p.nfiles; i++)
		if (p.files[i].case_index >= 0 &&
		    !is_artifact(cases, n, p.files[i].case_index, p.files[i].name))
			ret = hvt_err_set(&err, -EBADMSG, "case/%ld/%s: not an artifact of case "
					  "%ld in hvtest-run.json", p.files[i].case_index,
					  p.files[i].name, p.files[i].case_index);
	if (ret) {
		reply_error(rp, ret == -E2BIG ? 413 : ret == -EBADMSG ? 400 : 500, "%s", err.msg);
		goto out;
	}
	pthread_mutex_lock(&s->wlock);
	ret = commit(s, &p, &pm, &run, cases, n, &run_id, &err);
	pthread_mutex_unlock(&s->wlock);
	if (ret) {
		reply_error(rp, ret == -EEXIST ? 409 : 500, "%s", err.msg);
		goto out;
	}
	rp->status = 201;
	rp->ctype = "application/json";
	{
		struct json_object *o = json_object_new_object();
		char *url = hvt_asprintf("/%s/%s/%s/%s/", u->key.user, u->key.machine,
					 u->key.git, u->key.name);

		json_object_object_add(o, "url", json_object_new_string(url));
		json_object_object_add(o, "run_id", json_object_new_int64(run_id));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)p.nfiles));
		hvt_buf_addf(&rp->body, "%s\n", hvt_json_str(o));
		json_object_put(o);
		free(url);
	}
out:
	hvt_store_cases_free(cases, n);
	hvt_run_info_release(&run);
	parsed_release(&p);
}

int upload_sweep(struct hvt_serve *s, struct hvt_err *err)
{
	struct dirent *e;
	DIR *d;
	int ret = 0;

	/* staging directories of uploads a SIGKILL interrupted */
	d = opendir(s->tmp);
	if (!d)
		return hvt_err_set(err, -errno, "%s: %s", s->tmp, strerror(errno));
	while ((e = readdir(d))) {
		char *path;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = hvt_asprintf("%s/%s", s->tmp, e->d_name);
		hvt_rm_rf(path);
		free(path);
	}
	closedir(d);
	/* blobs moved in by an upload killed before its run was committed */
	d = opendir(s->blobs);
	if (!d)
		return hvt_err_set(err, -errno, "%s: %s", s->blobs, strerror(errno));
	while (!ret && (e = readdir(d))) {
		bool used = true;

		if (e->d_name[0] == '.')
			continue;
		ret = hvt_registry_blob_used(s->w, e->d_name, &used, err);
		if (!ret && !used) {
			char *path = hvt_asprintf("%s/%s", s->blobs, e->d_name);

			unlink(path);
			free(path);
		}
	}
	closedir(d);
	return ret;
}
