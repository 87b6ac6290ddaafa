/*
 * registry.h - the machine's list of ec2d deployments, which outlives
 * their data directories: one file per deployment tag,
 * REGISTRY_DIR/<tag>, holding the data directory's path, its device and
 * inode (a directory removed and made again is another one) and the pid
 * of the ec2d that last served it.
 *
 * A running ec2d holds an exclusive flock on its entry for as long as
 * its network is open (host_net_open .. host_net_close), so "is it
 * served?" is a non-blocking lock attempt, immune to pid reuse; removing
 * a deployment (ec2d down, ec2d gc) holds the same lock while it works.
 * It lives in /run, as the namespaces and processes it accounts for do:
 * all vanish together at a reboot.
 */
#ifndef EC2D_AGENT_REGISTRY_H
#define EC2D_AGENT_REGISTRY_H

#include <stddef.h>
#include <sys/types.h>

#define REGISTRY_DIR	  "/run/ec2d/deployments"
#define REGISTRY_PATH_MAX 1024

struct registry_entry {
	char tag[8];
	char data_dir[REGISTRY_PATH_MAX];
	unsigned long long dev, ino; /* of data_dir when registered */
	long pid;
};

/*
 * Write tag's entry for data_dir and lock it; *ret_fd keeps the lock
 * (close it to let go). -EBUSY when another process holds it; -errno.
 */
int registry_hold(const char *dir, const char *tag, const char *data_dir,
		  int *ret_fd);

/*
 * Lock tag's existing entry (non-blocking) and read it. -ENOENT: no
 * entry; -EBUSY: a running ec2d holds it (e->pid says which).
 */
int registry_lock(const char *dir, const char *tag, struct registry_entry *e,
		  int *ret_fd);

/* Remove the entry locked by registry_lock (or _hold) and close fd. */
void registry_drop(const char *dir, const char *tag, int fd);

/* Every entry's tag, sorted, into *ret (malloc'd). 0 or -errno. */
int registry_tags(const char *dir, char (**ret)[8], size_t *ret_n);

#endif
