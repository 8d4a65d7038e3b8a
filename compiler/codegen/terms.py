"""Values → Rego terms: one method per AST node (`term_<Node>`), mixed into `RuleGenerator`."""

from __future__ import annotations

import json

from .. import ast
from ..checks.exprs import Scope
from .rego import IDENT, LIB, REGO_KEYWORDS, rego_string

_ARITH_RANK = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2}


class Terms:
    """Rego terms for values; relies on `RuleGenerator` for types, conditions and helpers."""

    def term(self, expr: ast.Expr, scope: Scope, safe: bool = False) -> str:
        """A Rego term for a value. `safe` terms are never undefined (messages)."""
        return getattr(self, f"term_{type(expr).__name__}")(expr, scope, safe)

    def term_Literal(self, lit: ast.Literal, scope: Scope, safe: bool) -> str:
        if lit.kind in ("string", "date"):
            return rego_string(lit.value)
        if lit.kind == "list":
            return "[" + ", ".join(self.term(i, scope) for i in lit.value) + "]"
        if lit.kind == "object":
            return "{" + ", ".join(f"{rego_string(k)}: {self.term(v, scope)}" for k, v in lit.value) + "}"
        return json.dumps(lit.value)

    def term_Ref(self, ref: ast.Ref, scope: Scope, safe: bool) -> str:
        symbol = scope.lookup(ref.root)
        if symbol is None:  # a severity name
            return rego_string(ref.root)
        base = {"input": f"input.{ref.root}", "list": f"data.regate.lists.{ref.root}",
                "param": f"data.regate.params.{ref.root}", "var": ref.root}[symbol.kind]
        if safe and symbol.kind == "input":  # from the root: input.image itself may be missing
            path = ", ".join([rego_string(ref.root)] + [self.segment_key(s, scope, safe) for s in ref.segments])
            return f"object.get(input, [{path}], null)"
        if safe and ref.segments:  # wrapped, as an element need not be an object and object.get fails on one
            path = ", ".join([rego_string(ref.root)] + [self.segment_key(s, scope, safe) for s in ref.segments])
            return f"object.get({{{rego_string(ref.root)}: {base}}}, [{path}], null)"
        return base + "".join(self.segment(s, scope) for s in ref.segments)

    def segment(self, seg: ast.Segment, scope: Scope) -> str:
        if isinstance(seg.key, str) and IDENT.match(seg.key) and seg.key not in REGO_KEYWORDS:
            return f".{seg.key}"
        return f"[{self.segment_key(seg, scope)}]"

    def segment_key(self, seg: ast.Segment, scope: Scope, safe: bool = False) -> str:
        if seg.computed:
            return self.term(seg.key, scope, safe)
        return rego_string(seg.key) if isinstance(seg.key, str) else str(seg.key)

    def term_Call(self, call: ast.Call, scope: Scope, safe: bool) -> str:
        if call.name == "count":
            if call.binding is None:  # 0 for a missing list, like count(x in c where ...)
                return f"{LIB}.text.size({self.term(call.args[0], scope, safe=True)})"
            item = self.typer.type(call.binding.collection, scope).item
            inner_scope = scope.bind(call.binding, item)
            condition = self.cond(call.where, inner_scope)
            if len(condition) > 1:
                condition = [self.call_helper(self.helper([condition], inner_scope), inner_scope)]
            source = self.term(call.binding.collection, scope)
            guard = self.shape_guard(call.binding.collection, scope)
            return f"count({{k | {guard}; some k, {call.binding.var} in {source}; {condition[0]}}})"
        if call.name == "days_since":
            function = "days_since_or_null" if safe else "days_since"
            return f"{LIB}.clock.{function}({self.term(call.args[0], scope, safe)})"
        # In messages, text functions render their arguments first; in conditions they take text only.
        if call.name == "octal":
            return f"{LIB}.{'text' if safe else 'values'}.octal({self.term(call.args[0], scope, safe)})"
        if call.name == "string":  # total over defined values, so the same in conditions and messages
            return f"{LIB}.text.str({self.term(call.args[0], scope, safe)})"
        if call.name in ("lower", "upper", "startswith", "endswith", "contains", "md5"):
            args = [self.term(a, scope, safe) for a in call.args]
            return f"{'crypto.md5' if call.name == 'md5' else call.name}({', '.join(f'{LIB}.text.str({a})' if safe else a for a in args)})"
        # Conditions used as values (in messages): true or false, never undefined.
        return f"{LIB}.text.truth({{true | {'; '.join(self.cond(call, scope))}}})"

    def term_Arith(self, expr: ast.Arith, scope: Scope, safe: bool) -> str:
        if self.typer.type(expr, scope).kind == "string":
            parts = []
            while isinstance(expr, ast.Arith) and expr.op == "+":
                parts.insert(0, expr.right)
                expr = expr.left
            parts.insert(0, expr)
            strings = ", ".join(self.term(p, scope, safe) for p in parts)
            return f'concat("", [{strings}])'
        return f"{self._operand(expr.left, expr, scope, safe)} {expr.op} {self._operand(expr.right, expr, scope, safe)}"

    def _operand(self, operand: ast.Expr, parent: ast.Arith, scope: Scope, safe: bool) -> str:
        text = self.term(operand, scope, safe)
        if isinstance(operand, ast.Arith) and (_ARITH_RANK[operand.op] < _ARITH_RANK[parent.op]
                                                or (operand is parent.right and parent.op in "-/%")):
            return f"({text})"
        return text

    def term_Compare(self, cmp: ast.Compare, scope: Scope, safe: bool) -> str:
        return f"{LIB}.text.truth({{true | {'; '.join(self.cond(cmp, scope))}}})"

    term_And = term_Or = term_Not = term_Compare
