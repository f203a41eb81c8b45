/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test plans in avocado-vt's Cartesian configuration format: load a plan,
 * add command-line filters, and stream its variants one at a time.
 */
#ifndef HVT_PLAN_H
#define HVT_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct hvt_plan;
struct hvt_plan_iter;
struct hvt_variant;

/*
 * Parse the plan in path (includes are resolved relative to the including
 * file). Returns a new plan, or NULL with err set to
 * "file:line[:column]: message" (code -EINVAL for syntax errors, text that
 * is not UTF-8 and NUL bytes, -ENOENT for a missing include, -ELOOP for an
 * include cycle). Control characters in messages are shown as \xNN. The
 * text is read a line at a time: memory follows the plan's statements.
 */
struct hvt_plan *hvt_plan_load(const char *path, struct hvt_err *err);
/*
 * Parse a plan from text; name is used in messages ("<string>" if NULL).
 * Relative includes in text are resolved against the current directory.
 */
struct hvt_plan *hvt_plan_load_string(const char *text, const char *name,
				      struct hvt_err *err);
/* The same for len bytes at text, which may hold NUL bytes (an error in a plan line). */
struct hvt_plan *hvt_plan_load_mem(const char *text, size_t len, const char *name,
				   struct hvt_err *err);
void hvt_plan_free(struct hvt_plan *plan);

/*
 * Add a command-line filter, as avocado-vt's parser adds its "only" and
 * "no" arguments: the text is parsed as one more plan fragment appended
 * at the top level. "only EXPR", "no EXPR", "KEY = VALUE" and any other
 * plan statement are taken as they are; a bare filter expression
 * ("qcow2..boot", "smp2") means "only EXPR". Returns 0 or -EINVAL; after
 * an error the plan can only be freed.
 */
int hvt_plan_filter(struct hvt_plan *plan, const char *filter, struct hvt_err *err);

/*
 * avocado-vt's "defaults" mode (cartesian_config --defaults): of a variants
 * block with a default variant ("@name" or [default=name]) only the default
 * is expanded, unless the block's name is listed in expand (comma separated,
 * may be NULL).
 */
void hvt_plan_set_defaults(struct hvt_plan *plan, bool on, const char *expand);
/* The variants an expansion yields before it fails, unless set otherwise. */
#define HVT_PLAN_DEFAULT_LIMIT ((size_t)10000000)

/*
 * Stop an expansion with an error after max variants (0: no limit; the
 * default is HVT_PLAN_DEFAULT_LIMIT). hvt_plan_iter_next() then fails with
 * -E2BIG.
 */
void hvt_plan_set_limit(struct hvt_plan *plan, size_t max);

/*
 * Iterate the variants in avocado-vt's order. Memory use does not grow
 * with the number of variants. An iterator must not outlive its plan, and
 * hvt_plan_filter() must not be called while iterators exist.
 */
struct hvt_plan_iter *hvt_plan_iter_new(struct hvt_plan *plan);
/*
 * Next variant into *out: returns 1 (got one), 0 (no more) or a negative
 * errno with err set (limit reached, a _min/_max value that is not a
 * number). *out is owned by the iterator and valid until the next call or
 * hvt_plan_iter_free(); use hvt_variant_dup() to keep it.
 */
int hvt_plan_iter_next(struct hvt_plan_iter *it, const struct hvt_variant **out,
		       struct hvt_err *err);
/* Variants returned so far. */
size_t hvt_plan_iter_count(const struct hvt_plan_iter *it);
void hvt_plan_iter_free(struct hvt_plan_iter *it);

/*
 * A variant: its full name ("(host_os=linux).qcow2.boot"), its short name
 * (default variants left out), its dependencies and its parameters in
 * avocado-vt's dict order. The reserved keys name, shortname and dep are
 * not among the parameters; use the accessors.
 */
const char *hvt_variant_name(const struct hvt_variant *v);
const char *hvt_variant_shortname(const struct hvt_variant *v);
size_t hvt_variant_ndeps(const struct hvt_variant *v);
const char *hvt_variant_dep(const struct hvt_variant *v, size_t i);
size_t hvt_variant_nkeys(const struct hvt_variant *v);
const char *hvt_variant_key(const struct hvt_variant *v, size_t i);
const char *hvt_variant_value(const struct hvt_variant *v, size_t i);
/* The value of key, or NULL if the variant has no such key. */
const char *hvt_variant_get(const struct hvt_variant *v, const char *key);
/*
 * The case among names[0..n) (sorted by strcmp) that the dependency dep
 * (from the dep key of the case named dependent) stands for: the case named dep; else the one
 * with dep's context, dep's last name in that place and the dependent's
 * names after it; else the only case with dep's context and last name.
 * Returns its index, or -1 with *nfit the number of cases that fit (0:
 * none, more than 1: ambiguous).
 */
long hvt_plan_dep_find(const char *const *names, size_t n, const char *dependent,
		       const char *dep, size_t *nfit);
/* Sort names[0..n) as hvt_plan_dep_find() wants them. */
void hvt_plan_names_sort(const char **names, size_t n);
/* A copy that the caller owns and frees with hvt_variant_free(). */
struct hvt_variant *hvt_variant_dup(const struct hvt_variant *v);
void hvt_variant_free(struct hvt_variant *v);

#endif
