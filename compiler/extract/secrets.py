"""regate's own secret detectors: the one set that both finds secrets and masks them.

The file rules cover Anchore's default secret regexes (AWS access key id, AWS
secret key, private keys, docker registry auth, API keys) plus common token
formats (GitHub, GitLab, Slack, Stripe, Google, npm). Patterns are RE2 so a
hostile file cannot make matching super-linear.

Configuration text (an image's env, labels and build history) has further
detectors that would be noise in arbitrary files: `NAME=value` where the name
says the value is a password or secret, passwords in URLs, `--password` flags
and `Authorization` headers.

Every match leaves this module masked (`regate.extract.masking`): a finding's
`match` is its line with *every* secret found in the text masked, so a line
holding two credentials never shows one in another finding's excerpt. A
private key is masked whole, from its BEGIN line to its END line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any, Callable, Iterable

import re2

from .masking import PREFIX_LENGTH, mask_secret, shorten

# How much of a line before the secret a finding's excerpt keeps, so the
# excerpt shows the match even on long (minified) lines.
_CONTEXT_BEFORE = 80
# Enough to spot a binary the way git does, without reading all of it.
_BINARY_SNIFF = 8000
# Known values shorter than this are masked where they were found but not
# hunted for in other text: a four-letter password would mask common words.
MIN_KNOWN_LENGTH = 6
# Known values per RE2 pattern: larger groups make patterns RE2 refuses to compile.
_GROUP = 500


@dataclass(frozen=True)
class Rule:
    kind: str
    title: str
    severity: str
    # The secret is the first group that took part in the match: the part that gets masked.
    pattern: Any
    # Whether the secret starts with a marker of its kind (`ghp_`, `AKIA`), so its mask may
    # keep a short prefix; a password has no part that is not secret.
    public_prefix: bool = True


def _rule(kind: str, title: str, severity: str, pattern: str, public_prefix: bool = True) -> Rule:
    return Rule(kind, title, severity, re2.compile(pattern), public_prefix)


# A value assignment in config files, env files, YAML, JSON and HTTP headers:
# `key = v`, `key: v`, `"key": "v"`, `key => v`. Horizontal space only, so a
# match never spans lines.
_ASSIGN = r"""["']?[ \t]*(?::|=>|=)[ \t]*["']?"""

_PEM_MARKER = r"[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----"
# What a key body is made of: base64, line breaks (real or JSON-escaped), the
# `Proc-Type: 4,ENCRYPTED` headers of encrypted keys, and `*` so that a masked
# body is masked again the same way. Whatever else ends it.
_PEM_BODY = r"(?:[A-Za-z0-9+/=:,.* \t\r\n-]|\\[nrt])"

# Specific rules come first: a span claimed by one is not reported again by a
# later, more generic rule (an `api_key = AIza...` line is a Google key).
RULES: tuple[Rule, ...] = (
    # The body up to the END line, or as far as key material goes when the END line is missing.
    _rule("private-key", "Private key", "high",
          rf"-----BEGIN{_PEM_MARKER}(?:({_PEM_BODY}*?)-----END{_PEM_MARKER}|({_PEM_BODY}*))"),
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

# Detectors for configuration text only (env, labels, build history, commands).
CONFIG_RULES: tuple[Rule, ...] = (
    _rule("url-password", "Password in a URL", "high",
          r"\b[A-Za-z][A-Za-z0-9+.-]{0,20}://[^\s/:@\"']*:([^\s/@\"'$][^\s/@\"']*)@", public_prefix=False),
    _rule("auth-header", "Authorization header credentials", "high",
          r"(?i)authorization:[ \t]*(?:bearer|basic|token)[ \t]+([A-Za-z0-9._~+/=-]{8,})", public_prefix=False),
    _rule("password", "Password on a command line", "high",
          r"(?i)--(?:password|passwd|pass|token|secret|api-key|apikey|access-key|secret-key)(?:=|[ \t]+)[\"']?([^\s\"'$-][^\s\"']*)",
          public_prefix=False),
)

# The rules a `NAME=value` pair is reported under when its name says what the value is.
PASSWORD = Rule("password", "Password in a variable", "high", None, public_prefix=False)
SECRET = Rule("generic-secret", "Secret in a variable", "high", None, public_prefix=False)

# `PWD` alone is the shell's working directory; `DB_PWD` is a password.
_PASSWORD_NAME = re2.compile(r"(?i)passw(?:or)?d|passphrase|(?:^|[_.-])pass(?:$|[_.-])|[_.-]pwd(?:$|[_.-])")
_SECRET_NAME = re2.compile(r"(?i)secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|auth[_.-]?key|credential")
# Names that point at a secret rather than hold one (`DB_PASSWORD_FILE=/run/secrets/db`).
_POINTER_NAME = re2.compile(
    r"(?i)[_.-](?:file|files|path|dir|url|uri|endpoint|host|name|user|username|id|length|enabled|mode|type)$")
# Values that are no secret whatever the name: a reference, a switch, a masked value.
_NOT_A_VALUE = re2.compile(r"(?i)^(?:\$.*|true|false|yes|no|on|off|none|null|0|1|.{0,4}\*{4,})$")
# `NAME=value` inside configuration text: `ENV A=1 B="x y"`, `|2 TOKEN=... /bin/sh -c ...`.
_ASSIGNMENT = re2.compile(r"""(?:^|[\s;&|("'])([A-Za-z_][A-Za-z0-9_.-]*)=(?:"([^"\n]*)"|'([^'\n]*)'|([^\s;&|"')]+))""")

# One pass over a file tells whether any rule can match; most files hold no
# secret and are done after it.
_ANY = re2.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in RULES))
# Most text holds no secret: one search rules out every configuration detector at once.
_ANY_CONFIG = re2.compile("|".join(f"(?:{p})" for p in [r.pattern.pattern for r in CONFIG_RULES] + [_ASSIGNMENT.pattern]))
# And both in one: decisions and reports are mostly short texts that hold neither.
_ANY_AT_ALL = re2.compile(f"(?:{_ANY.pattern})|(?:{_ANY_CONFIG.pattern})")

Span = tuple[int, int, Rule]
# What to mask: start, end, and whether the mask may keep a short prefix.
Mask = tuple[int, int, bool]


def looks_binary(data: bytes) -> bool:
    return b"\0" in data[:_BINARY_SNIFF]


def variable_rule(name: str, value: str) -> Rule | None:
    """The rule under which `value` is a secret because of the variable or label `name` holding it."""
    if not value.strip() or _NOT_A_VALUE.match(value.strip()) or _POINTER_NAME.search(name):
        return None
    if _PASSWORD_NAME.search(name):
        return PASSWORD
    return SECRET if _SECRET_NAME.search(name) else None


def spans(text: str, config: bool = False) -> list[Span]:
    """Every secret in `text`, overlapping spans included; `config` adds the configuration detectors."""
    found: list[Span] = []
    if config and not _ANY_AT_ALL.search(text):
        return found
    if _ANY.search(text):
        found += _rule_spans(RULES, text)
    if config and _ANY_CONFIG.search(text):
        found += _rule_spans(CONFIG_RULES, text)
        for match in _ASSIGNMENT.finditer(text):
            group = match.lastindex or 0
            rule = variable_rule(match.group(1), match.group(group)) if group > 1 else None
            if rule is not None:
                found.append((*match.span(group), rule))
    return found


def _rule_spans(rules: Iterable[Rule], text: str) -> list[Span]:
    found = []
    for rule in rules:
        for match in rule.pattern.finditer(text):
            start, end = match.span(match.lastindex)
            # A key body without its END line stops where key material stops, not after the spaces.
            found.append((start, start + len(text[start:end].rstrip()), rule))
    return found


def masks(found: Iterable[Span]) -> list[Mask]:
    return [(start, end, rule.public_prefix) for start, end, rule in found]


def distinct(found: list[Span]) -> list[Span]:
    """One span per secret: a span overlapping an earlier rule's is dropped (rules are ordered specific first)."""
    kept: list[Span] = []  # sorted by start, never overlapping: a neighbour check per span
    starts: list[int] = []
    for start, end, rule in found:
        at = bisect.bisect_left(starts, start)
        if (at and kept[at - 1][1] > start) or (at < len(kept) and kept[at][0] < max(end, start + 1)):
            continue
        kept.insert(at, (start, end, rule))
        starts.insert(at, start)
    return kept


def apply_masks(text: str, ranges: Iterable[Mask]) -> str:
    """`text` with every range masked; overlapping ranges are merged into one secret.

    The merged secret keeps a prefix when a range starting where it starts may
    (a detector recognised a token there), unless another secret begins within it.
    """
    merged: list[list] = []
    for start, end, keep in sorted(ranges):
        if merged and start <= merged[-1][1]:
            current = merged[-1]
            current[1] = max(current[1], end)
            if start == current[0]:
                current[2] = current[2] or keep
            elif not keep and start < current[0] + PREFIX_LENGTH:
                current[2] = False
        elif start < end:
            merged.append([start, end, keep])
    out, position = [], 0
    for start, end, keep in merged:
        out += [text[position:start], mask_secret(text[start:end], keep)]
        position = end
    out.append(text[position:])
    return "".join(out)


def known_fragments(value: str) -> set[str]:
    """What of a found secret to hunt for in other text: each of its lines (a PEM body is
    printed split, joined or JSON-escaped), when long enough to mask safely."""
    return {part.strip() for part in re.split(r"[\r\n]+|(?:\\[nrt])+", value)
            if len(part.strip()) >= MIN_KNOWN_LENGTH and not _NOT_A_VALUE.match(part.strip())}


def _verbatim(known: Iterable[str]) -> list:
    """Patterns finding the `known` secret values in a text, whatever their case."""
    fragments = sorted({f for value in known for f in known_fragments(value)}, key=lambda f: (-len(f), f))
    # Literal alternatives, longest first so a value containing another is masked whole; RE2
    # keeps the search linear, in groups small enough for it to compile however many there are.
    return [re2.compile("(?i)" + "|".join(map(_literal, fragments[i:i + _GROUP])))
            for i in range(0, len(fragments), _GROUP)]


def masks_nothing(texts: Iterable[str], known: Iterable[str] = ()) -> bool:
    """Whether `masker(known, config=True)` leaves every one of `texts` as it is, from one search
    over them all joined by line breaks. Every detector sees a line break as it sees the start or
    end of a text (its `^` and `$` are alternatives to a class holding the line break, and `\\b`
    finds no word character either side), so a secret in any text is found there; a find may also
    span two texts, which only means the texts are masked one by one."""
    joined = "\n".join(texts)
    return not _ANY_AT_ALL.search(joined) and not any(pattern.search(joined) for pattern in _verbatim(known))


def masker(known: Iterable[str] = (), config: bool = False) -> Callable[[str], str]:
    """A function masking every secret the detectors recognise in a text, and every
    occurrence of the `known` secret values, whatever their case."""
    verbatim = _verbatim(known)

    def mask(text: str) -> str:
        ranges = list(_short_text_masks(text, config)) if len(text) <= _REMEMBERED_LENGTH else masks(spans(text, config))
        # Where a known value shows, nothing says its prefix is not secret.
        ranges += [(*m.span(), False) for pattern in verbatim for m in pattern.finditer(text)]
        return apply_masks(text, ranges) if ranges else text

    return mask


# The detectors' finds in short texts are remembered for the whole run: the decisions of a batch
# repeat their rule ids, titles and messages, and each search costs microseconds. Long texts (file
# contents) are searched each time, so that the cache never holds an image's files.
_REMEMBERED_LENGTH = 512


@lru_cache(maxsize=1 << 15)
def _short_text_masks(text: str, config: bool) -> tuple[Mask, ...]:
    return tuple(masks(spans(text, config)))


def mask_json(value: Any, mask: Callable[[str], str], keys: bool = False) -> Any:
    """A copy of a JSON value with `mask` applied to every string (and object key, with `keys`)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask(k) if keys else k: mask_json(v, mask, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, mask, keys) for v in value]
    return value


def _literal(text: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


def mask_secrets(text: str) -> str:
    """`text` with every credential the file rules recognise masked (overlaps merged)."""
    return masker()(text)


@dataclass(frozen=True)
class Scan:
    findings: list[dict[str, Any]]
    # The `known_fragments` of the secrets found: to mask them wherever else they show, never stored.
    values: frozenset[str] = frozenset()


def scan_bytes(data: bytes, path: str, layer: str = "") -> Scan:
    """Findings in a file's bytes; binaries yield none."""
    if looks_binary(data):
        return Scan([])
    return scan(data.decode("utf-8", errors="replace"), path, layer)


def scan_text(text: str, path: str, layer: str = "") -> list[dict[str, Any]]:
    """Findings in `text`, in line order, one per kind and line."""
    return scan(text, path, layer).findings


def scan(text: str, path: str, layer: str = "") -> Scan:
    found = distinct(spans(text))
    if not found:
        return Scan([])
    # Masking keeps lengths and line breaks, so offsets into `text` hold in `masked`.
    masked = apply_masks(text, masks(found))
    line_starts = [0, *accumulate(len(part) + 1 for part in text.split("\n")[:-1])]
    findings: dict[str, dict[str, Any]] = {}
    for start, _, rule in found:
        index = bisect.bisect_right(line_starts, start) - 1
        key = f"{rule.kind}:{path}:{index + 1}"
        if key in findings:
            continue
        entry = {
            "kind": rule.kind,
            "path": path,
            "line": index + 1,
            "match": excerpt(masked, line_starts[index], start),
            "severity": rule.severity,
            "title": rule.title,
            "source": "regate",
            "location": "file",
        }
        if layer:
            entry["layer"] = layer
        findings[key] = entry
    return Scan(list(findings.values()), frozenset(f for s, e, _ in found for f in known_fragments(text[s:e])))


def excerpt(masked: str, line_start: int, start: int) -> str:
    """The (already masked) line holding `start`, cut so that the secret shows even on a long line."""
    line_end = masked.find("\n", line_start)
    line = masked[line_start: len(masked) if line_end < 0 else line_end].rstrip("\r")
    return shorten(line[max(0, start - line_start - _CONTEXT_BEFORE):])
