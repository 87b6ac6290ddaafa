/*
 * hosts.h - hosts: where instances run, with their capacity.
 */
#ifndef EC2D_STORE_HOSTS_H
#define EC2D_STORE_HOSTS_H

#include "store.h"

struct host_row {
	char id[32];
	char zone[32];
	int vcpus; /* in instance-type vCPUs */
	int memory_mib;
	int gpus;
	char state[16]; /* available, unavailable */
};
int store_host_put(struct store_tx *tx, const struct host_row *h,
		   struct err *e);
int store_host_list(struct store_tx *tx, struct host_row **ret, size_t *ret_n,
		    struct err *e);

#endif
