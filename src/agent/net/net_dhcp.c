/*
 * net_dhcp.c - starting, adopting, reloading and stopping a VPC's
 * dnsmasq. See net_dhcp.h. Called by net.c with the VPC's files under
 * the deployment's run directory.
 */
#include "agent/net/net_dhcp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/net/netns.h"
#include "agent/spawn.h"
#include "common/params.h"

#define PROC_READ_MAX 4096
#define START_MS      10000 /* dnsmasq's launcher: checks, then forks */

static ssize_t
read_small(const char *path, char *out, size_t size)
{
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, out, size - 1);
		close(fd);
	}
	if (n >= 0)
		out[n] = '\0';
	return n;
}

/* Started by us with this configuration, in this namespace? */
static bool
is_ours(pid_t pid, const char *conf, const char *netns)
{
	char path[64], buf[PROC_READ_MAX], want[PROC_READ_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if (read_small(path, buf, sizeof(buf)) < 0 ||
	    strcmp(buf, "dnsmasq\n") != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	n = read_small(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "--conf-file=%s", conf);
	/* cmdline is NUL-separated: compare argument by argument. */
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (strcmp(buf + i, want) == 0)
			return netns_has_pid(netns, pid);
	return false;
}

pid_t
net_dhcp_pid(const char *pid_file, const char *conf, const char *netns)
{
	char text[32];
	long long pid;

	if (read_small(pid_file, text, sizeof(text)) <= 0)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	if (parse_ll(text, 1, 4194304, &pid) < 0)
		return 0;
	return is_ours((pid_t)pid, conf, netns) ? (pid_t)pid : 0;
}

struct start {
	const char *argv[4];
	struct buf *out;
};

static int
start_in_ns(void *p)
{
	struct start *s = p;
	struct spawn_opts o;
	struct spawn_result r;
	int rc;

	/* spawn's argv is not const-qualified; it is not written. */
	spawn_opts_init(&o, (char *const *)s->argv);
	o.out = o.err = s->out;
	o.timeout_ms = START_MS;
	/* Returns when the launcher exits; the daemon it forked (a session
	 * of its own) keeps running and is not waited for. */
	rc = spawn_run(&o, &r);
	return rc < 0 ? rc : spawn_exit_code(r.status);
}

int
net_dhcp_start(const char *dnsmasq, const char *conf, const char *netns,
	       struct buf *out)
{
	char arg[PROC_READ_MAX];
	struct start s = {.out = out};
	int rc;

	if (snprintf(arg, sizeof(arg), "--conf-file=%s", conf) >=
	    (int)sizeof(arg))
		return -ENAMETOOLONG;
	s.argv[0] = dnsmasq;
	s.argv[1] = arg;
	s.argv[2] = NULL;
	rc = netns_call(netns, start_in_ns, &s);
	return rc > 0 ? -EIO : rc;
}

/* A pidfd for pid, only once pid is known to be our dnsmasq. */
static int
open_ours(pid_t pid, const char *conf, const char *netns)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return -errno;
	/* Checked after opening: the pidfd pins this very process. */
	if (!is_ours(pid, conf, netns)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int
send_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno
								       : 0;
}

int
net_dhcp_reload(pid_t pid, const char *conf, const char *netns)
{
	int fd = open_ours(pid, conf, netns), rc;

	if (fd < 0)
		return fd;
	rc = send_signal(fd, SIGHUP);
	close(fd);
	return rc;
}

int
net_dhcp_stop(pid_t pid, const char *conf, const char *netns)
{
	int fd = open_ours(pid, conf, netns), rc;

	if (fd < 0)
		return fd == -ESRCH ? 0 : fd;
	rc = netns_pidfd_end(fd, NET_DHCP_STOP_MS);
	close(fd);
	return rc;
}
