/*
 * filter.h - EC2's Describe filters, for every resource.
 *
 * A request carries Filter.N.Name and Filter.N.Value.M. Filters AND
 * together; the values of one filter OR together; values may use '*' (any
 * run) and '?' (any one character), with '\' escaping them. A resource
 * describes itself with a filter_spec: a table of the filter names it knows,
 * each with a function that lists the resource's values for that name, and
 * optionally its tags (then tag:KEY, tag-key and tag-value work). An unknown
 * filter name is InvalidParameterValue, never a 500.
 */
#ifndef EC2D_SERVICES_EC2_FILTER_H
#define EC2D_SERVICES_EC2_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/filter_spec.h"
#include "common/params.h"
#include "common/strlist.h"

struct store_values;
struct store_tag_match;

struct filter {
	const char *name;		  /* borrowed from the request */
	const struct filter_field *field; /* NULL for the tag filters */
	const char **values;
	size_t nvalues;
};

struct filter_set {
	struct filter *v;
	size_t n;
};

#define FILTERS_MAX	  50
#define FILTER_VALUES_MAX 200

/* Read Filter.N from the request and check every name against spec. */
int filters_parse(const struct param *req, const struct filter_spec *spec,
		  struct filter_set *out, struct err *e);
void filters_free(struct filter_set *fs);

/* True when res passes every filter. */
bool filters_match(const struct filter_set *fs, const struct filter_spec *spec,
		   const void *res);

/*
 * For list queries that match in SQL: when the filter named name is there
 * with at least one value and none of its values uses a wildcard or an
 * escape, point out at its values (borrowed) and return true. The caller
 * still applies every filter to the rows it gets: the SQL only narrows.
 */
bool filter_literal(const struct filter_set *fs, const char *name,
		    struct store_values *out);
/* The same for tag:KEY filters: fill up to max, return how many. */
size_t filter_tag_literals(const struct filter_set *fs,
			   struct store_tag_match *out, size_t max);

/* EC2 wildcard match: '*', '?', '\' escapes; whole-string, case-sensitive. */
bool wildcard_match(const char *pattern, const char *s);

#endif
