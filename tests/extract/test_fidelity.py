"""Facts regate once got wrong on real files (issue #9, "Wrong facts"), asserted against the source files.

Every expected value is read from the raw file here, independently of the adapters.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from corpus_helpers import corpus, extract, raw
from regate.errors import InputError
from regate.extract.adapters.normalize import distro_entry, severity
from regate.extract.base import ExtractOptions
from regate.extract.adapters.licenses import normalize_license
from regate.extract.document import build_document
from regate.extract.drift import changes
from regate.extract.registry import extract_json, extract_path

TRIVY_CDX = "trivy/defectdojo_ubuntu-latest_trivy-0.48.1_cyclonedx-1.5.json"
TRIVY_LICENSES = "trivy/defectdojo_alpine-3.11_trivy_license-scan.json"
KO_INDEX = "ko/guac_ko-0.12.0_index-amd64-arm64_spdx-2.2.json"
MANIFEST_LIST = "image-config/anchore-engine_nginx_manifest_list.json"
PODMAN = "image-config/podman_fedora-34_image-inspect.extracted.json"
ANCHORE_ALPINE = "anchore-outputs/anchore-engine_export_alpine-3.5.2.pruned.json"
SYFT_ALPINE = "syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json"
GRYPE_ALPINE_INDEX = "grype/kubevuln_alpine-3.17.2_grype_index-digest.json"
SPDX_ALPINE = "syft/guac_alpine-latest_syft-0.57.0_spdx-2.2.json"
CDX_ALPINE = "syft/guac_alpine-latest_syft-0.58.0_cyclonedx-1.4.json"
SYFT_ALPINE_015 = "syft/anchore-engine_alpine-latest_syft-0.15.2.json"
SYFT_NGINX = "syft/kubescape-storage_nginx-debian12_syft-0.85.0.json"
SYFT_09 = "syft/syft-repo_fixture-image-simple_syft-0.9-golden.json"
TRIVY_SPDX_CENTOS = "trivy/trivy-repo_centos-7_spdx-2.2.json"
TRIVY_CDX_CENTOS = "trivy/trivy-repo_centos-7_cyclonedx-1.5.json"
TRIVY_JSON_CENTOS = "trivy/trivy-repo_centos-7_golden.json"


def _extraction(name: str, platform: str = ""):
    return extract_path(corpus(name), ExtractOptions(platform=platform))


def _purl_qualifiers(purl: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, unquote

    base, _, query = purl.partition("?")
    return {"version": unquote(base.rpartition("@")[2]), **dict(parse_qsl(query))}


# ---------------------------------------------------------------- CycloneDX severity


def test_cyclonedx_severity_is_the_records_own_sources_rating():
    source = raw(TRIVY_CDX)
    document = extract(corpus(TRIVY_CDX))
    declared = {c["bom-ref"] for c in source["components"]}
    checked = first_alphabetical_differs = 0
    for vuln in source["vulnerabilities"]:
        own = [r for r in vuln["ratings"] if r["source"]["name"] == vuln["source"]["name"]]
        assert own, vuln["id"]  # every record of this file is rated by its own source
        first = severity(vuln["ratings"][0]["severity"])
        first_alphabetical_differs += first != severity(own[0]["severity"])
        for affected in vuln["affects"]:
            if affected["ref"] not in declared:
                continue
            found = [v for v in document["vulnerabilities"].values()
                     if v["id"] == vuln["id"] and v["package"]["purl"] == affected["ref"]]
            assert [v["severity"] for v in found] == [severity(own[0]["severity"])], vuln["id"]
            checked += 1
    assert checked >= 10 and first_alphabetical_differs >= 5


def test_cyclonedx_keeps_the_nvd_and_vendor_scores_beside_the_chosen_severity():
    source = raw(TRIVY_CDX)
    vuln = next(v for v in source["vulnerabilities"] if v["id"] == "CVE-2017-11164")
    nvd_v3 = next(r for r in vuln["ratings"] if r["source"]["name"] == "nvd" and r.get("method") == "CVSSv3")
    redhat_v3 = next(r for r in vuln["ratings"] if r["source"]["name"] == "redhat" and r.get("method") == "CVSSv3")
    found = next(v for v in extract(corpus(TRIVY_CDX))["vulnerabilities"].values() if v["id"] == vuln["id"])
    assert found["severity"] == "low"  # ubuntu's; nvd says high, and sorts first
    assert found["nvd_cvss"]["base"] == nvd_v3["score"] and found["vendor_cvss"]["base"] == redhat_v3["score"]
    assert found["namespace"] == vuln["source"]["name"]


def test_cyclonedx_severity_disagreements_are_reported():
    warnings = _extraction(TRIVY_CDX).warnings
    assert any("rated differently by other sources" in w and "own source's severity" in w for w in warnings)


# ---------------------------------------------------------------- image identity in SBOMs


def test_cyclonedx_container_identity_from_name_purl_and_properties():
    component = raw(TRIVY_CDX)["metadata"]["component"]
    props = {p["name"]: p["value"] for p in component["properties"]}
    purl = _purl_qualifiers(component["purl"])
    image = extract(corpus(TRIVY_CDX))["image"]
    assert image["reference"] == "docker.io/library/" + component["name"]
    assert image["tag"] == component["name"].split(":")[1]
    assert image["digest"] == purl["version"]
    assert image["architecture"] == purl["arch"]
    assert image["id"] == props["aquasecurity:trivy:ImageID"]
    assert image["repo_digests"] == [props["aquasecurity:trivy:RepoDigest"]]
    os_component = next(c for c in raw(TRIVY_CDX)["components"] if c["type"] == "operating-system")
    assert image["distro"] == {"name": os_component["name"], "version": os_component["version"]}


def test_spdx_without_an_operating_system_package_takes_the_distro_from_its_purls():
    purls = [ref["referenceLocator"] for p in raw(SPDX_ALPINE)["packages"] for ref in p.get("externalRefs", [])
             if ref["referenceType"] == "purl"]
    distros = {_purl_qualifiers(p)["distro"] for p in purls}
    assert len(distros) == 1
    name, _, version = distros.pop().partition("-")
    assert extract(corpus(SPDX_ALPINE))["image"]["distro"] == {"name": name, "version": version}


# ---------------------------------------------------------------- identity merging


def test_reports_of_one_image_id_merge_although_one_records_the_index_digest():
    sbom, report = raw(SYFT_ALPINE)["source"]["metadata"], raw(GRYPE_ALPINE_INDEX)["source"]["target"]
    assert sbom["imageID"] == report["imageID"] and sbom["manifestDigest"] != report["manifestDigest"]
    document = extract(corpus(SYFT_ALPINE), corpus(GRYPE_ALPINE_INDEX))
    assert document["image"]["id"] == sbom["imageID"]
    assert document["image"]["digest"] == sbom["manifestDigest"]  # the SBOM outranks the report
    assert len(document["vulnerabilities"]) == len(raw(GRYPE_ALPINE_INDEX)["matches"])


def test_sboms_of_different_images_without_ids_are_refused_naming_both():
    with pytest.raises(InputError) as caught:
        extract(corpus(SPDX_ALPINE), corpus(TRIVY_CDX))
    message = caught.value.message
    assert caught.value.path == str(corpus(TRIVY_CDX))
    assert str(corpus(SPDX_ALPINE)) in message and "distribution" in message
    assert "alpine 3.16.2" in message and "ubuntu 22.04" in message


def test_different_image_ids_are_refused():
    with pytest.raises(InputError) as caught:
        extract(corpus(SYFT_ALPINE), corpus(SYFT_ALPINE_015))
    assert "image id" in caught.value.message and raw(SYFT_ALPINE_015)["source"]["target"]["imageID"] in caught.value.message


# ---------------------------------------------------------------- licenses


def test_trivy_license_file_results_keep_the_files_licenses():
    results = raw(TRIVY_LICENSES)["Results"]
    loose = [item for r in results if r["Class"] == "license-file" for item in r["Licenses"]]
    files = extract(corpus(TRIVY_LICENSES))["files"]
    assert {path: entry["licenses"] for path, entry in files.items()} == {item["FilePath"]: [item["Name"]] for item in loose}


def test_trivy_package_licenses_without_packages_are_reported_by_name():
    names = sorted({item["PkgName"] for r in raw(TRIVY_LICENSES)["Results"] for item in r["Licenses"] if item["PkgName"]})
    warnings = _extraction(TRIVY_LICENSES).warnings
    [warning] = [w for w in warnings if "license results" in w]
    assert f"{len(names)} packages" in warning and all(name in warning for name in names)


def test_anchore_export_package_licenses_source_names_and_types():
    report = raw(ANCHORE_ALPINE)[0]["image"]["imagedata"]["analysis_report"]
    versions = report["package_list"]["pkgs.all"]["base"]
    packages = extract(corpus(ANCHORE_ALPINE))["packages"]
    assert len(packages) == len(versions) == 11
    for name, text in report["package_list"]["pkgs.allinfo"]["base"].items():
        info = json.loads(text)
        pkg = packages[f"apk:{name}@{versions[name]}"]
        assert info["type"] == "APKG" and pkg["type"] == "apk"
        assert pkg.get("source_name", name) == info["sourcepkg"]
        assert pkg["licenses"]  # every package states one
    assert packages["apk:busybox@1.25.1-r0"]["licenses"] == ["GPL-2.0-only"]  # "GPL2"
    assert packages["apk:libc-utils@0.7-r1"]["source_name"] == "libc-dev"


def test_anchore_placeholder_checksums_are_no_sha256():
    report = raw(ANCHORE_ALPINE)[0]["image"]["imagedata"]["analysis_report"]
    sums = report["file_checksums"]["files.sha256sums"]["base"]
    files = extract(corpus(ANCHORE_ALPINE))["files"]
    assert sums["/bin/sleep"] == "DIRECTORY_OR_OTHER" and "sha256" not in files["/bin/sleep"]
    assert files["/bin/busybox"]["sha256"] == sums["/bin/busybox"]
    assert all(len(entry.get("sha256", "0" * 64)) == 64 for entry in files.values())


# ---------------------------------------------------------------- multi-platform inputs


def test_multi_platform_spdx_is_refused_with_its_platforms():
    with pytest.raises(InputError) as caught:
        _extraction(KO_INDEX)
    assert "linux/amd64, linux/arm64" in caught.value.message and "--platform" in caught.value.message


@pytest.mark.parametrize("platform", ["linux/amd64", "linux/arm64"])
def test_platform_selects_one_image_of_a_multi_platform_spdx(platform):
    os, arch = platform.split("/")
    expected = next(_purl_qualifiers(ref["referenceLocator"]) for p in raw(KO_INDEX)["packages"]
                    for ref in p["externalRefs"] if f"arch={arch}" in ref["referenceLocator"])
    extraction = _extraction(KO_INDEX, platform)
    image = extraction.facts["image"]
    assert (image["os"], image["architecture"], image["digest"]) == (os, arch, expected["version"])
    assert extraction.facts.get("packages", {}) == {}  # ko lists images only: none is installed software
    assert any("lists 3 images as packages" in w for w in extraction.warnings)


def test_platform_selects_one_manifest_of_a_manifest_list():
    manifests = raw(MANIFEST_LIST)["manifests"]
    arm = next(m for m in manifests if m["platform"]["architecture"] == "arm" and m["platform"].get("variant") == "v7")
    image = _extraction(MANIFEST_LIST, "linux/arm/v7").facts["image"]
    assert image == {"digest": arm["digest"], "os": "linux", "architecture": "arm", "variant": "v7"}


@pytest.mark.parametrize("platform, words", [
    ("", "one for each of 8 platforms"),
    ("linux/arm", "matches 2 of them; add the variant"),
    ("linux/riscv64", "matches none"),
])
def test_manifest_list_without_one_matching_platform_is_refused(platform, words):
    with pytest.raises(InputError) as caught:
        _extraction(MANIFEST_LIST, platform)
    assert words in caught.value.message and "linux/arm64/v8" in caught.value.message


def test_an_input_about_another_platform_is_refused():
    with pytest.raises(InputError) as caught:
        _extraction(PODMAN, "linux/arm64")
    assert "describes platform linux/amd64, not the --platform linux/arm64" in caught.value.message


# ---------------------------------------------------------------- identity fields


def test_podman_inspect_digest_and_bare_id():
    inspected = raw(PODMAN)[0]
    image = extract(corpus(PODMAN))["image"]
    assert image["digest"] == inspected["Digest"]
    assert image["id"] == "sha256:" + inspected["Id"]
    assert image["repo_digests"] == inspected["RepoDigests"]


def test_podman_digest_does_not_depend_on_the_order_of_repo_digests(tmp_path):
    inspected = raw(PODMAN)
    inspected[0]["RepoDigests"].reverse()
    reordered = tmp_path / "reordered.json"
    reordered.write_text(json.dumps(inspected), "utf-8")
    assert extract(reordered)["image"]["digest"] == inspected[0]["Digest"]


def test_os_release_names_written_for_people_become_ids():
    distro = raw(SYFT_NGINX)["distro"]
    # What Grype writes when a distro has no id: os-release NAME and VERSION.
    assert distro_entry(distro["name"], distro["version"]) == {
        "name": distro["id"], "version": distro["versionID"], "pretty_name": f"{distro['name']} {distro['version']}"}
    assert extract(corpus(SYFT_NGINX))["image"]["distro"] == {
        "name": "debian", "version": "12", "pretty_name": distro["prettyName"]}


# ---------------------------------------------------------------- baselines


def test_a_baseline_against_an_input_without_config_reports_no_config_removed():
    baseline = extract(corpus(SYFT_ALPINE_015))
    assert {"effective_user", "cmd", "env"} <= set(baseline["image"])
    document = extract(corpus(CDX_ALPINE), baseline=baseline)
    image_changes = [change for change in document["changes"] if change["path"].startswith("/image/")]
    assert [c["op"] for c in image_changes] == ["replace"]  # only the distro version differs: 3.13.5 → 3.16.2
    assert image_changes[0]["path"] == "/image/distro/version"


def test_a_config_field_left_out_of_a_config_that_was_read_is_removed():
    baseline = extract(corpus(SYFT_ALPINE_015))
    current = json.loads(json.dumps(baseline))
    del current["image"]["cmd"]  # the config was read (effective_user is there) and sets no Cmd
    assert changes(baseline, current) == [{"op": "remove", "path": "/image/cmd"}]
    del current["image"]["effective_user"]  # no config read at all: nothing about it is stated
    assert changes(baseline, current) == []


def test_syft_before_schema_1_gives_its_digest_size_and_layers_to_compare():
    target = raw(SYFT_09)["source"]["target"]
    assert "imageID" not in target
    image = extract(corpus(SYFT_09))["image"]
    assert (image["digest"], image["size"]) == (target["digest"], target["size"])
    assert [layer["digest"] for layer in image["layers"]] == [layer["digest"] for layer in target["layers"]]
    with pytest.raises(InputError) as caught:
        extract(corpus(SYFT_09), corpus(GRYPE_ALPINE_INDEX))
    assert "describes image layers" in caught.value.message and str(corpus(SYFT_09)) in caught.value.message


def test_trivy_cyclonedx_layers_are_compared_too():
    props = [p["value"] for p in raw(TRIVY_CDX)["metadata"]["component"]["properties"] if p["name"] == "aquasecurity:trivy:DiffID"]
    assert [layer["digest"] for layer in extract(corpus(TRIVY_CDX))["image"]["layers"]] == props


@pytest.mark.parametrize("name", [TRIVY_SPDX_CENTOS, TRIVY_CDX_CENTOS])
def test_trivy_sbom_named_by_an_archive_path_keeps_the_images_identity(name):
    document = raw(name)
    if "packages" in document:
        container = next(p for p in document["packages"] if p["SPDXID"].startswith("SPDXRef-ContainerImage"))
        stated = dict(text.split(": ", 1) for text in container["attributionTexts"])
    else:
        container = document["metadata"]["component"]
        stated = {p["name"].split(":")[-1]: p["value"] for p in container["properties"]}
    assert container["name"].endswith(".tar.gz")  # the archive Trivy read, which names no image
    image = extract(corpus(name))["image"]
    registry, _, rest = stated["Reference"].partition("/")
    assert (image["registry"], image["repository"], image["tag"]) == (registry, *rest.split(":"))
    assert image["id"] == stated["ImageID"]
    assert [layer["digest"] for layer in image["layers"]] == [stated["DiffID"]]
    assert image["distro"] == {"name": "centos", "version": "7.6.1810"}


def test_trivy_outputs_of_one_image_merge_on_its_id():
    golden = raw(TRIVY_JSON_CENTOS)["Metadata"]["ImageID"]
    document = extract(corpus(TRIVY_SPDX_CENTOS), corpus(TRIVY_CDX_CENTOS), corpus(TRIVY_JSON_CENTOS))
    assert document["image"]["id"] == golden
    assert not any(key.startswith("unknown:centos") for key in document["packages"])  # the OS is no package


def test_licenses_known_by_package_name_go_to_other_inputs_packages_of_that_name():
    """The name matching alone: both inputs' image facts are set aside, as they describe two alpine releases."""
    scan, sbom = _extraction(TRIVY_LICENSES), _extraction(SYFT_ALPINE)
    scan.facts["image"], sbom.facts["image"] = {}, {}
    by_name: dict[str, set[str]] = {}
    for result in raw(TRIVY_LICENSES)["Results"]:
        for item in result["Licenses"]:
            if item["PkgName"]:
                by_name.setdefault(item["PkgName"], set()).add(normalize_license(item["Name"])[0])
    packages = build_document([sbom, scan])["packages"]
    shared = [pkg for pkg in packages.values() if pkg["name"] in by_name]
    assert len(shared) >= 5
    for pkg in shared:
        assert by_name[pkg["name"]] <= set(pkg["licenses"]), pkg["key"]
    assert all(pkg["name"] in by_name or pkg.get("licenses") == sbom.facts["packages"][pkg["key"]].get("licenses")
               for pkg in packages.values())


def test_without_its_own_sources_rating_the_images_distribution_rates_the_record(tmp_path):
    """Derived from the real file: the record's own source no longer names a rating source."""
    bom = raw(TRIVY_CDX)
    vuln = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2017-11164")
    vuln["source"]["name"] = "ghsa"
    ubuntu = next(r["severity"] for r in vuln["ratings"] if r["source"]["name"] == "ubuntu")
    assert {r["severity"] for r in vuln["ratings"]} == {"high", "low"} and vuln["ratings"][0]["severity"] == "high"
    derived = tmp_path / "derived.json"
    derived.write_text(json.dumps(bom), "utf-8")
    found = next(v for v in extract(derived)["vulnerabilities"].values() if v["id"] == vuln["id"])
    assert found["severity"] == ubuntu == "low"


def test_platform_keeps_only_what_the_chosen_platforms_image_contains():
    """Derived from the real ko index SBOM: each platform image CONTAINS its own musl, as a merged
    multi-platform document relates them; one unrelated package belongs to no platform."""
    bom = raw(KO_INDEX)
    images = {_purl_qualifiers(ref["referenceLocator"]).get("arch"): p["SPDXID"] for p in bom["packages"]
              for ref in p["externalRefs"] if "arch=" in ref["referenceLocator"]}
    for index, arch in enumerate(["amd64", "arm64", "amd64", "arm64"]):
        bom["packages"].append({"SPDXID": f"SPDXRef-musl-{index}", "name": "musl", "versionInfo": f"1.{index}"})
        bom["relationships"].append({"spdxElementId": images[arch], "relationshipType": "CONTAINS",
                                     "relatedSpdxElement": f"SPDXRef-musl-{index}"})
    bom["packages"].append({"SPDXID": "SPDXRef-shared", "name": "shared", "versionInfo": "1"})
    extraction = extract_json(bom, "derived.json", "linux/arm64")
    assert sorted(extraction.facts["packages"]) == ["unknown:musl@1.1", "unknown:musl@1.3", "unknown:shared@1"]
    assert "--platform linux/arm64: 2 elements of the other platforms' images are left out" in extraction.warnings


SBOMER_CDX = "syft/sbomer_ose-ccm-operator_syft-1.27.1_cyclonedx-1.6.json"


def test_cyclonedx_container_named_without_tag_is_no_latest():
    component = raw(SBOMER_CDX)["metadata"]["component"]
    assert ":" not in component["name"].rsplit("/", 1)[1]
    image = extract(corpus(SBOMER_CDX))["image"]
    assert "tag" not in image and image["digest"] == component["version"]
    assert image["reference"] == f"{component['name']}@{component['version']}"


def test_cyclonedx_version_that_is_a_tag_becomes_the_tag(tmp_path):
    """Derived from the real Syft CycloneDX: the version holds the image's tag (its `version` label), as
    generators other than Syft write it, instead of the digest."""
    bom = raw(SBOMER_CDX)
    labels = {p["name"].removeprefix("syft:image:labels:"): p["value"] for p in bom["metadata"]["properties"]}
    bom["metadata"]["component"]["version"] = labels["version"]
    derived = tmp_path / "derived.json"
    derived.write_text(json.dumps(bom), "utf-8")
    image = extract(derived)["image"]
    assert image["tag"] == labels["version"] == "v4.14.0"
    assert image["reference"] == f"{bom['metadata']['component']['name']}:v4.14.0"


def test_cyclonedx_syft_image_labels_are_the_images_labels():
    labels = {p["name"].removeprefix("syft:image:labels:"): p["value"] for p in raw(SBOMER_CDX)["metadata"]["properties"]
              if p["name"].startswith("syft:image:labels:")}
    image = extract(corpus(SBOMER_CDX))["image"]
    assert {name: entry["value"] for name, entry in image["labels"].items()} == labels


def test_spdx_document_name_names_the_image_when_the_package_does_not(tmp_path):
    """Derived from Trivy's real SPDX: the container package keeps only its archive-path name; the
    document is named after the image, as Trivy names documents of registry images."""
    bom = raw(TRIVY_SPDX_CENTOS)
    container = next(p for p in bom["packages"] if p["SPDXID"].startswith("SPDXRef-ContainerImage"))
    stated = dict(text.split(": ", 1) for text in container["attributionTexts"])
    container["attributionTexts"] = [t for t in container["attributionTexts"] if not t.startswith(("Reference:", "RepoTag:"))]
    bom["name"] = stated["Reference"]
    derived = tmp_path / "derived.json"
    derived.write_text(json.dumps(bom), "utf-8")
    assert extract(derived)["image"]["reference"] == stated["Reference"]


def test_skopeo_output_and_the_sbom_of_the_same_image_merge():
    skopeo = raw("skopeo/sbomer_ose-ccm-operator_skopeo-inspect.json")
    document = extract(corpus("skopeo/sbomer_ose-ccm-operator_skopeo-inspect.json"), corpus(SBOMER_CDX))
    assert document["image"]["digest"] == skopeo["Digest"] == raw(SBOMER_CDX)["metadata"]["component"]["version"]
    assert {name: e["value"] for name, e in document["image"]["env"].items()} == dict(v.split("=", 1) for v in skopeo["Env"])
    assert len(document["packages"]) == 7


def test_platform_selects_one_manifest_of_an_oci_index():
    index = "image-config/trivy-repo_oci-index_amd64-arm.json"
    arm = next(m for m in raw(index)["manifests"] if m["platform"]["architecture"] == "arm")
    image = _extraction(index, "linux/arm").facts["image"]
    assert image == {"digest": arm["digest"], "os": "linux", "architecture": "arm"}


def test_skopeo_output_or_a_manifest_alone_is_no_image_config(tmp_path):
    """They state env, labels or layers, but not the user: a rule on the user is unavailable, never a silent pass."""
    for name in ("skopeo/sbomer_ose-ccm-operator_skopeo-inspect.json", "image-config/trivy-repo_hello_oci-manifest.json"):
        assert extract(corpus(name))["coverage"]["image_config"]["sources"] == []
    assert extract(corpus("image-config/trivy-repo_hello_oci-config.json"))["coverage"]["image_config"]["sources"] != []
    policy = tmp_path / "root.regate"
    policy.write_text('policy "users" {\n  rule runs_as_root stop {\n    title "runs as root"\n'
                      '    when image.effective_user == "root"\n    message "runs as root"\n  }\n}\n')
    done = subprocess.run([sys.executable, "-c", "from regate.cli import main; main()", "check", "--policy", str(policy),
                           "--require", "image_config", str(corpus("skopeo/sbomer_ose-ccm-operator_skopeo-inspect.json"))],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "no source provided image_config" in done.stdout, done.stdout + done.stderr


def test_an_anchore_report_that_found_nothing_covers_vulnerabilities():
    name = "anchore-reports/defectdojo_anchore-cli_image-vuln_none.json"
    assert raw(name)["vulnerabilities"] == []
    coverage = extract(corpus(name))["coverage"]["vulnerabilities"]
    assert coverage["sources"] == [f"anchore-vulnerabilities:{corpus(name)}"]
