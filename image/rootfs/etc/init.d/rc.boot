#!/bin/sh
# ec2d guest, main boot (busybox init "once" action, after rcS): grow the
# root file system, network (DHCP), instance metadata (IMDSv2, else v1),
# host name, SSH key, dropbear, user-data (once per instance), then
# "ec2d-init: ready". Markers go to the serial console, /dev/ttyS0.
#
# Test-only kernel parameter: ec2d.imds=http://HOST:PORT replaces
# http://169.254.169.254 (for booting without ec2d's network).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
umask 022
state=/var/lib/ec2d
run=/run/ec2d
md=$run/metadata
mkdir -p "$state" "$run"
# Metadata answers (the SSH key, user-data: maybe secrets) for root only.
mkdir -p -m 700 "$md"

say() { echo "ec2d-init: $*" >/dev/ttyS0 2>/dev/null; }

imds=http://169.254.169.254
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ec2d.imds=http://*) imds=${arg#ec2d.imds=} ;;
	esac
done
imds=${imds%/}

# curl is the slowest thing to start (30 libraries): page it in meanwhile.
curl --version >/dev/null 2>&1 &

# --- SSH host keys: made on first boot, in the background while the
# network comes up (the first one waits for the kernel's random pool).
keydir=/etc/dropbear
keygen() {
	for t in ed25519 ecdsa; do
		[ -s "$keydir/dropbear_${t}_host_key" ] ||
			dropbearkey -t "$t" -f "$keydir/dropbear_${t}_host_key" >/dev/null 2>&1
	done
}
mkdir -p "$keydir"
keypid=
if [ ! -s "$keydir/dropbear_ed25519_host_key" ] || [ ! -s "$keydir/dropbear_ecdsa_host_key" ]; then
	rm -f "$state/hostkeys-instance-id"
	keygen &
	keypid=$!
fi

# --- root file system: grow it to the disk (a volume bigger than the
# image); resize2fs only when the disk size changed since last boot.
rootdev=$(awk '$2 == "/" && $1 ~ "^/dev/" { print $1; exit }' /proc/mounts)
if [ -n "$rootdev" ] && [ -b "$rootdev" ]; then
	size=$(cat "/sys/class/block/${rootdev#/dev/}/size" 2>/dev/null)
	if [ -n "$size" ] && [ "$size" != "$(cat "$state/root-size" 2>/dev/null)" ]; then
		resize2fs "$rootdev" >/dev/null 2>&1
		echo "$size" >"$state/root-size"
	fi
fi

# --- network: the first ethernet interface (eth0), DHCP with option 121.
iface=
for d in /sys/class/net/*; do
	[ -e "$d/device" ] || continue
	iface=${d##*/}
	break
done
ip=
if [ -n "$iface" ]; then
	# Up to 20 discovers a second apart; once bound, udhcpc stays in the
	# background to renew the lease.
	if udhcpc -i "$iface" -s /etc/udhcpc/default.script -O staticroutes \
		-t 20 -T 1 -n -p /run/udhcpc.pid >/dev/null 2>&1; then
		ip=$(cat "$run/ip" 2>/dev/null)
	fi
fi
if [ -n "$ip" ]; then
	say "network up $ip"
else
	say "network unavailable"
	# Keep trying in the background.
	[ -n "$iface" ] && udhcpc -i "$iface" -s /etc/udhcpc/default.script \
		-O staticroutes -b -p /run/udhcpc.pid >/dev/null 2>&1
fi

# --- metadata.
curlopts="-s --connect-timeout 2 --max-time 10"
token=

# IMDSv2 session token into $token. Returns 0: got one; 2: the service
# answered with an HTTP error (IMDSv1 only); 1: not reachable.
get_token() {
	token=$(curl $curlopts -f -X PUT "$imds/latest/api/token" \
		-H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' 2>/dev/null)
	case $? in
	0) [ -n "$token" ] && return 0; return 2 ;;
	22) token=; return 2 ;;
	*) token=; return 1 ;;
	esac
}

# One curl for all we need (each exec of curl costs ~0.2 s under TCG):
# files in $md, one "HTTPCODE" line per path in $md/codes (000: no answer).
fetch() {
	set -- instance-id meta-data/instance-id \
		local-hostname meta-data/local-hostname \
		openssh-key meta-data/public-keys/0/openssh-key \
		user-data user-data
	args=
	while [ $# -ge 2 ]; do
		rm -f "$md/$1"
		args="$args -o $md/$1 $imds/latest/$2"
		shift 2
	done
	if [ -n "$token" ]; then
		curl $curlopts -w '%{http_code}\n' \
			-H "X-aws-ec2-metadata-token: $token" $args >"$md/codes" 2>/dev/null
	else
		curl $curlopts -w '%{http_code}\n' $args >"$md/codes" 2>/dev/null
	fi
}
# code NAME: the HTTP status of that path in the last fetch.
code() {
	case "$1" in
	instance-id) n=1 ;; local-hostname) n=2 ;; openssh-key) n=3 ;; user-data) n=4 ;;
	esac
	sed -n "${n}p" "$md/codes" 2>/dev/null
}

# Reach the service: retry for 30 s while it does not answer.
uptime_s() { cut -d. -f1 /proc/uptime; }
mode=none
deadline=$(($(uptime_s) + 30))
while :; do
	get_token
	case $? in
	0) mode=v2; break ;;
	2) mode=v1; break ;;
	esac
	[ "$(uptime_s)" -lt "$deadline" ] || break
	sleep 1
done

iid=
if [ "$mode" != none ]; then
	for i in 1 2 3; do
		fetch
		if [ "$(code instance-id)" = 200 ]; then
			# Only characters an instance id has (it names files below).
			iid=$(tr -cd 'A-Za-z0-9-' <"$md/instance-id" | cut -c1-64)
			[ -n "$iid" ] && break
		fi
		# A refused or expired token: a new one, or IMDSv1 if none.
		sleep 1
		get_token
	done
fi

if [ -n "$iid" ]; then
	say "metadata ok instance-id=$iid"
	echo "$iid" >"$run/instance-id"

	if [ "$(code local-hostname)" = 200 ]; then
		h=$(tr -cd 'A-Za-z0-9.-' <"$md/local-hostname" | cut -c1-63)
		if [ -n "$h" ]; then
			hostname "$h"
			echo "$h" >/etc/hostname
			: >"$run/hostname-from-metadata"
			grep -q "[[:space:]]$h\$" /etc/hosts 2>/dev/null ||
				printf '127.0.1.1\t%s %s\n' "$h" "${h%%.*}" >>/etc/hosts
		fi
	fi

	if [ "$(code openssh-key)" = 200 ] && [ -s "$md/openssh-key" ]; then
		mkdir -p /root/.ssh
		chmod 700 /root /root/.ssh
		(umask 077 && { cat "$md/openssh-key"; echo; } | grep . \
			>/root/.ssh/authorized_keys.tmp) &&
			mv /root/.ssh/authorized_keys.tmp /root/.ssh/authorized_keys
		chmod 600 /root/.ssh/authorized_keys
	fi
else
	say "metadata unavailable"
fi

# --- SSH. Keys that came with the disk from another instance (an image
# made of an instance) are replaced.
[ -n "$keypid" ] && wait "$keypid"
keys_for=$(cat "$state/hostkeys-instance-id" 2>/dev/null)
if [ -n "$iid" ] && [ -n "$keys_for" ] && [ "$keys_for" != "$iid" ]; then
	rm -f "$keydir"/dropbear_*_host_key
fi
keygen
[ -n "$iid" ] && echo "$iid" >"$state/hostkeys-instance-id"
# -s: keys only, no passwords.
dropbear -s -P /run/dropbear.pid \
	-r "$keydir/dropbear_ed25519_host_key" \
	-r "$keydir/dropbear_ecdsa_host_key" >/dev/null 2>&1

# --- user-data: a "#!" script runs once per instance, output to the console.
if [ -n "$iid" ] && [ "$(cat "$state/user-data-instance-id" 2>/dev/null)" != "$iid" ]; then
	ud=$state/user-data
	c=$(code user-data)
	if [ "$c" = 200 ] && [ "$(head -c 2 "$md/user-data")" = '#!' ]; then
		mv "$md/user-data" "$ud"
		chmod 700 "$ud"
		# Recorded first: a script that reboots the machine does not run again.
		echo "$iid" >"$state/user-data-instance-id"
		sync
		say "user-data start"
		(cd / && exec "$ud") </dev/null >/dev/ttyS0 2>&1
		say "user-data exit $?"
	elif [ "$c" = 200 ] || [ "$c" = 404 ]; then
		# Not a script, or none: done. No answer: try again next boot.
		echo "$iid" >"$state/user-data-instance-id"
	fi
fi
rm -f "$md/user-data"

# --- ready once dropbear listens (port 22 = 0016, LISTEN = 0A), bounded.
i=0
while [ "$i" -lt 100 ]; do
	grep -q ':0016 [0-9A-F:]* 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null && break
	i=$((i + 1))
	usleep 50000
done
say "ready"
exit 0
