"""The first things a user runs: regions, zones, account attributes."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_code


def test_describe_regions(ec2, server):
    r = ec2.describe_regions()["Regions"]
    assert [x["RegionName"] for x in r] == ["us-east-1"]
    assert r[0]["Endpoint"] == server.url
    assert r[0]["OptInStatus"] == "opt-in-not-required"


def test_describe_regions_unknown_name(ec2):
    with pytest.raises(ClientError) as e:
        ec2.describe_regions(RegionNames=["mars-1"])
    assert error_code(e) == "InvalidParameterValue"


def test_describe_zones(ec2):
    z = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(x["ZoneName"], x["ZoneId"], x["State"]) for x in z] == [
        ("us-east-1a", "use1-az1", "available"),
        ("us-east-1b", "use1-az2", "available"),
        ("us-east-1c", "use1-az3", "available")]
    one = ec2.describe_availability_zones(
        Filters=[{"Name": "zone-id", "Values": ["use1-az2"]}])
    assert [x["ZoneName"] for x in one["AvailabilityZones"]] == ["us-east-1b"]


def test_cli_describe_regions(aws):
    _, data, _ = aws("describe-regions")
    assert data["Regions"][0]["RegionName"] == "us-east-1"
