/*
 * instances.h - instances.
 *
 * An instance row is both its desired state (state, boot, force_stop) and
 * what was last observed (guest_ready, console, ran, impaired). Every change of its
 * state is also an event (store/events.h), written by insert and update in
 * the same transaction; transition_reason is read back from the latest
 * event and written as the reason of the next one.
 */
#ifndef EC2D_STORE_INSTANCES_H
#define EC2D_STORE_INSTANCES_H

#include "store.h"

struct instance {
	char id[32];
	char reservation_id[32];
	int launch_index;
	char owner[16];
	char image_id[32];
	char type[32];
	char key_name[256]; /* "" when none */
	char zone[32];
	char host_id[32];
	char vpc_id[32];
	char subnet_id[32];
	char private_ip[16];
	char mac[18];
	char state[16];	      /* pending, running, stopping, stopped,
			       * shutting-down, terminated */
	char reason_code[64]; /* StateReason; "" when none */
	char reason_message[256];
	char transition_reason[128]; /* the latest event's reason */
	time_t launch_time;
	time_t state_time; /* when the current state began */
	int boot;	   /* RebootInstances bumps it */
	bool force_stop;
	char *user_data;	    /* base64 as given; "" when none */
	bool no_terminate;	    /* disableApiTermination */
	bool no_stop;		    /* disableApiStop */
	char shutdown_behavior[16]; /* stop, terminate */
	char http_tokens[16];	    /* optional, required */
	int hop_limit;
	char http_endpoint[16]; /* enabled, disabled */
	char client_token[65];
	bool guest_ready; /* the guest has read its metadata */
	char *console;	  /* the console's tail, base64 */
	int port_no;	  /* its network port's number, unique */
	/* Copied from its image and key pair at launch. */
	char kernel[1024];
	char initrd[1024];
	char base_disk[1024];
	char cmdline[512];
	int root_gib;
	char *public_key; /* OpenSSH line; "" when none */
	bool ran;	  /* it has reached running at least once */
	/* Observed: "" or why its guest is held paused (a disk error). */
	char impaired[160];
	time_t impaired_since;
};
void instance_clear(struct instance *i);
void instances_free(struct instance *v, size_t n);
/* Records the event "" -> i->state with i->transition_reason. */
int store_instance_insert(struct store_tx *tx, const struct instance *i,
			  struct err *e);
int store_instance_get(struct store_tx *tx, const char *id,
		       struct instance *out, struct err *e);
/* All instances ordered by id. */
int store_instance_list(struct store_tx *tx, struct instance **ret,
			size_t *ret_n, struct err *e);
/*
 * Write every mutable field back. When the state changes, records the event
 * old -> i->state with i->transition_reason at i->state_time.
 */
int store_instance_update(struct store_tx *tx, const struct instance *i,
			  struct err *e);
/* Delete the instance with its tags and events; its ClientToken is kept
 * another 24 hours (store/idem.h). */
int store_instance_delete(struct store_tx *tx, const char *id, struct err *e);

/*
 * A list query: the instances that pass every condition, in key order, the
 * page after a key, at most limit rows (0: all). Conditions the caller
 * cannot express here (wildcards, other fields) it applies to the rows it
 * gets, asking for the next rows after the last one it got.
 */
enum instance_order {
	INSTANCE_BY_ID,		 /* key: id */
	INSTANCE_BY_RESERVATION, /* key: reservation_id, launch_index */
};
struct instance_query {
	struct store_values ids, states, zones, vpcs, subnets;
	const struct store_tag_match *tags; /* all must hold */
	size_t ntags;
	enum instance_order order;
	/* Start after this key ("" or NULL: from the first). */
	const char *after_id;
	const char *after_reservation;
	int after_index;
	size_t limit;
};
int store_instance_query(struct store_tx *tx, const struct instance_query *q,
			 struct instance **ret, size_t *ret_n, struct err *e);

/*
 * What placement needs, without reading every row. The load: how many
 * instances of each type hold room on each host (every instance that is
 * neither stopped nor terminated), ordered by host then type.
 */
struct instance_load {
	char host_id[32];
	char type[32];
	unsigned count;
};
int store_instance_load(struct store_tx *tx, struct instance_load **ret,
			size_t *ret_n, struct err *e);
/* The private addresses rows (in any state, until reaped) hold in a
 * subnet; free with free(). */
struct instance_addr {
	char ip[16];
};
int store_instance_addresses(struct store_tx *tx, const char *subnet_id,
			     struct instance_addr **ret, size_t *ret_n,
			     struct err *e);
/* The highest port number any row holds (0 with no rows). */
int store_instance_port_max(struct store_tx *tx, int *ret, struct err *e);

#endif
