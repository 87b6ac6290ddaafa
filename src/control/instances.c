/*
 * instances.c - the instance reconciler. See instances.h.
 */
#include "instances.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/fault.h"
#include "common/ids.h"
#include "common/log.h"
#include "fabric.h"
#include "catalog/itypes.h"
#include "store/instances.h"
#include "store/vpcs.h"

#define METADATA_READS_MAX 4096

/* What a host should do with an instance in this EC2 state. */
static enum host_want
want_of(const char *state)
{
	if (strcmp(state, "pending") == 0 || strcmp(state, "running") == 0)
		return HOST_WANT_RUNNING;
	if (strcmp(state, "stopping") == 0 || strcmp(state, "stopped") == 0)
		return HOST_WANT_STOPPED;
	return HOST_WANT_GONE;
}

static unsigned
scaled(unsigned v, int divisor, unsigned floor)
{
	unsigned s = divisor > 0 ? v / (unsigned)divisor : v;

	return s < floor ? floor : s;
}

static void
want_fill(const struct config *cfg, const struct instance *i,
	  struct host_instance *w)
{
	const struct itype *t = itype_find(i->type);

	memset(w, 0, sizeof(*w));
	snprintf(w->id, sizeof(w->id), "%s", i->id);
	w->want = want_of(i->state);
	w->force_stop = i->force_stop;
	w->boot = (unsigned)i->boot;
	w->vcpus = scaled(t ? t->vcpus : 2, cfg->guest_vcpu_divisor, 1);
	w->memory_mib = scaled(t ? (unsigned)t->memory_mib : 1024,
			       cfg->guest_memory_divisor, 128);
	/* Copied at launch: the instance does not need its AMI any more. */
	snprintf(w->kernel, sizeof(w->kernel), "%s", i->kernel);
	snprintf(w->initrd, sizeof(w->initrd), "%s", i->initrd);
	snprintf(w->cmdline, sizeof(w->cmdline), "%s", i->cmdline);
	snprintf(w->base_disk, sizeof(w->base_disk), "%s", i->base_disk);
	w->root_gib = (unsigned)i->root_gib;
	if (t && t->storage.disks) {
		w->store_disks = t->storage.disks;
		w->store_gb = t->storage.disk_gb;
	}
}

static void
set_state(struct instance *i, const char *state, const char *code,
	  const char *message, time_t now)
{
	snprintf(i->state, sizeof(i->state), "%s", state);
	if (code) {
		snprintf(i->reason_code, sizeof(i->reason_code), "%s", code);
		snprintf(i->reason_message, sizeof(i->reason_message), "%.255s",
			 message);
	}
	i->state_time = now;
}

/*
 * Apply what the host observed to i (as it is now in the store). Returns
 * true when i changed.
 */
static bool
observe(struct instance *i, const struct host_instance_status *st, bool ready,
	time_t now)
{
	const char *s = i->state;
	char msg[300];

	if (strcmp(s, "pending") == 0 && st->state == HOST_RUNNING) {
		set_state(i, "running", "", "", now);
		i->transition_reason[0] = '\0';
		i->ran = true;
		return true;
	}
	/* A first launch that fails is over; a restart that fails goes back
	 * to stopped with its disks, as EC2's do. */
	if (strcmp(s, "pending") == 0 && st->state == HOST_FAILED) {
		snprintf(msg, sizeof(msg), "Server.InternalError: %s",
			 st->reason);
		set_state(i, i->ran ? "stopped" : "terminated",
			  "Server.InternalError", msg, now);
		return true;
	}
	if (strcmp(s, "running") == 0 &&
	    (st->state == HOST_STOPPED || st->state == HOST_ABSENT)) {
		bool terminate = strcmp(i->shutdown_behavior, "terminate") == 0;

		if (st->guest_halted)
			set_state(i, terminate ? "shutting-down" : "stopped",
				  "Client.InstanceInitiatedShutdown",
				  "Client.InstanceInitiatedShutdown: Instance "
				  "initiated shutdown",
				  now);
		else
			set_state(i, "stopped", "Server.InternalError",
				  "Server.InternalError: the instance's "
				  "hypervisor process ended",
				  now);
		i->guest_ready = false;
		return true;
	}
	if (strcmp(s, "running") == 0 && ready != i->guest_ready &&
	    st->state == HOST_RUNNING && st->boot == (unsigned)i->boot) {
		i->guest_ready = ready;
		return true;
	}
	if (strcmp(s, "stopping") == 0 &&
	    (st->state == HOST_STOPPED || st->state == HOST_ABSENT)) {
		set_state(i, "stopped", NULL, NULL, now);
		i->force_stop = false;
		i->guest_ready = false;
		return true;
	}
	if (strcmp(s, "shutting-down") == 0 && st->state == HOST_ABSENT) {
		set_state(i, "terminated", NULL, NULL, now);
		i->guest_ready = false;
		return true;
	}
	return false;
}

/*
 * A running guest that its QEMU holds paused on a disk error (a full
 * disk) is impaired, with why and since when; it stops being so when it
 * runs again or leaves running. Returns true when i changed.
 */
static bool
observe_impaired(struct instance *i, const struct host_instance_status *st,
		 time_t now)
{
	const char *why =
	    strcmp(i->state, "running") == 0 && st->state == HOST_RUNNING
		? st->impaired
		: "";

	if (strcmp(why, i->impaired) == 0)
		return false;
	if (!i->impaired[0])
		i->impaired_since = now;
	snprintf(i->impaired, sizeof(i->impaired), "%s", why);
	if (!why[0])
		i->impaired_since = 0;
	return true;
}

/* The state, then the status checks. */
static bool
observe_all(struct instance *i, const struct host_instance_status *st,
	    bool ready, time_t now)
{
	bool changed = observe(i, st, ready, now);

	return observe_impaired(i, st, now) || changed;
}

/* The console's tail as the store keeps it (base64), or NULL if same. */
static char *
console_of(struct host *h, const struct instance *i)
{
	struct host_console_tail *t = malloc(sizeof(*t));
	char *enc = NULL;

	if (t && host_console_tail(h, i->id, t) == 0) {
		enc = malloc(b64_encoded_len(t->len) + 1);
		if (enc)
			b64_encode(t->data, t->len, enc);
		if (enc && i->console && strcmp(enc, i->console) == 0) {
			free(enc);
			enc = NULL;
		}
	}
	free(t);
	return enc;
}

/* Fault injection (fault.h): before the store hears of a new state. */
static void
record_fault(const char *was, const char *now)
{
	if (strcmp(was, now) == 0)
		return;
	if (strcmp(now, "running") == 0)
		fault_point("control.before-record-running");
	else if (strcmp(now, "stopped") == 0)
		fault_point("control.before-record-stopped");
	else if (strcmp(now, "terminated") == 0)
		fault_point("control.before-record-terminated");
}

/* Write back one instance's news, re-checked against the store. */
static void
record(struct store *s, const struct instance *seen,
       const struct host_instance_status *st, bool read, struct host *h,
       time_t now)
{
	struct err e = {"", ""};
	struct store_tx *tx;
	struct instance cur, probe = *seen; /* observe() only touches
					     * its fixed-size fields */
	char *console = console_of(h, seen);
	bool changed;

	/* Most passes change nothing: then take no write lock at all. */
	if (!console && !observe_all(&probe, st, st->guest_ready && read, now))
		return;
	tx = store_begin(s, true, &e);
	if (!tx)
		goto out;
	if (store_instance_get(tx, seen->id, &cur, &e) != 0) {
		store_rollback(tx);
		goto out;
	}
	/* Only if nobody changed its wants since this pass read it. */
	changed = strcmp(cur.state, seen->state) == 0 &&
		  cur.boot == seen->boot &&
		  observe_all(&cur, st, st->guest_ready && read, now);
	if (console) {
		free(cur.console);
		cur.console = console;
		console = NULL;
		changed = true;
	}
	if (changed)
		record_fault(seen->state, cur.state);
	if (!changed)
		store_rollback(tx);
	else if (store_instance_update(tx, &cur, &e) < 0 ||
		 store_commit(tx, &e) < 0)
		log_msg(LOG_WARN, "instance update failed",
			"instance=%s error=\"%s\"", cur.id, e.message);
	else if (strcmp(cur.state, seen->state) != 0)
		log_msg(LOG_INFO, "instance", "instance=%s state=%s", cur.id,
			cur.state);
	instance_clear(&cur);
out:
	free(console);
}

/* Did instance id read its metadata (host_net_reads)? */
static bool
was_read(const struct host_read *reads, size_t n, const char *id)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(reads[k].instance_id, id) == 0)
			return true;
	return false;
}

/* Where port is in set (its index), or where it would go (-1 - index). */
static long
port_find(const struct port_set *set, int port)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->v[mid].port == port)
			return (long)mid;
		if (set->v[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1 - (long)lo;
}

static bool
port_in(const struct port_set *set, int port)
{
	return port_find(set, port) >= 0;
}

/* Add (or update) port; a failed allocation only costs a later retry. */
static void
port_add(struct port_set *set, int port, const char *tap)
{
	long at = port_find(set, port);
	size_t k;

	if (at < 0) {
		if (set->n == set->cap) {
			size_t cap = set->cap ? set->cap * 2 : 64;
			struct port_entry *v =
			    realloc(set->v, cap * sizeof(*set->v));

			if (!v)
				return;
			set->v = v;
			set->cap = cap;
		}
		k = (size_t)(-1 - at);
		memmove(&set->v[k + 1], &set->v[k],
			(set->n - k) * sizeof(set->v[0]));
		set->n++;
	} else {
		k = (size_t)at;
	}
	set->v[k].port = port;
	snprintf(set->v[k].tap, sizeof(set->v[k].tap), "%s", tap ? tap : "");
}

static void
port_del(struct port_set *set, int port)
{
	long at = port_find(set, port);

	if (at < 0)
		return;
	memmove(&set->v[at], &set->v[at + 1],
		(set->n - (size_t)at - 1) * sizeof(set->v[0]));
	set->n--;
}

void
instances_forget_ports(struct agents *ag)
{
	free(ag->plugged.v);
	free(ag->unplugged.v);
	memset(&ag->plugged, 0, sizeof(ag->plugged));
	memset(&ag->unplugged, 0, sizeof(ag->unplugged));
}

static int
vpc_no(const struct vpc_row *vpcs, size_t n, const char *id)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(vpcs[k].id, id) == 0)
			return vpcs[k].vni;
	return 0;
}

/*
 * Network for instance i on host h: a tap while its QEMU may run, none
 * once it is stopped or terminated (its address and MAC stay in the
 * store). Returns the tap name in w->tap.
 */
static void
network(struct agents *ag, size_t h, int vpc, const struct instance *i,
	struct host_instance *w)
{
	struct err e = {"", ""};
	long slot = port_find(&ag->plugged, i->port_no);

	if (!ag->fabric || !vpc)
		return;
	if (strcmp(i->state, "stopped") == 0 ||
	    strcmp(i->state, "terminated") == 0) {
		/* Once per run, plugged by it or not: a restarted ec2d must
		 * still remove the port of an instance stopped meanwhile. */
		if (port_in(&ag->unplugged, i->port_no))
			return;
		if (fabric_unplug(ag->fabric, h, vpc, i, &e) < 0) {
			log_msg(LOG_WARN, "unplug failed",
				"instance=%s error=\"%s\"", i->id, e.message);
			return; /* tried again next pass */
		}
		fault_point("control.after-unplug");
		port_del(&ag->plugged, i->port_no);
		port_add(&ag->unplugged, i->port_no, NULL);
		return;
	}
	if (w->want == HOST_WANT_GONE)
		return; /* shutting down: its QEMU still holds the tap */
	snprintf(w->mac, sizeof(w->mac), "%s", i->mac);
	if (slot >= 0) { /* plugged by this run: nothing to fork */
		snprintf(w->tap, sizeof(w->tap), "%s", ag->plugged.v[slot].tap);
		return;
	}
	if (fabric_plug(ag->fabric, h, vpc, i, w->tap, &e) < 0) {
		log_msg(LOG_WARN, "plug failed", "instance=%s error=\"%s\"",
			i->id, e.message);
		w->tap[0] = '\0';
		w->mac[0] = '\0';
		return;
	}
	fault_point("control.after-plug");
	port_add(&ag->plugged, i->port_no, w->tap);
	port_del(&ag->unplugged, i->port_no);
}

/* Observations sorted by instance id, so each row finds its own. */
static int
status_cmp(const void *a, const void *b)
{
	const struct host_instance_status *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static int
want_cmp(const void *a, const void *b)
{
	const struct host_instance *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static int
want_id_cmp(const void *key, const void *elem)
{
	const struct host_instance *y = elem;

	return strcmp(key, y->id);
}

/*
 * What the host has that no want covers: an instance the store forgot
 * (reaped) or shows terminated past the window of wants, whose QEMU or
 * folder is still there (a crash came between two steps of its end).
 * Each gets a GONE want: "a terminated instance has no QEMU" holds
 * whenever ec2d runs. Appends to wants (up to max in all; the rest next
 * pass); returns the new count.
 */
static size_t
want_gone_unlisted(struct host_instance *wants, size_t nw, size_t max,
		   const struct host_instance_status *obs, size_t no)
{
	size_t listed = nw;

	qsort(wants, listed, sizeof(*wants), want_cmp);
	for (size_t k = 0; k < no && nw < max; k++) {
		struct host_instance *w;

		if (obs[k].state == HOST_ABSENT ||
		    bsearch(obs[k].id, wants, listed, sizeof(*wants),
			    want_id_cmp))
			continue;
		w = &wants[nw++];
		memset(w, 0, sizeof(*w));
		snprintf(w->id, sizeof(w->id), "%s", obs[k].id);
		w->want = HOST_WANT_GONE;
		log_msg(LOG_WARN, "instance unknown to the store removed",
			"instance=%s", w->id);
	}
	return nw;
}

static int
status_id_cmp(const void *key, const void *elem)
{
	const struct host_instance_status *y = elem;

	return strcmp(key, y->id);
}

/* What the metadata service tells instance i about itself. */
static void
metadata_fill(const struct config *cfg, const struct instance *i,
	      const struct subnet_row *subnets, size_t nsub,
	      const struct vpc_row *vpcs, size_t nvpc, struct host_metadata *md)
{
	memset(md, 0, sizeof(*md));
	snprintf(md->instance_id, sizeof(md->instance_id), "%s", i->id);
	snprintf(md->image_id, sizeof(md->image_id), "%s", i->image_id);
	snprintf(md->instance_type, sizeof(md->instance_type), "%s", i->type);
	snprintf(md->architecture, sizeof(md->architecture), "x86_64");
	snprintf(md->account_id, sizeof(md->account_id), "%s", i->owner);
	snprintf(md->reservation_id, sizeof(md->reservation_id), "%s",
		 i->reservation_id);
	snprintf(md->region, sizeof(md->region), "%s", cfg->region);
	snprintf(md->zone, sizeof(md->zone), "%s", i->zone);
	for (size_t z = 0; z < cfg->nzones; z++)
		if (strcmp(cfg->zones[z].name, i->zone) == 0)
			snprintf(md->zone_id, sizeof(md->zone_id), "%s",
				 cfg->zones[z].id);
	id_dns_name(cfg->region, i->private_ip, md->hostname,
		    sizeof(md->hostname));
	snprintf(md->local_hostname, sizeof(md->local_hostname), "%s",
		 md->hostname);
	snprintf(md->local_ipv4, sizeof(md->local_ipv4), "%s", i->private_ip);
	snprintf(md->mac, sizeof(md->mac), "%s", i->mac);
	snprintf(md->interface_id, sizeof(md->interface_id), "eni-%s",
		 i->id + 2);
	snprintf(md->subnet_id, sizeof(md->subnet_id), "%s", i->subnet_id);
	for (size_t k2 = 0; k2 < nsub; k2++)
		if (strcmp(subnets[k2].id, i->subnet_id) == 0)
			snprintf(md->subnet_cidr, sizeof(md->subnet_cidr), "%s",
				 subnets[k2].cidr);
	snprintf(md->vpc_id, sizeof(md->vpc_id), "%s", i->vpc_id);
	for (size_t k2 = 0; k2 < nvpc; k2++)
		if (strcmp(vpcs[k2].id, i->vpc_id) == 0)
			snprintf(md->vpc_cidr, sizeof(md->vpc_cidr), "%s",
				 vpcs[k2].cidr);
	/* The key given at launch, even if the key pair changed since. */
	if (i->key_name[0] && i->public_key && i->public_key[0]) {
		snprintf(md->key_name, sizeof(md->key_name), "%s", i->key_name);
		snprintf(md->openssh_key, sizeof(md->openssh_key), "%s",
			 i->public_key);
	}
	if (i->user_data && i->user_data[0]) {
		size_t len;
		unsigned char *raw =
		    b64_decode(i->user_data, strlen(i->user_data), &len);

		if (raw && len <= sizeof(md->user_data)) {
			memcpy(md->user_data, raw, len);
			md->user_data_len = len;
			md->has_user_data = true;
		}
		free(raw);
	}
	md->pending_time = i->launch_time;
	md->http_tokens_required = strcmp(i->http_tokens, "required") == 0;
	md->hop_limit = (unsigned)i->hop_limit;
	md->vpc = (unsigned)vpc_no(vpcs, nvpc, i->vpc_id);
	/* A new launch must read its metadata anew. */
	md->fresh = strcmp(i->state, "pending") == 0;
}

/* Republish the metadata of every instance that may run. */
static void
publish(const struct config *cfg, struct agents *ag, struct store *s,
	const struct instance *v, size_t n, const struct vpc_row *vpcs,
	size_t nvpc)
{
	struct host_metadata *md;
	struct subnet_row *sub = NULL;
	struct err e = {"", ""};
	struct store_tx *tx;
	size_t nsub = 0, k = 0;

	if (!ag->fabric)
		return;
	md = calloc(n + 1, sizeof(*md));
	tx = store_begin(s, false, &e);
	if (md && tx && store_subnet_list(tx, &sub, &nsub, &e) == 0) {
		for (size_t i = 0; i < n; i++) {
			/* HttpEndpoint disabled: IMDS does not know it. */
			if (want_of(v[i].state) != HOST_WANT_RUNNING ||
			    strcmp(v[i].http_endpoint, "disabled") == 0)
				continue;
			metadata_fill(cfg, &v[i], sub, nsub, vpcs, nvpc,
				      &md[k++]);
		}
		fabric_publish(ag->fabric, md, k);
	}
	store_rollback(tx);
	free(sub);
	free(md);
}

/* Forget terminated instances after their hour of visibility, and
 * their ports in this run's sets (a later instance may get the number). */
static void
reap(struct store *s, struct agents *ag, const struct instance *v, size_t n,
     time_t now)
{
	for (size_t i = 0; i < n; i++) {
		struct err e = {"", ""};
		struct store_tx *tx;

		if (strcmp(v[i].state, "terminated") != 0 ||
		    now - v[i].state_time < TERMINATED_VISIBLE_SECONDS)
			continue;
		tx = store_begin(s, true, &e);
		if (tx && store_instance_delete(tx, v[i].id, &e) == 0 &&
		    store_commit(tx, &e) == 0) {
			log_msg(LOG_INFO, "instance reaped", "instance=%s",
				v[i].id);
			port_del(&ag->plugged, v[i].port_no);
			port_del(&ag->unplugged, v[i].port_no);
		} else {
			store_rollback(tx);
		}
	}
}

void
instances_reconcile(const struct config *cfg, struct store *s,
		    struct agents *ag)
{
	struct instance *v = NULL;
	struct err e = {"", ""};
	struct store_tx *tx = store_begin(s, false, &e);
	size_t n = 0;
	time_t now = time(NULL);

	struct vpc_row *vpcs = NULL;
	size_t nvpc = 0;
	struct host_read *reads = NULL;
	size_t nreads = 0;

	if (!tx)
		return;
	if (store_instance_list(tx, &v, &n, &e) < 0 ||
	    store_vpc_list(tx, &vpcs, &nvpc, &e) < 0) {
		store_rollback(tx);
		instances_free(v, n);
		free(vpcs);
		return;
	}
	store_rollback(tx);
	publish(cfg, ag, s, v, n, vpcs, nvpc);
	if (ag->fabric) {
		reads = calloc(METADATA_READS_MAX, sizeof(*reads));
		nreads =
		    reads ? fabric_reads(ag->fabric, reads, METADATA_READS_MAX)
			  : 0;
	}
	for (size_t h = 0; h < ag->n; h++) {
		struct host_instance_status *obs = calloc(n + 16, sizeof(*obs));
		struct host_instance *wants = calloc(n + 17, sizeof(*wants));
		size_t nw = 0, no;

		if (!wants || !obs) {
			free(wants);
			free(obs);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp(v[i].host_id, ag->ids[h]) != 0)
				continue;
			want_fill(cfg, &v[i], &wants[nw]);
			network(ag, h, vpc_no(vpcs, nvpc, v[i].vpc_id), &v[i],
				&wants[nw]);
			/* Terminated a while ago: its host is done with it
			 * (its port was unplugged above, once per run). */
			if (strcmp(v[i].state, "terminated") != 0 ||
			    now - v[i].state_time <= 60)
				nw++;
		}
		no = host_observe(ag->hosts[h], obs, n + 16);
		nw = want_gone_unlisted(wants, nw, n + 17, obs, no);
		host_apply(ag->hosts[h], wants, nw);
		no = host_observe(ag->hosts[h], obs, n + 16);
		qsort(obs, no, sizeof(*obs), status_cmp);
		for (size_t i = 0; i < n; i++) {
			/* Unknown to the host: it is absent. */
			struct host_instance_status absent = {
			    .state = HOST_ABSENT,
			};
			const struct host_instance_status *st;

			if (strcmp(v[i].host_id, ag->ids[h]) != 0)
				continue;
			st = bsearch(v[i].id, obs, no, sizeof(*obs),
				     status_id_cmp);
			if (!st)
				st = &absent;
			record(s, &v[i], st,
			       !ag->fabric || was_read(reads, nreads, v[i].id),
			       ag->hosts[h], now);
		}
		free(wants);
		free(obs);
	}
	reap(s, ag, v, n, now);
	instances_free(v, n);
	free(vpcs);
	free(reads);
}
