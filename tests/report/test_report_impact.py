"""`regate diff` reports over hand-made decision pairs: what a pull-request comment
leaves out when an inventory changes a lot, and that no format prints a secret."""

from __future__ import annotations

import json

import pytest

from regate.impact import compare
from regate.report import Result
from regate.report.impact import FORMATS, MARKDOWN_IMAGES, render

# An AWS access key id in the shape the detectors know (AWS's documented example).
SECRET = "AKIAIOSFODNN7EXAMPLE"


def _decision(image: str, final: str, findings: list[tuple[str, str, str]]) -> dict:
    return {"version": 1, "final_action": final, "final_reason": "policy_evaluation", "image": {"reference": image},
            "image_rule": None, "mapping": "m", "policies": [], "errors": [],
            "findings": [{"policy": "p", "rule": rule, "key": key, "message": message, "action": final,
                          "effective_action": final, "exception": None, "expired_exceptions": [], "source": ""}
                         for rule, key, message in findings]}


def _pair(index: int, base: str, head: str, findings=()) -> tuple[Result, Result]:
    image = f"registry.example.com/app{index}:1"
    return (Result(f"doc{index}.json", _decision(image, base, [])),
            Result(f"doc{index}.json", _decision(image, head, list(findings))))


def test_the_markdown_comment_lists_at_most_so_many_images_and_counts_the_rest():
    pairs = [_pair(i, "GO", "STOP", [("r", f"k{i}", "m")]) for i in range(MARKDOWN_IMAGES + 7)]
    impact = compare(pairs, "a" * 64, "b" * 64)
    text = render("markdown", impact)
    assert text.count("| ✅ GO | 🛑 STOP | +1 |") == MARKDOWN_IMAGES
    assert "… and 7 more images (see `--format json`)" in text
    assert len(json.loads(render("json", impact))["images"]) == MARKDOWN_IMAGES + 7


def test_an_unchanged_image_is_counted_but_not_listed():
    impact = compare([_pair(0, "GO", "GO"), _pair(1, "WARN", "GO", [])], "a", "b")
    assert [i.subject for i in impact.changed] == ["doc1.json"]
    assert impact.changed[0].verdict == "better" and not impact.worse


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_prints_a_secret_a_message_quotes(fmt):
    impact = compare([_pair(0, "GO", "STOP", [("leak", "k", f"the key {SECRET} is in /app/.env")])], "a", "b")
    text = render(fmt, impact)
    assert "/app/.env" in text
    assert SECRET not in text and SECRET.lower() not in text.lower()
