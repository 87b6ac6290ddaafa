/*
 * meta.c - the settings table. See meta.h.
 */
#include "meta.h"

#include "db.h"

struct meta_out {
	char *val;
	size_t size;
};

static void
meta_fill(sqlite3_stmt *st, void *row)
{
	struct meta_out *m = row;

	db_col_copy(st, 0, m->val, m->size);
}

int
store_meta_get(struct store_tx *tx, const char *key, char *val, size_t size,
	       struct err *e)
{
	struct meta_out m = {val, size};

	return db_row(tx,
		      DB_STMT(tx, "SELECT value FROM meta WHERE key=?", e, key),
		      meta_fill, &m, "meta", e);
}

int
store_meta_set(struct store_tx *tx, const char *key, const char *val,
	       struct err *e)
{
	return db_exec(tx,
		       DB_STMT(tx,
			       "INSERT INTO meta(key, value) VALUES (?, ?) "
			       "ON CONFLICT(key) DO UPDATE SET "
			       "value=excluded.value",
			       e, key, val),
		       e);
}
