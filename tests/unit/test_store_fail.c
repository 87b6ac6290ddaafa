/*
 * test_store_fail.c - the store's failure paths: a full disk and a busy
 * database each fail with a clear error and leave the previous state as it
 * was (read back afterwards); ClientToken rows expire after 24 hours and
 * are pruned a bounded number at a time; a version-3 store migrates with
 * its instances' transition reasons carried into the event log.
 */
#include <dirent.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/events.h"
#include "store/idem.h"
#include "store/instances.h"
#include "store/keypairs.h"
#include "store/migrations.h"
#include "unit.h"
#include "tmpdir.h"

static struct keypair
kp(const char *id, const char *name, char *public_key)
{
	struct keypair k = {.created = 1795944406};

	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.name, sizeof(k.name), "%s", name);
	snprintf(k.type, sizeof(k.type), "ed25519");
	snprintf(k.fingerprint, sizeof(k.fingerprint), "fp-%s", name);
	k.public_key = public_key;
	return k;
}

/* The names of every key pair, joined by spaces. */
static void
names(struct store *s, char *out, size_t size)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, false, &e);
	struct keypair *v = NULL;
	size_t n = 0, off = 0;

	out[0] = '\0';
	if (!tx || store_keypair_list(tx, &v, &n, &e) < 0)
		snprintf(out, size, "error");
	for (size_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(out + off, size - off, "%s%s",
					i ? " " : "", v[i].name);
	keypairs_free(v, n);
	store_rollback(tx);
}

static void
test_disk_full(struct store *s)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, true, &e);
	char *big = malloc(1 << 20), got[256];
	struct keypair k = kp("key-1", "before", (char *)"ssh-ed25519 AAAA");

	CHECK(store_keypair_insert(tx, &k, &e) == 0 &&
		  store_commit(tx, &e) == 0,
	      "seed: %s", e.message);
	memset(big, 'A', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	/* The disk holds no page more than the database has now. */
	tx = store_begin(s, true, &e);
	CHECK(sqlite3_exec(tx->c->db, "PRAGMA max_page_count = 1", NULL, NULL,
			   NULL) == SQLITE_OK,
	      "max_page_count");
	k = kp("key-2", "after", big);
	CHECK(store_keypair_insert(tx, &k, &e) < 0 &&
		  strcmp(e.code, "InternalError") == 0 &&
		  strstr(e.message, "the disk is full"),
	      "full disk: %s %s", e.code, e.message);
	sqlite3_exec(tx->c->db, "PRAGMA max_page_count = 1073741823", NULL,
		     NULL, NULL);
	store_rollback(tx);
	names(s, got, sizeof(got));
	CHECK_STR(got, "before");
	free(big);
}

static void
test_busy(struct store *s, const char *dir)
{
	struct err e = {"", ""};
	struct store_tx *tx;
	sqlite3 *other = NULL;
	char path[512], got[256];

	/* Another process holds the write lock past the busy timeout. */
	snprintf(path, sizeof(path), "%s/ec2d.db", dir);
	CHECK(sqlite3_open(path, &other) == SQLITE_OK, "open other");
	CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE; DELETE FROM key_pairs;",
			   NULL, NULL, NULL) == SQLITE_OK,
	      "other takes the lock");
	store_busy_timeout(s, 50);
	tx = store_begin(s, true, &e);
	CHECK(tx == NULL && strcmp(e.code, "InternalError") == 0 &&
		  strstr(e.message, "the database is busy"),
	      "busy: %s %s", e.code, e.message);
	store_rollback(tx);
	/* Readers still see the last committed state meanwhile. */
	names(s, got, sizeof(got));
	CHECK_STR(got, "before");
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	store_busy_timeout(s, 10000);
	names(s, got, sizeof(got));
	CHECK_STR(got, "before");
	tx = store_begin(s, true, &e);
	CHECK(tx != NULL, "writes again once the lock is free");
	store_rollback(tx);
}

static void
test_idem_expiry(struct store *s)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, true, &e);
	char *hash = NULL, *body = NULL, token[32];
	struct instance in;
	size_t n = 0;

	CHECK(store_idem_put(tx, "AK", "RunInstances", "tok", "h1", "<a/>",
			     &e) == 0,
	      "put");
	/* A day and a minute ago. */
	CHECK(sqlite3_exec(tx->c->db,
			   "UPDATE idempotency SET created = created - 86460",
			   NULL, NULL, NULL) == SQLITE_OK,
	      "age it");
	CHECK(store_idem_get(tx, "AK", "RunInstances", "tok", &hash, &body,
			     &e) == 1,
	      "expired token is absent");
	CHECK(store_idem_put(tx, "AK", "RunInstances", "tok", "h2", "<b/>",
			     &e) == 0,
	      "the token may be used again");
	CHECK(store_idem_get(tx, "AK", "RunInstances", "tok", &hash, &body,
			     &e) == 0 &&
		  strcmp(hash, "h2") == 0,
	      "the new answer");
	free(hash);
	free(body);
	/* Still there after 23 hours. */
	sqlite3_exec(tx->c->db,
		     "UPDATE idempotency SET created = created - 82800", NULL,
		     NULL, NULL);
	CHECK(store_idem_get(tx, "AK", "RunInstances", "tok", &hash, &body,
			     &e) == 0,
	      "kept for 23 hours");
	free(hash);
	free(body);
	for (int i = 0; i < 150; i++) {
		snprintf(token, sizeof(token), "old-%d", i);
		store_idem_put(tx, "AK", "RunInstances", token, "h", "<c/>",
			       &e);
	}
	sqlite3_exec(tx->c->db,
		     "UPDATE idempotency SET created = created - 90000 "
		     "WHERE token LIKE 'old-%'",
		     NULL, NULL, NULL);
	CHECK(store_idem_prune(tx, time(NULL), 100, &n, &e) == 0 && n == 100,
	      "a bounded prune: %zu", n);
	CHECK(store_idem_prune(tx, time(NULL), 100, &n, &e) == 0 && n == 50,
	      "the rest: %zu", n);
	CHECK(store_idem_prune(tx, time(NULL), 100, &n, &e) == 0 && n == 0,
	      "the 23-hour-old token stays: %zu", n);
	store_commit(tx, &e);

	/* A RunInstances token lives as long as its instance, and 24 hours
	 * after the instance is deleted. */
	tx = store_begin(s, true, &e);
	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "i-1");
	snprintf(in.state, sizeof(in.state), "running");
	snprintf(in.client_token, sizeof(in.client_token), "run-tok");
	CHECK(store_idem_put(tx, "AK", "RunInstances", "run-tok", "h", "<r/>",
			     &e) == 0 &&
		  store_instance_insert(tx, &in, &e) == 0,
	      "launch: %s", e.message);
	sqlite3_exec(tx->c->db,
		     "UPDATE idempotency SET created = created - 90000 "
		     "WHERE token = 'run-tok'",
		     NULL, NULL, NULL);
	CHECK(store_idem_get(tx, "AK", "RunInstances", "run-tok", &hash, &body,
			     &e) == 0 &&
		  store_idem_prune(tx, time(NULL), 100, &n, &e) == 0 && n == 0,
	      "kept while its instance exists: %zu", n);
	free(hash);
	free(body);
	CHECK(store_instance_delete(tx, "i-1", &e) == 0 &&
		  store_idem_get(tx, "AK", "RunInstances", "run-tok", &hash,
				 &body, &e) == 0,
	      "kept after the instance is reaped");
	free(hash);
	free(body);
	store_commit(tx, &e);
}

static void
test_migrate_v3(void)
{
	char dir[] = "/tmp/ec2d-test-store-v3-XXXXXX", path[512];
	struct err e = {"", ""};
	struct store *s = NULL;
	struct store_tx *tx;
	struct instance i;
	struct event_row *ev = NULL;
	sqlite3 *db = NULL;
	size_t n = 0;
	bool ok = true;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/ec2d.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK, "open v3");
	for (int v = 0; v < 3; v++)
		ok = ok && sqlite3_exec(db, store_migrations[v], NULL, NULL,
					NULL) == SQLITE_OK;
	ok = ok &&
	     sqlite3_exec(db,
			  "PRAGMA user_version=3;"
			  "INSERT INTO instances VALUES ('i-1', 'r-1', 0, "
			  "'o', 'ami', 't3.micro', '', 'z', 'h', 'vpc', 'sn',"
			  " '10.0.0.4', 'm', 'stopped', 'rc', 'rm', "
			  "'User initiated (2026-12-07 20:00:00 GMT)', 1, 2, "
			  "0, 0, '', 0, 0, 'stop', 'optional', 1, 'enabled',"
			  " '', 0, '', 5, 'k', 'i', 'd', 'c', 8, '', 1);",
			  NULL, NULL, NULL) == SQLITE_OK;
	CHECK(ok, "v3 schema: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	CHECK(store_open(dir, &s, &e) == 0 &&
		  store_schema_version(s) == (int)store_migrations_count,
	      "migrate: %s", e.message);
	tx = s ? store_begin(s, false, &e) : NULL;
	CHECK(tx && store_instance_get(tx, "i-1", &i, &e) == 0 &&
		  strcmp(i.transition_reason,
			 "User initiated (2026-12-07 20:00:00 GMT)") == 0 &&
		  strcmp(i.state, "stopped") == 0 && i.state_time == 2,
	      "reason carried over");
	if (tx) {
		instance_clear(&i);
		CHECK(store_event_list(tx, "i-1", &ev, &n, &e) == 0 && n == 1 &&
			  strcmp(ev[0].to, "stopped") == 0,
		      "one event: %zu", n);
		free(ev);
	}
	store_rollback(tx);
	store_close(s);
	rm_dir(dir);
}

int
main(void)
{
	char dir[] = "/tmp/ec2d-test-store-fail-XXXXXX";
	struct store *s;
	struct err e = {"", ""};

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK(store_open(dir, &s, &e) == 0, "open: %s", e.message);
	test_disk_full(s);
	test_busy(s, dir);
	test_idem_expiry(s);
	store_close(s);
	rm_dir(dir);
	test_migrate_v3();
	return UNIT_DONE();
}
