/*
 * instance_types.c - DescribeInstanceTypes and
 * DescribeInstanceTypeOfferings over the compiled-in table of itypes.c.
 */
#include "ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/itypes.h"
#include "filter.h"
#include "paginate.h"

int
ec2_describe_instance_types(struct action_ctx *c, struct out *o, struct err *e)
{
	struct strlist names;
	struct filter_set fs = {0};
	struct page pg;
	int rc = -1;

	strlist_init(&names);
	if (param_strlist(c->req, "InstanceType", 100, &names, e) < 0 ||
	    page_parse(c, "DescribeInstanceTypes", 5, 100, &pg, e) < 0 ||
	    filters_parse(c->req, &itype_filter_spec, &fs, e) < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++)
		if (!itype_find(names.v[i])) {
			err_set(e, "InvalidInstanceType",
				"The following supplied instance types do not "
				"exist: [%.100s]",
				names.v[i]);
			goto out;
		}
	out_list(o, "instanceTypeSet");
	for (size_t i = 0; i < itype_count(); i++) {
		const struct itype *t = itype_at(i);

		if (names.n && !strlist_contains(&names, t->name))
			continue;
		if (!filters_match(&fs, &itype_filter_spec, t) ||
		    !page_take(&pg, t->name))
			continue;
		out_item(o);
		itype_write(o, t);
		out_item_end(o);
	}
	out_list_end(o);
	page_write_token(&pg, o, "nextToken");
	rc = 0;
out:
	filters_free(&fs);
	strlist_free(&names);
	return rc;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
ec2_describe_instance_type_offerings(struct action_ctx *c, struct out *o,
				     struct err *e)
{
	static const char *const location_types[] = {
	    "region", "availability-zone", "availability-zone-id", "outpost",
	    NULL};
	const char *ltype = "region";
	const char *locations[CONFIG_MAX_ZONES + 1];
	size_t nloc = 0;
	struct filter_set fs = {0};
	struct page pg;
	int rc = -1;

	if (param_enum(c->req, "LocationType", false, location_types, &ltype,
		       e) < 0 ||
	    page_parse(c, "DescribeInstanceTypeOfferings", 5, 1000, &pg, e) <
		0 ||
	    filters_parse(c->req, &itype_offering_filter_spec, &fs, e) < 0)
		goto out;
	if (strcmp(ltype, "region") == 0)
		locations[nloc++] = c->cfg->region;
	for (size_t z = 0; z < c->cfg->nzones; z++) {
		if (strcmp(ltype, "availability-zone") == 0)
			locations[nloc++] = c->cfg->zones[z].name;
		else if (strcmp(ltype, "availability-zone-id") == 0)
			locations[nloc++] = c->cfg->zones[z].id;
	}
	/* No outposts here: that location type lists nothing. */
	qsort(locations, nloc, sizeof(*locations), str_cmp);
	out_list(o, "instanceTypeOfferingSet");
	for (size_t l = 0; l < nloc; l++)
		for (size_t i = 0; i < itype_count(); i++) {
			struct itype_offering off = {itype_at(i), ltype,
						     locations[l]};
			char key[PAGE_KEY_MAX];

			if (!filters_match(&fs, &itype_offering_filter_spec,
					   &off))
				continue;
			snprintf(key, sizeof(key), "%s\x01%s", locations[l],
				 off.type->name);
			if (!page_take(&pg, key))
				continue;
			out_item(o);
			itype_offering_write(o, &off);
			out_item_end(o);
		}
	out_list_end(o);
	page_write_token(&pg, o, "nextToken");
	rc = 0;
out:
	filters_free(&fs);
	return rc;
}
