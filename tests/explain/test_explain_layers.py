"""Grouping by layer: with the actual Dockerfile, the layers its final stage's
RUN/COPY/ADD make are the image's own and the ones before are the base's;
when most findings the package changes clear come from the base, the plan
says to rebuild on a newer one, naming it."""

from __future__ import annotations

from engine.gatehelpers import NOW, regate, report, write_json, write_policy
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)

POLICY = 'policy "p" {\n  rule fixable stop {\n    for v in vulnerabilities where v.fix.available\n' \
         '    message "{v.id}"\n  }\n}\n'


def _document(own_findings: int) -> dict:
    from regate.inputs import complete

    layers = [{"index": i, "digest": f"sha256:{i:064x}"} for i in range(3)]
    instructions = [{"index": 0, "instruction": "FROM", "value": "debian:12.1", "line": 1, "stage": 0,
                     "final_stage": True},
                    {"index": 1, "instruction": "RUN", "value": "apt-get install -y libapp", "line": 2, "stage": 0,
                     "final_stage": True},
                    {"index": 2, "instruction": "COPY", "value": "app /app", "line": 3, "stage": 0,
                     "final_stage": True}]
    packages, vulnerabilities = {}, {}
    for i, (name, layer) in enumerate([("libssl3", 0), ("zlib1g", 0)] + [(f"libapp{j}", 1) for j in range(own_findings)]):
        key = f"deb:{name}@1.0-1"
        packages[key] = {"key": key, "name": name, "version": "1.0-1", "type": "deb", "os": True,
                         "layer": layers[layer]["digest"]}
        vkey = f"CVE-2025-{i}+{key}"
        vulnerabilities[vkey] = {"key": vkey, "id": f"CVE-2025-{i}", "severity": "high",
                                 "fix": {"state": "fixed", "available": True, "versions": ["1.0-2"]},
                                 "package": {"key": key, "name": name, "version": "1.0-1", "type": "deb"}}
    return complete({"image": {"reference": "registry.example.com/app:1", "layers": layers,
                               "dockerfile": {"mode": "actual", "path": "Dockerfile", "instructions": instructions}},
                     "packages": packages, "vulnerabilities": vulnerabilities})


def _explain(tmp_path, own_findings: int) -> dict:
    path = write_json(tmp_path / "input.json", _document(own_findings))
    result = regate("check", "--explain", "--policy", write_policy(tmp_path / "policy", POLICY), "--format", "json",
                    "--now", NOW, path)
    assert result.returncode == 1, result.stderr
    return report(result)["results"][0]["explanation"]


def test_most_findings_from_the_base_image_say_rebuild_on_a_newer_base(tmp_path):
    explanation = _explain(tmp_path, own_findings=1)
    assert [(g["index"], g["base"], g["changes"]) for g in explanation["layers"]] == [
        (0, True, ["deb:libssl3@1.0-1", "deb:zlib1g@1.0-1"]), (1, False, ["deb:libapp0@1.0-1"])]
    assert explanation["rebuild_base"] == {
        "base_image": "debian:12.1", "findings": 2, "of": 3,
        "summary": "rebuild on a newer base image than debian:12.1: 2 of the 3 package findings come from its layers"}
    assert explanation["proof"]["go"]


def test_most_findings_from_the_own_build_keep_the_base(tmp_path):
    explanation = _explain(tmp_path, own_findings=3)
    assert explanation["rebuild_base"] is None
    assert [g["base"] for g in explanation["layers"]] == [True, False]


def test_config_changes_also_land_in_the_dockerfile(tmp_path):
    from regate.inputs import complete

    document = _document(own_findings=0)
    document["packages"], document["vulnerabilities"] = {}, {}
    document = complete(document)
    policy = write_policy(tmp_path / "policy", 'policy "p" {\n  rule no_healthcheck stop {\n'
                          '    when not any(i in image.dockerfile.instructions where i.instruction == "HEALTHCHECK")\n'
                          '    message "no HEALTHCHECK in the Dockerfile"\n  }\n}\n')
    result = regate("check", "--explain", "--policy", policy, "--format", "json", "--now", NOW,
                    write_json(tmp_path / "input.json", document))
    assert result.returncode == 1, result.stderr
    explanation = report(result)["results"][0]["explanation"]
    assert [c["summary"] for c in explanation["plan"]] == ["add a HEALTHCHECK that probes the service"]
    assert explanation["patch"][-1]["path"] == "/image/dockerfile/instructions/-"
    assert explanation["patch"][-1]["value"]["instruction"] == "HEALTHCHECK"
    assert explanation["proof"]["go"]
