/*
 * images.h - machine images (AMIs).
 */
#ifndef EC2D_STORE_IMAGES_H
#define EC2D_STORE_IMAGES_H

#include "store.h"

struct image {
	char id[32];
	char name[129];
	char description[256];
	char location[1024]; /* the manifest on the ec2d host */
	char state[16];	     /* pending, available, failed */
	char state_reason[256];
	char architecture[16];
	char root_device[32]; /* /dev/xvda */
	char boot_mode[16];
	char owner[16]; /* account id */
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

#endif
