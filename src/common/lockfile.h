/*
 * lockfile.h - an exclusive lock that dies with its process, never with
 * its children.
 *
 * flock() locks belong to the open file, which a forked child shares
 * until it execs: a child still between fork and exec (or held before
 * exec, spawn.h) when ec2d is killed keeps a flock alive, and the next
 * ec2d is refused the data directory. fcntl(F_SETLK) record locks
 * belong to the process: a fork does not inherit them and the kernel
 * drops them when the process dies. Their cost: closing any fd of the
 * file in the process drops the lock too, so open a lock file once.
 * Within one process the lock does not exclude (test from a child).
 */
#ifndef EC2D_COMMON_LOCKFILE_H
#define EC2D_COMMON_LOCKFILE_H

/* Lock fd's whole file for writing, without waiting: 0, -EBUSY when
 * another process holds it, or -errno. */
int lockfile_try(int fd);

#endif
