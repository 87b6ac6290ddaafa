/*
 * filter_spec.h - how a resource describes itself to EC2's Describe
 * filters: a table of the filter names it knows, each with a function that
 * lists the resource's values for that name, and optionally its tags.
 * Here, in common/, so that tables outside services/ (catalog/) can define
 * their filters without reaching into services/; the filtering itself is
 * services/ec2/filter.h's.
 */
#ifndef EC2D_COMMON_FILTER_SPEC_H
#define EC2D_COMMON_FILTER_SPEC_H

#include <stddef.h>

#include "common/strlist.h"

struct tags;

struct filter_field {
	const char *name;
	/* Append the resource's values for this filter to out. */
	void (*values)(const void *res, struct strlist *out);
};

struct filter_spec {
	const struct filter_field *fields;
	size_t nfields;
	/* The resource's tags, or NULL if this resource has none. */
	const struct tags *(*tags)(const void *res);
};

#endif
