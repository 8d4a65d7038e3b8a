"""Rendering of diagnostics."""

from __future__ import annotations

from regate.diagnostics import Span, error


def test_diagnostics_on_very_long_lines_show_a_window_around_the_caret():
    line = "x" * 5000 + "BAD" + "y" * 5000
    rendered = error("E001", Span("f", 1, 5001, 1, 5004), "bad").render(line).splitlines()
    assert len(rendered[1]) < 140 and "BAD" in rendered[1]
    assert rendered[2].index("^^^") == rendered[1].index("BAD")


def test_only_newline_ends_a_line_as_for_the_lexer():
    # A form feed, U+2028, U+0085 and \r end no line for the lexer, so neither may they here.
    source = "# a\x0cb\u2028c\x85d\r\nsecond\nthird line\n"
    rendered = error("E001", Span("f", 3, 7, 3, 11), "bad").render(source).split("\n")
    assert rendered[1] == " 3 | third line"
    assert rendered[2] == "   |       ^^^^"
    assert error("E001", Span("f", 1, 1, 1, 2), "bad").render(source).split("\n")[1] == " 1 | # a\ufffdb\ufffdc\ufffdd"


def test_invisible_characters_of_a_source_line_are_shown_one_for_one():
    line = 'x = "\x1b[2J\x7f" + y'
    rendered = error("E001", Span("f", 1, 13, 1, 14), "bad").render(line).split("\n")
    assert rendered[1] == ' 1 | x = "\ufffd[2J\ufffd" + y'
    assert rendered[2].index("^") == rendered[1].index("+")
