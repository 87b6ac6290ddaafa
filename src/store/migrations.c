/*
 * migrations.c - the schema steps. See migrations.h. The SQL is kept
 * portable between SQLite and PostgreSQL (TEXT, INTEGER, no AUTOINCREMENT).
 */
#include "migrations.h"

const char *const store_migrations[] = {
	/* 1: settings, access keys, resources, tags, key pairs, tokens. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE access_keys ("
	"  id TEXT PRIMARY KEY, secret TEXT NOT NULL,"
	"  account TEXT NOT NULL, user_name TEXT NOT NULL);"
	"CREATE TABLE resources ("
	"  id TEXT PRIMARY KEY, type TEXT NOT NULL);"
	"CREATE TABLE tags ("
	"  resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL, value TEXT NOT NULL,"
	"  PRIMARY KEY (resource_id, key));"
	"CREATE TABLE key_pairs ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL, fingerprint TEXT NOT NULL,"
	"  public_key TEXT NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE idempotency ("
	"  access_key TEXT NOT NULL, action TEXT NOT NULL, token TEXT NOT NULL,"
	"  hash TEXT NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL,"
	"  PRIMARY KEY (access_key, action, token));",

	/* 2: machine images. location is the manifest on the ec2d host; the
	 * file paths are filled in when the image reconciler has checked
	 * them and made the image available. */
	"CREATE TABLE images ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  description TEXT NOT NULL, location TEXT NOT NULL,"
	"  state TEXT NOT NULL, state_reason TEXT NOT NULL,"
	"  architecture TEXT NOT NULL, root_device TEXT NOT NULL,"
	"  boot_mode TEXT NOT NULL, owner TEXT NOT NULL,"
	"  public INTEGER NOT NULL, created INTEGER NOT NULL,"
	"  kernel TEXT NOT NULL, initrd TEXT NOT NULL, root TEXT NOT NULL,"
	"  cmdline TEXT NOT NULL, root_size_gib INTEGER NOT NULL);",
};

const size_t store_migrations_count =
	sizeof(store_migrations) / sizeof(store_migrations[0]);
