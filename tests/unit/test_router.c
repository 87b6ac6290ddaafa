/*
 * test_router.c - the generic request path with a table of test actions:
 * Action/Version checks, UnknownParameter, DryRun (rolled back, 412),
 * ClientToken replay and mismatch, rollback of a failed action, and the
 * reply envelope.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/router.h"
#include "store/meta.h"
#include "unit.h"

static struct store *store;

/* TestMake: counts calls in the store and answers a fresh id. */
static int
test_make(struct action_ctx *c, struct out *o, struct err *e)
{
	const char *name = NULL;
	char count[32] = "0";
	long long n = 0;

	if (param_str(c->req, "Name", true, 32, &name, e) < 0)
		return -1;
	if (strcmp(name, "bad") == 0)
		return err_set(e, "InvalidParameterValue", "bad name");
	if (store_meta_get(c->tx, "made", count, sizeof(count), e) < 0)
		return -1;
	parse_ll(count, 0, 1000000, &n);
	snprintf(count, sizeof(count), "%lld", n + 1);
	if (store_meta_set(c->tx, "made", count, e) < 0)
		return -1;
	out_str(o, "made", count);
	out_str(o, "name", name);
	return 0;
}

/* TestFail: writes, then fails: the write must not survive. */
static int
test_fail(struct action_ctx *c, struct out *o, struct err *e)
{
	if (store_meta_set(c->tx, "failed-write", "yes", e) < 0)
		return -1;
	return err_set(e, "InvalidParameterValue", "always fails");
}

#define PARAMS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct action table[] = {
    {.name = "TestFail", test_fail, ACTION_WRITE, PARAMS("Name")},
    {.name = "TestMake",
     test_make,
     ACTION_WRITE | ACTION_DRY_RUN | ACTION_CLIENT_TOKEN,
     PARAMS("Name")},
};

static struct param *
req(const char *const *kv)
{
	struct param *p = params_new();
	struct err e;

	for (; kv[0]; kv += 2)
		params_set(p, kv[0], kv[1], &e);
	return p;
}

/* Run a request; return its status; body and code into the caller's. */
static int
call(struct api *a, const char *const *kv, char *body, size_t size, char *code)
{
	struct access_key who = {.id = "AKIDTEST", .account = "123456789012"};
	struct param *p = req(kv);
	struct api_reply rep;
	int status;

	api_run(a, &who, p, &rep);
	snprintf(body, size, "%.*s", (int)rep.len, rep.body);
	snprintf(code, ERR_CODE_MAX, "%s", rep.code);
	status = rep.status;
	api_reply_free(&rep);
	params_free(p);
	return status;
}

static const char *
made(void)
{
	static char v[32];
	struct err e;
	struct store_tx *tx = store_begin(store, false, &e);

	snprintf(v, sizeof(v), "0");
	store_meta_get(tx, "made", v, sizeof(v), &e);
	store_rollback(tx);
	return v;
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define V	"2016-11-15"

int
main(void)
{
	char dir[] = "/tmp/ec2d-test-router-XXXXXX";
	char body[4096], body2[4096], code[ERR_CODE_MAX], path[256], v[8];
	struct config cfg;
	struct err e;
	struct api *a;
	struct store_tx *tx;
	int st;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	config_defaults(&cfg);
	CHECK(store_open(dir, &store, &e) == 0, "store_open: %s", e.message);
	a = api_new_table(&cfg, store, table, 2);

	st = call(a, KV("Version", V), body, sizeof(body), code);
	CHECK(st == 400 && strcmp(code, "MissingAction") == 0,
	      "no Action: %d %s", st, code);
	st = call(a, KV("Action", "TestMake", "Name", "x"), body, sizeof(body),
		  code);
	CHECK(strcmp(code, "MissingParameter") == 0 && strstr(body, "Version"),
	      "no Version: %s", body);
	st = call(a, KV("Action", "TestMake", "Version", "2014-01-01"), body,
		  sizeof(body), code);
	CHECK(strcmp(code, "NoSuchVersion") == 0, "old version: %s", code);
	st = call(a, KV("Action", "Nope", "Version", V), body, sizeof(body),
		  code);
	CHECK(st == 400 && strcmp(code, "InvalidAction") == 0 &&
		  strstr(body, "<RequestID>") &&
		  strstr(body, "The action Nope is not valid"),
	      "InvalidAction: %s", body);
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "x", "Colour",
		     "red"),
		  body, sizeof(body), code);
	CHECK(strcmp(code, "UnknownParameter") == 0 && strstr(body, "Colour"),
	      "UnknownParameter: %s", body);
	st = call(a, KV("Action", "TestFail", "Version", V, "DryRun", "true"),
		  body, sizeof(body), code);
	CHECK(strcmp(code, "UnknownParameter") == 0,
	      "DryRun where not accepted: %s", code);
	st = call(a, KV("Action", "TestFail", "Version", V, "ClientToken", "t"),
		  body, sizeof(body), code);
	CHECK(strcmp(code, "UnknownParameter") == 0,
	      "ClientToken where not accepted: %s", code);

	/* Success and the envelope. */
	st = call(a, KV("Action", "TestMake", "Version", V, "Name", "a"), body,
		  sizeof(body), code);
	CHECK(st == 200 && !code[0], "TestMake: %d %s", st, body);
	CHECK(strstr(body, "<TestMakeResponse xmlns=\"http://ec2.amazonaws.com"
			   "/doc/2016-11-15/\"><requestId>") &&
		  strstr(body, "<made>1</made><name>a</name>"
			       "</TestMakeResponse>"),
	      "envelope: %s", body);
	CHECK_STR(made(), "1");

	/* DryRun: the action runs, is rolled back, and says so with 412. */
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "a", "DryRun",
		     "true"),
		  body, sizeof(body), code);
	CHECK(st == 412 && strcmp(code, "DryRunOperation") == 0,
	      "DryRun: %d %s", st, code);
	CHECK_STR(made(), "1");
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "bad",
		     "DryRun", "true"),
		  body, sizeof(body), code);
	CHECK(st == 400 && strcmp(code, "InvalidParameterValue") == 0,
	      "DryRun of an invalid request reports the error: %s", code);
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "a", "DryRun",
		     "maybe"),
		  body, sizeof(body), code);
	CHECK(strcmp(code, "InvalidParameterValue") == 0, "DryRun=maybe");

	/* A failed action leaves nothing behind. */
	st = call(a, KV("Action", "TestFail", "Version", V), body, sizeof(body),
		  code);
	CHECK(st == 400, "TestFail: %d", st);
	tx = store_begin(store, false, &e);
	CHECK(store_meta_get(tx, "failed-write", v, sizeof(v), &e) == 1,
	      "a failed action's write was kept");
	store_rollback(tx);

	/* ClientToken: the same request again answers the same, once. */
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "b",
		     "ClientToken", "tok-1"),
		  body, sizeof(body), code);
	CHECK(st == 200 && strstr(body, "<made>2</made>"), "token 1: %s", body);
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "b",
		     "ClientToken", "tok-1"),
		  body2, sizeof(body2), code);
	CHECK(st == 200 && strstr(body2, "<made>2</made>"), "token replay: %s",
	      body2);
	CHECK(strcmp(body, body2) != 0, "a replay gets its own requestId");
	CHECK_STR(made(), "2");
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "c",
		     "ClientToken", "tok-1"),
		  body, sizeof(body), code);
	CHECK(st == 400 && strcmp(code, "IdempotentParameterMismatch") == 0,
	      "token mismatch: %s", code);
	CHECK_STR(made(), "2");
	/* A dry run neither uses nor consumes a token. */
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "d",
		     "ClientToken", "tok-2", "DryRun", "true"),
		  body, sizeof(body), code);
	CHECK(st == 412, "dry run with token: %d", st);
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "e",
		     "ClientToken", "tok-2"),
		  body, sizeof(body), code);
	CHECK(st == 200 && strstr(body, "<name>e</name>"),
	      "token after a dry run: %s", body);
	st = call(a,
		  KV("Action", "TestMake", "Version", V, "Name", "f",
		     "ClientToken",
		     "0123456789012345678901234567890123456789012345678901"
		     "2345678901234"),
		  body, sizeof(body), code);
	CHECK(strcmp(code, "InvalidParameterValue") == 0,
	      "65-character token: %s", code);

	/* Every service's table is sorted and unique: lookup bisects it. */
	for (size_t i = 0; i < api_service_count(); i++) {
		const char *svc;
		size_t n;
		const struct action *t = api_service_actions(i, &svc, &n);

		for (size_t k = 1; k < n; k++)
			CHECK(strcmp(t[k - 1].name, t[k].name) < 0,
			      "%s: %s before %s", svc, t[k - 1].name,
			      t[k].name);
		for (size_t k = 0; k < n; k++)
			CHECK(action_find(t, n, t[k].name) == &t[k],
			      "%s: lookup of %s", svc, t[k].name);
	}

	/* Statuses EC2 uses. */
	CHECK(api_status_for("AuthFailure") == 401, "AuthFailure");
	CHECK(api_status_for("SignatureDoesNotMatch") == 403, "SigMismatch");
	CHECK(api_status_for("RequestLimitExceeded") == 503, "throttle");
	CHECK(api_status_for("InternalError") == 500, "internal");
	CHECK(api_status_for("InsufficientInstanceCapacity") == 500,
	      "no capacity: a server error, as EC2");
	CHECK(api_status_for("InvalidParameterValue") == 400, "default");

	api_free(a);
	store_close(store);
	for (const char *f = "ec2d.db\0ec2d.db-wal\0ec2d.db-shm\0"; *f;
	     f += strlen(f) + 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, f);
		unlink(path);
	}
	rmdir(dir);
	return UNIT_DONE();
}
