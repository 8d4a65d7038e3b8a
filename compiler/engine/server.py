"""The OPA server engine for a server the user runs (`--opa-url`):
`POST /v1/data/regate/decision/main` on a requests session (`rest.OpaRest` for
the other calls), the API its authorization policy and any proxy in front of it
expect. regate's own managed server has an engine of its own
(`managed.ManagedEngine`), without requests.

Requests go through `transport.DeadlineAdapter`: `--timeout` bounds each
request as a whole, and an answer that is not a JSON object is refused before
the client reads it. What the answers hold is checked here, field by field.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from ..errors import EngineError, UserError
from . import DEFAULT_TIMEOUT, Engine, EngineInfo, ServerUnavailable
from .decision import validate
from .policy import PolicyInfo
from .rest import OpaRefused, OpaRest
from .shapes import Serialised, expect, input_json, opa_message, parse_answer
from .transport import DeadlineAdapter, UnexpectedAnswer

_DECISION_PATH = "/v1/data/regate/decision/main"
# Failed connections and gateway errors of a server the user runs (a proxy in front of it, a restart).
_RETRIES = 2


@dataclass(frozen=True)
class ServerOptions:
    url: str
    token: str | None = None
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False
    timeout: float = DEFAULT_TIMEOUT


def _client(options: ServerOptions) -> OpaRest:
    parts = urlsplit(options.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"--opa-url {options.url!r}: give the server's root URL, http(s)://HOST[:PORT]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UserError(f"--opa-url {options.url!r}: give the server's root URL; regate adds /v1/... itself")
    if parts.username or parts.password:
        raise UserError("--opa-url must not carry credentials; use --opa-token (or REGATE_OPA_TOKEN)")
    https = parts.scheme == "https"
    if not https and (options.ca_cert or options.client_cert or options.insecure):
        raise UserError("--opa-ca-cert, --opa-client-cert and --insecure need an https:// --opa-url")
    if options.client_key and not options.client_cert:
        raise UserError("--opa-client-key needs --opa-client-cert")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    cert = (options.client_cert, options.client_key) if options.client_key else options.client_cert
    session = requests.Session()
    if options.token:
        session.headers["Authorization"] = f"Bearer {options.token}"
    if cert:
        session.cert = cert
    transport = DeadlineAdapter(options.timeout, _RETRIES)
    session.mount("http://", transport)
    session.mount("https://", transport)
    if https and (options.ca_cert or options.insecure):
        # Pinned rather than set as `session.verify`: requests lets REQUESTS_CA_BUNDLE override a
        # session's `verify` (psf/requests#3829), and an explicit option must win.
        _pin_verify(session, False if options.insecure else options.ca_cert)
    return OpaRest(session, f"{parts.scheme}://{host}:{parts.port or (443 if https else 80)}", options.timeout)


def _pin_verify(session: requests.Session, verify: bool | str) -> None:
    merge = session.merge_environment_settings

    def merged(*args, **kwargs):
        settings = merge(*args, **kwargs)
        settings["verify"] = verify
        return settings

    session.merge_environment_settings = merged
    if verify is False:
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


class ServerEngine(Engine):
    def __init__(self, client: OpaRest, url: str, opa_version: str, timeout: float):
        self.client = client
        self.url = url
        self.opa_version = opa_version
        self.timeout = timeout

    @classmethod
    def connect(cls, options: ServerOptions) -> "ServerEngine":
        client = _client(options)
        engine = cls(client, options.url.rstrip("/"), "unknown", options.timeout)
        try:
            engine.opa_version = engine._version()
        except BaseException:
            engine.close()
            raise
        return engine

    def describe(self) -> EngineInfo:
        return EngineInfo("server", self.opa_version, self.url)

    @contextmanager
    def request(self, doing: str):
        """The requests in the block share one --timeout deadline; every way they can fail
        becomes an EngineError saying what regate was doing."""
        where = self.where
        deadline = self.client.session.get_adapter(self.url).shared_deadline()
        try:
            with deadline:
                yield
        except requests.exceptions.SSLError as exc:
            raise EngineError(f"TLS with {where} failed while {doing}: {_reason(exc)}; "
                              "check --opa-ca-cert and --opa-client-cert/--opa-client-key") from None
        except requests.exceptions.Timeout:
            raise ServerUnavailable(f"{where} did not answer within {self.timeout:g} s while {doing} (--timeout)") from None
        except requests.exceptions.ConnectionError as exc:
            raise ServerUnavailable(f"cannot reach {where} while {doing}: {_reason(exc)}") from None
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            hint = "; check --opa-token" if status in (401, 403) else ""
            failure = ServerUnavailable if status >= 500 else EngineError
            raise failure(f"{where} answered HTTP {status or '?'} while {doing}: {_opa_message(exc.response)}{hint}") from None
        except OpaRefused as exc:
            details = "; ".join(str(e.get("message", "")) for e in exc.errors if isinstance(e, dict))
            hint = "; check --opa-token" if exc.code in ("unauthorized", "forbidden") else ""
            raise EngineError(f"{where} refused {doing}: {exc.message or exc.code}{': ' + details if details else ''}"
                              f"{hint}") from None
        except UnexpectedAnswer as exc:
            raise EngineError(f"{where} answered {exc} while {doing}") from None
        except requests.exceptions.JSONDecodeError:
            raise EngineError(f"{where} answered something that is not JSON while {doing}") from None
        except requests.exceptions.RequestException as exc:
            raise EngineError(f"request to {where} failed while {doing}: {_reason(exc)}") from None
        except ValueError:
            raise EngineError(f"{where} answered something that is not JSON while {doing}") from None

    def evaluate(self, document: dict | Serialised) -> dict:
        # Posted directly rather than through the client's query_rule: the document is serialised
        # once, by orjson, and the answer parsed once; on a batch that is most of regate's work.
        # The v1 API wants it as `input`: its bytes go inside that member as they are.
        body = b"".join((b'{"input":', input_json(document), b"}"))
        with self.request("evaluating data.regate.decision.main"):
            response = self.client.session.post(self.client.root + _DECISION_PATH, headers=_JSON,
                                                data=body, timeout=self.timeout)
            answer = _answer(response)
        answer = expect(answer, dict, f"{self.where}: the answer to data.regate.decision.main").get("result")
        return validate(answer, self.where)

    @property
    def where(self) -> str:
        return f"the OPA server at {self.url}"

    def data(self, path: str):
        """`data.<path>` on the server (path with `/`), or None when undefined."""
        with self.request(f"reading data.{path.replace('/', '.')}"):
            return self.client.get_data(path)

    def served_revisions(self) -> list[str]:
        """Revisions of the regate policy the server has: its bundles' and the last `regate push`'s."""
        found = []
        bundles = self.data("system/bundles")
        for name, bundle in expect({} if bundles is None else bundles, dict, f"{self.where}: data.system.bundles").items():
            what = f"{self.where}: data.system.bundles[{name!r}]"
            manifest = expect(expect(bundle, dict, what).get("manifest", {}), dict, f"{what}.manifest")
            found.append(expect(manifest.get("revision", ""), str, f"{what}.manifest.revision"))
        pushed = self.data("regate/push")
        if pushed is not None:
            what = f"{self.where}: data.regate.push"
            found.append(expect(expect(pushed, dict, what).get("revision", ""), str, f"{what}.revision"))
        return sorted(set(found) - {""})

    def require_revision(self, expected: str) -> None:
        served = self.served_revisions()
        if expected in served:
            return
        what = f"revision {', '.join(r[:12] for r in served)}" if served else "no regate bundle or pushed policy it can name"
        raise EngineError(f"{self.where} serves {what}, but the policy given (--policy or --bundle) is revision "
                          f"{expected[:12]}; run `regate push` or update the server's bundle")

    def served_policy(self) -> PolicyInfo:
        config = self.data("regate/config")
        if config is None:
            raise EngineError(f"{self.where} has no data.regate.config: it serves no regate policy "
                              "(load a regate bundle into it or run `regate push`)")
        expect(config, dict, f"{self.where}: data.regate.config")
        revisions = self.served_revisions()
        return PolicyInfo(revisions[0] if len(revisions) == 1 else "", config)

    def _version(self) -> str:
        with self.request("asking its version"):
            try:
                answer = self.client.query("v := opa.runtime().version")
            except requests.exceptions.HTTPError as exc:
                # Servers with an authorization policy may refuse ad hoc queries; the version is only reported.
                if exc.response is not None and exc.response.status_code in (401, 403):
                    return "unknown"
                raise
        what = f"{self.where}: the answer to `opa.runtime().version`"
        rows = expect(expect(answer, dict, what).get("result", []), list, f"{what}, its result")
        if not rows:
            return "unknown"
        return expect(expect(rows[0], dict, f"{what}, its first row").get("v", "unknown"), str, f"{what}, its `v`")

    def close(self) -> None:
        self.client.session.close()


_JSON = {"Content-Type": "application/json"}


def _opa_message(response: requests.Response | None) -> str:
    return "" if response is None else opa_message(response.content)


def _answer(response: requests.Response):
    response.raise_for_status()
    return parse_answer(response.content)


def _reason(exc: Exception) -> str:
    text = str(exc.args[0] if exc.args else exc)
    if "Caused by" in text:
        # urllib3 wraps the cause in a long repr; its last part is the readable one.
        text = text.rsplit(": ", 1)[-1]
    return re.sub(r"\s*\(_ssl\.c:\d+\)", "", text).rstrip(")'\" ")
