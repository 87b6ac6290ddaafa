/*
 * params.h - a decoded request as a tree of named parameters.
 *
 * The Query protocol flattens structure into dotted names
 * ("Filter.2.Value.1=x"); api/query.c splits them on '.' into this tree, so
 * a service reads "Filter" as a list whose entries are numbered 1..N. The
 * tree is format-neutral so JSON requests can be decoded into it too.
 *
 * Getters fill struct err with EC2's codes (MissingParameter,
 * InvalidParameterValue) and return -1; they return 0 both when the value
 * was found and when an optional one is absent (then *ret is untouched).
 * Strings returned point into the tree and live as long as it.
 */
#ifndef EC2D_COMMON_PARAMS_H
#define EC2D_COMMON_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "strlist.h"

struct param {
	char *name;	     /* one component: "Filter", "2", "Value" */
	char *value;	     /* NULL for a node that only has children */
	struct param **kids; /* sorted: numbers by value, then names */
	size_t nkids;
	size_t cap;
};

/* Limits on what a client may send (curl's rule: everything bounded). */
#define PARAMS_MAX_COUNT 2048 /* leaves in one request */
#define PARAMS_MAX_DEPTH 8    /* components in one name */
#define PARAMS_MAX_LIST	 1000 /* highest list index */

struct param *params_new(void);
void params_free(struct param *root);

/*
 * Insert name=value where name is a dotted path. A repeated name or a bad
 * path (empty component, list index 0 or past PARAMS_MAX_LIST, too deep)
 * gives InvalidParameterValue / InvalidParameter.
 */
int params_set(struct param *root, const char *name, const char *value,
	       struct err *e);

/* The direct child called name, or NULL. */
const struct param *param_child(const struct param *p, const char *name);
/* Follow a dotted path ("Filter.1.Name"); NULL when any part is missing. */
const struct param *param_path(const struct param *p, const char *path);
/* The value at a dotted path, or NULL. */
const char *param_value(const struct param *p, const char *path);

/*
 * A numbered list under p: "Name.1", "Name.2"... Fills *ret with the
 * entries in index order (borrowed pointers; free(*ret) only) and *ret_n.
 * An absent list is an empty one. Non-numeric members, or more than max
 * entries, give InvalidParameterValue.
 */
int param_list(const struct param *p, const char *name, size_t max,
	       const struct param ***ret, size_t *ret_n, struct err *e);

/* The values of a list of strings ("InstanceId.N") into out. */
int param_strlist(const struct param *p, const char *name, size_t max,
		  struct strlist *out, struct err *e);

/*
 * A string member. required: absent gives MissingParameter. maxlen 0 means
 * no limit beyond the request's own; longer gives InvalidParameterValue.
 */
int param_str(const struct param *p, const char *name, bool required,
	      size_t maxlen, const char **ret, struct err *e);

/* An integer in [min, max]; anything else is InvalidParameterValue. */
int param_int(const struct param *p, const char *name, bool required,
	      long long min, long long max, long long *ret, struct err *e);

/* "true" or "false" (any case, as EC2 accepts). */
int param_bool(const struct param *p, const char *name, bool *ret,
	       struct err *e);

/* One of a NULL-terminated list of allowed values. */
int param_enum(const struct param *p, const char *name, bool required,
	       const char *const *allowed, const char **ret, struct err *e);

/* Checked number parsing: the whole string, no sign tricks, in range. */
int parse_ll(const char *s, long long min, long long max, long long *ret);

#endif
