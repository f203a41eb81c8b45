// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The results server against real processes on 127.0.0.1: hvtest serve
 * started here (and killed with the test), hvtest publish of a real run
 * read back byte for byte, refusals (401 403 413 429 400) that store
 * nothing, uploaded HTML that cannot run script, the pages in headless
 * chromium with every link followed, SIGKILL of the server during uploads
 * then a restart, concurrent publishers and readers, TLS and private
 * reading, and hvtest run --publish.
 */
#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

#define RUN_MS 300000

static char tmpdir[] = "/tmp/hvt-serve-XXXXXX";
static char module[4096], results[4096], planfile[4096];

static struct itest_server srv;

static char *tpath(const char *name)
{
	return hvt_asprintf("%s/%s", tmpdir, name);
}

static void server_kill9(struct itest_server *s)
{
	struct hvt_proc_status st;

	hvt_proc_signal(s->p, SIGKILL);
	hvt_proc_wait(s->p, 30000, &st);
	hvt_proc_free(s->p);
	s->p = NULL;
}

struct http {
	long status;
	struct hvt_buf body, head;
};

static size_t on_data(char *p, size_t size, size_t n, void *opaque)
{
	hvt_buf_add(opaque, p, size * n);
	return size * n;
}

static void http_release(struct http *h)
{
	hvt_buf_release(&h->body);
	hvt_buf_release(&h->head);
}

/*
 * One request with libcurl (thread-safe: no cmocka call). 0, or -1 when
 * no HTTP answer came.
 */
static int http_do(const char *method, const char *url, const char *token, const void *body,
		   size_t len, const char *cafile, struct http *h)
{
	struct curl_slist *hd = NULL;
	CURL *c = curl_easy_init();
	char *auth = token ? hvt_asprintf("Authorization: Bearer %s", token) : NULL;
	CURLcode cc;

	memset(h, 0, sizeof(*h));
	if (auth)
		hd = curl_slist_append(hd, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h->head);
	if (!strcmp(method, "POST")) {
		hd = curl_slist_append(hd, "Content-Type: application/x-tar");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(c);
	free(auth);
	return cc == CURLE_OK || h->status ? 0 : -1;
}

static void http(const char *method, const char *url, const char *token, const void *body,
		 size_t len, struct http *h)
{
	if (http_do(method, url, token, body, len, NULL, h))
		fail_msg("%s %s: no answer", method, url);
}

static void get(const char *path, struct http *h)
{
	char *url = hvt_asprintf("%s%s", srv.url, path);

	http("GET", url, NULL, NULL, 0, h);
	free(url);
}

/* A response header's value (copied into buf), or NULL. */
static const char *header(const struct http *h, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	for (const char *p = h->head.p; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)strcspn(v, "\r\n"), v);
			return buf;
		}
	}
	return NULL;
}

/* An archive member: a file with data, or a link or directory. */
struct member {
	const char *name;
	const char *data;
	size_t len;
	int type; /* AE_IFREG (0 means that too), AE_IFLNK */
};

static la_ssize_t on_write(struct archive *a, void *opaque, const void *p, size_t n)
{
	hvt_buf_add(opaque, p, n);
	return (la_ssize_t)n;
}

static void make_tar(struct hvt_buf *out, const struct member *m, size_t n)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open(a, out, NULL, on_write, NULL);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		int type = m[i].type ? m[i].type : (int)AE_IFREG;

		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, (unsigned)type);
		archive_entry_set_perm(e, 0644);
		if (type == AE_IFLNK)
			archive_entry_set_symlink(e, "/etc/passwd");
		archive_entry_set_size(e, type == AE_IFREG ? (int64_t)m[i].len : 0);
		archive_write_header(a, e);
		if (type == AE_IFREG && m[i].len)
			archive_write_data(a, m[i].data, m[i].len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

/* The record of a run of one case whose artifacts are the given paths. */
static char *run_json(const char *const *paths)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_addf(&b, "{\"format\": \"hvtest-run\", \"version\": 1, \"run\": {\"plan\": "
			 "\"crafted.cfg\", \"started\": 1764000000, \"host\": {\"hostname\": "
			 "\"crafted\"}}, \"cases\": [{\"name\": \"c0\", \"shortname\": \"c0\", "
			 "\"type\": \"fx-pass\", \"index\": 0, \"attempt\": 1, \"checks\": "
			 "[{\"name\": \"k\", \"status\": \"pass\", \"message\": \"\"}], "
			 "\"artifacts\": [");
	for (size_t i = 0; paths && paths[i]; i++)
		hvt_buf_addf(&b, "%s{\"name\": \"%s\", \"path\": \"%s\"}", i ? ", " : "", paths[i],
			     paths[i]);
	hvt_buf_addf(&b, "]}]}");
	return b.p;
}

/* A sound upload of one case with one artifact "out.log" holding content. */
static void good_upload(struct hvt_buf *out, const char *content)
{
	char *j = run_json((const char *const[]){ "out.log", NULL });
	struct member m[] = {
		{ "hvtest-run.json", j, strlen(j), 0 },
		{ "case/0/out.log", content, strlen(content), 0 },
	};

	make_tar(out, m, HVT_ARRAY_SIZE(m));
	free(j);
}

static char *token_add(const struct itest_server *s, const char *user)
{
	const char *argv[] = { itest_hvtest(), "serve", "--store", s->dir, "token", "add", user,
			       NULL };
	char *out = NULL;
	int rc = itest_run(argv, NULL, 60000, &out);

	if (rc)
		fail_msg("token add %s: exit %d: %s", user, rc, out);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static char *token_file(const char *user, const char *token)
{
	char *name = hvt_asprintf("%s.token", user), *path = tpath(name);
	struct hvt_err err = HVT_ERR_INIT;

	itest_ok(hvt_file_write(path, token, strlen(token), &err), &err);
	free(name);
	return path;
}

/* What is stored: published runs, blobs, staging leftovers. */
struct snap {
	size_t runs, blobs, tmp;
};

static size_t count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static struct json_object *get_json(const char *path)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *o;
	struct http h;

	get(path, &h);
	if (h.status != 200)
		fail_msg("GET %s: %ld %s", path, h.status, h.body.p);
	o = hvt_json_parse(h.body.p, &err);
	if (!o)
		fail_msg("GET %s: %s", path, err.msg);
	http_release(&h);
	return o;
}

static void snapshot(const struct itest_server *s, struct snap *out)
{
	struct json_object *runs = get_json("/api/v1/runs");
	char *b = hvt_asprintf("%s/blobs", s->dir), *t = hvt_asprintf("%s/tmp", s->dir);

	out->runs = json_object_array_length(runs);
	out->blobs = count_dir(b);
	out->tmp = count_dir(t);
	json_object_put(runs);
	free(b);
	free(t);
}

static void post(const char *key, const char *token, const struct hvt_buf *body,
		 struct http *h)
{
	char *url = hvt_asprintf("%s/api/v1/publish/%s", srv.url, key);

	http("POST", url, token, body ? body->p : NULL, body ? body->len : 0, h);
	free(url);
}

static char *tok_alice, *tok_bob, *alice_file;

static int group_setup(void **state)
{
	const char *b = getenv("HVT_BUILDDIR");
	static const char plan[] = "variants:\n    - ok:\n        type = fx-pass\n"
				   "    - files:\n        type = fx-files\n"
				   "    - wrong:\n        type = fx-fail\n";
	struct hvt_err err = HVT_ERR_INIT;
	char *out = NULL;
	int rc;

	if (!mkdtemp(tmpdir))
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(module, sizeof(module), "%s/tests/fixtures/hvt-fixtures.so", b ? b : ".");
	snprintf(results, sizeof(results), "%s/results", tmpdir);
	snprintf(planfile, sizeof(planfile), "%s/serve-plan.cfg", tmpdir);
	if (hvt_file_write(planfile, plan, strlen(plan), &err))
		return -1;
	{
		const char *argv[] = { itest_hvtest(), "run", "--module", module, "--results",
				       results, "-j", "2", planfile, NULL };

		rc = itest_run(argv, NULL, RUN_MS, &out);
		free(out);
		if (rc != 1) /* one case fails on purpose */
			return -1;
	}
	itest_server_start(&srv, tmpdir, "store",
			   (const char *const[]){ "--max-upload", "4000000", "--rate", "100000",
						  NULL });
	tok_alice = token_add(&srv, "alice");
	tok_bob = token_add(&srv, "bob");
	alice_file = token_file("alice", tok_alice);
	return 0;
}

static int group_teardown(void **state)
{
	itest_server_stop(&srv);
	free(tok_alice);
	free(tok_bob);
	free(alice_file);
	curl_global_cleanup();
	hvt_rm_rf(tmpdir);
	return 0;
}

/* hvtest publish latest as alice; returns the exit status, *out its output. */
static int publish_cli(const char *name, const char *server, const char *const *extra,
		       char **out)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	int rc;

	hvt_strv_pushv(&argv, (const char *const[]){ itest_hvtest(), "publish", "--results",
						       results, "--token-file", alice_file,
						       "--server", server, "--machine", "m1",
						       "--git", "0123abcd", "--name", name, NULL });
	if (extra)
		hvt_strv_pushv(&argv, extra);
	hvt_strv_push(&argv, "latest");
	rc = itest_run((const char *const *)argv.v, NULL, RUN_MS, out);
	hvt_strv_release(&argv);
	return rc;
}

/* Every artifact of the local run comes back byte for byte, typed. */
static void test_publish_roundtrip(void **state)
{
	struct json_object *local, *pub, *cases, *files;
	struct hvt_err err = HVT_ERR_INIT;
	const char *show[] = { itest_hvtest(), "results", "--results", results, "show",
			       "latest", "--json", NULL };
	char *out = NULL, hv[256];
	size_t checked = 0;
	struct snap a, b;
	struct http h;
	int rc;

	rc = publish_cli("r1", srv.url, NULL, &out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "/alice/m1/0123abcd/r1/"));
	free(out);

	rc = itest_run(show, NULL, 60000, &out);
	local = hvt_json_parse(out, &err);
	free(out);
	assert_non_null(local);
	pub = get_json("/api/v1/runs/alice/m1/0123abcd/r1");
	assert_int_equal(hvt_json_get_int(pub, "counts.cases", -1), 3);
	assert_int_equal(hvt_json_get_int(pub, "counts.pass", -1), 2);
	assert_int_equal(hvt_json_get_int(pub, "counts.fail", -1), 1);
	assert_string_equal(hvt_json_get_str(pub, "outcome"), "fail");
	cases = hvt_json_get(local, "cases");
	files = hvt_json_get(pub, "files");
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);
		struct json_object *arts = hvt_json_get(c, "artifacts");
		const char *wd = hvt_json_get_str(c, "workdir");
		long idx = (long)hvt_json_get_int(c, "index", -1);

		for (size_t k = 0; arts && k < json_object_array_length(arts); k++) {
			const char *p = hvt_json_get_str(json_object_array_get_idx(arts, k), "path");
			char *src = hvt_asprintf("%s/%s", wd, p), *data = NULL;
			char *path = hvt_asprintf("/alice/m1/0123abcd/r1/a/%ld/%s", idx, p);
			size_t len = 0;

			itest_ok(hvt_file_read(src, &data, &len, &err), &err);
			get(path, &h);
			assert_int_equal(h.status, 200);
			assert_int_equal(h.body.len, len);
			assert_memory_equal(h.body.p ? h.body.p : "", data, len);
			assert_non_null(header(&h, "Content-Type", hv, sizeof(hv)));
			assert_string_equal(hv, "text/plain; charset=utf-8");
			assert_non_null(header(&h, "X-Content-Type-Options", hv, sizeof(hv)));
			assert_string_equal(hv, "nosniff");
			assert_non_null(header(&h, "Content-Security-Policy", hv, sizeof(hv)));
			assert_non_null(strstr(hv, "sandbox"));
			http_release(&h);
			free(data);
			free(src);
			free(path);
			checked++;
		}
	}
	/* fx-files leaves four forensic files, every case its output */
	assert_true(checked >= 4);
	assert_true(json_object_array_length(files) >= checked + 2);
	{
		char *plan = NULL;
		size_t len = 0;

		itest_ok(hvt_file_read(planfile, &plan, &len, &err), &err);
		get("/alice/m1/0123abcd/r1/f/plan.cfg", &h);
		assert_int_equal(h.status, 200);
		assert_int_equal(h.body.len, len);
		assert_memory_equal(h.body.p, plan, len);
		http_release(&h);
		free(plan);
	}
	get("/alice/m1/0123abcd/r1/f/cpuinfo", &h);
	assert_int_equal(h.status, 200);
	assert_non_null(strstr(h.body.p, "processor"));
	http_release(&h);

	/* the same key again: refused, nothing added */
	snapshot(&srv, &a);
	rc = publish_cli("r1", srv.url, NULL, &out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "409"));
	free(out);
	snapshot(&srv, &b);
	assert_int_equal(a.runs, b.runs);
	assert_int_equal(a.blobs, b.blobs);
	json_object_put(local);
	json_object_put(pub);
}

/* A refused publish: its status, and nothing stored. */
static void refused(const char *key, const char *token, const struct hvt_buf *body,
		    long status, const char *why)
{
	struct snap a, b;
	struct http h;

	snapshot(&srv, &a);
	post(key, token, body, &h);
	if (h.status != status)
		fail_msg("%s: HTTP %ld, not %ld: %s", why, h.status, status, h.body.p);
	assert_non_null(strstr(h.body.p, "\"error\""));
	http_release(&h);
	snapshot(&srv, &b);
	if (a.runs != b.runs || a.blobs != b.blobs || b.tmp)
		fail_msg("%s: stored something: runs %zu -> %zu, blobs %zu -> %zu, tmp %zu", why,
			 a.runs, b.runs, a.blobs, b.blobs, b.tmp);
}

static void test_refusals(void **state)
{
	struct hvt_buf good = HVT_BUF_INIT, bad = HVT_BUF_INIT, big = HVT_BUF_INIT;
	char *j = run_json((const char *const[]){ "out.log", NULL });
	char *bad_revoked, *out = NULL;
	const char *argv[] = { itest_hvtest(), "serve", "--store", srv.dir, "token", "revoke",
			       "bob", NULL };
	struct http h;

	good_upload(&good, "a good artifact\n");
	refused("alice/m/g/n1", NULL, &good, 401, "no token");
	refused("alice/m/g/n1", "alice:0000", &good, 401, "a wrong token");
	refused("bob/m/g/n1", tok_alice, &good, 403, "alice in bob's namespace");
	refused("alice/m/g/bad%20name", tok_alice, &good, 400, "a bad run name");
	refused("alice/m/g/-n", tok_alice, &good, 400, "a run name starting with -");
	/* more than --max-upload */
	{
		char chunk[65536];

		memset(chunk, 'x', sizeof(chunk));
		while (big.len <= 4000000)
			hvt_buf_add(&big, chunk, sizeof(chunk));
	}
	assert_true(big.len > 4000000);
	refused("alice/m/g/n1", tok_alice, &big, 413, "an oversized upload");
	/* truncated: half of a sound archive */
	hvt_buf_add(&bad, good.p, good.len / 2);
	refused("alice/m/g/n1", tok_alice, &bad, 400, "a truncated archive");
	bad.len = 0;
	hvt_buf_add(&bad, "this is not a tar archive at all", 32);
	refused("alice/m/g/n1", tok_alice, &bad, 400, "not an archive");
	{
		static const char notjson[] = "{\"format\": \"hvtest-run\", \"cases\": [";
		struct member m[] = { { "hvtest-run.json", notjson, sizeof(notjson) - 1, 0 } };

		bad.len = 0;
		make_tar(&bad, m, 1);
		refused("alice/m/g/n1", tok_alice, &bad, 400, "bad JSON");
	}
	{
		/* a sound record, and a second member that is wrong */
		static const struct {
			struct member m;
			const char *why;
		} second[] = {
			{ { "case/0/../../../etc/evil", "x", 1, 0 }, "path traversal" },
			{ { "/etc/evil", "x", 1, 0 }, "an absolute path" },
			{ { "case/0/out.log", NULL, 0, AE_IFLNK }, "a symbolic link" },
			{ { "case/7/out.log", "x", 1, 0 }, "an artifact of no case" },
		};

		for (size_t i = 0; i < HVT_ARRAY_SIZE(second); i++) {
			struct member m[] = { { "hvtest-run.json", j, strlen(j), 0 }, second[i].m };

			bad.len = 0;
			make_tar(&bad, m, 2);
			refused("alice/m/g/n1", tok_alice, &bad, 400, second[i].why);
		}
	}
	{
		struct member m[] = { { "case/0/out.log", "x", 1, 0 } };

		bad.len = 0;
		make_tar(&bad, m, 1);
		refused("alice/m/g/n1", tok_alice, &bad, 400, "no run record");
	}
	/* a revoked token */
	assert_int_equal(itest_run(argv, NULL, 60000, &out), 0);
	free(out);
	bad_revoked = hvt_strdup(tok_bob);
	refused("bob/m/g/n1", bad_revoked, &good, 401, "a revoked token");
	free(bad_revoked);
	/* and the sound upload is taken */
	post("alice/m/g/n1", tok_alice, &good, &h);
	assert_int_equal(h.status, 201);
	http_release(&h);
	get("/alice/m/g/n1/a/0/out.log", &h);
	assert_int_equal(h.status, 200);
	assert_string_equal(h.body.p, "a good artifact\n");
	http_release(&h);
	hvt_buf_release(&good);
	hvt_buf_release(&bad);
	hvt_buf_release(&big);
	free(j);
}

/* --rate 2: the third publish within a minute is refused (429). */
static void test_rate(void **state)
{
	struct itest_server s2 = { 0 };
	struct hvt_buf up = HVT_BUF_INIT;
	char *tok;

	itest_server_start(&s2, tmpdir, "rate", (const char *const[]){ "--rate", "2", NULL });
	tok = token_add(&s2, "carol");
	good_upload(&up, "rate\n");
	for (int i = 0; i < 3; i++) {
		char *url = hvt_asprintf("%s/api/v1/publish/carol/m/g/r%d", s2.url, i);
		struct http h;

		http("POST", url, tok, up.p, up.len, &h);
		assert_int_equal(h.status, i < 2 ? 201 : 429);
		http_release(&h);
		free(url);
	}
	itest_server_stop(&s2);
	hvt_buf_release(&up);
	free(tok);
}

/* chromium --headless: the DOM of url after its scripts ran (caller frees). */
static char *browser_dom(const char *url)
{
	char *profile = tpath("chromium-profile"), *dom = itest_browser_dom(profile, url);

	free(profile);
	return dom;
}

/* Uploaded HTML and SVG are served typed, sandboxed: their script does not run. */
static void test_artifact_isolation(void **state)
{
	static const char html[] = "<html><body><p id=\"x\">untouched</p><script>"
				   "document.getElementById('x').textContent='scripted'"
				   "</script></body></html>";
	static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>"
				  "alert(1)</script></svg>";
	char *j = run_json((const char *const[]){ "evil.html", "evil.svg", NULL });
	struct member m[] = { { "hvtest-run.json", j, strlen(j), 0 },
			      { "case/0/evil.html", html, sizeof(html) - 1, 0 },
			      { "case/0/evil.svg", svg, sizeof(svg) - 1, 0 } };
	struct hvt_buf up = HVT_BUF_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	char hv[512], *dom, *url, *local;
	struct http h;

	make_tar(&up, m, HVT_ARRAY_SIZE(m));
	post("alice/m/g/evil", tok_alice, &up, &h);
	assert_int_equal(h.status, 201);
	http_release(&h);
	get("/alice/m/g/evil/a/0/evil.html", &h);
	assert_int_equal(h.status, 200);
	assert_string_equal(header(&h, "Content-Type", hv, sizeof(hv)), "text/html; charset=utf-8");
	assert_non_null(strstr(header(&h, "Content-Security-Policy", hv, sizeof(hv)), "sandbox"));
	assert_non_null(strstr(hv, "default-src 'none'"));
	assert_string_equal(header(&h, "X-Content-Type-Options", hv, sizeof(hv)), "nosniff");
	http_release(&h);
	get("/alice/m/g/evil/a/0/evil.svg", &h);
	assert_string_equal(header(&h, "Content-Type", hv, sizeof(hv)), "image/svg+xml");
	assert_non_null(strstr(header(&h, "Content-Security-Policy", hv, sizeof(hv)), "sandbox"));
	http_release(&h);
	hvt_buf_release(&up);
	free(j);
	if (!itest_have_chromium())
		skip();
	/* control: the same page from a file runs its script in this browser */
	local = tpath("evil.html");
	itest_ok(hvt_file_write(local, html, sizeof(html) - 1, &err), &err);
	url = hvt_asprintf("file://%s", local);
	dom = browser_dom(url);
	assert_non_null(strstr(dom, "scripted"));
	free(dom);
	free(url);
	free(local);
	url = hvt_asprintf("%s/alice/m/g/evil/a/0/evil.html", srv.url);
	dom = browser_dom(url);
	assert_non_null(strstr(dom, "untouched"));
	assert_null(strstr(dom, ">scripted<"));
	free(dom);
	free(url);
}

/* Every href="/..." of a DOM answers 200. Returns how many were followed. */
static size_t follow_links(const char *dom)
{
	struct hvt_strv seen = HVT_STRV_INIT;
	size_t n = 0;

	for (const char *p = strstr(dom, "href=\""); p; p = strstr(p + 1, "href=\"")) {
		const char *v = p + 6;
		size_t len = strcspn(v, "\"");
		struct hvt_buf path = HVT_BUF_INIT;
		bool dup = false;
		struct http h;

		if (*v != '/')
			continue;
		/* the DOM escapes & as &amp; */
		for (size_t i = 0; i < len; i++) {
			if (!strncmp(v + i, "&amp;", 5)) {
				hvt_buf_add(&path, "&", 1);
				i += 4;
			} else {
				hvt_buf_add(&path, v + i, 1);
			}
		}
		for (size_t i = 0; i < seen.n && !dup; i++)
			dup = !strcmp(seen.v[i], path.p);
		if (!dup) {
			hvt_strv_push(&seen, path.p);
			get(path.p, &h);
			if (h.status != 200)
				fail_msg("link %s: HTTP %ld", path.p, h.status);
			http_release(&h);
			n++;
		}
		hvt_buf_release(&path);
	}
	hvt_strv_release(&seen);
	return n;
}

/* The page at path, rendered: it holds every needle, and min_links links that resolve. */
static void browse(const char *path, const char *const *needles, size_t min_links)
{
	char *url = hvt_asprintf("%s%s", srv.url, path), *dom = browser_dom(url);
	size_t n;

	for (size_t i = 0; needles[i]; i++)
		if (!strstr(dom, needles[i]))
			fail_msg("%s: no '%s' in the rendered page:\n%s", path, needles[i], dom);
	n = follow_links(dom);
	if (n < min_links)
		fail_msg("%s: %zu links, fewer than %zu", path, n, min_links);
	free(dom);
	free(url);
}

static void test_browser(void **state)
{
	char *url, *shot, *arg, *profile, *pdir, *out = NULL, *png = NULL;
	size_t len = 0;
	struct hvt_err err = HVT_ERR_INIT;

	if (!itest_have_chromium())
		skip();
	browse("/", (const char *const[]){ "<table class=\"summary\">", "href=\"/alice/m1/\"",
					  "serve-plan", NULL }, 4);
	browse("/alice/", (const char *const[]){ "<table class=\"runs\">",
						"href=\"/alice/m1/0123abcd/r1/\"", NULL }, 3);
	browse("/alice/m1/0123abcd/r1/", (const char *const[]){ "<h1>hvtest run",
			"class=\"o fail\"", "/alice/m1/0123abcd/r1/a/",
			"/alice/m1/0123abcd/r1/case/", NULL }, 8);
	url = hvt_asprintf("%s/alice/m1/0123abcd/r1/", srv.url);
	/* a screenshot of the run page: a real picture of a rendered page */
	shot = tpath("run-page.png");
	arg = hvt_asprintf("--screenshot=%s", shot);
	profile = tpath("chromium-profile");
	pdir = hvt_asprintf("--user-data-dir=%s", profile);
	{
		const char *argv[] = { "chromium", "--headless", "--no-sandbox", "--disable-gpu",
				       "--no-first-run", pdir, "--window-size=1280,1600", arg,
				       url, NULL };

		assert_int_equal(itest_run(argv, NULL, 180000, &out), 0);
	}
	itest_ok(hvt_file_read(shot, &png, &len, &err), &err);
	assert_true(len > 10000);
	assert_memory_equal(png, "\x89PNG", 4);
	if (getenv("HVT_SERVE_SHOT"))
		hvt_file_write(getenv("HVT_SERVE_SHOT"), png, len, &err);
	free(png);
	free(out);
	free(pdir);
	free(profile);
	free(arg);
	free(shot);
	free(url);
}

struct poster {
	const char *url, *token, *prefix;
	int count, ok, failed;
	volatile int *acked;	/* shared: uploads acknowledged so far */
	char **names;		/* the names acknowledged */
};

static char *content_of(const char *name)
{
	return hvt_asprintf("the artifact of %s\n", name);
}

/* Publish count uploads in turn; stop at the first that gets no answer. */
static void *poster_main(void *arg)
{
	struct poster *p = arg;

	p->names = hvt_zalloc((size_t)(p->count + 1) * sizeof(char *));
	for (int i = 0; i < p->count; i++) {
		char *name = hvt_asprintf("%s%d", p->prefix, i), *content = content_of(name);
		char *url = hvt_asprintf("%s/api/v1/publish/alice/load/g/%s", p->url, name);
		struct hvt_buf up = HVT_BUF_INIT;
		struct http h;
		int rc;

		good_upload(&up, content);
		rc = http_do("POST", url, p->token, up.p, up.len, NULL, &h);
		if (!rc && h.status == 201) {
			p->names[p->ok++] = hvt_strdup(name);
			__atomic_add_fetch(p->acked, 1, __ATOMIC_SEQ_CST);
		} else {
			p->failed++;
		}
		http_release(&h);
		hvt_buf_release(&up);
		free(url);
		free(content);
		free(name);
		if (rc)
			break;
	}
	return NULL;
}

/* Every published run of the machine "load" serves its artifact as sent. */
static size_t check_load_runs(void)
{
	struct json_object *runs = get_json("/api/v1/runs?user=alice&machine=load");
	size_t n = json_object_array_length(runs);

	for (size_t i = 0; i < n; i++) {
		const char *name = hvt_json_get_str(json_object_array_get_idx(runs, i), "name");
		char *path = hvt_asprintf("/alice/load/g/%s/a/0/out.log", name);
		char *want = content_of(name);
		struct http h;

		get(path, &h);
		if (h.status != 200 || !h.body.p || strcmp(h.body.p, want))
			fail_msg("%s: HTTP %ld, '%s' instead of '%s'", path, h.status,
				 h.body.p ? h.body.p : "", want);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(name, hvt_json_get_str(json_object_array_get_idx(runs, k),
							   "name")))
				fail_msg("run %s listed twice", name);
		http_release(&h);
		free(path);
		free(want);
	}
	json_object_put(runs);
	return n;
}

/*
 * SIGKILL of the server while uploads go on: one left half sent, others
 * committing. After a restart every acknowledged run is there whole,
 * nothing half-published is, and no staging file or orphan blob is left.
 */
static void test_kill9(void **state)
{
	static const char head[] = "POST /api/v1/publish/alice/load/g/partial HTTP/1.1\r\n"
				   "Host: 127.0.0.1\r\nContent-Type: application/x-tar\r\n"
				   "Content-Length: 1000000\r\nAuthorization: Bearer ";
	struct hvt_buf up = HVT_BUF_INIT;
	volatile int acked = 0;
	struct poster p = { .url = srv.url, .token = tok_alice, .prefix = "k", .count = 40,
			    .acked = &acked };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int64_t deadline = hvt_deadline_after(120000);
	pthread_t t;
	struct snap sn;
	struct http h;
	int port, fd;
	char *blobs, *msg;

	/* a connection that sends half its body, then waits */
	sscanf(strrchr(srv.url, ':') + 1, "%d", &port);
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	good_upload(&up, "never whole\n");
	msg = hvt_asprintf("%s%s\r\n\r\n", head, tok_alice);
	assert_int_equal(hvt_write_all(fd, msg, strlen(msg)), 0);
	assert_int_equal(hvt_write_all(fd, up.p, up.len / 2), 0);
	free(msg);

	assert_int_equal(pthread_create(&t, NULL, poster_main, &p), 0);
	while (__atomic_load_n(&acked, __ATOMIC_SEQ_CST) < 3 && hvt_ms_left(deadline) > 0)
		usleep(1000);
	server_kill9(&srv);
	pthread_join(t, NULL);
	close(fd);
	assert_true(p.ok >= 3);

	itest_server_start(&srv, tmpdir, "store",
			   (const char *const[]){ "--max-upload", "4000000", "--rate", "100000",
						  NULL });
	/* every acknowledged run is there, served whole */
	for (int i = 0; i < p.ok; i++) {
		char *path = hvt_asprintf("/alice/load/g/%s/a/0/out.log", p.names[i]);

		get(path, &h);
		assert_int_equal(h.status, 200);
		http_release(&h);
		free(path);
		free(p.names[i]);
	}
	free(p.names);
	get("/alice/load/g/partial/", &h);
	assert_int_equal(h.status, 404);
	http_release(&h);
	/* what is listed is whole (at most the one in commit when killed beyond ok) */
	assert_true(check_load_runs() >= (size_t)p.ok);
	snapshot(&srv, &sn);
	assert_int_equal(sn.tmp, 0);
	/* each blob is referenced: distinct files of all runs == blobs on disk */
	{
		struct json_object *runs = get_json("/api/v1/runs");
		struct hvt_strv shas = HVT_STRV_INIT;

		for (size_t i = 0; i < json_object_array_length(runs); i++) {
			struct json_object *r = json_object_array_get_idx(runs, i);
			char *path = hvt_asprintf("/api/v1/runs%s", hvt_json_get_str(r, "url"));
			struct json_object *one = get_json(path), *files = hvt_json_get(one, "files");

			for (size_t k = 0; k < json_object_array_length(files); k++) {
				const char *sha = hvt_json_get_str(
					json_object_array_get_idx(files, k), "sha256");
				bool dup = false;

				for (size_t q = 0; q < shas.n && !dup; q++)
					dup = !strcmp(shas.v[q], sha);
				if (!dup)
					hvt_strv_push(&shas, sha);
			}
			json_object_put(one);
			free(path);
		}
		assert_int_equal(shas.n, sn.blobs);
		hvt_strv_release(&shas);
		json_object_put(runs);
	}
	blobs = hvt_which("sqlite3");
	if (blobs) {
		char *db = hvt_asprintf("%s/results.db", srv.dir), *out = NULL;
		const char *argv[] = { "sqlite3", db, "PRAGMA integrity_check", NULL };

		assert_int_equal(itest_run(argv, NULL, 60000, &out), 0);
		assert_string_equal(out, "ok\n");
		free(out);
		free(db);
	}
	free(blobs);
	hvt_buf_release(&up);
}

struct reader {
	const char *url;
	volatile int *stop;
	int reads, bad;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	static const char *const pages[] = { "/", "/alice/", "/alice/load/",
					     "/api/v1/summary" };

	while (!__atomic_load_n(r->stop, __ATOMIC_SEQ_CST)) {
		char *url = hvt_asprintf("%s%s", r->url, pages[r->reads % 4]);
		struct http h;

		if (http_do("GET", url, NULL, NULL, 0, NULL, &h) || h.status != 200)
			r->bad++;
		r->reads++;
		http_release(&h);
		free(url);
	}
	return NULL;
}

/* 4 publishers and 2 readers at once: no run lost, none twice, no read failed. */
static void test_load(void **state)
{
	enum { PUBLISHERS = 4, EACH = 6, READERS = 2 };
	static const char *const prefixes[] = { "p0-", "p1-", "p2-", "p3-" };
	struct poster p[PUBLISHERS];
	struct reader r[READERS];
	pthread_t pt[PUBLISHERS], rt[READERS];
	volatile int acked = 0, stop = 0;
	size_t before = check_load_runs(), after;

	for (int i = 0; i < READERS; i++) {
		r[i] = (struct reader){ .url = srv.url, .stop = &stop };
		assert_int_equal(pthread_create(&rt[i], NULL, reader_main, &r[i]), 0);
	}
	for (int i = 0; i < PUBLISHERS; i++) {
		p[i] = (struct poster){ .url = srv.url, .token = tok_alice, .prefix = prefixes[i],
					.count = EACH, .acked = &acked };
		assert_int_equal(pthread_create(&pt[i], NULL, poster_main, &p[i]), 0);
	}
	for (int i = 0; i < PUBLISHERS; i++)
		pthread_join(pt[i], NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < READERS; i++) {
		pthread_join(rt[i], NULL);
		assert_true(r[i].reads > 0);
		assert_int_equal(r[i].bad, 0);
	}
	for (int i = 0; i < PUBLISHERS; i++) {
		assert_int_equal(p[i].ok, EACH);
		assert_int_equal(p[i].failed, 0);
		for (int k = 0; k < p[i].ok; k++)
			free(p[i].names[k]);
		free(p[i].names);
	}
	after = check_load_runs();
	assert_int_equal(after, before + PUBLISHERS * EACH);
}

/* HTTPS with a certificate; a private server wants a token to be read. */
static void test_tls_private(void **state)
{
	char *cert = tpath("cert.pem"), *key = tpath("key.pem"), *out = NULL, *tok, *url;
	char *openssl = hvt_which("openssl");
	struct itest_server s3 = { 0 };
	struct http h;
	int rc;

	if (!openssl) {
		print_message("SKIP: no openssl to make a certificate\n");
		skip();
	}
	free(openssl);
	{
		const char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
				       "-keyout", key, "-out", cert, "-days", "2", "-subj",
				       "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
				       NULL };

		rc = itest_run(argv, NULL, 60000, &out);
		free(out);
		assert_int_equal(rc, 0);
	}
	itest_server_start(&s3, tmpdir, "tls",
			   (const char *const[]){ "--tls-cert", cert, "--tls-key", key, "--private",
						  NULL });
	assert_int_equal(strncmp(s3.url, "https://", 8), 0);
	tok = token_add(&s3, "alice");
	url = hvt_asprintf("%s/", s3.url);
	assert_int_equal(http_do("GET", url, NULL, NULL, 0, cert, &h), 0);
	assert_int_equal(h.status, 401);
	http_release(&h);
	assert_int_equal(http_do("GET", url, tok, NULL, 0, cert, &h), 0);
	assert_int_equal(h.status, 200);
	http_release(&h);
	/* without the CA the client refuses the server */
	assert_int_not_equal(http_do("GET", url, tok, NULL, 0, NULL, &h), 0);
	http_release(&h);
	{
		char *tf = token_file("alice-tls", tok);
		const char *argv[] = { itest_hvtest(), "publish", "--results", results,
				       "--token-file", tf, "--server", s3.url, "--cacert", cert,
				       "--machine", "m1", "--git", "g", "--name", "tls", "latest",
				       NULL };

		rc = itest_run(argv, NULL, RUN_MS, &out);
		assert_int_equal(rc, 0);
		assert_non_null(strstr(out, "https://"));
		free(out);
		free(tf);
	}
	itest_server_stop(&s3);
	free(url);
	free(tok);
	free(cert);
	free(key);
}

/* hvtest run --publish URL publishes the run it made, with $HOME's token. */
static void test_run_publish(void **state)
{
	char *home = tpath("home"), *cfg = hvt_asprintf("%s/.config/hvtest", home);
	char *tf = hvt_asprintf("%s/publish-token", cfg), *env_home = hvt_asprintf("HOME=%s", home);
	const char *env[] = { env_home, NULL };
	const char *argv[] = { itest_hvtest(), "run", "--module", module, "--results", results,
			       "--publish", srv.url, planfile, NULL };
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *runs;
	size_t before;
	char *out = NULL;
	int rc;

	itest_ok(hvt_mkdir_p(cfg, 0700, &err), &err);
	itest_ok(hvt_file_write(tf, tok_alice, strlen(tok_alice), &err), &err);
	runs = get_json("/api/v1/runs?user=alice");
	before = json_object_array_length(runs);
	json_object_put(runs);
	rc = itest_run(argv, env, RUN_MS, &out);
	assert_int_equal(rc, 1); /* the plan has a failing case */
	assert_non_null(strstr(out, srv.url));
	free(out);
	runs = get_json("/api/v1/runs?user=alice");
	assert_int_equal(json_object_array_length(runs), before + 1);
	json_object_put(runs);
	free(home);
	free(cfg);
	free(tf);
	free(env_home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_roundtrip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_artifact_isolation),
		cmocka_unit_test(test_browser),
		cmocka_unit_test(test_kill9),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_tls_private),
		cmocka_unit_test(test_run_publish),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
