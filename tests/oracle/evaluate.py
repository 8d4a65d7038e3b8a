"""A reference evaluator of the policy language: docs/language.md, section "Missing, null and
wrong-typed values", written down in Python over the checked AST.

It is a test oracle, not a second engine: it is written for obviousness, not speed, and it
shares nothing with the code generator but the AST and the type checker (which decides, as it
does for the compiler, whether `+` joins strings and whether `<` orders severities, versions or
dates). Values are JSON values with numbers as exact fractions; `UNDEF` is a missing value.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction

import re2

from regate import ast
from regate.checks.exprs import Scope, Typer, global_scope
from regate.checks.rules import rule_scope
from regate.codegen import date_ns, exception_defs
from regate.model import PolicySet
from regate.types import ELEMENT_KEYS, SEVERITY_RANK, Type

from .versions import compare_versions


class _Undefined:
    def __repr__(self) -> str:
        return "UNDEF"


UNDEF = _Undefined()
DAY_NS = 86_400 * 10**9


# ------------------------------------------------------------------ JSON values

def number(value) -> int | Fraction:
    """An exact number; whole numbers as int (so they index lists and print as digits)."""
    value = Fraction(value) if not isinstance(value, Fraction) else value
    return int(value) if value.denominator == 1 else value


def exact(doc):
    """A JSON document with every number exact (parse with `json.loads(text, parse_float=Fraction)`)."""
    if isinstance(doc, dict):
        return {k: exact(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [exact(v) for v in doc]
    if isinstance(doc, (int, float, Fraction)) and not isinstance(doc, bool):
        return number(Fraction(str(doc)) if isinstance(doc, float) else doc)
    return doc


def is_number(v) -> bool:
    return isinstance(v, (int, Fraction)) and not isinstance(v, bool)


def is_whole(v) -> bool:
    return is_number(v) and Fraction(v).denominator == 1


def equal(a, b) -> bool:
    """JSON equality: booleans are not numbers, 1 equals 1.0."""
    if is_number(a) or is_number(b):
        return is_number(a) and is_number(b) and a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return a == b


def contains_value(items, x) -> bool:
    return any(equal(x, i) for i in items)


def number_text(v) -> str:
    """A number as OPA prints it (the generator keeps fractions to short decimals)."""
    if is_whole(v):
        return str(int(v))
    text = format(Decimal(v.numerator) / Decimal(v.denominator), "f")
    return text.rstrip("0") if "." in text else text


def marshal(v) -> str:
    """json.marshal as OPA does it: compact, keys sorted, HTML characters escaped."""
    if isinstance(v, dict):
        return "{" + ",".join(f"{marshal(k)}:{marshal(v[k])}" for k in sorted(v)) + "}"
    if isinstance(v, list):
        return "[" + ",".join(marshal(x) for x in v) + "]"
    if is_number(v):
        return number_text(v)
    text = json.dumps(v, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def text_of(v) -> str:
    """regate.lib.text.str: how a value reads in a message."""
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_number(v):
        return number_text(v)
    if isinstance(v, list):
        return ", ".join(e if isinstance(e, str) else marshal(e) for e in v)
    return marshal(v)


def size_of(v) -> int:
    if isinstance(v, (list, dict, str)):
        return len(v)
    return 0


def simple_case(text: str, upper: bool) -> str:
    """Go's strings.ToLower/ToUpper map one character to one character."""
    out = []
    for char in text:
        mapped = char.upper() if upper else char.lower()
        out.append(mapped if len(mapped) == 1 else char)
    return "".join(out)


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def instant(v):
    """A date or an RFC 3339 timestamp in nanoseconds, else UNDEF."""
    if not isinstance(v, str):
        return UNDEF
    try:
        if "T" in v:
            if not _RFC3339.match(v):
                return UNDEF
            moment = datetime.fromisoformat(v.replace("Z", "+00:00"))
        elif _DATE.match(v):
            moment = datetime.fromisoformat(v).replace(tzinfo=timezone.utc)
        else:
            return UNDEF
    except ValueError:
        return UNDEF
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def glob_regex(pattern: str) -> str:
    """gobwas/glob with "/" as the separator: * and ? stay within a segment, ** does not."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.index("]", i)
            body = pattern[i + 1:end]
            out.append("[^" + re.escape(body[1:]) + "]" if body.startswith("!") else "[" + re.escape(body) + "]")
            i = end
        elif c == "{":
            end = pattern.index("}", i)
            out.append("(?:" + "|".join(glob_regex(p) for p in pattern[i + 1:end].split(",")) + ")")
            i = end
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 1
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def glob_match(pattern: str, text: str) -> bool:
    return re.fullmatch(glob_regex(pattern), text, re.DOTALL) is not None


# ------------------------------------------------------------------ evaluation

@dataclass(frozen=True)
class Env:
    doc: object
    now_ns: int
    vars: dict  # loop variables


class Evaluator:
    def __init__(self, policy_set: PolicySet):
        self.policy_set = policy_set
        self.typer = Typer(None)
        self.lists = {name: exact(list(d.values)) for name, d in policy_set.lists.items()}
        self.params = {name: exact(d.value) for name, d in policy_set.params.items()}

    # ---------------------------------------------------------------- values
    def value(self, expr: ast.Expr, scope: Scope, env: Env):
        return getattr(self, f"value_{type(expr).__name__}")(expr, scope, env)

    def value_Literal(self, lit, scope, env):
        if lit.kind == "list":
            return [self.value(i, scope, env) for i in lit.value]
        if lit.kind == "object":
            return {k: self.value(v, scope, env) for k, v in lit.value}
        if lit.kind == "number":
            return number(Fraction(str(lit.value)) if isinstance(lit.value, float) else lit.value)
        return lit.value

    def root(self, ref: ast.Ref, scope: Scope, env: Env):
        symbol = scope.lookup(ref.root)
        if symbol is None:
            return ref.root  # a severity name
        if symbol.kind == "input":
            return env.doc.get(ref.root, UNDEF) if isinstance(env.doc, dict) else UNDEF
        if symbol.kind == "list":
            return self.lists[ref.root]
        if symbol.kind == "param":
            return self.params[ref.root]
        return env.vars[ref.root]

    def key(self, seg: ast.Segment, scope, env, safe=False):
        if seg.computed:
            return (self.safe if safe else self.value)(seg.key, scope, env)
        return seg.key

    def value_Ref(self, ref, scope, env):
        current = self.root(ref, scope, env)
        for seg in ref.segments:
            key = self.key(seg, scope, env)
            if isinstance(current, dict) and isinstance(key, str) and key in current:
                current = current[key]
            elif isinstance(current, list) and is_whole(key) and not isinstance(key, bool) and 0 <= key < len(current):
                current = current[int(key)]
            else:
                return UNDEF
        return current

    def value_Arith(self, expr, scope, env, safe=False):
        evaluate = self.safe if safe else self.value
        if self.typer.type(expr, scope).kind == "string":
            parts = []
            while isinstance(expr, ast.Arith) and expr.op == "+":
                parts.insert(0, expr.right)
                expr = expr.left
            values = [evaluate(p, scope, env) for p in [expr] + parts]
            return "".join(values) if all(isinstance(v, str) for v in values) else UNDEF
        a, b = evaluate(expr.left, scope, env), evaluate(expr.right, scope, env)
        if not (is_number(a) and is_number(b)):
            return UNDEF
        if expr.op == "+":
            return number(Fraction(a) + b)
        if expr.op == "-":
            return number(Fraction(a) - b)
        if expr.op == "*":
            return number(Fraction(a) * b)
        if b == 0:
            return UNDEF
        if expr.op == "/":
            return number(Fraction(a) / b)
        if not (is_whole(a) and is_whole(b)):
            return UNDEF
        remainder = abs(int(a)) % abs(int(b))  # truncated, the sign of the dividend
        return -remainder if a < 0 else remainder

    def value_Call(self, call, scope, env, safe=False):
        name = call.name
        if name == "count":
            if call.binding is None:
                counted = self.safe(call.args[0], scope, env)
                return UNDEF if counted is UNDEF else size_of(counted)
            return sum(1 for matched in self.matching(call, scope, env) if matched)
        if name == "days_since":
            date_value = (self.safe if safe else self.value)(call.args[0], scope, env)
            moment = instant(date_value)
            if date_value is UNDEF:
                return UNDEF
            if moment is UNDEF:
                return None if safe else UNDEF
            return (env.now_ns - moment) // DAY_NS
        if name == "octal":
            v = (self.safe if safe else self.value)(call.args[0], scope, env)
            if v is UNDEF:
                return UNDEF
            if is_whole(v):
                return format(int(v), "o")
            if safe:
                return f"%!o(float64={number_text(v)})" if is_number(v) else ""
            return UNDEF
        if name == "string":
            v = (self.safe if safe else self.value)(call.args[0], scope, env)
            return UNDEF if v is UNDEF else text_of(v)
        if name == "md5":
            v = (self.safe if safe else self.value)(call.args[0], scope, env)
            if safe and v is not UNDEF:
                v = text_of(v)
            return hashlib.md5(v.encode("utf-8")).hexdigest() if isinstance(v, str) else UNDEF
        if name in ("lower", "upper", "startswith", "endswith", "contains"):
            args = [(self.safe if safe else self.value)(a, scope, env) for a in call.args]
            if safe:
                args = [text_of(a) if a is not UNDEF else UNDEF for a in args]
            if any(not isinstance(a, str) for a in args):
                return UNDEF
            if name in ("lower", "upper"):
                return simple_case(args[0], name == "upper")
            return {"startswith": str.startswith, "endswith": str.endswith,
                    "contains": lambda s, p: p in s}[name](args[0], args[1])
        return self.cond(call, scope, env)

    def value_Compare(self, expr, scope, env):
        return self.cond(expr, scope, env)

    value_And = value_Or = value_Not = value_Compare

    # ------------------------------------------------- message (safe) values
    def safe(self, expr: ast.Expr, scope: Scope, env: Env):
        """Values in messages: a missing field is null; what cannot be computed is UNDEF."""
        if isinstance(expr, ast.Ref):
            symbol = scope.lookup(expr.root)
            if symbol is None:
                return expr.root
            if symbol.kind == "input":
                current, path = env.doc, [expr.root]
            else:
                current, path = self.root(expr, scope, env), []
            path += [self.key(s, scope, env, safe=True) for s in expr.segments]
            if any(k is UNDEF for k in path):
                return UNDEF
            for key in path:
                if isinstance(current, dict) and isinstance(key, str) and key in current:
                    current = current[key]
                elif isinstance(current, list) and is_whole(key) and not isinstance(key, bool) and 0 <= key < len(current):
                    current = current[int(key)]
                else:
                    return None
            return current
        if isinstance(expr, ast.Arith):
            return self.value_Arith(expr, scope, env, safe=True)
        if isinstance(expr, ast.Call):
            return self.value_Call(expr, scope, env, safe=True)
        return self.value(expr, scope, env)

    def message(self, message: ast.Message, scope: Scope, env: Env) -> str:
        if message is None:
            return ""
        out = []
        for part in message.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            v = self.safe(part.expr, scope, env)
            if v is UNDEF:
                return message.text
            out.append(text_of(v))
        return "".join(out)

    # ------------------------------------------------------------ conditions
    def cond(self, expr: ast.Expr, scope: Scope, env: Env) -> bool:
        if isinstance(expr, ast.And):
            return all(self.cond(i, scope, env) for i in expr.items)
        if isinstance(expr, ast.Or):
            return any(self.cond(i, scope, env) for i in expr.items)
        if isinstance(expr, ast.Not):
            return not self.cond(expr.operand, scope, env)
        if isinstance(expr, ast.Literal):
            return expr.value is True
        if isinstance(expr, ast.Ref):
            return self.value(expr, scope, env) is True
        if isinstance(expr, ast.Call):
            return self.cond_call(expr, scope, env)
        return self.compare(expr, scope, env)

    def elements(self, collection: ast.Ref, scope: Scope, env: Env) -> list[tuple[object, object]]:
        """(key, element) pairs, in the shape the schema gives the collection; none otherwise."""
        t: Type = self.typer.type(collection, scope)
        value = self.value(collection, scope, env)
        if t.kind == "collection" and not t.array:
            return list(value.items()) if isinstance(value, dict) else []
        if not isinstance(value, list):
            return []
        pairs = []
        for position, element in enumerate(value):
            key = str(position)
            if t.kind == "collection" and t.key and isinstance(element, dict) and t.key in element:
                key = element[t.key]
            pairs.append((key, element))
        return pairs

    def matching(self, call: ast.Call, scope: Scope, env: Env):
        inner = scope.bind(call.binding, self.typer.type(call.binding.collection, scope).item)
        for _, element in self.elements(call.binding.collection, scope, env):
            yield self.cond(call.where, inner, _with(env, call.binding.var, element))

    def cond_call(self, call: ast.Call, scope: Scope, env: Env) -> bool:
        if call.name == "exists":
            v = self.value(call.args[0], scope, env)
            return v is not UNDEF and v is not None
        if call.name == "new":
            return self.is_new(call.args[0], scope, env)
        if call.name == "bits_set":
            n, mask = (self.value(a, scope, env) for a in call.args)
            return is_whole(n) and is_whole(mask) and (int(n) & int(mask)) == int(mask)
        if call.name == "any":
            return any(self.matching(call, scope, env))
        if call.name == "all":
            return all(self.matching(call, scope, env))
        return self.value_Call(call, scope, env) is True

    def is_new(self, var: ast.Ref, scope: Scope, env: Env) -> bool:
        """The loop variable's element has a drift record `<collection>:<its key field>` whose op is
        `added` (docs/language.md, New since the baseline)."""
        collection = scope.lookup(var.root).binding.collection.dotted
        element = env.vars[var.root]
        key = element.get(ELEMENT_KEYS[collection]) if isinstance(element, dict) else None
        drift = env.doc.get("drift") if isinstance(env.doc, dict) else None
        if not isinstance(key, str) or not isinstance(drift, dict):
            return False
        record = drift.get(f"{collection}:{key}")
        return isinstance(record, dict) and record.get("op") == "added"

    def compare(self, cmp: ast.Compare, scope: Scope, env: Env) -> bool:
        if cmp.op in ("in", "not in"):
            return self.membership(cmp, scope, env)
        left_type, right_type = self.typer.type(cmp.left, scope), self.typer.type(cmp.right, scope)
        kinds = {left_type.kind, right_type.kind}
        if cmp.op in ("matches", "glob"):
            text, pattern = self.value(cmp.left, scope, env), self.value(cmp.right, scope, env)
            if not (isinstance(text, str) and isinstance(pattern, str)):
                return False
            return (re2.search(pattern, text) is not None) if cmp.op == "matches" else glob_match(pattern, text)
        ordering = cmp.op not in ("==", "!=")
        if "severity" in kinds and ordering:
            a, b = self.rank(cmp.left, scope, env), self.rank(cmp.right, scope, env)
            return a is not UNDEF and b is not UNDEF and _ordered(cmp.op, a, b)
        if "version" in kinds and ordering:
            left, right, op = cmp.left, cmp.right, cmp.op
            if left_type.kind != "version":
                left, right, op = right, left, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
            a, b = self.value(left, scope, env), self.value(right, scope, env)
            if not (isinstance(a, str) and isinstance(b, str)):
                return False
            return _ordered(op, compare_versions(self.ecosystem(left, scope, env), a, b), 0)
        if "date" in kinds:
            a, b = (instant(self.value(e, scope, env)) for e in (cmp.left, cmp.right))
            return a is not UNDEF and b is not UNDEF and _ordered(cmp.op, a, b)
        a, b = self.value(cmp.left, scope, env), self.value(cmp.right, scope, env)
        if a is UNDEF or b is UNDEF:
            return False
        if not ordering:
            return equal(a, b) == (cmp.op == "==")
        expected = kinds - {"any"}  # of the schema's type when a side has one: "7" is no string field
        if (is_number(a) and is_number(b) and expected <= {"number"}) or \
                (isinstance(a, str) and isinstance(b, str) and expected <= {"string"}):
            return _ordered(cmp.op, a, b)
        return False

    def rank(self, expr: ast.Expr, scope: Scope, env: Env):
        v = self.value(expr, scope, env)
        return SEVERITY_RANK[v] if isinstance(v, str) and v in SEVERITY_RANK else UNDEF

    def ecosystem(self, ref: ast.Expr, scope: Scope, env: Env) -> str:
        version = self.typer.type(ref, scope)
        if not isinstance(ref, ast.Ref) or not version.ecosystem or version.ecosystem.startswith("="):
            return (version.ecosystem or "=generic").lstrip("=")
        sibling = ast.Ref(ref.root, ref.root_span, ref.segments[:-1] + (ast.Segment(version.ecosystem, ref.span),),
                          ref.span)
        found = self.safe(sibling, scope, env)
        return found if isinstance(found, str) else "generic"

    def membership(self, cmp: ast.Compare, scope: Scope, env: Env) -> bool:
        x = self.value(cmp.left, scope, env)
        if x is UNDEF:
            return False
        right_type = self.typer.type(cmp.right, scope)
        c = self.value(cmp.right, scope, env)
        if isinstance(c, list) and right_type.kind in ("list", "any"):
            found = contains_value(c, x)
        elif isinstance(c, dict) and right_type.kind in ("object", "any"):
            found = isinstance(x, str) and x in c
        else:
            return False
        return found == (cmp.op == "in")

    # ----------------------------------------------------------------- rules
    def findings(self, doc) -> dict:
        """{policy id: {rule id: set of (key, message, exception ids or None)}}"""
        doc = exact(doc)
        now = instant(doc.get("now")) if isinstance(doc, dict) else UNDEF
        assert now is not UNDEF, "documents of the differential test set `now`"
        env = Env(doc, now, {})
        scope = global_scope(self.policy_set)
        exceptions = exception_defs(self.policy_set)
        out = {}
        for policy in self.policy_set.policies:
            applicable = [e for e in exceptions if e.policy == policy.id or e.allowlist is not None]
            out[policy.id] = {rule.id: self.rule(rule, [e for e in applicable if e.allow.rule == rule.id], scope, env)
                              for rule in policy.rules}
        return out

    def rule(self, rule: ast.Rule, exceptions, scope: Scope, env: Env) -> set:
        body = rule.body
        if body.when is not None and not self.cond(body.when, scope, env):
            return set()
        inner = rule_scope(rule, self.typer, scope)
        if body.binding is None:
            candidates = [("image", env)]
        else:
            candidates = [(key, _with(env, body.binding.var, element))
                          for key, element in self.elements(body.binding.collection, scope, env)]
        hits = set()
        for key, element_env in candidates:
            if body.where is not None and not self.cond(body.where, inner, element_env):
                continue
            ids = None
            if exceptions:
                ids = tuple(sorted(e.id for e in exceptions
                                   if e.allow.where is None or self.cond(e.allow.where, inner, element_env)))
            hits.add((canonical(key), self.message(body.message, inner, element_env), ids))
        return hits


def canonical(value) -> str:
    return marshal(value)


def _with(env: Env, name: str, value) -> Env:
    return Env(env.doc, env.now_ns, {**env.vars, name: value})


def _ordered(op: str, a, b) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]


def applied_exception(policy_set: PolicySet, ids, now_ns: int):
    """The exception a finding reports: the first unexpired one by id (docs/language.md, Exceptions)."""
    until = {e.id: e.allow.until for e in exception_defs(policy_set)}
    usable = sorted(i for i in ids or () if until[i] is None or now_ns < date_ns(until[i], end_of_day=True))
    return usable[0] if usable else None
