/*
 * qemu_argv.h - an instance spec in, the QEMU command line out.
 *
 * A pure function in the manner of libvirt's qemu_command.c: no file is
 * opened, nothing is probed, the same spec always gives the same argv, and
 * tests compare it with golden files under tests/data/qemu. Whoever
 * starts QEMU (spawn.h) runs exactly this argv and owns the process;
 * whoever fills the spec owns every path and name in it: the spec only
 * borrows them.
 *
 * Device naming (QMP and hot-plug code rely on it):
 *   root disk     node "root",        device "disk-root"   (first disk, vda)
 *   instance store node "ephemeralN", device "disk-ephemeralN" (N from 0)
 *   NIC N         netdev "netN",      device "nicN"
 *   q35 root port "rpN", N from 1, empty at start, for hot-plugged disks
 *   console       chardev "con" on ttyS0; channel chardev "chan0"
 */
#ifndef EC2D_AGENT_COMPUTE_QEMU_ARGV_H
#define EC2D_AGENT_COMPUTE_QEMU_ARGV_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/compute/accel.h"
#include "common/err.h"
#include "common/strlist.h"

#define QEMU_VCPUS_MAX		64
#define QEMU_MEMORY_MIB_MIN	64
#define QEMU_MEMORY_MIB_MAX	(1024u * 1024u)
#define QEMU_INSTANCE_STORE_MAX 8
#define QEMU_NICS_MAX		8
#define QEMU_ROOT_PORTS_MAX	16
#define QEMU_TB_SIZE_MIB_MAX	1024
#define QEMU_CMDLINE_MAX	1024 /* the part the caller adds */
#define QEMU_PATH_MAX		1024
#define QEMU_UNIX_PATH_MAX	107 /* sun_path, minus the NUL */

/* The name the guest sees for the host channel, /dev/virtio-ports/NAME. */
#define QEMU_CHANNEL_NAME "org.ec2d.agent.0"

enum qemu_machine {
	QEMU_MACHINE_MICROVM, /* fastest boot; no hot-plug */
	QEMU_MACHINE_Q35,     /* PCIe; disks hot-plug into root ports */
};

enum qemu_disk_format {
	QEMU_DISK_QCOW2,
	QEMU_DISK_RAW,
};

struct qemu_disk {
	const char *path; /* absolute ... */
	enum qemu_disk_format format;
	int fd; /* ... or, when > 2, open read-write as this fd in QEMU
		 * (-add-fd, /dev/fdset/FD): QEMU needs no access to its
		 * folder */
};

struct qemu_nic {
	const char *tap; /* an existing tap device, <= 15 chars ... */
	int fd;		 /* ... or, when > 2, a tap already open as this fd
			  * in QEMU (an unprivileged QEMU cannot open one) */
	const char *mac; /* "52:54:00:12:34:56", unicast */
};

struct qemu_spec {
	const char *qemu_binary; /* argv[0], absolute */
	const char *instance_id; /* "i-" + 8 or 17 lowercase hex */
	unsigned vcpus;		 /* 1..QEMU_VCPUS_MAX */
	unsigned memory_mib;	 /* QEMU_MEMORY_MIB_MIN..MAX */
	enum qemu_machine machine;
	enum accel_mode accel; /* ACCEL_KVM or ACCEL_TCG */
	unsigned tb_size_mib;  /* TCG translation cache; 0: QEMU's */
	unsigned tsc_khz;      /* host TSC; required: microvm + TCG */

	const char *kernel;  /* absolute */
	const char *initrd;  /* absolute, or NULL */
	const char *cmdline; /* added after "console=ttyS0 quiet"; NULL */

	struct qemu_disk root;			/* required */
	const struct qemu_disk *instance_store; /* n_instance_store */
	size_t n_instance_store;
	unsigned root_ports; /* q35 only: hot-plug slots */
	const struct qemu_nic *nics;
	size_t n_nics;

	const char *console_log;    /* serial console file ... */
	int console_fd;		    /* ... or, > 2, open for appending */
	bool console_append;	    /* keep earlier boots' output (EC2's
				     * console survives a stop): append=on;
				     * false: QEMU truncates it at start */
	const char *qmp_socket;	    /* unix socket QEMU makes ... */
	int qmp_fd;		    /* ... or, > 2, one already listening */
	const char *pidfile;	    /* NULL: none */
	const char *channel_socket; /* virtio-serial unix socket, or NULL */
};

/*
 * qemu_argv_build - check spec and fill *ret_argv (initialised and empty;
 * the caller owns it) with the whole QEMU command line, argv[0] being
 * spec->qemu_binary. Returns 0, or -1 with e filled and *ret_argv left
 * empty: "InvalidParameterValue" naming the bad field, "InternalError" on
 * allocation failure. Paths must be absolute and free of ',' (QEMU's
 * option separator) and of control characters. tb_size_mib is used only
 * with TCG and tsc_khz only for microvm under TCG; both are ignored
 * elsewhere.
 */
int qemu_argv_build(const struct qemu_spec *spec, struct strlist *ret_argv,
		    struct err *e);

/*
 * The acceleration probe's guest (see accel.h): one vCPU, no disk, no NIC,
 * no QMP; the console to a file; -no-reboot and panic=-1 so that a guest
 * that crashes ends QEMU instead of rebooting in a loop.
 */
struct qemu_probe_spec {
	const char *qemu_binary; /* absolute */
	enum qemu_machine machine;
	enum accel_mode accel; /* KVM (-cpu host) or TCG */
	unsigned tsc_khz;      /* as in qemu_spec */
	unsigned memory_mib;
	const char *kernel, *initrd; /* absolute, both required */
	const char *console_log;     /* absolute */
};

/* As qemu_argv_build, for the probe guest. */
int qemu_argv_build_probe(const struct qemu_probe_spec *probe,
			  struct strlist *ret_argv, struct err *e);

/* "microvm" / "q35" (static), or NULL for a value outside the enum. */
const char *qemu_machine_name(enum qemu_machine m);

/* The reverse: 0 and *ret, or -EINVAL. */
int qemu_machine_parse(const char *s, enum qemu_machine *ret);

#endif
