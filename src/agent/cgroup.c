/*
 * cgroup.c - one cgroup per QEMU. See cgroup.h.
 *
 * Everything is a write of a few bytes into a cgroup file system; no
 * library. v2 is preferred when its root offers cpu and memory (Debian
 * 12); else v1's cpu and memory hierarchies are used when mounted (older
 * hosts, containers, these test machines). Leftover empty cgroups of
 * instances that ended while ec2d was down are removed at open; one whose
 * QEMU still runs (adopted) cannot be and stays.
 */
#include "agent/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define CPU_PERIOD_US 100000

struct cgroups {
	enum cgroup_mode mode;
	/* The host's folder: v1 [0] cpu, [1] memory; v2 [0] only. */
	char base[CGROUP_FDS_MAX][PATH_MAX];
	size_t n;
};

static int write_file(const char *dir, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
write_file(const char *dir, const char *file, const char *fmt, ...)
{
	char path[PATH_MAX], text[64];
	va_list ap;
	ssize_t w;
	int fd, len, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	len = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* O_CREAT only matters to tests: cgroupfs has every file already. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, text, (size_t)len);
	if (w != len)
		rc = w < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

/* mkdir -p, for the path below an existing root. */
static int
make_dirs(const char *path)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (!s)
			return 0;
		*s = '/';
	}
}

/* Does the space-separated list in root/file name both cpu and memory? */
static bool
has_cpu_and_memory(const char *root, const char *file)
{
	char path[PATH_MAX], text[512], *tok, *save = NULL;
	bool cpu = false, mem = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, file);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	for (tok = strtok_r(text, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		cpu |= strcmp(tok, "cpu") == 0;
		mem |= strcmp(tok, "memory") == 0;
	}
	return cpu && mem;
}

/* Our own cgroup in the v1 hierarchy that holds controller ("/..."). */
static int
self_path_v1(const char *controller, char *out, size_t size)
{
	char line[1024];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (rc && fgets(line, sizeof(line), f)) {
		char *ctls = strchr(line, ':'), *path, *tok, *save = NULL;

		if (!ctls || !(path = strchr(++ctls, ':')))
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		for (tok = strtok_r(ctls, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, controller) == 0) {
				snprintf(out, size, "%s",
					 strcmp(path, "/") ? path : "");
				rc = 0;
			}
	}
	fclose(f);
	return rc;
}

static int
open_v2(struct cgroups *cg, const char *root, const char *name)
{
	int rc;

	if (!has_cpu_and_memory(root, "cgroup.controllers"))
		return -ENOTSUP;
	/* The root's subtree_control: a no-op when systemd did it. */
	rc = write_file(root, "cgroup.subtree_control", "+cpu +memory");
	if (rc && !has_cpu_and_memory(root, "cgroup.subtree_control"))
		return rc;
	snprintf(cg->base[0], sizeof(cg->base[0]), "%s/%s", root, name);
	if (mkdir(cg->base[0], 0755) < 0 && errno != EEXIST)
		return -errno;
	rc = write_file(cg->base[0], "cgroup.subtree_control", "+cpu +memory");
	if (rc) {
		rmdir(cg->base[0]); /* when empty: it may be an earlier run's */
		return rc;
	}
	cg->n = 1;
	cg->mode = CGROUP_V2;
	return 0;
}

static int
open_v1(struct cgroups *cg, const char *root, const char *name)
{
	static const char *const ctl[] = {"cpu", "memory"};
	char self[PATH_MAX], top[PATH_MAX];
	int rc;

	for (size_t i = 0; i < 2; i++) {
		snprintf(top, sizeof(top), "%s/%s/cgroup.procs", root, ctl[i]);
		if (access(top, F_OK) < 0)
			return -ENOTSUP;
		rc = self_path_v1(ctl[i], self, sizeof(self));
		if (rc)
			return rc;
		if (snprintf(cg->base[i], sizeof(cg->base[i]), "%s/%s%s/%s",
			     root, ctl[i], self,
			     name) >= (int)sizeof(cg->base[i]))
			return -ENAMETOOLONG;
		rc = make_dirs(cg->base[i]);
		if (rc) {
			if (i == 1)
				rmdir(cg->base[0]);
			return rc;
		}
	}
	cg->n = 2;
	cg->mode = CGROUP_V1;
	return 0;
}

/* Each pid of cgroup folder dir/name/cgroup.procs to fn. */
static size_t
each_pid(const char *dir, const char *name,
	 void (*fn)(const char *id, pid_t pid, void *ctx), void *ctx)
{
	char path[PATH_MAX];
	size_t n = 0;
	long pid;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s/cgroup.procs", dir, name) >=
	    (int)sizeof(path))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1) {
			fn(name, (pid_t)pid, ctx);
			n++;
		}
	fclose(f);
	return n;
}

size_t
cgroup_each_proc(struct cgroups *cg,
		 void (*fn)(const char *id, pid_t pid, void *ctx), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; cg && i < cg->n; i++) {
		DIR *d = opendir(cg->base[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d)))
			if (strncmp(de->d_name, "i-", 2) == 0 &&
			    !strchr(de->d_name, '/'))
				n += each_pid(cg->base[i], de->d_name, fn, ctx);
		closedir(d);
	}
	return n;
}

/* rmdir every empty instance cgroup left below the host's folders. */
static void
sweep(struct cgroups *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		DIR *d = opendir(cg->base[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d)))
			if (strncmp(de->d_name, "i-", 2) == 0)
				unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		closedir(d);
	}
}

struct cgroups *
cgroup_open(const char *root, const char *name)
{
	struct cgroups *cg = calloc(1, sizeof(*cg));
	int rc;

	if (!cg || !name || !name[0] || strchr(name, '/'))
		return cg;
	rc = open_v2(cg, root, name);
	if (rc == -ENOTSUP)
		rc = open_v1(cg, root, name);
	if (rc) {
		memset(cg, 0, sizeof(*cg));
		log_msg(LOG_WARN, "QEMU runs without a cgroup",
			"cgroup=%s reason=\"%s\"", name,
			rc == -ENOTSUP ? "no cpu and memory controllers"
				       : strerror(-rc));
		return cg;
	}
	sweep(cg);
	log_msg(LOG_INFO, "cgroups", "cgroup=%s mode=v%d", cg->base[0],
		cg->mode == CGROUP_V2 ? 2 : 1);
	return cg;
}

void
cgroup_sweep(struct cgroups *cg)
{
	if (cgroup_mode(cg) != CGROUP_NONE)
		sweep(cg);
}

void
cgroup_close(struct cgroups *cg)
{
	free(cg);
}

void
cgroup_destroy(struct cgroups *cg)
{
	int err = 0;

	if (cgroup_mode(cg) == CGROUP_NONE)
		return;
	/*
	 * A QEMU that was killed but is not our child (adopted) may still be
	 * exiting and keep its cgroup busy: a bounded wait, 1 s at most.
	 */
	for (int tries = 0; tries < 20; tries++) {
		struct timespec pause = {0, 50 * 1000 * 1000};

		err = 0;
		sweep(cg);
		for (size_t i = 0; i < cg->n; i++)
			if (rmdir(cg->base[i]) < 0 && errno != ENOENT)
				err = errno;
		if (err != EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	for (size_t i = 0; err && i < cg->n; i++)
		if (access(cg->base[i], F_OK) == 0)
			log_msg(LOG_WARN, "cgroup left",
				"cgroup=%s reason=\"%s\"", cg->base[i],
				strerror(err));
}

enum cgroup_mode
cgroup_mode(const struct cgroups *cg)
{
	return cg ? cg->mode : CGROUP_NONE;
}

/* Limits of one instance cgroup; which files depends on mode and i. */
static int
set_limits(const struct cgroups *cg, size_t i, const char *dir, unsigned vcpus,
	   unsigned long long memory_bytes)
{
	/* The vCPUs, plus half a CPU for QEMU's own threads (device I/O,
	 * the console): at exactly `vcpus` a booting TCG guest is throttled
	 * in 9 periods of 10. */
	unsigned long long quota =
	    (unsigned long long)vcpus * CPU_PERIOD_US + CPU_PERIOD_US / 2;
	int rc;

	if (cg->mode == CGROUP_V2) {
		rc =
		    write_file(dir, "cpu.max", "%llu %u", quota, CPU_PERIOD_US);
		return rc ? rc
			  : write_file(dir, "memory.max", "%llu", memory_bytes);
	}
	if (i == 1)
		return write_file(dir, "memory.limit_in_bytes", "%llu",
				  memory_bytes);
	rc = write_file(dir, "cpu.cfs_period_us", "%u", CPU_PERIOD_US);
	return rc ? rc : write_file(dir, "cpu.cfs_quota_us", "%llu", quota);
}

int
cgroup_prepare(struct cgroups *cg, const char *id, unsigned vcpus,
	       unsigned long long memory_bytes, int fds[CGROUP_FDS_MAX],
	       size_t *n)
{
	char dir[PATH_MAX], procs[PATH_MAX];
	int rc = 0;

	*n = 0;
	if (cgroup_mode(cg) == CGROUP_NONE)
		return 0;
	if (!id || strncmp(id, "i-", 2) != 0 || strchr(id, '/') || !vcpus)
		return -EINVAL;
	for (size_t i = 0; i < cg->n && rc == 0; i++) {
		if (snprintf(dir, sizeof(dir), "%s/%s", cg->base[i], id) >=
			(int)sizeof(dir) ||
		    snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir) >=
			(int)sizeof(procs)) {
			rc = -ENAMETOOLONG;
			break;
		}
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		rc = set_limits(cg, i, dir, vcpus, memory_bytes);
		if (rc)
			break;
		fds[*n] = open(procs, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fds[*n] < 0)
			rc = -errno;
		else
			(*n)++;
	}
	if (rc) {
		while (*n)
			close(fds[--*n]);
		cgroup_remove(cg, id);
	}
	return rc;
}

int
cgroup_remove(struct cgroups *cg, const char *id)
{
	char dir[PATH_MAX];
	int rc = 0;

	if (cgroup_mode(cg) == CGROUP_NONE)
		return 0;
	if (!id || strncmp(id, "i-", 2) != 0 || strchr(id, '/'))
		return -EINVAL;
	for (size_t i = 0; i < cg->n; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", cg->base[i], id);
		if (rmdir(dir) < 0 && errno != ENOENT && rc == 0)
			rc = -errno;
	}
	return rc;
}

#define FIND_DEPTH 6

static void
find_in(const char *dir, const char *prefix, int depth, struct strlist *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];

		/* DT_DIR only: v1's "cpu,cpuacct" links would count twice. */
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
			(int)sizeof(path))
			continue;
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			strlist_add(out, path);
		else if (depth < FIND_DEPTH)
			find_in(path, prefix, depth + 1, out);
	}
	closedir(d);
}

int
cgroup_find(const char *root, const char *prefix, struct strlist *out)
{
	if (!prefix[0])
		return -EINVAL;
	find_in(root, prefix, 0, out);
	return out->failed ? -ENOMEM : 0;
}

int
cgroup_destroy_named(const char *root, const char *prefix)
{
	struct strlist found;
	int left = 0;

	strlist_init(&found);
	if (cgroup_find(root, prefix, &found) < 0)
		left = -ENOMEM;
	for (size_t i = 0; left >= 0 && i < found.n; i++) {
		struct cgroups cg = {.mode = CGROUP_V2, .n = 1};

		/* One folder at a time: its mode only says "not NONE". */
		snprintf(cg.base[0], sizeof(cg.base[0]), "%s", found.v[i]);
		cgroup_destroy(&cg);
		left += access(found.v[i], F_OK) == 0;
	}
	strlist_free(&found);
	return left;
}
