"""`changes`: the JSON Patch from a baseline document's image config and packages to the current one."""

from __future__ import annotations

import base64
import copy
import json

import jsonpatch
import jsonpointer
import pytest

from corpus_helpers import extract, raw
from regate.errors import InputError
from regate.baselines import baseline_from_json
from regate.extract.drift import VOLATILE_IMAGE_FIELDS, VOLATILE_PACKAGE_FIELDS

SBOM = "syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json"


def sbom_variant(drop: str | None = None, add: tuple[str, str] | None = None, bump: tuple[str, str] | None = None) -> dict:
    """The real SBOM with one package removed, added or upgraded."""
    sbom = copy.deepcopy(raw(SBOM))
    if drop:
        sbom["artifacts"] = [a for a in sbom["artifacts"] if a["name"] != drop]
    if add:
        extra = copy.deepcopy(sbom["artifacts"][0])
        extra.update(name=add[0], version=add[1], purl=f"pkg:apk/alpine/{add[0]}@{add[1]}", cpes=[], id="added")
        sbom["artifacts"].append(extra)
    if bump:
        for artifact in sbom["artifacts"]:
            if artifact["name"] == bump[0]:
                artifact["version"] = bump[1]
                artifact["purl"] = artifact["purl"].replace("@" + artifact["purl"].split("@")[1].split("?")[0], "@" + bump[1])
    return sbom


def config(ports: list[str], user: str = "", created: str | None = None, diff_id: str | None = None) -> dict:
    blob = json.loads(base64.b64decode(raw(SBOM)["source"]["metadata"]["config"]))
    blob["config"]["ExposedPorts"] = {p: {} for p in ports}
    blob["config"]["User"] = user
    if created:
        blob["created"] = created
    if diff_id:
        blob["rootfs"]["diff_ids"] = [diff_id]
    return blob


@pytest.fixture
def baseline(write_json):
    return extract(write_json(raw(SBOM), "base-sbom.json"), write_json(config(["80/tcp"]), "base-config.json"))


def test_no_change_is_an_empty_patch(write_json, baseline):
    document = extract(write_json(raw(SBOM), "sbom.json"), write_json(config(["80/tcp"]), "config.json"), baseline=baseline)
    assert document["changes"] == []
    assert document["baseline"] == {"reference": baseline["image"]["reference"], "digest": baseline["image"]["digest"], "id": baseline["image"]["id"]}


def test_added_and_removed_packages_and_a_new_port(write_json, baseline):
    current = extract(
        write_json(sbom_variant(drop="zlib", add=("curl", "8.0.1-r0")), "sbom.json"),
        write_json(config(["80/tcp", "8080/tcp"], user="app"), "config.json"),
        baseline=baseline,
    )
    ops = {(op["op"], op["path"]) for op in current["changes"]}
    assert ops == {
        ("remove", "/packages/apk:zlib@1.2.13-r0"),
        ("add", "/packages/apk:curl@8.0.1-r0"),
        ("add", "/image/exposed_ports/8080~1tcp"),
        ("add", "/image/user"),
        ("replace", "/image/effective_user"),
    }
    added_port = next(op for op in current["changes"] if op["path"] == "/image/exposed_ports/8080~1tcp")
    assert added_port["value"] == {"port": 8080, "protocol": "tcp", "spec": "8080/tcp"}
    # Every path that adds or replaces points at the value in the current document
    # (values leave out the volatile fields the comparison ignores).
    for op in current["changes"]:
        if op["op"] in ("add", "replace"):
            target = jsonpointer.resolve_pointer(current, op["path"])
            if isinstance(target, dict):
                target = {k: v for k, v in target.items() if k not in VOLATILE_PACKAGE_FIELDS}
            assert target == op["value"]


def test_a_version_bump_is_a_removal_and_an_addition(write_json, baseline):
    current = extract(write_json(sbom_variant(bump=("zlib", "1.2.13-r1")), "sbom.json"),
                      write_json(config(["80/tcp"]), "config.json"), baseline=baseline)
    assert sorted((op["op"], op["path"]) for op in current["changes"]) == [
        ("add", "/packages/apk:zlib@1.2.13-r1"), ("remove", "/packages/apk:zlib@1.2.13-r0")]


def test_a_rebuild_alone_is_not_a_change(write_json, baseline):
    """New creation time and new layer digests: the same image config and package set."""
    rebuilt = sbom_variant()
    new_diff_id = "sha256:" + "1" * 64
    for artifact in rebuilt["artifacts"]:
        for location in artifact["locations"]:
            location["layerID"] = new_diff_id
    rebuilt["source"]["metadata"].update(imageID="sha256:" + "2" * 64, manifestDigest="sha256:" + "3" * 64)
    rebuilt["source"]["metadata"]["layers"][0]["digest"] = new_diff_id
    del rebuilt["source"]["metadata"]["config"], rebuilt["source"]["metadata"]["manifest"]
    current = extract(write_json(rebuilt, "sbom.json"),
                      write_json(config(["80/tcp"], created="2030-01-01T00:00:00Z", diff_id=new_diff_id), "config.json"),
                      baseline=baseline)
    assert current["changes"] == []
    assert current["image"]["id"] != baseline["image"]["id"]


def test_the_patch_turns_the_baseline_into_the_current_document(write_json, baseline):
    current = extract(
        write_json(sbom_variant(drop="musl", add=("curl", "8.0.1-r0"), bump=("zlib", "1.2.13-r1")), "sbom.json"),
        write_json(config(["443/tcp"], user="nobody"), "config.json"),
        baseline=baseline,
    )

    def comparable(document):
        image = {k: v for k, v in document["image"].items() if k not in VOLATILE_IMAGE_FIELDS}
        packages = {k: {f: v for f, v in p.items() if f not in VOLATILE_PACKAGE_FIELDS} for k, p in document["packages"].items()}
        return {"image": image, "packages": packages}

    assert jsonpatch.apply_patch(comparable(baseline), current["changes"]) == comparable(current)


def test_a_baseline_must_be_a_regate_document():
    with pytest.raises(InputError) as caught:
        baseline_from_json(raw(SBOM), "sbom.json")
    assert "not a regate input document" in caught.value.message


def test_an_invalid_baseline_names_the_offending_place(baseline):
    broken = copy.deepcopy(baseline)
    broken["packages"]["apk:musl@1.2.3-r4"]["version"] = 1
    with pytest.raises(InputError) as caught:
        baseline_from_json(broken, "old.json")
    assert caught.value.pointer == "/packages/apk:musl@1.2.3-r4/version"
