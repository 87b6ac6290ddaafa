/*
 * launch.h - start one instance's QEMU: its files, its command line, the
 * process.
 *
 * launch_qemu() prepares STATE/instances/<id>/ (see instdir.h) for a boot
 * of want and forks QEMU (q35, the host's accelerator, the instance's
 * disks, NIC and console, QMP on qmp.sock) in the host's network namespace
 * as the host's QEMU user, in a cgroup of its own that bounds its CPU to
 * its vCPUs and its memory to the guest's plus QEMU_OVERHEAD_MIB. It does not
 * wait for the guest: the caller owns the pid from then on (reaps it, talks QMP
 * to it). Called by host.c.
 */
#ifndef EC2D_AGENT_LAUNCH_H
#define EC2D_AGENT_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

#include "agent/host.h"
#include "common/strlist.h"

/* QEMU's own memory beside the guest's: TCG's translation cache, the
 * device models, page tables. Measured ~190 MiB idle under TCG. */
#define QEMU_OVERHEAD_MIB 384

struct cgroups;

struct launch_ctx {
	const struct host_config *cfg;
	const char *id;	    /* valid (instdir_id_valid) */
	const char *dir;    /* its folder */
	struct cgroups *cg; /* the host's (cgroup.h); NULL: none */
};

/*
 * 0 with *ret_pid and *ret_console (the console offset where this boot's
 * output starts), or -errno with a one-line reason for the control plane
 * (a missing kernel or base disk, qemu-img's complaint, an exec error).
 */
int launch_qemu(const struct launch_ctx *l, const struct host_instance *w,
		pid_t *ret_pid, long long *ret_console, char *reason,
		size_t reason_size);

/*
 * launch_argv - the QEMU command line launch_qemu() runs for want in
 * l->dir, argument for argument (the instance files handed over as fds
 * 3, 4, ...). Pure: nothing is opened or created, so tests compare it
 * with a golden file. 0, or -errno with a reason.
 */
int launch_argv(const struct launch_ctx *l, const struct host_instance *w,
		struct strlist *ret_argv, char *reason, size_t reason_size);

#endif
