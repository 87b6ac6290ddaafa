/*
 * config.c - configuration defaults, file and flag parsing. See config.h.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
config_defaults(struct config *c)
{
	char msg[128];

	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "/var/lib/ec2d");
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8799");
	snprintf(c->region, sizeof(c->region), "us-east-1");
	config_set_zones(c, "us-east-1a,us-east-1b,us-east-1c", msg,
			 sizeof(msg));
	c->rate = 200;
	c->burst = 400;
	c->threads = 2;
	c->hosts_per_zone = 1;
	c->host_vcpus = 64;
	c->host_memory_mib = 262144;
	c->host_gpus = 0;
	c->guest_vcpu_divisor = 2;
	c->guest_memory_divisor = 4;
	snprintf(c->accel, sizeof(c->accel), "auto");
	snprintf(c->qemu, sizeof(c->qemu), "/usr/bin/qemu-system-x86_64");
	snprintf(c->qemu_img, sizeof(c->qemu_img), "/usr/bin/qemu-img");
	c->stop_timeout_ms = 30000;
	/* "root" until taps reach QEMU as open fds: an unprivileged QEMU
	 * cannot open /dev/net/tun where it is 0600, as on these hosts. */
	snprintf(c->run_as, sizeof(c->run_as), "auto");
	c->max_connections = 1000;
	c->header_timeout_s = 10;
	c->body_timeout_s = 30;
	c->idle_timeout_s = 60;
	c->max_connections_per_address = 128;
	snprintf(c->log_level, sizeof(c->log_level), "info");
	c->disk_reserve.bytes = 1ULL << 30;
}

/* "us-east-1" -> "use1", as AWS names zone ids (use1-az1). */
static void
region_short(const char *region, char *out, size_t size)
{
	static const struct {
		const char *word, *abbr;
	} words[] = {
	    {"northeast", "ne"}, {"northwest", "nw"}, {"southeast", "se"},
	    {"southwest", "sw"}, {"north", "n"},      {"south", "s"},
	    {"east", "e"},	 {"west", "w"},	      {"central", "c"},
	};
	char copy[32], *save = NULL, *part;
	size_t off = 0;
	int i = 0;

	snprintf(copy, sizeof(copy), "%s", region);
	out[0] = '\0';
	for (part = strtok_r(copy, "-", &save); part;
	     part = strtok_r(NULL, "-", &save), i++) {
		const char *abbr = part;

		for (size_t w = 0; i == 1 && w < sizeof(words) / sizeof(*words);
		     w++)
			if (strcmp(part, words[w].word) == 0)
				abbr = words[w].abbr;
		off += (size_t)snprintf(out + off, off < size ? size - off : 0,
					"%s", abbr);
		if (off >= size)
			break;
	}
}

int
config_set_zones(struct config *c, const char *list, char *msg, size_t msgsize)
{
	char copy[512], *save = NULL, *z, shortname[16];
	size_t n = 0;

	if (snprintf(copy, sizeof(copy), "%s", list) >= (int)sizeof(copy)) {
		snprintf(msg, msgsize, "zone list too long");
		return -1;
	}
	region_short(c->region, shortname, sizeof(shortname));
	for (z = strtok_r(copy, ",", &save); z;
	     z = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(z);

		if (n == CONFIG_MAX_ZONES) {
			snprintf(msg, msgsize, "at most %d zones",
				 CONFIG_MAX_ZONES);
			return -1;
		}
		if (len <= strlen(c->region) ||
		    strncmp(z, c->region, strlen(c->region)) != 0 ||
		    len >= sizeof(c->zones[n].name)) {
			snprintf(msg, msgsize,
				 "zone '%s' must be the region name (%s) "
				 "followed by a letter",
				 z, c->region);
			return -1;
		}
		snprintf(c->zones[n].name, sizeof(c->zones[n].name), "%s", z);
		snprintf(c->zones[n].id, sizeof(c->zones[n].id), "%s-az%zu",
			 shortname, n + 1);
		n++;
	}
	if (n == 0) {
		snprintf(msg, msgsize, "at least one zone is needed");
		return -1;
	}
	c->nzones = n;
	return 0;
}

static int
set_str(char *dst, size_t size, const char *v, const char *key, char *msg,
	size_t msgsize)
{
	if (snprintf(dst, size, "%s", v) >= (int)size) {
		snprintf(msg, msgsize, "%s: value too long", key);
		return -1;
	}
	return 0;
}

static int
set_num(double *dst, const char *v, double min, double max, const char *key,
	char *msg, size_t msgsize)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d < min || d > max) {
		snprintf(msg, msgsize, "%s: expected a number from %g to %g",
			 key, min, max);
		return -1;
	}
	*dst = d;
	return 0;
}

int
config_set(struct config *c, const char *key, const char *v, char *msg,
	   size_t msgsize)
{
	double d;

	if (strcmp(key, "data-dir") == 0)
		return set_str(c->data_dir, sizeof(c->data_dir), v, key, msg,
			       msgsize);
	if (strcmp(key, "listen") == 0) {
		const char *port = strrchr(v, ':');
		char *end;
		long n;

		if (!port || port == v) {
			snprintf(msg, msgsize, "listen: expected HOST:PORT");
			return -1;
		}
		errno = 0;
		n = strtol(port + 1, &end, 10);
		if (errno || end == port + 1 || *end || n < 0 || n > 65535 ||
		    !isdigit((unsigned char)port[1])) {
			snprintf(msg, msgsize,
				 "listen: the port must be a number from 0 to "
				 "65535, not '%s'",
				 port + 1);
			return -1;
		}
		return set_str(c->listen, sizeof(c->listen), v, key, msg,
			       msgsize);
	}
	if (strcmp(key, "endpoint") == 0)
		return set_str(c->endpoint, sizeof(c->endpoint), v, key, msg,
			       msgsize);
	if (strcmp(key, "region") == 0) {
		char zones[256];

		if (set_str(c->region, sizeof(c->region), v, key, msg,
			    msgsize) < 0)
			return -1;
		/* Zones follow the region unless set after it. */
		snprintf(zones, sizeof(zones), "%sa,%sb,%sc", v, v, v);
		return config_set_zones(c, zones, msg, msgsize);
	}
	if (strcmp(key, "zones") == 0)
		return config_set_zones(c, v, msg, msgsize);
	if (strcmp(key, "tls-cert") == 0) {
		c->tls = true;
		return set_str(c->tls_cert, sizeof(c->tls_cert), v, key, msg,
			       msgsize);
	}
	if (strcmp(key, "tls-key") == 0) {
		c->tls = true;
		return set_str(c->tls_key, sizeof(c->tls_key), v, key, msg,
			       msgsize);
	}
	if (strcmp(key, "tls") == 0) {
		if (strcmp(v, "on") && strcmp(v, "off")) {
			snprintf(msg, msgsize, "tls: expected on or off");
			return -1;
		}
		c->tls = strcmp(v, "on") == 0;
		return 0;
	}
	if (strcmp(key, "rate-limit") == 0)
		return set_num(&c->rate, v, 0, 1e9, key, msg, msgsize);
	if (strcmp(key, "rate-burst") == 0)
		return set_num(&c->burst, v, 1, 1e9, key, msg, msgsize);
	if (strcmp(key, "threads") == 0) {
		if (set_num(&d, v, 1, 64, key, msg, msgsize) < 0)
			return -1;
		c->threads = (int)d;
		return 0;
	}
	if (strcmp(key, "max-connections") == 0) {
		if (set_num(&d, v, 1, 100000, key, msg, msgsize) < 0)
			return -1;
		c->max_connections = (int)d;
		return 0;
	}
	{
		static const struct {
			const char *key;
			size_t off;
			double min, max;
		} http_ints[] = {
		    {"header-timeout",
		     offsetof(struct config, header_timeout_s), 1, 3600},
		    {"body-timeout", offsetof(struct config, body_timeout_s), 1,
		     3600},
		    {"idle-timeout", offsetof(struct config, idle_timeout_s), 1,
		     3600},
		    {"max-connections-per-address",
		     offsetof(struct config, max_connections_per_address), 1,
		     100000},
		};

		for (size_t i = 0; i < sizeof(http_ints) / sizeof(http_ints[0]);
		     i++)
			if (strcmp(key, http_ints[i].key) == 0) {
				if (set_num(&d, v, http_ints[i].min,
					    http_ints[i].max, key, msg,
					    msgsize) < 0)
					return -1;
				*(int *)((char *)c + http_ints[i].off) = (int)d;
				return 0;
			}
	}
	if (strcmp(key, "log-level") == 0) {
		if (strcmp(v, "debug") && strcmp(v, "info") &&
		    strcmp(v, "warn") && strcmp(v, "error")) {
			snprintf(msg, msgsize,
				 "log-level: expected debug, info, warn or "
				 "error");
			return -1;
		}
		return set_str(c->log_level, sizeof(c->log_level), v, key, msg,
			       msgsize);
	}
	{
		static const struct {
			const char *key;
			size_t off;
			double min, max;
		} ints[] = {
		    {"hosts-per-zone", offsetof(struct config, hosts_per_zone),
		     1, CONFIG_MAX_HOSTS_PER_ZONE},
		    {"host-vcpus", offsetof(struct config, host_vcpus), 1,
		     100000},
		    {"host-memory-mib",
		     offsetof(struct config, host_memory_mib), 128, 1e9},
		    {"host-gpus", offsetof(struct config, host_gpus), 0, 64},
		    {"guest-vcpu-divisor",
		     offsetof(struct config, guest_vcpu_divisor), 1, 64},
		    {"guest-memory-divisor",
		     offsetof(struct config, guest_memory_divisor), 1, 64},
		};

		for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
			if (strcmp(key, ints[i].key) == 0) {
				if (set_num(&d, v, ints[i].min, ints[i].max,
					    key, msg, msgsize) < 0)
					return -1;
				*(int *)((char *)c + ints[i].off) = (int)d;
				return 0;
			}
	}
	if (strcmp(key, "accel") == 0) {
		if (strcmp(v, "auto") && strcmp(v, "kvm") && strcmp(v, "tcg")) {
			snprintf(msg, msgsize,
				 "accel: expected auto, kvm or tcg");
			return -1;
		}
		return set_str(c->accel, sizeof(c->accel), v, key, msg,
			       msgsize);
	}
	if (strcmp(key, "qemu") == 0)
		return set_str(c->qemu, sizeof(c->qemu), v, key, msg, msgsize);
	if (strcmp(key, "qemu-img") == 0)
		return set_str(c->qemu_img, sizeof(c->qemu_img), v, key, msg,
			       msgsize);
	if (strcmp(key, "stop-timeout-ms") == 0) {
		if (set_num(&d, v, 0, 3600000, key, msg, msgsize) < 0)
			return -1;
		c->stop_timeout_ms = (int)d;
		return 0;
	}
	if (strcmp(key, "stop-instances-on-exit") == 0) {
		if (strcmp(v, "true") && strcmp(v, "false")) {
			snprintf(msg, msgsize,
				 "stop-instances-on-exit: true or false");
			return -1;
		}
		c->stop_instances_on_exit = strcmp(v, "true") == 0;
		return 0;
	}
	if (strcmp(key, "run-as") == 0)
		return set_str(c->run_as, sizeof(c->run_as), v, key, msg,
			       msgsize);
	if (strcmp(key, "disk-reserve") == 0) {
		if (diskfree_parse(v, &c->disk_reserve) < 0) {
			snprintf(msg, msgsize,
				 "disk-reserve: expected a size (1G, 512M, "
				 "1048576, 0) or a share of the disk (5%%)");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "image-root") == 0)
		return set_str(c->image_root, sizeof(c->image_root), v, key,
			       msg, msgsize);
	if (strcmp(key, "default-image") == 0)
		return set_str(c->default_image, sizeof(c->default_image), v,
			       key, msg, msgsize);
	snprintf(msg, msgsize, "unknown setting '%s'", key);
	return -1;
}

void
config_finish(struct config *c)
{
	if (!c->image_root[0])
		snprintf(c->image_root, sizeof(c->image_root), "%.1000s/images",
			 c->data_dir);
	if (!c->default_image[0])
		snprintf(c->default_image, sizeof(c->default_image),
			 "%.990s/default/image.json", c->image_root);
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int
config_load_file(struct config *c, const char *path, char *msg, size_t msgsize)
{
	FILE *f = fopen(path, "re");
	char line[2048];
	int lineno = 0;

	if (!f) {
		snprintf(msg, msgsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#'), *eq, *key, *val;
		char sub[256];

		lineno++;
		if (hash)
			*hash = '\0';
		key = trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			snprintf(msg, msgsize, "%s:%d: expected key = value",
				 path, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		val = trim(eq + 1);
		key = trim(key);
		if (config_set(c, key, val, sub, sizeof(sub)) < 0) {
			snprintf(msg, msgsize, "%s:%d: %s", path, lineno, sub);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}
