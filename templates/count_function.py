"""presence-stack's counting function: `Device Flapping` and `Client ID Conflict` from the event table's stream.

Its event source mapping passes it the disconnects only. Every distinct disconnect counts, whether or not it is
stale for the status table (a takeover's disconnect often arrives after the new connect). A burst is `limit`
distinct disconnects within the window's length S (by their timestamps): it ends at a disconnect d when at least
`limit` of them lie in (d - S, d]. Each disconnect is added, as `timestamp#version#reason#session` (a redelivery
adds nothing), to a small item per client and window of the count table (windows start at multiples of S, so that
any copy of the function adds an event to the same item). A burst this disconnect completes ends less than S after
it, in its window or the next: after the ADD the function reads the window before, its own and the next (strongly
consistent), and tells each of those two in which a burst ends, once: a marker `toldAt` is set on that window's
item under a condition, then the event sent, and the marker taken back when sending fails. Which windows hold the
end of a burst depends only on the disconnects, not on their arrival order, so neither does what is told. A told
window keeps only its latest `limit` disconnects: all that a burst ending in the next window can need. A batch
reports the first record that failed, so that what succeeded is never sent again. The code is embedded as
`Code.ZipFile` without its comments and docstrings.
"""

import bisect
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
    for entry in entries:  # one line per event sent: the dashboard's metric filter and queries read them
        print(json.dumps({"sent": entry["DetailType"], **json.loads(entry["Detail"])}))


def field(image, path):
    value = image.get(path[0])
    for key in path[1:]:
        value = (value or {}).get("M", {}).get(key)
    value = value or {}
    return value.get("S") or value.get("N")


def tally(kind, image, tag):
    """Adds a disconnect to its client's window of `kind`; tells each window in which a burst now ends, once."""
    detail_type, limit, seconds, noun = KINDS[kind]
    span = seconds * 1000
    ts = int(field(image, PATHS["TIMESTAMP"]))
    w = ts // span
    client = field(image, PATHS["CLIENT_ID"])

    def key(k):
        return {"clientId": {"S": client}, "windowKey": {"S": f"{kind}#{k * span}"}}

    def update(k, expression, **kwargs):
        return db.update_item(TableName=COUNTS, Key=key(k), UpdateExpression=expression, **kwargs)

    items = {
        w: update(
            w,
            "ADD disconnectKeys :e SET expiresAt = :x",
            ExpressionAttributeValues={":e": {"SS": [f"{ts}#{tag}"]}, ":x": {"N": str((w + 1) * seconds + 86400)}},
            ReturnValues="ALL_NEW",
        )["Attributes"]
    }
    # Read after the ADD, strongly consistent: of two disconnects added at once, the later reader sees both.
    for k in (w - 1, w + 1):
        items[k] = db.get_item(TableName=COUNTS, Key=key(k), ConsistentRead=True).get("Item", {})
    seen = sorted((int(e.split("#")[0]), e) for i in items.values() for e in i.get("disconnectKeys", {}).get("SS", ()))
    times = [t for t, _ in seen]
    for k in (w, w + 1):
        # The earliest disconnect of window k with `limit` distinct disconnects in the S up to it (itself included).
        burst = next(
            (
                (d, e, n)
                for d, e in seen
                if d // span == k and (n := bisect.bisect(times, d) - bisect.bisect(times, d - span)) >= limit
            ),
            None,
        )
        if burst is None or "toldAt" in items[k]:
            continue
        d, e, n = burst
        try:
            update(
                k,
                "SET toldAt = :t",
                ConditionExpression="attribute_not_exists(toldAt)",
                ExpressionAttributeValues={":t": {"N": str(d)}},
            )
        except FAILED:
            continue  # told already
        items[k]["toldAt"] = d
        _, version, reason, session = e.split("#", 3)
        detail = {
            "clientId": client,
            "state": "disconnected",
            "since": d,
            "sessionIdentifier": session,
            "versionNumber": int(version),
            "disconnectReason": reason or None,
            noun: n,
            "windowStart": d - span + 1,
            "windowSeconds": seconds,
        }
        try:
            send((detail_type, detail))
        except Exception:
            update(k, "REMOVE toldAt")
            raise
    # A told window's earlier disconnects can count in no burst that is still to be told: only its latest `limit`
    # can, in one that ends in the next window. So the items stay small.
    old = [e for d, e in seen if d // span == w][:-limit]
    if old and "toldAt" in items[w]:
        update(w, "DELETE disconnectKeys :o", ExpressionAttributeValues={":o": {"SS": old}})


def counted(record):
    """A record of the event table's stream: every distinct disconnect counts, stale or not."""
    image = record["dynamodb"].get("NewImage")
    if record.get("eventName") == "REMOVE" or not image or field(image, PATHS["EVENT_TYPE"]) != "disconnected":
        return
    reason = field(image, REASON)
    tag = f"{field(image, PATHS['VERSION'])}#{reason or ''}#{field(image, PATHS['SESSION'])}"
    tally("flapping", image, tag)
    if reason == "DUPLICATE_CLIENTID":
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
