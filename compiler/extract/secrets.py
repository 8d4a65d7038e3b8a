"""regate's own secret scanner over file contents.

The rule set covers Anchore's default secret regexes (AWS access key id, AWS
secret key, private keys, docker registry auth, API keys) plus common token
formats (GitHub, GitLab, Slack, Stripe, Google, npm). Patterns are RE2 so a
hostile file cannot make matching super-linear.

Every match leaves this module masked (`regate.extract.masking`): a finding's
`match` is its line with *every* secret found on that line masked, so a line
holding two credentials never shows one in another finding's excerpt.
"""

from __future__ import annotations

import bisect
from itertools import accumulate
from dataclasses import dataclass
from typing import Any

import re2

from .masking import mask_in_line, mask_secret

# Anchore skips files above 10 kB by default; so does `ExtractOptions`.
# How much of a line before the secret a finding's excerpt keeps, so the
# excerpt shows the match even on long (minified) lines.
_CONTEXT_BEFORE = 80
# Enough to spot a binary the way git does, without reading all of it.
_BINARY_SNIFF = 8000


@dataclass(frozen=True)
class Rule:
    kind: str
    title: str
    severity: str
    # Group 1 is the secret itself: the part that gets masked.
    pattern: Any


def _rule(kind: str, title: str, severity: str, pattern: str) -> Rule:
    return Rule(kind, title, severity, re2.compile(pattern))


# A value assignment in config files, env files, YAML, JSON and HTTP headers:
# `key = v`, `key: v`, `"key": "v"`, `key => v`. Horizontal space only, so a
# match never spans lines.
_ASSIGN = r"""["']?[ \t]*(?::|=>|=)[ \t]*["']?"""

# Specific rules come first: a span claimed by one is not reported again by a
# later, more generic rule (an `api_key = AIza...` line is a Google key).
RULES: tuple[Rule, ...] = (
    _rule("private-key", "Private key", "high",
          r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----(.*)"),
    _rule("aws-access-key", "AWS access key id", "critical",
          r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b"),
    _rule("aws-secret-key", "AWS secret access key", "critical",
          r"(?i)aws_?secret_?(?:access_?)?key" + _ASSIGN + r"([A-Za-z0-9/+=]{40})(?:$|[^A-Za-z0-9/+=])"),
    _rule("github-token", "GitHub token", "critical",
          r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,251})\b"),
    _rule("github-token", "GitHub fine-grained token", "critical",
          r"\b(github_pat_[A-Za-z0-9_]{22,255})\b"),
    _rule("gitlab-token", "GitLab personal access token", "critical",
          r"\b(glpat-[A-Za-z0-9_\-]{20,})"),
    _rule("slack-token", "Slack token", "high",
          r"\b(xox[baprs]-[A-Za-z0-9\-]{10,250})"),
    _rule("slack-webhook", "Slack webhook URL", "medium",
          r"(https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9+/_]{20,})"),
    _rule("stripe-key", "Stripe live key", "critical",
          r"\b((?:sk|rk)_live_[A-Za-z0-9]{20,247})\b"),
    _rule("google-api-key", "Google API key", "high",
          r"\b(AIza[0-9A-Za-z_\-]{35})(?:$|[^0-9A-Za-z_\-])"),
    _rule("npm-token", "npm access token", "critical",
          r"\b(npm_[A-Za-z0-9]{36})\b"),
    _rule("npm-token", "npm registry auth token", "critical",
          r"_authToken[ \t]*=[ \t]*([A-Za-z0-9_\-.+/=]{16,})"),
    _rule("docker-auth", "Docker registry credentials", "high",
          r""""auth"[ \t]*:[ \t]*"([A-Za-z0-9+/=]{8,})\""""),
    _rule("api-key", "Generic API key", "medium",
          r"(?i)(?:^|[^A-Za-z0-9])(?:x-)?api[-_]?key" + _ASSIGN + r"([A-Za-z0-9_\-]{20,64})"),
)


# One pass over a file tells whether any rule can match; most files hold no
# secret and are done after it.
_ANY = re2.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in RULES))


def looks_binary(data: bytes) -> bool:
    return b"\0" in data[:_BINARY_SNIFF]


def scan_bytes(data: bytes, path: str, layer: str = "") -> list[dict[str, Any]]:
    """Findings in a file's bytes; binaries yield none."""
    if looks_binary(data):
        return []
    return scan_text(data.decode("utf-8", errors="replace"), path, layer)


def scan_text(text: str, path: str, layer: str = "") -> list[dict[str, Any]]:
    """Findings in `text`, in line order, one per kind and line."""
    if not _ANY.search(text):
        return []
    raw = [(m.span(1), rule) for rule in RULES for m in rule.pattern.finditer(text)]
    if not raw:
        return []
    line_starts = [0, *accumulate(len(part) + 1 for part in text.split("\n")[:-1])]
    hits: dict[int, list[tuple[int, int, Rule]]] = {}
    for (start, end), rule in raw:
        index = bisect.bisect_right(line_starts, start) - 1
        offset = line_starts[index]
        span = (start - offset, end - offset)
        on_line = hits.setdefault(index, [])
        if not any(_overlap(span, (s, e)) for s, e, _ in on_line):
            on_line.append((*span, rule))

    findings: dict[str, dict[str, Any]] = {}
    for index in sorted(hits):
        line = _line(text, line_starts, index)
        masked = _mask_all(line, hits[index])
        for start, end, rule in sorted(hits[index], key=lambda h: h[0]):
            key = f"{rule.kind}:{path}:{index + 1}"
            if key in findings:
                continue
            cut = max(0, start - _CONTEXT_BEFORE)
            entry = {
                "kind": rule.kind,
                "path": path,
                "line": index + 1,
                "match": mask_in_line(masked[cut:], start - cut, end - cut),
                "severity": rule.severity,
                "title": rule.title,
                "source": "regate",
            }
            if layer:
                entry["layer"] = layer
            findings[key] = entry
    return list(findings.values())


def mask_secrets(text: str) -> str:
    """`text` with every credential the scanner would recognise masked (overlaps merged)."""
    if not _ANY.search(text):
        return text
    merged: list[list[int]] = []
    for start, end in sorted({m.span(1) for rule in RULES for m in rule.pattern.finditer(text)}):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif start < end:
            merged.append([start, end])
    out, position = [], 0
    for start, end in merged:
        out += [text[position:start], mask_secret(text[start:end])]
        position = end
    out.append(text[position:])
    return "".join(out)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _line(text: str, line_starts: list[int], index: int) -> str:
    end = line_starts[index + 1] - 1 if index + 1 < len(line_starts) else len(text)
    return text[line_starts[index]:end].rstrip("\r")


def _mask_all(line: str, spans: list[tuple[int, int, Rule]]) -> str:
    # mask_secret keeps the length, so the other spans' offsets stay valid.
    for start, end, _ in spans:
        line = line[:start] + mask_secret(line[start:end]) + line[end:]
    return line
