"""The presence pipeline of presence-stack's examples/minimal.yaml, built with troposphere, for scripts/bench-synth.

`python tropo.py [N]` prints the JSON template of N pipelines (p0..pN-1; default 1, named `presence`), each: a
DynamoDB table (clientId S / timestamp N, on demand, PITR, deletion protection, retained), an IAM role assumed by
iot.amazonaws.com (confused-deputy conditions) with an inline policy for PutItem on the table and for writing to
the error log group, a log group with 30 days of retention (retained), and a topic rule with the DynamoDBv2
action, SQL version 2016-03-23 and the CloudWatch Logs error action.

troposphere 4.11 has no CloudwatchLogs action class, so one is declared here as an AWSProperty.
"""

import sys

from troposphere import AWSProperty, GetAtt, Ref, Sub, Template
from troposphere.dynamodb import (
    AttributeDefinition,
    KeySchema,
    PointInTimeRecoverySpecification,
    Table,
)
from troposphere.iam import Policy, Role
from troposphere.iot import (
    Action,
    DynamoDBv2Action,
    PutItemInput,
    TopicRule,
    TopicRulePayload,
)
from troposphere.logs import LogGroup

SQL = "SELECT * FROM '$aws/events/presence/#' WHERE eventType = 'connected' OR eventType = 'disconnected'"


class CloudwatchLogsAction(AWSProperty):
    props = {"LogGroupName": (str, True), "RoleArn": (str, True), "BatchMode": (bool, False)}  # noqa: RUF012 - troposphere's API


class ActionWithLogs(Action):
    props = {**Action.props, "CloudwatchLogs": (CloudwatchLogsAction, False)}  # noqa: RUF012 - troposphere's API


def pascal(name):
    return "".join(w[:1].upper() + w[1:] for w in name.split("_"))


def pipeline(t, name):
    n = pascal(name)
    table = t.add_resource(
        Table(
            f"{n}Table",
            AttributeDefinitions=[
                AttributeDefinition(AttributeName="clientId", AttributeType="S"),
                AttributeDefinition(AttributeName="timestamp", AttributeType="N"),
            ],
            KeySchema=[
                KeySchema(AttributeName="clientId", KeyType="HASH"),
                KeySchema(AttributeName="timestamp", KeyType="RANGE"),
            ],
            BillingMode="PAY_PER_REQUEST",
            PointInTimeRecoverySpecification=PointInTimeRecoverySpecification(PointInTimeRecoveryEnabled=True),
            DeletionProtectionEnabled=True,
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    log = t.add_resource(
        LogGroup(
            f"{n}ErrorLog",
            RetentionInDays=30,
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    role = t.add_resource(
        Role(
            f"{n}RuleRole",
            AssumeRolePolicyDocument={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "iot.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")},
                            "ArnLike": {
                                "aws:SourceArn": Sub(
                                    "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:rule/*"
                                )
                            },
                        },
                    }
                ],
            },
            Policies=[
                Policy(
                    PolicyName="write",
                    PolicyDocument={
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "dynamodb:PutItem",
                                "Resource": GetAtt(table, "Arn"),
                            },
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:DescribeLogStreams",
                                    "logs:PutLogEvents",
                                ],
                                "Resource": GetAtt(log, "Arn"),
                            },
                        ],
                    },
                )
            ],
        )
    )
    t.add_resource(
        TopicRule(
            f"{n}Rule",
            TopicRulePayload=TopicRulePayload(
                Sql=SQL,
                AwsIotSqlVersion="2016-03-23",
                RuleDisabled=False,
                Actions=[
                    Action(
                        DynamoDBv2=DynamoDBv2Action(
                            PutItem=PutItemInput(TableName=Ref(table)),
                            RoleArn=GetAtt(role, "Arn"),
                        )
                    )
                ],
                ErrorAction=ActionWithLogs(
                    CloudwatchLogs=CloudwatchLogsAction(LogGroupName=Ref(log), RoleArn=GetAtt(role, "Arn"))
                ),
            ),
        )
    )


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    t = Template()
    for i in range(count):
        pipeline(t, "presence" if count == 1 else f"p{i}")
    print(t.to_json())


if __name__ == "__main__":
    main()
