"""The HTTP transport to OPA servers against a local HTTP server that misbehaves
on purpose: the deadline covers slow bodies, retries and redirects; answers
that are not JSON objects are refused before any client reads them. The same
for the managed server's loopback client, which also keeps its connection
alive and opens it again when the server closed it between two requests."""

from __future__ import annotations

import gzip
import http.server
import select
import socketserver
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests

from regate.engine.loopback import BadAnswer, Loopback
from regate.engine.transport import DeadlineAdapter, UnexpectedAnswer

OBJECT = b'{"result": {"final_action": "GO"}}'


class Handler(http.server.BaseHTTPRequestHandler):
    calls: dict[str, int] = {}

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        self.calls[mode] = self.calls.get(mode, 0) + 1
        if mode == "object":
            self._send(200, OBJECT)
        elif mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Length", str(len(OBJECT)))
            self.end_headers()
            for byte in OBJECT:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        elif mode == "redirect":
            # Each hop is quick enough alone; together they outlast any deadline.
            time.sleep(0.3)
            self._send(307, b"", Location=f"/redirect/{self.calls[mode]}")
        elif mode == "unavailable":
            self._send(503 if self.calls[mode] < 3 else 200, OBJECT)
        elif mode == "gzip":
            self._send(200, gzip.compress(OBJECT), Content_Encoding="gzip")
        elif mode == "array":
            self._send(200, b"[1, 2]")
        elif mode == "proxy-error":
            self._send(502, b"<html>Bad Gateway</html>")


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _session(limit: float = 1.0, retries: int = 2) -> tuple[requests.Session, DeadlineAdapter]:
    session = requests.Session()
    adapter = DeadlineAdapter(limit, retries)
    session.mount("http://", adapter)
    return session, adapter


def test_answers_in_time_are_read_whole_request_after_request(server):
    session, _ = _session()
    assert [session.get(f"{server}/object").json() for _ in range(3)][-1] == {"result": {"final_action": "GO"}}


def test_a_trickled_body_is_stopped_at_the_deadline(server):
    # The body takes 0.2 s per byte, about 7 s; each read alone is quick.
    session, _ = _session(limit=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        session.get(f"{server}/trickle")
    assert time.monotonic() - started < 2


def test_redirects_inside_a_shared_deadline_share_it(server):
    session, adapter = _session(limit=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout), adapter.shared_deadline():
        session.get(f"{server}/redirect")
    assert time.monotonic() - started < 2


def test_gateway_errors_are_retried(server):
    session, _ = _session(limit=5.0, retries=2)
    assert session.get(f"{server}/unavailable").status_code == 200
    assert Handler.calls["unavailable"] == 3


def test_a_refused_connection_is_retried_then_reported(server):
    session, _ = _session(limit=5.0, retries=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("http://127.0.0.1:1/")


@pytest.mark.parametrize("mode, error, message", [
    ("array", UnexpectedAnswer, "an array where a JSON object was expected"),
    ("gzip", UnexpectedAnswer, "a body with Content-Encoding 'gzip', although regate asked for none"),
    ("proxy-error", requests.exceptions.HTTPError, "HTTP 502"),
])
def test_an_answer_that_is_not_a_json_object_is_refused(server, mode, error, message):
    session, _ = _session()
    with pytest.raises(error, match=message) as raised:
        session.get(f"{server}/{mode}")
    if mode == "proxy-error":
        assert "Bad Gateway" in raised.value.response.text


# ------------------------------------------------------------ the managed server's loopback client


class _UnixHTTPServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that leaves before the end of a trickled answer does so on purpose


@contextmanager
def _on_socket(handler: type, directory: Path) -> Iterator[str]:
    """`handler` serving on a Unix socket in `directory`, as a managed OPA server does; its address."""
    path = directory / "server.sock"
    httpd = _UnixHTTPServer(str(path), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"unix://{path}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    with _on_socket(Handler, tmp_path_factory.mktemp("loopback")) as address:
        yield address


def test_the_loopback_client_reads_answers_whole_request_after_request(local):
    client = Loopback(local, 1.0)
    assert [client.get("/object") for _ in range(3)] == [(200, OBJECT)] * 3


def test_the_loopback_client_stops_a_trickled_body_at_the_deadline(local):
    client = Loopback(local, 1.0)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.get("/trickle")
    assert time.monotonic() - started < 2


def test_the_loopback_client_refuses_a_compressed_answer(local):
    with pytest.raises(BadAnswer, match="a body with Content-Encoding 'gzip', although regate asked for none"):
        Loopback(local, 1.0).get("/gzip")


def test_the_loopback_client_takes_only_a_unix_socket_address():
    with pytest.raises(ValueError, match="is no unix:// address"):
        Loopback("http://127.0.0.1:8181", 1.0)


class KeepAliveOnce(http.server.BaseHTTPRequestHandler):
    """Answers with a keep-alive connection, then closes it, as a server's idle timeout does."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(OBJECT)))
        self.end_headers()
        self.wfile.write(OBJECT)
        self.close_connection = True


def test_the_loopback_client_opens_again_a_connection_the_server_closed_while_idle(tmp_path):
    with _on_socket(KeepAliveOnce, tmp_path) as address:
        client = Loopback(address, 5.0)
        assert client.get("/") == (200, OBJECT)
        kept = client._local.connection.sock
        readable = select.poll()
        readable.register(kept, select.POLLIN)
        assert readable.poll(5000), "the server did not close the connection"
        # Sent on the closed connection, the request would fail (the server is gone from it).
        assert client.get("/") == (200, OBJECT)
        assert client._local.connection.sock is not kept
        client.close()
