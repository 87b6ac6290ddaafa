/*
 * ec2.h - the EC2 service: its action table and the handlers in it.
 *
 * Each handler lives in the file of its resource group (regions.c,
 * keypairs.c, tags.c, instance_types.c) and follows services/action.h.
 */
#ifndef EC2D_SERVICES_EC2_EC2_H
#define EC2D_SERVICES_EC2_EC2_H

#include "services/action.h"

/* The API version every EC2 request must name. */
#define EC2_API_VERSION "2016-11-15"

extern const struct action ec2_actions[];
extern const size_t ec2_actions_count;

int ec2_describe_regions(struct action_ctx *c, struct out *o, struct err *e);
int ec2_describe_availability_zones(struct action_ctx *c, struct out *o,
				    struct err *e);
int ec2_describe_account_attributes(struct action_ctx *c, struct out *o,
				    struct err *e);

int ec2_describe_instance_types(struct action_ctx *c, struct out *o,
				struct err *e);
int ec2_describe_instance_type_offerings(struct action_ctx *c, struct out *o,
					 struct err *e);

int ec2_create_key_pair(struct action_ctx *c, struct out *o, struct err *e);
int ec2_create_key_pair_prepare(struct action_ctx *c, struct err *e);
void ec2_create_key_pair_release(struct action_ctx *c);
int ec2_import_key_pair(struct action_ctx *c, struct out *o, struct err *e);
int ec2_describe_key_pairs(struct action_ctx *c, struct out *o, struct err *e);
int ec2_delete_key_pair(struct action_ctx *c, struct out *o, struct err *e);

int ec2_describe_images(struct action_ctx *c, struct out *o, struct err *e);
int ec2_register_image(struct action_ctx *c, struct out *o, struct err *e);
int ec2_deregister_image(struct action_ctx *c, struct out *o, struct err *e);

int ec2_run_instances(struct action_ctx *c, struct out *o, struct err *e);
int ec2_describe_instances(struct action_ctx *c, struct out *o, struct err *e);
int ec2_stop_instances(struct action_ctx *c, struct out *o, struct err *e);
int ec2_start_instances(struct action_ctx *c, struct out *o, struct err *e);
int ec2_reboot_instances(struct action_ctx *c, struct out *o, struct err *e);
int ec2_terminate_instances(struct action_ctx *c, struct out *o, struct err *e);
int ec2_describe_instance_status(struct action_ctx *c, struct out *o,
				 struct err *e);
int ec2_get_console_output(struct action_ctx *c, struct out *o, struct err *e);
int ec2_describe_instance_attribute(struct action_ctx *c, struct out *o,
				    struct err *e);
int ec2_modify_instance_attribute(struct action_ctx *c, struct out *o,
				  struct err *e);

int ec2_create_tags(struct action_ctx *c, struct out *o, struct err *e);
int ec2_delete_tags(struct action_ctx *c, struct out *o, struct err *e);
int ec2_describe_tags(struct action_ctx *c, struct out *o, struct err *e);

#endif
