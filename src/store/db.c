/*
 * db.c - the helpers every store resource file uses (see db.h): the
 * per-connection statement cache, binding text parameters, stepping one row
 * or collecting all, and building list queries whose conditions depend on
 * the request. Errors name what failed and, for the two failures an
 * operator can act on, say so plainly: a full disk and a busy database.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
db_err(struct err *e, sqlite3 *db, const char *what)
{
	int code = db ? sqlite3_errcode(db) & 0xff : SQLITE_ERROR;
	const char *plain = "";

	if (code == SQLITE_FULL)
		plain = "the disk is full: ";
	else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		plain = "the database is busy (another writer holds it): ";
	return err_set(e, "InternalError", "Store failure (%s): %s%s", what,
		       plain, db ? sqlite3_errmsg(db) : "no database");
}

static void
bind_all(sqlite3_stmt *st, int nargs, const char *const *args)
{
	for (int i = 0; i < nargs; i++)
		sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
}

sqlite3_stmt *
db_stmt(struct store_tx *tx, const char *sql, int nargs,
	const char *const *args, struct err *e)
{
	struct db_conn *c = tx->c;
	sqlite3_stmt *st = NULL;

	for (size_t i = 0; i < c->ncache; i++)
		if (c->cache[i].sql == sql)
			st = c->cache[i].stmt;
	if (!st) {
		if (sqlite3_prepare_v3(c->db, sql, -1,
				       SQLITE_PREPARE_PERSISTENT, &st,
				       NULL) != SQLITE_OK) {
			db_err(e, c->db, "prepare");
			return NULL;
		}
		if (c->ncache < STMT_CACHE) {
			c->cache[c->ncache].sql = sql;
			c->cache[c->ncache].stmt = st;
			c->ncache++;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	bind_all(st, nargs, args);
	return st;
}

sqlite3_stmt *
db_stmt_built(struct store_tx *tx, const char *sql, int nargs,
	      const char *const *args, struct err *e)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(tx->c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(e, tx->c->db, "prepare");
		return NULL;
	}
	bind_all(st, nargs, args);
	return st;
}

void
db_stmt_done(struct store_tx *tx, sqlite3_stmt *st)
{
	for (size_t i = 0; i < tx->c->ncache; i++)
		if (tx->c->cache[i].stmt == st) {
			sqlite3_reset(st);
			return;
		}
	sqlite3_finalize(st);
}

int
db_exec(struct store_tx *tx, sqlite3_stmt *st, struct err *e)
{
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		db_err(e, tx->c->db, "write");
		db_stmt_done(tx, st);
		return -1;
	}
	db_stmt_done(tx, st);
	return 0;
}

int
db_row(struct store_tx *tx, sqlite3_stmt *st,
       void (*fill)(sqlite3_stmt *st, void *row), void *out, const char *what,
       struct err *e)
{
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fill(st, out);
	else if (rc != SQLITE_DONE)
		db_err(e, tx->c->db, what);
	db_stmt_done(tx, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

char *
db_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return strdup(t ? (const char *)t : "");
}

void
db_col_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

int
db_rows(struct store_tx *tx, sqlite3_stmt *st, size_t elem,
	void (*fill)(sqlite3_stmt *st, void *row),
	void (*clear)(void *rows, size_t n), void *ret, size_t *ret_n,
	struct err *e)
{
	char *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *nv = realloc(v, ncap * elem);

			if (!nv) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		memset(v + n * elem, 0, elem);
		fill(st, v + n * elem);
		n++;
	}
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_NOMEM)
			err_set(e, "InternalError", "Out of memory.");
		else
			db_err(e, tx->c->db, "read");
		db_stmt_done(tx, st);
		clear(v, n);
		return -1;
	}
	db_stmt_done(tx, st);
	memcpy(ret, &v, sizeof(v)); /* ret is the caller's T ** */
	*ret_n = n;
	return 0;
}

void
db_rows_free_plain(void *rows, size_t n)
{
	free(rows);
}

int
db_changes(struct store_tx *tx)
{
	return sqlite3_changes(tx->c->db);
}

void
db_sql_add(struct db_sql *b, const char *text)
{
	size_t n = strlen(text);

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 512) + n;
		char *s = realloc(b->sql, cap);

		if (!s) {
			b->oom = true;
			return;
		}
		b->sql = s;
		b->cap = cap;
	}
	memcpy(b->sql + b->len, text, n + 1);
	b->len += n;
}

void
db_sql_arg(struct db_sql *b, const char *arg)
{
	if (b->oom)
		return;
	if (b->nargs == b->cap_args) {
		int cap = b->cap_args ? b->cap_args * 2 : 16;
		const char **a = realloc(b->args, (size_t)cap * sizeof(*a));

		if (!a) {
			b->oom = true;
			return;
		}
		b->args = a;
		b->cap_args = cap;
	}
	b->args[b->nargs++] = arg;
}

void
db_sql_in(struct db_sql *b, const char *column, const struct store_values *v)
{
	if (!v || v->n == 0)
		return;
	db_sql_add(b, " AND ");
	db_sql_add(b, column);
	db_sql_add(b, " IN (");
	for (size_t i = 0; i < v->n; i++) {
		db_sql_add(b, i ? ", ?" : "?");
		db_sql_arg(b, v->v[i]);
	}
	db_sql_add(b, ")");
}

void
db_sql_tag(struct db_sql *b, const char *id_column,
	   const struct store_tag_match *t)
{
	db_sql_add(b,
		   " AND EXISTS (SELECT 1 FROM tags WHERE tags.resource_id = ");
	db_sql_add(b, id_column);
	db_sql_add(b, " AND tags.key = ?");
	db_sql_arg(b, t->key);
	db_sql_in(b, "tags.value", &t->values);
	db_sql_add(b, ")");
}

sqlite3_stmt *
db_sql_prepare(struct store_tx *tx, struct db_sql *b, struct err *e)
{
	if (b->oom || !b->sql) {
		err_set(e, "InternalError", "Out of memory.");
		return NULL;
	}
	return db_stmt_built(tx, b->sql, b->nargs, b->args, e);
}

void
db_sql_free(struct db_sql *b)
{
	free(b->sql);
	free(b->args);
	memset(b, 0, sizeof(*b));
}

int
db_resource_delete(struct store_tx *tx, const char *sql, const char *id,
		   struct err *e)
{
	if (db_exec(tx, db_stmt(tx, sql, 1, DB_ARGS(id), e), e) < 0)
		return -1;
	if (db_exec(tx,
		    DB_STMT(tx, "DELETE FROM tags WHERE resource_id=?", e, id),
		    e) < 0)
		return -1;
	return db_exec(
	    tx, DB_STMT(tx, "DELETE FROM resources WHERE id=?", e, id), e);
}
