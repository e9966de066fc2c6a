import json


def handler(event, context):
    customer = (event.get("queryStringParameters") or {}).get("customer")
    return {"statusCode": 200, "body": json.dumps({"customer": customer, "invoices": []})}
