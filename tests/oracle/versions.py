"""Version order for the oracle, from the implementations tests/rego/test_version_oracle.py checks
regate.lib.version against: `dpkg --compare-versions` for Debian, `packaging` for PEP 440. Other
ecosystems get plain dotted numbers only (the generator's `COMMON_VERSIONS`), on which every
scheme agrees with numeric order."""

from __future__ import annotations

import re
import subprocess
from functools import cache

from packaging.version import Version

_DOTTED = re.compile(r"^\d+(\.\d+)*$")


@cache
def _dpkg(a: str, b: str) -> int:
    for result, op in ((-1, "lt"), (0, "eq")):
        if subprocess.run(["dpkg", "--compare-versions", a, op, b], check=False).returncode == 0:
            return result
    return 1


def _cmp(x, y) -> int:
    return (x > y) - (x < y)


def compare_versions(ecosystem: str, a: str, b: str) -> int:
    if a == b:
        return 0
    if ecosystem in ("deb", "debian"):
        return _dpkg(a, b)
    if ecosystem in ("python", "pep440"):
        return _cmp(Version(a), Version(b))
    if not (_DOTTED.match(a) and _DOTTED.match(b)) or a.count(".") != b.count("."):
        raise ValueError(f"the oracle cannot order {a!r} and {b!r} for {ecosystem!r}")
    return _cmp(tuple(map(int, a.split("."))), tuple(map(int, b.split("."))))
