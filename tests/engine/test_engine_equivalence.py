"""`opa eval` and an OPA server give the same decision document for the same
bundle and input: over every example policy, its inputs and the real-world
scanner outputs of tests/fixtures/realworld, with `now` fixed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.gatehelpers import NOW, ROOT, example_policies, opa_server
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.bundle import write_bundle
from regate.compile import compile_policies
from regate.engine import open_engine
from regate.engine.server import ServerEngine, ServerOptions
from regate.errors import InputError
from regate.extract.base import ExtractOptions
from regate.extract.document import build_document
from regate.extract.jsonload import load_json
from regate.extract.registry import extract_path

REALWORLD = ROOT / "tests" / "fixtures" / "realworld"
OPTIONS = ExtractOptions(run_syft=False)


def _extracted(*paths: Path) -> dict:
    return build_document([extract_path(p, OPTIONS) for p in paths])


def _documents() -> dict[str, dict]:
    """Input documents: the examples' (prepared ones as they are, analysis files
    each extracted alone) and every real-world scanner output regate reads."""
    found = {}
    for path in sorted(ROOT.glob("examples/*/inputs/*.json")):
        doc = load_json(path)
        found[str(path.relative_to(ROOT))] = doc if "schema_version" in doc else _extracted(path)
    for path in sorted(REALWORLD.glob("*/*.json")):
        try:
            found[str(path.relative_to(ROOT))] = _extracted(path)
        except InputError:
            continue  # JSON regate refuses with a reason (a manifest list, a policy bundle)
    for doc in found.values():
        doc["now"] = NOW
    return found


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    return _documents()


@pytest.fixture(scope="module")
def decide(documents, tmp_path_factory, opa):
    """(decisions by `opa eval`, decisions by a managed server) per example policy, computed once;
    the same decisions are also asked of a server the user runs on the same bundle (the v1 data
    API, through requests), which must give the same."""
    done: dict[Path, tuple[dict, dict]] = {}

    def both(policy: Path) -> tuple[dict, dict]:
        if policy not in done:
            bundle = tmp_path_factory.mktemp(policy.name) / "bundle.tar.gz"
            write_bundle(compile_policies([policy], date(2026, 6, 1)), bundle)
            with open_engine("cli", bundle) as cli:
                by_cli = {name: cli.evaluate(doc) for name, doc in documents.items()}
            with open_engine("server", bundle) as server, opa_server(opa, "--bundle", str(bundle)) as url, \
                    ServerEngine.connect(ServerOptions(url)) as user:
                by_server = {name: server.evaluate(doc) for name, doc in documents.items()}
                assert {name: user.evaluate(doc) for name, doc in documents.items()} == by_server
            done[policy] = by_cli, by_server
        return done[policy]

    return both


@pytest.mark.parametrize("policy", example_policies(), ids=lambda p: p.name)
def test_cli_and_server_engines_decide_identically(policy, decide):
    by_cli, by_server = decide(policy)
    assert by_cli.keys() == by_server.keys()
    for name in by_cli:
        assert by_cli[name] == by_server[name], name


def test_the_inputs_are_not_trivial(documents):
    # The comparison above means something only if the inputs reach the rules.
    assert len(documents) >= 15
    assert sum(len(d["vulnerabilities"]) for d in documents.values()) > 1000
    assert sum(len(d["packages"]) for d in documents.values()) > 300


def test_the_examples_reach_every_action(decide):
    seen = set()
    for policy in example_policies():
        for decision in decide(policy)[1].values():
            seen |= {decision["final_action"]} | {f["effective_action"] for f in decision["findings"]}
    assert seen == {"STOP", "WARN", "GO"}
