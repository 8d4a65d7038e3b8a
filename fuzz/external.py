"""Oracles that need other processes: `opa check --strict` on generated Rego,
and the real `regate` command line on a sample of cases.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from regate.opa import find_opa
from regate.resources import iter_rego_library

from .oracles import Finding, traceback_signature, unnamed_limit

_OURS = re.compile(r"\bregate\.(?!lib\b)")
LOCATED = re.compile(r"^\S.*:\d+:\d+: (error|warning)\[E\d+\]", re.M)


def _isolate(case: int, text: str) -> str:
    """Generated modules of one case under their own root, so many cases load into one `opa check`."""
    return _OURS.sub(f"fz{case}.regate.", text)


def _normalize(message: str) -> str:
    message = re.sub(r"\b(var|variable|rule|function|ref) [\w.\[\]\"]+", r"\1 X", message)
    return re.sub(r"\d+", "N", message)[:160]


def opa_strict(batch: list[tuple[int, dict[str, str]]]) -> dict[int, list[Finding]]:
    """Findings per case of `opa check --strict` over the generated modules of many cases at once."""
    found = _opa_check(batch)
    # OPA stops at parse errors before its compiler runs: check the other cases again without those.
    unparsed = {case for case, findings in found.items() if any("rego_parse_error" in f.signature for f in findings)}
    rest = [(case, modules) for case, modules in batch if case not in found]
    if unparsed and rest:
        found.update(opa_strict(rest))
    return found


def _opa_check(batch: list[tuple[int, dict[str, str]]]) -> dict[int, list[Finding]]:
    if not batch:
        return {}
    with tempfile.TemporaryDirectory(prefix="regate-fuzz-opa-") as tmp:
        root = Path(tmp)
        for path, source in iter_rego_library():
            (root / "lib" / path).parent.mkdir(parents=True, exist_ok=True)
            (root / "lib" / path).write_text(source, encoding="utf-8")
        for case, modules in batch:
            for path, source in modules.items():
                target = root / f"case{case}" / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(_isolate(case, source), encoding="utf-8", errors="surrogateescape")
        done = find_opa().run("check", "--strict", "--format", "json", "--max-errors", "-1", str(root), timeout=600)
    if done.returncode == 0:
        return {}
    try:
        errors = json.loads(done.stdout or done.stderr).get("errors", [])
    except ValueError:
        errors = [{"message": (done.stdout + done.stderr)[:500]}]
    found: dict[int, list[Finding]] = {}
    for error in errors:
        file = (error.get("location") or {}).get("file", "")
        match = re.search(r"/case(\d+)/", file)
        case = int(match.group(1)) if match else batch[0][0]
        message = error.get("message", "")
        found.setdefault(case, []).append(
            Finding("opa-strict", f"opa check --strict: {error.get('code', '')}: {_normalize(message)}",
                    f"{file.split(f'/case{case}/')[-1]}:{(error.get('location') or {}).get('row')}: {message}"[:500]))
    return found


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def regate_cli(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess | None:
    command = [str(Path(sys.executable).parent / "regate"), *args]
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=timeout,
                              preexec_fn=_limit_memory, env={"PATH": "/usr/bin:/bin", "SYFT_CHECK_FOR_APP_UPDATE": "false"})
    except subprocess.TimeoutExpired:
        return None


def cli_findings(target: str, done: subprocess.CompletedProcess | None, policy: bool) -> list[Finding]:
    """The real CLI on one case: exit 0 or 2, never a traceback; errors located and limits named."""
    if done is None:
        return [Finding("timeout", f"{target}: regate CLI did not finish", "")]
    stderr = done.stderr
    if "Traceback (most recent call last)" in stderr:
        return [Finding("cli", traceback_signature(stderr), stderr[-2000:])]
    if done.returncode not in (0, 2):
        return [Finding("cli", f"{target}: CLI exit {done.returncode}", stderr[-2000:])]
    findings = []
    if done.returncode == 2:
        if policy and not LOCATED.search(stderr):
            findings.append(Finding("unlocated", f"{target}: CLI error without file:line:col", stderr[:500]))
        for line in stderr.splitlines():
            if not (line.startswith("regate:") or LOCATED.match(line)):
                continue  # source lines and carets: the user's text
            limit = unnamed_limit(line, f"{target} CLI")
            if limit:
                findings.append(limit)
    return findings
