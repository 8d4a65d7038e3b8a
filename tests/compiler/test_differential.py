"""Differential test of the compiler: random policies × random documents, real OPA against the
oracle (tests/oracle). A fixed slice of seeds runs here; `fuzz/differential.py --seconds N --seed S`
runs the same rounds for longer. A disagreement prints the seed, the policy and the document:
make it a named case under cases/ with the fix."""

from __future__ import annotations

from oracle.differential import run

SEED = 20_260_601
ROUNDS = 60
DOCUMENTS = 60


def test_generated_rego_agrees_with_the_oracle(opa):
    tally = run(opa, SEED, rounds=ROUNDS, documents=DOCUMENTS)
    assert not tally.disagreements, (f"{len(tally.disagreements)} disagreement(s) in {tally.pairs} pairs; first:\n"
                                     + tally.disagreements[0].describe())
    # The generator must keep producing policies the compiler accepts, or the test checks little.
    assert tally.rejected <= ROUNDS // 10, "\n".join(tally.rejections)
    assert tally.pairs >= (ROUNDS - ROUNDS // 10) * DOCUMENTS
