// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Machines: a configuration turned into a QEMU command line in a work
 * directory, started and watched through the launcher, and its life
 * cycle over QMP and the guest agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "guest.h"
#include "launch.h"
#include "vm.h"

#define START_TIMEOUT_MS 30000
#define QMP_TIMEOUT_MS 60000
#define EVENT_TIMEOUT_MS 30000
#define AGENT_CONNECT_MS 5000
/* After a broken connection, how long QEMU gets to finish dying. */
#define DYING_MS 2000
#define AGENT_SLICE_MS 2000
#define TAIL_LINES 10
#define HOTPLUG_SLOTS 8

struct hvt_vm {
	char *name;
	struct hvt_accel accel;	/* accelerator, -cpu model and why */
	bool agent;
	struct hvt_launch *launch;	/* work dir, command line, process, QMP */
	struct hvt_qga *qga;
};

static const char *const socket_names[] = { "qmp.sock", "qga.sock", "vnc.sock", NULL };

void hvt_vm_config_init(struct hvt_vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = "vm";
	cfg->machine = "pc";
	cfg->cpus = 1;
	cfg->mem_mib = 512;
}

const struct hvt_strv *hvt_vm_argv(const struct hvt_vm *vm)
{
	return hvt_launch_argv(vm->launch);
}

const char *hvt_vm_workdir(const struct hvt_vm *vm)
{
	return hvt_launch_workdir(vm->launch);
}

const char *hvt_vm_name(const struct hvt_vm *vm)
{
	return vm->name;
}

const char *hvt_vm_accel(const struct hvt_vm *vm)
{
	return vm->accel.name;
}

const struct hvt_accel *hvt_vm_accel_info(const struct hvt_vm *vm)
{
	return &vm->accel;
}

char *hvt_vm_path(const struct hvt_vm *vm, const char *file)
{
	return hvt_launch_path(vm->launch, file);
}

struct hvt_qmp *hvt_vm_qmp_client(struct hvt_vm *vm)
{
	return hvt_launch_qmp(vm->launch);
}

struct hvt_qga *hvt_vm_qga(struct hvt_vm *vm)
{
	return vm->qga;
}

struct hvt_proc *hvt_vm_proc(struct hvt_vm *vm)
{
	return hvt_launch_proc(vm->launch);
}

char *hvt_vm_console_tail(struct hvt_vm *vm, int n)
{
	return hvt_launch_console_tail(vm->launch, n);
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-") == n;
}

static int need_file(const char *what, const char *path, struct hvt_err *err)
{
	if (access(path, R_OK) < 0)
		return hvt_err_set(err, -errno, "%s %s: %s", what, path, strerror(errno));
	return 0;
}

static int check_config(const struct hvt_vm_config *cfg, struct hvt_err *err)
{
	uint64_t mem = cfg->mem_mib ? cfg->mem_mib : 512;
	int ret;

	if (cfg->name && !valid_name(cfg->name))
		return hvt_err_set(err, -EINVAL, "machine name '%s' is not valid: use up to 64 "
				   "letters, digits, '.', '_' and '-'", cfg->name);
	if (cfg->cpus < 0)
		return hvt_err_set(err, -EINVAL, "cpus is %d: it must be positive", cfg->cpus);
	if (cfg->maxmem_mib && cfg->maxmem_mib < mem)
		return hvt_err_set(err, -EINVAL, "maxmem_mib (%llu) is below mem_mib (%llu)",
				   (unsigned long long)cfg->maxmem_mib,
				   (unsigned long long)mem);
	if ((cfg->initrd || cfg->append) && !cfg->kernel)
		return hvt_err_set(err, -EINVAL, "%s given without a kernel",
				   cfg->initrd ? "initrd" : "append");
	if (cfg->vga && strcmp(cfg->vga, "std") && strcmp(cfg->vga, "virtio"))
		return hvt_err_set(err, -EINVAL, "display '%s' is not std or virtio", cfg->vga);
	if ((cfg->xres || cfg->yres) && (!cfg->vga || cfg->xres <= 0 || cfg->yres <= 0))
		return hvt_err_set(err, -EINVAL, "display mode %dx%d: needs a display and both sizes",
				   cfg->xres, cfg->yres);
	if (cfg->accel && !*cfg->accel)
		return hvt_err_set(err, -EINVAL, "accel is empty");
	if (cfg->kernel && (ret = need_file("kernel", cfg->kernel, err)))
		return ret;
	if (cfg->initrd && (ret = need_file("initrd", cfg->initrd, err)))
		return ret;
	if (cfg->disk && (ret = need_file("disk image", cfg->disk, err)))
		return ret;
	return 0;
}

/* qcow2 by its magic, raw otherwise: QEMU is never left to guess. */
static const char *disk_format(const char *path)
{
	unsigned char magic[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, magic, sizeof(magic));
		close(fd);
	}
	if (n == 4 && !memcmp(magic, "QFI\xfb", 4))
		return "qcow2";
	return "raw";
}

static void push_opt(struct hvt_strv *sv, const char *opt, const char *fmt, ...)
	HVT_PRINTF(3, 4);

static void push_opt(struct hvt_strv *sv, const char *opt, const char *fmt, ...)
{
	va_list ap;
	char *val;

	va_start(ap, fmt);
	val = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_strv_push(sv, opt);
	hvt_strv_push(sv, val);
	free(val);
}

static void build_argv(struct hvt_vm *vm, const struct hvt_vm_config *cfg,
		       const char *qemu, const struct hvt_guest *g)
{
	struct hvt_strv *sv = hvt_launch_argv(vm->launch);
	uint64_t mem = cfg->mem_mib ? cfg->mem_mib : 512;
	const char *workdir = hvt_launch_workdir(vm->launch);
	char *wd = hvt_launch_opt_escape(workdir);

	hvt_strv_push(sv, qemu);
	push_opt(sv, "-name", "%s", vm->name);
	push_opt(sv, "-accel", "%s", vm->accel.name);
	push_opt(sv, "-machine", "%s", cfg->machine ? cfg->machine : "pc");
	push_opt(sv, "-cpu", "%s", vm->accel.cpu);
	push_opt(sv, "-smp", "%d", cfg->cpus ? cfg->cpus : 1);
	if (cfg->maxmem_mib)
		push_opt(sv, "-m", "%llu,slots=%d,maxmem=%lluM", (unsigned long long)mem,
			 HOTPLUG_SLOTS, (unsigned long long)cfg->maxmem_mib);
	else
		push_opt(sv, "-m", "%llu", (unsigned long long)mem);
	hvt_strv_pushv(sv, (const char *const[]){ "-nodefaults", "-no-user-config",
						   "-display", "none", NULL });
	if (cfg->vnc)
		push_opt(sv, "-vnc", "%s", cfg->vnc);
	else if (cfg->vga)
		push_opt(sv, "-vnc", "unix:%s/vnc.sock", wd);
	if (cfg->vga && cfg->xres && cfg->yres)
		push_opt(sv, "-device", "%s,xres=%d,yres=%d",
			 !strcmp(cfg->vga, "std") ? "VGA" : "virtio-vga", cfg->xres, cfg->yres);
	else if (cfg->vga)
		push_opt(sv, "-device", "%s", !strcmp(cfg->vga, "std") ? "VGA" : "virtio-vga");
	/*
	 * The tablet on UHCI, not xHCI: on xHCI a click of a walk through
	 * Calamares stalled, its press taken, its release and the next motion
	 * not, for minutes (an xHCI endpoint waits to be woken when a report
	 * is queued: a wake-up lost is our reading). UHCI looks at the tablet
	 * every frame, and the walk went through on it.
	 */
	if (cfg->tablet)
		hvt_strv_pushv(sv, (const char *const[]){ "-device", "piix3-usb-uhci,id=usb0",
							   "-device", "usb-tablet,bus=usb0.0",
							   NULL });

	if (g) {
		push_opt(sv, "-kernel", "%s", g->kernel);
		push_opt(sv, "-initrd", "%s", g->initrd);
		push_opt(sv, "-append", "%s", g->append);
	} else if (cfg->kernel) {
		push_opt(sv, "-kernel", "%s", cfg->kernel);
		if (cfg->initrd)
			push_opt(sv, "-initrd", "%s", cfg->initrd);
		if (cfg->append)
			push_opt(sv, "-append", "%s", cfg->append);
	}
	if (cfg->disk) {
		char *disk = hvt_launch_opt_escape(cfg->disk);

		push_opt(sv, "-drive", "file=%s,if=virtio,format=%s", disk,
			 disk_format(cfg->disk));
		free(disk);
	}

	push_opt(sv, "-chardev", "file,id=con,path=%s/console.log", wd);
	push_opt(sv, "-serial", "chardev:con");
	push_opt(sv, "-chardev", "socket,id=qmp,path=%s/qmp.sock,server=on,wait=off", wd);
	push_opt(sv, "-mon", "chardev=qmp,mode=control");
	if (vm->agent) {
		push_opt(sv, "-device", "virtio-serial-pci,id=vser0");
		push_opt(sv, "-chardev", "socket,id=qga,path=%s/qga.sock,server=on,wait=off",
			 wd);
		push_opt(sv, "-device",
			 "virtserialport,chardev=qga,name=org.qemu.guest_agent.0");
	}
	if (g && g->tools[0] && !cfg->no_tools) {
		char *tools = hvt_launch_opt_escape(g->tools);

		push_opt(sv, "-drive", "file=%s,if=none,id=tools,format=raw,readonly=on",
			 tools);
		push_opt(sv, "-device", "virtio-blk-pci,drive=tools,serial=hvt-tools");
		free(tools);
	}
	push_opt(sv, "-pidfile", "%s/qemu.pid", workdir);
	if (cfg->paused)
		hvt_strv_push(sv, "-S");
	if (cfg->incoming)
		push_opt(sv, "-incoming", "%s", cfg->incoming);
	for (const char *const *d = cfg->drives; d && *d; d++)
		push_opt(sv, "-drive", "%s", *d);
	for (const char *const *d = cfg->devices; d && *d; d++)
		push_opt(sv, "-device", "%s", *d);
	hvt_strv_pushv(sv, cfg->extra);
	free(wd);
}

struct hvt_vm *hvt_vm_new(const struct hvt_vm_config *cfg, struct hvt_err *err)
{
	struct hvt_guest guest, *g = NULL;
	struct hvt_vm *vm;
	char *qemu;
	int ret;

	if (!cfg) {
		hvt_err_set(err, -EINVAL, "no machine configuration");
		return NULL;
	}
	if (check_config(cfg, err))
		return NULL;
	vm = hvt_zalloc(sizeof(*vm));
	vm->name = hvt_strdup(cfg->name ? cfg->name : "vm");
	vm->agent = !cfg->no_agent;
	qemu = hvt_strdup(cfg->qemu ? cfg->qemu : hvt_qemu_binary());

	if (cfg->accel) {
		ret = hvt_qemu_check(qemu, err);
		if (ret)
			goto err_free;
		snprintf(vm->accel.name, sizeof(vm->accel.name), "%s", cfg->accel);
		snprintf(vm->accel.cpu, sizeof(vm->accel.cpu), "%s",
			 cfg->cpu ? cfg->cpu : !strcmp(cfg->accel, "kvm") ? "host" : "max");
		snprintf(vm->accel.reason, sizeof(vm->accel.reason), "chosen by the caller");
	} else {
		struct hvt_accel_opts ao = {
			.qemu = qemu, .machine = cfg->machine, .cpu = cfg->cpu,
		};

		ret = hvt_accel_probe(&ao, &vm->accel, err);
		if (ret)
			goto err_free;
	}
	if (!cfg->kernel && !cfg->disk && !cfg->no_guest) {
		ret = hvt_guest_locate(&guest, err);
		if (ret)
			goto err_free;
		g = &guest;
	}
	{
		struct hvt_launch_opts lo = {
			.name = "QEMU",
			.workdir = cfg->workdir,
			.prefix = vm->name,
			.keep_workdir = cfg->keep_workdir,
			.serves = socket_names,
			.log = "qemu.stderr",
			.console = "console.log",
			.qmp = "qmp.sock",
			.qmp_log = "qmp.log",
		};

		vm->launch = hvt_launch_new(&lo, err);
	}
	if (!vm->launch)
		goto err_free;
	build_argv(vm, cfg, qemu, g);
	free(qemu);
	return vm;

err_free:
	free(qemu);
	free(vm->name);
	free(vm);
	return NULL;
}

void hvt_vm_free(struct hvt_vm *vm)
{
	if (!vm)
		return;
	hvt_qga_free(vm->qga);
	hvt_launch_free(vm->launch);
	free(vm->name);
	free(vm);
}

int hvt_vm_check_alive(struct hvt_vm *vm, struct hvt_err *err)
{
	if (!hvt_launch_proc(vm->launch))
		return hvt_err_set(err, -ECHILD, "QEMU for machine %s was not started", vm->name);
	return hvt_launch_ended(vm->launch, 0, -ECHILD, NULL, err);
}

/*
 * A QMP or agent operation failed with ret: if that is because QEMU died
 * (or is dying: a closed connection comes just before the exit), replace
 * err with how it died. Errors QEMU or the agent answered pass through.
 */
static int op_failed(struct hvt_vm *vm, int ret, const char *what, struct hvt_err *err)
{
	int grace = ret == -ETIMEDOUT ? 0 : DYING_MS;

	if (ret == -EREMOTEIO || !hvt_launch_ended(vm->launch, grace, -ECHILD, what, err))
		return ret;
	return -ECHILD;
}

static int not_running(struct hvt_vm *vm, const char *what, struct hvt_err *err)
{
	if (hvt_launch_ended(vm->launch, 0, -ECHILD, what, err))
		return -ECHILD;
	return hvt_err_set(err, -ENOTCONN, "%s: machine %s is not running", what, vm->name);
}

int hvt_vm_start(struct hvt_vm *vm, struct hvt_err *err)
{
	char *path;
	int ret;

	if (hvt_launch_running(vm->launch))
		return hvt_err_set(err, -EALREADY, "machine %s is already running (pid %d)",
				   vm->name, (int)hvt_launch_pid(vm->launch));
	/* A restart: what the last run left must not be mistaken for this one. */
	hvt_qga_free(vm->qga);
	vm->qga = NULL;
	path = hvt_vm_path(vm, "qemu.pid");
	unlink(path);
	free(path);
	ret = hvt_launch_start(vm->launch, START_TIMEOUT_MS, err);
	if (ret || !vm->agent)
		return ret;
	path = hvt_vm_path(vm, "qga.sock");
	vm->qga = hvt_qga_connect(path, AGENT_CONNECT_MS, err);
	free(path);
	if (!vm->qga) {
		ret = op_failed(vm, err ? err->code : -ECONNREFUSED, NULL, err);
		/* Keep the ended process: its status is what check_alive reports. */
		hvt_launch_close_qmp(vm->launch);
		hvt_launch_kill(vm->launch);
	}
	return ret;
}

int hvt_vm_wait_agent(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	struct hvt_err last = HVT_ERR_INIT;
	char *tail;

	if (!vm->qga)
		return vm->agent ? not_running(vm, "waiting for the guest agent", err) :
			hvt_err_set(err, -ENOTSUP, "machine %s has no guest agent channel",
				    vm->name);
	for (;;) {
		int left = hvt_ms_left(deadline);
		int ret = hvt_qga_wait_ready(vm->qga, left < AGENT_SLICE_MS ? left :
					     AGENT_SLICE_MS, &last);

		if (ret == 0)
			return 0;
		if (hvt_launch_ended(vm->launch, 0, -ECHILD, "waiting for the guest agent", err))
			return -ECHILD;
		if (!hvt_ms_left(deadline))
			break;
		/* Not a timeout (e.g. stale bytes): retry, but never spin. */
		if (ret != -ETIMEDOUT)
			hvt_proc_wait(hvt_vm_proc(vm), 100, NULL);
	}
	hvt_err_set(err, -ETIMEDOUT, "guest agent of %s did not answer within %d ms",
		    vm->name, timeout_ms);
	tail = hvt_vm_console_tail(vm, TAIL_LINES);
	if (tail && *tail)
		hvt_err_append(err, "\nlast console lines:\n%s", tail);
	else
		hvt_err_append(err, " (the console is empty)");
	free(tail);
	return -ETIMEDOUT;
}

static int vm_qmp_va(struct hvt_vm *vm, struct json_object **ret, struct hvt_err *err,
		     const char *cmd, const char *args_fmt, va_list ap)
{
	struct json_object *args = NULL;
	int r;

	if (ret)
		*ret = NULL;
	if (!hvt_vm_qmp_client(vm))
		return not_running(vm, cmd, err);
	if (args_fmt) {
		args = hvt_json_vbuild(err, args_fmt, ap);
		if (!args) {
			hvt_err_prefix(err, "arguments of %s", cmd);
			return -EINVAL;
		}
	}
	r = hvt_qmp_execute(hvt_vm_qmp_client(vm), cmd, args, ret, QMP_TIMEOUT_MS, err);
	if (r)
		r = op_failed(vm, r, cmd, err);
	return r;
}

int hvt_vm_qmp(struct hvt_vm *vm, struct json_object **ret, struct hvt_err *err,
	       const char *cmd, const char *args_fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, args_fmt);
	r = vm_qmp_va(vm, ret, err, cmd, args_fmt, ap);
	va_end(ap);
	return r;
}

int hvt_vm_exec(struct hvt_vm *vm, const char *const argv[], int timeout_ms,
		struct hvt_qga_exec_result *res, struct hvt_err *err)
{
	char what[256];
	int r;

	snprintf(what, sizeof(what), "running %s in the guest", argv[0]);
	if (!vm->qga)
		return vm->agent ? not_running(vm, what, err) :
			hvt_err_set(err, -ENOTSUP, "machine %s has no guest agent channel",
				    vm->name);
	r = hvt_qga_exec(vm->qga, argv, NULL, 0, timeout_ms, res, err);
	if (r)
		r = op_failed(vm, r, what, err);
	return r;
}

int hvt_vm_sh(struct hvt_vm *vm, const char *cmdline, int timeout_ms,
	      struct hvt_qga_exec_result *res, struct hvt_err *err)
{
	const char *argv[] = { "/bin/sh", "-c", cmdline, NULL };

	return hvt_vm_exec(vm, argv, timeout_ms, res, err);
}

/* Run cmd and wait for the event it causes. */
static int qmp_until_event(struct hvt_vm *vm, const char *cmd, const char *event,
			   int timeout_ms, struct hvt_err *err)
{
	struct hvt_qmp_event *ev = NULL;
	double t0 = hvt_wall_now();
	int r;

	r = hvt_vm_qmp(vm, NULL, err, cmd, NULL);
	if (r)
		return r;
	r = hvt_qmp_event_wait(hvt_vm_qmp_client(vm), event, hvt_qmp_event_since, &t0,
			       timeout_ms, &ev, err);
	if (r)
		return op_failed(vm, r, cmd, err);
	hvt_qmp_event_free(ev);
	return 0;
}

/* 1 if the vCPUs run, 0 if not, or -errno. */
static int is_running(struct hvt_vm *vm, struct hvt_err *err)
{
	struct json_object *st = NULL;
	int r = hvt_vm_qmp(vm, &st, err, "query-status", NULL);

	if (r)
		return r;
	r = hvt_json_get_bool(st, "running", false);
	json_object_put(st);
	return r;
}

int hvt_vm_pause(struct hvt_vm *vm, struct hvt_err *err)
{
	int r = is_running(vm, err);

	/* Already stopped: "stop" would succeed without a STOP event. */
	if (r <= 0)
		return r;
	return qmp_until_event(vm, "stop", "STOP", EVENT_TIMEOUT_MS, err);
}

int hvt_vm_cont(struct hvt_vm *vm, struct hvt_err *err)
{
	int r = is_running(vm, err);

	if (r < 0)
		return r;
	if (r == 1)
		return 0;
	return qmp_until_event(vm, "cont", "RESUME", EVENT_TIMEOUT_MS, err);
}

int hvt_vm_reset(struct hvt_vm *vm, struct hvt_err *err)
{
	return qmp_until_event(vm, "system_reset", "RESET", EVENT_TIMEOUT_MS, err);
}

int hvt_vm_powerdown(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	struct hvt_qmp_event *ev = NULL;
	struct hvt_proc_status st;
	double t0 = hvt_wall_now();
	char *tail;
	int r;

	r = hvt_vm_qmp(vm, NULL, err, "system_powerdown", NULL);
	if (r)
		return r;
	r = hvt_qmp_event_wait(hvt_vm_qmp_client(vm), "SHUTDOWN", hvt_qmp_event_since, &t0,
			       timeout_ms, &ev, err);
	hvt_qmp_event_free(ev);
	if (r == -ETIMEDOUT) {
		hvt_err_set(err, r, "%s did not power down within %d ms after "
			    "system_powerdown (does the guest handle ACPI?)", vm->name,
			    timeout_ms);
		tail = hvt_vm_console_tail(vm, TAIL_LINES);
		if (tail && *tail)
			hvt_err_append(err, "\nlast console lines:\n%s", tail);
		free(tail);
		return r;
	}
	/* QEMU may exit so fast that the connection closes with the event. */
	r = hvt_proc_wait(hvt_vm_proc(vm), hvt_ms_left(deadline) > DYING_MS ?
			  hvt_ms_left(deadline) : DYING_MS, &st);
	if (r == -ETIMEDOUT)
		return hvt_err_set(err, r, "QEMU (pid %d) did not exit within %d ms of the "
				   "guest's shutdown", (int)hvt_launch_pid(vm->launch), timeout_ms);
	if (!st.exited || st.code != 0)
		return hvt_launch_ended(vm->launch, 0, -ECHILD, "system_powerdown", err);
	return 0;
}

int hvt_vm_quit(struct hvt_vm *vm, int timeout_ms, struct hvt_err *err)
{
	/* How an earlier end went was told then (check_alive tells it again). */
	if (!hvt_launch_running(vm->launch))
		return 0;
	return hvt_launch_stop(vm->launch, timeout_ms, err);
}

int hvt_vm_kill(struct hvt_vm *vm)
{
	return hvt_launch_kill(vm->launch);
}
