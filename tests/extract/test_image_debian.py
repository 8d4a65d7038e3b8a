"""A real Debian root filesystem (mmdebstrap) through regate, Syft and the daemon."""

from __future__ import annotations

import json
import os
import subprocess
import tracemalloc

import pytest

from regate.extract.base import ExtractOptions
from regate.extract.document import build_document
from regate.extract.image import extract_from_daemon, extract_image_path
from support.debian import TAG

DPKG_STATUS = "/var/lib/dpkg/status"
OPTIONS = ExtractOptions(
    run_syft=True,
    content_paths=(*ExtractOptions().content_paths, DPKG_STATUS),
    max_content_bytes=16 << 20,
)


@pytest.fixture(scope="module")
def debian(debian_image, syft_bin):
    return extract_image_path(debian_image, OPTIONS)


def installed_from_dpkg(status: str) -> set[tuple[str, str]]:
    """(name, version) of every package dpkg's status file lists as installed."""
    out = set()
    for stanza in status.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" "))
        if fields.get("Status") == "install ok installed":
            out.add((fields["Package"], fields["Version"]))
    return out


def test_debian_filesystem_users_and_distro(debian):
    facts = debian.facts
    assert facts["image"]["distro"] == {"name": "debian", "version": "12"}
    assert len(facts["files"]) > 3000
    assert facts["files"]["/bin"] == {**facts["files"]["/bin"], "type": "symlink", "link_target": "usr/bin"}
    passwd = facts["files"]["/usr/bin/passwd"]
    assert passwd["setuid"] and passwd["mode"] == 0o4755
    assert {"root", "daemon", "nobody", "_apt"} <= set(facts["users"])
    assert facts["users"]["nobody"]["uid"] == 65534
    assert facts["users"]["root"]["group"] == "root"
    assert facts["files"]["/etc/os-release"]["contents"].startswith('PRETTY_NAME="Debian GNU/Linux 12')
    assert debian.warnings == []
    assert build_document([debian])["packages"] == facts["packages"]


def test_syft_and_dpkg_agree_with_the_document(debian, debian_image, syft_bin, tmp_path):
    out = tmp_path / "syft.json"
    subprocess.run([syft_bin, "scan", f"docker-archive:{debian_image}", "-q", "-o", f"syft-json={out}"],
                   check=True, env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"})
    syft = {(a["name"], a["version"]) for a in json.loads(out.read_text())["artifacts"]}
    regate = {(p["name"], p["version"]) for p in debian.facts["packages"].values()}
    assert regate == syft
    dpkg = installed_from_dpkg(debian.facts["files"][DPKG_STATUS]["contents"])
    assert len(dpkg) > 80
    assert {(p["name"], p["version"]) for p in debian.facts["packages"].values() if p["type"] == "deb"} == dpkg


def test_debian_through_the_daemon(debian, debian_image, docker_daemon, monkeypatch):
    with open(debian_image, "rb") as handle:
        docker_daemon.client.images.load(handle)
    monkeypatch.setenv("DOCKER_HOST", docker_daemon.host)
    # Syft reads this one from the daemon too (docker:REF).
    assert extract_from_daemon(TAG, OPTIONS).facts == debian.facts

    # `docker save` is streamed through, never held: the archive is ~170 MB.
    tracemalloc.start()
    try:
        extract_from_daemon(TAG, ExtractOptions(run_syft=False))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert debian_image.stat().st_size > 150 << 20
    assert peak < 32 << 20, f"peak Python memory {peak / 1e6:.1f} MB"
