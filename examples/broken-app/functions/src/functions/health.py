import json
import platform


def handler(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps({"ok": True, "python": platform.python_version()}),
    }
