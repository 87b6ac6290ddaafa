"""DescribeRegions, DescribeAvailabilityZones, DescribeAccountAttributes
(test_basics.py has the plain calls)."""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, error_code


def status_of(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def zone_names(ec2, **kw):
    return [z["ZoneName"] for z in
            ec2.describe_availability_zones(**kw)["AvailabilityZones"]]


def f(name, *values):
    return {"Name": name, "Values": list(values)}


ALL = ["us-east-1a", "us-east-1b", "us-east-1c"]


@pytest.mark.parametrize("filters,want", [
    ([f("zone-name", "us-east-1*")], ALL),
    ([f("zone-name", "*b")], ["us-east-1b"]),
    ([f("zone-name", "us-east-1?")], ALL),
    ([f("zone-name", "us-east-1a", "us-east-1c")],
     ["us-east-1a", "us-east-1c"]),
    ([f("zone-name", "US-EAST-1A")], []),
    ([f("state", "available")], ALL),
    ([f("state", "impaired", "unavailable")], []),
    ([f("region-name", "us-east-1")], ALL),
    ([f("region-name", "us-west-2")], []),
    ([f("zone-id", "use1-az1", "use1-az3")], ["us-east-1a", "us-east-1c"]),
    ([f("zone-type", "availability-zone")], ALL),
    ([f("opt-in-status", "opt-in-not-required")], ALL),
    ([f("region-name", "us-east-1"), f("zone-name", "*c"),
      f("state", "available")], ["us-east-1c"]),
    ([f("region-name", "us-east-1"), f("zone-name", "*c"),
      f("state", "impaired")], []),
])
def test_zone_filters(ec2, filters, want):
    assert zone_names(ec2, Filters=filters) == want


def test_zone_fields(ec2):
    (z,) = ec2.describe_availability_zones(
        ZoneNames=["us-east-1b"])["AvailabilityZones"]
    assert z["ZoneName"] == "us-east-1b"
    assert z["ZoneId"] == "use1-az2"
    assert z["State"] == "available"
    assert z["RegionName"] == "us-east-1"
    assert z["ZoneType"] == "availability-zone"
    assert z["OptInStatus"] == "opt-in-not-required"
    assert z["Messages"] == []


def test_zone_names_and_ids(ec2):
    assert zone_names(ec2, ZoneNames=["us-east-1c", "us-east-1a"]) == \
        ["us-east-1a", "us-east-1c"]
    assert zone_names(ec2, ZoneIds=["use1-az2"]) == ["us-east-1b"]
    assert zone_names(ec2, ZoneNames=["us-east-1a"],
                      Filters=[f("state", "impaired")]) == []
    assert zone_names(ec2, AllAvailabilityZones=True) == ALL


@pytest.mark.parametrize("names", [["us-east-1z"], ["us-east-1a", "mars-1a"],
                                   ["use1-az1"], [""]])
def test_unknown_zone_name(ec2, names):
    with pytest.raises(ClientError) as e:
        ec2.describe_availability_zones(ZoneNames=names)
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400


def test_unknown_zone_id(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_availability_zones(ZoneIds=["use1-az9"])
    assert error_code(e) == "InvalidParameterValue"


def test_unknown_zone_filter(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_availability_zones(Filters=[f("zone", "us-east-1a")])
    assert error_code(e) == "InvalidParameterValue"


def test_cli_zone_filter(aws):
    _, data, _ = aws("describe-availability-zones", "--filters",
                     "Name=zone-name,Values=*a,*c", "Name=state,"
                     "Values=available")
    assert [z["ZoneName"] for z in data["AvailabilityZones"]] == \
        ["us-east-1a", "us-east-1c"]


# Regions.

@pytest.mark.parametrize("kw,want", [
    ({}, ["us-east-1"]),
    ({"AllRegions": True}, ["us-east-1"]),
    ({"RegionNames": ["us-east-1"]}, ["us-east-1"]),
    ({"Filters": [f("region-name", "us-*")]}, ["us-east-1"]),
    ({"Filters": [f("region-name", "eu-*")]}, []),
    ({"Filters": [f("opt-in-status", "opt-in-not-required")]},
     ["us-east-1"]),
    ({"Filters": [f("opt-in-status", "not-opted-in")]}, []),
])
def test_regions(ec2, kw, want):
    r = ec2.describe_regions(**kw)["Regions"]
    assert [x["RegionName"] for x in r] == want


def test_region_endpoint_filter(ec2, server):
    assert len(ec2.describe_regions(Filters=[
        f("endpoint", server.url)])["Regions"]) == 1
    assert ec2.describe_regions(Filters=[
        f("endpoint", "https://ec2.amazonaws.com")])["Regions"] == []


def test_unknown_region_filter(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_regions(Filters=[f("name", "us-east-1")])
    assert error_code(e) == "InvalidParameterValue"


# Account attributes.

ATTRIBUTES = {"supported-platforms", "vpc-max-security-groups-per-interface",
              "max-elastic-ips", "max-instances", "vpc-max-elastic-ips",
              "default-vpc"}


def attrs(ec2, **kw):
    r = ec2.describe_account_attributes(**kw)["AccountAttributes"]
    return {a["AttributeName"]: [v["AttributeValue"]
                                 for v in a["AttributeValues"]] for a in r}


def test_account_attributes_all(ec2):
    got = attrs(ec2)
    assert set(got) == ATTRIBUTES
    assert got["supported-platforms"] == ["VPC"]
    assert all(len(v) >= 1 for v in got.values())
    assert int(got["max-instances"][0]) > 0


def test_account_attributes_some(ec2):
    assert set(attrs(ec2, AttributeNames=["default-vpc"])) == {"default-vpc"}
    assert set(attrs(ec2, AttributeNames=["supported-platforms",
                                          "default-vpc"])) == \
        {"supported-platforms", "default-vpc"}


@pytest.mark.parametrize("name", ["no-such-attribute", "Default-VPC", ""])
def test_account_attribute_unknown(server, name):
    nv = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as e:
        nv.describe_account_attributes(AttributeNames=["default-vpc", name])
    assert error_code(e) == "InvalidParameterValue"
    assert status_of(e) == 400


# Another region, from the command line.

@pytest.fixture(scope="module")
def euw2():
    s = Server("--rate-limit", "0", "--region", "eu-west-2",
               "--zones", "eu-west-2a,eu-west-2b")
    yield s
    s.close()


def test_env_prints_the_served_region(euw2):
    """`ec2d env --data-dir D` prints the endpoint the server in D wrote; the
    region must match it too, or the exported settings sign for the wrong
    region and every call fails with SignatureDoesNotMatch."""
    assert euw2.env["AWS_DEFAULT_REGION"] == "eu-west-2"


def test_other_region_and_zones(euw2):
    ec2 = boto3.client("ec2", endpoint_url=euw2.url,
                       region_name="eu-west-2",
                       aws_access_key_id=euw2.key,
                       aws_secret_access_key=euw2.secret,
                       config=Config(retries={"total_max_attempts": 1}))
    assert [r["RegionName"] for r in
            ec2.describe_regions()["Regions"]] == ["eu-west-2"]
    z = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(x["ZoneName"], x["ZoneId"], x["RegionName"]) for x in z] \
        == [("eu-west-2a", "euw2-az1", "eu-west-2"),
            ("eu-west-2b", "euw2-az2", "eu-west-2")]
    off = ec2.describe_instance_type_offerings(
        LocationType="availability-zone",
        Filters=[f("instance-type", "t3.micro")])
    assert sorted(o["Location"] for o in
                  off["InstanceTypeOfferings"]) == ["eu-west-2a",
                                                    "eu-west-2b"]
    with pytest.raises(ClientError) as e:
        ec2.describe_regions(RegionNames=["us-east-1"])
    assert error_code(e) == "InvalidParameterValue"
    # A client signing for us-east-1 is refused.
    with pytest.raises(ClientError) as e:
        euw2.client().describe_regions()
    assert error_code(e) == "SignatureDoesNotMatch"


def test_default_vpc_attribute_names_the_default_vpc(ec2):
    attrs = ec2.describe_account_attributes(
        AttributeNames=["default-vpc"])["AccountAttributes"]
    value = attrs[0]["AttributeValues"][0]["AttributeValue"]
    assert value.startswith("vpc-") and len(value) == 21, value
