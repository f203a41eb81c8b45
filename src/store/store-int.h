/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the store's files share: the handle and the SQLite helpers, so that
 * the registry of published runs (registry.c) writes a run, its cases and
 * its publication in one transaction. Internal to src/store/.
 */
#ifndef HVT_STORE_INT_H
#define HVT_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

struct hvt_store {
	sqlite3 *db;
	char *path;
};

/* Fill err from the connection's last error (-EEXIST for a constraint...). */
int store_db_fail(struct hvt_store *s, struct hvt_err *err, const char *what);
int store_exec(struct hvt_store *s, const char *sql, struct hvt_err *err);
int store_prepare(struct hvt_store *s, sqlite3_stmt **st, const char *sql, struct hvt_err *err);
/* Step a statement that returns no rows, then finalize it. */
int store_step_done(struct hvt_store *s, sqlite3_stmt *st, const char *what, struct hvt_err *err);
/* NULL binds NULL; NaN binds NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
void store_bind_double(sqlite3_stmt *st, int i, double v);
/* A copy of a text column (NULL for NULL); a REAL column, NaN for NULL. */
char *store_col_text(sqlite3_stmt *st, int i);
double store_col_double(sqlite3_stmt *st, int i);

/*
 * Step st to its end (then finalize it), each row read by read() into a
 * growing array of elem-byte records: *v (caller frees, also the records
 * read before an error) of *n.
 */
int store_rows(struct hvt_store *s, sqlite3_stmt *st, void **v, size_t *n, size_t elem,
	       void (*read)(sqlite3_stmt *st, void *row), const char *what, struct hvt_err *err);

/*
 * The run and its host, or one case with its parts, inserted inside the
 * caller's transaction (hvt_store_run_begin() and hvt_store_case_add()
 * wrap them in their own).
 */
int store_insert_run(struct hvt_store *s, const struct hvt_run_info *info, int64_t *run_id,
		     struct hvt_err *err);
int store_insert_case(struct hvt_store *s, int64_t run_id, const struct hvt_case *c,
		      struct hvt_err *err);

/*
 * SELECT of a run with its host and counts (24 columns, read by
 * store_read_run()), FROM runs r LEFT JOIN hosts h, run_counts n; a caller
 * adds its own joins, WHERE and ORDER BY.
 */
extern const char store_runs_sql[];
void store_read_run(sqlite3_stmt *st, struct hvt_run_info *ri);

#endif
