"""presence-stack's counting function: `Device Flapping` and `Client ID Conflict` from the event table's stream.

Its event source mapping passes it the disconnects only. Every distinct disconnect counts, whether or not it is
stale for the status table (a takeover's disconnect often arrives after the new connect): into a small item per
client and window of the count table (windows start at multiples of their length, so that any copy of the function
counts an event into the same one), as a set of session#version keys, so that a redelivery counts once. When a
window holds enough, a marker `toldAt` is set under a condition and the event sent: once per window, and the marker
is taken back when sending fails. A batch reports the first record that failed, so that what succeeded is never
sent again. The code is embedded as `Code.ZipFile` without its comments and docstrings.
"""

import json
import os

import boto3

E = os.environ
COUNTS = E["COUNT_TABLE"]
# Which window each kind counts in: (DetailType, how many, seconds, what the count is called).
KINDS = {
    "flapping": ("Device Flapping", int(E["FLAPPING_DISCONNECTS"]), int(E["FLAPPING_SECONDS"]), "disconnects"),
    "conflict": ("Client ID Conflict", int(E["CONFLICT_TAKEOVERS"]), int(E["CONFLICT_SECONDS"]), "takeovers"),
}
# Where the pipeline's rule put each field of an event item (`versionNumber`, or `event.versionNumber`).
PATHS = {k: E[k + "_FIELD"].split(".") for k in ("CLIENT_ID", "TIMESTAMP", "EVENT_TYPE", "SESSION", "VERSION")}
REASON = E.get("REASON_FIELD", "").split(".")
db = boto3.client("dynamodb")
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


def field(image, path):
    value = image.get(path[0])
    for key in path[1:]:
        value = (value or {}).get("M", {}).get(key)
    value = value or {}
    return value.get("S") or value.get("N")


def tally(kind, image, tag):
    """Counts a disconnect into its client's window of `kind`; tells once when the window holds enough."""
    detail_type, limit, seconds, noun = KINDS[kind]
    ts = int(field(image, PATHS["TIMESTAMP"]))
    start = ts // (seconds * 1000) * seconds * 1000
    key = {"clientId": {"S": field(image, PATHS["CLIENT_ID"])}, "windowKey": {"S": f"{kind}#{start}"}}
    try:
        seen = db.update_item(
            TableName=COUNTS,
            Key=key,
            UpdateExpression="ADD disconnectKeys :e SET expiresAt = :x",
            ConditionExpression="attribute_not_exists(toldAt)",
            ExpressionAttributeValues={":e": {"SS": [tag]}, ":x": {"N": str(start // 1000 + seconds + 86400)}},
            ReturnValues="ALL_NEW",
        )["Attributes"]["disconnectKeys"]["SS"]
        if len(seen) < limit:
            return
        db.update_item(
            TableName=COUNTS,
            Key=key,
            UpdateExpression="SET toldAt = :t",
            ConditionExpression="attribute_not_exists(toldAt)",
            ExpressionAttributeValues={":t": {"N": str(ts)}},
        )
    except FAILED:
        return  # told already
    detail = {
        "clientId": key["clientId"]["S"],
        "state": "disconnected",
        "since": ts,
        "sessionIdentifier": field(image, PATHS["SESSION"]),
        "versionNumber": int(field(image, PATHS["VERSION"])),
        "disconnectReason": field(image, REASON) if REASON[0] else None,
        noun: len(seen),
        "windowStart": start,
        "windowSeconds": seconds,
    }
    try:
        send((detail_type, detail))
    except Exception:
        db.update_item(TableName=COUNTS, Key=key, UpdateExpression="REMOVE toldAt")
        raise


def counted(record):
    """A record of the event table's stream: every distinct disconnect counts, stale or not."""
    image = record["dynamodb"].get("NewImage")
    if record.get("eventName") == "REMOVE" or not image or field(image, PATHS["EVENT_TYPE"]) != "disconnected":
        return
    tag = f"{field(image, PATHS['SESSION'])}#{field(image, PATHS['VERSION'])}"
    tally("flapping", image, tag)
    if REASON[0] and field(image, REASON) == "DUPLICATE_CLIENTID":
        tally("conflict", image, tag)


def handler(event, context):
    for record in event["Records"]:
        try:
            counted(record)
        except Exception as error:  # noqa: BLE001 (any failure is reported, so that the record is retried)
            print(f"failed: {error!r}")
            # The stream retries from the first record that failed: those before it are not counted again.
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
