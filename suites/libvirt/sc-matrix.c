// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The migration matrix (libvirt-TCK's, made strict): one migration of the
 * plan's source and destination set-up by its control method and flags,
 * the TCK's ten checks and what a user needs beyond them.
 */
#include "lvsuite.h"

void lt_sc_migrate(struct lt *t)
{
	struct hvt_err err = HVT_ERR_INIT;
	int rc;

	/* (1) source defined, (2) started, (3) destination defined */
	lt_prepare(t);
	/* (4) the migration succeeded */
	rc = lt_migrate(t, NULL, &err);
	lt_require_rc(t, "migration succeeded", rc, &err, hvt_domain_control_name(t->control));
	/* (5)-(10), then the guest and the daemons */
	lt_check_migrated(t, NULL);
}
