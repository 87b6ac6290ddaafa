"""Fixtures for the API tests: a real ec2d on a free port with a fresh data
directory, boto3 clients, and aws-cli runners.

EC2D_BIN names the binary (build/ec2d by default; scripts/test also runs the
suite against build-san/ec2d). Readiness is the "ready at URL" line ec2d
prints once it listens: no sleeps.
"""
import glob
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

import boto3
import pytest
from botocore.config import Config

# Every ec2d-test-* folder this session makes (Server's data directories
# and the tests' own), for the leak check at the end of the session.
MADE_DIRS = []
_mkdtemp = tempfile.mkdtemp


def _recording_mkdtemp(*args, **kwargs):
    path = _mkdtemp(*args, **kwargs)
    if os.path.basename(path).startswith("ec2d-test-"):
        MADE_DIRS.append(path)
    return path


tempfile.mkdtemp = _recording_mkdtemp
# The deployment tags of this session's servers (Server records them).
SESSION_TAGS = set()

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("EC2D_BIN", "build/ec2d"))
FIXTURES = os.path.join(ROOT, "tests", "data", "ec2-requests")
REGION = "us-east-1"


class Server:
    """One running ec2d."""

    def __init__(self, *extra_args):
        self.data_dir = tempfile.mkdtemp(prefix="ec2d-test-")
        # Guests and their network go with the server: tests leave nothing.
        self.args = [BIN, "serve", "--data-dir", self.data_dir,
                     "--listen", "127.0.0.1:0",
                     "--stop-instances-on-exit", "true", *extra_args]
        self.proc = None
        self.start()
        env = subprocess.run([BIN, "env", "--data-dir", self.data_dir],
                             check=True, capture_output=True, text=True).stdout
        self.env = dict(line[len("export "):].split("=", 1)
                        for line in env.splitlines())
        self.key = self.env["AWS_ACCESS_KEY_ID"]
        self.secret = self.env["AWS_SECRET_ACCESS_KEY"]

    def start(self, timeout=30):
        self.stderr = open(os.path.join(self.data_dir, "stderr.log"), "ab")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        deadline = time.monotonic() + timeout
        out = b""
        while b"ready at " not in out:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError("ec2d did not start: %r\n%s" %
                                   (out, self.log()))
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk and self.proc.poll() is not None:
                    continue
                out += chunk
        line = out[out.index(b"ready at "):].split(b"\n")[0].decode()
        self.url = line.split()[2]
        self.startup_output = out.decode()
        if self.net_tag():
            SESSION_TAGS.add(self.net_tag())

    def log(self):
        try:
            with open(os.path.join(self.data_dir, "stderr.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=30):
        """SIGTERM; return the exit status (0 is a clean shutdown)."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        self.proc.stdout.close()
        self.stderr.close()
        self.proc = None
        return rc

    def restart(self):
        assert self.stop() == 0, self.log()
        self.start()

    def client(self, service="ec2", secret=None, key=None, **config):
        # total_max_attempts=1: no retries, so tests see every error.
        cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                     **config)
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=key or self.key,
                            aws_secret_access_key=secret or self.secret,
                            config=cfg)

    def net_tag(self):
        """The deployment tag ec2d logged when it opened its network."""
        for line in self.log().splitlines():
            if 'msg="network open"' in line:
                return line.split("tag=")[1].split()[0]
        return None

    def close(self):
        rc = self.stop()
        log = self.log()
        tag = self.net_tag()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        # A sanitizer finding makes ec2d exit non-zero at shutdown.
        assert rc == 0, "ec2d exited with %r:\n%s" % (rc, log[-4000:])
        if tag:
            left = [n for n in subprocess.run(
                ["ip", "netns", "list"], capture_output=True,
                text=True).stdout.split() if n.startswith("ec2d-%s-" % tag)]
            assert not left, "namespaces left behind: %s" % left
            # Nor cgroups (v1 keeps them below our own cgroup, v2 at the
            # root; see src/agent/cgroup.h).
            pattern = "ec2d-%s-*" % tag
            left = glob.glob("/sys/fs/cgroup/" + pattern) + glob.glob(
                "/sys/fs/cgroup/*/**/" + pattern, recursive=True)
            assert not left, "cgroups left behind: %s" % left


@pytest.fixture(scope="session")
def server():
    s = Server("--rate-limit", "0")
    yield s
    s.close()


@pytest.fixture
def ec2(server):
    return server.client()


def aws_clis():
    """Every aws-cli on this machine: Debian's v2 and any other on PATH."""
    found = []
    for path in ["/usr/bin/aws", shutil.which("aws")]:
        if path and os.path.exists(path):
            real = os.path.realpath(path)
            if real not in [os.path.realpath(p) for p in found]:
                found.append(path)
    return found


@pytest.fixture(params=aws_clis())
def aws(request, server):
    """Run `aws ec2 ...` against the server; returns (rc, json or None, stderr)."""
    cli = request.param

    def run(*args, expect_ok=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=server.key,
                   AWS_SECRET_ACCESS_KEY=server.secret,
                   AWS_DEFAULT_REGION=REGION,
                   AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                   AWS_MAX_ATTEMPTS="1", AWS_PAGER="")
        p = subprocess.run([cli, "--endpoint-url", server.url, "--output",
                            "json", "ec2", *args], env=env,
                           capture_output=True, text=True, timeout=120)
        data = json.loads(p.stdout) if p.stdout.strip() else None
        if expect_ok:
            assert p.returncode == 0, p.stderr
        return p.returncode, data, p.stderr
    run.cli = cli
    return run


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


# ---- nothing may be left behind -------------------------------------------
#
# At the end of the session every namespace, cgroup, process, run
# directory, registry entry and ec2d-test-* folder that appeared during it
# and belongs to it (one of its deployment tags or folders) must be gone;
# else the session fails with the list. EC2D_LEAK_CHECK=all counts every
# new ec2d object on the machine (for a machine nothing else uses).

def _ec2d_objects():
    """Names of the ec2d objects on this machine now."""
    found = set()
    p = subprocess.run(["ip", "netns", "list"], capture_output=True,
                       text=True)
    found |= {"netns " + n for n in p.stdout.split() if n.startswith("ec2d-")}
    for d in glob.glob("/sys/fs/cgroup/ec2d-*") + glob.glob(
            "/sys/fs/cgroup/*/**/ec2d-*", recursive=True):
        found.add("cgroup " + d)
    found |= {"run " + d for d in glob.glob("/run/ec2d-*")}
    found |= {"registry " + d for d in glob.glob("/run/ec2d/deployments/*")}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if comm in ("qemu-system-x86", "dnsmasq", "ec2d"):
            found.add("process %s %s" % (pid, cmd.strip()[:300]))
    return found


def _ours(item, tags, dirs):
    if os.environ.get("EC2D_LEAK_CHECK") == "all":
        return True
    return any("ec2d-%s" % t in item or item.endswith("/" + t)
               for t in tags) or any(d in item for d in dirs)


def pytest_sessionstart(session):
    session.ec2d_before = _ec2d_objects()


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session, "ec2d_before", None)
    if before is None:
        return
    dirs = list(MADE_DIRS)
    left = sorted(o for o in _ec2d_objects() - before
                  if _ours(o, SESSION_TAGS, dirs))
    left += ["folder " + d for d in dirs if os.path.exists(d)]
    if left:
        session.exitstatus = 1
        print("\nleft behind by the test session:\n  " + "\n  ".join(left))
