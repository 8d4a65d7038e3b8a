"""The fuzz targets: how each generates case i and which oracle judges it.

Case i of a target comes from `case_rng(seed, target, i)` alone, so a finding
is reproduced from (seed, target, i) without replaying the run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import corpus, image_mutator, json_mutator, policy_mutator
from .oracles import Outcome, check_image, check_json, check_policy


@dataclass(frozen=True)
class Case:
    data: bytes
    origin: str  # seed and mutations, for the saved reproducer


@dataclass(frozen=True)
class Target:
    name: str
    generate: Callable[[random.Random], Case]
    check: Callable[[bytes, Path], Outcome]  # runs in the sandbox
    suffix: str
    cli_args: Callable[[str], list[str]]  # the regate command for a case file
    # Seconds per case: far above a normal case (< 1 s) even on a loaded CI machine.
    timeout: float = 20.0
    minimizable: bool = True


# The registry of mutation targets: one `register` call each. (The compiler's
# differential test has its own loop, fuzz/differential.py; `make fuzz` runs both.)
TARGETS: dict[str, Target] = {}


def register(target: Target) -> None:
    TARGETS[target.name] = target


def _policy_case(rng: random.Random) -> Case:
    seeds = corpus.policy_seeds()
    seed = rng.choice(seeds)
    text, applied = policy_mutator.mutate(rng, seed.value, [s.value for s in seeds])
    return Case(text.encode("utf-8", "surrogatepass"), f"{seed.name}: {', '.join(applied)}")


def _json_case(rng: random.Random) -> Case:
    seed = rng.choice(corpus.json_seeds())
    doc, applied = json_mutator.mutate(rng, seed.value)
    text = json_mutator.dumps(doc)
    if rng.random() < 0.1:
        text, how = json_mutator.text_mutation(rng, text)
        applied.append(how)
    return Case(text.encode("utf-8", "surrogatepass"), f"{seed.name}: {', '.join(applied)}")


def _image_case(rng: random.Random) -> Case:
    seed = rng.choice(corpus.image_seeds())
    data, applied = image_mutator.mutate(rng, seed.value)
    return Case(data, f"{seed.name}: {', '.join(applied)}")


register(Target("policy", _policy_case, check_policy, ".regate", lambda f: ["compile", f, "-o", "out.tar.gz"]))
register(Target("json", _json_case, check_json, ".json", lambda f: ["extract", f, "-o", "out.json"]))
register(Target("image", _image_case, check_image, ".tar", lambda f: ["extract", "--no-syft", f, "-o", "out.json"],
                timeout=60.0, minimizable=False))


def case_rng(seed: int, target: str, index: int) -> random.Random:
    return random.Random(f"{seed}:{target}:{index}")
