"""Image archives written by tests/support/images.py extract to exactly their known content."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from regate.extract.base import ExtractOptions
from regate.extract.document import build_document
from regate.extract.image import PATH_ADAPTERS, extract_image_path
from support.images import (
    BAD, GITHUB_TOKEN, GOOD, PLANTED, SECRET_VALUES, build_image, write_docker_archive, write_oci_archive,
    write_oci_layout,
)

OPTIONS = ExtractOptions(run_syft=False)


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("images")
    return {
        "bad": write_docker_archive(build_image(BAD), root / "bad.tar"),
        "good": write_docker_archive(build_image(GOOD), root / "good.tar"),
        "bad-oci": write_oci_layout(build_image(BAD), root / "bad-oci"),
        "bad-oci.tar": write_oci_archive(build_image(BAD), root / "bad-oci.tar"),
    }


@pytest.fixture(scope="module")
def bad(images):
    return extract_image_path(images["bad"], OPTIONS)


@pytest.fixture(scope="module")
def good(images):
    return extract_image_path(images["good"], OPTIONS)


def layer_digests(extraction) -> list[str]:
    return [layer["digest"] for layer in extraction.facts["image"]["layers"]]


def test_whiteouts_and_opaque_directories_are_applied(bad):
    files = bad.facts["files"]
    assert "/tmp/build-token.txt" not in files
    assert "/tmp" in files
    assert "/var/cache/apt" in files
    assert "/var/cache/apt/fresh.txt" in files
    assert not {"/var/cache/apt/pkgcache.bin", "/var/cache/apt/archives", "/var/cache/apt/archives/lock"} & set(files)
    assert not any(".wh." in path for path in files)


def test_a_replaced_file_belongs_to_the_layer_that_last_wrote_it(bad):
    motd = bad.facts["files"]["/etc/motd"]
    assert motd["layer"] == layer_digests(bad)[2]
    assert motd["sha256"] == hashlib.sha256(b"welcome\n").hexdigest()
    assert motd["size"] == len(b"welcome\n")
    assert bad.facts["files"]["/etc/passwd"]["layer"] == layer_digests(bad)[0]


def test_modes_owners_and_special_bits(bad):
    files = bad.facts["files"]
    passwd = files["/usr/bin/passwd"]
    assert (passwd["mode"], passwd["setuid"], passwd["setgid"]) == (0o4755, True, False)
    wall = files["/usr/bin/wall"]
    assert (wall["mode"], wall["setuid"], wall["setgid"]) == (0o2755, False, True)
    assert files["/tmp"]["mode"] == 0o1777
    assert files["/tmp"]["type"] == "dir"
    assert (files["/home/app"]["uid"], files["/home/app"]["gid"]) == (1000, 1000)
    assert files["/root/.ssh/id_rsa"]["mode"] == 0o600
    assert [p for p, f in files.items() if f["setuid"] or f["setgid"]] == ["/usr/bin/passwd", "/usr/bin/wall"]


def test_links(bad):
    files = bad.facts["files"]
    os_release = files["/etc/os-release"]
    assert (os_release["type"], os_release["link_target"]) == ("symlink", "../usr/lib/os-release")
    assert "sha256" not in os_release
    # Configured content paths read through symlinks, like `cat`.
    assert "ID=regatelinux" in os_release["contents"]
    link = files["/app/app-link.py"]
    assert (link["type"], link["link_target"]) == ("hardlink", "/app/app.py")
    assert (link["size"], link["sha256"]) == (files["/app/app.py"]["size"], files["/app/app.py"]["sha256"])


def test_users_with_group_names(bad):
    users = bad.facts["users"]
    assert sorted(users) == ["app", "daemon", "root", "toor"]
    assert users["toor"] == {
        "name": "toor", "uid": 0, "gid": 0, "group": "root", "gecos": "second root", "home": "/root",
        "shell": "/bin/sh", "entry": "toor:x:0:0:second root:/root:/bin/sh",
    }
    assert (users["app"]["uid"], users["app"]["group"]) == (1000, "app")


def test_contents_only_for_configured_paths(bad, images):
    files = bad.facts["files"]
    assert files["/etc/ssh/sshd_config"]["contents"].startswith("PermitRootLogin yes\n")
    assert files["/etc/passwd"]["contents"].count("\n") == 4
    assert "contents" not in files["/app/app.py"]

    custom = extract_image_path(images["bad"], ExtractOptions(run_syft=False, content_paths=("/app/app.py",)))
    assert custom.facts["files"]["/app/app.py"]["contents"] == "print('hello from regate tests')\n"
    assert "contents" not in custom.facts["files"]["/etc/passwd"]
    assert sorted(custom.facts["users"]) == sorted(bad.facts["users"])


def test_contents_over_the_limit_are_left_out_with_a_warning(images):
    small = extract_image_path(images["bad"], ExtractOptions(run_syft=False, max_content_bytes=16))
    assert "contents" not in small.facts["files"]["/etc/passwd"]
    assert any("/etc/passwd" in w and "content limit" in w for w in small.warnings)


def test_planted_secrets_are_found_where_they_are(bad):
    found = bad.facts["secrets"]
    assert {(s["kind"], s["path"], s["line"]) for s in found.values()} == set(PLANTED)
    assert all(key == f"{s['kind']}:{s['path']}:{s['line']}" for key, s in found.items())
    layers = layer_digests(bad)
    assert {s["path"]: s["layer"] for s in found.values()} == {
        "/tmp/build-token.txt": layers[0], "/app/config.env": layers[1], "/root/.ssh/id_rsa": layers[1],
        "/root/.docker/config.json": layers[1], "/app/.env": layers[1]}
    # Deleted from the final filesystem, the token is still in layer 0.
    assert "/tmp/build-token.txt" not in bad.facts["files"]


def test_no_secret_appears_in_full_anywhere(bad):
    text = json.dumps({"facts": bad.facts, "warnings": bad.warnings})
    for value in SECRET_VALUES:
        assert value not in text


def test_secret_scanning_can_be_turned_off(images):
    assert extract_image_path(images["bad"], ExtractOptions(run_syft=False, scan_secrets=False)).facts["secrets"] == {}


def test_image_config_and_identity(bad, images):
    image = bad.facts["image"]
    with tarfile.open(images["bad"]) as tar:
        config_name = json.load(tar.extractfile("manifest.json"))[0]["Config"]
        config = tar.extractfile(config_name).read()
    assert image["id"] == "sha256:" + hashlib.sha256(config).hexdigest()
    assert (image["reference"], image["registry"], image["repository"], image["tag"]) == (
        "docker.io/regate-test/bad:1", "docker.io", "regate-test/bad", "1")
    assert sorted(image["exposed_ports"]) == ["22/tcp", "53/udp", "8080/tcp"]
    assert image["exposed_ports"]["53/udp"] == {"port": 53, "protocol": "udp", "spec": "53/udp"}
    assert image["env"]["APP_ENV"]["value"] == "production"
    assert image["labels"]["maintainer"]["value"] == "regate tests"
    assert image["effective_user"] == "root" and "user" not in image
    assert "healthcheck" not in image
    assert image["distro"] == {"name": "regatelinux", "version": "1.0", "like": ["debian"]}
    assert [layer["created_by"] for layer in image["layers"]] == [
        "ADD rootfs.tar / # buildkit", "COPY app /app # buildkit", "RUN /bin/sh -c cleanup # buildkit"]
    assert image["size"] == sum(layer["size"] for layer in image["layers"]) > 0
    assert [h["empty_layer"] for h in image["history"]] == [False, False, True, False]


def test_the_good_image_has_none_of_the_bad_things(good):
    facts = good.facts
    assert facts["secrets"] == {}
    assert not any(f["setuid"] or f["setgid"] for f in facts["files"].values())
    assert [u["name"] for u in facts["users"].values() if u["uid"] == 0] == ["root"]
    assert "PermitRootLogin no" in facts["files"]["/etc/ssh/sshd_config"]["contents"]
    image = facts["image"]
    assert (image["user"], image["effective_user"]) == ("app", "app")
    assert sorted(image["exposed_ports"]) == ["8080/tcp"]
    assert image["healthcheck"] == {"test": ["CMD", "/bin/true"], "interval": 30_000_000_000,
                                    "timeout": 5_000_000_000, "retries": 3}


def without_source_details(extraction) -> dict:
    """Facts minus what legitimately depends on the container format: OCI
    names blobs (compressed: their own digests and sizes) and a manifest digest."""
    facts = json.loads(json.dumps(extraction.facts))
    facts["image"].pop("digest", None)
    for layer in facts["image"]["layers"]:
        layer.pop("blob_digest", None)
        layer.pop("blob_size", None)
    return facts


def test_oci_layout_and_oci_archive_give_the_docker_archive_document(images, bad):
    layout = extract_image_path(images["bad-oci"], OPTIONS)
    archive = extract_image_path(images["bad-oci.tar"], OPTIONS)
    assert (layout.source.format, archive.source.format) == ("oci-layout", "oci-archive")
    assert without_source_details(layout) == without_source_details(bad)
    assert without_source_details(archive) == without_source_details(bad)
    assert layout.facts["image"]["digest"] == archive.facts["image"]["digest"]
    blobs = [layer["blob_digest"] for layer in layout.facts["image"]["layers"]]
    assert all(Path(images["bad-oci"], "blobs/sha256", b.split(":")[1]).is_file() for b in blobs)


def test_an_oci_layout_written_by_skopeo_gives_the_same_document(images, bad, tmp_path, skopeo_bin):
    subprocess.run([skopeo_bin, "copy", "--quiet", f"docker-archive:{images['bad']}", f"oci:{tmp_path / 'oci'}:1"],
                   check=True, capture_output=True)
    layout = extract_image_path(tmp_path / "oci", OPTIONS)
    expected = without_source_details(bad)
    got = without_source_details(layout)
    # skopeo names the image by tag only (org.opencontainers.image.ref.name)
    # and rewrites the config blob as an OCI config, which changes the id.
    for field in ("reference", "registry", "repository", "id"):
        expected["image"].pop(field)
    assert got["image"].pop("id") != bad.facts["image"]["id"]
    assert got == expected


def test_a_gzipped_docker_archive_reads_the_same(images, bad, tmp_path):
    packed = tmp_path / "bad.tar.gz"
    with open(images["bad"], "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert extract_image_path(packed, OPTIONS).facts == bad.facts


def test_the_writer_is_deterministic(tmp_path):
    for name, write in (("a.tar", write_docker_archive), ("b.tar", write_oci_archive)):
        first = write(build_image(BAD), tmp_path / f"1{name}").read_bytes()
        second = write(build_image(BAD), tmp_path / f"2{name}").read_bytes()
        assert first == second


def test_documents_validate_against_the_input_schema(bad, good):
    for extraction in (bad, good):
        document = build_document([extraction])
        assert document["sources"] == [{"tool": "regate", "format": "docker-archive", "version": extraction.source.version,
                                        "path": extraction.source.path}]
        assert document["secrets"] == extraction.facts["secrets"]


def test_each_adapter_detects_only_its_format(images, tmp_path):
    (tmp_path / "report.json").write_text('{"artifacts": []}')
    expected = {"bad": "docker-archive", "bad-oci": "oci-layout", "bad-oci.tar": "oci-archive"}
    for name, fmt in expected.items():
        assert [a.format for a in PATH_ADAPTERS if a.detect_path(images[name])] == [fmt]
    assert [a.format for a in PATH_ADAPTERS if a.detect_path(tmp_path / "report.json")] == []
    assert [a.format for a in PATH_ADAPTERS if a.detect_path(tmp_path)] == []


def test_progress_is_reported_per_layer_on_stderr(images, capsys):
    extract_image_path(images["bad"], ExtractOptions(run_syft=False, progress=True))
    err = capsys.readouterr().err
    assert "regate: reading layer 1" in err and "regate: reading layer 3" in err
    assert GITHUB_TOKEN not in err
    extract_image_path(images["bad"], ExtractOptions(run_syft=False, progress=False))
    assert capsys.readouterr().err == ""


def test_extraction_writes_nothing(images, tmp_path, monkeypatch):
    # A temporary directory of its own: /tmp changes meanwhile with whatever else runs on the machine
    # (other tests' managed OPA servers make their socket directories there).
    work, temporary = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    temporary.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    extract_image_path(images["bad"], OPTIONS)
    assert list(work.iterdir()) == []
    assert list(temporary.iterdir()) == []
