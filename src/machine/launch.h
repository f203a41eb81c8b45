/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helper processes (a QEMU machine, a qtest QEMU, qemu-storage-daemon):
 * a command line run in a work directory that holds its sockets and its
 * log; spawned, watched while it comes up, told how it ended, stopped.
 */
#ifndef HVT_LAUNCH_H
#define HVT_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "proc.h"
#include "qmp.h"
#include "util.h"

/* What to run, and where. Strings are borrowed for hvt_launch_new() only. */
struct hvt_launch_opts {
	const char *name;	/* in messages: "QEMU", "qemu-storage-daemon"; NULL: "QEMU" */
	/*
	 * The work directory: made when missing and never removed. NULL: a
	 * new hvt-<prefix>-XXXXXX under hvt_env_workdir(), removed on free
	 * unless keep_workdir or hvt_env_keep().
	 */
	const char *workdir;
	const char *prefix;	/* NULL: "run" */
	bool keep_workdir;
	/*
	 * Unix sockets in the work directory, as file names (NULL-ended
	 * lists): those the process listens on (QMP, the agent's channel),
	 * and those hvtest listens on for the process to connect to (qtest).
	 * All must fit sun_path; each start removes what an earlier run left
	 * there, and so does free.
	 */
	const char *const *serves;
	const char *const *connects;
	const char *log;	/* the process's stdout and stderr, in the work dir; NULL: none */
	const char *console;	/* a console log in the work dir, quoted at death; or NULL */
	const char *qmp;	/* one of serves to connect QMP to at start; NULL: none */
	const char *qmp_log;	/* the QMP transcript, in the work dir; NULL: none */
};

struct hvt_launch;

/*
 * Check every socket path against sun_path (-ENAMETOOLONG, naming the
 * path and HVT_WORKDIR, before anything is created) and make the work
 * directory. NULL with err set on failure.
 */
struct hvt_launch *hvt_launch_new(const struct hvt_launch_opts *opts, struct hvt_err *err);
/*
 * SIGKILL the process if it runs, close QMP and the listening sockets,
 * remove the sockets (and a work directory hvt_launch_new() made).
 */
void hvt_launch_free(struct hvt_launch *l);

const char *hvt_launch_workdir(const struct hvt_launch *l);
/* A file in the work directory (caller frees). */
char *hvt_launch_path(const struct hvt_launch *l, const char *file);
/*
 * The command line, owned by l: the caller fills it after
 * hvt_launch_new() (argv[0] is the binary, looked up in $PATH).
 */
struct hvt_strv *hvt_launch_argv(struct hvt_launch *l);
/*
 * A value for a QEMU option list (-chardev, -drive, --object...): its
 * commas doubled, so that a path cannot add options. Caller frees.
 */
char *hvt_launch_opt_escape(const char *s);

/*
 * Start the process: what an earlier run left is dropped (its status,
 * QMP client, sockets, log), hvtest listens on opts.connects, then the
 * process is spawned (own process group, death signal, registered for
 * the reaper; stdout and stderr to opts.log) and QMP is connected when
 * opts.qmp names a socket: all within timeout_ms. When the process ends
 * or rejects its command line meanwhile, it returns -ECHILD with err
 * saying how it ended (hvt_launch_ended()); a process that does not come
 * up is killed. -EALREADY while it runs.
 */
int hvt_launch_start(struct hvt_launch *l, int timeout_ms, struct hvt_err *err);
/*
 * Accept the process's connection on sock (one of opts.connects) within
 * timeout_ms, watching it: -ECHILD with how it ended if it ends first.
 * Returns the connected fd (the caller owns it); the listener is closed.
 */
int hvt_launch_accept(struct hvt_launch *l, const char *sock, int timeout_ms,
		      struct hvt_err *err);

/* The QMP client (NULL without opts.qmp, before start, after close), owned by l. */
struct hvt_qmp *hvt_launch_qmp(struct hvt_launch *l);
void hvt_launch_close_qmp(struct hvt_launch *l);
/* The process (NULL before the first start); it stays after it ends, until the next start. */
struct hvt_proc *hvt_launch_proc(struct hvt_launch *l);
/* Its pid, or -1 before the first start. */
pid_t hvt_launch_pid(const struct hvt_launch *l);
/* True once started and until it ends. */
bool hvt_launch_running(struct hvt_launch *l);

/*
 * If the process has ended, or ends within grace_ms, fill err with how:
 * "[what: ]QEMU (pid N) exited with code 1" (or "was killed by signal 9
 * (SIGKILL)"), then ":" and the last lines of its log, then "last
 * console lines:" and the console's; and return code. 0, with err
 * untouched, while it runs (or was never started).
 */
int hvt_launch_ended(struct hvt_launch *l, int grace_ms, int code, const char *what,
		     struct hvt_err *err);
/*
 * Stop the process: "quit" over QMP when connected, SIGTERM otherwise
 * (QEMU takes it as a request to quit); SIGKILL after timeout_ms. Then
 * say how it ended, also when it had ended before: 0 for exit code 0,
 * -ECHILD otherwise with err as hvt_launch_ended() fills it (or "... did
 * not exit within N ms of SIGTERM and was killed"). 0 if never started.
 */
int hvt_launch_stop(struct hvt_launch *l, int timeout_ms, struct hvt_err *err);
/* SIGKILL the process and reap it: 0, or -ETIMEDOUT. 0 if never started. */
int hvt_launch_kill(struct hvt_launch *l);

/*
 * The console log's last n lines (caller frees), or NULL; control
 * characters (terminal escapes) become '?', carriage returns are dropped.
 */
char *hvt_launch_console_tail(struct hvt_launch *l, int n);

#endif
