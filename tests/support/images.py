"""Image archives with known content, written in pure Python, byte for byte
deterministic.

`build_image(BAD)` and `build_image(GOOD)` describe the same small
three-layer image; each `Traits` flag switches one bad thing on. Writers turn
an `ImageSpec` into a docker-archive (`docker save` layout, manifest.json
last), an OCI layout directory (gzip layers) or an OCI archive.

Known content of `build_image(traits)` (paths in the final filesystem):

layer 0, "ADD rootfs.tar /":
  dirs /bin /etc /etc/ssh /usr /usr/bin /usr/lib /root (0700) /home
  /home/app (1000:1000) /tmp (1777) /var /var/cache /var/cache/apt /app
  /usr/lib/os-release   ID=regatelinux, VERSION_ID=1.0, ID_LIKE=debian
  /etc/os-release       symlink -> ../usr/lib/os-release
  /etc/passwd           root(0) daemon(1) app(1000); with `uid0_alias`
                        also toor (uid 0, gid 0): a second root
  /etc/group            root(0) daemon(1) app(1000)
  /bin/sh               binary (contains NUL), 0755
  /usr/bin/passwd       binary, 04755 with `setuid`, else 0755
  /usr/bin/wall         binary, 02755 with `setuid`, else 0755
  /etc/motd             "base motd" (replaced in layer 2)
  /tmp/build-token.txt  a GitHub token (line 1) with `secrets`; deleted by a
                        whiteout in layer 2, yet still shipped in layer 0
  /var/cache/apt/pkgcache.bin, /var/cache/apt/archives/lock
                        removed by an opaque marker in layer 2
layer 1, "COPY app /app":
  /etc/ssh/sshd_config  PermitRootLogin yes|no (`permit_root_login`)
  /app/app.py           plain text; /app/app-link.py is a hard link to it
  with `secrets` (see PLANTED for kind, path and line):
  /app/config.env       AWS access key id (line 2), AWS secret key (line 3)
  /root/.ssh/id_rsa     private key (line 1), mode 0600
  /root/.docker/config.json  registry "auth" (line 4)
  /app/.env             GitHub token (line 1)
  /app/big.log          > 10 kB with an AWS key: over the scan limit
  /app/bin/tool         binary with an AWS key inside: binaries are skipped
(history: an empty ENV layer here)
layer 2, "RUN cleanup":
  /tmp/.wh.build-token.txt, /var/cache/apt/.wh..wh..opq,
  /var/cache/apt/fresh.txt, /etc/motd = "welcome"

Config: os linux, architecture amd64, created 2024-01-01T00:00:00Z, Env PATH
and APP_ENV=production, Labels maintainer and
org.opencontainers.image.version=1.0, ExposedPorts 8080/tcp (+ 22/tcp and
53/udp with `ssh_port`), User unset (root) with `run_as_root` else "app",
Healthcheck CMD /bin/true (30 s interval, 5 s timeout, 3 retries) unless
`no_healthcheck`, WorkingDir /app, Cmd python3 /app/app.py.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Iterator

EPOCH = 1704067200  # 2024-01-01T00:00:00Z: fixed mtimes make the bytes reproducible
CREATED = "2024-01-01T00:00:00Z"

# Fake credentials. The AWS pair is not AWS's documented example (Trivy
# allow-lists that one); none of these was ever valid.
AWS_KEY_ID = "AKIA2E0A8F3B244C9986"
AWS_SECRET = "9dKq3VtZ7xLm2Pw8Rb5Nc1Jh6Fs4Gy0Ta2Ue7Wi3"
GITHUB_TOKEN = "ghp_R6Qx2W8kTn4bZyLm0VcJp5aHs9dFe3Gu7Ki1"
DELETED_TOKEN = "ghp_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"
DOCKER_AUTH = "cmVnYXRlOmZha2UtcGFzc3dvcmQtMTIz"  # base64("regate:fake-password-123")
PRIVATE_KEY_BODY = (
    "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+ZKBQfUqIkjVvuqJtMLbHqk2R\n"
    "cmVnYXRlIHRlc3QgZmFrZSBrZXkgcmVnYXRlIHRlc3QgZmFrZSBrZXkgcmVnYXRl\n"
    "dGVzdCBmYWtlIGtleSByZWdhdGUgdGVzdCBmYWtlIGtleSByZWdhdGUgdGVzdCBm\n"
)
PRIVATE_KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{PRIVATE_KEY_BODY}-----END RSA PRIVATE KEY-----\n"
# Every secret value planted anywhere, to check none leaks in full.
SECRET_VALUES = (AWS_KEY_ID, AWS_SECRET, GITHUB_TOKEN, DELETED_TOKEN, DOCKER_AUTH, *PRIVATE_KEY_BODY.split())

# (kind, path, line) of every secret regate must report in the bad image,
# including the token a later layer deletes: the layer still ships it.
PLANTED = (
    ("github-token", "/tmp/build-token.txt", 1),
    ("aws-access-key", "/app/config.env", 2),
    ("aws-secret-key", "/app/config.env", 3),
    ("private-key", "/root/.ssh/id_rsa", 1),
    ("docker-auth", "/root/.docker/config.json", 4),
    ("github-token", "/app/.env", 1),
)

_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8


@dataclass(frozen=True)
class Traits:
    setuid: bool = True
    uid0_alias: bool = True
    permit_root_login: bool = True
    secrets: bool = True
    run_as_root: bool = True
    ssh_port: bool = True
    no_healthcheck: bool = True


BAD = Traits()
GOOD = Traits(False, False, False, False, False, False, False)


@dataclass(frozen=True)
class Entry:
    """One tar member; `path` is absolute, whiteouts are plain entries."""

    path: str
    data: bytes = b""
    mode: int = 0o644
    type: str = "file"
    target: str = ""
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class LayerSpec:
    created_by: str
    entries: tuple[Entry, ...] = ()
    # A ready layer tar on disk (e.g. an mmdebstrap root filesystem) instead of entries.
    tar_path: Path | None = None


@dataclass(frozen=True)
class ImageSpec:
    layers: tuple[LayerSpec, ...]
    config: dict
    tag: str = "regate-test/image:1"
    # History entries with no layer, as (position among layers, created_by).
    empty_history: tuple[tuple[int, str], ...] = ()


def d(path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> Entry:
    return Entry(path, type="dir", mode=mode, uid=uid, gid=gid)


def f(path: str, text: str | bytes, mode: int = 0o644, uid: int = 0, gid: int = 0) -> Entry:
    return Entry(path, text.encode() if isinstance(text, str) else text, mode=mode, uid=uid, gid=gid)


def build_image(traits: Traits = BAD, tag: str | None = None) -> ImageSpec:
    passwd = ["root:x:0:0:root:/root:/bin/sh", "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
              "app:x:1000:1000:App:/home/app:/bin/sh"]
    if traits.uid0_alias:
        passwd.append("toor:x:0:0:second root:/root:/bin/sh")
    base = (
        d("/bin"), d("/etc"), d("/etc/ssh"), d("/usr"), d("/usr/bin"), d("/usr/lib"), d("/root", 0o700),
        d("/home"), d("/home/app", 0o755, 1000, 1000), d("/tmp", 0o1777), d("/var"), d("/var/cache"),
        d("/var/cache/apt"), d("/var/cache/apt/archives"), d("/app"),
        f("/usr/lib/os-release", 'NAME="Regate Test Linux"\nID=regatelinux\nID_LIKE=debian\nVERSION_ID="1.0"\n'),
        Entry("/etc/os-release", type="symlink", target="../usr/lib/os-release", mode=0o777),
        f("/etc/passwd", "\n".join(passwd) + "\n"),
        f("/etc/group", "root:x:0:\ndaemon:x:1:\napp:x:1000:\n"),
        f("/bin/sh", _ELF + b"sh", 0o755),
        f("/usr/bin/passwd", _ELF + b"passwd", 0o4755 if traits.setuid else 0o755),
        f("/usr/bin/wall", _ELF + b"wall", 0o2755 if traits.setuid else 0o755),
        f("/etc/motd", "base motd\n"),
        f("/tmp/build-token.txt", f"token={DELETED_TOKEN}\n" if traits.secrets else "no token here\n"),
        f("/var/cache/apt/pkgcache.bin", b"\0cache"),
        f("/var/cache/apt/archives/lock", ""),
    )
    app = [
        f("/etc/ssh/sshd_config", f"PermitRootLogin {'yes' if traits.permit_root_login else 'no'}\nPasswordAuthentication no\n"),
        f("/app/app.py", "print('hello from regate tests')\n"),
        Entry("/app/app-link.py", type="hardlink", target="/app/app.py"),
    ]
    if traits.secrets:
        app += [
            f("/app/config.env", f"# settings\naws_access_key_id = {AWS_KEY_ID}\naws_secret_access_key = {AWS_SECRET}\n"),
            d("/root/.ssh", 0o700), f("/root/.ssh/id_rsa", PRIVATE_KEY, 0o600),
            d("/root/.docker", 0o700),
            f("/root/.docker/config.json",
              '{\n  "auths": {\n    "registry.example.com": {\n      "auth": "' + DOCKER_AUTH + '"\n    }\n  }\n}\n'),
            f("/app/.env", f"GITHUB_TOKEN={GITHUB_TOKEN}\n"),
            f("/app/big.log", "x" * 12000 + f"\nkey {AWS_KEY_ID}\n"),
            d("/app/bin"), f("/app/bin/tool", _ELF + f"\0{AWS_KEY_ID}\0".encode(), 0o755),
        ]
    cleanup = (
        f("/tmp/.wh.build-token.txt", ""),
        f("/var/cache/apt/.wh..wh..opq", ""),
        f("/var/cache/apt/fresh.txt", "fresh\n"),
        f("/etc/motd", "welcome\n"),
    )
    ports = {"8080/tcp": {}}
    if traits.ssh_port:
        ports.update({"22/tcp": {}, "53/udp": {}})
    config: dict = {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_ENV=production"],
        "Labels": {"maintainer": "regate tests", "org.opencontainers.image.version": "1.0"},
        "ExposedPorts": ports,
        "WorkingDir": "/app",
        "Cmd": ["python3", "/app/app.py"],
    }
    if not traits.run_as_root:
        config["User"] = "app"
    if not traits.no_healthcheck:
        config["Healthcheck"] = {"Test": ["CMD", "/bin/true"], "Interval": 30_000_000_000,
                                 "Timeout": 5_000_000_000, "Retries": 3}
    name = "bad" if traits == BAD else "good" if traits == GOOD else "custom"
    return ImageSpec(
        layers=(LayerSpec("ADD rootfs.tar / # buildkit", base), LayerSpec("COPY app /app # buildkit", tuple(app)),
                LayerSpec("RUN /bin/sh -c cleanup # buildkit", cleanup)),
        config=config,
        tag=tag or f"regate-test/{name}:1",
        empty_history=((2, "ENV APP_ENV=production"),),
    )


# ---------------------------------------------------------------- writers


@dataclass
class _Blob:
    """A layer tar, in memory or on disk, with its digest and size."""

    data: bytes | None = None
    path: Path | None = None
    digest: str = ""
    size: int = 0

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")


def layer_tar(layer: LayerSpec) -> _Blob:
    if layer.tar_path is not None:
        return _Blob(path=layer.tar_path, digest=_file_digest(layer.tar_path), size=layer.tar_path.stat().st_size)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for entry in layer.entries:
            info = tarfile.TarInfo(entry.path.lstrip("/"))
            info.mode, info.uid, info.gid, info.mtime = entry.mode, entry.uid, entry.gid, EPOCH
            info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                         "hardlink": tarfile.LNKTYPE}[entry.type]
            info.linkname = entry.target.lstrip("/") if entry.type == "hardlink" else entry.target
            info.size = len(entry.data) if entry.type == "file" else 0
            tar.addfile(info, io.BytesIO(entry.data) if entry.type == "file" else None)
    data = buffer.getvalue()
    return _Blob(data=data, digest="sha256:" + hashlib.sha256(data).hexdigest(), size=len(data))


def config_json(spec: ImageSpec, diff_ids: list[str]) -> bytes:
    history = [{"created": CREATED, "created_by": layer.created_by} for layer in spec.layers]
    for position, created_by in sorted(spec.empty_history, reverse=True):
        history.insert(position, {"created": CREATED, "created_by": created_by, "empty_layer": True})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": spec.config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    return _json(config)


def write_docker_archive(spec: ImageSpec, path: Path) -> Path:
    """`docker save` layout: <id>/layer.tar per layer, <config digest>.json, manifest.json last."""
    blobs = [layer_tar(layer) for layer in spec.layers]
    config = config_json(spec, [b.digest for b in blobs])
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_names = []
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for blob in blobs:
            layer_id = hashlib.sha256(f"{blob.digest} {len(layer_names)}".encode()).hexdigest()
            _add_dir(tar, layer_id)
            with blob.open() as handle:
                _add(tar, f"{layer_id}/layer.tar", handle, blob.size)
            layer_names.append(f"{layer_id}/layer.tar")
        _add_bytes(tar, config_name, config)
        # `docker save IMAGE_ID` of an untagged image writes null RepoTags and no repositories file.
        tags = [spec.tag] if spec.tag else None
        _add_bytes(tar, "manifest.json", _json([{"Config": config_name, "RepoTags": tags, "Layers": layer_names}]))
        if spec.tag:
            repository, _, tag = spec.tag.rpartition(":")
            _add_bytes(tar, "repositories", _json({repository: {tag: layer_names[-1].split("/")[0]}}))
    return path


def oci_blobs(spec: ImageSpec) -> Iterator[tuple[str, bytes]]:
    """(archive path, content) of an OCI layout with gzip layers, oci-layout first."""
    yield "oci-layout", _json({"imageLayoutVersion": "1.0.0"})
    diff_ids, layer_descriptors, blobs = [], [], []
    for layer in spec.layers:
        blob = layer_tar(layer)
        diff_ids.append(blob.digest)
        compressed = io.BytesIO()
        with blob.open() as src, gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=6) as gz:
            shutil.copyfileobj(src, gz, 1 << 20)
        data = compressed.getvalue()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        layer_descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                  "digest": digest, "size": len(data)})
        blobs.append((digest, data))
    config = config_json(spec, diff_ids)
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = _json({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
        "layers": layer_descriptors,
    })
    manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    index = _json({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": len(manifest),
            "annotations": {"io.containerd.image.name": f"docker.io/{spec.tag}",
                            "org.opencontainers.image.ref.name": spec.tag.rpartition(":")[2]},
        }],
    })
    yield "index.json", index
    for digest, data in [*blobs, (config_digest, config), (manifest_digest, manifest)]:
        yield f"blobs/sha256/{digest.split(':')[1]}", data


def write_oci_layout(spec: ImageSpec, directory: Path) -> Path:
    for name, data in oci_blobs(spec):
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return directory


def write_oci_archive(spec: ImageSpec, path: Path) -> Path:
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        _add_dir(tar, "blobs")
        _add_dir(tar, "blobs/sha256")
        for name, data in oci_blobs(spec):
            _add_bytes(tar, name, data)
    return path


def with_layers(spec: ImageSpec, *layers: LayerSpec) -> ImageSpec:
    """`spec` with `layers` appended (hostile-input tests add to a known image)."""
    return replace(spec, layers=(*spec.layers, *layers))


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _info(name: str, size: int = 0, type_: bytes = tarfile.REGTYPE, mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mode, info.mtime = size, type_, mode, EPOCH
    return info


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    tar.addfile(_info(name, type_=tarfile.DIRTYPE, mode=0o755))


def _add(tar: tarfile.TarFile, name: str, handle: BinaryIO, size: int) -> None:
    tar.addfile(_info(name, size), handle)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    _add(tar, name, io.BytesIO(data), len(data))
