/*
 * ec2xml.h - EC2's XML wire format: the reply envelope, the encoder behind
 * struct out (list entries are <item>), and the error body.
 */
#ifndef EC2D_API_EC2XML_H
#define EC2D_API_EC2XML_H

#include "common/buf.h"
#include "common/err.h"
#include "common/out.h"

#define EC2_XMLNS "http://ec2.amazonaws.com/doc/2016-11-15/"

/* Point o at an encoder writing EC2 XML into b. */
void ec2xml_out_init(struct out *o, struct buf *b);

/* <?xml ...?><ActionResponse xmlns=...><requestId>id</requestId> */
void ec2xml_begin(struct buf *b, const char *action, const char *request_id);
void ec2xml_end(struct buf *b, const char *action);

/* <Response><Errors><Error><Code/><Message/></Error></Errors>... */
void ec2xml_error(struct buf *b, const struct err *e, const char *request_id);

/* Text with & < > " ' escaped; CR as &#13; so parsers keep it. */
void xml_escape(struct buf *b, const char *s);

#endif
