"""HTTP to OPA with a deadline per request and answers that must be JSON objects.

requests' `timeout` bounds each socket operation, not a request: a server that
sends one byte every few seconds keeps a request alive for as long as it likes
(issue #8: `--timeout 3` ran 110 s and passed). `DeadlineAdapter` gives every
request, its retries and the reading of its whole body included, one deadline,
and reads the body itself so no read outlasts it.

Every answer of the OPA REST API regate uses is a JSON object (`{"result": …}`,
`{"code": …, "message": …}`, `{}`), empty, or a redirect, so anything else is
refused here, before regate reads it.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager

import requests
import urllib3
from requests.adapters import HTTPAdapter

from .loopback import MAX_ANSWER_BYTES
from .shapes import kind_of

_CHUNK = 64 * 1024
# Proxies in front of OPA answer these while OPA restarts; OPA's own errors are not retried.
_RETRY_STATUSES = (502, 503, 504)
_BACKOFF = 0.3


class UnexpectedAnswer(requests.exceptions.RequestException):
    """An answer that is not what the OPA REST API sends; the message says what came."""


class DeadlineAdapter(HTTPAdapter):
    """Each request ends within `limit` seconds, or raises requests' Timeout;
    inside `shared_deadline()` all requests together do (a redirect is a second
    request, and so are the client's own second attempts).

    Failed connections and gateway errors are retried `retries` times while the
    deadline allows: every request regate sends is a query or an idempotent
    upload, so a retry never does anything twice.
    """

    def __init__(self, limit: float, retries: int, connections: int = 10):
        super().__init__(max_retries=0, pool_maxsize=connections)
        self.limit = limit
        self.retries = retries
        # Per thread: a server pool sends several requests through one adapter at once.
        self._local = threading.local()

    @contextmanager
    def shared_deadline(self):
        self._local.deadline = time.monotonic() + self.limit
        try:
            yield
        finally:
            self._local.deadline = None

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        # The body is read below within the deadline, byte for byte as sent: a
        # compressed body would be inflated in reads the deadline cannot bound.
        request.headers["Accept-Encoding"] = "identity"
        deadline = getattr(self._local, "deadline", None) or time.monotonic() + self.limit
        attempt = 0
        while True:
            try:
                response = super().send(request, stream=True, timeout=_left(deadline), verify=verify, cert=cert,
                                        proxies=proxies)
            except requests.exceptions.ConnectionError as exc:
                if isinstance(exc, requests.exceptions.Timeout) or attempt == self.retries:
                    raise
            else:
                if response.status_code not in _RETRY_STATUSES or attempt == self.retries:
                    return _preloaded(response, deadline)
                response.close()
            _pause(attempt, deadline)
            attempt += 1


def _preloaded(response: requests.Response, deadline: float) -> requests.Response:
    """`response` with its whole body read (as requests' own preloading leaves it), checked."""
    try:
        body = _read_body(response, deadline)
    except BaseException:
        response.close()  # a connection with unread bytes cannot serve another request
        raise
    response._content, response._content_consumed = body, True
    response.close()  # the body is consumed: this returns the connection to the pool
    _check_answer(response)
    return response


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise requests.exceptions.ReadTimeout("the request's deadline passed")
    return left


def _pause(attempt: int, deadline: float) -> None:
    time.sleep(min(_BACKOFF * 2**attempt, _left(deadline)))
    _left(deadline)


def _read_body(response: requests.Response, deadline: float) -> bytes:
    """The whole body, each read limited to the time left."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding != "identity":
        raise UnexpectedAnswer(f"a body with Content-Encoding {encoding!r}, although regate asked for none")
    raw, chunks, size = response.raw, [], 0
    try:
        while True:
            left = _left(deadline)
            connection = raw.connection
            if connection is not None and connection.sock is not None:
                connection.sock.settimeout(left)
            chunk = raw.read1(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise UnexpectedAnswer(f"a body of more than {MAX_ANSWER_BYTES:,} bytes")
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError:
        raise requests.exceptions.ReadTimeout("the request's deadline passed") from None
    except urllib3.exceptions.HTTPError as exc:
        raise requests.exceptions.ConnectionError(f"the answer broke off: {exc}") from None


def _check_answer(response: requests.Response) -> None:
    body = response.content.lstrip()
    if response.is_redirect or not body or body.startswith(b"{"):
        # Invalid JSON after `{` fails where the client parses it, as "not JSON".
        return
    if not response.ok:
        # An error page (a proxy's HTML, a bare string): report the status and the text.
        raise requests.exceptions.HTTPError(f"HTTP {response.status_code}", response=response)
    try:
        came = kind_of(json.loads(body))
    except ValueError:
        came = "something that is not JSON"
    raise UnexpectedAnswer(f"{came} where a JSON object was expected")
