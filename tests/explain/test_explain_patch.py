"""The plan's patch as regate applies it (`explain.changes.apply`, copying only what changes):
the same document jsonpatch makes of the same operations, the input document left as it was,
and pointers escaped as jsonpointer escapes them."""

from __future__ import annotations

import copy

import jsonpatch
import pytest
from jsonpointer import JsonPointer

from regate.explain.changes import HEALTHCHECK, Change, apply, pointer
from regate.explain.plan import _apply


def _document() -> dict:
    packages = {f"deb:{name}@1.0-1": {"key": f"deb:{name}@1.0-1", "name": name, "version": "1.0-1", "type": "deb",
                                      "purl": f"pkg:deb/debian/{name}@1.0-1", "licenses": ["MIT"]}
                for name in ("openssl", "telnet", "zlib")}
    vulnerabilities = {}
    for vid, name in (("CVE-1", "openssl"), ("CVE-2", "openssl"), ("CVE-3", "telnet")):
        package = packages[f"deb:{name}@1.0-1"]
        vulnerabilities[f"{vid}+{package['key']}"] = {
            "key": f"{vid}+{package['key']}", "id": vid,
            "package": {k: package[k] for k in ("key", "name", "version", "type")}}
    return {
        "image": {"user": "", "effective_user": "root", "exposed_ports": {"22/tcp": {"port": 22}},
                  "env": {"TOKEN": "***", "A/B~C": "x"}, "labels": {},
                  "dockerfile": {"mode": "guessed", "instructions": [
                      {"index": 0, "instruction": "FROM", "value": "debian", "stage": 0, "final_stage": True}]}},
        "packages": packages, "vulnerabilities": vulnerabilities,
        "files": {"/etc/key.pem": {"path": "/etc/key.pem"}},
        "secrets": {"s1": {"path": "/etc/key.pem", "location": "file"}, "s2": {"path": "env:TOKEN"}},
        "users": {"games": {"name": "games", "uid": 5}}, "malware": {}}


# One change of every kind, in plan order.
_PLAN = [
    Change("upgrade", "deb:openssl@1.0-1", "upgrade openssl", before="1.0-1", after="1.1-1",
           detail={"cleared_vulnerabilities": ["CVE-1+deb:openssl@1.0-1"]}),
    Change("remove_package", "deb:telnet@1.0-1", "remove telnet", before="1.0-1"),
    Change("remove_file", "/etc/key.pem", "remove /etc/key.pem", before="/etc/key.pem"),
    Change("remove_secret", "env:TOKEN", "stop passing", before="env:TOKEN", detail={"secret": "s2"}),
    Change("remove_entry", "A/B~C", "remove ENV variable", before="A/B~C", detail={"collection": "image.env"}),
    Change("remove_entry", "games", "remove user games", before="games", detail={"collection": "users"}),
    Change("set_user", "image", "set USER 65532", before="root", after="65532"),
    Change("drop_port", "22/tcp", "drop EXPOSE 22/tcp", before="22/tcp"),
    Change("add_healthcheck", "image", "add a HEALTHCHECK", after=HEALTHCHECK),
]


def test_the_patched_document_is_what_jsonpatch_makes_of_the_patch_and_the_input_stays_as_it_was():
    document = _document()
    before = copy.deepcopy(document)
    patched, ops = _apply(document, _PLAN)
    assert document == before
    assert patched == jsonpatch.apply_patch(before, ops)
    assert [(op["op"], op["path"]) for op in ops] == [
        ("remove", "/packages/deb:openssl@1.0-1"), ("add", "/packages/deb:openssl@1.1-1"),
        ("remove", "/vulnerabilities/CVE-1+deb:openssl@1.0-1"), ("remove", "/vulnerabilities/CVE-2+deb:openssl@1.0-1"),
        ("add", "/vulnerabilities/CVE-2+deb:openssl@1.1-1"),
        ("remove", "/packages/deb:telnet@1.0-1"), ("remove", "/vulnerabilities/CVE-3+deb:telnet@1.0-1"),
        ("remove", "/files/~1etc~1key.pem"), ("remove", "/secrets/s1"),
        ("remove", "/image/env/TOKEN"), ("remove", "/secrets/s2"),
        ("remove", "/image/env/A~1B~0C"), ("remove", "/users/games"),
        ("add", "/image/user"), ("add", "/image/effective_user"), ("add", "/image/dockerfile/instructions/-"),
        ("remove", "/image/exposed_ports/22~1tcp"),
        ("add", "/image/healthcheck"), ("add", "/image/dockerfile/instructions/-")]
    # Untouched parts are shared, changed ones are copies.
    assert patched["files"] is not document["files"] and patched["malware"] is document["malware"]
    assert patched["image"]["dockerfile"]["instructions"][-1]["instruction"] == "HEALTHCHECK"
    assert len(document["image"]["dockerfile"]["instructions"]) == 1


@pytest.mark.parametrize("op", [
    {"op": "remove", "path": "/packages/deb:absent@1"},
    {"op": "add", "path": "/nowhere/x", "value": 1},
    {"op": "add", "path": "/image/dockerfile/instructions/0", "value": {}},
    {"op": "replace", "path": "/image/user", "value": "x"},
], ids=["remove-absent", "add-under-absent", "insert-at-index", "replace"])
def test_an_operation_rfc_6902_refuses_or_the_plan_never_makes_is_a_conflict(op):
    with pytest.raises(jsonpatch.JsonPatchConflict):
        apply(_document(), [op], set())


@pytest.mark.parametrize("parts", [("packages", "deb:a@1~2"), ("image", "env", "A/B~0"), ("a", "~1/"), ("",), ()])
def test_pointers_are_escaped_as_jsonpointer_escapes_them(parts):
    assert pointer(*parts) == JsonPointer.from_parts(list(parts)).path
