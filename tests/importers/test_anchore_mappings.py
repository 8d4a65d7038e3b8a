"""Anchore's bundle-level semantics after import, evaluated by OPA: mappings tried in order by
registry, repository and tag/digest/id (`*` wildcards), several policies per mapping, whitelists only
through their mappings, whitelisted and blacklisted images, and GO for an image no mapping matches."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.importers.anchore import import_anchore
from regate.inputs import complete

ALWAYS = {"gate": "always", "trigger": "always", "params": []}
DIGEST = "sha256:" + "ab" * 32
IMAGE_ID = "cd" * 32
BUNDLE = {
    "id": "b", "name": "mappings", "version": "1_0",
    "policies": [
        {"id": "stop-all", "name": "stop all", "rules": [{"id": "r1", "action": "STOP", **ALWAYS}]},
        {"id": "warn-all", "name": "warn all", "rules": [{"id": "r2", "action": "WARN", **ALWAYS}]},
    ],
    "whitelists": [{"id": "w", "name": "everything", "items": [{"id": "i", "gate": "always", "trigger_id": "always"}]}],
    "mappings": [
        {"id": "m1", "name": "prod", "registry": "registry.example.com", "repository": "prod/*",
         "image": {"type": "tag", "value": "*"}, "policy_ids": ["stop-all", "warn-all"], "whitelist_ids": []},
        {"id": "m2", "name": "by digest", "registry": "*", "repository": "pinned",
         "image": {"type": "digest", "value": DIGEST}, "policy_id": "warn-all", "whitelist_ids": ["w"]},
        {"id": "m3", "name": "by id", "registry": "*", "repository": "*",
         "image": {"type": "id", "value": IMAGE_ID}, "policy_id": "warn-all", "whitelist_ids": []},
        {"id": "m4", "name": "hub alpine", "registry": "docker.io", "repository": "alpine",
         "image": {"type": "tag", "value": "3.*"}, "policy_id": "stop-all", "whitelist_ids": ["w"]},
    ],
    "whitelisted_images": [{"id": "g", "name": "golden", "registry": "registry.example.com", "repository": "golden/*",
                            "image": {"type": "tag", "value": "*"}}],
    "blacklisted_images": [{"id": "x", "name": "no latest", "registry": "*", "repository": "*",
                            "image": {"type": "tag", "value": "latest"}}],
}
CASES = [
    # reference, digest, id → final action, reason (regate words Anchore's whitelisted/blacklisted as allow/deny), mapping
    ("registry.example.com/prod/api:1", None, None, "STOP", "policy_evaluation", "prod"),
    ("registry.example.com/golden/base:1", None, None, "GO", "allowlisted", None),
    ("registry.example.com/golden/base:latest", None, None, "STOP", "denylisted", None),
    ("quay.io/pinned:2", DIGEST, None, "GO", "policy_evaluation", "by digest"),
    ("quay.io/other:2", None, f"sha256:{IMAGE_ID}", "WARN", "policy_evaluation", "by id"),
    ("docker.io/library/alpine:3.19", None, None, "GO", "policy_evaluation", "hub alpine"),
    ("docker.io/library/alpine:edge", None, None, "GO", "no_mapping", None),
]


@pytest.fixture(scope="module")
def decisions(opa, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mappings")
    (tmp / "bundle.json").write_text(json.dumps(BUNDLE))
    imported = import_anchore([tmp / "bundle.json"])
    (tmp / "policy").mkdir()
    (tmp / "policy" / imported.filename).write_text(imported.text)
    write_directory(compile_policies([tmp / "policy"], date(2026, 1, 1)), tmp / "out")
    docs = []
    for reference, digest, image_id, *_ in CASES:
        registry, rest = reference.split("/", 1)
        repository, tag = rest.rsplit(":", 1)
        image = {"reference": reference, "registry": registry, "repository": repository, "tag": tag}
        image.update({"digest": digest} if digest else {})
        image.update({"id": image_id} if image_id else {})
        docs.append(complete({"now": "2026-01-01T00:00:00Z", "image": image}))
    (tmp / "input.json").write_text(json.dumps({"cases": docs}))
    result = opa.run("eval", "--format", "json", "-b", str(tmp / "out"), "-i", str(tmp / "input.json"),
                     "[d | some doc in input.cases; d := data.regate.decision.main with input as doc]")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["result"][0]["expressions"][0]["value"]


@pytest.mark.parametrize("n", range(len(CASES)), ids=[c[0] for c in CASES])
def test_mappings_and_image_lists(decisions, n):
    *_, action, reason, mapping = CASES[n]
    decision = decisions[n]
    assert decision["errors"] == []
    assert (decision["final_action"], decision["final_reason"], decision["mapping"]) == (action, reason, mapping)
