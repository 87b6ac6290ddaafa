"""Configuration by file and flags, and the structured request log."""
import shutil
import subprocess
import tempfile

import boto3
from botocore.config import Config

from conftest import BIN, Server


def test_config_file_and_flags_over_it(tmp_path):
    conf = tmp_path / "ec2d.conf"
    conf.write_text("# ec2d settings\n"
                    "region = eu-west-1   # a trailing comment\n"
                    "\n"
                    "zones = eu-west-1a,eu-west-1b,eu-west-1c\n"
                    "rate-limit = 0\n")
    # The flag after --config wins over the file's zones.
    s = Server("--config", str(conf), "--zones", "eu-west-1a,eu-west-1b")
    try:
        assert s.env["AWS_DEFAULT_REGION"] == "eu-west-1"
        c = boto3.client("ec2", endpoint_url=s.url, region_name="eu-west-1",
                         aws_access_key_id=s.key,
                         aws_secret_access_key=s.secret,
                         config=Config(retries={"total_max_attempts": 1}))
        assert [r["RegionName"] for r in
                c.describe_regions()["Regions"]] == ["eu-west-1"]
        zones = c.describe_availability_zones()["AvailabilityZones"]
        assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [
            ("eu-west-1a", "euw1-az1"), ("eu-west-1b", "euw1-az2")]
    finally:
        s.close()


def test_bad_config_file_names_the_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("region = us-east-1\nthreads = many\n")
    p = subprocess.run([BIN, "serve", "--config", str(conf), "--data-dir",
                        str(tmp_path / "data"), "--listen", "127.0.0.1:0"],
                       capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0
    assert "bad.conf:2" in p.stderr and "threads" in p.stderr, p.stderr
    assert "ready at" not in p.stdout


def test_request_log_line(server, ec2):
    rid = ec2.describe_regions()["ResponseMetadata"]["RequestId"]
    lines = [l for l in server.log().splitlines() if rid in l]
    assert len(lines) == 1, lines
    line = lines[0]
    for field in ("ts=", "level=info", 'msg="request"',
                  "request_id=" + rid, "action=DescribeRegions",
                  "status=200"):
        assert field in line, line
    assert server.secret not in server.log()


def test_data_dir_qemu_cannot_reach():
    """QEMU runs as an unprivileged user: a data directory inside a 0700
    folder is refused at start with what to do, before any namespace is
    made."""
    locked = tempfile.mkdtemp(prefix="ec2d-test-locked-")   # 0700
    try:
        check_refused(locked)
    finally:
        shutil.rmtree(locked)


def check_refused(locked):
    args = [BIN, "serve", "--data-dir", locked + "/data", "--listen",
            "127.0.0.1:0", "--accel", "tcg", "--default-image", "none"]
    before = set(subprocess.run(["ip", "netns", "list"], capture_output=True,
                                text=True).stdout.split())
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    assert "cannot reach the data directory" in p.stderr, p.stderr
    assert "%s (mode 700)" % locked in p.stderr, p.stderr
    after = set(subprocess.run(["ip", "netns", "list"], capture_output=True,
                               text=True).stdout.split())
    assert not {n for n in after - before if n.startswith("ec2d-")}
