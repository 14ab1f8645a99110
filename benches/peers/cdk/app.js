// The presence pipeline of presence-stack's examples/minimal.yaml, built with the AWS CDK (plain JS, no ts-node),
// for scripts/bench-synth. `-c pipelines=N` builds N copies (p0..pN-1), like the generated 100-pipeline config.
// Per pipeline: a DynamoDB table (clientId S / timestamp N, on demand, PITR, deletion protection, retained), an IAM
// role assumed by iot.amazonaws.com (same confused-deputy conditions) with an inline policy for PutItem on the
// table and for writing to the error log group, a log group with 30 days of retention (retained), and an L1
// topic rule with the DynamoDBv2 action, SQL version 2016-03-23 and the CloudWatch Logs error action.
'use strict';
const cdk = require('aws-cdk-lib');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const iam = require('aws-cdk-lib/aws-iam');
const iot = require('aws-cdk-lib/aws-iot');
const logs = require('aws-cdk-lib/aws-logs');

const app = new cdk.App();
const count = Number(app.node.tryGetContext('pipelines') ?? 1);
const stack = new cdk.Stack(app, 'PresenceStack', {
  synthesizer: new cdk.DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
});
const SQL =
  "SELECT * FROM '$aws/events/presence/#' WHERE eventType = 'connected' OR eventType = 'disconnected'";

function pascal(name) {
  return name
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

for (let i = 0; i < count; i++) {
  const id = pascal(count === 1 ? 'presence' : `p${i}`);
  const table = new dynamodb.Table(stack, `${id}Table`, {
    partitionKey: { name: 'clientId', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'timestamp', type: dynamodb.AttributeType.NUMBER },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
  const errorLog = new logs.LogGroup(stack, `${id}ErrorLog`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(stack, `${id}RuleRole`, {
    assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:iot:${stack.region}:${stack.account}:rule/*` },
      },
    }),
    inlinePolicies: {
      write: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn] }),
          new iam.PolicyStatement({
            actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
            resources: [errorLog.logGroupArn],
          }),
        ],
      }),
    },
  });
  new iot.CfnTopicRule(stack, `${id}Rule`, {
    topicRulePayload: {
      sql: SQL,
      awsIotSqlVersion: '2016-03-23',
      ruleDisabled: false,
      actions: [{ dynamoDBv2: { putItem: { tableName: table.tableName }, roleArn: role.roleArn } }],
      errorAction: { cloudwatchLogs: { logGroupName: errorLog.logGroupName, roleArn: role.roleArn } },
    },
  });
}

app.synth();
