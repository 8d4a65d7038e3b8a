"""Hostile archives: each gets a clear error naming the file and member, or a
bounded, safe result; nothing is ever written."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from regate.errors import InputError
from regate.extract.base import ExtractOptions
from regate.extract.image import Limits, extract_image_path
from support.images import (
    BAD, EPOCH, Entry, LayerSpec, build_image, d, f, with_layers, write_docker_archive, write_oci_layout,
)

OPTIONS = ExtractOptions(run_syft=False)


def info(name: str, data: bytes = b"", type_: bytes = tarfile.REGTYPE, linkname: str = "") -> tuple:
    member = tarfile.TarInfo(name)
    member.type, member.linkname, member.mtime, member.size = type_, linkname, EPOCH, len(data)
    return member, data


def tar_bytes(*members: tuple, fmt: int = tarfile.GNU_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if member.isreg() else None)
    return buffer.getvalue()


def image_with_raw_layer(tmp_path: Path, layer: bytes) -> Path:
    """The known bad image plus one more layer holding exactly `layer` (a tar, possibly hostile)."""
    raw = tmp_path / "raw-layer.tar"
    raw.write_bytes(layer)
    return write_docker_archive(with_layers(build_image(BAD), LayerSpec("RUN evil", tar_path=raw)),
                                tmp_path / "image.tar")


def outer_archive(tmp_path: Path, *members: tuple) -> Path:
    path = tmp_path / "outer.tar"
    path.write_bytes(tar_bytes(*members))
    return path


@pytest.fixture(autouse=True)
def nothing_is_written(tmp_path_factory, monkeypatch):
    """Every test runs from an empty directory, with an empty temporary
    directory; the extractor may write to neither."""
    work = tmp_path_factory.mktemp("cwd")
    scratch = tmp_path_factory.mktemp("scratch")
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield
    assert list(work.iterdir()) == []
    assert list(scratch.iterdir()) == []


def extract_error(path: Path, options: ExtractOptions = OPTIONS, limits: Limits = Limits()) -> InputError:
    with pytest.raises(InputError) as caught:
        extract_image_path(path, options, limits)
    assert caught.value.path == str(path)
    assert "Traceback" not in str(caught.value)
    return caught.value


def test_dot_dot_member_names_stay_inside_the_root(tmp_path):
    layer = tar_bytes(info("../../../../etc/evil", b"x"), info("a/../../b/c", b"y"))
    result = extract_image_path(image_with_raw_layer(tmp_path, layer), OPTIONS)
    assert result.facts["files"]["/etc/evil"]["size"] == 1
    assert "/b/c" in result.facts["files"]
    assert any("leaves the image root" in w and "../../../../etc/evil" in w for w in result.warnings)
    assert not Path("/etc/evil").exists()


def test_absolute_member_names_are_read_inside_the_root(tmp_path):
    layer = tar_bytes(info("/abs/file", b"data"), fmt=tarfile.PAX_FORMAT)
    result = extract_image_path(image_with_raw_layer(tmp_path, layer), OPTIONS)
    assert result.facts["files"]["/abs/file"]["size"] == 4


def test_symlink_escapes_resolve_inside_the_image(tmp_path):
    # /etc/passwd points far above the root: resolved like a chroot would,
    # it lands on the image's own /etc/shadow, never the host's.
    layer = tar_bytes(
        info("etc/shadow", b"image-shadow:x:0:0::/:/bin/sh\n"),
        info("etc/passwd", type_=tarfile.SYMTYPE, linkname="../../../../../../etc/shadow"),
        info("etc/os-release", type_=tarfile.SYMTYPE, linkname="/../../etc/os-release"),  # a loop
    )
    options = ExtractOptions(run_syft=False, content_paths=("/etc/passwd", "/etc/shadow", "/etc/os-release"))
    result = extract_image_path(image_with_raw_layer(tmp_path, layer), options)
    files = result.facts["files"]
    assert files["/etc/passwd"]["link_target"] == "../../../../../../etc/shadow"
    assert files["/etc/passwd"]["contents"] == "image-shadow:x:0:0::/:/bin/sh\n"
    assert list(result.facts["users"]) == ["image-shadow"]
    # The looping /etc/os-release leads nowhere; the distro comes from /usr/lib/os-release.
    assert "contents" not in files["/etc/os-release"]
    assert result.facts["image"]["distro"]["name"] == "regatelinux"


def test_hardlink_escapes_stay_inside_the_root(tmp_path):
    layer = tar_bytes(info("app/x", type_=tarfile.LNKTYPE, linkname="../../../etc/group"))
    result = extract_image_path(image_with_raw_layer(tmp_path, layer), OPTIONS)
    link = result.facts["files"]["/app/x"]
    assert link["link_target"] == "/etc/group"
    assert link["sha256"] == result.facts["files"]["/etc/group"]["sha256"]
    assert any("hard link target leaves the image root" in w for w in result.warnings)


def test_gzip_bomb_stops_at_the_byte_limit(tmp_path):
    zeros = tmp_path / "zeros.tar"
    with tarfile.open(zeros, "w") as tar:
        # Each member is small enough to pass the declared-size check alone.
        for i in range(16):
            member = tarfile.TarInfo(f"zeros{i}")
            member.size = 4 << 20
            tar.addfile(member, io.BytesIO(bytes(member.size)))
    # The OCI writer gzips layers: 64 MB of zeros become a blob of ~64 kB.
    spec = with_layers(build_image(BAD), LayerSpec("RUN bomb", tar_path=zeros))
    layout = write_oci_layout(spec, tmp_path / "layout")
    zeros.unlink()
    assert max(p.stat().st_size for p in (layout / "blobs/sha256").iterdir()) < 1 << 20
    error = extract_error(layout, limits=Limits(max_total_bytes=16 << 20))
    assert "tar bomb" in error.message
    assert error.pointer and "blobs/sha256/" in error.pointer


def test_huge_declared_size_is_refused_before_reading(tmp_path):
    member = tarfile.TarInfo("huge")
    member.size = 1 << 40
    header = member.tobuf(tarfile.GNU_FORMAT)
    error = extract_error(image_with_raw_layer(tmp_path, header + b"only a little data" + bytes(1024)))
    assert "declares 1099511627776 bytes" in error.message
    assert error.pointer.endswith("layer.tar:huge")


def test_too_many_members(tmp_path):
    layer = tar_bytes(*(info(f"f{i}") for i in range(3000)))
    error = extract_error(image_with_raw_layer(tmp_path, layer), limits=Limits(max_members=2000))
    assert "more than 2000 archive members" in error.message


def test_huge_extension_header_is_refused(tmp_path):
    layer = tar_bytes(info("x" * (2 << 20), b"x"), fmt=tarfile.PAX_FORMAT)
    assert "extension header" in extract_error(image_with_raw_layer(tmp_path, layer)).message


def test_huge_single_file_is_hashed_in_bounded_memory(tmp_path):
    size = 96 << 20
    raw = tmp_path / "big-layer.tar"
    with tarfile.open(raw, "w") as tar:
        member = tarfile.TarInfo("var/big.bin")
        member.size = size
        tar.addfile(member, io.BytesIO(os.urandom(1 << 20) * 96))
    archive = write_docker_archive(with_layers(build_image(BAD), LayerSpec("ADD big", tar_path=raw)),
                                   tmp_path / "image.tar")
    raw.unlink()
    tracemalloc.start()
    try:
        result = extract_image_path(archive, OPTIONS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.facts["files"]["/var/big.bin"]["size"] == size
    assert peak < 12 << 20, f"peak Python memory {peak / 1e6:.1f} MB for a {size >> 20} MB file"


def test_missing_manifest(tmp_path):
    path = outer_archive(tmp_path, info("hello.txt", b"hi"))
    assert "not an image archive" in extract_error(path).message


@pytest.mark.parametrize("manifest,expected", [
    (b"{not json", "invalid JSON"),
    (b'{"Config": "x"}', "not a list of image entries"),
    (b'[{"Config": 1, "Layers": []}]', "lacks Config or Layers"),
    (b"[" * 100000 + b"]" * 100000, "nested deeper"),
], ids=["invalid", "object", "config-type", "deep"])
def test_garbled_manifest(tmp_path, manifest, expected):
    error = extract_error(outer_archive(tmp_path, info("manifest.json", manifest)))
    assert expected in error.message
    assert error.pointer == "manifest.json"


def test_manifest_pointing_outside_the_archive(tmp_path):
    manifest = json.dumps([{"Config": "../../etc/passwd", "Layers": ["../../../etc/shadow"]}]).encode()
    error = extract_error(outer_archive(tmp_path, info("manifest.json", manifest)))
    assert "no JSON member" in error.message and "etc/passwd" in error.message


def test_link_loop_between_archive_members(tmp_path):
    manifest = json.dumps([{"Config": "a.json", "Layers": []}]).encode()
    path = outer_archive(tmp_path, info("a.json", type_=tarfile.SYMTYPE, linkname="b.json"),
                         info("b.json", type_=tarfile.SYMTYPE, linkname="a.json"), info("manifest.json", manifest))
    assert "link loop" in extract_error(path).message


def test_truncated_archive(tmp_path):
    whole = write_docker_archive(build_image(BAD), tmp_path / "whole.tar").read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(whole[: len(whole) // 3])
    error = extract_error(cut)
    assert "truncated" in error.message
    assert error.pointer and "layer.tar" in error.pointer


def test_truncated_layer_does_not_match_its_diff_id(tmp_path):
    """A layer cut exactly at a member boundary parses as a shorter tar; the
    config's diff id still catches it."""
    layer = tar_bytes(info("a", b"1" * 512), info("b", b"2" * 512))
    with tarfile.open(image_with_raw_layer(tmp_path, layer)) as tar:
        last = json.load(tar.extractfile("manifest.json"))[0]["Layers"][-1]
        members = [(m, tar.extractfile(m).read() if m.isreg() else b"") for m in tar.getmembers()]
    members = [(m, data[:1024] if m.name == last else data) for m, data in members]
    for member, data in members:
        member.size = len(data)
    cut = tmp_path / "cut.tar"
    cut.write_bytes(tar_bytes(*members))
    error = extract_error(cut)
    assert "does not match the config's diff id" in error.message
    assert error.pointer == last


def test_corrupt_header(tmp_path):
    layer = bytearray(tar_bytes(info("a", b"x")))
    layer[0:1] = b"Z"
    error = extract_error(image_with_raw_layer(tmp_path, bytes(layer)))
    assert "checksum" in error.message


def test_not_a_tar(tmp_path):
    path = tmp_path / "random.tar"
    path.write_bytes(os.urandom(4096))
    extract_error(path)


def test_zstd_layers_get_a_clear_error(tmp_path):
    error = extract_error(image_with_raw_layer(tmp_path, b"\x28\xb5\x2f\xfd" + bytes(2000)))
    assert "zstd-compressed layers are not supported" in error.message


def test_oci_digest_pointing_outside_the_layout(tmp_path):
    layout = write_oci_layout(build_image(BAD), tmp_path / "layout")
    index = json.loads((layout / "index.json").read_text())
    index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd"
    (layout / "index.json").write_text(json.dumps(index))
    assert "invalid digest" in extract_error(layout).message


def test_oci_blob_symlinked_outside_the_layout(tmp_path):
    layout = write_oci_layout(build_image(BAD), tmp_path / "layout")
    index = json.loads((layout / "index.json").read_text())
    blob = layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]
    outside = tmp_path / "outside.json"
    outside.write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(outside)
    error = extract_error(layout)
    assert "outside the layout" in error.message


def test_whiteout_cannot_delete_outside_the_root(tmp_path):
    layer = tar_bytes(info("../../.wh.etc"), info("../.wh..wh..opq"))
    result = extract_image_path(image_with_raw_layer(tmp_path, layer), OPTIONS)
    # `/../../.wh.etc` is `/.wh.etc`: it deletes the image's /etc, nothing else.
    assert not any(p.startswith("/etc") for p in result.facts["files"])
    # An opaque marker at the root hides every lower layer.
    assert result.facts["files"] == {}


def test_directory_replaced_by_a_file_takes_its_subtree(tmp_path):
    spec = with_layers(build_image(BAD), LayerSpec("RUN replace", (f("/var/cache", "now a file"),)))
    result = extract_image_path(write_docker_archive(spec, tmp_path / "image.tar"), OPTIONS)
    files = result.facts["files"]
    assert files["/var/cache"]["type"] == "file"
    assert not any(p.startswith("/var/cache/") for p in files)


def test_re_adding_a_deleted_directory_keeps_only_new_content(tmp_path):
    spec = with_layers(build_image(BAD),
                       LayerSpec("RUN rm", (Entry("/.wh.app"),)),
                       LayerSpec("RUN mkdir", (d("/app"), f("/app/new.txt", "new"))))
    files = extract_image_path(write_docker_archive(spec, tmp_path / "image.tar"), OPTIONS).facts["files"]
    assert sorted(p for p in files if p.startswith("/app")) == ["/app", "/app/new.txt"]
    assert "secrets" not in files


def test_endless_extension_headers_count_against_the_member_limit(tmp_path):
    member = tarfile.TarInfo("x")
    member.pax_headers = {"comment": "padding"}
    pax_only = member.tobuf(tarfile.PAX_FORMAT)[:1024]  # the PAX header and its data, no member
    layer = pax_only * 3000 + tar_bytes(info("x", b"1"))
    error = extract_error(image_with_raw_layer(tmp_path, layer), limits=Limits(max_members=2000))
    assert "more than 2000 archive members" in error.message


def test_sparse_members_get_a_clear_error(tmp_path):
    member, data = info("sparse", b"abc")
    member.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}
    error = extract_error(image_with_raw_layer(tmp_path, tar_bytes((member, data), fmt=tarfile.PAX_FORMAT)))
    assert "sparse tar members are not supported" in error.message


# Issue #8: layers of /work/shared/reproducers/i02–i06 (mkimg.py), on top of the known bad image.
def pax(name: str, data: bytes = b"", **headers: str) -> tuple:
    member, data = info(name, data)
    member.pax_headers = headers
    return member, data


def passwd_layer(passwd: str, group: str = "root:x:0:\n") -> bytes:
    return tar_bytes(info("etc/passwd", passwd.encode()), info("etc/group", group.encode()))


REPRODUCERS = [
    # (id, hostile layer, member or in-image path named in the error, words)
    ("i02-passwd-superscript-uid", passwd_layer("root:x:²:0:root:/root:/bin/sh\n"), "/etc/passwd",
     "line 1: uid '²' is not a decimal number"),
    ("i02-group-superscript-gid", passwd_layer("root:x:0:0:root:/root:/bin/sh\n", "root:x:³:\n"), "/etc/group",
     "line 1: gid '³' is not a decimal number"),
    ("i03-passwd-5000-digit-uid", passwd_layer("root:x:0:0:r:/root:/bin/sh\nbig:x:" + "9" * 5000 + ":0::/:/bin/sh\n"),
     "/etc/passwd", "line 2: uid '99999999999999999999…' is not a decimal number"),
    ("i04-pax-size-superscript", tar_bytes(pax("a", b"x", size="²"), fmt=tarfile.PAX_FORMAT), "layer.tar",
     "invalid PAX size '²'"),
    ("i05-pax-uid-5000-digits", tar_bytes(pax("a", b"x", uid="9" * 5000), fmt=tarfile.PAX_FORMAT), "layer.tar",
     "invalid PAX uid '99999999999999999999…'"),
    ("i06-whiteout-empty-name", tar_bytes(info(".wh.")), "layer.tar:.wh.", "whiteout '.wh.' names no file"),
    ("whiteout-dot", tar_bytes(info("usr/.wh..")), "layer.tar:usr/.wh..", "whiteout '.wh..' names no file"),
    ("whiteout-dotdot", tar_bytes(info("usr/.wh...")), "layer.tar:usr/.wh...", "whiteout '.wh...' names no file"),
]


@pytest.mark.parametrize("layer, where, words", [case[1:] for case in REPRODUCERS], ids=[case[0] for case in REPRODUCERS])
def test_hostile_layers_are_refused_naming_the_place(tmp_path, layer, where, words):
    image = image_with_raw_layer(tmp_path, layer)
    done = subprocess.run([sys.executable, "-m", "regate", "extract", "--no-syft", "--image", str(image)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr, done.stderr
    message = done.stderr.splitlines()[-1]
    assert message.startswith(f"regate: error: {image} at ") and where in message and words in message, message


def test_a_whiteout_of_a_real_name_still_deletes(tmp_path):
    files = extract_image_path(image_with_raw_layer(tmp_path, tar_bytes(info("usr/bin/.wh.wall"))), OPTIONS).facts["files"]
    assert "/usr/bin/wall" not in files and "/usr/bin/passwd" in files


def test_oversized_manifest_is_named_with_the_limit(tmp_path):
    manifest = json.dumps([{"Config": "c.json", "RepoTags": ["a:b"] * 500, "Layers": []}]).encode()
    error = extract_error(outer_archive(tmp_path, info("manifest.json", manifest)), limits=Limits(max_json_bytes=2000))
    assert error.pointer == "manifest.json"
    assert error.message == f"is {len(manifest):,} bytes, over the 2,000-byte limit for JSON metadata; not read"


def test_oversized_config_is_named_with_the_limit(tmp_path):
    archive = write_docker_archive(build_image(BAD), tmp_path / "image.tar")
    with tarfile.open(archive) as tar:
        config = json.load(tar.extractfile("manifest.json"))[0]["Config"]
        size = tar.getmember(config).size
    error = extract_error(archive, limits=Limits(max_json_bytes=size - 1))
    assert error.pointer == config and "over the" in error.message


def test_memory_for_files_is_bounded_per_file(tmp_path):
    """Many empty members: each costs memory though it holds no data. The limit stops them early."""
    layer = tar_bytes(*(info(f"d/f{i}") for i in range(2000)))
    image = image_with_raw_layer(tmp_path, layer)
    assert len(extract_image_path(image, OPTIONS, Limits(max_files_memory=8 << 20)).facts["files"]) > 2000
    error = extract_error(image, limits=Limits(max_files_memory=2 << 20))
    assert "need more than the 2,097,152-byte memory limit" in error.message
    assert "layer.tar:d/f" in error.pointer


def test_contents_kept_in_memory_are_bounded(tmp_path):
    # Files named like a captured path are kept (they may be seen through a directory symlink).
    layer = tar_bytes(*(info(f"home/u{i}/passwd", b"u:x:1:1::/:/bin/sh\n" * 50) for i in range(40)))
    error = extract_error(image_with_raw_layer(tmp_path, layer), limits=Limits(max_content_total=20_000))
    assert "more than 20000 bytes of file contents to keep in memory" in error.message
    assert error.pointer.endswith("/passwd")
