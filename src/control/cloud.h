/*
 * cloud.h - what a deployment is made of before anyone asks: its hosts
 * (one per zone on a single machine) and the account's default VPC with a
 * default subnet per zone, as AWS gives every account.
 */
#ifndef EC2D_CONTROL_CLOUD_H
#define EC2D_CONTROL_CLOUD_H

#include "common/config.h"
#include "common/err.h"
#include "store/store.h"

/* Record the configured hosts; create the default VPC once. */
int cloud_bootstrap(const struct config *cfg, struct store *s,
		    const char *account, struct err *e);

/* The id of the host of zone index z: "use1-az1-h1". */
void cloud_host_id(const struct config *cfg, size_t z, char *out,
		   size_t size);

#endif
