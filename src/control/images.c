/*
 * images.c - image manifests and the image reconciler. See images.h.
 */
#include "images.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/log.h"
#include "store/images.h"

/* True when path (resolved) is root itself or below it. */
static bool
under(const char *root, const char *path)
{
	size_t n = strlen(root);

	return strncmp(root, path, n) == 0 && (path[n] == '/' || !path[n]);
}

/*
 * Resolve name relative to dir into out, which must be a regular file
 * below root.
 */
static int
resolve_file(const char *root, const char *dir, const char *what,
	     const char *name, char *out, size_t size, struct err *e)
{
	char joined[PATH_MAX * 2], real[PATH_MAX];
	struct stat st;

	if (name[0] == '/')
		snprintf(joined, sizeof(joined), "%s", name);
	else
		snprintf(joined, sizeof(joined), "%s/%s", dir, name);
	/* One answer for missing and outside the root: a caller learns
	 * nothing about files it may not use. */
	if (!realpath(joined, real) || !under(root, real) ||
	    stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set(e, "InvalidParameterValue",
			       "The image's %s file %.200s is not a readable "
			       "file under the image root %.200s.",
			       what, name, root);
	if (snprintf(out, size, "%s", real) >= (int)size)
		return err_set(e, "InvalidParameterValue",
			       "The image's %s path is too long.", what);
	return 0;
}

/* The disk's virtual size: a qcow2 header says it; a raw file is it. */
static int
disk_size_gib(const char *path, int *ret, struct err *e)
{
	unsigned char h[32];
	unsigned long long bytes = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return err_set(e, "InvalidParameterValue",
			       "The image's root disk cannot be read.");
	}
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n == (ssize_t)sizeof(h) && memcmp(h, "QFI\xfb", 4) == 0)
		for (int i = 24; i < 32; i++)
			bytes = bytes << 8 | h[i];
	else
		bytes = (unsigned long long)st.st_size;
	if (bytes == 0)
		return err_set(e, "InvalidParameterValue",
			       "The image's root disk is empty.");
	*ret = (int)((bytes + (1ULL << 30) - 1) >> 30);
	return 0;
}

static const char *
json_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int
image_manifest_read(const char *image_root, const char *path,
		    struct image_manifest *m, struct err *e)
{
	char root[PATH_MAX], real[PATH_MAX], dir[PATH_MAX], *slash;
	json_error_t jerr;
	json_t *j = NULL;
	struct stat st;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (!realpath(image_root, root))
		return err_set(e, "InvalidParameterValue",
			       "The image root %.200s does not exist.",
			       image_root);
	if (!realpath(path, real) || !under(root, real) ||
	    stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set(e, "InvalidParameterValue",
			       "The image manifest %.200s is not a readable "
			       "file under the image root %.200s.",
			       path, root);
	if (st.st_size > (off_t)IMAGE_MANIFEST_MAX)
		return err_set(e, "InvalidParameterValue",
			       "The image manifest is larger than %u bytes.",
			       IMAGE_MANIFEST_MAX);
	j = json_load_file(real, JSON_REJECT_DUPLICATES, &jerr);
	if (!j || !json_is_object(j)) {
		err_set(e, "InvalidParameterValue",
			"The image manifest is not a JSON object: %.200s",
			jerr.text);
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s", real);
	slash = strrchr(dir, '/');
	*slash = '\0';
	snprintf(m->name, sizeof(m->name), "%s", json_str(j, "name"));
	snprintf(m->description, sizeof(m->description), "%s",
		 json_str(j, "description"));
	snprintf(m->architecture, sizeof(m->architecture), "%s",
		 json_str(j, "architecture"));
	snprintf(m->cmdline, sizeof(m->cmdline), "%s", json_str(j, "cmdline"));
	if (!m->name[0] || strcmp(m->architecture, "x86_64") != 0) {
		err_set(e, "InvalidParameterValue",
			"The image manifest needs a name and architecture "
			"x86_64.");
		goto out;
	}
	if (resolve_file(root, dir, "kernel", json_str(j, "kernel"), m->kernel,
			 sizeof(m->kernel), e) < 0 ||
	    resolve_file(root, dir, "root", json_str(j, "root"), m->root,
			 sizeof(m->root), e) < 0 ||
	    (json_str(j, "initrd")[0] &&
	     resolve_file(root, dir, "initrd", json_str(j, "initrd"), m->initrd,
			  sizeof(m->initrd), e) < 0) ||
	    disk_size_gib(m->root, &m->root_size_gib, e) < 0)
		goto out;
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* Check one pending image off any transaction, then record the verdict. */
static void
image_settle(const struct config *cfg, struct store *s,
	     const struct image *pending)
{
	struct image_manifest m;
	struct image im = *pending;
	struct err e = {"", ""};
	struct store_tx *tx;

	if (image_manifest_read(cfg->image_root, im.location, &m, &e) < 0) {
		snprintf(im.state, sizeof(im.state), "failed");
		snprintf(im.state_reason, sizeof(im.state_reason), "%.255s",
			 e.message);
	} else {
		snprintf(im.state, sizeof(im.state), "available");
		im.state_reason[0] = '\0';
		snprintf(im.kernel, sizeof(im.kernel), "%s", m.kernel);
		snprintf(im.initrd, sizeof(im.initrd), "%s", m.initrd);
		snprintf(im.root, sizeof(im.root), "%s", m.root);
		snprintf(im.cmdline, sizeof(im.cmdline), "%s", m.cmdline);
		im.root_size_gib = m.root_size_gib;
	}
	tx = store_begin(s, true, &e);
	if (!tx || store_image_update(tx, &im, &e) < 0 ||
	    store_commit(tx, &e) < 0) {
		store_rollback(tx);
		log_msg(LOG_WARN, "image update failed",
			"image=%s error=\"%s\"", im.id, e.message);
		return;
	}
	log_msg(LOG_INFO, "image settled", "image=%s state=%s", im.id,
		im.state);
}

void
images_reconcile(const struct config *cfg, struct store *s)
{
	struct image *v = NULL;
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, false, &e);
	size_t n = 0;

	if (!tx)
		return;
	if (store_image_list(tx, &v, &n, &e) < 0)
		n = 0;
	store_rollback(tx);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].state, "pending") == 0)
			image_settle(cfg, s, &v[i]);
	free(v);
}

int
images_register_default(const struct config *cfg, struct store *s,
			const char *account, struct err *e)
{
	struct image_manifest m;
	struct image im = {.public = true, .root_size_gib = 0};
	struct image *v = NULL;
	struct store_tx *tx;
	size_t n = 0;
	int rc = 0;

	if (strcmp(cfg->default_image, "none") == 0 ||
	    access(cfg->default_image, R_OK) != 0)
		return 0;
	if (image_manifest_read(cfg->image_root, cfg->default_image, &m, e) < 0)
		return -1;
	tx = store_begin(s, true, e);
	if (!tx)
		return -1;
	if (store_image_list(tx, &v, &n, e) < 0) {
		store_rollback(tx);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, m.name) == 0)
			rc = 1;
	free(v);
	if (rc == 1) {
		store_rollback(tx);
		return 0;
	}
	id_new("ami", im.id);
	snprintf(im.name, sizeof(im.name), "%s", m.name);
	snprintf(im.description, sizeof(im.description), "%s",
		 m.description[0] ? m.description : "ec2d's default image");
	snprintf(im.location, sizeof(im.location), "%s", cfg->default_image);
	snprintf(im.state, sizeof(im.state), "pending");
	snprintf(im.architecture, sizeof(im.architecture), "x86_64");
	snprintf(im.root_device, sizeof(im.root_device), "/dev/xvda");
	snprintf(im.boot_mode, sizeof(im.boot_mode), "legacy-bios");
	snprintf(im.owner, sizeof(im.owner), "%s", account);
	im.created = time(NULL);
	if (store_image_insert(tx, &im, e) < 0) {
		store_rollback(tx);
		return -1;
	}
	log_msg(LOG_INFO, "default image registered", "image=%s name=%s", im.id,
		im.name);
	return store_commit(tx, e);
}
