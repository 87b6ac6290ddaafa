/*
 * itypes.h - the instance types ec2d offers, with AWS's published figures.
 *
 * A read-only, compiled-in table sorted by name. DescribeInstanceTypes
 * writes an entry with itype_write() and filters with itype_filter_spec;
 * DescribeInstanceTypeOfferings pairs an entry with a location in a
 * struct itype_offering; the scheduler sizes guests from vcpus,
 * memory_mib and gpus. Every pointer handed out points into static
 * storage: callers never free it and may keep it for the process's life.
 */
#ifndef EC2D_CATALOG_ITYPES_H
#define EC2D_CATALOG_ITYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/filter_spec.h"

struct out;

/* Bits of itype.usage_classes; written in this order, as AWS does. */
enum {
	ITYPE_USAGE_CAPACITY_BLOCK = 1 << 0,
	ITYPE_USAGE_ON_DEMAND = 1 << 1,
	ITYPE_USAGE_SPOT = 1 << 2,
};

/* Bits of itype.boot_modes. */
enum {
	ITYPE_BOOT_LEGACY_BIOS = 1 << 0,
	ITYPE_BOOT_UEFI = 1 << 1,
};

/* Bits of itype.placement_strategies. */
enum {
	ITYPE_PG_CLUSTER = 1 << 0,
	ITYPE_PG_PARTITION = 1 << 1,
	ITYPE_PG_SPREAD = 1 << 2,
};

struct itype_ebs {
	const char *optimized_support; /* "default" | "supported" | ... */
	const char *encryption_support;
	const char *nvme_support;
	const char *attachment_limit_type; /* "shared" | "dedicated" */
	unsigned max_attachments;
	unsigned baseline_mbps, baseline_iops;
	double baseline_mb_per_s;
	unsigned max_mbps, max_iops;
	double max_mb_per_s;
};

/*
 * One network card; a type's cards are identical, so one describes all.
 * The table in itypes.c initialises this and itype_storage by position.
 */
struct itype_card {
	const char *performance;
	unsigned max_enis;
	double baseline_gbps, peak_gbps;
	unsigned default_ena_queues;	 /* per interface */
	unsigned max_ena_queues;	 /* 0: not published */
	unsigned max_ena_queues_per_eni; /* 0: not published */
};

struct itype_net {
	const char *performance; /* "Up to 5 Gigabit", "50 Gigabit" */
	unsigned max_enis;
	unsigned cards;
	unsigned ipv4_per_eni, ipv6_per_eni;
	const char *ena_support; /* "required" | "supported" | ... */
	unsigned max_efa;	 /* 0: no EFA */
	bool encryption_in_transit;
	bool ena_srd;
	bool flexible_ena_queues;
	struct itype_card card;
};

struct itype_storage {
	unsigned disks; /* 0: EBS only */
	unsigned disk_gb;
	const char *disk_type; /* "ssd" | "hdd" */
	const char *nvme_support;
	const char *encryption_support;
};

struct itype_gpu {
	const char *name;	  /* "A100" */
	const char *manufacturer; /* "NVIDIA" */
	unsigned count;
	unsigned memory_mib;  /* each */
	const char *workload; /* "ml-ai" */
};

struct itype {
	const char *name;   /* "t3.micro" */
	const char *family; /* "t3" */
	bool current_generation;
	bool free_tier;
	bool bare_metal;
	bool burstable;
	bool hibernation;
	bool dedicated_hosts;
	bool auto_recovery;
	const char *hypervisor; /* NULL on bare metal */

	const char *arch;	      /* "x86_64" */
	const char *cpu_manufacturer; /* "Intel" */
	double clock_ghz;	      /* sustained */
	unsigned vcpus, cores, threads_per_core;
	/* Valid core counts first, first + step, ..., last (none if 0). */
	struct {
		unsigned first, step, last;
	} valid_cores;
	unsigned char valid_threads[2]; /* 0 entries unused */

	unsigned long long memory_mib;
	struct itype_storage storage;
	struct itype_ebs ebs;
	struct itype_net net;
	unsigned gpus;			  /* the scheduler's count */
	const struct itype_gpu *gpu_info; /* NULL when gpus is 0 */

	unsigned usage_classes;	       /* ITYPE_USAGE_* */
	unsigned boot_modes;	       /* ITYPE_BOOT_* */
	unsigned placement_strategies; /* ITYPE_PG_* */
	bool nitro_enclaves;
	bool nitro_tpm; /* TPM 2.0 */
	bool phc;
	bool reboot_migration;
};

/* The entry named name, or NULL. Exact, case-sensitive match. */
const struct itype *itype_find(const char *name);

/* The table in strcmp order of name: itype_at(0) .. itype_at(count - 1). */
size_t itype_count(void);
const struct itype *itype_at(size_t i);

/*
 * Write the members of one InstanceTypeInfo; the caller opens and closes
 * the list item around them. Members AWS omits for this type are omitted.
 */
void itype_write(struct out *o, const struct itype *t);

/* DescribeInstanceTypes filters; the resource is a const struct itype *. */
extern const struct filter_spec itype_filter_spec;

/* One row of DescribeInstanceTypeOfferings; all fields borrowed. */
struct itype_offering {
	const struct itype *type;
	const char *location_type; /* "region", "availability-zone", ... */
	const char *location;	   /* "us-east-1", "us-east-1a", ... */
};

/* Write the members of one InstanceTypeOffering item. */
void itype_offering_write(struct out *o, const struct itype_offering *off);

/* Offering filters; the resource is a const struct itype_offering *. */
extern const struct filter_spec itype_offering_filter_spec;

#endif
