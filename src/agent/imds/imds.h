/*
 * imds.h - the instance metadata service's answers, as a pure function.
 *
 * imds_handle() takes one HTTP request (method, path, the three headers
 * that matter, the time) and the asking instance's metadata, and gives
 * the status, body and headers AWS's service would: IMDSv1 GETs, IMDSv2
 * (PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds
 * 1..21600, then X-aws-ec2-metadata-token on GETs), HttpTokens=required
 * refusing v1 with 401, directory listings (one key a line, folders with
 * a trailing '/'), 404 for anything else, the instance identity document.
 * No socket, no clock, no randomness here: imds_server.c does the HTTP
 * and the tests call this directly.
 *
 * Paths served under /latest/ (and every dated version AWS lists):
 *   meta-data/  ami-id ami-launch-index ami-manifest-path hostname
 *               instance-action instance-id instance-life-cycle
 *               instance-type local-hostname local-ipv4 mac
 *               network/interfaces/macs/<mac>/...  placement/...
 *               public-keys/0/openssh-key reservation-id services/...
 *   dynamic/instance-identity/document
 *   user-data   (404 when the instance has none)
 * A key whose value is empty in struct host_metadata (agent/host.h) is not
 * listed.
 */
#ifndef EC2D_AGENT_IMDS_IMDS_H
#define EC2D_AGENT_IMDS_IMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "agent/host.h"
#include "agent/imds/imds_token.h"
#include "common/buf.h"

#define IMDS_BODY_MAX	   (64u << 10)
#define IMDS_HOP_LIMIT_MAX 64

struct imds_request {
	const char *method;    /* "GET", "HEAD", "PUT", ... */
	const char *path;      /* without the query string */
	const char *token;     /* X-aws-ec2-metadata-token, NULL if absent */
	const char *token_ttl; /* X-aws-ec2-metadata-token-ttl-seconds */
	bool forwarded;	       /* X-Forwarded-For is present */
	time_t now;
};

struct imds_response {
	int status;
	struct buf body;
	const char *content_type; /* static string */
	long token_ttl;	    /* > 0: X-aws-ec2-metadata-token-ttl-seconds */
	unsigned ip_ttl;    /* > 0: send the reply with this IP TTL */
	bool metadata_read; /* 200 on metadata: the guest got its data */
};

/*
 * Answer rq for the instance md (NULL: the peer is no instance, 403).
 * rs is filled; release it with imds_response_free().
 */
void imds_handle(const unsigned char key[IMDS_TOKEN_KEY_LEN],
		 const struct host_metadata *md, const struct imds_request *rq,
		 struct imds_response *rs);
void imds_response_free(struct imds_response *rs);

#endif
