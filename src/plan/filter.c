// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Filters: parsed from the lexer's tokens as avocado-vt's parse_filter()
 * does, and matched against the names of a variant as its Filter does.
 */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "lex.h"

/* ---- parsing ---- */

int plan_add_filter(struct hvt_plan *p, const struct filter *f)
{
	if (p->nfilters == p->afilters) {
		p->afilters = p->afilters ? p->afilters * 2 : 64;
		p->filters = hvt_realloc(p->filters, p->afilters * sizeof(*p->filters));
	}
	p->filters[p->nfilters] = *f;
	return (int)p->nfilters++;
}

void plan_use_label(struct hvt_plan *p, const struct label *l)
{
	size_t need = (size_t)l->name + 1;

	if (need > p->nfuse) {
		size_t n = need * 2 < 256 ? 256 : need * 2;

		p->fuse = hvt_realloc(p->fuse, n);
		memset(p->fuse + p->nfuse, 0, n - p->nfuse);
		p->nfuse = n;
	}
	p->fuse[l->name] |= l->var < 0 ? USE_PLAIN : USE_VAR;
}

static struct label label_make(struct hvt_plan *p, const char *var, size_t vlen,
			       const char *name, size_t nlen)
{
	struct label l;

	l.name = strtab_intern(&p->strs, name, nlen);
	l.var = var ? strtab_intern(&p->strs, var, vlen) : -1;
	plan_use_label(p, &l);
	p->gen++;
	return l;
}

struct lvec {
	struct label *v;
	size_t n, alloc;
};

static void lvec_push(struct lvec *lv, struct label l)
{
	if (lv->n == lv->alloc) {
		lv->alloc = lv->alloc ? lv->alloc * 2 : 4;
		lv->v = hvt_realloc(lv->v, lv->alloc * sizeof(*lv->v));
	}
	lv->v[lv->n++] = l;
}

struct fbuild {
	struct fword *words;
	size_t nwords, awords;
	struct fblock *blocks;	/* current and_filter */
	size_t nblocks, ablocks;
	struct lvec con;	/* current con_filter */
};

static void fb_end_block(struct fbuild *fb, struct hvt_plan *p)
{
	struct fblock b;

	b.n = fb->con.n;
	b.l = arena_alloc(&p->arena, b.n * sizeof(struct label) + 1);
	memcpy(b.l, fb->con.v, b.n * sizeof(struct label));
	fb->con.n = 0;
	if (fb->nblocks == fb->ablocks) {
		fb->ablocks = fb->ablocks ? fb->ablocks * 2 : 4;
		fb->blocks = hvt_realloc(fb->blocks, fb->ablocks * sizeof(*fb->blocks));
	}
	fb->blocks[fb->nblocks++] = b;
}

static void fb_end_word(struct fbuild *fb, struct hvt_plan *p)
{
	struct fword w;

	w.n = fb->nblocks;
	w.b = arena_alloc(&p->arena, w.n * sizeof(struct fblock) + 1);
	memcpy(w.b, fb->blocks, w.n * sizeof(struct fblock));
	fb->nblocks = 0;
	if (fb->nwords == fb->awords) {
		fb->awords = fb->awords ? fb->awords * 2 : 4;
		fb->words = hvt_realloc(fb->words, fb->awords * sizeof(*fb->words));
	}
	fb->words[fb->nwords++] = w;
}

static const struct tok *next_nw(const struct tok *toks, size_t n, size_t *i,
				 const struct tok *endl)
{
	while (*i < n && toks[*i].t == T_WHITE)
		(*i)++;
	return *i < n ? &toks[(*i)++] : endl;
}

int filter_parse(struct lexer *lx, const struct tok *toks, size_t n, struct filter *out)
{
	struct hvt_plan *p = lx->p;
	struct fbuild fb;
	struct tok endl;
	size_t i = 0;
	int dots = 1, rc = 0;
	const struct tok *t;

	memset(&fb, 0, sizeof(fb));
	memset(&endl, 0, sizeof(endl));
	endl.t = T_ENDL;
#define NEXT() (i < n ? &toks[i++] : &endl)
#define NEXT_NW() next_nw(toks, n, &i, &endl)
#define CHECK(tk, mask, what) do { if (!((mask) & M((tk)->t))) { \
		rc = lex_error(lx, (tk)->col, "bad filter: expected %s", what); goto out; } } while (0)
	t = NEXT();
	CHECK(t, M(T_IDENT) | M(T_LPAREN) | M(T_ENDL) | M(T_WHITE), "a variant name or '('");
	while (t->t != T_ENDL) {
		if (t->t == T_IDENT || t->t == T_LPAREN) {
			struct label l;

			if (t->t == T_LPAREN) {
				const struct tok *id = NEXT_NW(), *op, *val;

				CHECK(id, M(T_IDENT), "a name after '('");
				op = NEXT_NW();
				CHECK(op, M(T_OP) | M(T_RPAREN), "'=' or ')'");
				if (op->t == T_OP && op->op != OP_SET)
					CHECK(op, 0, "'=' or ')'");
				if (op->t == T_RPAREN) {
					l = label_make(p, NULL, 0, id->s, id->len);
				} else {
					val = NEXT_NW();
					CHECK(val, M(T_IDENT) | M(T_STRING), "a variant name after '='");
					op = NEXT_NW();
					CHECK(op, M(T_RPAREN), "')'");
					l = label_make(p, id->s, id->len, val->s, val->len);
				}
			} else {
				l = label_make(p, NULL, 0, t->s, t->len);
			}
			if (dots == 1) {
				lvec_push(&fb.con, l);
			} else if (dots == 2) {
				fb_end_block(&fb, p);
				lvec_push(&fb.con, l);
			} else {
				rc = lex_error(lx, t->col, "bad filter: expected '.' or '..' between names");
				goto out;
			}
			dots = 0;
		} else if (t->t == T_DOT) {
			dots++;
		} else if (t->t == T_COMMA || t->t == T_WHITE) {
			if (dots > 0) {
				rc = lex_error(lx, t->col, "bad filter: expected a name between '.' and ','");
				goto out;
			}
			if (fb.nblocks) {
				if (fb.con.n)
					fb_end_block(&fb, p);
				fb_end_word(&fb, p);
			} else if (fb.con.n) {
				fb_end_block(&fb, p);
				fb_end_word(&fb, p);
			} else {
				rc = lex_error(lx, t->col, "bad filter: expected a name before ','");
				goto out;
			}
			dots = 1;
			t = NEXT_NW();
			CHECK(t, M(T_IDENT) | M(T_COMMA) | M(T_DOT) | M(T_LPAREN) | M(T_ENDL),
			      "a variant name");
			continue;
		} else {
			CHECK(t, 0, "a variant name, '.', ',' or '('");
		}
		t = NEXT();
		CHECK(t, M(T_IDENT) | M(T_COMMA) | M(T_DOT) | M(T_LPAREN) | M(T_ENDL) | M(T_WHITE),
		      "a variant name, '.', ',' or '('");
	}
	if (fb.nblocks) {
		if (fb.con.n)
			fb_end_block(&fb, p);
		fb_end_word(&fb, p);
	}
	if (fb.con.n) {
		fb_end_block(&fb, p);
		fb_end_word(&fb, p);
	}
	out->n = fb.nwords;
	out->w = arena_alloc(&p->arena, fb.nwords * sizeof(struct fword) + 1);
	if (fb.nwords)
		memcpy(out->w, fb.words, fb.nwords * sizeof(struct fword));
#undef NEXT
#undef NEXT_NW
#undef CHECK
out:
	free(fb.words);
	free(fb.blocks);
	free(fb.con.v);
	return rc;
}

/* ---- matching ---- */

static inline bool label_eq(const struct clabel *ctx, const struct label *f)
{
	return ctx->name == f->name && (f->var < 0 || ctx->var == f->var);
}

static bool in_ctx(const struct clabel *ctx, size_t n, const struct label *f)
{
	for (size_t i = 0; i < n; i++)
		if (label_eq(&ctx[i], f))
			return true;
	return false;
}

static bool in_labels(const struct labelset *ls, const struct label *f)
{
	uint64_t x = label_key(f->name, f->var);
	size_t lo = 0, hi = ls ? ls->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ls->v[mid] == x)
			return true;
		if (ls->v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static size_t match_adjacent(const struct fblock *b, const struct clabel *ctx, size_t n)
{
	size_t k = 0, i;

	if (!b->n || !in_ctx(ctx, n, &b->l[0]))
		return 0;
	if (b->n == 1)
		return 1;
	if (!in_ctx(ctx, n, &b->l[1]))
		return label_eq(&ctx[n - 1], &b->l[0]);
	for (i = 0; i < n; i++)
		if (label_eq(&ctx[i], &b->l[0]))
			break;
	while (i < n) {
		if (k > 0 && !label_eq(&ctx[i], &b->l[k])) {
			i -= k - 1;
			k = 0;
		}
		if (label_eq(&ctx[i], &b->l[k])) {
			k++;
			if (k >= b->n)
				break;
			if (!in_ctx(ctx, n, &b->l[k]))
				break;
		}
		i++;
	}
	return k;
}

bool filter_match(const struct filter *f, const struct clabel *ctx, size_t n)
{
	for (size_t w = 0; w < f->n; w++) {
		size_t b;

		for (b = 0; b < f->w[w].n; b++)
			if (match_adjacent(&f->w[w].b[b], ctx, n) != f->w[w].b[b].n)
				break;
		if (b == f->w[w].n)
			return true;
	}
	return false;
}

bool filter_might_match(const struct filter *f, const struct clabel *ctx, size_t n,
			const struct labelset *ls)
{
	for (size_t w = 0; w < f->n; w++) {
		size_t b;

		for (b = 0; b < f->w[w].n; b++) {
			const struct fblock *bl = &f->w[w].b[b];
			size_t m = match_adjacent(bl, ctx, n);
			bool ok = true;

			for (size_t k = m; k < bl->n && ok; k++)
				ok = in_labels(ls, &bl->l[k]);
			if (!ok)
				break;
		}
		if (b == f->w[w].n)
			return true;
	}
	return false;
}
