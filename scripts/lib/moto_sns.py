#!/usr/bin/env python3
"""SNS alerts against a local moto server, for tests (loopback only).

moto_sns.py ENDPOINT setup            create a topic and an SQS queue subscribed to it (raw delivery);
                                      prints {"topicArn": ..., "queueUrl": ...}
moto_sns.py ENDPOINT receive QUEUE    prints the messages waiting in QUEUE as a JSON list of bodies
"""
import json
import sys

import boto3


def main():
    endpoint, command = sys.argv[1], sys.argv[2]
    if not endpoint.startswith(("http://127.", "http://localhost")):
        sys.exit(f"moto_sns.py: refusing non-loopback endpoint {endpoint}")
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
    if command == "setup":
        topic = sns.create_topic(Name="vpn-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="vpn-alerts-inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        print(json.dumps({"topicArn": topic, "queueUrl": queue}))
    elif command == "receive":
        got = sqs.receive_message(QueueUrl=sys.argv[3], MaxNumberOfMessages=10, WaitTimeSeconds=2)
        print(json.dumps([m["Body"] for m in got.get("Messages", [])]))


if __name__ == "__main__":
    main()
