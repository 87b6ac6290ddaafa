/*
 * migrations.c - the schema steps. See migrations.h. The SQL is kept
 * portable between SQLite and PostgreSQL (TEXT, INTEGER, no AUTOINCREMENT).
 */
#include "migrations.h"

/* clang-format off */
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

	/* 3: hosts, the default VPC's shape, instances. An instance row is
	 * both its desired state (state, boot, force_stop) and what was last
	 * observed (guest_ready, console, ran); the reconciler moves it
	 * along. Its boot files and key are copied in at launch: an
	 * instance outlives its AMI and its key pair, as in EC2. */
	"CREATE TABLE hosts ("
	"  id TEXT PRIMARY KEY, zone TEXT NOT NULL, vcpus INTEGER NOT NULL,"
	"  memory_mib INTEGER NOT NULL, gpus INTEGER NOT NULL,"
	"  state TEXT NOT NULL);"
	"CREATE TABLE vpcs ("
	"  id TEXT PRIMARY KEY, cidr TEXT NOT NULL, is_default INTEGER NOT NULL,"
	"  owner TEXT NOT NULL, vni INTEGER NOT NULL UNIQUE);"
	"CREATE TABLE subnets ("
	"  id TEXT PRIMARY KEY, vpc_id TEXT NOT NULL REFERENCES vpcs(id),"
	"  zone TEXT NOT NULL, cidr TEXT NOT NULL,"
	"  default_for_az INTEGER NOT NULL);"
	"CREATE TABLE instances ("
	"  id TEXT PRIMARY KEY, reservation_id TEXT NOT NULL,"
	"  launch_index INTEGER NOT NULL, owner TEXT NOT NULL,"
	"  image_id TEXT NOT NULL, type TEXT NOT NULL, key_name TEXT NOT NULL,"
	"  zone TEXT NOT NULL, host_id TEXT NOT NULL, vpc_id TEXT NOT NULL,"
	"  subnet_id TEXT NOT NULL, private_ip TEXT NOT NULL,"
	"  mac TEXT NOT NULL, state TEXT NOT NULL, reason_code TEXT NOT NULL,"
	"  reason_message TEXT NOT NULL, transition_reason TEXT NOT NULL,"
	"  launch_time INTEGER NOT NULL, state_time INTEGER NOT NULL,"
	"  boot INTEGER NOT NULL, force_stop INTEGER NOT NULL,"
	"  user_data TEXT NOT NULL, no_terminate INTEGER NOT NULL,"
	"  no_stop INTEGER NOT NULL, shutdown_behavior TEXT NOT NULL,"
	"  http_tokens TEXT NOT NULL, hop_limit INTEGER NOT NULL,"
	"  http_endpoint TEXT NOT NULL, client_token TEXT NOT NULL,"
	"  guest_ready INTEGER NOT NULL, console TEXT NOT NULL,"
	"  port_no INTEGER NOT NULL, kernel TEXT NOT NULL,"
	"  initrd TEXT NOT NULL, base_disk TEXT NOT NULL,"
	"  cmdline TEXT NOT NULL, root_gib INTEGER NOT NULL,"
	"  public_key TEXT NOT NULL, ran INTEGER NOT NULL);"
	"CREATE INDEX instances_subnet_ip ON instances(subnet_id, private_ip);",

	/* 4: the event log (every state change, from which an instance's
	 * transition reason is now read: existing instances get one event
	 * with their reason), indexes for the list queries' conditions and
	 * key orders, and the token table's expiry. */
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY, resource_id TEXT NOT NULL,"
	"  from_state TEXT NOT NULL, to_state TEXT NOT NULL,"
	"  reason TEXT NOT NULL, time INTEGER NOT NULL);"
	"CREATE INDEX events_resource ON events(resource_id, seq);"
	"INSERT INTO events(seq, resource_id, from_state, to_state, reason,"
	"  time) SELECT row_number() OVER (ORDER BY id), id, '', state,"
	"  transition_reason, state_time FROM instances;"
	"ALTER TABLE instances DROP COLUMN transition_reason;"
	"CREATE INDEX instances_reservation ON instances(reservation_id,"
	"  launch_index);"
	"CREATE INDEX instances_state ON instances(state);"
	"CREATE INDEX instances_zone ON instances(zone);"
	"CREATE INDEX instances_vpc ON instances(vpc_id);"
	"CREATE INDEX tags_key_value ON tags(key, value);"
	"CREATE INDEX instances_client_token ON instances(client_token);"
	"CREATE INDEX idempotency_created ON idempotency(created);"
	"CREATE INDEX idempotency_token ON idempotency(token);",
	/* 5: what RunInstances reads instead of every row: the room held
	 * per host and type (an index-only scan) and the highest port. */
	"CREATE INDEX instances_load ON instances(state, host_id, type);"
	"DROP INDEX instances_state;"
	"CREATE INDEX instances_port ON instances(port_no);",
	/* 6: a running instance whose guest QEMU holds paused on a disk
	 * error (a full disk): why, and since when ('' and 0 when not). */
	"ALTER TABLE instances ADD COLUMN impaired TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE instances ADD COLUMN impaired_since INTEGER NOT NULL"
	"  DEFAULT 0;",
};
/* clang-format on */

const size_t store_migrations_count =
    sizeof(store_migrations) / sizeof(store_migrations[0]);
