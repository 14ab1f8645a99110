"""Validate SARIF logs against the SARIF 2.1.0 JSON Schema, and check what the schema cannot: each result names
a rule of its run by id and index, and is located in its file when it has a line.

Usage: validate_sarif.py SCHEMA LOG...
"""

import json
import sys

import jsonschema


def problems(log: dict) -> list[str]:
    found = []
    for run in log.get("runs", []):
        rules = run["tool"]["driver"].get("rules", [])
        for i, result in enumerate(run.get("results", [])):
            index = result.get("ruleIndex")
            if index is None or index >= len(rules) or rules[index]["id"] != result.get("ruleId"):
                found.append(f"results[{i}]: ruleId and ruleIndex name different rules")
            if not result.get("locations"):
                found.append(f"results[{i}]: no location")
    return found


def main() -> int:
    schema_path, *logs = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft4Validator(schema)
    valid = invalid = results = 0
    for path in logs:
        with open(path, encoding="utf-8") as f:
            try:
                log = json.load(f)
            except json.JSONDecodeError as e:
                print(f"{path}: not JSON: {e}", file=sys.stderr)
                invalid += 1
                continue
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
        errors += problems(log)
        if errors:
            invalid += 1
            for e in errors:
                print(f"{path}: {e}", file=sys.stderr)
        else:
            valid += 1
            results += sum(len(run.get("results", [])) for run in log["runs"])
    print(f"validate-sarif: {valid} logs valid ({results} results), {invalid} invalid")
    return 1 if invalid or not valid else 0


if __name__ == "__main__":
    sys.exit(main())
