// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Accelerator probe: boot a real kernel under KVM with the machines' own
 * machine type and CPU model and see it reach its root mount; TCG (once a
 * tiny firmware ran under it) when it does not. Verdicts cached per boot.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel.h"
#include "env.h"
#include "firmware.h"
#include "guest.h"
#include "proc.h"

#define DEFAULT_QEMU "qemu-system-x86_64"
#define DEFAULT_MACHINE "pc"
/* A kernel reaches its root mount in about 1 s under KVM, 3.5 s under TCG. */
#define KVM_TIMEOUT_MS 8000
#define TCG_TIMEOUT_MS 10000
#define VERSION_TIMEOUT_MS 10000
#define EXIT_PORT 0xf4
#define EXIT_CODE 0x42
#define EXIT_STATUS ((EXIT_CODE << 1) | 1)
#define CACHE_SIZE 16
#define CACHE_VERSION "1"
/* What a kernel without a root file system says last, under -no-reboot. */
#define PROGRESS_MARK "Unable to mount root fs"

/* The CPU models tried under KVM when the caller names none. */
static const char *const default_cpus[] = { "host", "qemu64" };

struct cache_entry {
	char *key;
	struct hvt_accel accel;
};

static struct cache_entry cache[CACHE_SIZE];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

const char *hvt_qemu_binary(void)
{
	static __thread char buf[PATH_MAX];
	const char *env = hvt_env_qemu();
	char *path;

	if (env)
		return env;
	path = hvt_which(DEFAULT_QEMU);
	snprintf(buf, sizeof(buf), "%s", path ? path : DEFAULT_QEMU);
	free(path);
	return buf;
}

static int check_binary(const char *qemu, struct hvt_err *err)
{
	char *path;

	if (!strchr(qemu, '/')) {
		path = hvt_which(qemu);
		if (!path)
			return hvt_err_set(err, -ENOENT,
					   "QEMU binary %s not found in PATH: install the "
					   "qemu-system-x86 package or set HVT_QEMU", qemu);
		free(path);
		return 0;
	}
	if (access(qemu, X_OK) < 0)
		return hvt_err_set(err, -errno,
				   "QEMU binary %s: %s: install the qemu-system-x86 "
				   "package or set HVT_QEMU", qemu, strerror(errno));
	return 0;
}

int hvt_qemu_version(const char *qemu, int *maj, int *min, int *mic, struct hvt_err *err)
{
	const char *argv[] = { qemu, "--version", NULL };
	int v[3] = { 0, 0, 0 };
	char *out = NULL, *p, *nl;
	int ret;

	ret = check_binary(qemu, err);
	if (ret)
		return ret;
	ret = hvt_proc_run(argv, VERSION_TIMEOUT_MS, &out, err);
	if (ret)
		goto out;
	p = strstr(out, "QEMU emulator version ");
	if (!p || sscanf(p + strlen("QEMU emulator version "), "%d.%d.%d",
			 &v[0], &v[1], &v[2]) < 2) {
		nl = strchr(out, '\n');
		if (nl)
			*nl = '\0';
		ret = hvt_err_set(err, -EPROTO,
				  "cannot tell the version of %s: '%s --version' printed '%s'",
				  qemu, qemu, out);
		goto out;
	}
	if (maj)
		*maj = v[0];
	if (min)
		*min = v[1];
	if (mic)
		*mic = v[2];
	if (v[0] < 6 || (v[0] == 6 && v[1] < 2))
		ret = hvt_err_set(err, -ENOTSUP,
				  "QEMU %d.%d.%d at %s is too old: hvtest needs 6.2 or later",
				  v[0], v[1], v[2], qemu);
out:
	free(out);
	return ret;
}

/* Copy the line starting at p (up to len - 1 bytes) into buf, without its newline. */
static void copy_line(char *buf, size_t len, const char *p)
{
	size_t n = strcspn(p, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	for (char *c = buf; *c; c++)
		if (iscntrl((unsigned char)*c))
			*c = '?';
}

/*
 * The stderr line that says most: the first naming an error or a failure,
 * else the first non-empty one, without QEMU's "program: " and "error: "
 * prefixes. False when there is none.
 */
static bool key_line(const char *text, char *buf, size_t len)
{
	const char *pick = NULL, *p, *colon;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *eol = p + strcspn(p, "\n");

		if (eol == p)
			continue;
		if (!pick)
			pick = p;
		for (const char *w = p; w + 5 < eol; w++) {
			if (!strncmp(w, "error", 5) || !strncmp(w, "failed", 6)) {
				pick = p;
				goto found;
			}
		}
	}
	if (!pick)
		return false;
found:
	/* "qemu-system-x86_64: error: failed to ..." -> "failed to ..." */
	colon = strstr(pick, ": ");
	if (colon && colon < pick + strcspn(pick, "\n") &&
	    !memchr(pick, ' ', (size_t)(colon - pick)))
		pick = colon + 2;
	if (!strncmp(pick, "error: ", 7))
		pick += 7;
	copy_line(buf, len, pick);
	return *buf != '\0';
}

/* The console's last non-empty line (kernel timestamp dropped). */
static bool last_line(const char *text, char *buf, size_t len)
{
	const char *end, *start;

	if (!text)
		return false;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	if (end == text)
		return false;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	if (*start == '[' && strchr(start, ']') && strchr(start, ']') < end) {
		start = strchr(start, ']') + 1;
		while (*start == ' ' && start < end)
			start++;
	}
	copy_line(buf, len < (size_t)(end - start) + 1 ? len : (size_t)(end - start) + 1, start);
	return *buf != '\0';
}

bool hvt_accel_judge(const struct hvt_accel_trial *t, char *why, size_t len)
{
	char line[256], desc[96];

	if (!t->timed_out && t->st.exited && t->console && strstr(t->console, PROGRESS_MARK))
		return true;
	if (t->timed_out) {
		if (last_line(t->console, line, sizeof(line)))
			snprintf(why, len, "no progress within %d ms; the kernel's last words: %s",
				 t->timeout_ms, line);
		else
			snprintf(why, len, "no progress within %d ms (not a line on the console)",
				 t->timeout_ms);
		return false;
	}
	if (!t->st.exited) {
		if (t->st.sig == SIGABRT)
			snprintf(desc, sizeof(desc), "QEMU aborted");
		else
			snprintf(desc, sizeof(desc), "QEMU was killed by signal %d", t->st.sig);
		if (key_line(t->stderr_text ? t->stderr_text : "", line, sizeof(line)))
			snprintf(why, len, "%s: %s", desc, line);
		else
			snprintf(why, len, "%s", desc);
		return false;
	}
	if (t->st.code != 0) {
		if (key_line(t->stderr_text ? t->stderr_text : "", line, sizeof(line)))
			snprintf(why, len, "QEMU exited with code %d: %s", t->st.code, line);
		else
			snprintf(why, len, "QEMU exited with code %d", t->st.code);
		return false;
	}
	if (last_line(t->console, line, sizeof(line)))
		snprintf(why, len, "the guest reset before its kernel got to its root file "
			 "system; last words: %s", line);
	else
		snprintf(why, len, "the guest reset before its kernel printed a line");
	return false;
}

static char *read_or_empty(const char *path)
{
	char *text;

	if (hvt_file_read(path, &text, NULL, NULL))
		return hvt_strdup("");
	return text;
}

/*
 * Boot kernel under KVM with cpu in dir. 0 and *ms when it got to its root
 * mount; -EAGAIN when it did not (why says how, *hung whether it hung);
 * other: QEMU could not be started (why says why).
 */
static int boot_kvm(const char *qemu, const char *machine, const char *cpu,
		    const struct hvt_guest *g, const char *kernel, const char *dir,
		    int timeout_ms, int64_t *ms, bool *hung, char *why, size_t whylen)
{
	char *con = hvt_asprintf("%s/console-%s.log", dir, cpu);
	char *errpath = hvt_asprintf("%s/kvm-%s.stderr", dir, cpu);
	char *chardev = hvt_asprintf("file,id=con,path=%s", con);
	char *append = hvt_asprintf("%s panic=-1", g ? g->append : "console=ttyS0 quiet");
	const char *argv[] = {
		qemu, "-accel", "kvm", "-machine", machine, "-cpu", cpu, "-m", "256",
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-kernel", kernel, "-append", append,
		"-chardev", chardev, "-serial", "chardev:con", NULL,
	};
	struct hvt_proc_opts opts = {
		.argv = argv, .stdout_path = errpath, .stderr_path = errpath,
	};
	struct hvt_accel_trial t = { .timeout_ms = timeout_ms };
	struct hvt_err err = HVT_ERR_INIT;
	int64_t t0 = hvt_now_ms();
	char *console = NULL, *stderr_text = NULL;
	struct hvt_proc *p;
	int ret;

	p = hvt_proc_spawn(&opts, &err);
	if (!p) {
		snprintf(why, whylen, "%.*s", (int)whylen - 1, err.msg);
		ret = err.code ? err.code : -EIO;
		goto out;
	}
	ret = hvt_proc_wait(p, timeout_ms, &t.st);
	*ms = hvt_now_ms() - t0;
	if (ret == -ETIMEDOUT) {
		t.timed_out = true;
		hvt_proc_stop(p, 0, NULL);
	}
	hvt_proc_free(p);
	t.console = console = read_or_empty(con);
	t.stderr_text = stderr_text = read_or_empty(errpath);
	*hung = t.timed_out;
	ret = hvt_accel_judge(&t, why, whylen) ? 0 : -EAGAIN;
out:
	free(stderr_text);
	free(console);
	free(append);
	free(chardev);
	free(errpath);
	free(con);
	return ret;
}

/* Run the isa-debug-exit firmware under TCG: 0 when it ran, else why. */
static int run_tcg(const char *qemu, const char *dir, char *why, size_t whylen)
{
	char *fw = hvt_asprintf("%s/fw.bin", dir);
	char *errpath = hvt_asprintf("%s/tcg.stderr", dir);
	const char *argv[] = {
		qemu, "-accel", "tcg", "-machine", "pc", "-nodefaults", "-no-user-config",
		"-display", "none", "-bios", fw,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=1", NULL,
	};
	struct hvt_proc_opts opts = {
		.argv = argv, .stdout_path = errpath, .stderr_path = errpath,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;
	char *text = NULL;
	struct hvt_proc *p;
	int ret;

	ret = hvt_fw_write_exit(fw, EXIT_PORT, EXIT_CODE, &err);
	if (ret) {
		snprintf(why, whylen, "%.*s", (int)whylen - 1, err.msg);
		goto out;
	}
	p = hvt_proc_spawn(&opts, &err);
	if (!p) {
		snprintf(why, whylen, "%.*s", (int)whylen - 1, err.msg);
		ret = err.code ? err.code : -EIO;
		goto out;
	}
	ret = hvt_proc_wait(p, TCG_TIMEOUT_MS, &st);
	if (ret == -ETIMEDOUT) {
		hvt_proc_stop(p, 0, NULL);
		snprintf(why, whylen, "TCG guest made no progress within %d ms",
			 TCG_TIMEOUT_MS);
	} else if (!(st.exited && st.code == EXIT_STATUS)) {
		char desc[96];

		ret = -ECHILD;
		text = read_or_empty(errpath);
		if (!key_line(text, why, whylen))
			snprintf(why, whylen, "%s %s", qemu,
				 hvt_proc_status_str(&st, desc, sizeof(desc)));
	}
	hvt_proc_free(p);
out:
	free(text);
	free(errpath);
	free(fw);
	return ret;
}

/* The kernel to boot: the caller's, the default guest's, else Debian's newest. */
static bool find_kernel(const char *want, struct hvt_guest *g, bool *is_guest, char *buf,
			size_t len)
{
	glob_t gl;

	*is_guest = false;
	if (want) {
		snprintf(buf, len, "%s", want);
		return access(buf, R_OK) == 0;
	}
	if (hvt_guest_locate(g, NULL) == 0 && access(g->kernel, R_OK) == 0) {
		snprintf(buf, len, "%s", g->kernel);
		*is_guest = true;
		return true;
	}
	if (glob("/boot/vmlinuz-*", 0, NULL, &gl))
		return false;
	for (size_t i = gl.gl_pathc; i-- > 0;) {
		if (access(gl.gl_pathv[i], R_OK) == 0) {
			snprintf(buf, len, "%s", gl.gl_pathv[i]);
			globfree(&gl);
			return true;
		}
	}
	globfree(&gl);
	return false;
}

/* What the verdict depends on, as one line; NULL when QEMU cannot be stat'ed. */
static char *cache_key(const char *qemu, const char *machine, const char *cpu)
{
	char boot[64] = "", *path, *key;
	struct stat st;
	char *text;

	if (!hvt_file_read("/proc/sys/kernel/random/boot_id", &text, NULL, NULL)) {
		copy_line(boot, sizeof(boot), text);
		free(text);
	}
	path = strchr(qemu, '/') ? realpath(qemu, NULL) : hvt_which(qemu);
	if (!path || stat(path, &st)) {
		free(path);
		return NULL;
	}
	key = hvt_asprintf("v" CACHE_VERSION " boot=%s qemu=%s size=%lld mtime=%lld.%09ld "
			   "kvm=%s machine=%s cpu=%s", boot, path, (long long)st.st_size,
			   (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			   hvt_env_kvm_device(), machine, cpu ? cpu : "(default)");
	free(path);
	return key;
}

/* FNV-1a: a file name for a key (the key itself is checked inside). */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

static char *cache_file(const char *key)
{
	return hvt_asprintf("%s/accel/%016llx", hvt_env_cache_dir(),
			    (unsigned long long)key_hash(key));
}

static bool mem_get(const char *key, struct hvt_accel *out)
{
	bool found = false;

	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SIZE && cache[i].key; i++) {
		if (!strcmp(cache[i].key, key)) {
			*out = cache[i].accel;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return found;
}

static void mem_put(const char *key, const struct hvt_accel *acc)
{
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SIZE; i++) {
		if (!cache[i].key)
			cache[i].key = hvt_strdup(key);
		if (!strcmp(cache[i].key, key)) {
			cache[i].accel = *acc;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
}

/* "name=value" from a cache file's text into buf; false when absent. */
static bool field(const char *text, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	for (const char *p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, name, n) && p[n] == '=') {
			copy_line(buf, len, p + n + 1);
			return true;
		}
	}
	return false;
}

static bool file_get(const char *key, struct hvt_accel *out)
{
	char *path = cache_file(key), *text = NULL;
	char stored[1024];
	bool ok = false;

	if (hvt_file_read(path, &text, NULL, NULL))
		goto out;
	memset(out, 0, sizeof(*out));
	ok = field(text, "key", stored, sizeof(stored)) && !strcmp(stored, key) &&
	     field(text, "name", out->name, sizeof(out->name)) &&
	     (!strcmp(out->name, "kvm") || !strcmp(out->name, "tcg")) &&
	     field(text, "cpu", out->cpu, sizeof(out->cpu)) && out->cpu[0] &&
	     field(text, "reason", out->reason, sizeof(out->reason));
out:
	free(text);
	free(path);
	return ok;
}

/* Best effort: a cache that cannot be written only costs a probe. */
static void file_put(const char *key, const struct hvt_accel *acc)
{
	char *path = cache_file(key);
	char *dir = hvt_asprintf("%s/accel", hvt_env_cache_dir());
	char *tmp = hvt_asprintf("%s.%d.tmp", path, (int)getpid());
	char *text = hvt_asprintf("key=%s\nname=%s\ncpu=%s\nreason=%s\n", key, acc->name,
				  acc->cpu, acc->reason);

	if (!hvt_mkdir_p(dir, 0755, NULL) &&
	    !hvt_file_write(tmp, text, strlen(text), NULL) && rename(tmp, path))
		unlink(tmp);
	free(text);
	free(tmp);
	free(dir);
	free(path);
}

static void set_accel(struct hvt_accel *out, const char *name, const char *cpu,
		      const char *fmt, ...) HVT_PRINTF(4, 5);

static void set_accel(struct hvt_accel *out, const char *name, const char *cpu,
		      const char *fmt, ...)
{
	va_list ap;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->cpu, sizeof(out->cpu), "%s", cpu);
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

int hvt_qemu_check(const char *qemu, struct hvt_err *err)
{
	static char *checked[CACHE_SIZE];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int ret;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < CACHE_SIZE && checked[i]; i++) {
		if (!strcmp(checked[i], qemu)) {
			pthread_mutex_unlock(&lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&lock);
	ret = hvt_qemu_version(qemu, NULL, NULL, NULL, err);
	if (ret)
		return ret;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < CACHE_SIZE; i++) {
		if (!checked[i]) {
			checked[i] = hvt_strdup(qemu);
			break;
		}
		if (!strcmp(checked[i], qemu))
			break;
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

/*
 * Boot the kernel under KVM with each CPU model in turn. 0: acc says KVM;
 * -EAGAIN: KVM unusable, why says why; other: could not probe.
 */
static int prove_kvm(const struct hvt_accel_opts *o, const char *qemu, const char *machine,
		     const char *dir, struct hvt_accel *acc, char *why, size_t whylen)
{
	const char *const *cpus = o->cpu ? &o->cpu : default_cpus;
	size_t ncpus = o->cpu ? 1 : HVT_ARRAY_SIZE(default_cpus);
	int timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : KVM_TIMEOUT_MS;
	struct hvt_buf reasons = HVT_BUF_INIT;
	char kernel[PATH_MAX], one[384];
	struct hvt_guest g;
	bool is_guest, hung = false;
	int64_t ms = 0;
	int ret = -EAGAIN;
	int fd;

	fd = open(hvt_env_kvm_device(), O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", hvt_env_kvm_device(), strerror(errno));
		return -EAGAIN;
	}
	close(fd);
	if (!find_kernel(o->kernel, &g, &is_guest, kernel, sizeof(kernel))) {
		snprintf(why, whylen, "no kernel to prove it with (%s): build the default "
			 "guest or install linux-image-amd64",
			 o->kernel ? o->kernel : "no guest, no /boot/vmlinuz-*");
		return -ENOENT;
	}
	for (size_t i = 0; i < ncpus && !hung; i++) {
		ret = boot_kvm(qemu, machine, cpus[i], is_guest ? &g : NULL, kernel, dir,
			       timeout_ms, &ms, &hung, one, sizeof(one));
		if (ret == 0) {
			set_accel(acc, "kvm", cpus[i], "KVM runs a guest kernel with -cpu %s "
				  "(%lld ms)%s%.*s", cpus[i], (long long)ms,
				  reasons.len ? "; " : "", (int)reasons.len,
				  reasons.p ? reasons.p : "");
			break;
		}
		hvt_buf_addf(&reasons, "%s-cpu %s: %s", reasons.len ? "; " : "", cpus[i], one);
		if (ret != -EAGAIN)
			break;
	}
	if (ret)
		snprintf(why, whylen, "%.*s", (int)reasons.len, reasons.p ? reasons.p : "");
	hvt_buf_release(&reasons);
	return ret;
}

int hvt_accel_probe(const struct hvt_accel_opts *opts, struct hvt_accel *out,
		    struct hvt_err *err)
{
	static const struct hvt_accel_opts defaults;
	const struct hvt_accel_opts *o = opts ? opts : &defaults;
	const char *qemu = o->qemu ? o->qemu : hvt_qemu_binary();
	const char *machine = o->machine ? o->machine : DEFAULT_MACHINE;
	const char *forced = hvt_env_accel();
	char why[384], tcg_why[256];
	struct hvt_accel acc;
	int64_t t0 = hvt_now_ms();
	char *key, *dir;
	bool cacheable = true;
	int ret;

	if (forced && strcmp(forced, "kvm") && strcmp(forced, "tcg"))
		return hvt_err_set(err, -EINVAL, "HVT_ACCEL=%s: expected kvm or tcg", forced);
	/*
	 * A verdict is only kept for a binary that passed the version check,
	 * and its key holds the binary's size and mtime: a cached one needs
	 * no check (which costs a QEMU start).
	 */
	key = forced ? NULL : cache_key(qemu, machine, o->cpu);
	if (key && !o->refresh && (mem_get(key, out) || file_get(key, out))) {
		out->cached = true;
		out->probe_ms = 0;
		mem_put(key, out);
		free(key);
		return 0;
	}
	ret = hvt_qemu_check(qemu, err);
	if (ret)
		goto out_key;
	if (forced) {
		set_accel(out, forced, o->cpu ? o->cpu : !strcmp(forced, "kvm") ? "host" : "max",
			  "forced by HVT_ACCEL=%s", forced);
		return 0;
	}

	dir = hvt_asprintf("%s/hvt-probe-XXXXXX", hvt_env_workdir());
	if (!mkdtemp(dir)) {
		ret = hvt_err_set(err, -errno, "cannot create a directory like %s: %s", dir,
				  strerror(errno));
		goto out_free;
	}
	ret = prove_kvm(o, qemu, machine, dir, &acc, why, sizeof(why));
	if (ret == 0)
		goto out_done;
	if (ret == -ENOENT)
		cacheable = false;	/* prove it once a kernel is there */
	ret = run_tcg(qemu, dir, tcg_why, sizeof(tcg_why));
	if (ret) {
		ret = hvt_err_set(err, ret, "%s cannot run a guest: %s", qemu, tcg_why);
		goto out_rm;
	}
	set_accel(&acc, "tcg", o->cpu ? o->cpu : "max", "KVM unusable: %s", why);
out_done:
	acc.probe_ms = hvt_now_ms() - t0;
	if (key) {
		mem_put(key, &acc);
		if (cacheable)
			file_put(key, &acc);
	}
	*out = acc;
	ret = 0;
out_rm:
	if (!hvt_env_keep())
		hvt_rm_rf(dir);
out_free:
	free(dir);
out_key:
	free(key);
	return ret;
}
