"""presence-stack's notification function: EventBridge events from the status table, idempotent under retries.

Two event source mappings invoke it:
- the status table's stream (old and new images): `Device Connected` / `Device Disconnected` when the state
  changes; `Device Online` on the first connect after a `Device Offline`; each change to disconnected sends an
  offline check to the check queue, delayed until it is due;
- the check queue: when due, `Device Offline` if the client is still disconnected with no connect applied since
  (the status function counts applied connects in `connects`), once: a marker `offlineNotified` is set under a
  condition before the event is sent, and taken back when sending fails.
Stream batches report the first record that failed, SQS batches each failed message, so that what succeeded is
never sent again. The code is embedded as `Code.ZipFile` without its comments and docstrings.
"""

import json
import math
import os
import time

import boto3

E = os.environ
STATUS = E["STATUS_TABLE"]
QUEUE = E["CHECK_QUEUE_URL"]
OFFLINE = int(E["OFFLINE_AFTER_SECONDS"])
db = boto3.client("dynamodb")
sqs = boto3.client("sqs")
bus = boto3.client("events")
FAILED = db.exceptions.ConditionalCheckFailedException


def send(*events):
    """PutEvents; raises unless every entry was accepted."""
    entries = [
        {
            "Source": "presence-stack",
            "DetailType": kind,
            "Detail": json.dumps({"pipeline": E["PIPELINE"], **{k: v for k, v in detail.items() if v is not None}}),
            "EventBusName": E["EVENT_BUS"],
        }
        for kind, detail in events
    ]
    if bus.put_events(Entries=entries).get("FailedEntryCount"):
        raise RuntimeError("EventBridge refused an event")


def attr(image, name):
    value = image.get(name) or {}
    return value.get("S") or (int(value["N"]) if "N" in value else None)


def about(image):
    """The detail every event of one status item carries."""
    return {
        "clientId": attr(image, "clientId"),
        "state": attr(image, "state"),
        "since": attr(image, "since"),
        "sessionIdentifier": attr(image, "sessionIdentifier"),
        "versionNumber": attr(image, "versionNumber"),
        "disconnectReason": attr(image, "disconnectReason"),
    }


def check_later(body, due):
    delay = min(900, max(0, math.ceil(due - time.time())))  # SQS delays a message 900 seconds at most
    sqs.send_message(QueueUrl=QUEUE, MessageBody=json.dumps(body), DelaySeconds=delay)


def changed(record):
    """A record of the status table's stream: a change of state is an event; a change to disconnected is checked."""
    old = record["dynamodb"].get("OldImage") or {}
    new = record["dynamodb"].get("NewImage")
    if not new or attr(old, "state") == attr(new, "state"):
        return  # no change: a new session while connected, a marker written, a write that changed nothing
    detail = about(new)
    if detail["state"] == "connected":
        events = [("Device Connected", detail)]
        notified = attr(old, "offlineNotified")
        if notified is not None and notified == (attr(old, "connects") or 0):
            since = attr(old, "offlineSince")
            events.append(("Device Online", {**detail, "offlineSince": since, "offlineForMs": detail["since"] - since}))
        send(*events)
        return
    # The check goes out first: sent twice it still tells once, but an event sent twice is seen twice.
    start = record["dynamodb"].get("ApproximateCreationDateTime") or time.time()
    due = float(start) + OFFLINE
    body = {"clientId": detail["clientId"], "connects": attr(new, "connects") or 0, "since": detail["since"]}
    check_later({**body, "due": due}, due)
    send(("Device Disconnected", detail))


def check(message):
    """A message of the check queue: `Device Offline` once if the outage it was sent for goes on."""
    body = json.loads(message["body"])
    if body["due"] > time.time():
        check_later(body, body["due"])  # more than the 900 seconds SQS can delay: queued again
        return
    n = {"N": str(body["connects"])}
    key = {"clientId": {"S": body["clientId"]}}
    same = "connects = :n" if body["connects"] else "attribute_not_exists(connects)"
    try:
        item = db.update_item(
            TableName=STATUS,
            Key=key,
            UpdateExpression="SET offlineNotified = :n, offlineSince = :t",
            ConditionExpression=f"#st = :d AND {same} AND (attribute_not_exists(offlineNotified) OR offlineNotified <> :n)",
            ExpressionAttributeNames={"#st": "state"},
            ExpressionAttributeValues={":d": {"S": "disconnected"}, ":n": n, ":t": {"N": str(body["since"])}},
            ReturnValues="ALL_NEW",
        )["Attributes"]
    except FAILED:
        return  # connected again, or already told
    gone = round(time.time() * 1000) - body["since"]
    try:
        send(("Device Offline", {**about(item), "offlineSince": body["since"], "offlineForMs": max(0, gone)}))
    except Exception:
        db.update_item(
            TableName=STATUS,
            Key=key,
            UpdateExpression="REMOVE offlineNotified, offlineSince",
            ConditionExpression="offlineNotified = :n",
            ExpressionAttributeValues={":n": n},
        )
        raise


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            if record.get("eventSource") == "aws:sqs":
                check(record)
            else:
                changed(record)
        except Exception as error:  # noqa: BLE001 (any failure is reported, so that the record is retried)
            print(f"failed: {error!r}")
            if record.get("eventSource") != "aws:sqs":
                # A stream retries from the first record that failed: those before it are not sent again.
                return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
