/*
 * store_sqlite.c - the SQLite backend of store.h.
 *
 * The store keeps a small pool of connections to one database file in WAL
 * mode. store_begin() takes a free connection (waiting for one if all are
 * busy) and opens a transaction on it: BEGIN IMMEDIATE for writers, so two
 * writers queue on SQLite's lock instead of failing half-way, plain BEGIN for
 * readers, which WAL lets run beside a writer. Prepared statements are cached
 * per connection, keyed by the address of their (static) SQL text.
 */
#include "store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrations.h"

#define POOL_SIZE 8
#define STMT_CACHE 96

struct conn {
	sqlite3 *db;
	bool busy;
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
	size_t ncache;
};

struct store_tx {
	struct store *s;
	struct conn *c;
	bool write;
};

struct store {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct conn pool[POOL_SIZE];
	int version;
};

static int
db_err(struct err *e, sqlite3 *db, const char *what)
{
	return err_set(e, "InternalError", "Store failure (%s): %s", what,
		       db ? sqlite3_errmsg(db) : "no database");
}

static int
conn_open(struct conn *c, const char *path, struct err *e)
{
	static const char setup[] = "PRAGMA journal_mode=WAL;"
				    "PRAGMA synchronous=NORMAL;"
				    "PRAGMA foreign_keys=ON;";
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX;

	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK)
		return db_err(e, c->db, "open");
	sqlite3_busy_timeout(c->db, 10000);
	if (sqlite3_exec(c->db, setup, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(e, c->db, "setup");
	return 0;
}

static void
conn_close(struct conn *c)
{
	for (size_t i = 0; i < c->ncache; i++)
		sqlite3_finalize(c->cache[i].stmt);
	c->ncache = 0;
	sqlite3_close(c->db);
	c->db = NULL;
}

static int
migrate(sqlite3 *db, int *ret_version, struct err *e)
{
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(e, db, "migrate");
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version > (int)store_migrations_count) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return err_set(e, "InternalError",
			       "The store's schema (version %d) is newer than "
			       "this ec2d (version %zu).",
			       version, store_migrations_count);
	}
	for (; version < (int)store_migrations_count; version++) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d",
			 version + 1);
		if (sqlite3_exec(db, store_migrations[version], NULL, NULL,
				 NULL) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
			db_err(e, db, "migration");
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(e, db, "migrate commit");
	*ret_version = version;
	return 0;
}

/*
 * SQLite's allocation statistics take a global mutex on every malloc; ec2d
 * does not read them, and under load that mutex showed in profiles.
 */
static void
sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_open(const char *dir, struct store **ret, struct err *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	struct store *s;
	char path[4096];

	pthread_once(&once, sqlite_setup);
	if (snprintf(path, sizeof(path), "%s/ec2d.db", dir) >=
	    (int)sizeof(path))
		return err_set(e, "InternalError", "Data directory path too long.");
	/* The store holds secret keys: only ec2d may read it. SQLite gives
	 * its -wal and -shm files the database file's mode. */
	{
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || fchmod(fd, 0600) < 0) {
			if (fd >= 0)
				close(fd);
			return err_set(e, "InternalError",
				       "Cannot create %s.", path);
		}
		close(fd);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, "InternalError", "Out of memory.");
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	for (int i = 0; i < POOL_SIZE; i++)
		if (conn_open(&s->pool[i], path, e) < 0)
			goto fail;
	if (migrate(s->pool[0].db, &s->version, e) < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void
store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < POOL_SIZE; i++)
		conn_close(&s->pool[i]);
	pthread_cond_destroy(&s->freed);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int
store_schema_version(struct store *s)
{
	return s->version;
}

static struct conn *
pool_take(struct store *s)
{
	struct conn *c = NULL;

	pthread_mutex_lock(&s->lock);
	while (!c) {
		for (int i = 0; i < POOL_SIZE && !c; i++)
			if (!s->pool[i].busy)
				c = &s->pool[i];
		if (!c)
			pthread_cond_wait(&s->freed, &s->lock);
	}
	c->busy = true;
	pthread_mutex_unlock(&s->lock);
	return c;
}

static void
pool_give(struct store *s, struct conn *c)
{
	pthread_mutex_lock(&s->lock);
	c->busy = false;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

struct store_tx *
store_begin(struct store *s, bool write, struct err *e)
{
	struct store_tx *tx = calloc(1, sizeof(*tx));

	if (!tx) {
		err_set(e, "InternalError", "Out of memory.");
		return NULL;
	}
	tx->s = s;
	tx->write = write;
	tx->c = pool_take(s);
	if (sqlite3_exec(tx->c->db, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL,
			 NULL, NULL) != SQLITE_OK) {
		db_err(e, tx->c->db, "begin");
		pool_give(s, tx->c);
		free(tx);
		return NULL;
	}
	return tx;
}

static void
tx_end(struct store_tx *tx)
{
	pool_give(tx->s, tx->c);
	free(tx);
}

int
store_commit(struct store_tx *tx, struct err *e)
{
	int rc = 0;

	if (sqlite3_exec(tx->c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(e, tx->c->db, "commit");
		sqlite3_exec(tx->c->db, "ROLLBACK", NULL, NULL, NULL);
	}
	tx_end(tx);
	return rc;
}

void
store_rollback(struct store_tx *tx)
{
	if (!tx)
		return;
	sqlite3_exec(tx->c->db, "ROLLBACK", NULL, NULL, NULL);
	tx_end(tx);
}

/*
 * A cached prepared statement for sql (a string literal: the cache is keyed
 * by its address), with the text parameters bound in order. NULL binds NULL.
 */
static sqlite3_stmt *
stmt(struct store_tx *tx, const char *sql, int nargs, const char *const *args,
     struct err *e)
{
	struct conn *c = tx->c;
	sqlite3_stmt *st = NULL;

	for (size_t i = 0; i < c->ncache; i++)
		if (c->cache[i].sql == sql)
			st = c->cache[i].stmt;
	if (!st) {
		if (sqlite3_prepare_v3(c->db, sql, -1,
				       SQLITE_PREPARE_PERSISTENT, &st,
				       NULL) != SQLITE_OK) {
			db_err(e, c->db, "prepare");
			return NULL;
		}
		if (c->ncache < STMT_CACHE) {
			c->cache[c->ncache].sql = sql;
			c->cache[c->ncache].stmt = st;
			c->ncache++;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; i < nargs; i++)
		sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
	return st;
}

/* Statements beyond the cache are finalized here instead of reset. */
static void
stmt_done(struct store_tx *tx, sqlite3_stmt *st)
{
	for (size_t i = 0; i < tx->c->ncache; i++)
		if (tx->c->cache[i].stmt == st) {
			sqlite3_reset(st);
			return;
		}
	sqlite3_finalize(st);
}

#define ARGS(...) (const char *const[]){ __VA_ARGS__ }
#define NARGS(...) \
	((int)(sizeof(ARGS(__VA_ARGS__)) / sizeof(const char *)))
#define STMT(tx, sql, e, ...) \
	stmt(tx, sql, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__), e)

/* Run a statement that returns no rows. */
static int
exec_done(struct store_tx *tx, sqlite3_stmt *st, struct err *e)
{
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	stmt_done(tx, st);
	if (rc != SQLITE_DONE)
		return db_err(e, tx->c->db, "write");
	return 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return strdup(t ? (const char *)t : "");
}

static void
col_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

/*
 * Step st to the end, growing an array of elem-sized rows that fill()
 * writes from each result row. On failure the rows filled so far are
 * handed to clear() and nothing is returned.
 */
static int
rows_collect(struct store_tx *tx, sqlite3_stmt *st, size_t elem,
	     void (*fill)(sqlite3_stmt *st, void *row),
	     void (*clear)(void *rows, size_t n), void *ret, size_t *ret_n,
	     struct err *e)
{
	char *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *nv = realloc(v, ncap * elem);

			if (!nv)
				break;
			v = nv;
			cap = ncap;
		}
		memset(v + n * elem, 0, elem);
		fill(st, v + n * elem);
		n++;
	}
	stmt_done(tx, st);
	if (rc != SQLITE_DONE) {
		clear(v, n);
		return db_err(e, tx->c->db, "read");
	}
	memcpy(ret, &v, sizeof(v));	/* ret is the caller's T ** */
	*ret_n = n;
	return 0;
}

/* Delete a registered resource's row (sql takes its id) and its tags. */
static int
resource_delete(struct store_tx *tx, const char *sql, const char *id,
		struct err *e)
{
	if (exec_done(tx, stmt(tx, sql, 1, (const char *const[]){ id }, e),
		      e) < 0)
		return -1;
	return store_resource_del(tx, id, e);
}

/* Settings. */

int
store_meta_get(struct store_tx *tx, const char *key, char *val, size_t size,
	       struct err *e)
{
	sqlite3_stmt *st = STMT(tx, "SELECT value FROM meta WHERE key=?", e,
				key);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_copy(st, 0, val, size);
	stmt_done(tx, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : db_err(e, tx->c->db, "meta");
}

int
store_meta_set(struct store_tx *tx, const char *key, const char *val,
	       struct err *e)
{
	return exec_done(tx,
			 STMT(tx, "INSERT INTO meta(key, value) VALUES (?, ?) "
				  "ON CONFLICT(key) DO UPDATE SET "
				  "value=excluded.value",
			      e, key, val),
			 e);
}

/* Access keys. */

int
store_access_key_get(struct store_tx *tx, const char *id,
		     struct access_key *out, struct err *e)
{
	sqlite3_stmt *st = STMT(tx,
				"SELECT id, secret, account, user_name "
				"FROM access_keys WHERE id=?",
				e, id);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_copy(st, 0, out->id, sizeof(out->id));
		col_copy(st, 1, out->secret, sizeof(out->secret));
		col_copy(st, 2, out->account, sizeof(out->account));
		col_copy(st, 3, out->user, sizeof(out->user));
	}
	stmt_done(tx, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : db_err(e, tx->c->db, "access key");
}

int
store_access_key_put(struct store_tx *tx, const struct access_key *k,
		     struct err *e)
{
	return exec_done(tx,
			 STMT(tx, "INSERT INTO access_keys(id, secret, "
				  "account, user_name) VALUES (?, ?, ?, ?)",
			      e, k->id, k->secret, k->account, k->user),
			 e);
}

/* Resources and tags. */

int
store_resource_add(struct store_tx *tx, const char *id, const char *type,
		   struct err *e)
{
	return exec_done(tx,
			 STMT(tx, "INSERT INTO resources(id, type) "
				  "VALUES (?, ?)",
			      e, id, type),
			 e);
}

int
store_resource_type(struct store_tx *tx, const char *id, char *type,
		    size_t size, struct err *e)
{
	sqlite3_stmt *st = STMT(tx, "SELECT type FROM resources WHERE id=?",
				e, id);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_copy(st, 0, type, size);
	stmt_done(tx, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : db_err(e, tx->c->db, "resource");
}

int
store_resource_del(struct store_tx *tx, const char *id, struct err *e)
{
	if (exec_done(tx, STMT(tx, "DELETE FROM tags WHERE resource_id=?", e,
			       id), e) < 0)
		return -1;
	return exec_done(tx, STMT(tx, "DELETE FROM resources WHERE id=?", e,
				  id), e);
}

void
tags_free(struct tags *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static void
tag_fill(sqlite3_stmt *st, void *row)
{
	struct tag *t = row;

	t->key = col_dup(st, 0);
	t->value = col_dup(st, 1);
}

static void
tag_rows_free(void *rows, size_t n)
{
	struct tags t = { rows, n };

	tags_free(&t);
}

int
store_tags_get(struct store_tx *tx, const char *resource_id,
	       struct tags *out, struct err *e)
{
	out->v = NULL;
	out->n = 0;
	return rows_collect(tx,
			    STMT(tx, "SELECT key, value FROM tags "
				     "WHERE resource_id=? ORDER BY key",
				 e, resource_id),
			    sizeof(struct tag), tag_fill, tag_rows_free,
			    &out->v, &out->n, e);
}

int
store_tag_put(struct store_tx *tx, const char *resource_id, const char *key,
	      const char *value, struct err *e)
{
	return exec_done(tx,
			 STMT(tx, "INSERT INTO tags(resource_id, key, value) "
				  "VALUES (?, ?, ?) ON CONFLICT(resource_id, "
				  "key) DO UPDATE SET value=excluded.value",
			      e, resource_id, key, value),
			 e);
}

int
store_tag_delete(struct store_tx *tx, const char *resource_id,
		 const char *key, const char *value, struct err *e)
{
	if (!value)
		return exec_done(tx,
				 STMT(tx, "DELETE FROM tags WHERE "
					  "resource_id=? AND key=?",
				      e, resource_id, key),
				 e);
	return exec_done(tx,
			 STMT(tx, "DELETE FROM tags WHERE resource_id=? AND "
				  "key=? AND value=?",
			      e, resource_id, key, value),
			 e);
}

int
store_tags_count(struct store_tx *tx, const char *resource_id, size_t *ret,
		 struct err *e)
{
	sqlite3_stmt *st = STMT(tx,
				"SELECT count(*) FROM tags WHERE resource_id=?",
				e, resource_id);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = (size_t)sqlite3_column_int64(st, 0);
	stmt_done(tx, st);
	return rc == SQLITE_ROW ? 0 : db_err(e, tx->c->db, "tag count");
}

void
tagged_free(struct tagged *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].resource_id);
		free(v[i].resource_type);
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static void
tagged_fill(sqlite3_stmt *st, void *row)
{
	struct tagged *t = row;

	t->resource_id = col_dup(st, 0);
	t->resource_type = col_dup(st, 1);
	t->key = col_dup(st, 2);
	t->value = col_dup(st, 3);
}

static void
tagged_rows_free(void *rows, size_t n)
{
	tagged_free(rows, n);
}

int
store_tags_all(struct store_tx *tx, struct tagged **ret, size_t *ret_n,
	       struct err *e)
{
	return rows_collect(tx,
			    stmt(tx,
				 "SELECT t.resource_id, r.type, t.key, t.value "
				 "FROM tags t JOIN resources r "
				 "ON r.id = t.resource_id "
				 "ORDER BY t.resource_id, t.key",
				 0, NULL, e),
			    sizeof(struct tagged), tagged_fill,
			    tagged_rows_free, ret, ret_n, e);
}

int
store_tags_of_type(struct store_tx *tx, const char *type,
		   struct tagged **ret, size_t *ret_n, struct err *e)
{
	return rows_collect(tx,
			    STMT(tx,
				 "SELECT t.resource_id, r.type, t.key, t.value "
				 "FROM tags t JOIN resources r "
				 "ON r.id = t.resource_id WHERE r.type=? "
				 "ORDER BY t.resource_id, t.key",
				 e, type),
			    sizeof(struct tagged), tagged_fill,
			    tagged_rows_free, ret, ret_n, e);
}

/* Key pairs. */

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
keypair_row(sqlite3_stmt *st, struct keypair *k)
{
	col_copy(st, 0, k->id, sizeof(k->id));
	col_copy(st, 1, k->name, sizeof(k->name));
	col_copy(st, 2, k->type, sizeof(k->type));
	col_copy(st, 3, k->fingerprint, sizeof(k->fingerprint));
	k->public_key = col_dup(st, 4);
	k->created = (time_t)sqlite3_column_int64(st, 5);
}

int
store_keypair_insert(struct store_tx *tx, const struct keypair *k,
		     struct err *e)
{
	char created[32];
	sqlite3_stmt *st;

	snprintf(created, sizeof(created), "%lld", (long long)k->created);
	st = STMT(tx,
		  "INSERT INTO key_pairs(id, name, type, fingerprint, "
		  "public_key, created) VALUES (?, ?, ?, ?, ?, ?) "
		  "ON CONFLICT(name) DO NOTHING",
		  e, k->id, k->name, k->type, k->fingerprint, k->public_key,
		  created);
	if (exec_done(tx, st, e) < 0)
		return -1;
	if (sqlite3_changes(tx->c->db) == 0)
		return err_set(e, "InvalidKeyPair.Duplicate",
			       "The keypair already exists");
	return store_resource_add(tx, k->id, "key-pair", e);
}

int
store_keypair_get(struct store_tx *tx, const char *name, const char *id,
		  struct keypair *out, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (name)
		st = STMT(tx,
			  "SELECT id, name, type, fingerprint, public_key, "
			  "created FROM key_pairs WHERE name=?",
			  e, name);
	else
		st = STMT(tx,
			  "SELECT id, name, type, fingerprint, public_key, "
			  "created FROM key_pairs WHERE id=?",
			  e, id);
	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		keypair_row(st, out);
	stmt_done(tx, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : db_err(e, tx->c->db, "key pair");
}

static void
keypair_fill(sqlite3_stmt *st, void *row)
{
	keypair_row(st, row);
}

static void
keypair_rows_free(void *rows, size_t n)
{
	keypairs_free(rows, n);
}

int
store_keypair_list(struct store_tx *tx, struct keypair **ret, size_t *ret_n,
		   struct err *e)
{
	return rows_collect(tx,
			    stmt(tx,
				 "SELECT id, name, type, fingerprint, "
				 "public_key, created FROM key_pairs "
				 "ORDER BY name",
				 0, NULL, e),
			    sizeof(struct keypair), keypair_fill,
			    keypair_rows_free, ret, ret_n, e);
}

int
store_keypair_delete(struct store_tx *tx, const char *id, struct err *e)
{
	return resource_delete(tx, "DELETE FROM key_pairs WHERE id=?", id, e);
}

/* Images. */

#define IMAGE_COLUMNS                                                  \
	"id, name, description, location, state, state_reason, "       \
	"architecture, root_device, boot_mode, owner, public, created, " \
	"kernel, initrd, root, cmdline, root_size_gib"

static void
image_fill(sqlite3_stmt *st, void *row)
{
	struct image *im = row;

	col_copy(st, 0, im->id, sizeof(im->id));
	col_copy(st, 1, im->name, sizeof(im->name));
	col_copy(st, 2, im->description, sizeof(im->description));
	col_copy(st, 3, im->location, sizeof(im->location));
	col_copy(st, 4, im->state, sizeof(im->state));
	col_copy(st, 5, im->state_reason, sizeof(im->state_reason));
	col_copy(st, 6, im->architecture, sizeof(im->architecture));
	col_copy(st, 7, im->root_device, sizeof(im->root_device));
	col_copy(st, 8, im->boot_mode, sizeof(im->boot_mode));
	col_copy(st, 9, im->owner, sizeof(im->owner));
	im->public = sqlite3_column_int(st, 10) != 0;
	im->created = (time_t)sqlite3_column_int64(st, 11);
	col_copy(st, 12, im->kernel, sizeof(im->kernel));
	col_copy(st, 13, im->initrd, sizeof(im->initrd));
	col_copy(st, 14, im->root, sizeof(im->root));
	col_copy(st, 15, im->cmdline, sizeof(im->cmdline));
	im->root_size_gib = sqlite3_column_int(st, 16);
}

static void
plain_rows_free(void *rows, size_t n)
{
	free(rows);
}

int
store_image_insert(struct store_tx *tx, const struct image *im,
		   struct err *e)
{
	char pub[4], created[32], size[16];
	sqlite3_stmt *st;

	snprintf(pub, sizeof(pub), "%d", im->public ? 1 : 0);
	snprintf(created, sizeof(created), "%lld", (long long)im->created);
	snprintf(size, sizeof(size), "%d", im->root_size_gib);
	st = STMT(tx,
		  "INSERT INTO images(" IMAGE_COLUMNS ") VALUES "
		  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
		  "ON CONFLICT(name) DO NOTHING",
		  e, im->id, im->name, im->description, im->location,
		  im->state, im->state_reason, im->architecture,
		  im->root_device, im->boot_mode, im->owner, pub, created,
		  im->kernel, im->initrd, im->root, im->cmdline, size);
	if (exec_done(tx, st, e) < 0)
		return -1;
	if (sqlite3_changes(tx->c->db) == 0)
		return err_set(e, "InvalidAMIName.Duplicate",
			       "AMI name %s is already in use by AMI", im->name);
	return store_resource_add(tx, im->id, "image", e);
}

int
store_image_get(struct store_tx *tx, const char *id, struct image *out,
		struct err *e)
{
	sqlite3_stmt *st = STMT(tx,
				"SELECT " IMAGE_COLUMNS " FROM images "
				"WHERE id=?",
				e, id);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		image_fill(st, out);
	stmt_done(tx, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : db_err(e, tx->c->db, "image");
}

int
store_image_list(struct store_tx *tx, struct image **ret, size_t *ret_n,
		 struct err *e)
{
	return rows_collect(tx,
			    stmt(tx,
				 "SELECT " IMAGE_COLUMNS " FROM images "
				 "ORDER BY id",
				 0, NULL, e),
			    sizeof(struct image), image_fill, plain_rows_free,
			    ret, ret_n, e);
}

int
store_image_update(struct store_tx *tx, const struct image *im,
		   struct err *e)
{
	char size[16];

	snprintf(size, sizeof(size), "%d", im->root_size_gib);
	return exec_done(tx,
			 STMT(tx, "UPDATE images SET state=?, "
				  "state_reason=?, kernel=?, initrd=?, root=?, "
				  "cmdline=?, root_size_gib=? WHERE id=?",
			      e, im->state, im->state_reason, im->kernel,
			      im->initrd, im->root, im->cmdline, size, im->id),
			 e);
}

int
store_image_delete(struct store_tx *tx, const char *id, struct err *e)
{
	return resource_delete(tx, "DELETE FROM images WHERE id=?", id, e);
}

/* Hosts, VPCs, subnets. */

static void
host_fill(sqlite3_stmt *st, void *row)
{
	struct host_row *h = row;

	col_copy(st, 0, h->id, sizeof(h->id));
	col_copy(st, 1, h->zone, sizeof(h->zone));
	h->vcpus = sqlite3_column_int(st, 2);
	h->memory_mib = sqlite3_column_int(st, 3);
	h->gpus = sqlite3_column_int(st, 4);
	col_copy(st, 5, h->state, sizeof(h->state));
}

int
store_host_put(struct store_tx *tx, const struct host_row *h, struct err *e)
{
	char vcpus[16], mem[16], gpus[16];

	snprintf(vcpus, sizeof(vcpus), "%d", h->vcpus);
	snprintf(mem, sizeof(mem), "%d", h->memory_mib);
	snprintf(gpus, sizeof(gpus), "%d", h->gpus);
	return exec_done(tx,
			 STMT(tx, "INSERT INTO hosts(id, zone, vcpus, "
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
	return rows_collect(tx,
			    stmt(tx,
				 "SELECT id, zone, vcpus, memory_mib, gpus, "
				 "state FROM hosts ORDER BY id",
				 0, NULL, e),
			    sizeof(struct host_row), host_fill,
			    plain_rows_free, ret, ret_n, e);
}

static void
vpc_fill(sqlite3_stmt *st, void *row)
{
	struct vpc_row *v = row;

	col_copy(st, 0, v->id, sizeof(v->id));
	col_copy(st, 1, v->cidr, sizeof(v->cidr));
	v->is_default = sqlite3_column_int(st, 2) != 0;
	col_copy(st, 3, v->owner, sizeof(v->owner));
	v->vni = sqlite3_column_int(st, 4);
}

int
store_vpc_insert(struct store_tx *tx, const struct vpc_row *v, struct err *e)
{
	char vni[16];

	snprintf(vni, sizeof(vni), "%d", v->vni);
	if (exec_done(tx,
		      STMT(tx, "INSERT INTO vpcs(id, cidr, is_default, owner, "
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
	return rows_collect(tx,
			    stmt(tx,
				 "SELECT id, cidr, is_default, owner, vni "
				 "FROM vpcs ORDER BY id",
				 0, NULL, e),
			    sizeof(struct vpc_row), vpc_fill, plain_rows_free,
			    ret, ret_n, e);
}

static void
subnet_fill(sqlite3_stmt *st, void *row)
{
	struct subnet_row *s = row;

	col_copy(st, 0, s->id, sizeof(s->id));
	col_copy(st, 1, s->vpc_id, sizeof(s->vpc_id));
	col_copy(st, 2, s->zone, sizeof(s->zone));
	col_copy(st, 3, s->cidr, sizeof(s->cidr));
	s->default_for_az = sqlite3_column_int(st, 4) != 0;
}

int
store_subnet_insert(struct store_tx *tx, const struct subnet_row *s,
		    struct err *e)
{
	if (exec_done(tx,
		      STMT(tx, "INSERT INTO subnets(id, vpc_id, zone, cidr, "
			       "default_for_az) VALUES (?, ?, ?, ?, ?)",
			   e, s->id, s->vpc_id, s->zone, s->cidr,
			   s->default_for_az ? "1" : "0"),
		      e) < 0)
		return -1;
	return store_resource_add(tx, s->id, "subnet", e);
}

int
store_subnet_list(struct store_tx *tx, struct subnet_row **ret,
		  size_t *ret_n, struct err *e)
{
	return rows_collect(tx,
			    stmt(tx,
				 "SELECT id, vpc_id, zone, cidr, "
				 "default_for_az FROM subnets ORDER BY id",
				 0, NULL, e),
			    sizeof(struct subnet_row), subnet_fill,
			    plain_rows_free, ret, ret_n, e);
}

/* Instances. */

#define INSTANCE_COLUMNS                                                 \
	"id, reservation_id, launch_index, owner, image_id, type, "      \
	"key_name, zone, host_id, vpc_id, subnet_id, private_ip, mac, "  \
	"state, reason_code, reason_message, transition_reason, "        \
	"launch_time, state_time, boot, force_stop, user_data, "         \
	"no_terminate, no_stop, shutdown_behavior, http_tokens, "        \
	"hop_limit, http_endpoint, client_token, guest_ready, console, "  \
	"port_no, kernel, initrd, base_disk, cmdline, root_gib, "         \
	"public_key, ran"

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

	col_copy(st, 0, i->id, sizeof(i->id));
	col_copy(st, 1, i->reservation_id, sizeof(i->reservation_id));
	i->launch_index = sqlite3_column_int(st, 2);
	col_copy(st, 3, i->owner, sizeof(i->owner));
	col_copy(st, 4, i->image_id, sizeof(i->image_id));
	col_copy(st, 5, i->type, sizeof(i->type));
	col_copy(st, 6, i->key_name, sizeof(i->key_name));
	col_copy(st, 7, i->zone, sizeof(i->zone));
	col_copy(st, 8, i->host_id, sizeof(i->host_id));
	col_copy(st, 9, i->vpc_id, sizeof(i->vpc_id));
	col_copy(st, 10, i->subnet_id, sizeof(i->subnet_id));
	col_copy(st, 11, i->private_ip, sizeof(i->private_ip));
	col_copy(st, 12, i->mac, sizeof(i->mac));
	col_copy(st, 13, i->state, sizeof(i->state));
	col_copy(st, 14, i->reason_code, sizeof(i->reason_code));
	col_copy(st, 15, i->reason_message, sizeof(i->reason_message));
	col_copy(st, 16, i->transition_reason, sizeof(i->transition_reason));
	i->launch_time = (time_t)sqlite3_column_int64(st, 17);
	i->state_time = (time_t)sqlite3_column_int64(st, 18);
	i->boot = sqlite3_column_int(st, 19);
	i->force_stop = sqlite3_column_int(st, 20) != 0;
	i->user_data = col_dup(st, 21);
	i->no_terminate = sqlite3_column_int(st, 22) != 0;
	i->no_stop = sqlite3_column_int(st, 23) != 0;
	col_copy(st, 24, i->shutdown_behavior, sizeof(i->shutdown_behavior));
	col_copy(st, 25, i->http_tokens, sizeof(i->http_tokens));
	i->hop_limit = sqlite3_column_int(st, 26);
	col_copy(st, 27, i->http_endpoint, sizeof(i->http_endpoint));
	col_copy(st, 28, i->client_token, sizeof(i->client_token));
	i->guest_ready = sqlite3_column_int(st, 29) != 0;
	i->console = col_dup(st, 30);
	i->port_no = sqlite3_column_int(st, 31);
	col_copy(st, 32, i->kernel, sizeof(i->kernel));
	col_copy(st, 33, i->initrd, sizeof(i->initrd));
	col_copy(st, 34, i->base_disk, sizeof(i->base_disk));
	col_copy(st, 35, i->cmdline, sizeof(i->cmdline));
	i->root_gib = sqlite3_column_int(st, 36);
	i->public_key = col_dup(st, 37);
	i->ran = sqlite3_column_int(st, 38) != 0;
}

static void
instance_rows_free(void *rows, size_t n)
{
	instances_free(rows, n);
}

/* The instance's fields as text, in INSTANCE_COLUMNS order. */
#define INSTANCE_NCOLS 39

struct instance_text {
	char index[16], launch[32], since[32], boot[16], hop[16], port[16];
	char gib[16];
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
	const char *v[INSTANCE_NCOLS] = {
		i->id, i->reservation_id, t->index, i->owner, i->image_id,
		i->type, i->key_name, i->zone, i->host_id, i->vpc_id,
		i->subnet_id, i->private_ip, i->mac, i->state, i->reason_code,
		i->reason_message, i->transition_reason, t->launch, t->since,
		t->boot, i->force_stop ? "1" : "0",
		i->user_data ? i->user_data : "", i->no_terminate ? "1" : "0",
		i->no_stop ? "1" : "0", i->shutdown_behavior, i->http_tokens,
		t->hop, i->http_endpoint, i->client_token,
		i->guest_ready ? "1" : "0", i->console ? i->console : "",
		t->port, i->kernel, i->initrd, i->base_disk, i->cmdline, t->gib,
		i->public_key ? i->public_key : "", i->ran ? "1" : "0",
	};
	memcpy(t->v, v, sizeof(v));
}

int
store_instance_insert(struct store_tx *tx, const struct instance *i,
		      struct err *e)
{
	struct instance_text t;

	instance_text(i, &t);
	if (exec_done(tx,
		      stmt(tx,
			   "INSERT INTO instances(" INSTANCE_COLUMNS ") VALUES "
			   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			   "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			   "?, ?, ?, ?, ?, ?, ?)",
			   INSTANCE_NCOLS, t.v, e),
		      e) < 0)
		return -1;
	return store_resource_add(tx, i->id, "instance", e);
}

int
store_instance_update(struct store_tx *tx, const struct instance *i,
		      struct err *e)
{
	struct instance_text t;
	const char *args[INSTANCE_NCOLS];

	instance_text(i, &t);
	/* Every column but id, then id for the WHERE. */
	memcpy(args, t.v + 1, (INSTANCE_NCOLS - 1) * sizeof(*args));
	args[INSTANCE_NCOLS - 1] = i->id;
	return exec_done(tx,
			 stmt(tx,
			      "UPDATE instances SET reservation_id=?, "
			      "launch_index=?, owner=?, image_id=?, type=?, "
			      "key_name=?, zone=?, host_id=?, vpc_id=?, "
			      "subnet_id=?, private_ip=?, mac=?, state=?, "
			      "reason_code=?, reason_message=?, "
			      "transition_reason=?, launch_time=?, "
			      "state_time=?, boot=?, force_stop=?, "
			      "user_data=?, no_terminate=?, no_stop=?, "
			      "shutdown_behavior=?, http_tokens=?, "
			      "hop_limit=?, http_endpoint=?, client_token=?, "
			      "guest_ready=?, console=?, port_no=?, kernel=?, "
			      "initrd=?, base_disk=?, cmdline=?, root_gib=?, "
			      "public_key=?, ran=? WHERE id=?",
			      INSTANCE_NCOLS, args, e),
			 e);
}

int
store_instance_get(struct store_tx *tx, const char *id,
		   struct instance *out, struct err *e)
{
	sqlite3_stmt *st = STMT(tx,
				"SELECT " INSTANCE_COLUMNS " FROM instances "
				"WHERE id=?",
				e, id);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		instance_fill(st, out);
	}
	stmt_done(tx, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : db_err(e, tx->c->db, "instance");
}

int
store_instance_list(struct store_tx *tx, struct instance **ret,
		    size_t *ret_n, struct err *e)
{
	return rows_collect(tx,
			    stmt(tx,
				 "SELECT " INSTANCE_COLUMNS " FROM instances "
				 "ORDER BY id",
				 0, NULL, e),
			    sizeof(struct instance), instance_fill,
			    instance_rows_free, ret, ret_n, e);
}

int
store_instance_delete(struct store_tx *tx, const char *id, struct err *e)
{
	return resource_delete(tx, "DELETE FROM instances WHERE id=?", id, e);
}

/* Idempotency tokens. */

int
store_idem_get(struct store_tx *tx, const char *access_key,
	       const char *action, const char *token, char **ret_hash,
	       char **ret_body, struct err *e)
{
	sqlite3_stmt *st = STMT(tx,
				"SELECT hash, body FROM idempotency WHERE "
				"access_key=? AND action=? AND token=?",
				e, access_key, action, token);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_hash = col_dup(st, 0);
		*ret_body = col_dup(st, 1);
	}
	stmt_done(tx, st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : db_err(e, tx->c->db, "token");
}

int
store_idem_put(struct store_tx *tx, const char *access_key,
	       const char *action, const char *token, const char *hash,
	       const char *body, struct err *e)
{
	char now[32];

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	return exec_done(tx,
			 STMT(tx, "INSERT INTO idempotency(access_key, "
				  "action, token, hash, body, created) "
				  "VALUES (?, ?, ?, ?, ?, ?)",
			      e, access_key, action, token, hash, body, now),
			 e);
}
