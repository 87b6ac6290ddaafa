/*
 * host.h - the agent, as the control plane sees it: the one seam between
 * control/ and agent/. Control includes this header and nothing else of
 * agent/.
 *
 * Everything that crosses is plain data (host_json.h gives each struct its
 * JSON form): desired state in (struct host_config, struct host_instance,
 * struct host_net_config, struct host_vpc, struct host_port, struct
 * host_metadata, struct host_accel_ask, struct host_user_ask) and
 * observations out (struct host_instance_status, struct host_net_info,
 * struct host_read, struct host_console_tail, struct host_accel, struct
 * host_user). The in-process calls take a handle (struct host, struct
 * host_net); over a connection the handle is the peer.
 *
 * One hypervisor host: the control plane hands a host the desired state
 * of every instance placed on it (host_apply) and reads back what the
 * host observes (host_observe).
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
 * not restart guests. A QEMU's pid is on disk before it execs, so a crash
 * at any step leaves none that cannot be found; host_open() kills any
 * other process in an instance's cgroup or running a guest in the host's
 * namespace, so an instance never has two.
 *
 * The network and the metadata service (struct host_net): per deployment
 * a tag, per host a network namespace (QEMU runs there), per VPC a router
 * namespace with its gateways, dnsmasq and the IMDS socket, per instance
 * port a tap. IMDS answers from the copy of each instance's metadata last
 * published, so it keeps answering while the control plane is busy.
 */
#ifndef EC2D_AGENT_HOST_H
#define EC2D_AGENT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "common/err.h"

/* The accelerator QEMU runs guests with (accel.h decides it). */
enum accel_mode {
	ACCEL_AUTO, /* probe; never handed to host_open() */
	ACCEL_KVM,
	ACCEL_TCG,
};

#define HOST_ID_MAX	     32
#define HOST_PATH_MAX	     1024
#define HOST_STORE_DISKS_MAX 8
#define HOST_CONSOLE_MAX     (64u << 10) /* the console tail observed */
#define HOST_NET_HOSTS_MAX   32		 /* CONFIG_MAX_HOSTS */
#define HOST_VPC_SUBNETS_MAX 200	 /* AWS's default quota per VPC */
#define HOST_USER_DATA_MAX   16384	 /* EC2's limit, decoded */
#define HOST_KEY_TEXT_MAX    8192	 /* an OpenSSH public key line */
#define HOST_IMDS_KEY_LEN    32		 /* the IMDS token key, in bytes */

struct host_config {
	char id[HOST_ID_MAX]; /* "use1-az1-h1" */
	char zone[32];
	char state_dir[HOST_PATH_MAX]; /* this host's folder */
	char qemu[HOST_PATH_MAX];      /* qemu-system-x86_64 */
	char qemu_img[HOST_PATH_MAX];  /* qemu-img */
	enum accel_mode accel;	       /* decided by the probe at start */
	unsigned tsc_khz;
	unsigned tb_size_mib; /* TCG translation cache */
	/* The network namespace QEMU runs in ("" = the caller's). */
	char netns[64];
	/* The cgroup folder of this host's QEMUs (cgroup.h); "": none. */
	char cgroup[64];
	/* QEMU runs as this user (0 = do not change). */
	uid_t run_uid;
	gid_t run_gid;
	/* How long a guest may take to power down before it is forced. */
	unsigned stop_timeout_ms;
	/* A guest QEMU paused on a full disk is resumed once state_dir's
	 * file system has this much free (common/diskfree.h's syntax;
	 * "": any). */
	char disk_reserve[40]; /* DISKFREE_TEXT_MAX */
};

enum host_want {
	HOST_WANT_RUNNING,
	HOST_WANT_STOPPED,
	HOST_WANT_GONE, /* terminate: stop, then delete its files */
};

struct host_instance {
	char id[32];
	enum host_want want;
	bool force_stop; /* StopInstances Force: no ACPI grace */
	unsigned boot;	 /* RebootInstances bumps it: a new value reboots */
	unsigned vcpus;
	unsigned memory_mib;
	char kernel[HOST_PATH_MAX];
	char initrd[HOST_PATH_MAX];    /* "" when none */
	char cmdline[512];	       /* image's, plus ec2d's additions */
	char base_disk[HOST_PATH_MAX]; /* the image's root disk */
	unsigned root_gib;	       /* the overlay's virtual size */
	unsigned store_disks;	       /* instance store */
	unsigned store_gb; /* each, in GB (10^9 bytes), as AWS counts */
	bool keep_root;	   /* on GONE: keep root.qcow2 */
	/* Network: filled by the network layer; "" means no interface. */
	char tap[16];
	char mac[18];
};

enum host_instance_state {
	HOST_ABSENT,   /* no QEMU, no files */
	HOST_STARTING, /* QEMU launched, vCPUs not yet running */
	HOST_RUNNING,  /* QMP query-status says running */
	HOST_STOPPING, /* power-down asked, QEMU still up */
	HOST_STOPPED,  /* no QEMU; disks kept */
	HOST_FAILED,   /* could not start; reason says why */
};

struct host_instance_status {
	char id[32];
	enum host_instance_state state;
	unsigned boot;	   /* the boot value the guest runs */
	bool guest_ready;  /* its console printed "ec2d-init: ready" */
	bool guest_halted; /* the guest powered itself off */
	/* "" or why QEMU holds the running guest paused (a disk error). */
	char impaired[160];
	char reason[256];
	time_t since; /* when it entered this state */
};

struct host;

/* Open a host: make its folders, adopt QEMUs left running. */
int host_open(const struct host_config *cfg, struct host **ret, struct err *e);
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

/* The same tail as an observation: the last HOST_CONSOLE_MAX bytes. */
struct host_console_tail {
	char id[32];
	size_t len;
	unsigned char data[HOST_CONSOLE_MAX];
};

int host_console_tail(struct host *h, const char *id,
		      struct host_console_tail *out);

/* Called (from any thread) when something observable changed. */
void host_set_notify(struct host *h, void (*fn)(void *ctx), void *ctx);

/* ---- acceleration: decided once, when the agent starts ---- */

struct host_accel_ask {
	enum accel_mode mode; /* the operator's --accel */
	char qemu[HOST_PATH_MAX];
	/* The probe guest "auto" boots under KVM; "" or missing: TCG. */
	char probe_kernel[HOST_PATH_MAX];
	char probe_initrd[HOST_PATH_MAX];
};

struct host_accel {
	enum accel_mode accel; /* ACCEL_KVM or ACCEL_TCG */
	unsigned tsc_khz;      /* for host_config; 0: unknown */
	int probe_ms;	       /* how long the probe took; -1: none ran */
	char reason[320];      /* why, for the log */
};

/*
 * KVM or TCG: mode as asked unless it is ACCEL_AUTO, which boots the
 * probe guest under KVM (a /dev/kvm proves nothing on nested or
 * paravirtual KVM). No probe guest, or a probe that cannot run: TCG.
 * Blocks for the probe (seconds). Always decides.
 */
void host_accel_decide(const struct host_accel_ask *ask,
		       struct host_accel *ret);

/* "auto", "kvm" or "tcg" -> *ret; -EINVAL (and *ret untouched) otherwise. */
int host_accel_parse(const char *s, enum accel_mode *ret);

/* ---- QEMU's user ---- */

struct host_user_ask {
	/* "auto": ec2d-qemu when it exists, else nobody; "" or "root":
	 * unchanged; else a user name. */
	char name[64];
	/* A folder that user must be able to search (the data directory). */
	char reach[HOST_PATH_MAX];
};

struct host_user {
	char name[64];
	uid_t uid; /* 0, 0: QEMU runs as the agent (root) */
	gid_t gid;
};

/* Resolve the user on this machine and check it reaches ask->reach. */
int host_user_resolve(const struct host_user_ask *ask, struct host_user *ret,
		      struct err *e);

/* ---- the network and the metadata service ---- */

struct host_net_config {
	char tag[8]; /* 4-6 of [a-z0-9]: names every object */
	/* Recorded with the tag in the machine's registry (ec2d gc); "":
	 * no entry. */
	char data_dir[HOST_PATH_MAX];
	/* The IMDS token key (HOST_IMDS_KEY_LEN bytes as hex), kept by the
	 * control plane so tokens outlive a restart. */
	char imds_key[2 * HOST_IMDS_KEY_LEN + 1];
	size_t nhosts;
	unsigned hosts[HOST_NET_HOSTS_MAX]; /* host numbers, 1.. */
};

struct host_net_info {
	size_t nhosts;
	char netns[HOST_NET_HOSTS_MAX][64]; /* of config's hosts[i] */
};

struct host_vpc {
	unsigned no;   /* 1.., names its objects */
	char cidr[20]; /* "172.31.0.0/16" */
	size_t nsubnets;
	char subnets[HOST_VPC_SUBNETS_MAX][20]; /* inside it, disjoint */
};

/* One network interface of an instance. */
struct host_port {
	unsigned host;	      /* a host number of host_net_config */
	unsigned vpc;	      /* host_vpc's no */
	unsigned port;	      /* 1.., unique in the deployment */
	char mac[18];	      /* the guest's, "0e:..", unicast */
	char ip[16];	      /* the control plane's choice */
	char instance_id[32]; /* for the log */
};

/* What the metadata service tells one instance about itself. */
struct host_metadata {
	unsigned vpc;	     /* where it asks from ... */
	char local_ipv4[16]; /* ... and its address there */
	/* A new launch: reads from before do not count. */
	bool fresh;
	char instance_id[32];
	char image_id[32];
	char instance_type[32];
	char architecture[16]; /* "x86_64" */
	char account_id[16];
	char reservation_id[32];
	char region[32];
	char zone[32];	    /* "us-east-1a" */
	char zone_id[32];   /* "use1-az1" */
	char hostname[128]; /* "ip-172-31-0-4.ec2.internal" */
	char local_hostname[128];
	char mac[18];
	char interface_id[32]; /* "eni-..." */
	char subnet_id[32];
	char subnet_cidr[20];
	char vpc_id[32];
	char vpc_cidr[20];
	char key_name[256];
	char openssh_key[HOST_KEY_TEXT_MAX];
	bool has_user_data;
	size_t user_data_len;
	unsigned char user_data[HOST_USER_DATA_MAX];
	time_t pending_time;	   /* when this run of it launched */
	bool http_tokens_required; /* IMDSv2 only */
	unsigned hop_limit;	   /* 1..64 */
};

/* An instance read its metadata since it was last published fresh. */
struct host_read {
	char instance_id[32];
};

struct host_net;

/* Take over (or make) the deployment's network and start IMDS. */
int host_net_open(const struct host_net_config *cfg, struct host_net **ret,
		  struct host_net_info *info, struct err *e);
/* destroy: remove every namespace and device (guests are gone). */
void host_net_close(struct host_net *n, bool destroy);

/* Make sure the VPC (its router and subnets) exists and IMDS serves it. */
int host_net_vpc(struct host_net *n, const struct host_vpc *v, struct err *e);

/* Plug (idempotent) a port; the tap's name, for host_instance, in tap. */
int host_net_plug(struct host_net *n, const struct host_port *p, char tap[16],
		  struct err *e);
int host_net_unplug(struct host_net *n, const struct host_port *p,
		    struct err *e);

/* Replace what IMDS serves: the instances listed, nothing else. */
void host_net_publish(struct host_net *n, const struct host_metadata *md,
		      size_t count);

/* The instances that read their metadata; fills up to max, returns n. */
size_t host_net_reads(struct host_net *n, struct host_read *out, size_t max);

/* Called (from any thread) when a guest first read its metadata. */
void host_net_set_notify(struct host_net *n, void (*fn)(void *ctx), void *ctx);

/* ---- the deployments of this machine (ec2d down, ec2d gc) ---- */

/*
 * What one deployment left on this machine: the namespaces named
 * ec2d-<tag>-*, the processes in them (QEMU, dnsmasq), the cgroup
 * folders named ec2d-<tag>-*, and its registry entry (agent/registry.h).
 */
struct host_deployment {
	char tag[8];
	bool registered;	      /* false: an orphan, found by name only */
	char data_dir[HOST_PATH_MAX]; /* as registered */
	bool served;		      /* a running ec2d holds its entry */
	long pid;		      /* ... that ec2d (or the last one) */
	bool data_dir_here;	      /* the same data directory still exists */
	size_t namespaces, processes, cgroups;
};

/*
 * Every deployment of this machine: each registry entry, then each tag
 * that only names namespaces, cgroups or run directories (orphans, e.g.
 * of an ec2d older than the registry), sorted by tag. *ret is malloc'd.
 */
int host_deployments(struct host_deployment **ret, size_t *ret_n,
		     struct err *e);

/*
 * Remove all deployment tag made on this machine: end the processes in
 * its namespaces (SIGTERM, then SIGKILL after grace_ms), delete the
 * namespaces, its run directory /run/ec2d-<tag> and its cgroups, then
 * its registry entry. Holds the entry's lock throughout; refuses when a
 * running ec2d holds it. Data directories are not touched.
 */
int host_teardown(const char *tag, int grace_ms, struct err *e);

/*
 * The pid of a running ec2d (other than the caller) that holds no
 * registry entry, so may own objects found only by name; 0 when none.
 */
long host_unregistered_ec2d(void);

#endif
