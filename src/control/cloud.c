/*
 * cloud.c - hosts and the default VPC at start. See cloud.h.
 */
#include "cloud.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/ipv4.h"
#include "common/log.h"
#include "store/hosts.h"
#include "store/instances.h"
#include "store/vpcs.h"

_Static_assert(sizeof(((struct vpc_row *)0)->cidr) >= IPV4_CIDR_STRLEN &&
		   sizeof(((struct subnet_row *)0)->cidr) >= IPV4_CIDR_STRLEN,
	       "a CIDR block fits the store's rows");

static size_t
per_zone(const struct config *cfg)
{
	return cfg->hosts_per_zone > 0 ? (size_t)cfg->hosts_per_zone : 1;
}

size_t
cloud_nhosts(const struct config *cfg)
{
	return cfg->nzones * per_zone(cfg);
}

size_t
cloud_host_zone(const struct config *cfg, size_t h)
{
	return h / per_zone(cfg);
}

void
cloud_host_id(const struct config *cfg, size_t h, char *out, size_t size)
{
	snprintf(out, size, "%s-h%zu", cfg->zones[cloud_host_zone(cfg, h)].id,
		 h % per_zone(cfg) + 1);
}

unsigned
cloud_host_no(const struct config *cfg, size_t h)
{
	return (unsigned)(cloud_host_zone(cfg, h) + 1 +
			  (h % per_zone(cfg)) * CONFIG_MAX_ZONES);
}

/* The first instance not yet terminated on host id, and how many. */
static size_t
live_on(const struct instance *v, size_t n, const char *id, const char **first)
{
	size_t live = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].host_id, id) == 0 &&
		    strcmp(v[i].state, "terminated") != 0 && !live++)
			*first = v[i].id;
	return live;
}

/*
 * The configured hosts as available; any other recorded one unavailable
 * (nothing new lands there). A host that is no longer configured but
 * still has instances refuses the start: no agent would run them.
 */
static int
hosts_record(const struct config *cfg, struct store_tx *tx, struct err *e)
{
	struct host_row *old = NULL;
	struct instance *v = NULL;
	size_t nold = 0, n = 0;
	int rc = 0;

	if (store_host_list(tx, &old, &nold, e) < 0)
		return -1;
	if (store_instance_list(tx, &v, &n, e) < 0) {
		free(old);
		return -1;
	}
	for (size_t i = 0; i < nold && rc == 0; i++) {
		bool configured = false;
		char id[sizeof(old[i].id)];
		const char *first = "";
		size_t live;

		for (size_t h = 0; h < cloud_nhosts(cfg) && !configured; h++) {
			cloud_host_id(cfg, h, id, sizeof(id));
			configured = strcmp(id, old[i].id) == 0;
		}
		if (configured)
			continue;
		live = live_on(v, n, old[i].id, &first);
		if (live) {
			rc = err_set(
			    e, "InternalError",
			    "host %s is no longer configured "
			    "(--hosts-per-zone %d) but %zu instance(s) "
			    "are on it (%s): terminate them first, "
			    "or keep the hosts",
			    old[i].id, cfg->hosts_per_zone, live, first);
			break;
		}
		if (strcmp(old[i].state, "unavailable") == 0)
			continue;
		snprintf(old[i].state, sizeof(old[i].state), "unavailable");
		log_msg(LOG_WARN, "host no longer configured", "host=%s",
			old[i].id);
		rc = store_host_put(tx, &old[i], e);
	}
	free(old);
	instances_free(v, n);
	for (size_t h = 0; h < cloud_nhosts(cfg) && rc == 0; h++) {
		struct host_row r = {
		    .vcpus = cfg->host_vcpus,
		    .memory_mib = cfg->host_memory_mib,
		    .gpus = cfg->host_gpus,
		};

		cloud_host_id(cfg, h, r.id, sizeof(r.id));
		snprintf(r.zone, sizeof(r.zone), "%s",
			 cfg->zones[cloud_host_zone(cfg, h)].name);
		snprintf(r.state, sizeof(r.state), "available");
		rc = store_host_put(tx, &r, e);
	}
	return rc;
}

/*
 * The default VPC as AWS makes it (common/ipv4.h): 172.31.0.0/16 and a
 * default /20 per zone, in zone order.
 */
static int
default_vpc(const struct config *cfg, struct store_tx *tx, const char *account,
	    struct err *e)
{
	struct vpc_row *v = NULL;
	struct vpc_row vpc = {.is_default = true, .vni = 1};
	struct ipv4_cidr block;
	size_t n = 0;
	bool have = false;

	if (store_vpc_list(tx, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		have = have || v[i].is_default;
	free(v);
	if (have)
		return 0;
	id_new("vpc", vpc.id);
	ipv4_default_vpc(&block);
	ipv4_cidr_format(&block, vpc.cidr);
	snprintf(vpc.owner, sizeof(vpc.owner), "%s", account);
	if (store_vpc_insert(tx, &vpc, e) < 0)
		return -1;
	for (size_t z = 0; z < cfg->nzones; z++) {
		struct subnet_row s = {.default_for_az = true};

		if (ipv4_default_subnet((unsigned)z, &block) < 0)
			return err_set(e, "InternalError",
				       "no default subnet for zone %zu", z + 1);
		id_new("subnet", s.id);
		snprintf(s.vpc_id, sizeof(s.vpc_id), "%s", vpc.id);
		snprintf(s.zone, sizeof(s.zone), "%s", cfg->zones[z].name);
		ipv4_cidr_format(&block, s.cidr);
		if (store_subnet_insert(tx, &s, e) < 0)
			return -1;
	}
	log_msg(LOG_INFO, "default vpc created", "vpc=%s cidr=%s", vpc.id,
		vpc.cidr);
	return 0;
}

int
cloud_bootstrap(const struct config *cfg, struct store *s, const char *account,
		struct err *e)
{
	struct store_tx *tx = store_begin(s, true, e);

	if (!tx)
		return -1;
	if (hosts_record(cfg, tx, e) < 0 ||
	    default_vpc(cfg, tx, account, e) < 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx, e);
}
