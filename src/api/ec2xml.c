/*
 * ec2xml.c - EC2 XML encoding. See ec2xml.h. The reply tree comes from a
 * service through struct out; this file is the only place that knows how
 * EC2 spells it on the wire.
 */
#include "ec2xml.h"

#include <string.h>

void
xml_escape(struct buf *b, const char *s)
{
	for (;;) {
		size_t run = strcspn(s, "&<>\"'\r");
		const char *rep;

		buf_add(b, s, run);
		s += run;
		switch (*s) {
		case '\0':
			return;
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			rep = "&#13;";
			break; /* \r, kept by parsers */
		}
		buf_adds(b, rep);
		s++;
	}
}

static struct buf *
sink(struct out *o)
{
	return o->sink;
}

static void
tag_open(struct out *o, const char *name)
{
	buf_addc(sink(o), '<');
	buf_adds(sink(o), name);
	buf_addc(sink(o), '>');
}

static void
tag_close(struct out *o, const char *name)
{
	buf_adds(sink(o), "</");
	buf_adds(sink(o), name);
	buf_addc(sink(o), '>');
}

static void
item_open(struct out *o)
{
	tag_open(o, "item");
}

static void
item_close(struct out *o)
{
	tag_close(o, "item");
}

static void
scalar(struct out *o, const char *name, const char *value, enum out_scalar kind)
{
	const char *n = name ? name : "item";

	(void)kind;
	tag_open(o, n);
	xml_escape(sink(o), value);
	tag_close(o, n);
}

static const struct out_ops ec2xml_ops = {
    .open = tag_open,
    .close = tag_close,
    .list_open = tag_open,
    .list_close = tag_close,
    .item_open = item_open,
    .item_close = item_close,
    .scalar = scalar,
};

void
ec2xml_out_init(struct out *o, struct buf *b)
{
	memset(o, 0, sizeof(*o));
	o->ops = &ec2xml_ops;
	o->sink = b;
}

void
ec2xml_begin(struct buf *b, const char *action, const char *request_id)
{
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
	buf_adds(b, action);
	buf_adds(b, "Response xmlns=\"" EC2_XMLNS "\"><requestId>");
	xml_escape(b, request_id);
	buf_adds(b, "</requestId>");
}

void
ec2xml_end(struct buf *b, const char *action)
{
	buf_adds(b, "</");
	buf_adds(b, action);
	buf_adds(b, "Response>");
}

void
ec2xml_error(struct buf *b, const struct err *e, const char *request_id)
{
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<Response><Errors><Error><Code>");
	xml_escape(b, e->code);
	buf_adds(b, "</Code><Message>");
	xml_escape(b, e->message);
	buf_adds(b, "</Message></Error></Errors><RequestID>");
	xml_escape(b, request_id);
	buf_adds(b, "</RequestID></Response>");
}
