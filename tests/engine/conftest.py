"""Fixtures the engine tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES
from regate.bundle import write_bundle
from regate.compile import compile_policies


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The production example compiled into a bundle, once per module."""
    path = tmp_path_factory.mktemp("bundle") / "production.tar.gz"
    write_bundle(compile_policies([EXAMPLES / "production"]), path)
    return path
