/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the libvirt suite's files share: a case's state (plan keys, the
 * two daemons, the domain), its steps and its scenarios.
 */
#ifndef HVT_SUITE_LVSUITE_H
#define HVT_SUITE_LVSUITE_H

#include <stdbool.h>

#include "domain.h"
#include "hvtest.h"
#include "libvirtd.h"

struct lt {
	struct hvt_case *c;

	/* plan keys */
	const char *scenario;
	enum hvt_domain_control control;
	unsigned int flags;	   /* migrate_flags */
	bool src_persistent, src_paused, dest_defined;
	bool expect_src_defined, expect_dest_persistent, expect_dest_paused;
	int mem_mib, boot_ms, mig_ms;
	unsigned long bandwidth;   /* MiB/s, 0: unlimited */

	/* where things live: root (short, for socket paths) holds src/, dst/, share/ */
	struct hvt_libvirtd_root *held;	/* root's directory, removed when its holder dies */
	const char *root;
	char *share;
	char *xml;		   /* the domain's XML */
	const char *name;	   /* the domain's name */
	struct hvt_libvirtd *src, *dst;
	virDomainPtr sdom, ddom;   /* the domain on each side, or NULL */
	char *ram_sum, *disk_sum;  /* the guest's data before the migration */
	bool ran;		   /* the scenario started: final checks are due */
};

/* libvirt.c: steps */
/* A check that fails with err's message when rc is not 0; returns whether it passed. */
bool lt_check_rc(struct lt *t, const char *name, int rc, const struct hvt_err *err,
		 const char *okmsg);
/* The same as a requirement: the case ends there when rc is not 0. */
void lt_require_rc(struct lt *t, const char *name, int rc, const struct hvt_err *err,
		   const char *okmsg);
/*
 * Put the guest on the source as the plan says: defined (persistent) or
 * not, started, agent up, its RAM and disk data written, paused if asked;
 * the destination pre-defined if asked. Checks 1-3.
 */
void lt_prepare(struct lt *t);
/* Migrate with the plan's options (o: NULL) or o. Returns 0 or the error's code. */
int lt_migrate(struct lt *t, const struct hvt_domain_migrate_opts *o, struct hvt_err *err);
/* The plan's migration options. */
void lt_opts(struct lt *t, struct hvt_domain_migrate_opts *o);
/*
 * After a migration: checks 5-10 strictly, then beyond: the transient
 * domain gone from the source, the agent, RAM and disk on the
 * destination, the protocol, both daemons healthy.
 */
void lt_check_migrated(struct lt *t, const char *label);
/* Both daemons answer: check "LABEL: both daemons healthy". */
void lt_check_daemons(struct lt *t, const char *label);
/* The domain on daemon d by name, or NULL (no such domain). */
virDomainPtr lt_lookup(struct hvt_libvirtd *d, const char *name);

/* sc-matrix.c */
void lt_sc_migrate(struct lt *t);

/* sc-failure.c */
void lt_sc_failure(struct lt *t);

#endif
