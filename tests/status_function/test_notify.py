"""The notification and counting functions (templates/notify_function.py, templates/count_function.py), as
embedded in the synthesized template, with the status function, against moto in process: the event table and the
status table with their streams, the check queue with its delays on a frozen clock (freezegun), the count table,
and EventBridge with a rule that sends every `presence-stack` event to a capture queue.

Each generated history (tests/it/support/history.rs, through `status-history lines`) is delivered at its arrival
times: in the arrival order, and shuffled (each delivery later by up to 20 s, a fifth of them delivered again up to
2 minutes later). A tenth of the PutEvents and SendMessage calls of the two functions fail; a failed stream batch
is delivered again from the record the function reports, a failed check message again, and a tenth of the check
messages that succeeded are delivered a second time (SQS delivers at least once). What must hold:

- `Device Connected` / `Device Disconnected`: one per change of state of the status table, and no other;
- `Device Offline`: exactly one per outage (a change to disconnected, at its arrival time) that the next change to
  connected did not end within `offline_after_seconds`, none otherwise; `Device Online` at the end of each of those;
- `Device Flapping` / `Client ID Conflict`: one per client and window aligned at a multiple of its length S in which
  a burst ends (so many distinct disconnects / `DUPLICATE_CLIENTID` disconnects, stale or not, within S by their
  timestamps: the latest of them ends it), and no other; worked out by a scan of each client's sorted timestamps.
  A burst across a window boundary (8 disconnects within 185 s, 4 on each side) is told too, once.

The stream records reach each handler through its event source mapping's filter, taken from the template and
applied by a matcher of the filter pattern subset the template uses (an operator it does not know fails the test).

And `presence-stack simulate --notifications`, the same rules in Rust, prints exactly what the functions sent for the
same deliveries (each with its `arrivedAt`).

Run by scripts/test-status-function (PRESENCE_STACK, STATUS_HISTORY, STATUS_TEST_DIR).
"""

import collections
import contextlib
import datetime
import heapq
import io
import json
import os
import pathlib
import random
import subprocess
import types

import boto3
import pytest
from freezegun import freeze_time
from moto import mock_aws

REPO = pathlib.Path(__file__).resolve().parents[2]
CONFIGS = {
    "root": REPO / "tests" / "status_function" / "notify-root.yaml",
    "nested": REPO / "tests" / "status_function" / "notify-nested.yaml",
}
CLIENTS = int(os.environ.get("NOTIFY_TEST_CLIENTS", "20"))
SEEDS = [int(s) for s in os.environ.get("NOTIFY_TEST_SEEDS", "1,2").split(",")]
ORDERS = int(os.environ.get("NOTIFY_TEST_ORDERS", "2"))
FAIL = 0.1
REGION = "eu-west-1"
# moto 5.2.5 routes DynamoDB Streams only at this host name, which newer botocore no longer uses by default.
STREAMS = f"https://streams.dynamodb.{REGION}.amazonaws.com"
TOTALS = collections.Counter()


def run(*args):
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def scratch():
    path = pathlib.Path(os.environ.get("STATUS_TEST_DIR", REPO / "target" / "status-function"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch):
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)


class Stack:
    """What the tests need of the synthesized template: each function's code and environment, each table."""

    def __init__(self, config):
        self.template = json.loads(run(os.environ["PRESENCE_STACK"], "synth", str(config)))
        self.resources = self.template["Resources"]

    def one(self, suffix):
        found = [v for k, v in self.resources.items() if k.endswith(suffix)]
        assert len(found) == 1, suffix
        return found[0]

    def function(self, suffix):
        props = self.one(suffix)["Properties"]
        return props["Code"]["ZipFile"], dict(props["Environment"]["Variables"])

    def filters(self, function):
        """The filter patterns of the function's stream mapping, checked to be of the subset `matches` knows."""
        [name] = [k for k in self.resources if k.endswith(function)]
        [mapping] = [
            r["Properties"]
            for r in self.resources.values()
            if r["Type"] == "AWS::Lambda::EventSourceMapping"
            and r["Properties"]["FunctionName"] == {"Ref": name}
            and r["Properties"]["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
        ]
        patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
        for pattern in patterns:
            known(pattern)
        return patterns

    def create_table(self, db, suffix, name, stream=None):
        props = self.one(suffix)["Properties"]
        extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream}} if stream else {}
        keys = {k["AttributeName"] for k in props["KeySchema"]}
        db.create_table(
            TableName=name,
            AttributeDefinitions=[a for a in props["AttributeDefinitions"] if a["AttributeName"] in keys],
            KeySchema=props["KeySchema"],
            BillingMode="PAY_PER_REQUEST",
            **extra,
        )


class Stream:
    """A table's stream, read as Lambda hands it over (epoch seconds, the source ARN)."""

    def __init__(self, db, streams, table):
        self.streams = streams
        self.arn = db.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]

    def take(self):
        out = []
        while True:
            page = self.streams.get_records(ShardIterator=self.iterator, Limit=1000)
            self.iterator = page["NextShardIterator"]
            for record in page["Records"]:
                record["eventSourceARN"] = self.arn
                created = record["dynamodb"]["ApproximateCreationDateTime"]
                record["dynamodb"]["ApproximateCreationDateTime"] = created.timestamp()
                out.append(record)
            if len(page["Records"]) < 1000:  # moto hands over every record there is, up to the limit
                return out


class Flaky:
    """A boto3 client whose PutEvents and SendMessage fail a tenth of the time, before reaching AWS."""

    def __init__(self, client, rng, sent=None):
        self.client, self.rng, self.sent = client, rng, sent
        self.failed = 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def fail(self):
        if self.rng.random() < FAIL:
            self.failed += 1
            raise RuntimeError("injected failure")

    def put_events(self, **kwargs):
        self.fail()
        return self.client.put_events(**kwargs)

    def send_message(self, **kwargs):
        self.fail()
        done = self.client.send_message(**kwargs)
        self.sent(kwargs.get("DelaySeconds", 0))
        return done


class Trims:
    """The counting function's DynamoDB client, counting the `DELETE`s that trim a told window to its latest N."""

    def __init__(self, client, tally):
        self.client, self.tally = client, tally

    def __getattr__(self, name):
        return getattr(self.client, name)

    def update_item(self, **kwargs):
        self.tally["told windows trimmed"] += kwargs["UpdateExpression"].startswith("DELETE ")
        return self.client.update_item(**kwargs)


def known(pattern):
    """Fails unless the pattern is of the subset the template uses: objects whose leaves are lists of strings (equal
    to one of them). A new operator (`{"prefix": ...}`, `{"anything-but": ...}`, `{"exists": ...}`), a number or an
    empty list fails here: teach `matches` first."""
    assert isinstance(pattern, dict) and pattern, pattern
    for value in pattern.values():
        if isinstance(value, dict):
            known(value)
        else:
            assert isinstance(value, list) and value and all(isinstance(v, str) for v in value), pattern


def matches(pattern, value):
    """Lambda's filter rule on a record, for that subset: every key of the pattern is in the value, an object matches
    inside, a list of strings matches a value equal to one of them (a list value: any of its elements)."""
    for key, want in pattern.items():
        got = value.get(key) if isinstance(value, dict) else None
        if isinstance(want, dict):
            if not matches(want, got):
                return False
        elif not any(isinstance(g, str) and g in want for g in (got if isinstance(got, list) else [got])):
            return False
    return True


def only(patterns, records):
    """The records a mapping with these filters passes to its function (any one filter matching)."""
    return [r for r in records if any(matches(p, r) for p in patterns)]


def load(code, name, variables):
    os.environ.update(variables)
    module = types.ModuleType(name)
    exec(compile(code, name, "exec"), module.__dict__)  # noqa: S102 (the code as deployed, from the template)
    return module


# The log line the functions print per event sent (read by the dashboard's metric filter and queries), as `told`.
LOGGED = collections.Counter()
# The detail of each Device Flapping and Client ID Conflict sent, as `burst` gives it.
BURSTS = collections.Counter()


def quietly(handler, records):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # the functions print the failures they report
        result = handler({"Records": records}, None)
    for line in out.getvalue().splitlines():
        if line.startswith('{"sent": '):
            logged = json.loads(line)
            LOGGED[told({"source": "presence-stack", "detail-type": logged["sent"], "detail": logged})] += 1
    return result


def deliver_stream(handler, records, rng):
    """As Lambda does with ReportBatchItemFailures: random batches, a failed one again from the reported record."""
    while records:
        batch = records[: rng.randint(1, 100)]
        got = quietly(handler, batch)
        failed = got["batchItemFailures"]
        if failed:
            seq = failed[0]["itemIdentifier"]
            records = records[next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == seq) :]
        else:
            records = records[len(batch) :]


def deliveries(seed, shuffle, rng):
    """The generated history's deliveries as (arrival ms, payload), shuffled and redelivered when asked."""
    lines = json_lines(run(os.environ["STATUS_HISTORY"], "lines", str(CLIENTS), str(seed)))
    out = [
        (d["arrivalMs"], i, d["payload"])
        for i, d in enumerate(line["delivery"] for line in lines if "delivery" in line)
    ]
    if shuffle:
        out = [(t + rng.randint(0, 20_000), i, p) for t, i, p in out]
        out += [(t + rng.randint(0, 120_000), i, p) for t, i, p in rng.sample(out, len(out) // 5)]
    out.sort(key=lambda d: (d[0], d[1]))
    return out


def items_of(config, payloads, name):
    """The item the pipeline's rule writes for each payload (by its index), from `presence-stack simulate`."""
    events = scratch() / f"{name}.events.jsonl"
    events.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    simulated = run(os.environ["PRESENCE_STACK"], "simulate", str(config), "--events", str(events))
    return {line["index"]: line["item"] for line in json_lines(simulated) if line.get("outcome") == "written"}


def attr(image, name):
    value = (image or {}).get(name) or {}
    return value.get("S") or (int(value["N"]) if "N" in value else None)


def expected(transitions, payloads, offline_ms, flapping, conflict, tally):
    """What must be sent, from the status table's changes of state (in arrival order) and the distinct events."""
    want = collections.Counter()
    by_client = collections.defaultdict(list)
    for t, client, state, since in transitions:
        want[("Device " + state.capitalize(), client, since)] += 1
        by_client[client].append((t, state, since))
    for client, changes in by_client.items():
        for k, (t, state, since) in enumerate(changes):
            if state != "disconnected":
                continue
            end = next((c for c in changes[k + 1 :] if c[1] == "connected"), None)
            tally["outages"] += 1
            # A check due when an event arrives is made first (as `simulate --notifications` does).
            if end is None or end[0] >= t + offline_ms:
                tally["outages over the threshold"] += 1
                want[("Device Offline", client, since)] += 1
                if end is not None:
                    want[("Device Online", client, end[2])] += 1
    disconnects = {
        (p["clientId"], p["timestamp"], p["sessionIdentifier"], p["versionNumber"]): p
        for p in payloads
        if p["eventType"] == "disconnected"
    }
    for kind, (count, seconds), only_reason in (
        ("Device Flapping", flapping, None),
        ("Client ID Conflict", conflict, "DUPLICATE_CLIENTID"),
    ):
        span = seconds * 1000
        times = collections.defaultdict(list)
        for p in disconnects.values():
            if only_reason is None or p.get("disconnectReason") == only_reason:
                times[p["clientId"]].append(p["timestamp"])
        for client, ts in times.items():
            ts.sort()
            # ts[j] ends a burst when the `count` distinct disconnects up to it span less than S.
            ends = {ts[j] // span * span for j in range(count - 1, len(ts)) if ts[j] - ts[j - count + 1] < span}
            for start in ends:
                want[(kind, client, start)] += 1
    return want


def burst(event):
    """A Flapping or Conflict event's whole detail, as text (None for the other kinds)."""
    if event["detail-type"] in ("Device Flapping", "Client ID Conflict"):
        return json.dumps(event["detail"], sort_keys=True)
    return None


def told(event):
    d = event["detail"]
    kind = event["detail-type"]
    assert event["source"] == "presence-stack" and d["pipeline"] in ("presence", "nested"), event
    assert d["clientId"] and d["state"] in ("connected", "disconnected") and isinstance(d["since"], int), event
    if kind in ("Device Flapping", "Client ID Conflict"):
        # The burst's window: the S milliseconds up to its last disconnect. Told once per window aligned at a
        # multiple of S in which one ends.
        span = d["windowSeconds"] * 1000
        assert d["windowStart"] == d["since"] - span + 1, event
        assert d[{"Device Flapping": "disconnects", "Client ID Conflict": "takeovers"}[kind]] >= 2, event
        return (kind, d["clientId"], d["since"] // span * span)
    if kind == "Device Offline":
        return (kind, d["clientId"], d["offlineSince"])
    return (kind, d["clientId"], d["since"])


@pytest.mark.parametrize("layout", sorted(CONFIGS))
@pytest.mark.parametrize("seed", SEEDS)
def test_every_notification_once(layout, seed):
    config = CONFIGS[layout]
    stack = Stack(config)
    rng = random.Random(seed)
    base = deliveries(seed, False, rng)
    items = items_of(config, [p for _, _, p in sorted(base, key=lambda d: d[1])], f"notify-{layout}-{seed}")
    for order in range(ORDERS):
        arrivals = deliveries(seed, order > 0, rng)
        got, tally = check_order(config, stack, arrivals, items, rng, f"notify-{layout}-{seed}-{order}")
        TOTALS.update(tally)
        TOTALS.update(kind for kind, _, _ in got.elements())
        print(
            f"{layout} seed {seed} order {order}: {len(arrivals)} deliveries, {dict(tally)}: {sorted(collections.Counter(k for k, _, _ in got.elements()).items())}"
        )


@pytest.mark.parametrize("layout", sorted(CONFIGS))
def test_the_mappings_filters(layout):
    """The template's filters as the tests apply them: the counting function gets the disconnects inserted or
    rewritten only, the status and notification functions every insert and rewrite; a pattern with an operator,
    a number or an empty list is refused, so that a new one in the template fails until `matches` knows it."""
    stack = Stack(CONFIGS[layout])
    path = stack.function("NotifyCountFunction")[1]["EVENT_TYPE_FIELD"].split(".")

    def record(name, event_type):
        value = {"S": event_type}
        for key in reversed(path[1:]):
            value = {"M": {key: value}}
        return {"eventName": name, "dynamodb": {"NewImage": {path[0]: value}}}

    records = [record(n, t) for n in ("INSERT", "MODIFY", "REMOVE") for t in ("connected", "disconnected")]
    assert only(stack.filters("NotifyCountFunction"), records) == [records[1], records[3]]
    for function in ("StatusFunction", "NotifyFunction"):
        assert only(stack.filters(function), records) == records[:4]
    for pattern in ({"a": [{"prefix": "x"}]}, {"a": [1]}, {"a": []}, {"a": "x"}, {"a": {}}, {}):
        with pytest.raises(AssertionError):
            known(pattern)


# 10:00 UTC on 7 December 2025, a multiple of 600 s (and of 300 s).
BOUNDARY = 1_765_101_600_000


def test_a_burst_across_a_window_boundary():
    """8 disconnects within 185 s, 4 before a boundary of the 600-s windows and 4 after (fixed windows saw 4 and 4,
    under the 5 of the default `flapping`), each after a connect: one `Device Flapping`, in arrival order and
    backwards with every event delivered twice. The same for `DUPLICATE_CLIENTID` (3 within 300 s): a burst ends
    on each side of the boundary, so one `Client ID Conflict` each."""
    config = scratch() / "notify-defaults.yaml"
    config.write_text(
        "pipelines:\n  - name: presence\n    events: [connected, disconnected, connect_failed]\n"
        "    status: {enabled: true, notifications: {offline_after_seconds: 300}}\n"
    )
    stack = Stack(config)
    count_env = stack.function("NotifyCountFunction")[1]
    windows = [
        count_env[k] for k in ("FLAPPING_DISCONNECTS", "FLAPPING_SECONDS", "CONFLICT_TAKEOVERS", "CONFLICT_SECONDS")
    ]
    assert windows == ["5", "600", "3", "300"]
    payloads = []
    for client, reason in (("flapping", "CONNECTION_LOST"), ("twins", "DUPLICATE_CLIENTID")):
        for k in range(8):
            ts = BOUNDARY - 100_000 + k * 26_428
            event = {"clientId": client, "sessionIdentifier": f"{client}-{k}", "principalIdentifier": "p"}
            event |= {"versionNumber": k, "ipAddress": "192.0.2.1"}
            payloads.append({**event, "timestamp": ts - 5_000, "eventType": "connected"})
            event = {k: v for k, v in event.items() if k != "ipAddress"}
            disconnect = {"timestamp": ts, "eventType": "disconnected", "disconnectReason": reason}
            payloads.append({**event, **disconnect, "clientInitiatedDisconnect": False})
    times = [p["timestamp"] for p in payloads if p["clientId"] == "flapping" and p["eventType"] == "disconnected"]
    assert times[-1] - times[0] < 185_000 and [t < BOUNDARY for t in times].count(True) == 4
    items = items_of(config, payloads, "notify-boundary")
    rng = random.Random(22)
    forwards = [(p["timestamp"] + 1_000, i, p) for i, p in enumerate(payloads)]
    # Backwards: the last event first; each pair (connect, disconnect) stays in its order, then all again.
    last = BOUNDARY + 200_000
    backwards = [(last - (i // 2) * 2_000 + i % 2, i, p) for i, p in enumerate(payloads)]
    backwards += [(t + 100_000, i, p) for t, i, p in backwards]
    for name, arrivals in (("forwards", forwards), ("backwards", sorted(backwards))):
        got, _ = check_order(config, stack, arrivals, items, rng, f"notify-boundary-{name}")
        bursts = sorted(k for k in got.elements() if k[0] in ("Device Flapping", "Client ID Conflict"))
        assert bursts == [
            ("Client ID Conflict", "twins", BOUNDARY - 300_000),
            ("Client ID Conflict", "twins", BOUNDARY),
            ("Device Flapping", "flapping", BOUNDARY),
            ("Device Flapping", "twins", BOUNDARY),  # every disconnect counts for flapping
        ], (name, bursts)
        # The burst described is the earliest of its window among what had arrived.
        flapping = [json.loads(b) for b in BURSTS if json.loads(b)["clientId"] == "flapping"]
        assert [(b["since"], b["disconnects"]) for b in flapping] == [(times[4 if name == "forwards" else 7], 5)]


def check_order(config, stack, arrivals, items, rng, name):
    """Delivers the arrivals to the functions: they sent what must be sent, each logged once, and `simulate
    --notifications` prints the same (the bursts described too). What was sent, and the run's figures."""
    notify_env = stack.function("NotifyFunction")[1]
    count_env = stack.function("NotifyCountFunction")[1]
    offline_ms = int(notify_env["OFFLINE_AFTER_SECONDS"]) * 1000
    flapping = (int(count_env["FLAPPING_DISCONNECTS"]), int(count_env["FLAPPING_SECONDS"]))
    conflict = (int(count_env["CONFLICT_TAKEOVERS"]), int(count_env["CONFLICT_SECONDS"]))
    start = datetime.datetime.fromtimestamp(arrivals[0][0] / 1000, tz=datetime.UTC)
    LOGGED.clear()
    BURSTS.clear()
    with freeze_time(start, tick=False) as clock, mock_aws():
        got, want, tally = run_order(stack, arrivals, items, clock, rng)
        want = want(offline_ms, flapping, conflict)
    assert got == want, diff(got, want)
    # Every event sent was logged once: the dashboard's metrics count what EventBridge received.
    assert LOGGED == got, diff(LOGGED, got)
    # `simulate --notifications`, the same rules in Rust, on the same arrivals.
    simulated, bursts = simulate(config, arrivals, name)
    assert simulated == got, diff(simulated, got)
    # Which burst of a window is described depends on the arrival order: the same one, by the same rules.
    assert bursts == BURSTS, diff(bursts, BURSTS)
    return got, tally


def simulate(config, arrivals, name):
    """What `presence-stack simulate --notifications` prints for the deliveries, each with its `arrivedAt`."""
    events = scratch() / f"{name}.arrivals.jsonl"
    events.write_text("".join(json.dumps({**p, "arrivedAt": t}) + "\n" for t, _, p in arrivals))
    lines = json_lines(
        run(os.environ["PRESENCE_STACK"], "simulate", str(config), "--events", str(events), "--notifications")
    )
    return collections.Counter(told(line) for line in lines), collections.Counter(filter(None, map(burst, lines)))


def diff(got, want):
    return (
        f"sent but not due: {sorted((got - want).items())[:10]}; due but not sent: {sorted((want - got).items())[:10]}"
    )


def run_order(stack, arrivals, items, clock, rng):
    status_code, status_env = stack.function("StatusFunction")
    notify_code, notify_env = stack.function("NotifyFunction")
    count_code, count_env = stack.function("NotifyCountFunction")
    # What each stream mapping passes its function.
    status_filters = stack.filters("StatusFunction")
    notify_filters = stack.filters("NotifyFunction")
    count_filters = stack.filters("NotifyCountFunction")
    db = boto3.client("dynamodb")
    streams = boto3.client("dynamodbstreams", endpoint_url=STREAMS)
    sqs = boto3.client("sqs")
    events = boto3.client("events")
    stack.create_table(
        db, "PresenceTable" if "PresenceTable" in stack.resources else "NestedTable", "events", "NEW_IMAGE"
    )
    stack.create_table(db, "StatusTable", "status", "NEW_AND_OLD_IMAGES")
    stack.create_table(db, "NotifyCountTable", "counts")
    check_url = sqs.create_queue(QueueName="check")["QueueUrl"]
    # The histories span 4 days: the capture queue keeps its messages the longest SQS allows.
    capture = sqs.create_queue(QueueName="capture", Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    capture_arn = sqs.get_queue_attributes(QueueUrl=capture, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="capture", EventPattern=json.dumps({"source": ["presence-stack"]}))
    events.put_targets(Rule="capture", Targets=[{"Id": "capture", "Arn": capture_arn}])

    def now_ms():
        return round(datetime.datetime.now(datetime.UTC).timestamp() * 1000)

    due = []  # when each check message becomes visible, in ms

    def sent(delay):
        heapq.heappush(due, now_ms() + delay * 1000)

    status = load(status_code, "status_function", {**status_env, "STATUS_TABLE": "status"})
    notify = load(
        notify_code, "notify_function", {**notify_env, "STATUS_TABLE": "status", "CHECK_QUEUE_URL": check_url}
    )
    count = load(count_code, "count_function", {**count_env, "COUNT_TABLE": "counts"})
    notify.sqs = Flaky(notify.sqs, rng, sent)
    notify.bus = Flaky(notify.bus, rng)
    count.bus = Flaky(count.bus, rng)
    event_stream = Stream(db, streams, "events")
    status_stream = Stream(db, streams, "status")
    transitions = []
    tally = collections.Counter()
    count.db = Trims(count.db, tally)
    got = collections.Counter()

    def capture_events():
        # Taken and deleted as they come: moto's SQS slows down with every message a queue holds.
        while True:
            messages = sqs.receive_message(QueueUrl=capture, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            for m in messages:
                event = json.loads(m["Body"])
                got[told(event)] += 1
                BURSTS.update(filter(None, [burst(event)]))
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            sqs.delete_message_batch(QueueUrl=capture, Entries=entries)

    def status_changes():
        records = status_stream.take()
        for r in records:
            old, new = r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")
            if new and attr(old, "state") != attr(new, "state"):
                transitions.append((now_ms(), attr(new, "clientId"), attr(new, "state"), attr(new, "since")))
        deliver_stream(notify.handler, only(notify_filters, records), rng)

    def checks():
        while True:
            got = sqs.receive_message(QueueUrl=check_url, MaxNumberOfMessages=10, VisibilityTimeout=180)
            messages = got.get("Messages", [])
            if not messages:
                return
            records = [{"eventSource": "aws:sqs", "messageId": m["MessageId"], "body": m["Body"]} for m in messages]
            while records:
                failed = {f["itemIdentifier"] for f in quietly(notify.handler, records)["batchItemFailures"]}
                tally["check retries"] += len(failed)
                again = [r for r in records if r["messageId"] not in failed and rng.random() < FAIL]
                tally["checks delivered twice"] += len(again)
                quietly(notify.handler, again)  # SQS delivers at least once
                records = [r for r in records if r["messageId"] in failed]
            for m in messages:
                sqs.delete_message(QueueUrl=check_url, ReceiptHandle=m["ReceiptHandle"])
            status_changes()  # the markers written

    def until(t):
        while due and due[0] <= t:
            clock.move_to(datetime.datetime.fromtimestamp(heapq.heappop(due) / 1000, tz=datetime.UTC))
            checks()
        clock.move_to(datetime.datetime.fromtimestamp(t / 1000, tz=datetime.UTC))

    for t, index, _ in arrivals:
        until(t)
        item = items.get(index)
        if item is None:
            continue  # not written by the rule
        db.put_item(TableName="events", Item=item)
        records = event_stream.take()
        if only(status_filters, records):
            quietly(status.handler, only(status_filters, records))
        deliver_stream(count.handler, only(count_filters, records), rng)
        status_changes()
        capture_events()
    while due:
        until(due[0])
    capture_events()
    tally["failures injected"] = notify.sqs.failed + notify.bus.failed + count.bus.failed
    # The count items stay small: a window told keeps its latest N disconnects, one not told holds fewer than N
    # (N distinct disconnects within one window are a burst, told once every record has been handled).
    limits = {"flapping": int(count_env["FLAPPING_DISCONNECTS"]), "conflict": int(count_env["CONFLICT_TAKEOVERS"])}
    for page in db.get_paginator("scan").paginate(TableName="counts"):
        for item in page["Items"]:
            kind, held = item["windowKey"]["S"].split("#")[0], len(item["disconnectKeys"]["SS"])
            assert held <= limits[kind] if "toldAt" in item else held < limits[kind], item
            tally["count items"] += 1
    payloads = [p for _, _, p in arrivals]

    def want(offline_ms, flapping, conflict):
        return expected(transitions, payloads, offline_ms, flapping, conflict, tally)

    return got, want, tally


def test_zz_totals():
    """The figures of the runs above, for the README."""
    print(f"notifications checked: {dict(TOTALS)}")
