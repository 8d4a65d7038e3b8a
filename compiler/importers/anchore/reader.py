"""Anchore bundle JSON → `model.Bundle`: a whole bundle, or a bundle template and its modular parts.

anchore/modular-policy keeps a bundle as a template whose `policies`, `whitelists` and `mappings`
hold `{"id": ...}` stubs, with each part in a file of its own; a part given after the bundle fills
the stub of its id (or is added). Parts alone (no bundle) make a bundle of their own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ...diagnostics import Span
from ...errors import InputError
from ...extract.jsonload import parse_json, read_text
from . import legacy
from .model import Bundle, ImageRule, ImageSelector, Mapping, Param, Policy, Rule, Whitelist, WhitelistItem

ACTIONS = ("STOP", "WARN", "GO")


class Locator:
    """Where a value sits in a JSON file, found by its `"key": "value"` text (ids are unique in practice)."""

    def __init__(self, path: str, text: str):
        self.path, self.text = path, text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def span(self, key: str, value: object, after: int = 0) -> tuple[Span, int]:
        pattern = re.escape(json.dumps(key)) + r"\s*:\s*" + re.escape(json.dumps(value, ensure_ascii=False))
        found = re.compile(pattern).search(self.text, after) if isinstance(value, str) and value else None
        if found is None and isinstance(value, str):  # written with escapes json.dumps does not use
            found = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(self.text, after)
        offset = found.start() if found else 0
        line = _line_of(self.starts, offset)
        column = offset - self.starts[line - 1] + 1
        end = found.end() if found else offset + 1
        end_line = _line_of(self.starts, end)
        return Span(self.path, line, column, end_line, end - self.starts[end_line - 1] + 1), end


def _line_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        mid = (low + high + 1) // 2
        if starts[mid] <= offset:
            low = mid
        else:
            high = mid - 1
    return low + 1


def read_bundle(paths: list[Path]) -> Bundle:
    bundle: Bundle | None = None
    for path in paths:
        text = read_text(path)
        document = parse_json(text, str(path))
        locator = Locator(str(path), text)
        documents = document if isinstance(document, list) else [document]
        for index, part in enumerate(documents):
            where = f"/{index}" if isinstance(document, list) else ""
            if not isinstance(part, dict):
                raise InputError(str(path), "expected an Anchore policy bundle or part (a JSON object)", where or None)
            kind = _kind(part)
            if kind is None:
                raise InputError(str(path), "is not an Anchore policy bundle, policy, whitelist or mapping "
                                 "(no policies, rules, items or policy_id/policy_ids)", where or None)
            if bundle is None:
                bundle = Bundle(name=_text(part.get("name")) or Path(path).stem)
            bundle.sources[str(path)] = text
            _READERS[kind](bundle, part, locator, str(path), where)
    if bundle is None:
        raise InputError("import", "no bundle given")
    _order_by_stubs(bundle)
    return bundle


def _order_by_stubs(bundle: Bundle) -> None:
    """Parts take the places their stubs have in the bundle (mappings are tried in order); a stub no
    part fills is an error: the bundle would mean something else without it."""
    defined = {"policy": bundle.policies, "whitelist": bundle.whitelists, "mapping": bundle.mappings}
    for kind, stub_id, span in bundle.stubs:
        if not any(item.id == stub_id for item in defined[kind]):
            raise InputError(str(span), f"the bundle lists {kind} {stub_id!r} but no file given defines it; "
                             f"give its part file after the bundle")
    for kind, items in defined.items():
        order = [stub_id for k, stub_id, _ in bundle.stubs if k == kind]
        items.sort(key=lambda item: order.index(item.id) if item.id in order else len(order))


def _kind(part: dict) -> str | None:
    if any(k in part for k in ("policies", "mappings", "whitelisted_images", "blacklisted_images")):
        return "bundle"
    if "rules" in part:
        return "policy"
    if "items" in part:
        return "whitelist"
    if "policy_id" in part or "policy_ids" in part or "registry" in part:
        return "mapping"
    return None


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _list(part: dict, key: str, path: str, where: str) -> list:
    value = part.get(key) or []
    if not isinstance(value, list):
        raise InputError(path, f"{key} must be a list", f"{where}/{key}")
    return value


def _is_stub(item) -> bool:
    return isinstance(item, dict) and set(item) <= {"id", "name"}


def _put(items: list, item) -> None:
    """A part given twice (a stub filled by its file, a policy redefined) keeps its first place."""
    for i, existing in enumerate(items):
        if existing.id == item.id:
            items[i] = item
            return
    items.append(item)


def _read_whole(bundle: Bundle, part: dict, locator: Locator, path: str, where: str) -> None:
    for i, item in enumerate(_list(part, "policies", path, where)):
        if _is_stub(item):
            bundle.stubs.append(("policy", _text(item.get("id")), locator.span("id", _text(item.get("id")))[0]))
        else:
            _read_policy(bundle, item, locator, path, f"{where}/policies/{i}")
    for i, item in enumerate(_list(part, "whitelists", path, where)):
        if _is_stub(item):
            bundle.stubs.append(("whitelist", _text(item.get("id")), locator.span("id", _text(item.get("id")))[0]))
        else:
            _read_whitelist(bundle, item, locator, path, f"{where}/whitelists/{i}")
    for i, item in enumerate(_list(part, "mappings", path, where)):
        if _is_stub(item):
            bundle.stubs.append(("mapping", _text(item.get("id")), locator.span("id", _text(item.get("id")))[0]))
        else:
            _read_mapping(bundle, item, locator, path, f"{where}/mappings/{i}")
    for key, target in (("whitelisted_images", bundle.whitelisted_images), ("blacklisted_images", bundle.blacklisted_images)):
        for i, item in enumerate(_list(part, key, path, where)):
            pointer = f"{where}/{key}/{i}"
            selector = _selector(item, locator, path, pointer)
            target.append(ImageRule(_text(item.get("name")) or _text(item.get("id")), selector, selector.span))


def _object(item, path: str, pointer: str) -> dict:
    if not isinstance(item, dict):
        raise InputError(path, "expected an object", pointer)
    return item


def _required(item: dict, key: str, path: str, pointer: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(path, f"{key} is missing or not a string", f"{pointer}/{key}")
    return value


def _read_policy(bundle: Bundle, item, locator: Locator, path: str, pointer: str) -> None:
    item = _object(item, path, pointer)
    policy_id = _required(item, "id", path, pointer)
    span, _ = locator.span("id", policy_id)
    rules = []
    for i, raw in enumerate(_list(item, "rules", path, pointer)):
        rule_pointer = f"{pointer}/rules/{i}"
        raw = _object(raw, path, rule_pointer)
        rule_id = _text(raw.get("id")) or f"{policy_id}#{i + 1}"
        rule_span, _ = locator.span("id", rule_id) if raw.get("id") else (span, 0)
        action = _required(raw, "action", path, rule_pointer).upper()
        if action not in ACTIONS:
            raise InputError(path, f"rule {rule_id}: action {raw['action']!r} is not STOP, WARN or GO", f"{rule_pointer}/action")
        params = []
        for j, param in enumerate(_list(raw, "params", path, rule_pointer)):
            param = _object(param, path, f"{rule_pointer}/params/{j}")
            name = _required(param, "name", path, f"{rule_pointer}/params/{j}")
            value = param.get("value")
            params.append(Param(name.strip().lower(), "" if value is None else value))
        gate = _required(raw, "gate", path, rule_pointer)
        trigger = _required(raw, "trigger", path, rule_pointer)
        rules.append(legacy.modernise(Rule(rule_id, gate.lower(), trigger.lower(), action, tuple(params), rule_span,
                                           written_gate=gate, written_trigger=trigger)))
    policy = Policy(policy_id, _text(item.get("name")) or policy_id, item.get("comment"), tuple(rules), span)
    _put(bundle.policies, policy)


def _read_whitelist(bundle: Bundle, item, locator: Locator, path: str, pointer: str) -> None:
    item = _object(item, path, pointer)
    whitelist_id = _required(item, "id", path, pointer)
    span, _ = locator.span("id", whitelist_id)
    items = []
    for i, raw in enumerate(_list(item, "items", path, pointer)):
        item_pointer = f"{pointer}/items/{i}"
        raw = _object(raw, path, item_pointer)
        trigger_id = _required(raw, "trigger_id", path, item_pointer)
        item_span, _ = locator.span("id", raw["id"]) if isinstance(raw.get("id"), str) else locator.span("trigger_id", trigger_id)
        expires = raw.get("expires_on") or None
        items.append(WhitelistItem(_text(raw.get("id")) or f"{whitelist_id}#{i + 1}",
                                   legacy.SUCCESSORS.get(gate := _required(raw, "gate", path, item_pointer).lower(), gate),
                                   trigger_id, _text(expires) if expires else None, item_span))
    whitelist = Whitelist(whitelist_id, _text(item.get("name")) or whitelist_id, tuple(items), span)
    _put(bundle.whitelists, whitelist)


def _read_mapping(bundle: Bundle, item, locator: Locator, path: str, pointer: str) -> None:
    item = _object(item, path, pointer)
    mapping_id = _text(item.get("id")) or f"{path}#{pointer}"  # names may repeat; the place does not
    selector = _selector(item, locator, path, pointer)
    policy_ids = item.get("policy_ids") or ([item["policy_id"]] if item.get("policy_id") else [])
    if not isinstance(policy_ids, list) or not all(isinstance(p, str) for p in policy_ids):
        raise InputError(path, "policy_ids must be a list of policy ids", f"{pointer}/policy_ids")
    whitelist_ids = _list(item, "whitelist_ids", path, pointer)
    mapping = Mapping(mapping_id, _text(item.get("name")) or mapping_id, selector, tuple(policy_ids),
                      tuple(_text(w) for w in whitelist_ids), selector.span)
    _put(bundle.mappings, mapping)


def _selector(item, locator: Locator, path: str, pointer: str) -> ImageSelector:
    item = _object(item, path, pointer)
    image = item.get("image") or {"type": "tag", "value": "*"}
    image = _object(image, path, f"{pointer}/image")
    image_type = _text(image.get("type") or "tag").lower()
    if image_type not in ("tag", "digest", "id"):
        raise InputError(path, f"image type {image_type!r} is not tag, digest or id", f"{pointer}/image/type")
    anchor = ("id", item["id"]) if isinstance(item.get("id"), str) else ("registry", _text(item.get("registry")))
    span, _ = locator.span(*anchor)
    return ImageSelector(_text(item.get("registry")) or "*", _text(item.get("repository")) or "*", image_type,
                         _text(image.get("value")) or "*", span)


_READERS = {"bundle": _read_whole, "policy": _read_policy, "whitelist": _read_whitelist, "mapping": _read_mapping}
