/*
 * net_dhcp.h - the dnsmasq process of one VPC router.
 *
 * dnsmasq runs as a daemon (it forks, drops to "nobody" and writes its
 * pid file), so it outlives an ec2d restart and is adopted again: the pid
 * file names it, and a pid is only trusted when that process is dnsmasq,
 * was started with this configuration file and lives in this namespace.
 * Signals go through a pidfd, so a pid reused by another process is never
 * signalled.
 */
#ifndef EC2D_AGENT_NET_NET_DHCP_H
#define EC2D_AGENT_NET_NET_DHCP_H

#include <sys/types.h>

#include "common/buf.h"

#define NET_DHCP_STOP_MS 2000 /* SIGTERM, then SIGKILL */

/* The running dnsmasq for (conf, netns), or 0 when there is none. */
pid_t net_dhcp_pid(const char *pid_file, const char *conf, const char *netns);

/*
 * Start dnsmasq --conf-file=conf inside netns and wait until it has
 * daemonized (its launcher exits after the configuration and sockets were
 * accepted). 0, or -errno / the launcher's exit status as -EIO with
 * dnsmasq's own words in out.
 */
int net_dhcp_start(const char *dnsmasq, const char *conf, const char *netns,
		   struct buf *out);

/* SIGHUP: re-read the hosts directory. 0 or -errno (-ESRCH: gone). */
int net_dhcp_reload(pid_t pid, const char *conf, const char *netns);

/* SIGTERM, wait up to NET_DHCP_STOP_MS, then SIGKILL. 0 or -errno. */
int net_dhcp_stop(pid_t pid, const char *conf, const char *netns);

#endif
