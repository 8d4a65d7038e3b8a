"""The typed AST of the policy language: frozen dataclasses, every node located."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Union

from .diagnostics import Span

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Literal:
    """A constant. `kind` is one of string, number, bool, null, date, list, object.

    Lists hold a tuple of Literals; objects a tuple of (key, Literal) pairs.
    Dates keep their source text (ISO 8601).
    """

    kind: str
    value: object
    span: Span
    raw: str | None = field(default=None, compare=False)  # source text of numbers, kept for `regate fmt`


@dataclass(frozen=True)
class Segment:
    """One step of a path: a field name (`.x`), a constant index (`["x"]`, `[0]`)
    or a computed index (`[p.name]`, then `key` is an expression)."""

    key: "str | int | Expr"
    span: Span
    indexed: bool = False

    @property
    def computed(self) -> bool:
        return not isinstance(self.key, (str, int))


@dataclass(frozen=True)
class Ref:
    """A name followed by field accesses: `v.package.name`, `image.env["PATH"]`."""

    root: str
    root_span: Span
    segments: tuple[Segment, ...]
    span: Span

    @property
    def dotted(self) -> str:
        out = self.root
        for seg in self.segments:
            if not seg.indexed:
                out += f".{seg.key}"
            elif isinstance(seg.key, str):
                out += f'["{seg.key}"]'
            elif seg.computed:
                out += "[…]"
            else:
                out += f"[{seg.key}]"
        return out


@dataclass(frozen=True)
class Compare:
    """`left op right` with op one of == != < <= > >= in not_in matches glob."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True)
class Arith:
    """`left op right` on numbers, op one of + - * / %."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True)
class And:
    items: tuple["Expr", ...]
    span: Span


@dataclass(frozen=True)
class Or:
    items: tuple["Expr", ...]
    span: Span


@dataclass(frozen=True)
class Not:
    operand: "Expr"
    span: Span


@dataclass(frozen=True)
class Call:
    """A function call. `count`, `any` and `all` may bind a variable:
    `count(v in vulnerabilities where v.severity == high)` has
    `binding=Binding("v", vulnerabilities)` and `where` set."""

    name: str
    args: tuple["Expr", ...]
    span: Span
    name_span: Span
    binding: "Binding | None" = None
    where: "Expr | None" = None


Expr = Union[Literal, Ref, Compare, Arith, And, Or, Not, Call]


@dataclass(frozen=True)
class Binding:
    """`NAME in collection`: the loop of a rule or a quantifier."""

    var: str
    var_span: Span
    collection: Ref
    span: Span


# -------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Interpolation:
    expr: Expr
    span: Span


@dataclass(frozen=True)
class Message:
    """A message template: literal text and `{expr}` interpolations, in order."""

    parts: tuple[str | Interpolation, ...]
    text: str
    span: Span


@dataclass(frozen=True)
class Meta:
    title: str | None = None
    description: str | None = None
    severity: str | None = None
    severity_span: Span | None = None
    remediation: str | None = None
    links: tuple[str, ...] = ()
    origin: str | None = None

    def merged_over(self, base: "Meta") -> "Meta":
        """These values where set, else the base's (template defaults)."""
        return Meta(
            title=self.title or base.title,
            description=self.description or base.description,
            severity=self.severity or base.severity,
            severity_span=self.severity_span or base.severity_span,
            remediation=self.remediation or base.remediation,
            links=self.links or base.links,
            origin=self.origin if self.origin is not None else base.origin,  # `origin ""` is set too
        )


@dataclass(frozen=True)
class RuleBody:
    meta: Meta = field(default_factory=Meta)
    binding: Binding | None = None
    where: Expr | None = None
    when: Expr | None = None
    message: Message | None = None


@dataclass(frozen=True)
class TemplateUse:
    name: str
    name_span: Span
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class Rule:
    id: str
    id_span: Span
    action: str  # stop | warn | go
    body: RuleBody
    span: Span
    template: TemplateUse | None = None


@dataclass(frozen=True)
class Allow:
    """An exception: findings of `rule` matching `where` become GO until `until`."""

    rule: str
    rule_span: Span
    where: Expr | None
    until: str | None
    until_span: Span | None
    reason: str | None
    span: Span


@dataclass(frozen=True)
class Policy:
    id: str
    id_span: Span
    title: str | None
    description: str | None
    rules: tuple[Rule, ...]
    allows: tuple[Allow, ...]
    span: Span


@dataclass(frozen=True)
class Allowlist:
    id: str
    id_span: Span
    allows: tuple[Allow, ...]
    span: Span


@dataclass(frozen=True)
class Name:
    """A located string: a reference to a policy, allowlist, or an image pattern."""

    value: str
    span: Span


@dataclass(frozen=True)
class Mapping:
    id: str
    id_span: Span
    images: tuple[Name, ...]
    policies: tuple[Name, ...]
    allowlists: tuple[Name, ...]
    span: Span
    # Where the approved image's document is (a path relative to the policy file, or an http(s)
    # URL): the baseline images this mapping matches are compared with.
    baseline: Name | None = None


@dataclass(frozen=True)
class ImageRule:
    verdict: str  # allow | deny
    patterns: tuple[Name, ...]
    reason: str | None
    span: Span


@dataclass(frozen=True)
class Unmatched:
    """`unmatched go|warn|stop`: the declared action for an image no mapping matches."""

    action: str
    span: Span


@dataclass(frozen=True)
class DataSource:
    """`from "file.yaml" key "a.b"`: a value loaded from a YAML/JSON file."""

    path: str
    key: str | None
    span: Span


@dataclass(frozen=True)
class ListDecl:
    name: str
    name_span: Span
    items: tuple[Literal, ...] | None
    source: DataSource | None
    span: Span


@dataclass(frozen=True)
class ParamDecl:
    name: str
    name_span: Span
    value: Literal | None
    source: DataSource | None
    span: Span


@dataclass(frozen=True)
class Template:
    name: str
    name_span: Span
    params: tuple[Name, ...]
    body: RuleBody
    span: Span


@dataclass(frozen=True)
class Import:
    path: str
    span: Span


Declaration = Union[Import, ListDecl, ParamDecl, Template, Policy, Allowlist, Mapping, ImageRule, Unmatched]


@dataclass(frozen=True)
class Module:
    path: str
    source: str
    declarations: tuple[Declaration, ...]
    # Problems found while building the AST that do not stop checking (e.g. a
    # clause given twice); syntax errors raise instead.
    problems: tuple = ()


def map_exprs(node, fn):
    """Rebuild `node` with `fn` applied bottom-up to every expression inside it."""
    if isinstance(node, tuple):
        return tuple(map_exprs(n, fn) for n in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, (Span, Name)):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value) or isinstance(value, tuple):
            new = map_exprs(value, fn)
            if new is not value:
                changes[f.name] = new
    rebuilt = dataclasses.replace(node, **changes) if changes else node
    return fn(rebuilt) if isinstance(rebuilt, EXPR_TYPES) else rebuilt


EXPR_TYPES = (Literal, Ref, Compare, Arith, And, Or, Not, Call)
