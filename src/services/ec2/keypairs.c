/*
 * keypairs.c - CreateKeyPair, ImportKeyPair, DescribeKeyPairs,
 * DeleteKeyPair.
 *
 * The key material itself (generation, formats, fingerprints) is keymat.c;
 * this file is the EC2 behaviour around it: names, duplicates, tags,
 * filters. The private key of a created pair is returned once and never
 * stored, as in EC2.
 */
#include "ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/ids.h"
#include "store/keypairs.h"
#include "filter.h"
#include "keymat.h"
#include "tags.h"

static int
key_name_check(const char *name, struct err *e)
{
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return err_set(
			    e, "InvalidParameterValue",
			    "Value (%.100s) for parameter keyName is "
			    "invalid. Key names must be up to 255 "
			    "printable ASCII characters.",
			    name);
	if (!*name)
		return err_set(e, "InvalidParameterValue",
			       "Value () for parameter keyName is invalid. "
			       "Key names must not be empty.");
	return 0;
}

/* Store a new key pair with its tags; InvalidKeyPair.Duplicate if taken. */
static int
keypair_save(struct action_ctx *c, const char *name, const struct keymat *km,
	     const struct tags *tags, struct keypair *ret, struct err *e)
{
	struct keypair *k = ret;

	memset(k, 0, sizeof(*k));
	id_new("key", k->id);
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->type, sizeof(k->type), "%s", keymat_type_name(km->type));
	snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", km->fingerprint);
	k->public_key = km->public_openssh;
	k->created = c->now;
	if (store_keypair_insert(c->tx, k, e) < 0) {
		if (strcmp(e->code, "InvalidKeyPair.Duplicate") == 0)
			err_set(e, "InvalidKeyPair.Duplicate",
				"The keypair '%.255s' already exists.", name);
		k->public_key = NULL;
		return -1;
	}
	k->public_key = NULL;
	return tags_put(c->tx, k->id, tags, e);
}

/*
 * CreateKeyPair's key is made before its transaction begins: an RSA key
 * takes a good fraction of a second, and a write transaction holds the
 * store's only write lock.
 */
struct keygen {
	const char *name; /* borrowed from the request */
	struct keymat km;
};

int
ec2_create_key_pair_prepare(struct action_ctx *c, struct err *e)
{
	static const char *const types[] = {"rsa", "ed25519", NULL};
	static const char *const formats[] = {"pem", "ppk", NULL};
	const char *type = "rsa", *format = "pem";
	enum keymat_type kt;
	enum keymat_format kf;
	struct keygen *kg = calloc(1, sizeof(*kg));

	if (!kg)
		return err_set(e, "InternalError", "Out of memory.");
	if (param_str(c->req, "KeyName", true, 255, &kg->name, e) < 0 ||
	    key_name_check(kg->name, e) < 0 ||
	    param_enum(c->req, "KeyType", false, types, &type, e) < 0 ||
	    param_enum(c->req, "KeyFormat", false, formats, &format, e) < 0)
		goto fail;
	keymat_type_parse(type, &kt);
	keymat_format_parse(format, &kf);
	if (keymat_generate(kt, kf, kg->name, &kg->km, e) < 0)
		goto fail;
	c->prepared = kg;
	return 0;
fail:
	keymat_clear(&kg->km);
	free(kg);
	return -1;
}

void
ec2_create_key_pair_release(struct action_ctx *c)
{
	struct keygen *kg = c->prepared;

	if (kg) {
		keymat_clear(&kg->km);
		free(kg);
	}
	c->prepared = NULL;
}

int
ec2_create_key_pair(struct action_ctx *c, struct out *o, struct err *e)
{
	const struct keygen *kg = c->prepared;
	struct tags tags = {0};
	struct keypair k;
	int rc = -1;

	if (!kg)
		return err_set(e, "InternalError", "No key was generated.");
	if (tagspec_parse(c->req, "key-pair", &tags, e) < 0 ||
	    keypair_save(c, kg->name, &kg->km, &tags, &k, e) < 0)
		goto out;
	out_str(o, "keyPairId", k.id);
	tags_write(o, &tags);
	out_str(o, "keyName", kg->name);
	out_str(o, "keyFingerprint", kg->km.fingerprint);
	out_str(o, "keyMaterial", kg->km.private_key);
	rc = 0;
out:
	free(tags.v);
	return rc;
}

int
ec2_import_key_pair(struct action_ctx *c, struct out *o, struct err *e)
{
	const char *name = NULL, *material = NULL;
	unsigned char *raw = NULL;
	struct keymat km = {0};
	struct tags tags = {0};
	struct keypair k;
	size_t rawlen = 0;
	int rc = -1;

	if (param_str(c->req, "KeyName", true, 255, &name, e) < 0 ||
	    key_name_check(name, e) < 0 ||
	    param_str(c->req, "PublicKeyMaterial", true,
		      b64_encoded_len(KEYMAT_MATERIAL_MAX), &material, e) < 0 ||
	    tagspec_parse(c->req, "key-pair", &tags, e) < 0)
		goto out;
	raw = b64_decode(material, strlen(material), &rawlen);
	if (!raw) {
		err_set(e, "InvalidParameterValue",
			"Value for parameter PublicKeyMaterial is invalid: "
			"it must be base64-encoded.");
		goto out;
	}
	if (keymat_import(raw, rawlen, &km, e) < 0 ||
	    keypair_save(c, name, &km, &tags, &k, e) < 0)
		goto out;
	out_str(o, "keyFingerprint", km.fingerprint);
	out_str(o, "keyName", name);
	out_str(o, "keyPairId", k.id);
	tags_write(o, &tags);
	rc = 0;
out:
	free(raw);
	keymat_clear(&km);
	free(tags.v);
	return rc;
}

/* A key pair as the filters see it: the row and its tags. */
struct keypair_view {
	const struct keypair *k;
	struct tags tags;
};

#define KP(res) (((const struct keypair_view *)(res))->k)

static void
kp_id(const void *res, struct strlist *out)
{
	strlist_add(out, KP(res)->id);
}

static void
kp_name(const void *res, struct strlist *out)
{
	strlist_add(out, KP(res)->name);
}

static void
kp_fingerprint(const void *res, struct strlist *out)
{
	strlist_add(out, KP(res)->fingerprint);
}

static void
kp_type(const void *res, struct strlist *out)
{
	strlist_add(out, KP(res)->type);
}

static const struct tags *
kp_tags(const void *res)
{
	return &((const struct keypair_view *)res)->tags;
}

static const struct filter_field keypair_fields[] = {
    {"fingerprint", kp_fingerprint},
    {"key-name", kp_name},
    {"key-pair-id", kp_id},
    {"key-type", kp_type},
};

static const struct filter_spec keypair_filters = {
    .fields = keypair_fields,
    .nfields = sizeof(keypair_fields) / sizeof(keypair_fields[0]),
    .tags = kp_tags,
};

/* Every name and id asked for must exist, or the whole call fails. */
static int
keypairs_asked_exist(struct store_tx *tx, const struct strlist *names,
		     const struct strlist *ids, struct err *e)
{
	struct keypair k = {0};
	int rc;

	for (size_t i = 0; i < names->n; i++) {
		rc = store_keypair_get(tx, names->v[i], NULL, &k, e);
		keypair_clear(&k);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return err_set(e, "InvalidKeyPair.NotFound",
				       "The key pair '%.255s' does not exist",
				       names->v[i]);
	}
	for (size_t i = 0; i < ids->n; i++) {
		rc = store_keypair_get(tx, NULL, ids->v[i], &k, e);
		keypair_clear(&k);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return err_set(e, "InvalidKeyPair.NotFound",
				       "The key pair ID '%.100s' does not "
				       "exist",
				       ids->v[i]);
	}
	return 0;
}

#define KEYPAIR_TAG_FILTERS 8

int
ec2_describe_key_pairs(struct action_ctx *c, struct out *o, struct err *e)
{
	struct strlist names, ids;
	struct filter_set fs = {0};
	struct keypair *v = NULL;
	struct store_tag_match tags[KEYPAIR_TAG_FILTERS];
	struct keypair_query q = {0};
	bool with_public = false;
	size_t n = 0;
	int rc = -1;

	strlist_init(&names);
	strlist_init(&ids);
	if (param_strlist(c->req, "KeyName", 1000, &names, e) < 0 ||
	    param_strlist(c->req, "KeyPairId", 1000, &ids, e) < 0 ||
	    param_bool(c->req, "IncludePublicKey", &with_public, e) < 0 ||
	    filters_parse(c->req, &keypair_filters, &fs, e) < 0 ||
	    keypairs_asked_exist(c->tx, &names, &ids, e) < 0)
		goto out;
	/* The names and ids asked for, and the filters SQL matches exactly,
	 * narrow the query; every filter still applies below. */
	q.names.v = (const char *const *)names.v;
	q.names.n = names.n;
	q.ids.v = (const char *const *)ids.v;
	q.ids.n = ids.n;
	if (!names.n)
		filter_literal(&fs, "key-name", &q.names);
	if (!ids.n)
		filter_literal(&fs, "key-pair-id", &q.ids);
	filter_literal(&fs, "fingerprint", &q.fingerprints);
	filter_literal(&fs, "key-type", &q.types);
	q.tags = tags;
	q.ntags = filter_tag_literals(&fs, tags, KEYPAIR_TAG_FILTERS);
	if (store_keypair_query(c->tx, &q, &v, &n, e) < 0)
		goto out;
	out_list(o, "keySet");
	for (size_t i = 0; i < n; i++) {
		struct keypair_view kv = {.k = &v[i]};

		if (store_tags_get(c->tx, v[i].id, &kv.tags, e) < 0) {
			out_list_end(o);
			goto out;
		}
		if (filters_match(&fs, &keypair_filters, &kv)) {
			out_item(o);
			out_str(o, "keyPairId", v[i].id);
			out_str(o, "keyType", v[i].type);
			tags_write(o, &kv.tags);
			if (with_public)
				out_str(o, "publicKey", v[i].public_key);
			out_time(o, "createTime", v[i].created);
			out_str(o, "keyName", v[i].name);
			out_str(o, "keyFingerprint", v[i].fingerprint);
			out_item_end(o);
		}
		tags_free(&kv.tags);
	}
	out_list_end(o);
	rc = 0;
out:
	keypairs_free(v, n);
	filters_free(&fs);
	strlist_free(&names);
	strlist_free(&ids);
	return rc;
}

int
ec2_delete_key_pair(struct action_ctx *c, struct out *o, struct err *e)
{
	const char *name = NULL, *id = NULL;
	struct keypair k = {0};
	int found;

	if (param_str(c->req, "KeyName", false, 255, &name, e) < 0 ||
	    param_str(c->req, "KeyPairId", false, 64, &id, e) < 0)
		return -1;
	if (!name && !id)
		return err_set(e, "MissingParameter",
			       "The request must contain the parameter "
			       "KeyName or KeyPairId");
	found = store_keypair_get(c->tx, id ? NULL : name, id, &k, e);
	if (found < 0)
		return -1;
	/* EC2 answers success for a key pair that does not exist. */
	if (found == 0) {
		if (name && id && strcmp(k.name, name) != 0) {
			keypair_clear(&k);
			return err_set(e, "InvalidParameterCombination",
				       "The key pair ID '%.64s' does not name "
				       "the key pair '%.255s'.",
				       id, name);
		}
		if (store_keypair_delete(c->tx, k.id, e) < 0) {
			keypair_clear(&k);
			return -1;
		}
	}
	out_bool(o, "return", true);
	if (found == 0)
		out_str(o, "keyPairId", k.id);
	keypair_clear(&k);
	return 0;
}
