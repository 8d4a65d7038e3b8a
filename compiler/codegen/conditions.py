"""Conditions → Rego statements: one method per AST node (`cond_<Node>`), mixed into `RuleGenerator`."""

from __future__ import annotations

import operator
import re

from .. import ast
from ..checks.exprs import Scope, new_collection
from ..types import ELEMENT_KEYS, SEVERITIES, SEVERITY_RANK, Type
from .rego import LIB, date_ns, rego_string

_HELPER_CALL = re.compile(r"^_\w+(\([\w, ]*\))?$")
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class Conditions:
    """Statements that hold when a condition is true; relies on `RuleGenerator` for types, terms and helpers."""

    def cond(self, expr: ast.Expr, scope: Scope) -> list[str]:
        lines = getattr(self, f"cond_{type(expr).__name__}")(expr, scope)
        for line in lines:
            self.origins.setdefault(line, expr.span)  # innermost expression wins
        return lines

    def cond_And(self, expr: ast.And, scope: Scope) -> list[str]:
        return [line for item in expr.items for line in self.cond(item, scope)]

    def cond_Or(self, expr: ast.Or, scope: Scope) -> list[str]:
        name = self.helper([self.cond(item, scope) for item in expr.items], scope)
        return [self.call_helper(name, scope)]

    def cond_Not(self, expr: ast.Not, scope: Scope) -> list[str]:
        return [self.negate(self.cond(expr.operand, scope), scope)]

    def negate(self, lines: list[str], scope: Scope) -> str:
        """`not` of a condition, through a helper: OPA evaluates the operands of a negated
        expression before negating, so `not x != 1` fails (is false) when x is missing,
        while a helper whose body fails is simply false, and `not` of it true."""
        if len(lines) == 1 and _HELPER_CALL.match(lines[0]):
            return f"not {lines[0]}"
        if len(lines) == 1 and lines[0].startswith("not ") and _HELPER_CALL.match(lines[0][4:]):
            return lines[0][4:]
        return f"not {self.call_helper(self.helper([lines], scope), scope)}"

    def cond_Literal(self, lit: ast.Literal, scope: Scope) -> list[str]:
        return ["true" if lit.value else "false"]

    def cond_Ref(self, ref: ast.Ref, scope: Scope) -> list[str]:
        return [f"{self.term(ref, scope)} == true"]

    def cond_Call(self, call: ast.Call, scope: Scope) -> list[str]:
        if call.name == "exists":
            return [f"{self.term(call.args[0], scope)} != null"]
        if call.name == "new":
            return [self.new_element(call.args[0], scope)]
        if call.name == "bits_set":
            value, mask = (self.term(a, scope) for a in call.args)
            return [f"bits.and({value}, {mask}) == {mask}"]
        if call.name in ("any", "all"):
            inner = scope.bind(call.binding, self.typer.type(call.binding.collection, scope).item)
            condition = self.cond(call.where, inner)
            source = f"some {call.binding.var} in {self.term(call.binding.collection, scope)}"
            guard = self.shape_guard(call.binding.collection, scope)  # after the condition, see shape_guard
            if call.name == "any":
                name = self.helper([[source, *condition, guard]], scope)
                return [self.call_helper(name, scope)]
            name = self.helper([[source, self.negate(condition, inner), guard]], scope)
            return [f"not {self.call_helper(name, scope)}"]
        return [self.term(call, scope)]

    def new_element(self, var: ast.Ref, scope: Scope) -> str:
        """`new(v)`: v's change record says it was added; one lookup by the element's own key."""
        collection = new_collection(var, scope)
        element = self.term(ast.Ref(var.root, var.span, (ast.Segment(ELEMENT_KEYS[collection], var.span),), var.span), scope)
        return f'input.drift[concat(":", [{rego_string(collection)}, {element}])].op == "added"'

    def cond_Compare(self, cmp: ast.Compare, scope: Scope) -> list[str]:
        left_type = self.typer.type(cmp.left, scope)
        right_type = self.typer.type(cmp.right, scope)
        if cmp.op in ("in", "not in"):
            return self.membership(cmp, scope, right_type)
        if cmp.op == "matches":
            return [f"regex.match({self.term(cmp.right, scope)}, {self.term(cmp.left, scope)})"]
        if cmp.op == "glob":
            return [f'glob.match({self.term(cmp.right, scope)}, ["/"], {self.term(cmp.left, scope)})']
        kinds = {left_type.kind, right_type.kind}
        if "severity" in kinds and cmp.op not in ("==", "!="):
            return self.severity_order(cmp, scope)
        if "version" in kinds and cmp.op not in ("==", "!="):
            left, right, op = cmp.left, cmp.right, cmp.op
            if left_type.kind != "version":
                left, right, op = right, left, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
            ecosystem = self.ecosystem(left, self.typer.type(left, scope), scope)
            return [f"{LIB}.version.compare({ecosystem}, {self.term(left, scope)}, {self.term(right, scope)}) {op} 0"]
        if "date" in kinds:
            return [f"{self.date_term(cmp.left, scope)} {cmp.op} {self.date_term(cmp.right, scope)}"]
        left, right = self.term(cmp.left, scope), self.term(cmp.right, scope)
        if cmp.op in ("==", "!="):
            return [f"{left} {cmp.op} {right}"]
        return self.same_kind(cmp, left_type, right_type, scope) + [f"{left} {cmp.op} {right}"]

    def same_kind(self, cmp: ast.Compare, left_type: Type, right_type: Type, scope: Scope) -> list[str]:
        """Guards of an ordering: OPA orders values of different kinds (`"a" > 1`, `null < 1` are
        true), the language orders numbers with numbers and strings with strings only."""
        kinds = {left_type.kind, right_type.kind} - {"any"}
        operands = [e for e in (cmp.left, cmp.right) if isinstance(e, ast.Ref)]  # what a document can mistype
        if not operands:
            return []
        if len(kinds) == 1:
            kind = kinds.pop()
            return [f"is_{kind}({self.term(e, scope)})" for e in operands]
        return [f"{LIB}.values.comparable({self.term(cmp.left, scope)}, {self.term(cmp.right, scope)})"]

    def membership(self, cmp: ast.Compare, scope: Scope, right_type: Type) -> list[str]:
        """`in` and `not in`: among a list's elements or an object's keys, as the right side is typed.
        Both are false when the element is missing or the right side is missing or of another shape
        (`not in` is not `not (... in ...)`); neither is a negated expression, see `negate`."""
        element = self.term(cmp.left, scope)
        right = cmp.right
        symbol = scope.lookup(right.root) if isinstance(right, ast.Ref) and not right.segments else None
        guard = []
        if isinstance(right, ast.Literal) and right.kind == "list":
            items = ", ".join(dict.fromkeys(self.term(i, scope) for i in right.value))  # opa fmt drops repeats
            collection = f"{{{items}}}" if items else "set()"
            if cmp.op == "in":
                return [f"{element} in {collection}" if items else "false"]
            return _not_in_set(element, collection)
        elif symbol is not None and symbol.kind == "list":
            collection = f"data.regate.sets.{right.root}"
            if cmp.op == "in":
                # `in` a set allocates a third of what indexing the set (`sets.x[e]`) does, as fast.
                return [f"{element} in {collection}"]
            return _not_in_set(element, collection)
        else:
            collection = self.term(right, scope)
            if right_type.kind in ("list", "object"):
                guard = [f"is_{'array' if right_type.kind == 'list' else 'object'}({collection})"]
            if cmp.op == "in" and right_type.kind == "list":
                return guard + [f"{element} in {collection}"]
        test = "member" if cmp.op == "in" else "not_member"
        return guard + [f"{LIB}.values.{test}({element}, {collection})"]

    def severity_order(self, cmp: ast.Compare, scope: Scope) -> list[str]:
        """An ordering of severities. Against a named severity it is membership in the names
        that satisfy it, decided here: no rank is looked up per element, and a value that
        is no severity name is in none of them, as it has no rank."""
        left, right = self.severity_constant(cmp.left, scope), self.severity_constant(cmp.right, scope)
        if (left is None) == (right is None):
            return [f"{self.severity_rank(cmp.left, scope)} {cmp.op} {self.severity_rank(cmp.right, scope)}"]
        holds = _ORDER[cmp.op]
        if right is not None:
            operand = cmp.left
            names = [n for n in SEVERITIES if holds(SEVERITY_RANK[n], SEVERITY_RANK[right])]
        else:
            operand = cmp.right
            names = [n for n in SEVERITIES if holds(SEVERITY_RANK[left], SEVERITY_RANK[n])]
        term = self.term(operand, scope)
        if not names:
            return ["false"]
        if len(names) == 1:
            return [f"{term} == {rego_string(names[0])}"]
        return [f"{term} in {{{', '.join(rego_string(n) for n in names)}}}"]

    def severity_constant(self, expr: ast.Expr, scope: Scope) -> str | None:
        constant = expr.value if isinstance(expr, ast.Literal) else (
            expr.root if isinstance(expr, ast.Ref) and not expr.segments and scope.lookup(expr.root) is None else None)
        return constant if constant in SEVERITY_RANK else None

    def severity_rank(self, expr: ast.Expr, scope: Scope) -> str:
        constant = self.severity_constant(expr, scope)
        if constant is not None:
            return str(SEVERITY_RANK[constant])
        return f"{LIB}.severity.rank[{self.term(expr, scope)}]"

    def ecosystem(self, ref: ast.Expr, version: Type, scope: Scope) -> str:
        if not isinstance(ref, ast.Ref) or not version.ecosystem or version.ecosystem.startswith("="):
            return rego_string((version.ecosystem or "=generic").lstrip("="))
        sibling = ast.Ref(ref.root, ref.root_span, ref.segments[:-1] + (ast.Segment(version.ecosystem, ref.span),),
                          ref.span)
        return self.term(sibling, scope, safe=True)  # a missing ecosystem is the generic one

    def date_term(self, expr: ast.Expr, scope: Scope) -> str:
        if isinstance(expr, ast.Literal) and expr.kind in ("date", "string"):
            return str(date_ns(expr.value))
        return f"{LIB}.clock.ns({self.term(expr, scope)})"


def _not_in_set(element: str, collection: str) -> list[str]:
    """`not in` a set (a literal list or a named list's set): `_ = x` holds when x is defined, whatever
    its value, which `not` alone would not ask. values.not_member's call per element took ~0.5 KB and
    1.6x the time of these two statements (1,000 packages)."""
    return [f"_ = {element}", f"not {element} in {collection}"]
