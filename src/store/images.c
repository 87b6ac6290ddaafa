/*
 * images.c - the images table. See images.h.
 */
#include "images.h"

#include <stdio.h>

#include "db.h"
#include "tags.h"

#define IMAGE_COLUMNS                                                          \
	"id, name, description, location, state, state_reason, "               \
	"architecture, root_device, boot_mode, owner, public, created, "       \
	"kernel, initrd, root, cmdline, root_size_gib"

static void
image_fill(sqlite3_stmt *st, void *row)
{
	struct image *im = row;

	db_col_copy(st, 0, im->id, sizeof(im->id));
	db_col_copy(st, 1, im->name, sizeof(im->name));
	db_col_copy(st, 2, im->description, sizeof(im->description));
	db_col_copy(st, 3, im->location, sizeof(im->location));
	db_col_copy(st, 4, im->state, sizeof(im->state));
	db_col_copy(st, 5, im->state_reason, sizeof(im->state_reason));
	db_col_copy(st, 6, im->architecture, sizeof(im->architecture));
	db_col_copy(st, 7, im->root_device, sizeof(im->root_device));
	db_col_copy(st, 8, im->boot_mode, sizeof(im->boot_mode));
	db_col_copy(st, 9, im->owner, sizeof(im->owner));
	im->public = sqlite3_column_int(st, 10) != 0;
	im->created = (time_t)sqlite3_column_int64(st, 11);
	db_col_copy(st, 12, im->kernel, sizeof(im->kernel));
	db_col_copy(st, 13, im->initrd, sizeof(im->initrd));
	db_col_copy(st, 14, im->root, sizeof(im->root));
	db_col_copy(st, 15, im->cmdline, sizeof(im->cmdline));
	im->root_size_gib = sqlite3_column_int(st, 16);
}

int
store_image_insert(struct store_tx *tx, const struct image *im, struct err *e)
{
	char pub[4], created[32], size[16];
	sqlite3_stmt *st;

	snprintf(pub, sizeof(pub), "%d", im->public ? 1 : 0);
	snprintf(created, sizeof(created), "%lld", (long long)im->created);
	snprintf(size, sizeof(size), "%d", im->root_size_gib);
	st = DB_STMT(tx,
		     "INSERT INTO images(" IMAGE_COLUMNS ") VALUES "
		     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
		     "ON CONFLICT(name) DO NOTHING",
		     e, im->id, im->name, im->description, im->location,
		     im->state, im->state_reason, im->architecture,
		     im->root_device, im->boot_mode, im->owner, pub, created,
		     im->kernel, im->initrd, im->root, im->cmdline, size);
	if (db_exec(tx, st, e) < 0)
		return -1;
	if (db_changes(tx) == 0)
		return err_set(e, "InvalidAMIName.Duplicate",
			       "AMI name %s is already in use by AMI",
			       im->name);
	return store_resource_add(tx, im->id, "image", e);
}

int
store_image_get(struct store_tx *tx, const char *id, struct image *out,
		struct err *e)
{
	return db_row(tx,
		      DB_STMT(tx,
			      "SELECT " IMAGE_COLUMNS " FROM images WHERE id=?",
			      e, id),
		      image_fill, out, "image", e);
}

int
store_image_list(struct store_tx *tx, struct image **ret, size_t *ret_n,
		 struct err *e)
{
	return db_rows(tx,
		       db_stmt(tx,
			       "SELECT " IMAGE_COLUMNS " FROM images "
			       "ORDER BY id",
			       0, NULL, e),
		       sizeof(struct image), image_fill, db_rows_free_plain,
		       ret, ret_n, e);
}

int
store_image_update(struct store_tx *tx, const struct image *im, struct err *e)
{
	char size[16];

	snprintf(size, sizeof(size), "%d", im->root_size_gib);
	return db_exec(tx,
		       DB_STMT(tx,
			       "UPDATE images SET state=?, "
			       "state_reason=?, kernel=?, initrd=?, root=?, "
			       "cmdline=?, root_size_gib=? WHERE id=?",
			       e, im->state, im->state_reason, im->kernel,
			       im->initrd, im->root, im->cmdline, size, im->id),
		       e);
}

int
store_image_delete(struct store_tx *tx, const char *id, struct err *e)
{
	return db_resource_delete(tx, "DELETE FROM images WHERE id=?", id, e);
}
