"""HTTPS: a self-signed certificate made at first start (clients trust it
with --ca-bundle / AWS_CA_BUNDLE, which `ec2d env` exports), and an
operator's own certificate and key."""
import os
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import SSLError

from conftest import REGION, Server, aws_clis


def client(s, verify):
    return boto3.client("ec2", endpoint_url=s.url, region_name=REGION,
                        aws_access_key_id=s.key,
                        aws_secret_access_key=s.secret, verify=verify,
                        config=Config(retries={"total_max_attempts": 1}))


def test_self_signed():
    s = Server("--rate-limit", "0", "--tls", "on")
    try:
        assert s.url.startswith("https://127.0.0.1:")
        bundle = s.env["AWS_CA_BUNDLE"]
        assert bundle == os.path.join(s.data_dir, "tls", "cert.pem")
        assert oct(os.stat(os.path.join(s.data_dir, "tls",
                                        "key.pem")).st_mode & 0o777) == \
            "0o600"
        r = client(s, bundle).describe_regions()["Regions"]
        assert r[0]["RegionName"] == REGION
        with pytest.raises(SSLError):
            client(s, True).describe_regions()    # the system CAs: no
        for cli in aws_clis():
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith("AWS_")}
            env.update(AWS_ACCESS_KEY_ID=s.key,
                       AWS_SECRET_ACCESS_KEY=s.secret,
                       AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null",
                       AWS_SHARED_CREDENTIALS_FILE="/dev/null")
            p = subprocess.run([cli, "--endpoint-url", s.url, "--ca-bundle",
                                bundle, "ec2", "describe-regions",
                                "--output", "text"], env=env,
                               capture_output=True, text=True, timeout=120)
            assert p.returncode == 0 and REGION in p.stdout, (cli, p.stderr)
        # The certificate survives a restart (made once).
        with open(bundle) as f:
            before = f.read()
        s.restart()
        with open(bundle) as f:
            assert f.read() == before
        assert client(s, bundle).describe_regions()["Regions"]
    finally:
        s.close()


def test_operator_certificate(tmp_path):
    key, cert = str(tmp_path / "k.pem"), str(tmp_path / "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj",
                    "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    s = Server("--rate-limit", "0", "--tls-cert", cert, "--tls-key", key)
    try:
        assert s.url.startswith("https://")
        assert client(s, cert).describe_regions()["Regions"]
        assert not os.path.exists(os.path.join(s.data_dir, "tls"))
    finally:
        s.close()
