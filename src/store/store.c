// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The results store on SQLite: schema, one transaction per finished case,
 * and reading runs and cases back. The only file that includes sqlite3.h.
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/*
 * The schema. Times are wall clock seconds since the epoch (REAL); the
 * "pos" columns keep the order in which a case recorded things. Counts
 * per run are a view, so they are right even for a run that was killed.
 */
static const char schema_sql[] =
	"CREATE TABLE runs ("
	" id INTEGER PRIMARY KEY,"
	" started REAL NOT NULL,"
	" finished REAL,"		/* NULL while running or when killed */
	" plan TEXT, filters TEXT, argv TEXT,"
	" total INTEGER NOT NULL DEFAULT -1,"	/* cases selected, -1 unknown */
	" pid INTEGER,"
	" status TEXT NOT NULL DEFAULT 'running'," /* running | finished */
	" exit_status INTEGER);"
	"CREATE TABLE hosts ("
	" run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	" hostname TEXT, kernel TEXT, qemu TEXT, qemu_version TEXT,"
	" accel TEXT, accel_reason TEXT, hvtest_version TEXT);"
	"CREATE TABLE cases ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL,"		/* index in the expanded plan */
	" name TEXT NOT NULL, shortname TEXT NOT NULL, type TEXT NOT NULL,"
	" attempt INTEGER NOT NULL,"
	" outcome TEXT NOT NULL,"	/* pass fail error skip timeout xfail xpass */
	" errored INTEGER NOT NULL, skipped INTEGER NOT NULL,"
	" timed_out INTEGER NOT NULL, flaky INTEGER NOT NULL,"
	" reason TEXT, start REAL, duration REAL, workdir TEXT,"
	" xfail TEXT,"			/* why it is expected to fail; NULL: it is not */
	" host TEXT,"			/* where it ran, when not the run's host (merged runs) */
	" UNIQUE (run_id, idx, attempt));"
	"CREATE INDEX cases_by_name ON cases (run_id, name);"
	"CREATE TABLE params ("
	" case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (case_id, pos));"
	"CREATE TABLE checks ("
	" case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,"
	" message TEXT NOT NULL, t REAL,"
	" PRIMARY KEY (case_id, pos));"
	"CREATE TABLE metrics ("
	" case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, name TEXT NOT NULL, value REAL," /* NULL for NaN */
	" unit TEXT NOT NULL, t REAL,"
	" PRIMARY KEY (case_id, pos));"
	"CREATE TABLE artifacts ("
	" case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL,"
	" PRIMARY KEY (case_id, pos));";

/* The views, on top of either schema version's tables. */
static const char views_sql[] =
	/* the last attempt of each case */
	"CREATE VIEW final_cases AS SELECT * FROM cases c WHERE attempt ="
	" (SELECT MAX(attempt) FROM cases d WHERE d.run_id = c.run_id AND d.idx = c.idx);"
	"CREATE VIEW run_counts AS SELECT run_id, COUNT(*) AS cases,"
	" SUM(outcome = 'pass') AS pass, SUM(outcome = 'fail') AS fail,"
	" SUM(outcome = 'error') AS error, SUM(outcome = 'skip') AS skip,"
	" SUM(outcome = 'timeout') AS timeout, SUM(outcome = 'xfail') AS xfail,"
	" SUM(outcome = 'xpass') AS xpass FROM final_cases GROUP BY run_id;";

/*
 * Version 1 -> 2: cases.xfail, and run_counts counts xfail and xpass.
 * Version 1 records stay valid as they are (no case of theirs was
 * expected to fail). Version 2 -> 3: cases.host (NULL: the run's host,
 * as every case of an older run). The views are made again (once, after
 * the steps) so that final_cases has the new columns.
 */
static const char upgrade_v2_sql[] = "ALTER TABLE cases ADD COLUMN xfail TEXT;";
static const char upgrade_v3_sql[] = "ALTER TABLE cases ADD COLUMN host TEXT;";
static const char upgrade_views_sql[] = "DROP VIEW run_counts; DROP VIEW final_cases;";

int store_db_fail(struct hvt_store *s, struct hvt_err *err, const char *what)
{
	int rc = sqlite3_errcode(s->db);
	int code = -EIO;

	if (rc == SQLITE_CONSTRAINT)
		code = -EEXIST;
	else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = -EBUSY;
	else if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		code = -EBADMSG;
	else if (rc == SQLITE_FULL)
		code = -ENOSPC;
	else if (rc == SQLITE_READONLY || rc == SQLITE_PERM || rc == SQLITE_CANTOPEN)
		code = -EACCES;
	return hvt_err_set(err, code, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

int store_exec(struct hvt_store *s, const char *sql, struct hvt_err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_db_fail(s, err, sql);
	return 0;
}

int store_prepare(struct hvt_store *s, sqlite3_stmt **st, const char *sql, struct hvt_err *err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return store_db_fail(s, err, "store_prepare");
	}
	return 0;
}

/* Step a statement that returns no rows, then finalize it. */
int store_step_done(struct hvt_store *s, sqlite3_stmt *st, const char *what, struct hvt_err *err)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_db_fail(s, err, what);

	sqlite3_finalize(st);
	return rc;
}

static int pragma_int(struct hvt_store *s, const char *sql, int *out, struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, sql, err);
	if (ret)
		return ret;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	else
		ret = store_db_fail(s, err, sql);
	sqlite3_finalize(st);
	return ret;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void store_bind_double(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

char *store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? hvt_strdup((const char *)v) : NULL;
}

double store_col_double(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NAN;
	return sqlite3_column_double(st, i);
}

int store_rows(struct hvt_store *s, sqlite3_stmt *st, void **v, size_t *n, size_t elem,
	       void (*read)(sqlite3_stmt *st, void *row), const char *what, struct hvt_err *err)
{
	size_t alloc = 0;
	int rc, ret = 0;

	*v = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			*v = hvt_realloc(*v, alloc * elem);
		}
		read(st, (char *)*v + (*n)++ * elem);
	}
	if (rc != SQLITE_DONE)
		ret = store_db_fail(s, err, what);
	sqlite3_finalize(st);
	return ret;
}

/*
 * Bring a database of an older schema version to this one, in one
 * transaction (a concurrent hvtest of the old version sees the whole
 * change or none of it; it then refuses the newer schema).
 */
static int upgrade(struct hvt_store *s, int ver, struct hvt_err *err)
{
	char *sql;
	int ret, now = ver;

	ret = store_exec(s, "BEGIN IMMEDIATE", err);
	if (ret)
		return ret;
	/* another process may have upgraded it meanwhile */
	ret = pragma_int(s, "PRAGMA user_version", &now, err);
	if (ret || now >= HVT_STORE_SCHEMA_VERSION)
		goto out;
	sql = hvt_asprintf("%s %s %s %s PRAGMA user_version = %d;", now < 2 ? upgrade_v2_sql : "",
			   now < 3 ? upgrade_v3_sql : "", upgrade_views_sql, views_sql,
			   HVT_STORE_SCHEMA_VERSION);
	ret = store_exec(s, sql, err);
	free(sql);
	if (ret)
		hvt_err_prefix(err, "%s: upgrading schema version %d to %d", s->path, ver,
			       HVT_STORE_SCHEMA_VERSION);
out:
	if (ret) {
		store_exec(s, "ROLLBACK", NULL);
		return ret;
	}
	return store_exec(s, "COMMIT", err);
}

/*
 * Decide whether the file is ours, create the schema in an empty one,
 * upgrade an older one, and refuse foreign, newer or damaged databases.
 */
static int check_schema(struct hvt_store *s, struct hvt_err *err)
{
	int app = 0, ver = 0, objects = 0, ret;

	ret = pragma_int(s, "PRAGMA application_id", &app, err);
	if (ret)
		return ret;
	ret = pragma_int(s, "PRAGMA user_version", &ver, err);
	if (ret)
		return ret;
	ret = pragma_int(s, "SELECT COUNT(*) FROM sqlite_master", &objects, err);
	if (ret)
		return ret;
	if (app == 0 && ver == 0 && objects == 0) {
		char *sql = hvt_asprintf("BEGIN IMMEDIATE; %s %s PRAGMA application_id = %d;"
					 " PRAGMA user_version = %d; COMMIT;",
					 schema_sql, views_sql, HVT_STORE_APP_ID,
					 HVT_STORE_SCHEMA_VERSION);

		ret = store_exec(s, sql, err);
		free(sql);
		if (ret)
			store_exec(s, "ROLLBACK", NULL);
		return ret;
	}
	if (app != HVT_STORE_APP_ID)
		return hvt_err_set(err, -EBADMSG,
				   "%s: an SQLite database, but not an hvtest results database "
				   "(application_id %#x); use another results directory",
				   s->path, (unsigned)app);
	if (ver > HVT_STORE_SCHEMA_VERSION)
		return hvt_err_set(err, -EPROTONOSUPPORT,
				   "%s: schema version %d is newer than this hvtest knows (%d)",
				   s->path, ver, HVT_STORE_SCHEMA_VERSION);
	if (ver < 1)
		return hvt_err_set(err, -EBADMSG, "%s: no schema version; not usable", s->path);
	if (ver < HVT_STORE_SCHEMA_VERSION)
		return upgrade(s, ver, err);
	return 0;
}

struct hvt_store *hvt_store_open(const char *dir, struct hvt_err *err)
{
	struct hvt_store *s;
	int ret;

	if (hvt_mkdir_p(dir, 0755, err))
		return NULL;
	s = hvt_zalloc(sizeof(*s));
	s->path = hvt_asprintf("%s/%s", dir, HVT_STORE_FILE);
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		ret = s->db ? store_db_fail(s, err, "open")
			    : hvt_err_set(err, -ENOMEM, "%s: cannot open", s->path);
		goto err_close;
	}
	sqlite3_extended_result_codes(s->db, 0);
	/* other processes (hvtest results while a run goes on) wait rather than fail */
	sqlite3_busy_timeout(s->db, 10000);
	/*
	 * WAL: readers do not block the runner's commits. synchronous=FULL
	 * fsyncs the WAL at every commit. NORMAL would already keep every
	 * committed case across a SIGKILL of hvtest (the WAL frames are
	 * written to the file before COMMIT returns; only the fsync is
	 * deferred), but not across a crash of the host -- and a harness for
	 * KVM may well crash its host. A case takes seconds, so one fsync per
	 * case costs nothing worth saving.
	 */
	ret = store_exec(s, "PRAGMA journal_mode = WAL", err);
	if (ret)
		goto err_notours;
	ret = store_exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", err);
	if (ret)
		goto err_close;
	ret = check_schema(s, err);
	if (ret)
		goto err_close;
	return s;

err_notours:
	if (ret == -EBADMSG)
		hvt_err_set(err, ret, "%s: not an SQLite database or damaged (%s)", s->path,
			    sqlite3_errmsg(s->db));
err_close:
	hvt_store_close(s);
	return NULL;
}

void hvt_store_close(struct hvt_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

const char *hvt_store_path(const struct hvt_store *s)
{
	return s->path;
}

int store_insert_run(struct hvt_store *s, const struct hvt_run_info *info, int64_t *run_id,
		     struct hvt_err *err)
{
	const struct hvt_host_info *h = &info->host;
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st,
		      "INSERT INTO runs (started, plan, filters, argv, total, pid)"
		      " VALUES (?, ?, ?, ?, ?, ?)", err);
	if (ret)
		return ret;
	sqlite3_bind_double(st, 1, info->started > 0 ? info->started : hvt_wall_now());
	store_bind_text(st, 2, info->plan);
	store_bind_text(st, 3, info->filters);
	store_bind_text(st, 4, info->argv);
	sqlite3_bind_int64(st, 5, info->total);
	sqlite3_bind_int(st, 6, info->pid);
	ret = store_step_done(s, st, "insert run", err);
	if (ret)
		return ret;
	*run_id = sqlite3_last_insert_rowid(s->db);
	ret = store_prepare(s, &st,
		      "INSERT INTO hosts (run_id, hostname, kernel, qemu, qemu_version, accel,"
		      " accel_reason, hvtest_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, *run_id);
	store_bind_text(st, 2, h->hostname);
	store_bind_text(st, 3, h->kernel);
	store_bind_text(st, 4, h->qemu);
	store_bind_text(st, 5, h->qemu_version);
	store_bind_text(st, 6, h->accel);
	store_bind_text(st, 7, h->accel_reason);
	store_bind_text(st, 8, h->hvtest_version);
	return store_step_done(s, st, "insert host", err);
}

int hvt_store_run_begin(struct hvt_store *s, const struct hvt_run_info *info,
			int64_t *run_id, struct hvt_err *err)
{
	int ret;

	ret = store_exec(s, "BEGIN IMMEDIATE", err);
	if (ret)
		return ret;
	ret = store_insert_run(s, info, run_id, err);
	if (ret) {
		store_exec(s, "ROLLBACK", NULL);
		return ret;
	}
	return store_exec(s, "COMMIT", err);
}

static int run_exists(struct hvt_store *s, int64_t run_id, struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, "SELECT 1 FROM runs WHERE id = ?", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		ret = hvt_err_set(err, -ENOENT, "%s: no run %lld", s->path, (long long)run_id);
		break;
	default:
		ret = store_db_fail(s, err, "look up run");
	}
	sqlite3_finalize(st);
	return ret;
}

static int add_parts(struct hvt_store *s, int64_t case_id, const struct hvt_case *c,
		     struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_prepare(s, &st, "INSERT INTO params VALUES (?, ?, ?, ?)", err);
	for (size_t i = 0; !ret && i < c->nparams; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, case_id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		store_bind_text(st, 3, c->params[i].key);
		store_bind_text(st, 4, c->params[i].value);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = store_db_fail(s, err, "insert param");
	}
	sqlite3_finalize(st);
	if (ret)
		return ret;
	ret = store_prepare(s, &st, "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?)", err);
	for (size_t i = 0; !ret && i < c->nchecks; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, case_id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		store_bind_text(st, 3, c->checks[i].name);
		store_bind_text(st, 4, hvt_outcome_name(c->checks[i].status));
		store_bind_text(st, 5, c->checks[i].message ? c->checks[i].message : "");
		store_bind_double(st, 6, c->checks[i].t);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = store_db_fail(s, err, "insert check");
	}
	sqlite3_finalize(st);
	if (ret)
		return ret;
	ret = store_prepare(s, &st, "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", err);
	for (size_t i = 0; !ret && i < c->nmetrics; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, case_id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		store_bind_text(st, 3, c->metrics[i].name);
		store_bind_double(st, 4, c->metrics[i].value);
		store_bind_text(st, 5, c->metrics[i].unit ? c->metrics[i].unit : "");
		store_bind_double(st, 6, c->metrics[i].t);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = store_db_fail(s, err, "insert metric");
	}
	sqlite3_finalize(st);
	if (ret)
		return ret;
	ret = store_prepare(s, &st, "INSERT INTO artifacts VALUES (?, ?, ?, ?)", err);
	for (size_t i = 0; !ret && i < c->nartifacts; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, case_id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		store_bind_text(st, 3, c->artifacts[i].name);
		store_bind_text(st, 4, c->artifacts[i].path);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = store_db_fail(s, err, "insert artifact");
	}
	sqlite3_finalize(st);
	return ret;
}

int store_insert_case(struct hvt_store *s, int64_t run_id, const struct hvt_case *c,
		      struct hvt_err *err)
{
	sqlite3_stmt *st;
	int64_t case_id;
	int ret;

	ret = store_prepare(s, &st,
		      "INSERT INTO cases (run_id, idx, name, shortname, type, attempt, outcome,"
		      " errored, skipped, timed_out, flaky, reason, start, duration, workdir,"
		      " xfail, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, c->index);
	store_bind_text(st, 3, c->name);
	store_bind_text(st, 4, c->shortname ? c->shortname : c->name);
	store_bind_text(st, 5, c->type ? c->type : "");
	sqlite3_bind_int(st, 6, c->attempt);
	store_bind_text(st, 7, hvt_outcome_name(hvt_case_outcome(c)));
	sqlite3_bind_int(st, 8, c->errored);
	sqlite3_bind_int(st, 9, c->skipped);
	sqlite3_bind_int(st, 10, c->timed_out);
	sqlite3_bind_int(st, 11, c->flaky);
	store_bind_text(st, 12, c->reason);
	store_bind_double(st, 13, c->start);
	store_bind_double(st, 14, c->duration);
	store_bind_text(st, 15, c->workdir);
	store_bind_text(st, 16, c->xfail);
	store_bind_text(st, 17, c->host);
	ret = store_step_done(s, st, "insert case", err);
	if (ret) {
		if (ret == -EEXIST)
			hvt_err_set(err, ret, "%s: run %lld already has case %ld (%s) attempt %d",
				    s->path, (long long)run_id, c->index, c->name, c->attempt);
		return ret;
	}
	case_id = sqlite3_last_insert_rowid(s->db);
	return add_parts(s, case_id, c, err);
}

int hvt_store_case_add(struct hvt_store *s, int64_t run_id, const struct hvt_case *c,
		       struct hvt_err *err)
{
	int ret;

	ret = store_exec(s, "BEGIN IMMEDIATE", err);
	if (ret)
		return ret;
	ret = run_exists(s, run_id, err);
	if (!ret)
		ret = store_insert_case(s, run_id, c, err);
	if (ret) {
		store_exec(s, "ROLLBACK", NULL);
		return ret;
	}
	return store_exec(s, "COMMIT", err);
}

int hvt_store_run_end(struct hvt_store *s, int64_t run_id, int exit_status, struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = run_exists(s, run_id, err);
	if (ret)
		return ret;
	ret = store_prepare(s, &st,
		      "UPDATE runs SET finished = ?, status = 'finished', exit_status = ?"
		      " WHERE id = ?", err);
	if (ret)
		return ret;
	sqlite3_bind_double(st, 1, hvt_wall_now());
	sqlite3_bind_int(st, 2, exit_status);
	sqlite3_bind_int64(st, 3, run_id);
	return store_step_done(s, st, "end run", err);
}

int hvt_store_run_done(struct hvt_store *s, int64_t run_id, struct hvt_store_done *done,
		       struct hvt_err *err)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int ret, rc;

	memset(done, 0, sizeof(*done));
	ret = run_exists(s, run_id, err);
	if (ret)
		return ret;
	ret = store_prepare(s, &st, "SELECT idx, name, outcome, workdir FROM final_cases"
			      " WHERE run_id = ?"
			      " ORDER BY idx", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct hvt_done_case *d;
		const char *o = (const char *)sqlite3_column_text(st, 2);

		if (done->n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			done->v = hvt_realloc(done->v, alloc * sizeof(*done->v));
		}
		d = &done->v[done->n++];
		d->index = (long)sqlite3_column_int64(st, 0);
		d->name = store_col_text(st, 1);
		d->workdir = store_col_text(st, 3);
		if (!o || hvt_outcome_parse(o, &d->outcome))
			d->outcome = HVT_ERROR;
	}
	if (rc != SQLITE_DONE) {
		ret = store_db_fail(s, err, "read finished cases");
		hvt_store_done_release(done);
	}
	sqlite3_finalize(st);
	return ret;
}

bool hvt_store_done_has(const struct hvt_store_done *done, long index, const char *name)
{
	for (size_t i = 0; i < done->n; i++)
		if (done->v[i].index == index && !strcmp(done->v[i].name, name))
			return true;
	return false;
}

void hvt_store_done_release(struct hvt_store_done *done)
{
	for (size_t i = 0; i < done->n; i++) {
		free(done->v[i].name);
		free(done->v[i].workdir);
	}
	free(done->v);
	memset(done, 0, sizeof(*done));
}

int hvt_store_run_resolve(struct hvt_store *s, const char *ref, int64_t *run_id,
			  struct hvt_err *err)
{
	sqlite3_stmt *st;
	long long back = 0;
	char *end;
	int ret;

	if (!strncmp(ref, "latest", 6)) {
		if (ref[6] == '~') {
			errno = 0;
			back = strtoll(ref + 7, &end, 10);
			if (errno || end == ref + 7 || *end || back < 0)
				goto bad;
		} else if (ref[6]) {
			goto bad;
		}
		ret = store_prepare(s, &st, "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?",
			      err);
		if (ret)
			return ret;
		sqlite3_bind_int64(st, 1, back);
		switch (sqlite3_step(st)) {
		case SQLITE_ROW:
			*run_id = sqlite3_column_int64(st, 0);
			break;
		case SQLITE_DONE:
			ret = hvt_err_set(err, -ENOENT, "%s: no run '%s' (%s)", s->path, ref,
					  back ? "not that many runs" : "no runs yet");
			break;
		default:
			ret = store_db_fail(s, err, "look up runs");
		}
		sqlite3_finalize(st);
		return ret;
	}
	errno = 0;
	back = strtoll(ref, &end, 10);
	if (errno || end == ref || *end || back <= 0)
		goto bad;
	*run_id = back;
	return run_exists(s, back, err);
bad:
	return hvt_err_set(err, -EINVAL, "'%s' is not a run: use an id, 'latest' or 'latest~N'",
			   ref);
}

void hvt_run_info_release(struct hvt_run_info *ri)
{
	free((char *)ri->plan);
	free((char *)ri->filters);
	free((char *)ri->argv);
	free((char *)ri->host.hostname);
	free((char *)ri->host.kernel);
	free((char *)ri->host.qemu);
	free((char *)ri->host.qemu_version);
	free((char *)ri->host.accel);
	free((char *)ri->host.accel_reason);
	free((char *)ri->host.hvtest_version);
	memset(ri, 0, sizeof(*ri));
}

const char store_runs_sql[] =
	"SELECT r.id, r.started, r.finished, r.plan, r.filters, r.argv, r.total, r.pid,"
	" r.exit_status, h.hostname, h.kernel, h.qemu, h.qemu_version, h.accel,"
	" h.accel_reason, h.hvtest_version, IFNULL(n.cases, 0), IFNULL(n.pass, 0),"
	" IFNULL(n.fail, 0), IFNULL(n.error, 0), IFNULL(n.skip, 0), IFNULL(n.timeout, 0),"
	" IFNULL(n.xfail, 0), IFNULL(n.xpass, 0)"
	" FROM runs r LEFT JOIN hosts h ON h.run_id = r.id"
	" LEFT JOIN run_counts n ON n.run_id = r.id";

void store_read_run(sqlite3_stmt *st, struct hvt_run_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->id = sqlite3_column_int64(st, 0);
	ri->started = sqlite3_column_double(st, 1);
	ri->finished = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0
								 : sqlite3_column_double(st, 2);
	ri->plan = store_col_text(st, 3);
	ri->filters = store_col_text(st, 4);
	ri->argv = store_col_text(st, 5);
	ri->total = (long)sqlite3_column_int64(st, 6);
	ri->pid = sqlite3_column_int(st, 7);
	ri->exit_status = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1
								    : sqlite3_column_int(st, 8);
	ri->host.hostname = store_col_text(st, 9);
	ri->host.kernel = store_col_text(st, 10);
	ri->host.qemu = store_col_text(st, 11);
	ri->host.qemu_version = store_col_text(st, 12);
	ri->host.accel = store_col_text(st, 13);
	ri->host.accel_reason = store_col_text(st, 14);
	ri->host.hvtest_version = store_col_text(st, 15);
	ri->ncases = (long)sqlite3_column_int64(st, 16);
	/* the counts' columns are in the order of enum hvt_outcome */
	for (int o = 0; o < HVT_OUTCOME_COUNT; o++)
		ri->counts[o] = (long)sqlite3_column_int64(st, 17 + o);
}

static void read_run_row(sqlite3_stmt *st, void *row)
{
	store_read_run(st, row);
}

int hvt_store_runs_list(struct hvt_store *s, struct hvt_run_info **runs, size_t *n,
			struct hvt_err *err)
{
	char *sql = hvt_asprintf("%s ORDER BY r.id DESC", store_runs_sql);
	sqlite3_stmt *st;
	int ret;

	*runs = NULL;
	*n = 0;
	ret = store_prepare(s, &st, sql, err);
	free(sql);
	if (ret)
		return ret;
	ret = store_rows(s, st, (void **)runs, n, sizeof(**runs), read_run_row, "list runs", err);
	if (ret) {
		hvt_store_runs_free(*runs, *n);
		*runs = NULL;
		*n = 0;
	}
	return ret;
}

void hvt_store_runs_free(struct hvt_run_info *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hvt_run_info_release(&runs[i]);
	free(runs);
}

int hvt_store_run_delete(struct hvt_store *s, int64_t run_id, struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret = store_prepare(s, &st, "DELETE FROM runs WHERE id = ?", err);

	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	/* one statement: the cascade to hosts, cases and their parts is atomic */
	ret = store_step_done(s, st, "delete run", err);
	if (!ret && sqlite3_changes(s->db) == 0)
		ret = hvt_err_set(err, -ENOENT, "no run %lld", (long long)run_id);
	return ret;
}

int hvt_store_run_get(struct hvt_store *s, int64_t run_id, struct hvt_run_info *ri,
		      struct hvt_err *err)
{
	char *sql = hvt_asprintf("%s WHERE r.id = ?", store_runs_sql);
	sqlite3_stmt *st;
	int ret;

	memset(ri, 0, sizeof(*ri));
	ret = store_prepare(s, &st, sql, err);
	free(sql);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, run_id);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		store_read_run(st, ri);
		break;
	case SQLITE_DONE:
		ret = hvt_err_set(err, -ENOENT, "%s: no run %lld", s->path, (long long)run_id);
		break;
	default:
		ret = store_db_fail(s, err, "read run");
	}
	sqlite3_finalize(st);
	return ret;
}

/* Fill c's params, checks, metrics and artifacts from the part tables. */
static int load_parts(struct hvt_store *s, int64_t case_id, struct hvt_case *c,
		      struct hvt_err *err)
{
	sqlite3_stmt *st;
	int ret, rc;

	ret = store_prepare(s, &st, "SELECT key, value FROM params WHERE case_id = ? ORDER BY pos", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		hvt_case_set_param(c, (const char *)sqlite3_column_text(st, 0),
				   (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_fail(s, err, "read params");

	ret = store_prepare(s, &st, "SELECT name, status, message, t FROM checks WHERE case_id = ?"
			      " ORDER BY pos", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *status = (const char *)sqlite3_column_text(st, 1);
		enum hvt_outcome o = HVT_FAIL;

		if (status)
			hvt_outcome_parse(status, &o);
		if (o == HVT_SKIP)
			hvt_case_check_skip(c, name, "%s", (const char *)sqlite3_column_text(st, 2));
		else
			hvt_case_check(c, name, o == HVT_PASS, "%s",
				       (const char *)sqlite3_column_text(st, 2));
		c->checks[c->nchecks - 1].t = store_col_double(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_fail(s, err, "read checks");

	ret = store_prepare(s, &st, "SELECT name, value, unit, t FROM metrics WHERE case_id = ?"
			      " ORDER BY pos", err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		hvt_case_metric(c, (const char *)sqlite3_column_text(st, 0), store_col_double(st, 1),
				(const char *)sqlite3_column_text(st, 2));
		c->metrics[c->nmetrics - 1].t = store_col_double(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_fail(s, err, "read metrics");

	ret = store_prepare(s, &st, "SELECT name, path FROM artifacts WHERE case_id = ? ORDER BY pos",
		      err);
	if (ret)
		return ret;
	sqlite3_bind_int64(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		hvt_case_artifact(c, (const char *)sqlite3_column_text(st, 0),
				  (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_fail(s, err, "read artifacts");
	return 0;
}

int hvt_store_run_cases(struct hvt_store *s, int64_t run_id, bool all_attempts,
			struct hvt_case ***cases, size_t *n, struct hvt_err *err)
{
	char *sql;
	sqlite3_stmt *st;
	size_t alloc = 0;
	int ret, rc;

	*cases = NULL;
	*n = 0;
	ret = run_exists(s, run_id, err);
	if (ret)
		return ret;
	/* one read transaction: a consistent snapshot while the runner writes */
	ret = store_exec(s, "BEGIN", err);
	if (ret)
		return ret;
	sql = hvt_asprintf("SELECT id, idx, name, shortname, type, attempt, errored, skipped,"
			   " timed_out, flaky, reason, start, duration, workdir, xfail, host FROM %s"
			   " WHERE run_id = ? ORDER BY idx, attempt",
			   all_attempts ? "cases" : "final_cases");
	ret = store_prepare(s, &st, sql, err);
	free(sql);
	if (ret)
		goto out;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct hvt_case *c;

		c = hvt_case_new((const char *)sqlite3_column_text(st, 2),
				 (const char *)sqlite3_column_text(st, 3),
				 (const char *)sqlite3_column_text(st, 4));
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			*cases = hvt_realloc(*cases, alloc * sizeof(**cases));
		}
		(*cases)[(*n)++] = c;
		c->index = (long)sqlite3_column_int64(st, 1);
		c->attempt = sqlite3_column_int(st, 5);
		c->errored = sqlite3_column_int(st, 6);
		c->skipped = sqlite3_column_int(st, 7);
		c->timed_out = sqlite3_column_int(st, 8);
		c->flaky = sqlite3_column_int(st, 9);
		c->reason = store_col_text(st, 10);
		c->start = store_col_double(st, 11);
		c->duration = store_col_double(st, 12);
		c->workdir = store_col_text(st, 13);
		c->xfail = store_col_text(st, 14);
		c->host = store_col_text(st, 15);
		c->t0 = 0;
		ret = load_parts(s, sqlite3_column_int64(st, 0), c, err);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_db_fail(s, err, "read cases");
	sqlite3_finalize(st);
out:
	store_exec(s, "COMMIT", NULL);
	if (ret) {
		hvt_store_cases_free(*cases, *n);
		*cases = NULL;
		*n = 0;
	}
	return ret;
}

void hvt_store_cases_free(struct hvt_case **cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hvt_case_free(cases[i]);
	free(cases);
}
