/*
 * instances.h - what the instance actions share: EC2's state names and
 * codes, id checks, loading the instances a request names, and writing an
 * instance as DescribeInstances shows it.
 */
#ifndef EC2D_SERVICES_EC2_INSTANCES_H
#define EC2D_SERVICES_EC2_INSTANCES_H

#include "common/err.h"
#include "common/out.h"
#include "common/strlist.h"
#include "store/instances.h"

/* pending 0, running 16, shutting-down 32, terminated 48, stopping 64,
 * stopped 80; -1 for an unknown name. */
int instance_state_code(const char *state);

/* i- and 8 or 17 lower-case hex digits, else InvalidInstanceID.Malformed. */
int instance_id_check(const char *id, struct err *e);

/*
 * The instances named in ids, in that order (duplicates once); every one
 * must exist (InvalidInstanceID.NotFound naming the missing ones).
 */
int instances_load(struct store_tx *tx, const struct strlist *ids,
		   struct instance **ret, size_t *ret_n, struct err *e);

/* <item><instanceId/><currentState/><previousState/></item> */
void instance_state_change_write(struct out *o, const char *id,
				 const char *before, const char *after);

/*
 * Do the stopped ones among v (with their types as they are now) fit on
 * their own hosts, where their root disks live, counted together?
 * InsufficientInstanceCapacity when one does not.
 */
int instances_fit_hosts(struct store_tx *tx, const struct instance *v, size_t n,
			struct err *e);

#endif
