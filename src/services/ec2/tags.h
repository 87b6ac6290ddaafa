/*
 * tags.h - tag rules shared by every EC2 resource: validation, the
 * TagSpecification parameter of create actions, storing, and writing a
 * tagSet. The tag actions themselves (CreateTags, ...) are in tags.c.
 */
#ifndef EC2D_SERVICES_EC2_TAGS_H
#define EC2D_SERVICES_EC2_TAGS_H

#include "common/err.h"
#include "common/out.h"
#include "common/params.h"
#include "store/tags.h"

#define TAGS_PER_RESOURCE 50
#define TAG_KEY_MAX	  128 /* Unicode characters */
#define TAG_VALUE_MAX	  256

/* Check one tag's key and value as EC2 does (length, aws: prefix). */
int tag_validate(const char *key, const char *value, struct err *e);

/*
 * Read TagSpecification.N for a create action whose resource type is
 * type ("key-pair"). Fills out with borrowed strings (free out->v only,
 * with free()), validated; another resource type is InvalidParameterValue.
 */
int tagspec_parse(const struct param *req, const char *type, struct tags *out,
		  struct err *e);

/* Store tags on resource id, keeping the 50-tag limit (TagLimitExceeded). */
int tags_put(struct store_tx *tx, const char *id, const struct tags *t,
	     struct err *e);

/*
 * All tags of one resource type, loaded with one query so a Describe call
 * does not query once per resource. tag_index_get() fills view with the
 * tags of id (borrowed strings; free(view->v) only).
 */
struct tag_index {
	struct tagged *rows; /* ordered by resource id, then key */
	size_t n;
};
int tag_index_load(struct store_tx *tx, const char *type, struct tag_index *idx,
		   struct err *e);
int tag_index_get(const struct tag_index *idx, const char *id,
		  struct tags *view, struct err *e);
void tag_index_free(struct tag_index *idx);

/* <tagSet><item><key/><value/></item>...</tagSet> */
void tags_write(struct out *o, const struct tags *t);

#endif
