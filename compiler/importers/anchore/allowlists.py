"""Whitelist items → exceptions of the rules they match, the way Anchore matches them.

Anchore applies an item to every finding of its gate whose trigger id equals the item's
`trigger_id` or matches it with `*` wildcards (`regexp:` for a raw regex; anchore_engine/util/matcher.py).
A trigger id is what the trigger gives (`CVE-…+package` for vulnerabilities) or else the MD5 of
gate, trigger and message, which the importer computes when the message is constant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...anchore_ids import md5_trigger_id
from .gates import Translation
from .model import Rule, WhitelistItem
from .params import Untranslatable, string

RAW_PREFIX = "regexp:"


def regexify(pattern: str) -> str:
    if pattern.strip().startswith(RAW_PREFIX):
        return pattern.strip()[len(RAW_PREFIX):]
    return "^" + "(.*)".join(re.escape(token) for token in pattern.split("*")) + "$"


def _may_be_md5(pattern: str) -> bool:
    """Whether a `*` pattern can match an MD5 hex digest at all (raw regexes are assumed to)."""
    if pattern.strip().startswith(RAW_PREFIX):
        return True
    return re.fullmatch(r"[0-9a-f*]*", pattern) is not None and len(pattern.replace("*", "")) <= 32


def _matches(pattern: str, value: str) -> bool:
    return pattern == value or re.match(regexify(pattern), value) is not None


@dataclass(frozen=True)
class Exception_:
    """`allow <rule> [where <condition>]` for one whitelist item."""

    rule: str
    where: str | None
    identified: bool = False  # the item's exact MD5 id is this rule's constant finding


def exception_for(item: WhitelistItem, rule: Rule, name: str, translation: Translation) -> Exception_ | None:
    """The exception `item` makes to `rule` (generated as `name`), or None when it cannot match it."""
    if item.gate != rule.gate:
        return None
    pattern = item.trigger_id
    if pattern.strip() in ("*", "regexp:.*", "regexp:^.*$"):
        return Exception_(name, None)
    if translation.trigger_ids:
        exact = "*" not in pattern and not pattern.strip().startswith(RAW_PREFIX)
        tests = [f"{t} == {string(pattern)}" if exact else f"{t} matches {string(regexify(pattern))}"
                 for t in translation.trigger_ids]
        extra = translation.exact_trigger_id(pattern) if exact and translation.exact_trigger_id else None
        tests += [extra] if extra else []
        return Exception_(name, tests[0] if len(tests) == 1 else " or ".join(f"({t})" for t in tests))
    if not _may_be_md5(pattern):
        return None
    if translation.constant_message is not None:
        digest = md5_trigger_id(rule.gate, rule.trigger, translation.constant_message)
        if not _matches(pattern, digest):
            return None
        return Exception_(name, None, identified=pattern == digest)
    if translation.anchore_message is not None:
        digest = f"md5({string(rule.gate + rule.trigger)} + {translation.anchore_message})"
        if "*" not in pattern:
            return Exception_(name, f"{digest} == {string(pattern)}")
        return Exception_(name, f"{digest} matches {string(regexify(pattern))}")
    raise Untranslatable(f"whitelist item {item.id}: Anchore computes the trigger id of {rule.gate}/{rule.trigger} "
                         f"(rule {rule.id}) as an MD5 of its message, which regate's findings do not carry; "
                         "allow the finding by its content instead")
