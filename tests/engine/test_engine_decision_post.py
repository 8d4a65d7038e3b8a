"""The decision POST, prepared once per engine (`ServerEngine._post`), sends what the
session would prepare for each request: the token, the JSON content type, each
document's own body and length; a cookie the server (or a proxy) sets comes back
on the next request, and a redirect is followed. Against a local HTTP server that
records what it is sent (the decisions themselves are tested on real OPA elsewhere)."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from regate.engine.server import ServerEngine, ServerOptions, _client

DECISION = {"version": 1, "final_action": "GO", "final_reason": "policy_evaluation", "image": {}, "image_rule": None,
            "mapping": None, "policies": [], "findings": [], "errors": []}


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict] = []
    set_cookie = False
    redirect = False

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.redirect and self.path == "/v1/data/regate/decision/main":
            self._answer(307, b"", Location="/moved/v1/data/regate/decision/main")
            return
        extra = {"Set-Cookie": "route=server-2; Path=/"} if self.set_cookie else {}
        self._answer(200, json.dumps({"result": DECISION}).encode(), **extra)

    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    Recorder.seen, Recorder.set_cookie, Recorder.redirect = [], False, False
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def engine_for(url: str) -> ServerEngine:
    return ServerEngine(_client(ServerOptions(url, token="s3cret-token")), url, "test", 10.0)


def test_each_decision_post_carries_its_own_body_the_token_and_the_content_type(server):
    with engine_for(server) as engine:
        documents = [{"schema_version": 1, "n": n, "pad": "x" * n} for n in (1, 500, 2)]
        for document in documents:
            assert engine.evaluate(document)["final_action"] == "GO"
    assert len(Recorder.seen) == 3
    for document, request in zip(documents, Recorder.seen):
        assert request["path"] == "/v1/data/regate/decision/main"
        assert json.loads(request["body"]) == {"input": document}
        assert int(request["headers"]["Content-Length"]) == len(request["body"])
        assert request["headers"]["Content-Type"] == "application/json"
        assert request["headers"]["Authorization"] == "Bearer s3cret-token"
        assert request["headers"]["Accept-Encoding"] == "identity"


def test_a_cookie_the_server_sets_comes_back_on_the_next_decision(server):
    Recorder.set_cookie = True
    with engine_for(server) as engine:
        engine.evaluate({"schema_version": 1})
        engine.evaluate({"schema_version": 1})
    assert "Cookie" not in Recorder.seen[0]["headers"]
    assert Recorder.seen[1]["headers"]["Cookie"] == "route=server-2"


def test_a_redirected_decision_is_followed_with_its_body(server):
    Recorder.redirect = True
    with engine_for(server) as engine:
        assert engine.evaluate({"schema_version": 1, "n": 7})["final_action"] == "GO"
    assert [r["path"] for r in Recorder.seen] == ["/v1/data/regate/decision/main", "/moved/v1/data/regate/decision/main"]
    assert json.loads(Recorder.seen[1]["body"]) == {"input": {"schema_version": 1, "n": 7}}
