/*
 * host_json.c - host.h's structs to JSON and back. See host_json.h.
 *
 * Each struct is a table of its fields (name, type, offset, size); one
 * encoder and one decoder walk the tables, so a field added to a struct
 * needs one line here and the round-trip test shows a forgotten one.
 */
#include "agent/host_json.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"

enum ftype {
	F_STR,	 /* char[size], NUL-ended */
	F_UINT,	 /* unsigned (and uid_t, gid_t) */
	F_INT,	 /* int */
	F_BOOL,	 /* bool */
	F_TIME,	 /* time_t */
	F_ENUM,	 /* an enum, int-sized, by name */
	F_BYTES, /* unsigned char[size], its length in the size_t at aux */
	F_STRS,	 /* char[max][size], the count in the size_t at aux */
	F_UINTS, /* unsigned[max], the count in the size_t at aux */
};

struct field {
	const char *name;
	enum ftype type;
	size_t off;
	size_t size;		  /* of the field, or of one element */
	size_t aux;		  /* offset of the length or count */
	size_t max;		  /* elements */
	const char *const *names; /* F_ENUM: by value */
	size_t nnames;
};

struct kind {
	const char *name;
	size_t size;
	const struct field *fields;
	size_t nfields;
};

_Static_assert(sizeof(uid_t) == sizeof(unsigned), "uid_t is unsigned");
_Static_assert(sizeof(gid_t) == sizeof(unsigned), "gid_t is unsigned");
_Static_assert(sizeof(enum accel_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum host_want) == sizeof(int), "enum size");
_Static_assert(sizeof(enum host_instance_state) == sizeof(int), "enum size");

static const char *const accel_names[] = {"auto", "kvm", "tcg"};
static const char *const want_names[] = {"running", "stopped", "gone"};
static const char *const state_names[] = {"absent",   "starting", "running",
					  "stopping", "stopped",  "failed"};

#define N(a)	    (sizeof(a) / sizeof((a)[0]))
#define FSIZE(T, f) sizeof(((struct T *)0)->f)
#define STR(T, f)                                                              \
	{                                                                      \
#f, F_STR, offsetof(struct T, f), FSIZE(T, f), 0, 0, NULL, 0   \
	}
#define UINT(T, f)                                                             \
	{                                                                      \
#f, F_UINT, offsetof(struct T, f), FSIZE(T, f), 0, 0, NULL, 0  \
	}
#define INT(T, f)                                                              \
	{                                                                      \
#f, F_INT, offsetof(struct T, f), FSIZE(T, f), 0, 0, NULL, 0   \
	}
#define BOOL(T, f)                                                             \
	{                                                                      \
#f, F_BOOL, offsetof(struct T, f), FSIZE(T, f), 0, 0, NULL, 0  \
	}
#define TIME(T, f)                                                             \
	{                                                                      \
#f, F_TIME, offsetof(struct T, f), FSIZE(T, f), 0, 0, NULL, 0  \
	}
#define ENUM(T, f, t)                                                          \
	{                                                                      \
#f, F_ENUM, offsetof(struct T, f), FSIZE(T, f), 0, 0, t, N(t)  \
	}
#define BYTES(T, f, len)                                                       \
	{                                                                      \
#f, F_BYTES, offsetof(struct T, f), FSIZE(T, f),               \
		    offsetof(struct T, len), 0, NULL, 0                        \
	}
#define STRS(T, f, count)                                                      \
	{                                                                      \
#f, F_STRS, offsetof(struct T, f), FSIZE(T, f[0]),             \
		    offsetof(struct T, count), N(((struct T *)0)->f), NULL, 0  \
	}
#define UINTS(T, f, count)                                                     \
	{                                                                      \
#f, F_UINTS, offsetof(struct T, f), FSIZE(T, f[0]),            \
		    offsetof(struct T, count), N(((struct T *)0)->f), NULL, 0  \
	}

static const struct field config_fields[] = {
    STR(host_config, id),
    STR(host_config, zone),
    STR(host_config, state_dir),
    STR(host_config, qemu),
    STR(host_config, qemu_img),
    ENUM(host_config, accel, accel_names),
    UINT(host_config, tsc_khz),
    UINT(host_config, tb_size_mib),
    STR(host_config, netns),
    STR(host_config, cgroup),
    UINT(host_config, run_uid),
    UINT(host_config, run_gid),
    UINT(host_config, stop_timeout_ms),
    STR(host_config, disk_reserve),
};

static const struct field instance_fields[] = {
    STR(host_instance, id),	     ENUM(host_instance, want, want_names),
    BOOL(host_instance, force_stop), UINT(host_instance, boot),
    UINT(host_instance, vcpus),	     UINT(host_instance, memory_mib),
    STR(host_instance, kernel),	     STR(host_instance, initrd),
    STR(host_instance, cmdline),     STR(host_instance, base_disk),
    UINT(host_instance, root_gib),   UINT(host_instance, store_disks),
    UINT(host_instance, store_gb),   BOOL(host_instance, keep_root),
    STR(host_instance, tap),	     STR(host_instance, mac),
};

static const struct field status_fields[] = {
    STR(host_instance_status, id),
    ENUM(host_instance_status, state, state_names),
    UINT(host_instance_status, boot),
    BOOL(host_instance_status, guest_ready),
    BOOL(host_instance_status, guest_halted),
    STR(host_instance_status, impaired),
    STR(host_instance_status, reason),
    TIME(host_instance_status, since),
};

static const struct field console_fields[] = {
    STR(host_console_tail, id),
    BYTES(host_console_tail, data, len),
};

static const struct field accel_ask_fields[] = {
    ENUM(host_accel_ask, mode, accel_names),
    STR(host_accel_ask, qemu),
    STR(host_accel_ask, probe_kernel),
    STR(host_accel_ask, probe_initrd),
};

static const struct field accel_fields[] = {
    ENUM(host_accel, accel, accel_names),
    UINT(host_accel, tsc_khz),
    INT(host_accel, probe_ms),
    STR(host_accel, reason),
};

static const struct field user_ask_fields[] = {
    STR(host_user_ask, name),
    STR(host_user_ask, reach),
};

static const struct field user_fields[] = {
    STR(host_user, name),
    UINT(host_user, uid),
    UINT(host_user, gid),
};

static const struct field net_config_fields[] = {
    STR(host_net_config, tag),
    STR(host_net_config, imds_key),
    STR(host_net_config, data_dir),
    UINTS(host_net_config, hosts, nhosts),
};

static const struct field net_info_fields[] = {
    STRS(host_net_info, netns, nhosts),
};

static const struct field vpc_fields[] = {
    UINT(host_vpc, no),
    STR(host_vpc, cidr),
    STRS(host_vpc, subnets, nsubnets),
};

static const struct field port_fields[] = {
    UINT(host_port, host), UINT(host_port, vpc), UINT(host_port, port),
    STR(host_port, mac),   STR(host_port, ip),	 STR(host_port, instance_id),
};

static const struct field metadata_fields[] = {
    UINT(host_metadata, vpc),
    STR(host_metadata, local_ipv4),
    BOOL(host_metadata, fresh),
    STR(host_metadata, instance_id),
    STR(host_metadata, image_id),
    STR(host_metadata, instance_type),
    STR(host_metadata, architecture),
    STR(host_metadata, account_id),
    STR(host_metadata, reservation_id),
    STR(host_metadata, region),
    STR(host_metadata, zone),
    STR(host_metadata, zone_id),
    STR(host_metadata, hostname),
    STR(host_metadata, local_hostname),
    STR(host_metadata, mac),
    STR(host_metadata, interface_id),
    STR(host_metadata, subnet_id),
    STR(host_metadata, subnet_cidr),
    STR(host_metadata, vpc_id),
    STR(host_metadata, vpc_cidr),
    STR(host_metadata, key_name),
    STR(host_metadata, openssh_key),
    BOOL(host_metadata, has_user_data),
    BYTES(host_metadata, user_data, user_data_len),
    TIME(host_metadata, pending_time),
    BOOL(host_metadata, http_tokens_required),
    UINT(host_metadata, hop_limit),
};

static const struct field read_fields[] = {
    STR(host_read, instance_id),
};

#define KIND(T, f)                                                             \
	{                                                                      \
#T, sizeof(struct T), f, N(f)                                  \
	}

static const struct kind kinds[HOST_JSON_KINDS] = {
    [HOST_JSON_CONFIG] = KIND(host_config, config_fields),
    [HOST_JSON_INSTANCE] = KIND(host_instance, instance_fields),
    [HOST_JSON_STATUS] = KIND(host_instance_status, status_fields),
    [HOST_JSON_CONSOLE] = KIND(host_console_tail, console_fields),
    [HOST_JSON_ACCEL_ASK] = KIND(host_accel_ask, accel_ask_fields),
    [HOST_JSON_ACCEL] = KIND(host_accel, accel_fields),
    [HOST_JSON_USER_ASK] = KIND(host_user_ask, user_ask_fields),
    [HOST_JSON_USER] = KIND(host_user, user_fields),
    [HOST_JSON_NET_CONFIG] = KIND(host_net_config, net_config_fields),
    [HOST_JSON_NET_INFO] = KIND(host_net_info, net_info_fields),
    [HOST_JSON_VPC] = KIND(host_vpc, vpc_fields),
    [HOST_JSON_PORT] = KIND(host_port, port_fields),
    [HOST_JSON_METADATA] = KIND(host_metadata, metadata_fields),
    [HOST_JSON_READ] = KIND(host_read, read_fields),
};

const char *
host_json_kind_name(enum host_json_kind k)
{
	return (unsigned)k < HOST_JSON_KINDS ? kinds[k].name : "?";
}

size_t
host_json_kind_size(enum host_json_kind k)
{
	return (unsigned)k < HOST_JSON_KINDS ? kinds[k].size : 0;
}

/* ---- encoding ---- */

/* A C string (at most max bytes) as JSON; not UTF-8: non-ASCII as '?'. */
static json_t *
str_pack(const char *s, size_t max)
{
	size_t len = strnlen(s, max);
	json_t *j = json_stringn(s, len);
	char *ascii;

	if (j)
		return j;
	ascii = malloc(len + 1);
	if (!ascii)
		return NULL;
	for (size_t i = 0; i < len; i++)
		ascii[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	j = json_stringn(ascii, len);
	free(ascii);
	return j;
}

static size_t
size_at(const void *v, size_t off)
{
	size_t n;

	memcpy(&n, (const char *)v + off, sizeof(n));
	return n;
}

static json_t *
field_pack(const struct field *f, const void *v)
{
	const char *p = (const char *)v + f->off;
	unsigned u;
	int i;
	time_t t;
	bool b;
	size_t n;
	json_t *a;
	char *enc;

	switch (f->type) {
	case F_STR:
		return str_pack(p, f->size);
	case F_UINT:
		memcpy(&u, p, sizeof(u));
		return json_integer((json_int_t)u);
	case F_INT:
		memcpy(&i, p, sizeof(i));
		return json_integer((json_int_t)i);
	case F_BOOL:
		memcpy(&b, p, sizeof(b));
		return json_boolean(b);
	case F_TIME:
		memcpy(&t, p, sizeof(t));
		return json_integer((json_int_t)t);
	case F_ENUM:
		memcpy(&i, p, sizeof(i));
		if (i < 0 || (size_t)i >= f->nnames)
			return NULL;
		return json_string(f->names[i]);
	case F_BYTES:
		n = size_at(v, f->aux);
		if (n > f->size)
			return NULL;
		enc = malloc(b64_encoded_len(n) + 1);
		if (!enc)
			return NULL;
		b64_encode(p, n, enc);
		a = json_string(enc);
		free(enc);
		return a;
	case F_STRS:
	case F_UINTS:
		n = size_at(v, f->aux);
		if (n > f->max)
			return NULL;
		a = json_array();
		for (size_t k = 0; a && k < n; k++) {
			const char *e = p + k * f->size;
			json_t *x;

			if (f->type == F_STRS) {
				x = str_pack(e, f->size);
			} else {
				memcpy(&u, e, sizeof(u));
				x = json_integer((json_int_t)u);
			}
			if (json_array_append_new(a, x) < 0) {
				json_decref(a);
				a = NULL;
			}
		}
		return a;
	}
	return NULL;
}

json_t *
host_json_pack(enum host_json_kind k, const void *v)
{
	const struct kind *kd;
	json_t *o;

	if ((unsigned)k >= HOST_JSON_KINDS)
		return NULL;
	kd = &kinds[k];
	o = json_object();
	for (size_t i = 0; o && i < kd->nfields; i++) {
		json_t *x = field_pack(&kd->fields[i], v);

		if (!x || json_object_set_new(o, kd->fields[i].name, x) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

static char *
dump(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	return s;
}

char *
host_json_encode(enum host_json_kind k, const void *v)
{
	return dump(host_json_pack(k, v));
}

char *
host_json_encode_list(enum host_json_kind k, const void *v, size_t n)
{
	json_t *a = json_array();
	size_t size = host_json_kind_size(k);

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(
			a, host_json_pack(k, (const char *)v + i * size)) < 0) {
			json_decref(a);
			a = NULL;
		}
	return dump(a);
}

/* ---- decoding ---- */

static int
bad(struct err *e, const struct kind *kd, const struct field *f,
    const char *what)
{
	return err_set(e, "InvalidParameterValue", "%s.%s: %s", kd->name,
		       f->name, what);
}

/* An integer member in [lo, hi]. */
static int
int_of(const json_t *x, json_int_t lo, json_int_t hi, json_int_t *ret)
{
	if (!json_is_integer(x))
		return -1;
	*ret = json_integer_value(x);
	return *ret < lo || *ret > hi ? -1 : 0;
}

/* A string that fits size bytes with its NUL, and has none inside. */
static int
str_of(const json_t *x, size_t size, char *out)
{
	size_t len;

	if (!json_is_string(x))
		return -1;
	len = json_string_length(x);
	if (len >= size || memchr(json_string_value(x), '\0', len))
		return -1;
	memcpy(out, json_string_value(x), len);
	out[len] = '\0';
	return 0;
}

static int
field_unpack(const struct kind *kd, const struct field *f, const json_t *x,
	     void *v, struct err *e)
{
	char *p = (char *)v + f->off;
	char what[96];
	json_int_t n;
	unsigned u;
	int i;
	time_t t;
	bool b;
	size_t len, count;
	unsigned char *raw;
	const char *s;

	switch (f->type) {
	case F_STR:
		if (str_of(x, f->size, p) < 0) {
			snprintf(what, sizeof(what),
				 "expected a string of at most %zu bytes "
				 "without NUL",
				 f->size - 1);
			return bad(e, kd, f, what);
		}
		return 0;
	case F_UINT:
		if (int_of(x, 0, UINT_MAX, &n) < 0)
			return bad(e, kd, f,
				   "expected an integer 0..4294967295");
		u = (unsigned)n;
		memcpy(p, &u, sizeof(u));
		return 0;
	case F_INT:
		if (int_of(x, INT_MIN, INT_MAX, &n) < 0)
			return bad(e, kd, f, "expected a 32-bit integer");
		i = (int)n;
		memcpy(p, &i, sizeof(i));
		return 0;
	case F_BOOL:
		if (!json_is_boolean(x))
			return bad(e, kd, f, "expected true or false");
		b = json_is_true(x);
		memcpy(p, &b, sizeof(b));
		return 0;
	case F_TIME:
		if (int_of(x, 0, INT64_MAX, &n) < 0)
			return bad(e, kd, f, "expected seconds since 1970");
		t = (time_t)n;
		memcpy(p, &t, sizeof(t));
		return 0;
	case F_ENUM:
		s = json_string_value(x);
		for (i = 0; s && (size_t)i < f->nnames; i++)
			if (strcmp(s, f->names[i]) == 0) {
				memcpy(p, &i, sizeof(i));
				return 0;
			}
		return bad(e, kd, f, "not one of the names it may take");
	case F_BYTES:
		if (!json_is_string(x))
			return bad(e, kd, f, "expected base64 text");
		if (json_string_length(x) > b64_encoded_len(f->size)) {
			snprintf(what, sizeof(what), "more than %zu bytes",
				 f->size);
			return bad(e, kd, f, what);
		}
		raw = b64_decode(json_string_value(x), json_string_length(x),
				 &len);
		if (!raw)
			return bad(e, kd, f, "not strict base64");
		if (len > f->size) {
			free(raw);
			snprintf(what, sizeof(what), "more than %zu bytes",
				 f->size);
			return bad(e, kd, f, what);
		}
		memcpy(p, raw, len);
		memcpy((char *)v + f->aux, &len, sizeof(len));
		free(raw);
		return 0;
	case F_STRS:
	case F_UINTS:
		if (!json_is_array(x))
			return bad(e, kd, f, "expected an array");
		count = json_array_size(x);
		if (count > f->max) {
			snprintf(what, sizeof(what), "more than %zu items",
				 f->max);
			return bad(e, kd, f, what);
		}
		for (size_t k = 0; k < count; k++) {
			const json_t *y = json_array_get(x, k);
			char *el = p + k * f->size;

			if (f->type == F_STRS && str_of(y, f->size, el) < 0) {
				snprintf(what, sizeof(what),
					 "item %zu: expected a string of at "
					 "most %zu bytes",
					 k, f->size - 1);
				return bad(e, kd, f, what);
			}
			if (f->type == F_UINTS) {
				if (int_of(y, 0, UINT_MAX, &n) < 0) {
					snprintf(what, sizeof(what),
						 "item %zu: expected an "
						 "integer 0..4294967295",
						 k);
					return bad(e, kd, f, what);
				}
				u = (unsigned)n;
				memcpy(el, &u, sizeof(u));
			}
		}
		memcpy((char *)v + f->aux, &count, sizeof(count));
		return 0;
	}
	return bad(e, kd, f, "unknown field type");
}

int
host_json_unpack(enum host_json_kind k, const json_t *j, void *out,
		 struct err *e)
{
	const struct kind *kd;
	const char *key;
	json_t *x;

	if ((unsigned)k >= HOST_JSON_KINDS)
		return err_set(e, "InvalidParameterValue", "no such kind");
	kd = &kinds[k];
	memset(out, 0, kd->size);
	if (!json_is_object(j))
		return err_set(e, "InvalidParameterValue",
			       "%s: expected a JSON object", kd->name);
	/* Members we do not know: a newer peer, or a typo. */
	json_object_foreach((json_t *)j, key, x)
	{
		bool known = false;

		for (size_t i = 0; i < kd->nfields && !known; i++)
			known = strcmp(kd->fields[i].name, key) == 0;
		if (!known)
			return err_set(e, "InvalidParameterValue",
				       "%s: unknown member \"%.64s\"", kd->name,
				       key);
	}
	for (size_t i = 0; i < kd->nfields; i++) {
		const struct field *f = &kd->fields[i];

		x = json_object_get(j, f->name);
		if (!x)
			return bad(e, kd, f, "missing");
		if (field_unpack(kd, f, x, out, e) < 0)
			return -1;
	}
	return 0;
}

static json_t *
load(const char *what, const char *text, size_t len, struct err *e)
{
	json_error_t je;
	json_t *j;

	if (len > HOST_JSON_MAX) {
		err_set(e, "InvalidParameterValue",
			"%s: %zu bytes of JSON, more than %u", what, len,
			HOST_JSON_MAX);
		return NULL;
	}
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		err_set(e, "InvalidParameterValue",
			"%s: not JSON: %s at line %d column %d", what, je.text,
			je.line, je.column);
	return j;
}

int
host_json_decode(enum host_json_kind k, const char *text, size_t len, void *out,
		 struct err *e)
{
	json_t *j = load(host_json_kind_name(k), text, len, e);
	int rc;

	if (!j) {
		memset(out, 0, host_json_kind_size(k));
		return -1;
	}
	rc = host_json_unpack(k, j, out, e);
	json_decref(j);
	return rc;
}

int
host_json_decode_list(enum host_json_kind k, const char *text, size_t len,
		      size_t max, void **ret, size_t *ret_n, struct err *e)
{
	size_t size = host_json_kind_size(k), n;
	json_t *j = load(host_json_kind_name(k), text, len, e);
	char *v;

	*ret = NULL;
	*ret_n = 0;
	if (!j)
		return -1;
	if (max > HOST_JSON_LIST_MAX)
		max = HOST_JSON_LIST_MAX;
	if (!json_is_array(j)) {
		json_decref(j);
		return err_set(e, "InvalidParameterValue",
			       "%s list: expected a JSON array",
			       host_json_kind_name(k));
	}
	n = json_array_size(j);
	if (n > max) {
		json_decref(j);
		return err_set(e, "InvalidParameterValue",
			       "%s list: %zu items, more than %zu",
			       host_json_kind_name(k), n, max);
	}
	v = calloc(n ? n : 1, size);
	if (!v) {
		json_decref(j);
		return err_set(e, "InternalError", "Out of memory.");
	}
	for (size_t i = 0; i < n; i++)
		if (host_json_unpack(k, json_array_get(j, i), v + i * size, e) <
		    0) {
			free(v);
			json_decref(j);
			return -1;
		}
	json_decref(j);
	*ret = v;
	*ret_n = n;
	return 0;
}
