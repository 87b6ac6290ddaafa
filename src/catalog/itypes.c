/*
 * itypes.c - the instance-type table and its DescribeInstanceTypes shape.
 *
 * Owns a static, name-sorted table of the types ec2d offers (t3, c6i, c6id,
 * r6i, r6id, p4d.24xlarge) carrying the figures AWS's own DescribeInstanceTypes
 * returns for them (read from a recent dump of that call, the one moto
 * vendors as moto/ec2/resources/instance_types.json), the writer that
 * turns one entry into an InstanceTypeInfo item, and the filter tables for
 * DescribeInstanceTypes and DescribeInstanceTypeOfferings. Called by the
 * EC2 describe actions and by the scheduler (itype_find). Nothing here
 * allocates except the filter value lists the caller owns.
 */
#include "catalog/itypes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/out.h"
#include "common/strlist.h"

/* EC2's connection-tracking defaults, the same for every type below. */
#define CONNTRACK_TCP_ESTABLISHED 432000
#define CONNTRACK_UDP_STREAM	  180
#define CONNTRACK_UDP		  30

#define OD_SPOT	  (ITYPE_USAGE_ON_DEMAND | ITYPE_USAGE_SPOT)
#define BIOS_UEFI (ITYPE_BOOT_LEGACY_BIOS | ITYPE_BOOT_UEFI)
#define PG_ALL	  (ITYPE_PG_CLUSTER | ITYPE_PG_PARTITION | ITYPE_PG_SPREAD)

/*
 * Every virtualised type here runs two threads per core and may be
 * launched with 1 or 2; valid core counts run first, first + step, ...
 * up to the default core count.
 */
#define VCPU(n, first, step)                                                   \
	.vcpus = (n), .cores = (n) / 2, .threads_per_core = 2,                 \
	.valid_cores = {(first), (step), (n) / 2}, .valid_threads = {1, 2}

/* EBS-optimised by default, encrypted on request, NVMe; MB/s = Mbps / 8. */
#define EBS(bw, iops, top_bw, top_iops, attach, limit)                         \
	.ebs = {.optimized_support = "default",                                \
		.encryption_support = "supported",                             \
		.nvme_support = "required",                                    \
		.attachment_limit_type = (limit),                              \
		.max_attachments = (attach),                                   \
		.baseline_mbps = (bw),                                         \
		.baseline_iops = (iops),                                       \
		.baseline_mb_per_s = (bw) / 8.0,                               \
		.max_mbps = (top_bw),                                          \
		.max_iops = (top_iops),                                        \
		.max_mb_per_s = (top_bw) / 8.0}

/*
 * --- c6i and r6i: Ice Lake, identical but for memory per vCPU; their "d"
 * variants add local NVMe disks (instance store), lose auto recovery and
 * reboot migration, and take one to four fewer EBS attachments. ---
 */

#define I6_FAMILY                                                              \
	.dedicated_hosts = true, .arch = "x86_64",                             \
	.cpu_manufacturer = "Intel", .clock_ghz = 3.5,                         \
	.usage_classes = OD_SPOT, .placement_strategies = PG_ALL
#define I6_MOVABLE .auto_recovery = true, .reboot_migration = true
#define C6I	   .family = "c6i", .current_generation = true, I6_FAMILY, I6_MOVABLE
/* AWS now reports r6i as previous generation, without hibernation. */
#define R6I  .family = "r6i", .current_generation = false, I6_FAMILY, I6_MOVABLE
#define C6ID .family = "c6id", .current_generation = true, I6_FAMILY
#define R6ID .family = "r6id", .current_generation = true, I6_FAMILY
/* n local NVMe SSDs of gb each, always encrypted. */
#define NVME(n, gb) .storage = {(n), (gb), "ssd", "required", "required"}

#define I6_VM(enclaves)                                                        \
	.hypervisor = "nitro", .boot_modes = BIOS_UEFI, .nitro_tpm = true,     \
	.nitro_enclaves = (enclaves)

#define I6_NET(perf, enis, ips, srd, efa, bw, peak, q, max_q, max_q_eni)       \
	.net = {                                                               \
	    .performance = (perf),                                             \
	    .max_enis = (enis),                                                \
	    .cards = 1,                                                        \
	    .ipv4_per_eni = (ips),                                             \
	    .ipv6_per_eni = (ips),                                             \
	    .ena_support = "required",                                         \
	    .max_efa = (efa),                                                  \
	    .encryption_in_transit = true,                                     \
	    .ena_srd = (srd),                                                  \
	    .flexible_ena_queues = true,                                       \
	    .card = {(perf), (enis), (bw), (peak), (q), (max_q), (max_q_eni)}}

#define UP_TO_12_5		   "Up to 12.5 Gigabit"
#define I6_EBS_BURST(bw, iops, at) EBS(bw, iops, 10000, 40000, at, "shared")
#define I6_EBS(bw, iops, at)	   EBS(bw, iops, bw, iops, at, "shared")

#define I6_LARGE(at)                                                           \
	VCPU(2, 1, 1), I6_VM(false), I6_EBS_BURST(650, 3600, at),              \
	    I6_NET(UP_TO_12_5, 3, 10, false, 0, 0.781, 12.5, 2, 6, 2)
#define I6_XLARGE(at)                                                          \
	VCPU(4, 1, 1), I6_VM(true), I6_EBS_BURST(1250, 6000, at),              \
	    I6_NET(UP_TO_12_5, 4, 15, false, 0, 1.562, 12.5, 4, 16, 4)
#define I6_2XLARGE(at)                                                         \
	VCPU(8, 2, 2), I6_VM(true), I6_EBS_BURST(2500, 12000, at),             \
	    I6_NET(UP_TO_12_5, 4, 15, false, 0, 3.125, 12.5, 8, 32, 8)
#define I6_4XLARGE(at)                                                         \
	VCPU(16, 2, 2), I6_VM(true), I6_EBS_BURST(5000, 20000, at),            \
	    I6_NET(UP_TO_12_5, 8, 30, false, 0, 6.25, 12.5, 8, 64, 16)
#define I6_8XLARGE(at)                                                         \
	VCPU(32, 2, 2), I6_VM(true), I6_EBS(10000, 40000, at),                 \
	    I6_NET("12.5 Gigabit", 8, 30, true, 0, 12.5, 12.5, 8, 64, 32)
#define I6_12XLARGE(at)                                                        \
	VCPU(48, 2, 2), I6_VM(true), I6_EBS(15000, 60000, at),                 \
	    I6_NET("18.75 Gigabit", 8, 30, true, 0, 18.75, 18.75, 8, 64, 32)
#define I6_16XLARGE(at)                                                        \
	VCPU(64, 2, 2), I6_VM(true), I6_EBS(20000, 80000, at),                 \
	    I6_NET("25 Gigabit", 15, 50, true, 0, 25, 25, 8, 120, 32)
#define I6_24XLARGE(at)                                                        \
	VCPU(96, 2, 2), I6_VM(true), I6_EBS(30000, 120000, at),                \
	    I6_NET("37.5 Gigabit", 15, 50, true, 0, 37.5, 37.5, 8, 120, 32)
#define I6_32XLARGE(at)                                                        \
	VCPU(128, 2, 2), I6_VM(true), I6_EBS(40000, 160000, at),               \
	    I6_NET("50 Gigabit", 15, 50, true, 1, 50, 50, 8, 120, 32)
/* Bare metal: no hypervisor, no CPU options, no enclaves/TPM, BIOS boot. */
#define I6_METAL                                                               \
	.bare_metal = true, .vcpus = 128, .cores = 64, .threads_per_core = 2,  \
	.boot_modes = ITYPE_BOOT_LEGACY_BIOS,                                  \
	EBS(40000, 160000, 40000, 160000, 31, "shared"),                       \
	.net = {.performance = "50 Gigabit",                                   \
		.max_enis = 15,                                                \
		.cards = 1,                                                    \
		.ipv4_per_eni = 50,                                            \
		.ipv6_per_eni = 50,                                            \
		.ena_support = "required",                                     \
		.max_efa = 1,                                                  \
		.encryption_in_transit = true,                                 \
		.ena_srd = true,                                               \
		.card = {"50 Gigabit", 15, 50, 50, 8, 0, 32}}

/* --- t3: burstable Skylake/Cascade Lake; no cluster placement --- */

#define T3                                                                     \
	.family = "t3", .current_generation = true, .burstable = true,         \
	.hibernation = true, .dedicated_hosts = true, .auto_recovery = true,   \
	.hypervisor = "nitro", .arch = "x86_64", .cpu_manufacturer = "Intel",  \
	.clock_ghz = 2.5, .usage_classes = OD_SPOT, .boot_modes = BIOS_UEFI,   \
	.placement_strategies = ITYPE_PG_PARTITION | ITYPE_PG_SPREAD,          \
	.nitro_tpm = true, .reboot_migration = true

#define T3_NET(enis, ips, bw, q)                                               \
	.net = {.performance = "Up to 5 Gigabit",                              \
		.max_enis = (enis),                                            \
		.cards = 1,                                                    \
		.ipv4_per_eni = (ips),                                         \
		.ipv6_per_eni = (ips),                                         \
		.ena_support = "required",                                     \
		.card = {"Up to 5 Gigabit", (enis), (bw), 5, (q), 0, 0}}
#define T3_EBS_SMALL(bw, iops) EBS(bw, iops, 2085, 11800, 27, "shared")
#define T3_EBS_LARGE	       EBS(695, 4000, 2780, 15700, 27, "shared")

/* --- p4d: 8 x A100 40 GB, 4 x 100 Gbps EFA --- */

static const struct itype_gpu p4d_gpus = {
    .name = "A100",
    .manufacturer = "NVIDIA",
    .count = 8,
    .memory_mib = 40960,
    .workload = "ml-ai",
};

/* Sorted by strcmp of name: itype_find() searches it by bisection. */
static const struct itype itypes[] = {
    {.name = "c6i.12xlarge",
     C6I,
     I6_12XLARGE(27),
     .memory_mib = 98304,
     .hibernation = true},
    {.name = "c6i.16xlarge",
     C6I,
     I6_16XLARGE(27),
     .memory_mib = 131072,
     .hibernation = true},
    {.name = "c6i.24xlarge", C6I, I6_24XLARGE(27), .memory_mib = 196608},
    {.name = "c6i.2xlarge",
     C6I,
     I6_2XLARGE(27),
     .memory_mib = 16384,
     .hibernation = true},
    {.name = "c6i.32xlarge", C6I, I6_32XLARGE(27), .memory_mib = 262144},
    {.name = "c6i.4xlarge",
     C6I,
     I6_4XLARGE(27),
     .memory_mib = 32768,
     .hibernation = true},
    {.name = "c6i.8xlarge",
     C6I,
     I6_8XLARGE(27),
     .memory_mib = 65536,
     .hibernation = true},
    {.name = "c6i.large",
     C6I,
     I6_LARGE(27),
     .memory_mib = 4096,
     .hibernation = true},
    {.name = "c6i.metal", C6I, I6_METAL, .memory_mib = 262144},
    {.name = "c6i.xlarge",
     C6I,
     I6_XLARGE(27),
     .memory_mib = 8192,
     .hibernation = true},
    {.name = "c6id.12xlarge",
     C6ID,
     I6_12XLARGE(25),
     NVME(2, 1425),
     .memory_mib = 98304,
     .hibernation = true},
    {.name = "c6id.16xlarge",
     C6ID,
     I6_16XLARGE(25),
     NVME(2, 1900),
     .memory_mib = 131072,
     .hibernation = true},
    {.name = "c6id.24xlarge",
     C6ID,
     I6_24XLARGE(23),
     NVME(4, 1425),
     .memory_mib = 196608},
    {.name = "c6id.2xlarge",
     C6ID,
     I6_2XLARGE(26),
     NVME(1, 474),
     .memory_mib = 16384,
     .hibernation = true},
    {.name = "c6id.32xlarge",
     C6ID,
     I6_32XLARGE(23),
     NVME(4, 1900),
     .memory_mib = 262144},
    {.name = "c6id.4xlarge",
     C6ID,
     I6_4XLARGE(26),
     NVME(1, 950),
     .memory_mib = 32768,
     .hibernation = true},
    {.name = "c6id.8xlarge",
     C6ID,
     I6_8XLARGE(26),
     NVME(1, 1900),
     .memory_mib = 65536,
     .hibernation = true},
    {.name = "c6id.large",
     C6ID,
     I6_LARGE(26),
     NVME(1, 118),
     .memory_mib = 4096,
     .hibernation = true},
    {.name = "c6id.metal", C6ID, I6_METAL, NVME(4, 1900), .memory_mib = 262144},
    {.name = "c6id.xlarge",
     C6ID,
     I6_XLARGE(26),
     NVME(1, 237),
     .memory_mib = 8192,
     .hibernation = true},
    {.name = "p4d.24xlarge",
     .family = "p4d",
     .current_generation = true,
     .dedicated_hosts = true,
     .hypervisor = "nitro",
     .arch = "x86_64",
     .cpu_manufacturer = "Intel",
     .clock_ghz = 3.0,
     VCPU(96, 2, 2),
     .memory_mib = 1179648,
     .storage = {8, 1000, "ssd", "required", "required"},
     EBS(19000, 80000, 19000, 80000, 28, "dedicated"),
     .net = {.performance = "4x 100 Gigabit",
	     .max_enis = 60,
	     .cards = 4,
	     .ipv4_per_eni = 50,
	     .ipv6_per_eni = 50,
	     .ena_support = "required",
	     .max_efa = 4,
	     .encryption_in_transit = true,
	     .card = {"100 Gigabit", 15, 100, 100, 32, 0, 0}},
     .gpus = 8,
     .gpu_info = &p4d_gpus,
     .usage_classes = ITYPE_USAGE_CAPACITY_BLOCK | OD_SPOT,
     .boot_modes = ITYPE_BOOT_LEGACY_BIOS,
     .placement_strategies = PG_ALL,
     .nitro_enclaves = true},
    {.name = "r6i.12xlarge", R6I, I6_12XLARGE(27), .memory_mib = 393216},
    {.name = "r6i.16xlarge", R6I, I6_16XLARGE(27), .memory_mib = 524288},
    {.name = "r6i.24xlarge", R6I, I6_24XLARGE(27), .memory_mib = 786432},
    {.name = "r6i.2xlarge", R6I, I6_2XLARGE(27), .memory_mib = 65536},
    {.name = "r6i.32xlarge", R6I, I6_32XLARGE(27), .memory_mib = 1048576},
    {.name = "r6i.4xlarge", R6I, I6_4XLARGE(27), .memory_mib = 131072},
    {.name = "r6i.8xlarge", R6I, I6_8XLARGE(27), .memory_mib = 262144},
    {.name = "r6i.large", R6I, I6_LARGE(27), .memory_mib = 16384},
    {.name = "r6i.metal", R6I, I6_METAL, .memory_mib = 1048576},
    {.name = "r6i.xlarge", R6I, I6_XLARGE(27), .memory_mib = 32768},
    {.name = "r6id.12xlarge",
     R6ID,
     I6_12XLARGE(25),
     NVME(2, 1425),
     .memory_mib = 393216},
    {.name = "r6id.16xlarge",
     R6ID,
     I6_16XLARGE(25),
     NVME(2, 1900),
     .memory_mib = 524288},
    {.name = "r6id.24xlarge",
     R6ID,
     I6_24XLARGE(23),
     NVME(4, 1425),
     .memory_mib = 786432},
    {.name = "r6id.2xlarge",
     R6ID,
     I6_2XLARGE(26),
     NVME(1, 474),
     .memory_mib = 65536},
    {.name = "r6id.32xlarge",
     R6ID,
     I6_32XLARGE(23),
     NVME(4, 1900),
     .memory_mib = 1048576},
    {.name = "r6id.4xlarge",
     R6ID,
     I6_4XLARGE(26),
     NVME(1, 950),
     .memory_mib = 131072},
    {.name = "r6id.8xlarge",
     R6ID,
     I6_8XLARGE(26),
     NVME(1, 1900),
     .memory_mib = 262144},
    {.name = "r6id.large",
     R6ID,
     I6_LARGE(26),
     NVME(1, 118),
     .memory_mib = 16384},
    {.name = "r6id.metal",
     R6ID,
     I6_METAL,
     NVME(4, 1900),
     .memory_mib = 1048576},
    {.name = "r6id.xlarge",
     R6ID,
     I6_XLARGE(26),
     NVME(1, 237),
     .memory_mib = 32768},
    {.name = "t3.2xlarge",
     T3,
     VCPU(8, 2, 2),
     .memory_mib = 32768,
     T3_EBS_LARGE,
     T3_NET(4, 15, 2.048, 8)},
    {.name = "t3.large",
     T3,
     VCPU(2, 1, 1),
     .memory_mib = 8192,
     T3_EBS_LARGE,
     T3_NET(3, 12, 0.512, 2)},
    {.name = "t3.medium",
     T3,
     VCPU(2, 1, 1),
     .memory_mib = 4096,
     T3_EBS_SMALL(347, 2000),
     T3_NET(3, 6, 0.256, 2)},
    {.name = "t3.micro",
     T3,
     VCPU(2, 1, 1),
     .memory_mib = 1024,
     T3_EBS_SMALL(87, 500),
     T3_NET(2, 2, 0.064, 2),
     .free_tier = true},
    {.name = "t3.nano",
     T3,
     VCPU(2, 1, 1),
     .memory_mib = 512,
     T3_EBS_SMALL(43, 250),
     T3_NET(2, 2, 0.032, 2)},
    {.name = "t3.small",
     T3,
     VCPU(2, 1, 1),
     .memory_mib = 2048,
     T3_EBS_SMALL(174, 1000),
     T3_NET(3, 4, 0.128, 2),
     .free_tier = true},
    {.name = "t3.xlarge",
     T3,
     VCPU(4, 2, 2),
     .memory_mib = 16384,
     T3_EBS_LARGE,
     T3_NET(4, 15, 1.024, 4)},
};

#define NITYPES (sizeof(itypes) / sizeof(itypes[0]))

/* Names of the bits in the ITYPE_* masks, in the order AWS lists them. */
struct flag_name {
	unsigned bit;
	const char *name;
};

static const struct flag_name usage_names[] = {
    {ITYPE_USAGE_CAPACITY_BLOCK, "capacity-block"},
    {ITYPE_USAGE_ON_DEMAND, "on-demand"},
    {ITYPE_USAGE_SPOT, "spot"},
};

static const struct flag_name boot_names[] = {
    {ITYPE_BOOT_LEGACY_BIOS, "legacy-bios"},
    {ITYPE_BOOT_UEFI, "uefi"},
};

static const struct flag_name pg_names[] = {
    {ITYPE_PG_CLUSTER, "cluster"},
    {ITYPE_PG_PARTITION, "partition"},
    {ITYPE_PG_SPREAD, "spread"},
};

#define NAMES(a) (a), (sizeof(a) / sizeof((a)[0]))

/* Every type here boots from EBS into an HVM guest. */
#define ROOT_DEVICE_TYPE    "ebs"
#define VIRTUALIZATION_TYPE "hvm"
#define NITRO_TPM_VERSION   "2.0"

static int
itype_cmp(const void *key, const void *elem)
{
	const struct itype *t = elem;

	return strcmp(key, t->name);
}

const struct itype *
itype_find(const char *name)
{
	if (!name)
		return NULL;
	return bsearch(name, itypes, NITYPES, sizeof(itypes[0]), itype_cmp);
}

size_t
itype_count(void)
{
	return NITYPES;
}

const struct itype *
itype_at(size_t i)
{
	return i < NITYPES ? &itypes[i] : NULL;
}

static const char *
supported(bool v)
{
	return v ? "supported" : "unsupported";
}

/* ------------------------------------------------------------------ */
/* InstanceTypeInfo                                                   */
/* ------------------------------------------------------------------ */

static void
write_flags(struct out *o, const char *name, unsigned mask,
	    const struct flag_name *names, size_t n)
{
	out_list(o, name);
	for (size_t i = 0; i < n; i++)
		if (mask & names[i].bit)
			out_str(o, NULL, names[i].name);
	out_list_end(o);
}

static void
write_processor(struct out *o, const struct itype *t)
{
	out_open(o, "processorInfo");
	out_list(o, "supportedArchitectures");
	out_str(o, NULL, t->arch);
	out_list_end(o);
	out_double(o, "sustainedClockSpeedInGhz", t->clock_ghz);
	out_str(o, "manufacturer", t->cpu_manufacturer);
	out_close(o);
}

static void
write_vcpu(struct out *o, const struct itype *t)
{
	out_open(o, "vCpuInfo");
	out_int(o, "defaultVCpus", t->vcpus);
	out_int(o, "defaultCores", t->cores);
	out_int(o, "defaultThreadsPerCore", t->threads_per_core);
	if (t->valid_cores.first) {
		out_list(o, "validCores");
		for (unsigned c = t->valid_cores.first;
		     c <= t->valid_cores.last; c += t->valid_cores.step)
			out_int(o, NULL, c);
		out_list_end(o);
	}
	if (t->valid_threads[0]) {
		out_list(o, "validThreadsPerCore");
		for (size_t i = 0; i < sizeof(t->valid_threads); i++)
			if (t->valid_threads[i])
				out_int(o, NULL, t->valid_threads[i]);
		out_list_end(o);
	}
	out_close(o);
}

static void
write_storage(struct out *o, const struct itype_storage *s)
{
	out_open(o, "instanceStorageInfo");
	out_int(o, "totalSizeInGB", (long long)s->disks * s->disk_gb);
	out_list(o, "disks");
	out_item(o);
	out_int(o, "sizeInGB", s->disk_gb);
	out_int(o, "count", s->disks);
	out_str(o, "type", s->disk_type);
	out_item_end(o);
	out_list_end(o);
	out_str(o, "nvmeSupport", s->nvme_support);
	out_str(o, "encryptionSupport", s->encryption_support);
	out_close(o);
}

static void
write_ebs(struct out *o, const struct itype_ebs *e)
{
	out_open(o, "ebsInfo");
	out_str(o, "ebsOptimizedSupport", e->optimized_support);
	out_str(o, "encryptionSupport", e->encryption_support);
	out_open(o, "ebsOptimizedInfo");
	out_int(o, "baselineBandwidthInMbps", e->baseline_mbps);
	out_double(o, "baselineThroughputInMBps", e->baseline_mb_per_s);
	out_int(o, "baselineIops", e->baseline_iops);
	out_int(o, "maximumBandwidthInMbps", e->max_mbps);
	out_double(o, "maximumThroughputInMBps", e->max_mb_per_s);
	out_int(o, "maximumIops", e->max_iops);
	out_close(o);
	out_str(o, "nvmeSupport", e->nvme_support);
	out_int(o, "maximumEbsAttachments", e->max_attachments);
	out_str(o, "attachmentLimitType", e->attachment_limit_type);
	out_close(o);
}

static void
write_card(struct out *o, const struct itype_net *n, unsigned index)
{
	const struct itype_card *c = &n->card;

	out_item(o);
	out_int(o, "networkCardIndex", index);
	out_str(o, "networkPerformance", c->performance);
	out_int(o, "maximumNetworkInterfaces", c->max_enis);
	if (n->flexible_ena_queues)
		out_int(o, "additionalFlexibleNetworkInterfaces", 0);
	out_double(o, "baselineBandwidthInGbps", c->baseline_gbps);
	out_double(o, "peakBandwidthInGbps", c->peak_gbps);
	out_int(o, "defaultEnaQueueCountPerInterface", c->default_ena_queues);
	if (c->max_ena_queues)
		out_int(o, "maximumEnaQueueCount", c->max_ena_queues);
	if (c->max_ena_queues_per_eni)
		out_int(o, "maximumEnaQueueCountPerInterface",
			c->max_ena_queues_per_eni);
	out_item_end(o);
}

static void
write_network(struct out *o, const struct itype_net *n)
{
	out_open(o, "networkInfo");
	out_str(o, "networkPerformance", n->performance);
	out_int(o, "maximumNetworkInterfaces", n->max_enis);
	out_int(o, "maximumNetworkCards", n->cards);
	out_int(o, "defaultNetworkCardIndex", 0);
	out_list(o, "networkCards");
	for (unsigned i = 0; i < n->cards; i++)
		write_card(o, n, i);
	out_list_end(o);
	out_int(o, "ipv4AddressesPerInterface", n->ipv4_per_eni);
	out_int(o, "ipv6AddressesPerInterface", n->ipv6_per_eni);
	out_bool(o, "ipv6Supported", n->ipv6_per_eni > 0);
	out_str(o, "enaSupport", n->ena_support);
	out_bool(o, "efaSupported", n->max_efa > 0);
	if (n->max_efa) {
		out_open(o, "efaInfo");
		out_int(o, "maximumEfaInterfaces", n->max_efa);
		out_close(o);
	}
	out_bool(o, "encryptionInTransitSupported", n->encryption_in_transit);
	out_bool(o, "enaSrdSupported", n->ena_srd);
	out_str(o, "flexibleEnaQueuesSupport",
		supported(n->flexible_ena_queues));
	out_open(o, "connectionTrackingConfiguration");
	out_int(o, "defaultTcpEstablishedTimeout", CONNTRACK_TCP_ESTABLISHED);
	out_int(o, "defaultUdpTimeout", CONNTRACK_UDP);
	out_int(o, "defaultUdpStreamTimeout", CONNTRACK_UDP_STREAM);
	out_close(o);
	out_bool(o, "secondaryNetworkSupported", false);
	out_close(o);
}

static void
write_gpu(struct out *o, const struct itype *t)
{
	const struct itype_gpu *g = t->gpu_info;

	out_open(o, "gpuInfo");
	out_list(o, "gpus");
	out_item(o);
	out_str(o, "name", g->name);
	out_str(o, "manufacturer", g->manufacturer);
	out_int(o, "count", g->count);
	/* Whole GPUs: one logical GPU per device, partition size 1. */
	out_int(o, "logicalGpuCount", g->count);
	out_double(o, "gpuPartitionSize", 1.0);
	out_list(o, "workloadSet");
	out_str(o, NULL, g->workload);
	out_list_end(o);
	out_open(o, "memoryInfo");
	out_int(o, "sizeInMiB", g->memory_mib);
	out_close(o);
	out_item_end(o);
	out_list_end(o);
	out_int(o, "totalGpuMemoryInMiB", (long long)g->count * g->memory_mib);
	out_close(o);
}

void
itype_write(struct out *o, const struct itype *t)
{
	out_str(o, "instanceType", t->name);
	out_bool(o, "currentGeneration", t->current_generation);
	out_bool(o, "freeTierEligible", t->free_tier);
	write_flags(o, "supportedUsageClasses", t->usage_classes,
		    NAMES(usage_names));
	out_list(o, "supportedRootDeviceTypes");
	out_str(o, NULL, ROOT_DEVICE_TYPE);
	out_list_end(o);
	out_list(o, "supportedVirtualizationTypes");
	out_str(o, NULL, VIRTUALIZATION_TYPE);
	out_list_end(o);
	out_bool(o, "bareMetal", t->bare_metal);
	out_str(o, "hypervisor", t->hypervisor);
	write_processor(o, t);
	write_vcpu(o, t);
	out_open(o, "memoryInfo");
	out_int(o, "sizeInMiB", (long long)t->memory_mib);
	out_close(o);
	out_bool(o, "instanceStorageSupported", t->storage.disks > 0);
	if (t->storage.disks)
		write_storage(o, &t->storage);
	write_ebs(o, &t->ebs);
	write_network(o, &t->net);
	if (t->gpu_info)
		write_gpu(o, t);
	out_open(o, "placementGroupInfo");
	write_flags(o, "supportedStrategies", t->placement_strategies,
		    NAMES(pg_names));
	out_close(o);
	out_bool(o, "hibernationSupported", t->hibernation);
	out_bool(o, "burstablePerformanceSupported", t->burstable);
	out_bool(o, "dedicatedHostsSupported", t->dedicated_hosts);
	out_bool(o, "autoRecoverySupported", t->auto_recovery);
	write_flags(o, "supportedBootModes", t->boot_modes, NAMES(boot_names));
	out_str(o, "nitroEnclavesSupport", supported(t->nitro_enclaves));
	out_str(o, "nitroTpmSupport", supported(t->nitro_tpm));
	if (t->nitro_tpm) {
		out_open(o, "nitroTpmInfo");
		out_list(o, "supportedVersions");
		out_str(o, NULL, NITRO_TPM_VERSION);
		out_list_end(o);
		out_close(o);
	}
	out_str(o, "phcSupport", supported(t->phc));
	out_str(o, "rebootMigrationSupport", supported(t->reboot_migration));
}

/* ------------------------------------------------------------------ */
/* DescribeInstanceTypes filters                                      */
/* ------------------------------------------------------------------ */

static void
add_bool(struct strlist *l, bool v)
{
	strlist_add(l, v ? "true" : "false");
}

static void
add_uint(struct strlist *l, unsigned long long v)
{
	strlist_addf(l, "%llu", v);
}

/*
 * A fractional figure as the reply prints it ("3.5", "81.25", "1250"),
 * and for whole numbers also with a ".0" ("1250.0", "3.0"): the form the
 * AWS CLI shows users, who then paste it into a filter.
 */
static void
add_double(struct strlist *l, double v)
{
	char s[64];

	snprintf(s, sizeof(s), "%.15g", v);
	strlist_add(l, s);
	if (!strpbrk(s, ".eEn"))
		strlist_addf(l, "%s.0", s);
}

static void
add_flags(struct strlist *l, unsigned mask, const struct flag_name *names,
	  size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mask & names[i].bit)
			strlist_add(l, names[i].name);
}

/* Defines a filter_field values() function over `t`, the itype. */
#define VALUES(fn, ...)                                                        \
	static void fn(const void *res, struct strlist *l)                     \
	{                                                                      \
		const struct itype *t = res;                                   \
                                                                               \
		__VA_ARGS__;                                                   \
	}

/* Filters on a part of the instance-store description, when it has one. */
#define STORAGE_VALUES(fn, ...)                                                \
	VALUES(                                                                \
	    fn, if (t->storage.disks) { __VA_ARGS__; })

VALUES(v_auto_recovery, add_bool(l, t->auto_recovery))
VALUES(v_bare_metal, add_bool(l, t->bare_metal))
VALUES(v_burstable, add_bool(l, t->burstable))
VALUES(v_current_generation, add_bool(l, t->current_generation))
VALUES(v_dedicated_hosts, add_bool(l, t->dedicated_hosts))
VALUES(v_ebs_limit_type, strlist_add(l, t->ebs.attachment_limit_type))
VALUES(v_ebs_max_attachments, add_uint(l, t->ebs.max_attachments))
VALUES(v_ebs_baseline_mbps, add_uint(l, t->ebs.baseline_mbps))
VALUES(v_ebs_baseline_iops, add_uint(l, t->ebs.baseline_iops))
VALUES(v_ebs_baseline_mb_s, add_double(l, t->ebs.baseline_mb_per_s))
VALUES(v_ebs_max_mbps, add_uint(l, t->ebs.max_mbps))
VALUES(v_ebs_max_iops, add_uint(l, t->ebs.max_iops))
VALUES(v_ebs_max_mb_s, add_double(l, t->ebs.max_mb_per_s))
VALUES(v_ebs_optimized, strlist_add(l, t->ebs.optimized_support))
VALUES(v_ebs_encryption, strlist_add(l, t->ebs.encryption_support))
VALUES(v_ebs_nvme, strlist_add(l, t->ebs.nvme_support))
VALUES(v_free_tier, add_bool(l, t->free_tier))
VALUES(v_hibernation, add_bool(l, t->hibernation))
VALUES(v_hypervisor, if (t->hypervisor) strlist_add(l, t->hypervisor))
STORAGE_VALUES(v_disk_count, add_uint(l, t->storage.disks))
STORAGE_VALUES(v_disk_size, add_uint(l, t->storage.disk_gb))
STORAGE_VALUES(v_disk_type, strlist_add(l, t->storage.disk_type))
STORAGE_VALUES(v_storage_encryption,
	       strlist_add(l, t->storage.encryption_support))
STORAGE_VALUES(v_storage_nvme, strlist_add(l, t->storage.nvme_support))
STORAGE_VALUES(v_storage_total,
	       add_uint(l, (unsigned long long)t->storage.disks *
			       t->storage.disk_gb))
VALUES(v_storage_supported, add_bool(l, t->storage.disks > 0))
VALUES(v_instance_type, strlist_add(l, t->name))
VALUES(v_memory, add_uint(l, t->memory_mib))
VALUES(v_max_efa, if (t->net.max_efa) add_uint(l, t->net.max_efa))
VALUES(v_efa, add_bool(l, t->net.max_efa > 0))
VALUES(v_ena, strlist_add(l, t->net.ena_support))
VALUES(v_flexible_ena, strlist_add(l, supported(t->net.flexible_ena_queues)))
VALUES(v_encryption_in_transit, add_bool(l, t->net.encryption_in_transit))
VALUES(v_ipv4_per_eni, add_uint(l, t->net.ipv4_per_eni))
VALUES(v_ipv6_per_eni, add_uint(l, t->net.ipv6_per_eni))
VALUES(v_ipv6, add_bool(l, t->net.ipv6_per_eni > 0))
VALUES(v_max_cards, add_uint(l, t->net.cards))
VALUES(v_max_enis, add_uint(l, t->net.max_enis))
VALUES(v_net_performance, strlist_add(l, t->net.performance))
VALUES(v_enclaves, strlist_add(l, supported(t->nitro_enclaves)))
VALUES(v_tpm, strlist_add(l, supported(t->nitro_tpm)))
VALUES(v_tpm_versions, if (t->nitro_tpm) strlist_add(l, NITRO_TPM_VERSION))
VALUES(v_arch, strlist_add(l, t->arch))
VALUES(v_clock, add_double(l, t->clock_ghz))
VALUES(v_reboot_migration, strlist_add(l, supported(t->reboot_migration)))
VALUES(v_boot_mode, add_flags(l, t->boot_modes, NAMES(boot_names)))
VALUES(v_usage_class, add_flags(l, t->usage_classes, NAMES(usage_names)))
VALUES(v_default_cores, add_uint(l, t->cores))
VALUES(v_default_threads, add_uint(l, t->threads_per_core))
VALUES(v_default_vcpus, add_uint(l, t->vcpus))

/* Known filters that no type here has a value for (bandwidth weighting,
 * AMD SEV-SNP / nested virtualisation): they match nothing. */
static void
v_none(const void *res, struct strlist *l)
{
}

static void
v_root_device(const void *res, struct strlist *l)
{
	strlist_add(l, ROOT_DEVICE_TYPE);
}

static void
v_virtualization(const void *res, struct strlist *l)
{
	strlist_add(l, VIRTUALIZATION_TYPE);
}

static void
v_valid_cores(const void *res, struct strlist *l)
{
	const struct itype *t = res;

	if (!t->valid_cores.first)
		return;
	for (unsigned c = t->valid_cores.first; c <= t->valid_cores.last;
	     c += t->valid_cores.step)
		add_uint(l, c);
}

/* Each count, and the whole list as the documentation writes it ("1,2"). */
static void
v_valid_threads(const void *res, struct strlist *l)
{
	const struct itype *t = res;
	char all[16] = "";
	size_t n = 0, used = 0;

	for (size_t i = 0; i < sizeof(t->valid_threads); i++) {
		if (!t->valid_threads[i])
			continue;
		add_uint(l, t->valid_threads[i]);
		used += (size_t)snprintf(all + used, sizeof(all) - used, "%s%u",
					 n ? "," : "", t->valid_threads[i]);
		n++;
	}
	if (n > 1)
		strlist_add(l, all);
}

#define EBS_OPT "ebs-info.ebs-optimized-info."
#define STORE	"instance-storage-info."

/* The names DescribeInstanceTypesRequest.Filters documents, in its order. */
static const struct filter_field itype_fields[] = {
    {"auto-recovery-supported", v_auto_recovery},
    {"bare-metal", v_bare_metal},
    {"burstable-performance-supported", v_burstable},
    {"current-generation", v_current_generation},
    {"dedicated-hosts-supported", v_dedicated_hosts},
    {"ebs-info.attachment-limit-type", v_ebs_limit_type},
    {"ebs-info.maximum-ebs-attachments", v_ebs_max_attachments},
    {EBS_OPT "baseline-bandwidth-in-mbps", v_ebs_baseline_mbps},
    {EBS_OPT "baseline-iops", v_ebs_baseline_iops},
    {EBS_OPT "baseline-throughput-in-mbps", v_ebs_baseline_mb_s},
    {EBS_OPT "maximum-bandwidth-in-mbps", v_ebs_max_mbps},
    {EBS_OPT "maximum-iops", v_ebs_max_iops},
    {EBS_OPT "maximum-throughput-in-mbps", v_ebs_max_mb_s},
    {"ebs-info.ebs-optimized-support", v_ebs_optimized},
    {"ebs-info.encryption-support", v_ebs_encryption},
    {"ebs-info.nvme-support", v_ebs_nvme},
    {"free-tier-eligible", v_free_tier},
    {"hibernation-supported", v_hibernation},
    {"hypervisor", v_hypervisor},
    {STORE "disk.count", v_disk_count},
    {STORE "disk.size-in-gb", v_disk_size},
    {STORE "disk.type", v_disk_type},
    {STORE "encryption-support", v_storage_encryption},
    {STORE "nvme-support", v_storage_nvme},
    {STORE "total-size-in-gb", v_storage_total},
    {"instance-storage-supported", v_storage_supported},
    {"instance-type", v_instance_type},
    {"memory-info.size-in-mib", v_memory},
    {"network-info.bandwidth-weightings", v_none},
    {"network-info.efa-info.maximum-efa-interfaces", v_max_efa},
    {"network-info.efa-supported", v_efa},
    {"network-info.ena-support", v_ena},
    {"network-info.flexible-ena-queues-support", v_flexible_ena},
    {"network-info.encryption-in-transit-supported", v_encryption_in_transit},
    {"network-info.ipv4-addresses-per-interface", v_ipv4_per_eni},
    {"network-info.ipv6-addresses-per-interface", v_ipv6_per_eni},
    {"network-info.ipv6-supported", v_ipv6},
    {"network-info.maximum-network-cards", v_max_cards},
    {"network-info.maximum-network-interfaces", v_max_enis},
    {"network-info.network-performance", v_net_performance},
    {"nitro-enclaves-support", v_enclaves},
    {"nitro-tpm-support", v_tpm},
    {"nitro-tpm-info.supported-versions", v_tpm_versions},
    {"processor-info.supported-architecture", v_arch},
    {"processor-info.sustained-clock-speed-in-ghz", v_clock},
    {"processor-info.supported-features", v_none},
    {"reboot-migration-support", v_reboot_migration},
    {"supported-boot-mode", v_boot_mode},
    {"supported-root-device-type", v_root_device},
    {"supported-usage-class", v_usage_class},
    {"supported-virtualization-type", v_virtualization},
    {"vcpu-info.default-cores", v_default_cores},
    {"vcpu-info.default-threads-per-core", v_default_threads},
    {"vcpu-info.default-vcpus", v_default_vcpus},
    {"vcpu-info.valid-cores", v_valid_cores},
    {"vcpu-info.valid-threads-per-core", v_valid_threads},
};

const struct filter_spec itype_filter_spec = {
    .fields = itype_fields,
    .nfields = sizeof(itype_fields) / sizeof(itype_fields[0]),
    .tags = NULL,
};

/* ------------------------------------------------------------------ */
/* DescribeInstanceTypeOfferings                                      */
/* ------------------------------------------------------------------ */

void
itype_offering_write(struct out *o, const struct itype_offering *off)
{
	out_str(o, "instanceType", off->type->name);
	out_str(o, "locationType", off->location_type);
	out_str(o, "location", off->location);
}

static void
v_offering_type(const void *res, struct strlist *l)
{
	const struct itype_offering *off = res;

	strlist_add(l, off->type->name);
}

static void
v_offering_location(const void *res, struct strlist *l)
{
	const struct itype_offering *off = res;

	if (off->location)
		strlist_add(l, off->location);
}

static const struct filter_field offering_fields[] = {
    {"instance-type", v_offering_type},
    {"location", v_offering_location},
};

const struct filter_spec itype_offering_filter_spec = {
    .fields = offering_fields,
    .nfields = sizeof(offering_fields) / sizeof(offering_fields[0]),
    .tags = NULL,
};
