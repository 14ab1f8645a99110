"""presence-stack's online counting function: every minute, the number of items in the status table's sparse
`Online` index, published as the metric ConnectedDevices in CloudWatch Embedded Metric Format (a log line that
CloudWatch turns into the metric; no permission needed). The index holds exactly the connected clients of the
order-safe status table, so the count is exact whatever order and retries the events came in."""

import json
import os
import time

import boto3

TABLE = os.environ["STATUS_TABLE"]
INDEX = os.environ["INDEX_NAME"]
db = boto3.client("dynamodb")


def count():
    """Query with Select COUNT, page by page (a page reads at most 1 MB of index entries)."""
    args = {
        "TableName": TABLE,
        "IndexName": INDEX,
        "Select": "COUNT",
        "KeyConditionExpression": "#on = :on",
        "ExpressionAttributeNames": {"#on": "online"},
        "ExpressionAttributeValues": {":on": {"S": "1"}},
    }
    total = 0
    while True:
        page = db.query(**args)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def handler(event, context):
    connected = count()
    metric = os.environ["METRIC_NAME"]
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": os.environ["NAMESPACE"],
                            "Dimensions": [["Pipeline"]],
                            "Metrics": [{"Name": metric, "Unit": "Count"}],
                        }
                    ],
                },
                "Pipeline": os.environ["PIPELINE"],
                metric: connected,
            }
        )
    )
    return connected
