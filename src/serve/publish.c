// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Publishing a stored run: its record (the JSON report, artifact paths
 * made relative), its artifacts, the plan, the host's facts (CPU,
 * /proc/cpuinfo, dmesg, libvirt) in one tar stream (libarchive, gzip), and
 * one POST of it to the server (libcurl).
 */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "publish.h"
#include "report.h"
#include "serve.h"
#include "store.h"

#define TOOL_TIMEOUT_MS 20000

struct pub_ctx {
	const struct hvt_publish_opts *o;
	struct hvt_publish_result *r;
	struct archive *a;
	struct hvt_err *err;
};

static void warn(struct pub_ctx *x, const char *fmt, ...) HVT_PRINTF(2, 3);
static void warn(struct pub_ctx *x, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_strv_push(&x->r->warnings, s);
	free(s);
}

static int archive_fail(struct pub_ctx *x, const char *name)
{
	return hvt_err_set(x->err, -EIO, "writing the upload (%s): %s", name,
			   archive_error_string(x->a));
}

static struct archive_entry *entry(const char *name, int64_t size)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, time(NULL), 0);
	return e;
}

static int add_mem(struct pub_ctx *x, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = entry(name, (int64_t)len);
	int ret = 0;

	if (archive_write_header(x->a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(x->a, data, len) != (la_ssize_t)len))
		ret = archive_fail(x, name);
	archive_entry_free(e);
	return ret;
}

/* A file from disk; a file that cannot be read is a warning, not an error. */
static int add_file(struct pub_ctx *x, const char *name, const char *path)
{
	struct archive_entry *e;
	char buf[65536];
	struct stat st;
	int64_t left;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		warn(x, "%s: %s; not published", path, fd < 0 ? strerror(errno)
							 : "not a regular file");
		if (fd >= 0)
			close(fd);
		return 0;
	}
	e = entry(name, st.st_size);
	if (archive_write_header(x->a, e) != ARCHIVE_OK)
		ret = archive_fail(x, name);
	/* a file that shrank meanwhile is padded by libarchive to its declared size */
	for (left = st.st_size; !ret && left > 0;) {
		ssize_t n = read(fd, buf, left < (int64_t)sizeof(buf) ? (size_t)left : sizeof(buf));

		if (n <= 0)
			break;
		if (archive_write_data(x->a, buf, (size_t)n) != n)
			ret = archive_fail(x, name);
		left -= n;
	}
	archive_entry_free(e);
	close(fd);
	return ret;
}

/* The output of a tool, trimmed; NULL when it is missing or fails. */
static char *tool_output(const char *const *argv)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *path = hvt_which(argv[0]), *out = NULL;
	size_t n;

	if (!path)
		return NULL;
	free(path);
	if (hvt_proc_run(argv, TOOL_TIMEOUT_MS, &out, &err)) {
		free(out);
		return NULL;
	}
	n = out ? strlen(out) : 0;
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return out;
}

/* "model name : X" of /proc/cpuinfo. */
static char *cpu_model(const char *cpuinfo)
{
	const char *p = cpuinfo ? strstr(cpuinfo, "model name") : NULL;
	const char *colon, *end;

	if (!p || !(colon = strchr(p, ':')))
		return NULL;
	colon++;
	while (*colon == ' ' || *colon == '\t')
		colon++;
	end = strchr(colon, '\n');
	return hvt_strndup(colon, end ? (size_t)(end - colon) : strlen(colon));
}

/* A name safe in a URL from any string: other characters become '-'. */
static char *url_name(const char *s)
{
	char *v = hvt_strndup(s, strnlen(s, 64));

	for (char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			*p = '-';
	if (v[0] == '.' || v[0] == '-')
		v[0] = '_';
	return v;
}

static bool safe_rel(const char *p)
{
	const char *c = p;

	if (!*p || *p == '/')
		return false;
	while (*c) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (!n || (n == 1 && *c == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)c[i] < 0x20 || c[i] == '\\')
				return false;
		if (!e)
			break;
		c = e + 1;
	}
	return true;
}

/*
 * The artifacts of each case: the file is read from the case's work
 * directory, and its path in the record becomes the name it has in the
 * archive (relative, safe), so the server's links find it.
 */
static int add_artifacts(struct pub_ctx *x, struct hvt_case **cases, size_t n)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < n; i++) {
		struct hvt_case *c = cases[i];

		for (size_t k = 0; !ret && k < c->nartifacts; k++) {
			struct hvt_artifact *a = &c->artifacts[k];
			const char *base = strrchr(a->path, '/');
			char *src, *rel, *name;

			src = a->path[0] == '/' || !c->workdir
				      ? hvt_strdup(a->path)
				      : hvt_asprintf("%s/%s", c->workdir, a->path);
			if (safe_rel(a->path))
				rel = hvt_strdup(a->path);
			else if (base && safe_rel(base + 1))
				rel = hvt_asprintf("%zu-%s", k, base + 1);
			else
				rel = hvt_asprintf("artifact-%zu", k);
			name = hvt_asprintf("case/%ld/%s", c->index, rel);
			ret = add_file(x, name, src);
			free(a->path);
			a->path = rel;
			free(name);
			free(src);
		}
		/* the work directory is a path on the publishing machine only */
		free(c->workdir);
		c->workdir = NULL;
	}
	return ret;
}

static int add_facts(struct pub_ctx *x, const struct hvt_run_info *ri, struct json_object *meta)
{
	static const char *const dmesg_argv[] = { "dmesg", NULL };
	static const char *const libvirtd_argv[] = { "libvirtd", "--version", NULL };
	static const char *const virsh_argv[] = { "virsh", "--version", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *cpuinfo = NULL, *model, *dmesg, *libvirt;
	size_t len = 0;
	int ret = 0;

	if (!hvt_file_read("/proc/cpuinfo", &cpuinfo, &len, &err)) {
		ret = add_mem(x, "run/cpuinfo", cpuinfo, len);
		model = cpu_model(cpuinfo);
		if (model)
			json_object_object_add(meta, "cpu", json_object_new_string(model));
		free(model);
	} else {
		warn(x, "/proc/cpuinfo: %s", err.msg);
	}
	free(cpuinfo);
	dmesg = ret ? NULL : tool_output(dmesg_argv);
	if (dmesg)
		ret = add_mem(x, "run/dmesg", dmesg, strlen(dmesg));
	else if (!ret)
		warn(x, "dmesg could not be read (no permission?); not published");
	free(dmesg);
	libvirt = tool_output(libvirtd_argv);
	if (!libvirt)
		libvirt = tool_output(virsh_argv);
	if (libvirt) {
		/* "libvirtd (libvirt) 9.0.0" -> "9.0.0" */
		const char *v = strrchr(libvirt, ' ');

		json_object_object_add(meta, "libvirt", json_object_new_string(v ? v + 1 : libvirt));
	}
	free(libvirt);
	if (!ret && ri->plan && access(ri->plan, R_OK) == 0)
		ret = add_file(x, "run/plan.cfg", ri->plan);
	return ret;
}

/* Write the whole upload into f. */
static int build(struct pub_ctx *x, FILE *f, struct hvt_run_info *ri, struct hvt_case **cases,
		 size_t n)
{
	struct json_object *meta = json_object_new_object();
	char *run_json = NULL, *plan_name;
	size_t len = 0;
	FILE *mem;
	int ret;

	x->a = archive_write_new();
	archive_write_set_format_pax_restricted(x->a);
	archive_write_add_filter_gzip(x->a);
	if (archive_write_open_FILE(x->a, f) != ARCHIVE_OK) {
		ret = archive_fail(x, "open");
		goto out;
	}
	json_object_object_add(meta, "format", json_object_new_string("hvtest-publish"));
	json_object_object_add(meta, "version", json_object_new_int(1));
	if (ri->plan) {
		const char *b = strrchr(ri->plan, '/');

		plan_name = hvt_strdup(b ? b + 1 : ri->plan);
		if (strlen(plan_name) > 4 && !strcmp(plan_name + strlen(plan_name) - 4, ".cfg"))
			plan_name[strlen(plan_name) - 4] = '\0';
		json_object_object_add(meta, "plan_name", json_object_new_string(plan_name));
		free(plan_name);
	}
	ret = add_artifacts(x, cases, n);
	if (!ret)
		ret = add_facts(x, ri, meta);
	if (ret)
		goto out;
	mem = open_memstream(&run_json, &len);
	ret = hvt_report_write(HVT_REPORT_JSON, NULL, mem, ri, cases, n, x->err);
	fclose(mem);
	if (!ret)
		ret = add_mem(x, "hvtest-run.json", run_json, len);
	if (!ret) {
		const char *m = hvt_json_str(meta);

		ret = add_mem(x, "hvtest-publish.json", m, strlen(m));
	}
	if (!ret && archive_write_close(x->a) != ARCHIVE_OK)
		ret = archive_fail(x, "close");
out:
	archive_write_free(x->a);
	x->a = NULL;
	json_object_put(meta);
	free(run_json);
	return ret;
}

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
	hvt_buf_add(opaque, p, size * n);
	return size * n;
}

static int send_upload(struct pub_ctx *x, const char *url, FILE *f, long size)
{
	const struct hvt_publish_opts *o = x->o;
	struct curl_slist *h = NULL;
	struct hvt_buf body = HVT_BUF_INIT;
	struct json_object *reply = NULL;
	char *auth = hvt_asprintf("Authorization: Bearer %s", o->token);
	CURL *c = curl_easy_init();
	CURLcode cc;
	int ret = 0;

	if (!c) {
		free(auth);
		return hvt_err_set(x->err, -ENOMEM, "libcurl: cannot start a transfer");
	}
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/x-tar");
	/* refusals (401, 403, 413, 429) come before the body is sent */
	h = curl_slist_append(h, "Expect: 100-continue");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_READDATA, f);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(o->timeout_s > 0 ? o->timeout_s : 600));
	curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 10000L);
	if (o->cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cafile);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->r->status);
	if (cc != CURLE_OK && !x->r->status) {
		ret = hvt_err_set(x->err, -ECONNREFUSED, "%s: %s", url, curl_easy_strerror(cc));
		goto out;
	}
	reply = body.p ? hvt_json_parse(body.p, NULL) : NULL;
	if (x->r->status == 201 && reply && hvt_json_get_str(reply, "url")) {
		const char *base = o->server;
		size_t bl = strlen(base);

		while (bl && base[bl - 1] == '/')
			bl--;
		x->r->url = hvt_asprintf("%.*s%s", (int)bl, base, hvt_json_get_str(reply, "url"));
	} else {
		const char *msg = reply ? hvt_json_get_str(reply, "error") : NULL;
		long st = x->r->status;

		ret = st == 401 || st == 403 ? -EACCES : st == 409 ? -EEXIST : st == 413 ? -E2BIG
		      : st == 429 ? -EBUSY : st == 400 ? -EBADMSG : -EPROTO;
		hvt_err_set(x->err, ret, "%s: HTTP %ld: %s", url, st,
			    msg ? msg : cc != CURLE_OK ? curl_easy_strerror(cc) : "no reason given");
	}
out:
	if (reply)
		json_object_put(reply);
	hvt_buf_release(&body);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(auth);
	return ret;
}

/* The key's parts the options leave out, from the token, the run and git. */
static int fill_key(struct pub_ctx *x, const struct hvt_run_info *ri, char **user,
		    char **machine, char **git, char **name)
{
	static const char *const git_argv[] = { "git", "rev-parse", "--short=12", "HEAD", NULL };
	const struct hvt_publish_opts *o = x->o;
	const char *colon = strchr(o->token, ':');
	char when[32];
	time_t t = (time_t)ri->started;
	struct tm tm;

	if (o->user)
		*user = hvt_strdup(o->user);
	else if (colon)
		*user = hvt_strndup(o->token, (size_t)(colon - o->token));
	else
		return hvt_err_set(x->err, -EINVAL, "the token names no user: give --user");
	*machine = url_name(o->machine ? o->machine
			    : ri->host.hostname ? ri->host.hostname : "unknown");
	if (o->git) {
		*git = hvt_strdup(o->git);
	} else {
		char *out = tool_output(git_argv);

		if (!out || !hvt_serve_name_ok(out)) {
			warn(x, "not in a git tree (or no git): published as git id 'unknown'; "
				"--git ID names it");
			free(out);
			out = hvt_strdup("unknown");
		}
		*git = out;
	}
	if (o->name) {
		*name = hvt_strdup(o->name);
	} else {
		if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm))
			hvt_snprintf(when, sizeof(when), "run");
		*name = hvt_asprintf("%s-%lld", when, (long long)ri->id);
	}
	if (!hvt_serve_name_ok(*user) || !hvt_serve_name_ok(*git) || !hvt_serve_name_ok(*name))
		return hvt_err_set(x->err, -EINVAL, "user '%s', git id '%s', name '%s': each is "
				   "1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -",
				   *user, *git, *name);
	return 0;
}

/* Open the results store and load o->run: its record and its cases. */
static int load_run(const struct hvt_publish_opts *o, struct hvt_run_info *ri,
		    struct hvt_case ***cases, size_t *n, struct hvt_err *err)
{
	const char *results = o->results ? o->results : HVT_RESULTS_DIR_DEFAULT;
	struct hvt_store *s;
	struct stat st;
	int64_t run_id;
	int ret;

	if (stat(results, &st) || !S_ISDIR(st.st_mode))
		return hvt_err_set(err, -ENOENT, "%s: no results directory", results);
	s = hvt_store_open(results, err);
	if (!s)
		return err->code ? err->code : -EIO;
	ret = hvt_store_run_resolve(s, o->run, &run_id, err);
	if (!ret)
		ret = hvt_store_run_get(s, run_id, ri, err);
	if (!ret)
		ret = hvt_store_run_cases(s, run_id, false, cases, n, err);
	hvt_store_close(s);
	return ret;
}

int hvt_publish_pack(const struct hvt_publish_opts *o, FILE *f, struct hvt_publish_result *r,
		     struct hvt_err *err)
{
	struct pub_ctx x = { .o = o, .r = r, .err = err };
	struct hvt_run_info ri = { 0 };
	struct hvt_case **cases = NULL;
	size_t n = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = load_run(o, &ri, &cases, &n, err);
	if (!ret)
		ret = build(&x, f, &ri, cases, n);
	hvt_store_cases_free(cases, n);
	hvt_run_info_release(&ri);
	return ret;
}

int hvt_publish(const struct hvt_publish_opts *o, struct hvt_publish_result *r,
		struct hvt_err *err)
{
	struct pub_ctx x = { .o = o, .r = r, .err = err };
	char *user = NULL, *machine = NULL, *git = NULL, *name = NULL, *url = NULL;
	struct hvt_run_info ri = { 0 };
	struct hvt_case **cases = NULL;
	size_t n = 0, sl = strlen(o->server);
	FILE *f = NULL;
	long size;
	int ret;

	memset(r, 0, sizeof(*r));
	if (strncmp(o->server, "http://", 7) && strncmp(o->server, "https://", 8))
		return hvt_err_set(err, -EINVAL, "server '%s': give an http:// or https:// URL",
				   o->server);
	ret = load_run(o, &ri, &cases, &n, err);
	if (!ret)
		ret = fill_key(&x, &ri, &user, &machine, &git, &name);
	if (ret)
		goto out;
	f = tmpfile();
	if (!f) {
		ret = hvt_err_set(err, -errno, "temporary file: %s", strerror(errno));
		goto out;
	}
	ret = build(&x, f, &ri, cases, n);
	if (ret)
		goto out;
	if (fflush(f) || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0) {
		ret = hvt_err_set(err, -EIO, "temporary file: %s", strerror(errno));
		goto out;
	}
	rewind(f);
	while (sl && o->server[sl - 1] == '/')
		sl--;
	url = hvt_asprintf("%.*s/api/v1/publish/%s/%s/%s/%s", (int)sl, o->server, user, machine,
			   git, name);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = send_upload(&x, url, f, size);
	curl_global_cleanup();
out:
	if (f)
		fclose(f);
	hvt_store_cases_free(cases, n);
	hvt_run_info_release(&ri);
	free(url);
	free(user);
	free(machine);
	free(git);
	free(name);
	return ret;
}

void hvt_publish_result_release(struct hvt_publish_result *r)
{
	free(r->url);
	hvt_strv_release(&r->warnings);
	memset(r, 0, sizeof(*r));
}
