/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the integration tests share: booting the default guest, finding
 * the hvtest binary, counting QEMU processes.
 */
#ifndef HVT_ITEST_H
#define HVT_ITEST_H

#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>
#include <setjmp.h>
#include <stdbool.h>
#include <sys/types.h>
#include <cmocka.h>

#include "hvtest.h"

/* Seconds a boot of the default guest may take under TCG on a busy host. */
#define ITEST_BOOT_MS 180000

/* Fail the current test with err's message when rc is not 0. */
#define itest_ok(rc, err)                                                        \
	do {                                                                     \
		int rc_ = (rc);                                                  \
		if (rc_)                                                         \
			fail_msg("%s:%d: %s (rc %d)", __FILE__, __LINE__,       \
				 (err)->msg, rc_);                               \
	} while (0)

/*
 * Skip the calling test group (return its setup status) when the default
 * guest or QEMU is not there: says why on stderr. 0 when all is present.
 */
int itest_require_guest(void);
/*
 * When the guest is missing: group setups return this. 0 (tests then
 * skip through ITEST_NEED) unless HVT_REQUIRE_GUEST=1, as in CI, where a
 * missing guest fails.
 */
int itest_missing_is_failure(void);
/*
 * A test group's fixture: a temporary directory of its own (removed at
 * the end), the source tree, the plan it runs and which of its
 * requirements are there. The test fills the first part; setup the rest.
 */
struct itest_group {
	const char *name;		/* the directory is /tmp/NAME-XXXXXX */
	const char *plan;		/* relative to the source tree; may be NULL */
	const char *const *progs;	/* programs it needs (NULL-ended); may be NULL */
	const char *hint;		/* where a missing program comes from; may be NULL */
	bool qemu;			/* it needs QEMU (hvt_qemu_binary()) too */
	bool guest;			/* it needs QEMU and the default guest */
	mode_t mode;			/* of the directory; 0: 0700 */
	char tmpdir[256];
	char src[4096];			/* HVT_SRCDIR, or "." */
	char plan_path[4096 + 512];	/* src/plan */
	bool have_progs;		/* QEMU (when asked) and every one of progs are there */
	bool have_guest;		/* and (when guest) QEMU and the default guest too */
};

/*
 * The group setup of g (*state = g): make its directory, find its plan,
 * look for its programs (and QEMU when g->qemu), then, when g->guest, for
 * QEMU and the default guest; what is missing is said on stderr. Returns
 * -1 when the directory cannot be made, itest_missing_is_failure() when
 * something is missing, else 0. Tests skip with ITEST_NEED(g.have_progs)
 * or ITEST_NEED(g.have_guest).
 */
int itest_group_setup(struct itest_group *g, void **state);
/* The group teardown: removes the directory of the group in *state. */
int itest_group_teardown(void **state);

/* Skip the current test (with the reason printed by setup) if obj is NULL. */
#define ITEST_NEED(obj)            \
	do {                       \
		if (!(obj))        \
			skip();    \
	} while (0)

/* A default-guest config named name with extra -device specs (NULL-ended). */
void itest_config(struct hvt_vm_config *cfg, const char *name, const char *const *devices);
/* New VM, started, agent ready; fails the test on error. */
struct hvt_vm *itest_boot(const struct hvt_vm_config *cfg);
/* Run a shell command in the guest; returns its stdout (caller frees). */
char *itest_sh(struct hvt_vm *vm, const char *cmd);
/* Path of the built hvtest binary (HVT_BUILDDIR/src/cli/hvtest). */
const char *itest_hvtest(void);
/*
 * Run argv (with extra "NAME=value" env entries) to completion within
 * timeout_ms; *out gets stdout and stderr merged (caller frees). Returns
 * the exit code, 128+signal, or fails the test if it cannot run, hangs or
 * a sanitizer reports a defect (leaks included) in its output.
 */
int itest_run(const char *const *argv, const char *const *env, int timeout_ms, char **out);
/* Occurrences of needle in s. */
size_t itest_count_str(const char *s, const char *needle);
/* Number of live processes whose command line contains both prog and needle. */
int itest_count_procs(const char *prog, const char *needle);
/* The same, with the pid of the first one found in *first (may be NULL). */
int itest_find_procs(const char *prog, const char *needle, pid_t *first);
/* Number of live qemu-system processes whose command line contains needle. */
int itest_count_qemu(const char *needle);
/* The case named name in a "results show --json" case list; fails the test if none. */
struct json_object *itest_case_named(struct json_object *cases, const char *name);
/* Wait up to ms for itest_count_qemu(needle) to reach 0; returns the last count. */
int itest_wait_no_qemu(const char *needle, int ms);

/*
 * The JSON of "hvtest results --results RESULTS show latest --json" (a new
 * reference); fails the test when it cannot be read.
 */
struct json_object *itest_results_latest(const char *results);
/* The case named shortname in a results document's "cases"; fails the test if none. */
struct json_object *itest_find_case(struct json_object *cases, const char *shortname);
/* Whether case c recorded a check named name with that status ("pass"...). */
bool itest_has_check(struct json_object *c, const char *name, const char *status);
/* How many values of metric name case c recorded. */
int itest_count_metric(struct json_object *c, const char *name);
/*
 * Run "hvtest run" argv as itest_run() does, fail the test unless it
 * exits 0 (with its output, *out), and return the run's JSON from the
 * results directory results, as itest_results_latest().
 */
struct json_object *itest_run_results(const char *const *argv, const char *const *env,
				      int timeout_ms, const char *results, char **out);

/*
 * chromium --headless --dump-dom: the DOM of url after its scripts ran
 * (caller frees), with the browser profile in the directory profile.
 * Fails the test when chromium fails.
 */
char *itest_browser_dom(const char *profile, const char *url);
/* Whether chromium is installed; says SKIP and why when it is not. */
bool itest_have_chromium(void);

/* Milliseconds hvtest serve may take to listen. */
#define ITEST_SERVER_START_MS 60000

/* An "hvtest serve" started by a test. */
struct itest_server {
	struct hvt_proc *p;
	char dir[4096], log[4096], urlfile[4096];
	char url[256]; /* where it listens: http://127.0.0.1:PORT */
};

/*
 * Start hvtest serve on a free port of 127.0.0.1, its store, log and URL
 * file under tmpdir named after name, with extra options (NULL-ended, or
 * NULL); wait until it says where it listens. Fails the test otherwise.
 */
void itest_server_start(struct itest_server *s, const char *tmpdir, const char *name,
			const char *const *extra);
/* SIGTERM: the server must end cleanly (exit 0, no sanitizer report). */
void itest_server_stop(struct itest_server *s);

#endif
