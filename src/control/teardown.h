/*
 * teardown.h - removing deployments from this machine: `ec2d down` (one,
 * by its data directory) and `ec2d gc` (those whose data directory is
 * gone). The machine side is the agent's (host.h: host_teardown,
 * host_deployments); here: which deployment, its guests powered off
 * first, and what gc may touch.
 */
#ifndef EC2D_CONTROL_TEARDOWN_H
#define EC2D_CONTROL_TEARDOWN_H

#include <stdbool.h>
#include <stdio.h>

#include "common/config.h"
#include "common/err.h"
#include "store/store.h"

#define TEARDOWN_GRACE_MS 5000 /* SIGTERM to SIGKILL for leftovers */

/*
 * Power off the guests of cfg->data_dir (ACPI, then forced after
 * --stop-timeout-ms, as --stop-instances-on-exit does), then remove
 * everything its deployment made on this machine. The caller holds the
 * data directory's lock (no ec2d serves it). The data directory stays.
 * The tag removed into tag ("" when the deployment never built its
 * network).
 */
int teardown_down(const struct config *cfg, struct store *s, char tag[8],
		  struct err *e);

/*
 * List to out the deployments whose data directory is gone ("gone") and
 * the tags with no registry entry ("orphan"); with yes remove the gone
 * ones, and with orphans too the orphans, unless an ec2d without a
 * registry entry runs (it may own them). Never touches a deployment a
 * running ec2d holds or whose data directory exists. -1 when a removal
 * failed (each is tried).
 */
int teardown_gc(bool yes, bool orphans, FILE *out, struct err *e);

#endif
