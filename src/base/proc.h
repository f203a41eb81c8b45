/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Child processes (QEMU, qemu-storage-daemon, helpers): spawned from an
 * argv array in their own process group, tied to hvtest's life, stopped
 * with SIGTERM then SIGKILL, and their ending described.
 */
#ifndef HVT_PROC_H
#define HVT_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

struct hvt_proc;

struct hvt_proc_opts {
	const char *const *argv;  /* argv[0] is looked up in $PATH */
	const char *const *env;	  /* extra "NAME=value" entries, or NULL */
	const char *cwd;	  /* or NULL */
	const char *stdin_path;	  /* NULL: /dev/null */
	const char *stdout_path;  /* NULL: /dev/null; appended to */
	const char *stderr_path;  /* NULL: /dev/null; appended to */
	bool inherit_stdio;	  /* keep hvtest's stdout/stderr instead */
	/*
	 * When set, the forked child runs fn(fn_arg) instead of exec'ing
	 * argv (argv[0] then only names it), with the same process group,
	 * death signal, stdio and environment set-up; it exits 0 when fn
	 * returns. The child starts with an empty child registry, default
	 * signal dispositions and SIGPIPE ignored: a write to a peer that
	 * went away (QEMU's VNC or QMP socket) fails with EPIPE instead of
	 * killing the case.
	 */
	void (*fn)(void *arg);
	void *fn_arg;
};

struct hvt_proc_status {
	bool exited;	/* exited normally with code */
	int code;
	int sig;	/* signal that killed it, if !exited */
	bool core;	/* a core was dumped */
};

/*
 * Start a child: own process group, PR_SET_PDEATHSIG(SIGKILL) so that it
 * dies with hvtest (even a SIGKILLed one), close-on-exec for everything
 * but stdio. The child is registered so that hvt_proc_kill_all() (called
 * from exit and fatal-signal handlers) can reap it. Fails with err naming
 * the program when it cannot be executed.
 */
struct hvt_proc *hvt_proc_spawn(const struct hvt_proc_opts *opts, struct hvt_err *err);
/* Kill (SIGKILL to the group) if still running, reap, free. */
void hvt_proc_free(struct hvt_proc *p);

pid_t hvt_proc_pid(const struct hvt_proc *p);
/* A pidfd that polls readable when the child ends, or -1 if the kernel has none. */
int hvt_proc_fd(const struct hvt_proc *p);
const char *hvt_proc_name(const struct hvt_proc *p);

/* 1 and *st filled if the child has ended, 0 if it is running. */
int hvt_proc_poll(struct hvt_proc *p, struct hvt_proc_status *st);
/* Wait up to timeout_ms (-1: forever): 0 ended, -ETIMEDOUT still running. */
int hvt_proc_wait(struct hvt_proc *p, int timeout_ms, struct hvt_proc_status *st);
/* Send sig to the child's whole process group. */
int hvt_proc_signal(struct hvt_proc *p, int sig);
/*
 * SIGTERM to the group, wait up to term_timeout_ms, then SIGKILL and wait.
 * Returns 1 if SIGKILL was needed, 0 if SIGTERM sufficed or it had ended.
 */
int hvt_proc_stop(struct hvt_proc *p, int term_timeout_ms, struct hvt_proc_status *st);

/* "exited with code 1", "killed by signal 9 (SIGKILL)", "... (core dumped)" */
const char *hvt_proc_status_str(const struct hvt_proc_status *st, char *buf, size_t len);

/*
 * Install handlers so that SIGINT/SIGTERM/SIGHUP and exit() kill every
 * registered child's group before hvtest goes. Idempotent.
 */
void hvt_proc_install_reaper(void);
/* True when this process's SIGTERM handler is the reaper's. */
bool hvt_proc_reaper_installed(void);
/* SIGKILL every registered child's group (async-signal-safe). */
void hvt_proc_kill_all(void);

/*
 * Run argv to completion, capturing stdout (and stderr, merged) into *out
 * (may be NULL). Returns 0 when it exited 0, -ETIMEDOUT after timeout_ms
 * (then killed), otherwise -ECHILD with err describing how it ended.
 */
int hvt_proc_run(const char *const *argv, int timeout_ms, char **out, struct hvt_err *err);

#endif
