/*
 * hosts.c - the hosts table. See hosts.h.
 */
#include "hosts.h"

#include <stdio.h>

#include "db.h"

static void
host_fill(sqlite3_stmt *st, void *row)
{
	struct host_row *h = row;

	db_col_copy(st, 0, h->id, sizeof(h->id));
	db_col_copy(st, 1, h->zone, sizeof(h->zone));
	h->vcpus = sqlite3_column_int(st, 2);
	h->memory_mib = sqlite3_column_int(st, 3);
	h->gpus = sqlite3_column_int(st, 4);
	db_col_copy(st, 5, h->state, sizeof(h->state));
}

int
store_host_put(struct store_tx *tx, const struct host_row *h, struct err *e)
{
	char vcpus[16], mem[16], gpus[16];

	snprintf(vcpus, sizeof(vcpus), "%d", h->vcpus);
	snprintf(mem, sizeof(mem), "%d", h->memory_mib);
	snprintf(gpus, sizeof(gpus), "%d", h->gpus);
	return db_exec(tx,
		       DB_STMT(tx,
			       "INSERT INTO hosts(id, zone, vcpus, "
			       "memory_mib, gpus, state) VALUES "
			       "(?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
			       "SET zone=excluded.zone, vcpus=excluded.vcpus, "
			       "memory_mib=excluded.memory_mib, "
			       "gpus=excluded.gpus, state=excluded.state",
			       e, h->id, h->zone, vcpus, mem, gpus, h->state),
		       e);
}

int
store_host_list(struct store_tx *tx, struct host_row **ret, size_t *ret_n,
		struct err *e)
{
	return db_rows(tx,
		       db_stmt(tx,
			       "SELECT id, zone, vcpus, memory_mib, gpus, "
			       "state FROM hosts ORDER BY id",
			       0, NULL, e),
		       sizeof(struct host_row), host_fill, db_rows_free_plain,
		       ret, ret_n, e);
}
