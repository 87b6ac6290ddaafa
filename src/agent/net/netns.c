/*
 * netns.c - entering and inspecting named network namespaces. See netns.h.
 *
 * Used by net.c (observing devices, writing per-namespace sysctls,
 * starting dnsmasq) and by imds_server.c (opening the metadata service's
 * listening socket inside each VPC router).
 */
#include "agent/net/netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/magic.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/params.h"

static int
ns_path(const char *name, char *out, size_t size)
{
	int n;

	if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL;
	n = snprintf(out, size, NETNS_DIR "/%s", name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int
netns_exists(const char *name)
{
	char path[256];
	struct statfs sf;

	if (ns_path(name, path, sizeof(path)) < 0)
		return 0;
	/* A bind mount of a namespace shows nsfs; a stale file does not. */
	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

struct call {
	int fd;
	int (*fn)(void *arg);
	void *arg;
	int rc;
};

static void *
call_thread(void *p)
{
	struct call *c = p;

	if (setns(c->fd, CLONE_NEWNET) < 0)
		c->rc = -errno;
	else
		c->rc = c->fn(c->arg);
	/* The thread ends here, its namespace with it: no way back needed. */
	return NULL;
}

int
netns_call(const char *name, int (*fn)(void *arg), void *arg)
{
	struct call c = {.fd = -1, .fn = fn, .arg = arg};
	char path[256];
	pthread_t t;
	int rc;

	rc = ns_path(name, path, sizeof(path));
	if (rc < 0)
		return rc;
	c.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c.fd < 0)
		return -errno;
	rc = pthread_create(&t, NULL, call_thread, &c);
	if (rc == 0) {
		pthread_join(t, NULL);
		rc = c.rc;
	} else {
		rc = -rc;
	}
	close(c.fd);
	return rc;
}

struct tap_open {
	const char *tap;
	int fd;
};

static int
tap_open_here(void *arg)
{
	struct tap_open *t = arg;
	struct ifreq ifr;
	int fd;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(t->tap) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	strcpy(ifr.ifr_name, t->tap);
	/* The tap's namespace is the opener's at open(), hence here. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	t->fd = fd;
	return 0;
}

int
netns_tap_open(const char *name, const char *tap)
{
	struct tap_open t = {.tap = tap, .fd = -1};
	int rc;

	if (!tap || !tap[0])
		return -EINVAL;
	rc = name && name[0] ? netns_call(name, tap_open_here, &t)
			     : tap_open_here(&t);
	return rc < 0 ? rc : t.fd;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
netns_list(const char *prefix, struct strlist *out)
{
	DIR *d = opendir(NETNS_DIR);
	struct dirent *de;
	size_t n = strlen(prefix);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, n) == 0)
			strlist_add(out, de->d_name);
	closedir(d);
	if (out->failed)
		return -ENOMEM;
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

static int
ns_ident(const char *path, struct stat *ret)
{
	return stat(path, ret) == 0 ? 0 : -errno;
}

bool
netns_has_pid(const char *name, pid_t pid)
{
	char path[256], proc[64];
	struct stat a, b;

	if (ns_path(name, path, sizeof(path)) < 0)
		return false;
	snprintf(proc, sizeof(proc), "/proc/%ld/ns/net", (long)pid);
	return ns_ident(path, &a) == 0 && ns_ident(proc, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void
read_comm(long long pid, char *out, size_t size)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%lld/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, out, size - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

int
netns_pids(const char *name, struct strlist *out)
{
	char path[256], proc[64];
	struct stat ns, st;
	struct dirent *de;
	DIR *d;
	int rc;

	rc = ns_path(name, path, sizeof(path));
	if (rc < 0 || (rc = ns_ident(path, &ns)) < 0)
		return rc;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char comm[32];
		long long pid;

		if (parse_ll(de->d_name, 1, INT32_MAX, &pid) < 0)
			continue;
		snprintf(proc, sizeof(proc), "/proc/%lld/ns/net", pid);
		if (stat(proc, &st) < 0 || st.st_dev != ns.st_dev ||
		    st.st_ino != ns.st_ino)
			continue;
		read_comm(pid, comm, sizeof(comm));
		strlist_addf(out, "%lld %s", pid, comm);
	}
	closedir(d);
	return out->failed ? -ENOMEM : 0;
}

static int
pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno
								       : 0;
}

/* A pidfd polls readable once its process has exited. */
static bool
pidfd_exited(int pidfd, int ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	while (poll(&p, 1, ms) < 0)
		if (errno != EINTR)
			return false;
	return p.revents != 0;
}

int
netns_pidfd_end(int pidfd, int grace_ms)
{
	int rc = pidfd_signal(pidfd, SIGTERM);

	if (rc == 0 && !pidfd_exited(pidfd, grace_ms)) {
		rc = pidfd_signal(pidfd, SIGKILL);
		if (rc == 0 && !pidfd_exited(pidfd, grace_ms))
			rc = -ETIMEDOUT;
	}
	return rc == -ESRCH ? 0 : rc;
}

int
netns_end_pids(const char *name, int grace_ms)
{
	struct strlist pids;
	int fds[256], n = 0, left = 0, rc;

	strlist_init(&pids);
	rc = netns_pids(name, &pids);
	for (size_t i = 0; rc == 0 && i < pids.n && n < 256; i++) {
		long long pid;
		char *sp = strchr(pids.v[i], ' ');

		if (sp)
			*sp = '\0';
		if (parse_ll(pids.v[i], 1, INT32_MAX, &pid) < 0)
			continue;
		fds[n] = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		/* Checked once pinned: the pid cannot be another's now. */
		if (fds[n] < 0 || !netns_has_pid(name, (pid_t)pid)) {
			if (fds[n] >= 0)
				close(fds[n]);
			continue;
		}
		pidfd_signal(fds[n++], SIGTERM);
	}
	for (int i = 0; i < n; i++) {
		left += netns_pidfd_end(fds[i], grace_ms) < 0;
		close(fds[i]);
	}
	if (rc == 0 && pids.n > 256)
		left += (int)(pids.n - 256);
	strlist_free(&pids);
	return rc < 0 ? rc : left;
}
