/*
 * meta.c - the settings table. See meta.h.
 */
#include "meta.h"

#include <stdio.h>

#include "db.h"
#include "common/ids.h"

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

static void
random_value(char *val, size_t n, bool text)
{
	if (text) {
		id_random_text(val, n, 0);
		for (char *p = val; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	} else {
		unsigned char r[64];

		id_random(r, n);
		for (size_t i = 0; i < n; i++)
			snprintf(val + 2 * i, 3, "%02x", r[i]);
	}
}

int
store_meta_once(struct store *s, const char *key, char *val, size_t size,
		size_t n, bool text, struct err *e)
{
	struct store_tx *tx;
	int rc;

	if (n > 64 || size < (text ? n + 1 : 2 * n + 1))
		return err_set(e, "InternalError", "meta %s: too long", key);
	tx = store_begin(s, true, e);
	if (!tx)
		return -1;
	rc = store_meta_get(tx, key, val, size, e);
	if (rc == 1) {
		random_value(val, n, text);
		rc = store_meta_set(tx, key, val, e);
	}
	if (rc < 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx, e);
}
