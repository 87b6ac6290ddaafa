/*
 * netns.h - named network namespaces (/run/netns/NAME, as iproute2 makes
 * them) seen from inside ec2d.
 *
 * A namespace is entered by a short-lived thread, never by the caller's
 * thread: netns_call() starts a thread, setns()es it into the namespace,
 * runs fn there and joins it. Whatever fn creates there (sockets, child
 * processes started with posix_spawn) belongs to that namespace; the rest
 * of ec2d never leaves the namespace it started in. Creating and deleting
 * namespaces is left to `ip netns` (net.c).
 */
#ifndef EC2D_AGENT_NET_NETNS_H
#define EC2D_AGENT_NET_NETNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/strlist.h"

#define NETNS_DIR "/run/netns"

/* 1: /run/netns/NAME is a namespace; 0: absent (or a stale plain file). */
int netns_exists(const char *name);

/* Run fn(arg) in a thread inside the namespace; fn's result, or -errno
 * when the namespace could not be entered. */
int netns_call(const char *name, int (*fn)(void *arg), void *arg);

/*
 * netns_tap_open - attach to the existing tap device `tap` of namespace
 * `name` (NULL or "": the caller's own) and return its fd (close-on-exec,
 * IFF_VNET_HDR set, as QEMU would ask), or -errno. Lets the agent hand a
 * tap to a QEMU that runs unprivileged and could not open it itself.
 */
int netns_tap_open(const char *name, const char *tap);

/* Names in /run/netns that start with prefix, sorted. 0 or -errno. */
int netns_list(const char *prefix, struct strlist *out);

/* Is pid's network namespace the named one? */
bool netns_has_pid(const char *name, pid_t pid);

/* Processes whose network namespace is the named one ("PID COMM"). */
int netns_pids(const char *name, struct strlist *out);

/*
 * netns_pidfd_end - end the process behind pidfd: SIGTERM, and SIGKILL
 * when it still runs after grace_ms. 0 once it has exited (or was gone);
 * -ETIMEDOUT when it outlives SIGKILL by grace_ms; -errno.
 */
int netns_pidfd_end(int pidfd, int grace_ms);

/*
 * netns_end_pids - end every process in the namespace (netns_pidfd_end,
 * all signalled before any is waited for). The number still running
 * after that, or -errno. For removing a deployment whose ec2d is gone.
 */
int netns_end_pids(const char *name, int grace_ms);

#endif
