// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test types for the runner's integration tests, built as a module that
 * "hvtest run --module" loads, as users load theirs.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "hvtest.h"

/* Passes after sleeping 'sleep_ms' (default 0), unless 'fail' is yes. */
static void fx_pass_run(struct hvt_case *c, void *state)
{
	long long ms;
	bool fail = false;

	if (hvt_case_param_int(c, "sleep_ms", 0, &ms, NULL) == 0 && ms > 0)
		usleep((useconds_t)ms * 1000);
	hvt_case_param_bool(c, "fail", false, &fail, NULL);
	hvt_case_check(c, "fine", !fail, "%s", c->shortname);
	hvt_case_metric(c, "slept", (double)ms, "ms");
}

static void fx_fail_run(struct hvt_case *c, void *state)
{
	hvt_case_check(c, "wrong", false, "expected 1, got 2");
}

static void fx_crash_run(struct hvt_case *c, void *state)
{
	raise(SIGSEGV);
}

/* Starts a QEMU (named by 'marker') and never returns. */
static void fx_hang_run(struct hvt_case *c, void *state)
{
	const char *argv[] = { hvt_qemu_binary(), "-machine", "none", "-nodefaults", "-display",
			       "none", "-name", hvt_case_param(c, "marker", "hvt-fx-hang"), NULL };
	struct hvt_proc_opts o = { .argv = argv };
	struct hvt_err err = HVT_ERR_INIT;

	if (!hvt_proc_spawn(&o, &err)) {
		hvt_case_error(c, "%s", err.msg);
		return;
	}
	for (;;)
		pause();
}

static const struct hvt_test_type fx_pass = { .name = "fx-pass", .run = fx_pass_run };
static const struct hvt_test_type fx_fail = { .name = "fx-fail", .run = fx_fail_run };
static const struct hvt_test_type fx_crash = { .name = "fx-crash", .run = fx_crash_run };
static const struct hvt_test_type fx_hang = { .name = "fx-hang", .run = fx_hang_run };

HVT_TEST_TYPE(fx_pass)
HVT_TEST_TYPE(fx_fail)
HVT_TEST_TYPE(fx_crash)
HVT_TEST_TYPE(fx_hang)
