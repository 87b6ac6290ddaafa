/*
 * imds_server.c - libmicrohttpd listeners in the VPC routers. See
 * imds_server.h.
 *
 * The listening socket is made by a thread that entered the router's
 * namespace (netns_call), so it belongs to that namespace for good; the
 * daemon's own thread then accepts on it from ec2d's namespace. Replies
 * to a token PUT leave with the instance's hop limit as IP TTL (AWS's
 * HttpPutResponseHopLimit), set on the connection's socket before the
 * reply is queued.
 */
#include "agent/imds/imds_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/net/netns.h"
#include "common/ids.h"
#include "common/ipv4.h"
#include "common/log.h"

#define CONN_MEMORY (32u << 10)
#define BODY_MAX    4096 /* a token PUT has no use for a body */

struct listener {
	struct imds_server *s;
	unsigned vpc;
	char netns[64];
	struct MHD_Daemon *d;
	struct stat ns_id; /* the namespace the socket lives in */
};

struct imds_server {
	struct imds_server_config cfg;
	unsigned char key[IMDS_TOKEN_KEY_LEN];
	pthread_mutex_t lock;
	struct listener **v;
	size_t n;
	size_t cap;
};

/* Per request: the body is read and thrown away. */
struct req {
	size_t body;
};

static void
peer_ip(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr_in *sin;

	out[0] = '\0';
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return;
	sin = (const struct sockaddr_in *)ci->client_addr;
	inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)size);
}

static void
set_ip_ttl(struct MHD_Connection *conn, int ttl)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	/* -1 restores the route's default TTL for the next replies. */
	if (ci)
		setsockopt(ci->connect_fd, IPPROTO_IP, IP_TTL, &ttl,
			   sizeof(ttl));
}

static enum MHD_Result
send_reply(struct MHD_Connection *conn, struct imds_response *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char ttl[24];

	r = MHD_create_response_from_buffer(rs->body.len,
					    rs->body.data ? rs->body.data : "",
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", rs->content_type);
	MHD_add_response_header(r, "Server", "EC2ws");
	if (rs->token_ttl > 0) {
		snprintf(ttl, sizeof(ttl), "%ld", rs->token_ttl);
		MHD_add_response_header(
		    r, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds", ttl);
	}
	set_ip_ttl(conn, rs->ip_ttl ? (int)rs->ip_ttl : -1);
	ret = MHD_queue_response(conn, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_size, void **req_cls)
{
	struct listener *l = cls;
	struct imds_server *s = l->s;
	struct host_metadata *md = NULL;
	struct imds_request rq;
	struct imds_response rs;
	struct req *r = *req_cls;
	enum MHD_Result ret;
	char ip[INET_ADDRSTRLEN];

	if (!r) {
		*req_cls = r = calloc(1, sizeof(*r));
		return r ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		r->body += *upload_size;
		*upload_size = 0;
		return r->body > BODY_MAX ? MHD_NO : MHD_YES;
	}
	peer_ip(conn, ip, sizeof(ip));
	md = malloc(sizeof(*md));
	if (md && (!ip[0] || s->cfg.lookup(s->cfg.ctx, l->vpc, ip, md) < 0)) {
		free(md);
		md = NULL;
	}
	rq = (struct imds_request){
	    .method = method,
	    .path = url,
	    .token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 "X-aws-ec2-metadata-token"),
	    .token_ttl = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, "X-aws-ec2-metadata-token-ttl-seconds"),
	    .forwarded = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     "X-Forwarded-For") != NULL,
	    .now = time(NULL),
	};
	imds_handle(s->key, md, &rq, &rs);
	if (rs.metadata_read && s->cfg.on_read)
		s->cfg.on_read(s->cfg.ctx, l->vpc, md->instance_id);
	log_msg(LOG_DEBUG, "imds",
		"vpc=%u peer=%s method=%s path=\"%.200s\" "
		"status=%d",
		l->vpc, ip, method, url, rs.status);
	ret = send_reply(conn, &rs);
	imds_response_free(&rs);
	free(md);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
	     enum MHD_RequestTerminationCode toe)
{
	free(*req_cls);
	*req_cls = NULL;
}

struct bind_arg {
	unsigned port;
	int fd;
	struct stat ns_id;
};

/* Runs inside the router's namespace. */
static int
bind_in_ns(void *p)
{
	struct bind_arg *a = p;
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)a->port),
	};
	int one = 1, fd, nsfd;

	inet_pton(AF_INET, IPV4_IMDS_ADDR, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 128) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	/* Remember which namespace this socket is in (see socket_ns). */
	nsfd = ioctl(fd, SIOCGSKNS);
	if (nsfd >= 0) {
		fstat(nsfd, &a->ns_id);
		close(nsfd);
	}
	a->fd = fd;
	return 0;
}

static bool
same_ns(const struct stat *a, const char *netns)
{
	char path[128];
	struct stat b;

	snprintf(path, sizeof(path), NETNS_DIR "/%s", netns);
	return stat(path, &b) == 0 && a->st_dev == b.st_dev &&
	       a->st_ino == b.st_ino;
}

static void
listener_free(struct listener *l)
{
	if (!l)
		return;
	/* The daemon closes the listening socket it was given. */
	if (l->d)
		MHD_stop_daemon(l->d);
	free(l);
}

static struct listener *
listener_new(struct imds_server *s, unsigned vpc, const char *netns,
	     struct err *e)
{
	struct bind_arg a = {.port = s->cfg.port ? s->cfg.port : IMDS_PORT,
			     .fd = -1};
	struct listener *l = calloc(1, sizeof(*l));
	int rc;

	if (!l) {
		err_set(e, "InternalError", "out of memory");
		return NULL;
	}
	l->s = s;
	l->vpc = vpc;
	snprintf(l->netns, sizeof(l->netns), "%s", netns);
	rc = netns_call(netns, bind_in_ns, &a);
	if (rc < 0) {
		err_set(e, "InternalError",
			"metadata service in %s: bind %s:%u: %s", netns,
			IPV4_IMDS_ADDR, a.port, strerror(-rc));
		free(l);
		return NULL;
	}
	l->ns_id = a.ns_id;
	l->d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
	    on_request, l, MHD_OPTION_LISTEN_SOCKET, a.fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)IMDS_CONNECTIONS_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)IMDS_CONNECTIONS_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)IMDS_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)CONN_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    NULL, MHD_OPTION_END);
	if (!l->d) {
		close(a.fd);
		free(l);
		err_set(e, "InternalError",
			"metadata service in %s: the HTTP server did not start",
			netns);
		return NULL;
	}
	log_msg(LOG_INFO, "metadata service listening", "vpc=%u netns=%s", vpc,
		netns);
	return l;
}

int
imds_server_new(const struct imds_server_config *cfg, struct imds_server **ret,
		struct err *e)
{
	struct imds_server *s;

	if (!cfg->lookup)
		return err_set(e, "InternalError", "no metadata lookup");
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, "InternalError", "out of memory");
	s->cfg = *cfg;
	if (cfg->token_key)
		memcpy(s->key, cfg->token_key, sizeof(s->key));
	else
		id_random(s->key, sizeof(s->key));
	s->cfg.token_key = NULL; /* never kept as a borrowed pointer */
	pthread_mutex_init(&s->lock, NULL);
	*ret = s;
	return 0;
}

static ssize_t
find(const struct imds_server *s, unsigned vpc)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i]->vpc == vpc)
			return (ssize_t)i;
	return -1;
}

int
imds_server_listen(struct imds_server *s, unsigned vpc, const char *netns,
		   struct err *e)
{
	struct listener *l, *old = NULL;
	ssize_t i;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	i = find(s, vpc);
	if (i >= 0 && strcmp(s->v[i]->netns, netns) == 0 &&
	    same_ns(&s->v[i]->ns_id, netns))
		goto out;
	if (i >= 0) {
		/* The router was made anew: the old socket is in a dead one. */
		old = s->v[i];
		s->v[i] = s->v[--s->n];
		listener_free(old);
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct listener **v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			rc = err_set(e, "InternalError", "out of memory");
			goto out;
		}
		s->v = v;
		s->cap = cap;
	}
	l = listener_new(s, vpc, netns, e);
	if (!l)
		rc = -1;
	else
		s->v[s->n++] = l;
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void
imds_server_unlisten(struct imds_server *s, unsigned vpc)
{
	struct listener *l = NULL;
	ssize_t i;

	pthread_mutex_lock(&s->lock);
	i = find(s, vpc);
	if (i >= 0) {
		l = s->v[i];
		s->v[i] = s->v[--s->n];
	}
	pthread_mutex_unlock(&s->lock);
	listener_free(l);
}

void
imds_server_free(struct imds_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		listener_free(s->v[i]);
	free(s->v);
	pthread_mutex_destroy(&s->lock);
	/* The token key is a secret: do not leave it in freed memory. */
	explicit_bzero(s->key, sizeof(s->key));
	free(s);
}
