"""Finding and running the `opa` binary.

Lookup order: $REGATE_OPA, then PATH, then `.tools/bin/opa` of a source
checkout (where `make setup` builds it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import UserError

MINIMUM_VERSION = (1, 0, 0)
_CHECKOUT_OPA = Path(__file__).resolve().parent.parent / ".tools" / "bin" / "opa"
_HOW_TO_GET = (
    "set REGATE_OPA to an OPA 1.x binary, put `opa` on PATH, or run `make setup` "
    "(go install github.com/open-policy-agent/opa@v1.22.3)"
)


class OpaNotFound(UserError):
    pass


@dataclass(frozen=True)
class Opa:
    path: str
    version: str

    def run(self, *args: str, input_text: str | None = None, timeout: float | None = 300,
            cwd: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.path, *args], input=input_text, capture_output=True, text=True,
            timeout=timeout, cwd=cwd, check=False,
        )


def _candidates() -> list[tuple[str, str]]:
    found = []
    if env := os.environ.get("REGATE_OPA"):
        found.append(("REGATE_OPA", env))
    if on_path := shutil.which("opa"):
        found.append(("PATH", on_path))
    if _CHECKOUT_OPA.exists():
        found.append((".tools/bin", str(_CHECKOUT_OPA)))
    return found


def _version_of(path: str) -> str:
    try:
        out = subprocess.run([path, "version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        raise OpaNotFound(f"cannot run OPA at {path}: {exc.strerror}; {_HOW_TO_GET}") from None
    match = re.search(r"^Version:\s*v?(\S+)", out.stdout, re.M)
    if out.returncode != 0 or not match:
        raise OpaNotFound(f"{path} does not look like OPA (`opa version` failed); {_HOW_TO_GET}")
    return match.group(1)


def _parse(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


@cache
def find_opa() -> Opa:
    candidates = _candidates()
    if not candidates:
        raise OpaNotFound(f"OPA not found; {_HOW_TO_GET}")
    origin, path = candidates[0]
    version = _version_of(path)
    if _parse(version) < MINIMUM_VERSION:
        wanted = ".".join(map(str, MINIMUM_VERSION))
        raise OpaNotFound(f"OPA {version} at {path} (from {origin}) is too old, regate needs {wanted} or newer; {_HOW_TO_GET}")
    return Opa(path=path, version=version)
