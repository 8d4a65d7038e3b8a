"""One translator per Anchore gate trigger: rule parameters → the body of a regate rule.

A translator reads its parameters with Anchore's validation and defaults and returns a
`Translation`, or raises `Untranslatable` with the reason. `TRANSLATORS` is the registry,
keyed by (gate, trigger) as Anchore Engine names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ..model import Rule


@dataclass(frozen=True)
class Translation:
    """The body of one regate rule, as source text of the language.

    `loop` is `var in collection` (one finding per element, as Anchore fires once per element) or
    None (one finding for the image). Whitelist items match Anchore's trigger ids: `trigger_ids` are
    expressions computing the id Anchore gives a finding (alternatives where Anchore's depends on
    facts the document words differently), `exact_trigger_id` a condition for one exact id where no
    expression computes it; without them Anchore takes the MD5 of gate, trigger and message, which
    the importer computes from a `constant_message`, or the policy from `anchore_message`, an
    expression of Anchore's exact message text.
    """

    title: str
    message: str
    loop: str | None = None
    where: str | None = None
    when: str | None = None
    trigger_ids: tuple[str, ...] = ()
    exact_trigger_id: Optional[Callable[[str], Optional[str]]] = None
    constant_message: str | None = None
    anchore_message: str | None = None


Translator = Callable[[Rule], Translation]
TRANSLATORS: dict[tuple[str, str], Translator] = {}


def translator(gate: str, trigger: str):
    def register(function: Translator) -> Translator:
        TRANSLATORS[(gate, trigger)] = function
        return function
    return register


# Importing the modules fills the registry.
from . import always, dockerfile, feeds, files, metadata, packages, passwd, vulnerabilities  # noqa: E402,F401
