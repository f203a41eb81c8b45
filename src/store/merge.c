// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Merging the runs of a plan's pieces (shards) into one run: read every
 * piece whole, pick each case once (the first piece given wins), say what
 * overlapped and what is missing, then write the run in one transaction
 * with its work directories linked from the pieces'.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"
#include "store-int.h"

/* One piece: a run of a results directory, read whole. */
struct piece {
	char *dir;
	char *label;			/* "DIR run N" */
	struct hvt_run_info ri;
	struct hvt_case **cases;	/* every attempt, by index then attempt */
	size_t ncases;
};

/* A case of a piece: its attempts are cases[first .. first + n). */
struct entry {
	long index;
	size_t piece, first, n;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->piece < y->piece ? -1 : x->piece > y->piece;
}

static int cmp_want(const void *key, const void *elem)
{
	long k = *(const long *)key, i = ((const struct hvt_merge_want *)elem)->index;

	return k < i ? -1 : k > i;
}

static const struct hvt_merge_want *find_want(const struct hvt_merge_opts *o, long index)
{
	return bsearch(&index, o->want, o->nwant, sizeof(*o->want), cmp_want);
}

static void piece_release(struct piece *p)
{
	free(p->dir);
	free(p->label);
	hvt_run_info_release(&p->ri);
	hvt_store_cases_free(p->cases, p->ncases);
}

static int piece_load(struct piece *p, const char *dir, const char *ref, struct hvt_err *err)
{
	char *db = hvt_asprintf("%s/%s", dir, HVT_STORE_FILE);
	struct hvt_store *s;
	int64_t id;
	int ret;

	memset(p, 0, sizeof(*p));
	p->dir = hvt_strdup(dir);
	if (!hvt_path_exists(db)) {
		ret = hvt_err_set(err, -ENOENT, "%s: no results database (%s) to merge", dir, db);
		free(db);
		return ret;
	}
	free(db);
	s = hvt_store_open(dir, err);
	if (!s)
		return err->code ? err->code : -EIO;
	ret = hvt_store_run_resolve(s, ref ? ref : "latest", &id, err);
	if (!ret)
		ret = hvt_store_run_get(s, id, &p->ri, err);
	if (!ret)
		ret = hvt_store_run_cases(s, id, true, &p->cases, &p->ncases, err);
	hvt_store_close(s);
	if (ret)
		return ret;
	p->label = hvt_asprintf("%s run %lld", dir, (long long)id);
	return 0;
}

/*
 * Whether the run has the case (done is ordered by index: a binary
 * search, as a run merged shard by shard checks every case of the plan
 * against every case it has). name NULL: any case at that index.
 */
static bool done_has(const struct hvt_store_done *done, long index, const char *name)
{
	size_t lo = 0, hi = done ? done->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (done->v[mid].index < index)
			lo = mid + 1;
		else if (done->v[mid].index > index)
			hi = mid;
		else
			return !name || !strcmp(done->v[mid].name, name);
	}
	return false;
}

static void add_host(struct hvt_merge_result *r, const char *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < r->nhosts; i++)
		if (!strcmp(r->hosts[i], h))
			return;
	r->hosts = hvt_realloc(r->hosts, (r->nhosts + 1) * sizeof(*r->hosts));
	r->hosts[r->nhosts++] = hvt_strdup(h);
}

static void add_gap(struct hvt_merge_result *r, long index, const char *name)
{
	r->gaps = hvt_realloc(r->gaps, (r->ngaps + 1) * sizeof(*r->gaps));
	r->gaps[r->ngaps].index = index;
	r->gaps[r->ngaps++].name = name ? hvt_strdup(name) : NULL;
}

/*
 * Where a piece's case directory is now: an absolute path that exists as
 * it is, else its last two components (run-N/INDEX.ATTEMPT) under the
 * piece's directory (a piece run from elsewhere, or moved since). NULL
 * when neither exists.
 */
static char *piece_workdir(const struct piece *p, const char *workdir)
{
	const char *tail;
	char *guess, *real;

	if (!workdir)
		return NULL;
	if (*workdir == '/' && hvt_path_exists(workdir))
		return realpath(workdir, NULL);
	tail = strrchr(workdir, '/');
	while (tail && tail > workdir && tail[-1] != '/')
		tail--;
	guess = hvt_asprintf("%s/%s", p->dir, tail ? tail : workdir);
	real = realpath(guess, NULL);
	free(guess);
	return real;
}

/*
 * The merged copy of one attempt: its host (the piece's, unless the piece
 * was itself merged), its work directory a link under the merged run's.
 */
static struct hvt_case *merged_copy(const struct piece *p, const struct hvt_case *c,
				    const char *root, struct hvt_merge_result *r)
{
	struct hvt_case *m = hvt_case_copy(c);
	char *src = piece_workdir(p, c->workdir);
	char *link;

	if (!m->host && p->ri.host.hostname)
		m->host = hvt_strdup(p->ri.host.hostname);
	add_host(r, m->host);
	if (!src) {
		if (c->workdir)
			r->unlinked++;
		return m;
	}
	link = hvt_asprintf("%s/%ld.%d", root, c->index, c->attempt);
	unlink(link);
	if (symlink(src, link)) {
		r->unlinked++;
		free(link);
		free(src);
		return m;
	}
	/* absolute artifact paths inside the old directory follow it */
	for (size_t i = 0; i < m->nartifacts; i++) {
		char *a = m->artifacts[i].path;
		size_t ol = c->workdir ? strlen(c->workdir) : 0;

		if (a && *a == '/' && ol && !strncmp(a, c->workdir, ol) && a[ol] == '/') {
			m->artifacts[i].path = hvt_asprintf("%s%s", link, a + ol);
			free(a);
		}
	}
	free(m->workdir);
	m->workdir = link;
	free(src);
	return m;
}

/* The record of a new merged run: earliest start, the pieces' hosts. */
static int insert_run(struct hvt_store *dst, const struct hvt_merge_opts *o,
		      const struct piece *pieces, size_t npieces, const struct hvt_merge_result *r,
		      long total, int64_t *id, struct hvt_err *err)
{
	struct hvt_run_info ri = { 0 };
	struct hvt_buf hosts = HVT_BUF_INIT;
	int ret;

	for (size_t i = 0; i < r->nhosts; i++)
		hvt_buf_addf(&hosts, "%s%s", i ? ", " : "", r->hosts[i]);
	ri.started = pieces[0].ri.started;
	for (size_t i = 1; i < npieces; i++)
		if (pieces[i].ri.started < ri.started)
			ri.started = pieces[i].ri.started;
	ri.plan = o->plan ? o->plan : pieces[0].ri.plan;
	ri.filters = o->filters ? o->filters : pieces[0].ri.filters;
	ri.argv = o->argv;
	ri.total = total;
	ri.pid = (int)getpid();
	ri.host = pieces[0].ri.host;
	ri.host.hostname = r->nhosts ? hosts.p : NULL;
	ret = store_insert_run(dst, &ri, id, err);
	hvt_buf_release(&hosts);
	return ret;
}

/* Pick each case once, with the overlaps, gaps and conflicts. */
static int choose(const struct hvt_merge_opts *o, struct piece *pieces, size_t npieces,
		  const struct hvt_store_done *done, struct entry **keep, size_t *nkeep,
		  struct hvt_merge_result *r, struct hvt_err *err)
{
	struct entry *e = NULL;
	size_t ne = 0, alloc = 0;
	long top = -1;
	int ret = 0;

	for (size_t p = 0; p < npieces; p++) {
		for (size_t i = 0; i < pieces[p].ncases;) {
			size_t j = i;

			while (j < pieces[p].ncases &&
			       pieces[p].cases[j]->index == pieces[p].cases[i]->index)
				j++;
			if (ne == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				e = hvt_realloc(e, alloc * sizeof(*e));
			}
			e[ne++] = (struct entry){ pieces[p].cases[i]->index, p, i, j - i };
			i = j;
		}
	}
	if (ne)
		qsort(e, ne, sizeof(*e), cmp_entry);
	*keep = hvt_realloc(NULL, (ne ? ne : 1) * sizeof(**keep));
	*nkeep = 0;
	for (size_t i = 0; i < ne; i++) {
		const struct hvt_case *c = pieces[e[i].piece].cases[e[i].first + e[i].n - 1];
		const struct hvt_merge_want *w = o->want ? find_want(o, e[i].index) : NULL;
		const struct entry *k = *nkeep ? &(*keep)[*nkeep - 1] : NULL;

		if (o->want && (!w || strcmp(w->name, c->name))) {
			ret = hvt_err_set(err, -EINVAL, "%s: case %ld (%s) is not in the plan%s%s%s",
					  pieces[e[i].piece].label, c->index, c->name,
					  w ? " (there it is " : "", w ? w->name : "", w ? ")" : "");
			goto out;
		}
		if (k && k->index == e[i].index) {
			const struct hvt_case *kc = pieces[k->piece].cases[k->first + k->n - 1];
			struct hvt_merge_overlap *ov;

			if (!k->n)	/* the run has it already */
				continue;
			if (strcmp(kc->name, c->name)) {
				ret = hvt_err_set(err, -EINVAL, "case %ld is %s in %s but %s in %s: "
						  "runs of different plans", c->index, kc->name,
						  pieces[k->piece].label, c->name,
						  pieces[e[i].piece].label);
				goto out;
			}
			r->overlaps = hvt_realloc(r->overlaps, (r->noverlaps + 1) * sizeof(*ov));
			ov = &r->overlaps[r->noverlaps++];
			ov->index = c->index;
			ov->name = hvt_strdup(c->name);
			ov->kept = hvt_strdup(pieces[k->piece].label);
			ov->dropped = hvt_strdup(pieces[e[i].piece].label);
			ov->kept_outcome = hvt_case_outcome(kc);
			ov->dropped_outcome = hvt_case_outcome(c);
			continue;
		}
		if (e[i].index > top)
			top = e[i].index;
		if (done_has(done, c->index, c->name)) {
			r->present++;
			/* a placeholder so that later copies of it are not overlaps */
			(*keep)[(*nkeep)++] = (struct entry){ e[i].index, e[i].piece, 0, 0 };
			continue;
		}
		(*keep)[(*nkeep)++] = e[i];
	}
	if (o->want) {
		size_t k = 0;

		for (size_t i = 0; i < o->nwant; i++) {
			while (k < *nkeep && (*keep)[k].index < o->want[i].index)
				k++;
			if ((k < *nkeep && (*keep)[k].index == o->want[i].index) ||
			    done_has(done, o->want[i].index, o->want[i].name))
				continue;
			add_gap(r, o->want[i].index, o->want[i].name);
		}
	} else {
		size_t k = 0;

		for (long i = 0; i <= top; i++) {
			while (k < *nkeep && (*keep)[k].index < i)
				k++;
			if (!(k < *nkeep && (*keep)[k].index == i) &&
			    !done_has(done, i, NULL))
				add_gap(r, i, NULL);
		}
	}
out:
	free(e);
	return ret;
}

/*
 * A run merged into piece by piece: its hosts are those of its cases,
 * what it did not know of them (a run begun on the submitting host) from
 * a piece.
 */
static int update_host(struct hvt_store *dst, int64_t run_id, const struct hvt_host_info *h,
		       struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(dst, &st,
		"UPDATE hosts SET kernel = IFNULL(kernel, ?2), qemu = IFNULL(qemu, ?3),"
		" qemu_version = IFNULL(qemu_version, ?4), accel = IFNULL(accel, ?5),"
		" accel_reason = IFNULL(accel_reason, ?6) WHERE run_id = ?1", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	store_bind_text(st, 2, h->kernel);
	store_bind_text(st, 3, h->qemu);
	store_bind_text(st, 4, h->qemu_version);
	store_bind_text(st, 5, h->accel);
	store_bind_text(st, 6, h->accel_reason);
	return store_step_done(dst, st, "update host", err);
}

/* After cases were added to a run: its hostname lists their hosts. */
static int update_hostnames(struct hvt_store *dst, int64_t run_id, struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(dst, &st,
		"UPDATE hosts SET hostname = (SELECT group_concat(host, ', ') FROM"
		" (SELECT host FROM cases WHERE run_id = ?1 AND host IS NOT NULL"
		" GROUP BY host ORDER BY MIN(id))) WHERE run_id = ?1 AND EXISTS"
		" (SELECT 1 FROM cases WHERE run_id = ?1 AND host IS NOT NULL)", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	return store_step_done(dst, st, "update hostnames", err);
}

static int write_run(struct hvt_store *dst, const char *dst_dir, const struct hvt_merge_opts *o,
		     struct piece *pieces, size_t npieces, const struct entry *keep,
		     size_t nkeep, struct hvt_merge_result *r, struct hvt_err *err)
{
	char *root = NULL;
	int ret;

	ret = store_exec(dst, "BEGIN IMMEDIATE", err);
	if (ret)
		return ret;
	/* the hosts first: the new run's record names them */
	for (size_t i = 0; i < nkeep; i++)
		for (size_t a = 0; a < keep[i].n; a++) {
			const struct piece *p = &pieces[keep[i].piece];
			const struct hvt_case *c = p->cases[keep[i].first + a];

			add_host(r, c->host ? c->host : p->ri.host.hostname);
		}
	if (o->into) {
		r->run_id = o->into;
		ret = update_host(dst, r->run_id, &pieces[0].ri.host, err);
	} else {
		ret = insert_run(dst, o, pieces, npieces, r,
				 o->want ? (long)o->nwant : (long)(nkeep + r->ngaps), &r->run_id,
				 err);
	}
	if (ret)
		goto out;
	root = hvt_asprintf("%s/run-%lld", dst_dir, (long long)r->run_id);
	ret = hvt_mkdir_p(root, 0755, err);
	for (size_t i = 0; !ret && i < nkeep; i++) {
		for (size_t a = 0; !ret && a < keep[i].n; a++) {
			struct piece *p = &pieces[keep[i].piece];
			struct hvt_case *m = merged_copy(p, p->cases[keep[i].first + a], root, r);

			ret = store_insert_case(dst, r->run_id, m, err);
			hvt_case_free(m);
		}
		if (keep[i].n)
			r->added++;
	}
	if (!ret && o->into)
		ret = update_hostnames(dst, r->run_id, err);
out:
	free(root);
	if (ret) {
		store_exec(dst, "ROLLBACK", NULL);
		return ret;
	}
	return store_exec(dst, "COMMIT", err);
}

int hvt_store_merge(struct hvt_store *dst, const char *dst_dir, const struct hvt_merge_opts *o,
		    struct hvt_merge_result *r, struct hvt_err *err)
{
	struct piece *pieces = hvt_zalloc((o->ndirs ? o->ndirs : 1) * sizeof(*pieces));
	struct hvt_store_done done = { 0 };
	struct hvt_run_info ri = { 0 };
	struct entry *keep = NULL;
	size_t nkeep = 0, loaded = 0;
	int ret = 0, status = 0;

	memset(r, 0, sizeof(*r));
	if (!o->ndirs) {
		free(pieces);
		return hvt_err_set(err, -EINVAL, "nothing to merge: no results directory given");
	}
	for (; loaded < o->ndirs; loaded++) {
		ret = piece_load(&pieces[loaded], o->dirs[loaded],
				 o->run_refs ? o->run_refs[loaded] : NULL, err);
		if (ret) {
			loaded++;
			goto out;
		}
	}
	if (o->into) {
		ret = hvt_store_run_done(dst, o->into, &done, err);
		if (ret)
			goto out;
	}
	ret = choose(o, pieces, o->ndirs, o->into ? &done : NULL, &keep, &nkeep, r, err);
	if (!ret)
		ret = write_run(dst, dst_dir, o, pieces, o->ndirs, keep, nkeep, r, err);
	if (ret)
		goto out;
	ret = hvt_store_run_get(dst, r->run_id, &ri, err);
	if (ret)
		goto out;
	for (int oc = 0; oc < HVT_OUTCOME_COUNT; oc++)
		if (hvt_outcome_bad((enum hvt_outcome)oc) && ri.counts[oc])
			status = 1;
	if (r->ngaps)
		status = 1;
	ret = hvt_store_run_end(dst, r->run_id, status, err);
out:
	for (size_t i = 0; i < loaded; i++)
		piece_release(&pieces[i]);
	free(pieces);
	free(keep);
	hvt_store_done_release(&done);
	hvt_run_info_release(&ri);
	return ret;
}

void hvt_merge_result_release(struct hvt_merge_result *r)
{
	for (size_t i = 0; i < r->noverlaps; i++) {
		free(r->overlaps[i].name);
		free(r->overlaps[i].kept);
		free(r->overlaps[i].dropped);
	}
	free(r->overlaps);
	for (size_t i = 0; i < r->ngaps; i++)
		free(r->gaps[i].name);
	free(r->gaps);
	for (size_t i = 0; i < r->nhosts; i++)
		free(r->hosts[i]);
	free(r->hosts);
	memset(r, 0, sizeof(*r));
}
