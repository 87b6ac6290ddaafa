/*
 * store.c - the store's core on SQLite: the connection pool, migrations at
 * open, and transactions. See store.h.
 *
 * The store keeps a small pool of connections to one database file in WAL
 * mode. store_begin() takes a free connection (waiting for one if all are
 * busy) and opens a transaction on it: BEGIN IMMEDIATE for writers, so two
 * writers queue on SQLite's lock instead of failing half-way, plain BEGIN for
 * readers, which WAL lets run beside a writer. Prepared statements are cached
 * per connection (db.c). The resource files (keypairs.c, instances.c, ...)
 * hold the SQL of each resource family.
 */
#include "store.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "meta.h"
#include "migrations.h"

#define POOL_SIZE	8
#define BUSY_TIMEOUT_MS 10000

struct store {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct db_conn pool[POOL_SIZE];
	int version;
};

static int
conn_open(struct db_conn *c, const char *path, struct err *e)
{
	static const char setup[] = "PRAGMA journal_mode=WAL;"
				    "PRAGMA synchronous=NORMAL;"
				    "PRAGMA foreign_keys=ON;";
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK)
		return db_err(e, c->db, "open");
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(c->db, setup, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(e, c->db, "setup");
	return 0;
}

static void
conn_close(struct db_conn *c)
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

/*
 * The key of the Describe calls' NextToken MACs (services/ec2/paginate.h),
 * made with the store so every API server sharing it accepts the tokens
 * of the others, and no other deployment's.
 */
static int
page_secret_once(struct store *s, struct err *e)
{
	char hex[65];

	return store_meta_once(s, "page_token_key", hex, sizeof(hex), 32, false,
			       e);
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
		return err_set(e, "InternalError",
			       "Data directory path too long.");
	/* The store holds secret keys: only ec2d may read it. SQLite gives
	 * its -wal and -shm files the database file's mode. */
	{
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || fchmod(fd, 0600) < 0) {
			if (fd >= 0)
				close(fd);
			return err_set(e, "InternalError", "Cannot create %s.",
				       path);
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
	if (migrate(s->pool[0].db, &s->version, e) < 0 ||
	    page_secret_once(s, e) < 0)
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

void
store_busy_timeout(struct store *s, int ms)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < POOL_SIZE; i++)
		sqlite3_busy_timeout(s->pool[i].db, ms);
	pthread_mutex_unlock(&s->lock);
}

static struct db_conn *
pool_take(struct store *s)
{
	struct db_conn *c = NULL;

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
pool_give(struct store *s, struct db_conn *c)
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
