"""HTTP/1.1 to regate's own OPA server on its Unix socket, with the standard library's http.client.

A managed server (`managed.ManagedOpa`) needs none of what requests adds for a
server the user runs: TLS, tokens, proxies, `.netrc`, redirects, cookies,
retries. Through requests a decision cost ~1.3 ms of regate's CPU per request
(~1,800 Python calls around the socket) against ~0.45 ms here, and importing it
~35 ms before the first decision of every run (bench/fleet_bench.py).

Each thread keeps one keep-alive connection. `timeout` bounds each request as a
whole: every socket operation gets only the time left, so a server that
trickles its answer cannot outlast it (issue #8). An answer of more than
MAX_ANSWER_BYTES, or one that is compressed, is refused.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
import time

from ..opa import SCHEME

# A decision for a large image is a few megabytes; this only stops a runaway answer.
MAX_ANSWER_BYTES = 256 * 1024 * 1024
_CHUNK = 64 * 1024
# http.client asks for `Accept-Encoding: identity` by itself.
_JSON = {"Content-Type": "application/json"}

# What a failed exchange raises: no answer in time, or no connection (refused, reset, closed early).
Failure = (OSError, http.client.HTTPException)


class BadAnswer(http.client.HTTPException):
    """An answer regate refuses to read (compressed, or too large); the message says which."""


class _UnixConnection(http.client.HTTPConnection):
    """http.client's connection, to the socket at `socket_path` (its Host header says localhost)."""

    def __init__(self, socket_path: str):
        super().__init__("localhost")
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class Loopback:
    """Requests to the server at `unix:///path/to/socket`; each returns the status and the whole body,
    or raises one of `Failure` (TimeoutError once `timeout` seconds have passed)."""

    def __init__(self, url: str, timeout: float):
        if not url.startswith(SCHEME):
            raise ValueError(f"{url!r} is no {SCHEME} address")
        self.socket_path, self.timeout = url.removeprefix(SCHEME), timeout
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def get(self, path: str) -> tuple[int, bytes]:
        return self._exchange("GET", path, None, {})

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        return self._exchange("POST", path, body, _JSON)

    def _exchange(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
        deadline = time.monotonic() + self.timeout
        connection = self._connection()
        try:
            connection.timeout = _left(deadline)  # connecting, if it must
            if connection.sock is not None:
                connection.sock.settimeout(_left(deadline))
            connection.request(method, path, body, headers)
            sock = connection.sock  # the connection lets go of it when the server closes after answering
            sock.settimeout(_left(deadline))
            response = connection.getresponse()
            return response.status, _read(response, sock, deadline)
        except BaseException:
            connection.close()  # left mid-exchange, it can serve no other request
            raise

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = _UnixConnection(self.socket_path)
            with self._lock:
                self._opened.append(connection)
        elif connection.sock is not None and _readable(connection.sock):
            # Between two requests the server sends nothing: what is there is its closing the
            # connection, which would fail the request. Closed here, it is opened again.
            connection.close()
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the request's deadline passed")
    return left


def _readable(sock: socket.socket) -> bool:
    poll = select.poll()
    poll.register(sock, select.POLLIN)
    return bool(poll.poll(0))


def _read(response: http.client.HTTPResponse, sock: socket.socket, deadline: float) -> bytes:
    """The whole body, each read limited to the time left."""
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise BadAnswer(f"a body with Content-Encoding {encoding!r}, although regate asked for none")
    chunks, size = [], 0
    while True:
        sock.settimeout(_left(deadline))
        chunk = response.read1(_CHUNK)
        if not chunk:
            # Read to its Content-Length, an answer is not closed by read1: closed here, it
            # leaves the connection to the next request.
            response.close()
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise BadAnswer(f"a body of more than {MAX_ANSWER_BYTES:,} bytes")
        chunks.append(chunk)
