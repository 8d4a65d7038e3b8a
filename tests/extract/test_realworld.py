"""Every real-world file extracts into a schema-valid document whose counts match the source.

Counts are computed here from the raw files, independently of the adapters.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from corpus_helpers import corpus, extract, raw
from regate.errors import InputError
from regate.extract.base import ExtractOptions
from regate.extract.registry import extract_path

# The corpus and what each file is: cases/corpus.yaml (test_corpus.py checks it covers every file).
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "corpus.yaml").read_text("utf-8"))
EXTRACTED = sorted(name for name, case in CASES.items() if "format" in case)
REFUSED = {name: case["refused"] for name, case in CASES.items() if "refused" in case}


@pytest.mark.parametrize("name", EXTRACTED)
def test_corpus_file_extracts_into_a_valid_document(name):
    document = extract(corpus(name))
    assert document["schema_version"] == 1
    assert [source["path"] for source in document["sources"]] == [str(corpus(name))]
    assert document["changes"] == [] and document["baseline"] is None


@pytest.mark.parametrize("name", EXTRACTED)
def test_extraction_is_deterministic(name):
    first = json.dumps(extract(corpus(name)), sort_keys=True)
    assert json.dumps(extract(corpus(name)), sort_keys=True) == first


@pytest.mark.parametrize("name, words", sorted(REFUSED.items()))
def test_non_analysis_files_are_refused_with_the_reason(name, words):
    with pytest.raises(InputError) as caught:
        extract_path(corpus(name), ExtractOptions())
    assert words in caught.value.message
    assert caught.value.path == str(corpus(name))


@pytest.mark.parametrize("name", [n for n in EXTRACTED if n.startswith("syft/") and "artifacts" in raw(n)])
def test_syft_package_and_file_counts(name):
    source = raw(name)
    document = extract(corpus(name))
    expected = {f"{a['type']}:{a['name']}@{a['version']}" for a in source["artifacts"]}
    assert set(document["packages"]) == expected
    assert set(document["files"]) == {f["location"]["path"] for f in source.get("files", [])}


def test_syft_counts_in_numbers():
    # Hand-checked against the files: artifacts and files[] entries are all distinct.
    assert len(extract(corpus("syft/kubescape-storage_nginx-debian12_syft-0.85.0.json"))["packages"]) == 150
    assert len(extract(corpus("syft/kubescape-storage_nginx-debian12_syft-0.85.0.json"))["files"]) == 3390
    assert len(extract(corpus("syft/anchore-engine_alpine-latest_syft-0.15.2.json"))["packages"]) == 14
    assert len(extract(corpus("syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json"))["packages"]) == 15


@pytest.mark.parametrize("name", [n for n in EXTRACTED if n.startswith("grype/") and "matches" in raw(n)])
def test_grype_counts(name):
    source = raw(name)
    document = extract(corpus(name))
    packages = {f"{m['artifact']['type']}:{m['artifact']['name']}@{m['artifact']['version']}" for m in source["matches"]}
    vulns = {f"{m['vulnerability']['id']}+{m['artifact']['type']}:{m['artifact']['name']}@{m['artifact']['version']}" for m in source["matches"]}
    assert set(document["packages"]) == packages
    assert set(document["vulnerabilities"]) == vulns


def test_grype_07_has_1509_distinct_matches():
    """1509 matches → 1509 keys: each match pairs a different vulnerability with a different
    package (the report lists no package twice under one CVE), over 178 distinct packages."""
    source = raw("grype/defectdojo_python-3.6_grype-0.7.0_1509matches.json")
    document = extract(corpus("grype/defectdojo_python-3.6_grype-0.7.0_1509matches.json"))
    assert len(source["matches"]) == 1509
    assert len(document["vulnerabilities"]) == 1509
    assert len(document["packages"]) == 178


def test_trivy_counts():
    for name, family_types in [
        ("trivy/defectdojo_example-app-debian10.13_trivy-schema2.json", {"debian": "deb"}),
        ("trivy/trivy-repo_centos-7_golden.json", {"centos": "rpm"}),
        ("trivy/defectdojo_fs_misconfig_secrets.json", {"pip": "python"}),
    ]:
        source = raw(name)
        document = extract(corpus(name))
        vulns = {
            f"{v['VulnerabilityID']}+{family_types[r['Type']]}:{v['PkgName']}@{v['InstalledVersion']}"
            for r in source["Results"] for v in r.get("Vulnerabilities", [])
        }
        assert set(document["vulnerabilities"]) == vulns, name
        secrets = [s for r in source["Results"] for s in r.get("Secrets", [])]
        misconfigs = [m for r in source["Results"] for m in r.get("Misconfigurations", [])]
        assert len(document["secrets"]) == len(secrets)
        assert len(document["misconfigurations"]) == len(misconfigs)
    assert len(extract(corpus("trivy/defectdojo_example-app-debian10.13_trivy-schema2.json"))["vulnerabilities"]) == 13


def test_trivy_secrets_and_misconfigurations():
    document = extract(corpus("trivy/defectdojo_fs_misconfig_secrets.json"))
    assert document["secrets"] == {
        "github-token:Dockerfile:24": {
            "kind": "github-token", "path": "Dockerfile", "line": 24, "match": "ENV GITHUB_PAT=*****",
            "severity": "critical", "title": "GitHub Personal Access Token", "source": "trivy", "location": "file",
        },
        "github-token:secret.txt:1": {
            "kind": "github-token", "path": "secret.txt", "line": 1, "match": "GITHUB_PAT=*****",
            "severity": "critical", "title": "GitHub Personal Access Token", "source": "trivy", "location": "file",
        },
    }
    misconfig = document["misconfigurations"]["DS002:Dockerfile"]
    assert (misconfig["severity"], misconfig["status"], misconfig["type"]) == ("high", "fail", "Dockerfile Security Check")
    # A filesystem scan says nothing about an image: no effective user is invented.
    assert document["image"] == {}


def test_cyclonedx_counts():
    name = "syft/guac_alpine-latest_syft-0.58.0_cyclonedx-1.4.json"
    source = raw(name)
    document = extract(corpus(name))
    expected = set()
    for component in source["components"]:
        if component["type"] == "operating-system":
            continue
        kind = next(p["value"] for p in component["properties"] if p["name"] == "syft:package:type")
        expected.add(f"{kind}:{component['name']}@{component['version']}")
    assert set(document["packages"]) == expected and len(expected) == 14
    pretty = next(p["value"] for p in source["components"][-1]["properties"] if p["name"] == "syft:distro:prettyName")
    assert document["image"]["distro"] == {"name": "alpine", "version": "3.16.2", "pretty_name": pretty}
    assert document["image"]["reference"] == "docker.io/library/alpine:latest"
    assert document["image"]["digest"] == source["metadata"]["component"]["version"]
    layer = next(p["value"] for p in source["components"][0]["properties"] if p["name"] == "syft:location:0:layerID")
    first = document["packages"][f"apk:{source['components'][0]['name']}@{source['components'][0]['version']}"]
    assert first["layer"] == layer and first["locations"] == ["/lib/apk/db/installed"]


def test_spdx_counts():
    name = "syft/guac_alpine-latest_syft-0.57.0_spdx-2.2.json"
    source = raw(name)
    document = extract(corpus(name))
    assert set(document["packages"]) == {f"apk:{p['name']}@{p['versionInfo']}" for p in source["packages"]}
    assert set(document["files"]) == {f["fileName"] for f in source["files"]}
    busybox = document["files"]["/bin/busybox"]
    assert busybox["layer"] == "sha256:994393dc58e7931862558d06e46aa2bb17487044f670f310dffe1d24e4d1eec7"


def test_anchore_export():
    name = "anchore-outputs/anchore-engine_export_busybox.json"
    source = raw(name)
    document = extract(corpus(name))
    report = source[0]["image"]["imagedata"]["analysis_report"]
    assert set(document["packages"]) == {f"binary:{n}@{v}" for n, v in report["package_list"]["pkgs.all"]["base"].items()}
    assert len(document["files"]) == len(report["file_list"]["files.allinfo"]["base"]) == 400
    files = document["files"]
    assert (files["/tmp"]["type"], files["/tmp"]["mode"]) == ("dir", 0o1777)
    assert (files["/etc/shadow"]["type"], files["/etc/shadow"]["mode"]) == ("file", 0o664)
    assert (files["/etc/mtab"]["type"], files["/etc/mtab"]["link_target"]) == ("symlink", "/proc/mounts")
    assert files["/bin/sleep"]["sha256"] == report["file_checksums"]["files.sha256sums"]["base"]["/bin/sleep"]
    image = document["image"]
    assert image["id"] == "sha256:c75bebcdd211f41b3a460c7bf82970ed6c75acaab9cd4c9a4e125b03ca113798"
    assert image["distro"] == {"name": "busybox", "version": "v1.26.2", "like": ["busybox"]}
    assert image["layers"] == [{
        "index": 0, "digest": "sha256:4ac76077f2c741c856a2419dfdb0804b18e48d2e1a9ce9c6a3f0605a2078caba",
        "size": 1106304, "created_by": source[0]["image"]["imagedata"]["image_report"]["docker_history"][1]["CreatedBy"],
    }]
    assert [h["created"] for h in image["history"]] == ["2017-05-15T22:15:25Z", "2017-05-15T22:15:45Z"]


def test_docker_inspect():
    document = extract(corpus("image-config/anchore-engine_busybox_docker-inspect.extracted.json"))
    assert document["image"] == {
        "architecture": "amd64", "os": "linux", "created": "2017-05-15T22:15:45.515786084Z",
        "effective_user": "root",
        "env": {"PATH": {"name": "PATH", "value": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
        "cmd": ["sh"],
        "layers": [{"index": 0, "digest": "sha256:4ac76077f2c741c856a2419dfdb0804b18e48d2e1a9ce9c6a3f0605a2078caba"}],
        "registry": "docker.io", "repository": "library/busybox", "tag": "latest", "reference": "docker.io/library/busybox:latest",
        "repo_digests": ["busybox@sha256:c79345819a6882c31b41bc771d9a94fc52872fa651b36771fbe0c8461d7ee558"],
        "digest": "sha256:c79345819a6882c31b41bc771d9a94fc52872fa651b36771fbe0c8461d7ee558",
        "id": "sha256:c75bebcdd211f41b3a460c7bf82970ed6c75acaab9cd4c9a4e125b03ca113798",
        "size": 1106304,
    }


@pytest.mark.parametrize("name", [
    "image-config/anchore-engine_nginx-1.19.5_image_config.json",
    "image-config/kubevuln_nginx-latest-arm64_config-blob.decoded.json",
])
def test_image_config_blob(name):
    blob = raw(name)
    image = extract(corpus(name))["image"]
    assert image["exposed_ports"] == {"80/tcp": {"port": 80, "protocol": "tcp", "spec": "80/tcp"}}
    assert image["stop_signal"] == "SIGQUIT" and image["effective_user"] == "root" and "user" not in image
    assert image["entrypoint"] == ["/docker-entrypoint.sh"] and image["cmd"] == ["nginx", "-g", "daemon off;"]
    assert [layer["digest"] for layer in image["layers"]] == blob["rootfs"]["diff_ids"]
    non_empty = [h["created_by"] for h in blob["history"] if not h.get("empty_layer")]
    assert [layer["created_by"] for layer in image["layers"]] == non_empty
    assert len(image["history"]) == len(blob["history"])
    assert image["env"]["NGINX_VERSION"]["value"] == blob["config"]["Env"][1].split("=", 1)[1]


def test_image_manifest_gives_the_image_id_and_layer_blobs():
    manifest = raw("image-config/kubevuln_nginx-latest-arm64_manifest.decoded.json")
    image = extract(corpus("image-config/kubevuln_nginx-latest-arm64_manifest.decoded.json"))["image"]
    assert image["id"] == manifest["config"]["digest"]
    assert [(layer["blob_digest"], layer["blob_size"]) for layer in image["layers"]] == [
        (layer["digest"], layer["size"]) for layer in manifest["layers"]
    ]


def test_manifest_and_config_of_one_image_merge():
    """The kubevuln manifest and config blob were decoded from one Syft document: one image."""
    image = extract(
        corpus("image-config/kubevuln_nginx-latest-arm64_manifest.decoded.json"),
        corpus("image-config/kubevuln_nginx-latest-arm64_config-blob.decoded.json"),
    )["image"]
    assert image["architecture"] == "arm64"
    assert all({"digest", "blob_digest", "blob_size", "created_by"} <= set(layer) for layer in image["layers"])


def test_grype_image_and_distro():
    image = extract(corpus("grype/defectdojo_xjoin-kafka-connect-strimzi_rhel8.7_grype-0.96.0.json"))["image"]
    target = raw("grype/defectdojo_xjoin-kafka-connect-strimzi_rhel8.7_grype-0.96.0.json")["source"]["target"]
    config = json.loads(base64.b64decode(target["config"]))
    assert image["distro"] == {"name": "rhel", "version": "8.7", "like": ["fedora"]}
    assert image["reference"] == "quay.io/cloudservices/xjoin-kafka-connect-strimzi:latest"
    assert image["user"] == config["config"]["User"] == "1001"
    assert image["effective_user"] == "1001"
    assert image["digest"] == target["manifestDigest"] and image["id"] == target["imageID"]
    assert len(image["layers"]) == len(target["layers"]) == 18
