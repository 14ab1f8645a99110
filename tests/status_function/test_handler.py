"""The status function (templates/status_function.py) against moto's in-process DynamoDB, fed the stream records of
generated histories (tests/it/support/history.rs, through `cargo run --example status-history -- lines`), in many
shuffled orders with redeliveries and TTL removals. The histories end seconds ago, as a live fleet's do. For every
client, the final status item must be what `presence-stack status --json` answers from the same items asked now, a
Scan of the online index must list exactly the connected clients, and `status --write-requests` must rebuild the
function's table, every client included. The function's Embedded Metric Format lines (the dashboard's StateChanges)
must be valid EMF and exactly the changes of state the table's stream shows, one line each.

Run by scripts/test-status-function, which builds the binaries and passes their paths:
PRESENCE_STACK, STATUS_HISTORY, and STATUS_TEST_DIR (a scratch folder under target/).
"""

import contextlib
import copy
import io
import itertools
import json
import os
import pathlib
import random
import subprocess
import time
import types

import boto3
import pytest
from moto import mock_aws

REPO = pathlib.Path(__file__).resolve().parents[2]
HANDLER = REPO / "templates" / "status_function.py"
CONFIGS = {
    # SELECT *: every field at the root; the rule also writes connect_failed, which must change nothing.
    "root": REPO / "examples" / "status-table.yaml",
    # SELECT * AS event: the fields under `event`.
    "nested": REPO / "tests" / "status_function" / "nested.yaml",
}
CLIENTS = int(os.environ.get("STATUS_TEST_CLIENTS", "24"))
SEEDS = [int(s) for s in os.environ.get("STATUS_TEST_SEEDS", "1,2,3").split(",")]
ORDERS = int(os.environ.get("STATUS_TEST_ORDERS", "6"))
TABLE = "status"
INDEX = "Online"
# moto 5.2.5 routes DynamoDB Streams only at this host name, which newer botocore no longer uses by default.
STREAMS = "https://streams.dynamodb.eu-west-1.amazonaws.com"


def run(*args, stdin=None):
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def scratch():
    path = pathlib.Path(os.environ.get("STATUS_TEST_DIR", REPO / "target" / "status-function"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def function_environment(config):
    """The function's environment variables, its embedded code and its status table's key schema, from the
    synthesized template."""
    template = json.loads(run(os.environ["PRESENCE_STACK"], "synth", str(config)))
    resources = template["Resources"].values()
    functions = [v for k, v in template["Resources"].items() if k.endswith("StatusFunction")]
    assert len(functions) == 1, "one status function per status-enabled pipeline"
    variables = dict(functions[0]["Properties"]["Environment"]["Variables"])
    variables["CODE"] = functions[0]["Properties"]["Code"]["ZipFile"]
    assert variables.pop("STATUS_TABLE") == {"Ref": next(k for k, v in template["Resources"].items() if is_status(v))}
    variables["STATUS_TABLE"] = TABLE
    table = next(r for r in resources if is_status(r))["Properties"]
    return variables, table


def is_status(resource):
    props = resource.get("Properties", {})
    return resource["Type"] == "AWS::DynamoDB::Table" and "GlobalSecondaryIndexes" in props


def history(config, seed):
    """The items the pipeline writes for one generated fleet, in arrival order, and the resolver's answers."""
    lines = json_lines(run(os.environ["STATUS_HISTORY"], "lines", str(CLIENTS), str(seed)))
    payloads = [line["delivery"]["payload"] for line in lines if "delivery" in line]
    # Moved to end ten seconds ago: the last changes are fresher than the timestamp error, as in a live fleet.
    shift = int(time.time() * 1000) - 10_000 - max(p["timestamp"] for p in payloads)
    for p in payloads:
        p["timestamp"] += shift
    events = scratch() / f"{config.stem}-{seed}.events.jsonl"
    events.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    simulated = run(os.environ["PRESENCE_STACK"], "simulate", str(config), "--events", str(events))
    written = [line["item"] for line in json_lines(simulated) if line.get("outcome") == "written"]
    items = scratch() / f"{config.stem}-{seed}.items.jsonl"
    items.write_text(simulated)
    # Asked now, as a user asks: every stored event has happened, whatever its stamp, so no answer waits for the
    # timestamp error, and the answers are what the function holds.
    answers = json_lines(run(os.environ["PRESENCE_STACK"], "status", str(config), "--items", str(items), "--json"))
    rebuild = json_lines(
        run(os.environ["PRESENCE_STACK"], "status", str(config), "--items", str(items), "--write-requests", TABLE)
    )
    return written, {a["clientId"]: a for a in answers}, {p["clientId"] for p in payloads}, rebuild


def records(written, rng, shuffle):
    """Stream records of the items, shuffled, with redeliveries, REMOVE records (TTL) and MODIFY copies."""
    # `simulate` prints the items as the DynamoDBv2 action writes them: DynamoDB JSON, the stream's NewImage.
    out = [{"eventName": "INSERT", "dynamodb": {"NewImage": item}} for item in written]
    if not shuffle:
        return out
    for record in rng.sample(out, len(out) // 5):
        again = copy.deepcopy(record)
        again["eventName"] = rng.choice(["INSERT", "MODIFY"])
        out.append(again)
    for record in rng.sample(out, len(out) // 10):
        keys = {k: v for k, v in record["dynamodb"]["NewImage"].items() if k in ("clientId", "eventKey")}
        out.append(
            {
                "eventName": "REMOVE",
                "userIdentity": {"principalId": "dynamodb.amazonaws.com"},
                "dynamodb": {"Keys": keys},
            }
        )
    rng.shuffle(out)
    return out


def create_table(db, table):
    db.create_table(
        TableName=TABLE,
        AttributeDefinitions=table["AttributeDefinitions"],
        KeySchema=table["KeySchema"],
        GlobalSecondaryIndexes=[
            {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
            for index in table["GlobalSecondaryIndexes"]
        ],
        BillingMode="PAY_PER_REQUEST",
        # Every write as the table saw it, old and new, whatever the template asks: the changes of state to compare
        # the function's log lines with.
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def stream_changes(db):
    """The changes of state of the table, in order, from its stream: writes whose old and new `state` differ (moto
    writes a record for every write, one that changes nothing included, as the notification function reads them)."""
    streams = boto3.client("dynamodbstreams", endpoint_url=STREAMS)
    arn = db.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    iterator = iterator["ShardIterator"]
    changes = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in page["Records"]:
            old = record["dynamodb"].get("OldImage") or {}
            new = plain(record["dynamodb"]["NewImage"])
            # moto 5.2.5 writes an UpdateItem that creates an item as two INSERTs: the key alone, then the item.
            if "state" in new and old.get("state", {}).get("S") != new["state"]:
                why = new.get("disconnectReason")
                changes.append((new["clientId"], new["state"], new["since"], new["sessionIdentifier"], why))
        iterator = page.get("NextShardIterator") if page["Records"] else None
    return changes


# The fields of a line beyond the metric's: what the dashboard's Logs Insights table shows.
LOGGED = {"clientId", "since", "sessionIdentifier"}


def emf_changes(output, variables):
    """The changes of state the function logged, in order, each line checked as CloudWatch reads Embedded Metric
    Format: the `_aws` metadata (a millisecond timestamp, one directive of the stack's namespace, dimension sets
    naming root fields with string values, the metric with its unit), the metric's value at the root, and the
    client's fields. The other lines are the per-batch counts."""
    metric = variables["METRIC_NAME"]
    changes = []
    for text in output.splitlines():
        line = json.loads(text)
        if "_aws" not in line:
            assert set(line) == {"written", "stale", "ignored"}, text
            continue
        meta = line["_aws"]
        assert set(meta) == {"Timestamp", "CloudWatchMetrics"}, text
        assert isinstance(meta["Timestamp"], int) and abs(meta["Timestamp"] - time.time() * 1000) < 600_000, text
        [directive] = meta["CloudWatchMetrics"]
        assert directive == {
            "Namespace": variables["NAMESPACE"],
            "Dimensions": [["Pipeline", "State"]],
            "Metrics": [{"Name": metric, "Unit": "Count"}],
        }, text
        for name in (d for dimensions in directive["Dimensions"] for d in dimensions):
            assert isinstance(line.get(name), str) and line[name], text
        assert line["Pipeline"] == variables["PIPELINE"] and line["State"] in ("connected", "disconnected"), text
        assert line[metric] == 1, text
        extra = {"disconnectReason"} if line["State"] == "disconnected" and "disconnectReason" in line else set()
        assert set(line) == {"_aws", "Pipeline", "State", metric} | LOGGED | extra, text
        assert isinstance(line["since"], int) and isinstance(line["sessionIdentifier"], str), text
        # docs/dashboard.md prices the log ingestion at about 300 bytes a change.
        assert len(text.encode()) <= 400, f"{len(text.encode())} bytes: {text}"
        why = line.get("disconnectReason")
        changes.append((line["clientId"], line["State"], line["since"], line["sessionIdentifier"], why))
    return changes


def check_changes(changes, final):
    """Per client, the logged changes alternate, and the last one is the state the table ends in."""
    by_client = {}
    for change in changes:
        by_client.setdefault(change[0], []).append(change[1])
    states = {i["clientId"]: i["state"] for i in final}
    assert set(by_client) == set(states), "a line for every client with an item, none for the others"
    for client, seen in by_client.items():
        assert all(a != b for a, b in itertools.pairwise(seen)), (client, seen)
        assert seen[-1] == states[client], (client, seen)


def scan(db, **extra):
    items, start = [], {}
    while True:
        page = db.scan(TableName=TABLE, **extra, **start)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def plain(item):
    # `connects` counts the connects applied, for the notification function's offline check.
    return {k: (int(v["N"]) if "N" in v else v["S"]) for k, v in item.items() if k != "connects"}


def check(final, online, answers, clients, tally):
    by_client = {i["clientId"]: i for i in final}
    connected = set()
    for client in sorted(clients):
        answer = answers.get(client)
        item = by_client.get(client)
        state = answer["state"] if answer else "unknown"
        why = answer.get("why") if answer else "no-data"
        tally[why or state] = tally.get(why or state, 0) + 1
        if state == "connected":
            connected.add(client)
            want = {k: answer[k] for k in ("sessionIdentifier", "versionNumber", "since")}
            want.update(clientId=client, state="connected", online="1")
            assert item == want, client
        elif state == "disconnected":
            want = {k: answer[k] for k in ("sessionIdentifier", "versionNumber", "since")}
            want.update(clientId=client, state="disconnected")
            if answer.get("disconnectReason"):
                want["disconnectReason"] = answer["disconnectReason"]
            assert item == want, client
        elif why == "no-data":
            # Only connect_failed events (or nothing): never a connection, so no item.
            assert item is None, client
        elif why == "takeover-pending":
            # The resolver waits for the new connection's connect; the table holds the latest known state, which
            # is the answer's best guess.
            assert item["state"] == "disconnected" and item["disconnectReason"] == "DUPLICATE_CLIENTID", client
            guess = answer["bestGuess"]
            assert (item["since"], item["sessionIdentifier"]) == (answer["since"], answer["sessionIdentifier"])
            assert (guess["state"], guess["since"], guess["versionNumber"]) == (
                "disconnected",
                item["since"],
                item["versionNumber"],
            )
        else:
            raise AssertionError(f"{client}: an answer the generated histories should never give: {answer}")
    assert {i["clientId"] for i in online} == connected
    # The index projects what "who is online" shows, and nothing else.
    assert all(set(i) == {"clientId", "online", "since", "sessionIdentifier", "versionNumber"} for i in online)


def load_handler(variables):
    """The function as deployed: the code embedded in the template (without comments and docstrings)."""
    os.environ.update({k: v for k, v in variables.items() if k != "CODE"})
    module = types.ModuleType("status_function")
    exec(compile(variables["CODE"], "status_function", "exec"), module.__dict__)  # noqa: S102 (the code as deployed, from the template)
    return module


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch):
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)


def test_the_handler_fits_inline_code():
    variables, _ = function_environment(CONFIGS["root"])
    assert len(variables["CODE"]) <= 4096, "Code.ZipFile takes at most 4,096 characters"
    # The embedded code is the file's, less its comments and docstrings.
    assert "def handler(event, context):" in HANDLER.read_text()


@pytest.mark.parametrize("layout", sorted(CONFIGS))
@pytest.mark.parametrize("seed", SEEDS)
def test_any_order_gives_the_resolvers_answer(layout, seed, monkeypatch):
    config = CONFIGS[layout]
    variables, table = function_environment(config)
    for name, value in variables.items():
        if name != "CODE":
            monkeypatch.setenv(name, value)
    written, answers, clients, rebuild = history(config, seed)
    rng = random.Random(seed)
    tally = {}
    for order in range(ORDERS):
        with mock_aws():
            db = boto3.client("dynamodb")
            create_table(db, table)
            handler = load_handler(variables)
            stream = records(written, rng, shuffle=order > 0)
            counts = {"written": 0, "stale": 0, "ignored": 0}
            i = 0
            logged = io.StringIO()
            while i < len(stream):
                size = rng.randint(1, 100)
                with contextlib.redirect_stdout(logged):  # the function's lines: its changes of state, its counts
                    got = handler.handler({"Records": stream[i : i + size]}, None)
                counts = {k: counts[k] + got[k] for k in counts}
                i += size
            assert counts["written"] + counts["stale"] + counts["ignored"] == len(stream)
            final = [plain(i) for i in scan(db)]
            online = [plain(i) for i in scan(db, IndexName=INDEX)]
            check(final, online, answers, clients, tally)
            changes = emf_changes(logged.getvalue(), variables)
            assert changes == stream_changes(db), "one line per change of state, in the order of the writes"
            check_changes(changes, final)
            tally["changes logged"] = tally.get("changes logged", 0) + len(changes)
            if order == 0:
                kept = sorted(final, key=lambda i: i["clientId"])
    # The rebuild path: `status --write-requests` documents, written into an empty table, give the same items,
    # every client included (a takeover waiting for its new connect as the function holds it).
    with mock_aws():
        db = boto3.client("dynamodb")
        create_table(db, table)
        for document in rebuild:
            assert len(document[TABLE]) <= 25
            assert not db.batch_write_item(RequestItems=document).get("UnprocessedItems")
        assert sorted((plain(i) for i in scan(db)), key=lambda i: i["clientId"]) == kept
    print(f"{layout} seed {seed}: {len(clients)} clients, {len(written)} items, {ORDERS} orders: {tally}")


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_without_a_dashboard_nothing_is_logged(seed, monkeypatch):
    """`status.dashboard: false`: the template gives the function no metric, and it prints only its counts."""
    text = CONFIGS["root"].read_text()
    assert "      enabled: true\n" in text
    config = scratch() / "no-dashboard.yaml"
    config.write_text(text.replace("      enabled: true\n", "      enabled: true\n      dashboard: false\n", 1))
    variables, table = function_environment(config)
    assert not {"METRIC_NAME", "NAMESPACE", "PIPELINE"} & set(variables)
    for name in ("METRIC_NAME", "NAMESPACE", "PIPELINE"):
        monkeypatch.delenv(name, raising=False)
    written, answers, clients, _ = history(config, seed)
    with mock_aws():
        db = boto3.client("dynamodb")
        create_table(db, table)
        handler = load_handler(variables)
        logged = io.StringIO()
        with contextlib.redirect_stdout(logged):
            handler.handler({"Records": records(written, random.Random(seed), shuffle=False)}, None)
        check([plain(i) for i in scan(db)], [plain(i) for i in scan(db, IndexName=INDEX)], answers, clients, {})
        assert stream_changes(db), "the table changed"
    assert [set(json.loads(line)) for line in logged.getvalue().splitlines()] == [{"written", "stale", "ignored"}]


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_recorded_events_seed_an_event_table_that_status_reads(seed):
    """`simulate --write-requests` documents, written with BatchWriteItem into the pipeline's event table (its key
    schema from the template), scanned back as the aws CLI prints a scan: `status` on that scan, asked now, is
    `status` on simulate's own lines, and the status table read as input gives the same answers again."""
    config = CONFIGS["root"]
    template = json.loads(run(os.environ["PRESENCE_STACK"], "synth", str(config)))
    tables = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    events_table = next(t for t in tables if "GlobalSecondaryIndexes" not in t)
    lines = json_lines(run(os.environ["STATUS_HISTORY"], "lines", str(CLIENTS), str(seed)))
    payloads = [line["delivery"]["payload"] for line in lines if "delivery" in line]
    events = scratch() / f"seed-{seed}.events.jsonl"
    events.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    documents = json_lines(
        run(
            os.environ["PRESENCE_STACK"], "simulate", str(config), "--events", str(events), "--write-requests", "events"
        )
    )
    simulated = run(os.environ["PRESENCE_STACK"], "simulate", str(config), "--events", str(events))
    with mock_aws():
        db = boto3.client("dynamodb")
        db.create_table(
            TableName="events",
            AttributeDefinitions=events_table["AttributeDefinitions"],
            KeySchema=events_table["KeySchema"],
            BillingMode="PAY_PER_REQUEST",
        )
        for document in documents:
            assert 0 < len(document["events"]) <= 25
            assert not db.batch_write_item(RequestItems=document).get("UnprocessedItems")
        items, start = [], {}
        while True:
            page = db.scan(TableName="events", **start)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    written = [line for line in json_lines(simulated) if line.get("outcome") == "written"]
    keys = {(w["item"]["clientId"]["S"], w["item"]["eventKey"]["S"]) for w in written}
    assert len(items) == len(keys), "one item per distinct key"
    scan = json.dumps({"Items": items, "Count": len(items), "ScannedCount": len(items)}, indent=4)

    def answers(text):
        out = json_lines(run(os.environ["PRESENCE_STACK"], "status", str(config), "--items", "-", "--json", stdin=text))
        for answer in out:
            for volatile in ("forMs", "events"):
                answer.pop(volatile, None)
            answer.get("bestGuess", {}).pop("forMs", None)
        return out

    from_scan = answers(scan)
    assert from_scan == answers(simulated)
    rebuild = json_lines(
        run(os.environ["PRESENCE_STACK"], "status", str(config), "--items", "-", "--write-requests", "S", stdin=scan)
    )
    status_items = [r["PutRequest"]["Item"] for d in rebuild for r in d["S"]]
    from_status_table = answers(json.dumps({"Items": status_items, "Count": len(status_items)}))
    assert [(a["clientId"], a["state"], a.get("sessionIdentifier")) for a in from_status_table] == [
        (a["clientId"], a["state"], a.get("sessionIdentifier")) for a in from_scan
    ]
    print(f"seed {seed}: {len(payloads)} events, {len(items)} items seeded, {len(from_scan)} clients agree")
