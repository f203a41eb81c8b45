// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The default guest's VGA text screen. The guest kernel keeps the text
 * SeaBIOS left there (its console is serial only), so needles match what
 * the BIOS drew; keys typed over VNC reach a shell on tty1, which answers
 * on the serial console. In text_typed the kernel's console is the VGA
 * text screen too (console=tty0) and the shell answers there: the typed
 * line and its answer are checked on the screen by a needle.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "screentest.h"

#define SH_TIMEOUT_MS 30000
/* between typed keys: the PS/2 keyboard's queue holds 16 bytes */
#define TYPE_INTERVAL_MS 40
#define CONSOLE_POLL_MS 100

/*
 * The default guest with its kernel's messages on the VGA text console
 * too. Its usual kernel (vmlinux, entered directly: PVH) never learns of
 * the VGA text mode, so its VGA console is the dummy one; the compressed
 * kernel next to it goes through the real-mode setup, which finds it.
 */
int sc_text_typed_config(struct st *t, struct hvt_vm_config *cfg, struct hvt_err *err)
{
	int ret = hvt_guest_locate(&t->guest, err);

	if (ret)
		return ret;
	/* the last console= is /dev/console: the serial one, as usual */
	t->append = hvt_asprintf("console=tty0 %s", t->guest.append);
	t->kernel = hvt_asprintf("%s/vmlinuz", t->guest.dir);
	cfg->kernel = t->kernel;
	cfg->initrd = t->guest.initrd;
	cfg->append = t->append;
	return 0;
}

/*
 * An interactive shell reading tty1 (the keyboard), answering on ttyS0,
 * or on_screen: on tty1 itself, with the screen cleared and the kernel's
 * messages kept off it (dmesg -n 1).
 */
static void start_shell(struct st *t, bool on_screen)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qga_exec_result res = { 0 };
	char *cmd = on_screen ? hvt_strdup("dmesg -n 1; setsid sh -c 'printf \"\\033[H\\033[J\"; "
					     "exec sh' </dev/tty1 >/dev/tty1 2>&1 &")
			      : hvt_strdup("setsid sh -c 'exec sh </dev/tty1 >/dev/ttyS0 2>&1' "
					     "</dev/null >/dev/null 2>&1 &");
	int ret = hvt_vm_sh(t->vm, cmd, SH_TIMEOUT_MS, &res, &err);

	hvt_case_require(t->c, "shell on tty1", ret == 0 && res.exit_code == 0, "%s",
			 ret ? err.msg : "started");
	hvt_qga_exec_result_release(&res);
	free(cmd);
}

/*
 * Wait for text in the console log. A file gives no event, so it is read
 * every CONSOLE_POLL_MS until the deadline.
 */
static bool console_shows(struct st *t, const char *text)
{
	int64_t deadline = hvt_deadline_after((int)t->timeout_ms);

	for (;;) {
		char *tail = hvt_vm_console_tail(t->vm, 20);
		bool seen = tail && strstr(tail, text);
		struct timespec ts = { 0, CONSOLE_POLL_MS * 1000000L };

		free(tail);
		if (seen)
			return true;
		if (hvt_ms_left(deadline) <= 0)
			return false;
		nanosleep(&ts, NULL);
	}
}

void sc_text_console(struct st *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	int ret;

	st_assert(t, "seabios-boot");
	start_shell(t, false);
	/* shifted characters and the shell's arithmetic: HV-42-ok only if all arrived */
	ret = hvt_screen_type(t->screen, "echo HV-$((6*7))-ok\n", TYPE_INTERVAL_MS, &err);
	st_require(t, "type_string", ret, &err);
	hvt_case_check(t->c, "typed line ran", console_shows(t, "HV-42-ok"),
		       "HV-42-ok on the console");
	/* combinations: shift-x is an X, and ret ends the line */
	ret = hvt_screen_type(t->screen, "echo key-", TYPE_INTERVAL_MS, &err);
	if (!ret)
		ret = hvt_screen_send_key(t->screen, "shift-x", &err);
	if (!ret)
		ret = hvt_screen_send_key(t->screen, "ret", &err);
	st_require(t, "send_key", ret, &err);
	hvt_case_check(t->c, "shift-x typed X", console_shows(t, "key-X"), "key-X on the console");
	ret = hvt_screen_wait_still(t->screen, 1000, (int)t->timeout_ms, &err);
	st_require(t, "wait_still_screen", ret, &err);
	st_assert(t, "seabios-boot");
	st_refute(t, "di-language");
}

void sc_text_screendump(struct st *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	int ret;

	hvt_case_require(t->c, "source is screendump",
			 !strcmp(hvt_screen_source(t->screen), "screendump"), "%s",
			 hvt_screen_source(t->screen));
	st_assert(t, "seabios-boot");
	st_refute(t, "di-language");
	/* input goes through VNC: without it, a clear refusal */
	ret = hvt_screen_send_key(t->screen, "ret", &err);
	hvt_case_check(t->c, "send_key needs VNC", ret == -ENOTSUP && strstr(err.msg, "VNC"),
		       "%d %s", ret, err.msg);
}

/*
 * type_string verified where the screen echoes: the line typed on tty1,
 * echoed by the terminal, and the shell's answer, both found on the VGA
 * text screen by the needle tty-typed (not there before the typing).
 */
void sc_text_typed(struct st *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	int ret;

	start_shell(t, true);
	ret = hvt_screen_wait_still(t->screen, 1000, (int)t->timeout_ms, &err);
	st_require(t, "wait_still_screen", ret, &err);
	st_refute(t, "tty-typed");
	ret = hvt_screen_type(t->screen, "echo HV-$((6*7))-ok\n", TYPE_INTERVAL_MS, &err);
	st_require(t, "type_string", ret, &err);
	st_assert(t, "tty-typed");
}
