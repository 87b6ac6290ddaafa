/*
 * net_file.h - files of the network layer under RUN (/run/ec2d-<tag>):
 * dnsmasq's configuration and per-port host lines. Folders get 0755 and
 * files 0644 whatever the umask, because dnsmasq reads them as "nobody".
 * All return 0 (or a count) or -errno.
 */
#ifndef EC2D_AGENT_NET_NET_FILE_H
#define EC2D_AGENT_NET_NET_FILE_H

#include <sys/types.h>

#define NET_FILE_PATH_MAX 1024

/* mkdir -p; a folder it makes gets exactly mode. */
int net_file_mkdir_p(const char *path, mode_t mode);

/*
 * Make path hold text, atomically (a dot-file renamed over it: dnsmasq's
 * directory watch skips dot-files). 2: the file is new, 1: it changed,
 * 0: it already held text.
 */
int net_file_replace(const char *path, const char *text);

/* rm -rf; 0 when it did not exist. */
int net_file_remove_tree(const char *path);

#endif
