// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Integration tests of the qtest client and suite against the real QEMU:
 * memory and port I/O, pipelining, a QEMU that dies mid-test, an unknown
 * device, record and replay, work directories, how QEMU ends at teardown,
 * the shell, and the whole qtest plan through hvtest run.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

/* ---- helpers for the tests below ---- */

/* A fresh directory for a test (removed by the test). */
static char *test_dir(const char *name)
{
	char *d = hvt_asprintf("/tmp/hvt-itest-%s-XXXXXX", name);

	assert_non_null(mkdtemp(d));
	return d;
}

/*
 * A stand-in for QEMU: dir/qemu-wrap.sh runs the real QEMU, and when it
 * starts a qtest machine first writes its arguments, one a line, to
 * dir/args.log (not those of other QEMUs, e.g. the accelerator probe).
 * With HVT_WRAP_CRASH=1 in its environment a qtest machine ends like a
 * QEMU that crashes while it is torn down: QEMU exits cleanly on SIGTERM, then the wrapper
 * (the process hvtest started) kills itself with SIGABRT.
 */
static char *write_wrapper(const char *dir)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *qemu = hvt_which(hvt_qemu_binary());
	char *path = hvt_asprintf("%s/qemu-wrap.sh", dir);
	char *text;

	assert_non_null(qemu);
	text = hvt_asprintf("#!/bin/sh\n"
			    "case \" $* \" in\n"
			    "*\" -qtest \"*)\n"
			    "\tfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done >> '%s/args.log'\n"
			    "\tif [ \"$HVT_WRAP_CRASH\" = 1 ]; then\n"
			    "\t\ttrap '' TERM\n"
			    "\t\t'%s' \"$@\"\n"
			    "\t\techo 'wrapper: a crash while devices go away' >&2\n"
			    "\t\tkill -ABRT $$\n"
			    "\tfi\n"
			    "\t;;\n"
			    "esac\n"
			    "exec '%s' \"$@\"\n", dir, qemu, qemu);
	itest_ok(hvt_file_write(path, text, strlen(text), &err), &err);
	assert_int_equal(chmod(path, 0755), 0);
	free(text);
	free(qemu);
	return path;
}

/*
 * Every file QEMU was given (in the wrapper's log: sockets, firmware,
 * images) must lie under dir. Empties the log.
 */
static void check_paths_under(const char *log, const char *dir)
{
	char *text = NULL, *save = NULL;
	size_t dl = strlen(dir);
	int n = 0;

	if (hvt_file_read(log, &text, NULL, NULL))
		fail_msg("QEMU was not started through the wrapper (%s)", log);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *p = NULL;

		if (!strncmp(l, "unix:", 5))
			p = l + 5;
		else if (strstr(l, "file="))
			p = strstr(l, "file=") + 5;
		else if (l[0] == '/')
			p = l;
		if (!p)
			continue;
		p[strcspn(p, ",")] = '\0';
		if (!strcmp(p, "/dev/null"))
			continue;
		n++;
		if (strncmp(p, dir, dl) || p[dl] != '/')
			fail_msg("QEMU was given %s, outside the work directory %s", p, dir);
	}
	assert_true(n > 0);
	free(text);
	assert_int_equal(truncate(log, 0), 0);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static bool exists(const char *dir, const char *name)
{
	char *p = hvt_asprintf("%s/%s", dir, name);
	bool r = access(p, F_OK) == 0;

	free(p);
	return r;
}

/* The environment the tests change, as it was at the start. */
static char *saved_workdir, *saved_keep;

/* Put back what a test changed in the environment, also when it failed half-way. */
static int restore_env(void **state)
{
	if (saved_workdir)
		setenv("HVT_WORKDIR", saved_workdir, 1);
	else
		unsetenv("HVT_WORKDIR");
	if (saved_keep)
		setenv("HVT_KEEP", saved_keep, 1);
	else
		unsetenv("HVT_KEEP");
	unsetenv("HVT_WRAP_CRASH");
	return 0;
}

static void start_use_free(const struct hvt_qtest_opts *opts)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest *q = hvt_qtest_start(opts, &err);
	uint8_t b;

	itest_ok(q ? 0 : err.code, &err);
	itest_ok(hvt_qtest_readb(q, 0, &b, &err), &err);
	hvt_qtest_free(q);
}

/*
 * Run argv to its end with stdin read from a file holding input; *out
 * gets stdout and stderr. Returns the exit code (128+signal).
 */
static int run_with_input(const char *const *argv, const char *input, int timeout_ms,
			  char **out)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *dir = test_dir("in");
	char *in = hvt_asprintf("%s/stdin", dir), *outp = hvt_asprintf("%s/out", dir);
	struct hvt_proc_opts o = { .argv = argv, .stdin_path = in, .stdout_path = outp,
				   .stderr_path = outp };
	struct hvt_proc_status st;
	struct hvt_proc *p;

	itest_ok(hvt_file_write(in, input, strlen(input), &err), &err);
	p = hvt_proc_spawn(&o, &err);
	itest_ok(p ? 0 : err.code, &err);
	if (hvt_proc_wait(p, timeout_ms, &st)) {
		hvt_proc_free(p);
		fail_msg("%s did not finish within %d ms", argv[1], timeout_ms);
	}
	hvt_proc_free(p);
	itest_ok(hvt_file_read(outp, out, NULL, &err), &err);
	hvt_rm_rf(dir);
	free(in);
	free(outp);
	free(dir);
	return st.exited ? st.code : 128 + st.sig;
}

/* ---- work directories (nothing outside them, nothing left behind) ---- */

static void test_workdir(void **state)
{
	char *dir = test_dir("qtwd");
	char *wrap = write_wrapper(dir);
	char *log = hvt_asprintf("%s/args.log", dir);
	char *wd = hvt_asprintf("%s/work", dir), *given = hvt_asprintf("%s/given", dir);
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .qemu = wrap };

	itest_ok(hvt_mkdir_p(wd, 0755, &err), &err);
	setenv("HVT_WORKDIR", wd, 1);
	unsetenv("HVT_KEEP");

	/* No work directory given: one under HVT_WORKDIR, gone afterwards. */
	start_use_free(&opts);
	check_paths_under(log, wd);
	assert_int_equal(count_entries(wd), 0);

	/* HVT_KEEP (as the runner sets it in a case): kept, but still there. */
	setenv("HVT_KEEP", "1", 1);
	start_use_free(&opts);
	check_paths_under(log, wd);
	assert_int_equal(count_entries(wd), 1);
	hvt_rm_rf(wd);
	itest_ok(hvt_mkdir_p(wd, 0755, &err), &err);
	/* "0" means do not keep, as everywhere else. */
	setenv("HVT_KEEP", "0", 1);
	start_use_free(&opts);
	check_paths_under(log, wd);
	assert_int_equal(count_entries(wd), 0);
	unsetenv("HVT_KEEP");

	/* A work directory given: everything in it; its sockets go, QEMU's stderr stays. */
	opts.workdir = given;
	start_use_free(&opts);
	check_paths_under(log, given);
	assert_true(exists(given, "qemu.stderr"));
	assert_false(exists(given, "qtest.sock"));
	assert_false(exists(given, "qmp.sock"));
	assert_int_equal(count_entries(wd), 0);

	hvt_rm_rf(dir);
	free(wd);
	free(given);
	free(log);
	free(wrap);
	free(dir);
}

static void test_client(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .machine = "pc" };
	struct hvt_qtest *q = hvt_qtest_start(&opts, &err);
	uint8_t buf[64], back[64];
	uint32_t v[100];
	bool big = true;

	itest_ok(q ? 0 : err.code, &err);
	itest_ok(hvt_qtest_endianness(q, &big, &err), &err);
	assert_false(big);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	itest_ok(hvt_qtest_memwrite(q, 0x10000, buf, sizeof(buf), &err), &err);
	itest_ok(hvt_qtest_memread_hex(q, 0x10000, back, sizeof(back), &err), &err);
	assert_memory_equal(buf, back, sizeof(buf));
	hvt_qtest_batch_begin(q);
	for (uint32_t i = 0; i < 100; i++) {
		hvt_qtest_writel(q, 0x20000 + 4 * i, i * 3, &err);
		hvt_qtest_readl(q, 0x20000 + 4 * i, &v[i], &err);
	}
	itest_ok(hvt_qtest_batch_end(q, &err), &err);
	assert_int_equal(v[99], 297);
	assert_int_equal(hvt_qtest_irq_intercept_in(q, "/machine/nope", &err), -EREMOTEIO);
	assert_non_null(strstr(err.msg, "Unknown device"));
	/* QEMU gone mid-test: a clear error saying how it ended. */
	hvt_qmp_send(hvt_qtest_qmp(q), "quit", NULL, &err);
	usleep(300000);
	assert_true(hvt_qtest_outb(q, 0x80, 0, &err) < 0);
	assert_non_null(strstr(err.msg, "QEMU"));
	hvt_qtest_free(q);
}

static void test_bad_device(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *const args[] = { "-device", "no-such-device", NULL };
	struct hvt_qtest_opts opts = { .args = args };
	struct hvt_qtest *q = hvt_qtest_start(&opts, &err);

	assert_null(q);
	assert_non_null(strstr(err.msg, "no-such-device"));
}

static void test_record_replay(void **state)
{
	char dir[] = "/tmp/hvt-itest-qtest-XXXXXX";
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .machine = "q35", .no_qmp = true };
	struct hvt_qtest *q;
	char *trace, *out = NULL;
	uint32_t v;

	assert_non_null(mkdtemp(dir));
	trace = hvt_asprintf("%s/t.trace", dir);
	opts.record = trace;
	q = hvt_qtest_start(&opts, &err);
	itest_ok(q ? 0 : err.code, &err);
	itest_ok(hvt_qtest_writel(q, 0x3000, 0xabcdef, &err), &err);
	itest_ok(hvt_qtest_readl(q, 0x3000, &v, &err), &err);
	/* PCI host bridge ID: the same on every run. */
	itest_ok(hvt_qtest_outl(q, 0xcf8, 0x80000000, &err), &err);
	itest_ok(hvt_qtest_inl(q, 0xcfc, &v, &err), &err);
	assert_int_equal(v, 0x29c08086);
	hvt_qtest_free(q);
	{
		const char *argv[] = { itest_hvtest(), "qtest", "replay", trace, NULL };

		assert_int_equal(itest_run(argv, NULL, 60000, &out), 0);
		assert_non_null(strstr(out, "all 4 replies matched"));
		free(out);
	}
	free(trace);
	hvt_rm_rf(dir);
}

/* virtio-pci modern and a split queue against a real device: the balloon's inflate queue. */
static void test_virtio(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	const char *const args[] = { "-device", "virtio-balloon-pci", NULL };
	struct hvt_qtest_opts opts = { .machine = "q35", .args = args };
	struct hvt_qtest *q = hvt_qtest_start(&opts, &err);
	struct hvt_qpci_alloc alloc = HVT_QPCI_ALLOC_INIT;
	struct hvt_qmem *mem = hvt_qmem_new(HVT_QMEM_X86_START, HVT_QMEM_X86_SIZE);
	struct hvt_qpci_dev pci;
	struct hvt_qvirtio_dev d;
	struct hvt_qvirtq vq, bad;
	struct hvt_qvirtq_buf buf = { 0 };
	uint64_t page;
	uint32_t pages = 1, len = 1;
	uint16_t head, id = 0xFFFF;
	uint8_t status = 0;

	itest_ok(q ? 0 : err.code, &err);
	itest_ok(hvt_qvirtio_find(q, HVT_VIRTIO_ID_BALLOON, 0, &pci, &err), &err);
	assert_int_equal(hvt_qvirtio_find(q, HVT_VIRTIO_ID_BLOCK, 0, &pci, &err), -ENODEV);
	itest_ok(hvt_qvirtio_find(q, HVT_VIRTIO_ID_BALLOON, 0, &pci, &err), &err);
	itest_ok(hvt_qvirtio_open(&d, &pci, &alloc, &err), &err);
	assert_true(d.num_queues >= 2);
	itest_ok(hvt_qvirtio_negotiate(&d, 0, &err), &err);
	assert_int_equal(d.features, HVT_VIRTIO_F_VERSION_1);
	itest_ok(hvt_qvirtq_setup(&d, &vq, 0, 16, mem, &err), &err);
	assert_int_equal(vq.size, 16);
	assert_int_equal(hvt_qvirtq_setup(&d, &bad, 99, 0, mem, &err), -ENOENT);
	itest_ok(hvt_qvirtio_driver_ok(&d, &err), &err);
	itest_ok(hvt_qvirtio_get_status(&d, &status, &err), &err);
	assert_int_equal(status & 0x0F, 0x0F);
	itest_ok(hvt_qvirtio_config_readl(&d, 0, &pages, &err), &err);
	assert_int_equal(pages, 0);
	assert_int_equal(hvt_qvirtio_config_readl(&d, 0x1000, &pages, &err), -EINVAL);
	/* Nothing added: nothing comes back. */
	itest_ok(hvt_qvirtq_kick(&vq, &err), &err);
	assert_int_equal(hvt_qvirtq_wait(&vq, 100, &id, &len, &err), -ETIMEDOUT);
	/* One page frame number, as the inflate queue takes them. */
	assert_int_equal(hvt_qmem_alloc(mem, 4096, 4096, &page), 0);
	itest_ok(hvt_qtest_writel(q, page, (uint32_t)(page >> 12), &err), &err);
	buf.addr = page;
	buf.len = 4;
	for (int i = 0; i < 40; i++) {	/* more than the queue size: descriptors are reused */
		itest_ok(hvt_qvirtq_add(&vq, &buf, 1, &head, &err), &err);
		itest_ok(hvt_qvirtq_kick(&vq, &err), &err);
		itest_ok(hvt_qvirtq_wait(&vq, 5000, &id, &len, &err), &err);
		assert_int_equal(id, head);
		assert_int_equal(len, 0);
		assert_int_equal(vq.nfree, 16);
	}
	hvt_qvirtq_release(&vq);
	hvt_qmem_dealloc(mem, page);
	assert_int_equal(hvt_qmem_used(mem), 0);
	itest_ok(hvt_qvirtio_reset(&d, &err), &err);
	hvt_qmem_free(mem);
	hvt_qtest_free(q);
}

/* ---- how QEMU ended, at teardown ---- */

static void count_quit(void *opaque, int rc, const struct hvt_err *err)
{
	int *n = opaque;

	n[0]++;
	n[1] = rc;
}

static void test_teardown_status(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_qtest_opts opts = { .machine = "pc" };
	char *dir = test_dir("qtquit"), *wrap = write_wrapper(dir);
	struct hvt_qtest *q;
	int calls[2] = { 0, 1 };

	/* A clean shutdown. */
	q = hvt_qtest_start(&opts, &err);
	itest_ok(q ? 0 : err.code, &err);
	hvt_qtest_on_quit(q, count_quit, calls);
	itest_ok(hvt_qtest_quit(q, 0, &err), &err);
	assert_int_equal(calls[0], 1);
	assert_int_equal(calls[1], 0);
	hvt_qtest_free(q);
	assert_int_equal(calls[0], 1);

	/* QEMU killed just before teardown: freeing tells the hook. */
	q = hvt_qtest_start(&opts, &err);
	itest_ok(q ? 0 : err.code, &err);
	hvt_qtest_on_quit(q, count_quit, calls);
	assert_int_equal(kill(hvt_qtest_pid(q), SIGSEGV), 0);
	hvt_qtest_free(q);
	assert_int_equal(calls[0], 2);
	assert_int_equal(calls[1], -ECHILD);

	/* QEMU crashing on the way out, what it printed in the message. */
	setenv("HVT_WRAP_CRASH", "1", 1);
	opts.qemu = wrap;
	q = hvt_qtest_start(&opts, &err);
	itest_ok(q ? 0 : err.code, &err);
	assert_int_equal(hvt_qtest_quit(q, 0, &err), -ECHILD);
	/* The launcher's report: "QEMU (pid N) was killed by ...:\n" and QEMU's stderr. */
	assert_non_null(strstr(err.msg, "QEMU (pid "));
	assert_non_null(strstr(err.msg, ") was killed by signal 6 (SIGABRT)"));
	assert_non_null(strstr(err.msg, ":\nwrapper: a crash while devices go away"));
	/* The same answer again; commands fail once it is shut down. */
	assert_int_equal(hvt_qtest_quit(q, 0, &err), -ECHILD);
	assert_int_equal(hvt_qtest_outb(q, 0x80, 0, &err), -ESHUTDOWN);
	hvt_qtest_free(q);
	free(wrap);
	hvt_rm_rf(dir);
	free(dir);
}

/* ---- the qtest plan, and a QEMU that crashes at teardown ---- */

static void test_plan(void **state)
{
	char *dir = test_dir("qtest-res");
	char *wrap = write_wrapper(dir);
	char *log = hvt_asprintf("%s/args.log", dir);
	const char *src = getenv("HVT_SRCDIR");
	char *plan, *results, *out = NULL, *wrap_env = hvt_asprintf("HVT_QEMU=%s", wrap);
	const char *const env[] = { wrap_env, NULL };
	int rc;

	plan = hvt_asprintf("%s/suites/qtest/qtest.cfg", src ? src : ".");
	results = hvt_asprintf("--results=%s/res", dir);
	{
		const char *argv[] = { itest_hvtest(), "run", "-j2", results, plan, NULL };

		rc = itest_run(argv, env, 300000, &out);
	}
	if (rc)
		fail_msg("hvtest run %s: %d\n%s", plan, rc, out);
	assert_non_null(strstr(out, "22 pass"));
	/* Every socket, firmware and image of every case was in the results. */
	check_paths_under(log, dir);
	assert_int_equal(itest_wait_no_qemu(dir, 5000), 0);
	free(out);
	free(plan);
	free(results);
	free(wrap_env);
	free(log);
	free(wrap);
	hvt_rm_rf(dir);
	free(dir);
}

static void test_plan_teardown_crash(void **state)
{
	char *dir = test_dir("qtest-crash");
	char *wrap = write_wrapper(dir);
	const char *src = getenv("HVT_SRCDIR");
	char *plan, *results, *out = NULL, *wrap_env = hvt_asprintf("HVT_QEMU=%s", wrap);
	const char *const env[] = { wrap_env, "HVT_WRAP_CRASH=1", NULL };
	int rc;

	plan = hvt_asprintf("%s/suites/qtest/qtest.cfg", src ? src : ".");
	results = hvt_asprintf("--results=%s/res", dir);
	{
		/* a type of this suite's own files, and one whose file is another's (rtc) */
		const char *argv[] = { itest_hvtest(), "run", results, plan,
				       "only pc.pci, pc.rtc.time_bcd", NULL };

		rc = itest_run(argv, env, 120000, &out);
	}
	if (rc != 1 || !strstr(out, "2 cases: 0 pass, 2 fail"))
		fail_msg("hvtest run: %d\n%s", rc, out);
	free(out);
	{
		const char *argv[] = { itest_hvtest(), "results", results, "show", "latest",
				       "--json", NULL };

		assert_int_equal(itest_run(argv, NULL, 60000, &out), 0);
	}
	/* Both cases failed on how QEMU ended, and only on that. */
	assert_non_null(strstr(out, "{\"name\":\"qemu-exit\",\"status\":\"fail\",\"message\":"
				    "\"QEMU (pid "));
	assert_non_null(strstr(strstr(out, "qemu-exit"), ") was killed by signal 6"));
	assert_non_null(strstr(strstr(out, "qemu-exit") + 1, "qemu-exit"));
	free(out);
	free(plan);
	free(results);
	free(wrap_env);
	free(wrap);
	hvt_rm_rf(dir);
	free(dir);
}

/* ---- hvtest qtest shell ---- */

static void test_shell_validation(void **state)
{
	const char *argv[] = { itest_hvtest(), "qtest", "shell", NULL };
	char *out = NULL;
	int rc;

	/* Each of these made QEMU abort; refused, the session goes on. */
	rc = run_with_input(argv,
			    "outb 0x80\n"
			    "outb  0x80 0x1\n"
			    "no_such_command 1\n"
			    "inb 0x10000\n"
			    "readl 0x1g\n"
			    "\n"
			    "readb 0x0\n", 60000, &out);
	if (!strstr(out, "OK 0x0000000000000000"))
		fail_msg("the session did not go on:\n%s", out);
	assert_non_null(strstr(out, "outb 0x80:"));
	assert_non_null(strstr(out, "outb  0x80 0x1:"));
	assert_non_null(strstr(out, "no_such_command 1:"));
	assert_non_null(strstr(out, "inb 0x10000:"));
	assert_non_null(strstr(out, "readl 0x1g:"));
	/* Refused lines make the exit status 1; QEMU itself ended well. */
	assert_int_equal(rc, 1);
	assert_null(strstr(out, "signal"));
	free(out);
}

static void test_shell_irq(void **state)
{
	const char *argv[] = { itest_hvtest(), "qtest", "shell", NULL };
	char *out = NULL, *raise, *lower;
	int rc;

	rc = run_with_input(argv,
			    "irq_intercept_in ioapic\n"
			    "set_irq_in ioapic unnamed-gpio-in 5 1\n"
			    "set_irq_in ioapic unnamed-gpio-in 5 0\n"
			    "set_irq_in ioapic unnamed-gpio-in 5 1\n"
			    "readb 0x0\n", 60000, &out);
	if (rc)
		fail_msg("exit status %d:\n%s", rc, out);
	raise = strstr(out, "IRQ raise 5\n");
	lower = strstr(out, "IRQ lower 5\n");
	if (!raise || !lower || lower < raise || !strstr(lower, "IRQ raise 5\n"))
		fail_msg("IRQ lines missing or out of order:\n%s", out);
	free(out);
}

/* The QMP socket is printed and free for another client while the shell runs. */
static void test_shell_qmp(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *dir = test_dir("qtshell");
	char *fifo = hvt_asprintf("%s/in", dir), *outp = hvt_asprintf("%s/out", dir);
	const char *argv[] = { itest_hvtest(), "qtest", "shell", NULL };
	struct hvt_proc_opts o = { .argv = argv, .stdin_path = fifo, .stdout_path = outp,
				   .stderr_path = outp };
	int64_t deadline = hvt_now_ms() + 30000;
	struct hvt_proc_status st;
	struct hvt_proc *p;
	char *out = NULL, *sock = NULL, *qout = NULL;
	int fd;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* Opened for reading too, so that the shell's open does not wait for a writer. */
	fd = open(fifo, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	p = hvt_proc_spawn(&o, &err);
	itest_ok(p ? 0 : err.code, &err);
	while (!sock && hvt_ms_left(deadline)) {
		char *at;

		free(out);
		out = NULL;
		hvt_file_read(outp, &out, NULL, NULL);
		at = out ? strstr(out, "QMP socket ") : NULL;
		if (at && strchr(at, '\n'))
			sock = hvt_strndup(at + 11, strcspn(at + 11, " \n"));
		else
			usleep(50000);
	}
	if (!sock)
		fail_msg("no QMP socket printed:\n%s", out ? out : "");
	{
		const char *qargv[] = { itest_hvtest(), "qmp", "--timeout", "10", sock,
					"query-status", NULL };

		assert_int_equal(itest_run(qargv, NULL, 30000, &qout), 0);
		assert_non_null(strstr(qout, "running"));
	}
	assert_int_equal(write(fd, "readb 0x0\n", 10), 10);
	close(fd);
	assert_int_equal(hvt_proc_wait(p, 30000, &st), 0);
	hvt_proc_free(p);
	free(out);
	out = NULL;
	itest_ok(hvt_file_read(outp, &out, NULL, &err), &err);
	assert_true(st.exited && st.code == 0);
	assert_non_null(strstr(out, "OK 0x0000000000000000"));
	free(out);
	free(qout);
	free(sock);
	free(fifo);
	free(outp);
	hvt_rm_rf(dir);
	free(dir);
}

/* A QEMU someone else started with a qtest server socket. */
static struct hvt_proc *start_qtest_server(const char *dir, char **sock)
{
	struct hvt_err err = HVT_ERR_INIT;
	char *fw = hvt_asprintf("%s/halt.fw", dir), *chardev;
	struct hvt_proc *p;
	int64_t deadline = hvt_now_ms() + 15000;

	*sock = hvt_asprintf("%s/qtest.sock", dir);
	chardev = hvt_asprintf("unix:%s,server=on,wait=off", *sock);
	itest_ok(hvt_fw_write_halt(fw, &err), &err);
	{
		const char *argv[] = { hvt_qemu_binary(), "-machine", "q35", "-accel", "tcg",
				       "-bios", fw, "-nodefaults", "-display", "none",
				       "-qtest", chardev, NULL };
		struct hvt_proc_opts o = { .argv = argv };

		p = hvt_proc_spawn(&o, &err);
		itest_ok(p ? 0 : err.code, &err);
	}
	while (access(*sock, F_OK) && hvt_ms_left(deadline))
		usleep(20000);
	assert_int_equal(access(*sock, F_OK), 0);
	free(chardev);
	free(fw);
	return p;
}

static void test_shell_attach(void **state)
{
	char *dir = test_dir("qtattach");
	struct hvt_proc_status st;
	struct hvt_proc *qemu;
	char *sock, *out = NULL;
	int rc;

	qemu = start_qtest_server(dir, &sock);
	for (int i = 0; i < 2; i++) {	/* the second time: QEMU outlived the first shell */
		/* options anywhere: before the verb, after it */
		const char *argv1[] = { itest_hvtest(), "qtest", "shell", "--attach", sock, NULL };
		const char *argv2[] = { itest_hvtest(), "qtest", "--attach", sock, "shell", NULL };

		rc = run_with_input(i ? argv2 : argv1,
				    "outl 0xcf8 0x80000000\n"
				    "inl 0xcfc\n"
				    "outb 0x80\n"
				    "irq_intercept_in ioapic\n"
				    "set_irq_in ioapic unnamed-gpio-in 7 1\n", 60000, &out);
		if (!strstr(out, "OK 0x29c08086") || !strstr(out, "IRQ raise 7"))
			fail_msg("attach %d: exit status %d:\n%s", i, rc, out);
		assert_int_equal(rc, 1);	/* outb 0x80 was refused */
		assert_int_equal(hvt_proc_poll(qemu, &st), 0);
		free(out);
	}
	{
		/* A machine option makes no sense with --attach. */
		const char *argv[] = { itest_hvtest(), "qtest", "shell", "--attach", sock,
				       "--qemu", "/bin/true", NULL };

		assert_int_equal(run_with_input(argv, "", 30000, &out), 2);
		free(out);
	}
	hvt_proc_stop(qemu, 5000, &st);
	hvt_proc_free(qemu);
	free(sock);
	hvt_rm_rf(dir);
	free(dir);
}

static void test_cli_options(void **state)
{
	char *dir = test_dir("qtopts");
	char *trace = hvt_asprintf("%s/t.trace", dir), *rec = hvt_asprintf("--record=%s", trace);
	char *qemu = hvt_which(hvt_qemu_binary());
	char *out = NULL;

	{
		/* Options before the verb; a trace recorded on q35. */
		const char *argv[] = { itest_hvtest(), "qtest", "--machine", "q35", rec, "shell",
				       NULL };

		assert_int_equal(run_with_input(argv, "outl 0xcf8 0x80000000\ninl 0xcfc\n", 60000,
						&out), 0);
		assert_non_null(strstr(out, "OK 0x29c08086"));
		free(out);
	}
	{
		/* Options after the file; "--" ends options. */
		const char *argv1[] = { itest_hvtest(), "qtest", "replay", trace, "--qemu", qemu,
					NULL };
		const char *argv2[] = { itest_hvtest(), "qtest", "replay", "--", trace, NULL };

		assert_int_equal(itest_run(argv1, NULL, 60000, &out), 0);
		assert_non_null(strstr(out, "all 2 replies matched"));
		free(out);
		assert_int_equal(itest_run(argv2, NULL, 60000, &out), 0);
		assert_non_null(strstr(out, "all 2 replies matched"));
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "qtest", "shell", "extra", NULL };

		assert_int_equal(itest_run(argv, NULL, 30000, &out), 2);
		free(out);
	}
	{
		const char *argv[] = { itest_hvtest(), "qtest", "--help", NULL };

		assert_int_equal(itest_run(argv, NULL, 30000, &out), 0);
		assert_non_null(strstr(out, "--attach"));
		free(out);
	}
	free(qemu);
	free(rec);
	free(trace);
	hvt_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const char *wd = getenv("HVT_WORKDIR"), *keep = getenv("HVT_KEEP");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_bad_device),
		cmocka_unit_test(test_record_replay),
		cmocka_unit_test(test_virtio),
		cmocka_unit_test_teardown(test_workdir, restore_env),
		cmocka_unit_test(test_shell_validation),
		cmocka_unit_test(test_shell_irq),
		cmocka_unit_test(test_shell_qmp),
		cmocka_unit_test(test_shell_attach),
		cmocka_unit_test(test_cli_options),
		cmocka_unit_test_teardown(test_teardown_status, restore_env),
		cmocka_unit_test(test_plan_teardown_crash),
		cmocka_unit_test(test_plan),
	};

	saved_workdir = wd ? hvt_strdup(wd) : NULL;
	saved_keep = keep ? hvt_strdup(keep) : NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
