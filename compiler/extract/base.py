"""The adapter interface shared by every input format.

An adapter recognises one format by its content and turns it into *facts*: a
partial input document (any subset of the top-level keys of the input schema,
in the schema's shape). Facts from several files are merged into one document
by `regate.extract.document`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .contentsearch import ANCHORE_DEFAULTS

Facts = dict[str, Any]


@dataclass(frozen=True)
class Source:
    """Where facts came from; becomes an entry of the document's `sources`."""

    tool: str
    format: str
    version: str = ""
    path: str = ""
    scanned: str = ""  # when the tool ran (RFC 3339), when it says
    data_built: str = ""  # when its vulnerability data was built, when it says
    # `<ID>:<VERSION_ID>` its vulnerability data covered, when it says (empty: it says none); None: not said.
    distros: tuple[str, ...] | None = None

    def as_json(self) -> dict:
        fields = {"tool": self.tool, "format": self.format, "version": self.version, "path": self.path,
                  "scanned": self.scanned, "data_built": self.data_built}
        out: dict = {k: v for k, v in fields.items() if v or k in ("tool", "format")}
        if self.distros is not None:
            out["distros"] = list(self.distros)
        return out


@dataclass
class Extraction:
    """What one adapter produced from one input."""

    facts: Facts
    source: Source
    warnings: list[str] = field(default_factory=list)
    # Further tools whose facts are folded in (Syft listing an image's packages).
    also: tuple[Source, ...] = ()
    # Licenses of packages known only by name (a Trivy license scan lists no versions), for the
    # packages of that name other inputs list.
    licenses_by_name: dict[str, list[str]] = field(default_factory=dict)
    # Kinds of data the format usually reports on that this input did not look at (a Trivy
    # run with only the secret scanner says nothing about vulnerabilities).
    uncovered: frozenset[str] = frozenset()
    # Per kind, fields this input never fills although its format can (EPSS and KEV in a
    # Grype older than its v6 database).
    unfilled: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Optional kinds of data (coverage) this input provides without a collection to show it:
    # a content search or a package verification that found nothing is still one that ran.
    covers: frozenset[str] = frozenset()


class JsonAdapter(Protocol):
    """A format that arrives as one JSON document."""

    format: str
    description: str

    def detect(self, doc: Any) -> bool: ...

    def extract(self, doc: Any, path: str) -> Extraction: ...


class PathAdapter(Protocol):
    """A format that must be read from the filesystem (tar archives, OCI layouts)."""

    format: str
    description: str

    def detect_path(self, path: Path) -> bool: ...

    def extract_path(self, path: Path, options: "ExtractOptions") -> Extraction: ...


@dataclass(frozen=True)
class ExtractOptions:
    """Knobs shared by adapters that read images."""

    content_paths: tuple[str, ...] = (
        "/etc/passwd",
        "/etc/group",
        "/etc/ssh/sshd_config",
        "/etc/sudoers",
        "/etc/os-release",
        "/usr/lib/os-release",
        "/etc/alpine-release",
        "/etc/debian_version",
        "/etc/redhat-release",
    )
    max_content_bytes: int = 1 << 20
    secret_scan_max_bytes: int = 10 * 1024
    scan_secrets: bool = True
    run_syft: bool = True
    platform: str = ""  # os/arch[/variant]: the image to read from an input about several platforms
    progress: bool = False
    # Named regexes searched for in files up to `secret_scan_max_bytes` (files[].content_matches).
    content_patterns: tuple[tuple[str, str], ...] = ANCHORE_DEFAULTS
    # Check the files of dpkg and apk packages against their package database (packages[].verify).
    verify_packages: bool = True
    # `--malware-scan`: run clamscan on the image's files, with the signature databases in `clamav_db`
    # (clamscan's own default when empty).
    malware_scan: bool = False
    clamav_db: str = ""
    # Where the image reader keeps copies of the files for the malware scan (it sets this itself).
    unpack_dir: str = ""
