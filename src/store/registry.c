// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The registry of published runs, in the results store's database: a
 * publication row per run (its key and what the publisher said), the
 * files uploaded with it, and hashed publish tokens.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "store-int.h"

/*
 * A run is published when its publications row exists: the row is
 * written in the same transaction as the run and its cases, so a reader
 * sees all of it or nothing.
 */
static const char registry_sql[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS publications ("
	" run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	" user TEXT NOT NULL, machine TEXT NOT NULL, git TEXT NOT NULL, name TEXT NOT NULL,"
	" published REAL NOT NULL, plan_name TEXT, cpu TEXT, libvirt TEXT,"
	" bytes INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (user, machine, git, name));"
	"CREATE INDEX IF NOT EXISTS publications_by_machine ON publications (user, machine);"
	"CREATE TABLE IF NOT EXISTS pub_files ("
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" case_idx INTEGER NOT NULL,"	/* -1: a file of the run */
	" name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
	" PRIMARY KEY (run_id, case_idx, name));"
	"CREATE INDEX IF NOT EXISTS pub_files_by_blob ON pub_files (sha256);"
	"CREATE TABLE IF NOT EXISTS pub_tokens ("
	" id INTEGER PRIMARY KEY, user TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,"
	" created REAL NOT NULL, revoked REAL);"
	"COMMIT;";

int hvt_registry_init(struct hvt_store *s, struct hvt_err *err)
{
	int ret = store_exec(s, registry_sql, err);

	if (ret)
		store_exec(s, "ROLLBACK", NULL);
	return ret;
}

static int insert_pub(struct hvt_store *s, int64_t run_id, const struct hvt_pub_meta *m,
		      struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, "INSERT INTO publications (run_id, user, machine, git, name,"
				    " published, plan_name, cpu, libvirt, bytes)"
				    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	store_bind_text(st, 2, m->key.user);
	store_bind_text(st, 3, m->key.machine);
	store_bind_text(st, 4, m->key.git);
	store_bind_text(st, 5, m->key.name);
	sqlite3_bind_double(st, 6, hvt_wall_now());
	store_bind_text(st, 7, m->plan_name);
	store_bind_text(st, 8, m->cpu);
	store_bind_text(st, 9, m->libvirt);
	sqlite3_bind_int64(st, 10, m->bytes);
	ret = store_step_done(s, st, "insert publication", err);
	if (ret == -EEXIST)
		hvt_err_set(err, ret, "/%s/%s/%s/%s is already published", m->key.user,
			    m->key.machine, m->key.git, m->key.name);
	return ret;
}

static int insert_files(struct hvt_store *s, int64_t run_id, const struct hvt_pub_file *f,
			size_t n, struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, "INSERT INTO pub_files VALUES (?, ?, ?, ?, ?)", err);
	for (size_t i = 0; !ret && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_int64(st, 2, f[i].case_index);
		store_bind_text(st, 3, f[i].name);
		store_bind_text(st, 4, f[i].sha256);
		sqlite3_bind_int64(st, 5, f[i].size);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = store_db_fail(s, err, "insert file");
	}
	sqlite3_finalize(st);
	return ret;
}

/* The published run keeps the times and the status it had where it ran. */
static int set_end(struct hvt_store *s, int64_t run_id, const struct hvt_run_info *run,
		   struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, "UPDATE runs SET finished = ?, status = 'finished',"
				    " exit_status = ?, pid = NULL WHERE id = ?", err);
	if (ret)
		return ret;
	if (run->finished > 0)
		sqlite3_bind_double(st, 1, run->finished);
	else
		sqlite3_bind_null(st, 1);
	if (run->exit_status >= 0)
		sqlite3_bind_int(st, 2, run->exit_status);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, run_id);
	return store_step_done(s, st, "end run", err);
}

int hvt_registry_publish(struct hvt_store *s, const struct hvt_pub_meta *m,
			 const struct hvt_run_info *run, struct hvt_case *const *cases,
			 size_t ncases, const struct hvt_pub_file *files, size_t nfiles,
			 int64_t *run_id, struct hvt_err *err)
{
	int ret;

	ret = store_exec(s, "BEGIN IMMEDIATE", err);
	if (ret)
		return ret;
	ret = store_insert_run(s, run, run_id, err);
	if (!ret)
		ret = set_end(s, *run_id, run, err);
	for (size_t i = 0; !ret && i < ncases; i++)
		ret = store_insert_case(s, *run_id, cases[i], err);
	if (!ret)
		ret = insert_pub(s, *run_id, m, err);
	if (!ret)
		ret = insert_files(s, *run_id, files, nfiles, err);
	if (ret) {
		store_exec(s, "ROLLBACK", NULL);
		return ret;
	}
	return store_exec(s, "COMMIT", err);
}

/* The run's 24 columns, then the publication's. */
#define PUB_COLS 24
static const char pub_cols[] =
	", p.user, p.machine, p.git, p.name, p.published, p.plan_name, p.cpu, p.libvirt,"
	" p.bytes";

static void read_pub(sqlite3_stmt *st, struct hvt_pub *p)
{
	memset(p, 0, sizeof(*p));
	store_read_run(st, &p->run);
	p->user = store_col_text(st, PUB_COLS);
	p->machine = store_col_text(st, PUB_COLS + 1);
	p->git = store_col_text(st, PUB_COLS + 2);
	p->name = store_col_text(st, PUB_COLS + 3);
	p->published = sqlite3_column_double(st, PUB_COLS + 4);
	p->plan_name = store_col_text(st, PUB_COLS + 5);
	p->cpu = store_col_text(st, PUB_COLS + 6);
	p->libvirt = store_col_text(st, PUB_COLS + 7);
	p->bytes = sqlite3_column_int64(st, PUB_COLS + 8);
}

/*
 * store_runs_sql selects "... FROM runs r LEFT JOIN ...": the publication
 * columns go before its FROM, the join after it.
 */
static char *pub_query(const char *where)
{
	const char *from = strstr(store_runs_sql, " FROM runs r");

	if (!from)
		HVT_BUG("store_runs_sql has no FROM runs r");
	return hvt_asprintf("%.*s%s%s JOIN publications p ON p.run_id = r.id %s",
			    (int)(from - store_runs_sql), store_runs_sql, pub_cols, from, where);
}

void hvt_pub_release(struct hvt_pub *p)
{
	free(p->user);
	free(p->machine);
	free(p->git);
	free(p->name);
	free(p->plan_name);
	free(p->cpu);
	free(p->libvirt);
	hvt_run_info_release(&p->run);
	memset(p, 0, sizeof(*p));
}

void hvt_pubs_free(struct hvt_pub *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hvt_pub_release(&v[i]);
	free(v);
}

int hvt_registry_find(struct hvt_store *s, const struct hvt_pub_key *k, struct hvt_pub *p,
		      struct hvt_err *err)
{
	char *sql = pub_query("WHERE p.user = ? AND p.machine = ? AND p.git = ? AND p.name = ?");
	sqlite3_stmt *st;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = store_prepare(s, &st, sql, err);
	free(sql);
	if (ret)
		return ret;
	store_bind_text(st, 1, k->user);
	store_bind_text(st, 2, k->machine);
	store_bind_text(st, 3, k->git);
	store_bind_text(st, 4, k->name);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		read_pub(st, p);
		break;
	case SQLITE_DONE:
		ret = hvt_err_set(err, -ENOENT, "no run /%s/%s/%s/%s", k->user, k->machine,
				  k->git, k->name);
		break;
	default:
		ret = store_db_fail(s, err, "find publication");
	}
	sqlite3_finalize(st);
	return ret;
}

static void read_pub_row(sqlite3_stmt *st, void *row)
{
	read_pub(st, row);
}

int hvt_registry_list(struct hvt_store *s, const char *user, const char *machine,
		      struct hvt_pub **v, size_t *n, struct hvt_err *err)
{
	char *sql = pub_query("WHERE (?1 IS NULL OR p.user = ?1) AND (?2 IS NULL OR p.machine = ?2)"
			      " ORDER BY p.published DESC, r.id DESC");
	sqlite3_stmt *st;
	int ret;

	*v = NULL;
	*n = 0;
	ret = store_prepare(s, &st, sql, err);
	free(sql);
	if (ret)
		return ret;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, machine);
	ret = store_rows(s, st, (void **)v, n, sizeof(**v), read_pub_row, "list publications",
			 err);
	if (ret) {
		hvt_pubs_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return ret;
}

static void read_file(sqlite3_stmt *st, struct hvt_pub_file *f)
{
	const unsigned char *h = sqlite3_column_text(st, 2);

	memset(f, 0, sizeof(*f));
	f->case_index = (long)sqlite3_column_int64(st, 0);
	f->name = store_col_text(st, 1);
	hvt_snprintf(f->sha256, sizeof(f->sha256), "%s", h ? (const char *)h : "");
	f->size = sqlite3_column_int64(st, 3);
}

static void read_file_row(sqlite3_stmt *st, void *row)
{
	read_file(st, row);
}

int hvt_registry_files(struct hvt_store *s, int64_t run_id, struct hvt_pub_file **v,
		       size_t *n, struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	*v = NULL;
	*n = 0;
	ret = store_prepare(s, &st, "SELECT case_idx, name, sha256, size FROM pub_files"
				    " WHERE run_id = ? ORDER BY case_idx, name", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	ret = store_rows(s, st, (void **)v, n, sizeof(**v), read_file_row, "list files", err);
	if (ret) {
		hvt_pub_files_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return ret;
}

void hvt_pub_files_free(struct hvt_pub_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int hvt_registry_file(struct hvt_store *s, int64_t run_id, long case_index, const char *name,
		      struct hvt_pub_file *f, struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, "SELECT case_idx, name, sha256, size FROM pub_files"
				    " WHERE run_id = ? AND case_idx = ? AND name = ?", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, case_index);
	store_bind_text(st, 3, name);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		read_file(st, f);
		break;
	case SQLITE_DONE:
		ret = hvt_err_set(err, -ENOENT, "no file %s", name);
		break;
	default:
		ret = store_db_fail(s, err, "find file");
	}
	sqlite3_finalize(st);
	return ret;
}

int hvt_registry_blob_used(struct hvt_store *s, const char *sha256, bool *used,
			   struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret, rc;

	ret = store_prepare(s, &st, "SELECT 1 FROM pub_files WHERE sha256 = ? LIMIT 1", err);
	if (ret)
		return ret;
	store_bind_text(st, 1, sha256);
	rc = sqlite3_step(st);
	*used = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_db_fail(s, err, "look up blob");
	sqlite3_finalize(st);
	return ret;
}

int hvt_registry_token_add(struct hvt_store *s, const char *user, const char *hash,
			   struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, "INSERT INTO pub_tokens (user, hash, created)"
				    " VALUES (?, ?, ?)", err);
	if (ret)
		return ret;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, hash);
	sqlite3_bind_double(st, 3, hvt_wall_now());
	return store_step_done(s, st, "add token", err);
}

int hvt_registry_token_revoke(struct hvt_store *s, const char *user, int *n,
			      struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, "UPDATE pub_tokens SET revoked = ?"
				    " WHERE user = ? AND revoked IS NULL", err);
	if (ret)
		return ret;
	sqlite3_bind_double(st, 1, hvt_wall_now());
	store_bind_text(st, 2, user);
	ret = store_step_done(s, st, "revoke tokens", err);
	*n = ret ? 0 : sqlite3_changes(s->db);
	return ret;
}

int hvt_registry_token_user(struct hvt_store *s, const char *hash, char **user,
			    struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	*user = NULL;
	ret = store_prepare(s, &st, "SELECT user FROM pub_tokens WHERE hash = ?"
				    " AND revoked IS NULL", err);
	if (ret)
		return ret;
	store_bind_text(st, 1, hash);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*user = store_col_text(st, 0);
		break;
	case SQLITE_DONE:
		ret = hvt_err_set(err, -ENOENT, "no such token");
		break;
	default:
		ret = store_db_fail(s, err, "look up token");
	}
	sqlite3_finalize(st);
	return ret;
}

int hvt_registry_token_list(struct hvt_store *s, char **text, struct hvt_err *err)
{
	struct hvt_buf b = HVT_BUF_INIT;
	sqlite3_stmt *st;
	int ret, rc;

	ret = store_prepare(s, &st, "SELECT user, COUNT(*) FROM pub_tokens WHERE revoked IS NULL"
				    " GROUP BY user ORDER BY user", err);
	if (ret)
		return ret;
	hvt_buf_addf(&b, "%s", "");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		hvt_buf_addf(&b, "%s %d\n", (const char *)sqlite3_column_text(st, 0),
			     sqlite3_column_int(st, 1));
	if (rc != SQLITE_DONE)
		ret = store_db_fail(s, err, "list tokens");
	sqlite3_finalize(st);
	if (ret)
		hvt_buf_release(&b);
	else
		*text = b.p;
	return ret;
}
