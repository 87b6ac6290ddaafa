/*
 * cgroup.h - one cgroup per QEMU, holding its CPU quota and memory limit.
 *
 * A host's QEMUs live under one folder named after the host's network
 * namespace (ec2d-TAG-hN, so two ec2d never share one), one cgroup per
 * instance below it:
 *   cgroup v2 (Debian 12's default), at the hierarchy's root as libvirt's
 *     machine.slice is: /sys/fs/cgroup/ec2d-TAG-hN/i-.../{cpu.max,
 *     memory.max}, with cpu and memory enabled on the way down;
 *   cgroup v1, below ec2d's own cgroup of each hierarchy (so a container
 *     ec2d runs in still counts its guests):
 *     /sys/fs/cgroup/{cpu,memory}/SELF/ec2d-TAG-hN/i-.../
 *     {cpu.cfs_quota_us, memory.limit_in_bytes}.
 * Without cpu and memory controllers (or without the rights to use them)
 * QEMU runs unconfined and cgroup_open says why in the log.
 *
 * QEMU joins its cgroup itself, between fork and exec (spawn.h's
 * join_fds: it writes "0" to the cgroup.procs files opened here), so no
 * byte it allocates escapes the limit. Called by the host's launch code.
 */
#ifndef EC2D_AGENT_CGROUP_H
#define EC2D_AGENT_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "common/strlist.h"

#define CGROUP_FDS_MAX 2 /* v1: cpu and memory; v2: one */

enum cgroup_mode { CGROUP_NONE, CGROUP_V1, CGROUP_V2 };

struct cgroups;

/*
 * cgroup_open - find the controllers and make the host's folder `name`
 * ("" or no controllers: a handle in CGROUP_NONE mode, which does
 * nothing). root: the cgroup file system, normally "/sys/fs/cgroup" (tests
 * point it elsewhere). NULL only when out of memory.
 */
struct cgroups *cgroup_open(const char *root, const char *name);
void cgroup_close(struct cgroups *cg);
enum cgroup_mode cgroup_mode(const struct cgroups *cg);

/*
 * cgroup_prepare - make (or reuse) instance id's cgroup with a quota of
 * `vcpus` CPUs plus half a CPU for QEMU itself and a limit of memory_bytes, and
 * open its cgroup.procs files for writing into fds (close-on-exec; *n of them,
 * 0 in NONE mode). The caller closes them. 0 or -errno (then nothing is left
 * open).
 */
int cgroup_prepare(struct cgroups *cg, const char *id, unsigned vcpus,
		   unsigned long long memory_bytes, int fds[CGROUP_FDS_MAX],
		   size_t *n);

/*
 * cgroup_each_proc - call fn for every process in every instance cgroup
 * of the host (id: the cgroup's name, "i-..."): what runs there is that
 * instance's QEMU, or a leftover of it. Returns how many calls.
 */
size_t cgroup_each_proc(struct cgroups *cg,
			void (*fn)(const char *id, pid_t pid, void *ctx),
			void *ctx);

/* rmdir every empty instance cgroup of the host (a busy one stays). */
void cgroup_sweep(struct cgroups *cg);

/* Remove the host's folder and every (empty) instance cgroup in it. */
void cgroup_destroy(struct cgroups *cg);

/* Remove id's cgroup; it must be empty (its QEMU gone). 0 or -errno. */
int cgroup_remove(struct cgroups *cg, const char *id);

/*
 * cgroup_find - the host folders below root whose name starts with prefix
 * ("ec2d-TAG-"), whoever made them: v2 keeps them at the root, v1 below
 * the cgroup of the ec2d that made them, so every hierarchy is searched
 * (a few levels deep; a match is not descended into). Paths into out.
 */
int cgroup_find(const char *root, const char *prefix, struct strlist *out);

/* cgroup_destroy() of every folder cgroup_find() names; the number left. */
int cgroup_destroy_named(const char *root, const char *prefix);

#endif
