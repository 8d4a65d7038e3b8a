"""Checked policy set → Rego v1 modules and the bundle's data document.

One module per policy (`package regate.policies.<name>`), one rule per policy
rule, small methods per AST node dispatched by node type. Generated code is
`opa fmt`-clean and passes `opa check --strict`; it only references the
runtime library by full path, so it needs no imports.

Performance contract: a rule iterates over one input collection; membership
tests against named lists go through sets (`data.regate.sets.*`), parameter
maps through key lookups, and equality on a collection's key becomes a direct
lookup instead of a scan.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from . import ast
from .checks.exprs import Scope, Typer, global_scope, parse_date
from .checks.rules import rule_scope
from .model import PolicySet
from .types import SEVERITY_RANK, Type

LIB = "data.regate.lib"
_ARITH_RANK = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2}
REGO_KEYWORDS = {"as", "contains", "data", "default", "else", "every", "false", "if", "import", "in",
                 "input", "not", "null", "package", "some", "true", "with"}
_IDENT = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


# Characters OPA refuses in a Rego file (a byte-order mark) or in the YAML of a METADATA
# comment (DEL, C1 controls, U+FFFE/U+FFFF; U+2028/U+2029 end a YAML 1.1 line): written
# as escapes, which mean the same character in both.
_UNSAFE_IN_REGO = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def rego_string(text: str) -> str:
    return _UNSAFE_IN_REGO.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def identifier(name: str) -> str:
    """A Rego identifier for a policy id (ids are free text)."""
    cleaned = re.sub(r"[^a-zA-Z0-9_]", "_", name).lower() or "policy"
    if cleaned[0].isdigit() or cleaned in REGO_KEYWORDS:
        cleaned = "p_" + cleaned
    return cleaned


def date_ns(text: str, end_of_day: bool = False) -> int:
    """Nanoseconds since the epoch; a bare date means midnight UTC (or the next one)."""
    moment = parse_date(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    if end_of_day and "T" not in text:
        delta += timedelta(days=1)  # on the delta: the day after 9999-12-31 is no datetime
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


@dataclass(frozen=True)
class ExceptionDef:
    """An exception with its bundle-wide id and where it is declared."""

    id: str
    allow: ast.Allow
    policy: str | None
    allowlist: str | None


def exception_defs(policy_set: PolicySet) -> list[ExceptionDef]:
    found = []
    for policy in policy_set.policies:
        found += _numbered(policy.allows, f"policy:{policy.id}", policy.id, None)
    for allowlist in policy_set.allowlists:
        found += _numbered(allowlist.allows, f"allowlist:{allowlist.id}", None, allowlist.id)
    return found


def _numbered(allows, prefix, policy, allowlist) -> list[ExceptionDef]:
    counts: dict[str, int] = {}
    out = []
    for allow in allows:
        counts[allow.rule] = counts.get(allow.rule, 0) + 1
        out.append(ExceptionDef(f"{prefix}/{allow.rule}#{counts[allow.rule]}", allow, policy, allowlist))
    return out


def package_names(policy_set: PolicySet) -> dict[str, str]:
    """Policy id → unique Rego package identifier."""
    taken: dict[str, str] = {}
    for policy in policy_set.policies:
        base = identifier(policy.id)
        name, n = base, 1
        while name in taken.values():
            n += 1
            name = f"{base}_{n}"
        taken[policy.id] = name
    return taken


# --------------------------------------------------------------------- modules


@dataclass(frozen=True)
class Mapped:
    """A line of generated Rego and the policy source it came from.

    `held_line` is the Rego line that runs only if this one succeeded (the next
    statement, or the rule/helper head after the last one), so coverage can
    tell a condition that was true at least once from one that never was.
    """

    line: int
    held_line: int
    kind: str  # rule | condition
    rule: str
    span: object

    def as_json(self) -> dict:
        return {"line": self.line, "held_line": self.held_line, "kind": self.kind, "rule": self.rule,
                "source": self.span.as_json()}


@dataclass(frozen=True)
class GeneratedModule:
    text: str
    source_map: tuple[Mapped, ...] = ()


def generate_modules(policy_set: PolicySet) -> dict[str, GeneratedModule]:
    """Bundle path → Rego source (and its source map) for every generated module."""
    modules = {}
    packages = package_names(policy_set)
    exceptions = exception_defs(policy_set)
    for policy in policy_set.policies:
        applicable = [e for e in exceptions if e.policy == policy.id or e.allowlist is not None]
        path = f"regate/policies/{packages[policy.id]}/policy.rego"
        modules[path] = PolicyGenerator(policy_set, policy, packages[policy.id], applicable).module()
    if policy_set.lists:
        modules["regate/sets/sets.rego"] = GeneratedModule(_sets_module(policy_set))
    return modules


def _sets_module(policy_set: PolicySet) -> str:
    parts = ["# METADATA", "# title: Named lists as sets",
             "# description: Each list of the policy set as a set, built once per query, so membership is a lookup.",
             "package regate.sets", ""]
    for name in sorted(policy_set.lists):
        parts.append(f"{name} := {{x | some x in data.regate.lists.{name}}}")
        parts.append("")
    return "\n".join(parts)


def source_of(policy_set: PolicySet, span) -> str:
    path = policy_set.program.bundle_paths.get(span.file, span.file)
    return f"{path}:{span.line}:{span.column}"


def _metadata(entries: list[tuple[str, object]], custom: list[tuple[str, object]]) -> list[str]:
    lines = ["# METADATA"]
    lines += [f"# {k}: {rego_string(str(v))}" for k, v in entries if v is not None]
    present = [(k, v) for k, v in custom if v is not None]
    if present:
        lines.append("# custom:")
        lines += [f"#   {k}: {rego_string(str(v))}" for k, v in present]
    return lines


class PolicyGenerator:
    def __init__(self, policy_set: PolicySet, policy: ast.Policy, package: str, exceptions: list[ExceptionDef]):
        self.policy_set = policy_set
        self.policy = policy
        self.package = package
        self.exceptions = exceptions

    def module(self) -> GeneratedModule:
        policy = self.policy
        head = _metadata([("title", policy.title or policy.id), ("description", policy.description)],
                         [("policy", policy.id), ("source", source_of(self.policy_set, policy.span))])
        blocks = ["\n".join(head + [f"package regate.policies.{self.package}"])]
        source_map: list[Mapped] = []
        for rule in policy.rules:
            mine = [e for e in self.exceptions if e.allow.rule == rule.id]
            generator = RuleGenerator(self.policy_set, rule, mine)
            for block in generator.blocks():
                first_line = sum(b.count("\n") + 2 for b in blocks) + 1
                source_map += generator.map_block(block, first_line)
                blocks.append(block)
        entries = "".join(f"\t{rego_string(r.id)}: {r.id},\n" for r in policy.rules)
        blocks.append("# METADATA\n# title: Findings of every rule, by rule id\n"
                      + ("rules := {\n" + entries + "}" if entries else "rules := {}"))
        return GeneratedModule("\n\n".join(blocks) + "\n", tuple(source_map))


# ----------------------------------------------------------------------- rules


@dataclass
class RuleGenerator:
    """Generates one rule, its helper functions and its exception tests."""

    policy_set: PolicySet
    rule: ast.Rule
    exceptions: list[ExceptionDef]
    helpers: list[str] = field(default_factory=list)
    known: dict = field(default_factory=dict)  # helper bodies already generated → their names
    origins: dict = field(default_factory=dict)  # generated statement → span of the policy source

    def __post_init__(self):
        self.typer = Typer(None)
        self.scope = global_scope(self.policy_set)

    def blocks(self) -> list[str]:
        rule = self.rule
        body = rule.body
        meta = body.meta
        inner = rule_scope(rule, self.typer, self.scope)
        lines: list[str] = []
        if body.when is not None:
            lines += self.cond(body.when, self.scope)
        if body.binding is not None:
            lines += self.loop(body.binding, body.where, inner)
        elif body.where is not None:
            lines += self.cond(body.where, inner)
        key = "key" if body.binding is not None else rego_string("image")
        hit = [f"\t\t\"key\": {key},", f"\t\t\"message\": {self.message(body.message, inner)},"]
        exceptions = self.exception_terms(inner)
        if exceptions:
            hit.insert(0, f"\t\t\"exceptions\": {exceptions},")
        lines.append("hit := {\n" + "\n".join(hit) + "\n\t}")
        if body.binding is not None:
            lines = self.unused_lookup_dropped(lines, body.binding.var)
        head = _metadata(
            [("title", meta.title or rule.id), ("description", meta.description)],
            [("id", rule.id), ("action", rule.action), ("severity", meta.severity),
             ("source", source_of(self.policy_set, rule.span))])
        text = "\n".join(head) + f"\n{rule.id} contains hit if {{\n" + "".join(f"\t{l}\n" for l in lines) + "}"
        return [text] + self.helpers

    # ------------------------------------------------------------- the loop
    def loop(self, binding: ast.Binding, where: ast.Expr | None, scope: Scope) -> list[str]:
        """`some key, v in coll` — or a direct lookup when `where` pins the collection's key."""
        collection = self.typer.type(binding.collection, self.scope)
        source = self.term(binding.collection, self.scope)
        conjuncts = list(where.items) if isinstance(where, ast.And) else [where] if where is not None else []
        pinned = self._pinned_key(binding, collection, conjuncts)
        lines = []
        if pinned is not None:
            # The lookup replaces the scan; the condition stays, for an element whose key field differs from its key.
            conjunct, keys = pinned
            lines.append(f"key := {keys}" if not keys.startswith("{") else f"some key in {keys}")
            lines.append(f"{binding.var} := {source}[key]")
            self.origins.update({line: conjunct.span for line in lines})
        elif collection is not None and (collection.array or collection.kind == "list"):
            # Findings need string keys that do not shift when an element is added before them.
            lines.append(self.shape_guard(binding.collection, self.scope))
            lines.append(f"some position, {binding.var} in {source}")
            lines.append(f"key := {LIB}.values.element_key({binding.var}, {rego_string(collection.key)}, position)"
                         if collection.key else "key := format_int(position, 10)")
            self.origins.update({line: binding.span for line in lines})
        else:
            lines.append(self.shape_guard(binding.collection, self.scope))
            lines.append(f"some key, {binding.var} in {source}")
            self.origins.update({line: binding.span for line in lines})
        for conjunct in conjuncts:
            lines += self.inline_any(conjunct, scope, lines) or self.cond(conjunct, scope)
        return lines

    def unused_lookup_dropped(self, lines: list[str], var: str) -> list[str]:
        """A pinned lookup `f := coll[key]` whose `f` nothing after it uses becomes
        `coll[key]`: the key must still exist, and `opa check --strict` rejects an
        assignment that is never read."""
        prefix = f"{var} := "
        for i, line in enumerate(lines):
            if line.startswith(prefix) and not _uses(var, lines[i + 1:]):
                lookup = line.removeprefix(prefix)
                self.origins[lookup] = self.origins[line]
                return lines[:i] + [lookup] + lines[i + 1:]
        return lines

    def inline_any(self, expr: ast.Expr, scope: Scope, body: list[str]) -> list[str] | None:
        """`any(x in c where ...)` as a top-level condition of the rule body needs no helper:
        `some x in c` and the condition go straight into the body (a hit found twice is one)."""
        if not (isinstance(expr, ast.Call) and expr.name == "any" and expr.binding is not None):
            return None
        var = expr.binding.var
        if any(re.search(rf"(?<![.\w]){re.escape(var)}\b", line) for line in body):
            return None  # the name is taken in this body
        inner = scope.bind(expr.binding, self.typer.type(expr.binding.collection, scope).item)
        lines = [self.shape_guard(expr.binding.collection, scope),
                 f"some {var} in {self.term(expr.binding.collection, scope)}"] + self.cond(expr.where, inner)
        for line in lines:
            self.origins.setdefault(line, expr.span)
        return lines

    def shape_guard(self, collection: ast.Ref, scope: Scope) -> str:
        """Elements exist only in the shape the input schema gives a collection: `some` would also walk
        an array where an object is expected, with positions for keys."""
        t = self.typer.type(collection, scope)
        check = "is_object" if t.kind == "collection" and not t.array else "is_array"
        return f"{check}({self.term(collection, scope)})"

    def _pinned_key(self, binding: ast.Binding, collection: Type | None, conjuncts) -> tuple | None:
        if collection is None or collection.kind != "collection" or not collection.key or collection.array:
            return None
        for conjunct in conjuncts:
            if not isinstance(conjunct, ast.Compare) or conjunct.op not in ("==", "in"):
                continue
            left, right = conjunct.left, conjunct.right
            if not (isinstance(left, ast.Ref) and left.root == binding.var and len(left.segments) == 1
                    and left.segments[0].key == collection.key and isinstance(right, ast.Literal)):
                continue
            if conjunct.op == "==" and right.kind == "string":
                return conjunct, rego_string(right.value)
            if conjunct.op == "in" and right.kind == "list" and right.value:
                return conjunct, "{" + ", ".join(dict.fromkeys(rego_string(str(i.value)) for i in right.value)) + "}"
        return None

    # ------------------------------------------------------------ conditions
    def cond(self, expr: ast.Expr, scope: Scope) -> list[str]:
        lines = getattr(self, f"cond_{type(expr).__name__}")(expr, scope)
        for line in lines:
            self.origins.setdefault(line, expr.span)  # innermost expression wins
        return lines

    def map_block(self, block: str, first_line: int) -> list[Mapped]:
        """Source map of one generated block (a rule or a helper) starting at `first_line`."""
        mapped: list[Mapped] = []
        head = None
        statements: list[tuple[int, str]] = []
        for offset, text in enumerate(block.split("\n")):
            number = first_line + offset
            if text.endswith(" if {") and not text.startswith(("\t", "#")):
                head = number
                if text.startswith(f"{self.rule.id} contains"):
                    mapped.append(Mapped(number, number, "rule", self.rule.id, self.rule.span))
            elif text.startswith("\t") and not text.startswith("\t\t") and text != "\t}":
                statements.append((number, text[1:]))
            elif text.startswith("}") and head is not None:
                for i, (line, statement) in enumerate(statements):
                    held = statements[i + 1][0] if i + 1 < len(statements) else head
                    span = self.origins.get(statement)
                    if span is not None:
                        mapped.append(Mapped(line, held, "condition", self.rule.id, span))
                head, statements = None, []
        return mapped

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
        if call.name == "bits_set":
            value, mask = (self.term(a, scope) for a in call.args)
            return [f"bits.and({value}, {mask}) == {mask}"]
        if call.name in ("any", "all"):
            inner = scope.bind(call.binding, self.typer.type(call.binding.collection, scope).item)
            condition = self.cond(call.where, inner)
            source = [self.shape_guard(call.binding.collection, scope),
                      f"some {call.binding.var} in {self.term(call.binding.collection, scope)}"]
            if call.name == "any":
                name = self.helper([source + condition], scope)
                return [self.call_helper(name, scope)]
            name = self.helper([source + [self.negate(condition, inner)]], scope)
            return [f"not {self.call_helper(name, scope)}"]
        return [self.term(call, scope)]

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
            return [f"{self.severity_rank(cmp.left, scope)} {cmp.op} {self.severity_rank(cmp.right, scope)}"]
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
        elif symbol is not None and symbol.kind == "list":
            collection = f"data.regate.sets.{right.root}"
            if cmp.op == "in":
                # A set indexed by the element is OPA's fastest membership test.
                return [f"{collection}[{element}]"]
        else:
            collection = self.term(right, scope)
            if right_type.kind in ("list", "object"):
                guard = [f"is_{'array' if right_type.kind == 'list' else 'object'}({collection})"]
            if cmp.op == "in" and right_type.kind == "list":
                return guard + [f"{element} in {collection}"]
        test = "member" if cmp.op == "in" else "not_member"
        return guard + [f"{LIB}.values.{test}({element}, {collection})"]

    def severity_rank(self, expr: ast.Expr, scope: Scope) -> str:
        constant = expr.value if isinstance(expr, ast.Literal) else (
            expr.root if isinstance(expr, ast.Ref) and not expr.segments and scope.lookup(expr.root) is None else None)
        if constant in SEVERITY_RANK:
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

    # ---------------------------------------------------------------- values
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
        if isinstance(seg.key, str) and _IDENT.match(seg.key) and seg.key not in REGO_KEYWORDS:
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
        if call.name in ("lower", "upper", "startswith", "endswith", "contains"):
            args = [self.term(a, scope, safe) for a in call.args]
            return f"{call.name}({', '.join(f'{LIB}.text.str({a})' if safe else a for a in args)})"
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

    # --------------------------------------------------------------- message
    def message(self, message: ast.Message, scope: Scope) -> str:
        """The message term. Interpolated messages go through a helper whose `else`
        falls back to the template text, so a value that cannot be rendered never
        makes a finding disappear."""
        if message is None:
            return rego_string("")
        text, args = [], []
        for part in message.parts:
            if isinstance(part, str):
                text.append(part.replace("%", "%%"))
            else:
                text.append("%s")
                args.append(f"{LIB}.text.str({self.term(part.expr, scope, safe=True)})")
        if not args:  # no sprintf: "%" stays as written
            return rego_string("".join(p for p in message.parts if isinstance(p, str)))
        name = f"_{self.rule.id}_message"
        params = scope.variables()
        body = [f"message := sprintf({rego_string(''.join(text))}, [{', '.join(args)}])"]
        self.helpers.append(f"{_head(name, params, body)} := message if {{\n\t{body[0]}\n}} else := "
                            f"{rego_string(message.text)}")
        return f"{name}({', '.join(params)})" if params else name

    # ------------------------------------------------------------ exceptions
    def exception_terms(self, scope: Scope) -> str:
        """The set of ids of the exceptions that hold for a finding. Many are one flat
        `union({...})`: a chain of `|` nests once per exception, and OPA compiles that
        nesting in quadratic time (minutes for a few thousand exceptions)."""
        terms = []
        for exception in self.exceptions:
            where = exception.allow.where
            if where is None:
                terms.append(f"{{{rego_string(exception.id)}}}")
                continue
            condition = self.cond(where, scope)
            if len(condition) > 1:
                condition = [self.call_helper(self.helper([condition], scope), scope)]
            terms.append(f"{{{rego_string(exception.id)} | {condition[0]}}}")
        if len(terms) > 1:
            return "union({" + ", ".join(terms) + "})"
        return terms[0] if terms else ""

    # --------------------------------------------------------------- helpers
    def helper(self, bodies: list[list[str]], scope: Scope) -> str:
        """A helper true when any of `bodies` holds; takes the loop variables as arguments."""
        params = scope.variables()
        signature = (tuple(params), tuple(tuple(b) for b in bodies))
        if signature in self.known:
            return self.known[signature]
        name = f"_{self.rule.id}_{len(self.known) + 1}"
        # `f if { true }` is written `f := true` by opa fmt.
        definitions = [f"{_head(name, params, body)} := true" if body == ["true"] else
                       f"{_head(name, params, body)} if {{\n" + "".join(f"\t{l}\n" for l in body) + "}"
                       for body in bodies]
        self.helpers.append("\n\n".join(definitions))
        self.known[signature] = name
        return name

    def call_helper(self, name: str, scope: Scope) -> str:
        params = scope.variables()
        return f"{name}({', '.join(params)})" if params else name


_STRING_LITERAL = re.compile(r'"(\\.|[^"\\])*"')
_HELPER_CALL = re.compile(r"^_\w+(\([\w, ]*\))?$")


def _head(name: str, params: list[str], body: list[str]) -> str:
    """`name(a, _)`: parameters the body does not use are wildcards (opa check --strict)."""
    if not params:
        return name
    return f"{name}({', '.join(p if _uses(p, body) else '_' for p in params)})"


def _uses(var: str, lines: list[str]) -> bool:
    """Whether Rego `lines` refer to variable `var` outside string literals."""
    code = _STRING_LITERAL.sub('""', "\n".join(lines))
    return re.search(rf"(?<![.\w]){re.escape(var)}\b", code) is not None
