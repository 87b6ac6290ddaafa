/*
 * net_impl.h - what net.c shares with net_vpc.c and net_port.c; not for
 * use outside src/agent/net/. The public contract is net.h.
 */
#ifndef EC2D_AGENT_NET_NET_IMPL_H
#define EC2D_AGENT_NET_NET_IMPL_H

#include <pthread.h>
#include <sys/types.h>

#include "agent/net/net.h"
#include "common/buf.h"
#include "common/err.h"

#define NET_BATCH_MAX	    (256u << 10)
#define NET_DHCP_LOG_MAX    (1u << 20)	/* dnsmasq.log is emptied past this */
#define NET_RUN_OUTPUT_MAX  (16u << 10) /* kept of a tool's output */
#define NET_TOOL_TIMEOUT_MS 30000	/* one run of ip or nft */

struct net {
	struct net_config cfg; /* with the defaults filled in */
	pthread_mutex_t lock;  /* one call at a time */
};

/* The files of one VPC's dnsmasq under RUN/vpc<no>/. */
struct vpc_paths {
	char dir[NET_PATH_MAX + 32];
	char conf[NET_PATH_MAX + 64];
	char pid[NET_PATH_MAX + 64];
	char log[NET_PATH_MAX + 64];
	char hosts[NET_PATH_MAX + 64]; /* one file per port */
};

enum net_ns_kind {
	NET_NS_HOST,
	NET_NS_ROUTER,
};

void net_vpc_paths(const struct net *n, unsigned vpc, struct vpc_paths *p);
long long net_now_us(void);

/* InternalError naming the step, errno or exit status, and output;
 * returns -1. */
int net_fail(struct err *e, const char *what, int rc, const struct buf *out);

/*
 * Run a tool (spawn_run, NET_TOOL_TIMEOUT_MS) in the calling thread's
 * namespace, stdout and stderr together into out: its exit status
 * (0..255), -ECHILD when it was killed, or -errno.
 */
int net_tool(const char *const *argv, const char *input, struct buf *out);

/* `ip ARGS...` (at most 14); -1 with e filled when it fails. */
int net_run_ip(struct net *n, const char *const *args, const char *input,
	       const char *what, struct err *e);
/* `nft -f -` with script on stdin, inside namespace ns; nothing when
 * it is empty. */
int net_nft(struct net *n, const char *ns, const struct buf *script,
	    const char *what, struct err *e);
/* `ip -n NS -batch -` with batch on stdin; nothing when it is empty. */
int net_ip_batch(struct net *n, const char *ns, const struct buf *batch,
		 const char *what, struct err *e);

/* Make the namespace when missing; (re)apply its sysctls. */
int net_ns_ensure(struct net *n, const char *ns, enum net_ns_kind kind,
		  struct err *e);
int net_ns_delete(struct net *n, const char *ns, struct err *e);
/* Devices and IPv4 addresses of a namespace. */
int net_observe(const char *ns, struct net_observed *o, struct err *e);

/* Make sure the VPC's dnsmasq runs (its log bounded); SIGHUP it when
 * reload is set. */
int net_dhcp_ensure(struct net *n, unsigned vpc, int reload, struct err *e);

#endif
