"""Images: the default image registered at start, RegisterImage from a
manifest under the image root (pending, then available or failed, settled
by the image reconciler), DescribeImages filters and errors,
DeregisterImage."""
import json
import os
import time

import pytest
from botocore.exceptions import ClientError

import xml.etree.ElementTree as ET

from conftest import Server, error_code
from test_auth import call

NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"


def make_image(root, name, disk_bytes=1 << 20, kernel=True):
    """An image folder under root: manifest, a kernel file, a raw disk."""
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    if kernel:
        with open(os.path.join(d, "vmlinux"), "wb") as f:
            f.write(b"\x7fELF" + b"\0" * 60)
    with open(os.path.join(d, "root.img"), "wb") as f:
        f.truncate(disk_bytes)
    manifest = {"name": name, "architecture": "x86_64", "kernel": "vmlinux",
                "root": "root.img", "cmdline": "console=ttyS0",
                "description": "test image " + name}
    path = os.path.join(d, "image.json")
    with open(path, "w") as f:
        json.dump(manifest, f)
    return path


def wait_state(ec2, image_id, states=("available", "failed"), timeout=20):
    """Poll until the image leaves pending (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        im = ec2.describe_images(ImageIds=[image_id])["Images"][0]
        if im["State"] in states:
            return im
        assert time.monotonic() < deadline, "image stuck in %s" % im["State"]
        time.sleep(0.05)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("images"))
    default = make_image(root, "ec2d-test-default", disk_bytes=3 << 30)
    s = Server("--rate-limit", "0", "--image-root", root,
               "--default-image", default)
    s.image_root = root
    yield s
    s.close()


@pytest.fixture
def ec2i(srv):
    return srv.client()


def test_default_image_registered_at_start(ec2i):
    images = ec2i.describe_images(
        Filters=[{"Name": "name", "Values": ["ec2d-test-default"]}])["Images"]
    assert len(images) == 1
    im = wait_state(ec2i, images[0]["ImageId"])
    assert im["State"] == "available", im
    assert im["Architecture"] == "x86_64"
    assert im["VirtualizationType"] == "hvm"
    assert im["RootDeviceType"] == "ebs"
    assert im["RootDeviceName"] == "/dev/xvda"
    assert im["Public"] is True
    assert im["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 3


def test_default_image_not_registered_twice(srv):
    srv.restart()
    names = [i["Name"] for i in srv.client().describe_images()["Images"]]
    assert names.count("ec2d-test-default") == 1


def test_register_describe_deregister(srv, ec2i):
    path = make_image(srv.image_root, "mine-1")
    iid = ec2i.register_image(Name="mine-1", ImageLocation=path,
                              Description="mine")["ImageId"]
    assert iid.startswith("ami-") and len(iid) == 21
    im = wait_state(ec2i, iid)
    assert im["State"] == "available"
    assert im["OwnerId"] == ec2i.describe_images(Owners=["self"])["Images"][0]["OwnerId"]
    assert im["Public"] is False
    assert im["Description"] == "mine"
    assert iid in [i["ImageId"] for i in
                   ec2i.describe_images(Owners=["self"])["Images"]]
    ec2i.create_tags(Resources=[iid], Tags=[{"Key": "role", "Value": "web"}])
    tagged = ec2i.describe_images(
        Filters=[{"Name": "tag:role", "Values": ["web"]}])["Images"]
    assert [i["ImageId"] for i in tagged] == [iid]
    assert ec2i.deregister_image(ImageId=iid)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        ec2i.describe_images(ImageIds=[iid])
    assert error_code(e) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2i.deregister_image(ImageId=iid)
    assert error_code(e) == "InvalidAMIID.NotFound"


def test_register_bad_files_fail_the_image(srv, ec2i):
    path = make_image(srv.image_root, "no-kernel", kernel=False)
    iid = ec2i.register_image(Name="no-kernel", ImageLocation=path)["ImageId"]
    im = wait_state(ec2i, iid)
    assert im["State"] == "failed"
    assert "kernel" in im["StateReason"]["Message"]


def test_register_outside_the_image_root_fails(srv, ec2i, tmp_path):
    outside = make_image(str(tmp_path), "outside")
    iid = ec2i.register_image(Name="outside-1", ImageLocation=outside)["ImageId"]
    im = wait_state(ec2i, iid)
    assert im["State"] == "failed"
    assert "image root" in im["StateReason"]["Message"]


def test_register_errors(srv, ec2i):
    path = make_image(srv.image_root, "errs")
    cases = [
        (dict(Name="ec2d-test-default", ImageLocation=path),
         "InvalidAMIName.Duplicate"),
        (dict(Name="x", ImageLocation=path), "InvalidAMIName.Malformed"),
        (dict(Name="bad*name", ImageLocation=path), "InvalidAMIName.Malformed"),
        (dict(Name="arm-1", ImageLocation=path, Architecture="arm64"),
         "InvalidParameterValue"),
        (dict(Name="pv-1", ImageLocation=path,
              VirtualizationType="paravirtual"), "InvalidParameterValue"),
        (dict(Name="noloc-1"), "MissingParameter"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as e:
            ec2i.register_image(**kwargs)
        assert error_code(e) == code, kwargs


def test_register_dry_run_registers_nothing(srv, ec2i):
    path = make_image(srv.image_root, "dry-1")
    with pytest.raises(ClientError) as e:
        ec2i.register_image(Name="dry-1", ImageLocation=path, DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert not ec2i.describe_images(
        Filters=[{"Name": "name", "Values": ["dry-1"]}])["Images"]


def test_describe_image_errors(ec2i):
    with pytest.raises(ClientError) as e:
        ec2i.describe_images(ImageIds=["ami-0123456789abcdef0"])
    assert error_code(e) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2i.describe_images(ImageIds=["not-an-ami"])
    assert error_code(e) == "InvalidAMIID.Malformed"
    with pytest.raises(ClientError) as e:
        ec2i.describe_images(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


def test_describe_image_filters_and_pages(srv, ec2i):
    for i in range(6):
        path = make_image(srv.image_root, "page-%d" % i)
        ec2i.register_image(Name="page-%d" % i, ImageLocation=path)
    got = ec2i.describe_images(
        Filters=[{"Name": "name", "Values": ["page-?"]}])["Images"]
    assert sorted(i["Name"] for i in got) == ["page-%d" % i for i in range(6)]
    # Raw requests: boto3 1.26's model has no MaxResults for this action.
    seen, token, pages = [], None, 0
    while True:
        params = {"Action": "DescribeImages", "Version": "2016-11-15",
                  "Filter.1.Name": "name", "Filter.1.Value.1": "page-*",
                  "MaxResults": "5"}
        if token:
            params["NextToken"] = token
        status, code, _, body = call(srv, params)
        assert status == 200, code
        doc = ET.fromstring(body)
        seen += [n.text for n in doc.iter(NS + "name")]
        pages += 1
        token = doc.findtext(NS + "nextToken")
        if not token:
            break
    assert pages == 2
    assert sorted(seen) == ["page-%d" % i for i in range(6)]
    assert not ec2i.describe_images(Owners=["amazon"])["Images"]
