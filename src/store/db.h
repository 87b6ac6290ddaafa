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

struct conn {
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
	struct conn *c;
	bool write;
};

/* Fill e from the connection's last error; returns -1. */
int db_err(struct err *e, sqlite3 *db, const char *what);

/*
 * A cached prepared statement for sql (a string literal: the cache is keyed
 * by its address), with the text parameters bound in order. NULL binds NULL.
 */
sqlite3_stmt *stmt(struct store_tx *tx, const char *sql, int nargs,
		   const char *const *args, struct err *e);
/* The same for SQL built at run time: prepared afresh, never cached. */
sqlite3_stmt *stmt_built(struct store_tx *tx, const char *sql, int nargs,
			 const char *const *args, struct err *e);
/* Reset a cached statement; finalize one that is not. */
void stmt_done(struct store_tx *tx, sqlite3_stmt *st);

#define ARGS(...)                                                              \
	(const char *const[])                                                  \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define NARGS(...) ((int)(sizeof(ARGS(__VA_ARGS__)) / sizeof(const char *)))
#define STMT(tx, sql, e, ...)                                                  \
	stmt(tx, sql, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__), e)

/* Run a statement that returns no rows. */
int exec_done(struct store_tx *tx, sqlite3_stmt *st, struct err *e);

/*
 * Step a statement that returns at most one row: fill(st, out) on a row.
 * 0 found, 1 absent, -1 error (what names it).
 */
int row_one(struct store_tx *tx, sqlite3_stmt *st,
	    void (*fill)(sqlite3_stmt *st, void *row), void *out,
	    const char *what, struct err *e);

char *col_dup(sqlite3_stmt *st, int i);
void col_copy(sqlite3_stmt *st, int i, char *dst, size_t size);

/*
 * Step st to the end, growing an array of elem-sized rows that fill()
 * writes from each result row. On failure the rows filled so far are
 * handed to clear() and nothing is returned.
 */
int rows_collect(struct store_tx *tx, sqlite3_stmt *st, size_t elem,
		 void (*fill)(sqlite3_stmt *st, void *row),
		 void (*clear)(void *rows, size_t n), void *ret, size_t *ret_n,
		 struct err *e);
/* A clear() for rows that own no strings. */
void plain_rows_free(void *rows, size_t n);

/* Rows changed by the last write on this transaction's connection. */
int db_changes(struct store_tx *tx);

/*
 * SQL text built at run time with its text parameters: list queries add
 * their conditions with it. On out of memory it remembers the failure and
 * sql_done() reports it.
 */
struct sql_build {
	char *sql;
	size_t len, cap;
	const char **args;
	int nargs, cap_args;
	bool oom;
};
void sql_add(struct sql_build *b, const char *text);
void sql_arg(struct sql_build *b, const char *arg);
/* " AND column IN (?, ...)" for a non-empty value list. */
void sql_in(struct sql_build *b, const char *column,
	    const struct store_values *v);
/* " AND EXISTS (a tag of id_column with key and one of the values)". */
void sql_tag(struct sql_build *b, const char *id_column,
	     const struct store_tag_match *t);
/* The prepared statement, or NULL with e filled; frees nothing. */
sqlite3_stmt *sql_prepare(struct store_tx *tx, struct sql_build *b,
			  struct err *e);
void sql_free(struct sql_build *b);

/* Delete a registered resource's row (sql takes its id) and its tags. */
int resource_delete(struct store_tx *tx, const char *sql, const char *id,
		    struct err *e);

#endif
