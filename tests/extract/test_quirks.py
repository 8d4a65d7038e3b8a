"""One test per quirk found in the real-world corpus (and the shapes newer tools add)."""

from __future__ import annotations

import base64
import copy
import json

import pytest

from corpus_helpers import corpus, extract, raw
from regate.errors import InputError

GRYPE_07 = "grype/defectdojo_python-3.6_grype-0.7.0_1509matches.json"
GRYPE_094 = "grype/defectdojo_busybox-1.32.1_grype-0.94.0_epss.json"
GRYPE_096 = "grype/defectdojo_xjoin-kafka-connect-strimzi_rhel8.7_grype-0.96.0.json"
SYFT_015 = "syft/anchore-engine_alpine-latest_syft-0.15.2.json"
SYFT_16 = "syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json"
TRIVY_CENTOS = "trivy/trivy-repo_centos-7_golden.json"
TRIVY_DEBIAN = "trivy/defectdojo_example-app-debian10.13_trivy-schema2.json"


def test_null_severity_is_unknown():
    vuln = extract(corpus(GRYPE_096))["vulnerabilities"]["CVE-2024-26308+java-archive:commons-compress@1.21"]
    assert "severity" not in raw(GRYPE_096)["matches"][33]["vulnerability"]
    assert vuln["severity"] == "unknown"


def test_missing_severity_is_taken_from_the_related_record_of_the_same_id(write_json):
    report = copy.deepcopy(raw(GRYPE_096))
    match = report["matches"][0]
    del match["vulnerability"]["severity"]
    assert match["relatedVulnerabilities"][0]["id"] == match["vulnerability"]["id"] == "CVE-2023-38473"
    match["relatedVulnerabilities"][0]["severity"] = "Critical"
    document = extract(write_json(report))
    assert document["vulnerabilities"]["CVE-2023-38473+rpm:avahi-libs@0.7-20.el8"]["severity"] == "critical"


def test_schemaless_syft_output(write_json):
    """Syft before schema 1.0 wrote no `schema` key (and some wrote locations as bare paths)."""
    sbom = copy.deepcopy(raw(SYFT_015))
    del sbom["schema"]
    for artifact in sbom["artifacts"]:
        artifact["locations"] = [location["path"] for location in artifact["locations"]]
    document = extract(write_json(sbom))
    assert set(document["packages"]) == {f"apk:{a['name']}@{a['version']}" for a in sbom["artifacts"]}
    assert document["packages"]["apk:musl@1.2.2-r0"]["locations"] == ["/lib/apk/db/installed"]
    assert "layer" not in document["packages"]["apk:musl@1.2.2-r0"]


def test_empty_cvss_list_falls_back_to_related_records():
    """CVE-2024-26308 has `cvss: []`; its related GHSA record scores 7.5 (no source: GitHub's, a vendor)."""
    vuln = extract(corpus(GRYPE_096))["vulnerabilities"]["CVE-2024-26308+java-archive:commons-compress@1.21"]
    assert "cvss" not in vuln and "nvd_cvss" not in vuln
    assert vuln["vendor_cvss"] == {"base": 7.5, "exploitability": 3.9, "impact": 3.6}
    assert vuln["aliases"] == ["GHSA-4265-ccf5-phj5"]


def test_nvd_and_vendor_scores_are_told_apart():
    vuln = extract(corpus(GRYPE_096))["vulnerabilities"]["CVE-2023-38473+rpm:avahi-libs@0.7-20.el8"]
    # Red Hat's own score (its cvss entries carry no source: the namespace names Red Hat) ...
    assert vuln["cvss"] == [{"source": "redhat", "version": "3.1", "vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                             "base": 6.2, "exploitability": 2.5, "impact": 3.6}]
    assert vuln["vendor_cvss"] == {"base": 6.2, "exploitability": 2.5, "impact": 3.6}
    # ... and NVD's, found only in the related NVD record.
    related = raw(GRYPE_096)["matches"][0]["relatedVulnerabilities"][0]["cvss"]
    nvd = max((c for c in related if c["source"] == "nvd@nist.gov" and c["version"].startswith("3")), key=lambda c: c["metrics"]["baseScore"])
    assert vuln["nvd_cvss"]["base"] == nvd["metrics"]["baseScore"]


def test_legacy_grype_field_names():
    document = extract(corpus(GRYPE_07))
    mercurial = document["vulnerabilities"]["CVE-2019-3902+python:mercurial@4.8.2"]
    # cvssV2/cvssV3 objects without a source; the match was found by CPE, which means NVD data.
    assert mercurial["cvss"] == [
        {"source": "nvd", "version": "2.0", "vector": "AV:N/AC:M/Au:N/C:N/I:P/A:P", "base": 5.8, "exploitability": 8.6, "impact": 4.9},
        {"source": "nvd", "version": "3.0", "vector": "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N", "base": 5.9, "exploitability": 2.2, "impact": 3.6},
    ]
    assert mercurial["nvd_cvss"] == {"base": 5.9, "exploitability": 2.2, "impact": 3.6}
    assert mercurial["urls"][0] == "https://bugzilla.redhat.com/show_bug.cgi?id=CVE-2019-3902"
    # fixedInVersion (a string) instead of fix.versions/fix.state
    ldap = document["vulnerabilities"]["CVE-2020-36221+deb:libldap-2.4-2@2.4.47+dfsg-3+deb10u4"]
    assert ldap["fix"] == {"state": "fixed", "available": True, "versions": ["2.4.47+dfsg-3+deb10u5"]}
    no_fix = [v for v in document["vulnerabilities"].values() if v["fix"]["state"] != "fixed"]
    assert len(no_fix) == 1509 - sum("fixedInVersion" in m["vulnerability"] for m in raw(GRYPE_07)["matches"])
    assert all(v["fix"] == {"state": "unknown", "available": False, "versions": []} for v in no_fix)


def test_legacy_cpe_objects_become_cpe_strings():
    package = extract(corpus(GRYPE_07))["packages"]["python:mercurial@4.8.2"]
    assert package["cpes"][0] == "cpe:2.3:a:mercurial:mercurial:4.8.2:*:*:*:*:python:*:*"
    assert "cpe:2.3:a:*:mercurial:4.8.2:*:*:*:*:*:*:*" in package["cpes"]


def test_capitalised_grype_severities():
    document = extract(corpus(GRYPE_07))
    counts: dict[str, int] = {}
    for vuln in document["vulnerabilities"].values():
        counts[vuln["severity"]] = counts.get(vuln["severity"], 0) + 1
    source: dict[str, int] = {}
    for match in raw(GRYPE_07)["matches"]:
        word = match["vulnerability"]["severity"].lower()
        source[word] = source.get(word, 0) + 1
    assert counts == source == {"negligible": 681, "medium": 613, "low": 107, "unknown": 76, "high": 32}


def test_upper_case_trivy_severities():
    document = extract(corpus(TRIVY_DEBIAN))
    source = {f"{v['VulnerabilityID']}:{v['PkgName']}": v["Severity"] for r in raw(TRIVY_DEBIAN)["Results"] for v in r["Vulnerabilities"]}
    assert {"LOW", "MEDIUM"} == set(source.values())
    got = {f"{v['id']}:{v['package']['name']}": v["severity"] for v in document["vulnerabilities"].values()}
    assert got == {key: word.lower() for key, word in source.items()}


def test_epoch_versions():
    document = extract(corpus(GRYPE_096))
    vuln = document["vulnerabilities"]["CVE-2023-3341+rpm:bind-libs@32:9.11.36-5.el8_7.2"]
    assert vuln["fix"]["versions"] == ["32:9.11.36-8.el8_8.2"]
    assert document["packages"]["rpm:bind-libs@32:9.11.36-5.el8_7.2"]["source_name"] == "bind"
    # Trivy writes the epoch in the version and in the purl: folded once, not twice.
    trivy = extract(corpus(TRIVY_CENTOS))
    assert "rpm:openssl-libs@1:1.0.2k-16.el7" in trivy["packages"]
    assert trivy["vulnerabilities"]["CVE-2018-0734+rpm:openssl-libs@1:1.0.2k-16.el7"]["fix"]["versions"] == ["1:1.0.2k-19.el7"]


def test_epoch_kept_aside_is_folded_into_the_version(write_json):
    """Older Syft wrote rpm versions without the epoch and kept it in metadata; the key is the same."""
    report = copy.deepcopy(raw(GRYPE_096))
    report["matches"] = [m for m in report["matches"] if m["artifact"]["name"] == "bind-libs"]
    for match in report["matches"]:
        match["artifact"]["version"] = match["artifact"]["version"].removeprefix("32:")
        assert match["artifact"]["metadata"]["epoch"] == 32
    document = extract(write_json(report))
    assert set(document["packages"]) == {"rpm:bind-libs@32:9.11.36-5.el8_7.2"}


def test_base64_image_config_inside_syft_source():
    target = raw(SYFT_015)["source"]["target"]
    config = json.loads(base64.b64decode(target["config"]))
    image = extract(corpus(SYFT_015))["image"]
    assert image["cmd"] == config["config"]["Cmd"] == ["/bin/sh"]
    assert image["env"] == {"PATH": {"name": "PATH", "value": config["config"]["Env"][0].split("=", 1)[1]}}
    assert image["created"] == config["created"].replace("+00:00", "Z")
    assert [layer["digest"] for layer in image["layers"]] == config["rootfs"]["diff_ids"]
    manifest = json.loads(base64.b64decode(target["manifest"]))
    assert image["layers"][0]["blob_size"] == manifest["layers"][0]["size"]
    assert image["layers"][0]["size"] == target["layers"][0]["size"]
    assert image["id"] == target["imageID"] == manifest["config"]["digest"]


def test_base64_image_config_in_schema_16_metadata():
    metadata = raw(SYFT_16)["source"]["metadata"]
    config = json.loads(base64.b64decode(metadata["config"]))
    image = extract(corpus(SYFT_16))["image"]
    assert image["cmd"] == config["config"]["Cmd"]
    assert image["architecture"] == config["architecture"]
    assert image["distro"] == {"name": "alpine", "version": "3.17.2", "pretty_name": raw(SYFT_16)["distro"]["prettyName"]}


@pytest.mark.parametrize("value, words", [
    ("not base64!", "is not base64-encoded"),
    (base64.b64encode(b"{truncated").decode(), "does not decode to a JSON document"),
])
def test_broken_embedded_config_names_the_field(write_json, value, words):
    report = copy.deepcopy(raw(SYFT_015))
    report["source"]["target"]["config"] = value
    with pytest.raises(InputError) as caught:
        extract(write_json(report))
    assert caught.value.pointer == "/source/target/config"
    assert words in caught.value.message


def test_empty_fix_state_is_unknown():
    source = raw(GRYPE_094)
    document = extract(corpus(GRYPE_094))
    assert sum(m["vulnerability"]["fix"]["state"] == "" for m in source["matches"]) == 14
    states = sorted(v["fix"]["state"] for v in document["vulnerabilities"].values())
    assert states == ["fixed"] + ["unknown"] * 14
    fixed = document["vulnerabilities"]["CVE-2021-42376+binary:busybox@1.32.1"]
    assert fixed["fix"] == {"state": "fixed", "available": True, "versions": ["1.34.0"]}


def test_epss_and_risk():
    vuln = extract(corpus(GRYPE_094))["vulnerabilities"]["CVE-2022-28391+binary:busybox@1.32.1"]
    assert vuln["epss"] == {"score": 0.0719, "percentile": 0.91123, "date": "2025-06-18T00:00:00Z"}
    assert vuln["risk"] == pytest.approx(5.620183333333334)
    assert vuln["severity"] == "high"


def test_newest_grype_fix_availability_dates_and_kev(write_json):
    """Newer Grype adds `fix.available` (versions with dates) and `knownExploited`."""
    report = copy.deepcopy(raw(GRYPE_094))
    vuln = report["matches"][0]["vulnerability"]
    vuln["fix"] = {"versions": ["1.35.0"], "state": "fixed",
                   "available": [{"version": "1.35.0", "date": "2022-03-01", "kind": "first-observed"}]}
    vuln["knownExploited"] = [{"cve": vuln["id"], "vendorProject": "BusyBox", "dateAdded": "2023-01-01"}]
    key = f"{vuln['id']}+binary:busybox@1.32.1"
    document = extract(write_json(report))
    assert document["vulnerabilities"][key]["fix"] == {
        "state": "fixed", "available": True, "versions": ["1.35.0"], "date": "2022-03-01T00:00:00Z"}
    assert document["vulnerabilities"][key]["kev"] is True
    assert sum("kev" in v for v in document["vulnerabilities"].values()) == 1


def test_syft_file_modes_are_octal_digits():
    source = raw(SYFT_16)
    document = extract(corpus(SYFT_16))
    busybox = next(f for f in source["files"] if f["location"]["path"] == "/bin/busybox")
    assert busybox["metadata"]["mode"] == 755
    entry = document["files"]["/bin/busybox"]
    assert (entry["mode"], entry["setuid"], entry["type"]) == (0o755, False, "file")
    assert entry["sha256"] == next(d["value"] for d in busybox["digests"] if d["algorithm"] == "sha256")


def test_setuid_from_syft_mode(write_json):
    report = copy.deepcopy(raw(SYFT_16))
    report["files"][0]["metadata"]["mode"] = 4755
    path = report["files"][0]["location"]["path"]
    entry = extract(write_json(report))["files"][path]
    assert (entry["mode"], entry["setuid"], entry["setgid"]) == (0o4755, True, False)


def test_syft_files_without_metadata_have_unknown_type():
    files = extract(corpus("syft/kubescape-storage_nginx-debian12_syft-0.85.0.json"))["files"]
    assert {entry["type"] for entry in files.values()} == {"unknown"}


def test_old_and_new_syft_distro_shapes():
    assert raw(SYFT_015)["distro"]["idLike"] == ""
    assert extract(corpus(SYFT_015))["image"]["distro"] == {"name": "alpine", "version": "3.13.5"}
    nginx = extract(corpus("syft/kubescape-storage_nginx-debian12_syft-0.85.0.json"))["image"]["distro"]
    assert nginx == {"name": "debian", "version": "12", "pretty_name": "Debian GNU/Linux 12 (bookworm)"}


def test_debian_license_names_become_spdx_ids():
    adduser = extract(corpus("syft/kubescape-storage_nginx-debian12_syft-0.85.0.json"))["packages"]["deb:adduser@3.134"]
    assert adduser["licenses"] == ["GPL-2.0-only", "GPL-2.0-or-later"]
    tzdata = extract(corpus(GRYPE_07))["packages"]
    assert "GPL-3.0-or-later" in tzdata["deb:libgnutls30@3.6.7-4+deb10u5"]["licenses"]


def test_related_vulnerabilities_are_aliases():
    vuln = extract(corpus(GRYPE_096))["vulnerabilities"]["CVE-2023-39410+java-archive:avro@1.11.1"]
    assert vuln["aliases"] == ["GHSA-rhrv-645h-fjfh"]


def test_trivy_legacy_list_of_results(write_json):
    """Trivy before SchemaVersion 2 wrote the results list alone."""
    legacy = raw(TRIVY_DEBIAN)["Results"]
    document = extract(write_json(legacy))
    assert set(document["vulnerabilities"]) == set(extract(corpus(TRIVY_DEBIAN))["vulnerabilities"])
    assert document["image"] == {} and document["sources"][0]["format"] == "trivy-json"


def test_trivy_zero_time_and_empty_image_config_say_nothing():
    assert raw("trivy/defectdojo_fs_misconfig_secrets.json")["Metadata"]["ImageConfig"]["created"] == "0001-01-01T00:00:00Z"
    assert extract(corpus("trivy/defectdojo_fs_misconfig_secrets.json"))["image"] == {}


def test_unredacted_trivy_secret_is_masked(write_json):
    secret = "AKIAIOSFODNN7EXAMPLE"
    report = copy.deepcopy(raw("trivy/defectdojo_fs_misconfig_secrets.json"))
    report["Results"][3]["Secrets"][0].update(Match=f"AWS_ACCESS_KEY_ID={secret}", RuleID="aws-access-key-id")
    document = extract(write_json(report))
    found = document["secrets"]["aws-access-key:secret.txt:1"]
    assert secret not in json.dumps(document)
    # Nothing marks where the secret starts, so all of the match but a short prefix is hidden.
    assert found["match"][:4] == "AWS_" and set(found["match"][4:]) == {"*"}


def test_trivy_layers_and_sizes():
    image = extract(corpus(TRIVY_CENTOS))["image"]
    meta = raw(TRIVY_CENTOS)["Metadata"]
    assert image["layers"][0]["blob_digest"] == meta["Layers"][0]["Digest"]
    assert image["layers"][0]["size"] == meta["Layers"][0]["Size"]
    assert image["labels"]["org.label-schema.license"]["value"] == "GPLv2"
    assert image["distro"] == {"name": "centos", "version": "7.6.1810"}
    assert image["reference"] == "ghcr.io/aquasecurity/trivy-test-images:centos-7"
