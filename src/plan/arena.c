// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan's arena: memory that lives as long as the plan (filters,
 * regular expressions, strings) and is released in one go.
 */
#include <stdlib.h>
#include <string.h>

#include "plan-int.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

static void *chunk_take(struct arena *a, size_t n, size_t align)
{
	struct arena_chunk *c = a->head;
	size_t at = c ? (c->used + align - 1) / align * align : 0;

	if (!c || at > c->size || c->size - at < n) {
		size_t size = n > 65536 ? n : 65536;

		c = hvt_malloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		at = 0;
	}
	c->used = at + n;
	return (char *)c->data + at;
}

void *arena_alloc(struct arena *a, size_t n)
{
	void *p = chunk_take(a, n, sizeof(max_align_t));

	memset(p, 0, n);
	return p;
}

void *arena_bytes(struct arena *a, size_t n)
{
	return chunk_take(a, n, 1);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_bytes(a, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}
