"""Recording what OPA receives: an HTTP proxy in front of a real OPA server that keeps every
request body, and an `opa` for REGATE_OPA (`recording_opa`) that keeps the input of each
`opa eval` and puts such a proxy in front of each `opa run --server` on a Unix socket. OPA
itself does all the evaluating; the recordings are the bytes it was given.

Run as a script, this file is that `opa`: `RECORDED_OPA` names the real binary and
`RECORDED_INTO` the directory of recordings, one file per input, named in the order they came.
"""

from __future__ import annotations

import http.client
import os
import socket
import socketserver
import stat
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Callable

_FORWARDED = ("content-type", "authorization")


def _record(directory: Path, data: bytes) -> None:
    name = f"{time.monotonic_ns():020d}-{os.getpid()}-{threading.get_ident()}"
    (directory / name).write_bytes(data)


def recorded(directory: Path) -> list[bytes]:
    """The recordings in `directory`, in the order they were made."""
    return [path.read_bytes() for path in sorted(directory.iterdir())]


class _Forwarding(BaseHTTPRequestHandler):
    """Each request passed on to the upstream server as it came, its body recorded first."""

    protocol_version = "HTTP/1.1"  # keep-alive, as regate's clients expect
    server: _Proxy

    def do_GET(self) -> None:
        self._forward(None)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _record(self.server.directory, body)
        self._forward(body)

    def _forward(self, body: bytes | None) -> None:
        connection = self.server.upstream()
        try:
            headers = {name: value for name, value in self.headers.items() if name.lower() in _FORWARDED}
            connection.request(self.command, self.path, body, headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


class _Proxy(socketserver.ThreadingMixIn):
    daemon_threads = True
    directory: Path
    upstream: Callable[[], http.client.HTTPConnection]


class TcpProxy(_Proxy, socketserver.TCPServer):
    """A proxy on a free loopback port, in front of the server at http://HOST:PORT `upstream`."""

    def __init__(self, upstream: str, directory: Path):
        super().__init__(("127.0.0.1", 0), _Forwarding)
        host, port = upstream.removeprefix("http://").rsplit(":", 1)
        self.upstream = lambda: http.client.HTTPConnection(host, int(port), timeout=60)
        self.directory = directory
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


class UnixProxy(_Proxy, socketserver.UnixStreamServer):
    def __init__(self, path: str, upstream: str, directory: Path):
        super().__init__(path, _Forwarding)
        self.upstream = lambda: _UnixConnection(upstream)
        self.directory = directory


def recording_opa(real: str, directory: Path) -> dict:
    """An environment whose `opa` records into `directory` what each evaluation is given (see the module)."""
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = directory.parent / "recording-opa"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve()} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return dict(os.environ, REGATE_OPA=str(wrapper), RECORDED_OPA=real, RECORDED_INTO=str(directory))


def _main(args: list[str]) -> None:
    real, directory = os.environ["RECORDED_OPA"], Path(os.environ["RECORDED_INTO"])
    if args[:1] == ["eval"]:
        _record(directory, sys.stdin.buffer.read())
        os.lseek(0, 0, os.SEEK_SET)  # regate gives OPA a file: OPA reads it again from the start
    if args[:2] != ["run", "--server"]:
        os.execv(real, [real, *args])
    # The server on a socket of its own beside the one regate named, which the proxy takes.
    at = args.index("--addr") + 1
    socket_path = args[at].removeprefix("unix://")
    upstream = socket_path + ".opa"
    server = subprocess.Popen([real, *args[:at], "unix://" + upstream, *args[at + 1:]])
    proxy = UnixProxy(socket_path, upstream, directory)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    sys.exit(server.wait())  # regate stops the server with its whole process group, this one too


if __name__ == "__main__":
    _main(sys.argv[1:])
