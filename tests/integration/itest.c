// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers shared by the integration tests (see itest.h).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

int itest_require_guest(void)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_guest g;
	char *qemu = hvt_which(hvt_qemu_binary());

	if (!qemu) {
		fprintf(stderr, "SKIP: %s not found\n", hvt_qemu_binary());
		return -1;
	}
	free(qemu);
	if (hvt_guest_locate(&g, &err)) {
		fprintf(stderr, "SKIP: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int itest_missing_is_failure(void)
{
	const char *v = getenv("HVT_REQUIRE_GUEST");

	return v && !strcmp(v, "1") ? -1 : 0;
}

/* Whether prog is on the PATH; says so on stderr when it is not. */
static bool have_prog(const struct itest_group *g, const char *prog)
{
	char *path = hvt_which(prog);
	bool found = path != NULL;

	if (!found)
		fprintf(stderr, "SKIP: %s not found%s%s%s\n", prog, g->hint ? " (" : "",
			g->hint ? g->hint : "", g->hint ? ")" : "");
	free(path);
	return found;
}

int itest_group_setup(struct itest_group *g, void **state)
{
	const char *src = getenv("HVT_SRCDIR");

	*state = g;
	snprintf(g->tmpdir, sizeof(g->tmpdir), "/tmp/%s-XXXXXX", g->name);
	if (!mkdtemp(g->tmpdir)) {
		g->tmpdir[0] = '\0';
		return -1;
	}
	if (g->mode && chmod(g->tmpdir, g->mode))
		return -1;
	snprintf(g->src, sizeof(g->src), "%s", src ? src : ".");
	if (g->plan)
		snprintf(g->plan_path, sizeof(g->plan_path), "%s/%s", g->src, g->plan);
	g->have_progs = !g->qemu || have_prog(g, hvt_qemu_binary());
	for (size_t i = 0; g->progs && g->progs[i]; i++)
		g->have_progs &= have_prog(g, g->progs[i]);
	if (!g->have_progs)
		return itest_missing_is_failure();
	if (!g->guest)
		return 0;
	if (itest_require_guest())
		return itest_missing_is_failure();
	g->have_guest = true;
	return 0;
}

int itest_group_teardown(void **state)
{
	struct itest_group *g = *state;

	if (g && g->tmpdir[0])
		hvt_rm_rf(g->tmpdir);
	return 0;
}

void itest_config(struct hvt_vm_config *cfg, const char *name, const char *const *devices)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = name;
	cfg->devices = devices;
}

struct hvt_vm *itest_boot(const struct hvt_vm_config *cfg)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm *vm = hvt_vm_new(cfg, &err);

	if (!vm)
		fail_msg("hvt_vm_new(%s): %s", cfg->name, err.msg);
	if (hvt_vm_start(vm, &err) || hvt_vm_wait_agent(vm, ITEST_BOOT_MS, &err)) {
		char *tail = hvt_vm_console_tail(vm, 20);

		fprintf(stderr, "console of %s:\n%s\n", cfg->name, tail ? tail : "(none)");
		free(tail);
		hvt_vm_free(vm);
		fail_msg("boot of %s: %s", cfg->name, err.msg);
	}
	return vm;
}

char *itest_sh(struct hvt_vm *vm, const char *cmd)
{
	struct hvt_qga_exec_result res = { 0 };
	struct hvt_err err = HVT_ERR_INIT;
	char *out;

	if (hvt_vm_sh(vm, cmd, 120000, &res, &err))
		fail_msg("guest '%s': %s", cmd, err.msg);
	if (res.exit_code || res.signal)
		fail_msg("guest '%s' exited %d (signal %d): %s", cmd, res.exit_code, res.signal,
			 res.err);
	out = res.out;
	res.out = NULL;
	hvt_qga_exec_result_release(&res);
	return out;
}

const char *itest_hvtest(void)
{
	static char path[4096];
	const char *b = getenv("HVT_BUILDDIR");

	snprintf(path, sizeof(path), "%s/src/cli/hvtest", b ? b : ".");
	return path;
}

int itest_run(const char *const *argv, const char *const *env, int timeout_ms, char **out)
{
	struct hvt_err err = HVT_ERR_INIT;
	char tmpl[] = "/tmp/hvt-itest-out-XXXXXX";
	struct hvt_proc_opts o = { .argv = argv, .env = env };
	struct hvt_proc_status st;
	struct hvt_proc *p;
	int fd = mkstemp(tmpl);

	if (fd < 0)
		fail_msg("mkstemp: %s", strerror(errno));
	close(fd);
	o.stdout_path = o.stderr_path = tmpl;
	p = hvt_proc_spawn(&o, &err);
	if (!p)
		fail_msg("spawn %s: %s", argv[0], err.msg);
	if (hvt_proc_wait(p, timeout_ms, &st)) {
		hvt_proc_free(p);
		unlink(tmpl);
		fail_msg("%s %s did not finish within %d ms", argv[0], argv[1] ? argv[1] : "",
			 timeout_ms);
	}
	hvt_proc_free(p);
	if (hvt_file_read(tmpl, out, NULL, &err))
		fail_msg("%s", err.msg);
	unlink(tmpl);
	/*
	 * A sanitizer's report fails the test whatever the exit status: on
	 * a failure path (exit 1) LeakSanitizer's leaks would go unseen.
	 */
	if (strstr(*out, "LeakSanitizer") || strstr(*out, "AddressSanitizer") ||
	    strstr(*out, "runtime error: "))
		fail_msg("%s %s: the sanitizers found a defect:\n%s", argv[0],
			 argv[1] ? argv[1] : "", *out);
	return st.exited ? st.code : 128 + st.sig;
}

int itest_count_procs(const char *prog, const char *needle)
{
	return itest_find_procs(prog, needle, NULL);
}

int itest_find_procs(const char *prog, const char *needle, pid_t *first)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[300], *data = NULL;
		size_t len;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if (hvt_file_read(path, &data, &len, NULL))
			continue;
		/* argv items are NUL-separated: join them for the search */
		for (size_t i = 0; i + 1 < len; i++)
			if (!data[i])
				data[i] = ' ';
		if (strstr(data, prog) && strstr(data, needle)) {
			char st[300], *stat = NULL;

			/* a zombie is not a live process */
			snprintf(st, sizeof(st), "/proc/%s/stat", de->d_name);
			if (!hvt_file_read(st, &stat, NULL, NULL)) {
				char *p = strrchr(stat, ')');

				if (!(p && p[1] == ' ' && p[2] == 'Z') && !n++ && first)
					*first = (pid_t)atoi(de->d_name);
				free(stat);
			}
		}
		free(data);
	}
	closedir(d);
	return n;
}

int itest_count_qemu(const char *needle)
{
	return itest_count_procs("qemu-system", needle);
}

struct json_object *itest_case_named(struct json_object *cases, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);

		if (!strcmp(hvt_json_get_str(c, "name"), name))
			return c;
	}
	fail_msg("no case %s", name);
	return NULL;
}

int itest_wait_no_qemu(const char *needle, int ms)
{
	int64_t deadline = hvt_now_ms() + ms;
	int n;

	while ((n = itest_count_qemu(needle)) > 0 && hvt_ms_left(deadline))
		usleep(20000);
	return n;
}

struct json_object *itest_results_latest(const char *results)
{
	const char *show[] = { itest_hvtest(), "results", "--results", results, "show",
			       "latest", "--json", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc;
	char *json = NULL;
	int rc = itest_run(show, NULL, 60000, &json);

	doc = rc == 0 ? hvt_json_parse(json, &err) : NULL;
	if (!doc)
		fail_msg("results show: exit %d, %s:\n%s", rc, err.msg, json);
	free(json);
	return doc;
}

struct json_object *itest_find_case(struct json_object *cases, const char *shortname)
{
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);

		if (!strcmp(hvt_json_get_str(c, "shortname"), shortname))
			return c;
	}
	fail_msg("no case %s", shortname);
	return NULL;
}

bool itest_has_check(struct json_object *c, const char *name, const char *status)
{
	struct json_object *checks = hvt_json_get(c, "checks");

	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		struct json_object *k = json_object_array_get_idx(checks, i);

		if (!strcmp(hvt_json_get_str(k, "name"), name) &&
		    !strcmp(hvt_json_get_str(k, "status"), status))
			return true;
	}
	return false;
}

char *itest_browser_dom(const char *profile, const char *url)
{
	char *dir = hvt_asprintf("--user-data-dir=%s", profile);
	const char *argv[] = { "chromium", "--headless", "--no-sandbox", "--disable-gpu",
			       "--no-first-run", dir, "--dump-dom", url, NULL };
	char *out = NULL;
	int rc = itest_run(argv, NULL, 180000, &out);

	if (rc)
		fail_msg("chromium --dump-dom %s: exit %d:\n%s", url, rc, out);
	free(dir);
	return out;
}

bool itest_have_chromium(void)
{
	char *p = hvt_which("chromium");

	free(p);
	if (!p)
		print_message("SKIP: no chromium (apt-get install chromium)\n");
	return p != NULL;
}

void itest_server_start(struct itest_server *s, const char *tmpdir, const char *name,
			const char *const *extra)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;
	struct hvt_proc_opts o = { 0 };
	int64_t deadline = hvt_deadline_after(ITEST_SERVER_START_MS);
	char *url = NULL;

	snprintf(s->dir, sizeof(s->dir), "%s/%s", tmpdir, name);
	snprintf(s->log, sizeof(s->log), "%s/%s.log", tmpdir, name);
	snprintf(s->urlfile, sizeof(s->urlfile), "%s/%s.url", tmpdir, name);
	unlink(s->urlfile);
	hvt_strv_pushv(&argv, (const char *const[]){ itest_hvtest(), "serve", "--store", s->dir,
						       "--listen", "127.0.0.1:0", "--url-file",
						       s->urlfile, NULL });
	if (extra)
		hvt_strv_pushv(&argv, extra);
	o.argv = (const char *const *)argv.v;
	o.stdout_path = o.stderr_path = s->log;
	s->p = hvt_proc_spawn(&o, &err);
	hvt_strv_release(&argv);
	if (!s->p)
		fail_msg("hvtest serve: %s", err.msg);
	while (hvt_file_read(s->urlfile, &url, NULL, NULL)) {
		if (hvt_proc_poll(s->p, &st) == 1) {
			char *log = hvt_file_tail(s->log, 20);

			fail_msg("hvtest serve ended before listening:\n%s", log ? log : "");
		}
		if (hvt_ms_left(deadline) <= 0)
			fail_msg("hvtest serve did not listen within %d ms", ITEST_SERVER_START_MS);
		usleep(20000);
	}
	url[strcspn(url, "\n")] = '\0';
	snprintf(s->url, sizeof(s->url), "%s", url);
	free(url);
}

static void check_log_clean(const struct itest_server *s)
{
	char *log = NULL;

	if (hvt_file_read(s->log, &log, NULL, NULL))
		return;
	if (strstr(log, "Sanitizer") || strstr(log, "runtime error: "))
		fail_msg("hvtest serve: the sanitizers found a defect:\n%s", log);
	free(log);
}

void itest_server_stop(struct itest_server *s)
{
	struct hvt_proc_status st;
	char buf[128];

	if (!s->p)
		return;
	hvt_proc_signal(s->p, SIGTERM);
	if (hvt_proc_wait(s->p, 30000, &st))
		fail_msg("hvtest serve did not stop on SIGTERM");
	hvt_proc_free(s->p);
	s->p = NULL;
	if (!st.exited || st.code)
		fail_msg("hvtest serve %s", hvt_proc_status_str(&st, buf, sizeof(buf)));
	check_log_clean(s);
}

int itest_count_metric(struct json_object *c, const char *name)
{
	struct json_object *metrics = hvt_json_get(c, "metrics");
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(metrics); i++)
		n += !strcmp(hvt_json_get_str(json_object_array_get_idx(metrics, i), "name"),
			     name);
	return n;
}

struct json_object *itest_run_results(const char *const *argv, const char *const *env,
				      int timeout_ms, const char *results, char **out)
{
	int rc = itest_run(argv, env, timeout_ms, out);

	if (rc != 0)
		fail_msg("hvtest run: exit %d:\n%s", rc, *out);
	return itest_results_latest(results);
}

size_t itest_count_str(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}
