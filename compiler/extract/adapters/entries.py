"""Builders for the keyed entries of the input document.

Adapters describe what they read through these functions, so keys, the `os`
flag, epochs, license names and secret masking follow one rule whatever the
format.
"""

from __future__ import annotations

import re

from ..masking import mask_in_line, mask_secret
from .licenses import normalize_licenses
from .normalize import (
    OS_PACKAGE_TYPES,
    package_key,
    parse_purl,
    source_package_name,
    type_from_purl_type,
    unique,
    vulnerability_key,
    with_epoch,
)

FIX_STATES = ("fixed", "not-fixed", "wont-fix", "unknown")
# A purl's `upstream` qualifier (parse_purl lower-cases qualifier keys); without one, parsing the purl
# could not name a source package. Also matching elsewhere in the purl only costs a parse.
_UPSTREAM = re.compile(r"[?&]upstream=", re.IGNORECASE)


def package(
    *,
    name: str,
    version: str,
    type: str = "",
    purl: str = "",
    cpes=(),
    licenses=(),
    locations=(),
    layer: str = "",
    source_name: str = "",
    epoch: object = None,
) -> dict:
    """A `packages` entry. The type falls back to the purl's; the epoch is folded into RPM versions."""
    # The purl only fills in: the type, an RPM's epoch, the source package (most packages need none).
    wanted = not type or (epoch is None and type == "rpm") or (not source_name and _UPSTREAM.search(purl))
    parsed = parse_purl(purl) if purl and wanted else None
    if not type and parsed:
        type = type_from_purl_type(parsed["type"])
    type = type or "unknown"
    if epoch is None and parsed:
        epoch = parsed.get("epoch")
    if not source_name and parsed and parsed.get("upstream"):
        # rpm purls name the source RPM file, others the source package (apk) or name@version (deb)
        upstream = parsed["upstream"]
        source_name = source_package_name(upstream) if upstream.endswith(".rpm") else upstream.split("@")[0]
    version = with_epoch(type, version, epoch)
    entry: dict = {"key": package_key(type, name, version), "name": name, "version": version, "type": type}
    entry["os"] = type in OS_PACKAGE_TYPES
    if purl:
        entry["purl"] = purl
    for field, values in (("cpes", unique(cpes)), ("licenses", normalize_licenses(licenses)), ("locations", unique(locations))):
        if values:
            entry[field] = values
    if layer:
        entry["layer"] = layer
    if source_name and source_name != name:
        entry["source_name"] = source_name
    return entry


def affected(pkg: dict) -> dict:
    """The part of a package entry a vulnerability carries as `package`."""
    return {field: pkg[field] for field in ("key", "name", "version", "type", "os", "purl", "locations") if field in pkg}


def fix(state: str, versions=(), date: str | None = None) -> dict:
    """A fix; `available` is true exactly when the state is fixed and a fixed version is named."""
    state = state if state in FIX_STATES else "unknown"
    versions = unique(v.strip() for v in versions if isinstance(v, str))
    out = {"state": state, "available": state == "fixed" and bool(versions), "versions": versions}
    if date:
        out["date"] = date
    return out


_SIZED = (str, list, dict)  # the types whose empty values an entry leaves out


def vulnerability(vuln_id: str, pkg: dict, severity: str, fix_entry: dict, **fields) -> tuple[str, dict]:
    """(key, entry) of a `vulnerabilities` entry; empty optional fields are left out."""
    entry = {"key": vulnerability_key(vuln_id, pkg["key"]), "id": vuln_id, "severity": severity, "fix": fix_entry, "package": affected(pkg)}
    for field, value in fields.items():
        # Not `value in (None, "", [], {})`: four comparisons per field, of thousands of records.
        if value is not None and (type(value) not in _SIZED or value):
            entry[field] = value
    return entry["key"], entry


_REDACTED = re.compile(r"\*{3,}")

# Scanner rule names → regate's secret kinds (the names regate's own scanner uses).
_SECRET_KINDS = {
    "aws-access-key-id": "aws-access-key",
    "aws-secret-access-key": "aws-secret-key",
    "pem-private-key": "private-key",
    "docker-config-auth": "docker-auth",
    "dockerconfig-secret": "docker-auth",
    "generic-api-key": "api-key",
    "github-pat": "github-token",
    "github-fine-grained-pat": "github-token",
    "github-oauth": "github-token",
    "github-app-token": "github-token",
    "github-refresh-token": "github-token",
    "gitlab-pat": "gitlab-token",
    "slack-access-token": "slack-token",
    "slack-web-hook": "slack-webhook",
    "stripe-secret-token": "stripe-key",
}


def secret_kind(rule: str) -> str:
    rule = rule.strip().lower()
    return _SECRET_KINDS.get(rule, rule or "unknown")


def secret(kind: str, path: str, line: int | None, match: str, *, secret_text: str | None = None, **fields) -> tuple[str, dict]:
    """(key, entry) of a `secrets` entry; the match always passes through regate's masking.

    With `secret_text`, that part of `match` is masked. Without it, a run of
    `*` (a scanner's own redaction) marks the secret; failing both, the whole
    match is treated as the secret.
    """
    start = match.find(secret_text) if secret_text else -1
    if start >= 0:
        masked = mask_in_line(match, start, start + len(secret_text))
    elif (redacted := _REDACTED.search(match)) is not None:
        masked = mask_in_line(match, redacted.start(), redacted.end())
    else:
        masked = mask_secret(match.strip())
    entry: dict = {"kind": kind, "path": path, "match": masked, "location": "file"}
    if line is not None:
        entry["line"] = line
    for field, value in fields.items():
        if value not in (None, ""):
            entry[field] = value
    return f"{kind}:{path}:{line if line is not None else 0}", entry
