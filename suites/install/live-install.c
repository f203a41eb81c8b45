// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live test type: Debian's graphical installer (Calamares on the live
 * image guest/live/build.sh makes) driven through every screen by needles,
 * pointer and keys onto a fresh disk (live_phase = install), and the
 * installed disk booted by its own firmware and checked (live_phase = boot).
 *
 * The install's walk is written twice: here in C on src/screen/screen.h,
 * and as a Python script (live-calamares.py) that calls `hvtest screen`.
 * With the plan key `script`, the case boots the live image here, runs the
 * script through the exec type, and checks the end (Calamares exited, the
 * machine powers off) and keeps the disk here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../screen/screentest.h"
#include "env.h"
#include "guest.h"
#include "launch.h"
#include "hvt-config.h"
#include "qsd.h"
#include "steps.h"
#include "walk.h"

#define DISK_BYTES (16ULL << 30)	/* Debian's settings require 10 GB */
#define TYPE_INTERVAL_MS 60
#define CONSOLE_POLL_MS 200
#define SHUTDOWN_TIMEOUT_MS 120000

struct live {
	struct st st;			/* the screen suite's state: st_assert() and friends */
	const char *phase;		/* install, boot */
	const char *user, *password, *hostname;
	const char *script;		/* the install's walk as a program, run by the exec type */
	char *disk;			/* the install's target / the boot's disk */
	char *installed;		/* where the installed disk is kept for the boot cases */
	long long install_timeout_ms;
	double input_s;			/* spent sending input (pointer, keys) */
};

/* The installed disk the boot cases use: live_installed, else the cache's. */
static char *installed_path(struct hvt_case *c)
{
	const char *p = hvt_case_param(c, "live_installed", NULL);

	if (p)
		return hvt_strdup(p);
	return hvt_asprintf("%s/live-installed/%s.qcow2", hvt_env_cache_dir(),
			    hvt_case_param(c, "matrix_guest", "debian12-live"));
}

/* The console log shows text within timeout_ms (a file: read every CONSOLE_POLL_MS). */
static bool console_shows(struct live *l, const char *text, long long timeout_ms)
{
	int64_t deadline = hvt_deadline_after((int)timeout_ms);

	for (;;) {
		char *tail = hvt_vm_console_tail(l->st.vm, 60);
		bool seen = tail && strstr(tail, text);
		struct timespec ts = { 0, CONSOLE_POLL_MS * 1000000L };

		free(tail);
		if (seen)
			return true;
		if (hvt_ms_left(deadline) <= 0 || hvt_vm_check_alive(l->st.vm, NULL))
			return false;
		nanosleep(&ts, NULL);
	}
}

/*
 * Where the pointer waits between clicks: on the window's edge, off every
 * needle (over a button it hides the button's label from the next assert).
 */
#define PARK_X 1
#define PARK_Y 1

/* Click at the click point of the needle with tag (the tablet's absolute pointer). */
static void click(struct live *l, const char *tag)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *what = hvt_asprintf("click %s", tag);
	int x, y;
	int ret = hvt_screen_locate(l->st.screen, tag, false, &x, &y, &err);
	double t0 = hvt_now();

	if (!ret)
		ret = hvt_screen_click_at(l->st.screen, x, y, 1, &err);
	/*
	 * Park only once the guest has taken the click (the picture settled):
	 * a motion the tablet folds into an unread release moves the release
	 * off the button, and a busy guest under TCG reads late.
	 */
	if (!ret) {
		double w0 = hvt_now();

		hvt_screen_wait_still(l->st.screen, 1000, 10000, NULL);
		t0 += hvt_now() - w0;	/* waiting for the guest, not input */
		ret = hvt_screen_mouse_set(l->st.screen, PARK_X, PARK_Y, 0, &err);
	}
	l->input_s += hvt_now() - t0;
	st_require(&l->st, what, ret, &err);
	free(what);
}

/* Click a text field (by needle), select what it holds and type text over it. */
static void fill(struct live *l, const char *tag, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *what = hvt_asprintf("type into %s", tag);
	double t0;
	int ret;

	click(l, tag);
	t0 = hvt_now();
	ret = hvt_screen_send_key(l->st.screen, "ctrl-a", &err);
	if (!ret)
		ret = hvt_screen_type(l->st.screen, text, TYPE_INTERVAL_MS, &err);
	l->input_s += hvt_now() - t0;
	st_require(&l->st, what, ret, &err);
	free(what);
}

/* Type text and Enter at a console prompt; the case ends if typing failed. */
static void type_line(struct live *l, const char *what, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *line = hvt_asprintf("%s\n", text);
	int ret = hvt_screen_type(l->st.screen, line, TYPE_INTERVAL_MS, &err);

	free(line);
	st_require(&l->st, what, ret, &err);
}

/* Wait for the screen to settle after an action (animations, page changes). */
static void settle(struct live *l)
{
	hvt_screen_wait_still(l->st.screen, 1500, 30000, NULL);
}

static void next(struct live *l)
{
	click(l, "live-next");
	settle(l);
}

/*
 * The install runs for many minutes: wait for its finished page, looking
 * for Calamares' "Installation Failed" dialog in between, which ends the
 * case at once with that screen instead of at the timeout.
 */
#define FINISHED_POLL_MS 10000

static void wait_finished(struct live *l)
{
	struct hvt_case *c = l->st.c;
	int64_t deadline = hvt_deadline_after((int)l->install_timeout_ms);
	struct hvt_err err = HVT_ERR_INIT;
	long long timeout_ms;
	int ret;

	for (;;) {
		int left = hvt_ms_left(deadline);

		ret = hvt_screen_check(l->st.screen, "live-finished",
				       left < FINISHED_POLL_MS ? left : FINISHED_POLL_MS, NULL, &err);
		if (ret != -ETIMEDOUT || left <= FINISHED_POLL_MS)
			break;
		if (!hvt_screen_check(l->st.screen, "live-install-failed", 0, NULL, &err)) {
			hvt_screen_save(l->st.screen, "install-failed", &err);
			hvt_case_require(c, "install", false,
					 "Calamares says \"Installation Failed\" (screens/*install-failed.png, "
					 "the console has its log)");
		}
	}
	timeout_ms = l->st.timeout_ms;
	l->st.timeout_ms = 0;	/* record the verdict on the picture the loop ended on */
	st_assert(&l->st, "live-finished");
	l->st.timeout_ms = timeout_ms;
}

/* After Done: Calamares exits, and the live system powers off. */
static void install_end(struct live *l)
{
	struct hvt_err err = HVT_ERR_INIT;
	int ret;

	hvt_case_check(l->st.c, "calamares exited",
		       console_shows(l, "calamares exited with status 0", 60000),
		       "'hvtest-live: calamares exited with status 0' on the console");
	ret = hvt_vm_powerdown(l->st.vm, SHUTDOWN_TIMEOUT_MS, &err);
	st_require(&l->st, "live system powers off", ret, &err);
}

static void install_run(struct live *l)
{
	struct hvt_case *c = l->st.c;
	struct hvt_err err = HVT_ERR_INIT;
	double t0 = hvt_now(), t_exec, total, match_s;
	uint64_t pictures;
	int ret;

	/* The live system boots to Calamares' welcome page (language). */
	st_assert(&l->st, "live-welcome");
	hvt_case_metric(c, "boot to first screen", hvt_now() - t0, "s");
	settle(l);
	/* Calamares' own checks (disk, RAM, root) passed, or Next stays disabled. */
	ret = hvt_screen_check(l->st.screen, "live-welcome-unmet", 0, NULL, &err);
	hvt_case_require(c, "requirements met", ret == -ETIMEDOUT, "%s",
			 ret == 0 ? "the welcome page says the computer does not satisfy "
				    "the minimum requirements" :
			 ret == -ETIMEDOUT ? "no requirement unmet" : err.msg);
	next(l);
	st_assert(&l->st, "live-location");
	next(l);
	st_assert(&l->st, "live-keyboard");
	next(l);
	st_assert(&l->st, "live-partition");
	click(l, "live-partition-erase");
	settle(l);
	st_assert(&l->st, "live-partition-erase-chosen");
	next(l);
	st_assert(&l->st, "live-users");
	fill(l, "live-users-name", "hvtest user");
	fill(l, "live-users-login", l->user);
	fill(l, "live-users-hostname", l->hostname);
	fill(l, "live-users-password", l->password);
	fill(l, "live-users-password2", l->password);
	settle(l);
	st_assert(&l->st, "live-users-filled");
	next(l);
	st_assert(&l->st, "live-summary");
	click(l, "live-install");
	t_exec = hvt_now();
	st_assert(&l->st, "live-installing");
	wait_finished(l);
	hvt_case_metric(c, "install (summary to finished)", hvt_now() - t_exec, "s");
	/* Do not restart into the live system again: uncheck, then Done. */
	click(l, "live-finished-restart");
	settle(l);
	st_assert(&l->st, "live-finished-norestart");
	click(l, "live-done");
	install_end(l);
	total = hvt_now() - t0;
	match_s = hvt_screen_match_seconds(l->st.screen, &pictures);
	hvt_case_metric(c, "install case", total, "s");
	hvt_case_metric(c, "install case: matching", match_s, "s");
	hvt_case_metric(c, "install case: input", l->input_s, "s");
	hvt_case_metric(c, "install case: waiting for the guest", total - match_s - l->input_s,
			"s");
	hvt_case_metric(c, "pictures matched", (double)pictures, "");
}

/* Keep the installed disk for the boot cases: a hard link, else a copy. */
static void keep_installed(struct live *l)
{
	struct hvt_case *c = l->st.c;
	struct hvt_err err = HVT_ERR_INIT;
	char *dir = hvt_strdup(l->installed), *slash = strrchr(dir, '/');
	char *tmp = hvt_asprintf("%s.tmp", l->installed);
	int ret = 0;

	if (slash)
		*slash = '\0';
	if (slash && hvt_mkdir_p(dir, 0755, &err))
		ret = err.code;
	unlink(tmp);
	if (!ret && link(l->disk, tmp)) {
		const char *argv[] = { "cp", "--sparse=always", l->disk, tmp, NULL };

		ret = hvt_proc_run(argv, 600000, NULL, &err);
	}
	if (!ret && rename(tmp, l->installed))
		ret = hvt_err_set(&err, -errno, "rename %s: %s", tmp, strerror(errno));
	hvt_case_check(c, "installed disk kept", ret == 0, "%s", ret ? err.msg : l->installed);
	free(tmp);
	free(dir);
}

static int install_config(struct live *l, struct hvt_vm_config *cfg, struct hvt_strv *drives,
			  struct hvt_err *err)
{
	struct hvt_case *c = l->st.c;
	struct hvt_guest_live img;
	char *iso, *disk;
	int ret;

	if (hvt_guest_live_locate(&img, err)) {
		hvt_case_skip(c, "%s", err->msg);
		hvt_case_end(c);
	}
	l->disk = hvt_asprintf("%s/disk.qcow2", c->workdir);
	ret = hvt_qsd_image_create(l->disk, "qcow2", DISK_BYTES, err);
	if (ret)
		return ret;
	hvt_case_artifact(c, "disk.qcow2", "disk.qcow2");
	cfg->kernel = hvt_strdup(img.kernel);
	cfg->initrd = hvt_strdup(img.initrd);
	cfg->append = hvt_strdup(img.append);
	iso = hvt_launch_opt_escape(img.iso);
	disk = hvt_launch_opt_escape(l->disk);
	hvt_strv_pushf(drives, "file=%s,media=cdrom,if=ide,readonly=on", iso);
	hvt_strv_pushf(drives, "file=%s,if=virtio,format=qcow2,cache=unsafe", disk);
	free(iso);
	free(disk);
	return 0;
}

/* The machine of a boot case: machine type, disk bus and vCPUs from the plan. */
static int boot_config(struct live *l, struct hvt_vm_config *cfg, struct hvt_strv *drives,
		       struct hvt_strv *devices, struct hvt_err *err)
{
	struct hvt_case *c = l->st.c;
	const char *bus = hvt_case_param(c, "disk_bus", "virtio-blk");
	char *disk;

	if (access(l->installed, R_OK)) {
		hvt_case_skip(c, "no installed disk %s: the install case (live_phase = install) "
			      "must pass first", l->installed);
		hvt_case_end(c);
	}
	l->disk = hvt_strdup(l->installed);
	disk = hvt_launch_opt_escape(l->disk);
	/* snapshot=on: the boot writes to a temporary overlay, the disk stays as installed */
	if (!strcmp(bus, "virtio-blk")) {
		hvt_strv_pushf(drives, "file=%s,if=none,id=d0,format=qcow2,snapshot=on", disk);
		hvt_strv_push(devices, "virtio-blk-pci,drive=d0,bootindex=0");
	} else if (!strcmp(bus, "ide")) {
		hvt_strv_pushf(drives, "file=%s,if=none,id=d0,format=qcow2,snapshot=on", disk);
		hvt_strv_push(devices, "ide-hd,drive=d0,bus=ide.0,bootindex=0");
	} else if (!strcmp(bus, "virtio-scsi")) {
		hvt_strv_pushf(drives, "file=%s,if=none,id=d0,format=qcow2,snapshot=on", disk);
		hvt_strv_push(devices, "virtio-scsi-pci,id=scsi0");
		hvt_strv_push(devices, "scsi-hd,drive=d0,bus=scsi0.0,bootindex=0");
	} else {
		free(disk);
		return hvt_err_set(err, -EINVAL, "disk_bus = %s: virtio-blk, ide or virtio-scsi",
				   bus);
	}
	free(disk);
	hvt_strv_push(devices, "virtio-net-pci,netdev=n0");
	cfg->no_guest = true;
	return 0;
}

static void boot_run(struct live *l)
{
	struct hvt_case *c = l->st.c;
	struct hvt_err err = HVT_ERR_INIT;
	char *line, *prompt = hvt_asprintf("%s login:", l->hostname);
	double t0 = hvt_now();
	int ret;

	/* The installed system's GRUB menu, then its login prompts on ttyS0 and tty1. */
	st_assert(&l->st, "live-grub");
	hvt_case_check(c, "login prompt on the serial console",
		       console_shows(l, prompt, l->st.timeout_ms), "'%s' on ttyS0", prompt);
	st_assert(&l->st, "live-login");
	hvt_case_metric(c, "boot to login prompt", hvt_now() - t0, "s");
	/*
	 * A password is typed only once its prompt shows: login's PAM
	 * conversation turns echo off with TCSAFLUSH, which drops the keys
	 * typed before. Under load the prompt came up to 3.5 s after the user
	 * name; typed once the screen had been still for a second, the
	 * password was often dropped and no shell came. Sudo's prompt is
	 * waited for the same way.
	 */
	type_line(l, "type the user", l->user);
	st_assert(&l->st, "live-password");
	type_line(l, "type the password", l->password);
	st_assert(&l->st, "live-shell");
	/*
	 * The user's shell cannot write to ttyS0: sudo (the installer put the
	 * user in the sudo group) runs the checks, their output sent there by
	 * the root shell (a redirection outside sudo -c is the user's: denied).
	 */
	type_line(l, "type the checks",
		  "sudo sh -c '{ echo hvt-user=$SUDO_USER; ip -4 -o addr show eth0; "
		  "ping -c 1 -W 10 10.0.2.2 >/dev/null && echo hvt-net=ok; } "
		  ">/dev/ttyS0 2>&1'");
	st_assert(&l->st, "live-sudo-password");
	type_line(l, "type the sudo password", l->password);
	line = hvt_asprintf("hvt-user=%s", l->user);
	hvt_case_check(c, "logged in", console_shows(l, line, 60000), "'%s' on ttyS0", line);
	free(line);
	hvt_case_check(c, "network", console_shows(l, "hvt-net=ok", 60000),
		       "DHCP address on eth0 and the gateway 10.0.2.2 answers ping");
	t0 = hvt_now();
	ret = hvt_vm_powerdown(l->st.vm, SHUTDOWN_TIMEOUT_MS, &err);
	hvt_case_check(c, "shutdown", ret == 0, "%s", ret ? err.msg : "ACPI power button: off");
	if (!ret)
		hvt_case_metric(c, "shutdown", hvt_now() - t0, "s");
	free(prompt);
}

/*
 * A parameter's value, its default set on the case when the plan has none:
 * a script's walk gets the same values as HVT_PARAM_*, and the store keeps them.
 */
static const char *param_or_set(struct hvt_case *c, const char *key, const char *dflt)
{
	if (!hvt_case_param(c, key, NULL))
		hvt_case_set_param(c, key, dflt);
	return hvt_case_param(c, key, dflt);
}

/* The boot cases' NIC backend: QEMU's user network (DHCP, gateway 10.0.2.2). */
static const char *const user_net[] = { "-netdev", "user,id=n0", NULL };

static int live_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	struct live *l = hvt_zalloc(sizeof(*l));
	struct hvt_strv drives = HVT_STRV_INIT, devices = HVT_STRV_INIT;
	struct hvt_vm_config cfg;
	struct hvt_screen_opts so = { 0 };
	long long cpus, mem, boot_s;
	char *shots, *frames = NULL, *vnc;
	int ret;

	*state = l;
	l->st.c = c;
	l->phase = hvt_case_param(c, "live_phase", "");
	if (strcmp(l->phase, "install") && strcmp(l->phase, "boot"))
		return hvt_err_set(err, -EINVAL, "live_phase = '%s': install or boot", l->phase);
	l->user = param_or_set(c, "live_user", "hvtest");
	l->password = param_or_set(c, "live_password", "hvtest-pw");
	l->hostname = param_or_set(c, "live_hostname", "hvtest-live");
	l->installed = installed_path(c);
	if (!strcmp(l->phase, "install"))
		l->script = hvt_case_param(c, "script", NULL);
	ret = hvt_case_param_int(c, "screen_timeout", 600, &l->st.timeout_ms, err);
	if (!ret)
		ret = hvt_case_param_int(c, "install_timeout", 3600, &l->install_timeout_ms, err);
	if (!ret)
		ret = hvt_case_param_int(c, "cpus", 1, &cpus, err);
	if (!ret)
		ret = hvt_case_param_int(c, "mem", 2048, &mem, err);
	if (!ret)
		ret = hvt_case_param_int(c, "boot_timeout", 900, &boot_s, err);
	if (ret)
		return ret;
	l->st.timeout_ms *= 1000;
	l->install_timeout_ms *= 1000;
	ret = hvt_needles_load_dir(&l->st.needles,
				   hvt_case_param(c, "needles", HVT_SRCDIR "/suites/install/needles"),
				   err);
	if (ret)
		return ret;

	hvt_vm_config_init(&cfg);
	cfg.name = "vm";
	cfg.machine = hvt_case_param(c, "machine", "pc");
	/*
	 * Without ERMS: under TCG here, the live kernel's clear_page_erms()
	 * (rep stosb) crawled for minutes while loop-reading the squashfs
	 * (soft lockups); with erms=off the same boot went on. Without AVX
	 * and AVX2: with them (QEMU 7.2 is the first TCG that has them)
	 * Calamares segfaults in libQt5Gui right after its first page, and
	 * with AVX alone Xorg does in libgcrypt (docs/INSTALL-LIVE.md).
	 */
	cfg.cpu = hvt_case_param(c, "cpu", "max,erms=off,avx=off,avx2=off");
	cfg.cpus = (int)cpus;
	cfg.mem_mib = (uint64_t)mem;
	cfg.vga = "std";
	cfg.tablet = true;
	cfg.no_agent = true;
	cfg.no_tools = true;
	if (!strcmp(l->phase, "install"))
		ret = install_config(l, &cfg, &drives, err);
	else
		ret = boot_config(l, &cfg, &drives, &devices, err);
	if (ret)
		goto out;
	cfg.drives = (const char *const *)drives.v;
	cfg.devices = (const char *const *)devices.v;
	if (!strcmp(l->phase, "boot"))
		cfg.extra = user_net;
	l->st.vm = step_vm_new(c, &cfg, &l->st.consoles, err);
	if (!l->st.vm) {
		ret = err->code ? err->code : -EIO;
		goto out;
	}
	ret = hvt_vm_start(l->st.vm, err);
	if (ret)
		goto out;

	shots = hvt_asprintf("%s/screens", c->workdir);
	/* a script's walk has its own connections: this one records nothing */
	if (strcmp(hvt_case_param(c, "video", "fail"), "no") && !l->script)
		frames = hvt_asprintf("%s/video-frames", c->workdir);
	vnc = hvt_vm_path(l->st.vm, "vnc.sock");
	so.vnc = vnc;
	so.vm = l->st.vm;
	so.needles = &l->st.needles;
	so.shots = shots;
	so.video_frames = frames;
	so.on_file = walk_on_file;
	so.ctx = c;
	so.connect_timeout_ms = (int)boot_s * 1000;
	ret = hvt_screen_open(&so, &l->st.screen, err);
	free(vnc);
	free(frames);
	free(shots);
out:
	if (cfg.kernel && !strcmp(l->phase, "install")) {
		free((char *)cfg.kernel);
		free((char *)cfg.initrd);
		free((char *)cfg.append);
	}
	hvt_strv_release(&drives);
	hvt_strv_release(&devices);
	return ret;
}

static void live_run(struct hvt_case *c, void *state)
{
	struct live *l = state;

	hvt_case_check(c, "phase", true, "%s, %s", l->phase,
		       hvt_case_param(c, "matrix_config", "-"));
	if (l->script) {
		walk_script_run(c, l->st.vm, l->script);
		if (hvt_outcome_bad(hvt_case_outcome(c)))
			return;
		install_end(l);
		keep_installed(l);
	} else if (!strcmp(l->phase, "install")) {
		install_run(l);
		keep_installed(l);
	} else {
		boot_run(l);
	}
}

static void live_cleanup(struct hvt_case *c, void *state)
{
	struct live *l = state;
	struct hvt_err err = HVT_ERR_INIT;
	bool bad = hvt_outcome_bad(hvt_case_outcome(c));
	const char *video = hvt_case_param(c, "video", "fail");

	if (l->st.screen) {
		if (bad)
			hvt_screen_save(l->st.screen, "last-screen", &err);
		if (hvt_screen_video_frames(l->st.screen) > 1 &&
		    (!strcmp(video, "keep") || (bad && !strcmp(video, "fail")))) {
			char *path = hvt_asprintf("%s/video.mp4", c->workdir);

			if (!hvt_screen_video_encode(l->st.screen, path, &err))
				hvt_case_artifact(c, "video.mp4", "video.mp4");
			free(path);
		}
	}
	hvt_screen_free(l->st.screen);
	if (l->st.vm) {
		hvt_vm_quit(l->st.vm, 30000, &err);
		hvt_vm_free(l->st.vm);
	}
	step_check_consoles(c, &l->st.consoles, NULL);
	hvt_strv_release(&l->st.consoles);
	hvt_needles_release(&l->st.needles);
	free(l->disk);
	free(l->installed);
	free(l);
}

static const struct hvt_test_type live_type = {
	.name = "live",
	.summary = "install Debian with Calamares by screen and pointer, then boot the disk",
	.init = live_init,
	.run = live_run,
	.cleanup = live_cleanup,
};
HVT_TEST_TYPE(live_type)
