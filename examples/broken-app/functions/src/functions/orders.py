import json
import os

import boto3

dynamodb = boto3.resource("dynamodb")


def handler(event, context):
    table = dynamodb.Table(os.environ.get("ORDERS_TABLE", "orders"))
    items = table.scan(Limit=50).get("Items", [])
    return {"statusCode": 200, "body": json.dumps(items, default=str)}
