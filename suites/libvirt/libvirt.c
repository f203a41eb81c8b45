// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libvirt suite: migrations between two private libvirt daemons on
 * this host, driven through libvirt's C API (the TCK's migration matrix,
 * made strict, and recovery from failed migrations). This file is the
 * test type (plan keys, daemons, the domain) and the steps the
 * scenarios (sc-*.c) share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "lvsuite.h"
#include "scenario.h"
#include "steps.h"

#define DOMAIN "hvt"
#define DAEMON_MS 120000
#define CLEAN_MS 30000
#define CMD_MS 120000
/* The guest's data: RAM in a file of its root (initramfs: RAM), disk on vda. */
#define RAM_FILE "/run/hvt-ram"
#define RAM_BYTES (8 << 20)
#define DISK_BYTES (1 << 20)
#define DISK_MIB 16
/* Where the source daemon puts the agent's socket (domain ids up to 999). */
#define CHANNEL_PATH "/src/config/libvirt/qemu/channel/target/domain-999-"
#define CHANNEL_NAME "/org.qemu.guest_agent.0"

bool lt_check_rc(struct lt *t, const char *name, int rc, const struct hvt_err *err,
		 const char *okmsg)
{
	return hvt_case_check(t->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

void lt_require_rc(struct lt *t, const char *name, int rc, const struct hvt_err *err,
		   const char *okmsg)
{
	hvt_case_require(t->c, name, rc == 0, "%s", rc ? err->msg : okmsg);
}

virDomainPtr lt_lookup(struct hvt_libvirtd *d, const char *name)
{
	virConnectPtr conn = hvt_libvirtd_conn(d);

	return conn ? virDomainLookupByName(conn, name) : NULL;
}

void lt_opts(struct lt *t, struct hvt_domain_migrate_opts *o)
{
	/*
	 * UNSAFE: both daemons see one file system, which libvirt cannot
	 * tell from a host-local one (docs/LIBVIRT.md says why it is safe).
	 */
	*o = (struct hvt_domain_migrate_opts){
		.control = t->control,
		.flags = t->flags | VIR_MIGRATE_LIVE | VIR_MIGRATE_UNSAFE,
		.bandwidth_mib = t->bandwidth,
	};
}

int lt_migrate(struct lt *t, const struct hvt_domain_migrate_opts *o, struct hvt_err *err)
{
	struct hvt_domain_migrate_opts dflt;
	double t0 = hvt_now();

	if (!o) {
		lt_opts(t, &dflt);
		o = &dflt;
	}
	if (t->ddom)
		virDomainFree(t->ddom);
	t->ddom = hvt_domain_migrate(t->sdom, t->dst, o, err);
	if (t->ddom)
		hvt_case_metric(t->c, "migration_time", (hvt_now() - t0) * 1000.0, "ms");
	return t->ddom ? 0 : err->code;
}

/* ---- the guest's data ---- */

static char *guest_sum(struct lt *t, virDomainPtr dom, const char *cmd, const char *what)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *out = NULL;
	int rc = hvt_domain_sh(dom, cmd, CMD_MS, &out, &err);

	if (!rc && (!out || strlen(out) < 64)) {
		rc = hvt_err_set(&err, -EPROTO, "%s: no sha256 in the guest's answer '%s'", what,
				 out ? out : "");
	}
	if (rc) {
		free(out);
		hvt_case_require(t->c, what, false, "%s", err.msg);
	}
	out[64] = '\0';
	return out;
}

static void write_guest_data(struct lt *t)
{
	char *ram = hvt_asprintf("head -c %d /dev/urandom > " RAM_FILE " && sha256sum "
				 RAM_FILE, RAM_BYTES);
	char *disk = hvt_asprintf("head -c %d /dev/urandom > /run/hvt-disk && dd if=/run/hvt-disk "
				  "of=/dev/vda bs=%d count=1 oflag=direct conv=fsync 2>/dev/null "
				  "&& sha256sum /run/hvt-disk && rm /run/hvt-disk",
				  DISK_BYTES, DISK_BYTES);

	t->ram_sum = guest_sum(t, t->sdom, ram, "guest RAM data written");
	t->disk_sum = guest_sum(t, t->sdom, disk, "guest disk data written");
	free(ram);
	free(disk);
}

/* Read the data back on dom: the disk past the guest's page cache. */
static void check_guest_data(struct lt *t, virDomainPtr dom, const char *label)
{
	char *disk = hvt_asprintf("echo 3 > /proc/sys/vm/drop_caches && dd if=/dev/vda bs=%d "
				  "count=1 iflag=direct 2>/dev/null | sha256sum", DISK_BYTES);
	struct hvt_err err = HVT_ERR_INIT;
	char *ram = NULL, *dsum = NULL, *name;
	int rc;

	rc = hvt_domain_sh(dom, "sha256sum " RAM_FILE, CMD_MS, &ram, &err);
	name = hvt_asprintf("%s: guest RAM data survived", label);
	if (!rc)
		hvt_case_check(t->c, name, !strncmp(ram, t->ram_sum, 64),
			       "sha256 of %d MiB written before: %.16s..., now %.16s...",
			       RAM_BYTES >> 20, t->ram_sum, ram);
	else
		hvt_case_check(t->c, name, false, "%s", err.msg);
	free(name);
	rc = hvt_domain_sh(dom, disk, CMD_MS, &dsum, &err);
	name = hvt_asprintf("%s: guest disk data survived", label);
	if (!rc)
		hvt_case_check(t->c, name, !strncmp(dsum, t->disk_sum, 64),
			       "sha256 of the first MiB of vda (direct read): written %.16s..., "
			       "read %.16s...", t->disk_sum, dsum);
	else
		hvt_case_check(t->c, name, false, "%s", err.msg);
	free(name);
	free(ram);
	free(dsum);
	free(disk);
}

/* ---- before the migration: checks 1-3 ---- */

void lt_prepare(struct lt *t)
{
	virConnectPtr sconn = hvt_libvirtd_conn(t->src);
	struct hvt_err err = HVT_ERR_INIT;
	int rc, st;

	/* (1) source defined: persistent exactly when asked */
	if (t->src_persistent) {
		t->sdom = virDomainDefineXML(sconn, t->xml);
		if (!t->sdom)
			hvt_virt_err(&err, -EIO, "virDomainDefineXML");
		hvt_case_require(t->c, "source defined", t->sdom &&
				 virDomainIsPersistent(t->sdom) == 1 &&
				 virDomainIsActive(t->sdom) == 0, "%s",
				 t->sdom ? "persistent, inactive" : err.msg);
		rc = virDomainCreate(t->sdom) < 0 ? hvt_virt_err(&err, -EIO, "virDomainCreate") : 0;
	} else {
		t->sdom = virDomainCreateXML(sconn, t->xml, 0);
		rc = t->sdom ? 0 : hvt_virt_err(&err, -EIO, "virDomainCreateXML");
		hvt_case_require(t->c, "source defined", !rc && virDomainIsPersistent(t->sdom) == 0,
				 "%s", rc ? err.msg : "transient: no configuration");
	}
	lt_require_rc(t, "source domain created", rc, &err, "started");
	rc = hvt_domain_wait_agent(t->src, t->sdom, t->boot_ms, &err);
	lt_require_rc(t, "agent answers on the source", rc, &err, "guest-ping answered");
	write_guest_data(t);
	if (t->src_paused && virDomainSuspend(t->sdom) < 0) {
		hvt_virt_err(&err, -EIO, "virDomainSuspend");
		hvt_case_require(t->c, "source started", false, "%s", err.msg);
	}
	/* (2) source started, paused when asked */
	st = hvt_domain_state(t->sdom, &err);
	hvt_case_require(t->c, "source started",
			 st == (t->src_paused ? VIR_DOMAIN_PAUSED : VIR_DOMAIN_RUNNING),
			 "%s (expected %s)", st < 0 ? err.msg : hvt_domain_state_name(st),
			 t->src_paused ? "paused" : "running");

	/* (3) destination defined when asked, otherwise without the domain */
	if (t->dest_defined) {
		virDomainPtr d = virDomainDefineXML(hvt_libvirtd_conn(t->dst), t->xml);

		if (!d)
			hvt_virt_err(&err, -EIO, "virDomainDefineXML on the destination");
		hvt_case_require(t->c, "destination defined", d && virDomainIsPersistent(d) == 1 &&
				 virDomainIsActive(d) == 0, "%s",
				 d ? "persistent, inactive" : err.msg);
		virDomainFree(d);
	} else {
		virDomainPtr d = lt_lookup(t->dst, t->name);

		hvt_case_require(t->c, "destination defined", !d,
				 d ? "the destination already has %s" : "no %s on the destination "
				 "(none asked for)", t->name);
		if (d)
			virDomainFree(d);
	}
}

/* ---- after the migration: checks 5-10 and beyond ---- */

void lt_check_daemons(struct lt *t, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *name = hvt_asprintf("%s: both daemons healthy", label);
	int rc = hvt_libvirtd_check(t->src, &err);

	if (!rc)
		rc = hvt_libvirtd_check(t->dst, &err);
	lt_check_rc(t, name, rc, &err, "both run, their connections are alive and answer");
	free(name);
}

/* "LABEL: what" */
static char *label_name(const char *label, const char *what)
{
	return label ? hvt_asprintf("%s: %s", label, what) : hvt_strdup(what);
}

static void check(struct lt *t, const char *label, const char *what, bool ok, const char *fmt,
		  ...) HVT_PRINTF(5, 6);

static void check(struct lt *t, const char *label, const char *what, bool ok, const char *fmt,
		  ...)
{
	char *name = label_name(label, what), *msg;
	va_list ap;

	va_start(ap, fmt);
	msg = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_case_check(t->c, name, ok, "%s", msg);
	free(msg);
	free(name);
}

void lt_check_migrated(struct lt *t, const char *label)
{
	struct hvt_err err = HVT_ERR_INIT;
	virDomainPtr s = lt_lookup(t->src, t->name), *doms = NULL;
	bool s_persistent = s && virDomainIsPersistent(s) == 1;
	const char *proto;
	char *name;
	int st, n, leftover = 0;

	/* (5) source no longer active */
	check(t, label, "source no longer active", !s || virDomainIsActive(s) == 0, "%s",
	      !s ? "gone from the source" : virDomainIsActive(s) == 0 ? "inactive" : "still active");
	/* (6) source configuration exactly when expected */
	check(t, label, "source config as expected", s_persistent == t->expect_src_defined,
	      "source %s (expected %s)", s_persistent ? "has a configuration" : "has none",
	      t->expect_src_defined ? "one" : "none");
	if (s)
		virDomainFree(s);
	/* (7) destination exists, (8) active */
	virDomainFree(t->ddom);
	t->ddom = lt_lookup(t->dst, t->name);
	name = label_name(label, "destination exists");
	hvt_case_check(t->c, name, t->ddom != NULL, "%s on the destination",
		       t->ddom ? "found" : "not found");
	free(name);
	if (!t->ddom)
		hvt_case_end(t->c);
	check(t, label, "destination active", virDomainIsActive(t->ddom) == 1, "%s",
	      virDomainIsActive(t->ddom) == 1 ? "active" : "not active");
	/* (9) persistent exactly when expected: an unwanted configuration fails */
	n = virDomainIsPersistent(t->ddom);
	check(t, label, "destination persistent as expected", n == (int)t->expect_dest_persistent,
	      "destination %s (expected %s)", n == 1 ? "persistent" : "transient",
	      t->expect_dest_persistent ? "persistent" : "transient");
	/* (10) state */
	st = hvt_domain_state(t->ddom, &err);
	check(t, label, "destination state as expected",
	      st == (t->expect_dest_paused ? VIR_DOMAIN_PAUSED : VIR_DOMAIN_RUNNING),
	      "%s (expected %s)", st < 0 ? err.msg : hvt_domain_state_name(st),
	      t->expect_dest_paused ? "paused" : "running");

	/* beyond the TCK: nothing transient or active stays listed on the source */
	n = virConnectListAllDomains(hvt_libvirtd_conn(t->src), &doms, 0);
	for (int i = 0; i < n; i++) {
		if (virDomainIsPersistent(doms[i]) != 1 || virDomainIsActive(doms[i]) != 0)
			leftover++;
		virDomainFree(doms[i]);
	}
	free(doms);
	check(t, label, "no transient or active domain left on the source", n >= 0 && !leftover,
	      "%d domain(s) listed, %d of them transient or active", n, leftover);
	proto = hvt_libvirtd_dest_protocol(t->dst);
	check(t, label, "migration protocol recorded", proto != NULL,
	      "the destination was driven with protocol %s", proto ? proto : "(none seen)");
	if (proto)
		hvt_case_set_param(t->c, "migration_protocol", proto);
	if (st == VIR_DOMAIN_PAUSED) {
		int rc = virDomainResume(t->ddom) < 0 ?
			hvt_virt_err(&err, -EIO, "virDomainResume") : 0;
		bool ok;

		name = label_name(label, "destination resumes");
		ok = lt_check_rc(t, name, rc, &err, "running");
		free(name);
		if (!ok)
			hvt_case_end(t->c);
	}
	if (st == VIR_DOMAIN_RUNNING || st == VIR_DOMAIN_PAUSED) {
		int rc = hvt_domain_wait_agent(t->dst, t->ddom, t->boot_ms, &err);

		name = label_name(label, "agent answers on the destination");
		if (lt_check_rc(t, name, rc, &err, "guest-ping answered"))
			check_guest_data(t, t->ddom, label ? label : "destination");
		free(name);
	}
	lt_check_daemons(t, label ? label : "after the migration");
}

/* ---- the test type ---- */

static int read_bool(struct lt *t, const char *key, bool *out, struct hvt_err *err)
{
	/* Expectations have no default: the plan states each. */
	if (!hvt_case_param(t->c, key, NULL))
		return hvt_err_set(err, -EINVAL, "the plan sets no '%s'", key);
	return hvt_case_param_bool(t->c, key, false, out, err);
}

static int read_params(struct lt *t, struct hvt_err *err)
{
	struct hvt_case *c = t->c;
	long long mem, boot_s, mig_s, bw;
	const char *state = hvt_case_param(c, "src_state", "running");
	const char *dest = hvt_case_param(c, "dest_domain", "none");
	const char *dstate = hvt_case_param(c, "expect_dest_state", NULL);
	int rc;

	t->scenario = hvt_case_param(c, "scenario", "migrate");
	t->name = DOMAIN;
	rc = hvt_domain_control_parse(hvt_case_param(c, "migrate_control", "normal"), &t->control,
				      err);
	if (!rc)
		rc = hvt_domain_flags_parse(hvt_case_param(c, "migrate_flags", ""), &t->flags, err);
	if (!rc)
		rc = hvt_case_param_bool(c, "src_persistent", false, &t->src_persistent, err);
	if (!rc)
		rc = hvt_case_param_int(c, "mem", 256, &mem, err);
	if (!rc)
		rc = hvt_case_param_int(c, "boot_timeout", 300, &boot_s, err);
	if (!rc)
		rc = hvt_case_param_int(c, "migration_timeout", 600, &mig_s, err);
	if (!rc)
		rc = hvt_case_param_int(c, "migrate_bandwidth", 0, &bw, err);
	if (rc)
		return rc;
	if (strcmp(state, "running") && strcmp(state, "paused"))
		return hvt_err_set(err, -EINVAL, "src_state '%s': running or paused", state);
	if (strcmp(dest, "none") && strcmp(dest, "persistent"))
		return hvt_err_set(err, -EINVAL, "dest_domain '%s': none or persistent", dest);
	if (mem < 64 || mem > 4096 || boot_s < 1 || mig_s < 1 || bw < 0)
		return hvt_err_set(err, -EINVAL, "need 64 <= mem <= 4096 (MiB), timeouts > 0, "
				   "migrate_bandwidth >= 0");
	t->src_paused = !strcmp(state, "paused");
	t->dest_defined = !strcmp(dest, "persistent");
	t->mem_mib = (int)mem;
	t->boot_ms = (int)boot_s * 1000;
	t->mig_ms = (int)mig_s * 1000;
	t->bandwidth = (unsigned long)bw;
	if (!strcmp(t->scenario, "failure"))
		return 0;
	rc = read_bool(t, "expect_src_defined", &t->expect_src_defined, err);
	if (!rc)
		rc = read_bool(t, "expect_dest_persistent", &t->expect_dest_persistent, err);
	if (!rc && (!dstate || (strcmp(dstate, "running") && strcmp(dstate, "paused"))))
		rc = hvt_err_set(err, -EINVAL, "expect_dest_state '%s': running or paused",
				 dstate ? dstate : "");
	t->expect_dest_paused = dstate && !strcmp(dstate, "paused");
	return rc;
}

/*
 * The version combination: each role (client library, source daemon,
 * destination daemon) "current" or "old" (older than 0.9.2, before the
 * v3 protocol). 1 with the case skipped when it cannot run here.
 */
static int versions(struct lt *t, const char **sprefix, const char **dprefix,
		    struct hvt_err *err)
{
	static const char *const roles[] = { "libvirt_client", "libvirt_source",
					     "libvirt_destination" };
	const char *old = hvt_case_param(t->c, "libvirt_old_prefix", "");
	const char *cur = hvt_case_param(t->c, "libvirt_prefix", "");
	bool is_old[3];

	for (int i = 0; i < 3; i++) {
		const char *v = hvt_case_param(t->c, roles[i], "current");

		if (strcmp(v, "current") && strcmp(v, "old"))
			return hvt_err_set(err, -EINVAL, "%s '%s': current or old", roles[i], v);
		is_old[i] = !strcmp(v, "old");
	}
	if ((is_old[0] || is_old[1] || is_old[2]) && !*old) {
		hvt_case_skip(t->c, "only one libvirt (%d.%d.%d) is installed here: a "
			      "combination with a libvirt older than 0.9.2 needs its build "
			      "(libvirt_old_prefix)", LIBVIR_VERSION_NUMBER / 1000000,
			      LIBVIR_VERSION_NUMBER / 1000 % 1000, LIBVIR_VERSION_NUMBER % 1000);
		return 1;
	}
	if (is_old[0]) {
		hvt_case_skip(t->c, "the client library is the one hvtest runs with: run hvtest "
			      "with LD_LIBRARY_PATH=%s/lib for an old client", old);
		return 1;
	}
	*sprefix = is_old[1] ? old : cur;
	*dprefix = is_old[2] ? old : cur;
	return 0;
}

/* The kernel and initrd where the daemons' user can read them: a link, else a copy. */
static int share_file(struct lt *t, const char *from, const char *name, char **out,
		      struct hvt_err *err)
{
	char *to = hvt_asprintf("%s/%s", t->share, name), *data = NULL;
	size_t len = 0;
	int rc = 0;

	if (link(from, to)) {
		rc = hvt_file_read(from, &data, &len, err);
		if (!rc)
			rc = hvt_file_write(to, data, len, err);
		free(data);
	}
	if (!rc && chmod(to, 0644))
		rc = hvt_err_set(err, -errno, "chmod %s: %s", to, strerror(errno));
	if (rc)
		free(to);
	else
		*out = to;
	return rc;
}

static int make_file(const char *path, off_t size, uid_t uid, gid_t gid, struct hvt_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return hvt_err_set(err, -errno, "cannot create %s: %s", path, strerror(errno));
	if (ftruncate(fd, size) || fchown(fd, uid, gid))
		rc = hvt_err_set(err, -errno, "cannot size or give away %s: %s", path,
				 strerror(errno));
	close(fd);
	return rc;
}

/* The daemon's libvirt version as a case parameter ("9.0.0"). */
static void set_version(struct lt *t, const char *key, struct hvt_libvirtd *d)
{
	unsigned long v = 0;
	char buf[48];

	virConnectGetLibVersion(hvt_libvirtd_conn(d), &v);
	snprintf(buf, sizeof(buf), "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
	hvt_case_set_param(t->c, key, buf);
}

static int setup(struct lt *t, struct hvt_err *err)
{
	const char *sprefix = "", *dprefix = "";
	const char *tmp = getenv("TMPDIR");
	char *src_dir, *dst_dir;
	char *kernel = NULL, *initrd = NULL, *disk, *console;
	struct hvt_accel accel;
	struct hvt_guest g;
	char uuid[37];
	struct stat sb;
	int rc, base = 49152 + (getpid() % 512) * 16;

	rc = versions(t, &sprefix, &dprefix, err);
	if (rc)
		return rc < 0 ? rc : 0;
	rc = hvt_guest_locate(&g, err);
	if (rc)
		return rc;
	rc = hvt_accel_probe(&(struct hvt_accel_opts){ 0 }, &accel, err);
	if (rc)
		return rc;
	/*
	 * Short, so not the case's directory: the daemons' sockets and QEMU's
	 * monitor sockets live under it. Held while the case runs; the next
	 * case removes it if this one is killed.
	 */
	t->held = hvt_libvirtd_root_new(tmp && *tmp ? tmp : "/tmp", err);
	if (!t->held)
		return err->code;
	t->root = hvt_libvirtd_root_path(t->held);
	/* the longest socket libvirt makes there: the agent's channel */
	if (strlen(t->root) + strlen(CHANNEL_PATH) + strlen(t->name) + strlen(CHANNEL_NAME) > 107)
		return hvt_err_set(err, -ENAMETOOLONG, "%s%s%s%s is over the 107 bytes of a unix "
				   "socket path: use a shorter TMPDIR", t->root, CHANNEL_PATH,
				   t->name, CHANNEL_NAME);
	hvt_case_set_param(t->c, "libvirt_root", t->root);
	t->share = hvt_asprintf("%s/guest", t->root);
	src_dir = hvt_asprintf("%s/src", t->root);
	dst_dir = hvt_asprintf("%s/dst", t->root);
	disk = hvt_asprintf("%s/disk.raw", t->share);
	console = hvt_asprintf("%s/console.log", t->share);
	rc = hvt_mkdir_p(t->share, 0755, err);
	if (!rc)
		rc = share_file(t, g.kernel, "kernel", &kernel, err);
	if (!rc)
		rc = share_file(t, g.initrd, "initrd", &initrd, err);
	if (!rc) {
		t->src = hvt_libvirtd_new(&(struct hvt_libvirtd_opts){
			.name = "source", .dir = src_dir, .prefix = sprefix,
			.port_min = base, .port_max = base + 7 }, err);
		rc = t->src ? 0 : err->code;
	}
	if (!rc) {
		t->dst = hvt_libvirtd_new(&(struct hvt_libvirtd_opts){
			.name = "destination", .dir = dst_dir, .prefix = dprefix,
			.port_min = base + 8, .port_max = base + 15 }, err);
		rc = t->dst ? 0 : err->code;
	}
	/* the disk and the console belong to the daemons' user, as their QEMUs run */
	if (!rc && stat(src_dir, &sb))
		rc = hvt_err_set(err, -errno, "stat %s: %s", src_dir, strerror(errno));
	if (!rc)
		rc = make_file(disk, (off_t)DISK_MIB << 20, sb.st_uid, sb.st_gid, err);
	if (!rc)
		rc = make_file(console, 0, sb.st_uid, sb.st_gid, err);
	if (!rc)
		rc = hvt_virt_uuid(uuid, err);
	if (!rc) {
		struct hvt_domain_spec spec = {
			.name = t->name, .uuid = uuid, .type = strcmp(accel.name, "kvm") ? "qemu" : "kvm",
			.mem_mib = t->mem_mib, .kernel = kernel, .initrd = initrd,
			.cmdline = g.append, .disk = disk, .console = console,
		};

		t->xml = hvt_domain_xml(&spec, err);
		rc = t->xml ? 0 : err->code;
	}
	if (!rc)
		rc = hvt_libvirtd_start(t->src, DAEMON_MS, err);
	if (!rc)
		rc = hvt_libvirtd_start(t->dst, DAEMON_MS, err);
	if (!rc) {
		set_version(t, "source_libvirt_version", t->src);
		set_version(t, "destination_libvirt_version", t->dst);
		hvt_case_set_param(t->c, "domain_type", strcmp(accel.name, "kvm") ? "qemu" : "kvm");
	}
	free(kernel);
	free(initrd);
	free(disk);
	free(console);
	free(src_dir);
	free(dst_dir);
	return rc;
}

static void teardown(struct lt *t)
{
	struct hvt_libvirtd *ds[] = { t->src, t->dst };
	static const char *const prefix[] = { "source", "destination" };

	if (t->sdom)
		virDomainFree(t->sdom);
	if (t->ddom)
		virDomainFree(t->ddom);
	t->sdom = t->ddom = NULL;
	for (size_t i = 0; i < HVT_ARRAY_SIZE(ds); i++) {
		struct hvt_strv files = HVT_STRV_INIT;

		if (!ds[i])
			continue;
		if (t->c->workdir) {
			hvt_libvirtd_collect(ds[i], t->c->workdir, prefix[i], &files);
			for (size_t j = 0; j < files.n; j++)
				hvt_case_artifact(t->c, files.v[j], files.v[j]);
		}
		hvt_strv_release(&files);
		hvt_libvirtd_free(ds[i]);
	}
	t->src = t->dst = NULL;
	/* the logs are in the case's directory now */
	hvt_libvirtd_root_free(t->held);
	free(t->share);
	free(t->xml);
	free(t->ram_sum);
	free(t->disk_sum);
	free(t);
}

static int libvirt_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	struct lt *t = hvt_zalloc(sizeof(*t));
	int rc;

	t->c = c;
	*state = t;
	rc = read_params(t, err);
	if (!rc)
		rc = setup(t, err);
	if (rc) {
		/* cleanup is not called after a failed init */
		teardown(t);
		*state = NULL;
	}
	return rc;
}

struct scenario {
	const char *name;
	void (*fn)(struct lt *t);
};

static const struct scenario scenarios[] = {
	{ "migrate", lt_sc_migrate },
	{ "failure", lt_sc_failure },
};

static void libvirt_run(struct hvt_case *c, void *state)
{
	struct lt *t = state;
	const struct scenario *sc;

	if (c->skipped)
		return;
	sc = SCENARIO_CASE_FIND(c, scenarios, t->scenario);
	if (!sc)
		return;
	t->ran = true;
	sc->fn(t);
}

/* Each daemon back to empty (no domain, no QEMU), the console clean. */
static void final_checks(struct lt *t)
{
	struct hvt_libvirtd *ds[] = { t->src, t->dst };
	struct hvt_strv consoles = HVT_STRV_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	int rc = 0;

	if (t->sdom)
		virDomainFree(t->sdom);
	if (t->ddom)
		virDomainFree(t->ddom);
	t->sdom = t->ddom = NULL;
	for (size_t i = 0; i < HVT_ARRAY_SIZE(ds) && !rc; i++)
		rc = hvt_libvirtd_clean(ds[i], CLEAN_MS, &err);
	lt_check_rc(t, "both daemons cleaned", rc, &err, "no domain and no QEMU left on either");
	hvt_strv_pushf(&consoles, "%s/console.log", t->share);
	step_check_consoles(t->c, &consoles, NULL);
	hvt_strv_release(&consoles);
}

static void libvirt_cleanup(struct hvt_case *c, void *state)
{
	struct lt *t = state;

	if (t->ran && !c->skipped)
		final_checks(t);
	teardown(t);
}

static const struct hvt_test_type libvirt_type = {
	.name = "libvirt",
	.summary = "libvirt: migrations between two private daemons (the TCK matrix), failures",
	.init = libvirt_init,
	.run = libvirt_run,
	.cleanup = libvirt_cleanup,
};
HVT_TEST_TYPE(libvirt_type)
