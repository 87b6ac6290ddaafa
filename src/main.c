/*
 * main.c - the ec2d command line: serve, env, down, gc, actions, version.
 *
 * `serve` takes the data directory (creating it), locks it so two ec2d
 * never share one, opens the store, creates the account and its root
 * access key at first start, starts the HTTP front end, and waits for
 * SIGTERM or SIGINT. Signals are blocked before any thread starts, so only
 * the main thread receives them (sigwait), and shutdown is orderly.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/host.h"
#include "api/http.h"
#include "api/router.h"
#include "api/tlscert.h"
#include "common/config.h"
#include "common/fault.h"
#include "common/ids.h"
#include "common/lockfile.h"
#include "common/log.h"
#include "control/control.h"
#include "control/cloud.h"
#include "control/images.h"
#include "control/teardown.h"
#include "store/access_keys.h"
#include "store/meta.h"
#include "store/store.h"
#include "version.h"

static const char usage[] =
    "usage: ec2d COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  serve     run the API (foreground; SIGTERM stops it cleanly)\n"
    "  env       print export lines that point aws-cli and boto3 at ec2d\n"
    "  down      power off the guests of --data-dir and remove what its\n"
    "            deployment made on this machine (the data stays)\n"
    "  gc [--yes [--orphans]]   list (--yes: remove) deployments whose\n"
    "            data directory is gone; --orphans also those found\n"
    "            only by name\n"
    "  actions   print the implemented actions (docs/api-coverage.md)\n"
    "  faults    print the crash points of EC2D_FAULT (tests)\n"
    "  version   print the version\n"
    "\n"
    "Options (serve, env and down; also as `key = value` lines in\n"
    "--config):\n"
    "  --config FILE          read settings from FILE first\n"
    "  --data-dir DIR         state directory [/var/lib/ec2d]\n"
    "  --listen HOST:PORT     address to serve on [127.0.0.1:8799];\n"
    "                         port 0 picks a free one\n"
    "  --endpoint URL         the URL clients use [from --listen]\n"
    "  --region NAME          region name [us-east-1]\n"
    "  --zones A,B,...        zone names [REGIONa,REGIONb,REGIONc]\n"
    "  --tls on|off           HTTPS; without --tls-cert a self-signed\n"
    "                         certificate is made in DIR/tls/ [off]\n"
    "  --tls-cert FILE        PEM certificate (turns HTTPS on)\n"
    "  --tls-key FILE         PEM private key\n"
    "  --rate-limit N         requests per second per access key;\n"
    "                         0 turns limiting off [200]\n"
    "  --rate-burst N         burst size of that limit [400]\n"
    "  --threads N            HTTP worker threads [2]\n"
    "  --max-connections N    concurrent connections [1000]; at the limit\n"
    "                         a new one evicts a waiting one\n"
    "  --max-connections-per-address N   from one IPv4 address or IPv6\n"
    "                         /64 [128]\n"
    "  --header-timeout S, --body-timeout S, --idle-timeout S\n"
    "                         seconds to send the request line and\n"
    "                         headers, the body, and to idle between\n"
    "                         requests (2 near the limit) [10, 30, 60]\n"
    "  --log-level LEVEL      debug, info, warn or error [info]\n"
    "  --image-root DIR       image manifests may only come from here\n"
    "                         [DATA-DIR/images]\n"
    "  --default-image FILE   manifest registered at start when present\n"
    "                         [IMAGE-ROOT/default/image.json]; none: skip\n"
    "  --accel auto|kvm|tcg   auto boots a probe guest under KVM [auto]\n"
    "  --qemu FILE, --qemu-img FILE   [/usr/bin/qemu-system-x86_64, ...]\n"
    "  --stop-timeout-ms N    ACPI grace before a stop is forced [30000]\n"
    "  --stop-instances-on-exit true|false   power guests off when ec2d\n"
    "                         stops; else they run on and are adopted\n"
    "                         at the next start [false]\n"
    "  --disk-reserve SIZE    refuse launches and starts below this much\n"
    "                         free space in DATA-DIR (1G, 512M, 5%); a\n"
    "                         guest paused on a full disk resumes above\n"
    "                         it [1G]\n"
    "  --run-as USER          QEMU runs as this user; auto: ec2d-qemu\n"
    "                         when it exists, else nobody; root:\n"
    "                         unchanged [auto]\n"
    "  --hosts-per-zone N     simulated hosts in each zone (1..4) [1]\n"
    "  --host-vcpus N, --host-memory-mib N, --host-gpus N\n"
    "                         capacity of each zone's host, in instance-\n"
    "                         type units [64, 262144, 0]\n"
    "  --guest-vcpu-divisor N, --guest-memory-divisor N\n"
    "                         a guest gets its type's vCPUs and memory\n"
    "                         divided by these [2, 4]\n";

enum { CMD_SERVE, CMD_ENV };

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"data-dir", required_argument, NULL, 0},
    {"listen", required_argument, NULL, 0},
    {"endpoint", required_argument, NULL, 0},
    {"region", required_argument, NULL, 0},
    {"zones", required_argument, NULL, 0},
    {"tls", required_argument, NULL, 0},
    {"tls-cert", required_argument, NULL, 0},
    {"tls-key", required_argument, NULL, 0},
    {"rate-limit", required_argument, NULL, 0},
    {"rate-burst", required_argument, NULL, 0},
    {"threads", required_argument, NULL, 0},
    {"max-connections", required_argument, NULL, 0},
    {"max-connections-per-address", required_argument, NULL, 0},
    {"header-timeout", required_argument, NULL, 0},
    {"body-timeout", required_argument, NULL, 0},
    {"idle-timeout", required_argument, NULL, 0},
    {"log-level", required_argument, NULL, 0},
    {"image-root", required_argument, NULL, 0},
    {"accel", required_argument, NULL, 0},
    {"qemu", required_argument, NULL, 0},
    {"qemu-img", required_argument, NULL, 0},
    {"stop-timeout-ms", required_argument, NULL, 0},
    {"stop-instances-on-exit", required_argument, NULL, 0},
    {"run-as", required_argument, NULL, 0},
    {"disk-reserve", required_argument, NULL, 0},
    {"hosts-per-zone", required_argument, NULL, 0},
    {"host-vcpus", required_argument, NULL, 0},
    {"host-memory-mib", required_argument, NULL, 0},
    {"host-gpus", required_argument, NULL, 0},
    {"guest-vcpu-divisor", required_argument, NULL, 0},
    {"guest-memory-divisor", required_argument, NULL, 0},
    {"default-image", required_argument, NULL, 0},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
die(const char *fmt, ...)
{
	va_list ap;

	fputs("ec2d: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* --config first, then the other flags over it. */
static int
parse_options(int argc, char **argv, struct config *cfg)
{
	char msg[512];
	int opt, idx;

	config_defaults(cfg);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc &&
		    config_load_file(cfg, argv[i + 1], msg, sizeof(msg)) < 0)
			return die("%s", msg) ? -1 : -1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		if (opt == 'h') {
			fputs(usage, stdout);
			exit(0);
		}
		if (opt == 'c')
			continue;
		if (opt != 0) {
			fputs(usage, stderr);
			return -1;
		}
		if (config_set(cfg, long_opts[idx].name, optarg, msg,
			       sizeof(msg)) < 0) {
			die("%s", msg);
			return -1;
		}
	}
	if (optind < argc) {
		die("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	config_finish(cfg);
	return 0;
}

static void
endpoint_url(const struct config *cfg, int port, char *out, size_t size)
{
	char host[128];
	const char *colon = strrchr(cfg->listen, ':');
	size_t hl = colon ? (size_t)(colon - cfg->listen) : 0;

	if (cfg->endpoint[0]) {
		snprintf(out, size, "%s", cfg->endpoint);
		return;
	}
	snprintf(host, sizeof(host), "%.*s", (int)hl, cfg->listen);
	if (strcmp(host, "0.0.0.0") == 0 || !host[0])
		snprintf(host, sizeof(host), "127.0.0.1");
	if (strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0)
		snprintf(host, sizeof(host), "[::1]");
	snprintf(out, size, "%s://%s:%d", cfg->tls ? "https" : "http", host,
		 port);
}

/* The account and its root key, made once, at the first start. */
static int
ensure_account(struct store *s, bool *created, struct err *e)
{
	struct store_tx *tx = store_begin(s, true, e);
	struct access_key k = {0};
	char account[16];
	int rc;

	*created = false;
	if (!tx)
		return -1;
	rc = store_meta_get(tx, "root_access_key", k.id, sizeof(k.id), e);
	if (rc == 1) {
		unsigned char r[8];
		unsigned long long n = 0;

		id_random(r, sizeof(r));
		for (int i = 0; i < 8; i++)
			n = n << 8 | r[i];
		snprintf(account, sizeof(account), "%012llu",
			 n % 1000000000000ULL);
		memcpy(k.id, "AKIA", 4);
		id_random_text(k.id + 4, 16, 0);
		id_random_text(k.secret, 40, 1);
		snprintf(k.account, sizeof(k.account), "%s", account);
		snprintf(k.user, sizeof(k.user), "root");
		if (store_meta_set(tx, "account_id", account, e) < 0 ||
		    store_meta_set(tx, "root_access_key", k.id, e) < 0 ||
		    store_access_key_put(tx, &k, e) < 0) {
			store_rollback(tx);
			return -1;
		}
		*created = true;
	} else if (rc < 0) {
		store_rollback(tx);
		return -1;
	}
	memset(&k, 0, sizeof(k));
	return store_commit(tx, e);
}

/*
 * The region a data directory serves is fixed at its first start: its
 * resources live in that region. A later start naming another one is
 * refused, and `ec2d env` reads it back from here.
 */
static int
record_region(struct store *s, const struct config *cfg, struct err *e)
{
	struct store_tx *tx = store_begin(s, true, e);
	char region[64];
	int rc;

	if (!tx)
		return -1;
	rc = store_meta_get(tx, "region", region, sizeof(region), e);
	if (rc == 1)
		rc = store_meta_set(tx, "region", cfg->region, e);
	else if (rc == 0 && strcmp(region, cfg->region) != 0)
		rc = err_set(e, "InternalError",
			     "this data directory serves region %s, not %s",
			     region, cfg->region);
	if (rc < 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx, e);
}

static int
account_id(struct store *s, char *out, size_t size, struct err *e)
{
	struct store_tx *tx = store_begin(s, false, e);
	int rc;

	if (!tx)
		return -1;
	rc = store_meta_get(tx, "account_id", out, size, e);
	store_rollback(tx);
	return rc == 0 ? 0 : -1;
}

static int
root_key(struct store *s, struct access_key *k, struct err *e)
{
	struct store_tx *tx = store_begin(s, false, e);
	char id[129];
	int rc;

	if (!tx)
		return -1;
	rc = store_meta_get(tx, "root_access_key", id, sizeof(id), e);
	if (rc == 0)
		rc = store_access_key_get(tx, id, k, e);
	store_rollback(tx);
	if (rc == 1)
		err_set(e, "InternalError",
			"no root access key yet: run "
			"`ec2d serve` once");
	return rc == 0 ? 0 : -1;
}

static int
data_dir_ready(const char *dir, int *ret_lock)
{
	char path[CONFIG_PATH_MAX + 16];
	int fd;

	/* 0711: QEMU runs as another user and must reach its instance
	 * files under here; nothing can be listed, and the store is 0600. */
	if ((mkdir(dir, 0711) < 0 && errno != EEXIST) || chmod(dir, 0711) < 0)
		return die("cannot create the data directory %s", dir);
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return die("the data directory %s is not usable", dir);
	/* Process-owned (lockfile.h): a child of a killed ec2d that has
	 * not exec'd yet does not keep the next one out. */
	if (lockfile_try(fd) < 0) {
		close(fd);
		return die("the data directory %s is in use by another ec2d",
			   dir);
	}
	*ret_lock = fd;
	return 0;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *data = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0) {
		data = calloc(1, (size_t)n + 1);
		if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}

static int
write_text(const char *dir, const char *name, const char *text)
{
	char path[CONFIG_PATH_MAX + 32], tmp[CONFIG_PATH_MAX + 40];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

/* TLS material: the operator's files, or a self-signed pair. */
static int
tls_material(struct config *cfg, char **cert, char **key)
{
	char msg[512], host[128];
	const char *colon = strrchr(cfg->listen, ':');

	*cert = *key = NULL;
	if (!cfg->tls)
		return 0;
	if (!cfg->tls_cert[0] != !cfg->tls_key[0])
		return die("%s", "--tls-cert and --tls-key go together");
	if (!cfg->tls_cert[0]) {
		char dir[CONFIG_PATH_MAX];

		if (snprintf(dir, sizeof(dir), "%s/tls", cfg->data_dir) >=
		    (int)sizeof(dir) - 16)
			return die("%s", "the data directory path is too long");
		mkdir(dir, 0700);
		snprintf(cfg->tls_cert, sizeof(cfg->tls_cert),
			 "%.1000s/cert.pem", dir);
		snprintf(cfg->tls_key, sizeof(cfg->tls_key), "%.1000s/key.pem",
			 dir);
		snprintf(host, sizeof(host), "%.*s",
			 colon ? (int)(colon - cfg->listen) : 0, cfg->listen);
		if (tlscert_ensure(cfg->tls_cert, cfg->tls_key, host, msg,
				   sizeof(msg)) < 0)
			return die("%s", msg);
	}
	*cert = read_file(cfg->tls_cert);
	*key = read_file(cfg->tls_key);
	if (!*cert || !*key) {
		free(*cert);
		free(*key);
		return die("cannot read the TLS files (%s)", cfg->tls_cert);
	}
	return 0;
}

/*
 * KVM or TCG. "auto" boots the probe guest (the default image's kernel
 * with its probe-initrd.img) under KVM: /dev/kvm existing proves nothing
 * on nested or paravirtual KVM. Without a probe guest: TCG, said aloud.
 */
static void
accel_decide(const struct config *cfg, struct host_accel *ret)
{
	struct host_accel_ask ask = {.mode = ACCEL_AUTO};
	char dir[CONFIG_PATH_MAX];
	char *slash;

	host_accel_parse(cfg->accel, &ask.mode);
	snprintf(ask.qemu, sizeof(ask.qemu), "%s", cfg->qemu);
	snprintf(dir, sizeof(dir), "%s", cfg->default_image);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	snprintf(ask.probe_kernel, sizeof(ask.probe_kernel), "%.1000s/vmlinux",
		 dir);
	snprintf(ask.probe_initrd, sizeof(ask.probe_initrd),
		 "%.990s/probe-initrd.img", dir);
	host_accel_decide(&ask, ret);
}

static void
wake_control(void *ctx)
{
	control_wake(ctx);
}

/* Every HTTP connection is an fd: the soft limit (often 1024) would cap
 * --max-connections below its default, so take what the hard one allows. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
cmd_serve(struct config *cfg)
{
	struct store *store = NULL;
	struct api *api = NULL;
	struct http *http = NULL;
	struct control *control = NULL;
	struct host_accel accel;
	char msg[512], url[300], ready[CONFIG_PATH_MAX + 800];
	char account[16] = "";
	char *cert = NULL, *key = NULL;
	struct err e = {"", ""};
	enum log_level level;
	bool created;
	sigset_t set;
	int lock = -1, port = 0, sig = 0, rc = 1, listen_fd;

	log_level_parse(cfg->log_level, &level);
	log_set_level(level);
	raise_fd_limit();
	if (data_dir_ready(cfg->data_dir, &lock))
		return 1;
	if (store_open(cfg->data_dir, &store, &e) < 0) {
		die("cannot open the store: %s", e.message);
		goto out;
	}
	if (ensure_account(store, &created, &e) < 0) {
		die("cannot create the account: %s", e.message);
		goto out;
	}
	if (record_region(store, cfg, &e) < 0) {
		die("cannot use the store: %s", e.message);
		goto out;
	}
	if (account_id(store, account, sizeof(account), &e) < 0 ||
	    images_register_default(cfg, store, account, &e) < 0) {
		die("cannot register the default image %s: %s",
		    cfg->default_image, e.message);
		goto out;
	}
	if (cloud_bootstrap(cfg, store, account, &e) < 0) {
		die("cannot record hosts and the default VPC: %s", e.message);
		goto out;
	}
	accel_decide(cfg, &accel);
	if (tls_material(cfg, &cert, &key))
		goto out;
	/* Block before any thread exists so every thread inherits it. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	api = api_new(cfg, store);
	if (!api) {
		die("%s", "out of memory");
		goto out;
	}
	/* Bind first: a taken port must fail before anything is built. The
	 * endpoint (DescribeRegions shows it) is fixed before any request. */
	listen_fd = http_listen(cfg->listen, &port, msg, sizeof(msg));
	if (listen_fd < 0) {
		die("%s", msg);
		goto out;
	}
	endpoint_url(cfg, port, url, sizeof(url));
	snprintf(cfg->endpoint, sizeof(cfg->endpoint), "%.255s", url);
	if (http_start(cfg, api, listen_fd, cert, key, &http, msg,
		       sizeof(msg)) < 0) {
		die("%s", msg);
		goto out;
	}
	if (control_start(cfg, store, &accel, &control, &e) < 0) {
		die("%s", e.message);
		goto out;
	}
	api_set_notify(api, wake_control, control);
	if (write_text(cfg->data_dir, "endpoint", url) < 0) {
		die("cannot write %s/endpoint", cfg->data_dir);
		goto out;
	}
	if (created) {
		struct access_key k;

		if (root_key(store, &k, &e) == 0)
			printf("ec2d: created the account's root access key "
			       "(`ec2d env --data-dir %s` prints it again):\n"
			       "  access key id      %s\n"
			       "  secret access key  %s\n",
			       cfg->data_dir, k.id, k.secret);
		memset(&k, 0, sizeof(k));
	}
	snprintf(ready, sizeof(ready),
		 "ec2d: ready at %s (region %s)\n"
		 "  try: eval \"$(ec2d env --data-dir %s)\"; "
		 "aws --endpoint-url %s ec2 describe-regions\n",
		 url, cfg->region, cfg->data_dir, url);
	fputs(ready, stdout);
	fflush(stdout);
	log_msg(LOG_INFO, "started", "endpoint=%s version=%s schema=%d", url,
		EC2D_VERSION, store_schema_version(store));
	sigwait(&set, &sig);
	log_msg(LOG_INFO, "stopping", "signal=%d", sig);
	rc = 0;
out:
	http_stop(http);
	control_stop(control);
	api_free(api);
	store_close(store);
	free(cert);
	free(key);
	if (lock >= 0)
		close(lock);
	return rc;
}

static int
cmd_env(struct config *cfg)
{
	struct store *store = NULL;
	struct access_key k;
	struct err e = {"", ""};
	char path[CONFIG_PATH_MAX + 16], url[300];
	char *saved;
	int rc = 1;

	if (access(cfg->data_dir, R_OK | X_OK) < 0)
		return die("no data directory at %s: run `ec2d serve` first",
			   cfg->data_dir);
	if (store_open(cfg->data_dir, &store, &e) < 0)
		return die("cannot open the store: %s", e.message);
	if (root_key(store, &k, &e) < 0) {
		die("%s", e.message);
		goto out;
	}
	{
		struct store_tx *tx = store_begin(store, false, &e);

		if (tx) {
			store_meta_get(tx, "region", cfg->region,
				       sizeof(cfg->region), &e);
			store_rollback(tx);
		}
	}
	snprintf(path, sizeof(path), "%s/endpoint", cfg->data_dir);
	saved = read_file(path);
	if (saved)
		snprintf(url, sizeof(url), "%s", saved);
	else
		endpoint_url(cfg, 8799, url, sizeof(url));
	free(saved);
	printf("export AWS_ACCESS_KEY_ID=%s\n"
	       "export AWS_SECRET_ACCESS_KEY=%s\n"
	       "export AWS_DEFAULT_REGION=%s\n"
	       "export AWS_ENDPOINT_URL=%s\n",
	       k.id, k.secret, cfg->region, url);
	snprintf(path, sizeof(path), "%s/tls/cert.pem", cfg->data_dir);
	if (strncmp(url, "https:", 6) == 0 && access(path, R_OK) == 0)
		printf("export AWS_CA_BUNDLE=%s\n", path);
	memset(&k, 0, sizeof(k));
	rc = 0;
out:
	store_close(store);
	return rc;
}

/*
 * `ec2d down`: refused while an ec2d serves the directory (its lock):
 * stopping a server is its supervisor's business, and a restart by one
 * would race the removal. The lock is held throughout, so none starts.
 */
static int
cmd_down(struct config *cfg)
{
	struct store *store = NULL;
	struct err e = {"", ""};
	char path[CONFIG_PATH_MAX + 16], tag[8] = "";
	int lock, rc = 1;

	log_set_level(LOG_WARN);
	snprintf(path, sizeof(path), "%s/ec2d.db", cfg->data_dir);
	if (access(path, F_OK) < 0)
		return die("no deployment at %s", cfg->data_dir);
	snprintf(path, sizeof(path), "%s/lock", cfg->data_dir);
	lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return die("the data directory %s is not usable",
			   cfg->data_dir);
	if (lockfile_try(lock) < 0) {
		close(lock);
		return die("%s is served by a running ec2d: stop it first",
			   cfg->data_dir);
	}
	if (store_open(cfg->data_dir, &store, &e) < 0) {
		die("cannot open the store: %s", e.message);
	} else if (teardown_down(cfg, store, tag, &e) < 0) {
		die("%s", e.message);
	} else {
		printf("ec2d: deployment %s of %s removed from this machine; "
		       "its data directory stays\n",
		       tag[0] ? tag : "(no network)", cfg->data_dir);
		rc = 0;
	}
	store_close(store);
	close(lock);
	return rc;
}

static int
cmd_gc(int argc, char **argv)
{
	struct err e = {"", ""};
	bool yes = false, orphans = false;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--yes") == 0)
			yes = true;
		else if (strcmp(argv[i], "--orphans") == 0)
			orphans = true;
		else
			return die("gc: unknown argument '%s'", argv[i]) + 1;
	}
	if (orphans && !yes)
		return die("%s", "gc: --orphans goes with --yes") + 1;
	log_set_level(LOG_WARN);
	if (teardown_gc(yes, orphans, stdout, &e) < 0)
		return die("%s", e.message);
	return 0;
}

/* The coverage table, from the action tables themselves. */
static int
cmd_actions(void)
{
	printf("# API coverage\n\n"
	       "Generated by `build/ec2d actions` from the action tables; "
	       "a test fails when\nthis file and the tables disagree. An "
	       "action that is not listed answers\n`InvalidAction`.\n");
	for (size_t s = 0; s < api_service_count(); s++) {
		const char *name;
		size_t n;
		const struct action *a = api_service_actions(s, &name, &n);

		printf("\n## %s (%zu actions)\n\n| action | DryRun | "
		       "ClientToken |\n| --- | --- | --- |\n",
		       name, n);
		for (size_t i = 0; i < n; i++)
			printf("| %s | %s | %s |\n", a[i].name,
			       a[i].flags & ACTION_DRY_RUN ? "yes" : "",
			       a[i].flags & ACTION_CLIENT_TOKEN ? "yes" : "");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("ec2d %s\n", EC2D_VERSION);
		return 0;
	}
	if (strcmp(cmd, "actions") == 0)
		return cmd_actions();
	if (strcmp(cmd, "faults") == 0) { /* the crash points (fault.h) */
		fault_print(stdout);
		return 0;
	}
	if (fault_init(stderr) < 0)
		return 2;
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "gc") == 0)
		return cmd_gc(argc, argv);
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "env") != 0 &&
	    strcmp(cmd, "down") != 0) {
		fputs(usage, stderr);
		return 2;
	}
	if (parse_options(argc - 1, argv + 1, &cfg) < 0)
		return 2;
	if (strcmp(cmd, "down") == 0)
		return cmd_down(&cfg);
	return strcmp(cmd, "serve") == 0 ? cmd_serve(&cfg) : cmd_env(&cfg);
}
