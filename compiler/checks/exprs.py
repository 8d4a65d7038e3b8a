"""Rules and expressions: structure, names, fields, operand types, regexes, globs, dates.

`Typer` computes the type of an expression in a scope and, when given a
problem list, reports what is wrong. The code generator uses the same
`Typer` (without a problem list) so both agree on what an expression means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import re2

from .. import ast
from ..diagnostics import Diagnostic, did_you_mean, error
from ..model import PolicySet
from ..types import (ANY, BOOL, DATE, ELEMENT_KEYS, NULL, NUMBER, SEVERITIES, SEVERITY, STRING, Type, field_type,
                     fields_of, roots)
from .names import REGO_NAMES, RESERVED

ORDERED = {"number", "string", "severity", "version", "date"}


@dataclass(frozen=True)
class Symbol:
    kind: str  # input | list | param | var | severity
    type: Type
    binding: ast.Binding | None = None


class Scope:
    def __init__(self, symbols: dict[str, Symbol], parent: "Scope | None" = None):
        self.symbols = symbols
        self.parent = parent

    def lookup(self, name: str) -> Symbol | None:
        scope = self
        while scope is not None:
            if name in scope.symbols:
                return scope.symbols[name]
            scope = scope.parent
        return None

    def bind(self, binding: ast.Binding, item: Type) -> "Scope":
        return Scope({binding.var: Symbol("var", item, binding)}, self)

    def names(self) -> set[str]:
        found = set(self.symbols)
        return found | (self.parent.names() if self.parent else set())

    def variables(self) -> list[str]:
        """Loop variables in scope, outermost first."""
        outer = self.parent.variables() if self.parent else []
        return outer + [n for n, s in self.symbols.items() if s.kind == "var"]


def global_scope(policy_set: PolicySet) -> Scope:
    symbols = {name: Symbol("input", t) for name, t in roots().items()}
    # Lists and params never shadow the input document (the names pass reports the clash).
    for name, definition in policy_set.lists.items():
        symbols.setdefault(name, Symbol("list", Type("list", item=definition.item)))
    for name, definition in policy_set.params.items():
        symbols.setdefault(name, Symbol("param", definition.type))
    return Scope(symbols)


def new_collection(expr: ast.Expr, scope: Scope) -> str | None:
    """The collection (`vulnerabilities`, `image.exposed_ports`) whose loop variable `expr` is, when
    its elements carry their key (`ELEMENT_KEYS`); None for anything else."""
    if not isinstance(expr, ast.Ref) or expr.segments:
        return None
    symbol = scope.lookup(expr.root)
    if symbol is None or symbol.kind != "var" or symbol.binding is None:
        return None
    collection = symbol.binding.collection
    if not isinstance(collection, ast.Ref) or any(s.indexed for s in collection.segments):
        return None
    root = scope.lookup(collection.root)
    if root is None or root.kind != "input" or collection.dotted not in ELEMENT_KEYS:
        return None
    return collection.dotted


def parse_date(text: str) -> datetime | None:
    """The moment `text` names, or None if it is none; a moment whose UTC time falls
    outside years 1–9999 is none either (Python cannot convert it, nor compare it)."""
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment.astimezone(timezone.utc)
            return moment
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    except (ValueError, OverflowError):
        return None


# RE2 would also log each rejected pattern to stderr, ahead of our own diagnostic.
_QUIET = re2.Options()
_QUIET.log_errors = False


def regex_problem(pattern: str) -> str | None:
    """Why RE2 (the syntax OPA's regex builtins use) rejects `pattern`, or None."""
    try:
        re2.compile(pattern, options=_QUIET)
    except UnicodeEncodeError:
        return "it holds half of a UTF-16 surrogate pair"
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        return (reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)) or "invalid"
    return None


def glob_problem(pattern: str) -> str | None:
    depth_square = depth_curly = 0
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            depth_square += 1
        elif char == "]":
            depth_square -= 1
        elif char == "{":
            depth_curly += 1
        elif char == "}":
            depth_curly -= 1
        if depth_square < 0 or depth_curly < 0:
            return f"unbalanced {char!r}"
    if depth_square or depth_curly:
        return "unclosed [ or {"
    if escaped:
        return "pattern ends with a lone backslash"
    return None


class Typer:
    """Types expressions; reports problems when `problems` is a list."""

    def __init__(self, problems: list[Diagnostic] | None = None):
        self.problems = problems

    def report(self, code: str, span, message: str, hint: str | None = None) -> None:
        if self.problems is not None:
            self.problems.append(error(code, span, message, hint))

    def type(self, expr: ast.Expr, scope: Scope) -> Type | None:
        return getattr(self, f"type_{type(expr).__name__}")(expr, scope)

    # ------------------------------------------------------------------ leaves
    def type_Literal(self, lit: ast.Literal, scope: Scope) -> Type | None:
        if lit.kind == "date":
            if parse_date(lit.value) is None:
                self.report("E306", lit.span, f"{lit.value} is not a valid date")
                return None
            return DATE
        if lit.kind == "list":
            kinds = {self.type(i, scope).kind for i in lit.value if self.type(i, scope) is not None}
            item = self.type(lit.value[0], scope) if len(kinds) == 1 else ANY
            return Type("list", item=item)
        return {"string": STRING, "number": NUMBER, "bool": BOOL, "null": NULL,
                "object": Type("object", schema={"properties": {}})}[lit.kind]

    def type_Ref(self, ref: ast.Ref, scope: Scope) -> Type | None:
        symbol = scope.lookup(ref.root)
        if symbol is None:
            if ref.root in SEVERITIES and not ref.segments:
                return SEVERITY
            self.report("E204", ref.root_span, f'unknown name "{ref.root}"',
                        did_you_mean(ref.root, scope.names() | set(SEVERITIES)))
            return None
        current = symbol.type
        described = ref.root
        for seg in ref.segments:
            current = self._step(current, seg, described, scope)
            if current is None:
                return None
            described = f"{described}.{seg.key}" if not seg.indexed else f"{described}[…]"
        return current

    def _step(self, current: Type, seg: ast.Segment, described: str, scope: Scope) -> Type | None:
        if current.kind == "any":
            return ANY
        if seg.indexed:
            if seg.computed:
                index = self.type(seg.key, scope)
                if index is not None and index.kind not in ("string", "number", "version", "severity", "any"):
                    self.report("E302", seg.span, f"an index must be a string or a number, not {index.describe()}")
            if current.kind in ("list", "collection"):
                return current.item
            if current.kind == "object":
                if not seg.computed and isinstance(seg.key, str):
                    return self._field(current, seg, described)
                return ANY
            self.report("E301", seg.span, f"{described} is {current.describe()} and cannot be indexed")
            return None
        if current.kind == "collection":
            # Collections keyed by name allow `image.labels.maintainer`.
            return current.item
        if current.kind == "object":
            return self._field(current, seg, described)
        self.report("E301", seg.span, f'{described} is {current.describe()}, it has no field "{seg.key}"')
        return None

    def _field(self, current: Type, seg: ast.Segment, described: str) -> Type | None:
        if current.schema is not None and not fields_of(current) and "properties" in current.schema:
            return ANY  # free-form object (params)
        found = field_type(current, seg.key)
        if found is None:
            what = f"a {current.name}" if current.name else described
            self.report("E301", seg.span, f'unknown field "{seg.key}" of {what}',
                        did_you_mean(str(seg.key), set(fields_of(current))) or
                        f"fields: {', '.join(sorted(fields_of(current)))}")
        return found

    # ------------------------------------------------------------- connectives
    def type_And(self, expr: ast.And, scope: Scope) -> Type | None:
        ok = all([self.condition(i, scope) for i in expr.items])
        return BOOL if ok else None

    type_Or = type_And

    def type_Not(self, expr: ast.Not, scope: Scope) -> Type | None:
        return BOOL if self.condition(expr.operand, scope) else None

    def condition(self, expr: ast.Expr, scope: Scope) -> bool:
        t = self.type(expr, scope)
        if t is None:
            return False
        if t.kind not in ("bool", "any"):
            hint = ("compare it, e.g. x == \"value\", or test it with exists(x)"
                    if isinstance(expr, ast.Ref) else None)
            self.report("E308", expr.span, f"this is {t.describe()}, not a condition", hint)
            return False
        return True

    def type_Arith(self, expr: ast.Arith, scope: Scope) -> Type | None:
        left, right = self.type(expr.left, scope), self.type(expr.right, scope)
        if left is None or right is None:
            return None
        if expr.op == "+" and left.is_textual and right.is_textual and "any" not in (left.kind, right.kind):
            return STRING  # concatenation
        for side, t in ((expr.left, left), (expr.right, right)):
            if t.kind not in ("number", "any"):
                hint = "+ joins two strings; other operators need numbers" if expr.op == "+" else None
                self.report("E302", side.span, f'"{expr.op}" needs numbers, not {t.describe()}', hint)
                return None
        return NUMBER

    # -------------------------------------------------------------- comparisons
    def type_Compare(self, cmp: ast.Compare, scope: Scope) -> Type | None:
        left, right = self.type(cmp.left, scope), self.type(cmp.right, scope)
        if left is None or right is None:
            return None
        handler = {"in": self._membership, "not in": self._membership, "matches": self._pattern,
                   "glob": self._pattern}.get(cmp.op, self._ordering)
        return BOOL if handler(cmp, left, right) else None

    def _comparable(self, cmp: ast.Compare, left: Type, right: Type) -> bool | None:
        """True if comparable, False if not, None if a bad literal was already reported."""
        kinds = {left.kind, right.kind}
        if "any" in kinds or left.kind == right.kind:
            return True
        if "null" in kinds and cmp.op in ("==", "!="):
            return True
        # Text stands for severities, versions and dates; literals are checked here.
        text = cmp.left if left.kind == "string" else cmp.right
        if kinds == {"string", "severity"}:
            return True if self._severity_literal(text) else None
        if kinds == {"string", "version"}:
            return True
        if kinds == {"string", "date"}:
            if isinstance(text, ast.Literal) and parse_date(text.value) is None:
                self.report("E306", text.span, f'"{text.value}" is not a date (YYYY-MM-DD)')
                return None
            return True
        return False

    def _severity_literal(self, expr: ast.Expr) -> bool:
        if isinstance(expr, ast.Literal) and expr.value not in SEVERITIES:
            self.report("E307", expr.span, f'"{expr.value}" is not a severity',
                        did_you_mean(str(expr.value).lower(), set(SEVERITIES)) or
                        f"severities: {', '.join(SEVERITIES)}")
            return False
        return True

    def _ordering(self, cmp: ast.Compare, left: Type, right: Type) -> bool:
        comparable = self._comparable(cmp, left, right)
        if comparable is False:
            self.report("E302", cmp.span, f"cannot compare {left.describe()} with {right.describe()}")
        if not comparable:
            return False
        if cmp.op in ("<", "<=", ">", ">=") and not ({left.kind, right.kind} - {"any"} <= ORDERED):
            self.report("E302", cmp.span, f"{left.describe()} has no order; use == or !=")
            return False
        return True

    def _membership(self, cmp: ast.Compare, left: Type, right: Type) -> bool:
        if right.kind == "object" or right.kind == "any":
            return True
        if right.kind != "list":
            self.report("E302", cmp.right.span, f'"{cmp.op}" needs a list on the right, not {right.describe()}',
                        "use a list literal [..], a named list, or a list field")
            return False
        item = right.item or ANY
        # Each item of a literal list is checked as a literal (`v.severity in ["high", "critical"]`).
        candidates = cmp.right.value if isinstance(cmp.right, ast.Literal) else (cmp.right,)
        if item.kind != "any" and left.kind != "any":
            verdicts = [self._comparable(ast.Compare("==", cmp.left, c, cmp.span), left, item) for c in candidates]
            if False in verdicts:
                self.report("E302", cmp.span, f"{left.describe()} can never be in {right.describe()}")
            if False in verdicts or None in verdicts:
                return False
        if item.kind == "severity" or (left.kind == "severity" and isinstance(cmp.right, ast.Literal)):
            return all(self._severity_literal(i) for i in cmp.right.value) if isinstance(cmp.right, ast.Literal) else True
        return True

    def _pattern(self, cmp: ast.Compare, left: Type, right: Type) -> bool:
        if not left.is_textual:
            self.report("E302", cmp.left.span, f'"{cmp.op}" needs text on the left, not {left.describe()}')
            return False
        if right.kind not in ("string", "any"):
            self.report("E302", cmp.right.span, f'"{cmp.op}" needs a pattern string, not {right.describe()}')
            return False
        if isinstance(cmp.right, ast.Literal):
            check = regex_problem if cmp.op == "matches" else glob_problem
            problem = check(cmp.right.value)
            if problem:
                code, what = ("E304", "regular expression") if cmp.op == "matches" else ("E305", "glob")
                hint = ("regular expressions use RE2 syntax (no lookaround or backreferences)"
                        if cmp.op == "matches" else "globs use * ** ? [abc] {a,b}")
                self.report(code, cmp.right.span, f"invalid {what}: {problem}", hint)
                return False
        return True

    # ------------------------------------------------------------------- calls
    def type_Call(self, call: ast.Call, scope: Scope) -> Type | None:
        handler = getattr(self, f"call_{call.name}", None)
        if handler is None:
            from .names import FUNCTIONS

            self.report("E309", call.name_span, f'unknown function "{call.name}"',
                        did_you_mean(call.name, FUNCTIONS) or f"functions: {', '.join(sorted(FUNCTIONS))}")
            return None
        if call.binding is not None and call.name not in ("count", "any", "all"):
            self.report("E309", call.span, f"{call.name}(...) does not take a \"where\" clause")
            return None
        return handler(call, scope)

    def _arity(self, call: ast.Call, n: int) -> bool:
        if len(call.args) != n:
            self.report("E309", call.span, f"{call.name}() takes {n} argument(s), {len(call.args)} given")
            return False
        return True

    def _quantified(self, call: ast.Call, scope: Scope) -> Scope | None:
        """Scope inside `f(x in coll where cond)`; None after reporting a problem."""
        inner = self.bind(call.binding, scope)
        if inner is None:
            return None
        if not self.condition(call.where, inner):
            return None
        return inner

    def bind(self, binding: ast.Binding, scope: Scope) -> Scope | None:
        collection = self.type(binding.collection, scope)
        if collection is None:
            return None
        if not collection.iterable:
            self.report("E303", binding.collection.span,
                        f"{binding.collection.dotted} is {collection.describe()}, not something to iterate over")
            return None
        if binding.var in RESERVED or binding.var in REGO_NAMES:
            self.report("E214", binding.var_span, f'"{binding.var}" is reserved; pick another variable name')
            return None
        if scope.lookup(binding.var) is not None and scope.lookup(binding.var).kind != "input":
            self.report("E203", binding.var_span, f'"{binding.var}" is already defined here; pick another name')
            return None
        if binding.var in roots():
            self.report("E203", binding.var_span, f'"{binding.var}" is an input document field; pick another name')
            return None
        return scope.bind(binding, collection.item or ANY)

    def call_count(self, call: ast.Call, scope: Scope) -> Type | None:
        if call.binding is not None:
            return NUMBER if self._quantified(call, scope) else None
        if not self._arity(call, 1):
            return None
        t = self.type(call.args[0], scope)
        if t is not None and not (t.iterable or t.kind in ("string", "object", "any")):
            self.report("E302", call.args[0].span, f"count() needs a collection or a list, not {t.describe()}")
            return None
        return NUMBER if t is not None else None

    def call_any(self, call: ast.Call, scope: Scope) -> Type | None:
        if call.binding is None:
            self.report("E309", call.span, f"{call.name}() needs the form {call.name}(x in collection where condition)")
            return None
        return BOOL if self._quantified(call, scope) else None

    call_all = call_any

    def call_exists(self, call: ast.Call, scope: Scope) -> Type | None:
        if not self._arity(call, 1):
            return None
        if not isinstance(call.args[0], ast.Ref):
            self.report("E309", call.args[0].span, "exists() takes a field, e.g. exists(image.healthcheck)")
            return None
        return BOOL if self.type(call.args[0], scope) is not None else None

    def call_new(self, call: ast.Call, scope: Scope) -> Type | None:
        if not self._arity(call, 1):
            return None
        arg = call.args[0]
        if new_collection(arg, scope) is None:
            symbol = scope.lookup(arg.root) if isinstance(arg, ast.Ref) and not arg.segments else None
            keyless = symbol.binding.collection.dotted if symbol is not None and symbol.binding is not None else ""
            hint = (f"{keyless} elements carry no key to look up; read their change records: for d in drift "
                    f'where d.collection == "{keyless}" and d.op == "added"'
                    if keyless in ("secrets", "misconfigurations", "malware") else None)
            self.report("E309", arg.span, "new() takes the variable of a loop over "
                        + ", ".join(ELEMENT_KEYS) + ", e.g. for v in vulnerabilities where new(v)", hint)
            return None
        return BOOL

    def call_days_since(self, call: ast.Call, scope: Scope) -> Type | None:
        if not self._arity(call, 1):
            return None
        t = self.type(call.args[0], scope)
        if t is not None and t.kind not in ("date", "any"):
            if t.kind == "string" and isinstance(call.args[0], ast.Literal):
                probe = ast.Compare("==", call.args[0], call.args[0], call.span)
                return NUMBER if self._comparable(probe, DATE, t) else None
            self.report("E302", call.args[0].span, f"days_since() needs a date, not {t.describe()}")
            return None
        return NUMBER if t is not None else None

    def call_bits_set(self, call: ast.Call, scope: Scope) -> Type | None:
        if not self._arity(call, 2):
            return None
        for arg in call.args:
            t = self.type(arg, scope)
            if t is None:
                return None
            if t.kind not in ("number", "any"):
                self.report("E302", arg.span, f"bits_set() needs numbers, not {t.describe()}",
                            "e.g. bits_set(f.mode, 0o002) for world-writable")
                return None
        return BOOL

    def call_octal(self, call: ast.Call, scope: Scope) -> Type | None:
        if not self._arity(call, 1):
            return None
        t = self.type(call.args[0], scope)
        if t is not None and t.kind not in ("number", "any"):
            self.report("E302", call.args[0].span, f"octal() needs a number, not {t.describe()}")
            return None
        return STRING if t is not None else None

    def call_string(self, call: ast.Call, scope: Scope) -> Type | None:
        """A scalar as the text a message shows it (42 as "42"): Anchore's messages put numbers in text."""
        if not self._arity(call, 1):
            return None
        t = self.type(call.args[0], scope)
        if t is not None and not (t.is_textual or t.kind in ("number", "bool", "any")):
            self.report("E302", call.args[0].span, f"string() needs a number, text or a boolean, not {t.describe()}")
            return None
        return STRING if t is not None else None

    def _text_function(self, call: ast.Call, scope: Scope, arity: int, result: Type) -> Type | None:
        if not self._arity(call, arity):
            return None
        ok = True
        for arg in call.args:
            t = self.type(arg, scope)
            if t is None:
                ok = False
            elif not t.is_textual:
                self.report("E302", arg.span, f"{call.name}() needs text, not {t.describe()}")
                ok = False
        return result if ok else None

    def call_lower(self, call: ast.Call, scope: Scope) -> Type | None:
        return self._text_function(call, scope, 1, STRING)

    call_upper = call_lower
    call_md5 = call_lower  # Anchore's trigger ids are MD5 digests of finding texts

    def call_startswith(self, call: ast.Call, scope: Scope) -> Type | None:
        return self._text_function(call, scope, 2, BOOL)

    call_endswith = call_startswith
    call_contains = call_startswith
