/*
 * spawn.h - every child process of the agent: QEMU, qemu-img, ip, nft,
 * dnsmasq (and later qemu-storage-daemon, mkfs).
 *
 * fork + execve with an argv array (never a shell), in the order
 * Firecracker's jailer uses: default signal dispositions and an empty
 * mask, a new session (so the agent's terminal or process group cannot
 * signal the child, and the child with everything it starts can be killed
 * as one group), the network namespace, its cgroups, standard fds and the
 * passed ones (3, 4, ...), privileges dropped, every other fd marked
 * close-on-exec, exec with the given environment (empty by default). An
 * exec failure comes back to the parent as its errno through a
 * close-on-exec pipe.
 *
 * Two modes on the same start:
 *  - spawn_start: a long-running child (QEMU, the acceleration probe's
 *    QEMU). Returns once it has exec'd; the caller owns the pid and reaps
 *    it with spawn_wait()/spawn_kill() (or hands it to someone who will).
 *  - spawn_run: a one-shot tool, run to completion: optional stdin text,
 *    stdout and stderr captured up to each buffer's maximum, and a timeout
 *    that is required: past it the child's whole process group is killed
 *    and reaped.
 * No call here waits for a child without a bound. Safe to call from a
 * multi-threaded process: the child runs only async-signal-safe calls
 * between fork and exec.
 */
#ifndef EC2D_AGENT_SPAWN_H
#define EC2D_AGENT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/strlist.h"

#define SPAWN_PASS_FDS_MAX 16
#define SPAWN_EXEC_MS	   10000 /* fork to exec (setns, cgroups, uid) */
#define SPAWN_REAP_MS	   5000	 /* a SIGKILLed child to be reaped */

struct spawn_opts {
	char *const *argv; /* NULL-terminated; argv[0] absolute */
	char *const *envp; /* NULL-terminated "NAME=value"; NULL: empty */
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

	/* spawn_start only: the child's standard fds (-1: /dev/null). */
	int stdin_fd;
	int stdout_fd;
	int stderr_fd;
	/*
	 * spawn_start only: the child, in its namespace and cgroups with
	 * its fds in place and every other fd closed, waits before exec
	 * until hold(pid, hold_ctx) returned 0 in the parent (which records
	 * the pid where a restarted agent finds it). If hold fails, or the
	 * parent dies first (kill -9), the child never execs: a program
	 * started here is always one the parent could record.
	 */
	int (*hold)(pid_t pid, void *hold_ctx);
	void *hold_ctx;

	/* spawn_run only. */
	const char *input; /* stdin text; NULL: /dev/null */
	struct buf *out;   /* stdout, up to out->max bytes; NULL: dropped */
	struct buf *err;   /* stderr; == out: merged in order; NULL: dropped */
	int timeout_ms;	   /* > 0, required */
};

/* Defaults: no fds handed over, /dev/null for 0 1 2, same namespace. */
void spawn_opts_init(struct spawn_opts *o, char *const *argv);

/*
 * spawn_start - start o->argv. 0 and *ret_pid once the child has exec'd;
 * -errno when it could not be started (-ENOENT: no such program, -EACCES:
 * not executable, -ETIMEDOUT: stuck before exec for SPAWN_EXEC_MS; the
 * child, if any, is already reaped).
 */
int spawn_start(const struct spawn_opts *o, pid_t *ret_pid);

struct spawn_result {
	int status;	/* its wait status, when spawn_run returned 0 */
	bool truncated; /* output past a buffer's maximum was dropped */
	int elapsed_ms; /* start to exit (or kill) */
};

/*
 * spawn_run - start o->argv as spawn_start does, feed it o->input, append
 * what it writes to o->out / o->err (at most up to each one's max; the
 * rest is read and dropped, so the child never blocks on a full pipe) and
 * wait for it at most o->timeout_ms. Reading stops when the child exits
 * (a daemon it forked may keep the pipes open). 0 with r->status; or
 * -ETIMEDOUT when it was killed at the timeout (with its process group;
 * the output so far is kept); -EINVAL without a timeout; -errno from the
 * start (-ENOENT: no such program).
 */
int spawn_run(const struct spawn_opts *o, struct spawn_result *r);

/* A wait status as an exit code 0..255, or -ECHILD when killed. */
int spawn_exit_code(int status);

/*
 * spawn_wait - reap our child pid if it exits within timeout_ms (0: only
 * look). 0 and *ret_status (may be NULL); -ETIMEDOUT while it runs on;
 * -ECHILD when pid is not our child (or already reaped).
 */
int spawn_wait(pid_t pid, int timeout_ms, int *ret_status);

/*
 * spawn_kill - SIGKILL our child pid and its process group (spawn_start
 * made it a group leader) and reap it, waiting at most SPAWN_REAP_MS.
 * As spawn_wait.
 */
int spawn_kill(pid_t pid, int *ret_status);

/* A NULL-terminated vector of l's strings (borrowed): free() it. */
char **spawn_argv(const struct strlist *l);

/* pidfd_open(2): a pollable fd that turns readable when pid exits. */
int spawn_pidfd_open(pid_t pid);

/*
 * spawn_proc_start - when process pid started, in clock ticks since boot
 * (/proc/PID/stat's starttime): with the pid it names one process, never
 * a later one that got the same pid. 0, or -errno (-ESRCH: no such pid).
 */
int spawn_proc_start(pid_t pid, unsigned long long *ret);

/*
 * spawn_cmdline_has - true when the live process pid has an argument equal
 * to opt or starting with opt followed by ',' (QEMU's "guest=ID,..."), as
 * /proc/PID/cmdline shows it. Tells our QEMU from a recycled pid.
 */
bool spawn_cmdline_has(pid_t pid, const char *opt);

/*
 * spawn_cmdline_value - the value of the live process pid's argument
 * "key=VALUE[,...]" (QEMU's "guest=ID,debug-threads=on" gives ID for
 * "guest"). 0, -ENOENT when it has none, -ESRCH when there is no pid.
 */
int spawn_cmdline_value(pid_t pid, const char *key, char *out, size_t size);

/* "exited with status 1", "killed by signal 9" for a waitpid status. */
void spawn_describe_status(int status, char *out, size_t size);

#endif
