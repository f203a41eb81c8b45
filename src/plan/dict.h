/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parameter dict of one variant, as the expansion builds it: the
 * operators applied to it (dict.c), ${} substitution in values (subst.c)
 * and the _min/_max/_fixed keys applied to a finished one (minmax.c).
 */
#ifndef HVT_PLAN_DICT_H
#define HVT_PLAN_DICT_H

#include <stdbool.h>
#include <stddef.h>

#include "plan-int.h"

/* Joins a key and the suffixes ("suffix _x") set on it, in that order. */
#define SUFFIX_SEP '\x1f'

struct entry {
	int key;		/* string id; suffixed keys are "key\x1fsuffix..." */
	bool live;
	char *v;
	size_t len, cap;
};

/* Entries in the order their keys were first set, as a Python dict keeps them. */
struct vdict {
	int *slot;		/* key id -> entry index, -1 */
	size_t nslot;
	struct entry *e;
	size_t n, alloc;
	size_t nlive;
	size_t nsuffixed;	/* live entries with a suffixed key */
	struct hvt_buf name, shortname;
	struct hvt_strv dep;
};

/* A dict with its suffixed keys merged or dropped (avocado-vt's _drop_suffixes). */
struct flat {
	const char **k;		/* key texts */
	const char **v;
	size_t *vlen;
	bool *live;
	size_t n, alloc;
};

/* ---- dict.c ---- */

void vdict_release(struct vdict *d);
/* Empty d for the next variant, keeping its memory. */
void vdict_reset(struct vdict *d);
/* Make room for key ids below n. */
void vdict_grow_slots(struct vdict *d, size_t n);

static inline struct entry *vdict_get(struct vdict *d, int key)
{
	if (key < 0 || (size_t)key >= d->nslot || d->slot[key] < 0)
		return NULL;
	return &d->e[d->slot[key]];
}

/*
 * Facts about a key id, cached per plan: bit 0 known, bit 1 a suffixed
 * key, bits 2-3 a _max (1), _min (2) or _fixed (3) key.
 */
unsigned key_facts(const struct hvt_plan *p, int key);
/* Set key to v, keeping its place if it exists; returns the entry. */
struct entry *vdict_set(struct vdict *d, const struct hvt_plan *p, int key,
			const char *v, size_t len);
/*
 * Apply the operations and suffixes of spans v[0..n) to d, in order. flat,
 * tmp and tmp2 are scratch space that the caller keeps from one call to
 * the next.
 */
void vdict_apply(struct vdict *d, struct hvt_plan *p, const struct span *v, size_t n,
		 struct flat *flat, struct hvt_buf *tmp, struct hvt_buf *tmp2);
/* dst = a copy of src */
void vdict_copy(struct vdict *dst, const struct vdict *src, const struct hvt_plan *p);
/* dst = a updated with b, named as avocado-vt names two joined variants */
void vdict_merge(struct vdict *dst, const struct vdict *a, const struct vdict *b,
		 const struct hvt_plan *p);

void flat_release(struct flat *f);
/*
 * The live entries of d with suffixed keys merged or dropped. Key texts
 * of renamed keys are interned in the plan's string table.
 */
void vdict_flatten(struct vdict *d, struct hvt_plan *p, struct flat *out);

/* ---- subst.c ---- */

/*
 * avocado-vt's _substitution(): v (len bytes) with each ${expr} replaced
 * by its value in d, into out. flat is scratch space.
 */
void vdict_substitute(struct vdict *d, struct hvt_plan *p, struct flat *flat,
		      const char *v, size_t len, struct hvt_buf *out);

/* ---- minmax.c ---- */

/*
 * avocado-vt's postfix_parse(): apply KEY_max, KEY_min and KEY_fixed to a
 * finished variant. Returns 0, or -EINVAL with err set when values do not
 * compare as numbers.
 */
int vdict_minmax(struct vdict *d, struct hvt_plan *p, struct hvt_err *err);

#endif
