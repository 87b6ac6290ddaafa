/*
 * actions.c - the EC2 action table: every action ec2d implements, sorted by
 * name, with the parameters each takes. An action not in this table
 * answers InvalidAction. docs/api-coverage.md is generated from this table
 * (`build/ec2d actions`), and a test keeps the two in step.
 */
#include "ec2.h"

#define PARAMS(...) ((const char *const[]){ __VA_ARGS__, NULL })

const struct action ec2_actions[] = {
	{ "CreateKeyPair", ec2_create_key_pair,
	  ACTION_WRITE | ACTION_DRY_RUN,
	  PARAMS("KeyName", "KeyType", "KeyFormat", "TagSpecification") },
	{ "CreateTags", ec2_create_tags, ACTION_WRITE | ACTION_DRY_RUN,
	  PARAMS("ResourceId", "Tag") },
	{ "DeleteKeyPair", ec2_delete_key_pair,
	  ACTION_WRITE | ACTION_DRY_RUN, PARAMS("KeyName", "KeyPairId") },
	{ "DeleteTags", ec2_delete_tags, ACTION_WRITE | ACTION_DRY_RUN,
	  PARAMS("ResourceId", "Tag") },
	{ "DeregisterImage", ec2_deregister_image,
	  ACTION_WRITE | ACTION_DRY_RUN, PARAMS("ImageId") },
	{ "DescribeAccountAttributes", ec2_describe_account_attributes,
	  ACTION_DRY_RUN, PARAMS("AttributeName") },
	{ "DescribeAvailabilityZones", ec2_describe_availability_zones,
	  ACTION_DRY_RUN,
	  PARAMS("ZoneName", "ZoneId", "AllAvailabilityZones", "Filter") },
	{ "DescribeImages", ec2_describe_images, ACTION_DRY_RUN,
	  PARAMS("ImageId", "Owner", "ExecutableBy", "Filter",
		 "IncludeDeprecated", "IncludeDisabled", "MaxResults",
		 "NextToken") },
	{ "DescribeInstanceTypeOfferings",
	  ec2_describe_instance_type_offerings, ACTION_DRY_RUN,
	  PARAMS("LocationType", "Filter", "MaxResults", "NextToken") },
	{ "DescribeInstanceTypes", ec2_describe_instance_types,
	  ACTION_DRY_RUN,
	  PARAMS("InstanceType", "Filter", "MaxResults", "NextToken") },
	{ "DescribeKeyPairs", ec2_describe_key_pairs, ACTION_DRY_RUN,
	  PARAMS("KeyName", "KeyPairId", "IncludePublicKey", "Filter") },
	{ "DescribeRegions", ec2_describe_regions, ACTION_DRY_RUN,
	  PARAMS("RegionName", "AllRegions", "Filter") },
	{ "DescribeTags", ec2_describe_tags, ACTION_DRY_RUN,
	  PARAMS("Filter", "MaxResults", "NextToken") },
	{ "ImportKeyPair", ec2_import_key_pair,
	  ACTION_WRITE | ACTION_DRY_RUN,
	  PARAMS("KeyName", "PublicKeyMaterial", "TagSpecification") },
	{ "RegisterImage", ec2_register_image, ACTION_WRITE | ACTION_DRY_RUN,
	  PARAMS("Name", "ImageLocation", "Description", "Architecture",
		 "VirtualizationType", "BootMode", "RootDeviceName",
		 "EnaSupport", "TagSpecification") },
};

const size_t ec2_actions_count = sizeof(ec2_actions) / sizeof(ec2_actions[0]);
