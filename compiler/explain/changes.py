"""The changes a plan can make to an input document, each as JSON Patch operations.

A change is what a developer does to the image (upgrade a package, remove a
file, set USER); its operations are how the input document of the rebuilt
image would differ. Keys that contain a package's version move with it, and
every vulnerability that names the package follows the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# Changes are applied and listed in this order: packages first (the biggest
# lever), then files and secrets, then the image configuration.
KINDS = ("upgrade", "remove_package", "remove_file", "remove_secret", "remove_entry", "set_user", "drop_port",
         "add_healthcheck")

# What a non-root USER is set to when the image has no unprivileged user of its own:
# the conventional "nonroot" uid of distroless and Chainguard images.
NONROOT_UID = "65532"
HEALTHCHECK = {"test": ["CMD-SHELL", "<a command that exits 1 when the service is unhealthy>"]}


@dataclass(frozen=True)
class Change:
    kind: str
    # The entry changed: a package key, a path, a port spec, a user name, `image`.
    target: str
    summary: str
    before: Any = None
    after: Any = None
    # Ids of the findings (`policy/rule:key`) this change is meant to clear.
    clears: tuple[str, ...] = ()
    # Where the change lands: `collection` of the entry removed (remove_entry), cleared vulnerability keys (upgrade).
    detail: dict = field(default_factory=dict)

    @property
    def order(self) -> tuple:
        return KINDS.index(self.kind), self.target

    def as_json(self) -> dict:
        out = {"kind": self.kind, "target": self.target, "summary": self.summary, "before": self.before,
               "after": self.after, "clears": list(self.clears)}
        out.update(self.detail)
        return out


def pointer(*parts: str) -> str:
    """The JSON Pointer (RFC 6901) of `parts`, escaped as jsonpointer's `from_parts` does, without
    the object it makes and parses again (a plan of thousands of upgrades makes three per package)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def operations(change: Change, document: dict, affecting: dict[str, list[str]]) -> list[dict]:
    """The JSON Patch operations of one change against `document` (as changed by the changes before it);
    `affecting` lists the keys of the vulnerabilities of each package key, sorted."""
    return _OPERATIONS[change.kind](change, document, affecting)


def apply(working: dict, ops: list[dict], copied: set[int]) -> None:
    """Applies the operations `operations` makes (add or remove an object member, append to an
    array) to `working` as RFC 6902 does. Each object or array on an operation's path is copied
    the first time it changes, unless its id is in `copied` (which the copies join): `working`
    shares the rest with the document it was copied from, where jsonpatch walked each path
    again and the document had to be copied whole first."""
    for op in ops:
        *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in op["path"].split("/")[1:]]
        node = working
        for part in parents:
            child = node.get(part) if isinstance(node, dict) else None
            if not isinstance(child, (dict, list)):
                _conflict(op, f": no object or array at {part!r}")
            if id(child) not in copied:
                child = node[part] = type(child)(child)
                copied.add(id(child))
            node = child
        if isinstance(node, dict) and op["op"] == "add":
            node[last] = op["value"]
        elif isinstance(node, dict) and op["op"] == "remove" and last in node:
            del node[last]
        elif isinstance(node, list) and op["op"] == "add" and last == "-":
            node.append(op["value"])
        else:
            _conflict(op, "")


def _conflict(op: dict, why: str) -> None:
    """Raises what jsonpatch raises for an operation it cannot apply (imported only then: ~7 ms)."""
    from jsonpatch import JsonPatchConflict

    raise JsonPatchConflict(f"cannot apply {op['op']} {op['path']}{why}")


def vulnerabilities_by_package(document: dict) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for key in sorted(document["vulnerabilities"]):
        package = (document["vulnerabilities"][key].get("package") or {}).get("key")
        index.setdefault(package, []).append(key)
    return index


def _upgrade(change: Change, document: dict, affecting: dict[str, list[str]]) -> list[dict]:
    old_key = change.target
    package = dict(document["packages"][old_key])
    old, new = package["version"], change.after
    new_key = f"{old_key[: len(old_key) - len(old)]}{new}" if old_key.endswith(old) else f"{old_key}+{new}"
    package.update(key=new_key, version=new)
    if isinstance(package.get("purl"), str):
        package["purl"] = _purl_version(package["purl"], old, new)
    ops = [{"op": "remove", "path": pointer("packages", old_key)},
           {"op": "add", "path": pointer("packages", new_key), "value": package}]
    cleared = set(change.detail.get("cleared_vulnerabilities", ()))
    for key in affecting.get(old_key, ()):
        vuln = document["vulnerabilities"][key]
        ops.append({"op": "remove", "path": pointer("vulnerabilities", key)})
        if key in cleared:
            continue
        moved = dict(vuln, package=dict(vuln["package"], key=new_key, version=new))
        moved["key"] = f"{vuln.get('id', key.split('+', 1)[0])}+{new_key}"
        ops.append({"op": "add", "path": pointer("vulnerabilities", moved["key"]), "value": moved})
    return ops


def _purl_version(purl: str, old: str, new: str) -> str:
    for spelling, replacement in ((f"@{old}", f"@{new}"), (f"@{quote(old, safe='')}", f"@{quote(new, safe='')}")):
        if spelling in purl:
            return purl.replace(spelling, replacement, 1)
    return purl


def _remove_package(change: Change, document: dict, affecting: dict[str, list[str]]) -> list[dict]:
    return [{"op": "remove", "path": pointer("packages", change.target)}] + \
        [{"op": "remove", "path": pointer("vulnerabilities", key)} for key in affecting.get(change.target, ())]


def _remove_file(change: Change, document: dict, _affecting: dict) -> list[dict]:
    """The file, and what the document says is in it: secrets and malware found at its path."""
    path = change.target
    ops = []
    if path in (document.get("files") or {}):
        ops.append({"op": "remove", "path": pointer("files", path)})
    for collection in ("secrets", "malware"):
        ops += [{"op": "remove", "path": pointer(collection, key)}
                for key, entry in sorted((document.get(collection) or {}).items())
                if isinstance(entry, dict) and entry.get("path") == path]
    return ops


def _remove_secret(change: Change, document: dict, _affecting: dict) -> list[dict]:
    """A secret in the image config: the variable or label that holds it, and the finding."""
    secret = document["secrets"][change.detail["secret"]]
    where, _, name = str(secret.get("path", "")).partition(":")
    ops = []
    if where in ("env", "label") and name in (document["image"].get(where if where == "env" else "labels") or {}):
        ops.append({"op": "remove", "path": pointer("image", "env" if where == "env" else "labels", name)})
    return ops + [{"op": "remove", "path": pointer("secrets", key)}
                  for key, entry in sorted(document["secrets"].items()) if entry.get("path") == secret.get("path")]


def _remove_entry(change: Change, document: dict, _affecting: dict) -> list[dict]:
    """The entry; for a variable or label, also the secrets found in it (`env:NAME`, `label:NAME`)."""
    collection = change.detail["collection"]
    ops = [{"op": "remove", "path": pointer(*collection.split("."), change.target)}]
    where = {"image.env": "env", "image.labels": "label"}.get(collection)
    if where:
        ops += [{"op": "remove", "path": pointer("secrets", key)} for key, entry in sorted(document["secrets"].items())
                if isinstance(entry, dict) and entry.get("path") == f"{where}:{change.target}"]
    return ops


def _set_user(change: Change, document: dict, _affecting: dict) -> list[dict]:
    return [{"op": "add", "path": "/image/user", "value": change.after},
            {"op": "add", "path": "/image/effective_user", "value": change.after}] + \
        _instruction(document, "USER", change.after)


def _drop_port(change: Change, document: dict, _affecting: dict) -> list[dict]:
    return [{"op": "remove", "path": pointer("image", "exposed_ports", change.target)}]


def _add_healthcheck(change: Change, document: dict, _affecting: dict) -> list[dict]:
    return [{"op": "add", "path": "/image/healthcheck", "value": change.after}] + \
        _instruction(document, "HEALTHCHECK", "CMD " + change.after["test"][1])


def _instruction(document: dict, keyword: str, value: str) -> list[dict]:
    """The instruction appended to the final stage of the image's Dockerfile, when the document has one
    (rules may read `image.dockerfile.instructions` rather than the config)."""
    instructions = ((document["image"].get("dockerfile") or {}).get("instructions"))
    if not isinstance(instructions, list) or not instructions or not isinstance(instructions[-1], dict):
        return []
    last = instructions[-1]
    added = {"index": len(instructions), "instruction": keyword, "value": value}
    added.update({k: last[k] for k in ("stage", "stage_name", "final_stage") if k in last})
    return [{"op": "add", "path": "/image/dockerfile/instructions/-", "value": added}]


_OPERATIONS = {"upgrade": _upgrade, "remove_package": _remove_package, "remove_file": _remove_file,
               "remove_secret": _remove_secret, "remove_entry": _remove_entry, "set_user": _set_user,
               "drop_port": _drop_port, "add_healthcheck": _add_healthcheck}
