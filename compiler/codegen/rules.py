"""One policy rule → its Rego rule, helper functions and exception tests, with a source map."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from .. import ast
from ..checks.exprs import Scope, Typer, global_scope
from ..checks.rules import rule_scope
from ..model import PolicySet
from ..types import Type
from .conditions import Conditions
from .exceptions import ExceptionDef
from .rego import LIB, metadata, rego_string, source_of
from .terms import Terms

_DATA_KINDS = {"lists": "list", "sets": "set", "params": "param"}
_DATA_REF = re.compile(r"data\.regate\.(lists|sets|params)\.(\w+)")


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


@dataclass
class RuleGenerator(Conditions, Terms):
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
        entry = (len(lines), None)  # where a lookup of data goes, and the guard that comes with it there
        if body.binding is not None:
            loop, offset, nonempty = self.loop(body.binding, body.where, inner)
            entry = (len(lines) + offset, nonempty)
            lines += loop
        elif body.where is not None:
            lines += self.cond(body.where, inner)
        key = "key" if body.binding is not None else rego_string("image")
        # [key, message] or [key, message, exception ids]: an array costs less than an
        # object per hit, and a set of them is in the key and message order of findings.
        conditions = len(lines)
        message_lines, message = self.message(body.message, inner, established=set(lines))
        lines += message_lines
        hit = [key, message]
        exceptions = self.exception_terms(inner)
        if exceptions:
            hit.append(exceptions)
        lines.append("hit := [\n" + "".join(f"\t\t{term},\n" for term in hit) + "\t]")
        if body.binding is not None:
            lines = self.unused_lookup_dropped(lines, body.binding.var)
        lines = self.data_bound_once(lines, conditions, *entry)
        head = metadata(
            [("title", meta.title or rule.id), ("description", meta.description)],
            [("id", rule.id), ("action", rule.action), ("severity", meta.severity),
             ("source", source_of(self.policy_set, rule.span)), ("origin", meta.origin)])
        text = "\n".join(head) + f"\n{rule.id} contains hit if {{\n" + "".join(f"\t{l}\n" for l in lines) + "}"
        return [text] + self.helpers

    def loop(self, binding: ast.Binding, where: ast.Expr | None, scope: Scope) -> tuple[list[str], int, str | None]:
        """`some key, v in coll` — or a direct lookup when `where` pins the collection's key. Also
        where in those lines the rule's lookups of data go (see `data_bound_once`): before the scan,
        behind a guard that the collection is not empty, or after the lookup of the pinned keys."""
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
            entry, nonempty = len(lines), None
        elif collection is not None and (collection.array or collection.kind == "list"):
            # Findings need string keys that do not shift when an element is added before them.
            lines.append(self.shape_guard(binding.collection, self.scope))
            entry, nonempty = len(lines), f"{source} != []"
            lines.append(f"some position, {binding.var} in {source}")
            lines.append(f"key := {LIB}.values.element_key({binding.var}, {rego_string(collection.key)}, position)"
                         if collection.key else "key := format_int(position, 10)")
            self.origins.update({line: binding.span for line in lines})
        else:
            lines.append(self.shape_guard(binding.collection, self.scope))
            entry, nonempty = len(lines), f"{source} != {{}}"
            lines.append(f"some key, {binding.var} in {source}")
            self.origins.update({line: binding.span for line in lines})
        for conjunct in conjuncts:
            lines += self.inline_any(conjunct, scope, lines) or self.cond(conjunct, scope)
        return lines, entry, nonempty

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

    def data_bound_once(self, lines: list[str], conditions: int, entry: int, nonempty: str | None) -> list[str]:
        """Each named list, set and parameter the rule's conditions (its first `conditions` lines)
        read is looked up once per rule, into a variable: a reference into data walks OPA's rule
        tree (and, for a list or parameter, its cache of the store) whenever it is evaluated, per
        element of the collection. A rule whose condition is membership in a list
        (bench/rego_bench's denied_license) took 1.8x the time with the reference per element, one
        indexing a parameter 2x. Each is always defined (the bundle writes every declared list and
        parameter), so the lookup cannot make a rule find nothing. What only a finding reads (an
        exception's list) stays a reference: its set is then built only when something is found.
        The lookups go at line `entry`, just before the scan, behind `nonempty` (the collection is
        not empty): a set is built from its list when the lookup first runs, and an empty
        collection then costs nothing (~7 KB per evaluation of the bench's empty input). A `when`
        condition before the scan that reads one moves them all to the top."""
        refs = list(dict.fromkeys(ref for line in lines[:conditions]
                                  for ref in _DATA_REF.findall(_STRING_LITERAL.sub('""', line))))
        bindings = []
        for kind, name in refs:
            var = f"{name}_{_DATA_KINDS[kind]}"
            while _uses(var, lines):
                var += "_"  # the name is taken in this body
            ref = re.compile(rf"data\.regate\.{kind}\.{re.escape(name)}\b")
            renamed = [_in_code(line, lambda code: ref.sub(var, code)) for line in lines]
            for before, after in zip(lines, renamed):
                if before in self.origins:
                    self.origins.setdefault(after, self.origins[before])
            lines = renamed
            bindings.append(f"{var} := data.regate.{kind}.{name}")
        if not bindings:
            return lines
        if any(_uses(var, lines[:entry]) for var in (b.split(" := ")[0] for b in bindings)):
            entry, nonempty = 0, None
        return lines[:entry] + ([nonempty] if nonempty else []) + bindings + lines[entry:]

    def inline_any(self, expr: ast.Expr, scope: Scope, body: list[str]) -> list[str] | None:
        """`any(x in c where ...)` as a top-level condition of the rule body needs no helper:
        `some x in c` and the condition go straight into the body (a hit found twice is one)."""
        if not (isinstance(expr, ast.Call) and expr.name == "any" and expr.binding is not None):
            return None
        var = expr.binding.var
        if any(re.search(rf"(?<![.\w]){re.escape(var)}\b", line) for line in body):
            return None  # the name is taken in this body
        inner = scope.bind(expr.binding, self.typer.type(expr.binding.collection, scope).item)
        lines = ([f"some {var} in {self.term(expr.binding.collection, scope)}"] + self.cond(expr.where, inner)
                 + [self.shape_guard(expr.binding.collection, scope)])
        for line in lines:
            self.origins.setdefault(line, expr.span)
        return lines

    def shape_guard(self, collection: ast.Ref, scope: Scope) -> str:
        """Elements exist only in the shape the input schema gives a collection: `some` would also walk
        an array where an object is expected, with positions for keys. `any` and `all` test it after
        the condition on the elements: walking a value of another shape finds nothing or what the
        guard then refuses, and the guard runs per match instead of per element (`count` keeps it
        first: it visits every match)."""
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

    def map_block(self, block: str, first_line: int) -> list[Mapped]:
        """Source map of one generated block (a rule or a helper) starting at `first_line`."""
        if block.startswith(f"_{self.rule.id}_message"):
            return []  # its type guards are no conditions of the policy, though they may read alike
        mapped: list[Mapped] = []
        head = None
        statements: list[tuple[int, str]] = []
        for offset, text in enumerate(block.split("\n")):
            number = first_line + offset
            if text.endswith(" if {") and not text.startswith(("\t", "#")):
                head = number
                if text.startswith(f"{self.rule.id} contains"):
                    mapped.append(Mapped(number, number, "rule", self.rule.id, self.rule.span))
            elif text.startswith("\t") and not text.startswith("\t\t") and text not in ("\t}", "\t]"):
                statements.append((number, text[1:]))
            elif text.startswith("}") and head is not None:
                for i, (line, statement) in enumerate(statements):
                    held = statements[i + 1][0] if i + 1 < len(statements) else head
                    span = self.origins.get(statement)
                    if span is not None:
                        mapped.append(Mapped(line, held, "condition", self.rule.id, span))
                head, statements = None, []
        return mapped

    def message(self, message: ast.Message, scope: Scope, established: set[str] = frozenset()) -> tuple[list[str], str]:
        """(body lines, message term). Values of the type the schema gives them are rendered
        in the rule body, in a comprehension under type guards (empty when a guard fails);
        only then is the helper called, whose `else` falls back to the template text, so a
        value that cannot be rendered never makes a finding disappear. The helper renders
        whatever it finds (`text.str`). A comprehension allocates about a third of what a
        call does (OPA caches each call's result under its argument), and nearly every
        finding takes the typed rendering. A guard among the statements `established` before it
        (the rule's own shape guards and conditions) is not repeated."""
        if message is None:
            return [], rego_string("")
        text, args, guards, fast, typed = [], [], [], [], False
        for part in message.parts:
            if isinstance(part, str):
                text.append(part.replace("%", "%%"))
                continue
            text.append("%s")
            args.append(f"{LIB}.text.str({self.term(part.expr, scope, safe=True)})")
            rendered = self.typed_rendering(part.expr, scope)
            if rendered is None:
                fast.append(args[-1])
            else:
                guards += rendered[0]
                fast.append(rendered[1])
                typed = True
        if not args:  # no sprintf: "%" stays as written
            return [], rego_string("".join(p for p in message.parts if isinstance(p, str)))
        name = f"_{self.rule.id}_message"
        params = scope.variables()
        template = rego_string("".join(text))
        body = [f"message := sprintf({template}, [{', '.join(args)}])"]
        self.helpers.append(f"{_head(name, params, body)} := message if {{\n\t{body[0]}\n}} "
                            f"else := {rego_string(message.text)}")
        call = f"{name}({', '.join(params)})" if params else name
        if not typed:
            return [], call
        guards = [g for g in dict.fromkeys(guards) if g not in established]
        rendering = f"[sprintf({template}, [{', '.join(fast)}]) | {'; '.join(guards) or 'true'}]"
        return ([f"{TYPED} := {rendering}"],
                f"array.concat({TYPED}, [{call} | {TYPED} == []])[0]")

    def typed_rendering(self, expr: ast.Expr, scope: Scope) -> tuple[list[str], str] | None:
        """(guards, term) rendering a value as `text.str` does, without it, when the value has
        the type the schema gives it: a field of a textual, whole number or list-of-text
        type, or `days_since` of a date (whole days, or undefined). None for anything else."""
        if isinstance(expr, ast.Call) and expr.name == "days_since":
            return [], f"format_int({self.term(expr, scope)}, 10)"
        if not isinstance(expr, ast.Ref) or not expr.segments or any(s.computed for s in expr.segments):
            return None
        t = self.typer.type(expr, scope)
        value = self.term(expr, scope)
        if t.kind in ("string", "version", "severity", "date"):
            return [f"is_string({value})"], value
        if t.kind == "number":
            return [f"is_number({value})", f"{value} == floor({value})"], f"format_int({value}, 10)"
        if t.kind == "list" and t.item is not None and t.item.kind in ("string", "version", "severity", "date"):
            # concat fails on an element that is not text: the second branch renders that one
            return [f"is_array({value})"], f'concat(", ", {value})'
        return None

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


# The typed rendering of a finding's message, or none (a reserved name: no policy variable takes it).
TYPED = "typed_message"

_STRING_LITERAL = re.compile(r'"(\\.|[^"\\])*"')


def _head(name: str, params: list[str], body: list[str]) -> str:
    """`name(a, _)`: parameters the body does not use are wildcards (opa check --strict)."""
    if not params:
        return name
    return f"{name}({', '.join(p if _uses(p, body) else '_' for p in params)})"


def _in_code(line: str, rewrite: Callable[[str], str]) -> str:
    """`line` with `rewrite` applied to its parts outside string literals (a message's text stays)."""
    out, last = [], 0
    for literal in _STRING_LITERAL.finditer(line):
        out += [rewrite(line[last:literal.start()]), literal.group(0)]
        last = literal.end()
    return "".join(out) + rewrite(line[last:])


def _uses(var: str, lines: list[str]) -> bool:
    """Whether Rego `lines` refer to variable `var` outside string literals."""
    code = _STRING_LITERAL.sub('""', "\n".join(lines))
    return re.search(rf"(?<![.\w]){re.escape(var)}\b", code) is not None
