"""Tar archives written header by header, so a mutated image can hold anything.

`tarfile` refuses or silently fixes what hostile archives contain (absolute
and `..` names, sizes that disagree with the data, PAX records with bad
values); these writers emit raw 512-byte ustar headers instead. The header
layout follows /work/shared/reproducers/mkimg.py from the first hostile-input
campaign.

An image is an `Image`: layers of `Member`s plus a config, written as a
docker-archive or an OCI archive whose digests always match, so that the
extractor gets past the digest checks and reads the mutated layers.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field, replace

BLOCK = 512


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes = b""
    type: bytes = b"0"  # ustar typeflag: 0 file, 1 hardlink, 2 symlink, 3/4 devices, 5 dir, 6 fifo, S sparse
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    linkname: str = ""
    pax: tuple[tuple[str, str], ...] = ()  # records of a PAX header written before the member
    raw_size: bytes | None = None  # the 12-byte size field as given, whatever `data` holds


@dataclass(frozen=True)
class Image:
    layers: tuple[tuple[Member, ...], ...]
    config: dict = field(default_factory=dict)
    tags: tuple[str, ...] = ("fuzz/image:1",)
    oci: bool = False  # OCI archive (gzip layers) instead of docker-archive
    gzip_outer: bool = False
    extra: tuple[Member, ...] = ()  # more members of the archive itself, before its manifest


def _octal(value: int, width: int) -> bytes:
    """A numeric header field: octal when it fits, else GNU base-256 (negative values too)."""
    if 0 <= value < 8 ** (width - 1):
        return b"%0*o\0" % (width - 1, value)
    return bytes([0xFF if value < 0 else 0x80]) + (value % (1 << (8 * (width - 1)))).to_bytes(width - 1, "big")


def encode(text: str) -> bytes:
    """Bytes of a name: lone low surrogates as the raw bytes they escape, other surrogates as CESU-8."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def header(name: str, size: int, type_: bytes = b"0", mode: int = 0o644, uid: int = 0, gid: int = 0,
           linkname: str = "", raw_size: bytes | None = None) -> bytes:
    block = bytearray(BLOCK)
    encoded = encode(name)
    prefix = b""
    if len(encoded) > 100:
        cut = encoded.rfind(b"/", 0, 156)
        if 0 < cut and len(encoded) - cut - 1 <= 100:
            prefix, encoded = encoded[:cut], encoded[cut + 1:]
    block[0:len(encoded[:100])] = encoded[:100]
    block[100:108] = _octal(mode & 0o7777777, 8)
    block[108:116] = _octal(uid, 8)
    block[116:124] = _octal(gid, 8)
    block[124:136] = (raw_size + b"\0" * 12)[:12] if raw_size is not None else _octal(size, 12)
    block[136:148] = _octal(1704067200, 12)
    block[156:157] = type_[:1]
    link = encode(linkname)[:100]
    block[157:157 + len(link)] = link
    block[257:263] = b"ustar\0"
    block[263:265] = b"00"
    block[345:345 + len(prefix[:155])] = prefix[:155]
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def _pad(n: int) -> bytes:
    return b"\0" * (-n % BLOCK)


def pax_header(records: tuple[tuple[str, str], ...], type_: bytes = b"x") -> bytes:
    body = b""
    for key, value in records:
        record = encode(f" {key}={value}\n")
        length = len(record) + 1
        while len(str(length)) + len(record) != length:
            length += 1
        body += str(length).encode() + record
    return header("PaxHeader", len(body), type_) + body + _pad(len(body))


def member_bytes(m: Member) -> bytes:
    out = pax_header(m.pax) if m.pax else b""
    carries_data = m.type in (b"0", b"\0", b"7", b"S")
    data = m.data if carries_data else b""
    out += header(m.name, len(data), m.type, m.mode, m.uid, m.gid, m.linkname, m.raw_size)
    return out + data + _pad(len(data))


def tarball(members) -> bytes:
    return b"".join(member_bytes(m) if isinstance(m, Member) else m for m in members) + b"\0" * (2 * BLOCK)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def archive_bytes(image: Image) -> bytes:
    layers = [tarball(layer) for layer in image.layers]
    config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
              "history": [{"created_by": f"layer {i}"} for i in range(len(layers))], **image.config}
    config["rootfs"] = {"type": "layers", "diff_ids": ["sha256:" + _sha(layer) for layer in layers]}
    config_blob = _json(config)
    blob = _oci_archive(image, layers, config_blob) if image.oci else _docker_archive(image, layers, config_blob)
    return gzip.compress(blob, mtime=0) if image.gzip_outer else blob


def _docker_archive(image: Image, layers: list[bytes], config_blob: bytes) -> bytes:
    members, names = [], []
    for layer in layers:
        name = f"{_sha(layer)}/layer.tar"
        names.append(name)
        members.append(Member(name, layer))
    config_name = _sha(config_blob) + ".json"
    members.append(Member(config_name, config_blob))
    members.extend(image.extra)
    members.append(Member("manifest.json", _json([{"Config": config_name, "RepoTags": list(image.tags), "Layers": names}])))
    return tarball(members)


def _oci_archive(image: Image, layers: list[bytes], config_blob: bytes) -> bytes:
    blobs, descriptors = [], []
    for layer in layers:
        packed = gzip.compress(layer, mtime=0)
        blobs.append(packed)
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": "sha256:" + _sha(packed), "size": len(packed)})
    manifest = _json({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": "sha256:" + _sha(config_blob), "size": len(config_blob)},
                      "layers": descriptors})
    index = _json({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                  "digest": "sha256:" + _sha(manifest), "size": len(manifest),
                                  "annotations": {"org.opencontainers.image.ref.name": image.tags[0]} if image.tags else {}}]})
    members = [Member("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), Member("index.json", index)]
    for blob in [*blobs, config_blob, manifest]:
        members.append(Member(f"blobs/sha256/{_sha(blob)}", blob))
    return tarball(members + list(image.extra))


def from_spec(spec) -> Image:
    """An `Image` from a tests/support/images.py `ImageSpec` (entries only, no on-disk layers)."""
    types = {"file": b"0", "dir": b"5", "symlink": b"2", "hardlink": b"1"}
    layers = []
    for layer in spec.layers:
        members = []
        for entry in layer.entries:
            name = entry.path.lstrip("/") + ("/" if entry.type == "dir" else "")
            link = entry.target.lstrip("/") if entry.type == "hardlink" else entry.target
            members.append(Member(name, entry.data, types[entry.type], entry.mode, entry.uid, entry.gid, link))
        layers.append(tuple(members))
    return Image(tuple(layers), {"config": spec.config}, (spec.tag,))


def with_layer(image: Image, index: int, members) -> Image:
    layers = list(image.layers)
    layers[index] = tuple(members)
    return replace(image, layers=tuple(layers))
