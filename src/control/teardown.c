/*
 * teardown.c - `ec2d down` and `ec2d gc`. See teardown.h.
 *
 * down powers the guests off through the agent's own path (host_open
 * adopts each host's QEMUs from the data directory, host_close with
 * stop_guests powers them off), so a guest gets the same ACPI shutdown
 * as with --stop-instances-on-exit; then host_teardown removes the rest
 * by name. gc has no data directory: host_teardown alone.
 */
#include "teardown.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "agent/host.h"
#include "common/log.h"
#include "store/meta.h"

/* The deployment's tag from the store; 1 when it has none yet. */
static int
tag_of(struct store *s, char tag[8], struct err *e)
{
	struct store_tx *tx = store_begin(s, false, e);
	int rc;

	if (!tx)
		return -1;
	rc = store_meta_get(tx, "net_tag", tag, 8, e);
	store_rollback(tx);
	if (rc != 0)
		tag[0] = '\0';
	return rc;
}

/* One host folder: adopt its QEMUs and power them off. */
static void
stop_host(const struct config *cfg, const char *id)
{
	struct host_config hc = {
	    .accel = ACCEL_TCG, /* nothing is launched */
	    .stop_timeout_ms = (unsigned)cfg->stop_timeout_ms,
	};
	struct err e = {"", ""};
	struct host *h;

	snprintf(hc.id, sizeof(hc.id), "%.31s", id);
	snprintf(hc.state_dir, sizeof(hc.state_dir), "%.900s/hosts/%.31s",
		 cfg->data_dir, id);
	snprintf(hc.qemu, sizeof(hc.qemu), "%s", cfg->qemu);
	snprintf(hc.qemu_img, sizeof(hc.qemu_img), "%s", cfg->qemu_img);
	if (host_open(&hc, &h, &e) < 0) {
		log_msg(LOG_WARN, "cannot open host", "host=%s error=\"%s\"",
			id, e.message);
		return;
	}
	host_close(h, true);
}

static void
stop_guests(const struct config *cfg)
{
	char dir[CONFIG_PATH_MAX + 8];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/hosts", cfg->data_dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_type == DT_DIR &&
		    strlen(de->d_name) < HOST_ID_MAX)
			stop_host(cfg, de->d_name);
	closedir(d);
}

int
teardown_down(const struct config *cfg, struct store *s, char tag[8],
	      struct err *e)
{
	int rc = tag_of(s, tag, e);

	if (rc < 0)
		return -1;
	stop_guests(cfg);
	if (rc == 1)
		return 0; /* never served: no network, no cgroups */
	return host_teardown(tag, TEARDOWN_GRACE_MS, e);
}

static void
print_one(FILE *out, const char *what, const struct host_deployment *d)
{
	fprintf(out, "%s %s %s namespaces=%zu processes=%zu cgroups=%zu\n",
		what, d->tag, d->registered ? d->data_dir : "-", d->namespaces,
		d->processes, d->cgroups);
}

/* Remove d, say so; -1 (and a line on stderr) when it failed. */
static int
remove_one(FILE *out, const struct host_deployment *d)
{
	struct err e = {"", ""};

	if (host_teardown(d->tag, TEARDOWN_GRACE_MS, &e) < 0) {
		fprintf(stderr, "ec2d: cannot remove %s: %s\n", d->tag,
			e.message);
		return -1;
	}
	fprintf(out, "removed %s\n", d->tag);
	return 0;
}

int
teardown_gc(bool yes, bool orphans, FILE *out, struct err *e)
{
	struct host_deployment *v = NULL;
	size_t n = 0;
	long other = 0;
	int rc = 0;

	if (host_deployments(&v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i].registered && !v[i].served && !v[i].data_dir_here)
			print_one(out, "gone", &v[i]);
		else if (!v[i].registered)
			print_one(out, "orphan", &v[i]);
	}
	if (yes && orphans)
		other = host_unregistered_ec2d();
	for (size_t i = 0; yes && i < n; i++) {
		if (v[i].registered && !v[i].served && !v[i].data_dir_here)
			rc |= remove_one(out, &v[i]);
		else if (!v[i].registered && orphans && !other)
			rc |= remove_one(out, &v[i]);
	}
	if (other)
		fprintf(stderr,
			"ec2d: orphans kept: ec2d pid %ld runs without a "
			"registry entry and may own them\n",
			other);
	free(v);
	if (rc)
		err_set(e, "InternalError", "some removals failed");
	return rc ? -1 : 0;
}
