// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The default guest's cache: where it lives, what it holds, and running
 * guest/build.sh to (re)build it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "guest.h"
#include "hvt-config.h"
#include "proc.h"

/* Building downloads nothing but packs a kernel, modules and tools. */
#define BUILD_TIMEOUT_MS (30 * 60 * 1000)
/* The live image downloads and installs a Debian system with X and Qt. */
#define LIVE_BUILD_TIMEOUT_MS (120 * 60 * 1000)
#define LOG_TAIL_LINES 15

const char *hvt_guest_dir(void)
{
	return hvt_env_guest_dir();
}

const char *hvt_guest_src(void)
{
	static __thread char buf[PATH_MAX];
	const char *env = hvt_env_guest_src();

	if (env) {
		snprintf(buf, sizeof(buf), "%s", env);
		return buf;
	}
	/* Run from the build tree: the source's guest/ is the one to use. */
	snprintf(buf, sizeof(buf), "%s/guest/build.sh", HVT_SRCDIR);
	if (hvt_path_exists(buf)) {
		snprintf(buf, sizeof(buf), "%s/guest", HVT_SRCDIR);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s/guest", HVT_DATADIR);
	return buf;
}

static int set_path(char *dst, size_t len, const char *dir, const char *file)
{
	return hvt_snprintf(dst, len, "%s/%s", dir, file) < 0 ? -ENAMETOOLONG : 0;
}

static int not_built(const char *dir, const char *missing, struct hvt_err *err)
{
	return hvt_err_set(err, -ENOENT,
			   "default guest not built in %s (no %s): run 'hvtest guest build'",
			   dir, missing);
}

/* The one-line kernel command line in path, without its trailing blanks, into buf. */
static int read_cmdline(const char *path, char *buf, size_t len, struct hvt_err *err)
{
	char *text = NULL;
	size_t n;
	int ret = hvt_file_read(path, &text, &n, err);

	if (ret)
		return ret;
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	if (n >= len) {
		free(text);
		return hvt_err_set(err, -E2BIG, "%s is %zu bytes, over the %zu allowed", path, n,
				   len - 1);
	}
	memcpy(buf, text, n + 1);
	free(text);
	return 0;
}

/* Copy the value of key=... from a manifest into buf (left empty if absent). */
static void manifest_get(const char *manifest, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	const char *line = manifest;

	buf[0] = '\0';
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n > klen && !strncmp(line, key, klen) && line[klen] == '=') {
			n -= klen + 1;
			if (n >= len)
				n = len - 1;
			memcpy(buf, line + klen + 1, n);
			buf[n] = '\0';
			return;
		}
		line = nl ? nl + 1 : NULL;
	}
}

int hvt_guest_locate(struct hvt_guest *g, struct hvt_err *err)
{
	const char *dir = hvt_guest_dir();
	char path[PATH_MAX];
	char *text = NULL;
	char kfile[64];
	int ret;

	memset(g, 0, sizeof(*g));
	if (hvt_snprintf(g->dir, sizeof(g->dir), "%s", dir) < 0 ||
	    set_path(g->initrd, sizeof(g->initrd), dir, "initrd.img") ||
	    set_path(g->tools, sizeof(g->tools), dir, "tools.img") ||
	    set_path(path, sizeof(path), dir, "manifest"))
		return hvt_err_set(err, -ENAMETOOLONG, "guest directory name too long: %s", dir);

	if (!hvt_path_exists(path))
		return not_built(dir, "manifest", err);
	ret = hvt_file_read(path, &text, NULL, err);
	if (ret)
		return ret;
	manifest_get(text, "kver", g->kver, sizeof(g->kver));
	/* the kernel file to boot: the uncompressed vmlinux when it could be made */
	manifest_get(text, "kernel", kfile, sizeof(kfile));
	free(text);
	if (!kfile[0] || strchr(kfile, '/'))
		hvt_snprintf(kfile, sizeof(kfile), "vmlinuz");
	if (set_path(g->kernel, sizeof(g->kernel), dir, kfile))
		return hvt_err_set(err, -ENAMETOOLONG, "guest directory name too long: %s", dir);

	if (!hvt_path_exists(g->kernel))
		return not_built(dir, kfile, err);
	if (!hvt_path_exists(g->initrd))
		return not_built(dir, "initrd.img", err);
	if (!hvt_path_exists(g->tools))
		g->tools[0] = '\0';

	set_path(path, sizeof(path), dir, "cmdline");
	if (!hvt_path_exists(path))
		return not_built(dir, "cmdline", err);
	return read_cmdline(path, g->append, sizeof(g->append), err);
}

/* Run the builder script with dir (and --force); its output to log. */
static int run_builder(const char *what, const char *script, const char *dir, bool force,
		       const char *log, int timeout_ms, struct hvt_err *err)
{
	const char *argv[] = { "bash", script, dir, force ? "--force" : NULL, NULL };
	struct hvt_proc_opts opts = {
		.argv = argv, .stdout_path = log, .stderr_path = log, .inherit_stdio = !log,
	};
	struct hvt_proc_status st;
	struct hvt_proc *p;
	char desc[128];
	int ret;

	if (!hvt_path_exists(script))
		return hvt_err_set(err, -ENOENT, "%s builder %s not found: set HVT_GUEST_SRC "
				   "to the directory holding build.sh", what, script);
	p = hvt_proc_spawn(&opts, err);
	if (!p)
		return err ? err->code : -ECHILD;
	ret = hvt_proc_wait(p, timeout_ms, &st);
	if (ret == -ETIMEDOUT) {
		hvt_proc_stop(p, 5000, &st);
		hvt_err_set(err, ret, "%s build did not finish within %d minutes (killed)", what,
			    timeout_ms / 60000);
		goto out_tail;
	}
	if (st.exited && st.code == 0)
		goto out_proc;
	ret = hvt_err_set(err, -ECHILD, "%s build failed: %s %s", what, script,
			  hvt_proc_status_str(&st, desc, sizeof(desc)));
out_tail:
	if (log) {
		char *tail = hvt_file_tail(log, LOG_TAIL_LINES);

		if (tail && *tail)
			hvt_err_append(err, "; last lines of %s:\n%s", log, tail);
		free(tail);
	}
out_proc:
	hvt_proc_free(p);
	return ret;
}

int hvt_guest_build(bool force, const char *log, struct hvt_err *err)
{
	char *script = hvt_asprintf("%s/build.sh", hvt_guest_src());
	int ret = run_builder("guest", script, hvt_guest_dir(), force, log, BUILD_TIMEOUT_MS, err);

	free(script);
	return ret;
}

const char *hvt_guest_live_dir(void)
{
	return hvt_env_live_dir();
}

int hvt_guest_live_build(bool force, const char *log, struct hvt_err *err)
{
	char *script = hvt_asprintf("%s/live/build.sh", hvt_guest_src());
	int ret = run_builder("live image", script, hvt_guest_live_dir(), force, log,
			      LIVE_BUILD_TIMEOUT_MS, err);

	free(script);
	return ret;
}

int hvt_guest_live_locate(struct hvt_guest_live *l, struct hvt_err *err)
{
	static const char *const files[] = { "stamp", "vmlinuz", "initrd.img", "live.iso" };
	const char *dir = hvt_guest_live_dir();
	char path[PATH_MAX];

	memset(l, 0, sizeof(*l));
	if (hvt_snprintf(l->dir, sizeof(l->dir), "%s", dir) < 0 ||
	    set_path(l->kernel, sizeof(l->kernel), dir, "vmlinuz") ||
	    set_path(l->initrd, sizeof(l->initrd), dir, "initrd.img") ||
	    set_path(l->iso, sizeof(l->iso), dir, "live.iso") ||
	    set_path(path, sizeof(path), dir, "cmdline"))
		return hvt_err_set(err, -ENAMETOOLONG, "live image directory name too long: %s",
				   dir);
	for (size_t i = 0; i < HVT_ARRAY_SIZE(files); i++) {
		char f[PATH_MAX];

		if (set_path(f, sizeof(f), dir, files[i]) || !hvt_path_exists(f))
			return hvt_err_set(err, -ENOENT, "live image not built in %s (no %s): "
					   "run 'hvtest guest build --live' as root", dir,
					   files[i]);
	}
	return read_cmdline(path, l->append, sizeof(l->append), err);
}
