/*
 * net_run.h - run a network tool (ip, dnsmasq) and collect what it said.
 *
 * The child gets an argv array (never a shell), an empty environment,
 * default signal handling, stdin from the given text (or /dev/null) and
 * stdout+stderr into an anonymous memory file that is read back after it
 * exits, so no pipe can fill up and block either side. It runs in the
 * network namespace of the calling thread (see netns_call).
 */
#ifndef EC2D_AGENT_NET_NET_RUN_H
#define EC2D_AGENT_NET_NET_RUN_H

#include "common/buf.h"

#define NET_RUN_OUTPUT_MAX (16u << 10) /* kept of a child's output */

/*
 * argv[0] is an absolute path; argv ends with NULL. input may be NULL.
 * Returns the exit status (0..255), -ECHILD when the child died by a
 * signal, or -errno when it could not be started. out (may be NULL)
 * receives up to NET_RUN_OUTPUT_MAX bytes of its output.
 */
int net_run(const char *const *argv, const char *input, struct buf *out);

#endif
