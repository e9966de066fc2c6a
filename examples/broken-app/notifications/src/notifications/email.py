import json

import boto3

ses = boto3.client("ses")


def handler(event, context):
    for record in event.get("Records", []):
        message = json.loads(record["body"])
        ses.send_email(
            Source="orders@example.com",
            Destination={"ToAddresses": [message["to"]]},
            Message={
                "Subject": {"Data": message["subject"]},
                "Body": {"Text": {"Data": message["text"]}},
            },
        )
