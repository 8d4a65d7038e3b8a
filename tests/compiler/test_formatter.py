"""`regate fmt`: canonical, idempotent, meaning-preserving, and it never drops a comment."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from regate.diagnostics import Span
from regate.formatter import find_comments, format_source, quote
from regate.parser import parse_module, unescape

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for p in ROOT.glob("**/*.regate")
                 if ".venv" not in p.parts and "errors" not in p.parts and "hostile" not in p.parts)


def shape(node):
    """The AST without locations, so two parses can be compared."""
    if isinstance(node, tuple):
        return tuple(shape(n) for n in node)
    if isinstance(node, Span):
        return None
    if dataclasses.is_dataclass(node):
        return (type(node).__name__,) + tuple(shape(getattr(node, f.name)) for f in dataclasses.fields(node)
                                               if f.name not in ("source", "path", "problems", "raw"))
    return node


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_formatting_is_idempotent_and_keeps_meaning_and_comments(path):
    source = path.read_text()
    formatted = format_source(str(path), source)
    assert format_source(str(path), formatted) == formatted
    assert shape(parse_module("x", formatted).declarations) == shape(parse_module("x", source).declarations)
    assert [c.text for c in find_comments(formatted)] == [c.text for c in find_comments(source)]


def test_layout():
    source = ('# head\npolicy "p" {  rule r warn { title "T" when not (image.user=="a" or image.user=="b")'
              ' message "{image.user} {{x}}"\n} # end\n allow r where image.os == "linux" }\n')
    assert format_source("p", source) == (
        "# head\n"
        'policy "p" {\n'
        "  rule r warn {\n"
        '    title "T"\n'
        '    when not (image.user == "a" or image.user == "b")\n'
        '    message "{image.user} {{x}}"\n'
        "  }  # end\n"
        "\n"
        '  allow r where image.os == "linux"\n'
        "}\n"
    )


def test_long_conditions_break_at_the_top_level_connective():
    condition = " and ".join(f'v.id != "CVE-2024-{i:04d}"' for i in range(6))
    source = f'policy "p" {{ rule r warn {{ for v in vulnerabilities where {condition} message "m" }} }}'
    lines = format_source("p", source).splitlines()
    assert lines[2] == "    for v in vulnerabilities"
    assert lines[3] == '      where v.id != "CVE-2024-0000"'
    assert lines[4] == '        and v.id != "CVE-2024-0001"'


@pytest.mark.parametrize("value", ["plain", 'say "hi"', "^\\d+$", "C:\\\\path", "tab\there", "back\\\\n"])
def test_string_quoting_round_trips(value):
    assert unescape(quote(value)) == value


def test_numbers_keep_their_spelling():
    source = 'param size = 1GB\nparam ratio = 0.5\nparam low = -3\n'
    assert format_source("p", source) == source


def test_string_literals_inside_interpolations():
    source = 'policy "p" {\n  rule r warn {\n    for s in secrets where s.kind == "x"\n    message "{s.path} {startswith(s.path, \\"/app\\")}"\n  }\n}\n'
    assert format_source("p", source) == source
    message = parse_module("p", source).declarations[0].rules[0].body.message
    call = message.parts[2].expr
    assert call.args[1].value == "/app"
    assert (call.args[1].span.line, call.args[1].span.column) == (4, 44)  # the opening quote



def test_comments_after_a_form_feed_stay_on_their_line():
    source = '# page\x0cbreak\npolicy "p" {\n  rule r warn {\n    when image.user == "x"  # why\n    message "m"\n  }\n}\n'
    assert format_source("p.regate", source) == source


def test_invisible_characters_are_written_as_escapes_that_read_back_the_same():
    value = "a\x00\x1f\x7f\x85\xa0\u2028\ufeff\uffff\U0001F600\U000E0001z\\d"
    quoted = quote(value)
    assert quoted == '"a\\u0000\\u001F\\u007F\\u0085\\u00A0\\u2028\\uFEFF\\uFFFF\U0001F600\\uDB40\\uDC01z\\d"'
    assert unescape(quoted) == value


def test_comments_keep_their_blank_lines_and_stay_with_the_declaration_they_describe():
    source = ('# Header comment.\n\nlist a = [1]\n\n# about p\nparam p = 2\n\n'
              '# about the policy\npolicy "x" {\n  # inner\n\n  rule r stop {\n    when p > 1\n  }\n}\n')
    assert format_source("p", source) == source


EXAMPLES = sorted((ROOT / "examples").glob("**/*.regate"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_is_in_canonical_form(path):
    assert format_source(str(path), path.read_text()) == path.read_text(), f"run: regate fmt {path}"
