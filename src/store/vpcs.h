/*
 * vpcs.h - VPCs and subnets (the default VPC today; the VPC actions later).
 */
#ifndef EC2D_STORE_VPCS_H
#define EC2D_STORE_VPCS_H

#include "store.h"

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

#endif
