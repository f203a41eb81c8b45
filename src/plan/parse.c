// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan parser: tokens -> avocado-vt's node tree, written in the
 * compact form of tree.h. The block parser follows avocado-vt's
 * cartesian_config Parser step by step (statements, variants blocks,
 * conditions, includes), because its quirks decide what a plan means.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"
#include "lex.h"

#define MAX_NESTING 256
#define MAX_INCLUDES 64

struct parser {
	struct hvt_plan *p;
	struct hvt_err *err;
	int depth;
	char *inc[MAX_INCLUDES];	/* real paths of the files being read */
	size_t ninc;
};

static bool has_text(const char *s, size_t n, const char *what)
{
	size_t wl = strlen(what);

	for (const char *q = s; n >= wl && (q = memchr(q, what[0], n - (size_t)(q - s) - wl + 1));
	     q++)
		if (!memcmp(q, what, wl))
			return true;
	return false;
}

/*
 * The "${key}" of a value, as avocado-vt's r"\$\{(.+?)\}" finds them one
 * after the other: the key is the text up to the first "}" after at least
 * one character. Their keys are interned, so that a walk looks them up by id.
 */
static void put_refs(struct hvt_plan *p, struct hvt_buf *b, const char *v, size_t len)
{
	size_t n = 0, at = b->len, start = 0;

	put_varint(b, 0);
	for (;;) {
		const char *m = NULL, *close;

		for (const char *q = v + start; (q = memchr(q, '$', len - (size_t)(q - v))); q++) {
			if ((size_t)(q - v) + 3 < len && q[1] == '{') {
				m = q;
				break;
			}
		}
		if (!m)
			break;
		close = memchr(m + 3, '}', len - (size_t)(m + 3 - v));
		if (!close)
			break;
		put_varint(b, (uint32_t)(m - v));
		put_varint(b, (uint32_t)(close + 1 - v));
		put_varint(b, (uint32_t)strtab_intern(&p->strs, m + 2, (size_t)(close - m - 2)));
		n++;
		start = (size_t)(close + 1 - v);
	}
	if (n) {
		/* the count goes first: write it again in front */
		struct hvt_buf tmp = HVT_BUF_INIT;

		put_varint(&tmp, (uint32_t)n);
		hvt_buf_add(&tmp, b->p + at + 1, b->len - at - 1);
		b->len = at;
		hvt_buf_add(b, tmp.p, tmp.len);
		hvt_buf_release(&tmp);
	}
}

/* Append an operation to the chain at cur. */
static int emit_op(struct lexer *lx, struct cursor *cur, enum op_kind op, const char *key,
		   size_t klen, const char *val, size_t vlen, int col)
{
	struct hvt_plan *p = lx->p;
	struct tree *t = &p->tree;
	uint8_t flags = (uint8_t)op;
	int key_id = 0, rx = -1, rc;

	if (op == OP_RSET || op == OP_RAPPEND || op == OP_RPREPEND || op == OP_DEL) {
		char *re = hvt_strndup(key, klen);

		rc = key_regex_compile(lx, re, &rx, col);
		free(re);
		if (rc)
			return rc;
	} else {
		key_id = strtab_intern(&p->strs, key, klen);
		if (plan_key_reserved(p, key_id))
			flags |= OPF_KEY_RESERVED;
	}
	if (has_text(val, vlen, "${")) {
		flags |= OPF_DOLLAR;
		if (has_text(val, vlen, "${name}") || has_text(val, vlen, "${shortname}") ||
		    has_text(val, vlen, "${dep}"))
			flags |= OPF_RESERVED;
	}
	t->item.len = 0;
	hvt_buf_add(&t->item, &flags, 1);
	put_varint(&t->item, (uint32_t)key_id);
	if (rx >= 0)
		put_varint(&t->item, (uint32_t)rx);
	put_varint(&t->item, (uint32_t)vlen);
	hvt_buf_add(&t->item, val, vlen);
	hvt_buf_add(&t->item, "", 1);
	if (flags & OPF_DOLLAR)
		put_refs(p, &t->item, val, vlen);
	chain_op(t, cur->chain);
	return 0;
}

static void emit_filter(struct hvt_plan *p, struct cursor *cur, uint8_t kind,
			const struct filter *f)
{
	struct tree *t = &p->tree;
	int fi = plan_add_filter(p, f);

	t->item.len = 0;
	hvt_buf_add(&t->item, &kind, 1);
	put_varint(&t->item, (uint32_t)fi);
	chain_item(t, cur->chain);
}

static void emit_join(struct hvt_plan *p, struct cursor *cur, const struct filter *f)
{
	struct tree *t = &p->tree;
	struct hvt_buf item = HVT_BUF_INIT;

	/* one "only" per word: the terms of the product */
	hvt_buf_add(&item, (uint8_t[]){ R_JOIN }, 1);
	put_varint(&item, (uint32_t)f->n);
	for (size_t w = 0; w < f->n; w++) {
		struct filter one = { &f->w[w], 1 };

		hvt_buf_add(&item, (uint8_t[]){ R_ONLY }, 1);
		put_varint(&item, (uint32_t)plan_add_filter(p, &one));
	}
	t->item.len = 0;
	hvt_buf_add(&t->item, item.p, item.len);
	hvt_buf_release(&item);
	chain_item(t, cur->chain);
	if (cur->node && !t->full) {
		uint8_t *tag = tree_mut(t, cur->node);

		*tag |= N_JOIN;
	}
}

static int parse_block(struct parser *ps, struct lexer *lx, struct cursor *cur,
		       int prev_indent);

static char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return hvt_strdup("");
	return hvt_strndup(path, (size_t)(slash - path) + 1);
}

static int parse_include(struct parser *ps, struct lexer *lx, struct cursor *cur,
			 const struct tok *pathtok)
{
	char *path = hvt_strndup(pathtok->s, pathtok->len), *full = NULL, *real = NULL;
	struct lexer sub;
	struct reader rd;
	struct stat st;
	int line = lx->linenum, rc, fd;

	if (path[0] == '~' && (path[1] == '/' || !path[1]) && hvt_env_home()) {
		full = hvt_asprintf("%s%s", hvt_env_home(), path + 1);
	} else if (path[0] != '/' && lx->rd->is_file) {
		char *dir = path_dirname(lx->rd->file);

		full = hvt_asprintf("%s%s", dir, path);
		free(dir);
	} else {
		full = hvt_strdup(path);
	}
	if (stat(full, &st) || !S_ISREG(st.st_mode)) {
		rc = plan_err(ps->err, -ENOENT, "%s:%d:%d: include '%s': file does not exist or is"
			      " not a regular file", lx->rd->file, line, pathtok->col, full);
		goto out;
	}
	real = realpath(full, NULL);
	for (size_t i = 0; real && i < ps->ninc; i++) {
		if (!strcmp(ps->inc[i], real)) {
			rc = plan_err(ps->err, -ELOOP, "%s:%d:%d: include cycle: '%s' includes itself",
				      lx->rd->file, line, pathtok->col, full);
			goto out;
		}
	}
	if (ps->ninc >= MAX_INCLUDES) {
		rc = plan_err(ps->err, -ELOOP, "%s:%d:%d: includes nested more than %d deep",
			      lx->rd->file, line, pathtok->col, MAX_INCLUDES);
		goto out;
	}
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = plan_err(ps->err, -errno, "%s:%d:%d: include: cannot open %s: %s",
			      lx->rd->file, line, pathtok->col, full, strerror(errno));
		goto out;
	}
	reader_init(&rd, arena_strndup(&ps->p->arena, full, strlen(full)), true, fd, NULL, 0);
	memset(&sub, 0, sizeof(sub));
	sub.p = lx->p;
	sub.err = lx->err;
	sub.rd = &rd;
	sub.prev_indent = -1;
	ps->inc[ps->ninc++] = real;
	real = NULL;
	rc = parse_block(ps, &sub, cur, -1);
	free(ps->inc[--ps->ninc]);
	reader_release(&rd);
out:
	free(real);
	free(full);
	free(path);
	return rc;
}

/* Compare two token lists up to the shorter one, as avocado-vt does. */
static bool cmd_tokens(const struct tokv *a, const struct tok *b, size_t nb)
{
	for (size_t i = 0; i < a->n && i < nb; i++) {
		if (a->v[i].t != b[i].t)
			return false;
		if ((a->v[i].t == T_IDENT || a->v[i].t == T_STRING) &&
		    (a->v[i].len != b[i].len || memcmp(a->v[i].s, b[i].s, b[i].len)))
			return false;
	}
	return true;
}

/* The [default=...] values of a variants line; their texts are copies. */
struct meta_default {
	struct tokv *v;
	size_t n;
	bool any;		/* a [default] without value was seen */
};

static void meta_free_one(struct tokv *v)
{
	for (size_t k = 0; k < v->n; k++)
		if (v->v[k].t == T_IDENT || v->v[k].t == T_STRING)
			free((char *)v->v[k].s);
	free(v->v);
}

static void meta_clear(struct meta_default *m)
{
	for (size_t i = 0; i < m->n; i++)
		meta_free_one(&m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static void meta_remove(struct meta_default *m, size_t i)
{
	meta_free_one(&m->v[i]);
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
	m->n--;
}

/* The entries of a variants block, then the block; *cur becomes the block. */
static int parse_variants(struct parser *ps, struct lexer *lx, struct cursor *cur,
			  int indent, int var_indent, int var_name, struct meta_default *meta)
{
	struct hvt_plan *p = ps->p;
	struct tree *t = &p->tree;
	bool already_default = false, meta_with_default = meta->n > 0;
	struct tokv name = { NULL, 0, 0 }, deps = { NULL, 0, 0 };
	struct hvt_buf joined = HVT_BUF_INIT, raw = HVT_BUF_INIT, hdr = HVT_BUF_INIT;
	struct hvt_buf deltas = HVT_BUF_INIT;
	ref_t dflt = 0, prev = 0;
	size_t nchildren = 0;
	const char *vn = var_name >= 0 ? p->strs.str[var_name] : NULL;
	struct cursor outer = *cur;
	struct chain *bc;
	struct tok tk;
	int rc = 0;

	for (;;) {
		struct chain ec = { 0 };
		struct cursor ecur;
		ref_t n2;
		size_t nraw;
		bool is_default;
		int dep = -1;
		uint8_t tag;

		lx->prev_indent = var_indent;
		rc = lex_expect(lx, M(T_IDENT) | M(T_AT) | M(T_INDENT) | M(T_ENDBLOCK), true, &tk);
		if (rc)
			goto out;
		if (tk.t == T_ENDBLOCK)
			break;
		if (tk.t == T_INDENT) {
			rc = lex_expect(lx, M(T_DASH), true, &tk);
			if (!rc)
				rc = lex_expect(lx, M(T_IDENT) | M(T_AT), true, &tk);
			if (rc)
				goto out;
		}
		is_default = tk.t == T_AT;
		name.n = 0;
		if (!is_default)
			tokv_push(&name, &tk);
		for (;;) {
			struct tok k;

			rc = lex_next(lx, &k);
			if (rc)
				goto out;
			if (k.t == T_COLON)
				break;
			if (k.t != T_IDENT && k.t != T_DOT) {
				rc = lex_error(lx, k.col, "bad variant name: expected a name, '.' or ':'%s",
					       k.t == T_WHITE ? " (no space before ':')" : "");
				goto out;
			}
			tokv_push(&name, &k);
		}
		nraw = name.n;
		/* the names outlive this line: copy them */
		joined.len = 0;
		raw.len = 0;
		hvt_buf_add(&joined, "", 0);
		hvt_buf_add(&raw, "", 0);
		for (size_t i = 0; i < nraw; i++) {
			if (name.v[i].t != T_IDENT)
				continue;
			if (joined.len)
				hvt_buf_add(&joined, ".", 1);
			hvt_buf_add(&joined, name.v[i].s, name.v[i].len);
			name.v[i].s = (const char *)(uintptr_t)raw.len;
			hvt_buf_add(&raw, joined.p + joined.len - name.v[i].len, name.v[i].len);
		}
		for (size_t i = 0; i < nraw; i++)
			if (name.v[i].t == T_IDENT)
				name.v[i].s = raw.p + (uintptr_t)name.v[i].s;
		/* a following white space and the dependencies */
		do {
			rc = lex_next(lx, &tk);
			if (rc)
				goto out;
		} while (tk.t == T_WHITE);
		if (tk.t != T_ENDL) {
			struct tokv rest = { NULL, 0, 0 };
			struct filter f;

			deps.n = 0;
			tokv_push(&deps, &tk);
			rc = lex_until(lx, M(T_ENDL), false, &rest);
			for (size_t i = 0; !rc && i + 1 < rest.n; i++)
				tokv_push(&deps, &rest.v[i]);
			free(rest.v);
			if (!rc)
				rc = filter_parse(lx, deps.v, deps.n, &f);
			if (rc)
				goto out;
			dep = plan_add_filter(p, &f);
		}
		/* the variant's node: its names, dependencies, then its content */
		tag = R_NODE | N_NAMES | (vn ? N_VAR : 0) | (dep >= 0 ? N_DEP : 0);
		t->item.len = 0;
		hvt_buf_add(&t->item, &tag, 1);
		if (vn)
			put_varint(&t->item, (uint32_t)var_name + 1);
		put_varint(&t->item, (uint32_t)joined.len);
		hvt_buf_add(&t->item, joined.p, joined.len);
		if (dep >= 0)
			put_varint(&t->item, (uint32_t)dep);
		n2 = tree_record(t, &ec);
		ecur.node = n2;
		ecur.child = outer.node;
		ecur.chain = &ec;
		ecur.cond = false;
		if (vn)
			rc = emit_op(lx, &ecur, OP_SET, vn, strlen(vn), joined.p, joined.len, 0);
		if (!rc)
			rc = parse_block(ps, lx, &ecur, indent);
		chain_end(t, ecur.chain);
		chain_end(t, &ec);
		if (rc)
			goto out;
		if (ecur.node != n2 && !t->full) {
			/* its body holds variants blocks: the last one is the variant */
			memcpy(tree_mut(t, ecur.node) + 1 + B_NAMES_FROM, &n2, 4);
		}
		if (meta_with_default) {
			for (size_t i = 0; i < meta->n; i++) {
				if (cmd_tokens(&meta->v[i], name.v, nraw)) {
					is_default = true;
					meta_remove(meta, i);
					/* Python's remove() while iterating skips one */
				}
			}
		}
		if (!t->full) {
			uint8_t *tp = tree_mut(t, n2);

			if (is_default && !already_default) {
				*tp |= N_DEFAULT;
				already_default = true;
				dflt = ecur.node;
			}
			if (!is_default)
				*tp |= N_SHORT;
		}
		/* the entries' positions grow: each is written as the step from the last */
		put_varint(&deltas, ecur.node - prev);
		prev = ecur.node;
		nchildren++;
	}
	if (meta->n) {
		struct hvt_buf b = HVT_BUF_INIT;

		hvt_buf_add(&b, "", 0);
		for (size_t i = 0; i < meta->v[0].n; i++)
			tok_text(&b, &meta->v[0].v[i]);
		rc = lex_error(lx, 0, "missing default variant '%s'", b.p);
		hvt_buf_release(&b);
		goto out;
	}
	/* the block: its entries all have the node before it as their child */
	hvt_buf_add(&hdr, (uint8_t[]){ R_BLOCK }, 1);
	put_u32(&hdr, 0);
	put_u32(&hdr, outer.node);
	put_u32(&hdr, outer.child);
	put_u32(&hdr, 0);
	put_u32(&hdr, 0);
	put_u32(&hdr, dflt);
	put_varint(&hdr, (uint32_t)nchildren);
	t->item.len = 0;
	hvt_buf_add(&t->item, hdr.p, hdr.len);
	hvt_buf_add(&t->item, deltas.p, deltas.len);
	bc = arena_alloc(&p->arena, sizeof(*bc));
	cur->node = tree_record(t, bc);
	cur->child = 0;
	cur->chain = bc;
	plan_add_block(p, cur->node, outer.node, outer.child);
out:
	free(name.v);
	free(deps.v);
	hvt_buf_release(&deltas);
	hvt_buf_release(&joined);
	hvt_buf_release(&raw);
	hvt_buf_release(&hdr);
	return rc;
}

static int parse_variants_line(struct lexer *lx, int *var_name, struct meta_default *meta)
{
	struct hvt_plan *p = lx->p;
	struct tokv tv = { NULL, 0, 0 };
	struct tok t;
	enum tok_type vt;
	int rc;

	*var_name = -1;
	meta_clear(meta);
	lx->fast = false;
	rc = lex_until(lx, M(T_LBRACK) | M(T_COLON) | M(T_IDENT) | M(T_ENDL), true, &tv);
	if (rc)
		goto out;
	t = tv.v[tv.n - 1];
	vt = t.t;
	while (vt != T_COLON && vt != T_ENDL) {
		if (vt == T_IDENT) {
			if (*var_name >= 0) {
				rc = lex_error(lx, t.col, "expected '[' or ':' after the block name");
				goto out;
			}
			*var_name = strtab_intern(&p->strs, t.s, t.len);
		} else if (vt == T_LBRACK) {
			struct tok id, k;

			rc = lex_expect(lx, M(T_IDENT), true, &id);
			if (rc)
				goto out;
			rc = lex_expect(lx, M(T_OP) | M(T_RBRACK), true, &k);
			if (rc)
				goto out;
			if (k.t == T_OP && k.op != OP_SET) {
				rc = lex_error(lx, k.col, "expected '=' or ']'");
				goto out;
			}
			if (k.t == T_RBRACK) {
				if (id.len == 7 && !memcmp(id.s, "default", 7))
					meta->any = true;
			} else {
				rc = lex_until(lx, M(T_RBRACK) | M(T_ENDL), true, &tv);
				if (rc)
					goto out;
				if (tv.v[tv.n - 1].t != T_RBRACK) {
					rc = lex_error(lx, 0, "expected ']'");
					goto out;
				}
				if (id.len == 7 && !memcmp(id.s, "default", 7)) {
					struct tokv *m;

					meta->v = hvt_realloc(meta->v, (meta->n + 1) * sizeof(*meta->v));
					m = &meta->v[meta->n++];
					m->n = tv.n - 1;
					m->alloc = tv.n;
					m->v = hvt_malloc(tv.n * sizeof(struct tok));
					memcpy(m->v, tv.v, m->n * sizeof(struct tok));
					for (size_t i = 0; i < m->n; i++)
						if (m->v[i].t == T_IDENT || m->v[i].t == T_STRING)
							m->v[i].s = hvt_strndup(m->v[i].s, m->v[i].len);
				}
			}
		}
		rc = lex_expect(lx, M(T_LBRACK) | M(T_COLON) | M(T_IDENT) | M(T_ENDL), true, &t);
		if (rc)
			goto out;
		vt = t.t;
	}
	if (meta->any) {
		rc = lex_error(lx, 0, "expected [default=NAME]");
		goto out;
	}
	if (vt == T_ENDL) {
		rc = lex_error(lx, 0, "expected ':' at the end of the variants line");
		goto out;
	}
	rc = lex_expect(lx, M(T_ENDL), true, &t);
out:
	free(tv.v);
	return rc;
}

/*
 * A conditional block, "FILTER:" (R_COND) or "!FILTER:" (R_NCOND), whose
 * filter is toks[0..n) (the ':' already read): the rest of the line, if
 * any, is read again as the block's first line ("qcow2: size = 10G"), then
 * the lines indented deeper than indent.
 */
static int parse_condition(struct parser *ps, struct lexer *lx, struct cursor *cur,
			   uint8_t kind, const struct tok *toks, size_t n, int indent)
{
	struct hvt_plan *p = ps->p;
	struct tree *t = &p->tree;
	struct chain body = { 0 };
	struct cursor bcur;
	struct filter f;
	struct tok rest;
	ref_t at;
	int rc;

	rc = filter_parse(lx, toks, n, &f);
	if (rc)
		return rc;
	lex_rest_string(lx, &rest);
	if (rest.len) {
		struct reader *rd = lx->rd;
		struct hvt_buf copy = HVT_BUF_INIT;

		/* the rest may be part of the stored line itself ("a: b: x = 1") */
		hvt_buf_add(&copy, rest.s, rest.len);
		hvt_buf_release(&rd->stored_text);
		rd->stored_text = copy;
		rd->has_stored = true;
		rd->stored.text = rd->stored_text.p;
		rd->stored.len = rest.len;
		rd->stored.indent = indent + 1;
		rd->stored.num = lx->linenum;
	}
	at = chain_start(t, &body);
	bcur.node = 0;
	bcur.child = 0;
	bcur.chain = &body;
	bcur.cond = true;
	rc = parse_block(ps, lx, &bcur, indent);
	chain_end(t, &body);
	if (rc)
		return rc;
	t->item.len = 0;
	hvt_buf_add(&t->item, &kind, 1);
	put_varint(&t->item, (uint32_t)plan_add_filter(p, &f));
	put_u32(&t->item, at);
	chain_item(t, cur->chain);
	return 0;
}

static int parse_block(struct parser *ps, struct lexer *lx, struct cursor *cur,
		       int prev_indent)
{
	struct hvt_plan *p = ps->p;
	unsigned block_allowed = M(T_VARIANTS) | M(T_IDENT) | M(T_ONLY) | M(T_NO) |
				 M(T_INCLUDE) | M(T_DEL) | M(T_NOT) | M(T_SUFFIX) | M(T_JOIN);
	unsigned allowed = block_allowed;
	struct meta_default meta = { NULL, 0, false };
	struct tokv tv = { NULL, 0, 0 };
	struct hvt_buf suffix = HVT_BUF_INIT;
	bool have_suffix = false;
	int var_indent = 0, var_name = -1, rc = 0;
	struct tok t;

	if (++ps->depth > MAX_NESTING) {
		rc = lex_error(lx, 0, "blocks nested more than %d deep", MAX_NESTING);
		goto out;
	}
	lx->fast = true;
	for (;;) {
		int indent;

		lx->prev_indent = prev_indent;
		rc = lex_expect(lx, M(T_INDENT) | M(T_ENDBLOCK), false, &t);
		if (rc)
			goto out;
		if (t.t == T_ENDBLOCK) {
			if (have_suffix) {
				uint8_t k = OP_SUFFIX;
				struct tree *tr = &p->tree;

				tr->item.len = 0;
				hvt_buf_add(&tr->item, &k, 1);
				put_varint(&tr->item, (uint32_t)suffix.len);
				hvt_buf_add(&tr->item, suffix.p, suffix.len + 1);
				chain_op(tr, cur->chain);
			}
			break;
		}
		indent = t.indent;
		rc = lex_expect(lx, allowed, false, &t);
		if (rc) {
			if (allowed != block_allowed && rc == -EINVAL)
				hvt_err_append(ps->err, " (a variants block holds '- name:' entries,"
					       " indented deeper than 'variants')");
			goto out;
		}
		switch (t.t) {
		case T_IDENT: {
			struct tok first = t, *last;

			rc = lex_until(lx, M_OPS | M(T_COLON) | M(T_ENDL), true, &tv);
			if (rc)
				goto out;
			last = &tv.v[tv.n - 1];
			if (last->t == T_OP) {
				struct hvt_buf key = HVT_BUF_INIT;
				enum op_kind op = last->op;
				struct tok val;
				const char *v;
				size_t vl;

				hvt_buf_add(&key, first.s, first.len);
				for (size_t i = 0; i + 1 < tv.n; i++)
					tok_text(&key, &tv.v[i]);
				rc = lex_expect(lx, M(T_STRING), false, &val);
				if (rc) {
					hvt_buf_release(&key);
					goto out;
				}
				v = val.s;
				vl = val.len;
				if (vl && ((v[0] == '"' && v[vl - 1] == '"') ||
					   (v[0] == '\'' && v[vl - 1] == '\''))) {
					v++;
					vl = vl >= 2 ? vl - 2 : 0;
				}
				rc = emit_op(lx, cur, op, key.p, key.len, v, vl, first.col);
				hvt_buf_release(&key);
				if (!rc)
					rc = lex_expect(lx, M(T_ENDL), false, &t);
				if (rc)
					goto out;
			} else if (last->t == T_COLON) {
				/* the filter is first and what followed it, up to ':' */
				tokv_push(&tv, &first);
				memmove(tv.v + 1, tv.v, (tv.n - 1) * sizeof(*tv.v));
				tv.v[0] = first;
				rc = parse_condition(ps, lx, cur, R_COND, tv.v, tv.n - 1, indent);
				if (rc)
					goto out;
			} else {
				rc = lex_error(lx, last->col, "expected ':' or an operator (=, +=, <=, ~=,"
					       " ?=, ?+=, ?<=) after '%.*s'", (int)first.len, first.s);
				goto out;
			}
			break;
		}
		case T_DASH:
			rc = parse_variants(ps, lx, cur, indent, var_indent, var_name, &meta);
			if (rc)
				goto out;
			allowed = block_allowed;
			break;
		case T_VARIANTS:
			if (cur->cond) {
				rc = lex_error(lx, t.col, "'variants' is not allowed inside a conditional block");
				goto out;
			}
			rc = parse_variants_line(lx, &var_name, &meta);
			if (rc)
				goto out;
			allowed = M(T_DASH);
			var_indent = indent;
			break;
		case T_ONLY:
		case T_NO:
		case T_JOIN: {
			enum tok_type kw = t.t;
			struct filter f;

			if (kw == T_JOIN && cur->cond) {
				rc = lex_error(lx, t.col, "'join' is not allowed inside a conditional block");
				goto out;
			}
			rc = lex_until(lx, M(T_ENDL), false, &tv);
			if (!rc)
				rc = filter_parse(lx, tv.v, tv.n - 1, &f);
			if (rc)
				goto out;
			if (kw == T_JOIN)
				emit_join(p, cur, &f);
			else
				emit_filter(p, cur, kw == T_ONLY ? R_ONLY : R_NO, &f);
			break;
		}
		case T_SUFFIX: {
			struct tok id;

			rc = lex_expect(lx, M(T_IDENT), false, &id);
			if (!rc) {
				suffix.len = 0;
				hvt_buf_add(&suffix, id.s, id.len);
				have_suffix = true;
				rc = lex_expect(lx, M(T_ENDL), false, &t);
			}
			if (rc)
				goto out;
			break;
		}
		case T_INCLUDE: {
			struct tok path;

			lex_rest_string(lx, &path);
			if (!path.len) {
				rc = lex_error(lx, path.col, "include needs a file name");
				goto out;
			}
			rc = parse_include(ps, lx, cur, &path);
			if (rc)
				goto out;
			break;
		}
		case T_DEL: {
			struct tok id;

			rc = lex_expect(lx, M(T_IDENT), true, &id);
			if (!rc)
				rc = emit_op(lx, cur, OP_DEL, id.s, id.len, "", 0, id.col);
			if (!rc)
				rc = lex_expect(lx, M(T_ENDL), true, &t);
			if (rc)
				goto out;
			break;
		}
		case T_NOT:
			rc = lex_until(lx, M(T_COLON) | M(T_ENDL), true, &tv);
			if (rc)
				goto out;
			if (tv.v[tv.n - 1].t != T_COLON) {
				rc = lex_error(lx, 0, "expected ':' after the filter of '!'");
				goto out;
			}
			rc = parse_condition(ps, lx, cur, R_NCOND, tv.v, tv.n - 1, indent);
			if (rc)
				goto out;
			break;
		default:
			rc = lex_error(lx, t.col, "syntax error");
			goto out;
		}
	}
out:
	ps->depth--;
	meta_clear(&meta);
	free(tv.v);
	hvt_buf_release(&suffix);
	return rc;
}

static int parse_reader(struct hvt_plan *p, struct reader *rd, const char *real,
			struct hvt_err *err)
{
	struct parser ps;
	struct lexer lx;
	struct cursor cur = p->top;
	int rc;

	if (p->broken)
		return plan_err(err, -EINVAL, "%s: the plan had an error", p->file);
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.err = err;
	if (real)
		ps.inc[ps.ninc++] = hvt_strdup(real);
	memset(&lx, 0, sizeof(lx));
	lx.p = p;
	lx.err = err;
	lx.rd = rd;
	lx.prev_indent = -1;
	rc = parse_block(&ps, &lx, &cur, -1);
	while (ps.ninc)
		free(ps.inc[--ps.ninc]);
	/* the outermost node takes more statements later (command-line filters) */
	chain_suspend(&p->tree);
	p->gen++;
	if (rc) {
		p->broken = true;
		return rc;
	}
	p->top = cur;
	return 0;
}

int plan_parse_text(struct hvt_plan *p, const char *text, size_t len, const char *name,
		    bool is_file, struct hvt_err *err)
{
	struct reader rd;
	char *real = is_file ? realpath(name, NULL) : NULL;
	int rc;

	reader_init(&rd, arena_strndup(&p->arena, name, strlen(name)), is_file, -1, text, len);
	rc = parse_reader(p, &rd, real, err);
	reader_release(&rd);
	free(real);
	return rc;
}

int plan_parse_file(struct hvt_plan *p, const char *path, struct hvt_err *err)
{
	struct reader rd;
	struct stat st;
	char *real;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return plan_err(err, -errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || S_ISDIR(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
		close(fd);
		return plan_err(err, rc, "cannot read %s: %s", path, strerror(-rc));
	}
	real = realpath(path, NULL);
	reader_init(&rd, arena_strndup(&p->arena, path, strlen(path)), true, fd, NULL, 0);
	rc = parse_reader(p, &rd, real, err);
	reader_release(&rd);
	free(real);
	return rc;
}
