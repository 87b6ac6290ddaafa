#!/usr/bin/python3
"""Build ec2d's default guest image and boot it under QEMU (TCG).

Run:  /usr/bin/python3 tests/image/test_image.py   (or with pytest)
  EC2D_IMAGE_DIR      where the image is built [build/images/default]
  EC2D_IMAGE_MACHINES machine types to boot, comma-separated [q35,microvm]
                      (q35 gets the full test; microvm boot + power-off)

For each machine type: boots the image on a qcow2 overlay with slirp
networking and a stub metadata service on 127.0.0.1 (reached through the
test-only kernel parameter ec2d.imds=http://10.0.2.2:PORT), waits for the
console markers, checks IMDSv2 use, logs in over SSH with a key served as
public-keys/0/openssh-key, then presses the ACPI power button over QMP and
expects QEMU to exit by itself. Needs root-free host tools: qemu-system-x86
(with slirp), qemu-utils, openssh-client, plus what scripts/build-image needs.
Standard library only.
"""

import ctypes
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE_DIR = os.environ.get("EC2D_IMAGE_DIR", os.path.join(TOP, "build/images/default"))

INSTANCE_ID = "i-0123456789abcdef0"
HOSTNAME = "ip-10-0-2-15.ec2.internal"
TOKEN = "ec2d-test-token-AQAEAFTzKQ=="
USER_DATA = '#!/bin/sh\necho MARKER-$(cat /proc/sys/kernel/hostname)\n'

BOOT_TIMEOUT = 120      # s, exec -> "ec2d-init: ready"
BOOT_ATTEMPTS = 2       # a TCG boot that hangs is retried once
SSH_TIMEOUT = 60
POWEROFF_TIMEOUT = 60


def log(msg):
    print("test_image: " + msg, flush=True)


class Fail(Exception):
    pass


# --- metadata service stub -------------------------------------------------

class Imds:
    """IMDS paths on 127.0.0.1:<port>; records what it was asked."""

    def __init__(self, pubkey, v1_only=False):
        self.requests = []          # (method, path, token header or None)
        self.lock = threading.Lock()
        imds = self
        files = {
            "/latest/meta-data/instance-id": INSTANCE_ID,
            "/latest/meta-data/local-hostname": HOSTNAME,
            "/latest/meta-data/public-keys/0/openssh-key": pubkey,
            "/latest/user-data": USER_DATA,
        }

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, code, body=""):
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def record(self):
                with imds.lock:
                    imds.requests.append((self.command, self.path,
                                          self.headers.get("X-aws-ec2-metadata-token")))

            def do_PUT(self):
                self.record()
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                if self.path != "/latest/api/token":
                    return self.reply(404, "Not Found")
                if v1_only:
                    return self.reply(403, "Forbidden")
                if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    return self.reply(400, "Bad Request")
                self.reply(200, TOKEN)

            def do_GET(self):
                self.record()
                tok = self.headers.get("X-aws-ec2-metadata-token")
                if tok is not None and tok != TOKEN:
                    return self.reply(401, "Unauthorized")
                if self.path in files:
                    return self.reply(200, files[self.path])
                self.reply(404, "Not Found")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def seen(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --- helpers ----------------------------------------------------------------

def die_with_parent():
    """In the child: SIGKILL when the test process dies, however it dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def host_khz():
    """tsc_early_khz for microvm: the host's MHz x 1000."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return int(float(line.split(":")[1]) * 1000)
    return None


def check_slirp():
    out = subprocess.run(["qemu-system-x86_64", "-netdev", "help"],
                         capture_output=True, text=True).stdout
    if not re.search(r"^user$", out, re.M):
        # A tap in a network namespace would do, but needs its own DHCP
        # server and IMDS address: not implemented. Debian's QEMU has slirp.
        raise Fail("this qemu-system-x86_64 has no slirp (-netdev user); "
                   "install Debian's qemu-system-x86")


class Guest:
    """One QEMU process; always killed by close()."""

    def __init__(self, image, machine, workdir, imds_port, ssh_port, fresh=True):
        self.image = image
        self.machine = machine
        self.dir = workdir
        self.console = os.path.join(workdir, "console.log")
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        self.proc = None
        overlay = os.path.join(workdir, "overlay.qcow2")
        if fresh or not os.path.exists(overlay):
            if os.path.exists(overlay):
                os.unlink(overlay)
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b",
                            os.path.join(IMAGE_DIR, image["root"]), "-F", "qcow2",
                            overlay], check=True)
        cmdline = image["cmdline"] + " ec2d.imds=http://10.0.2.2:%d" % imds_port
        netdev = "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:22" % ssh_port
        args = ["qemu-system-x86_64", "-accel", "tcg", "-m", "256",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-serial", "file:" + self.console,
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
                "-kernel", os.path.join(IMAGE_DIR, image["kernel"]),
                "-initrd", os.path.join(IMAGE_DIR, image["initrd"]),
                "-drive", "file=%s,if=none,id=d0,format=qcow2" % overlay,
                "-netdev", netdev]
        if machine == "microvm":
            khz = host_khz()
            if khz:
                cmdline += " tsc_early_khz=%d" % khz
            args += ["-M", "microvm,acpi=on,rtc=on,pic=off,pit=off",
                     "-device", "virtio-blk-device,drive=d0",
                     "-device", "virtio-net-device,netdev=n0"]
        else:
            args += ["-M", machine,
                     "-device", "virtio-blk-pci,drive=d0",
                     "-device", "virtio-net-pci,netdev=n0"]
        args += ["-append", cmdline]
        self.args = args

    def start(self):
        for p in (self.console, self.qmp_path):
            if os.path.exists(p):
                os.unlink(p)
        self.t0 = time.monotonic()
        with open(os.path.join(self.dir, "qemu.out"), "w") as out:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)

    def text(self):
        try:
            with open(self.console, "rb") as f:
                return f.read().decode("utf-8", "replace").replace("\r", "")
        except FileNotFoundError:
            return ""

    def wait_for(self, pattern, deadline):
        """Poll the console until a line matches; returns (match, seconds
        since exec), or None at the deadline or if QEMU exited."""
        rx = re.compile(pattern, re.M)
        while True:
            m = rx.search(self.text())
            if m:
                return m, time.monotonic() - self.t0
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def qmp(self, *commands):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(self.qmp_path)
        f = s.makefile("rw")
        json.loads(f.readline())                    # greeting
        replies = []
        for cmd in ("qmp_capabilities",) + commands:
            f.write(json.dumps({"execute": cmd}) + "\n")
            f.flush()
            while True:
                msg = json.loads(f.readline())
                if "return" in msg or "error" in msg:
                    replies.append(msg)
                    break
        s.close()
        return replies

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def ssh(key, port, command):
    ssh_bin = shutil.which("ssh")
    if ssh_bin:
        args = [ssh_bin, "-i", key, "-p", str(port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                "root@127.0.0.1", command]
    else:
        raise Fail("no ssh client (apt-get install openssh-client)")
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


# --- the test ---------------------------------------------------------------

def build_image():
    t = time.monotonic()
    subprocess.run([os.path.join(TOP, "scripts/build-image"), IMAGE_DIR], check=True)
    log("build-image: %.1f s" % (time.monotonic() - t))
    with open(os.path.join(IMAGE_DIR, "image.json")) as f:
        image = json.load(f)
    for k in ("name", "architecture", "kernel", "initrd", "root", "kernel_version", "cmdline"):
        if k not in image:
            raise Fail("image.json has no %r" % k)
    for k in ("kernel", "initrd", "root"):
        if not os.path.isfile(os.path.join(IMAGE_DIR, image[k])):
            raise Fail("image.json names a missing %s: %s" % (k, image[k]))
    return image


def boot(image, machine, workdir, imds, ssh_port, fresh=True):
    """Boot (with retries) until "ready"; returns the running Guest."""
    last = None
    for attempt in range(1, BOOT_ATTEMPTS + 1):
        # A retry of a first boot starts again from a fresh overlay.
        g = Guest(image, machine, workdir, imds.port, ssh_port, fresh=fresh)
        g.start()
        try:
            deadline = time.monotonic() + BOOT_TIMEOUT
            b = g.wait_for(r"^ec2d-init: booting ", deadline)
            r = b and g.wait_for(r"^ec2d-init: ready$", deadline)
            if r:
                log("%s: exec -> 'booting' %.2f s, -> 'ready' %.2f s (attempt %d)" % (
                    machine, b[1], r[1], attempt))
                return g
            last = "%s: no 'ec2d-init: ready' within %d s (attempt %d); console:\n%s" % (
                machine, BOOT_TIMEOUT, attempt, g.text()[-3000:])
            log(last)
        except BaseException:
            g.close()
            raise
        g.close()
    raise Fail(last)


def expect_console(machine, text, patterns):
    """The patterns must match whole lines, in this order."""
    pos = 0
    for rx in patterns:
        m = re.compile(rx, re.M).search(text, pos)
        if not m:
            raise Fail("%s: console lacks %r (in order); console:\n%s" % (machine, rx, text))
        pos = m.end()


def ssh_ok(machine, g, key, port, command):
    """Run a command over SSH (bounded retries); returns its stdout."""
    deadline = time.monotonic() + SSH_TIMEOUT
    while True:
        r = ssh(key, port, command)
        if r.returncode == 0:
            return r.stdout
        if time.monotonic() > deadline or g.proc.poll() is not None:
            raise Fail("%s: ssh %r failed (rc %d): %s" % (machine, command, r.returncode, r.stderr))
        time.sleep(0.5)


def wait_exit(machine, g, what):
    t = time.monotonic()
    try:
        g.proc.wait(timeout=POWEROFF_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Fail("%s: QEMU still running %d s after %s; console:\n%s" % (
            machine, POWEROFF_TIMEOUT, what, g.text()[-2000:]))
    log("%s: %s -> QEMU exit in %.2f s" % (machine, what, time.monotonic() - t))
    if "ec2d-init: shutting down" not in g.text():
        raise Fail("%s: no clean shutdown on the console" % machine)


PROBE = ("cat /proc/version; hostname; "
         "dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key | grep ^ssh-; "
         "dmesg | grep -c 'EXT4-fs.*recover' || :")


def first_boot(machine, image, workdir, key, pubkey):
    """Fresh overlay, IMDSv2: every marker, user-data, SSH, power button.
    Returns the guest's SSH host key."""
    imds = Imds(pubkey)
    ssh_port = free_port()
    g = None
    try:
        g = boot(image, machine, workdir, imds, ssh_port)
        expect_console(machine, g.text(), [
            r"^ec2d-init: booting %s$" % re.escape(image["kernel_version"]),
            r"^ec2d-init: network up 10\.0\.2\.15$",
            r"^ec2d-init: metadata ok instance-id=%s$" % INSTANCE_ID,
            r"^ec2d-init: user-data start$",
            r"^MARKER-%s$" % re.escape(HOSTNAME),
            r"^ec2d-init: user-data exit 0$",
            r"^ec2d-init: ready$",
        ])

        seen = imds.seen()
        puts = [r for r in seen if r[0] == "PUT" and r[1] == "/latest/api/token"]
        gets = [r for r in seen if r[0] == "GET"]
        if not puts:
            raise Fail("%s: the guest never asked for an IMDSv2 token: %s" % (machine, seen))
        if not gets or any(r[2] != TOKEN for r in gets):
            raise Fail("%s: GETs without the token header: %s" % (machine, gets))
        for path in ("/latest/meta-data/instance-id", "/latest/meta-data/local-hostname",
                     "/latest/meta-data/public-keys/0/openssh-key", "/latest/user-data"):
            if path not in [r[1] for r in gets]:
                raise Fail("%s: the guest never fetched %s" % (machine, path))

        out = ssh_ok(machine, g, key, ssh_port, PROBE).splitlines()
        kver = image["kernel_version"]
        if len(out) < 3 or kver.split("-cloud")[0] not in out[0] or out[1] != HOSTNAME:
            raise Fail("%s: unexpected ssh output: %r" % (machine, out))
        log("%s: ssh ok: %s" % (machine, out[0][:60]))
        hostkey = out[2]

        # The ACPI power button: QEMU must exit by itself.
        replies = g.qmp("system_powerdown")
        if any("error" in x for x in replies):
            raise Fail("%s: QMP error: %s" % (machine, replies))
        wait_exit(machine, g, "system_powerdown")
        return hostkey
    finally:
        if g:
            g.close()
        imds.close()


def second_boot(machine, image, workdir, key, pubkey, hostkey):
    """Same disk again, IMDSv1-only service: falls back to v1, user-data does
    not run again, same host key, file system was clean; poweroff inside."""
    imds = Imds(pubkey, v1_only=True)
    ssh_port = free_port()
    g = None
    try:
        g = boot(image, machine, workdir, imds, ssh_port, fresh=False)
        text = g.text()
        expect_console(machine, text, [
            r"^ec2d-init: metadata ok instance-id=%s$" % INSTANCE_ID,
            r"^ec2d-init: ready$",
        ])
        if "user-data start" in text or "MARKER-" in text:
            raise Fail("%s: user-data ran again on the same instance:\n%s" % (machine, text))
        gets = [r for r in imds.seen() if r[0] == "GET"]
        if not gets or any(r[2] is not None for r in gets):
            raise Fail("%s: no IMDSv1 fallback: %s" % (machine, imds.seen()))
        out = ssh_ok(machine, g, key, ssh_port, PROBE).splitlines()
        if len(out) < 4 or out[2] != hostkey:
            raise Fail("%s: host key changed across reboot: %r" % (machine, out))
        if out[3] != "0":
            raise Fail("%s: the root file system needed recovery (unclean shutdown)" % machine)
        log("%s: second boot ok (IMDSv1 fallback, user-data not rerun, clean fs)" % machine)
        ssh(key, ssh_port, "poweroff")
        wait_exit(machine, g, "poweroff in the guest")
    finally:
        if g:
            g.close()
        imds.close()


def test_image():
    check_slirp()
    image = build_image()
    machines = [m.strip() for m in
                os.environ.get("EC2D_IMAGE_MACHINES", "q35,microvm").split(",") if m.strip()]
    tmp = tempfile.mkdtemp(prefix="ec2d-image-test-")
    try:
        key = os.path.join(tmp, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ec2d-test",
                        "-f", key], check=True)
        with open(key + ".pub") as f:
            pubkey = f.read().strip()
        for i, machine in enumerate(machines):
            d = os.path.join(tmp, machine)
            os.makedirs(d)
            hostkey = first_boot(machine, image, d, key, pubkey)
            if i == 0:
                second_boot(machine, image, d, key, pubkey, hostkey)
    finally:
        if os.environ.get("EC2D_IMAGE_KEEP"):
            log("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    # SIGTERM (e.g. from timeout(1)) unwinds through the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        test_image()
    except Fail as e:
        print("test_image: FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
    print("test_image: OK")
