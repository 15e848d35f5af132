"""Every staging and intermediate model has YAML: a description and at least one data test on its key (the dbt
community's floor for the layers readers never see; the published layers have contracts besides)."""

from __future__ import annotations

import json

from orchestration.dbt import ensure_manifest

CHECKED_LAYERS = ("staging", "intermediate")


def test_every_staging_and_intermediate_model_is_described_and_tested():
    manifest = json.loads(ensure_manifest().read_text())
    models = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] in CHECKED_LAYERS
    }
    tested = {
        node.get("attached_node") or parent
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        for parent in node["depends_on"]["nodes"][:1]
    }
    assert len(models) > 40  # the layers were found at all
    undescribed = sorted(node["name"] for node in models.values() if not node["description"].strip())
    untested = sorted(node["name"] for unique_id, node in models.items() if unique_id not in tested)
    assert (undescribed, untested) == ([], [])
