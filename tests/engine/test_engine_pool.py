"""Batch evaluation on a pool of real OPA servers (`--workers N`, `--opa-url` repeated):
decisions identical to `opa eval`'s in input order, a server that stops answering
mid-run replaced by the others, fail closed when none is left, one revision per fleet."""

from __future__ import annotations

import gc
import json

import pytest

from engine.gatehelpers import EXAMPLES, NOW, decisions, opa_server, regate, report, write_policy
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.bundle import write_bundle
from regate.compile import compile_policies
from regate.engine import open_engine
from regate.engine.pool import ServerPool
from regate.errors import EngineError

PRODUCTION = EXAMPLES / "production"
INPUTS = [PRODUCTION / "inputs" / name for name in ("vulnerable.json", "clean.json")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[dict]:
    """Twelve documents that differ: the two examples' inputs, each under six image names."""
    documents = []
    for index in range(12):
        document = json.loads(INPUTS[index % 2].read_text())
        document["image"]["reference"] = f"registry.example.com/app{index}:1"
        document["now"] = NOW
        documents.append(document)
    return documents


@pytest.fixture(scope="module")
def expected(bundle, corpus) -> list[dict]:
    with open_engine("cli", bundle) as cli:
        return [cli.evaluate(document) for document in corpus]


def _prepare(document: dict) -> tuple[dict, None]:
    return document, None


def test_a_pool_returns_the_cli_decisions_in_input_order(bundle, corpus, expected, opa):
    with open_engine("server", bundle, workers=3) as pool:
        assert isinstance(pool, ServerPool) and len(pool.members) == 3
        done = list(pool.evaluate_all(corpus, _prepare))
    assert [d.subject for d in done] == corpus
    assert [d.decision for d in done] == expected


def test_a_pool_prepares_documents_with_the_cyclic_collector_paused_and_resumes_it(bundle, corpus, expected, opa):
    """A document is a tree: no young collection walks it while it is read (collector.paused);
    collection is back on afterwards, also after a document that could not be prepared."""
    enabled_while_preparing = []

    def prepare(document: dict) -> tuple[dict, None]:
        enabled_while_preparing.append(gc.isenabled())
        if document is corpus[5]:
            raise EngineError("this document cannot be read")
        return document, None

    assert gc.isenabled()
    with open_engine("server", bundle, workers=2) as pool:
        assert [d.decision for d in pool.evaluate_all(corpus[:5], prepare)] == expected[:5]
        assert gc.isenabled()
        with pytest.raises(EngineError, match="cannot be read"):
            list(pool.evaluate_all(corpus, prepare))
    assert enabled_while_preparing[:5] == [False] * 5
    assert gc.isenabled()


def test_a_server_that_stops_mid_run_is_replaced_by_the_others(bundle, corpus, expected, opa):
    with ServerPool.managed(bundle, opa, workers=2) as pool:
        stopped = pool.members[0].engine

        def prepare(document: dict) -> tuple[dict, None]:
            if document is corpus[3]:
                stopped.process.stop()  # from the fourth document on, one server refuses connections
            return document, None

        done = list(pool.evaluate_all(corpus, prepare))
        assert [d.decision for d in done] == expected
        assert pool.members[0].down is not None and "cannot reach" in pool.members[0].down
        assert pool.members[1].down is None


def test_when_no_server_answers_the_documents_not_evaluated_are_named(bundle, corpus, opa):
    with ServerPool.managed(bundle, opa, workers=2) as pool:
        for member in pool.members:
            member.engine.process.stop()
        with pytest.raises(EngineError) as failure:
            list(pool.evaluate_all(corpus, _prepare))
    message = str(failure.value)
    assert message.startswith("no OPA server answered, so 12 documents were not evaluated")
    assert "and 2 more" in message  # ten named, the rest counted
    assert all(member.engine.url in message for member in pool.members)


def test_check_on_a_directory_and_a_json_lines_file_with_workers(tmp_path, corpus, opa):
    directory = tmp_path / "inputs"
    directory.mkdir()
    for index, document in enumerate(corpus):
        (directory / f"{index:02}.json").write_text(json.dumps(document))
    lines = tmp_path / "inputs.jsonl"
    lines.write_text("\n".join(json.dumps(d) for d in corpus[:6]) + "\n\n" + "\n".join(json.dumps(d) for d in corpus[6:]))
    cli = regate("check", "--format", "json", "--policy", PRODUCTION, directory, lines)
    pooled = regate("check", "--format", "json", "--policy", PRODUCTION, "--workers", "2", directory, lines)
    assert cli.returncode == pooled.returncode == 1, pooled.stderr
    assert decisions(pooled) == decisions(cli)
    subjects = [r["subject"] for r in report(pooled)["results"]]
    assert subjects[:12] == [str(directory / f"{i:02}.json") for i in range(12)]
    # The blank line is skipped, and the label says the line a document came from.
    assert subjects[12:] == [f"{lines}:{n}" for n in (*range(1, 7), *range(8, 14))]
    assert report(pooled)["engine"]["managed"] is True


def test_a_json_lines_document_that_is_not_valid_names_its_line(tmp_path, corpus, opa):
    lines = tmp_path / "inputs.jsonl"
    lines.write_text(json.dumps(corpus[0]) + "\n" + '{"schema_version": 1, "image": 7}\n')
    done = regate("check", "--policy", PRODUCTION, "--workers", "2", lines)
    assert done.returncode == 2
    assert f"{lines}:2" in done.stderr


def test_a_fleet_serves_every_document_and_must_serve_the_compiled_revision(tmp_path, bundle, corpus, opa):
    directory = tmp_path / "inputs"
    directory.mkdir()
    for index, document in enumerate(corpus[:4]):
        (directory / f"{index}.json").write_text(json.dumps(document))
    other = tmp_path / "other.tar.gz"
    write_bundle(compile_policies([write_policy(tmp_path / "other", 'policy "p" {\n  rule r warn {\n'
                                                "    for p in packages where p.name == \"x\"\n"
                                                '    message "x"\n  }\n}\n')]), other)
    with opa_server(opa, "--bundle", str(bundle)) as first, opa_server(opa, "--bundle", str(bundle)) as second:
        fleet = regate("check", "--format", "json", "--policy", PRODUCTION, "--opa-url", first, "--opa-url", second,
                       directory)
        assert fleet.returncode == 1, fleet.stderr
        assert [d["final_action"] for d in decisions(fleet)] == ["STOP", "GO", "STOP", "GO"]
        assert report(fleet)["engine"]["target"] == f"{first}, {second}"
        with opa_server(opa, "--bundle", str(other)) as stray:
            mixed = regate("check", "--policy", PRODUCTION, "--opa-url", first, "--opa-url", stray, directory)
            assert mixed.returncode == 2
            assert f"the OPA server at {stray} serves revision" in mixed.stderr
            # Without --policy, the first server's policy is used and every other server must serve it too.
            unnamed = regate("check", "--opa-url", first, "--opa-url", stray, directory)
            assert unnamed.returncode == 2
            assert "a fleet must serve one policy" in unnamed.stderr


def test_workers_and_the_cli_engine_exclude_each_other(opa):
    done = regate("check", "--policy", PRODUCTION, "--engine", "cli", "--workers", "2", *INPUTS)
    assert done.returncode == 2
    assert "cannot be combined with --engine cli" in done.stderr
