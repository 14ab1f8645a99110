"""Exit 0 if the template keeps its data under a customer-managed key, 1 if not, other on error.

For scripts/lint-templates: a table or log group encrypted with a KMS key of the stack is what the config's
`encryption: customer_managed` gives; without one (AWS-owned or AWS-managed keys) CKV_AWS_119 and CKV_AWS_158
cannot pass, and are the only checks skipped. The alarm topic's own key does not count: it encrypts no data.

Usage: has_kms_key.py TEMPLATE
"""

import sys

from cfnlint.decode import decode

template, matches = decode(sys.argv[1])
if template is None:
    sys.exit("cannot parse {}: {}".format(sys.argv[1], "; ".join(str(m) for m in matches)))
resources = template.get("Resources") or {}


def uses_key(resource: object) -> bool:
    if not isinstance(resource, dict):
        return False
    properties = resource.get("Properties") or {}
    if resource.get("Type") == "AWS::DynamoDB::Table":
        return "KMSMasterKeyId" in (properties.get("SSESpecification") or {})
    if resource.get("Type") == "AWS::Logs::LogGroup":
        return "KmsKeyId" in properties
    return False


sys.exit(0 if any(uses_key(r) for r in resources.values()) else 1)
