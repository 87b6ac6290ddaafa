/*
 * regions.c - DescribeRegions, DescribeAvailabilityZones and
 * DescribeAccountAttributes: what the deployment is, from its configuration.
 *
 * One ec2d deployment is one region; its zones come from the configuration
 * (default us-east-1a..c with ids use1-az1..). Nothing here is stored.
 */
#include "ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "store/vpcs.h"

/* DescribeRegions. */

struct region_view {
	const struct config *cfg;
};

static void
region_name_values(const void *res, struct strlist *out)
{
	strlist_add(out, ((const struct region_view *)res)->cfg->region);
}

static void
region_endpoint_values(const void *res, struct strlist *out)
{
	strlist_add(out, ((const struct region_view *)res)->cfg->endpoint);
}

static void
opt_in_values(const void *res, struct strlist *out)
{
	strlist_add(out, "opt-in-not-required");
}

static const struct filter_field region_fields[] = {
    {"endpoint", region_endpoint_values},
    {"opt-in-status", opt_in_values},
    {"region-name", region_name_values},
};

static const struct filter_spec region_filters = {
    .fields = region_fields,
    .nfields = sizeof(region_fields) / sizeof(region_fields[0]),
};

int
ec2_describe_regions(struct action_ctx *c, struct out *o, struct err *e)
{
	struct region_view r = {.cfg = c->cfg};
	struct filter_set fs = {0};
	struct strlist names;
	bool all = false;
	int rc = -1;

	strlist_init(&names);
	if (param_bool(c->req, "AllRegions", &all, e) < 0 ||
	    param_strlist(c->req, "RegionName", 200, &names, e) < 0 ||
	    filters_parse(c->req, &region_filters, &fs, e) < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++)
		if (strcmp(names.v[i], c->cfg->region) != 0) {
			err_set(e, "InvalidParameterValue",
				"Invalid region: %.100s", names.v[i]);
			goto out;
		}
	out_list(o, "regionInfo");
	if (filters_match(&fs, &region_filters, &r)) {
		out_item(o);
		out_str(o, "regionName", c->cfg->region);
		out_str(o, "regionEndpoint", c->cfg->endpoint);
		out_str(o, "optInStatus", "opt-in-not-required");
		out_item_end(o);
	}
	out_list_end(o);
	rc = 0;
out:
	filters_free(&fs);
	strlist_free(&names);
	return rc;
}

/* DescribeAvailabilityZones. */

struct zone_view {
	const struct config *cfg;
	const struct zone_config *zone;
};

#define ZONE(res) ((const struct zone_view *)(res))

static void
zone_name_values(const void *res, struct strlist *out)
{
	strlist_add(out, ZONE(res)->zone->name);
}

static void
zone_id_values(const void *res, struct strlist *out)
{
	strlist_add(out, ZONE(res)->zone->id);
}

static void
zone_region_values(const void *res, struct strlist *out)
{
	strlist_add(out, ZONE(res)->cfg->region);
}

static void
zone_state_values(const void *res, struct strlist *out)
{
	strlist_add(out, "available");
}

static void
zone_type_values(const void *res, struct strlist *out)
{
	strlist_add(out, "availability-zone");
}

static void
no_values(const void *res, struct strlist *out)
{
}

static const struct filter_field zone_fields[] = {
    {"group-name", zone_region_values},
    {"message", no_values},
    {"network-border-group", zone_region_values},
    {"opt-in-status", opt_in_values},
    {"parent-zone-id", no_values},
    {"parent-zone-name", no_values},
    {"region-name", zone_region_values},
    {"state", zone_state_values},
    {"zone-id", zone_id_values},
    {"zone-name", zone_name_values},
    {"zone-type", zone_type_values},
};

static const struct filter_spec zone_filters = {
    .fields = zone_fields,
    .nfields = sizeof(zone_fields) / sizeof(zone_fields[0]),
};

static const struct zone_config *
zone_by(const struct config *cfg, const char *name, const char *id)
{
	for (size_t i = 0; i < cfg->nzones; i++)
		if ((name && strcmp(cfg->zones[i].name, name) == 0) ||
		    (id && strcmp(cfg->zones[i].id, id) == 0))
			return &cfg->zones[i];
	return NULL;
}

int
ec2_describe_availability_zones(struct action_ctx *c, struct out *o,
				struct err *e)
{
	struct strlist names, ids;
	struct filter_set fs = {0};
	bool all = false;
	int rc = -1;

	strlist_init(&names);
	strlist_init(&ids);
	if (param_bool(c->req, "AllAvailabilityZones", &all, e) < 0 ||
	    param_strlist(c->req, "ZoneName", 200, &names, e) < 0 ||
	    param_strlist(c->req, "ZoneId", 200, &ids, e) < 0 ||
	    filters_parse(c->req, &zone_filters, &fs, e) < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++)
		if (!zone_by(c->cfg, names.v[i], NULL)) {
			err_set(e, "InvalidParameterValue",
				"The zone '%.100s' does not exist.",
				names.v[i]);
			goto out;
		}
	for (size_t i = 0; i < ids.n; i++)
		if (!zone_by(c->cfg, NULL, ids.v[i])) {
			err_set(e, "InvalidParameterValue",
				"The zone ID '%.100s' does not exist.",
				ids.v[i]);
			goto out;
		}
	out_list(o, "availabilityZoneInfo");
	for (size_t i = 0; i < c->cfg->nzones; i++) {
		const struct zone_config *z = &c->cfg->zones[i];
		struct zone_view v = {c->cfg, z};

		if ((names.n || ids.n) && !strlist_contains(&names, z->name) &&
		    !strlist_contains(&ids, z->id))
			continue;
		if (!filters_match(&fs, &zone_filters, &v))
			continue;
		out_item(o);
		out_str(o, "zoneName", z->name);
		out_str(o, "zoneState", "available");
		out_str(o, "regionName", c->cfg->region);
		out_list(o, "messageSet");
		out_list_end(o);
		out_str(o, "zoneId", z->id);
		out_str(o, "zoneType", "availability-zone");
		out_str(o, "optInStatus", "opt-in-not-required");
		out_str(o, "groupName", c->cfg->region);
		out_str(o, "networkBorderGroup", c->cfg->region);
		out_item_end(o);
	}
	out_list_end(o);
	rc = 0;
out:
	filters_free(&fs);
	strlist_free(&names);
	strlist_free(&ids);
	return rc;
}

/* DescribeAccountAttributes. */

static const struct {
	const char *name;
	const char *values[2];
} account_attributes[] = {
    {"supported-platforms", {"VPC"}},
    {"vpc-max-security-groups-per-interface", {"5"}},
    {"max-elastic-ips", {"5"}},
    {"max-instances", {"100"}}, /* RunInstances' own limit */
    {"vpc-max-elastic-ips", {"5"}},
    {"default-vpc", {"none"}},
};

#define NATTRS (sizeof(account_attributes) / sizeof(account_attributes[0]))

int
ec2_describe_account_attributes(struct action_ctx *c, struct out *o,
				struct err *e)
{
	struct strlist want;
	char default_vpc[32] = "none";
	int rc = -1;

	strlist_init(&want);
	if (param_strlist(c->req, "AttributeName", NATTRS, &want, e) < 0)
		goto out;
	for (size_t i = 0; i < want.n; i++) {
		size_t k = 0;

		while (k < NATTRS &&
		       strcmp(account_attributes[k].name, want.v[i]) != 0)
			k++;
		if (k == NATTRS) {
			err_set(e, "InvalidParameterValue",
				"Value (%.100s) for parameter attributeName is "
				"invalid. Unknown attribute name.",
				want.v[i]);
			goto out;
		}
	}
	/* The default VPC is the store's; the rest are fixed quotas. */
	{
		struct vpc_row *vpcs = NULL;
		size_t nv = 0;

		if (store_vpc_list(c->tx, &vpcs, &nv, e) < 0)
			goto out;
		for (size_t k = 0; k < nv; k++)
			if (vpcs[k].is_default)
				snprintf(default_vpc, sizeof(default_vpc), "%s",
					 vpcs[k].id);
		free(vpcs);
	}
	out_list(o, "accountAttributeSet");
	for (size_t k = 0; k < NATTRS; k++) {
		bool is_vpc =
		    strcmp(account_attributes[k].name, "default-vpc") == 0;

		if (want.n &&
		    !strlist_contains(&want, account_attributes[k].name))
			continue;
		out_item(o);
		out_str(o, "attributeName", account_attributes[k].name);
		out_list(o, "attributeValueSet");
		for (size_t v = 0; v < 2 && account_attributes[k].values[v];
		     v++) {
			out_item(o);
			out_str(o, "attributeValue",
				is_vpc ? default_vpc
				       : account_attributes[k].values[v]);
			out_item_end(o);
		}
		out_list_end(o);
		out_item_end(o);
	}
	out_list_end(o);
	rc = 0;
out:
	strlist_free(&want);
	return rc;
}
