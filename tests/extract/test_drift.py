"""Change records (`drift`) and `first_seen`, field by field, on documents written as in policy tests."""

from __future__ import annotations

import jsonpatch
import pytest

from regate.extract.document import with_baseline
from regate.extract.drift import VOLATILE_FIELDS, changes, comparable, drift
from regate.extract.versions import order_versions
from regate.inputs import complete


def pkg(type_: str, name: str, version: str, **extra) -> dict:
    key = f"{type_}:{name}@{version}"
    return {key: {"name": name, "version": version, "type": type_, **extra}}


def vuln(cve: str, type_: str, name: str, version: str, **extra) -> dict:
    package = f"{type_}:{name}@{version}"
    return {f"{cve}+{package}": {"id": cve, "package": {"key": package, "name": name, "version": version, "type": type_},
                                 **extra}}


def records(before: dict, after: dict) -> dict:
    return {key: (r["op"], r.get("field"), r.get("before"), r.get("after")) for key, r in
            drift(complete(before), complete(after)).items()}


@pytest.mark.parametrize("type_, old, new, op", [
    ("deb", "1.2.13.dfsg-1", "1.2.13.dfsg-1+deb12u1", "upgraded"),
    ("deb", "1.0", "1.0~rc1", "downgraded"),           # a tilde sorts before the release
    ("deb", "2:1.0", "1:9.9", "downgraded"),           # the epoch decides
    ("rpm", "1.10-1", "1.9-1", "downgraded"),          # numeric, not text order
    ("apk", "1.2.3-r4", "1.2.3-r10", "upgraded"),
    ("python", "1.0rc1", "1.0", "upgraded"),
    ("python", "1.0", "1.0.0", "changed"),             # PEP 440 holds them equal
    ("npm", "1.0.0-beta.2", "1.0.0-beta.11", "upgraded"),
])
def test_a_new_version_is_one_record_in_the_ecosystems_order(type_, old, new, op):
    found = records({"packages": pkg(type_, "lib", old)}, {"packages": pkg(type_, "lib", new)})
    assert found == {f"packages:{type_}:lib@{new}:version": (op, "version", old, new)}


def test_versions_are_ordered_by_the_policies_library():
    """The same `regate.lib.version` a policy's `p.version > x` compiles to, one `opa eval` for all."""
    pairs = [("deb", "1.0", "1.0~rc1"), ("rpm", "1.9", "1.10"), ("generic", "a", "a")]
    assert order_versions(pairs) == {pairs[0]: -1, pairs[1]: 1, pairs[2]: 0}


def test_several_versions_side_by_side_are_compared_key_by_key():
    before = {"packages": {**pkg("java-archive", "log4j", "1.0"), **pkg("java-archive", "log4j", "2.0")}}
    after = {"packages": {**pkg("java-archive", "log4j", "2.0"), **pkg("java-archive", "log4j", "2.1")}}
    assert set(records(before, after)) == {"packages:java-archive:log4j@1.0", "packages:java-archive:log4j@2.1"}


def test_a_license_change_is_a_record_even_with_a_new_version():
    found = records({"packages": pkg("deb", "x", "1", licenses=["MIT"])},
                    {"packages": pkg("deb", "x", "2", licenses=["GPL-3.0-only"])})
    assert found["packages:deb:x@2:licenses"] == ("changed", "licenses", ["MIT"], ["GPL-3.0-only"])
    assert found["packages:deb:x@2:version"][0] == "upgraded"


def test_a_vulnerability_still_there_after_an_upgrade_is_not_introduced():
    before = {"packages": pkg("deb", "openssl", "3.0.11"),
              "vulnerabilities": {**vuln("CVE-1", "deb", "openssl", "3.0.11", severity="high"),
                                  **vuln("CVE-2", "deb", "openssl", "3.0.11", severity="high")}}
    after = {"packages": pkg("deb", "openssl", "3.0.13"),
             "vulnerabilities": {**vuln("CVE-1", "deb", "openssl", "3.0.13", severity="critical"),
                                 **vuln("CVE-3", "deb", "openssl", "3.0.13", severity="low")}}
    found = records(before, after)
    assert {key: value[:2] for key, value in found.items()} == {
        "packages:deb:openssl@3.0.13:version": ("upgraded", "version"),
        "vulnerabilities:CVE-1+deb:openssl@3.0.13:severity": ("changed", "severity"),
        "vulnerabilities:CVE-2+deb:openssl@3.0.11": ("removed", None),
        "vulnerabilities:CVE-3+deb:openssl@3.0.13": ("added", None),
    }
    assert found["vulnerabilities:CVE-1+deb:openssl@3.0.13:severity"][2:] == ("high", "critical")
    assert found["vulnerabilities:CVE-3+deb:openssl@3.0.13"][3]["id"] == "CVE-3"


def test_files_users_misconfigurations_and_image_maps():
    before = complete({
        "files": {"/usr/bin/su": {"mode": 0o755, "setuid": False, "uid": 0, "sha256": "a" * 64, "layer": "sha256:1"},
                  "/gone": {}},
        "users": {"svc": {"uid": 999, "gid": 999, "shell": "/usr/sbin/nologin"}},
        "misconfigurations": {"DS002:Dockerfile": {"id": "DS002", "target": "Dockerfile", "status": "pass"}},
        "image": {"user": "app", "env": {"A": "1", "B": "2"}, "labels": {"v": "1"}, "exposed_ports": {"80/tcp": {}}},
    })
    after = complete({
        "files": {"/usr/bin/su": {"mode": 0o4755, "setuid": True, "uid": 0, "sha256": "a" * 64, "layer": "sha256:2"}},
        "users": {"svc": {"uid": 0, "gid": 999, "shell": "/bin/sh"}},
        "misconfigurations": {"DS002:Dockerfile": {"id": "DS002", "target": "Dockerfile", "status": "fail"}},
        "image": {"user": "app", "env": {"A": "1", "B": "3", "C": "4"}, "labels": {"v": "1"}, "exposed_ports": {"80/tcp": {}}},
    })
    found = {key: (r["op"], r.get("field"), r.get("before"), r.get("after")) for key, r in drift(before, after).items()}
    assert found == {
        "files:/gone": ("removed", None, {"path": "/gone", "type": "file"}, None),
        "files:/usr/bin/su:mode": ("changed", "mode", 0o755, 0o4755),
        "files:/usr/bin/su:setuid": ("changed", "setuid", False, True),
        "users:svc:uid": ("changed", "uid", 999, 0),
        "users:svc:shell": ("changed", "shell", "/usr/sbin/nologin", "/bin/sh"),
        "misconfigurations:DS002:Dockerfile:status": ("changed", "status", "pass", "fail"),
        "image.env:B:value": ("changed", "value", "2", "3"),
        "image.env:C": ("added", None, None, {"name": "C", "value": "4"}),
    }
    assert list(drift(before, after)) == sorted(found)  # sorted by key: byte-identical output


def test_a_collection_not_looked_at_this_time_is_not_removed():
    before = complete({"malware": {"Eicar:/tmp/x": {"path": "/tmp/x", "signature": "Eicar", "scanner": "clamav"}}})
    after = complete({})
    assert "malware" not in after
    assert drift(before, after) == {} and changes(before, after) == []


def test_the_patch_applies_to_the_baseline():
    before = complete({"packages": pkg("deb", "a", "1"), "files": {"/x": {"mode": 0o644}},
                       "users": {"u": {"uid": 1}}, "vulnerabilities": vuln("CVE-1", "deb", "a", "1", epss={"score": 0.1})})
    after = complete({"packages": pkg("deb", "a", "2"), "files": {"/x": {"mode": 0o4755}, "/y": {}},
                      "users": {"u": {"uid": 0}}, "vulnerabilities": vuln("CVE-1", "deb", "a", "2", epss={"score": 0.9})})
    patched = jsonpatch.apply_patch(comparable(before), changes(before, after))
    assert patched == comparable(after)
    assert all("epss" not in v for v in patched["vulnerabilities"].values())  # a daily score is no drift
    assert VOLATILE_FIELDS["vulnerabilities"] >= {"epss", "first_seen"}


def test_first_seen_is_carried_along_the_chain():
    def scanned(moment: str) -> list[dict]:
        return [{"tool": "grype", "format": "grype-json", "scanned": moment}]

    first = complete({"vulnerabilities": vuln("CVE-1", "deb", "a", "1"), "sources": scanned("2026-01-01T00:00:00Z")})
    second = complete({"vulnerabilities": {**vuln("CVE-1", "deb", "a", "2"), **vuln("CVE-2", "deb", "a", "2")},
                       "sources": scanned("2026-02-01T00:00:00.5Z")})
    with_baseline(second, first)
    got = {v["id"]: v["first_seen"] for v in second["vulnerabilities"].values()}
    assert got == {"CVE-1": "2026-01-01T00:00:00Z", "CVE-2": "2026-02-01T00:00:00.5Z"}
    third = complete({"vulnerabilities": vuln("CVE-2", "deb", "a", "2"), "sources": scanned("2026-03-01T00:00:00Z")})
    with_baseline(third, second)
    assert [v["first_seen"] for v in third["vulnerabilities"].values()] == ["2026-02-01T00:00:00.5Z"]


def test_without_a_scan_time_first_seen_stays_absent():
    first = complete({"vulnerabilities": vuln("CVE-1", "deb", "a", "1")})
    second = complete({"vulnerabilities": vuln("CVE-1", "deb", "a", "1")})
    with_baseline(second, first)
    assert "first_seen" not in next(iter(second["vulnerabilities"].values()))


def test_first_seen_is_absent_from_coverage_until_the_chain_gives_it(write_json):
    """Without a baseline an age rule on `first_seen` is data unavailable, not a pass; with one it is covered."""
    from corpus_helpers import corpus, extract

    grype = corpus("grype/defectdojo_busybox-1.32.1_grype-0.94.0_epss.json")
    alone = extract(grype)
    assert "first_seen" in alone["coverage"]["vulnerabilities"]["absent_fields"]
    chained = extract(grype, baseline=alone)
    assert "first_seen" not in chained["coverage"]["vulnerabilities"].get("absent_fields", [])
    assert {v["first_seen"] for v in chained["vulnerabilities"].values()} == {"2025-06-19T11:43:35.523947199Z"}
