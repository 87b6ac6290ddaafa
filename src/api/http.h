/*
 * http.h - the HTTP(S) front end: libmicrohttpd with its internal epoll
 * thread pool, bounded bodies, headers and connections, handing every
 * complete request to api_handle(). Connections are admitted and given
 * deadlines by api/conntab.h (--max-connections, --header-timeout, ...).
 */
#ifndef EC2D_API_HTTP_H
#define EC2D_API_HTTP_H

#include <stddef.h>

#include "api/router.h"
#include "common/config.h"

#define HTTP_BODY_MAX	 (512u << 10) /* largest request body accepted */
#define HTTP_CONN_MEMORY (64u << 10)  /* per-connection header memory */

struct http;

/*
 * http_listen - bind and listen on spec ("HOST:PORT", "[V6]:PORT"): the
 * socket, and *ret_port the bound port (useful with port 0). On failure
 * -1 with a sentence in msg ("127.0.0.1:8799: address already in use").
 * Separate from http_start so that the caller can settle what depends on
 * the port (the endpoint URL) before any request can be served.
 */
int http_listen(const char *spec, int *ret_port, char *msg, size_t msgsize);

/*
 * http_start - serve on fd (from http_listen; owned from then on, closed
 * on failure too). TLS when cert_pem and key_pem are given (PEM text). On
 * failure -1 with a sentence in msg.
 */
int http_start(const struct config *cfg, struct api *a, int fd,
	       const char *cert_pem, const char *key_pem, struct http **ret,
	       char *msg, size_t msgsize);
void http_stop(struct http *h);

#endif
