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

import collections
import json
import os
import sys

from resource_checks import CHECKS
from stack_reader import (
    KEY,
    LOG_GROUP,
    NOT_FOUND,
    QUEUE,
    ROLE,
    TABLE,
    UNMODELLED,
    Fail,
    Reporter,
    Stack,
    aws,
    aws_gone,
    expect,
    load_template,
    run_aws,
    short,
)


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
