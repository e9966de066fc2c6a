import json
import os

import stripe


def handler(event, context):
    payload = event.get("body") or ""
    signature = (event.get("headers") or {}).get("stripe-signature", "")
    stripe_event = stripe.Webhook.construct_event(payload, signature, os.environ["STRIPE_WEBHOOK_SECRET"])
    return {"statusCode": 200, "body": json.dumps({"received": stripe_event["type"]})}
