import json

from core import Order


def handler(event, context):
    if event.get("requestContext", {}).get("http", {}).get("method") == "POST":
        order = Order.model_validate_json(event.get("body") or "{}")
        return {"statusCode": 201, "body": order.model_dump_json()}
    return {"statusCode": 200, "body": json.dumps({"service": "orders"})}
