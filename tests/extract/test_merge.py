"""Facts from an SBOM, a vulnerability report and an image config merge into one document."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys

import pytest

from corpus_helpers import corpus, extract, raw
from regate.errors import InputError

SBOM = "syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json"
GRYPE = "grype/defectdojo_busybox-1.32.1_grype-0.94.0_epss.json"


def grype_report_for_the_sbom_image() -> dict:
    """A Grype report of the SBOM's image: Grype's real record shape, with the SBOM's image
    metadata as its target and its libssl3 package as the affected artifact."""
    sbom = raw(SBOM)
    report = copy.deepcopy(raw(GRYPE))
    report["source"] = {"type": "image", "target": sbom["source"]["metadata"]}
    report["distro"] = {"name": "alpine", "version": "3.17.2", "idLike": []}
    libssl = next(a for a in sbom["artifacts"] if a["name"] == "libssl3")
    artifact = {**{k: libssl[k] for k in ("id", "name", "version", "type", "locations", "language", "purl")},
                "cpes": ["cpe:2.3:a:openssl:libssl3:3.0.8-r0:*:*:*:*:*:*:*"], "licenses": ["Apache-2.0"], "upstreams": [{"name": "openssl"}]}
    match = report["matches"][0]
    match["artifact"] = artifact
    match["vulnerability"]["id"] = "CVE-2023-0464"
    report["matches"] = [match]
    return report


def config_with_user(user: str) -> dict:
    config = json.loads(base64.b64decode(raw(SBOM)["source"]["metadata"]["config"]))
    config["config"]["User"] = user
    config["config"]["ExposedPorts"] = {"8080/tcp": {}}
    return config


@pytest.fixture
def inputs(write_json):
    return {
        "sbom": corpus(SBOM),
        "grype": write_json(grype_report_for_the_sbom_image(), "grype.json"),
        "config": write_json(config_with_user("app"), "config.json"),
    }


def test_sbom_report_and_config_merge(inputs):
    document = extract(inputs["sbom"], inputs["grype"], inputs["config"])
    sbom = raw(SBOM)
    assert set(document["packages"]) == {f"apk:{a['name']}@{a['version']}" for a in sbom["artifacts"]}
    assert list(document["vulnerabilities"]) == ["CVE-2023-0464+apk:libssl3@3.0.8-r0"]
    libssl = document["packages"]["apk:libssl3@3.0.8-r0"]
    # The SBOM's CPEs first, then the report's one it lacked; licenses and source package merged too.
    sbom_cpes = [c["cpe"] for c in next(a for a in sbom["artifacts"] if a["name"] == "libssl3")["cpes"]]
    assert libssl["cpes"] == sbom_cpes + ["cpe:2.3:a:openssl:libssl3:3.0.8-r0:*:*:*:*:*:*:*"]
    assert "Apache-2.0" in libssl["licenses"] and libssl["source_name"] == "openssl"
    assert [s["format"] for s in document["sources"]] == ["syft-json", "grype-json", "image-config"]
    image = document["image"]
    assert (image["user"], image["effective_user"]) == ("app", "app")  # the config outranks the SBOM and the report
    assert image["exposed_ports"] == {"8080/tcp": {"port": 8080, "protocol": "tcp", "spec": "8080/tcp"}}
    assert image["distro"] == {"name": "alpine", "version": "3.17.2", "pretty_name": "Alpine Linux v3.17"}  # only the SBOM and the report know it
    assert image["id"] == sbom["source"]["metadata"]["imageID"]
    layer = image["layers"][0]
    assert {"digest", "size", "blob_digest", "blob_size", "created_by"} <= set(layer)


def test_image_precedence_does_not_depend_on_input_order(inputs):
    forward = extract(inputs["sbom"], inputs["grype"], inputs["config"])
    backward = extract(inputs["config"], inputs["grype"], inputs["sbom"])
    assert backward["image"] == forward["image"]
    # Collections keep the first input's values first: the same entries, lists in input order.
    assert backward["packages"].keys() == forward["packages"].keys()
    libssl = "apk:libssl3@3.0.8-r0"
    assert sorted(backward["packages"][libssl]["cpes"]) == sorted(forward["packages"][libssl]["cpes"])
    assert backward["packages"][libssl]["cpes"][0] == "cpe:2.3:a:openssl:libssl3:3.0.8-r0:*:*:*:*:*:*:*"
    assert [s["format"] for s in backward["sources"]] == ["image-config", "grype-json", "syft-json"]


def test_merged_output_is_byte_identical_across_runs(inputs):
    first = json.dumps(extract(inputs["sbom"], inputs["grype"], inputs["config"]), sort_keys=True)
    assert json.dumps(extract(inputs["sbom"], inputs["grype"], inputs["config"]), sort_keys=True) == first
    document = extract(inputs["sbom"], inputs["grype"])
    assert list(document["packages"]) == sorted(document["packages"])


def test_facts_about_different_images_are_refused(inputs):
    other = corpus("syft/anchore-engine_alpine-latest_syft-0.15.2.json")
    with pytest.raises(InputError) as caught:
        extract(inputs["sbom"], other)
    assert caught.value.path == str(other)
    assert str(inputs["sbom"]) in caught.value.message and "different images" in caught.value.message


def test_a_known_severity_or_fix_wins_over_unknown(write_json):
    report = grype_report_for_the_sbom_image()
    vuln = report["matches"][0]["vulnerability"]
    vuln.update(severity=None, fix={"versions": [], "state": ""})
    second = copy.deepcopy(report)
    second["matches"][0]["vulnerability"].update(severity="High", fix={"versions": ["3.0.8-r1"], "state": "fixed"})
    document = extract(write_json(report, "first.json"), write_json(second, "second.json"))
    merged = document["vulnerabilities"]["CVE-2023-0464+apk:libssl3@3.0.8-r0"]
    assert merged["severity"] == "high"
    assert merged["fix"] == {"state": "fixed", "available": True, "versions": ["3.0.8-r1"]}


@pytest.mark.parametrize("first, second", [("Low", "Critical"), ("Critical", "Low")])
def test_of_two_severities_the_more_severe_is_kept_whatever_the_order_and_the_later_input_is_told(
        write_json, tmp_path, first, second):
    # Two scanners rating one vulnerability low and critical: a gate that kept whichever came
    # first would say GO to a critical vulnerability because of the order of its arguments.
    report = grype_report_for_the_sbom_image()
    report["matches"][0]["vulnerability"]["severity"] = first
    later = copy.deepcopy(report)
    later["matches"][0]["vulnerability"]["severity"] = second
    first_path, second_path = write_json(report, "first.json"), write_json(later, "second.json")
    document = extract(first_path, second_path)
    key = "CVE-2023-0464+apk:libssl3@3.0.8-r0"
    assert document["vulnerabilities"][key]["severity"] == "critical"
    policy = tmp_path / "critical.regate"
    policy.write_text('policy "p" {\n  rule critical stop {\n    for v in vulnerabilities where v.severity >= critical\n'
                      '    message "{v.id}"\n  }\n}\n')
    # The user sees the choice whichever command merges the inputs.
    for command, code in ((["extract", str(first_path), str(second_path)], 0),
                          (["check", str(first_path), str(second_path), "--policy", str(policy)], 1)):
        done = subprocess.run([sys.executable, "-c", "from regate.cli import main; main()", *command],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == code and "Traceback" not in done.stderr, done.stderr
        [warning] = [line for line in done.stderr.splitlines() if "earlier value is kept" in line]
        assert warning.startswith(f"regate: warning: {second_path}: 1 fields differ from what an earlier input states")
        assert warning.endswith(f"vulnerabilities[{key}].severity")


@pytest.mark.parametrize("known_first", [True, False])
def test_a_fix_one_scanner_knows_is_not_undone_by_another_that_knows_none(write_json, known_first):
    fixed = grype_report_for_the_sbom_image()
    fixed["matches"][0]["vulnerability"]["fix"] = {"versions": ["3.0.8-r1"], "state": "fixed"}
    unfixed = copy.deepcopy(fixed)
    unfixed["matches"][0]["vulnerability"]["fix"] = {"versions": [], "state": "wont-fix"}
    reports = [write_json(fixed, "fixed.json"), write_json(unfixed, "unfixed.json")]
    document = extract(*(reports if known_first else reversed(reports)))
    merged = document["vulnerabilities"]["CVE-2023-0464+apk:libssl3@3.0.8-r0"]
    assert merged["fix"] == {"state": "fixed", "available": True, "versions": ["3.0.8-r1"]}


def test_two_known_fixes_list_the_versions_of_both(write_json):
    report = grype_report_for_the_sbom_image()
    report["matches"][0]["vulnerability"]["fix"] = {"versions": ["3.0.8-r1"], "state": "fixed"}
    later = copy.deepcopy(report)
    later["matches"][0]["vulnerability"]["fix"] = {"versions": ["3.0.8-r3", "3.0.8-r1"], "state": "fixed"}
    document = extract(write_json(report, "first.json"), write_json(later, "second.json"))
    merged = document["vulnerabilities"]["CVE-2023-0464+apk:libssl3@3.0.8-r0"]
    assert merged["fix"] == {"state": "fixed", "available": True, "versions": ["3.0.8-r1", "3.0.8-r3"]}


@pytest.mark.parametrize("higher_first", [True, False])
def test_of_two_scores_the_higher_is_kept_whatever_the_order(write_json, higher_first):
    lower = grype_report_for_the_sbom_image()
    higher = copy.deepcopy(lower)
    vulnerability = higher["matches"][0]["vulnerability"]
    vulnerability["cvss"][0]["metrics"].update(baseScore=9.8, exploitabilityScore=3.9)
    vulnerability["epss"][0].update(epss=0.5, percentile=0.99)
    vulnerability["risk"] = 40.0
    reports = [write_json(higher, "higher.json"), write_json(lower, "lower.json")]
    document = extract(*(reports if higher_first else reversed(reports)))
    merged = document["vulnerabilities"]["CVE-2023-0464+apk:libssl3@3.0.8-r0"]
    assert merged["nvd_cvss"] == {"base": 9.8, "exploitability": 3.9, "impact": 5.9}
    assert merged["epss"] == {"score": 0.5, "percentile": 0.99, "date": "2025-06-18T00:00:00Z"}
    assert merged["risk"] == 40.0


def test_a_first_value_other_than_a_severity_is_kept(write_json):
    report = grype_report_for_the_sbom_image()
    later = copy.deepcopy(report)
    later["matches"][0]["vulnerability"]["description"] = "another description"
    document = extract(write_json(report, "first.json"), write_json(later, "second.json"))
    kept = document["vulnerabilities"]["CVE-2023-0464+apk:libssl3@3.0.8-r0"]["description"]
    assert kept == report["matches"][0]["vulnerability"]["description"] != "another description"


def test_a_real_sbom_and_its_grype_report_agree():
    """Grype names libssl3's purl with its qualifiers in another order than Syft: the same purl."""
    grype = corpus("grype/kubevuln_alpine-3.17.2_grype_index-digest.json")
    done = subprocess.run([sys.executable, "-c", "from regate.cli import main; main()", "extract",
                           str(corpus(SBOM)), str(grype)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "earlier value is kept" not in done.stderr
    purl = json.loads(done.stdout)["packages"]["apk:libssl3@3.0.8-r0"]["purl"]
    assert purl == "pkg:apk/alpine/libssl3@3.0.8-r0?arch=x86_64&distro=alpine-3.17.2&upstream=openssl"  # Syft's, first


def test_inputs_agreeing_on_a_field_get_no_disagreement_warning(write_json):
    report = grype_report_for_the_sbom_image()
    first_path, second_path = write_json(report, "first.json"), write_json(copy.deepcopy(report), "second.json")
    done = subprocess.run([sys.executable, "-c", "from regate.cli import main; main()", "extract",
                           str(first_path), str(second_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "earlier value is kept" not in done.stderr


def test_a_vulnerable_package_is_always_in_packages(write_json):
    """A CycloneDX vulnerability names its component by bom-ref; the package exists either way."""
    bom = raw("syft/guac_alpine-latest_syft-0.58.0_cyclonedx-1.4.json")
    component = bom["components"][0]
    bom["vulnerabilities"] = [{
        "id": "CVE-2099-0001", "source": {"name": "nvd", "url": "https://nvd.nist.gov/vuln/detail/CVE-2099-0001"},
        "references": [{"id": "GHSA-xxxx-yyyy-zzzz"}],
        "ratings": [{"source": {"name": "nvd"}, "score": 9.8, "severity": "critical", "method": "CVSSv31",
                     "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, {"score": 0.5, "method": "other"}],
        "affects": [{"ref": component["bom-ref"]}, {"ref": "no-such-component"}],
        "published": "2099-01-02T03:04:05Z",
    }]
    document = extract(write_json(bom))
    key = f"CVE-2099-0001+apk:{component['name']}@{component['version']}"
    vuln = document["vulnerabilities"][key]
    assert vuln["package"]["key"] in document["packages"]
    assert vuln["severity"] == "critical" and vuln["aliases"] == ["GHSA-xxxx-yyyy-zzzz"]
    assert vuln["nvd_cvss"] == {"base": 9.8} and len(vuln["cvss"]) == 1
    assert vuln["published"] == "2099-01-02T03:04:05Z"
    assert len(document["vulnerabilities"]) == 1


@pytest.mark.parametrize("existing, new, merged", [
    ({"os": True, "cpes": ["a"], "fix": {"state": "fixed"}}, {"os": True, "cpes": ["a"], "fix": {"state": "fixed"}},
     {"os": True, "cpes": ["a"], "fix": {"state": "fixed"}}),
    ({"cpes": ["a"]}, {"cpes": ["a", "b"]}, {"cpes": ["a", "b"]}),
    ({"scores": [1]}, {"scores": [1.0, True]}, {"scores": [1, 1.0, True]}),
    ({"package": {"key": "k", "scores": [1]}}, {"package": {"key": "k", "scores": [1.0]}},
     {"package": {"key": "k", "scores": [1, 1.0]}}),
    ({"risk": 1}, {"risk": 1.0}, {"risk": 1}),
    ({"kev": None}, {"kev": None, "epss": None}, {"kev": None, "epss": None}),
])
def test_values_two_inputs_state_alike_merge_as_the_rules_say(existing, new, merged):
    """Equal values are kept as they are, except where the union tells apart what compares equal
    (1, 1.0 and True in a list, also inside an entry such as a vulnerability's package)."""
    from regate.extract.document import merge_entry

    merge_entry(existing, new)
    assert repr(existing) == repr(merged)  # repr tells 1 from 1.0 and from True
