/*
 * http.c - libmicrohttpd glue. See http.h.
 *
 * libmicrohttpd parses HTTP and answers malformed requests with 400 itself;
 * what it accepts but frames ambiguously (api/httpframe.h) is refused here
 * before any body is read, and the connection closed. Otherwise this file
 * gathers a request (raw URI, headers in order, body up to HTTP_BODY_MAX),
 * calls the router, and queues its reply. The raw URI comes
 * from the URI-log callback because presigned SigV4 needs the query string
 * exactly as sent, which the parsed argument list no longer is.
 *
 * Connections: libmicrohttpd's accept-policy and notify callbacks feed
 * api/conntab (who may come in, each connection's phase), and a sweeper
 * thread drops those past their phase's deadline; libmicrohttpd has no
 * header or body deadline of its own, and its inactivity timeout restarts
 * with every byte a slow client sends.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "api/conntab.h"
#include "api/httpframe.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"

#define HTTP_MAX_HEADERS 128

#define HTTP_SWEEP_MS	   200 /* how often deadlines are checked */
#define HTTP_IDLE_SHORT_S  2   /* keep-alive idle near the limit */
#define HTTP_MHD_SLACK	   64  /* connections over ours libmicrohttpd allows */
#define HTTP_MHD_TIMEOUT_S 120 /* its own inactivity timeout, a backstop */
#define HTTP_REPORT_S	   10  /* dropped connections: one line this often */

struct http {
	struct MHD_Daemon *d;
	struct api *api;
	int fd;
	struct conntab *ct;
	pthread_t sweeper;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool sweeping, stopping;
};

struct req {
	char *uri;
	struct buf body;
	bool started;
	bool too_large;
	bool unsigned_req; /* no SigV4 at all: refused before the body */
	struct timeval t0;
};

/* conntab counts in seconds, from common/clock.h's monotonic clock. */
static double
now_s(void)
{
	return (double)clock_now_ms() / 1e3;
}

/* Connection tracking (api/conntab.h). */

/* Only shutdown: libmicrohttpd closes the fd after on_connection has
 * removed it from the table, under the lock this runs under. */
static void
drop_fd(void *ctx, int fd)
{
	shutdown(fd, SHUT_RDWR);
}

static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http *h = cls;

	return conntab_admit(h->ct, addr, now_s()) ? MHD_YES : MHD_NO;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
	      enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	const union MHD_ConnectionInfo *fd, *sa;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		conntab_remove(h->ct, *socket_context);
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	sa = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	*socket_context = fd && sa ? conntab_add(h->ct, fd->connect_fd,
						 sa->client_addr, now_s())
				   : NULL;
}

static void
phase(struct http *h, struct MHD_Connection *conn, enum conn_phase p)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	if (ci)
		conntab_phase(h->ct, ci->socket_context, p, now_s());
}

/* A flood is one WARN line every HTTP_REPORT_S, not one per connection. */
static void
report_drops(struct http *h, double now, double *next)
{
	struct conntab_counts c;

	if (now < *next)
		return;
	*next = now + HTTP_REPORT_S;
	conntab_take_counts(h->ct, &c);
	if (c.refused || c.evicted || c.expired)
		log_msg(LOG_WARN, "connections dropped",
			"refused=%lu evicted=%lu expired=%lu live=%u "
			"interval_s=%d",
			c.refused, c.evicted, c.expired, conntab_live(h->ct),
			HTTP_REPORT_S);
}

static void *
sweep_loop(void *arg)
{
	struct http *h = arg;
	struct timespec ts;
	double next_report = 0;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += HTTP_SWEEP_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&h->wake, &h->lock, &ts);
		if (h->stopping)
			break;
		conntab_sweep(h->ct, now_s());
		report_drops(h, now_s(), &next_report);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *rq = calloc(1, sizeof(*rq));

	phase(cls, conn, CONN_HEAD);
	if (!rq)
		return NULL;
	rq->uri = strdup(uri ? uri : "/");
	buf_init(&rq->body, HTTP_BODY_MAX);
	gettimeofday(&rq->t0, NULL);
	return rq;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *req_cls;

	phase(cls, conn, CONN_IDLE);
	if (!rq)
		return;
	buf_free(&rq->body);
	free(rq->uri);
	free(rq);
	*req_cls = NULL;
}

struct header_list {
	struct sigv4_header v[HTTP_MAX_HEADERS];
	size_t n;
	bool overflow;
};

static enum MHD_Result
on_header(void *cls, enum MHD_ValueKind kind, const char *key,
	  const char *value)
{
	struct header_list *h = cls;

	if (h->n == HTTP_MAX_HEADERS) {
		h->overflow = true;
		return MHD_NO;
	}
	h->v[h->n].name = key;
	h->v[h->n].value = value ? value : "";
	h->n++;
	return MHD_YES;
}

static enum MHD_Result
send_reply(struct MHD_Connection *conn, struct api_reply *rep, bool close)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(rep->len, rep->body,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		api_reply_free(rep);
		return MHD_NO;
	}
	rep->body = NULL; /* the response owns it now */
	MHD_add_response_header(resp, "Content-Type", "text/xml;charset=UTF-8");
	MHD_add_response_header(resp, "x-amzn-RequestId", rep->request_id);
	MHD_add_response_header(resp, "Server", "ec2d");
	/* libmicrohttpd then reads nothing more from the connection. */
	if (close)
		MHD_add_response_header(resp, "Connection", "close");
	ret = MHD_queue_response(conn, (unsigned)rep->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static long
elapsed_us(const struct timeval *t0)
{
	struct timeval t1;

	gettimeofday(&t1, NULL);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_usec - t0->tv_usec);
}

static void
log_request(const struct req *rq, const struct api_reply *rep)
{
	/* Throttling is counted and logged by the rate limiter, once per
	 * interval: a flood must not become a flood of WARN lines. */
	bool warn = rep->code[0] && rep->status >= 500 &&
		    strcmp(rep->code, "RequestLimitExceeded") != 0;

	log_msg(warn ? LOG_WARN : LOG_INFO, "request",
		"request_id=%s action=%s status=%d code=%s us=%ld",
		rep->request_id, rep->action[0] ? rep->action : "-",
		rep->status, rep->code[0] ? rep->code : "-",
		elapsed_us(&rq->t0));
}

/*
 * An answer before the body is read: libmicrohttpd then discards the rest
 * of the request and closes the connection, so bytes after an ambiguous
 * request are never parsed as another one.
 */
static enum MHD_Result
refuse_early(struct http *h, struct MHD_Connection *conn, const struct req *rq,
	     int status, const char *code, const char *why)
{
	struct api_reply rep;
	struct err e;

	phase(h, conn, CONN_BUSY);
	err_set(&e, code, "%s", why);
	api_error_reply(&e, &rep);
	rep.status = status;
	log_request(rq, &rep);
	return send_reply(conn, &rep, true);
}

/* The first call, once the headers are in: check them before any body. */
static enum MHD_Result
on_headers(struct http *h, struct MHD_Connection *conn, struct req *rq,
	   const char *version)
{
	struct header_list hl = {.n = 0};
	const char *cl, *why;
	int status;

	rq->started = true;
	phase(h, conn, CONN_BODY);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, on_header, &hl);
	if (hl.overflow)
		return refuse_early(h, conn, rq, 400, "InvalidParameterValue",
				    "The request has too many headers.");
	status = httpframe_check(version, hl.v, hl.n, &why);
	if (status)
		return refuse_early(
		    h, conn, rq, status,
		    status == 501 ? "NotImplemented" : "InvalidRequest", why);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
		rq->too_large = true;
	/* An anonymous client gets its answer without any of its body
	 * being kept: memory goes only to signed requests. */
	rq->unsigned_req =
	    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_AUTHORIZATION) &&
	    !strstr(rq->uri, "X-Amz-Algorithm=");
	return MHD_YES;
}

static void
handle(struct http *h, struct req *rq, const char *method,
       struct api_reply *rep, struct MHD_Connection *conn)
{
	struct header_list hl = {.n = 0};
	struct api_request ar;
	struct err e;
	char *query;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, on_header, &hl);
	if (rq->unsigned_req && !rq->too_large) {
		err_set(&e, "MissingAuthenticationToken",
			"Request is missing Authentication Token");
		api_error_reply(&e, rep);
		return;
	}
	if (rq->too_large) {
		err_set(&e, "RequestEntityTooLarge",
			"The request body is larger than %u bytes.",
			HTTP_BODY_MAX);
		api_error_reply(&e, rep);
		return;
	}
	query = strchr(rq->uri, '?');
	if (query)
		*query++ = '\0';
	ar = (struct api_request){
	    .method = method,
	    .path = rq->uri,
	    .query = query ? query : "",
	    .headers = hl.v,
	    .nheaders = hl.n,
	    .body = rq->body.data ? rq->body.data : "",
	    .body_len = rq->body.len,
	};
	api_handle(h->api, &ar, rep);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_size, void **req_cls)
{
	struct http *h = cls;
	struct req *rq = *req_cls;
	struct api_reply rep;

	if (!rq)
		return MHD_NO;
	if (!rq->started)
		return on_headers(h, conn, rq, version);
	if (*upload_size) {
		if (!rq->too_large && !rq->unsigned_req) {
			buf_add(&rq->body, upload_data, *upload_size);
			rq->too_large = buf_failed(&rq->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	phase(h, conn, CONN_BUSY);
	handle(h, rq, method, &rep, conn);
	log_request(rq, &rep);
	return send_reply(conn, &rep, false);
}

/* host:port or [v6]:port -> a bound, listening, non-blocking socket. */
int
http_listen(const char *spec, int *ret_port, char *msg, size_t msgsize)
{
	char host[128], port[16];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = {0}, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, one = 1, rc;
	size_t hl;

	if (!colon || colon == spec) {
		snprintf(msg, msgsize, "%s: expected HOST:PORT", spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl > 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host) || strlen(colon + 1) >= sizeof(port)) {
		snprintf(msg, msgsize, "%s: address too long", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(msg, msgsize, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(msg, msgsize, "%s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	*ret_port = ntohs(ss.ss_family == AF_INET6
			      ? ((struct sockaddr_in6 *)&ss)->sin6_port
			      : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static struct conntab *
make_conntab(const struct config *cfg)
{
	struct conntab_limits lim = {
	    .max = (unsigned)cfg->max_connections,
	    .per_addr = (unsigned)cfg->max_connections_per_address,
	    .header_s = cfg->header_timeout_s,
	    .body_s = cfg->body_timeout_s,
	    .idle_s = cfg->idle_timeout_s,
	    .idle_short_s = HTTP_IDLE_SHORT_S < cfg->idle_timeout_s
				? HTTP_IDLE_SHORT_S
				: cfg->idle_timeout_s,
	};

	return conntab_new(&lim, drop_fd, NULL);
}

static void
http_free(struct http *h)
{
	if (h->sweeping) {
		pthread_mutex_lock(&h->lock);
		h->stopping = true;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->sweeper, NULL);
	}
	if (h->d)
		MHD_stop_daemon(h->d); /* closes the listening socket too */
	else if (h->fd >= 0)
		close(h->fd);
	conntab_free(h->ct);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static struct http *
http_new(struct api *a, int fd)
{
	struct http *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (!h)
		return NULL;
	h->api = a;
	h->fd = fd;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&h->lock, NULL);
	return h;
}

static int
start_sweeper(struct http *h)
{
	h->sweeping = pthread_create(&h->sweeper, NULL, sweep_loop, h) == 0;
	return h->sweeping ? 0 : -1;
}

/*
 * Our table (conntab) decides who comes in, so libmicrohttpd's own limit
 * sits above ours: per worker thread, since it splits its limit among
 * them, and with slack for evicted connections not yet closed.
 */
static struct MHD_Daemon *
start_daemon(const struct config *cfg, struct http *h, const char *cert_pem,
	     const char *key_pem)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	unsigned threads = (unsigned)cfg->threads;
	unsigned limit =
	    threads * ((unsigned)cfg->max_connections + HTTP_MHD_SLACK);
	unsigned timeout = HTTP_MHD_TIMEOUT_S;

	if ((unsigned)cfg->idle_timeout_s >= timeout)
		timeout = (unsigned)cfg->idle_timeout_s + 10;
	if (cert_pem)
		flags |= MHD_USE_TLS;
	return MHD_start_daemon(
	    flags, 0, on_accept, h, on_request, h, MHD_OPTION_LISTEN_SOCKET,
	    h->fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT,
	    timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)HTTP_CONN_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
	    cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
}

int
http_start(const struct config *cfg, struct api *a, int fd,
	   const char *cert_pem, const char *key_pem, struct http **ret,
	   char *msg, size_t msgsize)
{
	struct http *h = http_new(a, fd);

	if (!h) {
		snprintf(msg, msgsize, "out of memory");
		close(fd);
		return -1;
	}
	h->ct = make_conntab(cfg);
	if (!h->ct || start_sweeper(h) < 0) {
		snprintf(msg, msgsize, "out of memory");
		http_free(h);
		return -1;
	}
	h->d = start_daemon(cfg, h, cert_pem, key_pem);
	if (!h->d) {
		snprintf(msg, msgsize, "%s: the HTTP server did not start%s",
			 cfg->listen, cert_pem ? " (check the TLS files)" : "");
		http_free(h);
		return -1;
	}
	*ret = h;
	return 0;
}

void
http_stop(struct http *h)
{
	if (h)
		http_free(h);
}
