/*
 * test_store_describe.c - the store's list queries and event log as the
 * EC2 actions use them, driven through the request path without signing:
 * StopInstances leaves an event and DescribeInstances' reason is read from
 * it in EC2's words; DescribeInstances pages by key with tag and wildcard
 * filters, without repeats when instances are added between pages; and
 * DescribeInstanceStatus and DescribeKeyPairs filter as before.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/router.h"
#include "services/ec2/ec2.h"
#include "store/events.h"
#include "store/instances.h"
#include "store/tags.h"
#include "unit.h"
#include "tmpdir.h"

static struct store *store;
static struct api *api;

static char body[1 << 20];

/* Run a request; its body is in body. */
static int
call(const char *const *kv)
{
	struct access_key who = {.id = "AKIDTEST", .account = "123456789012"};
	struct param *p = params_new();
	struct api_reply rep;
	struct err e;
	int status;

	for (; kv[0]; kv += 2)
		if (kv[1])
			params_set(p, kv[0], kv[1], &e);
	api_run(api, &who, p, &rep);
	snprintf(body, sizeof(body), "%.*s", (int)rep.len, rep.body);
	status = rep.status;
	api_reply_free(&rep);
	params_free(p);
	return status;
}

/* The text of every <name>...</name> in body, joined by spaces. */
static void
all_of(const char *name, char *out, size_t size)
{
	char open[64], close[64];
	size_t off = 0;

	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	out[0] = '\0';
	for (const char *p = body; (p = strstr(p, open)); p++) {
		const char *v = p + strlen(open), *end = strstr(v, close);

		if (!end || off >= size)
			break;
		off += (size_t)snprintf(out + off, size - off, "%s%.*s",
					off ? " " : "", (int)(end - v), v);
	}
}

static void
add(const char *id, const char *res, int index, const char *state,
    const char *team)
{
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(store, true, &e);
	struct instance i;

	memset(&i, 0, sizeof(i));
	snprintf(i.id, sizeof(i.id), "%s", id);
	snprintf(i.reservation_id, sizeof(i.reservation_id), "%s", res);
	i.launch_index = index;
	snprintf(i.owner, sizeof(i.owner), "123456789012");
	snprintf(i.image_id, sizeof(i.image_id), "ami-1");
	snprintf(i.type, sizeof(i.type), "t3.micro");
	snprintf(i.zone, sizeof(i.zone), "us-east-1a");
	snprintf(i.vpc_id, sizeof(i.vpc_id), "vpc-1");
	snprintf(i.subnet_id, sizeof(i.subnet_id), "subnet-1");
	snprintf(i.private_ip, sizeof(i.private_ip), "172.31.0.%d", index + 4);
	snprintf(i.state, sizeof(i.state), "%s", state);
	snprintf(i.http_tokens, sizeof(i.http_tokens), "optional");
	snprintf(i.http_endpoint, sizeof(i.http_endpoint), "enabled");
	i.user_data = i.console = i.public_key = (char *)"";
	i.state_time = 1795944406;
	CHECK(store_instance_insert(tx, &i, &e) == 0 &&
		  (!team || store_tag_put(tx, id, "team", team, &e) == 0) &&
		  store_commit(tx, &e) == 0,
	      "add %s: %s", id, e.message);
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DI	"Action", "DescribeInstances", "Version", "2016-11-15"

static void
test_reason(void)
{
	struct err e = {"", ""};
	struct store_tx *tx;
	struct event_row *ev = NULL;
	char got[4096];
	size_t n = 0;

	add("i-0000000a", "r-00000001", 0, "running", "a");
	CHECK(call(KV("Action", "StopInstances", "Version", "2016-11-15",
		      "InstanceId.1", "i-0000000a")) == 200,
	      "stop: %s", body);
	CHECK(call(KV(DI, "InstanceId.1", "i-0000000a")) == 200, "describe");
	all_of("reason", got, sizeof(got));
	CHECK(strncmp(got, "User initiated (", 16) == 0 &&
		  strlen(got) == strlen("User initiated "
					"(2026-12-07 20:00:00 GMT)") &&
		  strcmp(got + strlen(got) - 5, " GMT)") == 0,
	      "reason: %s", got);
	tx = store_begin(store, false, &e);
	CHECK(store_event_list(tx, "i-0000000a", &ev, &n, &e) == 0 && n == 2 &&
		  strcmp(ev[1].from, "running") == 0 &&
		  strcmp(ev[1].to, "stopping") == 0 &&
		  strcmp(ev[1].reason, got) == 0,
	      "the stop's event: %zu", n);
	free(ev);
	store_rollback(tx);
}

/* Page through DescribeInstances with filters; ids of all pages. */
static int
pages(const char *fname, const char *fvalue, char *out, size_t size,
      void (*between)(int page))
{
	char token[2048] = "", ids[4096];
	size_t off = 0;
	int npages = 0;

	out[0] = '\0';
	do {
		if (call(KV(DI, "Filter.1.Name", fname, "Filter.1.Value.1",
			    fvalue, "MaxResults", "5", "NextToken",
			    token[0] ? token : NULL)) != 200)
			return -1;
		all_of("instanceId", ids, sizeof(ids));
		if (ids[0] && off < size)
			off += (size_t)snprintf(out + off, size - off, "%s%s",
						off ? " " : "", ids);
		all_of("nextToken", token, sizeof(token));
		if (between)
			between(npages);
		npages++;
	} while (token[0] && npages < 100);
	return npages;
}

static void
insert_between(int page)
{
	if (page == 0) {
		/* Before the cursor: not seen. After it: seen once. */
		add("i-00000100", "r-00000002", 9, "running", "a");
		add("i-00000101", "r-00000099", 0, "running", "a");
	}
}

static void
test_pages(void)
{
	char want[4096] = "", got[4096], id[32], res[32];
	size_t off = 0;
	int n;

	/* Reservations r-00000002.. with 12 instances of team a, 12 of b. */
	for (int i = 0; i < 24; i++) {
		snprintf(id, sizeof(id), "i-%08x", 0x20 + i);
		snprintf(res, sizeof(res), "r-%08d", 2 + i / 3);
		add(id, res, i % 3, "running", i % 2 ? "b" : "a");
		if (i % 2 == 0)
			off += (size_t)snprintf(want + off, sizeof(want) - off,
						"%s%s", off ? " " : "", id);
	}
	n = pages("tag:team", "a", got, sizeof(got), NULL);
	CHECK(n == 3, "pages: %d", n);
	/* The stopped i-0000000a of r-00000001 comes first. */
	CHECK(strncmp(got, "i-0000000a ", 11) == 0 &&
		  strcmp(got + 11, want) == 0,
	      "tag:team=a pages: %s", got);
	n = pages("tag:team", "?", got, sizeof(got), NULL);
	CHECK(n >= 3 && strncmp(got, "i-0000000a ", 11) == 0 &&
		  strcmp(got + 11, want) != 0 &&
		  strlen(got + 11) == strlen(want) * 2 + 1,
	      "wildcard tag:team=? sees both teams: %d %s", n, got);
	n = pages("tag:team", "a", got, sizeof(got), insert_between);
	CHECK(strstr(got, "i-00000100") == NULL &&
		  strstr(got, "i-00000101") != NULL &&
		  strstr(got, "i-00000101") == strrchr(got, ' ') + 1,
	      "added between pages: %s", got);
	n = pages("instance-state-name", "stop*", got, sizeof(got), NULL);
	CHECK(n == 1 && strcmp(got, "i-0000000a") == 0, "stop*: %s", got);
	CHECK(call(KV(DI, "MaxResults", "5", "NextToken", "bm9wZQ")) == 400 &&
		  strstr(body, "InvalidPaginationToken"),
	      "bad token: %s", body);
}

static void
test_status_and_keys(void)
{
	char got[4096];

	CHECK(call(KV("Action", "DescribeInstanceStatus", "Version",
		      "2016-11-15", "IncludeAllInstances", "true",
		      "Filter.1.Name", "instance-state-name",
		      "Filter.1.Value.1", "stopping")) == 200,
	      "status: %s", body);
	all_of("instanceId", got, sizeof(got));
	CHECK_STR(got, "i-0000000a");
	CHECK(call(KV("Action", "DescribeInstanceStatus", "Version",
		      "2016-11-15", "MaxResults", "5")) == 200,
	      "status page");
	all_of("instanceId", got, sizeof(got));
	CHECK(strncmp(got, "i-00000020 i-00000021", 21) == 0 &&
		  strstr(body, "<nextToken>"),
	      "running ones in id order: %s", got);
	/* CreateKeyPair makes its key before the transaction (prepare). */
	CHECK(call(KV("Action", "CreateKeyPair", "Version", "2016-11-15",
		      "KeyName", "k1", "KeyType", "ed25519")) == 200 &&
		  strstr(body, "<keyMaterial>-----BEGIN OPENSSH PRIVATE"),
	      "create: %.300s", body);
	CHECK(call(KV("Action", "CreateKeyPair", "Version", "2016-11-15",
		      "KeyName", "k1", "KeyType", "ed25519")) == 400 &&
		  strstr(body, "InvalidKeyPair.Duplicate"),
	      "duplicate: %.300s", body);
	CHECK(call(KV("Action", "CreateKeyPair", "Version", "2016-11-15",
		      "KeyName", "k2", "KeyType", "dsa")) == 400,
	      "a bad type fails before the transaction: %.300s", body);
	CHECK(call(KV("Action", "DescribeKeyPairs", "Version", "2016-11-15",
		      "Filter.1.Name", "key-name", "Filter.1.Value.1", "k*")) ==
		  200,
	      "keys");
	all_of("keyName", got, sizeof(got));
	CHECK_STR(got, "k1");
	CHECK(call(KV("Action", "DescribeKeyPairs", "Version", "2016-11-15",
		      "KeyName.1", "k1", "Filter.1.Name", "key-type",
		      "Filter.1.Value.1", "rsa")) == 200,
	      "keys by type");
	all_of("keyName", got, sizeof(got));
	CHECK_STR(got, "");
	CHECK(call(KV("Action", "DescribeKeyPairs", "Version", "2016-11-15",
		      "KeyName.1", "nope")) == 400 &&
		  strstr(body, "InvalidKeyPair.NotFound"),
	      "missing key: %s", body);
}

/* DescribeTags pages by (resource id, key) with filters. */
static void
test_tags(void)
{
	char token[2048] = "", got[8192], keys[4096];
	size_t off = 0;
	int npages = 0;

	got[0] = '\0';
	do {
		CHECK(call(KV("Action", "DescribeTags", "Version", "2016-11-15",
			      "Filter.1.Name", "value", "Filter.1.Value.1", "a",
			      "Filter.2.Name", "resource-type",
			      "Filter.2.Value.1", "instance", "MaxResults", "5",
			      "NextToken", token[0] ? token : NULL)) == 200,
		      "tags: %s", body);
		all_of("resourceId", keys, sizeof(keys));
		if (keys[0] && off < sizeof(got))
			off += (size_t)snprintf(got + off, sizeof(got) - off,
						"%s%s", off ? " " : "", keys);
		all_of("nextToken", token, sizeof(token));
		npages++;
	} while (token[0] && npages < 100);
	/* i-0000000a, 12 of team a, i-00000100 and i-00000101. */
	CHECK(npages == 3 &&
		  strncmp(got, "i-0000000a i-00000020 i-00000022", 32) == 0 &&
		  strlen(got) == 15 * 10 + 14,
	      "tag pages: %d %s", npages, got);
	CHECK(call(KV("Action", "DescribeTags", "Version", "2016-11-15",
		      "Filter.1.Name", "key", "Filter.1.Value.1", "te?m")) ==
		  200,
	      "wildcard key");
	all_of("resourceId", got, sizeof(got));
	CHECK(strlen(got) == 27 * 10 + 26, "every team tag: %s", got);
}

int
main(void)
{
	char dir[] = "/tmp/ec2d-test-store-describe-XXXXXX";
	struct config cfg;
	struct err e = {"", ""};

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	config_defaults(&cfg);
	CHECK(store_open(dir, &store, &e) == 0, "open: %s", e.message);
	api = api_new_table(&cfg, store, ec2_actions, ec2_actions_count);
	test_reason();
	test_pages();
	test_status_and_keys();
	test_tags();
	api_free(api);
	store_close(store);
	rm_dir(dir);
	return UNIT_DONE();
}
