"""The text of Rego: string literals, identifiers, instants and METADATA comments."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from ..checks.exprs import parse_date
from ..model import PolicySet

LIB = "data.regate.lib"
REGO_KEYWORDS = {"as", "contains", "data", "default", "else", "every", "false", "if", "import", "in",
                 "input", "not", "null", "package", "some", "true", "with"}
IDENT = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


# Characters OPA refuses in a Rego file (a byte-order mark) or in the YAML of a METADATA
# comment (DEL, C1 controls, U+FFFE/U+FFFF; U+2028/U+2029 end a YAML 1.1 line): written
# as escapes, which mean the same character in both.
_UNSAFE_IN_REGO = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def rego_string(text: str) -> str:
    return _UNSAFE_IN_REGO.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def identifier(name: str) -> str:
    """A Rego identifier for a policy id (ids are free text)."""
    cleaned = re.sub(r"[^a-zA-Z0-9_]", "_", name).lower() or "policy"
    if cleaned[0].isdigit() or cleaned in REGO_KEYWORDS:
        cleaned = "p_" + cleaned
    return cleaned


def unique_identifiers(bases: list[tuple[str, str]]) -> dict[str, str]:
    """Key → its base identifier, suffixed `_2`, `_3`, ... where an earlier key took it."""
    taken: dict[str, str] = {}
    for key, base in bases:
        name, n = base, 1
        while name in taken.values():
            n += 1
            name = f"{base}_{n}"
        taken[key] = name
    return taken


def date_ns(text: str, end_of_day: bool = False) -> int:
    """Nanoseconds since the epoch; a bare date means midnight UTC (or the next one)."""
    moment = parse_date(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    if end_of_day and "T" not in text:
        delta += timedelta(days=1)  # on the delta: the day after 9999-12-31 is no datetime
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def source_of(policy_set: PolicySet, span) -> str:
    path = policy_set.program.bundle_paths.get(span.file, span.file)
    return f"{path}:{span.line}:{span.column}"


def metadata(entries: list[tuple[str, object]], custom: list[tuple[str, object]]) -> list[str]:
    lines = ["# METADATA"]
    lines += [f"# {k}: {rego_string(str(v))}" for k, v in entries if v is not None]
    present = [(k, v) for k, v in custom if v is not None]
    if present:
        lines.append("# custom:")
        lines += [f"#   {k}: {rego_string(str(v))}" for k, v in present]
    return lines
