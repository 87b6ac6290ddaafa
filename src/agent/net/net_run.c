/*
 * net_run.c - posix_spawn of a tool with memfd stdin/stdout. See
 * net_run.h. Called by net.c and net_dhcp.c, from the agent's thread or
 * from a thread inside a namespace.
 */
#include "agent/net/net_run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int
memfd_with(const char *text)
{
	size_t len = strlen(text), done = 0;
	int fd = memfd_create("net-run-in", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = -errno;

			close(fd);
			return rc;
		}
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static void
read_output(int fd, struct buf *out)
{
	char chunk[4096];
	size_t total = 0;
	ssize_t n;

	if (!out || lseek(fd, 0, SEEK_SET) < 0)
		return;
	while (total < NET_RUN_OUTPUT_MAX &&
	       (n = read(fd, chunk, sizeof(chunk))) > 0) {
		size_t take = (size_t)n;

		if (take > NET_RUN_OUTPUT_MAX - total)
			take = NET_RUN_OUTPUT_MAX - total;
		buf_add(out, chunk, take);
		total += take;
	}
}

static int
spawn(const char *const *argv, int in_fd, int out_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	char *envp[] = {NULL};
	int rc;

	sigemptyset(&none);
	sigfillset(&deflt);
	sigdelset(&deflt, SIGKILL);
	sigdelset(&deflt, SIGSTOP);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
						 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	/* posix_spawn's argv is not const-qualified; it is not written. */
	rc = posix_spawn(ret_pid, argv[0], &fa, &attr, (char *const *)argv,
			 envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -rc;
}

int
net_run(const char *const *argv, const char *input, struct buf *out)
{
	int in_fd = -1, out_fd = -1, status, rc;
	pid_t pid;

	if (!argv || !argv[0] || argv[0][0] != '/')
		return -EINVAL;
	out_fd = memfd_create("net-run-out", MFD_CLOEXEC);
	if (out_fd < 0)
		return -errno;
	if (input) {
		in_fd = memfd_with(input);
		if (in_fd < 0) {
			rc = in_fd;
			goto out;
		}
	}
	rc = spawn(argv, in_fd, out_fd, &pid);
	if (rc < 0)
		goto out;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			rc = -errno;
			goto out;
		}
	read_output(out_fd, out);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
out:
	if (in_fd >= 0)
		close(in_fd);
	close(out_fd);
	return rc;
}
