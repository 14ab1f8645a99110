"""The README's recovery path, end to end against moto (run by scripts/deploy-smoke).

Usage:
  replay.py STACK CONFIG TEMPLATE WORKDIR

For a deployed stack whose pipeline has an error action: writes error-action records the way the
rule's error action would (put-log-events into the pipeline's log group, or send-message-batch into its
queue), reads them back with the README's commands (`aws logs filter-log-events --output json`, or
`aws sqs receive-message --output json` until the queue is empty), pipes them into
`presence-stack replay`, writes every document with `aws dynamodb batch-write-item --request-items`,
deletes the SQS messages, and checks that `aws dynamodb scan` holds exactly the items
`presence-stack simulate` gives for the same events. Replaying again must print the same bytes and
leave the table as it was.

moto has no AWS::IoT::TopicRule, so the real error action never fires here: the records are written
by this script, in the documented message format (AWS IoT developer guide, "Error handling"), under
the rule name CloudFormation's resource provider generates (logical ID, `_`, 12 letters and digits).
What the error action really writes (its log stream, batching, attributes) is not proven.

Environment: SMOKE_AWS (the aws command), SMOKE_ENDPOINT (moto's URL), SMOKE_COUNTS (a file each run
appends "passed failed" to), SMOKE_BIN (the presence-stack binary), the AWS_* variables deploy-smoke
sets.
"""

import base64
import json
import os
import subprocess
import sys
import time

AWS = os.environ["SMOKE_AWS"]
ENDPOINT = os.environ["SMOKE_ENDPOINT"]
COUNTS = os.environ["SMOKE_COUNTS"]
BIN = os.environ["SMOKE_BIN"]

# A name CloudFormation could have given the rule: the logical ID, "_", 12 letters and digits.
RULE_SUFFIX = "_SmokeRpl0001"


class Failed(Exception):
    pass


def aws(*args, stdin=None):
    """Run one aws command against moto; its standard output (parsed JSON when there is any)."""
    cmd = [AWS, *args, "--endpoint-url", ENDPOINT]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise Failed(f"aws {' '.join(args[:2])}: exit {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return proc.stdout


def presence_stack(*args, stdin=None, expect=0):
    proc = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != expect:
        raise Failed(f"presence-stack {args[0]}: exit {proc.returncode}: {proc.stderr.strip()[-600:]}")
    return proc.stdout, proc.stderr


def lifecycle_events():
    """30 distinct connects and disconnects of 10 devices, a takeover in one millisecond among them."""
    events = []
    t0 = 1_672_742_949_382
    for i in range(15):
        client = f"smoke_{i % 10}"
        session = f"00000000-0000-4000-8000-{i:012d}"
        base = {
            "clientId": client,
            "principalIdentifier": "a1b2c3",
            "sessionIdentifier": session,
            "versionNumber": i // 10 + 1,
        }
        events.append({**base, "timestamp": t0 + 1000 * i, "eventType": "connected", "ipAddress": "192.0.2.10"})
        events.append(
            {
                **base,
                "timestamp": t0 + 1000 * i + 500,
                "eventType": "disconnected",
                "clientInitiatedDisconnect": True,
                "disconnectReason": "CLIENT_INITIATED_DISCONNECT",
            }
        )
    # A takeover: the old connection's disconnect and the new connect carry the same millisecond.
    events[-1]["disconnectReason"] = "DUPLICATE_CLIENTID"
    events[-1]["clientInitiatedDisconnect"] = False
    events[-1]["timestamp"] = events[-2]["timestamp"] + 40_000
    events.append(
        {
            **events[-2],
            "sessionIdentifier": "00000000-0000-4000-8000-999999999999",
            "timestamp": events[-1]["timestamp"],
            "versionNumber": 3,
        }
    )
    return events


def record(rule, table, event):
    topic = f"$aws/events/presence/{event['eventType']}/{event['clientId']}"
    return {
        "ruleName": rule,
        "topic": topic,
        "cloudwatchTraceId": "7e146a2c-95b5-6caf-98b9-50e3969734c7",
        "clientId": event["clientId"],
        "base64OriginalPayload": base64.b64encode(json.dumps(event).encode()).decode(),
        "failures": [
            {
                "failedAction": "DynamoDBv2Action",
                "failedResource": table,
                "errorMessage": "Failed to write to DynamoDB: ProvisionedThroughputExceededException (smoke)",
            }
        ],
    }


def physical_ids(stack):
    listed = json.loads(aws("cloudformation", "list-stack-resources", "--stack-name", stack, "--output", "json"))
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in listed["StackResourceSummaries"]}


def write_batches(lines):
    """The README's loop: every document, retrying UnprocessedItems until nothing is left."""
    for doc in lines:
        for _ in range(10):
            left = aws(
                "dynamodb",
                "batch-write-item",
                "--request-items",
                doc,
                "--query",
                "UnprocessedItems",
                "--output",
                "json",
            ).strip()
            if left in ("{}", "null", ""):
                break
            doc = left
        else:
            raise Failed(f"UnprocessedItems after 10 tries: {left[:200]}")


def scan(table):
    items = []
    token = None
    while True:
        args = ["dynamodb", "scan", "--table-name", table, "--output", "json"]
        if token:
            args += ["--starting-token", token]
        page = json.loads(aws(*args))
        items += page.get("Items", [])
        token = page.get("NextToken")
        if not token:
            return items


def canonical(items):
    return sorted(json.dumps(i, sort_keys=True) for i in items)


def main():
    stack, config, template_path, work = sys.argv[1:5]
    with open(template_path, encoding="utf-8") as f:
        template = json.load(f)
    resources = template["Resources"]
    by_type = {}
    for lid, res in resources.items():
        by_type.setdefault(res["Type"], []).append(lid)
    passed = failed = 0

    def check(what, fn):
        nonlocal passed, failed
        try:
            note = fn()
        except (Failed, subprocess.TimeoutExpired, KeyError, ValueError) as e:
            failed += 1
            print(f"deploy-smoke: {stack}: replay: {what} FAILED: {e}", flush=True)
            return False
        passed += 1
        print(f"deploy-smoke: {stack}: replay: {what} ok{f' ({note})' if note else ''}", flush=True)
        return True

    state = {}

    def setup():
        ids = physical_ids(stack)
        (rule_id,) = by_type["AWS::IoT::TopicRule"]
        (table_id,) = by_type["AWS::DynamoDB::Table"]
        state["table"] = ids[table_id]
        state["rule"] = rule_id + RULE_SUFFIX
        if "AWS::Logs::LogGroup" in by_type:
            state["kind"] = "logs"
            state["log_group"] = ids[by_type["AWS::Logs::LogGroup"][0]]
        else:
            state["kind"] = "sqs"
            state["queue_url"] = ids[by_type["AWS::SQS::Queue"][0]]
        return f"table {state['table']}, {state['kind']} error action, rule {state['rule']}"

    if not check("the stack's table and error target", setup):
        return passed, failed
    events = lifecycle_events()
    records = [record(state["rule"], state["table"], e) for e in events]
    # The error action delivers at least once: one record twice.
    records.append(records[3])
    errors = os.path.join(work, f"{stack}.errors.json")

    def put_and_read_back():
        if state["kind"] == "logs":
            group = state["log_group"]
            aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "smoke-replay")
            # CloudWatch Logs refuses events older than 14 days (or the retention): stamp them now.
            now = int(time.time() * 1000)
            log_events = [{"timestamp": now + i, "message": json.dumps(r)} for i, r in enumerate(records)]
            aws(
                "logs",
                "put-log-events",
                "--log-group-name",
                group,
                "--log-stream-name",
                "smoke-replay",
                "--log-events",
                json.dumps(log_events),
            )
            text = aws("logs", "filter-log-events", "--log-group-name", group, "--output", "json")
            got = len(json.loads(text)["events"])
        else:
            url = state["queue_url"]
            for start in range(0, len(records), 10):
                entries = [
                    {"Id": str(i), "MessageBody": json.dumps(r)} for i, r in enumerate(records[start : start + 10])
                ]
                aws("sqs", "send-message-batch", "--queue-url", url, "--entries", json.dumps(entries))
            pages = []
            while True:
                page = aws(
                    "sqs",
                    "receive-message",
                    "--queue-url",
                    url,
                    "--max-number-of-messages",
                    "10",
                    "--visibility-timeout",
                    "300",
                    "--output",
                    "json",
                )
                if '"Messages"' not in page:
                    break
                pages.append(page)
            text = "".join(p if p.endswith("\n") else p + "\n" for p in pages)
            state["handles"] = [m["ReceiptHandle"] for p in pages for m in json.loads(p)["Messages"]]
            got = len(state["handles"])
        with open(errors, "w", encoding="utf-8") as f:
            f.write(text)
        if got != len(records):
            raise Failed(f"{got} records read back, {len(records)} written")
        return f"{got} records, {'filter-log-events' if state['kind'] == 'logs' else 'receive-message pages appended'}"

    if not check(
        "error records written as the error action would, read back with the README's command", put_and_read_back
    ):
        return passed, failed

    def replay_twice():
        out, err = presence_stack("replay", config, "--errors", errors, "--table", state["table"])
        again, _ = presence_stack("replay", config, "--errors", errors, "--table", state["table"])
        if out != again:
            raise Failed("a second replay printed other documents")
        lines = out.splitlines()
        sizes = [len(json.loads(line)[state["table"]]) for line in lines]
        if not lines or max(sizes) > 25:
            raise Failed(f"documents of {sizes} requests")
        state["lines"] = lines
        return f"{len(lines)} documents of {sizes} requests; {err.strip().splitlines()[-1]}"

    if not check("presence-stack replay: batch-write-item documents, the same bytes twice", replay_twice):
        return passed, failed

    def expected_items():
        jsonl = os.path.join(work, f"{stack}.events.jsonl")
        with open(jsonl, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(e) + "\n" for e in events)
        out, _ = presence_stack("simulate", config, "--events", jsonl)
        by_key = {}
        for line in out.splitlines():
            o = json.loads(line)
            if o["outcome"] == "written":
                by_key[json.dumps(o["key"], sort_keys=True)] = o["item"]
        return list(by_key.values())

    def write_and_scan():
        write_batches(state["lines"])
        items = scan(state["table"])
        want = expected_items()
        if canonical(items) != canonical(want):
            raise Failed(
                f"scan has {len(items)} items, simulate gives {len(want)}: {canonical(items)[:1]} vs {canonical(want)[:1]}"
            )
        # Writing the documents again changes nothing.
        write_batches(state["lines"])
        if canonical(scan(state["table"])) != canonical(want):
            raise Failed("writing the documents a second time changed the table")
        return f"{len(items)} items, equal to simulate's for the same events, twice"

    if not check("aws dynamodb batch-write-item per line, then scan = simulate", write_and_scan):
        return passed, failed

    if state["kind"] == "sqs":

        def delete_messages():
            url = state["queue_url"]
            handles = state["handles"]
            for start in range(0, len(handles), 10):
                entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles[start : start + 10])]
                aws("sqs", "delete-message-batch", "--queue-url", url, "--entries", json.dumps(entries))
            attrs = json.loads(
                aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All", "--output", "json")
            )["Attributes"]
            left = int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
            if left:
                raise Failed(f"{left} messages still in the queue")
            return f"{len(handles)} messages deleted, the queue is empty"

        check("SQS messages deleted after a successful write", delete_messages)
    return passed, failed


if __name__ == "__main__":
    p, f = main()
    with open(COUNTS, "a", encoding="utf-8") as counts:
        counts.write(f"{p} {f}\n")
