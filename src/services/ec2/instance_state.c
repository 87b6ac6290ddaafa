/*
 * instance_state.c - StopInstances, StartInstances, RebootInstances,
 * TerminateInstances, DescribeInstanceStatus, GetConsoleOutput, and the
 * instance attributes.
 *
 * Each state action checks every named instance first (all or nothing, as
 * EC2), then writes the new desired state: `stopping`, `pending`,
 * `shutting-down`, or a bumped boot counter. The instance reconciler and
 * the host make it so.
 */
#include "ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "filter.h"
#include "instances.h"
#include "catalog/itypes.h"
#include "paginate.h"
#include "reserve.h"

#define INSTANCE_IDS_MAX 1000

static void
transition(struct instance *i, const char *state, const char *code,
	   const char *message, time_t now)
{
	struct tm tm;
	char when[40];

	snprintf(i->state, sizeof(i->state), "%s", state);
	snprintf(i->reason_code, sizeof(i->reason_code), "%s", code);
	snprintf(i->reason_message, sizeof(i->reason_message), "%s", message);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S GMT", &tm);
	if (code[0])
		snprintf(i->transition_reason, sizeof(i->transition_reason),
			 "User initiated (%s)", when);
	i->state_time = now;
}

/* Load InstanceId.N (at least one) for a state action. */
static int
load_named(struct action_ctx *c, struct instance **v, size_t *n, struct err *e)
{
	struct strlist ids;
	int rc;

	strlist_init(&ids);
	rc = param_strlist(c->req, "InstanceId", INSTANCE_IDS_MAX, &ids, e);
	if (rc == 0 && ids.n == 0)
		rc = err_set(e, "MissingParameter",
			     "The request must contain the parameter "
			     "InstanceId");
	if (rc == 0)
		rc = instances_load(c->tx, &ids, v, n, e);
	strlist_free(&ids);
	return rc;
}

static int
save_all(struct action_ctx *c, struct instance *v, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++)
		if (store_instance_update(c->tx, &v[i], e) < 0)
			return -1;
	return 0;
}

/*
 * Stop, start and terminate share one shape: load every named instance,
 * refuse the whole call if any may not make the move, move the others
 * along, and answer each one's previous and current state.
 */
struct state_action {
	/* 0, or -1 with e filled when i may not make this move. */
	int (*check)(const struct instance *i, struct err *e);
	/* Move i along (nothing for one already there). */
	void (*apply)(struct instance *i, bool force, time_t now);
	const char *list; /* the reply's list: "instancesSet" */
	/* Optional: admit the whole set after the checks (capacity). */
	int (*admit)(struct action_ctx *c, const struct instance *v, size_t n,
		     struct err *e);
};

static int
state_action_run(struct action_ctx *c, struct out *o, struct err *e,
		 const struct state_action *sa, bool force)
{
	struct instance *v = NULL;
	char(*before)[16] = NULL;
	size_t n = 0;
	int rc = -1;

	if (load_named(c, &v, &n, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (sa->check(&v[i], e) < 0)
			goto out;
	if (sa->admit && sa->admit(c, v, n, e) < 0)
		goto out;
	before = calloc(n, sizeof(*before));
	if (!before) {
		err_set(e, "InternalError", "Out of memory.");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(before[i], sizeof(before[i]), "%s", v[i].state);
		sa->apply(&v[i], force, c->now);
	}
	if (save_all(c, v, n, e) < 0)
		goto out;
	out_list(o, sa->list);
	for (size_t i = 0; i < n; i++)
		instance_state_change_write(o, v[i].id, before[i], v[i].state);
	out_list_end(o);
	rc = 0;
out:
	free(before);
	instances_free(v, n);
	return rc;
}

static bool
state_is(const struct instance *i, const char *a, const char *b)
{
	return strcmp(i->state, a) == 0 || (b && strcmp(i->state, b) == 0);
}

static int
stop_check(const struct instance *i, struct err *e)
{
	if (i->no_stop)
		return err_set(
		    e, "OperationNotPermitted",
		    "The instance '%s' may not be stopped. Modify "
		    "its 'disableApiStop' instance attribute and try "
		    "again.",
		    i->id);
	if (state_is(i, "terminated", "shutting-down"))
		return err_set(
		    e, "IncorrectInstanceState",
		    "This instance '%s' is not in a state from which "
		    "it can be stopped.",
		    i->id);
	return 0;
}

/* Already stopped: nothing, as EC2. A stopping one may still be forced. */
static void
stop_apply(struct instance *i, bool force, time_t now)
{
	if (state_is(i, "stopped", NULL))
		return;
	if (force)
		i->force_stop = true;
	if (!state_is(i, "stopping", NULL))
		transition(i, "stopping", "Client.UserInitiatedShutdown",
			   "Client.UserInitiatedShutdown: User initiated "
			   "shutdown",
			   now);
}

int
ec2_stop_instances(struct action_ctx *c, struct out *o, struct err *e)
{
	static const struct state_action stop = {
	    .check = stop_check,
	    .apply = stop_apply,
	    .list = "instancesSet",
	};
	bool force = false, hibernate = false;

	if (param_bool(c->req, "Force", &force, e) < 0 ||
	    param_bool(c->req, "Hibernate", &hibernate, e) < 0)
		return -1;
	if (hibernate)
		return err_set(e, "UnsupportedHibernationConfiguration",
			       "The instance was not launched with hibernation "
			       "enabled.");
	return state_action_run(c, o, e, &stop, force);
}

static int
start_check(const struct instance *i, struct err *e)
{
	if (!state_is(i, "stopped", "pending") && !state_is(i, "running", NULL))
		return err_set(e, "IncorrectInstanceState",
			       "The instance '%s' is not in a state from which "
			       "it can be started.",
			       i->id);
	return 0;
}

static void
start_apply(struct instance *i, bool force, time_t now)
{
	if (!state_is(i, "stopped", NULL))
		return;
	transition(i, "pending", "", "", now);
	i->transition_reason[0] = '\0';
	i->force_stop = false;
	i->guest_ready = false;
	i->launch_time = now;
}

static int
start_admit(struct action_ctx *c, const struct instance *v, size_t n,
	    struct err *e)
{
	bool starts = false;

	for (size_t i = 0; i < n; i++)
		starts = starts || state_is(&v[i], "stopped", NULL);
	/* Only a start of a stopped one writes to the disk. */
	if (starts && reserve_check(c->cfg, e) < 0)
		return -1;
	return instances_fit_hosts(c->tx, v, n, e);
}

int
ec2_start_instances(struct action_ctx *c, struct out *o, struct err *e)
{
	static const struct state_action start = {
	    .check = start_check,
	    .apply = start_apply,
	    .list = "instancesSet",
	    .admit = start_admit,
	};

	return state_action_run(c, o, e, &start, false);
}

static int
terminate_check(const struct instance *i, struct err *e)
{
	if (i->no_terminate)
		return err_set(
		    e, "OperationNotPermitted",
		    "The instance '%s' may not be terminated. Modify "
		    "its 'disableApiTermination' instance attribute "
		    "and try again.",
		    i->id);
	return 0;
}

static void
terminate_apply(struct instance *i, bool force, time_t now)
{
	if (state_is(i, "terminated", "shutting-down"))
		return;
	transition(i, "shutting-down", "Client.UserInitiatedShutdown",
		   "Client.UserInitiatedShutdown: User initiated shutdown",
		   now);
}

int
ec2_terminate_instances(struct action_ctx *c, struct out *o, struct err *e)
{
	static const struct state_action terminate = {
	    .check = terminate_check,
	    .apply = terminate_apply,
	    .list = "instancesSet",
	};

	return state_action_run(c, o, e, &terminate, false);
}

int
ec2_reboot_instances(struct action_ctx *c, struct out *o, struct err *e)
{
	struct instance *v = NULL;
	size_t n = 0;
	int rc = -1;

	if (load_named(c, &v, &n, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].state, "terminated") == 0 ||
		    strcmp(v[i].state, "shutting-down") == 0) {
			err_set(e, "IncorrectInstanceState",
				"The instance '%s' is not in a state from "
				"which it can be rebooted.",
				v[i].id);
			goto out;
		}
	/* EC2 reboots what runs and ignores the rest. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].state, "running") == 0) {
			v[i].boot++;
			v[i].guest_ready = false;
		}
	if (save_all(c, v, n, e) < 0)
		goto out;
	out_bool(o, "return", true);
	rc = 0;
out:
	instances_free(v, n);
	return rc;
}

/* DescribeInstanceStatus. */

/*
 * The checks of one instance. Running: the system check is ok, the
 * instance check ok once the guest has read its metadata (initializing
 * before). A running guest that its QEMU holds paused on a disk error (a
 * full disk on the host) fails both, each with its reachability detail
 * failed since then: the system check (the host's disk) and the
 * instance check (a paused guest answers nothing). Not running:
 * not-applicable.
 */
struct status_view {
	const struct instance *i;
	const char *status; /* ok, initializing, impaired, not-applicable */
	const char *system; /* ok, impaired, not-applicable */
};

#define SV(r) ((const struct status_view *)(r))

static void
status_view_of(const struct instance *i, struct status_view *sv)
{
	bool running = strcmp(i->state, "running") == 0;

	sv->i = i;
	sv->status = !running	      ? "not-applicable"
		     : i->impaired[0] ? "impaired"
		     : i->guest_ready ? "ok"
				      : "initializing";
	sv->system = !running	      ? "not-applicable"
		     : i->impaired[0] ? "impaired"
				      : "ok";
}

/* A detail's status for a summary's (StatusType vs StatusSummary). */
static const char *
detail_of(const char *status)
{
	if (strcmp(status, "ok") == 0)
		return "passed";
	if (strcmp(status, "impaired") == 0)
		return "failed";
	return status;
}

static void
s_zone(const void *r, struct strlist *o)
{
	strlist_add(o, SV(r)->i->zone);
}
static void
s_state(const void *r, struct strlist *o)
{
	strlist_add(o, SV(r)->i->state);
}
static void
s_code(const void *r, struct strlist *o)
{
	strlist_addf(o, "%d", instance_state_code(SV(r)->i->state));
}
static void
s_status(const void *r, struct strlist *o)
{
	strlist_add(o, SV(r)->status);
}
static void
s_reach(const void *r, struct strlist *o)
{
	strlist_add(o, detail_of(SV(r)->status));
}
static void
s_system(const void *r, struct strlist *o)
{
	strlist_add(o, SV(r)->system);
}
static void
s_system_reach(const void *r, struct strlist *o)
{
	strlist_add(o, detail_of(SV(r)->system));
}

static const struct filter_field status_fields[] = {
    {"availability-zone", s_zone},
    {"instance-state-code", s_code},
    {"instance-state-name", s_state},
    {"instance-status.reachability", s_reach},
    {"instance-status.status", s_status},
    {"system-status.reachability", s_system_reach},
    {"system-status.status", s_system},
};

static const struct filter_spec status_filters = {
    .fields = status_fields,
    .nfields = sizeof(status_fields) / sizeof(status_fields[0]),
};

/*
 * A status check: its summary, and the reachability detail when there is
 * one (with impairedSince when it failed). A check that does not apply
 * (the instance is not running) has no details, as on EC2:
 * "not-applicable" is no detail status (StatusType).
 */
static void
check_write(struct out *o, const char *name, const char *status,
	    time_t impaired_since)
{
	out_open(o, name);
	out_str(o, "status", status);
	if (strcmp(status, "not-applicable") != 0) {
		out_list(o, "details");
		out_item(o);
		out_str(o, "name", "reachability");
		out_str(o, "status", detail_of(status));
		if (strcmp(status, "impaired") == 0)
			out_time(o, "impairedSince", impaired_since);
		out_item_end(o);
		out_list_end(o);
	}
	out_close(o);
}

/* Offer one instance to the page; write it when it belongs there. */
static void
status_offer(struct out *o, const struct filter_set *fs, struct page *pg,
	     bool all, const struct instance *i)
{
	bool running = strcmp(i->state, "running") == 0;
	struct status_view sv;

	status_view_of(i, &sv);
	/* Only running instances, unless all are asked for. */
	if ((!running && !all) || strcmp(i->state, "terminated") == 0 ||
	    !filters_match(fs, &status_filters, &sv) || !page_take(pg, i->id))
		return;
	out_item(o);
	out_str(o, "instanceId", i->id);
	out_str(o, "availabilityZone", i->zone);
	out_open(o, "instanceState");
	out_int(o, "code", instance_state_code(i->state));
	out_str(o, "name", i->state);
	out_close(o);
	check_write(o, "systemStatus", sv.system, i->impaired_since);
	check_write(o, "instanceStatus", sv.status, i->impaired_since);
	/* ec2d's own: why it is impaired (EC2's shape has no such field;
	 * SDKs skip an element they do not know). */
	if (i->impaired[0])
		out_str(o, "impairedReason", i->impaired);
	out_list(o, "eventsSet");
	out_list_end(o);
	out_item_end(o);
}

#define STATUS_BATCH_MIN 100
#define STATUS_SCAN_MAX	 20000

/*
 * Every instance in id order, a batch at a time from the token on: the
 * states and zones SQL can match narrow the query, the filters decide.
 */
static int
status_walk(struct action_ctx *c, struct out *o, const struct filter_set *fs,
	    struct page *pg, bool all, struct err *e)
{
	static const char *const live[] = {"pending", "running", "stopping",
					   "stopped", "shutting-down"};
	static const char *const running[] = {"running"};
	struct instance_query q = {.order = INSTANCE_BY_ID};
	char after[PAGE_KEY_MAX], last[32] = "";
	size_t scanned = 0;

	q.states.v = all ? live : running;
	q.states.n = all ? sizeof(live) / sizeof(live[0]) : 1;
	filter_literal(fs, "availability-zone", &q.zones);
	snprintf(after, sizeof(after), "%s", pg->after);
	q.after_id = after;
	q.limit = (size_t)pg->max + 1;
	if (q.limit < STATUS_BATCH_MIN)
		q.limit = STATUS_BATCH_MIN;
	for (;;) {
		struct instance *v = NULL;
		size_t n = 0;

		if (store_instance_query(c->tx, &q, &v, &n, e) < 0)
			return -1;
		for (size_t i = 0; i < n && !pg->more; i++)
			status_offer(o, fs, pg, all, &v[i]);
		scanned += n;
		if (n) {
			snprintf(last, sizeof(last), "%s", v[n - 1].id);
			snprintf(after, sizeof(after), "%s", v[n - 1].id);
		}
		instances_free(v, n);
		if (pg->more || n < q.limit)
			return 0;
		if (pg->max && scanned >= STATUS_SCAN_MAX) {
			page_stop_at(pg, last);
			return 0;
		}
	}
}

int
ec2_describe_instance_status(struct action_ctx *c, struct out *o, struct err *e)
{
	struct strlist ids;
	struct filter_set fs = {0};
	struct instance *v = NULL;
	struct page pg;
	bool all = false;
	size_t n = 0;
	int rc = -1;

	strlist_init(&ids);
	if (param_strlist(c->req, "InstanceId", 100, &ids, e) < 0 ||
	    param_bool(c->req, "IncludeAllInstances", &all, e) < 0 ||
	    page_parse(c, "DescribeInstanceStatus", 5, 1000, &pg, e) < 0 ||
	    filters_parse(c->req, &status_filters, &fs, e) < 0)
		goto out;
	if (ids.n && instances_load(c->tx, &ids, &v, &n, e) < 0)
		goto out;
	out_list(o, "instanceStatusSet");
	if (ids.n) {
		for (size_t i = 0; i < n; i++)
			status_offer(o, &fs, &pg, all, &v[i]);
	} else if (status_walk(c, o, &fs, &pg, all, e) < 0) {
		goto out;
	}
	out_list_end(o);
	page_write_token(&pg, o, "nextToken");
	rc = 0;
out:
	instances_free(v, n);
	filters_free(&fs);
	strlist_free(&ids);
	return rc;
}

/* GetConsoleOutput: the tail the reconciler copied from the host. */
int
ec2_get_console_output(struct action_ctx *c, struct out *o, struct err *e)
{
	const char *id = NULL;
	struct instance i;
	bool latest = false;
	int rc;

	if (param_str(c->req, "InstanceId", true, 64, &id, e) < 0 ||
	    instance_id_check(id, e) < 0 ||
	    param_bool(c->req, "Latest", &latest, e) < 0)
		return -1;
	rc = store_instance_get(c->tx, id, &i, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return err_set(e, "InvalidInstanceID.NotFound",
			       "The instance ID '%s' does not exist", id);
	out_str(o, "instanceId", i.id);
	out_time(o, "timestamp", c->now);
	out_str(o, "output", i.console);
	instance_clear(&i);
	return 0;
}

/* Instance attributes. */

static const char *const attributes[] = {"instanceType",
					 "userData",
					 "disableApiTermination",
					 "disableApiStop",
					 "instanceInitiatedShutdownBehavior",
					 "rootDeviceName",
					 "sourceDestCheck",
					 "ebsOptimized",
					 "enaSupport",
					 "groupSet",
					 NULL};

static void
attr_value(struct out *o, const char *name, const char *value)
{
	out_open(o, name);
	out_str(o, "value", value);
	out_close(o);
}

int
ec2_describe_instance_attribute(struct action_ctx *c, struct out *o,
				struct err *e)
{
	const char *id = NULL, *attr = NULL;
	struct instance i;
	int rc;

	if (param_str(c->req, "InstanceId", true, 64, &id, e) < 0 ||
	    instance_id_check(id, e) < 0 ||
	    param_enum(c->req, "Attribute", true, attributes, &attr, e) < 0)
		return -1;
	rc = store_instance_get(c->tx, id, &i, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return err_set(e, "InvalidInstanceID.NotFound",
			       "The instance ID '%s' does not exist", id);
	out_str(o, "instanceId", i.id);
	if (strcmp(attr, "instanceType") == 0)
		attr_value(o, "instanceType", i.type);
	else if (strcmp(attr, "userData") == 0) {
		out_open(o, "userData");
		if (i.user_data[0])
			out_str(o, "value", i.user_data);
		out_close(o);
	} else if (strcmp(attr, "disableApiTermination") == 0)
		attr_value(o, "disableApiTermination",
			   i.no_terminate ? "true" : "false");
	else if (strcmp(attr, "disableApiStop") == 0)
		attr_value(o, "disableApiStop", i.no_stop ? "true" : "false");
	else if (strcmp(attr, "instanceInitiatedShutdownBehavior") == 0)
		attr_value(o, "instanceInitiatedShutdownBehavior",
			   i.shutdown_behavior);
	else if (strcmp(attr, "rootDeviceName") == 0)
		attr_value(o, "rootDeviceName", "/dev/xvda");
	else if (strcmp(attr, "sourceDestCheck") == 0)
		attr_value(o, "sourceDestCheck", "true");
	else if (strcmp(attr, "ebsOptimized") == 0)
		attr_value(o, "ebsOptimized", "false");
	else if (strcmp(attr, "enaSupport") == 0)
		attr_value(o, "enaSupport", "true");
	else {
		out_list(o, "groupSet");
		out_list_end(o);
	}
	instance_clear(&i);
	return 0;
}

/*
 * ModifyInstanceAttribute takes one attribute per call, either as
 * Attribute + Value or as its own member (InstanceType.Value, ...).
 */
struct modify {
	const char *type, *user_data, *no_terminate, *no_stop, *shutdown;
	int count;
};

static void
modify_take(const struct param *req, const char *member, const char *attr,
	    const char **slot, struct modify *m)
{
	char path[96];
	const char *v;

	snprintf(path, sizeof(path), "%s.Value", member);
	v = param_value(req, path);
	if (!v && param_value(req, "Attribute") &&
	    strcmp(param_value(req, "Attribute"), attr) == 0)
		v = param_value(req, "Value");
	if (v) {
		*slot = v;
		m->count++;
	}
}

static int
bool_text(const char *s, const char *name, bool *ret, struct err *e)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
		*ret = strcmp(s, "true") == 0;
		return 0;
	}
	return err_set(e, "InvalidParameterValue",
		       "Value (%.20s) for parameter %s is invalid. Expected "
		       "'true' or 'false'.",
		       s, name);
}

int
ec2_modify_instance_attribute(struct action_ctx *c, struct out *o,
			      struct err *e)
{
	const char *id = NULL, *attr = NULL;
	struct modify m = {0};
	struct instance i;
	int rc = -1, found;

	if (param_str(c->req, "InstanceId", true, 64, &id, e) < 0 ||
	    instance_id_check(id, e) < 0 ||
	    param_enum(c->req, "Attribute", false, attributes, &attr, e) < 0)
		return -1;
	modify_take(c->req, "InstanceType", "instanceType", &m.type, &m);
	modify_take(c->req, "UserData", "userData", &m.user_data, &m);
	modify_take(c->req, "DisableApiTermination", "disableApiTermination",
		    &m.no_terminate, &m);
	modify_take(c->req, "DisableApiStop", "disableApiStop", &m.no_stop, &m);
	modify_take(c->req, "InstanceInitiatedShutdownBehavior",
		    "instanceInitiatedShutdownBehavior", &m.shutdown, &m);
	if (m.count != 1)
		return err_set(e, "InvalidParameterCombination",
			       m.count ? "Only one attribute can be modified "
					 "at a time."
				       : "No attribute to modify was given "
					 "(or ec2d cannot modify it yet).");
	found = store_instance_get(c->tx, id, &i, e);
	if (found < 0)
		return -1;
	if (found == 1)
		return err_set(e, "InvalidInstanceID.NotFound",
			       "The instance ID '%s' does not exist", id);
	if (strcmp(i.state, "terminated") == 0 ||
	    strcmp(i.state, "shutting-down") == 0) {
		err_set(e, "IncorrectInstanceState",
			"The instance '%s' is not in a state from which it can "
			"be modified.",
			id);
		goto out;
	}
	if ((m.type || m.user_data) && strcmp(i.state, "stopped") != 0) {
		err_set(e, "IncorrectInstanceState",
			"The instance '%s' is not in the 'stopped' state.", id);
		goto out;
	}
	if (m.type) {
		if (!itype_find(m.type)) {
			err_set(e, "InvalidInstanceAttributeValue",
				"Value (%.64s) for parameter instanceType is "
				"invalid.",
				m.type);
			goto out;
		}
		snprintf(i.type, sizeof(i.type), "%s", m.type);
	}
	if (m.user_data) {
		size_t len;
		unsigned char *raw =
		    b64_decode(m.user_data, strlen(m.user_data), &len);

		if (!raw || len > 16384) {
			free(raw);
			err_set(e, "InvalidParameterValue",
				"User data must be base64 encoded and at most "
				"16384 bytes.");
			goto out;
		}
		free(raw);
		free(i.user_data);
		i.user_data = strdup(m.user_data);
		if (!i.user_data) {
			err_set(e, "InternalError", "Out of memory.");
			goto out;
		}
	}
	if ((m.no_terminate &&
	     bool_text(m.no_terminate, "disableApiTermination", &i.no_terminate,
		       e) < 0) ||
	    (m.no_stop &&
	     bool_text(m.no_stop, "disableApiStop", &i.no_stop, e) < 0))
		goto out;
	if (m.shutdown) {
		if (strcmp(m.shutdown, "stop") != 0 &&
		    strcmp(m.shutdown, "terminate") != 0) {
			err_set(e, "InvalidParameterValue",
				"Value (%.20s) for parameter "
				"instanceInitiatedShutdownBehavior is invalid.",
				m.shutdown);
			goto out;
		}
		snprintf(i.shutdown_behavior, sizeof(i.shutdown_behavior), "%s",
			 m.shutdown);
	}
	if (store_instance_update(c->tx, &i, e) < 0)
		goto out;
	out_bool(o, "return", true);
	rc = 0;
out:
	instance_clear(&i);
	return rc;
}
