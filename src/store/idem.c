/*
 * idem.c - the idempotency table: ClientToken answers, kept for 24 hours,
 * and while an instance launched with the token exists. See idem.h.
 */
#include "idem.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

struct idem_out {
	char **hash, **body;
};

static void
idem_fill(sqlite3_stmt *st, void *row)
{
	struct idem_out *o = row;

	*o->hash = db_col_dup(st, 0);
	*o->body = db_col_dup(st, 1);
}

static void
time_text(time_t t, char *out, size_t size)
{
	snprintf(out, size, "%lld", (long long)t);
}

int
store_idem_get(struct store_tx *tx, const char *access_key, const char *action,
	       const char *token, char **ret_hash, char **ret_body,
	       struct err *e)
{
	struct idem_out o = {ret_hash, ret_body};
	char cutoff[32];

	time_text(time(NULL) - STORE_IDEM_KEEP_SECONDS, cutoff, sizeof(cutoff));
	return db_row(tx,
		      DB_STMT(tx,
			      "SELECT hash, body FROM idempotency WHERE "
			      "access_key=? AND action=? AND token=? AND "
			      "(created >= CAST(? AS INTEGER) OR EXISTS "
			      "(SELECT 1 FROM instances WHERE "
			      "instances.client_token = idempotency.token))",
			      e, access_key, action, token, cutoff),
		      idem_fill, &o, "token", e);
}

int
store_idem_prune(struct store_tx *tx, time_t now, int max, size_t *ret_n,
		 struct err *e)
{
	char cutoff[32], lim[16];

	time_text(now - STORE_IDEM_KEEP_SECONDS, cutoff, sizeof(cutoff));
	snprintf(lim, sizeof(lim), "%d", max);
	if (db_exec(
		tx,
		DB_STMT(tx,
			"DELETE FROM idempotency WHERE (access_key, action, "
			"token) IN (SELECT access_key, action, token FROM "
			"idempotency WHERE created < CAST(? AS INTEGER) "
			"AND NOT EXISTS (SELECT 1 FROM instances WHERE "
			"instances.client_token = idempotency.token) "
			"ORDER BY created LIMIT CAST(? AS INTEGER))",
			e, cutoff, lim),
		e) < 0)
		return -1;
	if (ret_n)
		*ret_n = (size_t)db_changes(tx);
	return 0;
}

int
store_idem_put(struct store_tx *tx, const char *access_key, const char *action,
	       const char *token, const char *hash, const char *body,
	       struct err *e)
{
	time_t t = time(NULL);
	char now[32], cutoff[32];

	time_text(t, now, sizeof(now));
	time_text(t - STORE_IDEM_KEEP_SECONDS, cutoff, sizeof(cutoff));
	/* An expired row under the same token gives way to the new one. */
	if (store_idem_prune(tx, t, STORE_IDEM_PRUNE_MAX, NULL, e) < 0 ||
	    db_exec(tx,
		    DB_STMT(tx,
			    "DELETE FROM idempotency WHERE access_key=? AND "
			    "action=? AND token=? AND "
			    "created < CAST(? AS INTEGER) AND NOT EXISTS "
			    "(SELECT 1 FROM instances WHERE "
			    "instances.client_token = idempotency.token)",
			    e, access_key, action, token, cutoff),
		    e) < 0)
		return -1;
	return db_exec(tx,
		       DB_STMT(tx,
			       "INSERT INTO idempotency(access_key, "
			       "action, token, hash, body, created) "
			       "VALUES (?, ?, ?, ?, ?, ?)",
			       e, access_key, action, token, hash, body, now),
		       e);
}
