/*
 * router.c - the generic request path. See router.h.
 */
#include "router.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "api/ec2xml.h"
#include "api/query.h"
#include "api/ratelimit.h"
#include "common/buf.h"
#include "common/fault.h"
#include "common/ids.h"
#include "services/ec2/ec2.h"
#include "store/idem.h"

#define REPLY_MAX	 (16u << 20)
#define CLIENT_TOKEN_MAX 64

struct api {
	const struct config *cfg;
	struct store *store;
	struct ratelimit *rl;
	const struct action *actions;
	size_t nactions;
	void (*notify)(void *ctx);
	void *notify_ctx;
};

/*
 * Set once the control plane runs, while requests may already be served:
 * the context is stored before the function and read after it.
 */
void
api_set_notify(struct api *a, void (*fn)(void *ctx), void *ctx)
{
	__atomic_store_n(&a->notify_ctx, ctx, __ATOMIC_RELEASE);
	__atomic_store_n(&a->notify, fn, __ATOMIC_RELEASE);
}

static void
api_notify(struct api *a)
{
	void (*fn)(void *) = __atomic_load_n(&a->notify, __ATOMIC_ACQUIRE);

	if (fn)
		fn(__atomic_load_n(&a->notify_ctx, __ATOMIC_ACQUIRE));
}

size_t
api_service_count(void)
{
	return 1;
}

const struct action *
api_service_actions(size_t i, const char **ret_name, size_t *ret_count)
{
	if (i != 0)
		return NULL;
	*ret_name = "ec2";
	*ret_count = ec2_actions_count;
	return ec2_actions;
}

struct api *
api_new(const struct config *cfg, struct store *s)
{
	return api_new_table(cfg, s, ec2_actions, ec2_actions_count);
}

struct api *
api_new_table(const struct config *cfg, struct store *s,
	      const struct action *table, size_t n)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->cfg = cfg;
	a->store = s;
	a->actions = table;
	a->nactions = n;
	a->rl = ratelimit_new(cfg->rate, cfg->burst);
	if (!a->rl) {
		free(a);
		return NULL;
	}
	return a;
}

void
api_free(struct api *a)
{
	if (!a)
		return;
	ratelimit_free(a->rl);
	free(a);
}

int
api_status_for(const char *code)
{
	static const struct {
		const char *code;
		int status;
	} table[] = {
	    {"AuthFailure", 401},
	    {"DryRunOperation", 412},
	    {"InternalError", 500},
	    {"MissingAuthenticationToken", 403},
	    {"RequestEntityTooLarge", 413},
	    {"RequestLimitExceeded", 503},
	    {"SignatureDoesNotMatch", 403},
	    {"UnauthorizedOperation", 403},
	    {"Unavailable", 503},
	    /* Among EC2's server errors: HTTP 500, which SDKs retry. */
	    {"InsufficientInstanceCapacity", 500},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].code, code) == 0)
			return table[i].status;
	return 400;
}

void
api_reply_free(struct api_reply *rep)
{
	free(rep->body);
	rep->body = NULL;
	rep->len = 0;
}

static void
reply_take(struct api_reply *rep, int status, struct buf *b)
{
	rep->status = status;
	rep->body = buf_steal(b, &rep->len);
	if (!rep->body) {
		/* Only a reply over REPLY_MAX or no memory gets here. */
		static const char fallback[] =
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>"
		    "<Errors><Error><Code>InternalError</Code><Message>The "
		    "reply was too large.</Message></Error></Errors>"
		    "</Response>";

		rep->status = 500;
		rep->body = strdup(fallback);
		rep->len = rep->body ? strlen(fallback) : 0;
	}
}

static void
reply_error(struct api_reply *rep, const struct err *e)
{
	struct buf b;

	buf_init(&b, REPLY_MAX);
	ec2xml_error(&b, e, rep->request_id);
	snprintf(rep->code, sizeof(rep->code), "%s", e->code);
	reply_take(rep, api_status_for(e->code), &b);
}

void
api_error_reply(const struct err *e, struct api_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	id_request(rep->request_id);
	reply_error(rep, e);
}

/* Authentication. */

static const char *
header(const struct api_request *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

struct auth_ctx {
	struct api *a;
	struct access_key key;
};

static int
secret_lookup(void *ctx, const char *id, char *secret, size_t size)
{
	struct auth_ctx *ac = ctx;
	struct store_tx *tx = store_begin(ac->a->store, false, NULL);
	int rc;

	if (!tx)
		return -1;
	rc = store_access_key_get(tx, id, &ac->key, NULL);
	store_rollback(tx);
	if (rc != 0 ||
	    snprintf(secret, size, "%s", ac->key.secret) >= (int)size)
		return -1;
	return 0;
}

/* True when the query holds a parameter called name. */
static bool
query_has(const struct query_list *q, const char *name)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->v[i].name, name) == 0)
			return true;
	return false;
}

/* q: the query string, split and decoded once for SigV4 and parameters. */
static int
authenticate(struct api *a, const struct api_request *r,
	     const struct query_list *q, struct auth_ctx *ac, struct err *e)
{
	struct sigv4_request sr = {
	    .method = r->method,
	    .path = r->path,
	    .query = r->query,
	    .decoded = q,
	    .headers = r->headers,
	    .nheaders = r->nheaders,
	    .body = r->body,
	    .body_len = r->body_len,
	};
	struct sigv4_result res;

	ac->a = a;
	if (sigv4_verify(&sr, time(NULL), secret_lookup, ac, &res, e) < 0)
		return -1;
	/* No temporary credentials exist yet (STS comes later), so a
	 * session token can only be one ec2d did not issue. */
	if (header(r, "X-Amz-Security-Token") ||
	    query_has(q, "X-Amz-Security-Token"))
		return err_set(e, "AuthFailure",
			       "The security token included in the request is "
			       "invalid.");
	if (strcmp(res.region, a->cfg->region) != 0)
		return err_set(e, "SignatureDoesNotMatch",
			       "Credential should be scoped to a valid region, "
			       "not '%.60s'. This endpoint serves '%s'.",
			       res.region, a->cfg->region);
	if (strcmp(res.service, "ec2") != 0)
		return err_set(e, "SignatureDoesNotMatch",
			       "Credential should be scoped to correct "
			       "service: 'ec2'.");
	return 0;
}

/* Parameters. */

static int
decode(const struct api_request *r, const struct query_list *q,
       struct param *root, struct err *e)
{
	const char *ct = header(r, "Content-Type");

	if (query_params(q, root, 1, e) < 0)
		return -1;
	if (strcmp(r->method, "POST") != 0 || r->body_len == 0)
		return 0;
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded",
			       strlen("application/x-www-form-urlencoded")))
		return err_set(e, "InvalidParameterValue",
			       "The request body must be "
			       "application/x-www-form-urlencoded.");
	return query_decode(r->body, r->body_len, root, 0, e);
}

static bool
generic_param(const char *name)
{
	return strcmp(name, "Action") == 0 || strcmp(name, "Version") == 0 ||
	       strcmp(name, "DryRun") == 0 || strcmp(name, "ClientToken") == 0;
}

static int
check_params(const struct action *act, const struct param *root, struct err *e)
{
	for (size_t i = 0; i < root->nkids; i++) {
		const char *name = root->kids[i]->name;
		bool ok = generic_param(name);

		for (size_t k = 0; !ok && act->params[k]; k++)
			ok = strcmp(act->params[k], name) == 0;
		if (strcmp(name, "DryRun") == 0 &&
		    !(act->flags & ACTION_DRY_RUN))
			ok = false;
		if (strcmp(name, "ClientToken") == 0 &&
		    !(act->flags & ACTION_CLIENT_TOKEN))
			ok = false;
		if (!ok)
			return err_set(e, "UnknownParameter",
				       "The parameter %.100s is not recognized",
				       name);
	}
	return 0;
}

/* A digest of the request's parameters, bar the generic ones. */
static void
params_canon(const struct param *p, struct buf *b, const char *prefix,
	     int depth)
{
	for (size_t i = 0; i < p->nkids; i++) {
		const struct param *k = p->kids[i];
		char path[1024];

		if (depth == 0 && (strcmp(k->name, "ClientToken") == 0 ||
				   strcmp(k->name, "DryRun") == 0))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix, depth ? "." : "",
			 k->name);
		if (k->value) {
			buf_adds(b, path);
			buf_addc(b, '=');
			buf_add(b, k->value, strlen(k->value) + 1);
		}
		params_canon(k, b, path, depth + 1);
	}
}

static void
params_hash(const struct param *root, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	struct buf b;

	buf_init(&b, 0);
	params_canon(root, &b, "", 0);
	EVP_Digest(b.data ? b.data : "", b.len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	buf_free(&b);
}

static void
envelope(struct api_reply *rep, const char *action, const char *inner)
{
	struct buf b;

	buf_init(&b, REPLY_MAX);
	ec2xml_begin(&b, action, rep->request_id);
	buf_adds(&b, inner);
	ec2xml_end(&b, action);
	reply_take(rep, 200, &b);
}

/* Fault injection (fault.h): "api.ACTION.STEP", when one is armed. */
static void
crash_point(const char *action, const char *step)
{
	char name[96];

	if (fault_armed()) {
		snprintf(name, sizeof(name), "api.%s.%s", action, step);
		fault_point(name);
	}
}

/* Run act in one transaction; DryRun rolls back and says so. */
static int
run_action(struct api *a, const struct action *act, struct action_ctx *c,
	   const char *token, bool dry_run, struct api_reply *rep,
	   struct err *e)
{
	char hash[65] = "";
	char *old_hash = NULL, *old_body = NULL;
	struct buf inner;
	struct out o;
	int rc;

	c->tx = store_begin(a->store, (act->flags & ACTION_WRITE) != 0, e);
	if (!c->tx)
		return -1;
	if (token) {
		params_hash(c->req, hash);
		rc = store_idem_get(c->tx, c->access_key, act->name, token,
				    &old_hash, &old_body, e);
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			bool same = strcmp(old_hash, hash) == 0;

			store_rollback(c->tx);
			if (same && !dry_run)
				envelope(rep, act->name, old_body);
			free(old_hash);
			free(old_body);
			if (!same)
				return err_set(e, "IdempotentParameterMismatch",
					       "Arguments on this idempotent "
					       "request are inconsistent with "
					       "arguments used in previous "
					       "request(s).");
			if (dry_run)
				return err_set(e, "DryRunOperation",
					       "Request would have succeeded, "
					       "but DryRun flag is set.");
			return 0;
		}
	}
	buf_init(&inner, REPLY_MAX);
	ec2xml_out_init(&o, &inner);
	rc = act->run(c, &o, e);
	if (rc == 0 && (o.failed || buf_failed(&inner)))
		rc = err_set(e, "InternalError",
			     "The reply could not be built.");
	if (rc < 0 || dry_run) {
		buf_free(&inner);
		store_rollback(c->tx);
		if (rc == 0)
			return err_set(e, "DryRunOperation",
				       "Request would have succeeded, but "
				       "DryRun flag is set.");
		return -1;
	}
	if (token && store_idem_put(c->tx, c->access_key, act->name, token,
				    hash, buf_cstr(&inner), e) < 0) {
		buf_free(&inner);
		goto fail;
	}
	crash_point(act->name, "before-commit");
	if (store_commit(c->tx, e) < 0) {
		buf_free(&inner);
		return -1;
	}
	crash_point(act->name, "after-commit");
	if (act->flags & ACTION_WRITE)
		api_notify(a);
	envelope(rep, act->name, buf_cstr(&inner));
	buf_free(&inner);
	return 0;
fail:
	store_rollback(c->tx);
	return -1;
}

static double
now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int
run(struct api *a, const struct access_key *who, const struct param *root,
    struct api_reply *rep, struct err *e)
{
	const struct action *act;
	const char *name = NULL, *version = NULL, *token = NULL;
	bool dry_run = false;
	int rc;

	/* EC2's common error for no action at all. */
	if (!param_value(root, "Action"))
		return err_set(e, "MissingAction",
			       "The request must contain the parameter "
			       "Action.");
	if (param_str(root, "Action", true, 63, &name, e) < 0)
		return -1;
	/* Action names are letters and digits; nothing else reaches a log. */
	if (!*name || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "abcdefghijklmnopqrstuvwxyz0123456789") !=
			  strlen(name))
		return err_set(e, "InvalidAction",
			       "The action is not valid for this web service.");
	snprintf(rep->action, sizeof(rep->action), "%s", name);
	if (param_str(root, "Version", true, 32, &version, e) < 0)
		return -1;
	if (strcmp(version, EC2_API_VERSION) != 0)
		return err_set(e, "NoSuchVersion",
			       "The requested version (%.32s) of service "
			       "AmazonEC2 does not exist",
			       version);
	act = action_find(a->actions, a->nactions, name);
	if (!act)
		return err_set(e, "InvalidAction",
			       "The action %.63s is not valid for this web "
			       "service.",
			       name);
	if (check_params(act, root, e) < 0 ||
	    param_bool(root, "DryRun", &dry_run, e) < 0 ||
	    param_str(root, "ClientToken", false, CLIENT_TOKEN_MAX, &token, e) <
		0)
		return -1;
	struct action_ctx c = {
	    .cfg = a->cfg,
	    .req = root,
	    .access_key = who->id,
	    .account = who->account,
	    .request_id = rep->request_id,
	    .now = time(NULL),
	};
	if (act->prepare && act->prepare(&c, e) < 0)
		return -1;
	rc = run_action(a, act, &c, token && *token ? token : NULL, dry_run,
			rep, e);
	if (act->release)
		act->release(&c);
	return rc;
}

void
api_run(struct api *a, const struct access_key *who, const struct param *root,
	struct api_reply *rep)
{
	struct err e = {"", ""};

	memset(rep, 0, sizeof(*rep));
	id_request(rep->request_id);
	if (run(a, who, root, rep, &e) < 0) {
		api_reply_free(rep);
		reply_error(rep, &e);
	}
}

static int
dispatch(struct api *a, const struct api_request *r, struct api_reply *rep,
	 struct err *e)
{
	struct auth_ctx ac = {0};
	struct query_list q;
	struct param *root = NULL;
	int rc = -1;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0)
		return err_set(e, "UnsupportedOperation",
			       "The HTTP method %.16s is not supported: EC2 "
			       "requests use GET or POST.",
			       r->method);
	if (sigv4_query_split(r->query, &q, e) < 0)
		return -1;
	if (authenticate(a, r, &q, &ac, e) < 0)
		goto out;
	if (!ratelimit_take(a->rl, ac.key.id, now_seconds())) {
		err_set(e, "RequestLimitExceeded", "Request limit exceeded.");
		goto out;
	}
	root = params_new();
	if (!root) {
		err_set(e, "InternalError", "Out of memory.");
		goto out;
	}
	if (decode(r, &q, root, e) == 0)
		rc = run(a, &ac.key, root, rep, e);
out:
	params_free(root);
	query_list_free(&q);
	return rc;
}

void
api_handle(struct api *a, const struct api_request *r, struct api_reply *rep)
{
	struct err e = {"", ""};

	memset(rep, 0, sizeof(*rep));
	id_request(rep->request_id);
	if (dispatch(a, r, rep, &e) < 0) {
		api_reply_free(rep);
		reply_error(rep, &e);
	}
}
