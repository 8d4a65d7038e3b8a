"""The few calls of OPA's REST API regate makes besides evaluating, on one requests session.

What opa-python-client did for regate, without importing it: it imports aiohttp for its async
client, a tenth of a second on every `regate check` with a server. A refusal is an `OpaRefused`
with OPA's code and message.
"""

from __future__ import annotations

from typing import Any

import requests

from .transport import UnexpectedAnswer


class OpaRefused(Exception):
    """OPA answered with an error document (`{"code": ..., "message": ..., "errors": [...]}`)."""

    def __init__(self, code: str, message: str, errors: list | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = message
        self.errors = errors or []


def _refusal(response: requests.Response, fallback: str) -> OpaRefused:
    body = response.json()
    body = body if isinstance(body, dict) else {}
    errors = body.get("errors")
    return OpaRefused(str(body.get("code") or fallback), str(body.get("message") or ""),
                      errors if isinstance(errors, list) else None)


class OpaRest:
    def __init__(self, session: requests.Session, root: str, timeout: float):
        self.session = session
        self.root = root  # http(s)://HOST:PORT, without /v1
        self.timeout = timeout

    def get_data(self, path: str) -> Any:
        """`data.<path>` (path with `/`), None when it is undefined."""
        response = self.session.get(f"{self.root}/v1/data/{path}", timeout=self.timeout)
        if response.status_code != 200:
            raise _refusal(response, f"HTTP {response.status_code}")
        return response.json().get("result")

    def query(self, query: str) -> dict:
        response = self.session.post(f"{self.root}/v1/query", json={"query": query}, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def policy_ids(self) -> list[str]:
        response = self.session.get(f"{self.root}/v1/policies", timeout=self.timeout)
        response.raise_for_status()
        policies = response.json().get("result", [])
        if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
            raise UnexpectedAnswer("a document of an unexpected shape")
        return [p["id"] for p in policies if isinstance(p.get("id"), str) and p["id"]]

    def put_policy(self, policy_id: str, source: str) -> None:
        response = self.session.put(f"{self.root}/v1/policies/{policy_id}", data=source.encode("utf-8"),
                                    headers={"Content-Type": "text/plain"}, timeout=self.timeout)
        if response.status_code != 200:
            raise _refusal(response, f"HTTP {response.status_code}")

    def put_data(self, path: str, value: Any) -> None:
        response = self.session.put(f"{self.root}/v1/data/{path}", json=value, timeout=self.timeout)
        if response.status_code != 204:
            raise _refusal(response, f"HTTP {response.status_code}")

    def delete_policy(self, policy_id: str) -> None:
        response = self.session.delete(f"{self.root}/v1/policies/{policy_id}", timeout=self.timeout)
        if response.status_code != 200:
            raise _refusal(response, f"HTTP {response.status_code}")
