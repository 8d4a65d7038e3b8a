"""An input document is serialised once (`engine.shapes.serialise`): every engine evaluates
exactly those bytes, and `check --format json` embeds them as the result's `input`, compact and
as they are. What OPA was given is recorded in front of the real OPA (recording.py)."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES, NOW, opa_server, regate
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from engine.recording import TcpProxy, recorded, recording_opa
from regate.engine import open_engine
from regate.engine.server import ServerEngine, ServerOptions
from regate.engine.shapes import Serialised, serialise

PRODUCTION = EXAMPLES / "production"
VULNERABLE = PRODUCTION / "inputs" / "vulnerable.json"
CLEAN = PRODUCTION / "inputs" / "clean.json"
SECRET = "AKIAQWERTYUIOPASDFGH"
# Where a result's `input` starts in the report: indented as a member of a result.
_INPUT = re.compile(r'^      "input": ', re.M)


def _embedded_inputs(report: bytes) -> list[bytes]:
    """Each result's `input` as the bytes the report writes it with."""
    text, decoder = report.decode(), json.JSONDecoder()
    return [text[m.end():decoder.raw_decode(text, m.end())[1]].encode() for m in _INPUT.finditer(text)]


@pytest.fixture()
def with_a_secret(tmp_path) -> Path:
    document = json.loads(VULNERABLE.read_text())
    document["image"]["env"]["AWS_ACCESS_KEY_ID"] = {"name": "AWS_ACCESS_KEY_ID", "value": SECRET}
    path = tmp_path / "secret.json"
    path.write_text(json.dumps(document, indent=1))
    return path


@pytest.mark.parametrize("engine", ["cli", "server"])
def test_the_json_report_embeds_the_very_bytes_opa_evaluated(engine, opa, tmp_path, with_a_secret):
    env = recording_opa(opa.path, tmp_path / "received")
    output = tmp_path / "report.json"
    done = regate("check", "--policy", PRODUCTION, "--engine", engine, "--format", "json", "-o", output,
                  "--now", NOW, VULNERABLE, CLEAN, with_a_secret, env=env)
    assert done.returncode == 1, done.stderr
    text = output.read_bytes()
    embedded = _embedded_inputs(text)
    # The CLI engine runs one `opa eval` per document, in order; the managed server (a pool of one,
    # two requests in flight) receives the webhook's body, the document itself, in any order.
    received = recorded(tmp_path / "received")
    assert (received if engine == "cli" else sorted(received)) == (embedded if engine == "cli" else sorted(embedded))
    assert len(embedded) == 3 and all(b"\n" not in input_ for input_ in embedded)  # compact
    report = json.loads(text)
    assert [json.loads(input_) for input_ in embedded] == [result["input"] for result in report["results"]]
    assert [result["input"]["now"] for result in report["results"]] == [NOW] * 3
    assert text.startswith(b'{\n  "report_version": 1,\n')  # the rest stays indented
    # OPA was given the document concealed, as the report shows it.
    assert all(SECRET.encode() not in body for body in received) and SECRET.encode() not in text
    assert report["results"][2]["input"]["image"]["env"]["AWS_ACCESS_KEY_ID"]["value"] != SECRET


def test_both_engines_decide_the_same_on_the_same_bytes(bundle, tmp_path):
    document = dict(json.loads(VULNERABLE.read_text()), now=NOW)
    sent = serialise(document)
    with open_engine("cli", bundle) as cli, open_engine("server", bundle) as server:
        decisions = [cli.evaluate(sent), server.evaluate(sent), cli.evaluate(document), server.evaluate(document)]
    assert decisions[0]["final_action"] == "STOP"
    assert all(decision == decisions[0] for decision in decisions[1:])


@pytest.fixture()
def proxied_server(bundle, opa, tmp_path):
    """A server the user runs, with the bundle, behind a proxy that records what it is posted."""
    with opa_server(opa, "--bundle", str(bundle)) as url:
        proxy = TcpProxy(url, tmp_path / "received")
        (tmp_path / "received").mkdir()
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            with ServerEngine.connect(ServerOptions(proxy.url)) as engine:
                yield engine, tmp_path / "received"
        finally:
            proxy.shutdown()
            proxy.server_close()


def test_a_server_the_user_runs_is_posted_the_bytes_as_its_input(proxied_server, bundle):
    engine, received = proxied_server
    document = dict(json.loads(VULNERABLE.read_text()), now=NOW)
    sent = serialise(document)
    decision = engine.evaluate(sent)
    bodies = [body for body in recorded(received) if b'"input"' in body[:10]]
    assert bodies == [b'{"input":' + sent.json + b"}"]
    with open_engine("cli", bundle) as cli:
        assert decision == cli.evaluate(sent)


def test_an_integer_past_64_bits_is_serialised_by_the_json_module_and_evaluated_as_sent(proxied_server, bundle):
    # orjson cannot write it; the schema does not forbid it everywhere (an image's extra members).
    document = dict(json.loads(VULNERABLE.read_text()), now=NOW)
    document["image"]["size"] = 2**70
    sent = serialise(document)
    assert isinstance(sent, Serialised) and b'"size":1180591620717411303424' in sent.json
    assert b", " not in sent.json[:200] and json.loads(sent.json) == document  # compact, and the same document
    engine, received = proxied_server
    decision = engine.evaluate(sent)
    assert [body for body in recorded(received) if b'"input"' in body[:10]] == [b'{"input":' + sent.json + b"}"]
    with open_engine("cli", bundle) as cli, open_engine("server", bundle) as managed:
        assert cli.evaluate(sent) == managed.evaluate(sent) == decision
        assert decision["final_action"] == "STOP"
