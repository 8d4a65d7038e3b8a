"""Exceptions for what the plan cannot fix: written out for a person to judge,
never added to the policy or applied to the proof."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ..engine.policy import PolicyInfo
from .candidates import locate

# How long a suggested exception lasts: long enough to ship, short enough to be looked at again.
_DAYS = 30
# The field that names an entry of each collection in a `where` condition.
_NAMES = {"vulnerabilities": "id", "packages": "name", "secrets": "path", "files": "path", "malware": "path",
          "users": "name", "misconfigurations": "id", "image.exposed_ports": "spec", "image.env": "name",
          "image.labels": "name"}


def suggest(remaining: list[dict], policy: PolicyInfo, document: dict) -> list[dict]:
    until = (_today(document) + timedelta(days=_DAYS)).isoformat()
    out = []
    for finding in remaining:
        where = ""
        located = locate(document, finding["key"], [])
        if located is not None:
            collection, entry = located
            field = _NAMES[collection]
            value = entry.get(field, finding["key"])
            where = f" where {_loop_variable(policy, finding.get('source')) or collection[0]}.{field} == {_quote(value)}"
        out.append({"policy": finding["policy"], "rule": finding["rule"], "key": finding["key"],
                    "exception": f"allow {finding['rule']}{where} until {until} "
                                 f"because \"<why this is accepted, and who accepted it>\""})
    return out


def _quote(value) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _today(document: dict) -> date:
    now = document.get("now")
    if isinstance(now, str):
        try:
            return datetime.fromisoformat(now.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    return date.today()


def _loop_variable(policy: PolicyInfo, source: str | None) -> str | None:
    """The rule's loop variable (`for v in ...`), read from the policy source when regate has it."""
    lines = source_lines(policy, source, 12)
    for line in lines:
        match = re.match(r"\s*for\s+([A-Za-z_]\w*)\s+in\b", line)
        if match:
            return match.group(1)
    return None


def source_lines(policy: PolicyInfo, source: str | None, count: int) -> list[str]:
    """Up to `count` lines of a rule's source from its `file:line:col`, through its closing brace."""
    if not source or policy.root is None:
        return []
    file, _, rest = source.rpartition(":")
    file, _, line = file.rpartition(":")
    if not line.isdigit():
        return []
    try:
        text = (policy.root / file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    out, depth = [], 0
    for current in text[int(line) - 1:int(line) - 1 + count]:
        out.append(current)
        depth += current.count("{") - current.count("}")
        if depth <= 0 and len(out) > 1:
            break
    return out
