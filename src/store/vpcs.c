/*
 * vpcs.c - the vpcs and subnets tables. See vpcs.h.
 */
#include "vpcs.h"

#include <stdio.h>

#include "db.h"
#include "tags.h"

static void
vpc_fill(sqlite3_stmt *st, void *row)
{
	struct vpc_row *v = row;

	db_col_copy(st, 0, v->id, sizeof(v->id));
	db_col_copy(st, 1, v->cidr, sizeof(v->cidr));
	v->is_default = sqlite3_column_int(st, 2) != 0;
	db_col_copy(st, 3, v->owner, sizeof(v->owner));
	v->vni = sqlite3_column_int(st, 4);
}

int
store_vpc_insert(struct store_tx *tx, const struct vpc_row *v, struct err *e)
{
	char vni[16];

	snprintf(vni, sizeof(vni), "%d", v->vni);
	if (db_exec(tx,
		    DB_STMT(tx,
			    "INSERT INTO vpcs(id, cidr, is_default, owner, "
			    "vni) VALUES (?, ?, ?, ?, ?)",
			    e, v->id, v->cidr, v->is_default ? "1" : "0",
			    v->owner, vni),
		    e) < 0)
		return -1;
	return store_resource_add(tx, v->id, "vpc", e);
}

int
store_vpc_list(struct store_tx *tx, struct vpc_row **ret, size_t *ret_n,
	       struct err *e)
{
	return db_rows(tx,
		       db_stmt(tx,
			       "SELECT id, cidr, is_default, owner, vni "
			       "FROM vpcs ORDER BY id",
			       0, NULL, e),
		       sizeof(struct vpc_row), vpc_fill, db_rows_free_plain,
		       ret, ret_n, e);
}

static void
subnet_fill(sqlite3_stmt *st, void *row)
{
	struct subnet_row *s = row;

	db_col_copy(st, 0, s->id, sizeof(s->id));
	db_col_copy(st, 1, s->vpc_id, sizeof(s->vpc_id));
	db_col_copy(st, 2, s->zone, sizeof(s->zone));
	db_col_copy(st, 3, s->cidr, sizeof(s->cidr));
	s->default_for_az = sqlite3_column_int(st, 4) != 0;
}

int
store_subnet_insert(struct store_tx *tx, const struct subnet_row *s,
		    struct err *e)
{
	if (db_exec(tx,
		    DB_STMT(tx,
			    "INSERT INTO subnets(id, vpc_id, zone, cidr, "
			    "default_for_az) VALUES (?, ?, ?, ?, ?)",
			    e, s->id, s->vpc_id, s->zone, s->cidr,
			    s->default_for_az ? "1" : "0"),
		    e) < 0)
		return -1;
	return store_resource_add(tx, s->id, "subnet", e);
}

int
store_subnet_list(struct store_tx *tx, struct subnet_row **ret, size_t *ret_n,
		  struct err *e)
{
	return db_rows(tx,
		       db_stmt(tx,
			       "SELECT id, vpc_id, zone, cidr, "
			       "default_for_az FROM subnets ORDER BY id",
			       0, NULL, e),
		       sizeof(struct subnet_row), subnet_fill,
		       db_rows_free_plain, ret, ret_n, e);
}
