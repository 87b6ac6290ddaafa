/*
 * host.h - one hypervisor host, as the control plane sees it.
 *
 * The control plane hands a host the desired state of every instance placed
 * on it (host_apply) and reads back what the host observes (host_observe).
 * The host makes local reality match: it creates disks, starts QEMU,
 * powers guests down, reboots them, and removes what is no longer wanted.
 * In one process these are function calls; across machines the same
 * structs travel over HTTPS. The agent never reads the store.
 *
 * Both calls are level-triggered and never block on a guest: host_apply()
 * starts work (a QEMU launch, an ACPI power-down) and returns; later calls
 * see it progress. Calling host_apply() with the same wants again does
 * nothing new. An instance the host runs but that is absent from the wants
 * is left alone (a partial list is not a command to destroy); only
 * HOST_WANT_GONE removes one.
 *
 * Files of one instance live in STATE/instances/<id>/: root.qcow2 (an
 * overlay on the image's disk), store<N>.img (instance store), console.log,
 * qmp.sock, qemu.pid. host_open() adopts QEMUs still running from an
 * earlier ec2d (their pidfile and QMP socket), so a restart of ec2d does
 * not restart guests.
 */
#ifndef EC2D_AGENT_HOST_H
#define EC2D_AGENT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "agent/compute/accel.h"
#include "common/err.h"

#define HOST_ID_MAX 32
#define HOST_PATH_MAX 1024
#define HOST_STORE_DISKS_MAX 8

struct host_config {
	char id[HOST_ID_MAX];		/* "use1-az1-h1" */
	char zone[32];
	char state_dir[HOST_PATH_MAX];	/* this host's folder */
	char qemu[HOST_PATH_MAX];	/* qemu-system-x86_64 */
	char qemu_img[HOST_PATH_MAX];	/* qemu-img */
	enum accel_mode accel;		/* decided by the probe at start */
	unsigned tsc_khz;
	unsigned tb_size_mib;		/* TCG translation cache */
	/* The network namespace QEMU runs in ("" = the caller's). */
	char netns[64];
	/* The cgroup folder of this host's QEMUs (cgroup.h); "": none. */
	char cgroup[64];
	/* QEMU runs as this user (0 = do not change). */
	uid_t run_uid;
	gid_t run_gid;
	/* How long a guest may take to power down before it is forced. */
	unsigned stop_timeout_ms;
};

enum host_want {
	HOST_WANT_RUNNING,
	HOST_WANT_STOPPED,
	HOST_WANT_GONE,		/* terminate: stop, then delete its files */
};

struct host_instance {
	char id[32];
	enum host_want want;
	bool force_stop;	/* StopInstances Force: no ACPI grace */
	unsigned boot;		/* RebootInstances bumps it: a new value reboots */
	unsigned vcpus;
	unsigned memory_mib;
	char kernel[HOST_PATH_MAX];
	char initrd[HOST_PATH_MAX];	/* "" when none */
	char cmdline[512];		/* image's, plus ec2d's additions */
	char base_disk[HOST_PATH_MAX];	/* the image's root disk */
	unsigned root_gib;		/* the overlay's virtual size */
	unsigned store_disks;		/* instance store */
	unsigned store_gb;		/* each, in GB (10^9 bytes), as AWS counts */
	bool keep_root;		/* on GONE: keep root.qcow2 */
	/* Network: filled by the network layer; "" means no interface. */
	char tap[16];
	char mac[18];
};

enum host_instance_state {
	HOST_ABSENT,		/* no QEMU, no files */
	HOST_STARTING,		/* QEMU launched, vCPUs not yet running */
	HOST_RUNNING,		/* QMP query-status says running */
	HOST_STOPPING,		/* power-down asked, QEMU still up */
	HOST_STOPPED,		/* no QEMU; disks kept */
	HOST_FAILED,		/* could not start; reason says why */
};

struct host_instance_status {
	char id[32];
	enum host_instance_state state;
	unsigned boot;		/* the boot value the guest runs */
	bool guest_ready;	/* its console printed "ec2d-init: ready" */
	bool guest_halted;	/* the guest powered itself off */
	char reason[256];
	time_t since;		/* when it entered this state */
};

struct host;

/* Open a host: make its folders, adopt QEMUs left running. */
int host_open(const struct host_config *cfg, struct host **ret,
	      struct err *e);
/* Close: stop_guests powers every guest off first (else they run on). */
void host_close(struct host *h, bool stop_guests);

void host_apply(struct host *h, const struct host_instance *want, size_t n);

/* Fill up to max statuses, one per instance the host knows; returns n. */
size_t host_observe(struct host *h, struct host_instance_status *out,
		    size_t max);

/*
 * The tail of an instance's serial console (at most size bytes, the most
 * recent ones); 0 with *ret_len 0 when it has printed nothing.
 */
int host_console(struct host *h, const char *id, char *buf, size_t size,
		 size_t *ret_len);

/* Called (from any thread) when something observable changed. */
void host_set_notify(struct host *h, void (*fn)(void *ctx), void *ctx);

#endif
