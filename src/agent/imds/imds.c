/*
 * imds.c - the metadata service's request handling. See imds.h.
 *
 * A GET builds the instance's tree of meta-data/ and dynamic/ leaves
 * (path -> text) and answers from it: a leaf by its exact path, a folder
 * by listing the next path component of every leaf below it. Listings
 * are therefore always consistent with what can be fetched, which is what
 * crawlers such as cloud-init rely on. Called by imds_server.c for every
 * request, from libmicrohttpd's threads; it keeps no state.
 */
#include "agent/imds/imds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/params.h"
#include "common/strlist.h"

#define TOKEN_PATH "api/token"
#define TEXT	   "text/plain"
#define HTML	   "text/html"

/* The versions AWS's service lists at "/", oldest first. */
static const char *const versions[] = {
    "1.0",	  "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10",
    "2007-12-15", "2008-02-01", "2008-09-01", "2009-04-04", "2011-01-01",
    "2011-05-01", "2012-01-12", "2014-02-25", "2014-11-05", "2015-10-20",
    "2016-04-19", "2016-06-30", "2016-09-02", "2018-03-28", "2018-08-17",
    "2018-09-24", "2019-10-01", "2020-10-27", "2021-01-03", "2021-03-23",
    "2021-07-15", "2022-09-24", "latest",
};

/* The leaves of one instance: parallel lists, paths sorted. */
struct tree {
	struct strlist paths;
	struct strlist values;
};

void
imds_response_free(struct imds_response *rs)
{
	buf_free(&rs->body);
}

/* AWS answers errors with this XHTML page. */
static void
reply_error(struct imds_response *rs, int status, const char *reason)
{
	rs->status = status;
	rs->content_type = HTML;
	buf_reset(&rs->body);
	buf_addf(&rs->body,
		 "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
		 "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 "
		 "Transitional//EN\"\n"
		 "\t\"http://www.w3.org/TR/xhtml1/DTD/"
		 "xhtml1-transitional.dtd\">\n"
		 "<html xmlns=\"http://www.w3.org/1999/xhtml\" "
		 "xml:lang=\"en\" lang=\"en\">\n"
		 " <head>\n  <title>%d - %s</title>\n </head>\n"
		 " <body>\n  <h1>%d - %s</h1>\n </body>\n</html>\n",
		 status, reason, status, reason);
}

static void
reply_text(struct imds_response *rs, const void *p, size_t n)
{
	rs->status = 200;
	rs->content_type = TEXT;
	buf_reset(&rs->body);
	buf_add(&rs->body, p, n);
}

/* --- the tree ------------------------------------------------------- */

static void
leaf(struct tree *t, const char *path, const char *value)
{
	if (!value || !*value)
		return;
	strlist_add(&t->paths, path);
	strlist_add(&t->values, value);
}

static void
json_str(struct buf *b, const char *s)
{
	if (!s || !*s) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_addf(b, "\\%c", c);
		else if (c < 0x20)
			buf_addf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

/* An instant as AWS's documents write it: 2026-11-30T10:06:46Z. */
static void
format_time(time_t t, char out[32])
{
	struct tm tm;

	out[0] = '\0';
	if (t && gmtime_r(&t, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The instance identity document, in AWS's key order and layout. */
static void
identity_document(const struct host_metadata *md, struct buf *b)
{
	char pending[32];
	const struct {
		const char *key;
		const char *value; /* NULL: JSON null */
	} f[] = {
	    {"accountId", md->account_id},
	    {"architecture", md->architecture},
	    {"availabilityZone", md->zone},
	    {"billingProducts", NULL},
	    {"devpayProductCodes", NULL},
	    {"marketplaceProductCodes", NULL},
	    {"imageId", md->image_id},
	    {"instanceId", md->instance_id},
	    {"instanceType", md->instance_type},
	    {"kernelId", NULL},
	    {"pendingTime", pending},
	    {"privateIp", md->local_ipv4},
	    {"ramdiskId", NULL},
	    {"region", md->region},
	    {"version", "2017-09-30"},
	};
	size_t n = sizeof(f) / sizeof(f[0]);

	format_time(md->pending_time, pending);
	buf_adds(b, "{\n");
	for (size_t i = 0; i < n; i++) {
		buf_addf(b, "  \"%s\" : ", f[i].key);
		json_str(b, f[i].value);
		buf_adds(b, i + 1 < n ? ",\n" : "\n");
	}
	buf_adds(b, "}");
}

/* network/interfaces/macs/<mac>/...: the instance's one interface. */
static void
network_leaves(struct tree *t, const struct host_metadata *md)
{
	const struct {
		const char *name;
		const char *value;
	} f[] = {
	    {"device-number", "0"},
	    {"interface-id", md->interface_id},
	    {"local-hostname", md->local_hostname},
	    {"local-ipv4s", md->local_ipv4},
	    {"mac", md->mac},
	    {"owner-id", md->account_id},
	    {"subnet-id", md->subnet_id},
	    {"subnet-ipv4-cidr-block", md->subnet_cidr},
	    {"vpc-id", md->vpc_id},
	    {"vpc-ipv4-cidr-block", md->vpc_cidr},
	    {"vpc-ipv4-cidr-blocks", md->vpc_cidr},
	};
	char path[160];

	if (!md->mac[0])
		return;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(path, sizeof(path),
			 "meta-data/network/interfaces/macs/%s/%s", md->mac,
			 f[i].name);
		leaf(t, path, f[i].value);
	}
}

static int
cmp_index(const void *a, const void *b, void *ctx)
{
	const struct strlist *paths = ctx;

	return strcmp(paths->v[*(const size_t *)a],
		      paths->v[*(const size_t *)b]);
}

/* Sort both lists by path. */
static int
tree_sort(struct tree *t)
{
	size_t n = t->paths.n, *idx = calloc(n ? n : 1, sizeof(*idx));
	char **p = calloc(n ? n : 1, sizeof(*p));
	char **v = calloc(n ? n : 1, sizeof(*v));

	if (!idx || !p || !v) {
		free(idx);
		free(p);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_index, &t->paths);
	for (size_t i = 0; i < n; i++) {
		p[i] = t->paths.v[idx[i]];
		v[i] = t->values.v[idx[i]];
	}
	memcpy(t->paths.v, p, n * sizeof(*p));
	memcpy(t->values.v, v, n * sizeof(*v));
	free(idx);
	free(p);
	free(v);
	return 0;
}

static int
tree_build(struct tree *t, const struct host_metadata *md)
{
	struct buf doc;
	int rc;

	strlist_init(&t->paths);
	strlist_init(&t->values);
	leaf(t, "meta-data/ami-id", md->image_id);
	leaf(t, "meta-data/ami-launch-index", "0");
	leaf(t, "meta-data/ami-manifest-path", "(unknown)");
	leaf(t, "meta-data/hostname", md->hostname);
	leaf(t, "meta-data/instance-action", "none");
	leaf(t, "meta-data/instance-id", md->instance_id);
	leaf(t, "meta-data/instance-life-cycle", "on-demand");
	leaf(t, "meta-data/instance-type", md->instance_type);
	leaf(t, "meta-data/local-hostname", md->local_hostname);
	leaf(t, "meta-data/local-ipv4", md->local_ipv4);
	leaf(t, "meta-data/mac", md->mac);
	network_leaves(t, md);
	leaf(t, "meta-data/placement/availability-zone", md->zone);
	leaf(t, "meta-data/placement/availability-zone-id", md->zone_id);
	leaf(t, "meta-data/placement/region", md->region);
	leaf(t, "meta-data/public-keys/0/openssh-key", md->openssh_key);
	leaf(t, "meta-data/reservation-id", md->reservation_id);
	leaf(t, "meta-data/services/domain", "amazonaws.com");
	leaf(t, "meta-data/services/partition", "aws");
	buf_init(&doc, 4096);
	identity_document(md, &doc);
	leaf(t, "dynamic/instance-identity/document", buf_cstr(&doc));
	rc = buf_failed(&doc) ? -ENOMEM : 0;
	buf_free(&doc);
	if (rc == 0 && (t->paths.failed || t->values.failed))
		rc = -ENOMEM;
	return rc == 0 ? tree_sort(t) : rc;
}

static void
tree_free(struct tree *t)
{
	strlist_free(&t->paths);
	strlist_free(&t->values);
}

/*
 * The folder dir's listing into out: the next component of every leaf
 * below it, once, with '/' when more follows. 0 when dir is no folder.
 */
static size_t
tree_list(const struct tree *t, const char *dir, struct buf *out)
{
	size_t dlen = strlen(dir), listed = 0;
	const char *last = NULL;
	size_t last_len = 0;

	for (size_t i = 0; i < t->paths.n; i++) {
		const char *p = t->paths.v[i], *rest, *slash;
		size_t len;

		if (strncmp(p, dir, dlen) != 0 || p[dlen] != '/')
			continue;
		rest = p + dlen + 1;
		slash = strchr(rest, '/');
		len = slash ? (size_t)(slash - rest) + 1 : strlen(rest);
		/* Sorted paths keep a folder's leaves together. */
		if (last && len == last_len && strncmp(last, rest, len) == 0)
			continue;
		buf_addf(out, "%s%.*s", listed ? "\n" : "", (int)len, rest);
		last = rest;
		last_len = len;
		listed++;
	}
	return listed;
}

static const char *
tree_get(const struct tree *t, const char *path)
{
	for (size_t i = 0; i < t->paths.n; i++)
		if (strcmp(t->paths.v[i], path) == 0)
			return t->values.v[i];
	return NULL;
}

/* --- requests ------------------------------------------------------- */

static bool
is_version(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strlen(versions[i]) == n && strncmp(versions[i], s, n) == 0)
			return true;
	return false;
}

/* "/VERSION/REST" -> REST without a trailing '/'; NULL: no such version. */
static const char *
split_version(const char *path, char *rest, size_t size)
{
	const char *v = path + 1, *slash = strchr(v, '/');
	size_t vlen = slash ? (size_t)(slash - v) : strlen(v);
	size_t n;

	if (!is_version(v, vlen))
		return NULL;
	snprintf(rest, size, "%s", slash ? slash + 1 : "");
	n = strlen(rest);
	if (n > 0 && rest[n - 1] == '/')
		rest[n - 1] = '\0';
	return rest;
}

static void
put_token(const unsigned char *key, const struct host_metadata *md,
	  const struct imds_request *rq, struct imds_response *rs)
{
	char token[IMDS_TOKEN_LEN + 1];
	long long ttl;

	/* A proxy on the instance must not hand out tokens (AWS: 403). */
	if (rq->forwarded) {
		reply_error(rs, 403, "Forbidden");
		return;
	}
	if (!rq->token_ttl || parse_ll(rq->token_ttl, IMDS_TOKEN_TTL_MIN,
				       IMDS_TOKEN_TTL_MAX, &ttl) < 0) {
		reply_error(rs, 400, "Bad Request");
		return;
	}
	imds_token_mint(key, md->instance_id, rq->now + (time_t)ttl, token);
	reply_text(rs, token, IMDS_TOKEN_LEN);
	rs->token_ttl = (long)ttl;
	rs->ip_ttl = md->hop_limit ? md->hop_limit : 1;
}

/* v1/v2 rules: 0 when the GET may go on, else the reply is an error. */
static int
check_token(const unsigned char *key, const struct host_metadata *md,
	    const struct imds_request *rq, struct imds_response *rs)
{
	long left;

	if (!rq->token) {
		if (!md->http_tokens_required)
			return 0;
		reply_error(rs, 401, "Unauthorized");
		return -1;
	}
	/* A token that is present is checked even when v1 is allowed. */
	if (imds_token_check(key, md->instance_id, rq->token, rq->now, &left) <
	    0) {
		reply_error(rs, 401, "Unauthorized");
		return -1;
	}
	rs->token_ttl = left;
	return 0;
}

static void
get_path(const struct host_metadata *md, const char *rest,
	 struct imds_response *rs)
{
	struct tree t;
	const char *v;

	if (strcmp(rest, "user-data") == 0) {
		if (!md->has_user_data) {
			reply_error(rs, 404, "Not Found");
			return;
		}
		reply_text(rs, md->user_data, md->user_data_len);
		rs->metadata_read = true;
		return;
	}
	if (strcmp(rest, "") == 0) {
		reply_text(rs, "dynamic\nmeta-data", 17);
		if (md->has_user_data)
			buf_adds(&rs->body, "\nuser-data");
		return;
	}
	if (tree_build(&t, md) < 0) {
		tree_free(&t);
		reply_error(rs, 500, "Internal Server Error");
		return;
	}
	reply_text(rs, "", 0);
	if ((v = tree_get(&t, rest)))
		buf_adds(&rs->body, v);
	else if (strcmp(rest, "meta-data/public-keys") == 0 &&
		 md->openssh_key[0])
		/* AWS lists keys as INDEX=NAME, not as folders. */
		buf_addf(&rs->body, "0=%s", md->key_name);
	else if (tree_list(&t, rest, &rs->body) == 0)
		reply_error(rs, 404, "Not Found");
	tree_free(&t);
	if (rs->status == 200)
		rs->metadata_read = true;
}

static void
list_versions(struct imds_response *rs)
{
	reply_text(rs, "", 0);
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		buf_addf(&rs->body, "%s%s", i ? "\n" : "", versions[i]);
}

void
imds_handle(const unsigned char key[IMDS_TOKEN_KEY_LEN],
	    const struct host_metadata *md, const struct imds_request *rq,
	    struct imds_response *rs)
{
	bool get =
	    strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
	bool put = strcmp(rq->method, "PUT") == 0;
	char rest[256];

	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body, IMDS_BODY_MAX);
	if (!md) {
		reply_error(rs, 403, "Forbidden");
		return;
	}
	if (!rq->path || rq->path[0] != '/' ||
	    strlen(rq->path) >= sizeof(rest)) {
		reply_error(rs, 404, "Not Found");
		return;
	}
	if (put && strcmp(rq->path, "/latest/" TOKEN_PATH) == 0) {
		put_token(key, md, rq, rs);
		return;
	}
	if (!get) {
		reply_error(rs, 405, "Method Not Allowed");
		return;
	}
	if (check_token(key, md, rq, rs) < 0)
		return;
	if (strcmp(rq->path, "/") == 0)
		list_versions(rs);
	else if (!split_version(rq->path, rest, sizeof(rest)))
		reply_error(rs, 404, "Not Found");
	else if (strcmp(rest, TOKEN_PATH) == 0)
		reply_error(rs, 405, "Method Not Allowed");
	else
		get_path(md, rest, rs);
	if (buf_failed(&rs->body))
		reply_error(rs, 500, "Internal Server Error");
}
