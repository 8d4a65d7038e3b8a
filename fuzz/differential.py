"""Long differential run of the compiler against the oracle (tests/oracle).

    python fuzz/differential.py --seconds 600 --seed 1

Runs rounds seed, seed+1, ... (one random policy set, compiled, × --documents random documents in one
`opa eval`) until the time is up, prints a summary and every disagreement (seed, policy, document),
and exits 1 if there was one. A round reproduces from its seed alone: `--seed S --rounds 1`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from oracle.differential import run  # noqa: E402
from regate.opa import find_opa  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--rounds", type=int, default=None, help="stop after this many rounds")
    parser.add_argument("--documents", type=int, default=40, help="documents per round")
    options = parser.parse_args()
    started = time.monotonic()
    tally = run(find_opa(), options.seed, rounds=options.rounds, seconds=options.seconds,
                documents=options.documents)
    elapsed = time.monotonic() - started
    print(f"seeds {options.seed}..{options.seed + tally.rounds - 1}: {tally.rounds} policy sets "
          f"({tally.rejected} rejected by the compiler), {tally.pairs} policy set × document pairs, "
          f"{tally.rule_checks} rule × document checks, {len(tally.disagreements)} disagreement(s), {elapsed:.0f} s")
    for rejection in tally.rejections:
        print(f"rejected: {rejection}")
    for disagreement in tally.disagreements:
        print("\n" + disagreement.describe())
    return 1 if tally.disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
