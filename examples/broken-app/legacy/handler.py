import csv
import io


def lambda_handler(event, context):
    rows = event.get("rows", [])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
    return {"csv": buffer.getvalue()}
