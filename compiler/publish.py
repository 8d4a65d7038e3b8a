"""Publishing a bundle where OPA servers download it from: an OCI registry
(`oci://HOST[:PORT]/REPO:TAG`), a plain bundle service (HTTP PUT to an
http(s):// URL), or a directory a web server serves.

An OCI artifact holds the `.tar.gz` unchanged as its one layer, with the media
type OPA's OCI downloader looks for (v1/download/oci_download.go takes the
first `application/vnd.oci.image.layer.v1.tar+gzip` layer and ignores the
config), so the signature inside the bundle travels with it.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .atomic import write_atomically
from .engine.policy import PolicyInfo, read_bundle
from .errors import UserError
from .signing import SIGNATURES

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
REVISION_ANNOTATION = "org.opencontainers.image.revision"
# The grammar of distribution/reference: a repository path and a tag.
_REPOSITORY = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class OciReference:
    registry: str  # HOST[:PORT]
    repository: str
    tag: str

    @property
    def reference(self) -> str:
        """What OPA's `resource` and ORAS call the artifact: HOST[:PORT]/REPO:TAG."""
        return f"{self.registry}/{self.repository}:{self.tag}"

    @classmethod
    def parse(cls, target: str) -> "OciReference":
        rest = target.removeprefix("oci://")
        registry, _, path = rest.partition("/")
        repository, _, tag = path.rpartition(":") if ":" in path else (path, "", "")
        if not registry or not _REPOSITORY.fullmatch(repository) or not _TAG.fullmatch(tag):
            raise UserError(f"{target!r}: give an OCI reference oci://HOST[:PORT]/REPOSITORY:TAG "
                            "(lower-case repository, an explicit tag)")
        return cls(registry, repository, tag)


@dataclass(frozen=True)
class Published:
    where: str
    revision: str
    signed: bool
    digest: str = ""


@dataclass(frozen=True)
class Transport:
    """How to reach the target: plain HTTP for loopback registries, TLS verification, a token."""

    plain_http: bool = False
    insecure: bool = False
    ca_cert: str | None = None
    token: str | None = None

    @property
    def verify(self) -> bool | str:
        return False if self.insecure else (self.ca_cert or True)


def _bundle(path: Path) -> tuple[bytes, dict[str, bytes]]:
    if path.is_dir():
        raise UserError(f"{path}: publish the .tar.gz bundle `regate compile` writes, not a directory")
    files = read_bundle(path)
    if not PolicyInfo.from_files(files).revision:
        raise UserError(f"{path}: a bundle without a .manifest revision; publish a bundle from `regate compile`")
    return path.read_bytes(), files


def publish(bundle: Path, target: str, transport: Transport = Transport()) -> Published:
    content, files = _bundle(bundle)
    revision = PolicyInfo.from_files(files).revision
    signed = SIGNATURES in files
    if target.startswith("oci://"):
        digest = _push_oci(bundle, OciReference.parse(target), revision, transport)
        return Published(target, revision, signed, digest)
    if urlsplit(target).scheme in ("http", "https"):
        _put(content, target, transport)
        return Published(target, revision, signed)
    if "://" in target:
        raise UserError(f"{target!r}: publish to oci://..., http(s)://... or a directory")
    directory = Path(target)
    if not directory.is_dir():
        raise UserError(f"{target}: no such directory (publish to oci://..., http(s)://... or a directory)")
    write_atomically(directory / bundle.name, content)
    return Published(str(directory / bundle.name), revision, signed)


def _push_oci(bundle: Path, reference: OciReference, revision: str, transport: Transport) -> str:
    import oras.client
    import requests

    _reachable(reference.registry, transport)
    client = oras.client.OrasClient(hostname=reference.registry, insecure=transport.plain_http,
                                    tls_verify=transport.verify)
    with tempfile.TemporaryDirectory() as scratch:
        # ORAS splits `path:media-type` at the last colon; a link with a plain name keeps paths with colons apart.
        layer = Path(scratch) / bundle.name
        layer.symlink_to(bundle.resolve())
        config = Path(scratch) / "config.json"
        config.write_text(json.dumps({"revision": revision}))
        try:
            answer = client.push(target=reference.reference, files=[f"{layer}:{LAYER_MEDIA_TYPE}"],
                                 manifest_config=f"{config}:{CONFIG_MEDIA_TYPE}", disable_path_validation=True,
                                 manifest_annotations={REVISION_ANNOTATION: revision}, quiet=True)
        except requests.exceptions.RequestException as exc:
            raise UserError(f"cannot push to {reference.registry}: {exc}") from None
        except ValueError as exc:  # how ORAS reports a registry's refusal
            raise UserError(f"{reference.registry} refused the push of {reference.reference}: {exc}") from None
    return answer.headers.get("Docker-Content-Digest", "")


def _reachable(registry: str, transport: Transport) -> None:
    """Fail fast on a registry that does not answer: ORAS retries a refused connection for minutes."""
    import requests

    url = f"{'http' if transport.plain_http else 'https'}://{registry}/v2/"
    try:
        requests.get(url, verify=transport.verify, timeout=10)
    except requests.exceptions.SSLError as exc:
        hint = "" if transport.plain_http else " (--plain-http for a registry without TLS, --ca-cert for a private CA)"
        raise UserError(f"cannot push to {registry}: TLS failed: {exc}{hint}") from None
    except requests.exceptions.RequestException as exc:
        raise UserError(f"cannot push to {registry}: {url} does not answer ({type(exc).__name__})") from None


def _put(content: bytes, url: str, transport: Transport) -> None:
    import requests

    headers = {"Content-Type": "application/gzip"}
    if transport.token:
        headers["Authorization"] = f"Bearer {transport.token}"
    try:
        answer = requests.put(url, data=content, headers=headers, verify=transport.verify, timeout=60)
    except requests.exceptions.RequestException as exc:
        raise UserError(f"cannot PUT the bundle to {url}: {exc}") from None
    if not 200 <= answer.status_code < 300:
        hint = "; check the token" if answer.status_code in (401, 403) else ""
        raise UserError(f"{url} answered HTTP {answer.status_code} to the PUT: {' '.join(answer.text.split())[:200]}{hint}")
