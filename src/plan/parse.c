// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan parser: tokens -> avocado-vt's node tree. The block parser
 * follows avocado-vt's cartesian_config Parser step by step (statements,
 * variants blocks, conditions, includes), because its quirks decide what
 * a plan means.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "env.h"
#include "lex.h"

#define MAX_NESTING 256
#define MAX_INCLUDES 64

struct include_frame {
	char *real;
};

struct parser {
	struct hvt_plan *p;
	struct hvt_err *err;
	int depth;
	struct include_frame inc[MAX_INCLUDES];
	size_t ninc;
};

static struct item *new_item(struct lexer *lx, enum item_kind kind)
{
	struct item *it = arena_alloc(&lx->p->arena, sizeof(*it));

	it->kind = kind;
	it->file = lx->rd->file;
	it->line = lx->linenum;
	return it;
}

static int add_op(struct lexer *lx, struct node *node, enum op_kind op, const char *key,
		  size_t klen, const char *val, size_t vlen, int col)
{
	struct hvt_plan *p = lx->p;
	struct item *it = new_item(lx, IT_OP);
	int rc;

	it->op = op;
	it->keytext = arena_strndup(&p->arena, key, klen);
	it->key = strtab_intern(&p->strs, key, klen);
	it->value = arena_strndup(&p->arena, val, vlen);
	it->vlen = vlen;
	it->dollar = memchr(val, '$', vlen) != NULL;
	if (op == OP_RSET || op == OP_RAPPEND || op == OP_RPREPEND || op == OP_DEL) {
		rc = key_regex_compile(lx, it->keytext, &it->re, col);
		if (rc)
			return rc;
	}
	node_add(p, node, it);
	return 0;
}

static struct node *parse_block(struct parser *ps, struct lexer *lx, struct node *node,
				int prev_indent);

static char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return hvt_strdup("");
	return hvt_strndup(path, (size_t)(slash - path) + 1);
}

static struct node *parse_include(struct parser *ps, struct lexer *lx, struct node *node,
				  const struct tok *pathtok)
{
	char *path = hvt_strndup(pathtok->s, pathtok->len), *full = NULL, *real = NULL;
	char *text = NULL, *fname;
	struct node *ret = NULL;
	struct stat st;
	struct lexer sub;
	struct reader rd;
	size_t len;
	int line = lx->linenum;

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
		hvt_err_set(ps->err, -ENOENT, "%s:%d:%d: include '%s': file does not exist or is"
			    " not a regular file", lx->rd->file, line, pathtok->col, full);
		goto out;
	}
	real = realpath(full, NULL);
	for (size_t i = 0; real && i < ps->ninc; i++) {
		if (!strcmp(ps->inc[i].real, real)) {
			hvt_err_set(ps->err, -ELOOP, "%s:%d:%d: include cycle: '%s' includes itself",
				    lx->rd->file, line, pathtok->col, full);
			goto out;
		}
	}
	if (ps->ninc >= MAX_INCLUDES) {
		hvt_err_set(ps->err, -ELOOP, "%s:%d:%d: includes nested more than %d deep",
			    lx->rd->file, line, pathtok->col, MAX_INCLUDES);
		goto out;
	}
	if (hvt_file_read(full, &text, &len, ps->err)) {
		hvt_err_prefix(ps->err, "%s:%d:%d: include", lx->rd->file, line, pathtok->col);
		goto out;
	}
	fname = arena_strndup(&ps->p->arena, full, strlen(full));
	reader_init(&rd, ps->p, fname, true, text, len);
	memset(&sub, 0, sizeof(sub));
	sub.p = lx->p;
	sub.err = lx->err;
	sub.rd = &rd;
	sub.prev_indent = -1;
	ps->inc[ps->ninc++].real = real;
	real = NULL;
	ret = parse_block(ps, &sub, node, -1);
	free(ps->inc[--ps->ninc].real);
out:
	free(text);
	free(real);
	free(full);
	free(path);
	return ret;
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

struct meta_default {
	struct tokv *v;
	size_t n;
	bool any;		/* a [default] without value was seen */
};

static void meta_clear(struct meta_default *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].v);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static struct node *parse_variants(struct parser *ps, struct lexer *lx, struct node *node,
				   int indent, int var_indent, int var_name,
				   struct meta_default *meta)
{
	struct hvt_plan *p = ps->p;
	struct node *node4 = plan_node_new(p);
	bool already_default = false, meta_with_default = meta->n > 0;
	struct tokv name = { NULL, 0, 0 }, deps = { NULL, 0, 0 };
	struct tok t;
	int rc;

	for (;;) {
		struct node *node2, *node3;
		const struct tok *nm;
		size_t nnm, nraw;
		bool is_default;
		struct filter dep = { NULL, 0 };
		struct label *labels;
		size_t nlabels = 0;

		lx->prev_indent = var_indent;
		if (lex_expect(lx, M(T_IDENT) | M(T_AT) | M(T_INDENT) | M(T_ENDBLOCK), true, &t))
			goto fail;
		if (t.t == T_ENDBLOCK)
			break;
		if (t.t == T_INDENT) {
			if (lex_expect(lx, M(T_DASH), true, &t))
				goto fail;
			if (lex_expect(lx, M(T_IDENT) | M(T_AT), true, &t))
				goto fail;
		}
		is_default = t.t == T_AT;
		name.n = 0;
		if (!is_default)
			tokv_push(&name, &t);
		for (;;) {
			struct tok k;

			if (lex_next(lx, &k))
				goto fail;
			if (k.t == T_COLON)
				break;
			if (k.t != T_IDENT && k.t != T_DOT) {
				lex_error(lx, k.col, "bad variant name: expected a name, '.' or ':'%s",
					  k.t == T_WHITE ? " (no space before ':')" : "");
				goto fail;
			}
			tokv_push(&name, &k);
		}
		nm = name.v;
		nnm = name.n;
		nraw = name.n;
		/* a following white space and the dependencies */
		do {
			if (lex_next(lx, &t))
				goto fail;
		} while (t.t == T_WHITE);
		if (t.t != T_ENDL) {
			deps.n = 0;
			tokv_push(&deps, &t);
			{
				struct tokv rest = { NULL, 0, 0 };

				rc = lex_until(lx, M(T_ENDL), false, &rest);
				for (size_t i = 0; !rc && i + 1 < rest.n; i++)
					tokv_push(&deps, &rest.v[i]);
				free(rest.v);
				if (rc)
					goto fail;
			}
			if (filter_parse(lx, deps.v, deps.n, &dep))
				goto fail;
		}
		labels = arena_alloc(&p->arena, (nnm + 1) * sizeof(*labels));
		{
			struct hvt_buf joined = HVT_BUF_INIT;
			const char *vn = var_name >= 0 ? p->strs.str[var_name] : NULL;

			hvt_buf_add(&joined, "", 0);
			for (size_t i = 0; i < nnm; i++) {
				if (nm[i].t != T_IDENT)
					continue;
				labels[nlabels++] = label_make(p, vn, vn ? strlen(vn) : 0, nm[i].s,
							       nm[i].len);
				if (joined.len)
					hvt_buf_add(&joined, ".", 1);
				hvt_buf_add(&joined, nm[i].s, nm[i].len);
			}
			node2 = plan_node_new(p);
			node_add_child(p, node2, node, false);
			node2->labels = node->labels;
			if (vn)
				rc = add_op(lx, node2, OP_SET, vn, strlen(vn), joined.p, joined.len, 0);
			else
				rc = 0;
			hvt_buf_release(&joined);
			if (rc)
				goto fail;
		}
		node3 = parse_block(ps, lx, node2, indent);
		if (!node3)
			goto fail;
		node3->var_name = var_name;
		node3->name = labels;
		node3->nname = nlabels;
		node3->dep = dep;
		if (meta_with_default) {
			for (size_t i = 0; i < meta->n; i++) {
				if (cmd_tokens(&meta->v[i], nm, nraw)) {
					is_default = true;
					free(meta->v[i].v);
					memmove(&meta->v[i], &meta->v[i + 1],
						(meta->n - i - 1) * sizeof(*meta->v));
					meta->n--;
					/* Python's remove() while iterating skips one */
				}
			}
		}
		if (is_default && !already_default) {
			node3->is_default = true;
			already_default = true;
		}
		node3->append_to_shortname = !is_default;
		node_add_child(p, node4, node3, false);
	}
	if (meta->n) {
		struct hvt_buf b = HVT_BUF_INIT;

		hvt_buf_add(&b, "", 0);
		for (size_t i = 0; i < meta->v[0].n; i++)
			tok_text(&b, &meta->v[0].v[i]);
		lex_error(lx, 0, "missing default variant '%s'", b.p);
		hvt_buf_release(&b);
		goto fail;
	}
	free(name.v);
	free(deps.v);
	node_block_labels(p, node4);
	return node4;
fail:
	free(name.v);
	free(deps.v);
	return NULL;
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
					meta->v = hvt_realloc(meta->v, (meta->n + 1) * sizeof(*meta->v));
					meta->v[meta->n].v = hvt_malloc(tv.n * sizeof(struct tok));
					memcpy(meta->v[meta->n].v, tv.v, (tv.n - 1) * sizeof(struct tok));
					meta->v[meta->n].n = tv.n - 1;
					meta->v[meta->n].alloc = tv.n;
					meta->n++;
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
 * A conditional block, "FILTER:" (IT_COND) or "!FILTER:" (IT_NCOND), whose
 * filter is toks[0..n) (the ':' already read): the rest of the line, if
 * any, is read again as the block's first line ("qcow2: size = 10G"), then
 * the lines indented deeper than indent.
 */
static int parse_condition(struct parser *ps, struct lexer *lx, struct node *node,
			   enum item_kind kind, const struct tok *toks, size_t n, int indent)
{
	struct item *cond = new_item(lx, kind);
	struct tok rest;
	int rc;

	rc = filter_parse(lx, toks, n, &cond->f);
	if (rc)
		return rc;
	lex_rest_string(lx, &rest);
	if (rest.len) {
		lx->rd->has_stored = true;
		lx->rd->stored.text = rest.s;
		lx->rd->stored.len = rest.len;
		lx->rd->stored.indent = indent + 1;
		lx->rd->stored.num = lx->linenum;
	}
	cond->body = plan_node_new(ps->p);
	cond->body->is_cond = true;
	if (!parse_block(ps, lx, cond->body, indent))
		return ps->err && ps->err->code ? ps->err->code : -EINVAL;
	node_add(ps->p, node, cond);
	return 0;
}

static struct node *parse_block(struct parser *ps, struct lexer *lx, struct node *node,
				int prev_indent)
{
	struct hvt_plan *p = ps->p;
	unsigned block_allowed = M(T_VARIANTS) | M(T_IDENT) | M(T_ONLY) | M(T_NO) |
				 M(T_INCLUDE) | M(T_DEL) | M(T_NOT) | M(T_SUFFIX) | M(T_JOIN);
	unsigned allowed = block_allowed;
	struct meta_default meta = { NULL, 0, false };
	struct tokv tv = { NULL, 0, 0 };
	struct item *suffix = NULL;
	int var_indent = 0, var_name = -1;
	struct tok t;

	if (++ps->depth > MAX_NESTING) {
		lex_error(lx, 0, "blocks nested more than %d deep", MAX_NESTING);
		goto fail;
	}
	lx->fast = true;
	for (;;) {
		int indent;

		lx->prev_indent = prev_indent;
		if (lex_expect(lx, M(T_INDENT) | M(T_ENDBLOCK), false, &t))
			goto fail;
		if (t.t == T_ENDBLOCK) {
			if (suffix)
				node_add(p, node, suffix);
			break;
		}
		indent = t.indent;
		if (lex_expect(lx, allowed, false, &t)) {
			if (allowed != block_allowed)
				hvt_err_append(ps->err, " (a variants block holds '- name:' entries,"
					       " indented deeper than 'variants')");
			goto fail;
		}
		switch (t.t) {
		case T_IDENT: {
			struct tok first = t, *last;

			if (lex_until(lx, M_OPS | M(T_COLON) | M(T_ENDL), true, &tv))
				goto fail;
			last = &tv.v[tv.n - 1];
			if (last->t == T_OP) {
				struct hvt_buf key = HVT_BUF_INIT;
				enum op_kind op = last->op;
				struct tok val;
				const char *v;
				size_t vl;
				int rc;

				hvt_buf_add(&key, first.s, first.len);
				for (size_t i = 0; i + 1 < tv.n; i++)
					tok_text(&key, &tv.v[i]);
				if (lex_expect(lx, M(T_STRING), false, &val)) {
					hvt_buf_release(&key);
					goto fail;
				}
				v = val.s;
				vl = val.len;
				if (vl && ((v[0] == '"' && v[vl - 1] == '"') ||
					   (v[0] == '\'' && v[vl - 1] == '\''))) {
					v++;
					vl = vl >= 2 ? vl - 2 : 0;
				}
				rc = add_op(lx, node, op, key.p, key.len, v, vl, first.col);
				hvt_buf_release(&key);
				if (rc || lex_expect(lx, M(T_ENDL), false, &t))
					goto fail;
			} else if (last->t == T_COLON) {
				/* the filter is first and what followed it, up to ':' */
				tokv_push(&tv, &first);
				memmove(tv.v + 1, tv.v, (tv.n - 1) * sizeof(*tv.v));
				tv.v[0] = first;
				if (parse_condition(ps, lx, node, IT_COND, tv.v, tv.n - 1, indent))
					goto fail;
			} else {
				lex_error(lx, last->col, "expected ':' or an operator (=, +=, <=, ~=,"
					  " ?=, ?+=, ?<=) after '%.*s'", (int)first.len, first.s);
				goto fail;
			}
			break;
		}
		case T_DASH: {
			struct node *n4;

			n4 = parse_variants(ps, lx, node, indent, var_indent, var_name, &meta);
			if (!n4)
				goto fail;
			allowed = block_allowed;
			node = n4;
			break;
		}
		case T_VARIANTS:
			if (node->is_cond) {
				lex_error(lx, t.col, "'variants' is not allowed inside a conditional block");
				goto fail;
			}
			if (parse_variants_line(lx, &var_name, &meta))
				goto fail;
			allowed = M(T_DASH);
			var_indent = indent;
			break;
		case T_ONLY:
		case T_NO:
		case T_JOIN: {
			struct item *it;
			enum tok_type kw = t.t;

			if (kw == T_JOIN && node->is_cond) {
				lex_error(lx, t.col, "'join' is not allowed inside a conditional block");
				goto fail;
			}
			if (lex_until(lx, M(T_ENDL), false, &tv))
				goto fail;
			it = new_item(lx, kw == T_ONLY ? IT_ONLY : kw == T_NO ? IT_NO : IT_JOIN);
			if (filter_parse(lx, tv.v, tv.n - 1, &it->f))
				goto fail;
			node_add(p, node, it);
			break;
		}
		case T_SUFFIX: {
			struct tok id;

			if (lex_expect(lx, M(T_IDENT), false, &id) || lex_expect(lx, M(T_ENDL), false, &t))
				goto fail;
			suffix = new_item(lx, IT_SUFFIX);
			suffix->suffix = arena_strndup(&p->arena, id.s, id.len);
			break;
		}
		case T_INCLUDE: {
			struct tok path;

			lex_rest_string(lx, &path);
			if (!path.len) {
				lex_error(lx, path.col, "include needs a file name");
				goto fail;
			}
			node = parse_include(ps, lx, node, &path);
			if (!node)
				goto fail;
			break;
		}
		case T_DEL: {
			struct tok id;

			if (lex_expect(lx, M(T_IDENT), true, &id) || lex_expect(lx, M(T_ENDL), true, &t))
				goto fail;
			if (add_op(lx, node, OP_DEL, id.s, id.len, "", 0, id.col))
				goto fail;
			break;
		}
		case T_NOT:
			if (lex_until(lx, M(T_COLON) | M(T_ENDL), true, &tv))
				goto fail;
			if (tv.v[tv.n - 1].t != T_COLON) {
				lex_error(lx, 0, "expected ':' after the filter of '!'");
				goto fail;
			}
			if (parse_condition(ps, lx, node, IT_NCOND, tv.v, tv.n - 1, indent))
				goto fail;
			break;
		default:
			lex_error(lx, t.col, "syntax error");
			goto fail;
		}
	}
	ps->depth--;
	meta_clear(&meta);
	free(tv.v);
	return node;
fail:
	ps->depth--;
	meta_clear(&meta);
	free(tv.v);
	return NULL;
}

int plan_parse_text(struct hvt_plan *p, const char *text, size_t len, const char *name,
		    bool is_file, struct hvt_err *err)
{
	struct parser ps;
	struct lexer lx;
	struct reader rd;
	struct node *root;

	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.err = err;
	if (is_file) {
		char *real = realpath(name, NULL);

		if (real)
			ps.inc[ps.ninc++].real = real;
	}
	reader_init(&rd, p, arena_strndup(&p->arena, name, strlen(name)), is_file, text, len);
	memset(&lx, 0, sizeof(lx));
	lx.p = p;
	lx.err = err;
	lx.rd = &rd;
	lx.prev_indent = -1;
	root = parse_block(&ps, &lx, p->root, -1);
	while (ps.ninc)
		free(ps.inc[--ps.ninc].real);
	if (!root)
		return err && err->code ? err->code : -EINVAL;
	p->root = root;
	return 0;
}

int plan_parse_file(struct hvt_plan *p, const char *path, struct hvt_err *err)
{
	char *text;
	size_t len;
	int rc;

	rc = hvt_file_read(path, &text, &len, err);
	if (rc)
		return rc;
	rc = plan_parse_text(p, text, len, path, true, err);
	free(text);
	return rc;
}
