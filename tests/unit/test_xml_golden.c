/*
 * test_xml_golden.c - the EC2 XML of every Describe action (and
 * GetConsoleOutput) for a fixed store, byte for byte.
 *
 * A store in a temporary folder gets fixed rows: hosts, the default VPC and
 * its subnets, key pairs, images and instances in every state, with tags.
 * Each request is signed as a client signs it and goes through
 * api_handle(), so decoding, routing and rendering are all covered. The
 * reply body must equal tests/data/xml/<name>.xml with the requestId (and
 * GetConsoleOutput's timestamp, which is the time of the call) masked.
 * UPDATE_GOLDEN=1 rewrites the files instead; review the diff.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/router.h"
#include "store/hosts.h"
#include "store/images.h"
#include "store/instances.h"
#include "store/keypairs.h"
#include "store/tags.h"
#include "store/vpcs.h"
#include "common/b64.h"
#include "signed_call.h"
#include "unit.h"
#include "golden.h"

#define GOLDEN_DIR "../data/xml/"
#define ACCOUNT	   "123456789012"
#define KEY_ID	   "AKIDGOLDEN0000000001"
#define SECRET	   "golden/secret/key/for/unit/tests/000000"
#define T0	   1795944406 /* 2026-11-30T07:26:46Z */

#define VPC	 "vpc-0a1b2c3d4e5f60718"
#define SUBNET_A "subnet-0aaaaaaaaaaaaaaa1"
#define SUBNET_B "subnet-0bbbbbbbbbbbbbbb2"
#define SUBNET_C "subnet-0ccccccccccccccc3"
#define AMI_1	 "ami-0123456789abcdef0"
#define AMI_2	 "ami-0fedcba9876543210"
#define KEY_1	 "key-0a0a0a0a0a0a0a0a1"
#define KEY_2	 "key-0b0b0b0b0b0b0b0b2"

/* tests/data/keymat/ed25519.pub and its fingerprint. */
#define PUB_ED25519                                                            \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGvVxwRycRD7MNt6SECsIM2Gw0Y"     \
	"jYrYXoyDoEQ+9WzQ golden ed25519"
#define FP_ED25519 "Lrb+bwbRnjep9J5TLfDrD6tUUzyOXwhJuTgvEtv0sCQ="

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define V	"2016-11-15"

static struct store *store;

/* Writes each row of the fixed store; any failure fails the test. */
static void
put(int rc, const char *what, const struct err *e)
{
	CHECK(rc == 0, "fill %s: %s", what, e->message);
}

static void
fill_network(struct store_tx *tx, struct err *e)
{
	static const struct {
		const char *id, *zone;
	} hosts[] = {
	    {"use1-az1-h1", "us-east-1a"},
	    {"use1-az2-h1", "us-east-1b"},
	    {"use1-az3-h1", "us-east-1c"},
	};
	static const struct {
		const char *id, *zone, *cidr;
	} subnets[] = {
	    {SUBNET_A, "us-east-1a", "172.31.0.0/20"},
	    {SUBNET_B, "us-east-1b", "172.31.16.0/20"},
	    {SUBNET_C, "us-east-1c", "172.31.32.0/20"},
	};
	struct vpc_row vpc = {VPC, "172.31.0.0/16", true, ACCOUNT, 1};

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct host_row h = {
		    .vcpus = 64, .memory_mib = 262144, .gpus = 0};

		snprintf(h.id, sizeof(h.id), "%s", hosts[i].id);
		snprintf(h.zone, sizeof(h.zone), "%s", hosts[i].zone);
		snprintf(h.state, sizeof(h.state), "available");
		put(store_host_put(tx, &h, e), "host", e);
	}
	put(store_vpc_insert(tx, &vpc, e), "vpc", e);
	for (size_t i = 0; i < sizeof(subnets) / sizeof(subnets[0]); i++) {
		struct subnet_row s = {.default_for_az = true};

		snprintf(s.id, sizeof(s.id), "%s", subnets[i].id);
		snprintf(s.vpc_id, sizeof(s.vpc_id), "%s", VPC);
		snprintf(s.zone, sizeof(s.zone), "%s", subnets[i].zone);
		snprintf(s.cidr, sizeof(s.cidr), "%s", subnets[i].cidr);
		put(store_subnet_insert(tx, &s, e), "subnet", e);
	}
}

static void
fill_keys_images(struct store_tx *tx, struct err *e)
{
	struct keypair k1 = {.id = KEY_1,
			     .name = "golden-ed25519",
			     .type = "ed25519",
			     .fingerprint = FP_ED25519,
			     .public_key = (char *)PUB_ED25519,
			     .created = T0 - 86400};
	struct keypair k2 = {.id = KEY_2,
			     .name = "golden-rsa & <friends>",
			     .type = "rsa",
			     .fingerprint = "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:"
					    "37:2d:7d:b8:ca:9f:f5:f1:6f",
			     .public_key = (char *)"ssh-rsa AAAAB3NzaC1yc2E= x",
			     .created = T0 - 3600};
	struct image im1 = {
	    .id = AMI_1,
	    .name = "golden-linux-2026.11",
	    .description = "The default image, \"golden\"",
	    .location = "/var/lib/ec2d/images/default/image.json",
	    .state = "available",
	    .architecture = "x86_64",
	    .root_device = "/dev/xvda",
	    .boot_mode = "legacy-bios",
	    .owner = ACCOUNT,
	    .public = true,
	    .created = T0 - 7 * 86400,
	    .kernel = "/var/lib/ec2d/images/default/vmlinuz",
	    .initrd = "/var/lib/ec2d/images/default/initrd",
	    .root = "/var/lib/ec2d/images/default/root.qcow2",
	    .cmdline = "console=ttyS0",
	    .root_size_gib = 8,
	};
	struct image im2 = {
	    .id = AMI_2,
	    .name = "golden-broken",
	    .description = "",
	    .location = "/var/lib/ec2d/images/broken/image.json",
	    .state = "failed",
	    .state_reason = "the manifest names no kernel",
	    .architecture = "x86_64",
	    .root_device = "/dev/xvda",
	    .boot_mode = "legacy-bios",
	    .owner = ACCOUNT,
	    .public = false,
	    .created = T0 - 2 * 86400,
	};

	put(store_keypair_insert(tx, &k1, e), "key pair 1", e);
	put(store_keypair_insert(tx, &k2, e), "key pair 2", e);
	put(store_tag_put(tx, KEY_1, "Name", "golden key", e), "tag", e);
	put(store_tag_put(tx, KEY_1, "team", "a", e), "tag", e);
	put(store_image_insert(tx, &im1, e), "image 1", e);
	put(store_image_insert(tx, &im2, e), "image 2", e);
	put(store_tag_put(tx, AMI_1, "os", "linux", e), "tag", e);
}

/* One instance per state, in the three zones. */
static void
fill_instances(struct store_tx *tx, struct err *e)
{
	static const struct {
		const char *id, *state, *type, *zone, *host, *subnet, *ip;
		const char *key, *reason_code, *reason_msg, *transition;
		int index;
	} rows[] = {
	    {"i-0000000000000000a", "pending", "t3.micro", "us-east-1a",
	     "use1-az1-h1", SUBNET_A, "172.31.0.10", "golden-ed25519", "", "",
	     "", 0},
	    {"i-0000000000000000b", "running", "t3.micro", "us-east-1a",
	     "use1-az1-h1", SUBNET_A, "172.31.0.11", "golden-ed25519", "", "",
	     "", 1},
	    {"i-0000000000000000c", "stopping", "c6id.large", "us-east-1b",
	     "use1-az2-h1", SUBNET_B, "172.31.16.12", "",
	     "Client.UserInitiatedShutdown",
	     "Client.UserInitiatedShutdown: User initiated shutdown",
	     "User initiated (2026-11-30 07:20:00 GMT)", 0},
	    {"i-0000000000000000d", "stopped", "c6id.large", "us-east-1b",
	     "use1-az2-h1", SUBNET_B, "172.31.16.13", "",
	     "Client.UserInitiatedShutdown",
	     "Client.UserInitiatedShutdown: User initiated shutdown",
	     "User initiated (2026-11-30 07:21:00 GMT)", 0},
	    {"i-0000000000000000e", "shutting-down", "t3.micro", "us-east-1c",
	     "use1-az3-h1", SUBNET_C, "172.31.32.14", "",
	     "Client.UserInitiatedShutdown",
	     "Client.UserInitiatedShutdown: User initiated shutdown",
	     "User initiated (2026-11-30 07:22:00 GMT)", 0},
	    {"i-0000000000000000f", "terminated", "t3.micro", "us-east-1c",
	     "use1-az3-h1", SUBNET_C, "172.31.32.15", "",
	     "Client.UserInitiatedShutdown",
	     "Client.UserInitiatedShutdown: User initiated shutdown",
	     "User initiated (2026-11-30 07:23:00 GMT)", 0},
	};

	for (size_t n = 0; n < sizeof(rows) / sizeof(rows[0]); n++) {
		struct instance i = {
		    .launch_index = rows[n].index,
		    .launch_time = T0 - 600 + (time_t)n,
		    .state_time = T0 - 60 + (time_t)n,
		    .boot = 1,
		    .user_data = (char *)(n == 1 ? "I2Nsb3VkLWNvbmZpZwo=" : ""),
		    .no_terminate = n == 1,
		    .hop_limit = 2,
		    .guest_ready = n == 1,
		    .console = (char *)(n == 1 ? "Ym9vdGVkCmxvZ2luOiA=" : ""),
		    .port_no = (int)n + 1,
		    .root_gib = 8,
		    .public_key = (char *)(rows[n].key[0] ? PUB_ED25519 : ""),
		    .ran = n > 0,
		};

		snprintf(i.id, sizeof(i.id), "%s", rows[n].id);
		snprintf(i.reservation_id, sizeof(i.reservation_id), "%s",
			 n < 2 ? "r-0000000000000000a" : "r-0000000000000000c");
		if (n >= 2)
			i.reservation_id[18] = (char)('a' + n);
		snprintf(i.owner, sizeof(i.owner), ACCOUNT);
		snprintf(i.image_id, sizeof(i.image_id), AMI_1);
		snprintf(i.type, sizeof(i.type), "%s", rows[n].type);
		snprintf(i.key_name, sizeof(i.key_name), "%s", rows[n].key);
		snprintf(i.zone, sizeof(i.zone), "%s", rows[n].zone);
		snprintf(i.host_id, sizeof(i.host_id), "%s", rows[n].host);
		snprintf(i.vpc_id, sizeof(i.vpc_id), VPC);
		snprintf(i.subnet_id, sizeof(i.subnet_id), "%s",
			 rows[n].subnet);
		snprintf(i.private_ip, sizeof(i.private_ip), "%s", rows[n].ip);
		snprintf(i.mac, sizeof(i.mac), "02:00:00:00:00:%02zx", n + 1);
		snprintf(i.state, sizeof(i.state), "%s", rows[n].state);
		snprintf(i.reason_code, sizeof(i.reason_code), "%s",
			 rows[n].reason_code);
		snprintf(i.reason_message, sizeof(i.reason_message), "%s",
			 rows[n].reason_msg);
		snprintf(i.transition_reason, sizeof(i.transition_reason), "%s",
			 rows[n].transition);
		snprintf(i.shutdown_behavior, sizeof(i.shutdown_behavior),
			 n == 4 ? "terminate" : "stop");
		snprintf(i.http_tokens, sizeof(i.http_tokens),
			 n == 1 ? "required" : "optional");
		snprintf(i.http_endpoint, sizeof(i.http_endpoint), "enabled");
		snprintf(i.client_token, sizeof(i.client_token), "%s",
			 n == 0 ? "golden-token-1" : "");
		snprintf(i.kernel, sizeof(i.kernel), "%s", "/k");
		snprintf(i.initrd, sizeof(i.initrd), "%s", "/i");
		snprintf(i.base_disk, sizeof(i.base_disk), "%s", "/d");
		snprintf(i.cmdline, sizeof(i.cmdline), "console=ttyS0");
		put(store_instance_insert(tx, &i, e), rows[n].id, e);
	}
	put(store_tag_put(tx, "i-0000000000000000a", "Name", "web-1", e), "tag",
	    e);
	put(store_tag_put(tx, "i-0000000000000000b", "Name", "web-2", e), "tag",
	    e);
	put(store_tag_put(tx, "i-0000000000000000b", "team", "a", e), "tag", e);
	put(store_tag_put(tx, "i-0000000000000000d", "empty", "", e), "tag", e);
}

static void
fill(void)
{
	struct access_key k = {
	    .id = KEY_ID, .secret = SECRET, .account = ACCOUNT, .user = "root"};
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(store, true, &e);

	CHECK(tx != NULL, "store_begin: %s", e.message);
	if (!tx)
		return;
	put(store_access_key_put(tx, &k, &e), "access key", &e);
	fill_network(tx, &e);
	fill_keys_images(tx, &e);
	fill_instances(tx, &e);
	CHECK(store_commit(tx, &e) == 0, "commit: %s", e.message);
}

/* Replace the text of every <tag>...</tag> with MASKED. */
static void
mask(struct buf *out, const char *body, const char *tag)
{
	char open[64], close[64];
	const char *p = body, *a, *z;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	while ((a = strstr(p, open)) && (z = strstr(a, close))) {
		a += strlen(open);
		buf_add(out, p, (size_t)(a - p));
		buf_adds(out, "MASKED");
		p = z;
	}
	buf_adds(out, p);
}

static void
golden(struct api *a, const char *name, const char *const *kv,
       const char *const *masks)
{
	const struct signed_key key = {KEY_ID, SECRET, "us-east-1"};
	struct api_reply rep;
	char path[256], *body;
	struct buf masked;
	size_t len;
	int status = signed_call(a, &key, kv, &rep);

	CHECK(status == 200, "%s: status %d %s: %.*s", name, status, rep.code,
	      (int)rep.len, rep.body ? rep.body : "");
	if (status < 0)
		return;
	body = rep.body;
	for (size_t m = 0; masks[m]; m++) {
		buf_init(&masked, 0);
		mask(&masked, body, masks[m]);
		if (body != rep.body)
			free(body);
		body = buf_steal(&masked, &len);
	}
	if (body == rep.body)
		body = strdup(rep.body);
	len = strlen(body);
	api_reply_free(&rep);
	snprintf(path, sizeof(path), GOLDEN_DIR "%s.xml", name);
	golden_check(path, body, len);
	free(body);
}

#define MASKS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
test_goldens(struct api *a)
{
	const char *const *rid = MASKS("requestId");

	golden(a, "DescribeRegions",
	       KV("Action", "DescribeRegions", "Version", V), rid);
	golden(a, "DescribeAvailabilityZones",
	       KV("Action", "DescribeAvailabilityZones", "Version", V), rid);
	golden(a, "DescribeAccountAttributes",
	       KV("Action", "DescribeAccountAttributes", "Version", V), rid);
	golden(a, "DescribeInstanceTypes",
	       KV("Action", "DescribeInstanceTypes", "Version", V,
		  "InstanceType.1", "t3.micro", "InstanceType.2", "c6id.large"),
	       rid);
	golden(a, "DescribeInstanceTypeOfferings",
	       KV("Action", "DescribeInstanceTypeOfferings", "Version", V,
		  "LocationType", "availability-zone", "Filter.1.Name",
		  "instance-type", "Filter.1.Value.1", "t3.micro",
		  "Filter.1.Value.2", "c6id.large"),
	       rid);
	golden(a, "DescribeKeyPairs",
	       KV("Action", "DescribeKeyPairs", "Version", V,
		  "IncludePublicKey", "true"),
	       rid);
	golden(a, "DescribeTags", KV("Action", "DescribeTags", "Version", V),
	       rid);
	golden(a, "DescribeImages",
	       KV("Action", "DescribeImages", "Version", V, "Owner.1", "self"),
	       rid);
	golden(a, "DescribeInstances",
	       KV("Action", "DescribeInstances", "Version", V), rid);
	/* Filtered listings: what the store must select, not only render. */
	golden(a, "DescribeInstances-filtered",
	       KV("Action", "DescribeInstances", "Version", V, "Filter.1.Name",
		  "tag:team", "Filter.1.Value.1", "a", "Filter.2.Name",
		  "instance-state-name", "Filter.2.Value.1", "running",
		  "Filter.2.Value.2", "stopped"),
	       rid);
	golden(a, "DescribeTags-filtered",
	       KV("Action", "DescribeTags", "Version", V, "Filter.1.Name",
		  "resource-type", "Filter.1.Value.1", "key-pair"),
	       rid);
	golden(a, "DescribeKeyPairs-by-name",
	       KV("Action", "DescribeKeyPairs", "Version", V, "KeyName.1",
		  "golden-rsa & <friends>"),
	       rid);
	golden(a, "DescribeInstanceStatus",
	       KV("Action", "DescribeInstanceStatus", "Version", V,
		  "IncludeAllInstances", "true"),
	       rid);
	golden(a, "DescribeInstanceAttribute",
	       KV("Action", "DescribeInstanceAttribute", "Version", V,
		  "InstanceId", "i-0000000000000000b", "Attribute", "userData"),
	       rid);
	golden(a, "DescribeInstanceAttribute-disableApiTermination",
	       KV("Action", "DescribeInstanceAttribute", "Version", V,
		  "InstanceId", "i-0000000000000000b", "Attribute",
		  "disableApiTermination"),
	       rid);
	golden(a, "GetConsoleOutput",
	       KV("Action", "GetConsoleOutput", "Version", V, "InstanceId",
		  "i-0000000000000000b"),
	       MASKS("requestId", "timestamp"));
}

/* The harness itself: a changed byte fails, masks hide only their tag. */
static void
test_harness(void)
{
	struct buf b;
	size_t n;
	char *s;

	buf_init(&b, 0);
	mask(&b,
	     "<a><requestId>x-1</requestId><b>1</b><requestId>y"
	     "</requestId></a>",
	     "requestId");
	s = buf_steal(&b, &n);
	CHECK_STR(s, "<a><requestId>MASKED</requestId><b>1</b><requestId>"
		     "MASKED</requestId></a>");
	free(s);
}

/* The store's files, then its folder. */
static void
remove_store(const char *dir)
{
	static const char *const files[] = {"ec2d.db", "ec2d.db-wal",
					    "ec2d.db-shm"};
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int
main(void)
{
	char dir[] = "/tmp/ec2d-test-golden-XXXXXX";
	struct config cfg;
	struct err e;
	struct api *a;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	config_defaults(&cfg);
	/* What main() derives from the default --listen. */
	snprintf(cfg.endpoint, sizeof(cfg.endpoint), "http://127.0.0.1:8799");
	CHECK(store_open(dir, &store, &e) == 0, "store_open: %s", e.message);
	fill();
	a = api_new(&cfg, store);
	CHECK(a != NULL, "api_new");
	test_harness();
	if (a)
		test_goldens(a);
	api_free(a);
	store_close(store);
	remove_store(dir);
	return UNIT_DONE();
}
