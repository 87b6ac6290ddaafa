/*
 * images.c - DescribeImages, RegisterImage, DeregisterImage.
 *
 * ec2d registers an image from a manifest on its own host (ImageLocation:
 * the path of an image.json under the image root; see control/images.h).
 * RegisterImage only records it as `pending`: reading and checking the
 * files is the image reconciler's work, off the API path, which then makes
 * the image `available` or `failed`, as EC2's images go.
 */
#include "ec2.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "store/images.h"
#include "filter.h"
#include "paginate.h"
#include "tags.h"

/* ami- and 8 or 17 lower-case hex digits. */
static bool
ami_id_ok(const char *id)
{
	size_t n;

	if (strncmp(id, "ami-", 4) != 0)
		return false;
	n = strlen(id + 4);
	if (n != 8 && n != 17)
		return false;
	for (const char *p = id + 4; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return true;
}

static int
ami_id_check(const char *id, struct err *e)
{
	if (!ami_id_ok(id))
		return err_set(e, "InvalidAMIID.Malformed",
			       "Invalid id: \"%.100s\" (expecting \"ami-...\")",
			       id);
	return 0;
}

/* Filters. */

struct image_view {
	const struct image *im;
	struct tags tags;
};

#define IM(res) (((const struct image_view *)(res))->im)

static void
f_arch(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->architecture);
}
static void
f_desc(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->description);
}
static void
f_id(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->id);
}
static void
f_type(const void *r, struct strlist *o)
{
	strlist_add(o, "machine");
}
static void
f_public(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->public ? "true" : "false");
}
static void
f_name(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->name);
}
static void
f_owner(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->owner);
}
static void
f_rootname(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->root_device);
}
static void
f_roottype(const void *r, struct strlist *o)
{
	strlist_add(o, "ebs");
}
static void
f_state(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->state);
}
static void
f_virt(const void *r, struct strlist *o)
{
	strlist_add(o, "hvm");
}
static void
f_hyper(const void *r, struct strlist *o)
{
	strlist_add(o, "xen");
}
static void
f_boot(const void *r, struct strlist *o)
{
	strlist_add(o, IM(r)->boot_mode);
}

static const struct tags *
image_tags(const void *r)
{
	return &((const struct image_view *)r)->tags;
}

static const struct filter_field image_fields[] = {
    {"architecture", f_arch},
    {"boot-mode", f_boot},
    {"description", f_desc},
    {"hypervisor", f_hyper},
    {"image-id", f_id},
    {"image-type", f_type},
    {"is-public", f_public},
    {"name", f_name},
    {"owner-id", f_owner},
    {"root-device-name", f_rootname},
    {"root-device-type", f_roottype},
    {"state", f_state},
    {"virtualization-type", f_virt},
};

static const struct filter_spec image_filters = {
    .fields = image_fields,
    .nfields = sizeof(image_fields) / sizeof(image_fields[0]),
    .tags = image_tags,
};

/* Owner.N: self, an account id, or an alias no image here has. */
static bool
owner_matches(const struct strlist *owners, const struct image *im,
	      const char *account)
{
	if (!owners->n)
		return true;
	for (size_t i = 0; i < owners->n; i++)
		if ((strcmp(owners->v[i], "self") == 0 &&
		     strcmp(im->owner, account) == 0) ||
		    strcmp(owners->v[i], im->owner) == 0)
			return true;
	return false;
}

/* ExecutableBy.N: all (public), self or the account (own or public). */
static bool
executable_matches(const struct strlist *by, const struct image *im,
		   const char *account)
{
	if (!by->n)
		return true;
	for (size_t i = 0; i < by->n; i++) {
		bool self = strcmp(by->v[i], "self") == 0 ||
			    strcmp(by->v[i], account) == 0;

		if ((strcmp(by->v[i], "all") == 0 && im->public) ||
		    (self && (im->public || strcmp(im->owner, account) == 0)))
			return true;
	}
	return false;
}

static void
image_write(struct out *o, const struct image *im, const struct tags *tags)
{
	out_str(o, "imageId", im->id);
	out_str(o, "imageLocation", im->location);
	out_str(o, "imageState", im->state);
	out_str(o, "imageOwnerId", im->owner);
	out_time(o, "creationDate", im->created);
	out_bool(o, "isPublic", im->public);
	out_str(o, "architecture", im->architecture);
	out_str(o, "imageType", "machine");
	out_str(o, "name", im->name);
	if (im->description[0])
		out_str(o, "description", im->description);
	out_str(o, "rootDeviceType", "ebs");
	out_str(o, "rootDeviceName", im->root_device);
	out_list(o, "blockDeviceMapping");
	out_item(o);
	out_str(o, "deviceName", im->root_device);
	out_open(o, "ebs");
	out_bool(o, "deleteOnTermination", true);
	if (im->root_size_gib)
		out_int(o, "volumeSize", im->root_size_gib);
	out_str(o, "volumeType", "gp3");
	out_bool(o, "encrypted", false);
	out_close(o);
	out_item_end(o);
	out_list_end(o);
	out_str(o, "virtualizationType", "hvm");
	out_str(o, "hypervisor", "xen");
	out_bool(o, "enaSupport", true);
	out_str(o, "bootMode", im->boot_mode);
	out_str(o, "platformDetails", "Linux/UNIX");
	out_str(o, "usageOperation", "RunInstances");
	if (strcmp(im->state, "failed") == 0) {
		out_open(o, "stateReason");
		out_str(o, "code", "InvalidImage");
		out_str(o, "message", im->state_reason);
		out_close(o);
	}
	tags_write(o, tags);
}

int
ec2_describe_images(struct action_ctx *c, struct out *o, struct err *e)
{
	struct strlist ids, owners, by;
	struct filter_set fs = {0};
	struct tag_index tags = {0};
	struct image *v = NULL;
	bool flag;
	struct page pg;
	size_t n = 0;
	int rc = -1;

	strlist_init(&ids);
	strlist_init(&owners);
	strlist_init(&by);
	if (param_strlist(c->req, "ImageId", 1000, &ids, e) < 0 ||
	    param_strlist(c->req, "Owner", 100, &owners, e) < 0 ||
	    param_strlist(c->req, "ExecutableBy", 100, &by, e) < 0 ||
	    param_bool(c->req, "IncludeDeprecated", &flag, e) < 0 ||
	    param_bool(c->req, "IncludeDisabled", &flag, e) < 0 ||
	    page_parse(c, "DescribeImages", 5, 1000, &pg, e) < 0 ||
	    filters_parse(c->req, &image_filters, &fs, e) < 0)
		goto out;
	if (ids.n && pg.max) {
		err_set(e, "InvalidParameterCombination",
			"The parameter imagesSet cannot be used with the "
			"parameter maxResults");
		goto out;
	}
	for (size_t i = 0; i < ids.n; i++)
		if (ami_id_check(ids.v[i], e) < 0)
			goto out;
	if (store_image_list(c->tx, &v, &n, e) < 0 ||
	    tag_index_load(c->tx, "image", &tags, e) < 0)
		goto out;
	for (size_t i = 0; i < ids.n; i++) {
		size_t k = 0;

		while (k < n && strcmp(v[k].id, ids.v[i]) != 0)
			k++;
		if (k == n) {
			err_set(e, "InvalidAMIID.NotFound",
				"The image id '[%.100s]' does not exist",
				ids.v[i]);
			goto out;
		}
	}
	out_list(o, "imagesSet");
	for (size_t i = 0; i < n; i++) {
		struct image_view iv = {.im = &v[i]};
		bool show;

		if ((ids.n && !strlist_contains(&ids, v[i].id)) ||
		    !owner_matches(&owners, &v[i], c->account) ||
		    !executable_matches(&by, &v[i], c->account))
			continue;
		if (tag_index_get(&tags, v[i].id, &iv.tags, e) < 0) {
			out_list_end(o);
			goto out;
		}
		show = filters_match(&fs, &image_filters, &iv) &&
		       page_take(&pg, v[i].id);
		if (show) {
			out_item(o);
			image_write(o, &v[i], &iv.tags);
			out_item_end(o);
		}
		free(iv.tags.v);
	}
	out_list_end(o);
	page_write_token(&pg, o, "nextToken");
	rc = 0;
out:
	tag_index_free(&tags);
	free(v);
	filters_free(&fs);
	strlist_free(&ids);
	strlist_free(&owners);
	strlist_free(&by);
	return rc;
}

/* AMI names: 3 to 128 of letters, digits and ()[] ./-'@_ */
static int
ami_name_check(const char *name, struct err *e)
{
	size_t n = strlen(name);

	if (n >= 3 && n <= 128 &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789()[] ./-'@_") == n)
		return 0;
	return err_set(e, "InvalidAMIName.Malformed",
		       "AMI names must be between 3 and 128 characters long, "
		       "and may contain letters, numbers, '(', ')', '[', ']', "
		       "' ', '.', '/', '-', ''', '@' and '_'");
}

int
ec2_register_image(struct action_ctx *c, struct out *o, struct err *e)
{
	static const char *const archs[] = {"x86_64",	  "i386",      "arm64",
					    "x86_64_mac", "arm64_mac", NULL};
	static const char *const virts[] = {"hvm", "paravirtual", NULL};
	static const char *const boots[] = {"legacy-bios", "uefi",
					    "uefi-preferred", NULL};
	const char *name = NULL, *location = NULL, *desc = "", *arch = "x86_64";
	const char *virt = "hvm", *boot = "legacy-bios", *root = "/dev/xvda";
	struct image im = {.public = false};
	struct tags tags = {0};
	bool ena = true;
	int rc = -1;

	if (param_str(c->req, "Name", true, 0, &name, e) < 0 ||
	    ami_name_check(name, e) < 0 ||
	    param_str(c->req, "ImageLocation", false, 1000, &location, e) < 0 ||
	    param_str(c->req, "Description", false, 255, &desc, e) < 0 ||
	    param_enum(c->req, "Architecture", false, archs, &arch, e) < 0 ||
	    param_enum(c->req, "VirtualizationType", false, virts, &virt, e) <
		0 ||
	    param_enum(c->req, "BootMode", false, boots, &boot, e) < 0 ||
	    param_str(c->req, "RootDeviceName", false, 31, &root, e) < 0 ||
	    param_bool(c->req, "EnaSupport", &ena, e) < 0 ||
	    tagspec_parse(c->req, "image", &tags, e) < 0)
		goto out;
	if (!location) {
		err_set(e, "MissingParameter",
			"The request must contain the parameter ImageLocation: "
			"ec2d registers an image from its manifest (the path "
			"of an image.json under the image root %.200s).",
			c->cfg->image_root);
		goto out;
	}
	if (strcmp(arch, "x86_64") != 0 || strcmp(virt, "hvm") != 0 || !ena) {
		err_set(e, "InvalidParameterValue",
			"ec2d runs x86_64 hvm images with ENA; not %s %s%s.",
			arch, virt, ena ? "" : " without ENA");
		goto out;
	}
	if (strncmp(root, "/dev/", 5) != 0) {
		err_set(e, "InvalidParameterValue",
			"Value (%s) for parameter rootDeviceName is invalid.",
			root);
		goto out;
	}
	id_new("ami", im.id);
	snprintf(im.name, sizeof(im.name), "%s", name);
	snprintf(im.description, sizeof(im.description), "%s", desc);
	snprintf(im.location, sizeof(im.location), "%s", location);
	snprintf(im.state, sizeof(im.state), "pending");
	snprintf(im.architecture, sizeof(im.architecture), "%s", arch);
	snprintf(im.root_device, sizeof(im.root_device), "%s", root);
	snprintf(im.boot_mode, sizeof(im.boot_mode), "%s", boot);
	snprintf(im.owner, sizeof(im.owner), "%s", c->account);
	im.created = c->now;
	if (store_image_insert(c->tx, &im, e) < 0) {
		if (strcmp(e->code, "InvalidAMIName.Duplicate") == 0)
			err_set(e, "InvalidAMIName.Duplicate",
				"AMI name %s is already in use by another AMI",
				name);
		goto out;
	}
	if (tags_put(c->tx, im.id, &tags, e) < 0)
		goto out;
	out_str(o, "imageId", im.id);
	rc = 0;
out:
	free(tags.v);
	return rc;
}

int
ec2_deregister_image(struct action_ctx *c, struct out *o, struct err *e)
{
	const char *id = NULL;
	struct image im;
	int found;

	if (param_str(c->req, "ImageId", true, 64, &id, e) < 0 ||
	    ami_id_check(id, e) < 0)
		return -1;
	found = store_image_get(c->tx, id, &im, e);
	if (found < 0)
		return -1;
	if (found == 1)
		return err_set(e, "InvalidAMIID.NotFound",
			       "The image id '[%.100s]' does not exist", id);
	if (strcmp(im.owner, c->account) != 0)
		return err_set(e, "AuthFailure", "Not authorized for image:%s",
			       id);
	if (store_image_delete(c->tx, id, e) < 0)
		return -1;
	out_bool(o, "return", true);
	return 0;
}
