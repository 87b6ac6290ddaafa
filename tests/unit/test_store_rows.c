/*
 * test_store_rows.c - every row type the store keeps makes a round trip
 * (written, read back field for field, after a reopen), instance state
 * changes leave events (and StateTransitionReason is read from them), the
 * event log stays bounded and goes with its instance, and list queries
 * filter in SQL and page by key, also when rows are added between pages.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/access_keys.h"
#include "store/events.h"
#include "store/hosts.h"
#include "store/idem.h"
#include "store/images.h"
#include "store/instances.h"
#include "store/keypairs.h"
#include "store/meta.h"
#include "store/tags.h"
#include "store/vpcs.h"
#include "unit.h"
#include "tmpdir.h"

/* An instance with every field set to something its own. */
static void
inst(struct instance *i, const char *id, const char *res, int index,
     const char *state, const char *zone, const char *subnet)
{
	memset(i, 0, sizeof(*i));
	snprintf(i->id, sizeof(i->id), "%s", id);
	snprintf(i->reservation_id, sizeof(i->reservation_id), "%s", res);
	i->launch_index = index;
	snprintf(i->owner, sizeof(i->owner), "123456789012");
	snprintf(i->image_id, sizeof(i->image_id), "ami-0123456789abcdef0");
	snprintf(i->type, sizeof(i->type), "t3.micro");
	snprintf(i->key_name, sizeof(i->key_name), "k-%s", id);
	snprintf(i->zone, sizeof(i->zone), "%s", zone);
	snprintf(i->host_id, sizeof(i->host_id), "h-1");
	snprintf(i->vpc_id, sizeof(i->vpc_id), "vpc-1");
	snprintf(i->subnet_id, sizeof(i->subnet_id), "%s", subnet);
	snprintf(i->private_ip, sizeof(i->private_ip), "172.31.0.%u",
		 (unsigned char)(index + 4));
	snprintf(i->mac, sizeof(i->mac), "02:00:00:00:00:%02x", index);
	snprintf(i->state, sizeof(i->state), "%s", state);
	snprintf(i->reason_code, sizeof(i->reason_code), "rc");
	snprintf(i->reason_message, sizeof(i->reason_message), "rm");
	snprintf(i->transition_reason, sizeof(i->transition_reason), "tr");
	i->launch_time = 1795944406;
	i->state_time = 1795944407;
	i->boot = 3;
	i->force_stop = true;
	i->user_data = (char *)"dXNlcg==";
	i->no_terminate = true;
	i->no_stop = true;
	snprintf(i->shutdown_behavior, sizeof(i->shutdown_behavior), "stop");
	snprintf(i->http_tokens, sizeof(i->http_tokens), "required");
	i->hop_limit = 2;
	snprintf(i->http_endpoint, sizeof(i->http_endpoint), "enabled");
	snprintf(i->client_token, sizeof(i->client_token), "ct-%s", id);
	i->guest_ready = true;
	i->console = (char *)"Y29uc29sZQ==";
	i->port_no = index + 100;
	snprintf(i->kernel, sizeof(i->kernel), "/k");
	snprintf(i->initrd, sizeof(i->initrd), "/i");
	snprintf(i->base_disk, sizeof(i->base_disk), "/d");
	snprintf(i->cmdline, sizeof(i->cmdline), "console=ttyS0");
	i->root_gib = 8;
	i->public_key = (char *)"ssh-ed25519 AAAA";
	i->ran = true;
}

static bool
inst_same(const struct instance *a, const struct instance *b)
{
	return strcmp(a->id, b->id) == 0 &&
	       strcmp(a->reservation_id, b->reservation_id) == 0 &&
	       a->launch_index == b->launch_index &&
	       strcmp(a->owner, b->owner) == 0 &&
	       strcmp(a->image_id, b->image_id) == 0 &&
	       strcmp(a->type, b->type) == 0 &&
	       strcmp(a->key_name, b->key_name) == 0 &&
	       strcmp(a->zone, b->zone) == 0 &&
	       strcmp(a->host_id, b->host_id) == 0 &&
	       strcmp(a->vpc_id, b->vpc_id) == 0 &&
	       strcmp(a->subnet_id, b->subnet_id) == 0 &&
	       strcmp(a->private_ip, b->private_ip) == 0 &&
	       strcmp(a->mac, b->mac) == 0 && strcmp(a->state, b->state) == 0 &&
	       strcmp(a->reason_code, b->reason_code) == 0 &&
	       strcmp(a->reason_message, b->reason_message) == 0 &&
	       strcmp(a->transition_reason, b->transition_reason) == 0 &&
	       a->launch_time == b->launch_time &&
	       a->state_time == b->state_time && a->boot == b->boot &&
	       a->force_stop == b->force_stop &&
	       strcmp(a->user_data, b->user_data) == 0 &&
	       a->no_terminate == b->no_terminate && a->no_stop == b->no_stop &&
	       strcmp(a->shutdown_behavior, b->shutdown_behavior) == 0 &&
	       strcmp(a->http_tokens, b->http_tokens) == 0 &&
	       a->hop_limit == b->hop_limit &&
	       strcmp(a->http_endpoint, b->http_endpoint) == 0 &&
	       strcmp(a->client_token, b->client_token) == 0 &&
	       a->guest_ready == b->guest_ready &&
	       strcmp(a->console, b->console) == 0 &&
	       a->port_no == b->port_no && strcmp(a->kernel, b->kernel) == 0 &&
	       strcmp(a->initrd, b->initrd) == 0 &&
	       strcmp(a->base_disk, b->base_disk) == 0 &&
	       strcmp(a->cmdline, b->cmdline) == 0 &&
	       a->root_gib == b->root_gib &&
	       strcmp(a->public_key, b->public_key) == 0 && a->ran == b->ran;
}

static void
test_round_trips(struct store *s, const char *dir, struct store **reopened)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, true, &e);
	struct access_key ak = {"AKID1", "secret", "123456789012", "alice"};
	struct access_key ak2;
	struct image im = {.id = "ami-1",
			   .name = "n",
			   .description = "d",
			   .location = "/m.json",
			   .state = "available",
			   .state_reason = "sr",
			   .architecture = "x86_64",
			   .root_device = "/dev/xvda",
			   .boot_mode = "bios",
			   .owner = "123456789012",
			   .public = true,
			   .created = 1795944406,
			   .kernel = "/k",
			   .initrd = "/i",
			   .root = "/r",
			   .cmdline = "c",
			   .root_size_gib = 8};
	struct image im2;
	struct host_row h = {"h-1", "z-1a", 64, 65536, 1, "available"};
	struct vpc_row vpc = {"vpc-1", "172.31.0.0/16", true, "1234", 7};
	struct subnet_row sub = {"subnet-1", "vpc-1", "z-1a", "172.31.0.0/20",
				 true};
	struct host_row *hl = NULL;
	struct vpc_row *vl = NULL;
	struct subnet_row *sl = NULL;
	struct image *il = NULL;
	struct instance i, got;
	struct event_row *ev = NULL;
	char *hash = NULL, *body = NULL, val[16];
	size_t n = 0;

	CHECK(tx != NULL, "begin: %s", e.message);
	inst(&i, "i-0000000000000000a", "r-1", 0, "pending", "z-1a",
	     "subnet-1");
	CHECK(store_meta_set(tx, "k", "v", &e) == 0 &&
		  store_access_key_put(tx, &ak, &e) == 0 &&
		  store_image_insert(tx, &im, &e) == 0 &&
		  store_host_put(tx, &h, &e) == 0 &&
		  store_vpc_insert(tx, &vpc, &e) == 0 &&
		  store_subnet_insert(tx, &sub, &e) == 0 &&
		  store_instance_insert(tx, &i, &e) == 0 &&
		  store_idem_put(tx, "AKID1", "RunInstances", "t", "h", "<b/>",
				 &e) == 0,
	      "writes: %s", e.message);
	CHECK(store_commit(tx, &e) == 0, "commit: %s", e.message);
	store_close(s);
	CHECK(store_open(dir, &s, &e) == 0, "reopen: %s", e.message);
	*reopened = s;

	tx = store_begin(s, false, &e);
	CHECK(store_meta_get(tx, "k", val, sizeof(val), &e) == 0 &&
		  strcmp(val, "v") == 0,
	      "meta");
	CHECK(store_access_key_get(tx, "AKID1", &ak2, &e) == 0 &&
		  memcmp(&ak, &ak2, sizeof(ak)) == 0 &&
		  strcmp(ak2.user, "alice") == 0,
	      "access key");
	memset(&im2, 0, sizeof(im2));
	CHECK(store_image_get(tx, "ami-1", &im2, &e) == 0 &&
		  memcmp(&im, &im2, sizeof(im)) == 0,
	      "image round trip");
	CHECK(store_image_list(tx, &il, &n, &e) == 0 && n == 1 &&
		  memcmp(&il[0], &im, sizeof(im)) == 0,
	      "image list");
	free(il);
	CHECK(store_host_list(tx, &hl, &n, &e) == 0 && n == 1 &&
		  memcmp(&hl[0], &h, sizeof(h)) == 0,
	      "host");
	free(hl);
	CHECK(store_vpc_list(tx, &vl, &n, &e) == 0 && n == 1 &&
		  memcmp(&vl[0], &vpc, sizeof(vpc)) == 0,
	      "vpc");
	free(vl);
	CHECK(store_subnet_list(tx, &sl, &n, &e) == 0 && n == 1 &&
		  memcmp(&sl[0], &sub, sizeof(sub)) == 0,
	      "subnet");
	free(sl);
	CHECK(store_instance_get(tx, i.id, &got, &e) == 0 &&
		  inst_same(&i, &got),
	      "instance round trip");
	instance_clear(&got);
	CHECK(store_event_list(tx, i.id, &ev, &n, &e) == 0 && n == 1 &&
		  strcmp(ev[0].from, "") == 0 &&
		  strcmp(ev[0].to, "pending") == 0 &&
		  strcmp(ev[0].reason, "tr") == 0 && ev[0].time == 1795944407,
	      "the insert's event: %zu", n);
	free(ev);
	CHECK(store_idem_get(tx, "AKID1", "RunInstances", "t", &hash, &body,
			     &e) == 0 &&
		  strcmp(hash, "h") == 0 && strcmp(body, "<b/>") == 0,
	      "idem");
	free(hash);
	free(body);
	store_rollback(tx);
}

static int
set_state(struct store *s, const char *id, const char *state,
	  const char *reason, time_t when)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, true, &e);
	struct instance i;
	int rc = -1;

	if (tx && store_instance_get(tx, id, &i, &e) == 0) {
		snprintf(i.state, sizeof(i.state), "%s", state);
		snprintf(i.transition_reason, sizeof(i.transition_reason), "%s",
			 reason);
		i.state_time = when;
		rc = store_instance_update(tx, &i, &e);
		instance_clear(&i);
	}
	if (rc == 0)
		rc = store_commit(tx, &e);
	else
		store_rollback(tx);
	return rc;
}

static void
test_events(struct store *s)
{
	static const char id[] = "i-0000000000000000a";
	static const char why[] = "User initiated (2026-12-07 20:00:00 GMT)";
	struct err e = {"", ""};
	struct store_tx *tx;
	struct event_row *ev = NULL;
	struct instance i;
	size_t n = 0;

	CHECK(set_state(s, id, "running", "", 1795944500) == 0, "to running");
	CHECK(set_state(s, id, "running", "", 1795944500) == 0, "no change");
	CHECK(set_state(s, id, "stopping", why, 1795944600) == 0,
	      "to stopping");
	tx = store_begin(s, false, &e);
	CHECK(store_event_list(tx, id, &ev, &n, &e) == 0 && n == 3 &&
		  strcmp(ev[1].from, "pending") == 0 &&
		  strcmp(ev[1].to, "running") == 0 &&
		  ev[1].time == 1795944500 &&
		  strcmp(ev[2].from, "running") == 0 &&
		  strcmp(ev[2].to, "stopping") == 0 &&
		  strcmp(ev[2].reason, why) == 0 && ev[1].seq < ev[2].seq,
	      "events of the state changes only: %zu", n);
	free(ev);
	CHECK(store_instance_get(tx, id, &i, &e) == 0 &&
		  strcmp(i.transition_reason, why) == 0,
	      "transition reason from the latest event: %s",
	      i.transition_reason);
	instance_clear(&i);
	store_rollback(tx);

	/* A busy instance keeps only its latest events. */
	for (int k = 0; k < STORE_EVENTS_KEEP + 10; k++)
		set_state(s, id, k % 2 ? "stopped" : "pending", "",
			  1795945000 + k);
	tx = store_begin(s, false, &e);
	CHECK(store_event_list(tx, id, &ev, &n, &e) == 0 &&
		  n == STORE_EVENTS_KEEP &&
		  ev[n - 1].time == 1795945000 + STORE_EVENTS_KEEP + 9,
	      "bounded log: %zu", n);
	free(ev);
	store_rollback(tx);

	/* Deleting the instance deletes its events. */
	tx = store_begin(s, true, &e);
	CHECK(store_instance_delete(tx, id, &e) == 0 &&
		  store_event_list(tx, id, &ev, &n, &e) == 0 && n == 0,
	      "events go with the instance: %zu", n);
	free(ev);
	store_commit(tx, &e);
}

static int
add(struct store *s, const char *id, const char *res, int index,
    const char *state, const char *zone, const char *team)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, true, &e);
	struct instance i;
	int rc;

	inst(&i, id, res, index, state, zone, "subnet-1");
	rc = store_instance_insert(tx, &i, &e);
	if (rc == 0 && team)
		rc = store_tag_put(tx, id, "team", team, &e);
	if (rc == 0)
		return store_commit(tx, &e);
	store_rollback(tx);
	return rc;
}

/* Ids of a query's rows, joined by spaces. */
static void
query_ids(struct store *s, const struct instance_query *q, char *out,
	  size_t size)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, false, &e);
	struct instance *v = NULL;
	size_t n = 0, off = 0;

	out[0] = '\0';
	if (store_instance_query(tx, q, &v, &n, &e) < 0)
		snprintf(out, size, "error: %.200s", e.message);
	for (size_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(out + off, size - off, "%s%s",
					i ? " " : "", v[i].id);
	instances_free(v, n);
	store_rollback(tx);
}

#define VALUES(...)                                                            \
	((struct store_values){(const char *const[]){__VA_ARGS__},             \
			       sizeof((const char *const[]){__VA_ARGS__}) /    \
				   sizeof(const char *)})

static void
test_queries(struct store *s)
{
	struct store_tag_match team_a = {"team", VALUES("a")};
	struct store_tag_match any_team = {"team", {NULL, 0}};
	struct instance_query q;
	char got[512];

	/* Reservation order differs from id order on purpose. */
	CHECK(add(s, "i-01", "r-b", 0, "running", "z-1a", "a") == 0 &&
		  add(s, "i-02", "r-a", 1, "running", "z-1b", "b") == 0 &&
		  add(s, "i-03", "r-a", 0, "stopped", "z-1a", "a") == 0 &&
		  add(s, "i-04", "r-c", 0, "running", "z-1a", NULL) == 0 &&
		  add(s, "i-05", "r-d", 0, "pending", "z-1b", "a") == 0,
	      "seed");
	memset(&q, 0, sizeof(q));
	q.order = INSTANCE_BY_RESERVATION;
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-03 i-02 i-01 i-04 i-05");
	q.order = INSTANCE_BY_ID;
	q.states = VALUES("running", "pending");
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-01 i-02 i-04 i-05");
	q.zones = VALUES("z-1a");
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-01 i-04");
	memset(&q, 0, sizeof(q));
	q.tags = &team_a;
	q.ntags = 1;
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-01 i-03 i-05");
	q.tags = &any_team;
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-01 i-02 i-03 i-05");
	memset(&q, 0, sizeof(q));
	q.ids = VALUES("i-04", "i-02", "i-99");
	q.vpcs = VALUES("vpc-1");
	q.subnets = VALUES("subnet-1");
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-02 i-04");
	q.subnets = VALUES("subnet-2");
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "");

	/* Keyset pages: rows added before the cursor are not seen, rows
	 * after it are, and none repeats. */
	memset(&q, 0, sizeof(q));
	q.order = INSTANCE_BY_RESERVATION;
	q.limit = 2;
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-03 i-02");
	CHECK(add(s, "i-06", "r-a", 2, "running", "z-1a", NULL) == 0 &&
		  add(s, "i-07", "r-0", 0, "running", "z-1a", NULL) == 0 &&
		  add(s, "i-08", "r-bb", 0, "running", "z-1a", NULL) == 0,
	      "insert between pages");
	q.after_reservation = "r-a";
	q.after_index = 1;
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-06 i-01");
	q.after_reservation = "r-b";
	q.after_index = 0;
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-08 i-04");
	q.after_reservation = "r-c";
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-05");
	memset(&q, 0, sizeof(q));
	q.after_id = "i-05";
	q.limit = 2;
	query_ids(s, &q, got, sizeof(got));
	CHECK_STR(got, "i-06 i-07");
}

static void
test_keypair_query(struct store *s)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, true, &e);
	struct store_tag_match env = {"env", VALUES("prod")};
	struct keypair_query q;
	struct keypair *v = NULL;
	size_t n = 0;

	for (int i = 0; i < 5; i++) {
		struct keypair k = {.created = 1795944406};

		snprintf(k.id, sizeof(k.id), "key-%d", i);
		snprintf(k.name, sizeof(k.name), "name-%d", 4 - i);
		snprintf(k.type, sizeof(k.type), i % 2 ? "rsa" : "ed25519");
		snprintf(k.fingerprint, sizeof(k.fingerprint), "fp%d", i);
		k.public_key = (char *)"ssh-ed25519 AAAA";
		CHECK(store_keypair_insert(tx, &k, &e) == 0, "kp %d", i);
		if (i >= 3)
			store_tag_put(tx, k.id, "env", "prod", &e);
	}
	memset(&q, 0, sizeof(q));
	q.types = VALUES("rsa");
	CHECK(store_keypair_query(tx, &q, &v, &n, &e) == 0 && n == 2 &&
		  strcmp(v[0].name, "name-1") == 0 &&
		  strcmp(v[1].name, "name-3") == 0,
	      "by type, in name order: %zu", n);
	keypairs_free(v, n);
	q.tags = &env;
	q.ntags = 1;
	CHECK(store_keypair_query(tx, &q, &v, &n, &e) == 0 && n == 1 &&
		  strcmp(v[0].id, "key-3") == 0,
	      "by type and tag: %zu", n);
	keypairs_free(v, n);
	memset(&q, 0, sizeof(q));
	q.names = VALUES("name-0", "name-4");
	q.after = "name-0";
	CHECK(store_keypair_query(tx, &q, &v, &n, &e) == 0 && n == 1 &&
		  strcmp(v[0].id, "key-0") == 0,
	      "by name after a key: %zu", n);
	keypairs_free(v, n);
	store_rollback(tx);
}

/* What RunInstances reads instead of every row: load, addresses, port. */
static void
test_placement_reads(void)
{
	char dir[] = "/tmp/ec2d-test-store-place-XXXXXX";
	static const struct {
		const char *id, *state, *host, *type, *subnet;
		int index;
	} rows[] = {
	    {"i-1", "running", "h-1", "t3.micro", "subnet-1", 0},
	    {"i-2", "pending", "h-1", "t3.micro", "subnet-1", 1},
	    {"i-3", "stopping", "h-1", "c6i.large", "subnet-1", 2},
	    {"i-4", "stopped", "h-1", "t3.micro", "subnet-1", 3},
	    {"i-5", "terminated", "h-2", "t3.micro", "subnet-1", 4},
	    {"i-6", "shutting-down", "h-2", "t3.micro", "subnet-2", 40},
	};
	struct err e = {"", ""};
	struct store *s;
	struct store_tx *tx;
	struct instance_load *load = NULL;
	struct instance_addr *addr = NULL;
	size_t nload = 0, naddr = 0;
	int port = -1;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK(store_open(dir, &s, &e) == 0, "open: %s", e.message);
	tx = store_begin(s, true, &e);
	CHECK(store_instance_port_max(tx, &port, &e) == 0 && port == 0,
	      "port max of no rows: %d", port);
	CHECK(store_instance_load(tx, &load, &nload, &e) == 0 && nload == 0,
	      "load of no rows: %zu", nload);
	free(load);
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		struct instance i;

		inst(&i, rows[k].id, "r-1", rows[k].index, rows[k].state,
		     "us-east-1a", rows[k].subnet);
		snprintf(i.host_id, sizeof(i.host_id), "%s", rows[k].host);
		snprintf(i.type, sizeof(i.type), "%s", rows[k].type);
		CHECK(store_instance_insert(tx, &i, &e) == 0, "insert %s: %s",
		      rows[k].id, e.message);
	}
	/* Stopped and terminated rows hold no room; the others count by
	 * host and type. */
	CHECK(store_instance_load(tx, &load, &nload, &e) == 0 && nload == 3,
	      "load rows: %zu", nload);
	if (nload == 3) {
		CHECK(strcmp(load[0].host_id, "h-1") == 0 &&
			  strcmp(load[0].type, "c6i.large") == 0 &&
			  load[0].count == 1,
		      "load 0: %s %s %u", load[0].host_id, load[0].type,
		      load[0].count);
		CHECK(strcmp(load[1].host_id, "h-1") == 0 &&
			  strcmp(load[1].type, "t3.micro") == 0 &&
			  load[1].count == 2,
		      "load 1: %s %s %u", load[1].host_id, load[1].type,
		      load[1].count);
		CHECK(strcmp(load[2].host_id, "h-2") == 0 &&
			  strcmp(load[2].type, "t3.micro") == 0 &&
			  load[2].count == 1,
		      "load 2: %s %s %u", load[2].host_id, load[2].type,
		      load[2].count);
	}
	free(load);
	/* Every row of the subnet holds its address, terminated included. */
	CHECK(store_instance_addresses(tx, "subnet-1", &addr, &naddr, &e) ==
		      0 &&
		  naddr == 5,
	      "subnet-1 addresses: %zu", naddr);
	if (naddr == 5)
		CHECK(strcmp(addr[0].ip, "172.31.0.4") == 0 &&
			  strcmp(addr[4].ip, "172.31.0.8") == 0,
		      "addresses: %s .. %s", addr[0].ip, addr[4].ip);
	free(addr);
	CHECK(store_instance_addresses(tx, "subnet-9", &addr, &naddr, &e) ==
		      0 &&
		  naddr == 0,
	      "an empty subnet: %zu", naddr);
	free(addr);
	CHECK(store_instance_port_max(tx, &port, &e) == 0 && port == 140,
	      "port max: %d", port);
	store_rollback(tx);
	store_close(s);
	rm_dir(dir);
}

int
main(void)
{
	char dir[] = "/tmp/ec2d-test-store-rows-XXXXXX";
	struct store *s;
	struct err e = {"", ""};

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK(store_open(dir, &s, &e) == 0, "open: %s", e.message);
	test_round_trips(s, dir, &s);
	test_events(s);
	test_queries(s);
	test_keypair_query(s);
	test_placement_reads();
	store_close(s);
	rm_dir(dir);
	return UNIT_DONE();
}
