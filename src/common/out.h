/*
 * out.h - a format-neutral writer for action replies.
 *
 * A service describes its answer as nested structures, lists and scalars,
 * naming each member by the element name its AWS service documents
 * ("regionInfo", "keyName"); it never writes markup. api/ supplies the
 * ops that encode the tree on the wire (EC2 XML today: a list's entries are
 * <item> elements; JSON for the JSON-protocol services later). A failed
 * write (buffer over its maximum) is sticky and checked once by api/.
 *
 * Scalars with a NULL value are omitted, as AWS omits absent members.
 * Inside a list, pass name NULL to out_str() for a list of strings.
 */
#ifndef EC2D_COMMON_OUT_H
#define EC2D_COMMON_OUT_H

#include <stdbool.h>
#include <time.h>

struct out;

enum out_scalar {
	OUT_STRING,
	OUT_NUMBER,
	OUT_BOOL,
	OUT_TIME, /* value already formatted as ISO 8601 */
};

struct out_ops {
	void (*open)(struct out *o, const char *name); /* structure */
	void (*close)(struct out *o, const char *name);
	void (*list_open)(struct out *o, const char *name);
	void (*list_close)(struct out *o, const char *name);
	void (*item_open)(struct out *o); /* one list entry */
	void (*item_close)(struct out *o);
	void (*scalar)(struct out *o, const char *name, const char *value,
		       enum out_scalar kind);
};

#define OUT_MAX_DEPTH 32

struct out {
	const struct out_ops *ops;
	void *sink; /* the encoder's own state (a buf) */
	const char *names[OUT_MAX_DEPTH];
	int depth;
	int failed;
};

void out_open(struct out *o, const char *name);
void out_close(struct out *o);
void out_list(struct out *o, const char *name);
void out_list_end(struct out *o);
void out_item(struct out *o);
void out_item_end(struct out *o);

void out_str(struct out *o, const char *name, const char *value);
void out_int(struct out *o, const char *name, long long value);
void out_double(struct out *o, const char *name, double value);
void out_bool(struct out *o, const char *name, bool value);
/* An instant as AWS writes it: 2026-11-30T10:06:46.000Z. */
void out_time(struct out *o, const char *name, time_t t);

/* A list of strings in one call: <name><item>v</item>...</name>. */
void out_strs(struct out *o, const char *name, const char *const *v, size_t n);

#endif
