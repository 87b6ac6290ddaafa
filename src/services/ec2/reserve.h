/*
 * reserve.h - the disk reserve, as RunInstances and StartInstances see it.
 */
#ifndef EC2D_SERVICES_EC2_RESERVE_H
#define EC2D_SERVICES_EC2_RESERVE_H

#include "common/config.h"
#include "common/err.h"

/*
 * 0 when the data directory's file system (and that of its hosts/ folder,
 * where the instances' disks grow) has at least cfg->disk_reserve free;
 * else -1 with InsufficientInstanceCapacity. One statvfs() each: cheap,
 * and it writes nothing, so it runs before anything is written.
 */
int reserve_check(const struct config *cfg, struct err *e);

#endif
