// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan's string table: keys, block names and the names filters use,
 * interned once, so that the tree and the expansion compare and index
 * them by id.
 */
#include <stdlib.h>
#include <string.h>

#include "plan-int.h"

static uint32_t str_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int strtab_lookup(const struct strtab *t, const char *s, size_t len, size_t *slot)
{
	size_t i;

	if (!t->hsize) {
		*slot = 0;
		return -1;
	}
	i = str_hash(s, len) & (t->hsize - 1);
	for (;; i = (i + 1) & (t->hsize - 1)) {
		int id = t->hash[i];

		if (id < 0) {
			*slot = i;
			return -1;
		}
		if (t->len[id] == len && !memcmp(t->str[id], s, len)) {
			*slot = i;
			return id;
		}
	}
}

int strtab_find(const struct strtab *t, const char *s, size_t len)
{
	size_t slot;

	return strtab_lookup(t, s, len, &slot);
}

int strtab_intern(struct strtab *t, const char *s, size_t len)
{
	size_t slot;
	int id = strtab_lookup(t, s, len, &slot);

	if (id >= 0)
		return id;
	if ((t->n + 1) * 2 > t->hsize) {
		size_t nsize = t->hsize ? t->hsize * 2 : 256;

		free(t->hash);
		t->hash = hvt_malloc(nsize * sizeof(int));
		for (size_t i = 0; i < nsize; i++)
			t->hash[i] = -1;
		t->hsize = nsize;
		for (size_t k = 0; k < t->n; k++) {
			size_t i = str_hash(t->str[k], t->len[k]) & (nsize - 1);

			while (t->hash[i] >= 0)
				i = (i + 1) & (nsize - 1);
			t->hash[i] = (int)k;
		}
		strtab_lookup(t, s, len, &slot);
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 256;
		t->str = hvt_realloc(t->str, t->alloc * sizeof(*t->str));
		t->len = hvt_realloc(t->len, t->alloc * sizeof(*t->len));
	}
	t->str[t->n] = arena_strndup(&t->text, s, len);
	t->len[t->n] = (uint32_t)len;
	t->hash[slot] = (int)t->n;
	return (int)t->n++;
}

void strtab_release(struct strtab *t)
{
	free(t->str);
	free(t->len);
	free(t->hash);
	arena_release(&t->text);
	memset(t, 0, sizeof(*t));
}
