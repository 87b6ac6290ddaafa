/*
 * test_qemu_argv.c - golden-file tests of the QEMU command line, and a
 * table of bad specs that must be refused with the field named.
 *
 * Goldens are tests/data/qemu/NAME.argv, one argument per line. After an
 * intended change, regenerate them with UPDATE_GOLDEN=1 and review the
 * diff in git: the golden is the reviewable record of what QEMU runs.
 * launch-*.argv come from launch_argv(), the very function whose argv
 * launch_qemu() hands to spawn_start() unchanged: an instance as the
 * agent starts it, from its host_instance.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/compute/qemu_argv.h"
#include "agent/launch.h"
#include "common/buf.h"
#include "unit.h"

#include "golden.h"

#define GOLDEN_DIR "../data/qemu/"

static const struct qemu_disk ephemeral[] = {
    {.path = "/var/lib/ec2d/instances/i-0123456789abcdef0/eph0.qcow2"},
    {.path = "/var/lib/ec2d/instances/i-0123456789abcdef0/eph1.raw",
     .format = QEMU_DISK_RAW},
};

static const struct qemu_nic one_nic[] = {
    {.tap = "tap-0123abcd", .mac = "02:ec:2d:01:23:45"},
};

/* Instance store the agent opened: QEMU gets the disks as fds 7 and 8. */
static const struct qemu_disk ephemeral_fds[] = {
    {.format = QEMU_DISK_RAW, .fd = 7},
    {.format = QEMU_DISK_RAW, .fd = 8},
};

/* A tap the agent opened and QEMU inherits as fd 3. */
static const struct qemu_nic fd_nic[] = {
    {.fd = 3, .mac = "02:ec:2d:01:23:46"},
};

/* A t3.micro-like instance on microvm under TCG: root disk only. */
static struct qemu_spec
spec_microvm_tcg(void)
{
	return (struct qemu_spec){
	    .qemu_binary = "/usr/bin/qemu-system-x86_64",
	    .instance_id = "i-0123456789abcdef0",
	    .vcpus = 1,
	    .memory_mib = 1024,
	    .machine = QEMU_MACHINE_MICROVM,
	    .accel = ACCEL_TCG,
	    .tb_size_mib = 32,
	    .tsc_khz = 2596000,
	    .kernel = "/var/lib/ec2d/images/ami-0abc/vmlinuz",
	    .initrd = "/var/lib/ec2d/images/ami-0abc/initrd",
	    .cmdline = "root=/dev/vda rw",
	    .root = {.path = "/var/lib/ec2d/instances/i-0123456789abcdef0/"
			     "root.qcow2"},
	    .console_log = "/var/lib/ec2d/instances/i-0123456789abcdef0/"
			   "console.log",
	    .qmp_socket = "/run/ec2d/i-0123456789abcdef0/qmp.sock",
	    .pidfile = "/run/ec2d/i-0123456789abcdef0/qemu.pid",
	};
}

/*
 * q35 with hot-plug ports, instance store, a NIC and the host channel, as
 * the agent starts it: every instance file handed over open (the tap 3,
 * QMP listening on 4, the console 5, the root disk 6, the store 7 and 8),
 * no pidfile.
 */
static struct qemu_spec
spec_q35_tcg(void)
{
	struct qemu_spec s = spec_microvm_tcg();

	s.machine = QEMU_MACHINE_Q35;
	s.vcpus = 2;
	s.memory_mib = 4096;
	s.root_ports = 4;
	s.instance_store = ephemeral_fds;
	s.n_instance_store = 2;
	s.nics = fd_nic;
	s.n_nics = 1;
	s.channel_socket = "/run/ec2d/i-0123456789abcdef0/chan.sock";
	s.qmp_fd = 4;
	s.console_fd = 5;
	s.console_append = true;
	s.root.fd = 6;
	s.pidfile = NULL;
	return s;
}

static struct qemu_spec
spec_q35_kvm(void)
{
	struct qemu_spec s = spec_q35_tcg();

	/* The same by paths. */
	s.instance_store = ephemeral;
	s.qmp_fd = s.console_fd = s.root.fd = 0;
	s.console_append = false;
	s.pidfile = "/run/ec2d/i-0123456789abcdef0/qemu.pid";
	s.accel = ACCEL_KVM;
	s.n_instance_store = 0;
	s.nics = one_nic;
	s.root_ports = 2;
	s.channel_socket = NULL;
	return s;
}

static struct qemu_spec
spec_microvm_kvm(void)
{
	struct qemu_spec s = spec_microvm_tcg();

	s.accel = ACCEL_KVM;
	s.initrd = NULL;
	s.cmdline = NULL;
	s.nics = one_nic;
	s.n_nics = 1;
	return s;
}

/* Compare argv with GOLDEN_DIR/name.argv, or rewrite it (UPDATE_GOLDEN=1). */
static void
compare_golden(const char *name, const struct strlist *argv)
{
	char path[256];
	struct buf text;

	buf_init(&text, GOLDEN_MAX);
	snprintf(path, sizeof(path), GOLDEN_DIR "%s.argv", name);
	for (size_t i = 0; i < argv->n; i++) {
		CHECK(!strchr(argv->v[i], '\n'), "%s: newline in arg", name);
		CHECK(!strstr(argv->v[i], "vhost"), "%s: vhost in %s", name,
		      argv->v[i]);
		buf_addf(&text, "%s\n", argv->v[i]);
	}
	CHECK(!buf_failed(&text), "%s: argv too long", name);
	golden_check(path, buf_cstr(&text), text.len);
	buf_free(&text);
}

static void
check_golden(const char *name, const struct qemu_spec *spec)
{
	struct strlist argv;
	struct err e = {{0}, {0}};

	strlist_init(&argv);
	CHECK(qemu_argv_build(spec, &argv, &e) == 0, "%s: build failed: %s",
	      name, e.message);
	compare_golden(name, &argv);
	strlist_free(&argv);
}

/* Bad specs: each mutates a valid spec; the message must name the field. */
struct bad_case {
	const char *name;
	void (*mutate)(struct qemu_spec *s);
	const char *want; /* a substring of the error message */
};

static const struct qemu_nic bad_mac_nic[] = {
    {.tap = "tap0", .mac = "03:00:00:00:00:01"}, /* multicast */
};
static const struct qemu_nic short_mac_nic[] = {
    {.tap = "tap0", .mac = "02:00:00:00:01"},
};
static const struct qemu_nic long_tap_nic[] = {
    {.tap = "tap-0123456789abc", .mac = "02:00:00:00:00:01"},
};
static const struct qemu_nic comma_tap_nic[] = {
    {.tap = "tap0,vhost=on", .mac = "02:00:00:00:00:01"},
};
static const struct qemu_disk comma_disk[] = {
    {.path = "/x/a.qcow2,file.locking=off"},
};

static void
m_vcpus0(struct qemu_spec *s)
{
	s->vcpus = 0;
}

static void
m_vcpus_big(struct qemu_spec *s)
{
	s->vcpus = 65;
}

static void
m_mem_small(struct qemu_spec *s)
{
	s->memory_mib = 63;
}

static void
m_mem_big(struct qemu_spec *s)
{
	s->memory_mib = 2u << 20;
}

static void
m_machine(struct qemu_spec *s)
{
	s->machine = 7;
}

static void
m_accel_auto(struct qemu_spec *s)
{
	s->accel = ACCEL_AUTO;
}

static void
m_tb_big(struct qemu_spec *s)
{
	s->tb_size_mib = 4096;
}

static void
m_no_tsc(struct qemu_spec *s)
{
	s->tsc_khz = 0;
}

static void
m_id_upper(struct qemu_spec *s)
{
	s->instance_id = "i-ABCDEF01";
}

static void
m_id_len(struct qemu_spec *s)
{
	s->instance_id = "i-0123456";
}

static void
m_id_null(struct qemu_spec *s)
{
	s->instance_id = NULL;
}

static void
m_id_comma(struct qemu_spec *s)
{
	s->instance_id = "i-1,debug";
}

static void
m_kernel_rel(struct qemu_spec *s)
{
	s->kernel = "vmlinuz";
}

static void
m_kernel_null(struct qemu_spec *s)
{
	s->kernel = NULL;
}

static void
m_initrd_comma(struct qemu_spec *s)
{
	s->initrd = "/a,b";
}

static void
m_cmdline_nl(struct qemu_spec *s)
{
	s->cmdline = "a\nb";
}

static void
m_root_null(struct qemu_spec *s)
{
	s->root.path = NULL;
}

static void
m_root_fmt(struct qemu_spec *s)
{
	s->root.format = 9;
}

static void
m_eph_comma(struct qemu_spec *s)
{
	s->instance_store = comma_disk;
	s->n_instance_store = 1;
}

static void
m_eph_many(struct qemu_spec *s)
{
	s->instance_store = comma_disk;
	s->n_instance_store = QEMU_INSTANCE_STORE_MAX + 1;
}

static void
m_ports_microvm(struct qemu_spec *s)
{
	s->root_ports = 1;
}

static void
m_ports_many(struct qemu_spec *s)
{
	s->machine = QEMU_MACHINE_Q35;
	s->root_ports = QEMU_ROOT_PORTS_MAX + 1;
}

static void
m_mac_mcast(struct qemu_spec *s)
{
	s->nics = bad_mac_nic;
	s->n_nics = 1;
}

static void
m_mac_short(struct qemu_spec *s)
{
	s->nics = short_mac_nic;
	s->n_nics = 1;
}

static void
m_tap_long(struct qemu_spec *s)
{
	s->nics = long_tap_nic;
	s->n_nics = 1;
}

static void
m_tap_comma(struct qemu_spec *s)
{
	s->nics = comma_tap_nic;
	s->n_nics = 1;
}

static void
m_nics_null(struct qemu_spec *s)
{
	s->n_nics = 2;
}

static void
m_console(struct qemu_spec *s)
{
	s->console_log = NULL;
}

static void
m_qmp_long(struct qemu_spec *s)
{
	s->qmp_socket =
	    "/run/ec2d/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/q";
}

static void
m_pidfile(struct qemu_spec *s)
{
	s->pidfile = "";
}

static void
m_chan_rel(struct qemu_spec *s)
{
	s->channel_socket = "c.sock";
}

static const struct bad_case bad_cases[] = {
    {"vcpus 0", m_vcpus0, "vcpus 0"},
    {"vcpus 65", m_vcpus_big, "vcpus 65"},
    {"memory 63", m_mem_small, "memory_mib 63"},
    {"memory 2T", m_mem_big, "memory_mib"},
    {"machine", m_machine, "machine"},
    {"accel auto", m_accel_auto, "accel"},
    {"tb-size", m_tb_big, "tb_size_mib 4096"},
    {"microvm tcg tsc", m_no_tsc, "tsc_khz"},
    {"id upper", m_id_upper, "instance id"},
    {"id length", m_id_len, "instance id"},
    {"id null", m_id_null, "instance id"},
    {"id comma", m_id_comma, "instance id"},
    {"kernel relative", m_kernel_rel, "kernel must be absolute"},
    {"kernel null", m_kernel_null, "kernel is required"},
    {"initrd comma", m_initrd_comma, "initrd has ','"},
    {"cmdline newline", m_cmdline_nl, "cmdline"},
    {"root null", m_root_null, "root disk is required"},
    {"root format", m_root_fmt, "root disk has an unknown format"},
    {"ephemeral comma", m_eph_comma, "instance_store[0] has ','"},
    {"ephemeral many", m_eph_many, "instance-store"},
    {"ports microvm", m_ports_microvm, "root_ports need q35"},
    {"ports many", m_ports_many, "root_ports 17"},
    {"mac multicast", m_mac_mcast, "nics[0].mac"},
    {"mac short", m_mac_short, "nics[0].mac"},
    {"tap long", m_tap_long, "nics[0].tap"},
    {"tap comma", m_tap_comma, "nics[0].tap"},
    {"nics null", m_nics_null, "NICs"},
    {"console", m_console, "console_log is required"},
    {"qmp too long", m_qmp_long, "qmp_socket longer than 107"},
    {"pidfile empty", m_pidfile, "pidfile is required"},
    {"channel relative", m_chan_rel, "channel_socket must be absolute"},
};

static void
check_bad_specs(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct qemu_spec s = spec_microvm_tcg();
		struct strlist argv;
		struct err e = {{0}, {0}};
		int rc;

		strlist_init(&argv);
		c->mutate(&s);
		rc = qemu_argv_build(&s, &argv, &e);
		CHECK(rc == -1, "%s: accepted", c->name);
		CHECK(argv.n == 0, "%s: argv not left empty", c->name);
		CHECK_STR(e.code, "InvalidParameterValue");
		CHECK(strstr(e.message, c->want) != NULL,
		      "%s: message \"%s\" lacks \"%s\"", c->name, e.message,
		      c->want);
		strlist_free(&argv);
	}
}

static void
check_probe(void)
{
	struct qemu_probe_spec p = {
	    .qemu_binary = "/usr/bin/qemu-system-x86_64",
	    .machine = QEMU_MACHINE_Q35,
	    .accel = ACCEL_KVM,
	    .memory_mib = 256,
	    .kernel = "/var/lib/ec2d/images/ami-0abc/vmlinuz",
	    .initrd = "/usr/lib/ec2d/probe-initrd",
	    .console_log = "/tmp/ec2d-accel-XXXXXX/console.log",
	};
	struct strlist argv;
	struct err e = {{0}, {0}};
	enum qemu_machine m;

	strlist_init(&argv);
	CHECK(qemu_argv_build_probe(&p, &argv, &e) == 0, "probe: %s",
	      e.message);
	compare_golden("probe-kvm", &argv);
	strlist_free(&argv);

	/* The probe's rules are the instance's: microvm + TCG needs tsc. */
	p.machine = QEMU_MACHINE_MICROVM;
	p.accel = ACCEL_TCG;
	CHECK(qemu_argv_build_probe(&p, &argv, &e) == -1 && argv.n == 0 &&
		  strstr(e.message, "tsc_khz"),
	      "probe without tsc: %s", e.message);
	p.tsc_khz = 2596000;
	p.initrd = NULL;
	CHECK(qemu_argv_build_probe(&p, &argv, &e) == -1 &&
		  strstr(e.message, "initrd is required"),
	      "probe without initrd: %s", e.message);
	strlist_free(&argv);

	CHECK(qemu_machine_parse("q35", &m) == 0 && m == QEMU_MACHINE_Q35,
	      "parse q35");
	CHECK(qemu_machine_parse("microvm", &m) == 0 &&
		  m == QEMU_MACHINE_MICROVM,
	      "parse microvm");
	CHECK(qemu_machine_parse("pc", &m) == -EINVAL, "parse pc");
	CHECK(qemu_machine_parse(NULL, &m) == -EINVAL, "parse NULL");
}

/* Options that only apply elsewhere are ignored, not emitted. */
static void
check_ignored_options(void)
{
	struct qemu_spec s = spec_q35_kvm();
	struct strlist argv;
	struct err e = {{0}, {0}};

	strlist_init(&argv);
	s.tb_size_mib = 4096; /* TCG only */
	s.tsc_khz = 0;	      /* microvm + TCG only */
	CHECK(qemu_argv_build(&s, &argv, &e) == 0, "kvm: %s", e.message);
	for (size_t i = 0; i < argv.n; i++) {
		CHECK(!strstr(argv.v[i], "tb-size"), "tb-size under kvm");
		CHECK(!strstr(argv.v[i], "tsc_early_khz"), "tsc under kvm");
	}
	strlist_free(&argv);
}

/*
 * The agent's own start of an instance: launch_argv() on a fixed host and
 * instance, with and without a NIC and instance store.
 */
static void
check_launch(void)
{
	struct host_config cfg = {
	    .id = "use1-az1-h1",
	    .zone = "us-east-1a",
	    .state_dir = "/var/lib/ec2d/hosts/use1-az1-h1",
	    .qemu = "/usr/bin/qemu-system-x86_64",
	    .qemu_img = "/usr/bin/qemu-img",
	    .accel = ACCEL_TCG,
	    .tsc_khz = 2596000,
	    .tb_size_mib = 64,
	    .netns = "ec2d-ab12-h1",
	    .run_uid = 64000,
	    .run_gid = 64000,
	};
	struct launch_ctx l = {
	    .cfg = &cfg,
	    .id = "i-0123456789abcdef0",
	    .dir = "/var/lib/ec2d/hosts/use1-az1-h1/instances/"
		   "i-0123456789abcdef0",
	};
	struct host_instance w = {
	    .id = "i-0123456789abcdef0",
	    .want = HOST_WANT_RUNNING,
	    .boot = 1,
	    .vcpus = 2,
	    .memory_mib = 1024,
	    .kernel = "/var/lib/ec2d/images/ami-0abc/vmlinux",
	    .initrd = "/var/lib/ec2d/images/ami-0abc/initrd.img",
	    .cmdline = "root=/dev/vda rw ec2d.instance=i-0123456789abcdef0",
	    .base_disk = "/var/lib/ec2d/images/ami-0abc/root.qcow2",
	    .root_gib = 8,
	    .store_disks = 2,
	    .store_gb = 4,
	    .tap = "eab12t1f",
	    .mac = "02:ec:2d:00:00:1f",
	};
	struct strlist argv;
	char reason[256] = "";

	strlist_init(&argv);
	CHECK(launch_argv(&l, &w, &argv, reason, sizeof(reason)) == 0,
	      "launch_argv: %s", reason);
	compare_golden("launch-q35-tcg", &argv);
	strlist_free(&argv);

	/* KVM, no network, no instance store, no initrd. */
	cfg.accel = ACCEL_KVM;
	cfg.netns[0] = '\0';
	w.tap[0] = w.mac[0] = w.initrd[0] = '\0';
	w.store_disks = 0;
	strlist_init(&argv);
	CHECK(launch_argv(&l, &w, &argv, reason, sizeof(reason)) == 0,
	      "launch_argv kvm: %s", reason);
	compare_golden("launch-q35-kvm-minimal", &argv);
	strlist_free(&argv);

	/* Refused, not written past its arrays. */
	w.store_disks = HOST_STORE_DISKS_MAX + 1;
	strlist_init(&argv);
	CHECK(launch_argv(&l, &w, &argv, reason, sizeof(reason)) < 0 &&
		  argv.n == 0,
	      "too many instance-store disks accepted");
	strlist_free(&argv);
}

int
main(void)
{
	struct qemu_spec s;

	s = spec_microvm_tcg();
	check_golden("microvm-tcg", &s);
	s = spec_q35_tcg();
	check_golden("q35-tcg-hotplug", &s);
	s = spec_q35_kvm();
	check_golden("q35-kvm", &s);
	s = spec_microvm_kvm();
	check_golden("microvm-kvm", &s);
	check_bad_specs();
	check_ignored_options();
	check_probe();
	check_launch();
	return UNIT_DONE();
}
