"""The status function (templates/status_function.py) against moto's in-process DynamoDB, fed the stream records of
generated histories (tests/support/history.rs, through `cargo run --example status-history -- lines`), in many
shuffled orders with redeliveries and TTL removals. For every client, the final status item must be what
`presence-stack status --json` answers from the same items, and a Scan of the online index must list exactly the
connected clients.

Run by scripts/test-status-function, which builds the binaries and passes their paths:
PRESENCE_STACK, STATUS_HISTORY, and STATUS_TEST_DIR (a scratch folder under target/).
"""

import contextlib
import copy
import io
import json
import os
import pathlib
import random
import subprocess
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
    events = scratch() / f"{config.stem}-{seed}.events.jsonl"
    events.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    simulated = run(os.environ["PRESENCE_STACK"], "simulate", str(config), "--events", str(events))
    written = [line["item"] for line in json_lines(simulated) if line.get("outcome") == "written"]
    items = scratch() / f"{config.stem}-{seed}.items.jsonl"
    items.write_text(simulated)
    # Ask well after the last event, so that no answer is unknown for being near the time asked.
    at = max(p["timestamp"] for p in payloads) + 86_400_000
    answers = json_lines(
        run(os.environ["PRESENCE_STACK"], "status", str(config), "--items", str(items), "--json", "--at", str(at))
    )
    rebuild = json_lines(
        run(
            os.environ["PRESENCE_STACK"],
            "status",
            str(config),
            "--items",
            str(items),
            "--at",
            str(at),
            "--write-requests",
            TABLE,
        )
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
    )


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
            # The resolver waits for the new connection's connect; the table holds the latest known state.
            assert item["state"] == "disconnected" and item["disconnectReason"] == "DUPLICATE_CLIENTID", client
            assert (item["since"], item["sessionIdentifier"]) == (answer["since"], answer["sessionIdentifier"])
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
            while i < len(stream):
                size = rng.randint(1, 100)
                with contextlib.redirect_stdout(io.StringIO()):  # the function's log line per batch
                    got = handler.handler({"Records": stream[i : i + size]}, None)
                counts = {k: counts[k] + got[k] for k in counts}
                i += size
            assert counts["written"] + counts["stale"] + counts["ignored"] == len(stream)
            final = [plain(i) for i in scan(db)]
            online = [plain(i) for i in scan(db, IndexName=INDEX)]
            check(final, online, answers, clients, tally)
            if order == 0:
                # An unknown answer (takeover-pending: no versionNumber to order the next event by) is not rebuilt.
                known = {c for c, a in answers.items() if a["state"] != "unknown"}
                kept = sorted((i for i in final if i["clientId"] in known), key=lambda i: i["clientId"])
    # The rebuild path: `status --write-requests` documents, written into an empty table, give the same items.
    with mock_aws():
        db = boto3.client("dynamodb")
        create_table(db, table)
        for document in rebuild:
            assert len(document[TABLE]) <= 25
            assert not db.batch_write_item(RequestItems=document).get("UnprocessedItems")
        assert sorted((plain(i) for i in scan(db)), key=lambda i: i["clientId"]) == kept
    print(f"{layout} seed {seed}: {len(clients)} clients, {len(written)} items, {ORDERS} orders: {tally}")
