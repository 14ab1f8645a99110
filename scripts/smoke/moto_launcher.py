"""moto_server with two moto 5.2.5 bugs in AWS::KMS::Key worked around (run by scripts/deploy-smoke).

Usage: moto_launcher.py [moto_server arguments, e.g. -H 127.0.0.1 -p PORT]

An AWS::KMS::Key's Tags (Key/Value, as CloudFormation defines them) crash moto's tagger, which expects
TagKey/TagValue, and its KeyPolicy is stored as an object where describe-key expects JSON text. Both are
converted before moto's own CloudFormation handler runs; the template itself is not changed. Then
moto_server's main() runs in this process.
"""

import json
import sys

from moto.kms import models as kms_models

_create = kms_models.Key.create_from_cloudformation_json.__func__


def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = dict(cloudformation_json.get("Properties") or {})
    tags = props.get("Tags")
    if isinstance(tags, list) and all(isinstance(t, dict) and "Key" in t for t in tags):
        props["Tags"] = [{"TagKey": t["Key"], "TagValue": t.get("Value", "")} for t in tags]
    if isinstance(props.get("KeyPolicy"), dict):
        props["KeyPolicy"] = json.dumps(props["KeyPolicy"])
    cloudformation_json = dict(cloudformation_json, Properties=props)
    return _create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


kms_models.Key.create_from_cloudformation_json = classmethod(create)

# Imported only now, after the patch above, so that the server runs with it.
from moto.server import main

sys.exit(main())
