/*
 * net.c - the instance network's lifecycle. See net.h for the contract.
 *
 * Each call follows the same steps: validate, observe the namespace (a
 * thread inside it lists devices and addresses), render the missing
 * pieces as an `ip -batch` script (net_render.c, pure), run it with one
 * `ip -n NS -batch -` (spawn_run, bounded), then bring dnsmasq's files
 * and process in line (net_dhcp.c). Nothing is remembered between calls:
 * the kernel and the files under RUN are the state, which is what makes a
 * restarted ec2d adopt what the previous one built.
 */
#include "agent/net/net.h"
#include "agent/net/net_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/net/net_dhcp.h"
#include "agent/net/net_file.h"
#include "agent/net/netns.h"
#include "agent/spawn.h"
#include "common/log.h"
#include "common/params.h"

#define DEFAULT_IP	"/usr/sbin/ip"
#define DEFAULT_DNSMASQ "/usr/sbin/dnsmasq"
#define DEFAULT_NFT	"/usr/sbin/nft"

void
net_vpc_paths(const struct net *n, unsigned vpc, struct vpc_paths *p)
{
	snprintf(p->dir, sizeof(p->dir), "%s/vpc%u", n->cfg.run_dir, vpc);
	snprintf(p->conf, sizeof(p->conf), "%s/dnsmasq.conf", p->dir);
	snprintf(p->pid, sizeof(p->pid), "%s/dnsmasq.pid", p->dir);
	snprintf(p->log, sizeof(p->log), "%s/dnsmasq.log", p->dir);
	snprintf(p->hosts, sizeof(p->hosts), "%s/hosts", p->dir);
}

long long
net_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* InternalError naming the step, the errno or exit status, and output. */
int
net_fail(struct err *e, const char *what, int rc, const struct buf *out)
{
	const char *text = out ? buf_cstr(out) : "";
	char status[64];

	if (rc < 0)
		snprintf(status, sizeof(status), "%s", strerror(-rc));
	else
		snprintf(status, sizeof(status), "exit status %d", rc);
	log_msg(LOG_WARN, "net step failed", "step=\"%s\" status=\"%s\"", what,
		status);
	return err_set(e, "InternalError", "%s: %s%s%.600s", what, status,
		       *text ? ": " : "", text);
}

/* --- running ip ---------------------------------------------------- */

int
net_tool(const char *const *argv, const char *input, struct buf *out)
{
	struct spawn_opts o;
	struct spawn_result r;
	int rc;

	/* spawn's argv is not const-qualified; it is not written. */
	spawn_opts_init(&o, (char *const *)argv);
	o.input = input;
	o.out = o.err = out;
	o.timeout_ms = NET_TOOL_TIMEOUT_MS;
	rc = spawn_run(&o, &r);
	return rc < 0 ? rc : spawn_exit_code(r.status);
}

int
net_run_ip(struct net *n, const char *const *args, const char *input,
	   const char *what, struct err *e)
{
	const char *argv[16];
	struct buf out;
	size_t i = 0;
	int rc;

	argv[i++] = n->cfg.ip_bin;
	for (; *args && i < 15; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	buf_init(&out, NET_RUN_OUTPUT_MAX + 1);
	rc = net_tool(argv, input, &out);
	if (rc != 0)
		net_fail(e, what, rc, &out);
	buf_free(&out);
	return rc == 0 ? 0 : -1;
}

int
net_ip_batch(struct net *n, const char *ns, const struct buf *batch,
	     const char *what, struct err *e)
{
	const char *args[] = {"-n", ns, "-batch", "-", NULL};

	if (buf_failed(batch))
		return err_set(e, "InternalError", "%s: batch too long", what);
	if (batch->len == 0)
		return 0;
	return net_run_ip(n, args, buf_cstr(batch), what, e);
}

struct nft_call {
	const char *argv[4];
	const char *input;
	struct buf *out;
};

static int
nft_in_ns(void *p)
{
	struct nft_call *c = p;

	return net_tool(c->argv, c->input, c->out);
}

int
net_nft(struct net *n, const char *ns, const struct buf *script,
	const char *what, struct err *e)
{
	struct buf out;
	struct nft_call c = {
	    .argv = {n->cfg.nft_bin, "-f", "-", NULL},
	    .input = buf_cstr(script),
	    .out = &out,
	};
	int rc;

	if (buf_failed(script))
		return err_set(e, "InternalError", "%s: script too long", what);
	if (script->len == 0)
		return 0;
	buf_init(&out, NET_RUN_OUTPUT_MAX + 1);
	rc = netns_call(ns, nft_in_ns, &c);
	if (rc != 0)
		net_fail(e, what, rc, &out);
	buf_free(&out);
	return rc == 0 ? 0 : -1;
}

/* --- namespaces ----------------------------------------------------- */

struct sysctl {
	const char *path; /* under /proc/sys/ */
	const char *value;
};

static const struct sysctl host_sysctls[] = {
    /* The default VPC is IPv4 only: no link-local chatter on it. */
    {"net/ipv6/conf/all/disable_ipv6", "1"},
    {"net/ipv6/conf/default/disable_ipv6", "1"},
    {NULL, NULL},
};

static const struct sysctl router_sysctls[] = {
    {"net/ipv6/conf/all/disable_ipv6", "1"},
    {"net/ipv6/conf/default/disable_ipv6", "1"},
    /* The router routes between the subnets of its VPC. */
    {"net/ipv4/ip_forward", "1"},
    /* All subnets share one bridge: a redirect would send instances
     * around the router (and later around the network ACLs). */
    {"net/ipv4/conf/all/send_redirects", "0"},
    {"net/ipv4/conf/default/send_redirects", "0"},
    {NULL, NULL},
};

/* Runs inside the namespace: /proc/sys/net is the calling thread's. */
static int
write_sysctls(void *p)
{
	for (const struct sysctl *s = p; s->path; s++) {
		char path[128];
		int fd, rc = 0;

		snprintf(path, sizeof(path), "/proc/sys/%s", s->path);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (write(fd, s->value, strlen(s->value)) < 0)
			rc = -errno;
		close(fd);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
net_ns_ensure(struct net *n, const char *ns, enum net_ns_kind kind,
	      struct err *e)
{
	const struct sysctl *sysctls =
	    kind == NET_NS_ROUTER ? router_sysctls : host_sysctls;
	char what[128];
	int rc;

	if (!netns_exists(ns)) {
		const char *del[] = {"netns", "del", ns, NULL};
		const char *add[] = {"netns", "add", ns, NULL};
		char stale[256];

		/* A plain file left by a crash blocks `ip netns add`. */
		snprintf(stale, sizeof(stale), NETNS_DIR "/%s", ns);
		if (access(stale, F_OK) == 0)
			net_run_ip(n, del, NULL, "remove stale namespace",
				   NULL);
		snprintf(what, sizeof(what), "create namespace %s", ns);
		if (net_run_ip(n, add, NULL, what, e) < 0)
			return -1;
		log_msg(LOG_INFO, "namespace created", "netns=%s", ns);
	}
	rc = netns_call(ns, write_sysctls, (void *)sysctls);
	if (rc < 0) {
		snprintf(what, sizeof(what), "sysctls of %s", ns);
		return net_fail(e, what, rc, NULL);
	}
	return 0;
}

int
net_ns_delete(struct net *n, const char *ns, struct err *e)
{
	const char *del[] = {"netns", "del", ns, NULL};
	char what[128], path[256];

	/* A stale file (no namespace mounted on it) goes the same way. */
	snprintf(path, sizeof(path), NETNS_DIR "/%s", ns);
	if (access(path, F_OK) < 0)
		return 0;
	snprintf(what, sizeof(what), "delete namespace %s", ns);
	if (net_run_ip(n, del, NULL, what, e) < 0)
		return -1;
	log_msg(LOG_INFO, "namespace deleted", "netns=%s", ns);
	return 0;
}

static unsigned
mask_prefix(const struct sockaddr *sa)
{
	uint32_t m =
	    sa ? ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) : 0;
	unsigned p = 0;

	while (m & 0x80000000u) {
		p++;
		m <<= 1;
	}
	return p;
}

/* Runs inside the namespace: its devices and IPv4 addresses. */
static int
observe_in_ns(void *p)
{
	struct net_observed *o = p;
	struct if_nameindex *ifs = if_nameindex();
	struct ifaddrs *ifa = NULL;

	if (!ifs)
		return -errno;
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		strlist_add(&o->links, i->if_name);
	if_freenameindex(ifs);
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (struct ifaddrs *a = ifa; a; a = a->ifa_next) {
		char ip[IPV4_STRLEN];

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
			continue;
		ipv4_format(
		    ntohl(((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr),
		    ip);
		strlist_addf(&o->addrs, "%s %s/%u", a->ifa_name, ip,
			     mask_prefix(a->ifa_netmask));
	}
	freeifaddrs(ifa);
	return o->links.failed || o->addrs.failed ? -ENOMEM : 0;
}

int
net_observe(const char *ns, struct net_observed *o, struct err *e)
{
	int rc = netns_call(ns, observe_in_ns, o);
	char what[128];

	if (rc < 0) {
		snprintf(what, sizeof(what), "observe namespace %s", ns);
		return net_fail(e, what, rc, NULL);
	}
	return 0;
}

/* --- open / close ----------------------------------------------------- */

static int
path_ok(const char *p)
{
	return p[0] == '/' && !strpbrk(p, "\n\r") && access(p, X_OK) == 0;
}

int
net_open(const struct net_config *cfg, struct net **ret, struct err *e)
{
	struct net *n;
	int rc;

	if (!net_tag_valid(cfg->tag))
		return err_set(e, "InvalidParameterValue",
			       "network tag \"%s\": 4-6 characters of [a-z0-9]",
			       cfg->tag);
	n = calloc(1, sizeof(*n));
	if (!n)
		return err_set(e, "InternalError", "out of memory");
	n->cfg = *cfg;
	if (!n->cfg.run_dir[0])
		snprintf(n->cfg.run_dir, sizeof(n->cfg.run_dir),
			 "/run/" NET_PREFIX "-%s", cfg->tag);
	if (!n->cfg.ip_bin[0])
		snprintf(n->cfg.ip_bin, sizeof(n->cfg.ip_bin), DEFAULT_IP);
	if (!n->cfg.dnsmasq_bin[0])
		snprintf(n->cfg.dnsmasq_bin, sizeof(n->cfg.dnsmasq_bin),
			 DEFAULT_DNSMASQ);
	if (!n->cfg.nft_bin[0])
		snprintf(n->cfg.nft_bin, sizeof(n->cfg.nft_bin), DEFAULT_NFT);
	if (!path_ok(n->cfg.ip_bin) || !path_ok(n->cfg.dnsmasq_bin) ||
	    !path_ok(n->cfg.nft_bin)) {
		err_set(e, "InternalError",
			"%s, %s or %s is missing (Debian packages iproute2, "
			"dnsmasq-base and nftables)",
			n->cfg.ip_bin, n->cfg.dnsmasq_bin, n->cfg.nft_bin);
		free(n);
		return -1;
	}
	rc = n->cfg.run_dir[0] != '/' || strpbrk(n->cfg.run_dir, "\n\r")
		 ? -EINVAL
		 : net_file_mkdir_p(n->cfg.run_dir, 0755);
	if (rc < 0) {
		err_set(e, "InternalError", "run directory %s: %s",
			n->cfg.run_dir, strerror(-rc));
		free(n);
		return -1;
	}
	pthread_mutex_init(&n->lock, NULL);
	*ret = n;
	return 0;
}

void
net_close(struct net *n)
{
	if (!n)
		return;
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* --- hosts ------------------------------------------------------------ */

int
net_host_ensure(struct net *n, unsigned host, char ret_ns[NET_NSNAME_SIZE],
		struct err *e)
{
	char ns[NET_NSNAME_SIZE];
	int rc;

	if (net_name_host_ns(n->cfg.tag, host, ns) < 0)
		return err_set(e, "InvalidParameterValue", "host number %u",
			       host);
	pthread_mutex_lock(&n->lock);
	rc = net_ns_ensure(n, ns, NET_NS_HOST, e);
	if (rc == 0) {
		struct buf guard;

		buf_init(&guard, NET_BATCH_MAX);
		net_render_guard_base(&guard);
		rc = net_nft(n, ns, &guard, "the host's port guard", e);
		buf_free(&guard);
	}
	pthread_mutex_unlock(&n->lock);
	if (rc == 0)
		memcpy(ret_ns, ns, sizeof(ns));
	return rc;
}

int
net_host_remove(struct net *n, unsigned host, struct err *e)
{
	char ns[NET_NSNAME_SIZE];
	int rc;

	if (net_name_host_ns(n->cfg.tag, host, ns) < 0)
		return err_set(e, "InvalidParameterValue", "host number %u",
			       host);
	pthread_mutex_lock(&n->lock);
	rc = net_ns_delete(n, ns, e);
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/* --- destroy ---------------------------------------------------------- */

/*
 * Stop the dnsmasq of a router namespace; name every other process found
 * in ns in busy (they are not ours to end).
 */
static void
end_processes(struct net *n, const char *ns, struct strlist *busy)
{
	struct strlist pids;
	const char *num = strstr(ns, "-vpc");
	struct vpc_paths p;
	long long vpc = 0;

	if (num)
		parse_ll(num + 4, 1, NET_NUM_MAX, &vpc);
	if (vpc > 0) {
		pid_t pid;

		net_vpc_paths(n, (unsigned)vpc, &p);
		pid = net_dhcp_pid(p.pid, p.conf, ns);
		if (pid > 0 && net_dhcp_stop(pid, p.conf, ns) < 0)
			strlist_addf(busy, "%s: dnsmasq %ld", ns, (long)pid);
	}
	strlist_init(&pids);
	netns_pids(ns, &pids);
	for (size_t i = 0; i < pids.n; i++)
		strlist_addf(busy, "%s: %s", ns, pids.v[i]);
	strlist_free(&pids);
}

int
net_destroy(struct net *n, struct err *e)
{
	char prefix[NET_NSNAME_SIZE];
	struct strlist nss, busy;
	struct buf msg;
	int rc = 0;

	net_name_ns_prefix(n->cfg.tag, prefix);
	strlist_init(&nss);
	strlist_init(&busy);
	pthread_mutex_lock(&n->lock);
	rc = netns_list(prefix, &nss);
	if (rc < 0) {
		net_fail(e, "list namespaces", rc, NULL);
		goto out;
	}
	for (size_t i = 0; i < nss.n; i++)
		end_processes(n, nss.v[i], &busy);
	for (size_t i = 0; i < nss.n && rc == 0; i++)
		rc = net_ns_delete(n, nss.v[i], e);
	if (rc < 0)
		goto out;
	rc = net_file_remove_tree(n->cfg.run_dir);
	if (rc < 0) {
		net_fail(e, "remove the run directory", rc, NULL);
		goto out;
	}
	if (busy.n > 0) {
		buf_init(&msg, 900);
		for (size_t i = 0; i < busy.n; i++)
			buf_addf(&msg, "%s%s", i ? ", " : "", busy.v[i]);
		err_set(e, "InternalError",
			"namespaces removed, but processes still run in them: "
			"%s",
			buf_failed(&msg) ? "(too many to name)"
					 : buf_cstr(&msg));
		buf_free(&msg);
		rc = -1;
	}
	log_msg(LOG_INFO, "network destroyed", "tag=%s namespaces=%zu",
		n->cfg.tag, nss.n);
out:
	pthread_mutex_unlock(&n->lock);
	strlist_free(&nss);
	strlist_free(&busy);
	return rc < 0 ? -1 : 0;
}
