// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The screen suite on the real QEMU through "hvtest run": the text cases
 * pass and put their screenshots on the run's page, the typed case its
 * video, which covers the whole case (the BIOS at its start, the typed
 * line at its end); the Debian installer's graphical case passes (skipped
 * only when the installer is not installed); with a needle that
 * shows another screen (a broken control) the assert fails, naming the
 * needle and its score, and the failure's forensics (last screen, the
 * difference image, registers) are there. Clicks sent by "hvtest screen",
 * one connection each, all arrive. The needle and screen verbs'
 * bad input: one clear error naming the file, the tag or the socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

static char tmpdir[] = "/tmp/hvt-itest-screen-XXXXXX";
static char src[2048];
static bool have_guest;

static int group_setup(void **state)
{
	const char *s = getenv("HVT_SRCDIR");

	(void)state;
	snprintf(src, sizeof(src), "%s", s ? s : ".");
	if (!mkdtemp(tmpdir))
		return -1;
	if (itest_require_guest())
		return itest_missing_is_failure();
	have_guest = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	hvt_rm_rf(tmpdir);
	return 0;
}

static char *slurp(const char *path)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *data = NULL;
	size_t len;

	if (hvt_file_read(path, &data, &len, &err))
		return NULL;
	return data;
}

static void write_file(const char *path, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;

	itest_ok(hvt_file_write(path, text, strlen(text), &err), &err);
}

/* Run ffmpeg (its output to out); 0 when it exited 0. */
static int ffmpeg(const char *const *args, char **out)
{
	const char *argv[16] = { "ffmpeg", "-loglevel", "error", "-y" };
	size_t n = 4;

	for (; *args && n < HVT_ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return itest_run(argv, NULL, 120000, out);
}

/* Does needle (suites/screen/needles/NAME.json) match picture? */
static bool needle_matches(const char *name, const char *picture)
{
	char *json = hvt_asprintf("%s/suites/screen/needles/%s.json", src, name);
	const char *argv[] = { itest_hvtest(), "needle", "match", json, picture, NULL };
	char *out = NULL;
	int rc = itest_run(argv, NULL, 30000, &out);

	free(out);
	free(json);
	return rc == 0;
}

/*
 * The typed case's video (kept by its plan key) covers the whole case:
 * the BIOS's screen in its first seconds (the boot, before the case
 * looked at the screen), the typed line and its answer at its end. The
 * video shows the 720x400 text screen scaled into 1024x768 (1024x569, 99
 * rows down): frames are cut and scaled back for the needles.
 */
#define TEXT_FROM_VIDEO "crop=1024:569:0:99,scale=720:400"
static void check_video(const char *video)
{
	char *dir = hvt_asprintf("%s/frames", tmpdir), *pattern = hvt_asprintf("%s/f%%02d.png", dir);
	char *last = hvt_asprintf("%s/last.png", dir), *out = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	bool bios = false;

	itest_ok(hvt_mkdir_p(dir, 0755, &err), &err);
	{
		const char *args[] = { "-t", "15", "-i", video, "-vf", "fps=2," TEXT_FROM_VIDEO,
				       pattern, NULL };

		if (ffmpeg(args, &out))
			fail_msg("ffmpeg: %s", out);
		free(out);
	}
	for (int i = 1; i <= 30 && !bios; i++) {
		char *f = hvt_asprintf("%s/f%02d.png", dir, i);

		bios = hvt_path_exists(f) && needle_matches("seabios-boot", f);
		free(f);
	}
	if (!bios)
		fail_msg("no frame of the video's first 15 s shows the BIOS (%s)", video);
	{
		const char *args[] = { "-sseof", "-0.5", "-i", video, "-vf", TEXT_FROM_VIDEO,
				       "-update", "1", last, NULL };

		if (ffmpeg(args, &out))
			fail_msg("ffmpeg: %s", out);
		free(out);
	}
	if (!needle_matches("tty-typed", last))
		fail_msg("the video's last frame does not show the typed line (%s)", last);
	hvt_rm_rf(dir);
	free(last);
	free(pattern);
	free(dir);
}

/*
 * The text cases pass; the page shows the assert screenshots and the
 * typed case's video.
 */
static void test_text_cases(void **state)
{
	char *cfg = hvt_asprintf("%s/suites/screen/screen.cfg", src);
	char *res = hvt_asprintf("%s/res-ok", tmpdir);
	const char *argv[] = { itest_hvtest(), "run", "-j", "2", "--results", res, cfg, "text",
			       NULL };
	char *out = NULL, *page, *path, *video;
	int rc;

	ITEST_NEED(have_guest);
	rc = itest_run(argv, NULL, 600000, &out);
	if (rc)
		fail_msg("hvtest run: %d\n%s", rc, out);
	path = hvt_asprintf("%s/run-1/report.html", res);
	page = slurp(path);
	assert_non_null(page);
	assert_non_null(strstr(page, "assert-seabios-boot-ok.png\" alt=\"screenshot\""));
	assert_non_null(strstr(page, "assert-tty-typed-ok.png\" alt=\"screenshot\""));
	video = strstr(page, "<video controls preload=\"none\" src=\"file://");
	if (!video || !strstr(video, "video.mp4\""))
		fail_msg("no video on the page %s", path);
	free(page);
	free(path);
	video = hvt_asprintf("%s/run-1/2.1/video.mp4", res);
	check_video(video);
	free(video);
	free(out);
	free(res);
	free(cfg);
}

#define DI_INITRD "/usr/lib/debian-installer/images/12/amd64/gtk/debian-installer/amd64/initrd.gz"

/*
 * The installer's graphical case: the language screen at 1024x768, the
 * PS/2 pointer from each corner to a target across it within
 * log2(1024) + 3 moves. Skipped only without the installer package.
 */
static void test_installer_case(void **state)
{
	char *cfg = hvt_asprintf("%s/suites/screen/screen.cfg", src);
	char *res = hvt_asprintf("%s/res-di", tmpdir);
	const char *argv[] = { itest_hvtest(), "run", "--results", res, cfg, "installer", NULL };
	char *out = NULL, *page, *path;
	int rc;

	ITEST_NEED(have_guest);
	if (!hvt_path_exists(DI_INITRD)) {
		fprintf(stderr, "the Debian installer (%s) is not installed: "
			"apt-get install debian-installer-12-netboot-amd64\n", DI_INITRD);
		skip();
	}
	rc = itest_run(argv, NULL, 1200000, &out);
	if (rc)
		fail_msg("hvtest run: %d\n%s", rc, out);
	path = hvt_asprintf("%s/run-1/report.html", res);
	page = slurp(path);
	assert_non_null(page);
	assert_non_null(strstr(page, "assert-di-language-ok.png\" alt=\"screenshot\""));
	assert_non_null(strstr(page, "pointer-at-last-target.png"));
	free(page);
	free(path);
	free(out);
	free(res);
	free(cfg);
}

/*
 * An installer kernel that panics (no init) never shows the language
 * screen: the assert fails as soon as the display goes (panic=1 reboots,
 * QEMU's -no-reboot ends it), saying so, with the last screen on the
 * page, long before screen_timeout.
 */
static void test_installer_panic(void **state)
{
	char *res = hvt_asprintf("%s/res-panic", tmpdir);
	char *plan = hvt_asprintf("%s/panic.cfg", tmpdir);
	char *body = hvt_asprintf("include %s/suites/screen/screen.cfg\nonly installer\n"
				  "di_append = vga=788 panic=1 rdinit=/no-such-init\n", src);
	const char *argv[] = { itest_hvtest(), "run", "--results", res, plan, NULL };
	char *out = NULL, *page, *path;
	int rc;

	ITEST_NEED(have_guest);
	if (!hvt_path_exists(DI_INITRD))
		skip();
	write_file(plan, body);
	rc = itest_run(argv, NULL, 1200000, &out);
	assert_int_not_equal(rc, 0);
	if (!strstr(out, "check screen di-language") || !strstr(out, "the display is gone"))
		fail_msg("the failure does not say the display went:\n%s", out);
	path = hvt_asprintf("%s/run-1/report.html", res);
	page = slurp(path);
	assert_non_null(page);
	assert_non_null(strstr(page, "last-screen.png"));
	free(page);
	free(path);
	free(out);
	free(body);
	free(plan);
	free(res);
}

/*
 * The installer's language screen under the tag "seabios-boot" (needle
 * file wrong-screen): the assert fails, naming the needle, with the
 * failure's forensics on the page.
 */
static void test_wrong_needle(void **state)
{
	char *needles = hvt_asprintf("%s/needles", tmpdir);
	char *res = hvt_asprintf("%s/res-bad", tmpdir);
	char *plan = hvt_asprintf("%s/bad.cfg", tmpdir);
	char *from = hvt_asprintf("%s/suites/screen/needles/di-language", src);
	char *to = hvt_asprintf("%s/wrong-screen", needles);
	const char *argv[] = { itest_hvtest(), "run", "--results", res, plan, NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *json, *tag, *fixed, *body, *out = NULL, *page, *p;
	int rc;

	ITEST_NEED(have_guest);
	itest_ok(hvt_mkdir_p(needles, 0755, &err), &err);
	p = hvt_asprintf("%s.json", from);
	json = slurp(p);
	free(p);
	assert_non_null(json);
	tag = strstr(json, "\"di-language\"");
	assert_non_null(tag);
	fixed = hvt_asprintf("%.*s\"seabios-boot\"%s", (int)(tag - json), json, tag + 13);
	p = hvt_asprintf("%s.json", to);
	write_file(p, fixed);
	free(p);
	{
		char *pf = hvt_asprintf("%s.png", from), *pt = hvt_asprintf("%s.png", to);
		const char *cp[] = { "cp", pf, pt, NULL };

		assert_int_equal(itest_run(cp, NULL, 10000, &out), 0);
		free(out);
		free(pt);
		free(pf);
	}
	body = hvt_asprintf("include %s/suites/screen/screen.cfg\nonly text.console\n"
			    "needles = %s\nscreen_timeout = 5\n", src, needles);
	write_file(plan, body);
	rc = itest_run(argv, NULL, 600000, &out);
	assert_int_not_equal(rc, 0);
	if (!strstr(out, "screen seabios-boot") || !strstr(out, "wrong-screen"))
		fail_msg("the failure does not name the check and the needle:\n%s", out);
	free(out);
	p = hvt_asprintf("%s/run-1/report.html", res);
	page = slurp(p);
	assert_non_null(page);
	assert_non_null(strstr(page, "last-screen.png"));
	assert_non_null(strstr(page, "assert-seabios-boot-diff-wrong-screen-area0.png"));
	assert_non_null(strstr(page, "registers.txt"));
	free(page);
	free(p);
	free(body);
	free(fixed);
	free(json);
	free(to);
	free(from);
	free(plan);
	free(res);
	free(needles);
}

/*
 * "hvtest screen click 1 X Y", one VNC connection a call, 20 times in a
 * row on a machine with a USB tablet: QEMU's input trace must show every
 * press and every release. Closing the connection while QEMU still
 * sends picture updates made QEMU drop the client before it read the
 * release (8 of 20 lost when measured): the button then stays down.
 */
static void test_cli_clicks_arrive(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_vm_config cfg;
	struct hvt_vm *vm;
	char *trace = hvt_asprintf("%s/input-trace.log", tmpdir);
	const char *extra[] = { "-trace", "input_event_btn", "-D", trace, NULL };
	char *vnc, *log = NULL;
	int clicks = 20;

	(void)state;
	hvt_vm_config_init(&cfg);
	cfg.name = "clicks";
	cfg.no_guest = true;
	cfg.no_agent = true;
	cfg.no_tools = true;
	cfg.vga = "std";
	cfg.tablet = true;
	cfg.extra = extra;
	vm = hvt_vm_new(&cfg, &err);
	itest_ok(vm ? 0 : -1, &err);
	itest_ok(hvt_vm_start(vm, &err), &err);
	vnc = hvt_vm_path(vm, "vnc.sock");
	for (int i = 0; i < clicks; i++) {
		char x[16];
		const char *argv[] = { itest_hvtest(), "screen", "--vnc", vnc, "click", "1", x,
				       "100", NULL };
		char *out = NULL;

		snprintf(x, sizeof(x), "%d", 100 + i);
		assert_int_equal(itest_run(argv, NULL, 30000, &out), 0);
		free(out);
	}
	hvt_vm_quit(vm, 10000, &err);
	hvt_vm_free(vm);
	itest_ok(hvt_file_read(trace, &log, NULL, &err), &err);
	assert_int_equal(itest_count_str(log, "button left, down 1"), clicks);
	assert_int_equal(itest_count_str(log, "button left, down 0"), clicks);
	free(log);
	free(vnc);
	free(trace);
}

/* Bad input: each a clear error naming what was wrong. */
static void test_bad_input(void **state)
{
	char *json = hvt_asprintf("%s/broken.json", tmpdir);
	char *png = hvt_asprintf("%s/broken.png", tmpdir);
	char *shot = hvt_asprintf("%s/suites/screen/needles/seabios-boot.png", src);
	char *out = NULL;
	int rc;

	(void)state;
	write_file(json, "{\"tags\": [\"x\"], \"area\": [{\"xpos\": 1, \"ypos\": 1}]}");
	write_file(png, "this is not a picture");
	{
		const char *argv[] = { itest_hvtest(), "needle", "match", json, shot, NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "broken.json"));
		assert_non_null(strstr(out, "width"));
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "needle", "new", png, "--tag", "t", "--area",
				       "0,0,10,10", "--dir", tmpdir, NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "broken.png: not a PNG"));
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "needle", "new", shot, "--tag", "t", "--area",
				       "700,390,100,100", "--dir", tmpdir, NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "outside its 720x400 image"));
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "screen", "--workdir", tmpdir, "grab", png,
				       NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "vnc.sock: no VNC socket"));
		free(out);
	}
	{
		char *needles = hvt_asprintf("%s/suites/screen/needles", src);
		const char *argv[] = { itest_hvtest(), "screen", "--workdir", tmpdir, "--needles",
				       needles, "assert", "no-such-tag", NULL };

		rc = itest_run(argv, NULL, 30000, &out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "no needle has the tag \"no-such-tag\""));
		free(out);
		free(needles);
	}
	free(shot);
	free(png);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_cli_clicks_arrive),
		cmocka_unit_test(test_text_cases),
		cmocka_unit_test(test_installer_case),
		cmocka_unit_test(test_installer_panic),
		cmocka_unit_test(test_wrong_needle),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
