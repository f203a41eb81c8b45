// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Accelerator probe: boot a 64 KiB firmware that pokes isa-debug-exit and
 * see whether QEMU exits with its code under KVM, else under TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "firmware.h"
#include "proc.h"

#define DEFAULT_QEMU "qemu-system-x86_64"
#define DEFAULT_TIMEOUT_MS 3000
/* TCG failing is fatal, so it gets more time than the KVM probe. */
#define TCG_TIMEOUT_MS 10000
#define VERSION_TIMEOUT_MS 10000
#define EXIT_PORT 0xf4
#define EXIT_CODE 0x42
#define EXIT_STATUS ((EXIT_CODE << 1) | 1)
#define CACHE_SIZE 8

struct cache_entry {
	char *qemu;
	struct hvt_accel accel;
};

static struct cache_entry cache[CACHE_SIZE];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

const char *hvt_qemu_binary(void)
{
	static __thread char buf[PATH_MAX];
	const char *env = getenv("HVT_QEMU");
	char *path;

	if (env && *env)
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

/* First non-empty line of a file into buf; false if there is none. */
static bool first_line(const char *path, char *buf, size_t len)
{
	char *data, *p, *nl;

	if (hvt_file_read(path, &data, NULL, NULL))
		return false;
	p = data + strspn(data, "\n");
	nl = strchr(p, '\n');
	if (nl)
		*nl = '\0';
	snprintf(buf, len, "%s", p);
	free(data);
	return *buf != '\0';
}

/*
 * Boot the exit firmware under accel. 0: the guest ran (*elapsed_ms set),
 * -ETIMEDOUT: no exit within timeout_ms (QEMU killed), other: QEMU failed
 * and why says how (its first stderr line).
 */
static int try_accel(const char *qemu, const char *accel, const char *dir, int timeout_ms,
		     int64_t *elapsed_ms, char *why, size_t whylen)
{
	char *fw = hvt_asprintf("%s/fw.bin", dir);
	char *errpath = hvt_asprintf("%s/%s.stderr", dir, accel);
	const char *argv[] = {
		qemu, "-accel", accel, "-machine", "pc", "-nodefaults", "-no-user-config",
		"-display", "none", "-bios", fw,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=1", NULL,
	};
	struct hvt_proc_opts opts = {
		.argv = argv, .stdout_path = errpath, .stderr_path = errpath,
	};
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_proc_status st;
	struct hvt_proc *p;
	int64_t t0 = hvt_now_ms();
	int ret;

	p = hvt_proc_spawn(&opts, &err);
	if (!p) {
		snprintf(why, whylen, "%.*s", (int)whylen - 1, err.msg);
		ret = err.code;
		goto out;
	}
	ret = hvt_proc_wait(p, timeout_ms, &st);
	*elapsed_ms = hvt_now_ms() - t0;
	if (ret == -ETIMEDOUT) {
		hvt_proc_stop(p, 0, NULL);
		goto out_proc;
	}
	if (st.exited && st.code == EXIT_STATUS)
		goto out_proc;
	ret = -ECHILD;
	if (!first_line(errpath, why, whylen)) {
		char desc[128];

		snprintf(why, whylen, "%s %s", qemu,
			 hvt_proc_status_str(&st, desc, sizeof(desc)));
	}
out_proc:
	hvt_proc_free(p);
out:
	free(errpath);
	free(fw);
	return ret;
}

static bool cache_get(const char *qemu, struct hvt_accel *out)
{
	bool found = false;

	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SIZE && cache[i].qemu; i++) {
		if (!strcmp(cache[i].qemu, qemu)) {
			*out = cache[i].accel;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return found;
}

static void cache_put(const char *qemu, const struct hvt_accel *acc)
{
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SIZE; i++) {
		if (!cache[i].qemu) {
			cache[i].qemu = hvt_strdup(qemu);
			cache[i].accel = *acc;
			break;
		}
		if (!strcmp(cache[i].qemu, qemu))
			break;
	}
	pthread_mutex_unlock(&cache_lock);
}

static void set_accel(struct hvt_accel *out, const char *name, const char *fmt, ...)
	HVT_PRINTF(3, 4);

static void set_accel(struct hvt_accel *out, const char *name, const char *fmt, ...)
{
	va_list ap;

	snprintf(out->name, sizeof(out->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

int hvt_accel_probe(const char *qemu, int timeout_ms, struct hvt_accel *out,
		    struct hvt_err *err)
{
	const char *forced = getenv("HVT_ACCEL");
	const char *tmp = getenv("TMPDIR");
	char kvm_reason[sizeof(out->reason)];
	char why[sizeof(out->reason)];
	struct hvt_accel acc;
	int64_t ms = 0;
	char *dir, *fw;
	int fd, ret;

	if (forced && *forced) {
		if (strcmp(forced, "kvm") && strcmp(forced, "tcg"))
			return hvt_err_set(err, -EINVAL,
					   "HVT_ACCEL=%s: expected kvm or tcg", forced);
		set_accel(out, forced, "forced by HVT_ACCEL=%s", forced);
		return 0;
	}
	if (!qemu)
		qemu = hvt_qemu_binary();
	if (timeout_ms <= 0)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	if (cache_get(qemu, out))
		return 0;

	ret = hvt_qemu_version(qemu, NULL, NULL, NULL, err);
	if (ret)
		return ret;

	dir = hvt_asprintf("%s/hvt-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		ret = hvt_err_set(err, -errno, "cannot create a directory like %s: %s",
				  dir, strerror(errno));
		goto out_free;
	}
	fw = hvt_asprintf("%s/fw.bin", dir);
	ret = hvt_fw_write_exit(fw, EXIT_PORT, EXIT_CODE, err);
	free(fw);
	if (ret)
		goto out_rm;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(kvm_reason, sizeof(kvm_reason), "/dev/kvm: %s", strerror(errno));
	} else {
		close(fd);
		ret = try_accel(qemu, "kvm", dir, timeout_ms, &ms, why, sizeof(why));
		if (ret == 0) {
			set_accel(&acc, "kvm", "KVM guest made progress in %lld ms",
				  (long long)ms);
			goto out_cache;
		}
		if (ret == -ETIMEDOUT)
			snprintf(kvm_reason, sizeof(kvm_reason),
				 "KVM guest made no progress within %d ms; "
				 "/dev/kvm opens but guests hang", timeout_ms);
		else
			snprintf(kvm_reason, sizeof(kvm_reason), "%s", why);
	}

	if (timeout_ms < TCG_TIMEOUT_MS)
		timeout_ms = TCG_TIMEOUT_MS;
	ret = try_accel(qemu, "tcg", dir, timeout_ms, &ms, why, sizeof(why));
	if (ret == -ETIMEDOUT) {
		ret = hvt_err_set(err, ret, "%s cannot run a guest: TCG guest made no "
				  "progress within %d ms", qemu, timeout_ms);
		goto out_rm;
	}
	if (ret) {
		ret = hvt_err_set(err, ret, "%s cannot run a guest: %s", qemu, why);
		goto out_rm;
	}
	set_accel(&acc, "tcg", "%s", kvm_reason);
out_cache:
	cache_put(qemu, &acc);
	*out = acc;
	ret = 0;
out_rm:
	hvt_rm_rf(dir);
out_free:
	free(dir);
	return ret;
}
