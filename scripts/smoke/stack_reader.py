"""Reading a deployed stack back for scripts/smoke/check_stack.py: the aws CLI calls (in process, or as aws
processes with DEPLOY_SMOKE_AWS_SUBPROCESS=1), the template, the stack's resources and their physical ids, and the
reporter that counts each check. Environment: SMOKE_AWS, SMOKE_ENDPOINT, SMOKE_COUNTS (see check_stack.py).
"""

import ast
import contextlib
import io
import json
import os
import re
import subprocess
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
