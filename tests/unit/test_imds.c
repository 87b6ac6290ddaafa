/*
 * test_imds.c - the metadata service's answers (imds_handle) and its
 * tokens: IMDSv1, IMDSv2 with TTL bounds, expiry, another instance's or
 * a forged token, HttpTokens=required, X-Forwarded-For, listings, 404s,
 * user-data, the identity document, and a crawl proving every listed
 * key can be fetched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/imds/imds.h"
#include "common/ids.h"
#include "agent/imds/imds_token.h"
#include "unit.h"

#define NOW 1764500000 /* 2025-11-30T10:53:20Z */

static unsigned char key[IMDS_TOKEN_KEY_LEN];
static struct host_metadata md1, md2;

static void
fill(struct host_metadata *md, const char *id, const char *ip, const char *mac)
{
	memset(md, 0, sizeof(*md));
	snprintf(md->instance_id, sizeof(md->instance_id), "%s", id);
	snprintf(md->image_id, sizeof(md->image_id), "ami-0123456789abcdef0");
	snprintf(md->instance_type, sizeof(md->instance_type), "t3.micro");
	snprintf(md->architecture, sizeof(md->architecture), "x86_64");
	snprintf(md->account_id, sizeof(md->account_id), "123456789012");
	snprintf(md->reservation_id, sizeof(md->reservation_id),
		 "r-0123456789abcdef0");
	snprintf(md->region, sizeof(md->region), "us-east-1");
	snprintf(md->zone, sizeof(md->zone), "us-east-1a");
	snprintf(md->zone_id, sizeof(md->zone_id), "use1-az1");
	id_dns_name(md->region, ip, md->hostname, sizeof(md->hostname));
	snprintf(md->local_hostname, sizeof(md->local_hostname), "%s",
		 md->hostname);
	snprintf(md->local_ipv4, sizeof(md->local_ipv4), "%s", ip);
	snprintf(md->mac, sizeof(md->mac), "%s", mac);
	snprintf(md->interface_id, sizeof(md->interface_id),
		 "eni-0123456789abcdef0");
	snprintf(md->subnet_id, sizeof(md->subnet_id),
		 "subnet-0123456789abcdef0");
	snprintf(md->subnet_cidr, sizeof(md->subnet_cidr), "172.31.0.0/20");
	snprintf(md->vpc_id, sizeof(md->vpc_id), "vpc-0123456789abcdef0");
	snprintf(md->vpc_cidr, sizeof(md->vpc_cidr), "172.31.0.0/16");
	md->pending_time = NOW - 60;
	md->hop_limit = 1;
}

/* One request; returns the status, body copied into body (may be NULL). */
static int
ask(const struct host_metadata *md, const char *method, const char *path,
    const char *token, const char *ttl, bool fwd, time_t now, char *body,
    size_t size, struct imds_response *ret)
{
	struct imds_request rq = {
	    .method = method,
	    .path = path,
	    .token = token,
	    .token_ttl = ttl,
	    .forwarded = fwd,
	    .now = now,
	};
	struct imds_response rs;
	int status;

	imds_handle(key, md, &rq, &rs);
	status = rs.status;
	if (body)
		snprintf(body, size, "%s", buf_cstr(&rs.body));
	if (ret)
		*ret = rs;
	else
		imds_response_free(&rs);
	return status;
}

static int
get(const struct host_metadata *md, const char *path, const char *token,
    char *body, size_t size)
{
	return ask(md, "GET", path, token, NULL, false, NOW, body, size, NULL);
}

static void
test_v1(void)
{
	struct imds_response rs;
	char body[4096];

	CHECK(ask(&md1, "GET", "/latest/meta-data/instance-id", NULL, NULL,
		  false, NOW, body, sizeof(body), &rs) == 200,
	      "v1 instance-id");
	CHECK_STR(body, "i-0aaaaaaaaaaaaaaa1");
	CHECK(rs.metadata_read, "a read is reported");
	CHECK_STR(rs.content_type, "text/plain");
	CHECK(rs.token_ttl == 0 && rs.ip_ttl == 0, "no token headers on v1");
	imds_response_free(&rs);
	CHECK(get(&md2, "/latest/meta-data/instance-id", NULL, body,
		  sizeof(body)) == 200,
	      "other instance");
	CHECK_STR(body, "i-0bbbbbbbbbbbbbbb2");
	CHECK(ask(&md1, "HEAD", "/latest/meta-data/instance-id", NULL, NULL,
		  false, NOW, NULL, 0, NULL) == 200,
	      "HEAD is a GET");
	CHECK(get(NULL, "/latest/meta-data/instance-id", NULL, body,
		  sizeof(body)) == 403,
	      "no instance at that address");
}

static void
test_token_put(void)
{
	static const struct {
		const char *ttl;
		int status;
	} cases[] = {
	    {"1", 200},	    {"21600", 200},
	    {"300", 200},   {"0", 400},
	    {"21601", 400}, {"-1", 400},
	    {"abc", 400},   {"", 400},
	    {"10s", 400},   {"99999999999999999999", 400},
	    {NULL, 400},
	};
	struct imds_response rs;
	char body[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(ask(&md1, "PUT", "/latest/api/token", NULL, cases[i].ttl,
			  false, NOW, NULL, 0, NULL) == cases[i].status,
		      "PUT ttl %s", cases[i].ttl ? cases[i].ttl : "(none)");

	md1.hop_limit = 2;
	CHECK(ask(&md1, "PUT", "/latest/api/token", NULL, "21600", false, NOW,
		  body, sizeof(body), &rs) == 200,
	      "token");
	CHECK(strlen(body) == IMDS_TOKEN_LEN, "token length %zu", strlen(body));
	CHECK(rs.token_ttl == 21600, "ttl header %ld", rs.token_ttl);
	CHECK(rs.ip_ttl == 2, "hop limit as IP TTL: %u", rs.ip_ttl);
	CHECK(!rs.metadata_read, "a token is no metadata read");
	imds_response_free(&rs);
	md1.hop_limit = 1;

	CHECK(ask(&md1, "PUT", "/latest/api/token", NULL, "21600", true, NOW,
		  body, sizeof(body), NULL) == 403,
	      "X-Forwarded-For refused");
	CHECK(strstr(body, "403 - Forbidden") != NULL, "403 page");
	CHECK(ask(&md1, "PUT", "/latest/meta-data/instance-id", NULL, "60",
		  false, NOW, NULL, 0, NULL) == 405,
	      "PUT elsewhere");
	CHECK(ask(&md1, "GET", "/latest/api/token", NULL, NULL, false, NOW,
		  NULL, 0, NULL) == 405,
	      "GET of the token path");
	CHECK(ask(&md1, "DELETE", "/latest/meta-data/", NULL, NULL, false, NOW,
		  NULL, 0, NULL) == 405,
	      "DELETE");
	CHECK(ask(&md1, "PUT", "/2009-04-04/api/token", NULL, "60", false, NOW,
		  NULL, 0, NULL) == 405,
	      "tokens only under latest");
}

static void
mint(const struct host_metadata *md, const char *ttl, time_t now, char *tok)
{
	ask(md, "PUT", "/latest/api/token", NULL, ttl, false, now, tok,
	    IMDS_TOKEN_LEN + 1, NULL);
}

static void
test_v2(void)
{
	char t1[IMDS_TOKEN_LEN + 1], t2[IMDS_TOKEN_LEN + 1];
	char bad[IMDS_TOKEN_LEN + 1], body[4096];
	struct imds_response rs;

	mint(&md1, "60", NOW, t1);
	mint(&md2, "60", NOW, t2);
	CHECK(ask(&md1, "GET", "/latest/meta-data/instance-id", t1, NULL, false,
		  NOW + 10, body, sizeof(body), &rs) == 200,
	      "v2 GET");
	CHECK_STR(body, "i-0aaaaaaaaaaaaaaa1");
	CHECK(rs.token_ttl == 50, "seconds left %ld", rs.token_ttl);
	imds_response_free(&rs);
	CHECK(ask(&md1, "GET", "/latest/meta-data/instance-id", t1, NULL, false,
		  NOW + 59, NULL, 0, NULL) == 200,
	      "last second");
	CHECK(ask(&md1, "GET", "/latest/meta-data/instance-id", t1, NULL, false,
		  NOW + 60, body, sizeof(body), NULL) == 401,
	      "expired");
	CHECK(strstr(body, "401 - Unauthorized") != NULL, "401 page");
	CHECK(get(&md2, "/latest/meta-data/instance-id", t1, NULL, 0) == 401,
	      "another instance's token");
	CHECK(get(&md2, "/latest/meta-data/instance-id", t2, NULL, 0) == 200,
	      "its own token");
	memcpy(bad, t1, sizeof(bad));
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	CHECK(get(&md1, "/latest/meta-data/instance-id", bad, NULL, 0) == 401,
	      "tampered token");
	CHECK(get(&md1, "/latest/meta-data/instance-id", "x", NULL, 0) == 401,
	      "garbage token, even with v1 allowed");
	CHECK(get(&md1, "/latest/meta-data/instance-id", "", NULL, 0) == 401,
	      "empty token");

	/* A key change (another ec2d) invalidates every token. */
	key[0] ^= 1;
	CHECK(get(&md1, "/latest/meta-data/instance-id", t1, NULL, 0) == 401,
	      "other key");
	key[0] ^= 1;
}

static void
test_required(void)
{
	char tok[IMDS_TOKEN_LEN + 1], body[4096];

	md2.http_tokens_required = true;
	CHECK(get(&md2, "/latest/meta-data/instance-id", NULL, body,
		  sizeof(body)) == 401,
	      "v1 refused when tokens are required");
	CHECK(get(&md2, "/", NULL, NULL, 0) == 401, "even the version list");
	CHECK(get(&md2, "/latest/user-data", NULL, NULL, 0) == 401,
	      "and user-data");
	mint(&md2, "21600", NOW, tok);
	CHECK(strlen(tok) == IMDS_TOKEN_LEN, "token while required");
	CHECK(get(&md2, "/latest/meta-data/instance-id", tok, body,
		  sizeof(body)) == 200,
	      "v2 while required");
	CHECK_STR(body, "i-0bbbbbbbbbbbbbbb2");
	md2.http_tokens_required = false;
}

static void
test_listings(void)
{
	char body[8192];
	const char *want_md =
	    "ami-id\nami-launch-index\nami-manifest-path\nhostname\n"
	    "instance-action\ninstance-id\ninstance-life-cycle\n"
	    "instance-type\nlocal-hostname\nlocal-ipv4\nmac\nnetwork/\n"
	    "placement/\npublic-keys/\nreservation-id\nservices/";

	CHECK(get(&md1, "/latest/meta-data/", NULL, body, sizeof(body)) == 200,
	      "meta-data/");
	CHECK_STR(body, want_md);
	CHECK(get(&md1, "/latest/meta-data", NULL, body, sizeof(body)) == 200,
	      "meta-data without slash");
	CHECK_STR(body, want_md);
	CHECK(get(&md1, "/latest/meta-data/placement/", NULL, body,
		  sizeof(body)) == 200,
	      "placement/");
	CHECK_STR(body, "availability-zone\navailability-zone-id\nregion");
	CHECK(get(&md1, "/latest/meta-data/placement/region", NULL, body,
		  sizeof(body)) == 200,
	      "region");
	CHECK_STR(body, "us-east-1");
	CHECK(get(&md1, "/latest/meta-data/placement/availability-zone", NULL,
		  body, sizeof(body)) == 200,
	      "zone");
	CHECK_STR(body, "us-east-1a");
	CHECK(get(&md1, "/latest/meta-data/public-keys/", NULL, body,
		  sizeof(body)) == 200,
	      "public-keys/");
	CHECK_STR(body, "0=my-key");
	CHECK(get(&md1, "/latest/meta-data/public-keys/0/", NULL, body,
		  sizeof(body)) == 200,
	      "public-keys/0/");
	CHECK_STR(body, "openssh-key");
	CHECK(get(&md1, "/latest/meta-data/public-keys/0/openssh-key", NULL,
		  body, sizeof(body)) == 200,
	      "openssh-key");
	CHECK_STR(body, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample my-key");
	CHECK(get(&md1, "/latest/meta-data/network/interfaces/macs/", NULL,
		  body, sizeof(body)) == 200,
	      "macs/");
	CHECK_STR(body, "02:00:00:00:00:01/");
	CHECK(get(&md1,
		  "/latest/meta-data/network/interfaces/macs/"
		  "02:00:00:00:00:01/local-ipv4s",
		  NULL, body, sizeof(body)) == 200,
	      "local-ipv4s");
	CHECK_STR(body, "172.31.0.4");
	CHECK(get(&md1, "/latest/meta-data/hostname", NULL, body,
		  sizeof(body)) == 200,
	      "hostname");
	CHECK_STR(body, "ip-172-31-0-4.ec2.internal");
	CHECK(get(&md1, "/latest/dynamic/", NULL, body, sizeof(body)) == 200,
	      "dynamic/");
	CHECK_STR(body, "instance-identity/");
	CHECK(get(&md1, "/latest/", NULL, body, sizeof(body)) == 200,
	      "latest/");
	CHECK_STR(body, "dynamic\nmeta-data\nuser-data");
	CHECK(get(&md2, "/latest", NULL, body, sizeof(body)) == 200, "latest");
	CHECK_STR(body, "dynamic\nmeta-data");
	CHECK(get(&md1, "/", NULL, body, sizeof(body)) == 200, "versions");
	CHECK(strncmp(body, "1.0\n2007-01-19\n", 15) == 0 &&
		  strstr(body, "\n2009-04-04\n") &&
		  strcmp(body + strlen(body) - 7, "\nlatest") == 0,
	      "version list: %s", body);
	CHECK(get(&md1, "/2009-04-04/meta-data/instance-id", NULL, body,
		  sizeof(body)) == 200,
	      "dated version");
	CHECK_STR(body, "i-0aaaaaaaaaaaaaaa1");
}

static void
test_not_found(void)
{
	static const char *const paths[] = {
	    "/latest/meta-data/nope",
	    "/latest/meta-data/instance-id/x",
	    "/latest/meta-data/placement/regio",
	    "/latest/meta-data/../meta-data/instance-id",
	    "/1999-01-01/meta-data/instance-id",
	    "/latest2/meta-data/",
	    "/latest/dynamic/instance-identity/pkcs7",
	    "relative",
	    "",
	};
	struct imds_response rs;
	char body[4096];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		CHECK(ask(&md1, "GET", paths[i], NULL, NULL, false, NOW, body,
			  sizeof(body), &rs) == 404,
		      "404 for \"%s\"", paths[i]);
		CHECK(!rs.metadata_read, "a 404 is no read");
		imds_response_free(&rs);
	}
	CHECK(strstr(body, "<title>404 - Not Found</title>") != NULL,
	      "404 page: %s", body);
	CHECK(get(&md2, "/latest/user-data", NULL, NULL, 0) == 404,
	      "no user-data");
	CHECK(get(&md2, "/latest/meta-data/public-keys/", NULL, NULL, 0) == 404,
	      "no key");
	CHECK(get(&md2, "/latest/meta-data/", NULL, body, sizeof(body)) ==
		      200 &&
		  !strstr(body, "public-keys"),
	      "no key: not listed");
}

static void
test_user_data(void)
{
	struct imds_response rs;

	CHECK(ask(&md1, "GET", "/latest/user-data", NULL, NULL, false, NOW,
		  NULL, 0, &rs) == 200,
	      "user-data");
	CHECK(rs.body.len == md1.user_data_len &&
		  memcmp(rs.body.data, md1.user_data, rs.body.len) == 0,
	      "user-data bytes, NUL included");
	CHECK(rs.metadata_read, "user-data is a read");
	imds_response_free(&rs);
}

static void
test_identity_document(void)
{
	char body[4096];

	CHECK(get(&md1, "/latest/dynamic/instance-identity/document", NULL,
		  body, sizeof(body)) == 200,
	      "document");
	CHECK_STR(body, "{\n"
			"  \"accountId\" : \"123456789012\",\n"
			"  \"architecture\" : \"x86_64\",\n"
			"  \"availabilityZone\" : \"us-east-1a\",\n"
			"  \"billingProducts\" : null,\n"
			"  \"devpayProductCodes\" : null,\n"
			"  \"marketplaceProductCodes\" : null,\n"
			"  \"imageId\" : \"ami-0123456789abcdef0\",\n"
			"  \"instanceId\" : \"i-0aaaaaaaaaaaaaaa1\",\n"
			"  \"instanceType\" : \"t3.micro\",\n"
			"  \"kernelId\" : null,\n"
			"  \"pendingTime\" : \"2025-11-30T10:52:20Z\",\n"
			"  \"privateIp\" : \"172.31.0.4\",\n"
			"  \"ramdiskId\" : null,\n"
			"  \"region\" : \"us-east-1\",\n"
			"  \"version\" : \"2017-09-30\"\n"
			"}");
	/* Caller data is escaped, never breaks the JSON. */
	snprintf(md2.image_id, sizeof(md2.image_id), "ami-\"x\\\n");
	CHECK(get(&md2, "/latest/dynamic/instance-identity/document", NULL,
		  body, sizeof(body)) == 200 &&
		  strstr(body, "\"imageId\" : \"ami-\\\"x\\\\\\u000a\""),
	      "escaped: %s", body);
	snprintf(md2.image_id, sizeof(md2.image_id), "ami-0123456789abcdef0");
}

/* Every key a listing names can be fetched, recursively. */
static int
crawl(const char *dir, int depth)
{
	char body[8192], path[512], *save = NULL;
	int fetched = 0;

	if (depth > 8 || get(&md1, dir, NULL, body, sizeof(body)) != 200)
		return -1000;
	for (char *l = strtok_r(body, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		const char *eq = strchr(l, '=');

		if (eq) /* public-keys lists INDEX=NAME, a folder */
			snprintf(path, sizeof(path), "%s%.*s/", dir,
				 (int)(eq - l), l);
		else
			snprintf(path, sizeof(path), "%s%s", dir, l);
		if (eq || l[strlen(l) - 1] == '/')
			fetched += crawl(path, depth + 1);
		else if (get(&md1, path, NULL, NULL, 0) == 200)
			fetched++;
		else
			fetched -= 1000;
	}
	return fetched;
}

static void
test_crawl(void)
{
	int n = crawl("/latest/meta-data/", 0);

	CHECK(n == 29, "crawl fetched %d keys, all 200", n);
	CHECK(crawl("/latest/dynamic/", 0) == 1, "dynamic crawl");
}

static void
test_token_unit(void)
{
	char tok[IMDS_TOKEN_LEN + 1];
	long left = 0;

	imds_token_mint(key, "i-0aaaaaaaaaaaaaaa1", NOW + 5, tok);
	CHECK(imds_token_check(key, "i-0aaaaaaaaaaaaaaa1", tok, NOW, &left) ==
		      0 &&
		  left == 5,
	      "check");
	CHECK(imds_token_check(key, "i-0aaaaaaaaaaaaaaa1", tok, NOW + 5,
			       &left) == -ETIME,
	      "expired");
	CHECK(imds_token_check(key, "i-0aaaaaaaaaaaaaaa", tok, NOW, &left) ==
		  -EINVAL,
	      "id prefix");
	CHECK(imds_token_check(key, "i-0aaaaaaaaaaaaaaa1", NULL, NOW, &left) ==
		  -EINVAL,
	      "none");
}

int
main(void)
{
	static const char ud[] = "#!/bin/sh\necho hi\n\0tail";

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i * 7 + 1);
	fill(&md1, "i-0aaaaaaaaaaaaaaa1", "172.31.0.4", "02:00:00:00:00:01");
	fill(&md2, "i-0bbbbbbbbbbbbbbb2", "172.31.16.4", "02:00:00:00:00:02");
	snprintf(md1.key_name, sizeof(md1.key_name), "my-key");
	snprintf(md1.openssh_key, sizeof(md1.openssh_key),
		 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample my-key");
	md1.has_user_data = true;
	md1.user_data_len = sizeof(ud) - 1;
	memcpy(md1.user_data, ud, sizeof(ud) - 1);

	test_v1();
	test_token_put();
	test_v2();
	test_required();
	test_listings();
	test_not_found();
	test_user_data();
	test_identity_document();
	test_crawl();
	test_token_unit();
	return UNIT_DONE();
}
