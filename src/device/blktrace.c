// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block trace formats: readers for hvtest's own form, fio's iolog (v2,
 * v3) and blkparse text, and the writer of hvtest's form. Pure functions
 * of their input (no files but in load/write): fuzzed by fuzz-blktrace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blktrace.h"

#define SECTOR 512ull
#define MAX_TOKENS 16
#define MAX_END (1ull << 63)

static const char *const op_names[] = {
	[HVT_BLKTRACE_READ] = "read",
	[HVT_BLKTRACE_WRITE] = "write",
	[HVT_BLKTRACE_FLUSH] = "flush",
	[HVT_BLKTRACE_DISCARD] = "discard",
	[HVT_BLKTRACE_WRITE_ZEROES] = "write-zeroes",
};

static const char *const format_names[] = {
	[HVT_BLKTRACE_AUTO] = "auto",
	[HVT_BLKTRACE_HVTEST] = "hvtest",
	[HVT_BLKTRACE_FIO] = "fio",
	[HVT_BLKTRACE_BLKPARSE] = "blkparse",
};

const char *hvt_blktrace_op_name(enum hvt_blktrace_op op)
{
	return (unsigned int)op < HVT_ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

int hvt_blktrace_op_parse(const char *name, enum hvt_blktrace_op *op)
{
	for (unsigned int i = 0; i < HVT_ARRAY_SIZE(op_names); i++)
		if (!strcmp(name, op_names[i])) {
			*op = (enum hvt_blktrace_op)i;
			return 0;
		}
	return -EINVAL;
}

bool hvt_blktrace_op_modifies(enum hvt_blktrace_op op)
{
	return op == HVT_BLKTRACE_WRITE || op == HVT_BLKTRACE_DISCARD ||
	       op == HVT_BLKTRACE_WRITE_ZEROES;
}

const char *hvt_blktrace_format_name(enum hvt_blktrace_format f)
{
	return (unsigned int)f < HVT_ARRAY_SIZE(format_names) ? format_names[f] : "?";
}

int hvt_blktrace_format_parse(const char *name, enum hvt_blktrace_format *f)
{
	for (unsigned int i = 0; i < HVT_ARRAY_SIZE(format_names); i++)
		if (!strcmp(name, format_names[i])) {
			*f = (enum hvt_blktrace_format)i;
			return 0;
		}
	return -EINVAL;
}

void hvt_blktrace_release(struct hvt_blktrace *t)
{
	free(t->reqs);
	free(t->source);
	*t = (struct hvt_blktrace)HVT_BLKTRACE_INIT;
}

void hvt_blktrace_add(struct hvt_blktrace *t, const struct hvt_blktrace_req *r)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 64;
		t->reqs = hvt_realloc(t->reqs, t->alloc * sizeof(*t->reqs));
	}
	t->reqs[t->n++] = *r;
}

/* ---- reading: lines, tokens, numbers, errors ---- */

struct reader {
	const char *name;
	const char *p, *end;	/* the text not read yet */
	unsigned int lineno;
	char *line;		/* the current line, NUL-terminated, \r dropped */
	size_t line_alloc;
	char *tok[MAX_TOKENS];	/* the current line's words (in tokbuf) */
	unsigned int ntok;
	char *tokbuf;
	size_t tokbuf_alloc;
	struct hvt_blktrace *t;
	const struct hvt_blktrace_opts *opts;
	struct hvt_err *err;
	/* time of the first request, and of the last one (not yet normalised) */
	bool have_first;
	uint64_t first_us, last_us;
};

/* The next line into r->line; false at the end of the text. */
static bool next_line(struct reader *r)
{
	const char *nl;
	size_t n;

	if (r->p >= r->end)
		return false;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	n = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
	if (n + 1 > r->line_alloc) {
		r->line_alloc = n + 1;
		r->line = hvt_realloc(r->line, r->line_alloc);
	}
	memcpy(r->line, r->p, n);
	if (n && r->line[n - 1] == '\r')
		n--;
	r->line[n] = '\0';
	r->p = nl ? nl + 1 : r->end;
	r->lineno++;
	return true;
}

/*
 * Split the current line into words separated by blanks; words past
 * MAX_TOKENS - 1 stay joined in the last one (the rest of the line).
 */
static void tokenize(struct reader *r)
{
	size_t n = strlen(r->line);
	char *s;

	if (n + 1 > r->tokbuf_alloc) {
		r->tokbuf_alloc = n + 1;
		r->tokbuf = hvt_realloc(r->tokbuf, r->tokbuf_alloc);
	}
	memcpy(r->tokbuf, r->line, n + 1);
	s = r->tokbuf;
	r->ntok = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (r->ntok == MAX_TOKENS - 1) {
			r->tok[r->ntok++] = s;
			break;
		}
		r->tok[r->ntok++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (!*s)
			break;
		*s++ = '\0';
	}
}

static bool blank_line(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return !*s;
}

/* A word for a message: at most 40 characters, unprintable ones as '?'. */
static void quote_word(const char *w, char *buf, size_t len)
{
	size_t i = 0;

	for (; w[i] && i + 1 < len && i < 40; i++)
		buf[i] = (w[i] >= 0x20 && w[i] < 0x7f) ? w[i] : '?';
	if (w[i] && i >= 40 && len > 44) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}

/* Fail at the current line: "NAME:LINE: what". Returns -EINVAL. */
static int HVT_PRINTF(2, 3) bad(struct reader *r, const char *fmt, ...)
{
	char *what;
	va_list ap;

	va_start(ap, fmt);
	what = hvt_vasprintf(fmt, ap);
	va_end(ap);
	hvt_err_set(r->err, -EINVAL, "%s:%u: %s", r->name, r->lineno, what);
	free(what);
	return -EINVAL;
}

/* Fail: expected what, got word (or the end of the line when word is NULL). */
static int expected(struct reader *r, const char *what, const char *word)
{
	char q[48];

	if (!word)
		return bad(r, "expected %s, got the end of the line", what);
	quote_word(word, q, sizeof(q));
	return bad(r, "expected %s, got '%s'", what, q);
}

/* A number in decimal or 0x hex, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static int number(struct reader *r, unsigned int i, const char *what, uint64_t *out)
{
	const char *w = i < r->ntok ? r->tok[i] : NULL;

	if (!w || parse_u64(w, out))
		return expected(r, what, w);
	return 0;
}

/* "SECONDS.FRACTION" (up to 9 fraction digits) in microseconds. */
static int parse_seconds(const char *s, uint64_t *us)
{
	uint64_t secs = 0, frac = 0;
	unsigned int digits = 0;
	const char *dot = strchr(s, '.');
	char ip[24];

	if (!dot || dot == s || (size_t)(dot - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(dot - s));
	ip[dot - s] = '\0';
	if (ip[0] == '0' && (ip[1] == 'x' || ip[1] == 'X'))
		return -EINVAL;
	if (parse_u64(ip, &secs) || secs > UINT64_MAX / 2000000)
		return -EINVAL;
	for (s = dot + 1; *s; s++, digits++) {
		if (*s < '0' || *s > '9' || digits >= 9)
			return -EINVAL;
		frac = frac * 10 + (uint64_t)(*s - '0');
	}
	if (!digits)
		return -EINVAL;
	for (; digits < 6; digits++)
		frac *= 10;
	for (; digits > 6; digits--)
		frac /= 10;
	*us = secs * 1000000 + frac;
	return 0;
}

/*
 * Add a request at the current line: checks what every format shares
 * (lengths, range, times that never go back) and keeps the first time
 * to make times relative to it at the end.
 */
static int add_req(struct reader *r, enum hvt_blktrace_op op, uint64_t offset, uint64_t len,
		   bool timed, uint64_t t_us)
{
	struct hvt_blktrace_req q = { .op = op, .offset = offset, .len = len,
				      .t_us = t_us, .line = r->lineno };

	if (op == HVT_BLKTRACE_FLUSH) {
		q.offset = q.len = 0;
	} else {
		if (!len)
			return bad(r, "a %s of 0 bytes: expected a length above 0",
				   hvt_blktrace_op_name(op));
		if (len > HVT_BLKTRACE_MAX_LEN)
			return bad(r, "a %s of %" PRIu64 " bytes: at most %llu bytes per request",
				   hvt_blktrace_op_name(op), len, HVT_BLKTRACE_MAX_LEN);
		if (offset >= MAX_END || len > MAX_END - offset)
			return bad(r, "offset %" PRIu64 " + length %" PRIu64
				   " goes past 2^63 bytes", offset, len);
	}
	if (r->t->n && r->t->timed != timed)
		return bad(r, timed ? "a time, but the requests before have none" :
			   "no time, but the requests before have one");
	if (r->t->n >= HVT_BLKTRACE_MAX_REQS)
		return bad(r, "more than %d requests", HVT_BLKTRACE_MAX_REQS);
	if (timed) {
		if (r->have_first && t_us < r->last_us)
			return bad(r, "time %" PRIu64 " us goes back before the request before "
				   "(%" PRIu64 " us): expected times in issue order",
				   t_us, r->last_us);
		if (!r->have_first) {
			r->have_first = true;
			r->first_us = t_us;
		}
		r->last_us = t_us;
	}
	r->t->timed = timed;
	hvt_blktrace_add(r->t, &q);
	return 0;
}

/* ---- hvtest's own form ---- */

static int read_hvtest(struct reader *r)
{
	bool header = false;
	int rc;

	while (next_line(r)) {
		enum hvt_blktrace_op op;
		uint64_t t_us = 0, offset = 0, len = 0;
		bool timed;
		unsigned int i;

		if (blank_line(r->line))
			continue;
		tokenize(r);
		if (r->tok[0][0] == '#')
			continue;
		if (!header) {
			if (r->ntok != 3 || strcmp(r->tok[0], "hvtest") ||
			    strcmp(r->tok[1], "blktrace"))
				return expected(r, "'hvtest blktrace 1'", r->line);
			if (strcmp(r->tok[2], "1"))
				return expected(r, "version 1", r->tok[2]);
			header = true;
			continue;
		}
		if (!strcmp(r->tok[0], "size")) {
			if (r->t->n || r->t->size)
				return bad(r, "a second size, or one after a request: expected "
					   "one size line before the first request");
			if ((rc = number(r, 1, "the disk's size in bytes", &r->t->size)))
				return rc;
			if (!r->t->size || r->t->size % SECTOR)
				return bad(r, "size %" PRIu64 ": expected a multiple of 512 above 0",
					   r->t->size);
			if (r->ntok > 2)
				return expected(r, "the end of the line", r->tok[2]);
			continue;
		}
		if (!strcmp(r->tok[0], "source")) {
			const char *text = strstr(r->line, "source") + 6;

			if (r->t->source)
				return bad(r, "a second source line: expected one");
			while (*text == ' ' || *text == '\t')
				text++;
			r->t->source = hvt_strdup(text);
			continue;
		}
		timed = strcmp(r->tok[0], "-") != 0;
		if (timed && parse_u64(r->tok[0], &t_us))
			return expected(r, "a time in microseconds, '-', 'size' or 'source'",
					r->tok[0]);
		if (r->ntok < 2 || hvt_blktrace_op_parse(r->tok[1], &op))
			return expected(r, "an operation (read, write, flush, discard, "
					"write-zeroes)", r->ntok < 2 ? NULL : r->tok[1]);
		i = 2;
		if (op != HVT_BLKTRACE_FLUSH) {
			if ((rc = number(r, 2, "an offset in bytes", &offset)) ||
			    (rc = number(r, 3, "a length in bytes", &len)))
				return rc;
			i = 4;
		}
		if ((rc = add_req(r, op, offset, len, timed, t_us)))
			return rc;
		if (op == HVT_BLKTRACE_WRITE_ZEROES && i < r->ntok && !strcmp(r->tok[i], "unmap")) {
			r->t->reqs[r->t->n - 1].unmap = true;
			i++;
		}
		if (i < r->ntok)
			return expected(r, op == HVT_BLKTRACE_WRITE_ZEROES ?
					"'unmap' or the end of the line" : "the end of the line",
					r->tok[i]);
	}
	if (!header)
		return bad(r, "expected 'hvtest blktrace 1', got the end of the file");
	return 0;
}

/* ---- fio iolog, versions 2 and 3 ---- */

struct fio_file {
	char *name;
	bool added;
};

struct fio_state {
	struct fio_file *f;
	size_t n;
	const char *chosen;	/* the file whose requests are taken (in f) */
};

static struct fio_file *fio_file(struct fio_state *s, const char *name, bool create)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].name, name))
			return &s->f[i];
	if (!create)
		return NULL;
	s->f = hvt_realloc(s->f, (s->n + 1) * sizeof(*s->f));
	s->f[s->n] = (struct fio_file){ hvt_strdup(name), false };
	return &s->f[s->n++];
}

/* One line of an iolog: tokens from base on are FILE ACTION [OFFSET LENGTH]. */
static int fio_line(struct reader *r, struct fio_state *s, unsigned int base, bool v3,
		    uint64_t t_us, uint64_t *wait_us)
{
	const char *file, *act;
	struct fio_file *f;
	enum hvt_blktrace_op op = HVT_BLKTRACE_READ;
	uint64_t offset = 0, len = 0;
	bool io = true;
	int rc;

	if (r->ntok < base + 2)
		return expected(r, v3 ? "'TIME FILE ACTION [OFFSET LENGTH]'" :
				"'FILE ACTION [OFFSET LENGTH]'", NULL);
	file = r->tok[base];
	act = r->tok[base + 1];
	if (!strcmp(act, "add") || !strcmp(act, "open") || !strcmp(act, "close")) {
		if (r->ntok != base + 2)
			return expected(r, "the end of the line", r->tok[base + 2]);
		f = fio_file(s, file, !strcmp(act, "add"));
		if (!f)
			return bad(r, "'%s' of a file never added: expected 'FILE add' first", act);
		f->added = true;
		return 0;
	}
	if (!strcmp(act, "read"))
		op = HVT_BLKTRACE_READ;
	else if (!strcmp(act, "write"))
		op = HVT_BLKTRACE_WRITE;
	else if (!strcmp(act, "trim"))
		op = HVT_BLKTRACE_DISCARD;
	else if (!strcmp(act, "sync") || !strcmp(act, "datasync"))
		op = HVT_BLKTRACE_FLUSH;
	else if (!strcmp(act, "wait") && !v3)
		io = false;
	else
		return expected(r, v3 ? "an action (add, open, close, read, write, sync, "
				"datasync, trim)" : "an action (add, open, close, read, write, "
				"sync, datasync, trim, wait)", act);
	f = fio_file(s, file, false);
	if (!f || !f->added)
		return bad(r, "'%s' on a file never added: expected 'FILE add' first", act);
	if (!io) {
		/* "FILE wait USECS [0]": a pause since the last wait */
		if ((rc = number(r, base + 2, "microseconds to wait", &offset)))
			return rc;
		if (r->ntok > base + 4)
			return expected(r, "the end of the line", r->tok[base + 4]);
		if (offset > UINT64_MAX / 4 - *wait_us)
			return bad(r, "waits add up to more than 2^62 microseconds");
		*wait_us += offset;
		return 0;
	}
	if (op == HVT_BLKTRACE_FLUSH) {
		/* fio writes the last offset and 0 after sync; both may be absent */
		if (r->ntok == base + 3 || r->ntok > base + 4)
			return expected(r, "'OFFSET LENGTH' or the end of the line",
					r->tok[base + 2]);
	} else {
		if ((rc = number(r, base + 2, "an offset in bytes", &offset)) ||
		    (rc = number(r, base + 3, "a length in bytes", &len)))
			return rc;
		if (r->ntok > base + 4)
			return expected(r, "the end of the line", r->tok[base + 4]);
	}
	if (r->opts->select ? strcmp(file, r->opts->select) != 0 :
	    (s->chosen && strcmp(file, s->chosen))) {
		if (!r->opts->select) {
			char a[48], b[48];

			quote_word(s->chosen, a, sizeof(a));
			quote_word(file, b, sizeof(b));
			return bad(r, "requests for a second file '%s' after '%s': choose one "
				   "(select)", b, a);
		}
		r->t->skipped++;
		return 0;
	}
	s->chosen = f->name;
	/* version 2: the time is the sum of the waits before (kept if there is any) */
	return add_req(r, op, offset, len, true, v3 ? t_us : *wait_us);
}

static int read_fio(struct reader *r)
{
	struct fio_state s = { NULL, 0, NULL };
	uint64_t wait_us = 0, last_t = 0;
	bool header = false, v3 = false;
	int rc = 0;

	while (!rc && next_line(r)) {
		uint64_t t_us = 0;

		if (blank_line(r->line))
			continue;
		tokenize(r);
		if (!header) {
			if (r->ntok != 4 || strcmp(r->tok[0], "fio") || strcmp(r->tok[1], "version") ||
			    strcmp(r->tok[3], "iolog") ||
			    (strcmp(r->tok[2], "2") && strcmp(r->tok[2], "3"))) {
				rc = expected(r, "'fio version 2 iolog' or 'fio version 3 iolog'",
					      r->line);
				break;
			}
			v3 = r->tok[2][0] == '3';
			header = true;
			continue;
		}
		if (v3) {
			if ((rc = number(r, 0, "a time in microseconds", &t_us)))
				break;
			if (t_us < last_t) {
				rc = bad(r, "time %" PRIu64 " goes back before the line before (%"
					 PRIu64 "): expected times in issue order", t_us, last_t);
				break;
			}
			last_t = t_us;
		}
		rc = fio_line(r, &s, v3 ? 1 : 0, v3, t_us, &wait_us);
	}
	if (!rc && !header)
		rc = bad(r, "expected 'fio version 2 iolog' or 'fio version 3 iolog', got the "
			 "end of the file");
	if (!rc && s.n && !r->t->n && r->opts->select)
		rc = bad(r, "no request for '%s' in the trace", r->opts->select);
	/* version 2 is timed by its waits only: without any, it has no times */
	if (!rc && !v3 && !wait_us)
		r->t->timed = false;
	for (size_t i = 0; i < s.n; i++)
		free(s.f[i].name);
	free(s.f);
	return rc;
}

/* ---- blkparse text ---- */

static bool is_dev(const char *w, unsigned int *maj, unsigned int *min)
{
	char *end;
	unsigned long a, b;

	if (*w < '0' || *w > '9')
		return false;
	a = strtoul(w, &end, 10);
	if (*end != ',' || end[1] < '0' || end[1] > '9')
		return false;
	b = strtoul(end + 1, &end, 10);
	if (*end || a > 0xfff || b > 0xfffff)
		return false;
	*maj = (unsigned int)a;
	*min = (unsigned int)b;
	return true;
}

static bool is_uint(const char *w)
{
	uint64_t v;

	return strchr(w, '.') == NULL && parse_u64(w, &v) == 0 && (w[0] != '0' || w[1] != 'x');
}

/* The start of blkparse's summary: "CPU0 (8,0):", "Total (8,0):". */
static bool summary_line(const char *line)
{
	if (!strncmp(line, "Total (", 7))
		return true;
	if (strncmp(line, "CPU", 3) || line[3] < '0' || line[3] > '9')
		return false;
	while (*line && *line != ' ')
		line++;
	return line[0] == ' ' && line[1] == '(';
}

struct rwbs {
	bool preflush, fua, secure;
	char op;	/* R W D N */
};

static int parse_rwbs(struct reader *r, const char *w, struct rwbs *b)
{
	const char *p = w;

	*b = (struct rwbs){ 0 };
	if (p[0] == 'F' && p[1] && strchr("RWDN", p[1])) {
		b->preflush = true;
		p++;
	}
	if (!*p || !strchr("RWDN", *p))
		return expected(r, "RWBS flags (R, W, D or N, after an optional F)", w);
	b->op = *p++;
	if (b->op == 'D' && *p == 'E') {
		b->secure = true;
		p++;
	}
	for (; *p; p++) {
		if (*p == 'F')
			b->fua = true;
		else if (!strchr("ASM", *p))
			return expected(r, "RWBS flags (R W D N, then F A S M)", w);
	}
	return 0;
}

/*
 * The request of a line of the chosen action: the words after RWBS are
 * "SECTOR + COUNT ..." (a filesystem request), "BYTES (CDB) [...]" (a
 * passthrough one: not replayable), "SECTOR [...]" or "[...]" (no data).
 */
static int blkparse_request(struct reader *r, unsigned int i, const struct rwbs *b,
			    uint64_t t_us)
{
	uint64_t sector = 0, count = 0;
	int rc = 0;

	if (i < r->ntok && r->tok[i][0] != '[') {
		if ((rc = number(r, i, "a sector number", &sector)))
			return rc;
		if (i + 1 < r->ntok && r->tok[i + 1][0] == '(') {
			r->t->skipped++;	/* a passthrough command */
			return 0;
		}
		if (i + 1 < r->ntok && !strcmp(r->tok[i + 1], "+")) {
			if ((rc = number(r, i + 2, "a count of sectors", &count)))
				return rc;
		} else if (i + 1 < r->ntok && r->tok[i + 1][0] != '[') {
			return expected(r, "'+ COUNT' or '[...]'", r->tok[i + 1]);
		}
		if (sector > (MAX_END / SECTOR) || count > (MAX_END / SECTOR))
			return bad(r, "sector %" PRIu64 " + %" PRIu64 " goes past 2^63 bytes",
				   sector, count);
	}
	if (b->secure)
		return bad(r, "a secure erase (DE): no replayable operation: expected R, W, D "
			   "or a flush");
	if (!count) {
		/* no data: a flush when it asks for one, else nothing to replay */
		if (b->preflush || b->fua)
			return add_req(r, HVT_BLKTRACE_FLUSH, 0, 0, true, t_us);
		r->t->skipped++;
		return 0;
	}
	if (b->op == 'N') {
		r->t->skipped++;	/* driver-private: no data to replay */
		return 0;
	}
	if (b->preflush && (rc = add_req(r, HVT_BLKTRACE_FLUSH, 0, 0, true, t_us)))
		return rc;
	if ((rc = add_req(r, b->op == 'R' ? HVT_BLKTRACE_READ : b->op == 'W' ?
			  HVT_BLKTRACE_WRITE : HVT_BLKTRACE_DISCARD,
			  sector * SECTOR, count * SECTOR, true, t_us)))
		return rc;
	/* FUA, on a device without it, is the write followed by a flush */
	if (b->fua && b->op == 'W')
		rc = add_req(r, HVT_BLKTRACE_FLUSH, 0, 0, true, t_us);
	return rc;
}

static int read_blkparse(struct reader *r)
{
	const char *action = r->opts->action && *r->opts->action ? r->opts->action : "D";
	unsigned int smaj = 0, smin = 0, cmaj = 0, cmin = 0;
	bool have_dev = false, any = false;
	int rc;

	if (r->opts->select && !is_dev(r->opts->select, &smaj, &smin))
		return hvt_err_set(r->err, -EINVAL, "%s: device '%s': expected MAJOR,MINOR "
				   "(e.g. 8,16)", r->name, r->opts->select);
	while (next_line(r)) {
		unsigned int maj, min, i;
		uint64_t t_us;
		struct rwbs b;

		if (blank_line(r->line))
			continue;
		tokenize(r);
		if (r->tok[0][0] == '#')
			continue;
		if (strstr(r->line, "[LOST ") || strstr(r->line, "LOST EVENTS"))
			return bad(r, "the tracer lost events: the trace is not whole");
		if (summary_line(r->line))
			break;
		if (!is_dev(r->tok[0], &maj, &min))
			return expected(r, any ? "'MAJOR,MINOR CPU SEQ SECONDS PID ACTION RWBS ...'" :
					"a block trace: 'hvtest blktrace 1', 'fio version 2|3 "
					"iolog' or blkparse's 'MAJOR,MINOR CPU SEQ SECONDS PID ACTION "
					"RWBS ...'", r->line);
		any = true;
		/* CPU, then SEQ (blkparse; the kernel's classic form has none), then time */
		if (r->ntok < 2 || !is_uint(r->tok[1]))
			return expected(r, "a CPU number", r->ntok < 2 ? NULL : r->tok[1]);
		i = 2;
		if (i < r->ntok && is_uint(r->tok[i]))
			i++;
		if (i >= r->ntok || parse_seconds(r->tok[i], &t_us))
			return expected(r, "a time in seconds (SECONDS.NANOSECONDS)",
					i < r->ntok ? r->tok[i] : NULL);
		i++;
		if (i >= r->ntok || !is_uint(r->tok[i]))
			return expected(r, "a process id", i < r->ntok ? r->tok[i] : NULL);
		i++;
		if (i >= r->ntok || strlen(r->tok[i]) > 2 ||
		    !strchr("QMFGSRDCPUIXBATm", r->tok[i][0]))
			return expected(r, "an action (Q M F G S R D C P U UT I X B A T m)",
					i < r->ntok ? r->tok[i] : NULL);
		if (strcmp(r->tok[i], action)) {
			r->t->skipped++;
			continue;
		}
		i++;
		if (i >= r->ntok)
			return expected(r, "RWBS flags", NULL);
		if ((rc = parse_rwbs(r, r->tok[i], &b)))
			return rc;
		if (r->opts->select) {
			if (maj != smaj || min != smin) {
				r->t->skipped++;
				continue;
			}
		} else if (have_dev && (maj != cmaj || min != cmin)) {
			return bad(r, "a request for device %u,%u after requests for %u,%u: "
				   "choose one (select)", maj, min, cmaj, cmin);
		}
		have_dev = true;
		cmaj = maj;
		cmin = min;
		if ((rc = blkparse_request(r, i + 1, &b, t_us)))
			return rc;
	}
	if (!any)
		return bad(r, "expected blkparse lines ('MAJOR,MINOR CPU SEQ SECONDS PID ACTION "
			   "RWBS ...'), got none");
	return 0;
}

/* ---- entry points ---- */

static enum hvt_blktrace_format detect(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p < e && *p != '#') {
			size_t n = (size_t)(e - p);

			if (n >= 16 && !memcmp(p, "hvtest blktrace ", 16))
				return HVT_BLKTRACE_HVTEST;
			if (n >= 12 && !memcmp(p, "fio version ", 12))
				return HVT_BLKTRACE_FIO;
			return HVT_BLKTRACE_BLKPARSE;
		}
		p = nl ? nl + 1 : end;
	}
	return HVT_BLKTRACE_BLKPARSE;
}

int hvt_blktrace_parse(struct hvt_blktrace *t, const char *name, const char *text, size_t len,
		       const struct hvt_blktrace_opts *opts, struct hvt_err *err)
{
	static const struct hvt_blktrace_opts none = { HVT_BLKTRACE_AUTO, NULL, NULL };
	struct reader r = { .name = name ? name : "trace", .p = text, .end = text + len,
			    .t = t, .opts = opts ? opts : &none, .err = err };
	enum hvt_blktrace_format f = r.opts->format;
	int rc;

	if (t->n || t->reqs)
		HVT_BUG("hvt_blktrace_parse() into a trace that is not empty");
	if (f == HVT_BLKTRACE_AUTO)
		f = detect(text, len);
	if (memchr(text, '\0', len))
		rc = hvt_err_set(err, -EINVAL, "%s: a NUL byte: expected a text file", r.name);
	else if (f == HVT_BLKTRACE_HVTEST)
		rc = read_hvtest(&r);
	else if (f == HVT_BLKTRACE_FIO)
		rc = read_fio(&r);
	else
		rc = read_blkparse(&r);
	if (!rc && !t->n)
		rc = hvt_err_set(err, -EINVAL, "%s: no request in the trace%s", r.name,
				 t->skipped ? " (only lines of other actions, devices or files)" :
				 "");
	if (!rc && t->timed)
		for (size_t i = 0; i < t->n; i++)
			t->reqs[i].t_us -= r.first_us;
	if (!rc && !t->timed)
		for (size_t i = 0; i < t->n; i++)
			t->reqs[i].t_us = 0;
	free(r.line);
	free(r.tokbuf);
	if (rc)
		hvt_blktrace_release(t);
	else
		t->format = f;
	return rc;
}

int hvt_blktrace_load(struct hvt_blktrace *t, const char *path,
		      const struct hvt_blktrace_opts *opts, struct hvt_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = hvt_file_read(path, &text, &len, err);

	if (rc)
		return hvt_err_prefix(err, "trace %s", path);
	rc = hvt_blktrace_parse(t, path, text, len, opts, err);
	free(text);
	return rc;
}

/* ---- writing ---- */

void hvt_blktrace_format(const struct hvt_blktrace *t, struct hvt_buf *out)
{
	hvt_buf_addf(out, "hvtest blktrace 1\n");
	if (t->size)
		hvt_buf_addf(out, "size %" PRIu64 "\n", t->size);
	if (t->source) {
		hvt_buf_addf(out, "source ");
		for (const char *p = t->source; *p; p++) {
			char c = (*p == '\n' || *p == '\r') ? ' ' : *p;

			hvt_buf_add(out, &c, 1);
		}
		hvt_buf_addf(out, "\n");
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct hvt_blktrace_req *q = &t->reqs[i];

		if (t->timed)
			hvt_buf_addf(out, "%" PRIu64 " ", q->t_us);
		else
			hvt_buf_addf(out, "- ");
		hvt_buf_addf(out, "%s", hvt_blktrace_op_name(q->op));
		if (q->op != HVT_BLKTRACE_FLUSH)
			hvt_buf_addf(out, " %" PRIu64 " %" PRIu64, q->offset, q->len);
		if (q->op == HVT_BLKTRACE_WRITE_ZEROES && q->unmap)
			hvt_buf_addf(out, " unmap");
		hvt_buf_addf(out, "\n");
	}
}

int hvt_blktrace_write(const struct hvt_blktrace *t, const char *path, struct hvt_err *err)
{
	struct hvt_buf b = HVT_BUF_INIT;
	int rc;

	hvt_blktrace_format(t, &b);
	rc = hvt_file_write(path, b.p, b.len, err);
	hvt_buf_release(&b);
	return rc ? hvt_err_prefix(err, "trace %s", path) : 0;
}

int hvt_blktrace_size_parse(const char *s, uint64_t *bytes)
{
	unsigned int shift = 0;
	uint64_t v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		const char *sfx = strchr("KMGT", *end & ~0x20);

		if (!sfx || !*sfx || end[1])
			return -EINVAL;
		shift = 10 * (unsigned int)(sfx - "KMGT" + 1);
	}
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	v <<= shift;
	if (!v || v % SECTOR)
		return -EINVAL;
	*bytes = v;
	return 0;
}

void hvt_blktrace_stats(const struct hvt_blktrace *t, struct hvt_blktrace_stats *s)
{
	*s = (struct hvt_blktrace_stats){ 0 };
	for (size_t i = 0; i < t->n; i++) {
		const struct hvt_blktrace_req *q = &t->reqs[i];

		s->count[q->op]++;
		s->bytes[q->op] += q->len;
		if (q->offset + q->len > s->end)
			s->end = q->offset + q->len;
		if ((q->op == HVT_BLKTRACE_READ || q->op == HVT_BLKTRACE_WRITE) && q->len > s->max_len)
			s->max_len = q->len;
		if (t->timed)
			s->span_us = q->t_us;
	}
}
