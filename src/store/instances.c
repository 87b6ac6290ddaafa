/*
 * instances.c - the instances table. See instances.h.
 *
 * transition_reason lives in the event log, not in the row: a read takes
 * the latest event's reason, and an insert or a state change writes an
 * event. List queries are built from struct instance_query and walk an
 * index in key order (keyset pagination: "after this key, LIMIT n").
 */
#include "instances.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "events.h"
#include "tags.h"

/* What a read selects, in instance_fill's order. */
#define INSTANCE_SELECT                                                        \
	"SELECT id, reservation_id, launch_index, owner, image_id, type, "     \
	"key_name, zone, host_id, vpc_id, subnet_id, private_ip, mac, "        \
	"state, reason_code, reason_message, coalesce((SELECT reason "         \
	"FROM events WHERE events.resource_id = instances.id ORDER BY "        \
	"seq DESC LIMIT 1), ''), launch_time, state_time, boot, "              \
	"force_stop, user_data, no_terminate, no_stop, "                       \
	"shutdown_behavior, http_tokens, hop_limit, http_endpoint, "           \
	"client_token, guest_ready, console, port_no, kernel, initrd, "        \
	"base_disk, cmdline, root_gib, public_key, ran, impaired, "            \
	"impaired_since FROM instances"

/* What a write stores, in instance_text's order (id first). */
#define INSTANCE_COLUMNS                                                       \
	"id, reservation_id, launch_index, owner, image_id, type, "            \
	"key_name, zone, host_id, vpc_id, subnet_id, private_ip, mac, "        \
	"state, reason_code, reason_message, launch_time, state_time, "        \
	"boot, force_stop, user_data, no_terminate, no_stop, "                 \
	"shutdown_behavior, http_tokens, hop_limit, http_endpoint, "           \
	"client_token, guest_ready, console, port_no, kernel, initrd, "        \
	"base_disk, cmdline, root_gib, public_key, ran, impaired, "            \
	"impaired_since"
#define INSTANCE_NCOLS 40

void
instance_clear(struct instance *i)
{
	free(i->user_data);
	free(i->console);
	free(i->public_key);
	memset(i, 0, sizeof(*i));
}

void
instances_free(struct instance *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		instance_clear(&v[i]);
	free(v);
}

static void
instance_fill(sqlite3_stmt *st, void *row)
{
	struct instance *i = row;

	memset(i, 0, sizeof(*i));
	db_col_copy(st, 0, i->id, sizeof(i->id));
	db_col_copy(st, 1, i->reservation_id, sizeof(i->reservation_id));
	i->launch_index = sqlite3_column_int(st, 2);
	db_col_copy(st, 3, i->owner, sizeof(i->owner));
	db_col_copy(st, 4, i->image_id, sizeof(i->image_id));
	db_col_copy(st, 5, i->type, sizeof(i->type));
	db_col_copy(st, 6, i->key_name, sizeof(i->key_name));
	db_col_copy(st, 7, i->zone, sizeof(i->zone));
	db_col_copy(st, 8, i->host_id, sizeof(i->host_id));
	db_col_copy(st, 9, i->vpc_id, sizeof(i->vpc_id));
	db_col_copy(st, 10, i->subnet_id, sizeof(i->subnet_id));
	db_col_copy(st, 11, i->private_ip, sizeof(i->private_ip));
	db_col_copy(st, 12, i->mac, sizeof(i->mac));
	db_col_copy(st, 13, i->state, sizeof(i->state));
	db_col_copy(st, 14, i->reason_code, sizeof(i->reason_code));
	db_col_copy(st, 15, i->reason_message, sizeof(i->reason_message));
	db_col_copy(st, 16, i->transition_reason, sizeof(i->transition_reason));
	i->launch_time = (time_t)sqlite3_column_int64(st, 17);
	i->state_time = (time_t)sqlite3_column_int64(st, 18);
	i->boot = sqlite3_column_int(st, 19);
	i->force_stop = sqlite3_column_int(st, 20) != 0;
	i->user_data = db_col_dup(st, 21);
	i->no_terminate = sqlite3_column_int(st, 22) != 0;
	i->no_stop = sqlite3_column_int(st, 23) != 0;
	db_col_copy(st, 24, i->shutdown_behavior, sizeof(i->shutdown_behavior));
	db_col_copy(st, 25, i->http_tokens, sizeof(i->http_tokens));
	i->hop_limit = sqlite3_column_int(st, 26);
	db_col_copy(st, 27, i->http_endpoint, sizeof(i->http_endpoint));
	db_col_copy(st, 28, i->client_token, sizeof(i->client_token));
	i->guest_ready = sqlite3_column_int(st, 29) != 0;
	i->console = db_col_dup(st, 30);
	i->port_no = sqlite3_column_int(st, 31);
	db_col_copy(st, 32, i->kernel, sizeof(i->kernel));
	db_col_copy(st, 33, i->initrd, sizeof(i->initrd));
	db_col_copy(st, 34, i->base_disk, sizeof(i->base_disk));
	db_col_copy(st, 35, i->cmdline, sizeof(i->cmdline));
	i->root_gib = sqlite3_column_int(st, 36);
	i->public_key = db_col_dup(st, 37);
	i->ran = sqlite3_column_int(st, 38) != 0;
	db_col_copy(st, 39, i->impaired, sizeof(i->impaired));
	i->impaired_since = (time_t)sqlite3_column_int64(st, 40);
}

static void
instance_rows_free(void *rows, size_t n)
{
	instances_free(rows, n);
}

/* The instance's stored fields as text, in INSTANCE_COLUMNS order. */
struct instance_text {
	char index[16], launch[32], since[32], boot[16], hop[16], port[16];
	char gib[16], impaired_since[32];
	const char *v[INSTANCE_NCOLS];
};

static void
instance_text(const struct instance *i, struct instance_text *t)
{
	snprintf(t->index, sizeof(t->index), "%d", i->launch_index);
	snprintf(t->launch, sizeof(t->launch), "%lld",
		 (long long)i->launch_time);
	snprintf(t->since, sizeof(t->since), "%lld", (long long)i->state_time);
	snprintf(t->boot, sizeof(t->boot), "%d", i->boot);
	snprintf(t->hop, sizeof(t->hop), "%d", i->hop_limit);
	snprintf(t->port, sizeof(t->port), "%d", i->port_no);
	snprintf(t->gib, sizeof(t->gib), "%d", i->root_gib);
	snprintf(t->impaired_since, sizeof(t->impaired_since), "%lld",
		 (long long)i->impaired_since);
	const char *v[INSTANCE_NCOLS] = {
	    i->id,
	    i->reservation_id,
	    t->index,
	    i->owner,
	    i->image_id,
	    i->type,
	    i->key_name,
	    i->zone,
	    i->host_id,
	    i->vpc_id,
	    i->subnet_id,
	    i->private_ip,
	    i->mac,
	    i->state,
	    i->reason_code,
	    i->reason_message,
	    t->launch,
	    t->since,
	    t->boot,
	    i->force_stop ? "1" : "0",
	    i->user_data ? i->user_data : "",
	    i->no_terminate ? "1" : "0",
	    i->no_stop ? "1" : "0",
	    i->shutdown_behavior,
	    i->http_tokens,
	    t->hop,
	    i->http_endpoint,
	    i->client_token,
	    i->guest_ready ? "1" : "0",
	    i->console ? i->console : "",
	    t->port,
	    i->kernel,
	    i->initrd,
	    i->base_disk,
	    i->cmdline,
	    t->gib,
	    i->public_key ? i->public_key : "",
	    i->ran ? "1" : "0",
	    i->impaired,
	    t->impaired_since,
	};
	memcpy(t->v, v, sizeof(v));
}

int
store_instance_insert(struct store_tx *tx, const struct instance *i,
		      struct err *e)
{
	struct instance_text t;

	instance_text(i, &t);
	if (db_exec(tx,
		    db_stmt(tx,
			    "INSERT INTO instances(" INSTANCE_COLUMNS
			    ") VALUES "
			    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			    "?, ?, ?, ?, ?, ?, ?, ?)",
			    INSTANCE_NCOLS, t.v, e),
		    e) < 0 ||
	    store_event_add(tx, i->id, "", i->state, i->transition_reason,
			    i->state_time, e) < 0)
		return -1;
	return store_resource_add(tx, i->id, "instance", e);
}

static void
state_fill(sqlite3_stmt *st, void *row)
{
	db_col_copy(st, 0, row, 16);
}

int
store_instance_update(struct store_tx *tx, const struct instance *i,
		      struct err *e)
{
	struct instance_text t;
	const char *args[INSTANCE_NCOLS];
	char before[16] = "";
	int rc;

	rc = db_row(
	    tx, DB_STMT(tx, "SELECT state FROM instances WHERE id=?", e, i->id),
	    state_fill, before, "instance", e);
	if (rc < 0)
		return -1;
	instance_text(i, &t);
	/* Every column but id, then id for the WHERE. */
	memcpy(args, t.v + 1, (INSTANCE_NCOLS - 1) * sizeof(*args));
	args[INSTANCE_NCOLS - 1] = i->id;
	if (db_exec(tx,
		    db_stmt(tx,
			    "UPDATE instances SET reservation_id=?, "
			    "launch_index=?, owner=?, image_id=?, type=?, "
			    "key_name=?, zone=?, host_id=?, vpc_id=?, "
			    "subnet_id=?, private_ip=?, mac=?, state=?, "
			    "reason_code=?, reason_message=?, launch_time=?, "
			    "state_time=?, boot=?, force_stop=?, "
			    "user_data=?, no_terminate=?, no_stop=?, "
			    "shutdown_behavior=?, http_tokens=?, "
			    "hop_limit=?, http_endpoint=?, client_token=?, "
			    "guest_ready=?, console=?, port_no=?, kernel=?, "
			    "initrd=?, base_disk=?, cmdline=?, root_gib=?, "
			    "public_key=?, ran=?, impaired=?, "
			    "impaired_since=? WHERE id=?",
			    INSTANCE_NCOLS, args, e),
		    e) < 0)
		return -1;
	if (rc == 0 && strcmp(before, i->state) != 0)
		return store_event_add(tx, i->id, before, i->state,
				       i->transition_reason, i->state_time, e);
	return 0;
}

int
store_instance_get(struct store_tx *tx, const char *id, struct instance *out,
		   struct err *e)
{
	return db_row(tx, DB_STMT(tx, INSTANCE_SELECT " WHERE id=?", e, id),
		      instance_fill, out, "instance", e);
}

int
store_instance_list(struct store_tx *tx, struct instance **ret, size_t *ret_n,
		    struct err *e)
{
	return db_rows(tx,
		       db_stmt(tx, INSTANCE_SELECT " ORDER BY id", 0, NULL, e),
		       sizeof(struct instance), instance_fill,
		       instance_rows_free, ret, ret_n, e);
}

int
store_instance_query(struct store_tx *tx, const struct instance_query *q,
		     struct instance **ret, size_t *ret_n, struct err *e)
{
	struct db_sql b = {0};
	char index[16], lim[32];
	int rc;

	db_sql_add(&b, INSTANCE_SELECT " WHERE 1=1");
	db_sql_in(&b, "id", &q->ids);
	db_sql_in(&b, "state", &q->states);
	db_sql_in(&b, "zone", &q->zones);
	db_sql_in(&b, "vpc_id", &q->vpcs);
	db_sql_in(&b, "subnet_id", &q->subnets);
	for (size_t i = 0; i < q->ntags; i++)
		db_sql_tag(&b, "instances.id", &q->tags[i]);
	if (q->order == INSTANCE_BY_RESERVATION) {
		if (q->after_reservation && q->after_reservation[0]) {
			snprintf(index, sizeof(index), "%d", q->after_index);
			db_sql_add(&b, " AND (reservation_id, launch_index) > "
				       "(?, CAST(? AS INTEGER))");
			db_sql_arg(&b, q->after_reservation);
			db_sql_arg(&b, index);
		}
		db_sql_add(&b, " ORDER BY reservation_id, launch_index");
	} else {
		if (q->after_id && q->after_id[0]) {
			db_sql_add(&b, " AND id > ?");
			db_sql_arg(&b, q->after_id);
		}
		db_sql_add(&b, " ORDER BY id");
	}
	if (q->limit) {
		snprintf(lim, sizeof(lim), "%zu", q->limit);
		db_sql_add(&b, " LIMIT CAST(? AS INTEGER)");
		db_sql_arg(&b, lim);
	}
	rc = db_rows(tx, db_sql_prepare(tx, &b, e), sizeof(struct instance),
		     instance_fill, instance_rows_free, ret, ret_n, e);
	db_sql_free(&b);
	return rc;
}

static void
load_fill(sqlite3_stmt *st, void *row)
{
	struct instance_load *l = row;

	db_col_copy(st, 0, l->host_id, sizeof(l->host_id));
	db_col_copy(st, 1, l->type, sizeof(l->type));
	l->count = (unsigned)sqlite3_column_int(st, 2);
}

int
store_instance_load(struct store_tx *tx, struct instance_load **ret,
		    size_t *ret_n, struct err *e)
{
	return db_rows(tx,
		       db_stmt(tx,
			       "SELECT host_id, type, count(*) FROM instances "
			       "WHERE state NOT IN ('stopped', 'terminated') "
			       "GROUP BY host_id, type ORDER BY host_id, type",
			       0, NULL, e),
		       sizeof(struct instance_load), load_fill,
		       db_rows_free_plain, ret, ret_n, e);
}

static void
addr_fill(sqlite3_stmt *st, void *row)
{
	struct instance_addr *a = row;

	db_col_copy(st, 0, a->ip, sizeof(a->ip));
}

int
store_instance_addresses(struct store_tx *tx, const char *subnet_id,
			 struct instance_addr **ret, size_t *ret_n,
			 struct err *e)
{
	return db_rows(tx,
		       DB_STMT(tx,
			       "SELECT private_ip FROM instances WHERE "
			       "subnet_id=? AND private_ip != '' "
			       "ORDER BY private_ip",
			       e, subnet_id),
		       sizeof(struct instance_addr), addr_fill,
		       db_rows_free_plain, ret, ret_n, e);
}

static void
int_fill(sqlite3_stmt *st, void *row)
{
	*(int *)row = sqlite3_column_int(st, 0);
}

int
store_instance_port_max(struct store_tx *tx, int *ret, struct err *e)
{
	int max = 0;

	if (db_row(tx,
		   db_stmt(tx,
			   "SELECT coalesce(max(port_no), 0) FROM instances", 0,
			   NULL, e),
		   int_fill, &max, "port", e) < 0)
		return -1;
	*ret = max;
	return 0;
}

int
store_instance_delete(struct store_tx *tx, const char *id, struct err *e)
{
	char now[32];

	/* Its ClientToken is kept 24 hours from now (see idem.h). */
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	if (db_exec(
		tx,
		DB_STMT(tx,
			"UPDATE idempotency SET created = CAST(? AS INTEGER) "
			"WHERE token = (SELECT client_token FROM instances "
			"WHERE id=?) AND created < CAST(? AS INTEGER)",
			e, now, id, now),
		e) < 0 ||
	    store_events_delete(tx, id, e) < 0)
		return -1;
	return db_resource_delete(tx, "DELETE FROM instances WHERE id=?", id,
				  e);
}
