"""Source text → typed AST.

The grammar is loaded once (LALR, with positions); `AstBuilder` methods are
named after the grammar rules they transform.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import ast
from .diagnostics import Diagnostic, Diagnostics, Span, error, printable, source_lines
from .resources import grammar_file

# Deeper nesting than any real policy needs; the AST passes are recursive.
MAX_DEPTH = 200
# Integers stay exact in OPA, JSON and every consumer of the bundle (|n| < 2**63).
MAX_DIGITS = 18
MAX_NUMBER = 10**MAX_DIGITS
SIZE_UNITS = {
    "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}

# Friendly names for terminals in "expected ..." messages.
_TERMINAL_NAMES = {
    "NAME": "a name", "STRING": "a string", "INT": "a number", "FLOAT": "a number",
    "SIZE": "a size", "DATE": "a date (YYYY-MM-DD)", "COMPARE_OP": "a comparison",
    "$END": "end of file",
}


@cache
def _parser() -> Lark:
    with grammar_file().open("r", encoding="utf-8") as handle:
        return Lark(handle.read(), parser="lalr", propagate_positions=True,
                    start=["start", "expr"], maybe_placeholders=True)


class _SyntaxProblem(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


def parse_module(path: str, source: str) -> ast.Module:
    """Parse one file; raises `Diagnostics` on syntax errors."""
    try:
        tree = _parser().parse(source, start="start")
    except UnexpectedInput as exc:
        raise Diagnostics([_syntax_diagnostic(path, source, exc)]) from None
    too_deep = _deeper_than(tree, MAX_DEPTH)
    if too_deep is not None:
        line, column = too_deep
        raise Diagnostics([error("E006", Span(path, line, column, line, column + 1),
                                 f"expression nested more than {MAX_DEPTH} levels deep",
                                 "split the condition into rules or simplify it")])
    builder = AstBuilder(path)
    try:
        declarations = builder.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, _SyntaxProblem):
            raise Diagnostics([exc.orig_exc.diagnostic]) from None
        raise
    if builder.invalid_values:
        raise Diagnostics(builder.invalid_values + builder.problems)
    return ast.Module(path=path, source=source, declarations=tuple(declarations), problems=tuple(builder.problems))


def _deeper_than(tree, limit: int) -> tuple[int, int] | None:
    """(line, column) of a node nested deeper than `limit`, found without recursion."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            meta = node.meta
            return (getattr(meta, "line", 1), getattr(meta, "column", 1))
        stack.extend((child, depth + 1) for child in node.children if hasattr(child, "children"))
    return None


def _syntax_diagnostic(path: str, source: str, exc: UnexpectedInput) -> Diagnostic:
    line, column = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        char = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else ""
        if char == '"':
            return error("E003", Span(path, line, column, line, column + 1), "unterminated string",
                         "strings end on the line they start; close it with \"")
        return error("E002", Span(path, line, column, line, column + 1),
                     f"unexpected character {char!r}")
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        last = source_lines(source.rstrip())
        end_line = len(last)
        end_col = len(last[-1]) + 1
        expected = _expected(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or set())
        return error("E001", Span(path, end_line, end_col, end_line, end_col + 1),
                     "unexpected end of file", f"expected {expected}" if expected else None)
    token: Token = exc.token
    width = max(len(str(token.value)), 1)
    expected = _expected(exc.accepts or exc.expected)
    return error("E001", Span(path, line, column, line, column + width),
                 f"unexpected {_describe_token(token)}", f"expected {expected}" if expected else None)


def _describe_token(token: Token) -> str:
    kind = {"NAME": "name", "STRING": "string", "INT": "number", "FLOAT": "number", "DATE": "date",
            "SIZE": "size"}.get(token.type)
    # The caret shows where the token is; the message needs only its start.
    value = printable(token.value if len(token.value) <= 40 else token.value[:40] + "…")
    if kind == "name":
        return f'name "{value}"'
    if kind:
        return f"{kind} {value}"
    return f'"{value}"'


def _expected(names: set[str]) -> str:
    parser = _parser()
    shown = set()
    for name in names:
        if name in _TERMINAL_NAMES:
            shown.add(_TERMINAL_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str":
            shown.add(f'"{pattern.value}"')
    # Keywords say more than punctuation, so they come first.
    ordered = sorted(shown, key=lambda text: (not text.strip('"')[:1].isalpha(), text))
    if len(ordered) > 8:
        ordered = ordered[:8] + ["…"]
    return ", ".join(ordered)


def unescape(raw: str) -> str:
    r"""Body of a string token → its value. Unknown escapes keep their backslash,
    so regular expressions read naturally: "^\\d+$" and "^\d+$" are the same.
    A surrogate pair (\uD83D\uDE00) is one character; half of one stays in the
    value, for the parser to report (E008)."""
    body = raw[1:-1]
    out = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6] or ""):
                code = int(body[i + 2 : i + 6], 16)
                low = body[i + 8 : i + 12] if body.startswith("\\u", i + 6) else ""
                if 0xD800 <= code < 0xDC00 and re.fullmatch(r"[dD][c-fC-F][0-9a-fA-F]{2}", low):
                    code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                    i += 6
                out.append(chr(code))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _span(path: str, meta, line_base: int = 0) -> Span:
    return Span(path, meta.line + line_base, meta.column, meta.end_line + line_base, meta.end_column)


@v_args(meta=True, inline=True)
class AstBuilder(Transformer):
    """Parse tree → AST. Method names are the grammar's rule names."""

    def __init__(self, path: str, line_base: int = 0):
        super().__init__()
        self.file = path
        self.line_base = line_base
        self.problems: list[Diagnostic] = []
        # Values no later stage can hold (a lone surrogate, a number out of range):
        # the file is rejected before anything opens, compiles or writes them.
        self.invalid_values: list[Diagnostic] = []

    def _span(self, meta) -> Span:
        return _span(self.file, meta, self.line_base)

    def _tok(self, token: Token) -> Span:
        return Span(self.file, token.line + self.line_base, token.column,
                    token.end_line + self.line_base, token.end_column)

    def _str(self, token: Token) -> str:
        return self._checked(token, unescape(str(token)))

    def _checked(self, token: Token, value: str) -> str:
        """`value` of string `token`, with a problem recorded if it holds a lone surrogate:
        such a string cannot be written as UTF-8, so no bundle or file name could hold it."""
        lone = LONE_SURROGATE.search(value)
        if lone:
            self.invalid_values.append(error("E008", self._tok(token),
                                             f"\\u{ord(lone.group()):04X} is half of a UTF-16 surrogate pair",
                                             "write the character itself, or both halves: \\uD83D\\uDE00"))
        return value

    def _number(self, token: Token, span: Span, sign: int = 1) -> int | float:
        value = _number(token)
        if value is None:
            self.invalid_values.append(error("E007", span,
                                             f"number out of range: numbers are limited to {MAX_DIGITS} digits",
                                             "a size counts in bytes, so it stays below 1000000TB"
                                             if token.type == "SIZE" else None))
            return 0
        return sign * value

    # ---------------------------------------------------------------- top level
    def start(self, meta, *declarations):
        return list(declarations)

    def import_decl(self, meta, path):
        return ast.Import(self._str(path), self._span(meta))

    def list_inline(self, meta, name, items):
        return ast.ListDecl(str(name), self._tok(name), items.value, None, self._span(meta))

    def list_file(self, meta, name, path, key):
        source = ast.DataSource(self._str(path), self._str(key) if key else None, self._tok(path))
        return ast.ListDecl(str(name), self._tok(name), None, source, self._span(meta))

    def param_inline(self, meta, name, value):
        return ast.ParamDecl(str(name), self._tok(name), value, None, self._span(meta))

    def param_file(self, meta, name, path, key):
        source = ast.DataSource(self._str(path), self._str(key) if key else None, self._tok(path))
        return ast.ParamDecl(str(name), self._tok(name), None, source, self._span(meta))

    def template_decl(self, meta, name, *rest):
        params = [p for p in rest if isinstance(p, Token)]
        clauses = [c for c in rest if not isinstance(c, Token) and c is not None]
        body = self._rule_body(clauses)
        return ast.Template(str(name), self._tok(name), tuple(ast.Name(str(p), self._tok(p)) for p in params),
                            body, self._span(meta))

    def policy_decl(self, meta, name, *items):
        titles = [i for i in items if isinstance(i, _Clause) and i.kind == "title"]
        descriptions = [i for i in items if isinstance(i, _Clause) and i.kind == "description"]
        self._at_most_once(titles + descriptions)
        return ast.Policy(
            id=self._str(name), id_span=self._tok(name),
            title=titles[0].value if titles else None,
            description=descriptions[0].value if descriptions else None,
            rules=tuple(i for i in items if isinstance(i, ast.Rule)),
            allows=tuple(i for i in items if isinstance(i, ast.Allow)),
            span=self._span(meta),
        )

    def allowlist_decl(self, meta, name, *allows):
        return ast.Allowlist(self._str(name), self._tok(name), tuple(allows), self._span(meta))

    def mapping_decl(self, meta, name, *clauses):
        found: dict[str, list] = {"images": [], "policies": [], "allowlists": [], "baseline": []}
        for kind, names, span in clauses:
            if found[kind]:
                self.problems.append(error("E103", span, f'"{kind}" is given twice in this mapping',
                                           "list every value in one clause, separated by commas"))
            found[kind].extend(names)
        return ast.Mapping(self._str(name), self._tok(name), tuple(found["images"]),
                           tuple(found["policies"]), tuple(found["allowlists"]), self._span(meta),
                           found["baseline"][0] if found["baseline"] else None)

    def mapping_images(self, meta, names):
        return ("images", names, self._span(meta))

    def mapping_policies(self, meta, names):
        return ("policies", names, self._span(meta))

    def mapping_allowlists(self, meta, names):
        return ("allowlists", names, self._span(meta))

    def mapping_baseline(self, meta, location):
        return ("baseline", [ast.Name(self._str(location), self._tok(location))], self._span(meta))

    def allow_image(self, meta, patterns, reason):
        return ast.ImageRule("allow", tuple(patterns), self._str(reason) if reason else None, self._span(meta))

    def deny_image(self, meta, patterns, reason):
        return ast.ImageRule("deny", tuple(patterns), self._str(reason) if reason else None, self._span(meta))

    def unmatched_decl(self, meta, action):
        return ast.Unmatched(action, self._span(meta))

    def string_list(self, meta, *strings):
        return [ast.Name(self._str(s), self._tok(s)) for s in strings]

    # -------------------------------------------------------------------- rules
    def action(self, meta, token):
        return str(token)

    def rule_body(self, meta, name, action, *clauses):
        return ast.Rule(str(name), self._tok(name), action, self._rule_body(list(clauses)), self._span(meta))

    def rule_template(self, meta, name, action, template, *rest):
        args = [r for r in rest if r is not None and not isinstance(r, _Clause)]
        clauses = [r for r in rest if isinstance(r, _Clause)]
        body = self._rule_body(clauses)
        end = args[-1].span if args else self._tok(template)
        use = ast.TemplateUse(str(template), self._tok(template), tuple(args), self._tok(template).covering(end))
        return ast.Rule(str(name), self._tok(name), action, body, self._span(meta), template=use)

    def _at_most_once(self, clauses: list["_Clause"]) -> None:
        seen: set[str] = set()
        for clause in sorted(clauses, key=lambda c: c.span):
            if clause.kind in seen and clause.kind != "link":
                self.problems.append(error("E103", clause.span, f'"{clause.kind}" is given twice',
                                           "keep one"))
            seen.add(clause.kind)

    def _rule_body(self, clauses: list["_Clause"]) -> ast.RuleBody:
        self._at_most_once(clauses)
        first: dict[str, _Clause] = {}
        for clause in clauses:
            first.setdefault(clause.kind, clause)

        def value(kind):
            return first[kind].value if kind in first else None

        binding, where = value("for") or (None, None)
        severity = first.get("severity")
        meta = ast.Meta(
            title=value("title"), description=value("description"),
            severity=severity.value if severity else None,
            severity_span=severity.span if severity else None,
            remediation=value("remediation"),
            links=tuple(c.value for c in clauses if c.kind == "link"),
            origin=value("origin"),
        )
        return ast.RuleBody(meta=meta, binding=binding, where=where, when=value("when"), message=value("message"))

    def title(self, meta, text):
        return _Clause("title", self._str(text), self._span(meta))

    def description(self, meta, text):
        return _Clause("description", self._str(text), self._span(meta))

    def severity(self, meta, name):
        return _Clause("severity", str(name), self._tok(name))

    def remediation(self, meta, text):
        return _Clause("remediation", self._str(text), self._span(meta))

    def link(self, meta, text):
        return _Clause("link", self._str(text), self._span(meta))

    def origin(self, meta, text):
        return _Clause("origin", self._str(text), self._span(meta))

    def for_clause(self, meta, var, collection, where):
        binding = ast.Binding(str(var), self._tok(var), collection, self._tok(var).covering(collection.span))
        return _Clause("for", (binding, where), self._span(meta))

    def when_clause(self, meta, expr):
        return _Clause("when", expr, self._span(meta))

    def message(self, meta, text):
        return _Clause("message", self._message(text), self._span(meta))

    def exception(self, meta, rule, where, until, reason):
        return ast.Allow(str(rule), self._tok(rule), where, str(until) if until else None,
                         self._tok(until) if until else None,
                         self._str(reason) if reason else None, self._span(meta))

    def _message(self, token: Token) -> ast.Message:
        raw = str(token)
        line = token.line + self.line_base
        parts: list[str | ast.Interpolation] = []
        text: list[str] = []

        def flush() -> None:
            if text:
                parts.append(unescape('"' + "".join(text) + '"'))
                text.clear()

        i = 1
        while i < len(raw) - 1:
            if raw.startswith("{{", i) or raw.startswith("}}", i):
                text.append(raw[i])
                i += 2
            elif raw[i] == "{":
                close = _closing_brace(raw, i + 1)
                if close == -1:
                    self._interp_problem(token, i, len(raw) - 1, "unclosed { in message",
                                         'write "{{" for a literal brace')
                    break
                flush()
                expr = self._interpolation(token, token.column + i + 1, raw[i + 1 : close])
                if expr is not None:
                    span = Span(self.file, line, token.column + i, line, token.column + close + 1)
                    parts.append(ast.Interpolation(expr, span))
                i = close + 1
            elif raw[i] == "}":
                self._interp_problem(token, i, i + 1, "unmatched } in message", 'write "}}" for a literal brace')
                i += 1
            elif raw[i] == "\\":
                text.append(raw[i : i + 2])
                i += 2
            else:
                text.append(raw[i])
                i += 1
        flush()
        return ast.Message(tuple(parts), self._checked(token, unescape(raw)), self._tok(token))

    def _interp_problem(self, token: Token, start: int, end: int, message: str, hint: str) -> None:
        line = token.line + self.line_base
        self.problems.append(error("E004", Span(self.file, line, token.column + start, line, token.column + end),
                                   message, hint))

    def _interpolation(self, token: Token, column: int, text: str) -> ast.Expr | None:
        # Pad so that positions inside the expression are columns of the source line.
        padded = " " * (column - 1) + _unescape_quotes(text)
        line = token.line + self.line_base
        if not text.strip():
            self.problems.append(error("E004", Span(self.file, line, column - 1, line, column + 1),
                                       "empty {} in message", 'write "{{}}" for literal braces'))
            return None
        try:
            tree = _parser().parse(padded, start="expr")
        except UnexpectedInput as exc:
            diagnostic = _syntax_diagnostic(self.file, padded, exc)
            span = diagnostic.span
            self.problems.append(Diagnostic(diagnostic.code, diagnostic.level,
                                            Span(self.file, line, span.column, line, span.end_column),
                                            diagnostic.message + " in message interpolation", diagnostic.hint))
            return None
        if _deeper_than(tree, MAX_DEPTH) is not None:
            self.problems.append(error("E006", Span(self.file, line, column, line, column + 1),
                                       f"expression nested more than {MAX_DEPTH} levels deep"))
            return None
        builder = AstBuilder(self.file, line_base=line - 1)
        expr = builder.transform(tree)
        self.problems += builder.problems
        self.invalid_values += builder.invalid_values
        return expr

    # -------------------------------------------------------------- expressions
    def or_(self, meta, left, right):
        items = (left.items if isinstance(left, ast.Or) else (left,)) + (right,)
        return ast.Or(items, self._span(meta))

    def and_(self, meta, left, right):
        items = (left.items if isinstance(left, ast.And) else (left,)) + (right,)
        return ast.And(items, self._span(meta))

    def not_(self, meta, operand):
        return ast.Not(operand, self._span(meta))

    def compare(self, meta, left, op, right):
        return ast.Compare(str(op), left, right, self._span(meta))

    def in_(self, meta, left, right):
        return ast.Compare("in", left, right, self._span(meta))

    def not_in(self, meta, left, right):
        return ast.Compare("not in", left, right, self._span(meta))

    def matches(self, meta, left, right):
        return ast.Compare("matches", left, right, self._span(meta))

    def glob(self, meta, left, right):
        return ast.Compare("glob", left, right, self._span(meta))

    def _arith(self, meta, op, left, right):
        return ast.Arith(op, left, right, self._span(meta))

    def add(self, meta, left, right):
        return self._arith(meta, "+", left, right)

    def subtract(self, meta, left, right):
        return self._arith(meta, "-", left, right)

    def multiply(self, meta, left, right):
        return self._arith(meta, "*", left, right)

    def divide(self, meta, left, right):
        return self._arith(meta, "/", left, right)

    def remainder(self, meta, left, right):
        return self._arith(meta, "%", left, right)

    def call(self, meta, name, *rest):
        *args, where = rest
        args = [a for a in args if a is not None]
        span = self._span(meta)
        binding = None
        if where is not None:
            first = args[0] if len(args) == 1 else None
            if not (isinstance(first, ast.Compare) and first.op == "in" and isinstance(first.left, ast.Ref)
                    and not first.left.segments and isinstance(first.right, ast.Ref)):
                raise _SyntaxProblem(error(
                    "E005", span, f'"where" in {name}(...) needs the form {name}(x in collection where condition)'))
            binding = ast.Binding(first.left.root, first.left.root_span, first.right, first.span)
            args = []
        return ast.Call(str(name), tuple(args), span, self._tok(name), binding, where)

    def path(self, meta, root, *steps):
        segments = []
        for step in steps:
            if isinstance(step, Token):
                segments.append(ast.Segment(str(step), self._tok(step)))
            elif isinstance(step, ast.Literal) and step.kind in ("string", "number") and not isinstance(step.value, float):
                segments.append(ast.Segment(step.value, step.span, indexed=True))
            else:
                segments.append(ast.Segment(step, step.span, indexed=True))
        return ast.Ref(str(root), self._tok(root), tuple(segments), self._span(meta))

    # ----------------------------------------------------------------- literals
    def string(self, meta, token):
        return ast.Literal("string", self._str(token), self._span(meta))

    def number(self, meta, token):
        span = self._span(meta)
        return ast.Literal("number", self._number(token, span), span, raw=str(token))

    def negative(self, meta, token):
        span = self._span(meta)
        return ast.Literal("number", self._number(token, span, -1), span, raw=f"-{token}")

    def date(self, meta, token):
        return ast.Literal("date", str(token), self._span(meta))

    def true(self, meta):
        return ast.Literal("bool", True, self._span(meta))

    def false(self, meta):
        return ast.Literal("bool", False, self._span(meta))

    def null(self, meta):
        return ast.Literal("null", None, self._span(meta))

    def list_literal(self, meta, *items):
        return ast.Literal("list", tuple(i for i in items if i is not None), self._span(meta))

    def object_literal(self, meta, *items):
        items = [i for i in items if i is not None]
        pairs = tuple((self._str(items[i]), items[i + 1]) for i in range(0, len(items), 2))
        return ast.Literal("object", pairs, self._span(meta))


def _unescape_quotes(text: str) -> str:
    """A string literal inside `{...}` is written \\"...\\"; each backslash becomes a space
    outside the literal (before an opening quote, after a closing one), so columns stay put."""
    parts = text.split('\\"')
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += (' "' if i % 2 == 0 else '" ') + part
    return out


class _Clause:
    """A clause of a rule body before it is folded into `RuleBody`."""

    __slots__ = ("kind", "value", "span")

    def __init__(self, kind: str, value, span: Span):
        self.kind, self.value, self.span = kind, value, span


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _number(token: Token) -> int | float | None:
    """The value of a number token, or None if it has more than `MAX_DIGITS` digits
    (its digits are counted before converting, so no size of token is slow)."""
    text = str(token)
    if token.type == "OCTAL":
        digits = text[2:].lstrip("0") or "0"
        value = int(digits, 8) if len(digits) <= 3 * MAX_DIGITS else None
    else:
        unit = re.search(r"[A-Za-z]+$", text).group(0) if token.type == "SIZE" else ""
        amount = text[: len(text) - len(unit)]
        if len(amount.split(".")[0].lstrip("0")) > MAX_DIGITS:
            return None
        if token.type == "SIZE":
            value = int(Decimal(amount) * SIZE_UNITS[unit])
        else:
            value = float(amount) if token.type == "FLOAT" else int(amount.lstrip("0") or "0")
    return value if value is not None and abs(value) < MAX_NUMBER else None


def _closing_brace(raw: str, start: int) -> int:
    """Index of the `}` closing an interpolation, skipping string literals in it (`\"a{b}\"`), or -1."""
    inside = False
    i = start
    while i < len(raw) - 1:
        if raw.startswith('\\"', i):
            inside = not inside
            i += 2
        elif raw[i] == "\\":
            i += 2
        elif raw[i] == "}" and not inside:
            return i
        else:
            i += 1
    return -1
