"""Trivy's secret scanner and regate's agree on the planted secrets."""

from __future__ import annotations

import json
import subprocess

import pytest

from regate.extract import secrets
from regate.extract.adapters.entries import secret_kind
from regate.extract.base import ExtractOptions
from regate.extract.image import extract_image_path
from support.images import BAD, PLANTED, build_image, write_docker_archive

# Trivy has no size limit for secret scanning; regate (like Anchore) skips
# files over 10 kB by default. Compare with the limit out of the way.
OPTIONS = ExtractOptions(run_syft=False, secret_scan_max_bytes=1 << 20)
REGATE_KINDS = {rule.kind for rule in secrets.RULES}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return write_docker_archive(build_image(BAD), tmp_path_factory.mktemp("trivy") / "bad.tar")


def trivy_findings(trivy: str, archive, cache) -> set[tuple[str, str, int]]:
    done = subprocess.run(
        [trivy, "image", "--input", str(archive), "--scanners", "secret", "--format", "json", "--quiet",
         "--offline-scan", "--skip-db-update", "--cache-dir", str(cache)],
        check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    found = set()
    for result in json.loads(done.stdout).get("Results") or []:
        for hit in result.get("Secrets") or []:
            found.add((secret_kind(hit["RuleID"]), "/" + result["Target"].lstrip("/"), hit["StartLine"]))
    return found


def test_trivy_and_regate_find_the_same_secrets(trivy_bin, archive, tmp_path):
    trivy = trivy_findings(trivy_bin, archive, tmp_path / "cache")
    regate = {(s["kind"], s["path"], s["line"])
              for s in extract_image_path(archive, OPTIONS).facts["secrets"].values()}
    # Only the kinds both scanners know: Trivy has no docker-auth rule.
    both = {kind for kind, _, _ in trivy} & REGATE_KINDS
    assert both >= {"aws-access-key", "aws-secret-key", "private-key", "github-token"}
    assert {f for f in trivy if f[0] in both} == {f for f in regate if f[0] in both}
    # The comparison covers every planted secret of those kinds, the one in
    # the oversized log and the one a later layer deletes.
    assert {f for f in PLANTED if f[0] in both} < trivy
    assert ("aws-access-key", "/app/big.log", 2) in trivy
    assert ("docker-auth", "/root/.docker/config.json", 4) in regate
