// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bad input: a destination that never listens, a port in use, a
 * capability this QEMU does not know, an incoming URI QEMU rejects. Each
 * must give one clear error (expect_error is part of it), leave the
 * source running, and both QEMUs must be gone afterwards.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migration.h"

/* A socket of hvtest's own listening on 127.0.0.1 (the port in use): its port. */
static int hold_port(int *fd, struct hvt_err *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) || listen(*fd, 1) ||
	    getsockname(*fd, (struct sockaddr *)&a, &len))
		return hvt_err_set(err, -errno, "holding a port: %s", strerror(errno));
	return ntohs(a.sin_port);
}

/* Quit a machine (if any) and say whether its QEMU is gone. */
static bool gone(struct hvt_vm *vm)
{
	struct hvt_proc_status st;

	if (!vm || !hvt_vm_proc(vm))
		return true;
	hvt_vm_quit(vm, 10000, NULL);
	return hvt_proc_poll(hvt_vm_proc(vm), &st) == 1;
}

void mt_sc_bad_input(struct mt *t)
{
	const char *bad = hvt_case_param(t->c, "bad", "never_listens");
	struct hvt_err err = HVT_ERR_INIT;
	struct hvt_migrate_opts o;
	int held = -1, rc;
	bool listens = strcmp(bad, "never_listens") != 0;

	mt_boot_source(t);
	mt_opts(t, &o);
	o.uri = hvt_case_param(t->c, "incoming_uri", NULL);
	if (!strcmp(bad, "port_in_use")) {
		o.port = hold_port(&held, &err);
		mt_require_rc(t, "bad input: a port in use", o.port < 0 ? o.port : 0, &err, "held");
	}
	/* never_listens: the destination runs, but is never told to listen */
	rc = mt_try_migrate(t, &o, listens, &err);
	if (rc == -ETIMEDOUT) {
		/* a migration that hangs (exec into a FIFO nobody reads): cancelled */
		struct hvt_err e2 = HVT_ERR_INIT;

		hvt_migrate_cancel(t->mig, 30000, &e2);
	}
	if (held >= 0)
		close(held);
	hvt_case_check(t->c, "bad input: one clear error",
		       rc && t->expect_error && strstr(err.msg, t->expect_error),
		       "%s", rc ? err.msg : "no error at all");
	mt_check_source_survived(t, "bad input");
	hvt_migrate_free(t->mig);
	t->mig = NULL;
	mt_load_stop(t, t->src, "");
	hvt_case_check(t->c, "bad input: both QEMUs gone afterwards", gone(t->src) && gone(t->dst),
		       "source and destination processes ended");
	hvt_vm_free(t->dst);
	t->dst = NULL;
	hvt_vm_free(t->src);
	t->src = NULL;
}
