/*
 * spawn.c - child processes of the agent. See spawn.h for the contract.
 *
 * Everything the child needs (the argv vector, /dev/null, the error pipe)
 * is made before fork(); between fork() and execve() the child calls only
 * async-signal-safe functions, because another thread of the agent may
 * hold malloc's lock at the moment of the fork. Called by the host code
 * (host.c) to start QEMU and by the instance-files code (instdir.c) to run
 * qemu-img.
 */
#include "agent/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define CMDLINE_MAX (64u << 10)

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
spawn_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

/* fd onto target, inheritable: dup2 of an fd onto itself keeps CLOEXEC. */
static int
child_move_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

/* A close-on-exec copy of fd at or above floor; -1 stays -1. */
static int
child_lift_fd(int fd, int floor)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, floor);
}

/*
 * Every fd the child still needs, lifted above the passed fds' slots
 * (3 .. 3+n-1) so that placing one cannot overwrite another, then placed:
 * 0 1 2, then the passed fds. *err_pipe follows its fd.
 */
static int
child_place_fds(const struct spawn_opts *o, int devnull, int *err_pipe)
{
	int floor = 3 + (int)o->n_pass_fds, lifted[SPAWN_PASS_FDS_MAX];
	int out, err_fd, pipe_fd = child_lift_fd(*err_pipe, floor);

	/* On failure *err_pipe stays the original: the errno still gets out. */
	if (pipe_fd < 0)
		return -1;
	*err_pipe = pipe_fd;
	devnull = child_lift_fd(devnull, floor);
	if (devnull < 0)
		return -1;
	out = child_lift_fd(o->stdout_fd >= 0 ? o->stdout_fd : devnull, floor);
	err_fd =
	    child_lift_fd(o->stderr_fd >= 0 ? o->stderr_fd : devnull, floor);
	if (out < 0 || err_fd < 0)
		return -1;
	for (size_t i = 0; i < o->n_pass_fds; i++)
		if ((lifted[i] = child_lift_fd(o->pass_fds[i], floor)) < 0)
			return -1;
	if (child_move_fd(devnull, 0) < 0 || child_move_fd(out, 1) < 0 ||
	    child_move_fd(err_fd, 2) < 0)
		return -1;
	for (size_t i = 0; i < o->n_pass_fds; i++)
		if (child_move_fd(lifted[i], 3 + (int)i) < 0)
			return -1;
	return floor;
}

/* The child's half, from fork to exec. Never returns. */
static void __attribute__((noreturn))
child_exec(const struct spawn_opts *o, int devnull, int err_pipe)
{
	static char *const empty_env[] = {NULL};
	struct sigaction dfl;
	sigset_t none;
	int err, floor;

	/* The agent's handlers and blocked signals are not QEMU's. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (setsid() < 0)
		goto fail;
	if (o->netns_fd >= 0 && setns(o->netns_fd, CLONE_NEWNET) < 0)
		goto fail;
	for (size_t i = 0; i < o->n_join_fds; i++)
		if (write(o->join_fds[i], "0", 1) != 1)
			goto fail;
	floor = child_place_fds(o, devnull, &err_pipe);
	if (floor < 0)
		goto fail;
	/* Groups first: once the uid is dropped they cannot be changed. */
	if (o->uid != 0 && (setgroups(0, NULL) < 0 || setgid(o->gid) < 0 ||
			    setuid(o->uid) < 0))
		goto fail;
	/*
	 * Whatever a library opened without O_CLOEXEC does not reach QEMU.
	 * Marked rather than closed: the error pipe must live until exec.
	 */
	syscall(SYS_close_range, (unsigned)floor, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(o->argv[0], o->argv, empty_env);
fail:
	err = errno;
	while (write(err_pipe, &err, sizeof(err)) < 0 && errno == EINTR)
		;
	_exit(127);
}

int
spawn_start(const struct spawn_opts *o, pid_t *ret_pid)
{
	int devnull = -1, pipefd[2] = {-1, -1};
	int child_err = 0;
	ssize_t n;
	pid_t pid;
	int rc;

	if (!o->argv || !o->argv[0] || o->argv[0][0] != '/' ||
	    o->n_pass_fds > SPAWN_PASS_FDS_MAX ||
	    (o->n_pass_fds && !o->pass_fds) || (o->n_join_fds && !o->join_fds))
		return -EINVAL;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0)
		child_exec(o, devnull, pipefd[1]);

	close(pipefd[1]);
	pipefd[1] = -1;
	/* EOF: the exec happened (the pipe was close-on-exec). */
	do
		n = read(pipefd[0], &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(child_err)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		rc = child_err > 0 ? -child_err : -ECHILD;
		goto out;
	}
	*ret_pid = pid;
	rc = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	close(devnull);
	return rc;
}

/* Wait for pid until deadline; kill it (and its group) past it. */
static int
wait_until(pid_t pid, long long deadline, int *ret_status)
{
	int pidfd = spawn_pidfd_open(pid);
	int status, rc = 0;
	pid_t w;

	for (;;) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		long long left = deadline - now_ms();

		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = -errno;
			goto out;
		}
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			rc = -ETIMEDOUT;
			goto out;
		}
		if (pidfd >= 0)
			poll(&p, 1, left > 1000 ? 1000 : (int)left);
		else
			poll(NULL, 0, 10); /* no pidfd: a bounded poll */
	}
	*ret_status = status;
out:
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

int
spawn_run(char *const *argv, int timeout_ms, char *out, size_t out_size,
	  int *ret_status)
{
	long long deadline = now_ms() + timeout_ms;
	int pipefd[2] = {-1, -1};
	struct spawn_opts o = {.argv = argv, .netns_fd = -1};
	size_t len = 0;
	pid_t pid;
	int rc;

	if (out_size)
		out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	o.stdout_fd = o.stderr_fd = pipefd[1];
	rc = spawn_start(&o, &pid);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		return rc;
	}
	/* Read until EOF (the child and its children closed the pipe). */
	for (;;) {
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		long long left = deadline - now_ms();
		char chunk[512];
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) <= 0)
			continue;
		n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && len + 1 < out_size; i++)
			out[len++] = chunk[i];
		if (out_size)
			out[len] = '\0';
	}
	close(pipefd[0]);
	return wait_until(pid, deadline, ret_status);
}

bool
spawn_cmdline_has(pid_t pid, const char *opt)
{
	size_t optlen = strlen(opt), len = 0;
	char path[64];
	char *buf;
	bool found = false;
	int fd;

	if (pid <= 0 || optlen == 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	buf = malloc(CMDLINE_MAX + 1);
	while (buf && len < CMDLINE_MAX) {
		ssize_t n = read(fd, buf + len, CMDLINE_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return false;
	buf[len] = '\0';
	for (size_t i = 0; i < len && !found; i += strlen(buf + i) + 1) {
		const char *arg = buf + i;

		found = strncmp(arg, opt, optlen) == 0 &&
			(arg[optlen] == '\0' || arg[optlen] == ',');
	}
	free(buf);
	return found;
}

void
spawn_describe_status(int status, char *out, size_t size)
{
	if (WIFEXITED(status))
		snprintf(out, size, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, size, "ended (wait status %d)", status);
}
