"""Fixtures the engine tests share."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES
from regate.bundle import write_bundle
from regate.compile import compile_policies
from regate.opa import find_opa


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The production example compiled into a bundle, once per module."""
    path = tmp_path_factory.mktemp("bundle") / "production.tar.gz"
    write_bundle(compile_policies([EXAMPLES / "production"]), path)
    return path


@pytest.fixture()
def opa_log(tmp_path) -> tuple[dict, Path]:
    """An environment whose `opa` notes, for each `opa eval`, whether its input is the input file's
    own text ("file": the early run, started on the file's bytes) or regate's compact serialisation
    of the document ("serialised": the usual evaluation). The test inputs are not compact JSON."""
    log = tmp_path / "opa.log"
    wrapper = tmp_path / "bin" / "opa"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nif [ "$1" = eval ]; then\n'
                       f'  if head -c 100 /proc/self/fd/0 | grep -q \'^{{"[^"]*":[^ ]\'; then echo serialised; '
                       f'else echo file; fi >> {log}\n'
                       f'fi\nexec {find_opa().path} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return dict(os.environ, REGATE_OPA=str(wrapper)), log
