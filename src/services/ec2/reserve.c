/*
 * reserve.c - refuse a launch or a start while the disk is nearly full.
 * See reserve.h.
 *
 * A guest's root disk is a qcow2 overlay that grows as the guest writes;
 * on a full file system QEMU pauses the guest (agent/vm.c). So new guests
 * are refused while less than the reserve is free, with EC2's answer for
 * a launch it has no room for: InsufficientInstanceCapacity (a server
 * error, HTTP 500, which SDKs retry). The message names sizes, not the
 * host's paths: those are the operator's business.
 */
#include "reserve.h"

#include <stdio.h>

#include "common/diskfree.h"

/* Where control.c puts each host's folder (and its instances' disks). */
#define HOSTS_SUBDIR "/hosts"

int
reserve_check(const struct config *cfg, struct err *e)
{
	char dirs[2][CONFIG_PATH_MAX + sizeof(HOSTS_SUBDIR)];
	char avail[32], need[32];

	snprintf(dirs[0], sizeof(dirs[0]), "%s", cfg->data_dir);
	snprintf(dirs[1], sizeof(dirs[1]), "%s%s", cfg->data_dir, HOSTS_SUBDIR);
	for (size_t i = 0; i < 2; i++) {
		struct disk_space s;
		unsigned long long n;

		if (!diskfree_short(dirs[i], &cfg->disk_reserve, &s, &n))
			continue;
		diskfree_human(s.avail, avail, sizeof(avail));
		diskfree_human(n, need, sizeof(need));
		return err_set(e, "InsufficientInstanceCapacity",
			       "We currently do not have sufficient capacity "
			       "to launch or start instances: the hosts' disk "
			       "has %s free, below the %s it keeps in reserve "
			       "(--disk-reserve). Try again when space has "
			       "been freed.",
			       avail, need);
	}
	return 0;
}
