/*
 * images.h - machine images: the manifest format and the image
 * reconciler.
 *
 * An image is a directory holding image.json, a kernel, an optional
 * initrd and a root disk (qcow2 or raw):
 *   {"name": "ec2d-debian-12-minimal", "architecture": "x86_64",
 *    "kernel": "vmlinux", "initrd": "initrd.img", "root": "root.qcow2",
 *    "cmdline": "root=/dev/vda rw", "description": "..."}
 * File names are relative to the manifest's directory. ec2d puts
 * "console=ttyS0 quiet" before the cmdline itself (qemu_argv.h). Manifests and
 * the files they name must lie under the configured image root.
 *
 * RegisterImage stores an image as `pending`; images_reconcile() reads its
 * manifest, checks the files, and makes it `available` (with the paths
 * and the root disk's size) or `failed` (with the reason).
 */
#ifndef EC2D_CONTROL_IMAGES_H
#define EC2D_CONTROL_IMAGES_H

#include "common/config.h"
#include "common/err.h"
#include "store/store.h"

#define IMAGE_MANIFEST_MAX (64u << 10)

struct image_manifest {
	char name[129];
	char description[256];
	char architecture[16];
	char kernel[1024]; /* absolute, resolved */
	char initrd[1024]; /* "" when none */
	char root[1024];
	char cmdline[512];
	int root_size_gib;
};

/* Read and check the manifest at path; errors are InvalidParameterValue. */
int image_manifest_read(const char *image_root, const char *path,
			struct image_manifest *m, struct err *e);

void images_reconcile(const struct config *cfg, struct store *s);

/*
 * At start: register cfg->default_image as a public image when the file
 * exists and no image of its name is registered yet.
 */
int images_register_default(const struct config *cfg, struct store *s,
			    const char *account, struct err *e);

#endif
