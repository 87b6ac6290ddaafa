"""The ec2d command: persistence across restarts, clean shutdown, refusing
a second server on one data directory or a taken port, `env`, `version`,
`--help`."""
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import BIN, REGION, Server, error_code


def run_ec2d(*args, timeout=20):
    """Run ec2d; return (exit status, stdout, stderr). A `serve` that comes
    up ("ready at") although it should not is stopped, with status None."""
    p = subprocess.Popen([BIN, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out = b""
    deadline = time.monotonic() + timeout
    while b"ready at " not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([p.stdout], [], [], left)
        chunk = os.read(p.stdout.fileno(), 65536) if r else b""
        if r and not chunk:
            break           # stdout closed: it is exiting
        out += chunk
    if b"ready at " in out or time.monotonic() >= deadline:
        p.terminate()
        rest, err = p.communicate(timeout=30)
        return None, (out + rest).decode(), err.decode()
    rest, err = p.communicate(timeout=timeout)
    return p.returncode, (out + rest).decode(), err.decode()


@pytest.fixture
def private():
    s = Server("--rate-limit", "0")
    yield s
    s.close()


def test_state_survives_restart(private):
    ec2 = private.client()
    name = "persist-" + uuid.uuid4().hex[:8]
    made = ec2.create_key_pair(KeyName=name, KeyType="ed25519",
                               TagSpecifications=[{
                                   "ResourceType": "key-pair",
                                   "Tags": [{"Key": "a", "Value": "1"}]}])
    kid = made["KeyPairId"]
    ec2.create_tags(Resources=[kid], Tags=[{"Key": "b", "Value": "\u00fc&<"}])
    before = ec2.describe_key_pairs(KeyPairIds=[kid],
                                    IncludePublicKey=True)["KeyPairs"][0]
    key = private.key
    private.restart()          # asserts SIGTERM -> exit status 0
    assert private.key == key
    ec2 = private.client()
    after = ec2.describe_key_pairs(KeyPairIds=[kid],
                                   IncludePublicKey=True)["KeyPairs"][0]
    for field in ("KeyPairId", "KeyName", "KeyFingerprint", "KeyType",
                  "PublicKey", "CreateTime"):
        assert after[field] == before[field], field
    assert after["KeyFingerprint"] == made["KeyFingerprint"]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id",
                                       "Values": [kid]}])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"a": "1", "b": "\u00fc&<"}
    # Names stay taken, and deletes persist too.
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName=name)
    assert error_code(e) == "InvalidKeyPair.Duplicate"
    ec2.delete_key_pair(KeyPairId=kid)
    private.restart()
    with pytest.raises(ClientError) as e:
        private.client().describe_key_pairs(KeyPairIds=[kid])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    assert private.client().describe_tags(Filters=[
        {"Name": "resource-id", "Values": [kid]}])["Tags"] == []


def test_sigint_is_a_clean_stop_too(private):
    private.client().describe_regions()
    private.proc.send_signal(signal.SIGINT)
    assert private.proc.wait(timeout=30) == 0, private.log()
    private.proc.stdout.close()
    private.stderr.close()
    private.proc = None
    private.start()
    private.client().describe_regions()


def test_second_server_on_same_data_dir(private):
    rc, out, err = run_ec2d("serve", "--data-dir", private.data_dir,
                            "--listen", "127.0.0.1:0")
    assert rc not in (0, None)
    assert "ready at" not in out
    assert private.data_dir in err
    assert "in use" in err or "locked" in err, err
    # The first one is unharmed.
    private.client().describe_regions()


def test_port_already_taken():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        d = tempfile.mkdtemp(prefix="ec2d-test-")
        try:
            rc, out, err = run_ec2d("serve", "--data-dir", d, "--listen",
                                    "127.0.0.1:%d" % port)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    assert rc not in (0, None)
    assert "ready at" not in out
    assert "127.0.0.1:%d" % port in err, err
    assert "in use" in err.lower(), err


@pytest.mark.parametrize("spec", ["nonsense", "127.0.0.1:99999",
                                  "127.0.0.1:65536", "127.0.0.1:-1",
                                  "256.1.1.1:80", "127.0.0.1:http"])
def test_bad_listen_address(spec):
    """A bad --listen is an error, never a server on some other port."""
    d = tempfile.mkdtemp(prefix="ec2d-test-")
    try:
        rc, out, err = run_ec2d("serve", "--data-dir", d, "--listen", spec,
                                timeout=5)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert "ready at" not in out, out
    assert rc not in (0, None)
    assert err.strip()


def test_env(server):
    rc, out, err = run_ec2d("env", "--data-dir", server.data_dir)
    assert rc == 0, err
    lines = out.splitlines()
    names = [line.split("=", 1)[0] for line in lines]
    assert names == ["export AWS_ACCESS_KEY_ID",
                     "export AWS_SECRET_ACCESS_KEY",
                     "export AWS_DEFAULT_REGION",
                     "export AWS_ENDPOINT_URL"]
    # What a shell gets from eval "$(ec2d env ...)".
    script = ('eval "$(%s env --data-dir %s)" && printf "%%s\\n" '
              '"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" '
              '"$AWS_DEFAULT_REGION" "$AWS_ENDPOINT_URL"' %
              (BIN, server.data_dir))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    p = subprocess.run(["bash", "-c", script], capture_output=True,
                       text=True, env=env, timeout=20)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [server.key, server.secret, REGION,
                                     server.url]


def test_env_credentials_work(server):
    rc, out, _ = run_ec2d("env", "--data-dir", server.data_dir)
    v = dict(line[len("export "):].split("=", 1) for line in out.splitlines())
    ec2 = boto3.client("ec2", endpoint_url=v["AWS_ENDPOINT_URL"],
                       region_name=v["AWS_DEFAULT_REGION"],
                       aws_access_key_id=v["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=v["AWS_SECRET_ACCESS_KEY"],
                       config=Config(retries={"total_max_attempts": 1}))
    assert ec2.describe_regions()["Regions"][0]["RegionName"] == REGION


def test_env_without_data_dir():
    rc, out, err = run_ec2d("env", "--data-dir",
                            "/nonexistent/ec2d-" + uuid.uuid4().hex)
    assert rc not in (0, None)
    assert "export" not in out
    assert err.strip()


def test_version():
    rc, out, err = run_ec2d("version")
    assert rc == 0, err
    assert out.strip()
    assert any(c.isdigit() for c in out)


@pytest.mark.parametrize("arg", ["--help", "-h", "help"])
def test_help(arg):
    rc, out, err = run_ec2d(arg)
    assert rc == 0, err
    text = out + err
    for word in ("serve", "env", "actions", "version", "--data-dir",
                 "--listen", "--rate-limit"):
        assert word in text, word


@pytest.mark.parametrize("args", [["frobnicate"], ["serve", "--no-such"],
                                  []])
def test_bad_usage(args):
    rc, out, err = run_ec2d(*args)
    assert rc not in (0, None)
    assert "ready at" not in out


def test_data_dir_keeps_its_region():
    """A data directory serves the region it was first started with: env
    prints it, and a start naming another region is refused."""
    s = Server("--rate-limit", "0", "--region", "eu-west-2")
    try:
        assert s.env["AWS_DEFAULT_REGION"] == "eu-west-2"
        assert s.stop() == 0
        rc, out, err = run_ec2d("serve", "--data-dir", s.data_dir,
                                "--listen", "127.0.0.1:0",
                                "--region", "us-east-1")
        assert "ready at" not in out
        assert rc not in (0, None)
        assert "eu-west-2" in err, err
        s.start()
    finally:
        s.close()
