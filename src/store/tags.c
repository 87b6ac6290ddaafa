/*
 * tags.c - the resources and tags tables. See tags.h.
 */
#include "tags.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

int
store_resource_add(struct store_tx *tx, const char *id, const char *type,
		   struct err *e)
{
	return db_exec(tx,
		       DB_STMT(tx,
			       "INSERT INTO resources(id, type) "
			       "VALUES (?, ?)",
			       e, id, type),
		       e);
}

struct type_out {
	char *type;
	size_t size;
};

static void
type_fill(sqlite3_stmt *st, void *row)
{
	struct type_out *t = row;

	db_col_copy(st, 0, t->type, t->size);
}

int
store_resource_type(struct store_tx *tx, const char *id, char *type,
		    size_t size, struct err *e)
{
	struct type_out t = {type, size};

	return db_row(
	    tx, DB_STMT(tx, "SELECT type FROM resources WHERE id=?", e, id),
	    type_fill, &t, "resource", e);
}

int
store_resource_del(struct store_tx *tx, const char *id, struct err *e)
{
	if (db_exec(tx,
		    DB_STMT(tx, "DELETE FROM tags WHERE resource_id=?", e, id),
		    e) < 0)
		return -1;
	return db_exec(
	    tx, DB_STMT(tx, "DELETE FROM resources WHERE id=?", e, id), e);
}

void
tags_free(struct tags *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static void
tag_fill(sqlite3_stmt *st, void *row)
{
	struct tag *t = row;

	t->key = db_col_dup(st, 0);
	t->value = db_col_dup(st, 1);
}

static void
tag_rows_free(void *rows, size_t n)
{
	struct tags t = {rows, n};

	tags_free(&t);
}

int
store_tags_get(struct store_tx *tx, const char *resource_id, struct tags *out,
	       struct err *e)
{
	out->v = NULL;
	out->n = 0;
	return db_rows(tx,
		       DB_STMT(tx,
			       "SELECT key, value FROM tags "
			       "WHERE resource_id=? ORDER BY key",
			       e, resource_id),
		       sizeof(struct tag), tag_fill, tag_rows_free, &out->v,
		       &out->n, e);
}

int
store_tag_put(struct store_tx *tx, const char *resource_id, const char *key,
	      const char *value, struct err *e)
{
	return db_exec(tx,
		       DB_STMT(tx,
			       "INSERT INTO tags(resource_id, key, value) "
			       "VALUES (?, ?, ?) ON CONFLICT(resource_id, "
			       "key) DO UPDATE SET value=excluded.value",
			       e, resource_id, key, value),
		       e);
}

int
store_tag_delete(struct store_tx *tx, const char *resource_id, const char *key,
		 const char *value, struct err *e)
{
	if (!value)
		return db_exec(tx,
			       DB_STMT(tx,
				       "DELETE FROM tags WHERE "
				       "resource_id=? AND key=?",
				       e, resource_id, key),
			       e);
	return db_exec(tx,
		       DB_STMT(tx,
			       "DELETE FROM tags WHERE resource_id=? AND "
			       "key=? AND value=?",
			       e, resource_id, key, value),
		       e);
}

static void
count_fill(sqlite3_stmt *st, void *row)
{
	*(size_t *)row = (size_t)sqlite3_column_int64(st, 0);
}

int
store_tags_count(struct store_tx *tx, const char *resource_id, size_t *ret,
		 struct err *e)
{
	int rc =
	    db_row(tx,
		   DB_STMT(tx, "SELECT count(*) FROM tags WHERE resource_id=?",
			   e, resource_id),
		   count_fill, ret, "tag count", e);

	return rc < 0 ? -1 : 0;
}

void
tagged_free(struct tagged *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].resource_id);
		free(v[i].resource_type);
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static void
tagged_fill(sqlite3_stmt *st, void *row)
{
	struct tagged *t = row;

	t->resource_id = db_col_dup(st, 0);
	t->resource_type = db_col_dup(st, 1);
	t->key = db_col_dup(st, 2);
	t->value = db_col_dup(st, 3);
}

static void
tagged_rows_free(void *rows, size_t n)
{
	tagged_free(rows, n);
}

int
store_tags_all(struct store_tx *tx, struct tagged **ret, size_t *ret_n,
	       struct err *e)
{
	return db_rows(tx,
		       db_stmt(tx,
			       "SELECT t.resource_id, r.type, t.key, t.value "
			       "FROM tags t JOIN resources r "
			       "ON r.id = t.resource_id "
			       "ORDER BY t.resource_id, t.key",
			       0, NULL, e),
		       sizeof(struct tagged), tagged_fill, tagged_rows_free,
		       ret, ret_n, e);
}

int
store_tags_of_type(struct store_tx *tx, const char *type, struct tagged **ret,
		   size_t *ret_n, struct err *e)
{
	return db_rows(tx,
		       DB_STMT(tx,
			       "SELECT t.resource_id, r.type, t.key, t.value "
			       "FROM tags t JOIN resources r "
			       "ON r.id = t.resource_id WHERE r.type=? "
			       "ORDER BY t.resource_id, t.key",
			       e, type),
		       sizeof(struct tagged), tagged_fill, tagged_rows_free,
		       ret, ret_n, e);
}

int
store_tags_query(struct store_tx *tx, const struct tag_query *q,
		 struct tagged **ret, size_t *ret_n, struct err *e)
{
	struct db_sql b = {0};
	char lim[32];
	int rc;

	db_sql_add(&b,
		   "SELECT t.resource_id, r.type, t.key, t.value FROM tags t "
		   "JOIN resources r ON r.id = t.resource_id WHERE 1=1");
	db_sql_in(&b, "t.resource_id", &q->resource_ids);
	db_sql_in(&b, "r.type", &q->types);
	db_sql_in(&b, "t.key", &q->keys);
	db_sql_in(&b, "t.value", &q->values);
	if (q->after_id && q->after_id[0]) {
		db_sql_add(&b, " AND (t.resource_id, t.key) > (?, ?)");
		db_sql_arg(&b, q->after_id);
		db_sql_arg(&b, q->after_key ? q->after_key : "");
	}
	db_sql_add(&b, " ORDER BY t.resource_id, t.key");
	if (q->limit) {
		snprintf(lim, sizeof(lim), "%zu", q->limit);
		db_sql_add(&b, " LIMIT CAST(? AS INTEGER)");
		db_sql_arg(&b, lim);
	}
	rc = db_rows(tx, db_sql_prepare(tx, &b, e), sizeof(struct tagged),
		     tagged_fill, tagged_rows_free, ret, ret_n, e);
	db_sql_free(&b);
	return rc;
}
