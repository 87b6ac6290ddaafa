/*
 * control.c - the reconciler thread. See control.h. A pass runs every
 * reconciler in turn; a wake that arrives during a pass makes another pass
 * follow at once, so no change is missed between "read" and "sleep".
 */
#include "control.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloud.h"
#include "fabric.h"
#include "common/log.h"
#include "store/vpcs.h"
#include "images.h"
#include "instances.h"

/* The agent reads the reserve back from its text, which must fit whole. */
_Static_assert(sizeof(((struct host_config *)0)->disk_reserve) >=
		   DISKFREE_TEXT_MAX,
	       "host_config.disk_reserve holds any reserve's text");

struct control {
	const struct config *cfg;
	struct store *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool woken;
	bool stopping;
	struct agents agents;
};

static void
control_run_once(struct control *c)
{
	images_reconcile(c->cfg, c->store);
	instances_reconcile(c->cfg, c->store, &c->agents);
}

static void *
control_main(void *arg)
{
	struct control *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct timespec until;

		c->woken = false;
		pthread_mutex_unlock(&c->lock);
		control_run_once(c);
		pthread_mutex_lock(&c->lock);
		if (c->woken || c->stopping)
			continue;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CONTROL_PERIOD_MS / 1000;
		while (!c->woken && !c->stopping &&
		       pthread_cond_timedwait(&c->cond, &c->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void
host_changed(void *ctx)
{
	control_wake(ctx);
}

/* Guests stopped with ec2d take their network along; else both stay. */
static void
agents_close(struct agents *ag, bool stop_guests)
{
	for (size_t h = 0; h < ag->n; h++)
		host_close(ag->hosts[h], stop_guests);
	ag->n = 0;
	fabric_close(ag->fabric, stop_guests);
	ag->fabric = NULL;
	instances_forget_ports(ag);
}

/* The network first: each host's QEMUs run in its namespace. */
static int
network_open(struct control *c, struct err *e)
{
	struct vpc_row *vpcs = NULL;
	struct subnet_row *subs = NULL;
	size_t nv = 0, ns = 0;
	struct store_tx *tx;
	int rc = -1;

	if (fabric_open(c->cfg, c->store, &c->agents.fabric, e) < 0)
		return -1;
	fabric_set_notify(c->agents.fabric, host_changed, c);
	tx = store_begin(c->store, false, e);
	if (!tx)
		return -1;
	if (store_vpc_list(tx, &vpcs, &nv, e) == 0 &&
	    store_subnet_list(tx, &subs, &ns, e) == 0) {
		rc = 0;
		for (size_t i = 0; i < nv && rc == 0; i++)
			rc =
			    fabric_vpc(c->agents.fabric, &vpcs[i], subs, ns, e);
	}
	store_rollback(tx);
	free(vpcs);
	free(subs);
	return rc;
}

/* The uid and gid QEMU runs as (0, 0: unchanged): the agent's answer. */
static int
run_as(const struct config *cfg, uid_t *uid, gid_t *gid, struct err *e)
{
	struct host_user_ask ask;
	struct host_user u;

	memset(&ask, 0, sizeof(ask));
	snprintf(ask.name, sizeof(ask.name), "%s", cfg->run_as);
	snprintf(ask.reach, sizeof(ask.reach), "%s", cfg->data_dir);
	if (host_user_resolve(&ask, &u, e) < 0)
		return -1;
	*uid = u.uid;
	*gid = u.gid;
	return 0;
}

static int
agents_open(struct control *c, const struct host_accel *accel, uid_t uid,
	    gid_t gid, struct err *e)
{
	const struct config *cfg = c->cfg;
	struct agents *ag = &c->agents;

	for (size_t h = 0; h < cloud_nhosts(cfg); h++) {
		size_t z = cloud_host_zone(cfg, h);
		struct host_config hc = {
		    .accel = accel->accel,
		    .tsc_khz = accel->tsc_khz,
		    /* TCG's code cache, resident whole. 16 MiB saves
		     * ~18 MiB per guest but a guest is ready ~1.5 s
		     * later (bench/README.md): 32. */
		    .tb_size_mib = 32,
		    .stop_timeout_ms = (unsigned)cfg->stop_timeout_ms,
		    .run_uid = uid,
		    .run_gid = gid,
		};

		cloud_host_id(cfg, h, hc.id, sizeof(hc.id));
		snprintf(hc.zone, sizeof(hc.zone), "%s", cfg->zones[z].name);
		snprintf(hc.state_dir, sizeof(hc.state_dir), "%.900s/hosts/%s",
			 cfg->data_dir, hc.id);
		snprintf(hc.qemu, sizeof(hc.qemu), "%s", cfg->qemu);
		snprintf(hc.qemu_img, sizeof(hc.qemu_img), "%s", cfg->qemu_img);
		diskfree_text(&cfg->disk_reserve, hc.disk_reserve,
			      sizeof(hc.disk_reserve));
		snprintf(hc.netns, sizeof(hc.netns), "%s",
			 fabric_host_netns(ag->fabric, h));
		/* Named as the namespace: unique per deployment and host. */
		snprintf(hc.cgroup, sizeof(hc.cgroup), "%s", hc.netns);
		if (host_open(&hc, &ag->hosts[ag->n], e) < 0) {
			agents_close(ag, false);
			return -1;
		}
		snprintf(ag->ids[ag->n], sizeof(ag->ids[0]), "%s", hc.id);
		host_set_notify(ag->hosts[ag->n], host_changed, c);
		ag->n++;
	}
	return 0;
}

int
control_start(const struct config *cfg, struct store *s,
	      const struct host_accel *accel, struct control **ret,
	      struct err *e)
{
	struct control *c = calloc(1, sizeof(*c));
	char dir[CONFIG_PATH_MAX + 8];
	uid_t uid;
	gid_t gid;

	if (!c)
		return err_set(e, "InternalError", "Out of memory.");
	c->cfg = cfg;
	c->store = s;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	snprintf(dir, sizeof(dir), "%s/hosts", cfg->data_dir);
	if ((mkdir(dir, 0711) < 0 && errno != EEXIST) ||
	    run_as(cfg, &uid, &gid, e) < 0 || /* before anything is built */
	    network_open(c, e) < 0 || agents_open(c, accel, uid, gid, e) < 0) {
		if (!err_is_set(e))
			err_set(e, "InternalError", "Cannot create %s.", dir);
		goto fail;
	}
	if (pthread_create(&c->thread, NULL, control_main, c) != 0) {
		err_set(e, "InternalError", "Cannot start the control thread.");
		agents_close(&c->agents, false);
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	agents_close(&c->agents, false);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return -1;
}

void
control_wake(struct control *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->woken = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void
control_stop(struct control *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	agents_close(&c->agents, c->cfg->stop_instances_on_exit);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
