"""ClamAV `clamscan` output (text) → the `malware` collection.

clamscan prints one line per file it reports, `PATH: SIGNATURE FOUND` for an infected one
(`PATH: OK`, `PATH: Empty file`, `PATH: ... ERROR` otherwise; `--infected` keeps only the
FOUND lines), then a SCAN SUMMARY unless `--no-summary`. A scan of an unpacked image run from
its root directory (`cd rootfs && clamscan -r .`) names files `./usr/bin/x`: read as `/usr/bin/x`.
"""

from __future__ import annotations

import re

from ...errors import InputError
from ..base import Extraction, Source

FORMAT = "clamav-text"
_SUMMARY = "----------- SCAN SUMMARY -----------"
_FOUND = re.compile(r"^(?P<path>.+): (?P<signature>\S+) FOUND$")
_OK = re.compile(r"^.+: (?:OK|Empty file|Symbolic link|Excluded)$")
_ERROR = re.compile(r"^(?P<path>.+): (?P<reason>.*) ERROR$")
_SUMMARY_FIELD = re.compile(r"^(?P<name>[A-Za-z][A-Za-z ]*): (?P<value>.*)$")


def looks_like_clamscan(text: str) -> bool:
    """clamscan's output: its summary or a FOUND line (whose other lines `findings` then checks)."""
    return any(line == _SUMMARY or _FOUND.match(line) for line in text.splitlines())


def image_path(path: str) -> str:
    return "/" + path[2:] if path.startswith("./") else path


def findings(text: str, where: str, paths: dict[str, tuple[str, str]] | None = None) -> tuple[dict, list[str], dict]:
    """(malware entries keyed `<signature>:<path>`, warnings, summary fields) of clamscan's output.

    `paths` maps the host paths clamscan saw to (image path, layer) when regate ran it."""
    found: dict[str, dict] = {}
    warnings: list[str] = []
    summary: dict[str, str] = {}
    in_summary = False
    for number, line in enumerate(text.splitlines(), 1):
        if line == _SUMMARY:
            in_summary = True
            continue
        if not line.strip() or line.startswith("LibClamAV "):
            continue
        if in_summary:
            field = _SUMMARY_FIELD.match(line)
            if field:
                summary[field["name"]] = field["value"].strip()
            continue
        match = _FOUND.match(line)
        if match:
            host = match["path"]
            path, layer = paths[host] if paths and host in paths else (image_path(host), "")
            entry = {"path": path, "signature": match["signature"].strip(), "scanner": "clamav"}
            if layer:
                entry["layer"] = layer
            found[f"{entry['signature']}:{path}"] = entry
        elif _ERROR.match(line):
            error = _ERROR.match(line)
            host = error["path"]
            shown = paths[host][0] if paths and host in paths else image_path(host)
            warnings.append(f"clamscan could not scan {shown}: {error['reason']}")
        elif not _OK.match(line):
            raise InputError(where, f"line {number}: not a line of clamscan output: {line[:80]!r}")
    infected = summary.get("Infected files")
    if infected is not None and infected.isdigit() and int(infected) != len({e["path"] for e in found.values()}):
        warnings.append(f"the scan summary counts {infected} infected files, the output lists "
                        f"{len({e['path'] for e in found.values()})}")
    return dict(sorted(found.items())), warnings, summary


def extract_text(text: str, path: str) -> Extraction:
    found, warnings, summary = findings(text, path)
    version = summary.get("Engine version", "")
    return Extraction({"malware": found}, Source("clamav", FORMAT, version, path), warnings)
