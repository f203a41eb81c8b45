/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parameter dict of one variant, as the expansion builds it: the
 * operators applied to it and undone again (dict.c), ${} substitution in
 * values (subst.c) and the _min/_max/_fixed keys applied to a finished
 * one (minmax.c).
 */
#ifndef HVT_PLAN_DICT_H
#define HVT_PLAN_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "plan-int.h"

/* Joins a key and the suffixes ("suffix _x") set on it: a line break, never in a key. */
#define SUFFIX_SEP '\x1e'

struct entry {
	const char *v;		/* NUL-terminated, in the tree or in the dict's values */
	uint32_t len;
	int key;		/* string id; suffixed keys are "key\x1esuffix..." */
	bool live;
};

/* Values a dict computed, on a stack that a mark takes back. */
struct vchunk;
struct vstack {
	struct vchunk *top, *spare;
};

struct vmark {
	struct vchunk *c;
	size_t used;
};

struct undo;

/*
 * Entries in the order their keys were first set, as a Python dict keeps
 * them. An undoable dict logs each change, so that a walk can take it
 * back to a mark and reuse what variants share.
 */
struct vdict {
	int *slot;		/* key id -> entry index, -1 */
	size_t nslot;
	struct entry *e;
	size_t n, alloc;
	size_t nlive;
	size_t nsuffixed;	/* live entries with a suffixed key */
	uint32_t *post;		/* entries with _max, _min or _fixed keys, in order */
	size_t npost, apost;
	struct hvt_buf name, shortname;
	struct hvt_strv dep;
	struct vstack vals;
	struct undo *log;
	size_t nlog, alog;
	bool undoable;
};

struct vdict_mark {
	size_t nlog;
	struct vmark vals;
};

/* A dict with its suffixed keys merged or dropped (avocado-vt's _drop_suffixes). */
struct flat {
	const char **k;		/* key texts */
	const char **v;
	size_t *vlen;
	bool *live;
	size_t n, alloc;
};

/* hvt_buf_add() for hot paths: no call when there is room */
static inline void buf_put(struct hvt_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->alloc) {
		hvt_buf_add(b, data, len);
		return;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

/* ---- dict.c ---- */

void vdict_release(struct vdict *d);
/* Empty d (names and log too), keeping its memory. */
void vdict_reset(struct vdict *d);
/* Make room for key ids below n. */
void vdict_grow_slots(struct vdict *d, size_t n);

static inline struct entry *vdict_get(struct vdict *d, int key)
{
	if (key < 0 || (size_t)key >= d->nslot || d->slot[key] < 0)
		return NULL;
	return &d->e[d->slot[key]];
}

/* Where d is now, for vdict_undo(). */
void vdict_mark(const struct vdict *d, struct vdict_mark *m);
/* Take back every change since m (an undoable dict). */
void vdict_undo(struct vdict *d, const struct hvt_plan *p, const struct vdict_mark *m);
/* A copy of s (len bytes) that lives with d's values. */
const char *vdict_keep(struct vdict *d, const char *s, size_t len);

/*
 * Facts about a key id, cached per plan: bit 0 known, bit 1 a suffixed
 * key, bits 2-3 a _max (1), _min (2) or _fixed (3) key.
 */
unsigned key_facts(const struct hvt_plan *p, int key);
/* Set key to v (len bytes, NUL-terminated, kept as it is), keeping its place. */
void vdict_set(struct vdict *d, const struct hvt_plan *p, int key, const char *v, size_t len);
/*
 * Apply the operations of the RUN at run to d, in order; tmp and flat are
 * scratch space that the caller keeps from one call to the next. Returns
 * whether a value named name, shortname or dep.
 */
bool vdict_apply_run(struct vdict *d, struct hvt_plan *p, const uint8_t *run,
		     struct flat *flat, struct hvt_buf *tmp);
/*
 * dst = a updated with b, named as avocado-vt names two joined variants;
 * dst holds a's and b's values, not copies (not undoable). -EINVAL with err
 * set where avocado-vt cannot name them (one name a prefix of the other).
 */
int vdict_merge(struct vdict *dst, const struct vdict *a, const struct vdict *b,
		const struct hvt_plan *p, struct hvt_err *err);

void flat_release(struct flat *f);
/*
 * The live entries of d with suffixed keys merged or dropped. Key texts
 * of renamed keys are interned in the plan's string table.
 */
void vdict_flatten(struct vdict *d, struct hvt_plan *p, struct flat *out);

/* ---- subst.c ---- */

/*
 * avocado-vt's _substitution(): v (len bytes) with each ${name} replaced
 * by the value of key name, into out; refs are its references (tree.h).
 * flat is scratch space.
 */
void vdict_substitute(struct vdict *d, struct hvt_plan *p, struct flat *flat,
		      const char *v, size_t len, const uint8_t *refs, struct hvt_buf *out);

/* ---- minmax.c ---- */

/*
 * avocado-vt's postfix_parse(): apply KEY_max, KEY_min and KEY_fixed to a
 * finished variant. Returns 0, or -EINVAL with err set when values do not
 * compare as numbers.
 */
int vdict_minmax(struct vdict *d, struct hvt_plan *p, struct hvt_err *err);

#endif
