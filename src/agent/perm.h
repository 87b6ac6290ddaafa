/*
 * perm.h - can QEMU's user reach a file? Asked before QEMU runs, so that a
 * data directory under /root (0700) or an image file readable by root
 * alone is a clear sentence at start or in the instance's state reason,
 * not "qemu exited with status 1".
 *
 * Classic mode bits only (owner, group, other; the user's primary group):
 * an ACL that grants more is not seen, one that takes away is not either.
 */
#ifndef EC2D_AGENT_PERM_H
#define EC2D_AGENT_PERM_H

#include <stddef.h>
#include <sys/types.h>

/*
 * perm_user_can - 0 when user uid (primary group gid) can search every
 * folder on the way to path and has `want` (R_OK, W_OK, X_OK, or'ed) on
 * path itself; uid 0 always can. Else -EACCES (or stat's -errno) with a
 * sentence in why naming the first folder or file that stops it.
 */
int perm_user_can(const char *path, uid_t uid, gid_t gid, int want, char *why,
		  size_t why_size);

#endif
