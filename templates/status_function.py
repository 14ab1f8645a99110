"""presence-stack's status function: one conditional UpdateItem per new event of the stream. The condition is the
ordering rule of src/status/resolve.rs (`supersedes`): stale events and redeliveries fail it and change nothing.

Each write that changes a client's state (its first state, connected to disconnected or back: what the notification
function sends as Device Connected / Device Disconnected) prints one line of CloudWatch's Embedded Metric Format: the
metric StateChanges (dimensions Pipeline and State) for the dashboard, and the client's fields for its Logs Insights
table. A write that keeps the state (a new session while connected) prints nothing."""

import json
import os
import time

import boto3

TABLE = os.environ["STATUS_TABLE"]
WINDOW = int(os.environ["WINDOW_MS"])
# Where the pipeline's rule put each field: `versionNumber`, or `event.versionNumber` for `SELECT * AS event`.
PATHS = {k: os.environ[k + "_FIELD"].split(".") for k in ("CLIENT_ID", "TIMESTAMP", "EVENT_TYPE", "SESSION", "VERSION")}
REASON = os.environ.get("REASON_FIELD", "").split(".")
# DynamoDB reserved words (state, online...) only ever appear through these names.
NAMES = {
    "#st": "state",
    "#since": "since",
    "#sess": "sessionIdentifier",
    "#ver": "versionNumber",
    "#why": "disconnectReason",
    "#on": "online",
}
# A different connection: the higher versionNumber within the window, the later timestamp outside it.
LATER = "(NOT (#sess = :s AND #ver = :v) AND ((#since BETWEEN :lo AND :hi AND #ver < :v) OR #since < :lo))"
# The metric of the changes of state, one series per pipeline and state; unset without a dashboard: nothing logged.
METRIC = os.environ.get("METRIC_NAME")
db = boto3.client("dynamodb")


def field(image, path):
    value = image.get(path[0])
    for key in path[1:]:
        value = (value or {}).get("M", {}).get(key)
    return value or {}


def update(image):
    """UpdateItem's arguments for one event item; None for one that says nothing of the connection."""
    kind = field(image, PATHS["EVENT_TYPE"]).get("S")
    if kind not in ("connected", "disconnected"):
        return None  # connect_failed is never a connection; subscriptions say nothing about it
    client = field(image, PATHS["CLIENT_ID"]).get("S")
    ts = field(image, PATHS["TIMESTAMP"]).get("N")
    session = field(image, PATHS["SESSION"]).get("S")
    version = field(image, PATHS["VERSION"]).get("N")
    if not (client and ts and session and version):
        raise ValueError("an event item without clientId, timestamp, sessionIdentifier or versionNumber")
    ts = int(ts)
    values = {
        ":st": {"S": kind},
        ":ts": {"N": str(ts)},
        ":s": {"S": session},
        ":v": {"N": version},
        ":lo": {"N": str(ts - WINDOW + 1)},
        ":hi": {"N": str(ts + WINDOW - 1)},
    }
    sets = "SET #st = :st, #since = :ts, #sess = :s, #ver = :v"
    condition = "attribute_not_exists(#st) OR " + LATER
    if kind == "connected":
        values[":on"] = {"S": "1"}
        values[":one"] = {"N": "1"}
        # `connects` counts the connects applied: the notification function's offline check needs none since.
        expression = sets + ", #on = :on REMOVE #why ADD connects :one"
    else:
        # A disconnect beats the connect of its own connection, whatever the timestamps say.
        values[":conn"] = {"S": "connected"}
        condition += " OR (#sess = :s AND #ver = :v AND #st = :conn)"
        reason = field(image, REASON).get("S") if REASON[0] else None
        if reason:
            values[":why"] = {"S": reason}
            expression = sets + ", #why = :why REMOVE #on"
        else:
            expression = sets + " REMOVE #on, #why"
    return {
        "TableName": TABLE,
        "Key": {"clientId": {"S": client}},
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": NAMES,
        "ExpressionAttributeValues": values,
        "ReturnValues": "ALL_OLD",  # the state before: a change of state is logged
    }


def log_change(args):
    """The EMF line of one change of state; CloudWatch Logs turns it into the metric, no permission needed."""
    values = args["ExpressionAttributeValues"]
    metric = {
        "Namespace": os.environ["NAMESPACE"],
        "Dimensions": [["Pipeline", "State"]],
        "Metrics": [{"Name": METRIC, "Unit": "Count"}],
    }
    line = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [metric]},
        "Pipeline": os.environ["PIPELINE"],
        "State": values[":st"]["S"],
        METRIC: 1,
        "clientId": args["Key"]["clientId"]["S"],
        "since": int(values[":ts"]["N"]),
        "sessionIdentifier": values[":s"]["S"],
    }
    if ":why" in values:
        line["disconnectReason"] = values[":why"]["S"]
    print(json.dumps(line, separators=(",", ":")))


def handler(event, context):
    counts = {"written": 0, "stale": 0, "ignored": 0}
    for record in event["Records"]:
        image = record.get("dynamodb", {}).get("NewImage")
        # REMOVE (a TTL expiry or a deleted event) changes nothing: the state is the latest event's, kept or not.
        args = update(image) if record.get("eventName") != "REMOVE" and image else None
        if args is None:
            counts["ignored"] += 1
            continue
        try:
            old = db.update_item(**args).get("Attributes", {})
            counts["written"] += 1
            if METRIC and old.get("state", {}).get("S") != args["ExpressionAttributeValues"][":st"]["S"]:
                log_change(args)
        except db.exceptions.ConditionalCheckFailedException:
            counts["stale"] += 1  # an older event, or one already applied: the expected outcome
    print(json.dumps(counts))
    return counts
