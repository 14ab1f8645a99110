"""A copy of a presence-stack config with `ttl_days` set (or changed) on every pipeline (for scripts/deploy-smoke).

Usage: update_config.py CONFIG COPY
"""

import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as f:
    config = yaml.safe_load(f)
for pipeline in config["pipelines"]:
    table = pipeline.get("table") or {}
    pipeline["table"] = table
    table["ttl_days"] = 31 if table.get("ttl_days") == 30 else 30
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write(f"# {sys.argv[1]} with ttl_days changed, by scripts/deploy-smoke\n")
    yaml.safe_dump(config, f, sort_keys=False)
