"""What a build changed against its baseline: the RFC 6902 patch (`changes`), change records a
policy reads without JSON Pointers (`drift`), and when each vulnerability was first seen.

Both documents are compared masked (a secret is never a value here) and without what differs
between two builds of the same Dockerfile on the same base: docs/input.md lists the fields left out.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch

from .versions import order_versions

# Image fields that differ between two builds of the same Dockerfile; the baseline's identity is
# recorded in `baseline` instead.
VOLATILE_IMAGE_FIELDS = frozenset(
    {"reference", "registry", "repository", "tag", "digest", "repo_digests", "id", "created", "size", "layers", "history",
     "dockerfile"}  # a guessed Dockerfile is the history again; an actual one is how, not what, was built
)
# Per collection: fields that differ between two builds or two scans of the same content (the layer
# a file came in, a vulnerability's daily scores, and `first_seen`, which this module derives).
VOLATILE_FIELDS = {
    # `verify` compares an image with its own package database, not with the baseline.
    "packages": frozenset({"layer", "verify"}),
    "files": frozenset({"layer"}),
    "secrets": frozenset({"layer"}),
    "malware": frozenset({"layer"}),
    "vulnerabilities": frozenset({"first_seen", "epss", "risk"}),
}
VOLATILE_PACKAGE_FIELDS = VOLATILE_FIELDS["packages"]
# Image fields an image config states, even by leaving them out (no `User` is root).
CONFIG_IMAGE_FIELDS = frozenset(
    {"user", "effective_user", "env", "labels", "exposed_ports", "entrypoint", "cmd", "workdir", "healthcheck",
     "stop_signal", "volumes"}
)
# The fields whose change is a change record, per collection; an element added or removed is one
# record whatever its fields. Secrets and malware are new or gone, nothing else.
RECORDED_FIELDS = {
    "packages": ("licenses",),
    "vulnerabilities": ("severity",),
    "files": ("type", "mode", "setuid", "setgid", "uid", "gid", "sha256", "link_target", "contents"),
    "secrets": (),
    "users": ("uid", "gid", "group", "gecos", "home", "shell"),
    "misconfigurations": ("severity", "status"),
    "malware": (),
}
# Image fields that are collections of their own: compared entry by entry.
IMAGE_MAPS = {"exposed_ports": (), "env": ("value",), "labels": ("value",)}


def comparable(document: dict, stated_by: dict | None = None) -> dict:
    """The part of a document a baseline comparison looks at, as plain JSON. With `stated_by`,
    image fields that document does not state are left out (see `_stated`)."""
    image = {k: v for k, v in document.get("image", {}).items() if k not in VOLATILE_IMAGE_FIELDS}
    if "distro" in image:  # how a tool words the distribution is no change of it
        image["distro"] = {k: v for k, v in image["distro"].items() if k != "pretty_name"}
    if stated_by is not None:
        image = {field: value for field, value in image.items() if _stated(stated_by.get("image", {}), field)}
    view: dict[str, Any] = {"image": image}
    for name in RECORDED_FIELDS:
        if name in document:
            volatile = VOLATILE_FIELDS.get(name, frozenset())
            view[name] = {key: {f: v for f, v in entry.items() if f not in volatile}
                          for key, entry in sorted(document[name].items())}
    return json.loads(json.dumps(view, sort_keys=True))


def _stated(image: dict, field: str) -> bool:
    """Whether the document says something about an image field, present or not: a field an input
    did not state (no image config was read, no input named the distribution) was not removed."""
    config_read = "effective_user" in image  # present whenever a config was read
    return field in image or (config_read and field in CONFIG_IMAGE_FIELDS)


def views(baseline: dict, document: dict) -> tuple[dict, dict]:
    """The `comparable` views of the baseline and the document, computed once for the patch and
    the records. A collection the current document lacks (no malware scan) is not compared."""
    before, after = comparable(baseline, stated_by=document), comparable(document)
    return {name: value for name, value in before.items() if name in after}, after


def changes(baseline: dict, document: dict) -> list[dict]:
    """RFC 6902 patch from the baseline to the document (`patch` of their `views`)."""
    return patch(*views(baseline, document))


def patch(before: dict, after: dict) -> list[dict]:
    """RFC 6902 patch between two views. Paths are JSON Pointers into the document
    (`/image/exposed_ports/8080~1tcp`, `/packages/deb:openssl@3.0.11`, `/files/~1usr~1bin~1su/setuid`).

    The image goes through `jsonpatch` (a command gaining an argument is an `add` at its index);
    collections are diffed by key down to the field, a list field replaced whole: `jsonpatch`
    compares in Python what `==` compares in C, seconds for an image whose every file changed."""
    ops: list[dict] = []
    for name in after:
        old, new = before.get(name, {}), after[name]
        if old == new:
            continue
        if name == "image":
            ops += _prefixed(jsonpatch.make_patch(old, new), "/image")
        else:
            ops += _diff(old, new, "/" + name)
    return ops


def _diff(old: Any, new: Any, pointer: str) -> list[dict]:
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [{"op": "replace", "path": pointer, "value": new}]
    ops = [{"op": "remove", "path": _pointer(pointer, key)} for key in sorted(old.keys() - new.keys())]
    for key in sorted(new.keys()):
        if key not in old:
            ops.append({"op": "add", "path": _pointer(pointer, key), "value": new[key]})
        elif old[key] != new[key]:
            ops += _diff(old[key], new[key], _pointer(pointer, key))
    return ops


def _pointer(prefix: str, key: str) -> str:
    return f"{prefix}/{key.replace('~', '~0').replace('/', '~1')}"


def _prefixed(operations: jsonpatch.JsonPatch, prefix: str) -> list[dict]:
    out = []
    for operation in operations:
        operation = dict(operation)
        operation["path"] = prefix + operation["path"]
        if "from" in operation:
            operation["from"] = prefix + operation["from"]
        out.append(operation)
    return out


class _Records:
    def __init__(self) -> None:
        self.out: dict[str, dict] = {}

    def add(self, collection: str, element: str, op: str, field: str | None = None,
            before: Any = None, after: Any = None) -> None:
        key = f"{collection}:{element}" + (f":{field}" if field else "")
        record = {"key": key, "collection": collection, "element": element, "op": op}
        if field:
            record["field"] = field
        if op != "added":
            record["before"] = before
        if op != "removed":
            record["after"] = after
        self.out[key] = record

    def entries(self, collection: str, before: dict, after: dict, fields: tuple[str, ...]) -> None:
        """Elements added, removed, and the `fields` that changed in elements of both."""
        for key in sorted(after.keys() - before.keys()):
            self.add(collection, key, "added", after=after[key])
        for key in sorted(before.keys() - after.keys()):
            self.add(collection, key, "removed", before=before[key])
        for key in sorted(before.keys() & after.keys()):
            self.fields(collection, key, before[key], after[key], fields)

    def fields(self, collection: str, element: str, before: dict, after: dict, fields: tuple[str, ...]) -> None:
        for field in fields:
            old, new = before.get(field), after.get(field)
            if old != new:
                self.add(collection, element, "changed", field, old, new)


def drift(baseline: dict, document: dict) -> dict[str, dict]:
    """Change records (`records` of the `views` of both)."""
    return records(*views(baseline, document))


def records(before: dict, after: dict) -> dict[str, dict]:
    """Change records keyed `<collection>:<element>[:<field>]`, sorted by key.

    `element` is the element's key in the document (in the baseline for a removal); packages are
    matched by type and name (a new version is one `upgraded`/`downgraded` record), vulnerabilities
    by id and package type and name (still there after an upgrade is not introduced).
    """
    found = _Records()
    _image(found, before["image"], after["image"])
    for name, fields in RECORDED_FIELDS.items():
        if name not in after:  # not looked at this time: nothing was removed
            continue
        old, new = before.get(name, {}), after[name]
        if old == new:
            continue
        if name == "packages":
            _packages(found, old, new)
        elif name == "vulnerabilities":
            _vulnerabilities(found, old, new)
        else:
            found.entries(name, old, new, fields)
    return dict(sorted(found.out.items()))


def _image(found: _Records, before: dict, after: dict) -> None:
    for field in sorted(before.keys() | after.keys()):
        old, new = before.get(field), after.get(field)
        if old == new:
            continue
        if field in IMAGE_MAPS:
            found.entries(f"image.{field}", old or {}, new or {}, IMAGE_MAPS[field])
        elif old is None:
            found.add("image", field, "added", after=new)
        elif new is None:
            found.add("image", field, "removed", before=old)
        else:
            found.add("image", field, "changed", before=old, after=new)


def _by_identity(entries: dict, identity) -> dict[Any, list[str]]:
    grouped: dict[Any, list[str]] = {}
    for key, entry in entries.items():
        grouped.setdefault(identity(entry), []).append(key)
    return grouped


def _package_identity(package: dict) -> tuple[str, str]:
    return package.get("type", "unknown"), package.get("name", "")


def _packages(found: _Records, before: dict, after: dict) -> None:
    """One record per package name and type: a new version is upgraded or downgraded, in the order
    of the package's ecosystem (`regate.lib.version`); several versions side by side are compared
    key by key."""
    old_groups, new_groups = _by_identity(before, _package_identity), _by_identity(after, _package_identity)
    moved = sorted((old_groups[i][0], new_groups[i][0]) for i in old_groups.keys() & new_groups.keys()
                   if len(old_groups[i]) == len(new_groups[i]) == 1 and old_groups[i] != new_groups[i])
    versions = {(old, new): (after[new].get("type", "unknown"), str(before[old].get("version", "")),
                             str(after[new].get("version", ""))) for old, new in moved}
    order = order_versions(list(versions.values()))
    paired_old, paired_new = {old for old, _ in moved}, {new for _, new in moved}
    found.entries("packages", {k: v for k, v in before.items() if k not in paired_old},
                  {k: v for k, v in after.items() if k not in paired_new}, RECORDED_FIELDS["packages"])
    for old, new in moved:
        ecosystem_pair = versions[(old, new)]
        sign = order[ecosystem_pair]
        op = "upgraded" if sign > 0 else "downgraded" if sign < 0 else "changed"
        found.add("packages", new, op, "version", ecosystem_pair[1], ecosystem_pair[2])
        found.fields("packages", new, before[old], after[new], RECORDED_FIELDS["packages"])


def _vulnerability_identity(vuln: dict) -> tuple[str, str, str]:
    package = vuln.get("package", {})
    return vuln.get("id", ""), package.get("type", "unknown"), package.get("name", "")


def matched_vulnerabilities(before: dict, after: dict) -> dict[str, list[str]]:
    """Each current vulnerability key → the baseline keys it continues: the same key, else the
    same id in a package of the same type and name (another version of it)."""
    old_groups = _by_identity(before, _vulnerability_identity)
    return {key: [key] if key in before else old_groups.get(_vulnerability_identity(vuln), [])
            for key, vuln in after.items()}


def _vulnerabilities(found: _Records, before: dict, after: dict) -> None:
    matches = matched_vulnerabilities(before, after)
    continued = {old for olds in matches.values() for old in olds}
    for key in sorted(after):
        if not matches[key]:
            found.add("vulnerabilities", key, "added", after=after[key])
        else:
            found.fields("vulnerabilities", key, before[matches[key][0]], after[key], RECORDED_FIELDS["vulnerabilities"])
    for key in sorted(before.keys() - continued):
        found.add("vulnerabilities", key, "removed", before=before[key])


def _scan_time(document: dict) -> str | None:
    """When the document's vulnerabilities were matched: its earliest scanner run that says."""
    times = [source["scanned"] for source in document.get("sources", []) if source.get("scanned")]
    return min(times, key=_instant) if times else None


def _instant(moment: str) -> tuple[str, str]:
    """Order of two RFC 3339 UTC times whatever their fractional digits (`...:26Z` < `...:26.5Z`)."""
    return moment[:19], moment[19:].rstrip("Z")


def carry_first_seen(baseline: dict, document: dict) -> None:
    """`first_seen` of each vulnerability along the baseline chain: the earliest of the baseline's
    `first_seen` for the vulnerabilities it continues, else the baseline's scan time; a vulnerability
    the baseline lacks was first seen by this document's scan (when its scanner says when)."""
    before, after = baseline.get("vulnerabilities", {}), document["vulnerabilities"]
    then, now = _scan_time(baseline), _scan_time(document)
    for key, olds in matched_vulnerabilities(before, after).items():
        seen = [before[old].get("first_seen") or then for old in olds] if olds else [now]
        seen = [moment for moment in seen if moment]
        if seen:
            after[key]["first_seen"] = min(seen, key=_instant)
        else:
            after[key].pop("first_seen", None)
