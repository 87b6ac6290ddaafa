/*
 * test_store.c - the SQLite store: migrations at open (and again at a
 * reopen), key pairs with their unique names, the resource registry and
 * tags, idempotency records, rollback, and that a reopened store keeps
 * everything.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/idem.h"
#include "store/keypairs.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store/tags.h"
#include "unit.h"
#include "tmpdir.h"

static struct keypair
kp(const char *id, const char *name)
{
	struct keypair k = {.created = 1795944406};

	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.name, sizeof(k.name), "%s", name);
	snprintf(k.type, sizeof(k.type), "ed25519");
	snprintf(k.fingerprint, sizeof(k.fingerprint), "fp-%s", name);
	k.public_key = (char *)"ssh-ed25519 AAAA";
	return k;
}

int
main(void)
{
	char dir[] = "/tmp/ec2d-test-store-XXXXXX", type[32], val[64];
	struct store *s;
	struct store_tx *tx;
	struct err e = {"", ""};
	struct keypair k, *list = NULL;
	struct tags t;
	struct tagged *all = NULL;
	char *hash = NULL, *body = NULL;
	size_t n = 0;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK(store_open(dir, &s, &e) == 0, "open: %s", e.message);
	CHECK(store_schema_version(s) == (int)store_migrations_count,
	      "schema version %d", store_schema_version(s));

	tx = store_begin(s, true, &e);
	k = kp("key-00000000000000001", "alpha");
	CHECK(store_keypair_insert(tx, &k, &e) == 0, "insert: %s", e.message);
	k = kp("key-00000000000000002", "beta");
	CHECK(store_keypair_insert(tx, &k, &e) == 0, "insert 2");
	k = kp("key-00000000000000003", "alpha");
	CHECK(store_keypair_insert(tx, &k, &e) < 0 &&
		  strcmp(e.code, "InvalidKeyPair.Duplicate") == 0,
	      "duplicate name: %s", e.code);
	CHECK(store_tag_put(tx, "key-00000000000000001", "env", "prod", &e) ==
		  0,
	      "tag");
	CHECK(store_tag_put(tx, "key-00000000000000001", "env", "test", &e) ==
		  0,
	      "tag overwrite");
	CHECK(store_tag_put(tx, "key-00000000000000002", "a", "1", &e) == 0,
	      "tag 2");
	CHECK(store_idem_put(tx, "AK", "RunInstances", "tok", "h1", "<x/>",
			     &e) == 0,
	      "idem put");
	CHECK(store_commit(tx, &e) == 0, "commit: %s", e.message);

	/* A rolled-back write is gone. */
	tx = store_begin(s, true, &e);
	store_meta_set(tx, "gone", "yes", &e);
	store_rollback(tx);

	store_close(s);
	CHECK(store_open(dir, &s, &e) == 0, "reopen: %s", e.message);
	tx = store_begin(s, false, &e);
	CHECK(store_meta_get(tx, "gone", val, sizeof(val), &e) == 1,
	      "rollback kept a write");
	CHECK(store_keypair_list(tx, &list, &n, &e) == 0 && n == 2 &&
		  strcmp(list[0].name, "alpha") == 0 &&
		  strcmp(list[1].name, "beta") == 0 &&
		  strcmp(list[0].public_key, "ssh-ed25519 AAAA") == 0 &&
		  list[0].created == 1795944406,
	      "list after reopen: %zu", n);
	keypairs_free(list, n);
	memset(&k, 0, sizeof(k));
	CHECK(store_keypair_get(tx, "beta", NULL, &k, &e) == 0 &&
		  strcmp(k.id, "key-00000000000000002") == 0,
	      "get by name");
	keypair_clear(&k);
	CHECK(store_keypair_get(tx, NULL, "key-00000000000000001", &k, &e) ==
		      0 &&
		  strcmp(k.name, "alpha") == 0,
	      "get by id");
	keypair_clear(&k);
	CHECK(store_keypair_get(tx, "nope", NULL, &k, &e) == 1, "absent");
	CHECK(store_resource_type(tx, "key-00000000000000001", type,
				  sizeof(type), &e) == 0 &&
		  strcmp(type, "key-pair") == 0,
	      "registry");
	CHECK(store_tags_get(tx, "key-00000000000000001", &t, &e) == 0 &&
		  t.n == 1 && strcmp(t.v[0].value, "test") == 0,
	      "tags after reopen");
	tags_free(&t);
	CHECK(store_tags_all(tx, &all, &n, &e) == 0 && n == 2 &&
		  strcmp(all[0].resource_type, "key-pair") == 0,
	      "all tags");
	tagged_free(all, n);
	CHECK(store_idem_get(tx, "AK", "RunInstances", "tok", &hash, &body,
			     &e) == 0 &&
		  strcmp(hash, "h1") == 0 && strcmp(body, "<x/>") == 0,
	      "idem get");
	free(hash);
	free(body);
	CHECK(store_idem_get(tx, "AK2", "RunInstances", "tok", &hash, &body,
			     &e) == 1,
	      "tokens are per access key");
	store_rollback(tx);

	/* Deleting a key pair takes its registry entry and tags along. */
	tx = store_begin(s, true, &e);
	CHECK(store_tag_delete(tx, "key-00000000000000002", "a", "2", &e) == 0,
	      "delete with another value");
	CHECK(store_tags_count(tx, "key-00000000000000002", &n, &e) == 0 &&
		  n == 1,
	      "a value mismatch deletes nothing");
	CHECK(store_keypair_delete(tx, "key-00000000000000002", &e) == 0,
	      "delete");
	CHECK(store_tags_count(tx, "key-00000000000000002", &n, &e) == 0 &&
		  n == 0,
	      "tags deleted with the key pair");
	CHECK(store_resource_type(tx, "key-00000000000000002", type,
				  sizeof(type), &e) == 1,
	      "registry entry deleted");
	CHECK(store_commit(tx, &e) == 0, "commit");
	store_close(s);
	rm_dir(dir);
	return UNIT_DONE();
}
