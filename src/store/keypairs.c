/*
 * keypairs.c - the key_pairs table. See keypairs.h.
 */
#include "keypairs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tags.h"

#define KEYPAIR_COLUMNS "id, name, type, fingerprint, public_key, created"

void
keypair_clear(struct keypair *k)
{
	free(k->public_key);
	memset(k, 0, sizeof(*k));
}

void
keypairs_free(struct keypair *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		keypair_clear(&v[i]);
	free(v);
}

static void
keypair_fill(sqlite3_stmt *st, void *row)
{
	struct keypair *k = row;

	db_col_copy(st, 0, k->id, sizeof(k->id));
	db_col_copy(st, 1, k->name, sizeof(k->name));
	db_col_copy(st, 2, k->type, sizeof(k->type));
	db_col_copy(st, 3, k->fingerprint, sizeof(k->fingerprint));
	k->public_key = db_col_dup(st, 4);
	k->created = (time_t)sqlite3_column_int64(st, 5);
}

static void
keypair_rows_free(void *rows, size_t n)
{
	keypairs_free(rows, n);
}

int
store_keypair_insert(struct store_tx *tx, const struct keypair *k,
		     struct err *e)
{
	char created[32];
	sqlite3_stmt *st;

	snprintf(created, sizeof(created), "%lld", (long long)k->created);
	st = DB_STMT(tx,
		     "INSERT INTO key_pairs(" KEYPAIR_COLUMNS ") "
		     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING",
		     e, k->id, k->name, k->type, k->fingerprint, k->public_key,
		     created);
	if (db_exec(tx, st, e) < 0)
		return -1;
	if (db_changes(tx) == 0)
		return err_set(e, "InvalidKeyPair.Duplicate",
			       "The keypair already exists");
	return store_resource_add(tx, k->id, "key-pair", e);
}

int
store_keypair_get(struct store_tx *tx, const char *name, const char *id,
		  struct keypair *out, struct err *e)
{
	sqlite3_stmt *st;

	if (name)
		st = DB_STMT(tx,
			     "SELECT " KEYPAIR_COLUMNS " FROM key_pairs "
			     "WHERE name=?",
			     e, name);
	else
		st = DB_STMT(tx,
			     "SELECT " KEYPAIR_COLUMNS " FROM key_pairs "
			     "WHERE id=?",
			     e, id);
	return db_row(tx, st, keypair_fill, out, "key pair", e);
}

int
store_keypair_list(struct store_tx *tx, struct keypair **ret, size_t *ret_n,
		   struct err *e)
{
	return db_rows(tx,
		       db_stmt(tx,
			       "SELECT " KEYPAIR_COLUMNS " FROM key_pairs "
			       "ORDER BY name",
			       0, NULL, e),
		       sizeof(struct keypair), keypair_fill, keypair_rows_free,
		       ret, ret_n, e);
}

int
store_keypair_query(struct store_tx *tx, const struct keypair_query *q,
		    struct keypair **ret, size_t *ret_n, struct err *e)
{
	struct db_sql b = {0};
	char lim[32];
	int rc;

	db_sql_add(&b, "SELECT " KEYPAIR_COLUMNS " FROM key_pairs WHERE 1=1");
	db_sql_in(&b, "name", &q->names);
	db_sql_in(&b, "id", &q->ids);
	db_sql_in(&b, "fingerprint", &q->fingerprints);
	db_sql_in(&b, "type", &q->types);
	for (size_t i = 0; i < q->ntags; i++)
		db_sql_tag(&b, "key_pairs.id", &q->tags[i]);
	if (q->after && q->after[0]) {
		db_sql_add(&b, " AND name > ?");
		db_sql_arg(&b, q->after);
	}
	db_sql_add(&b, " ORDER BY name");
	if (q->limit) {
		snprintf(lim, sizeof(lim), "%zu", q->limit);
		db_sql_add(&b, " LIMIT CAST(? AS INTEGER)");
		db_sql_arg(&b, lim);
	}
	rc = db_rows(tx, db_sql_prepare(tx, &b, e), sizeof(struct keypair),
		     keypair_fill, keypair_rows_free, ret, ret_n, e);
	db_sql_free(&b);
	return rc;
}

int
store_keypair_delete(struct store_tx *tx, const char *id, struct err *e)
{
	return db_resource_delete(tx, "DELETE FROM key_pairs WHERE id=?", id,
				  e);
}
