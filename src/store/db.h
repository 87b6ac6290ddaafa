/*
 * db.h - what the store's resource files share (internal to store/): the
 * connection a transaction holds, cached prepared statements with text
 * parameters, and helpers to step and collect rows. Nothing outside store/
 * includes it (but the store's own unit tests).
 */
#ifndef EC2D_STORE_DB_H
#define EC2D_STORE_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "store.h"

#define STMT_CACHE 128

struct db_conn {
	sqlite3 *db;
	bool busy;
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
	size_t ncache;
};

struct store_tx {
	struct store *s;
	struct db_conn *c;
	bool write;
};

/* Fill e from the connection's last error; returns -1. */
int db_err(struct err *e, sqlite3 *db, const char *what);

/*
 * A cached prepared statement for sql (a string literal: the cache is keyed
 * by its address), with the text parameters bound in order. NULL binds NULL.
 */
sqlite3_stmt *db_stmt(struct store_tx *tx, const char *sql, int nargs,
		      const char *const *args, struct err *e);
/* The same for SQL built at run time: prepared afresh, never cached. */
sqlite3_stmt *db_stmt_built(struct store_tx *tx, const char *sql, int nargs,
			    const char *const *args, struct err *e);
/* Reset a cached statement; finalize one that is not. */
void db_stmt_done(struct store_tx *tx, sqlite3_stmt *st);

/* clang-format off */
#define DB_ARGS(...) (const char *const[]){ __VA_ARGS__ }
#define DB_NARGS(...) \
	((int)(sizeof(DB_ARGS(__VA_ARGS__)) / sizeof(const char *)))
#define DB_STMT(tx, sql, e, ...) \
	db_stmt(tx, sql, DB_NARGS(__VA_ARGS__), DB_ARGS(__VA_ARGS__), e)
/* clang-format on */

/* Run a statement that returns no rows. */
int db_exec(struct store_tx *tx, sqlite3_stmt *st, struct err *e);

/*
 * Step a statement that returns at most one row: fill(st, out) on a row.
 * 0 found, 1 absent, -1 error (what names it).
 */
int db_row(struct store_tx *tx, sqlite3_stmt *st,
	   void (*fill)(sqlite3_stmt *st, void *row), void *out,
	   const char *what, struct err *e);

char *db_col_dup(sqlite3_stmt *st, int i);
void db_col_copy(sqlite3_stmt *st, int i, char *dst, size_t size);

/*
 * Step st to the end, growing an array of elem-sized rows that fill()
 * writes from each result row. On failure the rows filled so far are
 * handed to clear() and nothing is returned.
 */
int db_rows(struct store_tx *tx, sqlite3_stmt *st, size_t elem,
	    void (*fill)(sqlite3_stmt *st, void *row),
	    void (*clear)(void *rows, size_t n), void *ret, size_t *ret_n,
	    struct err *e);
/* A clear() for rows that own no strings. */
void db_rows_free_plain(void *rows, size_t n);

/* Rows changed by the last write on this transaction's connection. */
int db_changes(struct store_tx *tx);

/*
 * SQL text built at run time with its text parameters: list queries add
 * their conditions with it. On out of memory it remembers the failure and
 * sql_done() reports it.
 */
struct db_sql {
	char *sql;
	size_t len, cap;
	const char **args;
	int nargs, cap_args;
	bool oom;
};
void db_sql_add(struct db_sql *b, const char *text);
void db_sql_arg(struct db_sql *b, const char *arg);
/* " AND column IN (?, ...)" for a non-empty value list. */
void db_sql_in(struct db_sql *b, const char *column,
	       const struct store_values *v);
/* " AND EXISTS (a tag of id_column with key and one of the values)". */
void db_sql_tag(struct db_sql *b, const char *id_column,
		const struct store_tag_match *t);
/* The prepared statement, or NULL with e filled; frees nothing. */
sqlite3_stmt *db_sql_prepare(struct store_tx *tx, struct db_sql *b,
			     struct err *e);
void db_sql_free(struct db_sql *b);

/* Delete a registered resource's row (sql takes its id) and its tags. */
int db_resource_delete(struct store_tx *tx, const char *sql, const char *id,
		       struct err *e);

#endif
