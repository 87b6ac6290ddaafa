/*
 * http.h - the HTTP(S) front end: libmicrohttpd with its internal epoll
 * thread pool, bounded bodies, headers and connections, handing every
 * complete request to api_handle().
 */
#ifndef EC2D_API_HTTP_H
#define EC2D_API_HTTP_H

#include <stddef.h>

#include "api/router.h"
#include "common/config.h"

#define HTTP_BODY_MAX (512u << 10)	/* largest request body accepted */
#define HTTP_PER_IP_CONNECTIONS 128	/* one client cannot take them all */
#define HTTP_CONN_MEMORY (64u << 10)	/* per-connection header memory */

struct http;

/*
 * Bind cfg->listen and start serving. TLS when cert_pem and key_pem are
 * given (PEM text). On failure returns -1 with a sentence in msg (e.g.
 * "127.0.0.1:8799: address already in use"). *ret_port is the bound port
 * (useful with port 0).
 */
int http_start(const struct config *cfg, struct api *a, const char *cert_pem,
	       const char *key_pem, struct http **ret, int *ret_port,
	       char *msg, size_t msgsize);
void http_stop(struct http *h);

#endif
