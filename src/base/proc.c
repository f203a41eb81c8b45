// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Child processes: fork+exec from an argv array into their own process
 * group, tied to hvtest's life, and a registry the fatal-signal handlers use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

#define MAX_CHILDREN 256
#define RUN_MAX_OUTPUT (16u << 20)
/* How long to wait for a SIGKILLed child before giving up on it. */
#define KILL_WAIT_MS 30000

extern char **environ;

struct hvt_proc {
	pid_t pid;		/* also the process group id */
	int pidfd;		/* -1 when pidfd_open() is not available */
	int slot;		/* index in the registry, -1 once reaped */
	char *name;
	bool reaped;
	struct hvt_proc_status st;
};

/*
 * Process groups of live children, read by signal handlers: plain pid_t
 * slots updated atomically, 0 when free, -1 while reserved by a spawn.
 */
static pid_t registry[MAX_CHILDREN];

static int registry_reserve(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		pid_t expected = 0;

		if (__atomic_compare_exchange_n(&registry[i], &expected, -1, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return i;
	}
	return -1;
}

static void registry_set(int slot, pid_t pid)
{
	if (slot >= 0)
		__atomic_store_n(&registry[slot], pid, __ATOMIC_SEQ_CST);
}

void hvt_proc_kill_all(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		pid_t pgid = __atomic_load_n(&registry[i], __ATOMIC_SEQ_CST);

		/* Never kill(-1) or kill(-0): slots <= 1 are not groups. */
		if (pgid > 1)
			kill(-pgid, SIGKILL);
	}
}

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void reaper_handler(int sig)
{
	int saved_errno = errno;
	struct sigaction sa;
	sigset_t set;

	hvt_proc_kill_all();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	errno = saved_errno;
}

static void reaper_atexit(void)
{
	hvt_proc_kill_all();
}

/*
 * Whether this process has the handlers. A child of fork mode starts with
 * default dispositions, so it clears the flag (the atexit hook stays).
 */
static int reaper_installed;
static int reaper_atexit_done;

void hvt_proc_install_reaper(void)
{
	if (__atomic_exchange_n(&reaper_installed, 1, __ATOMIC_SEQ_CST))
		return;
	for (size_t i = 0; i < HVT_ARRAY_SIZE(fatal_signals); i++) {
		struct sigaction sa, old;

		/* A signal ignored on purpose (nohup) stays ignored. */
		if (sigaction(fatal_signals[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = reaper_handler;
		sigfillset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, NULL);
	}
	if (!__atomic_exchange_n(&reaper_atexit_done, 1, __ATOMIC_SEQ_CST))
		atexit(reaper_atexit);
}

bool hvt_proc_reaper_installed(void)
{
	struct sigaction sa;

	return sigaction(SIGTERM, NULL, &sa) == 0 && sa.sa_handler == reaper_handler;
}

/* What the child reports through the exec pipe when it cannot start. */
struct exec_failure {
	int stage;
	int err;
};

enum { STAGE_EXEC, STAGE_CHDIR, STAGE_STDIO, STAGE_PARENT };

struct child_args {
	const char *const *argv;
	char **envp;
	const char *cwd;
	void (*fn)(void *arg);
	void *fn_arg;
	const char *const *env;
	int fd[3];		/* -1: leave that stdio fd as it is */
	int errfd;
	pid_t parent;
};

static void close_fds_except(int keep)
{
#ifdef SYS_close_range
	if (keep > 3 && syscall(SYS_close_range, 3, keep - 1, 0) < 0)
		goto fallback;
	if (syscall(SYS_close_range, keep + 1, ~0U, 0) == 0)
		return;
fallback:
#endif
	{
		/* No close_range(): list /proc/self/fd without malloc. */
		char buf[4096];
		int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		long n;

		if (dfd < 0) {
			for (int fd = 3; fd < 65536; fd++)
				if (fd != keep)
					close(fd);
			return;
		}
		while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(buf + off);
				int fd = 0;
				const char *c = de->d_name;

				off += de->d_reclen;
				if (*c < '0' || *c > '9')
					continue;
				for (; *c >= '0' && *c <= '9'; c++)
					fd = fd * 10 + (*c - '0');
				if (fd > 2 && fd != keep && fd != dfd)
					close(fd);
			}
		}
		close(dfd);
	}
}

static _Noreturn void child_fail(int errfd, int stage, int e)
{
	struct exec_failure f = { stage, e };
	ssize_t n;

	do {
		n = write(errfd, &f, sizeof(f));
	} while (n < 0 && errno == EINTR);
	_exit(127);
}

/* Runs between fork and exec: async-signal-safe calls only. */
static _Noreturn void child_main(const struct child_args *a)
{
	struct sigaction sa;
	sigset_t none;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent may have died before prctl() took effect. */
	if (getppid() != a->parent)
		child_fail(a->errfd, STAGE_PARENT, ESRCH);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	for (int i = 0; i < 3; i++)
		if (a->fd[i] >= 0 && dup2(a->fd[i], i) < 0)
			child_fail(a->errfd, STAGE_STDIO, errno);
	if (a->cwd && chdir(a->cwd) < 0)
		child_fail(a->errfd, STAGE_CHDIR, errno);
	close_fds_except(a->errfd);

	if (a->fn) {
		/*
		 * Not exec'ing: hvtest code runs on in this process. It owns
		 * no children yet, and its success is the pipe's EOF.
		 */
		memset(registry, 0, sizeof(registry));
		reaper_installed = 0;
		/* a peer that went away (QEMU's VNC socket) is an error, not death */
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
		for (const char *const *x = a->env; x && *x; x++)
			putenv((char *)*x);
		close(a->errfd);
		a->fn(a->fn_arg);
		fflush(NULL);
		_exit(0);
	}
	if (a->envp)
		execvpe(a->argv[0], (char *const *)a->argv, a->envp);
	else
		execvp(a->argv[0], (char *const *)a->argv);
	child_fail(a->errfd, STAGE_EXEC, errno);
}

/* environ with the extra entries replacing or adding to it. */
static char **build_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **envp;

	for (char **e = environ; e && *e; e++)
		n++;
	for (const char *const *x = extra; *x; x++)
		m++;
	envp = hvt_zalloc((n + m + 1) * sizeof(*envp));
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) + 1 : strlen(*e);
		bool overridden = false;

		for (const char *const *x = extra; *x; x++)
			if (!strncmp(*x, *e, len) && (*x)[len - 1] == '=')
				overridden = true;
		if (!overridden)
			envp[k++] = *e;
	}
	for (const char *const *x = extra; *x; x++)
		envp[k++] = (char *)*x;
	envp[k] = NULL;
	return envp;
}

/* Open path for a stdio slot, at fd 3 or above so that dup2() cannot clash. */
static int open_stdio(const char *path, int flags, const char *what, struct hvt_err *err)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	int high;

	if (fd < 0)
		return hvt_err_set(err, -errno, "cannot open %s for %s: %s", path, what,
				   strerror(errno));
	if (fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (high < 0) {
		int e = errno;

		close(fd);
		return hvt_err_set(err, -e, "cannot duplicate fd: %s", strerror(e));
	}
	close(fd);
	return high;
}

static int pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		return fd;
	}
#endif
	return -1;
}

static void status_from_wait(int ws, struct hvt_proc_status *st)
{
	memset(st, 0, sizeof(*st));
	if (WIFEXITED(ws)) {
		st->exited = true;
		st->code = WEXITSTATUS(ws);
	} else if (WIFSIGNALED(ws)) {
		st->sig = WTERMSIG(ws);
		st->core = WCOREDUMP(ws);
	}
}

/*
 * out_fd >= 0: stdout and stderr go there (hvt_proc_run's pipe).
 */
static struct hvt_proc *spawn(const struct hvt_proc_opts *opts, int out_fd,
			      struct hvt_err *err)
{
	struct child_args a = { .fd = { -1, -1, -1 }, .errfd = -1 };
	struct exec_failure f;
	struct hvt_proc *p;
	sigset_t all, old;
	int pipefd[2], slot, e;
	ssize_t n;
	pid_t pid;

	if (!opts || !opts->argv || !opts->argv[0] || !opts->argv[0][0]) {
		hvt_err_set(err, -EINVAL, "cannot run a process: empty argv");
		return NULL;
	}
	a.argv = opts->argv;
	a.cwd = opts->cwd;
	a.fn = opts->fn;
	a.fn_arg = opts->fn_arg;
	a.env = opts->env;
	a.parent = getpid();

	slot = registry_reserve();
	if (slot < 0) {
		hvt_err_set(err, -EAGAIN, "cannot run %s: %d child processes already running",
			    opts->argv[0], MAX_CHILDREN);
		return NULL;
	}

	e = open_stdio(opts->stdin_path ? opts->stdin_path : "/dev/null", O_RDONLY,
		       "stdin", err);
	if (e < 0)
		goto err_slot;
	a.fd[0] = e;
	for (int i = 1; i < 3; i++) {
		const char *path = i == 1 ? opts->stdout_path : opts->stderr_path;

		if (out_fd >= 0) {
			a.fd[i] = out_fd;
			continue;
		}
		if (!path && opts->inherit_stdio)
			continue;
		e = open_stdio(path ? path : "/dev/null", O_WRONLY | O_APPEND | O_CREAT,
			       i == 1 ? "stdout" : "stderr", err);
		if (e < 0)
			goto err_fds;
		a.fd[i] = e;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		e = hvt_err_set(err, -errno, "cannot create a pipe: %s", strerror(errno));
		goto err_fds;
	}
	a.errfd = pipefd[1];
	if (opts->env && !opts->fn)
		a.envp = build_env(opts->env);

	/* No handler may run in the child before it resets dispositions. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_main(&a);
	e = errno;
	if (pid > 0) {
		/* Both sides set the group, so neither order of events races. */
		setpgid(pid, pid);
		registry_set(slot, pid);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(pipefd[1]);
	if (pid < 0) {
		e = hvt_err_set(err, -e, "cannot run %s: fork: %s", opts->argv[0],
				strerror(e));
		goto err_pipe;
	}

	do {
		n = read(pipefd[0], &f, sizeof(f));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(f)) {
		int ws;

		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		registry_set(slot, 0);
		slot = -1;
		e = -f.err;
		switch (f.stage) {
		case STAGE_CHDIR:
			hvt_err_set(err, e, "cannot run %s: cannot change to directory %s: %s",
				    opts->argv[0], opts->cwd, strerror(f.err));
			break;
		case STAGE_STDIO:
			hvt_err_set(err, e, "cannot run %s: cannot redirect stdio: %s",
				    opts->argv[0], strerror(f.err));
			break;
		case STAGE_PARENT:
			hvt_err_set(err, e, "cannot run %s: parent exited while it started",
				    opts->argv[0]);
			break;
		default:
			hvt_err_set(err, e, "cannot run %s: %s", opts->argv[0],
				    strerror(f.err));
		}
		goto err_pipe;
	}

	p = hvt_zalloc(sizeof(*p));
	p->pid = pid;
	p->slot = slot;
	p->pidfd = pidfd_for(pid);
	p->name = hvt_strdup(opts->argv[0]);
	close(pipefd[0]);
	free(a.envp);
	for (int i = 0; i < 3; i++)
		if (a.fd[i] >= 0 && a.fd[i] != out_fd)
			close(a.fd[i]);
	return p;

err_pipe:
	close(pipefd[0]);
	free(a.envp);
err_fds:
	for (int i = 0; i < 3; i++)
		if (a.fd[i] >= 0 && a.fd[i] != out_fd)
			close(a.fd[i]);
err_slot:
	registry_set(slot, 0);
	return NULL;
}

struct hvt_proc *hvt_proc_spawn(const struct hvt_proc_opts *opts, struct hvt_err *err)
{
	return spawn(opts, -1, err);
}

pid_t hvt_proc_pid(const struct hvt_proc *p)
{
	return p->pid;
}

int hvt_proc_fd(const struct hvt_proc *p)
{
	return p->pidfd;
}

const char *hvt_proc_name(const struct hvt_proc *p)
{
	return p->name;
}

/* 1 if the child has ended (a zombie), without reaping it. */
static int ended(struct hvt_proc *p)
{
	siginfo_t si;

	if (p->reaped)
		return 1;
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
			return si.si_pid != 0;
		if (errno != EINTR)
			return 1;	/* ECHILD: someone else reaped it */
	}
}

static void reap(struct hvt_proc *p)
{
	int ws = 0;
	pid_t r;

	if (p->reaped)
		return;
	registry_set(p->slot, 0);
	p->slot = -1;
	do {
		r = waitpid(p->pid, &ws, 0);
	} while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		status_from_wait(ws, &p->st);
	} else {
		/* Reaped behind our back: nothing is known of how it ended. */
		memset(&p->st, 0, sizeof(p->st));
		p->st.exited = true;
		p->st.code = -1;
	}
	p->reaped = true;
	if (p->pidfd >= 0) {
		close(p->pidfd);
		p->pidfd = -1;
	}
}

/* Wait until the child has ended, without reaping it. */
static int wait_ended(struct hvt_proc *p, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : hvt_now_ms() + timeout_ms;
	int step = 1;

	for (;;) {
		int left;

		if (ended(p))
			return 0;
		left = timeout_ms < 0 ? -1 : hvt_ms_left(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		if (p->pidfd >= 0) {
			struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

			poll(&pfd, 1, left);
		} else {
			/* No pidfd: short sleeps, no SIGCHLD handler needed. */
			struct timespec ts;
			int ms = left >= 0 && left < step ? left : step;

			ts.tv_sec = 0;
			ts.tv_nsec = (long)ms * 1000000L;
			nanosleep(&ts, NULL);
			if (step < 50)
				step *= 2;
		}
	}
}

int hvt_proc_poll(struct hvt_proc *p, struct hvt_proc_status *st)
{
	if (!ended(p))
		return 0;
	reap(p);
	if (st)
		*st = p->st;
	return 1;
}

int hvt_proc_wait(struct hvt_proc *p, int timeout_ms, struct hvt_proc_status *st)
{
	int ret = wait_ended(p, timeout_ms);

	if (ret)
		return ret;
	reap(p);
	if (st)
		*st = p->st;
	return 0;
}

int hvt_proc_signal(struct hvt_proc *p, int sig)
{
	if (p->reaped)
		return -ESRCH;
	if (kill(-p->pid, sig) < 0)
		return -errno;
	return 0;
}

int hvt_proc_stop(struct hvt_proc *p, int term_timeout_ms, struct hvt_proc_status *st)
{
	int killed = 0;

	if (!p->reaped) {
		if (!ended(p)) {
			hvt_proc_signal(p, SIGTERM);
			if (wait_ended(p, term_timeout_ms) == -ETIMEDOUT) {
				hvt_proc_signal(p, SIGKILL);
				killed = 1;
				if (wait_ended(p, KILL_WAIT_MS) == -ETIMEDOUT)
					return -ETIMEDOUT;
			}
		}
		/* The leader is a zombie: its group still names only ours. */
		kill(-p->pid, SIGKILL);
		reap(p);
	}
	if (st)
		*st = p->st;
	return killed;
}

void hvt_proc_free(struct hvt_proc *p)
{
	if (!p)
		return;
	if (!p->reaped) {
		kill(-p->pid, SIGKILL);
		if (wait_ended(p, KILL_WAIT_MS) == 0)
			reap(p);
		else
			registry_set(p->slot, 0);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p->name);
	free(p);
}

static const char *sig_name(int sig)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	return sigabbrev_np(sig);
#else
	switch (sig) {
	case SIGHUP: return "HUP";
	case SIGINT: return "INT";
	case SIGQUIT: return "QUIT";
	case SIGILL: return "ILL";
	case SIGTRAP: return "TRAP";
	case SIGABRT: return "ABRT";
	case SIGBUS: return "BUS";
	case SIGFPE: return "FPE";
	case SIGKILL: return "KILL";
	case SIGUSR1: return "USR1";
	case SIGSEGV: return "SEGV";
	case SIGUSR2: return "USR2";
	case SIGPIPE: return "PIPE";
	case SIGALRM: return "ALRM";
	case SIGTERM: return "TERM";
	default: return NULL;
	}
#endif
}

const char *hvt_proc_status_str(const struct hvt_proc_status *st, char *buf, size_t len)
{
	const char *name;

	if (st->exited) {
		snprintf(buf, len, "exited with code %d", st->code);
		return buf;
	}
	name = sig_name(st->sig);
	if (name)
		snprintf(buf, len, "killed by signal %d (SIG%s)%s", st->sig, name,
			 st->core ? " (core dumped)" : "");
	else
		snprintf(buf, len, "killed by signal %d%s", st->sig,
			 st->core ? " (core dumped)" : "");
	return buf;
}

/* Read what the pipe has; 1 at end of file, 0 otherwise. */
static int drain(int fd, struct hvt_buf *b)
{
	char chunk[8192];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n == 0)
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno != EAGAIN;
		if (b->len < RUN_MAX_OUTPUT)
			hvt_buf_add(b, chunk, (size_t)n);
	}
}

int hvt_proc_run(const char *const *argv, int timeout_ms, char **out, struct hvt_err *err)
{
	struct hvt_proc_opts opts = { .argv = argv };
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : hvt_now_ms() + timeout_ms;
	struct hvt_buf b = HVT_BUF_INIT;
	struct hvt_proc_status st;
	struct hvt_proc *p;
	bool eof = false;
	int pipefd[2], ret;
	char desc[128];

	if (out)
		*out = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return hvt_err_set(err, -errno, "cannot create a pipe: %s", strerror(errno));
	/* Only our end: the child's stdout must block like any other. */
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	if (pipefd[1] <= 2) {
		/* hvtest runs with stdio closed: keep dup2() in the child clear of 0-2. */
		int high = fcntl(pipefd[1], F_DUPFD_CLOEXEC, 3);

		close(pipefd[1]);
		pipefd[1] = high;
		if (high < 0) {
			ret = hvt_err_set(err, -errno, "cannot duplicate fd: %s", strerror(errno));
			close(pipefd[0]);
			return ret;
		}
	}
	p = spawn(&opts, pipefd[1], err);
	close(pipefd[1]);
	if (!p) {
		ret = err ? err->code : -ECHILD;
		goto err_pipe;
	}
	hvt_buf_add(&b, "", 0);

	while (!eof) {
		struct pollfd pfd[2] = {
			{ .fd = pipefd[0], .events = POLLIN },
			{ .fd = p->pidfd, .events = POLLIN },
		};
		int left = timeout_ms < 0 ? -1 : hvt_ms_left(deadline);
		int nfds = p->pidfd >= 0 ? 2 : 1;

		if (left == 0)
			goto timeout;
		if (p->pidfd < 0 && (left < 0 || left > 50))
			left = 50;
		if (poll(pfd, (nfds_t)nfds, left) < 0 && errno != EINTR) {
			ret = hvt_err_set(err, -errno, "poll: %s", strerror(errno));
			goto err_proc;
		}
		eof = drain(pipefd[0], &b);
		/* A child that left a grandchild holding the pipe is done anyway. */
		if (!eof && ended(p)) {
			drain(pipefd[0], &b);
			break;
		}
	}
	if (wait_ended(p, timeout_ms < 0 ? -1 : hvt_ms_left(deadline)) == -ETIMEDOUT)
		goto timeout;
	hvt_proc_stop(p, 0, &st);
	hvt_proc_free(p);
	close(pipefd[0]);

	ret = 0;
	if (!st.exited || st.code != 0) {
		char *tail = b.p + b.len;
		int lines = 0;

		ret = hvt_err_set(err, -ECHILD, "%s %s", argv[0],
				  hvt_proc_status_str(&st, desc, sizeof(desc)));
		/* The last lines of output usually say why. */
		if (tail > b.p && tail[-1] == '\n')
			tail--;
		while (tail > b.p && !(tail[-1] == '\n' && ++lines == 10))
			tail--;
		if (b.len)
			hvt_err_append(err, ":\n%s", tail);
	}
	if (out)
		*out = b.p;
	else
		hvt_buf_release(&b);
	return ret;

timeout:
	ret = hvt_err_set(err, -ETIMEDOUT, "%s did not finish within %d ms (killed)",
			  argv[0], timeout_ms);
err_proc:
	hvt_proc_free(p);
err_pipe:
	close(pipefd[0]);
	hvt_buf_release(&b);
	return ret;
}
