// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt on the default guest: the daemon module against a real
 * libvirtd (bad input, its own host UUID, kill leaves nothing), then
 * "hvtest run -j 2" on a CI share of suites/libvirt/libvirt.cfg (every
 * control method, every source/destination set-up, a failure, a skipped
 * version combination) and the checks its cases must record; last, a
 * SIGKILLed hvtest leaves no daemon and no QEMU behind, and the next case
 * removes the directory it left.
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "itest.h"
#include "libvirtd.h"

static const char *const libvirt_progs[] = { "libvirtd", "tini", NULL };
/* a short directory name: the daemons' sockets live below it (sun_path) */
static struct itest_group g = {
	.name = "hlv", .plan = "suites/libvirt/libvirt.cfg", .guest = true,
	.progs = libvirt_progs, .hint = "scripts/deps installs it", .mode = 0755,
};

static int group_setup(void **state)
{
	return itest_group_setup(&g, state);
}

/* The module alone: errors name their input; a daemon starts, answers, dies whole. */
static void test_daemon(void **state)
{
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_libvirtd *a, *b;
	unsigned int flags;
	enum hvt_domain_control ctl;
	char *da = hvt_asprintf("%s/a", g.tmpdir), *db = hvt_asprintf("%s/b", g.tmpdir);
	pid_t pid;

	(void)state;
	ITEST_NEED(g.have_progs);
	/* bad input */
	assert_null(hvt_libvirtd_new(&(struct hvt_libvirtd_opts){ .dir = da,
							      .user = "no-such-user-x" }, &err));
	assert_non_null(strstr(err.msg, "no user 'no-such-user-x'"));
	assert_null(hvt_libvirtd_new(&(struct hvt_libvirtd_opts){ .dir = da,
							      .prefix = "/nonexistent" }, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/sbin/libvirtd"));
	assert_null(hvt_libvirtd_new(&(struct hvt_libvirtd_opts){ .dir = da, .port_min = 80 },
				     &err));
	assert_non_null(strstr(err.msg, "port range"));
	assert_int_equal(hvt_domain_flags_parse("PERSIST|BOGUS", &flags, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'BOGUS'"));
	itest_ok(hvt_domain_flags_parse("UNDEFINE_SOURCE|PERSIST", &flags, &err), &err);
	assert_int_equal(flags, VIR_MIGRATE_UNDEFINE_SOURCE | VIR_MIGRATE_PERSIST_DEST);
	assert_int_equal(hvt_domain_control_parse("p3p", &ctl, &err), -EINVAL);
	assert_null(hvt_domain_xml(&(struct hvt_domain_spec){ .name = "a<b", .type = "qemu",
							     .kernel = "k", .initrd = "i" }, &err));
	assert_non_null(strstr(err.msg, "a<b"));

	/* two daemons: each its own host UUID, healthy, empty */
	a = hvt_libvirtd_new(&(struct hvt_libvirtd_opts){ .name = "a", .dir = da,
							  .port_min = 49400, .port_max = 49407 }, &err);
	assert_non_null(a);
	b = hvt_libvirtd_new(&(struct hvt_libvirtd_opts){ .name = "b", .dir = db,
							  .port_min = 49408, .port_max = 49415 }, &err);
	assert_non_null(b);
	assert_string_not_equal(hvt_libvirtd_host_uuid(a), hvt_libvirtd_host_uuid(b));
	itest_ok(hvt_libvirtd_start(a, 120000, &err), &err);
	itest_ok(hvt_libvirtd_start(b, 120000, &err), &err);
	itest_ok(hvt_libvirtd_check(a, &err), &err);
	itest_ok(hvt_libvirtd_clean(a, 10000, &err), &err);
	assert_int_equal(hvt_libvirtd_count_qemu(a), 0);
	assert_null(hvt_libvirtd_dest_protocol(a));
	/* killed: the check says so; started again, it answers */
	pid = hvt_libvirtd_pid(b);
	assert_true(pid > 0);
	assert_int_equal(hvt_libvirtd_kill(b), 0);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_not_equal(hvt_libvirtd_check(b, &err), 0);
	itest_ok(hvt_libvirtd_start(b, 120000, &err), &err);
	itest_ok(hvt_libvirtd_check(b, &err), &err);
	itest_ok(hvt_libvirtd_stop(a, 15000, &err), &err);
	hvt_libvirtd_free(a);
	hvt_libvirtd_free(b);
	free(da);
	free(db);
}

/* The CI share: every control method, every source/destination set-up, a failure, a skip. */
static const char ci_filter[] =
	"only matrix.normal.transient_running.no_domain.undefine_source, "
	"matrix.p2p.transient_running.persistent_inactive.persist, "
	"matrix.p2p_tunnelled.persistent_running.no_domain.undefine_source, "
	"matrix.normal.persistent_running.persistent_inactive.undefine_source_persist, "
	"matrix.p2p.transient_paused.no_domain.persist, "
	"matrix.p2p_tunnelled.transient_paused.persistent_inactive.persist, "
	"matrix.normal.persistent_paused.no_domain.undefine_source, "
	"matrix.p2p.persistent_paused.persistent_inactive.undefine_source_persist, "
	"failure.abort.p2p_tunnelled, versions.old_destination.normal";
#define CI_CASES 10

/* The TCK's ten checks, by the names each matrix case records. */
static const char *const tck_checks[] = {
	"source defined", "source started", "destination defined", "migration succeeded",
	"source no longer active", "source config as expected", "destination exists",
	"destination active", "destination persistent as expected",
	"destination state as expected",
};

/* The cases' hvt-lv-* directories there are now (hvtest runs with TMPDIR=the group directory). */
static void list_roots(struct hvt_strv *sv)
{
	struct dirent *e;
	DIR *d = opendir(g.tmpdir);

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "hvt-lv-", 7))
			hvt_strv_pushf(sv, "%s/%s", g.tmpdir, e->d_name);
	if (d)
		closedir(d);
}

/* The first hvt-lv-* directory not in before (caller frees), or NULL. */
static char *new_root(const struct hvt_strv *before)
{
	struct hvt_strv now = HVT_STRV_INIT;
	char *found = NULL;

	list_roots(&now);
	for (size_t i = 0; i < now.n && !found; i++) {
		size_t j;

		for (j = 0; j < before->n && strcmp(before->v[j], now.v[i]); j++)
			;
		if (j == before->n)
			found = hvt_strdup(now.v[i]);
	}
	hvt_strv_release(&now);
	return found;
}

/* Processes whose command line names root (the daemons, tini, unshare, QEMU). */
static int count_processes(const char *root)
{
	const char *argv[] = { "pgrep", "-f", root, NULL };
	char *out = NULL;
	int n = 0;

	if (hvt_proc_run(argv, 10000, &out, NULL) == 0)
		for (char *p = out; p && *p; p++)
			n += *p == '\n';
	free(out);
	return n;
}

static void test_ci_share(void **state)
{
	char *results = hvt_asprintf("%s/results", g.tmpdir), *out = NULL;
	char *tmpenv = hvt_asprintf("TMPDIR=%s", g.tmpdir);
	const char *env[] = { tmpenv, NULL };
	const char *argv[] = { itest_hvtest(), "run", "-j", "2", "--timeout", "1200",
			       "--results", results, g.plan_path, ci_filter, NULL };
	struct hvt_strv before = HVT_STRV_INIT;
	struct json_object *doc, *cases, *c;
	char *left;

	(void)state;
	ITEST_NEED(g.have_guest);
	list_roots(&before);
	doc = itest_run_results(argv, env, 2400000, results, &out);
	cases = hvt_json_get(doc, "cases");
	assert_int_equal(json_object_array_length(cases), CI_CASES);
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *k = json_object_array_get_idx(cases, i);
		const char *name = hvt_json_get_str(k, "shortname");
		const char *want = strncmp(name, "versions.", 9) ? "pass" : "skip";

		if (strcmp(hvt_json_get_str(k, "outcome"), want))
			fail_msg("%s: %s, not %s:\n%s", name, hvt_json_get_str(k, "outcome"), want,
				 out);
		if (strncmp(name, "matrix.", 7))
			continue;
		/* the TCK's ten, and what a user needs beyond them */
		for (size_t j = 0; j < HVT_ARRAY_SIZE(tck_checks); j++)
			if (!itest_has_check(k, tck_checks[j], "pass"))
				fail_msg("%s: no passed check '%s'", name, tck_checks[j]);
		assert_true(itest_has_check(k, "agent answers on the destination", "pass"));
		assert_true(itest_has_check(k, "destination: guest RAM data survived", "pass"));
		assert_true(itest_has_check(k, "destination: guest disk data survived", "pass"));
		assert_true(itest_has_check(k, "no transient or active domain left on the source", "pass"));
		assert_true(itest_has_check(k, "after the migration: both daemons healthy", "pass"));
		assert_true(itest_has_check(k, "both daemons cleaned", "pass"));
		assert_true(itest_has_check(k, "migration protocol recorded", "pass"));
	}
	/* a paused source arrives paused, and is resumed to be checked */
	c = itest_find_case(cases, "matrix.p2p.transient_paused.no_domain.persist");
	assert_true(itest_has_check(c, "destination resumes", "pass"));
	c = itest_find_case(cases, "failure.abort.p2p_tunnelled");
	assert_true(itest_has_check(c, "migration failed", "pass"));
	assert_true(itest_has_check(c, "source keeps its state", "pass"));
	assert_true(itest_has_check(c, "no leftover domain on the destination", "pass"));
	assert_true(itest_has_check(c, "no QEMU left on the destination", "pass"));
	assert_true(itest_has_check(c, "retry: migration succeeded", "pass"));
	assert_true(itest_has_check(c, "retry: guest RAM data survived", "pass"));
	/* the text listing names the ten checks of each case */
	{
		const char *show[] = { itest_hvtest(), "results", "--results", results, "show",
				       "latest", "--checks", NULL };
		char *text = NULL;

		assert_int_equal(itest_run(show, NULL, 60000, &text), 0);
		for (size_t j = 0; j < HVT_ARRAY_SIZE(tck_checks); j++) {
			char *line = hvt_asprintf("          pass %s: ", tck_checks[j]);
			size_t n = 0;

			for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
				n++;
			if (n < 8)
				fail_msg("'results show --checks' lists '%s' %zu times", line, n);
			free(line);
		}
		free(text);
	}
	c = itest_find_case(cases, "versions.old_destination.normal");
	assert_non_null(strstr(hvt_json_get_str(c, "reason"), "older than 0.9.2"));
	json_object_put(doc);
	free(out);
	free(results);
	/* every case removed its directory; nothing runs from one */
	left = new_root(&before);
	if (left)
		fail_msg("%s is left (%d processes in it)", left, count_processes(left));
	hvt_strv_release(&before);
	free(tmpenv);
}

/* hvtest SIGKILLed mid-case: its daemons and their QEMUs die with it. */
static void test_sigkill(void **state)
{
	char *results = hvt_asprintf("%s/results-kill", g.tmpdir);
	const char *argv[] = { itest_hvtest(), "run", "--results", results, g.plan_path,
			       "only matrix.normal.persistent_running.no_domain", NULL };
	struct hvt_strv before = HVT_STRV_INIT;
	struct hvt_proc *p;
	struct hvt_err err = HVT_ERR_INIT;
	int64_t deadline = hvt_now_ms() + 300000;
	char *root = NULL, *tmpenv = hvt_asprintf("TMPDIR=%s", g.tmpdir);
	const char *env[] = { tmpenv, NULL };
	int n = 0;

	(void)state;
	ITEST_NEED(g.have_guest);
	list_roots(&before);
	p = hvt_proc_spawn(&(struct hvt_proc_opts){ .argv = argv, .env = env }, &err);
	if (!p)
		fail_msg("%s", err.msg);
	/* until the case's guest runs under its daemon */
	while (hvt_ms_left(deadline) && !hvt_proc_poll(p, NULL) &&
	       (!root || !(n = itest_count_qemu(root)))) {
		if (!root)
			root = new_root(&before);
		usleep(100000);
	}
	assert_non_null(root);
	assert_true(n > 0);
	assert_true(count_processes(root) > n);
	hvt_proc_signal(p, SIGKILL);
	hvt_proc_wait(p, 10000, NULL);
	hvt_proc_free(p);
	assert_int_equal(itest_wait_no_qemu(root, 20000), 0);
	deadline = hvt_now_ms() + 20000;
	while (count_processes(root) > 0 && hvt_ms_left(deadline))
		usleep(100000);
	assert_int_equal(count_processes(root), 0);
	/* the killed case's directory is left; the next case to start removes it */
	assert_int_equal(access(root, F_OK), 0);
	deadline = hvt_now_ms() + 20000;
	do {
		struct hvt_libvirtd_root *next = hvt_libvirtd_root_new(g.tmpdir, &err);

		if (!next)
			fail_msg("%s", err.msg);
		hvt_libvirtd_root_free(next);
	} while (access(root, F_OK) == 0 && hvt_ms_left(deadline) && !usleep(100000));
	if (access(root, F_OK) == 0)
		fail_msg("%s is left after the next case started", root);
	free(root);
	free(results);
	hvt_strv_release(&before);
	free(tmpenv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon),
		cmocka_unit_test(test_ci_share),
		cmocka_unit_test(test_sigkill),
	};

	return cmocka_run_group_tests_name("libvirt", tests, group_setup, itest_group_teardown);
}
