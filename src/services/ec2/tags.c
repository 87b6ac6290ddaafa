/*
 * tags.c - CreateTags, DeleteTags, DescribeTags, and the tag rules every
 * resource shares (tags.h).
 *
 * Tags live in the store against the resource registry, so any resource
 * type that registers its ids gets tags, tag filters and DescribeTags
 * without code of its own. Ids are checked before anything is written: a
 * malformed id is InvalidID, a well-formed unknown one is its type's
 * NotFound error, and then nothing is tagged at all.
 */
#include "ec2.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "paginate.h"
#include "tags.h"

/* Id prefixes EC2 uses, with the error for a well-formed unknown id. */
static const struct {
	const char *prefix;
	const char *type;
	const char *code;
	const char *what;
} id_kinds[] = {
    {"ami", "image", "InvalidAMIID.NotFound", "image id"},
    {"eipalloc", "elastic-ip", "InvalidAllocationID.NotFound", "allocation ID"},
    {"eni", "network-interface", "InvalidNetworkInterfaceID.NotFound",
     "networkInterface ID"},
    {"i", "instance", "InvalidInstanceID.NotFound", "instance ID"},
    {"igw", "internet-gateway", "InvalidInternetGatewayID.NotFound",
     "internetGateway ID"},
    {"key", "key-pair", "InvalidKeyPair.NotFound", "key pair ID"},
    {"lt", "launch-template", "InvalidLaunchTemplateId.NotFound",
     "launch template ID"},
    {"rtb", "route-table", "InvalidRouteTableID.NotFound", "routeTable ID"},
    {"sg", "security-group", "InvalidGroup.NotFound", "security group"},
    {"snap", "snapshot", "InvalidSnapshot.NotFound", "snapshot"},
    {"subnet", "subnet", "InvalidSubnetID.NotFound", "subnet ID"},
    {"vol", "volume", "InvalidVolume.NotFound", "volume"},
    {"vpc", "vpc", "InvalidVpcID.NotFound", "vpc ID"},
};

#define NKINDS (sizeof(id_kinds) / sizeof(id_kinds[0]))

/* prefix-hex with 8 or 17 hex digits, as EC2 ids are. */
static int
id_kind(const char *id)
{
	const char *dash = strchr(id, '-');
	size_t plen, hlen;

	if (!dash)
		return -1;
	plen = (size_t)(dash - id);
	hlen = strlen(dash + 1);
	if (hlen != 8 && hlen != 17)
		return -1;
	for (const char *h = dash + 1; *h; h++)
		if (!isxdigit((unsigned char)*h) || isupper((unsigned char)*h))
			return -1;
	for (size_t k = 0; k < NKINDS; k++)
		if (strlen(id_kinds[k].prefix) == plen &&
		    strncmp(id_kinds[k].prefix, id, plen) == 0)
			return (int)k;
	return -1;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
tag_validate(const char *key, const char *value, struct err *e)
{
	if (!key || !*key)
		return err_set(e, "InvalidParameterValue",
			       "Value ( '' ) for parameter Tag key is invalid. "
			       "Tag key cannot be null or empty.");
	if (utf8_chars(key) > TAG_KEY_MAX)
		return err_set(e, "InvalidParameterValue",
			       "Tag key exceeds the maximum length of %d "
			       "characters",
			       TAG_KEY_MAX);
	if (value && utf8_chars(value) > TAG_VALUE_MAX)
		return err_set(e, "InvalidParameterValue",
			       "Tag value exceeds the maximum length of %d "
			       "characters",
			       TAG_VALUE_MAX);
	if (strncasecmp(key, "aws:", 4) == 0)
		return err_set(e, "InvalidParameterValue",
			       "Value ( %.130s ) for parameter key is invalid. "
			       "Tag keys starting with 'aws:' are reserved for "
			       "internal use",
			       key);
	return 0;
}

/* Read Tag.N.Key / Tag.N.Value under p into out (borrowed strings). */
static int
tag_list_parse(const struct param *p, bool need_value, struct tags *out,
	       struct err *e)
{
	const struct param **v;
	size_t n;

	out->v = NULL;
	out->n = 0;
	if (param_list(p, "Tag", TAGS_PER_RESOURCE * 4, &v, &n, e) < 0)
		return -1;
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v) {
		free(v);
		return err_set(e, "InternalError", "Out of memory.");
	}
	for (size_t i = 0; i < n; i++) {
		const char *key = param_value(v[i], "Key");
		const char *value = param_value(v[i], "Value");

		if (need_value && !value)
			value = "";
		if (tag_validate(key, value, e) < 0) {
			free(v);
			free(out->v);
			out->v = NULL;
			return -1;
		}
		out->v[out->n].key = (char *)key;
		out->v[out->n].value = (char *)value;
		out->n++;
	}
	free(v);
	return 0;
}

int
tagspec_parse(const struct param *req, const char *type, struct tags *out,
	      struct err *e)
{
	const struct param **specs;
	size_t n;

	out->v = NULL;
	out->n = 0;
	if (param_list(req, "TagSpecification", 16, &specs, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *rt = param_value(specs[i], "ResourceType");
		struct tags more;
		struct tag *all;

		if (!rt || strcmp(rt, type) != 0) {
			err_set(e, "InvalidParameterValue",
				"'%.100s' is not a valid taggable resource "
				"type for this operation.",
				rt ? rt : "");
			goto fail;
		}
		if (tag_list_parse(specs[i], true, &more, e) < 0)
			goto fail;
		all = realloc(out->v, (out->n + more.n + 1) * sizeof(*all));
		if (!all) {
			free(more.v);
			err_set(e, "InternalError", "Out of memory.");
			goto fail;
		}
		memcpy(all + out->n, more.v, more.n * sizeof(*all));
		out->v = all;
		out->n += more.n;
		free(more.v);
	}
	free(specs);
	return 0;
fail:
	free(specs);
	free(out->v);
	out->v = NULL;
	out->n = 0;
	return -1;
}

int
tags_put(struct store_tx *tx, const char *id, const struct tags *t,
	 struct err *e)
{
	size_t count;

	for (size_t i = 0; i < t->n; i++)
		if (store_tag_put(tx, id, t->v[i].key, t->v[i].value, e) < 0)
			return -1;
	if (store_tags_count(tx, id, &count, e) < 0)
		return -1;
	if (count > TAGS_PER_RESOURCE)
		return err_set(e, "TagLimitExceeded",
			       "The maximum number of Tags for a resource has "
			       "been reached (%d).",
			       TAGS_PER_RESOURCE);
	return 0;
}

int
tag_index_load(struct store_tx *tx, const char *type, struct tag_index *idx,
	       struct err *e)
{
	idx->rows = NULL;
	idx->n = 0;
	return store_tags_of_type(tx, type, &idx->rows, &idx->n, e);
}

int
tag_index_get(const struct tag_index *idx, const char *id, struct tags *view,
	      struct err *e)
{
	size_t lo = 0, hi = idx->n, first, end;

	view->v = NULL;
	view->n = 0;
	while (lo < hi) { /* the first row with resource_id >= id */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(idx->rows[mid].resource_id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = end = lo;
	while (end < idx->n && strcmp(idx->rows[end].resource_id, id) == 0)
		end++;
	if (end == first)
		return 0;
	view->v = calloc(end - first, sizeof(*view->v));
	if (!view->v)
		return err_set(e, "InternalError", "Out of memory.");
	for (size_t i = first; i < end; i++) {
		view->v[view->n].key = idx->rows[i].key;
		view->v[view->n].value = idx->rows[i].value;
		view->n++;
	}
	return 0;
}

void
tag_index_free(struct tag_index *idx)
{
	tagged_free(idx->rows, idx->n);
	idx->rows = NULL;
	idx->n = 0;
}

void
tags_write(struct out *o, const struct tags *t)
{
	out_list(o, "tagSet");
	for (size_t i = 0; t && i < t->n; i++) {
		out_item(o);
		out_str(o, "key", t->v[i].key);
		out_str(o, "value", t->v[i].value);
		out_item_end(o);
	}
	out_list_end(o);
}

/* Check every id exists before any is changed. */
static int
resources_check(struct store_tx *tx, const struct strlist *ids, struct err *e)
{
	if (ids->n == 0)
		return err_set(e, "MissingParameter",
			       "The request must contain the parameter "
			       "ResourceId");
	for (size_t i = 0; i < ids->n; i++) {
		int k = id_kind(ids->v[i]);
		char type[64];
		int rc;

		if (k < 0)
			return err_set(e, "InvalidID",
				       "The ID '%.100s' is not valid",
				       ids->v[i]);
		rc = store_resource_type(tx, ids->v[i], type, sizeof(type), e);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return err_set(e, id_kinds[k].code,
				       "The %s '%s' does not exist",
				       id_kinds[k].what, ids->v[i]);
	}
	return 0;
}

int
ec2_create_tags(struct action_ctx *c, struct out *o, struct err *e)
{
	struct strlist ids;
	struct tags t = {0};
	int rc = -1;

	strlist_init(&ids);
	if (param_strlist(c->req, "ResourceId", 1000, &ids, e) < 0 ||
	    tag_list_parse(c->req, true, &t, e) < 0)
		goto out;
	if (t.n == 0) {
		err_set(e, "MissingParameter",
			"The request must contain the parameter Tag");
		goto out;
	}
	if (resources_check(c->tx, &ids, e) < 0)
		goto out;
	for (size_t i = 0; i < ids.n; i++)
		if (tags_put(c->tx, ids.v[i], &t, e) < 0)
			goto out;
	out_bool(o, "return", true);
	rc = 0;
out:
	free(t.v);
	strlist_free(&ids);
	return rc;
}

int
ec2_delete_tags(struct action_ctx *c, struct out *o, struct err *e)
{
	struct strlist ids;
	struct tags t = {0};
	int rc = -1;

	strlist_init(&ids);
	if (param_strlist(c->req, "ResourceId", 1000, &ids, e) < 0 ||
	    tag_list_parse(c->req, false, &t, e) < 0 ||
	    resources_check(c->tx, &ids, e) < 0)
		goto out;
	for (size_t i = 0; i < ids.n; i++) {
		struct tags all = {0};

		if (t.n) {
			/* A Tag without Value deletes the key whatever its
			 * value; with Value (even ""), only that value. */
			for (size_t k = 0; k < t.n; k++)
				if (store_tag_delete(c->tx, ids.v[i],
						     t.v[k].key, t.v[k].value,
						     e) < 0)
					goto out;
			continue;
		}
		/* No Tag at all: every (user) tag of the resource goes. */
		if (store_tags_get(c->tx, ids.v[i], &all, e) < 0)
			goto out;
		for (size_t k = 0; k < all.n; k++)
			if (store_tag_delete(c->tx, ids.v[i], all.v[k].key,
					     NULL, e) < 0) {
				tags_free(&all);
				goto out;
			}
		tags_free(&all);
	}
	out_bool(o, "return", true);
	rc = 0;
out:
	free(t.v);
	strlist_free(&ids);
	return rc;
}

/*
 * DescribeTags filters over (resource, key, value) rows. tag:KEY means
 * "this row has key KEY and a matching value", so each row shows itself to
 * the tag filters as a one-tag resource.
 */
struct tag_row {
	const struct tagged *row;
	struct tag one;
	struct tags as_tags;
};

#define ROW(res) (((const struct tag_row *)(res))->row)

static void
tagged_key(const void *res, struct strlist *out)
{
	strlist_add(out, ROW(res)->key);
}

static void
tagged_value(const void *res, struct strlist *out)
{
	strlist_add(out, ROW(res)->value);
}

static void
tagged_id(const void *res, struct strlist *out)
{
	strlist_add(out, ROW(res)->resource_id);
}

static void
tagged_type(const void *res, struct strlist *out)
{
	strlist_add(out, ROW(res)->resource_type);
}

static const struct tags *
tagged_as_tags(const void *res)
{
	return &((const struct tag_row *)res)->as_tags;
}

static const struct filter_field tagged_fields[] = {
    {"key", tagged_key},
    {"resource-id", tagged_id},
    {"resource-type", tagged_type},
    {"value", tagged_value},
};

static const struct filter_spec tagged_filters = {
    .fields = tagged_fields,
    .nfields = sizeof(tagged_fields) / sizeof(tagged_fields[0]),
    .tags = tagged_as_tags,
};

#define TAGS_BATCH_MIN 100
#define TAGS_SCAN_MAX  20000

/* Offer one tag to the page; write it when it belongs there. */
static void
tag_offer(struct out *o, const struct filter_set *fs, struct page *pg,
	  const struct tagged *row)
{
	struct tag_row r = {.row = row, .one = {row->key, row->value}};
	char key[PAGE_KEY_MAX];

	r.as_tags.v = &r.one;
	r.as_tags.n = 1;
	if (!filters_match(fs, &tagged_filters, &r))
		return;
	/* Rows come ordered by (resource id, key); NUL-free join. */
	snprintf(key, sizeof(key), "%s\x01%s", row->resource_id, row->key);
	if (!page_take(pg, key))
		return;
	out_item(o);
	out_str(o, "resourceId", row->resource_id);
	out_str(o, "resourceType", row->resource_type);
	out_str(o, "key", row->key);
	out_str(o, "value", row->value);
	out_item_end(o);
}

/*
 * Walk the tags the filters may match in key order, a batch at a time
 * from the token on: the filters SQL matches exactly narrow the query.
 */
static int
tags_walk(struct action_ctx *c, struct out *o, const struct filter_set *fs,
	  struct page *pg, struct err *e)
{
	struct tag_query q = {0};
	char after[PAGE_KEY_MAX], *sep, last[PAGE_KEY_MAX] = "";
	size_t scanned = 0;

	filter_literal(fs, "resource-id", &q.resource_ids);
	filter_literal(fs, "resource-type", &q.types);
	filter_literal(fs, "key", &q.keys);
	filter_literal(fs, "value", &q.values);
	snprintf(after, sizeof(after), "%s", pg->after);
	sep = strchr(after, '\x01');
	if (after[0] && !sep)
		return err_set(e, "InvalidPaginationToken",
			       "The specified pagination token is not valid "
			       "or is expired.");
	if (sep)
		*sep = '\0';
	q.after_id = after;
	q.after_key = sep ? sep + 1 : "";
	q.limit = (size_t)pg->max + 1;
	if (q.limit < TAGS_BATCH_MIN)
		q.limit = TAGS_BATCH_MIN;
	for (;;) {
		struct tagged *rows = NULL;
		size_t n = 0;

		if (store_tags_query(c->tx, &q, &rows, &n, e) < 0)
			return -1;
		for (size_t i = 0; i < n && !pg->more; i++)
			tag_offer(o, fs, pg, &rows[i]);
		scanned += n;
		if (n) {
			snprintf(last, sizeof(last), "%s\x01%s",
				 rows[n - 1].resource_id, rows[n - 1].key);
			snprintf(after, sizeof(after), "%s", last);
			sep = strchr(after, '\x01');
			*sep = '\0';
			q.after_key = sep + 1;
		}
		tagged_free(rows, n);
		if (pg->more || n < q.limit)
			return 0;
		if (pg->max && scanned >= TAGS_SCAN_MAX) {
			page_stop_at(pg, last);
			return 0;
		}
	}
}

int
ec2_describe_tags(struct action_ctx *c, struct out *o, struct err *e)
{
	struct filter_set fs = {0};
	struct page pg;
	int rc = -1;

	if (page_parse(c, "DescribeTags", 5, 1000, &pg, e) < 0 ||
	    filters_parse(c->req, &tagged_filters, &fs, e) < 0)
		goto out;
	out_list(o, "tagSet");
	if (tags_walk(c, o, &fs, &pg, e) < 0)
		goto out;
	out_list_end(o);
	page_write_token(&pg, o, "nextToken");
	rc = 0;
out:
	filters_free(&fs);
	return rc;
}
