/*
 * qemu_argv.c - the QEMU command line for one instance. See qemu_argv.h.
 *
 * Checks the spec field by field, then emits the arguments in a fixed
 * order: identity and hardening, machine and accelerator, control files
 * (pidfile, QMP, console), kernel boot, disks, NICs, hot-plug ports, the
 * host channel. Called by the compute driver just before it spawns QEMU;
 * owns nothing beyond the list it fills.
 *
 * Platform rules encoded here (docs: PLATFORM.md): never vhost=on (QEMU
 * 7.2 aborts without /dev/vhost-net); microvm under TCG needs
 * tsc_early_khz= or ~4 boots in 10 hang at TSC calibration; microvm keeps
 * ACPI on (its virtio-mmio devices are found only through ACPI here) and
 * its RTC (rtc=off doubles boot time); "quiet" because every console byte
 * is an emulated port write.
 */
#include "agent/compute/qemu_argv.h"
#include "common/hex.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define INVALID "InvalidParameterValue"

/*
 * -sandbox: seccomp filter on QEMU. obsolete/elevateprivileges/spawn/
 * resourcecontrol=deny: a guest escape cannot set*id, fork or exec (no
 * helper is needed: taps come open or by name, script=no), nor play with
 * scheduler and affinity.
 */
static const char sandbox_opts[] =
    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
    "resourcecontrol=deny";

const char *
qemu_machine_name(enum qemu_machine m)
{
	switch (m) {
	case QEMU_MACHINE_MICROVM:
		return "microvm";
	case QEMU_MACHINE_Q35:
		return "q35";
	}
	return NULL;
}

int
qemu_machine_parse(const char *s, enum qemu_machine *ret)
{
	if (s && strcmp(s, "microvm") == 0)
		*ret = QEMU_MACHINE_MICROVM;
	else if (s && strcmp(s, "q35") == 0)
		*ret = QEMU_MACHINE_Q35;
	else
		return -EINVAL;
	return 0;
}

static const char *
disk_format_name(enum qemu_disk_format f)
{
	switch (f) {
	case QEMU_DISK_QCOW2:
		return "qcow2";
	case QEMU_DISK_RAW:
		return "raw";
	}
	return NULL;
}

/* Printable ASCII without ','; QEMU's option parser would split on it. */
static int
option_safe(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == ',')
			return 0;
	return 1;
}

static int
check_path(const char *what, const char *p, size_t max, struct err *e)
{
	if (!p || !*p)
		return err_set(e, INVALID, "qemu spec: %s is required", what);
	if (p[0] != '/')
		return err_set(e, INVALID, "qemu spec: %s must be absolute: %s",
			       what, p);
	if (strlen(p) > max)
		return err_set(e, INVALID,
			       "qemu spec: %s longer than %zu bytes", what,
			       max);
	if (!option_safe(p))
		return err_set(e, INVALID,
			       "qemu spec: %s has ',' or a control character",
			       what);
	return 0;
}

static int
check_optional_path(const char *what, const char *p, size_t max, struct err *e)
{
	return p ? check_path(what, p, max, e) : 0;
}

static int
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* EC2's shapes: i-12345678 (old) and i-0123456789abcdef0. */
static int
check_instance_id(const char *id, struct err *e)
{
	size_t n;

	if (!id || strncmp(id, "i-", 2) != 0)
		return err_set(e, INVALID, "qemu spec: bad instance id");
	n = strlen(id + 2);
	if (n != 8 && n != 17)
		return err_set(e, INVALID, "qemu spec: bad instance id");
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex(id[2 + i]))
			return err_set(e, INVALID,
				       "qemu spec: bad instance id");
	return 0;
}

/* "xx:xx:xx:xx:xx:xx", unicast (multicast bit clear), not all zeros. */
static int
check_mac(const char *mac, size_t idx, struct err *e)
{
	int first, nonzero = 0;

	if (!mac || strlen(mac) != 17)
		goto bad;
	for (size_t i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (mac[i] != ':')
				goto bad;
		} else if (hex_digit(mac[i]) < 0) {
			goto bad;
		} else if (hex_digit(mac[i]) != 0) {
			nonzero = 1;
		}
	}
	first = hex_digit(mac[0]) * 16 + hex_digit(mac[1]);
	if ((first & 1) || !nonzero)
		goto bad;
	return 0;
bad:
	return err_set(e, INVALID,
		       "qemu spec: nics[%zu].mac is not a unicast "
		       "MAC address",
		       idx);
}

/* Linux interface names: 1..15 bytes; we also keep to [A-Za-z0-9_.-]. */
static int
check_tap(const char *tap, size_t idx, struct err *e)
{
	size_t n = tap ? strlen(tap) : 0;

	if (n == 0 || n > 15 || strcmp(tap, ".") == 0 || strcmp(tap, "..") == 0)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		char c = tap[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			goto bad;
	}
	return 0;
bad:
	return err_set(e, INVALID,
		       "qemu spec: nics[%zu].tap is not a valid "
		       "interface name",
		       idx);
}

static int
check_disk(const char *what, const struct qemu_disk *d, struct err *e)
{
	if (!disk_format_name(d->format))
		return err_set(e, INVALID,
			       "qemu spec: %s has an unknown format", what);
	return d->fd > 2 ? 0 : check_path(what, d->path, QEMU_PATH_MAX, e);
}

static int
check_platform(enum qemu_machine machine, enum accel_mode accel,
	       unsigned tsc_khz, struct err *e)
{
	if (!qemu_machine_name(machine))
		return err_set(e, INVALID, "qemu spec: unknown machine");
	if (accel != ACCEL_KVM && accel != ACCEL_TCG)
		return err_set(e, INVALID,
			       "qemu spec: accel must be kvm or tcg");
	if (machine == QEMU_MACHINE_MICROVM && accel == ACCEL_TCG &&
	    (tsc_khz < 100000 || tsc_khz > 10000000))
		return err_set(e, INVALID,
			       "qemu spec: microvm under TCG needs "
			       "tsc_khz (host TSC, 100000..10000000)");
	return 0;
}

static int
check_spec(const struct qemu_spec *s, struct err *e)
{
	char what[48];

	if (check_path("qemu_binary", s->qemu_binary, QEMU_PATH_MAX, e) ||
	    check_instance_id(s->instance_id, e))
		return -1;
	if (s->vcpus < 1 || s->vcpus > QEMU_VCPUS_MAX)
		return err_set(e, INVALID, "qemu spec: vcpus %u not in 1..%u",
			       s->vcpus, QEMU_VCPUS_MAX);
	if (s->memory_mib < QEMU_MEMORY_MIB_MIN ||
	    s->memory_mib > QEMU_MEMORY_MIB_MAX)
		return err_set(
		    e, INVALID, "qemu spec: memory_mib %u not in %u..%u",
		    s->memory_mib, QEMU_MEMORY_MIB_MIN, QEMU_MEMORY_MIB_MAX);
	if (check_platform(s->machine, s->accel, s->tsc_khz, e))
		return -1;
	if (s->accel == ACCEL_TCG && s->tb_size_mib > QEMU_TB_SIZE_MIB_MAX)
		return err_set(e, INVALID, "qemu spec: tb_size_mib %u above %u",
			       s->tb_size_mib, QEMU_TB_SIZE_MIB_MAX);
	if (check_path("kernel", s->kernel, QEMU_PATH_MAX, e) ||
	    check_optional_path("initrd", s->initrd, QEMU_PATH_MAX, e))
		return -1;
	if (s->cmdline) {
		for (const char *c = s->cmdline; *c; c++)
			if (*c < 0x20 || *c > 0x7e)
				return err_set(e, INVALID,
					       "qemu spec: cmdline "
					       "has a control character");
		if (strlen(s->cmdline) > QEMU_CMDLINE_MAX)
			return err_set(e, INVALID,
				       "qemu spec: cmdline longer "
				       "than %d bytes",
				       QEMU_CMDLINE_MAX);
	}
	if (check_disk("root disk", &s->root, e))
		return -1;
	if (s->n_instance_store > QEMU_INSTANCE_STORE_MAX ||
	    (s->n_instance_store && !s->instance_store))
		return err_set(e, INVALID,
			       "qemu spec: %zu instance-store disks "
			       "(at most %d)",
			       s->n_instance_store, QEMU_INSTANCE_STORE_MAX);
	for (size_t i = 0; i < s->n_instance_store; i++) {
		snprintf(what, sizeof(what), "instance_store[%zu]", i);
		if (check_disk(what, &s->instance_store[i], e))
			return -1;
	}
	if (s->root_ports > QEMU_ROOT_PORTS_MAX)
		return err_set(e, INVALID, "qemu spec: root_ports %u above %d",
			       s->root_ports, QEMU_ROOT_PORTS_MAX);
	if (s->root_ports && s->machine != QEMU_MACHINE_Q35)
		return err_set(e, INVALID,
			       "qemu spec: root_ports need q35 "
			       "(microvm has no hot-plug)");
	if (s->n_nics > QEMU_NICS_MAX || (s->n_nics && !s->nics))
		return err_set(e, INVALID, "qemu spec: %zu NICs (at most %d)",
			       s->n_nics, QEMU_NICS_MAX);
	for (size_t i = 0; i < s->n_nics; i++)
		if ((s->nics[i].fd <= 2 && check_tap(s->nics[i].tap, i, e)) ||
		    check_mac(s->nics[i].mac, i, e))
			return -1;
	if ((s->console_fd <= 2 &&
	     check_path("console_log", s->console_log, QEMU_PATH_MAX, e)) ||
	    (s->qmp_fd <= 2 &&
	     check_path("qmp_socket", s->qmp_socket, QEMU_UNIX_PATH_MAX, e)) ||
	    check_optional_path("pidfile", s->pidfile, QEMU_PATH_MAX, e) ||
	    check_optional_path("channel_socket", s->channel_socket,
				QEMU_UNIX_PATH_MAX, e))
		return -1;
	return 0;
}

/* The transport a virtio device sits on: MMIO on microvm, PCI on q35. */
static const char *
virtio_suffix(const struct qemu_spec *s)
{
	return s->machine == QEMU_MACHINE_Q35 ? "pci" : "device";
}

/* QEMU, its name, nothing we did not ask for, no display, the sandbox. */
static void
add_identity(struct strlist *a, const char *qemu_binary, const char *name)
{
	strlist_add(a, qemu_binary);
	strlist_add(a, "-name");
	strlist_addf(a, "guest=%s,debug-threads=on", name);
	strlist_add(a, "-nodefaults");
	strlist_add(a, "-no-user-config");
	strlist_add(a, "-nographic");
	strlist_add(a, "-display");
	strlist_add(a, "none");
	strlist_add(a, "-sandbox");
	strlist_add(a, sandbox_opts);
}

static void
add_machine(struct strlist *a, const struct qemu_spec *s)
{
	strlist_add(a, "-machine");
	if (s->machine == QEMU_MACHINE_MICROVM)
		strlist_add(a, "microvm,acpi=on,rtc=on,isa-serial=on");
	else
		strlist_add(a, "q35,smm=off,vmport=off");

	strlist_add(a, "-accel");
	if (s->accel == ACCEL_KVM) {
		strlist_add(a, "kvm");
		strlist_add(a, "-cpu");
		strlist_add(a, "host");
	} else if (s->tb_size_mib) {
		strlist_addf(a, "tcg,tb-size=%u", s->tb_size_mib);
	} else {
		strlist_add(a, "tcg");
	}
	strlist_add(a, "-smp");
	strlist_addf(a, "%u", s->vcpus);
	strlist_add(a, "-m");
	strlist_addf(a, "%uM", s->memory_mib);
}

/* An fd handed to QEMU, as the file /dev/fdset/FD (its set is itself). */
static void
add_fdset(struct strlist *a, int fd)
{
	strlist_add(a, "-add-fd");
	strlist_addf(a, "fd=%d,set=%d", fd, fd);
}

/* Truncated at each start (the console of this boot), or appended to. */
static void
add_console(struct strlist *a, const char *console_log, bool append)
{
	strlist_add(a, "-chardev");
	strlist_addf(a, "file,id=con,path=%s%s", console_log,
		     append ? ",append=on" : "");
	strlist_add(a, "-serial");
	strlist_add(a, "chardev:con");
}

static void
add_control(struct strlist *a, const struct qemu_spec *s)
{
	char fdset[32];

	if (s->pidfile) {
		strlist_add(a, "-pidfile");
		strlist_add(a, s->pidfile);
	}
	if (s->qmp_fd > 2) {
		strlist_add(a, "-chardev");
		strlist_addf(a, "socket,id=qmp,fd=%d,server=on,wait=off",
			     s->qmp_fd);
		strlist_add(a, "-mon");
		strlist_add(a, "chardev=qmp,mode=control");
	} else {
		strlist_add(a, "-qmp");
		strlist_addf(a, "unix:%s,server=on,wait=off", s->qmp_socket);
	}
	if (s->console_fd > 2) {
		add_fdset(a, s->console_fd);
		snprintf(fdset, sizeof(fdset), "/dev/fdset/%d", s->console_fd);
		add_console(a, fdset, s->console_append);
	} else {
		add_console(a, s->console_log, s->console_append);
	}
}

static void
add_boot(struct strlist *a, const struct qemu_spec *s)
{
	strlist_add(a, "-kernel");
	strlist_add(a, s->kernel);
	if (s->initrd) {
		strlist_add(a, "-initrd");
		strlist_add(a, s->initrd);
	}
	strlist_add(a, "-append");
	if (s->machine == QEMU_MACHINE_MICROVM && s->accel == ACCEL_TCG)
		strlist_addf(a, "console=ttyS0 quiet tsc_early_khz=%u%s%s",
			     s->tsc_khz, s->cmdline ? " " : "",
			     s->cmdline ? s->cmdline : "");
	else
		strlist_addf(a, "console=ttyS0 quiet%s%s",
			     s->cmdline ? " " : "",
			     s->cmdline ? s->cmdline : "");
}

static void
add_disk(struct strlist *a, const struct qemu_spec *s, const char *node,
	 const struct qemu_disk *d)
{
	char fdset[32];

	if (d->fd > 2) {
		add_fdset(a, d->fd);
		snprintf(fdset, sizeof(fdset), "/dev/fdset/%d", d->fd);
	}
	strlist_add(a, "-blockdev");
	strlist_addf(a,
		     "driver=%s,node-name=%s,discard=unmap,"
		     "file.driver=file,file.filename=%s",
		     disk_format_name(d->format), node,
		     d->fd > 2 ? fdset : d->path);
	strlist_add(a, "-device");
	strlist_addf(a, "virtio-blk-%s,drive=%s,id=disk-%s", virtio_suffix(s),
		     node, node);
}

static void
add_disks(struct strlist *a, const struct qemu_spec *s)
{
	char node[32];

	/* The root disk first: the guest names it vda. */
	add_disk(a, s, "root", &s->root);
	for (size_t i = 0; i < s->n_instance_store; i++) {
		snprintf(node, sizeof(node), "ephemeral%zu", i);
		add_disk(a, s, node, &s->instance_store[i]);
	}
}

static void
add_nics(struct strlist *a, const struct qemu_spec *s)
{
	for (size_t i = 0; i < s->n_nics; i++) {
		/* No vhost=on: QEMU 7.2 aborts without /dev/vhost-net. */
		strlist_add(a, "-netdev");
		if (s->nics[i].fd > 2)
			strlist_addf(a, "tap,id=net%zu,fd=%d", i,
				     s->nics[i].fd);
		else
			strlist_addf(a,
				     "tap,id=net%zu,ifname=%s,script=no,"
				     "downscript=no",
				     i, s->nics[i].tap);
		/* romfile=: no iPXE option ROM, we boot -kernel (q35 only). */
		strlist_add(a, "-device");
		strlist_addf(a,
			     "virtio-net-%s,netdev=net%zu,id=nic%zu,mac=%s%s",
			     virtio_suffix(s), i, i, s->nics[i].mac,
			     s->machine == QEMU_MACHINE_Q35 ? ",romfile=" : "");
	}
}

/*
 * Root ports must exist from the start (q35 cannot hot-plug a port).
 * chassis/port pairs are unique per port; the guest sees an empty slot.
 */
static void
add_root_ports(struct strlist *a, const struct qemu_spec *s)
{
	for (unsigned i = 1; i <= s->root_ports; i++) {
		strlist_add(a, "-device");
		strlist_addf(a,
			     "pcie-root-port,id=rp%u,bus=pcie.0,chassis=%u,"
			     "port=%u",
			     i, i, i);
	}
}

static void
add_channel(struct strlist *a, const struct qemu_spec *s)
{
	if (!s->channel_socket)
		return;
	strlist_add(a, "-device");
	strlist_addf(a, "virtio-serial-%s,id=vser0", virtio_suffix(s));
	strlist_add(a, "-chardev");
	strlist_addf(a, "socket,id=chan0,path=%s,server=on,wait=off",
		     s->channel_socket);
	strlist_add(a, "-device");
	strlist_add(
	    a,
	    "virtserialport,bus=vser0.0,chardev=chan0,name=" QEMU_CHANNEL_NAME);
}

/* Give the built argv to the caller, or free it when a step ran out of
 * memory. */
static int
argv_hand_over(struct strlist *a, struct strlist *ret_argv, struct err *e)
{
	if (a->failed) {
		strlist_free(a);
		return err_set(e, "InternalError", "qemu argv: out of memory");
	}
	strlist_free(ret_argv);
	*ret_argv = *a;
	return 0;
}

int
qemu_argv_build(const struct qemu_spec *spec, struct strlist *ret_argv,
		struct err *e)
{
	struct strlist a;

	if (check_spec(spec, e))
		return -1;
	strlist_init(&a);

	add_identity(&a, spec->qemu_binary, spec->instance_id);
	add_machine(&a, spec);
	add_control(&a, spec);
	add_boot(&a, spec);
	add_disks(&a, spec);
	add_nics(&a, spec);
	add_root_ports(&a, spec);
	add_channel(&a, spec);

	return argv_hand_over(&a, ret_argv, e);
}

int
qemu_argv_build_probe(const struct qemu_probe_spec *probe,
		      struct strlist *ret_argv, struct err *e)
{
	/* The probe's guest, seen as an instance, shares every rule. */
	struct qemu_spec s = {
	    .qemu_binary = probe->qemu_binary,
	    .vcpus = 1,
	    .memory_mib = probe->memory_mib,
	    .machine = probe->machine,
	    .accel = probe->accel,
	    .tsc_khz = probe->tsc_khz,
	    .kernel = probe->kernel,
	    .initrd = probe->initrd,
	    .cmdline = "panic=-1",
	};
	struct strlist a;

	if (check_path("qemu_binary", s.qemu_binary, QEMU_PATH_MAX, e) ||
	    check_platform(s.machine, s.accel, s.tsc_khz, e) ||
	    check_path("kernel", s.kernel, QEMU_PATH_MAX, e) ||
	    check_path("initrd", s.initrd, QEMU_PATH_MAX, e) ||
	    check_path("console_log", probe->console_log, QEMU_PATH_MAX, e))
		return -1;
	if (s.memory_mib < QEMU_MEMORY_MIB_MIN ||
	    s.memory_mib > QEMU_MEMORY_MIB_MAX)
		return err_set(
		    e, INVALID, "qemu spec: memory_mib %u not in %u..%u",
		    s.memory_mib, QEMU_MEMORY_MIB_MIN, QEMU_MEMORY_MIB_MAX);
	strlist_init(&a);
	add_identity(&a, s.qemu_binary, "ec2d-accel-probe");
	add_machine(&a, &s);
	strlist_add(&a, "-no-reboot");
	add_console(&a, probe->console_log, false);
	add_boot(&a, &s);
	return argv_hand_over(&a, ret_argv, e);
}
