"""Rendering of diagnostics."""

from __future__ import annotations

from regate.diagnostics import Span, error


def test_diagnostics_on_very_long_lines_show_a_window_around_the_caret():
    line = "x" * 5000 + "BAD" + "y" * 5000
    rendered = error("E001", Span("f", 1, 5001, 1, 5004), "bad").render(line).splitlines()
    assert len(rendered[1]) < 140 and "BAD" in rendered[1]
    assert rendered[2].index("^^^") == rendered[1].index("BAD")
