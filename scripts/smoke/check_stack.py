"""Checks of deployed presence-stack stacks against their templates (run by scripts/deploy-smoke).

Usage:
  check_stack.py verify STACK TEMPLATE SNAPSHOT_OUT EXPECTED_STATUS [SNAPSHOT_BEFORE] [--same-as JSON]
  check_stack.py snapshot STACK TEMPLATE SNAPSHOT_OUT
  check_stack.py delete STACK TEMPLATE SNAPSHOT

The template (JSON, or YAML read with awscli's yaml_parse, as `aws cloudformation deploy` reads it) is
the expectation; the deployed stack is read back through the aws CLI. `--same-as JSON` first checks that
the YAML TEMPLATE reads as exactly that JSON template. Environment: SMOKE_AWS (the aws command),
SMOKE_ENDPOINT (moto's URL), SMOKE_COUNTS (a file each run appends "passed failed" to), the AWS_*
variables deploy-smoke sets, DEPLOY_SMOKE_AWS_SUBPROCESS=1 to run every call as an aws process.
"""

import ast
import collections
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.parse

AWS = os.environ["SMOKE_AWS"]
ENDPOINT = os.environ["SMOKE_ENDPOINT"]
COUNTS = os.environ["SMOKE_COUNTS"]

TABLE = "AWS::DynamoDB::Table"
ROLE = "AWS::IAM::Role"
LOG_GROUP = "AWS::Logs::LogGroup"
QUEUE = "AWS::SQS::Queue"
KEY = "AWS::KMS::Key"
RULE = "AWS::IoT::TopicRule"
FUNCTION = "AWS::Lambda::Function"
MAPPING = "AWS::Lambda::EventSourceMapping"
DASHBOARD = "AWS::CloudWatch::Dashboard"
# Resource types moto 5.2.5 has no CloudFormation model for: the stack completes without them
# ("No Moto CloudFormation support for ..." in its log) and lists none of them.
UNMODELLED = (
    RULE,
    "AWS::CloudWatch::Alarm",
    "AWS::Logs::MetricFilter",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
)
NOT_FOUND = ("NotFound", "NoSuchEntity", "NonExistentQueue", "QueueDoesNotExist", "does not exist")


class Fail(Exception):
    pass


def short(value, limit=400):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


_driver = None


def run_aws(args):
    """`aws ARGS --endpoint-url ENDPOINT --output json`. By default through awscli's own driver in
    this process (the same code as the aws command, without an interpreter start per call);
    DEPLOY_SMOKE_AWS_SUBPROCESS=1 runs the aws command instead."""
    global _driver
    argv = [*args, "--endpoint-url", ENDPOINT, "--output", "json"]
    if os.environ.get("DEPLOY_SMOKE_AWS_SUBPROCESS") == "1":
        try:
            p = subprocess.run([AWS, *argv], capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            raise Fail("aws {} timed out".format(" ".join(args[:2]))) from None
        return Result(p.returncode, p.stdout, p.stderr)
    if _driver is None:
        from awscli.clidriver import create_clidriver

        _driver = create_clidriver()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = _driver.main(argv)
        except SystemExit as e:  # argument errors exit
            rc = e.code if isinstance(e.code, int) else 2
    return Result(rc, out.getvalue(), err.getvalue())


def failed_call(args, proc):
    return "aws {} failed (exit {}): {}".format(
        " ".join(args[:2]), proc.returncode, short(" ".join(proc.stderr.split()))
    )


def aws(*args):
    proc = run_aws(args)
    if proc.returncode != 0:
        raise Fail(failed_call(args, proc))
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def aws_gone(*args):
    """True when the call fails with a not-found error, False when it succeeds."""
    proc = run_aws(args)
    if proc.returncode == 0:
        return False
    if any(marker in proc.stderr for marker in NOT_FOUND):
        return True
    raise Fail(failed_call(args, proc))


def policy_doc(value):
    """A policy document as moto returns it: an object, JSON text, URL-encoded JSON, or a Python repr."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise Fail(f"policy document is a {type(value).__name__}")
    for candidate in (value, urllib.parse.unquote(value)):
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    try:
        doc = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise Fail(f"cannot parse policy document: {short(value)}") from None
    if not isinstance(doc, dict):
        raise Fail(f"policy document is not an object: {short(value)}")
    return doc


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def tag_dict(tags, key="Key", value="Value"):
    return {t[key]: t[value] for t in tags or [] if not t[key].startswith("aws:")}


def expect(expected, got):
    if expected != got:
        raise Fail(f"expected {short(expected)}, got {short(got)}")


class Reporter:
    def __init__(self, stack):
        self.stack = stack
        self.passed = 0
        self.failed = 0

    def check(self, subject, what, fn):
        try:
            detail = fn()
        except Fail as e:
            self.failed += 1
            print(f"deploy-smoke: {self.stack}: {subject}: {what} FAILED: {e}", flush=True)
        except Exception as e:  # noqa: BLE001 - an unexpected answer is a failed check, not a crash
            self.failed += 1
            print(f"deploy-smoke: {self.stack}: {subject}: {what} FAILED: {type(e).__name__}: {e}", flush=True)
        else:
            self.passed += 1
            suffix = f" ({detail})" if detail else ""
            print(f"deploy-smoke: {self.stack}: {subject}: {what} ok{suffix}", flush=True)

    def note(self, subject, text):
        print(f"deploy-smoke: {self.stack}: {subject}: note: {text}", flush=True)

    def save(self):
        with open(COUNTS, "a", encoding="utf-8") as f:
            f.write(f"{self.passed} {self.failed}\n")


def load_template(path):
    """A template as the deploy command reads it: JSON with json.load, YAML with awscli's own reader (the
    yaml_parse of `aws cloudformation deploy`: YAML 1.1, short-form tags as the long forms)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith((".yaml", ".yml")):
        from awscli.customizations.cloudformation.yamlhelper import yaml_parse

        return yaml_parse(text)
    return json.loads(text)


class Stack:
    """The template, the deployed stack's physical resources, and a resolver of Ref / GetAtt / Sub."""

    def __init__(self, name, template_path):
        self.name = name
        self.template = load_template(template_path)
        self.resources = self.template.get("Resources") or {}
        self.stack_id = None
        self.status = None
        self.partition = self.region = self.account = None
        self.listed = {}  # logical ID -> (physical ID, type, status) as list-stack-resources shows it
        self.blank_entries = 0
        self.physical = {}  # logical ID -> physical ID used for the checks
        self.arns = {}  # logical ID -> ARN as GetAtt Arn resolves
        self.described = {}  # logical ID -> what the describe call returned
        self.errors = {}  # logical ID -> why it could not be described

    def of_type(self, rtype):
        return [lid for lid, r in self.resources.items() if r.get("Type") == rtype]

    def load_stack(self, stack_ref=None):
        stacks = aws("cloudformation", "describe-stacks", "--stack-name", stack_ref or self.name)["Stacks"]
        if len(stacks) != 1:
            raise Fail(f"describe-stacks returned {len(stacks)} stacks")
        s = stacks[0]
        self.stack_id = s["StackId"]
        self.status = s["StackStatus"]
        parts = self.stack_id.split(":")
        self.partition, self.region, self.account = parts[1], parts[3], parts[4]

    def load_resources(self, fallback=None):
        summaries = aws("cloudformation", "list-stack-resources", "--stack-name", self.name)["StackResourceSummaries"]
        for s in summaries:
            lid = s.get("LogicalResourceId") or ""
            if not lid:
                self.blank_entries += 1
                continue
            self.listed[lid] = (s.get("PhysicalResourceId"), s.get("ResourceType"), s.get("ResourceStatus"))
            self.physical[lid] = s.get("PhysicalResourceId")
        for lid, phys in (fallback or {}).items():
            self.physical.setdefault(lid, phys)

    def describe_all(self):
        for lid, res in self.resources.items():
            rtype = res.get("Type")
            phys = self.physical.get(lid)
            if rtype in UNMODELLED or phys is None:
                continue
            try:
                if rtype == TABLE:
                    t = aws("dynamodb", "describe-table", "--table-name", phys)["Table"]
                    self.described[lid] = t
                    self.arns[lid] = t["TableArn"]
                elif rtype == ROLE:
                    r = aws("iam", "get-role", "--role-name", phys)["Role"]
                    self.described[lid] = r
                    self.arns[lid] = r["Arn"]
                elif rtype == LOG_GROUP:
                    groups = aws("logs", "describe-log-groups", "--log-group-name-prefix", phys)["logGroups"]
                    found = [g for g in groups if g["logGroupName"] == phys]
                    if not found:
                        raise Fail(f"describe-log-groups does not show {phys}")
                    self.described[lid] = found[0]
                    self.arns[lid] = found[0].get("logGroupArn") or found[0]["arn"]
                elif rtype == QUEUE:
                    attrs = aws("sqs", "get-queue-attributes", "--queue-url", phys, "--attribute-names", "All")[
                        "Attributes"
                    ]
                    self.described[lid] = attrs
                    self.arns[lid] = attrs["QueueArn"]
                elif rtype == KEY:
                    meta = aws("kms", "describe-key", "--key-id", phys)["KeyMetadata"]
                    self.described[lid] = meta
                    self.arns[lid] = meta["Arn"]
                elif rtype == FUNCTION:
                    fn = aws("lambda", "get-function", "--function-name", phys)
                    self.described[lid] = fn
                    self.arns[lid] = fn["Configuration"]["FunctionArn"]
                elif rtype == MAPPING:
                    self.described[lid] = aws("lambda", "get-event-source-mapping", "--uuid", phys)
                elif rtype == DASHBOARD:
                    self.described[lid] = aws("cloudwatch", "get-dashboard", "--dashboard-name", phys)
            except Fail as e:
                self.errors[lid] = str(e)

    # -- resolving the template against what was deployed --
    def ref(self, name):
        pseudo = {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.name,
            "AWS::StackId": self.stack_id,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.physical:
            return self.physical[name]
        raise Fail(f"cannot resolve Ref {name}")

    def getatt(self, logical, attr):
        if attr == "Arn" and logical in self.arns:
            return self.arns[logical]
        if attr == "StreamArn" and "LatestStreamArn" in self.described.get(logical, {}):
            return self.described[logical]["LatestStreamArn"]
        raise Fail(f"cannot resolve GetAtt {logical}.{attr}")

    def sub(self, arg):
        text, variables = (
            (arg[0], {k: self.resolve(v) for k, v in arg[1].items()}) if isinstance(arg, list) else (arg, {})
        )

        def one(match):
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self.getatt(*name.split(".", 1)))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]*)\}", one, text)

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self.ref(arg)
                if key == "Fn::GetAtt":
                    logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                    return self.getatt(logical, attr)
                if key == "Fn::Sub":
                    return self.sub(arg)
                if key == "Fn::Join":
                    return arg[0].join(str(v) for v in self.resolve(arg[1]))
                if key == "Fn::Select":
                    return self.resolve(arg[1])[int(self.resolve(arg[0]))]
                if key == "Fn::Split":
                    return str(self.resolve(arg[1])).split(arg[0])
                if key.startswith("Fn::"):
                    raise Fail(f"cannot resolve {key}")
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def get_att_target(self, value):
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            arg = value["Fn::GetAtt"]
            return arg[0] if isinstance(arg, list) else arg.split(".", 1)[0]
        return None

    def ref_target(self, value):
        if isinstance(value, dict) and isinstance(value.get("Ref"), str):
            return value["Ref"]
        return None

    def rule_of_role(self, role_lid):
        """The topic rule (logical ID, properties) whose DynamoDBv2 action assumes this role."""
        for lid in self.of_type(RULE):
            props = self.resources[lid].get("Properties") or {}
            for action in (props.get("TopicRulePayload") or {}).get("Actions") or []:
                ddb = action.get("DynamoDBv2")
                if ddb and self.get_att_target(ddb.get("RoleArn")) == role_lid:
                    return lid, props, self.ref_target((ddb.get("PutItem") or {}).get("TableName"))
        return None, None, None

    def phys_label(self, lid):
        phys = self.physical.get(lid) or lid
        return phys.rsplit("/", 1)[-1]


def norm_arn(value):
    """A log group's ARN with and without the `:*` that real CloudFormation's GetAtt Arn appends."""
    if isinstance(value, str) and ":log-group:" in value and value.endswith(":*"):
        return value[:-2]
    return value


def normalise(value):
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return norm_arn(value)


# --- per resource type --------------------------------------------------------------------
def check_table(rep, st, lid):
    props = st.resources[lid].get("Properties") or {}
    subject = f"table {st.physical.get(lid, lid)}"

    def described():
        if lid in st.errors:
            raise Fail(st.errors[lid])
        if lid not in st.described:
            raise Fail("not deployed (no physical resource)")
        return st.described[lid]

    def exists():
        t = described()
        expect("ACTIVE", t.get("TableStatus"))
        if "TableName" in props:
            expect(props["TableName"], t["TableName"])
            return "named {} as in the template".format(t["TableName"])
        return None

    def key_schema():
        expect(st.resolve(props["KeySchema"]), described()["KeySchema"])
        return ", ".join("{} {}".format(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"])

    def attributes():
        key = lambda a: a["AttributeName"]
        expect(sorted(props["AttributeDefinitions"], key=key), sorted(described()["AttributeDefinitions"], key=key))

    def billing():
        t = described()
        mode = props.get("BillingMode", "PROVISIONED")
        shown = (t.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        expect(mode, shown)
        if mode == "PROVISIONED":
            want = props["ProvisionedThroughput"]
            got = t.get("ProvisionedThroughput") or {}
            expect(
                (int(want["ReadCapacityUnits"]), int(want["WriteCapacityUnits"])),
                (got.get("ReadCapacityUnits"), got.get("WriteCapacityUnits")),
            )
            return "{}, {} read / {} write".format(mode, want["ReadCapacityUnits"], want["WriteCapacityUnits"])
        return mode

    def deletion_protection():
        expect(
            bool(props.get("DeletionProtectionEnabled", False)),
            bool(described().get("DeletionProtectionEnabled", False)),
        )
        return "enabled" if props.get("DeletionProtectionEnabled") else "disabled"

    def indexes():
        want = [
            {k: st.resolve(i[k]) for k in ("IndexName", "KeySchema", "Projection")}
            for i in props["GlobalSecondaryIndexes"]
        ]
        got = [
            {k: i.get(k) for k in ("IndexName", "KeySchema", "Projection")}
            for i in described()["GlobalSecondaryIndexes"]
        ]
        expect(want, got)
        return ", ".join(i["IndexName"] for i in want)

    def stream():
        t = described()
        expect(
            props["StreamSpecification"], {"StreamViewType": (t.get("StreamSpecification") or {}).get("StreamViewType")}
        )
        expect(True, (t.get("StreamSpecification") or {}).get("StreamEnabled"))
        if not t.get("LatestStreamArn"):
            raise Fail("no LatestStreamArn")
        return "{} on {}".format(props["StreamSpecification"]["StreamViewType"], t["LatestStreamArn"])

    rep.check(subject, "exists", exists)
    rep.check(subject, "key schema", key_schema)
    if "GlobalSecondaryIndexes" in props:
        rep.check(subject, "global secondary indexes", indexes)
    if "StreamSpecification" in props:
        rep.check(subject, "stream", stream)
    rep.check(subject, "attribute definitions", attributes)
    rep.check(subject, "billing mode", billing)
    rep.check(subject, "deletion protection", deletion_protection)
    # Not checked, moto ignores them in AWS::DynamoDB::Table: TimeToLiveSpecification
    # (describe-time-to-live says DISABLED), PointInTimeRecoverySpecification (PITR DISABLED),
    # SSESpecification (no SSEDescription).
    if props.get("Tags"):

        def tags():
            got = aws("dynamodb", "list-tags-of-resource", "--resource-arn", described()["TableArn"]).get("Tags")
            expect(tag_dict(props["Tags"]), tag_dict(got))

        rep.check(subject, "tags", tags)


def lambda_role(props):
    principals = [(s.get("Principal") or {}).get("Service") for s in props["AssumeRolePolicyDocument"]["Statement"]]
    return principals == ["lambda.amazonaws.com"]


def check_role(rep, st, lid):
    props = st.resources[lid].get("Properties") or {}
    if lambda_role(props):
        return check_function_role(rep, st, lid)
    subject = f"role {st.physical.get(lid, lid)}"
    rule_lid, rule_props, table_lid = st.rule_of_role(lid)

    def described():
        if lid in st.errors:
            raise Fail(st.errors[lid])
        if lid not in st.described:
            raise Fail("not deployed (no physical resource)")
        return st.described[lid]

    def trust():
        doc = policy_doc(described()["AssumeRolePolicyDocument"])
        if rule_lid is None:
            raise Fail("no topic rule in the template assumes this role")
        rule_name = rule_props.get("RuleName")
        source_arn = "arn:{}:iot:{}:{}:rule/{}".format(st.partition, st.region, st.account, rule_name or "*")
        statements = as_list(doc.get("Statement"))
        if not statements:
            raise Fail("no statement")
        for s in statements:
            expect("Allow", s.get("Effect"))
            expect(["iot.amazonaws.com"], as_list((s.get("Principal") or {}).get("Service")))
            if set((s.get("Principal") or {}).keys()) != {"Service"}:
                raise Fail("principal is not only a service: {}".format(short(s.get("Principal"))))
            expect(["sts:AssumeRole"], as_list(s.get("Action")))
            cond = s.get("Condition") or {}
            expect({"aws:SourceAccount": st.account}, cond.get("StringEquals"))
            expect({"aws:SourceArn": source_arn}, cond.get("ArnLike"))
        template_doc = st.resolve(props["AssumeRolePolicyDocument"])
        expect(template_doc, doc)
        return f"iot.amazonaws.com, aws:SourceAccount {st.account}, aws:SourceArn {source_arn}"

    rep.check(subject, "trust policy", trust)

    template_policies = {p["PolicyName"]: p["PolicyDocument"] for p in props.get("Policies") or []}
    deployed = {}

    def policy_names():
        described()
        names = aws("iam", "list-role-policies", "--role-name", st.physical[lid])["PolicyNames"]
        expect(sorted(template_policies), sorted(names))
        for name in names:
            got = aws("iam", "get-role-policy", "--role-name", st.physical[lid], "--policy-name", name)
            deployed[name] = policy_doc(got["PolicyDocument"])
        return ", ".join(sorted(names))

    rep.check(subject, "inline policies", policy_names)
    for name in sorted(deployed):

        def matches(name=name):
            expect(normalise(st.resolve(template_policies[name])), normalise(deployed[name]))

        rep.check(subject, f"policy {name} equals the template's (resolved)", matches)

    def put_item_only():
        if not deployed:
            raise Fail("no inline policy to check")
        if table_lid is None or table_lid not in st.arns:
            raise Fail("the rule assuming this role writes to no table of this stack")
        table_arn = st.arns[table_lid]
        ddb_statements = []
        for doc in deployed.values():
            for s in as_list(doc.get("Statement")):
                if "NotAction" in s or "NotResource" in s:
                    raise Fail(f"statement with NotAction/NotResource: {short(s)}")
                if s.get("Effect") != "Allow":
                    raise Fail(f"statement is not Allow: {short(s)}")
                actions = [a.lower() for a in as_list(s.get("Action"))]
                if any(a == "*" or a.startswith("dynamodb:") for a in actions):
                    ddb_statements.append(s)
        if len(ddb_statements) != 1:
            raise Fail(f"expected one statement with DynamoDB actions, found {len(ddb_statements)}")
        s = ddb_statements[0]
        expect(["dynamodb:PutItem"], as_list(s.get("Action")))
        expect([table_arn], as_list(s.get("Resource")))
        if s.get("Condition"):
            raise Fail("PutItem statement has a condition: {}".format(short(s["Condition"])))
        return f"on {table_arn}"

    rep.check(subject, "dynamodb:PutItem on its table only", put_item_only)

    def no_wildcards():
        if not deployed:
            raise Fail("no inline policy to check")
        own = {norm_arn(a) for a in st.arns.values()}
        patterns = set()
        for doc in deployed.values():
            for s in as_list(doc.get("Statement")):
                for a in as_list(s.get("Action")):
                    if a == "*" or a.endswith(":*"):
                        raise Fail(f"wildcard action {a}")
                    if "*" in a:
                        patterns.add(a)
                for r in as_list(s.get("Resource")):
                    if norm_arn(r) not in own:
                        raise Fail(f"resource {r} is not one of this stack's resources")
        return "action patterns: {}".format(", ".join(sorted(patterns))) if patterns else None

    rep.check(subject, "no wildcard resource or action, only this stack's resources", no_wildcards)

    if props.get("Tags"):

        def tags():
            got = aws("iam", "list-role-tags", "--role-name", st.physical[lid]).get("Tags")
            expect(tag_dict(props["Tags"]), tag_dict(got))

        rep.check(subject, "tags", tags)


def check_log_group(rep, st, lid):
    props = st.resources[lid].get("Properties") or {}
    subject = f"log group {st.physical.get(lid, lid)}"

    def described():
        if lid in st.errors:
            raise Fail(st.errors[lid])
        if lid not in st.described:
            raise Fail("not deployed (no physical resource)")
        return st.described[lid]

    def retention():
        expect(props.get("RetentionInDays"), described().get("retentionInDays"))
        return "{} days".format(props.get("RetentionInDays")) if "RetentionInDays" in props else "never expires"

    rep.check(subject, "exists", lambda: described() and None)
    rep.check(subject, "retention", retention)
    # Not checked: KmsKeyId (moto's CloudFormation model drops it).
    if props.get("Tags"):

        def tags():
            got = aws("logs", "list-tags-log-group", "--log-group-name", st.physical[lid]).get("tags") or {}
            expect(tag_dict(props["Tags"]), {k: v for k, v in got.items() if not k.startswith("aws:")})

        rep.check(subject, "tags", tags)


def check_queue(rep, st, lid):
    props = st.resources[lid].get("Properties") or {}
    subject = f"queue {st.phys_label(lid)}"

    def described():
        if lid in st.errors:
            raise Fail(st.errors[lid])
        if lid not in st.described:
            raise Fail("not deployed (no physical resource)")
        return st.described[lid]

    def retention():
        expect(str(props.get("MessageRetentionPeriod", 345600)), described().get("MessageRetentionPeriod"))
        return "{} s".format(described().get("MessageRetentionPeriod"))

    rep.check(subject, "exists", lambda: described() and None)
    rep.check(subject, "message retention", retention)
    if "KmsMasterKeyId" in props:

        def kms():
            expect(st.resolve(props["KmsMasterKeyId"]), described().get("KmsMasterKeyId"))
            return described().get("KmsMasterKeyId")

        rep.check(subject, "KMS key", kms)
    # Not checked: SqsManagedSseEnabled (moto reports "true" even next to a KMS key).
    if props.get("Tags"):

        def tags():
            got = aws("sqs", "list-queue-tags", "--queue-url", st.physical[lid]).get("Tags") or {}
            expect(tag_dict(props["Tags"]), got)

        rep.check(subject, "tags", tags)


def check_key(rep, st, lid):
    props = st.resources[lid].get("Properties") or {}
    subject = f"KMS key {st.physical.get(lid, lid)}"

    def described():
        if lid in st.errors:
            raise Fail(st.errors[lid])
        if lid not in st.described:
            raise Fail("not deployed (no physical resource)")
        return st.described[lid]

    def enabled():
        meta = described()
        expect(
            ("Enabled", props.get("KeySpec", "SYMMETRIC_DEFAULT"), props.get("KeyUsage", "ENCRYPT_DECRYPT")),
            (meta.get("KeyState"), meta.get("KeySpec"), meta.get("KeyUsage")),
        )
        return "{}, {}".format(meta.get("KeySpec"), meta.get("KeyUsage"))

    def rotation():
        got = aws("kms", "get-key-rotation-status", "--key-id", st.physical[lid])["KeyRotationEnabled"]
        expect(bool(props.get("EnableKeyRotation", False)), got)
        return "enabled" if got else "disabled"

    def key_policy():
        got = aws("kms", "get-key-policy", "--key-id", st.physical[lid], "--policy-name", "default")["Policy"]
        expect(st.resolve(props["KeyPolicy"]), policy_doc(got))

    rep.check(subject, "enabled", enabled)
    rep.check(subject, "rotation", rotation)
    rep.check(subject, "key policy equals the template's (resolved)", key_policy)
    if props.get("Tags"):

        def tags():
            got = aws("kms", "list-resource-tags", "--key-id", st.physical[lid]).get("Tags")
            expect(tag_dict(props["Tags"]), tag_dict(got, "TagKey", "TagValue"))

        rep.check(subject, "tags", tags)


def check_function_role(rep, st, lid):
    """A function's role: trusted by Lambda, UpdateItem on the one table it writes (the status table for the status
    and notification functions, the count table for the counting function, which also reads the windows next to an
    event's there with GetItem) and the stream-read actions on the one stream it reads only, its own queues and log
    group; the dashboard's online counting function, which no stream starts, Query on the status table's index
    only. The policy as a document (moto evaluates no IAM)."""
    props = st.resources[lid]["Properties"]
    subject = f"role {st.physical.get(lid, lid)}"
    fn = next(f for f in st.of_type(FUNCTION) if st.resources[f]["Properties"]["Role"]["Fn::GetAtt"][0] == lid)
    variables = st.resources[fn]["Properties"]["Environment"]["Variables"]
    status_lid = (variables.get("COUNT_TABLE") or variables["STATUS_TABLE"])["Ref"]
    mapping = next(
        (
            m
            for m in st.of_type(MAPPING)
            if st.resources[m]["Properties"]["FunctionName"] == {"Ref": fn}
            and st.resources[m]["Properties"]["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
        ),
        None,
    )
    stream = mapping and st.resolve(st.resources[mapping]["Properties"]["EventSourceArn"])
    deployed = {}

    def trust():
        got = policy_doc(aws("iam", "get-role", "--role-name", st.physical[lid])["Role"]["AssumeRolePolicyDocument"])
        expect(st.resolve(props["AssumeRolePolicyDocument"]), got)
        return "lambda.amazonaws.com"

    def policies():
        for name in aws("iam", "list-role-policies", "--role-name", st.physical[lid])["PolicyNames"]:
            got = aws("iam", "get-role-policy", "--role-name", st.physical[lid], "--policy-name", name)
            deployed[name] = policy_doc(got["PolicyDocument"])
        want = {p["PolicyName"]: normalise(st.resolve(p["PolicyDocument"])) for p in props["Policies"]}
        expect(want, {k: normalise(v) for k, v in deployed.items()})
        return ", ".join(sorted(deployed))

    def dynamodb_scoped():
        grants = {}
        for doc in deployed.values():
            for s in as_list(doc.get("Statement")):
                for a in as_list(s.get("Action")):
                    if a.startswith("dynamodb:") or a == "*":
                        grants.setdefault(a, set()).update(as_list(s.get("Resource")))
        if mapping is None:
            index = "{}/index/{}".format(st.arns[status_lid], variables["INDEX_NAME"])
            expect({"dynamodb:Query": {index}}, grants)
            return f"Query on {index}"
        read = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
        want = {"dynamodb:UpdateItem": {st.arns[status_lid]}, **{a: {stream} for a in read}}
        if "COUNT_TABLE" in variables:
            want["dynamodb:GetItem"] = {st.arns[status_lid]}
        expect(want, grants)
        return "{} on {}; stream reads on {}".format(
            " and ".join(sorted(a for a in want if a not in read)), st.arns[status_lid], stream
        )

    rep.check(subject, "trust policy", trust)
    rep.check(subject, "inline policy equals the template's (resolved)", policies)
    rep.check(
        subject,
        "DynamoDB: UpdateItem on its table (and GetItem, the counting function), reads on its stream (or Query on "
        "the index), nothing else",
        dynamodb_scoped,
    )


def check_function(rep, st, lid):
    props = st.resources[lid]["Properties"]
    subject = f"function {st.physical.get(lid, lid)}"

    def configuration():
        if lid in st.errors:
            raise Fail(st.errors[lid])
        c = st.described[lid]["Configuration"]
        expect(
            (props["Runtime"], props["Handler"], st.resolve(props["Role"]), props["Timeout"], props["MemorySize"]),
            (c.get("Runtime"), c.get("Handler"), c.get("Role"), c.get("Timeout"), c.get("MemorySize")),
        )
        return "{} {}".format(c.get("Runtime"), c.get("Handler"))

    def environment():
        got = st.described[lid]["Configuration"].get("Environment", {}).get("Variables")
        expect(st.resolve(props["Environment"]["Variables"]), got)
        return ", ".join(f"{k}={v}" for k, v in sorted(got.items()) if k.endswith("_FIELD"))

    def concurrency():
        got = st.described[lid].get("Concurrency", {}).get("ReservedConcurrentExecutions")
        expect(props.get("ReservedConcurrentExecutions"), got)
        return str(got) if got is not None else "none reserved"

    rep.check(subject, "runtime, handler, role, timeout, memory", configuration)
    rep.check(subject, "environment (where the rule puts each field)", environment)
    rep.check(subject, "reserved concurrency", concurrency)


def check_mapping(rep, st, lid):
    props = st.resources[lid]["Properties"]
    subject = f"event source mapping {st.physical.get(lid, lid)}"

    def source_and_target():
        if lid in st.errors:
            raise Fail(st.errors[lid])
        m = st.described[lid]
        fn = st.ref_target(props["FunctionName"])
        expect((st.resolve(props["EventSourceArn"]), st.arns[fn]), (m.get("EventSourceArn"), m.get("FunctionArn")))
        return "{} -> {}".format(m["EventSourceArn"], m["FunctionArn"])

    def settings():
        m = st.described[lid]
        keys = (
            "StartingPosition",
            "BatchSize",
            "BisectBatchOnFunctionError",
            "MaximumRetryAttempts",
            "MaximumRecordAgeInSeconds",
            "DestinationConfig",
        )
        keys = [k for k in keys if k in props]  # a queue's mapping has no starting position, retries or destination
        expect({k: st.resolve(props[k]) for k in keys}, {k: m.get(k) for k in keys})
        return ", ".join(f"{k} {props[k]}" for k in keys[:5])

    rep.check(subject, "its stream or queue into its function", source_and_target)
    rep.check(subject, "starting position, batch size, bisection, retries, record age, failure destination", settings)


def check_dashboard(rep, st, lid):
    subject = f"dashboard {st.physical.get(lid, lid)}"

    def body():
        if lid in st.errors:
            raise Fail(st.errors[lid])
        text = st.described[lid]["DashboardBody"]
        # moto leaves the names of what it does not model (the topic rule) unsubstituted: nothing else may be.
        left = set(re.findall(r"\$\{([^}.]+)[^}]*\}", text))
        wrong = sorted(v for v in left if st.resources.get(v, {}).get("Type") not in UNMODELLED)
        if wrong:
            raise Fail(f"substitutions left in the body: {wrong}")
        widgets = json.loads(re.sub(r"\$\{[^}]*\}", "unmodelled", text))["widgets"]
        return f"{len(widgets)} widgets, valid JSON after substitution (moto left {sorted(left)})"

    def names():
        # Every function, queue and log group the widgets name is one of this stack's, as deployed.
        widgets = json.loads(st.described[lid]["DashboardBody"])["widgets"]
        deployed = {t: set() for t in (FUNCTION, QUEUE, LOG_GROUP)}
        for other, res in st.resources.items():
            if res.get("Type") in deployed and other in st.physical:
                phys = st.physical[other]
                deployed[res["Type"]].add(phys.rsplit("/", 1)[-1] if res["Type"] == QUEUE else phys)
        named = {t: set() for t in deployed}
        for w in widgets:
            props = w["properties"]
            if w["type"] == "log":
                named[LOG_GROUP].update(re.findall(r"SOURCE '([^']+)'", props["query"]))
            for line in props.get("metrics", []):
                parts = [p for p in line if isinstance(p, str)]
                for dim, kind in (("FunctionName", FUNCTION), ("QueueName", QUEUE)):
                    if dim in parts:
                        named[kind].add(parts[parts.index(dim) + 1])
        for kind, found in named.items():
            if not found <= deployed[kind]:
                raise Fail(f"names no {kind} of the stack: {sorted(found - deployed[kind])}")
        return ", ".join(f"{len(v)} {k.split('::')[-1]}" for k, v in named.items())

    rep.check(subject, "body is JSON once CloudFormation substituted it", body)
    rep.check(subject, "the functions, queues and log groups it shows are the stack's", names)


CHECKS = {
    TABLE: check_table,
    ROLE: check_role,
    LOG_GROUP: check_log_group,
    QUEUE: check_queue,
    KEY: check_key,
    FUNCTION: check_function,
    MAPPING: check_mapping,
    DASHBOARD: check_dashboard,
}


def snapshot_of(st):
    tables = {}
    for lid in st.of_type(TABLE):
        if lid in st.described:
            t = st.described[lid]
            tables[lid] = {"name": t["TableName"], "created": t.get("CreationDateTime"), "arn": t["TableArn"]}
    return {
        "stack_id": st.stack_id,
        "physical": st.physical,
        "types": {lid: r.get("Type") for lid, r in st.resources.items()},
        "deletion_policy": {lid: r.get("DeletionPolicy", "Delete") for lid, r in st.resources.items()},
        "tables": tables,
        "all_tables": sorted(aws("dynamodb", "list-tables").get("TableNames", [])),
    }


def cmd_verify(stack, template, snap_out, expect_status, before_path, same_as=None):
    rep = Reporter(stack)
    if same_as:

        def same_template():
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
            from yaml_equivalence import first_difference, plain

            with open(same_as, encoding="utf-8") as f:
                want = json.load(f)
            diff = first_difference(want, plain(load_template(template), (collections.OrderedDict,)))
            if diff:
                raise Fail("first difference at {}: {}".format(*diff))
            return f"awscli reads {os.path.basename(template)} as {os.path.basename(same_as)}"

        rep.check("template", "the YAML form means the JSON form", same_template)
    st = Stack(stack, template)
    before = None
    if before_path:
        with open(before_path, encoding="utf-8") as f:
            before = json.load(f)

    def status():
        st.load_stack()
        expect(expect_status, st.status)

    rep.check("stack", f"status {expect_status}", status)
    if st.stack_id is None:
        rep.save()
        return

    def resources():
        st.load_resources(fallback=(before or {}).get("physical"))
        missing, wrong = [], []
        for lid, res in st.resources.items():
            if res.get("Type") in UNMODELLED:
                continue
            if lid not in st.listed:
                if before and lid in before.get("physical", {}):
                    rep.note(
                        "stack",
                        f"{lid} ({res.get('Type')}) is no longer listed under its logical ID after the update"
                        " (moto has no update handler for it); checked under its name from before",
                    )
                    continue
                missing.append(lid)
            elif st.listed[lid][1] != res.get("Type"):
                wrong.append("{} is {}, not {}".format(lid, st.listed[lid][1], res.get("Type")))
        if missing or wrong:
            raise Fail("; ".join((["not listed: " + ", ".join(missing)] if missing else []) + wrong))
        unmodelled = [lid for t in UNMODELLED for lid in st.of_type(t)]
        listed = [lid for lid in unmodelled if lid in st.listed]
        if listed:
            rep.note("stack", "moto now lists {}: check them here".format(", ".join(listed)))
        others = len(st.resources) - len(unmodelled)
        return (
            f"{others} listed with their types; {len(unmodelled)} of types moto does not model"
            f" ({st.blank_entries} blank entries)"
        )

    rep.check("stack", "resources", resources)
    st.describe_all()

    if before:
        after_tables = None
        for lid, old in sorted(before.get("tables", {}).items()):

            def not_replaced(lid=lid, old=old):
                t = aws("dynamodb", "describe-table", "--table-name", old["name"])["Table"]
                expect(
                    (old["name"], old["created"], old["arn"]),
                    (t["TableName"], t.get("CreationDateTime"), t["TableArn"]),
                )
                if st.physical.get(lid) != old["name"]:
                    raise Fail(f"stack now names {st.physical.get(lid)} for {lid}")
                return "same name and creation time {}".format(old["created"])

            rep.check("table {}".format(old["name"]), "not replaced by the update", not_replaced)

        def no_new_table():
            nonlocal after_tables
            after_tables = sorted(aws("dynamodb", "list-tables").get("TableNames", []))
            expect(before["all_tables"], after_tables)
            return f"{len(after_tables)} tables before and after"

        rep.check("stack", "update created no table", no_new_table)

    for lid, res in st.resources.items():
        fn = CHECKS.get(res.get("Type"))
        if fn:
            fn(rep, st, lid)
    if snap_out:
        with open(snap_out, "w", encoding="utf-8") as f:
            json.dump(snapshot_of(st), f, indent=1)
    rep.save()


def cmd_snapshot(stack, template, snap_out):
    st = Stack(stack, template)
    st.load_stack()
    st.load_resources()
    st.describe_all()
    with open(snap_out, "w", encoding="utf-8") as f:
        json.dump(snapshot_of(st), f, indent=1)


def exists_probe(rtype, phys):
    """True if the resource is still there, False if gone."""
    if rtype == TABLE:
        return not aws_gone("dynamodb", "describe-table", "--table-name", phys)
    if rtype == ROLE:
        return not aws_gone("iam", "get-role", "--role-name", phys)
    if rtype == LOG_GROUP:
        groups = aws("logs", "describe-log-groups", "--log-group-name-prefix", phys)["logGroups"]
        return any(g["logGroupName"] == phys for g in groups)
    if rtype == QUEUE:
        return not aws_gone("sqs", "get-queue-attributes", "--queue-url", phys, "--attribute-names", "QueueArn")
    if rtype == KEY:
        proc = run_aws(["kms", "describe-key", "--key-id", phys])
        if proc.returncode != 0:
            if any(m in proc.stderr for m in NOT_FOUND):
                return False
            raise Fail("describe-key failed: {}".format(short(" ".join(proc.stderr.split()))))
        return json.loads(proc.stdout)["KeyMetadata"]["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion")
    raise Fail(f"no probe for {rtype}")


def cmd_delete(stack, template, snap_in):
    rep = Reporter(stack)
    with open(snap_in, encoding="utf-8") as f:
        snap = json.load(f)

    def delete():
        aws("cloudformation", "delete-stack", "--stack-name", stack)
        aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", snap["stack_id"])
        s = aws("cloudformation", "describe-stacks", "--stack-name", snap["stack_id"])["Stacks"][0]
        expect("DELETE_COMPLETE", s["StackStatus"])

    rep.check("stack", "deleted (DELETE_COMPLETE)", delete)
    labels = {TABLE: "table", ROLE: "role", LOG_GROUP: "log group", QUEUE: "queue", KEY: "KMS key"}
    for lid, rtype in sorted(snap["types"].items()):
        if rtype not in labels or lid not in snap["physical"]:
            continue
        phys = snap["physical"][lid]
        policy = snap["deletion_policy"].get(lid, "Delete")
        retain = policy == "Retain"

        def probe(rtype=rtype, phys=phys, retain=retain):
            there = exists_probe(rtype, phys)
            if there != retain:
                raise Fail("%s after the stack was deleted" % ("still there" if there else "gone"))

        what = (
            "kept after stack deletion (DeletionPolicy Retain)"
            if retain
            else f"deleted with the stack (DeletionPolicy {policy})"
        )
        rep.check("{} {}".format(labels[rtype], phys.rsplit("/", 1)[-1]), what, probe)
    rep.save()


def main(argv):
    cmd = argv[0]
    if cmd == "verify":
        same_as = None
        if "--same-as" in argv:  # verify ... --same-as JSON: the YAML template must read as that JSON
            i = argv.index("--same-as")
            same_as = argv[i + 1]
            argv = argv[:i] + argv[i + 2 :]
        stack, template, snap_out, expect_status = argv[1:5]
        before = argv[5] if len(argv) > 5 and argv[5] else None
        cmd_verify(stack, template, snap_out, expect_status, before, same_as)
    elif cmd == "snapshot":
        cmd_snapshot(*argv[1:4])
    elif cmd == "delete":
        cmd_delete(*argv[1:4])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
