"""Key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair.

Key material is checked with the real tools: ssh-keygen, puttygen, openssl.
"""
import base64
import concurrent.futures
import datetime
import hashlib
import os
import subprocess
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code
from test_auth import VERSION, call


def uniq(prefix="kp"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def status_of(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def run(*args, data=None):
    p = subprocess.run(args, input=data, capture_output=True, timeout=60)
    assert p.returncode == 0, (args, p.stderr)
    return p.stdout


def write_private(tmp_path, name, material):
    path = tmp_path / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(material)
    return str(path)


def openssh_pub(line):
    """'type base64 [comment]' -> 'type base64'."""
    return " ".join(line.split()[:2])


def blob_of(pub):
    return base64.b64decode(pub.split()[1])


def sha256_fp(pub):
    return base64.b64encode(hashlib.sha256(blob_of(pub)).digest()).decode()


def colon_hex(digest):
    return ":".join("%02x" % b for b in digest)


def described(ec2, key_id, public=True):
    r = ec2.describe_key_pairs(KeyPairIds=[key_id],
                               IncludePublicKey=public)["KeyPairs"]
    assert len(r) == 1
    return r[0]


@pytest.fixture(scope="module")
def ssh_keys(tmp_path_factory):
    """Public keys made by ssh-keygen: {'rsa': path, 'ed25519': path}."""
    d = tmp_path_factory.mktemp("ssh")
    out = {}
    for t in ("rsa", "ed25519"):
        path = str(d / ("id_" + t))
        args = ["ssh-keygen", "-q", "-t", t, "-N", "", "-C", "me@host",
                "-f", path]
        if t == "rsa":
            args[4:4] = ["-b", "2048"]
        run(*args)
        out[t] = path + ".pub"
    return out


# CreateKeyPair.

@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_create_pem_is_usable(ec2, tmp_path, key_type):
    name = uniq()
    r = ec2.create_key_pair(KeyName=name, KeyType=key_type, KeyFormat="pem")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["KeyName"] == name
    assert r["KeyPairId"].startswith("key-") and len(r["KeyPairId"]) == 21
    header = {"rsa": "-----BEGIN RSA PRIVATE KEY-----",
              "ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----"}[key_type]
    assert r["KeyMaterial"].startswith(header)
    path = write_private(tmp_path, "key", r["KeyMaterial"])
    pub = openssh_pub(run("ssh-keygen", "-y", "-f", path).decode())
    d = described(ec2, r["KeyPairId"])
    assert openssh_pub(d["PublicKey"]) == pub
    assert pub.startswith({"rsa": "ssh-rsa ",
                           "ed25519": "ssh-ed25519 "}[key_type])
    assert d["KeyType"] == key_type
    assert d["KeyName"] == name
    assert d["KeyFingerprint"] == r["KeyFingerprint"]
    assert "CreateTime" in d
    if key_type == "rsa":
        # 2048-bit; fingerprint is SHA-1 of the DER PKCS#8 private key.
        assert "2048" in run("ssh-keygen", "-l", "-f", path).decode()
        der = run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", path,
                  "-outform", "DER")
        assert r["KeyFingerprint"] == colon_hex(hashlib.sha1(der).digest())
    else:
        # base64 SHA-256 of the key blob; ssh-keygen drops the '=' pad.
        line = run("ssh-keygen", "-l", "-E", "sha256", "-f", path).decode()
        fp = line.split()[1]
        assert fp.startswith("SHA256:")
        assert r["KeyFingerprint"] == fp[len("SHA256:"):] + "="
        assert r["KeyFingerprint"] == sha256_fp(pub)
    ec2.delete_key_pair(KeyPairId=r["KeyPairId"])


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_create_ppk_is_usable(ec2, tmp_path, key_type):
    name = uniq()
    r = ec2.create_key_pair(KeyName=name, KeyType=key_type, KeyFormat="ppk")
    algo = {"rsa": "ssh-rsa", "ed25519": "ssh-ed25519"}[key_type]
    assert r["KeyMaterial"].startswith("PuTTY-User-Key-File-")
    assert r["KeyMaterial"].splitlines()[0].endswith(": " + algo)
    path = write_private(tmp_path, "key.ppk", r["KeyMaterial"])
    pub = openssh_pub(run("puttygen", path, "-O",
                          "public-openssh").decode())
    d = described(ec2, r["KeyPairId"])
    assert openssh_pub(d["PublicKey"]) == pub
    assert d["KeyType"] == key_type
    if key_type == "ed25519":
        assert r["KeyFingerprint"] == sha256_fp(pub)
    # puttygen can turn it into an OpenSSH key ssh-keygen agrees with.
    conv = str(tmp_path / "conv")
    run("puttygen", path, "-O", "private-openssh", "-o", conv)
    assert openssh_pub(run("ssh-keygen", "-y", "-f", conv).decode()) == pub
    ec2.delete_key_pair(KeyName=name)


def test_create_defaults_to_rsa_pem(ec2):
    name = uniq()
    r = ec2.create_key_pair(KeyName=name)
    assert r["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert len(r["KeyFingerprint"].split(":")) == 20
    d = described(ec2, r["KeyPairId"], public=False)
    assert d["KeyType"] == "rsa"
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((d["CreateTime"] - now).total_seconds()) < 300
    assert "PublicKey" not in d
    assert "KeyMaterial" not in d
    ec2.delete_key_pair(KeyName=name)


def test_each_create_makes_a_new_key(ec2):
    a = ec2.create_key_pair(KeyName=uniq(), KeyType="ed25519")
    b = ec2.create_key_pair(KeyName=uniq(), KeyType="ed25519")
    assert a["KeyMaterial"] != b["KeyMaterial"]
    assert a["KeyFingerprint"] != b["KeyFingerprint"]
    assert a["KeyPairId"] != b["KeyPairId"]
    for k in (a, b):
        ec2.delete_key_pair(KeyPairId=k["KeyPairId"])


def test_create_duplicate(ec2):
    name = uniq()
    first = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    for kt in ("ed25519", "rsa"):
        with pytest.raises(ClientError) as e:
            ec2.create_key_pair(KeyName=name, KeyType=kt)
        assert error_code(e) == "InvalidKeyPair.Duplicate"
        assert status_of(e) == 400
        assert name in e.value.response["Error"]["Message"]
    # The original is untouched.
    assert described(ec2, first["KeyPairId"])["KeyFingerprint"] == \
        first["KeyFingerprint"]
    ec2.delete_key_pair(KeyName=name)


def test_names_are_case_sensitive(ec2):
    name = uniq("Case")
    a = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    b = ec2.create_key_pair(KeyName=name.lower(), KeyType="ed25519")
    assert a["KeyPairId"] != b["KeyPairId"]
    for k in (a, b):
        ec2.delete_key_pair(KeyPairId=k["KeyPairId"])


def test_key_name_lengths(ec2):
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName="n" * 256)
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400
    name = uniq() + "m" * (255 - 13)
    assert len(name) == 255
    r = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    assert described(ec2, r["KeyPairId"])["KeyName"] == name
    ec2.delete_key_pair(KeyName=name)


@pytest.mark.parametrize("name", ["", "tab\there", "caf\u00e9", "nl\nx"])
def test_bad_key_names(ec2, name):
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    assert error_code(e) in ("InvalidParameterValue", "MissingParameter")
    assert status_of(e) == 400


def test_key_name_with_special_ascii(ec2):
    name = uniq() + " a&b<c>\"d'=+/%"
    r = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    assert r["KeyName"] == name
    assert ec2.describe_key_pairs(KeyNames=[name])["KeyPairs"][0][
        "KeyPairId"] == r["KeyPairId"]
    ec2.delete_key_pair(KeyName=name)


@pytest.mark.parametrize("rt", ["instance", "volume", "", "key_pair",
                                "Key-Pair"])
def test_tag_specification_wrong_resource_type(ec2, rt):
    name = uniq()
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName=name, TagSpecifications=[
            {"ResourceType": rt, "Tags": [{"Key": "a", "Value": "b"}]}])
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400
    assert not ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": [name]}])["KeyPairs"]


def test_tag_specification(ec2):
    name = uniq()
    tags = [{"Key": "Name", "Value": name}, {"Key": "env", "Value": ""}]
    r = ec2.create_key_pair(KeyName=name, KeyType="ed25519",
                            TagSpecifications=[{"ResourceType": "key-pair",
                                                "Tags": tags}])
    key = lambda t: t["Key"]  # noqa: E731
    assert sorted(r["Tags"], key=key) == sorted(tags, key=key)
    assert sorted(described(ec2, r["KeyPairId"])["Tags"], key=key) == \
        sorted(tags, key=key)
    ec2.delete_key_pair(KeyName=name)


def test_tag_specification_bad_tag_creates_nothing(ec2):
    name = uniq()
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName=name, TagSpecifications=[{
            "ResourceType": "key-pair",
            "Tags": [{"Key": "aws:x", "Value": "1"}]}])
    assert error_code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_key_pair(KeyName=name, TagSpecifications=[{
            "ResourceType": "key-pair",
            "Tags": [{"Key": "k%d" % i, "Value": "v"} for i in range(51)]}])
    assert error_code(e) == "TagLimitExceeded"
    assert not ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": [name]}])["KeyPairs"]


# DescribeKeyPairs.

def test_describe_unknown_name(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyNames=["no-such-key-" + uuid.uuid4().hex])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    assert status_of(e) == 400


def test_describe_unknown_id(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyPairIds=["key-0123456789abcdef0"])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    assert "key-0123456789abcdef0" in e.value.response["Error"]["Message"]


def test_describe_one_known_one_unknown(ec2):
    name = uniq()
    ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyNames=[name, name + "-missing"])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    assert name + "-missing" in e.value.response["Error"]["Message"]
    ec2.delete_key_pair(KeyName=name)


@pytest.fixture
def family(ec2):
    """Key pairs with a common prefix and tags; yields (prefix, {name: r})."""
    p = uniq("fam")
    names = {"a1": "red", "b1": "blue", "1": "red", "ab1": None,
             "xyz": "green"}
    made = {}
    for suffix, color in names.items():
        spec = []
        if color:
            spec = [{"ResourceType": "key-pair",
                     "Tags": [{"Key": "color", "Value": color},
                              {"Key": p, "Value": "member"}]}]
        made[p + "-k" + suffix] = ec2.create_key_pair(
            KeyName=p + "-k" + suffix, KeyType="ed25519",
            TagSpecifications=spec)
    yield p, made
    for r in made.values():
        ec2.delete_key_pair(KeyPairId=r["KeyPairId"])


def names_for(ec2, filters):
    return sorted(k["KeyName"] for k in
                  ec2.describe_key_pairs(Filters=filters)["KeyPairs"])


def test_filter_key_name_wildcards(ec2, family):
    p, made = family
    assert names_for(ec2, [{"Name": "key-name", "Values": [p + "-*"]}]) == \
        sorted(made)
    assert names_for(ec2, [{"Name": "key-name", "Values": [p + "-k*1"]}]) \
        == sorted([p + "-ka1", p + "-kb1", p + "-k1", p + "-kab1"])
    # '?' is zero or one character (EC2 User Guide).
    assert names_for(ec2, [{"Name": "key-name", "Values": [p + "-k?1"]}]) \
        == sorted([p + "-ka1", p + "-kb1", p + "-k1"])
    assert names_for(ec2, [{"Name": "key-name",
                            "Values": [p + "-k??1"]}]) == \
        sorted([p + "-ka1", p + "-kb1", p + "-k1", p + "-kab1"])
    assert names_for(ec2, [{"Name": "key-name",
                            "Values": [p + "-kxyz", p + "-ka1"]}]) == \
        sorted([p + "-kxyz", p + "-ka1"])
    # Whole-string and case-sensitive.
    assert names_for(ec2, [{"Name": "key-name", "Values": [p + "-k"]}]) == []
    assert names_for(ec2, [{"Name": "key-name",
                            "Values": [p.upper() + "-*"]}]) == []


def test_filter_fingerprint_and_id(ec2, family):
    p, made = family
    r = made[p + "-kb1"]
    assert names_for(ec2, [{"Name": "fingerprint",
                            "Values": [r["KeyFingerprint"]]}]) == [p + "-kb1"]
    assert names_for(ec2, [{"Name": "key-pair-id",
                            "Values": [r["KeyPairId"]]}]) == [p + "-kb1"]
    both = [made[p + "-ka1"]["KeyPairId"], made[p + "-kxyz"]["KeyPairId"]]
    assert names_for(ec2, [{"Name": "key-pair-id", "Values": both}]) == \
        sorted([p + "-ka1", p + "-kxyz"])


def test_filter_tags(ec2, family):
    p, made = family
    assert names_for(ec2, [{"Name": "tag:color", "Values": ["red"]},
                           {"Name": "key-name", "Values": [p + "-*"]}]) == \
        sorted([p + "-ka1", p + "-k1"])
    assert names_for(ec2, [{"Name": "tag:" + p, "Values": ["*"]}]) == \
        sorted([p + "-ka1", p + "-kb1", p + "-k1", p + "-kxyz"])
    assert names_for(ec2, [{"Name": "tag-key", "Values": [p]}]) == \
        sorted([p + "-ka1", p + "-kb1", p + "-k1", p + "-kxyz"])
    assert names_for(ec2, [{"Name": "tag:" + p, "Values": ["member"]},
                           {"Name": "tag:color",
                            "Values": ["gr??n", "blue"]}]) == \
        sorted([p + "-kb1", p + "-kxyz"])
    assert names_for(ec2, [{"Name": "tag:" + p, "Values": ["nope"]}]) == []


def test_filter_combined_with_names(ec2, family):
    p, made = family
    r = ec2.describe_key_pairs(
        KeyNames=[p + "-ka1", p + "-kb1"],
        Filters=[{"Name": "tag:color", "Values": ["blue"]}])["KeyPairs"]
    assert [k["KeyName"] for k in r] == [p + "-kb1"]


def test_filter_unknown_name(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400


def test_filter_with_no_values_matches_nothing(server, family):
    p, _ = family
    status, code, _, body = call(server, {
        "Action": "DescribeKeyPairs", "Version": VERSION,
        "Filter.1.Name": "key-name"})
    assert (status, code) == (200, None)
    assert p.encode() not in body


# DeleteKeyPair.

def raw_delete(server, **params):
    """DeleteKeyPair by hand: boto3 1.26 does not parse its output."""
    status, code, _, body = call(server, {"Action": "DeleteKeyPair",
                                          "Version": VERSION, **params})
    assert (status, code) == (200, None), body
    return body.decode()


def test_delete_by_name(ec2, server):
    name = uniq()
    r = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    body = raw_delete(server, KeyName=name)
    assert "<return>true</return>" in body
    assert "<keyPairId>%s</keyPairId>" % r["KeyPairId"] in body
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyNames=[name])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    # The name can be used again.
    ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    d = ec2.delete_key_pair(KeyName=name)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_delete_by_id(ec2, server):
    name = uniq()
    r = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    body = raw_delete(server, KeyPairId=r["KeyPairId"])
    assert "<return>true</return>" in body
    assert "<keyPairId>%s</keyPairId>" % r["KeyPairId"] in body
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyPairIds=[r["KeyPairId"]])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyNames=[name])
    assert error_code(e) == "InvalidKeyPair.NotFound"


def test_delete_by_id_and_mismatched_name(ec2, server):
    a = ec2.create_key_pair(KeyName=uniq(), KeyType="ed25519")
    b = ec2.create_key_pair(KeyName=uniq(), KeyType="ed25519")
    status, code, _, _ = call(server, {
        "Action": "DeleteKeyPair", "Version": VERSION,
        "KeyName": b["KeyName"], "KeyPairId": a["KeyPairId"]})
    assert (status, code) == (400, "InvalidParameterCombination")
    assert len(ec2.describe_key_pairs(
        KeyPairIds=[a["KeyPairId"], b["KeyPairId"]])["KeyPairs"]) == 2
    for k in (a, b):
        ec2.delete_key_pair(KeyPairId=k["KeyPairId"])


def test_delete_removes_tags(ec2):
    name = uniq()
    r = ec2.create_key_pair(KeyName=name, KeyType="ed25519",
                            TagSpecifications=[{
                                "ResourceType": "key-pair",
                                "Tags": [{"Key": "t", "Value": "v"}]}])
    ec2.delete_key_pair(KeyName=name)
    assert ec2.describe_tags(Filters=[{
        "Name": "resource-id", "Values": [r["KeyPairId"]]}])["Tags"] == []


def test_delete_nonexistent_name_succeeds(ec2, server):
    name = "never-existed-" + uuid.uuid4().hex
    d = ec2.delete_key_pair(KeyName=name)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 200
    body = raw_delete(server, KeyName=name)
    assert "<return>true</return>" in body
    assert "keyPairId" not in body


def test_delete_nonexistent_id_succeeds(server):
    body = raw_delete(server, KeyPairId="key-0123456789abcdef0")
    assert "<return>true</return>" in body


def test_delete_needs_name_or_id(server):
    status, code, _, _ = call(server, {"Action": "DeleteKeyPair",
                                       "Version": VERSION})
    assert (status, code) == (400, "MissingParameter")


# ImportKeyPair.

@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_import(ec2, ssh_keys, key_type):
    path = ssh_keys[key_type]
    with open(path, "rb") as f:
        material = f.read()
    name = uniq("imp")
    r = ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["KeyName"] == name
    assert r["KeyPairId"].startswith("key-")
    assert "KeyMaterial" not in r
    pub = openssh_pub(material.decode())
    if key_type == "rsa":
        der = run("openssl", "pkey", "-pubin", "-outform", "DER",
                  data=run("ssh-keygen", "-e", "-m", "PKCS8", "-f", path))
        md5 = run("openssl", "md5", "-c", data=der).decode()
        want = md5.split("= ", 1)[1].strip()
        assert want == colon_hex(hashlib.md5(der).digest())
        assert r["KeyFingerprint"] == want
    else:
        line = run("ssh-keygen", "-l", "-E", "sha256", "-f", path).decode()
        assert r["KeyFingerprint"] == line.split()[1][len("SHA256:"):] + "="
    d = described(ec2, r["KeyPairId"])
    assert openssh_pub(d["PublicKey"]) == pub
    assert d["KeyType"] == key_type
    assert d["KeyFingerprint"] == r["KeyFingerprint"]
    with pytest.raises(ClientError) as e:
        ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material)
    assert error_code(e) == "InvalidKeyPair.Duplicate"
    ec2.delete_key_pair(KeyName=name)


def test_import_same_key_twice_under_two_names(ec2, ssh_keys):
    with open(ssh_keys["ed25519"], "rb") as f:
        material = f.read()
    a = ec2.import_key_pair(KeyName=uniq("imp"), PublicKeyMaterial=material)
    b = ec2.import_key_pair(KeyName=uniq("imp"), PublicKeyMaterial=material)
    assert a["KeyFingerprint"] == b["KeyFingerprint"]
    assert a["KeyPairId"] != b["KeyPairId"]
    for k in (a, b):
        ec2.delete_key_pair(KeyPairId=k["KeyPairId"])


def test_import_with_tags(ec2, ssh_keys):
    with open(ssh_keys["ed25519"], "rb") as f:
        material = f.read()
    name = uniq("imp")
    r = ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material,
                            TagSpecifications=[{
                                "ResourceType": "key-pair",
                                "Tags": [{"Key": "src", "Value": "laptop"}]}])
    assert r["Tags"] == [{"Key": "src", "Value": "laptop"}]
    assert described(ec2, r["KeyPairId"])["Tags"] == r["Tags"]
    with pytest.raises(ClientError) as e:
        ec2.import_key_pair(KeyName=uniq("imp"), PublicKeyMaterial=material,
                            TagSpecifications=[{
                                "ResourceType": "instance",
                                "Tags": [{"Key": "a", "Value": "b"}]}])
    assert error_code(e) == "InvalidParameterValue"
    ec2.delete_key_pair(KeyName=name)


@pytest.mark.parametrize("material", [
    b"not a key at all",
    b"ssh-rsa AAAAnotbase64!!",
    b"ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519"
                                       b"\x00\x00\x00\x05short"),
    b"ssh-rsa " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" +
                                   b"\x00\x00\x00\x20" + b"k" * 32),
    b"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAA"
    b"BBBEXAMPLE",
    b"\x00\x01\x02\x03",
])
def test_import_garbage(ec2, material):
    name = uniq("bad")
    with pytest.raises(ClientError) as e:
        ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material)
    assert error_code(e) == "InvalidKey.Format"
    assert status_of(e) == 400
    assert not ec2.describe_key_pairs(Filters=[
        {"Name": "key-name", "Values": [name]}])["KeyPairs"]


def test_import_key_name_too_long(ec2, ssh_keys):
    with open(ssh_keys["ed25519"], "rb") as f:
        material = f.read()
    with pytest.raises(ClientError) as e:
        ec2.import_key_pair(KeyName="n" * 256, PublicKeyMaterial=material)
    assert error_code(e) == "InvalidParameterValue"


def test_import_name_taken_by_created_key(ec2, ssh_keys):
    name = uniq()
    ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    with open(ssh_keys["rsa"], "rb") as f:
        material = f.read()
    with pytest.raises(ClientError) as e:
        ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material)
    assert error_code(e) == "InvalidKeyPair.Duplicate"
    ec2.delete_key_pair(KeyName=name)


# aws-cli.

def test_cli_key_pair_lifecycle(aws, ec2, tmp_path, ssh_keys):
    name = uniq("cli")
    imp = name + "-imp"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        created = pool.submit(
            aws, "create-key-pair", "--key-name", name, "--key-type",
            "ed25519", "--tag-specifications",
            "ResourceType=key-pair,Tags=[{Key=via,Value=cli}]")
        imported = pool.submit(
            aws, "import-key-pair", "--key-name", imp,
            "--public-key-material", "fileb://" + ssh_keys["rsa"])
        made, imported = created.result()[1], imported.result()[1]
    assert made["KeyName"] == name
    assert imported["KeyName"] == imp
    path = write_private(tmp_path, "k", made["KeyMaterial"])
    pub = openssh_pub(run("ssh-keygen", "-y", "-f", path).decode())
    _, listed, _ = aws("describe-key-pairs", "--include-public-key",
                       "--filters", "Name=key-name,Values=%s*" % name)
    got = {k["KeyName"]: k for k in listed["KeyPairs"]}
    assert sorted(got) == sorted([name, imp])
    assert openssh_pub(got[name]["PublicKey"]) == pub
    assert got[name]["Tags"] == [{"Key": "via", "Value": "cli"}]
    assert got[imp]["KeyFingerprint"] == imported["KeyFingerprint"]
    with open(ssh_keys["rsa"]) as f:
        assert openssh_pub(got[imp]["PublicKey"]) == openssh_pub(f.read())
    aws("delete-key-pair", "--key-name", name)
    with pytest.raises(ClientError) as e:
        ec2.describe_key_pairs(KeyNames=[name])
    assert error_code(e) == "InvalidKeyPair.NotFound"
    ec2.delete_key_pair(KeyPairId=imported["KeyPairId"])


def test_filter_escaped_wildcards(ec2):
    p = uniq("esc")
    made = [ec2.create_key_pair(KeyName=p + n, KeyType="ed25519")
            for n in ("-a*b", "-axxb", "-a?b", "-ab", "-a\\b")]
    try:
        def got(pattern):
            return names_for(ec2, [{"Name": "key-name",
                                    "Values": [pattern]}])
        assert got(p + "-a*b") == sorted(
            [p + "-a*b", p + "-axxb", p + "-a?b", p + "-ab", p + "-a\\b"])
        assert got(p + "-a\\*b") == [p + "-a*b"]
        assert got(p + "-a\\?b") == [p + "-a?b"]
        assert got(p + "-a\\\\b") == [p + "-a\\b"]
    finally:
        for r in made:
            ec2.delete_key_pair(KeyPairId=r["KeyPairId"])


def test_concurrent_create_same_name(server):
    """Racing creates of one name: exactly one wins."""
    name = uniq("race")

    def create(_):
        try:
            return server.client().create_key_pair(
                KeyName=name, KeyType="ed25519")["KeyPairId"]
        except ClientError as e:
            return e.response["Error"]["Code"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, range(8)))
    ids = [r for r in results if r.startswith("key-")]
    assert len(ids) == 1, results
    assert sorted(set(results) - set(ids)) == ["InvalidKeyPair.Duplicate"]
    ec2 = server.client()
    assert [k["KeyPairId"] for k in ec2.describe_key_pairs(
        KeyNames=[name])["KeyPairs"]] == ids
    ec2.delete_key_pair(KeyName=name)
