import json


def handler(event):
    """Report whether the order pipeline is up."""
    return {"statusCode": 200, "body": json.dumps({"ok": True})}
