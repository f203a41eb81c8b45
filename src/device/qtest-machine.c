// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The qtest machine: a QEMU with no guest (the halting firmware under
 * TCG, or -accel qtest) started through the launcher, connected to a
 * qtest client, and ended with its exit status checked; and clients of a
 * QEMU started elsewhere (attach).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "firmware.h"
#include "launch.h"
#include "qtest-int.h"
#include "sock.h"

/* For QEMU to come up: spawn and QMP, and then again to connect to the qtest socket. */
#define START_TIMEOUT_MS 15000
#define QUIT_TIMEOUT_MS 5000
/* After a broken connection, how long QEMU gets to finish dying. */
#define DYING_MS 2000

struct machine {
	struct hvt_launch *launch;
	char *fw_path;		/* removed on free */
	char *qmp_path;		/* or NULL (no_qmp) */
};

static void machine_free(struct machine *m)
{
	hvt_launch_free(m->launch);
	if (m->fw_path)
		unlink(m->fw_path);
	free(m->fw_path);
	free(m->qmp_path);
	free(m);
}

static void machine_lost(void *owner, struct hvt_err *err)
{
	struct machine *m = owner;
	char what[sizeof(err->msg)];

	snprintf(what, sizeof(what), "%s", err->msg);
	hvt_launch_ended(m->launch, DYING_MS, err->code, what, err);
}

/* As libqtest: SIGTERM, which QEMU takes as a request to quit, not "quit" over QMP. */
static int machine_stop(void *owner, int timeout_ms, struct hvt_err *err)
{
	struct machine *m = owner;

	hvt_launch_close_qmp(m->launch);
	return hvt_launch_stop(m->launch, timeout_ms > 0 ? timeout_ms : QUIT_TIMEOUT_MS, err);
}

static void machine_release(void *owner)
{
	machine_free(owner);
}

static const struct hvt_qtest_owner_ops machine_ops = {
	.lost = machine_lost,
	.stop = machine_stop,
	.release = machine_release,
};

static bool qemu_has_qtest_accel(const char *qemu)
{
	static char cached_for[4096];
	static bool cached;
	const char *argv[] = { qemu, "-accel", "help", NULL };
	char *out = NULL;
	bool has = false;

	if (!strcmp(cached_for, qemu))
		return cached;
	if (hvt_proc_run(argv, 10000, &out, NULL) == 0 && out) {
		for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (!strncmp(l, "qtest", 5) && (l[5] == '\n' || l[5] == '\0'))
				has = true;
	}
	free(out);
	snprintf(cached_for, sizeof(cached_for), "%s", qemu);
	cached = has;
	return has;
}

static void build_argv(struct hvt_strv *argv, const struct hvt_qtest_opts *opts,
		       const char *qemu, const char *machine, const char *accel,
		       const struct machine *m)
{
	const char *wd = hvt_launch_workdir(m->launch);

	hvt_strv_pushv(argv, (const char *const[]){ qemu, "-machine", machine, "-accel", accel,
						     "-bios", m->fw_path, "-nodefaults",
						     "-display", "none", "-qtest", NULL });
	hvt_strv_pushf(argv, "unix:%s/qtest.sock", wd);
	hvt_strv_push(argv, "-qtest-log");
	hvt_strv_push(argv, opts->qtest_log ? opts->qtest_log : "/dev/null");
	if (m->qmp_path) {
		hvt_strv_push(argv, "-qmp");
		hvt_strv_pushf(argv, "unix:%s,server=on,wait=off", m->qmp_path);
	}
	hvt_strv_pushv(argv, opts->args);
}

struct hvt_qtest *hvt_qtest_start(const struct hvt_qtest_opts *opts, struct hvt_err *err)
{
	const char *qemu = opts->qemu ? opts->qemu : hvt_qemu_binary();
	const char *machine = opts->machine ? opts->machine : "pc";
	const char *const serves[] = { "qmp.sock", NULL };
	const char *const connects[] = { "qtest.sock", NULL };
	struct hvt_launch_opts lo = {
		.name = "QEMU",
		.workdir = opts->workdir,
		.prefix = "qtest",
		.serves = opts->no_qmp ? NULL : serves,
		.connects = connects,
		.log = "qemu.stderr",
		.qmp = opts->no_qmp || opts->qmp_socket_only ? NULL : "qmp.sock",
	};
	struct machine *m = hvt_zalloc(sizeof(*m));
	const char *accel;
	struct hvt_qtest *q;
	int fd;

	m->launch = hvt_launch_new(&lo, err);
	if (!m->launch)
		goto err_free;
	m->fw_path = hvt_launch_path(m->launch, "halt.fw");
	if (hvt_fw_write_halt(m->fw_path, err))
		goto err_free;
	if (!opts->no_qmp)
		m->qmp_path = hvt_launch_path(m->launch, "qmp.sock");
	accel = qemu_has_qtest_accel(qemu) ? "qtest" : "tcg";
	build_argv(hvt_launch_argv(m->launch), opts, qemu, machine, accel, m);
	/* QMP is up once QEMU has taken its command line; then it connects to us. */
	if (hvt_launch_start(m->launch, START_TIMEOUT_MS, err))
		goto err_free;
	fd = hvt_launch_accept(m->launch, "qtest.sock", START_TIMEOUT_MS, err);
	if (fd < 0)
		goto err_free;
	q = hvt_qtest_open_fd(fd, opts->timeout_ms, err);
	if (!q)
		goto err_free;
	hvt_qtest_set_owner(q, &machine_ops, m, accel);
	if (opts->record && hvt_qtest_record(q, opts->record, machine, opts->args, err)) {
		hvt_qtest_free(q);
		return NULL;
	}
	return q;

err_free:
	machine_free(m);
	return NULL;
}

struct hvt_qtest *hvt_qtest_attach(const char *path, int connect_ms, int timeout_ms,
				   struct hvt_err *err)
{
	int fd = hvt_sock_connect_unix(path, connect_ms, err);

	if (fd < 0)
		return NULL;
	return hvt_qtest_open_fd(fd, timeout_ms, err);
}

struct hvt_qmp *hvt_qtest_qmp(struct hvt_qtest *q)
{
	struct machine *m = hvt_qtest_owner(q, &machine_ops);

	return m ? hvt_launch_qmp(m->launch) : NULL;
}

const char *hvt_qtest_qmp_path(const struct hvt_qtest *q)
{
	struct machine *m = hvt_qtest_owner(q, &machine_ops);

	return m ? m->qmp_path : NULL;
}

const char *hvt_qtest_workdir(const struct hvt_qtest *q)
{
	struct machine *m = hvt_qtest_owner(q, &machine_ops);

	return m ? hvt_launch_workdir(m->launch) : NULL;
}

pid_t hvt_qtest_pid(const struct hvt_qtest *q)
{
	struct machine *m = hvt_qtest_owner(q, &machine_ops);

	return m ? hvt_launch_pid(m->launch) : -1;
}
