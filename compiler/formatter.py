"""`regate fmt`: the canonical layout of a policy file, comments kept.

The file is printed again from its AST: two-space indentation, one clause per
line, canonical spacing and parentheses, long conditions broken at `and`/`or`.
Comments are taken from the source text and re-emitted before the node that
follows them, or at the end of the line they ended; none is ever dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ast
from .diagnostics import source_lines
from .parser import parse_module

INDENT = "  "
WIDTH = 100
_ESCAPED = {'"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_ESCAPE_LETTERS = set('"\\ntr/u')
_PRECEDENCE = {ast.Or: 1, ast.And: 2, ast.Not: 3, ast.Compare: 4}
_ARITH = {"+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


def _precedence(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Arith):
        return _ARITH[expr.op]
    return _PRECEDENCE.get(type(expr), 7)


@dataclass
class Comment:
    line: int
    column: int
    text: str
    trailing: bool  # code precedes it on its line


def find_comments(source: str) -> list[Comment]:
    """`#` comments outside string literals (strings never span lines)."""
    found = []
    for number, line in enumerate(source_lines(source), start=1):
        in_string = escaped = False
        for column, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                found.append(Comment(number, column + 1, line[column:].rstrip(), bool(line[:column].strip())))
                break
    return found


def quote(value: str) -> str:
    out = []
    for i, char in enumerate(value):
        if char == "\\":
            following = value[i + 1] if i + 1 < len(value) else ""
            out.append("\\\\" if following in _ESCAPE_LETTERS or not following else "\\")
        elif char in _ESCAPED:
            out.append(_ESCAPED[char])
        else:
            out.append(char if char.isprintable() else _unicode_escape(char))
    return '"' + "".join(out) + '"'


def _unicode_escape(char: str) -> str:
    """An invisible character as `\\uXXXX` (a UTF-16 pair past U+FFFF), so the file shows it."""
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04X}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"


def format_source(path: str, source: str) -> str:
    module = parse_module(path, source)
    return Printer(find_comments(source), source).module(module)


class Printer:
    def __init__(self, comments: list[Comment], source: str):
        self.comments = comments
        self.source_lines = source.splitlines()
        self.lines: list[str] = []

    # ------------------------------------------------------------ comments
    def _flush_before(self, line: int, depth: int) -> None:
        """Comments that start before source line `line` (standalone ones on their own lines)."""
        standalone = False
        while self.comments and self.comments[0].line < line:
            comment = self.comments.pop(0)
            if comment.trailing and self.lines and self.lines[-1].strip():
                self.lines[-1] += "  " + comment.text
            else:
                self._keep_blank_before(comment.line)
                self.lines.append(INDENT * depth + comment.text)
                standalone = True
        if standalone:
            self._keep_blank_before(line)

    def _keep_blank_before(self, line: int) -> None:
        """A blank source line around a standalone comment stays (a header comment, a section
        heading); collapsed to one, and never right after an opening brace."""
        blank_in_source = 1 < line <= len(self.source_lines) + 1 and not self.source_lines[line - 2].strip()
        if blank_in_source and self.lines and self.lines[-1] and not self.lines[-1].endswith("{"):
            self.lines.append("")

    def _trailing(self, line: int) -> None:
        while self.comments and self.comments[0].line == line and self.comments[0].trailing:
            self.lines[-1] += "  " + self.comments.pop(0).text

    def emit(self, node_span, depth: int, text: str) -> None:
        self._flush_before(node_span.line, depth)
        for i, piece in enumerate(text.split("\n")):
            self.lines.append((INDENT * depth + piece) if piece else "")
        # Comments inside a multi-line node are kept, after it.
        while self.comments and self.comments[0].line < node_span.end_line:
            self.lines.append(INDENT * depth + self.comments.pop(0).text)
        self._trailing(node_span.end_line)

    def open_block(self, span, depth: int, header: str) -> None:
        self._flush_before(span.line, depth)
        self.lines.append(INDENT * depth + header + " {")
        self._trailing(span.line)

    def close_block(self, span, depth: int) -> None:
        self._flush_before(span.end_line, depth + 1)
        self.lines.append(INDENT * depth + "}")
        self._trailing(span.end_line)

    # -------------------------------------------------------------- module
    def module(self, module: ast.Module) -> str:
        previous = None
        for decl in module.declarations:
            blank = previous is not None and (
                _is_block(decl) or _is_block(previous) or type(decl) is not type(previous)
                or decl.span.line > previous.span.end_line + 1)
            if blank:
                # The comments before a declaration belong to it, after the blank line.
                self.lines.append("")
            getattr(self, f"decl_{type(decl).__name__}")(decl)
            previous = decl
        while self.comments:
            self.lines.append(self.comments.pop(0).text)
        text = "\n".join(self.lines).strip("\n")
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        return text + "\n" if text else ""

    def decl_Import(self, decl: ast.Import) -> None:
        self.emit(decl.span, 0, f"import {quote(decl.path)}")

    def decl_ListDecl(self, decl: ast.ListDecl) -> None:
        value = self.literal_list(decl.items) if decl.items is not None else self.source(decl.source)
        self.emit(decl.span, 0, f"list {decl.name} {'=' if decl.items is not None else 'from'} {value}")

    def decl_ParamDecl(self, decl: ast.ParamDecl) -> None:
        value = self.expr(decl.value) if decl.value is not None else self.source(decl.source)
        self.emit(decl.span, 0, f"param {decl.name} {'=' if decl.value is not None else 'from'} {value}")

    def source(self, source: ast.DataSource) -> str:
        return quote(source.path) + (f" key {quote(source.key)}" if source.key else "")

    def literal_list(self, items) -> str:
        return "[" + ", ".join(self.expr(i) for i in items) + "]"

    def decl_Template(self, decl: ast.Template) -> None:
        params = ", ".join(p.value for p in decl.params)
        self.open_block(decl.span, 0, f"template {decl.name}({params})")
        self.rule_body(decl.body, 1)
        self.close_block(decl.span, 0)

    def decl_Policy(self, decl: ast.Policy) -> None:
        self.open_block(decl.span, 0, f"policy {quote(decl.id)}")
        items = sorted(list(decl.rules) + list(decl.allows), key=lambda n: n.span)
        heading = [("title", decl.title), ("description", decl.description)]
        for keyword, value in heading:
            if value is not None:
                self.lines.append(f"{INDENT}{keyword} {quote(value)}")
        for i, item in enumerate(items):
            if isinstance(item, ast.Rule) or (i and isinstance(items[i - 1], ast.Rule)):
                if self.lines[-1].strip() and not self.lines[-1].endswith("{"):
                    self.lines.append("")
            if isinstance(item, ast.Rule):
                self.rule(item, 1)
            else:
                self.allow(item, 1)
        self.close_block(decl.span, 0)

    def decl_Allowlist(self, decl: ast.Allowlist) -> None:
        self.open_block(decl.span, 0, f"allowlist {quote(decl.id)}")
        for allow in decl.allows:
            self.allow(allow, 1)
        self.close_block(decl.span, 0)

    def decl_Mapping(self, decl: ast.Mapping) -> None:
        self.open_block(decl.span, 0, f"mapping {quote(decl.id)}")
        for keyword, names in (("images", decl.images), ("policies", decl.policies), ("allowlists", decl.allowlists)):
            if names:
                self.emit(names[0].span.covering(names[-1].span), 1,
                          f"{keyword} " + ", ".join(quote(n.value) for n in names))
        if decl.baseline is not None:
            self.emit(decl.baseline.span, 1, f"baseline {quote(decl.baseline.value)}")
        self.close_block(decl.span, 0)

    def decl_ImageRule(self, decl: ast.ImageRule) -> None:
        text = f"{decl.verdict} image " + ", ".join(quote(n.value) for n in decl.patterns)
        if decl.reason is not None:
            text += f" because {quote(decl.reason)}"
        self.emit(decl.span, 0, text)

    def decl_Unmatched(self, decl: ast.Unmatched) -> None:
        self.emit(decl.span, 0, f"unmatched {decl.action}")

    # --------------------------------------------------------------- rules
    def rule(self, rule: ast.Rule, depth: int) -> None:
        header = f"rule {rule.id} {rule.action}"
        if rule.template is not None:
            args = ", ".join(self.expr(a) for a in rule.template.args)
            header += f" from {rule.template.name}({args})"
            if rule.body.meta == ast.Meta():
                self.emit(rule.span, depth, header)
                return
        self.open_block(rule.span, depth, header)
        self.rule_body(rule.body, depth + 1)
        self.close_block(rule.span, depth)

    def rule_body(self, body: ast.RuleBody, depth: int) -> None:
        meta = body.meta
        clauses = [f"{keyword} {quote(value)}" for keyword, value in
                   (("title", meta.title), ("description", meta.description)) if value is not None]
        if meta.severity is not None:
            clauses.append(f"severity {meta.severity}")
        if meta.remediation is not None:
            clauses.append(f"remediation {quote(meta.remediation)}")
        clauses += [f"link {quote(link)}" for link in meta.links]
        if meta.origin is not None:
            clauses.append(f"origin {quote(meta.origin)}")
        for clause in clauses:
            self.lines.append(INDENT * depth + clause)
        if body.binding is not None:
            head = f"for {body.binding.var} in {self.expr(body.binding.collection)}"
            end = body.where.span if body.where is not None else body.binding.span
            self.emit(body.binding.span.covering(end), depth, self.conditioned(head, "where", body.where, depth))
        if body.when is not None:
            self.emit(body.when.span, depth, self.conditioned("when", None, body.when, depth))
        if body.message is not None:
            self.emit(body.message.span, depth, f"message {self.message(body.message)}")

    def conditioned(self, head: str, keyword: str | None, condition: ast.Expr | None, depth: int) -> str:
        """`head [keyword] condition`, broken at top-level and/or when too long."""
        if condition is None:
            return head
        joiner = f" {keyword} " if keyword else " "
        flat = head + joiner + self.expr(condition)
        if len(INDENT * depth + flat) <= WIDTH or not isinstance(condition, (ast.And, ast.Or)):
            return flat
        word = "and" if isinstance(condition, ast.And) else "or"
        items = [self.expr(i, _PRECEDENCE[type(condition)]) for i in condition.items]
        first = f"{head}\n{INDENT}{keyword} {items[0]}" if keyword else f"{head} {items[0]}"
        rest = "".join(f"\n{INDENT * 2}{word} {item}" for item in items[1:])
        return first + rest

    def allow(self, allow: ast.Allow, depth: int) -> None:
        text = f"allow {allow.rule}"
        if allow.where is not None:
            text += f" where {self.expr(allow.where)}"
        if allow.until is not None:
            text += f" until {allow.until}"
        if allow.reason is not None:
            text += f" because {quote(allow.reason)}"
        self.emit(allow.span, depth, text)

    def message(self, message: ast.Message) -> str:
        out = []
        for part in message.parts:
            if isinstance(part, str):
                out.append(quote(part)[1:-1].replace("{", "{{").replace("}", "}}"))
            else:
                # String literals inside an interpolation are written \"...\" in the message.
                out.append("{" + self.expr(part.expr).replace('"', '\\"') + "}")
        return '"' + "".join(out) + '"'

    # --------------------------------------------------------- expressions
    def expr(self, expr: ast.Expr, context: int = 0) -> str:
        """`expr` printed inside an operator binding at `context`; parenthesised when
        it binds more loosely, or equally for and/or nested in their own kind."""
        text = getattr(self, f"expr_{type(expr).__name__}")(expr)
        own = _precedence(expr)
        return f"({text})" if own < context or (own == context and own < 3 and context) else text

    def expr_Literal(self, lit: ast.Literal) -> str:
        if lit.kind == "string":
            return quote(lit.value)
        if lit.kind == "number":
            return lit.raw or str(lit.value)
        if lit.kind == "date":
            return lit.value
        if lit.kind == "list":
            return self.literal_list(lit.value)
        if lit.kind == "object":
            return "{" + ", ".join(f"{quote(k)}: {self.expr(v)}" for k, v in lit.value) + "}"
        return {True: "true", False: "false", None: "null"}[lit.value]

    def expr_Ref(self, ref: ast.Ref) -> str:
        out = ref.root
        for seg in ref.segments:
            if not seg.indexed:
                out += f".{seg.key}"
            elif seg.computed:
                out += f"[{self.expr(seg.key)}]"
            elif isinstance(seg.key, str):
                out += f"[{quote(seg.key)}]"
            else:
                out += f"[{seg.key}]"
        return out

    def expr_And(self, expr: ast.And) -> str:
        return " and ".join(self.expr(i, 2) for i in expr.items)

    def expr_Or(self, expr: ast.Or) -> str:
        return " or ".join(self.expr(i, 1) for i in expr.items)

    def expr_Not(self, expr: ast.Not) -> str:
        return "not " + self.expr(expr.operand, 3)

    def expr_Compare(self, cmp: ast.Compare) -> str:
        return f"{self.expr(cmp.left, 5)} {cmp.op} {self.expr(cmp.right, 5)}"

    def expr_Arith(self, expr: ast.Arith) -> str:
        own = _precedence(expr)
        # The right operand of - / % keeps its parentheses: a - (b - c) is not a - b - c.
        return f"{self.expr(expr.left, own)} {expr.op} {self.expr(expr.right, own + 1)}"

    def expr_Call(self, call: ast.Call) -> str:
        if call.binding is not None:
            inner = f"{call.binding.var} in {self.expr(call.binding.collection)} where {self.expr(call.where)}"
        else:
            inner = ", ".join(self.expr(a) for a in call.args)
        return f"{call.name}({inner})"


def _is_block(decl) -> bool:
    return isinstance(decl, (ast.Template, ast.Policy, ast.Allowlist, ast.Mapping))
