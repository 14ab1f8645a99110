"""The dashboard's online counting function, as the template embeds it, against moto's in-process DynamoDB: the
status table with its sparse `Online` index, the handler run as the minute's schedule runs it, and the Embedded
Metric Format line it prints (CloudWatch turns it into the metric ConnectedDevices)."""

import contextlib
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
CONFIG = REPO / "examples" / "status-table.yaml"
TABLE = "status"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch):
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)


def synth(config):
    done = subprocess.run(
        [os.environ["PRESENCE_STACK"], "synth", str(config)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)["Resources"]


class Paged:
    """A DynamoDB client whose Query returns at most a few items a page, as a large index does at 1 MB."""

    def __init__(self, client):
        self.client, self.pages = client, 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def query(self, **kwargs):
        self.pages += 1
        return self.client.query(Limit=7, **kwargs)


def test_the_count_of_the_online_index_is_published_as_a_metric():
    resources = synth(CONFIG)
    function = resources["PresenceOnlineCountFunction"]["Properties"]
    code = function["Code"]["ZipFile"]
    assert len(code) <= 4096, "Code.ZipFile takes at most 4,096 characters"
    variables = dict(function["Environment"]["Variables"])
    assert variables.pop("STATUS_TABLE") == {"Ref": "PresenceStatusTable"}
    table = resources["PresenceStatusTable"]["Properties"]
    # The schedule starts it every minute, and may.
    schedule = resources["PresenceOnlineCountSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["PresenceOnlineCountFunction", "Arn"]}
    permission = resources["PresenceOnlineCountPermission"]["Properties"]
    assert permission["SourceArn"] == {"Fn::GetAtt": ["PresenceOnlineCountSchedule", "Arn"]}
    rng = random.Random(19)
    with mock_aws():
        db = boto3.client("dynamodb")
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
        os.environ.update({**variables, "STATUS_TABLE": TABLE})
        module = types.ModuleType("online_count_function")
        exec(compile(code, "online_count_function", "exec"), module.__dict__)  # noqa: S102 (the code as deployed)
        module.db = Paged(module.db)
        for connected in (0, 1, 100):
            # The status function's items: connected ones carry `online`, the others do not.
            for i in range(connected + 37):
                item = {
                    "clientId": {"S": f"c{connected}-{i}"},
                    "state": {"S": "connected" if i < connected else "disconnected"},
                    "since": {"N": str(1765101600000 + rng.randrange(10**6))},
                    "sessionIdentifier": {"S": f"s{i}"},
                    "versionNumber": {"N": str(i)},
                }
                if i < connected:
                    item["online"] = {"S": "1"}
                db.put_item(TableName=TABLE, Item=item)
            online = connected if connected != 100 else 101  # the items of the earlier rounds stay
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert module.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None) == online
            (line,) = out.getvalue().splitlines()
            emf = json.loads(line)
            (directive,) = emf["_aws"]["CloudWatchMetrics"]
            assert directive == {
                "Namespace": "PresenceStack",
                "Dimensions": [["Pipeline"]],
                "Metrics": [{"Name": "ConnectedDevices", "Unit": "Count"}],
            }
            assert isinstance(emf["_aws"]["Timestamp"], int)
            assert emf["Pipeline"] == "presence" and emf["ConnectedDevices"] == online
        assert module.db.pages > 101 // 7, "the count follows LastEvaluatedKey"
