#!/usr/bin/env python3
"""Seeds a moto server with the HA appendix topology and prints it as JSON.

Two VPCs (10.1.0.0/16, 10.2.0.0/16) with two availability zones each; one VPN instance per AZ with a
fixed private IP and source/dest check off (vpn1a, vpn1b in VPC 1; vpn2a, vpn2b in VPC 2); one private
route table per AZ, associated with the AZ's subnet, sending the other VPC's CIDR to the ENI of the VPN
instance in its own AZ. Tunnel A is vpn1a<->vpn2a, tunnel B vpn1b<->vpn2b; each table's standby is the
same-VPC instance of the other tunnel.

usage: moto_seed.py ENDPOINT [REGION]     (ENDPOINT like http://127.0.0.1:PORT; loopback only)
"""
import json
import sys

import boto3


def main():
    endpoint = sys.argv[1]
    region = sys.argv[2] if len(sys.argv) > 2 else "us-east-1"
    if not endpoint.startswith(("http://127.", "https://127.", "http://localhost", "https://localhost")):
        sys.exit(f"moto_seed.py: refusing non-loopback endpoint {endpoint}")
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region, aws_access_key_id="seed",
                       aws_secret_access_key="seed", verify=False)
    # moto accepts any AMI id; listing its ~1200 built-in images would cost ~12 s.
    image = "ami-0a5eed0000000000a"
    topology = {"region": region, "vpcs": {}, "instances": {}, "tables": {}}
    vpcs = {"1": "10.1.0.0/16", "2": "10.2.0.0/16"}
    for v, cidr in vpcs.items():
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        topology["vpcs"][f"vpc{v}"] = {"id": vpc, "cidr": cidr}
        for n, az in enumerate("ab"):
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{v}.{n}.0/24",
                                       AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
            ip = f"10.{v}.{n}.10"
            inst = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                     SubnetId=subnet, PrivateIpAddress=ip)["Instances"][0]
            iid = inst["InstanceId"]
            eni = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
            ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
            ec2.create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": f"vpn{v}{az}"}])
            topology["instances"][f"vpn{v}{az}"] = {"instanceId": iid, "eniId": eni, "privateIp": ip,
                                                    "subnetId": subnet, "vpc": f"vpc{v}", "az": f"{region}{az}"}
    for v, cidr in vpcs.items():
        other = vpcs["2" if v == "1" else "1"]
        for az, other_az in (("a", "b"), ("b", "a")):
            home = topology["instances"][f"vpn{v}{az}"]
            table = ec2.create_route_table(VpcId=topology["vpcs"][f"vpc{v}"]["id"])["RouteTable"]["RouteTableId"]
            ec2.associate_route_table(RouteTableId=table, SubnetId=home["subnetId"])
            ec2.create_route(RouteTableId=table, DestinationCidrBlock=other, NetworkInterfaceId=home["eniId"])
            topology["tables"][f"rt{v}{az}"] = {"id": table, "vpc": f"vpc{v}", "destination": other,
                                                "home": f"vpn{v}{az}", "standby": f"vpn{v}{other_az}"}
    json.dump(topology, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
