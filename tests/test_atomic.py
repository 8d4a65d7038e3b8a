"""Atomic writes replace regular files only: a device, a pipe or a link stays what it is."""

from __future__ import annotations

import os
import stat
import threading

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
