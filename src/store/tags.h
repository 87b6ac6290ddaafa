/*
 * tags.h - tags, kept for any resource listed in the resource registry,
 * and the registry itself: every resource id with its EC2 resource type
 * ("key-pair", "instance", ...), so tag actions can check ids generically.
 */
#ifndef EC2D_STORE_TAGS_H
#define EC2D_STORE_TAGS_H

#include "store.h"

struct tag {
	char *key;
	char *value;
};
struct tags {
	struct tag *v;
	size_t n;
};
void tags_free(struct tags *t);

int store_tags_get(struct store_tx *tx, const char *resource_id,
		   struct tags *out, struct err *e);
int store_tag_put(struct store_tx *tx, const char *resource_id, const char *key,
		  const char *value, struct err *e);
/* Delete key from resource; value NULL deletes whatever its value. */
int store_tag_delete(struct store_tx *tx, const char *resource_id,
		     const char *key, const char *value, struct err *e);
int store_tags_count(struct store_tx *tx, const char *resource_id, size_t *ret,
		     struct err *e);

/* Every tag of every resource, ordered by resource id then key. */
struct tagged {
	char *resource_id;
	char *resource_type;
	char *key;
	char *value;
};
int store_tags_all(struct store_tx *tx, struct tagged **ret, size_t *ret_n,
		   struct err *e);
/* The same, only for resources of one type ("key-pair"). */
int store_tags_of_type(struct store_tx *tx, const char *type,
		       struct tagged **ret, size_t *ret_n, struct err *e);
void tagged_free(struct tagged *v, size_t n);

/*
 * The tags that pass every condition, ordered by resource id then key,
 * starting after (after_id, after_key) (after_id "" or NULL: from the
 * first), at most limit (0: all).
 */
struct tag_query {
	struct store_values resource_ids, types, keys, values;
	const char *after_id;
	const char *after_key;
	size_t limit;
};
int store_tags_query(struct store_tx *tx, const struct tag_query *q,
		     struct tagged **ret, size_t *ret_n, struct err *e);

int store_resource_add(struct store_tx *tx, const char *id, const char *type,
		       struct err *e);
int store_resource_type(struct store_tx *tx, const char *id, char *type,
			size_t size, struct err *e);
/* Remove a resource and its tags. */
int store_resource_del(struct store_tx *tx, const char *id, struct err *e);

#endif
