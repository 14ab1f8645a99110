"""Proof outside Rust that a template's YAML form means exactly its JSON form.

Usage: yaml_equivalence.py JSON YAML [JSON YAML ...]
       yaml_equivalence.py --self-test

Each YAML file is read by three readers and each result must equal `json.load` of its JSON file, types
included (a str stays a str, an int an int, a bool a bool):

- awscli: `awscli.customizations.cloudformation.yamlhelper.yaml_parse`, what `aws cloudformation deploy`
  and `aws cloudformation package` parse a template with (PyYAML's pure-Python SafeLoader, YAML 1.1,
  short-form tags turned into the long forms).
- cfn-lint: `cfnlint.decode.cfn_yaml.loads` (PyYAML's libyaml-based CSafeLoader when PyYAML has it; it
  returns str/dict/list subclasses that carry positions, and long forms).
- PyYAML: `yaml.safe_load`'s loader plus a constructor for each CloudFormation short-form tag, mapping it
  to the long JSON form (`!GetAtt A.B` -> `{"Fn::GetAtt": ["A", "B"]}`, `!Ref X` -> `{"Ref": "X"}`). It
  also refuses a key that appears twice in one mapping (PyYAML alone keeps the last silently).

Only representation is normalized before comparing: cfn-lint's position-carrying str_node / dict_node /
list_node become str / dict / list, awscli's OrderedDict becomes dict. Nothing else: a date, a bool, an
int or None where the JSON has a str is a mismatch, and so is a reader that refuses the file.

Prints one line per file and reader, then `yaml-equivalence: N templates x 3 readers, N mismatches`.
Exit status: 0 when every reader of every file equals the JSON, 1 otherwise (with the first differing
path of each mismatch), 2 on a usage error or an unreadable JSON file.
"""

import collections
import json
import sys

import yaml

# The CloudFormation short forms and the long forms they stand for.
SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!GetAtt": "Fn::GetAtt",
    "!Sub": "Fn::Sub",
    "!If": "Fn::If",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!Equals": "Fn::Equals",
    "!Not": "Fn::Not",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!FindInMap": "Fn::FindInMap",
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!ImportValue": "Fn::ImportValue",
    "!GetAZs": "Fn::GetAZs",
}


class CloudFormationSafeLoader(yaml.SafeLoader):
    """yaml.safe_load's loader, plus the CloudFormation short forms and a refusal of duplicate keys."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping",
                            node.start_mark,
                            f"found the key {key!r} twice (first {seen[key]})",
                            key_node.start_mark,
                        )
                    seen[key] = key_node.start_mark
                except TypeError:
                    pass  # unhashable: the base class reports it
        return super().construct_mapping(node, deep=deep)


def _short_form(loader, node):
    long_form = SHORT_FORMS[node.tag]
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if long_form == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {long_form: value}


for _tag in SHORT_FORMS:
    CloudFormationSafeLoader.add_constructor(_tag, _short_form)


def read_pyyaml(text):
    return yaml.load(text, Loader=CloudFormationSafeLoader)


def read_awscli(text):
    from awscli.customizations.cloudformation.yamlhelper import yaml_parse

    return plain(yaml_parse(text), (collections.OrderedDict,))


def read_cfnlint(text, name):
    from cfnlint.decode import cfn_yaml
    from cfnlint.decode.node import dict_node, list_node, str_node

    return plain(cfn_yaml.loads(text, name), (dict_node, list_node, str_node))


READERS = ("awscli yaml_parse", "cfn-lint cfn_yaml", "PyYAML safe_load + short forms")


def plain(value, representations):
    """`value` with the given container and string subclasses turned into dict, list and str; every other
    type is left as it is, so that a misread value still shows as what it was read as."""
    if isinstance(value, representations) or type(value) in (dict, list):
        if isinstance(value, dict):
            return {plain(k, representations): plain(v, representations) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v, representations) for v in value]
        if isinstance(value, str):
            return str.__str__(value)
    return value


def show(value):
    text = repr(value) if not isinstance(value, (dict, list)) else json.dumps(value, default=repr)[:160]
    return f"{text} ({type(value).__name__})"


def step(path, key):
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and key and all(c.isalnum() or c in "_:" for c in key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False) if isinstance(key, str) else repr(key)}]"


def first_difference(want, got, path=""):
    """None when `got` equals `want` with the same types all the way down, else (path, description)."""
    where = path or "(the document)"
    if type(want) is not type(got):
        return where, f"JSON has {show(want)}, YAML read as {show(got)}"
    if isinstance(want, dict):
        for key, value in want.items():
            if key not in got:
                return step(path, key), "in the JSON, missing from the YAML"
            diff = first_difference(value, got[key], step(path, key))
            if diff:
                return diff
        for key in got:
            if key not in want:
                return step(path, key), f"in the YAML ({show(got[key])}), not in the JSON"
        return None
    if isinstance(want, list):
        for i, (w, g) in enumerate(zip(want, got)):
            diff = first_difference(w, g, step(path, i))
            if diff:
                return diff
        if len(want) != len(got):
            return where, f"JSON list has {len(want)} items, YAML list {len(got)}"
        return None
    if want != got:
        return where, f"JSON has {show(want)}, YAML read as {show(got)}"
    return None


def compare(json_path, yaml_path):
    """Yields (reader, None) for an equal read, (reader, why) for a mismatch."""
    with open(json_path, encoding="utf-8") as f:
        want = json.load(f)
    with open(yaml_path, encoding="utf-8") as f:
        text = f.read()
    yield from compare_text(want, text, yaml_path)


def compare_text(want, text, source):
    readers = (read_awscli, lambda t: read_cfnlint(t, source), read_pyyaml)
    for name, read in zip(READERS, readers):
        try:
            got = read(text)
        except Exception as e:  # noqa: BLE001 - a reader refusing the file is a mismatch to report
            detail = " ".join(str(e).split())
            matches = getattr(e, "matches", None)  # cfn-lint's CfnParseError carries its messages here
            if matches:
                detail = "; ".join(" ".join(str(m).split()) for m in matches)
            yield name, f"cannot read it: {type(e).__name__}: {detail[:600]}"
            continue
        diff = first_difference(want, got)
        yield name, None if diff is None else "first difference at {}: {}".format(*diff)


# The self-test: YAML a careless emitter would write, each line paired with what it was meant to say. Every reader
# must report every MISREAD line as a mismatch and read every FAITHFUL line as meant; otherwise the comparison
# above could pass vacuously (a reader that normalizes too much, a constructor that stringifies everything).
# Not listed because PyYAML reads them as strings although YAML 1.1 says otherwise: `y`/`n` (any case) and `1e3`
# (PyYAML's floats need a dot); nor U+2028 inside quotes, which PyYAML keeps. The emitter quotes them anyway.
MISREAD = [
    ("V: yes", "yes"),
    ("V: Off", "Off"),
    ("V: ~", "~"),
    ("V: Null", "Null"),
    ("V: 1_000", "1_000"),
    ("V: 017", "017"),
    ("V: 0x1F", "0x1F"),
    ("V: 0b101", "0b101"),
    ("V: 12:30:00", "12:30:00"),
    ("V: .inf", ".inf"),
    ("V: +1", "+1"),
    ("V: 2010-09-09", "2010-09-09"),
    ("V: 2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("V: =", "="),
    ("V: <<", "<<"),
    ("V:", ""),
    ("V:  leading", " leading"),
    ("V: 'a\n  b'", "a\nb"),
    ("V: !GetAtt A.B.C", {"Fn::GetAtt": ["A", "B", "C"]}),
    ("V: !Ref 1", {"Ref": 1}),
]
FAITHFUL = [
    ('V: "yes"', "yes"),
    ("V: '2010-09-09'", "2010-09-09"),
    ('V: "="', "="),
    ('V: ""', ""),
    ('V: "x\\Ly\\Nz\\uFEFF\\t"', "x\u2028y\u0085z\ufeff\t"),
    ("V: !GetAtt A.B.C", {"Fn::GetAtt": ["A", "B.C"]}),
    ("V: !Ref X", {"Ref": "X"}),
    ("V: !Sub 'arn:${AWS::Partition}:x'", {"Fn::Sub": "arn:${AWS::Partition}:x"}),
    ("V: !Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
    ("V: !If [C, !Ref A, !Ref AWS::NoValue]", {"Fn::If": ["C", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}),
    ("V: !Join ['', [a, !ImportValue b]]", {"Fn::Join": ["", ["a", {"Fn::ImportValue": "b"}]]}),
    ("V: !Condition C", {"Condition": "C"}),
    ("V: 30", 30),
    ("V: false", False),
]


def self_test():
    failures = 0
    for cases, should_match in ((MISREAD, False), (FAITHFUL, True)):
        for line, meant in cases:
            for reader, why in compare_text({"V": meant}, line + "\n", "<self-test>"):
                if (why is None) != should_match:
                    failures += 1
                    print(
                        f"yaml-equivalence: self-test: {reader}: {line!r}: {why or 'read as meant, but it is a misreading'}"
                    )
    print(
        f"yaml-equivalence: self-test: {len(MISREAD)} misreadings caught and {len(FAITHFUL)} faithful readings"
        f" accepted by each of {len(READERS)} readers, {failures} failures"
    )
    return 1 if failures else 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if not argv or len(argv) % 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    pairs = list(zip(argv[0::2], argv[1::2]))
    mismatches = 0
    for json_path, yaml_path in pairs:
        try:
            results = list(compare(json_path, yaml_path))
        except (OSError, ValueError) as e:
            print(f"yaml-equivalence: {json_path}: {e}", file=sys.stderr)
            return 2
        for reader, why in results:
            if why is None:
                print(f"yaml-equivalence: {yaml_path}: {reader}: equals the JSON")
            else:
                mismatches += 1
                print(f"yaml-equivalence: {yaml_path}: {reader}: MISMATCH: {why}")
    print(f"yaml-equivalence: {len(pairs)} templates x {len(READERS)} readers, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
