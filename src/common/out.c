/*
 * out.c - the encoder-independent half of the reply writer: nesting
 * bookkeeping and scalar formatting. The encoders live in api/.
 */
#include "out.h"

#include <stdio.h>

static void
out_push(struct out *o, const char *name)
{
	if (o->depth >= OUT_MAX_DEPTH) {
		o->failed = 1;
		return;
	}
	o->names[o->depth++] = name;
}

static const char *
out_pop(struct out *o)
{
	if (o->depth <= 0) {
		o->failed = 1;
		return NULL;
	}
	return o->names[--o->depth];
}

void
out_open(struct out *o, const char *name)
{
	out_push(o, name);
	o->ops->open(o, name);
}

void
out_close(struct out *o)
{
	const char *name = out_pop(o);

	if (name)
		o->ops->close(o, name);
}

void
out_list(struct out *o, const char *name)
{
	out_push(o, name);
	o->ops->list_open(o, name);
}

void
out_list_end(struct out *o)
{
	const char *name = out_pop(o);

	if (name)
		o->ops->list_close(o, name);
}

void
out_item(struct out *o)
{
	out_push(o, "item");
	o->ops->item_open(o);
}

void
out_item_end(struct out *o)
{
	if (out_pop(o))
		o->ops->item_close(o);
}

void
out_str(struct out *o, const char *name, const char *value)
{
	if (value)
		o->ops->scalar(o, name, value, OUT_STRING);
}

void
out_int(struct out *o, const char *name, long long value)
{
	char s[24], *p = s + sizeof(s) - 1;
	unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value
					 : (unsigned long long)value;

	/* By hand: replies carry thousands of numbers, snprintf showed. */
	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (value < 0)
		*--p = '-';
	o->ops->scalar(o, name, p, OUT_NUMBER);
}

void
out_double(struct out *o, const char *name, double value)
{
	char s[64];

	/* AWS writes decimals as Java does: 3.0, 2.5, 0.25. */
	if (value == (double)(long long)value && value > -1e15 && value < 1e15)
		snprintf(s, sizeof(s), "%.1f", value);
	else
		snprintf(s, sizeof(s), "%.15g", value);
	o->ops->scalar(o, name, s, OUT_NUMBER);
}

void
out_bool(struct out *o, const char *name, bool value)
{
	o->ops->scalar(o, name, value ? "true" : "false", OUT_BOOL);
}

void
out_time(struct out *o, const char *name, time_t t)
{
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	o->ops->scalar(o, name, s, OUT_TIME);
}

void
out_strs(struct out *o, const char *name, const char *const *v, size_t n)
{
	out_list(o, name);
	for (size_t i = 0; i < n; i++)
		out_str(o, NULL, v[i]);
	out_list_end(o);
}
