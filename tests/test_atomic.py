"""Atomic writes replace regular files only: a device, a pipe or a link stays what it is."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from regate.atomic import write_atomically
from regate.errors import UserError


def test_a_regular_file_is_replaced_whole(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left behind


def test_a_named_pipe_is_written_to_not_replaced(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    write_atomically(pipe, b"through the pipe")
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)


def test_a_symbolic_link_survives(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomically(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_missing_directory_and_directories_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        write_atomically(tmp_path / "nope" / "x.json", "x")
    with pytest.raises(UserError, match="cannot write"):
        write_atomically(tmp_path, "x")


@pytest.mark.parametrize("durable", [True, False])
def test_only_a_durable_write_waits_for_the_disk(tmp_path, monkeypatch, durable):
    flushed = []
    monkeypatch.setattr(os, "fsync", flushed.append)
    write_atomically(tmp_path / "out.json", "new", durable=durable)
    assert (tmp_path / "out.json").read_text() == "new"
    assert bool(flushed) == durable


def test_a_report_is_replaced_without_waiting_for_the_disk(tmp_path, monkeypatch):
    # A report is made again by the next check; the flush cost a 10,000-package check ~5 ms.
    from regate.report import write

    flushed = []
    monkeypatch.setattr(os, "fsync", flushed.append)
    write(tmp_path / "report.json", "{}")
    assert (tmp_path / "report.json").read_text() == "{}" and flushed == []


def test_an_extracted_document_is_written_without_waiting_for_the_disk(tmp_path, monkeypatch):
    # Like a report, made again by the next run; the flush of a 16 MB document took 18-113 ms.
    from click.testing import CliRunner

    from regate.cli import cli

    flushed = []
    monkeypatch.setattr(os, "fsync", flushed.append)
    source = Path(__file__).parent / "fixtures" / "realworld" / "trivy" / "trivy-repo_photon-30_golden.json"
    done = CliRunner().invoke(cli, ["extract", str(source), "-o", str(tmp_path / "doc.json")])
    assert done.exit_code == 0, done.output
    assert json.loads((tmp_path / "doc.json").read_text())["schema_version"] == 1 and flushed == []
