"""Cross-checks regate.lib.version against the real implementations.

A few hundred version pairs are generated from realistic fragments (fixed
seed), compared by the Rego library in ONE `opa eval`, and compared again by
the reference implementation: `dpkg --compare-versions` for Debian and
`packaging.version.Version` for PEP 440.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support.components import require

LIB = Path(__file__).resolve().parents[2] / "rego" / "regate" / "lib" / "version"
SEED = 440_2024
PAIRS_PER_SCHEME = 300


def rego_compare(opa, pairs: list[tuple[str, str, str]]) -> list[int]:
    """Compare all (ecosystem, a, b) pairs with one `opa eval`."""
    query = "[data.regate.lib.version.compare(p[0], p[1], p[2]) | some p in input.pairs]"
    proc = opa.run(
        "eval", "--format", "json", "--data", str(LIB), "--stdin-input", query,
        input_text=json.dumps({"pairs": [list(p) for p in pairs]}),
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["result"][0]["expressions"][0]["value"]
    assert len(result) == len(pairs)
    return result


def mismatches(pairs, got, want):
    return [(a, b, g, w) for (_, a, b), g, w in zip(pairs, got, want) if g != w]


# --- Debian -------------------------------------------------------------------

def _deb_upstream(rng: random.Random, with_colon: bool, with_hyphen: bool) -> str:
    parts = [rng.choice(["0", "1", "2", "3", "9", "10", "01", "007", "2024", "1.2", "4.19"])]
    for _ in range(rng.randint(0, 4)):
        sep = rng.choice([".", ".", ".", "+", "~", "~", ""] + ["-"] * with_hyphen + [":"] * with_colon)
        frag = rng.choice(["0", "1", "2", "10", "00", "rc1", "a", "b", "Z", "dfsg", "git20230101",
                           "beta", "pre", "svn6582", "nmu1", "really", "ds"])
        parts.append(sep + frag)
    return "".join(parts)


def _deb_version(rng: random.Random) -> str:
    epoch = rng.choice(["", "", "", "", "1:", "2:", "0:", "10:"])
    revision = rng.choice(["", "", "-1", "-0", "-2", "-1ubuntu1", "-0ubuntu0.22.04.1", "-1+b1",
                           "-1~bpo11+1", "-3.1", "-1+deb12u1", "-1build2", "-4~"])
    upstream = _deb_upstream(rng, with_colon=bool(epoch), with_hyphen=bool(revision))
    return f"{epoch}{upstream}{revision}"


def _mutate(rng: random.Random, version: str, alphabet: str) -> str:
    """A near neighbour: change, insert or drop one character."""
    i = rng.randrange(len(version) + 1)
    op = rng.choice(["insert", "replace", "drop"])
    c = rng.choice(alphabet)
    if op == "insert" or i == len(version):
        return version[:i] + c + version[i:]
    if op == "replace":
        return version[:i] + c + version[i + 1:]
    return version[:i] + version[i + 1:]


def _dpkg_valid(version: str) -> bool:
    """dpkg --compare-versions exits 2 for a syntax error (warnings are fine)."""
    return subprocess.run(["dpkg", "--compare-versions", "--", version, "eq", version],
                          capture_output=True, check=False).returncode == 0


def _dpkg_compare(a: str, b: str) -> int:
    def rel(op: str) -> bool:
        rc = subprocess.run(["dpkg", "--compare-versions", "--", a, op, b],
                            capture_output=True, check=False).returncode
        assert rc in (0, 1), f"dpkg failed on {a!r} {op} {b!r}"
        return rc == 0

    if rel("lt"):
        return -1
    return 0 if rel("eq") else 1


def debian_pairs() -> list[tuple[str, str, str]]:
    rng = random.Random(SEED)
    pairs = []
    while len(pairs) < PAIRS_PER_SCHEME:
        a = _deb_version(rng)
        kind = rng.random()
        if kind < 0.4:
            b = _deb_version(rng)
        elif kind < 0.8:
            # a near neighbour, sometimes with characters dpkg only warns
            # about ('_', '@', non-ASCII) or rejects (' ', ':' after non-digits)
            b = _mutate(rng, a, "0123456789.~+-:abZ_@ \u00e9\u01c5\u20ac")
        else:
            b = a.replace(".", rng.choice(["~", "+", ".0.", "a."]), 1)
        pairs.append(("deb", a, b))
    return pairs


def test_debian_matches_dpkg(opa):
    require(shutil.which("dpkg") is not None, "dpkg")
    pairs = debian_pairs()
    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = sorted({v for _, a, b in pairs for v in (a, b)})
        valid = dict(zip(versions, pool.map(_dpkg_valid, versions)))
        accepted = [p for p in pairs if valid[p[1]] and valid[p[2]]]
        want = list(pool.map(lambda p: _dpkg_compare(p[1], p[2]), accepted))
    # regate reads "1.0-" as an empty revision, as Dpkg::Version and dpkg's
    # own lib/dpkg/t/t-version.c do, where the dpkg 1.21 CLI refuses it
    rejected = [p for p in pairs if not (valid[p[1]] and valid[p[2]])
                and not any(v.strip(" \t").endswith("-") for v in p[1:])]
    assert len(accepted) >= 250, "too few dpkg-valid pairs to be a meaningful check"
    assert {-1, 0, 1} <= set(want)
    assert rejected, "no pair dpkg rejects: the fallback goes unchecked"

    # one opa eval for everything: the dpkg-accepted pairs under deb, the
    # rejected ones under deb and under generic (regate must fall back to
    # the generic scheme exactly where dpkg reports a syntax error)
    generic = [("generic", a, b) for _, a, b in rejected]
    got = rego_compare(opa, accepted + rejected + generic)
    n, m = len(accepted), len(accepted) + len(rejected)
    got_accepted, got_rejected, got_generic = got[:n], got[n:m], got[m:]
    assert mismatches(accepted, got_accepted, want) == []
    assert mismatches(rejected, got_rejected, got_generic) == []


# --- PEP 440 ------------------------------------------------------------------

def _pep440_version(rng: random.Random) -> str:
    epoch = rng.choice(["", "", "", "", "", "1!", "0!", "2!"])
    release = rng.choice(["1", "1.0", "1.0.0", "1.0.1", "1.1", "2.0", "0.9", "1.00", "1.0.0.0", "10.2.3",
                          "2024.1", "01.2"])
    pre = rng.choice(["", "", "", "a1", "a", "b2", "rc1", "rc", "c1", ".alpha2", "-beta", "_pre1",
                      "preview", "RC3", "a01", ".b.0"])
    post = rng.choice(["", "", "", ".post1", ".post", "-1", "-3", "post2", ".r1", "rev4", "_post0",
                       ".POST5"])
    dev = rng.choice(["", "", "", ".dev0", ".dev", "dev3", "-dev1", ".DEV2", "_dev"])
    local = rng.choice(["", "", "", "", "+local", "+1", "+abc.1", "+1.abc", "+ubuntu-1", "+1.1",
                        "+0", "+AbC", "+deadbeef.2"])
    prefix = rng.choice(["", "", "", "", "v", "V", " "])
    return f"{prefix}{epoch}{release}{pre}{post}{dev}{local}"


def pep440_pairs() -> list[tuple[str, str, str]]:
    from packaging.version import InvalidVersion, Version

    rng = random.Random(SEED + 1)
    pairs = []
    while len(pairs) < PAIRS_PER_SCHEME:
        kind = rng.random()
        if kind < 0.2:  # plain releases, the common case (regate's shortcut)
            a, b = (".".join(rng.choice(["0", "1", "2", "10", "00", "01"])
                             for _ in range(rng.randint(1, 4))) for _ in range(2))
        else:
            a = _pep440_version(rng)
            b = _pep440_version(rng) if kind < 0.6 else _mutate(rng, a, "0123456789.abcrpostdev+-")
        try:
            Version(a), Version(b)
        except InvalidVersion:
            continue
        pairs.append(("python", a, b))
    return pairs


def test_pep440_matches_packaging(opa):
    try:
        from packaging.version import Version
    except ImportError:  # pragma: no cover - pytest itself depends on packaging
        pytest.skip("packaging is not installed")
    pairs = pep440_pairs()
    want = [(Version(a) > Version(b)) - (Version(a) < Version(b)) for _, a, b in pairs]
    assert {-1, 0, 1} <= set(want)
    got = rego_compare(opa, pairs)
    assert mismatches(pairs, got, want) == []
