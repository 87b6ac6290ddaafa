/*
 * diskfree.h - free space on a file system, and the reserve ec2d keeps.
 *
 * The reserve (--disk-reserve) is a number of bytes ("1G", "512M",
 * "1048576") or a share of the file system's size ("5%"). RunInstances
 * and StartInstances refuse while the data directory's file system has
 * less free than that (services/ec2/reserve.c); a guest that QEMU paused
 * on a full disk is resumed once there is that much again (agent/host.c).
 * Free means what an unprivileged writer may use (statvfs f_bavail):
 * QEMU writes the disks, and it does not run as root.
 */
#ifndef EC2D_COMMON_DISKFREE_H
#define EC2D_COMMON_DISKFREE_H

#include <stdbool.h>
#include <stddef.h>

/* A reserve as text: "18446744073709551615", or up to "99." with 30
 * decimals and "%". */
#define DISKFREE_TEXT_MAX 40

struct disk_reserve {
	unsigned long long bytes; /* when percent is 0 */
	double percent;		  /* > 0: of the file system's size */
};

struct disk_space {
	unsigned long long avail; /* bytes an unprivileged writer may use */
	unsigned long long total; /* the file system's size */
};

/* "1G", "512M", "64k", "1048576", "0", "5%" (binary units; an optional
 * "B" or "iB" after the letter). 0, or -EINVAL with *ret untouched. */
int diskfree_parse(const char *s, struct disk_reserve *ret);

/* The reserve as diskfree_parse() reads it back. */
void diskfree_text(const struct disk_reserve *r, char *buf, size_t size);

/* statvfs(path): 0, or -errno. */
int diskfree_probe(const char *path, struct disk_space *ret);

/* The reserve in bytes on a file system of that size. */
unsigned long long diskfree_need(const struct disk_reserve *r,
				 const struct disk_space *s);

/*
 * Is path's file system below the reserve? A file system that cannot be
 * probed is not (the reserve guards space, not existence). *ret_space and
 * *ret_need (either may be NULL) are filled when it could be probed.
 */
bool diskfree_short(const char *path, const struct disk_reserve *r,
		    struct disk_space *ret_space, unsigned long long *ret_need);

/* "12.0 MiB", "1.0 GiB", "512 bytes": for messages. */
void diskfree_human(unsigned long long bytes, char *buf, size_t size);

#endif
