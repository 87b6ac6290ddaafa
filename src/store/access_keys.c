/*
 * access_keys.c - the access_keys table. See access_keys.h.
 */
#include "access_keys.h"

#include "db.h"

static void
access_key_fill(sqlite3_stmt *st, void *row)
{
	struct access_key *k = row;

	db_col_copy(st, 0, k->id, sizeof(k->id));
	db_col_copy(st, 1, k->secret, sizeof(k->secret));
	db_col_copy(st, 2, k->account, sizeof(k->account));
	db_col_copy(st, 3, k->user, sizeof(k->user));
}

int
store_access_key_get(struct store_tx *tx, const char *id,
		     struct access_key *out, struct err *e)
{
	return db_row(tx,
		      DB_STMT(tx,
			      "SELECT id, secret, account, user_name "
			      "FROM access_keys WHERE id=?",
			      e, id),
		      access_key_fill, out, "access key", e);
}

int
store_access_key_put(struct store_tx *tx, const struct access_key *k,
		     struct err *e)
{
	return db_exec(tx,
		       DB_STMT(tx,
			       "INSERT INTO access_keys(id, secret, "
			       "account, user_name) VALUES (?, ?, ?, ?)",
			       e, k->id, k->secret, k->account, k->user),
		       e);
}
