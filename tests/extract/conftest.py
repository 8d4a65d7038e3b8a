"""Fixtures for the extractor tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def write_json(tmp_path):
    """Write a JSON value (or raw text) to a file in a temporary directory and return its path."""

    def write(value, name: str = "input.json") -> Path:
        path = tmp_path / name
        path.write_text(value if isinstance(value, str) else json.dumps(value), "utf-8")
        return path

    return write
