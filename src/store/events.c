/*
 * events.c - the events table. See events.h.
 *
 * seq is given explicitly (one more than the largest, an index lookup)
 * rather than by an auto-increment, so the SQL stays portable. Each add
 * trims the resource's log to its latest STORE_EVENTS_KEEP events.
 */
#include "events.h"

#include <stdio.h>

#include "db.h"

int
store_event_add(struct store_tx *tx, const char *resource_id, const char *from,
		const char *to, const char *reason, time_t when, struct err *e)
{
	char t[32], keep[16];

	snprintf(t, sizeof(t), "%lld", (long long)when);
	snprintf(keep, sizeof(keep), "%d", STORE_EVENTS_KEEP);
	if (db_exec(tx,
		    DB_STMT(tx,
			    "INSERT INTO events(seq, resource_id, from_state, "
			    "to_state, reason, time) VALUES ((SELECT "
			    "coalesce(max(seq), 0) + 1 FROM events), ?, ?, ?, "
			    "?, CAST(? AS INTEGER))",
			    e, resource_id, from, to, reason, t),
		    e) < 0)
		return -1;
	return db_exec(tx,
		       DB_STMT(tx,
			       "DELETE FROM events WHERE resource_id=? AND "
			       "seq <= (SELECT seq FROM events WHERE "
			       "resource_id=? ORDER BY seq DESC LIMIT 1 "
			       "OFFSET CAST(? AS INTEGER))",
			       e, resource_id, resource_id, keep),
		       e);
}

static void
event_fill(sqlite3_stmt *st, void *row)
{
	struct event_row *v = row;

	v->seq = sqlite3_column_int64(st, 0);
	db_col_copy(st, 1, v->resource_id, sizeof(v->resource_id));
	db_col_copy(st, 2, v->from, sizeof(v->from));
	db_col_copy(st, 3, v->to, sizeof(v->to));
	db_col_copy(st, 4, v->reason, sizeof(v->reason));
	v->time = (time_t)sqlite3_column_int64(st, 5);
}

int
store_event_list(struct store_tx *tx, const char *resource_id,
		 struct event_row **ret, size_t *ret_n, struct err *e)
{
	return db_rows(tx,
		       DB_STMT(tx,
			       "SELECT seq, resource_id, from_state, "
			       "to_state, reason, time FROM events WHERE "
			       "resource_id=? ORDER BY seq",
			       e, resource_id),
		       sizeof(struct event_row), event_fill, db_rows_free_plain,
		       ret, ret_n, e);
}

int
store_events_delete(struct store_tx *tx, const char *resource_id, struct err *e)
{
	return db_exec(tx,
		       DB_STMT(tx, "DELETE FROM events WHERE resource_id=?", e,
			       resource_id),
		       e);
}
