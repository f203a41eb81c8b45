// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Private libvirt daemons (libvirtd.h): a directory tree per daemon, its
 * configuration, the launcher's process in a PID namespace, the client
 * connection and what lives in the namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "env.h"
#include "launch.h"
#include "libvirtd.h"
#include "sock.h"

#define SOCK "run/libvirt/libvirt-sock"
#define STDERR_LOG "libvirtd.stderr"
#define DAEMON_LOG "libvirtd.log"
#define STOP_MS 15000
#define TAIL_LINES 15
/* How often a wait for the socket looks at the process. */
#define WATCH_MS 20

struct hvt_libvirtd {
	char *name, *dir, *uri, *prefix;
	char host_uuid[37];
	uid_t uid;
	gid_t gid;
	struct hvt_launch *launch;
	virConnectPtr conn;
	int cb_agent, cb_life;	/* event callback ids, or -1 */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long events;	/* domain events seen on conn */
};

/* ---- errors ---- */

int hvt_virt_last_code(void)
{
	virErrorPtr e = virGetLastError();

	return e ? e->code : 0;
}

int hvt_virt_err(struct hvt_err *err, int code, const char *what)
{
	virErrorPtr e = virGetLastError();

	if (e && e->message)
		return hvt_err_set(err, code, "%s: %s (libvirt error %d)", what, e->message,
				   e->code);
	return hvt_err_set(err, code, "%s failed (no libvirt error)", what);
}

/* ---- the event loop ---- */

static pthread_once_t events_once = PTHREAD_ONCE_INIT;
static int events_rc;

static void *event_loop(void *arg)
{
	(void)arg;
	for (;;)
		virEventRunDefaultImpl();
	return NULL;
}

/* libvirt prints every error on stderr unless told otherwise: errors are returned here. */
static void quiet(void *arg, virErrorPtr e)
{
	(void)arg, (void)e;
}

static void events_init(void)
{
	pthread_t t;

	virSetErrorFunc(NULL, quiet);
	if (virEventRegisterDefaultImpl() < 0) {
		events_rc = -EIO;
		return;
	}
	events_rc = -pthread_create(&t, NULL, event_loop, NULL);
	if (!events_rc)
		pthread_detach(t);
}

int hvt_virt_events_start(struct hvt_err *err)
{
	pthread_once(&events_once, events_init);
	if (events_rc)
		return hvt_err_set(err, events_rc, "cannot start libvirt's event loop: %s",
				   strerror(-events_rc));
	return 0;
}

/* ---- accessors ---- */

virConnectPtr hvt_libvirtd_conn(struct hvt_libvirtd *d)
{
	return d->conn;
}

const char *hvt_libvirtd_uri(const struct hvt_libvirtd *d)
{
	return d->uri;
}

const char *hvt_libvirtd_name(const struct hvt_libvirtd *d)
{
	return d->name;
}

const char *hvt_libvirtd_dir(const struct hvt_libvirtd *d)
{
	return d->dir;
}

const char *hvt_libvirtd_host_uuid(const struct hvt_libvirtd *d)
{
	return d->host_uuid;
}

/* ---- the directory and the configuration ---- */

int hvt_virt_uuid(char out[37], struct hvt_err *err)
{
	unsigned char b[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(b))
		return hvt_err_set(err, -EIO, "cannot read /dev/urandom for a host UUID");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
	return 0;
}

static int make_dir(struct hvt_libvirtd *d, const char *sub, struct hvt_err *err)
{
	char *p = sub ? hvt_asprintf("%s/%s", d->dir, sub) : hvt_strdup(d->dir);
	int ret = 0;

	if (mkdir(p, 0700) && errno != EEXIST)
		ret = hvt_err_set(err, -errno, "%s daemon: cannot create %s: %s", d->name, p,
				  strerror(errno));
	else if (chown(p, d->uid, d->gid))
		ret = hvt_err_set(err, -errno, "%s daemon: cannot give %s to uid %d: %s",
				  d->name, p, (int)d->uid, strerror(errno));
	free(p);
	return ret;
}

static int write_conf(struct hvt_libvirtd *d, const char *file, const char *text,
		      struct hvt_err *err)
{
	char *p = hvt_asprintf("%s/config/libvirt/%s", d->dir, file);
	int ret = hvt_file_write(p, text, strlen(text), err);

	if (!ret && chown(p, d->uid, d->gid))
		ret = hvt_err_set(err, -errno, "cannot give %s to uid %d: %s", p, (int)d->uid,
				  strerror(errno));
	free(p);
	return ret;
}

static int write_config(struct hvt_libvirtd *d, const struct hvt_libvirtd_opts *o,
			struct hvt_err *err)
{
	int pmin = o->port_min ? o->port_min : 49152;
	int pmax = o->port_max ? o->port_max : pmin + 63;
	char *conf, *qemu;
	int ret;

	if (pmin < 1024 || pmax > 65535 || pmax < pmin)
		return hvt_err_set(err, -EINVAL, "%s daemon: bad migration port range %d-%d",
				   d->name, pmin, pmax);
	/*
	 * libvirt refuses a migration between daemons with the same host
	 * UUID ("same host"). The API entry points are logged (debug) so
	 * that the protocol a migration used can be read back.
	 */
	conf = hvt_asprintf("host_uuid = \"%s\"\n"
			    "log_level = 3\n"
			    "log_filters = \"1:libvirt\"\n"
			    "log_outputs = \"1:file:%s/%s\"\n",
			    d->host_uuid, d->dir, DAEMON_LOG);
	/*
	 * stdio to files (no virtlogd); migrations over 127.0.0.2 (libvirt
	 * refuses a loopback name it would resolve to "localhost").
	 */
	qemu = hvt_asprintf("stdio_handler = \"file\"\n"
			    "migration_host = \"127.0.0.2\"\n"
			    "migration_address = \"127.0.0.2\"\n"
			    "migration_port_min = %d\n"
			    "migration_port_max = %d\n",
			    pmin, pmax);
	ret = write_conf(d, "libvirtd.conf", conf, err);
	if (!ret)
		ret = write_conf(d, "qemu.conf", qemu, err);
	free(conf);
	free(qemu);
	return ret;
}

static void release(struct hvt_libvirtd *d)
{
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d->name);
	free(d->dir);
	free(d->uri);
	free(d->prefix);
	free(d);
}

static void build_argv(struct hvt_libvirtd *d, const char *user, const char *group)
{
	struct hvt_strv *sv = hvt_launch_argv(d->launch);
	char *bin = d->prefix ? hvt_asprintf("%s/sbin/libvirtd", d->prefix) :
		hvt_strdup("libvirtd");

	/*
	 * A PID namespace whose init (tini, which reaps the QEMUs libvirt
	 * daemonizes) is killed when unshare dies; unshare dies with hvtest
	 * (death signal): the kernel then kills everything in the namespace,
	 * QEMUs included. /proc is the namespace's, as libvirt expects.
	 */
	hvt_strv_pushv(sv, (const char *const[]){ "unshare", "--pid", "--mount", "--fork",
						   "--kill-child=SIGKILL", "--mount-proc",
						   "--", "tini", "--", NULL });
	hvt_strv_pushf(sv, "setpriv");
	hvt_strv_pushf(sv, "--reuid=%s", user);
	hvt_strv_pushf(sv, "--regid=%s", group);
	hvt_strv_pushv(sv, (const char *const[]){ "--clear-groups", "--", "env", "-i", NULL });
	hvt_strv_pushf(sv, "HOME=%s", d->dir);
	hvt_strv_pushf(sv, "XDG_CONFIG_HOME=%s/config", d->dir);
	hvt_strv_pushf(sv, "XDG_RUNTIME_DIR=%s/run", d->dir);
	hvt_strv_pushf(sv, "XDG_CACHE_HOME=%s/cache", d->dir);
	hvt_strv_pushf(sv, "XDG_DATA_HOME=%s/data", d->dir);
	hvt_strv_push(sv, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (d->prefix)
		hvt_strv_pushf(sv, "LD_LIBRARY_PATH=%s/lib:%s/lib64:%s/lib/x86_64-linux-gnu",
			       d->prefix, d->prefix, d->prefix);
	hvt_strv_push(sv, bin);
	free(bin);
}

struct hvt_libvirtd *hvt_libvirtd_new(const struct hvt_libvirtd_opts *opts,
				      struct hvt_err *err)
{
	static const char *const subs[] = { "config", "config/libvirt", "run", "cache", "data" };
	const char *user = opts->user ? opts->user : "libvirt-qemu";
	const char *group = opts->group ? opts->group : "kvm";
	const char *const serves[] = { SOCK, NULL };
	struct hvt_libvirtd *d;
	struct passwd *pw;
	struct group *gr;
	char *lname;

	if (!opts->dir || !*opts->dir) {
		hvt_err_set(err, -EINVAL, "libvirt daemon: no directory given");
		return NULL;
	}
	d = hvt_zalloc(sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->name = hvt_strdup(opts->name ? opts->name : "libvirt");
	d->dir = hvt_strdup(opts->dir);
	d->prefix = opts->prefix && *opts->prefix ? hvt_strdup(opts->prefix) : NULL;
	d->cb_agent = d->cb_life = -1;
	d->uri = hvt_asprintf("qemu+unix:///session?socket=%s/%s", d->dir, SOCK);
	pw = getpwnam(user);
	gr = getgrnam(group);
	if (!pw || !gr) {
		hvt_err_set(err, -ENOENT, "%s daemon: no %s '%s' on this host (libvirt-daemon-system "
			    "makes libvirt-qemu and kvm)", d->name, pw ? "group" : "user",
			    pw ? group : user);
		goto err_release;
	}
	d->uid = pw->pw_uid;
	d->gid = gr->gr_gid;
	if (d->prefix) {
		char *bin = hvt_asprintf("%s/sbin/libvirtd", d->prefix);
		bool ok = access(bin, X_OK) == 0;

		if (!ok)
			hvt_err_set(err, -ENOENT, "%s daemon: no libvirtd at %s (its prefix)",
				    d->name, bin);
		free(bin);
		if (!ok)
			goto err_release;
	}
	if (hvt_virt_uuid(d->host_uuid, err) || make_dir(d, NULL, err))
		goto err_release;
	for (size_t i = 0; i < HVT_ARRAY_SIZE(subs); i++)
		if (make_dir(d, subs[i], err))
			goto err_rm;
	if (write_config(d, opts, err))
		goto err_rm;
	lname = hvt_asprintf("libvirtd (%s)", d->name);
	d->launch = hvt_launch_new(&(struct hvt_launch_opts){
		.name = lname, .workdir = d->dir, .serves = serves, .log = STDERR_LOG,
	}, err);
	free(lname);
	if (!d->launch)
		goto err_rm;
	build_argv(d, user, group);
	return d;

err_rm:
	hvt_rm_rf(d->dir);
err_release:
	release(d);
	return NULL;
}

/* ---- the connection ---- */

static void on_event(struct hvt_libvirtd *d)
{
	pthread_mutex_lock(&d->lock);
	d->events++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void on_agent(virConnectPtr conn, virDomainPtr dom, int state, int reason,
		     void *opaque)
{
	(void)conn, (void)dom, (void)state, (void)reason;
	on_event(opaque);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			void *opaque)
{
	(void)conn, (void)dom, (void)event, (void)detail;
	on_event(opaque);
	return 0;
}

unsigned long hvt_libvirtd_events(struct hvt_libvirtd *d)
{
	unsigned long n;

	pthread_mutex_lock(&d->lock);
	n = d->events;
	pthread_mutex_unlock(&d->lock);
	return n;
}

int hvt_libvirtd_wait_events(struct hvt_libvirtd *d, unsigned long seen, int timeout_ms)
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	while (d->events == seen && !ret)
		ret = pthread_cond_timedwait(&d->cond, &d->lock, &ts);
	pthread_mutex_unlock(&d->lock);
	return ret ? -ETIMEDOUT : 0;
}

static void close_conn(struct hvt_libvirtd *d)
{
	if (!d->conn)
		return;
	if (d->cb_agent >= 0)
		virConnectDomainEventDeregisterAny(d->conn, d->cb_agent);
	if (d->cb_life >= 0)
		virConnectDomainEventDeregisterAny(d->conn, d->cb_life);
	d->cb_agent = d->cb_life = -1;
	virConnectClose(d->conn);
	d->conn = NULL;
}

static int open_conn(struct hvt_libvirtd *d, struct hvt_err *err)
{
	d->conn = virConnectOpen(d->uri);
	if (!d->conn)
		return hvt_virt_err(err, -EIO, "virConnectOpen");
	/* A daemon killed under a call: the call fails within 15 s. */
	if (virConnectSetKeepAlive(d->conn, 5, 3) < 0)
		return hvt_virt_err(err, -EIO, "virConnectSetKeepAlive");
	d->cb_agent = virConnectDomainEventRegisterAny(
		d->conn, NULL, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(on_agent), d, NULL);
	d->cb_life = virConnectDomainEventRegisterAny(
		d->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), d, NULL);
	if (d->cb_agent < 0 || d->cb_life < 0)
		return hvt_virt_err(err, -EIO, "virConnectDomainEventRegisterAny");
	return 0;
}

int hvt_libvirtd_start(struct hvt_libvirtd *d, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	char *sock = hvt_asprintf("%s/%s", d->dir, SOCK);
	char *log = hvt_asprintf("%s/%s", d->dir, DAEMON_LOG);
	int ret;

	ret = hvt_virt_events_start(err);
	if (ret)
		goto out;
	close_conn(d);
	/* The protocol read back later is this run's. */
	unlink(log);
	ret = hvt_launch_start(d->launch, timeout_ms, err);
	if (ret)
		goto out_prefix;
	for (;;) {
		int fd = hvt_sock_connect_unix(sock, 0, NULL);

		if (fd >= 0) {
			close(fd);
			break;
		}
		if (hvt_launch_ended(d->launch, WATCH_MS, -ECHILD, NULL, err)) {
			ret = -ECHILD;
			goto out_prefix;
		}
		if (!hvt_ms_left(deadline)) {
			ret = hvt_err_set(err, -ETIMEDOUT, "%s daemon: %s did not answer within "
					  "%d ms", d->name, sock, timeout_ms);
			hvt_launch_kill(d->launch);
			goto out;
		}
	}
	ret = open_conn(d, err);
	if (ret) {
		close_conn(d);
		hvt_launch_kill(d->launch);
		goto out_prefix;
	}
	goto out;

out_prefix:
	hvt_err_prefix(err, "%s daemon", d->name);
out:
	free(sock);
	free(log);
	return ret;
}

int hvt_libvirtd_stop(struct hvt_libvirtd *d, int timeout_ms, struct hvt_err *err)
{
	int ret;

	close_conn(d);
	ret = hvt_launch_stop(d->launch, timeout_ms, err);
	if (ret)
		hvt_err_prefix(err, "%s daemon", d->name);
	return ret;
}

int hvt_libvirtd_kill(struct hvt_libvirtd *d)
{
	pid_t pid = hvt_libvirtd_pid(d);

	/* Only the daemon: its namespace's init then ends, and the namespace with it. */
	if (pid <= 0 || kill(pid, SIGKILL))
		return hvt_launch_kill(d->launch);
	return hvt_proc_wait(hvt_launch_proc(d->launch), STOP_MS, NULL);
}

void hvt_libvirtd_free(struct hvt_libvirtd *d)
{
	struct hvt_err ignored = HVT_ERR_INIT;

	if (!d)
		return;
	if (d->conn)
		hvt_libvirtd_clean(d, STOP_MS, &ignored);
	hvt_libvirtd_stop(d, STOP_MS, &ignored);
	hvt_launch_free(d->launch);
	if (!hvt_env_keep())
		hvt_rm_rf(d->dir);
	release(d);
}

/* ---- the namespace's processes ---- */

/* The first child of pid, or -1. */
static pid_t first_child(pid_t pid)
{
	char path[64], *text = NULL;
	long child;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (hvt_file_read(path, &text, NULL, NULL))
		return -1;
	child = text && *text ? strtol(text, NULL, 10) : -1;
	free(text);
	return child > 0 ? (pid_t)child : -1;
}

/* The namespace's init (tini), as this host sees it; -1 when it does not run. */
static pid_t ns_init(struct hvt_libvirtd *d)
{
	if (!hvt_launch_running(d->launch))
		return -1;
	return first_child(hvt_launch_pid(d->launch));
}

pid_t hvt_libvirtd_pid(struct hvt_libvirtd *d)
{
	pid_t init = ns_init(d);

	return init > 0 ? first_child(init) : -1;
}

static bool same_ns(pid_t a, pid_t b)
{
	char pa[64], pb[64];
	struct stat sa, sb;

	snprintf(pa, sizeof(pa), "/proc/%d/ns/pid", (int)a);
	snprintf(pb, sizeof(pb), "/proc/%d/ns/pid", (int)b);
	return !stat(pa, &sa) && !stat(pb, &sb) && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

/*
 * Call fn for each QEMU in the daemon's namespace with its command line
 * (NUL-separated, len bytes); stop at the first that returns true and
 * return its pid. -1 when none did.
 */
static pid_t each_qemu(struct hvt_libvirtd *d, bool (*fn)(const char *cmd, size_t len,
							  const void *arg),
		       const void *arg)
{
	pid_t init = ns_init(d), found = -1;
	struct dirent *e;
	DIR *proc;

	if (init <= 0 || !(proc = opendir("/proc")))
		return -1;
	while (found < 0 && (e = readdir(proc))) {
		char path[300], *cmd = NULL;
		size_t len = 0;
		long pid = strtol(e->d_name, NULL, 10);

		if (pid <= 0 || pid == init || !same_ns((pid_t)pid, init))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		if (hvt_file_read(path, &cmd, &len, NULL))
			continue;
		if (len && strstr(cmd, "qemu-system") && fn(cmd, len, arg))
			found = (pid_t)pid;
		free(cmd);
	}
	closedir(proc);
	return found;
}

static bool any(const char *cmd, size_t len, const void *arg)
{
	int *n = (int *)arg;

	(void)cmd, (void)len;
	(*n)++;
	return false;
}

int hvt_libvirtd_count_qemu(struct hvt_libvirtd *d)
{
	int n = 0;

	each_qemu(d, any, &n);
	return n;
}

/* libvirt names the guest "-name guest=NAME,..." */
static bool named(const char *cmd, size_t len, const void *arg)
{
	char *want = hvt_asprintf("guest=%s,", (const char *)arg);
	bool hit = false;

	for (size_t i = 0; i < len && !hit; i += strlen(cmd + i) + 1)
		hit = !strncmp(cmd + i, want, strlen(want));
	free(want);
	return hit;
}

pid_t hvt_libvirtd_qemu_pid(struct hvt_libvirtd *d, const char *name)
{
	pid_t pid = each_qemu(d, named, name);

	return pid > 0 ? pid : -ENOENT;
}

/* ---- health and cleaning ---- */

int hvt_libvirtd_check(struct hvt_libvirtd *d, struct hvt_err *err)
{
	unsigned long ver = 0;
	virDomainPtr *doms = NULL;
	int n;

	if (!hvt_launch_running(d->launch)) {
		if (hvt_launch_ended(d->launch, 0, -EIO, d->name, err))
			return -EIO;
		return hvt_err_set(err, -EIO, "%s daemon: not started", d->name);
	}
	if (!d->conn || virConnectIsAlive(d->conn) != 1)
		return hvt_err_set(err, -EIO, "%s daemon: the connection is not alive", d->name);
	if (virConnectGetLibVersion(d->conn, &ver) < 0)
		return hvt_virt_err(err, -EIO, "virConnectGetLibVersion");
	n = virConnectListAllDomains(d->conn, &doms, 0);
	if (n < 0)
		return hvt_virt_err(err, -EIO, "virConnectListAllDomains");
	for (int i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	return 0;
}

int hvt_libvirtd_clean(struct hvt_libvirtd *d, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	virDomainPtr *doms = NULL;
	struct hvt_buf left = HVT_BUF_INIT;
	int n, ret = 0, q;

	if (!d->conn)
		return hvt_err_set(err, -ENOTCONN, "%s daemon: not connected", d->name);
	n = virConnectListAllDomains(d->conn, &doms, 0);
	if (n < 0)
		return hvt_virt_err(err, -EIO, "virConnectListAllDomains");
	for (int i = 0; i < n; i++) {
		if (virDomainIsActive(doms[i]) == 1)
			virDomainDestroy(doms[i]);
		if (virDomainIsPersistent(doms[i]) == 1)
			virDomainUndefineFlags(doms[i], VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
					       VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
					       VIR_DOMAIN_UNDEFINE_NVRAM |
					       VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA);
		virDomainFree(doms[i]);
	}
	free(doms);
	n = virConnectListAllDomains(d->conn, &doms, 0);
	if (n < 0)
		return hvt_virt_err(err, -EIO, "virConnectListAllDomains");
	for (int i = 0; i < n; i++) {
		hvt_buf_addf(&left, " %s", virDomainGetName(doms[i]));
		virDomainFree(doms[i]);
	}
	free(doms);
	/* A destroyed domain's QEMU is reaped by the namespace's init: it may linger a moment. */
	while ((q = hvt_libvirtd_count_qemu(d)) > 0 && hvt_ms_left(deadline))
		usleep(10000);
	if (n || q)
		ret = hvt_err_set(err, -EBUSY, "%s daemon: still %d domain(s)%s and %d QEMU "
				  "process(es) after cleaning", d->name, n, n ? left.p : "", q);
	hvt_buf_release(&left);
	return ret;
}

/* ---- logs ---- */

const char *hvt_libvirtd_dest_protocol(struct hvt_libvirtd *d)
{
	/* The destination's API entry point names the protocol the source side chose. */
	static const struct {
		const char *fn, *proto;
	} entry[] = {
		{ "virDomainMigratePrepare3Params:", "v3-params" },
		{ "virDomainMigratePrepareTunnel3Params:", "v3-params" },
		{ "virDomainMigratePrepare3:", "v3" },
		{ "virDomainMigratePrepareTunnel3:", "v3" },
		{ "virDomainMigratePrepare2:", "v2" },
		{ "virDomainMigratePrepareTunnel:", "v2" },
		{ "virDomainMigratePrepare:", "v2" },
	};
	char *path = hvt_asprintf("%s/%s", d->dir, DAEMON_LOG), *text = NULL;
	const char *best = NULL, *at = NULL;

	if (!hvt_file_read(path, &text, NULL, NULL)) {
		for (size_t i = 0; i < HVT_ARRAY_SIZE(entry); i++) {
			const char *p = text, *last = NULL;

			while ((p = strstr(p, entry[i].fn))) {
				last = p;
				p += strlen(entry[i].fn);
			}
			if (last && (!at || last > at)) {
				at = last;
				best = entry[i].proto;
			}
		}
	}
	free(text);
	free(path);
	return best;
}

static void copy_file(const char *from, const char *to, const char *name,
		      struct hvt_strv *files)
{
	char *data = NULL;
	size_t len = 0;

	if (hvt_file_read(from, &data, &len, NULL))
		return;
	if (!hvt_file_write(to, data, len, NULL) && files)
		hvt_strv_push(files, name);
	free(data);
}

void hvt_libvirtd_collect(struct hvt_libvirtd *d, const char *dir, const char *prefix,
			  struct hvt_strv *files)
{
	static const char *const own[] = { STDERR_LOG, DAEMON_LOG };
	char *qlog = hvt_asprintf("%s/cache/libvirt/qemu/log", d->dir);
	struct dirent *e;
	DIR *dd;

	for (size_t i = 0; i < HVT_ARRAY_SIZE(own); i++) {
		char *from = hvt_asprintf("%s/%s", d->dir, own[i]);
		char *name = hvt_asprintf("%s-%s", prefix, own[i]);
		char *to = hvt_asprintf("%s/%s", dir, name);

		copy_file(from, to, name, files);
		free(from);
		free(name);
		free(to);
	}
	dd = opendir(qlog);
	while (dd && (e = readdir(dd))) {
		char *from, *name, *to;

		if (e->d_name[0] == '.')
			continue;
		from = hvt_asprintf("%s/%s", qlog, e->d_name);
		name = hvt_asprintf("%s-%s", prefix, e->d_name);
		to = hvt_asprintf("%s/%s", dir, name);
		copy_file(from, to, name, files);
		free(from);
		free(name);
		free(to);
	}
	if (dd)
		closedir(dd);
	free(qlog);
}

/*
 * A root is held by an exclusive flock() on the directory itself, which
 * the kernel drops when its holder dies. The holder takes the lock, then
 * writes HELD_MARK: a directory without the mark is one being made (its
 * maker waits on the lock a sweep holds) or one whose maker died between
 * mkdtemp() and flock(), removed once it is older than HELD_GRACE_S.
 */
#define ROOT_PREFIX "hvt-lv-"
#define HELD_MARK ".held"
#define HELD_GRACE_S 600

struct hvt_libvirtd_root {
	char *path;
	int fd;		/* the directory, locked */
};

/* Whether root (locked by the caller, so not held) may go. */
static bool root_abandoned(int fd)
{
	struct stat st;

	if (faccessat(fd, HELD_MARK, F_OK, 0) == 0)
		return true;
	return fstat(fd, &st) == 0 && time(NULL) - st.st_mtime > HELD_GRACE_S;
}

int hvt_libvirtd_root_sweep(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *path;
		int fd;

		if (strncmp(e->d_name, ROOT_PREFIX, strlen(ROOT_PREFIX)))
			continue;
		path = hvt_asprintf("%s/%s", parent, e->d_name);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && root_abandoned(fd)) {
			hvt_rm_rf(path);
			n++;
		}
		if (fd >= 0)
			close(fd);
		free(path);
	}
	closedir(d);
	return n;
}

struct hvt_libvirtd_root *hvt_libvirtd_root_new(const char *parent, struct hvt_err *err)
{
	struct hvt_libvirtd_root *r = hvt_zalloc(sizeof(*r));
	int fd, rc;

	hvt_libvirtd_root_sweep(parent);
	r->fd = -1;
	r->path = hvt_asprintf("%s/" ROOT_PREFIX "XXXXXX", parent);
	if (!mkdtemp(r->path)) {
		hvt_err_set(err, -errno, "mkdtemp %s: %s", r->path, strerror(errno));
		goto err_free;
	}
	r->fd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0 || flock(r->fd, LOCK_EX)) {
		hvt_err_set(err, -errno, "lock %s: %s", r->path, strerror(errno));
		goto err_remove;
	}
	fd = openat(r->fd, HELD_MARK, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(r->fd, 0755)) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		hvt_err_set(err, rc, "%s: %s", r->path, strerror(-rc));
		goto err_remove;
	}
	close(fd);
	return r;

err_remove:
	hvt_rm_rf(r->path);
	if (r->fd >= 0)
		close(r->fd);
err_free:
	free(r->path);
	free(r);
	return NULL;
}

const char *hvt_libvirtd_root_path(const struct hvt_libvirtd_root *r)
{
	return r->path;
}

void hvt_libvirtd_root_free(struct hvt_libvirtd_root *r)
{
	if (!r)
		return;
	/* removed while still held: no sweep takes it half-way */
	hvt_rm_rf(r->path);
	close(r->fd);
	free(r->path);
	free(r);
}
