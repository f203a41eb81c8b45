// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helper processes (launch.h): one work directory, one command line, a
 * process watched from spawn to the report of how it ended.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "env.h"
#include "launch.h"
#include "sock.h"

/* After a broken connection, how long the process gets to finish dying. */
#define DYING_MS 2000
#define KILL_WAIT_MS 10000
#define TAIL_LINES 10
/* How often a wait for a connection looks at the process. */
#define WATCH_MS 100

struct hvt_launch {
	char *name;
	char *workdir;
	bool own_workdir;	/* made by hvt_launch_new(): removed on free */
	bool keep_workdir;
	struct hvt_strv serves, connects;
	int *lfd;		/* per connects: listening fd, or -1 */
	char *log, *console, *qmp_sock, *qmp_log;	/* full paths, or NULL */
	struct hvt_strv argv;
	struct hvt_proc *proc;
	struct hvt_qmp *qmp;
};

const char *hvt_launch_workdir(const struct hvt_launch *l)
{
	return l->workdir;
}

char *hvt_launch_path(const struct hvt_launch *l, const char *file)
{
	return hvt_asprintf("%s/%s", l->workdir, file);
}

struct hvt_strv *hvt_launch_argv(struct hvt_launch *l)
{
	return &l->argv;
}

char *hvt_launch_opt_escape(const char *s)
{
	struct hvt_buf b = HVT_BUF_INIT;

	hvt_buf_add(&b, "", 0);
	for (; *s; s++) {
		if (*s == ',')
			hvt_buf_add(&b, ",", 1);
		hvt_buf_add(&b, s, 1);
	}
	return b.p;
}

struct hvt_qmp *hvt_launch_qmp(struct hvt_launch *l)
{
	return l->qmp;
}

void hvt_launch_close_qmp(struct hvt_launch *l)
{
	hvt_qmp_free(l->qmp);
	l->qmp = NULL;
}

struct hvt_proc *hvt_launch_proc(struct hvt_launch *l)
{
	return l->proc;
}

pid_t hvt_launch_pid(const struct hvt_launch *l)
{
	return l->proc ? hvt_proc_pid(l->proc) : -1;
}

bool hvt_launch_running(struct hvt_launch *l)
{
	return l->proc && !hvt_proc_poll(l->proc, NULL);
}

/*
 * Make a log tail safe to print: a guest's shell sends terminal queries
 * (ESC [6n) that a terminal would answer into hvtest's stdin.
 */
static void sanitize(char *s)
{
	char *w = s;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\r')
			continue;
		*w++ = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : *s;
	}
	*w = '\0';
}

static char *safe_tail(const char *path, int n)
{
	char *tail = path ? hvt_file_tail(path, n) : NULL;

	if (tail)
		sanitize(tail);
	return tail;
}

char *hvt_launch_console_tail(struct hvt_launch *l, int n)
{
	return safe_tail(l->console, n);
}

/*
 * Fill err with "[what: ]NAME (pid N) HOW", the log's and the console's
 * last lines; HOW NULL: how the process ended. Returns code.
 */
static int report(struct hvt_launch *l, int code, const char *what, const char *how,
		  struct hvt_err *err)
{
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_proc_status st;
	char desc[128], *tail;

	if (what)
		hvt_buf_addf(&b, "%s: ", what);
	hvt_buf_addf(&b, "%s (pid %d) ", l->name, (int)hvt_launch_pid(l));
	if (how) {
		hvt_buf_addf(&b, "%s", how);
	} else {
		hvt_proc_poll(l->proc, &st);
		hvt_buf_addf(&b, "%s%s", st.exited ? "" : "was ",
			     hvt_proc_status_str(&st, desc, sizeof(desc)));
	}
	tail = safe_tail(l->log, TAIL_LINES);
	if (tail && *tail)
		hvt_buf_addf(&b, ":\n%s", tail);
	free(tail);
	tail = hvt_launch_console_tail(l, TAIL_LINES);
	if (tail && *tail)
		hvt_buf_addf(&b, "%slast console lines:\n%s",
			     b.p[b.len - 1] == '\n' ? "" : "\n", tail);
	free(tail);
	hvt_err_set(err, code, "%s", b.p);
	hvt_buf_release(&b);
	return code;
}

int hvt_launch_ended(struct hvt_launch *l, int grace_ms, int code, const char *what,
		     struct hvt_err *err)
{
	if (!l->proc || hvt_proc_wait(l->proc, grace_ms, NULL))
		return 0;
	return report(l, code, what, NULL, err);
}

static int check_sockets(const char *workdir, const struct hvt_strv *names,
			 struct hvt_err *err)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	for (size_t i = 0; i < names->n; i++) {
		size_t n = strlen(workdir) + 1 + strlen(names->v[i]);

		if (n > max)
			return hvt_err_set(err, -ENAMETOOLONG,
					   "socket path %s/%s is %zu bytes, over the %zu that "
					   "sun_path allows: use a shorter work directory "
					   "(HVT_WORKDIR)", workdir, names->v[i], n, max);
	}
	return 0;
}

/* The work directory: the one given (made if missing), or a new one. */
static int make_workdir(struct hvt_launch *l, const struct hvt_launch_opts *opts,
			struct hvt_err *err)
{
	const char *base = hvt_env_workdir();
	int ret;

	if (opts->workdir)
		l->workdir = hvt_strdup(opts->workdir);
	else
		l->workdir = hvt_asprintf("%s/hvt-%s-XXXXXX", base,
					  opts->prefix ? opts->prefix : "run");
	/* A new directory's name has as many bytes as its template. */
	ret = check_sockets(l->workdir, &l->serves, err);
	if (!ret)
		ret = check_sockets(l->workdir, &l->connects, err);
	if (ret)
		return ret;
	if (opts->workdir)
		return hvt_mkdir_p(l->workdir, 0755, err);
	ret = hvt_mkdir_p(base, 0755, err);
	if (ret)
		return ret;
	if (!mkdtemp(l->workdir))
		return hvt_err_set(err, -errno, "cannot create work directory %s: %s",
				   l->workdir, strerror(errno));
	l->own_workdir = true;
	return 0;
}

static char *path_or_null(const struct hvt_launch *l, const char *file)
{
	return file ? hvt_launch_path(l, file) : NULL;
}

/* Free l's memory: the process, sockets and directory are the caller's concern. */
static void release(struct hvt_launch *l)
{
	hvt_strv_release(&l->argv);
	hvt_strv_release(&l->serves);
	hvt_strv_release(&l->connects);
	free(l->lfd);
	free(l->log);
	free(l->console);
	free(l->qmp_sock);
	free(l->qmp_log);
	free(l->workdir);
	free(l->name);
	free(l);
}

struct hvt_launch *hvt_launch_new(const struct hvt_launch_opts *opts, struct hvt_err *err)
{
	struct hvt_launch *l = hvt_zalloc(sizeof(*l));

	l->name = hvt_strdup(opts->name ? opts->name : "QEMU");
	l->keep_workdir = opts->keep_workdir;
	hvt_strv_pushv(&l->serves, opts->serves);
	hvt_strv_pushv(&l->connects, opts->connects);
	l->lfd = hvt_malloc((l->connects.n + 1) * sizeof(*l->lfd));
	for (size_t i = 0; i < l->connects.n; i++)
		l->lfd[i] = -1;
	if (make_workdir(l, opts, err)) {
		/* Nothing in the directory is ours to remove. */
		release(l);
		return NULL;
	}
	l->log = path_or_null(l, opts->log);
	l->console = path_or_null(l, opts->console);
	l->qmp_sock = path_or_null(l, opts->qmp);
	l->qmp_log = path_or_null(l, opts->qmp_log);
	return l;
}

static void close_listeners(struct hvt_launch *l)
{
	for (size_t i = 0; i < l->connects.n; i++) {
		if (l->lfd[i] >= 0)
			close(l->lfd[i]);
		l->lfd[i] = -1;
	}
}

static void unlink_sockets(struct hvt_launch *l)
{
	const struct hvt_strv *lists[] = { &l->serves, &l->connects };

	for (size_t i = 0; i < HVT_ARRAY_SIZE(lists); i++) {
		for (size_t j = 0; j < lists[i]->n; j++) {
			char *path = hvt_launch_path(l, lists[i]->v[j]);

			unlink(path);
			free(path);
		}
	}
}

void hvt_launch_free(struct hvt_launch *l)
{
	if (!l)
		return;
	hvt_launch_close_qmp(l);
	close_listeners(l);
	hvt_proc_free(l->proc);
	unlink_sockets(l);
	if (l->own_workdir && !l->keep_workdir && !hvt_env_keep())
		hvt_rm_rf(l->workdir);
	release(l);
}

/*
 * Connect to QMP while watching the process: the socket appears early,
 * but the greeting only comes once QEMU has accepted the whole command
 * line.
 */
static int connect_qmp(struct hvt_launch *l, int64_t deadline, int timeout_ms,
		       struct hvt_err *err)
{
	int ret;

	for (;;) {
		/* one attempt: this loop watches the process between attempts */
		int fd = hvt_sock_connect_unix(l->qmp_sock, 0, NULL);

		if (fd >= 0) {
			l->qmp = hvt_qmp_open_fd(fd, hvt_ms_left(deadline), l->qmp_log, err);
			if (l->qmp)
				return 0;
			ret = err ? err->code : -EPROTO;
			if (hvt_launch_ended(l, DYING_MS, -ECHILD, NULL, err))
				return -ECHILD;
			hvt_err_prefix(err, "QMP on %s", l->qmp_sock);
			return ret;
		}
		if (fd != -ETIMEDOUT)
			return hvt_err_set(err, fd, "cannot connect to %s: %s", l->qmp_sock,
					   strerror(-fd));
		/* Doubles as the sleep between attempts, cut short by an exit. */
		if (hvt_launch_ended(l, hvt_ms_left(deadline) < 10 ? hvt_ms_left(deadline) : 10,
				     -ECHILD, NULL, err))
			return -ECHILD;
		if (!hvt_ms_left(deadline)) {
			char *how = hvt_asprintf("did not open %s within %d ms", l->qmp_sock,
						 timeout_ms);

			report(l, -ETIMEDOUT, NULL, how, err);
			free(how);
			return -ETIMEDOUT;
		}
	}
}

/* Kill a process that did not come up; its status stays for the reports. */
static void abort_start(struct hvt_launch *l)
{
	hvt_launch_close_qmp(l);
	close_listeners(l);
	if (l->proc) {
		hvt_proc_signal(l->proc, SIGKILL);
		hvt_proc_wait(l->proc, KILL_WAIT_MS, NULL);
	}
}

int hvt_launch_start(struct hvt_launch *l, int timeout_ms, struct hvt_err *err)
{
	struct hvt_proc_opts po = {
		.argv = (const char *const *)l->argv.v,
		.stdout_path = l->log,
		.stderr_path = l->log,
	};
	int64_t deadline = hvt_now_ms() + timeout_ms;
	int ret = 0;

	if (hvt_launch_running(l))
		return hvt_err_set(err, -EALREADY, "%s is already running (pid %d)", l->name,
				   (int)hvt_launch_pid(l));
	/* A restart: what the last run left must not be mistaken for this one. */
	abort_start(l);
	hvt_proc_free(l->proc);
	l->proc = NULL;
	unlink_sockets(l);
	if (l->log)
		unlink(l->log);

	for (size_t i = 0; i < l->connects.n; i++) {
		char *path = hvt_launch_path(l, l->connects.v[i]);

		l->lfd[i] = hvt_sock_listen_unix(path, err);
		free(path);
		if (l->lfd[i] < 0) {
			ret = l->lfd[i];
			goto err_abort;
		}
	}
	l->proc = hvt_proc_spawn(&po, err);
	if (!l->proc) {
		ret = err ? err->code : -ECHILD;
		goto err_abort;
	}
	if (l->qmp_sock) {
		ret = connect_qmp(l, deadline, timeout_ms, err);
		if (ret)
			goto err_abort;
	}
	return 0;

err_abort:
	abort_start(l);
	return ret;
}

int hvt_launch_accept(struct hvt_launch *l, const char *sock, int timeout_ms,
		      struct hvt_err *err)
{
	int64_t deadline = hvt_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	size_t i;

	for (i = 0; i < l->connects.n && strcmp(l->connects.v[i], sock); i++)
		;
	if (i == l->connects.n || l->lfd[i] < 0 || !l->proc)
		return hvt_err_set(err, -EINVAL, "%s: not listening on %s", l->name, sock);
	pfd.fd = l->lfd[i];
	for (;;) {
		int left = hvt_ms_left(deadline);

		if (poll(&pfd, 1, left < WATCH_MS ? left : WATCH_MS) > 0) {
			int fd = accept4(pfd.fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				close(pfd.fd);
				l->lfd[i] = -1;
				return fd;
			}
		}
		if (hvt_launch_ended(l, 0, -ECHILD, NULL, err))
			return -ECHILD;
		if (!hvt_ms_left(deadline)) {
			char *how = hvt_asprintf("did not connect to %s/%s within %d ms",
						 l->workdir, sock, timeout_ms);

			report(l, -ETIMEDOUT, NULL, how, err);
			free(how);
			return -ETIMEDOUT;
		}
	}
}

int hvt_launch_stop(struct hvt_launch *l, int timeout_ms, struct hvt_err *err)
{
	struct hvt_proc_status st;
	const char *via = "SIGTERM";
	int killed = 0;

	if (!l->proc)
		return 0;
	if (hvt_launch_running(l)) {
		if (l->qmp) {
			struct hvt_err ignored = HVT_ERR_INIT;

			via = "quit";
			hvt_qmp_send(l->qmp, "quit", NULL, &ignored);
			if (hvt_proc_wait(l->proc, timeout_ms, NULL)) {
				killed = 1;
				if (hvt_launch_kill(l))
					killed = -1;
			}
		} else {
			killed = hvt_proc_stop(l->proc, timeout_ms, NULL);
		}
	}
	if (killed) {
		char *how = killed < 0 ? hvt_strdup("did not end, even on SIGKILL") :
			hvt_asprintf("did not exit within %d ms of %s and was killed",
				     timeout_ms, via);

		report(l, -ECHILD, NULL, how, err);
		free(how);
		return -ECHILD;
	}
	hvt_proc_poll(l->proc, &st);
	if (st.exited && st.code == 0)
		return 0;
	return report(l, -ECHILD, NULL, NULL, err);
}

int hvt_launch_kill(struct hvt_launch *l)
{
	if (!l->proc)
		return 0;
	hvt_proc_signal(l->proc, SIGKILL);
	return hvt_proc_wait(l->proc, KILL_WAIT_MS, NULL);
}
