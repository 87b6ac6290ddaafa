/*
 * store.h - ec2d's persistent state: the core (opening, transactions).
 *
 * Only store/ speaks SQL. The default backend is SQLite in WAL mode in the
 * data directory. Work happens in transactions: a service action calls
 * store_begin(), makes its reads and writes through the functions of the
 * resource headers (store/keypairs.h, store/instances.h, ...), and
 * store_commit() (or store_rollback()) ends it. Each transaction holds one
 * pooled connection, so readers run side by side and writers queue.
 *
 * Lookups return 0 when found, 1 when absent, -1 on error (with e filled
 * as InternalError; its message says "disk is full" or "busy" when SQLite
 * says so). A failed write leaves the transaction to be rolled back: the
 * store keeps its previous state. Row structs own their strings: free them
 * with the matching *_clear / *_free function.
 */
#ifndef EC2D_STORE_STORE_H
#define EC2D_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/err.h"

struct store;
struct store_tx;

/* Open (creating and migrating) the store in directory dir. */
int store_open(const char *dir, struct store **ret, struct err *e);
void store_close(struct store *s);
/* The schema version the store is at (the last migration applied). */
int store_schema_version(struct store *s);
/*
 * How long a transaction waits for another writer's lock before it fails
 * (10 s by default). Tests shorten it.
 */
void store_busy_timeout(struct store *s, int ms);

struct store_tx *store_begin(struct store *s, bool write, struct err *e);
int store_commit(struct store_tx *tx, struct err *e); /* ends tx */
void store_rollback(struct store_tx *tx);	      /* ends tx; NULL ok */

/*
 * Conditions a list query pushes into SQL. A value list with n == 0 puts
 * no condition; otherwise the column must equal one of the values.
 */
struct store_values {
	const char *const *v;
	size_t n;
};

/* The resource has tag key, with one of values (any value when n == 0). */
struct store_tag_match {
	const char *key;
	struct store_values values;
};

#endif
