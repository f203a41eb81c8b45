// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The install test type: the Debian installer (debian-installer-12-netboot-
 * amd64, text or graphical) on a machine with a display, booted by kernel
 * and initrd or by PXE through QEMU's built-in TFTP, driven through its
 * screens by needles and keys: boot menu, language, location, keyboard,
 * network (DHCP or the manual screens), host and domain name, the mirror
 * screens, and the mirror's check, which fails here (the guest cannot
 * resolve the archive's name), or, through an HTTP proxy, passes, and the
 * step after it, "Download installer components", which fails (the
 * archive serves few installer components; docs/INSTALL.md).
 *
 * The same walk is written twice: here in C on src/screen/screen.h, and
 * as a Python script (di-netboot.py) that calls `hvtest screen` on the
 * running machine. With the plan key `script`, the case boots the machine
 * here and then runs the script through the exec type, which reads its TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvt-config.h"
#include "hvtest.h"
#include "screen.h"
#include "steps.h"
#include "testtype.h"
#include "walk.h"

#define DI_ROOT "/usr/lib/debian-installer/images/12/amd64"
/* the slirp network QEMU's user net gives the guest */
#define GUEST_IP "10.0.2.15"
#define GATEWAY "10.0.2.2"
#define NAMESERVER "10.0.2.3"
/*
 * The proxy the installer is told to use: an address on the user net that
 * QEMU forwards, one connection at a time, to a relay it starts on the
 * host (guestfwd ... cmd:, di-relay.sh), which connects to the archive by
 * the host's own name service. The installer's wget asks the proxy in
 * HTTP/1.1 with an absolute URL, which the archive answers as it is.
 */
#define PROXY_ADDR "10.0.2.100"
#define PROXY_PORT "3128"
/* between typed keys: the PS/2 queue is short and the guest slow */
#define TYPE_INTERVAL_MS 80

struct inst {
	struct hvt_case *c;
	struct hvt_vm *vm;
	struct hvt_screen *screen;
	struct hvt_needles needles;
	struct hvt_strv consoles;
	const char *ui;		/* text, gtk */
	const char *boot;	/* kernel, pxe */
	const char *network;	/* dhcp, manual */
	const char *until;	/* mirror (country), archive (the check), components */
	const char *script;	/* the walk as a program, run by the exec type */
	const char *archive;	/* archive_host: where the proxy's relay connects */
	char *kernel, *initrd;	/* the installer's, for the machine */
	char *append;		/* its command line (kernel boot) */
	long long timeout_ms;	/* plan key screen_timeout (s) */
	long long boot_ms;	/* plan key boot_timeout (s): for the first screen */
	/* the split of the walk's time: asserts (waiting + matching), input */
	double assert_s, match_s, input_s;
	int screens;
};

static void require(struct inst *t, const char *what, int ret, const struct hvt_err *err)
{
	hvt_case_require(t->c, what, ret == 0, "%s", ret ? err->msg : "");
}

/*
 * Wait for the screen tag; a miss ends the case naming the tag, the
 * closest needle and its score (hvt_screen_assert() saves the shot and
 * the difference images).
 */
static void expect(struct inst *t, const char *tag)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_match m;
	double t0 = hvt_now(), dt;
	int ret = hvt_screen_assert(t->screen, tag,
				    (int)(t->screens ? t->timeout_ms : t->boot_ms), &m, &err);
	char name[96];

	snprintf(name, sizeof(name), "screen %s", tag);
	dt = hvt_now() - t0;
	t->assert_s += dt;
	t->match_s += hvt_screen_latency(t->screen);
	t->screens++;
	if (ret == 0)
		hvt_case_metric(t->c, name, dt, "s");
	hvt_case_require(t->c, name, ret == 0, "%s %.4f%s%s", m.needle ? m.needle->name : "-",
			 m.similarity, ret ? ": " : "", ret ? err.msg : "");
}

static void key(struct inst *t, const char *combo)
{
	struct hvt_err err = HVT_ERR_INIT;
	double t0 = hvt_now();
	int ret = hvt_screen_send_key(t->screen, combo, &err);
	char what[64];

	snprintf(what, sizeof(what), "key %s", combo);
	t->input_s += hvt_now() - t0;
	require(t, what, ret, &err);
}

static void type(struct inst *t, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;
	double t0 = hvt_now();
	int ret = hvt_screen_type(t->screen, text, TYPE_INTERVAL_MS, &err);

	t->input_s += hvt_now() - t0;
	require(t, "type", ret, &err);
}

/* Replace a prefilled entry field's text: clear it, type, confirm. */
static void retype(struct inst *t, const char *text)
{
	for (int i = 0; i < 20; i++)
		key(t, "backspace");
	type(t, text);
	key(t, "ret");
}

/*
 * What the walk adds to the installer's command line (each with a space
 * before it): the manual network's switch; past the mirror, the suite,
 * since the archive's "stable" is no longer the release of this installer
 * (docs/INSTALL.md).
 */
static char *boot_args(const struct inst *t)
{
	return hvt_asprintf("%s%s", !strcmp(t->network, "manual") ?
			    " netcfg/disable_autoconfig=true" : "",
			    !strcmp(t->until, "components") ? " suite=bookworm" : "");
}

/* The walk: each screen asserted, then answered as a person would. */
static void walk(struct inst *t)
{
	bool manual = !strcmp(t->network, "manual");

	if (!strcmp(t->boot, "pxe")) {
		char *args = boot_args(t);

		expect(t, "di-boot-menu");
		if (args[0]) {
			/* the menu entry's command line, edited on the menu's own prompt */
			key(t, "tab");
			type(t, args);
		}
		free(args);
		key(t, "ret");
	}
	expect(t, "di-language");
	key(t, "ret");
	expect(t, "di-location");
	key(t, "ret");
	expect(t, "di-keymap");
	key(t, "ret");
	if (manual) {
		expect(t, "di-net-ip");
		type(t, GUEST_IP "\n");
		expect(t, "di-net-mask");
		key(t, "ret");
		expect(t, "di-net-gateway");
		retype(t, GATEWAY);
		expect(t, "di-net-dns");
		retype(t, NAMESERVER);
	}
	expect(t, "di-hostname");
	key(t, "ret");
	expect(t, "di-domain");
	key(t, "ret");
	expect(t, "di-mirror-country");
	if (!strcmp(t->until, "mirror"))
		return;
	key(t, "ret");
	expect(t, "di-mirror");
	key(t, "ret");
	expect(t, "di-proxy");
	if (!strcmp(t->until, "archive")) {
		key(t, "ret");
		/* the guest cannot resolve the archive's name (docs/INSTALL.md) */
		expect(t, "di-mirror-failed");
		return;
	}
	type(t, "http://" PROXY_ADDR ":" PROXY_PORT "/\n");
	/* the mirror passes its check; the archive lacks the components' .udeb files */
	expect(t, "di-components-failed");
}

static int one_of(const char *key, const char *val, const char *const *ok, struct hvt_err *err)
{
	for (const char *const *o = ok; *o; o++)
		if (!strcmp(val, *o))
			return 0;
	struct hvt_buf b = HVT_BUF_INIT;
	int ret;

	for (const char *const *o = ok; *o; o++)
		hvt_buf_addf(&b, "%s%s", o == ok ? "" : ", ", *o);
	ret = hvt_err_set(err, -EINVAL, "%s = %s: not one of the known values (%s)", key, val,
			  b.p);
	free(b.p);
	return ret;
}

/*
 * The user net, with the proxy's forward when the walk goes past the
 * mirror's check: QEMU runs the relay (di-relay.sh) for each connection
 * the guest opens to PROXY_ADDR:PROXY_PORT. Plan key archive_host
 * (deb.debian.org): where the relay connects (port 80). QEMU splits the
 * command as a shell would, so the script's path is quoted.
 */
static char *proxy_netdev(struct inst *t)
{
	char *relay, *opt;

	if (strcmp(t->until, "components"))
		return hvt_strdup("user,id=n0");
	relay = hvt_asprintf("bash '%s/suites/install/di-relay.sh' %s", HVT_SRCDIR, t->archive);
	opt = hvt_launch_opt_escape(relay);
	free(relay);
	relay = opt;
	opt = hvt_asprintf("user,id=n0,guestfwd=tcp:" PROXY_ADDR ":" PROXY_PORT "-cmd:%s", relay);
	free(relay);
	return opt;
}

/* The machine: kernel + initrd, or PXE from the netboot tree over QEMU's TFTP. */
static void machine_config(struct inst *t, struct hvt_vm_config *cfg, struct hvt_strv *extra)
{
	const char *root = hvt_case_param(t->c, "di_root", DI_ROOT);
	char *tree = hvt_asprintf("%s/%s", root, t->ui);
	char *pxe = hvt_asprintf("%s/pxelinux.0", tree);
	bool pxeboot = !strcmp(t->boot, "pxe");
	char *netdev = proxy_netdev(t), *args;

	t->kernel = hvt_asprintf("%s/debian-installer/amd64/linux", tree);
	t->initrd = hvt_asprintf("%s/debian-installer/amd64/initrd.gz", tree);
	if (access(pxeboot ? pxe : t->kernel, R_OK) || access(t->initrd, R_OK)) {
		hvt_case_skip(t->c, "the Debian installer (%s) is not installed: apt-get install "
			      "debian-installer-12-netboot-amd64", pxeboot ? pxe : t->kernel);
		free(tree);
		free(pxe);
		hvt_case_end(t->c);
	}
	cfg->name = "vm";
	cfg->vga = hvt_case_param(t->c, "display", "std");
	cfg->mem_mib = 1024;
	cfg->no_agent = true;
	cfg->no_tools = true;
	hvt_strv_push(extra, "-netdev");
	if (pxeboot) {
		/* the netboot tree is the TFTP root; its pxelinux.cfg shows the menu */
		char *tftp = hvt_launch_opt_escape(tree);

		hvt_strv_pushf(extra, "%s,tftp=%s,bootfile=pxelinux.0", netdev, tftp);
		hvt_strv_pushv(extra, (const char *const[]){ "-boot", "order=n", NULL });
		free(tftp);
		cfg->no_guest = true;
	} else {
		hvt_strv_push(extra, netdev);
		cfg->kernel = t->kernel;
		cfg->initrd = t->initrd;
		args = boot_args(t);
		t->append = hvt_asprintf("no_timer_check%s", args);
		cfg->append = t->append;
		free(args);
	}
	hvt_strv_pushv(extra, (const char *const[]){ "-device", "e1000,netdev=n0", NULL });
	cfg->extra = (const char *const *)extra->v;
	free(netdev);
	free(tree);
	free(pxe);
}

static int install_init(struct hvt_case *c, void **state, struct hvt_err *err)
{
	static const char *const uis[] = { "text", "gtk", NULL };
	static const char *const boots[] = { "kernel", "pxe", NULL };
	static const char *const nets[] = { "dhcp", "manual", NULL };
	static const char *const untils[] = { "mirror", "archive", "components", NULL };
	struct inst *t = hvt_zalloc(sizeof(*t));
	struct hvt_strv extra = HVT_STRV_INIT;
	struct hvt_vm_config cfg;
	struct hvt_screen_opts so = { 0 };
	const char *video;
	char *shots = NULL, *frames = NULL, *vnc = NULL;
	int ret;

	*state = t;
	t->c = c;
	t->ui = hvt_case_param(c, "ui", "text");
	t->boot = hvt_case_param(c, "boot", "kernel");
	t->network = hvt_case_param(c, "network", "dhcp");
	t->until = hvt_case_param(c, "until", "archive");
	t->script = hvt_case_param(c, "script", NULL);
	t->archive = hvt_case_param(c, "archive_host", "deb.debian.org");
	ret = one_of("ui", t->ui, uis, err);
	if (!ret)
		ret = one_of("boot", t->boot, boots, err);
	if (!ret)
		ret = one_of("network", t->network, nets, err);
	if (!ret)
		ret = one_of("until", t->until, untils, err);
	if (!ret && strspn(t->archive, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789.-") != strlen(t->archive))
		ret = hvt_err_set(err, -EINVAL, "archive_host = %s: not a host name", t->archive);
	if (!ret)
		ret = hvt_case_param_int(c, "screen_timeout", 300, &t->timeout_ms, err);
	if (!ret)
		ret = hvt_case_param_int(c, "boot_timeout", 900, &t->boot_ms, err);
	if (ret)
		return ret;
	t->timeout_ms *= 1000;
	t->boot_ms *= 1000;
	video = hvt_case_param(c, "video", "fail");
	if (strcmp(video, "keep") && strcmp(video, "fail") && strcmp(video, "no"))
		return hvt_err_set(err, -EINVAL, "video = %s: keep, fail or no", video);
	ret = hvt_needles_load_dir(&t->needles,
				   hvt_case_param(c, "needles",
						  HVT_SRCDIR "/suites/install/needles"), err);
	if (ret)
		return ret;

	hvt_vm_config_init(&cfg);
	machine_config(t, &cfg, &extra);
	t->vm = step_vm_new(c, &cfg, &t->consoles, err);
	hvt_strv_release(&extra);
	if (!t->vm)
		ret = err->code ? err->code : -EIO;
	if (!ret)
		ret = hvt_vm_start(t->vm, err);
	if (ret)
		return ret;

	shots = hvt_asprintf("%s/screens", c->workdir);
	if (strcmp(video, "no") && !t->script)
		frames = hvt_asprintf("%s/video-frames", c->workdir);
	vnc = hvt_vm_path(t->vm, "vnc.sock");
	so.vnc = vnc;
	so.vm = t->vm;
	so.needles = &t->needles;
	so.shots = shots;
	so.video_frames = frames;
	so.on_file = walk_on_file;
	so.ctx = t->c;
	ret = hvt_screen_open(&so, &t->screen, err);
	free(vnc);
	free(frames);
	free(shots);
	return ret;
}

static void install_run(struct hvt_case *c, void *state)
{
	struct inst *t = state;
	double t0 = hvt_now(), total, match_s;
	uint64_t pictures;

	hvt_case_check(c, "machine", true, "%s boot, %s installer, %s network", t->boot, t->ui,
		       t->network);
	if (t->script) {
		walk_script_run(c, t->vm, t->script);
		return;
	}
	walk(t);
	total = hvt_now() - t0;
	hvt_case_metric(c, "walk", total, "s");
	hvt_case_metric(c, "walk asserts (waiting + matching)", t->assert_s, "s");
	hvt_case_metric(c, "walk matching (frame to verdict)", t->match_s, "s");
	match_s = hvt_screen_match_seconds(t->screen, &pictures);
	hvt_case_metric(c, "walk matching (every picture)", match_s, "s");
	hvt_case_metric(c, "pictures matched", (double)pictures, "");
	hvt_case_metric(c, "walk input", t->input_s, "s");
	hvt_case_metric(c, "screens", t->screens, "");
	/* frames that changed while the walk watched: each was matched at least once */
	hvt_case_metric(c, "frames", hvt_screen_video_frames(t->screen), "");
}

static void install_cleanup(struct hvt_case *c, void *state)
{
	struct inst *t = state;
	struct hvt_err err = HVT_ERR_INIT;
	bool bad = hvt_outcome_bad(hvt_case_outcome(c));
	const char *video = hvt_case_param(c, "video", "fail");

	if (t->screen) {
		if (bad)
			hvt_screen_save(t->screen, "last-screen", &err);
		if (hvt_screen_video_frames(t->screen) > 1 &&
		    (!strcmp(video, "keep") || (bad && !strcmp(video, "fail")))) {
			char *path = hvt_asprintf("%s/video.mp4", c->workdir);

			if (!hvt_screen_video_encode(t->screen, path, &err))
				hvt_case_artifact(c, "video.mp4", "video.mp4");
			else
				hvt_case_check_skip(c, "video", "%s", err.msg);
			free(path);
		}
	}
	hvt_screen_free(t->screen);
	if (t->vm) {
		/* the installer is not shut down: the machine is killed */
		hvt_vm_kill(t->vm);
		hvt_vm_free(t->vm);
	}
	step_check_consoles(c, &t->consoles, NULL);
	hvt_strv_release(&t->consoles);
	hvt_needles_release(&t->needles);
	free(t->kernel);
	free(t->initrd);
	free(t->append);
	free(t);
}

static const struct hvt_test_type install_type = {
	.name = "install",
	.summary = "drive the Debian installer (netboot) through its screens, in C or by a script",
	.init = install_init,
	.run = install_run,
	.cleanup = install_cleanup,
};
HVT_TEST_TYPE(install_type)
