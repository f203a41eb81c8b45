/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The expansion of a plan: a walk of its tree that yields the dict of one
 * variant at a time (expand.c), for the public iterator (variant.c).
 */
#ifndef HVT_PLAN_EXPAND_H
#define HVT_PLAN_EXPAND_H

#include "dict.h"

struct exp;

/* A walk of the whole plan; it must not outlive p. */
struct exp *exp_new_root(struct hvt_plan *p);
/* Where exp_next() reports errors. */
void exp_set_err(struct exp *e, struct hvt_err *err);
/*
 * The next variant: 1 (its dict in exp_dict()), 0 (no more) or a negative
 * errno with the error set; after an error, the same error again.
 */
int exp_next(struct exp *e);
/* The current variant's dict, valid until the next exp_next(). */
struct vdict *exp_dict(struct exp *e);
/* Scratch space for flattening the current dict. */
struct flat *exp_flat(struct exp *e);
void exp_free(struct exp *e);

#endif
