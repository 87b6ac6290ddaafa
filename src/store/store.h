/*
 * store.h - ec2d's persistent state, behind functions per resource.
 *
 * Only store/ speaks SQL. The default backend is SQLite in WAL mode in the
 * data directory. Work happens in transactions: a service action calls
 * store_begin(), makes its reads and writes through the functions below, and
 * store_commit() (or store_rollback()) ends it. Each transaction holds one
 * pooled connection, so readers run side by side and writers queue.
 *
 * Lookups return 0 when found, 1 when absent, -1 on error (with e filled
 * as InternalError). Row structs own their strings: free them with the
 * matching *_clear / *_free function.
 */
#ifndef EC2D_STORE_STORE_H
#define EC2D_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/err.h"

struct store;
struct store_tx;

/* Open (creating and migrating) the store in directory dir. */
int store_open(const char *dir, struct store **ret, struct err *e);
void store_close(struct store *s);
/* The schema version the store is at (the last migration applied). */
int store_schema_version(struct store *s);

struct store_tx *store_begin(struct store *s, bool write, struct err *e);
int store_commit(struct store_tx *tx, struct err *e);	/* ends tx */
void store_rollback(struct store_tx *tx);		/* ends tx; NULL ok */

/* Small named settings: the account id, the deployment tag, ... */
int store_meta_get(struct store_tx *tx, const char *key, char *val,
		   size_t size, struct err *e);
int store_meta_set(struct store_tx *tx, const char *key, const char *val,
		   struct err *e);

/* Access keys (IAM users come later; today every key is the account's). */
struct access_key {
	char id[129];
	char secret[129];
	char account[16];
	char user[128];
};
int store_access_key_get(struct store_tx *tx, const char *id,
			 struct access_key *out, struct err *e);
int store_access_key_put(struct store_tx *tx, const struct access_key *k,
			 struct err *e);

/* Tags, kept for any resource listed in the resource registry. */
struct tag {
	char *key;
	char *value;
};
struct tags {
	struct tag *v;
	size_t n;
};
void tags_free(struct tags *t);

int store_tags_get(struct store_tx *tx, const char *resource_id,
		   struct tags *out, struct err *e);
int store_tag_put(struct store_tx *tx, const char *resource_id,
		  const char *key, const char *value, struct err *e);
/* Delete key from resource; value NULL deletes whatever its value. */
int store_tag_delete(struct store_tx *tx, const char *resource_id,
		     const char *key, const char *value, struct err *e);
int store_tags_count(struct store_tx *tx, const char *resource_id,
		     size_t *ret, struct err *e);

/* Every tag of every resource, ordered by resource id then key. */
struct tagged {
	char *resource_id;
	char *resource_type;
	char *key;
	char *value;
};
int store_tags_all(struct store_tx *tx, struct tagged **ret, size_t *ret_n,
		   struct err *e);
/* The same, only for resources of one type ("key-pair"). */
int store_tags_of_type(struct store_tx *tx, const char *type,
		       struct tagged **ret, size_t *ret_n, struct err *e);
void tagged_free(struct tagged *v, size_t n);

/*
 * The resource registry: every resource id with its EC2 resource type
 * ("key-pair", "instance", ...), so tag actions can check ids generically.
 */
int store_resource_add(struct store_tx *tx, const char *id, const char *type,
		       struct err *e);
int store_resource_type(struct store_tx *tx, const char *id, char *type,
			size_t size, struct err *e);
/* Remove a resource and its tags. */
int store_resource_del(struct store_tx *tx, const char *id, struct err *e);

/* Key pairs. */
struct keypair {
	char id[32];
	char name[256];
	char type[16];
	char fingerprint[128];
	char *public_key;	/* OpenSSH one-line form */
	time_t created;
};
void keypair_clear(struct keypair *k);
void keypairs_free(struct keypair *v, size_t n);
/* InvalidKeyPair.Duplicate when the name is taken. */
int store_keypair_insert(struct store_tx *tx, const struct keypair *k,
			 struct err *e);
/* By name when name is non-NULL, else by id. */
int store_keypair_get(struct store_tx *tx, const char *name, const char *id,
		      struct keypair *out, struct err *e);
/* All key pairs ordered by name. */
int store_keypair_list(struct store_tx *tx, struct keypair **ret,
		       size_t *ret_n, struct err *e);
int store_keypair_delete(struct store_tx *tx, const char *id, struct err *e);

/* Machine images (AMIs). */
struct image {
	char id[32];
	char name[129];
	char description[256];
	char location[1024];	/* the manifest on the ec2d host */
	char state[16];		/* pending, available, failed */
	char state_reason[256];
	char architecture[16];
	char root_device[32];	/* /dev/xvda */
	char boot_mode[16];
	char owner[16];		/* account id */
	bool public;
	time_t created;
	/* Set once the image reconciler has checked the manifest. */
	char kernel[1024];
	char initrd[1024];
	char root[1024];
	char cmdline[512];
	int root_size_gib;
};
/* InvalidAMIName.Duplicate when the name is taken. */
int store_image_insert(struct store_tx *tx, const struct image *im,
		       struct err *e);
int store_image_get(struct store_tx *tx, const char *id, struct image *out,
		    struct err *e);
/* All images ordered by id; free with free(). */
int store_image_list(struct store_tx *tx, struct image **ret, size_t *ret_n,
		     struct err *e);
/* Write back state, reason, and the checked file fields. */
int store_image_update(struct store_tx *tx, const struct image *im,
		       struct err *e);
int store_image_delete(struct store_tx *tx, const char *id, struct err *e);

/* Hosts: where instances run, with their capacity. */
struct host_row {
	char id[32];
	char zone[32];
	int vcpus;		/* in instance-type vCPUs */
	int memory_mib;
	int gpus;
	char state[16];		/* available, unavailable */
};
int store_host_put(struct store_tx *tx, const struct host_row *h,
		   struct err *e);
int store_host_list(struct store_tx *tx, struct host_row **ret,
		    size_t *ret_n, struct err *e);

/* VPCs and subnets (the default VPC today; the VPC actions later). */
struct vpc_row {
	char id[32];
	char cidr[20];
	bool is_default;
	char owner[16];
	int vni;
};
struct subnet_row {
	char id[32];
	char vpc_id[32];
	char zone[32];
	char cidr[20];
	bool default_for_az;
};
int store_vpc_insert(struct store_tx *tx, const struct vpc_row *v,
		     struct err *e);
int store_vpc_list(struct store_tx *tx, struct vpc_row **ret, size_t *ret_n,
		   struct err *e);
int store_subnet_insert(struct store_tx *tx, const struct subnet_row *s,
			struct err *e);
int store_subnet_list(struct store_tx *tx, struct subnet_row **ret,
		      size_t *ret_n, struct err *e);

/* Instances. */
struct instance {
	char id[32];
	char reservation_id[32];
	int launch_index;
	char owner[16];
	char image_id[32];
	char type[32];
	char key_name[256];	/* "" when none */
	char zone[32];
	char host_id[32];
	char vpc_id[32];
	char subnet_id[32];
	char private_ip[16];
	char mac[18];
	char state[16];		/* pending, running, stopping, stopped,
				 * shutting-down, terminated */
	char reason_code[64];	/* StateReason; "" when none */
	char reason_message[256];
	char transition_reason[128];
	time_t launch_time;
	time_t state_time;	/* when the current state began */
	int boot;		/* RebootInstances bumps it */
	bool force_stop;
	char *user_data;	/* base64 as given; "" when none */
	bool no_terminate;	/* disableApiTermination */
	bool no_stop;		/* disableApiStop */
	char shutdown_behavior[16];	/* stop, terminate */
	char http_tokens[16];	/* optional, required */
	int hop_limit;
	char http_endpoint[16];	/* enabled, disabled */
	char client_token[65];
	bool guest_ready;	/* the guest has read its metadata */
	char *console;		/* the console's tail, base64 */
	int port_no;		/* its network port's number, unique */
	/* Copied from its image and key pair at launch. */
	char kernel[1024];
	char initrd[1024];
	char base_disk[1024];
	char cmdline[512];
	int root_gib;
	char *public_key;	/* OpenSSH line; "" when none */
	bool ran;		/* it has reached running at least once */
};
void instance_clear(struct instance *i);
void instances_free(struct instance *v, size_t n);
int store_instance_insert(struct store_tx *tx, const struct instance *i,
			  struct err *e);
int store_instance_get(struct store_tx *tx, const char *id,
		       struct instance *out, struct err *e);
/* All instances ordered by id. */
int store_instance_list(struct store_tx *tx, struct instance **ret,
			size_t *ret_n, struct err *e);
/* Write every mutable field back. */
int store_instance_update(struct store_tx *tx, const struct instance *i,
			  struct err *e);
int store_instance_delete(struct store_tx *tx, const char *id,
			  struct err *e);

/*
 * ClientToken idempotency: the answer given to (key, action, token), with a
 * hash of the request's parameters to spot a reuse with other parameters.
 */
int store_idem_get(struct store_tx *tx, const char *access_key,
		   const char *action, const char *token, char **ret_hash,
		   char **ret_body, struct err *e);
int store_idem_put(struct store_tx *tx, const char *access_key,
		   const char *action, const char *token, const char *hash,
		   const char *body, struct err *e);

#endif
