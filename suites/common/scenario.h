/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A suite's scenarios by name: the lookup behind each test type's
 * "scenario" key, over the suite's own table.
 */
#ifndef HVT_SUITE_SCENARIO_H
#define HVT_SUITE_SCENARIO_H

#include <stddef.h>

#include "hvtest.h"

/*
 * The entry named name in table, n entries of size bytes each that all
 * begin with their name (a const char *). NULL when there is none, with
 * err naming name and the scenarios there are (-EINVAL).
 */
const void *scenario_find(const void *table, size_t n, size_t size, const char *name,
			  struct hvt_err *err);

/* scenario_find() over an array, typed as its entries. */
#define SCENARIO_FIND(table, name, err)                                                  \
	((const __typeof__((table)[0]) *)scenario_find((table), HVT_ARRAY_SIZE(table),     \
						       sizeof((table)[0]), (name), (err)))

/*
 * scenario_find() for a case's run: NULL when there is no such scenario,
 * after ending case c with that error.
 */
const void *scenario_case_find(struct hvt_case *c, const void *table, size_t n, size_t size,
			       const char *name);
#define SCENARIO_CASE_FIND(c, table, name)                                               \
	((const __typeof__((table)[0]) *)scenario_case_find((c), (table),                 \
							    HVT_ARRAY_SIZE(table),          \
							    sizeof((table)[0]), (name)))

#endif
