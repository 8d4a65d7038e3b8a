"""Named content-search regexes over the files of an image → `files[].content_matches`.

Anchore's analyzer runs named regexes (`NAME=REGEX` in its analyzer_config.yaml, `content_search`)
over every file up to a size limit, line by line, each anchored at the start of a line
(Python's `re.match`); its files gate fires on the names that matched (`content_regex_match`).
regate runs the same defaults, and the `--content-search NAME=REGEX` a user adds, as RE2 (like the
secret hunter: linear whatever a hostile file holds) over files up to the secret scan's size limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

from ..errors import UserError

# anchore-engine's conf/analyzer_config.yaml `content_search.regexp_match`, rewritten for RE2, which
# has no lookaround: `(?<![X])K(?![X])` after `( *=+ *).*` becomes `(?:.*[^X])?K(?:[^X]|$)` (the
# character before K is the one `.*` ends with, or the ` *=+ *` separator's last one, which must
# not be in X either: hence ` +` for the secret key, whose X holds `=`). A trailing `.*` changes
# nothing for an anchored match and is dropped.
ANCHORE_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("AWS_ACCESS_KEY", r"(?i).*aws_access_key_id( *=+ *)(?:.*[^A-Z0-9])?[A-Z0-9]{20}(?:[^A-Z0-9]|$)"),
    ("AWS_SECRET_KEY", r"(?i).*aws_secret_access_key *=+(?: +|.*[^A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?:[^A-Za-z0-9/+=]|$)"),
    ("SSH_PRIV_KEY", r"(?i)-+BEGIN(.*)PRIVATE KEY-+"),
    ("DOCKER_AUTH", r"(?i).*\"auth\": *\".+\""),
    ("API_KEY", r"(?i).*api(-|_)key( *=+ *)(?:.*[^A-Z0-9])?[A-Z0-9]{20,60}(?:[^A-Z0-9]|$)"),
)

_NAME = re2.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class ContentSearch:
    """Compiled patterns, and one alternation of all of them: most files match none, and are done after it."""

    names: tuple[str, ...]
    patterns: tuple[Any, ...]
    any: Any

    def matches(self, data: bytes) -> tuple[str, ...]:
        text = data.decode("utf-8", errors="replace")
        if not self.any.search(text):
            return ()
        return tuple(name for name, pattern in zip(self.names, self.patterns) if pattern.search(text))


def _anchored(regex: str) -> str:
    # Each line, from its start, as Anchore's `re.match` per line; `.` never crosses a line end.
    return f"(?m)^(?:{regex})"


def parse_option(text: str) -> tuple[str, str]:
    """`--content-search NAME=REGEX`."""
    name, sep, regex = text.partition("=")
    if not sep or not _NAME.match(name) or not regex:
        raise UserError(f"--content-search {text[:80]!r}: expected NAME=REGEX, NAME of letters, digits, `_`, `.` or `-`")
    # The policy checker (and the parser it imports) only when a user pattern needs checking: every
    # `regate check` imports this module for its defaults.
    from ..checks.exprs import regex_problem

    problem = regex_problem(_anchored(regex))
    if problem:
        raise UserError(f"--content-search {name}: {regex[:80]!r} is not an RE2 regular expression ({problem})")
    return name, regex


def compile_search(patterns: tuple[tuple[str, str], ...]) -> ContentSearch | None:
    """The search for `patterns` (a later pattern of a name replaces an earlier one); None without any."""
    by_name = dict(patterns)
    if not by_name:
        return None
    compiled = tuple(re2.compile(_anchored(regex)) for regex in by_name.values())
    return ContentSearch(tuple(by_name), compiled, re2.compile("|".join(_anchored(r) for r in by_name.values())))
