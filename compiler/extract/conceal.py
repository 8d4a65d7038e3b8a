"""Secrets in an input document found, reported and masked before anything reads it.

An image config carries credentials as often as its files do: `ENV
DB_PASSWORD=...`, a label holding a token, a build argument echoed into the
history. `conceal` reports those as `secrets` entries (location `env`, `label`
or `history`), masks every secret the detectors recognise in the document's
free text (config strings, captured file contents, scanners' matches and
messages), then masks each value it found wherever else it appears in that
text, whatever its case. It returns those values (their `known_fragments`):
the report layer masks them again in everything it prints, and they exist
nowhere else.

Identifiers (package names, versions, vulnerability ids, paths, digests) are
left alone: masking them would change what policies match.
"""

from __future__ import annotations

from typing import Any

from .secrets import (Rule, Span, apply_masks, distinct, excerpt, known_fragments, mask_json, masker, masks, scan, spans,
                      variable_rule)

# Image fields holding text a build can put a secret into.
_FREE_TEXT_IMAGE_FIELDS = ("env", "labels", "history", "layers", "cmd", "entrypoint", "healthcheck", "workdir", "dockerfile")


def conceal(document: dict, known: frozenset[str] = frozenset()) -> frozenset[str]:
    """Mask every secret in `document` in place, add the findings of its image config
    and captured files to `secrets`, and return the secret values found.

    `known` are values already found where the document does not show them
    (files regate scanned but did not keep): they are masked here too."""
    found: dict[str, dict] = {}
    values: set[str] = set(known)
    image = document.get("image") or {}
    for location, field in (("env", "env"), ("label", "labels")):
        for name, item in (image.get(field) or {}).items():
            if isinstance(item, dict) and isinstance(item.get("value"), str):
                item["value"] = _conceal_variable(location, name, item["value"], found, values)
    for entry in image.get("history") or []:
        if isinstance(entry, dict) and isinstance(entry.get("created_by"), str):
            entry["created_by"] = _conceal_text(f"history:{entry.get('index', 0)}", "history",
                                                entry["created_by"], found, values)
    dockerfile = image.get("dockerfile") if isinstance(image.get("dockerfile"), dict) else {}
    if dockerfile.get("mode") == "actual":  # a guessed one repeats the history, concealed above
        for entry in dockerfile.get("instructions") or []:
            if isinstance(entry, dict) and isinstance(entry.get("value"), str):
                entry["value"] = _conceal_instruction(entry, found, values)
    for path, entry in (document.get("files") or {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("contents"), str):
            entry["contents"] = _conceal_contents(path, entry, found, values)

    secrets = document.setdefault("secrets", {})
    for key, entry in found.items():
        secrets.setdefault(key, entry)
    mask = masker(values, config=True)
    for field in _FREE_TEXT_IMAGE_FIELDS:
        if field in ("env", "labels"):
            for item in (image.get(field) or {}).values():
                if isinstance(item, dict) and "value" in item:
                    item["value"] = mask_json(item["value"], mask)
        elif field in image:
            image[field] = mask_json(image[field], mask)
    for collection, fields in (("files", ("contents",)), ("secrets", ("match",)), ("misconfigurations", None)):
        for entry in (document.get(collection) or {}).values():
            for field in fields or list(entry):
                if field in entry:
                    entry[field] = mask_json(entry[field], mask)
    return frozenset(values)


def _conceal_variable(location: str, name: str, value: str, found: dict, values: set[str]) -> str:
    """A variable's or label's value with its secrets masked; the finding's excerpt is `name=masked`."""
    text = f"{name}={value}"
    offset = len(name) + 1
    hits = [(s, e, rule) for s, e, rule in spans(text, config=True) if s >= offset]
    rule = variable_rule(name, value)
    if rule is not None:
        # After the detectors' spans: a value a file rule knows is reported under its kind.
        hits.append((offset, len(text), rule))
    masked = _record(f"{location}:{name}", location, text, hits, found, values)
    return masked[offset:]


def _conceal_instruction(entry: dict, found: dict, values: set[str]) -> str:
    """A Dockerfile instruction's value with its secrets masked. The legacy `ENV NAME value` is read
    as `NAME=value`, so the variable's name tells whether its value is a secret."""
    keyword, value = entry.get("instruction", ""), entry["value"]
    name, space, rest = value.partition(" ")
    legacy = keyword == "ENV" and space and "=" not in name
    text = f"{keyword} {name}={rest}" if legacy else f"{keyword} {value}"
    masked = _conceal_text(f"dockerfile:{entry.get('line', 0)}", "dockerfile", text, found, values)
    masked = masked[len(keyword) + 1:]
    return masked.replace("=", " ", 1) if legacy else masked


def _conceal_text(path: str, location: str, text: str, found: dict, values: set[str]) -> str:
    return _record(path, location, text, spans(text, config=True), found, values)


def _record(path: str, location: str, text: str, hits: list[Span], found: dict, values: set[str]) -> str:
    """Masked `text`; one finding per kind at `path`, its secrets added to `values`."""
    if not hits:
        return text
    _remember(values, text, hits)
    masked = apply_masks(text, masks(hits))
    for start, _, rule in distinct(hits):
        found.setdefault(f"{rule.kind}:{path}", _finding(rule, path, location, masked, start))
    return masked


def _finding(rule: Rule, path: str, location: str, masked: str, start: int) -> dict[str, Any]:
    return {"kind": rule.kind, "path": path, "match": excerpt(masked, masked.rfind("\n", 0, start) + 1, start),
            "severity": rule.severity, "title": rule.title, "source": "regate", "location": location}


def _conceal_contents(path: str, entry: dict, found: dict, values: set[str]) -> str:
    """Captured contents with every secret the file rules recognise masked, and their findings."""
    text = entry["contents"]
    hits = spans(text)
    if not hits:
        return text
    scanned = scan(text, path, entry.get("layer", ""))
    values |= scanned.values
    for finding in scanned.findings:
        found.setdefault(f"{finding['kind']}:{path}:{finding['line']}", finding)
    return apply_masks(text, masks(hits))


def _remember(values: set[str], text: str, hits: list[Span]) -> None:
    for start, end, _ in hits:
        values |= known_fragments(text[start:end])
