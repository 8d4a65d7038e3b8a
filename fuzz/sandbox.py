"""Runs one case at a time in a forked worker with a memory cap and a deadline.

A case that exhausts memory ends as a MemoryError (or the worker's death)
instead of taking the machine down; a case that does not finish in time gets
the worker killed and replaced. Either way it is a finding.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import tempfile
from pathlib import Path

from .corpus import ROOT
from .oracles import Finding, Outcome

MEMORY_LIMIT = 2 << 30


def prepare_workdir(workdir: Path) -> None:
    """Files seed policies refer to (`list ... from "lists/..."`), beside the case."""
    for lists in sorted((ROOT / "examples").glob("*/lists")):
        shutil.copytree(lists, workdir / "lists", dirs_exist_ok=True)


def _serve(conn, checks, memory_limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)  # re2 and absl log to fd 2; the report is the findings
    workdir = Path(tempfile.mkdtemp(prefix="regate-fuzz-"))
    prepare_workdir(workdir)
    os.chdir(workdir)
    try:
        while True:
            try:
                target, data = conn.recv()
            except EOFError:
                return
            conn.send(checks[target](data, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class Sandbox:
    def __init__(self, checks: dict, timeout: float, memory_limit: int = MEMORY_LIMIT):
        self.checks, self.timeout, self.memory_limit = checks, timeout, memory_limit
        self.process = None

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.checks, self.memory_limit), daemon=True)
        self.process.start()
        child.close()

    def _stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.conn.close()
            self.process = None

    def run(self, target: str, data: bytes) -> Outcome:
        if self.process is None or not self.process.is_alive():
            self._stop()
            self._start()
        try:
            self.conn.send((target, data))
            if not self.conn.poll(self.timeout):
                self._stop()
                return Outcome([Finding("timeout", f"{target}: no result within {self.timeout:g} s", "")])
            outcome = self.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self.process.join()
            code = self.process.exitcode
            self._stop()
            return Outcome([Finding("died", f"{target}: worker died (exit {code}, memory cap {self.memory_limit >> 20} MiB)", "")])
        if any(f.signature.startswith("MemoryError") for f in outcome.findings):
            self._stop()  # its heap may be left in a bad state: the next case gets a fresh worker
        return outcome

    def close(self) -> None:
        if self.process is not None:
            self.conn.close()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.process = None
