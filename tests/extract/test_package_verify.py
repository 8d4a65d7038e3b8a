"""packages[].verify: the files of dpkg and apk packages checked against their package database
in the image's final filesystem (Anchore's packages gate, `verify`)."""

from __future__ import annotations

import base64
import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from regate.extract.base import ExtractOptions
from regate.extract.image import extract_image_path
from support.images import GOOD, Entry, ImageSpec, LayerSpec, build_image, d, f, write_docker_archive

OPTIONS = ExtractOptions(run_syft=True)


def _debian_layer(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        (manifest,) = json.load(tar.extractfile("manifest.json"))
        layer = into / "debian-layer.tar"
        layer.write_bytes(tar.extractfile(manifest["Layers"][0]).read())
    return layer


def _listed(layer: Path, package: str) -> tuple[dict[str, str], set[str]]:
    """The md5sums of `package` and every conffile, read from the root filesystem as dpkg left it."""
    with tarfile.open(layer) as tar:
        sums = {}
        for line in tar.extractfile(f"./var/lib/dpkg/info/{package}.md5sums").read().decode().splitlines():
            digest, _, path = line.partition("  ")
            sums["/" + path] = digest
        status = tar.extractfile("./var/lib/dpkg/status").read().decode()
    conffiles = {line.split()[0] for line in status.splitlines() if line.startswith(" /")}
    return sums, conffiles


def test_dpkg_files_changed_missing_and_conffiles_left_alone(debian_image, syft_bin, tmp_path):
    layer = _debian_layer(debian_image, tmp_path)
    coreutils, conffiles = _listed(layer, "coreutils")
    ls = next(p for p in coreutils if p.endswith("/ls"))  # bin/ls in bookworm: reached through the merged /usr
    whoami = next(p for p in coreutils if p.endswith("/whoami"))
    assert "/etc/issue" in conffiles
    altered = LayerSpec("RUN tamper # buildkit", (
        f("/usr/bin/ls", b"#!/bin/sh\necho not ls\n", 0o755),
        f("/usr/bin/.wh.whoami", ""),
        f("/etc/issue", "changed by the admin, as conffiles may be\n"),
    ))
    spec = ImageSpec(layers=(LayerSpec("mmdebstrap", tar_path=layer), altered), config={"Cmd": ["bash"]},
                     tag="regate-test/debian-tampered:1")
    facts = extract_image_path(write_docker_archive(spec, tmp_path / "tampered.tar"), OPTIONS).facts
    packages = {p["name"]: p for p in facts["packages"].values() if p["type"] == "deb"}
    assert all("verify" in p for p in packages.values())
    assert packages["coreutils"]["verify"] == [
        {"path": ls, "problem": "changed", "expected": coreutils[ls],
         "actual": hashlib.md5(b"#!/bin/sh\necho not ls\n").hexdigest()},
        {"path": whoami, "problem": "missing", "expected": coreutils[whoami]},
    ]
    assert {name: p["verify"] for name, p in packages.items() if p["verify"] and name != "coreutils"} == {}


def test_untouched_debian_verifies_clean(debian_image, syft_bin):
    extraction = extract_image_path(debian_image, OPTIONS)
    debs = [p for p in extraction.facts["packages"].values() if p["type"] == "deb"]
    assert len(debs) > 80 and all(p["verify"] == [] for p in debs)
    assert "package_verification" in extraction.covers
    assert not any("verif" in w for w in extraction.warnings)


def _q1(data: bytes) -> str:
    return "Q1" + base64.b64encode(hashlib.sha1(data).digest()).decode()


BUSYBOX = b"\x7fELF busybox"
MUSL = b"\x7fELF musl"


def _alpine(tmp_path: Path, *changes: LayerSpec) -> Path:
    installed = "\n".join([
        "C:Q1aaaaaaaaaaaaaaaaaaaaaaaaaaaa=", "P:busybox", "V:1.36.1-r5", "A:x86_64", "o:busybox",
        "F:bin", "R:busybox", "a:0:0:755", f"Z:{_q1(BUSYBOX)}", "R:sh", f"Z:{_q1(b'/bin/busybox')}",
        "F:etc", "R:motd", f"Z:{_q1(b'welcome')}", "",
        "C:Q1bbbbbbbbbbbbbbbbbbbbbbbbbbbb=", "P:musl", "V:1.2.4-r2", "A:x86_64", "o:musl",
        "F:lib", "R:ld-musl-x86_64.so.1", f"Z:{_q1(MUSL)}", "", ""])
    base = LayerSpec("ADD alpine-minirootfs.tar.gz / # buildkit", (
        d("/bin"), d("/etc"), d("/lib"), d("/lib/apk"), d("/lib/apk/db"),
        f("/etc/os-release", 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'),
        f("/lib/apk/db/installed", installed), f("/bin/busybox", BUSYBOX, 0o755),
        Entry("/bin/sh", type="symlink", target="/bin/busybox", mode=0o777), f("/etc/motd", "welcome"),
        f("/lib/ld-musl-x86_64.so.1", MUSL, 0o755),
    ))
    spec = ImageSpec(layers=(base, *changes), config={"Cmd": ["/bin/sh"]}, tag="regate-test/alpine:1")
    return write_docker_archive(spec, tmp_path / "alpine.tar")


def test_apk_checksums(syft_bin, tmp_path):
    clean = extract_image_path(_alpine(tmp_path), OPTIONS)
    assert {p["name"]: p["verify"] for p in clean.facts["packages"].values()} == {"busybox": [], "musl": []}
    tampered = LayerSpec("RUN tamper # buildkit", (
        f("/etc/motd", "hacked"), Entry("/bin/sh", type="symlink", target="/tmp/evil", mode=0o777),
        f("/lib/.wh.ld-musl-x86_64.so.1", "")))
    facts = extract_image_path(_alpine(tmp_path, tampered), OPTIONS).facts
    assert {p["name"]: p["verify"] for p in facts["packages"].values()} == {
        "busybox": [
            {"path": "/bin/sh", "problem": "changed", "expected": _q1(b"/bin/busybox"), "actual": _q1(b"/tmp/evil")},
            {"path": "/etc/motd", "problem": "changed", "expected": _q1(b"welcome"), "actual": _q1(b"hacked")},
        ],
        "musl": [{"path": "/lib/ld-musl-x86_64.so.1", "problem": "missing", "expected": _q1(MUSL)}],
    }


def test_without_a_package_list_nothing_is_claimed(tmp_path, monkeypatch):
    # --no-syft: nothing to attach a verification to, so none is done.
    extraction = extract_image_path(_alpine(tmp_path), ExtractOptions(run_syft=False))
    assert "packages" not in extraction.facts and "package_verification" not in extraction.covers
    assert not any("verif" in w for w in extraction.warnings)
    # Syft wanted but not installed: the files were checked, and the warning says why nothing shows.
    monkeypatch.setattr("regate.extract.image.syft_packages", lambda target, label, show_progress: None)
    extraction = extract_image_path(_alpine(tmp_path), ExtractOptions(run_syft=True))
    assert "package_verification" not in extraction.covers
    assert any("no package list" in w for w in extraction.warnings)
    other = extract_image_path(write_docker_archive(build_image(GOOD), tmp_path / "good.tar"), ExtractOptions(run_syft=False))
    assert "package_verification" not in other.covers and not any("verif" in w for w in other.warnings)


RPMDB = Path(__file__).parents[1] / "fixtures" / "rpm" / "rpmdb.sqlite"  # tests/fixtures/rpm/README.md
HELLO = b"#!/bin/sh\necho hello\n"


def _fedora(tmp_path: Path, *changes: LayerSpec) -> Path:
    base = LayerSpec("ADD fedora-rootfs / # buildkit", (
        d("/etc"), d("/usr"), d("/usr/bin"), d("/var"), d("/var/lib"), d("/var/lib/rpm"),
        f("/etc/os-release", 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n'),
        f("/var/lib/rpm/rpmdb.sqlite", RPMDB.read_bytes()),
        f("/usr/bin/hello", HELLO), Entry("/usr/bin/hi", type="symlink", target="hello", mode=0o777),
        f("/etc/hello.conf", "greeting=hello\n"),
    ))
    spec = ImageSpec(layers=(base, *changes), config={"Cmd": ["/usr/bin/hello"]}, tag="regate-test/fedora:1")
    return write_docker_archive(spec, tmp_path / "fedora.tar")


def test_rpm_sqlite_database(syft_bin, tmp_path):
    clean = extract_image_path(_fedora(tmp_path), OPTIONS)
    assert {(p["type"], p["name"]): p["verify"] for p in clean.facts["packages"].values()} == {("rpm", "regate-hello"): []}
    assert "package_verification" in clean.covers
    tampered = LayerSpec("RUN tamper # buildkit", (
        f("/usr/bin/hello", b"#!/bin/sh\necho pwned\n"), Entry("/usr/bin/hi", type="symlink", target="/tmp/x", mode=0o777),
        f("/etc/hello.conf", "greeting=changed by the admin\n")))  # %config: left alone
    facts = extract_image_path(_fedora(tmp_path, tampered), OPTIONS).facts
    (package,) = facts["packages"].values()
    assert package["verify"] == [
        {"path": "/usr/bin/hello", "problem": "changed", "expected": hashlib.sha256(HELLO).hexdigest(),
         "actual": hashlib.sha256(b"#!/bin/sh\necho pwned\n").hexdigest()},
        {"path": "/usr/bin/hi", "problem": "changed", "expected": "hello", "actual": "/tmp/x"},
    ]
    gone = LayerSpec("RUN rm # buildkit", (f("/usr/bin/.wh.hello", ""),))
    (package,) = extract_image_path(_fedora(tmp_path, gone), OPTIONS).facts["packages"].values()
    assert package["verify"] == [{"path": "/usr/bin/hello", "problem": "missing",
                                  "expected": hashlib.sha256(HELLO).hexdigest()}]


def test_an_unreadable_rpm_database_is_a_warning_not_a_claim(syft_bin, tmp_path):
    broken = LayerSpec("RUN break # buildkit", (f("/var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0" + b"\0" * 100),))
    extraction = extract_image_path(_fedora(tmp_path, broken), OPTIONS)
    assert any("/var/lib/rpm/rpmdb.sqlite: RPM packages are not verified" in w for w in extraction.warnings)
    assert all("verify" not in p for p in extraction.facts.get("packages", {}).values())
