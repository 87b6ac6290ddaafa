/*
 * teardown.c - what a deployment left on this machine, found and
 * removed: host.h's host_deployments(), host_teardown() and
 * host_unregistered_ec2d(), for `ec2d down` and `ec2d gc`.
 *
 * Everything is found by name (net_name.h's ec2d-<tag>-* namespaces,
 * cgroup.h's ec2d-<tag>-h* folders, /run/ec2d-<tag>) and by the machine's
 * registry (registry.h), so it works without the data directory and
 * without the ec2d that made it. The removal is the code the agent uses
 * itself: net_destroy() for namespaces, dnsmasq and the run directory,
 * cgroup_destroy() for cgroups; only ending the QEMUs differs, since no
 * QMP socket or pid file may be left to find them by.
 */
#include "agent/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cgroup.h"
#include "agent/net/net.h"
#include "agent/net/netns.h"
#include "agent/registry.h"
#include "common/log.h"
#include "common/params.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define RUN_ROOT    "/run"

/* The tag in "ec2d-<tag>" or "ec2d-<tag>-...", into tag; else false. */
static bool
tag_of(const char *name, char tag[8])
{
	const char *p = name + strlen(NET_PREFIX "-"), *end;

	if (strncmp(name, NET_PREFIX "-", strlen(NET_PREFIX "-")) != 0)
		return false;
	end = strchr(p, '-');
	if (!end)
		end = p + strlen(p);
	if (end - p > NET_TAG_MAX)
		return false;
	snprintf(tag, 8, "%.*s", (int)(end - p), p);
	return net_tag_valid(tag);
}

static void
add_tags(struct strlist *tags, const struct strlist *names)
{
	for (size_t i = 0; i < names->n; i++) {
		const char *base = strrchr(names->v[i], '/');
		char tag[8];

		if (tag_of(base ? base + 1 : names->v[i], tag) &&
		    !strlist_contains(tags, tag))
			strlist_add(tags, tag);
	}
}

/* Tags named by namespaces, cgroups and run directories. */
static int
tags_by_name(struct strlist *tags)
{
	struct strlist names;
	DIR *d;
	struct dirent *de;
	int rc;

	strlist_init(&names);
	rc = netns_list(NET_PREFIX "-", &names);
	if (rc == 0)
		rc = cgroup_find(CGROUP_ROOT, NET_PREFIX "-", &names);
	d = opendir(RUN_ROOT);
	while (rc == 0 && d && (de = readdir(d)))
		if (de->d_type == DT_DIR)
			strlist_add(&names, de->d_name);
	if (d)
		closedir(d);
	add_tags(tags, &names);
	strlist_free(&names);
	return rc < 0 ? rc : tags->failed ? -ENOMEM : 0;
}

/* Counts of what tag has on the machine. */
static void
count_objects(struct host_deployment *dp)
{
	char prefix[NET_NSNAME_SIZE];
	struct strlist l;

	net_name_ns_prefix(dp->tag, prefix);
	strlist_init(&l);
	netns_list(prefix, &l);
	dp->namespaces = l.n;
	for (size_t i = 0; i < dp->namespaces; i++) {
		struct strlist pids;

		strlist_init(&pids);
		netns_pids(l.v[i], &pids);
		dp->processes += pids.n;
		strlist_free(&pids);
	}
	strlist_clear(&l);
	cgroup_find(CGROUP_ROOT, prefix, &l);
	dp->cgroups = l.n;
	strlist_free(&l);
}

static void
describe_entry(struct host_deployment *dp)
{
	struct registry_entry re;
	struct stat st;
	int fd = -1, rc = registry_lock(REGISTRY_DIR, dp->tag, &re, &fd);

	dp->registered = rc == 0 || rc == -EBUSY;
	dp->served = rc == -EBUSY;
	if (fd >= 0)
		close(fd);
	if (!dp->registered)
		return;
	snprintf(dp->data_dir, sizeof(dp->data_dir), "%s", re.data_dir);
	dp->pid = re.pid;
	dp->data_dir_here = re.data_dir[0] && stat(re.data_dir, &st) == 0 &&
			    (unsigned long long)st.st_dev == re.dev &&
			    (unsigned long long)st.st_ino == re.ino;
}

static int
cmp_deployment(const void *a, const void *b)
{
	const struct host_deployment *x = a, *y = b;

	return strcmp(x->tag, y->tag);
}

int
host_deployments(struct host_deployment **ret, size_t *ret_n, struct err *e)
{
	struct strlist tags;
	char(*reg)[8] = NULL;
	size_t nreg = 0;
	struct host_deployment *v = NULL;
	int rc;

	strlist_init(&tags);
	rc = registry_tags(REGISTRY_DIR, &reg, &nreg);
	for (size_t i = 0; rc == 0 && i < nreg; i++)
		strlist_add(&tags, reg[i]);
	if (rc == 0)
		rc = tags_by_name(&tags);
	if (rc == 0 && tags.n && !(v = calloc(tags.n, sizeof(*v))))
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < tags.n; i++) {
		snprintf(v[i].tag, sizeof(v[i].tag), "%s", tags.v[i]);
		describe_entry(&v[i]);
		count_objects(&v[i]);
	}
	if (rc == 0 && tags.n > 1)
		qsort(v, tags.n, sizeof(*v), cmp_deployment);
	free(reg);
	if (rc < 0) {
		free(v);
		strlist_free(&tags);
		return err_set(e, "InternalError", "list deployments: %s",
			       strerror(-rc));
	}
	*ret = v;
	*ret_n = tags.n;
	strlist_free(&tags);
	return 0;
}

/* Processes, namespaces and the run directory: net_destroy's work. */
static int
teardown_net(const char *tag, int grace_ms, struct err *e)
{
	struct net_config nc = {.tag = ""};
	char prefix[NET_NSNAME_SIZE];
	struct strlist nss;
	struct net *n = NULL;
	int rc;

	net_name_ns_prefix(tag, prefix);
	strlist_init(&nss);
	rc = netns_list(prefix, &nss);
	/* Everything in them first (QEMU, dnsmasq): no pid file is needed,
	 * and net_destroy then finds nothing running. */
	for (size_t i = 0; rc == 0 && i < nss.n; i++)
		if (netns_end_pids(nss.v[i], grace_ms) > 0)
			log_msg(LOG_WARN, "processes survive SIGKILL",
				"netns=%s", nss.v[i]);
	strlist_free(&nss);
	if (rc < 0)
		return err_set(e, "InternalError", "list namespaces: %s",
			       strerror(-rc));
	snprintf(nc.tag, sizeof(nc.tag), "%s", tag);
	if (net_open(&nc, &n, e) < 0)
		return -1;
	rc = net_destroy(n, e);
	net_close(n);
	return rc;
}

int
host_teardown(const char *tag, int grace_ms, struct err *e)
{
	char prefix[NET_NSNAME_SIZE];
	struct registry_entry re;
	int fd = -1, rc, left;

	if (net_name_ns_prefix(tag, prefix) < 0)
		return err_set(e, "InvalidParameterValue", "bad tag \"%s\"",
			       tag);
	rc = registry_lock(REGISTRY_DIR, tag, &re, &fd);
	if (rc == -EBUSY)
		return err_set(e, "InternalError",
			       "deployment %s is served by a running ec2d "
			       "(pid %ld)",
			       tag, re.pid);
	if (rc < 0 && rc != -ENOENT)
		return err_set(e, "InternalError", "registry entry %s: %s", tag,
			       strerror(-rc));
	rc = teardown_net(tag, grace_ms, e);
	left = cgroup_destroy_named(CGROUP_ROOT, prefix);
	if (rc == 0 && left != 0) {
		err_set(e, "InternalError", "%d cgroups of %s are left", left,
			tag);
		rc = -1;
	}
	if (rc == 0) {
		registry_drop(REGISTRY_DIR, tag, fd);
		log_msg(LOG_INFO, "deployment removed", "tag=%s", tag);
	} else if (fd >= 0) {
		close(fd); /* the entry stays: gc can try again */
	}
	return rc;
}

/* Is pid the holder named by a locked registry entry? */
static bool
registered_pid(long pid, char (*reg)[8], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct registry_entry re;
		int fd = -1;

		if (registry_lock(REGISTRY_DIR, reg[i], &re, &fd) == -EBUSY &&
		    re.pid == pid)
			return true;
		if (fd >= 0)
			close(fd);
	}
	return false;
}

static bool
is_ec2d(long long pid)
{
	char path[64], comm[32] = "";
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%lld/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
	}
	comm[n > 0 ? n : 0] = '\0';
	return strcmp(comm, "ec2d\n") == 0;
}

long
host_unregistered_ec2d(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char(*reg)[8] = NULL;
	size_t nreg = 0;
	long found = 0;

	if (!d)
		return -1;
	registry_tags(REGISTRY_DIR, &reg, &nreg);
	while (!found && (de = readdir(d))) {
		long long pid;

		if (parse_ll(de->d_name, 1, INT32_MAX, &pid) < 0 ||
		    pid == getpid() || !is_ec2d(pid))
			continue;
		if (!registered_pid((long)pid, reg, nreg))
			found = (long)pid;
	}
	closedir(d);
	free(reg);
	return found;
}
