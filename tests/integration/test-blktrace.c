// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block traces end to end, through the hvtest command on the real QEMU:
 * traces captured from two workloads of the default guest replay
 * identically on qcow2 and raw (and on a second image in the same case);
 * the suite's plan passes as committed (its qcow2 cases, raw among them as
 * second targets); a dropped request and a device whose I/O fails
 * make the checks fail, naming the request; a
 * replayed image serves as the reference of a replay by another QEMU
 * binary; bad input (a malformed line, a missing image, an operation the
 * device does not offer, QEMU killed) ends in a clear error, with no
 * QEMU left and nothing left in the temporary directory.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "itest.h"

static const char *const blktrace_progs[] = { "qemu-img", NULL };
static struct itest_group g = {
	.name = "hvt-itest-blktrace", .qemu = true, .progs = blktrace_progs, .guest = true,
};

static int group_setup(void **state)
{
	return itest_group_setup(&g, state);
}

static char *path(const char *name)
{
	return hvt_asprintf("%s/%s", g.tmpdir, name);
}

static void write_text(const char *file, const char *text)
{
	struct hvt_err err = HVT_ERR_INIT;

	itest_ok(hvt_file_write(file, text, strlen(text), &err), &err);
}

/* Entries of a directory (0 when it is empty or missing). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * Run hvtest with argv (after "hvtest") from the directory cwd (NULL: here),
 * TMPDIR pointing at a directory of its own that must be empty afterwards;
 * returns the exit status, *out its output.
 */
static int hvtest(const char *const *args, const char *cwd, int timeout_ms, char **out)
{
	struct hvt_strv argv = HVT_STRV_INIT;
	struct hvt_err err = HVT_ERR_INIT;
	char *tmp = path("tmp"), *tmp_env = hvt_asprintf("TMPDIR=%s", tmp);
	char *log = path("hvtest.out");
	const char *env[] = { tmp_env, "HVT_WORKDIR=", NULL };
	struct hvt_proc_opts o = { 0 };
	struct hvt_proc_status st;
	struct hvt_proc *p;
	int rc;

	itest_ok(hvt_mkdir_p(tmp, 0755, &err), &err);
	hvt_strv_push(&argv, itest_hvtest());
	hvt_strv_pushv(&argv, args);
	o.argv = (const char *const *)argv.v;
	o.env = env;
	o.cwd = cwd;
	o.stdout_path = o.stderr_path = log;
	unlink(log);
	p = hvt_proc_spawn(&o, &err);
	if (!p)
		fail_msg("spawn hvtest: %s", err.msg);
	if (hvt_proc_wait(p, timeout_ms, &st)) {
		hvt_proc_free(p);
		fail_msg("hvtest %s did not finish within %d ms", args[0], timeout_ms);
	}
	hvt_proc_free(p);
	itest_ok(hvt_file_read(log, out, NULL, &err), &err);
	if (strstr(*out, "LeakSanitizer") || strstr(*out, "AddressSanitizer") ||
	    strstr(*out, "runtime error: "))
		fail_msg("hvtest %s: the sanitizers found a defect:\n%s", args[0], *out);
	rc = st.exited ? st.code : 128 + st.sig;
	if (entries(tmp))
		fail_msg("hvtest %s left %d files in its TMPDIR %s:\n%s", args[0], entries(tmp),
			 tmp, *out);
	hvt_strv_release(&argv);
	unlink(log);
	free(log);
	free(tmp_env);
	free(tmp);
	return rc;
}

/* Run the plan text (file name.cfg, results in name-results); the run's cases as JSON. */
static struct json_object *run_plan(const char *name, const char *text, const char *filter,
				    struct json_object **doc, int *rc)
{
	char *plan = hvt_asprintf("%s/%s.cfg", g.tmpdir, name);
	char *results = hvt_asprintf("%s/%s-results", g.tmpdir, name);
	const char *run[] = { "run", "-j", "2", "--results", results, plan, filter, NULL };
	const char *show[] = { "results", "--results", results, "show", "latest", "--json", NULL };
	struct hvt_err err = HVT_ERR_INIT;
	char *out = NULL, *json = NULL;

	write_text(plan, text);
	*rc = hvtest(run, NULL, 600000, &out);
	if (hvtest(show, NULL, 60000, &json) || !(*doc = hvt_json_parse(json, &err)))
		fail_msg("results show: %s\n%s\nrun:\n%s", err.msg, json, out);
	fprintf(stderr, "%s", out);
	assert_int_equal(itest_wait_no_qemu(g.tmpdir, 10000), 0);
	free(out);
	free(json);
	free(results);
	free(plan);
	return hvt_json_get(*doc, "cases");
}

/* Check name of the case shortname: its status must be status and its message hold want. */
static void want_check(struct json_object *cases, const char *shortname, const char *name,
			 const char *status, const char *want)
{
	struct json_object *c = itest_find_case(cases, shortname), *checks = hvt_json_get(c, "checks");

	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		struct json_object *k = json_object_array_get_idx(checks, i);
		const char *msg = hvt_json_get_str(k, "message");

		if (strcmp(hvt_json_get_str(k, "name"), name))
			continue;
		if (strcmp(hvt_json_get_str(k, "status"), status) || (want && !strstr(msg, want)))
			fail_msg("%s: check %s %s '%s', expected %s with '%s'", shortname, name,
				 hvt_json_get_str(k, "status"), msg, status, want ? want : "");
		return;
	}
	fail_msg("%s: no check %s", shortname, name);
}

/* The case shortname must have ended with outcome, and its reason hold want (may be NULL). */
static void want_case(struct json_object *cases, const char *shortname, const char *outcome,
			const char *want)
{
	struct json_object *c = itest_find_case(cases, shortname);
	const char *got = hvt_json_get_str(c, "outcome"), *reason = hvt_json_get_str(c, "reason");

	if (strcmp(got, outcome) || (want && (!reason || !strstr(reason, want))))
		fail_msg("%s: outcome %s (%s), expected %s with '%s'", shortname, got,
			 reason ? reason : "", outcome, want ? want : "");
}

static void capture(const char *workload, const char *out)
{
	const char *argv[] = { "trace", "capture", "--workload", workload, "-o", out, NULL };
	char *log = NULL;
	int rc = hvtest(argv, NULL, 900000, &log);

	if (rc)
		fail_msg("hvtest trace capture --workload %s: %d\n%s", workload, rc, log);
	/* the summary: the workload wrote, flushed and discarded */
	if (!strstr(log, "  write ") || !strstr(log, "  flush ") || !strstr(log, "  discard "))
		fail_msg("capture %s: a write, a flush and a discard expected:\n%s", workload, log);
	free(log);
	assert_int_equal(itest_wait_no_qemu(g.tmpdir, 10000), 0);
}

/* Two workloads captured from the guest replay identically on qcow2 and raw. */
static void test_capture_replay(void **state)
{
	char *mkfs = path("mkfs-copy.trace"), *fio = path("fio-mixed.trace"), *text;
	struct json_object *doc, *cases;
	int rc;

	(void)state;
	ITEST_NEED(g.have_guest);
	capture("mkfs-copy", mkfs);
	capture("fio-mixed", fio);
	text = hvt_asprintf("type = qtest-block-trace\n"
			    "variants:\n"
			    "    - mkfs:\n        tracefile = %s\n"
			    "    - fio:\n        tracefile = %s\n"
			    "variants:\n"
			    "    - qcow2:\n        target_fmt = qcow2\n"
			    "    - raw:\n        target_fmt = raw\n"
			    "    - cross:\n        queue_depth = 4\n        second_fmt = raw\n"
			    "        second_cache = writethrough\n", mkfs, fio);
	cases = run_plan("captured", text, NULL, &doc, &rc);
	assert_int_equal(json_object_array_length(cases), 6);
	for (size_t i = 0; i < 6; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);

		if (strcmp(hvt_json_get_str(c, "outcome"), "pass"))
			fail_msg("%s: %s (%s)", hvt_json_get_str(c, "name"),
				 hvt_json_get_str(c, "outcome"), hvt_json_get_str(c, "reason"));
	}
	assert_int_equal(rc, 0);
	want_check(cases, "qcow2.mkfs", "image-identical", "pass", "are identical");
	want_check(cases, "raw.fio", "read-data", "pass", "sectors match");
	want_check(cases, "cross.fio", "targets-identical", "pass", "are identical");
	json_object_put(doc);
	free(text);
	free(mkfs);
	free(fio);
}

/*
 * The suite's plan as committed, from the source tree (its paths are
 * relative): every trace and mode on qcow2, raw as the cross cases' second
 * image; the raw first targets repeat them and are left to the plan's own
 * runs to keep this short.
 */
static void test_suite_plan(void **state)
{
	char *results = path("suite-results"), *out = NULL;
	const char *argv[] = { "run", "-j", "2", "--results", results,
			       "suites/qtest/blktrace.cfg", "only replay", "only qcow2", NULL };
	int rc;

	(void)state;
	ITEST_NEED(g.have_progs);
	rc = hvtest(argv, g.src, 900000, &out);
	if (rc || !strstr(out, " 0 fail, 0 error,"))
		fail_msg("hvtest run suites/qtest/blktrace.cfg: %d\n%s", rc, out);
	assert_int_equal(itest_wait_no_qemu(g.tmpdir, 10000), 0);
	free(out);
	free(results);
}

/*
 * Controls: a request left out and a device whose I/O fails must fail the
 * checks, naming the request; a replayed image is a reference for the same
 * trace replayed by another QEMU binary (a wrapper that logs its use).
 */
static void test_controls(void **state)
{
	char *ops = hvt_asprintf("%s/suites/qtest/traces/all-ops.trace", g.src);
	char *dbg = path("blkdebug.cfg"), *wrap = path("qemu-wrapper"), *log = path("wrapper.log");
	char *ref = path("reference.qcow2"), *text, *wrap_text, *used = NULL;
	struct hvt_err err = HVT_ERR_INIT;
	struct json_object *doc, *cases;
	int rc;

	(void)state;
	ITEST_NEED(g.have_progs);
	write_text(dbg, "[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\n");
	wrap_text = hvt_asprintf("#!/bin/sh\necho \"$@\" >> %s\nexec %s \"$@\"\n", log,
				 hvt_qemu_binary());
	write_text(wrap, wrap_text);
	assert_int_equal(chmod(wrap, 0755), 0);
	text = hvt_asprintf("type = qtest-block-trace\ntracefile = %s\n"
			    "variants:\n"
			    /* request 12 writes 4 KiB inside a discarded range; 13 reads it */
			    "    - drop:\n        replay_drop = 12\n"
			    "    - failing_io:\n        target_fmt = raw\n"
			    "        target_drive_opts = file.driver=blkdebug,file.config=%s\n"
			    "    - reference:\n        target_img = %s\n", ops, dbg, ref);
	{
		const char *create[] = { "qemu-img", "create", "-q", "-f", "qcow2", ref, "4M",
					 NULL };

		itest_ok(hvt_proc_run(create, 30000, NULL, &err), &err);
	}
	cases = run_plan("controls", text, NULL, &doc, &rc);
	assert_int_equal(rc, 1);
	want_case(cases, "drop", "fail", NULL);
	want_check(cases, "drop", "read-data", "fail", "request 13 (line 20: read 2097152 "
		     "1048576): sector 5120 holds zeros, expected the data of request 12");
	want_check(cases, "drop", "image-identical", "fail", "the first differing request is "
		     "request 12 (line 19: write 2621440 4096)");
	want_case(cases, "failing_io", "fail", NULL);
	want_check(cases, "failing_io", "request-status", "fail", "status 1 (IOERR), "
		     "expected OK");
	want_check(cases, "reference", "image-identical", "pass", NULL);
	json_object_put(doc);
	free(text);
	/* the image replayed there is the reference for another QEMU binary, on raw */
	text = hvt_asprintf("type = qtest-block-trace\ntracefile = %s\ntarget_fmt = raw\n"
			    "target_qemu = %s\ncomparison_img = %s\ncomparison_fmt = qcow2\n"
			    "variants:\n    - other_qemu:\n", ops, wrap, ref);
	cases = run_plan("other-qemu", text, NULL, &doc, &rc);
	assert_int_equal(rc, 0);
	want_check(cases, "other_qemu", "image-identical", "pass", "reference.qcow2 are "
		     "identical");
	itest_ok(hvt_file_read(log, &used, NULL, &err), &err);
	assert_non_null(strstr(used, "-qtest unix:"));
	json_object_put(doc);
	free(used);
	free(text);
	free(wrap_text);
	free(ref);
	free(log);
	free(wrap);
	free(dbg);
	free(ops);
}

/* Bad input: clear errors, QEMU gone, nothing left behind. */
static void test_bad_input(void **state)
{
	char *ops = hvt_asprintf("%s/suites/qtest/traces/all-ops.trace", g.src);
	char *bad = path("bad.trace"), *odd = path("odd.trace"), *long_trace = path("long.trace");
	char *killer = path("qemu-killer"), *text, *killer_text;
	struct hvt_buf b = HVT_BUF_INIT;
	struct json_object *doc, *cases;
	int rc;

	(void)state;
	ITEST_NEED(g.have_progs);
	write_text(bad, "hvtest blktrace 1\n0 write 0 4096\n5 wrte 4096 4096\n");
	write_text(odd, "fio version 2 iolog\n/dev/vdb add\n/dev/vdb write 100 512\n");
	hvt_buf_addf(&b, "hvtest blktrace 1\nsize 16777216\n");
	for (int i = 0; i < 20000; i++)
		hvt_buf_addf(&b, "- %s %d 4096\n", i % 2 ? "read" : "write", (i * 4096) % 16777216);
	write_text(long_trace, b.p);
	hvt_buf_release(&b);
	/* kills QEMU 3 s after its start: during the start or the replay */
	killer_text = hvt_asprintf("#!/bin/sh\ncase \"$*\" in *'-accel help'*) exec %s \"$@\";; "
				   "esac\n(sleep 3; kill -9 $$) &\nexec %s \"$@\"\n",
				   hvt_qemu_binary(), hvt_qemu_binary());
	write_text(killer, killer_text);
	assert_int_equal(chmod(killer, 0755), 0);
	text = hvt_asprintf("type = qtest-block-trace\n"
			    "variants:\n"
			    "    - malformed:\n        tracefile = %s\n"
			    "    - unaligned:\n        tracefile = %s\n"
			    "    - no_trace:\n        tracefile = %s/none.trace\n"
			    "    - no_image:\n        tracefile = %s\n"
			    "        target_img = %s/none.qcow2\n"
			    "    - no_discard:\n        tracefile = %s\n"
			    "        blk_device_opts = discard=off\n"
			    "    - bad_fmt:\n        tracefile = %s\n        target_fmt = vmdk\n"
			    "    - killed:\n        tracefile = %s\n        target_qemu = %s\n",
			    bad, odd, g.tmpdir, ops, g.tmpdir, ops, ops, long_trace, killer);
	cases = run_plan("bad", text, NULL, &doc, &rc);
	assert_int_equal(rc, 1);
	want_case(cases, "malformed", "error", "bad.trace:3: expected an operation (read, "
		    "write, flush, discard, write-zeroes), got 'wrte'");
	want_case(cases, "unaligned", "error", "odd.trace:3: write at 100 of 512 bytes: "
		    "virtio-blk addresses whole 512-byte sectors");
	want_case(cases, "no_trace", "error", "none.trace: No such file or directory");
	want_case(cases, "no_image", "error", "target_img ");
	want_case(cases, "no_image", "error", "none.qcow2: No such file or directory");
	want_case(cases, "no_discard", "error", "all-ops.trace:18: discard, which this device "
		    "does not offer (VIRTIO_BLK_F_DISCARD not in its features");
	want_case(cases, "bad_fmt", "error", "parameter target_fmt: 'vmdk' is not one of "
		    "qcow2 raw");
	want_case(cases, "killed", "error", "was killed by signal 9 (SIGKILL)");
	json_object_put(doc);
	free(text);
	free(killer_text);
	free(killer);
	free(long_trace);
	free(odd);
	free(bad);
	free(ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_suite_plan),
		cmocka_unit_test(test_capture_replay),
	};

	return cmocka_run_group_tests(tests, group_setup, itest_group_teardown);
}
