/*
 * spawn.c - child processes of the agent. See spawn.h for the contract.
 *
 * Everything the child needs (the argv vector, /dev/null, the error pipe,
 * the stdin memfd, the output pipes) is made before fork(); between
 * fork() and execve() the child calls only async-signal-safe functions,
 * because another thread of the agent may hold malloc's lock at the moment
 * of the fork. The parent's waits all run against a monotonic deadline on
 * a pidfd (a 10 ms poll where the kernel has none). Called by launch.c
 * (QEMU), accel.c (the probe's QEMU), instdir.c (qemu-img) and the network
 * code (ip, nft, dnsmasq).
 */
#include "agent/spawn.h"
#include "common/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
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
child_place_fds(const struct spawn_opts *o, int devnull, int *err_pipe,
		int *go_fd)
{
	int floor = 3 + (int)o->n_pass_fds, lifted[SPAWN_PASS_FDS_MAX];
	int in, out, err_fd, pipe_fd = child_lift_fd(*err_pipe, floor);

	/* On failure *err_pipe stays the original: the errno still gets out. */
	if (pipe_fd < 0)
		return -1;
	*err_pipe = pipe_fd;
	if (*go_fd >= 0 && (*go_fd = child_lift_fd(*go_fd, floor)) < 0)
		return -1;
	devnull = child_lift_fd(devnull, floor);
	if (devnull < 0)
		return -1;
	in = child_lift_fd(o->stdin_fd >= 0 ? o->stdin_fd : devnull, floor);
	out = child_lift_fd(o->stdout_fd >= 0 ? o->stdout_fd : devnull, floor);
	err_fd =
	    child_lift_fd(o->stderr_fd >= 0 ? o->stderr_fd : devnull, floor);
	if (in < 0 || out < 0 || err_fd < 0)
		return -1;
	for (size_t i = 0; i < o->n_pass_fds; i++)
		if ((lifted[i] = child_lift_fd(o->pass_fds[i], floor)) < 0)
			return -1;
	if (child_move_fd(in, 0) < 0 || child_move_fd(out, 1) < 0 ||
	    child_move_fd(err_fd, 2) < 0)
		return -1;
	for (size_t i = 0; i < o->n_pass_fds; i++)
		if (child_move_fd(lifted[i], 3 + (int)i) < 0)
			return -1;
	return floor;
}

/* Close every fd from floor up but a and b (both >= floor). */
static void
child_close_except(int floor, int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > floor)
		syscall(SYS_close_range, (unsigned)floor, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		syscall(SYS_close_range, (unsigned)lo + 1, (unsigned)hi - 1, 0);
	syscall(SYS_close_range, (unsigned)hi + 1, ~0U, 0);
}

/*
 * Held (spawn_opts.hold): wait for the parent's go byte. Every other fd
 * is closed first, so no held child keeps another's pipe open: when the
 * parent dies each one sees EOF and exits 127 (nobody reads the error
 * pipe any more). 0, or -1 with errno.
 */
static int
child_wait_go(int floor, int err_pipe, int go_fd)
{
	char go;
	ssize_t n;

	child_close_except(floor, err_pipe, go_fd);
	while ((n = read(go_fd, &go, 1)) < 0 && errno == EINTR)
		;
	if (n == 0)
		_exit(127);
	return n == 1 ? 0 : -1;
}

/* The child's half, from fork to exec. Never returns. */
static void __attribute__((noreturn))
child_exec(const struct spawn_opts *o, int devnull, int err_pipe, int go_fd)
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
	floor = child_place_fds(o, devnull, &err_pipe, &go_fd);
	if (floor < 0)
		goto fail;
	/* Groups first: once the uid is dropped they cannot be changed. */
	if (o->uid != 0 && (setgroups(0, NULL) < 0 || setgid(o->gid) < 0 ||
			    setuid(o->uid) < 0))
		goto fail;
	if (go_fd >= 0 && child_wait_go(floor, err_pipe, go_fd) < 0)
		goto fail;
	/*
	 * Whatever a library opened without O_CLOEXEC does not reach QEMU.
	 * Marked rather than closed: the error pipe must live until exec.
	 */
	syscall(SYS_close_range, (unsigned)floor, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(o->argv[0], o->argv, o->envp ? o->envp : empty_env);
fail:
	err = errno;
	while (write(err_pipe, &err, sizeof(err)) < 0 && errno == EINTR)
		;
	_exit(127);
}

void
spawn_opts_init(struct spawn_opts *o, char *const *argv)
{
	memset(o, 0, sizeof(*o));
	o->argv = argv;
	o->netns_fd = o->stdin_fd = o->stdout_fd = o->stderr_fd = -1;
}

char **
spawn_argv(const struct strlist *l)
{
	char **v = calloc(l->n + 1, sizeof(*v));

	if (v && l->n)
		memcpy(v, l->v, l->n * sizeof(*v));
	return v;
}

int
spawn_wait(pid_t pid, int timeout_ms, int *ret_status)
{
	long long deadline = clock_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int pidfd = -1, status = 0, rc;

	for (;;) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		long long left;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			rc = 0;
			break;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		left = deadline - clock_now_ms();
		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		if (pidfd < 0)
			pidfd = spawn_pidfd_open(pid);
		p.fd = pidfd;
		if (pidfd >= 0)
			poll(&p, 1, left > 1000 ? 1000 : (int)left);
		else
			poll(NULL, 0, left > 10 ? 10 : (int)left);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (rc == 0 && ret_status)
		*ret_status = status;
	return rc;
}

int
spawn_kill(pid_t pid, int *ret_status)
{
	if (pid <= 0)
		return -EINVAL;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	return spawn_wait(pid, SPAWN_REAP_MS, ret_status);
}

/* Wait, bounded, for the exec (EOF on the error pipe) or its errno. */
static int
wait_exec(pid_t pid, int fd)
{
	long long deadline = clock_now_ms() + SPAWN_EXEC_MS;
	int child_err = 0;
	ssize_t n;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - clock_now_ms();

		if (left <= 0) {
			spawn_kill(pid, NULL);
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, left > 1000 ? 1000 : (int)left) <= 0)
			continue;
		n = read(fd, &child_err, sizeof(child_err));
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	/* EOF: the exec happened (the pipe was close-on-exec). */
	if (n == 0)
		return 0;
	spawn_wait(pid, SPAWN_REAP_MS, NULL);
	return n == (ssize_t)sizeof(child_err) && child_err > 0 ? -child_err
								: -ECHILD;
}

/* Let a held child go once o->hold recorded it; else kill it. */
static int
release(const struct spawn_opts *o, pid_t pid, int go_fd)
{
	int rc = o->hold(pid, o->hold_ctx);

	if (rc == 0 && write(go_fd, "g", 1) != 1)
		rc = -errno;
	if (rc)
		spawn_kill(pid, NULL);
	return rc;
}

int
spawn_start(const struct spawn_opts *o, pid_t *ret_pid)
{
	int devnull = -1, pipefd[2] = {-1, -1}, go[2] = {-1, -1};
	pid_t pid;
	int rc;

	if (!o->argv || !o->argv[0] || o->argv[0][0] != '/' ||
	    o->n_pass_fds > SPAWN_PASS_FDS_MAX ||
	    (o->n_pass_fds && !o->pass_fds) || (o->n_join_fds && !o->join_fds))
		return -EINVAL;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0 ||
	    (o->hold && pipe2(go, O_CLOEXEC) < 0)) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		if (go[1] >= 0)
			close(go[1]); /* EOF on go[0] when the parent dies */
		child_exec(o, devnull, pipefd[1], go[0]);
	}

	close(pipefd[1]);
	pipefd[1] = -1;
	rc = o->hold ? release(o, pid, go[1]) : 0;
	if (rc == 0)
		rc = wait_exec(pid, pipefd[0]);
	if (rc == 0)
		*ret_pid = pid;
out:
	for (int i = 0; i < 2; i++) {
		if (pipefd[i] >= 0)
			close(pipefd[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	close(devnull);
	return rc;
}

int
spawn_exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

/* text in an anonymous file, for the child's stdin: never blocks. */
static int
memfd_with(const char *text)
{
	size_t len = strlen(text), done = 0;
	int fd = memfd_create("spawn-stdin", MFD_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) == 0)
		return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

/* One stream of a spawn_run child: its pipe and where it goes. */
struct stream {
	int fd; /* -1: closed (EOF) or not captured */
	struct buf *to;
};

/* Read what fd has now (until EAGAIN or EOF); keep up to to->max. */
static void
drain(struct stream *s, struct spawn_result *r)
{
	char chunk[4096];

	while (s->fd >= 0) {
		ssize_t n = read(s->fd, chunk, sizeof(chunk));
		size_t take, room;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(s->fd);
			s->fd = -1;
			return;
		}
		room = s->to->failed ? 0 : s->to->max - s->to->len;
		take = (size_t)n < room ? (size_t)n : room;
		if (take < (size_t)n)
			r->truncated = true;
		if (take)
			buf_add(s->to, chunk, take);
	}
}

/* Collect the output of pid until it exits or the deadline passes. */
static int
collect(pid_t pid, struct stream *s, long long deadline, struct spawn_result *r)
{
	int pidfd = spawn_pidfd_open(pid), status = 0, rc;

	for (;;) {
		struct pollfd p[3];
		nfds_t n = 0;
		long long left = deadline - clock_now_ms();
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			rc = 0;
			break;
		}
		if (w < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (left <= 0) {
			spawn_kill(pid, NULL);
			rc = -ETIMEDOUT;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (s[i].fd >= 0)
				p[n++] = (struct pollfd){s[i].fd, POLLIN, 0};
		if (pidfd >= 0)
			p[n++] = (struct pollfd){pidfd, POLLIN, 0};
		if (pidfd < 0 && left > 10)
			left = 10; /* no pidfd: look again soon */
		poll(p, n, left > 1000 ? 1000 : (int)left);
		drain(&s[0], r);
		drain(&s[1], r);
	}
	/* What it wrote before it ended is in the pipes: take it. */
	drain(&s[0], r);
	drain(&s[1], r);
	if (pidfd >= 0)
		close(pidfd);
	r->status = status;
	return rc;
}

int
spawn_run(const struct spawn_opts *o, struct spawn_result *r)
{
	long long start = clock_now_ms();
	struct spawn_opts c = *o;
	struct stream s[2] = {{-1, o->out}, {-1, o->err}};
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, rc = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (o->timeout_ms <= 0)
		return -EINVAL;
	c.stdin_fd = c.stdout_fd = c.stderr_fd = -1;
	if (o->input && (c.stdin_fd = memfd_with(o->input)) < 0)
		return c.stdin_fd;
	if (o->out && pipe2(outp, O_CLOEXEC | O_NONBLOCK) < 0)
		rc = -errno;
	if (rc == 0 && o->err && o->err != o->out &&
	    pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0)
		rc = -errno;
	/* The child's ends block as usual; ours do not. */
	if (rc == 0 && outp[1] >= 0 && fcntl(outp[1], F_SETFL, 0) < 0)
		rc = -errno;
	if (rc == 0 && errp[1] >= 0 && fcntl(errp[1], F_SETFL, 0) < 0)
		rc = -errno;
	c.stdout_fd = outp[1];
	c.stderr_fd = o->err && o->err == o->out ? outp[1] : errp[1];
	if (rc == 0)
		rc = spawn_start(&c, &pid);
	if (c.stdin_fd >= 0)
		close(c.stdin_fd);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	s[0].fd = outp[0];
	s[1].fd = errp[0];
	if (rc == 0)
		rc = collect(pid, s, start + o->timeout_ms, r);
	for (int i = 0; i < 2; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	r->elapsed_ms = (int)(clock_now_ms() - start);
	return rc;
}

int
spawn_proc_start(pid_t pid, unsigned long long *ret)
{
	char path[64], text[1024], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	text[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold anything, even ") ". */
	p = strrchr(text, ')');
	/* starttime is field 22; field 3 (STATE) follows the ')'. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", ret) != 1)
		return -EIO;
	return 0;
}

/* /proc/PID/cmdline, NUL-separated, NUL-terminated; free() it. */
static char *
read_cmdline(pid_t pid, size_t *ret_len)
{
	size_t len = 0;
	char path[64];
	char *buf;
	int fd;

	if (pid <= 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
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
	if (buf)
		buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/* The argument of cmdline buf that is opt or starts with "opt,". */
static const char *
find_arg(const char *buf, size_t len, const char *opt)
{
	size_t optlen = strlen(opt);

	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		const char *arg = buf + i;

		if (strncmp(arg, opt, optlen) == 0 &&
		    (arg[optlen] == '\0' || arg[optlen] == ','))
			return arg;
	}
	return NULL;
}

bool
spawn_cmdline_has(pid_t pid, const char *opt)
{
	size_t len = 0;
	char *buf;
	bool found;

	if (!opt[0] || !(buf = read_cmdline(pid, &len)))
		return false;
	found = find_arg(buf, len, opt) != NULL;
	free(buf);
	return found;
}

int
spawn_cmdline_value(pid_t pid, const char *key, char *out, size_t size)
{
	size_t len = 0, klen = strlen(key), vlen;
	char *buf = read_cmdline(pid, &len);
	int rc = -ENOENT;

	if (!buf)
		return -ESRCH;
	for (size_t i = 0; i < len && rc; i += strlen(buf + i) + 1) {
		const char *arg = buf + i;

		if (strncmp(arg, key, klen) != 0 || arg[klen] != '=')
			continue;
		vlen = strcspn(arg + klen + 1, ",");
		if (vlen >= size) {
			rc = -ENAMETOOLONG;
			continue;
		}
		memcpy(out, arg + klen + 1, vlen);
		out[vlen] = '\0';
		rc = 0;
	}
	free(buf);
	return rc;
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
