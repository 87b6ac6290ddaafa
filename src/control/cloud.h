/*
 * cloud.h - what a deployment is made of before anyone asks: its hosts
 * (--hosts-per-zone simulated hosts in each zone on a single machine) and
 * the account's default VPC with a default subnet per zone, as AWS gives
 * every account.
 *
 * Hosts are numbered h = z * hosts_per_zone + k (zone index z, k-th host
 * of the zone) in the control plane's arrays; their ids and network
 * numbers depend on (z, k) only, so a host keeps its namespace when the
 * count changes. A recorded host that is no longer configured becomes
 * `unavailable`: nothing new is placed on it.
 */
#ifndef EC2D_CONTROL_CLOUD_H
#define EC2D_CONTROL_CLOUD_H

#include "common/config.h"
#include "common/err.h"
#include "store/store.h"

/* Record the configured hosts; create the default VPC once. */
int cloud_bootstrap(const struct config *cfg, struct store *s,
		    const char *account, struct err *e);

/* The number of hosts (zones x hosts per zone). */
size_t cloud_nhosts(const struct config *cfg);

/* Host h's id: "use1-az1-h1", "use1-az1-h2", ... */
void cloud_host_id(const struct config *cfg, size_t h, char *out, size_t size);

/* Host h's zone index. */
size_t cloud_host_zone(const struct config *cfg, size_t h);

/* Host h's network number (net.h): z + 1 + k * CONFIG_MAX_ZONES. */
unsigned cloud_host_no(const struct config *cfg, size_t h);

#endif
