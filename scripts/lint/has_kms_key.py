"""Exit 0 if the CloudFormation template declares an AWS::KMS::Key, 1 if not, other on error (for scripts/lint-templates).

Usage: has_kms_key.py TEMPLATE
"""

import sys

from cfnlint.decode import decode

template, matches = decode(sys.argv[1])
if template is None:
    sys.exit("cannot parse {}: {}".format(sys.argv[1], "; ".join(str(m) for m in matches)))
resources = template.get("Resources") or {}
found = any(isinstance(r, dict) and r.get("Type") == "AWS::KMS::Key" for r in resources.values())
sys.exit(0 if found else 1)
