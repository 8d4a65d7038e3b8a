"""Images in a Docker daemon: inspect for identity, then stream `docker save`.

The saved archive arrives as HTTP chunks and goes straight through the same
one-pass archive reader as a file: nothing is buffered whole, in memory or on
disk. DOCKER_HOST and the other DOCKER_* variables are honoured
(`docker.from_env`).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import docker
import requests

from ..adapters.imageconfig import parse_reference, reference_digest
from ..base import ExtractOptions, Facts
from .archive import read_archive
from .limits import Budget, Where
from .progress import Progress
from .tarstream import CHUNK


class ChunkSource:
    """A readable source over an iterator of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks: Iterator[bytes] = iter(chunks)
        self._chunk = b""
        self._pos = 0

    def read(self, n: int) -> bytes:
        while self._pos >= len(self._chunk):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._chunk, self._pos = chunk, 0
        out = self._chunk[self._pos:self._pos + n]
        self._pos += len(out)
        return out


def read_daemon_image(ref: str, options: ExtractOptions, budget: Budget, progress: Progress) -> Facts:
    where = Where(f"docker:{ref}")
    try:
        client = docker.from_env()
    except docker.errors.DockerException as exc:
        raise where.error(f"cannot reach the Docker daemon ({_short(exc)})") from None
    try:
        attrs = _inspect(client, ref, where)
        chunks = client.api.get_image(ref, chunk_size=CHUNK)
        try:
            facts, _ = read_archive(ChunkSource(chunks), where, options, budget, progress)
        except (requests.exceptions.RequestException, docker.errors.DockerException) as exc:
            raise where.error(f"the Docker daemon stopped sending the image ({_short(exc)})") from None
        finally:
            chunks.close()
    finally:
        client.close()
    _add_identity(facts["image"], ref, attrs, where)
    return facts


def _inspect(client: docker.DockerClient, ref: str, where: Where) -> dict[str, Any]:
    try:
        return client.api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        raise where.error("no such image in the Docker daemon (regate never pulls; `docker pull` it first)") from None
    except (requests.exceptions.RequestException, docker.errors.DockerException) as exc:
        raise where.error(f"cannot reach the Docker daemon ({_short(exc)})") from None


def _add_identity(image: dict[str, Any], ref: str, attrs: dict[str, Any], where: Where) -> None:
    if attrs.get("Id") and attrs["Id"] != image["id"]:
        raise where.error(f"the daemon saved image {image['id']} for {attrs['Id']}; did the tag move?")
    if not image.get("reference"):
        parsed = parse_reference(ref)
        if parsed:
            image.update(parsed)
    repo_digests = [d for d in attrs.get("RepoDigests") or [] if isinstance(d, str)]
    if repo_digests:
        image["repo_digests"] = repo_digests
        # The repo digest of the repository asked for, else the first.
        same = [d for d in repo_digests if (parse_reference(d) or {}).get("repository") == image.get("repository")]
        image.setdefault("digest", reference_digest((same or repo_digests)[0]))


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else exc.__class__.__name__
