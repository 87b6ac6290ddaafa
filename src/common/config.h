/*
 * config.h - ec2d's configuration: defaults, then a config file, then
 * command-line flags, each overriding the one before.
 *
 * The config file has one "key = value" per line ('#' starts a comment);
 * its keys are the long flag names without the dashes (listen, region,
 * zones, tls-cert, ...), so a user learns one vocabulary.
 */
#ifndef EC2D_COMMON_CONFIG_H
#define EC2D_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/diskfree.h"

#define CONFIG_MAX_ZONES	  8
#define CONFIG_MAX_HOSTS_PER_ZONE 4
#define CONFIG_MAX_HOSTS	  (CONFIG_MAX_ZONES * CONFIG_MAX_HOSTS_PER_ZONE)
#define CONFIG_PATH_MAX		  1024

struct zone_config {
	char name[32]; /* us-east-1a */
	char id[24];   /* use1-az1 */
};

struct config {
	char data_dir[CONFIG_PATH_MAX];
	char listen[128];   /* host:port */
	char endpoint[256]; /* what clients use; from listen */
	char region[32];
	struct zone_config zones[CONFIG_MAX_ZONES];
	size_t nzones;
	char tls_cert[CONFIG_PATH_MAX];
	char tls_key[CONFIG_PATH_MAX];
	bool tls;     /* HTTPS (self-signed when no cert) */
	double rate;  /* requests/s per access key; 0: off */
	double burst; /* bucket size */
	int threads;  /* HTTP worker threads */
	int max_connections;
	/* HTTP deadlines in seconds (request line and headers, body,
	 * keep-alive idle) and one address's share of max_connections;
	 * see api/conntab.h. */
	int header_timeout_s;
	int body_timeout_s;
	int idle_timeout_s;
	int max_connections_per_address;
	char log_level[16]; /* debug, info, warn, error */
	/* Image manifests may only be registered from under this folder
	 * (default DATA/images), so an API caller cannot make ec2d read
	 * arbitrary host files as disks. */
	char image_root[CONFIG_PATH_MAX];
	/* The manifest registered at start when present (default
	 * IMAGE_ROOT/default/image.json); "none" registers nothing. */
	char default_image[CONFIG_PATH_MAX];
	/* Each zone gets this many simulated hosts, each with this capacity,
	 * counted in instance-type vCPUs and MiB (what placement sees). */
	int hosts_per_zone;
	int host_vcpus;
	int host_memory_mib;
	int host_gpus;
	/* A guest gets its type's vCPUs and memory divided by these (at
	 * least 1 vCPU and 128 MiB), so a small machine runs several. */
	int guest_vcpu_divisor;
	int guest_memory_divisor;
	char accel[8];		    /* auto, kvm, tcg */
	char qemu[CONFIG_PATH_MAX]; /* qemu-system-x86_64 */
	char qemu_img[CONFIG_PATH_MAX];
	int stop_timeout_ms;	     /* ACPI grace before a forced stop */
	bool stop_instances_on_exit; /* else guests outlive ec2d */
	char run_as[64]; /* QEMU's user; "auto"; "root": unchanged */
	/* Launches and starts are refused while the data directory's file
	 * system has less free; a guest paused on a full disk resumes once
	 * it has this much again (common/diskfree.h). */
	struct disk_reserve disk_reserve;
};

/* Fill settings that default to places in the data directory. */
void config_finish(struct config *c);

void config_defaults(struct config *c);

/*
 * Apply one setting by its long flag name ("listen", "zones", ...).
 * Returns 0, or -1 with a message in msg.
 */
int config_set(struct config *c, const char *key, const char *value, char *msg,
	       size_t msgsize);

/* Read a config file of "key = value" lines. */
int config_load_file(struct config *c, const char *path, char *msg,
		     size_t msgsize);

/* Zones "us-east-1a,us-east-1b" get ids "use1-az1".. from the region. */
int config_set_zones(struct config *c, const char *list, char *msg,
		     size_t msgsize);

#endif
