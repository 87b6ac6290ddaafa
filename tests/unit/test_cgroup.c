/*
 * test_cgroup.c - cgroup.c against fake cgroup file systems in /tmp: which
 * mode it picks, the folders it makes and the limits it writes, for v2
 * and v1. The real kernel side (QEMU inside, limits enforced) is checked
 * by tests/api/test_instances.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cgroup.h"
#include "unit.h"

#define ID "i-0123456789abcdef0"

static void
put(const char *dir, const char *file, const char *text)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *
get(const char *dir, const char *file)
{
	static char text[256];
	char p[1024];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "re");
	if (!f)
		return NULL;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void
test_none(void)
{
	struct cgroups *cg = cgroup_open("/nonexistent-ec2d-cgroup", "x");
	int fds[CGROUP_FDS_MAX];
	size_t n = 9;

	CHECK(cg && cgroup_mode(cg) == CGROUP_NONE, "no controllers: none");
	CHECK(cgroup_prepare(cg, ID, 1, 1 << 20, fds, &n) == 0 && n == 0,
	      "none: prepare is a no-op");
	CHECK(cgroup_remove(cg, ID) == 0, "none: remove is a no-op");
	cgroup_close(cg);
	cg = cgroup_open("/sys/fs/cgroup", "");
	CHECK(cg && cgroup_mode(cg) == CGROUP_NONE, "no name: none");
	cgroup_close(cg);
}

static pid_t seen_pids[4];
static size_t seen_n;

static void
seen(const char *id, pid_t pid, void *ctx)
{
	CHECK_STR(id, ID);
	if (seen_n < 4)
		seen_pids[seen_n++] = pid;
}

static void
test_v2(const char *root)
{
	char host[256], inst[512];
	struct cgroups *cg;
	int fds[CGROUP_FDS_MAX];
	size_t n = 0;

	put(root, "cgroup.controllers", "cpuset cpu io memory pids\n");
	put(root, "cgroup.subtree_control", "");
	cg = cgroup_open(root, "ec2d-abc-h1");
	CHECK(cg && cgroup_mode(cg) == CGROUP_V2, "v2 picked");
	snprintf(host, sizeof(host), "%s/ec2d-abc-h1", root);
	CHECK_STR(get(root, "cgroup.subtree_control"), "+cpu +memory");
	CHECK_STR(get(host, "cgroup.subtree_control"), "+cpu +memory");
	CHECK(cgroup_prepare(cg, ID, 2, 640ULL << 20, fds, &n) == 0 && n == 1,
	      "v2 prepare: one fd, got %zu", n);
	snprintf(inst, sizeof(inst), "%s/%s", host, ID);
	CHECK_STR(get(inst, "cpu.max"), "250000 100000");
	CHECK_STR(get(inst, "memory.max"), "671088640");
	CHECK(n == 1 && write(fds[0], "0", 1) == 1, "cgroup.procs writable");
	CHECK_STR(get(inst, "cgroup.procs"), "0");
	while (n)
		close(fds[--n]);
	CHECK(cgroup_prepare(cg, "../x", 1, 1, fds, &n) == -EINVAL && n == 0,
	      "a bad id is refused");
	CHECK(cgroup_prepare(cg, ID, 0, 1, fds, &n) == -EINVAL,
	      "no vCPUs is refused");
	/* What runs in the instance cgroups (the restart's reclaim). */
	put(inst, "cgroup.procs", "4242\n4343\n");
	seen_n = 0;
	CHECK(cgroup_each_proc(cg, seen, NULL) == 2 && seen_n == 2 &&
		  seen_pids[0] == 4242 && seen_pids[1] == 4343,
	      "each proc: %zu", seen_n);
	cgroup_close(cg);
}

/* Our own cgroup in controller's v1 hierarchy ("" for its root); false
 * when there is no such hierarchy. */
static bool
self_path(const char *controller, char *out, size_t size)
{
	char line[256], want[32];
	bool found = false;
	FILE *f = fopen("/proc/self/cgroup", "re");

	snprintf(want, sizeof(want), ":%s:", controller);
	while (f && fgets(line, sizeof(line), f)) {
		char *at = strstr(line, want);

		if (!at)
			continue;
		at += strlen(want);
		at[strcspn(at, "\n")] = '\0';
		snprintf(out, size, "%s", strcmp(at, "/") ? at : "");
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static void
test_v1(const char *root)
{
	char p[512], cpu[128], mem[128];
	struct cgroups *cg;
	int fds[CGROUP_FDS_MAX];
	size_t n = 0;

	if (!self_path("cpu", cpu, sizeof(cpu)) ||
	    !self_path("memory", mem, sizeof(mem))) {
		printf("SKIP: no v1 cpu and memory here; v1 not checked\n");
		return;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, i ? "memory" : "cpu");
		mkdir(p, 0755);
		put(p, "cgroup.procs", "");
	}
	cg = cgroup_open(root, "ec2d-abc-h2");
	CHECK(cg && cgroup_mode(cg) == CGROUP_V1, "v1 picked");
	CHECK(cgroup_prepare(cg, ID, 1, 512ULL << 20, fds, &n) == 0 && n == 2,
	      "v1 prepare: two fds, got %zu", n);
	snprintf(p, sizeof(p), "%s/cpu%s/ec2d-abc-h2/%s", root, cpu, ID);
	CHECK_STR(get(p, "cpu.cfs_quota_us"), "150000");
	CHECK_STR(get(p, "cpu.cfs_period_us"), "100000");
	snprintf(p, sizeof(p), "%s/memory%s/ec2d-abc-h2/%s", root, mem, ID);
	CHECK_STR(get(p, "memory.limit_in_bytes"), "536870912");
	while (n)
		close(fds[--n]);
	cgroup_close(cg);
}

int
main(void)
{
	char v2[] = "/tmp/ec2d-test-cgroup2-XXXXXX";
	char v1[] = "/tmp/ec2d-test-cgroup1-XXXXXX";
	char cmd[128];

	test_none();
	CHECK(mkdtemp(v2) != NULL, "mkdtemp");
	test_v2(v2);
	CHECK(mkdtemp(v1) != NULL, "mkdtemp");
	test_v1(v1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", v2, v1);
	CHECK(system(cmd) == 0, "cleanup");
	return UNIT_DONE();
}
