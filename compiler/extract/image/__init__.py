"""Container images read directly: docker-archive tars, OCI layouts, OCI
archives and images in a Docker daemon.

Each yields one `Extraction` with `image`, `files`, `users` and `secrets`
facts (and `packages` when Syft is installed and `options.run_syft`).
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from ... import __version__
from ...errors import InputError
from ..adapters.clamav import FORMAT
from ..base import Extraction, ExtractOptions, Facts, Source
from .archive import read_archive, sniff_archive
from .assemble import VERIFICATION
from .daemon import read_daemon_image
from .layout import is_layout, read_layout
from .limits import DEFAULT_LIMITS, Budget, Limits, Where
from .malware import clamscan_version
from .progress import Progress
from .syft import syft_packages
from .verify import attach

__all__ = ["PATH_ADAPTERS", "extract_from_daemon", "extract_image_path", "Limits"]


def _unpacking(options: ExtractOptions):
    """A private directory for the copies of the image's files a malware scan reads, removed afterwards."""
    return tempfile.TemporaryDirectory(prefix="regate-unpack-") if options.malware_scan else nullcontext("")


def extract_image_path(path: Path, options: ExtractOptions, limits: Limits = DEFAULT_LIMITS) -> Extraction:
    """An image archive (docker-archive or OCI, detected from content) or an OCI layout directory."""
    with _unpacking(options) as unpack_dir:
        return _extract_image_path(path, replace(options, unpack_dir=unpack_dir), limits)


def _extract_image_path(path: Path, options: ExtractOptions, limits: Limits) -> Extraction:
    budget = Budget(limits)
    progress = Progress(options.progress)
    if is_layout(path):
        facts, fmt, scheme = read_layout(path, options, budget, progress), "oci-layout", "oci-dir"
    else:
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
        with handle:
            facts, fmt = read_archive(handle, Where(str(path)), options, budget, progress)
        scheme = fmt
    return _extraction(facts, fmt, f"{scheme}:{path}", str(path), options, budget)


def extract_from_daemon(ref: str, options: ExtractOptions, limits: Limits = DEFAULT_LIMITS) -> Extraction:
    """The image `ref` of the Docker daemon (DOCKER_HOST), streamed from `docker save`."""
    budget = Budget(limits)
    with _unpacking(options) as unpack_dir:
        facts = read_daemon_image(ref, replace(options, unpack_dir=unpack_dir), budget, Progress(options.progress))
    return _extraction(facts, "docker-daemon", f"docker:{ref}", f"docker:{ref}", options, budget)


def _extraction(facts: Facts, fmt: str, syft_target: str, label: str, options: ExtractOptions,
                budget: Budget) -> Extraction:
    also: tuple[Source, ...] = ()
    covers = {"content_search"} if options.content_patterns else set()
    verification = facts.pop(VERIFICATION, None)
    if options.malware_scan:
        also += (Source("clamav", FORMAT, clamscan_version(shutil.which("clamscan") or "clamscan"), label),)
    if options.run_syft:
        listed = syft_packages(syft_target, label, options.progress)
        if listed is not None:
            facts["packages"], syft = listed
            also += (syft,)
        else:
            budget.warn("syft is not installed: the image's packages are not listed")
    if verification is not None:
        for warning in verification.warnings:
            budget.warn(warning)
        if verification.results and "packages" not in facts:
            budget.warn("packages not verified: their files were checked, but no package list (Syft) to attach it to")
        elif attach(facts.get("packages", {}), verification):
            covers.add("package_verification")
    return Extraction(facts, Source("regate", fmt, __version__, label), budget.all_warnings(), also,
                      covers=frozenset(covers))


class _ImagePath:
    def __init__(self, format: str, description: str):
        self.format = format
        self.description = description

    def detect_path(self, path: Path) -> bool:
        if self.format == "oci-layout":
            return is_layout(path)
        return path.is_file() and sniff_archive(path) == self.format

    def extract_path(self, path: Path, options: ExtractOptions) -> Extraction:
        return extract_image_path(path, options)


PATH_ADAPTERS = (
    _ImagePath("docker-archive", "image tar written by `docker save` (docker-archive)"),
    _ImagePath("oci-archive", "OCI image layout packed in a tar (oci-archive)"),
    _ImagePath("oci-layout", "OCI image layout directory"),
)
