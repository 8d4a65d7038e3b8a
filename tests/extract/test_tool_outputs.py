"""Fresh output of the real Syft and Trivy: every format they write extracts to the same packages."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from corpus_helpers import extract

APK_DB = """\
C:Q1c0ZXkIFs1u0Csmhq0TzSqbVkUQ0=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1705067468
c:2a3bb6e6d5d9b1b5fb2cc4d6d0e1b2e69f9a8a4c
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1

C:Q1d2/Fx9XUfRWEbzTeX2qURM4ldt4=
P:zlib
V:1.3.1-r0
A:x86_64
S:53720
I:106496
T:A compression/decompression Library
U:https://zlib.net/
L:Zlib
o:zlib
m:Natanael Copa <ncopa@alpinelinux.org>
t:1705067468
c:3a3bb6e6d5d9b1b5fb2cc4d6d0e1b2e69f9a8a4c
D:so:libc.musl-x86_64.so.1
p:so:libz.so.1=1.3.1
F:lib
R:libz.so.1.3.1

"""
# A fake key in AWS's documented example shape; it names no real account.
PLANTED_KEY = "AKIAIOSFODNN7EXAMPLX"
EXPECTED = {"apk:musl@1.2.4_git20230717-r4", "apk:zlib@1.3.1-r0", "python:requests@2.31.0", "python:urllib3@1.26.3"}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A small filesystem with Alpine packages, Python requirements and a planted credential."""
    root = tmp_path_factory.mktemp("scan") / "root"
    files = {
        "etc/os-release": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n',
        "lib/apk/db/installed": APK_DB,
        "app/requirements.txt": "requests==2.31.0\nurllib3==1.26.3\n",
        "usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA":
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n",
        "usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD": "requests/__init__.py,,\n",
        "app/creds.env": f"AWS_ACCESS_KEY_ID={PLANTED_KEY}\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run(args: list[str], out) -> None:
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.exists()


SYFT_FORMATS = ["syft-json", "cyclonedx-json@1.4", "cyclonedx-json@1.5", "cyclonedx-json@1.6", "spdx-json@2.2", "spdx-json@2.3"]


@pytest.fixture(scope="module")
def syft_outputs(syft_bin, root, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("syft")
    outputs = {}
    for fmt in SYFT_FORMATS:
        out = out_dir / f"{fmt}.json"
        run([syft_bin, "scan", f"dir:{root}", "-q", "-o", f"{fmt}={out}"], out)
        outputs[fmt] = out
    return outputs


@pytest.fixture(scope="module")
def trivy_outputs(trivy_bin, root, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("trivy")
    cache = out_dir / "cache"
    offline = ["--skip-db-update", "--offline-scan", "--cache-dir", str(cache), "-q"]
    outputs = {}
    for fmt, extra in [("json", ["--scanners", "secret,license", "--list-all-pkgs"]), ("cyclonedx", []), ("spdx-json", [])]:
        out = out_dir / f"trivy-{fmt}.json"
        run([trivy_bin, "fs", "--format", fmt, "--output", str(out), *offline, *extra, str(root)], out)
        outputs[fmt] = out
    return outputs


def test_every_syft_format_gives_the_same_packages(syft_outputs):
    documents = {fmt: extract(path) for fmt, path in syft_outputs.items()}
    reference = documents["syft-json"]["packages"]
    assert set(reference) == EXPECTED
    assert reference["python:requests@2.31.0"]["licenses"] == ["Apache-2.0"]
    for fmt, document in documents.items():
        packages = document["packages"]
        assert set(packages) == EXPECTED, fmt
        for key, package in reference.items():
            assert packages[key].get("licenses") == package.get("licenses"), (fmt, key)
            assert sorted(packages[key].get("locations", [])) == sorted(package.get("locations", [])), (fmt, key)
            assert packages[key]["purl"] == package["purl"], (fmt, key)
        assert document["sources"][0]["tool"] == "syft", fmt
    assert documents["cyclonedx-json@1.6"]["image"]["distro"] == {"name": "alpine", "version": "3.19.1"}


def test_every_trivy_format_gives_the_same_packages(trivy_outputs):
    for fmt, path in trivy_outputs.items():
        document = extract(path)
        assert set(document["packages"]) == EXPECTED, fmt
        assert document["packages"]["apk:musl@1.2.4_git20230717-r4"]["licenses"] == ["MIT"], fmt
        assert document["image"]["distro"] == {"name": "alpine", "version": "3.19.1"}, fmt


def test_trivy_secret_findings_are_masked(trivy_outputs):
    document = extract(trivy_outputs["json"])
    assert list(document["secrets"]) == ["aws-access-key:app/creds.env:1"]
    finding = document["secrets"]["aws-access-key:app/creds.env:1"]
    assert finding["source"] == "trivy" and finding["severity"] == "critical"
    assert PLANTED_KEY not in json.dumps(document) and PLANTED_KEY[4:] not in finding["match"]


def test_syft_and_trivy_merge(syft_outputs, trivy_outputs):
    document = extract(syft_outputs["syft-json"], trivy_outputs["json"])
    assert set(document["packages"]) == EXPECTED
    requirements = document["packages"]["python:urllib3@1.26.3"]["locations"]
    assert requirements == ["/app/requirements.txt", "app/requirements.txt"]  # Syft's absolute path, Trivy's relative one
    assert [s["tool"] for s in document["sources"]] == ["syft", "trivy"]
