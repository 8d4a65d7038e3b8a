"""Tar-level mutations of images.

Most mutations edit the members of one layer (odd names, links, whiteouts,
PAX records, huge sizes and ids, duplicates, hostile /etc/passwd lines) and
let `tarcraft` rewrite digests so the extractor reads the layer; a few damage
the finished archive bytes (truncation, flipped header bytes) to exercise the
outer reader.
"""

from __future__ import annotations

import random
from dataclasses import replace

from .tarcraft import Image, Member, archive_bytes, encode, with_layer

NAMES = ("../../../../etc/passwd", "/etc/passwd", "./etc/passwd", "etc//passwd", "", ".", "..", "/", "etc/passwd/",
         ".wh.", ".wh..wh..opq", "etc/.wh.passwd", "usr/.wh..", "../.wh.usr", "a/" * 2100 + "f", "é/ü",
         "etc/\udcff\udcfe", "x\u2028y", "\ufeffetc/passwd", "etc/pa\nsswd", "-rf", "a" * 101, "a" * 256,
         "manifest.json", "blobs/sha256/" + "0" * 64, "proc/self/environ", "dev/zero")
LINKS = ("/", "..", "../../../..", "/etc/shadow", "etc/passwd", "passwd", "/dev/zero", "self", "", "a" * 5000,
         "/proc/self/environ", "\udcff")
IDS = (-1, 0, 2 ** 21, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 63, 2 ** 88)
PAX = (("size", "²"), ("size", "-1"), ("size", "9" * 5000), ("size", "1e3"), ("uid", "9" * 5000), ("uid", "²"),
       ("gid", "-5"), ("mtime", "nan"), ("mtime", "1e999"), ("mtime", "-" + "9" * 400), ("path", "etc/passwd"),
       ("path", "../../x"), ("path", "a\u0000b"), ("path", ""), ("linkpath", "/etc/shadow"), ("linkpath", ""),
       ("uname", "\ud800"), ("SCHILY.xattr.security.capability", "\x00\x01"), ("hdrcharset", "BINARY"),
       ("GNU.sparse.size", "99999999999"), ("comment", "x" * 5000), ("path", "a/" * 3000 + "f"))
PASSWD_LINES = ("root:x:²:0:root:/root:/bin/sh", "root:x:" + "9" * 5000 + ":0::/:/bin/sh", "x:x:-1:-1::/:/bin/sh",
                "::::::", "root", "a:x:0:0:" + "g" * 10000 + ":/:/bin/sh", "b:x:0x10:0:::", "c:x:1e3:0:::",
                "d:x:\u0663:0:::", "+::::::", "e:x:0:0::/:/bin/sh:extra:fields", "\x00:x:0:0:::")


def _layer_index(rng, image: Image) -> int:
    return rng.randrange(len(image.layers)) if image.layers else 0


def _members(image: Image, index: int) -> list[Member]:
    return list(image.layers[index]) if image.layers else []


def _set_layer(image: Image, index: int, members: list[Member]) -> Image:
    if not image.layers:
        return replace(image, layers=(tuple(members),))
    return with_layer(image, index, members)


def _edit_member(rng, image: Image, edit) -> Image:
    index = _layer_index(rng, image)
    members = _members(image, index)
    if not members:
        members = [Member("a", b"x")]
    at = rng.randrange(len(members))
    members[at] = edit(members[at])
    return _set_layer(image, index, members)


def _add_member(rng, image: Image, member: Member) -> Image:
    index = _layer_index(rng, image)
    members = _members(image, index)
    members.insert(rng.randint(0, len(members)), member)
    return _set_layer(image, index, members)


def odd_name(rng, image):
    name = rng.choice(NAMES)
    return _edit_member(rng, image, lambda m: replace(m, name=name))


def symlink(rng, image):
    return _add_member(rng, image, Member(rng.choice(NAMES[:12] + ("etc", "usr/bin", "app")), type=b"2",
                                          linkname=rng.choice(LINKS + NAMES[:6])))


def link_loop(rng, image):
    kind = rng.choice((b"1", b"2"))
    image = _add_member(rng, image, Member("loop/a", type=kind, linkname="loop/b" if kind == b"1" else "b"))
    return _add_member(rng, image, Member("loop/b", type=kind, linkname="loop/a" if kind == b"1" else "a"))


def whiteout(rng, image):
    name = rng.choice((".wh.", ".wh..wh..opq", "etc/.wh.passwd", ".wh.etc", "usr/.wh..", "../.wh.usr",
                       "app/.wh..wh..opq/", ".wh..wh..plnk/x", "etc/.wh..wh..opq"))
    return _add_member(rng, image, Member(name, type=rng.choice((b"0", b"5"))))


def pax_record(rng, image):
    records = tuple(rng.choice(PAX) for _ in range(rng.randint(1, 3)))
    return _edit_member(rng, image, lambda m: replace(m, pax=m.pax + records))


def huge_ids(rng, image):
    return _edit_member(rng, image, lambda m: replace(m, uid=rng.choice(IDS), gid=rng.choice(IDS),
                                                      mode=rng.choice((0o7777, 0o4755, 0, 0o177777, m.mode))))


def bad_size(rng, image):
    raw = rng.choice((b"\xff" * 12, b"\x80" + (2 ** 80).to_bytes(11, "big"), b"77777777777\0", b"zzzz", b"",
                      b"-1", b"00000000001\0", b"\x80" + (2 ** 36).to_bytes(11, "big")))
    return _edit_member(rng, image, lambda m: replace(m, raw_size=raw))


def odd_type(rng, image):
    kind = rng.choice((b"3", b"4", b"6", b"7", b"S", b"K", b"L", b"x", b"g", b"V", b"Z", b"\0"))
    return _edit_member(rng, image, lambda m: replace(m, type=kind))


def duplicate(rng, image):
    index = _layer_index(rng, image)
    members = _members(image, index)
    if not members:
        return image
    member = rng.choice(members)
    copies = rng.choice((1, 1, 2, 3000))
    altered = replace(member, data=member.data + b"\ndup", type=rng.choice((member.type, b"5", b"2")))
    return _set_layer(image, index, members + [altered] * copies)


def passwd(rng, image):
    lines = "\n".join(rng.choice(PASSWD_LINES) for _ in range(rng.randint(1, 3))) + "\n"
    return _add_member(rng, image, Member(rng.choice(("etc/passwd", "etc/group")), encode(lines)))


def file_content(rng, image):
    data = rng.choice((b"\x00" * 5000, b"\xff\xfe" + "x".encode("utf-16"), b"PermitRootLogin yes\n" * 1000,
                       b"-----BEGIN RSA PRIVATE KEY-----\n" + b"A" * 100000, "\ud800".encode("utf-8", "surrogatepass"),
                       b"ID=\xff\nVERSION_ID=\"" + b"9" * 5000 + b"\"\n", b"\r\n" * 10000))
    name = rng.choice(("etc/os-release", "etc/ssh/sshd_config", "app/.env", "root/.docker/config.json", "x.bin"))
    return _add_member(rng, image, Member(name, data))


def drop_members(rng, image):
    index = _layer_index(rng, image)
    members = _members(image, index)
    return _set_layer(image, index, [m for m in members if rng.random() < 0.6])


def shuffle_layers(rng, image):
    layers = list(image.layers)
    rng.shuffle(layers)
    if layers and rng.random() < 0.3:
        layers.append(())
    return replace(image, layers=tuple(layers))


def config_edit(rng, image):
    config = dict(image.config)
    key = rng.choice(("config", "history", "os", "architecture", "created", "author"))
    config[key] = rng.choice((None, "", [], {}, "x" * 10000, 5, {"User": "0:0", "ExposedPorts": {"99999/tcp": {}}},
                              {"Env": ["A", "=", "\u0000=x"], "Healthcheck": {"Test": []}},
                              [{"created_by": None, "empty_layer": True}] * 5, "2024-99-99T"))
    return replace(image, config=config)


def tags(rng, image):
    return replace(image, tags=rng.choice(((), ("\u0000",), ("a" * 10000,), ("UPPER/Case:tag",), (":",), ("@",),
                                           ("host:99999999999999999999/x:1",), ("x@sha256:zz",))))


def outer_member(rng, image):
    """A member of the archive itself: a JSON blob just over the 16 MiB limit, a second manifest, an escape."""
    member = rng.choice((
        Member("0" * 64 + ".json", b"{" + b" " * (16 << 20) + b"}"),
        Member("manifest.json", b"[]"),
        Member("manifest.json", b'[{"Config": "../../etc/passwd", "Layers": []}]'),
        Member("repositories", b'{"a": {"b": 5}}'),
        Member("../evil.json", b"{}"),
        Member("blobs/sha256/" + "1" * 64, type=b"2", linkname="/etc/passwd"),
        Member("index.json", b'{"manifests": [{"digest": "sha256:zz"}]}'),
    ))
    return replace(image, extra=image.extra + (member,))


def archive_kind(rng, image):
    return replace(image, oci=not image.oci, gzip_outer=rng.random() < 0.3)


STRUCTURAL = (odd_name, symlink, link_loop, whiteout, pax_record, pax_record, huge_ids, bad_size, odd_type, duplicate,
              passwd, passwd, file_content, drop_members, shuffle_layers, config_edit, tags, outer_member, archive_kind)


def damage(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """Bytes of a finished archive, cut short or with a header byte flipped."""
    if rng.random() < 0.5:
        return data[:rng.randint(0, len(data))], "truncate"
    at = rng.randrange(0, len(data), 512) + rng.randrange(512) if len(data) > 512 else 0
    flipped = bytearray(data)
    if flipped:
        flipped[min(at, len(flipped) - 1)] ^= 1 << rng.randrange(8)
    return bytes(flipped), "flip-byte"


def mutate(rng: random.Random, image: Image) -> tuple[bytes, list[str]]:
    applied = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        mutation = rng.choice(STRUCTURAL)
        image = mutation(rng, image)
        applied.append(mutation.__name__)
    data = archive_bytes(image)
    if rng.random() < 0.12:
        data, how = damage(rng, data)
        applied.append(how)
    return data, applied
