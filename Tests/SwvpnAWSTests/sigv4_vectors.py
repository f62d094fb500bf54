#!/usr/bin/env python3
"""SigV4 and EC2 Query vectors computed by botocore with the clock frozen; printed as JSON for
SigV4VectorTests. For each case botocore's own EC2 serializer gives the parameters (so the Swift
request builders are checked against it), the body is form-encoded with RFC 3986 unreserved
characters left bare, and botocore's SigV4Auth signs it at the case's time."""
import datetime
import json
import sys
from unittest import mock
from urllib.parse import quote

import botocore
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer

CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+reserved=chars"

# (name, action, botocore input or None, raw params or None, region, host, time, session token?)
CASES = [
    ("describe-route-tables", "DescribeRouteTables", {"RouteTableIds": ["rtb-0a1", "rtb-0b2"]}, None,
     "us-east-1", "ec2.us-east-1.amazonaws.com", (2026, 11, 30, 14, 30, 0), False),
    ("replace-route-eni-token", "ReplaceRoute",
     {"RouteTableId": "rtb-0a1", "DestinationCidrBlock": "10.2.0.0/16", "NetworkInterfaceId": "eni-0c3"}, None,
     "eu-central-1", "ec2.eu-central-1.amazonaws.com", (2024, 2, 29, 23, 59, 59), True),
    ("create-route-instance-port", "CreateRoute",
     {"RouteTableId": "rtb-0b2", "DestinationCidrBlock": "10.1.0.0/16", "InstanceId": "i-0d4"}, None,
     "us-east-1", "127.0.0.1:47123", (2027, 1, 1, 0, 0, 0), False),
    ("describe-instance-status", "DescribeInstanceStatus",
     {"InstanceIds": ["i-0d4", "i-0e5", "i-0f6"], "IncludeAllInstances": True}, None,
     "us-west-2", "ec2.us-west-2.amazonaws.com", (2026, 12, 31, 23, 59, 59), True),
    ("reboot-instances", "RebootInstances", {"InstanceIds": ["i-0d4"]}, None,
     "ap-southeast-2", "ec2.ap-southeast-2.amazonaws.com", (2026, 3, 1, 0, 0, 1), False),
    ("stop-instances-force", "StopInstances", {"InstanceIds": ["i-0d4", "i-0e5"], "Force": True}, None,
     "us-east-1", "ec2.us-east-1.amazonaws.com", (2026, 6, 15, 12, 0, 0), True),
    ("stop-instances", "StopInstances", {"InstanceIds": ["i-0d4"]}, None,
     "us-east-1", "ec2.us-east-1.amazonaws.com", (2026, 6, 15, 12, 0, 0), False),
    ("start-instances", "StartInstances", {"InstanceIds": ["i-0e5"]}, None,
     "sa-east-1", "ec2.sa-east-1.amazonaws.com", (1999, 12, 31, 23, 59, 59), True),
    ("describe-instances", "DescribeInstances", {"InstanceIds": ["i-0d4", "i-0e5"]}, None,
     "eu-west-1", "ec2.eu-west-1.amazonaws.com", (2026, 11, 30, 14, 30, 0), True),
    ("describe-instance-attribute", "DescribeInstanceAttribute",
     {"InstanceId": "i-0d4", "Attribute": "sourceDestCheck"}, None,
     "us-east-1", "ec2.us-east-1.amazonaws.com", (2026, 11, 30, 9, 5, 7), False),
    ("modify-instance-attribute", "ModifyInstanceAttribute",
     {"InstanceId": "i-0d4", "SourceDestCheck": {"Value": False}}, None,
     "us-east-1", "ec2.us-east-1.amazonaws.com", (2026, 11, 30, 18, 0, 0), True),
    ("replace-route-dry-run", "ReplaceRoute",
     {"RouteTableId": "rtb-0a1", "DestinationCidrBlock": "10.2.0.0/16", "NetworkInterfaceId": "eni-0c3",
      "DryRun": True}, None,
     "us-east-1", "ec2.us-east-1.amazonaws.com", (2026, 11, 30, 18, 0, 0), True),
    ("create-route-instance-dry-run", "CreateRoute",
     {"RouteTableId": "rtb-0b2", "DestinationCidrBlock": "10.1.0.0/16", "InstanceId": "i-0d4", "DryRun": True},
     None, "eu-west-1", "ec2.eu-west-1.amazonaws.com", (2026, 11, 30, 18, 0, 1), False),
    ("start-instances-dry-run", "StartInstances", {"InstanceIds": ["i-0e5"], "DryRun": True}, None,
     "us-east-1", "ec2.us-east-1.amazonaws.com", (2026, 11, 30, 18, 0, 2), False),
    ("sns-publish", "Publish",
     {"TopicArn": "arn:aws:sns:us-east-1:123456789012:vpn-alerts", "Subject": "swvpn-monitor: failover A->B",
      "Message": "tunnel A down (vpn1a health 503); rt1a, rt2a -> vpn1b, vpn2b \u2713"}, None,
     "us-east-1", "sns.us-east-1.amazonaws.com", (2026, 11, 30, 14, 30, 0), True),
    # Not an action the monitor makes: raw parameters with spaces, reserved and non-ASCII characters.
    ("non-ascii-reserved", "DescribeRouteTables", None,
     [["Action", "DescribeRouteTables"], ["Version", "2016-11-15"], ["Filter.1.Name", "tag:Name"],
      ["Filter.1.Value.1", "vpn a/b+c&d=e~f*g'h(i)j!k ü€ 𝄞"], ["Filter.1.Value.2", "%41 100%"]],
     "us-east-1", "ec2.us-east-1.amazonaws.com", (2026, 11, 30, 14, 30, 0), True),
]


def encode(pairs):
    return "&".join(quote(k, safe="-_.~") + "=" + quote(v, safe="-_.~") for k, v in pairs)


def main():
    session = botocore.session.get_session()
    models = {"ec2": session.get_service_model("ec2"), "sns": session.get_service_model("sns")}
    serializers = {"ec2": create_serializer("ec2"), "sns": create_serializer("query")}
    out = []
    for name, action, given, raw, region, host, when, with_token in CASES:
        service = "sns" if action == "Publish" else "ec2"
        if given is not None:
            serialized = serializers[service].serialize_to_request(
                given, models[service].operation_model(action))["body"]
            pairs = sorted((k, str(v)) for k, v in serialized.items())
        else:
            pairs = [(k, v) for k, v in raw]
        body = encode(pairs)
        token = TOKEN if with_token else None
        request = AWSRequest(method="POST", url=f"http://{host}/", data=body.encode(),
                             headers={"Content-Type": CONTENT_TYPE})
        frozen = datetime.datetime(*when, tzinfo=datetime.timezone.utc)
        auth = SigV4Auth(Credentials(KEY, SECRET, token), service, region)
        with mock.patch("botocore.auth.get_current_datetime", return_value=frozen):
            auth.add_auth(request)
        authorization = request.headers["Authorization"]
        del request.headers["Authorization"]  # what was signed, without the signature itself
        canonical = auth.canonical_request(request)
        out.append({
            "name": name, "action": action, "service": service, "input": given, "params": [list(p) for p in pairs],
            "body": body, "region": region, "host": host, "epoch": int(frozen.timestamp()),
            "accessKeyId": KEY, "secretAccessKey": SECRET, "sessionToken": token,
            "amzDate": request.headers["X-Amz-Date"],
            "canonicalRequest": canonical,
            "stringToSign": auth.string_to_sign(request, canonical),
            "authorization": authorization,
        })
    json.dump({"botocore": botocore.__version__, "cases": out}, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
