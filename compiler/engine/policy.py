"""What a report needs to know about the evaluated policy: its revision and
the rule metadata of `data.regate.config` (titles, severities, remediation,
links, source locations).

It comes from the bundle files when regate has the bundle, and from the OPA
server otherwise (`ServerEngine.policy`).
"""

from __future__ import annotations

import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError

# A regate bundle is a few hundred kilobytes; this only stops a hostile archive.
MAX_BUNDLE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class PolicyInfo:
    revision: str
    config: dict = field(default_factory=dict)
    # Directory the `source` fields (`file:line:col`) are relative to, when known.
    root: Path | None = None

    def rule(self, policy_id: str, rule_id: str) -> dict:
        return self.config.get("policies", {}).get(policy_id, {}).get("rules", {}).get(rule_id, {})

    def source_path(self, file: str) -> str:
        """A policy file as a path relative to the working directory (as CI tools expect), else as given."""
        if self.root is None:
            return file
        absolute = (self.root / file).resolve()
        relative = os.path.relpath(absolute)
        return absolute.as_posix() if relative.startswith("..") else Path(relative).as_posix()

    @classmethod
    def from_files(cls, files: dict[str, bytes], root: Path | None = None) -> "PolicyInfo":
        manifest = _json_member(files, ".manifest")
        data = _json_member(files, "data.json")
        config = data.get("regate", {}).get("config", {}) if isinstance(data, dict) else {}
        revision = manifest.get("revision", "") if isinstance(manifest, dict) else ""
        return cls(str(revision), config if isinstance(config, dict) else {}, root)


def _json_member(files: dict[str, bytes], name: str):
    if name not in files:
        return {}
    try:
        return json.loads(files[name])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(f"the bundle's {name} is not valid JSON") from None


def read_bundle(path: Path) -> dict[str, bytes]:
    """Every regular file of a bundle directory or `.tar.gz`, by its path inside the bundle."""
    if path.is_dir():
        return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    try:
        with tarfile.open(path, "r:*") as tar:
            files, total = {}, 0
            for member in tar:
                if not member.isfile():
                    continue
                total += member.size
                if total > MAX_BUNDLE_BYTES:
                    raise UserError(f"{path}: over {MAX_BUNDLE_BYTES:,} bytes; not a policy bundle")
                name = _member_name(member.name)
                if name in files:  # which copy counts would be up to the reader: OPA refuses such bundles
                    raise UserError(f"{path}: holds {name} twice; not a bundle whose policy is certain")
                files[name] = tar.extractfile(member).read()
            return files
    except FileNotFoundError:
        raise UserError(f"{path}: no such bundle") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UserError(f"{path} is not a bundle directory or .tar.gz: {exc}") from None


def _member_name(name: str) -> str:
    # `opa build` writes `/data.json`, tar tools `./data.json`; both mean `data.json`.
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")
