"""Partial input documents made whole: what policy tests write by hand.

A test says only what matters (`vulnerabilities: {CVE-1: {severity: high}}`);
`complete` merges it onto an empty document and fills each collection
entry's derivable fields (its key, a port's number and protocol, a file's
path, a vulnerability's fix and package) so that it has the shape extracted
documents have.
"""

from __future__ import annotations

import copy

from .extract.document import empty_document as empty_extracted


# What a test may leave out about the image: a plain linux/amd64 image running as root.
DEFAULT_IMAGE = {
    "reference": "", "registry": "", "repository": "", "tag": "", "digest": "", "id": "",
    "os": "linux", "architecture": "amd64", "layers": [], "history": [], "labels": {}, "env": {},
    "user": "", "effective_user": "root", "exposed_ports": {}, "entrypoint": [], "cmd": [],
    "workdir": "", "healthcheck": None, "stop_signal": "",
}


def empty_document() -> dict:
    document = empty_extracted()
    document["image"] = copy.deepcopy(DEFAULT_IMAGE)
    return document


def merge(base: dict, partial: dict) -> dict:
    """`partial` over `base`, objects merged recursively, anything else replaced."""
    out = copy.deepcopy(base)
    for key, value in partial.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def complete(partial: dict) -> dict:
    doc = merge(empty_document(), partial)
    image = doc["image"]
    if "effective_user" not in (partial.get("image") or {}):
        image["effective_user"] = image.get("user") or "root"
    image["exposed_ports"] = {k: _port(k, v) for k, v in image.get("exposed_ports", {}).items()}
    for name in ("env", "labels"):
        image[name] = {k: _named(k, v) for k, v in image.get(name, {}).items()}
    doc["packages"] = {k: _package(k, v) for k, v in doc["packages"].items()}
    doc["vulnerabilities"] = {k: _vulnerability(k, v) for k, v in doc["vulnerabilities"].items()}
    doc["files"] = {k: {"path": k, "type": "file", **v} for k, v in doc["files"].items()}
    doc["users"] = {k: {"name": k, "uid": 1000, "gid": 1000, **v} for k, v in doc["users"].items()}
    doc["secrets"] = {k: {"kind": k.split(":")[0], "path": "", "match": "****", **v} for k, v in doc["secrets"].items()}
    return doc


def _port(key: str, value: dict | None) -> dict:
    number, _, protocol = key.partition("/")
    # ASCII digits only: str.isdigit also accepts "²", which int() refuses.
    is_port = number.isascii() and number.isdigit() and len(number) <= 5
    out = {"port": int(number) if is_port else 0, "protocol": protocol or "tcp"}
    out.update(value or {})
    out.setdefault("spec", f"{out['port']}/{out['protocol']}")
    return out


def _named(key: str, value) -> dict:
    if isinstance(value, dict):
        return {"name": key, **value}
    return {"name": key, "value": str(value)}


def _package(key: str, value: dict) -> dict:
    kind, _, rest = key.partition(":") if ":" in key else ("", "", key)
    name, _, version = rest.partition("@")
    out = {"key": key, "name": name, "version": version, "type": kind or "generic"}
    out.update(value)
    out.setdefault("os", out["type"] in ("apk", "deb", "rpm", "alpm", "portage"))
    return out


def _vulnerability(key: str, value: dict) -> dict:
    vuln_id, _, package_key = key.partition("+")
    out = {"key": key, "id": vuln_id, "severity": "unknown"}
    out.update(value)
    fix = {"state": "unknown", "available": False, "versions": []}
    fix.update(value.get("fix", {}))
    if "available" not in value.get("fix", {}):
        fix["available"] = fix["state"] == "fixed" and bool(fix["versions"])
    out["fix"] = fix
    out["package"] = _package(package_key or "generic:unknown@0", value.get("package", {}))
    out["package"].pop("licenses", None)
    return out
