"""The OPA configuration a fleet runs with to pull a regate bundle: one
service (an OCI registry or a bundle server), the `regate` bundle polled from
it and verified with a key, and optionally decision logs and status reports.

Keys go into the configuration as PEM text (OPA's `keys.<id>.key`); an HMAC
secret would be a secret in the file, so HS* keys are referenced through an
environment variable OPA substitutes when it reads the configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import UserError
from .publish import OciReference

BUNDLE_NAME = "regate"
SERVICE_NAME = "bundles"
REPORTING_SERVICE = "reporting"
# Where the OPA servers find an HMAC secret (OPA substitutes ${VAR} in its configuration file).
SECRET_VARIABLE = "REGATE_BUNDLE_SECRET"
_POLLING = re.compile(r"(\d+)(?:-(\d+))?s?")


@dataclass(frozen=True)
class Polling:
    min_seconds: int
    max_seconds: int

    @classmethod
    def parse(cls, text: str) -> "Polling":
        found = _POLLING.fullmatch(text.strip())
        if not found:
            raise UserError(f"--polling {text!r}: give seconds, MIN-MAX (e.g. 10-30s) or one value (e.g. 5s)")
        low = int(found[1])
        high = int(found[2]) if found[2] else low
        if low < 1 or high < low:
            raise UserError(f"--polling {text!r}: the delays must be at least 1 s and MIN ≤ MAX")
        return cls(low, high)


@dataclass(frozen=True)
class KeyConfig:
    path: Path
    key_id: str
    algorithm: str
    scope: str | None = None


def _service(target: str, plain_http: bool) -> tuple[dict, str]:
    """The service entry and the bundle's `resource` on it."""
    if target.startswith("oci://"):
        reference = OciReference.parse(target)
        # OPA's OCI downloader speaks plain HTTP exactly when the service URL says http://.
        scheme = "http" if plain_http else "https"
        return {"url": f"{scheme}://{reference.registry}", "type": "oci"}, reference.reference
    if plain_http:
        raise UserError("--plain-http is for oci:// registries; a bundle server's URL says http:// or https:// itself")
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path in ("", "/"):
        raise UserError(f"--service {target!r}: give oci://HOST[:PORT]/REPO:TAG or the bundle's URL, "
                        "http(s)://HOST[:PORT]/PATH/bundle.tar.gz")
    if parts.username or parts.password or parts.query:
        raise UserError(f"--service {target!r}: no credentials or query in the URL (use --token-env)")
    return {"url": f"{parts.scheme}://{parts.netloc}"}, parts.path.lstrip("/")


def _reporting(target: str) -> dict:
    return {"console": True} if target == "console" else {"service": REPORTING_SERVICE}


def opa_config(service: str, key: KeyConfig | None, polling: Polling, plain_http: bool = False,
               decision_logs: str | None = None, status: str | None = None, token_env: str | None = None) -> dict:
    entry, resource = _service(service, plain_http)
    if token_env:
        entry["credentials"] = {"bearer": {"token": f"${{{token_env}}}"}}
    services = {SERVICE_NAME: entry}
    bundle = {"service": SERVICE_NAME, "resource": resource,
              "polling": {"min_delay_seconds": polling.min_seconds, "max_delay_seconds": polling.max_seconds}}
    config: dict = {"services": services, "bundles": {BUNDLE_NAME: bundle}}
    if key is not None:
        bundle["signing"] = {"keyid": key.key_id, **({"scope": key.scope} if key.scope else {})}
        config["keys"] = {key.key_id: {"algorithm": key.algorithm, "key": _key_text(key)}}
    for name, target in (("decision_logs", decision_logs), ("status", status)):
        if target is None:
            continue
        if target != "console":
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UserError(f"--{name.replace('_', '-')} {target!r}: give `console` or http(s)://HOST[:PORT][/PATH]")
            known = services.get(REPORTING_SERVICE, {}).get("url")
            if known not in (None, target):
                raise UserError("--decision-logs and --status go to one reporting service: give the same URL")
            services[REPORTING_SERVICE] = {"url": target}
        config[name] = _reporting(target)
    return config


def _key_text(key: KeyConfig) -> str:
    if key.algorithm.startswith("HS"):
        return f"${{{SECRET_VARIABLE}}}"
    try:
        text = key.path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read --verification-key {key.path}: {exc}") from None
    if "PRIVATE KEY-----" in text:
        raise UserError(f"--verification-key {key.path} is a private key; a fleet needs only the public key")
    if "-----BEGIN" not in text:
        raise UserError(f"--verification-key {key.path}: not a PEM public key or certificate")
    return text


def render(config: dict) -> str:
    """YAML with PEM keys as literal blocks, as one would write them by hand."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper, value: str):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump(config, Dumper=Dumper, sort_keys=False, default_flow_style=False)
