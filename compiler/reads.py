"""Which data each rule reads, so that the decision can tell a rule that found
nothing from a rule that had nothing to look at.

The input schema marks what a path needs: `x-regate-data` names the kind of
data a field belongs to (the keys of an input document's `coverage`), and
`x-regate-partial` a field some sources never fill (Grype gives no
vulnerability dates). A rule reads what its loop and conditions reach; its
message and exceptions do not count, they only describe findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ast
from .resources import input_schema
from .types import Type, fields_of, roots, type_of_schema


@dataclass(frozen=True)
class _Var:
    type: Type | None
    kind: str | None  # the kind of data the variable's collection belongs to


@dataclass
class _Reads:
    data: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)

    def note(self, schema: dict, name: str, kind: str | None) -> str | None:
        """Record what reading field `name` (described by `schema`) needs; the kind it belongs to."""
        kind = schema.get("x-regate-data", kind)
        if "x-regate-data" in schema:
            self.data.add(kind)
        if schema.get("x-regate-partial") and kind:
            self.fields.add(f"{kind}.{name}")
        return kind

    def expr(self, expr: ast.Expr | None, env: dict[str, _Var]) -> None:
        if isinstance(expr, ast.Ref):
            self.ref(expr, env)
        elif isinstance(expr, (ast.Compare, ast.Arith)):
            self.expr(expr.left, env)
            self.expr(expr.right, env)
        elif isinstance(expr, (ast.And, ast.Or)):
            for item in expr.items:
                self.expr(item, env)
        elif isinstance(expr, ast.Not):
            self.expr(expr.operand, env)
        elif isinstance(expr, ast.Call):
            if expr.name == "new":  # whether an element is new is known against a baseline only
                self.data.add("baseline")
            for arg in expr.args:
                self.expr(arg, env)
            if expr.binding is not None:
                self.expr(expr.where, self.bind(expr.binding, env))
        elif isinstance(expr, ast.Literal) and expr.kind == "list":
            for item in expr.value:
                self.expr(item, env)

    def bind(self, binding: ast.Binding, env: dict[str, _Var]) -> dict[str, _Var]:
        collection = self.ref(binding.collection, env)
        item = collection.type.item if collection.type is not None else None
        return {**env, binding.var: _Var(item, collection.kind)}

    def ref(self, ref: ast.Ref, env: dict[str, _Var]) -> _Var:
        if ref.root in env:
            current = env[ref.root]
        elif ref.root in roots():
            schema = input_schema()["properties"][ref.root]
            current = _Var(roots()[ref.root], self.note(schema, ref.root, None))
        else:  # a list, a param or a severity name
            current = _Var(None, None)
        for segment in ref.segments:
            if segment.computed:
                self.expr(segment.key, env)
            current = self.step(current, segment)
        return current

    def step(self, current: _Var, segment: ast.Segment) -> _Var:
        t = current.type
        if t is None:
            return current
        if t.iterable and segment.indexed:
            return _Var(t.item, current.kind)
        schema = fields_of(t).get(segment.key) if isinstance(segment.key, str) else None
        if schema is None:
            return _Var(None, current.kind)
        return _Var(type_of_schema(schema, segment.key), self.note(schema, segment.key, current.kind))


def rule_reads(rule: ast.Rule) -> dict[str, list[str]]:
    """The kinds of data (`data`) and partial fields (`fields`, as `kind.field`) a rule's conditions read."""
    reads = _Reads()
    body = rule.body
    env: dict[str, _Var] = {}
    reads.expr(body.when, env)
    if body.binding is not None:
        env = reads.bind(body.binding, env)
    reads.expr(body.where, env)
    return {"data": sorted(reads.data), "fields": sorted(reads.fields)}
