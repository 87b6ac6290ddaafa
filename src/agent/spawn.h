/*
 * spawn.h - starting the agent's child processes: QEMU and qemu-img.
 *
 * fork + execve with an argv array (never a shell), in the order
 * Firecracker's jailer uses: default signal dispositions and an empty
 * mask, a new session (so the agent's terminal or process group cannot
 * signal a guest, and the whole QEMU can be killed as one group), the
 * network namespace, its cgroups, standard fds and the passed ones (3, 4,
 * ...), privileges dropped, every other fd marked close-on-exec, exec with an empty environment. An exec failure
 * comes back to the parent as its errno through a close-on-exec pipe.
 *
 * The caller owns the pid: it must reap it (waitpid) or hand it to someone
 * who will. Safe to call from a multi-threaded process: the child runs
 * only async-signal-safe calls between fork and exec.
 */
#ifndef EC2D_AGENT_SPAWN_H
#define EC2D_AGENT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct spawn_opts {
	char *const *argv; /* NULL-terminated; argv[0] absolute */
	int stdout_fd;	   /* -1: /dev/null (stdin is always /dev/null) */
	int stderr_fd;	   /* -1: /dev/null */
	int netns_fd;	   /* -1: stay in the caller's namespace */
	uid_t uid;	   /* 0: keep (with gid) */
	gid_t gid;
	/* Handed to the child as fds 3, 4, ... in this order (QEMU's
	 * "-netdev tap,fd=3"); the caller keeps and closes its own. */
	const int *pass_fds;
	size_t n_pass_fds; /* at most SPAWN_PASS_FDS_MAX */
	/* The child writes "0" to each (cgroup.procs files: it joins those
	 * cgroups) while it is still the caller's user. */
	const int *join_fds;
	size_t n_join_fds;
};

#define SPAWN_PASS_FDS_MAX 16

/*
 * spawn_start - start o->argv. 0 and *ret_pid once the child has exec'd;
 * -errno when it could not be started (-ENOENT: no such program; the
 * child, if any, is already reaped).
 */
int spawn_start(const struct spawn_opts *o, pid_t *ret_pid);

/*
 * spawn_run - start argv as spawn_start does (no namespace, same user),
 * collect at most out_size - 1 bytes of its stdout and stderr in out
 * (NUL-terminated; the rest is discarded) and wait for it, at most
 * timeout_ms: then it is killed. 0 and *ret_status (a waitpid status), or
 * -errno (-ETIMEDOUT when it was killed).
 */
int spawn_run(char *const *argv, int timeout_ms, char *out, size_t out_size,
	      int *ret_status);

/* pidfd_open(2): a pollable fd that turns readable when pid exits. */
int spawn_pidfd_open(pid_t pid);

/*
 * spawn_cmdline_has - true when the live process pid has an argument equal
 * to opt or starting with opt followed by ',' (QEMU's "guest=ID,..."), as
 * /proc/PID/cmdline shows it. Tells our QEMU from a recycled pid.
 */
bool spawn_cmdline_has(pid_t pid, const char *opt);

/* "exited with status 1", "killed by signal 9" for a waitpid status. */
void spawn_describe_status(int status, char *out, size_t size);

#endif
