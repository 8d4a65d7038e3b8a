"""sources[].distros: the distributions a scanner's vulnerability data covered, only where it says."""

from __future__ import annotations

import copy

import pytest

from corpus_helpers import raw
from regate.extract.document import build_document
from regate.extract.registry import extract_json

BUSYBOX_GRYPE_V6 = "grype/defectdojo_busybox-1.32.1_grype-0.94.0_epss.json"


def _distros(doc, name="report.json"):
    return build_document([extract_json(doc, name)])["sources"][0].get("distros")


@pytest.mark.parametrize("name, expected", [
    # Grype with a v6 database lists its providers: busybox is no distribution any of them covers.
    (BUSYBOX_GRYPE_V6, []),
    # Grype with a v5 database does not say.
    ("grype/defectdojo_xjoin-kafka-connect-strimzi_rhel8.7_grype-0.96.0.json", None),
    ("grype/defectdojo_python-3.6_grype-0.7.0_1509matches.json", None),
    # Trivy: an os-pkgs result for the OS it detected.
    ("trivy/defectdojo_example-app-debian10.13_trivy-schema2.json", ["debian:10.13"]),
    ("trivy/trivy-repo_centos-7_golden.json", ["centos:7.6.1810"]),
    # A license scan has no os-pkgs result: it says nothing about vulnerability data.
    ("trivy/defectdojo_alpine-3.11_trivy_license-scan.json", None),
    ("trivy/defectdojo_fs_misconfig_secrets.json", None),
])
def test_real_reports(name, expected):
    assert _distros(raw(name), name) == expected


@pytest.mark.parametrize("distro, expected", [
    ({"name": "debian", "version": "12", "idLike": []}, ["debian:12"]),
    ({"name": "redhat", "version": "9.1", "idLike": ["fedora"]}, ["rhel:9.1"]),  # os-release ID, RHEL's provider
    ({"name": "Debian GNU/Linux", "version": "10 (buster)"}, ["debian:10"]),
    ({"name": "photon", "version": "5.0"}, []),  # no provider in that database
])
def test_grype_providers_decide(distro, expected):
    """The same real Grype 0.94 report (database v6), its distro changed."""
    doc = copy.deepcopy(raw(BUSYBOX_GRYPE_V6))
    doc["distro"] = distro
    assert _distros(doc) == expected
    del doc["descriptor"]["db"]["providers"]
    assert _distros(doc) is None
