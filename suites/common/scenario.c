// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A suite's scenarios by name (scenario.h).
 */
#include <errno.h>
#include <string.h>

#include "scenario.h"

/* The name an entry begins with. */
static const char *entry_name(const void *table, size_t i, size_t size)
{
	const char *name;

	memcpy(&name, (const char *)table + i * size, sizeof(name));
	return name;
}

const void *scenario_find(const void *table, size_t n, size_t size, const char *name,
			  struct hvt_err *err)
{
	struct hvt_buf known = HVT_BUF_INIT;

	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(entry_name(table, i, size), name))
			return (const char *)table + i * size;
	for (size_t i = 0; i < n; i++)
		hvt_buf_addf(&known, "%s%s", i ? ", " : "", entry_name(table, i, size));
	hvt_err_set(err, -EINVAL, "unknown scenario '%s' (%s)", name ? name : "(none)",
		    known.p ? known.p : "none");
	hvt_buf_release(&known);
	return NULL;
}

const void *scenario_case_find(struct hvt_case *c, const void *table, size_t n, size_t size,
			       const char *name)
{
	struct hvt_err err = HVT_ERR_INIT;
	const void *sc = scenario_find(table, n, size, name, &err);

	if (!sc)
		hvt_case_error(c, "%s", err.msg);
	return sc;
}
