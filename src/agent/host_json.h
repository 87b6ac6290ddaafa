/*
 * host_json.h - the JSON form of every struct that crosses host.h, so a
 * connection can stand between the control plane and an agent on another
 * machine without either side changing.
 *
 * One object per struct, a member per field, named as the field:
 * strings as strings, numbers as integers, booleans, enums by name
 * ("running", "kvm", ...), bytes (user data, a console tail) as base64,
 * fixed arrays (subnets, host numbers) as arrays. Encoding writes every
 * member; decoding is strict: the text must be at most HOST_JSON_MAX bytes
 * of one JSON object (or an array of them, for the list forms) with
 * every member present, none unknown, none duplicated, each of its type
 * and within its field's size. A failure is -1 with an err naming the
 * struct and the member.
 *
 * A string that is not UTF-8 (a QEMU message, say) is encoded with each
 * byte outside ASCII as '?': JSON carries text only.
 */
#ifndef EC2D_AGENT_HOST_JSON_H
#define EC2D_AGENT_HOST_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "agent/host.h"
#include "common/err.h"

#define HOST_JSON_MAX	   (4u << 20) /* the largest text decoded */
#define HOST_JSON_LIST_MAX 65536      /* the most items in a list */

enum host_json_kind {
	HOST_JSON_CONFIG,     /* struct host_config */
	HOST_JSON_INSTANCE,   /* struct host_instance: a want */
	HOST_JSON_STATUS,     /* struct host_instance_status */
	HOST_JSON_CONSOLE,    /* struct host_console_tail */
	HOST_JSON_ACCEL_ASK,  /* struct host_accel_ask */
	HOST_JSON_ACCEL,      /* struct host_accel */
	HOST_JSON_USER_ASK,   /* struct host_user_ask */
	HOST_JSON_USER,	      /* struct host_user */
	HOST_JSON_NET_CONFIG, /* struct host_net_config */
	HOST_JSON_NET_INFO,   /* struct host_net_info */
	HOST_JSON_VPC,	      /* struct host_vpc */
	HOST_JSON_PORT,	      /* struct host_port */
	HOST_JSON_METADATA,   /* struct host_metadata */
	HOST_JSON_READ,	      /* struct host_read */
	HOST_JSON_KINDS,
};

/* "host_config", ...: the struct's name without "struct ". */
const char *host_json_kind_name(enum host_json_kind k);
/* sizeof the kind's struct. */
size_t host_json_kind_size(enum host_json_kind k);

/* *v as compact JSON text (malloc'd, NUL-ended); NULL when out of memory. */
char *host_json_encode(enum host_json_kind k, const void *v);
/* Text of len bytes into *out (a struct of kind k, zeroed first). */
int host_json_decode(enum host_json_kind k, const char *text, size_t len,
		     void *out, struct err *e);

/* n structs (an array of them at v) as a JSON array. */
char *host_json_encode_list(enum host_json_kind k, const void *v, size_t n);
/*
 * A JSON array of at most max (and HOST_JSON_LIST_MAX) items into a new
 * array of structs at *ret (free() it) with *ret_n items.
 */
int host_json_decode_list(enum host_json_kind k, const char *text, size_t len,
			  size_t max, void **ret, size_t *ret_n, struct err *e);

/* The json_t forms, for a message that holds several. */
json_t *host_json_pack(enum host_json_kind k, const void *v);
int host_json_unpack(enum host_json_kind k, const json_t *j, void *out,
		     struct err *e);

#endif
