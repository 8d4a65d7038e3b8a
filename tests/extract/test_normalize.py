"""The shared normalisers: severities, dates, references, purls, licenses, CVSS, ports."""

from __future__ import annotations

import pytest

from regate.errors import InputError
from regate.extract.adapters import cvss
from regate.extract.adapters.imageconfig import parse_reference, port
from regate.extract.adapters.licenses import normalize_licenses
from regate.extract.adapters.normalize import parse_purl, rfc3339, severity, with_epoch
from regate.extract.adapters.view import View


@pytest.mark.parametrize("given, expected", [
    ("Critical", "critical"), ("HIGH", "high"), (" medium ", "medium"), ("Negligible", "negligible"),
    ("moderate", "medium"), ("Important", "high"), ("unimportant", "negligible"), ("none", "negligible"),
    (None, "unknown"), ("", "unknown"), ("UNKNOWN", "unknown"), ("severe", "unknown"), (3, "unknown"),
])
def test_severity(given, expected):
    assert severity(given) == expected


@pytest.mark.parametrize("given, expected", [
    ("2025-06-18", "2025-06-18T00:00:00Z"),
    ("2024-02-22T19:46:26.372724916+01:00", "2024-02-22T18:46:26.372724916Z"),
    ("2019-11-28T01:15:10.603Z", "2019-11-28T01:15:10.603Z"),
    ("2021-12-08T20:34:00Z", "2021-12-08T20:34:00Z"),
    ("2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00Z"),
    ("2023-02-07T17:57:14", "2023-02-07T17:57:14Z"),
    ("2023-02-07T23:30:00-0230", "2023-02-08T02:00:00Z"),
    ("0001-01-01T00:00:00Z", None),
    ("2023-13-01", None),
    ("9999-12-31T23:59:59-01:00", None),  # past the last date Python has: was an OverflowError
    ("yesterday", None),
    (1494886545, "2017-05-15T22:15:45Z"),
    (0, None),
    (True, None),
    (None, None),
])
def test_rfc3339(given, expected):
    assert rfc3339(given) == expected


@pytest.mark.parametrize("given, expected", [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.25", "docker.io/library/nginx:1.25"),
    ("index.docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25"),
    ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
    ("localhost:5000/team/app:dev", "localhost:5000/team/app:dev"),
    ("quay.io/org/app@sha256:" + "a" * 64, "quay.io/org/app@sha256:" + "a" * 64),
    ("ghcr.io/o/a:1@sha256:" + "b" * 64, "ghcr.io/o/a:1@sha256:" + "b" * 64),
])
def test_references_are_normalised(given, expected):
    assert parse_reference(given)["reference"] == expected


def test_reference_parts():
    assert parse_reference("registry.example.com:8443/a/b/c:v1") == {
        "registry": "registry.example.com:8443", "repository": "a/b/c", "tag": "v1",
        "reference": "registry.example.com:8443/a/b/c:v1",
    }


@pytest.mark.parametrize("given", [".", "/tmp/image.tar", "image.tar.gz", "sha256:" + "c" * 64, "c" * 64, "Upper/Case", "", "a b"])
def test_non_references(given):
    assert parse_reference(given) is None


def test_purl():
    assert parse_purl("pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&epoch=1") == {
        "type": "rpm", "namespace": "centos", "name": "openssl-libs", "version": "1.0.2k-16.el7", "arch": "x86_64", "epoch": "1",
    }
    assert parse_purl("pkg:npm/%40babel/core@7.0.0")["namespace"] == "@babel"
    assert parse_purl("not a purl") is None


@pytest.mark.parametrize("kind, version, epoch, expected", [
    ("rpm", "9.11.36-5.el8", 32, "32:9.11.36-5.el8"),
    ("rpm", "9.11.36-5.el8", "32", "32:9.11.36-5.el8"),
    ("rpm", "32:9.11.36-5.el8", 32, "32:9.11.36-5.el8"),
    ("rpm", "1.0-1", None, "1.0-1"),
    ("rpm", "1.0-1", 0, "1.0-1"),
    ("deb", "1.0-1", 2, "1.0-1"),
    ("rpm", "1.0-1", "²", "1.0-1"),  # str.isdigit accepts it, int() did not
    ("rpm", "1.0-1", "9" * 5000, "1.0-1"),
])
def test_epochs(kind, version, epoch, expected):
    assert with_epoch(kind, version, epoch) == expected


@pytest.mark.parametrize("given, expected", [
    (["GPL-2.0+"], ["GPL-2.0-or-later"]),
    (["GPLv2"], ["GPL-2.0-only"]),
    (["GPLv2+", "GPL-2+"], ["GPL-2.0-or-later"]),
    (["LGPL-2.1"], ["LGPL-2.1-only"]),
    (["LGPLv3+_or_GPLv2+"], ["LGPL-3.0-or-later OR GPL-2.0-or-later"]),
    (["BSD"], ["BSD-3-Clause"]),
    (["BSD-3-clause"], ["BSD-3-Clause"]),
    (["Apache 2.0"], ["Apache-2.0"]),
    (["ASL 2.0"], ["Apache-2.0"]),
    (["https://www.apache.org/licenses/LICENSE-2.0.txt"], ["Apache-2.0"]),
    (["MIT License"], ["MIT"]),
    (["Expat"], ["MIT"]),
    (["ZLIB"], ["Zlib"]),
    (["MPLv2.0"], ["MPL-2.0"]),
    (["LicenseRef-Apache-2.0"], ["Apache-2.0"]),
    (["MPL-2.0 AND MIT"], ["MPL-2.0", "MIT"]),
    (["LGPLv2 and zlib"], ["LGPL-2.0-only", "Zlib"]),
    (["GNU GPLv2 or any later version"], ["GNU GPLv2 or any later version"]),
    (["BSD-with-FSF-change-public-domain"], ["BSD-with-FSF-change-public-domain"]),
    (["GPL-4"], ["GPL-4"]),
    (["", "MIT", "MIT"], ["MIT"]),
])
def test_licenses(given, expected):
    assert normalize_licenses(given) == expected


def test_cvss_version_from_vector():
    assert cvss.version_of("CVSS:3.1/AV:N") == "3.1"
    assert cvss.version_of("AV:N/AC:L/Au:N/C:N/I:N/A:P") == "2.0"
    assert cvss.version_of("CVSS:4.0/AV:N") == "4.0"
    assert cvss.version_of("whatever", "3.0") == "3.0"


def test_cvss_summary_prefers_own_scores_and_picks_the_highest_v3():
    own = [
        {"source": "nvd@nist.gov", "version": "3.1", "base": 5.0},
        {"source": "nvd@nist.gov", "version": "3.0", "base": 7.0, "impact": 5.9},
        {"source": "nvd@nist.gov", "version": "2.0", "base": 9.0},
        {"source": "redhat", "version": "3.1", "base": 6.0},
    ]
    related = [{"source": "nvd", "version": "3.1", "base": 9.8}, {"source": "ghsa", "version": "3.1", "base": 8.1}]
    assert cvss.summarise(own, related) == {"nvd_cvss": {"base": 7.0, "impact": 5.9}, "vendor_cvss": {"base": 6.0}}
    assert cvss.summarise([], related) == {"nvd_cvss": {"base": 9.8}, "vendor_cvss": {"base": 8.1}}
    assert cvss.summarise([{"source": "nvd", "version": "2.0", "base": 5}], []) == {}


def test_trivy_cvss_object():
    scores = cvss.from_trivy(View({"nvd": {"V2Vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "V2Score": 5, "V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "V3Score": 7.5},
                                        "redhat": {"V3Score": 6.5}}, "t.json", "/CVSS"))
    assert scores == [
        {"source": "nvd", "version": "2.0", "vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "base": 5},
        {"source": "nvd", "version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "base": 7.5},
        {"source": "redhat", "version": "3.0", "base": 6.5},
    ]


@pytest.mark.parametrize("spec, expected", [
    ("80/tcp", {"port": 80, "protocol": "tcp", "spec": "80/tcp"}),
    ("53/UDP", {"port": 53, "protocol": "udp", "spec": "53/udp"}),
    ("8080", {"port": 8080, "protocol": "tcp", "spec": "8080/tcp"}),
])
def test_ports(spec, expected):
    assert port(spec, View({}, "x.json", "/config/ExposedPorts")) == expected


@pytest.mark.parametrize("spec", ["http/tcp", "70000/tcp", "80/icmp", "8000-8010/tcp", "", "8²/tcp", "9" * 5000, "-1/tcp"])
def test_bad_ports_are_input_errors(spec):
    with pytest.raises(InputError) as caught:
        port(spec, View({}, "x.json", "/config/ExposedPorts/x"))
    assert caught.value.pointer == "/config/ExposedPorts/x"


@pytest.mark.parametrize("value, expected", [
    (7, 7), ("42", 42), (" -3 ", -3), (2.0, 2), (2 ** 63 - 1, 2 ** 63 - 1), ("", None), (None, None),
])
def test_view_integers(value, expected):
    assert View({"n": value}, "x.json").int("n") == expected


@pytest.mark.parametrize("value, words", [
    ("²", "not a decimal integer"), ("9" * 5000, "not a decimal integer"), ("0x10", "not a decimal integer"),
    (2 ** 63, "integer 9223372036854775808 is out of range"), pytest.param(10 ** 5000, "a 16610-bit integer is out of range", id="10**5000"),
    (1e300, "is out of range"), (2.5, "found a number"), (True, "found a boolean"),
])
def test_view_integers_refused_with_their_pointer(value, words):
    with pytest.raises(InputError) as caught:
        View({"n": value}, "x.json", "/a").int("n")
    assert words in caught.value.message and caught.value.pointer == "/a/n"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "NaN", "-Infinity", "1e999", "inf", 10 ** 30])
def test_view_numbers_are_finite(value):
    with pytest.raises(InputError) as caught:
        View({"n": value}, "x.json", "/a").num("n")
    assert caught.value.pointer == "/a/n"
