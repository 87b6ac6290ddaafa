#!/bin/sh
# A real boot of the default image under TCG through host.c: builds
# tests/host/hostctl.c against the agent sources and runs it in a
# temporary state folder (see hostctl.c for the steps). Builds the image
# with scripts/build-image if build/images/default is missing.
#   tests/host/test_boot.sh [--reboot]
# EC2D_NETNS=NAME and EC2D_RUN_AS=UID:GID run QEMU in that namespace and
# as that user (see hostctl.c).
# Needs qemu-system-x86 and qemu-utils (and what build-image needs).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
img=$top/build/images/default
cd "$top"

[ -x /usr/bin/qemu-system-x86_64 ] && [ -x /usr/bin/qemu-img ] || {
	echo "test_boot: install qemu-system-x86 and qemu-utils" >&2
	exit 1
}
if [ ! -f "$img/image.json" ]; then
	echo "test_boot: building the default image"
	scripts/build-image "$img"
fi

work=$(mktemp -d /tmp/ec2d-boot-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
chmod 0755 "$work"	# QEMU may run as another user (EC2D_RUN_AS)
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter -Werror \
	-O2 -g -Isrc -o "$work/hostctl" tests/host/hostctl.c src/agent/*.c \
	src/agent/compute/*.c src/common/*.c -ljansson -lcrypto -pthread

rc=0
"$work/hostctl" "$work/state" "$img" "$@" || rc=$?
# hostctl checks this too; a second look from outside costs nothing.
if pgrep -f "guest=i-0123456789abcdef0" >/dev/null 2>&1; then
	echo "test_boot: a QEMU is left running" >&2
	rc=1
fi
exit $rc
