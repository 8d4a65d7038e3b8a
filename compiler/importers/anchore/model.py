"""An Anchore policy bundle (format 1_0) as typed values, each part located in its JSON file."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...diagnostics import Span


@dataclass(frozen=True)
class Param:
    name: str  # lower case: Anchore compares parameter names case-insensitively
    value: object  # a string in a valid bundle; params.py refuses anything else


@dataclass(frozen=True)
class Rule:
    id: str
    gate: str  # lower case, legacy names already resolved
    trigger: str
    action: str  # STOP | WARN | GO
    params: tuple[Param, ...]
    span: Span
    written_gate: str = ""  # as the bundle spells it, for messages
    written_trigger: str = ""


@dataclass(frozen=True)
class Policy:
    id: str
    name: str
    comment: str | None
    rules: tuple[Rule, ...]
    span: Span


@dataclass(frozen=True)
class WhitelistItem:
    id: str
    gate: str
    trigger_id: str
    expires_on: str | None
    span: Span


@dataclass(frozen=True)
class Whitelist:
    id: str
    name: str
    items: tuple[WhitelistItem, ...]
    span: Span


@dataclass(frozen=True)
class ImageSelector:
    """registry / repository / image (tag, digest or id), each `*`-wildcarded or `regexp:`."""

    registry: str
    repository: str
    image_type: str  # tag | digest | id
    image_value: str
    span: Span


@dataclass(frozen=True)
class Mapping:
    id: str
    name: str
    selector: ImageSelector
    policy_ids: tuple[str, ...]
    whitelist_ids: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class ImageRule:
    """An entry of whitelisted_images or blacklisted_images."""

    name: str
    selector: ImageSelector
    span: Span


@dataclass
class Bundle:
    name: str
    policies: list[Policy] = field(default_factory=list)
    whitelists: list[Whitelist] = field(default_factory=list)
    mappings: list[Mapping] = field(default_factory=list)
    whitelisted_images: list[ImageRule] = field(default_factory=list)
    blacklisted_images: list[ImageRule] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # file → text, to render located errors
    stubs: list[tuple[str, str, Span]] = field(default_factory=list)  # (kind, id, where) of `{"id": ...}` entries
