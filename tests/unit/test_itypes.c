/*
 * test_itypes.c - the instance-type table, its InstanceTypeInfo writer and
 * its Describe filters.
 *
 * Figures are spot-checked against AWS's DescribeInstanceTypes output.
 * The writer runs through a recording encoder that turns the reply into
 * "path=value" lines; every path must exist in botocore's InstanceTypeInfo
 * shape tree. model_paths[] and model_filters[] below were generated once
 * from botocore's ec2/2016-11-15/service-2.json (shape InstanceTypeInfo,
 * locationName of every member; DescribeInstanceTypesRequest.Filters'
 * documentation) so that a misspelt element or filter name fails here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/out.h"
#include "common/strlist.h"
#include "catalog/itypes.h"
#include "unit.h"

/* Every element path under InstanceTypeInfo, lists' entries as "item". */
static const char *const model_paths[] = {
    "instanceType",
    "currentGeneration",
    "freeTierEligible",
    "supportedUsageClasses/item",
    "supportedRootDeviceTypes/item",
    "supportedVirtualizationTypes/item",
    "bareMetal",
    "hypervisor",
    "processorInfo/supportedArchitectures/item",
    "processorInfo/sustainedClockSpeedInGhz",
    "processorInfo/supportedFeatures/item",
    "processorInfo/manufacturer",
    "vCpuInfo/defaultVCpus",
    "vCpuInfo/defaultCores",
    "vCpuInfo/defaultThreadsPerCore",
    "vCpuInfo/validCores/item",
    "vCpuInfo/validThreadsPerCore/item",
    "memoryInfo/sizeInMiB",
    "instanceStorageSupported",
    "instanceStorageInfo/totalSizeInGB",
    "instanceStorageInfo/disks/item/sizeInGB",
    "instanceStorageInfo/disks/item/count",
    "instanceStorageInfo/disks/item/type",
    "instanceStorageInfo/nvmeSupport",
    "instanceStorageInfo/encryptionSupport",
    "ebsInfo/ebsOptimizedSupport",
    "ebsInfo/encryptionSupport",
    "ebsInfo/ebsOptimizedInfo/baselineBandwidthInMbps",
    "ebsInfo/ebsOptimizedInfo/baselineThroughputInMBps",
    "ebsInfo/ebsOptimizedInfo/baselineIops",
    "ebsInfo/ebsOptimizedInfo/maximumBandwidthInMbps",
    "ebsInfo/ebsOptimizedInfo/maximumThroughputInMBps",
    "ebsInfo/ebsOptimizedInfo/maximumIops",
    "ebsInfo/nvmeSupport",
    "ebsInfo/maximumEbsAttachments",
    "ebsInfo/attachmentLimitType",
    "ebsInfo/maximumEbsCards",
    "ebsInfo/ebsCardSet/item/ebsCardIndex",
    "ebsInfo/ebsCardSet/item/baselineBandwidthInMbps",
    "ebsInfo/ebsCardSet/item/baselineThroughputInMBps",
    "ebsInfo/ebsCardSet/item/baselineIops",
    "ebsInfo/ebsCardSet/item/maximumBandwidthInMbps",
    "ebsInfo/ebsCardSet/item/maximumThroughputInMBps",
    "ebsInfo/ebsCardSet/item/maximumIops",
    "networkInfo/networkPerformance",
    "networkInfo/maximumNetworkInterfaces",
    "networkInfo/maximumNetworkCards",
    "networkInfo/defaultNetworkCardIndex",
    "networkInfo/networkCards/item/networkCardIndex",
    "networkInfo/networkCards/item/networkPerformance",
    "networkInfo/networkCards/item/maximumNetworkInterfaces",
    "networkInfo/networkCards/item/additionalFlexibleNetworkInterfaces",
    "networkInfo/networkCards/item/baselineBandwidthInGbps",
    "networkInfo/networkCards/item/peakBandwidthInGbps",
    "networkInfo/networkCards/item/defaultEnaQueueCountPerInterface",
    "networkInfo/networkCards/item/maximumEnaQueueCount",
    "networkInfo/networkCards/item/maximumEnaQueueCountPerInterface",
    "networkInfo/ipv4AddressesPerInterface",
    "networkInfo/ipv6AddressesPerInterface",
    "networkInfo/ipv6Supported",
    "networkInfo/enaSupport",
    "networkInfo/efaSupported",
    "networkInfo/efaInfo/maximumEfaInterfaces",
    "networkInfo/encryptionInTransitSupported",
    "networkInfo/enaSrdSupported",
    "networkInfo/bandwidthWeightings/item",
    "networkInfo/flexibleEnaQueuesSupport",
    ("networkInfo/connectionTrackingConfiguration/"
     "defaultTcpEstablishedTimeout"),
    "networkInfo/connectionTrackingConfiguration/defaultUdpTimeout",
    "networkInfo/connectionTrackingConfiguration/defaultUdpStreamTimeout",
    "networkInfo/secondaryNetworkSupported",
    "networkInfo/maximumSecondaryNetworkInterfaces",
    "networkInfo/ipv4AddressesPerSecondaryInterface",
    "gpuInfo/gpus/item/name",
    "gpuInfo/gpus/item/manufacturer",
    "gpuInfo/gpus/item/count",
    "gpuInfo/gpus/item/logicalGpuCount",
    "gpuInfo/gpus/item/gpuPartitionSize",
    "gpuInfo/gpus/item/workloadSet/item",
    "gpuInfo/gpus/item/memoryInfo/sizeInMiB",
    "gpuInfo/totalGpuMemoryInMiB",
    "fpgaInfo/fpgas/item/name",
    "fpgaInfo/fpgas/item/manufacturer",
    "fpgaInfo/fpgas/item/count",
    "fpgaInfo/fpgas/item/memoryInfo/sizeInMiB",
    "fpgaInfo/totalFpgaMemoryInMiB",
    "placementGroupInfo/supportedStrategies/item",
    "inferenceAcceleratorInfo/accelerators/item/count",
    "inferenceAcceleratorInfo/accelerators/item/name",
    "inferenceAcceleratorInfo/accelerators/item/manufacturer",
    "inferenceAcceleratorInfo/accelerators/item/memoryInfo/sizeInMiB",
    "inferenceAcceleratorInfo/totalInferenceMemoryInMiB",
    "hibernationSupported",
    "burstablePerformanceSupported",
    "dedicatedHostsSupported",
    "autoRecoverySupported",
    "supportedBootModes/item",
    "nitroEnclavesSupport",
    "nitroTpmSupport",
    "nitroTpmInfo/supportedVersions/item",
    "mediaAcceleratorInfo/accelerators/item/count",
    "mediaAcceleratorInfo/accelerators/item/name",
    "mediaAcceleratorInfo/accelerators/item/manufacturer",
    "mediaAcceleratorInfo/accelerators/item/memoryInfo/sizeInMiB",
    "mediaAcceleratorInfo/totalMediaMemoryInMiB",
    "neuronInfo/neuronDevices/item/count",
    "neuronInfo/neuronDevices/item/name",
    "neuronInfo/neuronDevices/item/coreInfo/count",
    "neuronInfo/neuronDevices/item/coreInfo/version",
    "neuronInfo/neuronDevices/item/memoryInfo/sizeInMiB",
    "neuronInfo/totalNeuronDeviceMemoryInMiB",
    "phcSupport",
    "rebootMigrationSupport",
    "supportedInRegion",
};

/* The filter names DescribeInstanceTypesRequest.Filters documents. */
static const char *const model_filters[] = {
    "auto-recovery-supported",
    "bare-metal",
    "burstable-performance-supported",
    "current-generation",
    "dedicated-hosts-supported",
    "ebs-info.attachment-limit-type",
    "ebs-info.maximum-ebs-attachments",
    "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps",
    "ebs-info.ebs-optimized-info.baseline-iops",
    "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps",
    "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps",
    "ebs-info.ebs-optimized-info.maximum-iops",
    "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps",
    "ebs-info.ebs-optimized-support",
    "ebs-info.encryption-support",
    "ebs-info.nvme-support",
    "free-tier-eligible",
    "hibernation-supported",
    "hypervisor",
    "instance-storage-info.disk.count",
    "instance-storage-info.disk.size-in-gb",
    "instance-storage-info.disk.type",
    "instance-storage-info.encryption-support",
    "instance-storage-info.nvme-support",
    "instance-storage-info.total-size-in-gb",
    "instance-storage-supported",
    "instance-type",
    "memory-info.size-in-mib",
    "network-info.bandwidth-weightings",
    "network-info.efa-info.maximum-efa-interfaces",
    "network-info.efa-supported",
    "network-info.ena-support",
    "network-info.flexible-ena-queues-support",
    "network-info.encryption-in-transit-supported",
    "network-info.ipv4-addresses-per-interface",
    "network-info.ipv6-addresses-per-interface",
    "network-info.ipv6-supported",
    "network-info.maximum-network-cards",
    "network-info.maximum-network-interfaces",
    "network-info.network-performance",
    "nitro-enclaves-support",
    "nitro-tpm-support",
    "nitro-tpm-info.supported-versions",
    "processor-info.supported-architecture",
    "processor-info.sustained-clock-speed-in-ghz",
    "processor-info.supported-features",
    "reboot-migration-support",
    "supported-boot-mode",
    "supported-root-device-type",
    "supported-usage-class",
    "supported-virtualization-type",
    "vcpu-info.default-cores",
    "vcpu-info.default-threads-per-core",
    "vcpu-info.default-vcpus",
    "vcpu-info.valid-cores",
    "vcpu-info.valid-threads-per-core",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- a recording encoder: one "path=value\n" line per scalar --- */

struct rec {
	char text[65536];
	size_t len;
	int overflow;
};

static void
rec_line(struct out *o, const char *name, const char *value)
{
	struct rec *r = o->sink;
	size_t room = sizeof(r->text) - r->len;
	int n = 0;

	for (int i = 0; i < o->depth && n >= 0; i++)
		n += snprintf(r->text + r->len + n, room - (size_t)n, "%s/",
			      o->names[i]);
	n += snprintf(r->text + r->len + n, room - (size_t)n, "%s=%s\n",
		      name ? name : "item", value);
	if ((size_t)n >= room) {
		r->overflow = 1;
		return;
	}
	r->len += (size_t)n;
}

static void
rec_nop(struct out *o, const char *name)
{
}

static void
rec_item_nop(struct out *o)
{
}

static void
rec_scalar(struct out *o, const char *name, const char *value,
	   enum out_scalar kind)
{
	rec_line(o, name, value);
}

static const struct out_ops rec_ops = {
    .open = rec_nop,
    .close = rec_nop,
    .list_open = rec_nop,
    .list_close = rec_nop,
    .item_open = rec_item_nop,
    .item_close = rec_item_nop,
    .scalar = rec_scalar,
};

static struct rec rec;

/* Write t into rec; check the writer's nesting came back to the top. */
static void
record(const struct itype *t)
{
	struct out o = {.ops = &rec_ops, .sink = &rec};

	memset(&rec, 0, sizeof(rec));
	rec.text[0] = '\n';
	rec.len = 1;
	itype_write(&o, t);
	CHECK(!o.failed && o.depth == 0 && !rec.overflow,
	      "%s: writer failed=%d depth=%d overflow=%d", t->name, o.failed,
	      o.depth, rec.overflow);
}

/* The recorded reply has the line "path=value" exactly. */
static bool
has(const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	return strstr(rec.text, want) != NULL;
}

/* Some recorded line starts with prefix. */
static bool
has_prefix(const char *prefix)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s", prefix);
	return strstr(rec.text, want) != NULL;
}

static int
count_prefix(const char *prefix)
{
	char want[256];
	int n = 0;

	snprintf(want, sizeof(want), "\n%s", prefix);
	for (const char *p = rec.text; (p = strstr(p, want)); p++)
		n++;
	return n;
}

static bool
model_has_path(const char *path, size_t len)
{
	for (size_t i = 0; i < COUNT(model_paths); i++)
		if (strlen(model_paths[i]) == len &&
		    memcmp(model_paths[i], path, len) == 0)
			return true;
	return false;
}

/* Every recorded path is an element of the model's InstanceTypeInfo. */
static void
check_paths(const char *type)
{
	const char *line = rec.text + 1;

	while (*line) {
		const char *eq = strchr(line, '=');
		const char *nl = strchr(line, '\n');

		if (!eq || !nl || eq > nl) {
			CHECK(0, "%s: malformed line", type);
			return;
		}
		CHECK(model_has_path(line, (size_t)(eq - line)),
		      "%s: %.*s is not in the model", type, (int)(eq - line),
		      line);
		line = nl + 1;
	}
}

#define CHECK_HAS(line) CHECK(has(line), "%s: missing \"%s\"", name, line)
#define CHECK_LACKS(prefix)                                                    \
	CHECK(!has_prefix(prefix), "%s: unexpected \"%s\"", name, prefix)

/* --- the table --- */

static void
test_table_order(void)
{
	size_t n = itype_count();

	CHECK(n == 48, "count %zu, want 48", n);
	for (size_t i = 0; i < n; i++) {
		const struct itype *t = itype_at(i);

		CHECK(t && t->name, "entry %zu is empty", i);
		if (!t || !t->name)
			return;
		if (i > 0)
			CHECK(strcmp(itype_at(i - 1)->name, t->name) < 0,
			      "%s not after %s: unsorted or duplicate", t->name,
			      itype_at(i - 1)->name);
		CHECK(itype_find(t->name) == t, "find(%s)", t->name);
	}
	CHECK(itype_at(n) == NULL, "itype_at past the end");
	CHECK(itype_find("t3.mega") == NULL, "find unknown");
	CHECK(itype_find("T3.micro") == NULL, "find is case-sensitive");
	CHECK(itype_find("") == NULL, "find empty");
	CHECK(itype_find(NULL) == NULL, "find NULL");
}

/* Properties every entry must have, whatever its figures. */
static void
test_table_consistency(void)
{
	for (size_t i = 0; i < itype_count(); i++) {
		const struct itype *t = itype_at(i);
		const char *dot = strchr(t->name, '.');

		CHECK(dot && t->family &&
			  strlen(t->family) == (size_t)(dot - t->name) &&
			  strncmp(t->name, t->family,
				  (size_t)(dot - t->name)) == 0,
		      "%s: family %s", t->name, t->family);
		CHECK(t->vcpus == t->cores * t->threads_per_core,
		      "%s: %u vcpus != %u cores x %u", t->name, t->vcpus,
		      t->cores, t->threads_per_core);
		CHECK(t->memory_mib > 0 && t->clock_ghz > 0 && t->arch,
		      "%s: memory/clock/arch", t->name);
		CHECK(t->bare_metal == (t->hypervisor == NULL),
		      "%s: bare metal without hypervisor", t->name);
		CHECK(t->bare_metal == (strstr(t->name, ".metal") != NULL),
		      "%s: bare metal flag", t->name);
		CHECK((t->gpus == 0) == (t->gpu_info == NULL) &&
			  (!t->gpu_info || t->gpu_info->count == t->gpus),
		      "%s: gpus %u", t->name, t->gpus);
		if (t->valid_cores.first)
			CHECK(t->valid_cores.step > 0 &&
				  t->valid_cores.last == t->cores,
			      "%s: valid cores", t->name);
		CHECK(t->ebs.baseline_mbps <= t->ebs.max_mbps &&
			  t->ebs.baseline_iops <= t->ebs.max_iops &&
			  t->ebs.baseline_mb_per_s <= t->ebs.max_mb_per_s,
		      "%s: EBS baseline above maximum", t->name);
		CHECK(t->net.cards >= 1 &&
			  t->net.cards * t->net.card.max_enis ==
			      t->net.max_enis,
		      "%s: network cards", t->name);
		CHECK(t->usage_classes & ITYPE_USAGE_ON_DEMAND,
		      "%s: not on-demand", t->name);
		CHECK(t->boot_modes != 0 && t->placement_strategies != 0,
		      "%s: boot modes / placement", t->name);
	}
}

static void
test_figures(void)
{
	const struct itype *t;

	t = itype_find("t3.micro");
	CHECK(t && t->vcpus == 2 && t->memory_mib == 1024 && t->burstable &&
		  t->free_tier && !t->bare_metal && t->gpus == 0,
	      "t3.micro");
	CHECK(t && strcmp(t->family, "t3") == 0, "t3.micro family");
	CHECK(t && strcmp(t->net.performance, "Up to 5 Gigabit") == 0 &&
		  t->net.max_enis == 2 && t->net.ipv4_per_eni == 2,
	      "t3.micro network");
	CHECK(t && !(t->placement_strategies & ITYPE_PG_CLUSTER),
	      "t3 has no cluster placement");
	t = itype_find("t3.nano");
	CHECK(t && t->memory_mib == 512 && !t->free_tier, "t3.nano");
	t = itype_find("t3.2xlarge");
	CHECK(t && t->vcpus == 8 && t->memory_mib == 32768 &&
		  t->ebs.max_mbps == 2780,
	      "t3.2xlarge");
	t = itype_find("c6i.large");
	CHECK(t && t->vcpus == 2 && t->memory_mib == 4096 && !t->burstable &&
		  !t->free_tier && t->clock_ghz == 3.5,
	      "c6i.large");
	CHECK(t && strcmp(t->net.performance, "Up to 12.5 Gigabit") == 0 &&
		  t->ebs.baseline_mbps == 650 &&
		  t->ebs.baseline_mb_per_s == 81.25,
	      "c6i.large network/EBS");
	t = itype_find("c6i.8xlarge");
	CHECK(t && strcmp(t->net.performance, "12.5 Gigabit") == 0,
	      "c6i.8xlarge network");
	t = itype_find("c6i.32xlarge");
	CHECK(t && t->vcpus == 128 && t->net.max_efa == 1 &&
		  strcmp(t->net.performance, "50 Gigabit") == 0,
	      "c6i.32xlarge");
	t = itype_find("c6i.metal");
	CHECK(t && t->bare_metal && !t->hypervisor && t->net.max_efa == 1 &&
		  t->valid_cores.first == 0,
	      "c6i.metal");
	t = itype_find("r6i.32xlarge");
	CHECK(t && t->vcpus == 128 && t->memory_mib == 1048576 &&
		  t->net.max_efa == 1,
	      "r6i.32xlarge");
	t = itype_find("r6i.large");
	CHECK(t && t->memory_mib == 16384 && t->net.max_efa == 0, "r6i.large");
	t = itype_find("p4d.24xlarge");
	CHECK(t && t->vcpus == 96 && t->memory_mib == 1179648 && t->gpus == 8 &&
		  t->storage.disks == 8 && t->storage.disk_gb == 1000,
	      "p4d.24xlarge");
	CHECK(t && t->gpu_info && strcmp(t->gpu_info->name, "A100") == 0 &&
		  t->gpu_info->memory_mib == 40960 &&
		  strcmp(t->net.performance, "4x 100 Gigabit") == 0 &&
		  t->net.cards == 4 && t->net.max_efa == 4,
	      "p4d.24xlarge GPUs/network");
}

/* --- InstanceTypeInfo --- */

static void
test_write_t3_micro(void)
{
	const char *name = "t3.micro";

	record(itype_find(name));
	CHECK_HAS("instanceType=t3.micro");
	CHECK_HAS("freeTierEligible=true");
	CHECK_HAS("currentGeneration=true");
	CHECK_HAS("supportedUsageClasses/item=on-demand");
	CHECK_HAS("supportedUsageClasses/item=spot");
	CHECK_HAS("supportedRootDeviceTypes/item=ebs");
	CHECK_HAS("supportedVirtualizationTypes/item=hvm");
	CHECK_HAS("bareMetal=false");
	CHECK_HAS("hypervisor=nitro");
	CHECK_HAS("processorInfo/supportedArchitectures/item=x86_64");
	CHECK_HAS("processorInfo/sustainedClockSpeedInGhz=2.5");
	CHECK_HAS("vCpuInfo/defaultVCpus=2");
	CHECK_HAS("vCpuInfo/defaultCores=1");
	CHECK_HAS("vCpuInfo/defaultThreadsPerCore=2");
	CHECK_HAS("vCpuInfo/validCores/item=1");
	CHECK_HAS("vCpuInfo/validThreadsPerCore/item=2");
	CHECK_HAS("memoryInfo/sizeInMiB=1024");
	CHECK_HAS("instanceStorageSupported=false");
	CHECK_HAS("ebsInfo/ebsOptimizedInfo/baselineBandwidthInMbps=87");
	CHECK_HAS("ebsInfo/ebsOptimizedInfo/baselineThroughputInMBps=10.875");
	CHECK_HAS("ebsInfo/ebsOptimizedInfo/maximumIops=11800");
	CHECK_HAS("networkInfo/networkPerformance=Up to 5 Gigabit");
	CHECK_HAS("networkInfo/maximumNetworkInterfaces=2");
	CHECK_HAS("networkInfo/ipv4AddressesPerInterface=2");
	CHECK_HAS("networkInfo/efaSupported=false");
	CHECK_HAS("placementGroupInfo/supportedStrategies/item=partition");
	CHECK_HAS("burstablePerformanceSupported=true");
	CHECK_HAS("hibernationSupported=true");
	CHECK_HAS("supportedBootModes/item=uefi");
	CHECK_HAS("nitroTpmInfo/supportedVersions/item=2.0");
	CHECK(!has("placementGroupInfo/supportedStrategies/item=cluster"),
	      "t3.micro: cluster placement");
	CHECK_LACKS("gpuInfo");
	CHECK_LACKS("instanceStorageInfo");
	CHECK_LACKS("networkInfo/efaInfo");
	CHECK_LACKS("supportedUsageClasses/item=capacity-block");
	check_paths(name);
}

static void
test_write_p4d(void)
{
	const char *name = "p4d.24xlarge";

	record(itype_find(name));
	CHECK_HAS("vCpuInfo/defaultVCpus=96");
	CHECK_HAS("vCpuInfo/validCores/item=48");
	CHECK_HAS("memoryInfo/sizeInMiB=1179648");
	CHECK_HAS("gpuInfo/gpus/item/count=8");
	CHECK_HAS("gpuInfo/gpus/item/name=A100");
	CHECK_HAS("gpuInfo/gpus/item/manufacturer=NVIDIA");
	CHECK_HAS("gpuInfo/gpus/item/memoryInfo/sizeInMiB=40960");
	CHECK_HAS("gpuInfo/gpus/item/workloadSet/item=ml-ai");
	CHECK_HAS("gpuInfo/totalGpuMemoryInMiB=327680");
	CHECK_HAS("instanceStorageSupported=true");
	CHECK_HAS("instanceStorageInfo/totalSizeInGB=8000");
	CHECK_HAS("instanceStorageInfo/disks/item/count=8");
	CHECK_HAS("instanceStorageInfo/disks/item/sizeInGB=1000");
	CHECK_HAS("instanceStorageInfo/disks/item/type=ssd");
	CHECK_HAS("instanceStorageInfo/nvmeSupport=required");
	CHECK_HAS("networkInfo/networkPerformance=4x 100 Gigabit");
	CHECK_HAS("networkInfo/maximumNetworkCards=4");
	CHECK_HAS("networkInfo/networkCards/item/networkCardIndex=3");
	CHECK_HAS("networkInfo/efaSupported=true");
	CHECK_HAS("networkInfo/efaInfo/maximumEfaInterfaces=4");
	CHECK_HAS("ebsInfo/attachmentLimitType=dedicated");
	CHECK_HAS("processorInfo/sustainedClockSpeedInGhz=3.0");
	CHECK_HAS("supportedUsageClasses/item=capacity-block");
	CHECK_HAS("placementGroupInfo/supportedStrategies/item=cluster");
	CHECK_HAS("autoRecoverySupported=false");
	CHECK(count_prefix("networkInfo/networkCards/item/networkCardIndex=") ==
		  4,
	      "p4d: %d network cards written",
	      count_prefix("networkInfo/networkCards/item/networkCardIndex="));
	CHECK_LACKS("supportedBootModes/item=uefi");
	CHECK_LACKS("nitroTpmInfo");
	check_paths(name);
}

static void
test_write_metal(void)
{
	const char *name = "c6i.metal";

	record(itype_find(name));
	CHECK_HAS("bareMetal=true");
	CHECK_HAS("vCpuInfo/defaultVCpus=128");
	CHECK_HAS("networkInfo/efaInfo/maximumEfaInterfaces=1");
	CHECK_HAS("ebsInfo/maximumEbsAttachments=31");
	CHECK_LACKS("hypervisor=");
	CHECK_LACKS("vCpuInfo/validCores");
	CHECK_LACKS("vCpuInfo/validThreadsPerCore");
	CHECK_LACKS("supportedBootModes/item=uefi");
	check_paths(name);
}

/* Every entry writes a balanced reply made only of the model's elements. */
static void
test_write_all(void)
{
	for (size_t i = 0; i < itype_count(); i++) {
		const struct itype *t = itype_at(i);
		const char *name = t->name;
		char line[64];

		record(t);
		snprintf(line, sizeof(line), "instanceType=%s", t->name);
		CHECK_HAS(line);
		snprintf(line, sizeof(line), "vCpuInfo/defaultVCpus=%u",
			 t->vcpus);
		CHECK_HAS(line);
		snprintf(line, sizeof(line), "memoryInfo/sizeInMiB=%llu",
			 t->memory_mib);
		CHECK_HAS(line);
		check_paths(name);
	}
}

/* --- filters --- */

static const struct filter_field *
field(const struct filter_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->nfields; i++)
		if (strcmp(spec->fields[i].name, name) == 0)
			return &spec->fields[i];
	return NULL;
}

/* values() of filter name for res, into l (cleared first). */
static void
values(const struct filter_spec *spec, const char *name, const void *res,
       struct strlist *l)
{
	const struct filter_field *f = field(spec, name);

	strlist_clear(l);
	CHECK(f != NULL, "no filter %s", name);
	if (f)
		f->values(res, l);
}

static void
check_values(const char *type, const char *filter, const char *want)
{
	struct strlist l;

	strlist_init(&l);
	values(&itype_filter_spec, filter, itype_find(type), &l);
	CHECK(strlist_contains(&l, want), "%s %s: no value \"%s\"", type,
	      filter, want);
	strlist_free(&l);
}

static void
check_no_values(const char *type, const char *filter)
{
	struct strlist l;

	strlist_init(&l);
	values(&itype_filter_spec, filter, itype_find(type), &l);
	CHECK(l.n == 0, "%s %s: %zu values, want none", type, filter, l.n);
	strlist_free(&l);
}

/* No type ec2d offers has a bandwidth weighting or an extra CPU feature. */
static const char *const always_empty[] = {
    "network-info.bandwidth-weightings",
    "processor-info.supported-features",
};

static bool
is_always_empty(const char *name)
{
	for (size_t i = 0; i < COUNT(always_empty); i++)
		if (strcmp(always_empty[i], name) == 0)
			return true;
	return false;
}

static void
test_filter_names(void)
{
	const struct filter_spec *spec = &itype_filter_spec;

	CHECK(spec->nfields == COUNT(model_filters), "%zu filters, want %zu",
	      spec->nfields, COUNT(model_filters));
	for (size_t i = 0; i < COUNT(model_filters); i++)
		CHECK(field(spec, model_filters[i]) != NULL,
		      "filter %s missing", model_filters[i]);
	for (size_t i = 0; i < spec->nfields; i++)
		for (size_t j = i + 1; j < spec->nfields; j++)
			CHECK(strcmp(spec->fields[i].name,
				     spec->fields[j].name) != 0,
			      "filter %s twice", spec->fields[i].name);
	CHECK(spec->tags == NULL, "instance types have no tags");
}

/* Each filter yields a value for some type, and never an empty string. */
static void
test_filter_coverage(void)
{
	const struct filter_spec *spec = &itype_filter_spec;
	struct strlist l;

	strlist_init(&l);
	for (size_t f = 0; f < spec->nfields; f++) {
		const char *name = spec->fields[f].name;
		size_t total = 0;

		for (size_t i = 0; i < itype_count(); i++) {
			strlist_clear(&l);
			spec->fields[f].values(itype_at(i), &l);
			CHECK(!l.failed, "%s: allocation", name);
			for (size_t k = 0; k < l.n; k++)
				CHECK(l.v[k][0] != '\0',
				      "%s of %s: empty value", name,
				      itype_at(i)->name);
			total += l.n;
		}
		if (is_always_empty(name))
			CHECK(total == 0, "%s: %zu values", name, total);
		else
			CHECK(total > 0, "%s: no type has a value", name);
	}
	strlist_free(&l);
}

static void
test_filter_values(void)
{
	check_values("t3.micro", "free-tier-eligible", "true");
	check_values("t3.nano", "free-tier-eligible", "false");
	check_values("t3.micro", "burstable-performance-supported", "true");
	check_values("t3.micro", "instance-type", "t3.micro");
	check_values("t3.micro", "memory-info.size-in-mib", "1024");
	check_values("t3.micro", "vcpu-info.default-vcpus", "2");
	check_values("t3.micro", "vcpu-info.valid-threads-per-core", "1");
	check_values("t3.micro", "vcpu-info.valid-threads-per-core", "1,2");
	check_values("t3.micro", "network-info.network-performance",
		     "Up to 5 Gigabit");
	check_values("t3.micro", "supported-boot-mode", "legacy-bios");
	check_values("t3.micro", "supported-usage-class", "spot");
	check_values("t3.micro", "nitro-tpm-info.supported-versions", "2.0");
	check_values("c6i.large", "processor-info.sustained-clock-speed-in-ghz",
		     "3.5");
	check_values("c6i.large",
		     "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps",
		     "81.25");
	check_values("c6i.large",
		     "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps",
		     "1250.0");
	check_values("c6i.large",
		     "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps",
		     "1250");
	check_values("c6i.4xlarge", "vcpu-info.valid-cores", "6");
	check_values("c6i.metal", "bare-metal", "true");
	check_values("c6i.32xlarge", "network-info.efa-supported", "true");
	check_values("c6i.32xlarge",
		     "network-info.efa-info.maximum-efa-interfaces", "1");
	check_values("r6i.32xlarge", "memory-info.size-in-mib", "1048576");
	check_values("p4d.24xlarge", "instance-storage-info.disk.count", "8");
	check_values("p4d.24xlarge", "instance-storage-info.disk.size-in-gb",
		     "1000");
	check_values("p4d.24xlarge", "instance-storage-info.total-size-in-gb",
		     "8000");
	check_values("p4d.24xlarge", "instance-storage-info.disk.type", "ssd");
	check_values("p4d.24xlarge", "instance-storage-supported", "true");
	check_values("p4d.24xlarge",
		     "processor-info.sustained-clock-speed-in-ghz", "3.0");
	check_values("p4d.24xlarge", "network-info.maximum-network-cards", "4");
	check_values("p4d.24xlarge", "supported-usage-class", "capacity-block");
	check_no_values("c6i.metal", "hypervisor");
	check_no_values("c6i.metal", "vcpu-info.valid-cores");
	check_no_values("c6i.large", "instance-storage-info.disk.count");
	check_no_values("c6i.large",
			"network-info.efa-info.maximum-efa-interfaces");
	check_no_values("p4d.24xlarge", "nitro-tpm-info.supported-versions");
}

/* --- DescribeInstanceTypeOfferings --- */

static void
test_offerings(void)
{
	const struct filter_spec *spec = &itype_offering_filter_spec;
	struct itype_offering off = {
	    .type = itype_find("c6i.large"),
	    .location_type = "availability-zone",
	    .location = "us-east-1a",
	};
	struct out o = {.ops = &rec_ops, .sink = &rec};
	struct strlist l;

	CHECK(spec->nfields == 2 && field(spec, "instance-type") &&
		  field(spec, "location") && spec->tags == NULL,
	      "offering filters");
	strlist_init(&l);
	values(spec, "instance-type", &off, &l);
	CHECK(l.n == 1 && strcmp(l.v[0], "c6i.large") == 0,
	      "offering instance-type");
	values(spec, "location", &off, &l);
	CHECK(l.n == 1 && strcmp(l.v[0], "us-east-1a") == 0,
	      "offering location");
	strlist_free(&l);

	memset(&rec, 0, sizeof(rec));
	rec.text[0] = '\n';
	rec.len = 1;
	itype_offering_write(&o, &off);
	CHECK(has("instanceType=c6i.large") &&
		  has("locationType=availability-zone") &&
		  has("location=us-east-1a") && o.depth == 0,
	      "offering reply:%s", rec.text);
}

int
main(void)
{
	test_table_order();
	test_table_consistency();
	test_figures();
	test_write_t3_micro();
	test_write_p4d();
	test_write_metal();
	test_write_all();
	test_filter_names();
	test_filter_coverage();
	test_filter_values();
	test_offerings();
	return UNIT_DONE();
}
