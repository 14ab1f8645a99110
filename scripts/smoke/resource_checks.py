"""The checks of scripts/smoke/check_stack.py per resource type: each deployed resource read back through the
aws CLI against its template's properties. `CHECKS` maps a resource type to its check.
"""

import json
import re

from stack_reader import (
    DASHBOARD,
    FUNCTION,
    KEY,
    LOG_GROUP,
    MAPPING,
    QUEUE,
    ROLE,
    TABLE,
    UNMODELLED,
    Fail,
    as_list,
    aws,
    expect,
    norm_arn,
    normalise,
    policy_doc,
    short,
    tag_dict,
)


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
